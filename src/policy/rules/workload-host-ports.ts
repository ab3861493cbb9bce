import { PolicyRule, RuleSeverity, RuleViolation } from '../rule';
import { POD_KINDS, POD_SPEC_RESOURCES, allContainersOf, celForEachContainer, celForPodSpec, isRecord } from './workload-pod-specs';

/**
 * POD-HOSTPORT-001 (POD-1, NETPOL-1): no container port bound on the node (`hostPort`).
 *
 * A hostPort opens the port on the node's own address: traffic to it reaches the container
 * without passing the pod's NetworkPolicies as written for pod addresses, and, since Istio
 * captures traffic to the pod's address, without the sidecar's mTLS and authorization either.
 */
export const POD_HOSTPORT_001: PolicyRule = {
  id: 'POD-HOSTPORT-001',
  practices: ['POD-1', 'NETPOL-1'],
  severity: RuleSeverity.ERROR,
  kinds: POD_KINDS,
  title: 'No hostPort on containers',
  explanation:
    'A hostPort binds the container port on the node\'s own address. Clients reaching the node on that port are outside what '
    + 'the pod\'s NetworkPolicies and the mesh\'s authorization were written for, and the port collides with other pods '
    + 'scheduled on the node. Pod Security forbids it from the baseline profile up.',
  fix:
    'Remove hostPort (or set it to 0) and expose the port through a Service; traffic from outside the cluster enters through '
    + 'IngressGateway. A PolicyException is right only for node-level infrastructure, with an owner and an expiry.',
  check(object) {
    const out: RuleViolation[] = [];
    for (const c of allContainersOf(object)) {
      const ports: unknown = c.container.ports;
      if (!Array.isArray(ports)) continue;
      ports.forEach((p, i) => {
        if (!isRecord(p) || p.hostPort === undefined || p.hostPort === null || p.hostPort === 0) return;
        out.push({ path: `${c.path}.ports[${i}].hostPort`, message: `${c.label} binds port ${JSON.stringify(p.hostPort)} on the node (hostPort)` });
      });
    }
    return out;
  },
  admission: {
    resources: POD_SPEC_RESOURCES,
    expression: celForPodSpec((spec) => celForEachContainer(spec, (c) => `!has(${c}.ports) || ${c}.ports.all(p, !has(p.hostPort) || p.hostPort == 0)`)),
    message: 'POD-HOSTPORT-001: hostPort is not allowed on containers',
  },
};
