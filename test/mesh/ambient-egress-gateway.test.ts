import { Chart, Testing } from 'cdk8s';
import * as fc from 'fast-check';
import { AccessMatrix } from '../../src/audit/access-matrix';
import { AmbientEgressGateway, AmbientEgressGatewayProps } from '../../src/mesh/ambient-egress-gateway';
import { AppProtocol } from '../../src/mesh/app-protocol';
import { DataPlane, KUBELET_PROBE_SOURCE_CIDR } from '../../src/mesh/data-plane';
import { EgressGateway } from '../../src/mesh/egress-gateway';
import { ExternalHost } from '../../src/mesh/external-host';
import { MeshBaseline } from '../../src/mesh/mesh-baseline';
import { Principal } from '../../src/mesh/principal';
import { PolicyEnforcement } from '../../src/policy/policy-enforcement';
import { HardenedNamespace } from '../../src/workload/hardened-namespace';
import { SecureJob } from '../../src/workload/secure-job';
import { SecureService } from '../../src/workload/secure-service';
import { findObject, ofKind, synthValidated } from '../helpers';

const IMAGE = 'gcr.io/acme/app@sha256:' + 'a'.repeat(64);
const HTTP = [{ name: 'http', port: 9080, protocol: AppProtocol.HTTP }];
const BOOKS = 'books.example.com';
const API = 'api.example.com';
const EG_NS = 'istio-egress';
const HBONE = [{ port: 15008, protocol: 'TCP' }];
const pods = (ns: string, labels: object) => ({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } }, podSelector: { matchLabels: labels } });
const WAYPOINT_PODS = pods(EG_NS, { 'gateway.networking.k8s.io/gateway-name': 'waypoint' });
const ANYWHERE = [{ ipBlock: { cidr: '0.0.0.0/0' } }, { ipBlock: { cidr: '::/0' } }];

/** Bookinfo-like ambient world: shop (details, reviews), payments (ledger); the egress namespace istio-egress. */
function world(props: Partial<AmbientEgressGatewayProps> = {}) {
  const app = Testing.app();
  const chart = new Chart(app, 'test');
  new MeshBaseline(chart, 'mesh', { ambient: true });
  const egressNs = new HardenedNamespace(chart, 'egress-ns', { name: EG_NS, dataPlane: DataPlane.AMBIENT });
  const shop = new HardenedNamespace(chart, 'shop', { name: 'shop', dataPlane: DataPlane.AMBIENT });
  const payments = new HardenedNamespace(chart, 'payments', { name: 'payments', dataPlane: DataPlane.AMBIENT });
  const svc = (id: string, ns: HardenedNamespace = shop) => new SecureService(chart, id, { namespace: ns, image: IMAGE, ports: HTTP });
  const details = svc('details');
  const reviews = svc('reviews');
  const ledger = svc('ledger', payments);
  const egress = new AmbientEgressGateway(chart, 'egress', { namespace: egressNs, ...props });
  return { app, chart, egressNs, shop, payments, details, reviews, ledger, egress, svc };
}

/** Synthesizes, runs the validation harness, and asserts that the whole rule pack found nothing. */
function synthChecked(w: { app: any; chart: Chart }): any[] {
  const objects = synthValidated(w.chart);
  expect(PolicyEnforcement.of(w.app).report.findings.map((f) => `${f.ruleId} ${f.object} ${f.path}: ${f.message}`)).toEqual([]);
  return objects;
}

const books = () => ExternalHost.httpsOriginated(BOOKS, { caCredentialName: 'books-ca' });
const api = () => ExternalHost.https(API);
const hostPolicy = (objects: any[], slug: string) => findObject(objects, 'AuthorizationPolicy', `egress-${slug}`, EG_NS);

