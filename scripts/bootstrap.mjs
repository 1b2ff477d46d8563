#!/usr/bin/env zx
// Creates the local Kubernetes cluster for Notas and installs everything it
// needs, then deploys the app and sends one request through the ingress:
//
//   npx zx scripts/bootstrap.mjs [--dry-run] [--without-grafana]
//
// Every step checks what is already there, so running it again repairs a
// half-finished cluster instead of failing or starting over. Commands are
// found through PATH only, and every argument is passed to zx as an array
// element (zx quotes it), never pasted into a shell string.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { $, chalk, minimist, quote, sleep, which } from 'zx';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

const CLUSTER = 'kind-notas'; // ctlptl's name for kind cluster "notas", also its kube context
const NAMESPACE = 'notas';
const REGISTRY = 'localhost:5005'; // k8s/cluster.yaml
// Must equal newTag in k8s/overlays/dev/kustomization.yaml (a test checks it).
const IMAGE_TAG = '0.1.0';
const IMAGES = [
  { name: `${REGISTRY}/notas/route-grpc:${IMAGE_TAG}`, dockerfile: 'route-grpc/Dockerfile' },
  { name: `${REGISTRY}/notas/route-cache:${IMAGE_TAG}`, dockerfile: 'route-cache/Dockerfile' },
];

// Linkerd 2.19 (edge-25.10.7) supports Gateway API 1.1.1 to 1.2.1, and needs
// the CRDs installed before Linkerd itself.
export const GATEWAY_API_VERSION = 'v1.2.1';
export const GATEWAY_API_URL = `https://github.com/kubernetes-sigs/gateway-api/releases/download/${GATEWAY_API_VERSION}/standard-install.yaml`;
// `linkerd install` installs the CLI's own version, so the CLI is pinned.
export const LINKERD_VERSION = 'edge-25.10.7';
export const METRICS_SERVER_CHART = { repo: 'https://kubernetes-sigs.github.io/metrics-server/', version: '3.13.0' }; // metrics-server 0.8.0
export const TRAEFIK_CHART = { repo: 'https://traefik.github.io/charts', version: '41.3.0' }; // Traefik v3.7.11

// minimum: the oldest version this script is known to work with, and why.
export const PREREQUISITES = [
  {
    name: 'docker',
    versionArgs: ['version', '--format', '{{.Client.Version}}'],
    minimum: '24.0.0', // BuildKit by default, for RUN --mount in the Dockerfiles
    hint: 'install Docker Engine (https://docs.docker.com/engine/install/) or Docker Desktop, and start it',
    // kind and the image builds need the daemon, not only the CLI.
    readyArgs: ['info', '--format', '{{.ServerVersion}}'],
    notReadyHint: 'start Docker Desktop or the docker service (systemctl start docker)',
  },
  {
    name: 'kind',
    versionArgs: ['version'],
    minimum: '0.29.0', // first release whose node images include Kubernetes 1.33 for ctlptl
    // ctlptl maps kubernetesVersion to a node image through a table of kind
    // releases; ctlptl 0.8.43's table ends at kind v0.30.0, and it stops on a newer one.
    below: '0.31.0',
    hint: 'go install sigs.k8s.io/kind@v0.30.0 (or see https://kind.sigs.k8s.io/docs/user/quick-start/#installation)',
  },
  {
    name: 'ctlptl',
    versionArgs: ['version'],
    minimum: '0.8.43', // its table of node images includes kind v0.29 and v0.30
    hint: 'go install github.com/tilt-dev/ctlptl/cmd/ctlptl@v0.8.43 (or brew install tilt-dev/tap/ctlptl)',
  },
  {
    name: 'kubectl',
    versionArgs: ['version', '--client'],
    minimum: '1.32.0', // within one minor version of the cluster (1.33), kustomize built in
    hint: 'see https://kubernetes.io/docs/tasks/tools/#kubectl',
  },
  {
    name: 'helm',
    versionArgs: ['version', '--short'],
    minimum: '3.14.0',
    hint: 'see https://helm.sh/docs/intro/install/',
  },
  {
    name: 'linkerd',
    versionArgs: ['version', '--client', '--short'],
    exact: LINKERD_VERSION,
    hint: `curl --proto '=https' --tlsv1.2 -sSfL https://run.linkerd.io/install-edge | LINKERD2_VERSION=${LINKERD_VERSION} sh && export PATH=$HOME/.linkerd2/bin:$PATH`,
  },
  {
    name: 'tilt',
    versionArgs: ['version'],
    minimum: '0.33.0',
    optional: true, // only `tilt up` needs it, not this script
    hint: 'see https://docs.tilt.dev/install.html',
  },
];

