import {
  AMBIENT_NS, INGRESS_GATEWAY, SELECT, TO_GATEWAY, TO_SERVICE, ap, deploy, netpol, pa, principal, ra, service, shop, waypoint,
} from './ambient-fixtures';
import { AccessMatrix } from '../../src/audit/access-matrix';
import { AccessDecision, AccessLayer, AccessRequest, TokenState } from '../../src/audit/access-types';

/*
 * Who enforces what in ambient (issue 17): the attachment table of istio.io
 * docs/ambient/usage/l4-policy ("Authorization policy attachment"), L7 attributes failing closed at
 * ztunnel as istiod converts them (pilot/pkg/serviceregistry/kube/controller/ambient/authorization.go),
 * requests that bypass a waypoint, HBONE's port 15008 for NetworkPolicy, tokens at the waypoint.
 * The manifests are in ./ambient-fixtures.ts.
 */

const WEB = principal('shop', 'web');
const WAYPOINT = principal('shop', 'waypoint');
const FRONT_CLIENT = principal('front', 'client');
const GATEWAY = principal('istio-system', 'istio-ingressgateway-service-account');

const allowFrom = (...principals: string[]) => [{ from: [{ source: { principals } }] }];

function matrix(...extra: any[]): AccessMatrix {
  return AccessMatrix.fromManifests([...shop(), ...extra], { workloads: [INGRESS_GATEWAY] });
}

function ask(m: AccessMatrix, request: AccessRequest) {
  return m.check(request);
}

describe('data planes', () => {
  test('ambient (namespace or pod label, no sidecar), sidecar, none; the waypoint is a hop, not a workload', () => {
    const m = matrix(deploy('legacy', 'opted-out', [8080], { 'istio.io/dataplane-mode': 'none' }), deploy('outside', 'enrolled', [8080], { 'istio.io/dataplane-mode': 'ambient' }));
    const planes = Object.fromEntries(m.workloads().map((w) => [w.id, w.dataPlane]));
    expect(planes).toEqual({
      'front/client': 'ambient',
      'istio-system/istio-ingressgateway': 'sidecar',
      'legacy/client': 'sidecar',
      'legacy/opted-out': 'sidecar',
      'outside/curl': 'none',
      'outside/enrolled': 'ambient',
      'shop/api': 'ambient',
      'shop/db': 'ambient',
      'shop/web': 'ambient',
    });
    expect(m.workloads().map((w) => w.id)).not.toContain('shop/waypoint');
    // A pod opts out of an ambient namespace with istio.io/dataplane-mode: none.
    const out = AccessMatrix.fromManifests([AMBIENT_NS('shop'), deploy('shop', 'batch', [8080], { 'istio.io/dataplane-mode': 'none' })]);
    expect(out.workloads()[0].dataPlane).toBe('none');
    // Sidecar injection takes precedence over the ambient label.
    const both = AccessMatrix.fromManifests([AMBIENT_NS('shop', { 'istio-injection': 'enabled' }), deploy('shop', 'x')]);
    expect(both.workloads()[0]).toMatchObject({ sidecar: true, dataPlane: 'sidecar' });
  });

  test('a Deployment labelled with the waypoint\'s name is the waypoint\'s pods (its service account is its identity)', () => {
    const pods = { ...deploy('shop', 'waypoint-pods', [15008], { 'gateway.networking.k8s.io/gateway-name': 'waypoint' }) };
    pods.spec.template.spec.serviceAccountName = 'wp-sa';
    const m = matrix(pods, ap('shop', 'api', { selector: SELECT('api'), rules: allowFrom(principal('shop', 'wp-sa')) }));
    expect(m.workloads().map((w) => w.id)).not.toContain('shop/waypoint-pods');
    expect(ask(m, { from: 'shop/web', to: 'shop/api', port: 80 })).toMatchObject({ allowed: true });
    expect(m.warnings()).toContain('shop/waypoint-pods runs the waypoint Gateway/shop/waypoint (gateway.networking.k8s.io/gateway-name: waypoint): '
      + 'it is a hop of the requests it serves, not a workload of the matrix');
  });
});

