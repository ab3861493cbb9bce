import { REGISTRY_NAME } from './exception-registry-format';
import { celString, celStrings } from './rules/workload-pod-specs';
import { KUBERNETES_SYSTEM_NAMESPACES } from '../core/names';
import { AMBIENT_MODE, DATAPLANE_MODE_LABEL } from '../mesh/data-plane';

/**
 * Where and to whom the admission guardrails apply (OPS-1, EXC-1): the CEL and selectors every
 * guardrail policy shares. The mesh's namespaces are those whose pods get a sidecar
 * (`istio-injection: enabled`, or an `istio.io/rev` label) and those in ambient mode
 * (`istio.io/dataplane-mode: ambient`: ztunnel carries their traffic, istio/istio
 * cni/pkg/util/podutil.go `PodRedirectionEnabled`). Upstream semantics relied on (Kubernetes 1.30+,
 * staging/src/k8s.io/apiserver/pkg/admission/plugin/policy):
 * - a binding's `namespaceSelector` is matched against the labels of the request's namespace; for
 *   a Namespace object, against its own labels; other cluster-scoped objects are never skipped
 *   (matching/matching.go);
 * - a `paramRef` without `namespace` reads the param in the request's namespace, and such a
 *   binding must not match cluster-scoped objects (ParamRef docs);
 * - `parameterNotFoundAction: Deny` refuses (failurePolicy Fail) when the param is missing, so a
 *   mesh namespace without its exception registry refuses every checked write: fail closed.
 */

/** Label of a namespace whose pods get the sidecar. */
export const INJECTION_LABEL = 'istio-injection';
/** Label of a namespace bound to a control-plane revision. */
export const REVISION_LABEL = 'istio.io/rev';
/** The label every namespace carries with its own name (Kubernetes 1.22+). */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

/** Namespaces never in scope of the mesh guardrails, whatever their labels. */
export const ALWAYS_EXCLUDED_NAMESPACES: readonly string[] = KUBERNETES_SYSTEM_NAMESPACES;

/**
 * The objects the built-in controllers create from a template that was itself admitted: a
 * Deployment's ReplicaSets, a ReplicaSet's, Job's, DaemonSet's or StatefulSet's Pods, a CronJob's
 * Jobs. Recognized by the identity making the request (`request.userInfo.username`, which no
 * client can forge), never by `ownerReferences` (which any client can write). With
 * `--use-service-account-credentials` (kubeadm, GKE, EKS) each controller has its own service
 * account in kube-system; without it they all act as `system:kube-controller-manager`.
 */
export const CONTROLLER_CREATES: readonly { readonly username: string; readonly kinds: readonly string[] }[] = [
  { username: 'system:serviceaccount:kube-system:deployment-controller', kinds: ['ReplicaSet'] },
  { username: 'system:serviceaccount:kube-system:replicaset-controller', kinds: ['Pod'] },
  { username: 'system:serviceaccount:kube-system:statefulset-controller', kinds: ['Pod'] },
  { username: 'system:serviceaccount:kube-system:daemon-set-controller', kinds: ['Pod'] },
  { username: 'system:serviceaccount:kube-system:job-controller', kinds: ['Pod'] },
  { username: 'system:serviceaccount:kube-system:cronjob-controller', kinds: ['Job'] },
  { username: 'system:kube-controller-manager', kinds: ['Pod', 'ReplicaSet', 'Job'] },
];

/** Resources (plural, by API group) that are cluster-scoped, among those rules match. */
const CLUSTER_SCOPED: { readonly [group: string]: readonly string[] } = {
  '': ['namespaces', 'nodes', 'persistentvolumes'],
  'rbac.authorization.k8s.io': ['clusterroles', 'clusterrolebindings'],
  'admissionregistration.k8s.io': [
    'validatingadmissionpolicies', 'validatingadmissionpolicybindings', 'validatingwebhookconfigurations', 'mutatingwebhookconfigurations',
  ],
  'apiextensions.k8s.io': ['customresourcedefinitions'],
  'storage.k8s.io': ['storageclasses'],
};

/** Whether `resource` of `group` is cluster-scoped. */
export function isClusterScoped(group: string, resource: string): boolean {
  return (CLUSTER_SCOPED[group] ?? []).includes(resource.split('/')[0]);
}

/** A label selector requirement. */
interface Requirement {
  readonly key: string;
  readonly operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  readonly values?: string[];
}

/** A binding's namespace selector and the suffix of the binding's name. */
export interface MeshNamespaceSelector {
  readonly suffix: string;
  readonly selector: { matchExpressions: Requirement[] };
}

/**
 * The namespace selectors of the mesh's namespaces, disjoint so no request is checked twice:
 * - `injected`: `istio-injection: enabled`;
 * - `revision`: no `istio-injection` label and an `istio.io/rev` label (the label that wins when
 *   both are set is `istio-injection`, as the injector decides);
 * - `ambient`: `istio.io/dataplane-mode: ambient`, whatever the injection labels (the first two
 *   exclude it, since a selector cannot say "or"). A namespace with both is checked once, here:
 *   its pods that get no sidecar are ambient, the others sidecar pods, and the guardrails are the same.
 * `excluded` namespaces (the Kubernetes system namespaces and the configured ones) are never matched.
 */
