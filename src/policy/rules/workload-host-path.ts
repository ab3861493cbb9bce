import { PolicyRule, RuleSeverity, RuleViolation } from '../rule';
import { POD_KINDS, POD_SPEC_RESOURCES, celForPodSpec, isRecord, podSpecsOf } from './workload-pod-specs';

/**
 * POD-HOSTPATH-001 (POD-1): no hostPath volumes.
 *
 * A hostPath volume mounts a directory of the node into the pod: the container runtime's socket,
 * the kubelet's credentials, other pods' volumes or the node's configuration are a path away.
 * Pod Security forbids it from the baseline profile up.
 */
export const POD_HOSTPATH_001: PolicyRule = {
  id: 'POD-HOSTPATH-001',
  practices: ['POD-1'],
  severity: RuleSeverity.ERROR,
  kinds: POD_KINDS,
  title: 'No hostPath volumes (directories of the node mounted into a pod)',
  explanation:
    'A hostPath volume mounts a directory of the node into the pod. Through it a container reaches the container runtime\'s '
    + 'socket, the kubelet\'s credentials, other pods\' data or the node\'s configuration, which is a way out of the pod and '
    + 'around every mesh policy on that node. Pod Security forbids it from the baseline profile up.',
  fix:
    'Use an emptyDir for scratch space, a PersistentVolumeClaim for data, a ConfigMap or Secret (or the Secrets Store CSI '
    + 'driver) for configuration. A PolicyException is right only for node-level infrastructure (log or metrics agents, CNI) '
    + 'in its own namespace, with an owner and an expiry.',
  check(object) {
    const out: RuleViolation[] = [];
    for (const pod of podSpecsOf(object)) {
      const volumes: unknown = pod.spec.volumes;
      if (!Array.isArray(volumes)) continue;
      volumes.forEach((v, i) => {
        if (!isRecord(v) || v.hostPath === undefined || v.hostPath === null) return;
        const where = isRecord(v.hostPath) && typeof v.hostPath.path === 'string' ? ` (${v.hostPath.path})` : '';
        out.push({ path: `${pod.path}.volumes[${i}].hostPath`, message: `volume ${typeof v.name === 'string' ? `"${v.name}"` : `#${i}`} mounts a directory of the node${where}` });
      });
    }
    return out;
  },
  admission: {
    resources: POD_SPEC_RESOURCES,
    expression: celForPodSpec((spec) => `!has(${spec}.volumes) || ${spec}.volumes.all(v, !has(v.hostPath))`),
    message: 'POD-HOSTPATH-001: hostPath volumes are not allowed',
  },
};
