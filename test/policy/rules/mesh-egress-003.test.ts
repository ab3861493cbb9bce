import * as path from 'path';
import { ApiObject, JsonPatch, Testing } from 'cdk8s';
import { corpusObjects } from './mesh-token-fixtures';
import { libraryApps } from './network-fixtures';
import { BlueprintChart } from '../../../examples/blueprint/blueprint';
import { AppProtocol } from '../../../src/mesh/app-protocol';
import { EgressGateway } from '../../../src/mesh/egress-gateway';
import { ExternalHost } from '../../../src/mesh/external-host';
import { MeshBaseline } from '../../../src/mesh/mesh-baseline';
import { RuleObject, RuleSeverity } from '../../../src/policy/rule';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import { MESH_EGRESS_003 as rule, hostCovers } from '../../../src/policy/rules/mesh-egress-003';
import { HardenedNamespace } from '../../../src/workload/hardened-namespace';
import { SecureService } from '../../../src/workload/secure-service';
import { synthValidated } from '../../helpers';
import { describeWithShared } from '../../shared';

const API = 'api.example.com';
const BOOKS = 'books.example.com';
const GW_SVC = 'istio-egressgateway.istio-system.svc.cluster.local';
const GW_REF = 'istio-system/istio-egressgateway';

function object(kind: string, name: string, spec: object, namespace = 'istio-system'): RuleObject {
  return { apiVersion: 'networking.istio.io/v1', kind, metadata: { name, namespace }, spec };
}
const se = (name: string, spec: object, namespace?: string) => object('ServiceEntry', name, { location: 'MESH_EXTERNAL', resolution: 'DNS', ...spec }, namespace);
const vs = (name: string, spec: object, namespace?: string) => object('VirtualService', name, spec, namespace);
const dr = (name: string, spec: object, namespace?: string) => object('DestinationRule', name, spec, namespace);
function gateway(hosts: string[], namespace = 'istio-system', selector: object = { istio: 'egressgateway' }): RuleObject {
  return object('Gateway', 'istio-egressgateway', {
    selector,
    servers: [{ port: { number: 443, name: 'tls', protocol: 'TLS' }, hosts, tls: { mode: 'ISTIO_MUTUAL' } }],
  }, namespace);
}
const to = (host: string, port?: number, subset?: string) => ({
  destination: { host, ...(port ? { port: { number: port } } : {}), ...(subset ? { subset } : {}) },
});
const GW = gateway([`./${API}`, `./${BOOKS}`]);

/** A TLS host (the application speaks TLS), routed like EgressGateway routes ExternalHost.https. */
const API_SE = se('api', { hosts: [API], exportTo: ['.', 'shop'], ports: [{ number: 443, name: 'tls', protocol: 'TLS' }] });
const API_VS = vs('api', {
  hosts: [API],
  gateways: [GW_REF, 'mesh'],
  exportTo: ['.', 'shop'],
  tls: [{ match: [{ gateways: ['mesh'], port: 443, sniHosts: [API] }], route: [to(GW_SVC, 443, 'api')] }],
  tcp: [{ match: [{ gateways: [GW_REF], port: 443 }], route: [to(API, 443)] }],
});
const API_OK = [API_SE, API_VS, GW];

/** An HTTP host with TLS originated at the gateway, its TLS port visible in the gateway namespace only. */
const BOOKS_HTTP = se('books-http', { hosts: [BOOKS], exportTo: ['.', 'shop'], ports: [{ number: 80, name: 'http', protocol: 'HTTP' }] });
const BOOKS_TLS = se('books-tls', { hosts: [BOOKS], exportTo: ['.'], ports: [{ number: 443, name: 'https', protocol: 'HTTPS' }] });
const BOOKS_VS = vs('books', {
  hosts: [BOOKS],
  gateways: [GW_REF, 'mesh'],
  exportTo: ['.', 'shop'],
  http: [
    { match: [{ gateways: ['mesh'], port: 80 }], route: [to(GW_SVC, 443, 'books')] },
    { match: [{ gateways: [GW_REF], port: 443 }], route: [to(BOOKS, 443)] },
  ],
});
const ORIGINATE = dr('originate-books', {
  host: BOOKS,
  exportTo: ['.'],
  trafficPolicy: { portLevelSettings: [{ port: { number: 443 }, tls: { mode: 'SIMPLE', credentialName: 'books-ca', sni: BOOKS, subjectAltNames: [BOOKS] } }] },
});
const BOOKS_OK = [BOOKS_HTTP, BOOKS_TLS, BOOKS_VS, ORIGINATE, GW];

