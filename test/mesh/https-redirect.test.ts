import { ApiObject, Testing } from 'cdk8s';
import { AccessMatrix } from '../../src/audit/access-matrix';
import { AccessDecision, AccessLayer } from '../../src/audit/access-types';
import { evaluateAuthorization, parseAuthorizationPolicies, policiesFor } from '../../src/audit/authz-evaluator';
import { AppProtocol } from '../../src/mesh/app-protocol';
import { GatewayTls } from '../../src/mesh/gateway-tls';
import { redirectHosts } from '../../src/mesh/https-redirect';
import { IngressGateway, IngressGatewayProps } from '../../src/mesh/ingress-gateway';
import { MeshBaseline } from '../../src/mesh/mesh-baseline';
import { PolicyException } from '../../src/policy/policy-exception';
import { HardenedNamespace } from '../../src/workload/hardened-namespace';
import { SecureService } from '../../src/workload/secure-service';
import { testWorkload } from '../audit/workload-fixture';
import { findObject, inDays, ofKind, synthValidated } from '../helpers';

const IMAGE = `gcr.io/acme/app@sha256:${'a'.repeat(64)}`;
const HTTP = [{ name: 'http', port: 80, targetPort: 8080, protocol: AppProtocol.HTTP }];
const ISSUER = 'https://login.acme.example';
const HOST = 'shop.acme.example';
const REDIRECT_REF = 'AuthorizationPolicy/istio-system/edge-https-redirect';

/** The owned decision that tokenless browsers may reach port 80's redirect. */
function redirectException(scope: any, objects = [REDIRECT_REF], rules = ['MESH-AUTHZ-004']): PolicyException {
  return new PolicyException(scope, 'redirect-exception', {
    rules,
    justification: 'Port 80 only answers with a redirect to HTTPS; it routes nothing, so anonymous clients reach no backend.',
    owner: 'team-edge@acme.example',
    expires: inDays(scope, 90),
    objects,
  });
}

function meshChart() {
  const chart = Testing.chart();
  new MeshBaseline(chart, 'mesh');
  return chart;
}

function world(props: Partial<IngressGatewayProps> = {}, withException = true) {
  const chart = meshChart();
  const ns = new HardenedNamespace(chart, 'shop', { name: 'shop' });
  const web = new SecureService(chart, 'web', { namespace: ns, image: IMAGE, ports: HTTP });
  const gw = new IngressGateway(chart, 'edge', {
    hosts: [HOST, 'www.acme.example'],
    tls: GatewayTls.simple('shop-tls'),
    externalIssuers: [{ issuer: ISSUER, jwksUri: `${ISSUER}/jwks.json`, audiences: ['shop'] }],
    ...(withException ? { httpsRedirectException: redirectException(chart) } : {}),
    ...props,
  });
  // A route that needs a token: the case the redirect used to break.
  gw.route(web, { host: HOST, paths: ['/account/*'] });
  return { chart, gw, web };
}

const GATEWAY = testWorkload('istio-system', 'istio-ingressgateway', { istio: 'ingressgateway' }, { serviceAccount: 'istio-ingressgateway-service-account' });

/** Authorization at the gateway for a request without peer identity (from the internet) and without a token. */
function tokenless(objects: any[], port: number, path = '/account/orders', host = HOST) {
  const { policies } = parseAuthorizationPolicies(objects);
  return evaluateAuthorization(policiesFor(policies, GATEWAY, 'istio-system'), { protocol: 'http', port, method: 'GET', path, host }, GATEWAY.id);
}

