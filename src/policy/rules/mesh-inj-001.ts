import { PolicyRule, RuleSeverity, RuleViolation, isKind, kindKey } from '../rule';
import {
  JsonMap, POD_RESOURCES, asMap, celHas, celMetaEntry, celString, celStrings, isSet, isWorkload, pathOf, podMetadata,
} from './mesh-shared';
import { POD_KINDS } from './workload-pod-specs';
import { AMBIENT_MODE, DATAPLANE_MODE_LABEL } from '../../mesh/data-plane';

const INJECT_KEY = 'sidecar.istio.io/inject';
/**
 * Values of `sidecar.istio.io/inject` that keep injection on: Istio's injector reads y/yes/true/on
 * (any case) as "inject" and the empty string as "use the namespace default"; every other value
 * (`false`, `no`, `off`, `disabled`, typos) means "do not inject".
 */
const INJECT_ON = ['', 'y', 'yes', 'true', 'on'];
const NAMESPACE_INJECTION = 'istio-injection';
const REVISION = 'istio.io/rev';

/**
 * Whether a Namespace's labels turn sidecar injection on: `istio-injection: enabled`, or no
 * `istio-injection` label and a non-empty `istio.io/rev` (the injector's webhook selectors).
 */
function injectsSidecars(labels: JsonMap | undefined): boolean {
  const injection = labels?.[NAMESPACE_INJECTION];
  const revision = labels?.[REVISION];
  return injection === 'enabled' || (!isSet(injection) && typeof revision === 'string' && revision !== '');
}

/** Whether a Namespace's labels put it in ambient mode (exactly `istio.io/dataplane-mode: ambient`). */
function isAmbient(labels: JsonMap | undefined): boolean {
  return labels?.[DATAPLANE_MODE_LABEL] === AMBIENT_MODE;
}

/** The findings of a Namespace: each label that leaves its pods outside the mesh. */
function namespaceViolations(labels: JsonMap | undefined): RuleViolation[] {
  const violations: RuleViolation[] = [];
  const ambient = isAmbient(labels);
  const injection = labels?.[NAMESPACE_INJECTION];
  if (isSet(injection) && injection !== 'enabled' && !ambient) {
    violations.push({
      path: pathOf('metadata.labels', NAMESPACE_INJECTION),
      message: `Namespace label ${NAMESPACE_INJECTION}: ${JSON.stringify(injection)} turns sidecar injection off for every pod in the namespace, `
        + `and the namespace is not in ambient mode (${DATAPLANE_MODE_LABEL}: ${AMBIENT_MODE})`,
    });
  }
  if (labels?.[REVISION] === '' && !ambient) {
    violations.push({
      path: pathOf('metadata.labels', REVISION),
      message: `Namespace label ${REVISION} is empty, so no control-plane revision injects sidecars into its pods, and the namespace is not in ambient mode`,
    });
  }
  const dataPlane = labels?.[DATAPLANE_MODE_LABEL];
  if (isSet(dataPlane) && !ambient && !injectsSidecars(labels)) {
    violations.push({
      path: pathOf('metadata.labels', DATAPLANE_MODE_LABEL),
      message: `Namespace label ${DATAPLANE_MODE_LABEL}: ${JSON.stringify(dataPlane)} keeps the namespace out of ambient mode (only "${AMBIENT_MODE}" enrols it), `
        + 'and no injection label gives its pods a sidecar: they run outside the mesh',
    });
  }
  return violations;
}

function injectDisabled(raw: unknown): boolean {
  return isSet(raw) && !(typeof raw === 'string' && INJECT_ON.includes(raw.toLowerCase()));
}

function injectViolations(metadata: JsonMap | undefined, path: string, where: string): RuleViolation[] {
  const violations: RuleViolation[] = [];
  for (const field of ['labels', 'annotations'] as const) {
    const raw = asMap(metadata?.[field])?.[INJECT_KEY];
    if (injectDisabled(raw)) {
      violations.push({
        path: pathOf(`${path}.${field}`, INJECT_KEY),
        message: `${where} ${field === 'labels' ? 'label' : 'annotation'} ${INJECT_KEY}: ${JSON.stringify(raw)} turns sidecar injection off: the pods run outside the mesh (no mTLS, no authorization policy)`,
      });
    }
  }
  return violations;
}

/**
 * MESH-INJ-001 (EXC-1, OPS-1): the mesh is never turned off explicitly, on a Pod, a workload's pod
 * template, the workload itself, or a Namespace.
 *
 * A pod outside the mesh (no sidecar, not captured by ztunnel) takes no part in mTLS or
 * authorization: it talks plaintext and is reachable by anything the network allows.
 * - Pods and workloads opt out of the sidecar with `sidecar.istio.io/inject` (label or annotation)
 *   set to anything but true/yes/on/y or empty. This is reported in every namespace, ambient ones
 *   included (where ztunnel still captures the pod): the label keeps the pod out of the mesh the
 *   day its namespace moves to sidecars. A pod's `istio.io/dataplane-mode: none` is MESH-AMBIENT-004's.
 * - A Namespace is in the mesh when it injects sidecars (`istio-injection: enabled`, or a non-empty
 *   `istio.io/rev`) or is in ambient mode (`istio.io/dataplane-mode: ambient`, the one value Istio
 *   enrols: istio/istio cni/pkg/util/podutil.go). Its labels are reported only where they leave it
 *   out of both: `istio-injection` other than `enabled` or an empty `istio.io/rev` in a namespace
 *   that is not ambient, and `istio.io/dataplane-mode` other than `ambient` (`none`, a typo) in a
 *   namespace whose labels inject no sidecar. So `istio-injection: disabled` next to
 *   `istio.io/dataplane-mode: ambient` (ambient, made explicit) and `istio.io/dataplane-mode: none`
 *   next to `istio-injection: enabled` (sidecars) pass. A Namespace with none of the labels is
 *   MESH-INJ-002's finding.
 */
