import { PolicyRule, RuleSeverity, RuleViolation, isKind, kindKey } from '../rule';
import { NETWORKING_GROUP, celEachDestinationRuleTls, celHas, destinationRuleTls, specOf } from './mesh-shared';

/**
 * MESH-DR-002 (EGRESS-1): TLS originated by a proxy verifies the server.
 *
 * `tls.insecureSkipVerify: true` in a DestinationRule makes the proxy (sidecar or egress
 * gateway) accept any certificate from the upstream: whoever can answer for the host's address
 * (DNS spoofing, a compromised network path) reads and rewrites the traffic, credentials included,
 * although it leaves the mesh "encrypted".
 */
export const MESH_DR_002: PolicyRule = {
  id: 'MESH-DR-002',
  practices: ['EGRESS-1'],
  severity: RuleSeverity.ERROR,
  kinds: [kindKey(NETWORKING_GROUP, 'DestinationRule')],
  title: 'TLS originated by a proxy verifies the server (no insecureSkipVerify)',
  explanation:
    'A DestinationRule with tls.insecureSkipVerify: true makes the proxy that originates TLS (a sidecar or the egress gateway) '
    + 'accept any server certificate. Anyone who can answer for the host\'s address, through DNS spoofing or a compromised '
    + 'network path, then reads and changes the traffic, credentials included, while it looks encrypted.',
  fix:
    'Remove insecureSkipVerify and let the proxy verify the server: against the system roots, or a CA of your own through '
    + 'credentialName or caCertificates, with subjectAltNames where the certificate names differ from the host (ExternalHost.'
    + 'httpsOriginated does this). A server with a broken certificate needs a PolicyException with an owner and an expiry.',
  check(object) {
    if (!isKind(object, NETWORKING_GROUP, 'DestinationRule')) return [];
    return destinationRuleTls(specOf(object))
      .filter(({ tls }) => tls.insecureSkipVerify === true)
      .map(({ path, port }): RuleViolation => ({
        path: `${path}.insecureSkipVerify`,
        message: 'insecureSkipVerify is true: the proxy accepts any server certificate for this host',
        ...(port !== undefined ? { port } : {}),
      }));
  },
  admission: {
    resources: [{ apiGroups: [NETWORKING_GROUP], apiVersions: ['*'], resources: ['destinationrules'] }],
    expression: celEachDestinationRuleTls((tls) => `(!${celHas(`${tls}.insecureSkipVerify`)} || ${tls}.insecureSkipVerify != true)`),
    message: 'MESH-DR-002 (EGRESS-1): a DestinationRule must not set tls.insecureSkipVerify: true (top level, per port or in subsets)',
  },
};
