import * as net from 'net';
import { NAMESPACE_NAME_LABEL } from '../../network/peers';
import { RuleContext, RuleObject, isKind } from '../rule';
import { GATEWAY_API_GROUP, GATEWAY_NAME_LABEL, IN_MESH_GATEWAY_CLASSES } from './mesh-gateway-scope';
import { NETWORKING_GROUP, asList, isSet } from './mesh-shared';
import { Labels } from './network-label-selector';
import { celString, isRecord } from './workload-pod-specs';

/**
 * How the NetworkPolicy rules NET-DENY-001 (NETPOL-1), NET-EGRESS-001 (EGRESS-1) and NET-CP-001
 * (CP-1) read a NetworkPolicy: which directions it governs, which peers reach "everyone", which
 * CIDRs count as the internet, and how the library's deliberate openings (the gateways') are
 * recognised from the other objects of the output. Each reader has its CEL twin for the
 * admission forms, which see schema-valid objects only (the API server rejects wrong shapes
 * before admission), so the CEL needs no shape checks beyond `has()`.
 */

/** API group of Kubernetes NetworkPolicies. */
export const NETWORK_POLICY_GROUP = 'networking.k8s.io';

/** A direction of a NetworkPolicy: its rule list (`ingress`/`egress`) and its peer list key (`from`/`to`). */
export type Direction = 'ingress' | 'egress';

/** The peer list key of a direction's rules. */
export function peersKey(direction: Direction): 'from' | 'to' {
  return direction === 'ingress' ? 'from' : 'to';
}

/** Whether `o` is a Kubernetes NetworkPolicy (any version). */
export function isNetworkPolicy(o: RuleObject): boolean {
  return isKind(o, NETWORK_POLICY_GROUP, 'NetworkPolicy');
}

/** The spec of a NetworkPolicy as a map (empty when absent or of another shape). */
export function npSpec(np: RuleObject): { readonly [key: string]: any } {
  return isRecord(np.spec) ? np.spec : {};
}

/**
 * Whether the NetworkPolicy governs `direction`, as the API server defaults `policyTypes`: when
 * absent, Ingress always and Egress when the policy has egress rules. A `policyTypes` of another
 * shape is read as both, so the rules of both directions are still checked.
 */
export function governs(np: RuleObject, direction: Direction): boolean {
  const spec = npSpec(np);
  const types: unknown = spec.policyTypes;
  if (!isSet(types)) return direction === 'ingress' || (isSet(spec.egress) && !(Array.isArray(spec.egress) && spec.egress.length === 0));
  if (!Array.isArray(types)) return true;
  return types.includes(direction === 'ingress' ? 'Ingress' : 'Egress');
}

/** CEL: the NetworkPolicy `object` governs `direction` (policyTypes, or the API server's default when absent). */
export function celGoverns(direction: Direction): string {
  return direction === 'ingress'
    ? "(!has(object.spec.policyTypes) || 'Ingress' in object.spec.policyTypes)"
    : "(has(object.spec.policyTypes) ? 'Egress' in object.spec.policyTypes : (has(object.spec.egress) && size(object.spec.egress) > 0))";
}

const OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

/**
 * How far a label selector reaches:
 * - `all`: nothing in it requires a label to be present (`{}`, or only `NotIn`/`DoesNotExist`
 *   requirements, and for namespaces `Exists` on `kubernetes.io/metadata.name`, which every
 *   namespace carries): it selects every object bar the ones it excludes, including every object
 *   created later;
 * - `some`: it requires a label (a matchLabels entry, `In`, `Exists`);
 * - `malformed`: not a selector the API server accepts (read as reaching everything).
 */
export type SelectorReach = 'all' | 'some' | 'malformed';

/** The {@link SelectorReach} of a pod (`forNamespaces` false) or namespace selector. */
export function selectorReach(selector: unknown, forNamespaces: boolean): SelectorReach {
  if (!isRecord(selector)) return 'malformed';
  const { matchLabels, matchExpressions } = selector;
  if (isSet(matchLabels) && !isRecord(matchLabels)) return 'malformed';
  if (isSet(matchExpressions) && !Array.isArray(matchExpressions)) return 'malformed';
  let positive = isRecord(matchLabels) && Object.keys(matchLabels).length > 0;
  for (const e of asList(matchExpressions)) {
    if (!isRecord(e) || typeof e.key !== 'string' || !OPERATORS.includes(e.operator)) return 'malformed';
    if (e.operator === 'In' || (e.operator === 'Exists' && !(forNamespaces && e.key === NAMESPACE_NAME_LABEL))) positive = true;
  }
  return positive ? 'some' : 'all';
}

/** CEL: the selector at `s` (present, schema-valid) reaches every pod (or namespace) bar those it excludes. */
export function celSelectsAll(s: string, forNamespaces: boolean): string {
  const exists = forNamespaces ? ` || (e.operator == 'Exists' && e.key == ${celString(NAMESPACE_NAME_LABEL)})` : '';
  return `((!has(${s}.matchLabels) || size(${s}.matchLabels) == 0) && (!has(${s}.matchExpressions) || `
    + `${s}.matchExpressions.all(e, e.operator == 'NotIn' || e.operator == 'DoesNotExist'${exists})))`;
}