function run(objects: RuleObject[]): [string | undefined, string, number | undefined][] {
  return rule.checkAll!(ruleContext(objects)).map((f) => [f.object?.metadata?.name, f.violation.path, f.violation.port]);
}
const replace = (objects: RuleObject[], old: RuleObject, next: RuleObject | RuleObject[]) => objects.flatMap((o) => (o === old ? next : [o]));

const GOOD: [string, RuleObject[]][] = [
  ['a TLS host routed through the egress gateway', API_OK],
  ['an HTTP host with TLS originated at the egress gateway', BOOKS_OK],
  ['both, the mesh and gateway routes in separate VirtualServices', [API_SE, GW,
    vs('api-mesh', { hosts: [API], exportTo: ['shop', '.'], tls: [{ match: [{ port: 443, sniHosts: [API] }], route: [to(GW_SVC, 443)] }] }),
    vs('api-gw', { hosts: [API], gateways: ['istio-egressgateway'], exportTo: ['.'], tcp: [{ route: [to(API, 443)] }] }),
    ...BOOKS_OK.filter((o) => o !== GW)]],
  ['the gateway in a namespace of its own, addressed as name.namespace.svc', [
    se('api', { hosts: [API], exportTo: ['egress', 'shop'], ports: [{ number: 443, name: 'tls', protocol: 'TLS' }] }, 'egress'),
    gateway([`./${API}`], 'egress'),
    vs('api', {
      hosts: [API],
      gateways: ['egress/istio-egressgateway', 'mesh'],
      exportTo: ['.', 'shop'],
      tls: [{ match: [{ gateways: ['mesh'], port: 443, sniHosts: [API] }], route: [to('istio-egressgateway.egress.svc', 443)] }],
      tcp: [{ match: [{ gateways: ['egress/istio-egressgateway'] }], route: [to(API, 443)] }],
    }, 'egress'),
  ]],
  ['TLS originated in a subset of the DestinationRule', [BOOKS_HTTP, BOOKS_TLS, GW,
    vs('books', { ...BOOKS_VS.spec, http: [BOOKS_VS.spec.http[0], { ...BOOKS_VS.spec.http[1], route: [to(BOOKS, 443, 'tls')] }] }),
    dr('originate-books', { host: BOOKS, exportTo: ['.'], subsets: [{ name: 'tls', trafficPolicy: { tls: { mode: 'SIMPLE', sni: BOOKS, subjectAltNames: [BOOKS] } } }] })]],
  ['TLS originated at the top level of a DestinationRule of the root namespace exported everywhere', [BOOKS_HTTP, BOOKS_TLS, BOOKS_VS, GW,
    dr('originate-books', { host: BOOKS, trafficPolicy: { tls: { mode: 'MUTUAL', credentialName: 'books-client' } } }, 'istio-system')]],
  ['a DestinationRule whose workloadSelector selects the gateway', [BOOKS_HTTP, BOOKS_TLS, BOOKS_VS, GW,
    dr('originate-books', { ...ORIGINATE.spec, workloadSelector: { matchLabels: { istio: 'egressgateway' } } })]],
  ['an HTTP route with conditions only (unmatched requests get a 404, they do not go out directly)', [BOOKS_HTTP, BOOKS_TLS, GW, ORIGINATE,
    vs('books', { ...BOOKS_VS.spec, http: [{ match: [{ gateways: ['mesh'], port: 80, uri: { prefix: '/api/' } }], route: [to(GW_SVC, 443)] }, BOOKS_VS.spec.http[1]] })]],
  ['MESH_INTERNAL (a VM in the mesh) is another matter', [se('vm', { hosts: ['db.corp.internal'], location: 'MESH_INTERNAL', ports: [{ number: 5432, name: 'tcp', protocol: 'TCP' }] })]],
  ['an entry exported nowhere', [se('hidden', { hosts: [API], exportTo: ['~'], ports: [{ number: 80, name: 'http', protocol: 'HTTP' }] })]],
  ['an entry visible only in the egress gateway namespace needs no mesh route', [GW,
    se('api', { hosts: [API], exportTo: ['.'], ports: [{ number: 443, name: 'tls', protocol: 'TLS' }] }),
    vs('api-gw', { hosts: [API], gateways: ['istio-egressgateway'], exportTo: ['.'], tcp: [{ route: [to(API, 443)] }] })]],
  ['location unset (MESH_EXTERNAL), a short Service name and a wildcard server host', [
    se('api', { location: undefined, hosts: [API], exportTo: ['.'], ports: [{ number: 443, name: 'tls', protocol: 'TLS' }] }),
    gateway(['*/*']),
    vs('api', {
      hosts: [API],
      gateways: ['istio-egressgateway', 'mesh'],
      exportTo: ['.'],
      tls: [{ match: [{ gateways: ['mesh'], port: 443 }], route: [to('istio-egressgateway', 443)] }],
      tcp: [{ match: [{ gateways: ['istio-egressgateway'], port: 443 }], route: [to(API, 443)] }],
    }),
  ]],
];

