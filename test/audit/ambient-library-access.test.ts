import { Chart, Testing } from 'cdk8s';
import { AppProtocol, DataPlane, HardenedNamespace, MeshBaseline, SecureService } from '../../src';
import { AccessMatrix } from '../../src/audit/access-matrix';
import { AccessLayer, TokenState } from '../../src/audit/access-types';

/*
 * What the library renders for an ambient HardenedNamespace (issue 17) has exactly the access it
 * grants: an L4 grant is enforced by the target's ztunnel with the caller's identity; an L7 grant
 * with paths and a JWT requirement goes through the namespace's waypoint, which judges the caller,
 * while the target's ztunnel admits only the waypoint. Needs the library's `dataPlane` (landing in
 * parallel): this file compiles once HardenedNamespace takes it.
 */

const ISSUER = 'https://issuer.example.com';
const principal = (sa: string) => `cluster.local/ns/shop/sa/${sa}`;

function shopObjects(): any[] {
  const chart = new Chart(Testing.app(), 'shop', { disableResourceNameHashes: true });
  new MeshBaseline(chart, 'mesh', { ambient: true, allowedRegistries: ['registry.example.com'] });
  const ns = new HardenedNamespace(chart, 'ns', { name: 'shop', dataPlane: DataPlane.AMBIENT });
  const image = (name: string, digit: string) => `registry.example.com/${name}@sha256:${digit.repeat(64)}`;
  const web = new SecureService(chart, 'web', { namespace: ns, image: image('web', 'a'), ports: [{ name: 'http', port: 8080, protocol: AppProtocol.HTTP }] });
  const cart = new SecureService(chart, 'cart', { namespace: ns, image: image('cart', 'b'), ports: [{ name: 'grpc', port: 9090, protocol: AppProtocol.GRPC }] });
  const catalog = new SecureService(chart, 'catalog', { namespace: ns, image: image('catalog', 'c'), ports: [{ name: 'http', port: 8080, protocol: AppProtocol.HTTP }] });
  // L4: web may call the cart on 9090 (ztunnel).
  cart.allowFrom(web, { ports: [9090] });
  // L7: web may GET /items/* on the catalog, with a token of the issuer (the waypoint).
  catalog.allowFrom(web, { paths: ['/items/*'], methods: ['GET'] });
  catalog.requireJwt({ issuer: ISSUER, jwksUri: `${ISSUER}/.well-known/jwks.json`, audiences: ['catalog'] });
  return Testing.synth(chart);
}

describe('the access matrix of an ambient HardenedNamespace equals its grants', () => {
  let m: AccessMatrix;
  beforeAll(() => {
    m = AccessMatrix.fromManifests(shopObjects());
  });

  test('the workloads are ambient; the waypoint is not one of them', () => {
    expect(m.workloads().map((w) => [w.id, w.dataPlane])).toEqual([['shop/cart', 'ambient'], ['shop/catalog', 'ambient'], ['shop/web', 'ambient']]);
  });

  test('edges: exactly the two grants', () => {
    expect(m.edges().map((e) => `${e.from} -> ${e.to}:${e.port}`)).toEqual(['shop/web -> shop/cart:9090', 'shop/web -> shop/catalog:8080']);
    const catalog = m.edges()[1];
    expect(catalog.conditions).toEqual([`GET /items/*; JWT ${ISSUER}/*`]);
    expect(catalog.layers.map((l) => l.layer)).toEqual(['network', 'network', 'waypoint', 'network', 'network', 'mtls', 'ztunnel']);
    expect(catalog.mtlsMode).toBe('STRICT');
  });

  test('the L4 grant is enforced by the cart\'s ztunnel with web\'s identity', () => {
    expect(m.check({ from: 'shop/web', to: 'shop/cart', port: 9090 })).toMatchObject({
      allowed: true, decidedBy: 'AuthorizationPolicy/shop/cart', layer: AccessLayer.ZTUNNEL, example: { principal: principal('web') },
    });
    expect(m.check({ from: 'shop/catalog', to: 'shop/cart', port: 9090 })).toMatchObject({ allowed: false, layer: AccessLayer.ZTUNNEL });
  });

  test('the L7 grant is enforced by the waypoint (paths, methods, token); the catalog\'s ztunnel admits only the waypoint', () => {
    expect(m.check({ from: 'shop/web', to: 'shop/catalog', port: 8080, method: 'GET', path: '/items/1', jwtIssuer: ISSUER })).toMatchObject({
      allowed: true, decidedBy: 'AuthorizationPolicy/shop/catalog-waypoint', layer: AccessLayer.WAYPOINT,
    });
    expect(m.check({ from: 'shop/web', to: 'shop/catalog', port: 8080, method: 'GET', path: '/admin', jwtIssuer: ISSUER }))
      .toMatchObject({ allowed: false, layer: AccessLayer.WAYPOINT });
    expect(m.check({ from: 'shop/web', to: 'shop/catalog', port: 8080, method: 'GET', path: '/items/1', token: TokenState.NONE }))
      .toMatchObject({ allowed: false, layer: AccessLayer.WAYPOINT });
    expect(m.check({ from: 'shop/web', to: 'shop/catalog', port: 8080, method: 'GET', path: '/items/1', token: TokenState.INVALID }))
      .toMatchObject({ allowed: false, decidedBy: 'RequestAuthentication/shop/catalog-jwt', layer: AccessLayer.WAYPOINT });
    expect(m.check({ from: 'shop/cart', to: 'shop/catalog', port: 8080, method: 'GET', path: '/items/1', jwtIssuer: ISSUER }))
      .toMatchObject({ allowed: false, layer: AccessLayer.WAYPOINT });
  });

  test('nothing the library renders is left unevaluated or enforced differently than written', () => {
    expect(m.warnings().filter((w) => /not evaluated|enforced nowhere|cannot see|validates no token|not enforced/.test(w))).toEqual([]);
  });
});
