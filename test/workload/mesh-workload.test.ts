import { Testing } from 'cdk8s';
import { AccessMatrix } from '../../src/audit/access-matrix';
import { AppProtocol } from '../../src/mesh/app-protocol';
import { DataPlane } from '../../src/mesh/data-plane';
import { MeshBaseline } from '../../src/mesh/mesh-baseline';
import { Principal } from '../../src/mesh/principal';
import { HardenedNamespace } from '../../src/workload/hardened-namespace';
import { nativeIdentity } from '../../src/workload/mesh-workload';
import { SecureService } from '../../src/workload/secure-service';
import { SecureStatefulSet } from '../../src/workload/secure-stateful-set';
import { ServingWorkloadProps } from '../../src/workload/workload-props';
import { findObject, ofKind, synthValidated } from '../helpers';
import { HTTP, IMAGE } from './hardening-kit';

function world(props: Partial<ServingWorkloadProps> = {}) {
  const chart = Testing.chart();
  new MeshBaseline(chart, 'mesh', { monitoringNamespace: 'monitoring', monitoringPodLabels: { 'app.kubernetes.io/name': 'prometheus' } });
  const ns = new HardenedNamespace(chart, 'shop', { name: 'shop' });
  const make = () => new SecureService(chart, 'web', { namespace: ns, image: IMAGE, ports: HTTP, ...props });
  return { chart, ns, make };
}

describe('MeshWorkload (the core every kind wraps)', () => {
  test('a kind the library writes is named by `name` or its id, runs as the account of that name, and selects its pods by `app`', () => {
    const { ns } = world();
    expect(nativeIdentity('web', { namespace: ns, image: IMAGE, ports: HTTP })).toEqual({
      namespace: ns, name: 'web', serviceAccountName: 'web', ports: HTTP, podSelector: { app: 'web' },
    });
    expect(nativeIdentity('x', { namespace: ns, image: IMAGE, ports: [], name: 'cart', serviceAccountName: 'cart-sa' }))
      .toMatchObject({ name: 'cart', serviceAccountName: 'cart-sa', podSelector: { app: 'cart' } });
  });

  describe('metrics: the app\'s metrics merged into the sidecar agent\'s 15020', () => {
    test('the prometheus.io annotations Istio\'s metrics merging reads; the metrics port is neither a container port nor a Service port', () => {
      const { chart, make } = world({ metrics: { port: 9102 } });
      make();
      const objects = synthValidated(chart);
      const deployment = findObject(objects, 'Deployment', 'web', 'shop');
      expect(deployment.spec.template.metadata.annotations).toEqual({
        'prometheus.io/scrape': 'true', 'prometheus.io/port': '9102', 'prometheus.io/path': '/metrics',
      });
      expect(deployment.spec.template.spec.containers[0].ports).toEqual([{ containerPort: 8080, name: 'http' }]);
      expect(findObject(objects, 'Service', 'web', 'shop').spec.ports.map((p: any) => p.port)).toEqual([8080]);
      // Prometheus reaches 15020 through the namespace's scrape policy, and nothing reaches 9102.
      const matrix = AccessMatrix.fromManifests([...objects,
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'monitoring', labels: { 'kubernetes.io/metadata.name': 'monitoring' } } },
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'prometheus', namespace: 'monitoring' },
          spec: { template: { metadata: { labels: { 'app.kubernetes.io/name': 'prometheus' } }, spec: { containers: [{ name: 'p' }] } } },
        }]);
      expect(matrix.check({ from: 'monitoring/prometheus', to: 'shop/web', port: 15020 }).allowed).toBe(true);
      expect(matrix.check({ from: 'monitoring/prometheus', to: 'shop/web', port: 9102 }).allowed).toBe(false);
    });

    test('a path of its own', () => {
      const { chart, make } = world({ metrics: { port: 8080, path: '/internal/metrics' } });
      make();
      expect(findObject(synthValidated(chart), 'Deployment', 'web', 'shop').spec.template.metadata.annotations['prometheus.io/path']).toBe('/internal/metrics');
    });

    test.each<[string, Partial<ServingWorkloadProps>, RegExp]>([
      ['one of Istio\'s ports', { metrics: { port: 15090 } }, /\[test\/web\] metrics.port: 15090 is not a port the app can serve metrics on/],
      ['not a port', { metrics: { port: 0 } }, /metrics.port: 0 is not a port/],
      ['a relative path', { metrics: { port: 9102, path: 'metrics' } }, /metrics.path: "metrics" is not an absolute, normalized HTTP path/],
      ['a path that climbs', { metrics: { port: 9102, path: '/a/../b' } }, /metrics.path: "\/a\/..\/b"/],
    ])('refused: %s', (_name, props, message) => {
      const { make } = world(props);
      expect(() => make()).toThrow(message);
    });
  });

  describe('guards of the core', () => {
    test('no hardened namespace', () => {
      const chart = Testing.chart();
      expect(() => new SecureService(chart, 'web', { namespace: undefined as any, image: IMAGE, ports: HTTP }))
        .toThrow(/\[test\/web\] namespace: the workload has no hardened namespace/);
    });

    test('a name that is not a DNS-1035 label', () => {
      const { chart, ns } = world();
      expect(() => new SecureService(chart, 'Web', { namespace: ns, image: IMAGE, ports: HTTP })).toThrow(/\[test\/Web\] name: "Web"/);
    });
  });
});

