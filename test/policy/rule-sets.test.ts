import { CUSTOM_POD_TEMPLATE_KIND } from '../../src/policy/rule';
import { ALL_RULES, rulesFor } from '../../src/policy/rule-pack';
import { KINDS_ADDED, LATEST_RULE_SET, RULE_SETS, isNewerThan, ruleSetProblem } from '../../src/policy/rule-sets';

describe('rule sets: upgrading never fails a pinned app without notice', () => {
  test('sets are ordered; the latest is the last', () => {
    expect(RULE_SETS).toEqual(['1', '2']);
    expect(LATEST_RULE_SET).toBe('2');
  });

  test('every rule names a known set (absent: the first)', () => {
    for (const rule of ALL_RULES) expect([rule.id, ruleSetProblem(rule.since ?? RULE_SETS[0])]).toEqual([rule.id, undefined]);
  });

  test('ruleSetProblem names the known sets', () => {
    expect(ruleSetProblem('2')).toBeUndefined();
    expect(ruleSetProblem('3')).toBe('"3" is not a rule set (known: 1, 2; the latest is 2)');
    expect(ruleSetProblem(2)).toBeDefined();
  });

  test('isNewerThan', () => {
    expect([isNewerThan('2', '1'), isNewerThan('2', '2'), isNewerThan(undefined, '1'), isNewerThan('1', '2')]).toEqual([true, false, false, false]);
  });

  test('the latest set is the rules as written', () => {
    expect(rulesFor(undefined)).toEqual(ALL_RULES);
    expect(rulesFor(LATEST_RULE_SET)).toBe(rulesFor(undefined));
  });

  describe('an app on set 1', () => {
    const older = rulesFor('1');

    test('same ids, same order, same checks', () => {
      expect(older.map((r) => r.id)).toEqual(ALL_RULES.map((r) => r.id));
      older.forEach((r, i) => expect(r.check).toBe(ALL_RULES[i].check));
    });

    test('rules of set 2 are warnings whose fix says how to make them errors; the others keep their severity', () => {
      const newer = ALL_RULES.filter((r) => r.since === '2');
      expect(newer.length).toBeGreaterThan(0);
      older.forEach((r, i) => {
        const original = ALL_RULES[i];
        // A warning stays the warning it is; only errors of a newer set are softened, and say so.
        if (original.since === '2' && original.severity === 'error') {
          expect([r.id, r.severity]).toEqual([r.id, 'warning']);
          expect(r.fix).toMatch(/^New in rule set 2: a warning for this app, which declares rule set 1; declare 2 or later \(ruleSet in secure-mesh.yaml/);
          expect(r.fix.endsWith(original.fix)).toBe(true);
        } else {
          expect([r.id, r.severity, r.fix]).toEqual([original.id, original.severity, original.fix]);
        }
      });
    });

    test('custom workload kinds (added in set 2) are out of the pod rules\' sight', () => {
      expect(KINDS_ADDED).toEqual([{ kind: CUSTOM_POD_TEMPLATE_KIND, since: '2' }]);
      expect(ALL_RULES.some((r) => r.kinds?.includes(CUSTOM_POD_TEMPLATE_KIND))).toBe(true);
      for (const r of older) expect([r.id, r.kinds?.includes(CUSTOM_POD_TEMPLATE_KIND) ?? false]).toEqual([r.id, false]);
    });

    test('memoized: one table per set', () => {
      expect(rulesFor('1')).toBe(older);
    });
  });

  test('an unknown set is an error, not the latest', () => {
    expect(() => rulesFor('0')).toThrow('rule set "0" is not a rule set (known: 1, 2; the latest is 2)');
  });
});
