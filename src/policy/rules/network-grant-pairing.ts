import { PolicyRule, RuleContext, RuleObject, RuleSeverity, RuleViolation, isKind, objectRef } from '../rule';
import { GATEWAY_API_GROUP } from './mesh-gateway-scope';
import { podMetadata } from './mesh-shared';
import {
  TargetedAllowPolicy, WaypointRef, allowPolicies, findNamed, gatewayWaypoint, l4PortOf, namespaceLabels, podSelectorOf, portNumber,
  serviceSelector, serviceWaypoint, targetedAllowPolicies, waypointPodLabels,
} from './network-l4-model';
import { Labels, selectorMatches } from './network-label-selector';
import { governs, isNetworkPolicy, tcpPortNumber } from './network-policy-shape';
import { isRecord, podSpecsOf } from './workload-pod-specs';
import { GATEWAY_NAME_LABEL, HBONE_PORT } from '../../mesh/data-plane';
import { NAMESPACE_NAME_LABEL } from '../../network/peers';

/**
 * NET-GRANT-001 (AUTHZ-4, NETPOL-1): a grant between two workloads of the object set is declared
 * on both sides: the target's ALLOW AuthorizationPolicy admits the caller's principal, and the
 * caller's egress NetworkPolicy opens the target.
 *
 * A service of repository A calling one of repository B takes two declarations: the grant in B
 * (`allowFrom` a service declared by attributes, an AuthorizationPolicy admitting A's principal)
 * and the caller's side in A (an egress NetworkPolicy rule to B's pods). Each repository alone
 * cannot see the other half; over several outputs together (the audit of the combined
 * manifests), a half without its other half is reported:
 *
 * 1. Target side only: an ALLOW AuthorizationPolicy selecting the target's pods
 *    (`selector.matchLabels`) admits the exact principal `<td>/ns/<ns>/sa/<sa>` on port X, or one
 *    attached to the target's Service (`targetRefs`) that goes through a waypoint admits it, and
 *    the caller's pods are egress-isolated, yet no egress rule of a NetworkPolicy selecting them
 *    admits the target's pods on the TCP port the connection leaves on (X between sidecars; 15008
 *    when either namespace is ambient, see `l4PortOf`), nor the pods of the waypoint the target's
 *    Service goes through on 15008 (the only hop for a waypoint-attached policy). Reported on the
 *    AuthorizationPolicy at the principal's path, with the L4 port in question.
 * 2. Caller side only: an egress rule of a NetworkPolicy selecting the caller's pods opens pods
 *    named exactly (a podSelector, with a namespaceSelector on `kubernetes.io/metadata.name` or
 *    none for the policy's own namespace) on TCP port X, and no ALLOW AuthorizationPolicy of
 *    those pods (selecting them, or attached to a Service selecting them) admits the caller's
 *    principal on X (on any port for 15008, HBONE). For a rule to a waypoint's pods (`gateway-
 *    name: <waypoint>` of a waypoint Gateway of the set) on 15008, a policy the waypoint enforces
 *    (attached to the waypoint, to a Service that uses it, or to another target of its namespace
 *    such as a ServiceEntry) must admit the principal. Reported on the NetworkPolicy at the
 *    egress rule's path, with the port.
 *
 * Judged only what can be: the callers are the workloads of the set (Pods, Deployments,
 * StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs, custom pod templates) whose
 * ServiceAccount is the principal's (`serviceAccountName`, `default` when unset; any trust
 * domain), in a namespace whose default-deny egress NetworkPolicy selects them (policyTypes
 * Egress, no egress rule); the targets are the workloads of the set the policy or the egress rule
 * selects. Not judged, so never reported: callers or targets not in the set (an imported
 * service, a bare `Principal`, a waypoint or gateway Istio deploys), callers not isolated for
 * egress (Istio gateways, unhardened namespaces); for kind 1, principals with a wildcard,
 * namespace-wide ALLOW policies (no selector), policies attached to a Gateway or ServiceEntry, and
 * rules without ports for a target reached on its app port; for kind 2, egress rules to whole
 * namespaces, to namespaces chosen by other labels, to ipBlocks, to `kube-system` (DNS) or the
 * root and control-plane namespaces (istiod), rules without ports or peers, named ports and port
 * ranges. An egress rule whose peer or port cannot be read exactly (an ipBlock or a named port)
 * makes the caller's side unknown rather than missing, and source conditions the rule does not
 * model (ipBlocks, request principals, `when`) are read as admitting: only a half whose other
 * half is surely absent is reported. The Sidecar `hosts` entry a sidecar caller also needs is
 * not checked here: a missing one fails the call, it opens nothing.
 *
 * What SecureService.allowFrom writes in one app has both sides; an imported target or a bare
 * Principal caller has its other workload outside the set, and the other repository writes the
 * other side.
 */
