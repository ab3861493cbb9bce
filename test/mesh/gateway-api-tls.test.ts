import * as fc from 'fast-check';
import {
  STRONG_CIPHER_SUITES, TLS_CIPHER_SUITES_OPTION, TLS_TERMINATE_MODE_OPTION, cipherSuiteProblems, listenerTlsOptionProblems, listenerTlsOptions,
} from '../../src/mesh/gateway-api-tls';
import { GatewayTls } from '../../src/mesh/gateway-tls';

/**
 * TLS options of a Gateway API listener (src/mesh/gateway-api-tls.ts): what the library writes,
 * and what the option check accepts and refuses, with the reason a reviewer reads.
 */

const MODE = 'gateway.istio.io/tls-terminate-mode';
const CIPHERS = 'gateway.istio.io/tls-cipher-suites';

test('the option keys are the ones Istio reads', () => {
  expect([TLS_TERMINATE_MODE_OPTION, TLS_CIPHER_SUITES_OPTION]).toEqual([MODE, CIPHERS]);
});

describe('cipherSuiteProblems', () => {
  test('the strong suites: ECDHE key exchange with AES-GCM or ChaCha20-Poly1305, ECDSA and RSA certificates', () => {
    expect([...STRONG_CIPHER_SUITES].sort()).toEqual([
      'ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-ECDSA-CHACHA20-POLY1305',
      'ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES256-GCM-SHA384', 'ECDHE-RSA-CHACHA20-POLY1305',
    ]);
  });

  test('property: any non-empty list of distinct strong suites, in any order, is accepted', () => {
    fc.assert(fc.property(fc.shuffledSubarray([...STRONG_CIPHER_SUITES], { minLength: 1 }), (suites) => {
      expect(cipherSuiteProblems(suites)).toEqual([]);
    }));
  });

  test.each<[string, string]>([
    ['AES256-GCM-SHA384', 'has no ECDHE key exchange (no forward secrecy)'],
    ['DHE-RSA-AES128-GCM-SHA256', 'has no ECDHE key exchange (no forward secrecy)'],
    ['DES-CBC3-SHA', 'has no ECDHE key exchange (no forward secrecy)'],
    ['ECDHE-ECDSA-AES128-SHA', 'is not an AEAD cipher (CBC with a SHA-1 or SHA-2 MAC)'],
    ['ECDHE-RSA-AES256-SHA384', 'is not an AEAD cipher (CBC with a SHA-1 or SHA-2 MAC)'],
    ['ECDHE-RSA-RC4-SHA', 'uses a broken cipher'],
    ['ECDHE-ECDSA-NULL-SHA', 'uses a broken cipher'],
    ['ECDHE-ECDSA-RC4-SHA', 'uses a broken cipher'],
    ['ECDHE-PSK-CHACHA20-POLY1305', 'is not one of the strong suites Envoy supports'],
    ['ECDHE-RSA-AES128-GCM-SHA384', 'is not one of the strong suites Envoy supports'],
  ])('%s %s', (suite, why) => {
    expect(cipherSuiteProblems(['ECDHE-RSA-AES128-GCM-SHA256', suite])).toEqual([`cipher suite "${suite}" ${why}`]);
  });

  test('names are case-sensitive: a lower-case strong name is refused', () => {
    expect(cipherSuiteProblems(['ecdhe-rsa-aes128-gcm-sha256'])).toHaveLength(1);
  });

  test('an empty list, or something that is not a list', () => {
    expect(cipherSuiteProblems([])).toEqual(['the cipher suite list is empty']);
    expect(cipherSuiteProblems(undefined as any)).toEqual(['the cipher suites are not a list of names']);
    expect(cipherSuiteProblems('ECDHE-RSA-AES128-GCM-SHA256' as any)).toEqual(['the cipher suites are not a list of names']);
  });

  test('an entry that is not a string', () => {
    expect(cipherSuiteProblems([7, null] as any)).toEqual(['cipher suite 7 is not a name', 'cipher suite null is not a name']);
  });

  test('duplicates are named once each, after the weak suites', () => {
    const strong = 'ECDHE-ECDSA-CHACHA20-POLY1305';
    expect(cipherSuiteProblems([strong, 'AES128-SHA', strong, 'AES128-SHA'])).toEqual([
      'cipher suite "AES128-SHA" has no ECDHE key exchange (no forward secrecy)',
      'cipher suite "AES128-SHA" has no ECDHE key exchange (no forward secrecy)',
      `${strong}, AES128-SHA listed more than once`,
    ]);
  });
});

describe('listenerTlsOptions: what the library writes', () => {
  const simple = GatewayTls.simple('shop-cert');
  const mutual = GatewayTls.mutual('shop-cert', 'shop-cert-cacert');

  test.each<[string, GatewayTls, string[] | undefined, { [k: string]: string } | undefined]>([
    ['SIMPLE, no cipher list: no options at all', simple, undefined, undefined],
    ['MUTUAL: the terminate mode', mutual, undefined, { [MODE]: 'MUTUAL' }],
    ['SIMPLE with a cipher list: the list, comma-separated without spaces', simple,
      ['ECDHE-RSA-AES256-GCM-SHA384', 'ECDHE-RSA-AES128-GCM-SHA256'], { [CIPHERS]: 'ECDHE-RSA-AES256-GCM-SHA384,ECDHE-RSA-AES128-GCM-SHA256' }],
    ['MUTUAL with a cipher list: both', mutual, ['ECDHE-ECDSA-AES128-GCM-SHA256'], { [MODE]: 'MUTUAL', [CIPHERS]: 'ECDHE-ECDSA-AES128-GCM-SHA256' }],
  ])('%s', (_what, tls, suites, options) => {
    expect(listenerTlsOptions(tls, suites)).toEqual(options);
  });

  test('property: what it writes for strong suites passes the option check', () => {
    const suiteLists = fc.option(fc.shuffledSubarray([...STRONG_CIPHER_SUITES], { minLength: 1 }), { nil: undefined });
    fc.assert(fc.property(fc.boolean(), suiteLists, (isMutual, suites) => {
      expect(listenerTlsOptionProblems(listenerTlsOptions(isMutual ? mutual : simple, suites))).toEqual([]);
    }));
  });

  test('it writes what it is given: an empty list becomes an empty option, which the check refuses', () => {
    const options = listenerTlsOptions(simple, []);
    expect(options).toEqual({ [CIPHERS]: '' });
    expect(listenerTlsOptionProblems(options)).toHaveLength(1);
  });
});

