import { testWorkload } from './workload-fixture';
import { evaluateEgress, evaluateIngress, namespaceSelected, parseNetworkPolicies } from '../../src/audit/network-evaluator';
import { Workload, namespacesOf } from '../../src/audit/workloads';

const wl = (namespace: string, name: string, labels: { [k: string]: string } = { app: name }, ports: { port: number; name?: string }[] = [{ port: 8080, name: 'http' }]) =>
  testWorkload(namespace, name, labels, { ports });

function np(namespace: string, name: string, spec: any): any {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace }, spec };
}

function ns(name: string, labels: { [k: string]: string } = {}): any {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } };
}

const web = wl('shop', 'web');
const api = wl('shop', 'api');
const other = wl('other', 'client');

function ingress(objects: any[], caller: Workload, target: Workload, port = 8080) {
  return evaluateIngress(parseNetworkPolicies(objects), caller, target, port, namespacesOf(objects, [caller.namespace, target.namespace]));
}

function egress(objects: any[], caller: Workload, target: Workload, port = 8080) {
  return evaluateEgress(parseNetworkPolicies(objects), caller, target, port, namespacesOf(objects, [caller.namespace, target.namespace]));
}

const DEFAULT_DENY = np('shop', 'default-deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] });

describe('NetworkPolicy ingress on the target (AUTHZ-4, NETPOL-1)', () => {
  test('no policy selecting the pod for Ingress: everything is admitted', () => {
    expect(ingress([], web, api)).toEqual({ value: true, decidedBy: '', reason: 'no NetworkPolicy selects shop/api for Ingress', policies: [] });
    // An Egress-only policy does not isolate for ingress.
    expect(ingress([np('shop', 'e', { podSelector: {}, policyTypes: ['Egress'] })], web, api).value).toBe(true);
  });

  test('default deny isolates; the denial names what isolates the pod, not a policy admitting other traffic', () => {
    const r = ingress([DEFAULT_DENY], web, api);
    expect(r).toMatchObject({ value: false, decidedBy: 'NetworkPolicy/shop/default-deny' });
    expect(r.reason).toBe('no Ingress rule admits shop/web -> shop/api:8080: NetworkPolicy/shop/default-deny isolates shop/api for Ingress');
    // api's own allow policy (for another caller) is more specific, but the default deny is what refuses web.
    const specific = np('shop', 'api-ingress', { podSelector: { matchLabels: { app: 'api' } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'other' } } }] }] });
    const both = ingress([DEFAULT_DENY, specific], web, api);
    expect(both).toMatchObject({ value: false, decidedBy: 'NetworkPolicy/shop/default-deny', policies: ['NetworkPolicy/shop/api-ingress', 'NetworkPolicy/shop/default-deny'] });
    expect(both.reason).toContain('NetworkPolicy/shop/default-deny isolates shop/api for Ingress and NetworkPolicy/shop/api-ingress admits other traffic only');
    // Without a policy that only isolates, the most specific selecting policy is what isolates the pod.
    expect(ingress([specific], web, api)).toMatchObject({ value: false, decidedBy: 'NetworkPolicy/shop/api-ingress' });
  });

  test('policies add up: a podSelector peer admits pods of the policy namespace only', () => {
    const allow = np('shop', 'api-from-web', { podSelector: { matchLabels: { app: 'api' } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'web' } } }], ports: [{ port: 8080 }] }] });
    expect(ingress([DEFAULT_DENY, allow], web, api)).toMatchObject({ value: true, decidedBy: 'NetworkPolicy/shop/api-from-web', policies: ['NetworkPolicy/shop/api-from-web'] });
    expect(ingress([DEFAULT_DENY, allow], wl('other', 'web'), api).value).toBe(false);
    expect(ingress([DEFAULT_DENY, allow], web, api, 9090).value).toBe(false);
  });

  test('namespaceSelector by kubernetes.io/metadata.name, with and without a podSelector', () => {
    const fromOther = np('shop', 'from-other', { podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'other' } } }] }] });
    expect(ingress([fromOther], other, api).value).toBe(true);
    expect(ingress([fromOther], web, api).value).toBe(false);
    const both = np('shop', 'both', { podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'other' } }, podSelector: { matchLabels: { app: 'nope' } } }] }] });
    expect(ingress([both], other, api).value).toBe(false);
  });

  test('other namespace labels come from Namespace objects; without one the answer is unknown', () => {
    const team = np('shop', 'from-team', { podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'a' } } }] }] });
    expect(ingress([team, ns('other', { team: 'a' })], other, api).value).toBe(true);
    expect(ingress([team, ns('other', { team: 'b' })], other, api).value).toBe(false);
    expect(ingress([team], other, api)).toMatchObject({ value: 'unknown', decidedBy: 'NetworkPolicy/shop/from-team', reason: expect.stringContaining('no Namespace object') });
    // The name label alone decides when it already fails.
    const named = { matchLabels: { 'kubernetes.io/metadata.name': 'x', 'team': 'a' } };
    expect(namespaceSelected(named, 'other', undefined).value).toBe(false);
    expect(namespaceSelected({ matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: ['other'] }] }, 'other', undefined).value).toBe(true);
    expect(namespaceSelected({}, 'other', undefined).value).toBe(true);
  });

  test('an empty from admits everyone; ipBlock names no pod unless 0.0.0.0/0 (except: unknown)', () => {
    expect(ingress([np('shop', 'open', { podSelector: {}, ingress: [{ ports: [{ port: 8080 }] }] })], other, api).value).toBe(true);
    expect(ingress([np('shop', 'ip', { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/8' } }] }] })], other, api).value).toBe(false);
    expect(ingress([np('shop', 'ip', { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '0.0.0.0/0' } }] }] })], other, api).value).toBe(true);
    expect(ingress([np('shop', 'ip', { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8'] } }] }] })], other, api).value).toBe('unknown');
    expect(ingress([np('shop', 'empty', { podSelector: {}, ingress: [{ from: [{}] }] })], other, api).value).toBe(false);
  });

  test('ports: numbers, ranges, named ports of the target, TCP only', () => {
    const rule = (ports: any[]) => [np('shop', 'p', { podSelector: {}, ingress: [{ ports }] })];
    expect(ingress(rule([{ port: 8000, endPort: 8100 }]), web, api).value).toBe(true);
    expect(ingress(rule([{ port: 'http' }]), web, api).value).toBe(true);
    expect(ingress(rule([{ port: 'grpc' }]), web, api).value).toBe(false);
    expect(ingress(rule([{ port: '8080' }]), web, api).value).toBe(true);
    expect(ingress(rule([{ protocol: 'UDP', port: 8080 }]), web, api).value).toBe(false);
    expect(ingress(rule([{ protocol: 'TCP' }]), web, api).value).toBe(true);
  });

  test('matchExpressions in pod selectors', () => {
    const sel = np('shop', 'expr', { podSelector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['api'] }] }, ingress: [{ from: [{ podSelector: { matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['web'] }] } }] }] });
    expect(ingress([sel], web, api).value).toBe(false);
    expect(ingress([sel], wl('shop', 'batch'), api).value).toBe(true);
    expect(ingress([sel], web, wl('shop', 'db')).value).toBe(true);
  });
});

