import { ApiObject, Chart, Testing } from 'cdk8s';
import { BlueprintChart } from '../../examples/blueprint/blueprint';
import { AppProtocol } from '../../src/mesh/app-protocol';
import { MeshBaseline } from '../../src/mesh/mesh-baseline';
import { ORDINARY_REQUEST, admitsExpression } from '../../src/policy/admission-cel';
import { AdmissionGuardrails, AdmissionGuardrailsProps } from '../../src/policy/admission-guardrails';
import { AdmissionRollout, ROLLOUT_ANNOTATIONS } from '../../src/policy/admission-rollout';
import { CONTROLLER_CREATES, celExcepted } from '../../src/policy/admission-scope';
import { REGISTRY_NAME, registryKey } from '../../src/policy/exception-registry-format';
import { EXCEPTION_ANNOTATION } from '../../src/policy/policy-enforcement';
import { CLOCK_CONTEXT_KEY, PolicyException } from '../../src/policy/policy-exception';
import { RuleObject, RuleSeverity } from '../../src/policy/rule';
import { PolicyRules } from '../../src/policy/rule-catalog';
import { ALL_RULES, ruleById } from '../../src/policy/rule-pack';
import { ruleContext } from '../../src/policy/rule-test-kit';
import { HardenedNamespace } from '../../src/workload/hardened-namespace';
import { SecureService } from '../../src/workload/secure-service';
import { findObject, ofKind, synthValidated } from '../helpers';

const IMAGE = `gcr.io/acme/app@sha256:${'a'.repeat(64)}`;
const HTTP = [{ name: 'http', port: 9080, protocol: AppProtocol.HTTP }];
const WRITER = 'system:serviceaccount:config-management-system:ns-reconciler-{namespace}';
/** Every rule emitted as a policy: those with a static admission form and those rendered with the app's context. */
const ADMISSION_RULES = ALL_RULES.filter((r) => r.admission || r.admissionFor);
const ADMISSION_IDS = ADMISSION_RULES.map((r) => r.id);
/** The rules whose admission form is the same on every cluster (the FIXTURES table). */
const STATIC_IDS = ALL_RULES.filter((r) => r.admission).map((r) => r.id);
const INVARIANTS = ['secure-mesh-mesh-mtls-001', 'secure-mesh-mesh-authz-001', 'secure-mesh-mesh-inj-002', 'secure-mesh-ns-sens-001', 'secure-mesh-exception-registries'];
const policyName = (ruleId: string) => `secure-mesh-${ruleId.toLowerCase()}`;
const CLUSTER_RESOURCES = ['namespaces', 'clusterroles', 'clusterrolebindings'];

function world(props: AdmissionGuardrailsProps = { registryWriters: [WRITER] }, today = '2030-01-15') {
  const app = Testing.app();
  app.node.setContext(CLOCK_CONTEXT_KEY, today);
  const chart = new Chart(app, 'test');
  new MeshBaseline(chart, 'mesh');
  const guardrails = new AdmissionGuardrails(chart, 'guardrails', props);
  return { app, chart, guardrails };
}

const guardrailObjects = (objects: any[]) => objects.filter((o) =>
  o.apiVersion === 'admissionregistration.k8s.io/v1' || (o.kind === 'ConfigMap' && o.metadata.name === REGISTRY_NAME));
const policyOf = (objects: any[], ruleId: string) => findObject(objects, 'ValidatingAdmissionPolicy', policyName(ruleId));
const bindingsOf = (objects: any[], name: string) => ofKind(objects, 'ValidatingAdmissionPolicyBinding').filter((b: any) => b.spec.policyName === name);
const expressionOf = (objects: any[], ruleId: string): string => {
  const validations = policyOf(objects, ruleId).spec.validations;
  expect(validations).toHaveLength(1);
  return validations[0].expression;
};
/** Whether the policy's resource rules match the object's group and resource (plural of its kind). */
const matches = (vap: any, o: any): boolean => {
  const group = o.apiVersion.includes('/') ? o.apiVersion.split('/')[0] : '';
  const kind = o.kind.toLowerCase();
  const plural = kind.endsWith('y') ? `${kind.slice(0, -1)}ies` : kind.endsWith('s') ? `${kind}es` : `${kind}s`;
  return vap.spec.matchConstraints.resourceRules.some((r: any) => (r.apiGroups.includes(group) || r.apiGroups.includes('*'))
    && (r.resources.includes(plural) || r.resources.includes('*')));
};
const resourcesOf = (binding: any): string[] => binding.spec.matchResources.resourceRules.flatMap((r: any) => r.resources);
const registry = (namespace: string, data?: { [key: string]: string }) => ({
  apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: REGISTRY_NAME, namespace }, ...(data ? { data } : {}),
});
const asUser = (username: string, groups: string[] = ['system:authenticated'], operation = 'CREATE', namespace = 'shop') =>
  ({ request: { operation, namespace, userInfo: { username, groups } } });

