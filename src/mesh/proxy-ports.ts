import { checkLabelValue, checkQualifiedName } from '../validation/kubernetes-names';

/*
 * The ports the Istio proxy (pilot-agent and Envoy) serves itself in every injected pod, which the
 * sidecar does NOT capture: no Envoy inbound listener (port 15006), no PeerAuthentication and no
 * AuthorizationPolicy ever sees a connection to them. Only NetworkPolicy decides who reaches them
 * (OPS-3, NETPOL-1, AUTHZ-4).
 *
 * Sources (istio/istio):
 * - manifests/charts/istio-control/istio-discovery/files/injection-template.yaml: `istio-iptables`
 *   runs with `-d "15090,15021,{{ excludeInboundPort <status port, 15020 by default> <excludeInboundPorts> }}"`,
 *   and `excludeInboundPort` (pkg/kube/inject) appends the status port to the excluded inbound
 *   ports: 15090, 15021 and 15020 are never redirected to the sidecar, whatever the pod says.
 * - cni/pkg/plugin (sidecar redirect): with the Istio CNI plugin the same three ports are always
 *   appended to the excluded inbound ports (`redir.excludeInboundPorts += "15020,15021,15090"`).
 * - tools/packaging/common/envoy_bootstrap.json: 15090 and 15021 are static Envoy listeners with
 *   only a router filter (no RBAC filter): 15090 routes the prefix `/stats/prometheus` to Envoy's
 *   admin stats, 15021 routes `/healthz/ready` to the agent.
 * - pilot/cmd/pilot-agent/status/server.go: the agent's status server on 15020 serves
 *   `/stats/prometheus` and `/metrics` (the agent's, Envoy's and, with metrics merging, the app's
 *   metrics), `/healthz/ready`, and `/app-health/<container>/{livez,readyz,startupz}` and
 *   `/app-lifecycle/<container>/{prestopz,poststartz}` (kubelet probes and lifecycle hooks the
 *   injector rewrote: the agent calls the app's own endpoint). `/quitquitquit`, `/drain`,
 *   `/debug/ndsz` and pprof answer only requests from localhost (403 otherwise; istio/istio#15406
 *   made `/quitquitquit` localhost-only in 2019), so a remote caller cannot stop the proxy.
 * - istio.io, "Application Requirements" (ports used by Istio): 15020 merged Prometheus telemetry
 *   (agent, Envoy, application), 15021 health checks, 15090 Envoy Prometheus telemetry; and
 *   "Prometheus" integration: with metrics merging (on by default) the injector points the pod's
 *   `prometheus.io/*` annotations at `:15020/stats/prometheus`.
 */

/** pilot-agent's status port: merged metrics, readiness, rewritten app probes (`status.sidecar.istio.io/port`, 15020 by default). */
export const PROXY_STATUS_PORT = 15020;
/** Envoy's health-check listener (`/healthz/ready`, forwarded to the agent): kubelet's readiness probe of the proxy. */
export const PROXY_HEALTH_PORT = 15021;
/** Envoy's Prometheus listener (`/stats/prometheus`, Envoy's own stats only). */
export const ENVOY_PROMETHEUS_PORT = 15090;

/** The ports a metrics scraper needs on every pod: merged metrics (15020) and Envoy's own (15090). */
export const METRICS_PORTS: readonly number[] = [PROXY_STATUS_PORT, ENVOY_PROMETHEUS_PORT];

/** What each port the proxy serves itself is for, in the words answers use. */
const PROXY_PORT_ROLES: { readonly [port: number]: string } = {
  [PROXY_STATUS_PORT]: 'pilot-agent\'s status port (merged Prometheus metrics at /stats/prometheus, /healthz/ready, rewritten app probes under /app-health/)',
  [PROXY_HEALTH_PORT]: 'Envoy\'s health-check port (/healthz/ready)',
  [ENVOY_PROMETHEUS_PORT]: 'Envoy\'s Prometheus stats port (/stats/prometheus)',
};

/** The ports the proxy serves itself and never captures (sorted). */
export const UNCAPTURED_PROXY_PORTS: readonly number[] = [PROXY_STATUS_PORT, PROXY_HEALTH_PORT, ENVOY_PROMETHEUS_PORT];

/** What `port` is for when the proxy serves it itself, or undefined for any other port. */
export function proxyPortRole(port: number): string | undefined {
  return PROXY_PORT_ROLES[port];
}

/**
 * Problems of the monitoring settings of a mesh: pod labels need a namespace to be looked up in,
 * and must be valid, non-empty Kubernetes labels (an empty map would select every pod).
 */
export function monitoringProblems(namespace: string | undefined, podLabels: { [key: string]: string } | undefined): string[] {
  if (podLabels === undefined) return [];
  const entries = Object.entries(podLabels);
  const problems: string[] = [];
  if (namespace === undefined) problems.push('monitoringPodLabels is set but monitoringNamespace is not: the labels select pods of that namespace');
  if (entries.length === 0) problems.push('monitoringPodLabels is empty, which selects every pod of the monitoring namespace (leave it unset to mean that)');
  for (const [k, v] of entries) {
    problems.push(...checkQualifiedName(k).map((p) => `monitoringPodLabels key "${k}" ${p}`));
    problems.push(...(typeof v === 'string' ? checkLabelValue(v) : ['is not a string']).map((p) => `monitoringPodLabels value "${v}" of "${k}" ${p}`));
  }
  return problems;
}

/** How to fix {@link monitoringProblems}. */
export const MONITORING_FIX = 'Name the namespace Prometheus runs in (monitoringNamespace) and, to admit only Prometheus, the labels of its pods '
  + '(monitoringPodLabels, e.g. { "app.kubernetes.io/name": "prometheus" })';
