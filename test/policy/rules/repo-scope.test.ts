import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ApiObject, Chart, Testing } from 'cdk8s';
import { auditManifests, auditSettingsOf } from '../../../src/audit/audit';
import { applyDefaultNamespace, isNamespaced } from '../../../src/audit/default-namespace';
import { LoadedManifest, loadManifests } from '../../../src/audit/manifest-loader';
import { SecureMeshConfig } from '../../../src/config/secure-mesh-config';
import { AppProtocol } from '../../../src/mesh/app-protocol';
import { MeshBaseline } from '../../../src/mesh/mesh-baseline';
import { CLUSTER_SCOPED_KINDS, isClusterScopedKind } from '../../../src/policy/cluster-scoped-kinds';
import { CONFIG_CONTEXT_KEY, PolicyEnforcement } from '../../../src/policy/policy-enforcement';
import { RuleContext, RuleObject, RuleSeverity } from '../../../src/policy/rule';
import { ALL_RULES, ruleById } from '../../../src/policy/rule-pack';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import { REPO_SCOPE_001 as rule } from '../../../src/policy/rules/repo-scope';
import { HardenedNamespace } from '../../../src/workload/hardened-namespace';
import { SecureService } from '../../../src/workload/secure-service';
import { synthValidated } from '../../helpers';
import { describeWithShared } from '../../shared';

const OWNED = ['team-a', 'team-b'];
const IMAGE = `gcr.io/acme/app@sha256:${'a'.repeat(64)}`;

/** The violations of `objects` (the rule's checkAll), as [object, path, message]; `null`: no appNamespaces in the context. */
function run(objects: RuleObject[], appNamespaces: readonly string[] | null = OWNED): [RuleObject, string, string][] {
  const ctx: RuleContext = { ...ruleContext(objects), ...(appNamespaces ? { appNamespaces } : {}) };
  return rule.checkAll!(ctx).map((f) => [f.object!, f.violation.path, f.violation.message]);
}

const obj = (apiVersion: string, kind: string, name: string, namespace?: string, extra: object = {}): RuleObject => (
  { apiVersion, kind, metadata: { name, ...(namespace !== undefined ? { namespace } : {}) }, ...extra });

const GOOD: [string, RuleObject][] = [
  ['a Deployment in an owned namespace', obj('apps/v1', 'Deployment', 'web', 'team-a', { spec: { template: { spec: { containers: [] } } } })],
  ['a ConfigMap in the other owned namespace', obj('v1', 'ConfigMap', 'c', 'team-b')],
  ['a Role in an owned namespace', obj('rbac.authorization.k8s.io/v1', 'Role', 'deployer', 'team-a', { rules: [] })],
  ['a RoleBinding naming another namespace\'s ServiceAccount and a ClusterRole (a grant here, not a write there)',
    obj('rbac.authorization.k8s.io/v1', 'RoleBinding', 'ci', 'team-a', {
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
      subjects: [{ kind: 'ServiceAccount', name: 'ci', namespace: 'platform-ci' }],
    })],
  ['an AuthorizationPolicy admitting a principal of another namespace',
    obj('security.istio.io/v1', 'AuthorizationPolicy', 'allow', 'team-a', {
      spec: { rules: [{ from: [{ source: { principals: ['cluster.local/ns/team-c/sa/web'] } }] }] },
    })],
  ['an HTTPRoute attached to the platform\'s Gateway in another namespace',
    obj('gateway.networking.k8s.io/v1', 'HTTPRoute', 'web', 'team-b', { spec: { parentRefs: [{ name: 'ingress', namespace: 'istio-ingress' }] } })],
  ['a custom resource in an owned namespace', obj('argoproj.io/v1alpha1', 'Rollout', 'web', 'team-a')],
  ['a Role (namespaced, though ClusterRole is not)', obj('rbac.authorization.k8s.io/v1', 'Role', 'r', 'team-b')],
  ['a kind called Namespace of another group', obj('example.com/v1', 'Namespace', 'x', 'team-a')],
];

