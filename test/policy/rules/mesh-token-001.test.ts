import { ApiObject, JsonPatch, Testing } from 'cdk8s';
import {
  EDGE, EDGE_SELECTOR, EGRESS, EXTERNAL, INTERNAL, apiGateway, authz, corpusObjects, istioGateway, jwtRule, requestAuthn, tokenChart,
} from './mesh-token-fixtures';
import { libraryApps } from './network-fixtures';
import { BlueprintChart } from '../../../examples/blueprint/blueprint';
import { RuleObject, RuleSeverity } from '../../../src/policy/rule';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import { MESH_TOKEN_001 as rule, issuerValueNames, principalNamesIssuer } from '../../../src/policy/rules/mesh-token-001';
import { synthValidated } from '../../helpers';
import { describeWithShared } from '../../shared';

/** The edge: the ingress Gateway and its RequestAuthentication accepting the external issuer. */
const EDGE_AUTHN = requestAuthn('edge-jwt', 'istio-system', { selector: EDGE_SELECTOR, jwtRules: [jwtRule(EXTERNAL)] });
const WEB = { matchLabels: { app: 'web' } };
const allow = (source: object, extra: object = {}) => ({ selector: WEB, action: 'ALLOW', rules: [{ from: [{ source }], ...extra }] });

function run(objects: RuleObject[]): [string | undefined, string][] {
  return rule.checkAll!(ruleContext(objects)).map((f) => [f.object?.metadata?.name, f.violation.path]);
}

const GOOD: [string, RuleObject[]][] = [
  ['services accept the internal issuer only', [EDGE, EDGE_AUTHN, requestAuthn('web-jwt', 'shop', { selector: WEB, jwtRules: [jwtRule(INTERNAL)] })]],
  ['service rules name internal request principals', [EDGE, EDGE_AUTHN, authz('web', 'shop', allow({ principals: ['cluster.local/ns/istio-system/sa/gw'], requestPrincipals: [`${INTERNAL}/*`] }))]],
  ['requestPrincipals "*" (what the workload\'s own RequestAuthentication accepted)', [EDGE, EDGE_AUTHN, authz('web', 'shop', allow({ requestPrincipals: ['*'] }))]],
  ['a suffix pattern names no issuer', [EDGE, EDGE_AUTHN, authz('web', 'shop', allow({ requestPrincipals: ['*@example.com'] }))]],
  ['a DENY policy naming the external issuer', [EDGE, EDGE_AUTHN, authz('web', 'shop', { ...allow({ requestPrincipals: [`${EXTERNAL}/*`] }), action: 'DENY' })]],
  ['the edge gateway\'s own ALLOW rules name the external issuer',
    [EDGE, EDGE_AUTHN, authz('edge', 'istio-system', { selector: EDGE_SELECTOR, action: 'ALLOW', rules: [{ from: [{ source: { requestPrincipals: [`${EXTERNAL}/*`] } }] }] })]],
  ['conditions on the internal issuer', [EDGE, EDGE_AUTHN, authz('web', 'shop', allow({ principals: ['a/b'] }, { when: [{ key: 'request.auth.claims[iss]', values: [INTERNAL] }] }))]],
  ['no RequestAuthentication at the edge: no issuer is known to be external', [EDGE, requestAuthn('web-jwt', 'shop', { selector: WEB, jwtRules: [jwtRule(EXTERNAL)] })]],
  ['a RequestAuthentication with the gateway\'s labels outside its namespace does not make issuers external',
    [EDGE, requestAuthn('lookalike', 'shop', { selector: EDGE_SELECTOR, jwtRules: [jwtRule('https://lookalike.example.com')] }),
      requestAuthn('web-jwt', 'shop', { selector: WEB, jwtRules: [jwtRule(INTERNAL)] })]],
  ['namespace-wide at a gateway namespace of its own',
    [istioGateway('edge', 'istio-ingress', { istio: 'ingressgateway' }), requestAuthn('edge', 'istio-ingress', { jwtRules: [jwtRule(EXTERNAL)] }),
      requestAuthn('web-jwt', 'shop', { selector: WEB, jwtRules: [jwtRule(INTERNAL)] })]],
];

