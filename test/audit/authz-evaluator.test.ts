import { testWorkload } from './workload-fixture';
import {
  AuthzRequest, acceptedIssuers, candidateRequests, describeRule, evaluateAuthorization, jwtHandling, localPrincipal, matchRule,
  parseAuthorizationPolicies, parseRequestAuthentications, pathMatches, policiesFor, requestPrincipalMatches, ruleHasHttpOnlyFields, stringMatches,
} from '../../src/audit/authz-evaluator';
import { Workload } from '../../src/audit/workloads';

/** A workload as the evaluator sees it (sidecar, SA = name unless given). */
const wl = (namespace: string, name: string, labels: { [k: string]: string } = { app: name }, sa = name) =>
  testWorkload(namespace, name, labels, { serviceAccount: sa });

function ap(namespace: string, name: string, spec: any, annotations?: { [k: string]: string }): any {
  return { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name, namespace, ...(annotations ? { annotations } : {}) }, spec };
}

const SLEEP = 'cluster.local/ns/default/sa/sleep';

function decide(objects: any[], target: Workload, req: Partial<AuthzRequest>) {
  const { policies } = parseAuthorizationPolicies(objects);
  return evaluateAuthorization(policiesFor(policies, target, 'istio-system'), { protocol: 'http', port: 8000, ...req }, target.id);
}