describe('AdmissionGuardrails: emitted objects', () => {
  test('snapshot: one policy per rule with an admission form and per invariant, and their bindings', () => {
    const { chart } = world();
    expect(guardrailObjects(synthValidated(chart))).toMatchSnapshot();
  });

  test('every object passes the validation harness (VAP schema), enforcing and in the warn phase', () => {
    for (const props of [{ registryWriters: [WRITER] }, {
      registryWriters: [WRITER], rollout: AdmissionRollout.warnUntil({ until: '2030-02-01', owner: 'platform-team', reason: 'Existing workloads in shop are being migrated; the audit log is reviewed every week.' }),
    }]) {
      const objects = synthValidated(world(props).chart);
      expect(ofKind(objects, 'ValidatingAdmissionPolicy')).toHaveLength(ADMISSION_RULES.length + INVARIANTS.length);
    }
  });

  test('ruleIds lists the rules with an admission form, then those with an invariant', () => {
    const { guardrails } = world();
    expect(guardrails.ruleIds).toEqual([...ADMISSION_IDS, 'MESH-MTLS-001', 'MESH-AUTHZ-001', 'MESH-INJ-002', 'NS-SENS-001']);
    for (const r of ALL_RULES.filter((x) => !x.admission && !x.admissionFor && !guardrails.ruleIds.includes(x.id))) {
      expect(ofKind(synthValidated(world().chart), 'ValidatingAdmissionPolicy').map((p) => p.metadata.name)).not.toContain(policyName(r.id));
    }
  });

  test.each(ADMISSION_RULES.map((r) => [r.id, r] as const))('%s: policy matches the rule resources, fails closed, reads the registry, names its practices', (id, rule) => {
    const objects = synthValidated(world().chart);
    const vap = policyOf(objects, id);
    const check = rule.admission ?? rule.admissionFor!(ruleContext(objects));
    expect(vap.metadata.annotations).toEqual({ 'secure-mesh.cdk8s.io/practices': rule.practices.join(',') });
    expect(vap.spec.failurePolicy).toBe('Fail');
    expect(vap.spec.paramKind).toEqual({ apiVersion: 'v1', kind: 'ConfigMap' });
    expect(vap.spec.matchConstraints.resourceRules).toEqual(check.resources.map((r) => ({ ...r, operations: ['CREATE', 'UPDATE'] })));
    expect(vap.spec.validations[0].expression).toContain(celExcepted([id]));
    expect(vap.spec.validations[0].expression.endsWith(`(${check.expression})`)).toBe(true);
    expect(vap.spec.validations[0].message.startsWith(`${id}`)).toBe(true);
  });

  test.each(ADMISSION_RULES.map((r) => [r.id, r] as const))('%s: namespaced resources bound in mesh namespaces (registry of the request\'s namespace), cluster-scoped ones to the control plane\'s', (id, rule) => {
    const bindings = bindingsOf(synthValidated(world().chart), policyName(id));
    const action = rule.severity === RuleSeverity.ERROR ? ['Deny'] : ['Warn', 'Audit'];
    for (const b of bindings) {
      expect(b.spec.validationActions).toEqual(action);
      expect(b.spec.paramRef.name).toBe(REGISTRY_NAME);
      expect(b.spec.paramRef.parameterNotFoundAction).toBe('Deny');
    }
    const byName = Object.fromEntries(bindings.map((b: any) => [b.metadata.name.slice(policyName(id).length + 1), b]));
    for (const suffix of ['injected', 'revision']) {
      if (!byName[suffix]) continue;
      expect(byName[suffix].spec.paramRef.namespace).toBeUndefined();
      expect(resourcesOf(byName[suffix]).some((r) => CLUSTER_RESOURCES.includes(r))).toBe(false);
      expect(byName[suffix].spec.matchResources.namespaceSelector.matchExpressions).toContainEqual(
        { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-node-lease', 'kube-public', 'kube-system'] });
    }
    expect(Boolean(byName.injected)).toBe(Boolean(byName.revision));
    if (byName.cluster) {
      expect(byName.cluster.spec.paramRef.namespace).toBe('istio-system');
      expect(resourcesOf(byName.cluster).every((r) => CLUSTER_RESOURCES.includes(r))).toBe(true);
      expect(byName.cluster.spec.matchResources.namespaceSelector).toBeUndefined();
    }
    expect(Object.keys(byName).length).toBeGreaterThan(0);
  });

  test('the mesh namespace selectors are disjoint: istio-injection=enabled, or no istio-injection label and an istio.io/rev label', () => {
    const [injected, revision] = ['injected', 'revision'].map((s) => findObject(synthValidated(world().chart), 'ValidatingAdmissionPolicyBinding', `secure-mesh-pod-priv-001-${s}`));
    expect(injected.spec.matchResources.namespaceSelector.matchExpressions[0]).toEqual({ key: 'istio-injection', operator: 'In', values: ['enabled'] });
    expect(revision.spec.matchResources.namespaceSelector.matchExpressions.slice(0, 2)).toEqual([
      { key: 'istio-injection', operator: 'DoesNotExist' }, { key: 'istio.io/rev', operator: 'Exists' },
    ]);
  });

  test('excludedNamespaces join the system namespaces in every selector; a bad name is refused', () => {
    const objects = synthValidated(world({ registryWriters: [WRITER], excludedNamespaces: ['gke-managed-system'] }).chart);
    const b = findObject(objects, 'ValidatingAdmissionPolicyBinding', 'secure-mesh-pod-priv-001-injected');
    expect(b.spec.matchResources.namespaceSelector.matchExpressions[1].values).toEqual(['gke-managed-system', 'kube-node-lease', 'kube-public', 'kube-system']);
    expect(() => world({ registryWriters: [WRITER], excludedNamespaces: ['Bad_Name'] })).toThrow(/excludedNamespaces\[0\]/);
  });

  test('ERROR rules deny, WARNING rules warn and audit; on an older rule set, the rules of later sets warn and audit', () => {
    const latest = synthValidated(world().chart);
    const warnings = ADMISSION_RULES.filter((r) => r.severity === RuleSeverity.WARNING);
    expect(warnings.map((r) => r.id)).toEqual(expect.arrayContaining(['MESH-AUTHZ-010', 'MESH-INGRESS-003']));
    for (const r of ADMISSION_RULES) {
      for (const b of bindingsOf(latest, policyName(r.id))) expect([r.id, b.spec.validationActions]).toEqual([r.id, warnings.includes(r) ? ['Warn', 'Audit'] : ['Deny']]);
    }
    const older = synthValidated(world({ registryWriters: [WRITER], ruleSet: '1' }).chart);
    const newer = ADMISSION_RULES.filter((r) => r.since === '2');
    expect(newer.map((r) => r.id)).toEqual(expect.arrayContaining(['POD-CAP-002', 'POD-ESC-001', 'POD-PSS-001']));
    for (const r of ADMISSION_RULES) {
      const warns = newer.includes(r) || warnings.includes(r);
      for (const b of bindingsOf(older, policyName(r.id))) expect([r.id, b.spec.validationActions]).toEqual([r.id, warns ? ['Warn', 'Audit'] : ['Deny']]);
    }
  });

  test('the rule set comes from the app (context key) when not given; an unknown one is refused', () => {
    const app = Testing.app();
    app.node.setContext(PolicyRules.RULE_SET_CONTEXT_KEY, '1');
    const chart = new Chart(app, 'test');
    new MeshBaseline(chart, 'mesh');
    new AdmissionGuardrails(chart, 'guardrails', { registryWriters: [WRITER] });
    expect(bindingsOf(Testing.synth(chart), 'secure-mesh-pod-rofs-001')[0].spec.validationActions).toEqual(['Warn', 'Audit']);
    expect(() => world({ ruleSet: '7' })).toThrow(/ruleSet.*"7" is not a rule set \(known: 1, 2/);
  });

  test('without a mesh admin group or a registry writer, synthesis fails: nobody could write the registries', () => {
    expect(() => Testing.synth(world({}).chart)).toThrow(/registryWriters: nobody could write the exception registries/);
    expect(() => world({ registryWriters: ["it's me"] })).toThrow(/registryWriters\[0\]/);
  });
});

describe('staged rollout', () => {
  const REASON = 'Existing workloads in shop are being migrated; the audit log is reviewed every week.';
  const warn = (until: string, over: object = {}) => ({ registryWriters: [WRITER], rollout: AdmissionRollout.warnUntil({ until, owner: 'platform-team', reason: REASON, ...over }) });

  test('the warn phase: every binding warns and audits, and carries the decision (phase, end date, owner, reason)', () => {
    const objects = synthValidated(world(warn('2030-02-01')).chart);
    const bindings = ofKind(objects, 'ValidatingAdmissionPolicyBinding');
    expect(bindings.length).toBeGreaterThan(ADMISSION_RULES.length);
    for (const b of bindings) {
      expect([b.metadata.name, b.spec.validationActions]).toEqual([b.metadata.name, ['Warn', 'Audit']]);
      // No registry is read while warning: a namespace without one warns instead of refusing every write.
      expect([b.metadata.name, b.spec.paramRef]).toEqual([b.metadata.name, undefined]);
      expect(b.metadata.annotations).toEqual({
        [ROLLOUT_ANNOTATIONS.phase]: 'warn', [ROLLOUT_ANNOTATIONS.until]: '2030-02-01', [ROLLOUT_ANNOTATIONS.owner]: 'platform-team', [ROLLOUT_ANNOTATIONS.reason]: REASON,
      });
    }
  });

  test('enforce (the default): no binding of an error rule or invariant warns, none carries rollout annotations', () => {
    for (const b of ofKind(synthValidated(world().chart), 'ValidatingAdmissionPolicyBinding')) {
      expect(b.metadata.annotations).toBeUndefined();
    }
  });

  test.each([
    ['a warn phase that has ended', warn('2030-01-14'), /rollout.until: the warn phase ended on 2030-01-14 \(today is 2030-01-15; owner platform-team\)/],
    ['a warn phase beyond the longest exception lifetime', warn('2030-06-01'), /rollout.until: 2030-06-01 is 137 days away; a warn phase lasts at most 90 days/],
    ['no owner', warn('2030-02-01', { owner: ' ' }), /rollout.owner: the warn phase needs an owner/],
    ['no reason', warn('2030-02-01', { reason: 'rollout' }), /rollout.reason: "rollout" is not a justification/],
    ['not a date', warn('next month'), /rollout.until: "next month" is not a date/],
  ])('%s fails synthesis', (_name, props, error) => {
    expect(() => Testing.synth(world(props).chart)).toThrow(error);
  });
});

describe('scope: controllers, namespaces, the registry of the request\'s namespace', () => {
  const objects = synthValidated(world().chart);
  const priv = expressionOf(objects, 'POD-PRIV-001');
  const privileged: RuleObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'shop', labels: { app: 'cart' } },
    spec: { containers: [{ name: 'app', image: IMAGE, securityContext: { privileged: true } }] },
  };

  test.each(CONTROLLER_CREATES.flatMap((c) => c.kinds.map((k) => [c.username, k] as const)))('%s creating a %s is not checked again (its template was)', (username, kind) => {
    expect(admitsExpression(priv, { ...privileged, kind }, registry('shop'), asUser(username, ['system:serviceaccounts']))).toBe(true);
  });

  test('only the controller\'s own kinds, only the built-in controllers\' identities, never ownerReferences', () => {
    expect(admitsExpression(priv, privileged, registry('shop'), asUser('system:serviceaccount:kube-system:deployment-controller'))).toBe(false);
    expect(admitsExpression(priv, { ...privileged, apiVersion: 'apps/v1', kind: 'Deployment', spec: { template: { spec: privileged.spec } } }, registry('shop'), asUser('system:serviceaccount:kube-system:replicaset-controller'))).toBe(false);
    expect(admitsExpression(priv, privileged, registry('shop'), asUser('system:serviceaccount:shop:replicaset-controller'))).toBe(false);
    const owned = { ...privileged, metadata: { ...privileged.metadata, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'cart-1', uid: 'x', controller: true }] } };
    expect(admitsExpression(priv, owned, registry('shop'), asUser('alice'))).toBe(false);
    expect(admitsExpression(priv, privileged, registry('shop'), { request: ORDINARY_REQUEST })).toBe(false);
  });

  test('an exception is keyed by Kind.name in the namespace\'s own registry: a bare Pod with the excepted app label is not covered', () => {
    const deployment = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'cart', namespace: 'shop' }, spec: { template: { metadata: { labels: { app: 'cart' } }, spec: privileged.spec } } };
    const excepted = registry('shop', { [registryKey('Deployment', 'cart')]: 'POD-PRIV-001@2030-06-30' });
    expect(admitsExpression(priv, deployment, excepted)).toBe(true);
    expect(admitsExpression(priv, privileged, excepted)).toBe(false);
    expect(admitsExpression(priv, { ...deployment, metadata: { ...deployment.metadata, name: 'cart-2' } }, excepted)).toBe(false);
    expect(admitsExpression(priv, deployment, registry('shop', { [registryKey('Deployment', 'cart')]: 'POD-HOST-001@2030-06-30' }))).toBe(false);
  });

  test('a Namespace outside the mesh is not judged by the namespace rules; one of the mesh is', () => {
    const psa = expressionOf(objects, 'NS-PSA-001');
    const lax = (labels: object) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'monitoring', labels: { 'pod-security.kubernetes.io/enforce': 'baseline', ...labels } } });
    expect(admitsExpression(psa, lax({}), registry('istio-system'))).toBe(true);
    expect(admitsExpression(psa, lax({ 'istio-injection': 'enabled' }), registry('istio-system'))).toBe(false);
    expect(admitsExpression(psa, lax({ 'istio.io/rev': 'stable' }), registry('istio-system'))).toBe(false);
    expect(admitsExpression(psa, { ...lax({ 'istio-injection': 'enabled' }), metadata: { name: 'kube-system', labels: { 'istio-injection': 'enabled' } } }, registry('istio-system'))).toBe(true);
  });
});