describe('the attachment table (istio.io docs/ambient/usage/l4-policy)', () => {
  test('no waypoint, selector: the destination ztunnel, with the client pod\'s identity', () => {
    const m = matrix(ap('shop', 'db', { selector: SELECT('db'), rules: allowFrom(WEB) }));
    expect(ask(m, { from: 'shop/web', to: 'shop/db', port: 5432 })).toMatchObject({
      allowed: true,
      decidedBy: 'AuthorizationPolicy/shop/db',
      layer: AccessLayer.ZTUNNEL,
      reason: expect.stringContaining(`at shop/db's ztunnel (L4, identity ${WEB}`),
      example: { protocol: 'tcp', principal: WEB },
    });
    const other = ask(m, { from: 'front/client', to: 'shop/db', port: 5432 });
    expect(other).toMatchObject({ allowed: false, decidedBy: 'AuthorizationPolicy/shop/db', layer: AccessLayer.ZTUNNEL });
    expect(other.missingGrants).toEqual([
      `an ALLOW rule in an AuthorizationPolicy selecting shop/db (namespace shop) with from.source.principals [${FRONT_CLIENT}] and to.operation.ports [5432]`,
    ]);
    expect(other.layers.map((l) => l.layer)).toEqual([AccessLayer.NETWORK, AccessLayer.NETWORK, AccessLayer.MTLS, AccessLayer.ZTUNNEL]);
  });

  test('waypoint, selector: the destination ztunnel, with the waypoint\'s identity', () => {
    // Admitting the client at the pod does not help: the pod's ztunnel sees the waypoint.
    const client = matrix(ap('shop', 'api', { selector: SELECT('api'), rules: allowFrom(WEB) }));
    const denied = ask(client, { from: 'shop/web', to: 'shop/api', port: 80 });
    expect(denied).toMatchObject({
      allowed: false,
      decidedBy: 'AuthorizationPolicy/shop/api',
      layer: AccessLayer.ZTUNNEL,
      reason: expect.stringContaining(`hop 2: the ztunnel of shop/api: no ALLOW rule of shop/api at its ztunnel admits principal ${WAYPOINT}`),
    });
    expect(denied.missingGrants).toEqual([
      `an ALLOW rule in an AuthorizationPolicy selecting shop/api (namespace shop) with from.source.principals [${WAYPOINT}] and to.operation.ports [8080]`,
    ]);
    const viaWaypoint = matrix(ap('shop', 'api', { selector: SELECT('api'), rules: allowFrom(WAYPOINT) }));
    const ok = ask(viaWaypoint, { from: 'shop/web', to: 'shop/api', port: 80 });
    expect(ok).toMatchObject({ allowed: true, decidedBy: 'AuthorizationPolicy/shop/api', layer: AccessLayer.ZTUNNEL, port: 8080 });
    expect(ok.layers.map((l) => l.layer)).toEqual([
      AccessLayer.NETWORK, AccessLayer.NETWORK, AccessLayer.WAYPOINT, AccessLayer.NETWORK, AccessLayer.NETWORK, AccessLayer.MTLS, AccessLayer.ZTUNNEL,
    ]);
    expect(ok.layers[6].reason).toBe(`hop 2, at shop/api's ztunnel (L4, the waypoint's identity ${WAYPOINT}): ALLOW rule rules[0] of AuthorizationPolicy/shop/api matches`);
  });

  test('no waypoint, namespace-wide: the destination ztunnel, with the client pod\'s identity', () => {
    const m = matrix(ap('shop', 'from-web', { rules: allowFrom(WEB) }));
    expect(ask(m, { from: 'shop/web', to: 'shop/db', port: 5432 })).toMatchObject({ allowed: true, decidedBy: 'AuthorizationPolicy/shop/from-web', layer: AccessLayer.ZTUNNEL });
    expect(ask(m, { from: 'front/client', to: 'shop/db', port: 5432 })).toMatchObject({ allowed: false, decidedBy: 'AuthorizationPolicy/shop/from-web', layer: AccessLayer.ZTUNNEL });
  });

  test('waypoint, namespace-wide: the destination ztunnel, with the waypoint\'s identity', () => {
    expect(ask(matrix(ap('shop', 'from-web', { rules: allowFrom(WEB) })), { from: 'shop/web', to: 'shop/api', port: 80 }))
      .toMatchObject({ allowed: false, decidedBy: 'AuthorizationPolicy/shop/from-web', layer: AccessLayer.ZTUNNEL });
    expect(ask(matrix(ap('shop', 'from-waypoint', { rules: allowFrom(WAYPOINT) })), { from: 'shop/web', to: 'shop/api', port: 80 }))
      .toMatchObject({ allowed: true, decidedBy: 'AuthorizationPolicy/shop/from-waypoint', layer: AccessLayer.ZTUNNEL });
  });

  test('root namespace without selector: mesh-wide, at every ztunnel', () => {
    const m = matrix(ap('istio-system', 'allow-nothing', {}));
    expect(ask(m, { from: 'shop/web', to: 'shop/db', port: 5432 })).toMatchObject({ allowed: false, decidedBy: 'AuthorizationPolicy/istio-system/allow-nothing', layer: AccessLayer.ZTUNNEL });
    expect(ask(m, { from: 'shop/web', to: 'shop/api', port: 80 })).toMatchObject({ allowed: false, decidedBy: 'AuthorizationPolicy/istio-system/allow-nothing', layer: AccessLayer.ZTUNNEL });
  });

  test('waypoint, targetRefs Service: the waypoint, with the client pod\'s identity, L4 and L7', () => {
    const m = matrix(
      ap('shop', 'api-waypoint', { targetRefs: TO_SERVICE('api'), rules: [{ from: [{ source: { principals: [WEB] } }], to: [{ operation: { methods: ['GET'], paths: ['/items/*'] } }] }] }),
      ap('shop', 'api', { selector: SELECT('api'), rules: allowFrom(WAYPOINT) }),
    );
    const get = ask(m, { from: 'shop/web', to: 'shop/api', port: 80, method: 'GET', path: '/items/1' });
    expect(get).toMatchObject({
      allowed: true,
      decidedBy: 'AuthorizationPolicy/shop/api-waypoint',
      layer: AccessLayer.WAYPOINT,
      conditions: ['GET /items/*'],
      example: { protocol: 'http', method: 'GET', path: '/items/1', host: 'api.shop.svc.cluster.local', principal: WEB },
    });
    expect(get.reason).toBe(`hop 1, at waypoint Gateway/shop/waypoint (identity ${WEB} of shop/web, Service port 80): ALLOW rule rules[0] of AuthorizationPolicy/shop/api-waypoint matches; `
      + `then hop 2, at shop/api's ztunnel (L4, the waypoint's identity ${WAYPOINT}): ALLOW rule rules[0] of AuthorizationPolicy/shop/api matches `
      + '(Service port shop/api:80 targets container port 8080)');
    const post = ask(m, { from: 'shop/web', to: 'shop/api', port: 80, method: 'POST', path: '/items/1' });
    expect(post).toMatchObject({ allowed: false, decidedBy: 'AuthorizationPolicy/shop/api-waypoint', layer: AccessLayer.WAYPOINT });
    expect(post.reason).toContain('at hop 1: the waypoint Gateway/shop/waypoint: no ALLOW rule at waypoint Gateway/shop/waypoint for Service shop/api admits '
      + `principal ${WEB} on port 80 for POST /items/1 (AuthorizationPolicy/shop/api-waypoint: rules[0]: method POST is not one of [GET])`);
    // The waypoint matches the Service port (80), not the pod's (8080).
    expect(post.missingGrants).toEqual([
      `an ALLOW rule in an AuthorizationPolicy with targetRefs [Service api] (namespace shop) with from.source.principals [${WEB}] `
      + 'and to.operation.ports [80], to.operation.methods [POST], to.operation.paths [/items/1]',
    ]);
    // The caller's own identity is judged at the waypoint, a sidecar caller's too.
    expect(ask(m, { from: 'front/client', to: 'shop/api', port: 80, method: 'GET', path: '/items/1' }))
      .toMatchObject({ allowed: false, decidedBy: 'AuthorizationPolicy/shop/api-waypoint', layer: AccessLayer.WAYPOINT });
    expect(ask(m, { from: 'legacy/client', to: 'shop/api', port: 80, method: 'GET', path: '/items/1' })).toMatchObject({
      allowed: false,
      decidedBy: 'AuthorizationPolicy/shop/api-waypoint',
      layer: AccessLayer.WAYPOINT,
      reason: expect.stringContaining(`no ALLOW rule at waypoint Gateway/shop/waypoint for Service shop/api admits principal ${principal('legacy', 'client')}`),
    });
    // Policies attached to the Service do nothing at its pods' ztunnel.
    expect(ask(m, { from: 'shop/web', to: 'shop/db', port: 5432 })).toMatchObject({ allowed: true, decidedBy: '' });
  });

  test('at the waypoint, ports name the Service port; at the ztunnel, the pod\'s', () => {
    const onPort = (waypointPort: string, podPort: string) => matrix(
      ap('shop', 'api-waypoint', { targetRefs: TO_SERVICE('api'), rules: [{ from: [{ source: { principals: [WEB] } }], to: [{ operation: { ports: [waypointPort] } }] }] }),
      ap('shop', 'api', { selector: SELECT('api'), rules: [{ from: [{ source: { principals: [WAYPOINT] } }], to: [{ operation: { ports: [podPort] } }] }] }),
    );
    expect(ask(onPort('80', '8080'), { from: 'shop/web', to: 'shop/api', port: 80 })).toMatchObject({ allowed: true });
    expect(ask(onPort('8080', '8080'), { from: 'shop/web', to: 'shop/api', port: 80 })).toMatchObject({ allowed: false, layer: AccessLayer.WAYPOINT });
    expect(ask(onPort('80', '80'), { from: 'shop/web', to: 'shop/api', port: 80 })).toMatchObject({ allowed: false, layer: AccessLayer.ZTUNNEL });
  });

  test('waypoint, targetRefs Gateway: the waypoint, with the client pod\'s identity', () => {
    const m = matrix(ap('shop', 'no-front', { targetRefs: TO_GATEWAY('waypoint'), action: 'DENY', rules: [{ from: [{ source: { namespaces: ['front'] } }] }] }));
    expect(ask(m, { from: 'front/client', to: 'shop/api', port: 80 })).toMatchObject({
      allowed: false,
      decidedBy: 'AuthorizationPolicy/shop/no-front',
      layer: AccessLayer.WAYPOINT,
      reason: expect.stringContaining(`hop 1, at waypoint Gateway/shop/waypoint (identity ${FRONT_CLIENT} of front/client, Service port 80): DENY rule rules[0] of AuthorizationPolicy/shop/no-front matches`),
      missingGrants: [],
    });
    expect(ask(m, { from: 'shop/web', to: 'shop/api', port: 80 })).toMatchObject({ allowed: true });
    // The Service without a waypoint is not behind it.
    expect(ask(m, { from: 'front/client', to: 'shop/db', port: 5432 })).toMatchObject({ allowed: true });
  });

  test('the istio-waypoint GatewayClass from the root namespace: every waypoint; another class or namespace: nothing', () => {
    const toClass = (name: string) => [{ kind: 'GatewayClass', group: 'gateway.networking.k8s.io', name }];
    const deny = { action: 'DENY', rules: [{ from: [{ source: { namespaces: ['front'] } }] }] };
    const m = matrix(ap('istio-system', 'waypoints', { targetRefs: toClass('istio-waypoint'), ...deny }));
    expect(ask(m, { from: 'front/client', to: 'shop/api', port: 80 })).toMatchObject({ allowed: false, decidedBy: 'AuthorizationPolicy/istio-system/waypoints', layer: AccessLayer.WAYPOINT });
    const elsewhere = matrix(ap('shop', 'waypoints', { targetRefs: toClass('istio-waypoint'), ...deny }), ap('istio-system', 'istio', { targetRefs: toClass('istio'), ...deny }));
    expect(ask(elsewhere, { from: 'front/client', to: 'shop/api', port: 80 })).toMatchObject({ allowed: true });
    expect(elsewhere.warnings()).toEqual(expect.arrayContaining([
      'AuthorizationPolicy/shop/waypoints attaches to GatewayClass istio-waypoint: Istio binds a GatewayClass reference only for istio-waypoint, '
      + 'from the root namespace istio-system, so it applies to nothing',
    ]));
  });

  test('selector and namespace-wide policies never apply at the waypoint', () => {
    const m = matrix(ap('shop', 'deny-front', { action: 'DENY', rules: [{ from: [{ source: { namespaces: ['front'] } }] }] }));
    // Through the waypoint, the ztunnel sees the waypoint (namespace shop), not front: the DENY does not match.
    expect(ask(m, { from: 'front/client', to: 'shop/api', port: 80 })).toMatchObject({ allowed: true });
    // Straight to the ztunnel, it does.
    expect(ask(m, { from: 'front/client', to: 'shop/db', port: 5432 })).toMatchObject({ allowed: false, decidedBy: 'AuthorizationPolicy/shop/deny-front', layer: AccessLayer.ZTUNNEL });
  });
});

