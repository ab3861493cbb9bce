import { Testing } from 'cdk8s';
import { Construct } from 'constructs';
import { AppProtocol } from '../../src/mesh/app-protocol';
import {
  ANONYMOUS_ROUTE_RULE_ID, EdgeRoute, checkExternalIssuer, checkNoAnonymousOverlap, edgeJwtRules, edgeRequestPrincipals, resolveEdgeRoute,
} from '../../src/mesh/edge-auth';
import { ExternalJwtIssuer, RouteOptions } from '../../src/mesh/ingress-gateway';
import { MeshBaseline } from '../../src/mesh/mesh-baseline';
import { PolicyException } from '../../src/policy/policy-exception';
import { HardenedNamespace } from '../../src/workload/hardened-namespace';
import { SecureService } from '../../src/workload/secure-service';
import { ServicePort } from '../../src/workload/service-port';
import { inDays } from '../helpers';

/**
 * What an edge gateway decides about end users and routes, whatever API programs it
 * (src/mesh/edge-auth.ts), called directly with a scope: the IngressGateway and GatewayApiIngress
 * suites check the same decisions through their constructs.
 */

const DIGEST_IMAGE = `registry.acme.example/edge-auth@sha256:${'c'.repeat(64)}`;
const LOGIN: ExternalJwtIssuer = { issuer: 'https://id.acme.example/realms/shop', jwksUri: 'https://id.acme.example/realms/shop/certs', audiences: ['shop-web'] };
const PARTNER: ExternalJwtIssuer = { issuer: 'https://auth.partner.example', jwksUri: 'https://auth.partner.example/.well-known/jwks.json', audiences: ['a', 'b'] };
const HOSTS = ['shop.acme.example', 'api.acme.example'];

const http = (name: string, port: number, protocol = AppProtocol.HTTP): ServicePort => ({ name, port, targetPort: port + 8000, protocol });

/** A mesh with namespace `store` and a scope `edge` standing for the gateway construct. */
function mesh() {
  const chart = Testing.chart();
  new MeshBaseline(chart, 'mesh');
  const store = new HardenedNamespace(chart, 'store', { name: 'store' });
  const scope = new Construct(chart, 'edge');
  const svc = (id: string, ports: ServicePort[]) => new SecureService(chart, id, { namespace: store, image: DIGEST_IMAGE, ports });
  const exception = (rules: string[] = [ANONYMOUS_ROUTE_RULE_ID]) => new PolicyException(chart, `exc-${rules.join('-')}`, {
    rules,
    justification: 'Marketing pages are public by design and serve no customer data at all.',
    owner: 'team-edge@acme.example',
    expires: inDays(chart, 30),
    objects: ['AuthorizationPolicy/istio-system/edge'],
  });
  return { chart, scope, svc, exception };
}

