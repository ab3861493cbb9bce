import type { ErrorObject } from 'ajv';
import { requireGenerated } from '../core/generated';

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

/** generated/vendor/kubernetes-models.js: `apiVersion/Kind` -> loader of kubernetes-models' module of that kind. */
interface VendoredModels {
  readonly kinds: { readonly [apiVersionKind: string]: () => { readonly [name: string]: ModelClass } };
}

let vendored: VendoredModels | undefined;
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
  vendored ??= requireGenerated('vendor/kubernetes-models.js') as VendoredModels;
  const load = Object.prototype.hasOwnProperty.call(vendored.kinds, `${apiVersion}/${kind}`) ? vendored.kinds[`${apiVersion}/${kind}`] : undefined;
  const model = load?.()[kind];
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