describe('AmbientEgressGateway (EGRESS-1, AUTHZ-2, AUTHZ-4, MTLS-1)', () => {
  test('snapshot: TLS origination for details, app TLS for reviews and ledger', () => {
    const w = world();
    w.egress.allowExternal(books(), { from: [w.details] });
    w.egress.allowExternal(api(), { from: [w.reviews, w.ledger] });
    const objects = synthChecked(w);
    const ours = objects.filter((o) => (o.metadata.namespace === EG_NS && ['ServiceEntry', 'DestinationRule', 'AuthorizationPolicy', 'Gateway', 'NetworkPolicy'].includes(o.kind)
      && !['allow-nothing', 'default-deny', 'allow-dns', 'allow-kubelet-probes'].includes(o.metadata.name)) || /-egress$/.test(o.metadata.name));
    expect(ours).toMatchSnapshot();
  });

  test('closed until granted: nothing is written, no waypoint, no caller can leave the cluster', () => {
    const w = world();
    const objects = synthChecked(w);
    for (const kind of ['ServiceEntry', 'DestinationRule', 'AuthorizationPolicy', 'Gateway']) {
      expect(ofKind(objects, kind, EG_NS).filter((o) => o.metadata.name !== 'allow-nothing')).toEqual([]);
    }
    expect(ofKind(objects, 'NetworkPolicy').filter((p) => /-egress$|^waypoint/.test(p.metadata.name))).toEqual([]);
    expect(w.egress.externalHosts).toEqual([]);
    expect(w.egress.accessGrants).toEqual([]);
  });

  test('the ServiceEntry sends every in-mesh caller to the waypoint and is exported to the egress namespace alone', () => {
    const w = world();
    w.egress.allowExternal(books(), { from: [w.details] });
    w.egress.allowExternal(api(), { from: [w.ledger] });
    const objects = synthChecked(w);
    const entries = ofKind(objects, 'ServiceEntry');
    expect(entries.map((e) => `${e.metadata.namespace}/${e.metadata.name}`)).toEqual([`${EG_NS}/egress-books-example-com`, `${EG_NS}/egress-api-example-com`]);
    for (const e of entries) {
      expect(e.metadata.labels).toEqual({ 'istio.io/use-waypoint': 'waypoint' });
      // ztunnel ignores exportTo (istio/istio#55163): it narrows nothing for ambient callers, and
      // "." keeps every sidecar of the mesh from routing to the host.
      expect(e.spec).toMatchObject({ exportTo: ['.'], location: 'MESH_EXTERNAL', resolution: 'DNS' });
    }
    // TLS origination: the app's HTTP port maps to the host's TLS port. App TLS: the TLS port itself.
    expect(entries[0].spec.ports).toEqual([{ number: 80, name: 'http', protocol: 'HTTP', targetPort: 443 }]);
    expect(entries[1].spec.ports).toEqual([{ number: 443, name: 'tls', protocol: 'TLS' }]);
    expect(findObject(objects, 'Gateway', 'waypoint', EG_NS).spec.gatewayClassName).toBe('istio-waypoint');
  });

  test('only the granted principals at the waypoint, for that host, on its service port; never a wildcard principal', () => {
    const w = world();
    w.egress.allowExternal(books(), { from: [w.details] });
    w.egress.allowExternal(api(), { from: [w.reviews, w.ledger] });
    const objects = synthChecked(w);
    expect(hostPolicy(objects, 'books-example-com').spec).toEqual({
      targetRefs: [{ group: 'networking.istio.io', kind: 'ServiceEntry', name: 'egress-books-example-com' }],
      action: 'ALLOW',
      rules: [{
        from: [{ source: { principals: ['cluster.local/ns/shop/sa/details'] } }],
        to: [{ operation: { hosts: [BOOKS, `${BOOKS}:80`], ports: ['80'] } }],
      }],
    });
    // App TLS: no HTTP to read and no SNI on the waypoint's TCP path; the attachment names the host.
    expect(hostPolicy(objects, 'api-example-com').spec).toEqual({
      targetRefs: [{ group: 'networking.istio.io', kind: 'ServiceEntry', name: 'egress-api-example-com' }],
      action: 'ALLOW',
      rules: [{
        from: [{ source: { principals: ['cluster.local/ns/payments/sa/ledger', 'cluster.local/ns/shop/sa/reviews'] } }],
        to: [{ operation: { ports: ['443'] } }],
      }],
    });
    // Everything else through the waypoint stays denied by the namespace's own default deny.
    expect(findObject(objects, 'AuthorizationPolicy', 'waypoint-allow-nothing', EG_NS).spec)
      .toEqual({ targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'waypoint' }] });
    for (const p of ofKind(objects, 'AuthorizationPolicy')) {
      const principals = JSON.stringify(p.spec.rules ?? []).match(/"principals":\[[^\]]*\]/g) ?? [];
      for (const list of principals) expect(list).not.toMatch(/"\*"|\*"/);
    }
  });

  test('TLS origination: SIMPLE TLS at the waypoint with SNI, the CA Secret and the SANs, visible there only', () => {
    const w = world();
    w.egress.allowExternal(ExternalHost.httpsOriginated(BOOKS, { caCredentialName: 'books-ca', subjectAltNames: [BOOKS, 'cdn.example.net'] }), { from: [w.details] });
    const objects = synthChecked(w);
    expect(findObject(objects, 'DestinationRule', 'originate-tls-books-example-com', EG_NS).spec).toEqual({
      host: BOOKS,
      exportTo: ['.'],
      trafficPolicy: { tls: { mode: 'SIMPLE', credentialName: 'books-ca', sni: BOOKS, subjectAltNames: [BOOKS, 'cdn.example.net'] } },
    });
    // App TLS is never terminated or originated: no DestinationRule.
    const other = world();
    other.egress.allowExternal(api(), { from: [other.details] });
    expect(ofKind(synthChecked(other), 'DestinationRule', EG_NS)).toEqual([]);
  });

  test('callers reach only the waypoint, on HBONE; no caller NetworkPolicy names an external address', () => {
    const w = world();
    w.egress.allowExternal(books(), { from: [w.details] });
    w.egress.allowExternal(api(), { from: [w.details, w.ledger] });
    const objects = synthChecked(w);
    expect(findObject(objects, 'NetworkPolicy', 'details-egress', 'shop').spec.egress).toEqual([{ to: [WAYPOINT_PODS], ports: HBONE }]);
    expect(findObject(objects, 'NetworkPolicy', 'ledger-egress', 'payments').spec.egress).toEqual([{ to: [WAYPOINT_PODS], ports: HBONE }]);
    for (const ns of ['shop', 'payments']) {
      for (const p of ofKind(objects, 'NetworkPolicy', ns)) {
        for (const rule of p.spec.egress ?? []) expect(JSON.stringify(rule)).not.toContain('ipBlock');
        // The only ipBlock of an ambient namespace: kubelet probes, inbound.
        for (const rule of p.spec.ingress ?? []) {
          for (const peer of rule.from ?? []) if (peer.ipBlock) expect(peer.ipBlock).toEqual({ cidr: KUBELET_PROBE_SOURCE_CIDR });
        }
      }
    }
    // reviews was granted nothing: no egress policy, not admitted anywhere.
    expect(ofKind(objects, 'NetworkPolicy', 'shop').map((p) => p.metadata.name)).not.toContain('reviews-egress');
    expect(JSON.stringify(ofKind(objects, 'AuthorizationPolicy', EG_NS))).not.toContain('sa/reviews');
  });

  test('the waypoint admits exactly the callers\' pods on HBONE and reaches the granted external ports anywhere', () => {
    const w = world();
    w.egress.allowExternal(books(), { from: [w.details] });
    w.egress.allowExternal(ExternalHost.https(API, 8443), { from: [w.ledger] });
    const objects = synthChecked(w);
    const policy = findObject(objects, 'NetworkPolicy', 'waypoint', EG_NS).spec;
    expect(policy.podSelector).toEqual({ matchLabels: { 'gateway.networking.k8s.io/gateway-name': 'waypoint' } });
    expect(policy.ingress).toEqual([{ from: [pods('payments', { app: 'ledger' }), pods('shop', { app: 'details' })], ports: HBONE }]);
    expect(policy.egress).toEqual([{ to: ANYWHERE, ports: [{ protocol: 'TCP', port: 443 }, { protocol: 'TCP', port: 8443 }] }]);
    // istiod for its configuration and certificate, in a policy of its own; nothing else.
    expect(findObject(objects, 'NetworkPolicy', 'waypoint-allow-istiod', EG_NS).spec.egress[0].ports).toEqual([{ protocol: 'TCP', port: 15012 }]);
  });

  test('the waypoint is shared with a service of the egress namespace behind it: both are served', () => {
    const w = world();
    const relay = w.svc('relay', w.egressNs);
    relay.allowFrom(w.reviews, { paths: ['/relay'] });
    w.egress.allowExternal(api(), { from: [w.details] });
    const policy = findObject(synthChecked(w), 'NetworkPolicy', 'waypoint', EG_NS).spec;
    expect(policy.ingress[0].from).toEqual([pods('shop', { app: 'details' }), pods('shop', { app: 'reviews' })]);
    expect(policy.egress).toContainEqual({ to: [pods(EG_NS, { app: 'relay' })], ports: HBONE });
    expect(policy.egress).toContainEqual({ to: ANYWHERE, ports: [{ protocol: 'TCP', port: 443 }] });
  });

  describe('grants', () => {
    test('one grant per caller naming the host, its port and every object that carries it', () => {
      const { details, egress } = world();
      const [grant] = egress.allowExternal(books(), { from: [details] });
      expect(grant.toString()).toBe(`cluster.local/ns/shop/sa/details -> ${BOOKS}:443`);
      expect(grant.objects).toEqual([
        `ServiceEntry/${EG_NS}/egress-books-example-com`,
        `DestinationRule/${EG_NS}/originate-tls-books-example-com`,
        `AuthorizationPolicy/${EG_NS}/egress-books-example-com`,
        `Gateway/${EG_NS}/waypoint`,
        `NetworkPolicy/${EG_NS}/waypoint`,
        'NetworkPolicy/shop/details-egress',
      ]);
      const [tls] = egress.allowExternal(api(), { from: [details] });
      expect(tls.objects).not.toContain(`DestinationRule/${EG_NS}/originate-tls-api-example-com`);
    });

    test('idempotent; more callers extend the host', () => {
      const w = world();
      const first = w.egress.allowExternal(books(), { from: [w.details] });
      expect(w.egress.allowExternal(books(), { from: [w.details] })[0]).toBe(first[0]);
      const more = w.egress.allowExternal(books(), { from: [w.ledger, w.reviews, w.details] });
      expect(more[2]).toBe(first[0]);
      expect(w.egress.accessGrants.map((g) => g.callerPrincipal)).toEqual([
        'cluster.local/ns/payments/sa/ledger', 'cluster.local/ns/shop/sa/details', 'cluster.local/ns/shop/sa/reviews',
      ]);
      const objects = synthChecked(w);
      expect(hostPolicy(objects, 'books-example-com').spec.rules).toHaveLength(1);
      expect(hostPolicy(objects, 'books-example-com').spec.rules[0].from[0].source.principals).toEqual([
        'cluster.local/ns/payments/sa/ledger', 'cluster.local/ns/shop/sa/details', 'cluster.local/ns/shop/sa/reviews',
      ]);
      expect(ofKind(objects, 'ServiceEntry')).toHaveLength(1);
      expect(w.egress.externalHosts.map(String)).toEqual([books().toString()]);
    });

    test('per-host policies: a caller of one host is not admitted for the other', () => {
      const w = world();
      w.egress.allowExternal(books(), { from: [w.details] });
      w.egress.allowExternal(api(), { from: [w.ledger] });
      const objects = synthChecked(w);
      expect(JSON.stringify(hostPolicy(objects, 'books-example-com').spec.rules)).not.toContain('ledger');
      expect(JSON.stringify(hostPolicy(objects, 'api-example-com').spec.rules)).not.toContain('details');
    });

    test('the declarative hosts prop equals allowExternal', () => {
      const a = world();
      a.egress.allowExternal(books(), { from: [a.details] });
      const app = Testing.app();
      const chart = new Chart(app, 'test');
      new MeshBaseline(chart, 'mesh', { ambient: true });
      const egressNs = new HardenedNamespace(chart, 'egress-ns', { name: EG_NS, dataPlane: DataPlane.AMBIENT });
      const shop = new HardenedNamespace(chart, 'shop', { name: 'shop', dataPlane: DataPlane.AMBIENT });
      const payments = new HardenedNamespace(chart, 'payments', { name: 'payments', dataPlane: DataPlane.AMBIENT });
      const details = new SecureService(chart, 'details', { namespace: shop, image: IMAGE, ports: HTTP });
      new SecureService(chart, 'reviews', { namespace: shop, image: IMAGE, ports: HTTP });
      new SecureService(chart, 'ledger', { namespace: payments, image: IMAGE, ports: HTTP });
      const egress = new AmbientEgressGateway(chart, 'egress', { namespace: egressNs, hosts: [{ host: books(), from: [details] }] });
      expect(egress.accessGrants).toHaveLength(1);
      expect(synthChecked({ app, chart })).toEqual(synthChecked(a));
    });

    test('a batch workload calls out like a service: the waypoint admits its identity, its own egress opens only to the waypoint', () => {
      const w = world();
      const job = new SecureJob(w.chart, 'sync', { namespace: w.shop, image: IMAGE });
      w.egress.allowExternal(api(), { from: [job] });
      const objects = synthChecked(w);
      expect(hostPolicy(objects, 'api-example-com').spec.rules[0].from[0].source.principals).toEqual(['cluster.local/ns/shop/sa/sync']);
      expect(findObject(objects, 'NetworkPolicy', 'sync-egress', 'shop').spec.egress).toEqual([{ to: [WAYPOINT_PODS], ports: HBONE }]);
    });

    test('names are collision-free DNS labels', () => {
      const w = world();
      const long = `${'a'.repeat(60)}.${'b'.repeat(60)}.example.com`;
      for (const h of ['a-b.example.com', 'a.b-example.com', 'a.b.example.com', long]) w.egress.allowExternal(ExternalHost.https(h), { from: [w.details] });
      const objects = synthChecked(w);
      for (const kind of ['ServiceEntry', 'AuthorizationPolicy']) {
        const names = ofKind(objects, kind, EG_NS).map((e) => e.metadata.name).filter((n) => n.startsWith('egress-'));
        expect(new Set(names).size).toBe(4);
        for (const n of names) expect(n).toMatch(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/);
      }
    });
  });

  describe('guards', () => {
    test('no HardenedNamespace', () => {
      const chart = Testing.chart();
      new MeshBaseline(chart, 'mesh', { ambient: true });
      expect(() => new AmbientEgressGateway(chart, 'egress', { namespace: 'istio-egress' as any }))
        .toThrow(/\[test\/egress\] namespace: no HardenedNamespace was given/);
      expect(() => new AmbientEgressGateway(chart, 'egress2', undefined as any)).toThrow(/\[test\/egress2\] namespace: no HardenedNamespace/);
    });

    test('a sidecar namespace: the field and the fix are named', () => {
      const chart = Testing.chart();
      new MeshBaseline(chart, 'mesh', { ambient: true });
      const ns = new HardenedNamespace(chart, 'ns', { name: 'istio-egress', dataPlane: DataPlane.SIDECAR });
      expect(() => new AmbientEgressGateway(chart, 'egress', { namespace: ns }))
        .toThrow(/\[test\/egress\] namespace: namespace "istio-egress" has dataPlane sidecar: only an ambient namespace has a waypoint.*dataPlane: DataPlane.AMBIENT.*or use EgressGateway/);
    });

    test('the same egress namespace described twice', () => {
      const w = world();
      expect(() => new AmbientEgressGateway(w.chart, 'again', { namespace: w.egressNs }))
        .toThrow(/\[test\/again\] namespace: namespace "istio-egress" already is the egress gateway at test\/egress/);
    });

    test('a sidecar caller: pointed to EgressGateway, and nothing is written', () => {
      const w = world();
      const side = new HardenedNamespace(w.chart, 'side', { name: 'side', dataPlane: DataPlane.SIDECAR });
      const legacy = w.svc('legacy', side);
      expect(() => w.egress.allowExternal(books(), { from: [w.details, legacy] }))
        .toThrow(/\[test\/egress\] allowExternal.from\[1\]: side\/legacy is a sidecar workload: ztunnel does not capture its traffic.*Grant it the host through an EgressGateway/);
      expect(w.egress.externalHosts).toEqual([]);
      expect(ofKind(synthChecked(w), 'Gateway')).toEqual([]);
    });

    test('an empty caller list', () => {
      const { egress } = world();
      expect(() => egress.allowExternal(books(), { from: [] })).toThrow(/\[test\/egress\] allowExternal.from: an empty caller list grants books.example.com to nobody/);
      expect(() => egress.allowExternal(books(), {} as any)).toThrow(/allowExternal.from: an empty caller list/);
    });

    test('a caller that is neither a mesh workload of this app nor a service of another repository', () => {
      const w = world();
      expect(() => w.egress.allowExternal(books(), { from: [Principal.serviceAccount('other', 'ext')] }))
        .toThrow(/allowExternal.from\[0\]: the caller is neither a mesh workload of this app nor a service of another repository, so its egress NetworkPolicy cannot/);
    });

    test('a service of another repository: admitted at the waypoint, nothing written in its namespace', () => {
      const w = world();
      const imported = SecureService.fromAttributes(w.chart, 'ext', { namespace: 'other', name: 'ext', ports: HTTP, dataPlane: DataPlane.AMBIENT });
      w.egress.allowExternal(books(), { from: [imported] });
      const objects = synthValidated(w.chart);
      expect(JSON.stringify(ofKind(objects, 'AuthorizationPolicy').map((p) => p.spec))).toContain('cluster.local/ns/other/sa/ext');
      expect(objects.filter((o) => o.metadata.namespace === 'other')).toEqual([]);
    });

    test('not an ExternalHost', () => {
      const { details, egress } = world();
      expect(() => egress.allowExternal('api.example.com' as any, { from: [details] })).toThrow(/allowExternal.host: "api.example.com" is not an ExternalHost/);
    });

    test('a conflicting re-grant', () => {
      const { details, reviews, egress } = world();
      egress.allowExternal(books(), { from: [details] });
      expect(() => egress.allowExternal(ExternalHost.https(BOOKS), { from: [reviews] }))
        .toThrow(/allowExternal.host: books.example.com is already granted as https:\/\/books.example.com:443 \(TLS originated/);
    });

    test('one egress construct per host, whatever its kind (ztunnel would see both ServiceEntries)', () => {
      const w = world();
      const side = new HardenedNamespace(w.chart, 'side', { name: 'side', dataPlane: DataPlane.SIDECAR });
      const legacy = w.svc('legacy', side);
      const sidecarEgress = new EgressGateway(w.chart, 'sidecar-egress');
      w.egress.allowExternal(books(), { from: [w.details] });
      expect(() => sidecarEgress.allowExternal(books(), { from: [legacy] }))
        .toThrow(/\[test\/sidecar-egress\] allowExternal.host: books.example.com is already routed through the egress gateway at test\/egress/);
      sidecarEgress.allowExternal(api(), { from: [legacy] });
      expect(() => w.egress.allowExternal(api(), { from: [w.details] }))
        .toThrow(/\[test\/egress\] allowExternal.host: api.example.com is already routed through the egress gateway at test\/sidecar-egress/);
    });
  });

  test('property (EGRESS-1, AUTHZ-4): for any grants, each host admits exactly its callers at the waypoint and at L3/L4', () => {
    const names = ['s0', 's1', 's2'];
    const hosts = [api(), books()];
    const grant = fc.tuple(fc.integer({ min: 0, max: 1 }), fc.subarray([0, 1, 2], { minLength: 1 }));
    fc.assert(fc.property(fc.array(grant, { maxLength: 5 }), (grants) => {
      const app = Testing.app();
      const chart = new Chart(app, 'test');
      new MeshBaseline(chart, 'mesh', { ambient: true });
      const egressNs = new HardenedNamespace(chart, 'egress-ns', { name: EG_NS, dataPlane: DataPlane.AMBIENT });
      const namespaces = names.map((n) => new HardenedNamespace(chart, `ns-${n}`, { name: `ns-${n}`, dataPlane: DataPlane.AMBIENT }));
      const services = names.map((n, i) => new SecureService(chart, n, { namespace: namespaces[i], image: IMAGE, ports: HTTP }));
      const egress = new AmbientEgressGateway(chart, 'egress', { namespace: egressNs });
      for (const [h, callers] of grants) egress.allowExternal(hosts[h], { from: callers.map((c) => services[c]) });
      const objects = synthChecked({ app, chart });
      hosts.forEach((host, h) => {
        const callers = [...new Set(grants.filter(([g]) => g === h).flatMap(([, c]) => c))].sort();
        const policies = ofKind(objects, 'AuthorizationPolicy', EG_NS).filter((p) => p.spec.targetRefs?.[0]?.name === `egress-${host.host.replace(/\./g, '-')}`);
        expect(policies.flatMap((p) => p.spec.rules.flatMap((r: any) => r.from[0].source.principals)))
          .toEqual(callers.map((c) => `cluster.local/ns/ns-${names[c]}/sa/${names[c]}`));
      });
      const all = [...new Set(grants.flatMap(([, c]) => c))].sort();
      const waypoint = ofKind(objects, 'NetworkPolicy', EG_NS).find((p) => p.metadata.name === 'waypoint');
      expect((waypoint?.spec.ingress[0]?.from ?? []).map((p: any) => p.podSelector.matchLabels.app).sort()).toEqual(all.map((c) => names[c]));
      names.forEach((n, c) => {
        const own = ofKind(objects, 'NetworkPolicy', `ns-${n}`).filter((p) => p.metadata.name === `${n}-egress`);
        expect(own.map((p) => p.spec.egress)).toEqual(all.includes(c) ? [[{ to: [WAYPOINT_PODS], ports: HBONE }]] : []);
      });
    }), { numRuns: 15 });
  });

  // AccessMatrix evaluates external hosts behind an egress waypoint: caller -> waypoint (hop 1, the
  // policy attached to the ServiceEntry), then waypoint -> host (hop 2).
  test('access evaluator: only the granted callers reach the ServiceEntry host through the waypoint', () => {
    const w = world();
    w.egress.allowExternal(books(), { from: [w.details] });
    w.egress.allowExternal(api(), { from: [w.ledger] });
    const matrix = AccessMatrix.fromManifests(synthChecked(w));
    expect(matrix.check({ from: 'shop/details', to: BOOKS, port: 80 })).toMatchObject({
      allowed: true, decidedBy: `AuthorizationPolicy/${EG_NS}/egress-books-example-com`, layer: 'waypoint', example: { protocol: 'http', host: BOOKS },
    });
    expect(matrix.check({ from: 'shop/reviews', to: BOOKS, port: 80 }).allowed).toBe(false);
    expect(matrix.check({ from: 'payments/ledger', to: BOOKS, port: 80 }).allowed).toBe(false);
    // ledger reaches the waypoint (for api.example.com) but is refused there for books.example.com.
    expect(matrix.check({ from: 'payments/ledger', to: BOOKS, port: 80 })).toMatchObject({ layer: 'waypoint' });
    expect(matrix.check({ from: 'payments/ledger', to: API, port: 443 }).allowed).toBe(true);
    expect(matrix.edges().filter((e) => !e.to.includes('/')).map((e) => `${e.from} -> ${e.to}:${e.port} ${e.allowedBy.join(',')}`)).toEqual([
      `payments/ledger -> ${API}:443 AuthorizationPolicy/${EG_NS}/egress-api-example-com rules[0]`,
      `shop/details -> ${BOOKS}:80 AuthorizationPolicy/${EG_NS}/egress-books-example-com rules[0]`,
    ]);
    expect(matrix.warnings().filter((x) => /ServiceEntry/.test(x))).toEqual([]);
  });

  test('what the construct writes passes the validation harness and the whole rule pack (MESH-EGRESS-003 and NET-EGRESS-001 know egress waypoints)', () => {
    const w = world();
    w.egress.allowExternal(books(), { from: [w.details] });
    w.egress.allowExternal(api(), { from: [w.reviews, w.ledger] });
    synthValidated(w.chart);
  });
});