describe('https redirect rule', () => {
  test('one narrow ALLOW rule: the HTTP target port and the gateway hosts (bare and :80), nothing else', () => {
    const { chart } = world();
    const policy = findObject(synthValidated(chart), 'AuthorizationPolicy', 'edge-https-redirect', 'istio-system');
    expect(policy.spec).toEqual({
      selector: { matchLabels: { istio: 'ingressgateway' } },
      action: 'ALLOW',
      rules: [{ to: [{ operation: { ports: ['8080'], hosts: ['shop.acme.example', 'shop.acme.example:80', 'www.acme.example', 'www.acme.example:80'] } }] }],
    });
    // The exception is stamped on the object it relaxes, and only there.
    expect(policy.metadata.annotations).toEqual({ 'secure-mesh.cdk8s.io/exceptions': `MESH-AUTHZ-004@${inDays(chart, 90)}` });
  });

  test('the rule follows httpTargetPort', () => {
    const { chart } = world({ httpTargetPort: 8081 });
    const policy = findObject(synthValidated(chart), 'AuthorizationPolicy', 'edge-https-redirect', 'istio-system');
    expect(policy.spec.rules[0].to[0].operation.ports).toEqual(['8081']);
  });

  test('no wildcard principal, no namespace or IP source anywhere in the gateway policies', () => {
    const { chart } = world();
    for (const ap of ofKind(synthValidated(chart), 'AuthorizationPolicy', 'istio-system')) {
      const text = JSON.stringify(ap.spec);
      expect(text).not.toMatch(/"principals":\["\*"\]|"requestPrincipals":\["\*"\]|"namespaces"|"ipBlocks"|"notPorts"|"notHosts"/);
    }
  });

  test('without the exception there is no redirect rule (and no anonymous ALLOW rule)', () => {
    const { chart } = world({}, false);
    const policies = ofKind(synthValidated(chart), 'AuthorizationPolicy', 'istio-system');
    expect(policies.map((o) => o.metadata.name)).not.toContain('edge-https-redirect');
    const allowRules = policies.filter((p) => p.spec.action === 'ALLOW').flatMap((p) => p.spec.rules ?? []);
    expect(allowRules.length).toBeGreaterThan(0);
    expect(allowRules.every((r: any) => r.from?.length > 0)).toBe(true);
  });

  test('the redirect rule passes MESH-AUTHZ-004 only through the exception', () => {
    const { chart } = world({ httpsRedirectException: undefined }, false);
    // A hand-written copy of the rule, without the exception, fails synthesis on MESH-AUTHZ-004.
    new ApiObject(chart, 'raw-redirect', {
      apiVersion: 'security.istio.io/v1',
      kind: 'AuthorizationPolicy',
      metadata: { name: 'raw-redirect', namespace: 'istio-system' },
      spec: { selector: { matchLabels: { istio: 'ingressgateway' } }, action: 'ALLOW', rules: [{ to: [{ operation: { ports: ['8080'], hosts: redirectHosts([HOST]) } }] }] },
    });
    expect(() => Testing.synth(chart)).toThrow(/MESH-AUTHZ-004 \(AUTHZ-2\): \[test\/raw-redirect\] AuthorizationPolicy\/istio-system\/raw-redirect spec.rules\[0\]/);
  });

  test('with a token exchange, the CUSTOM (ext-authz) policy runs on the HTTPS port only, so it cannot block the redirect', () => {
    const internal = { issuer: 'https://sts.mesh.acme.example', jwksUri: 'https://sts.mesh.acme.example/jwks.json', audiences: ['web'] };
    const { chart } = world({ tokenExchange: { provider: 'sts', internalIssuer: internal } });
    expect(findObject(synthValidated(chart), 'AuthorizationPolicy', 'edge-token-exchange', 'istio-system').spec.rules)
      .toEqual([{ to: [{ operation: { hosts: ['shop.acme.example', 'www.acme.example'], ports: ['8443'] } }] }]);
  });

  describe('guards', () => {
    test('an exception without a redirect', () => {
      expect(() => world({ httpsRedirect: false })).toThrow(/\[test\/edge\] httpsRedirectException: there is no redirect to open \(httpsRedirect is false\)/);
    });

    test('an exception for another rule', () => {
      const chart = meshChart();
      expect(() => new IngressGateway(chart, 'edge', {
        hosts: [HOST], tls: GatewayTls.simple('shop-tls'), httpsRedirectException: redirectException(chart, [REDIRECT_REF], ['MESH-MTLS-002']),
      })).toThrow(/httpsRedirectException: the exception at test\/redirect-exception does not relax MESH-AUTHZ-004 \(it relaxes MESH-MTLS-002\)/);
    });

    test('an exception that does not cover the redirect policy', () => {
      const chart = meshChart();
      expect(() => new IngressGateway(chart, 'edge', {
        hosts: [HOST], tls: GatewayTls.simple('shop-tls'), httpsRedirectException: redirectException(chart, ['AuthorizationPolicy/istio-system/edge']),
      })).toThrow(/does not cover AuthorizationPolicy\/istio-system\/edge-https-redirect \(it covers AuthorizationPolicy\/istio-system\/edge\)\. Add "AuthorizationPolicy\/istio-system\/edge-https-redirect" to its objects/);
    });

    test('something that is not a PolicyException', () => {
      const chart = meshChart();
      expect(() => new IngressGateway(chart, 'edge', { hosts: [HOST], tls: GatewayTls.simple('shop-tls'), httpsRedirectException: { rules: ['MESH-AUTHZ-004'] } as any }))
        .toThrow(/httpsRedirectException: not a PolicyException/);
    });
  });

  describe('what the access evaluator says (authorization at the gateway, no peer identity, no token)', () => {
    test('HTTP port: allowed by the redirect rule, for the gateway hosts only', () => {
      const objects = synthValidated(world().chart);
      expect(tokenless(objects, 8080)).toMatchObject({ value: true, decidedBy: 'AuthorizationPolicy/istio-system/edge-https-redirect' });
      expect(tokenless(objects, 8080, '/', 'shop.acme.example:80').value).toBe(true);
      expect(tokenless(objects, 8080, '/', 'other.example').value).toBe(false);
      expect(tokenless(objects, 8080, '/', 'shop.acme.example:8443').value).toBe(false);
    });

    test('HTTPS port: the same request to a non-public route is denied; with a token it is allowed', () => {
      const objects = synthValidated(world().chart);
      // Denied by default: no ALLOW rule matches (the evaluator names the mesh allow-nothing policy).
      expect(tokenless(objects, 8443)).toMatchObject({ value: false, allowingRules: [] });
      expect(tokenless(objects, 8443, '/', 'shop.acme.example:80').value).toBe(false);
      const { policies } = parseAuthorizationPolicies(objects);
      const withToken = evaluateAuthorization(policiesFor(policies, GATEWAY, 'istio-system'),
        { protocol: 'http', port: 8443, method: 'GET', path: '/account/orders', host: HOST, jwt: { issuer: ISSUER, subject: 'u1' } }, GATEWAY.id);
      expect(withToken.value).toBe(true);
    });

    test('without the exception: the tokenless HTTP request is denied (403 instead of the 301)', () => {
      const objects = synthValidated(world({}, false).chart);
      expect(tokenless(objects, 8080)).toMatchObject({ value: false, allowingRules: [] });
    });
  });

  describe('AccessMatrix.check end to end (what it can and cannot express)', () => {
    const gateway = {
      name: 'istio-ingressgateway',
      namespace: 'istio-system',
      serviceAccount: 'istio-ingressgateway-service-account',
      labels: { istio: 'ingressgateway' },
      ports: [8080, 8443, 15021],
    };

    test('a client with a sidecar (the nearest the matrix gets to "the internet"): "/" is redirected on HTTP, refused on HTTPS', () => {
      const objects = synthValidated(world().chart);
      const matrix = AccessMatrix.fromManifests(objects, {
        workloads: [gateway, { name: 'client', namespace: 'outside', labels: { app: 'client' }, ports: [9999] }],
      });
      const ask = (port: number, path: string, host = HOST) =>
        matrix.check({ from: 'outside/client', to: 'istio-system/istio-ingressgateway', port, method: 'GET', path, host });
      // No route serves "/": only the redirect rule admits it, and without any token.
      expect(ask(8080, '/')).toMatchObject({ allowed: true, decidedBy: 'AuthorizationPolicy/istio-system/edge-https-redirect' });
      // The allowing rule asks for no token (its condition names hosts only), although the example
      // the matrix prints carries one it tried first.
      expect(ask(8080, '/').conditions).toEqual(['host shop.acme.example,shop.acme.example:80,www.acme.example,www.acme.example:80']);
      expect(ask(8443, '/')).toMatchObject({ allowed: false, decision: AccessDecision.DENIED, layer: AccessLayer.AUTHORIZATION });
      expect(ask(8080, '/', 'other.example').decision).toBe(AccessDecision.DENIED);
      // For a token-protected route the matrix answers "allowed for some token" on both ports: a
      // request cannot say "without a token" (AccessRequest.jwtIssuer unset means either).
      expect(ask(8443, '/account/orders').allowed).toBe(true);
      expect(ask(8443, '/account/orders').example.requestPrincipal).toMatch(/^https:\/\/login\.acme\.example\//);
    });

    test('a client without a sidecar is refused at the mTLS layer: the matrix applies the mesh STRICT PeerAuthentication to gateway listeners', () => {
      const objects = synthValidated(world().chart);
      const matrix = AccessMatrix.fromManifests(objects, {
        workloads: [gateway, { name: 'browser', namespace: 'outside', labels: { app: 'browser' }, ports: [9999], sidecar: false }],
      });
      const r = matrix.check({ from: 'outside/browser', to: 'istio-system/istio-ingressgateway', port: 8080, method: 'GET', path: '/', host: HOST });
      expect(r).toMatchObject({ allowed: false, layer: AccessLayer.MTLS });
    });
  });
});
