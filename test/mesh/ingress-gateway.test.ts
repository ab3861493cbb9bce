import { Testing } from 'cdk8s';
import * as fc from 'fast-check';
import { AppProtocol } from '../../src/mesh/app-protocol';
import { EdgeProtection } from '../../src/mesh/edge-protection';
import { GatewayTls, TlsVersion } from '../../src/mesh/gateway-tls';
import { ExternalJwtIssuer, IngressGateway, IngressGatewayProps, admittedAndRoutedByVirtualService } from '../../src/mesh/ingress-gateway';
import { MeshBaseline } from '../../src/mesh/mesh-baseline';
import { PolicyException } from '../../src/policy/policy-exception';
import { Validation } from '../../src/validation/validation';
import { HardenedNamespace } from '../../src/workload/hardened-namespace';
import { SecureService } from '../../src/workload/secure-service';
import { findObject, inDays, ofKind, synthValidated } from '../helpers';

const IMAGE = `gcr.io/acme/app@sha256:${'a'.repeat(64)}`;
const HTTP = [{ name: 'http', port: 80, targetPort: 8080, protocol: AppProtocol.HTTP }];
const EXTERNAL: ExternalJwtIssuer = { issuer: 'https://login.acme.example', jwksUri: 'https://login.acme.example/jwks.json', audiences: ['shop'] };
/** Anonymous access at the edge is an explicit, owned, expiring exception. */
function publicDocs(gw: IngressGateway): PolicyException {
  return new PolicyException(gw, 'public-docs', {
    rules: ['MESH-AUTHZ-004'],
    justification: 'Product documentation is public by design and carries no customer data.',
    owner: 'team-docs@acme.example',
    expires: inDays(gw, 60),
    objects: [`AuthorizationPolicy/${gw.namespace}/${gw.gatewayName}`],
  });
}
const INTERNAL = { issuer: 'https://sts.mesh.acme.example', jwksUri: 'https://sts.mesh.acme.example/jwks.json', audiences: ['web'] };

function world(props: Partial<IngressGatewayProps> = {}) {
  const chart = Testing.chart();
  new MeshBaseline(chart, 'mesh');
  const ns = new HardenedNamespace(chart, 'shop', { name: 'shop' });
  const web = new SecureService(chart, 'web', { namespace: ns, image: IMAGE, ports: HTTP });
  const gw = new IngressGateway(chart, 'edge', { hosts: ['shop.acme.example'], tls: GatewayTls.simple('shop-tls'), externalIssuers: [EXTERNAL], ...props });
  return { chart, ns, web, gw };
}

