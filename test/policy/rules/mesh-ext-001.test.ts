import { ApiObject, Chart, Testing } from 'cdk8s';
import { MeshBaseline } from '../../../src/mesh/mesh-baseline';
import { admits } from '../../../src/policy/admission-cel';
import { ExceptionRegistry } from '../../../src/policy/exception-registry';
import { PolicyEnforcement } from '../../../src/policy/policy-enforcement';
import { PolicyException } from '../../../src/policy/policy-exception';
import { RuleObject } from '../../../src/policy/rule';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import { MESH_EXT_001 as rule } from '../../../src/policy/rules/mesh-ext-001';
import { inDays } from '../../helpers';

const envoyFilter: RuleObject = {
  apiVersion: 'networking.istio.io/v1alpha3',
  kind: 'EnvoyFilter',
  metadata: { name: 'drop-rbac', namespace: 'shop' },
  spec: { configPatches: [{ applyTo: 'HTTP_FILTER', match: { listener: { filterChain: { filter: { subFilter: { name: 'envoy.filters.http.rbac' } } } } }, patch: { operation: 'REMOVE' } }] },
};
const wasmPlugin: RuleObject = {
  apiVersion: 'extensions.istio.io/v1alpha1', kind: 'WasmPlugin', metadata: { name: 'plugin', namespace: 'shop' }, spec: { url: 'oci://ghcr.io/acme/plugin:latest' },
};
const ctx = ruleContext([]);

describe('MESH-EXT-001 no EnvoyFilter or WasmPlugin without a PolicyException (AUTHZ-2, IMG-1)', () => {
  test.each([['EnvoyFilter', envoyFilter], ['WasmPlugin', wasmPlugin]])('every %s is reported, as a whole object', (_kind, object) => {
    expect(rule.check(object, ctx)).toEqual([{ path: '', message: expect.any(String) }]);
    expect(admits(rule.admission!, object)).toBe(false);
  });

  test('other kinds (and look-alikes in other groups) are not', () => {
    const other = { ...envoyFilter, apiVersion: 'example.com/v1' };
    expect(rule.check(other, ctx)).toEqual([]);
    expect(rule.check({ ...envoyFilter, kind: 'Sidecar' }, ctx)).toEqual([]);
    expect(admits(rule.admission!, { ...envoyFilter, kind: 'Sidecar' })).toBe(true);
  });

  function app() {
    const chart = new Chart(Testing.app(), 'test');
    new MeshBaseline(chart, 'mesh');
    return chart;
  }

  test('a raw EnvoyFilter fails synthesis', () => {
    const chart = app();
    new ApiObject(chart, 'patch', envoyFilter as any);
    expect(() => Testing.synth(chart)).toThrow(/MESH-EXT-001 \(AUTHZ-2, IMG-1\): \[test\/patch\] EnvoyFilter\/shop\/drop-rbac: an EnvoyFilter patches/);
  });

  test('under an owned, expiring PolicyException it synthesizes, and the report lists it', () => {
    const chart = app();
    new ApiObject(chart, 'plugin', wasmPlugin as any);
    new ExceptionRegistry(chart, 'shop-exceptions', { namespace: 'shop' });
    new PolicyException(chart, 'plugin-exception', {
      rules: ['MESH-EXT-001'],
      justification: 'The WAF plugin inspects request bodies at the edge until the managed WAF replaces it in Q2.',
      owner: 'team-edge@example.com',
      expires: inDays(chart, 60),
      objects: ['WasmPlugin/shop/plugin'],
    });
    const plugin = Testing.synth(chart).find((o) => o.kind === 'WasmPlugin');
    expect(plugin.metadata.annotations['secure-mesh.cdk8s.io/exceptions']).toBe(`MESH-EXT-001@${inDays(chart, 60)}`);
    expect(PolicyEnforcement.of(chart).report.exceptions.map((e) => e.coveredObjects)).toEqual([['WasmPlugin/shop/plugin']]);
  });
});
