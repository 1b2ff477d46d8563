import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseAllDocuments } from 'yaml';
import { DASHBOARDS, dashboardJson } from '../grafana/src/index.ts';
import { DATASOURCES, GRAFANA_IMAGE, MONGODB_PLUGIN, REDIS_PLUGIN, preinstallList } from '../grafana/src/pins.ts';
import {
  committedDashboards,
  DASHBOARDS_DIR,
  GRAFANA_DIR,
  readText,
  readYaml,
  readYamlDocuments,
  variableValues,
  type PanelJson,
} from './helpers/grafana.ts';
import { FERRETDB_STAGES, mongoTargets, pipelineOf } from './helpers/grafana-replay.ts';
import { DEFAULT_PASSING_GRADE } from '../lib/record.ts';

const ENV_REFERENCE = /^\$__env\{([A-Z0-9_]+)\}$/;

const datasourcesFile = () => readYaml('grafana', 'provisioning', 'datasources', 'datasources.yaml');
const providerFile = () => readYaml('grafana', 'provisioning', 'dashboards', 'provider.yaml');
const manifest = () => readYamlDocuments('k8s', 'base', 'grafana.yaml');
const deployment = () => manifest().find((document) => document.kind === 'Deployment');
const container = () => deployment().spec.template.spec.containers[0];
const envOf = (name: string) => container().env.find((entry: { name: string }) => entry.name === name);

function stringValues(node: unknown): string[] {
  if (typeof node === 'string') return [node];
  if (Array.isArray(node)) return node.flatMap(stringValues);
  if (node !== null && typeof node === 'object') return Object.values(node).flatMap(stringValues);
  return [];
}

function panelDatasourceUids(panel: PanelJson): string[] {
  const uids = (panel.targets ?? []).map((target) => target.datasource?.uid ?? panel.datasource?.uid);
  if (panel.datasource?.uid !== undefined) uids.push(panel.datasource.uid);
  return uids.filter((uid): uid is string => uid !== undefined);
}

const datasources = suite('grafana datasources');

datasources('datasources have pinned types and uids', () => {
  const file = datasourcesFile();
  assert.is(file.apiVersion, 1);

  const byUid = new Map(file.datasources.map((entry: { uid: string }) => [entry.uid, entry]));
  for (const expected of Object.values(DATASOURCES)) {
    const entry = byUid.get(expected.uid) as { type: string } | undefined;
    assert.ok(entry, `datasource uid ${expected.uid} missing`);
    assert.is(entry.type, expected.type, `type of ${expected.uid}`);
  }
  assert.is(file.datasources.length, Object.keys(DATASOURCES).length);
});

datasources('datasource credentials come from env', () => {
  const file = datasourcesFile();

  for (const entry of file.datasources) {
    for (const [key, value] of Object.entries(entry.secureJsonData ?? {})) {
      assert.match(String(value), ENV_REFERENCE, `${entry.uid}.secureJsonData.${key} must be $__env{...}`);
    }
  }
  const mongo = file.datasources.find((entry: { uid: string }) => entry.uid === DATASOURCES.mongodb.uid);
  assert.match(mongo.jsonData.username, ENV_REFERENCE);
  assert.ok(mongo.secureJsonData.password, 'mongodb password missing');

  const redis = file.datasources.find((entry: { uid: string }) => entry.uid === DATASOURCES.redis.uid);
  assert.ok(redis.secureJsonData.password, 'redis password missing');
});

datasources('datasource file has no secret literals', () => {
  const text = readText('grafana', 'provisioning', 'datasources', 'datasources.yaml');
  const secretLines = text.split('\n').filter((line) => /^\s*(password|username|user|token|apiKey|basicAuthPassword)\s*:/.test(line));

  assert.ok(secretLines.length >= 3, 'expected username and password lines');
  for (const line of secretLines) {
    assert.match(line, /:\s*\$__env\{[A-Z0-9_]+\}\s*$/, `literal credential in: ${line.trim()}`);
  }
  assert.not.match(text, /mongodb:\/\/[^\s]*@/, 'a connection string with credentials');
});

