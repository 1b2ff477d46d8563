#!/usr/bin/env bash
# Builds tools/tiltfile-eval (the Tiltfile checker used by test/tiltfile.test.ts)
# into .bin/tiltfile-eval. Skips the build when the binary is newer than its
# sources.
set -euo pipefail
cd "$(dirname "$0")/.."

out=.bin/tiltfile-eval
src=tools/tiltfile-eval
if [ -x "$out" ] && [ "$out" -nt "$src/main.go" ] && [ "$out" -nt "$src/go.mod" ] && [ "$out" -nt "$src/go.sum" ]; then
  exit 0
fi
if ! command -v go >/dev/null; then
  echo "go not found: install Go 1.25 or newer to build tools/tiltfile-eval" >&2
  exit 1
fi
mkdir -p .bin
go build -C "$src" -o "$PWD/$out" .
echo "built $out"