const BAD: [string, RuleObject[], [string, string, number][]][] = [
  ['a TLS host without routes', [API_SE], [['api', 'spec.hosts[0]', 443]]],
  ['an HTTP host without routes', [BOOKS_HTTP], [['books-http', 'spec.hosts[0]', 80], ['books-http', 'spec.ports[0].protocol', 80]]],
  ['a mesh route straight to the host (port rewrite, TLS originated by the sidecar)', [BOOKS_HTTP, BOOKS_TLS, GW, ORIGINATE,
    vs('rewrite', { hosts: [BOOKS], exportTo: ['.', 'shop'], http: [{ match: [{ port: 80 }], route: [to(BOOKS, 443)] }] })],
  [['rewrite', 'spec.http[0].route[0].destination.host', 80], ['books-http', 'spec.hosts[0]', 80], ['books-http', 'spec.ports[0].protocol', 80],
    // No gateway forwards the host, so its namespace is no egress gateway namespace: its TLS-only entry is reached directly there.
    ['books-tls', 'spec.hosts[0]', 443]]],
  ['a route to a Service whose namespace holds no egress Gateway', [API_SE, GW,
    vs('api', { ...API_VS.spec, tls: [{ match: [{ gateways: ['mesh'], port: 443 }], route: [to('proxy.shop.svc.cluster.local', 443)] }] })],
  [['api', 'spec.tls[0].route[0].destination.host', 443], ['api', 'spec.hosts[0]', 443]]],
  ['a Gateway whose routes do not forward the host', [API_SE, GW,
    vs('api', { ...API_VS.spec, tcp: [{ match: [{ gateways: [GW_REF] }], route: [to('elsewhere.example.com', 443)] }] })],
  [['api', 'spec.tls[0].route[0].destination.host', 443], ['api', 'spec.hosts[0]', 443]]],
  ['a Gateway that does not serve the host', [API_SE, API_VS, gateway(['./other.example.com'])],
    [['api', 'spec.tls[0].route[0].destination.host', 443], ['api', 'spec.hosts[0]', 443]]],
  ['the entry is exported further than the route', replace(API_OK, API_SE, se('api', { ...API_SE.spec, exportTo: ['.', 'shop', 'web'] })),
    [['api', 'spec.hosts[0]', 443]]],
  ['the entry is exported everywhere (no exportTo)', replace(API_OK, API_SE, se('api', { ...API_SE.spec, exportTo: undefined })),
    [['api', 'spec.hosts[0]', 443]]],
  ['the TLS route takes only some sources: other connections go straight out', [API_SE, GW,
    vs('api', { ...API_VS.spec, tls: [{ match: [{ gateways: ['mesh'], port: 443, sourceLabels: { app: 'web' } }], route: [to(GW_SVC, 443)] }] })],
  [['api', 'spec.hosts[0]', 443]]],
  ['a first rule sends some sources straight out', [API_SE, GW,
    vs('api', { ...API_VS.spec, tls: [{ match: [{ gateways: ['mesh'], port: 443, sourceLabels: { app: 'web' } }], route: [to(API, 443)] }, ...API_VS.spec.tls] })],
  [['api', 'spec.tls[0].route[0].destination.host', 443]]],
  ['a mirror to another host', [BOOKS_HTTP, BOOKS_TLS, GW, ORIGINATE,
    vs('books', { ...BOOKS_VS.spec, http: [{ ...BOOKS_VS.spec.http[0], mirror: { host: 'collector.example.com', port: { number: 80 } } }, BOOKS_VS.spec.http[1]] })],
  [['books', 'spec.http[0].mirror.host', 80], ['books-http', 'spec.hosts[0]', 80], ['books-http', 'spec.ports[0].protocol', 80]]],
  ['routed through the gateway, but no TLS origination there', [BOOKS_HTTP, BOOKS_TLS, BOOKS_VS, GW], [['books-http', 'spec.ports[0].protocol', 80]]],
  ['TLS originated by a DestinationRule the gateway does not see (the app namespace)', [BOOKS_HTTP, BOOKS_TLS, BOOKS_VS, GW, dr('originate-books', ORIGINATE.spec, 'shop')],
    [['books-http', 'spec.ports[0].protocol', 80]]],
  ['TLS originated for other workloads (workloadSelector)', [BOOKS_HTTP, BOOKS_TLS, BOOKS_VS, GW, dr('originate-books', { ...ORIGINATE.spec, workloadSelector: { matchLabels: { app: 'web' } } })],
    [['books-http', 'spec.ports[0].protocol', 80]]],
  ['TLS originated on another port', [BOOKS_HTTP, BOOKS_TLS, BOOKS_VS, GW,
    dr('originate-books', { ...ORIGINATE.spec, trafficPolicy: { portLevelSettings: [{ port: { number: 80 }, tls: { mode: 'SIMPLE' } }] } })],
  [['books-http', 'spec.ports[0].protocol', 80]]],
  ['mesh mTLS is not TLS to the host', [BOOKS_HTTP, BOOKS_TLS, BOOKS_VS, GW, dr('originate-books', { ...ORIGINATE.spec, trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } })],
    [['books-http', 'spec.ports[0].protocol', 80]]],
  ['TCP is plaintext unless TLS is originated', [GW,
    se('db', { hosts: ['db.example.com'], exportTo: ['.', 'shop'], ports: [{ number: 5432, name: 'tcp', protocol: 'TCP' }] }),
    vs('db', {
      hosts: ['db.example.com'],
      gateways: [GW_REF, 'mesh'],
      exportTo: ['.', 'shop'],
      tcp: [{ match: [{ gateways: ['mesh'], port: 5432 }], route: [to(GW_SVC, 443)] }, { match: [{ gateways: [GW_REF], port: 443 }], route: [to('db.example.com', 5432)] }],
    }),
    gateway(['./db.example.com'])],
  [['db', 'spec.ports[0].protocol', 5432]]],
  ['a mesh route bound only to the gateway', [API_SE, GW,
    vs('api', { ...API_VS.spec, tls: [{ match: [{ gateways: [GW_REF], port: 443 }], route: [to(GW_SVC, 443)] }] })],
  [['api', 'spec.hosts[0]', 443]]],
  ['a port without a protocol', [se('x', { hosts: [API], exportTo: ['.'], ports: [{ number: 8080, name: 'x' }] })],
    [['x', 'spec.hosts[0]', 8080], ['x', 'spec.ports[0]', 8080]]],
  ['an HTTP host whose TLS port is exported to the callers too (what EgressGateway wrote before the fix)', [
    se('books', { hosts: [BOOKS], exportTo: ['.', 'shop'], ports: [{ number: 80, name: 'http', protocol: 'HTTP' }, { number: 443, name: 'https', protocol: 'HTTPS' }] }),
    BOOKS_VS, ORIGINATE, GW,
  ],
  [['books', 'spec.hosts[0]', 443]]],
];

