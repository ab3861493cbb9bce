import { NAMESPACE_NAME_LABEL } from '../../network/peers';
import { RuleContext, RuleObject, isKind } from '../rule';
import { Labels, selectorMatches, selectorSelectsAllWith } from './network-label-selector';
import { isRecord } from './workload-pod-specs';

/**
 * How mesh ALLOW policies and NetworkPolicies are read for the L4-counterpart rules (AUTHZ-4,
 * NETPOL-1): which pods an ALLOW policy selects, which callers and ports it allows, and whether a
 * NetworkPolicy admits a caller namespace on a port.
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

/** Per object set: its ALLOW policies, in object order and by namespace (built once). */
const allowIndexes = new WeakMap<readonly RuleObject[], { readonly all: AllowPolicy[]; readonly byNamespace: Map<string, AllowPolicy[]> }>();

function allowIndexOf(ctx: RuleContext): { readonly all: AllowPolicy[]; readonly byNamespace: Map<string, AllowPolicy[]> } {
  let index = allowIndexes.get(ctx.objects);
  if (!index) {
    index = { all: [], byNamespace: new Map() };
    for (const o of ctx.objects) {
      if (!isKind(o, 'security.istio.io', 'AuthorizationPolicy')) continue;
      const ns = o.metadata?.namespace;
      const spec = isRecord(o.spec) ? o.spec : {};
      if (typeof ns !== 'string' || (spec.action !== undefined && spec.action !== 'ALLOW')) continue;
      if (spec.targetRefs !== undefined || spec.targetRef !== undefined) continue;
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
  /** Labels of each namespace asked about so far. */
  readonly namespaceLabels: Map<string, Labels>;
}

/** Per object set: the NetworkPolicy and Namespace index (built once). */
const indexes = new WeakMap<readonly RuleObject[], NetworkIndex>();

function indexOf(ctx: RuleContext): NetworkIndex {
  let index = indexes.get(ctx.objects);
  if (!index) {
    index = { ingress: new Map(), namespaces: new Map(), namespaceLabels: new Map() };
    for (const o of ctx.objects) {
      const ns = o.metadata?.namespace;
      if (isKind(o, 'networking.k8s.io', 'NetworkPolicy') && typeof ns === 'string' && restrictsIngress(o)) {
        pushTo(index.ingress, ns, o);
      } else if (isKind(o, '', 'Namespace') && typeof o.metadata?.name === 'string' && !index.namespaces.has(o.metadata.name)) {
        index.namespaces.set(o.metadata.name, o);
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
