import { RuleObject, groupOf, kindKey } from './rule';

/**
 * Kinds that live outside namespaces, as {@link kindKey}s (`group/Kind`, `/Kind` for the core
 * group): the built-in Kubernetes kinds that are cluster-scoped, as `kubectl apply -n` and
 * kustomize's namespace transformer treat them, and a few cluster-scoped custom kinds platforms
 * commonly write (Gateway API classes, Gatekeeper templates, cert-manager and Kyverno cluster
 * kinds). Any other kind, custom resources included, is taken as namespaced.
 */
export const CLUSTER_SCOPED_KINDS: ReadonlySet<string> = new Set([
  '/Namespace', '/Node', '/PersistentVolume', '/ComponentStatus',
  'rbac.authorization.k8s.io/ClusterRole', 'rbac.authorization.k8s.io/ClusterRoleBinding',
  'apiextensions.k8s.io/CustomResourceDefinition', 'apiregistration.k8s.io/APIService',
  'admissionregistration.k8s.io/ValidatingWebhookConfiguration', 'admissionregistration.k8s.io/MutatingWebhookConfiguration',
  'admissionregistration.k8s.io/ValidatingAdmissionPolicy', 'admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding',
  'admissionregistration.k8s.io/MutatingAdmissionPolicy', 'admissionregistration.k8s.io/MutatingAdmissionPolicyBinding',
  'storage.k8s.io/StorageClass', 'storage.k8s.io/CSIDriver', 'storage.k8s.io/CSINode', 'storage.k8s.io/VolumeAttachment',
  'storage.k8s.io/VolumeAttributesClass',
  'scheduling.k8s.io/PriorityClass', 'node.k8s.io/RuntimeClass', 'networking.k8s.io/IngressClass',
  'networking.k8s.io/IPAddress', 'networking.k8s.io/ServiceCIDR', 'policy/PodSecurityPolicy',
  'resource.k8s.io/DeviceClass', 'resource.k8s.io/ResourceSlice', 'storagemigration.k8s.io/StorageVersionMigration',
  'certificates.k8s.io/CertificateSigningRequest', 'flowcontrol.apiserver.k8s.io/FlowSchema',
  'flowcontrol.apiserver.k8s.io/PriorityLevelConfiguration', 'gateway.networking.k8s.io/GatewayClass',
  'templates.gatekeeper.sh/ConstraintTemplate', 'cert-manager.io/ClusterIssuer', 'kyverno.io/ClusterPolicy',
]);

/** API groups all of whose kinds are cluster-scoped (Gatekeeper's constraints, one kind per template). */
const CLUSTER_SCOPED_GROUPS: ReadonlySet<string> = new Set(['constraints.gatekeeper.sh']);

/**
 * Whether objects of this object's kind live outside namespaces (see {@link CLUSTER_SCOPED_KINDS}).
 * An `apiVersion` that is not a string counts as the core group's.
 */
export function isClusterScopedKind(o: RuleObject): boolean {
  const group = typeof o.apiVersion === 'string' ? groupOf(o) : '';
  return CLUSTER_SCOPED_KINDS.has(kindKey(group, String(o.kind))) || CLUSTER_SCOPED_GROUPS.has(group);
}
