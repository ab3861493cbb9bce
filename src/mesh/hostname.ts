import { checkDns1123Label } from '../validation/kubernetes-names';

/**
 * Problems with a host name used at the mesh edge (gateway hosts, external hosts): a fully
 * qualified DNS name such as `api.example.com`, without scheme, port, path or wildcard, at most
 * 253 characters, each label a DNS-1123 label, and not an IP address.
 */
export function checkDnsHostname(host: string): string[] {
  if (host === '') return ['host must not be empty'];
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(host)) return [`host "${host}" must not include a scheme: write only the DNS name`];
  if (host.includes('/')) return [`host "${host}" must not include a path: write only the DNS name`];
  if (host.includes(':')) return [`host "${host}" must not include a port: give the port separately`];
  if (host.includes('*')) return [`host "${host}" must not be a wildcard: name each host explicitly`];
  if (/^[0-9.]+$/.test(host)) return [`host "${host}" is an IP address: name the host by DNS`];
  if (host.length > 253) return [`host "${host}" must be no more than 253 characters`];
  if (host !== host.toLowerCase()) return [`host "${host}" must be lower case`];
  const labels = host.split('.');
  if (labels.length < 2) return [`host "${host}" must be a fully qualified name with a domain, e.g. "${host}.example.com"`];
  const bad = labels.filter((l) => checkDns1123Label(l).length > 0);
  return bad.length > 0 ? [`host "${host}" has invalid DNS labels: ${bad.map((l) => `"${l}"`).join(', ')}`] : [];
}
