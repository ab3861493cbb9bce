import { admits } from '../../../src/policy/admission-cel';
import { RuleObject } from '../../../src/policy/rule';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import { MESH_AUTHZ_006 as rule, pathProblems } from '../../../src/policy/rules/mesh-authz-006';

const ctx = ruleContext([]);

function ap(spec: unknown): RuleObject {
  return { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'p', namespace: 'shop' }, spec };
}
function paths(field: 'paths' | 'notPaths', values: string[], action = 'ALLOW'): RuleObject {
  return ap({ action, rules: [{ to: [{ operation: { [field]: values } }] }] });
}

const NORMALIZED = ['/', '/admin', '/api/v1/items', '/api/*', '*.png', '*', '/a..b/c.d', '/.well-known/openid-configuration', '/pkg.Service/Method', '/static/.*'];
const NOT_NORMALIZED = ['/a/../admin', '/./admin', '/admin/.', '/a/..', '//admin', '/api//v1', '/%61dmin', '/a%2Fb', '\\admin', '/a\\b', '/public/..;/admin', '/a;jsessionid=1', '/a?x=1', '/a#f', '*/../etc'];

const GOOD: [string, RuleObject][] = [
  ...NORMALIZED.map((p): [string, RuleObject] => [`paths ${p}`, paths('paths', [p])]),
  ['normalized notPaths in DENY', paths('notPaths', NORMALIZED, 'DENY')],
  ['no operation paths', ap({ rules: [{ to: [{ operation: { methods: ['GET'] } }] }] })],
  ['hosts are not paths', ap({ rules: [{ to: [{ operation: { hosts: ['a.example.com:8080'] } }] }] })],
  ['no spec', { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'p' } }],
];
const BAD: [string, RuleObject][] = [
  ...NOT_NORMALIZED.map((p): [string, RuleObject] => [`paths ${p}`, paths('paths', [p])]),
  ...NOT_NORMALIZED.map((p): [string, RuleObject] => [`DENY notPaths ${p}`, paths('notPaths', ['/ok', p], 'DENY')]),
];

describe('MESH-AUTHZ-006 AuthorizationPolicy paths are normalized (AUTHZ-3)', () => {
  test.each(NORMALIZED)('pathProblems accepts %j', (p) => {
    expect(pathProblems(p)).toEqual([]);
  });

  test.each([
    ['/a/../b', /"\." and "\.\." segments/],
    ['//a', /contains "\/\/"/],
    ['/%2e%2e/a', /percent-encoding/],
    ['/a\\b', /backslashes/],
    ['/a;b', /path parameters/],
    ['/a?b', /query/],
    ['/a#b', /fragment/],
  ])('pathProblems explains %j', (p, why) => {
    expect(pathProblems(p).join('; ')).toMatch(why);
  });

  test.each(GOOD)('passes: %s', (_name, object) => {
    expect(rule.check(object, ctx)).toEqual([]);
  });

  test.each(BAD)('fails: %s', (_name, object) => {
    expect(rule.check(object, ctx)).toHaveLength(1);
  });

  test('one violation per bad value, in any action, with its index', () => {
    const object = ap({
      action: 'DENY',
      rules: [{ to: [{ operation: { paths: ['/ok', '/a/../b'] } }, { operation: { notPaths: ['//x'] } }] }],
    });
    expect(rule.check(object, ctx)).toEqual([
      { path: 'spec.rules[0].to[0].operation.paths[1]', message: expect.stringContaining('operation.paths value "/a/../b" is not normalized') },
      { path: 'spec.rules[0].to[1].operation.notPaths[0]', message: expect.stringContaining('"//x"') },
    ]);
  });

  test.each([
    ['null spec', null],
    ['wrong types', { rules: [{ to: [null, { operation: { paths: '/a/../b' } }, { operation: { paths: [1, null, '/ok'] } }] }] }],
  ])('odd shape does not throw: %s', (_name, spec) => {
    expect(() => rule.check(ap(spec), ctx)).not.toThrow();
    expect(rule.check(ap(spec), ctx)).toEqual([]);
  });

  test.each([...GOOD, ...BAD])('check() and admission CEL agree: %s', (_name, object) => {
    expect(admits(rule.admission!, object)).toBe(rule.check(object, ctx).length === 0);
  });
});