datasources('env references are set by the deployment', () => {
  const names = stringValues(datasourcesFile()).flatMap((value) => [...value.matchAll(/\$__env\{([A-Z0-9_]+)\}/g)].map((match) => match[1]));

  assert.equal([...new Set(names)].sort(), ['NOTAS_MONGODB_PASSWORD', 'NOTAS_MONGODB_USERNAME', 'NOTAS_REDIS_PASSWORD']);
  for (const name of names) {
    const entry = envOf(name);
    assert.ok(entry, `${name} not set in k8s/base/grafana.yaml`);
    assert.ok(entry.valueFrom?.secretKeyRef, `${name} must come from a Secret`);
  }
  assert.equal(envOf('NOTAS_MONGODB_USERNAME').valueFrom.secretKeyRef, { name: 'notas-mongodb', key: 'username' });
  assert.equal(envOf('NOTAS_MONGODB_PASSWORD').valueFrom.secretKeyRef, { name: 'notas-mongodb', key: 'password' });
  assert.equal(envOf('NOTAS_REDIS_PASSWORD').valueFrom.secretKeyRef, { name: 'notas-redis', key: 'password' });
});

datasources.run();

const deploymentSuite = suite('grafana deployment');

deploymentSuite('image and plugins are pinned', () => {
  assert.is(container().image, GRAFANA_IMAGE);
  assert.not.match(GRAFANA_IMAGE, /:latest$/);
  assert.match(GRAFANA_IMAGE, /:11\.6\.\d+$/);

  assert.is(envOf('GF_PLUGINS_PREINSTALL').value, preinstallList());
  for (const entry of preinstallList().split(',')) {
    assert.match(entry, /^[a-z0-9-]+@\d+\.\d+\.\d+(@https:\/\/\S+)?$/, `unpinned plugin ${entry}`);
  }
  assert.ok(preinstallList().includes(`${REDIS_PLUGIN.id}@${REDIS_PLUGIN.version}`));
  assert.ok(preinstallList().includes(`${MONGODB_PLUGIN.id}@${MONGODB_PLUGIN.version}@`));
  assert.ok(MONGODB_PLUGIN.url.includes(`v${MONGODB_PLUGIN.version}/`), 'download URL names another version');

  assert.is(envOf('GF_PLUGINS_PREINSTALL_ASYNC').value, 'false');
  assert.is(envOf('GF_PLUGINS_ALLOW_LOADING_UNSIGNED_PLUGINS').value, MONGODB_PLUGIN.id);
});

deploymentSuite('admin credentials come from secret', () => {
  assert.equal(envOf('GF_SECURITY_ADMIN_USER').valueFrom.secretKeyRef, { name: 'grafana-admin', key: 'admin-user' });
  assert.equal(envOf('GF_SECURITY_ADMIN_PASSWORD').valueFrom.secretKeyRef, { name: 'grafana-admin', key: 'admin-password' });

  for (const entry of container().env) {
    if (/PASSWORD|USER$|TOKEN|SECRET/.test(entry.name)) assert.ok(entry.valueFrom, `${entry.name} is a literal`);
  }
});

deploymentSuite('mounts provisioning and dashboards', () => {
  const spec = deployment().spec.template.spec;
  const volumes = new Map(spec.volumes.map((volume: { name: string }) => [volume.name, volume]));
  const mounts = new Map(container().volumeMounts.map((mount: { mountPath: string; name: string }) => [mount.mountPath, mount.name]));
  const configMapAt = (path: string) => (volumes.get(mounts.get(path) as string) as { configMap?: { name: string } } | undefined)?.configMap?.name;
  const emptyDirAt = (path: string) => (volumes.get(mounts.get(path) as string) as { emptyDir?: object } | undefined)?.emptyDir;

  assert.is(configMapAt('/etc/grafana/provisioning/datasources'), 'grafana-datasources');
  assert.is(configMapAt('/etc/grafana/provisioning/dashboards'), 'grafana-dashboard-provider');
  assert.is(configMapAt(providerFile().providers[0].options.path), 'grafana-dashboards');
  assert.ok(emptyDirAt('/var/lib/grafana'), '/var/lib/grafana must be an emptyDir');
  assert.ok(emptyDirAt('/tmp'), '/tmp must be an emptyDir');

  const home = envOf('GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH').value as string;
  assert.ok(home.startsWith(`${providerFile().providers[0].options.path}/`), `home dashboard ${home} outside the dashboards mount`);
  assert.ok(DASHBOARDS.some(({ file }) => home.endsWith(`/${file}`)), `home dashboard ${home} is not generated`);
});

