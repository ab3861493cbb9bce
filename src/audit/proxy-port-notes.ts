import { AuthzPolicy } from './authz-evaluator';
import { proxyPortRole } from '../mesh/proxy-ports';
import { isRecord } from '../policy/rules/workload-pod-specs';

/**
 * AuthorizationPolicies that name a port the proxy serves itself (15020, 15021, 15090) in
 * `to.operation.ports` or a `destination.port` condition. The sidecar never captures those ports
 * (see mesh/proxy-ports.ts), so such a rule governs nothing there: a DENY that seems to protect the
 * metrics endpoints protects nothing, an ALLOW that seems to grant a scraper grants nothing. Only
 * NetworkPolicy decides who reaches them. One note per policy, for `AccessMatrix.warnings()`.
 */
export function proxyPortNotes(policies: readonly AuthzPolicy[]): string[] {
  const notes: string[] = [];
  for (const p of policies) {
    const named = new Set<number>();
    for (const rule of p.rules) {
      if (!isRecord(rule)) continue;
      for (const to of Array.isArray(rule.to) ? rule.to : []) {
        const ports: unknown = isRecord(to) && isRecord(to.operation) ? to.operation.ports : undefined;
        for (const port of Array.isArray(ports) ? ports : []) named.add(Number(port));
      }
      for (const c of Array.isArray(rule.when) ? rule.when : []) {
        if (isRecord(c) && c.key === 'destination.port' && Array.isArray(c.values)) for (const v of c.values) named.add(Number(v));
      }
    }
    const proxyPorts = [...named].filter((port) => proxyPortRole(port) !== undefined).sort((a, b) => a - b);
    if (proxyPorts.length === 0) continue;
    notes.push(`${p.ref} (${p.action}) names ${proxyPorts.map((port) => `port ${port} (${proxyPortRole(port)})`).join(', ')}, which the sidecar never `
      + 'captures: the policy governs nothing there, and only NetworkPolicy decides who reaches it');
  }
  return notes;
}
