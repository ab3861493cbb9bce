import { DeclaredWorkload } from './access-types';
import { AMBIENT_MODE, DATAPLANE_MODE_LABEL, HBONE_PORT, isAmbientNamespaceLabels } from '../mesh/data-plane';
import { UNCAPTURED_PROXY_PORTS } from '../mesh/proxy-ports';
import { NAMESPACE_NAME_LABEL } from '../network/peers';
import { isRecord } from '../policy/rules/workload-pod-specs';

/**
 * The workloads of a set of manifests, as the access matrix sees them (AUTHZ-2, MTLS-1, AUTHZ-4):
 * identity (service account -> SPIFFE principal), pod labels (what selectors match), ports (with
 * the protocol Istio applies, from the Services in front of them) and whether a sidecar enforces
 * mesh policy on them.
 */

/** Labels: string keys to string values. */
export type Labels = { readonly [key: string]: string };

/**
 * How Istio reads a port: HTTP (L7 attributes available), gRPC (HTTP/2: L7 attributes, every call a
 * POST), TCP (opaque), or auto-detected (sniffed).
 */
export type PortProtocol = 'http' | 'grpc' | 'tcp' | 'auto';

/** A TCP port a workload listens on. */
export interface WorkloadPort {
  readonly port: number;
  /** Container port name, when named. */
  readonly name?: string;
  readonly protocol: PortProtocol;
  /** Services that send traffic to it, as `namespace/name:port`. */
  readonly services: string[];
}

/**
 * Which data plane carries a workload's traffic and enforces mesh policy on it: its own Envoy
 * `sidecar`, `ambient` (the node's ztunnel at L4 over HBONE, a waypoint for L7), or `none` (not in
 * the mesh: plaintext, nothing enforced at the pod).
 */
export type WorkloadDataPlane = 'sidecar' | 'ambient' | 'none';

/** A workload of the mesh (a pod template, a pod, or a declared/inferred gateway). */
export interface Workload {
  /** `namespace/name`, or `namespace/kind/name` when two kinds share a name. */
  readonly id: string;
  readonly kind: string;
  readonly name: string;
  readonly namespace: string;
  readonly serviceAccount: string;
  /** `<trustDomain>/ns/<namespace>/sa/<serviceAccount>`. */
  readonly principal: string;
  readonly labels: Labels;
  /** Known ports, sorted (empty when nothing says which ports it listens on). */
  readonly ports: WorkloadPort[];
  /** Whether an Istio proxy runs in its pods. */
  readonly sidecar: boolean;
  /** Why `sidecar` is what it is. */
  readonly sidecarReason: string;
  /** The data plane of its pods (`sidecar` exactly when `sidecar` is true). */
  readonly dataPlane: WorkloadDataPlane;
  /** Why `dataPlane` is what it is. */
  readonly dataPlaneReason: string;
  readonly origin: 'manifest' | 'declared' | 'inferred';
  /** Inbound ports the sidecar captures: undefined = all (`traffic.sidecar.istio.io/includeInboundPorts`). */
  readonly includeInboundPorts?: number[];
  /** Inbound ports that bypass the sidecar (`traffic.sidecar.istio.io/excludeInboundPorts`). */
  readonly excludeInboundPorts: number[];
  /** Outbound ports that bypass the sidecar (`traffic.sidecar.istio.io/excludeOutboundPorts`). */
  readonly excludeOutboundPorts: number[];
  /** Whether `traffic.sidecar.istio.io/excludeOutboundIPRanges` is set (some destinations bypass the sidecar). */
  readonly excludesOutboundIpRanges: boolean;
}

/** What is known about a namespace's labels. */
export interface NamespaceInfo {
  /** Its labels: those of its Namespace object (when in the input) and `kubernetes.io/metadata.name`. */
  readonly labels: Labels;
  /** Whether its Namespace object is in the input (else only the name label is known). */
  readonly known: boolean;
}

/** Options of {@link discoverWorkloads}. */
export interface DiscoverOptions {
  readonly trustDomain: string;
  readonly rootNamespace: string;
  readonly declared: readonly DeclaredWorkload[];
  readonly inferGateways: boolean;
}

