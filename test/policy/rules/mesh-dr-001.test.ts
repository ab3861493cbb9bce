import { admits } from '../../../src/policy/admission-cel';
import { RuleObject } from '../../../src/policy/rule';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import { MESH_DR_001 as rule, hostCovers, isClusterLocalHost, isInMeshHost } from '../../../src/policy/rules/mesh-dr-001';

function dr(host: unknown, spec: object = {}): RuleObject {
  return { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'd', namespace: 'shop' }, spec: { host, ...spec } };
}
function se(hosts: string[], location?: string): RuleObject {
  return { apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name: 'e', namespace: 'shop' }, spec: { hosts, ...(location ? { location } : {}), resolution: 'DNS' } };
}
const tls = (mode?: string) => ({ tls: mode === undefined ? {} : { mode } });

const EXTERNALS = [se(['api.example.com', '*.googleapis.com'], 'MESH_EXTERNAL'), se(['legacy.corp.example'])];
const ctx = ruleContext(EXTERNALS);

/** In-mesh by name: admission sees the same thing as check(). */
const GOOD: [string, RuleObject][] = [
  ['no trafficPolicy', dr('reviews')],
  ['no tls (auto mTLS)', dr('reviews.shop.svc.cluster.local', { trafficPolicy: { connectionPool: { tcp: { maxConnections: 10 } } } })],
  ['ISTIO_MUTUAL everywhere', dr('reviews', {
    trafficPolicy: { ...tls('ISTIO_MUTUAL'), portLevelSettings: [{ port: { number: 9080 }, ...tls('ISTIO_MUTUAL') }, { port: { number: 9081 } }] },
    subsets: [{ name: 'v1', labels: { version: 'v1' }, trafficPolicy: tls('ISTIO_MUTUAL') }, { name: 'v2', labels: { version: 'v2' } }],
  })],
  ['wildcard cluster-local host', dr('*.shop.svc.cluster.local', { trafficPolicy: tls('ISTIO_MUTUAL') })],
  ['no host', { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'd' }, spec: { trafficPolicy: tls('DISABLE') } }],
  ['no spec', { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'd' } }],
  // Declared external: check() sees the ServiceEntry, admission sees a FQDN that is not cluster-local.
  ['SIMPLE to a MESH_EXTERNAL host', dr('api.example.com', { trafficPolicy: tls('SIMPLE') })],
  ['MUTUAL to a wildcard-declared host', dr('storage.googleapis.com', { trafficPolicy: tls('MUTUAL') })],
  ['DISABLE to a host whose ServiceEntry has no location (MESH_EXTERNAL by default)', dr('legacy.corp.example', { trafficPolicy: tls('DISABLE') })],
];
const BAD: [string, RuleObject][] = [
  ['DISABLE, short name', dr('reviews', { trafficPolicy: tls('DISABLE') })],
  ['SIMPLE, cluster-local', dr('reviews.shop.svc.cluster.local', { trafficPolicy: tls('SIMPLE') })],
  ['MUTUAL, cluster-local', dr('ratings.shop.svc.cluster.local', { trafficPolicy: tls('MUTUAL') })],
  ['tls without mode (DISABLE)', dr('reviews', { trafficPolicy: tls() })],
  ['port-level DISABLE', dr('reviews', { trafficPolicy: { portLevelSettings: [{ port: { number: 9080 }, ...tls('DISABLE') }] } })],
  ['subset DISABLE', dr('reviews', { subsets: [{ name: 'v1', trafficPolicy: tls('DISABLE') }] })],
  ['subset port-level SIMPLE', dr('reviews', { subsets: [{ name: 'v1', trafficPolicy: { portLevelSettings: [{ port: { number: 1 }, ...tls('SIMPLE') }] } }] })],
  ['wildcard * host', dr('*', { trafficPolicy: tls('DISABLE') })],
  ['upper-case cluster-local host', dr('Reviews.Shop.SVC.cluster.local', { trafficPolicy: tls('DISABLE') })],
  ['cluster-local host a ServiceEntry claims is external', dr('reviews.shop.svc.cluster.local', { trafficPolicy: tls('DISABLE') })],
];

