import { AccessDecision, AccessExample, AccessLayer, AccessLayerVerdict } from './access-types';
import { AuthzPolicy, RequestAttributes } from './authz-evaluator';
import { NetworkOutcome } from './network-evaluator';
import { PortProtocol, Workload } from './workloads';

/**
 * The verdicts of the access matrix's layers, how they combine into an answer, and the headline
 * of an answer (who decided, why, and what would grant a call nothing grants). Internal to
 * AccessMatrix.
 */

/** One layer's verdict before it becomes public. */
export interface Verdict {
  readonly layer: AccessLayer;
  readonly value: boolean | 'unknown';
  readonly decidedBy: string;
  readonly reason: string;
  readonly policies: string[];
  /**
   * A denial only because nothing grants the traffic (default deny: an isolating NetworkPolicy,
   * ALLOW policies none of whose rules admits it), as opposed to an outright refusal.
   */
  readonly byDefault?: boolean;
  /** For an authorization denial by default: why each ALLOW rule does not admit the request. */
  readonly misses?: readonly string[];
}

/** What is missing for a layer to admit traffic it refuses by default, and the grant that would admit it. */
interface Missing {
  /** `caller egress`, `target ingress` or `authorization`. */
  readonly where: string;
  readonly what: string;
  readonly grant: string;
}

/** Everything the evaluator found about caller -> target:port. */
export interface Evaluation {
  readonly layers: Verdict[];
  readonly value: boolean | 'unknown';
  readonly decider: Verdict;
  readonly protocol: PortProtocol;
  readonly example: AccessExample;
  readonly allowingRules: string[];
  readonly conditions: string[];
  readonly networkIngress: string[];
  readonly networkEgress: string[];
  readonly mtlsMode: string;
  readonly mtlsPolicy: string;
  readonly plaintextAccepted: boolean;
  /** On a port the proxy serves itself (15020, 15021, 15090): why only NetworkPolicy decides. */
  readonly proxyPortNote?: string;
}

export function decisionOf(v: boolean | 'unknown'): AccessDecision {
  return v === 'unknown' ? AccessDecision.UNKNOWN : v ? AccessDecision.ALLOWED : AccessDecision.DENIED;
}

export function publicVerdict(v: Verdict): AccessLayerVerdict {
  return { layer: v.layer, decision: decisionOf(v.value), allowed: v.value === true, decidedBy: v.decidedBy, reason: v.reason, policies: v.policies };
}

/** A NetworkPolicy verdict; NetworkPolicies only admit, so a denial always means that nothing grants the traffic. */
export function networkVerdict(side: string, o: NetworkOutcome): Verdict {
  return { layer: AccessLayer.NETWORK, value: o.value, decidedBy: o.decidedBy, reason: `${side}: ${o.reason}`, policies: o.policies, byDefault: o.value === false };
}

/**
 * The headline of an answer: who decided and why, and what would grant a call nothing grants.
 * Allowed or unknown: the deciding layer as evaluated. Denied: the first layer (in traffic order)
 * that refuses outright (a DENY rule, STRICT mTLS refusing plaintext); when every refusing layer
 * refuses only because nothing grants the call (default deny), the missing ALLOW rule first (the
 * target's authorization), else the first refusing NetworkPolicy side, and the reason names what
 * is missing at each of them.
 */
