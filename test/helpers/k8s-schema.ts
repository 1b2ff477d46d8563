/**
 * Validates rendered Kubernetes objects against kubernetes-models and
 * @kubernetes-models/gateway-api, in two passes:
 *
 * 1. The models' JSON Schema validators (`new Deployment(obj).validate()`):
 *    types, enums, required fields. These schemas allow unknown fields.
 * 2. The models' TypeScript interfaces, through the TypeScript compiler: each
 *    object becomes an object literal of its interface type, and the excess
 *    property check reports every field the API does not define, at any depth.
 */
import { join } from 'node:path';

import ts from 'typescript';
import * as apps from 'kubernetes-models/apps/v1';
import * as autoscaling from 'kubernetes-models/autoscaling/v2';
import * as core from 'kubernetes-models/v1';
import * as networking from 'kubernetes-models/networking.k8s.io/v1';
import * as gateway from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1';

import { ROOT, idOf, type K8sObject } from './k8s-render.ts';

type ModelClass = new (data: any) => { validate(): void };

// Linkerd's AuthorizationPolicy (policy.linkerd.io/v1alpha1) has no model
// package. This interface follows the fields of its CRD in Linkerd 2.19, so
// the TypeScript pass still rejects unknown fields. Pass 1 skips this kind.
const LINKERD_DECLARATIONS = `
type ILinkerdRef = { group?: string; kind: string; name: string; namespace?: string };
interface IAuthorizationPolicy {
  apiVersion: 'policy.linkerd.io/v1alpha1';
  kind: 'AuthorizationPolicy';
  metadata: import('@kubernetes-models/apimachinery/apis/meta/v1').IObjectMeta;
  spec: { targetRef: ILinkerdRef; requiredAuthenticationRefs: ILinkerdRef[] };
}`;

// One entry per apiVersion and kind the manifests use: the model class and
// the module and interface name for the TypeScript pass.
const MODELS: Record<string, { model: ModelClass | null; module: string | null; type: string }> = {
  'v1/Namespace': { model: core.Namespace, module: 'kubernetes-models/v1', type: 'INamespace' },
  'v1/Service': { model: core.Service, module: 'kubernetes-models/v1', type: 'IService' },
  'v1/ConfigMap': { model: core.ConfigMap, module: 'kubernetes-models/v1', type: 'IConfigMap' },
  'v1/Secret': { model: core.Secret, module: 'kubernetes-models/v1', type: 'ISecret' },
  'v1/ServiceAccount': { model: core.ServiceAccount, module: 'kubernetes-models/v1', type: 'IServiceAccount' },
  'v1/PersistentVolumeClaim': { model: core.PersistentVolumeClaim, module: 'kubernetes-models/v1', type: 'IPersistentVolumeClaim' },
  'apps/v1/Deployment': { model: apps.Deployment, module: 'kubernetes-models/apps/v1', type: 'IDeployment' },
  'apps/v1/StatefulSet': { model: apps.StatefulSet, module: 'kubernetes-models/apps/v1', type: 'IStatefulSet' },
  'autoscaling/v2/HorizontalPodAutoscaler': {
    model: autoscaling.HorizontalPodAutoscaler,
    module: 'kubernetes-models/autoscaling/v2',
    type: 'IHorizontalPodAutoscaler',
  },
  'networking.k8s.io/v1/Ingress': { model: networking.Ingress, module: 'kubernetes-models/networking.k8s.io/v1', type: 'IIngress' },
  'gateway.networking.k8s.io/v1/HTTPRoute': {
    model: gateway.HTTPRoute,
    module: '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1',
    type: 'IHTTPRoute',
  },
  'policy.linkerd.io/v1alpha1/AuthorizationPolicy': { model: null, module: null, type: 'IAuthorizationPolicy' },
};

function modelFor(object: K8sObject) {
  const entry = MODELS[`${object.apiVersion}/${object.kind}`];
  if (!entry) throw new Error(`${idOf(object)}: no schema for ${object.apiVersion} ${object.kind}; add it to MODELS`);
  return entry;
}

/**
 * Pass 1: throws the model's validation error, prefixed with the object's id.
 * Returns false for a kind without a model package (see LINKERD_DECLARATIONS).
 */
export function validateWithModel(object: K8sObject): boolean {
  const { model } = modelFor(object);
  if (model === null) return false;
  try {
    new model(object).validate();
  } catch (error) {
    throw new Error(`${idOf(object)}: ${(error as Error).message}`);
  }
  return true;
}

/**
 * Pass 2: returns one message per field that the object's API type does not
 * define (or any other type error), e.g.
 * `Deployment/route-grpc: Object literal may only specify known properties, and 'foo' does not exist ...`.
 */
export function findUnknownFields(objects: K8sObject[]): string[] {
  const imports = new Map<string, Set<string>>();
  const lines: string[] = [];
  const ownerOfLine: string[] = [];

  objects.forEach((object, index) => {
    const { module, type } = modelFor(object);
    if (module !== null) {
      if (!imports.has(module)) imports.set(module, new Set());
      imports.get(module)!.add(type);
    }

    const literal = `export const object${index}: ${type} = ${JSON.stringify(object, null, 1)};`;
    for (const line of literal.split('\n')) {
      lines.push(line);
      ownerOfLine.push(idOf(object));
    }
  });

  const header = [
    ...[...imports].map(([module, types]) => `import type { ${[...types].join(', ')} } from '${module}';`),
    ...LINKERD_DECLARATIONS.split('\n'),
  ];
  const source = [...header, ...lines].join('\n');
  const diagnostics = typeCheck(source);

  return diagnostics.map((diagnostic) => {
    const line = diagnostic.file!.getLineAndCharacterOfPosition(diagnostic.start!).line - header.length;
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, ' ');
    return `${ownerOfLine[line] ?? 'imports'}: ${message}`;
  });
}

// The virtual file sits in test/ so module resolution finds node_modules.
const VIRTUAL_FILE = join(ROOT, 'test', '__rendered_manifests__.ts');

function typeCheck(source: string): readonly ts.Diagnostic[] {
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.fileExists = ((exists) => (file: string) => file === VIRTUAL_FILE || exists(file))(host.fileExists.bind(host));
  host.readFile = (file) => (file === VIRTUAL_FILE ? source : readFile(file));
  host.getSourceFile = (file, languageVersion, onError) =>
    file === VIRTUAL_FILE ? ts.createSourceFile(file, source, languageVersion, true) : getSourceFile(file, languageVersion, onError);

  const program = ts.createProgram([VIRTUAL_FILE], options, host);
  const file = program.getSourceFile(VIRTUAL_FILE)!;
  return [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)];
}
