import { ApiObject, JsonPatch, Testing } from 'cdk8s';
import {
  SERVICE_TARGET, WAYPOINT, authorizationPoliciesUnder, gatewayPolicy, policy, shopApp, toNotPorts, toPorts, whenPort,
} from './mesh-authz-proxy-port-fixtures';
import { libraryApps } from './network-fixtures';
import { UNCAPTURED_PROXY_PORTS } from '../../../src/mesh/proxy-ports';
import { admits } from '../../../src/policy/admission-cel';
import { RuleObject, RuleSeverity } from '../../../src/policy/rule';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import { MESH_AUTHZ_009 as rule, PROXY_PORT_PATTERN, proxyPortMentions } from '../../../src/policy/rules/mesh-authz-009';
import { synthValidated } from '../../helpers';
import { describeWithShared } from '../../shared';

const ctx = ruleContext([]);

const GOOD: [string, RuleObject][] = [
  ['DENY on an application port', policy('DENY', [toPorts('8080')])],
  ['DENY on a port that merely contains 15090', policy('DENY', [toPorts('150900', '5090', '1502')])],
  ['CUSTOM on the gateway\'s HTTPS port', gatewayPolicy('CUSTOM', [toPorts('8443')])],
  ['DENY exempting the metrics port (notPorts: what happens anyway)', policy('DENY', [toNotPorts('15090', '15020')])],
  ['CUSTOM exempting the gateway\'s health port (notPorts)', gatewayPolicy('CUSTOM', [toNotPorts('15021')])],
  ['DENY with destination.port notValues', policy('DENY', [whenPort('notValues', '15020')])],
  ['DENY with a condition on another key naming 15090', policy('DENY', [{ when: [{ key: 'source.port', values: ['15090'] }] }])],
  ['ALLOW on 15090 (MESH-AUTHZ-010\'s, a warning)', policy('ALLOW', [toPorts('15090')])],
  ['no action (ALLOW) on 15020 (MESH-AUTHZ-010\'s)', policy(undefined, [toPorts('15020')])],
  ['AUDIT on 15020 (MESH-AUTHZ-010\'s)', policy('AUDIT', [toPorts('15020')])],
  ['DENY on 15090 attached to a waypoint (targetRefs): not a sidecar', policy('DENY', [toPorts('15090')], WAYPOINT)],
  ['DENY on 15021 attached to a Service (targetRef)', policy('DENY', [toPorts('15021')], SERVICE_TARGET)],
  ['DENY without rules (denies nothing)', policy('DENY', [])],
  ['DENY without spec', { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'p', namespace: 'shop' } }],
];
const BAD: [string, RuleObject, string[]][] = [
  ['DENY on the metrics ports but for Prometheus', policy('DENY', [{ from: [{ source: { notNamespaces: ['monitoring'] } }], to: [{ operation: { ports: ['15020', '15090'] } }] }]),
    ['spec.rules[0].to[0].operation.ports[0]', 'spec.rules[0].to[0].operation.ports[1]']],
  ['DENY mixing an app port and 15090', policy('DENY', [toPorts('8080', '15090')]), ['spec.rules[0].to[0].operation.ports[1]']],
  ['DENY with a leading zero (Istio reads 015090 as 15090)', policy('DENY', [toPorts('015090')]), ['spec.rules[0].to[0].operation.ports[0]']],
  ['DENY on destination.port', policy('DENY', [whenPort('values', '8080', '15020')]), ['spec.rules[0].when[1].values[1]']],
  ['CUSTOM ext-authz in front of the gateway\'s health port', gatewayPolicy('CUSTOM', [toPorts('15021')]), ['spec.rules[0].to[0].operation.ports[0]']],
  ['DENY, in the second rule and second operation', policy('DENY', [toPorts('8080'), { to: [{ operation: { methods: ['GET'] } }, { operation: { ports: ['15021'] } }] }]),
    ['spec.rules[1].to[1].operation.ports[0]']],
  ['DENY with empty targetRefs (the selector applies)', policy('DENY', [toPorts('15090')], { targetRefs: [] }), ['spec.rules[0].to[0].operation.ports[0]']],
];

