import { ApiObject, JsonPatch, Testing } from 'cdk8s';
import {
  SERVICE_TARGET, WAYPOINT, authorizationPoliciesUnder, gatewayPolicy, policy, shopApp, toNotPorts, toPorts, whenPort,
} from './mesh-authz-proxy-port-fixtures';
import { libraryApps } from './network-fixtures';
import { admits } from '../../../src/policy/admission-cel';
import { PolicyEnforcement } from '../../../src/policy/policy-enforcement';
import { RuleObject, RuleSeverity } from '../../../src/policy/rule';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import { MESH_AUTHZ_009 } from '../../../src/policy/rules/mesh-authz-009';
import { MESH_AUTHZ_010 as rule } from '../../../src/policy/rules/mesh-authz-010';
import { describeWithShared } from '../../shared';

const ctx = ruleContext([]);

/** ALLOW from Prometheus's identity, as a scrape grant would be written. */
const prometheus = (...ports: string[]) => ({ from: [{ source: { principals: ['cluster.local/ns/monitoring/sa/prometheus'] } }], to: [{ operation: { ports } }] });
/** ALLOW from the load balancer's health checkers to the gateway. */
const healthCheckers = { from: [{ source: { ipBlocks: ['35.191.0.0/16', '130.211.0.0/22'] } }], to: [{ operation: { ports: ['15021'], paths: ['/healthz/ready'] } }] };

const GOOD: [string, RuleObject][] = [
  ['ALLOW on an application port', policy('ALLOW', [prometheus('8080')])],
  ['ALLOW with notPorts naming a proxy port (MESH-AUTHZ-002 refuses notPorts in ALLOW)', policy('ALLOW', [toNotPorts('15090')])],
  ['ALLOW with destination.port notValues (MESH-AUTHZ-002\'s)', policy('ALLOW', [whenPort('notValues', '15020')])],
  ['AUDIT exempting the metrics port (notPorts)', policy('AUDIT', [toNotPorts('15020')])],
  ['DENY on 15090 (MESH-AUTHZ-009\'s, an error)', policy('DENY', [toPorts('15090')])],
  ['CUSTOM on 15021 (MESH-AUTHZ-009\'s)', gatewayPolicy('CUSTOM', [toPorts('15021')])],
  ['ALLOW on 15090 attached to a waypoint (targetRefs)', policy('ALLOW', [prometheus('15090')], WAYPOINT)],
  ['ALLOW on 15021 attached to a Service (targetRef)', policy('ALLOW', [prometheus('15021')], SERVICE_TARGET)],
  ['allow-nothing (no rules)', { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'allow-nothing', namespace: 'shop' }, spec: {} }],
  ['no spec', { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'p', namespace: 'shop' } }],
];
const BAD: [string, RuleObject, string[]][] = [
  ['a scrape grant to Prometheus on 15020 and 15090', policy('ALLOW', [prometheus('15020', '15090')]),
    ['spec.rules[0].to[0].operation.ports[0]', 'spec.rules[0].to[0].operation.ports[1]']],
  ['no action (ALLOW) mixing an app port and 15090', policy(undefined, [prometheus('8080', '15090')]), ['spec.rules[0].to[0].operation.ports[1]']],
  ['the gateway\'s health port to the load balancer\'s checkers', gatewayPolicy('ALLOW', [healthCheckers]), ['spec.rules[0].to[0].operation.ports[0]']],
  ['ALLOW on destination.port', policy('ALLOW', [whenPort('values', '15020')]), ['spec.rules[0].when[1].values[0]']],
  ['AUDIT on 15021', policy('AUDIT', [toPorts('15021')]), ['spec.rules[0].to[0].operation.ports[0]']],
];

