import { isMeshNamespaceLabels } from './network-control-plane';
import {
  AllowedCaller, WaypointRef, admitsNamespace, admitsPods, admitsPort, allowPolicies, allowPoliciesIn, allowedCallers, allowedEdges, findNamed,
  gatewayWaypoint, ingressPoliciesSelectingAll, ingressRulesOf, isWaypointPrincipal, l4PortOf, namespaceDataPlane, restrictsIngress, serviceSelector,
  serviceWaypoint, targetedAllowPolicies, waypointPodLabels,
} from './network-l4-model';
import { Labels, selectorSelectsAllWith } from './network-label-selector';
import { HBONE_PORT } from '../../mesh/data-plane';
import { NAMESPACE_NAME_LABEL } from '../../network/peers';
import { PolicyRule, RuleContext, RuleObject, RuleSeverity, RuleViolation, isKind } from '../rule';

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
 * Whether some ingress NetworkPolicy of `namespace` selecting every pod with `labels` admits pods
 * of `callerNamespace` (those with `callerPods`, when the caller's pods are known: a waypoint's) on TCP `port`.
 */
function admitted(ctx: RuleContext, namespace: string, labels: Labels, callerNamespace: string, port: number, callerPods?: Labels): boolean {
  return ingressPoliciesSelectingAll(ctx, namespace, labels).some((np) => ingressRulesOf(np).some(({ rule }) => admitsPort(rule, port)
    && (callerPods ? admitsPods(ctx, rule, namespace, callerNamespace, callerPods) : admitsNamespace(ctx, rule, namespace, callerNamespace))));
}

/** The waypoint of the set (a Gateway of class istio-waypoint) whose identity `principal` is, if any. */
function waypointOfPrincipal(ctx: RuleContext, principal: string): WaypointRef | undefined {
  const m = /^[^/]+\/ns\/([^/]+)\/sa\/([^/]+)$/.exec(principal);
  return m ? gatewayWaypoint(ctx, m[1], m[2]) : undefined;
}

/** Why an edge arrives as HBONE, for messages. */
function hboneReason(ctx: RuleContext, callerNamespace: string, targetNamespace: string, waypoint: WaypointRef | undefined): string {
  if (waypoint) return `the waypoint reaches the pods of "${targetNamespace}" as HBONE on TCP ${HBONE_PORT}`;
  return namespaceDataPlane(ctx, targetNamespace) === 'ambient'
    ? `"${targetNamespace}" is ambient, so the connection reaches its pods as HBONE on TCP ${HBONE_PORT}`
    : `"${callerNamespace}" is ambient, so its pods reach the sidecar pods of "${targetNamespace}" as HBONE on TCP ${HBONE_PORT}`;
}

/**
 * The edges of the selector-bound ALLOW policies (the sidecar's or ztunnel's): one finding per
 * missing (caller namespace, L4 port).
 */
