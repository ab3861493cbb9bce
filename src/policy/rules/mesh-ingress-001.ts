import { PolicyRule, RuleSeverity, RuleViolation, isKind, kindKey } from '../rule';
import { NETWORKING_GROUP, asList, asMap, asString, celEach, celStrings, specOf, stringItems } from './mesh-shared';

/** Gateway server protocols that listen without TLS (Istio parses them case-insensitively). */
export const PLAINTEXT_PROTOCOLS = ['HTTP', 'HTTP2', 'GRPC', 'GRPC-WEB', 'MONGO', 'TCP'];

/** TLS versions below 1.2, refused as a server's minimum or maximum. */
export const WEAK_TLS_VERSIONS = ['TLSV1_0', 'TLSV1_1'];

/**
 * Whether a host of a Gateway server or of a VirtualService is a wildcard: `*`, `*.example.com`,
 * or a `namespace/` form of those (`./*`, `shop/*.example.com`).
 */
export function isWildcardHost(host: string): boolean {
  return host.startsWith('*') || host.includes('/*');
}

/**
 * MESH-INGRESS-001 (INGRESS-1): Gateway servers terminate TLS 1.2 or later for named hosts.
 *
 * A server with a plaintext protocol serves traffic without TLS, except an HTTP server whose
 * `tls.httpsRedirect` answers every request with a redirect to HTTPS; a minimum or maximum TLS
 * version below 1.2 lets clients negotiate broken protocol versions; a wildcard host accepts
 * names nobody declared (a dangling DNS record, a look-alike subdomain) and routes them into the
 * mesh. Applies to every Istio Gateway, ingress and egress alike.
 */
export const MESH_INGRESS_001: PolicyRule = {
  id: 'MESH-INGRESS-001',
  practices: ['INGRESS-1'],
  severity: RuleSeverity.ERROR,
  kinds: [kindKey(NETWORKING_GROUP, 'Gateway')],
  title: 'Gateway servers serve TLS 1.2+ for named hosts; plaintext only to redirect to HTTPS',
  explanation:
    'A Gateway server with a plaintext protocol (HTTP, HTTP2, GRPC, GRPC-WEB, MONGO, TCP) exposes traffic and credentials on the '
    + 'network, unless it is an HTTP server whose tls.httpsRedirect answers every request with a redirect to HTTPS. A '
    + 'minProtocolVersion or maxProtocolVersion of TLSV1_0 or TLSV1_1 lets clients negotiate TLS versions with known weaknesses. '
    + 'A wildcard host (*, *.example.com) accepts names nobody declared, such as a dangling DNS record or a look-alike '
    + 'subdomain, and routes them into the mesh.',
  fix:
    'Serve HTTPS or TLS (SIMPLE or MUTUAL with a credentialName; IngressGateway does this) and keep port 80 only as '
    + '`tls: { httpsRedirect: true }`; leave minProtocolVersion unset (TLS 1.2) or set TLSV1_2/TLSV1_3; list each host the '
    + 'gateway serves. A legacy client that cannot do better needs a PolicyException scoped to that Gateway.',
  check(object) {
    if (!isKind(object, NETWORKING_GROUP, 'Gateway')) return [];
    const violations: RuleViolation[] = [];
    asList(specOf(object).servers).forEach((s, i) => {
      const server = asMap(s);
      if (!server) return;
      const base = `spec.servers[${i}]`;
      const port = asMap(server.port);
      const protocol = asString(port?.protocol)?.toUpperCase();
      const tls = asMap(server.tls);
      const portNumber = typeof port?.number === 'number' && Number.isInteger(port.number) ? port.number : undefined;
      const onPort = portNumber !== undefined ? { port: portNumber } : {};
      if (protocol !== undefined && PLAINTEXT_PROTOCOLS.includes(protocol) && !(protocol === 'HTTP' && tls?.httpsRedirect === true)) {
        violations.push({
          path: `${base}.port.protocol`,
          message: `server ${portNumber ?? '?'} listens with ${protocol} (plaintext) and does not only redirect to HTTPS`
            + `${protocol === 'HTTP' ? ' (tls.httpsRedirect is not true)' : ''}`,
          ...onPort,
        });
      }
      for (const field of ['minProtocolVersion', 'maxProtocolVersion'] as const) {
        const version = asString(tls?.[field]);
        if (version !== undefined && WEAK_TLS_VERSIONS.includes(version)) {
          violations.push({ path: `${base}.tls.${field}`, message: `tls.${field} is ${version}: TLS below 1.2 can be negotiated`, ...onPort });
        }
      }
      for (const { value, index } of stringItems(server.hosts)) {
        if (isWildcardHost(value)) {
          violations.push({ path: `${base}.hosts[${index}]`, message: `host "${value}" is a wildcard: the server accepts any matching name`, ...onPort });
        }
      }
    });
    return violations;
  },
  admission: {
    resources: [{ apiGroups: [NETWORKING_GROUP], apiVersions: ['*'], resources: ['gateways'] }],
    expression: celEach('object.spec.servers', 's', [
      `(!has(s.port) || !has(s.port.protocol) || !(s.port.protocol.upperAscii() in ${celStrings(PLAINTEXT_PROTOCOLS)})`
      + " || (s.port.protocol.upperAscii() == 'HTTP' && has(s.tls) && has(s.tls.httpsRedirect) && s.tls.httpsRedirect == true))",
      `(!has(s.tls) || ((!has(s.tls.minProtocolVersion) || !(s.tls.minProtocolVersion in ${celStrings(WEAK_TLS_VERSIONS)}))`
      + ` && (!has(s.tls.maxProtocolVersion) || !(s.tls.maxProtocolVersion in ${celStrings(WEAK_TLS_VERSIONS)}))))`,
      "(!has(s.hosts) || s.hosts.all(h, !h.startsWith('*') && !h.contains('/*')))",
    ].join(' && ')),
    message: 'MESH-INGRESS-001 (INGRESS-1): Gateway servers must serve TLS 1.2+ (plaintext HTTP only with tls.httpsRedirect) for named hosts (no wildcard)',
  },
};
