import { PolicyRule, RuleSeverity, RuleViolation } from '../rule';
import { POD_KINDS, POD_SPEC_RESOURCES, celForEachContainer, celForPodSpec, celHas, celStrings, containersOf, isRecord, podSpecsOf, securityContextOf, upperAscii } from './workload-pod-specs';

/** The seccomp profile types that confine a container. */
export const CONFINING_SECCOMP_TYPES: readonly string[] = ['RuntimeDefault', 'Localhost'];

function seccompTypeOf(sc: { readonly [key: string]: any }): unknown {
  return isRecord(sc.seccompProfile) ? sc.seccompProfile.type : undefined;
}

/**
 * POD-ESC-001 (POD-1): every container runs non-root, cannot gain privileges, drops all
 * capabilities and is confined by seccomp: the container settings of Pod Security Admission's
 * `restricted` profile.
 *
 * Container settings override pod settings: a container's `runAsNonRoot: false` or
 * `seccompProfile.type: Unconfined` wins over the pod's. WARNING, because the `restricted`
 * profile on hardened namespaces enforces the same at admission.
 */
export const POD_ESC_001: PolicyRule = {
  id: 'POD-ESC-001',
  practices: ['POD-1'],
  severity: RuleSeverity.WARNING,
  kinds: POD_KINDS,
  title: 'Containers run non-root, without privilege escalation, with ALL capabilities dropped and a seccomp profile',
  explanation:
    'A container that runs as root, may gain privileges (setuid binaries, allowPrivilegeEscalation), keeps the '
    + "runtime's default capabilities or runs without seccomp turns one exploited bug into control of the pod's "
    + 'network (sidecar bypass) or an escape to the node. These are the container settings of Pod Security '
    + "Admission's restricted profile.",
  fix:
    'In each container set securityContext.allowPrivilegeEscalation: false, runAsNonRoot: true (or set it on the pod), '
    + 'capabilities.drop: [ALL] (add back only what is needed, e.g. NET_BIND_SERVICE), and seccompProfile.type: '
    + 'RuntimeDefault on the pod or container. Build images that run as a numeric non-root user. A PolicyException is '
    + 'right only for a third-party image that cannot run otherwise, while it is being replaced.',
  check(object) {
    const out: RuleViolation[] = [];
    for (const pod of podSpecsOf(object)) {
      const podSc = securityContextOf(pod.spec);
      const podSeccomp = seccompTypeOf(podSc);
      for (const c of containersOf(pod)) {
        const sc = securityContextOf(c.container);
        const at = `${c.path}.securityContext`;
        if (sc.allowPrivilegeEscalation !== false) {
          out.push({ path: `${at}.allowPrivilegeEscalation`, message: `${c.label} does not set allowPrivilegeEscalation: false` });
        }
        if (sc.runAsNonRoot === false) {
          out.push({ path: `${at}.runAsNonRoot`, message: `${c.label} sets runAsNonRoot: false` });
        } else if (sc.runAsNonRoot === undefined && podSc.runAsNonRoot !== true) {
          out.push({ path: `${at}.runAsNonRoot`, message: `${c.label} may run as root: neither it nor the pod sets runAsNonRoot: true` });
        } else if (sc.runAsNonRoot !== undefined && sc.runAsNonRoot !== true) {
          out.push({ path: `${at}.runAsNonRoot`, message: `${c.label} does not set runAsNonRoot: true` });
        }
        const drop: unknown = isRecord(sc.capabilities) ? sc.capabilities.drop : undefined;
        if (!Array.isArray(drop) || !drop.some((d) => typeof d === 'string' && upperAscii(d) === 'ALL')) {
          out.push({ path: `${at}.capabilities.drop`, message: `${c.label} does not drop ALL capabilities` });
        }
        const own = seccompTypeOf(sc);
        const effective = own !== undefined ? own : podSeccomp;
        if (!CONFINING_SECCOMP_TYPES.includes(effective as string)) {
          out.push({
            path: `${at}.seccompProfile.type`,
            message: own !== undefined
              ? `${c.label} sets seccompProfile.type ${JSON.stringify(own)} (not RuntimeDefault or Localhost)`
              : `${c.label} runs without a seccomp profile: neither it nor the pod sets seccompProfile.type RuntimeDefault or Localhost`,
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
      `(${celHas(c, ['securityContext', 'runAsNonRoot'])} ? ${c}.securityContext.runAsNonRoot == true`
      + ` : (${celHas(spec, ['securityContext', 'runAsNonRoot'])} && ${spec}.securityContext.runAsNonRoot == true))`,
      `(${celHas(c, ['securityContext', 'capabilities', 'drop'])} && ${c}.securityContext.capabilities.drop.exists(d, d.upperAscii() == 'ALL'))`,
      `(${celHas(c, ['securityContext', 'seccompProfile', 'type'])} ? ${c}.securityContext.seccompProfile.type in ${celStrings(CONFINING_SECCOMP_TYPES)}`
      + ` : (${celHas(spec, ['securityContext', 'seccompProfile', 'type'])} && ${spec}.securityContext.seccompProfile.type in ${celStrings(CONFINING_SECCOMP_TYPES)}))`,
    ].join(' && '))),
    message: 'POD-ESC-001: every container must set allowPrivilegeEscalation: false, runAsNonRoot: true (or on the pod), '
      + 'capabilities.drop: [ALL] and seccompProfile.type RuntimeDefault or Localhost (or on the pod)',
  },
};
