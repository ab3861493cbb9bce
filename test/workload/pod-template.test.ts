import { Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { HardenedPodSpec, hardenedPodTemplate, resourceRequirements } from '../../src/workload/pod-template';

const IMAGE = `gcr.io/acme/app@sha256:${'a'.repeat(64)}`;

function template(overrides: Partial<HardenedPodSpec> = {}): any {
  return JSON.parse(JSON.stringify(hardenedPodTemplate({
    name: 'db',
    podLabels: { app: 'db' },
    serviceAccountName: 'db',
    automountServiceAccountToken: false,
    image: IMAGE,
    containerPorts: [{ name: 'tcp-db', containerPort: 5432 }],
    podAnnotations: {},
    ...overrides,
  }), (_k, v) => (v && typeof v === 'object' && typeof v.resolve === 'function' ? v.resolve() : v)));
}

describe('hardenedPodTemplate', () => {
  test('restartPolicy Always unless a Job asks for Never or OnFailure', () => {
    expect(template().spec.restartPolicy).toBe('Always');
    expect(template({ restartPolicy: 'Never' }).spec.restartPolicy).toBe('Never');
    expect(template({ restartPolicy: 'OnFailure' }).spec.restartPolicy).toBe('OnFailure');
  });

  test('spread only when asked (more than one replica)', () => {
    expect(template().spec.topologySpreadConstraints).toBeUndefined();
    expect(template({ spread: true }).spec.topologySpreadConstraints.map((c: any) => c.topologyKey)).toEqual(['topology.kubernetes.io/zone', 'kubernetes.io/hostname']);
  });

  test('persistent volumes are mounted read-write beside the read-only root filesystem; no pod volume (the claim template provides it)', () => {
    const t = template({ persistentMounts: [{ name: 'data', mountPath: '/var/lib/db' }], writablePaths: ['/tmp'] });
    expect(t.spec.containers[0].volumeMounts).toEqual([{ mountPath: '/tmp', name: 'writable-0' }, { mountPath: '/var/lib/db', name: 'data' }]);
    expect(t.spec.volumes).toEqual([{ name: 'writable-0', emptyDir: {} }]);
    expect(t.spec.containers[0].securityContext.readOnlyRootFilesystem).toBe(true);
  });
});

describe('resourceRequirements', () => {
  test('the defaults: requests cpu 100m, memory 128Mi; memory limit 256Mi; no CPU limit', () => {
    expect(template().spec.containers[0].resources).toEqual({ limits: { memory: '256Mi' }, requests: { cpu: '100m', memory: '128Mi' } });
  });

  test('quantities the way cdk8s-plus writes them; only what is given', () => {
    expect(resourceRequirements({
      cpu: { request: kplus.Cpu.units(2) },
      memory: { limit: Size.gibibytes(1) },
      ephemeralStorage: { request: Size.gibibytes(2), limit: Size.gibibytes(4) },
    })).toEqual({ limits: { 'memory': '1024Mi', 'ephemeral-storage': '4Gi' }, requests: { 'cpu': '2', 'ephemeral-storage': '2Gi' } });
    expect(resourceRequirements({ cpu: { limit: kplus.Cpu.millis(250) } })).toEqual({ limits: { cpu: '250m' }, requests: undefined });
    expect(resourceRequirements({})).toBeUndefined();
  });
});
