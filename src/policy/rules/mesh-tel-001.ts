import { PolicyRule, RuleSeverity, RuleViolation, isKind, kindKey } from '../rule';
import { asList, asMap, celEach } from './mesh-shared';

const TELEMETRY_GROUP = 'telemetry.istio.io';

/**
 * MESH-TEL-001 (OPS-3): no Telemetry turns access logs off.
 *
 * `accessLogging[].disabled: true` stops the proxies it applies to (a workload, a namespace, or
 * the mesh from the root namespace) from logging requests: the trail that shows traffic
 * bypassing policy, and what an exception was used for, is gone. MeshBaseline turns access logs
 * on for every workload.
 */
export const MESH_TEL_001: PolicyRule = {
  id: 'MESH-TEL-001',
  practices: ['OPS-3'],
  severity: RuleSeverity.ERROR,
  kinds: [kindKey(TELEMETRY_GROUP, 'Telemetry')],
  title: 'No Telemetry disables access logging',
  explanation:
    'A Telemetry whose accessLogging sets disabled: true stops the proxies it applies to (one workload, a namespace, or the '
    + 'whole mesh from the root namespace) from logging requests. The access log is how traffic that bypasses policy, and the '
    + 'use of an exception, is seen afterwards; without it an incident has no trail.',
  fix:
    'Remove disabled: true. To cut volume, filter what is logged (accessLogging[].filter.expression, e.g. errors only) or '
    + 'send it to a cheaper provider, rather than turning it off. A workload whose logs must not be written (e.g. they would '
    + 'carry regulated data) needs a PolicyException that names the control replacing them.',
  check(object) {
    if (!isKind(object, TELEMETRY_GROUP, 'Telemetry')) return [];
    const violations: RuleViolation[] = [];
    asList(asMap(object.spec)?.accessLogging).forEach((l, i) => {
      if (asMap(l)?.disabled === true) violations.push({ path: `spec.accessLogging[${i}].disabled`, message: 'accessLogging is disabled: these proxies log no request' });
    });
    return violations;
  },
  admission: {
    resources: [{ apiGroups: [TELEMETRY_GROUP], apiVersions: ['*'], resources: ['telemetries'] }],
    expression: celEach('object.spec.accessLogging', 'l', '!has(l.disabled) || l.disabled != true'),
    message: 'MESH-TEL-001 (OPS-3): a Telemetry must not disable access logging',
  },
};
