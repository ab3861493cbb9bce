import { RuleObject } from '../../src/policy/rule';
import { ruleContext } from '../../src/policy/rule-test-kit';

const OBJECTS: RuleObject[] = [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } }];

describe('ruleContext', () => {
  test("defaults: Istio's layout (istio-system root and control plane), no admin or operator groups", () => {
    expect(ruleContext(OBJECTS)).toEqual({
      objects: OBJECTS, rootNamespace: 'istio-system', controlPlaneNamespace: 'istio-system', meshAdminGroups: [], operatorGroups: [], allowedRegistries: [],
    });
  });

  test('keeps the objects it is given (same array)', () => {
    expect(ruleContext(OBJECTS).objects).toBe(OBJECTS);
    expect(ruleContext([]).objects).toEqual([]);
  });

  test('a rootNamespace override also moves the control plane by default', () => {
    const ctx = ruleContext(OBJECTS, { rootNamespace: 'mesh-root' });
    expect(ctx.rootNamespace).toBe('mesh-root');
    expect(ctx.controlPlaneNamespace).toBe('mesh-root');
  });

  test('an explicit controlPlaneNamespace wins over the root namespace', () => {
    const ctx = ruleContext(OBJECTS, { rootNamespace: 'mesh-root', controlPlaneNamespace: 'istiod-ns' });
    expect(ctx.rootNamespace).toBe('mesh-root');
    expect(ctx.controlPlaneNamespace).toBe('istiod-ns');
    const only = ruleContext(OBJECTS, { controlPlaneNamespace: 'istiod-ns' });
    expect(only.rootNamespace).toBe('istio-system');
    expect(only.controlPlaneNamespace).toBe('istiod-ns');
  });

  test('group overrides', () => {
    const ctx = ruleContext(OBJECTS, { meshAdminGroups: ['mesh-admins'], operatorGroups: ['security', 'auditors'] });
    expect(ctx.meshAdminGroups).toEqual(['mesh-admins']);
    expect(ctx.operatorGroups).toEqual(['security', 'auditors']);
    expect(ruleContext(OBJECTS, { meshAdminGroups: ['a'] }).operatorGroups).toEqual([]);
    expect(ruleContext(OBJECTS, { operatorGroups: ['a'] }).meshAdminGroups).toEqual([]);
  });

  test('an objects override is ignored: the objects argument is the set', () => {
    const other: RuleObject[] = [{ kind: 'Pod' }];
    expect(ruleContext(OBJECTS, { objects: other }).objects).toBe(OBJECTS);
  });

  test('the result has exactly the RuleContext fields', () => {
    expect(Object.keys(ruleContext(OBJECTS)).sort()).toEqual(['allowedRegistries', 'controlPlaneNamespace', 'meshAdminGroups', 'objects', 'operatorGroups', 'rootNamespace']);
  });
});
