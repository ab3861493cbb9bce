import { ApiObject, Chart, JsonPatch, Testing } from 'cdk8s';
import { MeshBaseline } from '../../../src/mesh/mesh-baseline';
import { admits } from '../../../src/policy/admission-cel';
import { RuleObject } from '../../../src/policy/rule';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import { MESH_AUTHZ_007 as rule } from '../../../src/policy/rules/mesh-authz-007';
import { synthValidated } from '../../helpers';

const CALLER = { from: [{ source: { principals: ['cluster.local/ns/shop/sa/web'] } }] };

function ap(spec: object, namespace = 'istio-system', name = 'p'): RuleObject {
  return { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name, namespace }, spec };
}

const ctx = ruleContext([]);

const GOOD: [string, RuleObject][] = [
  ['the mesh-wide allow-nothing', ap({})],
  ['root namespace, with a selector (the ingress gateway)', ap({ selector: { matchLabels: { istio: 'ingressgateway' } }, rules: [CALLER] })],
  ['root namespace, with targetRefs', ap({ targetRefs: [{ kind: 'Gateway', group: 'gateway.networking.k8s.io', name: 'edge' }], rules: [CALLER] })],
  ['root namespace, a mesh-wide DENY', ap({ action: 'DENY', rules: [{ to: [{ operation: { paths: ['/admin/*'] } }] }] })],
  ['root namespace, a mesh-wide CUSTOM', ap({ action: 'CUSTOM', provider: { name: 'ext-authz' }, rules: [{ to: [{ operation: { paths: ['/login'] } }] }] })],
  ['a namespace-wide ALLOW elsewhere (another rule\'s concern)', ap({ rules: [CALLER] }, 'shop')],
  ['an empty rules list', ap({ rules: [] })],
];
const BAD: [string, RuleObject][] = [
  ['rules without a selector', ap({ rules: [CALLER] })],
  ['the allow-nothing given a rule', ap({ rules: [{}] }, 'istio-system', 'allow-nothing')],
  ['an empty selector is no selector', ap({ selector: {}, action: 'ALLOW', rules: [CALLER, CALLER] })],
];

describe('MESH-AUTHZ-007 no ALLOW policy with rules applies to every workload (AUTHZ-1)', () => {
  test.each([...GOOD, ...BAD])('check() and admissionFor(ctx) agree: %s', (_name, object) => {
    expect(admits(rule.admissionFor!(ctx), object)).toBe(rule.check(object, ctx).length === 0);
  });

  test('admissionFor writes the root namespace in; other kinds pass', () => {
    const other = ruleContext([], { rootNamespace: 'mesh-root' });
    expect(admits(rule.admissionFor!(other), ap({ rules: [CALLER] }, 'mesh-root'))).toBe(false);
    expect(admits(rule.admissionFor!(other), ap({ rules: [CALLER] }, 'istio-system'))).toBe(true);
    expect(admits(rule.admissionFor!(ctx), { apiVersion: 'example.com/v1', kind: 'Thing', metadata: { name: 't', namespace: 'istio-system' }, spec: { rules: [1] } })).toBe(true);
  });

  test.each(GOOD)('passes: %s', (_name, object) => {
    expect(rule.check(object, ctx)).toEqual([]);
  });

  test.each(BAD)('fails: %s', (_name, object) => {
    expect(rule.check(object, ctx)).toEqual([{ path: 'spec.rules', message: expect.stringMatching(/^an ALLOW policy in the mesh root namespace "istio-system" without a selector applies its \d rule\(s\) to every workload of the mesh$/) }]);
  });

  test('the root namespace comes from the context (secure-mesh.yaml, MeshBaseline)', () => {
    expect(rule.check(ap({ rules: [CALLER] }, 'mesh-root'), ctx)).toEqual([]);
    expect(rule.check(ap({ rules: [CALLER] }, 'mesh-root'), ruleContext([], { rootNamespace: 'mesh-root' }))).toHaveLength(1);
  });

  test.each([
    ['rules a string', ap({ rules: 'x' })],
    ['no spec', { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'p', namespace: 'istio-system' } }],
  ])('odd shape does not throw: %s', (_name, object) => {
    expect(() => rule.check(object as RuleObject, ctx)).not.toThrow();
  });

  test('a JSON patch giving the mesh-wide allow-nothing a rule fails synthesis (and MESH-AUTHZ-001 with it)', () => {
    const chart = new Chart(Testing.app(), 'test');
    new MeshBaseline(chart, 'mesh');
    expect(() => synthValidated(chart)).not.toThrow();
    const allowNothing = chart.node.findAll().find((c) => c instanceof ApiObject && c.kind === 'AuthorizationPolicy') as ApiObject;
    allowNothing.addJsonPatch(JsonPatch.add('/spec/rules', [CALLER]));
    expect(() => Testing.synth(chart)).toThrow(/MESH-AUTHZ-007 \(AUTHZ-1\): \[test\/mesh\/AllowNothing\] AuthorizationPolicy\/istio-system\/allow-nothing spec\.rules: /);
  });
});