describe('MESH-AUTHZ-009 DENY and CUSTOM AuthorizationPolicies do not match the proxy\'s own ports (AUTHZ-1)', () => {
  test('metadata: an ERROR of rule set 2, for AuthorizationPolicies', () => {
    expect([rule.severity, rule.since, rule.practices, rule.kinds]).toEqual([RuleSeverity.ERROR, '2', ['AUTHZ-1'], ['security.istio.io/AuthorizationPolicy']]);
  });

  test('the ports are mesh/proxy-ports.ts\'s', () => {
    expect(UNCAPTURED_PROXY_PORTS).toEqual([15020, 15021, 15090]);
    expect(PROXY_PORT_PATTERN).toBe('^0*(15020|15021|15090)$');
  });

  test.each(GOOD)('passes: %s', (_name, object) => {
    expect(rule.check(object, ctx)).toEqual([]);
  });

  test.each(BAD)('fails: %s', (_name, object, paths) => {
    expect(rule.check(object, ctx).map((v) => v.path)).toEqual(paths);
  });

  test('the message names the port, what it is, and what decides instead; the violation carries the port', () => {
    expect(rule.check(policy('DENY', [toPorts('15090')]), ctx)).toEqual([{
      path: 'spec.rules[0].to[0].operation.ports[0]',
      port: 15090,
      message: 'DENY rule matches port 15090 (Envoy\'s Prometheus stats port (/stats/prometheus)) in to.operation.ports, which the proxy serves '
        + 'itself outside its authorization filters (never captured by the sidecar): it denies nothing there, and only a NetworkPolicy '
        + 'restricts who reaches that port',
    }]);
    const [custom] = rule.check(gatewayPolicy('CUSTOM', [whenPort('values', '15021')]), ctx);
    expect(custom).toEqual({ path: 'spec.rules[0].when[1].values[0]', port: 15021, message: expect.stringContaining('CUSTOM rule matches port 15021 (Envoy\'s health-check port (/healthz/ready)) in when destination.port') });
    expect(custom.message).toContain('sends nothing to the external authorizer');
  });

  test.each([
    ['rules a string', policy('DENY', '15090')],
    ['rule items of other types', policy('DENY', [null, 1, 'x', []])],
    ['to a map, operation a list', policy('DENY', [{ to: { operation: { ports: ['15090'] } } }, { to: [{ operation: ['15090'] }, null] }])],
    ['when items of other types', policy('DENY', [{ when: [null, 'destination.port', { key: 'destination.port' }, { key: 'destination.port', values: null }] }])],
    ['action of another type', policy(7 as any, [toPorts('15090')])],
    ['action a prototype key', policy('constructor', [toPorts('15090')])],
    ['spec null', { ...policy('DENY', []), spec: null }],
    ['metadata a string', { ...policy('DENY', [toPorts('15090')]), metadata: 'x' as any }],
  ])('odd shape does not throw: %s', (_name, object) => {
    expect(() => rule.check(object, ctx)).not.toThrow();
  });

  test('wrong-shaped ports are findings, not silence: a number, a scalar where the list belongs', () => {
    expect(rule.check(policy('DENY', [{ to: [{ operation: { ports: [15090] } }] }]), ctx).map((v) => [v.path, v.port])).toEqual([['spec.rules[0].to[0].operation.ports[0]', 15090]]);
    expect(rule.check(policy('DENY', [{ to: [{ operation: { ports: '15020' } }] }]), ctx).map((v) => [v.path, v.port])).toEqual([['spec.rules[0].to[0].operation.ports', 15020]]);
    expect(rule.check(policy('DENY', [{ when: [{ key: 'destination.port', values: '15021' }] }]), ctx).map((v) => v.path)).toEqual(['spec.rules[0].when[0].values']);
  });

  test('other kinds are ignored', () => {
    expect(rule.check({ ...policy('DENY', [toPorts('15090')]), kind: 'PeerAuthentication' }, ctx)).toEqual([]);
    expect(rule.check({ ...policy('DENY', [toPorts('15090')]), apiVersion: 'security.example.com/v1' }, ctx)).toEqual([]);
  });

  test.each([...GOOD, ...BAD.map(([n, o]) => [n, o] as [string, RuleObject])])('check() and admission CEL agree: %s', (_name, object) => {
    expect(admits(rule.admission!, object)).toBe(rule.check(object, ctx).length === 0);
  });

  test('admission: true for other kinds, and an int port (a hand-written manifest) is matched like the check', () => {
    expect(admits(rule.admission!, { apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: { name: 'g' }, spec: { action: 'DENY' } })).toBe(true);
    expect(admits(rule.admission!, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } })).toBe(true);
    expect(admits(rule.admission!, policy('DENY', [{ to: [{ operation: { ports: [15090] } }] }]))).toBe(false);
    expect(admits(rule.admission!, policy('DENY', [{ to: [{ operation: { ports: [8080] } }] }]))).toBe(true);
  });

  test('proxyPortMentions lists positive matches only, in order', () => {
    const spec = policy('DENY', [toPorts('15021', '8080'), toNotPorts('15090'), whenPort('values', '15020'), whenPort('notValues', '15090')]).spec;
    expect(proxyPortMentions(spec).map((m) => [m.port, m.field, m.path])).toEqual([
      [15021, 'to.operation.ports', 'spec.rules[0].to[0].operation.ports[0]'],
      [15020, 'when destination.port', 'spec.rules[2].when[1].values[0]'],
    ]);
  });

  describe('what the library synthesizes passes', () => {
    test.each(libraryApps().map((a) => [a.name, a] as const))('%s', (_name, app) => {
      expect(app.objects.flatMap((o) => rule.check(o, app.ctx).map((v) => `${o.kind}/${o.metadata?.name} ${v.path}`))).toEqual([]);
    });

    test('a monitoring namespace opens 15020/15090 with NetworkPolicy, never with an AuthorizationPolicy', () => {
      const objects = synthValidated(shopApp().chart);
      expect(objects.filter((o) => o.kind === 'AuthorizationPolicy').flatMap((o) => rule.check(o, ruleContext(objects)))).toEqual([]);
      expect(objects.filter((o) => o.kind === 'NetworkPolicy').some((o) => JSON.stringify(o.spec).includes('15090'))).toBe(true);
    });
  });

  describe('in synthesis', () => {
    test('a raw DENY policy "only Prometheus may scrape" fails, naming both ports', () => {
      const { chart } = shopApp();
      new ApiObject(chart, 'scrape-deny', policy('DENY', [{ from: [{ source: { notNamespaces: ['monitoring'] } }], to: [{ operation: { ports: ['15020', '15090'] } }] }], {}, 'scrape-deny') as any);
      const attempt = () => Testing.synth(chart);
      expect(attempt).toThrow(/MESH-AUTHZ-009 \(AUTHZ-1\): \[test\/scrape-deny\] AuthorizationPolicy\/shop\/scrape-deny spec\.rules\[0\]\.to\[0\]\.operation\.ports\[0\]: DENY rule matches port 15020/);
      expect(attempt).toThrow(/AuthorizationPolicy\/shop\/scrape-deny spec\.rules\[0\]\.to\[0\]\.operation\.ports\[1\]: DENY rule matches port 15090/);
    });

    test('a JSON patch turning the library\'s grant into a DENY on 15090 fails', () => {
      const { chart, api } = shopApp();
      const ap = api.node.findAll().find((c) => c instanceof ApiObject && c.kind === 'AuthorizationPolicy') as ApiObject;
      ap.addJsonPatch(JsonPatch.replace('/spec/action', 'DENY'), JsonPatch.replace('/spec/rules/0/to/0/operation/ports/0', '15090'));
      expect(() => Testing.synth(chart)).toThrow(/MESH-AUTHZ-009 \(AUTHZ-1\): \[test\/api\/[^\]]*\] AuthorizationPolicy\/shop\/api spec\.rules\[0\]\.to\[0\]\.operation\.ports\[0\]: DENY rule matches port 15090/);
    });
  });
});

