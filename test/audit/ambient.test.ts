import { AMBIENT_NS, INGRESS_GATEWAY, PLAIN_NS, TO_GATEWAY, TO_SERVICE, deploy, service, waypoint } from './ambient-fixtures';
import { DeclaredWorkload } from '../../src/audit/access-types';
import { AmbientModel, ServiceRoute } from '../../src/audit/ambient';
import { RequestAuthn, TargetRef } from '../../src/audit/authz-evaluator';
import { Workload, discoverWorkloads } from '../../src/audit/workloads';

/**
 * The waypoint model of the audit (src/audit/ambient.ts): which Gateways are waypoints, which
 * Service or ServiceEntry uses which waypoint for which caller, and where targetRef policies
 * attach. Each case states the manifests and the exact answer (waypoint, or why not).
 */

const ROOT = 'istio-system';
const USE = 'istio.io/use-waypoint';
const USE_NS = 'istio.io/use-waypoint-namespace';
const INGRESS_USE = 'istio.io/ingress-use-waypoint';
const FOR = 'istio.io/waypoint-for';
const GW_NAME = 'gateway.networking.k8s.io/gateway-name';

function build(objects: any[], declared: DeclaredWorkload[] = []): { model: AmbientModel; workload: (id: string) => Workload } {
  const found = discoverWorkloads(objects, { trustDomain: 'cluster.local', rootNamespace: ROOT, declared, inferGateways: false });
  const model = new AmbientModel(objects, found.workloads, found.namespaces, { trustDomain: 'cluster.local', rootNamespace: ROOT });
  const workload = (id: string) => {
    const w = found.workloads.find((x) => x.id === id);
    if (!w) throw new Error(`no workload ${id} among ${found.workloads.map((x) => x.id).join(', ')}`);
    return w;
  };
  return { model, workload };
}

/** A caller of the mesh that is not an Istio gateway (an ambient pod of `shop`). */
const CALLER_PODS = deploy('shop', 'web');

/** The route from shop/web to `key`, reduced to what the tests compare (the waypoint by reference). */
function routeOf(objects: any[], key: string | undefined): { why: string; waypoint?: string; unknown?: string; skipped?: string } {
  const { model, workload } = build([CALLER_PODS, ...objects]);
  return flat(model.route(workload('shop/web'), key));
}

function flat(r: ServiceRoute): { why: string; waypoint?: string; unknown?: string; skipped?: string } {
  return {
    why: r.why,
    ...(r.waypoint ? { waypoint: r.waypoint.ref } : {}),
    ...(r.unknown !== undefined ? { unknown: r.unknown } : {}),
    ...(r.skippedWaypoint ? { skipped: r.skippedWaypoint.ref } : {}),
  };
}

function gatewayClass(name: string, labels: { [k: string]: string } = {}): any {
  return { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'GatewayClass', metadata: { name, labels }, spec: { controllerName: 'istio.io/unmanaged' } };
}

function serviceEntry(namespace: string, name: string, labels: { [k: string]: string } = {}) {
  return { namespace, name, labels };
}

