import { admits } from '../../../src/policy/admission-cel';
import { RuleObject } from '../../../src/policy/rule';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import { MESH_EXC_001 as rule } from '../../../src/policy/rules/mesh-exc-001';

const ctx = ruleContext([]);
const T = 'traffic.sidecar.istio.io/';

function pod(annotations?: Record<string, string>): RuleObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'shop', ...(annotations ? { annotations } : {}) }, spec: {} };
}
function deployment(annotations: Record<string, string>, own: Record<string, string> = {}): RuleObject {
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'shop', annotations: own }, spec: { template: { metadata: { annotations } } } };
}
function cronJob(annotations: Record<string, string>): RuleObject {
  return { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'c' }, spec: { jobTemplate: { spec: { template: { metadata: { annotations } } } } } };
}

const GOOD: [string, RuleObject][] = [
  ['no annotations', pod()],
  ['unrelated annotations', pod({ 'prometheus.io/port': '9090', [`${T}includeOutboundPorts`]: '9000' })],
  ['include * ', pod({ [`${T}includeInboundPorts`]: '*', [`${T}includeOutboundIPRanges`]: ' * ' })],
  ['empty exclude lists', pod({ [`${T}excludeInboundPorts`]: '', [`${T}excludeOutboundPorts`]: ' , ', [`${T}excludeOutboundIPRanges`]: '' })],
  ['workload own metadata is not a pod template', deployment({}, { [`${T}excludeInboundPorts`]: '8080' })],
  ['Deployment without template', { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: {} }],
  ['CronJob clean', cronJob({ a: 'b' })],
];
const BAD: [string, RuleObject][] = [
  ['excludeInboundPorts', pod({ [`${T}excludeInboundPorts`]: '8080' })],
  ['excludeOutboundPorts', pod({ [`${T}excludeOutboundPorts`]: '5432' })],
  ['excludeOutboundIPRanges', pod({ [`${T}excludeOutboundIPRanges`]: '10.0.0.0/8' })],
  ['excludeInterfaces', pod({ [`${T}excludeInterfaces`]: 'eth1' })],
  ['kubevirtInterfaces', pod({ [`${T}kubevirtInterfaces`]: 'net1' })],
  ['includeInboundPorts narrowed', pod({ [`${T}includeInboundPorts`]: '8080' })],
  ['includeInboundPorts empty', pod({ [`${T}includeInboundPorts`]: '' })],
  ['includeOutboundIPRanges narrowed', pod({ [`${T}includeOutboundIPRanges`]: '10.0.0.0/8' })],
  ['Deployment template', deployment({ [`${T}excludeInboundPorts`]: '9090' })],
  ['StatefulSet template', { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 's' }, spec: { template: { metadata: { annotations: { [`${T}excludeOutboundIPRanges`]: '0.0.0.0/0' } } } } }],
  ['Job template', { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j' }, spec: { template: { metadata: { annotations: { [`${T}excludeOutboundPorts`]: '443' } } } } }],
  ['CronJob template', cronJob({ [`${T}excludeInboundPorts`]: '15020' })],
  ['non-numeric port', pod({ [`${T}excludeInboundPorts`]: 'http' })],
];

describe('MESH-EXC-001 no sidecar bypass annotations (EXC-1)', () => {
  test.each(GOOD)('passes: %s', (_name, object) => {
    expect(rule.check(object, ctx)).toEqual([]);
  });

  test.each(BAD)('fails: %s', (_name, object) => {
    expect(rule.check(object, ctx)).toHaveLength(1);
  });

  test('one violation per excluded port, with the port', () => {
    const path = `metadata.annotations["${T}excludeInboundPorts"]`;
    expect(rule.check(pod({ [`${T}excludeInboundPorts`]: '8080, 9090,,x,70000' }), ctx)).toEqual([
      { path, port: 8080, message: expect.stringContaining('inbound traffic on port 8080 bypass the sidecar') },
      { path, port: 9090, message: expect.stringContaining('port 9090') },
      { path, message: expect.stringContaining('lists "x", which is not a port number') },
      { path, message: expect.stringContaining('"70000"') },
    ]);
  });

  test('outbound ports on a template path', () => {
    expect(rule.check(deployment({ [`${T}excludeOutboundPorts`]: '5432' }), ctx)).toEqual([
      { path: `spec.template.metadata.annotations["${T}excludeOutboundPorts"]`, port: 5432, message: expect.stringContaining('outbound traffic on port 5432') },
    ]);
  });

  test('IP ranges, interfaces and include lists: one violation each, without a port', () => {
    const found = rule.check(cronJob({
      [`${T}excludeOutboundIPRanges`]: '10.0.0.0/8,192.168.0.0/16',
      [`${T}excludeInterfaces`]: 'eth1',
      [`${T}includeInboundPorts`]: '8080',
    }), ctx);
    const base = 'spec.jobTemplate.spec.template.metadata.annotations';
    expect(found).toEqual([
      { path: `${base}["${T}excludeOutboundIPRanges"]`, message: expect.stringContaining('lets traffic bypass the sidecar') },
      { path: `${base}["${T}excludeInterfaces"]`, message: expect.any(String) },
      { path: `${base}["${T}includeInboundPorts"]`, message: expect.stringContaining('captures only what it lists') },
    ]);
  });

  test.each([
    ['null metadata', { apiVersion: 'v1', kind: 'Pod', metadata: null }],
    ['annotations list', { apiVersion: 'v1', kind: 'Pod', metadata: { annotations: ['x'] } }],
    ['non-string value', { apiVersion: 'v1', kind: 'Pod', metadata: { annotations: { [`${T}excludeInboundPorts`]: 8080 } } }],
    ['not a workload', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { annotations: { [`${T}excludeInboundPorts`]: '1' } } }],
  ])('odd shape does not throw: %s', (_name, object) => {
    expect(() => rule.check(object as RuleObject, ctx)).not.toThrow();
  });

  test('a non-string port list fails closed', () => {
    expect(rule.check({ apiVersion: 'v1', kind: 'Pod', metadata: { annotations: { [`${T}excludeInboundPorts`]: 8080 as unknown as string } } }, ctx)).toHaveLength(1);
  });

  test.each([...GOOD, ...BAD])('check() and admission CEL agree: %s', (_name, object) => {
    expect(admits(rule.admission!, object)).toBe(rule.check(object, ctx).length === 0);
  });
});
