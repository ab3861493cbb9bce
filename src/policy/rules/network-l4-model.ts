import { isAmbientNamespace, outsideZtunnel } from './ambient-namespaces';
import { GATEWAY_API_GROUP } from './mesh-gateway-scope';
import { Labels, selectorMatches, selectorSelectsAllWith } from './network-label-selector';
import { isRecord } from './workload-pod-specs';
import {
  AMBIENT_MODE, DATAPLANE_MODE_LABEL, GATEWAY_NAME_LABEL, HBONE_PORT, USE_WAYPOINT_LABEL, USE_WAYPOINT_NAMESPACE_LABEL, WAYPOINT_FOR_LABEL,
  WAYPOINT_GATEWAY_CLASS,
  isAmbientNamespaceLabels,
} from '../../mesh/data-plane';
import { NAMESPACE_NAME_LABEL } from '../../network/peers';
import { RuleContext, RuleObject, isKind } from '../rule';

/**
 * How mesh ALLOW policies and NetworkPolicies are read for the L4-counterpart rules (AUTHZ-4,
 * NETPOL-1): which pods an ALLOW policy selects, which callers and ports it allows, and whether a
 * NetworkPolicy admits a caller namespace on a port.
 *
 * Ambient (istio.io docs/ambient/usage/networkpolicy; the semantics are in src/mesh/data-plane.ts):
 * every in-mesh connection to an ambient pod, and from an ambient client to a sidecar pod, is
 * HBONE, so the NetworkPolicy sees TCP 15008 from the client pod, not the app port; through a
 * waypoint it sees client → waypoint pods on 15008 and waypoint pods → destination on 15008.
 * {@link l4PortOf}, {@link serviceWaypoint} and {@link targetedAllowPolicies} read that.
 */

/** An ALLOW AuthorizationPolicy (action ALLOW or absent) in a namespace. */
export interface AllowPolicy {
  readonly object: RuleObject;
  readonly namespace: string;
  /** `spec.selector.matchLabels`; undefined when the policy has no selector (all pods of the namespace). */
  readonly matchLabels: Labels | undefined;
}

/** A caller namespace and port a policy allows, with where it says so. */
export interface AllowedEdge {
  readonly callerNamespace: string;
  readonly principal: string;
  readonly port: number;
  /** Path of the port entry, e.g. `spec.rules[0].to[0].operation.ports[1]`. */
  readonly path: string;
}