describe('Istio AuthorizationPolicy reference examples (AUTHZ-1/2/3)', () => {
  const httpbin = wl('foo', 'httpbin', { app: 'httpbin', version: 'v1' });
  // "allows requests from service account sleep or namespace test to GET /info* or POST /data with a JWT from accounts.google.com"
  const allowHttpbin = ap('foo', 'httpbin', {
    action: 'ALLOW',
    rules: [{
      from: [{ source: { principals: [SLEEP] } }, { source: { namespaces: ['test'] } }],
      to: [{ operation: { methods: ['GET'], paths: ['/info*'] } }, { operation: { methods: ['POST'], paths: ['/data'] } }],
      when: [{ key: 'request.auth.claims[iss]', values: ['https://accounts.google.com'] }],
    }],
  });
  const google = { issuer: 'https://accounts.google.com', subject: 'u1' };

  test('ALLOW with principals/namespaces + methods/paths + a JWT claim: each alternative ORed, fields ANDed', () => {
    expect(decide([allowHttpbin], httpbin, { principal: SLEEP, method: 'GET', path: '/info/x', jwt: google })).toMatchObject({ value: true, decidedBy: 'AuthorizationPolicy/foo/httpbin', allowingRules: ['AuthorizationPolicy/foo/httpbin rules[0]'] });
    expect(decide([allowHttpbin], httpbin, { principal: 'cluster.local/ns/test/sa/any', method: 'POST', path: '/data', jwt: google }).value).toBe(true);
    // Prefix "/info*" matches "/info" itself.
    expect(decide([allowHttpbin], httpbin, { principal: SLEEP, method: 'GET', path: '/info', jwt: google }).value).toBe(true);
    // Each of these misses one ANDed part.
    expect(decide([allowHttpbin], httpbin, { principal: SLEEP, method: 'GET', path: '/info' })).toMatchObject({ value: false, decidedBy: 'AuthorizationPolicy/foo/httpbin' });
    expect(decide([allowHttpbin], httpbin, { principal: SLEEP, method: 'POST', path: '/info', jwt: google }).value).toBe(false);
    expect(decide([allowHttpbin], httpbin, { principal: 'cluster.local/ns/prod/sa/sleep', method: 'GET', path: '/info', jwt: google }).value).toBe(false);
    expect(decide([allowHttpbin], httpbin, { principal: SLEEP, method: 'GET', path: '/info', jwt: { issuer: 'https://evil.example' } }).value).toBe(false);
    // Plaintext: no principal, no namespace.
    expect(decide([allowHttpbin], httpbin, { method: 'GET', path: '/info', jwt: google }).value).toBe(false);
  });

  test('the denial names the policy and the first failing field', () => {
    const r = decide([allowHttpbin], httpbin, { principal: 'cluster.local/ns/prod/sa/x', method: 'GET', path: '/info', jwt: google });
    expect(r.reason).toContain('AuthorizationPolicy/foo/httpbin: rules[0]');
    expect(r.reason).toContain('no source matches');
  });

  test('DENY from namespace dev on POST, for every workload of foo', () => {
    const deny = ap('foo', 'httpbin', { action: 'DENY', rules: [{ from: [{ source: { namespaces: ['dev'] } }], to: [{ operation: { methods: ['POST'] } }] }] });
    expect(decide([deny], httpbin, { principal: 'cluster.local/ns/dev/sa/a', method: 'POST', path: '/' })).toMatchObject({ value: false, decidedBy: 'AuthorizationPolicy/foo/httpbin', reason: 'DENY rule rules[0] of AuthorizationPolicy/foo/httpbin matches' });
    expect(decide([deny], httpbin, { principal: 'cluster.local/ns/dev/sa/a', method: 'GET', path: '/' })).toMatchObject({ value: true, decidedBy: '' });
    expect(decide([deny], httpbin, { principal: 'cluster.local/ns/prod/sa/a', method: 'POST', path: '/' }).value).toBe(true);
    // DENY wins over ALLOW.
    const allowAll = ap('foo', 'allow-all', { rules: [{}] });
    expect(decide([deny, allowAll], httpbin, { principal: 'cluster.local/ns/dev/sa/a', method: 'POST', path: '/' }).value).toBe(false);
  });

  test('DENY POST on port 8080: on TCP the method cannot be read, so all TCP traffic on 8080 is denied', () => {
    const deny = ap('foo', 'httpbin', { action: 'DENY', rules: [{ to: [{ operation: { methods: ['POST'], ports: ['8080'] } }] }] });
    expect(decide([deny], httpbin, { protocol: 'tcp', port: 8080 }).value).toBe(false);
    expect(decide([deny], httpbin, { protocol: 'tcp', port: 9000 }).value).toBe(true);
    expect(decide([deny], httpbin, { port: 8080, method: 'GET', path: '/' }).value).toBe(true);
    expect(decide([deny], httpbin, { port: 8080, method: 'POST', path: '/' }).value).toBe(false);
  });

  test('allow-nothing (spec {}) denies everything in the namespace; allow-all (rules: [{}]) allows everything', () => {
    const nothing = ap('foo', 'allow-nothing', {});
    expect(decide([nothing], httpbin, { principal: SLEEP, method: 'GET', path: '/' })).toMatchObject({ value: false, decidedBy: 'AuthorizationPolicy/foo/allow-nothing', reason: expect.stringContaining('allows nothing') });
    expect(decide([nothing], wl('bar', 'x'), { principal: SLEEP, method: 'GET', path: '/' }).value).toBe(true);
    expect(decide([ap('foo', 'allow-all', { rules: [{}] })], httpbin, { method: 'GET', path: '/' }).value).toBe(true);
    expect(decide([ap('foo', 'allow-all', { rules: [{}] })], httpbin, { protocol: 'tcp' }).value).toBe(true);
  });

  test('a selector limits the policy to workloads carrying all its labels', () => {
    const onHttpbin = ap('bar', 'allow-nothing', { selector: { matchLabels: { app: 'httpbin' } } });
    expect(decide([onHttpbin], wl('bar', 'httpbin'), { method: 'GET', path: '/' }).value).toBe(false);
    expect(decide([onHttpbin], wl('bar', 'other'), { method: 'GET', path: '/' }).value).toBe(true);
    expect(decide([onHttpbin], wl('foo', 'httpbin'), { method: 'GET', path: '/' }).value).toBe(true);
  });

  test('a policy in the root namespace applies mesh-wide (with its selector, to matching workloads in every namespace)', () => {
    const v1 = ap('istio-system', 'allow-nothing', { selector: { matchLabels: { version: 'v1' } } });
    expect(decide([v1], wl('foo', 'a', { app: 'a', version: 'v1' }), { method: 'GET', path: '/' }).value).toBe(false);
    expect(decide([v1], wl('bar', 'b', { app: 'b', version: 'v2' }), { method: 'GET', path: '/' }).value).toBe(true);
    const meshWide = ap('istio-system', 'allow-nothing', {});
    expect(decide([meshWide], wl('bar', 'b'), { method: 'GET', path: '/' })).toMatchObject({ value: false, decidedBy: 'AuthorizationPolicy/istio-system/allow-nothing' });
  });

  test('policiesFor: most specific first (selector in namespace, namespace, root selector, root)', () => {
    const { policies } = parseAuthorizationPolicies([
      ap('istio-system', 'mesh', {}), ap('istio-system', 'mesh-sel', { selector: { matchLabels: { app: 'a' } } }),
      ap('foo', 'ns', {}), ap('foo', 'sel', { selector: { matchLabels: { app: 'a' } } }), ap('bar', 'other', {}),
    ]);
    expect(policiesFor(policies, wl('foo', 'a'), 'istio-system').map((p) => p.name)).toEqual(['sel', 'ns', 'mesh-sel', 'mesh']);
  });

  test('CUSTOM: the external authorizer decides what its rules match (unknown, never guessed); DENY/ALLOW still deny', () => {
    const gw = wl('istio-system', 'istio-ingressgateway', { app: 'istio-ingressgateway' });
    const custom = ap('istio-system', 'ext-authz', {
      selector: { matchLabels: { app: 'istio-ingressgateway' } },
      action: 'CUSTOM',
      provider: { name: 'my-custom-authz' },
      rules: [{ to: [{ operation: { paths: ['/admin/*'] } }] }],
    });
    expect(decide([custom], gw, { method: 'GET', path: '/admin/users' })).toMatchObject({
      value: 'unknown', decidedBy: 'AuthorizationPolicy/istio-system/ext-authz', reason: expect.stringContaining('external authorizer "my-custom-authz"'),
    });
    expect(decide([custom], gw, { method: 'GET', path: '/public' }).value).toBe(true);
    const deny = ap('istio-system', 'deny-admin', { selector: { matchLabels: { app: 'istio-ingressgateway' } }, action: 'DENY', rules: [{ to: [{ operation: { paths: ['/admin/*'] } }] }] });
    expect(decide([custom, deny], gw, { method: 'GET', path: '/admin/x' })).toMatchObject({ value: false, decidedBy: 'AuthorizationPolicy/istio-system/deny-admin' });
    // On TCP the HTTP-only path of a CUSTOM rule is ignored, like DENY: everything is delegated.
    expect(decide([custom], gw, { protocol: 'tcp' }).value).toBe('unknown');
  });

  test('AUDIT does not decide', () => {
    const audit = ap('foo', 'audit', { action: 'AUDIT', rules: [{ to: [{ operation: { methods: ['GET'] } }] }] });
    expect(decide([audit], httpbin, { method: 'GET', path: '/' })).toMatchObject({ value: true, policies: [] });
  });

  test('dry-run policies and unknown actions are left out, with warnings; waypoint targetRefs are attached, not pod policies', () => {
    const { policies, attached, warnings } = parseAuthorizationPolicies([
      ap('foo', 'dry', { action: 'DENY', rules: [{}] }, { 'istio.io/dry-run': 'true' }),
      ap('foo', 'waypoint', { targetRefs: [{ kind: 'Service', group: '', name: 'reviews' }], rules: [{}] }),
      ap('foo', 'se', { targetRefs: [{ kind: 'ServiceEntry', group: 'networking.istio.io', name: 'ext' }], rules: [{}] }),
      ap('foo', 'odd', { action: 'MAYBE' }),
      { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'x' } },
    ]);
    expect(policies).toEqual([]);
    // A Service (or waypoint Gateway) reference is evaluated at the waypoint (the access matrix); a ServiceEntry is not evaluated.
    expect(attached.map((p) => [p.ref, p.targetRefs])).toEqual([
      ['AuthorizationPolicy/foo/waypoint', [{ kind: 'Service', group: '', name: 'reviews' }]],
      ['AuthorizationPolicy/foo/se', [{ kind: 'ServiceEntry', group: 'networking.istio.io', name: 'ext' }]],
    ]);
    expect(warnings).toEqual([
      'AuthorizationPolicy/foo/dry is a dry run (istio.io/dry-run), not enforced',
      'AuthorizationPolicy/foo/se attaches with targetRef(s) to networking.istio.io/ServiceEntry ext, not evaluated',
      'AuthorizationPolicy/foo/odd has an unknown action "MAYBE", not evaluated',
    ]);
  });

  test('a targetRef to a Gateway API gateway applies to the pods Istio deploys for it, in the policy\'s namespace only', () => {
    const gatewayPods = (namespace: string) => wl(namespace, 'g-istio', { 'gateway.networking.k8s.io/gateway-name': 'g' });
    const gw = ap('foo', 'gw', {
      targetRefs: [{ kind: 'Gateway', group: 'gateway.networking.k8s.io', name: 'g' }, { kind: 'Gateway', group: 'gateway.networking.k8s.io', name: 'h' }],
      rules: [{ to: [{ operation: { paths: ['/open'] } }] }],
    });
    const { policies, warnings } = parseAuthorizationPolicies([
      gw, ap('istio-system', 'root-gw', { targetRef: { kind: 'Gateway', group: 'gateway.networking.k8s.io', name: 'g' }, rules: [{}] }),
    ]);
    expect(warnings).toEqual([]);
    expect(policies.map((p) => [p.ref, p.selector, p.localOnly])).toEqual([
      ['AuthorizationPolicy/foo/gw', { 'gateway.networking.k8s.io/gateway-name': 'g' }, true],
      ['AuthorizationPolicy/foo/gw', { 'gateway.networking.k8s.io/gateway-name': 'h' }, true],
      ['AuthorizationPolicy/istio-system/root-gw', { 'gateway.networking.k8s.io/gateway-name': 'g' }, true],
    ]);
    expect(policiesFor(policies, gatewayPods('foo'), 'istio-system').map((p) => p.ref)).toEqual(['AuthorizationPolicy/foo/gw']);
    expect(policiesFor(policies, gatewayPods('bar'), 'istio-system')).toEqual([]);
    expect(decide([gw], gatewayPods('foo'), { method: 'GET', path: '/closed' }).value).toBe(false);
    expect(decide([gw], gatewayPods('foo'), { method: 'GET', path: '/open' }).value).toBe(true);
  });
});

