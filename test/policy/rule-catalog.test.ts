import { PolicyRules } from '../../src/policy/rule-catalog';
import { ALL_RULES } from '../../src/policy/rule-pack';

describe('PolicyRules.list', () => {
  test('documents every rule of the pack, in table order, with its admission flag', () => {
    const list = PolicyRules.list();
    expect(list.map((r) => r.id)).toEqual(ALL_RULES.map((r) => r.id));
    const mtls = list.find((r) => r.id === 'MESH-MTLS-002')!;
    expect(mtls).toMatchObject({ practices: ['MTLS-1'], severity: 'error', admission: true });
    // MESH-MTLS-001's admission form is an invariant by name (the mesh-wide PeerAuthentication); NET-L4-001 has none.
    expect(list.find((r) => r.id === 'MESH-MTLS-001')!.admission).toBe(true);
    expect(list.find((r) => r.id === 'NET-L4-001')!.admission).toBe(false);
    expect(list.every((r) => r.title && r.explanation && r.fix)).toBe(true);
  });

  test('returns copies: callers cannot change the rules', () => {
    PolicyRules.list()[0].practices.push('X');
    expect(PolicyRules.list()[0].practices).not.toContain('X');
  });
});
