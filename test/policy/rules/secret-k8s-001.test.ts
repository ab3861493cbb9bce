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
});