describe('checkExternalIssuer', () => {
  const { scope } = mesh();
  const check = (issuer: Partial<ExternalJwtIssuer>) => () => checkExternalIssuer(scope, 'externalIssuers[1]', { ...LOGIN, ...issuer } as ExternalJwtIssuer);

  test('returns the issuer itself when it is usable', () => {
    const ok = { ...LOGIN, outputClaimToHeaders: [{ claim: 'sub', header: 'X-Jwt-Sub' }, { claim: 'email', header: 'x_user_email' }] };
    expect(checkExternalIssuer(scope, 'externalIssuers[0]', ok)).toBe(ok);
  });

  test.each<[string, Partial<ExternalJwtIssuer>, string]>([
    ['an http issuer', { issuer: 'http://id.acme.example' }, 'externalIssuers[1].issuer: "http://id.acme.example" is not an https URL. External issuers are identified by their https URL'],
    ['an issuer without host', { issuer: 'https://' }, 'externalIssuers[1].issuer: "https://" is not an https URL'],
    ['an issuer with a space', { issuer: 'https://id.acme.example/a b' }, 'externalIssuers[1].issuer: "https://id.acme.example/a b" is not an https URL'],
    ['no issuer', { issuer: undefined }, 'externalIssuers[1].issuer: "undefined" is not an https URL'],
    ['keys over http', { jwksUri: 'http://id.acme.example/certs' }, 'externalIssuers[1].jwksUri: "http://id.acme.example/certs" is not an https URL. Fetch signing keys over https only'],
    ['no keys', { jwksUri: undefined }, 'externalIssuers[1].jwksUri: "undefined" is not an https URL'],
    ['no audience', { audiences: [] }, 'externalIssuers[1].audiences: at least one non-empty audience is required. Name the audience of tokens for this application'],
    ['an empty audience', { audiences: ['shop', ''] }, 'externalIssuers[1].audiences: at least one non-empty audience is required'],
    ['audiences that are not a list', { audiences: 'shop' as any }, 'externalIssuers[1].audiences: at least one non-empty audience is required'],
    ['a claim without name', { outputClaimToHeaders: [{ claim: '', header: 'x-a' }] }, 'externalIssuers[1].outputClaimToHeaders[0].claim: empty claim. Name the claim to copy'],
    ['a header with a space', { outputClaimToHeaders: [{ claim: 'sub', header: 'x sub' }] },
      'externalIssuers[1].outputClaimToHeaders[0].header: "x sub" is not a header name. Use letters, digits, "-" and "_"'],
    ['a pseudo-header', { outputClaimToHeaders: [{ claim: 'sub', header: ':path' }] }, 'externalIssuers[1].outputClaimToHeaders[0].header: ":path" is not a header name'],
    ['no header', { outputClaimToHeaders: [{ claim: 'sub' } as any] }, 'externalIssuers[1].outputClaimToHeaders[0].header: "undefined" is not a header name'],
    ['the second claim into cookie', { outputClaimToHeaders: [{ claim: 'sub', header: 'x-sub' }, { claim: 'sid', header: 'Cookie' }] },
      'externalIssuers[1].outputClaimToHeaders[1].header: "Cookie" is a security-sensitive or well-known header. Write claims into an application header such as "x-jwt-sub"'],
    ['a claim into x-b3-*', { outputClaimToHeaders: [{ claim: 'sub', header: 'x-b3-traceid' }] }, 'externalIssuers[1].outputClaimToHeaders[0].header: "x-b3-traceid" is a security-sensitive or well-known header'],
    ['a claim into x-istio-*', { outputClaimToHeaders: [{ claim: 'sub', header: 'X-Istio-Attributes' }] }, 'externalIssuers[1].outputClaimToHeaders[0].header: "X-Istio-Attributes" is a security-sensitive or well-known header'],
    ['a claim into x-request-id', { outputClaimToHeaders: [{ claim: 'sub', header: 'x-request-id' }] }, 'externalIssuers[1].outputClaimToHeaders[0].header: "x-request-id" is a security-sensitive or well-known header'],
  ])('refuses %s', (_what, issuer, message) => {
    expect(check(issuer)).toThrow(`[test/edge] ${message}`);
  });
});

describe('edgeJwtRules', () => {
  test('one rule per issuer: the token is validated, then never forwarded (TOKEN-1); claims go to the headers named', () => {
    const withClaims = { ...PARTNER, outputClaimToHeaders: [{ claim: 'sub', header: 'x-partner-sub' }, { claim: 'org', header: 'X-Partner-Org' }] };
    expect(edgeJwtRules([LOGIN, withClaims])).toEqual([
      { issuer: LOGIN.issuer, jwksUri: LOGIN.jwksUri, audiences: ['shop-web'], forwardOriginalToken: false },
      {
        issuer: PARTNER.issuer,
        jwksUri: PARTNER.jwksUri,
        audiences: ['a', 'b'],
        forwardOriginalToken: false,
        outputClaimToHeaders: [{ claim: 'sub', header: 'x-partner-sub' }, { claim: 'org', header: 'X-Partner-Org' }],
      },
    ]);
  });

  test('an empty claim list writes no outputClaimToHeaders; the audiences are a copy', () => {
    const [rule] = edgeJwtRules([{ ...LOGIN, outputClaimToHeaders: [] }]) as any[];
    expect(Object.keys(rule)).toEqual(['issuer', 'jwksUri', 'audiences', 'forwardOriginalToken']);
    expect(rule.audiences).not.toBe(LOGIN.audiences);
  });

  test('only claim and header are copied from a claim entry', () => {
    const [rule] = edgeJwtRules([{ ...LOGIN, outputClaimToHeaders: [{ claim: 'sub', header: 'x-sub', extra: 1 } as any] }]) as any[];
    expect(rule.outputClaimToHeaders).toEqual([{ claim: 'sub', header: 'x-sub' }]);
  });

  test('no issuers: no rules', () => {
    expect(edgeJwtRules([])).toEqual([]);
  });
});

