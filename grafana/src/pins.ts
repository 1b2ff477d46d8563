/**
 * Versions and identifiers that the dashboards, the datasource provisioning
 * file and the Grafana manifest must agree on. test/grafana-config.test.ts
 * checks the YAML files against these values.
 */

/**
 * Grafana 11.6 is the newest line on which both datasource plugins are known
 * to load: redis-datasource 2.2.0 fails to load its module.js on 12.2.0
 * (RedisGrafana/grafana-redis-datasource#336), and a 12.3.1 install lists
 * haohanyang-mongodb-datasource as an Enterprise plugin that cannot be used
 * (haohanyang/mongodb-datasource#82). 11.6 also has `[plugins] preinstall`
 * (added in 11.5), so no init container or custom image is needed.
 */
export const GRAFANA_IMAGE = 'docker.io/grafana/grafana:11.6.16';

/** Redis datasource, signed and published in the Grafana catalog. */
export const REDIS_PLUGIN = { id: 'redis-datasource', version: '2.2.0' } as const;

/**
 * Community MongoDB datasource. It is not in the Grafana catalog and is
 * unsigned, so it is downloaded from its GitHub release and allow-listed in
 * `allow_loading_unsigned_plugins`.
 */
export const MONGODB_PLUGIN = {
  id: 'haohanyang-mongodb-datasource',
  version: '0.5.0',
  url: 'https://github.com/haohanyang/mongodb-datasource/releases/download/v0.5.0/haohanyang-mongodb-datasource-0.5.0.zip',
} as const;

/** Datasource uids fixed in provisioning so the dashboards can reference them. */
export const DATASOURCES = {
  mongodb: { type: MONGODB_PLUGIN.id, uid: 'notas-mongodb' },
  redis: { type: REDIS_PLUGIN.id, uid: 'notas-redis' },
  prometheus: { type: 'prometheus', uid: 'linkerd-prometheus' },
} as const;

/** Value of GF_PLUGINS_PREINSTALL: `id@version` from the catalog, `id@version@url` otherwise. */
export function preinstallList(): string {
  return [
    `${REDIS_PLUGIN.id}@${REDIS_PLUGIN.version}`,
    `${MONGODB_PLUGIN.id}@${MONGODB_PLUGIN.version}@${MONGODB_PLUGIN.url}`,
  ].join(',');
}
