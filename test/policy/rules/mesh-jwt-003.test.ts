import { ApiObject, JsonPatch, Testing } from 'cdk8s';
import {
  EDGE, EDGE_SELECTOR, EGRESS, EXTERNAL, INTERNAL, apiGateway, corpusObjects, deployment, istioGateway, jwtRule, requestAuthn, tokenChart,
} from './mesh-token-fixtures';
import { libraryApps } from './network-fixtures';
import { BlueprintChart } from '../../../examples/blueprint/blueprint';
import { admits } from '../../../src/policy/admission-cel';
import { RuleObject, RuleSeverity } from '../../../src/policy/rule';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import { MESH_JWT_003 as rule } from '../../../src/policy/rules/mesh-jwt-003';
import { synthValidated } from '../../helpers';
import { describeWithShared } from '../../shared';

const forward = (issuer = EXTERNAL) => jwtRule(issuer, { forwardOriginalToken: true });

function run(objects: RuleObject[]): [string | undefined, string][] {
  return rule.checkAll!(ruleContext(objects)).map((f) => [f.object?.metadata?.name, f.violation.path]);
}

const GOOD: [string, RuleObject[]][] = [
  ['the edge does not forward (false)', [EDGE, requestAuthn('edge-jwt', 'istio-system', { selector: EDGE_SELECTOR, jwtRules: [jwtRule(EXTERNAL, { forwardOriginalToken: false })] })]],
  ['the edge does not forward (unset: Istio removes the token)', [EDGE, requestAuthn('edge-jwt', 'istio-system', { selector: EDGE_SELECTOR, jwtRules: [jwtRule(EXTERNAL)] })]],
  ['an in-mesh service passes its internal token on', [EDGE, requestAuthn('web-jwt', 'shop', { selector: { matchLabels: { app: 'web' } }, jwtRules: [forward(INTERNAL)] })]],
  ['the egress gateway (only ISTIO_MUTUAL servers) is not the edge',
    [EDGE, EGRESS, requestAuthn('egress-jwt', 'istio-system', { selector: { matchLabels: { istio: 'egressgateway' } }, jwtRules: [forward(INTERNAL)] })]],
  ['the gateway\'s labels in another namespace (not the root, no gateway pods there)',
    [EDGE, requestAuthn('lookalike', 'shop', { selector: EDGE_SELECTOR, jwtRules: [forward()] })]],
  ['namespace-wide in a namespace without a gateway', [EDGE, requestAuthn('shop-jwt', 'shop', { jwtRules: [forward(INTERNAL)] })]],
  ['a selector the gateway pods do not carry', [EDGE, requestAuthn('other', 'istio-system', { selector: { matchLabels: { istio: 'ingressgateway', app: 'other' } }, jwtRules: [forward()] })]],
  ['targetRef to a Service (its waypoint, in the mesh)',
    [EDGE, requestAuthn('svc', 'shop', { targetRefs: [{ group: '', kind: 'Service', name: 'web' }], jwtRules: [forward(INTERNAL)] })]],
  ['targetRef to a waypoint Gateway', [apiGateway('waypoint', 'shop', 'istio-waypoint'),
    requestAuthn('waypoint', 'shop', { targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'waypoint' }], jwtRules: [forward(INTERNAL)] })]],
  ['no Gateway in the output: nothing is known to be the edge', [requestAuthn('edge-jwt', 'istio-system', { selector: EDGE_SELECTOR, jwtRules: [forward()] })]],
];