deploymentSuite('runs hardened and meshed', () => {
  const template = deployment().spec.template;
  const securityContext = container().securityContext;

  assert.is(template.metadata.annotations['linkerd.io/inject'], 'enabled');
  assert.is(template.spec.securityContext.runAsNonRoot, true);
  assert.is(securityContext.readOnlyRootFilesystem, true);
  assert.is(securityContext.allowPrivilegeEscalation, false);
  assert.equal(securityContext.capabilities.drop, ['ALL']);
  for (const kind of ['requests', 'limits']) {
    assert.ok(container().resources[kind].cpu, `${kind}.cpu missing`);
    assert.ok(container().resources[kind].memory, `${kind}.memory missing`);
  }
  for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
    assert.is(container()[probe].httpGet.path, '/api/health', probe);
  }
  assert.is(template.spec.serviceAccountName, 'grafana');
  assert.is(template.metadata.labels['app.kubernetes.io/name'], 'grafana');
});

deploymentSuite('service exposes http on 3000', () => {
  const service = manifest().find((document) => document.kind === 'Service');

  assert.is(service.metadata.name, 'grafana');
  assert.equal(service.spec.ports, [{ name: 'http', port: 3000, targetPort: 'http', appProtocol: 'http' }]);
  assert.equal(service.spec.selector, deployment().spec.selector.matchLabels);
});

deploymentSuite('objects validate as kubernetes models', async () => {
  const { ServiceAccount } = await import('kubernetes-models/v1/ServiceAccount');
  const { Service } = await import('kubernetes-models/v1/Service');
  const { Deployment } = await import('kubernetes-models/apps/v1/Deployment');
  const models: Record<string, new (data: any) => { validate(): void }> = { ServiceAccount, Service, Deployment };

  const kinds = manifest().map((document) => document.kind);
  assert.equal(kinds, ['ServiceAccount', 'Deployment', 'Service']);
  for (const document of manifest()) {
    new models[document.kind](document).validate();
  }
});

deploymentSuite.run();

const kustomize = suite('grafana kustomize');

function kustomizeBuild(dir: string): any[] {
  const output = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', timeout: 60_000 });
  return parseAllDocuments(output).map((document) => document.toJS());
}

kustomize('renders the three configmaps', () => {
  const objects = kustomizeBuild(GRAFANA_DIR);
  const names = objects.map((object) => `${object.kind}/${object.metadata.name.replace(/-[a-z0-9]{10}$/, '')}`);

  assert.equal(names.sort(), ['ConfigMap/grafana-dashboard-provider', 'ConfigMap/grafana-dashboards', 'ConfigMap/grafana-datasources']);
  for (const object of objects) assert.is(object.metadata.namespace, undefined, `${object.metadata.name} sets a namespace`);

  const dashboards = objects.find((object) => object.metadata.name.startsWith('grafana-dashboards'));
  assert.equal(Object.keys(dashboards.data).sort(), DASHBOARDS.map(({ file }) => file).sort());
});

kustomize('kustomization lists only generators', () => {
  const kustomization = readYaml('grafana', 'kustomization.yaml');
  const keys = Object.keys(kustomization).filter((key) => key !== 'apiVersion' && key !== 'kind');

  assert.equal(keys, ['configMapGenerator']);
});