describe('invariants the cluster keeps by name, DELETE included', () => {
  const objects = synthValidated(world().chart);
  const policy = (name: string) => findObject(objects, 'ValidatingAdmissionPolicy', name);
  const expr = (name: string) => policy(name).spec.validations[0].expression;
  const root = registry('istio-system');
  const pa = (name: string, spec: object) => ({ apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name, namespace: 'istio-system' }, spec });
  const ap = (name: string, spec: object, annotations?: { [key: string]: string }) => ({
    apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name, namespace: 'istio-system', ...(annotations ? { annotations } : {}) }, spec,
  });
  const del = (old: object) => ({ oldObject: old, request: { operation: 'DELETE', namespace: 'istio-system', userInfo: { username: 'alice', groups: [] } } });

  test('bound to the root namespace by name, on CREATE, UPDATE and DELETE, reading the root registry', () => {
    for (const name of ['secure-mesh-mesh-mtls-001', 'secure-mesh-mesh-authz-001']) {
      expect(policy(name).spec.matchConstraints.resourceRules[0].operations).toEqual(['CREATE', 'UPDATE', 'DELETE']);
      const [binding] = bindingsOf(objects, name);
      expect(binding.spec.matchResources.namespaceSelector).toEqual({ matchLabels: { 'kubernetes.io/metadata.name': 'istio-system' } });
      expect(binding.spec.paramRef).toEqual({ name: REGISTRY_NAME, namespace: 'istio-system', parameterNotFoundAction: 'Deny' });
      expect(binding.spec.validationActions).toEqual(['Deny']);
    }
  });

  test('MESH-MTLS-001: the mesh-wide PeerAuthentication cannot become mtls: {} or PERMISSIVE, or be deleted', () => {
    const e = expr('secure-mesh-mesh-mtls-001');
    expect(admitsExpression(e, pa('default', { mtls: { mode: 'STRICT' } }), root)).toBe(true);
    expect(admitsExpression(e, pa('default', { mtls: {} }), root)).toBe(false);
    expect(admitsExpression(e, pa('default', {}), root)).toBe(false);
    expect(admitsExpression(e, pa('default', { mtls: { mode: 'PERMISSIVE' } }), root)).toBe(false);
    expect(admitsExpression(e, pa('second', { mtls: { mode: 'PERMISSIVE' } }), root)).toBe(false);
    expect(admitsExpression(e, pa('gateway', { selector: { matchLabels: { app: 'gw' } }, mtls: { mode: 'PERMISSIVE' } }), root)).toBe(true);
    expect(admitsExpression(e, null, root, del(pa('default', { mtls: { mode: 'STRICT' } })))).toBe(false);
    expect(admitsExpression(e, null, root, del(pa('gateway', { selector: {} })))).toBe(true);
    expect(admitsExpression(e, pa('default', { mtls: { mode: 'PERMISSIVE' } }), registry('istio-system', { 'PeerAuthentication.default': 'MESH-MTLS-002@2030-02-01' }))).toBe(true);
  });

  test('MESH-AUTHZ-001: allow-nothing cannot get rules, a selector, DENY, a dry run without MESH-AUTHZ-008, or be deleted', () => {
    const e = expr('secure-mesh-mesh-authz-001');
    expect(admitsExpression(e, ap('allow-nothing', {}), root)).toBe(true);
    expect(admitsExpression(e, ap('allow-nothing', { rules: [{}] }), root)).toBe(false);
    expect(admitsExpression(e, ap('allow-nothing', { selector: { matchLabels: { app: 'x' } } }), root)).toBe(false);
    expect(admitsExpression(e, ap('allow-nothing', { action: 'DENY' }), root)).toBe(false);
    expect(admitsExpression(e, ap('allow-nothing', {}, { 'istio.io/dry-run': 'true' }), root)).toBe(false);
    expect(admitsExpression(e, ap('allow-nothing', {}, { 'istio.io/dry-run': 'true' }), registry('istio-system', { 'AuthorizationPolicy.allow-nothing': 'MESH-AUTHZ-008@2030-02-01' }))).toBe(true);
    expect(admitsExpression(e, null, root, del(ap('allow-nothing', {})))).toBe(false);
    expect(admitsExpression(e, ap('gateway-edge', { rules: [{}] }), root)).toBe(true);
  });

  test('MESH-INJ-002: a mesh namespace cannot be relabelled out of the mesh (and so out of the guardrails)', () => {
    const e = expr('secure-mesh-mesh-inj-002');
    const ns = (labels: { [key: string]: string }) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels } });
    const update = (old: object) => ({ oldObject: old, request: { operation: 'UPDATE', userInfo: { username: 'alice', groups: [] } } });
    const cp = registry('istio-system');
    expect(admitsExpression(e, ns({}), cp, update(ns({ 'istio-injection': 'enabled' })))).toBe(false);
    expect(admitsExpression(e, ns({ 'istio-injection': 'disabled' }), cp, update(ns({ 'istio-injection': 'enabled' })))).toBe(false);
    expect(admitsExpression(e, ns({ 'istio.io/rev': 'canary' }), cp, update(ns({ 'istio-injection': 'enabled' })))).toBe(true);
    expect(admitsExpression(e, ns({ team: 'x' }), cp, update(ns({})))).toBe(true);
    expect(admitsExpression(e, ns({}), registry('istio-system', { 'Namespace.shop': 'MESH-INJ-002@2030-02-01' }), update(ns({ 'istio-injection': 'enabled' })))).toBe(true);
  });

  test('EXC-1: only mesh admins and the namespace\'s GitOps identity write a registry, by name, DELETE included', () => {
    const e = expr('secure-mesh-exception-registries');
    expect(policy('secure-mesh-exception-registries').spec.paramKind).toBeUndefined();
    expect(bindingsOf(objects, 'secure-mesh-exception-registries')[0].spec.paramRef).toBeUndefined();
    const forged = registry('shop', { 'Deployment.cart': 'POD-PRIV-001@2030-06-30' });
    expect(admitsExpression(e, forged, null, asUser('alice', ['shop-deployers']))).toBe(false);
    expect(admitsExpression(e, forged, null, asUser('system:serviceaccount:config-management-system:ns-reconciler-shop'))).toBe(true);
    expect(admitsExpression(e, forged, null, asUser('system:serviceaccount:config-management-system:ns-reconciler-billing'))).toBe(false);
    expect(admitsExpression(e, null, null, { oldObject: forged, ...asUser('alice', [], 'DELETE') })).toBe(false);
    expect(admitsExpression(e, { ...forged, metadata: { name: 'other-config', namespace: 'shop' } }, null, asUser('alice'))).toBe(true);
    const objs = synthValidated(new BlueprintChart(Testing.app(), 'blueprint'));
    const admins = findObject(objs, 'ValidatingAdmissionPolicy', 'secure-mesh-exception-registries').spec.validations[0].expression;
    expect(admitsExpression(admins, forged, null, asUser('bob', ['mesh-admins']))).toBe(true);
    expect(admitsExpression(admins, forged, null, asUser('bob', ['bookinfo-developers']))).toBe(false);
  });
});

