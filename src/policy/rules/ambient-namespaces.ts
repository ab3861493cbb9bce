/**
 * Who is in Istio's ambient data plane, as the ambient rules (`mesh-ambient-*.ts`) read it, for
 * `check()` (from the Namespace objects of the context) and for admission (from
 * `namespaceObject`), so both decide alike. Not a rule itself.
 *
 * - A namespace is ambient when it is labelled `istio.io/dataplane-mode: ambient` and carries no
 *   sidecar-injection label that injects (`istio-injection: enabled`, or a non-empty `istio.io/rev`
 *   without any `istio-injection` label, which is what the revision webhook's namespaceSelector
 *   requires): with one, the injector still gives its pods sidecars, and "sidecar injection takes
 *   precedence" (istio.io docs/ambient/usage/add-workloads, "Pod selection logic"), so the Sidecar
 *   objects and selector policies of a namespace being migrated from sidecars are not reported.
 *   Istio's analyzer (`NamespaceInAmbientMode`, pkg/config/analysis/analyzers/util/in_mesh.go) also
 *   counts a revision next to `istio-injection: disabled`; no webhook injects there, so the pods
 *   are ambient and are judged as such here (the audit's workloads.ts agrees).
 * - In an ambient namespace, a pod is outside ztunnel when it is a sidecar pod (label
 *   `sidecar.istio.io/inject: "true"`, which the injector's object selector matches in a
 *   namespace without an injection label, or annotation `sidecar.istio.io/status`, which the
 *   injector writes and `istioctl kube-inject` output carries: the CNI skips pods that have it)
 *   or a pod Istio deploys for a Gateway API Gateway (label
 *   `gateway.networking.k8s.io/gateway-name`: waypoints and gateways are Envoy proxies, and
 *   Istio's waypoint template labels them `istio.io/dataplane-mode: none` itself; see
 *   manifests/charts/istio-control/istio-discovery/files/waypoint.yaml).
 * - An AuthorizationPolicy or RequestAuthentication without `targetRef`/`targetRefs` binds to
 *   ztunnel in an ambient namespace (istio.io docs/ambient/usage/l4-policy, "Authorization policy
 *   attachment"); waypoints ignore it (pilot/pkg/model/policyattachment.go: "waypoints never use
 *   selector").
 */
import { AMBIENT_MODE, DATAPLANE_MODE_LABEL, GATEWAY_NAME_LABEL, isAmbientNamespaceLabels } from '../../mesh/data-plane';
import { RuleContext, RuleObject, isKind } from '../rule';
import { JsonMap, asMap, celString, isSet } from './mesh-shared';
import { celHas, celIsKind } from './workload-pod-specs';

/** The namespace label that turns sidecar injection on. */
export const INJECTION_NAMESPACE_LABEL = 'istio-injection';
/** The control-plane revision label; on a namespace it also turns sidecar injection on. */
export const REVISION_LABEL = 'istio.io/rev';
/** The pod label (and annotation) that asks for (or refuses) a sidecar. */
export const SIDECAR_INJECT_KEY = 'sidecar.istio.io/inject';
/** The annotation the injector writes on every pod it gave a sidecar. */
export const SIDECAR_STATUS_ANNOTATION = 'sidecar.istio.io/status';
/** The value of `istio.io/dataplane-mode` on a pod that opts out of ambient. */
export const DATAPLANE_MODE_NONE = 'none';

function hasKey(map: JsonMap | undefined, key: string): boolean {
  return map !== undefined && Object.prototype.hasOwnProperty.call(map, key);
}

/**
 * Whether a namespace with these labels is ambient: `istio.io/dataplane-mode: ambient` and no
 * sidecar-injection label (see the file comment).
 */
export function isAmbientNamespace(labels: unknown): boolean {
  const map = asMap(labels);
  if (!map || !isAmbientNamespaceLabels(map as { [key: string]: string })) return false;
  if (map[INJECTION_NAMESPACE_LABEL] === 'enabled') return false;
  // A revision injects only where istio-injection is absent (the revision webhook's namespaceSelector).
  return !(!hasKey(map, INJECTION_NAMESPACE_LABEL) && hasKey(map, REVISION_LABEL) && map[REVISION_LABEL] !== '');
}

/** Names of the ambient namespaces among the Namespace objects of a context, cached per object list. */
const cache = new WeakMap<readonly RuleObject[], ReadonlySet<string>>();

function ambientNamespaceNames(context: RuleContext): ReadonlySet<string> {
  let names = cache.get(context.objects);
  if (!names) {
    const found = new Set<string>();
    for (const o of context.objects) {
      const name = o.metadata?.name;
      if (isKind(o, '', 'Namespace') && typeof name === 'string' && isAmbientNamespace(o.metadata?.labels)) found.add(name);
    }
    names = found;
    cache.set(context.objects, names);
  }
  return names;
}

/**
 * Whether namespace `name` is ambient in this context: a Namespace object of that name, labelled
 * ambient, is among the context's objects. A namespace the context does not hold is not known to
 * be ambient, and the rules say nothing about it (no false alarm).
 */
export function isAmbientNamespaceIn(name: unknown, context: RuleContext): boolean {
  return typeof name === 'string' && ambientNamespaceNames(context).has(name);
}

/** Whether the object lives in an ambient namespace of the context. */
export function inAmbientNamespace(object: RuleObject, context: RuleContext): boolean {
  return isAmbientNamespaceIn(object.metadata?.namespace, context);
}