const USAGE = `Usage: npx zx scripts/bootstrap.mjs [options]

Creates the kind cluster "notas" (ctlptl, registry on ${REGISTRY}), installs the
Gateway API CRDs, Linkerd ${LINKERD_VERSION} with viz, metrics-server and Traefik,
generates the Secrets and the record pool, builds and deploys the app, and sends
one request through the ingress.

Options:
  --dry-run             print every command without running any
  --without-grafana     deploy k8s/overlays/dev-without-grafana instead of k8s/overlays/dev
  --ingress-url URL     where the ingress answers (default http://localhost:8080)
  --smoke-attempts N    tries for the smoke request, 2 s apart (default 60)
  --pool FILE           record pool for scripts/load.ts (default data/pool.json; kept if present)
  --pool-count N        records in a new pool (default 10000)
  --pool-seed N         seed for a new pool (default 2024)
  -h, --help            show this help
`;

class BootstrapError extends Error {}

/** Parses the command line; throws BootstrapError naming a bad option. */
export function parseOptions(argv) {
  const args = minimist(argv, {
    boolean: ['dry-run', 'without-grafana', 'help'],
    string: ['ingress-url', 'smoke-attempts', 'pool', 'pool-count', 'pool-seed'],
    alias: { h: 'help' },
    default: {
      'ingress-url': 'http://localhost:8080',
      'smoke-attempts': '60',
      pool: 'data/pool.json',
      'pool-count': '10000',
      'pool-seed': '2024',
    },
    unknown: (arg) => {
      if (arg.startsWith('-')) throw new BootstrapError(`unknown option ${arg}; see --help`);
      throw new BootstrapError(`unexpected argument "${arg}"; see --help`);
    },
  });

  const ingressUrl = URL.parse(args['ingress-url']);
  if (ingressUrl === null || (ingressUrl.protocol !== 'http:' && ingressUrl.protocol !== 'https:')) {
    throw new BootstrapError(`invalid --ingress-url "${args['ingress-url']}": expected an http:// or https:// URL`);
  }

  return {
    help: args.help,
    dryRun: args['dry-run'],
    withoutGrafana: args['without-grafana'],
    ingressUrl: ingressUrl.href.replace(/\/$/, ''),
    smokeAttempts: positiveInteger('smoke-attempts', args['smoke-attempts']),
    pool: args.pool,
    poolCount: positiveInteger('pool-count', args['pool-count']),
    poolSeed: positiveInteger('pool-seed', args['pool-seed']),
  };
}

function positiveInteger(option, raw) {
  if (!/^\d+$/.test(raw) || Number(raw) < 1) {
    throw new BootstrapError(`invalid --${option} "${raw}": expected a positive integer`);
  }
  return Number(raw);
}

/**
 * Creates the command runner. In dry-run mode it prints each command and
 * runs none; probes then report "not found", so the printed plan is the
 * one for an empty machine.
 */