describe('MESH-DR-001 DestinationRules for in-mesh hosts use ISTIO_MUTUAL (MTLS-1)', () => {
  test('host helpers', () => {
    expect(isClusterLocalHost('reviews')).toBe(true);
    expect(isClusterLocalHost('*')).toBe(true);
    expect(isClusterLocalHost('a.b.svc.cluster.local')).toBe(true);
    expect(isClusterLocalHost('api.example.com')).toBe(false);
    expect(hostCovers('*.example.com', 'api.example.com')).toBe(true);
    expect(hostCovers('*.example.com', '*.eu.example.com')).toBe(true);
    expect(hostCovers('*.example.com', 'example.com')).toBe(false);
    expect(hostCovers('*.example.com', 'evilexample.com')).toBe(false);
    expect(hostCovers('API.example.com', 'api.EXAMPLE.com')).toBe(true);
    expect(hostCovers('*', 'api.example.com')).toBe(false);
  });

  test('in-mesh hosts: cluster-local names (whatever a ServiceEntry says) and MESH_INTERNAL ServiceEntry hosts; public names are not', () => {
    const c = ruleContext([se(['int.example.com'], 'MESH_INTERNAL'), se(['ext.example.com']), se(['a.shop.svc.cluster.local', '*'], 'MESH_EXTERNAL')]);
    expect(isInMeshHost('ext.example.com', c)).toBe(false);
    expect(isInMeshHost('int.example.com', c)).toBe(true);
    expect(isInMeshHost('a.shop.svc.cluster.local', c)).toBe(true);
    expect(isInMeshHost('anything.example.org', c)).toBe(false);
  });

  test.each(GOOD)('passes: %s', (_name, object) => {
    expect(rule.check(object, ctx)).toEqual([]);
  });

  test.each(BAD)('fails: %s', (_name, object) => {
    const c = ruleContext([...EXTERNALS, se(['reviews.shop.svc.cluster.local'], 'MESH_EXTERNAL')]);
    expect(rule.check(object, c)).toHaveLength(1);
  });

  test('paths, ports and messages at every level', () => {
    const object = dr('reviews', {
      trafficPolicy: { ...tls('DISABLE'), portLevelSettings: [{ port: { number: 9080 }, ...tls('ISTIO_MUTUAL') }, { port: { number: 9443 }, ...tls('SIMPLE') }] },
      subsets: [{ name: 'v1' }, { name: 'v2', trafficPolicy: { ...tls(), portLevelSettings: [{ port: { number: 7000 }, ...tls('MUTUAL') }] } }],
    });
    expect(rule.check(object, ctx)).toEqual([
      { path: 'spec.trafficPolicy.tls.mode', message: expect.stringMatching(/^tls.mode is "DISABLE" for the in-mesh host "reviews": /) },
      { path: 'spec.trafficPolicy.portLevelSettings[1].tls.mode', port: 9443, message: expect.stringContaining('"SIMPLE" for the in-mesh host "reviews" on port 9443') },
      { path: 'spec.subsets[1].trafficPolicy.tls.mode', message: expect.stringContaining('unset (DISABLE)') },
      { path: 'spec.subsets[1].trafficPolicy.portLevelSettings[0].tls.mode', port: 7000, message: expect.stringContaining('"MUTUAL"') },
    ]);
  });

  test('a public hostname is not called in-mesh, declared or not (no false alarm); a MESH_INTERNAL one is', () => {
    expect(rule.check(dr('api.stripe.com', { trafficPolicy: tls('SIMPLE') }), ctx)).toEqual([]);
    expect(rule.check(dr('db.corp.internal', { trafficPolicy: tls('SIMPLE') }), ruleContext([se(['db.corp.internal'])]))).toEqual([]);
    expect(rule.check(dr('db.corp.internal', { trafficPolicy: tls('SIMPLE') }), ruleContext([se(['db.corp.internal'], 'MESH_INTERNAL')]))).toHaveLength(1);
  });

  test.each([
    ['host of wrong type', dr(42, { trafficPolicy: tls('DISABLE') })],
    ['null trafficPolicy', dr('reviews', { trafficPolicy: null, subsets: null })],
    ['wrong types inside', dr('reviews', { trafficPolicy: { tls: 'DISABLE', portLevelSettings: [null, { tls: null }, { port: 'x', tls: { mode: 'DISABLE' } }] }, subsets: [null, 'x'] })],
  ])('odd shape does not throw: %s', (_name, object) => {
    expect(() => rule.check(object, ctx)).not.toThrow();
  });

  test('other kinds are ignored', () => {
    expect(rule.check(se(['reviews']), ctx)).toEqual([]);
  });

  /*
   * The admission form cannot see ServiceEntries. It treats a host as in-mesh when its name says so
   * (no dot, or ending in .svc.cluster.local) and admits every other host. On all fixtures above it
   * agrees with check(); it differs only for the host of a MESH_INTERNAL ServiceEntry (a VM in the
   * mesh): check() (synth, audit) refuses a non-ISTIO_MUTUAL TLS mode for it, admission lets it in.
   */
  test.each([...GOOD, ...BAD])('check() and admission CEL agree: %s', (_name, object) => {
    const c = ruleContext([...EXTERNALS, se(['reviews.shop.svc.cluster.local'], 'MESH_EXTERNAL')]);
    expect(admits(rule.admission!, object)).toBe(rule.check(object, c).length === 0);
  });

  test('documented difference: a MESH_INTERNAL ServiceEntry host is refused by check() but admitted', () => {
    const object = dr('vm.corp.internal', { trafficPolicy: tls('DISABLE') });
    expect(rule.check(object, ruleContext([se(['vm.corp.internal'], 'MESH_INTERNAL')]))).toHaveLength(1);
    expect(admits(rule.admission!, object)).toBe(true);
  });
});
