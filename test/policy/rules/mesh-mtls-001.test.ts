import { RuleObject } from '../../../src/policy/rule';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import { MESH_MTLS_001 as rule } from '../../../src/policy/rules/mesh-mtls-001';

function pa(name: string, namespace: string, spec: unknown): RuleObject {
  return { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name, namespace }, spec };
}
const STRICT = pa('default', 'istio-system', { mtls: { mode: 'STRICT' } });

describe('MESH-MTLS-001 mesh-wide STRICT PeerAuthentication (MTLS-1)', () => {
  test('metadata: id, practice, set-level rule without an admission form', () => {
    expect(rule.id).toBe('MESH-MTLS-001');
    expect(rule.practices).toEqual(['MTLS-1']);
    expect(rule.admission).toBeUndefined();
    expect(rule.check(STRICT, ruleContext([STRICT]))).toEqual([]);
  });

  test.each([
    ['no selector', STRICT],
    ['empty selector', pa('default', 'istio-system', { selector: {}, mtls: { mode: 'STRICT' } })],
    ['empty matchLabels', pa('default', 'istio-system', { selector: { matchLabels: {} }, mtls: { mode: 'STRICT' } })],
  ])('present: %s', (_name, object) => {
    expect(rule.checkAll!(ruleContext([object]))).toEqual([]);
  });

  test('present in a custom root namespace', () => {
    const object = pa('default', 'mesh-root', { mtls: { mode: 'STRICT' } });
    expect(rule.checkAll!(ruleContext([object], { rootNamespace: 'mesh-root' }))).toEqual([]);
    expect(rule.checkAll!(ruleContext([object]))).toHaveLength(1);
  });

  test('missing entirely: one violation attached to no object', () => {
    const found = rule.checkAll!(ruleContext([]));
    expect(found).toHaveLength(1);
    expect(found[0].object).toBeUndefined();
    expect(found[0].violation.path).toBe('');
    expect(found[0].violation.message).toMatch(/no mesh-wide PeerAuthentication.*"istio-system"/);
  });

  test.each([
    ['in another namespace', pa('default', 'shop', { mtls: { mode: 'STRICT' } })],
    ['without namespace', { ...STRICT, metadata: { name: 'default' } }],
    ['with a workload selector', pa('default', 'istio-system', { selector: { matchLabels: { app: 'a' } }, mtls: { mode: 'STRICT' } })],
    ['of another group', { ...STRICT, apiVersion: 'example.com/v1' }],
  ])('not mesh-wide (%s) counts as missing', (_name, object) => {
    const found = rule.checkAll!(ruleContext([object as RuleObject]));
    expect(found).toHaveLength(1);
    expect(found[0].object).toBeUndefined();
  });

  test.each([
    ['PERMISSIVE', { mtls: { mode: 'PERMISSIVE' } }, 'spec.mtls.mode', /"PERMISSIVE", not STRICT/],
    ['UNSET', { mtls: { mode: 'UNSET' } }, 'spec.mtls.mode', /"UNSET"/],
    ['mtls without mode', { mtls: {} }, 'spec.mtls.mode', /no mtls.mode.*PERMISSIVE/],
    ['no mtls', {}, 'spec.mtls', /no mtls.mode/],
    ['null spec', null, 'spec.mtls', /no mtls.mode/],
  ])('weak mesh-wide policy (%s) is attached to that object', (_name, spec, path, message) => {
    const object = pa('default', 'istio-system', spec);
    const found = rule.checkAll!(ruleContext([object]));
    expect(found).toHaveLength(1);
    expect(found[0].object).toBe(object);
    expect(found[0].violation.path).toBe(path);
    expect(found[0].violation.message).toMatch(message);
  });

  test('several mesh-wide policies: each weak one is reported, naming the others (Istio keeps only the oldest)', () => {
    const weak = pa('legacy', 'istio-system', { mtls: { mode: 'PERMISSIVE' } });
    const found = rule.checkAll!(ruleContext([STRICT, weak]));
    expect(found).toHaveLength(1);
    expect(found[0].object).toBe(weak);
    expect(found[0].violation.message).toContain('only the oldest of the 2 mesh-wide PeerAuthentications');
    expect(found[0].violation.message).toContain('PeerAuthentication/istio-system/default');
  });

  test('several mesh-wide STRICT policies pass', () => {
    expect(rule.checkAll!(ruleContext([STRICT, pa('second', 'istio-system', { mtls: { mode: 'STRICT' } })]))).toEqual([]);
  });

  test('namespace-level weak policies are not this rule\'s business (MESH-MTLS-002 reports them)', () => {
    expect(rule.checkAll!(ruleContext([STRICT, pa('default', 'shop', { mtls: { mode: 'PERMISSIVE' } })]))).toEqual([]);
  });
});
