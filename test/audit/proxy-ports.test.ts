import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Testing } from 'cdk8s';
import { stringify } from 'yaml';
import { AccessMatrix } from '../../src/audit/access-matrix';
import { AccessDecision, AccessLayer } from '../../src/audit/access-types';
import { capturesInbound, discoverWorkloads } from '../../src/audit/workloads';
import { runAccess } from '../../src/cli/access-command';
import { MeshBaseline, MeshBaselineProps } from '../../src/mesh/mesh-baseline';
import { HardenedNamespace, HardenedNamespaceProps } from '../../src/workload/hardened-namespace';
import { synthValidated } from '../helpers';
import { testWorkload } from './workload-fixture';

/*
 * The ports the proxy serves itself (15020 pilot-agent, 15021 Envoy health, 15090 Envoy stats)
 * are never captured by the sidecar, so the access matrix answers them from NetworkPolicy alone
 * (OPS-3, NETPOL-1, AUTHZ-4). The namespaces and policies come from the library (MeshBaseline
 * with a monitoring namespace, HardenedNamespace); the workloads are plain manifests.
 */

const PROMETHEUS_LABELS = { 'app.kubernetes.io/name': 'prometheus' };
const MONITORING: MeshBaselineProps = { monitoringNamespace: 'monitoring', monitoringPodLabels: PROMETHEUS_LABELS };

function namespaceObject(name: string, labels: { [key: string]: string } = {}): any {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'kubernetes.io/metadata.name': name, ...labels } } };
}

function deploy(namespace: string, name: string, labels: { [key: string]: string }, ports: number[] = []): any {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace },
    spec: {
      template: {
        metadata: { labels },
        spec: { serviceAccountName: name, containers: [{ name: 'c', ports: ports.map((containerPort) => ({ containerPort })) }] },
      },
    },
  };
}

function ap(namespace: string, name: string, spec: any): any {
  return { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name, namespace }, spec };
}

/** The library's mesh and namespace (synthesized and validated), plus workloads: shop/db, and Prometheus, Grafana and an intruder. */
function manifests(baseline: MeshBaselineProps = MONITORING, ns: Partial<HardenedNamespaceProps> = {}, monitoringInMesh = false): any[] {
  const chart = Testing.chart();
  new MeshBaseline(chart, 'mesh', baseline);
  new HardenedNamespace(chart, 'shop', { name: 'shop', ...ns });
  return [
    ...synthValidated(chart),
    namespaceObject('monitoring', monitoringInMesh ? { 'istio-injection': 'enabled' } : {}),
    namespaceObject('other'),
    deploy('shop', 'db', { app: 'db' }, [5432]),
    deploy('monitoring', 'prometheus', PROMETHEUS_LABELS),
    deploy('monitoring', 'grafana', { 'app.kubernetes.io/name': 'grafana' }),
    deploy('other', 'intruder', PROMETHEUS_LABELS),
  ];
}