// ---- Every rule with an admission form, evaluated through the emitted expression -----------------

const SC_OK = { allowPrivilegeEscalation: false, runAsNonRoot: true, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } };
const container = (over: object = {}) => ({ name: 'app', image: IMAGE, securityContext: SC_OK, ...over });
const pod = (name: string, spec: object = {}, annotations?: { [key: string]: string }): RuleObject => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'shop', ...(annotations ? { annotations } : {}) }, spec: { containers: [container()], ...spec },
});
const deployment = (name: string, podSpec: object = {}, podAnnotations?: { [key: string]: string }): RuleObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace: 'shop' },
  spec: {
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name }, ...(podAnnotations ? { annotations: podAnnotations } : {}) },
      spec: { containers: [container()], ...podSpec },
    },
  },
});
const istio = (group: string, kind: string, name: string, spec: object): RuleObject => ({
  apiVersion: `${group}/v1`, kind, metadata: { name, namespace: 'shop' }, spec,
});
const authz = (name: string, spec: object) => istio('security.istio.io', 'AuthorizationPolicy', name, spec);
const CALLER = { source: { principals: ['cluster.local/ns/shop/sa/web'] } };
const role = (kind: 'Role' | 'ClusterRole', name: string, rules: object[]): RuleObject => ({
  apiVersion: 'rbac.authorization.k8s.io/v1', kind, metadata: { name, ...(kind === 'Role' ? { namespace: 'shop' } : {}) }, rules,
});

/** For each rule with an admission form: objects it admits and objects it refuses. */
/** An ambient namespace: the MESH-AMBIENT rules judge objects by it (`namespaceObject`). */
const AMBIENT_NAMESPACE: RuleObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { 'istio.io/dataplane-mode': 'ambient' } } };