/** The workloads found, the namespaces, and what the reader should know about the guesses made. */
export interface Discovery {
  readonly workloads: Workload[];
  readonly namespaces: Map<string, NamespaceInfo>;
  readonly warnings: string[];
}

const POD_TEMPLATE_KINDS: { readonly [kind: string]: { readonly group: string; readonly path: readonly string[] } } = {
  Deployment: { group: 'apps', path: ['spec', 'template'] },
  StatefulSet: { group: 'apps', path: ['spec', 'template'] },
  DaemonSet: { group: 'apps', path: ['spec', 'template'] },
  ReplicaSet: { group: 'apps', path: ['spec', 'template'] },
  Job: { group: 'batch', path: ['spec', 'template'] },
  CronJob: { group: 'batch', path: ['spec', 'jobTemplate', 'spec', 'template'] },
};

const INJECT = 'sidecar.istio.io/inject';
const INCLUDE_INBOUND = 'traffic.sidecar.istio.io/includeInboundPorts';
const EXCLUDE_INBOUND = 'traffic.sidecar.istio.io/excludeInboundPorts';
const EXCLUDE_OUTBOUND = 'traffic.sidecar.istio.io/excludeOutboundPorts';
const EXCLUDE_OUTBOUND_IPS = 'traffic.sidecar.istio.io/excludeOutboundIPRanges';

/** The API group of an object (`''` for the core group). */
export function groupOf(o: any): string {
  const av = typeof o?.apiVersion === 'string' ? o.apiVersion : '';
  const i = av.indexOf('/');
  return i < 0 ? '' : av.slice(0, i);
}

/** Whether `o` is of `kind` in `group` (any version). */
export function isKindOf(o: any, group: string, kind: string): boolean {
  return isRecord(o) && o.kind === kind && groupOf(o) === group;
}

/** `Kind/namespace/name` of an object (the way answers name policies). */
export function refOf(o: any): string {
  return `${o?.kind}/${namespaceOf(o)}/${o?.metadata?.name ?? '?'}`;
}

/** The namespace of a namespaced object (`default` when unset). */
export function namespaceOf(o: any): string {
  const ns = o?.metadata?.namespace;
  return typeof ns === 'string' && ns.length > 0 ? ns : 'default';
}

/** String-valued entries of a map (others dropped). */
export function stringMap(v: unknown): Labels {
  if (!isRecord(v)) return {};
  return Object.fromEntries(Object.entries(v).filter(([, x]) => typeof x === 'string')) as Labels;
}

/** Whether every `selector` label is on `labels` (Istio's `matchLabels` semantics). */
export function labelsSubset(selector: Labels, labels: Labels): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/** `a` before `b` by code points (locale-independent, so output is the same everywhere). */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The SPIFFE-style principal of a service account. */
export function principalOf(trustDomain: string, namespace: string, serviceAccount: string): string {
  return `${trustDomain}/ns/${namespace}/sa/${serviceAccount}`;
}

/**
 * The protocol Istio applies to a Service port: `appProtocol`, else the port name (`<protocol>` or
 * `<protocol>-<suffix>`: `http-web` is HTTP), per Istio's protocol selection. HTTP and HTTP/2
 * carry L7 attributes (`http`); gRPC too, and its calls are HTTP/2 POSTs (`grpc`; `grpc-web` is
 * HTTP); TCP, TLS, HTTPS (TLS end to end, opaque to the sidecar) and the database protocols do not
 * (`tcp`); anything else is sniffed (`auto`).
 */
