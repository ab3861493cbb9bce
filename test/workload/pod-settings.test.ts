import { Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { AppProtocol } from '../../src/mesh/app-protocol';
import { MeshBaseline } from '../../src/mesh/mesh-baseline';
import { admits } from '../../src/policy/admission-cel';
import { PolicyException } from '../../src/policy/policy-exception';
import { ALL_RULES } from '../../src/policy/rule-pack';
import { ruleContext } from '../../src/policy/rule-test-kit';
import { HardenedNamespace } from '../../src/workload/hardened-namespace';
import { HealthProbeType } from '../../src/workload/pod-settings';
import { SecureService, SecureServiceProps } from '../../src/workload/secure-service';
import { findObject, inDays, ofKind, synthValidated } from '../helpers';

const IMAGE = `gcr.io/acme/app@sha256:${'a'.repeat(64)}`;
const PORTS = [
  { name: 'http', port: 80, targetPort: 8080, protocol: AppProtocol.HTTP },
  { name: 'grpc', port: 9090, protocol: AppProtocol.GRPC },
];

function world() {
  const chart = Testing.chart();
  new MeshBaseline(chart, 'mesh');
  const ns = new HardenedNamespace(chart, 'shop', { name: 'shop' });
  const svc = (id: string, props: Partial<SecureServiceProps> = {}) =>
    new SecureService(chart, id, { namespace: ns, image: IMAGE, ports: PORTS, ...props });
  return { chart, ns, svc };
}

function deploymentOf(props: Partial<SecureServiceProps>): { objects: any[]; deployment: any; pod: any; container: any } {
  const { chart, svc } = world();
  svc('cart', props);
  const objects = synthValidated(chart);
  const deployment = findObject(objects, 'Deployment', 'cart', 'shop');
  return { objects, deployment, pod: deployment.spec.template.spec, container: deployment.spec.template.spec.containers[0] };
}

/** Every setting at once, to check the library's own output against every rule. */
const EVERYTHING: Partial<SecureServiceProps> = {
  replicas: 3,
  healthPorts: [8081],
  readinessProbe: { port: 8081, path: '/ready' },
  livenessProbe: { port: 9090, type: HealthProbeType.GRPC },
  startupProbe: { port: 8080, type: HealthProbeType.TCP },
  runAsUser: 10001,
  runAsGroup: 10001,
  fsGroup: 10001,
  writablePaths: ['/tmp', '/var/cache/app'],
  writablePathSizeLimit: Size.mebibytes(64),
  secretStore: { secretProviderClass: 'cart-secrets', mountPath: '/mnt/secrets' },
};

describe('SecureService production pod settings (POD-1, restricted profile)', () => {
  describe('defaults', () => {
    test('no probes, no user or groups (the image\'s), no writable volume: the root filesystem alone, read-only', () => {
      const { pod, container } = deploymentOf({});
      expect(container.readinessProbe).toBeUndefined();
      expect(container.livenessProbe).toBeUndefined();
      expect(container.startupProbe).toBeUndefined();
      expect(pod.securityContext).toEqual({ fsGroupChangePolicy: 'Always', runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      expect(pod.volumes).toBeUndefined();
      expect(container.volumeMounts).toBeUndefined();
      expect(container.securityContext.readOnlyRootFilesystem).toBe(true);
    });

    test('resources: requests cpu 100m and memory 128Mi, memory limit 256Mi, no CPU limit', () => {
      expect(deploymentOf({}).container.resources).toEqual({ limits: { memory: '256Mi' }, requests: { cpu: '100m', memory: '128Mi' } });
    });

    test('resources stay overridable', () => {
      const { container } = deploymentOf({
        resources: {
          cpu: { request: kplus.Cpu.units(2), limit: kplus.Cpu.units(4) },
          memory: { request: Size.gibibytes(1), limit: Size.gibibytes(1) },
        },
      });
      expect(container.resources).toEqual({ limits: { cpu: '4', memory: '1024Mi' }, requests: { cpu: '2', memory: '1024Mi' } });
    });

    test('a digest-pinned image is pulled IfNotPresent', () => {
      expect(deploymentOf({}).container.imagePullPolicy).toBe('IfNotPresent');
    });

    test('a tag-only image (admitted by imageException) is still pulled Always: the tag can move', () => {
      const { chart, svc } = world();
      const ex = new PolicyException(chart, 'legacy-image', {
        rules: ['IMG-DIGEST-001'], justification: 'vendor image without digest until Q3', owner: 'team-data', expires: inDays(chart, 60), objects: ['Deployment/shop/legacy'],
      });
      svc('legacy', { image: 'gcr.io/acme/legacy:1.4', imageException: ex });
      expect(findObject(synthValidated(chart), 'Deployment', 'legacy', 'shop').spec.template.spec.containers[0].imagePullPolicy).toBe('Always');
    });
  });

  describe('more than one replica: a PodDisruptionBudget and soft topology spread', () => {
    test('the default 2 replicas: PDB maxUnavailable 1 selecting app=<name>, beside the Deployment', () => {
      const { objects } = deploymentOf({});
      const pdbs = ofKind(objects, 'PodDisruptionBudget');
      expect(pdbs).toEqual([{
        apiVersion: 'policy/v1',
        kind: 'PodDisruptionBudget',
        metadata: { name: 'cart', namespace: 'shop' },
        spec: { maxUnavailable: 1, selector: { matchLabels: { app: 'cart' } }, unhealthyPodEvictionPolicy: 'AlwaysAllow' },
      }]);
      const kinds = objects.filter((o) => o.metadata?.namespace === 'shop' && ['Deployment', 'PodDisruptionBudget'].includes(o.kind)).map((o) => o.kind);
      expect(kinds).toEqual(['Deployment', 'PodDisruptionBudget']);
      // The PDB selects exactly the Deployment's pods.
      expect(pdbs[0].spec.selector).toEqual(findObject(objects, 'Deployment', 'cart', 'shop').spec.selector);
    });

    test('topology spread over zones, then nodes, ScheduleAnyway, selecting app=<name>', () => {
      expect(deploymentOf({ replicas: 3 }).pod.topologySpreadConstraints).toEqual([
        { labelSelector: { matchLabels: { app: 'cart' } }, maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway' },
        { labelSelector: { matchLabels: { app: 'cart' } }, maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway' },
      ]);
    });

    test('the spread selects by app only, even with a version label', () => {
      const { pod } = deploymentOf({ version: 'v2' });
      expect(pod.topologySpreadConstraints.map((c: any) => c.labelSelector)).toEqual([{ matchLabels: { app: 'cart' } }, { matchLabels: { app: 'cart' } }]);
    });

    test('one replica: no PDB, no spread', () => {
      const { objects, pod } = deploymentOf({ replicas: 1 });
      expect(ofKind(objects, 'PodDisruptionBudget')).toEqual([]);
      expect(pod.topologySpreadConstraints).toBeUndefined();
    });
  });

  describe('probes', () => {
    test('HTTP on a container port (targetPort), every timing written out, Kubernetes\' defaults', () => {
      const { container } = deploymentOf({ readinessProbe: { port: 8080, path: '/ready' } });
      expect(container.readinessProbe).toEqual({
        httpGet: { path: '/ready', port: 8080, scheme: 'HTTP' }, failureThreshold: 3, initialDelaySeconds: 0, periodSeconds: 10, timeoutSeconds: 1,
      });
    });

    test('TCP, gRPC (with a service name), and a startup probe with 30 failures allowed', () => {
      const { container } = deploymentOf({
        livenessProbe: { port: 9090, type: HealthProbeType.GRPC, grpcService: 'shop.Cart', periodSeconds: 20, failureThreshold: 5, timeoutSeconds: 2 },
        startupProbe: { port: 8080, type: HealthProbeType.TCP, initialDelaySeconds: 5 },
      });
      expect(container.livenessProbe).toEqual({ grpc: { port: 9090, service: 'shop.Cart' }, failureThreshold: 5, initialDelaySeconds: 0, periodSeconds: 20, timeoutSeconds: 2 });
      expect(container.startupProbe).toEqual({
        tcpSocket: { port: 8080 }, failureThreshold: 30, initialDelaySeconds: 5, periodSeconds: 10, timeoutSeconds: 1,
      });
      expect(container.readinessProbe).toBeUndefined();
    });

    test('a dedicated health port: probes may use it; it is not a Service port, nor granted', () => {
      const { objects, container } = deploymentOf({ healthPorts: [8081], readinessProbe: { port: 8081, path: '/ready' } });
      expect(container.readinessProbe.httpGet.port).toBe(8081);
      expect(findObject(objects, 'Service', 'cart', 'shop').spec.ports.map((p: any) => p.targetPort)).toEqual([8080, 9090]);
      expect(JSON.stringify(ofKind(objects, 'NetworkPolicy'))).not.toContain('8081');
      expect(JSON.stringify(ofKind(objects, 'AuthorizationPolicy'))).not.toContain('8081');
    });

    test('a workload that only calls may probe a health port', () => {
      const { container } = deploymentOf({ ports: [], healthPorts: [8081], livenessProbe: { port: 8081, path: '/live' } });
      expect(container.livenessProbe.httpGet).toEqual({ path: '/live', port: 8081, scheme: 'HTTP' });
    });

    test.each<[string, Partial<SecureServiceProps>, RegExp]>([
      ['a Service port instead of the container port', { readinessProbe: { port: 80, path: '/ready' } },
        /readinessProbe: readinessProbe.port 80 is not a container port or health port of the service \(8080, 9090\)/],
      ['an unknown port', { livenessProbe: { port: 1234, type: HealthProbeType.TCP } }, /livenessProbe: livenessProbe.port 1234 is not a container port/],
      ['no port at all (calls only)', { ports: [], startupProbe: { port: 8080, type: HealthProbeType.TCP } },
        /startupProbe: startupProbe.port 8080 is not a port of the service: it has no container port and no health port/],
      ['HTTP without a path', { readinessProbe: { port: 8080 } }, /readinessProbe.path is required for an HTTP probe/],
      ['a relative path', { readinessProbe: { port: 8080, path: 'ready' } }, /readinessProbe.path "ready" is not an absolute URL path/],
      ['a path with a space', { readinessProbe: { port: 8080, path: '/re ady' } }, /is not an absolute URL path without spaces/],
      ['a path on a TCP probe', { livenessProbe: { port: 8080, type: HealthProbeType.TCP, path: '/x' } }, /livenessProbe.path is only for an HTTP probe \(this one is TCP\)/],
      ['a gRPC service on an HTTP probe', { livenessProbe: { port: 8080, path: '/x', grpcService: 'a' } }, /livenessProbe.grpcService is only for a GRPC probe/],
      ['an unknown type', { livenessProbe: { port: 8080, type: 'EXEC' as HealthProbeType } }, /livenessProbe.type "EXEC" is not one of HTTP, TCP, GRPC/],
      ['period 0', { readinessProbe: { port: 8080, path: '/r', periodSeconds: 0 } }, /readinessProbe.periodSeconds 0 is not an integer ≥ 1/],
      ['negative delay', { readinessProbe: { port: 8080, path: '/r', initialDelaySeconds: -1 } }, /readinessProbe.initialDelaySeconds -1 is not an integer ≥ 0/],
      ['fractional threshold', { readinessProbe: { port: 8080, path: '/r', failureThreshold: 1.5 } }, /readinessProbe.failureThreshold 1.5 is not an integer ≥ 1/],
      ['a health port of Istio\'s', { healthPorts: [15020] }, /healthPorts: healthPorts\[0\] 15020 is one of Istio's own ports/],
      ['a health port that is a service port', { healthPorts: [8080] }, /healthPorts\[0\] 8080 is already a container port/],
      ['a duplicate health port', { healthPorts: [8081, 8081] }, /duplicate health port 8081/],
      ['a health port out of range', { healthPorts: [70000] }, /healthPorts\[0\] 70000 is outside 1-65535/],
    ])('refused: %s', (_, props, error) => {
      const { svc } = world();
      expect(() => svc('cart', props)).toThrow(error);
    });

    test('the error names the construct, the field and the fix', () => {
      const { svc } = world();
      expect(() => svc('cart', { readinessProbe: { port: 1234, path: '/r' } }))
        .toThrow(/^\[test\/cart\] readinessProbe: .*\. Probe one of the service's container ports \(or list a dedicated port in healthPorts\)/);
    });
  });

  describe('runAsUser, runAsGroup, fsGroup', () => {
    test('written on the pod securityContext; runAsNonRoot stays', () => {
      const { pod, container } = deploymentOf({ runAsUser: 10001, runAsGroup: 10002, fsGroup: 10003 });
      expect(pod.securityContext).toEqual({
        fsGroup: 10003, fsGroupChangePolicy: 'Always', runAsGroup: 10002, runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(container.securityContext.runAsNonRoot).toBe(true);
      expect(container.securityContext.runAsUser).toBeUndefined();
    });

    test.each<[string, Partial<SecureServiceProps>, RegExp]>([
      ['runAsUser 0 (root)', { runAsUser: 0 }, /\[test\/cart\] runAsUser: runAsUser 0 is root\./],
      ['runAsGroup 0 (root\'s group)', { runAsGroup: 0 }, /runAsGroup: runAsGroup 0 is root's group/],
      ['fsGroup 0', { fsGroup: 0 }, /fsGroup: fsGroup 0 is root's group/],
      ['runAsUser 1337 (Istio\'s proxy UID)', { runAsUser: 1337 }, /runAsUser: runAsUser 1337 is Istio's proxy UID: iptables never redirects its traffic to the sidecar.*POD-UID-001/],
      ['runAsGroup 1337', { runAsGroup: 1337 }, /runAsGroup: runAsGroup 1337 is Istio's proxy GID/],
      ['fsGroup 1337', { fsGroup: 1337 }, /fsGroup: fsGroup 1337 is Istio's proxy GID/],
      ['a negative UID', { runAsUser: -1 }, /runAsUser -1 is not an integer from 1 to 2147483647/],
      ['a fractional GID', { runAsGroup: 1000.5 }, /runAsGroup 1000.5 is not an integer/],
      ['a UID past int32', { runAsUser: 2 ** 31 }, /runAsUser 2147483648 is not an integer/],
    ])('refused: %s', (_, props, error) => {
      const { svc } = world();
      expect(() => svc('cart', props)).toThrow(error);
    });
  });

  describe('writablePaths', () => {
    test('each an emptyDir (disk) mounted read-write at its path; the root filesystem stays read-only', () => {
      const { pod, container } = deploymentOf({ writablePaths: ['/tmp', '/var/cache/app'] });
      expect(pod.volumes).toEqual([{ name: 'writable-0', emptyDir: {} }, { name: 'writable-1', emptyDir: {} }]);
      expect(container.volumeMounts).toEqual([{ mountPath: '/tmp', name: 'writable-0' }, { mountPath: '/var/cache/app', name: 'writable-1' }]);
      expect(container.securityContext.readOnlyRootFilesystem).toBe(true);
    });

    test('sizeLimit, and beside a secret store', () => {
      const { pod, container } = deploymentOf({
        writablePaths: ['/tmp'], writablePathSizeLimit: Size.mebibytes(64), secretStore: { secretProviderClass: 'cart-secrets', mountPath: '/mnt/secrets' },
      });
      expect(pod.volumes).toEqual([
        { name: 'secret-store', csi: { driver: 'secrets-store.csi.k8s.io', readOnly: true, volumeAttributes: { secretProviderClass: 'cart-secrets' } } },
        { name: 'writable-0', emptyDir: { sizeLimit: '64Mi' } },
      ]);
      expect(container.volumeMounts).toEqual([{ mountPath: '/mnt/secrets', name: 'secret-store', readOnly: true }, { mountPath: '/tmp', name: 'writable-0' }]);
    });

    test.each<[string, Partial<SecureServiceProps>, RegExp]>([
      ['the root directory', { writablePaths: ['/'] }, /writablePaths: writablePaths\[0\] "\/" is the root directory, which must stay read-only/],
      ['a relative path', { writablePaths: ['tmp'] }, /writablePaths\[0\] "tmp" is not an absolute path/],
      ['an empty path', { writablePaths: [''] }, /writablePaths\[0\] "" is not an absolute path/],
      ['a path with a space', { writablePaths: ['/my dir'] }, /is not an absolute path/],
      ['"..", "//" or a trailing slash', { writablePaths: ['/a/../etc', '/b//c', '/d/'] }, /writablePaths\[0\] "\/a\/..\/etc" is not normalized.*writablePaths\[1\].*not normalized.*writablePaths\[2\].*not normalized/],
      ['a duplicate', { writablePaths: ['/tmp', '/tmp'] }, /duplicate path \/tmp in writablePaths/],
      ['/proc', { writablePaths: ['/proc/sys'] }, /"\/proc\/sys" would hide a filesystem the container runtime provides/],
      ['the secret store\'s path', { writablePaths: ['/mnt/secrets'], secretStore: { secretProviderClass: 'cart-secrets', mountPath: '/mnt/secrets' } }, /"\/mnt\/secrets" is already a mount/],
      ['an empty list', { writablePaths: [] }, /writablePaths is empty/],
      ['a size limit without paths', { writablePathSizeLimit: Size.mebibytes(64) }, /writablePathSizeLimit: there is no writable path to limit/],
      ['a size limit below 1Mi', { writablePaths: ['/tmp'], writablePathSizeLimit: Size.kibibytes(512) }, /writablePathSizeLimit: 0.5Mi is not a whole number of mebibytes/],
    ])('refused: %s', (_, props, error) => {
      const { svc } = world();
      expect(() => svc('cart', props)).toThrow(error);
    });
  });

  describe('the library\'s own output still passes every rule', () => {
    function everything(): any[] {
      const { chart, svc } = world();
      svc('cart', EVERYTHING);
      svc('worker', { ports: [], replicas: 1, writablePaths: ['/tmp'], runAsUser: 2000 });
      // Testing.synth runs the rules; synthValidated adds the validation harness (schemas, policy/v1 PodDisruptionBudget included).
      return synthValidated(chart);
    }

    test('every rule\'s check() finds nothing, and every admission CEL admits every object', () => {
      const objects = everything();
      const ctx = ruleContext(objects);
      const found = ALL_RULES.flatMap((rule) => objects.flatMap((o) => rule.check(o, ctx).map((v) => `${rule.id} ${o.kind}/${o.metadata?.name}: ${v.path}: ${v.message}`)));
      expect(found).toEqual([]);
      const refused = ALL_RULES.filter((r) => r.admission).flatMap((rule) => objects.filter((o) => !admits(rule.admission!, o)).map((o) => `${rule.id} ${o.kind}/${o.metadata?.name}`));
      expect(refused).toEqual([]);
    });

    test('it does write every setting', () => {
      const objects = everything();
      const pod = findObject(objects, 'Deployment', 'cart', 'shop').spec.template.spec;
      expect(Object.keys(pod.containers[0]).filter((k) => k.endsWith('Probe')).sort()).toEqual(['livenessProbe', 'readinessProbe', 'startupProbe']);
      expect(pod.volumes.map((v: any) => Object.keys(v).filter((k) => k !== 'name')[0])).toEqual(['csi', 'emptyDir', 'emptyDir']);
      expect(pod.securityContext.runAsUser).toBe(10001);
      expect(pod.topologySpreadConstraints).toHaveLength(2);
      expect(ofKind(objects, 'PodDisruptionBudget').map((p) => p.metadata.name)).toEqual(['cart']);
    });
  });
});
