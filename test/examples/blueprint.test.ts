import { App, Testing } from 'cdk8s';
import { BlueprintChart } from '../../examples/blueprint/blueprint';
import { Validation } from '../../src';

function synthBlueprint(): any[] {
  const app = Testing.app();
  const chart = new BlueprintChart(app, 'blueprint');
  return Testing.synth(chart);
}

describe('examples/blueprint', () => {
  test('shape', () => {
    expect(synthBlueprint()).toMatchSnapshot();
  });

  test('every object passes the validation harness', () => {
    expect(() => Validation.assertValid(synthBlueprint())).not.toThrow();
  });

  test('MTLS-1: mesh-wide STRICT mTLS in the root namespace, and no PERMISSIVE anywhere', () => {
    const objects = synthBlueprint();
    const peerAuth = objects.filter((o) => o.kind === 'PeerAuthentication');
    expect(peerAuth).toEqual([expect.objectContaining({ metadata: { name: 'default', namespace: 'istio-system' }, spec: { mtls: { mode: 'STRICT' } } })]);
    expect(JSON.stringify(objects)).not.toMatch(/PERMISSIVE|DISABLE/);
  });

  test('AUTHZ-1: mesh-wide allow-nothing policy (ALLOW with no rules), and no rule allows anything', () => {
    const policies = synthBlueprint().filter((o) => o.kind === 'AuthorizationPolicy');
    expect(policies).toEqual([expect.objectContaining({ metadata: { name: 'allow-nothing', namespace: 'istio-system' }, spec: {} })]);
    expect(policies.every((p) => !p.spec.rules && (p.spec.action ?? 'ALLOW') === 'ALLOW' && !p.spec.selector)).toBe(true);
  });

  test('OPS-2: synthesizing the same blueprint twice gives byte-identical YAML', () => {
    const yaml = () => {
      const app = new App({ outdir: '/tmp/unused' });
      new BlueprintChart(app, 'blueprint');
      return app.synthYaml();
    };
    const first = yaml();
    expect(first.length).toBeGreaterThan(0);
    expect(yaml()).toBe(first);
  });
});
