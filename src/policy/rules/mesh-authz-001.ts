import { PolicyRule, RuleContext, RuleObject, RuleSeverity, objectRef } from '../rule';
import { actionOf, isAuthorizationPolicy, isEmptySelector, isNonEmptyList, isSet, specOf } from './mesh-shared';

/**
 * Whether `object` is a mesh-wide allow-nothing AuthorizationPolicy: in the root namespace, no
 * selector or target refs, action ALLOW (or absent), no rules.
 */
export function isMeshAllowNothing(object: RuleObject, context: RuleContext): boolean {
  if (!isAuthorizationPolicy(object) || object.metadata?.namespace !== context.rootNamespace) return false;
  const spec = specOf(object);
  return isEmptySelector(spec.selector)
    && !isSet(spec.targetRef)
    && !isNonEmptyList(spec.targetRefs)
    && actionOf(spec) === 'ALLOW'
    && !isNonEmptyList(spec.rules);
}

/**
 * MESH-AUTHZ-001 (AUTHZ-1): default deny for the whole mesh, through a mesh-wide allow-nothing
 * AuthorizationPolicy in the root namespace.
 *
 * Istio denies a request only when some ALLOW policy selects the workload and none matches; a
 * workload that no ALLOW policy selects accepts everything. The empty ALLOW policy in the root
 * namespace selects every workload and matches nothing, so only explicit ALLOW rules open access.
 */
export const MESH_AUTHZ_001: PolicyRule = {
  id: 'MESH-AUTHZ-001',
  practices: ['AUTHZ-1'],
  severity: RuleSeverity.ERROR,
  kinds: [],
  title: 'A mesh-wide allow-nothing AuthorizationPolicy exists in the mesh root namespace',
  explanation:
    'Istio allows every request to a workload that no ALLOW AuthorizationPolicy selects. Without a mesh-wide allow-nothing '
    + 'policy (root namespace, no selector, no rules), any workload whose own policies are missing or were deleted is open to '
    + 'every caller: the mesh is default-allow, not default-deny.',
  fix:
    'Add an AuthorizationPolicy in the mesh root namespace with an empty spec (`spec: {}`: no selector, no targetRefs, no '
    + 'rules, action ALLOW), as MeshBaseline does, and open access with per-workload ALLOW rules. A selector, a targetRef, a '
    + 'rule or a DENY action turns it into something else. There is no exception for this: it is the base of AUTHZ-1. If the '
    + 'mesh root namespace is not the one checked, set rootNamespace (secure-mesh.yaml, --root-namespace, the plugin property rootNamespace).',
  check() {
    return [];
  },
  checkAll(context) {
    if (context.objects.some((o) => isMeshAllowNothing(o, context))) return [];
    const nearMisses = context.objects
      .filter((o) => isAuthorizationPolicy(o) && o.metadata?.namespace === context.rootNamespace)
      .map(objectRef);
    const seen = nearMisses.length > 0
      ? ` (the root namespace has ${nearMisses.join(', ')}, but none is allow-nothing: no selector, no targetRef(s), action ALLOW, no rules)`
      : '';
    return [{
      object: undefined,
      violation: {
        path: '',
        message: `no mesh-wide allow-nothing AuthorizationPolicy in the mesh root namespace "${context.rootNamespace}": `
          + `workloads that no ALLOW policy selects accept every request${seen}`,
      },
    }];
  },
};
