import { PolicyRule, RuleSeverity, RuleViolation } from '../rule';
import { POD_RESOURCES, asMap, celHas, celString, celStrings, isSet, pathOf, podMetadata } from './mesh-shared';
import { POD_KINDS } from './workload-pod-specs';

const PREFIX = 'traffic.sidecar.istio.io/';
/** Annotations whose ports skip the sidecar: one violation per port. */
const EXCLUDED_PORTS = ['excludeInboundPorts', 'excludeOutboundPorts'];
/** Annotations whose IP ranges or interfaces skip the sidecar: one violation per annotation. */
const EXCLUDED_OTHER = ['excludeOutboundIPRanges', 'excludeInterfaces', 'kubevirtInterfaces'];
/** Annotations that capture only what they list: anything but `*` lets the rest skip the sidecar. */
const INCLUDE_ALL = ['includeInboundPorts', 'includeOutboundIPRanges'];

/** The non-empty, trimmed entries of a comma-separated annotation value. */
function entries(value: string): string[] {
  return value.split(',').map((e) => e.trim()).filter((e) => e !== '');
}

function describe(value: unknown): string {
  return JSON.stringify(value);
}

/**
 * MESH-EXC-001 (EXC-1): no sidecar bypass annotations on Pods or pod templates.
 *
 * The `traffic.sidecar.istio.io/*` annotations change the iptables redirection: excluded ports,
 * IP ranges and interfaces (and anything an include list leaves out) reach the application or the
 * network directly, without mTLS and without authorization policy.
 */
export const MESH_EXC_001: PolicyRule = {
  id: 'MESH-EXC-001',
  practices: ['EXC-1'],
  severity: RuleSeverity.ERROR,
  kinds: POD_KINDS,
  title: 'Pods do not bypass the sidecar with traffic.sidecar.istio.io exclude/include annotations',
  explanation:
    'Traffic on an excluded port, IP range or interface (excludeInboundPorts, excludeOutboundPorts, excludeOutboundIPRanges, '
    + 'excludeInterfaces, kubevirtInterfaces), or outside a narrowed includeInboundPorts/includeOutboundIPRanges, is not '
    + 'redirected to the sidecar: it is neither mTLS-authenticated nor encrypted and no AuthorizationPolicy sees it.',
  fix:
    'Remove the annotation (includeInboundPorts/includeOutboundIPRanges may stay at "*"). When a port must bypass the sidecar '
    + '(e.g. a protocol the proxy cannot carry), declare a PolicyException scoped to that port, with its justification, owner '
    + 'and expiry; the traffic must be natively encrypted and authenticated and a NetworkPolicy must narrow who may use the port.',
  check(object) {
    const pod = podMetadata(object);
    const annotations = asMap(pod?.metadata?.annotations);
    if (!pod || !annotations) return [];
    const base = `${pod.path}.annotations`;
    const violations: RuleViolation[] = [];
    for (const name of EXCLUDED_PORTS) {
      const raw = annotations[PREFIX + name];
      if (!isSet(raw)) continue;
      const path = pathOf(base, PREFIX + name);
      if (typeof raw !== 'string') {
        violations.push({ path, message: `${name} is set to ${describe(raw)}, which is not a port list` });
        continue;
      }
      for (const entry of entries(raw)) {
        const port = /^[0-9]{1,5}$/.test(entry) ? Number(entry) : NaN;
        violations.push(port >= 1 && port <= 65535
          ? { path, port, message: `${name} lets ${name.includes('Inbound') ? 'inbound' : 'outbound'} traffic on port ${port} bypass the sidecar (no mTLS, no authorization policy)` }
          : { path, message: `${name} lists ${describe(entry)}, which is not a port number (Istio expects a comma-separated port list); remove the annotation` });
      }
    }
    for (const name of EXCLUDED_OTHER) {
      const raw = annotations[PREFIX + name];
      if (!isSet(raw) || (typeof raw === 'string' && entries(raw).length === 0)) continue;
      violations.push({ path: pathOf(base, PREFIX + name), message: `${name}: ${describe(raw)} lets traffic bypass the sidecar (no mTLS, no authorization policy)` });
    }
    for (const name of INCLUDE_ALL) {
      const raw = annotations[PREFIX + name];
      if (!isSet(raw) || (typeof raw === 'string' && raw.trim() === '*')) continue;
      violations.push({ path: pathOf(base, PREFIX + name), message: `${name}: ${describe(raw)} captures only what it lists; all other traffic bypasses the sidecar (use "*" or remove it)` });
    }
    return violations;
  },
  admission: {
    resources: POD_RESOURCES,
    expression: `object.kind == 'Pod' ? ${annotationsOk('object.metadata.annotations')}`
      + ` : object.kind == 'CronJob' ? ${annotationsOk('object.spec.jobTemplate.spec.template.metadata.annotations')}`
      + ` : ${annotationsOk('object.spec.template.metadata.annotations')}`,
    message: 'MESH-EXC-001 (EXC-1): pods must not bypass the sidecar (traffic.sidecar.istio.io/exclude* annotations, includeInboundPorts/includeOutboundIPRanges other than "*"); use a PolicyException scoped to the port',
  },
};

/** CEL: the annotations map at `path` (absent = fine) carries no bypass annotation. */
function annotationsOk(path: string): string {
  const value = `${path}[${celString(PREFIX)} + n]`;
  const present = `(${celString(PREFIX)} + n) in ${path}`;
  return `(!${celHas(path)} || (`
    + `${celStrings([...EXCLUDED_PORTS, ...EXCLUDED_OTHER])}.all(n, !(${present}) || !${value}.split(',').exists(e, e.trim() != ''))`
    + ` && ${celStrings(INCLUDE_ALL)}.all(n, !(${present}) || ${value}.trim() == '*')))`;
}
