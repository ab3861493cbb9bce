import { PolicyRule, RuleSeverity, isKind, kindKey } from '../rule';
import { CEL_ATTACHES_BY_TARGET_REF, CEL_IN_AMBIENT_NAMESPACE, attachesByTargetRef, inAmbientNamespace } from './ambient-namespaces';
import { SECURITY_GROUP, isSet, specOf } from './mesh-shared';
import { celIsKind } from './workload-pod-specs';

/**
 * MESH-AMBIENT-002 (JWT-1): in an ambient namespace, a RequestAuthentication attaches to the
 * waypoint with `targetRefs`.
 *
 * Only a waypoint validates JWTs in ambient mode, and a waypoint takes only policies that name it
 * or its Service with `targetRef`/`targetRefs` ("waypoints never use selector": istio/istio
 * pilot/pkg/model/policyattachment.go, `ShouldAttachPolicy`). ztunnel validates no token. So a
 * RequestAuthentication of an ambient namespace bound by `selector`, or namespace-wide, applies to
 * no proxy of the namespace's ambient pods: the JWT requirement silently does nothing. Tokens are
 * never verified, and an authorization rule requiring `requestPrincipals` sees none (at a
 * waypoint it then denies every request; at ztunnel MESH-AMBIENT-001 reports it).
 *
 * What is allowed after it: RequestAuthentications with targetRef(s) (a Service behind the
 * waypoint, the waypoint Gateway, a gateway); any RequestAuthentication outside an ambient
 * namespace (sidecars and gateways validate tokens there). Not covered: one that selects a
 * sidecar pod or an Istio gateway living in an ambient namespace (Envoy applies it there: declare
 * a PolicyException); mesh-wide ones in the root namespace, which is not itself ambient.
 */
export const MESH_AMBIENT_002: PolicyRule = {
  id: 'MESH-AMBIENT-002',
  practices: ['JWT-1'],
  severity: RuleSeverity.ERROR,
  since: '2',
  kinds: [kindKey(SECURITY_GROUP, 'RequestAuthentication')],
  title: 'In ambient namespaces, RequestAuthentications attach to the waypoint with targetRefs (ztunnel validates no JWT)',
  explanation:
    'In ambient mode only a waypoint validates JWTs, and a waypoint applies only policies that name it or its Service with targetRefs. '
    + 'A RequestAuthentication of an ambient namespace bound by selector, or namespace-wide, reaches no proxy of the ambient pods: no '
    + 'token is verified, the JWT requirement silently does nothing, and a rule requiring requestPrincipals never sees one.',
  fix:
    'Give the RequestAuthentication targetRefs to the Service (group "", kind Service) whose waypoint must validate the tokens, label the '
    + 'Service istio.io/use-waypoint, and require a request principal in an AuthorizationPolicy attached the same way, as '
    + 'SecureService.requireJwt does in an ambient namespace. When it selects a sidecar pod or an Istio gateway that lives in the ambient '
    + 'namespace, declare a PolicyException for it.',
  check(object, context) {
    if (!isKind(object, SECURITY_GROUP, 'RequestAuthentication') || !inAmbientNamespace(object, context)) return [];
    const spec = specOf(object);
    if (attachesByTargetRef(spec)) return [];
    const namespace = object.metadata?.namespace;
    const selected = isSet(spec.selector);
    return [{
      path: selected ? 'spec.selector' : '',
      message: `RequestAuthentication in ambient namespace ${namespace} is ${selected ? 'bound by its selector' : 'namespace-wide (no selector, no targetRefs)'}: `
        + 'ztunnel validates no JWT and waypoints ignore it, so no token is verified (attach it to the Service or waypoint with targetRefs)',
    }];
  },
  admission: {
    resources: [{ apiGroups: [SECURITY_GROUP], apiVersions: ['*'], resources: ['requestauthentications'] }],
    expression: `!${celIsKind(SECURITY_GROUP, ['RequestAuthentication'])} || !(${CEL_IN_AMBIENT_NAMESPACE}) || ${CEL_ATTACHES_BY_TARGET_REF}`,
    message: 'MESH-AMBIENT-002 (JWT-1): in an ambient namespace a RequestAuthentication must attach to the waypoint with targetRefs: '
      + 'bound by selector or namespace-wide, nothing validates its tokens',
  },
};
