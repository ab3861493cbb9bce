import * as fc from 'fast-check';
import { NS_LABEL, gateway, netpol } from './network-fixtures';
import { admitsExpression } from '../../../src/policy/admission-cel';
import { RuleObject } from '../../../src/policy/rule';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import { NET_CP_001, controlPlaneAdmission } from '../../../src/policy/rules/network-control-plane';
import { NET_DENY_001, defaultDenyAdmission } from '../../../src/policy/rules/network-default-deny';
import { NET_EGRESS_001, openEgressAdmission } from '../../../src/policy/rules/network-open-egress';
import {
  celGoverns, celSelectsAll, celWideCidr, governs, isWideCidr, istioGateways, parseCidr, portsText, selectorReach,
} from '../../../src/policy/rules/network-policy-shape';

describe('NetworkPolicy readers shared by NET-DENY-001, NET-EGRESS-001 and NET-CP-001', () => {
  test.each([
    ['0.0.0.0/0', { version: 4, prefix: 0 }, true],
    ['0.0.0.0/1', { version: 4, prefix: 1 }, true],
    ['8.0.0.0/7', { version: 4, prefix: 7 }, true],
    ['10.0.0.0/8', { version: 4, prefix: 8 }, false],
    ['203.0.113.7/32', { version: 4, prefix: 32 }, false],
    ['::/0', { version: 6, prefix: 0 }, true],
    ['2000::/3', { version: 6, prefix: 3 }, true],
    ['2001:db8::/15', { version: 6, prefix: 15 }, true],
    ['fd00::/16', { version: 6, prefix: 16 }, false],
    ['::ffff:10.0.0.0/104', { version: 6, prefix: 104 }, false],
  ] as [string, object, boolean][])('parseCidr and the /8 (IPv4) and /16 (IPv6) bound, in TypeScript and CEL: %s', (cidr, parsed, wide) => {
    expect(parseCidr(cidr)).toEqual(parsed);
    expect(isWideCidr(parseCidr(cidr)!)).toBe(wide);
    expect(admitsExpression(celWideCidr('object.cidr'), { cidr } as any)).toBe(wide);
  });

  test.each(['any', '10.0.0.0', '10.0.0.0/33', '::/129', '300.1.1.1/8', '10.0.0.0/-1', 'fe80::1%eth0/64', ' 10.0.0.0/8', 7, null])('not a CIDR: %s', (value) => {
    expect(parseCidr(value)).toBeUndefined();
  });

  test.each([
    [{}, 'all', 'all'],
    [{ matchLabels: {}, matchExpressions: [] }, 'all', 'all'],
    [{ matchExpressions: [{ key: 'team', operator: 'NotIn', values: ['x'] }, { key: 'y', operator: 'DoesNotExist' }] }, 'all', 'all'],
    [{ matchExpressions: [{ key: NS_LABEL, operator: 'Exists' }] }, 'all', 'some'],
    [{ matchExpressions: [{ key: 'team', operator: 'Exists' }] }, 'some', 'some'],
    [{ matchExpressions: [{ key: 'team', operator: 'In', values: ['a'] }] }, 'some', 'some'],
    [{ matchLabels: { team: 'a' } }, 'some', 'some'],
  ] as [object, string, string][])('selectorReach, in TypeScript and CEL: %j', (selector, forNamespaces, forPods) => {
    expect(selectorReach(selector, true)).toBe(forNamespaces);
    expect(selectorReach(selector, false)).toBe(forPods);
    expect(admitsExpression(celSelectsAll('object.s', true), { s: selector } as any)).toBe(forNamespaces === 'all');
    expect(admitsExpression(celSelectsAll('object.s', false), { s: selector } as any)).toBe(forPods === 'all');
  });

  test.each(['all', null, { matchLabels: 'a' }, { matchExpressions: {} }, { matchExpressions: ['a'] }, { matchExpressions: [{ key: 'a', operator: 'Gt' }] }])(
    'a malformed selector: %j', (selector) => {
      expect(selectorReach(selector, true)).toBe('malformed');
    });

  test.each([
    ['no policyTypes, no egress', {}, true, false],
    ['no policyTypes, egress rules', { egress: [{}] }, true, true],
    ['no policyTypes, egress: []', { egress: [] }, true, false],
    ['Egress only', { policyTypes: ['Egress'] }, false, true],
    ['both', { policyTypes: ['Ingress', 'Egress'] }, true, true],
  ] as [string, object, boolean, boolean][])('governs, in TypeScript and CEL: %s', (_name, spec, ingress, egress) => {
    const np = netpol('p', { podSelector: {}, ...spec });
    expect([governs(np, 'ingress'), governs(np, 'egress')]).toEqual([ingress, egress]);
    expect([admitsExpression(celGoverns('ingress'), np), admitsExpression(celGoverns('egress'), np)]).toEqual([ingress, egress]);
  });

  test('a policyTypes of another shape governs both directions (its rules are still checked)', () => {
    const np = netpol('p', { podSelector: {}, policyTypes: 'Egress' });
    expect([governs(np, 'ingress'), governs(np, 'egress')]).toEqual([true, true]);
  });

  test('portsText', () => {
    expect(portsText({})).toBe('on every port');
    expect(portsText({ ports: [] })).toBe('on every port');
    expect(portsText({ ports: 'x' })).toBe('on every port (ports is not a list)');
    expect(portsText({ ports: [{ port: 80 }, { protocol: 'UDP', port: 53 }, { port: 8000, endPort: 8100 }, { protocol: 'SCTP' }, 'x'] }))
      .toBe('on TCP 80, UDP 53, TCP 8000-8100, every SCTP port, ?');
  });

  test('istioGateways: Istio Gateways with a non-empty selector of string labels, and Gateway API edge Gateways by the label Istio gives their pods', () => {
    const k8s = (name: string, gatewayClassName: string) => ({ ...gateway(name, {}), apiVersion: 'gateway.networking.k8s.io/v1', spec: { gatewayClassName } });
    const found = istioGateways(ruleContext([
      gateway('a', { istio: 'ingressgateway' }),
      gateway('empty', {}),
      { ...gateway('number', { istio: 'x' }), spec: { selector: { istio: 1 } } },
      k8s('edge', 'istio'),
      // In-mesh classes are not edges: a waypoint or east-west gateway never accepts the internet.
      k8s('waypoint', 'istio-waypoint'),
      k8s('east-west', 'istio-east-west'),
      { ...k8s('no-spec', 'istio'), spec: null },
      { ...gateway('no-ns', { istio: 'x' }), metadata: { name: 'no-ns' } },
      { ...gateway('no-spec', { istio: 'x' }), spec: null },
    ]));
    expect(found.map((g) => [g.object.metadata?.name, g.namespace, g.selector])).toEqual([
      ['a', 'istio-system', { istio: 'ingressgateway' }],
      ['edge', 'istio-system', { 'gateway.networking.k8s.io/gateway-name': 'edge' }],
    ]);
  });

  test('the three rules never throw on arbitrary shapes, and their admission forms build (property)', () => {
    const kinds = fc.constantFrom(['networking.k8s.io/v1', 'NetworkPolicy'], ['v1', 'Namespace'], ['networking.istio.io/v1', 'Gateway'], ['networking.istio.io/v1', 'ServiceEntry']);
    const rule = (key: string) => fc.record({ [key]: fc.anything({ maxDepth: 3 }), ports: fc.anything({ maxDepth: 3 }) }, { requiredKeys: [] });
    const shaped = fc.oneof(
      fc.anything({ maxDepth: 4 }),
      fc.record({
        podSelector: fc.oneof(fc.anything({ maxDepth: 2 }), fc.constant({}), fc.constant({ matchLabels: { app: 'istiod' } })),
        policyTypes: fc.oneof(fc.anything({ maxDepth: 1 }), fc.constant(['Ingress', 'Egress'])),
        ingress: fc.oneof(fc.anything({ maxDepth: 4 }), fc.array(rule('from'))),
        egress: fc.oneof(fc.anything({ maxDepth: 4 }), fc.array(rule('to'))),
        selector: fc.oneof(fc.anything({ maxDepth: 2 }), fc.dictionary(fc.string(), fc.string(), { minKeys: 1, maxKeys: 3 })),
        servers: fc.oneof(fc.anything({ maxDepth: 3 }), fc.constant([{ hosts: ['*/*'] }])),
        hosts: fc.anything({ maxDepth: 2 }),
        ports: fc.oneof(fc.anything({ maxDepth: 2 }), fc.array(fc.record({ number: fc.integer({ min: 1, max: 65535 }) }), { maxLength: 2 })),
      }, { requiredKeys: [] }),
    );
    const object = fc.tuple(kinds, fc.option(fc.constantFrom('shop', 'istio-system')), shaped, fc.anything({ maxDepth: 2 }))
      .map(([[apiVersion, kind], ns, spec, labels]) => ({ apiVersion, kind, metadata: { name: 'x', ...(ns ? { namespace: ns } : {}), labels }, spec }) as RuleObject);
    fc.assert(fc.property(fc.array(object, { maxLength: 4 }), (objects) => {
      const c = ruleContext(objects);
      for (const r of [NET_DENY_001, NET_EGRESS_001, NET_CP_001]) {
        for (const o of objects) expect(Array.isArray(r.check(o, c))).toBe(true);
        r.checkAll?.(c);
      }
      // The inlined facts (Gateway labels of any text) always give CEL that parses and runs.
      const probe = netpol('p', { podSelector: { matchLabels: { istio: 'x' } }, ingress: [{ ports: [{ port: 80 }] }], egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }] }] }, 'istio-system');
      for (const admission of [defaultDenyAdmission(c), openEgressAdmission(c), controlPlaneAdmission(c)]) expect(typeof admitsExpression(admission.expression, probe)).toBe('boolean');
    }), { numRuns: 300 });
  });
});
