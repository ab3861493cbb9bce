import { PolicyRule, RuleSeverity } from '../rule';
import { POD_KINDS, POD_SPEC_RESOURCES, celForPodSpec, podSpecsOf } from './workload-pod-specs';

/**
 * POD-PID-001 (POD-1): no pod shares one process namespace between its containers
 * (`shareProcessNamespace: true`).
 *
 * Stricter than Pod Security Admission (no profile restricts it). In a mesh pod the shared
 * namespace includes the `istio-proxy` sidecar: the app container sees its processes, can signal
 * them and read `/proc/<pid>/root` of the proxy, where the workload's mTLS private key and the
 * Envoy admin socket live.
 */
export const POD_PID_001: PolicyRule = {
  id: 'POD-PID-001',
  practices: ['POD-1'],
  severity: RuleSeverity.ERROR,
  since: '2',
  kinds: POD_KINDS,
  title: 'Pods do not share a process namespace between containers (stricter than the restricted profile)',
  explanation:
    'With shareProcessNamespace every container of the pod sees, signals and inspects the others\' processes, the Istio '
    + 'sidecar included: its filesystem through /proc/<pid>/root (the workload certificate and private key) and its memory. '
    + 'A compromised app container can then impersonate the workload outside the mesh or stop its proxy. Pod Security '
    + 'profiles allow it; the guide\'s least-privilege pods do not.',
  fix:
    'Remove shareProcessNamespace (or set it to false). Debug with an ephemeral container targeting one container '
    + '(kubectl debug --target) instead. A PolicyException is right only for a debugging build, never in production.',
  check(object) {
    return podSpecsOf(object)
      .filter((pod) => pod.spec.shareProcessNamespace !== undefined && pod.spec.shareProcessNamespace !== false)
      .map((pod) => ({ path: `${pod.path}.shareProcessNamespace`, message: 'the pod shares one process namespace between its containers, the Istio proxy included' }));
  },
  admission: {
    resources: POD_SPEC_RESOURCES,
    expression: celForPodSpec((spec) => `!has(${spec}.shareProcessNamespace) || ${spec}.shareProcessNamespace == false`),
    message: 'POD-PID-001: pods must not set shareProcessNamespace: true (it exposes the Istio proxy\'s processes and keys)',
  },
};