describe('edgeRequestPrincipals', () => {
  test('any subject of each issuer, sorted whatever the order of the issuers', () => {
    expect(edgeRequestPrincipals([PARTNER, LOGIN])).toEqual(['https://auth.partner.example/*', 'https://id.acme.example/realms/shop/*']);
    expect(edgeRequestPrincipals([LOGIN, PARTNER])).toEqual(edgeRequestPrincipals([PARTNER, LOGIN]));
    expect(edgeRequestPrincipals([])).toEqual([]);
  });
});

describe('resolveEdgeRoute', () => {
  test('defaults: the only HTTP port, every path, every method, a token required', () => {
    const { scope, svc } = mesh();
    const shop = svc('shop', [http('http', 80), { name: 'tcp-admin', port: 9000, protocol: AppProtocol.TCP }]);
    const r = resolveEdgeRoute(scope, HOSTS, [LOGIN], shop, { host: 'api.acme.example' });
    expect(r.service).toBe(shop);
    expect({ host: r.host, port: r.port, paths: r.paths, methods: r.methods, isPublic: r.isPublic }).toEqual({
      host: 'api.acme.example', port: { name: 'http', port: 80, targetPort: 8080, protocol: AppProtocol.HTTP }, paths: ['/*'], methods: [], isPublic: false,
    });
  });

  test('paths and methods are de-duplicated and sorted', () => {
    const { scope, svc } = mesh();
    const r = resolveEdgeRoute(scope, HOSTS, [LOGIN], svc('shop', [http('http', 80)]), {
      host: 'shop.acme.example', paths: ['/z', '/cart/*', '/z', '/a'], methods: ['POST', 'GET', 'POST'],
    });
    expect([r.paths, r.methods]).toEqual([['/a', '/cart/*', '/z'], ['GET', 'POST']]);
  });

  test('the port option picks among several HTTP ports (gRPC and HTTP/2 count as HTTP), by Service port', () => {
    const { scope, svc } = mesh();
    const multi = svc('multi', [http('http', 80), http('grpc', 9090, AppProtocol.GRPC), http('http2', 8081, AppProtocol.HTTP2)]);
    expect(resolveEdgeRoute(scope, HOSTS, [LOGIN], multi, { host: 'shop.acme.example', port: 9090 }).port.name).toBe('grpc');
    expect(resolveEdgeRoute(scope, HOSTS, [LOGIN], multi, { host: 'shop.acme.example', port: 8081 }).port.name).toBe('http2');
    expect(() => resolveEdgeRoute(scope, HOSTS, [LOGIN], multi, { host: 'shop.acme.example' }))
      .toThrow('[test/edge] route.port: multi has 3 HTTP ports. Name the service port to route to with port (HTTP ports: 80, 9090, 8081)');
    expect(() => resolveEdgeRoute(scope, HOSTS, [LOGIN], multi, { host: 'shop.acme.example', port: 17080 }))
      .toThrow('[test/edge] route.port: multi has no HTTP port 17080. Name the service port to route to with port (HTTP ports: 80, 9090, 8081)');
  });

  test('the port option names the Service port, not the container port, and never an opaque one', () => {
    const { scope, svc } = mesh();
    const mixed = svc('mixed', [http('http', 80), { name: 'tls', port: 443, protocol: AppProtocol.TLS }]);
    expect(() => resolveEdgeRoute(scope, HOSTS, [LOGIN], mixed, { host: 'shop.acme.example', port: 8080 })).toThrow('route.port: mixed has no HTTP port 8080');
    expect(() => resolveEdgeRoute(scope, HOSTS, [LOGIN], mixed, { host: 'shop.acme.example', port: 443 })).toThrow('route.port: mixed has no HTTP port 443');
  });

  test('a service with opaque ports only', () => {
    const { scope, svc } = mesh();
    const db = svc('db', [{ name: 'tcp-pg', port: 5432, protocol: AppProtocol.TCP }]);
    expect(() => resolveEdgeRoute(scope, HOSTS, [LOGIN], db, { host: 'shop.acme.example' }))
      .toThrow('[test/edge] route.port: db has 0 HTTP ports. Name the service port to route to with port (HTTP ports: none)');
  });

  test.each<[string, (m: ReturnType<typeof mesh>) => [SecureService, RouteOptions], string]>([
    ['a target that is neither a SecureService of this app nor one of another repository',
      () => [{ serviceName: 'x' } as any, { host: HOSTS[0] }],
      '[test/edge] route.service: the target is neither a mesh service of this app nor a service of another repository. Route to a SecureService'],
    ['a host the gateway does not serve', (m) => [m.svc('shop', [http('http', 80)]), { host: 'admin.acme.example' }],
      '[test/edge] route.host: "admin.acme.example" is not served by this gateway. Use one of shop.acme.example, api.acme.example or add it to hosts'],
    ['no options at all', (m) => [m.svc('shop', [http('http', 80)]), undefined as any], '[test/edge] route.host: "undefined" is not served by this gateway'],
    ['a service that only calls', (m) => [m.svc('worker', []), { host: HOSTS[0] }],
      '[test/edge] route.service: store/worker only calls (ports: []): there is nothing to route to. Route to a service that serves the host'],
    ['an empty path list', (m) => [m.svc('shop', [http('http', 80)]), { host: HOSTS[0], paths: [] }],
      '[test/edge] route.paths: an empty list routes nothing. Omit paths to route every path, or name at least one'],
    ['an empty method list', (m) => [m.svc('shop', [http('http', 80)]), { host: HOSTS[0], methods: [] }],
      '[test/edge] route.methods: an empty list routes nothing. Omit methods to route every method, or name at least one'],
    ['a path with a dot segment', (m) => [m.svc('shop', [http('http', 80)]), { host: HOSTS[0], paths: ['/ok', '/a/./b'] }],
      '[test/edge] route.paths: path "/a/./b" must not contain "." or ".." segments (resolved by path normalization). Write exact paths or "/prefix/*", normalized'],
    ['a lower-case method', (m) => [m.svc('shop', [http('http', 80)]), { host: HOSTS[0], methods: ['delete'] }],
      '[test/edge] route.methods: method "delete" is not an upper-case HTTP method (did you mean "DELETE"?)'],
  ])('refuses %s', (_what, make, message) => {
    const m = mesh();
    const [service, options] = make(m);
    expect(() => resolveEdgeRoute(m.scope, HOSTS, [LOGIN], service, options)).toThrow(message);
  });

  describe('public access (MESH-AUTHZ-004)', () => {
    test('with a PolicyException for MESH-AUTHZ-004: public, and no issuer is needed', () => {
      const { scope, svc, exception } = mesh();
      const r = resolveEdgeRoute(scope, HOSTS, [], svc('docs', [http('http', 80)]), { host: HOSTS[0], publicAccess: exception() });
      expect(r.isPublic).toBe(true);
    });

    test('a token is required when publicAccess is absent, so a gateway without issuers cannot route', () => {
      const { scope, svc } = mesh();
      expect(() => resolveEdgeRoute(scope, HOSTS, [], svc('docs', [http('http', 80)]), { host: HOSTS[0] })).toThrow(
        '[test/edge] route.publicAccess: the route needs an end-user token but the gateway accepts no issuer. Declare externalIssuers on the gateway, '
        + 'or give the route publicAccess (a PolicyException for MESH-AUTHZ-004) if anonymous users may call it');
    });

    test('something that is not a PolicyException', () => {
      const { scope, svc } = mesh();
      expect(() => resolveEdgeRoute(scope, HOSTS, [LOGIN], svc('docs', [http('http', 80)]), { host: HOSTS[0], publicAccess: { rules: [ANONYMOUS_ROUTE_RULE_ID] } as any }))
        .toThrow('[test/edge] route.publicAccess: a PolicyException for MESH-AUTHZ-004 is required. Create one with a justification, an owner and an expiry date');
    });

    test('an exception for other rules', () => {
      const { scope, svc, exception } = mesh();
      expect(() => resolveEdgeRoute(scope, HOSTS, [LOGIN], svc('docs', [http('http', 80)]), { host: HOSTS[0], publicAccess: exception(['MESH-AUTHZ-001', 'MESH-EXC-001']) }))
        .toThrow('[test/edge] route.publicAccess: the exception at test/exc-MESH-AUTHZ-001-MESH-EXC-001 does not relax MESH-AUTHZ-004 (it relaxes MESH-AUTHZ-001, MESH-EXC-001)');
    });

    test('a service that requires a JWT on every request', () => {
      const { scope, svc, exception } = mesh();
      const docs = svc('docs', [http('http', 80)]);
      docs.requireJwt({ issuer: 'https://sts.mesh.acme.example', jwksUri: 'https://sts.mesh.acme.example/keys', audiences: ['docs'] });
      expect(() => resolveEdgeRoute(scope, HOSTS, [LOGIN], docs, { host: HOSTS[0], publicAccess: exception() }))
        .toThrow('[test/edge] route.publicAccess: store/docs requires a JWT on every request, so an anonymous route to it would always be denied. '
          + 'Route it without publicAccess (sign-in at the edge), or expose anonymous pages from a service that does not require a token');
    });
  });
});

