/**
 * Reads the committed Grafana files (provisioning YAML, dashboard JSON and
 * the Grafana manifest) for the grafana tests.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';

export const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const GRAFANA_DIR = join(REPO_ROOT, 'grafana');
export const DASHBOARDS_DIR = join(GRAFANA_DIR, 'dashboards');

export interface PanelJson {
  id: number;
  type: string;
  title: string;
  description?: string;
  datasource?: { type?: string; uid?: string };
  targets?: Array<Record<string, unknown> & { refId: string; datasource?: { type?: string; uid?: string } }>;
  transformations?: Array<{ id: string; options: unknown }>;
  fieldConfig?: { defaults?: { unit?: string } };
}

export interface DashboardJson {
  uid: string;
  title: string;
  description?: string;
  panels: PanelJson[];
  templating?: { list: Array<{ name: string; type: string; query?: string; current?: { value?: string } }> };
}

export interface CommittedDashboard {
  file: string;
  text: string;
  json: DashboardJson;
}

export function readText(...path: string[]): string {
  return readFileSync(join(REPO_ROOT, ...path), 'utf8');
}

export function readYaml<T = any>(...path: string[]): T {
  return parse(readText(...path)) as T;
}

/** Parses every document of a multi-document YAML file. */
export function readYamlDocuments(...path: string[]): any[] {
  return parseAllDocuments(readText(...path)).map((document) => document.toJS());
}

export function committedDashboards(): CommittedDashboard[] {
  return readdirSync(DASHBOARDS_DIR)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => {
      const text = readFileSync(join(DASHBOARDS_DIR, file), 'utf8');
      return { file, text, json: JSON.parse(text) as DashboardJson };
    });
}

export function committedDashboard(uid: string): DashboardJson {
  const found = committedDashboards().find((dashboard) => dashboard.json.uid === uid);
  if (found === undefined) throw new Error(`dashboard ${uid} not found in ${DASHBOARDS_DIR}`);
  return found.json;
}

export function panelByTitle(dashboard: DashboardJson, title: string): PanelJson {
  const panel = dashboard.panels.find((candidate) => candidate.title === title);
  if (panel === undefined) throw new Error(`panel "${title}" not found in dashboard ${dashboard.uid}`);
  return panel;
}

/** Returns the current value of each dashboard variable, as Grafana substitutes it on load. */
export function variableValues(dashboard: DashboardJson): Record<string, string> {
  const values: Record<string, string> = {};
  for (const variable of dashboard.templating?.list ?? []) {
    if (variable.current?.value !== undefined) values[variable.name] = variable.current.value;
  }
  return values;
}

/**
 * Substitutes `$name`, `${name}` and `[[name]]` like Grafana's template
 * service: a name that is neither a given variable nor a time macro is left
 * as it is, which is how `$curso` reaches MongoDB untouched.
 */
export function interpolate(text: string, values: Record<string, string>): string {
  const pattern = /\$(\w+)|\[\[(\w+)\]\]|\$\{(\w+)\}/g;
  return text.replace(pattern, (match, plain?: string, brackets?: string, braces?: string) => {
    const name = plain ?? brackets ?? braces ?? '';
    return Object.hasOwn(values, name) ? values[name] : match;
  });
}
