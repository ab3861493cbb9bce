import { PolicyRule, RuleContext, RuleObject, RuleSeverity, isKind, objectRef } from '../rule';
import { SECURITY_GROUP, asMap, isEmptySelector, specOf } from './mesh-shared';

/** A PeerAuthentication that applies to the whole mesh: in the root namespace, without a workload selector. */
function isMeshWide(object: RuleObject, context: RuleContext): boolean {
  return isKind(object, SECURITY_GROUP, 'PeerAuthentication')
    && object.metadata?.namespace === context.rootNamespace
    && isEmptySelector(specOf(object).selector);
}

function modeOf(object: RuleObject): unknown {
  return asMap(specOf(object).mtls)?.mode;
}

/**
 * MESH-MTLS-001 (MTLS-1): the mesh has a mesh-wide STRICT PeerAuthentication.
 *
 * Without it, every namespace and workload that sets no PeerAuthentication of its own accepts
 * plaintext (Istio's default is PERMISSIVE). Istio honours only one mesh-wide policy (the oldest),
 * so when there are several, each must be STRICT.
 */
export const MESH_MTLS_001: PolicyRule = {
  id: 'MESH-MTLS-001',
  practices: ['MTLS-1'],
  severity: RuleSeverity.ERROR,
  kinds: [],
  title: 'A mesh-wide PeerAuthentication with mtls.mode STRICT exists in the mesh root namespace',
  explanation:
    'Istio defaults to PERMISSIVE mTLS: without a mesh-wide STRICT PeerAuthentication in the root namespace, every workload '
    + 'not covered by a namespace or workload policy accepts plaintext, unauthenticated connections. Istio applies only the '
    + 'oldest mesh-wide PeerAuthentication, so a second, weaker one makes the effective mode depend on creation order.',
  fix:
    'Add a PeerAuthentication named `default` in the mesh root namespace with no selector and `spec.mtls.mode: STRICT` '
    + '(MeshBaseline does this), and remove any other mesh-wide PeerAuthentication. This is not something to except: a workload '
    + 'that must accept plaintext needs a workload-scoped PeerAuthentication under a PolicyException instead. If the mesh '
    + 'root namespace is not the one checked, set rootNamespace (secure-mesh.yaml, --root-namespace, the plugin property rootNamespace).',
  check() {
    return [];
  },
  checkAll(context) {
    const meshWide = context.objects.filter((o) => isMeshWide(o, context));
    if (meshWide.length === 0) {
      return [{
        object: undefined,
        violation: {
          path: '',
          message: `no mesh-wide PeerAuthentication (no selector, mtls.mode STRICT) in the mesh root namespace "${context.rootNamespace}": `
            + 'workloads without their own policy accept plaintext (Istio defaults to PERMISSIVE)',
        },
      }];
    }
    const weak = meshWide.filter((o) => modeOf(o) !== 'STRICT');
    const others = meshWide.length > 1 ? `; Istio applies only the oldest of the ${meshWide.length} mesh-wide PeerAuthentications (${meshWide.map(objectRef).join(', ')})` : '';
    return weak.map((object) => {
      const mode = modeOf(object);
      return {
        object,
        violation: {
          path: asMap(specOf(object).mtls) ? 'spec.mtls.mode' : 'spec.mtls',
          message: mode === undefined || mode === null
            ? `mesh-wide PeerAuthentication sets no mtls.mode, so the mesh runs PERMISSIVE (plaintext accepted)${others}`
            : `mesh-wide PeerAuthentication sets mtls.mode ${JSON.stringify(mode)}, not STRICT${others}`,
        },
      };
    });
  },
};
