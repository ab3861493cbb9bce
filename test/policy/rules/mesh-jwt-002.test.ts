import { ApiObject, Chart, JsonPatch, Testing } from 'cdk8s';
import { AppProtocol } from '../../../src/mesh/app-protocol';
import { MeshBaseline } from '../../../src/mesh/mesh-baseline';
import { admits } from '../../../src/policy/admission-cel';
import { RuleObject } from '../../../src/policy/rule';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import { MESH_JWT_002 as rule } from '../../../src/policy/rules/mesh-jwt-002';
import { HardenedNamespace } from '../../../src/workload/hardened-namespace';
import { SecureService } from '../../../src/workload/secure-service';
import { synthValidated } from '../../helpers';

function ra(jwtRules: unknown): RuleObject {
  return { apiVersion: 'security.istio.io/v1', kind: 'RequestAuthentication', metadata: { name: 'jwt', namespace: 'shop' }, spec: { jwtRules } };
}
const ISSUER = 'https://login.example.com';
const ctx = ruleContext([]);

const GOOD: [string, RuleObject][] = [
  ['https jwksUri', ra([{ issuer: ISSUER, jwksUri: `${ISSUER}/jwks.json` }])],
  ['upper-case scheme', ra([{ issuer: ISSUER, jwksUri: 'HTTPS://login.example.com/jwks.json' }])],
  ['no jwksUri (OpenID discovery from the https issuer)', ra([{ issuer: ISSUER }])],
  ['no rules', ra([])],
];
const BAD: [string, RuleObject, string[]][] = [
  ['inline jwks', ra([{ issuer: ISSUER, jwks: '{"keys":[{"kty":"RSA","n":"x","e":"AQAB"}]}' }]), ['spec.jwtRules[0].jwks']],
  ['http jwksUri', ra([{ issuer: ISSUER, jwksUri: 'http://login.example.com/jwks.json' }]), ['spec.jwtRules[0].jwksUri']],
  ['second rule of two, both problems', ra([{ issuer: ISSUER, jwksUri: `${ISSUER}/jwks.json` }, { issuer: 'https://b.example.com', jwksUri: 'http://b/keys', jwks: '{}' }]),
    ['spec.jwtRules[1].jwks', 'spec.jwtRules[1].jwksUri']],
];

describe('MESH-JWT-002 signing keys come from an https jwksUri (JWT-1)', () => {
  test.each(GOOD)('passes: %s', (_name, object) => {
    expect(rule.check(object, ctx)).toEqual([]);
  });

  test.each(BAD)('fails: %s', (_name, object, paths) => {
    expect(rule.check(object, ctx).map((v) => v.path)).toEqual(paths);
  });

  test('messages', () => {
    expect(rule.check(BAD[1][1], ctx)[0].message).toBe('jwksUri "http://login.example.com/jwks.json" is not https: the signing keys can be substituted in transit');
    expect(rule.check(BAD[0][1], ctx)[0].message).toContain('issuer https://login.example.com) carries inline jwks');
  });

  test.each([['rules a string', ra('x')], ['odd items', ra([null, 'x', { jwksUri: 7 }])]])('odd shape does not throw: %s', (_name, object) => {
    expect(() => rule.check(object, ctx)).not.toThrow();
  });

  test.each([...GOOD, ...BAD.map(([n, o]) => [n, o] as [string, RuleObject])])('check() and admission CEL agree: %s', (_name, object) => {
    expect(admits(rule.admission!, object)).toBe(rule.check(object, ctx).length === 0);
  });

  test('requireJwt writes an https jwksUri; a JSON patch to http fails synthesis', () => {
    const chart = new Chart(Testing.app(), 'test');
    new MeshBaseline(chart, 'mesh');
    const ns = new HardenedNamespace(chart, 'shop', { name: 'shop' });
    const svc = new SecureService(chart, 'api', {
      namespace: ns, image: `gcr.io/acme/api@sha256:${'a'.repeat(64)}`, ports: [{ name: 'http', port: 8080, protocol: AppProtocol.HTTP }],
    });
    svc.requireJwt({ issuer: ISSUER, jwksUri: `${ISSUER}/jwks.json`, audiences: ['api'] });
    expect(() => synthValidated(chart)).not.toThrow();
    const requestAuthn = chart.node.findAll().find((c) => c instanceof ApiObject && c.kind === 'RequestAuthentication') as ApiObject;
    requestAuthn.addJsonPatch(JsonPatch.replace('/spec/jwtRules/0/jwksUri', 'http://login.example.com/jwks.json'));
    expect(() => Testing.synth(chart)).toThrow(/MESH-JWT-002 \(JWT-1\): .*RequestAuthentication\/shop\/.* spec\.jwtRules\[0\]\.jwksUri: /);
  });
});
