import { ApiObject } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { Construct, IConstruct } from 'constructs';
import { configError } from '../core/errors';
import { KUBERNETES_SYSTEM_NAMESPACES, assertDnsLabel } from '../core/names';
import { AMBIENT_MODE, DATAPLANE_MODE_LABEL, DataPlane } from '../mesh/data-plane';
import { IMesh } from '../mesh/mesh';
import { ENVOY_PROMETHEUS_PORT, METRICS_PORTS, MONITORING_FIX, PROXY_STATUS_PORT, monitoringProblems } from '../mesh/proxy-ports';
import { networkPolicy } from '../network/network-policy';
import { dnsEgressRule, podsInNamespace, sortedLabels, tcpPorts } from '../network/peers';
import { MIN_POD_SECURITY_VERSION, podSecurityVersionProblem } from '../policy/rules/namespace-pod-security';

/**
 * What a namespace of the mesh is (its profile: data plane, Pod Security version, registries,
 * sensitive-data profile, scraped proxy ports) and the baseline every such namespace has whatever
 * runs in it: the Namespace object and its isolation (STRICT mTLS, allow-nothing, default-deny
 * NetworkPolicies with DNS, istiod and scraping, the token-less `default` ServiceAccount).
 * HardenedNamespace writes all of it with what runs in the namespace; for a namespace the
 * platform gives an app team, AppTeamNamespace writes the baseline in the platform's repository
 * and MeshContract.namespace the rest in the team's, from the same profile, so the halves agree.
 */

/** Label marking a namespace that holds sensitive data (SECRET-1). */
export const SENSITIVE_DATA_LABEL = 'secure-mesh.cdk8s.io/sensitive-data';

/** The settings a namespace profile is resolved from (a subset of HardenedNamespaceProps). */
export interface NamespaceProfileInput {
  readonly name: string;
  readonly podSecurityVersion?: string;
  readonly allowedRegistries?: string[];
  readonly viewers?: readonly unknown[];
  readonly sensitiveData?: boolean;
  readonly metricsScrapingPorts?: number[];
  readonly dataPlane?: DataPlane;
}

/** A checked namespace profile. */
export interface NamespaceProfile {
  readonly name: string;
  readonly allowedRegistries: string[];
  readonly sensitiveData: boolean;
  /** Sorted; empty: none. */
  readonly metricsScrapingPorts: number[];
  readonly podSecurityVersion: string;
  readonly dataPlane: DataPlane;
}

/** The Pod Security profile version when none is given. */
export const DEFAULT_POD_SECURITY_VERSION = 'v1.30';

/** Checks `input` against `mesh` and resolves the defaults; throws naming the field and the fix. */
export function resolveNamespaceProfile(scope: IConstruct, mesh: IMesh, input: NamespaceProfileInput): NamespaceProfile {
  assertDnsLabel(scope, 'name', input.name);
  const reserved = [...KUBERNETES_SYSTEM_NAMESPACES, mesh.rootNamespace, mesh.controlPlaneNamespace];
  if (reserved.includes(input.name)) {
    throw configError(scope, 'name', `"${input.name}" is a reserved namespace (Kubernetes system or mesh control plane)`,
      'Run applications in a namespace of their own, e.g. the team or app name');
  }
  const allowedRegistries = [...(input.allowedRegistries ?? mesh.allowedRegistries)];
  const meshRegistries = mesh.allowedRegistries;
  const wider = meshRegistries.length === 0 ? [] : allowedRegistries.filter((r) => !meshRegistries.some((m) => r === m || r.startsWith(`${m}/`)));
  if (wider.length > 0 || (meshRegistries.length > 0 && allowedRegistries.length === 0)) {
    throw configError(scope, 'allowedRegistries', `${wider.length > 0 ? wider.map((r) => `"${r}"`).join(', ') : 'an empty list (any registry)'} `
      + `widens the mesh's allowed registries (${meshRegistries.join(', ')}); a namespace may only narrow them (IMG-1)`,
    'List registries (or paths) within the mesh\'s, or add the registry to MeshBaseline allowedRegistries');
  }
  const sensitiveData = input.sensitiveData ?? false;
  if (sensitiveData && (input.viewers ?? []).length > 0) {
    throw configError(scope, 'viewers', 'a sensitive-data namespace has no viewer role (SECRET-1)',
      'Give read access only to the deployers who own the data, or drop sensitiveData');
  }
  const metricsScrapingPorts = checkMetricsScrapingPorts(scope, mesh, sensitiveData, input.metricsScrapingPorts);
  const podSecurityVersion = input.podSecurityVersion ?? DEFAULT_POD_SECURITY_VERSION;
  const versionProblem = podSecurityVersionProblem(podSecurityVersion);
  if (versionProblem) {
    throw configError(scope, 'podSecurityVersion', versionProblem,
      `Use "latest" or ${MIN_POD_SECURITY_VERSION} or later, e.g. "v1.30" (older restricted profiles lack checks POD-1 relies on)`);
  }
  const dataPlane = checkDataPlane(scope, mesh, input.dataPlane ?? mesh.defaultDataPlane);
  return { name: input.name, allowedRegistries, sensitiveData, metricsScrapingPorts, podSecurityVersion, dataPlane };
}