describe('waypoints: the Gateways of class istio-waypoint', () => {
  test('a waypoint without pods in the input gets the pods Istio deploys for it: service account named after the Gateway, HBONE port', () => {
    const { model } = build([AMBIENT_NS('shop'), waypoint('shop', 'wp')]);
    expect(model.waypoints()).toHaveLength(1);
    const wp = model.waypoint('shop/wp')!;
    expect({ ref: wp.ref, namespace: wp.namespace, name: wp.name, trafficFor: wp.trafficFor, allowedFrom: wp.allowedFrom }).toEqual({
      ref: 'Gateway/shop/wp', namespace: 'shop', name: 'wp', trafficFor: 'service', allowedFrom: { from: 'Same', selector: undefined },
    });
    expect(wp.pods).toMatchObject({
      id: 'shop/wp',
      kind: 'Waypoint',
      serviceAccount: 'wp',
      principal: 'cluster.local/ns/shop/sa/wp',
      labels: { [GW_NAME]: 'wp' },
      ports: [{ port: 15008, protocol: 'tcp', services: [] }],
      sidecar: false,
      dataPlane: 'none',
      origin: 'inferred',
    });
    expect(model.isWaypointPods(wp.pods)).toBe(true);
    expect(model.notes).toEqual([]);
  });

  test('a Deployment labelled with the gateway name is the waypoint\'s pods, and a note says it is a hop, not a workload', () => {
    const pods = deploy('shop', 'wp-pods', [15008], { [GW_NAME]: 'wp' });
    const { model, workload } = build([AMBIENT_NS('shop'), waypoint('shop', 'wp'), pods, CALLER_PODS]);
    expect(model.waypoint('shop/wp')!.pods).toBe(workload('shop/wp-pods'));
    expect(model.isWaypointPods(workload('shop/wp-pods'))).toBe(true);
    expect(model.isWaypointPods(workload('shop/web'))).toBe(false);
    expect(model.notes).toEqual([
      `shop/wp-pods runs the waypoint Gateway/shop/wp (${GW_NAME}: wp): it is a hop of the requests it serves, not a workload of the matrix`,
    ]);
  });

  test('pods labelled with the gateway name in another namespace are not its pods', () => {
    const { model, workload } = build([AMBIENT_NS('shop'), AMBIENT_NS('other'), waypoint('shop', 'wp'), deploy('other', 'wp-pods', [15008], { [GW_NAME]: 'wp' })]);
    expect(model.waypoint('shop/wp')!.pods.origin).toBe('inferred');
    expect(model.isWaypointPods(workload('other/wp-pods'))).toBe(false);
  });

  test('Gateways of another class, and objects that only look like Gateways, are not waypoints', () => {
    const edge = { ...waypoint('shop', 'edge'), spec: { gatewayClassName: 'istio', listeners: [] } };
    const istioApi = { ...waypoint('shop', 'legacy'), apiVersion: 'networking.istio.io/v1' };
    const noName = { ...waypoint('shop', 'x'), metadata: { namespace: 'shop' } };
    const noSpec = { ...waypoint('shop', 'bare'), spec: 'istio-waypoint' };
    const { model } = build([AMBIENT_NS('shop'), edge, istioApi, noName, noSpec]);
    expect(model.waypoints()).toEqual([]);
    expect(model.waypoint('shop/edge')).toBeUndefined();
  });

  test('waypoints() is sorted by reference whatever the input order; a Gateway without namespace is in default', () => {
    const unnamespaced = waypoint('x', 'solo');
    delete unnamespaced.metadata.namespace;
    const { model } = build([waypoint('shop', 'zeta'), waypoint('bank', 'wp'), waypoint('shop', 'alpha'), unnamespaced]);
    expect(model.waypoints().map((w) => w.ref)).toEqual(['Gateway/bank/wp', 'Gateway/default/solo', 'Gateway/shop/alpha', 'Gateway/shop/zeta']);
  });

  test.each<[string, { [k: string]: string } | undefined, { [k: string]: string }, string]>([
    ['the Gateway\'s label', { [FOR]: 'workload' }, { [FOR]: 'all' }, 'workload'],
    ['the GatewayClass label when the Gateway has none', undefined, { [FOR]: 'all' }, 'all'],
    ['service by default', undefined, {}, 'service'],
    ['none, as written', { [FOR]: 'none' }, {}, 'none'],
  ])('%s says what traffic it takes (istio.io/waypoint-for)', (_what, gatewayLabels, classLabels, trafficFor) => {
    const { model } = build([waypoint('shop', 'wp', gatewayLabels ?? {}), gatewayClass('istio-waypoint', classLabels)]);
    expect(model.waypoint('shop/wp')!.trafficFor).toBe(trafficFor);
  });

  test('a label on a GatewayClass of another name does not apply', () => {
    const { model } = build([waypoint('shop', 'wp', {}), gatewayClass('istio', { [FOR]: 'workload' })]);
    expect(model.waypoint('shop/wp')!.trafficFor).toBe('service');
  });

  test.each<[string, any, { from: string; selector?: unknown }]>([
    ['All', { namespaces: { from: 'All' } }, { from: 'All', selector: undefined }],
    ['Selector', { namespaces: { from: 'Selector', selector: { matchLabels: { team: 'a' } } } }, { from: 'Selector', selector: { matchLabels: { team: 'a' } } }],
    ['no namespaces rule: Same', {}, { from: 'Same', selector: undefined }],
    ['a from that is not a string: Same', { namespaces: { from: 7 } }, { from: 'Same', selector: undefined }],
  ])('allowedRoutes of the HBONE listener: %s', (_what, allowedRoutes, allowedFrom) => {
    const { model } = build([waypoint('shop', 'wp', undefined, allowedRoutes)]);
    expect(model.waypoint('shop/wp')!.allowedFrom).toEqual(allowedFrom);
  });

  test('allowedRoutes of a listener that is not HBONE on 15008 are not read', () => {
    const gw = waypoint('shop', 'wp');
    gw.spec.listeners = [
      { name: 'other', port: 15009, protocol: 'HBONE', allowedRoutes: { namespaces: { from: 'All' } } },
      { name: 'tcp', port: 15008, protocol: 'TCP', allowedRoutes: { namespaces: { from: 'All' } } },
    ];
    const { model } = build([gw]);
    expect(model.waypoint('shop/wp')!.allowedFrom).toEqual({ from: 'Same', selector: undefined });
  });
});

