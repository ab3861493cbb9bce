import { celExcepted, celIsRegistry, celMeshNamespace, celRegistryWriter, NAMESPACE_NAME_LABEL } from './admission-scope';
import { REGISTRY_NAME } from './exception-registry-format';
import { SENSITIVE_DATA_LABEL } from './rules/namespace-sensitive-data';
import { celString, celStrings } from './rules/workload-pod-specs';

/** The rules whose admission form is an invariant below (by name, on DELETE too) rather than a per-object check. */
export const INVARIANT_RULE_IDS: readonly string[] = ['MESH-MTLS-001', 'MESH-AUTHZ-001', 'MESH-INJ-002', 'NS-SENS-001'];

/** One guardrail that is not a rule's per-object check: resources, operations, CEL, and how it is bound. */
export interface InvariantPolicy {
  /** Policy (and binding) name. */
  readonly name: string;
  /** The rule ids it is the admission form of (for parity lists and messages). */
  readonly ruleIds: string[];
  readonly practices: string[];
  readonly resourceRules: { apiGroups: string[]; apiVersions: string[]; resources: string[]; operations: string[] }[];
  readonly expression: string;
  readonly message: string;
  /** The binding's namespaceSelector, if any. */
  readonly namespaceSelector?: { [key: string]: unknown };
  /** Namespace of the exception registry read as params; undefined: no params (nothing excepts it). */
  readonly registryNamespace?: string;
}

/** What the invariants need to know about the mesh. */
export interface InvariantSettings {
  readonly rootNamespace: string;
  readonly controlPlaneNamespace: string;
  /** Names of the mesh-wide PeerAuthentications (root namespace, no selector) the app writes. */
  readonly meshWidePeerAuthentications: string[];
  /** Names of the mesh-wide allow-nothing policies the app writes. */
  readonly allowNothingPolicies: string[];
  readonly excludedNamespaces: string[];
  readonly meshAdminGroups: string[];
  readonly registryWriters: string[];
}

const inRoot = (root: string) => ({ matchLabels: { [NAMESPACE_NAME_LABEL]: root } });
const sensitive = (o: string) => `(has(${o}.metadata.labels) && ${celString(SENSITIVE_DATA_LABEL)} in ${o}.metadata.labels && `
  + `${o}.metadata.labels[${celString(SENSITIVE_DATA_LABEL)}] == 'true')`;
const ALL_OPS = ['CREATE', 'UPDATE', 'DELETE'];

/**
 * The root-namespace invariants by name, on every operation including DELETE (MTLS-1, AUTHZ-1):
 * - MESH-MTLS-001: a PeerAuthentication of the root namespace without selector (mesh-wide) is
 *   STRICT, every port too; the mesh-wide ones the baseline writes cannot be deleted.
 * - MESH-AUTHZ-001: the allow-nothing policy keeps its shape (ALLOW, no rules, no selector or
 *   target, no provider) and cannot be deleted; a dry run of it takes MESH-AUTHZ-008's exception.
 * - MESH-INJ-002: a namespace of the mesh stays in it, so no one takes a namespace out of the mesh
 *   and of the guardrails' scope by relabelling it: a sidecar namespace keeps `istio-injection:
 *   enabled` (or its `istio.io/rev` label), an ambient one `istio.io/dataplane-mode: ambient`.
 *   Moving between the data planes is allowed as long as the namespace stays in the mesh (ambient
 *   to sidecar by putting the injection label in place of the ambient one, or the reverse); dropping
 *   out of both (removing the labels, `istio.io/dataplane-mode: none`, `istio-injection: disabled`)
 *   takes an exception. The invariant is celMeshNamespace before and after the update.
 * - NS-SENS-001: a namespace labelled sensitive-data keeps the label (which switches SECRET-K8S-001
 *   on at admission). Stricter than synth, which asks it only where workloads rely on it:
 *   admission cannot see the workloads, and declassifying a namespace is an exception.
 * - EXC-1: only mesh admins and the configured GitOps identities change exception registries.
 * Exceptions for the first three are read from the registry of the root (or control-plane)
 * namespace, which the platform repository writes.
 */