function createRunner({ dryRun }) {
  const show = (cmd, args, note = '') => {
    console.log(chalk.gray(`+ ${[cmd, ...args].map(quote).join(' ')}${note}`));
  };

  /** Runs a command that changes something; its output goes to the terminal. */
  async function run(cmd, args, { input, inputNote } = {}) {
    const note = input === undefined ? '' : ` < ${inputNote ?? 'stdin'}`;
    show(cmd, args, note);
    if (dryRun) return '';

    const output = await $({ input, cwd: ROOT, verbose: false, quiet: true, nothrow: true })`${cmd} ${args}`;
    if (output.exitCode !== 0) {
      throw new BootstrapError(
        `${cmd} ${args.join(' ')} failed with exit code ${output.exitCode}:\n${output.stderr.trim() || output.stdout.trim()}`,
      );
    }
    if (output.stdout.trim() !== '') process.stdout.write(indent(output.stdout));
    return output.stdout;
  }

  /** Runs a command whose stdout feeds the next one (`a | b`), without a shell pipe. */
  async function pipe(producer, consumer) {
    show(producer.cmd, producer.args, ` | ${[consumer.cmd, ...consumer.args].map(quote).join(' ')}`);
    if (dryRun) return;

    const output = await $({ cwd: ROOT, quiet: true, nothrow: true })`${producer.cmd} ${producer.args}`;
    if (output.exitCode !== 0) {
      throw new BootstrapError(
        `${producer.cmd} ${producer.args.join(' ')} failed with exit code ${output.exitCode}:\n${output.stderr.trim()}`,
      );
    }
    await run(consumer.cmd, consumer.args, { input: output.stdout, inputNote: `output of ${producer.cmd}` });
  }

  /** Runs a read-only check; true when it exits 0. */
  async function probe(cmd, args) {
    show(cmd, args, '   (check)');
    if (dryRun) return false;

    const output = await $({ cwd: ROOT, quiet: true, nothrow: true })`${cmd} ${args}`;
    return output.exitCode === 0;
  }

  return { run, pipe, probe, dryRun };
}

function indent(text) {
  return text
    .trimEnd()
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n')
    .concat('\n');
}

function step(title) {
  console.log(chalk.bold.cyan(`\n==> ${title}`));
}

/** Returns [major, minor, patch] of the first x.y.z in text, or null. */
export function parseVersion(text) {
  const match = /(\d+)\.(\d+)\.(\d+)/.exec(text);
  return match ? match.slice(1, 4).map(Number) : null;
}

function isAtLeast(found, minimum) {
  for (let i = 0; i < 3; i++) {
    if (found[i] !== minimum[i]) return found[i] > minimum[i];
  }
  return true;
}

/** Checks every prerequisite; throws one error listing all that are missing or too old. */
async function checkPrerequisites(runner) {
  step('Checking prerequisites');
  const problems = [];

  for (const tool of PREREQUISITES) {
    const label = tool.exact ?? (tool.below ? `>= ${tool.minimum}, < ${tool.below}` : `>= ${tool.minimum}`);
    if (runner.dryRun) {
      // Looking a name up on PATH runs nothing, so a dry run can still report what is missing.
      const found = which.sync(tool.name, { nothrow: true });
      console.log(chalk.gray(`+ ${[tool.name, ...tool.versionArgs].map(quote).join(' ')}   (check ${label})`));
      if (!found) console.log(chalk.yellow(`    warning: ${tool.name} not found on PATH; a real run stops here. Install: ${tool.hint}`));
      continue;
    }

    const path = which.sync(tool.name, { nothrow: true });
    if (!path) {
      report(problems, tool, `${tool.name} not found on PATH (need ${label}); install: ${tool.hint}`);
      continue;
    }

    const output = await $({ quiet: true, nothrow: true })`${tool.name} ${tool.versionArgs}`;
    const text = `${output.stdout}${output.stderr}`.trim();
    if (tool.exact) {
      if (!text.includes(tool.exact)) {
        report(problems, tool, `${tool.name} is "${firstLine(text)}", need ${tool.exact}; install: ${tool.hint}`);
        continue;
      }
    } else {
      // `docker version` exits 1 when the daemon is down but still prints the
      // client version, so a parsed version counts whatever the exit code.
      const found = parseVersion(text);
      if (!found) {
        report(problems, tool, `${tool.name} did not report a version (${firstLine(text) || `exit ${output.exitCode}`}); check: ${tool.hint}`);
        continue;
      }
      if (!isAtLeast(found, parseVersion(tool.minimum))) {
        report(problems, tool, `${tool.name} ${found.join('.')} is older than ${tool.minimum}; upgrade: ${tool.hint}`);
        continue;
      }
      if (tool.below && isAtLeast(found, parseVersion(tool.below))) {
        report(problems, tool, `${tool.name} ${found.join('.')} is too new: need below ${tool.below}; install: ${tool.hint}`);
        continue;
      }
    }
    if (tool.readyArgs) {
      const ready = await $({ quiet: true, nothrow: true })`${tool.name} ${tool.readyArgs}`;
      if (ready.exitCode !== 0) {
        report(problems, tool, `${tool.name} daemon is not reachable (${firstLine(ready.stderr.trim()) || `exit ${ready.exitCode}`}); ${tool.notReadyHint}`);
        continue;
      }
    }
    console.log(`    ${tool.name}: ${firstLine(text)}`);
  }

  if (problems.length > 0) {
    throw new BootstrapError(`missing prerequisites:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

function report(problems, tool, message) {
  if (tool.optional) {
    console.log(chalk.yellow(`    warning: ${message} (optional: needed for \`tilt up\` only)`));
    return;
  }
  problems.push(message);
}