function egressChart(originated: boolean) {
  const chart = Testing.chart();
  new MeshBaseline(chart, 'mesh');
  const shop = new HardenedNamespace(chart, 'shop', { name: 'shop' });
  const details = new SecureService(chart, 'details', {
    namespace: shop, image: `gcr.io/acme/app@sha256:${'a'.repeat(64)}`, ports: [{ name: 'http', port: 9080, protocol: AppProtocol.HTTP }],
  });
  const egress = new EgressGateway(chart, 'egress');
  egress.allowExternal(ExternalHost.https(API), { from: [details] });
  egress.allowExternal(ExternalHost.https('db.example.com', 5432), { from: [details] });
  if (originated) egress.allowExternal(ExternalHost.httpsOriginated(BOOKS, { caCredentialName: 'books-ca' }), { from: [details] });
  return chart;
}

describe('MESH-EGRESS-003 external hosts go through the egress gateway, plaintext only with TLS originated there (EGRESS-1)', () => {
  test('metadata: checkAll only, no admission form', () => {
    expect(rule.id).toBe('MESH-EGRESS-003');
    expect(rule.practices).toEqual(['EGRESS-1']);
    expect(rule.severity).toBe(RuleSeverity.ERROR);
    expect(rule.since).toBe('2');
    expect(rule.kinds).toEqual([]);
    expect(rule.admission).toBeUndefined();
    expect(rule.check(API_SE, ruleContext([API_SE]))).toEqual([]);
  });

  test.each(GOOD)('passes: %s', (_n, objects) => expect(run(objects)).toEqual([]));

  test.each(BAD)('fails: %s', (_n, objects, expected) => expect(run(objects)).toEqual(expected));

  test('messages say where the traffic goes and what is missing', () => {
    const messages = (objects: RuleObject[]) => rule.checkAll!(ruleContext(objects)).map((f) => f.violation.message);
    expect(messages([BOOKS_HTTP])).toEqual([
      'books.example.com port 80 (HTTP) is reached directly from namespaces istio-system, shop: no VirtualService bound to mesh sends all of its traffic there to an egress gateway',
      'port 80 of books.example.com is HTTP, not TLS or HTTPS, and not all of its traffic leaves through an egress gateway that originates TLS: '
      + 'the application\'s plaintext would leave the mesh',
    ]);
    expect(messages(BAD[2][1])[0]).toBe('sends the external host books.example.com (port 80) from sidecars to books.example.com, which is not an egress gateway for it '
      + '(no Gateway for the host in its namespace with a VirtualService forwarding it): the traffic bypasses the egress gateway');
    expect(messages([BOOKS_HTTP, BOOKS_TLS, BOOKS_VS, GW])).toEqual([
      'port 80 of books.example.com is HTTP, not TLS or HTTPS, and the egress gateway Gateway/istio-system/istio-egressgateway forwards it without originating TLS '
      + '(no DestinationRule with tls mode SIMPLE or MUTUAL for the host and port, visible at the gateway): the application\'s plaintext would leave the mesh',
    ]);
    expect(messages(BAD[6][1])).toEqual([
      'api.example.com port 443 (TLS) is reached directly from namespace web: no VirtualService bound to mesh sends all of its traffic there to an egress gateway',
    ]);
    expect(messages(BAD[7][1])[0]).toContain('is reached directly from every namespace');
  });

  test('a route reported once, however many entries and ports lead to it', () => {
    const second = se('api-2', { ...API_SE.spec });
    const direct = vs('direct', { hosts: [API], exportTo: ['.', 'shop'], tls: [{ match: [{ port: 443 }], route: [to(API, 443)] }] });
    expect(run([API_SE, second, direct])).toEqual([
      ['direct', 'spec.tls[0].route[0].destination.host', 443], ['api', 'spec.hosts[0]', 443], ['api-2', 'spec.hosts[0]', 443],
    ]);
  });

  test('every host of an entry is judged', () => {
    const two = se('two', { ...API_SE.spec, hosts: [API, 'other.example.com'] });
    expect(run([two, API_VS, GW])).toEqual([['two', 'spec.hosts[1]', 443]]);
  });

  test.each([
    ['*', true], ['*.example.com', true], [API, true], ['API.example.com', true], ['*.other.com', false], ['example.com', false],
  ])('hostCovers(%j, api.example.com) is %s', (pattern, expected) => expect(hostCovers(pattern as string, API)).toBe(expected));

  test.each([
    ['ServiceEntry spec null', [{ ...API_SE, spec: null }]],
    ['ports and hosts of odd shapes', [se('x', { hosts: 'a', ports: 'b' }), se('y', { hosts: [1, null, API], ports: [null, 'x', { number: '443' }, { number: 1.5 }, { number: 443, protocol: 7 }] })]],
    ['VirtualService sections of odd shapes', [API_SE, GW, vs('api', { hosts: [API], gateways: 'mesh', exportTo: 'shop', http: 'x', tls: [null, { match: 'x', route: 'y' }, { match: [null], route: [null, { destination: { host: 1 } }] }], tcp: {} })]],
    ['Gateway and DestinationRule of odd shapes', [BOOKS_HTTP, BOOKS_VS, object('Gateway', 'g', { servers: [null, { hosts: 'x' }], selector: 'x' }), { ...GW, spec: null },
      dr('d', { host: BOOKS, trafficPolicy: 'x', subsets: 'y' }), dr('e', { host: 1 }), dr('f', { host: BOOKS, workloadSelector: { matchLabels: 'x' }, trafficPolicy: { portLevelSettings: [null, { port: 'x' }] } })]],
    ['objects without metadata', [{ apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', spec: { hosts: [API], ports: [{ number: 443, protocol: 'TLS' }] } },
      { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', spec: { hosts: [API], tls: [{ route: [to('gw', 443)] }] } }]],
  ])('odd shape does not throw: %s', (_n, objects) => {
    expect(() => rule.checkAll!(ruleContext(objects as RuleObject[]))).not.toThrow();
  });

  test('other kinds are ignored', () => {
    expect(run([{ ...API_SE, kind: 'WorkloadEntry' }, { ...API_SE, apiVersion: 'example.com/v1' }])).toEqual([]);
  });

  describe('what the library writes', () => {
    test('EgressGateway with hosts the applications speak TLS to passes, and so does the blueprint', () => {
      expect(rule.checkAll!(ruleContext(synthValidated(egressChart(false))))).toEqual([]);
      expect(rule.checkAll!(ruleContext(synthValidated(new BlueprintChart(Testing.app(), 'blueprint'))))).toEqual([]);
    });

    /*
     * Regression: this rule found that EgressGateway wrote, for ExternalHost.httpsOriginated, one
     * ServiceEntry with the application's HTTP port and the host's TLS port, exported to the
     * callers' namespaces, whose mesh route covered only the HTTP port: the callers' sidecars could
     * open the TLS port straight to the host. EgressGateway now registers the TLS port in an entry
     * visible in the gateway namespace only, and the callers' entry (HTTP port only) is not exported
     * there, so no namespace sees two entries of the host (Istio would not merge them).
     */
    test('EgressGateway with an httpsOriginated host passes', () => {
      expect(rule.checkAll!(ruleContext(synthValidated(egressChart(true))))).toEqual([]);
    });

    test('regression: the TLS port of an httpsOriginated host is visible in the gateway namespace only, in every library app', () => {
      const entries = synthValidated(egressChart(true)).filter((o) => o.kind === 'ServiceEntry' && o.spec.hosts.includes(BOOKS));
      expect(entries.map((e) => [e.metadata.name, e.spec.exportTo, e.spec.ports.map((p: any) => p.number)])).toEqual([
        ['egress-books-example-com', ['shop'], [80]],
        ['originate-tls-books-example-com', ['.'], [80, 443]],
      ]);
      const apps = libraryApps();
      expect(apps.some((app) => app.objects.some((o) => o.kind === 'ServiceEntry' && o.metadata?.name === 'originate-tls-books-example-com'))).toBe(true);
      for (const app of apps) {
        const found = rule.checkAll!(app.ctx).map((f) => [f.object?.metadata?.name, f.violation.path, f.violation.port]);
        expect([app.name, found]).toEqual([app.name, []]);
      }
    });
  });

  describe('in synthesis', () => {
    test('a JSON patch sending EgressGateway\'s mesh route straight to the host fails', () => {
      const chart = egressChart(false);
      const route = chart.node.findAll().find((c) => c instanceof ApiObject && c.kind === 'VirtualService' && c.metadata.name === 'egress-api-example-com') as ApiObject;
      route.addJsonPatch(JsonPatch.replace('/spec/tls/0/route/0/destination', { host: API, port: { number: 443 } }));
      expect(() => Testing.synth(chart)).toThrow(
        /MESH-EGRESS-003 \(EGRESS-1\): \[test\/egress\/api\.example\.com\/VirtualService\] VirtualService\/istio-system\/egress-api-example-com spec\.tls\[0\]\.route\[0\]\.destination\.host: sends the external host api\.example\.com/);
    });

    test('a JSON patch declaring EgressGateway\'s TLS port TCP fails', () => {
      const chart = egressChart(false);
      const entry = chart.node.findAll().find((c) => c instanceof ApiObject && c.kind === 'ServiceEntry' && c.metadata.name === 'egress-db-example-com') as ApiObject;
      entry.addJsonPatch(JsonPatch.replace('/spec/ports/0/protocol', 'TCP'));
      expect(() => Testing.synth(chart)).toThrow(
        /MESH-EGRESS-003 \(EGRESS-1\): \[test\/egress\/db\.example\.com\/ServiceEntry\] ServiceEntry\/istio-system\/egress-db-example-com spec\.(hosts\[0\]|ports\[0\]\.protocol)/);
    });

    test('a raw ServiceEntry next to the library\'s fails', () => {
      const chart = egressChart(false);
      new ApiObject(chart, 'direct', se('direct', { hosts: ['files.example.com'], exportTo: ['.'], ports: [{ number: 443, name: 'tls', protocol: 'TLS' }] }, 'shop') as any);
      expect(() => Testing.synth(chart)).toThrow(/MESH-EGRESS-003 \(EGRESS-1\): \[test\/direct\] ServiceEntry\/shop\/direct spec\.hosts\[0\]: files\.example\.com port 443 \(TLS\) is reached directly/);
    });
  });
});

/*
 * The external corpus labels no egress routing (its ASM bundle has no egress samples). The real
 * applications in it register external hosts for direct access from their sidecars: Bookinfo's
 * googleapis entry (with TLS originated by the sidecar) and Online Boutique's googleapis and
 * metadata-server entries. EGRESS-1 routes external hosts through an egress gateway, so all are
 * reported: deliberately stricter than the applications' authors.
 */
describeWithShared('external-corpus/apps', 'the external corpus: applications reaching external hosts directly', (apps) => {
  const load = (relative: string) => corpusObjects(path.join(apps, relative)).map((c) => c.object);
  const found = (objects: RuleObject[]) => rule.checkAll!(ruleContext(objects))
    .map((f) => [f.object?.metadata?.name, f.violation.path, f.violation.port]);

  test('Bookinfo: its port-rewrite route and both ports of its entry are reported', () => {
    expect(found(load('bookinfo').filter((o) => ['ServiceEntry', 'VirtualService', 'DestinationRule', 'Gateway'].includes(String(o.kind))))).toEqual([
      ['rewrite-port-for-googleapis', 'spec.http[0].route[0].destination.host', 80],
      ['googleapis', 'spec.hosts[0]', 80],
      ['googleapis', 'spec.ports[0].protocol', 80],
      ['googleapis', 'spec.hosts[0]', 443],
    ]);
  });

  test('Online Boutique: every host and port of its entries is reported', () => {
    expect(found(load('boutique').filter((o) => o.kind === 'ServiceEntry'))).toEqual([
      ['allow-egress-googleapis', 'spec.hosts[0]', 80],
      ['allow-egress-googleapis', 'spec.ports[0].protocol', 80],
      ['allow-egress-googleapis', 'spec.hosts[0]', 443],
      ['allow-egress-googleapis', 'spec.hosts[1]', 80],
      ['allow-egress-googleapis', 'spec.ports[0].protocol', 80],
      ['allow-egress-googleapis', 'spec.hosts[1]', 443],
      ['allow-egress-google-metadata', 'spec.hosts[0]', 80],
      ['allow-egress-google-metadata', 'spec.ports[0].protocol', 80],
      ['allow-egress-google-metadata', 'spec.hosts[0]', 443],
    ]);
  });
});
