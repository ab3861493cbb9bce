import type { LoadedManifest } from './manifest-loader';
import { RuleObject, groupOf } from '../policy/rule';

/**
 * Kinds that live outside namespaces (group/Kind), as kustomize's namespace transformer and
 * `kubectl apply -n` treat them: they never get a default namespace. Any other kind, custom
 * resources included, is namespaced.
 */
const CLUSTER_SCOPED: ReadonlySet<string> = new Set([
  '/Namespace', '/Node', '/PersistentVolume', '/ComponentStatus',
  'rbac.authorization.k8s.io/ClusterRole', 'rbac.authorization.k8s.io/ClusterRoleBinding',
  'apiextensions.k8s.io/CustomResourceDefinition', 'apiregistration.k8s.io/APIService',
  'admissionregistration.k8s.io/ValidatingWebhookConfiguration', 'admissionregistration.k8s.io/MutatingWebhookConfiguration',
  'admissionregistration.k8s.io/ValidatingAdmissionPolicy', 'admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding',
  'admissionregistration.k8s.io/MutatingAdmissionPolicy', 'admissionregistration.k8s.io/MutatingAdmissionPolicyBinding',
  'storage.k8s.io/StorageClass', 'storage.k8s.io/CSIDriver', 'storage.k8s.io/CSINode', 'storage.k8s.io/VolumeAttachment',
  'scheduling.k8s.io/PriorityClass', 'node.k8s.io/RuntimeClass', 'networking.k8s.io/IngressClass',
  'certificates.k8s.io/CertificateSigningRequest', 'flowcontrol.apiserver.k8s.io/FlowSchema',
  'flowcontrol.apiserver.k8s.io/PriorityLevelConfiguration', 'gateway.networking.k8s.io/GatewayClass',
]);

/** Whether objects of this kind live in a namespace. */
export function isNamespaced(o: RuleObject): boolean {
  return !CLUSTER_SCOPED.has(`${groupOf(o)}/${String(o.kind)}`);
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
