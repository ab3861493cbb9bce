import { AdmissionCheck, PolicyRule, RuleContext, RuleObject, RuleSeverity, RuleViolation, isKind, kindKey } from '../rule';
import { GATEWAY_API_GROUP } from './mesh-gateway-scope';
import { NETWORKING_GROUP, asList, isSet } from './mesh-shared';
import {
  GatewayPods, NETWORK_POLICY_GROUP, WIDEST_PREFIX, celGoverns, celInNamespace, celPodSelectorRequires, celSingleTcpPort, celWideCidr,
  governs, isNetworkPolicy, isWideCidr, istioGateways, npSpec, parseCidr, podSelectorRequires, portsText, tcpPortNumber,
} from './network-policy-shape';
import { celIsKind, isRecord } from './workload-pod-specs';
import { GATEWAY_NAME_LABEL, USE_WAYPOINT_LABEL, WAYPOINT_GATEWAY_CLASS } from '../../mesh/data-plane';

/** An egress gateway of the output: an Istio Gateway's pods, and the external ports of the hosts it serves. */
export interface EgressGatewayPods extends GatewayPods {
  /** Port numbers of the MESH_EXTERNAL ServiceEntries in the gateway's namespace whose hosts the Gateway serves, sorted. */
  readonly externalPorts: readonly number[];
}

/** A Gateway server host (`host`, `./host`, `ns/host`, `*` ...) without its namespace part. */
function serverHost(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const slash = value.indexOf('/');
  return slash < 0 ? value : value.slice(slash + 1);
}

const egressIndexes = new WeakMap<readonly RuleObject[], EgressGatewayPods[]>();

/**
 * The egress gateways of the object set: Istio Gateways (see `istioGateways`) serving at least
 * one host that a MESH_EXTERNAL ServiceEntry of the same namespace registers, with the port
 * numbers of those ServiceEntries. EgressGateway writes exactly this: a Gateway with a server per
 * granted host (`./<host>`) and a ServiceEntry per host, in the gateway's namespace.
 */
export function egressGateways(ctx: RuleContext): readonly EgressGatewayPods[] {
  let found = egressIndexes.get(ctx.objects);
  if (!found) {
    found = [];
    for (const gateway of istioGateways(ctx)) {
      const served = new Set<string>();
      for (const server of asList(isRecord(gateway.object.spec) ? gateway.object.spec.servers : undefined)) {
        for (const h of asList(isRecord(server) ? server.hosts : undefined)) {
          const host = serverHost(h);
          if (host) served.add(host);
        }
      }
      const ports = new Set<number>();
      for (const o of ctx.objects) {
        if (!isKind(o, NETWORKING_GROUP, 'ServiceEntry') || o.metadata?.namespace !== gateway.namespace || !isRecord(o.spec)) continue;
        if (isSet(o.spec.location) && o.spec.location !== 'MESH_EXTERNAL') continue;
        if (!asList(o.spec.hosts).some((h) => typeof h === 'string' && (served.has(h) || served.has('*')))) continue;
        for (const p of asList(o.spec.ports)) {
          if (isRecord(p) && typeof p.number === 'number' && Number.isInteger(p.number)) ports.add(p.number);
        }
      }
      if (ports.size > 0) found.push({ ...gateway, externalPorts: [...ports].sort((a, b) => a - b) });
    }
    found.push(...egressWaypoints(ctx));
    egressIndexes.set(ctx.objects, found);
  }
  return found;
}

/**
 * Ambient egress gateways: waypoints (Gateway API Gateways of class `istio-waypoint`) serving
 * MESH_EXTERNAL ServiceEntries of their namespace (the entry, or failing that the namespace,
 * names the waypoint with `istio.io/use-waypoint`), with those entries' ports and target ports
 * (the waypoint connects out on the target port: TLS origination maps 80 to 443). Their pods
 * carry `gateway.networking.k8s.io/gateway-name: <name>`. AmbientEgressGateway writes exactly this.
 */