describe('route: which waypoint a Service uses (istio.io/use-waypoint)', () => {
  const api = (labels: { [k: string]: string } = {}, extra: any = {}) => service('shop', 'api', 80, 8080, 'http', labels, extra);

  test('no Service in front of the port: the pod\'s IP, no waypoint', () => {
    expect(routeOf([AMBIENT_NS('shop', { [USE]: 'waypoint' }), waypoint('shop')], undefined)).toEqual({
      why: 'no Service is in front of the port, so the caller addresses the pod\'s IP, which skips any service waypoint',
    });
  });

  test('a Service that is not in the input (or has no selector): no waypoint known', () => {
    const noSelector = { ...api({ [USE]: 'waypoint' }), spec: { ports: [{ port: 80 }] } };
    expect(routeOf([AMBIENT_NS('shop'), waypoint('shop'), noSelector], 'shop/api')).toEqual({
      why: 'Service shop/api is not in the input, so no waypoint is known for it',
    });
  });

  test('a headless Service: the pods\' IPs, even with a waypoint named', () => {
    expect(routeOf([AMBIENT_NS('shop'), waypoint('shop'), api({ [USE]: 'waypoint' }, { clusterIP: 'None' })], 'shop/api')).toEqual({
      why: 'Service shop/api is headless (clusterIP: None): callers reach the pods\' IPs, with no waypoint',
    });
  });

  test('the Service\'s label', () => {
    expect(routeOf([AMBIENT_NS('shop'), waypoint('shop'), api({ [USE]: 'waypoint' })], 'shop/api')).toEqual({
      waypoint: 'Gateway/shop/waypoint', why: `Service shop/api uses waypoint Gateway/shop/waypoint (${USE} on Service shop/api)`,
    });
  });

  test('else the namespace\'s label', () => {
    expect(routeOf([AMBIENT_NS('shop', { [USE]: 'waypoint' }), waypoint('shop'), api()], 'shop/api')).toEqual({
      waypoint: 'Gateway/shop/waypoint', why: `Service shop/api uses waypoint Gateway/shop/waypoint (${USE} on namespace shop)`,
    });
  });

  test('the Service\'s label wins over the namespace\'s', () => {
    const objects = [AMBIENT_NS('shop', { [USE]: 'ns-wp' }), waypoint('shop', 'ns-wp'), waypoint('shop', 'svc-wp'), api({ [USE]: 'svc-wp' })];
    expect(routeOf(objects, 'shop/api').waypoint).toBe('Gateway/shop/svc-wp');
  });

  test('"none" on the Service opts it out, whatever the namespace says', () => {
    expect(routeOf([AMBIENT_NS('shop', { [USE]: 'waypoint' }), waypoint('shop'), api({ [USE]: 'none' })], 'shop/api')).toEqual({
      why: `${USE}: none on Service shop/api opts it out of waypoints`,
    });
  });

  test('"none" on the namespace', () => {
    expect(routeOf([AMBIENT_NS('shop', { [USE]: 'none' }), waypoint('shop', 'none'), api()], 'shop/api')).toEqual({
      why: `${USE}: none on namespace shop opts it out of waypoints`,
    });
  });

  test('no label anywhere: no waypoint', () => {
    expect(routeOf([AMBIENT_NS('shop'), waypoint('shop'), api()], 'shop/api')).toEqual({
      why: `neither Service shop/api nor namespace shop has ${USE}, so no waypoint serves it`,
    });
  });

  test('a namespace whose Namespace object is not in the input: its labels are unknown, so only the Service decides', () => {
    expect(routeOf([waypoint('shop'), api()], 'shop/api')).toEqual({
      why: `neither Service shop/api nor namespace shop has ${USE}, so no waypoint serves it`,
    });
  });

  test('a waypoint that is not in the input: UNKNOWN, and a model note says so', () => {
    const objects = [AMBIENT_NS('shop'), api({ [USE]: 'ghost' })];
    const unknown = `${USE}: ghost on Service shop/api names waypoint shop/ghost, which is not in the input: what it enforces is not evaluated offline`;
    expect(routeOf(objects, 'shop/api')).toEqual({ why: `${USE}: ghost on Service shop/api names waypoint shop/ghost, which is not in the input`, unknown });
    expect(build(objects).model.notes).toEqual([`${unknown}: requests through it are answered UNKNOWN`]);
  });

  test('a Gateway of another class named as waypoint: UNKNOWN, naming its class', () => {
    const edge = { ...waypoint('shop', 'edge'), spec: { gatewayClassName: 'istio', listeners: [] } };
    expect(routeOf([AMBIENT_NS('shop'), edge, api({ [USE]: 'edge' })], 'shop/api')).toEqual({
      why: `${USE}: edge on Service shop/api names Gateway shop/edge of class "istio", not istio-waypoint`,
      unknown: `${USE}: edge on Service shop/api names Gateway shop/edge of class "istio", not istio-waypoint: what it enforces is not evaluated offline`,
    });
  });

  test.each([['workload'], ['none']])('a waypoint for %s traffic does not take the Service', (trafficFor) => {
    expect(routeOf([AMBIENT_NS('shop'), waypoint('shop', 'waypoint', { [FOR]: trafficFor }), api({ [USE]: 'waypoint' })], 'shop/api')).toEqual({
      why: `waypoint Gateway/shop/waypoint takes ${trafficFor} traffic (${FOR}), not service traffic, so Istio does not bind Service shop/api to it`,
    });
  });

  test('a waypoint for all traffic takes the Service', () => {
    expect(routeOf([AMBIENT_NS('shop'), waypoint('shop', 'waypoint', { [FOR]: 'all' }), api({ [USE]: 'waypoint' })], 'shop/api').waypoint).toBe('Gateway/shop/waypoint');
  });

  describe('a waypoint of another namespace (istio.io/use-waypoint-namespace)', () => {
    const shared = (allowedRoutes?: any) => waypoint('mesh-wp', 'shared', undefined, allowedRoutes);
    const labels = { [USE]: 'shared', [USE_NS]: 'mesh-wp' };

    test('its listener admits every namespace: used', () => {
      expect(routeOf([AMBIENT_NS('shop'), shared({ namespaces: { from: 'All' } }), api(labels)], 'shop/api')).toEqual({
        waypoint: 'Gateway/mesh-wp/shared', why: `Service shop/api uses waypoint Gateway/mesh-wp/shared (${USE} on Service shop/api)`,
      });
    });

    test('the namespace label names the waypoint\'s namespace too', () => {
      expect(routeOf([AMBIENT_NS('shop', labels), shared({ namespaces: { from: 'All' } }), api()], 'shop/api').waypoint).toBe('Gateway/mesh-wp/shared');
    });

    test('without use-waypoint-namespace the name is looked up in the Service\'s namespace', () => {
      expect(routeOf([AMBIENT_NS('shop'), shared({ namespaces: { from: 'All' } }), api({ [USE]: 'shared' })], 'shop/api').unknown)
        .toBe(`${USE}: shared on Service shop/api names waypoint shop/shared, which is not in the input: what it enforces is not evaluated offline`);
    });

    test('its listener admits its own namespace only (the default): not used', () => {
      expect(routeOf([AMBIENT_NS('shop'), shared(), api(labels)], 'shop/api')).toEqual({
        why: 'waypoint Gateway/mesh-wp/shared admits only Services of the namespaces its HBONE listener allows (allowedRoutes Same), so Service shop/api uses none',
      });
    });

    test('a selector: the Service\'s namespace labels decide', () => {
      const bySelector = shared({ namespaces: { from: 'Selector', selector: { matchLabels: { mesh: 'shared' } } } });
      expect(routeOf([AMBIENT_NS('shop', { mesh: 'shared' }), bySelector, api(labels)], 'shop/api').waypoint).toBe('Gateway/mesh-wp/shared');
      expect(routeOf([AMBIENT_NS('shop', { mesh: 'other' }), bySelector, api(labels)], 'shop/api')).toEqual({
        why: 'waypoint Gateway/mesh-wp/shared admits only Services of the namespaces its HBONE listener allows (allowedRoutes Selector), so Service shop/api uses none',
      });
    });

    test('a selector and a namespace that is not in the input: UNKNOWN', () => {
      const bySelector = shared({ namespaces: { from: 'Selector', selector: { matchLabels: { mesh: 'shared' } } } });
      expect(routeOf([bySelector, api(labels)], 'shop/api')).toEqual({
        why: 'waypoint Gateway/mesh-wp/shared admits Services of the namespaces its HBONE listener selects',
        unknown: 'whether waypoint Gateway/mesh-wp/shared admits Services of namespace shop depends on its labels, which are not in the input',
      });
    });
  });
});

