import { PolicyRule, RuleSeverity, RuleViolation, isKind, kindKey } from '../rule';
import { SECURITY_GROUP, asMap, celEach, celHas, isSet, pathOf, specOf } from './mesh-shared';

/** Whether a mode is weaker than STRICT; UNSET inherits its parent, so it is weak only where there is none. */
function isWeak(mode: unknown, hasParent: boolean): boolean {
  return isSet(mode) && mode !== 'STRICT' && !(mode === 'UNSET' && hasParent);
}

/**
 * MESH-MTLS-002 (MTLS-1): no PeerAuthentication weakens mTLS below STRICT, for the workload or
 * for any of its ports.
 *
 * An absent `mtls` (or `mtls` without `mode`) and `mode: UNSET` inherit the parent policy (the
 * workload's from the namespace's, the namespace's from the mesh-wide one, a port's from its
 * policy), which MESH-MTLS-001 and this rule keep STRICT, so they pass. The mesh-wide policy (root
 * namespace, no selector) has no parent: UNSET there means PERMISSIVE. PERMISSIVE and DISABLE
 * never pass.
 *
 * Admission does not know the root namespace: it refuses UNSET on every policy without a selector
 * (a namespace-wide UNSET is a no-op at best), and admits it with a selector and on ports.
 */
export const MESH_MTLS_002: PolicyRule = {
  id: 'MESH-MTLS-002',
  practices: ['MTLS-1'],
  severity: RuleSeverity.ERROR,
  kinds: [kindKey(SECURITY_GROUP, 'PeerAuthentication')],
  title: 'PeerAuthentication never sets an mTLS mode other than STRICT (incl. portLevelMtls)',
  explanation:
    'PERMISSIVE accepts plaintext next to mTLS, DISABLE accepts only plaintext, and UNSET at mesh level means PERMISSIVE: '
    + 'any of them lets a caller without a mesh identity reach the workload (or the port) unauthenticated and unencrypted, '
    + 'and makes principal-based authorization policies meaningless for that traffic.',
  fix:
    'Set `mode: STRICT` or remove `mtls` / the `portLevelMtls` entry so the STRICT parent policy applies. If a port really '
    + 'must accept plaintext (e.g. a health probe from a node agent or a workload without a sidecar), keep the non-STRICT '
    + 'portLevelMtls entry only under a PolicyException scoped to that port, with a NetworkPolicy that narrows who may reach it.',
  check(object, ctx) {
    if (!isKind(object, SECURITY_GROUP, 'PeerAuthentication')) return [];
    const spec = specOf(object);
    const violations: RuleViolation[] = [];
    const mode = asMap(spec.mtls)?.mode;
    const meshWide = object.metadata?.namespace === ctx.rootNamespace && !isSet(spec.selector);
    if (isWeak(mode, !meshWide)) {
      violations.push({ path: 'spec.mtls.mode', message: `mtls.mode is ${JSON.stringify(mode)}, not STRICT: the selected workloads accept plaintext or unauthenticated peers` });
    }
    const ports = asMap(spec.portLevelMtls) ?? {};
    for (const key of Object.keys(ports)) {
      const portMode = asMap(ports[key])?.mode;
      if (!isWeak(portMode, true)) continue;
      const port = Number(key);
      violations.push({
        path: `${pathOf('spec.portLevelMtls', key)}.mode`,
        message: `portLevelMtls for port ${key} sets mode ${JSON.stringify(portMode)}, not STRICT: that port accepts plaintext or unauthenticated peers`,
        ...(Number.isInteger(port) && port > 0 ? { port } : {}),
      });
    }
    return violations;
  },
  admission: {
    resources: [{ apiGroups: [SECURITY_GROUP], apiVersions: ['*'], resources: ['peerauthentications'] }],
    expression: [
      `(!${celHas('object.spec.mtls.mode')} || object.spec.mtls.mode == 'STRICT' || (object.spec.mtls.mode == 'UNSET' && has(object.spec.selector)))`,
      celEach('object.spec.portLevelMtls', 'p',
        "!has(object.spec.portLevelMtls[p].mode) || object.spec.portLevelMtls[p].mode in ['STRICT', 'UNSET']"),
    ].join(' && '),
    message: 'MESH-MTLS-002 (MTLS-1): PeerAuthentication mtls.mode and every portLevelMtls mode must be STRICT (or unset/UNSET to inherit, '
      + 'not on a policy without selector); use a PolicyException for a port that must accept plaintext',
  },
};