function egressWaypoints(ctx: RuleContext): EgressGatewayPods[] {
  const found: EgressGatewayPods[] = [];
  const namespaceLabels = (name: string) => {
    const ns = ctx.objects.find((o) => isKind(o, '', 'Namespace') && o.metadata?.name === name);
    return ns?.metadata?.labels ?? {};
  };
  for (const waypoint of ctx.objects) {
    const ns = waypoint.metadata?.namespace;
    const name = waypoint.metadata?.name;
    if (!isKind(waypoint, GATEWAY_API_GROUP, 'Gateway') || typeof ns !== 'string' || typeof name !== 'string') continue;
    if (!isRecord(waypoint.spec) || waypoint.spec.gatewayClassName !== WAYPOINT_GATEWAY_CLASS) continue;
    const ports = new Set<number>();
    for (const o of ctx.objects) {
      if (!isKind(o, NETWORKING_GROUP, 'ServiceEntry') || o.metadata?.namespace !== ns || !isRecord(o.spec)) continue;
      if (isSet(o.spec.location) && o.spec.location !== 'MESH_EXTERNAL') continue;
      if ((o.metadata?.labels?.[USE_WAYPOINT_LABEL] ?? namespaceLabels(ns)[USE_WAYPOINT_LABEL]) !== name) continue;
      for (const p of asList(o.spec.ports)) {
        if (!isRecord(p)) continue;
        for (const n of [p.number, p.targetPort]) if (typeof n === 'number' && Number.isInteger(n)) ports.add(n);
      }
    }
    if (ports.size === 0) continue;
    found.push({ object: waypoint, namespace: ns, selector: { [GATEWAY_NAME_LABEL]: name }, externalPorts: [...ports].sort((a, b) => a - b) });
  }
  return found;
}

/**
 * Whether an egress rule is an egress gateway's own opening: the policy selects only the pods of
 * an egress gateway of its namespace, and the rule lists single TCP ports, each an external port
 * of that gateway's hosts.
 */
function isGatewayEgress(np: RuleObject, rule: { readonly [key: string]: any }, ctx: RuleContext): boolean {
  if (!Array.isArray(rule.ports) || rule.ports.length === 0) return false;
  const ports = rule.ports.map(tcpPortNumber);
  return egressGateways(ctx).some((g) => g.namespace === np.metadata?.namespace && podSelectorRequires(np, g.selector)
    && ports.every((p) => p !== undefined && g.externalPorts.includes(p)));
}

const EVERYWHERE = 'any address, the internet included, past the egress gateway';

/**
 * NET-EGRESS-001 (EGRESS-1): no NetworkPolicy opens egress to the internet, except the egress
 * gateway's own.
 *
 * In every NetworkPolicy that governs egress, no egress rule may go to everywhere: no rule without
 * `to` (or with `to: []`), and no ipBlock wider than a /8 (IPv4) or a /16 (IPv6): 0.0.0.0/0, ::/0,
 * any prefix length 0, and splits such as 0.0.0.0/1 + 128.0.0.0/1 (each half is reported). The
 * bound is the one SecureService.excludeOutboundIpRanges puts on what a service may reach past
 * its sidecar; `except` entries do not narrow a block enough to matter.
 *
 * The egress gateway's own policy may open 0.0.0.0/0 and ::/0 (external names have no stable
 * addresses; Envoy narrows to the granted hosts): an egress rule whose ipBlocks are wide is
 * accepted when its policy selects only the pods of an Istio Gateway of the same namespace (the
 * podSelector requires every label of the Gateway's selector) that serves hosts registered by
 * MESH_EXTERNAL ServiceEntries of that namespace, and the rule lists single TCP ports, each a port
 * of those ServiceEntries (EgressGateway writes exactly this); or the pods of an ambient egress
 * waypoint serving such ServiceEntries (see `egressWaypoints`; AmbientEgressGateway). A rule without `to` is never
 * accepted: it also opens every pod of the cluster.
 *
 * Limits: the exception trusts the Gateway and ServiceEntry objects (writing them takes write
 * access to networking.istio.io, which app teams do not have; MESH-EGRESS-002 constrains the
 * ServiceEntries). Many blocks each at most a /8 (e.g. every public /8 listed one by one) are
 * not added up. Malformed CIDRs are findings in `check()`; the admission form reads only the
 * prefix (the API server rejects malformed CIDRs first).
 *
 * No `admission` on the rule itself: without the output's gateways it would refuse the egress
 * gateway's own policy. `openEgressAdmission(ctx)` renders the same check with them inlined.
 */
