import { admits } from '../../../src/policy/admission-cel';
import { RuleObject } from '../../../src/policy/rule';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import { MESH_AUTHZ_004 as rule } from '../../../src/policy/rules/mesh-authz-004';

const ctx = ruleContext([]);
const CALLER = 'cluster.local/ns/shop/sa/frontend';

function ap(spec: unknown): RuleObject {
  return { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'p', namespace: 'shop' }, spec };
}
function allow(...rules: unknown[]): RuleObject {
  return ap({ rules });
}
function from(...sources: unknown[]): { from: unknown[] } {
  return { from: sources.map((source) => ({ source })) };
}

const GOOD: [string, RuleObject][] = [
  ['allow-nothing', ap({})],
  ['empty rules', ap({ rules: [] })],
  ['principals', allow({ ...from({ principals: [CALLER] }), to: [{ operation: { ports: ['8080'] } }] })],
  ['requestPrincipals', allow(from({ requestPrincipals: ['https://issuer.example.com/*'] }))],
  ['serviceAccounts', allow(from({ serviceAccounts: ['shop/frontend'] }))],
  ['namespaces next to an identity', allow(from({ principals: [CALLER], namespaces: ['shop'] }))],
  ['ipBlocks next to an identity', allow(from({ requestPrincipals: ['iss/sub'], ipBlocks: ['10.0.0.0/8'] }))],
  ['every source has one', allow(from({ principals: [CALLER] }, { serviceAccounts: ['a/b'] }), from({ requestPrincipals: ['i/s'] }))],
  ['explicit ALLOW', ap({ action: 'ALLOW', rules: [from({ principals: [CALLER] })] })],
  ['DENY without from', ap({ action: 'DENY', rules: [{ to: [{ operation: { notPaths: ['/x'] } }] }] })],
  ['CUSTOM without from', ap({ action: 'CUSTOM', provider: { name: 'oidc' }, rules: [{}] })],
  ['AUDIT without from', ap({ action: 'AUDIT', rules: [{}] })],
];
const BAD: [string, RuleObject][] = [
  ['allow-all rule', allow({})],
  ['rule with only to', allow({ to: [{ operation: { methods: ['GET'] } }] })],
  ['empty from', allow({ from: [] })],
  ['from without source', allow({ from: [{}] })],
  ['empty source', allow(from({}))],
  ['namespaces only', allow(from({ namespaces: ['shop'] }))],
  ['ipBlocks only', allow(from({ ipBlocks: ['10.0.0.0/8'] }))],
  ['remoteIpBlocks only', allow(from({ remoteIpBlocks: ['203.0.113.0/24'] }))],
  ['empty principals', allow(from({ principals: [] }))],
  ['notPrincipals is not an identity', allow(from({ notPrincipals: [CALLER] }))],
  ['one of two sources lacks an identity', allow(from({ principals: [CALLER] }, { namespaces: ['x'] }))],
  ['second rule lacks from', allow(from({ principals: [CALLER] }), { to: [{ operation: { paths: ['/x'] } }] })],
];

describe('MESH-AUTHZ-004 ALLOW rules require an identity (AUTHZ-2)', () => {
  test.each(GOOD)('passes: %s', (_name, object) => {
    expect(rule.check(object, ctx)).toEqual([]);
  });

  test.each(BAD)('fails: %s', (_name, object) => {
    expect(rule.check(object, ctx)).toHaveLength(1);
  });

  test('paths and messages', () => {
    const object = allow(
      {},
      { from: [{ source: { principals: [CALLER] } }, {}, { source: { namespaces: ['a'], ipBlocks: ['10.0.0.0/8'] } }, { source: { notNamespaces: ['b'] } }] },
    );
    expect(rule.check(object, ctx)).toEqual([
      { path: 'spec.rules[0]', message: expect.stringMatching(/has no `from`, so it allows every caller/) },
      { path: 'spec.rules[1].from[1]', message: expect.stringMatching(/names no identity/) },
      { path: 'spec.rules[1].from[2].source', message: expect.stringMatching(/matches only on namespaces and ipBlocks, not on an identity/) },
      { path: 'spec.rules[1].from[3].source', message: expect.stringMatching(/names no identity/) },
    ]);
  });

  test.each([
    ['null spec', null],
    ['rules of wrong types', { rules: [null, 'x', { from: 'x' }, { from: [null, 1, { source: 'x' }] }] }],
  ])('odd shape does not throw: %s', (_name, spec) => {
    expect(() => rule.check(ap(spec), ctx)).not.toThrow();
  });

  test('a from of the wrong type fails closed', () => {
    expect(rule.check(allow({ from: { source: { principals: [CALLER] } } }), ctx)).toHaveLength(1);
  });

  test.each([...GOOD, ...BAD])('check() and admission CEL agree: %s', (_name, object) => {
    expect(admits(rule.admission!, object)).toBe(rule.check(object, ctx).length === 0);
  });
});
