/**
 * The provisioned dashboards and how they are written to grafana/dashboards/.
 * `npm run dashboards` writes the files; the stale test compares them with
 * a fresh build.
 */
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { mongodbDashboard } from './mongodb.ts';
import { redisDashboard } from './redis.ts';
import { traficoDashboard } from './trafico.ts';

export interface DashboardFile {
  /** File name under grafana/dashboards/. */
  file: string;
  build: () => dashboard.Dashboard;
}

export const DASHBOARDS: readonly DashboardFile[] = [
  { file: 'notas-mongodb.json', build: mongodbDashboard },
  { file: 'notas-redis.json', build: redisDashboard },
  { file: 'trafico.json', build: traficoDashboard },
];

/** Serialises a dashboard exactly as it is committed: two-space JSON and a final newline. */
export function dashboardJson(model: dashboard.Dashboard): string {
  return `${JSON.stringify(model, null, 2)}\n`;
}
