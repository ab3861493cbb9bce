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
  /** What is missing when this layer refuses by default (set where the default wording would not fit: ambient hops). */
  readonly missing?: Missing;
  /** For an authorization layer of an ambient path: where a missing ALLOW rule goes and whom it must name. */
  readonly grantScope?: GrantScope;
}

/** What is missing for a layer to admit traffic it refuses by default, and the grant that would admit it. */
export interface Missing {
  /** `caller egress`, `target ingress` or `authorization` (or the hop of an ambient path). */
  readonly where: string;
  readonly what: string;
  readonly grant: string;
}

/** Where the ALLOW rule missing at an authorization layer belongs (ztunnel, waypoint), and what it must say. */
export interface GrantScope {
  /** The layer, for messages: `the ztunnel of shop/api`, `hop 1: the waypoint shop/waypoint`. */
  readonly where: string;
  /** Whose rules: `of shop/api at its ztunnel`, `at waypoint shop/waypoint for Service shop/api`. */
  readonly of: string;
  /** How the AuthorizationPolicy attaches: `selecting shop/api (namespace shop)`, `with targetRefs [Service shop/api] (namespace shop)`. */
  readonly attach: string;
  /** The peer principal this layer sees (undefined: plaintext). */
  readonly principal?: string;
  /** The principal the missing rule must name (the caller's, or the waypoint's at hop 2). */
  readonly grantPrincipal: string;
  /** The port the layer matches, when not the target's container port (a waypoint matches the Service port). */
  readonly port?: number;
  /** Only L4 attributes can be granted here (ztunnel): methods and paths stay out of the rule. */
  readonly l4Only?: boolean;
  /** Appended to the grant when the question names a method or path that this layer cannot match. */
  readonly l7Note?: string;
  /** Appended to the grant: another way to grant it. */
  readonly note?: string;
  /** What gives a plaintext caller an identity. */
  readonly identityHint: string;
}

/** The layers that authorize requests: a sidecar, a waypoint, a ztunnel. */
export const AUTHORIZING_LAYERS: readonly AccessLayer[] = [AccessLayer.AUTHORIZATION, AccessLayer.WAYPOINT, AccessLayer.ZTUNNEL];

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
export function networkVerdict(side: string, o: NetworkOutcome, missing?: Missing): Verdict {
  return {
    layer: AccessLayer.NETWORK,
    value: o.value,
    decidedBy: o.decidedBy,
    reason: `${side}: ${o.reason}`,
    policies: o.policies,
    byDefault: o.value === false,
    ...(missing && o.value === false ? { missing } : {}),
  };
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
  const missingOf = (l: Verdict): Missing => (l.missing ? l.missing : AUTHORIZING_LAYERS.includes(l.layer)
    ? missingAllow(caller, target, port, ev.example.principal, fixed, l, policyByRef)
    : l === ev.layers[0] ? {
      where: 'caller egress',
      what: `no Egress rule of ${caller.id}'s NetworkPolicies admits ${target.id}:${port} (${l.decidedBy} isolates ${caller.id})`,
      grant: `an Egress rule in a NetworkPolicy selecting ${caller.id} (namespace ${caller.namespace}) that admits the pods of ${target.id} on TCP port ${port}`,
    } : {
      where: 'target ingress',
      what: `no Ingress rule of ${target.id}'s NetworkPolicies admits ${caller.id} on port ${port} (${l.decidedBy} isolates ${target.id})`,
      grant: `an Ingress rule in a NetworkPolicy selecting ${target.id} (namespace ${target.namespace}) that admits the pods of ${caller.id} on TCP port ${port}`,
    });
  const primary = denied.find((l) => AUTHORIZING_LAYERS.includes(l.layer)) ?? denied[0];
  const missing = [primary, ...denied.filter((l) => l !== primary)].map(missingOf);
  const call = `${caller.id} -> ${target.id}:${port}`;
  const reason = missing.length === 1 ? `nothing grants ${call} at ${missing[0].where}: ${missing[0].what}`
    : `nothing grants ${call}, and ${missing.length} layers refuse it by default. ${missing.map((m) => `${m.where}: ${m.what}`).join('. ')}`;
  return { decidedBy: primary.decidedBy, layer: primary.layer, reason, missingGrants: denied.map(missingOf).map((m) => m.grant) };
}

/** What is missing when no ALLOW rule of the target admits the request, and the ALLOW rule that would. */
function missingAllow(caller: Workload, target: Workload, targetPort: number, examplePrincipal: string | undefined, fixed: RequestAttributes,
  l: Verdict, policyByRef: ReadonlyMap<string, AuthzPolicy>): Missing {
  const scope: GrantScope = l.grantScope ?? {
    where: 'authorization',
    of: `of ${target.id}`,
    attach: `selecting ${target.id} (namespace ${target.namespace})`,
    principal: examplePrincipal,
    grantPrincipal: caller.principal,
    identityHint: `a sidecar for ${caller.id} on port ${targetPort}`,
  };
  const port = scope.port ?? targetPort;
  const decidedBy = l.decidedBy;
  const misses = l.misses ?? [];
  const principal = scope.principal;
  const request = [fixed.method, fixed.path].filter((x) => x !== undefined).join(' ');
  const forRequest = `${request ? ` for ${request}` : ''}${misses.length > 0 ? ` (${misses.join('; ')})` : ''}`;
  const policy = policyByRef.get(decidedBy);
  const why = policy && policy.rules.length === 0 ? `${decidedBy} allows nothing, so what no ALLOW rule admits is denied`
    : `${decidedBy} is the most specific of the ALLOW policies applying to it, and what none of their rules admits is denied`;
  const l7 = scope.l4Only ? [] : [...(fixed.method !== undefined ? [`methods [${fixed.method}]`] : []), ...(fixed.path !== undefined ? [`paths [${fixed.path}]`] : [])];
  const ops = [`ports [${port}]`, ...l7];
  const l7Asked = fixed.method !== undefined || fixed.path !== undefined;
  const notes = [...(scope.l7Note && l7Asked ? [scope.l7Note] : []), ...(scope.note ? [scope.note] : [])];
  const note = notes.length > 0 ? ` (${notes.join('; ')})` : '';
  const rule = `an ALLOW rule in an AuthorizationPolicy ${scope.attach} with from.source.principals [${scope.grantPrincipal}] and `
    + `${ops.map((o) => `to.operation.${o}`).join(', ')}${note}`;
  if (principal === undefined) {
    return {
      where: scope.where,
      what: `${caller.id} sends plaintext (no peer identity) and no ALLOW rule ${scope.of} admits a request without one on port ${port}${forRequest}, and ${why}`,
      grant: `${scope.identityHint} (so that it has an identity), then ${rule}`,
    };
  }
  return {
    where: scope.where,
    what: `no ALLOW rule ${scope.of} admits principal ${principal} on port ${port}${forRequest}, and ${why}`,
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
