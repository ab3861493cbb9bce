import { PolicyRule, RuleObject, RuleSeverity, RuleViolation } from '../rule';
import { POD_KINDS, POD_SPEC_RESOURCES, allContainersOf, celForEachContainer, celForPodSpec, celHas, celStrings, isRecord, securityContextOf, upperAscii } from './workload-pod-specs';

/** Capabilities no mesh workload may add, without the `CAP_` prefix. */
export const FORBIDDEN_CAPABILITIES: readonly string[] = ['NET_ADMIN', 'NET_RAW', 'SYS_ADMIN', 'ALL'];

/** What a capability name may contain; anything else is not a capability the kernel knows. */
const CAPABILITY_CHARS = /^[A-Za-z0-9_]*$/;
const CAPABILITY_CHARS_CEL = '^[A-Za-z0-9_]*$';

/** What is wrong with adding `capability` ("adds CAP_NET_RAW"), or undefined when it may be added. */
export function forbiddenCapability(capability: string): string | undefined {
  if (!CAPABILITY_CHARS.test(capability)) {
    // Runtimes upper-case names with Unicode rules ("net_admın" becomes NET_ADMIN), so a name
    // outside [A-Za-z0-9_] cannot be judged by its spelling.
    return `adds "${capability}", which is not a capability name (only letters, digits and "_"; a runtime may read it as another capability)`;
  }
  const upper = upperAscii(capability);
  const bare = upper.startsWith('CAP_') ? upper.slice(4) : upper;
  if (!FORBIDDEN_CAPABILITIES.includes(bare)) return undefined;
  const what = bare === 'ALL' ? 'ALL capabilities' : `CAP_${bare}`;
  return capability === bare || capability === `CAP_${bare}` ? `adds ${what}` : `adds ${what} (written "${capability}")`;
}

/** Every capability a container of the object adds (string entries of `securityContext.capabilities.add`), with its path. */
export function addedCapabilities(object: RuleObject): { readonly path: string; readonly label: string; readonly capability: string }[] {
  const out: { path: string; label: string; capability: string }[] = [];
  for (const c of allContainersOf(object)) {
    const caps = securityContextOf(c.container).capabilities;
    const add: unknown = isRecord(caps) ? caps.add : undefined;
    if (!Array.isArray(add)) continue;
    add.forEach((capability, i) => {
      if (typeof capability === 'string') out.push({ path: `${c.path}.securityContext.capabilities.add[${i}]`, label: c.label, capability });
    });
  }
  return out;
}

/**
 * POD-CAP-001 (POD-1, OPS-1): no container adds NET_ADMIN, NET_RAW, SYS_ADMIN or ALL.
 *
 * Names are compared as the container runtime reads them: any case, with or without `CAP_`.
 */
export const POD_CAP_001: PolicyRule = {
  id: 'POD-CAP-001',
  practices: ['POD-1', 'OPS-1'],
  severity: RuleSeverity.ERROR,
  kinds: POD_KINDS,
  title: 'No container adds NET_ADMIN, NET_RAW, SYS_ADMIN or ALL capabilities',
  explanation:
    "NET_ADMIN lets a container rewrite the pod's iptables and routes, so it can send traffic around the Istio sidecar "
    + '(no mTLS, no authorization policy); NET_RAW allows raw sockets for spoofing and sniffing; SYS_ADMIN is close '
    + 'to root on the node; ALL grants every one of them. Runtimes accept names in any case and with or without the '
    + 'CAP_ prefix, so all spellings count.',
  fix:
    'Remove the capability from securityContext.capabilities.add. Install Istio with the CNI plugin so istio-init '
    + 'needs no NET_ADMIN/NET_RAW. A PolicyException is right only for network infrastructure (the CNI DaemonSet '
    + 'itself) outside the mesh namespaces, with an owner and an expiry.',
  check(object) {
    const out: RuleViolation[] = [];
    for (const { path, label, capability } of addedCapabilities(object)) {
      const why = forbiddenCapability(capability);
      if (why) out.push({ path, message: `${label} ${why}` });
    }
    return out;
  },
  admission: {
    resources: POD_SPEC_RESOURCES,
    expression: celForPodSpec((spec) => celForEachContainer(spec, (c) =>
      `(!${celHas(c, ['securityContext', 'capabilities', 'add'])} || ${c}.securityContext.capabilities.add.all(a, `
      + `a.matches('${CAPABILITY_CHARS_CEL}') && !(a.upperAscii() in ${celStrings([...FORBIDDEN_CAPABILITIES, ...FORBIDDEN_CAPABILITIES.map((x) => `CAP_${x}`)])})))`)),
    message: 'POD-CAP-001: containers may not add NET_ADMIN, NET_RAW, SYS_ADMIN or ALL capabilities (any case, with or without CAP_)',
  },
};