describe('the same grants on ambient (ztunnel for L4, the namespace waypoint for L7)', () => {
  const img = IMAGE;
  const TCP = [{ name: 'tcp', port: 5432, protocol: AppProtocol.TCP }];
  function ambientWorld() {
    const chart = Testing.chart();
    new MeshBaseline(chart, 'mesh', { ambient: true });
    const ns = new HardenedNamespace(chart, 'shop', { name: 'shop', dataPlane: DataPlane.AMBIENT });
    const web = new SecureService(chart, 'web', { namespace: ns, image: img, ports: HTTP });
    const api = new SecureService(chart, 'api', { namespace: ns, image: img, ports: [{ name: 'http', port: 9080, protocol: AppProtocol.HTTP }] });
    const db = new SecureService(chart, 'db', { namespace: ns, image: img, ports: TCP });
    return { chart, ns, web, api, db };
  }
  const WAYPOINT = 'cluster.local/ns/shop/sa/waypoint';
  const hbone = [{ port: 15008, protocol: 'TCP' }];
  const pods = (labels: object) => ({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'shop' } }, podSelector: { matchLabels: labels } });

  test('an L4 grant binds to ztunnel: the caller\'s principal on the port, its pods on HBONE only, and no waypoint', () => {
    const { chart, api, db } = ambientWorld();
    const grant = db.allowFrom(api);
    const objects = synthValidated(chart);
    expect(findObject(objects, 'AuthorizationPolicy', 'db', 'shop').spec).toEqual({
      selector: { matchLabels: { app: 'db' } },
      action: 'ALLOW',
      rules: [{ from: [{ source: { principals: ['cluster.local/ns/shop/sa/api'] } }], to: [{ operation: { ports: ['5432'] } }] }],
    });
    expect(findObject(objects, 'NetworkPolicy', 'db-ingress', 'shop').spec.ingress).toEqual([{ from: [pods({ app: 'api' })], ports: hbone }]);
    expect(findObject(objects, 'NetworkPolicy', 'api-egress', 'shop').spec.egress).toEqual([{ to: [pods({ app: 'db' })], ports: hbone }]);
    // No app port at L3/L4 (ambient traffic never arrives there), no waypoint, no Sidecar.
    expect(JSON.stringify(findObject(objects, 'NetworkPolicy', 'db-ingress', 'shop'))).not.toContain('5432');
    expect(ofKind(objects, 'Gateway')).toEqual([]);
    expect(ofKind(objects, 'Sidecar', 'shop')).toEqual([]);
    expect(grant.objects).toEqual(['AuthorizationPolicy/shop/db', 'NetworkPolicy/shop/db-ingress', 'NetworkPolicy/shop/api-egress']);
  });

  test('an L7 grant puts the Service behind the waypoint: all grants there, ztunnel admits only the waypoint, nothing bypasses it', () => {
    const { chart, web, api } = ambientWorld();
    const grant = api.allowFrom(web, { paths: ['/api/*'], methods: ['GET'] });
    api.allowFrom(Principal.serviceAccount('ops', 'debugger'), { ports: [9080] });
    const objects = synthValidated(chart);
    expect(api.usesWaypoint).toBe(true);
    const service = findObject(objects, 'Service', 'api', 'shop');
    expect(service.metadata.labels).toMatchObject({ 'istio.io/use-waypoint': 'waypoint', 'istio.io/ingress-use-waypoint': 'true' });
    expect(findObject(objects, 'AuthorizationPolicy', 'api-waypoint', 'shop').spec).toEqual({
      targetRefs: [{ group: '', kind: 'Service', name: 'api' }],
      action: 'ALLOW',
      rules: [
        { from: [{ source: { principals: ['cluster.local/ns/ops/sa/debugger'] } }], to: [{ operation: { ports: ['9080'] } }] },
        { from: [{ source: { principals: ['cluster.local/ns/shop/sa/web'] } }], to: [{ operation: { ports: ['9080'], methods: ['GET'], paths: ['/api/*'] } }] },
      ],
    });
    const ztunnel = findObject(objects, 'AuthorizationPolicy', 'api', 'shop').spec;
    expect(ztunnel.rules).toEqual([{ from: [{ source: { principals: [WAYPOINT] } }], to: [{ operation: { ports: ['9080'] } }] }]);
    // No L7 attribute ever reaches a ztunnel-bound policy (it would fail closed).
    expect(JSON.stringify(ztunnel)).not.toMatch(/paths|methods|requestPrincipals/);
    const waypointPods = pods({ 'gateway.networking.k8s.io/gateway-name': 'waypoint' });
    expect(findObject(objects, 'NetworkPolicy', 'api-ingress', 'shop').spec.ingress).toEqual([{ from: [waypointPods], ports: hbone }]);
    expect(findObject(objects, 'NetworkPolicy', 'web-egress', 'shop').spec.egress).toEqual([{ to: [waypointPods], ports: hbone }]);
    const waypointPolicy = findObject(objects, 'NetworkPolicy', 'waypoint', 'shop').spec;
    expect(waypointPolicy.egress).toEqual([{ to: [pods({ app: 'api' })], ports: hbone }]);
    expect(waypointPolicy.ingress[0].from).toContainEqual(pods({ app: 'web' }));
    expect(grant.objects).toEqual(expect.arrayContaining(['AuthorizationPolicy/shop/api-waypoint', 'Service/shop/api']));
    expect(JSON.stringify(objects)).not.toContain('"*"');
  });

  test('requireJwt attaches the RequestAuthentication to the Service at the waypoint (ztunnel validates no token)', () => {
    const { chart, web, api } = ambientWorld();
    api.requireJwt({ issuer: 'https://issuer.example.com', jwksUri: 'https://issuer.example.com/jwks.json', audiences: ['api'] });
    api.allowFrom(web);
    const objects = synthValidated(chart);
    const ra = findObject(objects, 'RequestAuthentication', 'api-jwt', 'shop').spec;
    expect(ra.targetRefs).toEqual([{ group: '', kind: 'Service', name: 'api' }]);
    expect(ra.selector).toBeUndefined();
    expect(findObject(objects, 'AuthorizationPolicy', 'api-waypoint', 'shop').spec.rules[0].from[0].source.requestPrincipals).toEqual(['https://issuer.example.com/*']);
    expect(findObject(objects, 'AuthorizationPolicy', 'api', 'shop').spec.rules[0].from[0].source).toEqual({ principals: [WAYPOINT] });
  });

  test('kubelet probes: admitted from the CNI\'s SNAT address 169.254.7.127, on the probed ports only', () => {
    const { chart, ns, web } = ambientWorld();
    const probed = new SecureService(chart, 'probed', {
      namespace: ns,
      image: img,
      ports: HTTP,
      healthPorts: [8081],
      readinessProbe: { port: 8081, path: '/ready' },
      livenessProbe: { port: 8080, path: '/live' },
    });
    probed.allowFrom(web);
    expect(findObject(synthValidated(chart), 'NetworkPolicy', 'probed-ingress', 'shop').spec.ingress).toEqual([
      { from: [pods({ app: 'web' })], ports: hbone },
      { from: [{ ipBlock: { cidr: '169.254.7.127/32' } }], ports: [{ port: 8080, protocol: 'TCP' }, { port: 8081, protocol: 'TCP' }] },
    ]);
  });

  test('an ambient caller reaches a sidecar service on HBONE (15008), on both sides', () => {
    const chart = Testing.chart();
    new MeshBaseline(chart, 'mesh', { ambient: true });
    const amb = new HardenedNamespace(chart, 'amb', { name: 'amb', dataPlane: DataPlane.AMBIENT });
    const side = new HardenedNamespace(chart, 'side', { name: 'side' });
    const caller = new SecureService(chart, 'caller', { namespace: amb, image: img, ports: HTTP });
    const target = new SecureService(chart, 'target', { namespace: side, image: img, ports: HTTP });
    target.allowFrom(caller);
    const objects = synthValidated(chart);
    expect(findObject(objects, 'NetworkPolicy', 'target-ingress', 'side').spec.ingress[0].ports).toEqual(hbone);
    expect(findObject(objects, 'NetworkPolicy', 'caller-egress', 'amb').spec.egress[0].ports).toEqual(hbone);
    // The sidecar namespace keeps its Sidecar; the ambient one has none.
    expect(ofKind(objects, 'Sidecar', 'side')).toHaveLength(1);
    expect(ofKind(objects, 'Sidecar', 'amb')).toEqual([]);
  });

  test('an imported ambient service behind its waypoint: the caller\'s egress goes to that waypoint on HBONE', () => {
    const { chart, web } = ambientWorld();
    const remote = SecureService.fromAttributes(chart, 'remote', {
      namespace: 'payments', name: 'ledger', ports: HTTP, dataPlane: DataPlane.AMBIENT, usesWaypoint: true,
    });
    remote.allowFrom(web);
    const egress = findObject(synthValidated(chart), 'NetworkPolicy', 'web-egress', 'shop').spec.egress;
    expect(egress).toEqual([{
      to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'payments' } }, podSelector: { matchLabels: { 'gateway.networking.k8s.io/gateway-name': 'waypoint' } } }],
      ports: hbone,
    }]);
    expect(() => SecureService.fromAttributes(chart, 'bad', { namespace: 'p', name: 'x', ports: HTTP, usesWaypoint: true }))
      .toThrow(/\[test\/bad\] usesWaypoint: only an ambient service is served by a waypoint/);
  });

  test.each<[string, (w: ReturnType<typeof ambientWorld>) => void, RegExp]>([
    ['an L7 grant on a Service whose port is remapped', (w) => {
      const remapped = new SecureService(w.chart, 'remapped', { namespace: w.ns, image: img, ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: AppProtocol.HTTP }] });
      remapped.allowFrom(w.web, { paths: ['/x'] });
    }, /\[test\/remapped\] allowFrom: port 80 → 8080 differs from its container port/],
    ['an L7 grant on a headless Service (StatefulSet)', (w) => {
      const set = new SecureStatefulSet(w.chart, 'set', { namespace: w.ns, image: img, ports: HTTP });
      set.allowFrom(w.web, { methods: ['GET'] });
    }, /\[test\/set\] allowFrom: shop\/set is in an ambient namespace and has a headless Service \(no virtual IP\)/],
    ['a sidecar bypass annotation', (w) => w.db.excludeInboundPorts([5432], { exception: undefined as any }),
      /\[test\/db\] excludeInboundPorts: shop is an ambient namespace: its pods have no sidecar/],
    ['outbound bypass', (w) => w.db.excludeOutboundIpRanges(['10.0.0.1/32'], { exception: undefined as any, ports: [1] }),
      /\[test\/db\] excludeOutboundIpRanges: shop is an ambient namespace/],
    ['merged metrics', (w) => new SecureService(w.chart, 'm', { namespace: w.ns, image: img, ports: HTTP, metrics: { port: 9102 } }),
      /\[test\/m\] metrics: shop is an ambient namespace: no sidecar merges the app's metrics/],
  ])('%s fails synthesis, saying why and how', (_name, act, error) => {
    const w = ambientWorld();
    expect(() => act(w)).toThrow(error);
  });
});
