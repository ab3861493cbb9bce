import { AdmissionCheck, PolicyRule, RuleContext, RuleObject, RuleSeverity, RuleViolation, isKind, kindKey } from '../rule';
import { isSet } from './mesh-shared';
import { ISTIOD_WEBHOOK_PORT, celSelectsOnlyIstiod, isMeshNamespaceLabels, selectsOnlyIstiod } from './network-control-plane';
import {
  Direction, NETWORK_POLICY_GROUP, celEmptyPeer, celGoverns, celInNamespace, celListsSinglePorts, celPeerReachesAllPods, celSelectsGatewayPods,
  celSingleTcpPort, celWideCidr, gatewaysSelectedBy, governs, isEmptyPeer, isNetworkPolicy, isWideCidr, istioGateways, listsSinglePorts,
  npSpec, parseCidr, peerReachesAllPods, peersKey, portsText, selectorReach, tcpPortNumber,
} from './network-policy-shape';
import { celIsKind, isRecord } from './workload-pod-specs';

/** A finding of the allow-all check: `open` ones may be excepted (the library's deliberate openings), `shape` ones never. */
interface Opening extends RuleViolation {
  readonly kind: 'open' | 'shape';
}

/** Whether the NetworkPolicy selects every pod of its namespace: podSelector absent, `{}`, or without requirements. */
function selectsEveryPod(np: RuleObject): boolean {
  const selector: unknown = npSpec(np).podSelector;
  if (!isSet(selector)) return true;
  if (!isRecord(selector)) return false;
  const labels: unknown = selector.matchLabels;
  const exprs: unknown = selector.matchExpressions;
  const noLabels = !isSet(labels) || (isRecord(labels) && Object.keys(labels).length === 0);
  return noLabels && (!isSet(exprs) || (Array.isArray(exprs) && exprs.length === 0));
}

/**
 * Whether the NetworkPolicy denies `direction` for the whole namespace: it selects every pod,
 * governs the direction (Egress must be listed in policyTypes: the API server adds it only for
 * policies with egress rules) and has no rule for it.
 */
export function isDefaultDeny(np: RuleObject, direction: Direction): boolean {
  if (!isNetworkPolicy(np) || !selectsEveryPod(np)) return false;
  const spec = npSpec(np);
  const types: unknown = spec.policyTypes;
  const typed = direction === 'ingress'
    ? !isSet(types) || (Array.isArray(types) && types.includes('Ingress'))
    : Array.isArray(types) && types.includes('Egress');
  const rules: unknown = spec[direction];
  return typed && (!isSet(rules) || (Array.isArray(rules) && rules.length === 0));
}

/** The ingress openings the library writes on purpose: istiod's webhook port, and a gateway's ports. */
function isDeliberateIngress(np: RuleObject, rule: { readonly [key: string]: any }, ctx: RuleContext): boolean {
  if (np.metadata?.namespace === ctx.controlPlaneNamespace && selectsOnlyIstiod(np) && Array.isArray(rule.ports) && rule.ports.length > 0
    && rule.ports.every((p: unknown) => tcpPortNumber(p) === ISTIOD_WEBHOOK_PORT)) return true;
  return listsSinglePorts(rule) && gatewaysSelectedBy(np, ctx).length > 0;
}

