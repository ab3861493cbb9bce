import { ApiObject, Chart, JsonPatch, Testing } from 'cdk8s';
import { MeshBaseline } from '../../../src/mesh/mesh-baseline';
import { admits } from '../../../src/policy/admission-cel';
import { RuleObject } from '../../../src/policy/rule';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import { MESH_EGRESS_001 as rule } from '../../../src/policy/rules/mesh-egress-001';
import { HardenedNamespace } from '../../../src/workload/hardened-namespace';
import { synthValidated } from '../../helpers';

function sidecar(spec?: object, namespace = 'shop'): RuleObject {
  return { apiVersion: 'networking.istio.io/v1', kind: 'Sidecar', metadata: { name: 'default', namespace }, ...(spec === undefined ? {} : { spec }) };
}

const ctx = ruleContext([]);

const GOOD: [string, RuleObject][] = [
  ['REGISTRY_ONLY', sidecar({ outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' } })],
  ['no outboundTrafficPolicy (the mesh default applies)', sidecar({ egress: [{ hosts: ['./*', 'istio-system/*'] }] })],
  ['outboundTrafficPolicy without mode', sidecar({ outboundTrafficPolicy: {} })],
  ['no spec', sidecar()],
];
const BAD: [string, RuleObject][] = [
  ['namespace-wide ALLOW_ANY', sidecar({ outboundTrafficPolicy: { mode: 'ALLOW_ANY' } })],
  ['workload-level ALLOW_ANY', sidecar({ workloadSelector: { labels: { app: 'web' } }, outboundTrafficPolicy: { mode: 'ALLOW_ANY' } })],
  ['ALLOW_ANY in the root namespace (every namespace)', sidecar({ outboundTrafficPolicy: { mode: 'ALLOW_ANY', egressProxy: { host: 'proxy.corp', port: { number: 3128 } } } }, 'istio-system')],
];

describe('MESH-EGRESS-001 no Sidecar opens outbound traffic to unregistered hosts (EGRESS-1)', () => {
  test.each(GOOD)('passes: %s', (_name, object) => {
    expect(rule.check(object, ctx)).toEqual([]);
  });

  test.each(BAD)('fails: %s', (_name, object) => {
    expect(rule.check(object, ctx)).toEqual([{ path: 'spec.outboundTrafficPolicy.mode', message: expect.stringContaining('ALLOW_ANY') }]);
  });

  test('the message says who is affected', () => {
    expect(rule.check(BAD[0][1], ctx)[0].message).toContain('every workload of the namespace');
    expect(rule.check(BAD[1][1], ctx)[0].message).toContain('the selected workloads');
  });

  test.each([
    ['mode of another type', sidecar({ outboundTrafficPolicy: { mode: 1 } })],
    ['outboundTrafficPolicy a string', sidecar({ outboundTrafficPolicy: 'ALLOW_ANY' })],
    ['spec null', { ...sidecar(), spec: null }],
  ])('odd shape does not throw: %s', (_name, object) => {
    expect(() => rule.check(object as RuleObject, ctx)).not.toThrow();
  });

  test('other kinds are ignored', () => {
    expect(rule.check({ ...sidecar({ outboundTrafficPolicy: { mode: 'ALLOW_ANY' } }), kind: 'Gateway' }, ctx)).toEqual([]);
  });

  test.each([...GOOD, ...BAD])('check() and admission CEL agree: %s', (_name, object) => {
    expect(admits(rule.admission!, object)).toBe(rule.check(object, ctx).length === 0);
  });

  describe('every route to ALLOW_ANY fails synthesis (props cannot set it)', () => {
    function app() {
      const chart = new Chart(Testing.app(), 'test');
      new MeshBaseline(chart, 'mesh');
      new HardenedNamespace(chart, 'shop', { name: 'shop' });
      return chart;
    }

    test('the library writes REGISTRY_ONLY, and the app synthesizes', () => {
      expect(synthValidated(app()).filter((o) => o.kind === 'Sidecar').map((o) => o.spec.outboundTrafficPolicy.mode)).toEqual(['REGISTRY_ONLY', 'REGISTRY_ONLY']);
    });

    test('a JSON patch on the namespace Sidecar', () => {
      const chart = app();
      const sc = chart.node.findAll().find((c) => c instanceof ApiObject && c.kind === 'Sidecar' && c.metadata.namespace === 'shop') as ApiObject;
      sc.addJsonPatch(JsonPatch.replace('/spec/outboundTrafficPolicy/mode', 'ALLOW_ANY'));
      expect(() => Testing.synth(chart)).toThrow(/MESH-EGRESS-001 \(EGRESS-1\): \[test\/shop\/Sidecar\] Sidecar\/shop\/default spec\.outboundTrafficPolicy\.mode: .*ALLOW_ANY.*Fix: /);
    });

    test('a raw ApiObject next to the library\'s', () => {
      const chart = app();
      new ApiObject(chart, 'open', { apiVersion: 'networking.istio.io/v1', kind: 'Sidecar', metadata: { name: 'open', namespace: 'shop' }, spec: { outboundTrafficPolicy: { mode: 'ALLOW_ANY' } } });
      expect(() => Testing.synth(chart)).toThrow(/MESH-EGRESS-001 \(EGRESS-1\): \[test\/open\] Sidecar\/shop\/open/);
    });
  });
});