describe('L7 attributes at ztunnel fail closed, as istiod converts them', () => {
  test('an ALLOW rule with methods, paths, hosts or request principals never matches at ztunnel', () => {
    for (const to of [{ methods: ['GET'] }, { paths: ['/x'] }, { hosts: ['db'] }, { notMethods: ['DELETE'] }]) {
      const m = matrix(ap('shop', 'db', { selector: SELECT('db'), rules: [{ from: [{ source: { principals: [WEB] } }], to: [{ operation: to }] }] }));
      const r = ask(m, { from: 'shop/web', to: 'shop/db', port: 5432 });
      expect(r).toMatchObject({ allowed: false, decidedBy: 'AuthorizationPolicy/shop/db', layer: AccessLayer.ZTUNNEL });
      expect(r.reason).toContain(`ztunnel cannot match HTTP attributes (${Object.keys(to)[0]}), so istiod omits this ALLOW rule for ztunnel: it never matches`);
    }
    const jwt = matrix(ap('shop', 'db', { selector: SELECT('db'), rules: [{ from: [{ source: { requestPrincipals: ['*'] } }] }] }));
    expect(ask(jwt, { from: 'shop/web', to: 'shop/db', port: 5432, jwtIssuer: 'https://issuer' })).toMatchObject({ allowed: false, layer: AccessLayer.ZTUNNEL });
  });

  test('an HTTP condition drops the ALLOW rule; the policy\'s L4 rules still match', () => {
    const m = matrix(ap('shop', 'db', {
      selector: SELECT('db'),
      rules: [
        { from: [{ source: { principals: [WEB] } }], when: [{ key: 'request.headers[x-token]', values: ['admin'] }] },
        { from: [{ source: { principals: [FRONT_CLIENT] } }], when: [{ key: 'source.namespace', values: ['front'] }] },
      ],
    }));
    expect(ask(m, { from: 'shop/web', to: 'shop/db', port: 5432 })).toMatchObject({ allowed: false, decision: AccessDecision.DENIED, layer: AccessLayer.ZTUNNEL });
    expect(ask(m, { from: 'front/client', to: 'shop/db', port: 5432 })).toMatchObject({ allowed: true, decidedBy: 'AuthorizationPolicy/shop/db' });
    expect(m.warnings()).toContain('AuthorizationPolicy/shop/db uses HTTP attributes (request.headers[x-token]) that the ztunnel of ambient workloads cannot see: '
      + 'its ALLOW rules that use them never match there (istiod\'s conversion for ztunnel); attach L7 rules to a waypoint with targetRefs (shop/db)');
  });

  test('a DENY rule keeps its L4 part: it denies every request of the caller, whatever the path', () => {
    const m = matrix(ap('shop', 'no-admin', {
      selector: SELECT('db'), action: 'DENY', rules: [{ from: [{ source: { principals: [WEB] } }], to: [{ operation: { paths: ['/admin/*'] } }] }],
    }));
    const r = ask(m, { from: 'shop/web', to: 'shop/db', port: 5432 });
    expect(r).toMatchObject({ allowed: false, decidedBy: 'AuthorizationPolicy/shop/no-admin', layer: AccessLayer.ZTUNNEL, missingGrants: [] });
    expect(r.reason).toBe(`at shop/db's ztunnel (L4, identity ${WEB}; neither Service shop/db nor namespace shop has istio.io/use-waypoint, so no waypoint serves it): `
      + 'DENY rule rules[0] of AuthorizationPolicy/shop/no-admin matches');
    // Another caller is not named by the L4 part.
    expect(ask(m, { from: 'front/client', to: 'shop/db', port: 5432 })).toMatchObject({ allowed: true });
    expect(m.warnings()).toContain('AuthorizationPolicy/shop/no-admin uses HTTP attributes (paths) that the ztunnel of ambient workloads cannot see: '
      + 'its DENY rules apply there without them, denying more than written (istiod\'s conversion for ztunnel); attach L7 rules to a waypoint with targetRefs (shop/db)');
    // A DENY rule with only an HTTP condition denies everyone.
    const all = matrix(ap('shop', 'no-header', { selector: SELECT('db'), action: 'DENY', rules: [{ when: [{ key: 'request.headers[x-debug]', values: ['1'] }] }] }));
    expect(ask(all, { from: 'front/client', to: 'shop/db', port: 5432 })).toMatchObject({ allowed: false, decidedBy: 'AuthorizationPolicy/shop/no-header' });
  });

  test('the same L7 rule at the waypoint is enforced as written', () => {
    const m = matrix(ap('shop', 'no-admin', {
      targetRefs: TO_SERVICE('api'), action: 'DENY', rules: [{ from: [{ source: { principals: [WEB] } }], to: [{ operation: { paths: ['/admin/*'] } }] }],
    }));
    expect(ask(m, { from: 'shop/web', to: 'shop/api', port: 80, method: 'GET', path: '/items' })).toMatchObject({ allowed: true });
    expect(ask(m, { from: 'shop/web', to: 'shop/api', port: 80, method: 'GET', path: '/admin/x' })).toMatchObject({ allowed: false, layer: AccessLayer.WAYPOINT });
  });

  test('CUSTOM is not enforced by ztunnel (istiod does not send it), and says so', () => {
    const m = matrix(ap('shop', 'ext', { selector: SELECT('db'), action: 'CUSTOM', provider: { name: 'authz' }, rules: [{}] }));
    expect(ask(m, { from: 'shop/web', to: 'shop/db', port: 5432 })).toMatchObject({ allowed: true, decision: AccessDecision.ALLOWED });
    expect(m.warnings()).toContain('AuthorizationPolicy/shop/ext (CUSTOM) is not enforced for ambient workloads: ztunnel does not support the CUSTOM action '
      + '(istiod does not send it to ztunnel); attach it to a waypoint with targetRefs (shop/db)');
    // At the waypoint, the external authorizer decides.
    const wp = matrix(ap('shop', 'ext', { targetRefs: TO_SERVICE('api'), action: 'CUSTOM', provider: { name: 'authz' }, rules: [{}] }));
    expect(ask(wp, { from: 'shop/web', to: 'shop/api', port: 80 })).toMatchObject({ decision: AccessDecision.UNKNOWN, decidedBy: 'AuthorizationPolicy/shop/ext', layer: AccessLayer.WAYPOINT });
  });

  test('trustDomains is not converted for ztunnel: it matches any source there', () => {
    const m = matrix(ap('shop', 'db', { selector: SELECT('db'), rules: [{ from: [{ source: { trustDomains: ['other.example'] } }] }] }));
    expect(ask(m, { from: 'shop/web', to: 'shop/db', port: 5432 })).toMatchObject({ allowed: true, decidedBy: 'AuthorizationPolicy/shop/db' });
  });
});

