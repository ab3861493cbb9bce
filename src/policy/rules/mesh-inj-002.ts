import { PolicyRule, RuleSeverity, isKind, kindKey } from '../rule';
import { asMap, asString } from './mesh-shared';
import { KUBERNETES_SYSTEM_NAMESPACES } from '../../core/names';


/**
 * MESH-INJ-002 (EXC-1, OPS-1): every namespace takes part in the mesh: sidecar injection
 * (`istio-injection: enabled` or a revision label `istio.io/rev`) or ambient mode
 * (`istio.io/dataplane-mode: ambient`).
 *
 * A namespace with neither label runs its pods without a proxy: plaintext, unauthenticated, and
 * outside every AuthorizationPolicy, although nothing in it says "opted out" (MESH-INJ-001 catches
 * explicit opt-outs). Kubernetes' own namespaces and the mesh's root and control-plane namespaces
 * are exempt.
 */
export const MESH_INJ_002: PolicyRule = {
  id: 'MESH-INJ-002',
  practices: ['EXC-1', 'OPS-1'],
  severity: RuleSeverity.ERROR,
  kinds: [kindKey('', 'Namespace')],
  title: 'Every namespace enables the mesh (istio-injection: enabled, istio.io/rev, or ambient)',
  explanation:
    'Pods of a namespace without istio-injection: enabled, an istio.io/rev revision label or istio.io/dataplane-mode: ambient '
    + 'start without a proxy: they talk plaintext, carry no mesh identity, and no AuthorizationPolicy applies to them. Unlike an '
    + 'explicit opt-out (MESH-INJ-001), nothing in the manifests shows it.',
  fix:
    'Create namespaces with HardenedNamespace (it sets the injection label, or istio.io/rev for a revision), or add '
    + 'istio-injection: enabled. A namespace that must stay outside the mesh (a node agent, a CNI) needs a PolicyException '
    + 'scoped to it, and NetworkPolicies that keep it away from mesh workloads. If the mesh root or control-plane namespace '
    + 'is not the one checked, set rootNamespace / controlPlaneNamespace (secure-mesh.yaml, the flags, the plugin properties).',
  check(object, context) {
    if (!isKind(object, '', 'Namespace')) return [];
    const name = object.metadata?.name;
    if (typeof name !== 'string') return [];
    if (KUBERNETES_SYSTEM_NAMESPACES.includes(name) || name === context.rootNamespace || name === context.controlPlaneNamespace) return [];
    const labels = asMap(object.metadata?.labels);
    const injection = asString(labels?.['istio-injection']);
    const revision = asString(labels?.['istio.io/rev']);
    const dataplane = asString(labels?.['istio.io/dataplane-mode']);
    // An explicit opt-out (disabled injection, empty revision, a data-plane mode other than ambient) is MESH-INJ-001's finding.
    if (injection !== undefined || revision !== undefined || dataplane !== undefined) return [];
    return [{
      path: 'metadata.labels',
      message: `namespace ${name} has no istio-injection, istio.io/rev or istio.io/dataplane-mode: ambient label: its pods run without a proxy`,
    }];
  },
};
