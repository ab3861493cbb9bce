import { PolicyRule, RuleSeverity, RuleViolation } from '../rule';
import { POD_KINDS, POD_SPEC_RESOURCES, celForEachContainer, celForPodSpec, celHas, containersOf, podSpecsOf, securityContextOf } from './workload-pod-specs';

/** CEL: the effective value of securityContext `field` of container `c` in pod spec `spec` (container over pod) satisfies `test`. */
function celEffective(spec: string, c: string, field: string, test: (value: string) => string, whenUnset: string): string {
  return `(${celHas(c, ['securityContext', field])} ? ${test(`${c}.securityContext.${field}`)}`
    + ` : (${celHas(spec, ['securityContext', field])} ? ${test(`${spec}.securityContext.${field}`)} : ${whenUnset}))`;
}

/**
 * POD-ROOT-001 (POD-1): no container may run as root.
 *
 * The restricted Pod Security profile requires `runAsNonRoot: true` (on the pod, or on every
 * container) and no `runAsUser: 0`. A root process in a container is one kernel bug or one
 * writable host mount away from the node; with the sidecar's iptables rules in the pod's network
 * namespace, root in the app container could also be a way around the proxy.
 */
export const POD_ROOT_001: PolicyRule = {
  id: 'POD-ROOT-001',
  practices: ['POD-1'],
  severity: RuleSeverity.ERROR,
  kinds: POD_KINDS,
  title: 'Containers run as non-root (runAsNonRoot: true, never runAsUser: 0)',
  explanation:
    'Pod Security "restricted" requires every container to run as a non-root user: runAsNonRoot: true on the pod or the '
    + 'container (the container\'s setting wins), and no runAsUser: 0. Root inside a container turns a kernel or runtime '
    + 'flaw, or a writable mount, into control of the node and of every workload on it.',
  fix:
    'Set securityContext.runAsNonRoot: true on the pod (SecureService does) and a non-zero runAsUser where the image has no '
    + 'numeric non-root USER; use an image built to run as non-root. A PolicyException is right only for node-level '
    + 'infrastructure in its own namespace, with an owner and an expiry.',
  check(object) {
    const out: RuleViolation[] = [];
    for (const pod of podSpecsOf(object)) {
      const podSc = securityContextOf(pod.spec);
      for (const c of containersOf(pod)) {
        const sc = securityContextOf(c.container);
        const nonRoot = sc.runAsNonRoot !== undefined ? sc.runAsNonRoot : podSc.runAsNonRoot;
        if (nonRoot !== true) {
          out.push({ path: `${c.path}.securityContext.runAsNonRoot`, message: `${c.label} may run as root (runAsNonRoot is not true on the container or the pod)` });
        }
        const user = sc.runAsUser !== undefined ? sc.runAsUser : podSc.runAsUser;
        if (user === 0) {
          out.push({
            path: sc.runAsUser !== undefined ? `${c.path}.securityContext.runAsUser` : `${pod.path}.securityContext.runAsUser`,
            message: `${c.label} runs as user 0 (root)`,
          });
        }
      }
    }
    return out;
  },
  admission: {
    resources: POD_SPEC_RESOURCES,
    expression: celForPodSpec((spec) => celForEachContainer(spec, (c) =>
      `${celEffective(spec, c, 'runAsNonRoot', (v) => `${v} == true`, 'false')} && ${celEffective(spec, c, 'runAsUser', (v) => `${v} != 0`, 'true')}`)),
    message: 'POD-ROOT-001: containers must run as non-root (runAsNonRoot: true on the pod or container, never runAsUser: 0)',
  },
};