/**
 * The Namespace object of `profile`: the label that puts its pods in the mesh (injection, or
 * ambient), Pod Security `restricted` pinned to a version, and the sensitive-data label.
 */
export function writeNamespaceObject(scope: IConstruct, id: string, mesh: IMesh, profile: NamespaceProfile): ApiObject {
  const version = profile.podSecurityVersion;
  return new k8s.KubeNamespace(scope as any, id, {
    metadata: {
      name: profile.name,
      labels: sortedLabels({
        ...(profile.dataPlane === DataPlane.AMBIENT ? { [DATAPLANE_MODE_LABEL]: AMBIENT_MODE } : mesh.injectionLabels),
        'pod-security.kubernetes.io/enforce': 'restricted',
        'pod-security.kubernetes.io/enforce-version': version,
        'pod-security.kubernetes.io/audit': 'restricted',
        'pod-security.kubernetes.io/audit-version': version,
        'pod-security.kubernetes.io/warn': 'restricted',
        'pod-security.kubernetes.io/warn-version': version,
        ...(profile.sensitiveData ? { [SENSITIVE_DATA_LABEL]: 'true' } : {}),
      }),
    },
  });
}

function checkDataPlane(scope: IConstruct, mesh: IMesh, plane: DataPlane): DataPlane {
  if (!Object.values(DataPlane).includes(plane)) {
    throw configError(scope, 'dataPlane', `"${plane}" is not a data plane`, 'Use DataPlane.SIDECAR or DataPlane.AMBIENT');
  }
  if (plane !== DataPlane.AMBIENT) return plane;
  if (!mesh.ambientEnabled) {
    throw configError(scope, 'dataPlane', 'AMBIENT on a mesh that does not run ambient: without ztunnel the pods would have no mTLS and no authorization',
      'Set ambient: true on the MeshBaseline (or MeshBaseline.fromAttributes) once the cluster runs Istio\'s ambient profile, or use DataPlane.SIDECAR');
  }
  if (mesh.revision !== undefined) {
    throw configError(scope, 'dataPlane', `AMBIENT with control-plane revision "${mesh.revision}": istio.io/rev on the namespace would also turn on sidecar injection`,
      'Use ambient with the default revision, or DataPlane.SIDECAR for a revisioned control plane');
  }
  return plane;
}

function checkMetricsScrapingPorts(scope: IConstruct, mesh: IMesh, sensitiveData: boolean, given: number[] | undefined): number[] {
  const monitoring = mesh.monitoringNamespace;
  if (monitoring !== undefined) assertDnsLabel(scope, 'mesh.monitoringNamespace', monitoring);
  const problems = monitoringProblems(monitoring, mesh.monitoringPodLabels);
  if (problems.length > 0) throw configError(scope, 'mesh', problems.join('; '), MONITORING_FIX);
  if (given === undefined) {
    if (monitoring === undefined) return [];
    return sensitiveData ? [ENVOY_PROMETHEUS_PORT] : [...METRICS_PORTS];
  }
  const wrong = given.filter((p) => !METRICS_PORTS.includes(p));
  if (wrong.length > 0) {
    throw configError(scope, 'metricsScrapingPorts', `${wrong.join(', ')} ${wrong.length > 1 ? 'are not proxy metrics ports' : 'is not a proxy metrics port'} `
      + `(only ${PROXY_STATUS_PORT}, pilot-agent's merged metrics, and ${ENVOY_PROMETHEUS_PORT}, Envoy's stats, can be opened to the monitoring namespace)`,
    'An app\'s own metrics reach Prometheus merged into 15020 (the workload\'s metrics prop); grant app ports with allowFrom, where an AuthorizationPolicy governs them too');
  }
  if (new Set(given).size !== given.length) {
    throw configError(scope, 'metricsScrapingPorts', `${given.join(', ')} lists a port twice`, `List ${PROXY_STATUS_PORT} and/or ${ENVOY_PROMETHEUS_PORT} once each`);
  }
  if (given.length > 0 && monitoring === undefined) {
    throw configError(scope, 'metricsScrapingPorts', `${given.join(', ')} would be opened to the monitoring namespace, but the mesh names none`,
      'Set monitoringNamespace (and monitoringPodLabels) on the MeshBaseline or MeshBaseline.fromAttributes, or leave metricsScrapingPorts unset');
  }
  return [...given].sort((a, b) => a - b);
}

