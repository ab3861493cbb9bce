import { UNCAPTURED_PROXY_PORTS } from '../../mesh/proxy-ports';
import { PolicyRule, RuleSeverity, RuleViolation } from '../rule';
import {
  CEL_ATTACHES_BY_TARGET_REF, CEL_IS_AUTHORIZATION_POLICY, CEL_NAMES_PROXY_PORT, attachesByTargetRef, describeProxyPort, proxyPortMentions,
} from './mesh-authz-009';
import { AUTHORIZATION_POLICY_KIND, CEL_IS_ALLOW, SECURITY_GROUP, actionOf, isAuthorizationPolicy, specOf } from './mesh-shared';

/** What an ALLOW or AUDIT rule on a proxy port does there: nothing. */
const EFFECT: ReadonlyMap<unknown, string> = new Map([
  ['ALLOW', 'grants nothing and keeps no one out'],
  ['AUDIT', 'logs nothing'],
]);

/**
 * MESH-AUTHZ-010 (AUTHZ-1): ALLOW and AUDIT AuthorizationPolicies do not match the ports the
 * proxy serves itself. A WARNING: such a rule opens nothing, but it misleads.
 *
 * The same ports as MESH-AUTHZ-009 (15020, 15021, 15090: never captured by the sidecar, served by
 * the proxy outside its authorization filters, on gateway pods too), and the same places
 * (`to.operation.ports`, `destination.port` conditions). An ALLOW rule "Prometheus may reach
 * 15090" grants nothing the network did not already let through, and the default deny it seems to
 * rely on ("everyone else may not") does not apply there: who can scrape is decided by
 * NetworkPolicy alone. An AUDIT rule on those ports records nothing. Neither opens a hole, so the
 * rule warns (at synth, in the audit, and as a Warn admission binding that still admits the
 * object) instead of failing.
 *
 * Split from MESH-AUTHZ-009 because a rule has one severity: DENY and CUSTOM rules on these ports
 * are errors there. Negative matches (`notPorts`, `notValues`) are not reported here: in ALLOW
 * policies MESH-AUTHZ-002 refuses them already, and in AUDIT policies they only exempt a port that
 * is never audited anyway. Policies with `targetRef`/`targetRefs` are skipped, as in
 * MESH-AUTHZ-009.
 */
export const MESH_AUTHZ_010: PolicyRule = {
  id: 'MESH-AUTHZ-010',
  practices: ['AUTHZ-1'],
  severity: RuleSeverity.WARNING,
  since: '2',
  kinds: [AUTHORIZATION_POLICY_KIND],
  title: `ALLOW and AUDIT AuthorizationPolicies do not match the proxy's own ports (${UNCAPTURED_PROXY_PORTS.join(', ')})`,
  explanation:
    'The sidecar never captures the ports the proxy serves itself (15020 merged metrics and rewritten probes, 15021 health, 15090 '
    + 'Envoy stats), and gateways serve them outside their authorization filters. An ALLOW rule on one of them grants nothing, and the '
    + 'default deny it seems to lean on does not apply there either: everyone the network lets through reaches the port. An AUDIT rule '
    + 'on them logs nothing. The policy reads as a reviewed, narrow grant while NetworkPolicy alone decides.',
  fix:
    'Remove the proxy port from the rule (the grant is not needed: the metrics and health ports answer without it), and restrict who '
    + 'reaches it with a NetworkPolicy: MeshBaseline monitoringNamespace and monitoringPodLabels for 15020/15090, IngressGateway '
    + 'healthCheckSourceRanges for a gateway\'s 15021. No PolicyException is needed for a warning.',
  check(object) {
    if (!isAuthorizationPolicy(object)) return [];
    const spec = specOf(object);
    const action = actionOf(spec);
    const effect = EFFECT.get(action);
    if (effect === undefined || attachesByTargetRef(spec)) return [];
    return proxyPortMentions(spec).map((m): RuleViolation => ({
      path: m.path,
      port: m.port,
      message: `${action} rule matches ${describeProxyPort(m.port)} in ${m.field}, which the proxy serves itself outside its authorization `
        + `filters (never captured by the sidecar): it ${effect} there; only a NetworkPolicy decides who reaches that port`,
    }));
  },
  admission: {
    resources: [{ apiGroups: [SECURITY_GROUP], apiVersions: ['*'], resources: ['authorizationpolicies'] }],
    expression: `!${CEL_IS_AUTHORIZATION_POLICY} || !has(object.spec) || !(${CEL_IS_ALLOW} || object.spec.action == 'AUDIT') `
      + `|| ${CEL_ATTACHES_BY_TARGET_REF} || !${CEL_NAMES_PROXY_PORT}`,
    message: `MESH-AUTHZ-010 (AUTHZ-1): an ALLOW or AUDIT AuthorizationPolicy that matches ports ${UNCAPTURED_PROXY_PORTS.join(', ')} `
      + '(operation.ports, destination.port) governs nothing there: the sidecar never captures them; restrict them with a NetworkPolicy',
  },
};