describe('Istio gateways skip the waypoint unless the Service (or its namespace) says istio.io/ingress-use-waypoint', () => {
  const fake = (over: Partial<Workload>): Workload => ({ id: 'x/y', namespace: 'x', labels: {}, sidecar: true, origin: 'manifest', ...over } as Workload);

  test.each<[string, Partial<Workload>, boolean]>([
    ['istio: ingressgateway pods', { labels: { istio: 'ingressgateway' } }, true],
    ['istio: egressgateway pods', { labels: { istio: 'egressgateway' } }, true],
    ['a gateway inferred from an Istio Gateway', { origin: 'inferred' }, true],
    ['pods of a Gateway API gateway that is not a waypoint', { namespace: 'shop', labels: { [GW_NAME]: 'edge' } }, true],
    ['pods of a waypoint', { namespace: 'shop', labels: { [GW_NAME]: 'waypoint' } }, false],
    ['pods an Istio Gateway selects', { labels: { app: 'edge-proxy', tier: 'edge' } }, true],
    ['pods with only part of the Istio Gateway\'s selector', { labels: { app: 'edge-proxy' } }, false],
    ['an ordinary sidecar workload', { labels: { app: 'web' } }, false],
    ['istio: ingressgateway labels but no proxy', { labels: { istio: 'ingressgateway' }, sidecar: false }, false],
  ])('isRouter: %s', (_what, over, router) => {
    const istioGateway = { apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: { name: 'edge', namespace: 'x' }, spec: { selector: { app: 'edge-proxy', tier: 'edge' } } };
    const { model } = build([waypoint('shop'), istioGateway]);
    expect(model.isRouter(fake(over))).toBe(router);
  });

  const world = (serviceLabels: { [k: string]: string }, nsLabels: { [k: string]: string } = {}) => build(
    [AMBIENT_NS('shop', nsLabels), waypoint('shop'), service('shop', 'api', 80, 8080, 'http', { [USE]: 'waypoint', ...serviceLabels }), CALLER_PODS, PLAIN_NS(ROOT)],
    [{ ...INGRESS_GATEWAY }],
  );
  const skippedWhy = 'istio-system/istio-ingressgateway is an Istio gateway, which skips the waypoint Gateway/shop/waypoint of Service shop/api unless the Service '
    + `(or its namespace) has ${INGRESS_USE}: "true", and reaches the pods directly with its own identity`;

  test('without the label the gateway reaches the pods directly; other callers still go through the waypoint', () => {
    const { model, workload } = world({});
    expect(flat(model.route(workload('istio-system/istio-ingressgateway'), 'shop/api'))).toEqual({ skipped: 'Gateway/shop/waypoint', why: skippedWhy });
    expect(flat(model.route(workload('shop/web'), 'shop/api')).waypoint).toBe('Gateway/shop/waypoint');
  });

  test.each([['true'], ['True'], ['TRUE'], ['t'], ['T'], ['1']])('%p on the Service (strconv.ParseBool true): through the waypoint', (value) => {
    const { model, workload } = world({ [INGRESS_USE]: value });
    expect(flat(model.route(workload('istio-system/istio-ingressgateway'), 'shop/api')).waypoint).toBe('Gateway/shop/waypoint');
  });

  test.each([['false'], ['yes'], ['tRuE'], ['']])('%p on the Service: skipped', (value) => {
    const { model, workload } = world({ [INGRESS_USE]: value });
    expect(flat(model.route(workload('istio-system/istio-ingressgateway'), 'shop/api'))).toEqual({ skipped: 'Gateway/shop/waypoint', why: skippedWhy });
  });

  test('on the namespace; the Service\'s own label wins over it', () => {
    const viaNs = world({}, { [INGRESS_USE]: 'true' });
    expect(flat(viaNs.model.route(viaNs.workload('istio-system/istio-ingressgateway'), 'shop/api')).waypoint).toBe('Gateway/shop/waypoint');
    const overridden = world({ [INGRESS_USE]: 'false' }, { [INGRESS_USE]: 'true' });
    expect(flat(overridden.model.route(overridden.workload('istio-system/istio-ingressgateway'), 'shop/api')).skipped).toBe('Gateway/shop/waypoint');
  });

  test('a waypoint that is not in the input: the gateway skips it anyway, so the answer is not UNKNOWN', () => {
    const { model, workload } = build([AMBIENT_NS('shop'), service('shop', 'api', 80, 8080, 'http', { [USE]: 'ghost' }), PLAIN_NS(ROOT)], [{ ...INGRESS_GATEWAY }]);
    expect(flat(model.route(workload('istio-system/istio-ingressgateway'), 'shop/api'))).toEqual({
      why: 'istio-system/istio-ingressgateway is an Istio gateway, which skips the waypoint shop/ghost of Service shop/api unless the Service '
        + `(or its namespace) has ${INGRESS_USE}: "true", and reaches the pods directly with its own identity`,
    });
  });
});

