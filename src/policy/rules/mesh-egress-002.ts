import { PolicyRule, RuleSeverity, RuleViolation, isKind, kindKey } from '../rule';
import { isWildcardHost } from './mesh-ingress-001';
import { NETWORKING_GROUP, asList, isSet, specOf, stringItems } from './mesh-shared';

/**
 * MESH-EGRESS-002 (EGRESS-1): ServiceEntries for external hosts register exactly one host,
 * resolve it, and are visible only where it is granted.
 *
 * Applies to MESH_EXTERNAL ServiceEntries (Istio's default location). A wildcard host opens every
 * subdomain of a domain; `resolution: NONE` (Istio's default) forwards to whatever address the
 * application connected to, so the host name checks nothing; an `exportTo` of `*` (or none, which
 * Istio reads as every namespace) lets every namespace's sidecars route to the host. EgressGateway
 * writes each external host with DNS resolution, exported only to the granted callers' namespaces.
 */
export const MESH_EGRESS_002: PolicyRule = {
  id: 'MESH-EGRESS-002',
  practices: ['EGRESS-1'],
  severity: RuleSeverity.ERROR,
  kinds: [kindKey(NETWORKING_GROUP, 'ServiceEntry')],
  title: 'External ServiceEntries name their hosts, resolve them, and are exported only where granted',
  explanation:
    'A MESH_EXTERNAL ServiceEntry registers a host the mesh may reach. A wildcard host (*.example.com) registers every '
    + 'subdomain, including ones an attacker controls; resolution NONE (Istio\'s default) forwards to whatever IP the '
    + 'application connected to, so the registered name constrains nothing; exportTo "*" (or no exportTo, which Istio reads '
    + 'as every namespace) makes the host routable from every namespace instead of only the granted callers\'.',
  fix:
    'Register external hosts with EgressGateway.allowExternal(ExternalHost.https(...), { from }), which writes one host per '
    + 'ServiceEntry with resolution DNS, exported only to the callers\' namespaces. A hand-written ServiceEntry lists each '
    + 'host, sets resolution DNS (or STATIC with addresses) and exportTo ["."] or the caller namespaces. A wildcard that '
    + 'cannot be avoided needs a PolicyException scoped to that ServiceEntry.',
  check(object) {
    if (!isKind(object, NETWORKING_GROUP, 'ServiceEntry')) return [];
    const spec = specOf(object);
    if (spec.location === 'MESH_INTERNAL') return [];
    const violations: RuleViolation[] = [];
    for (const { value, index } of stringItems(spec.hosts)) {
      if (isWildcardHost(value)) violations.push({ path: `spec.hosts[${index}]`, message: `host "${value}" is a wildcard: every matching external name is registered` });
    }
    if (!isSet(spec.resolution) || spec.resolution === 'NONE') {
      violations.push({
        path: 'spec.resolution',
        message: `resolution is ${isSet(spec.resolution) ? 'NONE' : 'unset (NONE)'}: traffic goes to whatever address the application connected to`,
      });
    }
    const exportTo = asList(spec.exportTo);
    if (exportTo.length === 0) {
      violations.push({ path: 'spec.exportTo', message: 'no exportTo: the host is visible to every namespace (Istio\'s default)' });
    } else {
      exportTo.forEach((e, i) => {
        if (e === '*') violations.push({ path: `spec.exportTo[${i}]`, message: 'exportTo "*": the host is visible to every namespace' });
      });
    }
    return violations;
  },
  admission: {
    resources: [{ apiGroups: [NETWORKING_GROUP], apiVersions: ['*'], resources: ['serviceentries'] }],
    // Written for ServiceEntries (the binding matches nothing else); other kinds pass.
    expression: "object.kind != 'ServiceEntry'"
      + " || (has(object.spec) && has(object.spec.location) && object.spec.location == 'MESH_INTERNAL') || (has(object.spec)"
      + " && (!has(object.spec.hosts) || object.spec.hosts.all(h, !h.startsWith('*') && !h.contains('/*')))"
      + " && has(object.spec.resolution) && object.spec.resolution != 'NONE'"
      + " && has(object.spec.exportTo) && size(object.spec.exportTo) > 0 && object.spec.exportTo.all(e, e != '*'))",
    message: 'MESH-EGRESS-002 (EGRESS-1): an external ServiceEntry must name its hosts (no wildcard), resolve them (not NONE) and be exported only to named namespaces (not *)',
  },
};
