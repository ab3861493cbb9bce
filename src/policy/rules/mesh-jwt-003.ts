import { PolicyRule, RuleObject, RuleSeverity, RuleViolation, isKind } from '../rule';
import { gatewayPods, gatewayRefs, policyScope } from './mesh-gateway-scope';
import { SECURITY_GROUP, jwtRulesOf } from './mesh-shared';

/**
 * MESH-JWT-003 (TOKEN-1): the edge does not forward the external token into the mesh.
 *
 * A RequestAuthentication that applies to the pods of an edge gateway (see `mesh-gateway-scope.ts`:
 * a selector carried by the pods of an Istio `Gateway` with a server open to clients without a
 * mesh identity, no selector in the gateway's namespace or in the mesh root namespace, or a
 * `targetRef` to a Gateway API Gateway) must not set `forwardOriginalToken: true` on any of its
 * `jwtRules`. Istio then removes the verified token from the request at the gateway (its default),
 * so the long-lived external token never reaches a mesh service, where a compromised workload,
 * a log or a trace could capture and replay it. Services behind the edge get what the edge
 * derives from it instead: an exchanged internal token (IngressGateway `tokenExchange`) or claims
 * in application headers (`outputClaimToHeaders`).
 *
 * What stays allowed: `forwardOriginalToken: false` or unset at the edge, and
 * `forwardOriginalToken: true` on RequestAuthentications of in-mesh services (an internal token
 * passed on to the application).
 *
 * No admission form: whether a RequestAuthentication applies to an edge gateway depends on the
 * Gateway objects and their selectors, which the admission request does not carry. Flagging every
 * `forwardOriginalToken: true` would refuse legitimate in-mesh token propagation.
 */
export const MESH_JWT_003: PolicyRule = {
  id: 'MESH-JWT-003',
  practices: ['TOKEN-1'],
  severity: RuleSeverity.ERROR,
  since: '2',
  kinds: [],
  title: 'RequestAuthentications at the edge gateway do not forward the original token (forwardOriginalToken is not true)',
  explanation:
    'A RequestAuthentication that applies to an edge gateway verifies the long-lived token of an external issuer. With '
    + 'forwardOriginalToken: true the gateway keeps that token in the request it sends into the mesh, so every service on the '
    + 'path receives a credential it does not need: a compromised workload, an access log or a trace can capture it and replay '
    + 'it at the edge, with the user\'s full rights and lifetime. TOKEN-1 keeps external tokens at the edge and gives mesh '
    + 'services short-lived internal tokens.',
  fix:
    'Remove forwardOriginalToken or set it to false (IngressGateway writes false); give services what they need through a token '
    + 'exchange at the edge (IngressGateway tokenExchange: services then accept only the internal issuer) or claims copied to '
    + 'application headers (outputClaimToHeaders). There is no exception for forwarding the external token into the mesh.',
  check() {
    return [];
  },
  checkAll(context) {
    const pods = gatewayPods(context);
    const out: { object: RuleObject; violation: RuleViolation }[] = [];
    for (const object of context.objects) {
      if (!isKind(object, SECURITY_GROUP, 'RequestAuthentication')) continue;
      const rules = jwtRulesOf(object).filter(({ rule }) => rule.forwardOriginalToken === true);
      if (rules.length === 0) continue;
      const scope = policyScope(object, pods, context);
      if (scope.edgeGateways.length === 0) continue;
      for (const { rule, index } of rules) {
        const issuer = typeof rule.issuer === 'string' ? `issuer "${rule.issuer}"` : 'its issuer';
        out.push({
          object,
          violation: {
            path: `spec.jwtRules[${index}].forwardOriginalToken`,
            message: `forwardOriginalToken is true and the RequestAuthentication (${scope.how}) applies to the edge gateway `
              + `${gatewayRefs(scope.edgeGateways)}: the external token of ${issuer} travels on into the mesh`,
          },
        });
      }
    }
    return out;
  },
};