describe('entryRoute: a ServiceEntry is bound to its waypoint by the same labels', () => {
  test('its own label, else its namespace\'s, else none', () => {
    const { model, workload } = build([CALLER_PODS, AMBIENT_NS('egress', { [USE]: 'ns-wp' }), AMBIENT_NS('plain'), waypoint('egress', 'se-wp'), waypoint('egress', 'ns-wp')]);
    const web = workload('shop/web');
    expect(flat(model.entryRoute(web, serviceEntry('egress', 'api', { [USE]: 'se-wp' })))).toEqual({
      waypoint: 'Gateway/egress/se-wp', why: `ServiceEntry egress/api uses waypoint Gateway/egress/se-wp (${USE} on ServiceEntry egress/api)`,
    });
    expect(flat(model.entryRoute(web, serviceEntry('egress', 'api')))).toEqual({
      waypoint: 'Gateway/egress/ns-wp', why: `ServiceEntry egress/api uses waypoint Gateway/egress/ns-wp (${USE} on namespace egress)`,
    });
    expect(flat(model.entryRoute(web, serviceEntry('plain', 'api')))).toEqual({
      why: `neither ServiceEntry plain/api nor namespace plain has ${USE}, so no waypoint serves it`,
    });
    expect(flat(model.entryRoute(web, serviceEntry('egress', 'api', { [USE]: 'none' })))).toEqual({
      why: `${USE}: none on ServiceEntry egress/api opts it out of waypoints`,
    });
  });

  test('an Istio gateway reaches the host directly unless the ServiceEntry opts it in', () => {
    const { model, workload } = build([AMBIENT_NS('egress'), waypoint('egress'), PLAIN_NS(ROOT)], [{ ...INGRESS_GATEWAY }]);
    const gw = workload('istio-system/istio-ingressgateway');
    expect(flat(model.entryRoute(gw, serviceEntry('egress', 'api', { [USE]: 'waypoint' })))).toEqual({
      skipped: 'Gateway/egress/waypoint',
      why: 'istio-system/istio-ingressgateway is an Istio gateway, which skips the waypoint Gateway/egress/waypoint of ServiceEntry egress/api unless the ServiceEntry '
        + `(or its namespace) has ${INGRESS_USE}: "true", and reaches the host directly with its own identity`,
    });
    expect(flat(model.entryRoute(gw, serviceEntry('egress', 'api', { [USE]: 'waypoint', [INGRESS_USE]: 'true' }))).waypoint).toBe('Gateway/egress/waypoint');
  });
});

