import { ApiObject, Testing } from 'cdk8s';
import * as fc from 'fast-check';
import { AppProtocol } from '../../src/mesh/app-protocol';
import { DataPlane } from '../../src/mesh/data-plane';
import { admittedAndRouted, httpRouteMatches, pathMatchFor } from '../../src/mesh/gateway-api-http-route';
import { GatewayApiIngress, GatewayApiIngressProps } from '../../src/mesh/gateway-api-ingress';
import { STRONG_CIPHER_SUITES, listenerTlsOptionProblems } from '../../src/mesh/gateway-api-tls';
import { GatewayTls } from '../../src/mesh/gateway-tls';
import { checkHttpPath } from '../../src/mesh/http-match';
import { ExternalJwtIssuer } from '../../src/mesh/ingress-gateway';
import { MeshBaseline } from '../../src/mesh/mesh-baseline';
import { PolicyEnforcement } from '../../src/policy/policy-enforcement';
import { PolicyException } from '../../src/policy/policy-exception';
import { Validation } from '../../src/validation/validation';
import { HardenedNamespace } from '../../src/workload/hardened-namespace';
import { SecureService } from '../../src/workload/secure-service';
import { findObject, inDays, ofKind, synthValidated } from '../helpers';

const IMAGE = `gcr.io/acme/app@sha256:${'a'.repeat(64)}`;
const HTTP = [{ name: 'http', port: 80, targetPort: 8080, protocol: AppProtocol.HTTP }];
const HOST = 'shop.acme.example';
const GW_NS = 'istio-ingress';
const PRINCIPAL = `cluster.local/ns/${GW_NS}/sa/edge-istio`;
const GW_PODS = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': GW_NS } }, podSelector: { matchLabels: { 'gateway.networking.k8s.io/gateway-name': 'edge' } } };
const EXTERNAL: ExternalJwtIssuer = { issuer: 'https://login.acme.example', jwksUri: 'https://login.acme.example/jwks.json', audiences: ['shop'] };
const TARGET_REFS = [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'edge' }];

/** A sidecar mesh: the gateway in its own HardenedNamespace, the web service in `shop`. */
function world(props: Partial<GatewayApiIngressProps> = {}, options: { hardenedGatewayNamespace?: boolean } = {}) {
  const chart = Testing.chart();
  new MeshBaseline(chart, 'mesh');
  const shop = new HardenedNamespace(chart, 'shop', { name: 'shop' });
  if (options.hardenedGatewayNamespace ?? true) new HardenedNamespace(chart, 'ingress', { name: GW_NS });
  const web = new SecureService(chart, 'web', { namespace: shop, image: IMAGE, ports: HTTP });
  const gw = new GatewayApiIngress(chart, 'edge', { hosts: [HOST], tls: GatewayTls.simple('shop-tls'), externalIssuers: [EXTERNAL], ...props });
  return { chart, shop, web, gw };
}

function redirectException(scope: any, objects = [`AuthorizationPolicy/${GW_NS}/edge-https-redirect`]): PolicyException {
  return new PolicyException(scope, 'redirect', {
    rules: ['MESH-AUTHZ-004'],
    justification: 'Port 80 only answers with a redirect to HTTPS; it routes nothing, so anonymous clients reach no backend.',
    owner: 'team-edge@acme.example',
    expires: inDays(scope, 90),
    objects,
  });
}

function publicDocs(gw: GatewayApiIngress): PolicyException {
  return new PolicyException(gw, 'public-docs', {
    rules: ['MESH-AUTHZ-004'],
    justification: 'Product documentation is public by design and carries no customer data.',
    owner: 'team-docs@acme.example',
    expires: inDays(gw, 60),
    objects: [`AuthorizationPolicy/${GW_NS}/edge`],
  });
}

/** What the gateway construct wrote: everything named after it, its routes and reference grants, and the routed service's policies. */
function ours(objects: any[]): any[] {
  return objects.filter((o) => o.metadata.name.startsWith('edge') || o.kind === 'ReferenceGrant'
    || (o.metadata.namespace === 'shop' && ['web', 'web-ingress', 'web-waypoint'].includes(o.metadata.name) && /Policy$/.test(o.kind)));
}

/** Every finding of the last synthesis that no PolicyException covers. */
function uncovered(chart: any): string[] {
  return PolicyEnforcement.of(chart).report.findings.filter((f) => f.exception === undefined).map((f) => `${f.ruleId} ${f.object} ${f.path}: ${f.message}`);
}

const gateway = (objects: any[]) => findObject(objects, 'Gateway', 'edge', GW_NS);
const stamp = (o: any) => JSON.parse(JSON.stringify(o).replace(/MESH-AUTHZ-004@\d{4}-\d{2}-\d{2}/g, 'MESH-AUTHZ-004@<expires>'));