export function invariantPolicies(s: InvariantSettings): InvariantPolicy[] {
  const deleting = (names: string[]) => `(request.operation == 'DELETE' && oldObject != null && oldObject.metadata.name in ${celStrings(names)})`;
  const meshWide = (o: string) => `!(has(${o}.spec) && (has(${o}.spec.selector) || has(${o}.spec.targetRef) || has(${o}.spec.targetRefs)))`;
  const strict = "(has(object.spec) && has(object.spec.mtls) && has(object.spec.mtls.mode) && object.spec.mtls.mode == 'STRICT' && "
    + "(!has(object.spec.portLevelMtls) || object.spec.portLevelMtls.all(p, has(object.spec.portLevelMtls[p].mode) && object.spec.portLevelMtls[p].mode == 'STRICT')))";
  const allowNothing = '(!has(object.spec) || ((!has(object.spec.action) || object.spec.action == \'ALLOW\') && '
    + '(!has(object.spec.rules) || size(object.spec.rules) == 0) && !has(object.spec.selector) && !has(object.spec.targetRef) && '
    + '!has(object.spec.targetRefs) && !has(object.spec.provider)))';
  const dryRun = "(has(object.metadata.annotations) && 'istio.io/dry-run' in object.metadata.annotations && "
    + "object.metadata.annotations['istio.io/dry-run'].lowerAscii() == 'true')";
  const peers = s.meshWidePeerAuthentications.length ? s.meshWidePeerAuthentications : ['default'];
  const denies = s.allowNothingPolicies.length ? s.allowNothingPolicies : ['allow-nothing'];
  return [
    {
      name: 'secure-mesh-mesh-mtls-001',
      ruleIds: ['MESH-MTLS-001'],
      practices: ['MTLS-1'],
      resourceRules: [{ apiGroups: ['security.istio.io'], apiVersions: ['*'], resources: ['peerauthentications'], operations: ALL_OPS }],
      expression: `request.operation == 'DELETE' ? (!${deleting(peers)} || ${celExcepted(['MESH-MTLS-001'], 'oldObject')}) : `
        + `(!${meshWide('object')} || ${strict} || ${celExcepted(['MESH-MTLS-001', 'MESH-MTLS-002'])})`,
      message: `MESH-MTLS-001: in the root namespace ${s.rootNamespace}, a PeerAuthentication without selector is mesh-wide and must be STRICT `
        + `(every port too), and ${peers.join(', ')} cannot be deleted; weakening mTLS mesh-wide takes a PolicyException`,
      namespaceSelector: inRoot(s.rootNamespace),
      registryNamespace: s.rootNamespace,
    },
    {
      name: 'secure-mesh-mesh-authz-001',
      ruleIds: ['MESH-AUTHZ-001'],
      practices: ['AUTHZ-1'],
      resourceRules: [{ apiGroups: ['security.istio.io'], apiVersions: ['*'], resources: ['authorizationpolicies'], operations: ALL_OPS }],
      expression: `request.operation == 'DELETE' ? (!${deleting(denies)} || ${celExcepted(['MESH-AUTHZ-001'], 'oldObject')}) : `
        + `(!(object.metadata.name in ${celStrings(denies)}) || ${celExcepted(['MESH-AUTHZ-001'])} || `
        + `(${allowNothing} && (!${dryRun} || ${celExcepted(['MESH-AUTHZ-008'])})))`,
      message: `MESH-AUTHZ-001: the mesh-wide ${denies.join(', ')} in ${s.rootNamespace} stays an ALLOW policy without rules, selector or target `
        + '(it denies what nothing else allows), is not put in dry run without a MESH-AUTHZ-008 exception, and cannot be deleted',
      namespaceSelector: inRoot(s.rootNamespace),
      registryNamespace: s.rootNamespace,
    },
    {
      name: 'secure-mesh-mesh-inj-002',
      ruleIds: ['MESH-INJ-002'],
      practices: ['EXC-1', 'OPS-1'],
      resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], resources: ['namespaces'], operations: ['UPDATE'] }],
      expression: `oldObject == null || !${celMeshNamespace('oldObject', s.excludedNamespaces)} || `
        + `${celMeshNamespace('object', s.excludedNamespaces)} || ${celExcepted(['MESH-INJ-002'])}`,
      message: 'MESH-INJ-002: a namespace of the mesh stays in it: it keeps istio-injection: enabled (or istio.io/rev), or '
        + 'istio.io/dataplane-mode: ambient, or moves from one to the other; dropping out of both takes the namespace out of the mesh '
        + 'and of these guardrails, and takes a PolicyException',
      registryNamespace: s.controlPlaneNamespace,
    },
    {
      name: 'secure-mesh-ns-sens-001',
      ruleIds: ['NS-SENS-001'],
      practices: ['SECRET-1'],
      resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], resources: ['namespaces'], operations: ['UPDATE'] }],
      expression: `oldObject == null || !${sensitive('oldObject')} || ${sensitive('object')} || ${celExcepted(['NS-SENS-001'])}`,
      message: `NS-SENS-001: a namespace labelled ${SENSITIVE_DATA_LABEL}: "true" keeps the label (its workloads' secrets rules depend on it); `
        + 'declassifying a namespace takes a PolicyException',
      registryNamespace: s.controlPlaneNamespace,
    },
    {
      name: 'secure-mesh-exception-registries',
      ruleIds: [],
      practices: ['EXC-1'],
      resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], resources: ['configmaps'], operations: ALL_OPS }],
      expression: `!${celIsRegistry()} || ${celRegistryWriter(s.meshAdminGroups, s.registryWriters)}`,
      message: `EXC-1: the exception registries (ConfigMaps ${REGISTRY_NAME}) are written only by mesh admins and the GitOps identity of the `
        + 'repository that owns the namespace; declare exceptions with PolicyException and let the pipeline write them',
    },
  ];
}