describe('MESH-AUTHZ-010 ALLOW and AUDIT AuthorizationPolicies do not match the proxy\'s own ports (AUTHZ-1)', () => {
  test('metadata: a WARNING of rule set 2, for AuthorizationPolicies', () => {
    expect([rule.severity, rule.since, rule.practices, rule.kinds]).toEqual([RuleSeverity.WARNING, '2', ['AUTHZ-1'], ['security.istio.io/AuthorizationPolicy']]);
  });

  test.each(GOOD)('passes: %s', (_name, object) => {
    expect(rule.check(object, ctx)).toEqual([]);
  });

  test.each(BAD)('fails: %s', (_name, object, paths) => {
    expect(rule.check(object, ctx).map((v) => v.path)).toEqual(paths);
  });

  test('the message names the port, what the rule does there (nothing), and what decides instead', () => {
    expect(rule.check(policy('ALLOW', [prometheus('15020')]), ctx)).toEqual([{
      path: 'spec.rules[0].to[0].operation.ports[0]',
      port: 15020,
      message: 'ALLOW rule matches port 15020 (pilot-agent\'s status port (merged Prometheus metrics at /stats/prometheus, /healthz/ready, '
        + 'rewritten app probes under /app-health/)) in to.operation.ports, which the proxy serves itself outside its authorization filters '
        + '(never captured by the sidecar): it grants nothing and keeps no one out there; only a NetworkPolicy decides who reaches that port',
    }]);
    expect(rule.check(policy('AUDIT', [toPorts('15090')]), ctx)[0].message).toContain('it logs nothing there');
  });

  test('MESH-AUTHZ-009 and MESH-AUTHZ-010 split the actions: a policy is reported by at most one of them', () => {
    for (const action of [undefined, 'ALLOW', 'DENY', 'CUSTOM', 'AUDIT']) {
      const o = policy(action, [toPorts('15090')]);
      const by = [MESH_AUTHZ_009, rule].filter((r) => r.check(o, ctx).length > 0).map((r) => r.id);
      expect([action, by]).toEqual([action, action === 'DENY' || action === 'CUSTOM' ? ['MESH-AUTHZ-009'] : ['MESH-AUTHZ-010']]);
    }
  });

  test.each([
    ['rules a string', policy('ALLOW', '15090')],
    ['rule items of other types', policy('ALLOW', [null, 1, 'x', []])],
    ['to a map, operation a list', policy('ALLOW', [{ to: { operation: { ports: ['15090'] } } }, { to: [{ operation: ['15090'] }, null] }])],
    ['when items of other types', policy('ALLOW', [{ when: [null, 'destination.port', { key: 'destination.port' }, { key: 'destination.port', values: null }] }])],
    ['action of another type', policy(7 as any, [toPorts('15090')])],
    ['action a prototype key', policy('constructor', [toPorts('15090')])],
    ['spec null', { ...policy('ALLOW', []), spec: null }],
  ])('odd shape does not throw: %s', (_name, object) => {
    expect(() => rule.check(object, ctx)).not.toThrow();
  });

  test('an unknown action is neither rule\'s (the API server refuses it)', () => {
    expect(rule.check(policy('constructor', [toPorts('15090')]), ctx)).toEqual([]);
    expect(MESH_AUTHZ_009.check(policy('constructor', [toPorts('15090')]), ctx)).toEqual([]);
  });

  test('other kinds are ignored', () => {
    expect(rule.check({ ...policy('ALLOW', [toPorts('15090')]), kind: 'RequestAuthentication' }, ctx)).toEqual([]);
    expect(admits(rule.admission!, { apiVersion: 'networking.istio.io/v1', kind: 'Sidecar', metadata: { name: 's' }, spec: {} })).toBe(true);
  });

  test.each([...GOOD, ...BAD.map(([n, o]) => [n, o] as [string, RuleObject])])('check() and admission CEL agree: %s', (_name, object) => {
    expect(admits(rule.admission!, object)).toBe(rule.check(object, ctx).length === 0);
  });

  test.each(libraryApps().map((a) => [a.name, a] as const))('what the library synthesizes passes: %s', (_name, app) => {
    expect(app.objects.flatMap((o) => rule.check(o, app.ctx).map((v) => `${o.kind}/${o.metadata?.name} ${v.path}`))).toEqual([]);
  });

  describe('in synthesis', () => {
    const warnings = (chart: ReturnType<typeof shopApp>['chart']) => PolicyEnforcement.of(chart).report.findings
      .filter((f) => f.ruleId === 'MESH-AUTHZ-010').map((f) => [f.severity, f.object, f.path]);

    test('a raw ALLOW granting Prometheus 15090 synthesizes, with a warning', () => {
      const { chart } = shopApp();
      new ApiObject(chart, 'scrape', policy('ALLOW', [prometheus('15090')], {}, 'scrape') as any);
      expect(() => Testing.synth(chart)).not.toThrow();
      expect(warnings(chart)).toEqual([['warning', 'AuthorizationPolicy/shop/scrape', 'spec.rules[0].to[0].operation.ports[0]']]);
    });

    test('a JSON patch turning the library\'s grant into a scrape grant on 15020 synthesizes, with a warning', () => {
      // Prometheus's namespace, which HardenedNamespace's NetworkPolicy admits on 15020 (NET-L4-001 wants that L4 edge).
      const { chart, api } = shopApp();
      const ap = api.node.findAll().find((c) => c instanceof ApiObject && c.kind === 'AuthorizationPolicy') as ApiObject;
      ap.addJsonPatch(JsonPatch.replace('/spec/rules/0/from/0/source/principals/0', 'cluster.local/ns/monitoring/sa/prometheus'),
        JsonPatch.replace('/spec/rules/0/to/0/operation/ports/0', '15020'));
      expect(() => Testing.synth(chart)).not.toThrow();
      expect(warnings(chart)).toEqual([['warning', 'AuthorizationPolicy/shop/api', 'spec.rules[0].to[0].operation.ports[0]']]);
    });
  });
});

/* No false alarms on other projects' policies (see mesh-authz-009.test.ts). */
describeWithShared('external-corpus', 'the external corpus has no ALLOW or AUDIT policy on a proxy port', (dir) => {
  test('every one passes, at synth, audit and admission alike', () => {
    const policies = authorizationPoliciesUnder(dir);
    expect(policies.length).toBeGreaterThan(20);
    expect(policies.filter((p) => rule.check(p.object, ctx).length > 0 || !admits(rule.admission!, p.object)).map((p) => p.file)).toEqual([]);
  });
});

describeWithShared('authz-conformance', 'the authorization conformance cases have no ALLOW or AUDIT policy on a proxy port', (dir) => {
  test('every one passes, at synth, audit and admission alike', () => {
    const policies = authorizationPoliciesUnder(dir);
    expect(policies.length).toBeGreaterThan(100);
    expect(policies.filter((p) => rule.check(p.object, ctx).length > 0 || !admits(rule.admission!, p.object)).map((p) => p.file)).toEqual([]);
  });
});
