import { RuleObject } from '../../../src/policy/rule';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import { MESH_AUTHZ_001 as rule, isMeshAllowNothing } from '../../../src/policy/rules/mesh-authz-001';

function ap(spec: unknown, namespace = 'istio-system', name = 'allow-nothing'): RuleObject {
  return { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name, namespace }, spec };
}

describe('MESH-AUTHZ-001 mesh-wide allow-nothing AuthorizationPolicy (AUTHZ-1)', () => {
  test('metadata: id, practice, set-level rule without an admission form', () => {
    expect(rule.id).toBe('MESH-AUTHZ-001');
    expect(rule.practices).toEqual(['AUTHZ-1']);
    expect(rule.admission).toBeUndefined();
    expect(rule.check(ap({}), ruleContext([]))).toEqual([]);
  });

  test.each([
    ['empty spec', {}],
    ['null spec', null],
    ['explicit ALLOW', { action: 'ALLOW' }],
    ['empty rules', { rules: [] }],
    ['empty selector', { selector: {} }],
    ['empty matchLabels', { selector: { matchLabels: {} } }],
    ['empty targetRefs', { targetRefs: [] }],
  ])('present: %s', (_name, spec) => {
    expect(rule.checkAll!(ruleContext([ap(spec)]))).toEqual([]);
  });

  test('an object without spec is allow-nothing too', () => {
    const object: RuleObject = { apiVersion: 'security.istio.io/v1beta1', kind: 'AuthorizationPolicy', metadata: { name: 'x', namespace: 'istio-system' } };
    expect(isMeshAllowNothing(object, ruleContext([]))).toBe(true);
  });

  test('present in a custom root namespace only', () => {
    const object = ap({}, 'mesh-root');
    expect(rule.checkAll!(ruleContext([object], { rootNamespace: 'mesh-root' }))).toEqual([]);
    expect(rule.checkAll!(ruleContext([object]))).toHaveLength(1);
  });

  test('missing entirely: one violation attached to no object', () => {
    expect(rule.checkAll!(ruleContext([]))).toEqual([{
      object: undefined,
      violation: { path: '', message: expect.stringMatching(/no mesh-wide allow-nothing AuthorizationPolicy in the mesh root namespace "istio-system"/) },
    }]);
  });

  test.each([
    ['a selector', { selector: { matchLabels: { app: 'a' } } }],
    ['a targetRef', { targetRef: { kind: 'Gateway', group: 'gateway.networking.k8s.io', name: 'gw' } }],
    ['targetRefs', { targetRefs: [{ kind: 'Service', group: '', name: 'a' }] }],
    ['DENY', { action: 'DENY' }],
    ['AUDIT', { action: 'AUDIT' }],
    ['a rule (allow-all)', { rules: [{}] }],
    ['a scoped rule', { rules: [{ from: [{ source: { principals: ['cluster.local/ns/a/sa/b'] } }] }] }],
    ['rules of a wrong type', { rules: 'none' }],
  ])('not allow-nothing (%s): violation naming the near miss', (_name, spec) => {
    const found = rule.checkAll!(ruleContext([ap(spec)]));
    expect(found).toHaveLength(1);
    expect(found[0].object).toBeUndefined();
    expect(found[0].violation.message).toContain('AuthorizationPolicy/istio-system/allow-nothing');
    expect(found[0].violation.message).toContain('none is allow-nothing');
  });

  test('an allow-nothing policy outside the root namespace does not count', () => {
    const found = rule.checkAll!(ruleContext([ap({}, 'shop')]));
    expect(found).toHaveLength(1);
    expect(found[0].violation.message).not.toContain('none is allow-nothing');
  });

  test('other policies in the root namespace do not hide the allow-nothing one', () => {
    expect(rule.checkAll!(ruleContext([ap({ action: 'DENY', rules: [{}] }, 'istio-system', 'deny'), ap({})]))).toEqual([]);
  });

  test('other kinds never count', () => {
    const pa: RuleObject = { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'default', namespace: 'istio-system' }, spec: {} };
    expect(rule.checkAll!(ruleContext([pa]))).toHaveLength(1);
  });
});
