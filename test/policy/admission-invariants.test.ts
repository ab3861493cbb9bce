import { admitsExpression } from '../../src/policy/admission-cel';
import { InvariantSettings, invariantPolicies } from '../../src/policy/admission-invariants';

const SETTINGS: InvariantSettings = {
  rootNamespace: 'mesh-root',
  controlPlaneNamespace: 'istio-cp',
  meshWidePeerAuthentications: ['mesh-strict'],
  allowNothingPolicies: ['deny-by-default'],
  excludedNamespaces: ['kube-system'],
  meshAdminGroups: ['mesh-admins'],
  registryWriters: [],
};
const byName = (s: InvariantSettings = SETTINGS) => Object.fromEntries(invariantPolicies(s).map((p) => [p.name, p]));
const inRoot = (kind: string, name: string, spec: object) => ({ apiVersion: 'security.istio.io/v1', kind, metadata: { name, namespace: 'mesh-root' }, spec });
const del = (old: object) => ({ oldObject: old, request: { operation: 'DELETE', namespace: 'mesh-root', userInfo: { username: 'alice', groups: [] } } });

describe('admission invariants', () => {
  test('five invariants: the first four read the registry of the root (or control-plane) namespace, the registry guard none', () => {
    const p = byName();
    expect(Object.keys(p)).toEqual(['secure-mesh-mesh-mtls-001', 'secure-mesh-mesh-authz-001', 'secure-mesh-mesh-inj-002', 'secure-mesh-ns-sens-001', 'secure-mesh-exception-registries']);
    expect(p['secure-mesh-ns-sens-001'].registryNamespace).toBe('istio-cp');
    expect(p['secure-mesh-mesh-mtls-001'].registryNamespace).toBe('mesh-root');
    expect(p['secure-mesh-mesh-mtls-001'].namespaceSelector).toEqual({ matchLabels: { 'kubernetes.io/metadata.name': 'mesh-root' } });
    expect(p['secure-mesh-mesh-inj-002'].registryNamespace).toBe('istio-cp');
    expect(p['secure-mesh-exception-registries'].registryNamespace).toBeUndefined();
    for (const name of ['secure-mesh-mesh-mtls-001', 'secure-mesh-mesh-authz-001', 'secure-mesh-exception-registries']) {
      expect(p[name].resourceRules[0].operations).toEqual(['CREATE', 'UPDATE', 'DELETE']);
    }
  });

  test('the app\'s own names are protected (custom names), and Istio\'s defaults when the app writes none', () => {
    const e = byName()['secure-mesh-mesh-mtls-001'].expression;
    expect(admitsExpression(e, null, null, del(inRoot('PeerAuthentication', 'mesh-strict', {})))).toBe(false);
    expect(admitsExpression(e, null, null, del(inRoot('PeerAuthentication', 'default', {})))).toBe(true);
    const defaults = byName({ ...SETTINGS, meshWidePeerAuthentications: [], allowNothingPolicies: [] });
    expect(admitsExpression(defaults['secure-mesh-mesh-mtls-001'].expression, null, null, del(inRoot('PeerAuthentication', 'default', {})))).toBe(false);
    expect(admitsExpression(defaults['secure-mesh-mesh-authz-001'].expression, null, null, del(inRoot('AuthorizationPolicy', 'allow-nothing', {})))).toBe(false);
    expect(byName()['secure-mesh-mesh-authz-001'].message).toContain('deny-by-default in mesh-root');
  });

  test('NS-SENS-001: a sensitive-data namespace keeps its label unless excepted', () => {
    const e = byName()['secure-mesh-ns-sens-001'].expression;
    const ns = (labels: { [key: string]: string }) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'vault', labels } });
    const update = (old: object) => ({ oldObject: old, request: { operation: 'UPDATE', userInfo: { username: 'alice', groups: [] } } });
    const sensitive = { 'istio-injection': 'enabled', 'secure-mesh.cdk8s.io/sensitive-data': 'true' };
    expect(admitsExpression(e, ns({ 'istio-injection': 'enabled' }), null, update(ns(sensitive)))).toBe(false);
    expect(admitsExpression(e, ns({ ...sensitive, 'secure-mesh.cdk8s.io/sensitive-data': 'false' }), null, update(ns(sensitive)))).toBe(false);
    expect(admitsExpression(e, ns({ ...sensitive, team: 'vault' }), null, update(ns(sensitive)))).toBe(true);
    expect(admitsExpression(e, ns(sensitive), null, update(ns({ 'istio-injection': 'enabled' })))).toBe(true);
    expect(admitsExpression(e, ns({}), { data: { 'Namespace.vault': 'NS-SENS-001@2027-01-01' } }, update(ns(sensitive)))).toBe(true);
  });

  describe('MESH-INJ-002: a namespace of the mesh stays in it, sidecar or ambient', () => {
    const e = () => byName()['secure-mesh-mesh-inj-002'].expression;
    const ns = (labels: { [key: string]: string }, name = 'mall') => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
    const update = (old: object) => ({ oldObject: old, request: { operation: 'UPDATE', namespace: 'mall', userInfo: { username: 'alice', groups: [] } } });
    const AMBIENT = { 'istio.io/dataplane-mode': 'ambient' };
    const admitted = (before: { [key: string]: string }, after: { [key: string]: string }, params: object | null = null) =>
      admitsExpression(e(), ns(after), params, update(ns(before)));

    test.each([
      ['removing the ambient label', AMBIENT, {}],
      ['ambient to none', AMBIENT, { 'istio.io/dataplane-mode': 'none' }],
      ['ambient to another value', AMBIENT, { 'istio.io/dataplane-mode': 'Ambient' }],
      ['ambient to an injection label that injects nothing', AMBIENT, { 'istio-injection': 'disabled' }],
      ['removing the injection label', { 'istio-injection': 'enabled' }, {}],
      ['sidecar to dataplane-mode none', { 'istio-injection': 'enabled' }, { 'istio.io/dataplane-mode': 'none' }],
    ])('refused: %s', (_name, before, after) => {
      expect(admitted(before, after)).toBe(false);
    });

    test.each([
      ['ambient kept, other labels changed', AMBIENT, { ...AMBIENT, team: 'web' }],
      ['ambient to sidecar (the injection label in place of the ambient one)', AMBIENT, { 'istio-injection': 'enabled' }],
      ['ambient to a revision', AMBIENT, { 'istio.io/rev': 'canary' }],
      ['sidecar to ambient', { 'istio-injection': 'enabled' }, AMBIENT],
      ['ambient with a disabled injection label kept', { ...AMBIENT, 'istio-injection': 'disabled' }, { ...AMBIENT, 'istio-injection': 'disabled', 'team': 'web' }],
      ['a namespace outside the mesh joining ambient', {}, AMBIENT],
      ['a namespace outside the mesh staying outside', { 'istio.io/dataplane-mode': 'none' }, {}],
    ])('admitted: %s', (_name, before, after) => {
      expect(admitted(before, after)).toBe(true);
    });

    test('leaving ambient takes an exception (from the registry bound as params); an excluded namespace is not guarded', () => {
      expect(admitted(AMBIENT, {}, { data: { 'Namespace.mall': 'MESH-INJ-002@2030-01-01' } })).toBe(true);
      expect(admitsExpression(e(), ns({}, 'kube-system'), null, update(ns(AMBIENT, 'kube-system')))).toBe(true);
    });

    test('the message names both data planes', () => {
      expect(byName()['secure-mesh-mesh-inj-002'].message).toMatch(/istio-injection: enabled \(or istio.io\/rev\), or istio.io\/dataplane-mode: ambient/);
    });
  });

  test('a targetRef makes a PeerAuthentication or policy not mesh-wide', () => {
    const e = byName()['secure-mesh-mesh-mtls-001'].expression;
    expect(admitsExpression(e, inRoot('PeerAuthentication', 'gw', { targetRefs: [{ kind: 'Gateway', name: 'gw' }], mtls: { mode: 'PERMISSIVE' } }))).toBe(true);
    expect(admitsExpression(e, inRoot('PeerAuthentication', 'gw', { mtls: { mode: 'PERMISSIVE' } }))).toBe(false);
    expect(admitsExpression(e, inRoot('PeerAuthentication', 'gw', { mtls: { mode: 'STRICT' }, portLevelMtls: { 8080: { mode: 'PERMISSIVE' } } }))).toBe(false);
  });

  test('registry writers: nobody without groups and writers; the GitOps identity of the namespace with {namespace}', () => {
    const none = byName({ ...SETTINGS, meshAdminGroups: [] })['secure-mesh-exception-registries'].expression;
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'secure-mesh-exceptions', namespace: 'shop' } };
    expect(admitsExpression(none, cm, null, { request: { operation: 'CREATE', namespace: 'shop', userInfo: { username: 'root', groups: ['system:masters'] } } })).toBe(false);
    const argo = byName({ ...SETTINGS, registryWriters: ['system:serviceaccount:argocd:argocd-application-controller'] })['secure-mesh-exception-registries'].expression;
    expect(admitsExpression(argo, cm, null, { request: { operation: 'UPDATE', namespace: 'shop', userInfo: { username: 'system:serviceaccount:argocd:argocd-application-controller', groups: [] } } })).toBe(true);
  });
});
