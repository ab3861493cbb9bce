import { testWorkload } from './workload-fixture';
import { AccessMatrix } from '../../src/audit/access-matrix';
import { effectiveMtls, parsePeerAuthentications, peerAuthnLevels } from '../../src/audit/access-mtls';
import { AccessDecision, AccessLayer } from '../../src/audit/access-types';
import { Workload } from '../../src/audit/workloads';

const wl = (namespace: string, name: string, labels: { [k: string]: string } = { app: name }) => testWorkload(namespace, name, labels);

function pa(namespace: string, name: string, spec: any, creationTimestamp?: string): any {
  return { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name, namespace, ...(creationTimestamp ? { creationTimestamp } : {}) }, spec };
}

const finance = wl('foo', 'finance');

function mode(objects: any[], w: Workload, port = 8080) {
  return effectiveMtls(parsePeerAuthentications(objects), w, port, 'istio-system');
}

describe('PeerAuthentication (MTLS-1): the mTLS mode at a workload port', () => {
  test('no policy: Istio defaults to PERMISSIVE', () => {
    expect(mode([], finance)).toEqual({ mode: 'PERMISSIVE', decidedBy: '', reason: 'no PeerAuthentication sets a mode: Istio defaults to PERMISSIVE' });
  });

  test('mesh -> namespace -> workload precedence (Istio reference examples)', () => {
    const mesh = pa('istio-system', 'default', { mtls: { mode: 'STRICT' } });
    const nsPermissive = pa('foo', 'default', { mtls: { mode: 'PERMISSIVE' } });
    const financeStrict = pa('foo', 'finance', { selector: { matchLabels: { app: 'finance' } }, mtls: { mode: 'STRICT' } });
    expect(mode([mesh], finance)).toMatchObject({ mode: 'STRICT', decidedBy: 'PeerAuthentication/istio-system/default' });
    expect(mode([mesh, nsPermissive], finance)).toMatchObject({ mode: 'PERMISSIVE', decidedBy: 'PeerAuthentication/foo/default' });
    expect(mode([mesh, nsPermissive, financeStrict], finance)).toMatchObject({ mode: 'STRICT', decidedBy: 'PeerAuthentication/foo/finance' });
    expect(mode([mesh, nsPermissive, financeStrict], wl('foo', 'other'))).toMatchObject({ mode: 'PERMISSIVE', decidedBy: 'PeerAuthentication/foo/default' });
  });

  test('portLevelMtls: STRICT for the workload but plaintext on 8080; UNSET inherits', () => {
    const strictBut8080 = pa('foo', 'default', { selector: { matchLabels: { app: 'finance' } }, mtls: { mode: 'STRICT' }, portLevelMtls: { 8080: { mode: 'DISABLE' } } });
    expect(mode([strictBut8080], finance, 8080)).toMatchObject({ mode: 'DISABLE', reason: 'portLevelMtls 8080 of PeerAuthentication/foo/default is DISABLE' });
    expect(mode([strictBut8080], finance, 9090)).toMatchObject({ mode: 'STRICT' });
    const inherit = pa('foo', 'finance', { selector: { matchLabels: { app: 'finance' } }, mtls: { mode: 'UNSET' }, portLevelMtls: { 8080: { mode: 'PERMISSIVE' } } });
    const ns = pa('foo', 'default', { mtls: { mode: 'STRICT' } });
    expect(mode([inherit, ns], finance, 8080)).toMatchObject({ mode: 'PERMISSIVE', decidedBy: 'PeerAuthentication/foo/finance' });
    expect(mode([inherit, ns], finance, 9090)).toMatchObject({ mode: 'STRICT', decidedBy: 'PeerAuthentication/foo/default' });
    // A namespace-level UNSET inherits from the mesh.
    expect(mode([pa('foo', 'default', { mtls: { mode: 'UNSET' } }), pa('istio-system', 'default', { mtls: { mode: 'STRICT' } })], finance).decidedBy).toBe('PeerAuthentication/istio-system/default');
  });

  test('policies with a selector in the root namespace are ignored', () => {
    expect(mode([pa('istio-system', 'sel', { selector: { matchLabels: { app: 'finance' } }, mtls: { mode: 'STRICT' } })], finance).mode).toBe('PERMISSIVE');
  });

  test('several policies at one level: the oldest is assumed, with a warning', () => {
    const older = pa('foo', 'b', { mtls: { mode: 'STRICT' } }, '2024-01-01T00:00:00Z');
    const newer = pa('foo', 'a', { mtls: { mode: 'PERMISSIVE' } }, '2025-01-01T00:00:00Z');
    expect(mode([newer, older], finance).decidedBy).toBe('PeerAuthentication/foo/b');
    const { warnings } = peerAuthnLevels(parsePeerAuthentications([newer, older]), finance, 'istio-system');
    expect(warnings).toEqual(['2 namespace-level PeerAuthentications apply to foo/finance (PeerAuthentication/foo/b, PeerAuthentication/foo/a); Istio uses the oldest, PeerAuthentication/foo/b is assumed']);
  });
});

