import { Labels, PortProtocol, Workload, compareStrings, isKindOf, labelsSubset, namespaceOf, protocolOfServicePort, refOf, stringMap } from './workloads';
import { isRecord } from '../policy/rules/workload-pod-specs';

/**
 * External hosts as targets of the access matrix (EGRESS-1, AUTHZ-2): the hosts that MESH_EXTERNAL
 * ServiceEntries register, and what decides whether a caller's proxy knows them. Sources:
 *
 * - istio.io docs/ambient/usage/egress-gateway: a ServiceEntry served by a waypoint
 *   (`istio.io/use-waypoint` on it or its namespace) sends every in-mesh connection to its hosts
 *   through the waypoint, where policies attached to the ServiceEntry apply.
 * - istio/istio pilot/pkg/serviceregistry/kube/controller/ambient/services.go: a ServiceEntry
 *   port's `targetPort` (else its `number`) is the port the host is reached on.
 * - ztunnel ignores `exportTo` (istio/istio#55163): every ambient caller is sent to the waypoint.
 *   A sidecar routes a host only when the ServiceEntry is exported to its namespace (`exportTo`,
 *   default `*`: Istio's `defaultServiceExportTo`) and its Sidecar resource imports it
 *   (`egress[].hosts`, `namespace/dnsName`; istio.io reference/config/networking/sidecar).
 */

/** A port of a ServiceEntry. */
export interface ExternalPort {
  /** The port callers address (`number`). */
  readonly number: number;
  /** The port the host is reached on: `targetPort`, else `number`. */
  readonly targetPort: number;
  readonly name?: string;
  /** How Istio reads it (`protocol`, else the name). */
  readonly protocol: PortProtocol;
}

/** A ServiceEntry of the input. */
export interface ExternalEntry {
  /** `ServiceEntry/namespace/name`. */
  readonly ref: string;
  readonly namespace: string;
  readonly name: string;
  /** Its hosts, lower-cased (DNS names are case-insensitive). */
  readonly hosts: string[];
  /** `MESH_EXTERNAL` (the default) or `MESH_INTERNAL`. */
  readonly location: string;
  readonly ports: ExternalPort[];
  readonly labels: Labels;
  /** `exportTo` (undefined: every namespace). */
  readonly exportTo?: readonly string[];
}

/** The ServiceEntries (networking.istio.io) of the input, sorted by reference. */
export function parseServiceEntries(objects: readonly any[]): ExternalEntry[] {
  const out: ExternalEntry[] = [];
  for (const o of objects) {
    if (!isKindOf(o, 'networking.istio.io', 'ServiceEntry') || typeof o.metadata?.name !== 'string') continue;
    const spec = isRecord(o.spec) ? o.spec : {};
    const ports: ExternalPort[] = [];
    for (const p of Array.isArray(spec.ports) ? spec.ports : []) {
      if (!isRecord(p) || typeof p.number !== 'number' || !Number.isInteger(p.number)) continue;
      ports.push({
        number: p.number,
        targetPort: typeof p.targetPort === 'number' && p.targetPort > 0 ? p.targetPort : p.number,
        name: typeof p.name === 'string' ? p.name : undefined,
        protocol: protocolOfServicePort(typeof p.name === 'string' ? p.name : undefined, typeof p.protocol === 'string' ? p.protocol : undefined),
      });
    }
    out.push({
      ref: refOf(o),
      namespace: namespaceOf(o),
      name: o.metadata.name,
      hosts: (Array.isArray(spec.hosts) ? spec.hosts : []).filter((h: unknown): h is string => typeof h === 'string' && h.length > 0).map((h: string) => h.toLowerCase()),
      location: typeof spec.location === 'string' ? spec.location : 'MESH_EXTERNAL',
      ports: ports.sort((a, b) => a.number - b.number),
      labels: stringMap(o.metadata.labels),
      // An empty list is unset: Istio's conversion reads exportTo only when it has entries.
      exportTo: Array.isArray(spec.exportTo) && spec.exportTo.length > 0 ? spec.exportTo.map(String) : undefined,
    });
  }
  return out.sort((a, b) => compareStrings(a.ref, b.ref));
}

/** Whether `entry` is exported to `namespace` (`*`, `.` for its own, a name; `~` for none). */
export function exportedTo(entry: ExternalEntry, namespace: string): boolean {
  const to = entry.exportTo ?? ['*'];
  return to.includes('*') || to.includes(namespace) || (to.includes('.') && entry.namespace === namespace);
}

