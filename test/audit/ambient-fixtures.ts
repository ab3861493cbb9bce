/**
 * Hand-written manifests for the ambient access tests (issue 17): namespaces in each data plane,
 * workloads, Services, a waypoint, and builders for the policies each test adds.
 */

export const AMBIENT_NS = (name: string, labels: { [k: string]: string } = {}): any => ({
  apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'istio.io/dataplane-mode': 'ambient', ...labels } },
});

export const SIDECAR_NS = (name: string): any => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'istio-injection': 'enabled' } } });

export const PLAIN_NS = (name: string): any => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });

/** A Deployment whose pods are `app: <name>`, run as service account `<name>`, listening on `ports`. */
export function deploy(namespace: string, name: string, ports: number[] = [8080], podLabels: { [k: string]: string } = {}): any {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace },
    spec: {
      template: {
        metadata: { labels: { app: name, ...podLabels } },
        spec: { serviceAccountName: name, containers: [{ name: 'app', ports: ports.map((containerPort) => ({ containerPort })) }] },
      },
    },
  };
}

/** A Service `name` in front of the pods `app: <name>`: one port (name, port -> targetPort). */
export function service(namespace: string, name: string, port: number, targetPort: number, portName = 'http',
  labels: { [k: string]: string } = {}, extra: { [k: string]: any } = {}): any {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace, labels },
    spec: { selector: { app: name }, ports: [{ name: portName, port, targetPort }], ...extra },
  };
}

/** The waypoint Gateway `name` of `namespace` (class istio-waypoint, HBONE listener on 15008). */
export function waypoint(namespace: string, name = 'waypoint', labels: { [k: string]: string } = { 'istio.io/waypoint-for': 'service' },
  allowedRoutes?: any): any {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name, namespace, labels },
    spec: {
      gatewayClassName: 'istio-waypoint',
      listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE', ...(allowedRoutes ? { allowedRoutes } : {}) }],
    },
  };
}

export function ap(namespace: string, name: string, spec: any): any {
  return { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name, namespace }, spec };
}

export function ra(namespace: string, name: string, spec: any): any {
  return { apiVersion: 'security.istio.io/v1', kind: 'RequestAuthentication', metadata: { name, namespace }, spec };
}

export function pa(namespace: string, name: string, spec: any): any {
  return { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name, namespace }, spec };
}

export function netpol(namespace: string, name: string, spec: any): any {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace }, spec };
}

export const principal = (namespace: string, sa: string): string => `cluster.local/ns/${namespace}/sa/${sa}`;

export const SELECT = (app: string): any => ({ matchLabels: { app } });

/** `targetRefs` to the Service `name`. */
export const TO_SERVICE = (name: string): any => [{ kind: 'Service', group: '', name }];

/** `targetRefs` to the Gateway `name`. */
export const TO_GATEWAY = (name: string): any => [{ kind: 'Gateway', group: 'gateway.networking.k8s.io', name }];

/** The ingress gateway Istio installs (declared: not in the manifests). */
export const INGRESS_GATEWAY = {
  name: 'istio-ingressgateway',
  namespace: 'istio-system',
  serviceAccount: 'istio-ingressgateway-service-account',
  labels: { istio: 'ingressgateway', app: 'istio-ingressgateway' },
  ports: [8080],
};

/**
 * The shop: ambient namespace `shop` with `web` (a caller), `api` (Service api:80 -> 8080, HTTP,
 * behind the namespace's waypoint) and `db` (Service db:5432, TCP, no waypoint); an ambient
 * namespace `front` with `client`; a sidecar namespace `legacy` with `client`; a namespace outside
 * the mesh, `outside`, with `curl`.
 */
export function shop(): any[] {
  return [
    AMBIENT_NS('shop'), AMBIENT_NS('front'), SIDECAR_NS('legacy'), PLAIN_NS('outside'), PLAIN_NS('istio-system'),
    deploy('shop', 'web'), deploy('shop', 'api', [8080, 9090]), deploy('shop', 'db', [5432]),
    service('shop', 'api', 80, 8080, 'http', { 'istio.io/use-waypoint': 'waypoint' }),
    service('shop', 'db', 5432, 5432, 'tcp-pg'),
    waypoint('shop'),
    deploy('front', 'client'), deploy('legacy', 'client'), deploy('outside', 'curl'),
  ];
}
