import { Match, TRUE, allOf, anyOf, falseBecause, unknownBecause } from './access-logic';
import { NamespaceInfo, ScopeIndex, Workload, compareStrings, isKindOf, namespaceOf, refOf } from './workloads';
import { NAMESPACE_NAME_LABEL } from '../network/peers';
import { selectorMatches } from '../policy/rules/network-label-selector';
import { isRecord } from '../policy/rules/workload-pod-specs';

/**
 * Kubernetes NetworkPolicy, evaluated offline for pod-to-pod traffic (AUTHZ-4, NETPOL-1):
 *
 * - a pod is isolated for ingress (egress) when a policy of its namespace selects it with
 *   `Ingress` (`Egress`) among its types; `policyTypes` defaults to Ingress, plus Egress when the
 *   policy has an `egress` section. A pod not isolated admits everything in that direction.
 * - an isolated pod admits traffic that some rule of some selecting policy admits (policies add up).
 * - a rule admits a peer on a port when its peer list is empty or one peer matches, and its port
 *   list is empty or one port matches (TCP; `port`/`endPort` ranges; named ports resolved on the
 *   destination pod's container ports).
 * - peers: `namespaceSelector` against the namespace's labels (`kubernetes.io/metadata.name` always;
 *   other labels only from Namespace objects in the input, else unknown), `podSelector` alone means
 *   the policy's namespace; `ipBlock` does not name pods unless it is `0.0.0.0/0` or `::/0` (with
 *   `except`, unknown).
 */

/** A NetworkPolicy, as evaluated. */
export interface NetPolicy {
  readonly ref: string;
  readonly namespace: string;
  readonly podSelector: unknown;
  readonly ingress: boolean;
  readonly egress: boolean;
  readonly ingressRules: readonly { readonly [key: string]: any }[];
  readonly egressRules: readonly { readonly [key: string]: any }[];
}

/** The outcome of one direction. */
export interface NetworkOutcome {
  readonly value: boolean | 'unknown';
  /** The deciding policy ('' when the pod is not isolated in that direction). */
  readonly decidedBy: string;
  readonly reason: string;
  /** Allowed: the policies admitting it; denied: the policies isolating the pod. */
  readonly policies: string[];
}

function rulesOf(v: unknown): { readonly [key: string]: any }[] {
  return Array.isArray(v) ? v.filter(isRecord) : [];
}

export function parseNetworkPolicies(objects: readonly any[]): NetPolicy[] {
  const out: NetPolicy[] = [];
  for (const o of objects) {
    if (!isKindOf(o, 'networking.k8s.io', 'NetworkPolicy') || typeof o.metadata?.name !== 'string') continue;
    const spec = isRecord(o.spec) ? o.spec : {};
    const types: unknown[] = Array.isArray(spec.policyTypes) ? spec.policyTypes : ['Ingress', ...(spec.egress !== undefined ? ['Egress'] : [])];
    out.push({
      ref: refOf(o),
      namespace: namespaceOf(o),
      podSelector: spec.podSelector === undefined ? {} : spec.podSelector,
      ingress: types.includes('Ingress'),
      egress: types.includes('Egress'),
      ingressRules: rulesOf(spec.ingress),
      egressRules: rulesOf(spec.egress),
    });
  }
  return out.sort((a, b) => compareStrings(a.ref, b.ref));
}

function selectorKeys(selector: unknown): string[] {
  if (!isRecord(selector)) return [];
  const keys = isRecord(selector.matchLabels) ? Object.keys(selector.matchLabels) : [];
  for (const e of Array.isArray(selector.matchExpressions) ? selector.matchExpressions : []) if (isRecord(e) && typeof e.key === 'string') keys.push(e.key);
  return keys;
}