export const MESH_INJ_001: PolicyRule = {
  id: 'MESH-INJ-001',
  practices: ['EXC-1', 'OPS-1'],
  severity: RuleSeverity.ERROR,
  kinds: [...POD_KINDS, kindKey('', 'Namespace')],
  title: 'The mesh is never turned off (sidecar.istio.io/inject, istio-injection, istio.io/rev, istio.io/dataplane-mode on a Namespace)',
  explanation:
    'A workload outside the mesh (no Istio sidecar, not in ambient mode) bypasses it entirely: its traffic is neither '
    + 'mTLS-authenticated nor encrypted, and no AuthorizationPolicy applies to it. `sidecar.istio.io/inject` with any value other '
    + 'than true/yes/on/y (e.g. "false", "no", "off") turns the sidecar off for a pod; on a Namespace that is not in ambient mode, '
    + '`istio-injection` other than `enabled` or an empty `istio.io/rev` turns it off for every pod; on a Namespace whose labels '
    + 'inject no sidecar, `istio.io/dataplane-mode` other than `ambient` (e.g. "none") keeps its pods out of ambient mode.',
  fix:
    'Remove the label/annotation (or set it to "true"); label the Namespace `istio-injection: enabled`, a non-empty '
    + '`istio.io/rev`, or `istio.io/dataplane-mode: ambient` (HardenedNamespace does, for its data plane). When a workload truly '
    + 'cannot be in the mesh (e.g. a node-level agent), declare a PolicyException with a justification, an owner and an expiry, '
    + 'make its traffic natively encrypted and authenticated, and narrow it with a NetworkPolicy.',
  check(object) {
    if (isKind(object, '', 'Namespace')) return namespaceViolations(asMap(object.metadata?.labels));
    const pod = podMetadata(object);
    if (!pod) return [];
    const kind = object.kind ?? 'object';
    if (!isWorkload(object)) return injectViolations(pod.metadata, pod.path, kind);
    return [
      ...injectViolations(pod.metadata, pod.path, `${kind} pod template`),
      ...injectViolations(asMap(object.metadata), 'metadata', kind),
    ];
  },
  admission: {
    resources: [
      ...POD_RESOURCES,
      { apiGroups: [''], apiVersions: ['*'], resources: ['namespaces'] },
    ],
    expression: `object.kind == 'Namespace' ? ${namespaceOk()} : (${[
      metaOk('object.metadata'),
      `(object.kind == 'Pod' || object.kind == 'CronJob' || ${metaOk('object.spec.template.metadata')})`,
      `(object.kind != 'CronJob' || ${metaOk('object.spec.jobTemplate.spec.template.metadata')})`,
    ].join(' && ')})`,
    message: 'MESH-INJ-001 (EXC-1, OPS-1): the mesh must not be turned off (sidecar.istio.io/inject other than true; on a Namespace '
      + 'outside ambient mode, istio-injection other than enabled or an empty istio.io/rev; on a Namespace without sidecar injection, '
      + 'istio.io/dataplane-mode other than ambient); use a PolicyException',
  },
};

/** CEL: the Namespace `object` keeps its pods in the mesh (the same tests as {@link namespaceViolations}). */
function namespaceOk(): string {
  const labels = 'object.metadata.labels';
  const entry = (key: string, test: (v: string) => string) => celMetaEntry(labels, key, test);
  const ambient = entry(DATAPLANE_MODE_LABEL, (v) => `${v} == ${celString(AMBIENT_MODE)}`);
  const injects = `(${entry(NAMESPACE_INJECTION, (v) => `${v} == 'enabled'`)} || `
    + `(!${entry(NAMESPACE_INJECTION, () => 'true')} && ${entry(REVISION, (v) => `${v} != ''`)}))`;
  return `(${ambient} || (!${entry(NAMESPACE_INJECTION, (v) => `${v} != 'enabled'`)} && !${entry(REVISION, (v) => `${v} == ''`)}))`
    + ` && (${ambient} || ${injects} || !${entry(DATAPLANE_MODE_LABEL, () => 'true')})`;
}

/** CEL: neither the labels nor the annotations of the metadata at `metadataPath` turn injection off. */
function metaOk(metadataPath: string): string {
  const off = (field: string) => celMetaEntry(`${metadataPath}.${field}`, INJECT_KEY, (v) => `!(${v}.lowerAscii() in ${celStrings(INJECT_ON)})`, true);
  const fieldOk = (field: string) => `(!has(${metadataPath}.${field}) || !${off(field)})`;
  return `(!${celHas(metadataPath)} || (${fieldOk('labels')} && ${fieldOk('annotations')}))`;
}