describe('GatewayApiIngress', () => {
  test('shape: two hosts, a cross-namespace route with a token, a public route', () => {
    const { chart, gw, web, shop } = world({ hosts: [HOST, 'docs.acme.example'] });
    const docs = new SecureService(chart, 'docs', { namespace: shop, image: IMAGE, ports: HTTP });
    gw.route(web, { host: HOST, methods: ['GET', 'POST'], paths: ['/cart', '/static/*'] });
    gw.route(docs, { host: 'docs.acme.example', methods: ['GET'], publicAccess: publicDocs(gw) });
    const objects = synthValidated(chart);
    expect(uncovered(chart)).toEqual([]);
    expect(stamp(ours(objects))).toMatchSnapshot();
  });

  test('shape with the redirect, mutual TLS and strong ciphers', () => {
    const chart0 = Testing.chart();
    const ex = redirectException(chart0);
    new MeshBaseline(chart0, 'mesh');
    new HardenedNamespace(chart0, 'ingress', { name: GW_NS });
    new GatewayApiIngress(chart0, 'edge', {
      hosts: [HOST], tls: GatewayTls.mutual('shop-tls', 'shop-tls-cacert'), cipherSuites: ['ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES128-GCM-SHA256'], httpsRedirectException: ex,
    });
    const objects = synthValidated(chart0);
    expect(uncovered(chart0)).toEqual([]);
    expect(stamp(ours(objects))).toMatchSnapshot();
  });

  describe('INGRESS-1: HTTPS only, TLS that nothing written can lower', () => {
    test('one HTTPS listener per host, Terminate with a Secret of the gateway namespace; routes of that namespace only; no port 80', () => {
      const { chart } = world({ hosts: ['b.acme.example', 'a.acme.example'] });
      const objects = synthValidated(chart);
      expect(gateway(objects).spec).toEqual({
        gatewayClassName: 'istio',
        listeners: ['a.acme.example', 'b.acme.example'].map((host) => ({
          name: `https-${host}`,
          hostname: host,
          port: 443,
          protocol: 'HTTPS',
          tls: { mode: 'Terminate', certificateRefs: [{ group: '', kind: 'Secret', name: 'shop-tls' }] },
          allowedRoutes: { namespaces: { from: 'Same' }, kinds: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute' }] },
        })),
      });
      expect(findObject(objects, 'NetworkPolicy', 'edge-ingress', GW_NS).spec.ingress).toEqual([{ ports: [{ protocol: 'TCP', port: 443 }] }]);
      expect(ofKind(objects, 'HTTPRoute')).toEqual([]);
      expect(uncovered(chart)).toEqual([]);
    });

    test('with the redirect exception, port 80 has one route: a 301 to https, no match, no backend', () => {
      const chart = Testing.chart();
      const ex = redirectException(chart);
      new MeshBaseline(chart, 'mesh');
      new HardenedNamespace(chart, 'ingress', { name: GW_NS });
      new GatewayApiIngress(chart, 'edge', { hosts: [HOST], tls: GatewayTls.simple('shop-tls'), httpsRedirectException: ex, httpsPort: 8443 });
      const objects = synthValidated(chart);
      expect(gateway(objects).spec.listeners.map((l: any) => [l.name, l.port, l.protocol, l.tls === undefined])).toEqual([
        [`https-${HOST}`, 8443, 'HTTPS', false], [`http-${HOST}`, 80, 'HTTP', true],
      ]);
      expect(findObject(objects, 'HTTPRoute', 'edge-https-redirect', GW_NS).spec).toEqual({
        parentRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'edge', sectionName: `http-${HOST}` }],
        hostnames: [HOST],
        rules: [{ filters: [{ type: 'RequestRedirect', requestRedirect: { scheme: 'https', statusCode: 301, port: 8443 } }] }],
      });
      // No other route attaches to port 80.
      expect(ofKind(objects, 'HTTPRoute').filter((r) => JSON.stringify(r.spec.parentRefs).includes('"http-'))).toHaveLength(1);
      expect(findObject(objects, 'AuthorizationPolicy', 'edge-https-redirect', GW_NS).spec).toEqual({
        selector: { matchLabels: { 'gateway.networking.k8s.io/gateway-name': 'edge' } },
        action: 'ALLOW',
        rules: [{ to: [{ operation: { ports: ['80'], hosts: [HOST, `${HOST}:80`] } }] }],
      });
      expect(findObject(objects, 'NetworkPolicy', 'edge-ingress', GW_NS).spec.ingress).toEqual([{ ports: [{ protocol: 'TCP', port: 80 }, { protocol: 'TCP', port: 8443 }] }]);
      expect(uncovered(chart)).toEqual([]);
    });

    test('on a port other than 443 the edge rule also matches the Host header with the port', () => {
      const { chart, gw, web } = world({ httpsPort: 8443 });
      gw.route(web, { host: HOST, paths: ['/a'] });
      expect(findObject(synthValidated(chart), 'AuthorizationPolicy', 'edge', GW_NS).spec.rules[0].to[0].operation)
        .toEqual({ hosts: [HOST, `${HOST}:8443`], ports: ['8443'], paths: ['/a'] });
    });

    test('no HTTP listener without the exception; no exception without the redirect; the exception must cover the redirect policy', () => {
      const { chart } = world();
      expect(() => new GatewayApiIngress(chart, 'edge2', { namespace: GW_NS, hosts: ['b.acme.example'], tls: GatewayTls.simple('b-tls'), httpsRedirect: true }))
        .toThrow(/\[test\/edge2\] httpsRedirect: the redirect would answer 403 .*AuthorizationPolicy\/istio-ingress\/edge2-https-redirect/);
      expect(() => new GatewayApiIngress(chart, 'edge3', { hosts: ['b.acme.example'], tls: GatewayTls.simple('b-tls'), httpsRedirect: false, httpsRedirectException: redirectException(chart) }))
        .toThrow(/httpsRedirectException: there is no redirect to open/);
      const chart2 = Testing.chart();
      new MeshBaseline(chart2, 'mesh');
      expect(() => new GatewayApiIngress(chart2, 'edge', { hosts: [HOST], tls: GatewayTls.simple('t'), httpsRedirectException: redirectException(chart2, ['AuthorizationPolicy/istio-ingress/other']) }))
        .toThrow(/httpsRedirectException: the exception at test\/redirect does not cover AuthorizationPolicy\/istio-ingress\/edge-https-redirect/);
    });

    test('TLS options: none for SIMPLE, MUTUAL for mutual, strong ciphers; every listener written passes the option check', () => {
      const simple = gateway(synthValidated(world().chart)).spec.listeners[0].tls;
      expect(simple.options).toBeUndefined();
      const { chart } = world({ tls: GatewayTls.mutual('shop-tls', 'shop-tls'), cipherSuites: [...STRONG_CIPHER_SUITES] });
      const tls = gateway(synthValidated(chart)).spec.listeners[0].tls;
      expect(tls.options).toEqual({ 'gateway.istio.io/tls-terminate-mode': 'MUTUAL', 'gateway.istio.io/tls-cipher-suites': STRONG_CIPHER_SUITES.join(',') });
      expect(listenerTlsOptionProblems(tls.options)).toEqual([]);
      expect(GatewayApiIngress.STRONG_CIPHER_SUITES).toEqual([...STRONG_CIPHER_SUITES]);
    });

    test.each([
      ['static RSA (no forward secrecy)', 'AES128-GCM-SHA256', /"AES128-GCM-SHA256" has no ECDHE key exchange/],
      ['CBC with SHA-1', 'ECDHE-RSA-AES128-SHA', /"ECDHE-RSA-AES128-SHA" is not an AEAD cipher/],
      ['3DES', 'ECDHE-RSA-DES-CBC3-SHA', /uses a broken cipher/],
      ['an equal-preference group', '[ECDHE-ECDSA-AES128-GCM-SHA256|ECDHE-ECDSA-CHACHA20-POLY1305]', /no ECDHE key exchange/],
    ])('cipherSuites refuses %s', (_what, suite, error) => {
      expect(() => world({ cipherSuites: ['ECDHE-RSA-AES128-GCM-SHA256', suite] })).toThrow(new RegExp(`\\[test/edge\\] cipherSuites: .*${error.source}`));
    });

    test('cipherSuites refuses an empty list and duplicates', () => {
      expect(() => world({ cipherSuites: [] })).toThrow(/cipherSuites: the cipher suite list is empty/);
      expect(() => world({ cipherSuites: ['ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES128-GCM-SHA256'] })).toThrow(/listed more than once/);
    });

    test.each<[string, unknown, RegExp | undefined]>([
      ['no options', undefined, undefined],
      ['MUTUAL', { 'gateway.istio.io/tls-terminate-mode': 'MUTUAL' }, undefined],
      ['strong ciphers', { 'gateway.istio.io/tls-cipher-suites': 'ECDHE-RSA-AES256-GCM-SHA384,ECDHE-RSA-CHACHA20-POLY1305' }, undefined],
      ['OPTIONAL_MUTUAL (client certificate optional)', { 'gateway.istio.io/tls-terminate-mode': 'OPTIONAL_MUTUAL' }, /"OPTIONAL_MUTUAL" is not MUTUAL/],
      ['ISTIO_MUTUAL (the mesh certificate)', { 'gateway.istio.io/tls-terminate-mode': 'ISTIO_MUTUAL' }, /not MUTUAL/],
      ['ISTIO_SIMPLE (the mesh certificate)', { 'gateway.istio.io/tls-terminate-mode': 'ISTIO_SIMPLE' }, /not MUTUAL/],
      ['a weak cipher in the list', { 'gateway.istio.io/tls-cipher-suites': 'ECDHE-RSA-AES128-GCM-SHA256,AES128-SHA' }, /"AES128-SHA" has no ECDHE/],
      ['a spaced list', { 'gateway.istio.io/tls-cipher-suites': 'ECDHE-RSA-AES128-GCM-SHA256, ECDHE-RSA-AES256-GCM-SHA384' }, /" ECDHE-RSA-AES256-GCM-SHA384"/],
      ['a minimum version option', { 'gateway.istio.io/tls-min-version': 'TLSV1_0' }, /gateway.istio.io\/tls-min-version is not an option Istio is known to read safely/],
      ['another implementation\'s option', { 'cilium.io/tls-min-version': '1.0' }, /cilium.io\/tls-min-version is not an option/],
      ['a list instead of a map', ['MUTUAL'], /not a map of strings/],
      ['a number as value', { 'gateway.istio.io/tls-cipher-suites': 1 }, /is not a string/],
    ])('listenerTlsOptionProblems: %s', (_what, options, error) => {
      const problems = listenerTlsOptionProblems(options);
      if (error) expect(problems.join('; ')).toMatch(error);
      else expect(problems).toEqual([]);
    });

    test('an Istio Gateway that selects the gateway pods fails synthesis: its servers would bypass these checks', () => {
      const { chart } = world();
      new ApiObject(chart, 'legacy', {
        apiVersion: 'networking.istio.io/v1',
        kind: 'Gateway',
        metadata: { name: 'legacy', namespace: GW_NS },
        spec: { selector: { 'gateway.networking.k8s.io/gateway-name': 'edge' }, servers: [{ port: { number: 8443, name: 'https', protocol: 'HTTPS' }, hosts: ['x.acme.example'], tls: { mode: 'SIMPLE', credentialName: 'x' } }] },
      });
      expect(() => Testing.synth(chart)).toThrow(/\[test\/edge\] test\/legacy: the Istio Gateway istio-ingress\/legacy selects the pods of Gateway API gateway istio-ingress\/edge/);
    });

    test('an Istio Gateway for other pods is left alone', () => {
      const { chart } = world();
      new ApiObject(chart, 'other', {
        apiVersion: 'networking.istio.io/v1',
        kind: 'Gateway',
        metadata: { name: 'other', namespace: GW_NS },
        spec: { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 443, name: 'https', protocol: 'HTTPS' }, hosts: ['x.acme.example'], tls: { mode: 'SIMPLE', credentialName: 'x' } }] },
      });
      expect(() => Testing.synth(chart)).not.toThrow();
    });
  });

  describe('route = grant', () => {
    test('the HTTPRoute, the service\'s ALLOW rule and its NetworkPolicy name the same caller, port, paths and methods', () => {
      const { chart, gw, web } = world();
      const grant = gw.route(web, { host: HOST, methods: ['POST', 'GET'], paths: ['/static/*', '/cart'] });
      const objects = synthValidated(chart);
      expect(findObject(objects, 'HTTPRoute', 'edge-shop-web', GW_NS).spec).toEqual({
        parentRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'edge', sectionName: `https-${HOST}` }],
        hostnames: [HOST],
        rules: [{
          matches: [
            { path: { type: 'Exact', value: '/cart' }, method: 'GET' },
            { path: { type: 'Exact', value: '/cart' }, method: 'POST' },
            { path: { type: 'PathPrefix', value: '/static' }, method: 'GET' },
            { path: { type: 'PathPrefix', value: '/static' }, method: 'POST' },
          ],
          backendRefs: [{ group: '', kind: 'Service', name: 'web', namespace: 'shop', port: 80 }],
        }],
      });
      expect(grant.callerPrincipal).toBe(PRINCIPAL);
      expect(grant.targetPorts).toEqual([8080]);
      expect(findObject(objects, 'AuthorizationPolicy', 'web', 'shop').spec.rules).toEqual([{
        from: [{ source: { principals: [PRINCIPAL] } }],
        to: [{ operation: { ports: ['8080'], methods: ['GET', 'POST'], paths: ['/cart', '/static/*'] } }],
      }]);
      expect(findObject(objects, 'NetworkPolicy', 'web-ingress', 'shop').spec.ingress).toEqual([{ from: [GW_PODS], ports: [{ protocol: 'TCP', port: 8080 }] }]);
      // The gateway side: only DNS, istiod and the routed pods, on their container port.
      expect(findObject(objects, 'NetworkPolicy', 'edge-egress', GW_NS).spec.egress.slice(2)).toEqual([{
        to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'shop' } }, podSelector: { matchLabels: { app: 'web' } } }],
        ports: [{ protocol: 'TCP', port: 8080 }],
      }]);
      // The Service of another namespace is named by exactly this namespace's HTTPRoutes.
      expect(findObject(objects, 'ReferenceGrant', 'gateway-istio-ingress-edge', 'shop').spec).toEqual({
        from: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: GW_NS }],
        to: [{ group: '', kind: 'Service', name: 'web' }],
      });
      expect(uncovered(chart)).toEqual([]);
    });

    test('every path: PathPrefix / on the route, no paths in the grant; the same route twice writes one route and one grant', () => {
      const { chart, gw, web } = world();
      const a = gw.route(web, { host: HOST });
      const b = gw.route(web, { host: HOST });
      expect(b).toBe(a);
      const objects = synthValidated(chart);
      expect(ofKind(objects, 'HTTPRoute')).toHaveLength(1);
      expect(findObject(objects, 'HTTPRoute', 'edge-shop-web', GW_NS).spec.rules[0].matches).toEqual([{ path: { type: 'PathPrefix', value: '/' } }]);
      expect(findObject(objects, 'AuthorizationPolicy', 'web', 'shop').spec.rules).toEqual([{ from: [{ source: { principals: [PRINCIPAL] } }], to: [{ operation: { ports: ['8080'] } }] }]);
    });

    test('a second route to the same service gets its own HTTPRoute and its own grant; a same-namespace service needs no ReferenceGrant', () => {
      const chart = Testing.chart();
      new MeshBaseline(chart, 'mesh');
      const ns = new HardenedNamespace(chart, 'ingress', { name: GW_NS });
      const web = new SecureService(chart, 'web', { namespace: ns, image: IMAGE, ports: HTTP });
      const gw = new GatewayApiIngress(chart, 'edge', { hosts: [HOST], tls: GatewayTls.simple('shop-tls'), externalIssuers: [EXTERNAL] });
      gw.route(web, { host: HOST, paths: ['/a'] });
      gw.route(web, { host: HOST, paths: ['/b'], methods: ['GET'] });
      const objects = synthValidated(chart);
      expect(ofKind(objects, 'HTTPRoute').map((r) => r.metadata.name)).toEqual(['edge-istio-ingress-web', 'edge-istio-ingress-web-2']);
      expect(findObject(objects, 'HTTPRoute', 'edge-istio-ingress-web', GW_NS).spec.rules[0].backendRefs).toEqual([{ group: '', kind: 'Service', name: 'web', port: 80 }]);
      expect(ofKind(objects, 'ReferenceGrant')).toEqual([]);
      expect(findObject(objects, 'AuthorizationPolicy', 'web', GW_NS).spec.rules).toHaveLength(2);
      expect(uncovered(chart)).toEqual([]);
    });

    test('two services of one namespace share one ReferenceGrant that names both, and nothing else', () => {
      const { chart, gw, web, shop } = world();
      const api = new SecureService(chart, 'api', { namespace: shop, image: IMAGE, ports: HTTP });
      gw.route(web, { host: HOST, paths: ['/'] });
      gw.route(api, { host: HOST, paths: ['/api/*'] });
      const grants = ofKind(synthValidated(chart), 'ReferenceGrant');
      expect(grants.map((g) => [g.metadata.namespace, g.spec.to.map((t: any) => t.name)])).toEqual([['shop', ['api', 'web']]]);
    });

    test('no ALLOW rule anywhere names the caller "*"', () => {
      const { chart, gw, web, shop } = world();
      const docs = new SecureService(chart, 'docs', { namespace: shop, image: IMAGE, ports: HTTP });
      gw.route(web, { host: HOST, paths: ['/account/*'] });
      gw.route(docs, { host: HOST, paths: ['/docs/*'], publicAccess: publicDocs(gw) });
      const sources = ofKind(synthValidated(chart), 'AuthorizationPolicy').flatMap((p) => (p.spec.rules ?? []).flatMap((r: any) => (r.from ?? []).map((f: any) => f.source)));
      for (const s of sources) {
        expect(s.principals ?? []).not.toContain('*');
        expect(s.requestPrincipals ?? []).not.toContain('*');
      }
    });

    test('the gateway is a mesh peer: its identity is the ServiceAccount Istio deploys, its pods are the Gateway\'s', () => {
      const { gw } = world({ name: 'front', namespace: 'edge-gw' }, { hardenedGatewayNamespace: false });
      expect(gw.peerPrincipal.principalIn('cluster.local')).toBe('cluster.local/ns/edge-gw/sa/front-istio');
      expect(gw.peerNamespace).toBe('edge-gw');
      expect(gw.peerPodLabels).toEqual({ 'gateway.networking.k8s.io/gateway-name': 'front' });
      expect(gw.deploymentName).toBe('front-istio');
    });
  });

  describe('JWT at the edge (JWT-1, TOKEN-1, USERAUTH-1)', () => {
    test('RequestAuthentication and ALLOW policy attach to the Gateway; the token is validated and not forwarded', () => {
      const { chart, gw, web } = world({ externalIssuers: [{ ...EXTERNAL, outputClaimToHeaders: [{ claim: 'sub', header: 'x-jwt-sub' }] }] });
      gw.route(web, { host: HOST, paths: ['/account/*'] });
      const objects = synthValidated(chart);
      expect(findObject(objects, 'RequestAuthentication', 'edge-jwt', GW_NS).spec).toEqual({
        targetRefs: TARGET_REFS,
        jwtRules: [{ ...EXTERNAL, forwardOriginalToken: false, outputClaimToHeaders: [{ claim: 'sub', header: 'x-jwt-sub' }] }],
      });
      expect(findObject(objects, 'AuthorizationPolicy', 'edge', GW_NS).spec).toEqual({
        targetRefs: TARGET_REFS,
        action: 'ALLOW',
        rules: [{ from: [{ source: { requestPrincipals: ['https://login.acme.example/*'] } }], to: [{ operation: { hosts: [HOST], ports: ['443'], paths: ['/account/*'] } }] }],
      });
    });

    test('every non-public route requires a request principal; a public route is explicit and stamped with its exception', () => {
      const { chart, gw, web, shop } = world();
      const docs = new SecureService(chart, 'docs', { namespace: shop, image: IMAGE, ports: HTTP });
      gw.route(web, { host: HOST, paths: ['/account/*'] });
      gw.route(docs, { host: HOST, paths: ['/docs/*'], methods: ['GET'], publicAccess: publicDocs(gw) });
      const edge = findObject(synthValidated(chart), 'AuthorizationPolicy', 'edge', GW_NS);
      expect(edge.metadata.annotations).toEqual({ 'secure-mesh.cdk8s.io/exceptions': `MESH-AUTHZ-004@${inDays(chart, 60)}` });
      expect(edge.spec.rules).toEqual([
        { to: [{ operation: { hosts: [HOST], ports: ['443'], paths: ['/docs/*'], methods: ['GET'] } }] },
        { from: [{ source: { requestPrincipals: ['https://login.acme.example/*'] } }], to: [{ operation: { hosts: [HOST], ports: ['443'], paths: ['/account/*'] } }] },
      ]);
      expect(uncovered(chart)).toEqual([]);
    });

    test('no route: the gateway allows nothing, and no RequestAuthentication without issuers', () => {
      const { chart } = world({ externalIssuers: [] });
      const objects = synthValidated(chart);
      expect(findObject(objects, 'AuthorizationPolicy', 'edge', GW_NS).spec).toEqual({ targetRefs: TARGET_REFS, action: 'ALLOW' });
      expect(ofKind(objects, 'RequestAuthentication', GW_NS)).toEqual([]);
    });

    test('without its exception the anonymous rule fails synthesis (MESH-AUTHZ-004)', () => {
      const { gw, web, chart } = world();
      const ex = publicDocs(gw);
      gw.route(web, { host: HOST, publicAccess: ex });
      (ex as any).objects = [`AuthorizationPolicy/${GW_NS}/unrelated`];
      expect(() => Testing.synth(chart)).toThrow(/MESH-AUTHZ-004 \(AUTHZ-2\): \[test\/edge\/AuthorizationPolicy\] AuthorizationPolicy\/istio-ingress\/edge spec.rules\[0\]/);
    });

    test('TOKEN-1: a mesh service accepting the edge\'s issuer fails synthesis', () => {
      const { chart, gw, web } = world();
      gw.route(web, { host: HOST });
      web.requireJwt({ issuer: EXTERNAL.issuer, jwksUri: EXTERNAL.jwksUri, audiences: ['shop'] });
      expect(() => Testing.synth(chart)).toThrow(/MESH-TOKEN-001/);
    });
  });

  describe('both data planes', () => {
    function ambientWorld() {
      const chart = Testing.chart();
      new MeshBaseline(chart, 'mesh', { ambient: true });
      const shop = new HardenedNamespace(chart, 'shop', { name: 'shop', dataPlane: DataPlane.AMBIENT });
      new HardenedNamespace(chart, 'ingress', { name: GW_NS });
      const ports = [{ name: 'http', port: 8080, protocol: AppProtocol.HTTP }];
      const web = new SecureService(chart, 'web', { namespace: shop, image: IMAGE, ports });
      const api = new SecureService(chart, 'api', { namespace: shop, image: IMAGE, ports });
      const gw = new GatewayApiIngress(chart, 'edge', { hosts: [HOST], tls: GatewayTls.simple('shop-tls'), externalIssuers: [EXTERNAL] });
      return { chart, web, api, gw };
    }
    const shopPods = (labels: { [key: string]: string }) => ({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'shop' } }, podSelector: { matchLabels: labels } });

    test('ambient, whole-port route: HBONE (15008) to the pods on both sides; ztunnel admits the gateway\'s identity', () => {
      const { chart, web, gw } = ambientWorld();
      gw.route(web, { host: HOST });
      const objects = synthValidated(chart);
      expect(findObject(objects, 'NetworkPolicy', 'edge-egress', GW_NS).spec.egress.slice(2)).toEqual([{ to: [shopPods({ app: 'web' })], ports: [{ protocol: 'TCP', port: 15008 }] }]);
      expect(findObject(objects, 'NetworkPolicy', 'web-ingress', 'shop').spec.ingress).toEqual([{ from: [GW_PODS], ports: [{ protocol: 'TCP', port: 15008 }] }]);
      expect(findObject(objects, 'AuthorizationPolicy', 'web', 'shop').spec.rules).toEqual([{ from: [{ source: { principals: [PRINCIPAL] } }], to: [{ operation: { ports: ['8080'] } }] }]);
      expect(uncovered(chart)).toEqual([]);
    });

    test('ambient, paths and methods: HBONE to the namespace waypoint, whose policy holds the route\'s grant', () => {
      const { chart, api, gw } = ambientWorld();
      gw.route(api, { host: HOST, paths: ['/api/*'], methods: ['GET'] });
      const objects = synthValidated(chart);
      expect(findObject(objects, 'NetworkPolicy', 'edge-egress', GW_NS).spec.egress.slice(2)).toEqual([{
        to: [shopPods({ 'gateway.networking.k8s.io/gateway-name': 'waypoint' })], ports: [{ protocol: 'TCP', port: 15008 }],
      }]);
      expect(findObject(objects, 'AuthorizationPolicy', 'api-waypoint', 'shop').spec.rules).toEqual([{
        from: [{ source: { principals: [PRINCIPAL] } }], to: [{ operation: { ports: ['8080'], methods: ['GET'], paths: ['/api/*'] } }],
      }]);
      // Istio gateways go through a Service's waypoint only when the Service opts in.
      expect(findObject(objects, 'Service', 'api', 'shop').metadata.labels).toMatchObject({ 'istio.io/use-waypoint': 'waypoint', 'istio.io/ingress-use-waypoint': 'true' });
      expect(uncovered(chart)).toEqual([]);
    });

    test('the gateway itself may not run in an ambient namespace: ztunnel would capture its pods', () => {
      const chart = Testing.chart();
      new MeshBaseline(chart, 'mesh', { ambient: true });
      new HardenedNamespace(chart, 'ingress', { name: GW_NS, dataPlane: DataPlane.AMBIENT });
      new GatewayApiIngress(chart, 'edge', { hosts: [HOST], tls: GatewayTls.simple('shop-tls') });
      expect(() => Testing.synth(chart)).toThrow(/\[test\/edge\] namespace: namespace istio-ingress \(test\/ingress\/Resource\) is ambient: ztunnel would capture the gateway's pods/);
    });

    test('a platform namespace of the app must carry the injection labels (istiod admits only mesh namespaces); one outside the app is trusted', () => {
      const { chart } = world({}, { hardenedGatewayNamespace: false });
      expect(() => synthValidated(chart)).not.toThrow();
      new ApiObject(chart, 'platform-ns', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: GW_NS } });
      expect(() => Testing.synth(chart)).toThrow(/\[test\/edge\] namespace: namespace istio-ingress \(test\/platform-ns\) lacks the mesh's injection labels \(istio-injection=enabled\)/);
    });
  });

  describe('guards', () => {
    test.each<[string, Partial<GatewayApiIngressProps>, RegExp]>([
      ['no hosts', { hosts: [] }, /\[test\/edge\] hosts: no host/],
      ['a wildcard host', { hosts: ['*.acme.example'] }, /hosts\[0\]: host "\*.acme.example" must not be a wildcard/],
      ['a host with a scheme', { hosts: ['https://shop.acme.example'] }, /must not include a scheme/],
      ['a host with a port', { hosts: ['shop.acme.example:443'] }, /must not include a port/],
      ['an IP address', { hosts: ['10.0.0.1'] }, /is an IP address/],
      ['an upper-case host', { hosts: ['Shop.acme.example'] }, /must be lower case/],
      ['duplicate hosts', { hosts: [HOST, HOST] }, /hosts: duplicate hosts/],
      ['more hosts than listeners', { hosts: Array.from({ length: 33 }, (_, i) => `h${i}.acme.example`) }, /33 hosts need up to 66 listeners, over the 64/],
      ['no TLS', { tls: undefined as any }, /tls: TLS is required/],
      ['a name whose Service name is too long', { name: 'a'.repeat(58) }, /name: ".*" gives Istio's Service "a{58}-istio", which/],
      ['a name with dots', { name: 'edge.gw' }, /\[test\/edge\] name:/],
      ['a name starting with a digit', { name: '1edge' }, /\[test\/edge\] name:/],
      ['a Kubernetes system namespace', { namespace: 'kube-system' }, /namespace: "kube-system" belongs to Kubernetes itself/],
      ['an invalid namespace', { namespace: 'Edge' }, /\[test\/edge\] namespace:/],
      ['HTTPS on port 80', { httpsPort: 80 }, /httpsPort: 80 is the redirect port/],
      ['HTTPS on the status port', { httpsPort: 15021 }, /httpsPort: 15021 is one of the gateway proxy's own ports/],
      ['port 0', { httpsPort: 0 }, /httpsPort: 0 is not a valid port/],
      ['a health-check range wider than a /8', { healthCheckSourceRanges: ['0.0.0.0/0'] }, /healthCheckSourceRanges: .*wider than a \/8/],
      ['an issuer that is not https', { externalIssuers: [{ ...EXTERNAL, issuer: 'http://login.acme.example' }] }, /externalIssuers\[0\]\.issuer: "http:\/\/login.acme.example" is not an https URL/],
      ['a JWKS that is not https', { externalIssuers: [{ ...EXTERNAL, jwksUri: 'http://x.example/jwks' }] }, /externalIssuers\[0\]\.jwksUri: .* is not an https URL/],
      ['no audience', { externalIssuers: [{ ...EXTERNAL, audiences: [] }] }, /audiences: at least one non-empty audience/],
      ['a claim into authorization', { externalIssuers: [{ ...EXTERNAL, outputClaimToHeaders: [{ claim: 'sub', header: 'Authorization' }] }] }, /"Authorization" is a security-sensitive/],
      ['a claim into :authority', { externalIssuers: [{ ...EXTERNAL, outputClaimToHeaders: [{ claim: 'sub', header: ':authority' }] }] }, /not a header name/],
      ['an issuer twice', { externalIssuers: [EXTERNAL, { ...EXTERNAL, audiences: ['other'] }] }, /externalIssuers: an issuer is listed twice/],
    ])('%s', (_what, props, error) => {
      expect(() => world(props)).toThrow(error);
    });

    test('a route to a service of another repository: the HTTPRoute, the edge rule and the egress here; its ReferenceGrant is its namespace\'s', () => {
      const { gw, chart } = world();
      const imported = SecureService.fromAttributes(chart, 'ext', { namespace: 'team-a', name: 'shop', ports: HTTP });
      const grant = gw.route(imported, { host: HOST, methods: ['GET'], paths: ['/cart/*'] });
      const objects = synthValidated(chart);
      expect(ofKind(objects, 'HTTPRoute').map((r) => r.spec.rules[0].backendRefs)).toEqual([[{ group: '', kind: 'Service', name: 'shop', namespace: 'team-a', port: 80 }]]);
      expect(ofKind(objects, 'ReferenceGrant')).toEqual([]);
      expect(objects.filter((o) => o.metadata.namespace === 'team-a')).toEqual([]);
      expect(JSON.stringify(findObject(objects, 'NetworkPolicy', 'edge-egress', GW_NS).spec.egress)).toContain('"kubernetes.io/metadata.name":"team-a"');
      expect(grant.objects).toEqual([]);
    });

    test('two gateways of one name in one namespace', () => {
      const { chart } = world();
      expect(() => new GatewayApiIngress(chart, 'edge-again', { name: 'edge', hosts: ['b.acme.example'], tls: GatewayTls.simple('b-tls') }))
        .toThrow(/\[test\/edge-again\] name: Gateway istio-ingress\/edge is already defined at test\/edge/);
    });

    test('route guards', () => {
      const { gw, web, chart, shop } = world();
      const caller = new SecureService(chart, 'caller', { namespace: shop, image: IMAGE, ports: [] });
      const twoPorts = new SecureService(chart, 'two', { namespace: shop, image: IMAGE, ports: [...HTTP, { name: 'admin', port: 81, targetPort: 8081, protocol: AppProtocol.HTTP }] });
      const tcp = new SecureService(chart, 'tcp', { namespace: shop, image: IMAGE, ports: [{ name: 'tcp', port: 5432, protocol: AppProtocol.TCP }] });
      expect(() => gw.route({ serviceName: 'x' } as any, { host: HOST })).toThrow(/\[test\/edge\] route.service: the target is neither a mesh service of this app nor/);
      expect(() => gw.route(web, { host: 'other.acme.example' })).toThrow(/route.host: "other.acme.example" is not served by this gateway/);
      expect(() => gw.route(caller, { host: HOST })).toThrow(/route.service: shop\/caller only calls/);
      expect(() => gw.route(twoPorts, { host: HOST })).toThrow(/route.port: two has 2 HTTP ports/);
      expect(() => gw.route(tcp, { host: HOST })).toThrow(/route.port: tcp has 0 HTTP ports/);
      expect(() => gw.route(web, { host: HOST, port: 81 })).toThrow(/route.port: web has no HTTP port 81/);
      expect(() => gw.route(web, { host: HOST, paths: ['/a/../b'] })).toThrow(/route.paths: .*"\." or "\.\." segments/);
      expect(() => gw.route(web, { host: HOST, paths: ['/a%2Fb'] })).toThrow(/route.paths: .*percent-encoding/);
      expect(() => gw.route(web, { host: HOST, paths: [] })).toThrow(/route.paths: an empty list routes nothing/);
      expect(() => gw.route(web, { host: HOST, methods: ['get'] })).toThrow(/route.methods: .*did you mean "GET"/);
      const many = Array.from({ length: 33 }, (_, i) => `/p${i}`);
      expect(() => gw.route(web, { host: HOST, paths: many, methods: ['GET', 'POST'] })).toThrow(/route: 33 paths × 2 methods make 66 matches, over the 64/);
      // Nothing of a refused route was written.
      expect(ofKind(Testing.synth(chart), 'HTTPRoute')).toEqual([]);
    });

    test('anonymous access needs an exception for MESH-AUTHZ-004; a protected route needs an issuer', () => {
      const { gw, web, chart } = world();
      const other = new PolicyException(chart, 'other', {
        rules: ['MESH-EXC-001'], justification: 'An unrelated exception that relaxes something else entirely.', owner: 'x', expires: inDays(chart, 30), objects: ['Deployment/shop/web'],
      });
      expect(() => gw.route(web, { host: HOST, publicAccess: other })).toThrow(/route.publicAccess: the exception at test\/other does not relax MESH-AUTHZ-004/);
      const noIssuer = world({ externalIssuers: [] });
      expect(() => noIssuer.gw.route(noIssuer.web, { host: HOST })).toThrow(/route.publicAccess: the route needs an end-user token but the gateway accepts no issuer/);
    });

    test('a public route may not admit anonymous requests that a protected route of the host takes, in either order', () => {
      const a = world();
      const docs = new SecureService(a.chart, 'docs', { namespace: a.shop, image: IMAGE, ports: HTTP });
      a.gw.route(a.web, { host: HOST, paths: ['/docs/admin'] });
      expect(() => a.gw.route(docs, { host: HOST, paths: ['/docs/*'], methods: ['GET'], publicAccess: publicDocs(a.gw) }))
        .toThrow(/\[test\/edge\] route.paths: on shop.acme.example the public route to docs \(\/docs\/\* admits \/docs\/admin\) would let anonymous requests reach shop\/web/);
      const b = world();
      const docsB = new SecureService(b.chart, 'docs', { namespace: b.shop, image: IMAGE, ports: HTTP });
      b.gw.route(docsB, { host: HOST, publicAccess: publicDocs(b.gw) });
      expect(() => b.gw.route(b.web, { host: HOST, paths: ['/account/*'] })).toThrow(/the public route to docs \(\/\* admits \/account\/\*\)/);
      // Disjoint paths, other methods, or another host are fine.
      const c = world({ hosts: [HOST, 'docs.acme.example'] });
      const docsC = new SecureService(c.chart, 'docs', { namespace: c.shop, image: IMAGE, ports: HTTP });
      c.gw.route(c.web, { host: HOST, paths: ['/app/*'] });
      c.gw.route(c.web, { host: HOST, paths: ['/docs/edit'], methods: ['POST'] });
      c.gw.route(docsC, { host: HOST, paths: ['/docs/*'], methods: ['GET'], publicAccess: publicDocs(c.gw) });
      c.gw.route(docsC, { host: 'docs.acme.example', publicAccess: c.gw.node.findChild('public-docs') as PolicyException });
      expect(() => synthValidated(c.chart)).not.toThrow();
    });

    test('a public route to a service that requires a token is refused, now or later', () => {
      const a = world();
      a.web.requireJwt({ issuer: 'https://sts.mesh.acme.example', jwksUri: 'https://sts.mesh.acme.example/jwks.json', audiences: ['web'] });
      expect(() => a.gw.route(a.web, { host: HOST, publicAccess: publicDocs(a.gw) })).toThrow(/an anonymous route to it would always be denied/);
      const b = world();
      b.gw.route(b.web, { host: HOST, publicAccess: publicDocs(b.gw) });
      b.web.requireJwt({ issuer: 'https://sts.mesh.acme.example', jwksUri: 'https://sts.mesh.acme.example/jwks.json', audiences: ['web'] });
      expect(() => Testing.synth(b.chart)).toThrow(/\[test\/edge\] route.publicAccess: web requires a JWT, so the public route to shop.acme.example would always be denied/);
    });
  });

  describe('properties', () => {
    const segment = fc.stringMatching(/^[a-z0-9][a-z0-9._~-]{0,7}$/).filter((s) => s !== '.' && s !== '..' && !/^\.+$/.test(s));
    const libraryPath = fc.tuple(fc.array(segment, { minLength: 0, maxLength: 3 }), fc.constantFrom('exact', 'prefix'))
      .map(([segs, kind]) => (kind === 'prefix' ? `/${segs.join('/')}${segs.length ? '/' : ''}*` : `/${segs.join('/')}`))
      .filter((p) => checkHttpPath(p).length === 0);
    const requestPath = fc.array(fc.oneof(segment, fc.constant('')), { minLength: 0, maxLength: 4 }).map((segs) => `/${segs.join('/')}`);

    /** Istio's AuthorizationPolicy `paths` match: exact, or `prefix*`. */
    const grantAdmits = (rule: string, path: string) => (rule.endsWith('*') ? path.startsWith(rule.slice(0, -1)) : path === rule);
    /** Gateway API HTTPRoute path match: Exact, or PathPrefix by whole elements with a trailing "/" ignored. */
    const routeMatches = (m: { type: string; value: string }, path: string) => {
      if (m.type === 'Exact') return path === m.value;
      const prefix = m.value.replace(/\/+$/, '');
      return prefix === '' || path === prefix || path.startsWith(`${prefix}/`);
    };

    test('a route matches every path its grant admits; what it matches beyond is only the bare prefix, which the grant refuses', () => {
      fc.assert(fc.property(libraryPath, requestPath, (rule, path) => {
        const match = pathMatchFor(rule);
        if (grantAdmits(rule, path)) expect(routeMatches(match, path)).toBe(true);
        if (routeMatches(match, path) && !grantAdmits(rule, path)) expect(path).toBe(rule.slice(0, -2));
      }), { numRuns: 500 });
    });

    test('admittedAndRouted misses no request path that a grant admits and a route matches', () => {
      fc.assert(fc.property(libraryPath, libraryPath, requestPath, (grant, route, path) => {
        if (grantAdmits(grant, path) && routeMatches(pathMatchFor(route), path)) expect(admittedAndRouted(grant, route)).toBe(true);
      }), { numRuns: 2000 });
      expect(admittedAndRouted('/docs/*', '/docs/admin')).toBe(true);
      expect(admittedAndRouted('/docs/*', '/docs')).toBe(false);
      expect(admittedAndRouted('/docs/*', '/docs/*')).toBe(true);
      expect(admittedAndRouted('/docs', '/docs/*')).toBe(true);
      expect(admittedAndRouted('/docs/*', '/app/*')).toBe(false);
      expect(admittedAndRouted('/docs/*', '/doc')).toBe(false);
      expect(admittedAndRouted('/doc/*', '/docs/*')).toBe(false);
    });

    test('matches are one per (path, method), and never more than asked', () => {
      fc.assert(fc.property(fc.uniqueArray(libraryPath, { minLength: 1, maxLength: 4 }), fc.subarray(['DELETE', 'GET', 'POST', 'PUT']), (paths, methods) => {
        const matches = httpRouteMatches(paths, methods) as any[];
        expect(matches).toHaveLength(paths.length * Math.max(methods.length, 1));
        for (const m of matches) expect(methods.length === 0 ? m.method === undefined : methods.includes(m.method)).toBe(true);
      }));
    });

    test('any valid set of hosts gives a Gateway and routes the validation harness and the rule pack accept', () => {
      const label = fc.stringMatching(/^[a-z]([-a-z0-9]{0,10}[a-z0-9])?$/);
      const host = fc.array(label, { minLength: 2, maxLength: 4 }).map((l) => l.join('.'));
      fc.assert(fc.property(fc.uniqueArray(host, { minLength: 1, maxLength: 4 }), (hosts) => {
        const { chart, gw, web } = world({ hosts });
        gw.route(web, { host: hosts[0], paths: ['/x/*'] });
        const objects = Testing.synth(chart);
        Validation.assertValid(objects);
        expect(uncovered(chart)).toEqual([]);
        const listeners = gateway(objects).spec.listeners;
        expect(listeners.map((l: any) => l.hostname)).toEqual([...hosts].sort());
        expect(listeners.every((l: any) => l.protocol === 'HTTPS' && l.tls.mode === 'Terminate')).toBe(true);
      }), { numRuns: 15 });
    });
  });
});
