#!/usr/bin/env bash
# Builds FerretDB v1.24 (SQLite backend) into .bin/ferretdb from tools/ferretdb.
# Skips the build when the binary is newer than its sources.
set -euo pipefail
cd "$(dirname "$0")/.."

out=.bin/ferretdb
if [ -x "$out" ] && [ "$out" -nt tools/ferretdb/main.go ] && [ "$out" -nt tools/ferretdb/go.sum ]; then
  exit 0
fi
if ! command -v go >/dev/null; then
  echo "go not found: install Go 1.24 or newer to build FerretDB (tools/ferretdb)" >&2
  exit 1
fi
mkdir -p .bin
go build -C tools/ferretdb -o "$PWD/$out" .
echo "built $out"
