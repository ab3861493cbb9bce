import { admitsExpression } from '../../../src/policy/admission-cel';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import { SECRET_K8S_001 } from '../../../src/policy/rules/secret-k8s-001';

const ns = (name: string, sensitive: boolean) => ({
  apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: sensitive ? { 'secure-mesh.cdk8s.io/sensitive-data': 'true' } : {} },
});
const deployment = (namespace: string, podSpec: object) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'ledger', namespace },
  spec: { selector: {}, template: { metadata: {}, spec: { containers: [{ name: 'app', image: 'x' }], ...podSpec } } },
});

describe('SECRET-K8S-001 (SECRET-1)', () => {
  const run = (objects: any[]) => SECRET_K8S_001.checkAll!(ruleContext(objects));

  test('a CSI secret-store mount in a sensitive namespace is fine; check() alone never fires', () => {
    const csi = deployment('vault', { volumes: [{ name: 's', csi: { driver: 'secrets-store.csi.k8s.io', volumeAttributes: { secretProviderClass: 'db' } } }] });
    expect(run([ns('vault', true), csi])).toEqual([]);
    expect(SECRET_K8S_001.check(csi as any, ruleContext([]))).toEqual([]);
  });

  test('secret volumes, projected secrets, secretKeyRef and secretRef are violations in sensitive namespaces', () => {
    const bad = deployment('vault', {
      volumes: [{ name: 'creds', secret: { secretName: 'db' } }, { name: 'p', projected: { sources: [{ secret: { name: 'tls' } }] } }],
      containers: [{ name: 'app', image: 'x', env: [{ name: 'PW', valueFrom: { secretKeyRef: { name: 'db', key: 'pw' } } }], envFrom: [{ secretRef: { name: 'all' } }] }],
    });
    const found = run([ns('vault', true), bad]);
    expect(found.map((f) => f.violation.path)).toEqual([
      'spec.template.spec.volumes[0].secret',
      'spec.template.spec.volumes[1].projected.sources[0].secret',
      'spec.template.spec.containers[0].env[0].valueFrom.secretKeyRef',
      'spec.template.spec.containers[0].envFrom[0].secretRef',
    ]);
    expect(found[0].violation.message).toBe('volume "creds" mounts Kubernetes Secret "db"');
    expect(found.every((f) => f.object === bad)).toBe(true);
  });

  test('other namespaces are not concerned', () => {
    expect(run([ns('shop', false), deployment('shop', { volumes: [{ name: 'c', secret: { secretName: 'db' } }] })])).toEqual([]);
    expect(run([deployment('unknown', { volumes: [{ name: 'c', secret: { secretName: 'db' } }] })])).toEqual([]);
  });

  test('odd shapes do not throw', () => {
    expect(run([ns('vault', true), deployment('vault', { volumes: 'x', containers: [null, { name: 'a', env: 'x', envFrom: [null] }] })])).toEqual([]);
  });

  describe('admission: the namespace decides, read from namespaceObject', () => {
    const SECRET_SPECS: object[] = [
      { volumes: [{ name: 'creds', secret: { secretName: 'db' } }] },
      { volumes: [{ name: 'p', projected: { sources: [{ serviceAccountToken: { path: 't' } }, { secret: { name: 'tls' } }] } }] },
      { containers: [{ name: 'app', image: 'x', env: [{ name: 'PW', valueFrom: { secretKeyRef: { name: 'db', key: 'pw' } } }] }] },
      { initContainers: [{ name: 'init', image: 'x', envFrom: [{ secretRef: { name: 'all' } }] }], containers: [{ name: 'app', image: 'x' }] },
    ];
    const CLEAN_SPECS: object[] = [
      { volumes: [{ name: 's', csi: { driver: 'secrets-store.csi.k8s.io' } }, { name: 'p', projected: { sources: [{ configMap: { name: 'c' } }] } }] },
      { containers: [{ name: 'app', image: 'x', env: [{ name: 'A', value: 'b' }, { name: 'C', valueFrom: { configMapKeyRef: { name: 'c', key: 'k' } } }], envFrom: [{ configMapRef: { name: 'c' } }] }] },
    ];
    const admits = (o: any, namespace: any) => admitsExpression(SECRET_K8S_001.admission!.expression, o, null, { namespaceObject: namespace });

    test.each(SECRET_SPECS.map((s, i) => [i, s] as const))('secret reference %d: refused in a sensitive namespace, admitted elsewhere; check agrees', (_i, spec) => {
      const o = deployment('vault', spec);
      expect(admits(o, ns('vault', true))).toBe(false);
      expect(admits(o, ns('vault', false))).toBe(true);
      expect(admits(o, null)).toBe(true);
      expect(run([ns('vault', true), o]).length).toBeGreaterThan(0);
      const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'vault' }, spec: (o as any).spec.template.spec };
      expect(admits(pod, ns('vault', true))).toBe(false);
    });

    test.each(CLEAN_SPECS.map((s, i) => [i, s] as const))('clean spec %d: admitted in a sensitive namespace; check agrees', (_i, spec) => {
      const o = deployment('vault', spec);
      expect(admits(o, ns('vault', true))).toBe(true);
      expect(run([ns('vault', true), o])).toEqual([]);
    });

    test('other kinds are admitted', () => {
      expect(admits({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'vault' }, data: { a: 'b' } }, ns('vault', true))).toBe(true);
    });
  });
});
