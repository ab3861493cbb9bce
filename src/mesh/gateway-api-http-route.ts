/**
 * How the library's paths and methods (the ALLOW rules' form, checked by `checkHttpPath` and
 * `checkHttpMethod`) become Gateway API HTTPRoute matches, so a route matches what its grant
 * admits (INGRESS-1, AUTHZ-3).
 *
 * - An exact path `/cart` is an `Exact` match on `/cart`: both match that path only (no trailing
 *   slash, no query: Istio's AuthorizationPolicy and the HTTPRoute both look at the path alone).
 * - A prefix `/static/*` admits, in an AuthorizationPolicy, every path that starts with `/static/`.
 *   A Gateway API `PathPrefix` matches whole path elements, and ignores a trailing `/`: `/static`
 *   matches `/static`, `/static/` and `/static/x`, never `/staticx` (HTTPRoute spec,
 *   HTTPPathModifier.replacePrefixMatch: "the paths /abc, /abc/, and /abc/def would all match the
 *   prefix /abc, but the path /abcd would not"). So `/static/*` becomes `PathPrefix /static`: the
 *   route matches the same paths as the grant plus the bare `/static`, which the gateway's and the
 *   service's ALLOW rules then refuse (403). The route is never narrower than the grant, and what
 *   it matches beyond the grant is denied: a prefix cannot be bypassed with `/staticx`.
 * - `/*` (every path) is `PathPrefix /`.
 * - Methods: one match per (path, method); no method means any method.
 */

/** Most matches one HTTPRoute rule may hold (Gateway API: `rules[].matches` maxItems). */
export const MAX_ROUTE_MATCHES = 64;

/** An HTTPRoute path match. */
export interface HttpRoutePathMatch {
  readonly type: 'Exact' | 'PathPrefix';
  readonly value: string;
}

/** The HTTPRoute path match for a library path (exact, `/prefix/*` or `/*`). */
export function pathMatchFor(path: string): HttpRoutePathMatch {
  if (path === '/*') return { type: 'PathPrefix', value: '/' };
  if (path.endsWith('/*')) return { type: 'PathPrefix', value: path.slice(0, -2) };
  return { type: 'Exact', value: path };
}

/** The HTTPRoute matches for sorted, checked paths and methods (one per pair; no method: any). */
export function httpRouteMatches(paths: readonly string[], methods: readonly string[]): object[] {
  return paths.flatMap((p) => {
    const path = pathMatchFor(p);
    return methods.length > 0 ? methods.map((method) => ({ path, method })) : [{ path }];
  });
}

/**
 * Whether some request path is both admitted by the ALLOW path `grantPath` (exact, or `prefix/*`
 * as Istio matches it) and matched by the HTTPRoute match of the route path `routePath`.
 *
 * The edge's ALLOW rules say which (host, path, method) a caller may send; the HTTPRoutes, by
 * precedence (the most specific match wins), which backend gets it. A public route's rule thus
 * admits anonymous requests for every path it names, including paths another, token-protected
 * route matches more specifically: the request would reach the protected backend without a
 * token. This test finds such overlaps (conservatively: it ignores which route precedence picks).
 */
export function admittedAndRouted(grantPath: string, routePath: string): boolean {
  const route = pathMatchFor(routePath);
  const routed = (p: string) => (route.type === 'Exact' ? p === route.value : route.value === '/' || p === route.value || p.startsWith(`${route.value}/`));
  if (!grantPath.endsWith('*')) return routed(grantPath);
  const prefix = grantPath.slice(0, -1);
  if (route.type === 'Exact') return route.value.startsWith(prefix);
  return route.value === '/' || `${route.value}/`.startsWith(prefix) || prefix.startsWith(`${route.value}/`);
}
