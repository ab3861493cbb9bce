import { testWorkload } from './workload-fixture';
import { AccessMatrix } from '../../src/audit/access-matrix';
import { clientTlsMode, parseDestinationRules } from '../../src/audit/client-tls';
import { Workload } from '../../src/audit/workloads';

const ns = (name: string) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'kubernetes.io/metadata.name': name, 'istio-injection': 'enabled' } } });
const deploy = (namespace: string, name: string, ports: number[] = []) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace },
  spec: {
    template: {
      metadata: { labels: { app: name } },
      spec: { serviceAccountName: name, containers: [{ name, ports: ports.map((containerPort) => ({ containerPort })) }] },
    },
  },
});
const svc = (namespace: string, name: string, port: number, targetPort: number) => ({
  apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec: { selector: { app: name }, ports: [{ name: 'http', port, targetPort }] },
});
const dr = (namespace: string, name: string, spec: object) => ({ apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name, namespace }, spec });
const deny = {
  apiVersion: 'security.istio.io/v1',
  kind: 'AuthorizationPolicy',
  metadata: { name: 'b', namespace: 'ns1' },
  spec: { selector: { matchLabels: { app: 'b' } }, action: 'DENY', rules: [{ from: [{ source: { notPrincipals: ['*'] } }] }] },
};
const permissive = { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'default', namespace: 'ns1' }, spec: { mtls: { mode: 'PERMISSIVE' } } };
const world = [ns('ns1'), ns('ns2'), deploy('ns1', 'b', [8080]), deploy('ns1', 'a'), deploy('ns2', 'a'), svc('ns1', 'b', 80, 8080), permissive, deny];

describe('client-side TLS from DestinationRules', () => {
  test('the rule of the caller\'s namespace wins over the service\'s; tls DISABLE makes the sidecar send plaintext, so notPrincipals ["*"] denies it', () => {
    const objects = [...world,
      dr('ns1', 'default', { host: '*.ns1.svc.cluster.local', trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } }),
      dr('ns2', 'b', { host: 'b.ns1.svc.cluster.local', trafficPolicy: { tls: { mode: 'DISABLE' } } })];
    const m = AccessMatrix.fromManifests(objects);
    const plain = m.check({ from: 'ns2/a', to: 'ns1/b', port: 8080, method: 'GET', path: '/' });
    expect(plain).toMatchObject({ allowed: false, decidedBy: 'AuthorizationPolicy/ns1/b' });
    expect(plain.layers.find((l) => l.layer === 'mtls')!.reason).toContain('DestinationRule/ns2/b sets tls DISABLE for b.ns1.svc.cluster.local');
    expect(m.check({ from: 'ns1/a', to: 'ns1/b', port: 8080, method: 'GET', path: '/' }).allowed).toBe(true);
  });

  test('a STRICT target refuses the plaintext at the mTLS layer', () => {
    const strict = { ...permissive, spec: { mtls: { mode: 'STRICT' } } };
    const objects = [...world.filter((o) => o !== permissive && o !== deny), strict, dr('ns2', 'b', { host: 'b.ns1.svc.cluster.local', trafficPolicy: { tls: { mode: 'DISABLE' } } })];
    const r = AccessMatrix.fromManifests(objects).check({ from: 'ns2/a', to: 'ns1/b', port: 8080 });
    expect(r).toMatchObject({ allowed: false, layer: 'mtls' });
  });

  const parsed = (objects: any[]) => parseDestinationRules(objects);
  const workload = (namespace: string, name: string, services: string[] = []): Workload =>
    ({ ...testWorkload(namespace, name), ports: [{ port: 8080, protocol: 'http', services }] });
  const a2 = workload('ns2', 'a');
  const b = workload('ns1', 'b', ['ns1/b:80']);

  test.each<[string, any[], string | undefined]>([
    ['none', [], undefined],
    ['a short host is completed with the rule\'s namespace', [dr('ns1', 'x', { host: 'b', trafficPolicy: { tls: { mode: 'DISABLE' } } })], 'DISABLE'],
    ['the most specific host wins', [
      dr('ns1', 'wide', { host: '*.ns1.svc.cluster.local', trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } }),
      dr('ns1', 'exact', { host: 'b.ns1.svc.cluster.local', trafficPolicy: { tls: { mode: 'DISABLE' } } }),
    ], 'DISABLE'],
    ['a port-level setting for the Service port overrides', [
      dr('ns1', 'x', { host: 'b', trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' }, portLevelSettings: [{ port: { number: 80 }, tls: { mode: 'DISABLE' } }] } }),
    ], 'DISABLE'],
    ['a rule not exported to the caller does not apply', [dr('ns1', 'x', { host: 'b', exportTo: ['.'], trafficPolicy: { tls: { mode: 'DISABLE' } } })], undefined],
    ['the root namespace comes last', [
      dr('istio-system', 'mesh', { host: '*', trafficPolicy: { tls: { mode: 'DISABLE' } } }),
      dr('ns1', 'x', { host: 'b', trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } }),
    ], 'ISTIO_MUTUAL'],
    ['a workloadSelector that does not select the caller', [
      dr('ns2', 'x', { host: 'b.ns1.svc.cluster.local', workloadSelector: { matchLabels: { app: 'other' } }, trafficPolicy: { tls: { mode: 'DISABLE' } } }),
    ], undefined],
  ])('%s', (_name, objects, mode) => {
    expect(clientTlsMode(parsed(objects), a2, b, 8080, 'istio-system')?.mode).toBe(mode);
  });

  test('a port no Service fronts: no DestinationRule applies', () => {
    expect(clientTlsMode(parsed([dr('ns1', 'x', { host: '*', trafficPolicy: { tls: { mode: 'DISABLE' } } })]), a2, workload('ns1', 'b'), 8080, 'istio-system')).toBeUndefined();
  });
});