function firstLine(text) {
  return text.split('\n')[0].trim();
}

async function ensureCluster({ run, probe }) {
  step(`Cluster ${CLUSTER} and registry ${REGISTRY} (ctlptl)`);

  // `ctlptl apply` deletes and recreates a cluster whose settings differ from
  // the file, which would drop its data; an existing cluster is kept as is.
  if (await probe('ctlptl', ['get', 'cluster', CLUSTER, '-o', 'name'])) {
    console.log(`    cluster ${CLUSTER} exists; keeping it (run scripts/teardown.mjs to start over)`);
  } else {
    await run('ctlptl', ['apply', '-f', 'k8s/cluster.yaml']);
  }
}

async function installGatewayApi({ run }) {
  step(`Gateway API CRDs ${GATEWAY_API_VERSION} (standard channel)`);
  // Server-side apply: the CRDs are too large for the last-applied annotation.
  await run('kubectl', ['--context', CLUSTER, 'apply', '--server-side', '--force-conflicts', '-f', GATEWAY_API_URL]);
}

async function installLinkerd({ run, pipe, probe }) {
  step(`Linkerd ${LINKERD_VERSION}: CRDs, control plane, viz`);

  // `linkerd install` refuses a cluster that has the ConfigMap linkerd-config,
  // even from a half-finished install, and installing again with
  // --ignore-cluster would issue a new trust anchor; `upgrade` keeps it.
  const installed = await probe('kubectl', ['--context', CLUSTER, '-n', 'linkerd', 'get', 'configmap', 'linkerd-config', '-o', 'name']);
  const verb = installed ? 'upgrade' : 'install';
  const kubectlApply = { cmd: 'kubectl', args: ['--context', CLUSTER, 'apply', '-f', '-'] };

  // The Gateway API CRDs belong to the step before; Linkerd must not own them.
  await pipe({ cmd: 'linkerd', args: ['--context', CLUSTER, verb, '--crds', '--set', 'installGatewayAPI=false'] }, kubectlApply);
  // Native sidecars: the proxy starts before the app container and stops
  // after it, so requests still in flight while the app drains get through.
  await pipe({ cmd: 'linkerd', args: ['--context', CLUSTER, verb, '--set', 'proxy.nativeSidecar=true'] }, kubectlApply);
  await run('linkerd', ['--context', CLUSTER, 'check']);

  await pipe({ cmd: 'linkerd', args: ['--context', CLUSTER, 'viz', 'install'] }, kubectlApply);
  await run('linkerd', ['--context', CLUSTER, 'viz', 'check']);
}

async function installMetricsServer({ run }) {
  step(`metrics-server (chart ${METRICS_SERVER_CHART.version})`);
  await run('helm', ['repo', 'add', 'metrics-server', METRICS_SERVER_CHART.repo, '--force-update']);
  // kind's kubelets serve self-signed certificates.
  await run('helm', [
    'upgrade', '--install', 'metrics-server', 'metrics-server/metrics-server',
    '--kube-context', CLUSTER,
    '--namespace', 'kube-system',
    '--version', METRICS_SERVER_CHART.version,
    '--set', 'args={--kubelet-insecure-tls}',
    '--wait', '--timeout', '5m',
  ]);
}

async function installTraefik({ run }) {
  step(`Traefik (chart ${TRAEFIK_CHART.version}), meshed by Linkerd`);
  await run('helm', ['repo', 'add', 'traefik', TRAEFIK_CHART.repo, '--force-update']);
  await run('helm', [
    'upgrade', '--install', 'traefik', 'traefik/traefik',
    '--kube-context', CLUSTER,
    '--namespace', 'traefik', '--create-namespace',
    '--version', TRAEFIK_CHART.version,
    '--values', 'k8s/traefik/values.yaml',
    '--wait', '--timeout', '5m',
  ]);
}

