import { readFileSync } from 'fs';
import * as fc from 'fast-check';
import { parseAllDocuments } from 'yaml';
import { MAX_ROUTE_MATCHES, admittedAndRouted, httpRouteMatches, pathMatchFor } from '../../src/mesh/gateway-api-http-route';
import { checkHttpPath } from '../../src/mesh/http-match';
import { describeWithShared } from '../shared';

/**
 * How library paths become Gateway API HTTPRoute matches (src/mesh/gateway-api-http-route.ts),
 * and the overlap test between an ALLOW path and a route match. The GatewayApiIngress suite
 * checks the rendered routes; this file checks the functions' own contract.
 */

describe('pathMatchFor', () => {
  test.each([
    ['/*', 'PathPrefix', '/'],
    ['/static/*', 'PathPrefix', '/static'],
    ['/api/v1/*', 'PathPrefix', '/api/v1'],
    ['/cart', 'Exact', '/cart'],
    ['/', 'Exact', '/'],
    ['/cart/', 'Exact', '/cart/'],
    ['/a.b/c~d', 'Exact', '/a.b/c~d'],
  ])('%s -> %s %s', (path, type, value) => {
    expect(pathMatchFor(path)).toEqual({ type, value });
  });
});

describe('httpRouteMatches', () => {
  test('no method: one match per path, in the order given', () => {
    expect(httpRouteMatches(['/b/*', '/a'], [])).toEqual([
      { path: { type: 'PathPrefix', value: '/b' } },
      { path: { type: 'Exact', value: '/a' } },
    ]);
  });

  test('methods: one match per (path, method), path by path', () => {
    expect(httpRouteMatches(['/a', '/*'], ['GET', 'PUT'])).toEqual([
      { path: { type: 'Exact', value: '/a' }, method: 'GET' },
      { path: { type: 'Exact', value: '/a' }, method: 'PUT' },
      { path: { type: 'PathPrefix', value: '/' }, method: 'GET' },
      { path: { type: 'PathPrefix', value: '/' }, method: 'PUT' },
    ]);
  });

  test('no path: no match', () => {
    expect(httpRouteMatches([], ['GET'])).toEqual([]);
  });

  test('MAX_ROUTE_MATCHES is what one HTTPRoute rule holds: 8 paths x 8 methods fit, one more path does not', () => {
    expect(MAX_ROUTE_MATCHES).toBe(64);
    const methods = ['CONNECT', 'DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT'];
    const paths = (n: number) => Array.from({ length: n }, (_, i) => `/p${i}`);
    expect(httpRouteMatches(paths(8), methods).length).toBeLessThanOrEqual(MAX_ROUTE_MATCHES);
    expect(httpRouteMatches(paths(9), methods).length).toBeGreaterThan(MAX_ROUTE_MATCHES);
  });
});

describeWithShared('crds/gateway-api/gateway-api-v1.5.1-standard-crds.yaml', 'MAX_ROUTE_MATCHES against the pinned Gateway API CRD', (file) => {
  test('every served HTTPRoute version limits rules[].matches to MAX_ROUTE_MATCHES', () => {
    const crd = parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS()).find((d) => d?.spec?.names?.kind === 'HTTPRoute');
    const limits = crd.spec.versions.map((v: any) => v.schema.openAPIV3Schema.properties.spec.properties.rules.items.properties.matches.maxItems);
    expect(limits.length).toBeGreaterThan(0);
    expect(new Set(limits)).toEqual(new Set([MAX_ROUTE_MATCHES]));
  });
});

describe('admittedAndRouted', () => {
  test.each<[string, string, boolean]>([
    ['/*', '/anything', true],
    ['/*', '/x/*', true],
    ['/shop', '/*', true],
    ['/shop', '/shop', true],
    ['/shop', '/shop/', false],
    ['/shop/', '/shop/*', true],
    ['/shop', '/shop/*', true],
    ['/shopping', '/shop/*', false],
    ['/shop/*', '/shop', false],
    ['/shop/*', '/shop/', true],
    ['/shop/*', '/shop/cart/*', true],
    ['/shop/cart/*', '/shop/*', true],
    ['/shop/*', '/shopping/*', false],
    ['/shopping/*', '/shop/*', false],
    ['/sh/*', '/shop/*', false],
  ])('ALLOW %s, route %s: %p', (grant, route, overlap) => {
    expect(admittedAndRouted(grant, route)).toBe(overlap);
  });

  describe('property: true exactly when some request path is admitted by the ALLOW path and matched by the route', () => {
    // Request paths: "/" and every path of up to four elements over {x, y, xy}, each also with a trailing "/".
    const ELEMENTS = ['x', 'y', 'xy'];
    const deeper = (paths: string[]) => paths.flatMap((p) => ELEMENTS.map((e) => `${p === '/' ? '' : p}/${e}`));
    const levels: string[][] = [['/']];
    while (levels.length <= 4) levels.push(deeper(levels[levels.length - 1]));
    const requests = levels.flat().flatMap((p) => (p === '/' ? [p] : [p, `${p}/`]));

    // Library paths (as checkHttpPath accepts them) of up to three elements: exact, "prefix/*", and "/*".
    const shallow = levels.slice(0, 4).flat();
    const libraryPaths = [...shallow, ...shallow.filter((p) => p !== '/').map((p) => `${p}/`), ...shallow.map((p) => `${p === '/' ? '' : p}/*`)];

    /** Istio's ALLOW `paths` entry: exact, or a prefix up to the trailing `*`. */
    const allowAdmits = (grant: string, path: string) => (grant.endsWith('*') ? path.startsWith(grant.slice(0, -1)) : path === grant);
    /** Gateway API path match: Exact compares the whole path; PathPrefix compares whole elements, a trailing "/" in the path ignored. */
    const gatewayMatches = (routePath: string, path: string) => {
      const m = pathMatchFor(routePath);
      if (m.type === 'Exact') return path === m.value;
      const want = m.value.split('/').filter((e) => e !== '');
      const have = path.split('/').slice(1);
      if (have.length > 1 && have[have.length - 1] === '') have.pop();
      return want.every((e, i) => have[i] === e);
    };

    test('the universe is made of valid library paths, and it has both answers', () => {
      expect(libraryPaths.filter((p) => checkHttpPath(p).length > 0)).toEqual([]);
      expect(requests).toHaveLength(1 + 2 * (3 + 9 + 27 + 81));
      const answers = new Set(libraryPaths.slice(0, 40).map((g) => admittedAndRouted(g, '/x/*')));
      expect(answers).toEqual(new Set([true, false]));
    });

    test('the element-wise PathPrefix model: /x matches /x, /x/ and /x/y, never /xy', () => {
      expect(['/x', '/x/', '/x/y', '/xy', '/'].map((p) => gatewayMatches('/x/*', p))).toEqual([true, true, true, false, false]);
    });

    test('over sampled pairs of library paths', () => {
      const lib = fc.constantFrom(...libraryPaths);
      fc.assert(fc.property(lib, lib, (grant, route) => {
        const witness = requests.find((p) => allowAdmits(grant, p) && gatewayMatches(route, p));
        expect(admittedAndRouted(grant, route)).toBe(witness !== undefined);
      }), { numRuns: 3000 });
    });
  });
});