function selectorEdgeFindings(ctx: RuleContext, unisolated: Set<string>): { object: RuleObject; violation: RuleViolation }[] {
  const out: { object: RuleObject; violation: RuleViolation }[] = [];
  for (const policy of allowPolicies(ctx)) {
    if (policy.matchLabels === undefined || unisolated.has(policy.namespace)) continue;
    const labels = policy.matchLabels;
    const seen = new Set<string>();
    for (const edge of allowedEdges(policy.object)) {
      // A waypoint speaks HBONE to every pod it serves, sidecar pods included.
      const waypoint = waypointOfPrincipal(ctx, edge.principal);
      const port = waypoint ? HBONE_PORT : l4PortOf(ctx, edge.callerNamespace, policy.namespace, edge.port);
      const key = `${edge.callerNamespace}:${port}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const callerPods = waypoint ? waypointPodLabels(waypoint) : undefined;
      if (admitted(ctx, policy.namespace, labels, edge.callerNamespace, port, callerPods)) continue;
      const who = callerPods ? `the pods of waypoint "${waypoint!.namespace}/${waypoint!.name}" (${labelText(callerPods)})` : `namespace "${edge.callerNamespace}"`;
      const missing = `no NetworkPolicy in "${policy.namespace}" selecting ${labelText(labels)} admits ${who} on TCP ${port}`;
      let message: string;
      if (port === edge.port) {
        message = `allows ${edge.principal} (namespace "${edge.callerNamespace}") on port ${edge.port}, but ${missing}`;
      } else {
        const appPortOnly = admitted(ctx, policy.namespace, labels, edge.callerNamespace, edge.port, callerPods)
          ? ` (one admits it on TCP ${edge.port}, the app port, which HBONE traffic never uses)` : '';
        message = `allows ${edge.principal} (namespace "${edge.callerNamespace}") on port ${edge.port}; ${hboneReason(ctx, edge.callerNamespace, policy.namespace, waypoint)}, `
          + `but ${missing}${appPortOnly}`;
      }
      out.push({ object: policy.object, violation: { path: edge.path, port, message } });
    }
  }
  return out;
}

/**
 * Whether a selector-bound ALLOW policy of `namespace` that applies to every pod with `labels`
 * allows the waypoint's principal on some port: its own edges (checked by
 * {@link selectorEdgeFindings}) are then the waypoint → pods hop, and the hop is not reported twice.
 */
function hopCoveredBySelectorPolicy(ctx: RuleContext, namespace: string, labels: Labels, waypoint: WaypointRef): boolean {
  return allowPoliciesIn(ctx, namespace).some((p) => p.matchLabels !== undefined
    && selectorSelectsAllWith({ matchLabels: p.matchLabels }, labels)
    && allowedEdges(p.object).some((e) => isWaypointPrincipal(e.principal, waypoint)));
}

/**
 * The edges of the ALLOW policies a waypoint enforces (`targetRefs` to a Service that uses a
 * waypoint, or to a waypoint Gateway): each caller reaches the waypoint's pods on 15008, and the
 * waypoint reaches the Service's pods on 15008.
 */
function waypointEdgeFindings(ctx: RuleContext, unisolated: Set<string>): { object: RuleObject; violation: RuleViolation }[] {
  const out: { object: RuleObject; violation: RuleViolation }[] = [];
  for (const policy of targetedAllowPolicies(ctx)) {
    const callers = allowedCallers(policy.object);
    if (callers.length === 0) continue;
    const seen = new Set<string>();
    for (const target of policy.targets) {
      let waypoint: WaypointRef | undefined;
      let service: RuleObject | undefined;
      if (target.group === '' && target.kind === 'Service') {
        service = findNamed(ctx, 'Service', policy.namespace, target.name);
        waypoint = service ? serviceWaypoint(ctx, service) : undefined;
      } else if (target.group === 'gateway.networking.k8s.io' && target.kind === 'Gateway') {
        waypoint = gatewayWaypoint(ctx, policy.namespace, target.name);
      }
      if (!waypoint) continue;
      const via = service ? `Service "${policy.namespace}/${target.name}", which goes through waypoint "${waypoint.namespace}/${waypoint.name}"`
        : `waypoint "${waypoint.namespace}/${waypoint.name}"`;
      // Hop 1: every caller to the waypoint's pods.
      if (!unisolated.has(waypoint.namespace)) {
        const wpLabels = waypointPodLabels(waypoint);
        for (const caller of callers) {
          const key = `${waypoint.namespace}/${waypoint.name}:${caller.callerNamespace}`;
          if (seen.has(key) || admitted(ctx, waypoint.namespace, wpLabels, caller.callerNamespace, HBONE_PORT)) continue;
          seen.add(key);
          out.push({ object: policy.object, violation: callerHop(caller, via, waypoint, wpLabels) });
        }
      }
      // Hop 2: the waypoint to the Service's pods (when no selector policy for them already names the waypoint).
      const podLabels = service ? serviceSelector(service) : undefined;
      if (!podLabels || unisolated.has(policy.namespace) || hopCoveredBySelectorPolicy(ctx, policy.namespace, podLabels, waypoint)) continue;
      const key = `${target.path}:waypoint`;
      if (seen.has(key) || admitted(ctx, policy.namespace, podLabels, waypoint.namespace, HBONE_PORT, waypointPodLabels(waypoint))) continue;
      seen.add(key);
      out.push({
        object: policy.object,
        violation: {
          path: target.path,
          port: HBONE_PORT,
          message: `allows callers of ${via}; the waypoint's pods reach the Service's pods as HBONE on TCP ${HBONE_PORT}, but no NetworkPolicy `
            + `in "${policy.namespace}" selecting ${labelText(podLabels)} admits the waypoint's pods (${labelText(waypointPodLabels(waypoint))} in `
            + `namespace "${waypoint.namespace}") on TCP ${HBONE_PORT}`,
        },
      });
    }
  }
  return out;
}

function callerHop(caller: AllowedCaller, via: string, waypoint: WaypointRef, wpLabels: Labels): RuleViolation {
  return {
    path: caller.path,
    port: HBONE_PORT,
    message: `allows ${caller.principal} (namespace "${caller.callerNamespace}") through ${via}; the caller reaches the waypoint's pods as HBONE `
      + `on TCP ${HBONE_PORT}, but no NetworkPolicy in "${waypoint.namespace}" selecting ${labelText(wpLabels)} admits namespace `
      + `"${caller.callerNamespace}" on TCP ${HBONE_PORT}`,
  };
}