const FIXTURES: { [ruleId: string]: { good: RuleObject[]; bad: RuleObject[]; namespaceObject?: RuleObject } } = {
  'MESH-MTLS-002': {
    good: [istio('security.istio.io', 'PeerAuthentication', 'strict', { mtls: { mode: 'STRICT' } }), istio('security.istio.io', 'PeerAuthentication', 'inherit', {})],
    bad: [
      istio('security.istio.io', 'PeerAuthentication', 'permissive', { mtls: { mode: 'PERMISSIVE' } }),
      istio('security.istio.io', 'PeerAuthentication', 'port', { mtls: { mode: 'STRICT' }, portLevelMtls: { 9080: { mode: 'DISABLE' } } }),
    ],
  },
  'MESH-DR-001': {
    good: [istio('networking.istio.io', 'DestinationRule', 'mutual', { host: 'cart.shop.svc.cluster.local', trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } })],
    bad: [
      istio('networking.istio.io', 'DestinationRule', 'plain', { host: 'cart', trafficPolicy: { tls: { mode: 'DISABLE' } } }),
      istio('networking.istio.io', 'DestinationRule', 'subset', { host: 'cart.shop.svc.cluster.local', subsets: [{ name: 'v1', trafficPolicy: { tls: { mode: 'SIMPLE' } } }] }),
    ],
  },
  'MESH-DR-002': {
    good: [istio('networking.istio.io', 'DestinationRule', 'verified', { host: 'api.example.com', trafficPolicy: { tls: { mode: 'SIMPLE', credentialName: 'api-ca' } } })],
    bad: [istio('networking.istio.io', 'DestinationRule', 'unverified', { host: 'api.example.com', trafficPolicy: { tls: { mode: 'SIMPLE', insecureSkipVerify: true } } })],
  },
  'MESH-DR-003': {
    good: [istio('networking.istio.io', 'DestinationRule', 'named', { host: 'api.example.com', trafficPolicy: { tls: { mode: 'SIMPLE', sni: 'api.example.com', subjectAltNames: ['api.example.com'] } } })],
    bad: [istio('networking.istio.io', 'DestinationRule', 'any-name', { host: 'api.example.com', trafficPolicy: { tls: { mode: 'SIMPLE', sni: 'api.example.com' } } })],
  },
  'MESH-AUTHZ-002': {
    good: [authz('positive', { rules: [{ from: [CALLER], to: [{ operation: { paths: ['/api/*'] } }] }] })],
    bad: [authz('negative', { rules: [{ from: [CALLER], to: [{ operation: { notPaths: ['/admin'] } }] }] })],
  },
  'MESH-AUTHZ-003': {
    good: [authz('deny-negative', { action: 'DENY', rules: [{ to: [{ operation: { notPaths: ['/api/*'] } }] }] })],
    bad: [authz('deny-positive', { action: 'DENY', rules: [{ to: [{ operation: { paths: ['/admin'] } }] }] })],
  },
  'MESH-AUTHZ-004': {
    good: [authz('identity', { rules: [{ from: [CALLER] }] })],
    bad: [authz('anyone', { rules: [{ to: [{ operation: { ports: ['9080'] } }] }] }), authz('ns-only', { rules: [{ from: [{ source: { namespaces: ['shop'] } }] }] })],
  },
  'MESH-AUTHZ-005': {
    good: [authz('named', { rules: [{ from: [{ source: { principals: ['cluster.local/ns/shop/sa/web'], requestPrincipals: ['https://issuer.example.com/*'] } }] }] })],
    bad: [authz('wildcard', { rules: [{ from: [{ source: { principals: ['cluster.local/ns/shop/*'] } }] }] })],
  },
  'MESH-AUTHZ-006': {
    good: [authz('normal', { rules: [{ from: [CALLER], to: [{ operation: { paths: ['/api/v1/*', '*.png'] } }] }] })],
    bad: [authz('dotdot', { rules: [{ from: [CALLER], to: [{ operation: { paths: ['/api/../admin'] } }] }] }), authz('encoded', { rules: [{ from: [CALLER], to: [{ operation: { paths: ['/a%2Fb'] } }] }] })],
  },
  'MESH-INJ-001': {
    good: [deployment('injected'), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'meshed', labels: { 'istio-injection': 'enabled' } } }],
    bad: [
      deployment('uninjected', {}, { 'sidecar.istio.io/inject': 'false' }),
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'no-revision', labels: { 'istio.io/rev': '' } } },
    ],
  },
  'MESH-EXC-001': {
    good: [deployment('captured', {}, { 'traffic.sidecar.istio.io/includeInboundPorts': '*' })],
    bad: [deployment('bypass', {}, { 'traffic.sidecar.istio.io/excludeInboundPorts': '9080' }), pod('bypass-pod', {}, { 'traffic.sidecar.istio.io/excludeOutboundIPRanges': '10.0.0.0/8' })],
  },
  'MESH-JWT-001': {
    good: [istio('security.istio.io', 'RequestAuthentication', 'jwt', { jwtRules: [{ issuer: 'https://issuer.example.com', outputClaimToHeaders: [{ header: 'x-user', claim: 'sub' }] }] })],
    bad: [istio('security.istio.io', 'RequestAuthentication', 'spoof', { jwtRules: [{ issuer: 'https://issuer.example.com', outputClaimToHeaders: [{ header: 'X-Forwarded-For', claim: 'sub' }] }] })],
  },
  'MESH-AUTHZ-008': {
    good: [authz('enforced', {}), { ...authz('explicitly-enforced', {}), metadata: { name: 'explicitly-enforced', namespace: 'shop', annotations: { 'istio.io/dry-run': 'false' } } }],
    bad: [{ ...authz('dry-run', {}), metadata: { name: 'dry-run', namespace: 'shop', annotations: { 'istio.io/dry-run': 'true' } } }],
  },
  'MESH-AUTHZ-009': {
    good: [authz('deny-app-port', { action: 'DENY', rules: [{ to: [{ operation: { ports: ['8080'] } }] }] }), authz('allow-metrics', { rules: [{ from: [CALLER], to: [{ operation: { ports: ['15090'] } }] }] })],
    bad: [
      authz('deny-metrics', { action: 'DENY', rules: [{ to: [{ operation: { ports: ['15090'] } }] }] }),
      authz('ext-authz-status', { action: 'CUSTOM', provider: { name: 'authz' }, rules: [{ when: [{ key: 'destination.port', values: ['15020'] }] }] }),
    ],
  },
  'MESH-AUTHZ-010': {
    good: [authz('allow-app-port', { rules: [{ from: [CALLER], to: [{ operation: { ports: ['8080'] } }] }] }), authz('deny-metrics', { action: 'DENY', rules: [{ to: [{ operation: { ports: ['15090'] } }] }] })],
    bad: [authz('allow-health', { rules: [{ from: [CALLER], to: [{ operation: { ports: ['15021'] } }] }] })],
  },
  'MESH-INGRESS-003': {
    good: [
      { ...istio('networking.istio.io', 'Gateway', 'waf', {}), metadata: { name: 'waf', namespace: 'istio-system', annotations: { 'secure-mesh.cdk8s.io/edge-protection': 'gke-ingress-backend-config', 'secure-mesh.cdk8s.io/cloud-armor-policy': 'edge-waf' } } },
      istio('networking.istio.io', 'Gateway', 'unmarked', {}),
    ],
    bad: [{ ...istio('networking.istio.io', 'Gateway', 'open', {}), metadata: { name: 'open', namespace: 'istio-system', annotations: { 'secure-mesh.cdk8s.io/edge-protection': 'undeclared' } } }],
  },
  'MESH-AMBIENT-001': {
    good: [istio('security.istio.io', 'AuthorizationPolicy', 'l4', { selector: { matchLabels: { app: 'x' } }, rules: [{ from: [{ source: { principals: ['cluster.local/ns/shop/sa/web'] } }] }] }),
      istio('security.istio.io', 'AuthorizationPolicy', 'at-waypoint', { targetRefs: [{ group: '', kind: 'Service', name: 'x' }], rules: [{ to: [{ operation: { paths: ['/x'] } }] }] })],
    bad: [istio('security.istio.io', 'AuthorizationPolicy', 'l7', { selector: { matchLabels: { app: 'x' } }, rules: [{ to: [{ operation: { methods: ['GET'] } }] }] })],
    namespaceObject: AMBIENT_NAMESPACE,
  },
  'MESH-AMBIENT-002': {
    good: [istio('security.istio.io', 'RequestAuthentication', 'at-waypoint', { targetRefs: [{ group: '', kind: 'Service', name: 'x' }], jwtRules: [{ issuer: 'https://i.example.com' }] })],
    bad: [istio('security.istio.io', 'RequestAuthentication', 'at-ztunnel', { selector: { matchLabels: { app: 'x' } }, jwtRules: [{ issuer: 'https://i.example.com' }] })],
    namespaceObject: AMBIENT_NAMESPACE,
  },
  'MESH-AMBIENT-003': {
    good: [{ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'plain', namespace: 'shop' }, spec: { containers: [{ name: 'app', image: IMAGE }] } }],
    bad: [istio('networking.istio.io', 'Sidecar', 'default', { outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' } })],
    namespaceObject: AMBIENT_NAMESPACE,
  },
  'MESH-AMBIENT-004': {
    good: [{ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'in', namespace: 'shop' }, spec: { containers: [{ name: 'app', image: IMAGE }] } }],
    bad: [{ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'out', namespace: 'shop', labels: { 'istio.io/dataplane-mode': 'none' } }, spec: { containers: [{ name: 'app', image: IMAGE }] } }],
    namespaceObject: AMBIENT_NAMESPACE,
  },
  'MESH-EGRESS-001': {
    good: [istio('networking.istio.io', 'Sidecar', 'registry-only', { outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' } }), istio('networking.istio.io', 'Sidecar', 'default', {})],
    bad: [istio('networking.istio.io', 'Sidecar', 'open', { outboundTrafficPolicy: { mode: 'ALLOW_ANY' } })],
  },
  'MESH-JWT-002': {
    good: [istio('security.istio.io', 'RequestAuthentication', 'https', { jwtRules: [{ issuer: 'https://issuer.example.com', jwksUri: 'https://issuer.example.com/jwks' }] })],
    bad: [istio('security.istio.io', 'RequestAuthentication', 'inline', { jwtRules: [{ issuer: 'https://issuer.example.com', jwks: '{"keys":[]}' }] })],
  },
  'MESH-TEL-001': {
    good: [{ apiVersion: 'telemetry.istio.io/v1', kind: 'Telemetry', metadata: { name: 'logs', namespace: 'shop' }, spec: { accessLogging: [{ providers: [{ name: 'envoy' }] }] } }],
    bad: [{ apiVersion: 'telemetry.istio.io/v1', kind: 'Telemetry', metadata: { name: 'quiet', namespace: 'shop' }, spec: { accessLogging: [{ disabled: true }] } }],
  },
  'MESH-EGRESS-002': {
    good: [istio('networking.istio.io', 'ServiceEntry', 'api', { hosts: ['api.example.com'], location: 'MESH_EXTERNAL', resolution: 'DNS', exportTo: ['.'], ports: [{ number: 443, name: 'tls', protocol: 'TLS' }] })],
    bad: [istio('networking.istio.io', 'ServiceEntry', 'anything', { hosts: ['*.example.com'], location: 'MESH_EXTERNAL', resolution: 'NONE', ports: [{ number: 443, name: 'tls', protocol: 'TLS' }] })],
  },
  'MESH-EXT-001': {
    // Every EnvoyFilter and WasmPlugin is refused; only objects of other kinds pass the expression.
    good: [istio('networking.istio.io', 'Sidecar', 'not-an-extension', {})],
    bad: [istio('networking.istio.io', 'EnvoyFilter', 'patch', { configPatches: [] })],
  },
  'MESH-INGRESS-001': {
    good: [istio('networking.istio.io', 'Gateway', 'edge', {
      servers: [
        { port: { number: 443, name: 'https', protocol: 'HTTPS' }, hosts: ['shop.example.com'], tls: { mode: 'SIMPLE', credentialName: 'shop-cert' } },
        { port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['shop.example.com'], tls: { httpsRedirect: true } },
      ],
    })],
    bad: [
      istio('networking.istio.io', 'Gateway', 'plaintext', { servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['shop.example.com'] }] }),
      istio('networking.istio.io', 'Gateway', 'any-host', { servers: [{ port: { number: 443, name: 'tls', protocol: 'TLS' }, hosts: ['*'], tls: { mode: 'SIMPLE', credentialName: 'c' } }] }),
    ],
  },
  'MESH-INGRESS-002': {
    good: [istio('networking.istio.io', 'VirtualService', 'named', { hosts: ['shop.example.com'], gateways: ['istio-system/edge'], http: [{ route: [{ destination: { host: 'web' } }] }] })],
    bad: [istio('networking.istio.io', 'VirtualService', 'wildcard', { hosts: ['*'], gateways: ['istio-system/edge'], http: [{ route: [{ destination: { host: 'web' } }] }] })],
  },
  'POD-ROOT-001': {
    good: [pod('plain')],
    bad: [
      pod('root', { securityContext: {}, containers: [container({ securityContext: { ...SC_OK, runAsNonRoot: false } })] }),
      pod('uid-0', { containers: [container({ securityContext: { ...SC_OK, runAsUser: 0 } })] }),
    ],
  },
  'POD-SECCOMP-001': {
    good: [pod('plain')],
    bad: [pod('unconfined', { containers: [container({ securityContext: { ...SC_OK, seccompProfile: { type: 'Unconfined' } } })] })],
  },
  'POD-HOSTPATH-001': {
    good: [pod('plain', { volumes: [{ name: 'tmp', emptyDir: {} }] })],
    bad: [pod('docker-socket', { volumes: [{ name: 'sock', hostPath: { path: '/var/run/docker.sock' } }] })],
  },
  'POD-HOSTPORT-001': {
    good: [pod('plain', { containers: [container({ ports: [{ containerPort: 8080 }, { containerPort: 9090, hostPort: 0 }] })] })],
    bad: [pod('node-port', { containers: [container({ ports: [{ containerPort: 8080, hostPort: 80 }] })] })],
  },
  'POD-CAP-002': {
    good: [pod('bind-low-port', { containers: [container({ securityContext: { ...SC_OK, capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] } } })] })],
    bad: [pod('chown', { containers: [container({ securityContext: { ...SC_OK, capabilities: { drop: ['ALL'], add: ['CHOWN'] } } })] })],
  },
  'POD-PSS-001': {
    good: [pod('plain', { volumes: [{ name: 'tmp', emptyDir: {} }] })],
    bad: [pod('unmasked', { containers: [container({ securityContext: { ...SC_OK, procMount: 'Unmasked' } })] }), pod('nfs', { volumes: [{ name: 'n', nfs: { server: 's', path: '/' } }] })],
  },
  'POD-ROFS-001': {
    good: [pod('read-only', { containers: [container({ securityContext: { ...SC_OK, readOnlyRootFilesystem: true } })] })],
    bad: [pod('writable', { containers: [container({ securityContext: { ...SC_OK, readOnlyRootFilesystem: false } })] })],
  },
  'POD-PID-001': {
    good: [pod('plain')],
    bad: [deployment('shared-pid', { shareProcessNamespace: true })],
  },
  'POD-PRIV-001': {
    good: [pod('plain')],
    bad: [pod('privileged', { containers: [container({ securityContext: { ...SC_OK, privileged: true } })] })],
  },
  'POD-CAP-001': {
    good: [pod('no-caps')],
    bad: [deployment('net-admin', { containers: [container({ securityContext: { ...SC_OK, capabilities: { drop: ['ALL'], add: ['NET_ADMIN'] } } })] })],
  },
  'POD-HOST-001': {
    good: [pod('isolated', { hostNetwork: false })],
    bad: [pod('host-network', { hostNetwork: true }), deployment('host-pid', { hostPID: true })],
  },
  'POD-ESC-001': {
    good: [pod('restricted')],
    bad: [pod('escalating', { containers: [container({ securityContext: { runAsNonRoot: true } })] })],
  },
  'IMG-DIGEST-001': {
    good: [pod('pinned')],
    bad: [pod('tagged', { containers: [container({ image: 'gcr.io/acme/app:latest' })] })],
  },
  'RBAC-WILD-001': {
    good: [role('Role', 'reader', [{ apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'list'] }])],
    bad: [role('ClusterRole', 'everything', [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }]), role('Role', 'all-verbs', [{ apiGroups: ['apps'], resources: ['deployments'], verbs: ['*'] }])],
  },
  'RBAC-ESC-001': {
    good: [role('Role', 'reader', [{ apiGroups: ['apps'], resources: ['deployments'], verbs: ['get'] }])],
    bad: [role('ClusterRole', 'binder', [{ apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles'], verbs: ['bind'] }]), role('Role', 'impersonator', [{ apiGroups: [''], resources: ['users'], verbs: ['impersonate'] }])],
  },
  'RBAC-SENS-001': {
    good: [role('Role', 'log-reader', [{ apiGroups: [''], resources: ['pods', 'pods/log'], verbs: ['get', 'list'] }])],
    bad: [role('Role', 'exec', [{ apiGroups: [''], resources: ['pods/exec'], verbs: ['create'] }]), role('ClusterRole', 'node-proxy', [{ apiGroups: [''], resources: ['nodes/proxy'], verbs: ['get'] }])],
  },
  'RBAC-SUBJ-001': {
    good: [{ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'team', namespace: 'shop' }, roleRef: { kind: 'Role', name: 'reader' }, subjects: [{ kind: 'Group', name: 'team-shop' }] }],
    bad: [{ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'anyone' }, roleRef: { kind: 'ClusterRole', name: 'view' }, subjects: [{ kind: 'Group', name: 'system:unauthenticated' }] }],
  },
  'POD-UID-001': {
    good: [pod('plain')],
    bad: [pod('as-proxy', { containers: [container({ securityContext: { ...SC_OK, runAsUser: 1337 } })] }), deployment('proxy-group', { securityContext: { runAsGroup: 1337 } })],
  },
  'NS-PSA-001': {
    good: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { 'istio-injection': 'enabled', 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'v1.30' } } }],
    bad: [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'lax', labels: { 'istio-injection': 'enabled', 'pod-security.kubernetes.io/enforce': 'baseline' } } },
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'old', labels: { 'istio.io/rev': 'stable', 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'v1.21' } } },
    ],
  },
  'SECRET-K8S-001': {
    namespaceObject: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { 'istio-injection': 'enabled', 'secure-mesh.cdk8s.io/sensitive-data': 'true' } } },
    good: [pod('csi', { volumes: [{ name: 's', csi: { driver: 'secrets-store.csi.k8s.io', volumeAttributes: { secretProviderClass: 'db' } } }] })],
    bad: [pod('secret-volume', { volumes: [{ name: 'db', secret: { secretName: 'db' } }] }), deployment('env-secret', { containers: [container({ envFrom: [{ secretRef: { name: 'db' } }] })] })],
  },
  'MESH-PROXY-001': {
    good: [pod('plain')],
    bad: [pod('own-proxy', {}, { 'sidecar.istio.io/proxyImage': 'docker.io/someone/proxyv2:latest' }), deployment('no-capture', {}, { 'sidecar.istio.io/interceptionMode': 'NONE' })],
  },
};