/** The allow-all findings of one rule of `direction`. */
function ruleOpenings(rule: { readonly [key: string]: any }, at: string, direction: Direction, index: number): Opening[] {
  const key = peersKey(direction);
  const peers: unknown = rule[key];
  const ports = portsText(rule);
  const everyone = direction === 'ingress'
    ? 'every source (every pod of every namespace, and any address outside the cluster)'
    : 'every destination (every pod of every namespace, the node and cloud metadata addresses, the internet)';
  if (!isSet(peers) || (Array.isArray(peers) && peers.length === 0)) {
    const what = isSet(peers) ? `an empty "${key}"` : `no "${key}"`;
    return [{ kind: 'open', path: isSet(peers) ? `${at}.${key}` : at, message: `${direction} rule ${index} has ${what}, so it opens ${everyone} ${ports}` }];
  }
  if (!Array.isArray(peers)) return [{ kind: 'shape', path: `${at}.${key}`, message: `${direction} rule ${index}: "${key}" is not a list of peers` }];
  const out: Opening[] = [];
  peers.forEach((peer: unknown, j: number) => {
    const where = `${at}.${key}[${j}]`;
    if (!isRecord(peer) || isEmptyPeer(peer)) {
      out.push({ kind: 'shape', path: where, message: `${direction} rule ${index}: peer ${j} names nothing (read as everyone)` });
      return;
    }
    for (const field of ['namespaceSelector', 'podSelector']) {
      if (isSet(peer[field]) && selectorReach(peer[field], field === 'namespaceSelector') === 'malformed') {
        out.push({ kind: 'shape', path: `${where}.${field}`, message: `${direction} rule ${index}: peer ${j} has a malformed ${field}` });
      }
    }
    if (peerReachesAllPods(peer) && selectorReach(peer.namespaceSelector, true) === 'all') {
      out.push({
        kind: 'open',
        path: `${where}.namespaceSelector`,
        message: `${direction} rule ${index}: peer ${j} selects every pod of every namespace (present and future) ${ports}`,
      });
    }
    if (direction === 'ingress' && isSet(peer.ipBlock)) {
      const cidr = isRecord(peer.ipBlock) ? parseCidr(peer.ipBlock.cidr) : undefined;
      if (!cidr) {
        out.push({ kind: 'shape', path: isRecord(peer.ipBlock) ? `${where}.ipBlock.cidr` : `${where}.ipBlock`, message: `ingress rule ${index}: peer ${j} has no valid CIDR` });
      } else if (isWideCidr(cidr)) {
        out.push({
          kind: 'open',
          path: `${where}.ipBlock.cidr`,
          message: `ingress rule ${index}: peer ${j} admits ${peer.ipBlock.cidr}, most of the internet ${ports}`,
        });
      }
    }
  });
  return out;
}

/**
 * The allow-all findings of a NetworkPolicy (NET-DENY-001's per-object part): every rule of a
 * governed direction that opens to everyone, except the library's deliberate ingress openings.
 */
function allowAllFindings(np: RuleObject, ctx: RuleContext): RuleViolation[] {
  if (!isNetworkPolicy(np)) return [];
  if (isSet(np.spec) && !isRecord(np.spec)) return [{ path: 'spec', message: 'spec is not an object' }];
  const out: RuleViolation[] = [];
  for (const direction of ['ingress', 'egress'] as const) {
    if (!governs(np, direction)) continue;
    const rules: unknown = npSpec(np)[direction];
    if (!isSet(rules)) continue;
    if (!Array.isArray(rules)) {
      out.push({ path: `spec.${direction}`, message: `spec.${direction} is not a list of rules` });
      continue;
    }
    rules.forEach((rule: unknown, i: number) => {
      const at = `spec.${direction}[${i}]`;
      if (!isRecord(rule)) {
        out.push({ path: at, message: `${direction} rule ${i} is not a rule object` });
        return;
      }
      const deliberate = direction === 'ingress' && isDeliberateIngress(np, rule, ctx);
      for (const { kind, ...violation } of ruleOpenings(rule, at, direction, i)) {
        if (kind === 'shape' || !deliberate) out.push(violation);
      }
    });
  }
  return out;
}

/** The Namespace objects of the set, the first of each name. */
function namespaceObjects(ctx: RuleContext): Map<string, RuleObject> {
  const found = new Map<string, RuleObject>();
  for (const o of ctx.objects) {
    const name = o.metadata?.name;
    if (isKind(o, '', 'Namespace') && typeof name === 'string' && !found.has(name)) found.set(name, o);
  }
  return found;
}

const MISSING_TEXT: { readonly [direction: string]: string } = {
  ingress: 'every pod that no other policy selects accepts connections from every pod of the cluster and from outside it',
  egress: 'every pod that no other policy selects can connect anywhere: other namespaces, the node and cloud metadata addresses, the internet',
};