describe('requests that bypass the waypoint', () => {
  const onlyWaypoint = ap('shop', 'api', { selector: SELECT('api'), rules: allowFrom(WAYPOINT) });
  const gatewayAtWaypoint = ap('shop', 'api-waypoint', { targetRefs: TO_SERVICE('api'), rules: allowFrom(GATEWAY, WEB) });

  test('an Istio gateway skips the waypoint without istio.io/ingress-use-waypoint: a policy admitting only the waypoint denies it', () => {
    const m = matrix(onlyWaypoint, gatewayAtWaypoint);
    const r = ask(m, { from: 'istio-system/istio-ingressgateway', to: 'shop/api', port: 80 });
    expect(r).toMatchObject({ allowed: false, decidedBy: 'AuthorizationPolicy/shop/api', layer: AccessLayer.ZTUNNEL });
    expect(r.layers.map((l) => l.layer)).not.toContain(AccessLayer.WAYPOINT);
    expect(r.reason).toContain('istio-system/istio-ingressgateway is an Istio gateway, which skips the waypoint Gateway/shop/waypoint of Service shop/api');
    expect(r.missingGrants).toEqual([
      `an ALLOW rule in an AuthorizationPolicy selecting shop/api (namespace shop) with from.source.principals [${GATEWAY}] and to.operation.ports [8080] `
      + '(or label Service shop/api istio.io/ingress-use-waypoint: "true" so that istio-system/istio-ingressgateway goes through the waypoint Gateway/shop/waypoint)',
    ]);
    // The mesh's own callers go through it.
    expect(ask(m, { from: 'shop/web', to: 'shop/api', port: 80 })).toMatchObject({ allowed: true, layer: AccessLayer.WAYPOINT });
  });

  test('with istio.io/ingress-use-waypoint: "true" on the Service (or its namespace) the gateway goes through the waypoint', () => {
    const labelled = [
      AMBIENT_NS('shop'), deploy('shop', 'api'), waypoint('shop'),
      service('shop', 'api', 80, 8080, 'http', { 'istio.io/use-waypoint': 'waypoint', 'istio.io/ingress-use-waypoint': 'true' }),
    ];
    const m = AccessMatrix.fromManifests([...labelled, onlyWaypoint, gatewayAtWaypoint], { workloads: [INGRESS_GATEWAY] });
    expect(ask(m, { from: 'istio-system/istio-ingressgateway', to: 'shop/api', port: 80 })).toMatchObject({
      allowed: true, decidedBy: 'AuthorizationPolicy/shop/api-waypoint', layer: AccessLayer.WAYPOINT,
    });
    const viaNamespace = [
      AMBIENT_NS('shop', { 'istio.io/use-waypoint': 'waypoint', 'istio.io/ingress-use-waypoint': 'true' }), deploy('shop', 'api'), waypoint('shop'),
      service('shop', 'api', 80, 8080),
    ];
    const n = AccessMatrix.fromManifests([...viaNamespace, onlyWaypoint, gatewayAtWaypoint], { workloads: [INGRESS_GATEWAY] });
    expect(ask(n, { from: 'istio-system/istio-ingressgateway', to: 'shop/api', port: 80 })).toMatchObject({ allowed: true, layer: AccessLayer.WAYPOINT });
  });

  test('a port with no Service in front (the pod\'s IP) and a headless Service skip the waypoint', () => {
    const m = matrix(onlyWaypoint, gatewayAtWaypoint);
    const podIp = ask(m, { from: 'shop/web', to: 'shop/api', port: 9090 });
    expect(podIp).toMatchObject({ allowed: false, decidedBy: 'AuthorizationPolicy/shop/api', layer: AccessLayer.ZTUNNEL });
    expect(podIp.reason).toContain('no Service is in front of the port, so the caller addresses the pod\'s IP, which skips any service waypoint');
    const headless = AccessMatrix.fromManifests([
      AMBIENT_NS('shop'), deploy('shop', 'web'), deploy('shop', 'api'), waypoint('shop'), onlyWaypoint, gatewayAtWaypoint,
      service('shop', 'api', 8080, 8080, 'http', { 'istio.io/use-waypoint': 'waypoint' }, { clusterIP: 'None' }),
    ]);
    const r = ask(headless, { from: 'shop/web', to: 'shop/api', port: 8080 });
    expect(r).toMatchObject({ allowed: false, layer: AccessLayer.ZTUNNEL });
    expect(r.reason).toContain('Service shop/api is headless (clusterIP: None): callers reach the pods\' IPs, with no waypoint');
  });

  test('istio.io/use-waypoint: none on the Service opts it out of its namespace\'s waypoint; waypoint-for must take services', () => {
    const nsWaypoint = (svcLabels: { [k: string]: string }, wpLabels: { [k: string]: string } = {}) => AccessMatrix.fromManifests([
      AMBIENT_NS('shop', { 'istio.io/use-waypoint': 'waypoint' }), deploy('shop', 'web'), deploy('shop', 'api'), waypoint('shop', 'waypoint', wpLabels),
      service('shop', 'api', 80, 8080, 'http', svcLabels), onlyWaypoint,
    ]);
    expect(ask(nsWaypoint({}), { from: 'shop/web', to: 'shop/api', port: 80 })).toMatchObject({ allowed: true });
    expect(ask(nsWaypoint({ 'istio.io/use-waypoint': 'none' }), { from: 'shop/web', to: 'shop/api', port: 80 }))
      .toMatchObject({ allowed: false, reason: expect.stringContaining('istio.io/use-waypoint: none on Service shop/api opts it out of waypoints') });
    expect(ask(nsWaypoint({}, { 'istio.io/waypoint-for': 'workload' }), { from: 'shop/web', to: 'shop/api', port: 80 }))
      .toMatchObject({ allowed: false, reason: expect.stringContaining('takes workload traffic (istio.io/waypoint-for), not service traffic') });
    expect(ask(nsWaypoint({}, { 'istio.io/waypoint-for': 'all' }), { from: 'shop/web', to: 'shop/api', port: 80 })).toMatchObject({ allowed: true });
  });

  test('a waypoint of another namespace serves a Service only when its HBONE listener admits that namespace', () => {
    const objects = (allowedRoutes?: any) => [
      AMBIENT_NS('shop'), PLAIN_NS_INFRA, deploy('shop', 'web'), deploy('shop', 'api'), waypoint('infra', 'shared', undefined, allowedRoutes),
      service('shop', 'api', 80, 8080, 'http', { 'istio.io/use-waypoint': 'shared', 'istio.io/use-waypoint-namespace': 'infra' }),
      ap('shop', 'api', { selector: SELECT('api'), rules: allowFrom(principal('infra', 'shared')) }),
    ];
    expect(ask(AccessMatrix.fromManifests(objects()), { from: 'shop/web', to: 'shop/api', port: 80 })).toMatchObject({ allowed: false });
    expect(ask(AccessMatrix.fromManifests(objects({ namespaces: { from: 'All' } })), { from: 'shop/web', to: 'shop/api', port: 80 }))
      .toMatchObject({ allowed: true, reason: expect.stringContaining('hop 1, at waypoint Gateway/infra/shared') });
  });

  test('a waypoint that is not in the input: the path is unknown, never guessed', () => {
    const m = AccessMatrix.fromManifests([AMBIENT_NS('shop'), deploy('shop', 'web'), deploy('shop', 'api'), service('shop', 'api', 80, 8080, 'http', { 'istio.io/use-waypoint': 'elsewhere' })]);
    expect(ask(m, { from: 'shop/web', to: 'shop/api', port: 80 })).toMatchObject({
      decision: AccessDecision.UNKNOWN,
      layer: AccessLayer.WAYPOINT,
      decidedBy: 'Service/shop/api',
      reason: expect.stringContaining('istio.io/use-waypoint: elsewhere on Service shop/api names waypoint shop/elsewhere, which is not in the input'),
    });
    expect(m.warnings()).toContain('istio.io/use-waypoint: elsewhere on Service shop/api names waypoint shop/elsewhere, which is not in the input: '
      + 'what it enforces is not evaluated offline: requests through it are answered UNKNOWN');
    expect(m.edges().filter((e) => e.to === 'shop/api').map((e) => [e.from, e.decision])).toEqual([['shop/web', AccessDecision.UNKNOWN]]);
    // An Istio gateway that the Service does not opt in skips the waypoint anyway: decided at the ztunnel.
    const withGateway = AccessMatrix.fromManifests([
      AMBIENT_NS('shop'), deploy('shop', 'api'), service('shop', 'api', 80, 8080, 'http', { 'istio.io/use-waypoint': 'elsewhere' }),
    ], { workloads: [INGRESS_GATEWAY] });
    expect(ask(withGateway, { from: 'istio-system/istio-ingressgateway', to: 'shop/api', port: 80 })).toMatchObject({ allowed: true, layer: AccessLayer.ZTUNNEL });
  });

  test('a waypoint is not a workload one can ask about', () => {
    expect(() => ask(matrix(), { from: 'shop/waypoint', to: 'shop/api', port: 80 }))
      .toThrow('check: from "shop/waypoint" is the waypoint Gateway/shop/waypoint, a hop of the requests it serves, not a workload: ask about the workloads behind it');
  });
});