export function meshNamespaceSelectors(excluded: readonly string[]): MeshNamespaceSelector[] {
  const notExcluded: Requirement = { key: NAMESPACE_NAME_LABEL, operator: 'NotIn', values: [...new Set(excluded)].sort() };
  const notAmbient: Requirement = { key: DATAPLANE_MODE_LABEL, operator: 'NotIn', values: [AMBIENT_MODE] };
  return [
    { suffix: 'injected', selector: { matchExpressions: [{ key: INJECTION_LABEL, operator: 'In', values: ['enabled'] }, notExcluded, notAmbient] } },
    {
      suffix: 'revision',
      selector: {
        matchExpressions: [{ key: INJECTION_LABEL, operator: 'DoesNotExist' }, { key: REVISION_LABEL, operator: 'Exists' }, notExcluded, notAmbient],
      },
    },
    { suffix: 'ambient', selector: { matchExpressions: [{ key: DATAPLANE_MODE_LABEL, operator: 'In', values: [AMBIENT_MODE] }, notExcluded] } },
  ];
}

/** CEL: the Namespace object `ns` is one of the mesh's (the union of the selectors above, as CEL). */
export function celMeshNamespace(ns: string, excluded: readonly string[]): string {
  const labels = `${ns}.metadata.labels`;
  return `(has(${labels}) && !(${ns}.metadata.name in ${celStrings([...new Set(excluded)].sort())}) && `
    + `((${celString(INJECTION_LABEL)} in ${labels} && ${labels}[${celString(INJECTION_LABEL)}] == 'enabled') || `
    + `(!(${celString(INJECTION_LABEL)} in ${labels}) && ${celString(REVISION_LABEL)} in ${labels}) || `
    + `(${celString(DATAPLANE_MODE_LABEL)} in ${labels} && ${labels}[${celString(DATAPLANE_MODE_LABEL)}] == ${celString(AMBIENT_MODE)})))`;
}

/** CEL: the request creates what a built-in controller derives from an admitted template (see {@link CONTROLLER_CREATES}). */
export function celControllerDerived(): string {
  const user = 'request.userInfo.username';
  const byUser = CONTROLLER_CREATES.map((c) => `(${user} == ${celString(c.username)} && object.kind in ${celStrings(c.kinds)})`);
  return `(object != null && (${byUser.join(' || ')}))`;
}

/**
 * CEL: the exception registry bound as `params` lists one of `ruleIds` for the object `o`
 * (`Kind.name: RULE@expires,...`). Admission has no clock: the expiry in the stamp is not read
 * here; synthesis and the audit refuse expired entries, and the registry is rewritten by them.
 */
export function celExcepted(ruleIds: readonly string[], o: string = 'object'): string {
  const key = `(${o}.kind + '.' + ${o}.metadata.name)`;
  return `(${o} != null && params != null && has(params.data) && ${key} in params.data && `
    + `params.data[${key}].split(',').exists(s, s.split('@')[0] in ${celStrings(ruleIds)}))`;
}

/** CEL: the request changes an exception registry (by name, whatever its labels). */
export function celIsRegistry(): string {
  const name = (o: string) => `(${o} != null && has(${o}.metadata.name) && ${o}.metadata.name == ${celString(REGISTRY_NAME)})`;
  return `(${name('object')} || ${name('oldObject')})`;
}

/**
 * CEL: the requester may write exception registries: a member of a mesh admin group, or one of
 * `writers` (usernames; `{namespace}` stands for the request's namespace, so a Config Sync
 * `ns-reconciler-{namespace}` writes only its own namespace's registry).
 */
export function celRegistryWriter(adminGroups: readonly string[], writers: readonly string[]): string {
  const terms: string[] = [];
  if (adminGroups.length) terms.push(`(has(request.userInfo.groups) && request.userInfo.groups.exists(g, g in ${celStrings(adminGroups)}))`);
  for (const w of writers) {
    const [before, ...after] = w.split('{namespace}');
    terms.push(after.length === 0 ? `request.userInfo.username == ${celString(w)}`
      : `request.userInfo.username == ${[celString(before), ...after.map((a) => `request.namespace + ${celString(a)}`)].join(' + ')}`);
  }
  return terms.length ? `(${terms.join(' || ')})` : 'false';
}

/** The group Kubernetes gives its superusers (and the API server's own bootstrap reconciler). */
export const SUPERUSER_GROUP = 'system:masters';

/**
 * CEL: a cluster-scoped object (ClusterRole, ClusterRoleBinding, Namespace...) written by a
 * cluster administrator: a member of `system:masters` or of a mesh admin group. The platform's
 * installers write such objects (Istio's and CoreDNS's ClusterRoles use wildcards by design);
 * those identities can delete the guardrails anyway (RBAC-ADMISSION-001 leaves admission control
 * to mesh admins), so refusing them protects nothing. The audit still judges the objects.
 */
export function celClusterAdminWrite(adminGroups: readonly string[]): string {
  const groups = [...new Set([SUPERUSER_GROUP, ...adminGroups])].sort();
  return '(object != null && (!has(object.metadata.namespace) || object.metadata.namespace == \'\') && '
    + `has(request.userInfo.groups) && request.userInfo.groups.exists(g, g in ${celStrings(groups)}))`;
}
