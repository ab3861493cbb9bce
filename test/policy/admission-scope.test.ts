import { admitsExpression } from '../../src/policy/admission-cel';
import {
  CONTROLLER_CREATES, celClusterAdminWrite, celControllerDerived, celExcepted, celIsRegistry, celMeshNamespace, celRegistryWriter, isClusterScoped,
  meshNamespaceSelectors,
} from '../../src/policy/admission-scope';

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

  test('mesh namespace selectors: disjoint, excluded names in each', () => {
    const [injected, revision] = meshNamespaceSelectors(['kube-system', 'gke-system', 'kube-system']);
    expect(injected.selector.matchExpressions).toEqual([
      { key: 'istio-injection', operator: 'In', values: ['enabled'] },
      { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['gke-system', 'kube-system'] },
    ]);
    expect(revision.selector.matchExpressions.slice(0, 2)).toEqual([{ key: 'istio-injection', operator: 'DoesNotExist' }, { key: 'istio.io/rev', operator: 'Exists' }]);
  });

  test('celMeshNamespace: the same namespaces as the selectors', () => {
    const e = `${celMeshNamespace('object', ['kube-system'])}`;
    expect(admitsExpression(e, ns('shop', { 'istio-injection': 'enabled' }))).toBe(true);
    expect(admitsExpression(e, ns('shop', { 'istio.io/rev': 'canary' }))).toBe(true);
    expect(admitsExpression(e, ns('shop', { 'istio-injection': 'disabled', 'istio.io/rev': 'canary' }))).toBe(false);
    expect(admitsExpression(e, ns('shop', {}))).toBe(false);
    expect(admitsExpression(e, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bare' } })).toBe(false);
    expect(admitsExpression(e, ns('kube-system', { 'istio-injection': 'enabled' }))).toBe(false);
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
