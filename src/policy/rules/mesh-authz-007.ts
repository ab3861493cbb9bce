import { PolicyRule, RuleSeverity, isKind } from '../rule';
import { AUTHORIZATION_POLICY_KIND, CEL_IS_ALLOW, SECURITY_GROUP, actionOf, celString, isEmptySelector, isNonEmptyList, isSet, specOf } from './mesh-shared';

/**
 * MESH-AUTHZ-007 (AUTHZ-1): no ALLOW policy with rules applies to every workload of the mesh.
 * Its admission form needs the root namespace: `admissionFor` writes it in.
 *
 * An AuthorizationPolicy in the mesh root namespace without a selector or target refs applies
 * to every workload in every namespace. With no rules it is the mesh-wide allow-nothing (the base
 * of default deny); with rules, each rule opens the same access on every workload of the mesh,
 * including ones that were never meant to accept those callers. Workload-scoped grants belong
 * to the workload (a selector, in the workload's namespace).
 */
export const MESH_AUTHZ_007: PolicyRule = {
  id: 'MESH-AUTHZ-007',
  practices: ['AUTHZ-1'],
  severity: RuleSeverity.ERROR,
  kinds: [AUTHORIZATION_POLICY_KIND],
  title: 'No ALLOW policy with rules applies to every workload (root namespace, no selector)',
  explanation:
    'An AuthorizationPolicy in the mesh root namespace without a selector or targetRefs applies to every workload in every '
    + 'namespace. Without rules it is the mesh-wide allow-nothing; with rules, whatever they allow is allowed on every '
    + 'workload of the mesh, present and future, which undoes default deny for those callers everywhere.',
  fix:
    'Keep the mesh-wide policy empty (allow-nothing) and grant per workload: a policy with a selector in the target\'s '
    + 'namespace (SecureService.allowFrom does this). A rule that must hold everywhere is a DENY (or CUSTOM) policy, not an '
    + 'ALLOW one. If the mesh root namespace is not the one checked, set rootNamespace (secure-mesh.yaml, --root-namespace, '
    + 'the plugin property rootNamespace).',
  admissionFor: (context) => ({
    resources: [{ apiGroups: [SECURITY_GROUP], apiVersions: ['*'], resources: ['authorizationpolicies'] }],
    expression: '!(has(object.kind) && object.kind == \'AuthorizationPolicy\') '
      + `|| !(has(object.metadata.namespace) && object.metadata.namespace == ${celString(context.rootNamespace)}) || !has(object.spec) `
      + `|| !${CEL_IS_ALLOW} || (has(object.spec.selector) && has(object.spec.selector.matchLabels) && size(object.spec.selector.matchLabels) > 0) `
      + '|| has(object.spec.targetRef) || (has(object.spec.targetRefs) && size(object.spec.targetRefs) > 0) '
      + '|| !has(object.spec.rules) || size(object.spec.rules) == 0',
    message: `MESH-AUTHZ-007 (AUTHZ-1): an ALLOW AuthorizationPolicy in the mesh root namespace ${context.rootNamespace} must have a selector `
      + 'or no rules (it would apply to every workload); grant per workload',
  }),
  check(object, context) {
    if (!isKind(object, SECURITY_GROUP, 'AuthorizationPolicy') || object.metadata?.namespace !== context.rootNamespace) return [];
    const spec = specOf(object);
    if (actionOf(spec) !== 'ALLOW' || !isEmptySelector(spec.selector) || isSet(spec.targetRef) || isNonEmptyList(spec.targetRefs)) return [];
    if (!isNonEmptyList(spec.rules)) return [];
    return [{
      path: 'spec.rules',
      message: `an ALLOW policy in the mesh root namespace "${context.rootNamespace}" without a selector applies its `
        + `${(spec.rules as unknown[]).length} rule(s) to every workload of the mesh`,
    }];
  },
};

