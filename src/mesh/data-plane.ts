/**
 * Which Istio data plane carries a namespace's traffic, and so who enforces its policies
 * (MTLS-1, AUTHZ-1..4, NETPOL-1).
 *
 * - `SIDECAR`: an Envoy sidecar in every pod enforces mTLS, L4 and L7 authorization and JWTs for
 *   that pod. Policies select pods (`selector`).
 * - `AMBIENT`: no sidecar. The node's ztunnel terminates mTLS (HBONE, port 15008) and enforces
 *   L4 authorization (principals, namespaces, ports) at the destination. L7 (paths, methods,
 *   JWTs) is enforced only by a waypoint proxy, a Gateway API `Gateway` of class
 *   `istio-waypoint` that a Service opts into with `istio.io/use-waypoint`; L7 policies attach to
 *   the Service with `targetRefs`. Traffic through a waypoint reaches the destination's ztunnel
 *   with the waypoint's identity, not the caller's.
 */
export enum DataPlane {
  /** Envoy sidecars injected into every pod (Istio's classic data plane). */
  SIDECAR = 'sidecar',
  /** Istio ambient mode: ztunnel for L4, a waypoint for L7 (GA since Istio 1.24). */
  AMBIENT = 'ambient',
}

/** The label that enrols a namespace (or, with `none`, opts a pod out of) ambient mode. */
export const DATAPLANE_MODE_LABEL = 'istio.io/dataplane-mode';
/** The value of `istio.io/dataplane-mode` for ambient. */
export const AMBIENT_MODE = 'ambient';
/** The Service (or namespace) label naming the waypoint that serves it. */
export const USE_WAYPOINT_LABEL = 'istio.io/use-waypoint';
/** The label naming the namespace of that waypoint when it is not the Service's own. */
export const USE_WAYPOINT_NAMESPACE_LABEL = 'istio.io/use-waypoint-namespace';
/**
 * The Service label that makes Istio ingress gateways send to the Service's waypoint too:
 * without it a gateway skips the waypoint and reaches the pods directly (pilot's
 * `findServiceWaypoint`: routers must opt in; sidecars use the waypoint by default).
 */
export const INGRESS_USE_WAYPOINT_LABEL = 'istio.io/ingress-use-waypoint';
/** The GatewayClass Istio deploys waypoints for. */
export const WAYPOINT_GATEWAY_CLASS = 'istio-waypoint';
/** The Gateway label saying what a waypoint serves (`service`, `workload`, `all`, `none`). */
export const WAYPOINT_FOR_LABEL = 'istio.io/waypoint-for';
/**
 * The name of the waypoint a HardenedNamespace deploys. Istio names the waypoint's Deployment,
 * Service and ServiceAccount after the Gateway (no class suffix for waypoints), so its identity is
 * `<trustDomain>/ns/<namespace>/sa/waypoint`.
 */
export const WAYPOINT_NAME = 'waypoint';
/** The label Istio puts on the pods it deploys for a Gateway API Gateway (waypoints too). */
export const GATEWAY_NAME_LABEL = 'gateway.networking.k8s.io/gateway-name';
/** HBONE: ambient's mTLS tunnel. Every in-mesh connection to an ambient pod or waypoint arrives on this port. */
export const HBONE_PORT = 15008;
/**
 * The address kubelet probes of ambient pods arrive from: the Istio CNI SNATs them to this
 * link-local address so ztunnel can let them past, and a default-deny NetworkPolicy must admit it.
 */
export const KUBELET_PROBE_SOURCE_CIDR = '169.254.7.127/32';

/** Whether a namespace's labels enrol it in ambient mode. */
export function isAmbientNamespaceLabels(labels: { [key: string]: string } | undefined): boolean {
  return labels?.[DATAPLANE_MODE_LABEL] === AMBIENT_MODE;
}