/** 24 random bytes as hex: 192 bits, and safe inside a URL without escaping. */
function newPassword() {
  return randomBytes(24).toString('hex');
}

async function ensureSecrets({ run, probe, dryRun }) {
  step(`Namespace ${NAMESPACE} and Secrets`);
  await run('kubectl', ['--context', CLUSTER, 'apply', '-f', 'k8s/base/namespace.yaml']);

  const secrets = [
    { name: 'notas-mongodb', data: () => ({ username: 'notas', password: newPassword() }) },
    { name: 'notas-redis', data: () => ({ password: newPassword() }) },
    { name: 'grafana-admin', data: () => ({ 'admin-user': 'admin', 'admin-password': newPassword() }) },
  ];
  for (const secret of secrets) {
    // An existing Secret is kept: MongoDB stores its root password in its
    // volume on first start, so a new password would lock the app out.
    if (await probe('kubectl', ['--context', CLUSTER, '-n', NAMESPACE, 'get', 'secret', secret.name, '-o', 'name'])) {
      console.log(`    secret ${secret.name} exists; keeping it`);
      continue;
    }
    // The manifest goes through stdin, so no password appears in a process list or in this output.
    const manifest = JSON.stringify({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: secret.name, namespace: NAMESPACE, labels: { 'app.kubernetes.io/part-of': 'notas' } },
      type: 'Opaque',
      // The dry run never sends the manifest, so it generates no password.
      stringData: dryRun ? {} : secret.data(),
    });
    await run('kubectl', ['--context', CLUSTER, 'apply', '-f', '-'], { input: manifest, inputNote: `Secret ${secret.name} (generated values, not shown)` });
  }
}

async function ensurePool({ run }, options) {
  step('Record pool for the load script');
  if (!options.dryRun && existsSync(new URL(options.pool, `file://${ROOT}`))) {
    console.log(`    ${options.pool} exists; keeping it`);
    return;
  }
  await run('npx', ['tsx', 'scripts/generate.ts', '--count', String(options.poolCount), '--seed', String(options.poolSeed), '--out', options.pool]);
}

async function buildImages({ run }) {
  step(`Images (pushed to ${REGISTRY})`);
  for (const image of IMAGES) {
    await run('docker', ['build', '--target', 'runtime', '-f', image.dockerfile, '-t', image.name, '.']);
    await run('docker', ['push', image.name]);
  }
}

async function deployApp({ run, probe }, options) {
  const overlay = options.withoutGrafana ? 'k8s/overlays/dev-without-grafana' : 'k8s/overlays/dev';
  step(`Application (${overlay})`);
  // Every build is pushed under the same tag, so an unchanged pod template
  // would keep the old image: restart the routes that were already there, and
  // the dev overlay's imagePullPolicy Always fetches the new push.
  const routes = ['deployment/route-grpc-server', 'deployment/route-grpc', 'deployment/route-cache'];
  const existing = [];
  for (const route of routes) {
    if (await probe('kubectl', ['--context', CLUSTER, '-n', NAMESPACE, 'get', route, '-o', 'name'])) existing.push(route);
  }
  await run('kubectl', ['--context', CLUSTER, 'apply', '-k', overlay]);
  if (existing.length > 0) await run('kubectl', ['--context', CLUSTER, '-n', NAMESPACE, 'rollout', 'restart', ...existing]);

  const workloads = ['statefulset/mongodb', 'statefulset/redis', 'deployment/route-grpc-server', 'deployment/route-grpc', 'deployment/route-cache'];
  if (!options.withoutGrafana) workloads.push('deployment/grafana');
  for (const workload of workloads) {
    await run('kubectl', ['--context', CLUSTER, '-n', NAMESPACE, 'rollout', 'status', workload, '--timeout', '5m']);
  }
}

/** Returns the record that the smoke request stores; its fixed key makes a rerun store nothing new. */
function smokeRecord() {
  return { carnet: 999999999, nombre: 'Bootstrap Smoke', curso: 'SO1', nota: 100, semestre: '1S', year: new Date().getUTCFullYear() };
}