const PRINCIPAL = /^[^/]+\/ns\/([^/*]+)\/sa\/[^/]+$/;

/** The namespace of a SPIFFE-style principal `<td>/ns/<ns>/sa/<sa>`, or undefined. */
export function principalNamespace(principal: string): string | undefined {
  return PRINCIPAL.exec(principal)?.[1];
}

/** A port number from an Istio `operation.ports` entry (a decimal string), or undefined. */
export function portNumber(value: unknown): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^[0-9]{1,5}$/.test(value) ? Number(value) : NaN;
  return Number.isInteger(n) && n >= 1 && n <= 65535 ? n : undefined;
}

function stringLabels(v: unknown): Labels {
  if (!isRecord(v)) return {};
  return Object.fromEntries(Object.entries(v).filter(([, x]) => typeof x === 'string')) as Labels;
}

function listOf(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** A policy target: a `targetRefs` entry (or the deprecated `targetRef`), with its path. */
export interface PolicyTarget {
  /** API group; `''` for the core group (a Service). */
  readonly group: string;
  readonly kind: string;
  readonly name: string;
  /** Path of the reference, e.g. `spec.targetRefs[0]`. */
  readonly path: string;
}

/** An ALLOW AuthorizationPolicy attached with `targetRefs`/`targetRef` (to a Service or a Gateway, enforced by a waypoint or gateway). */
export interface TargetedAllowPolicy {
  readonly object: RuleObject;
  readonly namespace: string;
  /** Its targets in the policy's own namespace (references naming another namespace are left out: Istio ignores them). */
  readonly targets: readonly PolicyTarget[];
}

interface AllowIndex {
  readonly all: AllowPolicy[];
  readonly byNamespace: Map<string, AllowPolicy[]>;
  readonly targeted: TargetedAllowPolicy[];
}

/** Per object set: its ALLOW policies, in object order and by namespace (built once). */
const allowIndexes = new WeakMap<readonly RuleObject[], AllowIndex>();

/**
 * The targets of a policy spec, as pilot reads them (`GetTargetRefs`): a non-empty `targetRefs`,
 * else `targetRef`. Entries that are not objects, lack a kind or name, or name another namespace
 * are left out.
 */
function targetsOf(spec: { readonly [key: string]: any }, namespace: string): PolicyTarget[] {
  const refs: { ref: unknown; path: string }[] = Array.isArray(spec.targetRefs) && spec.targetRefs.length > 0
    ? spec.targetRefs.map((ref: unknown, i: number) => ({ ref, path: `spec.targetRefs[${i}]` }))
    : [{ ref: spec.targetRef, path: 'spec.targetRef' }];
  const out: PolicyTarget[] = [];
  for (const { ref, path } of refs) {
    if (!isRecord(ref) || typeof ref.kind !== 'string' || typeof ref.name !== 'string') continue;
    if (ref.namespace !== undefined && ref.namespace !== namespace) continue;
    out.push({ group: typeof ref.group === 'string' ? ref.group : '', kind: ref.kind, name: ref.name, path });
  }
  return out;
}

function allowIndexOf(ctx: RuleContext): AllowIndex {
  let index = allowIndexes.get(ctx.objects);
  if (!index) {
    index = { all: [], byNamespace: new Map(), targeted: [] };
    for (const o of ctx.objects) {
      if (!isKind(o, 'security.istio.io', 'AuthorizationPolicy')) continue;
      const ns = o.metadata?.namespace;
      const spec = isRecord(o.spec) ? o.spec : {};
      if (typeof ns !== 'string' || (spec.action !== undefined && spec.action !== 'ALLOW')) continue;
      if (spec.targetRefs !== undefined || spec.targetRef !== undefined) {
        index.targeted.push({ object: o, namespace: ns, targets: targetsOf(spec, ns) });
        continue;
      }
      const matchLabels = isRecord(spec.selector) ? stringLabels(spec.selector.matchLabels) : undefined;
      const policy = { object: o, namespace: ns, matchLabels };
      index.all.push(policy);
      pushTo(index.byNamespace, ns, policy);
    }
    allowIndexes.set(ctx.objects, index);
  }
  return index;
}

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/**
 * ALLOW AuthorizationPolicies that apply to workloads by selector or to a whole namespace
 * (policies with `targetRefs`/`targetRef` attach to gateways and Services, and are left out).
 * The list is shared: do not modify it.
 */
export function allowPolicies(ctx: RuleContext): readonly AllowPolicy[] {
  return allowIndexOf(ctx).all;
}

/** The ALLOW policies of {@link allowPolicies} in one namespace, in object order. */
export function allowPoliciesIn(ctx: RuleContext, namespace: string): readonly AllowPolicy[] {
  return allowIndexOf(ctx).byNamespace.get(namespace) ?? [];
}

/**
 * ALLOW AuthorizationPolicies attached with `targetRefs`/`targetRef` (the ones {@link allowPolicies}
 * leaves out), in object order. The list is shared: do not modify it.
 */
export function targetedAllowPolicies(ctx: RuleContext): readonly TargetedAllowPolicy[] {
  return allowIndexOf(ctx).targeted;
}

/** A caller a policy names by principal, with where it says so. */
export interface AllowedCaller {
  readonly callerNamespace: string;
  readonly principal: string;
  /** Path of the principal entry, e.g. `spec.rules[0].from[1].source.principals[0]`. */
  readonly path: string;
}

/**
 * Every caller a policy names by a `from.source.principals` entry of a rule, whatever the rule's
 * ports, paths or methods (the L4 path to a waypoint does not depend on them). Principals whose
 * namespace is a wildcard give none.
 */
export function allowedCallers(policy: RuleObject): AllowedCaller[] {
  const spec = isRecord(policy.spec) ? policy.spec : {};
  const out: AllowedCaller[] = [];
  const rules = listOf(spec.rules);
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i];
    const froms = listOf(isRecord(rule) ? rule.from : undefined);
    for (let j = 0; j < froms.length; j++) {
      const from = froms[j];
      const principals = listOf(isRecord(from) && isRecord(from.source) ? from.source.principals : undefined);
      for (let k = 0; k < principals.length; k++) {
        const p = principals[k];
        const ns = typeof p === 'string' ? principalNamespace(p) : undefined;
        if (ns !== undefined) out.push({ callerNamespace: ns, principal: p as string, path: `spec.rules[${i}].from[${j}].source.principals[${k}]` });
      }
    }
  }
  return out;
}

