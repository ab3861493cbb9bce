import { PolicyRule, RuleSeverity } from '../rule';
import { AUTHORIZATION_POLICY_KIND, SECURITY_GROUP, celStrings, isAuthorizationPolicy } from './mesh-shared';

/** Istio's annotation that puts an AuthorizationPolicy in dry-run: evaluated and logged, never enforced. */
export const DRY_RUN_ANNOTATION = 'istio.io/dry-run';

/** The annotation values Istio reads as true (Go's strconv.ParseBool). */
export const DRY_RUN_TRUE = ['1', 't', 'T', 'TRUE', 'true', 'True'];

/**
 * MESH-AUTHZ-008 (AUTHZ-1): AuthorizationPolicies are enforced, not in dry-run.
 *
 * `istio.io/dry-run: "true"` makes Istio evaluate a policy and only log what it would have
 * decided. A DENY policy in dry-run denies nothing; an ALLOW policy in dry-run (the mesh-wide
 * allow-nothing included) no longer selects its workloads for enforcement, so they can fall back
 * to default-allow. Dry-run is Istio's documented way to roll default deny out on a running
 * cluster: do it as a declared, expiring step (MeshBaseline `allowNothingDryRun` with a
 * PolicyException), never as a silent annotation.
 */
export const MESH_AUTHZ_008: PolicyRule = {
  id: 'MESH-AUTHZ-008',
  practices: ['AUTHZ-1'],
  severity: RuleSeverity.ERROR,
  kinds: [AUTHORIZATION_POLICY_KIND],
  title: 'AuthorizationPolicies are enforced (no istio.io/dry-run), except in a declared, expiring rollout',
  explanation:
    'An AuthorizationPolicy annotated istio.io/dry-run: "true" is evaluated and logged but not enforced: a DENY policy in '
    + 'dry-run denies nothing, and an ALLOW policy in dry-run (the mesh-wide allow-nothing included) no longer protects the '
    + 'workloads it selects. Left in place after a rollout, the annotation silently turns default deny off.',
  fix:
    'Remove the istio.io/dry-run annotation. To roll out default deny on a running cluster, declare the phase: MeshBaseline '
    + '`allowNothingDryRun` with a PolicyException for MESH-AUTHZ-008 (owner, reason, expiry), watch the dry-run results in the '
    + 'proxy logs and metrics, and remove it before it expires.',
  check(object) {
    if (!isAuthorizationPolicy(object)) return [];
    const value = object.metadata?.annotations?.[DRY_RUN_ANNOTATION];
    if (typeof value !== 'string' || !DRY_RUN_TRUE.includes(value)) return [];
    return [{
      path: `metadata.annotations.${DRY_RUN_ANNOTATION}`,
      message: `the policy is in dry-run (${DRY_RUN_ANNOTATION}: "${value}"): Istio logs what it would decide and enforces nothing`,
    }];
  },
  admission: {
    resources: [{ apiGroups: [SECURITY_GROUP], apiVersions: ['*'], resources: ['authorizationpolicies'] }],
    expression: `!has(object.metadata.annotations) || !('${DRY_RUN_ANNOTATION}' in object.metadata.annotations)`
      + ` || !(object.metadata.annotations['${DRY_RUN_ANNOTATION}'] in ${celStrings(DRY_RUN_TRUE)})`,
    message: 'MESH-AUTHZ-008 (AUTHZ-1): an AuthorizationPolicy must be enforced: remove the istio.io/dry-run annotation (roll out default deny as a declared, expiring PolicyException)',
  },
};
