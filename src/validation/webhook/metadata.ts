/**
 * Metadata rules applied by `validateMetadata` to every kind before its own validator (M-1, M-2).
 */
import { isObject, str, violation } from './common';
import { KubeObject, WebhookViolation } from './types';

/** The dry-run annotation, only meaningful on AuthorizationPolicy. */
export const DRY_RUN_ANNOTATION = 'istio.io/dry-run';

/** Internal annotations users may not set (M-2). */
export const ALWAYS_REJECT_ANNOTATION = 'internal.istio.io/webhook-always-reject';
export const INTERNAL_PARENT_NAMESPACE_ANNOTATION = 'internal.istio.io/parent-namespace';
export const INTERNAL_PARENT_NAMES_ANNOTATION = 'internal.istio.io/parents';

const GO_BOOLS = ['1', 't', 'T', 'TRUE', 'true', 'True', '0', 'f', 'F', 'FALSE', 'false', 'False'];

/** M-1: `istio.io/dry-run` only on AuthorizationPolicy, a Go bool, and only with action ALLOW or DENY. */
export function validateDryRun(obj: KubeObject, isAuthorizationPolicy: boolean): WebhookViolation[] {
  const annotations = obj.metadata?.annotations;
  if (!isObject(annotations) || !(DRY_RUN_ANNOTATION in annotations)) return [];
  const path = ['metadata', 'annotations', DRY_RUN_ANNOTATION];
  if (!isAuthorizationPolicy) {
    return [violation(path, 'M-1', `unsupported annotation ${DRY_RUN_ANNOTATION}: it is only supported on AuthorizationPolicy, remove it`)];
  }
  const action = isObject(obj.spec) ? str(obj.spec.action) || 'ALLOW' : 'ALLOW';
  if (action !== 'ALLOW' && action !== 'DENY') {
    return [violation(path, 'M-1', `the annotation ${DRY_RUN_ANNOTATION} currently only supports action ALLOW/DENY, found action ${action}`)];
  }
  const value = annotations[DRY_RUN_ANNOTATION];
  if (typeof value !== 'string' || !GO_BOOLS.includes(value)) {
    return [violation(path, 'M-1', `annotation ${DRY_RUN_ANNOTATION} has invalid value (${String(value)}): use "true" or "false"`)];
  }
  return [];
}

/** M-2: internal annotations (`webhook-always-reject`, parent namespace/names) are rejected. */
export function validateInternalAnnotations(obj: KubeObject): WebhookViolation[] {
  const annotations = obj.metadata?.annotations;
  if (!isObject(annotations)) return [];
  return [ALWAYS_REJECT_ANNOTATION, INTERNAL_PARENT_NAMESPACE_ANNOTATION, INTERNAL_PARENT_NAMES_ANNOTATION]
    .filter((a) => a in annotations)
    .map((a) => violation(['metadata', 'annotations', a], 'M-2',
      `"${a}" annotation found: it is internal to Istio and may not be set by users, remove it`));
}

/** M-1 + M-2 for an object of the given kind. */
export function validateMetadata(obj: KubeObject, kind: string): WebhookViolation[] {
  return [...validateDryRun(obj, kind === 'AuthorizationPolicy'), ...validateInternalAnnotations(obj)];
}
