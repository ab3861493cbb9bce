import { Chart, Testing } from 'cdk8s';
import { AppProtocol } from '../../src/mesh/app-protocol';
import { MeshBaseline } from '../../src/mesh/mesh-baseline';
import { AdmissionGuardrails } from '../../src/policy/admission-guardrails';
import {
  AdmissionDecision, AdmissionRequestInput, AdmissionSimulator, AdmissionSimulatorOptions, ClusterState, defaultResourceOf,
} from '../../src/policy/admission-simulator';
import { CLOCK_CONTEXT_KEY } from '../../src/policy/policy-exception';
import { MeshRoleSets } from '../../src/rbac/mesh-role-sets';
import { RbacSubject } from '../../src/rbac/rbac-subject';
import { HardenedNamespace } from '../../src/workload/hardened-namespace';
import { SecureService } from '../../src/workload/secure-service';

// ---- Fixtures -----------------------------------------------------------------------------------

const vap = (name: string, spec: object) => ({ apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicy', metadata: { name }, spec });
const binding = (name: string, policyName: string, spec: object = {}) => ({
  apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicyBinding', metadata: { name }, spec: { policyName, validationActions: ['Deny'], ...spec },
});
const rule = (over: object = {}) => ({ apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], operations: ['CREATE', 'UPDATE'], ...over });
/** A policy refusing every request its constraints match, bound once without params. */
const refuse = (constraints: object = { resourceRules: [rule()] }, extra: object = {}) =>
  [vap('refuse', { matchConstraints: constraints, validations: [{ expression: 'false', message: 'refused' }], ...extra }), binding('refuse-binding', 'refuse')];

const namespace = (name: string, labels: { [key: string]: string } = {}) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
const pod = (name: string, ns = 'shop', labels: { [key: string]: string } = {}, spec: object = {}) => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns, labels }, spec: { containers: [{ name: 'app', image: 'app' }], ...spec },
});
const clusterRole = (name: string, labels: { [key: string]: string } = {}) => ({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name, labels }, rules: [] });
const configMap = (name: string, ns: string, data: { [key: string]: string } = {}, labels: { [key: string]: string } = {}) => ({
  apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns, labels }, data,
});

const CLUSTER: ClusterState = {
  namespaces: [namespace('shop', { env: 'prod', team: 'web' }), namespace('dev', { env: 'dev' }), namespace('default')],
  params: [],
};

const create = (object: any, over: Partial<AdmissionRequestInput> = {}): AdmissionRequestInput => ({ operation: 'CREATE', object, ...over });
function decide(documents: any[], request: AdmissionRequestInput, cluster = CLUSTER, options?: AdmissionSimulatorOptions): AdmissionDecision {
  return new AdmissionSimulator(documents, options).decide(request, cluster);
}
const refused = (d: AdmissionDecision) => !d.allowed && d.denials.length > 0;

// ---- Resource identity --------------------------------------------------------------------------

describe('resource identity of a request', () => {
  test.each([
    ['v1', 'Pod', 'pods', true],
    ['v1', 'Namespace', 'namespaces', false],
    ['v1', 'Endpoints', 'endpoints', true],
    ['apps/v1', 'Deployment', 'deployments', true],
    ['batch/v1', 'CronJob', 'cronjobs', true],
    ['networking.k8s.io/v1', 'NetworkPolicy', 'networkpolicies', true],
    ['rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', 'clusterrolebindings', false],
    ['admissionregistration.k8s.io/v1', 'ValidatingAdmissionPolicy', 'validatingadmissionpolicies', false],
    ['policy/v1', 'PodDisruptionBudget', 'poddisruptionbudgets', true],
    ['security.istio.io/v1', 'AuthorizationPolicy', 'authorizationpolicies', true],
    ['telemetry.istio.io/v1', 'Telemetry', 'telemetries', true],
    ['networking.istio.io/v1alpha3', 'EnvoyFilter', 'envoyfilters', true],
    ['extensions.istio.io/v1alpha1', 'WasmPlugin', 'wasmplugins', true],
  ])('%s %s: %s (namespaced %s)', (apiVersion, kind, resource, namespaced) => {
    expect(defaultResourceOf(apiVersion, kind)).toEqual({ resource, namespaced });
  });

  test('unknown kinds and unserved versions are unknown; decide() refuses to guess', () => {
    expect(defaultResourceOf('example.com/v1', 'Widget')).toBeUndefined();
    expect(defaultResourceOf('apps/v9', 'Deployment')).toBeUndefined();
    expect(() => decide(refuse(), create({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'shop' } })))
      .toThrow(/unknown kind example.com\/v1 Widget; pass options.resourceOf/);
    expect(() => decide(refuse(), { operation: 'DELETE' })).toThrow(/needs an object/);
  });

  test('options.resourceOf resolves other kinds and overrides the default mapping', () => {
    const widget = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'shop' } };
    const docs = refuse({ resourceRules: [rule({ apiGroups: ['example.com'], resources: ['widgets'] })] });
    const resourceOf = (_apiVersion: string, kind: string) => (kind === 'Widget' ? { resource: 'widgets', namespaced: true } : undefined);
    expect(refused(decide(docs, create(widget), CLUSTER, { resourceOf }))).toBe(true);
    // Pods are still known through the default mapping, and not matched by this policy.
    expect(decide(docs, create(pod('p')), CLUSTER, { resourceOf }).allowed).toBe(true);
    // An override wins: Pods renamed to another resource no longer match a pods rule.
    expect(decide(refuse(), create(pod('p')), CLUSTER, { resourceOf: () => ({ resource: 'other', namespaced: true }) }).allowed).toBe(true);
  });

  test('request.kind and request.resource carry group, version, kind and plural', () => {
    const check = [vap('p', {
      matchConstraints: { resourceRules: [rule({ apiGroups: ['apps'], resources: ['deployments'] })] },
      validations: [{
        expression: "request.kind == {'group': 'apps', 'version': 'v1', 'kind': 'Deployment'} && "
        + "request.resource == {'group': 'apps', 'version': 'v1', 'resource': 'deployments'} && request.requestResource == request.resource",
      }],
    }), binding('b', 'p')];
    expect(decide(check, create({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'shop' } })).allowed).toBe(true);
  });
});

// ---- matchConstraints ---------------------------------------------------------------------------