/**
 * The (caller namespace, port) pairs a policy allows: in each rule, every namespace named by a
 * `from.source.principals` entry with every `to.operation.ports` entry. Rules without principals
 * or without ports, and principals whose namespace is a wildcard, give none.
 */
export function allowedEdges(policy: RuleObject): AllowedEdge[] {
  const spec = isRecord(policy.spec) ? policy.spec : {};
  const out: AllowedEdge[] = [];
  // Plain loops: this runs for every AuthorizationPolicy of a blueprint.
  const rules = listOf(spec.rules);
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i];
    if (!isRecord(rule)) continue;
    const callers: { ns: string; principal: string }[] = [];
    for (const from of listOf(rule.from)) {
      const source = isRecord(from) && isRecord(from.source) ? from.source : {};
      for (const p of listOf(source.principals)) {
        const ns = typeof p === 'string' ? principalNamespace(p) : undefined;
        if (ns !== undefined) callers.push({ ns, principal: p as string });
      }
    }
    if (callers.length === 0) continue;
    const tos = listOf(rule.to);
    for (let j = 0; j < tos.length; j++) {
      const to = tos[j];
      const ports = listOf(isRecord(to) && isRecord(to.operation) ? to.operation.ports : undefined);
      for (let k = 0; k < ports.length; k++) {
        const port = portNumber(ports[k]);
        if (port === undefined) continue;
        const path = `spec.rules[${i}].to[${j}].operation.ports[${k}]`;
        for (const c of callers) out.push({ callerNamespace: c.ns, principal: c.principal, port, path });
      }
    }
  }
  return out;
}

/** Whether a NetworkPolicy restricts ingress: `Ingress` in policyTypes (the API server's default when absent). */
export function restrictsIngress(np: RuleObject): boolean {
  const spec = isRecord(np.spec) ? np.spec : {};
  return spec.policyTypes === undefined || (Array.isArray(spec.policyTypes) && spec.policyTypes.includes('Ingress'));
}

interface NetworkIndex {
  /** Ingress-restricting NetworkPolicies by namespace. */
  readonly ingress: Map<string, RuleObject[]>;
  /** Namespace objects by name (the first of each name). */
  readonly namespaces: Map<string, RuleObject>;
  /** Services and Gateway API Gateways by `Kind/namespace/name` (the first of each). */
  readonly named: Map<string, RuleObject>;
  /** Labels of each namespace asked about so far. */
  readonly namespaceLabels: Map<string, Labels>;
}

/** Per object set: the NetworkPolicy and Namespace index (built once). */
const indexes = new WeakMap<readonly RuleObject[], NetworkIndex>();