const BAD: [string, RuleObject[], [string, string][]][] = [
  ['a service accepts the external issuer', [EDGE, EDGE_AUTHN, requestAuthn('web-jwt', 'shop', { selector: WEB, jwtRules: [jwtRule(INTERNAL), jwtRule(EXTERNAL)] })],
    [['web-jwt', 'spec.jwtRules[1].issuer']]],
  ['a mesh-wide RequestAuthentication accepts it (gateway and services alike)', [EDGE, requestAuthn('everyone', 'istio-system', { jwtRules: [jwtRule(EXTERNAL)] })],
    [['everyone', 'spec.jwtRules[0].issuer']]],
  ['a namespace-wide RequestAuthentication in a service namespace', [EDGE, EDGE_AUTHN, requestAuthn('shop', 'shop', { jwtRules: [jwtRule(EXTERNAL)] })],
    [['shop', 'spec.jwtRules[0].issuer']]],
  ['the egress gateway is in the mesh', [EDGE, EGRESS, EDGE_AUTHN, requestAuthn('egress-jwt', 'istio-system', { selector: { matchLabels: { istio: 'egressgateway' } }, jwtRules: [jwtRule(EXTERNAL)] })],
    [['egress-jwt', 'spec.jwtRules[0].issuer']]],
  ['a targetRef to a Service (its waypoint)', [EDGE, EDGE_AUTHN, requestAuthn('svc', 'shop', { targetRefs: [{ group: '', kind: 'Service', name: 'web' }], jwtRules: [jwtRule(EXTERNAL)] })],
    [['svc', 'spec.jwtRules[0].issuer']]],
  ['the edge is a Gateway API gateway',
    [apiGateway('public', 'ingress'), requestAuthn('public', 'ingress', { targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'public' }], jwtRules: [jwtRule(EXTERNAL)] }),
      requestAuthn('web-jwt', 'shop', { selector: WEB, jwtRules: [jwtRule(EXTERNAL)] })],
    [['web-jwt', 'spec.jwtRules[0].issuer']]],
  ['service rules name external request principals',
    [EDGE, EDGE_AUTHN, authz('web', 'shop', allow({ requestPrincipals: [`${INTERNAL}/*`, `${EXTERNAL}/*`, `${EXTERNAL}/alice`, 'https://login.*'] }))],
    [['web', 'spec.rules[0].from[0].source.requestPrincipals[1]'], ['web', 'spec.rules[0].from[0].source.requestPrincipals[2]'],
      ['web', 'spec.rules[0].from[0].source.requestPrincipals[3]']]],
  ['service rules with conditions on the external issuer',
    [EDGE, EDGE_AUTHN, authz('web', 'shop', allow({ principals: ['a/b'] }, {
      when: [{ key: 'request.auth.claims[iss]', values: [INTERNAL, EXTERNAL] }, { key: 'request.auth.principal', values: [`${EXTERNAL}/bob`] }, { key: 'source.ip', values: [EXTERNAL] }],
    }))],
    [['web', 'spec.rules[0].when[0].values[1]'], ['web', 'spec.rules[0].when[1].values[0]']]],
  ['a namespace-wide policy without action (ALLOW)', [EDGE, EDGE_AUTHN, authz('shop', 'shop', { rules: [{ from: [{ source: { requestPrincipals: [`${EXTERNAL}/*`] } }] }] })],
    [['shop', 'spec.rules[0].from[0].source.requestPrincipals[0]']]],
];

