import { lookupCoreKind } from '../../src/validation/core-catalog';

describe('lookupCoreKind (Kubernetes OpenAPI schemas from kubernetes-models)', () => {
  test('finds built-in kinds by apiVersion and kind, with their scope', () => {
    expect(lookupCoreKind('apps/v1', 'Deployment')).toMatchObject({ group: 'apps', version: 'v1', namespaced: true });
    expect(lookupCoreKind('v1', 'Namespace')).toMatchObject({ group: '', version: 'v1', namespaced: false });
    expect(lookupCoreKind('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding')?.namespaced).toBe(false);
    expect(lookupCoreKind('admissionregistration.k8s.io/v1', 'ValidatingAdmissionPolicyBinding')?.namespaced).toBe(false);
    expect(lookupCoreKind('networking.k8s.io/v1', 'NetworkPolicy')?.namespaced).toBe(true);
  });

  test('unknown kinds, removed versions and odd input are not found', () => {
    expect(lookupCoreKind('apps/v1', 'Deploymint')).toBeUndefined();
    expect(lookupCoreKind('extensions/v1', 'Deployment')).toBeUndefined();
    expect(lookupCoreKind('../../x', 'Y')).toBeUndefined();
    expect(lookupCoreKind('v1', 'lowercase')).toBeUndefined();
  });

  test('validates against the OpenAPI schema', () => {
    const deployment = lookupCoreKind('apps/v1', 'Deployment')!;
    const ok = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'a' },
      spec: { selector: { matchLabels: { app: 'a' } }, template: { metadata: { labels: { app: 'a' } }, spec: { containers: [{ name: 'a', image: 'x' }] } } },
    };
    expect(deployment.validate(ok)).toEqual([]);
    const bad = { ...ok, spec: { ...ok.spec, replicas: 'two' } };
    expect(deployment.validate(bad)).toEqual([expect.objectContaining({ instancePath: '/spec/replicas', keyword: 'type' })]);
    const missing = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'a' }, spec: { template: {} } };
    expect(deployment.validate(missing)).toEqual([expect.objectContaining({ keyword: 'required', params: { missingProperty: 'selector' } })]);
  });
});