export function headline(ev: Evaluation, caller: Workload, target: Workload, port: number, fixed: RequestAttributes,
  policyByRef: ReadonlyMap<string, AuthzPolicy>): { decidedBy: string; layer: AccessLayer; reason: string; missingGrants: string[] } {
  const denied = ev.layers.filter((l) => l.value === false);
  const outright = denied.find((l) => !l.byDefault);
  if (denied.length === 0 || outright) {
    const d = outright ?? ev.decider;
    return { decidedBy: d.decidedBy, layer: d.layer, reason: d.reason, missingGrants: [] };
  }
  const missingOf = (l: Verdict): Missing => (l.layer === AccessLayer.AUTHORIZATION
    ? missingAllow(caller, target, port, ev.example.principal, fixed, l.decidedBy, l.misses ?? [], policyByRef)
    : l === ev.layers[0] ? {
      where: 'caller egress',
      what: `no Egress rule of ${caller.id}'s NetworkPolicies admits ${target.id}:${port} (${l.decidedBy} isolates ${caller.id})`,
      grant: `an Egress rule in a NetworkPolicy selecting ${caller.id} (namespace ${caller.namespace}) that admits the pods of ${target.id} on TCP port ${port}`,
    } : {
      where: 'target ingress',
      what: `no Ingress rule of ${target.id}'s NetworkPolicies admits ${caller.id} on port ${port} (${l.decidedBy} isolates ${target.id})`,
      grant: `an Ingress rule in a NetworkPolicy selecting ${target.id} (namespace ${target.namespace}) that admits the pods of ${caller.id} on TCP port ${port}`,
    });
  const primary = denied.find((l) => l.layer === AccessLayer.AUTHORIZATION) ?? denied[0];
  const missing = [primary, ...denied.filter((l) => l !== primary)].map(missingOf);
  const call = `${caller.id} -> ${target.id}:${port}`;
  const reason = missing.length === 1 ? `nothing grants ${call} at ${missing[0].where}: ${missing[0].what}`
    : `nothing grants ${call}, and ${missing.length} layers refuse it by default. ${missing.map((m) => `${m.where}: ${m.what}`).join('. ')}`;
  return { decidedBy: primary.decidedBy, layer: primary.layer, reason, missingGrants: denied.map(missingOf).map((m) => m.grant) };
}

/** What is missing when no ALLOW rule of the target admits the request, and the ALLOW rule that would. */
function missingAllow(caller: Workload, target: Workload, port: number, principal: string | undefined, fixed: RequestAttributes,
  decidedBy: string, misses: readonly string[], policyByRef: ReadonlyMap<string, AuthzPolicy>): Missing {
  const request = [fixed.method, fixed.path].filter((x) => x !== undefined).join(' ');
  const forRequest = `${request ? ` for ${request}` : ''}${misses.length > 0 ? ` (${misses.join('; ')})` : ''}`;
  const policy = policyByRef.get(decidedBy);
  const why = policy && policy.rules.length === 0 ? `${decidedBy} allows nothing, so what no ALLOW rule admits is denied`
    : `${decidedBy} is the most specific of the ALLOW policies applying to it, and what none of their rules admits is denied`;
  const ops = [`ports [${port}]`, ...(fixed.method !== undefined ? [`methods [${fixed.method}]`] : []), ...(fixed.path !== undefined ? [`paths [${fixed.path}]`] : [])];
  const rule = `an ALLOW rule in an AuthorizationPolicy selecting ${target.id} (namespace ${target.namespace}) with from.source.principals [${caller.principal}] and ${ops.map((o) => `to.operation.${o}`).join(', ')}`;
  if (principal === undefined) {
    return {
      where: 'authorization',
      what: `${caller.id} sends plaintext (no peer identity) and no ALLOW rule of ${target.id} admits a request without one on port ${port}${forRequest}, and ${why}`,
      grant: `a sidecar for ${caller.id} on port ${port} (so that it has an identity), then ${rule}`,
    };
  }
  return {
    where: 'authorization',
    what: `no ALLOW rule of ${target.id} admits principal ${principal} on port ${port}${forRequest}, and ${why}`,
    grant: rule,
  };
}

/** The evaluation of the layers; `allowedBy` names the deciding layer of an allowed call (default: the last). */
export function combine(layers: Verdict[], protocol: PortProtocol, example: AccessExample, allowingRules: string[], conditions: string[],
  egress: NetworkOutcome, ingress: NetworkOutcome, mtls: { mode: string; policy: string; plaintext: boolean }, allowedBy?: Verdict): Evaluation {
  const denied = layers.find((l) => l.value === false);
  const unknown = layers.find((l) => l.value === 'unknown');
  const value: boolean | 'unknown' = denied ? false : unknown ? 'unknown' : true;
  const decider = denied ?? unknown ?? allowedBy ?? layers[layers.length - 1];
  return {
    layers,
    value,
    decider,
    protocol,
    example,
    allowingRules,
    conditions,
    networkIngress: ingress.value !== false ? ingress.policies : [],
    networkEgress: egress.value !== false ? egress.policies : [],
    mtlsMode: mtls.mode,
    mtlsPolicy: mtls.policy,
    plaintextAccepted: mtls.plaintext,
  };
}