/** Whether a namespaceSelector selects a namespace; unknown when it needs labels the input does not give. */
export function namespaceSelected(selector: unknown, ns: string, info: NamespaceInfo | undefined): Match {
  const labels = info?.labels ?? { [NAMESPACE_NAME_LABEL]: ns };
  if (info?.known) return selectorMatches(selector, labels) ? TRUE : falseBecause(`namespace ${ns} is not selected`);
  const others = selectorKeys(selector).filter((k) => k !== NAMESPACE_NAME_LABEL);
  if (others.length === 0) return selectorMatches(selector, labels) ? TRUE : falseBecause(`namespace ${ns} is not selected`);
  // Judge the name-label part alone: if it already fails, the namespace is not selected.
  const nameOnly = isRecord(selector) ? {
    matchLabels: isRecord(selector.matchLabels) && NAMESPACE_NAME_LABEL in selector.matchLabels
      ? { [NAMESPACE_NAME_LABEL]: selector.matchLabels[NAMESPACE_NAME_LABEL] } : {},
    matchExpressions: (Array.isArray(selector.matchExpressions) ? selector.matchExpressions : []).filter((e: any) => e?.key === NAMESPACE_NAME_LABEL),
  } : selector;
  if (!selectorMatches(nameOnly, labels)) return falseBecause(`namespace ${ns} is not selected`);
  return unknownBecause(`the labels of namespace ${ns} (${others.join(', ')}) are not known: no Namespace object in the input`);
}

function peerMatches(peer: { readonly [key: string]: any }, policyNamespace: string, other: Workload, namespaces: Map<string, NamespaceInfo>): Match {
  if (peer.ipBlock !== undefined) {
    const cidr = peer.ipBlock?.cidr;
    if (cidr !== '0.0.0.0/0' && cidr !== '::/0') return falseBecause(`ipBlock ${cidr} does not name pods`);
    if (Array.isArray(peer.ipBlock.except) && peer.ipBlock.except.length > 0) return unknownBecause(`ipBlock ${cidr} except ${peer.ipBlock.except.join(', ')}: pod addresses are not known`);
    return TRUE;
  }
  const pod = () => (selectorMatches(peer.podSelector, other.labels) ? TRUE : falseBecause(`the pods of ${other.id} are not selected`));
  if (peer.namespaceSelector !== undefined) {
    const ns = namespaceSelected(peer.namespaceSelector, other.namespace, namespaces.get(other.namespace));
    return peer.podSelector !== undefined ? allOf([ns, pod()]) : ns;
  }
  if (peer.podSelector !== undefined) {
    return other.namespace === policyNamespace ? pod() : falseBecause(`${other.id} is not in namespace ${policyNamespace}`);
  }
  return falseBecause('an empty peer');
}

/** Whether a rule's port list admits `port` on the destination pod `dest` (named ports are the destination pod's). */
function portMatches(ports: unknown, port: number, dest: Pick<Workload, 'ports'>): Match {
  if (!Array.isArray(ports) || ports.length === 0) return TRUE;
  return anyOf(ports.map((p): Match => {
    if (!isRecord(p) || (p.protocol !== undefined && p.protocol !== 'TCP')) return falseBecause('');
    if (p.port === undefined) return TRUE;
    if (typeof p.port === 'string' && !/^[0-9]+$/.test(p.port)) {
      const named = dest.ports.find((x) => x.name === p.port);
      return named?.port === port ? TRUE : falseBecause('');
    }
    const n = Number(p.port);
    return (typeof p.endPort === 'number' ? n <= port && port <= p.endPort : n === port) ? TRUE : falseBecause('');
  }), `port ${port} is not listed`);
}

function mostSpecificFirst(a: NetPolicy, b: NetPolicy): number {
  const empty = (p: NetPolicy) => (isRecord(p.podSelector) && selectorKeys(p.podSelector).length === 0 ? 1 : 0);
  return empty(a) - empty(b) || compareStrings(a.ref, b.ref);
}

function selectingPolicies(direction: 'ingress' | 'egress', all: readonly NetPolicy[], self: Workload): NetPolicy[] {
  return all.filter((p) => p.namespace === self.namespace && p[direction] && selectorMatches(p.podSelector, self.labels))
    .sort(mostSpecificFirst);
}

/**
 * NetworkPolicies indexed by namespace and by one `matchLabels` pair of their pod selector, with
 * the policies selecting each workload (per direction) computed once: the same answers as
 * scanning every policy, without the scan.
 */