export const NET_GRANT_001: PolicyRule = {
  id: 'NET-GRANT-001',
  practices: ['AUTHZ-4', 'NETPOL-1'],
  severity: RuleSeverity.ERROR,
  since: '2',
  auditOnly: true,
  kinds: [],
  title: 'Grants between workloads are declared on both sides: the target\'s ALLOW and the caller\'s egress NetworkPolicy',
  explanation:
    'Under default-deny egress a connection needs the caller\'s egress NetworkPolicy and the target\'s AuthorizationPolicy (and ingress '
    + 'NetworkPolicy). A grant declared on one side only is either broken (the caller\'s pods cannot leave: the target\'s repository '
    + 'granted something nobody can use, or the caller\'s repository expects a grant that was never given, or was revoked) or a '
    + 'standing opening waiting for its other half: an egress rule to pods that do not admit the caller, or an ALLOW for a caller '
    + 'that never asked, widens what a later change on the other side silently turns on. Across repositories nobody else sees it: '
    + 'each repository alone is consistent.',
  fix:
    'Declare the grant on both sides. In the target\'s repository: `target.allowFrom(SecureService.fromAttributes(..caller..))`; in '
    + 'the caller\'s: `SecureService.fromAttributes(..target..).allowFrom(caller)` (same ports; `dataPlane` and `usesWaypoint` as the '
    + 'target\'s repository declares them). Remove the half whose other half was revoked. A PolicyException with a short expiry is '
    + 'right while the other repository\'s change is under review, or when a layer the output does not show (a CNI-level policy) '
    + 'provides the caller\'s side.',
  check() {
    return [];
  },
  checkAll(ctx) {
    return [...targetSideOnly(ctx), ...callerSideOnly(ctx)];
  },
};

// ---- The workloads of the set ---------------------------------------------------------------

/** A workload of the set: its pods' namespace, ServiceAccount and labels. */
interface Workload {
  readonly object: RuleObject;
  readonly namespace: string;
  readonly serviceAccount: string;
  readonly labels: Labels;
}

interface GrantIndex {
  readonly workloads: Workload[];
  /** Workloads by namespace, and by `key=value` label within it. */
  readonly byNamespace: Map<string, { readonly all: Workload[]; readonly byLabel: Map<string, Workload[]> }>;
  /** Workloads by `namespace/serviceAccount`. */
  readonly byAccount: Map<string, Workload[]>;
  /** NetworkPolicies that govern egress, by namespace. */
  readonly egressPolicies: Map<string, RuleObject[]>;
  /** Per workload: the egress NetworkPolicies selecting its pods, and whether one is a default deny. */
  readonly egressOf: Map<Workload, { readonly policies: RuleObject[]; readonly isolated: boolean }>;
  /** Per workload: the ALLOW policies that apply to its pods (selecting them, or attached to a Service selecting them). */
  readonly allowsOf: Map<Workload, RuleObject[]>;
  /** Services by namespace. */
  readonly services: Map<string, RuleObject[]>;
}

const grantIndexes = new WeakMap<readonly RuleObject[], GrantIndex>();

function stringLabels(v: unknown): Labels {
  if (!isRecord(v)) return {};
  const out: { [key: string]: string } = {};
  for (const [k, x] of Object.entries(v)) if (typeof x === 'string') out[k] = x;
  return out;
}