describe('Istio authz-tcp task: TCP traffic (tcp-echo on 9000, 9001, 9002)', () => {
  const echo = wl('foo', 'tcp-echo');
  const tcp = (port: number): Partial<AuthzRequest> => ({ protocol: 'tcp', port, principal: SLEEP });

  test('ALLOW ports 9000 and 9001: 9002 is denied', () => {
    const allow = ap('foo', 'tcp-policy', { selector: { matchLabels: { app: 'tcp-echo' } }, action: 'ALLOW', rules: [{ to: [{ operation: { ports: ['9000', '9001'] } }] }] });
    expect(decide([allow], echo, tcp(9000)).value).toBe(true);
    expect(decide([allow], echo, tcp(9001)).value).toBe(true);
    expect(decide([allow], echo, tcp(9002))).toMatchObject({ value: false, decidedBy: 'AuthorizationPolicy/foo/tcp-policy' });
  });

  test('ALLOW with an HTTP-only field (methods) never matches TCP: everything is denied', () => {
    const allow = ap('foo', 'tcp-policy', { selector: { matchLabels: { app: 'tcp-echo' } }, action: 'ALLOW', rules: [{ to: [{ operation: { methods: ['GET'], ports: ['9000'] } }] }] });
    const r = decide([allow], echo, tcp(9000));
    expect(r.value).toBe(false);
    expect(r.reason).toContain('HTTP-only fields (methods)');
    expect(decide([allow], echo, tcp(9001)).value).toBe(false);
  });

  test('DENY with an HTTP-only field on port 9000 denies all TCP traffic to 9000, and only 9000', () => {
    const deny = ap('foo', 'tcp-policy', { selector: { matchLabels: { app: 'tcp-echo' } }, action: 'DENY', rules: [{ to: [{ operation: { methods: ['GET'], ports: ['9000'] } }] }] });
    expect(decide([deny], echo, tcp(9000)).value).toBe(false);
    expect(decide([deny], echo, tcp(9001)).value).toBe(true);
  });

  test('HTTP-only fields are found in from, to and when', () => {
    expect(ruleHasHttpOnlyFields({
      from: [{ source: { requestPrincipals: ['*'] } }], to: [{ operation: { hosts: ['a'], notPaths: ['/x'] } }], when: [{ key: 'request.headers[x]', values: ['1'] }],
    })).toEqual(['hosts', 'notPaths', 'request.headers[x]', 'requestPrincipals']);
    expect(ruleHasHttpOnlyFields({ to: [{ operation: { ports: ['1'], methods: [] } }] })).toEqual([]);
  });
});

