import { evaluateCelRule } from '../../../src/validation/cel/cel-rule';

describe('evaluateCelRule', () => {
  test('pass and fail with the rule message', () => {
    const rule = { rule: '0 < self && self <= 65535', message: 'port must be between 1-65535' };
    expect(evaluateCelRule(rule, 8080n)).toEqual({ kind: 'pass' });
    expect(evaluateCelRule(rule, 70000n)).toEqual({ kind: 'fail', message: 'port must be between 1-65535' });
  });

  test('a failing rule without message reports the rule text', () => {
    expect(evaluateCelRule({ rule: 'self != "*"' }, '*')).toEqual({ kind: 'fail', message: 'failed rule: self != "*"' });
  });

  test('a rule that cannot be evaluated is an error, never a pass', () => {
    const outcome = evaluateCelRule({ rule: 'quantity(self).isGreaterThan(quantity("1"))' }, '2');
    expect(outcome.kind).toBe('error');
  });

  test('a rule that does not parse is an error', () => {
    expect(evaluateCelRule({ rule: 'self ==' }, 1n).kind).toBe('error');
  });

  test('a rule that yields a non-boolean is an error', () => {
    expect(evaluateCelRule({ rule: 'self + 1' }, 1n)).toEqual({ kind: 'error', message: 'CEL rule returned bigint, not a bool' });
  });

  test('duration() with the 1ms lower bound used by 160 Istio fields', () => {
    const rule = { rule: "duration(self) >= duration('1ms')", message: 'must be a valid duration greater than 1ms' };
    expect(evaluateCelRule(rule, '10s').kind).toBe('pass');
    expect(evaluateCelRule(rule, '0.5ms').kind).toBe('fail');
    expect(evaluateCelRule(rule, 'ten seconds').kind).toBe('error');
  });
});