export function protocolOfServicePort(name: string | undefined, appProtocol: string | undefined): PortProtocol {
  const fromName = (s: string): PortProtocol | undefined => {
    const p = s.toLowerCase();
    if (p === 'grpc') return 'grpc';
    if (['http', 'http2', 'grpc-web', 'h2c', 'kubernetes.io/h2c', 'kubernetes.io/ws'].includes(p)) return 'http';
    if (['tcp', 'tls', 'https', 'mongo', 'mysql', 'redis', 'kubernetes.io/wss'].includes(p)) return 'tcp';
    return undefined;
  };
  if (appProtocol) {
    const p = fromName(appProtocol);
    if (p) return p;
  }
  if (name) {
    // A name starting with "grpc-web" is gRPC-Web (Istio checks that prefix before splitting at "-").
    const p = name.toLowerCase().startsWith('grpc-web') ? 'http' : fromName(name.split('-')[0]);
    if (p) return p;
  }
  return 'auto';
}

function portList(v: unknown): number[] {
  if (typeof v !== 'string') return [];
  return v.split(',').map((s) => s.trim()).filter((s) => /^[0-9]{1,5}$/.test(s)).map(Number);
}

interface PodTemplate {
  readonly kind: string;
  readonly name: string;
  readonly namespace: string;
  readonly labels: Labels;
  readonly annotations: Labels;
  readonly spec: { readonly [key: string]: any };
}

function podTemplateOf(o: any): PodTemplate | undefined {
  if (!isRecord(o) || typeof o.metadata?.name !== 'string') return undefined;
  if (isKindOf(o, '', 'Pod')) {
    return {
      kind: 'Pod',
      name: o.metadata.name,
      namespace: namespaceOf(o),
      labels: stringMap(o.metadata.labels),
      annotations: stringMap(o.metadata.annotations),
      spec: isRecord(o.spec) ? o.spec : {},
    };
  }
  const loc = POD_TEMPLATE_KINDS[o.kind];
  if (!loc || groupOf(o) !== loc.group) return undefined;
  let node: any = o;
  for (const f of loc.path) node = isRecord(node) ? node[f] : undefined;
  if (!isRecord(node)) return undefined;
  return {
    kind: o.kind,
    name: o.metadata.name,
    namespace: namespaceOf(o),
    labels: stringMap(node.metadata?.labels),
    annotations: stringMap(node.metadata?.annotations),
    spec: isRecord(node.spec) ? node.spec : {},
  };
}

/** Container ports (TCP) of a pod spec, including restartable init containers (native sidecars). */
function containerPorts(spec: { readonly [key: string]: any }): { port: number; name?: string }[] {
  const containers = [
    ...(Array.isArray(spec.containers) ? spec.containers : []),
    ...(Array.isArray(spec.initContainers) ? spec.initContainers.filter((c: any) => isRecord(c) && c.restartPolicy === 'Always') : []),
  ];
  const out: { port: number; name?: string }[] = [];
  for (const c of containers) {
    if (!isRecord(c) || !Array.isArray(c.ports)) continue;
    for (const p of c.ports) {
      if (!isRecord(p) || typeof p.containerPort !== 'number') continue;
      if (p.protocol !== undefined && p.protocol !== 'TCP') continue;
      out.push({ port: p.containerPort, name: typeof p.name === 'string' ? p.name : undefined });
    }
  }
  return out;
}

/** Labels of every namespace named by the objects (Namespace objects, or any object's namespace). */
export function namespacesOf(objects: readonly any[], extra: readonly string[] = []): Map<string, NamespaceInfo> {
  const out = new Map<string, NamespaceInfo>();
  for (const o of objects) {
    if (isKindOf(o, '', 'Namespace') && typeof o.metadata?.name === 'string') {
      out.set(o.metadata.name, { labels: { ...stringMap(o.metadata.labels), [NAMESPACE_NAME_LABEL]: o.metadata.name }, known: true });
    }
  }
  const add = (ns: string) => {
    if (!out.has(ns)) out.set(ns, { labels: { [NAMESPACE_NAME_LABEL]: ns }, known: false });
  };
  for (const o of objects) if (isRecord(o) && !isKindOf(o, '', 'Namespace') && typeof o.metadata?.namespace === 'string') add(o.metadata.namespace);
  extra.forEach(add);
  return out;
}