const keyOf = (o: RuleObject) => registryKey(o.kind!, o.metadata!.name!);
const paramsWith = (data?: { [key: string]: string }) => registry('shop', data);
const stamp = (id: string) => `${id}@2030-06-30`;

describe('every admission rule, through its emitted expression (exception wrapper included)', () => {
  const objects = synthValidated(world().chart);
  const ctx = ruleContext(Object.values(FIXTURES).flatMap((f) => [...f.good, ...f.bad]));

  test('there is a fixture for every rule with an admission form, with good and bad objects', () => {
    expect(Object.keys(FIXTURES).sort()).toEqual([...STATIC_IDS].sort());
    for (const f of Object.values(FIXTURES)) {
      expect(f.good.length).toBeGreaterThan(0);
      expect(f.bad.length).toBeGreaterThan(0);
    }
  });

  describe.each(STATIC_IDS)('%s', (id) => {
    const rule = ruleById(id)!;
    const { good, bad, namespaceObject } = FIXTURES[id];
    const vars = namespaceObject ? { namespaceObject } : {};
    const other = STATIC_IDS.find((x) => x !== id)!;
    const inMesh = (o: RuleObject) => (o.kind === 'Namespace' ? o : { ...o });

    test('fixtures agree with check(): bad objects violate the rule, good objects do not', () => {
      // A rule decided by the namespace (checkAll) is judged with its Namespace among the objects.
      // A rule decided by the object's Namespace (MESH-AMBIENT-*) sees it among the objects too.
      const violates = (o: RuleObject) => rule.check(o, namespaceObject ? ruleContext([namespaceObject, o]) : ctx).length > 0
        || (rule.checkAll?.(ruleContext([...(namespaceObject ? [namespaceObject] : []), o])) ?? []).some((v) => v.object === o);
      for (const o of bad) expect([keyOf(o), violates(o)]).toEqual([keyOf(o), true]);
      for (const o of good) expect([keyOf(o), violates(o)]).toEqual([keyOf(o), false]);
    });

    test('bad object: refused without data, with an empty registry, and with no param object', () => {
      const e = expressionOf(objects, id);
      for (const o of bad.map(inMesh)) {
        expect([keyOf(o), admitsExpression(e, o, paramsWith(), vars)]).toEqual([keyOf(o), false]);
        expect([keyOf(o), admitsExpression(e, o, paramsWith({}), vars)]).toEqual([keyOf(o), false]);
        expect([keyOf(o), admitsExpression(e, o, null, vars)]).toEqual([keyOf(o), false]);
      }
    });

    test('bad object: admitted when the registry lists this rule for Kind.name (alone or among others)', () => {
      const e = expressionOf(objects, id);
      for (const o of bad) {
        expect([keyOf(o), admitsExpression(e, o, paramsWith({ [keyOf(o)]: stamp(id) }), vars)]).toEqual([keyOf(o), true]);
        expect([keyOf(o), admitsExpression(e, o, paramsWith({ [keyOf(o)]: `${stamp(other)},${stamp(id)}` }), vars)]).toEqual([keyOf(o), true]);
      }
    });

    test('bad object: refused when the registry lists only another rule for it, a longer id, or this rule for another object', () => {
      const e = expressionOf(objects, id);
      for (const o of bad) {
        expect([keyOf(o), admitsExpression(e, o, paramsWith({ [keyOf(o)]: stamp(other) }), vars)]).toEqual([keyOf(o), false]);
        expect([keyOf(o), admitsExpression(e, o, paramsWith({ [keyOf(o)]: stamp(`${id}0`) }), vars)]).toEqual([keyOf(o), false]);
        expect([keyOf(o), admitsExpression(e, o, paramsWith({ [registryKey(o.kind!, `${o.metadata!.name}-2`)]: stamp(id) }), vars)]).toEqual([keyOf(o), false]);
      }
    });

    test('good object: admitted with or without exceptions', () => {
      const e = expressionOf(objects, id);
      for (const o of good) {
        expect([keyOf(o), admitsExpression(e, o, paramsWith(), vars)]).toEqual([keyOf(o), true]);
        expect([keyOf(o), admitsExpression(e, o, paramsWith({ [keyOf(o)]: stamp(other) }), vars)]).toEqual([keyOf(o), true]);
      }
    });
  });
});

