import { validatePeerAuthentication } from '../../../src/validation/webhook/peer-authentication';
import { ISTIO_TESTDATA, describeWithShared, istioTestdata } from '../../shared';

const pa = (spec: any) => validatePeerAuthentication({ apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'p' }, spec });

describeWithShared(ISTIO_TESTDATA, 'PeerAuthentication: Istio testdata', () => {
  test.each(istioTestdata('peerauth-valid.yaml').map((d) => [d.doc.metadata.name, d.doc]))('valid %s', (_n, doc) => {
    expect(validatePeerAuthentication(doc)).toEqual([]);
  });

  // bad-mode (enum "BLAH") is left to the CRD schema layer; the webhook only sees converted enums.
  const SCHEMA_ONLY = ['bad-mode'];
  const expected: Record<string, string> = {
    'bad-port': 'PA-3', 'port-level-global': 'PA-1', 'empty-port-level': 'PA-2', 'zero-port': 'PA-3', 'high-port': 'PA-3',
  };
  test.each(istioTestdata('peerauth-invalid.yaml').map((d) => [d.doc.metadata.name, d.doc]))('invalid %s', (name, doc) => {
    const rules = validatePeerAuthentication(doc).map((v) => v.rule);
    if (SCHEMA_ONLY.includes(name)) expect(rules).toEqual([]);
    else expect(rules).toContain(expected[name]);
  });
});

describe('PeerAuthentication rules', () => {
  test('known-good', () => {
    expect(pa({ mtls: { mode: 'STRICT' } })).toEqual([]);
    expect(pa({ selector: { matchLabels: { app: 'a' } }, portLevelMtls: { 8080: { mode: 'DISABLE' } } })).toEqual([]);
    expect(pa({ selector: {} })).toEqual([]);
    expect(pa(undefined)).toEqual([]);
  });

  test.each([
    ['PA-1', { selector: {}, portLevelMtls: { 80: { mode: 'STRICT' } } }, ['spec', 'portLevelMtls']],
    ['PA-2', { selector: { matchLabels: { a: 'b' } }, portLevelMtls: {} }, ['spec', 'portLevelMtls']],
    ['PA-3', { selector: { matchLabels: { a: 'b' } }, portLevelMtls: { 65536: { mode: 'STRICT' } } }, ['spec', 'portLevelMtls', '65536']],
    ['PA-3', { selector: { matchLabels: { a: 'b' } }, portLevelMtls: { http: { mode: 'STRICT' } } }, ['spec', 'portLevelMtls', 'http']],
    ['PA-4', { selector: { matchLabels: { 'a*': 'b' } } }, ['spec', 'selector', 'matchLabels', 'a*']],
  ])('%s', (rule, spec, path) => {
    expect(pa(spec)).toContainEqual(expect.objectContaining({ rule, path }));
  });
});