function sidecarOf(t: { labels: Labels; annotations: Labels; namespace: string },
  namespaces: Map<string, NamespaceInfo>): { sidecar: boolean; reason: string } {
  const pod = t.labels[INJECT] ?? t.annotations[INJECT];
  if (pod === 'false') return { sidecar: false, reason: `${INJECT}: "false"` };
  const ns = namespaces.get(t.namespace);
  if (ns?.known) {
    if (ns.labels['istio-injection'] === 'disabled') return { sidecar: false, reason: `namespace ${t.namespace} has istio-injection=disabled` };
    if (ns.labels['istio-injection'] === 'enabled') return { sidecar: true, reason: `namespace ${t.namespace} has istio-injection=enabled` };
    if (ns.labels['istio.io/rev'] !== undefined) return { sidecar: true, reason: `namespace ${t.namespace} has istio.io/rev` };
    if (pod === 'true') return { sidecar: true, reason: `${INJECT}: "true"` };
    return { sidecar: false, reason: `namespace ${t.namespace} is not labelled for injection` };
  }
  if (pod === 'true') return { sidecar: true, reason: `${INJECT}: "true"` };
  if (t.labels[DATAPLANE_MODE_LABEL] === AMBIENT_MODE) return { sidecar: false, reason: `${DATAPLANE_MODE_LABEL}: ${AMBIENT_MODE} on the pod` };
  return { sidecar: true, reason: `assumed: namespace ${t.namespace} is not in the input` };
}

/**
 * The data plane of a pod: a sidecar pod is never captured by ztunnel (sidecar injection takes
 * precedence); otherwise the pod is ambient when it, or else its namespace, has
 * `istio.io/dataplane-mode: ambient`, and `istio.io/dataplane-mode: none` on the pod opts it out
 * (istio.io docs/ambient/usage/add-workloads, "Pod selection logic for ambient and sidecar modes":
 * the pod label has precedence).
 */
function dataPlaneOf(t: { labels: Labels; namespace: string }, sidecar: { sidecar: boolean; reason: string },
  namespaces: Map<string, NamespaceInfo>): { dataPlane: WorkloadDataPlane; reason: string } {
  if (sidecar.sidecar) return { dataPlane: 'sidecar', reason: sidecar.reason };
  const pod = t.labels[DATAPLANE_MODE_LABEL];
  if (pod === 'none') return { dataPlane: 'none', reason: `${DATAPLANE_MODE_LABEL}: none on the pod` };
  if (pod === AMBIENT_MODE) return { dataPlane: 'ambient', reason: `${DATAPLANE_MODE_LABEL}: ${AMBIENT_MODE} on the pod` };
  const ns = namespaces.get(t.namespace);
  if (ns?.known && isAmbientNamespaceLabels(ns.labels)) {
    return { dataPlane: 'ambient', reason: `namespace ${t.namespace} has ${DATAPLANE_MODE_LABEL}: ${AMBIENT_MODE}` };
  }
  return { dataPlane: 'none', reason: sidecar.reason };
}

interface ServicePortEntry {
  readonly service: string;
  readonly port: number;
  readonly targetPort: number | string;
  readonly name?: string;
  readonly appProtocol?: string;
}

/** A Service with a selector, as the evaluators use it. */
export interface ServiceInfo {
  readonly namespace: string;
  readonly name: string;
  readonly selector: Labels;
  readonly ports: ServicePortEntry[];
  /** Its labels (`istio.io/use-waypoint`, `istio.io/ingress-use-waypoint`, ...). */
  readonly labels: Labels;
  /** `clusterIP: None`: no virtual IP (clients address the pods directly). */
  readonly headless: boolean;
}

