import { admits } from '../../../src/policy/admission-cel';
import { RuleObject } from '../../../src/policy/rule';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import { MESH_AUTHZ_005 as rule } from '../../../src/policy/rules/mesh-authz-005';

const ctx = ruleContext([]);

function ap(spec: unknown): RuleObject {
  return { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'p', namespace: 'shop' }, spec };
}
function source(s: unknown, action?: string): RuleObject {
  return ap({ ...(action ? { action } : {}), rules: [{ from: [{ source: s }] }] });
}
function when(...conditions: unknown[]): RuleObject {
  return ap({ rules: [{ from: [{ source: { principals: ['cluster.local/ns/a/sa/b'] } }], when: conditions }] });
}

const GOOD: [string, RuleObject][] = [
  ['exact principals', source({ principals: ['cluster.local/ns/shop/sa/frontend'], namespaces: ['shop'], serviceAccounts: ['shop/frontend'] })],
  ['issuer-wide requestPrincipals', source({ requestPrincipals: ['https://accounts.example.com/*'] })],
  ['exact requestPrincipals', source({ requestPrincipals: ['https://accounts.example.com/user-1'] })],
  ['notRequestPrincipals * in DENY (require a JWT)', source({ notRequestPrincipals: ['*'] }, 'DENY')],
  // Istio's documented "deny requests without a peer identity": a DENY wildcard denies more, never allows more.
  ['notPrincipals * in DENY (require mTLS)', source({ notPrincipals: ['*'] }, 'DENY')],
  ['namespaces * in DENY', source({ namespaces: ['*'] }, 'DENY')],
  ['principals * in CUSTOM (all authenticated requests go to ext-authz)', source({ principals: ['*'] }, 'CUSTOM')],
  ['notNamespaces wildcard is not in scope', source({ notNamespaces: ['kube-*'] }, 'DENY')],
  ['wildcards in operations are fine', ap({ rules: [{ to: [{ operation: { paths: ['/api/*'], hosts: ['*.example.com'] } }] }] })],
  ['other condition keys may use *', when({ key: 'request.headers[x-a]', values: ['*'] }, { key: 'request.auth.claims[iss]', values: ['*'] })],
  ['exact conditions', when({ key: 'source.principal', values: ['cluster.local/ns/a/sa/b'] }, { key: 'request.auth.principal', values: ['iss/*'] })],
  ['no spec', { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'p' } }],
];
const BAD: [string, RuleObject][] = [
  ['principals *', source({ principals: ['*'] })],
  ['principals namespace-wide', source({ principals: ['cluster.local/ns/shop/*'] })],
  ['principals suffix', source({ principals: ['*/sa/frontend'] })],
  ['namespaces *', source({ namespaces: ['*'] })],
  ['namespaces prefix', source({ namespaces: ['team-*'] })],
  ['serviceAccounts wildcard', source({ serviceAccounts: ['shop/*'] })],
  ['requestPrincipals *', source({ requestPrincipals: ['*'] })],
  ['requestPrincipals any issuer', source({ requestPrincipals: ['*/user-1'] })],
  ['when source.principal *', when({ key: 'source.principal', values: ['*'] })],
  ['when source.principal notValues wildcard', when({ key: 'source.principal', notValues: ['cluster.local/ns/x/*'] })],
  ['when source.namespace wildcard', when({ key: 'source.namespace', values: ['prod-*'] })],
  ['when request.auth.principal *', when({ key: 'request.auth.principal', values: ['*'] })],
];

describe('MESH-AUTHZ-005 no wildcard identities (AUTHZ-2)', () => {
  test.each(GOOD)('passes: %s', (_name, object) => {
    expect(rule.check(object, ctx)).toEqual([]);
  });

  test.each(BAD)('fails: %s', (_name, object) => {
    expect(rule.check(object, ctx)).toHaveLength(1);
  });

  test('one violation per wildcard value, with its index', () => {
    const object = ap({
      rules: [
        { from: [{ source: { principals: ['cluster.local/ns/a/sa/b', '*'], requestPrincipals: ['iss/*', '*'] } }] },
        { from: [{ source: { namespaces: ['a'] } }, { source: { serviceAccounts: ['b/*'] } }], when: [{ key: 'source.namespace', values: ['x', '*'] }] },
      ],
    });
    expect(rule.check(object, ctx)).toEqual([
      { path: 'spec.rules[0].from[0].source.principals[1]', message: expect.stringContaining('source.principals value "*" is a wildcard') },
      { path: 'spec.rules[0].from[0].source.requestPrincipals[1]', message: expect.stringContaining('accepts tokens from any issuer') },
      { path: 'spec.rules[1].from[1].source.serviceAccounts[0]', message: expect.stringContaining('"b/*"') },
      { path: 'spec.rules[1].when[0].values[1]', message: expect.stringContaining('condition on source.namespace') },
    ]);
  });

  test.each([
    ['null spec', null],
    ['wrong types', { rules: [null, { from: [null, { source: { principals: '*' } }, { source: { principals: [1, null] } }], when: [null, { key: 1 }] }] }],
  ])('odd shape does not throw: %s', (_name, spec) => {
    expect(() => rule.check(ap(spec), ctx)).not.toThrow();
  });

  test.each([...GOOD, ...BAD])('check() and admission CEL agree: %s', (_name, object) => {
    expect(admits(rule.admission!, object)).toBe(rule.check(object, ctx).length === 0);
  });
});
