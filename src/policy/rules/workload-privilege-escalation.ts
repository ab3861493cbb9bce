import { PolicyRule, RuleSeverity, RuleViolation } from '../rule';
import { POD_KINDS, POD_SPEC_RESOURCES, celForEachContainer, celForPodSpec, celHas, containersOf, isRecord, podSpecsOf, securityContextOf, upperAscii } from './workload-pod-specs';

/**
 * POD-ESC-001 (POD-1): no container can gain privileges: each sets `allowPrivilegeEscalation:
 * false` and drops ALL capabilities, as Pod Security Admission's `restricted` profile demands.
 * Running as root and running without seccomp, the profile's other container settings, are
 * POD-ROOT-001 and POD-SECCOMP-001; adding capabilities back is POD-CAP-001.
 *
 * `drop` must name `ALL` exactly: container runtimes read any case, but Pod Security Admission's
 * restricted profile compares the string, so a pod dropping `all` is refused in a hardened
 * namespace; the rule reports it first, at synth.
 *
 * An error, not a warning: the `restricted` label on hardened namespaces enforces the same at
 * admission, but only where that label is present and not weakened, and the audit and admission
 * of this library must not depend on it.
 */
export const POD_ESC_001: PolicyRule = {
  id: 'POD-ESC-001',
  practices: ['POD-1'],
  severity: RuleSeverity.ERROR,
  since: '2',
  kinds: POD_KINDS,
  title: 'Containers cannot gain privileges (allowPrivilegeEscalation: false, ALL capabilities dropped)',
  explanation:
    'A container that may gain privileges (setuid binaries, file capabilities: allowPrivilegeEscalation is true unless set '
    + "to false) or keeps the runtime's default capabilities (CHOWN, DAC_OVERRIDE, FOWNER, SETUID, NET_BIND_SERVICE, ...) "
    + "turns one exploited bug into control of the pod's network (sidecar bypass) or an escape to the node. These are "
    + "container settings of Pod Security Admission's restricted profile.",
  fix:
    'In each container (init and ephemeral containers too) set securityContext.allowPrivilegeEscalation: false and '
    + 'capabilities.drop: [ALL] (add back only NET_BIND_SERVICE if the process binds a port below 1024). A PolicyException '
    + 'is right only for a third-party image that cannot run otherwise, while it is being replaced.',
  check(object) {
    const out: RuleViolation[] = [];
    for (const pod of podSpecsOf(object)) {
      for (const c of containersOf(pod)) {
        const sc = securityContextOf(c.container);
        const at = `${c.path}.securityContext`;
        if (sc.allowPrivilegeEscalation !== false) {
          out.push({ path: `${at}.allowPrivilegeEscalation`, message: `${c.label} does not set allowPrivilegeEscalation: false` });
        }
        const drop: unknown = isRecord(sc.capabilities) ? sc.capabilities.drop : undefined;
        if (!Array.isArray(drop) || !drop.includes('ALL')) {
          const lower = Array.isArray(drop) && drop.some((d) => typeof d === 'string' && upperAscii(d) === 'ALL');
          out.push({
            path: `${at}.capabilities.drop`,
            message: lower ? `${c.label} drops "all", which runtimes accept but Pod Security's restricted profile does not: write "ALL"`
              : `${c.label} does not drop ALL capabilities`,
          });
        }
      }
    }
    return out;
  },
  admission: {
    resources: POD_SPEC_RESOURCES,
    expression: celForPodSpec((spec) => celForEachContainer(spec, (c) => [
      `(${celHas(c, ['securityContext', 'allowPrivilegeEscalation'])} && ${c}.securityContext.allowPrivilegeEscalation == false)`,
      `(${celHas(c, ['securityContext', 'capabilities', 'drop'])} && ${c}.securityContext.capabilities.drop.exists(d, d == 'ALL'))`,
    ].join(' && '))),
    message: 'POD-ESC-001: every container must set allowPrivilegeEscalation: false and capabilities.drop: [ALL]',
  },
};
