import { PolicyRule, RuleSeverity, RuleViolation, isKind, kindKey } from '../rule';
import { JsonMap, NETWORKING_GROUP, asList, asMap, celEach, celHas, specOf } from './mesh-shared';

/** The TLS settings of a traffic policy (top level and per port) that skip server verification, with their paths. */
function skipping(policy: JsonMap | undefined, path: string): string[] {
  if (!policy) return [];
  const out: string[] = [];
  if (asMap(policy.tls)?.insecureSkipVerify === true) out.push(`${path}.tls.insecureSkipVerify`);
  asList(policy.portLevelSettings).forEach((s, i) => {
    if (asMap(asMap(s)?.tls)?.insecureSkipVerify === true) out.push(`${path}.portLevelSettings[${i}].tls.insecureSkipVerify`);
  });
  return out;
}

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
    const spec = specOf(object);
    const paths = [
      ...skipping(asMap(spec.trafficPolicy), 'spec.trafficPolicy'),
      ...asList(spec.subsets).flatMap((s, i) => skipping(asMap(asMap(s)?.trafficPolicy), `spec.subsets[${i}].trafficPolicy`)),
    ];
    return paths.map((path): RuleViolation => ({ path, message: 'insecureSkipVerify is true: the proxy accepts any server certificate for this host' }));
  },
  admission: {
    resources: [{ apiGroups: [NETWORKING_GROUP], apiVersions: ['*'], resources: ['destinationrules'] }],
    expression: `${policyOk('object.spec.trafficPolicy')} && ${celEach('object.spec.subsets', 's', policyOk('s.trafficPolicy'))}`,
    message: 'MESH-DR-002 (EGRESS-1): a DestinationRule must not set tls.insecureSkipVerify: true (top level, per port or in subsets)',
  },
};

/** CEL: the traffic policy at `path` (absent = fine) does not skip verification, at top level or per port. */
function policyOk(path: string): string {
  const tlsOk = (tls: string) => `(!${celHas(`${tls}.insecureSkipVerify`)} || ${tls}.insecureSkipVerify != true)`;
  return `(!${celHas(path)} || (${tlsOk(`${path}.tls`)} && ${celEach(`${path}.portLevelSettings`, 'p', tlsOk('p.tls'))}))`;
}
