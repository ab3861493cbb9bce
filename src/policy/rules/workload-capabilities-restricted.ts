import { PolicyRule, RuleSeverity, RuleViolation } from '../rule';
import { FORBIDDEN_CAPABILITIES, addedCapabilities, forbiddenCapability } from './workload-capabilities';
import { POD_KINDS, POD_SPEC_RESOURCES, celForEachContainer, celForPodSpec, celHas, celStrings, upperAscii } from './workload-pod-specs';

/**
 * The only capability a container may add, without the `CAP_` prefix: Pod Security Admission's
 * `restricted` profile allows NET_BIND_SERVICE (binding ports below 1024) and nothing else.
 */
export const ADDABLE_CAPABILITIES: readonly string[] = ['NET_BIND_SERVICE'];

const withPrefix = (names: readonly string[]): string[] => [...names, ...names.map((x) => `CAP_${x}`)];

/**
 * POD-CAP-002 (POD-1): containers add no capability but NET_BIND_SERVICE, as the `restricted`
 * profile demands (`baseline` allows CHOWN, SETUID, SYS_CHROOT and others).
 *
 * The capabilities that defeat the mesh itself (NET_ADMIN, NET_RAW, SYS_ADMIN, ALL) and names
 * that are not capability names are POD-CAP-001's findings and are not reported here again.
 * Names are compared as the runtime reads them: any case, with or without `CAP_`.
 */
export const POD_CAP_002: PolicyRule = {
  id: 'POD-CAP-002',
  practices: ['POD-1'],
  severity: RuleSeverity.ERROR,
  since: '2',
  kinds: POD_KINDS,
  title: 'Containers add no capability but NET_BIND_SERVICE (the restricted profile)',
  explanation:
    'Every added capability is kernel privilege the process keeps after an exploit: SETUID/SETGID change identity, CHOWN, '
    + 'DAC_OVERRIDE and FOWNER bypass file permissions, SYS_PTRACE reads other processes, SYS_CHROOT and MKNOD help escapes. '
    + 'The restricted Pod Security profile allows adding only NET_BIND_SERVICE.',
  fix:
    'Remove the capability from securityContext.capabilities.add (keep drop: [ALL]); to listen below port 1024 add '
    + 'NET_BIND_SERVICE or, better, listen on a high port. A PolicyException is right only for a third-party image that '
    + 'cannot run otherwise, with an owner and an expiry.',
  check(object) {
    const out: RuleViolation[] = [];
    for (const { path, label, capability } of addedCapabilities(object)) {
      if (forbiddenCapability(capability)) continue;
      const upper = upperAscii(capability);
      const bare = upper.startsWith('CAP_') ? upper.slice(4) : upper;
      if (ADDABLE_CAPABILITIES.includes(bare)) continue;
      const written = capability === bare || capability === `CAP_${bare}` ? '' : ` (written "${capability}")`;
      out.push({ path, message: `${label} adds CAP_${bare}${written}; only NET_BIND_SERVICE may be added` });
    }
    return out;
  },
  admission: {
    resources: POD_SPEC_RESOURCES,
    expression: celForPodSpec((spec) => celForEachContainer(spec, (c) =>
      `(!${celHas(c, ['securityContext', 'capabilities', 'add'])} || ${c}.securityContext.capabilities.add.all(a, `
      + `!a.matches('^[A-Za-z0-9_]*$') || a.upperAscii() in ${celStrings(withPrefix([...ADDABLE_CAPABILITIES, ...FORBIDDEN_CAPABILITIES]))}))`)),
    message: 'POD-CAP-002: containers may add no capability but NET_BIND_SERVICE (the restricted Pod Security profile)',
  },
};