kustomize('linkerd-viz policy targets prometheus', () => {
  const [policy, ...rest] = kustomizeBuild(join(GRAFANA_DIR, 'linkerd-viz'));

  assert.is(rest.length, 0);
  assert.is(policy.kind, 'AuthorizationPolicy');
  assert.is(policy.metadata.namespace, 'linkerd-viz');
  assert.ok(policy.metadata.name.startsWith('grafana'), 'name must start with grafana');
  assert.equal(policy.spec.targetRef, { group: 'policy.linkerd.io', kind: 'Server', name: 'prometheus-admin' });
  assert.equal(policy.spec.requiredAuthenticationRefs, [{ kind: 'ServiceAccount', name: 'grafana', namespace: 'notas' }]);

  const serviceAccount = manifest().find((document) => document.kind === 'ServiceAccount');
  assert.is(serviceAccount.metadata.name, 'grafana');
});

kustomize.run();

const provider = suite('grafana dashboard provider');

provider('loads files into folder Notas', () => {
  const file = providerFile();

  assert.is(file.apiVersion, 1);
  assert.is(file.providers.length, 1);
  assert.is(file.providers[0].type, 'file');
  assert.is(file.providers[0].folder, 'Notas');
  assert.is(file.providers[0].allowUiUpdates, false);
  assert.is(file.providers[0].options.path, '/etc/grafana/dashboards');
});

provider.run();

const dashboards = suite('grafana dashboards');

dashboards('committed json matches a fresh build', () => {
  const committed = readdirSync(DASHBOARDS_DIR).filter((file) => file.endsWith('.json')).sort();
  assert.equal(committed, DASHBOARDS.map(({ file }) => file).sort(), 'grafana/dashboards/ has other files than the build writes');

  for (const { file, build } of DASHBOARDS) {
    const text = readText('grafana', 'dashboards', file);
    assert.ok(text === dashboardJson(build()), `grafana/dashboards/${file} is stale: run npm run dashboards and commit the result`);
  }
});

dashboards('titles are the spanish ones', () => {
  const titles = committedDashboards().map(({ json }) => json.title).sort();
  assert.equal(titles, ['Notas — MongoDB', 'Notas — Redis', 'Tráfico']);

  const panelTitles = Object.fromEntries(committedDashboards().map(({ json }) => [json.title, json.panels.map((panel) => panel.title)]));
  assert.equal(panelTitles['Notas — MongoDB'], [
    'Total de registros',
    'Registros por ruta',
    'Registros recibidos por minuto',
    'Registros por curso',
    'Promedio por curso',
    'Distribución de notas en rangos de 10',
    'Aprobados y reprobados por curso',
    'Registros por semestre y año',
    'Últimos registros',
  ]);
  assert.equal(panelTitles['Notas — Redis'], [
    'Total de registros',
    'Conteo por curso',
    'Promedio por curso',
    'Aprobados y reprobados por curso',
    'Distribución por rango',
    'Registros por semestre y año',
    'Últimos registros',
  ]);
  assert.equal(panelTitles['Tráfico'], [
    'Solicitudes por segundo por ruta',
    'Tasa de éxito por ruta',
    'Latencia p95 por ruta',
    'Reparto del tráfico por ruta',
  ]);
});

dashboards('panels have description and unit', () => {
  for (const { json } of committedDashboards()) {
    for (const panel of json.panels) {
      assert.ok((panel.description ?? '').length > 20, `${json.title} / ${panel.title}: missing description`);
      if (panel.type !== 'table') assert.ok(panel.fieldConfig?.defaults?.unit, `${json.title} / ${panel.title}: missing unit`);
    }
  }
});

dashboards('every datasource uid is provisioned', () => {
  const provisioned = new Set(datasourcesFile().datasources.map((entry: { uid: string }) => entry.uid));
  let references = 0;

  for (const { json } of committedDashboards()) {
    for (const panel of json.panels) {
      const uids = panelDatasourceUids(panel);
      assert.ok(uids.length > 0, `${json.title} / ${panel.title}: no datasource`);
      for (const uid of uids) {
        references += 1;
        assert.ok(provisioned.has(uid), `${json.title} / ${panel.title}: datasource uid ${uid} is not provisioned`);
      }
    }
  }
  assert.ok(references >= 20, `only ${references} datasource references`);
});

