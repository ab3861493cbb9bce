import { Chart, Testing } from 'cdk8s';
import * as fc from 'fast-check';
import { AppProtocol } from '../../src/mesh/app-protocol';
import { DataPlane } from '../../src/mesh/data-plane';
import { EgressGateway, EgressGatewayProps } from '../../src/mesh/egress-gateway';
import { ExternalHost } from '../../src/mesh/external-host';
import { MeshBaseline } from '../../src/mesh/mesh-baseline';
import { Principal } from '../../src/mesh/principal';
import { HardenedNamespace } from '../../src/workload/hardened-namespace';
import { SecureJob } from '../../src/workload/secure-job';
import { SecureService } from '../../src/workload/secure-service';
import { findObject, ofKind, synthValidated } from '../helpers';

const IMAGE = 'gcr.io/acme/app@sha256:' + 'a'.repeat(64);
const HTTP = [{ name: 'http', port: 9080, protocol: AppProtocol.HTTP }];
const BOOKS = 'books.example.com';
const API = 'api.example.com';
const GW_NS = 'istio-system';
const GW_PODS = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': GW_NS } }, podSelector: { matchLabels: { istio: 'egressgateway' } } };

/** Bookinfo-like world: shop (details, reviews), payments (ledger); an egress gateway in istio-system. */
function world(gatewayProps: EgressGatewayProps = {}) {
  const chart = Testing.chart();
  new MeshBaseline(chart, 'mesh');
  const shop = new HardenedNamespace(chart, 'shop', { name: 'shop' });
  const payments = new HardenedNamespace(chart, 'payments', { name: 'payments' });
  const svc = (id: string, ns: HardenedNamespace = shop) => new SecureService(chart, id, { namespace: ns, image: IMAGE, ports: HTTP });
  const details = svc('details');
  const reviews = svc('reviews');
  const ledger = svc('ledger', payments);
  const egress = new EgressGateway(chart, 'egress', gatewayProps);
  return { chart, shop, payments, details, reviews, ledger, egress, svc };
}

const books = () => ExternalHost.httpsOriginated(BOOKS, { caCredentialName: 'books-ca' });
const api = () => ExternalHost.https(API);
const gatewayPolicy = (objects: any[]) => findObject(objects, 'AuthorizationPolicy', 'istio-egressgateway', GW_NS);
const ruleFor = (objects: any[], host: string) => gatewayPolicy(objects).spec.rules.filter((r: any) =>
  JSON.stringify(r.to[0].operation.hosts ?? []).includes(`"${host}"`) || r.when?.[0]?.values?.includes(host));