describe('Istio authz-http task (Bookinfo, namespace default)', () => {
  const objects = [
    ap('default', 'allow-nothing', {}),
    ap('default', 'productpage-viewer', { selector: { matchLabels: { app: 'productpage' } }, action: 'ALLOW', rules: [{ to: [{ operation: { methods: ['GET'] } }] }] }),
    ap('default', 'details-viewer', { selector: { matchLabels: { app: 'details' } }, action: 'ALLOW', rules: [{ from: [{ source: { principals: ['cluster.local/ns/default/sa/bookinfo-productpage'] } }], to: [{ operation: { methods: ['GET'] } }] }] }),
    ap('default', 'ratings-viewer', { selector: { matchLabels: { app: 'ratings' } }, action: 'ALLOW', rules: [{ from: [{ source: { principals: ['cluster.local/ns/default/sa/bookinfo-reviews'] } }], to: [{ operation: { methods: ['GET'] } }] }] }),
  ];
  const productpage = 'cluster.local/ns/default/sa/bookinfo-productpage';

  test('productpage: GET from anyone, nothing else', () => {
    expect(decide(objects, wl('default', 'productpage'), { method: 'GET', path: '/productpage' })).toMatchObject({ value: true, decidedBy: 'AuthorizationPolicy/default/productpage-viewer' });
    // Denied by default: named is the allow-nothing policy that makes "no ALLOW rule matches" a denial.
    expect(decide(objects, wl('default', 'productpage'), { method: 'POST', path: '/login' })).toMatchObject({
      value: false, decidedBy: 'AuthorizationPolicy/default/allow-nothing', byDefault: true, reason: expect.stringContaining('method POST is not one of [GET]'),
    });
  });

  test('details: GET from productpage only; ratings: from reviews only', () => {
    expect(decide(objects, wl('default', 'details'), { principal: productpage, method: 'GET', path: '/details/0' }).value).toBe(true);
    expect(decide(objects, wl('default', 'details'), { principal: 'cluster.local/ns/default/sa/bookinfo-reviews', method: 'GET', path: '/details/0' }).value).toBe(false);
    expect(decide(objects, wl('default', 'ratings'), { principal: productpage, method: 'GET', path: '/ratings/0' })).toMatchObject({ value: false, decidedBy: 'AuthorizationPolicy/default/allow-nothing' });
    // reviews has only the namespace allow-nothing: denied, named.
    expect(decide(objects, wl('default', 'reviews'), { principal: productpage, method: 'GET', path: '/reviews/0' })).toMatchObject({ value: false, decidedBy: 'AuthorizationPolicy/default/allow-nothing' });
  });
});

