/**
 * Renders the kustomizations under k8s/ with `kubectl kustomize` and looks
 * objects up in the result, for the manifest tests.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { parseAllDocuments } from 'yaml';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Kustomizations that the cluster path applies, relative to the repository root. */
export const KUSTOMIZATIONS = ['k8s/base', 'k8s/overlays/dev', 'k8s/overlays/dev-without-grafana'] as const;

// A rendered object; JSON as kubectl would send it.
export type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: any;
};

/** Runs `kubectl kustomize DIR` and returns the objects it prints. */
export function render(dir: string): K8sObject[] {
  const output = execFileSync('kubectl', ['kustomize', dir], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  return parseAllDocuments(output).map((doc) => {
    if (doc.errors.length > 0) throw new Error(`kubectl kustomize ${dir}: invalid YAML: ${doc.errors[0].message}`);
    return doc.toJS() as K8sObject;
  });
}

/** Returns "Kind/name", the way kubectl names an object. */
export function idOf(object: K8sObject): string {
  return `${object.kind}/${object.metadata.name}`;
}

export function ofKind(objects: K8sObject[], kind: string): K8sObject[] {
  return objects.filter((object) => object.kind === kind);
}

/** Returns the one object of that kind and name; throws naming it when absent. */
export function find(objects: K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((object) => object.kind === kind && object.metadata.name === name);
  if (!found) throw new Error(`${kind}/${name} not found in the rendered objects`);
  return found;
}

/** Pod templates of the workloads, with the workload's id. */
export function podSpecs(objects: K8sObject[]): { id: string; spec: any; annotations: Record<string, string> }[] {
  return objects
    .filter((object) => ['Deployment', 'StatefulSet', 'DaemonSet'].includes(object.kind))
    .map((object) => ({
      id: idOf(object),
      spec: object.spec.template.spec,
      annotations: object.spec.template.metadata?.annotations ?? {},
    }));
}
