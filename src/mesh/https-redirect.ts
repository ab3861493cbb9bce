import { ApiObject } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { configError } from '../core/errors';
import { PolicyException } from '../policy/policy-exception';

/**
 * Port 80's redirect, answered with a redirect (INGRESS-1).
 *
 * The gateway's port-80 server has `tls.httpsRedirect: true`: Istio marks its virtual hosts
 * `require_tls: ALL`, and Envoy's router (the last HTTP filter) answers every request with a 301
 * to https. The RBAC filter of the gateway's ALLOW AuthorizationPolicy runs earlier in the same
 * HTTP filter chain, so a request that matches no ALLOW rule (no end-user token, a non-public
 * route) is refused with 403 before the router can redirect it (istio/istio#36498: "the
 * AuthorizationPolicy takes precedence over the redirect"; the answer was to exclude port 80 from
 * the policy). A browser that types the bare host then gets "RBAC: access denied", not the
 * HTTPS page.
 *
 * The fix is a separate ALLOW policy with one rule: the HTTP target port only (the container
 * port behind Service port 80; AuthorizationPolicy ports are workload ports, istio/api#3075) and
 * the gateway's hosts only, each also as `host:80` (a client may send the port in the Host
 * header, and `hosts` is an exact match: istio/istio#44080). It is safe because every request on
 * that server is redirected: the server routes nothing, so nothing is served in plaintext and no
 * backend is reachable through the rule; requests for other hosts or ports stay denied.
 *
 * The rule names no caller (a tokenless browser has no identity), so it breaks MESH-AUTHZ-004
 * and takes a PolicyException for MESH-AUTHZ-004 covering exactly this policy: anonymous access,
 * even to a redirect, is an owned, visible decision.
 */

/** The rule id the redirect rule relaxes. */
export const REDIRECT_RULE_ID = 'MESH-AUTHZ-004';

/** The hosts the redirect rule matches: each gateway host, bare and with `:80`. */
export function redirectHosts(hosts: readonly string[]): string[] {
  return hosts.flatMap((h) => [h, `${h}:80`]).sort();
}

/** Throws unless `exception` relaxes MESH-AUTHZ-004 and covers the redirect policy `ref`. */
export function checkRedirectException(scope: IConstruct, field: string, exception: unknown, ref: string): PolicyException {
  if (!(exception instanceof PolicyException)) {
    throw configError(scope, field, 'not a PolicyException', `Create a PolicyException for ${REDIRECT_RULE_ID} covering "${ref}", with a justification, an owner and an expiry date`);
  }
  if (!exception.rules.includes(REDIRECT_RULE_ID)) {
    throw configError(scope, field, `the exception at ${exception.node.path} does not relax ${REDIRECT_RULE_ID} (it relaxes ${exception.rules.join(', ')})`,
      `Use an exception for ${REDIRECT_RULE_ID} made for the redirect`);
  }
  if (!exception.objects.includes(ref)) {
    throw configError(scope, field, `the exception at ${exception.node.path} does not cover ${ref} (it covers ${exception.objects.join(', ')})`,
      `Add "${ref}" to its objects`);
  }
  return exception;
}

/** The ALLOW policy that lets every request to the HTTP server reach its redirect. */
export function redirectAuthorizationPolicy(scope: Construct, name: string, namespace: string,
  podLabels: { [key: string]: string }, httpTargetPort: number, hosts: readonly string[]): ApiObject {
  return new ApiObject(scope, 'HttpsRedirectPolicy', {
    apiVersion: 'security.istio.io/v1',
    kind: 'AuthorizationPolicy',
    metadata: { name, namespace },
    spec: {
      selector: { matchLabels: podLabels },
      action: 'ALLOW',
      rules: [{ to: [{ operation: { ports: [String(httpTargetPort)], hosts: redirectHosts(hosts) } }] }],
    },
  });
}
