import { NAMESPACE_NAME_LABEL } from '../../network/peers';
import { PolicyRule, RuleContext, RuleObject, RuleSeverity, RuleViolation, isKind } from '../rule';
import { isMeshNamespaceLabels } from './network-control-plane';
import {
  admitsNamespace, admitsPort, allowPolicies, allowedEdges, ingressPoliciesSelectingAll, ingressRulesOf, restrictsIngress,
} from './network-l4-model';

/**
 * Mesh namespaces (by their Namespace object in the set) where no NetworkPolicy restricts ingress:
 * their pods are not isolated, so L4 admits every edge; the missing default deny is NET-DENY-001's
 * one finding, not one finding here per edge.
 */
function unisolatedMeshNamespaces(ctx: RuleContext): Set<string> {
  const isolated = new Set(ctx.objects.filter((o) => isKind(o, 'networking.k8s.io', 'NetworkPolicy') && restrictsIngress(o)).map((o) => o.metadata?.namespace));
  return new Set(ctx.objects
    .filter((o) => isKind(o, '', 'Namespace') && isMeshNamespaceLabels(o.metadata?.labels) && !isolated.has(o.metadata?.name))
    .map((o) => o.metadata!.name!));
}

function labelText(labels: { readonly [key: string]: string }): string {
  const entries = Object.entries(labels);
  return entries.length > 0 ? entries.map(([k, v]) => `${k}=${v}`).join(',') : '(all pods)';
}

/**
 * NET-L4-001 (AUTHZ-4): every mesh ALLOW edge has its NetworkPolicy counterpart.
 *
 * For each ALLOW AuthorizationPolicy with `selector.matchLabels` whose rules name callers by
 * principal (`<td>/ns/<ns>/sa/<sa>`) and ports (`to.operation.ports`), some NetworkPolicy in the
 * policy's namespace that selects all of those pods (podSelector within the policy's labels) and
 * restricts ingress must admit, on each TCP port, the caller's namespace (a namespaceSelector
 * selecting it, e.g. by `kubernetes.io/metadata.name`, or a podSelector-only peer for callers in
 * the same namespace). One violation per missing (caller namespace, port), on the
 * AuthorizationPolicy, with `port`. A mesh namespace of the set with no ingress NetworkPolicy at
 * all is skipped: nothing there drops the edge, and NET-DENY-001 reports the namespace once.
 */
export const NET_L4_001: PolicyRule = {
  id: 'NET-L4-001',
  practices: ['AUTHZ-4'],
  severity: RuleSeverity.ERROR,
  kinds: [],
  title: 'Every L7 ALLOW edge has a matching L4 NetworkPolicy edge',
  explanation:
    'AuthorizationPolicy is enforced by the sidecar; a NetworkPolicy is enforced by the node. Pairing them means a pod '
    + 'that bypasses or lacks a sidecar (excluded ports, a compromised proxy, a non-mesh pod) still cannot reach the '
    + 'workload, and that default-deny namespaces do not silently drop traffic the mesh allows. An ALLOW without its '
    + 'L4 counterpart is either unprotected at L4 or broken.',
  fix:
    'Add (or widen) a NetworkPolicy in the workload namespace that selects the same pods and allows ingress from the '
    + `caller's namespace (namespaceSelector on ${NAMESPACE_NAME_LABEL}) on the same TCP ports; SecureService.allowFrom `
    + 'writes both sides. A PolicyException is right only when another layer (e.g. a CNI-level policy the library does '
    + 'not see) provides the L4 edge.',
  check() {
    return [];
  },
  checkAll(ctx) {
    const out: { object: RuleObject; violation: RuleViolation }[] = [];
    const unisolated = unisolatedMeshNamespaces(ctx);
    for (const policy of allowPolicies(ctx)) {
      if (policy.matchLabels === undefined || unisolated.has(policy.namespace)) continue;
      const labels = policy.matchLabels;
      const ingressRules = ingressPoliciesSelectingAll(ctx, policy.namespace, labels).flatMap((np) => ingressRulesOf(np).map(({ rule }) => rule));
      const seen = new Set<string>();
      for (const edge of allowedEdges(policy.object)) {
        const key = `${edge.callerNamespace}:${edge.port}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const admitted = ingressRules.some((rule) =>
          admitsPort(rule, edge.port) && admitsNamespace(ctx, rule, policy.namespace, edge.callerNamespace));
        if (admitted) continue;
        out.push({
          object: policy.object,
          violation: {
            path: edge.path,
            port: edge.port,
            message: `allows ${edge.principal} (namespace "${edge.callerNamespace}") on port ${edge.port}, but no NetworkPolicy in `
              + `"${policy.namespace}" selecting ${labelText(labels)} admits namespace "${edge.callerNamespace}" on TCP ${edge.port}`,
          },
        });
      }
    }
    return out;
  },
};