describe('listenerTlsOptionProblems: what a hand-written listener may say', () => {
  test.each<[string, unknown]>([
    ['undefined', undefined],
    ['null', null],
    ['an empty map', {}],
    ['MUTUAL', { [MODE]: 'MUTUAL' }],
    ['every strong suite', { [CIPHERS]: STRONG_CIPHER_SUITES.join(',') }],
  ])('accepts %s', (_what, options) => {
    expect(listenerTlsOptionProblems(options)).toEqual([]);
  });

  const NOT_MUTUAL = 'is not MUTUAL (SIMPLE is the default: leave the option out; OPTIONAL_MUTUAL lets clients skip the certificate; ISTIO_SIMPLE and ISTIO_MUTUAL serve the mesh '
    + 'certificate instead of the listener\'s certificateRefs)';

  test.each<[string, unknown, string[]]>([
    ['a list', [MODE], ['tls.options is not a map of strings']],
    ['a string', 'MUTUAL', ['tls.options is not a map of strings']],
    ['a number', 1, ['tls.options is not a map of strings']],
    ['SIMPLE written out (the library writes nothing for it)', { [MODE]: 'SIMPLE' }, [`${MODE}: "SIMPLE" ${NOT_MUTUAL}`]],
    ['a lower-case mode', { [MODE]: 'mutual' }, [`${MODE}: "mutual" ${NOT_MUTUAL}`]],
    ['a mode that is not a string', { [MODE]: true }, [`${MODE}: true ${NOT_MUTUAL}`]],
    ['a cipher list that is not a string', { [CIPHERS]: ['ECDHE-RSA-AES128-GCM-SHA256'] }, [`${CIPHERS} is not a string`]],
    ['a weak suite in the list', { [CIPHERS]: 'ECDHE-RSA-AES128-GCM-SHA256,ECDHE-RSA-AES128-SHA' },
      [`${CIPHERS}: cipher suite "ECDHE-RSA-AES128-SHA" is not an AEAD cipher (CBC with a SHA-1 or SHA-2 MAC)`]],
    ['a suite listed more than once', { [CIPHERS]: 'ECDHE-RSA-AES128-GCM-SHA256,ECDHE-RSA-AES128-GCM-SHA256' }, [`${CIPHERS}: ECDHE-RSA-AES128-GCM-SHA256 listed more than once`]],
    ['an unknown key (an option another controller might read)', { 'gateway.envoyproxy.io/min-version': '1.0' },
      [`gateway.envoyproxy.io/min-version is not an option Istio is known to read safely (only ${MODE} and ${CIPHERS} are written)`]],
    ['a misspelt key', { 'gateway.istio.io/tls-terminate-mod': 'MUTUAL' },
      [`gateway.istio.io/tls-terminate-mod is not an option Istio is known to read safely (only ${MODE} and ${CIPHERS} are written)`]],
  ])('refuses %s', (_what, options, problems) => {
    expect(listenerTlsOptionProblems(options)).toEqual(problems);
  });

  test('an empty cipher option or a trailing comma leaves an empty suite, which is refused', () => {
    expect(listenerTlsOptionProblems({ [CIPHERS]: '' })[0]).toMatch(/^gateway\.istio\.io\/tls-cipher-suites: cipher suite ""/);
    expect(listenerTlsOptionProblems({ [CIPHERS]: 'ECDHE-RSA-AES128-GCM-SHA256,' })[0]).toMatch(/^gateway\.istio\.io\/tls-cipher-suites: cipher suite ""/);
  });

  test('every problem of every key, in the order of the keys', () => {
    expect(listenerTlsOptionProblems({ b: 'x', [MODE]: 'OPTIONAL_MUTUAL', [CIPHERS]: 'AES128-GCM-SHA256' })).toEqual([
      'b is not an option Istio is known to read safely (only gateway.istio.io/tls-terminate-mode and gateway.istio.io/tls-cipher-suites are written)',
      `${MODE}: "OPTIONAL_MUTUAL" ${NOT_MUTUAL}`,
      `${CIPHERS}: cipher suite "AES128-GCM-SHA256" has no ECDHE key exchange (no forward secrecy)`,
    ]);
  });
});

describe('cipherSuiteProblems names the actual mistake', () => {
  test.each<[string, RegExp]>([
    ['ecdhe-rsa-aes128-gcm-sha256', /is not written in upper case \(ECDHE-RSA-AES128-GCM-SHA256\)/],
    ['TLS_AES_128_GCM_SHA256', /is a TLS 1\.3 suite, which Envoy does not let a listener configure/],
    [' ECDHE-RSA-AES128-GCM-SHA256', /has surrounding spaces/],
    ['', /is empty \(a stray comma\?\)/],
    ['AES128-GCM-SHA256', /has no ECDHE key exchange/],
  ])('%j', (suite, reason) => {
    expect(cipherSuiteProblems([suite])).toEqual([expect.stringMatching(reason)]);
  });
});