/** Services with a selector (Services without one have no automatic endpoints). */
export function servicesOf(objects: readonly any[]): ServiceInfo[] {
  const out: ServiceInfo[] = [];
  for (const o of objects) {
    if (!isKindOf(o, '', 'Service') || typeof o.metadata?.name !== 'string' || !isRecord(o.spec)) continue;
    const selector = stringMap(o.spec.selector);
    if (Object.keys(selector).length === 0) continue;
    const ns = namespaceOf(o);
    const ports: ServicePortEntry[] = [];
    for (const p of Array.isArray(o.spec.ports) ? o.spec.ports : []) {
      if (!isRecord(p) || typeof p.port !== 'number' || (p.protocol !== undefined && p.protocol !== 'TCP')) continue;
      ports.push({
        service: `${ns}/${o.metadata.name}`,
        port: p.port,
        targetPort: typeof p.targetPort === 'number' || typeof p.targetPort === 'string' ? p.targetPort : p.port,
        name: typeof p.name === 'string' ? p.name : undefined,
        appProtocol: typeof p.appProtocol === 'string' ? p.appProtocol : undefined,
      });
    }
    out.push({ namespace: ns, name: o.metadata.name, selector, ports, labels: stringMap(o.metadata.labels), headless: o.spec.clusterIP === 'None' });
  }
  return out;
}

interface Draft {
  kind: string;
  name: string;
  namespace: string;
  serviceAccount: string;
  labels: Labels;
  annotations: Labels;
  ports: Map<number, { name?: string; protocols: PortProtocol[]; services: string[] }>;
  sidecar: boolean;
  sidecarReason: string;
  dataPlane: WorkloadDataPlane;
  dataPlaneReason: string;
  origin: 'manifest' | 'declared' | 'inferred';
}

/**
 * Finds the workloads: pod templates (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job,
 * CronJob) and Pods, the declared workloads, and (unless disabled) the gateways that Istio
 * `Gateway` objects select but no workload carries. Services give ports their protocol; workloads
 * with no known port get the ports their policies name.
 */