export const NET_EGRESS_001: PolicyRule = {
  id: 'NET-EGRESS-001',
  practices: ['EGRESS-1'],
  severity: RuleSeverity.ERROR,
  since: '2',
  kinds: [kindKey(NETWORK_POLICY_GROUP, 'NetworkPolicy')],
  title: 'No NetworkPolicy opens egress to 0.0.0.0/0, ::/0 or everywhere, except the egress gateway\'s own',
  explanation:
    'The mesh sends external traffic through the egress gateway, which admits only granted callers to granted hosts and '
    + 'originates TLS. A NetworkPolicy egress rule to 0.0.0.0/0, ::/0 (or any very wide block, or with no "to") lets the pods it '
    + 'selects connect to the internet directly: a pod whose sidecar is bypassed or compromised, or a port excluded from '
    + 'capture, exfiltrates data or fetches payloads past every mesh control.',
  fix:
    'Reach external hosts with EgressGateway.allowExternal(host, { from }): the caller\'s egress then goes only to the gateway '
    + 'pods. A service that must reach a fixed range past its sidecar uses SecureService.excludeOutboundIpRanges (at most a /8 '
    + 'or /16, with a PolicyException for MESH-EXC-001). A PolicyException for this rule is right only for a workload that '
    + 'must reach arbitrary internet addresses and cannot go through the gateway, scoped to its policy.',
  admissionFor: (ctx) => openEgressAdmission(ctx),
  check(object, ctx) {
    if (!isNetworkPolicy(object) || !governs(object, 'egress')) return [];
    const egress: unknown = npSpec(object).egress;
    if (!isSet(egress)) return [];
    if (!Array.isArray(egress)) return [{ path: 'spec.egress', message: 'spec.egress is not a list of rules' }];
    const out: RuleViolation[] = [];
    egress.forEach((rule: unknown, i: number) => {
      const at = `spec.egress[${i}]`;
      if (!isRecord(rule)) {
        out.push({ path: at, message: `egress rule ${i} is not a rule object` });
        return;
      }
      const to: unknown = rule.to;
      const ports = portsText(rule);
      if (!isSet(to) || (Array.isArray(to) && to.length === 0)) {
        out.push({ path: isSet(to) ? `${at}.to` : at, message: `egress rule ${i} has ${isSet(to) ? 'an empty' : 'no'} "to", so the pods may connect to ${EVERYWHERE} ${ports}` });
        return;
      }
      if (!Array.isArray(to)) {
        out.push({ path: `${at}.to`, message: `egress rule ${i}: "to" is not a list of peers` });
        return;
      }
      const gateway = isGatewayEgress(object, rule, ctx);
      to.forEach((peer: unknown, j: number) => {
        if (!isRecord(peer) || !isSet(peer.ipBlock)) return;
        const where = `${at}.to[${j}].ipBlock`;
        const cidr = isRecord(peer.ipBlock) ? parseCidr(peer.ipBlock.cidr) : undefined;
        if (!cidr) {
          out.push({ path: isRecord(peer.ipBlock) ? `${where}.cidr` : where, message: `egress rule ${i}: peer ${j} has no valid CIDR` });
        } else if (isWideCidr(cidr) && !gateway) {
          out.push({
            path: `${where}.cidr`,
            message: `egress rule ${i} opens ${peer.ipBlock.cidr} (wider than a /${WIDEST_PREFIX[cidr.version]}): the pods may connect to ${EVERYWHERE} ${ports}`,
          });
        }
      });
    });
    return out;
  },
};

/**
 * NET-EGRESS-001 as an admission check for one cluster: the same test as `check()`, with the
 * output's egress gateways (namespace, pod labels, external ports) written into the CEL. A
 * gateway or host added later is unknown to it, so its opening is refused until the guardrails
 * are regenerated (or an exception lists the policy).
 */
export function openEgressAdmission(ctx: RuleContext): AdmissionCheck {
  const gateways = egressGateways(ctx).map((g) => `(${celInNamespace(g.namespace)} && ${celPodSelectorRequires(g.selector)} `
    + `&& has(r.ports) && size(r.ports) > 0 && r.ports.all(p, ${celSingleTcpPort('p')} && p.port in [${g.externalPorts.join(', ')}]))`);
  const gateway = gateways.length > 0 ? `(${[...new Set(gateways)].join(' || ')})` : 'false';
  const rule = `(has(r.to) && size(r.to) > 0 && (${gateway} || r.to.all(q, !has(q.ipBlock) || !${celWideCidr('q.ipBlock.cidr')})))`;
  return {
    resources: [{ apiGroups: [NETWORK_POLICY_GROUP], apiVersions: ['*'], resources: ['networkpolicies'] }],
    expression: `!${celIsKind(NETWORK_POLICY_GROUP, ['NetworkPolicy'])} || !has(object.spec) || !${celGoverns('egress')} `
      + `|| !has(object.spec.egress) || object.spec.egress.all(r, ${rule})`,
    message: `NET-EGRESS-001 (EGRESS-1): a NetworkPolicy must not open egress to everywhere (no "to", or an ipBlock wider than /${WIDEST_PREFIX[4]} `
      + `or /${WIDEST_PREFIX[6]}, such as 0.0.0.0/0 or ::/0), except the egress gateway's own policy on its external ports`,
  };
}
