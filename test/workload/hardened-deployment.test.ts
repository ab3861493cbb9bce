import { Chart, Size, Testing } from 'cdk8s';
import { Validation } from '../../src';
import { HardenedDeploymentSpec, hardenedDeployment, podDisruptionBudget } from '../../src/workload/hardened-deployment';
import { findObject } from '../helpers';

const IMAGE = `gcr.io/acme/app@sha256:${'a'.repeat(64)}`;

function render(overrides: Partial<HardenedDeploymentSpec> = {}): any {
  const chart = new Chart(Testing.app(), 'c');
  hardenedDeployment(chart, 'Deployment', {
    name: 'cart',
    namespace: 'shop',
    replicas: 2,
    podLabels: { app: 'cart', version: 'v1' },
    serviceAccountName: 'cart-sa',
    automountServiceAccountToken: false,
    image: IMAGE,
    containerPorts: [{ name: 'http', containerPort: 8080 }],
    podAnnotations: {},
    ...overrides,
  });
  const objects = chart.toJson();
  Validation.assertValid(objects);
  return findObject(objects, 'Deployment', 'cart', 'shop');
}

describe('hardenedDeployment', () => {
  test('shape', () => {
    expect(render()).toMatchSnapshot();
  });

  test('POD-1: non-root, read-only root, no escalation, ALL dropped, RuntimeDefault seccomp, no host network, no token', () => {
    const pod = render().spec.template.spec;
    const sc = pod.containers[0].securityContext;
    expect(sc).toEqual({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, privileged: false, readOnlyRootFilesystem: true, runAsNonRoot: true });
    expect(sc.capabilities.add).toBeUndefined();
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.hostNetwork).toBe(false);
    expect(pod.hostPID).toBeUndefined();
    expect(pod.hostIPC).toBeUndefined();
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.serviceAccountName).toBe('cart-sa');
  });

  test('selects its pods by app only; the template carries every pod label', () => {
    const d = render();
    expect(d.spec.selector).toEqual({ matchLabels: { app: 'cart' } });
    expect(d.spec.template.metadata.labels).toEqual({ app: 'cart', version: 'v1' });
  });

  test('pod annotations are read at synthesis; none means no annotations field', () => {
    expect(render().spec.template.metadata.annotations).toBeUndefined();
    const podAnnotations: { [k: string]: string } = {};
    const chart = new Chart(Testing.app(), 'c');
    hardenedDeployment(chart, 'D', {
      name: 'cart',
      namespace: 'shop',
      replicas: 1,
      podLabels: { app: 'cart' },
      serviceAccountName: 'cart',
      automountServiceAccountToken: false,
      image: IMAGE,
      containerPorts: [{ name: 'http', containerPort: 80 }],
      podAnnotations,
    });
    podAnnotations['traffic.sidecar.istio.io/excludeInboundPorts'] = '9090';
    expect(chart.toJson()[0].spec.template.metadata.annotations).toEqual({ 'traffic.sidecar.istio.io/excludeInboundPorts': '9090' });
  });

  test('env sorted by name; args and ports as given', () => {
    const c = render({ env: { B: '2', A: '1' }, args: ['--x'], containerPorts: [{ name: 'http', containerPort: 8080 }, { name: 'grpc', containerPort: 90 }] }).spec.template.spec.containers[0];
    expect(c.env).toEqual([{ name: 'A', value: '1' }, { name: 'B', value: '2' }]);
    expect(c.args).toEqual(['--x']);
    expect(c.ports).toEqual([{ containerPort: 8080, name: 'http' }, { containerPort: 90, name: 'grpc' }]);
    expect(render().spec.template.spec.containers[0].env).toBeUndefined();
  });

  test('a secret store is a read-only CSI volume, mounted read-only (SECRET-1); no Secret reference', () => {
    const pod = render({ secretStore: { secretProviderClass: 'cart-secrets', mountPath: '/mnt/secrets' } }).spec.template.spec;
    expect(pod.volumes).toEqual([{ name: 'secret-store', csi: { driver: 'secrets-store.csi.k8s.io', readOnly: true, volumeAttributes: { secretProviderClass: 'cart-secrets' } } }]);
    expect(pod.containers[0].volumeMounts).toEqual([{ mountPath: '/mnt/secrets', name: 'secret-store', readOnly: true }]);
    expect(JSON.stringify(pod)).not.toMatch(/secretKeyRef|secretName/);
  });
});

describe('production pod settings', () => {
  test('imagePullPolicy: IfNotPresent for a digest, Always for a tag', () => {
    expect(render().spec.template.spec.containers[0].imagePullPolicy).toBe('IfNotPresent');
    expect(render({ image: 'gcr.io/acme/app:1.4' }).spec.template.spec.containers[0].imagePullPolicy).toBe('Always');
  });

  test('topology spread only with more than one replica', () => {
    expect(render().spec.template.spec.topologySpreadConstraints.map((c: any) => [c.topologyKey, c.whenUnsatisfiable, c.labelSelector])).toEqual([
      ['topology.kubernetes.io/zone', 'ScheduleAnyway', { matchLabels: { app: 'cart' } }],
      ['kubernetes.io/hostname', 'ScheduleAnyway', { matchLabels: { app: 'cart' } }],
    ]);
    expect(render({ replicas: 1 }).spec.template.spec.topologySpreadConstraints).toBeUndefined();
  });

  test('probes, user and groups, writable emptyDirs as given', () => {
    const probe = { httpGet: { path: '/ready', port: 8080, scheme: 'HTTP' }, periodSeconds: 10 };
    const pod = render({ readinessProbe: probe, runAsUser: 10001, runAsGroup: 10001, fsGroup: 10001, writablePaths: ['/tmp'], writablePathSizeLimit: Size.mebibytes(64) })
      .spec.template.spec;
    expect(pod.containers[0].readinessProbe).toEqual(probe);
    expect(pod.securityContext).toMatchObject({ runAsUser: 10001, runAsGroup: 10001, fsGroup: 10001, runAsNonRoot: true });
    expect(pod.volumes).toEqual([{ name: 'writable-0', emptyDir: { sizeLimit: '64Mi' } }]);
    expect(pod.containers[0].volumeMounts).toEqual([{ mountPath: '/tmp', name: 'writable-0' }]);
  });
});

describe('podDisruptionBudget', () => {
  test('policy/v1, maxUnavailable 1, selecting app, AlwaysAllow for unhealthy pods; valid', () => {
    const chart = new Chart(Testing.app(), 'c');
    podDisruptionBudget(chart, 'PDB', 'cart', 'shop', 'cart');
    const objects = chart.toJson();
    Validation.assertValid(objects);
    expect(objects).toEqual([{
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'cart', namespace: 'shop' },
      spec: { maxUnavailable: 1, selector: { matchLabels: { app: 'cart' } }, unhealthyPodEvictionPolicy: 'AlwaysAllow' },
    }]);
  });
});
