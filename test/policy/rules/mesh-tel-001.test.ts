import { ApiObject, Chart, JsonPatch, Testing } from 'cdk8s';
import { MeshBaseline } from '../../../src/mesh/mesh-baseline';
import { admits } from '../../../src/policy/admission-cel';
import { RuleObject } from '../../../src/policy/rule';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import { MESH_TEL_001 as rule } from '../../../src/policy/rules/mesh-tel-001';
import { synthValidated } from '../../helpers';

function telemetry(accessLogging: unknown, namespace = 'shop'): RuleObject {
  return { apiVersion: 'telemetry.istio.io/v1', kind: 'Telemetry', metadata: { name: 't', namespace }, spec: { accessLogging } };
}
const ctx = ruleContext([]);

const GOOD: [string, RuleObject][] = [
  ['logs to envoy', telemetry([{ providers: [{ name: 'envoy' }] }])],
  ['errors only (a filter, not off)', telemetry([{ providers: [{ name: 'envoy' }], filter: { expression: 'response.code >= 400' } }])],
  ['disabled: false', telemetry([{ disabled: false }])],
  ['no accessLogging (metrics, tracing)', { ...telemetry(undefined), spec: { metrics: [{ providers: [{ name: 'prometheus' }] }] } }],
];
const BAD: [string, RuleObject, string[]][] = [
  ['a namespace turns logs off', telemetry([{ disabled: true }]), ['spec.accessLogging[0].disabled']],
  ['the mesh turns one provider off', telemetry([{ providers: [{ name: 'envoy' }] }, { providers: [{ name: 'otel' }], disabled: true }], 'istio-system'), ['spec.accessLogging[1].disabled']],
];

describe('MESH-TEL-001 no Telemetry disables access logging (OPS-3)', () => {
  test.each(GOOD)('passes: %s', (_name, object) => {
    expect(rule.check(object, ctx)).toEqual([]);
  });

  test.each(BAD)('fails: %s', (_name, object, paths) => {
    expect(rule.check(object, ctx).map((v) => v.path)).toEqual(paths);
  });

  test.each([['accessLogging a string', telemetry('off')], ['odd items', telemetry([null, 'x', { disabled: 'true' }])]])('odd shape does not throw: %s', (_name, object) => {
    expect(() => rule.check(object, ctx)).not.toThrow();
  });

  test.each([...GOOD, ...BAD.map(([n, o]) => [n, o] as [string, RuleObject])])('check() and admission CEL agree: %s', (_name, object) => {
    expect(admits(rule.admission!, object)).toBe(rule.check(object, ctx).length === 0);
  });

  test('MeshBaseline logs every request; a JSON patch turning it off fails synthesis', () => {
    const chart = new Chart(Testing.app(), 'test');
    new MeshBaseline(chart, 'mesh');
    expect(() => synthValidated(chart)).not.toThrow();
    const tm = chart.node.findAll().find((c) => c instanceof ApiObject && c.kind === 'Telemetry') as ApiObject;
    tm.addJsonPatch(JsonPatch.add('/spec/accessLogging/0/disabled', true));
    expect(() => Testing.synth(chart)).toThrow(/MESH-TEL-001 \(OPS-3\): \[test\/mesh\/AccessLogging\] Telemetry\/istio-system\/mesh-default spec\.accessLogging\[0\]\.disabled: /);
  });
});
