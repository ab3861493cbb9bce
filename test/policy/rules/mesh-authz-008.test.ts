import { ApiObject, Chart, Testing } from 'cdk8s';
import { MeshBaseline } from '../../../src/mesh/mesh-baseline';
import { admits } from '../../../src/policy/admission-cel';
import { RuleObject } from '../../../src/policy/rule';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import { DRY_RUN_TRUE, MESH_AUTHZ_008 as rule } from '../../../src/policy/rules/mesh-authz-008';

function ap(annotations?: { [key: string]: string }, spec: object = {}): RuleObject {
  return { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'p', namespace: 'shop', ...(annotations ? { annotations } : {}) }, spec };
}

const ctx = ruleContext([]);

const GOOD: [string, RuleObject][] = [
  ['no annotations', ap()],
  ['other annotations', ap({ team: 'shop' })],
  ['dry-run false', ap({ 'istio.io/dry-run': 'false' })],
  ['a value Go does not parse as true', ap({ 'istio.io/dry-run': 'yes' })],
];
const BAD: [string, RuleObject][] = DRY_RUN_TRUE.map((v) => [`dry-run "${v}"`, ap({ 'istio.io/dry-run': v })]);

describe('MESH-AUTHZ-008 AuthorizationPolicies are enforced, not in dry-run (AUTHZ-1)', () => {
  test.each(GOOD)('passes: %s', (_name, object) => {
    expect(rule.check(object, ctx)).toEqual([]);
  });

  test.each(BAD)('fails: %s', (_name, object) => {
    expect(rule.check(object, ctx)).toEqual([{ path: 'metadata.annotations.istio.io/dry-run', message: expect.stringContaining('enforces nothing') }]);
  });

  test('a DENY in dry-run too', () => {
    expect(rule.check(ap({ 'istio.io/dry-run': 'true' }, { action: 'DENY', rules: [{}] }), ctx)).toHaveLength(1);
  });

  test('other kinds are ignored', () => {
    expect(rule.check({ ...ap({ 'istio.io/dry-run': 'true' }), kind: 'PeerAuthentication' }, ctx)).toEqual([]);
  });

  test.each([...GOOD, ...BAD])('check() and admission CEL agree: %s', (_name, object) => {
    expect(admits(rule.admission!, object)).toBe(rule.check(object, ctx).length === 0);
  });

  test('a raw policy in dry-run fails synthesis', () => {
    const chart = new Chart(Testing.app(), 'test');
    new MeshBaseline(chart, 'mesh');
    new ApiObject(chart, 'shadow', ap({ 'istio.io/dry-run': 'true' }, { action: 'DENY', rules: [{ to: [{ operation: { paths: ['/admin'] } }] }] }) as any);
    expect(() => Testing.synth(chart)).toThrow(/MESH-AUTHZ-008 \(AUTHZ-1\): \[test\/shadow\] AuthorizationPolicy\/shop\/p metadata\.annotations\.istio\.io\/dry-run: /);
  });
});
