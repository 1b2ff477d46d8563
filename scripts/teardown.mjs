#!/usr/bin/env zx
// Deletes the kind cluster "notas" and its registry (both declared in
// k8s/cluster.yaml), with every volume in them:
//
//   npx zx scripts/teardown.mjs [--dry-run]
//
// Nothing else is touched: data/pool.json and the images in the local Docker
// cache stay. Deleting what is already gone is not an error.
import { $, chalk, minimist, quote, which } from 'zx';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const COMMAND = ['ctlptl', ['delete', '-f', 'k8s/cluster.yaml', '--ignore-not-found']];

const USAGE = `Usage: npx zx scripts/teardown.mjs [--dry-run]

Deletes the kind cluster kind-notas and the registry ctlptl-registry (k8s/cluster.yaml).

Options:
  --dry-run   print the command without running it
  -h, --help  show this help
`;

async function main() {
  const scriptIndex = process.argv.findIndex((arg) => arg.endsWith('teardown.mjs'));
  const args = minimist(process.argv.slice(scriptIndex + 1), { boolean: ['dry-run', 'help'], alias: { h: 'help' } });
  const unknown = Object.keys(args).filter((key) => !['_', 'dry-run', 'help', 'h'].includes(key));
  if (unknown.length > 0 || args._.length > 0) {
    console.error(chalk.red(`teardown: unknown argument ${unknown.length > 0 ? `--${unknown[0]}` : `"${args._[0]}"`}; see --help`));
    process.exit(2);
  }
  if (args.help) {
    process.stdout.write(USAGE);
    return;
  }

  const [cmd, cmdArgs] = COMMAND;
  console.log(chalk.gray(`+ ${[cmd, ...cmdArgs].map(quote).join(' ')}`));
  if (args['dry-run']) return;

  if (!which.sync(cmd, { nothrow: true })) {
    console.error(chalk.red('teardown: ctlptl not found on PATH; install: go install github.com/tilt-dev/ctlptl/cmd/ctlptl@v0.8.43'));
    process.exit(1);
  }
  const output = await $({ cwd: ROOT, nothrow: true, verbose: false })`${cmd} ${cmdArgs}`;
  if (output.exitCode !== 0) {
    console.error(chalk.red(`teardown: ctlptl delete failed with exit code ${output.exitCode}`));
    process.exit(1);
  }
  console.log('cluster kind-notas and registry ctlptl-registry deleted');
}

await main();
