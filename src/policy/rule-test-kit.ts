import { RuleContext, RuleObject } from './rule';

/**
 * A RuleContext for objects outside an app (tests, the audit command): mesh layout defaults
 * match Istio's (`istio-system` root and control plane).
 */
export function ruleContext(objects: readonly RuleObject[], overrides: Partial<RuleContext> = {}): RuleContext {
  return {
    objects,
    rootNamespace: overrides.rootNamespace ?? 'istio-system',
    controlPlaneNamespace: overrides.controlPlaneNamespace ?? overrides.rootNamespace ?? 'istio-system',
    meshAdminGroups: overrides.meshAdminGroups ?? [],
    operatorGroups: overrides.operatorGroups ?? [],
    allowedRegistries: overrides.allowedRegistries ?? [],
    ...(overrides.proxyImageRepositories ? { proxyImageRepositories: overrides.proxyImageRepositories } : {}),
    ...(overrides.appNamespaces && overrides.appNamespaces.length > 0 ? { appNamespaces: overrides.appNamespaces } : {}),
  };
}
