import { asMap, podMetadata } from './mesh-shared';
import { ingressPolicies, ingressRulesOf, podDataPlane, podSelectorOf } from './network-l4-model';
import { selectorMatches } from './network-label-selector';
import { ContainerAt, containersOf, isRecord, podSpecsOf } from './workload-pod-specs';
import { KUBELET_PROBE_SOURCE_CIDR } from '../../mesh/data-plane';
import { PolicyRule, RuleContext, RuleObject, RuleSeverity, RuleViolation } from '../rule';

/** The probe fields of a container. */
const PROBE_ROLES = ['startupProbe', 'readinessProbe', 'livenessProbe'] as const;

/** The address kubelet probes of ambient pods come from (the address of {@link KUBELET_PROBE_SOURCE_CIDR}). */
const PROBE_SOURCE = KUBELET_PROBE_SOURCE_CIDR.split('/')[0];

/** An IPv4 address as an unsigned 32-bit number, or undefined. */
function ipv4(address: string): number | undefined {
  const parts = address.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^[0-9]{1,3}$/.test(p) && Number(p) <= 255)) return undefined;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

/** Whether the IPv4 CIDR string contains the IPv4 `address` (IPv6 and malformed CIDRs contain nothing). */
export function cidrContains(cidr: unknown, address: string): boolean {
  if (typeof cidr !== 'string') return false;
  const m = /^([0-9.]+)\/([0-9]{1,2})$/.exec(cidr);
  const net = m ? ipv4(m[1]) : undefined;
  const ip = ipv4(address);
  if (!m || net === undefined || ip === undefined || Number(m[2]) > 32) return false;
  const size = 2 ** (32 - Number(m[2]));
  return Math.floor(net / size) === Math.floor(ip / size);
}

/** Whether an ingress rule admits the kubelet's probe address: no `from` (everyone), or an ipBlock containing it and not excepting it. */
function admitsProbeSource(rule: { readonly [key: string]: any }): boolean {
  if (rule.from === undefined || (Array.isArray(rule.from) && rule.from.length === 0)) return true;
  if (!Array.isArray(rule.from)) return false;
  return rule.from.some((peer: unknown) => isRecord(peer) && isRecord(peer.ipBlock) && cidrContains(peer.ipBlock.cidr, PROBE_SOURCE)
    && !(Array.isArray(peer.ipBlock.except) && peer.ipBlock.except.some((e: unknown) => cidrContains(e, PROBE_SOURCE))));
}

/** A probed port of a container: its number (when known) and name (when the probe or the container names it). */
interface ProbedPort {
  readonly number?: number;
  readonly name?: string;
}

/** Whether an ingress rule admits TCP traffic to the probed port (no ports; a numbered port or range; the port's name). */
function admitsProbedPort(rule: { readonly [key: string]: any }, port: ProbedPort): boolean {
  if (rule.ports === undefined || (Array.isArray(rule.ports) && rule.ports.length === 0)) return true;
  if (!Array.isArray(rule.ports)) return false;
  return rule.ports.some((p: unknown) => {
    if (!isRecord(p) || (p.protocol !== undefined && p.protocol !== 'TCP')) return false;
    if (p.port === undefined) return true;
    if (typeof p.port === 'string') return port.name !== undefined && p.port === port.name;
    if (typeof p.port !== 'number' || port.number === undefined) return false;
    return typeof p.endPort === 'number' ? p.port <= port.number && port.number <= p.endPort : p.port === port.number;
  });
}

/** The port a probe reaches over the network (httpGet, tcpSocket, grpc), resolved against the container's named ports; undefined for exec probes. */
function probedPort(probe: unknown, container: { readonly [key: string]: any }): ProbedPort | undefined {
  if (!isRecord(probe)) return undefined;
  const handler = [probe.httpGet, probe.tcpSocket, probe.grpc].find(isRecord);
  if (!handler) return undefined;
  const ports = Array.isArray(container.ports) ? container.ports.filter(isRecord) : [];
  if (typeof handler.port === 'number') {
    const named = ports.find((p) => p.containerPort === handler.port && typeof p.name === 'string');
    return { number: handler.port, name: named?.name };
  }
  if (typeof handler.port === 'string') {
    const named = ports.find((p) => p.name === handler.port && typeof p.containerPort === 'number');
    return { number: named?.containerPort, name: handler.port };
  }
  return {};
}

function portText(port: ProbedPort): string {
  if (port.number !== undefined) return `TCP ${port.number}${port.name ? ` ("${port.name}")` : ''}`;
  return port.name ? `port "${port.name}"` : 'its port';
}

