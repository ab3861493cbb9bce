import { PolicyRule, RuleContext, RuleSeverity, RuleViolation, isKind, kindKey } from '../rule';
import { NETWORKING_GROUP, asString, celEachDestinationRuleTls, celHas, destinationRuleTls, isSet, specOf, stringItems } from './mesh-shared';

/**
 * Whether a host is in-mesh by its name alone: a short name (no dot, resolved in the
 * DestinationRule's namespace), `*`, or a cluster-local service name (`.svc.cluster.local`).
 * No ServiceEntry can make these external.
 */
export function isClusterLocalHost(host: string): boolean {
  const h = host.toLowerCase();
  return !h.includes('.') || h.endsWith('.svc.cluster.local');
}

/** Whether ServiceEntry host `entry` covers `host`: equal, or a `*.suffix` wildcard matching it. */
export function hostCovers(entry: string, host: string): boolean {
  const e = entry.toLowerCase();
  const h = host.toLowerCase();
  if (e === h) return true;
  return e.startsWith('*.') && h.endsWith(e.slice(1)) && h.length > e.length - 1;
}

/**
 * Whether `host` is in the mesh: cluster-local by name ({@link isClusterLocalHost}), or listed by a
 * ServiceEntry with `location: MESH_INTERNAL` (workloads outside Kubernetes that run a sidecar).
 * A public hostname (`api.stripe.com`) is not, whether or not a ServiceEntry declares it.
 */
export function isInMeshHost(host: string, context: RuleContext): boolean {
  if (isClusterLocalHost(host)) return true;
  return context.objects.some((o) => isKind(o, NETWORKING_GROUP, 'ServiceEntry') && specOf(o).location === 'MESH_INTERNAL'
    && stringItems(specOf(o).hosts).some(({ value }) => hostCovers(value, host)));
}

/**
 * MESH-DR-001 (MTLS-1): DestinationRules for in-mesh hosts keep mesh mTLS (ISTIO_MUTUAL).
 *
 * A client-side `tls.mode` of DISABLE sends plaintext to a STRICT server (broken or, with
 * PERMISSIVE, unauthenticated); SIMPLE and MUTUAL replace the mesh identity with app-managed
 * certificates, so the server sees no SPIFFE principal and principal-based authorization fails
 * open or closed. `tls` without `mode` is DISABLE. In-mesh hosts are cluster-local names and the
 * hosts of MESH_INTERNAL ServiceEntries ({@link isInMeshHost}); a public hostname is out of scope
 * (TLS origination to it is EGRESS-1's), even when no ServiceEntry in the set declares it.
 */
export const MESH_DR_001: PolicyRule = {
  id: 'MESH-DR-001',
  practices: ['MTLS-1'],
  severity: RuleSeverity.ERROR,
  kinds: [kindKey(NETWORKING_GROUP, 'DestinationRule')],
  title: 'DestinationRules for in-mesh hosts use tls.mode ISTIO_MUTUAL (or leave tls unset for auto mTLS)',
  explanation:
    'For an in-mesh host, a DestinationRule tls.mode of DISABLE makes the client sidecar send plaintext, and SIMPLE or MUTUAL '
    + 'replace Istio\'s workload certificates with other ones: the server no longer sees the caller\'s mesh identity, so STRICT '
    + 'mTLS and principal-based AuthorizationPolicies stop protecting that hop. A `tls` block without `mode` means DISABLE.',
  fix:
    'Remove the `tls` block (auto mTLS applies ISTIO_MUTUAL) or set `mode: ISTIO_MUTUAL`, at top level, in portLevelSettings '
    + 'and in subsets. For a host outside the mesh, declare it with a ServiceEntry (location MESH_EXTERNAL), e.g. through '
    + 'ExternalHost. A port that must talk plaintext to an in-mesh workload needs a PolicyException scoped to that port.',
  check(object, context) {
    if (!isKind(object, NETWORKING_GROUP, 'DestinationRule')) return [];
    const spec = specOf(object);
    const host = asString(spec.host);
    if (host === undefined || !isInMeshHost(host, context)) return [];
    const violations: RuleViolation[] = [];
    for (const { tls, path, port } of destinationRuleTls(spec)) {
      if (tls.mode === 'ISTIO_MUTUAL') continue;
      const mode = isSet(tls.mode) ? JSON.stringify(tls.mode) : 'unset (DISABLE)';
      violations.push({
        path: `${path}.mode`,
        message: `tls.mode is ${mode} for the in-mesh host "${host}"${port !== undefined ? ` on port ${port}` : ''}: `
          + 'traffic leaves the sidecar without Istio mTLS; use ISTIO_MUTUAL or remove tls',
        ...(port !== undefined ? { port } : {}),
      });
    }
    return violations;
  },
  /**
   * Admission cannot see ServiceEntries, so it enforces the rule only for hosts that are in-mesh by
   * name ({@link isClusterLocalHost}); the host of a MESH_INTERNAL ServiceEntry is refused at synth
   * and in the audit, but admitted here.
   */
  admission: {
    resources: [{ apiGroups: [NETWORKING_GROUP], apiVersions: ['*'], resources: ['destinationrules'] }],
    expression: `!${celHas('object.spec.host')} || (object.spec.host.contains('.') && !object.spec.host.lowerAscii().endsWith('.svc.cluster.local'))`
      + ` || ${celEachDestinationRuleTls((tls) => `(!${celHas(tls)} || (has(${tls}.mode) && ${tls}.mode == 'ISTIO_MUTUAL'))`)}`,
    message: 'MESH-DR-001 (MTLS-1): a DestinationRule for an in-mesh host (short name or *.svc.cluster.local) must use tls.mode ISTIO_MUTUAL or leave tls unset, at top level, per port and in subsets',
  },
};
