/**
 * Stub executables for running scripts/bootstrap.mjs without a cluster.
 *
 * Each stub is a bash script using builtins only: it appends its name and
 * arguments to a log, copies any stdin to a second log, prints the version
 * text the real tool prints, and exits 0 for an existence check only when
 * STUB_EXISTING=1. No stub touches the network or starts anything.
 */
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ROOT } from './k8s-render.ts';

export const STUB_NAMES = ['docker', 'kind', 'ctlptl', 'kubectl', 'helm', 'linkerd', 'tilt', 'npx'] as const;

// Version output as each real tool prints it (formats checked against their
// sources); STUB_*_VERSION overrides one for a test.
const STUB_SCRIPT = `#!/bin/bash
name="\${0##*/}"
line="$name"
for arg in "$@"; do line="$line $arg"; done
printf '%s\\n' "$line" >> "$STUB_LOG"

case " $* " in
  *" -f - "*)
    printf '>>> %s\\n' "$line" >> "$STUB_LOG.stdin"
    while IFS= read -r input || [ -n "$input" ]; do printf '%s\\n' "$input" >> "$STUB_LOG.stdin"; done
    ;;
esac

case "$name $*" in
  "docker version"*) echo "\${STUB_DOCKER_VERSION:-27.3.1}" ;;
  "docker info"*)
    if [ "$STUB_DOCKER_DOWN" = 1 ]; then
      echo "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?" >&2
      exit 1
    fi
    echo "27.3.1" ;;
  "kind version"*) echo "kind \${STUB_KIND_VERSION:-v0.30.0} go1.24.6 linux/amd64" ;;
  "ctlptl version"*) echo "v0.8.43, built 2025-08-28" ;;
  "kubectl version"*) echo "Client Version: v1.33.4"; echo "Kustomize Version: v5.6.0" ;;
  "helm version"*) echo "v3.18.6+gb76a950" ;;
  "linkerd version"*) echo "\${STUB_LINKERD_VERSION:-edge-25.10.7}" ;;
  "tilt version"*) echo "v0.35.1, built 2025-09-04" ;;
  "ctlptl get"*|"kubectl "*" get "*)
    # Existence checks: everything exists on a second run.
    if [ "$STUB_EXISTING" = 1 ]; then echo "found"; exit 0; fi
    echo "Error from server (NotFound): not found" >&2
    exit 1
    ;;
  "linkerd "*" install"*|"linkerd "*" upgrade"*)
    echo "apiVersion: v1"; echo "kind: List"; echo "items: []" ;;
esac
exit 0
`;

export type StubRun = { code: number | null; stdout: string; stderr: string; log: string[]; stdin: string };

/** A directory of stubs, first and only on PATH, with the logs they write. */
export class StubBin {
  readonly dir = mkdtempSync(join(tmpdir(), 'notas-bootstrap-'));
  readonly bin = join(this.dir, 'bin');
  readonly logFile = join(this.dir, 'calls.log');

  constructor(names: readonly string[] = STUB_NAMES) {
    mkdirSync(this.bin);
    for (const name of names) {
      const path = join(this.bin, name);
      writeFileSync(path, STUB_SCRIPT);
      chmodSync(path, 0o755);
    }
    // zx runs commands through bash, and the child is node itself.
    symlinkSync('/bin/bash', join(this.bin, 'bash'));
    symlinkSync(process.execPath, join(this.bin, 'node'));
  }

  /** Runs a script (default scripts/bootstrap.mjs) with these stubs and returns its output and the logs. */
  run(args: string[], env: Record<string, string> = {}, script = 'scripts/bootstrap.mjs'): Promise<StubRun> {
    rmSync(this.logFile, { force: true });
    rmSync(`${this.logFile}.stdin`, { force: true });

    return new Promise((resolve) => {
      execFile(
        process.execPath,
        [join(ROOT, script), ...args],
        {
          cwd: ROOT,
          timeout: 60_000,
          env: { PATH: this.bin, HOME: this.dir, STUB_LOG: this.logFile, FORCE_COLOR: '0', ...env },
        },
        (error, stdout, stderr) => {
          let code: number | null = 0;
          if (error) code = typeof error.code === 'number' ? error.code : null;
          resolve({ code, stdout, stderr, log: this.readLog(), stdin: this.readStdin() });
        },
      );
    });
  }

  readLog(): string[] {
    if (!existsSync(this.logFile)) return [];
    return readFileSync(this.logFile, 'utf8').split('\n').filter((line) => line !== '');
  }

  readStdin(): string {
    const path = `${this.logFile}.stdin`;
    return existsSync(path) ? readFileSync(path, 'utf8') : '';
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
