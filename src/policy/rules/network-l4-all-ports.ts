import { PolicyRule, RuleObject, RuleSeverity, RuleViolation, isKind, objectRef } from '../rule';
import { admitsEveryPort, allowPoliciesIn, ingressRulesOf, podSelectorOf, restrictsIngress } from './network-l4-model';
import { selectorMayOverlap } from './network-label-selector';

/**
 * NET-L4-002 (AUTHZ-4, NETPOL-1): a NetworkPolicy ingress rule for pods that a mesh ALLOW
 * policy governs lists its ports.
 *
 * A rule is reported when the NetworkPolicy restricts ingress, the rule has no `ports`, and its
 * podSelector may select a pod that an ALLOW AuthorizationPolicy in the same namespace selects
 * (by `selector.matchLabels`, or every pod for a policy without selector, such as the namespace
 * allow-nothing policy). WARNING: the traffic is still subject to mesh policy on captured ports.
 */
export const NET_L4_002: PolicyRule = {
  id: 'NET-L4-002',
  practices: ['AUTHZ-4', 'NETPOL-1'],
  severity: RuleSeverity.WARNING,
  kinds: [],
  title: 'NetworkPolicy ingress rules for mesh-authorized pods list their ports',
  explanation:
    'An ingress rule without ports admits every port, including ports the sidecar does not capture (excluded inbound '
    + 'ports, the sidecar\'s own admin and stats ports) where no AuthorizationPolicy applies. L4 policy should allow only '
    + 'the ports that mesh policy enforces.',
  fix:
    'Add `ports` (protocol TCP and the port numbers the AuthorizationPolicy allows) to the ingress rule; SecureService '
    + 'writes them for you. A PolicyException is right for a namespace-internal rule that deliberately admits all ports '
    + 'between pods of one team, with the reason recorded.',
  check() {
    return [];
  },
  checkAll(ctx) {
    const out: { object: RuleObject; violation: RuleViolation }[] = [];
    for (const np of ctx.objects) {
      const ns = np.metadata?.namespace;
      if (!isKind(np, 'networking.k8s.io', 'NetworkPolicy') || typeof ns !== 'string' || !restrictsIngress(np)) continue;
      const open = ingressRulesOf(np).filter(({ rule }) => admitsEveryPort(rule));
      if (open.length === 0) continue;
      const selector = podSelectorOf(np);
      const governing = allowPoliciesIn(ctx, ns).find((p) => p.matchLabels === undefined || selectorMayOverlap(selector, p.matchLabels));
      if (!governing) continue;
      for (const { index } of open) {
        out.push({
          object: np,
          violation: {
            path: `spec.ingress[${index}]`,
            message: `ingress rule ${index} lists no ports, so it admits every port to pods that ${objectRef(governing.object)} governs`
              + ' (including ports the sidecar does not capture)',
          },
        });
      }
    }
    return out;
  },
};
