import { PolicyRule, RuleSeverity, RuleViolation, isKind, kindKey } from '../rule';
import { NETWORKING_GROUP, asString, celEachDestinationRuleTls, celHas, destinationRuleTls, isNonEmptyList, specOf } from './mesh-shared';

/** DestinationRule TLS modes that originate TLS with a certificate the proxy must verify. */
export const ORIGINATING_TLS_MODES = ['SIMPLE', 'MUTUAL'];

/**
 * MESH-DR-003 (EGRESS-1): TLS originated by a proxy checks the server's name, not only its chain.
 *
 * What Istio 1.30 verifies for a `tls` block (top level, per port or in a subset) with mode
 * SIMPLE or MUTUAL:
 * - the chain: against `caCertificates`, the CA in the `credentialName` Secret, or, when neither
 *   is set, the proxy's system roots (VERIFY_CERT_AT_CLIENT has been on by default since Istio
 *   1.21, and the CA path now defaults to the system bundle). "No CA" is therefore not a hole by
 *   itself;
 * - the name: against `subjectAltNames` when set; when neither `sni` nor `subjectAltNames` is
 *   set, Istio turns on Envoy's auto SNI and auto SAN validation, so the certificate must match
 *   the HTTP Host the request was sent for (ENABLE_AUTO_SNI, on by default since 1.21). When `sni`
 *   is set and `subjectAltNames` is not, nothing checks the name: any certificate a trusted CA
 *   issued for any name (one an attacker bought for their own domain, with the public roots) is
 *   accepted by whoever answers for the host's address.
 *
 * So the rule reports an originating block that sets `sni` without `subjectAltNames`. Blocks with
 * `insecureSkipVerify: true` are left to MESH-DR-002; ISTIO_MUTUAL (mesh mTLS, verified against the
 * mesh CA and the peer's identity) and DISABLE are not concerned. EgressGateway's TLS origination
 * sets `sni` and `subjectAltNames` (the host by default) with a CA Secret.
 *
 * Deliberately stricter than Istio: the names of a ServiceEntry's `subjectAltNames`, which Istio
 * uses when the DestinationRule has none, do not count (they are in another object, and a single
 * object must be decidable at admission). Not covered: a block without `sni` or `subjectAltNames`
 * on a port whose traffic is not HTTP (TLS or TCP origination): auto SAN validation is an HTTP
 * feature, so there the name is unchecked too, but the protocol is in the ServiceEntry, not here.
 */
export const MESH_DR_003: PolicyRule = {
  id: 'MESH-DR-003',
  practices: ['EGRESS-1'],
  severity: RuleSeverity.ERROR,
  since: '2',
  kinds: [kindKey(NETWORKING_GROUP, 'DestinationRule')],
  title: 'TLS originated by a proxy checks the server name (subjectAltNames whenever sni is set)',
  explanation:
    'A DestinationRule that originates TLS (mode SIMPLE or MUTUAL) with an explicit sni and no subjectAltNames makes the proxy '
    + 'check only that the server certificate chains to a trusted CA (the CA given, or the system roots), never the name it was '
    + 'issued for. Anyone who can answer for the host\'s address (DNS spoofing, a hijacked route, a compromised network path) '
    + 'presents a valid certificate for a domain of their own and reads and changes the traffic, credentials included. Without '
    + 'sni, Istio checks the name against the request\'s Host automatically; setting sni turns that off.',
  fix:
    'List the names the server certificate must carry in subjectAltNames next to the sni (ExternalHost.httpsOriginated does: '
    + 'the host by default), or remove sni so that Istio sets it from the Host header and checks the certificate against it. '
    + 'There is no exception for accepting a certificate issued for another name.',
  check(object) {
    if (!isKind(object, NETWORKING_GROUP, 'DestinationRule')) return [];
    const violations: RuleViolation[] = [];
    for (const { tls, path, port } of destinationRuleTls(specOf(object))) {
      const mode = asString(tls.mode);
      if (mode === undefined || !ORIGINATING_TLS_MODES.includes(mode) || tls.insecureSkipVerify === true) continue;
      const sni = asString(tls.sni);
      if (sni === undefined || sni === '' || isNonEmptyList(tls.subjectAltNames)) continue;
      const chain = isSetString(tls.credentialName) ? `the CA of Secret "${tls.credentialName}"`
        : isSetString(tls.caCertificates) ? `the CA file ${tls.caCertificates}` : 'the proxy\'s system roots';
      violations.push({
        path: `${path}.subjectAltNames`,
        message: `tls mode ${mode} sets sni "${sni}" without subjectAltNames: the proxy checks the certificate chain against ${chain} `
          + 'but not the server name, so a certificate issued for any other name is accepted',
        ...(port !== undefined ? { port } : {}),
      });
    }
    return violations;
  },
  admission: {
    resources: [{ apiGroups: [NETWORKING_GROUP], apiVersions: ['*'], resources: ['destinationrules'] }],
    expression: "object.kind != 'DestinationRule' || " + celEachDestinationRuleTls((tls) => '('
      + `!(${celHas(`${tls}.mode`)} && ${tls}.mode in ['SIMPLE', 'MUTUAL'])`
      + ` || (${celHas(`${tls}.insecureSkipVerify`)} && ${tls}.insecureSkipVerify == true)`
      + ` || !(${celHas(`${tls}.sni`)} && size(${tls}.sni) > 0)`
      + ` || (${celHas(`${tls}.subjectAltNames`)} && size(${tls}.subjectAltNames) > 0))`),
    message: 'MESH-DR-003 (EGRESS-1): a DestinationRule originating TLS (SIMPLE or MUTUAL) with an sni must list subjectAltNames, so that the server name is verified',
  },
};

function isSetString(value: unknown): boolean {
  return typeof value === 'string' && value !== '';
}
