import { GatewayTls, GatewayTlsMode } from './gateway-tls';

/**
 * TLS of a Gateway API listener programmed by Istio (class `istio`), and what may lower it
 * (INGRESS-1).
 *
 * A Gateway API listener has no minimum or maximum TLS version: Istio builds the Envoy server TLS
 * context from `tls.mode` (`Terminate`), the `certificateRefs` and a few implementation options in
 * `tls.options`, and leaves the protocol versions to the defaults. Envoy's default minimum for a
 * server is TLS 1.2 since Envoy 1.22 (TlsParameters.tls_minimum_protocol_version: "TLSv1_2 for
 * both clients and servers"; it was TLSv1_0 for servers before), and since Envoy 1.28 its
 * default cipher list has no cipher a TLS 1.0/1.1 client could use. istio/istio#59470 (open)
 * asks for min/max versions on Gateway API listeners; until then the version floor holds as long
 * as nothing else raises the risk.
 *
 * What Istio reads from `tls.options` (pilot/pkg/config/kube/gateway/conversion.go, `buildTLS`):
 * - `gateway.istio.io/tls-terminate-mode`: `MUTUAL` and `OPTIONAL_MUTUAL` (client certificates,
 *   required or optional), `ISTIO_SIMPLE` and `ISTIO_MUTUAL` (serve Istio's own workload
 *   certificate instead of the certificateRefs, and for ISTIO_MUTUAL accept mesh clients only);
 *   anything else is SIMPLE.
 * - `gateway.istio.io/tls-cipher-suites` (Istio 1.29, istio/istio#58366 and PR #58381): a
 *   comma-separated cipher list for TLS 1.0-1.2 handshakes, as in the Istio Gateway's
 *   `cipherSuites`. A list with static-RSA key exchange (no forward secrecy), CBC or SHA-1 MAC
 *   suites, or 3DES lets clients negotiate weak ciphers; Envoy's own default list still includes
 *   CBC-SHA1 and static-RSA suites for TLS 1.2 (common.proto, "the default server cipher list").
 *
 * The rule here: the library writes only the terminate mode its `GatewayTls` says (`MUTUAL` for
 * `GatewayTls.mutual`, nothing for `simple`) and, when asked, a cipher list of ECDHE key exchange
 * with AEAD ciphers only. Any other key (a typo, a future Istio option, another implementation's
 * option such as a minimum version some other controller would read) is refused: its effect is
 * not known to be safe. `listenerTlsOptionProblems` is that check, for the construct and for a
 * rule over hand-written Gateways.
 */

/** The option that turns Istio's termination into mutual TLS (or the mesh's own certificate). */
export const TLS_TERMINATE_MODE_OPTION = 'gateway.istio.io/tls-terminate-mode';
/** The option that sets the TLS 1.0-1.2 cipher suites (Istio 1.29+). */
export const TLS_CIPHER_SUITES_OPTION = 'gateway.istio.io/tls-cipher-suites';

/**
 * Cipher suites a listener may restrict itself to: ECDHE key exchange (forward secrecy) with an
 * AEAD cipher (AES-GCM or ChaCha20-Poly1305), in BoringSSL's names as Istio takes them. TLS 1.3
 * suites are not configurable in Envoy and are always the strong ones.
 */
export const STRONG_CIPHER_SUITES: readonly string[] = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
];

/** The terminate modes the library writes: the ones `GatewayTls` can say, with a certificate from a Secret. */
const WRITTEN_TERMINATE_MODES: readonly string[] = [GatewayTlsMode.MUTUAL];

/** Why one cipher suite name is not among the strong ones, in words a reviewer acts on. */
function cipherWeakness(suite: string): string {
  if (suite.trim() === '') return 'is empty (a stray comma?)';
  if (suite !== suite.trim()) return 'has surrounding spaces (list the names separated by "," alone)';
  if (STRONG_CIPHER_SUITES.includes(suite.toUpperCase())) return `is not written in upper case (${suite.toUpperCase()})`;
  if (/^TLS_(AES|CHACHA20)/.test(suite)) return 'is a TLS 1.3 suite, which Envoy does not let a listener configure (TLS 1.3 always uses strong ones)';
  if (!suite.startsWith('ECDHE-')) return 'has no ECDHE key exchange (no forward secrecy)';
  if (/3DES|DES-CBC|RC4|NULL|EXPORT/.test(suite)) return 'uses a broken cipher';
  if (!/GCM|CHACHA20-POLY1305/.test(suite)) return 'is not an AEAD cipher (CBC with a SHA-1 or SHA-2 MAC)';
  return 'is not one of the strong suites Envoy supports';
}

/** Problems of a cipher suite list: empty, duplicates, or a suite outside {@link STRONG_CIPHER_SUITES}. */
export function cipherSuiteProblems(suites: readonly string[]): string[] {
  if (!Array.isArray(suites)) return ['the cipher suites are not a list of names'];
  if (suites.length === 0) return ['the cipher suite list is empty'];
  const problems: string[] = [];
  suites.forEach((s) => {
    if (typeof s !== 'string' || !STRONG_CIPHER_SUITES.includes(s)) problems.push(`cipher suite ${JSON.stringify(s)} ${typeof s === 'string' ? cipherWeakness(s) : 'is not a name'}`);
  });
  const dupes = suites.filter((s, i) => suites.indexOf(s) !== i);
  if (dupes.length > 0) problems.push(`${[...new Set(dupes)].join(', ')} listed more than once`);
  return problems;
}

/**
 * Problems of a listener's `tls.options` (any value: a map of strings is expected): only the
 * terminate mode `MUTUAL` and a strong cipher list (comma-separated, no spaces) are accepted.
 */
export function listenerTlsOptionProblems(options: unknown): string[] {
  if (options === undefined || options === null) return [];
  if (typeof options !== 'object' || Array.isArray(options)) return ['tls.options is not a map of strings'];
  const problems: string[] = [];
  for (const [key, value] of Object.entries(options as { [key: string]: unknown })) {
    if (key === TLS_TERMINATE_MODE_OPTION) {
      if (typeof value !== 'string' || !WRITTEN_TERMINATE_MODES.includes(value)) {
        problems.push(`${key}: ${JSON.stringify(value)} is not MUTUAL (SIMPLE is the default: leave the option out; OPTIONAL_MUTUAL lets clients skip the certificate; `
          + 'ISTIO_SIMPLE and ISTIO_MUTUAL serve the mesh certificate instead of the listener\'s certificateRefs)');
      }
    } else if (key === TLS_CIPHER_SUITES_OPTION) {
      if (typeof value !== 'string') problems.push(`${key} is not a string`);
      else problems.push(...cipherSuiteProblems(value.split(',')).map((p) => `${key}: ${p}`));
    } else {
      problems.push(`${key} is not an option Istio is known to read safely (only ${TLS_TERMINATE_MODE_OPTION} and ${TLS_CIPHER_SUITES_OPTION} are written)`);
    }
  }
  return problems;
}

/** The `tls.options` of a listener terminating with `tls` and restricted to `cipherSuites` (undefined when none). */
export function listenerTlsOptions(tls: GatewayTls, cipherSuites: readonly string[] | undefined): { [key: string]: string } | undefined {
  const options: { [key: string]: string } = {};
  if (tls.mode === GatewayTlsMode.MUTUAL) options[TLS_TERMINATE_MODE_OPTION] = GatewayTlsMode.MUTUAL;
  if (cipherSuites !== undefined) options[TLS_CIPHER_SUITES_OPTION] = cipherSuites.join(',');
  return Object.keys(options).length > 0 ? options : undefined;
}
