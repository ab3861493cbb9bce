/**
 * istiod webhook rules for networking.istio.io VirtualService (`ValidateVirtualService`, `validateHTTPRoute`;
 * VS-1..VS-6, VS-7 mirror percentage, VS-8 retries, VS-10 timeout/exportTo). `validateDestination` is shared
 * with Sidecar (SC-10).
 */
import {
  arr, entries, isDns1123Label, isIpAddress, isObject, isSet, len, namespaceOf, str, validateDuration,
  validateExportTo, validateFqdn, validatePort, validateWildcardDomain, violation,
} from './common';
import { KubeObject, PathSegment, WebhookViolation } from './types';

type Path = PathSegment[];

/** `validateDestination`: host not `*` and a wildcard domain, subset a DNS label, port in 1..65535. */
export function destinationErrors(dest: unknown): { field: string; message: string }[] {
  if (!isObject(dest)) return [];
  const out: { field: string; message: string }[] = [];
  const host = str(dest.host);
  const hostErr = host === '*' ? 'invalid destination host *' : validateWildcardDomain(host);
  if (hostErr) out.push({ field: 'host', message: `${hostErr}: destination host must be a service name or FQDN` });
  if (str(dest.subset) !== '' && !isDns1123Label(str(dest.subset))) {
    out.push({ field: 'subset', message: `subset name is invalid: ${str(dest.subset)} (use a DNS-1123 label)` });
  }
  if (isObject(dest.port)) {
    const err = validatePort(dest.port.number);
    if (err) out.push({ field: 'port', message: err });
  }
  return out;
}

function destinationViolations(dest: unknown, path: Path, rule: string): WebhookViolation[] {
  return destinationErrors(dest).map((e) => violation([...path, e.field], rule, e.message));
}

/** VS-6: route destinations (`validateHTTPRouteDestinations` / `validateRouteDestinations`). */
function validateRouteDestinations(routes: unknown, path: Path): WebhookViolation[] {
  const list = arr(routes);
  const out: WebhookViolation[] = [];
  let total = 0;
  list.forEach((rd, i) => {
    const p = [...path, i];
    if (!isObject(rd)) {
      out.push(violation(p, 'VS-6', 'route destination may not be null'));
      return;
    }
    if (!isSet(rd.destination)) out.push(violation([...p, 'destination'], 'VS-6', 'destination is required'));
    out.push(...destinationViolations(rd.destination, [...p, 'destination'], 'VS-6'));
    const weight = typeof rd.weight === 'number' ? rd.weight : 0;
    if (weight < 0) out.push(violation([...p, 'weight'], 'VS-6', `weight ${weight} < 0`));
    total += weight;
  });
  if (list.length > 1 && total === 0) out.push(violation(path, 'VS-6', 'total destination weight = 0: give the destinations weights'));
  return out;
}

/** VS-5 (`validateHTTPRouteConflict`). */
function validateRouteConflicts(http: Record<string, any>, path: Path, isDelegate: boolean): WebhookViolation[] {
  const v = (field: string, msg: string): WebhookViolation => violation([...path, field], 'VS-5', msg);
  if (!isDelegate && isSet(http.delegate)) {
    const out: WebhookViolation[] = [];
    if (isSet(http.redirect)) out.push(v('redirect', 'root HTTP route with delegate must not specify redirect'));
    if (isSet(http.route)) out.push(v('route', 'root HTTP route with delegate must not specify route'));
    return out;
  }
  const out: WebhookViolation[] = [];
  if (isDelegate && isSet(http.delegate)) out.push(v('delegate', 'delegate HTTP route cannot contain delegate'));
  if (isSet(http.mirror) && len(http.mirrors) > 0) out.push(v('mirror', 'HTTP route cannot contain both mirror and mirrors'));
  if (isSet(http.directResponse)) {
    for (const f of ['route', 'fault', 'rewrite', 'redirect']) {
      if (f === 'route' ? len(http.route) > 0 : isSet(http[f])) out.push(v(f, `HTTP route cannot contain both directResponse and ${f}`));
    }
  }
  if (isSet(http.redirect)) {
    if (len(http.route) > 0) out.push(v('route', 'HTTP route cannot contain both route and redirect'));
    if (isSet(http.fault)) out.push(v('fault', 'HTTP route cannot contain both fault and redirect'));
    if (isSet(http.rewrite)) out.push(v('rewrite', 'HTTP route rule cannot contain both rewrite and redirect'));
  } else if (len(http.route) === 0 && !isSet(http.directResponse)) {
    out.push(violation(path, 'VS-5', 'HTTP route, redirect or directResponse is required'));
  }
  return out;
}