describe('matchConstraints.resourceRules (rules.Matcher)', () => {
  test('operations: listed ones and * match, others do not', () => {
    expect(refused(decide(refuse(), create(pod('p'))))).toBe(true);
    expect(decide(refuse(), { operation: 'DELETE', oldObject: pod('p') }).allowed).toBe(true);
    expect(refused(decide(refuse({ resourceRules: [rule({ operations: ['*'] })] }), { operation: 'DELETE', oldObject: pod('p') }))).toBe(true);
  });

  test('CONNECT requests: matched by operation and subresource (the options object identified through resourceOf)', () => {
    const docs = refuse({ resourceRules: [rule({ resources: ['pods/exec'], operations: ['CONNECT'] })] });
    const resourceOf = (_apiVersion: string, kind: string) => (kind === 'PodExecOptions' ? { resource: 'pods', namespaced: true } : undefined);
    const exec = { apiVersion: 'v1', kind: 'PodExecOptions', command: ['sh'] };
    expect(refused(decide(docs, { operation: 'CONNECT', object: exec, subResource: 'exec', name: 'p', namespace: 'shop' }, CLUSTER, { resourceOf }))).toBe(true);
    expect(decide(docs, { operation: 'CONNECT', object: exec, subResource: 'attach', name: 'p', namespace: 'shop' }, CLUSTER, { resourceOf }).allowed).toBe(true);
  });

  test('apiGroups and apiVersions: exact or *', () => {
    expect(decide(refuse({ resourceRules: [rule({ apiGroups: ['apps'] })] }), create(pod('p'))).allowed).toBe(true);
    expect(decide(refuse({ resourceRules: [rule({ apiVersions: ['v2'] })] }), create(pod('p'))).allowed).toBe(true);
    expect(refused(decide(refuse({ resourceRules: [rule({ apiGroups: ['*'], apiVersions: ['*'] })] }), create(pod('p'))))).toBe(true);
  });

  test('resources: a plain resource matches no subresource; res/sub, res/* and */sub forms', () => {
    const status = (docs: any[]) => decide(docs, { operation: 'UPDATE', object: pod('p'), oldObject: pod('p'), subResource: 'status' });
    expect(status(refuse()).allowed).toBe(true);
    expect(refused(status(refuse({ resourceRules: [rule({ resources: ['pods/status'] })] })))).toBe(true);
    expect(refused(status(refuse({ resourceRules: [rule({ resources: ['pods/*'] })] })))).toBe(true);
    expect(refused(status(refuse({ resourceRules: [rule({ resources: ['*/status'] })] })))).toBe(true);
    expect(status(refuse({ resourceRules: [rule({ resources: ['pods/exec'] })] })).allowed).toBe(true);
    // rules.go resource(): a '*' subresource also matches no subresource, so 'pods/*' matches the
    // pod itself; '*' matches every resource without subresource.
    expect(refused(decide(refuse({ resourceRules: [rule({ resources: ['pods/*'] })] }), create(pod('p'))))).toBe(true);
    expect(refused(decide(refuse({ resourceRules: [rule({ resources: ['*'] })] }), create(pod('p'))))).toBe(true);
    expect(status(refuse({ resourceRules: [rule({ resources: ['*'] })] })).allowed).toBe(true);
  });

  test('scope: Namespaced excludes cluster-scoped objects and Namespaces; Cluster the reverse', () => {
    const any = { apiGroups: ['*'], apiVersions: ['*'], resources: ['*'], operations: ['*'] };
    const namespaced = refuse({ resourceRules: [{ ...any, scope: 'Namespaced' }] });
    const cluster = refuse({ resourceRules: [{ ...any, scope: 'Cluster' }] });
    expect(refused(decide(namespaced, create(pod('p'))))).toBe(true);
    expect(decide(namespaced, create(clusterRole('r'))).allowed).toBe(true);
    expect(decide(namespaced, { operation: 'UPDATE', object: namespace('shop'), oldObject: namespace('shop') }).allowed).toBe(true);
    expect(decide(cluster, create(pod('p'))).allowed).toBe(true);
    expect(refused(decide(cluster, create(clusterRole('r'))))).toBe(true);
    expect(refused(decide(cluster, { operation: 'UPDATE', object: namespace('shop'), oldObject: namespace('shop') }))).toBe(true);
  });

  test('resourceNames: only the named objects', () => {
    const docs = refuse({ resourceRules: [rule({ resourceNames: ['special'] })] });
    expect(refused(decide(docs, create(pod('special'))))).toBe(true);
    expect(decide(docs, create(pod('ordinary'))).allowed).toBe(true);
  });

  test('excludeResourceRules take precedence over resourceRules', () => {
    const docs = refuse({ resourceRules: [rule()], excludeResourceRules: [rule({ resourceNames: ['excused'] })] });
    expect(decide(docs, create(pod('excused'))).allowed).toBe(true);
    expect(refused(decide(docs, create(pod('other'))))).toBe(true);
  });

  test('matchPolicy Equivalent is treated as Exact: a rule for another version does not match', () => {
    const docs = refuse({ matchPolicy: 'Equivalent', resourceRules: [rule({ apiGroups: ['apps'], apiVersions: ['v1beta2'], resources: ['deployments'] })] });
    expect(decide(docs, create({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'shop' } })).allowed).toBe(true);
  });

  test('a policy without matchConstraints is a configuration error under its failurePolicy', () => {
    const docs = [vap('p', { validations: [{ expression: 'true' }] }), binding('b', 'p')];
    const d = decide(docs, create(pod('p')));
    expect(d.allowed).toBe(false);
    expect(d.denials).toEqual([{ policy: 'p', binding: '', message: 'failed to configure policy: policy contained no match constraints, a required field', reason: 'Invalid' }]);
    expect(d.message).toBe("ValidatingAdmissionPolicy 'p' denied request: failed to configure policy: policy contained no match constraints, a required field");
    docs[0].spec = { ...docs[0].spec, failurePolicy: 'Ignore' } as any;
    expect(decide(docs, create(pod('p'))).allowed).toBe(true);
  });
});