describe('mTLS in the access matrix: plaintext callers', () => {
  const ns = (name: string, inject: boolean) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: inject ? { 'istio-injection': 'enabled' } : {} } });
  const deploy = (namespace: string, name: string) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace },
    spec: { template: { metadata: { labels: { app: name } }, spec: { serviceAccountName: name, containers: [{ name: 'c', ports: [{ containerPort: 8080 }] }] } } },
  });
  const base = [ns('mesh', true), ns('legacy', false), deploy('mesh', 'api'), deploy('mesh', 'web'), deploy('legacy', 'old')];

  test('a caller without a sidecar is refused by STRICT, named by the PeerAuthentication', () => {
    const m = AccessMatrix.fromManifests([...base, pa('istio-system', 'default', { mtls: { mode: 'STRICT' } })]);
    expect(m.check({ from: 'legacy/old', to: 'mesh/api', port: 8080 })).toMatchObject({
      allowed: false,
      decision: AccessDecision.DENIED,
      layer: AccessLayer.MTLS,
      decidedBy: 'PeerAuthentication/istio-system/default',
      reason: expect.stringContaining('legacy/old has no sidecar (namespace legacy is not labelled for injection)'),
    });
    expect(m.check({ from: 'mesh/web', to: 'mesh/api', port: 8080 }).allowed).toBe(true);
    // The legacy workload has no sidecar: nothing is enforced on it, plaintext is accepted.
    const toLegacy = m.edges().find((e) => e.from === 'mesh/web' && e.to === 'legacy/old')!;
    expect([toLegacy.mtlsMode, toLegacy.plaintextAccepted, toLegacy.conditions]).toEqual(['NONE', true, ['any request (mesh policy not enforced)']]);
    expect(m.edges().filter((e) => e.to === 'mesh/api').map((e) => [e.from, e.mtlsMode, e.plaintextAccepted])).toEqual([['mesh/web', 'STRICT', false]]);
  });

  test('PERMISSIVE admits plaintext, but the request has no identity: principal rules do not match it', () => {
    const allowWeb = { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'api', namespace: 'mesh' }, spec: { selector: { matchLabels: { app: 'api' } }, rules: [{ from: [{ source: { principals: ['cluster.local/ns/mesh/sa/web', 'cluster.local/ns/legacy/sa/old'] } }] }] } };
    const m = AccessMatrix.fromManifests([...base, allowWeb]);
    const plain = m.check({ from: 'legacy/old', to: 'mesh/api', port: 8080 });
    expect(plain).toMatchObject({ allowed: false, layer: AccessLayer.AUTHORIZATION, decidedBy: 'AuthorizationPolicy/mesh/api' });
    expect(plain.layers[2]).toMatchObject({ layer: AccessLayer.MTLS, allowed: true, reason: expect.stringContaining('plaintext accepted (PERMISSIVE') });
    expect(m.check({ from: 'mesh/web', to: 'mesh/api', port: 8080 }).allowed).toBe(true);
    expect(m.edges().find((e) => e.to === 'mesh/api')).toMatchObject({ mtlsMode: 'PERMISSIVE', mtlsPolicy: '', plaintextAccepted: true });
  });

  test('mTLS DISABLE at the target: plaintext, so principal rules do not match even meshed callers', () => {
    const disable = pa('mesh', 'default', { mtls: { mode: 'DISABLE' } });
    const allowWeb = { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'api', namespace: 'mesh' }, spec: { selector: { matchLabels: { app: 'api' } }, rules: [{ from: [{ source: { principals: ['cluster.local/ns/mesh/sa/web'] } }] }] } };
    const r = AccessMatrix.fromManifests([...base, disable, allowWeb]).check({ from: 'mesh/web', to: 'mesh/api', port: 8080 });
    expect(r).toMatchObject({ allowed: false, decidedBy: 'AuthorizationPolicy/mesh/api' });
    expect(r.layers[2].reason).toContain('mTLS disabled');
  });

  test('ports excluded from sidecars bypass mTLS and authorization', () => {
    const annotated = (namespace: string, name: string, annotations: any) => {
      const d: any = deploy(namespace, name);
      d.spec.template.metadata.annotations = annotations;
      return d;
    };
    const m = AccessMatrix.fromManifests([
      ns('mesh', true), pa('istio-system', 'default', { mtls: { mode: 'STRICT' } }),
      { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'allow-nothing', namespace: 'istio-system' }, spec: {} },
      annotated('mesh', 'db', { 'traffic.sidecar.istio.io/excludeInboundPorts': '8080' }),
      annotated('mesh', 'batch', { 'traffic.sidecar.istio.io/excludeOutboundPorts': '8080' }),
      annotated('mesh', 'proxyless', { 'traffic.sidecar.istio.io/excludeOutboundIPRanges': '10.0.0.0/8' }),
      deploy('mesh', 'api'),
    ]);
    expect(m.check({ from: 'mesh/api', to: 'mesh/db', port: 8080 })).toMatchObject({ allowed: true, reason: expect.stringContaining('bypasses its sidecar') });
    expect(m.check({ from: 'mesh/batch', to: 'mesh/api', port: 8080 })).toMatchObject({ allowed: false, layer: AccessLayer.MTLS, reason: expect.stringContaining("port 8080 is excluded from mesh/batch's sidecar") });
    expect(m.check({ from: 'mesh/proxyless', to: 'mesh/api', port: 8080 })).toMatchObject({ allowed: false, layer: AccessLayer.AUTHORIZATION });
    expect(m.check({ from: 'mesh/proxyless', to: 'mesh/api', port: 8080 }).layers[2]).toMatchObject({ allowed: false, decision: AccessDecision.UNKNOWN });
  });
});
