import {
  attributeKeyError, pathTemplateError, trustDomainError, validateAuthorizationPolicy,
} from '../../../src/validation/webhook/authorization-policy';
import { WebhookViolation } from '../../../src/validation/webhook/types';
import { ISTIO_TESTDATA, describeWithShared, istioTestdata } from '../../shared';

const ap = (spec: any): WebhookViolation[] =>
  validateAuthorizationPolicy({ apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'p', namespace: 'ns' }, spec });
const rules = (vs: WebhookViolation[]) => vs.map((v) => v.rule);
const from = (source: any) => ({ rules: [{ from: [{ source }] }] });
const to = (operation: any) => ({ rules: [{ to: [{ operation }] }] });
const when = (...conds: any[]) => ({ rules: [{ when: conds }] });

describeWithShared(ISTIO_TESTDATA, 'AuthorizationPolicy: Istio testdata', () => {
  test.each(istioTestdata('authz-valid.yaml').map((d) => [d.doc.metadata.name, d.doc]))('valid %s', (_n, doc) => {
    expect(validateAuthorizationPolicy(doc)).toEqual([]);
  });
  // both invalid docs are webhook errors (AP-12, also a CEL rule)
  test.each(istioTestdata('authz-invalid.yaml').map((d) => [d.doc.metadata.name, d.doc]))('invalid %s', (_n, doc) => {
    expect(rules(validateAuthorizationPolicy(doc))).toContain('AP-12');
  });
});

describe('AuthorizationPolicy: known-good', () => {
  test.each([
    ['allow-nothing', {}],
    ['deny with empty rule', { action: 'DENY', rules: [{}] }],
    ['custom with provider', { action: 'CUSTOM', provider: { name: 'ext-authz' }, rules: [{ to: [{ operation: { paths: ['/admin/*'] } }] }] }],
    ['audit', { action: 'AUDIT', rules: [{}] }],
    ['paths', to({ paths: ['*', '*/suffix', '/prefix/*', 'no-slash', '/a/{*}/b', '/{**}'] })],
    ['ports 0 and 65535', to({ ports: ['0', '65535'] })],
    ['service accounts', from({ serviceAccounts: ['sa', 'ns/sa'], notServiceAccounts: ['x/y'] })],
    ['trust domains', from({ trustDomains: ['*', 'td.local', '*-suffix', 'prefix-*'] })],
    ['selector', { selector: { matchLabels: { app: 'x' } }, rules: [{}] }],
    ['targetRef gateway', { targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'gw' }] }],
    ['when serviceAccount', when({ key: 'source.serviceAccount', values: ['ns/sa'] })],
  ])('%s', (_n, spec) => {
    expect(ap(spec)).toEqual([]);
  });
});