dashboards('dashboard uids are unique', () => {
  const uids = committedDashboards().map(({ json }) => json.uid);
  assert.is(new Set(uids).size, uids.length);
});

dashboards.run();

const pipelines = suite('grafana mongodb pipelines');

const RANGE = { from: new Date('2026-01-01T00:00:00Z'), to: new Date('2026-01-01T01:00:00Z') };

function everyPipeline() {
  return committedDashboards().flatMap(({ json }) =>
    json.panels.flatMap((panel) =>
      mongoTargets(panel).map((target) => ({ panel, target, pipeline: pipelineOf(json, target, RANGE, variableValues(json)) })),
    ),
  );
}

pipelines('stages stay in the ferretdb subset', () => {
  const all = everyPipeline();
  assert.ok(all.length >= 10, `only ${all.length} MongoDB queries`);

  for (const { panel, target, pipeline } of all) {
    for (const stage of pipeline) {
      const [name, ...more] = Object.keys(stage);
      assert.is(more.length, 0, `${panel.title} ${target.refId}: a stage with several operators`);
      assert.ok(FERRETDB_STAGES.includes(name), `${panel.title} ${target.refId}: ${name} is not run by FerretDB 1.24`);
    }
  }
});

pipelines('group has one accumulator', () => {
  for (const { panel, target, pipeline } of everyPipeline()) {
    for (const stage of pipeline.filter((candidate) => '$group' in candidate)) {
      const accumulators = Object.keys(stage.$group).filter((key) => key !== '_id');
      assert.is(accumulators.length, 1, `${panel.title} ${target.refId}: FerretDB 1.24 zeroes every accumulator after the first`);

      const [operator] = Object.keys(stage.$group[accumulators[0]]);
      assert.ok(['$sum', '$count'].includes(operator), `${panel.title} ${target.refId}: accumulator ${operator}`);
    }
  }
});

pipelines('project only includes or excludes', () => {
  for (const { panel, target, pipeline } of everyPipeline()) {
    for (const stage of pipeline.filter((candidate) => '$project' in candidate)) {
      for (const [field, value] of Object.entries(stage.$project)) {
        assert.ok(value === 0 || value === 1, `${panel.title} ${target.refId}: $project.${field} is an expression FerretDB 1.24 returns as a literal`);
      }
    }
  }
});

pipelines('time macros become dates', () => {
  const minute = everyPipeline().find(({ panel }) => panel.title === 'Registros recibidos por minuto');
  assert.ok(minute, 'per-minute panel missing');

  const match = minute.pipeline[0].$match.recibido;
  assert.instance(match.$gte, Date);
  assert.is(match.$gte.getTime(), RANGE.from.getTime());
  assert.is(match.$lte.getTime(), RANGE.to.getTime());
});

pipelines('passing grade variable is numeric', () => {
  const dashboard = committedDashboards().find(({ json }) => json.uid === 'notas-mongodb');
  assert.ok(dashboard);
  assert.is(variableValues(dashboard.json).nota_aprobacion, String(DEFAULT_PASSING_GRADE));

  const aprobados = everyPipeline().filter(({ panel }) => panel.title === 'Aprobados y reprobados por curso');
  assert.equal(aprobados.map(({ pipeline }) => pipeline[0].$match), [{ nota: { $gte: 61 } }, { nota: { $lt: 61 } }]);
});

pipelines('variable names are no field names', () => {
  const documentFields = ['carnet', 'nombre', 'curso', 'nota', 'semestre', 'year', 'ruta', 'recibido', 'aprobado', 'rango', 'minuto'];
  for (const { json } of committedDashboards()) {
    for (const name of Object.keys(variableValues(json))) {
      assert.not.ok(documentFields.includes(name), `variable ${name} would replace the field path $${name} in pipelines`);
    }
  }
});

pipelines.run();