/**
 * POSTs one record through the ingress and checks that a route responded
 * (x-ruta is grpc or cache). Retries while the ingress and proxies warm up.
 */
async function smokeTest(options) {
  const url = `${options.ingressUrl}/notas`;
  step(`Smoke request: POST ${url}`);
  if (options.dryRun) {
    console.log(chalk.gray(`+ POST ${url} (expects 200 or 201 with x-ruta: grpc or cache)`));
    return;
  }

  let lastProblem = '';
  for (let attempt = 1; attempt <= options.smokeAttempts; attempt++) {
    lastProblem = await smokeAttempt(url);
    if (lastProblem === '') return;
    if (attempt < options.smokeAttempts) await sleep(2000);
  }
  const attempts = options.smokeAttempts === 1 ? '1 attempt' : `${options.smokeAttempts} attempts`;
  throw new BootstrapError(`smoke request failed after ${attempts}: ${lastProblem}`);
}

async function smokeAttempt(url) {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': 'bootstrap-smoke' },
      body: JSON.stringify(smokeRecord()),
      signal: AbortSignal.timeout(10_000),
    });
    const body = await response.text();
    const ruta = response.headers.get('x-ruta');
    if (response.status !== 200 && response.status !== 201) return `status ${response.status}, body ${body.slice(0, 200)}`;
    if (ruta !== 'grpc' && ruta !== 'cache') return `response without x-ruta grpc or cache (got ${ruta === null ? 'no header' : `"${ruta}"`})`;

    console.log(`    ${response.status} from route ${ruta}: ${body.trim()}`);
    return '';
  } catch (error) {
    return `${error.cause?.code ?? error.name}: ${error.cause?.message ?? error.message}`;
  }
}

function printUrls(options) {
  step(options.dryRun ? 'Ready (dry run: these are the URLs a real run prints)' : 'Ready');
  console.log(`    Ingress:      ${options.ingressUrl}/notas   (POST records; Linkerd splits 50/50 between routes)`);
  if (!options.withoutGrafana) {
    console.log('    Grafana:      http://localhost:3000   (user admin; password:');
    console.log(`                  kubectl --context ${CLUSTER} -n ${NAMESPACE} get secret grafana-admin -o jsonpath='{.data.admin-password}' | base64 -d)`);
  }
  console.log(`    Linkerd viz:  linkerd --context ${CLUSTER} viz dashboard`);
  console.log(`    Autoscaling:  kubectl --context ${CLUSTER} -n ${NAMESPACE} get hpa`);
  console.log(`    Load:         npx tsx scripts/load.ts --url ${options.ingressUrl}/notas --duration 30s`);
  console.log('    Live reload:  tilt up');
}

async function main() {
  let options;
  try {
    options = parseOptions(scriptArguments(process.argv, fileURLToPath(import.meta.url)));
  } catch (error) {
    if (!(error instanceof BootstrapError)) throw error;
    console.error(chalk.red(`bootstrap: ${error.message}`));
    process.exit(2);
  }
  if (options.help) {
    process.stdout.write(USAGE);
    return;
  }

  const runner = createRunner(options);
  if (options.dryRun) console.log(chalk.yellow('dry run: printing the commands, running none'));

  try {
    await checkPrerequisites(runner);
    await ensureCluster(runner);
    await installGatewayApi(runner);
    await installLinkerd(runner);
    await installMetricsServer(runner);
    await installTraefik(runner);
    await ensureSecrets(runner);
    await ensurePool(runner, options);
    await buildImages(runner);
    await deployApp(runner, options);
    await smokeTest(options);
    printUrls(options);
  } catch (error) {
    if (!(error instanceof BootstrapError)) throw error;
    console.error(chalk.red(`\nbootstrap: ${error.message}`));
    process.exit(1);
  }
}

/**
 * Returns the arguments after this script's path: `node scripts/bootstrap.mjs`
 * and `npx zx scripts/bootstrap.mjs` put different things before it.
 */
export function scriptArguments(argv, scriptPath) {
  const index = argv.findIndex((arg, i) => i > 0 && resolve(arg) === scriptPath);
  return index === -1 ? argv.slice(2) : argv.slice(index + 1);
}

await main();