/** The findings of one workload (or Pod): one per container and probed port that no selecting NetworkPolicy admits from the probe address. */
function workloadFindings(object: RuleObject, ctx: RuleContext): RuleViolation[] {
  const namespace = object.metadata?.namespace;
  const pod = podMetadata(object);
  if (typeof namespace !== 'string' || !pod) return [];
  const specs = podSpecsOf(object);
  if (specs.length === 0 || specs.every((s) => s.spec.hostNetwork === true)) return [];
  if (podDataPlane(ctx, namespace, pod.metadata) !== 'ambient') return [];
  const labels = Object.fromEntries(Object.entries(asMap(pod.metadata?.labels) ?? {}).filter(([, v]) => typeof v === 'string')) as { [key: string]: string };
  const selecting = ingressPolicies(ctx, namespace).filter((np) => selectorMatches(podSelectorOf(np), labels));
  if (selecting.length === 0) return [];
  const rules = selecting.flatMap((np) => ingressRulesOf(np).map(({ rule }) => rule)).filter(admitsProbeSource);
  const out: RuleViolation[] = [];
  for (const c of specs.filter((s) => s.spec.hostNetwork !== true).flatMap(containersOf)) {
    const byPort = new Map<string, { port: ProbedPort; roles: string[]; path: string }>();
    for (const role of PROBE_ROLES) {
      const port = probedPort(c.container[role], c.container);
      if (!port) continue;
      const key = JSON.stringify([port.number, port.name]);
      const entry = byPort.get(key) ?? { port, roles: [], path: `${c.path}.${role}` };
      entry.roles.push(role);
      byPort.set(key, entry);
    }
    for (const { port, roles, path } of byPort.values()) {
      if (rules.some((r) => admitsProbedPort(r, port))) continue;
      out.push(finding(object, namespace, c, port, roles, path));
    }
  }
  return out;
}

function finding(object: RuleObject, namespace: string, c: ContainerAt, port: ProbedPort, roles: string[], path: string): RuleViolation {
  return {
    path,
    ...(port.number !== undefined ? { port: port.number } : {}),
    message: `the ${roles.join(' and ')} of ${c.label} (${portText(port)}) reach the pod from ${PROBE_SOURCE} (the kubelet's probes, `
      + `SNATed by Istio in ambient namespace "${namespace}"), but no NetworkPolicy selecting the pods of ${object.kind ?? 'the object'} `
      + `${object.metadata?.name ?? ''} admits ipBlock ${KUBELET_PROBE_SOURCE_CIDR} on that port: the probes fail, and the pods never get `
      + 'ready (or are restarted)',
  };
}

/**
 * NET-AMBIENT-001 (NETPOL-1): in ambient mode, NetworkPolicies that isolate probed pods admit the
 * kubelet's probes, which arrive from 169.254.7.127.
 *
 * In an ambient namespace the Istio CNI SNATs the kubelet's probes of ambient pods to the
 * link-local 169.254.7.127 so that ztunnel lets them past (istio.io docs/ambient/usage/
 * networkpolicy, "Ambient, health probes, and Kubernetes NetworkPolicy"; istio/istio cni
 * `HostProbeSNATAddress`). A NetworkPolicy sees that address, not the node's, so a default deny
 * without an ingress rule admitting it drops every httpGet, tcpSocket and gRPC probe.
 *
 * For each Pod or workload (pod template) whose pods are ambient (see `podDataPlane` in
 * network-l4-model.ts: an ambient namespace whose Namespace object is in the set, or the pod label
 * `istio.io/dataplane-mode: ambient`; not host-network pods, sidecar pods, pods labelled `none`, or
 * Istio's gateway pods) and that some ingress NetworkPolicy selects, each container's network probe
 * port must be admitted by an ingress rule of a NetworkPolicy selecting the pods whose `from` is
 * absent or holds an ipBlock containing 169.254.7.127 (not in its `except`), on that port (a rule
 * without ports, a numbered port or range, or the container port's name). The workloads of an
 * ambient HardenedNamespace get such a rule (ipBlock 169.254.7.127/32). One finding per container
 * and probed port, on the workload, at the first probe's path, with the port.
 *
 * Not covered: exec probes (no network); IPv6 clusters, where the probes come from Istio's IPv6
 * SNAT address; a Namespace object absent from the set (its data plane is unknown).
 */
export const NET_AMBIENT_001: PolicyRule = {
  id: 'NET-AMBIENT-001',
  practices: ['NETPOL-1'],
  severity: RuleSeverity.ERROR,
  since: '2',
  kinds: [],
  title: `In ambient namespaces, NetworkPolicies that isolate probed pods admit the kubelet's probes from ${KUBELET_PROBE_SOURCE_CIDR}`,
  explanation:
    `In ambient mode Istio rewrites the source of the kubelet's health probes to ${PROBE_SOURCE} so that ztunnel lets them through. `
    + 'NetworkPolicies see that address, so a default-deny namespace that does not admit it fails every HTTP, TCP and gRPC probe: '
    + 'readiness never passes (no traffic reaches the pods) and liveness failures restart them. Only the node\'s kubelet, through '
    + 'the Istio CNI, sends from that link-local address.',
  fix:
    'Create the namespace with HardenedNamespace and dataPlane AMBIENT (its workloads admit the probes), or add a NetworkPolicy '
    + `selecting the pods with an ingress rule from ipBlock ${KUBELET_PROBE_SOURCE_CIDR} (on the probe ports). A PolicyException is right `
    + 'only when the CNI is known to exempt these probes from NetworkPolicy, with the reason recorded.',
  check() {
    return [];
  },
  checkAll(ctx) {
    const out: { object: RuleObject; violation: RuleViolation }[] = [];
    for (const object of ctx.objects) {
      for (const violation of workloadFindings(object, ctx)) out.push({ object, violation });
    }
    return out;
  },
};
