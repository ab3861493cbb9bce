import { DeclaredWorkload } from '../../src/audit/access-types';

/** The gateways Istio installs for the sidecar blueprint (their pods are not in its manifests). */
export const INGRESS_GATEWAY: DeclaredWorkload = {
  name: 'istio-ingressgateway', namespace: 'istio-system', serviceAccount: 'istio-ingressgateway-service-account', labels: { istio: 'ingressgateway' }, ports: [8080, 8443],
};
export const EGRESS_GATEWAY: DeclaredWorkload = {
  name: 'istio-egressgateway', namespace: 'istio-system', serviceAccount: 'istio-egressgateway-service-account', labels: { istio: 'egressgateway' }, ports: [8443],
};

/**
 * Caller -> target:port, the calls inside the mesh and at its edge that the Bookinfo blueprint
 * intends (examples/blueprint/blueprint.ts), whatever its data plane. The call out of the mesh
 * ends at the egress gateway on sidecar and at the external host on ambient: each test adds it.
 */
export const BOOKINFO_MESH_CALLS: readonly string[] = [
  'istio-system/istio-ingressgateway -> bookinfo/productpage:9080',
  'bookinfo/productpage -> bookinfo/details:9080',
  'bookinfo/productpage -> bookinfo/reviews:9080',
  'bookinfo/reviews -> bookinfo/ratings:9080',
  'probes/loadgen -> bookinfo/details:9080',
  'bookinfo/mongodb-seed -> bookinfo/mongodb:27017',
  'bookinfo/mongodb-compact -> bookinfo/mongodb:27017',
];