function indexOf(ctx: RuleContext): NetworkIndex {
  let index = indexes.get(ctx.objects);
  if (!index) {
    index = { ingress: new Map(), namespaces: new Map(), named: new Map(), namespaceLabels: new Map() };
    for (const o of ctx.objects) {
      const ns = o.metadata?.namespace;
      if (isKind(o, 'networking.k8s.io', 'NetworkPolicy') && typeof ns === 'string' && restrictsIngress(o)) {
        pushTo(index.ingress, ns, o);
      } else if (isKind(o, '', 'Namespace') && typeof o.metadata?.name === 'string' && !index.namespaces.has(o.metadata.name)) {
        index.namespaces.set(o.metadata.name, o);
      } else if ((isKind(o, '', 'Service') || isKind(o, GATEWAY_API_GROUP, 'Gateway')) && typeof ns === 'string' && typeof o.metadata?.name === 'string') {
        const key = `${o.kind}/${ns}/${o.metadata.name}`;
        if (!index.named.has(key)) index.named.set(key, o);
      }
    }
    indexes.set(ctx.objects, index);
  }
  return index;
}

/** NetworkPolicies (networking.k8s.io) in `namespace` that restrict ingress. */
export function ingressPolicies(ctx: RuleContext, namespace: string): RuleObject[] {
  return indexOf(ctx).ingress.get(namespace) ?? [];
}

/** The pod selector of a NetworkPolicy (`{}`, all pods, when absent). */
export function podSelectorOf(np: RuleObject): unknown {
  const spec = isRecord(np.spec) ? np.spec : {};
  return spec.podSelector === undefined ? {} : spec.podSelector;
}

/** The ingress rules of a NetworkPolicy, with their indexes. */
export function ingressRulesOf(np: RuleObject): { readonly index: number; readonly rule: { readonly [key: string]: any } }[] {
  const spec = isRecord(np.spec) ? np.spec : {};
  return listOf(spec.ingress).flatMap((rule, index) => (isRecord(rule) ? [{ index, rule }] : []));
}

/** Whether an ingress rule has no port list, so admits every port. */
export function admitsEveryPort(rule: { readonly [key: string]: any }): boolean {
  return rule.ports === undefined || (Array.isArray(rule.ports) && rule.ports.length === 0);
}

/** Whether an ingress rule admits TCP `port` (numbered ports and ranges; named ports cannot be resolved here). */
export function admitsPort(rule: { readonly [key: string]: any }, port: number): boolean {
  if (admitsEveryPort(rule)) return true;
  return listOf(rule.ports).some((p) => {
    if (!isRecord(p) || (p.protocol !== undefined && p.protocol !== 'TCP')) return false;
    if (p.port === undefined) return true;
    if (typeof p.port !== 'number') return false;
    return typeof p.endPort === 'number' ? p.port <= port && port <= p.endPort : p.port === port;
  });
}

/** The labels of a namespace: its Namespace object's labels (when among the objects) and the name label the API server sets. */
export function namespaceLabels(ctx: RuleContext, namespace: string): Labels {
  const index = indexOf(ctx);
  let labels = index.namespaceLabels.get(namespace);
  if (!labels) {
    labels = { ...stringLabels(index.namespaces.get(namespace)?.metadata?.labels), [NAMESPACE_NAME_LABEL]: namespace };
    index.namespaceLabels.set(namespace, labels);
  }
  return labels;
}

/**
 * Whether an ingress rule of a NetworkPolicy in `policyNamespace` admits pods of
 * `callerNamespace`: no `from` (everyone), a peer whose namespaceSelector selects the caller
 * namespace, or a podSelector-only peer when the caller is in the policy's own namespace.
 * ipBlock peers do not count: pod traffic is identified by namespace and pod, not by address.
 */
