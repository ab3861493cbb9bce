import { PolicyRule, RuleSeverity, RuleViolation } from '../rule';
import { POD_KINDS, POD_SPEC_RESOURCES, allContainersOf, celForEachContainer, celForPodSpec, celHas, securityContextOf } from './workload-pod-specs';

/**
 * POD-PRIV-001 (POD-1, OPS-1): no privileged container.
 *
 * A privileged container has every capability and the host's devices: it can rewrite the pod's
 * iptables (and so bypass the sidecar), read other pods' traffic, or take over the node.
 */
export const POD_PRIV_001: PolicyRule = {
  id: 'POD-PRIV-001',
  practices: ['POD-1', 'OPS-1'],
  severity: RuleSeverity.ERROR,
  kinds: POD_KINDS,
  title: 'No privileged containers',
  explanation:
    'A privileged container (securityContext.privileged: true) runs with all Linux capabilities and access to the '
    + "host's devices. It can change the pod's network rules to bypass the Istio sidecar, sniff other workloads' "
    + 'traffic and escape to the node, so mesh policy no longer holds for anything on that node.',
  fix:
    'Remove securityContext.privileged (or set it to false) and grant only the specific capability the program needs. '
    + 'Traffic redirection is the Istio CNI plugin\'s job, not an init container\'s. A PolicyException is right only for '
    + 'node-level infrastructure (CNI, storage or device plugins) in its own namespace, with an owner and an expiry.',
  check(object) {
    const out: RuleViolation[] = [];
    for (const c of allContainersOf(object)) {
      if (securityContextOf(c.container).privileged === true) {
        out.push({ path: `${c.path}.securityContext.privileged`, message: `${c.label} is privileged (securityContext.privileged: true)` });
      }
    }
    return out;
  },
  admission: {
    resources: POD_SPEC_RESOURCES,
    expression: celForPodSpec((spec) => celForEachContainer(spec, (c) =>
      `!(${celHas(c, ['securityContext', 'privileged'])} && ${c}.securityContext.privileged == true)`)),
    message: 'POD-PRIV-001: privileged containers are not allowed (securityContext.privileged: true)',
  },
};
