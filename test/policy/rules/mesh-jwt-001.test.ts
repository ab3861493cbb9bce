import { admits } from '../../../src/policy/admission-cel';
import { RuleObject } from '../../../src/policy/rule';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import { MESH_JWT_001 as rule, isProtectedHeader } from '../../../src/policy/rules/mesh-jwt-001';

const ctx = ruleContext([]);
const ISSUER = { issuer: 'https://issuer.example.com', jwksUri: 'https://issuer.example.com/jwks' };

function ra(spec: unknown): RuleObject {
  return { apiVersion: 'security.istio.io/v1', kind: 'RequestAuthentication', metadata: { name: 'r', namespace: 'shop' }, spec };
}
function claims(...headers: string[]): RuleObject {
  return ra({ jwtRules: [{ ...ISSUER, outputClaimToHeaders: headers.map((header, i) => ({ header, claim: `c${i}` })) }] });
}

const PROTECTED = [
  'authorization', 'Authorization', 'proxy-authorization', 'cookie', 'Set-Cookie', 'host', 'forwarded', 'x-request-id', 'X-Real-IP',
  'content-length', 'content-type', 'transfer-encoding', 'connection', 'upgrade', 'te', 'traceparent', 'tracestate',
  'x-forwarded-client-cert', ':authority', ':path', 'x-forwarded-for', 'X-Forwarded-Proto', 'x-envoy-original-path',
  'x-b3-traceid', 'x-istio-attributes',
];
const FREE = ['x-jwt-claim-sub', 'x-user-id', 'x-tenant', 'tenant', 'x-forwarded', 'x-envoyish', 'hostname', 'x-authorization-info'];

const GOOD: [string, RuleObject][] = [
  ['no output headers', ra({ jwtRules: [ISSUER] })],
  ['application headers', claims(...FREE)],
  ['payload to an application header', ra({ jwtRules: [{ ...ISSUER, outputPayloadToHeader: 'x-jwt-payload' }] })],
  ['no jwtRules', ra({ selector: { matchLabels: { app: 'a' } } })],
  ['no spec', { apiVersion: 'security.istio.io/v1', kind: 'RequestAuthentication', metadata: { name: 'r' } }],
  ['mapping without header', ra({ jwtRules: [{ ...ISSUER, outputClaimToHeaders: [{ claim: 'sub' }] }] })],
];
const BAD: [string, RuleObject][] = [
  ...PROTECTED.map((h): [string, RuleObject] => [`claim to ${h}`, claims('x-ok', h)]),
  ['payload to authorization', ra({ jwtRules: [{ ...ISSUER, outputPayloadToHeader: 'Authorization' }] })],
  ['second jwtRule', ra({ jwtRules: [ISSUER, { ...ISSUER, outputClaimToHeaders: [{ header: 'x-envoy-peer-metadata', claim: 'sub' }] }] })],
];

describe('MESH-JWT-001 JWT claims never written to protected headers (TOKEN-1)', () => {
  test.each(PROTECTED)('isProtectedHeader(%j)', (h) => {
    expect(isProtectedHeader(h)).toBe(true);
  });

  test.each(FREE)('not protected: %j', (h) => {
    expect(isProtectedHeader(h)).toBe(false);
  });

  test.each(GOOD)('passes: %s', (_name, object) => {
    expect(rule.check(object, ctx)).toEqual([]);
  });

  test.each(BAD)('fails: %s', (_name, object) => {
    expect(rule.check(object, ctx)).toHaveLength(1);
  });

  test('paths and messages', () => {
    const object = ra({
      jwtRules: [
        { ...ISSUER, outputClaimToHeaders: [{ header: 'x-user', claim: 'sub' }, { header: 'Host', claim: 'aud' }] },
        { ...ISSUER, outputPayloadToHeader: 'x-forwarded-user' },
      ],
    });
    expect(rule.check(object, ctx)).toEqual([
      { path: 'spec.jwtRules[0].outputClaimToHeaders[1].header', message: 'outputClaimToHeaders writes claim "aud" into the protected header "Host"; the token holder would control it' },
      { path: 'spec.jwtRules[1].outputPayloadToHeader', message: expect.stringContaining('"x-forwarded-user"') },
    ]);
  });

  test.each([
    ['null spec', null],
    ['wrong types', { jwtRules: [null, 'x', { outputClaimToHeaders: 'authorization', outputPayloadToHeader: 1 }, { outputClaimToHeaders: [null, { header: 5 }] }] }],
  ])('odd shape does not throw: %s', (_name, spec) => {
    expect(() => rule.check(ra(spec), ctx)).not.toThrow();
    expect(rule.check(ra(spec), ctx)).toEqual([]);
  });

  test('other kinds are ignored', () => {
    expect(rule.check({ ...claims('authorization'), kind: 'AuthorizationPolicy' }, ctx)).toEqual([]);
  });

  test.each([...GOOD, ...BAD])('check() and admission CEL agree: %s', (_name, object) => {
    expect(admits(rule.admission!, object)).toBe(rule.check(object, ctx).length === 0);
  });
});
