import { Testing } from 'cdk8s';
import { AccessMatrix } from '../../src/audit/access-matrix';
import { MeshBaseline } from '../../src/mesh/mesh-baseline';
import { HardenedNamespace } from '../../src/workload/hardened-namespace';
import { nativeIdentity } from '../../src/workload/mesh-workload';
import { SecureService } from '../../src/workload/secure-service';
import { ServingWorkloadProps } from '../../src/workload/workload-props';
import { findObject, synthValidated } from '../helpers';
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