/**
 * The namespace's isolation (MTLS-1, AUTHZ-1, NETPOL-1): STRICT mTLS and allow-nothing at
 * namespace level, as defence in depth (in ambient both bind to ztunnel: no selector, no
 * targetRefs); default deny for ingress and egress; DNS to kube-dns; and for sidecars, xDS/CA
 * (15012) to istiod and the monitoring namespace's scrape of the proxies' metrics ports.
 */
export function writeNamespaceIsolation(scope: Construct, mesh: IMesh, profile: NamespaceProfile): void {
  const inNamespace = (name: string) => ({ name, namespace: profile.name });
  // Plain manifests, not the generated bindings: importing those costs every app that loads the package.
  new ApiObject(scope, 'StrictMtls', {
    apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: inNamespace('default'), spec: { mtls: { mode: 'STRICT' } },
  });
  new ApiObject(scope, 'AllowNothing', { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: inNamespace('allow-nothing'), spec: {} });

  // NETPOL-1: nothing in, nothing out, except what pods need to start in the mesh.
  networkPolicy(scope, 'DefaultDeny', 'default-deny', profile.name, { podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
  networkPolicy(scope, 'AllowDns', 'allow-dns', profile.name, { podSelector: {}, policyTypes: ['Egress'], egress: [dnsEgressRule()] });
  // Sidecars reach istiod and are scraped. Ambient pods have no proxy of their own: istiod and
  // the metrics ports concern only the waypoint (HardenedNamespace._waypoint), and each workload
  // admits kubelet probes on the ports it probes (see renderAccess).
  if (profile.dataPlane !== DataPlane.AMBIENT) {
    allowIstiod(scope, 'AllowIstiod', 'allow-istiod', profile.name, mesh, {});
    allowMetricsScraping(scope, 'AllowMetricsScraping', 'allow-metrics-scraping', profile.name, mesh, profile.metricsScrapingPorts, {});
  }
}

/** The namespace's `default` ServiceAccount mounts no API token (pods that use it get none). */
export function writeDefaultServiceAccount(scope: Construct, namespace: string): void {
  new k8s.KubeServiceAccount(scope, 'DefaultServiceAccount', {
    metadata: { name: 'default', namespace },
    automountServiceAccountToken: false,
  });
}

/** The pods with `podLabels` (all: `{}`) reach istiod's xDS/CA port 15012, and nothing else of the control plane. */
export function allowIstiod(scope: Construct, id: string, name: string, namespace: string, mesh: IMesh, podLabels: { [key: string]: string }): void {
  networkPolicy(scope, id, name, namespace, {
    podSelector: Object.keys(podLabels).length ? { matchLabels: { ...podLabels } } : {},
    policyTypes: ['Egress'],
    egress: [{ to: [podsInNamespace(mesh.controlPlaneNamespace, mesh.istiodPodLabels)], ports: tcpPorts([15012]) }],
  });
}

/**
 * OPS-3: Prometheus scrapes the proxies. Istio's proxies do not capture 15020/15090 (see
 * mesh/proxy-ports.ts), so this policy is the only control: exactly the monitoring pods, exactly
 * `ports`. Nothing when the mesh names no monitoring namespace or `ports` is empty.
 */
export function allowMetricsScraping(scope: Construct, id: string, name: string, namespace: string, mesh: IMesh, ports: number[],
  podLabels: { [key: string]: string }): void {
  const monitoring = mesh.monitoringNamespace;
  if (monitoring === undefined || ports.length === 0) return;
  networkPolicy(scope, id, name, namespace, {
    podSelector: Object.keys(podLabels).length ? { matchLabels: { ...podLabels } } : {},
    policyTypes: ['Ingress'],
    ingress: [{ from: [podsInNamespace(monitoring, mesh.monitoringPodLabels)], ports: tcpPorts(ports) }],
  });
}
