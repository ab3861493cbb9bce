import { admits } from '../../../src/policy/admission-cel';
import { RuleObject } from '../../../src/policy/rule';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import { MESH_AUTHZ_002 as rule } from '../../../src/policy/rules/mesh-authz-002';

const ctx = ruleContext([]);
const CALLER = 'cluster.local/ns/shop/sa/frontend';

function ap(spec: unknown): RuleObject {
  return { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'p', namespace: 'shop' }, spec };
}
function allow(rule0: unknown, action?: string): RuleObject {
  return ap({ ...(action ? { action } : {}), rules: [rule0] });
}

const GOOD: [string, RuleObject][] = [
  ['allow-nothing', ap({})],
  ['no spec', { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'p' } }],
  ['positive ALLOW', allow({ from: [{ source: { principals: [CALLER] } }], to: [{ operation: { methods: ['GET'], paths: ['/api/*'], ports: ['8080'] } }], when: [{ key: 'request.headers[x]', values: ['a'] }] })],
  ['empty negative lists', allow({ from: [{ source: { principals: [CALLER], notPrincipals: [] } }], to: [{ operation: { notPaths: [] } }], when: [{ key: 'k', values: ['v'], notValues: [] }] })],
  ['DENY with negatives', allow({ from: [{ source: { notPrincipals: [CALLER] } }], to: [{ operation: { notPaths: ['/public/*'] } }] }, 'DENY')],
  ['CUSTOM with negatives', ap({ action: 'CUSTOM', provider: { name: 'authz' }, rules: [{ to: [{ operation: { notPaths: ['/healthz'] } }] }] })],
  ['AUDIT with negatives', allow({ when: [{ key: 'k', notValues: ['v'] }] }, 'AUDIT')],
  ['rules without from/to/when', allow({})],
  ['from without source', allow({ from: [{}], to: [{}] })],
];
const BAD: [string, RuleObject][] = [
  ...['notPrincipals', 'notRequestPrincipals', 'notNamespaces', 'notIpBlocks', 'notRemoteIpBlocks', 'notServiceAccounts'].map(
    (f): [string, RuleObject] => [`source.${f}`, allow({ from: [{ source: { principals: [CALLER], [f]: ['x'] } }] })]),
  ...['notPaths', 'notMethods', 'notPorts', 'notHosts'].map(
    (f): [string, RuleObject] => [`operation.${f}`, allow({ from: [{ source: { principals: [CALLER] } }], to: [{ operation: { [f]: ['x'] } }] })]),
  ['when.notValues', allow({ from: [{ source: { principals: [CALLER] } }], when: [{ key: 'request.auth.claims[groups]', notValues: ['guests'] }] })],
  ['explicit ALLOW', allow({ to: [{ operation: { notMethods: ['DELETE'] } }] }, 'ALLOW')],
];

describe('MESH-AUTHZ-002 ALLOW policies use positive matches only (AUTHZ-3)', () => {
  test.each(GOOD)('passes: %s', (_name, object) => {
    expect(rule.check(object, ctx)).toEqual([]);
  });

  test.each(BAD)('fails: %s', (_name, object) => {
    expect(rule.check(object, ctx)).toHaveLength(1);
  });

  test('paths, messages and one violation per negative field', () => {
    const object = ap({
      rules: [
        { from: [{ source: { principals: [CALLER] } }] },
        {
          from: [{ source: { principals: [CALLER] } }, { source: { notNamespaces: ['a'], notIpBlocks: ['10.0.0.0/8'] } }],
          to: [{ operation: { paths: ['/a'] } }, { operation: { notPaths: ['/admin'] } }],
          when: [{ key: 'source.ip', values: ['1.2.3.4'] }, { key: 'request.auth.claims[iss]', notValues: ['x'] }],
        },
      ],
    });
    expect(rule.check(object, ctx)).toEqual([
      { path: 'spec.rules[1].from[1].source.notNamespaces', message: expect.stringContaining('source.notNamespaces, which allows every other source; list the allowed ones with source.namespaces') },
      { path: 'spec.rules[1].from[1].source.notIpBlocks', message: expect.stringContaining('source.ipBlocks') },
      { path: 'spec.rules[1].to[1].operation.notPaths', message: expect.stringContaining('operation.paths') },
      { path: 'spec.rules[1].when[1].notValues', message: expect.stringContaining('on request.auth.claims[iss]') },
    ]);
  });

  test('other kinds are ignored', () => {
    expect(rule.check({ apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', spec: { rules: [{ to: [{ operation: { notPaths: ['/'] } }] }] } }, ctx)).toEqual([]);
  });

  test.each([
    ['null spec', null],
    ['rules is a map', { rules: { a: 1 } }],
    ['rule entries of wrong types', { rules: [null, 1, 'x', { from: 'x', to: [null, { operation: 'x' }], when: [null, 'x'] }] }],
  ])('odd shape does not throw: %s', (_name, spec) => {
    expect(() => rule.check(ap(spec), ctx)).not.toThrow();
    expect(rule.check(ap(spec), ctx)).toEqual([]);
  });

  test.each([...GOOD, ...BAD])('check() and admission CEL agree: %s', (_name, object) => {
    expect(admits(rule.admission!, object)).toBe(rule.check(object, ctx).length === 0);
  });
});