export function discoverWorkloads(objects: readonly any[], options: DiscoverOptions): Discovery {
  const warnings: string[] = [];
  const namespaces = namespacesOf(objects, options.declared.map((d) => d.namespace));
  const drafts: Draft[] = [];
  for (const o of objects) {
    const t = podTemplateOf(o);
    if (!t) continue;
    const sa = typeof t.spec.serviceAccountName === 'string' ? t.spec.serviceAccountName
      : typeof t.spec.serviceAccount === 'string' ? t.spec.serviceAccount : 'default';
    const side = sidecarOf(t, namespaces);
    const plane = dataPlaneOf(t, side, namespaces);
    const ports = new Map<number, { name?: string; protocols: PortProtocol[]; services: string[] }>();
    for (const p of containerPorts(t.spec)) if (!ports.has(p.port)) ports.set(p.port, { name: p.name, protocols: [], services: [] });
    drafts.push({
      kind: t.kind,
      name: t.name,
      namespace: t.namespace,
      serviceAccount: sa,
      labels: t.labels,
      annotations: t.annotations,
      ports,
      sidecar: side.sidecar,
      sidecarReason: side.reason,
      dataPlane: plane.dataPlane,
      dataPlaneReason: plane.reason,
      origin: 'manifest',
    });
  }
  for (const d of options.declared) {
    const ports = new Map<number, { name?: string; protocols: PortProtocol[]; services: string[] }>();
    for (const p of d.ports ?? []) ports.set(p, { protocols: [], services: [] });
    const sidecar = d.sidecar ?? true;
    const labels = { ...(d.labels ?? {}) };
    const sidecarReason = sidecar ? 'declared with a proxy' : 'declared without a proxy';
    // A workload declared without a proxy follows its namespace (and labels) into ambient mode.
    const plane = dataPlaneOf({ labels, namespace: d.namespace }, { sidecar, reason: sidecarReason }, namespaces);
    drafts.push({
      kind: 'Workload',
      name: d.name,
      namespace: d.namespace,
      serviceAccount: d.serviceAccount ?? 'default',
      labels,
      annotations: {},
      ports,
      sidecar,
      sidecarReason,
      dataPlane: plane.dataPlane,
      dataPlaneReason: plane.reason,
      origin: 'declared',
    });
  }
  if (options.inferGateways) drafts.push(...inferredGateways(objects, drafts, warnings, options.rootNamespace));

  // Services: give ports their protocol and name the Services in front of them.
  for (const svc of servicesOf(objects)) {
    for (const d of drafts) {
      if (d.namespace !== svc.namespace || !labelsSubset(svc.selector, d.labels)) continue;
      for (const sp of svc.ports) {
        const target = typeof sp.targetPort === 'number' ? sp.targetPort
          : [...d.ports.entries()].find(([, v]) => v.name === sp.targetPort)?.[0]
            ?? (/^[0-9]+$/.test(sp.targetPort) ? Number(sp.targetPort) : undefined);
        if (target === undefined) {
          warnings.push(`Service ${sp.service} port ${sp.port}: named targetPort "${sp.targetPort}" matches no container port of ${d.namespace}/${d.name}`);
          continue;
        }
        const entry = d.ports.get(target) ?? { protocols: [], services: [] };
        entry.protocols.push(protocolOfServicePort(sp.name, sp.appProtocol));
        entry.services.push(`${sp.service}:${sp.port}`);
        d.ports.set(target, entry);
      }
    }
  }

  // Ids: namespace/name, or namespace/kind/name when two kinds share a name.
  const counts = new Map<string, number>();
  for (const d of drafts) counts.set(`${d.namespace}/${d.name}`, (counts.get(`${d.namespace}/${d.name}`) ?? 0) + 1);
  const workloads: Workload[] = drafts.map((d) => {
    const base = `${d.namespace}/${d.name}`;
    const id = (counts.get(base) ?? 0) > 1 ? `${d.namespace}/${d.kind.toLowerCase()}/${d.name}` : base;
    const include = d.annotations[INCLUDE_INBOUND];
    return {
      id,
      kind: d.kind,
      name: d.name,
      namespace: d.namespace,
      serviceAccount: d.serviceAccount,
      principal: principalOf(options.trustDomain, d.namespace, d.serviceAccount),
      labels: d.labels,
      ports: [...d.ports.entries()].sort(([a], [b]) => a - b).map(([port, v]) => ({
        port,
        name: v.name,
        protocol: v.protocols.length === 0 ? 'auto' : v.protocols.every((p) => p === v.protocols[0]) ? v.protocols[0] : 'auto',
        services: [...new Set(v.services)].sort(compareStrings),
      })),
      sidecar: d.sidecar,
      sidecarReason: d.sidecarReason,
      dataPlane: d.dataPlane,
      dataPlaneReason: d.dataPlaneReason,
      origin: d.origin,
      includeInboundPorts: include === undefined || include.trim() === '*' ? undefined : portList(include),
      excludeInboundPorts: portList(d.annotations[EXCLUDE_INBOUND]),
      excludeOutboundPorts: portList(d.annotations[EXCLUDE_OUTBOUND]),
      excludesOutboundIpRanges: (d.annotations[EXCLUDE_OUTBOUND_IPS] ?? '').trim().length > 0,
    };
  });
  const seen = new Set<string>();
  for (const w of workloads) {
    if (seen.has(w.id)) warnings.push(`two workloads are both ${w.id}; the second is ignored`);
    seen.add(w.id);
  }
  const unique = workloads.filter((w, i) => workloads.findIndex((x) => x.id === w.id) === i);
  return { workloads: withPolicyPorts(unique, objects, options.rootNamespace).sort((a, b) => compareStrings(a.id, b.id)), namespaces, warnings };
}

/** The gateways Istio's installation creates, by their `istio` label (the gateway Helm chart and istioctl profiles). */
const STANDARD_GATEWAYS = ['ingressgateway', 'egressgateway'];

/**
 * Gateways selected by Istio `Gateway` objects (networking.istio.io) that no workload carries.
 * A Gateway's selector matches gateway pods in any namespace (Istio's default;
 * PILOT_SCOPE_GATEWAY_TO_NAMESPACE is off), so Istio's installation defaults are assumed:
 * `istio: ingressgateway` (or `egressgateway`) is Istio's own gateway, `istio-ingressgateway` in
 * the mesh's root namespace (istio-system) with labels `app: istio-ingressgateway` and
 * `istio: ingressgateway` and service account `istio-ingressgateway-service-account`; any other
 * `istio: X` gives `istio-X`, and `app: X` gives `X` with service account `X`, in the Gateway's
 * namespace.
 */