export function admitsNamespace(ctx: RuleContext, rule: { readonly [key: string]: any }, policyNamespace: string, callerNamespace: string): boolean {
  if (rule.from === undefined || (Array.isArray(rule.from) && rule.from.length === 0)) return true;
  return listOf(rule.from).some((peer) => {
    if (!isRecord(peer) || peer.ipBlock !== undefined) return false;
    if (peer.namespaceSelector !== undefined) return selectorMatches(peer.namespaceSelector, namespaceLabels(ctx, callerNamespace));
    return peer.podSelector !== undefined && callerNamespace === policyNamespace;
  });
}

/**
 * {@link admitsNamespace} for callers whose pods are known by labels (a waypoint's): a peer must
 * also select every pod carrying `callerPodLabels` (its podSelector, when it has one).
 */
export function admitsPods(
  ctx: RuleContext, rule: { readonly [key: string]: any }, policyNamespace: string, callerNamespace: string, callerPodLabels: Labels,
): boolean {
  if (rule.from === undefined || (Array.isArray(rule.from) && rule.from.length === 0)) return true;
  return listOf(rule.from).some((peer) => {
    if (!isRecord(peer) || peer.ipBlock !== undefined) return false;
    const pods = peer.podSelector === undefined || selectorSelectsAllWith(peer.podSelector, callerPodLabels);
    if (peer.namespaceSelector !== undefined) return pods && selectorMatches(peer.namespaceSelector, namespaceLabels(ctx, callerNamespace));
    return peer.podSelector !== undefined && callerNamespace === policyNamespace && pods;
  });
}

/** Whether a NetworkPolicy selects every pod that carries `labels`. */
export function selectsAllPodsWith(np: RuleObject, labels: Labels): boolean {
  return selectorSelectsAllWith(podSelectorOf(np), labels);
}

/** Per namespace: ingress NetworkPolicies with a plain matchLabels selector, keyed by it; the rest apart. */
const bySelector = new WeakMap<readonly RuleObject[], Map<string, { readonly plain: Map<string, RuleObject[]>; readonly other: RuleObject[] }>>();