export class NetPolicyIndex {
  private readonly scope: ScopeIndex<NetPolicy>;
  private readonly selected = { ingress: new WeakMap<Workload, NetPolicy[]>(), egress: new WeakMap<Workload, NetPolicy[]>() };

  public constructor(all: readonly NetPolicy[]) {
    this.scope = new ScopeIndex(all, (p) => p.namespace, (p) => {
      const sel = p.podSelector;
      if (!isRecord(sel) || !isRecord(sel.matchLabels)) return undefined;
      return Object.entries(sel.matchLabels).filter((e): e is [string, string] => typeof e[1] === 'string');
    });
  }

  /** The policies of `w`'s namespace selecting it for `direction`, most specific first. */
  public selecting(direction: 'ingress' | 'egress', w: Workload): NetPolicy[] {
    let found = this.selected[direction].get(w);
    if (!found) {
      found = selectingPolicies(direction, this.scope.candidates(w.namespace, w.labels), w);
      this.selected[direction].set(w, found);
    }
    return found;
  }
}

function evaluate(direction: 'ingress' | 'egress', all: readonly NetPolicy[], self: Workload, other: Workload, port: number, dest: Workload,
  namespaces: Map<string, NamespaceInfo>, index?: NetPolicyIndex): NetworkOutcome {
  const selecting = index ? index.selecting(direction, self) : selectingPolicies(direction, all, self);
  const Dir = direction === 'ingress' ? 'Ingress' : 'Egress';
  if (selecting.length === 0) return { value: true, decidedBy: '', reason: `no NetworkPolicy selects ${self.id} for ${Dir}`, policies: [] };
  const allowing: string[] = [];
  const unknown: { ref: string; why: string }[] = [];
  for (const p of selecting) {
    const rules = direction === 'ingress' ? p.ingressRules : p.egressRules;
    const matches = rules.map((r) => {
      const peers = direction === 'ingress' ? r.from : r.to;
      const peer = !Array.isArray(peers) || peers.length === 0 ? TRUE
        : anyOf(peers.filter(isRecord).map((x) => peerMatches(x, p.namespace, other, namespaces)), `${other.id} is not a peer`);
      return allOf([peer, portMatches(r.ports, port, dest)]);
    });
    if (matches.some((m) => m.value === true)) {allowing.push(p.ref);} else {
      const u = matches.find((m) => m.value === 'unknown');
      if (u) unknown.push({ ref: p.ref, why: u.why });
    }
  }
  const what = direction === 'ingress' ? `${other.id} -> ${self.id}:${port}` : `${self.id} -> ${other.id}:${port}`;
  if (allowing.length > 0) return { value: true, decidedBy: allowing[0], reason: `${allowing.join(', ')} ${allowing.length > 1 ? 'admit' : 'admits'} ${what}`, policies: allowing };
  if (unknown.length > 0) return { value: 'unknown', decidedBy: unknown[0].ref, reason: `${unknown[0].ref} may admit ${what}: ${unknown[0].why}`, policies: unknown.map((u) => u.ref) };
  // NetworkPolicies only admit: a denial means that the pod is isolated and nothing admits the
  // traffic. What isolates it is named: a policy with no rule in this direction (a default deny),
  // else the most specific selecting policy; the others admit other traffic only.
  const isolating = selecting.find((p) => (direction === 'ingress' ? p.ingressRules : p.egressRules).length === 0) ?? selecting[0];
  const others = selecting.filter((p) => p !== isolating).map((p) => p.ref);
  return {
    value: false,
    decidedBy: isolating.ref,
    policies: selecting.map((p) => p.ref),
    reason: `no ${Dir} rule admits ${what}: ${isolating.ref} isolates ${self.id} for ${Dir}`
      + (others.length > 0 ? ` and ${others.join(', ')} ${others.length > 1 ? 'admit' : 'admits'} other traffic only` : ''),
  };
}