describe('source fields', () => {
  const target = wl('foo', 'httpbin');
  test('DENY with notPrincipals denies everyone else, plaintext included (notPrincipals ["*"] requires mTLS)', () => {
    const deny = ap('foo', 'deny-others', { action: 'DENY', rules: [{ from: [{ source: { notPrincipals: [SLEEP] } }] }] });
    expect(decide([deny], target, { principal: SLEEP, method: 'GET', path: '/' }).value).toBe(true);
    expect(decide([deny], target, { principal: 'cluster.local/ns/foo/sa/other', method: 'GET', path: '/' }).value).toBe(false);
    expect(decide([deny], target, { method: 'GET', path: '/' }).value).toBe(false);
    const requireMtls = ap('foo', 'require-mtls', { action: 'DENY', rules: [{ from: [{ source: { notPrincipals: ['*'] } }] }] });
    expect(decide([requireMtls], target, { method: 'GET', path: '/' }).value).toBe(false);
    expect(decide([requireMtls], target, { principal: SLEEP, method: 'GET', path: '/' }).value).toBe(true);
  });

  test('principals: exact, prefix, suffix, presence', () => {
    const allow = (p: string) => [ap('foo', 'a', { rules: [{ from: [{ source: { principals: [p] } }] }] })];
    expect(decide(allow('*'), target, { principal: SLEEP }).value).toBe(true);
    expect(decide(allow('*'), target, {}).value).toBe(false);
    expect(decide(allow('cluster.local/ns/default/*'), target, { principal: SLEEP }).value).toBe(true);
    expect(decide(allow('*/sa/sleep'), target, { principal: SLEEP }).value).toBe(true);
    expect(decide(allow('*/sa/other'), target, { principal: SLEEP }).value).toBe(false);
  });

  test('namespaces and notNamespaces, with * as a wildcard', () => {
    const allow = ap('foo', 'a', { rules: [{ from: [{ source: { namespaces: ['prod-*'], notNamespaces: ['prod-secret'] } }] }] });
    expect(decide([allow], target, { principal: 'cluster.local/ns/prod-web/sa/a' }).value).toBe(true);
    expect(decide([allow], target, { principal: 'cluster.local/ns/prod-secret/sa/a' }).value).toBe(false);
    expect(decide([allow], target, { principal: 'cluster.local/ns/dev/sa/a' }).value).toBe(false);
  });

  test('serviceAccounts: name (the policy namespace) or namespace/name, dots literal', () => {
    const allow = ap('foo', 'a', { rules: [{ from: [{ source: { serviceAccounts: ['sleep', 'cert-manager/cert-manager.io'] } }] }] });
    expect(decide([allow], target, { principal: 'cluster.local/ns/foo/sa/sleep' }).value).toBe(true);
    expect(decide([allow], target, { principal: SLEEP }).value).toBe(false);
    expect(decide([allow], target, { principal: 'cluster.local/ns/cert-manager/sa/cert-manager.io' }).value).toBe(true);
    expect(decide([allow], target, { principal: 'cluster.local/ns/cert-manager/sa/cert-managerXio' }).value).toBe(false);
    const not = ap('foo', 'b', { rules: [{ from: [{ source: { notServiceAccounts: ['sleep'] } }] }] });
    expect(decide([not], target, { principal: 'cluster.local/ns/foo/sa/sleep' }).value).toBe(false);
    expect(decide([not], target, { principal: 'cluster.local/ns/foo/sa/other' }).value).toBe(true);
  });

  test('IP blocks are unknown offline (0.0.0.0/0 is everyone); trust domains come from the principal', () => {
    const ip = ap('foo', 'a', { rules: [{ from: [{ source: { ipBlocks: ['10.0.0.0/8'] } }] }] });
    expect(decide([ip], target, { principal: SLEEP })).toMatchObject({ value: 'unknown', reason: expect.stringContaining('10.0.0.0/8') });
    expect(decide([ap('foo', 'a', { rules: [{ from: [{ source: { ipBlocks: ['0.0.0.0/0'] } }] }] })], target, {}).value).toBe(true);
    expect(decide([ap('foo', 'a', { rules: [{ from: [{ source: { notIpBlocks: ['0.0.0.0/0'] } }] }] })], target, {}).value).toBe(false);
    expect(decide([ap('foo', 'a', { rules: [{ from: [{ source: { remoteIpBlocks: ['1.2.3.4'] } }] }] })], target, {}).value).toBe('unknown');
    expect(decide([ap('foo', 'a', { rules: [{ from: [{ source: { notRemoteIpBlocks: ['1.2.3.4'] } }] }] })], target, {}).value).toBe('unknown');
    // Trust domains are read from the peer principal (<trustDomain>/ns/<ns>/sa/<sa>).
    expect(decide([ap('foo', 'a', { rules: [{ from: [{ source: { trustDomains: ['td'] } }] }] })], target, { principal: SLEEP }).value).toBe(false);
    expect(decide([ap('foo', 'a', { rules: [{ from: [{ source: { trustDomains: ['cluster.local'] } }] }] })], target, { principal: SLEEP }).value).toBe(true);
    expect(decide([ap('foo', 'a', { rules: [{ from: [{ source: { notTrustDomains: ['cluster.local'] } }] }] })], target, { principal: SLEEP }).value).toBe(false);
    expect(decide([ap('foo', 'a', { rules: [{ when: [{ key: 'source.trustDomain', values: ['cluster.*'] }] }] })], target, { principal: SLEEP }).value).toBe(true);
    expect(decide([ap('foo', 'a', { rules: [{ from: [{ source: { trustDomains: ['cluster.local'] } }] }] })], target, {}).value).toBe(false);
    // An unknown DENY keeps an otherwise allowed request unknown; a definite ALLOW denial stays denied.
    const denyIp = ap('foo', 'd', { action: 'DENY', rules: [{ from: [{ source: { ipBlocks: ['10.0.0.0/8'] } }] }] });
    expect(decide([denyIp], target, { principal: SLEEP })).toMatchObject({ value: 'unknown', decidedBy: 'AuthorizationPolicy/foo/d' });
    expect(decide([denyIp, ap('foo', 'allow-nothing', {})], target, { principal: SLEEP }).value).toBe(false);
  });
});

describe('request principals and JWT', () => {
  const jwt = (issuer: string, subject?: string) => ({ issuer, subject });
  test.each([
    ['*', jwt('https://a', 's'), true],
    ['https://a/*', jwt('https://a', 's'), true],
    ['https://a/*', jwt('https://b', 's'), false],
    ['https://a/alice', jwt('https://a', 'alice'), true],
    ['https://a/alice', jwt('https://a', 'bob'), false],
    ['https://a/al*', jwt('https://a', 'alice'), true],
    ['*/alice', jwt('https://any', 'alice'), true],
    ['*a/alice', jwt('https://a', 'alice'), true],
    ['*ice', jwt('https://a', 'alice'), true],
    ['issuer-a*', jwt('issuer-a.example', 'x'), true],
    // Istio splits at the last "/": this is issuer "https:/" and a subject prefix "a".
    ['https://a*', jwt('https://a.example', 'x'), false],
    ['https://a/alice', undefined, false],
  ])('%s on %j -> %s', (pattern, token, expected) => {
    expect(requestPrincipalMatches(pattern, token).value).toBe(expected);
  });

  test('an unknown subject is unknown unless the pattern accepts any subject', () => {
    expect(requestPrincipalMatches('https://a/alice', jwt('https://a')).value).toBe('unknown');
    expect(requestPrincipalMatches('https://a/*', jwt('https://a')).value).toBe('unknown');
    expect(requestPrincipalMatches('https://b/alice', jwt('https://a')).value).toBe(false);
  });

  test('RequestAuthentication: validated, ignored (no RequestAuthentication), unknown issuer', () => {
    const ras = parseRequestAuthentications([
      { apiVersion: 'security.istio.io/v1', kind: 'RequestAuthentication', metadata: { name: 'jwt', namespace: 'foo' }, spec: { selector: { matchLabels: { app: 'a' } }, jwtRules: [{ issuer: 'https://a' }, { issuer: 'https://b' }] } },
      { apiVersion: 'security.istio.io/v1', kind: 'RequestAuthentication', metadata: { name: 'gw', namespace: 'foo' }, spec: { targetRef: { kind: 'Gateway', name: 'g' }, jwtRules: [{ issuer: 'https://c' }] } },
    ]);
    expect(ras).toHaveLength(1);
    expect(jwtHandling(ras, wl('foo', 'a'), 'istio-system', 'https://a')).toEqual({ state: 'validated', by: ['RequestAuthentication/foo/jwt'] });
    expect(jwtHandling(ras, wl('foo', 'a'), 'istio-system', 'https://z')).toEqual({ state: 'unknown-issuer', by: ['RequestAuthentication/foo/jwt'] });
    expect(jwtHandling(ras, wl('foo', 'b'), 'istio-system', 'https://a')).toEqual({ state: 'ignored', by: [] });
    expect(acceptedIssuers(ras, wl('foo', 'a'), 'istio-system')).toEqual(['https://a', 'https://b']);
  });
});