/** The label entries sorted by key. */
function sortedEntries(labels: Labels): [string, string][] {
  return Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function selectorKey(labels: Labels): string {
  return JSON.stringify(sortedEntries(labels));
}

/**
 * The ingress NetworkPolicies of `namespace` that select every pod carrying `labels`, found by
 * looking up each subset of `labels` instead of testing every policy of the namespace (an
 * AuthorizationPolicy selector has one or two labels, a namespace hundreds of policies).
 */
export function ingressPoliciesSelectingAll(ctx: RuleContext, namespace: string, labels: Labels): RuleObject[] {
  let perNamespace = bySelector.get(ctx.objects);
  if (!perNamespace) {
    perNamespace = new Map();
    bySelector.set(ctx.objects, perNamespace);
  }
  let index = perNamespace.get(namespace);
  if (!index) {
    index = { plain: new Map(), other: [] };
    for (const np of ingressPolicies(ctx, namespace)) {
      const selector = podSelectorOf(np);
      const plain = isRecord(selector) && Object.keys(selector).every((k) => k === 'matchLabels') ? stringLabels((selector as any).matchLabels ?? {}) : undefined;
      if (plain && Object.keys(plain).length === Object.keys((selector as any).matchLabels ?? {}).length) {
        const key = selectorKey(plain);
        pushTo(index.plain, key, np);
      } else {
        index.other.push(np);
      }
    }
    perNamespace.set(namespace, index);
  }
  const entries = sortedEntries(labels);
  if (entries.length > 12) return ingressPolicies(ctx, namespace).filter((np) => selectsAllPodsWith(np, labels));
  // Every subset of the labels, built by adding one label at a time (subsets of sorted entries stay sorted).
  let subsets: [string, string][][] = [[]];
  for (const entry of entries) subsets = [...subsets, ...subsets.map((s) => [...s, entry])];
  const found: RuleObject[] = [];
  for (const subset of subsets) found.push(...(index.plain.get(JSON.stringify(subset)) ?? []));
  found.push(...index.other.filter((np) => selectsAllPodsWith(np, labels)));
  if (found.length < 2) return found;
  // Keep the policies' original order.
  const order = ingressPolicies(ctx, namespace);
  return found.sort((a, b) => order.indexOf(a) - order.indexOf(b));
}

// ---- Ambient: data planes, HBONE, waypoints -----------------------------------------------------


/** The data plane of a namespace's pods: sidecars, ambient (ztunnel), or neither (or unknown). */
export type NamespaceDataPlane = 'sidecar' | 'ambient' | undefined;

/**
 * The data plane of a namespace, from the labels of its Namespace object in the set: `sidecar`
 * when they turn injection on (`istio-injection: enabled`, or no `istio-injection` and a
 * non-empty `istio.io/rev`: the injector's webhook selectors), `ambient` when they put it in
 * ambient mode without injection (see ambient-namespaces.ts), undefined otherwise, and for a
 * namespace whose Namespace object is not in the set.
 */
export function namespaceDataPlane(ctx: RuleContext, namespace: string): NamespaceDataPlane {
  const ns = indexOf(ctx).namespaces.get(namespace);
  if (!ns) return undefined;
  const labels = stringLabels(ns.metadata?.labels);
  if (injectsSidecars(labels)) return 'sidecar';
  return isAmbientNamespace(labels) ? 'ambient' : undefined;
}

/** Whether namespace labels turn sidecar injection on (the injector's webhook namespace selectors). */
function injectsSidecars(labels: Labels): boolean {
  const injection = labels['istio-injection'];
  const revision = labels['istio.io/rev'];
  return injection === 'enabled' || (injection === undefined && revision !== undefined && revision !== '');
}

/**
 * The data plane of the pods with this pod metadata in `namespace` (its Namespace object in the
 * set): `sidecar` when the injector gives them a sidecar (their namespace injects and they do not
 * refuse with `sidecar.istio.io/inject: "false"`, or they ask for one: see ambient-namespaces.ts);
 * otherwise `ambient` when ztunnel captures them: their namespace or the pod is labelled
 * `istio.io/dataplane-mode: ambient`, the pod is not labelled `none` and is not a pod Istio deploys
 * for a Gateway (istio/istio cni/pkg/util/podutil.go, `PodRedirectionEnabled`); else undefined.
 */
export function podDataPlane(ctx: RuleContext, namespace: string, metadata: { readonly [key: string]: unknown } | undefined): NamespaceDataPlane {
  const nsLabels = stringLabels(indexOf(ctx).namespaces.get(namespace)?.metadata?.labels);
  const labels = stringLabels(metadata?.labels);
  const outside = outsideZtunnel(metadata);
  if ((injectsSidecars(nsLabels) && labels['sidecar.istio.io/inject'] !== 'false') || outside === 'sidecar') return 'sidecar';
  if (outside !== undefined || labels[DATAPLANE_MODE_LABEL] === 'none') return undefined;
  return isAmbientNamespaceLabels(nsLabels) || labels[DATAPLANE_MODE_LABEL] === AMBIENT_MODE ? 'ambient' : undefined;
}

/**
 * The TCP port on which a connection from a pod of `callerNamespace`, authorized on `port`,
 * reaches the pods of `targetNamespace` at L3/L4: 15008 (HBONE) when the target is ambient, or
 * when the target runs sidecars and the caller is ambient; else the port itself (sidecar to
 * sidecar, or a namespace whose data plane the set does not show).
 */
export function l4PortOf(ctx: RuleContext, callerNamespace: string, targetNamespace: string, port: number): number {
  const target = namespaceDataPlane(ctx, targetNamespace);
  if (target === 'ambient') return HBONE_PORT;
  if (target === 'sidecar' && namespaceDataPlane(ctx, callerNamespace) === 'ambient') return HBONE_PORT;
  return port;
}

/** A waypoint: its Gateway's name and namespace (its pods carry `gateway.networking.k8s.io/gateway-name: <name>`). */
export interface WaypointRef {
  readonly name: string;
  readonly namespace: string;
}

/** The Service (or Gateway API Gateway) `name` of `namespace` in the set. */
export function findNamed(ctx: RuleContext, kind: 'Service' | 'Gateway', namespace: string, name: string): RuleObject | undefined {
  return indexOf(ctx).named.get(`${kind}/${namespace}/${name}`);
}

/** The waypoint a `istio.io/use-waypoint` label (with its namespace label) on these labels names; `null` for an explicit `none`. */
function waypointOfLabels(labels: Labels, defaultNamespace: string): WaypointRef | null | undefined {
  const name = labels[USE_WAYPOINT_LABEL];
  if (name === undefined) return undefined;
  if (name === 'none' || name === '') return null;
  return { name, namespace: labels[USE_WAYPOINT_NAMESPACE_LABEL] || defaultNamespace };
}

/**
 * The waypoint a Service's traffic goes through (istio.io docs/ambient/usage/waypoint): its
 * `istio.io/use-waypoint` label, else its namespace's (`none` opts out), in the namespace named by
 * `istio.io/use-waypoint-namespace` next to it, else the Service's. None for a headless Service
 * (no VIP to capture), nor when the waypoint's Gateway is in the set and its `istio.io/waypoint-for`
 * leaves services out (`workload`, `none`).
 */
export function serviceWaypoint(ctx: RuleContext, service: RuleObject): WaypointRef | undefined {
  const namespace = service.metadata?.namespace;
  if (typeof namespace !== 'string') return undefined;
  const spec = isRecord(service.spec) ? service.spec : {};
  if (spec.clusterIP === 'None') return undefined;
  let waypoint = waypointOfLabels(stringLabels(service.metadata?.labels), namespace);
  if (waypoint === undefined) waypoint = waypointOfLabels(namespaceLabels(ctx, namespace), namespace);
  if (!waypoint) return undefined;
  const gateway = findNamed(ctx, 'Gateway', waypoint.namespace, waypoint.name);
  const servesFor = gateway ? stringLabels(gateway.metadata?.labels)[WAYPOINT_FOR_LABEL] : undefined;
  if (servesFor === 'workload' || servesFor === 'none') return undefined;
  return waypoint;
}

/** The waypoint a Gateway API Gateway of the set is (class `istio-waypoint`), else undefined. */
export function gatewayWaypoint(ctx: RuleContext, namespace: string, name: string): WaypointRef | undefined {
  const gateway = findNamed(ctx, 'Gateway', namespace, name);
  const spec = gateway && isRecord(gateway.spec) ? gateway.spec : {};
  return spec.gatewayClassName === WAYPOINT_GATEWAY_CLASS ? { name, namespace } : undefined;
}

/** The pod labels of a waypoint's pods that select them (`gateway.networking.k8s.io/gateway-name`). */
export function waypointPodLabels(waypoint: WaypointRef): Labels {
  return { [GATEWAY_NAME_LABEL]: waypoint.name };
}

/**
 * Whether `principal` is the waypoint's identity: its ServiceAccount is named after the Gateway
 * in the Gateway's namespace (`<td>/ns/<namespace>/sa/<name>`, any trust domain).
 */
export function isWaypointPrincipal(principal: string, waypoint: WaypointRef): boolean {
  const m = /^[^/]+\/ns\/([^/]+)\/sa\/([^/]+)$/.exec(principal);
  return m !== null && m[1] === waypoint.namespace && m[2] === waypoint.name;
}

/** The labels a Service selects its pods by (`spec.selector`, string values only); undefined when it selects none. */
export function serviceSelector(service: RuleObject): Labels | undefined {
  const spec = isRecord(service.spec) ? service.spec : {};
  const labels = stringLabels(spec.selector);
  return Object.keys(labels).length > 0 ? labels : undefined;
}