/** A Sidecar resource: which hosts the sidecars it applies to import. */
export interface SidecarScope {
  /** `Sidecar/namespace/name`. */
  readonly ref: string;
  readonly namespace: string;
  /** `workloadSelector.labels` (undefined: every workload of the namespace). */
  readonly selector?: Labels;
  /** `egress[].hosts` of every listener (undefined: no egress section, so everything exported is imported). */
  readonly egressHosts?: readonly string[];
  /** `outboundTrafficPolicy.mode` (`REGISTRY_ONLY`, `ALLOW_ANY`); undefined: the mesh's (meshConfig, not in the input). */
  readonly outboundMode?: string;
}

/** The Sidecar resources (networking.istio.io) of the input, sorted by reference. */
export function parseSidecars(objects: readonly any[]): SidecarScope[] {
  const out: SidecarScope[] = [];
  for (const o of objects) {
    if (!isKindOf(o, 'networking.istio.io', 'Sidecar') || typeof o.metadata?.name !== 'string') continue;
    const spec = isRecord(o.spec) ? o.spec : {};
    const selector = stringMap(isRecord(spec.workloadSelector) ? spec.workloadSelector.labels : undefined);
    const egress = Array.isArray(spec.egress) ? spec.egress.filter(isRecord) : undefined;
    out.push({
      ref: refOf(o),
      namespace: namespaceOf(o),
      ...(Object.keys(selector).length > 0 ? { selector } : {}),
      ...(egress && egress.length > 0
        ? { egressHosts: egress.flatMap((l: any) => (Array.isArray(l.hosts) ? l.hosts.filter((h: unknown): h is string => typeof h === 'string') : [])) }
        : {}),
      ...(isRecord(spec.outboundTrafficPolicy) && typeof spec.outboundTrafficPolicy.mode === 'string' ? { outboundMode: spec.outboundTrafficPolicy.mode } : {}),
    });
  }
  return out.sort((a, b) => compareStrings(a.ref, b.ref));
}

/**
 * The Sidecar resource that applies to `w`'s sidecar (never to a gateway's or a waypoint's proxy:
 * pilot builds theirs with `DefaultSidecarScopeForGateway`, every service exported to their
 * namespace): one of its namespace whose
 * `workloadSelector` selects it, else its namespace's without selector, else the root namespace's
 * without selector (istio.io reference/config/networking/sidecar; the oldest wins among several,
 * here the first by name).
 */
export function sidecarFor(sidecars: readonly SidecarScope[], w: Workload, rootNamespace: string): SidecarScope | undefined {
  return sidecars.find((s) => s.namespace === w.namespace && s.selector !== undefined && labelsSubset(s.selector, w.labels))
    ?? sidecars.find((s) => s.namespace === w.namespace && s.selector === undefined)
    ?? sidecars.find((s) => s.namespace === rootNamespace && s.selector === undefined);
}

/** Whether a Sidecar `egress.hosts` entry (`namespace/dnsName`) imports `host` of `entry`. */
function importsHost(pattern: string, sidecarNamespace: string, entry: ExternalEntry, host: string): boolean {
  const slash = pattern.indexOf('/');
  if (slash < 0) return false;
  const ns = pattern.slice(0, slash);
  const dns = pattern.slice(slash + 1).toLowerCase();
  const nsOk = ns === '*' || (ns === '.' ? entry.namespace === sidecarNamespace : ns !== '~' && ns === entry.namespace);
  const dnsOk = dns === '*' || (dns.startsWith('*.') ? host.endsWith(dns.slice(1)) : dns === host);
  return nsOk && dnsOk;
}

/**
 * Whether `caller`'s sidecar knows `host` of `entry` (so that it sends requests for it where Istio
 * routes them), and why not: the ServiceEntry must be exported to its namespace, and the Sidecar
 * resource that applies to it must import it.
 */
export function sidecarSees(sidecars: readonly SidecarScope[], caller: Workload, entry: ExternalEntry, host: string, rootNamespace: string):
{ readonly sees: boolean; readonly why: string; readonly scope?: SidecarScope } {
  const scope = sidecarFor(sidecars, caller, rootNamespace);
  if (!exportedTo(entry, caller.namespace)) {
    return { sees: false, why: `${entry.ref} is not exported to namespace ${caller.namespace} (exportTo [${(entry.exportTo ?? []).join(', ')}])`, scope };
  }
  if (scope?.egressHosts !== undefined && !scope.egressHosts.some((p) => importsHost(p, scope.namespace, entry, host))) {
    return { sees: false, why: `${scope.ref} does not import ${entry.namespace}/${host} (egress hosts [${scope.egressHosts.join(', ')}])`, scope };
  }
  return { sees: true, why: `${entry.ref} is exported to namespace ${caller.namespace}${scope?.egressHosts !== undefined ? ` and ${scope.ref} imports it` : ''}`, scope };
}