describe('AuthorizationPolicy: known-bad', () => {
  const cases: [string, string, any, (string | number)[]][] = [
    ['AP-1', 'selector + targetRefs', { selector: { matchLabels: { a: 'b' } }, targetRefs: [{ kind: 'Service', name: 's' }] }, ['spec']],
    ['AP-2', 'wildcard selector value', { selector: { matchLabels: { app: '*' } } }, ['spec', 'selector', 'matchLabels', 'app']],
    ['AP-3', 'cross-namespace targetRef', { targetRef: { kind: 'Service', name: 's', namespace: 'other' } }, ['spec', 'targetRef', 'namespace']],
    ['AP-3', 'unsupported kind', { targetRefs: [{ kind: 'Pod', name: 'p' }] }, ['spec', 'targetRefs', 0]],
    ['AP-4', 'custom without rules', { action: 'CUSTOM', provider: { name: 'x' } }, ['spec', 'rules']],
    ['AP-5', 'custom without provider', { action: 'CUSTOM', rules: [{}] }, ['spec', 'provider', 'name']],
    ['AP-6', 'custom with principals', { action: 'CUSTOM', provider: { name: 'x' }, rules: [{ from: [{ source: { principals: ['a'] } }] }] }, ['spec', 'rules', 0, 'from', 0, 'source', 'principals']],
    ['AP-6', 'custom with serviceAccounts', { action: 'CUSTOM', provider: { name: 'x' }, rules: [{ from: [{ source: { serviceAccounts: ['a'] } }] }] }, ['spec', 'rules', 0, 'from', 0, 'source', 'serviceAccounts']],
    ['AP-6', 'custom with request.auth key', { action: 'CUSTOM', provider: { name: 'x' }, rules: [{ when: [{ key: 'request.auth.claims[iss]', values: ['a'] }] }] }, ['spec', 'rules', 0, 'when', 0, 'key']],
    ['AP-6', 'custom with null when', { action: 'CUSTOM', provider: { name: 'x' }, rules: [{ when: [null] }] }, ['spec', 'rules', 0, 'when', 0]],
    ['AP-7', 'provider with ALLOW', { provider: { name: 'x' }, rules: [{}] }, ['spec', 'provider']],
    ['AP-8', 'deny without rules', { action: 'DENY' }, ['spec', 'rules']],
    ['AP-9', 'null rule', { rules: [null] }, ['spec', 'rules', 0]],
    ['AP-10', 'from empty', { rules: [{ from: [] }] }, ['spec', 'rules', 0, 'from']],
    ['AP-10', 'from null entry', { rules: [{ from: [null] }] }, ['spec', 'rules', 0, 'from', 0]],
    ['AP-10', 'source null', { rules: [{ from: [{}] }] }, ['spec', 'rules', 0, 'from', 0, 'source']],
    ['AP-11', 'source empty', from({}), ['spec', 'rules', 0, 'from', 0, 'source']],
    ['AP-12', 'serviceAccounts + principals', from({ serviceAccounts: ['sa'], notPrincipals: ['p'] }), ['spec', 'rules', 0, 'from', 0, 'source']],
    ['AP-13', 'wildcard service account', from({ serviceAccounts: ['ns/*'] }), ['spec', 'rules', 0, 'from', 0, 'source', 'serviceAccounts', 0]],
    ['AP-13', 'two slashes', from({ notServiceAccounts: ['a/b/c'] }), ['spec', 'rules', 0, 'from', 0, 'source', 'notServiceAccounts', 0]],
    ['AP-13', 'empty part', from({ serviceAccounts: ['ns/'] }), ['spec', 'rules', 0, 'from', 0, 'source', 'serviceAccounts', 0]],
    ['AP-13', 'more than 16', from({ serviceAccounts: Array.from({ length: 17 }, (_, i) => `sa${i}`) }), ['spec', 'rules', 0, 'from', 0, 'source', 'serviceAccounts']],
    ['AP-14', 'bad ip', from({ ipBlocks: ['1.2.3.4/99'] }), ['spec', 'rules', 0, 'from', 0, 'source', 'ipBlocks', 0]],
    ['AP-14', 'bad remote ip', from({ notRemoteIpBlocks: ['nope'] }), ['spec', 'rules', 0, 'from', 0, 'source', 'notRemoteIpBlocks', 0]],
    ['AP-15', 'empty principal', from({ principals: [''] }), ['spec', 'rules', 0, 'from', 0, 'source', 'principals', 0]],
    ['AP-15', 'empty method', to({ methods: ['GET', ''] }), ['spec', 'rules', 0, 'to', 0, 'operation', 'methods', 1]],
    ['AP-16', 'trust domain wildcard in the middle', from({ trustDomains: ['a*b'] }), ['spec', 'rules', 0, 'from', 0, 'source', 'trustDomains', 0]],
    ['AP-16', 'trust domain with slash', from({ notTrustDomains: ['a/b'] }), ['spec', 'rules', 0, 'from', 0, 'source', 'notTrustDomains', 0]],
    ['AP-17', 'to empty', { rules: [{ to: [] }] }, ['spec', 'rules', 0, 'to']],
    ['AP-17', 'operation null', { rules: [{ to: [{}] }] }, ['spec', 'rules', 0, 'to', 0, 'operation']],
    ['AP-18', 'operation empty', to({}), ['spec', 'rules', 0, 'to', 0, 'operation']],
    ['AP-19', 'port out of range', to({ ports: ['70000'] }), ['spec', 'rules', 0, 'to', 0, 'operation', 'ports', 0]],
    ['AP-19', 'port not a number', to({ notPorts: ['http'] }), ['spec', 'rules', 0, 'to', 0, 'operation', 'notPorts', 0]],
    ['AP-20', 'named template variable', to({ paths: ['/{*}/foo/{bar}'] }), ['spec', 'rules', 0, 'to', 0, 'operation', 'paths', 0]],
    ['AP-20', 'operator after {**}', to({ notPaths: ['/{**}/{*}'] }), ['spec', 'rules', 0, 'to', 0, 'operation', 'notPaths', 0]],
    ['AP-22', 'empty key', when({ key: '', values: ['a'] }), ['spec', 'rules', 0, 'when', 0, 'key']],
    ['AP-22', 'no values', when({ key: 'source.ip' }), ['spec', 'rules', 0, 'when', 0]],
    ['AP-22', 'unknown attribute', when({ key: 'source.foo', values: ['a'] }), ['spec', 'rules', 0, 'when', 0, 'key']],
    ['AP-22', 'bad header key', when({ key: 'request.headers', values: ['a'] }), ['spec', 'rules', 0, 'when', 0, 'key']],
    ['AP-22', 'bad ip value', when({ key: 'destination.ip', notValues: ['x'] }), ['spec', 'rules', 0, 'when', 0, 'notValues', 0]],
    ['AP-22', 'bad port value', when({ key: 'destination.port', values: ['99999'] }), ['spec', 'rules', 0, 'when', 0, 'values', 0]],
    ['AP-22', 'wildcard service account value', when({ key: 'source.serviceAccount', values: ['*'] }), ['spec', 'rules', 0, 'when', 0, 'values', 0]],
    ['AP-22', 'destination.labels replaced', when({ key: 'destination.labels[app]', values: ['a'] }), ['spec', 'rules', 0, 'when', 0, 'key']],
  ];
  test.each(cases)('%s: %s', (rule, _n, spec, path) => {
    expect(ap(spec)).toContainEqual(expect.objectContaining({ rule, path }));
  });

  test('messages say how to fix', () => {
    expect(ap(from({}))[0].message).toMatch(/from.source.*must not be empty.*principals/);
    expect(ap(to({}))[0].message).toMatch(/to.operation.*must not be empty/);
  });

  test('odd input does not throw', () => {
    expect(() => validateAuthorizationPolicy({})).not.toThrow();
    expect(() => ap({ rules: 'x', action: 5 })).not.toThrow();
    expect(() => ap({ rules: [{ from: 'x', to: 5, when: {} }] })).not.toThrow();
  });
});

describe('AuthorizationPolicy helpers', () => {
  test('path templates', () => {
    for (const p of ['/exact', '*', '/a/{*}', '/{**}/x', '/a/{*}/b/{**}', '/{*}/{*}']) expect(pathTemplateError(p)).toBeUndefined();
    for (const p of ['/{**}/{**}', '/a/{x}', '/a/{}', '/{*}/*', '/{*}//a', '/foo{']) expect(pathTemplateError(p)).toBeDefined();
  });

  test('trust domains and attribute keys', () => {
    expect(trustDomainError('*')).toBeUndefined();
    expect(trustDomainError('**')).toBeDefined();
    expect(attributeKeyError('request.auth.claims[a][b]')).toBeUndefined();
    expect(attributeKeyError('experimental.envoy.filters.a.b[c]')).toBeUndefined();
    expect(attributeKeyError('request.headers[]')).toMatch(/a\[b\]/);
    expect(attributeKeyError('destination.name')).toMatch(/deprecated/);
    expect(attributeKeyError('destination.namespace')).toMatch(/replaced/);
  });
});