describe('the proxy\'s own ports bypass the sidecar: only NetworkPolicy decides', () => {
  test('Prometheus -> pod:15090 is allowed by the scrape NetworkPolicy, although the pod\'s AuthorizationPolicies allow nothing', () => {
    const m = AccessMatrix.fromManifests(manifests());
    const r = m.check({ from: 'monitoring/prometheus', to: 'shop/db', port: 15090 });
    expect(r).toMatchObject({
      allowed: true,
      decision: AccessDecision.ALLOWED,
      layer: AccessLayer.NETWORK,
      decidedBy: 'NetworkPolicy/shop/allow-metrics-scraping',
      missingGrants: [],
      conditions: ['any request (mesh policy not enforced)'],
    });
    expect(r.reason).toBe('target ingress: NetworkPolicy/shop/allow-metrics-scraping admits monitoring/prometheus -> shop/db:15090; '
      + 'AuthorizationPolicy cannot govern port 15090 (Envoy\'s Prometheus stats port (/stats/prometheus)) because the sidecar does not capture it: '
      + 'only NetworkPolicy decides');
    // Every layer, in traffic order: the mTLS and authorization layers say why they do not apply.
    expect(r.layers.map((l) => [l.layer, l.decision, l.decidedBy])).toEqual([
      ['network', 'allowed', ''],
      ['network', 'allowed', 'NetworkPolicy/shop/allow-metrics-scraping'],
      ['mtls', 'allowed', ''],
      ['authorization', 'allowed', ''],
    ]);
    expect(r.layers[2].reason).toMatch(/^port 15090 of shop\/db is Envoy's Prometheus stats port .*never captured by the sidecar .*: no PeerAuthentication applies, plaintext is accepted$/);
    expect(r.layers[3].reason).toMatch(/^AuthorizationPolicy cannot govern port 15090 .* only NetworkPolicy decides$/);
    expect(r.layers[3].policies).toEqual([]);
  });

  test('15020 names pilot-agent\'s role; on the app port of the same pod mesh policy applies (STRICT refuses the plaintext scraper)', () => {
    const m = AccessMatrix.fromManifests(manifests());
    const merged = m.check({ from: 'monitoring/prometheus', to: 'shop/db', port: 15020 });
    expect(merged).toMatchObject({ decision: AccessDecision.ALLOWED, decidedBy: 'NetworkPolicy/shop/allow-metrics-scraping' });
    expect(merged.reason).toContain('AuthorizationPolicy cannot govern port 15020 (pilot-agent\'s status port (merged Prometheus metrics at /stats/prometheus');
    const app = m.check({ from: 'monitoring/prometheus', to: 'shop/db', port: 5432 });
    expect(app).toMatchObject({ decision: AccessDecision.DENIED, layer: AccessLayer.MTLS, decidedBy: 'PeerAuthentication/shop/default' });
    expect(app.reason).not.toContain('only NetworkPolicy decides');
  });

  test('a pod outside the monitoring namespace, or not Prometheus, is denied by NetworkPolicy, with the reason and the grant', () => {
    const m = AccessMatrix.fromManifests(manifests());
    for (const from of ['other/intruder', 'monitoring/grafana']) {
      const r = m.check({ from, to: 'shop/db', port: 15090 });
      expect(r).toMatchObject({ allowed: false, decision: AccessDecision.DENIED, layer: AccessLayer.NETWORK, decidedBy: 'NetworkPolicy/shop/default-deny' });
      expect(r.reason).toMatch(new RegExp(`^nothing grants ${from.replace('/', '\\/')} -> shop\\/db:15090 at target ingress: no Ingress rule of shop\\/db's NetworkPolicies admits `));
      expect(r.reason).toContain('; AuthorizationPolicy cannot govern port 15090 (Envoy\'s Prometheus stats port (/stats/prometheus)) because the sidecar does not capture it: only NetworkPolicy decides');
      expect(r.missingGrants).toEqual([`an Ingress rule in a NetworkPolicy selecting shop/db (namespace shop) that admits the pods of ${from} on TCP port 15090`]);
      // Authorization does not take part: the refusal is L4's alone.
      expect(r.layers.filter((l) => l.decision === AccessDecision.DENIED).map((l) => l.layer)).toEqual(['network']);
    }
  });

  test('15021 (health) is not opened to the scraper, and says what it is', () => {
    const r = AccessMatrix.fromManifests(manifests()).check({ from: 'monitoring/prometheus', to: 'shop/db', port: 15021 });
    expect(r).toMatchObject({ decision: AccessDecision.DENIED, layer: AccessLayer.NETWORK });
    expect(r.reason).toContain('AuthorizationPolicy cannot govern port 15021 (Envoy\'s health-check port (/healthz/ready))');
  });

  test('no monitoring namespace: the proxies\' ports are closed to Prometheus too', () => {
    const r = AccessMatrix.fromManifests(manifests({})).check({ from: 'monitoring/prometheus', to: 'shop/db', port: 15090 });
    expect(r).toMatchObject({ decision: AccessDecision.DENIED, layer: AccessLayer.NETWORK, decidedBy: 'NetworkPolicy/shop/default-deny' });
  });

  test('metricsScrapingPorts [15090]: 15020 is refused, 15090 admitted', () => {
    const m = AccessMatrix.fromManifests(manifests(MONITORING, { metricsScrapingPorts: [15090] }));
    expect(m.check({ from: 'monitoring/prometheus', to: 'shop/db', port: 15090 }).decision).toBe(AccessDecision.ALLOWED);
    expect(m.check({ from: 'monitoring/prometheus', to: 'shop/db', port: 15020 }).decision).toBe(AccessDecision.DENIED);
  });

  test('an AuthorizationPolicy on these ports looks protective but governs nothing: a DENY-all does not refuse the scrape', () => {
    const deny = ap('shop', 'deny-metrics', { selector: { matchLabels: { app: 'db' } }, action: 'DENY', rules: [{ to: [{ operation: { ports: ['15020', '15090'] } }] }] });
    const m = AccessMatrix.fromManifests([...manifests(), deny]);
    expect(m.check({ from: 'monitoring/prometheus', to: 'shop/db', port: 15090 })).toMatchObject({
      decision: AccessDecision.ALLOWED, decidedBy: 'NetworkPolicy/shop/allow-metrics-scraping',
    });
    expect(m.warnings()).toContain('AuthorizationPolicy/shop/deny-metrics (DENY) names port 15020 (pilot-agent\'s status port (merged Prometheus metrics at '
      + '/stats/prometheus, /healthz/ready, rewritten app probes under /app-health/)), port 15090 (Envoy\'s Prometheus stats port (/stats/prometheus)), '
      + 'which the sidecar never captures: the policy governs nothing there, and only NetworkPolicy decides who reaches it');
    // The library's own output names none of them.
    expect(AccessMatrix.fromManifests(manifests()).warnings().filter((w) => w.includes('never captures'))).toEqual([]);
    // An ALLOW for Prometheus on 15090 does not open it when NetworkPolicy refuses.
    const allow = ap('shop', 'allow-metrics', { rules: [{ from: [{ source: { namespaces: ['other'] } }], to: [{ operation: { ports: ['15090'] } }] }] });
    const allowed = AccessMatrix.fromManifests([...manifests(), allow]);
    expect(allowed.check({ from: 'other/intruder', to: 'shop/db', port: 15090 }).decision).toBe(AccessDecision.DENIED);
    expect(allowed.warnings()).toContainEqual(expect.stringMatching(/^AuthorizationPolicy\/shop\/allow-metrics \(ALLOW\) names port 15090 .* governs nothing there/));
    // A destination.port condition counts; notPorts (excluding them) and other ports do not.
    const notes = (spec: any) => AccessMatrix.fromManifests([ap('shop', 'p', spec)]).warnings().filter((w) => w.includes('never captures'));
    expect(notes({ rules: [{ when: [{ key: 'destination.port', values: ['15021'] }] }] })).toEqual([expect.stringContaining('names port 15021 (Envoy\'s health-check port')]);
    expect(notes({ action: 'DENY', rules: [{ to: [{ operation: { notPorts: ['15090'] } }] }] })).toEqual([]);
    expect(notes({ rules: [{ to: [{ operation: { ports: ['8080', 'x'] } }] }, 'odd', { to: 'odd', when: 'odd' }] })).toEqual([]);
  });

  test('STRICT mTLS does not refuse the plaintext scraper on these ports (no PeerAuthentication applies)', () => {
    const r = AccessMatrix.fromManifests(manifests()).check({ from: 'monitoring/prometheus', to: 'shop/db', port: 15090 });
    // The HardenedNamespace's STRICT PeerAuthentication would refuse Prometheus (no sidecar) on any captured port.
    expect(r.layers[2]).toMatchObject({ layer: AccessLayer.MTLS, decision: AccessDecision.ALLOWED, decidedBy: '' });
  });

  test('Prometheus -> the app port is still governed by AuthorizationPolicy (a scraper in the mesh, L4 opened for the app port)', () => {
    const l4 = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'app-metrics', namespace: 'shop' },
      spec: {
        podSelector: { matchLabels: { app: 'db' } },
        policyTypes: ['Ingress'],
        ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }], ports: [{ protocol: 'TCP', port: 5432 }] }],
      },
    };
    const objects = [...manifests(MONITORING, {}, true), l4];
    const denied = AccessMatrix.fromManifests(objects).check({ from: 'monitoring/prometheus', to: 'shop/db', port: 5432 });
    expect(denied).toMatchObject({ decision: AccessDecision.DENIED, layer: AccessLayer.AUTHORIZATION, decidedBy: 'AuthorizationPolicy/shop/allow-nothing' });
    expect(denied.layers.slice(0, 3).every((l) => l.decision === AccessDecision.ALLOWED)).toBe(true);
    const grant = ap('shop', 'db-metrics', {
      selector: { matchLabels: { app: 'db' } },
      rules: [{ from: [{ source: { principals: ['cluster.local/ns/monitoring/sa/prometheus'] } }], to: [{ operation: { ports: ['5432'] } }] }],
    });
    const allowed = AccessMatrix.fromManifests([...objects, grant]).check({ from: 'monitoring/prometheus', to: 'shop/db', port: 5432 });
    expect(allowed).toMatchObject({ decision: AccessDecision.ALLOWED, layer: AccessLayer.AUTHORIZATION, decidedBy: 'AuthorizationPolicy/shop/db-metrics' });
    // And the proxy's port of the same pod, from the same (now in-mesh) Prometheus: still NetworkPolicy alone.
    expect(AccessMatrix.fromManifests(objects).check({ from: 'monitoring/prometheus', to: 'shop/db', port: 15090 }))
      .toMatchObject({ decision: AccessDecision.ALLOWED, decidedBy: 'NetworkPolicy/shop/allow-metrics-scraping' });
  });

  test('a pod without a sidecar serves no proxy port: the existing "no sidecar" answer stands', () => {
    const plain = deploy('shop', 'batch', { 'app': 'batch', 'sidecar.istio.io/inject': 'false' }, [8080]);
    const r = AccessMatrix.fromManifests([...manifests(), plain]).check({ from: 'monitoring/prometheus', to: 'shop/batch', port: 15090 });
    expect(r.layers[3].reason).toMatch(/^shop\/batch has no sidecar/);
    expect(r.reason).not.toContain('only NetworkPolicy decides');
  });

  test('edges() lists no proxy port, and a workload without ports does not take them from the scrape policy', () => {
    const portless = deploy('shop', 'worker', { app: 'worker' });
    const m = AccessMatrix.fromManifests([...manifests(), portless]);
    expect(m.edges().filter((e) => [15020, 15021, 15090].includes(e.port))).toEqual([]);
    expect(m.workloads().find((w) => w.id === 'shop/worker')!.ports).toEqual([]);
    // Allow-nothing is all that applies to it: it only calls, so its unknown ports are not worth a warning.
    expect(m.warnings().filter((w) => w.startsWith('shop/worker'))).toEqual([]);
    expect(m._allPairsEdges()).toEqual(m.edges());
  });

  test('capturesInbound: never the proxy\'s own ports, whatever the pod\'s annotations say', () => {
    const w = testWorkload('shop', 'db');
    for (const port of [15020, 15021, 15090]) expect(capturesInbound(w, port)).toBe(false);
    expect(capturesInbound(w, 5432)).toBe(true);
    expect(capturesInbound({ ...w, includeInboundPorts: [15020, 15090] }, 15090)).toBe(false);
    // Discovered from an AuthorizationPolicy naming 15020 only: not a port of the workload.
    const found = discoverWorkloads([deploy('shop', 'worker', { app: 'worker' }), ap('shop', 'm', { rules: [{ to: [{ operation: { ports: ['15020', '8080'] } }] }] })],
      { trustDomain: 'cluster.local', rootNamespace: 'istio-system', declared: [], inferGateways: false });
    expect(found.workloads[0].ports.map((p) => p.port)).toEqual([8080]);
  });
});

describe('the CLI and AccessMatrix agree on the proxy\'s ports', () => {
  let dir: string;
  let file: string;
  let objects: any[];

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'proxy-ports-'));
    objects = manifests();
    file = path.join(dir, 'mesh.k8s.yaml');
    fs.writeFileSync(file, objects.map((o) => stringify(o)).join('---\n'));
  });

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test.each([
    ['monitoring/prometheus', 15090, 0],
    ['monitoring/prometheus', 15020, 0],
    ['other/intruder', 15090, 1],
    ['monitoring/prometheus', 5432, 1],
  ])('%s -> shop/db:%d', (from, port, exit) => {
    const out: string[] = [];
    const io = { stdout: { write: (s: string) => out.push(s) }, stderr: { write: () => undefined }, env: {} };
    const code = runAccess([file], { from, to: 'shop/db', port, format: 'json', workload: [], inferGateways: true }, io as any);
    expect(code).toBe(exit);
    const expected = AccessMatrix.fromManifests(objects).check({ from, to: 'shop/db', port });
    expect(JSON.parse(out.join(''))).toEqual(JSON.parse(JSON.stringify(expected)));
  });
});
