import { PolicyRule, RuleSeverity, RuleViolation } from '../rule';
import { POD_KINDS, POD_SPEC_RESOURCES, celForPodSpec, podSpecsOf } from './workload-pod-specs';

/** The pod spec fields that share a host namespace. */
export const HOST_NAMESPACE_FIELDS: readonly string[] = ['hostNetwork', 'hostPID', 'hostIPC'];

const HOST_NAMESPACE_NAMES: { readonly [field: string]: string } = { hostNetwork: 'network', hostPID: 'PID', hostIPC: 'IPC' };

/**
 * POD-HOST-001 (POD-1): no pod shares the node's network, PID or IPC namespace.
 */
export const POD_HOST_001: PolicyRule = {
  id: 'POD-HOST-001',
  practices: ['POD-1'],
  severity: RuleSeverity.ERROR,
  kinds: POD_KINDS,
  title: 'No hostNetwork, hostPID or hostIPC',
  explanation:
    "A pod on the host network has no sidecar redirection: its traffic leaves with the node's address, outside mTLS "
    + 'and authorization policy, and it can bind node ports and reach node-local services. hostPID and hostIPC let it '
    + 'see and signal other processes on the node, including other pods and their secrets in memory.',
  fix:
    'Remove hostNetwork, hostPID and hostIPC (or set them to false); expose the workload through a Service. A '
    + 'PolicyException is right only for node agents (CNI, log or metrics collectors) that must run in the host '
    + 'namespaces, kept in their own namespace outside the mesh.',
  check(object) {
    const out: RuleViolation[] = [];
    for (const pod of podSpecsOf(object)) {
      for (const f of HOST_NAMESPACE_FIELDS) {
        if (pod.spec[f] === true) out.push({ path: `${pod.path}.${f}`, message: `the pod shares the node's ${HOST_NAMESPACE_NAMES[f]} namespace (${f}: true)` });
      }
    }
    return out;
  },
  admission: {
    resources: POD_SPEC_RESOURCES,
    expression: celForPodSpec((spec) => HOST_NAMESPACE_FIELDS.map((f) => `!(has(${spec}.${f}) && ${spec}.${f} == true)`).join(' && ')),
    message: 'POD-HOST-001: pods may not use hostNetwork, hostPID or hostIPC',
  },
};