const PLAIN_NS_INFRA = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'infra' } };

describe('mTLS at ztunnel', () => {
  test('a caller outside the mesh sends plaintext: STRICT refuses it, PERMISSIVE admits it without identity, DISABLE counts as PERMISSIVE', () => {
    const strict = ask(matrix(pa('shop', 'default', { mtls: { mode: 'STRICT' } })), { from: 'outside/curl', to: 'shop/db', port: 5432 });
    expect(strict).toMatchObject({ allowed: false, decidedBy: 'PeerAuthentication/shop/default', layer: AccessLayer.MTLS });
    expect(strict.reason).toContain('shop/db\'s ztunnel requires mTLS on port 5432');
    const permissive = ask(matrix(pa('shop', 'default', { mtls: { mode: 'PERMISSIVE' } })), { from: 'outside/curl', to: 'shop/db', port: 5432 });
    expect(permissive).toMatchObject({ allowed: true, example: { protocol: 'tcp' } });
    expect(permissive.example.principal).toBeUndefined();
    const m = matrix(pa('istio-system', 'mesh', { mtls: { mode: 'STRICT' } }), pa('shop', 'default', { mtls: { mode: 'DISABLE' } }));
    expect(ask(m, { from: 'outside/curl', to: 'shop/db', port: 5432 })).toMatchObject({ allowed: true });
    expect(m.edges().find((e) => e.from === 'outside/curl' && e.to === 'shop/db')).toMatchObject({ mtlsMode: 'PERMISSIVE', plaintextAccepted: true });
    // The plaintext caller reaches the app port (no HBONE): no 15008 in its NetworkPolicy question.
    expect(ask(m, { from: 'outside/curl', to: 'shop/db', port: 5432 }).layers[0].reason).toBe('caller egress: no NetworkPolicy selects outside/curl for Egress');
  });

  test('ambient and sidecar callers always arrive with their identity (HBONE), even under STRICT', () => {
    // A DestinationRule turning Istio mTLS off does not apply: a sidecar speaks HBONE to an ambient destination.
    const disable = {
      apiVersion: 'networking.istio.io/v1',
      kind: 'DestinationRule',
      metadata: { name: 'db', namespace: 'legacy' },
      spec: { host: 'db.shop.svc.cluster.local', trafficPolicy: { tls: { mode: 'DISABLE' } } },
    };
    const m = matrix(pa('shop', 'default', { mtls: { mode: 'STRICT' } }), disable,
      ap('shop', 'db', { selector: SELECT('db'), rules: allowFrom(principal('legacy', 'client'), WEB) }));
    expect(ask(m, { from: 'legacy/client', to: 'shop/db', port: 5432 })).toMatchObject({ allowed: true, example: { principal: principal('legacy', 'client') } });
    expect(ask(m, { from: 'shop/web', to: 'shop/db', port: 5432 })).toMatchObject({ allowed: true, example: { principal: WEB } });
  });

  test('RequestAuthentication bound by selector validates nothing for an ambient pod: an invalid token is not refused', () => {
    const m = matrix(ra('shop', 'db-jwt', { selector: SELECT('db'), jwtRules: [{ issuer: 'https://issuer.example' }] }));
    expect(ask(m, { from: 'shop/web', to: 'shop/db', port: 5432, token: TokenState.INVALID })).toMatchObject({ allowed: true });
    expect(m.warnings()).toContain('RequestAuthentication/shop/db-jwt validates no token for ambient workloads (ztunnel reads no JWT): '
      + 'attach it to their Service\'s waypoint with targetRefs (shop/db)');
  });
});