describe('IngressGateway', () => {
  test('a route to a service of another repository: the route and the edge rule here, nothing in the service\'s namespace', () => {
    const { chart, gw } = world({ tokenExchange: { provider: 'sts', internalIssuer: INTERNAL } });
    const imported = SecureService.fromAttributes(chart, 'ext', { namespace: 'team-a', name: 'shop', ports: HTTP });
    const grant = gw.route(imported, { host: 'shop.acme.example', methods: ['GET'], paths: ['/cart/*'] });
    const objects = synthValidated(chart);
    expect(findObject(objects, 'VirtualService', 'edge', 'istio-system').spec.http.map((r: any) => r.route[0].destination.host))
      .toEqual(['shop.team-a.svc.cluster.local']);
    expect(findObject(objects, 'AuthorizationPolicy', 'edge', 'istio-system').spec.rules[0].to[0].operation).toEqual({ hosts: ['shop.acme.example'], paths: ['/cart/*'], methods: ['GET'] });
    expect(objects.filter((o) => o.metadata.namespace === 'team-a')).toEqual([]);
    expect(grant.objects).toEqual([]);
  });

  test('shape', () => {
    const { chart, gw, web } = world({ tokenExchange: { provider: 'sts', internalIssuer: INTERNAL } });
    gw.route(web, { host: 'shop.acme.example', methods: ['GET'], paths: ['/', '/assets/*'] });
    expect(synthValidated(chart).filter((o) => o.metadata.namespace === 'istio-system' && o.metadata.name.startsWith('edge'))).toMatchSnapshot();
  });

  test('shape at the edge: health checks, the redirect rule, Cloud Armor through a GKE Ingress', () => {
    const chart = Testing.chart();
    new MeshBaseline(chart, 'mesh');
    const ns = new HardenedNamespace(chart, 'shop', { name: 'shop' });
    const web = new SecureService(chart, 'web', { namespace: ns, image: IMAGE, ports: HTTP });
    const redirect = new PolicyException(chart, 'redirect', {
      rules: ['MESH-AUTHZ-004'],
      justification: 'Port 80 only answers with a redirect to HTTPS; it routes nothing, so anonymous clients reach no backend.',
      owner: 'team-edge@acme.example',
      expires: inDays(chart, 90),
      objects: ['AuthorizationPolicy/istio-system/edge-https-redirect'],
    });
    const gw = new IngressGateway(chart, 'edge', {
      hosts: ['shop.acme.example'],
      tls: GatewayTls.simple('shop-tls'),
      externalIssuers: [EXTERNAL],
      httpsRedirectException: redirect,
      edgeProtection: EdgeProtection.gkeIngressBackendConfig({ securityPolicy: 'shop-waf' }),
    });
    gw.route(web, { host: 'shop.acme.example', paths: ['/account/*'] });
    const objects = Testing.synth(chart);
    // The pinned CRDs do not serve GKE's BackendConfig; everything else passes the harness.
    Validation.assertValid(objects.filter((o) => o.kind !== 'BackendConfig'));
    const edge = objects.filter((o) => o.metadata.namespace === 'istio-system' && o.metadata.name.startsWith('edge'));
    // The exception stamp carries a date relative to today: snapshot it without the date.
    expect(JSON.parse(JSON.stringify(edge).replace(/MESH-AUTHZ-004@\d{4}-\d{2}-\d{2}/g, 'MESH-AUTHZ-004@<expires>'))).toMatchSnapshot();
  });

  test('INGRESS-1: HTTPS with TLS 1.2+ from a Secret; port 80 closed by default; no other listener', () => {
    const { chart } = world();
    const objects = synthValidated(chart);
    expect(findObject(objects, 'Gateway', 'edge', 'istio-system').spec.servers).toEqual([
      { port: { number: 443, name: 'https', protocol: 'HTTPS' }, hosts: ['shop.acme.example'], tls: { mode: 'SIMPLE', credentialName: 'shop-tls', minProtocolVersion: 'TLSV1_2' } },
    ]);
    expect(findObject(objects, 'NetworkPolicy', 'edge-ingress', 'istio-system').spec.ingress).toEqual([{ ports: [{ protocol: 'TCP', port: 8443 }] }]);
  });

  test('with the redirect exception, port 80 only redirects', () => {
    const chart0 = Testing.chart();
    const httpsRedirectException = new PolicyException(chart0, 'redirect', {
      rules: ['MESH-AUTHZ-004'],
      justification: 'Port 80 only answers with a redirect to HTTPS; it routes nothing, so anonymous clients reach no backend.',
      owner: 'team-edge@acme.example',
      expires: inDays(chart0, 30),
      objects: ['AuthorizationPolicy/istio-system/edge-https-redirect'],
    });
    new MeshBaseline(chart0, 'mesh');
    new IngressGateway(chart0, 'edge', { hosts: ['shop.acme.example'], tls: GatewayTls.simple('shop-tls'), httpsRedirectException });
    expect(findObject(synthValidated(chart0), 'Gateway', 'edge', 'istio-system').spec.servers[1])
      .toEqual({ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['shop.acme.example'], tls: { httpsRedirect: true } });
  });

  test('httpsRedirect without its exception is refused: the redirect would answer 403', () => {
    const { chart } = world();
    expect(() => new IngressGateway(chart, 'edge2', { hosts: ['b.acme.example'], tls: GatewayTls.simple('b-tls'), httpsRedirect: true }))
      .toThrow(/\[test\/edge2\] httpsRedirect: the redirect would answer 403 to every request without a token.*Give httpsRedirectException .*AuthorizationPolicy\/istio-system\/edge2-https-redirect/);
  });

  test('TLS 1.3, mutual TLS, no redirect listener', () => {
    const { chart } = world({ tls: GatewayTls.mutual('shop-tls', 'shop-tls-cacert'), minProtocolVersion: TlsVersion.TLSV1_3, httpsRedirect: false });
    const objects = synthValidated(chart);
    expect(findObject(objects, 'Gateway', 'edge', 'istio-system').spec.servers).toEqual([
      expect.objectContaining({ tls: { mode: 'MUTUAL', credentialName: 'shop-tls', minProtocolVersion: 'TLSV1_3' } }),
    ]);
    expect(findObject(objects, 'NetworkPolicy', 'edge-ingress', 'istio-system').spec.ingress).toEqual([{ ports: [{ protocol: 'TCP', port: 8443 }] }]);
  });

  test('route = VirtualService route + the same grant on the service (routing and authorization cannot drift)', () => {
    const { chart, gw, web } = world();
    const grant = gw.route(web, { host: 'shop.acme.example', methods: ['GET'], paths: ['/cart', '/assets/*'] });
    const objects = synthValidated(chart);
    expect(findObject(objects, 'VirtualService', 'edge', 'istio-system').spec).toEqual({
      hosts: ['shop.acme.example'],
      gateways: ['edge'],
      exportTo: ['.'],
      http: [{
        name: 'shop-web-0',
        match: [
          { authority: { exact: 'shop.acme.example' }, uri: { prefix: '/assets/' }, method: { exact: 'GET' } },
          { authority: { exact: 'shop.acme.example' }, uri: { exact: '/cart' }, method: { exact: 'GET' } },
        ],
        route: [{ destination: { host: 'web.shop.svc.cluster.local', port: { number: 80 } } }],
      }],
    });
    expect(grant.callerPrincipal).toBe('cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account');
    expect(findObject(objects, 'AuthorizationPolicy', 'web', 'shop').spec.rules).toEqual([{
      from: [{ source: { principals: ['cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account'] } }],
      to: [{ operation: { ports: ['8080'], methods: ['GET'], paths: ['/assets/*', '/cart'] } }],
    }]);
    expect(findObject(objects, 'NetworkPolicy', 'web-ingress', 'shop').spec.ingress).toEqual([{
      from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'istio-system' } }, podSelector: { matchLabels: { istio: 'ingressgateway' } } }],
      ports: [{ protocol: 'TCP', port: 8080 }],
    }]);
  });

  test('USERAUTH-1: every non-public route requires a request principal of an external issuer; public routes are explicit', () => {
    const { chart, gw, ns } = world();
    const docs = new SecureService(chart, 'docs', { namespace: ns, image: IMAGE, ports: HTTP });
    const web = ns.node.scope!.node.findChild('web') as SecureService;
    gw.route(web, { host: 'shop.acme.example', paths: ['/account/*'] });
    gw.route(docs, { host: 'shop.acme.example', paths: ['/docs/*'], methods: ['GET'], publicAccess: publicDocs(gw) });
    const edge = findObject(synthValidated(chart), 'AuthorizationPolicy', 'edge', 'istio-system');
    // The exception is stamped on the object it relaxes.
    expect(edge.metadata.annotations).toEqual({ 'secure-mesh.cdk8s.io/exceptions': `MESH-AUTHZ-004@${inDays(chart, 60)}` });
    const rules = edge.spec.rules;
    expect(rules).toEqual([
      { to: [{ operation: { hosts: ['shop.acme.example'], paths: ['/docs/*'], methods: ['GET'] } }] },
      { from: [{ source: { requestPrincipals: ['https://login.acme.example/*'] } }], to: [{ operation: { hosts: ['shop.acme.example'], paths: ['/account/*'] } }] },
    ]);
  });

  test('no route: the gateway allows nothing', () => {
    const { chart } = world();
    const objects = synthValidated(chart);
    expect(findObject(objects, 'AuthorizationPolicy', 'edge', 'istio-system').spec.rules).toBeUndefined();
    expect(ofKind(objects, 'VirtualService')).toEqual([]);
  });

  test('TOKEN-1: the external token is validated at the edge, not forwarded, exchanged; services accept only the internal issuer', () => {
    const { chart, gw, web } = world({ tokenExchange: { provider: 'sts', internalIssuer: INTERNAL } });
    gw.route(web, { host: 'shop.acme.example' });
    const objects = synthValidated(chart);
    expect(findObject(objects, 'RequestAuthentication', 'edge-jwt', 'istio-system').spec.jwtRules).toEqual([
      { issuer: EXTERNAL.issuer, jwksUri: EXTERNAL.jwksUri, audiences: ['shop'], forwardOriginalToken: false },
    ]);
    expect(findObject(objects, 'AuthorizationPolicy', 'edge-token-exchange', 'istio-system').spec).toEqual({
      selector: { matchLabels: { istio: 'ingressgateway' } }, action: 'CUSTOM', provider: { name: 'sts' }, rules: [{ to: [{ operation: { hosts: ['shop.acme.example'] } }] }],
    });
    expect(web.requiredJwtIssuers).toEqual([INTERNAL.issuer]);
    expect(findObject(objects, 'AuthorizationPolicy', 'web', 'shop').spec.rules[0].from[0].source.requestPrincipals).toEqual(['https://sts.mesh.acme.example/*']);
    expect(JSON.stringify(ofKind(objects, 'RequestAuthentication', 'shop'))).not.toContain('login.acme.example');
  });

  test('outputClaimToHeaders into an application header', () => {
    const { chart } = world({ externalIssuers: [{ ...EXTERNAL, outputClaimToHeaders: [{ claim: 'sub', header: 'x-jwt-sub' }] }] });
    expect(findObject(synthValidated(chart), 'RequestAuthentication', 'edge-jwt', 'istio-system').spec.jwtRules[0].outputClaimToHeaders).toEqual([{ claim: 'sub', header: 'x-jwt-sub' }]);
  });

  test('the gateway is a mesh peer usable in allowFrom', () => {
    const { chart, gw, web } = world({ namespace: 'edge-gw', selector: { app: 'edge' }, serviceAccountName: 'edge' });
    web.allowFrom(gw, { methods: ['GET'] });
    expect(findObject(synthValidated(chart), 'AuthorizationPolicy', 'web', 'shop').spec.rules[0].from[0].source.principals).toEqual(['cluster.local/ns/edge-gw/sa/edge']);
  });

  describe('guards', () => {
    test.each([
      ['a host with a scheme', { hosts: ['https://shop.acme.example'] }, /hosts\[0\]: host "https:\/\/shop.acme.example" must not include a scheme/],
      ['a host with a path', { hosts: ['shop.acme.example/x'] }, /must not include a path/],
      ['a host with a port', { hosts: ['shop.acme.example:443'] }, /must not include a port/],
      ['a wildcard host', { hosts: ['*.acme.example'] }, /must not be a wildcard/],
      ['an invalid DNS name', { hosts: ['shop_acme.example'] }, /invalid DNS labels/],
      ['no hosts', { hosts: [] }, /hosts: no host/],
      ['duplicate hosts', { hosts: ['a.example', 'a.example'] }, /duplicate hosts/],
      ['no TLS', { tls: undefined as any }, /tls: TLS is required/],
      ['port 0', { httpsTargetPort: 0 }, /httpsTargetPort: 0 is not a valid port/],
      ['port over 65535', { httpTargetPort: 70000 }, /httpTargetPort: 70000/],
      ['an issuer that is not https', { externalIssuers: [{ ...EXTERNAL, issuer: 'http://login.acme.example' }] }, /externalIssuers\[0\]\.issuer: "http:\/\/login.acme.example" is not an https URL/],
      ['a JWKS that is not https', { externalIssuers: [{ ...EXTERNAL, jwksUri: 'http://x.example/jwks' }] }, /jwksUri: .* is not an https URL/],
      ['no audience', { externalIssuers: [{ ...EXTERNAL, audiences: [] }] }, /audiences: at least one/],
      ['a claim into authorization', { externalIssuers: [{ ...EXTERNAL, outputClaimToHeaders: [{ claim: 'sub', header: 'Authorization' }] }] }, /"Authorization" is a security-sensitive/],
      ['a claim into x-forwarded-for', { externalIssuers: [{ ...EXTERNAL, outputClaimToHeaders: [{ claim: 'sub', header: 'x-forwarded-for' }] }] }, /security-sensitive/],
      ['a claim into x-envoy-*', { externalIssuers: [{ ...EXTERNAL, outputClaimToHeaders: [{ claim: 'sub', header: 'x-envoy-original-path' }] }] }, /security-sensitive/],
      ['a claim into :authority', { externalIssuers: [{ ...EXTERNAL, outputClaimToHeaders: [{ claim: 'sub', header: ':authority' }] }] }, /not a header name/],
      ['token exchange without external issuer', { externalIssuers: [], tokenExchange: { provider: 'sts', internalIssuer: INTERNAL } }, /tokenExchange: a token exchange needs an external issuer/],
      ['token exchange to the external issuer', { tokenExchange: { provider: 'sts', internalIssuer: { ...INTERNAL, issuer: EXTERNAL.issuer } } }, /internal issuer must differ/],
      ['a gateway name with dots', { name: 'edge.gw' }, /\[test\/edge\] name:/],
    ])('%s', (_what, props, error) => {
      expect(() => world(props as Partial<IngressGatewayProps>)).toThrow(error);
    });

    test('a route to something that is not a mesh service', () => {
      const { gw } = world();
      expect(() => gw.route({ serviceName: 'x' } as any, { host: 'shop.acme.example' }))
        .toThrow(/\[test\/edge\] route.service: the target is neither a mesh service of this app nor a service of another repository/);
    });

    test('a route for a host the gateway does not serve, or a bad port/path/method', () => {
      const { gw, web } = world();
      expect(() => gw.route(web, { host: 'other.example' })).toThrow(/route.host: "other.example" is not served by this gateway/);
      expect(() => gw.route(web, { host: 'shop.acme.example', port: 81 })).toThrow(/route.port: web has no HTTP port 81/);
      expect(() => gw.route(web, { host: 'shop.acme.example', paths: ['/a/../b'] })).toThrow(/route.paths/);
      expect(() => gw.route(web, { host: 'shop.acme.example', methods: ['get'] })).toThrow(/route.methods/);
    });

    test('anonymous access without an exception for MESH-AUTHZ-004', () => {
      const { gw, web, chart } = world();
      const other = new PolicyException(chart, 'other', { rules: ['MESH-EXC-001'], justification: 'An unrelated exception that relaxes something else entirely.', owner: 'x', expires: inDays(chart, 30), objects: ['Deployment/shop/web'] });
      expect(() => gw.route(web, { host: 'shop.acme.example', publicAccess: other }))
        .toThrow(/\[test\/edge\] route.publicAccess: the exception at test\/other does not relax MESH-AUTHZ-004 \(it relaxes MESH-EXC-001\)/);
    });

    test('a public route that would open a token-protected route of the same host, in either order', () => {
      for (const publicFirst of [true, false]) {
        const { gw, web, chart } = world();
        const admin = new SecureService(chart, 'admin', { namespace: web.namespace, image: IMAGE, ports: HTTP });
        const open = () => gw.route(web, { host: 'shop.acme.example', paths: ['/docs/*'], publicAccess: publicDocs(gw) });
        const closed = () => gw.route(admin, { host: 'shop.acme.example', paths: ['/docs/admin'] });
        if (publicFirst) open(); else closed();
        expect(publicFirst ? closed : open).toThrow(/\[test\/edge\] route.paths: on shop.acme.example the public route to web \(\/docs\/\* admits \/docs\/admin\) would let anonymous requests reach shop\/admin/);
      }
    });

    test('without the exception the anonymous ALLOW rule fails synthesis (MESH-AUTHZ-004)', () => {
      const { gw, web, chart } = world();
      const ex = publicDocs(gw);
      gw.route(web, { host: 'shop.acme.example', publicAccess: ex });
      // Narrow the exception to another object: the gateway's ALLOW rule is no longer covered.
      (ex as any).objects = ['AuthorizationPolicy/istio-system/unrelated'];
      expect(() => Testing.synth(chart)).toThrow(/MESH-AUTHZ-004 \(AUTHZ-2\): \[test\/edge\/AuthorizationPolicy\] AuthorizationPolicy\/istio-system\/edge spec.rules\[0\]/);
    });

    test('a protected route on a gateway without issuers', () => {
      const { gw, web } = world({ externalIssuers: [] });
      expect(() => gw.route(web, { host: 'shop.acme.example' })).toThrow(/route.publicAccess: the route needs an end-user token but the gateway accepts no issuer/);
    });

    test('a public route to a service that requires a token', () => {
      const { gw, web } = world({ tokenExchange: { provider: 'sts', internalIssuer: INTERNAL } });
      expect(() => gw.route(web, { host: 'shop.acme.example', publicAccess: publicDocs(gw) })).toThrow(/an anonymous route to it would always be denied/);
    });

    test('a public route whose service later requires a token fails synthesis', () => {
      const { chart, gw, web } = world();
      gw.route(web, { host: 'shop.acme.example', publicAccess: publicDocs(gw) });
      web.requireJwt(INTERNAL);
      expect(() => Testing.synth(chart)).toThrow(/route.publicAccess: web requires a JWT/);
    });

    test('TOKEN-1: a service accepting the external issuer directly fails synthesis', () => {
      const { chart, web } = world();
      web.requireJwt({ issuer: EXTERNAL.issuer, jwksUri: EXTERNAL.jwksUri, audiences: ['shop'] });
      expect(() => Testing.synth(chart)).toThrow(/\[test\/web\] requireJwt.issuer: "https:\/\/login.acme.example" is an external issuer of gateway test\/edge, accepted at the edge only \(TOKEN-1\)/);
    });
  });
});

describe('admittedAndRoutedByVirtualService: the overlap of an ALLOW path and a VirtualService match', () => {
  // Every path of up to four segments over a small alphabet, with and without a trailing slash.
  const universe: string[] = [''];
  for (let depth = 0; depth < 4; depth++) {
    for (const p of [...universe]) for (const seg of ['a', 'b', 'ab']) if (p.split('/').length - 1 === depth) universe.push(`${p}/${seg}`);
  }
  const paths = universe.filter((p) => p !== '').flatMap((p) => [p, `${p}/`]);
  const matches = (pattern: string, p: string) => (pattern.endsWith('*') ? p.startsWith(pattern.slice(0, -1)) : p === pattern);
  const short = fc.constantFrom(...paths.filter((p) => p.split('/').length <= 3));
  const pattern = fc.oneof(short, short.map((p) => `${p.endsWith('/') ? p : `${p}/`}*`), fc.constant('/*'));

  test('property: true exactly when some request path is both admitted and routed', () => {
    fc.assert(fc.property(pattern, pattern, (grant, route) => {
      expect(admittedAndRoutedByVirtualService(grant, route)).toBe(paths.some((p) => matches(grant, p) && matches(route, p)));
    }), { numRuns: 500 });
  });
});
