import { AdmissionCheck, PolicyRule, RuleContext, RuleObject, RuleSeverity, RuleViolation, isKind } from '../rule';
import { GATEWAY_API_GROUP, gatewayPods, gatewayRefs, policyScope } from './mesh-gateway-scope';
import { SECURITY_GROUP, jwtRulesOf } from './mesh-shared';
import { celString, celStrings } from './workload-pod-specs';

/**
 * The admission form for the app's gateways (written in by AdmissionGuardrails): a
 * RequestAuthentication applies to an edge gateway when, as in `policyScope`, a `targetRef(s)`
 * names an edge Gateway API Gateway of its namespace or its class; it has no selector and sits in
 * the root namespace or an edge gateway's namespace; or its `matchLabels` are all carried by an
 * edge gateway's pods of its namespace (any namespace, from the root). Such a policy may not set
 * `forwardOriginalToken: true`. Without edge gateways in the app, every policy is admitted.
 */
function edgeAdmission(ctx: RuleContext): AdmissionCheck {
  const edge = gatewayPods(ctx).filter((p) => p.edge);
  const spec = 'object.spec';
  const ns = "(has(object.metadata.namespace) ? object.metadata.namespace : '')";
  const inRoot = `${ns} == ${celString(ctx.rootNamespace)}`;
  const refs = (field: string, single: boolean) => {
    const named = edge.filter((p) => isKind(p.gateway, GATEWAY_API_GROUP, 'Gateway'));
    const byName = named.map((p) => `(r.kind == 'Gateway' && r.name == ${celString(String(p.gateway.metadata?.name))} && ${ns} == ${celString(p.namespace ?? '')})`);
    const classes = [...new Set(named.map((p) => p.gateway.spec?.gatewayClassName).filter((c): c is string => typeof c === 'string'))];
    const terms = [...byName, ...(classes.length ? [`(r.kind == 'GatewayClass' && r.name in ${celStrings(classes)})`] : [])];
    if (terms.length === 0) return 'false';
    const test = terms.join(' || ');
    return single ? `(has(${spec}.${field}) && [${spec}.${field}].exists(r, has(r.kind) && has(r.name) && (${test})))`
      : `(has(${spec}.${field}) && ${spec}.${field}.exists(r, has(r.kind) && has(r.name) && (${test})))`;
  };
  const hasRefs = `(has(${spec}.targetRef) || (has(${spec}.targetRefs) && size(${spec}.targetRefs) > 0))`;
  const labels = `${spec}.selector.matchLabels`;
  const hasLabels = `(has(${spec}.selector) && has(${labels}) && size(${labels}) > 0)`;
  const namespaces = [...new Set(edge.map((p) => p.namespace ?? ''))].sort();
  const bySelector = edge.map((p) => {
    const podLabels = `{${Object.entries(p.labels).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${celString(k)}: ${celString(v)}`).join(', ')}}`;
    return `((${inRoot} || ${ns} == ${celString(p.namespace ?? '')}) && ${labels}.all(k, k in ${podLabels} && ${labels}[k] == ${podLabels}[k]))`;
  });
  const appliesToEdge = edge.length === 0 ? 'false' : `(${hasRefs} ? (${refs('targetRef', true)} || ${refs('targetRefs', false)}) : `
    + `(${hasLabels} ? (${bySelector.join(' || ')}) : (${inRoot} || ${ns} in ${celStrings(namespaces)})))`;
  const forwards = `(has(${spec}.jwtRules) && ${spec}.jwtRules.exists(j, has(j.forwardOriginalToken) && j.forwardOriginalToken == true))`;
  return {
    resources: [{ apiGroups: [SECURITY_GROUP], apiVersions: ['*'], resources: ['requestauthentications'] }],
    expression: `object.kind != 'RequestAuthentication' || !${forwards} || !${appliesToEdge}`,
    message: 'MESH-JWT-003: a RequestAuthentication that applies to an edge gateway may not set forwardOriginalToken: true '
      + '(the external token would travel on into the mesh); exchange it at the edge or copy claims to headers',
  };
}

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
 * At admission, whether a RequestAuthentication applies to an edge gateway depends on the Gateway
 * objects and their selectors, which the request does not carry: AdmissionGuardrails writes the
 * app's edge gateways (namespaces, pod labels, Gateway API names and classes) into the policy
 * (`admissionFor`). A gateway added later by another repository is the audit's to see.
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
  admissionFor: edgeAdmission,
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