/** CEL over a labels map expression that is known to exist: the labels of an ambient namespace. */
function celAmbientLabels(labels: string): string {
  return `(${celString(DATAPLANE_MODE_LABEL)} in ${labels} && ${labels}[${celString(DATAPLANE_MODE_LABEL)}] == ${celString(AMBIENT_MODE)}`
    + ` && !(${celString(INJECTION_NAMESPACE_LABEL)} in ${labels} && ${labels}[${celString(INJECTION_NAMESPACE_LABEL)}] == 'enabled')`
    + ` && !(!(${celString(INJECTION_NAMESPACE_LABEL)} in ${labels}) && ${celString(REVISION_LABEL)} in ${labels} && ${labels}[${celString(REVISION_LABEL)}] != ''))`;
}

/**
 * CEL: the admitted object's namespace (`namespaceObject`, null for cluster-scoped objects) is
 * ambient, as {@link isAmbientNamespace} decides.
 */
export const CEL_IN_AMBIENT_NAMESPACE = '(namespaceObject != null && has(namespaceObject.metadata) && has(namespaceObject.metadata.labels) && '
  + `${celAmbientLabels('namespaceObject.metadata.labels')})`;

/** Why a pod of an ambient namespace is not ztunnel's, if it is not. */
export type OutsideZtunnel = 'sidecar' | 'gateway';

/**
 * Whether the pod with this metadata is not captured by ztunnel although its namespace is
 * ambient: a sidecar pod, or a waypoint or gateway pod Istio deploys (see the file comment).
 */
export function outsideZtunnel(metadata: JsonMap | undefined): OutsideZtunnel | undefined {
  const labels = asMap(metadata?.labels);
  if (labels?.[SIDECAR_INJECT_KEY] === 'true' || hasKey(asMap(metadata?.annotations), SIDECAR_STATUS_ANNOTATION)) return 'sidecar';
  if (hasKey(labels, GATEWAY_NAME_LABEL)) return 'gateway';
  return undefined;
}

/** CEL over the pod metadata expression `m` (known to exist): {@link outsideZtunnel} says it is not ztunnel's. */
export function celOutsideZtunnel(m: string): string {
  return `((has(${m}.labels) && ((${celString(SIDECAR_INJECT_KEY)} in ${m}.labels && ${m}.labels[${celString(SIDECAR_INJECT_KEY)}] == 'true')`
    + ` || ${celString(GATEWAY_NAME_LABEL)} in ${m}.labels))`
    + ` || (has(${m}.annotations) && ${celString(SIDECAR_STATUS_ANNOTATION)} in ${m}.annotations))`;
}

/** Where each workload kind keeps the metadata of its pods (as `podMetadata` in mesh-shared.ts reads it). */
const POD_METADATA_LOCATIONS: readonly { readonly group: string; readonly kinds: readonly string[]; readonly fields: readonly string[] }[] = [
  { group: '', kinds: ['Pod'], fields: ['metadata'] },
  { group: '', kinds: ['ReplicationController'], fields: ['spec', 'template', 'metadata'] },
  { group: 'apps', kinds: ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet'], fields: ['spec', 'template', 'metadata'] },
  { group: 'batch', kinds: ['Job'], fields: ['spec', 'template', 'metadata'] },
  { group: 'batch', kinds: ['CronJob'], fields: ['spec', 'jobTemplate', 'spec', 'template', 'metadata'] },
];

/**
 * CEL over `object` that applies `predicate` (given a CEL expression for the pod metadata) to the
 * pod metadata of whichever workload kind the object is; true for other kinds and when the
 * metadata is absent. Custom workload kinds are left to `check()`, as in workload-pod-specs.ts.
 */
export function celForPodMetadata(predicate: (metadata: string) => string): string {
  let expr = 'true';
  for (const loc of [...POD_METADATA_LOCATIONS].reverse()) {
    const metadata = `object.${loc.fields.join('.')}`;
    expr = `${celIsKind(loc.group, loc.kinds)} ? (!${celHas('object', loc.fields)} || (${predicate(metadata)})) : ${expr}`;
  }
  return expr;
}

/**
 * Whether a policy spec attaches with `targetRef`/`targetRefs` (to a waypoint or a gateway)
 * rather than binding to ztunnel (pilot's `GetTargetRefs`: a non-empty `targetRefs`, else
 * `targetRef`). A `targetRefs` that is not a list, or a `targetRef` that is not an object, attaches
 * nothing (the API server refuses both anyway).
 */
export function attachesByTargetRef(spec: JsonMap): boolean {
  return (Array.isArray(spec.targetRefs) && spec.targetRefs.length > 0) || asMap(spec.targetRef) !== undefined;
}

/** CEL over `object`: the policy attaches with targetRef(s) (see {@link attachesByTargetRef}). */
export const CEL_ATTACHES_BY_TARGET_REF = '(has(object.spec) && ('
  + '(has(object.spec.targetRefs) && type(object.spec.targetRefs) == list && size(object.spec.targetRefs) > 0)'
  + ' || (has(object.spec.targetRef) && type(object.spec.targetRef) == map)))';

/** How a policy bound to ztunnel is bound, for messages: `bound by its selector` or `namespace-wide (no selector)`. */
export function ztunnelBinding(spec: JsonMap): string {
  return isSet(spec.selector) ? 'bound by its selector' : 'namespace-wide (no selector, no targetRefs)';
}