describe('operations and conditions', () => {
  const target = wl('foo', 'httpbin');
  test('paths: exact, prefix, suffix, presence, templates; the query string is ignored', () => {
    expect(pathMatches('/a', '/a?x=1').value).toBe(true);
    expect(pathMatches('/a/*', '/a/b/c').value).toBe(true);
    expect(pathMatches('*.js', '/x/app.js').value).toBe(true);
    expect(pathMatches('*', '/').value).toBe(true);
    expect(pathMatches('/users/{*}/orders', '/users/42/orders').value).toBe(true);
    expect(pathMatches('/users/{*}/orders', '/users/4/2/orders').value).toBe(false);
    expect(pathMatches('/files/{**}', '/files/a/b/c').value).toBe(true);
    expect(pathMatches('/files/{**}', '/other').value).toBe(false);
    // Envoy's uri_template {**} also matches zero segments (Istio's integration tests: /store/{**}/cart admits /store//cart).
    expect(pathMatches('/files/{**}', '/files/').value).toBe(true);
    expect(pathMatches('/store/{**}/cart', '/store//cart').value).toBe(true);
    expect(pathMatches('/store/{**}/cart', '/store/cart').value).toBe(false);
    expect(pathMatches('/a', undefined).value).toBe('unknown');
  });

  test('strings: exact, prefix, suffix, presence; hosts case-insensitive', () => {
    expect(stringMatches('GET', 'GET')).toBe(true);
    expect(stringMatches('GET', 'get')).toBe(false);
    expect(stringMatches('*.Example.com', 'API.example.COM', true)).toBe(true);
    expect(stringMatches('*', '')).toBe(false);
    const hosts = ap('foo', 'a', { rules: [{ to: [{ operation: { hosts: ['*.example.com'], notHosts: ['admin.example.com'] } }] }] });
    expect(decide([hosts], target, { method: 'GET', path: '/', host: 'WWW.example.com' }).value).toBe(true);
    expect(decide([hosts], target, { method: 'GET', path: '/', host: 'admin.example.com' }).value).toBe(false);
    expect(decide([hosts], target, { method: 'GET', path: '/' }).value).toBe('unknown');
  });

  test('ports and notPorts; a port Istio cannot read drops an ALLOW rule and is ignored in DENY', () => {
    const ports = ap('foo', 'a', { rules: [{ to: [{ operation: { notPorts: ['9090'] } }] }] });
    expect(decide([ports], target, { port: 8000 }).value).toBe(true);
    expect(decide([ports], target, { port: 9090 }).value).toBe(false);
    expect(decide([ap('foo', 'a', { rules: [{ to: [{ operation: { ports: ['http'] } }] }] })], target, { port: 80 }).reason).toContain('not port numbers');
    expect(decide([ap('foo', 'd', { action: 'DENY', rules: [{ to: [{ operation: { ports: ['http'] } }] }] })], target, { port: 80 }).value).toBe(false);
  });

  test('when: source.principal, source.namespace, destination.port, connection.sni, request.auth.*', () => {
    const rule = (key: string, values: string[], notValues?: string[]) => [ap('foo', 'a', { rules: [{ when: [{ key, values, ...(notValues ? { notValues } : {}) }] }] })];
    expect(decide(rule('source.principal', [SLEEP]), target, { principal: SLEEP }).value).toBe(true);
    expect(decide(rule('source.namespace', ['default']), target, { principal: SLEEP }).value).toBe(true);
    expect(decide(rule('source.namespace', ['other']), target, { principal: SLEEP }).value).toBe(false);
    expect(decide(rule('destination.port', ['8000']), target, { port: 8000 }).value).toBe(true);
    expect(decide(rule('destination.port', ['8000']), target, { port: 8001 }).value).toBe(false);
    expect(decide(rule('connection.sni', ['*.googleapis.com']), target, { sni: 'www.googleapis.com' }).value).toBe(true);
    expect(decide(rule('connection.sni', ['www.googleapis.com']), target, {}).value).toBe(false);
    expect(decide(rule('request.auth.principal', ['https://a/*']), target, { jwt: { issuer: 'https://a', subject: 's' } }).value).toBe(true);
    expect(decide(rule('request.auth.claims[iss]', ['https://a']), target, { jwt: { issuer: 'https://a' } }).value).toBe(true);
    expect(decide(rule('request.auth.claims[sub]', ['s']), target, { jwt: { issuer: 'https://a', subject: 's' } }).value).toBe(true);
    expect(decide(rule('request.auth.claims[sub]', ['s']), target, { jwt: { issuer: 'https://a' } }).value).toBe('unknown');
    expect(decide(rule('request.auth.audiences', ['x']), target, {}).value).toBe(false);
    expect(decide(rule('request.auth.audiences', [], ['x']), target, {}).value).toBe(true);
    expect(decide(rule('request.auth.claims[groups]', ['admin']), target, { jwt: { issuer: 'https://a' } }).value).toBe('unknown');
  });

  test('conditions the evaluator does not understand are unknown, not guessed', () => {
    const rule = (key: string) => [ap('foo', 'a', { rules: [{ when: [{ key, values: ['x'] }] }] })];
    expect(decide(rule('request.headers[x-token]'), target, {})).toMatchObject({ value: 'unknown', reason: expect.stringContaining('request headers') });
    expect(decide(rule('experimental.envoy.filters.network.mysql_proxy[db.table]'), target, {}).value).toBe('unknown');
    expect(decide(rule('source.ip'), target, {}).value).toBe('unknown');
    expect(decide(rule('made.up'), target, {}).reason).toContain('not evaluated offline');
    expect(decide([ap('foo', 'a', { rules: [{ when: [{ values: ['x'] }] }] })], target, {}).value).toBe('unknown');
    // On TCP, a DENY rule's header condition is ignored (the rule gets wider).
    expect(decide([ap('foo', 'd', { action: 'DENY', rules: [{ when: [{ key: 'request.headers[x]', values: ['1'] }] }] })], target, { protocol: 'tcp' }).value).toBe(false);
  });

  test('matchRule rejects rules that are not objects', () => {
    expect(matchRule('nope', { protocol: 'http', port: 1 }, { action: 'ALLOW', namespace: 'foo' }).value).toBe(false);
  });
});

