import { Chart, Testing } from 'cdk8s';
import * as fc from 'fast-check';
import { AppProtocol } from '../../src/mesh/app-protocol';
import { MeshBaseline } from '../../src/mesh/mesh-baseline';
import { admitsExpression } from '../../src/policy/admission-cel';
import { AdmissionGuardrails } from '../../src/policy/admission-guardrails';
import {
  CONTROLLER_CREATES, celClusterAdminWrite, celControllerDerived, celExcepted, celIsRegistry, celMeshNamespace, celRegistryWriter, isClusterScoped,
  meshNamespaceSelectors,
} from '../../src/policy/admission-scope';
import { AdmissionSimulator, ClusterState } from '../../src/policy/admission-simulator';
import { CLOCK_CONTEXT_KEY } from '../../src/policy/policy-exception';
import { selectorMatches } from '../../src/policy/rules/network-label-selector';
import { MeshRoleSets } from '../../src/rbac/mesh-role-sets';
import { RbacSubject } from '../../src/rbac/rbac-subject';
import { HardenedNamespace } from '../../src/workload/hardened-namespace';
import { SecureService } from '../../src/workload/secure-service';

const user = (username: string, groups: string[] = [], namespace = 'shop', operation = 'CREATE') => ({ request: { operation, namespace, userInfo: { username, groups } } });
const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'shop' } };
const ns = (name: string, labels: { [key: string]: string }) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });

describe('admission scope', () => {
  test('cluster-scoped resources', () => {
    expect(isClusterScoped('', 'namespaces')).toBe(true);
    expect(isClusterScoped('rbac.authorization.k8s.io', 'clusterrolebindings')).toBe(true);
    expect(isClusterScoped('rbac.authorization.k8s.io', 'rolebindings')).toBe(false);
    expect(isClusterScoped('', 'pods')).toBe(false);
    expect(isClusterScoped('security.istio.io', 'peerauthentications')).toBe(false);
  });

  test('mesh namespace selectors: injected, revision, ambient; excluded names in each', () => {
    const [injected, revision, ambient] = meshNamespaceSelectors(['kube-system', 'gke-system', 'kube-system']);
    const notExcluded = { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['gke-system', 'kube-system'] };
    const notAmbient = { key: 'istio.io/dataplane-mode', operator: 'NotIn', values: ['ambient'] };
    expect(injected).toEqual({ suffix: 'injected', selector: { matchExpressions: [{ key: 'istio-injection', operator: 'In', values: ['enabled'] }, notExcluded, notAmbient] } });
    expect(revision).toEqual({
      suffix: 'revision',
      selector: { matchExpressions: [{ key: 'istio-injection', operator: 'DoesNotExist' }, { key: 'istio.io/rev', operator: 'Exists' }, notExcluded, notAmbient] },
    });
    expect(ambient).toEqual({ suffix: 'ambient', selector: { matchExpressions: [{ key: 'istio.io/dataplane-mode', operator: 'In', values: ['ambient'] }, notExcluded] } });
  });

  test('celMeshNamespace: the same namespaces as the selectors', () => {
    const e = `${celMeshNamespace('object', ['kube-system'])}`;
    expect(admitsExpression(e, ns('shop', { 'istio-injection': 'enabled' }))).toBe(true);
    expect(admitsExpression(e, ns('shop', { 'istio.io/rev': 'canary' }))).toBe(true);
    expect(admitsExpression(e, ns('shop', { 'istio.io/dataplane-mode': 'ambient' }))).toBe(true);
    expect(admitsExpression(e, ns('shop', { 'istio-injection': 'disabled', 'istio.io/rev': 'canary' }))).toBe(false);
    expect(admitsExpression(e, ns('shop', { 'istio-injection': 'disabled', 'istio.io/dataplane-mode': 'ambient' }))).toBe(true);
    expect(admitsExpression(e, ns('shop', { 'istio.io/dataplane-mode': 'none' }))).toBe(false);
    expect(admitsExpression(e, ns('shop', { 'istio.io/dataplane-mode': 'Ambient' }))).toBe(false);
    expect(admitsExpression(e, ns('shop', {}))).toBe(false);
    expect(admitsExpression(e, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bare' } })).toBe(false);
    expect(admitsExpression(e, ns('kube-system', { 'istio-injection': 'enabled' }))).toBe(false);
    expect(admitsExpression(e, ns('kube-system', { 'istio.io/dataplane-mode': 'ambient' }))).toBe(false);
  });

  test('property: a namespace is matched by at most one selector, and by one exactly when celMeshNamespace holds', () => {
    const value = (values: string[]) => fc.option(fc.constantFrom(...values), { nil: undefined });
    const labels = fc.record({
      'istio-injection': value(['enabled', 'disabled', '']),
      'istio.io/rev': value(['canary', '']),
      'istio.io/dataplane-mode': value(['ambient', 'none']),
      'team': value(['web']),
    }).map((r: { [key: string]: string | undefined }) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)) as {
      [key: string]: string;
    });
    const selectors = meshNamespaceSelectors(['kube-system']);
    const cel = celMeshNamespace('object', ['kube-system']);
    fc.assert(fc.property(fc.constantFrom('shop', 'kube-system'), labels, (name: string, l: { [key: string]: string }) => {
      const matched = selectors.filter((s) => selectorMatches(s.selector, { ...l, 'kubernetes.io/metadata.name': name }));
      expect(matched.length).toBeLessThanOrEqual(1);
      expect(matched.length === 1).toBe(admitsExpression(cel, ns(name, l)));
    }), { numRuns: 300 });
  });

  test.each(CONTROLLER_CREATES.flatMap((c) => c.kinds.map((k) => [c.username, k] as const)))('controller-derived: %s creating a %s', (username, kind) => {
    expect(admitsExpression(celControllerDerived(), { ...pod, kind }, null, user(username))).toBe(true);
    expect(admitsExpression(celControllerDerived(), { ...pod, kind: 'Deployment' }, null, user(username))).toBe(false);
    expect(admitsExpression(celControllerDerived(), { ...pod, kind }, null, user('alice'))).toBe(false);
  });

  test('celExcepted: the rule listed for Kind.name, by rule id before the @', () => {
    const params = (data: object) => ({ data });
    expect(admitsExpression(celExcepted(['POD-PRIV-001']), pod, params({ 'Pod.p': 'POD-PRIV-001@2027-01-01' }))).toBe(true);
    expect(admitsExpression(celExcepted(['POD-PRIV-001']), pod, params({ 'Pod.p': 'POD-PRIV-0011@2027-01-01' }))).toBe(false);
    expect(admitsExpression(celExcepted(['POD-PRIV-001']), pod, params({ 'Pod.q': 'POD-PRIV-001@2027-01-01' }))).toBe(false);
    expect(admitsExpression(celExcepted(['POD-PRIV-001']), pod, null)).toBe(false);
    expect(admitsExpression(celExcepted(['POD-PRIV-001'], 'oldObject'), null, params({ 'Pod.p': 'POD-PRIV-001@2027-01-01' }), { oldObject: pod })).toBe(true);
  });

  test('registry writers: admin groups, exact usernames, and {namespace} bound to the request\'s', () => {
    const e = celRegistryWriter(['mesh-admins'], ['system:serviceaccount:argocd:argocd-application-controller', 'system:serviceaccount:config-management-system:ns-reconciler-{namespace}']);
    expect(admitsExpression(e, pod, null, user('bob', ['mesh-admins']))).toBe(true);
    expect(admitsExpression(e, pod, null, user('system:serviceaccount:argocd:argocd-application-controller'))).toBe(true);
    expect(admitsExpression(e, pod, null, user('system:serviceaccount:config-management-system:ns-reconciler-shop'))).toBe(true);
    expect(admitsExpression(e, pod, null, user('system:serviceaccount:config-management-system:ns-reconciler-shop', [], 'billing'))).toBe(false);
    expect(admitsExpression(e, pod, null, user('bob', ['developers']))).toBe(false);
    expect(celRegistryWriter([], [])).toBe('false');
  });

  test('celIsRegistry: by name on the object or the old object', () => {
    const cm = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'shop' } });
    expect(admitsExpression(celIsRegistry(), cm('secure-mesh-exceptions'))).toBe(true);
    expect(admitsExpression(celIsRegistry(), null, null, { oldObject: cm('secure-mesh-exceptions') })).toBe(true);
    expect(admitsExpression(celIsRegistry(), cm('app-config'))).toBe(false);
  });

  test('cluster admin writes: cluster-scoped objects by system:masters or a mesh admin group only', () => {
    const e = celClusterAdminWrite(['mesh-admins']);
    const role = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'r' } };
    expect(admitsExpression(e, role, null, user('root', ['system:masters'], ''))).toBe(true);
    expect(admitsExpression(e, role, null, user('bob', ['mesh-admins'], ''))).toBe(true);
    expect(admitsExpression(e, role, null, user('alice', ['developers'], ''))).toBe(false);
    expect(admitsExpression(e, pod, null, user('root', ['system:masters']))).toBe(false);
  });
});

