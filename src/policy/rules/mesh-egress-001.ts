import { PolicyRule, RuleSeverity, RuleViolation, isKind, kindKey } from '../rule';
import { NETWORKING_GROUP, asMap, celHas, specOf } from './mesh-shared';

/**
 * MESH-EGRESS-001 (EGRESS-1): no Sidecar opens outbound traffic to unregistered hosts.
 *
 * `outboundTrafficPolicy.mode: ALLOW_ANY` lets every workload the Sidecar applies to (one
 * workload with a `workloadSelector`, the whole namespace without one, every namespace when it
 * lives in the root namespace) connect to any host outside the mesh directly: past the egress
 * gateway, its per-host authorization of callers and its TLS origination. It overrides the
 * mesh-wide REGISTRY_ONLY that MeshBaseline writes.
 */
export const MESH_EGRESS_001: PolicyRule = {
  id: 'MESH-EGRESS-001',
  practices: ['EGRESS-1'],
  severity: RuleSeverity.ERROR,
  kinds: [kindKey(NETWORKING_GROUP, 'Sidecar')],
  title: 'Sidecars keep outbound traffic to registered hosts (no outboundTrafficPolicy ALLOW_ANY)',
  explanation:
    'A Sidecar with outboundTrafficPolicy.mode ALLOW_ANY lets the workloads it applies to (one workload with a workloadSelector, '
    + 'the whole namespace without one, every namespace in the mesh root namespace) reach any external host directly, bypassing '
    + 'the egress gateway, its per-host authorization of callers and its TLS origination: a compromised workload can send data '
    + 'anywhere. It overrides the mesh-wide REGISTRY_ONLY that MeshBaseline sets.',
  fix:
    'Remove outboundTrafficPolicy or set mode: REGISTRY_ONLY, and reach external hosts through EgressGateway.allowExternal '
    + '(a ServiceEntry per host, callers authorized per host). A workload that must reach arbitrary hosts needs a PolicyException '
    + 'scoped to its Sidecar, and a NetworkPolicy that limits where it can connect.',
  check(object) {
    if (!isKind(object, NETWORKING_GROUP, 'Sidecar')) return [];
    const policy = asMap(specOf(object).outboundTrafficPolicy);
    if (policy?.mode !== 'ALLOW_ANY') return [];
    const selected = asMap(specOf(object).workloadSelector) ? 'the selected workloads' : 'every workload of the namespace';
    const violation: RuleViolation = {
      path: 'spec.outboundTrafficPolicy.mode',
      message: `outboundTrafficPolicy.mode is ALLOW_ANY: ${selected} can connect to any external host without the egress gateway`,
    };
    return [violation];
  },
  admission: {
    resources: [{ apiGroups: [NETWORKING_GROUP], apiVersions: ['*'], resources: ['sidecars'] }],
    expression: `!${celHas('object.spec.outboundTrafficPolicy.mode')} || object.spec.outboundTrafficPolicy.mode != 'ALLOW_ANY'`,
    message: 'MESH-EGRESS-001 (EGRESS-1): a Sidecar must not set outboundTrafficPolicy.mode ALLOW_ANY: reach external hosts through the egress gateway',
  },
};