/** VS-7 mirror / mirrorPercentage, VS-8 retries, VS-10 timeout. */
function validateHttpExtras(http: Record<string, any>, path: Path): WebhookViolation[] {
  const out = destinationViolations(http.mirror, [...path, 'mirror'], 'VS-6');
  arr(http.mirrors).forEach((m, i) => {
    const p = [...path, 'mirrors', i];
    if (!isObject(m) || !isSet(m.destination)) out.push(violation(p, 'VS-6', 'destination is required for mirrors'));
    else out.push(...destinationViolations(m.destination, [...p, 'destination'], 'VS-6'));
  });
  const pct = isObject(http.mirrorPercentage) ? http.mirrorPercentage.value : undefined;
  if (typeof pct === 'number' && (pct < 0 || pct > 100)) {
    out.push(violation([...path, 'mirrorPercentage'], 'VS-7', `mirrorPercentage must be in 0..100 (it has ${pct})`));
  }
  if (isObject(http.retries)) out.push(...validateRetries(http.retries, [...path, 'retries']));
  if (isSet(http.timeout)) {
    const err = validateDuration(http.timeout);
    if (err) out.push(violation([...path, 'timeout'], 'VS-10', `timeout: ${err}`));
  }
  return out;
}

const RETRY_ON = ['5xx', 'gateway-error', 'reset', 'reset-before-request', 'connect-failure', 'retriable-4xx',
  'refused-stream', 'retriable-status-codes', 'retriable-headers', 'envoy-ratelimited', 'http3-post-connect-failure',
  'cancelled', 'deadline-exceeded', 'internal', 'resource-exhausted', 'unavailable'];
const HTTP_STATUS = new Set([100, 101, 102, 103, 200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303,
  304, 305, 307, 308, 400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 418,
  421, 422, 423, 424, 425, 426, 428, 429, 431, 451, 500, 501, 502, 503, 504, 505, 506, 507, 508, 510, 511]);

/** VS-8 (`validateHTTPRetry`). */
function validateRetries(r: Record<string, any>, path: Path): WebhookViolation[] {
  const out: WebhookViolation[] = [];
  const attempts = typeof r.attempts === 'number' ? r.attempts : 0;
  if (attempts < 0) out.push(violation([...path, 'attempts'], 'VS-8', 'attempts cannot be negative'));
  if (attempts === 0 && (isSet(r.perTryTimeout) || str(r.retryOn) !== '' || isSet(r.retryRemoteLocalities))) {
    out.push(violation(path, 'VS-8', 'http retry policy configured when attempts are set to 0 (disabled): set attempts or remove the policy'));
  }
  for (const f of ['perTryTimeout', 'backoff']) {
    const err = isSet(r[f]) ? validateDuration(r[f]) : undefined;
    if (err) out.push(violation([...path, f], 'VS-8', `${f}: ${err}`));
  }
  for (const policy of str(r.retryOn) === '' ? [] : str(r.retryOn).split(',')) {
    const code = /^[+-]?\d+$/.test(policy) ? Number(policy) : 0;
    if (!HTTP_STATUS.has(code) && !RETRY_ON.includes(policy)) {
      out.push(violation([...path, 'retryOn'], 'VS-8', `"${policy}" is not a valid retryOn policy`));
    }
  }
  return out;
}

/** VS-5..VS-10 for one http route. */
function validateHttpRoute(http: unknown, path: Path, isDelegate: boolean): WebhookViolation[] {
  if (!isObject(http)) return [violation(path, 'VS-4', 'http route may not be null')];
  return [...validateRouteConflicts(http, path, isDelegate),
    ...validateRouteDestinations(http.route, [...path, 'route']),
    ...validateHttpExtras(http, path)];
}