describe('the guardrails judge ambient namespaces (decided by the admission simulator)', () => {
  const IMAGE = `gcr.io/acme/app@sha256:${'a'.repeat(64)}`;
  const ALICE = { username: 'alice', groups: ['system:authenticated'] };
  /** An app with a sidecar namespace and its guardrails; the cluster also has an ambient namespace and a plain one, each with its registry. */
  function world() {
    const app = Testing.app();
    app.node.setContext(CLOCK_CONTEXT_KEY, '2030-01-15');
    const chart = new Chart(app, 'test');
    new MeshBaseline(chart, 'mesh');
    new MeshRoleSets(chart, 'roles', { meshAdmins: [RbacSubject.group('mesh-admins')] });
    const shop = new HardenedNamespace(chart, 'shop', { name: 'shop' });
    new SecureService(chart, 'cart', { namespace: shop, image: IMAGE, ports: [{ name: 'http', port: 9080, protocol: AppProtocol.HTTP }] });
    new AdmissionGuardrails(chart, 'g');
    const objects = Testing.synth(chart);
    const registry = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === AdmissionGuardrails.EXCEPTIONS_CONFIGMAP);
    const registryIn = (namespace: string) => ({ ...registry, metadata: { ...registry.metadata, namespace } });
    const cluster: ClusterState = {
      namespaces: [
        ...objects.filter((o) => o.kind === 'Namespace'),
        ns('istio-system', {}),
        ns('mall', { 'istio.io/dataplane-mode': 'ambient' }),
        ns('batch', {}),
      ],
      params: [...objects.filter((o) => o.kind === 'ConfigMap'), registryIn('mall'), registryIn('batch')],
    };
    const template = objects.find((o) => o.kind === 'Deployment').spec.template;
    const podIn = (namespace: string, spec: object = {}) => ({
      apiVersion: 'v1', kind: 'Pod', metadata: { ...template.metadata, name: 'by-hand', namespace }, spec: { ...template.spec, ...spec },
    });
    return { cluster, podIn, simulator: new AdmissionSimulator(objects) };
  }

  test('every binding of the mesh namespaces has an ambient twin', () => {
    const chart = Testing.chart();
    new MeshBaseline(chart, 'mesh');
    new MeshRoleSets(chart, 'roles', { meshAdmins: [RbacSubject.group('mesh-admins')] });
    new AdmissionGuardrails(chart, 'g');
    const names = Testing.synth(chart).filter((o) => o.kind === 'ValidatingAdmissionPolicyBinding').map((o) => o.metadata.name as string);
    const injected = names.filter((n) => n.endsWith('-injected'));
    expect(injected.length).toBeGreaterThan(0);
    expect(injected.map((n) => n.replace(/-injected$/, '-ambient')).filter((n) => !names.includes(n))).toEqual([]);
  });

  test('an ambient namespace\'s objects are judged: a host-network Pod is refused, a compliant one admitted', () => {
    const { cluster, podIn, simulator } = world();
    expect(simulator.decide({ operation: 'CREATE', object: podIn('mall'), userInfo: ALICE }, cluster)).toMatchObject({ allowed: true, denials: [], errors: [] });
    const d = simulator.decide({ operation: 'CREATE', object: podIn('mall', { hostNetwork: true }), userInfo: ALICE }, cluster);
    expect(d.allowed).toBe(false);
    expect(d.denials.map((x) => x.binding)).toEqual(expect.arrayContaining([expect.stringMatching(/-ambient$/)]));
    // Fail closed there too: without the namespace's registry, every checked write is refused.
    expect(simulator.decide({ operation: 'CREATE', object: podIn('mall'), userInfo: ALICE }, { ...cluster, params: cluster.params.filter((p: any) => p.metadata.namespace !== 'mall') }).allowed)
      .toBe(false);
  });

  test('a namespace with neither label is not judged', () => {
    const { cluster, podIn, simulator } = world();
    expect(simulator.decide({ operation: 'CREATE', object: podIn('batch', { hostNetwork: true }), userInfo: ALICE }, cluster).allowed).toBe(true);
    const optedOut = { ...cluster, namespaces: [...cluster.namespaces.filter((n: any) => n.metadata.name !== 'batch'), ns('batch', { 'istio.io/dataplane-mode': 'none' })] };
    expect(simulator.decide({ operation: 'CREATE', object: podIn('batch', { hostNetwork: true }), userInfo: ALICE }, optedOut).allowed).toBe(true);
  });

  test('an ambient Namespace object is judged (NS-PSA-001 wants its restricted profile); a plain one is not', () => {
    const { cluster, simulator } = world();
    const d = simulator.decide({ operation: 'CREATE', object: ns('outlet', { 'istio.io/dataplane-mode': 'ambient' }), userInfo: ALICE }, cluster);
    expect(d.allowed).toBe(false);
    expect(d.denials.map((x) => x.message).join('\n')).toMatch(/NS-PSA-001/);
    expect(simulator.decide({ operation: 'CREATE', object: ns('outlet', { team: 'web' }), userInfo: ALICE }, cluster).allowed).toBe(true);
  });
});