function inferredGateways(objects: readonly any[], drafts: readonly Draft[], warnings: string[], rootNamespace: string): Draft[] {
  const out: Draft[] = [];
  const gateways = objects.filter((o) => isKindOf(o, 'networking.istio.io', 'Gateway'))
    .sort((a, b) => compareStrings(refOf(a), refOf(b)));
  for (const g of gateways) {
    const selector = stringMap(g.spec?.selector);
    if (Object.keys(selector).length === 0) continue;
    if ([...drafts, ...out].some((d) => labelsSubset(selector, d.labels))) continue;
    const standard = selector.app === undefined && STANDARD_GATEWAYS.includes(selector.istio ?? '');
    const ns = standard ? rootNamespace : namespaceOf(g);
    const name = selector.app ?? (selector.istio ? `istio-${selector.istio}` : `${g.metadata?.name}-gateway`);
    const sa = selector.app ? selector.app : `${name}-service-account`;
    out.push({
      kind: 'Workload',
      name,
      namespace: ns,
      serviceAccount: sa,
      labels: standard ? { app: name, ...selector } : { ...selector },
      annotations: {},
      ports: new Map(),
      sidecar: true,
      sidecarReason: 'gateway proxy',
      dataPlane: 'sidecar',
      dataPlaneReason: 'gateway proxy',
      origin: 'inferred',
    });
    warnings.push(`inferred gateway workload ${ns}/${name} (service account ${sa}) from the selector of ${refOf(g)}; declare it to be exact`);
  }
  return out;
}

/** Whether a policy (AuthorizationPolicy, PeerAuthentication, RequestAuthentication) selects a workload by namespace and labels. */
export function selectsWorkload(policyNamespace: string, selector: Labels | undefined, w: Workload, rootNamespace: string): boolean {
  if (policyNamespace !== w.namespace && policyNamespace !== rootNamespace) return false;
  return selector === undefined || labelsSubset(selector, w.labels);
}

/** The policy's `spec.selector.matchLabels` (undefined when no selector: all workloads in scope). */
export function matchLabelsOf(o: any): Labels | undefined {
  return isRecord(o?.spec?.selector) ? stringMap(o.spec.selector.matchLabels) : undefined;
}

/**
 * Workloads without a known port get the ports the policies about them name: numeric ports of
 * NetworkPolicy ingress rules selecting them and `ports`/`destination.port` of the
 * AuthorizationPolicies applying to them. The ports the proxy serves itself (15020, 15021, 15090:
 * a scrape policy opens them on every pod) are not the workload's own and are left out.
 */
function withPolicyPorts(workloads: Workload[], objects: readonly any[], rootNamespace: string): Workload[] {
  return workloads.map((w) => {
    if (w.ports.length > 0) return w;
    const ports = new Set<number>();
    for (const o of objects) {
      if (isKindOf(o, 'networking.k8s.io', 'NetworkPolicy') && namespaceOf(o) === w.namespace && isRecord(o.spec)) {
        const sel = o.spec.podSelector ?? {};
        const ml = stringMap(sel.matchLabels);
        if (sel.matchExpressions !== undefined || !labelsSubset(ml, w.labels)) continue;
        for (const r of Array.isArray(o.spec.ingress) ? o.spec.ingress : []) {
          for (const p of Array.isArray(r?.ports) ? r.ports : []) if (typeof p?.port === 'number' && (p.protocol ?? 'TCP') === 'TCP') ports.add(p.port);
        }
      }
      if (isKindOf(o, 'security.istio.io', 'AuthorizationPolicy') && isRecord(o.spec) && o.spec.targetRef === undefined && o.spec.targetRefs === undefined
        && selectsWorkload(namespaceOf(o), matchLabelsOf(o), w, rootNamespace)) {
        for (const r of Array.isArray(o.spec.rules) ? o.spec.rules : []) {
          for (const t of Array.isArray(r?.to) ? r.to : []) for (const p of t?.operation?.ports ?? []) if (/^[0-9]{1,5}$/.test(String(p))) ports.add(Number(p));
          for (const c of Array.isArray(r?.when) ? r.when : []) if (c?.key === 'destination.port') for (const p of c.values ?? []) if (/^[0-9]{1,5}$/.test(String(p))) ports.add(Number(p));
        }
      }
    }
    for (const p of UNCAPTURED_PROXY_PORTS) ports.delete(p);
    // HBONE's port carries the tunnel to an ambient pod (NetworkPolicies open it), not a port of the workload.
    if (w.dataPlane === 'ambient') ports.delete(HBONE_PORT);
    return { ...w, ports: [...ports].sort((a, b) => a - b).map((port) => ({ port, protocol: 'auto' as PortProtocol, services: [] })) };
  });
}

