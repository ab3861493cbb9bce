import { jwksError, jwksUriError, validateRequestAuthentication } from '../../../src/validation/webhook/request-authentication';
import { ISTIO_TESTDATA, describeWithShared, istioTestdata } from '../../shared';

const ra = (spec: any) => validateRequestAuthentication({ apiVersion: 'security.istio.io/v1', kind: 'RequestAuthentication', metadata: { name: 'r' }, spec });
const jwt = (rule: any) => ra({ jwtRules: [{ issuer: 'https://issuer', ...rule }] });

describeWithShared(ISTIO_TESTDATA, 'RequestAuthentication: Istio testdata', () => {
  // `presence` is newer than the pinned 1.30.3 CRD: the schema layer rejects it, the webhook ignores it.
  test.each(istioTestdata('reqauth-valid.yaml').map((d) => [d.doc.metadata.name, d.doc]))('valid %s', (_n, doc) => {
    expect(validateRequestAuthentication(doc)).toEqual([]);
  });

  // Left to the CRD schema/CEL layer (the webhook skips null jwtRules and does not look at these fields):
  // no-issuer (null jwtRule), invalid-space-delimited-claims (minLength), invalid-presence-value (enum).
  const SCHEMA_ONLY = ['no-issuer', 'invalid-space-delimited-claims', 'invalid-presence-value'];
  test.each(istioTestdata('reqauth-invalid.yaml').map((d) => [d.doc.metadata.name, d.doc]))('invalid %s', (name, doc) => {
    const violations = validateRequestAuthentication(doc);
    if (SCHEMA_ONLY.includes(name)) expect(violations).toEqual([]);
    else expect(violations.length).toBeGreaterThan(0);
  });
});

describe('RequestAuthentication rules', () => {
  test('known-good', () => {
    expect(jwt({
      jwksUri: 'https://example.com:8443/jwks',
      audiences: ['a'],
      fromHeaders: [{ name: 'x-jwt', prefix: 'Bearer ' }],
      fromParams: ['token'],
      fromCookies: ['session'],
      outputClaimToHeaders: [{ claim: 'sub', header: 'x-sub' }],
      timeout: '1.5s',
    })).toEqual([]);
    expect(ra({ jwtRules: [{ jwksUri: 'http://jwks.local/keys' }] })).toEqual([]);
    expect(jwt({ jwks: '{"keys":[{"kty":"RSA","e":"AQAB","n":"abc"}]}' })).toEqual([]);
    expect(ra({ selector: { matchLabels: { app: 'x' } }, jwtRules: [null] })).toEqual([]);
  });

  test.each([
    ['RA-1', ra({ selector: { matchLabels: { a: 'b' } }, targetRef: { kind: 'Service', name: 's' } }), ['spec']],
    ['RA-1', ra({ targetRef: { kind: 'Service', name: 's', namespace: 'x' } }), ['spec', 'targetRef', 'namespace']],
    ['RA-2', jwt({ audiences: [''] }), ['spec', 'jwtRules', 0, 'audiences', 0]],
    ['RA-3', ra({ jwtRules: [{ audiences: ['a'] }] }), ['spec', 'jwtRules', 0]],
    ['RA-4', jwt({ jwksUri: 'ftp://example.com/jwks' }), ['spec', 'jwtRules', 0, 'jwksUri']],
    ['RA-4', jwt({ jwksUri: 'https://example.com:abc/jwks' }), ['spec', 'jwtRules', 0, 'jwksUri']],
    ['RA-5', jwt({ jwks: 'not json' }), ['spec', 'jwtRules', 0, 'jwks']],
    ['RA-6', jwt({ fromHeaders: [{ prefix: 'x' }] }), ['spec', 'jwtRules', 0, 'fromHeaders', 0, 'name']],
    ['RA-6', jwt({ fromHeaders: [null] }), ['spec', 'jwtRules', 0, 'fromHeaders', 0]],
    ['RA-6', jwt({ fromCookies: [''] }), ['spec', 'jwtRules', 0, 'fromCookies', 0]],
    ['RA-7', jwt({ outputClaimToHeaders: [null] }), ['spec', 'jwtRules', 0, 'outputClaimToHeaders', 0]],
    ['RA-7', jwt({ outputClaimToHeaders: [{ claim: 'a', header: 'x_y' }] }), ['spec', 'jwtRules', 0, 'outputClaimToHeaders', 0, 'header']],
    ['RA-8', jwt({ timeout: '0.5ms' }), ['spec', 'jwtRules', 0, 'timeout']],
  ])('%s', (rule, violations, path) => {
    expect(violations).toContainEqual(expect.objectContaining({ rule, path }));
  });

  test('helpers', () => {
    expect(jwksUriError('HTTPS://x.com')).toBeUndefined();
    expect(jwksUriError('https://[::1]:8080/x')).toBeUndefined();
    expect(jwksUriError('example.com/jwks')).toMatch(/scheme/);
    expect(jwksError('{"kty":"EC"}')).toBeUndefined();
    expect(jwksError('{"keys":[{}]}')).toMatch(/kty/);
    expect(jwksError('[]')).toMatch(/object/);
  });
});