/** Whether the target's NetworkPolicies admit the caller on `port`. */
export function evaluateIngress(all: readonly NetPolicy[], caller: Workload, target: Workload, port: number,
  namespaces: Map<string, NamespaceInfo>, index?: NetPolicyIndex): NetworkOutcome {
  return evaluate('ingress', all, target, caller, port, target, namespaces, index);
}

/** Whether the caller's NetworkPolicies let it reach the target on `port`. */
export function evaluateEgress(all: readonly NetPolicy[], caller: Workload, target: Workload, port: number,
  namespaces: Map<string, NamespaceInfo>, index?: NetPolicyIndex): NetworkOutcome {
  return evaluate('egress', all, caller, target, port, target, namespaces, index);
}

/** A destination outside the cluster: it has no pods, so no named port resolves on it. */
const EXTERNAL_DESTINATION: Pick<Workload, 'ports'> = { ports: [] };

/**
 * Whether `self`'s NetworkPolicies let it connect to the external host `host` on `port` (an
 * address outside the cluster, whatever the name resolves to). Only an `ipBlock` peer can name
 * such an address: an Egress rule without peers, or with the peer `0.0.0.0/0` or `::/0` (no
 * `except`), admits it; a narrower block (or one with `except`) may or may not contain the
 * host's addresses, which DNS gives at run time (unknown); pod and namespace selectors never
 * match it. Named ports name ports of destination pods, so they admit nothing here.
 */
export function evaluateEgressToExternal(all: readonly NetPolicy[], self: Workload, host: string, port: number,
  index?: NetPolicyIndex): NetworkOutcome {
  const selecting = index ? index.selecting('egress', self) : selectingPolicies('egress', all, self);
  const what = `${self.id} -> ${host}:${port}`;
  if (selecting.length === 0) return { value: true, decidedBy: '', reason: `no NetworkPolicy selects ${self.id} for Egress`, policies: [] };
  const allowing: string[] = [];
  const unknown: { ref: string; why: string }[] = [];
  for (const p of selecting) {
    const matches = p.egressRules.map((r) => {
      const peers = Array.isArray(r.to) ? r.to.filter(isRecord) : [];
      const peer = !Array.isArray(r.to) || r.to.length === 0 ? TRUE
        : anyOf(peers.map((x): Match => {
          if (x.ipBlock === undefined) return falseBecause(`a pod or namespace selector does not name ${host}`);
          const cidr = x.ipBlock?.cidr;
          const except = Array.isArray(x.ipBlock?.except) ? x.ipBlock.except : [];
          if ((cidr === '0.0.0.0/0' || cidr === '::/0') && except.length === 0) return TRUE;
          return unknownBecause(`ipBlock ${cidr}${except.length > 0 ? ` except ${except.join(', ')}` : ''} may or may not contain the addresses `
            + `${host} resolves to, which are not known offline`);
        }), `${host} is not a peer`);
      return allOf([peer, portMatches(r.ports, port, EXTERNAL_DESTINATION)]);
    });
    if (matches.some((m) => m.value === true)) {allowing.push(p.ref);} else {
      const u = matches.find((m) => m.value === 'unknown');
      if (u) unknown.push({ ref: p.ref, why: u.why });
    }
  }
  if (allowing.length > 0) {
    return { value: true, decidedBy: allowing[0], reason: `${allowing.join(', ')} ${allowing.length > 1 ? 'admit' : 'admits'} ${what} (any address)`, policies: allowing };
  }
  if (unknown.length > 0) return { value: 'unknown', decidedBy: unknown[0].ref, reason: `${unknown[0].ref} may admit ${what}: ${unknown[0].why}`, policies: unknown.map((u) => u.ref) };
  const isolating = selecting.find((p) => p.egressRules.length === 0) ?? selecting[0];
  const others = selecting.filter((p) => p !== isolating).map((p) => p.ref);
  return {
    value: false,
    decidedBy: isolating.ref,
    policies: selecting.map((p) => p.ref),
    reason: `no Egress rule admits ${what}: ${isolating.ref} isolates ${self.id} for Egress`
      + (others.length > 0 ? ` and ${others.join(', ')} ${others.length > 1 ? 'admit' : 'admits'} other traffic only` : ''),
  };
}
