import { PolicyRule, RuleObject, RuleSeverity, RuleViolation, isKind, objectRef } from '../rule';
import { asMap, asString, pathOf, podMetadata } from './mesh-shared';

/**
 * The label of the sensitive-data profile (SECRET-1): on a Namespace it turns the profile on
 * (HardenedNamespace `sensitiveData`); on a workload or its pod template it says the workload
 * relies on it. The same key as HardenedNamespace.SENSITIVE_DATA_LABEL, repeated here so the
 * rules do not import the constructs.
 */
export const SENSITIVE_DATA_LABEL = 'secure-mesh.cdk8s.io/sensitive-data';

/** At most this many workloads are named in a message. */
const WORKLOADS_NAMED = 5;

/**
 * Whether a workload (any kind with a pod template, or a Pod) declares that it relies on the
 * sensitive-data profile: `secure-mesh.cdk8s.io/sensitive-data: "true"` among its own labels or
 * its pods' labels.
 */
export function reliesOnSensitiveProfile(object: RuleObject): boolean {
  const pod = podMetadata(object);
  if (!pod) return false;
  return [asMap(object.metadata?.labels), asMap(pod.metadata?.labels)].some((labels) => labels?.[SENSITIVE_DATA_LABEL] === 'true');
}

/**
 * NS-SENS-001 (SECRET-1): a namespace whose workloads rely on the sensitive-data profile keeps
 * the label that turns it on.
 *
 * The profile hangs on one Namespace label, `secure-mesh.cdk8s.io/sensitive-data: "true"`:
 * SECRET-K8S-001 keeps Kubernetes Secrets out of the namespace only while it is there. A JSON
 * patch, a hand edit of the YAML or a namespace re-created by another tool that drops it (or
 * writes another value: only `"true"` counts) switches that off silently, while the workloads
 * that handle the sensitive data stay.
 *
 * A workload relies on the profile when it says so: the same label, `"true"`, on the workload or
 * its pod template. The Secrets Store CSI mount is not taken as that signal: SecureService mounts
 * a secret manager (`secretStore`) in any namespace, and it is the recommended way to get secrets
 * everywhere (SECRET-1), so reading it as "sensitive" would flag good practice and push
 * non-sensitive namespaces back to Kubernetes Secrets. A namespace with such workloads and a
 * Namespace object among the objects but without the label (or with another value) is a
 * violation on that Namespace, naming the workloads. A namespace whose Namespace object is
 * managed elsewhere (not among the objects) is not judged: its labels are not known here.
 *
 * checkAll only, no admission: it needs the Namespace and the workloads together.
 */
export const NS_SENS_001: PolicyRule = {
  id: 'NS-SENS-001',
  practices: ['SECRET-1'],
  severity: RuleSeverity.ERROR,
  since: '2',
  kinds: [],
  title: 'A namespace whose workloads rely on the sensitive-data profile keeps its sensitive-data label',
  explanation:
    `The sensitive-data profile (SECRET-1) is switched on by the Namespace label ${SENSITIVE_DATA_LABEL}: "true"; the rules that keep `
    + 'Kubernetes Secrets out of the namespace (SECRET-K8S-001) apply only while it is there. Dropping or changing it, by a JSON patch '
    + 'or a hand edit, silently turns the profile off for workloads that handle sensitive data.',
  fix:
    `Keep ${SENSITIVE_DATA_LABEL}: "true" on the Namespace (HardenedNamespace sensitiveData: true), or move the workloads to a namespace `
    + 'that has it. If the workloads no longer handle sensitive data, remove the label from them as well. A PolicyException is not the '
    + 'answer: a workload that needs the profile either gets it or stops claiming it.',
  check: () => [],
  checkAll(ctx) {
    const namespaces = new Map<string, RuleObject>();
    for (const o of ctx.objects) {
      const name = asString(o.metadata?.name);
      if (isKind(o, '', 'Namespace') && name !== undefined && !namespaces.has(name)) namespaces.set(name, o);
    }
    const relying = new Map<string, string[]>();
    for (const o of ctx.objects) {
      const namespace = asString(o.metadata?.namespace);
      if (namespace === undefined || !namespaces.has(namespace) || !reliesOnSensitiveProfile(o)) continue;
      relying.set(namespace, [...(relying.get(namespace) ?? []), objectRef(o)]);
    }
    const found: { object: RuleObject; violation: RuleViolation }[] = [];
    for (const [name, workloads] of relying) {
      const object = namespaces.get(name)!;
      const value: unknown = asMap(object.metadata?.labels)?.[SENSITIVE_DATA_LABEL];
      if (value === 'true') continue;
      const named = workloads.slice(0, WORKLOADS_NAMED).join(', ') + (workloads.length > WORKLOADS_NAMED ? ` and ${workloads.length - WORKLOADS_NAMED} more` : '');
      const state = value === undefined
        ? `is not labelled ${SENSITIVE_DATA_LABEL}: "true"`
        : `labels ${SENSITIVE_DATA_LABEL} ${JSON.stringify(value)}, not "true"`;
      found.push({
        object,
        violation: {
          path: pathOf('metadata.labels', SENSITIVE_DATA_LABEL),
          message: `namespace ${name} ${state}, but its workloads rely on the sensitive-data profile (${named}): `
            + 'Kubernetes Secrets are no longer kept out of it (SECRET-K8S-001)',
        },
      });
    }
    return found;
  },
};
