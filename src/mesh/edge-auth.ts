import { IConstruct } from 'constructs';
import { isHttpProtocol } from './app-protocol';
import { checkHttpMethod, checkHttpPath } from './http-match';
import type { ExternalJwtIssuer, RouteOptions } from './ingress-gateway';
import type { ContractIssuer, ContractRoute } from '../contract/contract-document';
import { assertNoProblems, configError } from '../core/errors';
import { isProtectedHeader } from '../policy/rules/mesh-jwt-001';
import { requireException } from '../workload/grant-resolution';
import { SecureService, isImportedService } from '../workload/secure-service';
import { ServicePort } from '../workload/service-port';
import { ISecureService } from '../workload/workload-props';

/**
 * What an edge gateway decides about end users and routes (INGRESS-1, JWT-1, TOKEN-1,
 * USERAUTH-1), whatever API programs it: the issuers it accepts, the request principals its ALLOW
 * rules require, what one `route(service, options)` call resolves to, and which public routes
 * would open a protected one. IngressGateway (Istio API) and GatewayApiIngress both decide here.
 */

/** The ALLOW rule id a public (anonymous) route relaxes. */
export const ANONYMOUS_ROUTE_RULE_ID = 'MESH-AUTHZ-004';

const HTTPS_URL = /^https:\/\/[^/\s]+(\/\S*)?$/;
const HEADER_NAME = /^[-_a-z0-9]+$/;

/** Throws unless `issuer` is usable at the edge: https issuer and keys, audiences, safe claim headers. */
export function checkExternalIssuer(scope: IConstruct, field: string, issuer: ExternalJwtIssuer): ExternalJwtIssuer {
  if (!HTTPS_URL.test(issuer?.issuer ?? '')) {
    throw configError(scope, `${field}.issuer`, `"${issuer?.issuer}" is not an https URL`, 'External issuers are identified by their https URL');
  }
  if (!HTTPS_URL.test(issuer.jwksUri ?? '')) {
    throw configError(scope, `${field}.jwksUri`, `"${issuer.jwksUri}" is not an https URL`, 'Fetch signing keys over https only');
  }
  if (!Array.isArray(issuer.audiences) || issuer.audiences.length === 0 || issuer.audiences.some((a) => typeof a !== 'string' || a.length === 0)) {
    throw configError(scope, `${field}.audiences`, 'at least one non-empty audience is required', 'Name the audience of tokens for this application');
  }
  for (const [i, c] of (issuer.outputClaimToHeaders ?? []).entries()) {
    const at = `${field}.outputClaimToHeaders[${i}]`;
    if (!c?.claim) throw configError(scope, `${at}.claim`, 'empty claim', 'Name the claim to copy');
    const header = String(c.header ?? '').toLowerCase();
    if (!HEADER_NAME.test(header)) throw configError(scope, `${at}.header`, `"${c.header}" is not a header name`, 'Use letters, digits, "-" and "_"');
    // The list MESH-JWT-001 enforces on every RequestAuthentication.
    if (isProtectedHeader(header)) {
      throw configError(scope, `${at}.header`, `"${c.header}" is a security-sensitive or well-known header`,
        'Write claims into an application header such as "x-jwt-sub"; never authorization, cookie, host, x-forwarded-*, x-envoy-* or x-request-id');
    }
  }
  return issuer;
}

/** The `jwtRules` of the edge's RequestAuthentication: the external token is validated, then removed (TOKEN-1). */
export function edgeJwtRules(issuers: readonly ExternalJwtIssuer[]): object[] {
  return issuers.map((e) => {
    const claims = (e.outputClaimToHeaders ?? []).map((c) => ({ claim: c.claim, header: c.header }));
    return {
      issuer: e.issuer,
      jwksUri: e.jwksUri,
      audiences: [...e.audiences],
      forwardOriginalToken: false,
      ...(claims.length > 0 ? { outputClaimToHeaders: claims } : {}),
    };
  });
}

