/**
 * istiod webhook rules for security.istio.io RequestAuthentication
 * (`ValidateRequestAuthentication` + `validateJwtRule`, RA-1..RA-8).
 */
import { arr, isObject, str, validateDuration, validatePolicyTargeting, violation } from './common';
import { KubeObject, PathSegment, WebhookViolation } from './types';

type Path = PathSegment[];

/** RA-4 (`security.ParseJwksURI` on Go's `url.Parse`): scheme http/https and a numeric port. */
export function jwksUriError(uri: string): string | undefined {
  if (/[\x00-\x1f\x7f]/.test(uri)) return 'invalid control character in URL';
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(uri)?.[1]?.toLowerCase() ?? '';
  if (scheme !== 'http' && scheme !== 'https') {
    return `URI scheme "${scheme}" is not supported: jwksUri must start with http:// or https://`;
  }
  const rest = uri.slice(scheme.length + 1);
  if (!rest.startsWith('//')) return undefined;
  const authority = rest.slice(2).split(/[/?#]/)[0];
  const hostPort = authority.slice(authority.lastIndexOf('@') + 1);
  const port = hostPort.startsWith('[') ? hostPort.slice(hostPort.indexOf(']') + 1) : hostPort.slice(hostPort.indexOf(':') < 0 ? hostPort.length : hostPort.lastIndexOf(':'));
  if (port === '' || port === ':') return undefined;
  return /^:\d+$/.test(port) ? undefined : `invalid port "${port}" after host in jwksUri`;
}

const KTYS = ['RSA', 'EC', 'oct', 'OKP'];

/** RA-5: `jwks` parses as a JWK or JWK set (JSON object(s) with a known `kty`). */
export function jwksError(jwks: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(jwks);
  } catch (e) {
    return `jwks parse error: ${(e as Error).message}`;
  }
  if (!isObject(parsed)) return 'jwks parse error: expected a JSON object';
  const keys = 'keys' in parsed ? parsed.keys : [parsed];
  if (!Array.isArray(keys)) return 'jwks parse error: "keys" must be an array';
  const bad = keys.find((k) => !isObject(k) || !KTYS.includes(str(k.kty)));
  return bad === undefined ? undefined : 'jwks parse error: every key needs a "kty" of RSA, EC, oct or OKP';
}

/** RA-6: token locations must name a header, query parameter or cookie. */
function validateLocations(rule: Record<string, any>, path: Path): WebhookViolation[] {
  const out: WebhookViolation[] = [];
  arr(rule.fromHeaders).forEach((h, i) => {
    if (!isObject(h)) out.push(violation([...path, 'fromHeaders', i], 'RA-6', 'location header must be non-null: give it a name'));
    else if (str(h.name) === '') out.push(violation([...path, 'fromHeaders', i, 'name'], 'RA-6', 'location header name must be a non-empty string'));
  });
  arr(rule.fromParams).forEach((p, i) => {
    if (str(p) === '') out.push(violation([...path, 'fromParams', i], 'RA-6', 'location query must be a non-empty string'));
  });
  arr(rule.fromCookies).forEach((c, i) => {
    if (str(c) === '') out.push(violation([...path, 'fromCookies', i], 'RA-6', 'cookie name must be a non-empty string'));
  });
  return out;
}

/** RA-7: claim-to-header entries are non-null, both fields set, header a strict header name. */
function validateClaimHeaders(rule: Record<string, any>, path: Path): WebhookViolation[] {
  const out: WebhookViolation[] = [];
  arr(rule.outputClaimToHeaders).forEach((c, i) => {
    const p: Path = [...path, 'outputClaimToHeaders', i];
    if (!isObject(c)) {out.push(violation(p, 'RA-7', 'outputClaimToHeaders must not be null: set claim and header'));} else if (str(c.claim) === '' || str(c.header) === '') {
      out.push(violation(p, 'RA-7', 'outputClaimToHeaders header and claim value must be non-empty strings'));
    } else if (!/^[-A-Za-z0-9]+$/.test(str(c.header))) {
      out.push(violation([...p, 'header'], 'RA-7', `header name ${str(c.header)} is not a valid header name: use letters, digits and '-'`));
    }
  });
  return out;
}

/** RA-2..RA-8 for one jwtRule (a null rule is skipped, as in Istio). */
function validateJwtRule(rule: unknown, path: Path): WebhookViolation[] {
  if (!isObject(rule)) return [];
  const out: WebhookViolation[] = [];
  arr(rule.audiences).forEach((a, i) => {
    if (str(a) === '') out.push(violation([...path, 'audiences', i], 'RA-2', 'audience must be a non-empty string'));
  });
  if (str(rule.issuer) === '' && str(rule.jwksUri) === '') {
    out.push(violation(path, 'RA-3', 'issuer or jwksUri must be a non-empty string'));
  }
  const uriErr = str(rule.jwksUri) === '' ? undefined : jwksUriError(str(rule.jwksUri));
  if (uriErr) out.push(violation([...path, 'jwksUri'], 'RA-4', uriErr));
  const jwksErr = str(rule.jwks) === '' ? undefined : jwksError(str(rule.jwks));
  if (jwksErr) out.push(violation([...path, 'jwks'], 'RA-5', jwksErr));
  out.push(...validateLocations(rule, path), ...validateClaimHeaders(rule, path));
  if (rule.timeout !== undefined && rule.timeout !== null) {
    const err = validateDuration(rule.timeout);
    if (err) out.push(violation([...path, 'timeout'], 'RA-8', `timeout: ${err}`));
  }
  return out;
}

/** Validates a RequestAuthentication like `ValidateRequestAuthentication` (errors only). */
export function validateRequestAuthentication(obj: KubeObject): WebhookViolation[] {
  const spec = isObject(obj.spec) ? obj.spec : {};
  return [
    ...validatePolicyTargeting(spec, { oneOf: 'RA-1', selector: 'RA-1', targetRef: 'RA-1' }),
    ...arr(spec.jwtRules).flatMap((r, i) => validateJwtRule(r, ['spec', 'jwtRules', i])),
  ];
}