// ---- End to end: a PolicyException in the app becomes an entry of its namespace's registry ------

describe('end to end: excludeInboundPorts under a PolicyException', () => {
  function bypassWorld() {
    const { app, chart } = world();
    const ns = new HardenedNamespace(chart, 'shop', { name: 'shop' });
    const cart = new SecureService(chart, 'cart', { namespace: ns, image: IMAGE, ports: HTTP });
    const exception = new PolicyException(cart, 'bypass', {
      rules: ['MESH-EXC-001'],
      justification: 'The legacy health checker cannot speak mTLS; only the shop namespace may reach port 9080.',
      owner: 'team-shop',
      expires: '2030-03-31',
      objects: ['Deployment/shop/cart'],
      ports: [9080],
    });
    cart.excludeInboundPorts([9080], { exception });
    new SecureService(chart, 'orders', { namespace: ns, image: IMAGE, ports: HTTP });
    return { app, chart };
  }

  test('the shop registry lists the excepted Deployment, and the MESH-EXC-001 policy admits exactly that object', () => {
    const objects = synthValidated(bypassWorld().chart);
    const reg = findObject(objects, 'ConfigMap', REGISTRY_NAME, 'shop');
    const cart = findObject(objects, 'Deployment', 'cart', 'shop');
    expect(reg.data['Deployment.cart']).toBe('MESH-EXC-001@2030-03-31');
    expect(Object.keys(reg.data).sort()).toEqual(['Deployment.cart', 'exceptions.yaml']);
    expect(findObject(objects, 'ConfigMap', REGISTRY_NAME, 'istio-system').data).toBeUndefined();
    expect(cart.metadata.annotations[EXCEPTION_ANNOTATION]).toBe('MESH-EXC-001@2030-03-31');

    const e = expressionOf(objects, 'MESH-EXC-001');
    expect(admitsExpression(e, cart, reg)).toBe(true);
    expect(admitsExpression(e, { ...cart, metadata: { ...cart.metadata, name: 'cart-copy' } }, reg)).toBe(false);
    expect(admitsExpression(e, cart, { ...reg, data: undefined })).toBe(false);
    expect(admitsExpression(expressionOf(objects, 'MESH-INJ-001'), {
      ...cart, spec: { ...cart.spec, template: { ...cart.spec.template, metadata: { ...cart.spec.template.metadata, labels: { ...cart.spec.template.metadata.labels, 'sidecar.istio.io/inject': 'false' } } } },
    }, reg)).toBe(false);
  });

  test('what the controllers create from the excepted Deployment is admitted by identity; the same Pod from a user is not', () => {
    const objects = synthValidated(bypassWorld().chart);
    const reg = findObject(objects, 'ConfigMap', REGISTRY_NAME, 'shop');
    const cart = findObject(objects, 'Deployment', 'cart', 'shop');
    const template = cart.spec.template;
    const createdPod = { apiVersion: 'v1', kind: 'Pod', metadata: { ...template.metadata, name: 'cart-5d8f7c9b6-x2x7q', namespace: 'shop' }, spec: template.spec };
    const replicaSet = { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'cart-5d8f7c9b6', namespace: 'shop', labels: template.metadata.labels }, spec: { selector: cart.spec.selector, template } };
    const e = expressionOf(objects, 'MESH-EXC-001');
    expect(admitsExpression(e, createdPod, reg, asUser('system:serviceaccount:kube-system:replicaset-controller'))).toBe(true);
    expect(admitsExpression(e, replicaSet, reg, asUser('system:serviceaccount:kube-system:deployment-controller'))).toBe(true);
    expect(admitsExpression(e, createdPod, reg, asUser('alice'))).toBe(false);
    expect(admitsExpression(e, replicaSet, reg, asUser('alice'))).toBe(false);
  });

  test('a CronJob excepted by name: the Jobs the cronjob-controller creates, and their Pods, are admitted', () => {
    const e = expressionOf(synthValidated(world().chart), 'MESH-EXC-001');
    const podSpec = { containers: [{ name: 'app', image: IMAGE }] };
    const template = { metadata: { annotations: { 'traffic.sidecar.istio.io/excludeOutboundPorts': '5432' } }, spec: podSpec };
    const cronJob = { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'nightly', namespace: 'shop' }, spec: { schedule: '@daily', jobTemplate: { spec: { template } } } };
    const job = { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'nightly-28000000', namespace: 'shop' }, spec: { template } };
    const jobPod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'nightly-28000000-abcde', namespace: 'shop', ...template.metadata }, spec: podSpec };
    const reg = registry('shop', { 'CronJob.nightly': 'MESH-EXC-001@2030-03-31' });
    expect(admitsExpression(e, cronJob, reg)).toBe(true);
    expect(admitsExpression(e, job, reg, asUser('system:serviceaccount:kube-system:cronjob-controller'))).toBe(true);
    expect(admitsExpression(e, jobPod, reg, asUser('system:serviceaccount:kube-system:job-controller'))).toBe(true);
    expect(admitsExpression(e, job, reg, asUser('alice'))).toBe(false);
  });

  test('every other synthesized workload is admitted by every policy without an exception', () => {
    const objects = synthValidated(bypassWorld().chart);
    const reg = findObject(objects, 'ConfigMap', REGISTRY_NAME, 'shop');
    const orders = findObject(objects, 'Deployment', 'orders', 'shop');
    for (const id of ADMISSION_IDS) expect([id, admitsExpression(expressionOf(objects, id), orders, reg)]).toEqual([id, true]);
  });

  test('an exception that covers nothing adds nothing to the registry', () => {
    const { chart } = world();
    const ns = new HardenedNamespace(chart, 'shop', { name: 'shop' });
    new SecureService(chart, 'cart', { namespace: ns, image: IMAGE, ports: HTTP });
    new PolicyException(chart, 'unused', {
      rules: ['MESH-EXC-001'],
      justification: 'Kept for the migration window of the legacy checker, which no longer runs.',
      owner: 'team-shop',
      expires: '2030-03-31',
      objects: ['Deployment/shop/cart'],
    });
    expect(findObject(synthValidated(chart), 'ConfigMap', REGISTRY_NAME, 'shop').data).toBeUndefined();
  });

  test('a raw bypassing Deployment the exception does not name still fails synthesis', () => {
    const { chart } = bypassWorld();
    new ApiObject(chart, 'rogue', deployment('rogue', {}, { 'traffic.sidecar.istio.io/excludeInboundPorts': '9080' }) as any);
    expect(() => Testing.synth(chart)).toThrow(/MESH-EXC-001/);
  });
});