/*
 * No false alarms on other projects' policies: none of the AuthorizationPolicies of the external
 * corpus (Kyverno, Gatekeeper, ASM, istio.io, sample apps) or of the authorization conformance
 * cases (istio.io tasks, Istio's integration tests) matches a proxy port in a DENY or CUSTOM rule.
 */
describeWithShared('external-corpus', 'the external corpus has no DENY or CUSTOM policy on a proxy port', (dir) => {
  const policies = authorizationPoliciesUnder(dir);

  test('there are policies to check', () => {
    expect(policies.length).toBeGreaterThan(20);
  });

  test.each(policies.map((p, i) => [`${p.file} #${i}`, p.object] as const))('%s passes', (_file, object) => {
    expect(rule.check(object, ctx)).toEqual([]);
    expect(admits(rule.admission!, object)).toBe(true);
  });
});

describeWithShared('authz-conformance', 'the authorization conformance cases have no DENY or CUSTOM policy on a proxy port', (dir) => {
  const policies = authorizationPoliciesUnder(dir);

  test('there are policies to check, DENY, CUSTOM and targetRefs among them', () => {
    const actions = new Set(policies.map((p) => p.object.spec?.action));
    expect(policies.length).toBeGreaterThan(100);
    expect(actions.has('DENY') && actions.has('CUSTOM')).toBe(true);
    expect(policies.some((p) => p.object.spec?.targetRefs || p.object.spec?.targetRef)).toBe(true);
  });

  test('every one passes, at synth, audit and admission alike', () => {
    expect(policies.filter((p) => rule.check(p.object, ctx).length > 0).map((p) => p.file)).toEqual([]);
    expect(policies.filter((p) => !admits(rule.admission!, p.object)).map((p) => p.file)).toEqual([]);
  });
});
