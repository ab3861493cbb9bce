import * as net from 'net';
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { PROXY_HEALTH_PORT } from './proxy-ports';
import { networkPolicy } from '../network/network-policy';
import { tcpPorts } from '../network/peers';
import { WIDEST_PREFIX } from '../policy/rules/network-policy-shape';

/**
 * Load-balancer health checks of an ingress gateway (INGRESS-1).
 *
 * The gateway pod's status port (15021, `/healthz/ready`) is served by the proxy's own status
 * listener, not by a Gateway server: no AuthorizationPolicy applies to it, and it says only
 * whether the proxy is ready. What closes it is the network: MeshBaseline's default deny in the
 * control-plane namespace, and the gateway's own ingress NetworkPolicy, which opens the HTTPS and
 * HTTP target ports only. A load balancer whose health checker reaches the pod itself then marks
 * every gateway pod unhealthy and serves nothing. This opens 15021 (TCP, nothing else) to the
 * checkers' source ranges, for the gateway pods only.
 *
 * Where the checks come from:
 * - Container-native load balancing on GKE (NEGs: a GKE Ingress with `cloud.google.com/neg`, or a
 *   GKE Gateway): the Application Load Balancer's health checks go straight to the pod IP and
 *   port, from 35.191.0.0/16 and 130.211.0.0/22. The pod NetworkPolicy applies to them.
 * - A `LoadBalancer` Service (the standard istio-ingressgateway; an external passthrough Network
 *   Load Balancer on GKE): the load balancer sends packets to the nodes and checks the nodes
 *   (kube-proxy's health port with `externalTrafficPolicy: Cluster`, the Service's
 *   `healthCheckNodePort` with `Local`), not pod:15021. The passthrough health-check ranges
 *   (35.191.0.0/16, 209.85.152.0/22, 209.85.204.0/22) therefore never need the pod's status port,
 *   and are not in the default.
 *
 * Sources: https://cloud.google.com/load-balancing/docs/firewall-rules (health check ranges per
 * load balancer type), https://cloud.google.com/load-balancing/docs/health-check-concepts,
 * https://cloud.google.com/kubernetes-engine/docs/how-to/external-svc-lb-rbs (nodes route the
 * packets of a LoadBalancer Service to the pods).
 */

/** The source ranges of Google Cloud's health checks for Application Load Balancers (IPv4). */
export const GOOGLE_CLOUD_HEALTH_CHECK_RANGES: readonly string[] = ['35.191.0.0/16', '130.211.0.0/22'];

/** The status port of an Istio gateway pod (`/healthz/ready`), unless `status.sidecar.istio.io/port` moves it. */
export const GATEWAY_STATUS_PORT = PROXY_HEALTH_PORT;

/** The readiness path of the status port. */
export const GATEWAY_READINESS_PATH = '/healthz/ready';

/**
 * Problems of a health-check source range list: each entry a CIDR (IPv4 or IPv6, host bits
 * zero), none wider than a /8 (IPv4) or /16 (IPv6), no duplicates. An empty list is valid: it
 * means "no health-check opening".
 */
export function healthCheckRangeProblems(ranges: unknown): string[] {
  if (!Array.isArray(ranges)) return ['must be a list of CIDRs'];
  const problems: string[] = [];
  ranges.forEach((r, i) => problems.push(...cidrProblems(r).map((p) => `[${i}] ${p}`)));
  const dupes = ranges.filter((r, i) => ranges.indexOf(r) !== i);
  if (dupes.length > 0) problems.push(`${[...new Set(dupes)].map((d) => `"${d}"`).join(', ')} listed twice`);
  return problems;
}

function cidrProblems(value: unknown): string[] {
  if (typeof value !== 'string') return [`${JSON.stringify(value)} is not a CIDR`];
  const parts = value.split('/');
  const version = net.isIP(parts[0]) as 0 | 4 | 6;
  if (parts.length !== 2 || !/^(0|[1-9][0-9]{0,2})$/.test(parts[1])) {
    return version === 0 || parts.length > 2
      ? [`"${value}" is not a CIDR`]
      : [`"${value}" has no valid prefix length. Did you mean "${parts[0]}/${version === 4 ? 32 : 128}"?`];
  }
  if (version === 0 || parts[0].includes('%')) return [`"${value}": "${parts[0]}" is not an IPv4 or IPv6 address`];
  const bits = version === 4 ? 32 : 128;
  const prefix = Number(parts[1]);
  if (prefix > bits) return [`"${value}": the prefix length must be at most ${bits}`];
  if (prefix < WIDEST_PREFIX[version]) {
    return [`"${value}" is wider than a /${WIDEST_PREFIX[version]}: it would open the status port to most of the internet, not to health checkers`];
  }
  const address = addressBits(parts[0], version);
  const block = 2n ** BigInt(bits - prefix);
  const network = (address / block) * block;
  if (network !== address) return [`"${value}" has host bits set: the network is ${formatNetwork(network, version)}/${prefix}`];
  return [];
}

function addressBits(address: string, version: 4 | 6): bigint {
  if (version === 4) return address.split('.').reduce((acc, o) => acc * 256n + BigInt(Number(o)), 0n);
  let text = address;
  const tail = text.slice(text.lastIndexOf(':') + 1);
  if (tail.includes('.')) {
    const v4 = addressBits(tail, 4);
    text = `${text.slice(0, text.lastIndexOf(':') + 1)}${(v4 / 65536n).toString(16)}:${(v4 % 65536n).toString(16)}`;
  }
  const [head, rest] = text.includes('::') ? text.split('::') : [text, undefined];
  const headGroups = head ? head.split(':') : [];
  const restGroups = rest ? rest.split(':') : [];
  const zeros: string[] = rest === undefined ? [] : new Array(8 - headGroups.length - restGroups.length).fill('0');
  return [...headGroups, ...zeros, ...restGroups].reduce((acc, g) => acc * 65536n + BigInt(parseInt(g, 16)), 0n);
}

function formatNetwork(value: bigint, version: 4 | 6): string {
  if (version === 4) return [3n, 2n, 1n, 0n].map((i) => ((value / 256n ** i) % 256n).toString()).join('.');
  return Array.from({ length: 8 }, (_, i) => ((value / 65536n ** BigInt(7 - i)) % 65536n).toString(16)).join(':');
}

/**
 * The NetworkPolicy admitting load-balancer health checks from `ranges` on TCP `statusPort` to
 * the gateway pods (and nothing else), or undefined when `ranges` is empty.
 */
export function healthCheckNetworkPolicy(scope: Construct, name: string, namespace: string,
  podLabels: { [key: string]: string }, ranges: readonly string[], statusPort: number): ApiObject | undefined {
  if (ranges.length === 0) return undefined;
  return networkPolicy(scope, 'LbHealthChecks', name, namespace, {
    podSelector: { matchLabels: podLabels },
    policyTypes: ['Ingress'],
    ingress: [{ from: ranges.map((cidr) => ({ ipBlock: { cidr } })), ports: tcpPorts([statusPort]) }],
  });
}