describe('AdmissionGuardrails: rules that need the cluster\'s settings, rendered with the app\'s', () => {
  const blueprint = () => {
    const chart = new BlueprintChart(Testing.app(), 'blueprint');
    const objects = synthValidated(chart);
    return { objects, cm: findObject(objects, 'ConfigMap', REGISTRY_NAME, 'istio-system') };
  };
  const LAYOUT = ['MESH-AUTHZ-007', 'RBAC-CRB-001', 'RBAC-BUILTIN-001', 'NET-DENY-001', 'NET-EGRESS-001', 'NET-CP-001'];
  const crb = (group: string) => ({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: `to-${group}` },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'mesh-auditor' },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: group }],
  });
  const istiod = (port: number) => ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'istiod-debug', namespace: 'istio-system' },
    spec: { podSelector: { matchLabels: { app: 'istiod' } }, policyTypes: ['Ingress'], ingress: [{ from: [{ podSelector: {} }], ports: [{ protocol: 'TCP', port }] }] },
  });

  test('each is emitted, with the binding its severity asks for', () => {
    const { objects } = blueprint();
    for (const id of LAYOUT) {
      expect([id, ALL_RULES.find((r) => r.id === id)!.admission]).toEqual([id, undefined]);
      for (const b of bindingsOf(objects, policyName(id))) expect([id, b.spec.validationActions]).toEqual([id, ['Deny']]);
    }
  });

  test('every object the blueprint writes is admitted by every policy, these included', () => {
    const { objects } = blueprint();
    const registries = new Map(ofKind(objects, 'ConfigMap').filter((c) => c.metadata.name === REGISTRY_NAME).map((c) => [c.metadata.namespace, c]));
    const gitOps = (o: any) => asUser('bob', ['mesh-admins'], 'CREATE', o.metadata.namespace ?? '');
    for (const vap of ofKind(objects, 'ValidatingAdmissionPolicy')) {
      const expression = vap.spec.validations[0].expression;
      const refused = objects.filter((o) => matches(vap, o) && !admitsExpression(expression, o, registries.get(o.metadata.namespace ?? 'istio-system') ?? null, gitOps(o)))
        .map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`);
      expect([vap.metadata.name, refused]).toEqual([vap.metadata.name, []]);
    }
  });

  test('RBAC-CRB-001 carries the app\'s admin and operator groups: they pass, an app team does not', () => {
    const { objects, cm } = blueprint();
    const expression = expressionOf(objects, 'RBAC-CRB-001');
    expect(admitsExpression(expression, crb('mesh-admins'), cm)).toBe(true);
    expect(admitsExpression(expression, crb('auditors'), cm)).toBe(true);
    expect(admitsExpression(expression, crb('bookinfo-developers'), cm)).toBe(false);
  });

  test('NET-CP-001 carries the app\'s control-plane namespace: 15012 from its pods passes, 15010 does not', () => {
    const { objects, cm } = blueprint();
    const expression = expressionOf(objects, 'NET-CP-001');
    expect(admitsExpression(expression, istiod(15010), cm)).toBe(false);
    expect(admitsExpression(expression, istiod(15012), cm)).toBe(true);
  });

  test('NET-DENY-001 knows the app\'s gateways: their own policies pass, an allow-all does not', () => {
    const { objects, cm } = blueprint();
    const expression = expressionOf(objects, 'NET-DENY-001');
    const open = { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'open', namespace: 'bookinfo' }, spec: { podSelector: {}, ingress: [{}] } };
    expect(admitsExpression(expression, open, cm)).toBe(false);
    expect(admitsExpression(expression, findObject(objects, 'NetworkPolicy', 'bookinfo-gateway-ingress', 'istio-system'), cm)).toBe(true);
  });
});