/**
 * Whether a peer reaches every pod of every namespace: a namespaceSelector that selects every
 * namespace, with no podSelector or one that selects every pod. A malformed selector counts.
 */
export function peerReachesAllPods(peer: { readonly [key: string]: any }): boolean {
  if (!isSet(peer.namespaceSelector)) return false;
  if (selectorReach(peer.namespaceSelector, true) === 'some') return false;
  return !isSet(peer.podSelector) || selectorReach(peer.podSelector, false) !== 'some';
}

/** CEL twin of {@link peerReachesAllPods} over the peer variable `q`. */
export function celPeerReachesAllPods(q: string): string {
  return `(has(${q}.namespaceSelector) && ${celSelectsAll(`${q}.namespaceSelector`, true)} `
    + `&& (!has(${q}.podSelector) || ${celSelectsAll(`${q}.podSelector`, false)}))`;
}

/** Whether a peer names nothing (`{}`): the API server rejects it; the rules read it as everyone. */
export function isEmptyPeer(peer: { readonly [key: string]: any }): boolean {
  return !isSet(peer.ipBlock) && !isSet(peer.namespaceSelector) && !isSet(peer.podSelector);
}

/** CEL twin of {@link isEmptyPeer} over the peer variable `q`. */
export function celEmptyPeer(q: string): string {
  return `(!has(${q}.ipBlock) && !has(${q}.namespaceSelector) && !has(${q}.podSelector))`;
}

// ---------------------------------------------------------------------------------------------
// CIDRs

/** An IP block: its IP version and prefix length. */
export interface Cidr {
  readonly version: 4 | 6;
  readonly prefix: number;
}

/**
 * The widest ipBlock that does not count as "the internet": a /8 for IPv4 (1/256 of the address
 * space, e.g. 10.0.0.0/8) and a /16 for IPv6 — the bounds SecureService.excludeOutboundIpRanges
 * already puts on the ranges it lets a service reach. Anything wider (0.0.0.0/0, ::/0, and the
 * `0.0.0.0/1` + `128.0.0.0/1` style splits) opens most of the internet.
 */
export const WIDEST_PREFIX: { readonly [version: number]: number } = { 4: 8, 6: 16 };

/** The IP version and prefix of a CIDR string, or undefined when it is not a CIDR. */
export function parseCidr(value: unknown): Cidr | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /^([^/%\s]+)\/([0-9]{1,3})$/.exec(value);
  if (!m) return undefined;
  const version = net.isIP(m[1]);
  if (version !== 4 && version !== 6) return undefined;
  const prefix = Number(m[2]);
  if (prefix > (version === 4 ? 32 : 128)) return undefined;
  return { version, prefix };
}

/** Whether a CIDR is wider than {@link WIDEST_PREFIX}. */
export function isWideCidr(cidr: Cidr): boolean {
  return cidr.prefix < WIDEST_PREFIX[cidr.version];
}

/**
 * CEL: the CIDR string at `c` is wider than {@link WIDEST_PREFIX} (or not shaped like a CIDR; the
 * API server rejects malformed CIDRs before admission, so only the prefix matters there).
 */
export function celWideCidr(c: string): string {
  const prefix = `int(${c}.substring(${c}.indexOf('/') + 1))`;
  return `(!${c}.matches('^[0-9a-fA-F.:]+/[0-9]{1,3}$') || (${c}.contains(':') ? ${prefix} < ${WIDEST_PREFIX[6]} : ${prefix} < ${WIDEST_PREFIX[4]}))`;
}

// ---------------------------------------------------------------------------------------------
// Ports

/** `TCP 80, 443`, `every port`, for messages. */
export function portsText(rule: { readonly [key: string]: any }): string {
  const ports: unknown = rule.ports;
  if (!isSet(ports) || (Array.isArray(ports) && ports.length === 0)) return 'on every port';
  if (!Array.isArray(ports)) return 'on every port (ports is not a list)';
  const items = ports.map((p) => {
    if (!isRecord(p)) return '?';
    const protocol = typeof p.protocol === 'string' ? p.protocol : 'TCP';
    if (!isSet(p.port)) return `every ${protocol} port`;
    return isSet(p.endPort) ? `${protocol} ${p.port}-${p.endPort}` : `${protocol} ${p.port}`;
  });
  return `on ${items.join(', ')}`;
}

/**
 * Whether a rule lists its ports one by one: a non-empty `ports` list whose every entry names a
 * port (a number, or a container port name) and no `endPort` range.
 */
export function listsSinglePorts(rule: { readonly [key: string]: any }): boolean {
  return Array.isArray(rule.ports) && rule.ports.length > 0
    && rule.ports.every((p: unknown) => isRecord(p) && (typeof p.port === 'number' || typeof p.port === 'string') && !isSet(p.endPort));
}

/** CEL twin of {@link listsSinglePorts} over the rule variable `r`. */
export function celListsSinglePorts(r: string): string {
  return `(has(${r}.ports) && size(${r}.ports) > 0 && ${r}.ports.all(p, has(p.port) && !has(p.endPort)))`;
}