describe('MESH-TOKEN-001 an in-mesh service never accepts an external issuer (TOKEN-1, JWT-1)', () => {
  test('metadata: checkAll only, no admission form', () => {
    expect(rule.id).toBe('MESH-TOKEN-001');
    expect(rule.practices).toEqual(['TOKEN-1', 'JWT-1']);
    expect(rule.severity).toBe(RuleSeverity.ERROR);
    expect(rule.since).toBe('2');
    expect(rule.kinds).toEqual([]);
    expect(rule.admission).toBeUndefined();
    expect(rule.check(BAD[0][1][2], ruleContext(BAD[0][1]))).toEqual([]);
  });

  test.each(GOOD)('passes: %s', (_n, objects) => expect(run(objects)).toEqual([]));

  test.each(BAD)('fails: %s', (_n, objects, expected) => expect(run(objects)).toEqual(expected));

  test('messages name the issuer, where the edge accepts it and how the policy applies', () => {
    const [authn] = rule.checkAll!(ruleContext(BAD[0][1]));
    expect(authn.object).toBe(BAD[0][1][2]);
    expect(authn.violation.message).toBe('accepts the external issuer "https://login.example.com" (accepted at the edge by '
      + 'RequestAuthentication/istio-system/edge-jwt) and it applies to in-mesh workloads (selector app=web)');
    expect(rule.checkAll!(ruleContext(BAD[6][1]))[0].violation.message).toBe('allows request principal "https://login.example.com/*" of the external issuer '
      + '"https://login.example.com" (accepted at the edge by RequestAuthentication/istio-system/edge-jwt) and it applies to in-mesh workloads (selector app=web)');
  });

  test.each([
    ['*', false], ['*@example.com', false], [`${EXTERNAL}/*`, true], [`${EXTERNAL}/alice`, true], [`${EXTERNAL}*`, true], ['https://*', true],
    [`${EXTERNAL}`, false], [`${EXTERNAL}.evil/*`, false], [`${INTERNAL}/*`, false], ['', false],
  ])('principalNamesIssuer(%j) for the external issuer is %s', (value, expected) => {
    expect(principalNamesIssuer(value as string, EXTERNAL)).toBe(expected);
  });

  test.each([
    [EXTERNAL, true], ['*', false], ['https://login.*', true], ['*.example.com', true], [INTERNAL, false], [`${EXTERNAL}/`, false],
  ])('issuerValueNames(%j) for the external issuer is %s', (value, expected) => {
    expect(issuerValueNames(value as string, EXTERNAL)).toBe(expected);
  });

  test.each([
    ['RequestAuthentication spec null', [EDGE, EDGE_AUTHN, requestAuthn('x', 'shop', null)]],
    ['issuer of another type', [EDGE, requestAuthn('edge', 'istio-system', { selector: EDGE_SELECTOR, jwtRules: [{ issuer: 1 }, null, 'x'] }), requestAuthn('x', 'shop', { jwtRules: [{ issuer: 1 }] })]],
    ['AuthorizationPolicy rules of odd shapes', [EDGE, EDGE_AUTHN, authz('x', 'shop', { rules: [null, { from: 'x', when: [null, { key: 'request.auth.principal', values: 'x' }] }, { from: [null, { source: null }, { source: { requestPrincipals: [1, null] } }] }] })]],
    ['AuthorizationPolicy rules a string', [EDGE, EDGE_AUTHN, authz('x', 'shop', { rules: 'all' })]],
    ['selectors of odd shapes', [EDGE, EDGE_AUTHN, authz('x', 'shop', { selector: 'web', targetRef: 'x', rules: [] }), requestAuthn('y', 'shop', { selector: { matchLabels: 'x' }, jwtRules: [jwtRule(EXTERNAL)] })]],
  ])('odd shape does not throw: %s', (_n, objects) => {
    expect(() => rule.checkAll!(ruleContext(objects as RuleObject[]))).not.toThrow();
  });

  test('other kinds are ignored', () => {
    const peer = { ...requestAuthn('web-jwt', 'shop', { selector: WEB, jwtRules: [jwtRule(EXTERNAL)] }), kind: 'PeerAuthentication' };
    const otherGroup = { ...authz('web', 'shop', allow({ requestPrincipals: [`${EXTERNAL}/*`] })), apiVersion: 'example.com/v1' };
    expect(run([EDGE, EDGE_AUTHN, peer, otherGroup])).toEqual([]);
  });

  test('what the library writes passes: external issuer at the gateway, the exchange\'s internal issuer in the mesh', () => {
    const objects = synthValidated(tokenChart()) as RuleObject[];
    expect(objects.filter((o) => o.kind === 'RequestAuthentication').map((o) => [o.metadata?.name, o.spec.jwtRules.map((r: any) => r.issuer)])).toEqual([
      ['web-jwt', [INTERNAL]],
      ['orders-jwt', [INTERNAL]],
      ['edge-jwt', [EXTERNAL]],
    ]);
    expect(rule.checkAll!(ruleContext(objects))).toEqual([]);
    expect(rule.checkAll!(ruleContext(synthValidated(tokenChart(false))))).toEqual([]);
    expect(rule.checkAll!(ruleContext(synthValidated(new BlueprintChart(Testing.app(), 'blueprint'))))).toEqual([]);
    for (const app of libraryApps()) expect(rule.checkAll!(app.ctx)).toEqual([]);
  });

  describe('in synthesis', () => {
    test('a JSON patch making a service accept the external issuer fails', () => {
      const chart = tokenChart();
      const authn = chart.node.findAll().find((c) => c instanceof ApiObject && c.kind === 'RequestAuthentication' && c.metadata.name === 'orders-jwt') as ApiObject;
      authn.addJsonPatch(JsonPatch.replace('/spec/jwtRules/0/issuer', EXTERNAL));
      expect(() => Testing.synth(chart)).toThrow(
        /MESH-TOKEN-001 \(TOKEN-1, JWT-1\): \[test\/orders\/RequestAuthentication\] RequestAuthentication\/shop\/orders-jwt spec\.jwtRules\[0\]\.issuer: accepts the external issuer "https:\/\/login\.example\.com"/);
    });

    test('a JSON patch naming external request principals in a service\'s rules fails', () => {
      const chart = tokenChart();
      const policy = chart.node.findAll().find((c) => c instanceof ApiObject && c.kind === 'AuthorizationPolicy' && c.metadata.name === 'web'
        && c.metadata.namespace === 'shop') as ApiObject;
      policy.addJsonPatch(JsonPatch.replace('/spec/rules/0/from/0/source/requestPrincipals/0', `${EXTERNAL}/*`));
      expect(() => Testing.synth(chart)).toThrow(
        /MESH-TOKEN-001 \(TOKEN-1, JWT-1\): \[test\/web\/AuthorizationPolicy\] AuthorizationPolicy\/shop\/web spec\.rules\[0\]\.from\[0\]\.source\.requestPrincipals\[0\]/);
    });

    test('a raw RequestAuthentication accepting the external issuer next to the library\'s fails', () => {
      const chart = tokenChart();
      new ApiObject(chart, 'raw', requestAuthn('raw', 'shop', { selector: WEB, jwtRules: [jwtRule(EXTERNAL)] }) as any);
      expect(() => Testing.synth(chart)).toThrow(/MESH-TOKEN-001 \(TOKEN-1, JWT-1\): \[test\/raw\] RequestAuthentication\/shop\/raw spec\.jwtRules\[0\]\.issuer/);
    });
  });
});

/*
 * The external corpus holds no RequestAuthentication, so no issuer in it is external: nothing
 * labels this check. The test shows that the rule reads every upstream resource without throwing.
 */
describeWithShared('external-corpus', 'the external corpus (no RequestAuthentication in it)', (corpus) => {
  test('reads everything, reports nothing', () => {
    expect(rule.checkAll!(ruleContext(corpusObjects(corpus).map((c) => c.object)))).toEqual([]);
  });
});