const BAD: [string, RuleObject[], [string, string][]][] = [
  ['the edge gateway forwards the external token',
    [EDGE, requestAuthn('edge-jwt', 'istio-system', { selector: EDGE_SELECTOR, jwtRules: [forward()] })],
    [['edge-jwt', 'spec.jwtRules[0].forwardOriginalToken']]],
  ['one rule of several',
    [EDGE, requestAuthn('edge-jwt', 'istio-system', { selector: EDGE_SELECTOR, jwtRules: [jwtRule(EXTERNAL), forward('https://other.example.com')] })],
    [['edge-jwt', 'spec.jwtRules[1].forwardOriginalToken']]],
  ['mesh-wide in the root namespace (the gateway included)',
    [EDGE, requestAuthn('everyone', 'istio-system', { jwtRules: [forward()] })],
    [['everyone', 'spec.jwtRules[0].forwardOriginalToken']]],
  ['namespace-wide in the gateway\'s own namespace',
    [istioGateway('edge', 'istio-ingress', { istio: 'ingressgateway' }), requestAuthn('ns', 'istio-ingress', { selector: { matchLabels: {} }, jwtRules: [forward()] })],
    [['ns', 'spec.jwtRules[0].forwardOriginalToken']]],
  ['a selector in the root namespace reaches gateway pods of another namespace',
    [istioGateway('edge', 'istio-ingress', { istio: 'ingressgateway' }), requestAuthn('root', 'istio-system', { selector: EDGE_SELECTOR, jwtRules: [forward()] })],
    [['root', 'spec.jwtRules[0].forwardOriginalToken']]],
  ['a label of the gateway Deployment\'s pods that the Gateway does not list',
    [EDGE, deployment('istio-ingressgateway', 'istio-system', { app: 'istio-ingressgateway', istio: 'ingressgateway' }),
      requestAuthn('by-app', 'istio-system', { selector: { matchLabels: { app: 'istio-ingressgateway' } }, jwtRules: [forward()] })],
    [['by-app', 'spec.jwtRules[0].forwardOriginalToken']]],
  ['a gateway with a plaintext server is at the edge too',
    [{ ...EDGE, spec: { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*'] }] } },
      requestAuthn('edge-jwt', 'istio-system', { selector: EDGE_SELECTOR, jwtRules: [forward()] })],
    [['edge-jwt', 'spec.jwtRules[0].forwardOriginalToken']]],
  ['targetRefs to a Gateway API gateway',
    [apiGateway('public', 'ingress'), requestAuthn('public-jwt', 'ingress', { targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'public' }], jwtRules: [forward()] })],
    [['public-jwt', 'spec.jwtRules[0].forwardOriginalToken']]],
  ['targetRef (singular) to a Gateway API gateway',
    [apiGateway('public', 'ingress'), requestAuthn('public-jwt', 'ingress', { targetRef: { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'public' }, jwtRules: [forward()] })],
    [['public-jwt', 'spec.jwtRules[0].forwardOriginalToken']]],
  ['selector labels of Istio\'s Gateway API deployment',
    [apiGateway('public', 'ingress'),
      requestAuthn('public-jwt', 'ingress', { selector: { matchLabels: { 'gateway.networking.k8s.io/gateway-name': 'public' } }, jwtRules: [forward()] })],
    [['public-jwt', 'spec.jwtRules[0].forwardOriginalToken']]],
];