describe('describeRule and candidateRequests', () => {
  test('describeRule says what a rule requires beyond caller and port', () => {
    expect(describeRule({ to: [{ operation: { methods: ['GET'], paths: ['/ratings/*'], ports: ['9080'] } }] })).toBe('GET /ratings/*');
    expect(describeRule({
      from: [{ source: { principals: ['p'], requestPrincipals: ['https://a/*'] } }],
      to: [{ operation: { notMethods: ['DELETE'], notPaths: ['/admin*'], hosts: ['a.com'], notHosts: ['b.com'] } }],
      when: [{ key: 'source.principal', values: ['x'] }, { key: 'connection.sni', values: ['s'], notValues: ['t'] }],
    })).toBe('not DELETE not /admin* host a.com not host b.com; JWT https://a/*; connection.sni=s; connection.sni!=t');
    expect(describeRule({})).toBe('any request');
    expect(describeRule(null)).toBe('nothing');
  });

  test('candidateRequests builds requests each ALLOW rule would match, then a default one', () => {
    const { policies } = parseAuthorizationPolicies([ap('foo', 'a', {
      rules: [{
        from: [{ source: { requestPrincipals: ['https://sts/*'] } }],
        to: [{ operation: { methods: ['GET', 'POST'], paths: ['/login', '/static/*'] } }],
      }, { to: [{ operation: { notMethods: ['GET'], notPaths: ['/'] } }], when: [{ key: 'connection.sni', values: ['*.example.com'] }] }],
    })]);
    const c = candidateRequests(policies, true, {}, { host: 'a.foo.svc.cluster.local', issuers: ['https://sts'] });
    expect(c).toContainEqual({ method: 'GET', path: '/login', host: 'a.foo.svc.cluster.local', jwtIssuer: 'https://sts', jwtSubject: 'subject', sni: undefined });
    expect(c).toContainEqual({ method: 'POST', path: '/static/x', host: 'a.foo.svc.cluster.local', jwtIssuer: 'https://sts', jwtSubject: 'subject', sni: undefined });
    expect(c).toContainEqual({ method: 'POST', path: '/x', host: 'a.foo.svc.cluster.local', jwtIssuer: undefined, jwtSubject: undefined, sni: 'x.example.com' });
    expect(c[c.length - 1]).toEqual({ method: 'GET', path: '/', host: 'a.foo.svc.cluster.local', jwtIssuer: undefined, jwtSubject: undefined, sni: undefined });
    // Fixed attributes are kept; TCP requests carry no HTTP attributes.
    expect(candidateRequests(policies, true, { method: 'PUT', jwtIssuer: 'https://sts' }, { host: 'h', issuers: [] }).every((x) => x.method === 'PUT' && x.jwtIssuer === 'https://sts')).toBe(true);
    expect(candidateRequests(policies, false, {}, { host: 'h', issuers: [] }).every((x) => x.method === undefined && x.path === undefined)).toBe(true);
  });
});

