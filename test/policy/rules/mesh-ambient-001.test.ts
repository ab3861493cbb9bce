import { Testing } from 'cdk8s';
import {
  AMBIENT_NS, describeAmbientTable, admitsIn, checkIn, corpus, findingsOver, flipToAmbient, namespace,
  sidecarBlueprint, sidecarOutputRelabelledAmbient, sidecarShop,
} from './ambient-fixtures';
import { RuleObject } from '../../../src/policy/rule';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import {
  MESH_AMBIENT_001 as rule, ZTUNNEL_L4_CONDITION_KEYS, ZTUNNEL_L7_OPERATION_FIELDS, ZTUNNEL_L7_SOURCE_FIELDS,
} from '../../../src/policy/rules/mesh-ambient-001';
import { synthValidated } from '../../helpers';
import { describeWithShared } from '../../shared';

function policy(spec?: object | null, name = 'p', ns = 'shop'): RuleObject {
  return { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name, namespace: ns }, ...(spec === undefined ? {} : { spec }) };
}

const SELECTOR = { matchLabels: { app: 'api' } };
const WEB = 'cluster.local/ns/shop/sa/web';
const fromWeb = { source: { principals: [WEB] } };
const SERVICE_REF = { group: '', kind: 'Service', name: 'api' };
const WAYPOINT_REF = { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'waypoint' };

/** A selector policy with one rule. */
function selected(policyRule: object, extra: object = {}): RuleObject {
  return policy({ selector: SELECTOR, action: 'ALLOW', rules: [policyRule], ...extra });
}

const GOOD: [string, RuleObject][] = [
  ['allow-nothing, namespace-wide', policy({})],
  ['no spec', policy()],
  ['spec null', policy(null)],
  ['principals', selected({ from: [fromWeb] })],
  ['principals on ports (the library\'s L4 grant)', selected({ from: [fromWeb], to: [{ operation: { ports: ['9080'] } }] })],
  ['namespaces and notPorts', selected({ from: [{ source: { namespaces: ['shop'] } }], to: [{ operation: { notPorts: ['15020'] } }] })],
  ['ipBlocks and notIpBlocks (the peer address: L4)', selected({ from: [{ source: { ipBlocks: ['10.0.0.0/8'], notIpBlocks: ['10.1.0.0/16'] } }] })],
  ['serviceAccounts and notServiceAccounts', selected({ from: [{ source: { serviceAccounts: ['shop/web'], notServiceAccounts: ['other'] } }] })],
  ['notPrincipals and notNamespaces', policy({ selector: SELECTOR, action: 'DENY', rules: [{ from: [{ source: { notPrincipals: [WEB], notNamespaces: ['shop'] } }] }] })],
  ...ZTUNNEL_L4_CONDITION_KEYS.map((key): [string, RuleObject] => [`when ${key}`, selected({ from: [fromWeb], when: [{ key, values: ['x'] }] })]),
  ['when destination.port with notValues', selected({ when: [{ key: 'destination.port', notValues: ['15090'] }] })],
  ['DENY on L4 attributes only', policy({ action: 'DENY', rules: [{ from: [{ source: { notNamespaces: ['shop'] } }], to: [{ operation: { ports: ['22'] } }] }] })],
  ['empty L7 lists match nothing and are not HTTP to Istio', selected({ from: [{ source: { principals: [WEB], requestPrincipals: [] } }], to: [{ operation: { paths: [], methods: [] } }] })],
  ['targetRefs Service with paths, methods and requestPrincipals (the library\'s L7 grant)', policy({
    targetRefs: [SERVICE_REF],
    rules: [{ from: [{ source: { principals: [WEB], requestPrincipals: ['https://sts.example.com/*'] } }], to: [{ operation: { paths: ['/orders'], methods: ['GET'] } }] }],
  })],
  ['targetRefs the waypoint Gateway, allow-nothing', policy({ targetRefs: [WAYPOINT_REF] })],
  ['targetRefs Gateway with CUSTOM', policy({ targetRefs: [WAYPOINT_REF], action: 'CUSTOM', provider: { name: 'ext-authz' }, rules: [{ to: [{ operation: { paths: ['/admin'] } }] }] })],
  ['targetRef (singular) with hosts and a request condition', policy({
    targetRef: SERVICE_REF, rules: [{ to: [{ operation: { hosts: ['api.shop'] } }], when: [{ key: 'request.auth.claims[iss]', values: ['x'] }] }],
  })],
  ['AUDIT with paths (ztunnel drops AUDIT: not this rule\'s concern)', selected({ to: [{ operation: { paths: ['/'] } }] }, { action: 'AUDIT' })],
];