describe('where policies with targetRefs attach at a waypoint (policyattachment.go)', () => {
  const { model } = build([AMBIENT_NS('shop'), AMBIENT_NS('other'), waypoint('shop'), service('shop', 'api', 80, 8080, 'http', { [USE]: 'waypoint' })]);
  const wp = model.waypoint('shop/waypoint')!;
  const policy = (namespace: string, targetRefs: TargetRef[], name = 'p') => ({ ref: `AuthorizationPolicy/${namespace}/${name}`, namespace, targetRefs });
  const svc = (name: string, group = ''): TargetRef => ({ group, kind: 'Service', name });
  const gw = (name: string, namespace?: string, group = 'gateway.networking.k8s.io'): TargetRef => ({ group, kind: 'Gateway', name, ...(namespace ? { namespace } : {}) });
  const cls = (name: string): TargetRef => ({ group: 'gateway.networking.k8s.io', kind: 'GatewayClass', name });
  const se = (name: string): TargetRef => ({ group: 'networking.istio.io', kind: 'ServiceEntry', name });

  test.each<[string, { namespace: string; targetRefs: TargetRef[] }, string | undefined, string | undefined, string | undefined]>([
    ['its Service, from the Service\'s namespace', policy('shop', [svc('api')]), 'shop/api', undefined, 'service'],
    ['its Service with group "core"', policy('shop', [svc('api', 'core')]), 'shop/api', undefined, 'service'],
    ['a Service of the same name in another namespace', policy('other', [svc('api')]), 'shop/api', undefined, undefined],
    ['another Service', policy('shop', [svc('db')]), 'shop/api', undefined, undefined],
    ['a Service ref when the request is to a ServiceEntry', policy('shop', [svc('api')]), undefined, 'shop/api', undefined],
    ['its ServiceEntry', policy('shop', [se('api')]), undefined, 'shop/api', 'service'],
    ['a ServiceEntry ref when the request is to a Service', policy('shop', [se('api')]), 'shop/api', undefined, undefined],
    ['its Gateway, from its namespace', policy('shop', [gw('waypoint')]), 'shop/api', undefined, 'gateway'],
    ['its Gateway, naming its own namespace', policy('shop', [gw('waypoint', 'shop')]), 'shop/api', undefined, 'gateway'],
    ['its Gateway from another namespace', policy('other', [gw('waypoint')]), 'shop/api', undefined, undefined],
    ['its Gateway naming another namespace', policy('shop', [gw('waypoint', 'other')]), 'shop/api', undefined, undefined],
    ['its Gateway in the wrong group', policy('shop', [gw('waypoint', undefined, 'networking.istio.io')]), 'shop/api', undefined, undefined],
    ['another Gateway', policy('shop', [gw('edge')]), 'shop/api', undefined, undefined],
    ['the istio-waypoint GatewayClass from the root namespace', policy(ROOT, [cls('istio-waypoint')]), 'shop/api', undefined, 'class'],
    ['the istio-waypoint GatewayClass from another namespace', policy('shop', [cls('istio-waypoint')]), 'shop/api', undefined, undefined],
    ['another GatewayClass from the root namespace', policy(ROOT, [cls('istio')]), 'shop/api', undefined, undefined],
    ['no targetRefs', { namespace: 'shop', targetRefs: [] }, 'shop/api', undefined, undefined],
    ['a Service ref wins over a Gateway ref of the same policy', policy('shop', [gw('waypoint'), svc('api')]), 'shop/api', undefined, 'service'],
  ])('%s', (_what, p, serviceKey, entryKey, how) => {
    expect(model.attachesAt(p, wp, serviceKey, ROOT, entryKey)).toBe(how);
  });

  test('a Gateway ref from the root namespace reaches only a waypoint of the root namespace, and is read before the class ref', () => {
    expect(model.attachesAt(policy(ROOT, [gw('waypoint')]), wp, 'shop/api', ROOT)).toBeUndefined();
    const rootWp = build([waypoint(ROOT, 'root-wp')]).model.waypoint(`${ROOT}/root-wp`)!;
    expect(model.attachesAt(policy(ROOT, [cls('istio-waypoint'), gw('root-wp')]), rootWp, undefined, ROOT)).toBe('gateway');
    expect(model.attachesAt(policy(ROOT, [cls('istio-waypoint'), gw('other')]), rootWp, undefined, ROOT)).toBe('class');
  });

  test('policiesAt: those that attach, Service-attached first, then Gateway, then GatewayClass, by reference within each', () => {
    const attached = [
      policy(ROOT, [cls('istio-waypoint')], 'a-class'),
      policy('shop', [gw('waypoint')], 'z-gateway'),
      policy('shop', [gw('waypoint')], 'b-gateway'),
      policy('shop', [svc('api')], 'y-service'),
      policy('shop', [svc('db')], 'c-other-service'),
      policy('shop', [svc('api')], 'd-service'),
    ];
    expect(model.policiesAt(attached, wp, 'shop/api', ROOT).map((p) => p.ref)).toEqual([
      'AuthorizationPolicy/shop/d-service', 'AuthorizationPolicy/shop/y-service',
      'AuthorizationPolicy/shop/b-gateway', 'AuthorizationPolicy/shop/z-gateway',
      `AuthorizationPolicy/${ROOT}/a-class`,
    ]);
    expect(model.policiesAt(attached, wp, undefined, ROOT).map((p) => p.ref)).toEqual([
      'AuthorizationPolicy/shop/b-gateway', 'AuthorizationPolicy/shop/z-gateway', `AuthorizationPolicy/${ROOT}/a-class`,
    ]);
  });
});