function isWildcarded(h: string): boolean {
  return h.startsWith('*');
}

/** `host.Name.Matches`: the two host names overlap. */
export function hostsMatch(a: string, b: string): boolean {
  if (isWildcarded(a) && isWildcarded(b)) return a.length < b.length ? b.slice(1).endsWith(a.slice(1)) : a.slice(1).endsWith(b.slice(1));
  if (isWildcarded(a)) return b.endsWith(a.slice(1));
  if (isWildcarded(b)) return a.endsWith(b.slice(1));
  return a === b;
}

/** `host.Name.SubsetOf`. */
function hostSubsetOf(n: string, o: string): boolean {
  if (isWildcarded(o)) return (isWildcarded(n) ? n.slice(1) : n).endsWith(o.slice(1));
  return !isWildcarded(n) && n === o;
}

/** `ValidateWildcardDomainForVirtualServiceBoundToGateway`: like a wildcard domain, plus `outbound_` SNI names. */
function validateGatewayBoundHost(sni: boolean, host: string): string | undefined {
  if (sni && host.split('.')[0] === 'outbound_' && host.length <= 255) {
    return /outbound_.([0-8].*).*/.test(host) ? undefined : `domain name "${host}" invalid (label "outbound_" invalid)`;
  }
  return validateWildcardDomain(host);
}

/** VS-2 (`validateGatewayNames`): `ns/name` with DNS-label parts, or a legacy FQDN / `mesh`. */
function validateGatewayNames(names: unknown, path: Path): WebhookViolation[] {
  const out: WebhookViolation[] = [];
  for (const [i, raw] of arr(names).entries()) {
    const name = str(raw);
    const slash = name.indexOf('/');
    if (slash < 0) {
      const err = validateFqdn(name);
      if (err) out.push(violation([...path, i], 'VS-2', `${err}: reference gateways as namespace/name`));
      break; // Istio stops at the first name without a namespace
    }
    const ns = name.slice(0, slash);
    const gw = name.slice(slash + 1);
    if (ns === '' || gw === '') out.push(violation([...path, i], 'VS-2', 'config namespace and gateway name cannot be empty'));
    if (!isDns1123Label(ns)) out.push(violation([...path, i], 'VS-2', `invalid value for namespace: "${ns}"`));
    if (!isDns1123Label(gw)) out.push(violation([...path, i], 'VS-2', `invalid value for gateway name: "${gw}"`));
  }
  return out;
}

function isJwtClaimRoute(key: string): boolean {
  return key.startsWith('@request.auth.claims.') || key.startsWith('@request.auth.claims[');
}

/** VS-3: host syntax, `*` only on gateways, no overlapping hosts, JWT claim routes only on gateways, SNI hosts. */
function validateHosts(spec: Record<string, any>, appliesToGateway: boolean): WebhookViolation[] {
  const hosts = arr(spec.hosts).map(str);
  const sni = arr(spec.tls).some((t) => isObject(t) && arr(t.match).some((m) => isObject(m) && len(m.sniHosts) > 0));
  const out: WebhookViolation[] = [];
  let allValid = true;
  hosts.forEach((h, i) => {
    const err = appliesToGateway ? validateGatewayBoundHost(sni, h) : validateWildcardDomain(h);
    if (err && !isIpAddress(h)) {
      out.push(violation(['spec', 'hosts', i], 'VS-3', `${err}: hosts must be (wildcard) DNS names or IPs`));
      allValid = false;
    } else if (!err && !appliesToGateway && h === '*') {
      out.push(violation(['spec', 'hosts', i], 'VS-3', 'wildcard host * is not allowed for virtual services bound to the mesh gateway: list the service hosts'));
      allValid = false;
    }
  });
  for (let i = 0; allValid && i < hosts.length; i++) {
    for (let j = i + 1; j < hosts.length; j++) {
      if (hostsMatch(hosts[i], hosts[j])) out.push(violation(['spec', 'hosts', j], 'VS-3', `duplicate hosts in virtual service: ${hosts[i]} & ${hosts[j]}`));
    }
  }
  if (!appliesToGateway) {
    arr(spec.http).forEach((h, i) => arr(isObject(h) ? h.match : undefined).forEach((m, j) => {
      for (const f of ['headers', 'withoutHeaders']) {
        for (const [key] of entries(isObject(m) ? m[f] : undefined)) {
          if (isJwtClaimRoute(key)) {
            out.push(violation(['spec', 'http', i, 'match', j, f, key], 'VS-3', `JWT claim based routing (key: ${key}) is only supported for gateway-bound virtual services`));
          }
        }
      }
    }));
  }
  arr(spec.tls).forEach((t, i) => arr(isObject(t) ? t.match : undefined).forEach((m, j) => {
    arr(isObject(m) ? m.sniHosts : undefined).forEach((s, k) => {
      const host = str(s);
      const err = appliesToGateway ? validateGatewayBoundHost(true, host) : validateWildcardDomain(host);
      const p = ['spec', 'tls', i, 'match', j, 'sniHosts', k];
      if (err) {
        if (!isIpAddress(host)) out.push(violation(p, 'VS-3', err));
      } else if (!hosts.some((h) => hostSubsetOf(host, h))) {
        out.push(violation(p, 'VS-3', `SNI host "${host}" is not a compatible subset of any of the virtual service hosts: [${hosts.join(', ')}]`));
      }
    });
  }));
  return out;
}