describe('EgressGateway (EGRESS-1)', () => {
  test('a service of another repository: the gateway\'s side only (its identity admitted, its pods let in); nothing in its namespace', () => {
    const { chart, egress } = world();
    const imported = SecureService.fromAttributes(chart, 'ext', { namespace: 'team-a', name: 'fetcher', ports: HTTP, serviceAccountName: 'fetcher' });
    const [grant] = egress.allowExternal(api(), { from: [imported] });
    const objects = synthValidated(chart);
    expect(ruleFor(objects, API)[0].from[0].source.principals).toEqual(['cluster.local/ns/team-a/sa/fetcher']);
    expect(findObject(objects, 'NetworkPolicy', 'istio-egressgateway-ingress', GW_NS).spec.ingress.map((r: any) => r.from[0]))
      .toContainEqual({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'team-a' } }, podSelector: { matchLabels: { app: 'fetcher' } } });
    expect(objects.filter((o) => o.metadata.namespace === 'team-a')).toEqual([]);
    expect(grant.objects.every((o) => o.split('/')[1] === GW_NS)).toBe(true);
  });

  test('snapshot: TLS origination for details, app TLS for reviews and ledger', () => {
    const { chart, details, reviews, ledger, egress } = world();
    egress.allowExternal(books(), { from: [details] });
    egress.allowExternal(api(), { from: [reviews, ledger] });
    const objects = synthValidated(chart);
    const ours = objects.filter((o) => (o.metadata.namespace === GW_NS && !['default', 'allow-nothing', 'mesh-default', 'istiod-ingress', 'default-deny-ingress'].includes(o.metadata.name))
      || o.kind === 'Sidecar' || /-egress$/.test(o.metadata.name));
    expect(ours).toMatchSnapshot();
  });

  test('closed until granted: no route, no ALLOW rule, no caller admitted, gateway pods reach only DNS and istiod', () => {
    const { chart } = world();
    const objects = synthValidated(chart);
    expect(gatewayPolicy(objects).spec).toEqual({ action: 'ALLOW', selector: { matchLabels: { istio: 'egressgateway' } } });
    expect(findObject(objects, 'NetworkPolicy', 'istio-egressgateway-ingress', GW_NS).spec.ingress).toEqual([]);
    const egressRules = findObject(objects, 'NetworkPolicy', 'istio-egressgateway-egress', GW_NS).spec.egress;
    expect(egressRules.map((r: any) => r.ports.map((p: any) => p.port))).toEqual([[53, 53], [15012]]);
    expect(JSON.stringify(egressRules)).not.toMatch(/ipBlock/);
    for (const kind of ['ServiceEntry', 'Gateway', 'VirtualService', 'DestinationRule']) {
      expect(ofKind(objects, kind, GW_NS)).toEqual([]);
    }
  });

  test('the external API is reachable only through the egress gateway', () => {
    const { chart, details, egress } = world();
    egress.allowExternal(books(), { from: [details] });
    const objects = synthValidated(chart);

    // Registry: the host is known in the gateway namespace and the caller's namespace only; the
    // caller sees the app's HTTP port, the host's TLS port is known in the gateway namespace only.
    const entries = ofKind(objects, 'ServiceEntry');
    expect(entries.map((e) => `${e.metadata.namespace}/${e.metadata.name}`)).toEqual([
      'istio-system/egress-books-example-com', 'istio-system/originate-tls-books-example-com',
    ]);
    for (const e of entries) {
      expect(e.spec.exportTo).toBeDefined(); // no exportTo = exported to every namespace
      expect(e.spec.exportTo).not.toContain('*');
      expect(e.spec).toMatchObject({ hosts: [BOOKS], location: 'MESH_EXTERNAL', resolution: 'DNS' });
    }
    expect(entries.map((e) => [e.spec.exportTo, e.spec.ports.map((p: any) => p.number)])).toEqual([[['shop'], [80]], [['.'], [80, 443]]]);
    for (const kind of ['VirtualService', 'DestinationRule']) {
      for (const o of ofKind(objects, kind, GW_NS)) expect(o.spec.exportTo).not.toContain('*');
    }

    // Sidecars: only granted namespaces import the host, and only from the gateway namespace.
    for (const sidecar of ofKind(objects, 'Sidecar')) {
      const hosts: string[] = sidecar.spec.egress?.flatMap((e: any) => e.hosts) ?? [];
      const external = hosts.filter((h) => h.includes(BOOKS));
      expect(external).toEqual(sidecar.metadata.namespace === 'shop' ? [`istio-system/${BOOKS}`] : []);
    }

    // L3/L4: no caller-namespace pod may connect to anything but in-cluster pods.
    for (const ns of ['shop', 'payments']) {
      for (const policy of ofKind(objects, 'NetworkPolicy', ns)) {
        for (const rule of policy.spec.egress ?? []) {
          for (const peer of rule.to ?? []) {
            expect(peer.ipBlock).toBeUndefined();
            expect(peer.namespaceSelector).toBeDefined();
          }
        }
      }
    }
    const withIpBlocks = ofKind(objects, 'NetworkPolicy').filter((p) => JSON.stringify(p.spec.egress ?? []).includes('ipBlock'));
    expect(withIpBlocks.map((p) => `${p.metadata.namespace}/${p.metadata.name}`)).toEqual(['istio-system/istio-egressgateway-egress']);

    // The caller reaches the egress gateway pods on their container port, and nothing else new.
    expect(findObject(objects, 'NetworkPolicy', 'details-egress', 'shop').spec.egress).toEqual([{ to: [GW_PODS], ports: [{ protocol: 'TCP', port: 8443 }] }]);
    expect(ofKind(objects, 'NetworkPolicy', 'shop').map((p) => p.metadata.name)).not.toContain('reviews-egress');
    // The gateway pods accept exactly the caller's pods on that port, and reach out only on 443.
    expect(findObject(objects, 'NetworkPolicy', 'istio-egressgateway-ingress', GW_NS).spec).toEqual({
      podSelector: { matchLabels: { istio: 'egressgateway' } },
      policyTypes: ['Ingress'],
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'shop' } }, podSelector: { matchLabels: { app: 'details' } } }], ports: [{ protocol: 'TCP', port: 8443 }] }],
    });
    expect(findObject(objects, 'NetworkPolicy', 'istio-egressgateway-egress', GW_NS).spec.egress[2]).toEqual({
      to: [{ ipBlock: { cidr: '0.0.0.0/0' } }, { ipBlock: { cidr: '::/0' } }],
      ports: [{ protocol: 'TCP', port: 443 }],
    });

    // Sidecar traffic for the host goes to the egress gateway, never straight out.
    const vs = findObject(objects, 'VirtualService', 'egress-books-example-com', GW_NS);
    const meshRoutes = vs.spec.http.filter((r: any) => r.match[0].gateways.includes('mesh'));
    expect(meshRoutes.flatMap((r: any) => r.route.map((d: any) => d.destination.host))).toEqual(['istio-egressgateway.istio-system.svc.cluster.local']);
    expect(vs.spec.exportTo).toEqual(['.', 'shop']);
  });

  test('only details\' principal is allowed on the egress gateway for that host', () => {
    const { chart, details, reviews, egress } = world();
    egress.allowExternal(books(), { from: [details] });
    egress.allowExternal(api(), { from: [reviews] });
    const objects = synthValidated(chart);
    expect(ruleFor(objects, BOOKS)).toEqual([{
      from: [{ source: { principals: ['cluster.local/ns/shop/sa/details'] } }],
      to: [{ operation: { hosts: [BOOKS, `${BOOKS}:80`], ports: ['8443'] } }],
    }]);
    expect(ruleFor(objects, API)).toEqual([{
      from: [{ source: { principals: ['cluster.local/ns/shop/sa/reviews'] } }],
      to: [{ operation: { ports: ['8443'] } }],
      when: [{ key: 'connection.sni', values: [API] }],
    }]);
    const rules = gatewayPolicy(objects).spec.rules;
    expect(rules).toHaveLength(2);
    for (const rule of rules) {
      expect(rule.from).toHaveLength(1);
      expect(rule.from[0].source.principals).toHaveLength(1);
    }
    expect(JSON.stringify(gatewayPolicy(objects))).not.toMatch(/"\*"|notPrincipals|namespaces|ipBlocks|notHosts|notPorts/);
    // No other policy selects the egress gateway pods with rules.
    const others = ofKind(objects, 'AuthorizationPolicy').filter((p) => p !== gatewayPolicy(objects) && p.spec.rules);
    expect(others.filter((p) => p.spec.selector?.matchLabels?.istio === 'egressgateway')).toEqual([]);
  });

  test('mesh-wide REGISTRY_ONLY is still in place', () => {
    const { chart, details, egress } = world();
    egress.allowExternal(books(), { from: [details] });
    const objects = synthValidated(chart);
    expect(findObject(objects, 'Sidecar', 'default', 'istio-system').spec.outboundTrafficPolicy).toEqual({ mode: 'REGISTRY_ONLY' });
    for (const sidecar of ofKind(objects, 'Sidecar')) expect(sidecar.spec.outboundTrafficPolicy).toEqual({ mode: 'REGISTRY_ONLY' });
    expect(findObject(objects, 'Sidecar', 'default', 'shop').spec.egress[0].hosts).toEqual(['./*', 'istio-system/*', `istio-system/${BOOKS}`]);
  });

  test('TLS origination: mTLS to the gateway, then SIMPLE TLS with SNI, SANs and the CA at the gateway', () => {
    const { chart, details, egress } = world();
    egress.allowExternal(ExternalHost.httpsOriginated(BOOKS, { caCredentialName: 'books-ca', subjectAltNames: [BOOKS, 'edge.example.net'] }), { from: [details] });
    const objects = synthValidated(chart);
    expect(findObject(objects, 'DestinationRule', 'originate-tls-books-example-com', GW_NS).spec).toEqual({
      host: BOOKS,
      exportTo: ['.'],
      trafficPolicy: {
        portLevelSettings: [{
          port: { number: 443 },
          tls: { mode: 'SIMPLE', credentialName: 'books-ca', sni: BOOKS, subjectAltNames: [BOOKS, 'edge.example.net'] },
        }],
      },
    });
    expect(findObject(objects, 'Gateway', 'istio-egressgateway', GW_NS).spec).toEqual({
      selector: { istio: 'egressgateway' },
      servers: [{ port: { number: 443, name: 'https-books-example-com', protocol: 'HTTPS' }, hosts: [`./${BOOKS}`], tls: { mode: 'ISTIO_MUTUAL' } }],
    });
    expect(findObject(objects, 'VirtualService', 'egress-books-example-com', GW_NS).spec.http).toEqual([
      {
        match: [{ gateways: ['mesh'], port: 80 }],
        route: [{ destination: { host: 'istio-egressgateway.istio-system.svc.cluster.local', subset: 'books-example-com', port: { number: 443 } } }],
      },
      { match: [{ gateways: ['istio-system/istio-egressgateway'], port: 443 }], route: [{ destination: { host: BOOKS, port: { number: 443 } } }] },
    ]);
    // The callers' entry has the app's HTTP port only; the host's TLS port is registered for the gateway namespace alone.
    expect(findObject(objects, 'ServiceEntry', 'egress-books-example-com', GW_NS).spec).toMatchObject({
      exportTo: ['shop'],
      ports: [{ number: 80, name: 'http', protocol: 'HTTP' }],
    });
    expect(findObject(objects, 'ServiceEntry', 'originate-tls-books-example-com', GW_NS).spec).toEqual({
      hosts: [BOOKS],
      exportTo: ['.'],
      location: 'MESH_EXTERNAL',
      resolution: 'DNS',
      ports: [{ number: 80, name: 'http', protocol: 'HTTP' }, { number: 443, name: 'https', protocol: 'HTTPS' }],
    });
    // TLS is never originated in an app namespace.
    expect(ofKind(objects, 'DestinationRule').filter((d) => JSON.stringify(d.spec).includes('SIMPLE')).map((d) => d.metadata.namespace)).toEqual([GW_NS]);
  });

  test('app TLS: routed on SNI, forwarded unchanged by the gateway, authorized on connection.sni', () => {
    const { chart, reviews, egress } = world();
    egress.allowExternal(ExternalHost.https(API, 8443), { from: [reviews] });
    const objects = synthValidated(chart);
    const vs = findObject(objects, 'VirtualService', 'egress-api-example-com', GW_NS).spec;
    expect(vs.tls).toEqual([{
      match: [{ gateways: ['mesh'], port: 8443, sniHosts: [API] }],
      route: [{ destination: { host: 'istio-egressgateway.istio-system.svc.cluster.local', subset: 'api-example-com', port: { number: 443 } } }],
    }]);
    expect(vs.tcp).toEqual([{ match: [{ gateways: ['istio-system/istio-egressgateway'], port: 443 }], route: [{ destination: { host: API, port: { number: 8443 } } }] }]);
    expect(vs.http).toBeUndefined();
    expect(findObject(objects, 'Gateway', 'istio-egressgateway', GW_NS).spec.servers).toEqual([
      { port: { number: 443, name: 'tls-api-example-com', protocol: 'TLS' }, hosts: [`./${API}`], tls: { mode: 'ISTIO_MUTUAL' } },
    ]);
    expect(findObject(objects, 'ServiceEntry', 'egress-api-example-com', GW_NS).spec.ports).toEqual([{ number: 8443, name: 'tls', protocol: 'TLS' }]);
    expect(ruleFor(objects, API)[0].when).toEqual([{ key: 'connection.sni', values: [API] }]);
    expect(ofKind(objects, 'DestinationRule').filter((d) => d.spec.host === API)).toEqual([]);
    expect(findObject(objects, 'NetworkPolicy', 'istio-egressgateway-egress', GW_NS).spec.egress[2].ports).toEqual([{ protocol: 'TCP', port: 8443 }]);
  });

  test('MTLS-1: ISTIO_MUTUAL with the host as SNI on the sidecar-to-gateway hop, one subset per host', () => {
    const { chart, details, reviews, egress } = world();
    egress.allowExternal(books(), { from: [details] });
    egress.allowExternal(api(), { from: [reviews] });
    const objects = synthValidated(chart);
    expect(findObject(objects, 'DestinationRule', 'istio-egressgateway', GW_NS).spec).toEqual({
      host: 'istio-egressgateway.istio-system.svc.cluster.local',
      exportTo: ['.', 'shop'],
      subsets: [
        { name: 'api-example-com', trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL', sni: API } } },
        { name: 'books-example-com', trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL', sni: BOOKS } } },
      ],
    });
    for (const server of findObject(objects, 'Gateway', 'istio-egressgateway', GW_NS).spec.servers) expect(server.tls).toEqual({ mode: 'ISTIO_MUTUAL' });
    // No in-mesh host is ever reached with anything but Istio mTLS.
    for (const dr of ofKind(objects, 'DestinationRule').filter((d) => d.spec.host.endsWith('.svc.cluster.local'))) {
      const modes = JSON.stringify(dr.spec).match(/"mode":"[A-Z_]+"/g) ?? [];
      expect(new Set(modes)).toEqual(new Set(['"mode":"ISTIO_MUTUAL"']));
    }
    const names = findObject(objects, 'Gateway', 'istio-egressgateway', GW_NS).spec.servers.map((s: any) => s.port.name);
    expect(new Set(names).size).toBe(names.length);
  });

  describe('grants', () => {
    test('one grant per caller naming the host, its port and every object that carries it', () => {
      const { details, egress } = world();
      const [grant] = egress.allowExternal(books(), { from: [details] });
      expect(grant.toString()).toBe(`cluster.local/ns/shop/sa/details -> ${BOOKS}:443`);
      expect(grant.objects).toEqual([
        'ServiceEntry/istio-system/egress-books-example-com',
        'ServiceEntry/istio-system/originate-tls-books-example-com',
        'Gateway/istio-system/istio-egressgateway',
        'VirtualService/istio-system/egress-books-example-com',
        'DestinationRule/istio-system/istio-egressgateway',
        'DestinationRule/istio-system/originate-tls-books-example-com',
        'AuthorizationPolicy/istio-system/istio-egressgateway',
        'NetworkPolicy/istio-system/istio-egressgateway-ingress',
        'NetworkPolicy/istio-system/istio-egressgateway-egress',
        'NetworkPolicy/shop/details-egress',
        'Sidecar/shop/default',
      ]);
    });

    test('idempotent; more callers extend the host; callers in another namespace join exportTo', () => {
      const { chart, details, reviews, ledger, egress } = world();
      const first = egress.allowExternal(books(), { from: [details] });
      expect(egress.allowExternal(books(), { from: [details] })).toEqual(first);
      expect(egress.allowExternal(books(), { from: [details] })[0]).toBe(first[0]);
      const more = egress.allowExternal(books(), { from: [ledger, reviews, details] });
      expect(more[2]).toBe(first[0]);
      expect(egress.accessGrants.map((g) => g.callerPrincipal)).toEqual([
        'cluster.local/ns/payments/sa/ledger', 'cluster.local/ns/shop/sa/details', 'cluster.local/ns/shop/sa/reviews',
      ]);
      const objects = synthValidated(chart);
      expect(ruleFor(objects, BOOKS)).toHaveLength(1);
      expect(ruleFor(objects, BOOKS)[0].from[0].source.principals).toEqual([
        'cluster.local/ns/payments/sa/ledger', 'cluster.local/ns/shop/sa/details', 'cluster.local/ns/shop/sa/reviews',
      ]);
      for (const [kind, name] of [['VirtualService', 'egress-books-example-com'], ['DestinationRule', 'istio-egressgateway']]) {
        expect(findObject(objects, kind, name, GW_NS).spec.exportTo).toEqual(['.', 'payments', 'shop']);
      }
      // The callers' entry of a TLS-originated host: the callers' namespaces, never the gateway's (its own entry is there).
      expect(findObject(objects, 'ServiceEntry', 'egress-books-example-com', GW_NS).spec.exportTo).toEqual(['payments', 'shop']);
      expect(findObject(objects, 'ServiceEntry', 'originate-tls-books-example-com', GW_NS).spec.exportTo).toEqual(['.']);
      expect(findObject(objects, 'Sidecar', 'default', 'payments').spec.egress[0].hosts).toContain(`istio-system/${BOOKS}`);
      expect(findObject(objects, 'NetworkPolicy', 'istio-egressgateway-ingress', GW_NS).spec.ingress.map((r: any) => r.from[0].podSelector.matchLabels.app))
        .toEqual(['ledger', 'details', 'reviews']);
      expect(egress.externalHosts.map(String)).toEqual([books().toString()]);
    });

    test('per-host exportTo: a caller of one host does not see the other', () => {
      const { chart, details, ledger, egress } = world();
      egress.allowExternal(books(), { from: [details] });
      egress.allowExternal(api(), { from: [ledger] });
      const objects = synthValidated(chart);
      expect(findObject(objects, 'ServiceEntry', 'egress-books-example-com', GW_NS).spec.exportTo).toEqual(['shop']);
      expect(findObject(objects, 'ServiceEntry', 'egress-api-example-com', GW_NS).spec.exportTo).toEqual(['.', 'payments']);
      expect(findObject(objects, 'Sidecar', 'default', 'payments').spec.egress[0].hosts).not.toContain(`istio-system/${BOOKS}`);
    });

    test('the declarative hosts prop equals allowExternal', () => {
      const a = world();
      a.egress.allowExternal(books(), { from: [a.details] });
      const chart = Testing.chart();
      new MeshBaseline(chart, 'mesh');
      const shop = new HardenedNamespace(chart, 'shop', { name: 'shop' });
      new HardenedNamespace(chart, 'payments', { name: 'payments' });
      const details = new SecureService(chart, 'details', { namespace: shop, image: IMAGE, ports: HTTP });
      new SecureService(chart, 'reviews', { namespace: shop, image: IMAGE, ports: HTTP });
      new SecureService(chart, 'ledger', { namespace: ofNamespace(chart, 'payments'), image: IMAGE, ports: HTTP });
      const egress = new EgressGateway(chart, 'egress', { hosts: [{ host: books(), from: [details] }] });
      expect(egress.accessGrants).toHaveLength(1);
      expect(synthValidated(chart)).toEqual(synthValidated(a.chart));
    });

    test('a non-default app port is authorized with its Host header', () => {
      const { chart, details, egress } = world();
      egress.allowExternal(ExternalHost.httpsOriginated(BOOKS, { caCredentialName: 'books-ca', appPort: 8080 }), { from: [details] });
      const objects = synthValidated(chart);
      expect(ruleFor(objects, BOOKS)[0].to[0].operation.hosts).toEqual([BOOKS, `${BOOKS}:8080`]);
      expect(findObject(objects, 'VirtualService', 'egress-books-example-com', GW_NS).spec.http[0].match).toEqual([{ gateways: ['mesh'], port: 8080 }]);
    });
  });

  test('a gateway outside the control-plane namespace: callers also import its Service', () => {
    const { chart, details, egress } = world({
      namespace: 'egress',
      serviceName: 'egress-gw',
      serviceAccountName: 'egress-gw',
      selector: { 'app': 'egress-gw', 'istio.io/gateway': 'egress' },
      httpsPort: 8443,
      httpsTargetPort: 9443,
    });
    egress.allowExternal(books(), { from: [details] });
    const objects = synthValidated(chart);
    expect(findObject(objects, 'Sidecar', 'default', 'shop').spec.egress[0].hosts).toEqual([
      './*', 'istio-system/*', 'egress/books.example.com', 'egress/egress-gw.egress.svc.cluster.local',
    ]);
    const peer = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'egress' } }, podSelector: { matchLabels: { 'app': 'egress-gw', 'istio.io/gateway': 'egress' } } };
    expect(findObject(objects, 'NetworkPolicy', 'details-egress', 'shop').spec.egress).toEqual([{ to: [peer], ports: [{ protocol: 'TCP', port: 9443 }] }]);
    expect(findObject(objects, 'VirtualService', 'egress-books-example-com', 'egress').spec.gateways).toEqual(['egress/egress-gw', 'mesh']);
    expect(findObject(objects, 'Gateway', 'egress-gw', 'egress').spec.servers[0].port.number).toBe(8443);
    expect(findObject(objects, 'AuthorizationPolicy', 'egress-gw', 'egress').spec.rules[0].to[0].operation.ports).toEqual(['9443']);
    expect(egress.peerPrincipal.principalIn('x')).toBe('cluster.local/ns/egress/sa/egress-gw');
    expect(egress.peerPodLabels).toEqual({ 'app': 'egress-gw', 'istio.io/gateway': 'egress' });
  });

  test('a caller in the gateway namespace sees the gateway\'s entry; the callers\' entry never reaches that namespace', () => {
    const chart = Testing.chart();
    new MeshBaseline(chart, 'mesh');
    const egressNs = new HardenedNamespace(chart, 'egress-ns', { name: 'egress' });
    const shop = new HardenedNamespace(chart, 'shop', { name: 'shop' });
    const relay = new SecureService(chart, 'relay', { namespace: egressNs, image: IMAGE, ports: HTTP });
    const details = new SecureService(chart, 'details', { namespace: shop, image: IMAGE, ports: HTTP });
    const egress = new EgressGateway(chart, 'egress', { namespace: 'egress', selector: { app: 'egress-gw' } });
    egress.allowExternal(books(), { from: [relay] });
    const exportTo = (objects: any[]) => ofKind(objects, 'ServiceEntry', 'egress').map((e) => [e.metadata.name, e.spec.exportTo]);
    // Exported to no namespace at all ("~"), not to every namespace (an empty exportTo).
    expect(exportTo(synthValidated(chart))).toEqual([['egress-books-example-com', ['~']], ['originate-tls-books-example-com', ['.']]]);
    expect(findObject(synthValidated(chart), 'VirtualService', 'egress-books-example-com', 'egress').spec.exportTo).toEqual(['.']);
    egress.allowExternal(books(), { from: [details] });
    expect(exportTo(synthValidated(chart))).toEqual([['egress-books-example-com', ['shop']], ['originate-tls-books-example-com', ['.']]]);
  });

  test('names are collision-free and DNS labels', () => {
    const { chart, details, egress } = world();
    const long = `${'a'.repeat(60)}.${'b'.repeat(60)}.example.com`;
    egress.allowExternal(ExternalHost.https('a-b.example.com'), { from: [details] });
    egress.allowExternal(ExternalHost.https('a.b-example.com'), { from: [details] });
    egress.allowExternal(ExternalHost.https('a.b.example.com'), { from: [details] });
    egress.allowExternal(ExternalHost.https(long), { from: [details] });
    const objects = synthValidated(chart);
    const names = ofKind(objects, 'ServiceEntry', GW_NS).map((e) => e.metadata.name);
    expect(new Set(names).size).toBe(4);
    for (const n of names) expect(n).toMatch(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/);
    expect(names).toContain('egress-a--b-example-com');
    expect(names).toContain('egress-a-b--example-com');
    expect(names).toContain('egress-a-b-example-com');
  });

  test('a batch workload calls out like a service: the gateway admits its identity, its own egress opens only to the gateway', () => {
    const { chart, shop, egress } = world();
    const job = new SecureJob(chart, 'sync', { namespace: shop, image: IMAGE });
    egress.allowExternal(api(), { from: [job] });
    const objects = synthValidated(chart);
    expect(JSON.stringify(gatewayPolicy(objects).spec.rules)).toContain('cluster.local/ns/shop/sa/sync');
    const own = findObject(objects, 'NetworkPolicy', 'sync-egress', 'shop');
    expect(own.spec.egress.map((r: any) => r.to[0].namespaceSelector.matchLabels['kubernetes.io/metadata.name'])).toEqual([GW_NS]);
  });

  describe('guards', () => {
    test('an empty caller list', () => {
      const { egress } = world();
      expect(() => egress.allowExternal(books(), { from: [] })).toThrow(/\[test\/egress\] allowExternal.from: an empty caller list grants books.example.com to nobody. Name at least one mesh workload/);
      expect(() => egress.allowExternal(books(), {} as any)).toThrow(/allowExternal.from: an empty caller list/);
      expect(egress.externalHosts).toEqual([]);
    });

    test('a caller that is neither a mesh workload of this app nor a service of another repository', () => {
      const { egress } = world();
      expect(() => egress.allowExternal(books(), { from: [Principal.serviceAccount('other', 'ext')] }))
        .toThrow(/allowExternal.from\[0\]: the caller is neither a mesh workload of this app nor a service of another repository/);
    });

    test.each([
      ['another mode', () => ExternalHost.https(BOOKS)],
      ['another port', () => ExternalHost.httpsOriginated(BOOKS, { caCredentialName: 'books-ca', port: 8443 })],
      ['another app port', () => ExternalHost.httpsOriginated(BOOKS, { caCredentialName: 'books-ca', appPort: 8080 })],
      ['another CA', () => ExternalHost.httpsOriginated(BOOKS, { caCredentialName: 'other-ca' })],
      ['other SANs', () => ExternalHost.httpsOriginated(BOOKS, { caCredentialName: 'books-ca', subjectAltNames: ['cdn.example.net'] })],
    ])('a conflicting re-grant: %s', (_what, other) => {
      const { details, reviews, egress } = world();
      egress.allowExternal(books(), { from: [details] });
      const again = other();
      expect(() => egress.allowExternal(again, { from: [reviews] })).toThrow(
        new RegExp(`allowExternal.host: books.example.com is already granted as ${escape(books().toString())} and this call asks for ${escape(again.toString())}`));
    });

    test('the same host through two egress gateways', () => {
      const { chart, details, egress } = world();
      egress.allowExternal(books(), { from: [details] });
      const second = new EgressGateway(chart, 'egress2', { namespace: 'egress' });
      expect(() => second.allowExternal(books(), { from: [details] })).toThrow(/\[test\/egress2\] allowExternal.host: books.example.com is already routed through the egress gateway at test\/egress/);
    });

    test('origination without a CA', () => {
      expect(() => ExternalHost.httpsOriginated(BOOKS, { caCredentialName: '' })).toThrow(/caCredentialName: a CA is required/);
    });

    test.each([
      ['hostname with a scheme', 'https://books.example.com', /must not include a scheme/],
      ['hostname with a path', 'books.example.com/v1', /must not include a path/],
      ['hostname with a port', 'books.example.com:443', /must not include a port/],
      ['invalid DNS', 'books_.example.com', /invalid DNS labels/],
      ['wildcard', '*.example.com', /must not be a wildcard/],
      ['IP', '198.51.100.7', /is an IP address/],
    ])('%s', (_what, host, error) => {
      expect(() => ExternalHost.https(host)).toThrow(error);
    });

    test.each([[0], [65536]])('port %p', (port) => {
      expect(() => ExternalHost.https(API, port)).toThrow(/is not a valid port/);
    });

    test.each([
      ['an empty selector', { selector: {} }, /\[test\/egress\] selector: an empty selector would select every pod of the namespace/],
      ['a bad selector key', { selector: { 'bad key': 'x' } }, /selector: key "bad key"/],
      ['a bad namespace', { namespace: 'Istio_System' }, /namespace: "Istio_System"/],
      ['a bad service name', { serviceName: '1gw' }, /serviceName: "1gw"/],
      ['a bad service account', { serviceAccountName: 'SA' }, /serviceAccountName: "SA"/],
      ['target port 0', { httpsTargetPort: 0 }, /httpsTargetPort: 0 is not a valid port/],
      ['service port 70000', { httpsPort: 70000 }, /httpsPort: 70000 is not a valid port/],
    ])('props: %s', (_what, props, error) => {
      const chart = Testing.chart();
      new MeshBaseline(chart, 'mesh');
      expect(() => new EgressGateway(chart, 'egress', props as EgressGatewayProps)).toThrow(error);
    });

    test('the same egress gateway described twice', () => {
      const { chart } = world();
      expect(() => new EgressGateway(chart, 'again')).toThrow(/\[test\/again\] serviceName: egress gateway "istio-system\/istio-egressgateway" is already defined at test\/egress/);
    });

    test('no mesh', () => {
      expect(() => new EgressGateway(Testing.chart(), 'egress')).toThrow(/mesh: no MeshBaseline in this app/);
    });

    test('an ambient caller: no sidecar follows the mesh route, so AmbientEgressGateway is named', () => {
      const chart = Testing.chart();
      new MeshBaseline(chart, 'mesh', { ambient: true });
      const side = new HardenedNamespace(chart, 'side', { name: 'side', dataPlane: DataPlane.SIDECAR });
      const amb = new HardenedNamespace(chart, 'amb', { name: 'amb', dataPlane: DataPlane.AMBIENT });
      const sidecarCaller = new SecureService(chart, 'sidecar-caller', { namespace: side, image: IMAGE, ports: HTTP });
      const ambientCaller = new SecureService(chart, 'ambient-caller', { namespace: amb, image: IMAGE, ports: HTTP });
      const egress = new EgressGateway(chart, 'egress');
      expect(() => egress.allowExternal(books(), { from: [sidecarCaller, ambientCaller] })).toThrow(
        /\[test\/egress\] allowExternal.from\[1\]: amb\/ambient-caller is an ambient workload: it has no sidecar, .*Grant it the host through an AmbientEgressGateway/);
      // Refused before anything is written: the sidecar caller was not granted either.
      expect(egress.externalHosts).toEqual([]);
      expect(ofKind(synthValidated(chart), 'ServiceEntry')).toEqual([]);
    });

    test('not an ExternalHost', () => {
      const { details, egress } = world();
      expect(() => egress.allowExternal('api.example.com' as any, { from: [details] })).toThrow(/allowExternal.host: "api.example.com" is not an ExternalHost/);
    });
  });

  test('property (EGRESS-1, AUTHZ-4): for any grants, each host admits exactly its callers at L7 and L3/L4', () => {
    const names = ['s0', 's1', 's2'];
    const hosts = [ExternalHost.https(API), books()];
    const grant = fc.tuple(fc.integer({ min: 0, max: 1 }), fc.subarray([0, 1, 2], { minLength: 1 }));
    fc.assert(fc.property(fc.array(grant, { maxLength: 5 }), (grants) => {
      const chart = new Chart(Testing.app(), 'c');
      new MeshBaseline(chart, 'mesh');
      const namespaces = names.map((n) => new HardenedNamespace(chart, `ns-${n}`, { name: `ns-${n}` }));
      const services = names.map((n, i) => new SecureService(chart, n, { namespace: namespaces[i], image: IMAGE, ports: HTTP }));
      const egress = new EgressGateway(chart, 'egress');
      for (const [h, callers] of grants) egress.allowExternal(hosts[h], { from: callers.map((c) => services[c]) });
      const objects = synthValidated(chart);
      const rules = gatewayPolicy(objects).spec.rules ?? [];
      hosts.forEach((host, h) => {
        const callers = [...new Set(grants.filter(([g]) => g === h).flatMap(([, c]) => c))].sort();
        const expected = callers.map((c) => `cluster.local/ns/ns-${names[c]}/sa/${names[c]}`);
        const rule = rules.filter((r: any) => JSON.stringify(r).includes(`"${host.host}"`));
        expect(rule.map((r: any) => r.from[0].source.principals).flat()).toEqual(expected);
        names.forEach((n, c) => {
          const sidecarHosts = findObject(objects, 'Sidecar', 'default', `ns-${n}`).spec.egress[0].hosts;
          expect(sidecarHosts.includes(`istio-system/${host.host}`)).toBe(callers.includes(c));
        });
      });
      // Each namespace sees at most one ServiceEntry per host (Istio merges entries of one host only
      // when their exportTo are equal), and the TLS port of a TLS-originated host only in the gateway namespace.
      for (const ns of [GW_NS, ...names.map((n) => `ns-${n}`)]) {
        const visible = ofKind(objects, 'ServiceEntry').filter((e) => e.spec.exportTo.includes(ns) || (e.spec.exportTo.includes('.') && e.metadata.namespace === ns));
        expect(visible.map((e) => e.spec.hosts[0])).toEqual([...new Set(visible.map((e) => e.spec.hosts[0]))]);
        const booksTls = visible.filter((e) => e.spec.hosts[0] === BOOKS && e.spec.ports.some((p: any) => p.number === 443));
        expect(booksTls.length).toBe(ns === GW_NS && grants.some(([h]) => h === 1) ? 1 : 0);
      }
      const all = [...new Set(grants.flatMap(([, c]) => c))].sort();
      const peers = findObject(objects, 'NetworkPolicy', 'istio-egressgateway-ingress', GW_NS).spec.ingress.map((r: any) => r.from[0].podSelector.matchLabels.app).sort();
      expect(peers).toEqual(all.map((c) => names[c]));
      names.forEach((n, c) => {
        const egressPolicies = ofKind(objects, 'NetworkPolicy', `ns-${n}`).filter((p) => p.metadata.name === `${n}-egress`);
        expect(egressPolicies.length).toBe(all.includes(c) ? 1 : 0);
      });
    }), { numRuns: 20 });
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function ofNamespace(chart: Chart, name: string): HardenedNamespace {
  return chart.node.findAll().find((c) => c instanceof HardenedNamespace && c.name === name) as HardenedNamespace;
}
