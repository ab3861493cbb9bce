import { admits } from '../../../src/policy/admission-cel';
import { RuleObject } from '../../../src/policy/rule';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import { MESH_AUTHZ_003 as rule } from '../../../src/policy/rules/mesh-authz-003';

const ctx = ruleContext([]);

function ap(spec: unknown): RuleObject {
  return { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'p', namespace: 'shop' }, spec };
}
function deny(...to: unknown[]): RuleObject {
  return ap({ action: 'DENY', rules: [{ to: to.map((operation) => ({ operation })) }] });
}

const GOOD: [string, RuleObject][] = [
  ['DENY with notPaths', deny({ notPaths: ['/public/*'] })],
  ['DENY with notHosts', deny({ notHosts: ['shop.example.com'] })],
  ['DENY on methods and ports', deny({ methods: ['DELETE'], ports: ['9090'] })],
  ['DENY with empty paths', deny({ paths: [], hosts: [] })],
  ['DENY without rules', ap({ action: 'DENY' })],
  ['DENY on a source only', ap({ action: 'DENY', rules: [{ from: [{ source: { notPrincipals: ['cluster.local/ns/a/sa/b'] } }] }] })],
  ['ALLOW with paths', ap({ rules: [{ to: [{ operation: { paths: ['/admin'], hosts: ['a'] } }] }] })],
  ['CUSTOM with paths', ap({ action: 'CUSTOM', provider: { name: 'x' }, rules: [{ to: [{ operation: { paths: ['/login'] } }] }] })],
  ['no spec', { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'p' } }],
];
const BAD: [string, RuleObject][] = [
  ['DENY paths', deny({ paths: ['/admin'] })],
  ['DENY hosts', deny({ hosts: ['admin.example.com'] })],
  ['DENY paths in a second operation', deny({ notPaths: ['/a'] }, { methods: ['POST'], paths: ['/admin/*'] })],
];

describe('MESH-AUTHZ-003 DENY policies use negative matches for paths and hosts (AUTHZ-3)', () => {
  test.each(GOOD)('passes: %s', (_name, object) => {
    expect(rule.check(object, ctx)).toEqual([]);
  });

  test.each(BAD)('fails: %s', (_name, object) => {
    expect(rule.check(object, ctx)).toHaveLength(1);
  });

  test('paths and messages', () => {
    expect(rule.check(deny({ methods: ['GET'] }, { paths: ['/admin'], hosts: ['a.example.com'] }), ctx)).toEqual([
      { path: 'spec.rules[0].to[1].operation.paths', message: expect.stringMatching(/other spellings of the same path bypass it; use operation.notPaths/) },
      { path: 'spec.rules[0].to[1].operation.hosts', message: expect.stringMatching(/same host bypass it; use operation.notHosts/) },
    ]);
  });

  test.each([
    ['null spec', null],
    ['rules of wrong types', { action: 'DENY', rules: [null, { to: 'x' }, { to: [{ operation: null }] }] }],
    ['paths of a wrong type', { action: 'DENY', rules: [{ to: [{ operation: { paths: '/admin' } }] }] }],
  ])('odd shape does not throw: %s', (_name, spec) => {
    expect(() => rule.check(ap(spec), ctx)).not.toThrow();
  });

  test.each([...GOOD, ...BAD])('check() and admission CEL agree: %s', (_name, object) => {
    expect(admits(rule.admission!, object)).toBe(rule.check(object, ctx).length === 0);
  });
});