/**
 * NET-L4-001 (AUTHZ-4): every mesh ALLOW edge has its NetworkPolicy counterpart.
 *
 * Selector-bound policies (enforced by the sidecar, or by ztunnel in ambient): for each ALLOW
 * AuthorizationPolicy with `selector.matchLabels` whose rules name callers by principal
 * (`<td>/ns/<ns>/sa/<sa>`) and ports (`to.operation.ports`), some NetworkPolicy in the policy's
 * namespace that selects all of those pods (podSelector within the policy's labels) and restricts
 * ingress must admit the caller's namespace (a namespaceSelector selecting it, e.g. by
 * `kubernetes.io/metadata.name`, or a podSelector-only peer for callers in the same namespace) on
 * the TCP port the connection arrives on: the authorized port between sidecars (or when the set
 * does not show the namespaces' data planes), and 15008 (HBONE) when the policy's namespace is
 * ambient, or runs sidecars and the caller's namespace is ambient (istio.io docs/ambient/usage/
 * networkpolicy: an ambient pod's NetworkPolicy that admits only its app port drops all its mesh
 * traffic). A caller that is a waypoint of the set (principal `<td>/ns/<ns>/sa/<gateway>` of a
 * Gateway of class `istio-waypoint`) is the waypoint → pods hop, on 15008 whatever the pods' data
 * plane, and its pods are known: the NetworkPolicy must admit them by namespace and, where it
 * names pods, by `gateway.networking.k8s.io/gateway-name` (other callers are known by namespace only).
 *
 * Waypoint-bound policies (`targetRefs` to a Service, group "" kind Service, whose traffic goes
 * through a waypoint: its `istio.io/use-waypoint` label, else its namespace's): each caller must
 * be admitted on 15008 by a NetworkPolicy of the waypoint's namespace selecting its pods
 * (`gateway.networking.k8s.io/gateway-name: <waypoint>`), and the waypoint's namespace on 15008 by
 * one selecting the Service's pods (its `spec.selector`), unless a selector-bound policy of those
 * pods names the waypoint's principal (then that policy's edge is the hop, reported there). A
 * policy with `targetRefs` to a waypoint Gateway needs the first hop. The ports, paths and methods
 * of such a policy do not matter at L4. A Service without a waypoint, or not in the set, is not
 * checked (no waypoint enforces such a policy: MESH-AMBIENT rules judge it).
 *
 * One violation per missing (caller namespace, port) per policy (per waypoint hop for
 * waypoint-bound ones), on the AuthorizationPolicy, with the port of the missing NetworkPolicy
 * edge. A mesh namespace of the set with no ingress NetworkPolicy at all is skipped: nothing
 * there drops the edge, and NET-DENY-001 reports the namespace once. Only ingress is checked: the
 * callers' egress policies are not (their pods are not known from a principal).
 */
export const NET_L4_001: PolicyRule = {
  id: 'NET-L4-001',
  practices: ['AUTHZ-4'],
  severity: RuleSeverity.ERROR,
  kinds: [],
  title: 'Every L7 ALLOW edge has a matching L4 NetworkPolicy edge (HBONE 15008 in ambient, via the waypoint)',
  explanation:
    'AuthorizationPolicy is enforced by the sidecar, ztunnel or a waypoint; a NetworkPolicy is enforced by the node. Pairing them means '
    + 'a pod that bypasses or lacks a proxy (excluded ports, a compromised proxy, a non-mesh pod) still cannot reach the workload, '
    + 'and that default-deny namespaces do not silently drop traffic the mesh allows. In ambient mode the node sees HBONE on TCP '
    + `${HBONE_PORT} (caller to pod, or caller to waypoint and waypoint to pod), never the app port: a NetworkPolicy that admits only `
    + 'the app port drops every mesh connection. An ALLOW without its L4 counterpart is either unprotected at L4 or broken.',
  fix:
    'Add (or widen) a NetworkPolicy in the workload namespace that selects the same pods and allows ingress from the '
    + `caller's namespace (namespaceSelector on ${NAMESPACE_NAME_LABEL}) on the same TCP ports, or on ${HBONE_PORT} in ambient mode; for `
    + 'a Service behind a waypoint, admit the callers to the waypoint pods and the waypoint pods to the Service\'s pods on '
    + `${HBONE_PORT}. SecureService.allowFrom writes all of it. A PolicyException is right only when another layer (e.g. a CNI-level `
    + 'policy the library does not see) provides the L4 edge.',
  check() {
    return [];
  },
  checkAll(ctx) {
    const unisolated = unisolatedMeshNamespaces(ctx);
    return [...selectorEdgeFindings(ctx, unisolated), ...waypointEdgeFindings(ctx, unisolated)];
  },
};