/** The TCP port number of a port entry (protocol TCP or absent, a number, no range wider than it), or undefined. */
export function tcpPortNumber(entry: unknown): number | undefined {
  if (!isRecord(entry) || (isSet(entry.protocol) && entry.protocol !== 'TCP')) return undefined;
  if (typeof entry.port !== 'number' || !Number.isInteger(entry.port)) return undefined;
  if (isSet(entry.endPort) && entry.endPort !== entry.port) return undefined;
  return entry.port;
}

/** CEL twin of {@link tcpPortNumber}: the port entry `p` is a single numbered TCP port. */
export function celSingleTcpPort(p: string): string {
  return `((!has(${p}.protocol) || ${p}.protocol == 'TCP') && has(${p}.port) && type(${p}.port) == int && (!has(${p}.endPort) || ${p}.endPort == ${p}.port))`;
}

// ---------------------------------------------------------------------------------------------
// Gateways: the library's deliberate openings, recognised by what the other objects say

/** An Istio Gateway of the output: its namespace and the (non-empty) labels of the pods it programs. */
export interface GatewayPods {
  readonly object: RuleObject;
  readonly namespace: string;
  readonly selector: Labels;
}

const gatewayIndexes = new WeakMap<readonly RuleObject[], GatewayPods[]>();

/**
 * The edge gateways of the object set, in object order: Istio Gateways (networking.istio.io) with
 * a non-empty `spec.selector` of string labels, and Gateway API Gateways of an edge class (not a
 * waypoint or east-west class), whose pods Istio labels `gateway.networking.k8s.io/gateway-name`.
 * Writing either takes write access to networking.istio.io or gateway.networking.k8s.io, which no
 * app team role has (RBAC-1), and the INGRESS rules check what they serve.
 */
export function istioGateways(ctx: RuleContext): readonly GatewayPods[] {
  let found = gatewayIndexes.get(ctx.objects);
  if (!found) {
    found = [];
    for (const o of ctx.objects) {
      const ns = o.metadata?.namespace;
      if (isKind(o, GATEWAY_API_GROUP, 'Gateway') && typeof ns === 'string' && typeof o.metadata?.name === 'string' && isRecord(o.spec)
        && !IN_MESH_GATEWAY_CLASSES.includes(String(o.spec.gatewayClassName))) {
        found.push({ object: o, namespace: ns, selector: { [GATEWAY_NAME_LABEL]: o.metadata.name } });
        continue;
      }
      if (!isKind(o, NETWORKING_GROUP, 'Gateway') || typeof ns !== 'string' || !isRecord(o.spec) || !isRecord(o.spec.selector)) continue;
      const entries = Object.entries(o.spec.selector);
      if (entries.length === 0 || !entries.every(([, v]) => typeof v === 'string')) continue;
      found.push({ object: o, namespace: ns, selector: o.spec.selector as Labels });
    }
    gatewayIndexes.set(ctx.objects, found);
  }
  return found;
}

/** Whether the NetworkPolicy's podSelector requires every label of `labels` (so it selects only pods that carry them). */
export function podSelectorRequires(np: RuleObject, labels: Labels): boolean {
  const selector: unknown = npSpec(np).podSelector;
  if (!isRecord(selector) || !isRecord(selector.matchLabels)) return false;
  const required = selector.matchLabels;
  return Object.entries(labels).length > 0 && Object.entries(labels).every(([k, v]) => required[k] === v);
}

/** CEL twin of {@link podSelectorRequires} for the NetworkPolicy `object`. */
export function celPodSelectorRequires(labels: Labels): string {
  const ml = 'object.spec.podSelector.matchLabels';
  const entries = Object.entries(labels).map(([k, v]) => `${celString(k)} in ${ml} && ${ml}[${celString(k)}] == ${celString(v)}`);
  if (entries.length === 0) return 'false';
  return `(has(object.spec.podSelector) && has(${ml}) && ${entries.join(' && ')})`;
}

/** The Istio Gateways in the NetworkPolicy's namespace whose pods are the only ones it selects. */
export function gatewaysSelectedBy(np: RuleObject, ctx: RuleContext): GatewayPods[] {
  const ns = np.metadata?.namespace;
  return istioGateways(ctx).filter((g) => g.namespace === ns && podSelectorRequires(np, g.selector));
}

/** CEL: `object` is in `namespace` (admission requests always carry the namespace of namespaced objects). */
export function celInNamespace(namespace: string): string {
  return `(has(object.metadata.namespace) && object.metadata.namespace == ${celString(namespace)})`;
}

/** CEL: the NetworkPolicy `object` selects only the pods of one of `gateways`. */
export function celSelectsGatewayPods(gateways: readonly GatewayPods[]): string {
  const unique = new Map<string, GatewayPods>();
  for (const g of gateways) unique.set(JSON.stringify([g.namespace, Object.entries(g.selector).sort()]), g);
  const terms = [...unique.values()].map((g) => `(${celInNamespace(g.namespace)} && ${celPodSelectorRequires(g.selector)})`);
  return terms.length > 0 ? `(${terms.join(' || ')})` : 'false';
}
