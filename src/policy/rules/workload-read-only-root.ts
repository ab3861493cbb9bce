import { PolicyRule, RuleSeverity, RuleViolation } from '../rule';
import { POD_KINDS, POD_SPEC_RESOURCES, allContainersOf, celForEachContainer, celForPodSpec, celHas, securityContextOf } from './workload-pod-specs';

/**
 * POD-ROFS-001 (POD-1): every container's root filesystem is read-only
 * (`readOnlyRootFilesystem: true`); writable paths are emptyDir or volume mounts.
 *
 * Stricter than Pod Security Admission's `restricted` profile, which does not ask for it: the
 * practice does (POD-1, "read-only root FS"), so a namespace label alone never enforces it.
 */
export const POD_ROFS_001: PolicyRule = {
  id: 'POD-ROFS-001',
  practices: ['POD-1'],
  severity: RuleSeverity.ERROR,
  since: '2',
  kinds: POD_KINDS,
  title: 'Containers run with a read-only root filesystem (stricter than the restricted profile)',
  explanation:
    'A writable root filesystem lets an attacker who gets code execution drop tools and binaries, change the image\'s '
    + 'configuration and persist across process restarts inside the container. Pod Security\'s restricted profile does not '
    + 'require readOnlyRootFilesystem; the guide does (least-privilege pods), so this rule goes beyond the profile.',
  fix:
    'Set securityContext.readOnlyRootFilesystem: true on each container (init and ephemeral containers too) and mount an '
    + 'emptyDir where the process must write (e.g. /tmp). A PolicyException is right only for a third-party image that '
    + 'writes all over its filesystem, while it is replaced.',
  check(object) {
    const out: RuleViolation[] = [];
    for (const c of allContainersOf(object)) {
      if (securityContextOf(c.container).readOnlyRootFilesystem !== true) {
        out.push({ path: `${c.path}.securityContext.readOnlyRootFilesystem`, message: `${c.label} does not set readOnlyRootFilesystem: true` });
      }
    }
    return out;
  },
  admission: {
    resources: POD_SPEC_RESOURCES,
    expression: celForPodSpec((spec) => celForEachContainer(spec, (c) =>
      `(${celHas(c, ['securityContext', 'readOnlyRootFilesystem'])} && ${c}.securityContext.readOnlyRootFilesystem == true)`)),
    message: 'POD-ROFS-001: every container must set securityContext.readOnlyRootFilesystem: true (mount an emptyDir where it writes)',
  },
};