/** Each BAD case with the exact paths it must report. */
const BAD: [string, RuleObject, string[]][] = [
  ...ZTUNNEL_L7_OPERATION_FIELDS.map((f): [string, RuleObject, string[]] => [
    `operation.${f}`, selected({ from: [fromWeb], to: [{ operation: { ports: ['9080'], [f]: ['/x'] } }] }), [`spec.rules[0].to[0].operation.${f}`],
  ]),
  ...ZTUNNEL_L7_SOURCE_FIELDS.map((f): [string, RuleObject, string[]] => [
    `source.${f}`, selected({ from: [{ source: { principals: [WEB], [f]: ['x'] } }] }), [`spec.rules[0].from[0].source.${f}`],
  ]),
  ...['request.auth.claims[iss]', 'request.headers[x-user]', 'request.auth.principal', 'remote.ip', 'connection.sni', 'experimental.envoy.filters.a.b[c]']
    .map((key): [string, RuleObject, string[]] => [`when ${key}`, selected({ from: [fromWeb], when: [{ key, values: ['x'] }] }), ['spec.rules[0].when[0].key']]),
  ['a condition without a key', selected({ from: [fromWeb], when: [{ values: ['x'] }] }), ['spec.rules[0].when[0].key']],
  ['namespace-wide ALLOW with paths', policy({ rules: [{ to: [{ operation: { paths: ['/healthz'] } }] }] }), ['spec.rules[0].to[0].operation.paths']],
  ['action absent (ALLOW) with methods', policy({ selector: SELECTOR, rules: [{ to: [{ operation: { methods: ['GET'] } }] }] }), ['spec.rules[0].to[0].operation.methods']],
  ['DENY with paths (becomes DENY of everything it matches at L4)', policy({ selector: SELECTOR, action: 'DENY', rules: [{ from: [fromWeb], to: [{ operation: { paths: ['/admin'] } }] }] }),
    ['spec.rules[0].to[0].operation.paths']],
  ['CUSTOM with a selector (ztunnel ignores it)', policy({ selector: SELECTOR, action: 'CUSTOM', provider: { name: 'ext-authz' }, rules: [{ to: [{ operation: { paths: ['/admin'] } }] }] }),
    ['spec.action']],
  ['CUSTOM namespace-wide on L4 attributes only', policy({ action: 'CUSTOM', provider: { name: 'ext-authz' }, rules: [{ to: [{ operation: { ports: ['8080'] } }] }] }), ['spec.action']],
  ['empty targetRefs binds to ztunnel', policy({ targetRefs: [], rules: [{ to: [{ operation: { methods: ['GET'] } }] }] }), ['spec.rules[0].to[0].operation.methods']],
  ['empty selector', policy({ selector: {}, rules: [{ to: [{ operation: { hosts: ['a'] } }] }] }), ['spec.rules[0].to[0].operation.hosts']],
  ['methods as a string (wrong shape, still HTTP)', selected({ to: [{ operation: { methods: 'GET' } }] }), ['spec.rules[0].to[0].operation.methods']],
  ['every place at once, in rule order', policy({
    selector: SELECTOR,
    rules: [
      { from: [fromWeb], to: [{ operation: { ports: ['9080'] } }] },
      {
        from: [fromWeb, { source: { requestPrincipals: ['*'] } }],
        to: [{ operation: { ports: ['9080'] } }, { operation: { paths: ['/a'], notMethods: ['DELETE'] } }],
        when: [{ key: 'source.ip', values: ['10.0.0.1'] }, { key: 'request.auth.audiences', values: ['api'] }],
      },
    ],
  }), ['spec.rules[1].to[1].operation.notMethods', 'spec.rules[1].to[1].operation.paths', 'spec.rules[1].from[1].source.requestPrincipals', 'spec.rules[1].when[1].key']],
];

