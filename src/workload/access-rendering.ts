import { DataPlane, HBONE_PORT, KUBELET_PROBE_SOURCE_CIDR } from '../mesh/data-plane';
import { IMeshPeer } from '../mesh/mesh-peer';
import { Principal } from '../mesh/principal';
import { NetworkPolicyIngressRule, NetworkPolicyPeer } from '../network/network-policy';
import { podsInNamespace, tcpPorts } from '../network/peers';

/**
 * One grant as intent, whatever renders it: who may call (identity and pods), on which container
 * ports, paths and methods. Recorded once by `allowFrom`; each data plane renders it.
 */
export interface GrantIntent {
  /** Sort and de-duplication key. */
  readonly key: string;
  readonly caller: IMeshPeer;
  /** The caller's principal in the target's trust domain. */
  readonly principal: string;
  readonly targetPorts: number[];
  readonly paths: string[];
  readonly methods: string[];
}

/** What a workload's access policies are rendered from. */
export interface WorkloadAccessModel {
  readonly namespace: string;
  readonly dataPlane: DataPlane;
  readonly grants: readonly GrantIntent[];
  /** `<issuer>/*` for each required JWT issuer (JWT-1), sorted. */
  readonly requestPrincipals: string[];
  /** The waypoint serving the workload's Service (ambient, when a grant or JWT needs L7). */
  readonly waypoint?: { readonly principal: Principal; readonly podLabels: { [key: string]: string } };
  /** The container ports kubelet probes (ambient admits them from the probe SNAT address). */
  readonly probePorts: number[];
}

/** The policies' contents, per enforcement point. */
export interface RenderedAccess {
  /** Rules of the AuthorizationPolicy bound to the pods (`selector`); undefined: allow nothing. */
  readonly podPolicyRules?: object[];
  /** Rules of the AuthorizationPolicy attached to the Service at its waypoint (`targetRefs`); undefined: allow nothing. */
  readonly waypointPolicyRules?: object[];
  /** Ingress rules of the workload's NetworkPolicy. */
  readonly ingress: NetworkPolicyIngressRule[];
}

/**
 * Renders a workload's grants for its data plane (AUTHZ-1..4, JWT-1, NETPOL-1):
 * - SIDECAR: the sidecar enforces everything, so the pod policy holds every grant (principal,
 *   ports, paths, methods, request principals), and NetworkPolicy admits each caller's pods on
 *   its granted container ports (on HBONE, 15008, when the caller is ambient).
 * - AMBIENT without a waypoint: every grant is L4 (allowFrom sends L7 grants to the waypoint), so
 *   the pod policy at ztunnel holds the grants as they are, and NetworkPolicy admits each caller's
 *   pods on HBONE (15008) only: ambient traffic never arrives on the app port.
 * - AMBIENT with a waypoint: the waypoint policy holds every grant, L7 included; the pod policy
 *   at ztunnel admits only the waypoint's identity, on the granted ports, so nothing bypasses the
 *   waypoint; NetworkPolicy admits only the waypoint's pods, on HBONE.
 * - AMBIENT either way: kubelet probes arrive from 169.254.7.127 (the Istio CNI's SNAT address,
 *   which ztunnel lets past), so NetworkPolicy also admits that address on the probed ports only.
 */
export function renderAccess(model: WorkloadAccessModel): RenderedAccess {
  const grants = [...model.grants].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  if (model.dataPlane !== DataPlane.AMBIENT) {
    return { podPolicyRules: allowRules(grants, model.requestPrincipals), ingress: ingressFromCallers(grants, model.dataPlane) };
  }
  const probes: NetworkPolicyIngressRule[] = model.probePorts.length
    ? [{ from: [{ ipBlock: { cidr: KUBELET_PROBE_SOURCE_CIDR } }], ports: tcpPorts(model.probePorts) }] : [];
  if (!model.waypoint) {
    return { podPolicyRules: allowRules(grants, model.requestPrincipals), ingress: [...ingressFromCallers(grants, model.dataPlane), ...probes] };
  }
  const ports = [...new Set(grants.flatMap((g) => g.targetPorts))].sort((a, b) => a - b);
  return {
    podPolicyRules: ports.length
      ? [{ from: [{ source: { principals: [model.waypoint.principal.toString()] } }], to: [{ operation: { ports: ports.map(String) } }] }]
      : undefined,
    waypointPolicyRules: allowRules(grants, model.requestPrincipals),
    ingress: [
      ...(ports.length ? [{ from: [podsInNamespace(model.namespace, model.waypoint.podLabels)], ports: tcpPorts([HBONE_PORT]) }] : []),
      ...probes,
    ],
  };
}

/** Whether traffic from a caller of one data plane to a target of another is HBONE on the wire. */
export function carriedOnHbone(callerPlane: DataPlane | undefined, targetPlane: DataPlane | undefined): boolean {
  return callerPlane === DataPlane.AMBIENT || targetPlane === DataPlane.AMBIENT;
}

/** One ALLOW rule per grant; undefined (no rules: allow nothing) before the first grant. */
function allowRules(grants: readonly GrantIntent[], requestPrincipals: string[]): object[] | undefined {
  if (grants.length === 0) return undefined;
  return grants.map((g) => ({
    from: [{ source: { principals: [g.principal], ...(requestPrincipals.length ? { requestPrincipals } : {}) } }],
    to: [{
      operation: {
        ports: g.targetPorts.map(String),
        ...(g.methods.length ? { methods: g.methods } : {}),
        ...(g.paths.length ? { paths: g.paths } : {}),
      },
    }],
  }));
}

function ingressFromCallers(grants: readonly GrantIntent[], targetPlane: DataPlane): NetworkPolicyIngressRule[] {
  const byPeer = new Map<string, { peer: NetworkPolicyPeer; ports: Set<number> }>();
  for (const g of grants) {
    const peer = podsInNamespace(g.caller.peerNamespace, g.caller.peerPodLabels);
    const key = JSON.stringify(peer);
    const entry = byPeer.get(key) ?? { peer, ports: new Set<number>() };
    const ports = carriedOnHbone(g.caller.peerDataPlane, targetPlane) ? [HBONE_PORT] : g.targetPorts;
    ports.forEach((p) => entry.ports.add(p));
    byPeer.set(key, entry);
  }
  return [...byPeer.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, e]) => ({ from: [e.peer], ports: tcpPorts([...e.ports]) }));
}