/**
 * Whether the target's sidecar captures inbound traffic on `port` (else it bypasses mesh policy).
 * Never the ports the proxy serves itself (15020, 15021, 15090): Istio's iptables (and CNI) rules
 * always exclude them from inbound redirection, and the proxy's static listeners there have no
 * authorization filter (see mesh/proxy-ports.ts).
 */
export function capturesInbound(w: Workload, port: number): boolean {
  if (!w.sidecar) return false;
  if (UNCAPTURED_PROXY_PORTS.includes(port)) return false;
  if (w.excludeInboundPorts.includes(port)) return false;
  return w.includeInboundPorts === undefined || w.includeInboundPorts.includes(port);
}

/** Whether the caller's sidecar captures its outbound traffic to `port`. */
export function capturesOutbound(w: Workload, port: number): boolean {
  return w.sidecar && !w.excludeOutboundPorts.includes(port);
}

/**
 * Policies indexed by namespace and by one `matchLabels` pair of their selector, so that the
 * policies that may select a workload are found without scanning every policy: a policy with a
 * selector is filed under its first (string) label pair, which every workload it selects carries.
 * `candidates` returns a superset of the policies selecting a workload in that namespace (those
 * without selector, and those filed under one of the workload's labels), in input order; the
 * caller still applies the exact test.
 */
export class ScopeIndex<T> {
  private readonly byNamespace = new Map<string, { readonly open: number[]; readonly byLabel: Map<string, number[]> }>();

  public constructor(private readonly items: readonly T[], namespace: (t: T) => string, selectorPairs: (t: T) => [string, string][] | undefined) {
    items.forEach((item, i) => {
      const ns = namespace(item);
      let bucket = this.byNamespace.get(ns);
      if (!bucket) this.byNamespace.set(ns, bucket = { open: [], byLabel: new Map() });
      const pairs = selectorPairs(item);
      if (!pairs || pairs.length === 0) {
        bucket.open.push(i);
      } else {
        const key = labelKey(pairs[0][0], pairs[0][1]);
        const list = bucket.byLabel.get(key);
        if (list) list.push(i); else bucket.byLabel.set(key, [i]);
      }
    });
  }

  /** The items of `namespace` that may select a workload labelled `labels`, in input order. */
  public candidates(namespace: string, labels: Labels): T[] {
    const bucket = this.byNamespace.get(namespace);
    if (!bucket) return [];
    let found = bucket.open;
    if (bucket.byLabel.size > 0) {
      const more: number[] = [];
      for (const [k, v] of Object.entries(labels)) {
        const list = bucket.byLabel.get(labelKey(k, v));
        if (list) more.push(...list);
      }
      if (more.length > 0) found = [...found, ...more].sort((a, b) => a - b);
    }
    return found.map((i) => this.items[i]);
  }
}

function labelKey(k: string, v: string): string {
  return `${k}\u0000${v}`;
}

/** The string pairs of Istio `matchLabels` (as filed in a {@link ScopeIndex}). */
export function labelPairs(selector: Labels | undefined): [string, string][] | undefined {
  return selector === undefined ? undefined : Object.entries(selector).filter((e): e is [string, string] => typeof e[1] === 'string');
}