/**
 * NET-DENY-001 (NETPOL-1, CP-1): every mesh namespace denies by default, and no NetworkPolicy
 * opens to everyone.
 *
 * Presence (`checkAll`): every Namespace object of the output that is part of the mesh
 * (`istio-injection: enabled`, a non-empty `istio.io/rev`, or `istio.io/dataplane-mode: ambient`)
 * has a default deny: a NetworkPolicy in it with podSelector `{}` and no rules for Ingress, and
 * one (the same or another) for Egress, listed in policyTypes. The control-plane namespace needs
 * the ingress half only, as MeshBaseline writes it (istiod must reach the API server, whose
 * address is cluster-specific); it is checked through its Namespace object when the output has
 * one, and otherwise as a mesh-level finding (reported only where the mesh baseline is expected:
 * an app on `MeshBaseline.fromAttributes` does not own the control plane). A root namespace
 * distinct from it holds configuration, not pods, and is checked only if its Namespace object
 * carries a mesh label. One finding per namespace, on its Namespace object, naming the missing
 * direction(s). A namespace with no NetworkPolicy at all gets this one finding. Namespaces
 * without a Namespace object in the output are not known to be in the mesh, and not checked.
 *
 * Allow-all (`check`, per NetworkPolicy): no rule of a direction the policy governs opens to
 * everyone: an ingress rule without `from` (or `ingress: [{}]`, the cdk8s-plus default-allow), an
 * egress rule without `to`, a peer whose namespaceSelector selects every namespace (`{}`, or only
 * NotIn/DoesNotExist requirements) with no podSelector or one selecting every pod, an ingress
 * ipBlock wider than a /8 (IPv4) or /16 (IPv6) such as 0.0.0.0/0. A `ports` list does not make
 * such a rule safe: `ports: [80]` from everyone reopens the namespace to the whole cluster and
 * the internet on 80. Egress ipBlocks are NET-EGRESS-001's. Wrong shapes (`ingress: {}`,
 * `from: "all"`, an empty peer) are findings.
 *
 * What stays allowed, recognised by what it is, not by a name:
 * - istiod's webhook port: an ingress rule whose ports are all TCP 15017, in a policy of the
 *   control-plane namespace whose podSelector requires `app: istiod` or `istio: pilot` (what
 *   else istiod admits is NET-CP-001's);
 * - a gateway's ports: an ingress rule that lists its ports one by one (no port-less entry, no
 *   range), in a policy whose podSelector requires every label of the selector of an Istio
 *   Gateway in the same namespace. The NetworkPolicy sees container ports (8443) where the
 *   Gateway lists Service ports (443), so the ports cannot be matched to the Gateway's servers;
 *   the Gateway itself takes write access to networking.istio.io, which app teams do not have.
 *
 * Not reported: pods selected by label in every namespace (`namespaceSelector: {}` with a
 * podSelector that requires a label: any team that can deploy can wear the label, so keep such
 * peers to monitoring agents), and broad but label-bound namespace sets (every mesh namespace).
 * The gateway exception trusts the Gateway object: a Gateway written for app pods would open
 * them on the listed ports (MESH-INGRESS rules still judge the Gateway).
 *
 * Ambient namespaces (`istio.io/dataplane-mode: ambient`) are mesh namespaces like the others and
 * need the same default deny. What an ambient namespace must open besides is judged elsewhere:
 * HBONE (TCP 15008) from the callers' pods and through the waypoint by NET-L4-001, the kubelet's
 * probes, which arrive from 169.254.7.127 (an ipBlock /32, not an opening to everyone), by
 * NET-AMBIENT-001. A bare `ports: [15008]` rule without `from` is an opening to
 * everyone like any other: ztunnel still authorizes what arrives, but the L4 layer is gone.
 *
 * No `admission` on the rule itself (the exceptions depend on the control-plane namespace and
 * the output's Gateways); `defaultDenyAdmission(ctx)` renders the per-object part with them
 * inlined. Presence cannot be checked on one object.
 */
