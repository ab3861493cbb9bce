import { PolicyRule, RuleSeverity, RuleViolation, isKind, kindKey } from '../rule';
import {
  JsonMap, POD_RESOURCES, asMap, celHas, celMetaEntry, celStrings, isSet, isWorkload, pathOf, podMetadata,
} from './mesh-shared';
import { POD_KINDS } from './workload-pod-specs';

const INJECT_KEY = 'sidecar.istio.io/inject';
/**
 * Values of `sidecar.istio.io/inject` that keep injection on: Istio's injector reads y/yes/true/on
 * (any case) as "inject" and the empty string as "use the namespace default"; every other value
 * (`false`, `no`, `off`, `disabled`, typos) means "do not inject".
 */
const INJECT_ON = ['', 'y', 'yes', 'true', 'on'];
const NAMESPACE_INJECTION = 'istio-injection';
const REVISION = 'istio.io/rev';

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
 * MESH-INJ-001 (EXC-1, OPS-1): sidecar injection is never turned off, on a Pod, a workload's pod
 * template, the workload itself, or a Namespace.
 *
 * A pod without a sidecar takes no part in mTLS or authorization: it talks plaintext and is
 * reachable by anything the network allows. Namespaces opt out with `istio-injection` set to
 * anything but `enabled`, or with an empty `istio.io/rev`.
 */
export const MESH_INJ_001: PolicyRule = {
  id: 'MESH-INJ-001',
  practices: ['EXC-1', 'OPS-1'],
  severity: RuleSeverity.ERROR,
  kinds: [...POD_KINDS, kindKey('', 'Namespace')],
  title: 'Sidecar injection is never disabled (sidecar.istio.io/inject, istio-injection, istio.io/rev)',
  explanation:
    'A workload without the Istio sidecar bypasses the mesh entirely: its traffic is neither mTLS-authenticated nor '
    + 'encrypted, and no AuthorizationPolicy applies to it. `sidecar.istio.io/inject` with any value other than '
    + 'true/yes/on/y (e.g. "false", "no", "off"), a Namespace with `istio-injection` other than `enabled`, or an empty '
    + '`istio.io/rev` label turns injection off.',
  fix:
    'Remove the label/annotation (or set it to "true"), label the Namespace `istio-injection: enabled` or with a non-empty '
    + '`istio.io/rev`. When a workload truly cannot run a sidecar (e.g. a node-level agent), declare a PolicyException with a '
    + 'justification, an owner and an expiry, make its traffic natively encrypted and authenticated, and narrow it with a NetworkPolicy.',
  check(object) {
    if (isKind(object, '', 'Namespace')) {
      const violations: RuleViolation[] = [];
      const labels = asMap(object.metadata?.labels);
      const injection = labels?.[NAMESPACE_INJECTION];
      if (isSet(injection) && injection !== 'enabled') {
        violations.push({
          path: pathOf('metadata.labels', NAMESPACE_INJECTION),
          message: `Namespace label ${NAMESPACE_INJECTION}: ${JSON.stringify(injection)} turns sidecar injection off for every pod in the namespace`,
        });
      }
      if (labels?.[REVISION] === '') {
        violations.push({
          path: pathOf('metadata.labels', REVISION),
          message: `Namespace label ${REVISION} is empty, so no control-plane revision injects sidecars into its pods`,
        });
      }
      return violations;
    }
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
    message: 'MESH-INJ-001 (EXC-1, OPS-1): sidecar injection must not be disabled (sidecar.istio.io/inject other than true, istio-injection other than enabled, empty istio.io/rev); use a PolicyException',
  },
};

/** CEL: the Namespace `object` keeps injection on. */
function namespaceOk(): string {
  return `(!${celMetaEntry('object.metadata.labels', NAMESPACE_INJECTION, (v) => `${v} != 'enabled'`)}`
    + ` && !${celMetaEntry('object.metadata.labels', REVISION, (v) => `${v} == ''`)})`;
}

/** CEL: neither the labels nor the annotations of the metadata at `metadataPath` turn injection off. */
function metaOk(metadataPath: string): string {
  const off = (field: string) => celMetaEntry(`${metadataPath}.${field}`, INJECT_KEY, (v) => `!(${v}.lowerAscii() in ${celStrings(INJECT_ON)})`, true);
  const fieldOk = (field: string) => `(!has(${metadataPath}.${field}) || !${off(field)})`;
  return `(!${celHas(metadataPath)} || (${fieldOk('labels')} && ${fieldOk('annotations')}))`;
}
