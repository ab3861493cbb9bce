import { applyDefaultNamespace, isNamespaced, withoutNamespace } from '../../src/audit/default-namespace';
import { LoadedManifest } from '../../src/audit/manifest-loader';
import { RuleObject } from '../../src/policy/rule';

const at = (object: RuleObject, line = 1): LoadedManifest => ({ object, file: 'k.yaml', line, documentIndex: 0 });
const PA: RuleObject = { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'default' }, spec: { mtls: { mode: 'STRICT' } } };
const PLACED: RuleObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'other' } };
const CLUSTER: RuleObject[] = [
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'b' } },
  { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicy', metadata: { name: 'p' } },
];

describe('a default namespace for kustomize-style objects (audit --namespace)', () => {
  test('cluster-scoped kinds are known; every other kind (custom resources too) is namespaced', () => {
    for (const o of CLUSTER) expect([o.kind, isNamespaced(o)]).toEqual([o.kind, false]);
    expect(isNamespaced(PA)).toBe(true);
    expect(isNamespaced({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout' })).toBe(true);
    // A Role is namespaced even though ClusterRole is not; the group counts too.
    expect(isNamespaced({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role' })).toBe(true);
    expect(isNamespaced({ apiVersion: 'example.com/v1', kind: 'Namespace' })).toBe(true);
  });

  test('withoutNamespace lists the namespaced objects that name none', () => {
    const manifests = [at(PA), at(PLACED), ...CLUSTER.map((o) => at(o)), at({ ...PA, metadata: undefined } as any)];
    expect(withoutNamespace(manifests).map((m) => m.object.kind)).toEqual(['PeerAuthentication', 'PeerAuthentication']);
  });

  test('applyDefaultNamespace places them, copies instead of mutating, and keeps file and line', () => {
    const manifests = [at(PA, 7), at(PLACED), ...CLUSTER.map((o) => at(o))];
    const placed = applyDefaultNamespace(manifests, 'istio-system');
    expect(placed.map((m) => m.object.metadata?.namespace)).toEqual(['istio-system', 'other', undefined, undefined, undefined]);
    expect(placed[0]).toMatchObject({ file: 'k.yaml', line: 7 });
    expect(PA.metadata?.namespace).toBeUndefined();
    expect(placed[1]).toBe(manifests[1]);
  });
});
