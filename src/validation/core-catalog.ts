import { ErrorObject } from 'ajv';

/** A Kubernetes built-in kind known to `kubernetes-models` (Kubernetes' OpenAPI schemas, compiled). */
export interface CoreKind {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly namespaced: boolean;
  /** Validates against the kind's OpenAPI schema; returns the schema errors. */
  validate(obj: unknown): ErrorObject[];
}

// Built-in kinds that are not namespaced; everything else we accept is.
const CLUSTER_SCOPED = new Set([
  'Namespace', 'Node', 'PersistentVolume', 'ClusterRole', 'ClusterRoleBinding', 'StorageClass', 'PriorityClass',
  'CustomResourceDefinition', 'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding',
  'ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration', 'IngressClass', 'RuntimeClass', 'APIService',
]);

interface ModelClass {
  new (data: unknown): { validate(): void };
}

const cache = new Map<string, CoreKind | null>();

/**
 * Looks up a built-in kind by apiVersion and kind, or returns undefined when Kubernetes has no
 * such kind in that version.
 */
export function lookupCoreKind(apiVersion: string, kind: string): CoreKind | undefined {
  const key = `${apiVersion}/${kind}`;
  if (!cache.has(key)) cache.set(key, loadCoreKind(apiVersion, kind));
  return cache.get(key) ?? undefined;
}

function loadCoreKind(apiVersion: string, kind: string): CoreKind | null {
  if (!/^([a-z0-9.-]+\/)?v[0-9]+((alpha|beta)[0-9]+)?$/.test(apiVersion) || !/^[A-Z][A-Za-z0-9]*$/.test(kind)) return null;
  let model: ModelClass | undefined;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    model = require(`kubernetes-models/${apiVersion}/${kind}`)[kind];
  } catch (e) {
    if ((e as { code?: string }).code === 'MODULE_NOT_FOUND' || (e as { code?: string }).code === 'ERR_PACKAGE_PATH_NOT_EXPORTED') return null;
    throw e;
  }
  if (!model) return null;
  const slash = apiVersion.indexOf('/');
  const Model = model;
  return {
    group: slash < 0 ? '' : apiVersion.slice(0, slash),
    version: slash < 0 ? apiVersion : apiVersion.slice(slash + 1),
    kind,
    namespaced: !CLUSTER_SCOPED.has(kind),
    validate(obj: unknown): ErrorObject[] {
      try {
        new Model(obj).validate();
        return [];
      } catch (e) {
        const errors = (e as { errors?: ErrorObject[] }).errors;
        if (!errors) throw e;
        return errors;
      }
    },
  };
}