/** [name, object, path, message fragment] */
const BAD: [string, RuleObject, string, string][] = [
  ['the Namespace of an owned namespace (the platform creates it)', obj('v1', 'Namespace', 'team-a'), 'kind',
    'a Namespace (team-a) is cluster-scoped: the platform repository creates the namespaces of app repositories, with their '
    + 'RepoSync/AppProject, and an app repository\'s namespace-scoped sync cannot apply it (this app repository owns team-a, team-b)'],
  ['another Namespace', obj('v1', 'Namespace', 'team-z'), 'kind', 'a Namespace (team-z) is cluster-scoped'],
  ['a ClusterRole', obj('rbac.authorization.k8s.io/v1', 'ClusterRole', 'r', undefined, { rules: [] }), 'kind',
    'rbac.authorization.k8s.io ClusterRole is cluster-scoped: an app repository\'s namespace-scoped sync (RepoSync, AppProject without '
    + 'cluster resources) cannot apply it, and the repository must not own it (this app repository owns team-a, team-b)'],
  ['a ClusterRoleBinding', obj('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', 'b'), 'kind', 'ClusterRoleBinding is cluster-scoped'],
  ['a ClusterRole that names an owned namespace (ignored by the API server)', obj('rbac.authorization.k8s.io/v1', 'ClusterRole', 'r', 'team-a'),
    'kind', 'ClusterRole is cluster-scoped'],
  ['a ValidatingAdmissionPolicy', obj('admissionregistration.k8s.io/v1', 'ValidatingAdmissionPolicy', 'p'), 'kind', 'ValidatingAdmissionPolicy is cluster-scoped'],
  ['a ValidatingAdmissionPolicyBinding', obj('admissionregistration.k8s.io/v1', 'ValidatingAdmissionPolicyBinding', 'p'), 'kind', 'is cluster-scoped'],
  ['a ValidatingWebhookConfiguration', obj('admissionregistration.k8s.io/v1', 'ValidatingWebhookConfiguration', 'w'), 'kind', 'is cluster-scoped'],
  ['a MutatingWebhookConfiguration', obj('admissionregistration.k8s.io/v1', 'MutatingWebhookConfiguration', 'w'), 'kind', 'is cluster-scoped'],
  ['a CustomResourceDefinition', obj('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'x.example.com'), 'kind', 'is cluster-scoped'],
  ['a PersistentVolume', obj('v1', 'PersistentVolume', 'pv'), 'kind', 'PersistentVolume is cluster-scoped'],
  ['a StorageClass', obj('storage.k8s.io/v1', 'StorageClass', 'fast'), 'kind', 'storage.k8s.io StorageClass is cluster-scoped'],
  ['a PriorityClass', obj('scheduling.k8s.io/v1', 'PriorityClass', 'high'), 'kind', 'is cluster-scoped'],
  ['an IngressClass', obj('networking.k8s.io/v1', 'IngressClass', 'nginx'), 'kind', 'is cluster-scoped'],
  ['a GatewayClass', obj('gateway.networking.k8s.io/v1', 'GatewayClass', 'istio'), 'kind', 'is cluster-scoped'],
  ['a RuntimeClass', obj('node.k8s.io/v1', 'RuntimeClass', 'gvisor'), 'kind', 'is cluster-scoped'],
  ['an APIService', obj('apiregistration.k8s.io/v1', 'APIService', 'v1.example.com'), 'kind', 'is cluster-scoped'],
  ['a PodSecurityPolicy', obj('policy/v1beta1', 'PodSecurityPolicy', 'p'), 'kind', 'is cluster-scoped'],
  ['a CSIDriver', obj('storage.k8s.io/v1', 'CSIDriver', 'd'), 'kind', 'is cluster-scoped'],
  ['a Gatekeeper constraint (every kind of the group is cluster-scoped)', obj('constraints.gatekeeper.sh/v1beta1', 'K8sRequiredLabels', 'c'),
    'kind', 'constraints.gatekeeper.sh K8sRequiredLabels is cluster-scoped'],
  ['a namespaced object without a namespace', obj('apps/v1', 'Deployment', 'web'), 'metadata.namespace',
    'names no namespace: the sync would put it in whatever namespace it applies to; name the one it belongs to (this app repository '
    + 'owns team-a, team-b). If the kind is cluster-scoped, it belongs to the platform repository'],
  ['an empty namespace', obj('v1', 'ConfigMap', 'c', ''), 'metadata.namespace', 'names no namespace'],
  ['a custom kind without a namespace (unknown kinds are namespaced)', obj('example.com/v1', 'Widget', 'w'), 'metadata.namespace', 'names no namespace'],
  ['an object of another team\'s namespace', obj('v1', 'ConfigMap', 'c', 'team-c'), 'metadata.namespace',
    'is in namespace team-c, which this repository does not own (it owns team-a, team-b): its sync cannot write there, and whoever owns '
    + 'team-c (the platform, or another team\'s repository) writes it'],
  ['a PeerAuthentication in the mesh root namespace', obj('security.istio.io/v1', 'PeerAuthentication', 'default', 'istio-system'),
    'metadata.namespace', 'is in namespace istio-system, which this repository does not own'],
  ['a RoleBinding in kube-system', obj('rbac.authorization.k8s.io/v1', 'RoleBinding', 'b', 'kube-system'), 'metadata.namespace', 'is in namespace kube-system'],
  ['a NetworkPolicy in the caller\'s namespace (the other repository writes its side)', obj('networking.k8s.io/v1', 'NetworkPolicy', 'egress', 'team-c'),
    'metadata.namespace', 'is in namespace team-c'],
];

describe('REPO-SCOPE-001: an app repository writes only its own namespaces', () => {
  test('metadata', () => {
    expect(rule.id).toBe('REPO-SCOPE-001');
    expect(rule.practices).toEqual(['NS-1', 'RBAC-1', 'OPS-2']);
    expect(rule.severity).toBe(RuleSeverity.ERROR);
    expect(rule.since).toBe('2');
    expect(rule.kinds).toEqual([]);
    expect(rule.admission).toBeUndefined();
    expect(rule.admissionFor).toBeUndefined();
    expect(rule.auditOnly).toBeUndefined();
    expect(rule.explanation).toMatch(/does not say which repository sent it/);
    expect(rule.fix).toMatch(/platform repository/);
    expect(rule.fix).toMatch(/appNamespaces/);
    expect(ruleById('REPO-SCOPE-001')).toBe(rule);
  });

  test.each(GOOD)('GOOD: %s', (_name, object) => {
    expect(run([object])).toEqual([]);
  });

  test.each(BAD)('BAD: %s', (_name, object, p, message) => {
    const found = run([object]);
    expect(found.map(([o, at]) => [o, at])).toEqual([[object, p]]);
    expect(found[0][2]).toContain(message);
  });

  test('all together: one finding per bad object, in object order, none on the good ones', () => {
    const objects = [...GOOD.map(([, o]) => o), ...BAD.map(([, o]) => o)];
    expect(run(objects).map(([o, p]) => [o, p])).toEqual(BAD.map(([, o, p]) => [o, p]));
  });

  test('check() alone finds nothing: the rule works through checkAll over every object', () => {
    const ctx = { ...ruleContext([]), appNamespaces: OWNED };
    for (const [, o] of BAD) expect(rule.check(o, ctx)).toEqual([]);
  });

  test('no appNamespaces (undefined or empty): not an app repository, nothing is reported', () => {
    const objects = BAD.map(([, o]) => o);
    expect(run(objects, null)).toEqual([]);
    expect(run(objects, [])).toEqual([]);
    expect(ruleContext(objects, { appNamespaces: [] }).appNamespaces).toBeUndefined();
  });

  test('the owned namespaces are named sorted and unique; a long list is shortened', () => {
    const [[, , message]] = run([obj('v1', 'ConfigMap', 'c', 'x')], ['team-b', 'team-a', 'team-b']);
    expect(message).toContain('(it owns team-a, team-b)');
    const many = ['n1', 'n2', 'n3', 'n4', 'n5', 'n6', 'n7'];
    expect(run([obj('v1', 'ConfigMap', 'c', 'x')], many)[0][2]).toContain('(it owns n1, n2, n3, n4, n5 and 2 more)');
  });

  test('odd shapes do not throw', () => {
    const odd: any[] = [
      null, undefined, 'a string', 42, [],
      {}, { kind: 'ConfigMap' }, { kind: 'ConfigMap', metadata: null }, { kind: 'ConfigMap', metadata: 'x' },
      { apiVersion: 7, kind: 'ClusterRole', metadata: { name: 'x' } }, { apiVersion: null, kind: 'Namespace' },
      { apiVersion: 'v1', kind: 42, metadata: { namespace: 'x' } }, { apiVersion: 'v1', kind: '', metadata: { namespace: 'x' } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 42 } }, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: ['team-a'] } },
    ];
    expect(() => run(odd)).not.toThrow();
    const found = run(odd).map(([o, p]) => [odd.indexOf(o), p]);
    // No kind (or not a string): not judged (MANIFEST-INVALID's business); a namespace that is not a string names none;
    // an apiVersion that is not a string reads as the core group (where ClusterRole is no kind: namespaced, and unplaced).
    expect(found).toEqual([
      [6, 'metadata.namespace'], [7, 'metadata.namespace'], [8, 'metadata.namespace'],
      [9, 'metadata.namespace'], [10, 'kind'], [13, 'metadata.namespace'], [14, 'metadata.namespace'],
    ]);
  });

  test('the cluster-scoped kinds, by group and kind (shared with the audit\'s default namespace)', () => {
    for (const key of ['/Namespace', 'rbac.authorization.k8s.io/ClusterRoleBinding', 'admissionregistration.k8s.io/ValidatingAdmissionPolicy',
      'apiextensions.k8s.io/CustomResourceDefinition', 'storage.k8s.io/StorageClass', 'gateway.networking.k8s.io/GatewayClass']) {
      expect(CLUSTER_SCOPED_KINDS.has(key)).toBe(true);
    }
    expect(isClusterScopedKind(obj('v1', 'Namespace', 'x'))).toBe(true);
    expect(isClusterScopedKind(obj('example.com/v1', 'Namespace', 'x'))).toBe(false);
    expect(isClusterScopedKind(obj('rbac.authorization.k8s.io/v1', 'Role', 'x'))).toBe(false);
    expect(isClusterScopedKind(obj('constraints.gatekeeper.sh/v1beta1', 'AnyConstraint', 'x'))).toBe(true);
    expect(isNamespaced(obj('v1', 'Namespace', 'x'))).toBe(false);
    expect(isNamespaced(obj('policy/v1beta1', 'PodSecurityPolicy', 'x'))).toBe(false);
    expect(isNamespaced(obj('v1', 'ConfigMap', 'x'))).toBe(true);
  });
});