/** An issuer as the platform's mesh contract publishes it (plain data, optional fields left out). */
export function contractIssuer(e: ExternalJwtIssuer): ContractIssuer {
  const claims = (e.outputClaimToHeaders ?? []).map((c) => ({ claim: c.claim, header: c.header }));
  return { issuer: e.issuer, jwksUri: e.jwksUri, audiences: [...e.audiences], ...(claims.length ? { outputClaimToHeaders: claims } : {}) };
}

/**
 * The routes to services of app teams' repositories, as the platform's mesh contract publishes
 * them (in the order given); routes to the app's own services are not the contract's.
 */
export function contractRoutes(routes: readonly EdgeRoute[]): ContractRoute[] {
  return routes.filter((r) => isImportedService(r.service)).map((r) => ({
    service: `${r.service.namespaceName}/${r.service.serviceName}`,
    host: r.host,
    port: r.port.port,
    paths: [...r.paths],
    methods: [...r.methods],
    publicAccess: r.isPublic,
  }));
}

/** The request principals a protected route requires: a verified token of any accepted issuer. */
export function edgeRequestPrincipals(issuers: readonly ExternalJwtIssuer[]): string[] {
  return issuers.map((e) => `${e.issuer}/*`).sort();
}

/**
 * The issuers whose tokens `service` requires: a service of this app knows; a service of another
 * repository requires what its repository says (its side of the route checks it there).
 */
export function requiredJwtIssuersOf(service: ISecureService): string[] {
  return service instanceof SecureService ? service.requiredJwtIssuers : [];
}

/**
 * Throws when a public (anonymous) route leads to `service` and `tokenRequired` (it requires a
 * JWT itself, or will after the gateway's token exchange): every routed request would be denied.
 * `fix` says how to route it instead; the other way out, a service without a token, is added.
 */
export function assertAnonymousReachable(scope: IConstruct, field: string, service: ISecureService, tokenRequired: boolean, fix: string): void {
  if (!tokenRequired) return;
  throw configError(scope, field, `${service.namespaceName}/${service.serviceName} requires a JWT on every request, so an anonymous route to it would always be denied`,
    `${fix}, or expose anonymous pages from a service that does not require a token`);
}

/** What one route call resolves to. */
export interface EdgeRoute {
  /** A service of this app, or of an app team's repository (which writes the service's side). */
  readonly service: ISecureService;
  readonly host: string;
  /** The Service port routed to. */
  readonly port: ServicePort;
  /** Sorted, checked paths (`['/*']`: every path). */
  readonly paths: string[];
  /** Sorted, checked methods (empty: every method). */
  readonly methods: string[];
  /** Served without an end-user token (a PolicyException for MESH-AUTHZ-004 said so). */
  readonly isPublic: boolean;
}

/**
 * Checks a route call of an edge gateway serving `hosts` that accepts tokens of `issuers`, and
 * resolves its port, paths and methods. Throws with the fix on anything that would route or
 * authorize something other than what was asked. `publicDecidedElsewhere`: the service's side of
 * a route another repository declared, whose owner decided (with its PolicyException) whether it
 * is public; `publicAccess` is then refused here and the result is not public.
 */