describe('checkNoAnonymousOverlap', () => {
  const { svc } = mesh();
  const docs = svc('docs', [http('http', 80)]);
  const admin = svc('admin', [http('http', 80)]);
  const scope = docs;
  const route = (service: SecureService, isPublic: boolean, paths: string[], methods: string[] = [], host = HOSTS[0]): EdgeRoute =>
    ({ service, host, port: service.ports[0], paths, methods, isPublic });
  /** An overlap function that records its calls and answers from a list of (grant, route) pairs. */
  const stub = (overlaps: [string, string][]) => {
    const calls: [string, string][] = [];
    const fn = (g: string, p: string) => {
      calls.push([g, p]);
      return overlaps.some(([a, b]) => a === g && b === p);
    };
    return { fn, calls };
  };
  const CLASH = '[test/docs] route.paths: on shop.acme.example the public route to docs (/help/* admits /help/admin) would let anonymous requests reach store/admin, '
    + 'which requires a token: the edge authorizes the path, the most specific route picks the backend. '
    + 'Give the public route paths that no protected route of the host matches (e.g. "/docs/*" next to "/app/*")';

  test('public route added after a protected one: asked (public path, protected path), and refused', () => {
    const s = stub([['/help/*', '/help/admin']]);
    expect(() => checkNoAnonymousOverlap(scope, [route(admin, false, ['/help/admin', '/x'])], route(docs, true, ['/help/*']), s.fn)).toThrow(CLASH);
    expect(s.calls).toEqual([['/help/*', '/help/admin'], ['/help/*', '/x']]);
  });

  test('protected route added after a public one: the same question, the same refusal', () => {
    const s = stub([['/help/*', '/help/admin']]);
    expect(() => checkNoAnonymousOverlap(scope, [route(docs, true, ['/help/*'])], route(admin, false, ['/help/admin', '/x']), s.fn)).toThrow(CLASH);
    expect(s.calls).toEqual([['/help/*', '/help/admin'], ['/help/*', '/x']]);
  });

  test('every clash of the pair is named', () => {
    const s = stub([['/a/*', '/a/x'], ['/b/*', '/a/x'], ['/b/*', '/b/y']]);
    expect(() => checkNoAnonymousOverlap(scope, [route(admin, false, ['/a/x', '/b/y'])], route(docs, true, ['/a/*', '/b/*']), s.fn))
      .toThrow('the public route to docs (/a/* admits /a/x, /b/* admits /a/x, /b/* admits /b/y) would let');
  });

  test('no overlap according to the function: accepted', () => {
    const s = stub([]);
    expect(() => checkNoAnonymousOverlap(scope, [route(admin, false, ['/admin/*'])], route(docs, true, ['/help/*']), s.fn)).not.toThrow();
    expect(s.calls).toEqual([['/help/*', '/admin/*']]);
  });

  test.each<[string, EdgeRoute[], EdgeRoute]>([
    ['another host', [route(admin, false, ['/*'], [], HOSTS[1])], route(docs, true, ['/*'])],
    ['two public routes', [route(admin, true, ['/*'])], route(docs, true, ['/*'])],
    ['two protected routes', [route(admin, false, ['/*'])], route(docs, false, ['/*'])],
    ['methods that never meet', [route(admin, false, ['/*'], ['DELETE', 'POST'])], route(docs, true, ['/*'], ['GET', 'HEAD'])],
    ['no earlier route', [], route(docs, true, ['/*'])],
  ])('%s: the paths are not even compared', (_what, existing, r) => {
    const s = stub([['/*', '/*']]);
    expect(() => checkNoAnonymousOverlap(scope, existing, r, s.fn)).not.toThrow();
    expect(s.calls).toEqual([]);
  });

  test.each<[string, string[], string[]]>([
    ['a shared method', ['GET', 'POST'], ['POST']],
    ['every method on the protected side', [], ['GET']],
    ['every method on the public side', ['DELETE'], []],
  ])('methods meet with %s: compared', (_what, closedMethods, openMethods) => {
    const s = stub([['/*', '/*']]);
    expect(() => checkNoAnonymousOverlap(scope, [route(admin, false, ['/*'], closedMethods)], route(docs, true, ['/*'], openMethods), s.fn))
      .toThrow('(/* admits /*)');
    expect(s.calls).toEqual([['/*', '/*']]);
  });
});