describe('REPO-SCOPE-001 over what the library writes', () => {
  test('a namespace-only app (imported mesh, a HardenedNamespace and services): only its Namespace object is reported', () => {
    const chart = new Chart(Testing.app(), 'team');
    const mesh = MeshBaseline.fromAttributes({ trustDomain: 'example.org' });
    const ns = new HardenedNamespace(chart, 'ns', { name: 'team-a', mesh });
    const web = new SecureService(chart, 'web', { namespace: ns, image: IMAGE, ports: [{ name: 'http', port: 8080, protocol: AppProtocol.HTTP }] });
    const api = new SecureService(chart, 'api', { namespace: ns, image: IMAGE, ports: [{ name: 'http', port: 8080, protocol: AppProtocol.HTTP }] });
    api.allowFrom(web, { ports: [8080] });
    const objects = synthValidated(chart);
    expect(objects.length).toBeGreaterThan(5);
    const found = run(objects, ['team-a']);
    expect(found.map(([o, p]) => [`${o.kind}/${o.metadata?.name}`, p])).toEqual([['Namespace/team-a', 'kind']]);
  });

  test('the same output is judged by every other rule as before: the rule adds findings only with appNamespaces', () => {
    const chart = new Chart(Testing.app(), 'platform');
    new MeshBaseline(chart, 'mesh');
    const objects = synthValidated(chart);
    expect(run(objects, null)).toEqual([]);
    // The platform's own output is everything an app repository must not write.
    expect(run(objects, ['team-a']).length).toBe(objects.length);
  });
});