describe('NetworkPolicy: HBONE arrives on 15008', () => {
  const defaultDeny = netpol('shop', 'default-deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
  const webOut = (port: number, to: any) => netpol('shop', 'web-out', { podSelector: SELECT('web'), policyTypes: ['Egress'], egress: [{ to: [{ podSelector: to }], ports: [{ port }] }] });
  const dbIn = (port: number) => netpol('shop', 'db-in', { podSelector: SELECT('db'), policyTypes: ['Ingress'], ingress: [{ from: [{ podSelector: SELECT('web') }], ports: [{ port }] }] });

  test('policies that open only the app port deny an ambient caller, and say that 15008 is missing', () => {
    const m = matrix(defaultDeny, webOut(5432, SELECT('db')), dbIn(5432));
    const r = ask(m, { from: 'shop/web', to: 'shop/db', port: 5432 });
    // The policy with no Egress rule is what makes the missing rule a denial (as for sidecars).
    expect(r).toMatchObject({ allowed: false, decidedBy: 'NetworkPolicy/shop/default-deny', layer: AccessLayer.NETWORK });
    expect(r.reason).toBe('nothing grants shop/web -> shop/db:5432, and 2 layers refuse it by default. '
      + 'caller egress: no Egress rule of shop/web\'s NetworkPolicies admits the pods of shop/db on TCP port 15008 (HBONE) (NetworkPolicy/shop/default-deny isolates shop/web). '
      + 'target ingress: no Ingress rule of shop/db\'s NetworkPolicies admits the pods of shop/web on TCP port 15008 (HBONE) (NetworkPolicy/shop/default-deny isolates shop/db)');
    expect(r.missingGrants).toEqual([
      'an Egress rule in a NetworkPolicy selecting shop/web (namespace shop) that admits the pods of shop/db on TCP port 15008 (HBONE)',
      'an Ingress rule in a NetworkPolicy selecting shop/db (namespace shop) that admits the pods of shop/web on TCP port 15008 (HBONE)',
    ]);
    expect(r.layers[0].reason).toContain('caller egress (HBONE shop/web -> shop/db:15008, carrying port 5432)');
    const open = matrix(defaultDeny, webOut(15008, SELECT('db')), dbIn(15008));
    expect(ask(open, { from: 'shop/web', to: 'shop/db', port: 5432 })).toMatchObject({ allowed: true });
  });

  test('an ambient caller reaches a sidecar pod on 15008; a sidecar caller reaches a sidecar pod on the app port', () => {
    const legacyIn = (port: number) => netpol('legacy', 'client-in', {
      podSelector: SELECT('client'), policyTypes: ['Ingress'], ingress: [{ from: [{ namespaceSelector: {} }], ports: [{ port }] }],
    });
    const appPort = matrix(legacyIn(8080), deploy('legacy', 'other'));
    expect(ask(appPort, { from: 'shop/web', to: 'legacy/client', port: 8080 })).toMatchObject({
      allowed: false,
      layer: AccessLayer.NETWORK,
      missingGrants: ['an Ingress rule in a NetworkPolicy selecting legacy/client (namespace legacy) that admits the pods of shop/web on TCP port 15008 (HBONE)'],
    });
    expect(ask(appPort, { from: 'legacy/other', to: 'legacy/client', port: 8080 })).toMatchObject({ allowed: true });
    const hbone = matrix(legacyIn(15008));
    const r = ask(hbone, { from: 'shop/web', to: 'legacy/client', port: 8080 });
    expect(r).toMatchObject({ allowed: true, layer: AccessLayer.AUTHORIZATION, example: { principal: WEB } });
    expect(r.layers[2].reason).toContain(`HBONE (mTLS) from shop/web's ztunnel with peer identity ${WEB}`);
  });

  test('through a waypoint: caller -> waypoint pods :15008 and waypoint pods -> target :15008, both ends of both hops', () => {
    const wpPods = { matchLabels: { 'gateway.networking.k8s.io/gateway-name': 'waypoint' } };
    const hbonePort = [{ port: 15008 }];
    const full = [
      defaultDeny,
      webOut(15008, wpPods),
      netpol('shop', 'waypoint', {
        podSelector: wpPods,
        policyTypes: ['Ingress', 'Egress'],
        ingress: [{ from: [{ podSelector: SELECT('web') }], ports: hbonePort }],
        egress: [{ to: [{ podSelector: SELECT('api') }], ports: hbonePort }],
      }),
      netpol('shop', 'api-in', { podSelector: SELECT('api'), policyTypes: ['Ingress'], ingress: [{ from: [{ podSelector: wpPods }], ports: hbonePort }] }),
    ];
    expect(ask(matrix(...full), { from: 'shop/web', to: 'shop/api', port: 80 })).toMatchObject({ allowed: true });
    // The waypoint cannot reach the pods: hop 2, waypoint egress.
    const noEgress = full.map((p) => (p.metadata.name === 'waypoint' ? { ...p, spec: { ...p.spec, egress: [] } } : p));
    const r = ask(matrix(...noEgress), { from: 'shop/web', to: 'shop/api', port: 80 });
    expect(r).toMatchObject({ allowed: false, decidedBy: 'NetworkPolicy/shop/waypoint', layer: AccessLayer.NETWORK });
    expect(r.reason).toBe('nothing grants shop/web -> shop/api:8080 at hop 2: waypoint egress: no Egress rule of the waypoint Gateway/shop/waypoint\'s NetworkPolicies '
      + 'admits the pods of shop/api on TCP port 15008 (HBONE) (NetworkPolicy/shop/waypoint isolates the waypoint\'s pods) (Service port shop/api:80 targets container port 8080)');
    expect(r.missingGrants).toEqual([
      'an Egress rule in a NetworkPolicy selecting the waypoint\'s pods (gateway.networking.k8s.io/gateway-name: waypoint, namespace shop) '
      + 'that admits the pods of shop/api on TCP port 15008 (HBONE)',
    ]);
    // The caller may not reach the waypoint: hop 1, caller egress.
    const noWebOut = full.filter((p) => p.metadata.name !== 'web-out');
    expect(ask(matrix(...noWebOut), { from: 'shop/web', to: 'shop/api', port: 80 }).reason)
      .toContain('at hop 1: caller egress to the waypoint: no Egress rule of shop/web\'s NetworkPolicies admits the waypoint\'s pods (Gateway/shop/waypoint) on TCP port 15008');
    // The target admits the caller, not the waypoint: hop 2, target ingress.
    const apiFromWeb = full.map((p) => (p.metadata.name === 'api-in'
      ? netpol('shop', 'api-in', { podSelector: SELECT('api'), policyTypes: ['Ingress'], ingress: [{ from: [{ podSelector: SELECT('web') }], ports: hbonePort }] }) : p));
    expect(ask(matrix(...apiFromWeb), { from: 'shop/web', to: 'shop/api', port: 80 }).missingGrants).toEqual([
      'an Ingress rule in a NetworkPolicy selecting shop/api (namespace shop) that admits the waypoint\'s pods (Gateway/shop/waypoint) on TCP port 15008 (HBONE)',
    ]);
  });
});

describe('tokens at the waypoint', () => {
  const ISSUER = 'https://issuer.example';
  const m = matrix(
    ra('shop', 'api-jwt', { targetRefs: TO_SERVICE('api'), jwtRules: [{ issuer: ISSUER, jwksUri: `${ISSUER}/jwks` }] }),
    ap('shop', 'api-waypoint', { targetRefs: TO_SERVICE('api'), rules: [{ from: [{ source: { principals: [WEB], requestPrincipals: [`${ISSUER}/*`] } }] }] }),
    ap('shop', 'api', { selector: SELECT('api'), rules: allowFrom(WAYPOINT) }),
  );

  test('a valid token of the issuer is allowed; no token is denied by the ALLOW rule; an invalid one is refused by the RequestAuthentication', () => {
    expect(ask(m, { from: 'shop/web', to: 'shop/api', port: 80, jwtIssuer: ISSUER, jwtSubject: 'alice' })).toMatchObject({
      allowed: true, decidedBy: 'AuthorizationPolicy/shop/api-waypoint', layer: AccessLayer.WAYPOINT, example: { requestPrincipal: `${ISSUER}/alice` },
    });
    expect(ask(m, { from: 'shop/web', to: 'shop/api', port: 80, token: TokenState.NONE })).toMatchObject({
      allowed: false, decidedBy: 'AuthorizationPolicy/shop/api-waypoint', layer: AccessLayer.WAYPOINT,
    });
    expect(ask(m, { from: 'shop/web', to: 'shop/api', port: 80, token: TokenState.INVALID })).toMatchObject({
      allowed: false,
      decidedBy: 'RequestAuthentication/shop/api-jwt',
      layer: AccessLayer.WAYPOINT,
      reason: expect.stringContaining('RequestAuthentication/shop/api-jwt rejects a token that fails validation (401)'),
    });
    // The edge says what the waypoint requires.
    expect(m.edges().filter((e) => e.to === 'shop/api').map((e) => [e.from, e.port, e.conditions])).toEqual([['shop/web', 8080, [`JWT ${ISSUER}/*`]]]);
  });
});

describe('the matrix', () => {
  test('edges through a waypoint name both hops\' rules; targetRefs to a waypoint are evaluated, without "not evaluated" warnings', () => {
    const m = matrix(
      ap('shop', 'allow-nothing', {}),
      ap('shop', 'api', { selector: SELECT('api'), rules: [{ from: [{ source: { principals: [WAYPOINT] } }], to: [{ operation: { ports: ['8080'] } }] }] }),
      ap('shop', 'api-waypoint', { targetRefs: TO_SERVICE('api'), rules: [{ from: [{ source: { principals: [WEB] } }], to: [{ operation: { methods: ['GET'] } }] }] }),
      ap('shop', 'waypoint-allow-nothing', { targetRefs: TO_GATEWAY('waypoint') }),
      ap('shop', 'db', { selector: SELECT('db'), rules: [{ from: [{ source: { principals: [principal('shop', 'api')] } }] }] }),
    );
    expect(m.edges().filter((e) => e.to.startsWith('shop/')).map((e) => `${e.from} -> ${e.to}:${e.port}`)).toEqual(['shop/api -> shop/db:5432', 'shop/web -> shop/api:8080']);
    const web = m.edges().find((e) => e.from === 'shop/web' && e.to === 'shop/api')!;
    expect(web).toMatchObject({
      allowedBy: ['AuthorizationPolicy/shop/api-waypoint rules[0]', 'AuthorizationPolicy/shop/api rules[0]'],
      conditions: ['GET'],
      protocol: 'http',
      example: { protocol: 'http', method: 'GET', principal: WEB },
    });
    expect(web.layers.map((l) => l.layer)).toEqual(['network', 'network', 'waypoint', 'network', 'network', 'mtls', 'ztunnel']);
    expect(m.warnings().filter((w) => w.includes('not evaluated') || w.includes('targetRef'))).toEqual([]);
    expect(m._allPairsEdges()).toEqual(m.edges());
  });

  test('a policy attached to a Service that uses no waypoint is enforced nowhere, and the warning says so', () => {
    const m = matrix(ap('shop', 'db-l7', { targetRefs: TO_SERVICE('db'), action: 'DENY', rules: [{}] }));
    expect(ask(m, { from: 'shop/web', to: 'shop/db', port: 5432 })).toMatchObject({ allowed: true });
    expect(m.warnings()).toContain('AuthorizationPolicy/shop/db-l7 attaches to Service shop/db, which uses no waypoint (neither Service shop/db nor namespace shop has '
      + 'istio.io/use-waypoint, so no waypoint serves it): ztunnel ignores targetRefs, so Istio enforces it nowhere');
  });
});