describe('MESH-AMBIENT-001 ztunnel-bound AuthorizationPolicies use L4 attributes only (AUTHZ-1, AUTHZ-3)', () => {
  test('metadata', () => {
    expect(rule.practices).toEqual(['AUTHZ-1', 'AUTHZ-3']);
    expect(rule.since).toBe('2');
    expect(rule.kinds).toEqual(['security.istio.io/AuthorizationPolicy']);
  });

  test('the attributes treated as HTTP are Istio\'s (pilot ambient/authorization.go)', () => {
    expect(ZTUNNEL_L7_OPERATION_FIELDS).toEqual(['hosts', 'notHosts', 'methods', 'notMethods', 'paths', 'notPaths']);
    expect(ZTUNNEL_L7_SOURCE_FIELDS).toEqual(['requestPrincipals', 'notRequestPrincipals', 'remoteIpBlocks', 'notRemoteIpBlocks']);
    expect(ZTUNNEL_L4_CONDITION_KEYS).toEqual(['source.ip', 'source.namespace', 'source.principal', 'destination.ip', 'destination.port']);
  });

  describeAmbientTable(rule, GOOD, BAD, {
    notAmbient: 'every policy passes (sidecars enforce HTTP rules)',
    expectFailure: (violations, [, , paths]) => expect(violations.map((v) => v.path)).toEqual(paths),
  });

  test('the messages say what ztunnel does with the rule', () => {
    const [allow] = checkIn(rule, BAD[0][1], AMBIENT_NS);
    expect(allow.message).toBe('ALLOW policy in ambient namespace shop, bound by its selector, so ztunnel enforces it: operation.hosts is HTTP (L7), '
      + 'which ztunnel cannot match; ztunnel drops the rule, so what it allows is denied (attach the policy to the waypoint with targetRefs)');
    const deny = BAD.find(([n]) => n.startsWith('DENY'))![1];
    expect(checkIn(rule, deny, AMBIENT_NS)[0].message).toContain('ztunnel enforces the rule without it, so it denies more than intended');
    const custom = BAD.find(([n]) => n.startsWith('CUSTOM namespace-wide'))![1];
    expect(checkIn(rule, custom, AMBIENT_NS)[0].message).toBe('CUSTOM policy in ambient namespace shop, namespace-wide (no selector, no targetRefs), so ztunnel '
      + 'enforces it: ztunnel does not support CUSTOM and ignores the policy, so the external authorizer is never asked (attach it to the waypoint with targetRefs)');
    const when = BAD.find(([n]) => n === 'when connection.sni')![1];
    expect(checkIn(rule, when, AMBIENT_NS)[0].message).toContain('condition "connection.sni" is HTTP (L7)');
  });

  test.each([
    ['rules a string', policy({ selector: SELECTOR, rules: 'x' })],
    ['rules with null and strings', policy({ rules: [null, 'x', { to: 'x', from: 5, when: 'x' }] })],
    ['operation and source null', policy({ rules: [{ to: [{ operation: null }, null], from: [{ source: null }], when: [null, 'x', { key: 5 }] }] })],
    ['targetRefs an object', policy({ targetRefs: { kind: 'Service' }, rules: [{ to: [{ operation: { paths: ['/'] } }] }] })],
    ['targetRef a string', policy({ targetRef: 'api', rules: [{ to: [{ operation: { paths: ['/'] } }] }] })],
    ['action a number', policy({ action: 5, rules: [{ to: [{ operation: { paths: ['/'] } }] }] })],
    ['no metadata', { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', spec: { rules: [{ to: [{ operation: { paths: ['/'] } }] }] } }],
    ['namespace a number', { ...policy({}), metadata: { name: 'p', namespace: 5 } }],
  ])('odd shape does not throw: %s', (_name, object) => {
    const ctx = ruleContext([AMBIENT_NS, namespace('x', null as any), { kind: 'Namespace', apiVersion: 'v1' }, object as RuleObject]);
    expect(() => rule.check(object as RuleObject, ctx)).not.toThrow();
  });

  test('wrong-shaped attachments bind to ztunnel (the API server refuses them anyway)', () => {
    expect(checkIn(rule, policy({ targetRefs: { kind: 'Service' }, rules: [{ to: [{ operation: { paths: ['/'] } }] }] }), AMBIENT_NS)).toHaveLength(1);
    expect(checkIn(rule, policy({ targetRef: 'api', rules: [{ to: [{ operation: { paths: ['/'] } }] }] }), AMBIENT_NS)).toHaveLength(1);
  });

  test('other kinds are ignored, by check() and admission alike', () => {
    const spec = { selector: SELECTOR, rules: [{ to: [{ operation: { paths: ['/'] } }] }] };
    for (const object of [
      { ...policy(spec), kind: 'RequestAuthentication' },
      { ...policy(spec), apiVersion: 'example.com/v1' },
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'shop' }, spec: { containers: [] } },
    ]) {
      expect(checkIn(rule, object, AMBIENT_NS)).toEqual([]);
      expect(admitsIn(rule, object, AMBIENT_NS)).toBe(true);
    }
  });

  describe('what the library synthesizes', () => {
    test('the example blueprint (sidecar mode) passes', () => {
      expect(findingsOver(rule, sidecarBlueprint())).toEqual([]);
    });

    test('the sidecar blueprint (selector policies with paths, methods and requestPrincipals) passes: its namespace is not ambient', () => {
      const objects = synthValidated(sidecarShop().chart);
      expect(objects.some((o) => o.kind === 'AuthorizationPolicy' && o.spec?.rules?.[0]?.to?.[0]?.operation?.paths)).toBe(true);
      expect(findingsOver(rule, objects)).toEqual([]);
    });

    test('relabelled ambient afterwards, its L7 selector policy is reported, field by field', () => {
      const objects = sidecarOutputRelabelledAmbient(synthValidated(sidecarShop().chart));
      expect(findingsOver(rule, objects)).toEqual([
        'AuthorizationPolicy/api spec.rules[0].to[0].operation.methods',
        'AuthorizationPolicy/api spec.rules[0].to[0].operation.paths',
        'AuthorizationPolicy/api spec.rules[0].from[0].source.requestPrincipals',
      ]);
    });
  });

  describe('in synthesis', () => {
    test('a JSON patch that turns the library\'s sidecar namespace ambient fails synthesis on its L7 selector policy', () => {
      const { chart } = sidecarShop();
      flipToAmbient(chart);
      expect(() => Testing.synth(chart)).toThrow(
        /MESH-AMBIENT-001 \(AUTHZ-1, AUTHZ-3\): \[test\/api\/[^\]]*\] AuthorizationPolicy\/shop\/api spec\.rules\[0\]\.to\[0\]\.operation\.methods: ALLOW policy in ambient namespace shop/);
    });
  });
});