describe('attachmentNotes: policies with targetRefs that Istio enforces nowhere', () => {
  const objects = [
    AMBIENT_NS('shop'), waypoint('shop'),
    service('shop', 'api', 80, 8080, 'http', { [USE]: 'waypoint' }),
    service('shop', 'db', 5432, 5432, 'tcp-pg'),
    service('shop', 'cache', 6379, 6379, 'tcp-redis', { [USE]: 'ghost' }),
  ];
  const { model } = build(objects);
  const ra = (namespace: string, name: string, targetRefs: any[]): RequestAuthn => ({ ref: `RequestAuthentication/${namespace}/${name}`, namespace, issuers: [], targetRefs });

  test('a Service that uses no waypoint: ztunnel ignores targetRefs', () => {
    expect(model.attachmentNotes([ra('shop', 'db-jwt', TO_SERVICE('db'))], ROOT)).toEqual([
      `RequestAuthentication/shop/db-jwt attaches to Service shop/db, which uses no waypoint (neither Service shop/db nor namespace shop has ${USE}, `
        + 'so no waypoint serves it): ztunnel ignores targetRefs, so Istio enforces it nowhere',
    ]);
  });

  test('a Service that is not in the input: not evaluated', () => {
    expect(model.attachmentNotes([ra('shop', 'x', TO_SERVICE('missing'))], ROOT)).toEqual([
      'RequestAuthentication/shop/x attaches to Service shop/missing, which is not in the input: not evaluated',
    ]);
  });

  test('a Service ref is resolved in the policy\'s namespace', () => {
    expect(model.attachmentNotes([ra('other', 'x', TO_SERVICE('api'))], ROOT)).toEqual([
      'RequestAuthentication/other/x attaches to Service other/api, which is not in the input: not evaluated',
    ]);
  });

  test('nothing for a Service with a waypoint, a Service whose waypoint is unknown (the model notes say that), a Gateway, or istio-waypoint from the root', () => {
    const quiet = [
      ra('shop', 'a', TO_SERVICE('api')),
      ra('shop', 'b', TO_SERVICE('cache')),
      ra('shop', 'c', TO_GATEWAY('waypoint')),
      ra(ROOT, 'd', [{ group: 'gateway.networking.k8s.io', kind: 'GatewayClass', name: 'istio-waypoint' }]),
      { ref: 'RequestAuthentication/shop/e', namespace: 'shop', issuers: [] },
    ];
    expect(model.attachmentNotes(quiet, ROOT)).toEqual([]);
  });

  test('a GatewayClass other than istio-waypoint, or istio-waypoint outside the root namespace, applies to nothing', () => {
    const toClass = (name: string) => [{ group: 'gateway.networking.k8s.io', kind: 'GatewayClass', name }];
    expect(model.attachmentNotes([ra(ROOT, 'a', toClass('istio')), ra('shop', 'b', toClass('istio-waypoint'))], ROOT)).toEqual([
      `RequestAuthentication/${ROOT}/a attaches to GatewayClass istio: Istio binds a GatewayClass reference only for istio-waypoint, from the root namespace ${ROOT}, so it applies to nothing`,
      `RequestAuthentication/shop/b attaches to GatewayClass istio-waypoint: Istio binds a GatewayClass reference only for istio-waypoint, from the root namespace ${ROOT}, so it applies to nothing`,
    ]);
  });

  test('the root namespace is the one passed, not istio-system', () => {
    const toWaypointClass = [{ group: 'gateway.networking.k8s.io', kind: 'GatewayClass', name: 'istio-waypoint' }];
    expect(model.attachmentNotes([ra(ROOT, 'a', toWaypointClass)], 'mesh-root')).toEqual([
      `RequestAuthentication/${ROOT}/a attaches to GatewayClass istio-waypoint: Istio binds a GatewayClass reference only for istio-waypoint, `
        + 'from the root namespace mesh-root, so it applies to nothing',
    ]);
  });

  test('one note per reference, in input order', () => {
    const p = ra('shop', 'multi', [...TO_SERVICE('db'), ...TO_SERVICE('missing')]);
    expect(model.attachmentNotes([p], ROOT)).toEqual([
      `RequestAuthentication/shop/multi attaches to Service shop/db, which uses no waypoint (neither Service shop/db nor namespace shop has ${USE}, `
        + 'so no waypoint serves it): ztunnel ignores targetRefs, so Istio enforces it nowhere',
      'RequestAuthentication/shop/multi attaches to Service shop/missing, which is not in the input: not evaluated',
    ]);
  });
});
