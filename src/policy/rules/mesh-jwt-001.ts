import { PolicyRule, RuleSeverity, RuleViolation, isKind, kindKey } from '../rule';
import { SECURITY_GROUP, asList, asMap, celEach, celStrings, jwtRulesOf } from './mesh-shared';

/** Header names a JWT claim must never be written to (lower case). */
export const PROTECTED_HEADERS = [
  'authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'host', 'forwarded', 'x-request-id', 'x-real-ip',
  'content-length', 'content-type', 'transfer-encoding', 'connection', 'upgrade', 'te', 'traceparent', 'tracestate',
  'x-forwarded-client-cert',
];
/** Header name prefixes a JWT claim must never be written to (pseudo-headers and proxy-owned families). */
export const PROTECTED_HEADER_PREFIXES = [':', 'x-forwarded-', 'x-envoy-', 'x-b3-', 'x-istio-'];

/** Whether `header` is one the proxy, the mesh or the HTTP framing owns (case-insensitive). */
export function isProtectedHeader(header: string): boolean {
  const h = header.toLowerCase();
  return PROTECTED_HEADERS.includes(h) || PROTECTED_HEADER_PREFIXES.some((p) => h.startsWith(p));
}

/**
 * MESH-JWT-001 (TOKEN-1): RequestAuthentication never copies JWT content into a protected header
 * (`outputClaimToHeaders[].header`, and `outputPayloadToHeader` for the same reason).
 *
 * The proxy overwrites the header with a claim value the token's holder chooses: into
 * `authorization` it replaces the verified token, into `host`, `:authority` or
 * `x-forwarded-*` it reroutes or spoofs the client, into `x-forwarded-client-cert` or
 * `x-envoy-*` it forges what the mesh asserts about the peer.
 */
export const MESH_JWT_001: PolicyRule = {
  id: 'MESH-JWT-001',
  practices: ['TOKEN-1'],
  severity: RuleSeverity.ERROR,
  kinds: [kindKey(SECURITY_GROUP, 'RequestAuthentication')],
  title: 'RequestAuthentication does not write JWT claims into protected headers',
  explanation:
    'outputClaimToHeaders (and outputPayloadToHeader) make the proxy set a request header from the token. Pointed at a header '
    + 'that carries credentials, routing, framing, tracing or proxy-asserted identity (authorization, cookie, host, :authority, '
    + 'x-forwarded-*, x-forwarded-client-cert, x-envoy-*, x-istio-*, ...), it lets whoever obtains a token choose that header\'s '
    + 'value, e.g. forward a different token, spoof the client address or forge the peer identity the backend trusts.',
  fix:
    'Write claims to an application-specific header, e.g. `x-jwt-claim-sub` or `x-user-id`, and have the backend read only '
    + 'that. There is no legitimate reason to target a protected header, so no exception applies.',
  check(object) {
    if (!isKind(object, SECURITY_GROUP, 'RequestAuthentication')) return [];
    const violations: RuleViolation[] = [];
    for (const { rule, index: i } of jwtRulesOf(object)) {
      asList(rule.outputClaimToHeaders).forEach((o, j) => {
        const mapping = asMap(o);
        const header = mapping?.header;
        if (typeof header === 'string' && isProtectedHeader(header)) {
          const claim = typeof mapping?.claim === 'string' ? `claim "${mapping.claim}"` : 'a claim';
          violations.push({
            path: `spec.jwtRules[${i}].outputClaimToHeaders[${j}].header`,
            message: `outputClaimToHeaders writes ${claim} into the protected header "${header}"; the token holder would control it`,
          });
        }
      });
      if (typeof rule.outputPayloadToHeader === 'string' && isProtectedHeader(rule.outputPayloadToHeader)) {
        violations.push({
          path: `spec.jwtRules[${i}].outputPayloadToHeader`,
          message: `outputPayloadToHeader writes the JWT payload into the protected header "${rule.outputPayloadToHeader}"`,
        });
      }
    }
    return violations;
  },
  admission: {
    resources: [{ apiGroups: [SECURITY_GROUP], apiVersions: ['*'], resources: ['requestauthentications'] }],
    expression: celEach('object.spec.jwtRules', 'r', [
      celEach('r.outputClaimToHeaders', 'o', `!has(o.header) || !${celProtected('o.header')}`),
      `(!has(r.outputPayloadToHeader) || !${celProtected('r.outputPayloadToHeader')})`,
    ].join(' && ')),
    message: 'MESH-JWT-001 (TOKEN-1): RequestAuthentication must not write JWT claims or payload into protected headers (authorization, cookie, host, :*, x-forwarded-*, x-envoy-*, x-b3-*, x-istio-*, ...)',
  },
};

/** CEL: the string at `path` is a protected header name. */
function celProtected(path: string): string {
  return `(${path}.lowerAscii() in ${celStrings(PROTECTED_HEADERS)} || ${PROTECTED_HEADER_PREFIXES.map((p) => `${path}.lowerAscii().startsWith('${p}')`).join(' || ')})`;
}