export function resolveEdgeRoute(scope: IConstruct, hosts: readonly string[], issuers: readonly ExternalJwtIssuer[],
  service: ISecureService, options: RouteOptions, publicDecidedElsewhere = false): EdgeRoute {
  if (!(service instanceof SecureService) && !isImportedService(service)) {
    throw configError(scope, 'route.service', 'the target is neither a mesh service of this app nor a service of another repository',
      'Route to a SecureService, or to SecureService.fromAttributes(...) for a service of an app team\'s repository');
  }
  if (!hosts.includes(options?.host)) {
    throw configError(scope, 'route.host', `"${options?.host}" is not served by this gateway`, `Use one of ${hosts.join(', ')} or add it to hosts`);
  }
  if (service.ports.length === 0) {
    throw configError(scope, 'route.service', `${service.namespaceName}/${service.serviceName} only calls (ports: []): there is nothing to route to`,
      'Route to a service that serves the host');
  }
  const httpPorts = service.ports.filter((p) => isHttpProtocol(p.protocol));
  const port = options.port === undefined ? (httpPorts.length === 1 ? httpPorts[0] : undefined) : httpPorts.find((p) => p.port === options.port);
  if (!port) {
    throw configError(scope, 'route.port',
      options.port === undefined ? `${service.serviceName} has ${httpPorts.length} HTTP ports` : `${service.serviceName} has no HTTP port ${options.port}`,
      `Name the service port to route to with port (HTTP ports: ${httpPorts.map((p) => p.port).join(', ') || 'none'})`);
  }
  if (options.paths !== undefined && options.paths.length === 0) throw configError(scope, 'route.paths', 'an empty list routes nothing', 'Omit paths to route every path, or name at least one');
  if (options.methods !== undefined && options.methods.length === 0) throw configError(scope, 'route.methods', 'an empty list routes nothing', 'Omit methods to route every method, or name at least one');
  const paths = [...new Set(options.paths ?? ['/*'])].sort();
  const methods = [...new Set(options.methods ?? [])].sort();
  paths.forEach((p) => assertNoProblems(scope, 'route.paths', checkHttpPath(p), 'Write exact paths or "/prefix/*", normalized'));
  methods.forEach((m) => assertNoProblems(scope, 'route.methods', checkHttpMethod(m), 'Use upper-case HTTP methods'));
  if (publicDecidedElsewhere) {
    if (options.publicAccess !== undefined) {
      throw configError(scope, 'route.publicAccess', 'whether the route is public is the gateway owner\'s decision, recorded with its PolicyException there',
        'Omit publicAccess: the service\'s side of the route is the same either way');
    }
    return { service, host: options.host, port, paths, methods, isPublic: false };
  }
  const isPublic = options.publicAccess !== undefined;
  if (isPublic) {
    requireException(scope, 'route.publicAccess', options.publicAccess, ANONYMOUS_ROUTE_RULE_ID);
    assertAnonymousReachable(scope, 'route.publicAccess', service, requiredJwtIssuersOf(service).length > 0,
      'Route it without publicAccess (sign-in at the edge)');
  } else if (issuers.length === 0) {
    throw configError(scope, 'route.publicAccess', 'the route needs an end-user token but the gateway accepts no issuer',
      'Declare externalIssuers on the gateway, or give the route publicAccess (a PolicyException for MESH-AUTHZ-004) if anonymous users may call it');
  }
  return { service, host: options.host, port, paths, methods, isPublic };
}

/**
 * Throws when a public route and a token-protected route of the same host could meet: the edge's
 * ALLOW rules authorize (host, path, method) whatever backend the routes pick, so an anonymous
 * request admitted by the public route's path could be routed, by a more specific match, to the
 * protected service. `admittedAndRouted(grantPath, routePath)` says whether some path is both
 * admitted by the ALLOW path and matched by the route of `routePath` in the gateway's routing API.
 */
export function checkNoAnonymousOverlap(scope: IConstruct, existing: readonly EdgeRoute[], r: EdgeRoute,
  admittedAndRouted: (grantPath: string, routePath: string) => boolean): void {
  const methodsMeet = (a: string[], b: string[]) => a.length === 0 || b.length === 0 || a.some((m) => b.includes(m));
  for (const other of existing.filter((o) => o.host === r.host && o.isPublic !== r.isPublic && methodsMeet(o.methods, r.methods))) {
    const [open, closed] = r.isPublic ? [r, other] : [other, r];
    const clash = open.paths.flatMap((g) => closed.paths.filter((p) => admittedAndRouted(g, p)).map((p) => `${g} admits ${p}`));
    if (clash.length > 0) {
      throw configError(scope, 'route.paths', `on ${r.host} the public route to ${open.service.serviceName} (${clash.join(', ')}) would let anonymous requests `
        + `reach ${closed.service.namespaceName}/${closed.service.serviceName}, which requires a token: the edge authorizes the path, the most specific route picks the backend`,
      'Give the public route paths that no protected route of the host matches (e.g. "/docs/*" next to "/app/*")');
    }
  }
}