export const NET_DENY_001: PolicyRule = {
  id: 'NET-DENY-001',
  practices: ['NETPOL-1', 'CP-1'],
  severity: RuleSeverity.ERROR,
  since: '2',
  kinds: [kindKey(NETWORK_POLICY_GROUP, 'NetworkPolicy')],
  title: 'Every mesh namespace has a default-deny NetworkPolicy, and no NetworkPolicy opens to everyone',
  explanation:
    'Kubernetes admits every connection to and from a pod that no NetworkPolicy selects. Without a namespace default deny, '
    + 'a pod that bypasses or lacks its sidecar (excluded ports, a compromised proxy, a pod outside the mesh) reaches and is '
    + 'reached by anything; mesh policy alone is then the only barrier. NetworkPolicies add up, so one rule open to everyone '
    + '(no from/to, a namespaceSelector {}, 0.0.0.0/0) undoes the default deny for the pods it selects, on its ports, for '
    + 'every namespace of the cluster and the internet.',
  fix:
    'Create namespaces with HardenedNamespace (default deny for ingress and egress, DNS and istiod egress) and open traffic '
    + 'with SecureService.allowFrom, which names the caller\'s namespace and pods and the ports. Do not remove or add rules to '
    + 'default-deny. An edge that must accept the internet belongs on an IngressGateway or a GatewayApiIngress. A PolicyException is right only for '
    + 'a namespace whose isolation is enforced by another layer the manifests do not show, with the reason recorded.',
  admissionFor: (ctx) => defaultDenyAdmission(ctx),
  check(object, ctx) {
    return allowAllFindings(object, ctx);
  },
  checkAll(ctx) {
    const out: { object: RuleObject | undefined; violation: RuleViolation }[] = [];
    const denies: { [direction: string]: Set<string> } = { ingress: new Set(), egress: new Set() };
    for (const o of ctx.objects) {
      const ns = o.metadata?.namespace;
      if (typeof ns !== 'string') continue;
      for (const direction of ['ingress', 'egress'] as const) if (isDefaultDeny(o, direction)) denies[direction].add(ns);
    }
    const namespaces = namespaceObjects(ctx);
    for (const [name, object] of namespaces) {
      if (name === ctx.controlPlaneNamespace || !isMeshNamespaceLabels(object.metadata?.labels)) continue;
      const missing = (['ingress', 'egress'] as const).filter((d) => !denies[d].has(name));
      if (missing.length === 0) continue;
      out.push({
        object,
        violation: {
          path: '',
          message: `namespace ${name} is part of the mesh but has no default-deny NetworkPolicy for ${missing.join(' and ')} `
            + `(podSelector {}, policyTypes ${missing.map((d) => (d === 'ingress' ? 'Ingress' : 'Egress')).join(', ')}, no rules): `
            + missing.map((d) => MISSING_TEXT[d]).join('; '),
        },
      });
    }
    const cp = ctx.controlPlaneNamespace;
    if (!denies.ingress.has(cp)) {
      out.push({
        object: namespaces.get(cp),
        violation: {
          path: '',
          message: `the control-plane namespace ${cp} has no default-deny ingress NetworkPolicy (podSelector {}, policyTypes Ingress, `
            + `no rules): ${MISSING_TEXT.ingress}, istiod included if its own policy is removed`,
        },
      });
    }
    return out;
  },
};

/**
 * NET-DENY-001's per-object part as an admission check for one cluster: the same allow-all test
 * as `check()`, with the control-plane namespace and the output's Istio Gateways (namespace and
 * pod labels) written into the CEL. A Gateway added later is unknown to it, so its policy is
 * refused until the guardrails are regenerated (or an exception lists it).
 */
export function defaultDenyAdmission(ctx: RuleContext): AdmissionCheck {
  const webhook = `(${celInNamespace(ctx.controlPlaneNamespace)} && ${celSelectsOnlyIstiod()} `
    + `&& has(r.ports) && size(r.ports) > 0 && r.ports.all(p, ${celSingleTcpPort('p')} && p.port == ${ISTIOD_WEBHOOK_PORT}))`;
  const gateway = `(${celSelectsGatewayPods(istioGateways(ctx))} && ${celListsSinglePorts('r')})`;
  const emptyPeer = (key: string) => `(has(r.${key}) && r.${key}.exists(q, ${celEmptyPeer('q')}))`;
  const openIngress = `(!has(r.from) || size(r.from) == 0 || r.from.exists(q, (has(q.ipBlock) && ${celWideCidr('q.ipBlock.cidr')}) || ${celPeerReachesAllPods('q')}))`;
  const openEgress = `(!has(r.to) || size(r.to) == 0 || r.to.exists(q, ${celPeerReachesAllPods('q')}))`;
  const ingress = `(!${celGoverns('ingress')} || !has(object.spec.ingress) || object.spec.ingress.all(r, !${emptyPeer('from')} && (${webhook} || ${gateway} || !${openIngress})))`;
  const egress = `(!${celGoverns('egress')} || !has(object.spec.egress) || object.spec.egress.all(r, !${emptyPeer('to')} && !${openEgress}))`;
  return {
    resources: [{ apiGroups: [NETWORK_POLICY_GROUP], apiVersions: ['*'], resources: ['networkpolicies'] }],
    expression: `!${celIsKind(NETWORK_POLICY_GROUP, ['NetworkPolicy'])} || !has(object.spec) || (${ingress} && ${egress})`,
    message: 'NET-DENY-001 (NETPOL-1, CP-1): a NetworkPolicy must not open to everyone (a rule without from/to, a namespaceSelector '
      + 'selecting every namespace, an ingress ipBlock wider than /8 or /16), except istiod\'s webhook port and a gateway\'s listed ports',
  };
}