describe('matchConstraints.namespaceSelector (namespace.Matcher)', () => {
  const prod = (selector: object) => refuse({ resourceRules: [rule({ resources: ['*'], apiGroups: ['*'], operations: ['*'] })], namespaceSelector: selector });

  test('matchLabels: requests in a matching namespace only', () => {
    expect(refused(decide(prod({ matchLabels: { env: 'prod' } }), create(pod('p', 'shop'))))).toBe(true);
    expect(decide(prod({ matchLabels: { env: 'prod' } }), create(pod('p', 'dev'))).allowed).toBe(true);
  });

  test.each([
    [{ key: 'env', operator: 'In', values: ['prod', 'staging'] }, true, false],
    [{ key: 'env', operator: 'NotIn', values: ['prod'] }, false, true],
    [{ key: 'team', operator: 'Exists' }, true, false],
    [{ key: 'team', operator: 'DoesNotExist' }, false, true],
  ])('matchExpressions %j: shop %s, dev %s', (expression, inShop, inDev) => {
    const docs = prod({ matchExpressions: [expression] });
    expect(refused(decide(docs, create(pod('p', 'shop'))))).toBe(inShop);
    expect(refused(decide(docs, create(pod('p', 'dev'))))).toBe(inDev);
  });

  test('NotIn also matches a namespace without the key', () => {
    const docs = prod({ matchExpressions: [{ key: 'team', operator: 'NotIn', values: ['web'] }] });
    expect(refused(decide(docs, create(pod('p', 'dev'))))).toBe(true);
    expect(refused(decide(docs, create(pod('p', 'shop'))))).toBe(false);
  });

  test('every namespace has its kubernetes.io/metadata.name label (API server defaulting)', () => {
    const docs = prod({ matchLabels: { 'kubernetes.io/metadata.name': 'dev' } });
    expect(refused(decide(docs, create(pod('p', 'dev'))))).toBe(true);
    expect(decide(docs, create(pod('p', 'shop'))).allowed).toBe(true);
  });

  test('a Namespace being created or updated is matched on its own new labels', () => {
    const docs = prod({ matchLabels: { env: 'prod' } });
    expect(refused(decide(docs, create(namespace('new', { env: 'prod' }))))).toBe(true);
    expect(decide(docs, create(namespace('new', { env: 'dev' }))).allowed).toBe(true);
    // UPDATE: the new labels count, not the stored ones.
    expect(refused(decide(docs, { operation: 'UPDATE', object: namespace('dev', { env: 'prod' }), oldObject: namespace('dev', { env: 'dev' }) }))).toBe(true);
    expect(decide(docs, { operation: 'UPDATE', object: namespace('shop', { env: 'dev' }), oldObject: namespace('shop', { env: 'prod' }) }).allowed).toBe(true);
  });

  test('a Namespace being deleted is matched on its stored labels', () => {
    const docs = prod({ matchLabels: { env: 'prod' } });
    expect(refused(decide(docs, { operation: 'DELETE', oldObject: namespace('shop', { env: 'prod' }) }))).toBe(true);
    expect(decide(docs, { operation: 'DELETE', oldObject: namespace('dev', { env: 'dev' }) }).allowed).toBe(true);
    // The store is what counts: the stored shop is prod even if the request's oldObject says otherwise.
    expect(refused(decide(docs, { operation: 'DELETE', oldObject: namespace('shop', {}) }))).toBe(true);
    // A Namespace absent from the inventory: its oldObject is the stored object.
    expect(refused(decide(docs, { operation: 'DELETE', oldObject: namespace('gone', { env: 'prod' }) }))).toBe(true);
  });

  test('cluster-scoped objects other than Namespaces are never skipped by a namespaceSelector', () => {
    const docs = refuse({ resourceRules: [rule({ apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles'] })], namespaceSelector: { matchLabels: { env: 'nowhere' } } });
    expect(refused(decide(docs, create(clusterRole('r'))))).toBe(true);
    expect(decide(prod({ matchLabels: { env: 'nowhere' } }), create(pod('p', 'shop'))).allowed).toBe(true);
  });

  test('an unknown namespace with a non-empty selector is a configuration error; an empty selector needs no lookup', () => {
    const docs = prod({ matchLabels: { env: 'prod' } });
    const d = decide(docs, create(pod('p', 'ghost')));
    expect(d.denials.map((x) => x.message)).toEqual(['failed to configure policy: namespaces "ghost" not found']);
    (docs[0] as any).spec.failurePolicy = 'Ignore';
    expect(decide(docs, create(pod('p', 'ghost'))).allowed).toBe(true);
    expect(decide(docs, create(pod('p', 'ghost'))).errors[0].message).toMatch(/namespaces "ghost" not found \(ignored: failurePolicy Ignore\)/);
  });

  test('an invalid selector is a configuration error', () => {
    const d = decide(prod({ matchExpressions: [{ key: 'env', operator: 'Like', values: ['p'] }] }), create(pod('p', 'shop')));
    expect(d.allowed).toBe(false);
    expect(d.denials[0].message).toMatch(/failed to configure policy: namespaceSelector: "Like" is not a valid label selector operator/);
  });
});

describe('matchConstraints.objectSelector (object.Matcher)', () => {
  const docs = refuse({ resourceRules: [rule({ operations: ['*'] })], objectSelector: { matchLabels: { tier: 'front' } } });

  test('the object\'s labels', () => {
    expect(refused(decide(docs, create(pod('p', 'shop', { tier: 'front' }))))).toBe(true);
    expect(decide(docs, create(pod('p', 'shop', { tier: 'back' }))).allowed).toBe(true);
  });

  test('UPDATE: either the new or the old object matching is enough', () => {
    expect(refused(decide(docs, { operation: 'UPDATE', object: pod('p', 'shop', { tier: 'back' }), oldObject: pod('p', 'shop', { tier: 'front' }) }))).toBe(true);
    expect(refused(decide(docs, { operation: 'UPDATE', object: pod('p', 'shop', { tier: 'front' }), oldObject: pod('p', 'shop', {}) }))).toBe(true);
    expect(decide(docs, { operation: 'UPDATE', object: pod('p', 'shop', { tier: 'back' }), oldObject: pod('p', 'shop', {}) }).allowed).toBe(true);
  });

  test('DELETE: the old object\'s labels', () => {
    expect(refused(decide(docs, { operation: 'DELETE', oldObject: pod('p', 'shop', { tier: 'front' }) }))).toBe(true);
    expect(decide(docs, { operation: 'DELETE', oldObject: pod('p', 'shop', {}) }).allowed).toBe(true);
  });
});

describe('binding matchResources: intersected with the policy\'s constraints', () => {
  const policy = vap('p', { matchConstraints: { resourceRules: [rule()] }, validations: [{ expression: 'false', message: 'refused' }] });

  test('a binding without matchResources applies wherever the policy matches, and nowhere else', () => {
    expect(refused(decide([policy, binding('b', 'p')], create(pod('p'))))).toBe(true);
    expect(decide([policy, binding('b', 'p')], create(clusterRole('r'))).allowed).toBe(true);
  });

  test('the binding narrows: both must match', () => {
    const narrowed = binding('b', 'p', { matchResources: { namespaceSelector: { matchLabels: { env: 'dev' } } } });
    expect(refused(decide([policy, narrowed], create(pod('p', 'dev'))))).toBe(true);
    expect(decide([policy, narrowed], create(pod('p', 'shop'))).allowed).toBe(true);
  });

  test('the binding cannot widen: its resourceRules outside the policy\'s match nothing', () => {
    const wider = binding('b', 'p', { matchResources: { resourceRules: [rule({ apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles'] })] } });
    expect(decide([policy, wider], create(clusterRole('r'))).allowed).toBe(true);
    expect(decide([policy, wider], create(pod('p'))).allowed).toBe(true);
  });

  test('bindings of another policy, and policies without binding, do nothing', () => {
    expect(decide([policy, binding('b', 'other')], create(pod('p'))).allowed).toBe(true);
    expect(decide([policy], create(pod('p'))).allowed).toBe(true);
    // A policy with no binding is not even loaded: its configuration errors do not matter.
    expect(decide([vap('broken', { validations: [{ expression: 'false' }] })], create(pod('p'))).allowed).toBe(true);
  });

  test('other kinds of documents are ignored', () => {
    expect(decide([...refuse(), pod('x'), configMap('c', 'shop')], create(configMap('c', 'shop'))).allowed).toBe(true);
  });
});

// ---- Exempt resources ---------------------------------------------------------------------------

describe('exempt resources (generic/plugin.go admissionResources)', () => {
  const everything = refuse({ resourceRules: [{ apiGroups: ['*'], apiVersions: ['*'], resources: ['*'], operations: ['*'] }] });

  test.each(['ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding'])('%s requests are never subject to policies', (kind) => {
    const object = { apiVersion: 'admissionregistration.k8s.io/v1', kind, metadata: { name: 'x' }, spec: {} };
    expect(decide(everything, create(object))).toEqual({ allowed: true, denials: [], warnings: [], audits: [], errors: [] });
    expect(decide(everything, { operation: 'DELETE', oldObject: object }).allowed).toBe(true);
  });

  test('webhook configurations are not exempt from policies (only the webhook plugin exempts them)', () => {
    const object = { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', metadata: { name: 'x' }, webhooks: [] };
    expect(refused(decide(everything, create(object)))).toBe(true);
  });
});

// ---- paramKind / paramRef -----------------------------------------------------------------------

describe('params (generic.CollectParams)', () => {
  const withParams = (paramRef: object | undefined, extra: object = {}) => [
    vap('limits', {
      paramKind: { apiVersion: 'v1', kind: 'ConfigMap' },
      matchConstraints: { resourceRules: [rule({ operations: ['*'] }), rule({ apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles'] })] },
      validations: [{ expression: "params != null && params.data.allowed == 'yes'", messageExpression: "'param ' + (params == null ? 'none' : params.metadata.name)" }],
      ...extra,
    }),
    binding('limits-binding', 'limits', paramRef ? { paramRef } : {}),
  ];
  const withCms = (...params: any[]): ClusterState => ({ ...CLUSTER, params });

  test('name and namespace: that object is the param', () => {
    const docs = withParams({ name: 'cfg', namespace: 'dev', parameterNotFoundAction: 'Deny' });
    expect(decide(docs, create(pod('p')), withCms(configMap('cfg', 'dev', { allowed: 'yes' }))).allowed).toBe(true);
    const d = decide(docs, create(pod('p')), withCms(configMap('cfg', 'dev', { allowed: 'no' })));
    expect(d.denials).toEqual([{ policy: 'limits', binding: 'limits-binding', message: 'param cfg', reason: 'Invalid' }]);
  });

  test('params are matched by apiVersion and kind of paramKind, and by namespace', () => {
    const docs = withParams({ name: 'cfg', namespace: 'dev', parameterNotFoundAction: 'Deny' });
    const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'cfg', namespace: 'dev' }, data: { allowed: 'yes' } };
    expect(decide(docs, create(pod('p')), withCms(secret, configMap('cfg', 'shop', { allowed: 'yes' }))).denials[0].message)
      .toBe('failed to configure binding: no params found for policy binding with `Deny` parameterNotFoundAction');
  });

  test('no namespace in paramRef: the param is looked up in the request\'s namespace; Deny when absent there', () => {
    const docs = withParams({ name: 'cfg', parameterNotFoundAction: 'Deny' });
    const cluster = withCms(configMap('cfg', 'shop', { allowed: 'yes' }));
    expect(decide(docs, create(pod('p', 'shop')), cluster).allowed).toBe(true);
    const d = decide(docs, create(pod('p', 'dev')), cluster);
    expect(d.allowed).toBe(false);
    expect(d.denials).toEqual([{
      policy: 'limits',
      binding: 'limits-binding',
      reason: 'Invalid',
      message: 'failed to configure binding: no params found for policy binding with `Deny` parameterNotFoundAction',
    }]);
    expect(d.message).toBe("ValidatingAdmissionPolicy 'limits' with binding 'limits-binding' denied request: "
      + 'failed to configure binding: no params found for policy binding with `Deny` parameterNotFoundAction');
  });

  test('no namespace in paramRef, namespaced paramKind, cluster-scoped request: a configuration error under failurePolicy', () => {
    const docs = withParams({ name: 'cfg', parameterNotFoundAction: 'Allow' });
    const d = decide(docs, create(clusterRole('r')), withCms(configMap('cfg', 'shop', { allowed: 'yes' })));
    expect(d.denials[0].message).toBe('failed to configure binding: cannot use namespaced paramRef in policy binding that matches cluster-scoped resources');
    expect(decide(withParams({ name: 'cfg', parameterNotFoundAction: 'Allow' }, { failurePolicy: 'Ignore' }), create(clusterRole('r'))).allowed).toBe(true);
  });

  test('a Namespace UPDATE carries its own name as request namespace (params found there); a CREATE has none', () => {
    const docs = [vap('p', {
      paramKind: { apiVersion: 'v1', kind: 'ConfigMap' },
      matchConstraints: { resourceRules: [rule({ resources: ['namespaces'] })] },
      validations: [{ expression: "params.data.allowed == 'yes'" }],
    }), binding('b', 'p', { paramRef: { name: 'cfg', parameterNotFoundAction: 'Deny' } })];
    const cluster = withCms(configMap('cfg', 'shop', { allowed: 'yes' }));
    expect(decide(docs, { operation: 'UPDATE', object: namespace('shop'), oldObject: namespace('shop') }, cluster).allowed).toBe(true);
    expect(decide(docs, create(namespace('shop')), cluster).denials[0].message).toMatch(/cannot use namespaced paramRef/);
  });

  test('parameterNotFoundAction Allow: nothing found, nothing evaluated, the binding passes', () => {
    const docs = withParams({ name: 'cfg', parameterNotFoundAction: 'Allow' });
    expect(decide(docs, create(pod('p')))).toEqual({ allowed: true, denials: [], warnings: [], audits: [], errors: [] });
  });

  test('parameterNotFoundAction Deny: failurePolicy Fail denies, Ignore admits', () => {
    expect(decide(withParams({ name: 'cfg', parameterNotFoundAction: 'Deny' }), create(pod('p'))).allowed).toBe(false);
    const ignored = decide(withParams({ name: 'cfg', parameterNotFoundAction: 'Deny' }, { failurePolicy: 'Ignore' }), create(pod('p')));
    expect(ignored.allowed).toBe(true);
    expect(ignored.errors).toEqual([{ policy: 'limits', binding: 'limits-binding', message: expect.stringMatching(/no params found .* \(ignored: failurePolicy Ignore\)$/) }]);
  });

  test('parameterNotFoundAction Deny denies even a Warn-only binding (configuration errors ignore validationActions)', () => {
    const docs = withParams({ name: 'cfg', parameterNotFoundAction: 'Deny' });
    (docs[1] as any).spec.validationActions = ['Warn'];
    const d = decide(docs, create(pod('p')));
    expect(d.allowed).toBe(false);
    expect(d.warnings).toEqual([]);
  });

  test('a selector selecting two params evaluates the policy twice', () => {
    const docs = withParams({ selector: { matchLabels: { limits: 'true' } }, parameterNotFoundAction: 'Deny' });
    const cluster = withCms(
      configMap('a', 'shop', { allowed: 'no' }, { limits: 'true' }),
      configMap('b', 'shop', { allowed: 'no' }, { limits: 'true' }),
      configMap('c', 'shop', { allowed: 'no' }, { limits: 'false' }),
      configMap('d', 'dev', { allowed: 'no' }, { limits: 'true' }),
    );
    expect(decide(docs, create(pod('p', 'shop')), cluster).denials.map((x) => x.message)).toEqual(['param a', 'param b']);
    // One of the two passing is not enough: each evaluation decides on its own.
    cluster.params[0].data.allowed = 'yes';
    expect(decide(docs, create(pod('p', 'shop')), cluster).denials.map((x) => x.message)).toEqual(['param b']);
    cluster.params[1].data.allowed = 'yes';
    expect(decide(docs, create(pod('p', 'shop')), cluster).allowed).toBe(true);
  });

  test('an empty selector selects every param of the namespace; none selected with Deny is denied', () => {
    const docs = withParams({ selector: {}, parameterNotFoundAction: 'Deny' });
    expect(decide(docs, create(pod('p', 'shop')), withCms(configMap('a', 'shop', { allowed: 'no' }), configMap('b', 'shop'))).denials).toHaveLength(2);
    expect(decide(docs, create(pod('p', 'dev')), withCms(configMap('a', 'shop'))).denials[0].message).toMatch(/no params found/);
  });

  test('paramKind set but no paramRef in the binding: evaluated once with params null', () => {
    const d = decide(withParams(undefined), create(pod('p')));
    expect(d.denials.map((x) => x.message)).toEqual(['param none']);
  });

  test('without paramKind, params is undeclared: reading it is an error', () => {
    const docs = [vap('p', { matchConstraints: { resourceRules: [rule()] }, validations: [{ expression: 'params == null' }] }), binding('b', 'p', { paramRef: { name: 'x' } })];
    const d = decide(docs, create(pod('p')));
    expect(d.allowed).toBe(false);
    expect(d.denials[0].message).toMatch(/undeclared reference to 'params'/);
  });

  test('a paramKind naming no known resource is a policy configuration error', () => {
    const docs = withParams({ name: 'cfg', parameterNotFoundAction: 'Allow' });
    (docs[0] as any).spec.paramKind = { apiVersion: 'example.com/v1', kind: 'Limits' };
    expect(decide(docs, create(pod('p'))).denials).toEqual([{
      policy: 'limits', binding: '', reason: 'Invalid', message: "failed to configure policy: failed to find resource referenced by paramKind: 'example.com/v1, Kind=Limits'",
    }]);
    // ... only for requests the policy matches.
    expect(decide(docs, create(configMap('x', 'shop'))).allowed).toBe(true);
  });

  test('paramRef.namespace with a cluster-scoped paramKind is a configuration error', () => {
    const docs = withParams({ name: 'limits', namespace: 'shop', parameterNotFoundAction: 'Allow' });
    (docs[0] as any).spec.paramKind = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole' };
    expect(decide(docs, create(pod('p'))).denials[0].message).toBe('failed to configure binding: paramRef.namespace must not be provided for a cluster-scoped `paramKind`');
    // A cluster-scoped param is found by name alone.
    const found = withParams({ name: 'limits', parameterNotFoundAction: 'Deny' });
    (found[0] as any).spec.paramKind = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole' };
    (found[0] as any).spec.validations = [{ expression: "params.metadata.name == 'limits'" }];
    expect(decide(found, create(pod('p')), withCms(clusterRole('limits'))).allowed).toBe(true);
  });
});

// ---- matchConditions ----------------------------------------------------------------------------

describe('matchConditions', () => {
  const conditioned = (conditions: { name: string; expression: string }[], extra: object = {}) => [vap('p', {
    matchConstraints: { resourceRules: [rule()] },
    matchConditions: conditions,
    validations: [{ expression: 'false', message: 'refused' }],
    ...extra,
  }), binding('b', 'p')];

  test('all true: the policy is evaluated; one false: it is not', () => {
    const isFront = { name: 'front', expression: "has(object.metadata.labels) && object.metadata.labels['tier'] == 'front'" };
    const isCreate = { name: 'create', expression: "request.operation == 'CREATE'" };
    expect(refused(decide(conditioned([isFront, isCreate]), create(pod('p', 'shop', { tier: 'front' }))))).toBe(true);
    expect(decide(conditioned([isFront, isCreate]), create(pod('p', 'shop', { tier: 'back' }))).allowed).toBe(true);
  });

  test('an error follows failurePolicy: Fail refuses, Ignore admits', () => {
    const broken = { name: 'broken', expression: 'object.spec.missing == 1' };
    const d = decide(conditioned([broken]), create(pod('p')));
    expect(d.allowed).toBe(false);
    expect(d.denials[0].message).toMatch(/^expression 'object.spec.missing == 1' resulted in error: /);
    const ignored = decide(conditioned([broken], { failurePolicy: 'Ignore' }), create(pod('p')));
    expect(ignored.allowed).toBe(true);
    expect(ignored.errors[0].message).toMatch(/\(ignored: failurePolicy Ignore\)$/);
  });

  test('a false condition wins over an error in another', () => {
    expect(decide(conditioned([{ name: 'broken', expression: '1/0 == 1' }, { name: 'no', expression: 'false' }]), create(pod('p'))).allowed).toBe(true);
  });

  test('an error denies under the binding\'s actions: a Warn binding only warns', () => {
    const docs = conditioned([{ name: 'broken', expression: '1/0 == 1' }]);
    (docs[1] as any).spec.validationActions = ['Warn'];
    const d = decide(docs, create(pod('p')));
    expect(d.allowed).toBe(true);
    expect(d.warnings).toHaveLength(1);
  });

  test('conditions read params and variables; namespaceObject is null there; authorizer is unsupported', () => {
    const params = [vap('p', {
      paramKind: { apiVersion: 'v1', kind: 'ConfigMap' },
      matchConstraints: { resourceRules: [rule()] },
      variables: [{ name: 'enforced', expression: "params.data.enforce == 'true'" }],
      matchConditions: [{ name: 'enforced', expression: 'variables.enforced' }, { name: 'no-ns', expression: 'namespaceObject == null' }],
      validations: [{ expression: 'false' }],
    }), binding('b', 'p', { paramRef: { name: 'cfg', namespace: 'shop', parameterNotFoundAction: 'Deny' } })];
    expect(refused(decide(params, create(pod('p')), { ...CLUSTER, params: [configMap('cfg', 'shop', { enforce: 'true' })] }))).toBe(true);
    expect(decide(params, create(pod('p')), { ...CLUSTER, params: [configMap('cfg', 'shop', { enforce: 'false' })] }).allowed).toBe(true);
    const authz = decide(conditioned([{ name: 'authz', expression: "authorizer.group('').resource('pods').check('create').allowed()" }]), create(pod('p')));
    expect(authz.denials[0].message).toMatch(/the authorizer is not supported by the admission simulator/);
  });

  test('a condition that is not a bool is an error', () => {
    expect(decide(conditioned([{ name: 'str', expression: "'yes'" }]), create(pod('p'))).denials[0].message).toMatch(/must evaluate to bool/);
  });
});

// ---- variables ----------------------------------------------------------------------------------

describe('variables', () => {
  const withVariables = (variables: object[], expression: string) => [vap('p', {
    matchConstraints: { resourceRules: [rule()] }, variables, validations: [{ expression, message: 'refused' }],
  }), binding('b', 'p')];

  test('variables.<name> holds the value of its expression; later variables read earlier ones', () => {
    const docs = withVariables([
      { name: 'containers', expression: 'object.spec.containers' },
      { name: 'names', expression: 'variables.containers.map(c, c.name)' },
    ], "variables.names == ['app']");
    expect(decide(docs, create(pod('p'))).allowed).toBe(true);
    expect(refused(decide(docs, create(pod('p', 'shop', {}, { containers: [{ name: 'other', image: 'x' }] }))))).toBe(true);
  });

  test('lazy: a failing variable no expression reads does not matter; one that is read fails the expression', () => {
    const boom = { name: 'boom', expression: '1/0 == 1' };
    expect(decide(withVariables([boom], 'true'), create(pod('p'))).allowed).toBe(true);
    const d = decide(withVariables([boom], 'variables.boom'), create(pod('p')));
    expect(d.allowed).toBe(false);
    expect(d.denials[0].message).toMatch(/variables.boom: .*divide by zero|division by zero/);
  });

  test('a variable cannot read a later one, nor an undeclared one', () => {
    const docs = withVariables([{ name: 'a', expression: 'variables.b' }, { name: 'b', expression: 'true' }], 'variables.a');
    expect(decide(docs, create(pod('p'))).allowed).toBe(false);
    expect(decide(withVariables([], 'variables.nope'), create(pod('p'))).allowed).toBe(false);
    expect(decide(withVariables([{ name: 'a', expression: 'true' }, { name: 'b', expression: 'variables.a' }], 'variables.b'), create(pod('p'))).allowed).toBe(true);
  });
});

// ---- validations and their variables ------------------------------------------------------------

describe('validations: object, oldObject, request, namespaceObject', () => {
  const check = (expression: string, over: object = {}) => [vap('p', {
    matchConstraints: {
      resourceRules: [rule({ operations: ['*'] }), rule({ resources: ['namespaces'], operations: ['*'] }),
        rule({ apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles'] })],
    },
    validations: [{ expression, message: 'refused' }],
    ...over,
  }), binding('b', 'p')];

  test('CREATE: object set, oldObject null', () => {
    expect(decide(check("object.metadata.name == 'p' && oldObject == null"), create(pod('p'))).allowed).toBe(true);
    expect(refused(decide(check('object == null'), create(pod('p'))))).toBe(true);
  });

  test('DELETE: object null, oldObject the stored object', () => {
    const docs = check("object == null && oldObject.metadata.name == 'p' && request.operation == 'DELETE'");
    expect(decide(docs, { operation: 'DELETE', oldObject: pod('p') }).allowed).toBe(true);
    expect(refused(decide(docs, { operation: 'DELETE', oldObject: pod('q') }))).toBe(true);
    // Even if the caller passes an object, DELETE has none.
    expect(decide(docs, { operation: 'DELETE', object: pod('p'), oldObject: pod('p') }).allowed).toBe(true);
  });

  test('UPDATE: both', () => {
    const docs = check("object.metadata.labels.v == '2' && oldObject.metadata.labels.v == '1'");
    expect(decide(docs, { operation: 'UPDATE', object: pod('p', 'shop', { v: '2' }), oldObject: pod('p', 'shop', { v: '1' }) }).allowed).toBe(true);
    expect(refused(decide(docs, { operation: 'UPDATE', object: pod('p', 'shop', { v: '1' }), oldObject: pod('p', 'shop', { v: '2' }) }))).toBe(true);
  });

  test('request: operation, user, name, namespace, subresource, dryRun, uid', () => {
    const docs = check("request.operation == 'UPDATE' && request.userInfo.username == 'bob' && request.userInfo.groups == ['devs'] && "
      + "request.name == 'p' && request.namespace == 'shop' && request.subResource == 'status' && request.requestSubResource == 'status' && "
      + "request.dryRun == true && request.uid == ''", { matchConstraints: { resourceRules: [rule({ resources: ['pods/status'] })] } });
    const req = { operation: 'UPDATE' as const, object: pod('p'), oldObject: pod('p'), subResource: 'status', dryRun: true, userInfo: { username: 'bob', groups: ['devs'] } };
    expect(decide(docs, req).allowed).toBe(true);
    expect(refused(decide(docs, { ...req, dryRun: false }))).toBe(true);
    expect(refused(decide(docs, { ...req, userInfo: { username: 'eve', groups: ['devs'] } }))).toBe(true);
  });

  test('request: the default user is admin in system:authenticated; empty fields are absent', () => {
    const docs = check("request.userInfo.username == 'admin' && request.userInfo.groups == ['system:authenticated'] && "
      + '!has(request.subResource) && !has(request.userInfo.extra) && request.dryRun == false');
    expect(decide(docs, create(pod('p'))).allowed).toBe(true);
    expect(decide(check('!has(request.namespace)'), create(clusterRole('r'))).allowed).toBe(true);
    expect(refused(decide(check('!has(request.namespace)'), create(pod('p'))))).toBe(true);
  });

  test('namespaceObject: the request\'s Namespace (labels, name label included); null for cluster-scoped requests and Namespaces', () => {
    const docs = check("namespaceObject != null && namespaceObject.metadata.labels.env == 'prod' && "
      + "namespaceObject.metadata.labels['kubernetes.io/metadata.name'] == 'shop' && !has(namespaceObject.kind)");
    expect(decide(docs, create(pod('p', 'shop'))).allowed).toBe(true);
    expect(refused(decide(docs, create(pod('p', 'dev'))))).toBe(true);
    expect(decide(check('namespaceObject == null'), create(clusterRole('r'))).allowed).toBe(true);
    expect(decide(check('namespaceObject == null'), { operation: 'UPDATE', object: namespace('shop'), oldObject: namespace('shop') }).allowed).toBe(true);
  });

  test('a namespaced request in a namespace the cluster does not have fails', () => {
    const d = decide(check('true'), create(pod('p', 'ghost')));
    expect(d.allowed).toBe(false);
    expect(d.denials).toEqual([]);
    expect(d.message).toBe('namespaces "ghost" not found');
  });

  test('an object without namespace gets the request\'s (default: default); a different one is a bad request', () => {
    const bare = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: {} };
    expect(decide(check("object.metadata.namespace == 'default' && request.namespace == 'default'"), create(bare)).allowed).toBe(true);
    expect(decide(check("object.metadata.namespace == 'dev'"), create(bare, { namespace: 'dev' })).allowed).toBe(true);
    expect(() => decide(check('true'), create(pod('p', 'shop'), { namespace: 'dev' }))).toThrow(/does not match the namespace sent on the request/);
    // A cluster-scoped object sent with a namespace loses it.
    const stray = { ...clusterRole('r'), metadata: { name: 'r', namespace: 'shop' } };
    expect(decide(check('!has(object.metadata.namespace) && !has(request.namespace)'), create(stray)).allowed).toBe(true);
  });

  test('integers are CEL ints', () => {
    const docs = check('object.spec.replicas == 3', { matchConstraints: { resourceRules: [rule({ apiGroups: ['apps'], resources: ['deployments'] })] } });
    const deployment = (replicas: number) => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'shop' }, spec: { replicas } });
    expect(decide(docs, create(deployment(3))).allowed).toBe(true);
    expect(refused(decide(docs, create(deployment(4))))).toBe(true);
  });
});

// ---- messages -----------------------------------------------------------------------------------

describe('messages and reasons (validator.Validate)', () => {
  const failing = (validation: object) => [vap('p', { matchConstraints: { resourceRules: [rule()] }, validations: [{ expression: 'false', ...validation }] }), binding('b', 'p')];
  const messageOf = (validation: object) => decide(failing(validation), create(pod('p'))).denials[0];

  test('message, trimmed; reason given or Invalid', () => {
    expect(messageOf({ message: '  no pods  ', reason: 'Forbidden' })).toEqual({ policy: 'p', binding: 'b', message: 'no pods', reason: 'Forbidden' });
    expect(messageOf({ message: 'no pods' }).reason).toBe('Invalid');
  });

  test('messageExpression wins over message', () => {
    expect(messageOf({ message: 'static', messageExpression: "'pod ' + object.metadata.name + ' refused'" }).message).toBe('pod p refused');
  });

  test('a failing, non-string, multi-line or blank messageExpression falls back to message', () => {
    expect(messageOf({ message: 'static', messageExpression: 'object.nope' }).message).toBe('static');
    expect(messageOf({ message: 'static', messageExpression: '1' }).message).toBe('static');
    expect(messageOf({ message: 'static', messageExpression: "'a\\nb'" }).message).toBe('static');
    expect(messageOf({ message: 'static', messageExpression: "'  '" }).message).toBe('static');
    expect(messageOf({ message: 'static', messageExpression: "'x'.repeat(10)" }).message).toBe('static');
  });

  test('messageExpression cannot read the authorizer', () => {
    expect(messageOf({ message: 'static', messageExpression: "authorizer.group('').resource('pods').check('get').reason()" }).message).toBe('static');
  });

  test('without message: "failed expression: <expression>"', () => {
    expect(messageOf({}).message).toBe('failed expression: false');
    expect(decide([vap('p', { matchConstraints: { resourceRules: [rule()] }, validations: [{ expression: ' 1 == 2 ' }] }), binding('b', 'p')], create(pod('p'))).denials[0].message)
      .toBe('failed expression: 1 == 2');
  });

  test('the refusal message names the first denial\'s policy and binding', () => {
    expect(decide(failing({ message: 'no' }), create(pod('p'))).message).toBe("ValidatingAdmissionPolicy 'p' with binding 'b' denied request: no");
    expect(decide(failing({ message: 'no' }), create(configMap('c', 'shop'))).message).toBeUndefined();
  });
});

// ---- validationActions and failurePolicy --------------------------------------------------------

describe('validationActions', () => {
  const withActions = (actions: string[], expression = 'false') => [
    vap('p', { matchConstraints: { resourceRules: [rule()] }, validations: [{ expression, message: 'bad pod' }] }),
    binding('b', 'p', { validationActions: actions }),
  ];

  test('Deny refuses', () => {
    const d = decide(withActions(['Deny']), create(pod('p')));
    expect(d).toMatchObject({ allowed: false, denials: [{ message: 'bad pod' }], warnings: [], audits: [] });
  });

  test('Warn admits with a warning; Audit admits with an audit record', () => {
    expect(decide(withActions(['Warn']), create(pod('p')))).toEqual({ allowed: true, denials: [], warnings: [{ policy: 'p', binding: 'b', message: 'bad pod' }], audits: [], errors: [] });
    expect(decide(withActions(['Warn', 'Audit']), create(pod('p')))).toMatchObject({ allowed: true, warnings: [{ message: 'bad pod' }], audits: [{ message: 'bad pod' }] });
    expect(decide(withActions(['Deny', 'Audit']), create(pod('p')))).toMatchObject({ allowed: false, denials: [{ message: 'bad pod' }], audits: [{ message: 'bad pod' }] });
  });

  test('a passing validation produces nothing, whatever the actions', () => {
    expect(decide(withActions(['Deny', 'Warn', 'Audit'], 'true'), create(pod('p')))).toEqual({ allowed: true, denials: [], warnings: [], audits: [], errors: [] });
  });

  test('every failed validation of every binding counts', () => {
    const docs = [
      vap('p', { matchConstraints: { resourceRules: [rule()] }, validations: [{ expression: 'false', message: 'one' }, { expression: 'true' }, { expression: 'false', message: 'two' }] }),
      binding('b1', 'p'), binding('b2', 'p', { validationActions: ['Warn'] }),
    ];
    const d = decide(docs, create(pod('p')));
    expect(d.denials.map((x) => x.message)).toEqual(['one', 'two']);
    expect(d.warnings.map((x) => x.message)).toEqual(['one', 'two']);
  });
});

describe('failurePolicy on evaluation errors', () => {
  const erring = (expression: string, failurePolicy?: string, actions = ['Deny']) => [
    vap('p', { matchConstraints: { resourceRules: [rule()] }, validations: [{ expression, message: 'never shown' }], ...(failurePolicy ? { failurePolicy } : {}) }),
    binding('b', 'p', { validationActions: actions }),
  ];

  test('Fail (the default) refuses on a CEL runtime error, with the error as message', () => {
    const d = decide(erring('object.spec.nope.nested == 1'), create(pod('p')));
    expect(d.allowed).toBe(false);
    expect(d.denials[0].message).toMatch(/^expression 'object.spec.nope.nested == 1' resulted in error: /);
    expect(d.errors[0].message).toMatch(/failurePolicy Fail: handled as a failed validation, actions Deny/);
  });

  test('Ignore admits on a CEL error, and records it', () => {
    const d = decide(erring('object.spec.nope.nested == 1', 'Ignore'), create(pod('p')));
    expect(d.allowed).toBe(true);
    expect(d.denials).toEqual([]);
    expect(d.errors).toEqual([{ policy: 'p', binding: 'b', message: expect.stringMatching(/resulted in error: .*\(ignored: failurePolicy Ignore\)$/) }]);
  });

  test('under Fail, an error follows the binding\'s actions: Warn only warns', () => {
    const d = decide(erring('1/0 == 1', 'Fail', ['Warn']), create(pod('p')));
    expect(d.allowed).toBe(true);
    expect(d.warnings[0].message).toMatch(/resulted in error/);
  });

  test.each([
    ["'not a bool'", /compilation error: must evaluate to bool \(got string\)/],
    ['1 +', /compilation error: /],
    ['undefinedFunction(object)', /resulted in error: /],
    ["quantity('1Gi').isGreaterThan(quantity('1Mi'))", /resulted in error: /],
  ])('%s is an error: refused under Fail, admitted under Ignore', (expression, message) => {
    expect(decide(erring(expression), create(pod('p'))).denials[0].message).toMatch(message);
    expect(decide(erring(expression, 'Ignore'), create(pod('p'))).allowed).toBe(true);
  });

  test('an error in one validation does not hide the others', () => {
    const docs = [vap('p', { matchConstraints: { resourceRules: [rule()] }, failurePolicy: 'Ignore', validations: [{ expression: '1/0 == 1' }, { expression: 'false', message: 'second' }] }), binding('b', 'p')];
    expect(decide(docs, create(pod('p'))).denials.map((x) => x.message)).toEqual(['second']);
  });
});

// ---- The library's own guardrails ---------------------------------------------------------------

describe('the guardrails the library emits, decided against a cluster inventory', () => {
  const IMAGE = `gcr.io/acme/app@sha256:${'a'.repeat(64)}`;
  /** A small realistic app: the mesh baseline, admin roles, one hardened namespace with a service, and the guardrails. */
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
    // The cluster: what the app applies, plus the control-plane namespace the Istio installation created.
    const cluster: ClusterState = {
      namespaces: [...objects.filter((o) => o.kind === 'Namespace'), namespace('istio-system')],
      params: objects.filter((o) => o.kind === 'ConfigMap'),
    };
    return { objects, cluster, simulator: new AdmissionSimulator(objects) };
  }
  const ALICE = { username: 'alice', groups: ['system:authenticated'] };
  /** A Pod as a user would create it from the app's Deployment template. */
  const podFrom = (objects: any[]) => {
    const template = objects.find((o) => o.kind === 'Deployment').spec.template;
    return { apiVersion: 'v1', kind: 'Pod', metadata: { ...template.metadata, name: 'cart-by-hand', namespace: 'shop' }, spec: template.spec };
  };

  test('the app is guarded (policies and bindings are emitted)', () => {
    const { objects } = world();
    expect(objects.filter((o) => o.kind === 'ValidatingAdmissionPolicyBinding').length).toBeGreaterThan(0);
  });

  test('every object the app applies is admitted, without warnings or errors, when applied by a mesh admin', () => {
    const { objects, cluster, simulator } = world();
    const admin = { username: 'gitops', groups: ['mesh-admins', 'system:authenticated'] };
    const outcomes = objects.map((o) => [`${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`, simulator.decide({ operation: 'CREATE', object: o, userInfo: admin }, cluster)] as const);
    expect(outcomes.filter(([, d]) => !d.allowed || d.warnings.length > 0 || d.errors.length > 0)).toEqual([]);
  });

  test('a compliant Pod is admitted; a privileged one is refused by POD-PRIV-001', () => {
    const { objects, cluster, simulator } = world();
    const compliant = podFrom(objects);
    expect(simulator.decide({ operation: 'CREATE', object: compliant, userInfo: ALICE }, cluster)).toMatchObject({ allowed: true, denials: [], errors: [] });
    // Fail closed: without the namespace's exception registry (the policies' param) the same Pod is refused.
    expect(simulator.decide({ operation: 'CREATE', object: compliant, userInfo: ALICE }, { ...cluster, params: [] }).allowed).toBe(false);
    const privileged = JSON.parse(JSON.stringify(compliant));
    privileged.spec.containers[0].securityContext = { ...privileged.spec.containers[0].securityContext, privileged: true };
    const d = simulator.decide({ operation: 'CREATE', object: privileged, userInfo: ALICE }, cluster);
    expect(d.allowed).toBe(false);
    expect(d.denials.map((x) => x.message).join('\n')).toMatch(/POD-PRIV-001/);
  });

  test('a host-network Pod is refused; the same Pod outside the mesh\'s namespaces is not checked', () => {
    const { objects, cluster, simulator } = world();
    const hostNetwork = { ...podFrom(objects), spec: { ...podFrom(objects).spec, hostNetwork: true } };
    expect(simulator.decide({ operation: 'CREATE', object: hostNetwork, userInfo: ALICE }, cluster).allowed).toBe(false);
    const elsewhere = { ...hostNetwork, metadata: { ...hostNetwork.metadata, namespace: 'batch' } };
    expect(simulator.decide({ operation: 'CREATE', object: elsewhere, userInfo: ALICE }, { ...cluster, namespaces: [...cluster.namespaces, namespace('batch')] }).allowed).toBe(true);
  });
});