function listOf(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** The workload an object runs, when it has a pod spec, a namespace and a readable ServiceAccount. */
function workloadOf(o: RuleObject): Workload | undefined {
  const namespace = o.metadata?.namespace;
  const pod = podSpecsOf(o)[0];
  if (typeof namespace !== 'string' || !pod) return undefined;
  const account: unknown = pod.spec.serviceAccountName ?? pod.spec.serviceAccount ?? 'default';
  if (typeof account !== 'string' || account === '') return undefined;
  return { object: o, namespace, serviceAccount: account, labels: stringLabels(podMetadata(o)?.metadata?.labels) };
}

function indexOf(ctx: RuleContext): GrantIndex {
  let index = grantIndexes.get(ctx.objects);
  if (index) return index;
  index = {
    workloads: [],
    byNamespace: new Map(),
    byAccount: new Map(),
    services: new Map(),
    egressPolicies: new Map(),
    egressOf: new Map(),
    allowsOf: new Map(),
  };
  for (const o of ctx.objects) {
    if (isNetworkPolicy(o)) {
      const ns = o.metadata?.namespace;
      if (typeof ns === 'string' && governs(o, 'egress')) pushTo(index.egressPolicies, ns, o);
      continue;
    }
    if (isKind(o, '', 'Service') && typeof o.metadata?.namespace === 'string') {
      pushTo(index.services, o.metadata.namespace, o);
      continue;
    }
    const w = workloadOf(o);
    if (!w) continue;
    index.workloads.push(w);
    let inNs = index.byNamespace.get(w.namespace);
    if (!inNs) {
      inNs = { all: [], byLabel: new Map() };
      index.byNamespace.set(w.namespace, inNs);
    }
    inNs.all.push(w);
    for (const [k, v] of Object.entries(w.labels)) pushTo(inNs.byLabel, `${k}=${v}`, w);
    pushTo(index.byAccount, `${w.namespace}/${w.serviceAccount}`, w);
  }
  grantIndexes.set(ctx.objects, index);
  return index;
}

/** The workloads of `namespace` whose pods `selector` (a label selector) selects. */
function workloadsSelected(ctx: RuleContext, namespace: string, selector: unknown): Workload[] {
  const inNs = indexOf(ctx).byNamespace.get(namespace);
  if (!inNs || !isRecord(selector)) return [];
  const first = Object.entries(stringLabels(selector.matchLabels))[0];
  const candidates = first ? inNs.byLabel.get(`${first[0]}=${first[1]}`) ?? [] : inNs.all;
  return candidates.filter((w) => selectorMatches(selector, w.labels));
}

/** Per namespace: egress NetworkPolicies whose podSelector is plain matchLabels, keyed by them; the others apart. */
interface EgressSelectorIndex {
  readonly plain: Map<string, RuleObject[]>;
  readonly other: RuleObject[];
}
const egressBySelector = new WeakMap<readonly RuleObject[], Map<string, EgressSelectorIndex>>();

function labelsKey(entries: readonly (readonly [string, string])[]): string {
  return JSON.stringify(entries);
}

/**
 * The egress NetworkPolicies of a namespace that select pods with exactly `labels`: found by looking
 * up each subset of the labels among the plain selectors (a namespace has hundreds of policies,
 * a pod a few labels), and by testing the other selectors.
 */
function egressPoliciesSelecting(ctx: RuleContext, namespace: string, labels: Labels): RuleObject[] {
  const all = indexOf(ctx).egressPolicies.get(namespace) ?? [];
  const entries = sortedEntries(labels);
  if (entries.length > 10) return all.filter((np) => selectorMatches(podSelectorOf(np), labels));
  let perNamespace = egressBySelector.get(ctx.objects);
  if (!perNamespace) {
    perNamespace = new Map();
    egressBySelector.set(ctx.objects, perNamespace);
  }
  let index = perNamespace.get(namespace);
  if (!index) {
    index = { plain: new Map(), other: [] };
    for (const np of all) {
      const selector = podSelectorOf(np);
      const matchLabels = isRecord(selector) ? selector.matchLabels ?? {} : undefined;
      const plain = isRecord(selector) && Object.keys(selector).every((k) => k === 'matchLabels') && isRecord(matchLabels)
        && Object.values(matchLabels).every((v) => typeof v === 'string');
      if (plain) pushTo(index.plain, labelsKey(sortedEntries(matchLabels as Labels)), np);
      else index.other.push(np);
    }
    perNamespace.set(namespace, index);
  }
  let subsets: [string, string][][] = [[]];
  for (const entry of entries) subsets = [...subsets, ...subsets.map((sub) => [...sub, entry])];
  const found: RuleObject[] = [];
  for (const sub of subsets) found.push(...(index.plain.get(labelsKey(sub)) ?? []));
  for (const np of index.other) if (selectorMatches(podSelectorOf(np), labels)) found.push(np);
  return found.length < 2 ? found : found.sort((a, b) => all.indexOf(a) - all.indexOf(b));
}

/** The egress NetworkPolicies selecting the workload's pods, and whether one of them denies all egress. */
function egressOf(ctx: RuleContext, w: Workload): { readonly policies: RuleObject[]; readonly isolated: boolean } {
  const index = indexOf(ctx);
  let found = index.egressOf.get(w);
  if (!found) {
    const policies = egressPoliciesSelecting(ctx, w.namespace, w.labels);
    const isolated = policies.some((np) => {
      const rules: unknown = isRecord(np.spec) ? np.spec.egress : undefined;
      return rules === undefined || rules === null || (Array.isArray(rules) && rules.length === 0);
    });
    found = { policies, isolated };
    index.egressOf.set(w, found);
  }
  return found;
}

// ---- Reading egress rules -------------------------------------------------------------------

/** Three-valued: admitted, not admitted, or not known from the objects (an ipBlock, a named port). */
type Tri = 'yes' | 'no' | 'unknown';

function both(a: Tri, b: Tri): Tri {
  if (a === 'no' || b === 'no') return 'no';
  return a === 'yes' && b === 'yes' ? 'yes' : 'unknown';
}

function either(values: Iterable<Tri>): Tri {
  let out: Tri = 'no';
  for (const v of values) {
    if (v === 'yes') return 'yes';
    if (v === 'unknown') out = 'unknown';
  }
  return out;
}

/** Whether an egress rule's ports admit TCP `port`. */
function portsAdmit(rule: { readonly [key: string]: any }, port: number): Tri {
  const ports: unknown = rule.ports;
  if (ports === undefined || ports === null || (Array.isArray(ports) && ports.length === 0)) return 'yes';
  return either(listOf(ports).map((p): Tri => {
    if (!isRecord(p) || (p.protocol !== undefined && p.protocol !== 'TCP')) return 'no';
    if (p.port === undefined) return 'yes';
    if (typeof p.port === 'string') return 'unknown';
    if (typeof p.port !== 'number') return 'no';
    return (typeof p.endPort === 'number' ? p.port <= port && port <= p.endPort : p.port === port) ? 'yes' : 'no';
  }));
}

/** Whether an egress peer of a NetworkPolicy in `policyNamespace` admits the pods with `labels` in `namespace`. */
function peerAdmits(ctx: RuleContext, peer: unknown, policyNamespace: string, namespace: string, labels: Labels): Tri {
  if (!isRecord(peer)) return 'no';
  if (peer.ipBlock !== undefined) return 'unknown';
  const pods = peer.podSelector === undefined || selectorMatches(peer.podSelector, labels);
  if (peer.namespaceSelector !== undefined) return pods && selectorMatches(peer.namespaceSelector, namespaceLabels(ctx, namespace)) ? 'yes' : 'no';
  return peer.podSelector !== undefined && namespace === policyNamespace && pods ? 'yes' : 'no';
}

/** Whether an egress rule of `np` admits the pods with `labels` in `namespace` on TCP `port`. */
function ruleAdmits(ctx: RuleContext, np: RuleObject, rule: unknown, namespace: string, labels: Labels, port: number): Tri {
  if (!isRecord(rule)) return 'no';
  const ports = portsAdmit(rule, port);
  if (ports === 'no') return 'no';
  const to: unknown = rule.to;
  const peers: Tri = to === undefined || to === null || (Array.isArray(to) && to.length === 0) ? 'yes'
    : either(listOf(to).map((peer) => peerAdmits(ctx, peer, String(np.metadata?.namespace), namespace, labels)));
  return both(ports, peers);
}

/** Whether the caller's egress policies let its pods reach the pods with `labels` in `namespace` on TCP `port`. */
function egressAdmits(ctx: RuleContext, caller: Workload, namespace: string, labels: Labels, port: number): Tri {
  return either(egressOf(ctx, caller).policies.flatMap((np) => {
    const rules = isRecord(np.spec) ? np.spec.egress : undefined;
    return listOf(rules).map((rule) => ruleAdmits(ctx, np, rule, namespace, labels, port));
  }));
}

// ---- Reading ALLOW policies -----------------------------------------------------------------

const EXACT_PRINCIPAL = /^([^/*]+)\/ns\/([^/*]+)\/sa\/([^/*]+)$/;

/** Istio's string match: exact, `*`, `prefix*` or `*suffix`. */
function globMatches(pattern: string, value: string): boolean {
  if (pattern === '*') return true;
  if (pattern.startsWith('*')) return value.endsWith(pattern.slice(1));
  if (pattern.endsWith('*')) return value.startsWith(pattern.slice(0, -1));
  return pattern === value;
}

/** Whether a `principals` entry names the ServiceAccount `sa` of `ns` (in any trust domain: the caller's is not known). */
function principalMatches(entry: unknown, ns: string, sa: string): boolean {
  if (typeof entry !== 'string') return false;
  const exact = EXACT_PRINCIPAL.exec(entry);
  if (exact) return exact[2] === ns && exact[3] === sa;
  if (!entry.includes('*')) return false;
  const slash = entry.indexOf('/');
  const td = slash > 0 && !entry.slice(0, slash).includes('*') ? entry.slice(0, slash) : 'cluster.local';
  return globMatches(entry, `${td}/ns/${ns}/sa/${sa}`);
}

/** Whether a rule's `from` admits the ServiceAccount (conditions it does not model are read as admitting). */
function fromAdmits(from: unknown, ns: string, sa: string): boolean {
  if (from === undefined || from === null || (Array.isArray(from) && from.length === 0)) return true;
  return listOf(from).some((f) => {
    if (!isRecord(f) || !isRecord(f.source)) return false;
    const s = f.source;
    if (s.principals !== undefined && !listOf(s.principals).some((p) => principalMatches(p, ns, sa))) return false;
    if (listOf(s.notPrincipals).some((p) => principalMatches(p, ns, sa))) return false;
    if (s.namespaces !== undefined && !listOf(s.namespaces).some((n) => typeof n === 'string' && globMatches(n, ns))) return false;
    if (listOf(s.notNamespaces).some((n) => typeof n === 'string' && globMatches(n, ns))) return false;
    return true;
  });
}

/** Whether a rule's `to` admits `port` (any port when undefined). */
function toAdmits(to: unknown, port: number | undefined): boolean {
  if (to === undefined || to === null || (Array.isArray(to) && to.length === 0)) return true;
  return listOf(to).some((t) => {
    if (!isRecord(t)) return false;
    const op = isRecord(t.operation) ? t.operation : {};
    if (port === undefined) return true;
    if (listOf(op.notPorts).some((p) => portNumber(p) === port)) return false;
    return op.ports === undefined || listOf(op.ports).some((p) => portNumber(p) === port);
  });
}

/** Whether an ALLOW AuthorizationPolicy admits the ServiceAccount `sa` of `ns` on `port` (any port when undefined). */
function policyAdmits(policy: RuleObject, ns: string, sa: string, port: number | undefined): boolean {
  const spec = isRecord(policy.spec) ? policy.spec : {};
  return listOf(spec.rules).some((rule) => isRecord(rule) && fromAdmits(rule.from, ns, sa) && toAdmits(rule.to, port));
}

/** The Services of the set in the policy's namespace that a targeted policy is attached to. */
function targetServices(ctx: RuleContext, policy: TargetedAllowPolicy): { readonly service: RuleObject; readonly path: string }[] {
  const out: { service: RuleObject; path: string }[] = [];
  for (const t of policy.targets) {
    if (t.group !== '' || t.kind !== 'Service') continue;
    const service = findNamed(ctx, 'Service', policy.namespace, t.name);
    if (service) out.push({ service, path: t.path });
  }
  return out;
}

/** Per namespace: the ALLOW policies by sorted selector labels, the namespace-wide ones, and the targeted ones. */
interface AllowsByNamespace {
  readonly bySelector: Map<string, RuleObject[]>;
  readonly namespaceWide: RuleObject[];
  readonly targeted: TargetedAllowPolicy[];
}

const allowsByNamespace = new WeakMap<readonly RuleObject[], Map<string, AllowsByNamespace>>();

function sortedEntries(labels: Labels): [string, string][] {
  return Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function allowsIn(ctx: RuleContext, namespace: string): AllowsByNamespace | undefined {
  let index = allowsByNamespace.get(ctx.objects);
  if (!index) {
    index = new Map();
    const entry = (ns: string) => {
      let e = index!.get(ns);
      if (!e) {
        e = { bySelector: new Map(), namespaceWide: [], targeted: [] };
        index!.set(ns, e);
      }
      return e;
    };
    for (const p of allowPolicies(ctx)) {
      if (p.matchLabels === undefined || Object.keys(p.matchLabels).length === 0) entry(p.namespace).namespaceWide.push(p.object);
      else pushTo(entry(p.namespace).bySelector, labelsKey(sortedEntries(p.matchLabels)), p.object);
    }
    for (const p of targetedAllowPolicies(ctx)) entry(p.namespace).targeted.push(p);
    allowsByNamespace.set(ctx.objects, index);
  }
  return index.get(namespace);
}

/** The ALLOW policies that apply to a workload's pods: selecting them (or their whole namespace), or attached to a Service selecting them. */
function allowsOf(ctx: RuleContext, w: Workload): RuleObject[] {
  const index = indexOf(ctx);
  let found = index.allowsOf.get(w);
  if (!found) {
    found = [];
    const inNs = allowsIn(ctx, w.namespace);
    if (inNs) {
      found.push(...inNs.namespaceWide);
      const entries = sortedEntries(w.labels);
      if (entries.length > 10) {
        for (const [key, policies] of inNs.bySelector) {
          if ((JSON.parse(key) as [string, string][]).every(([k, v]) => w.labels[k] === v)) found.push(...policies);
        }
      } else {
        let subsets: [string, string][][] = [[]];
        for (const e of entries) subsets = [...subsets, ...subsets.map((sub) => [...sub, e])];
        for (const sub of subsets) found.push(...(inNs.bySelector.get(labelsKey(sub)) ?? []));
      }
      for (const p of inNs.targeted) {
        if (targetServices(ctx, p).some(({ service }) => {
          const selector = serviceSelector(service);
          return selector !== undefined && selectorMatches({ matchLabels: selector }, w.labels);
        })) found.push(p.object);
      }
    }
    index.allowsOf.set(w, found);
  }
  return found;
}

const waypointPolicyIndexes = new WeakMap<readonly RuleObject[], Map<string, RuleObject[]>>();

/** The ALLOW policies a waypoint enforces: attached to it, to a Service that uses it, or to another target of its namespace. */
function waypointPolicies(ctx: RuleContext, waypoint: WaypointRef): RuleObject[] {
  let index = waypointPolicyIndexes.get(ctx.objects);
  if (!index) {
    index = new Map();
    waypointPolicyIndexes.set(ctx.objects, index);
  }
  const key = `${waypoint.namespace}/${waypoint.name}`;
  let found = index.get(key);
  if (!found) {
    found = targetedAllowPolicies(ctx).filter((p) => p.targets.some((t) => {
      if (t.group === GATEWAY_API_GROUP && t.kind === 'Gateway') return p.namespace === waypoint.namespace && t.name === waypoint.name;
      if (t.group === '' && t.kind === 'Service') {
        const service = findNamed(ctx, 'Service', p.namespace, t.name);
        const via = service ? serviceWaypoint(ctx, service) : undefined;
        return via !== undefined && via.namespace === waypoint.namespace && via.name === waypoint.name;
      }
      // A ServiceEntry (or another kind) the waypoint of its namespace serves, as AmbientEgressGateway writes.
      return p.namespace === waypoint.namespace;
    })).map((p) => p.object);
    index.set(key, found);
  }
  return found;
}

// ---- Kind 1: the target's side only ---------------------------------------------------------

/** An exact principal a policy admits, with the principal's path and the ports of its rule (undefined: every port). */
interface PrincipalGrant {
  readonly principal: string;
  readonly namespace: string;
  readonly serviceAccount: string;
  readonly path: string;
  readonly ports: number[] | undefined;
}

function principalGrants(policy: RuleObject): PrincipalGrant[] {
  const spec = isRecord(policy.spec) ? policy.spec : {};
  const out: PrincipalGrant[] = [];
  const rules = listOf(spec.rules);
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i];
    if (!isRecord(rule)) continue;
    const tos = listOf(rule.to);
    let ports: number[] | undefined;
    if (tos.length > 0 && tos.every((t) => isRecord(t) && isRecord(t.operation) && t.operation.ports !== undefined)) {
      ports = [...new Set(tos.flatMap((t: any) => listOf(t.operation.ports).map(portNumber).filter((p): p is number => p !== undefined)))];
    }
    const froms = listOf(rule.from);
    for (let j = 0; j < froms.length; j++) {
      const from = froms[j];
      const principals = listOf(isRecord(from) && isRecord(from.source) ? from.source.principals : undefined);
      for (let k = 0; k < principals.length; k++) {
        const p = principals[k];
        const m = typeof p === 'string' ? EXACT_PRINCIPAL.exec(p) : null;
        if (m) out.push({ principal: p as string, namespace: m[2], serviceAccount: m[3], path: `spec.rules[${i}].from[${j}].source.principals[${k}]`, ports });
      }
    }
  }
  return out;
}

/** The isolated callers of a principal in the set. */
function isolatedCallers(ctx: RuleContext, namespace: string, serviceAccount: string): Workload[] {
  return (indexOf(ctx).byAccount.get(`${namespace}/${serviceAccount}`) ?? []).filter((w) => egressOf(ctx, w).isolated);
}

function labelText(labels: Labels): string {
  const entries = Object.entries(labels);
  return entries.length ? entries.map(([k, v]) => `${k}=${v}`).join(',') : '<all pods>';
}

/** Per namespace: the Services of the set that go through a waypoint, with the labels they select (built once per namespace). */
const waypointServices = new WeakMap<readonly RuleObject[], Map<string, { readonly selector: Labels; readonly waypoint: WaypointRef }[]>>();

/** The waypoints serving the Services that select a workload's pods. */
function waypointsOf(ctx: RuleContext, w: Workload): WaypointRef[] {
  let perNamespace = waypointServices.get(ctx.objects);
  if (!perNamespace) {
    perNamespace = new Map();
    waypointServices.set(ctx.objects, perNamespace);
  }
  let served = perNamespace.get(w.namespace);
  if (!served) {
    served = [];
    for (const service of indexOf(ctx).services.get(w.namespace) ?? []) {
      const selector = serviceSelector(service);
      const waypoint = selector ? serviceWaypoint(ctx, service) : undefined;
      if (selector && waypoint) served.push({ selector, waypoint });
    }
    perNamespace.set(w.namespace, served);
  }
  const out: WaypointRef[] = [];
  for (const { selector, waypoint } of served) {
    if (!selectorMatches({ matchLabels: selector }, w.labels)) continue;
    if (!out.some((x) => x.name === waypoint.name && x.namespace === waypoint.namespace)) out.push(waypoint);
  }
  return out;
}

function targetSideOnly(ctx: RuleContext): { object: RuleObject; violation: RuleViolation }[] {
  const out: { object: RuleObject; violation: RuleViolation }[] = [];
  const side = (ns: string) => `the target's side, namespace "${ns}"`;
  const tail = 'the grant is declared on the target\'s side only';
  const hbone = new Map<string, boolean>();
  const l4Port = (callerNs: string, targetNs: string, port: number) => {
    const key = `${callerNs}/${targetNs}`;
    let carried = hbone.get(key);
    if (carried === undefined) {
      carried = l4PortOf(ctx, callerNs, targetNs, -1) === HBONE_PORT;
      hbone.set(key, carried);
    }
    return carried ? HBONE_PORT : port;
  };
  // Selector-bound policies: the caller reaches the target's pods (or the waypoint of their Service).
  for (const policy of allowPolicies(ctx)) {
    if (policy.matchLabels === undefined || Object.keys(policy.matchLabels).length === 0) continue;
    const grants = principalGrants(policy.object);
    if (grants.length === 0) continue;
    const targets = workloadsSelected(ctx, policy.namespace, { matchLabels: policy.matchLabels });
    if (targets.length === 0) continue;
    let waypointList: WaypointRef[] | undefined;
    const waypoints = () => waypointList
      ??= [...new Map(targets.flatMap((t) => waypointsOf(ctx, t)).map((wp) => [`${wp.namespace}/${wp.name}`, wp])).values()];
    const seen = new Set<string>();
    for (const grant of grants) {
      for (const caller of isolatedCallers(ctx, grant.namespace, grant.serviceAccount)) {
        const hops = new Set<number>();
        for (const port of grant.ports ?? [-1]) {
          const hop = l4Port(caller.namespace, policy.namespace, port);
          if (hop > 0) hops.add(hop);
        }
        for (const hop of hops) {
          const key = `${grant.path}:${hop}`;
          if (seen.has(key)) continue;
          const reach = either([
            ...targets.map((t) => egressAdmits(ctx, caller, t.namespace, t.labels, hop)),
            ...waypoints().map((wp) => egressAdmits(ctx, caller, wp.namespace, waypointPodLabels(wp), HBONE_PORT)),
          ]);
          if (reach !== 'no') continue;
          seen.add(key);
          const ports = grant.ports ? `port ${grant.ports.join(', ')}` : 'every port';
          const via = hop === HBONE_PORT && !grant.ports?.includes(HBONE_PORT) ? ` (HBONE on TCP ${HBONE_PORT})` : ` (TCP ${hop})`;
          out.push({
            object: policy.object,
            violation: {
              path: grant.path,
              port: hop,
              message: `${grant.principal} is granted ${ports} of ${labelText(policy.matchLabels)} (${objectRef(targets[0].object)}) by ${side(policy.namespace)}, `
                + `but the caller's egress NetworkPolicy does not open it: no egress rule selecting ${objectRef(caller.object)} admits those pods`
                + `${via}${waypoints().length ? ' or their waypoint\'s' : ''}: ${tail}`,
            },
          });
        }
      }
    }
  }
  // Waypoint-attached policies: the caller reaches the waypoint's pods on 15008, whatever the port.
  for (const policy of targetedAllowPolicies(ctx)) {
    const grants = principalGrants(policy.object);
    if (grants.length === 0) continue;
    for (const { service, path } of targetServices(ctx, policy)) {
      const waypoint = serviceWaypoint(ctx, service);
      const selector = serviceSelector(service);
      if (!waypoint || !selector || workloadsSelected(ctx, policy.namespace, { matchLabels: selector }).length === 0) continue;
      const seen = new Set<string>();
      for (const grant of grants) {
        if (seen.has(grant.path)) continue;
        for (const caller of isolatedCallers(ctx, grant.namespace, grant.serviceAccount)) {
          if (egressAdmits(ctx, caller, waypoint.namespace, waypointPodLabels(waypoint), HBONE_PORT) !== 'no') continue;
          seen.add(grant.path);
          out.push({
            object: policy.object,
            violation: {
              path: grant.path,
              port: HBONE_PORT,
              message: `${grant.principal} is granted Service "${policy.namespace}/${service.metadata?.name}" (${path}), which goes through waypoint `
                + `"${waypoint.namespace}/${waypoint.name}", by ${side(policy.namespace)}, but the caller's egress NetworkPolicy does not open it: `
                + `no egress rule selecting ${objectRef(caller.object)} admits the waypoint's pods (${labelText(waypointPodLabels(waypoint))} in `
                + `"${waypoint.namespace}") on TCP ${HBONE_PORT}: ${tail}`,
            },
          });
          break;
        }
      }
    }
  }
  return out;
}

// ---- Kind 2: the caller's side only ---------------------------------------------------------

/** The namespace and pod selector an egress peer names exactly, or undefined (ipBlock, whole namespaces, other labels). */
function exactPeer(np: RuleObject, peer: unknown): { readonly namespace: string; readonly podSelector: { readonly [key: string]: any } } | undefined {
  if (!isRecord(peer) || peer.ipBlock !== undefined || !isRecord(peer.podSelector)) return undefined;
  const podLabels = stringLabels(peer.podSelector.matchLabels);
  if (Object.keys(podLabels).length === 0) return undefined;
  if (peer.namespaceSelector === undefined) {
    const ns = np.metadata?.namespace;
    return typeof ns === 'string' ? { namespace: ns, podSelector: peer.podSelector } : undefined;
  }
  if (!isRecord(peer.namespaceSelector)) return undefined;
  const nsLabels = stringLabels(peer.namespaceSelector.matchLabels);
  const exprs: unknown = peer.namespaceSelector.matchExpressions;
  if (Object.keys(nsLabels).length !== 1 || nsLabels[NAMESPACE_NAME_LABEL] === undefined) return undefined;
  if (exprs !== undefined && !(Array.isArray(exprs) && exprs.length === 0)) return undefined;
  return { namespace: nsLabels[NAMESPACE_NAME_LABEL], podSelector: peer.podSelector };
}

function callerSideOnly(ctx: RuleContext): { object: RuleObject; violation: RuleViolation }[] {
  const out: { object: RuleObject; violation: RuleViolation }[] = [];
  const skipped = new Set(['kube-system', ctx.controlPlaneNamespace, ctx.rootNamespace]);
  const seen = new Set<string>();
  for (const caller of indexOf(ctx).workloads) {
    const egress = egressOf(ctx, caller);
    if (!egress.isolated) continue;
    const account = `ServiceAccount "${caller.namespace}/${caller.serviceAccount}"`;
    for (const np of egress.policies) {
      const rules = listOf(isRecord(np.spec) ? np.spec.egress : undefined);
      for (let r = 0; r < rules.length; r++) {
        const rule = rules[r];
        if (!isRecord(rule) || !Array.isArray(rule.ports) || rule.ports.length === 0) continue;
        const ports = rule.ports.map(tcpPortNumber).filter((p): p is number => p !== undefined);
        for (const peer of listOf(rule.to)) {
          const dest = exactPeer(np, peer);
          if (!dest || skipped.has(dest.namespace)) continue;
          const wpName = stringLabels(dest.podSelector.matchLabels)[GATEWAY_NAME_LABEL];
          const waypoint = wpName !== undefined && selectorMatches(dest.podSelector, waypointPodLabels({ name: wpName, namespace: dest.namespace }))
            ? gatewayWaypoint(ctx, dest.namespace, wpName) : undefined;
          const targets = waypoint ? [] : workloadsSelected(ctx, dest.namespace, dest.podSelector);
          if (!waypoint && targets.length === 0) continue;
          for (const port of ports) {
            if (waypoint && port !== HBONE_PORT) continue;
            const key = `${objectRef(np)}#${r}:${port}`;
            if (seen.has(key)) continue;
            const anyPort = port === HBONE_PORT ? undefined : port;
            const admitted = waypoint
              ? waypointPolicies(ctx, waypoint).some((p) => policyAdmits(p, caller.namespace, caller.serviceAccount, undefined))
              : targets.some((t) => allowsOf(ctx, t).some((p) => policyAdmits(p, caller.namespace, caller.serviceAccount, anyPort)));
            if (admitted) continue;
            seen.add(key);
            const what = waypoint
              ? `the pods of waypoint "${waypoint.namespace}/${waypoint.name}"`
              : `${labelText(stringLabels(dest.podSelector.matchLabels))} in "${dest.namespace}" (${objectRef(targets[0].object)})`;
            const policies = waypoint ? 'no ALLOW AuthorizationPolicy the waypoint enforces' : 'no ALLOW AuthorizationPolicy of those pods (or of their Service)';
            out.push({
              object: np,
              violation: {
                path: `spec.egress[${r}]`,
                port,
                message: `egress rule ${r} opens ${what} on TCP ${port} to ${objectRef(caller.object)} (${account}), but ${policies} `
                  + `admits its principal${anyPort === undefined ? ' (HBONE: on any port)' : ` on port ${port}`}: the grant is declared on the caller's side only`,
              },
            });
          }
        }
      }
    }
  }
  return out;
}
