import { NetworkPolicyEgressRule, NetworkPolicyPeer, NetworkPolicyPort } from './network-policy';

/**
 * Building blocks of the NetworkPolicies this library writes (AUTHZ-4, NETPOL-1): peers that
 * name a namespace by its immutable `kubernetes.io/metadata.name` label (set by the API server,
 * so a team cannot relabel its way into another namespace's allow list) and pods by labels.
 */

/** The label the API server sets on every namespace to its name. */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

/** A NetworkPolicy peer for pods with `podLabels` in `namespace` (all its pods when no labels). */
export function podsInNamespace(namespace: string, podLabels?: { [key: string]: string }): NetworkPolicyPeer {
  const namespaceSelector = { matchLabels: { [NAMESPACE_NAME_LABEL]: namespace } };
  return podLabels && Object.keys(podLabels).length > 0
    ? { namespaceSelector, podSelector: { matchLabels: sortedLabels(podLabels) } }
    : { namespaceSelector };
}

/** NetworkPolicy ports for TCP port numbers, sorted and de-duplicated. */
export function tcpPorts(ports: readonly number[]): NetworkPolicyPort[] {
  return [...new Set(ports)].sort((a, b) => a - b).map((port) => ({ protocol: 'TCP', port }));
}

/** A copy of the labels with keys in sorted order (stable YAML). */
export function sortedLabels(labels: { [key: string]: string }): { [key: string]: string } {
  return Object.fromEntries(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Egress to the cluster DNS (kube-dns / CoreDNS pods in kube-system) on UDP and TCP 53. */
export function dnsEgressRule(): NetworkPolicyEgressRule {
  return {
    to: [podsInNamespace('kube-system', { 'k8s-app': 'kube-dns' })],
    ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }],
  };
}
