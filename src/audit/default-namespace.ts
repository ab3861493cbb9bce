import type { LoadedManifest } from './manifest-loader';
import { isClusterScopedKind } from '../policy/cluster-scoped-kinds';
import { RuleObject } from '../policy/rule';

/**
 * Whether objects of this kind live in a namespace: every kind but the cluster-scoped ones
 * (`CLUSTER_SCOPED_KINDS`, as kustomize's namespace transformer and `kubectl apply -n` treat
 * them: they never get a default namespace), custom resources included.
 */
export function isNamespaced(o: RuleObject): boolean {
  return !isClusterScopedKind(o);
}

/** Namespaced objects that name no namespace (kustomize style: the namespace comes at apply time). */
export function withoutNamespace(manifests: readonly LoadedManifest[]): LoadedManifest[] {
  return manifests.filter((m) => isNamespaced(m.object) && typeof m.object.metadata?.namespace !== 'string');
}

/**
 * The manifests with `namespace` set on every namespaced object that names none, as
 * `kubectl apply -n` or kustomize's `namespace:` would, so that rules reading namespaces (the
 * root namespace, same-namespace peers, NetworkPolicy pairing) judge them where they will run.
 * Objects are copied, never changed in place.
 */
export function applyDefaultNamespace(manifests: readonly LoadedManifest[], namespace: string): LoadedManifest[] {
  return manifests.map((m) => (isNamespaced(m.object) && typeof m.object.metadata?.namespace !== 'string'
    ? { ...m, object: { ...m.object, metadata: { ...(m.object.metadata ?? {}), namespace } } }
    : m));
}
