import { Testing } from 'cdk8s';
import {
  AMBIENT_NS, describeAmbientTable, admitsIn, checkIn, corpus, findingsOver, flipToAmbient,
  sidecarBlueprint, sidecarOutputRelabelledAmbient, sidecarShop,
} from './ambient-fixtures';
import { RuleObject } from '../../../src/policy/rule';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import { MESH_AMBIENT_002 as rule } from '../../../src/policy/rules/mesh-ambient-002';
import { synthValidated } from '../../helpers';
import { describeWithShared } from '../../shared';

const JWT_RULES = [{ issuer: 'https://sts.example.com', jwksUri: 'https://sts.example.com/jwks', audiences: ['api'] }];

function requestAuthn(spec?: object | null, ns = 'shop'): RuleObject {
  return { apiVersion: 'security.istio.io/v1', kind: 'RequestAuthentication', metadata: { name: 'api-jwt', namespace: ns }, ...(spec === undefined ? {} : { spec }) };
}

const GOOD: [string, RuleObject][] = [
  ['targetRefs the Service (the library\'s ambient form)', requestAuthn({ targetRefs: [{ group: '', kind: 'Service', name: 'api' }], jwtRules: JWT_RULES })],
  ['targetRefs the waypoint Gateway', requestAuthn({ targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'waypoint' }], jwtRules: JWT_RULES })],
  ['targetRef (singular)', requestAuthn({ targetRef: { group: '', kind: 'Service', name: 'api' }, jwtRules: JWT_RULES })],
  ['targetRefs and a (useless) selector', requestAuthn({ targetRefs: [{ kind: 'Service', name: 'api' }], selector: { matchLabels: { app: 'api' } }, jwtRules: JWT_RULES })],
];
/** Each BAD case with the path it must report. */
const BAD: [string, RuleObject, string][] = [
  ['bound by selector (the sidecar form)', requestAuthn({ selector: { matchLabels: { app: 'api' } }, jwtRules: JWT_RULES }), 'spec.selector'],
  ['namespace-wide', requestAuthn({ jwtRules: JWT_RULES }), ''],
  ['no spec', requestAuthn(), ''],
  ['spec null', requestAuthn(null), ''],
  ['empty targetRefs', requestAuthn({ targetRefs: [], jwtRules: JWT_RULES }), ''],
  ['empty selector', requestAuthn({ selector: {}, jwtRules: JWT_RULES }), 'spec.selector'],
];

describe('MESH-AMBIENT-002 ambient RequestAuthentications attach to the waypoint (JWT-1)', () => {
  test('metadata', () => {
    expect(rule.practices).toEqual(['JWT-1']);
    expect(rule.since).toBe('2');
    expect(rule.kinds).toEqual(['security.istio.io/RequestAuthentication']);
  });

  describeAmbientTable(rule, GOOD, BAD, {
    notAmbient: 'every RequestAuthentication passes (sidecars validate tokens)',
    expectFailure: (violations, [, , path]) => expect(violations).toEqual([{ path, message: expect.stringContaining('ztunnel validates no JWT and waypoints ignore it') }]),
  });

  test('the messages say how it is bound', () => {
    expect(checkIn(rule, BAD[0][1], AMBIENT_NS)[0].message).toBe('RequestAuthentication in ambient namespace shop is bound by its selector: ztunnel validates no '
      + 'JWT and waypoints ignore it, so no token is verified (attach it to the Service or waypoint with targetRefs)');
    expect(checkIn(rule, BAD[1][1], AMBIENT_NS)[0].message).toContain('is namespace-wide (no selector, no targetRefs)');
  });

  test.each([
    ['targetRefs an object', requestAuthn({ targetRefs: { kind: 'Service' } })],
    ['targetRef a string', requestAuthn({ targetRef: 'api' })],
    ['spec a string', requestAuthn('x' as any)],
    ['no metadata', { apiVersion: 'security.istio.io/v1', kind: 'RequestAuthentication', spec: {} }],
  ])('odd shape does not throw: %s', (_name, object) => {
    expect(() => rule.check(object as RuleObject, ruleContext([AMBIENT_NS, object as RuleObject]))).not.toThrow();
  });

  test('other kinds are ignored, by check() and admission alike', () => {
    for (const object of [
      { ...requestAuthn({ selector: { matchLabels: { app: 'api' } } }), kind: 'AuthorizationPolicy' },
      { ...requestAuthn({}), kind: 'PeerAuthentication' },
      { ...requestAuthn({}), apiVersion: 'example.com/v1' },
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'api', namespace: 'shop' }, spec: {} },
    ]) {
      expect(checkIn(rule, object, AMBIENT_NS)).toEqual([]);
      expect(admitsIn(rule, object, AMBIENT_NS)).toBe(true);
    }
  });

  describe('what the library synthesizes', () => {
    test('the example blueprint (sidecar mode) passes', () => {
      expect(findingsOver(rule, sidecarBlueprint())).toEqual([]);
    });

    test('the sidecar blueprint (requireJwt: a selector RequestAuthentication) passes: its namespace is not ambient', () => {
      const objects = synthValidated(sidecarShop().chart);
      expect(objects.filter((o) => o.kind === 'RequestAuthentication').map((o) => Object.keys(o.spec))).toEqual([['jwtRules', 'selector']]);
      expect(findingsOver(rule, objects)).toEqual([]);
    });

    test('relabelled ambient afterwards, its selector RequestAuthentication is reported', () => {
      expect(findingsOver(rule, sidecarOutputRelabelledAmbient(synthValidated(sidecarShop().chart)))).toEqual(['RequestAuthentication/api-jwt spec.selector']);
    });
  });

  describe('in synthesis', () => {
    test('a JSON patch that turns the library\'s sidecar namespace ambient fails synthesis on its selector RequestAuthentication', () => {
      const { chart } = sidecarShop();
      flipToAmbient(chart);
      expect(() => Testing.synth(chart)).toThrow(
        /MESH-AMBIENT-002 \(JWT-1\): \[test\/api\/[^\]]*\] RequestAuthentication\/shop\/api-jwt spec\.selector: RequestAuthentication in ambient namespace shop is bound by its selector/);
    });
  });
});

describeWithShared('external-corpus', 'the external corpus (sidecar mode only, no RequestAuthentication): no finding', (dir) => {
  test('check() and admission report nothing', () => {
    const objects = corpus(dir);
    const namespaces = new Map(objects.filter((o) => o.kind === 'Namespace').map((o) => [o.metadata?.name, o]));
    expect(findingsOver(rule, objects)).toEqual([]);
    expect(objects.filter((o) => !admitsIn(rule, o, namespaces.get(o.metadata?.namespace))).map((o) => `${o.kind}/${o.metadata?.name}`)).toEqual([]);
  });
});
