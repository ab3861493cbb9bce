import { PolicyRule, RuleSeverity, RuleViolation, isKind, kindKey } from '../rule';
import { isWildcardHost } from './mesh-ingress-001';
import { NETWORKING_GROUP, specOf, stringItems } from './mesh-shared';

/**
 * MESH-INGRESS-002 (INGRESS-1): VirtualServices bound to a gateway route named hosts.
 *
 * A VirtualService whose `gateways` name a gateway (anything but the reserved `mesh`) routes the
 * traffic that gateway accepts for its hosts; a wildcard host (`*`, `*.example.com`) routes every
 * matching name, including ones nobody declared, to the destinations. VirtualServices for
 * sidecars only (no `gateways`, or only `mesh`) are not concerned.
 */
export const MESH_INGRESS_002: PolicyRule = {
  id: 'MESH-INGRESS-002',
  practices: ['INGRESS-1'],
  severity: RuleSeverity.ERROR,
  kinds: [kindKey(NETWORKING_GROUP, 'VirtualService')],
  title: 'VirtualServices bound to a gateway name their hosts (no wildcard)',
  explanation:
    'A VirtualService bound to a gateway decides where the traffic that gateway accepts for its hosts goes. A wildcard host (*, '
    + '*.example.com) routes every matching name, including names nobody declared (a dangling DNS record, a look-alike '
    + 'subdomain), to the destinations, and grants of the routed services then apply to requests for hosts no one reviewed.',
  fix:
    'List each host the route serves (IngressGateway.route writes one VirtualService per host). A gateway that must serve a '
    + 'wildcard domain needs a PolicyException scoped to its VirtualService.',
  check(object) {
    if (!isKind(object, NETWORKING_GROUP, 'VirtualService')) return [];
    const spec = specOf(object);
    const gateways = stringItems(spec.gateways).map((g) => g.value).filter((g) => g !== 'mesh');
    if (gateways.length === 0) return [];
    const violations: RuleViolation[] = [];
    for (const { value, index } of stringItems(spec.hosts)) {
      if (!isWildcardHost(value)) continue;
      violations.push({
        path: `spec.hosts[${index}]`,
        message: `host "${value}" is a wildcard on a VirtualService bound to gateway ${gateways.join(', ')}: it routes any matching name`,
      });
    }
    return violations;
  },
  admission: {
    resources: [{ apiGroups: [NETWORKING_GROUP], apiVersions: ['*'], resources: ['virtualservices'] }],
    expression: "!has(object.spec) || !has(object.spec.gateways) || object.spec.gateways.all(g, g == 'mesh')"
      + " || !has(object.spec.hosts) || object.spec.hosts.all(h, !h.startsWith('*') && !h.contains('/*'))",
    message: 'MESH-INGRESS-002 (INGRESS-1): a VirtualService bound to a gateway must name its hosts (no wildcard host)',
  },
};