/*
 * The external corpus (Kyverno, Gatekeeper, ASM, istio.io, sample apps) holds no ambient namespace,
 * waypoint or targetRefs policy: nothing there labels this check. Read with its own Namespaces, its
 * AuthorizationPolicies (several with paths and methods, all for sidecars) raise nothing.
 */
describeWithShared('external-corpus', 'the external corpus (sidecar mode only): no finding', (dir) => {
  const objects = corpus(dir);
  const namespaces = new Map(objects.filter((o) => o.kind === 'Namespace').map((o) => [o.metadata?.name, o]));

  test('it has L7 AuthorizationPolicies and no ambient namespace', () => {
    const policies = objects.filter((o) => o.kind === 'AuthorizationPolicy');
    expect(policies.some((p) => JSON.stringify(p.spec ?? {}).match(/"(paths|methods)"/))).toBe(true);
    expect(JSON.stringify(objects)).not.toMatch(/dataplane-mode|waypoint|targetRef/);
  });

  test('check() and admission report nothing', () => {
    expect(findingsOver(rule, objects)).toEqual([]);
    const refused = objects.filter((o) => !admitsIn(rule, o, namespaces.get(o.metadata?.namespace)));
    expect(refused.map((o) => `${o.kind}/${o.metadata?.name}`)).toEqual([]);
  });
});