describe('NetworkPolicy egress on the caller', () => {
  test('policyTypes defaults to Ingress, plus Egress when the policy has an egress section', () => {
    const [p] = parseNetworkPolicies([np('shop', 'e', { podSelector: {}, egress: [] })]);
    expect([p.ingress, p.egress]).toEqual([true, true]);
    const [q] = parseNetworkPolicies([np('shop', 'i', { podSelector: {} })]);
    expect([q.ingress, q.egress]).toEqual([true, false]);
  });

  test('an isolated caller reaches only what its egress rules name', () => {
    const allow = np('shop', 'web-egress', { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Egress'], egress: [{ to: [{ podSelector: { matchLabels: { app: 'api' } } }], ports: [{ port: 'http' }] }] });
    expect(egress([DEFAULT_DENY, allow], web, api)).toMatchObject({ value: true, decidedBy: 'NetworkPolicy/shop/web-egress' });
    expect(egress([DEFAULT_DENY, allow], web, other)).toMatchObject({ value: false, decidedBy: 'NetworkPolicy/shop/default-deny', reason: expect.stringContaining('no Egress rule') });
    // A DNS-only egress policy selecting every pod isolates them too; the default deny is still named first.
    const dns = np('shop', 'allow-dns', { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ namespaceSelector: {} }], ports: [{ port: 53, protocol: 'UDP' }] }] });
    expect(egress([dns, DEFAULT_DENY], web, other)).toMatchObject({ value: false, decidedBy: 'NetworkPolicy/shop/default-deny' });
    expect(egress([dns], web, other)).toMatchObject({ value: false, decidedBy: 'NetworkPolicy/shop/allow-dns' });
    expect(egress([allow], api, web)).toMatchObject({ value: true, decidedBy: '' });
  });

  test('0.0.0.0/0 egress reaches in-cluster pods too', () => {
    const out = np('shop', 'out', { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: [{ port: 443 }] }] });
    expect(egress([out], web, wl('other', 'tls', { app: 'tls' }, [{ port: 443 }]), 443).value).toBe(true);
    expect(egress([out], web, api).value).toBe(false);
  });
});
