import { PolicyRule, RuleSeverity, RuleViolation } from '../rule';
import { POD_KINDS, POD_SPEC_RESOURCES, celForEachContainer, celForPodSpec, celHas, containersOf, podSpecsOf, securityContextOf } from './workload-pod-specs';

/** Seccomp profile types the restricted profile accepts. */
export const CONFINED_SECCOMP = ['RuntimeDefault', 'Localhost'];

/**
 * POD-SECCOMP-001 (POD-1): every container runs under a seccomp profile.
 *
 * The restricted profile requires `seccompProfile.type` RuntimeDefault or Localhost, on the pod
 * or on every container (the container's setting wins); `Unconfined`, or none at all, leaves
 * every system call open to the process.
 */
export const POD_SECCOMP_001: PolicyRule = {
  id: 'POD-SECCOMP-001',
  practices: ['POD-1'],
  severity: RuleSeverity.ERROR,
  kinds: POD_KINDS,
  title: 'Containers run under a seccomp profile (RuntimeDefault or Localhost)',
  explanation:
    'Pod Security "restricted" requires a seccomp profile of type RuntimeDefault or Localhost for every container, set on the '
    + 'pod or the container. Without one (or with Unconfined) the process can make every system call, including the rarely '
    + 'used ones behind most container escapes.',
  fix:
    'Set securityContext.seccompProfile.type: RuntimeDefault on the pod (SecureService does), or a Localhost profile where the '
    + 'runtime default is too tight. A PolicyException is right only for node-level infrastructure, with an owner and an expiry.',
  check(object) {
    const out: RuleViolation[] = [];
    for (const pod of podSpecsOf(object)) {
      const podType = securityContextOf(pod.spec).seccompProfile?.type;
      for (const c of containersOf(pod)) {
        const own = securityContextOf(c.container).seccompProfile;
        const type = own !== undefined && own !== null && typeof own === 'object' && own.type !== undefined ? own.type : podType;
        if (!CONFINED_SECCOMP.includes(type)) {
          out.push({
            path: `${c.path}.securityContext.seccompProfile.type`,
            message: `${c.label} runs ${type === undefined ? 'without a seccomp profile' : `with seccomp profile ${JSON.stringify(type)}`} (RuntimeDefault or Localhost required)`,
          });
        }
      }
    }
    return out;
  },
  admission: {
    resources: POD_SPEC_RESOURCES,
    expression: celForPodSpec((spec) => celForEachContainer(spec, (c) =>
      `(${celHas(c, ['securityContext', 'seccompProfile', 'type'])} ? ${c}.securityContext.seccompProfile.type in ['RuntimeDefault', 'Localhost']`
      + ` : (${celHas(spec, ['securityContext', 'seccompProfile', 'type'])} && ${spec}.securityContext.seccompProfile.type in ['RuntimeDefault', 'Localhost']))`)),
    message: 'POD-SECCOMP-001: containers must run under a seccomp profile of type RuntimeDefault or Localhost (pod or container)',
  },
};