describe('denied by default: what makes "no ALLOW rule matches" a denial', () => {
  const target = wl('shop', 'db');
  const web = 'cluster.local/ns/shop/sa/web';
  const forApi = ap('shop', 'db', { selector: { matchLabels: { app: 'db' } }, rules: [{ from: [{ source: { principals: ['cluster.local/ns/shop/sa/api'] } }] }] });
  const monitoring = ap('shop', 'monitoring', { rules: [{ from: [{ source: { namespaces: ['monitoring'] } }], to: [{ operation: { ports: ['15020'] } }] }] });

  test('an allow-nothing policy is named (the most specific one), not an ALLOW policy that admits other callers', () => {
    const r = decide([forApi, monitoring, ap('istio-system', 'allow-nothing', {}), ap('shop', 'allow-nothing', {})], target, { principal: web });
    expect(r).toMatchObject({ value: false, byDefault: true, decidedBy: 'AuthorizationPolicy/shop/allow-nothing' });
    expect(r.reason).toContain('AuthorizationPolicy/shop/db: rules[0]: principal cluster.local/ns/shop/sa/web is not one of [cluster.local/ns/shop/sa/api]');
    expect(r.reason).toContain('AuthorizationPolicy/shop/allow-nothing and AuthorizationPolicy/istio-system/allow-nothing allow nothing, so what no ALLOW rule admits is denied');
  });

  test('without one, the most specific ALLOW policy (the target\'s own), whatever the input order', () => {
    const r = decide([monitoring, forApi], target, { principal: web });
    expect(r).toMatchObject({ value: false, byDefault: true, decidedBy: 'AuthorizationPolicy/shop/db' });
    expect(r.reason).toContain('ALLOW policies apply to shop/db, so what none of their rules admits is denied');
    expect(decide([forApi, monitoring], target, { principal: web }).decidedBy).toBe('AuthorizationPolicy/shop/db');
  });

  test('a matching DENY rule is not a default denial', () => {
    const deny = ap('shop', 'no-web', { action: 'DENY', rules: [{ from: [{ source: { principals: [web] } }] }] });
    const r = decide([deny, forApi], target, { principal: web });
    expect(r).toMatchObject({ value: false, decidedBy: 'AuthorizationPolicy/shop/no-web' });
    expect(r.byDefault).toBeUndefined();
  });
});

describe('trust domains: principals as Istio applies them (trustDomain, trustDomainAliases)', () => {
  const retail = { trustDomain: 'retail.example.com', aliases: [] };
  const migrating = { trustDomain: 'new-td', aliases: ['old-td', '*-legacy'] };

  test('the mesh\'s own trust domain, an alias or cluster.local (a pointer to the local trust domain) read as the mesh\'s', () => {
    expect(localPrincipal('retail.example.com/ns/a/sa/b', retail)).toEqual({ value: 'retail.example.com/ns/a/sa/b' });
    expect(localPrincipal('cluster.local/ns/a/sa/b', retail)).toEqual({ value: 'retail.example.com/ns/a/sa/b' });
    expect(localPrincipal('old-td/ns/a/sa/b', migrating)).toEqual({ value: 'new-td/ns/a/sa/b' });
    // A pattern trust domain matching an alias.
    expect(localPrincipal('*-td/ns/a/sa/b', migrating)).toEqual({ value: 'new-td/ns/a/sa/b' });
    expect(localPrincipal('x-legacy/ns/a/sa/b', migrating)).toEqual({ value: 'new-td/ns/a/sa/b' });
  });

  test('another trust domain is kept and reported; principals naming none are kept silently', () => {
    expect(localPrincipal('other.org/ns/a/sa/b', retail)).toEqual({ value: 'other.org/ns/a/sa/b', foreign: 'other.org' });
    expect(localPrincipal('old-td/ns/a/sa/b', retail)).toEqual({ value: 'old-td/ns/a/sa/b', foreign: 'old-td' });
    for (const v of ['*', '*/ns/a/sa/b', '*/sa/b', 'spiffe://cluster.local/ns/a/sa/b', 'sa/b']) expect(localPrincipal(v, retail)).toEqual({ value: v });
    // Istio migrates five-part principals only: cluster.local/ns/a/* keeps matching cluster.local identities, none here.
    expect(localPrincipal('cluster.local/ns/a/*', retail)).toEqual({ value: 'cluster.local/ns/a/*', foreign: 'cluster.local' });
    expect(localPrincipal('old-td/ns/a/*', migrating)).toEqual({ value: 'old-td/ns/a/*' });
  });

  test('parseAuthorizationPolicies reads principals, notPrincipals and source.principal conditions that way, and names foreign trust domains', () => {
    const policy = ap('shop', 'db', {
      rules: [{
        from: [{ source: { principals: ['old-td/ns/shop/sa/api', 'retail.example.com/ns/shop/sa/web'], notPrincipals: ['cluster.local/ns/shop/sa/x'] } }],
        when: [{ key: 'source.principal', values: ['old-td/ns/shop/sa/api'] }, { key: 'destination.port', values: ['5432'] }],
      }],
    });
    const { policies, trustDomainWarnings } = parseAuthorizationPolicies([policy], migrating);
    expect(policies[0].rules).toEqual([{
      from: [{ source: { principals: ['new-td/ns/shop/sa/api', 'retail.example.com/ns/shop/sa/web'], notPrincipals: ['new-td/ns/shop/sa/x'] } }],
      when: [{ key: 'source.principal', values: ['new-td/ns/shop/sa/api'], notValues: undefined }, { key: 'destination.port', values: ['5432'] }],
    }]);
    expect(trustDomainWarnings).toHaveLength(1);
    expect(trustDomainWarnings[0]).toMatch(/^AuthorizationPolicy\/shop\/db names principals of trust domain retail\.example\.com, but the trust domain evaluated is new-td \(aliases: old-td, \*-legacy\)/);
    for (const where of ['trustDomain in secure-mesh.yaml', '--trust-domain retail.example.com', 'AccessMatrixOptions.trustDomain', '--trust-domain-alias']) {
      expect(trustDomainWarnings[0]).toContain(where);
    }
    // Without a bundle (or with nothing to change), the rules are the policy's own.
    expect(parseAuthorizationPolicies([policy]).policies[0].rules).toBe(policy.spec.rules);
    expect(parseAuthorizationPolicies([ap('shop', 'x', { rules: [{ to: [{ operation: { ports: ['1'] } }] }] })], retail).policies[0].rules[0])
      .toEqual({ to: [{ operation: { ports: ['1'] } }] });
  });
});