describe('MESH-JWT-003 the edge does not forward the external token into the mesh (TOKEN-1)', () => {
  describe('admission, with the app\'s edge gateways written in (admissionFor)', () => {
    const cases = [...GOOD.map(([n, objects]) => [n, objects] as const), ...BAD.map(([n, objects]) => [n, objects] as const)];
    test.each(cases)('%s: admission agrees with checkAll on every RequestAuthentication', (_n, objects) => {
      const ctx = ruleContext(objects);
      const check = rule.admissionFor!(ctx);
      const flagged = new Set(rule.checkAll!(ctx).map((f) => f.object));
      const policies = objects.filter((o) => o.kind === 'RequestAuthentication');
      expect(policies.length).toBeGreaterThan(0);
      for (const o of policies) expect([o.metadata?.name, admits(check, o)]).toEqual([o.metadata?.name, !flagged.has(o)]);
    });

    test('other kinds are admitted; without edge gateways everything is', () => {
      const check = rule.admissionFor!(ruleContext([EDGE]));
      expect(admits(check, EDGE)).toBe(true);
      const forwarding = requestAuthn('edge-jwt', 'istio-system', { selector: EDGE_SELECTOR, jwtRules: [forward()] });
      expect(admits(rule.admissionFor!(ruleContext([])), forwarding)).toBe(true);
      expect(admits(check, forwarding)).toBe(false);
    });
  });

  test('metadata: checkAll, and an admission form with the app\'s gateways', () => {
    expect(rule.id).toBe('MESH-JWT-003');
    expect(rule.practices).toEqual(['TOKEN-1']);
    expect(rule.severity).toBe(RuleSeverity.ERROR);
    expect(rule.since).toBe('2');
    expect(rule.kinds).toEqual([]);
    expect(rule.admission).toBeUndefined();
    expect(rule.admissionFor).toBeDefined();
    expect(rule.check(BAD[0][1][1], ruleContext(BAD[0][1]))).toEqual([]);
  });

  test.each(GOOD)('passes: %s', (_n, objects) => expect(run(objects)).toEqual([]));

  test.each(BAD)('fails: %s', (_n, objects, expected) => expect(run(objects)).toEqual(expected));

  test('the message names the gateway, how the policy applies and the issuer', () => {
    const [found] = rule.checkAll!(ruleContext(BAD[0][1]));
    expect(found.object).toBe(BAD[0][1][1]);
    expect(found.violation.message).toBe('forwardOriginalToken is true and the RequestAuthentication (selector istio=ingressgateway in every namespace, from the root namespace) applies to the edge gateway '
      + 'Gateway/istio-system/edge: the external token of issuer "https://login.example.com" travels on into the mesh');
    expect(rule.checkAll!(ruleContext(BAD[2][1]))[0].violation.message).toContain('(mesh-wide: no selector in the root namespace "istio-system")');
  });

  test('the root namespace comes from the context', () => {
    const objects = [istioGateway('edge', 'mesh-root', { istio: 'ingressgateway' }), requestAuthn('everyone', 'mesh-root', { jwtRules: [forward()] })];
    expect(rule.checkAll!(ruleContext(objects, { rootNamespace: 'mesh-root' })).map((f) => f.violation.path)).toEqual(['spec.jwtRules[0].forwardOriginalToken']);
    const elsewhere = [EDGE, requestAuthn('everyone', 'mesh-root', { jwtRules: [forward()] })];
    expect(rule.checkAll!(ruleContext(elsewhere)).length).toBe(0);
  });

  test.each([
    ['spec null', [EDGE, requestAuthn('x', 'istio-system', null)]],
    ['no spec', [EDGE, requestAuthn('x', 'istio-system', undefined)]],
    ['jwtRules a string', [EDGE, requestAuthn('x', 'istio-system', { jwtRules: 'forward' })]],
    ['jwtRules entries of other types', [EDGE, requestAuthn('x', 'istio-system', { jwtRules: [null, 'x', 1, { forwardOriginalToken: true }] })]],
    ['selector a string, targetRefs a string', [EDGE, requestAuthn('x', 'istio-system', { selector: 'istio=ingressgateway', targetRefs: 'gw', jwtRules: [forward()] })]],
    ['Gateway with spec null, servers a string, selector a list', [{ ...EDGE, spec: null }, { ...EGRESS, spec: { servers: 'x', selector: ['a'] } },
      apiGateway('x', 'y'), { ...apiGateway('no-name', 'y'), metadata: {} }, requestAuthn('x', 'istio-system', { jwtRules: [forward()] })]],
    ['a Deployment without a template', [EDGE, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: null }, requestAuthn('x', 'istio-system', { jwtRules: [forward()] })]],
  ])('odd shape does not throw: %s', (_n, objects) => {
    expect(() => rule.checkAll!(ruleContext(objects as RuleObject[]))).not.toThrow();
  });

  test('a forwardOriginalToken other than true is not forwarding (the API server refuses non-booleans)', () => {
    expect(run([EDGE, requestAuthn('edge-jwt', 'istio-system', { selector: EDGE_SELECTOR, jwtRules: [jwtRule(EXTERNAL, { forwardOriginalToken: 'true' })] })])).toEqual([]);
  });

  test('other kinds are ignored', () => {
    const peer = { ...requestAuthn('edge-jwt', 'istio-system', { selector: EDGE_SELECTOR, jwtRules: [forward()] }), kind: 'PeerAuthentication' };
    const otherGroup = { ...requestAuthn('edge-jwt', 'istio-system', { selector: EDGE_SELECTOR, jwtRules: [forward()] }), apiVersion: 'example.com/v1' };
    expect(run([EDGE, peer, otherGroup])).toEqual([]);
  });

  test('the library writes forwardOriginalToken false at the edge, and its output passes', () => {
    const objects = synthValidated(tokenChart()) as RuleObject[];
    const edge = objects.find((o) => o.kind === 'RequestAuthentication' && o.metadata?.name === 'edge-jwt')!;
    expect(edge.spec.jwtRules.map((r: any) => r.forwardOriginalToken)).toEqual([false]);
    expect(rule.checkAll!(ruleContext(objects))).toEqual([]);
    expect(rule.checkAll!(ruleContext(synthValidated(tokenChart(false))))).toEqual([]);
    expect(rule.checkAll!(ruleContext(synthValidated(new BlueprintChart(Testing.app(), 'blueprint'))))).toEqual([]);
    for (const app of libraryApps()) expect(rule.checkAll!(app.ctx)).toEqual([]);
  });

  describe('in synthesis', () => {
    test('a JSON patch forwarding the token at IngressGateway fails', () => {
      const chart = tokenChart();
      const authn = chart.node.findAll().find((c) => c instanceof ApiObject && c.kind === 'RequestAuthentication' && c.metadata.name === 'edge-jwt') as ApiObject;
      authn.addJsonPatch(JsonPatch.replace('/spec/jwtRules/0/forwardOriginalToken', true));
      expect(() => Testing.synth(chart)).toThrow(
        /MESH-JWT-003 \(TOKEN-1\): \[test\/edge\/RequestAuthentication\] RequestAuthentication\/istio-system\/edge-jwt spec\.jwtRules\[0\]\.forwardOriginalToken: forwardOriginalToken is true/);
    });

    test('a raw mesh-wide RequestAuthentication forwarding the token fails', () => {
      const chart = tokenChart();
      new ApiObject(chart, 'forward-all', requestAuthn('forward-all', 'istio-system', { jwtRules: [forward()] }) as any);
      expect(() => Testing.synth(chart)).toThrow(/MESH-JWT-003 \(TOKEN-1\): \[test\/forward-all\] RequestAuthentication\/istio-system\/forward-all spec\.jwtRules\[0\]\.forwardOriginalToken/);
    });
  });
});

/*
 * The external corpus holds no RequestAuthentication (its Istio samples carry AuthorizationPolicies,
 * Gateways, ServiceEntries and DestinationRules): nothing labels this check, so the test only shows
 * that the rule reads every upstream resource without throwing and reports nothing.
 */
describeWithShared('external-corpus', 'the external corpus (no RequestAuthentication in it)', (corpus) => {
  test('reads everything, reports nothing', () => {
    const objects = corpusObjects(corpus).map((c) => c.object);
    expect(objects.some((o) => o.kind === 'RequestAuthentication')).toBe(false);
    expect(rule.checkAll!(ruleContext(objects))).toEqual([]);
  });
});