/** VS-6: TLS and TCP routes need matches (TLS) and route destinations. */
function validateL4Routes(spec: Record<string, any>): WebhookViolation[] {
  const out: WebhookViolation[] = [];
  for (const kind of ['tls', 'tcp']) {
    arr(spec[kind]).forEach((r, i) => {
      if (!isObject(r)) return;
      const p = ['spec', kind, i];
      if (kind === 'tls' && len(r.match) === 0) out.push(violation([...p, 'match'], 'VS-6', 'TLS route must have at least one match condition'));
      if (kind === 'tls') {
        arr(r.match).forEach((m, j) => {
          if (!isObject(m)) out.push(violation([...p, 'match', j], 'VS-6', 'TLS match may not be null'));
          else if (len(m.sniHosts) === 0) out.push(violation([...p, 'match', j, 'sniHosts'], 'VS-6', 'TLS match must have at least one SNI host'));
        });
      }
      if (len(r.route) === 0) out.push(violation([...p, 'route'], 'VS-6', `${kind.toUpperCase()} route is required`));
      out.push(...validateRouteDestinations(r.route, [...p, 'route']));
    });
  }
  return out;
}

/** VS-1: a delegate VirtualService (no hosts) has no gateways, tls or tcp. */
function validateDelegate(spec: Record<string, any>): WebhookViolation[] {
  if (len(spec.hosts) > 0) return [];
  return ['gateways', 'tls', 'tcp'].filter((f) => len(spec[f]) > 0)
    .map((f) => violation(['spec', f], 'VS-1', `delegate virtual service (no hosts) must have no ${f} specified`));
}

/** Validates a VirtualService like `ValidateVirtualService` (errors only). */
export function validateVirtualService(obj: KubeObject): WebhookViolation[] {
  const spec = isObject(obj.spec) ? obj.spec : {};
  const gateways = arr(spec.gateways).map(str);
  const appliesToGateway = gateways.length > 0 && !gateways.includes('mesh');
  const isDelegate = len(spec.hosts) === 0;
  const out = [...validateDelegate(spec), ...validateGatewayNames(spec.gateways, ['spec', 'gateways']),
    ...validateHosts(spec, appliesToGateway)];
  if (len(spec.http) === 0 && len(spec.tcp) === 0 && len(spec.tls) === 0) {
    out.push(violation(['spec'], 'VS-4', 'http, tcp or tls must be provided in virtual service'));
  }
  arr(spec.http).forEach((h, i) => out.push(...validateHttpRoute(h, ['spec', 'http', i], isDelegate)));
  out.push(...validateL4Routes(spec));
  out.push(...validateExportTo(namespaceOf(obj), spec.exportTo, false, false)
    .map((e) => violation(['spec', 'exportTo'], 'VS-10', e)));
  return out;
}