describe('REPO-SCOPE-001 in synthesis (the namespaces an app declares)', () => {
  const created: string[] = [];
  afterAll(() => created.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  function appChart(config?: string): Chart {
    const app = Testing.app();
    if (config !== undefined) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'repo-scope-'));
      created.push(dir);
      const file = path.join(dir, SecureMeshConfig.FILE_NAME);
      fs.writeFileSync(file, config);
      app.node.setContext(CONFIG_CONTEXT_KEY, file);
    }
    return new Chart(app, 'test');
  }

  test('an object in a namespace the app does not own fails synthesis, naming the rule, the construct path and metadata.namespace', () => {
    const chart = appChart();
    PolicyEnforcement.of(chart)._declareAppNamespace('team-a');
    new ApiObject(chart, 'cm', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', namespace: 'team-b' }, data: { k: 'v' } });
    expect(() => Testing.synth(chart)).toThrow(
      /REPO-SCOPE-001 \(NS-1, RBAC-1, OPS-2\): \[test\/cm\] ConfigMap\/team-b\/cm metadata\.namespace: is in namespace team-b, which this repository does not own \(it owns team-a\)/);
  });

  test('objects of the declared namespaces synthesize; the rule context carries them, sorted', () => {
    const chart = appChart();
    const enforcement = PolicyEnforcement.of(chart);
    enforcement._declareAppNamespace('team-b');
    enforcement._declareAppNamespace('team-a');
    enforcement._declareAppNamespace('team-b');
    new ApiObject(chart, 'a', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', namespace: 'team-a' }, data: { k: 'v' } });
    new ApiObject(chart, 'b', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', namespace: 'team-b' }, data: { k: 'v' } });
    expect(Testing.synth(chart)).toHaveLength(2);
    expect(enforcement._lastContext()?.appNamespaces).toEqual(['team-a', 'team-b']);
    expect(enforcement._declaredMesh().appNamespaces).toEqual(['team-a', 'team-b']);
    expect(enforcement.report.findings.filter((f) => f.ruleId === 'REPO-SCOPE-001')).toEqual([]);
  });

  test('a cluster-scoped object of an app fails synthesis at kind', () => {
    const chart = appChart();
    PolicyEnforcement.of(chart)._declareAppNamespace('team-a');
    new ApiObject(chart, 'pc', { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'high' }, value: 1000 });
    expect(() => Testing.synth(chart)).toThrow(/REPO-SCOPE-001 \(NS-1, RBAC-1, OPS-2\): \[test\/pc\] PriorityClass\/high kind: scheduling\.k8s\.io PriorityClass is cluster-scoped/);
  });

  test('no declared namespace: no boundary, the rule context has none', () => {
    const chart = appChart();
    new ApiObject(chart, 'cm', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', namespace: 'anywhere' }, data: { k: 'v' } });
    expect(() => Testing.synth(chart)).not.toThrow();
    expect(PolicyEnforcement.of(chart)._lastContext()?.appNamespaces).toBeUndefined();
    expect(PolicyEnforcement.of(chart)._declaredMesh().appNamespaces).toEqual([]);
  });

  test('a declared name that is not a namespace name is refused at once', () => {
    const chart = appChart();
    expect(() => PolicyEnforcement.of(chart)._declareAppNamespace('Team_A')).toThrow(/app namespace "Team_A" is not a namespace name \(DNS-1123 label\)/);
  });

  test('secure-mesh.yaml must list the namespaces the app declares (drift fails synthesis)', () => {
    const head = 'apiVersion: secure-mesh.cdk8s.io/v1alpha1\nkind: SecureMeshConfig\n';
    const drifted = appChart(`${head}appNamespaces: [team-b]\n`);
    PolicyEnforcement.of(drifted)._declareAppNamespace('team-a');
    new ApiObject(drifted, 'cm', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', namespace: 'team-a' }, data: { k: 'v' } });
    expect(() => Testing.synth(drifted)).toThrow(/MESH-CONFIG \(OPS-1\): .* appNamespaces: the file says \["team-b"\], the blueprint \["team-a"\][\s\S]*appNamespaces: \[team-a\]/);
    const agreeing = appChart(`${head}appNamespaces: [team-a]\n`);
    PolicyEnforcement.of(agreeing)._declareAppNamespace('team-a');
    new ApiObject(agreeing, 'cm', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', namespace: 'team-a' }, data: { k: 'v' } });
    expect(() => Testing.synth(agreeing)).not.toThrow();
  });
});

describe('REPO-SCOPE-001 in the audit (appNamespaces of secure-mesh.yaml)', () => {
  const TODAY = '2026-06-01';
  const loaded = (objects: RuleObject[]): LoadedManifest[] => objects.map((object, i) => ({ object, file: 'out.yaml', line: i * 10 + 1, documentIndex: i }));
  const OBJECTS = [obj('v1', 'ConfigMap', 'mine', 'team-a', { data: {} }), obj('v1', 'ConfigMap', 'theirs', 'team-c', { data: {} })];

  test('auditManifests with appNamespaces reports the out-of-scope object, with file and line', () => {
    const result = auditManifests(loaded(OBJECTS), { today: TODAY, appNamespaces: ['team-a'], expectMeshBaseline: false });
    expect(result.findings.filter((f) => f.ruleId === 'REPO-SCOPE-001').map((f) => [f.object, f.path, f.file, f.line, f.severity])).toEqual([
      ['ConfigMap/team-c/theirs', 'metadata.namespace', 'out.yaml', 11, RuleSeverity.ERROR],
    ]);
  });

  test('without appNamespaces the audit has no boundary', () => {
    const result = auditManifests(loaded(OBJECTS), { today: TODAY, expectMeshBaseline: false });
    expect(result.findings.filter((f) => f.ruleId === 'REPO-SCOPE-001')).toEqual([]);
  });

  test('the setting reaches the audit from the config file (auditSettingsOf)', () => {
    const config = SecureMeshConfig.fromSettings({ appNamespaces: ['team-a'] });
    const result = auditManifests(loaded(OBJECTS), { ...auditSettingsOf(config), today: TODAY, expectMeshBaseline: false });
    expect(result.findings.filter((f) => f.ruleId === 'REPO-SCOPE-001').map((f) => f.object)).toEqual(['ConfigMap/team-c/theirs']);
  });

  test('an app that declares an older rule set gets it as a warning (new in rule set 2)', () => {
    const result = auditManifests(loaded(OBJECTS), { today: TODAY, appNamespaces: ['team-a'], ruleSet: '1', expectMeshBaseline: false });
    expect(result.findings.filter((f) => f.ruleId === 'REPO-SCOPE-001').map((f) => f.severity)).toEqual([RuleSeverity.WARNING]);
  });

  test('the rule is in the rule set the audit runs', () => {
    expect(ALL_RULES).toContain(rule);
  });
});

describeWithShared('external-corpus/apps', 'REPO-SCOPE-001 against real applications (external corpus)', (apps) => {
  const load = (app: string): LoadedManifest[] => loadManifests([path.join(apps, app)], { checkKinds: false }).manifests;
  const repoScope = (manifests: LoadedManifest[], appNamespaces: string[]) => auditManifests(manifests, {
    today: '2026-01-01', appNamespaces, expectMeshBaseline: false, validateManifests: false,
  }).findings.filter((f) => f.ruleId === 'REPO-SCOPE-001');

  test.each([
    ['asm-boutique-ns', 'onlineboutique'],
    ['boa-authz', 'bank-of-anthos'],
    ['asm-ingress-authz', 'asm-ingress'],
  ])('%s: its namespaced resources, in %s, are not reported', (app, namespace) => {
    const manifests = load(app);
    expect(manifests.length).toBeGreaterThan(0);
    expect(manifests.every((m) => m.object.metadata?.namespace === namespace)).toBe(true);
    expect(repoScope(manifests, [namespace])).toEqual([]);
  });

  test.each([
    ['bookinfo', 'bookinfo'], ['boutique', 'onlineboutique'], ['httpbin', 'httpbin'], ['sleep', 'sleep'],
  ])('%s (applied with -n): nothing is reported once placed in its namespace %s; unplaced, every object names no namespace', (app, namespace) => {
    const manifests = load(app);
    expect(manifests.length).toBeGreaterThan(0);
    expect(repoScope(applyDefaultNamespace(manifests, namespace), [namespace])).toEqual([]);
    const unplaced = repoScope(manifests, [namespace]);
    expect(unplaced.map((f) => f.path)).toEqual(manifests.map(() => 'metadata.namespace'));
  });

  test('asm-boutique-authz ships its Namespace object: only that one is reported (the platform creates it)', () => {
    const manifests = applyDefaultNamespace(load('asm-boutique-authz'), 'onlineboutique');
    expect(repoScope(manifests, ['onlineboutique']).map((f) => [f.object, f.path])).toEqual([['Namespace/onlineboutique', 'kind']]);
  });

  test('the mesh baseline sample belongs to the platform: everything in istio-system is reported for an app repository', () => {
    const manifests = load('asm-mesh-baseline');
    expect(repoScope(manifests, ['onlineboutique']).map((f) => f.path)).toEqual(manifests.map(() => 'metadata.namespace'));
  });
});
