import { CUSTOM_POD_TEMPLATE_KIND, RuleObject, hasPodTemplate, isKind, kindKey } from '../rule';

/**
 * Where pod specs live in workload objects, shared by the pod rules (POD-1, IMG-1, OPS-1), both
 * for the TypeScript checks and for their admission CEL, so the two read the same places.
 *
 * | Kind (group) | Pod spec |
 * |---|---|
 * | Pod, (core) | `spec` |
 * | Deployment, StatefulSet, DaemonSet, ReplicaSet (apps); Job (batch); ReplicationController (core) | `spec.template.spec` |
 * | CronJob (batch) | `spec.jobTemplate.spec.template.spec` |
 * | any other kind whose `spec.template.spec.containers` is a list (Argo Rollouts' `Rollout`, ...) | `spec.template.spec` |
 *
 * Custom kinds are read by `check()` (synth and audit) only: a ValidatingAdmissionPolicy must name
 * the resources it matches, and the cluster's custom workload kinds are not known here. Their
 * controllers create Pods, which admission does check.
 *
 * Containers are `containers`, `initContainers` and `ephemeralContainers`.
 */

interface PodSpecLocation {
  readonly group: string;
  readonly kinds: readonly string[];
  /** Field names from the object root to the pod spec. */
  readonly fields: readonly string[];
  /** VAP resource names (plural) of those kinds. */
  readonly resources: readonly string[];
}

const LOCATIONS: readonly PodSpecLocation[] = [
  // `pods/ephemeralcontainers`: `kubectl debug` adds containers through that subresource, and a
  // VAP matching only `pods` never sees them.
  { group: '', kinds: ['Pod'], fields: ['spec'], resources: ['pods', 'pods/ephemeralcontainers'] },
  { group: '', kinds: ['ReplicationController'], fields: ['spec', 'template', 'spec'], resources: ['replicationcontrollers'] },
  {
    group: 'apps',
    kinds: ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet'],
    fields: ['spec', 'template', 'spec'],
    resources: ['deployments', 'statefulsets', 'daemonsets', 'replicasets'],
  },
  { group: 'batch', kinds: ['Job'], fields: ['spec', 'template', 'spec'], resources: ['jobs'] },
  { group: 'batch', kinds: ['CronJob'], fields: ['spec', 'jobTemplate', 'spec', 'template', 'spec'], resources: ['cronjobs'] },
];

/**
 * Kind keys of every kind with a pod spec (Pods and the workloads that template them, custom
 * kinds with `spec.template.spec` included), for rules' `kinds`.
 */
export const POD_KINDS: readonly string[] = [...LOCATIONS.flatMap((l) => l.kinds.map((k) => kindKey(l.group, k))), CUSTOM_POD_TEMPLATE_KIND];

/** The container lists of a pod spec. */
export const CONTAINER_LISTS = ['containers', 'initContainers', 'ephemeralContainers'] as const;

/** A pod spec found in an object. */
export interface PodSpecAt {
  /** Dotted path of the pod spec, e.g. `spec.template.spec`. */
  readonly path: string;
  readonly spec: { readonly [key: string]: any };
}

/** A container found in a pod spec. */
export interface ContainerAt {
  /** Dotted path of the container, e.g. `spec.template.spec.initContainers[0]`. */
  readonly path: string;
  /** `container "name"` (or `container #i` without a name), for messages. */
  readonly label: string;
  readonly container: { readonly [key: string]: any };
}

/** Whether `v` is a non-array object. */
export function isRecord(v: unknown): v is { readonly [key: string]: any } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The pod spec of a workload object (empty for other kinds or when absent). */
export function podSpecsOf(o: RuleObject): PodSpecAt[] {
  const loc = LOCATIONS.find((l) => l.kinds.some((k) => isKind(o, l.group, k)));
  if (!loc) return hasPodTemplate(o) ? [{ path: 'spec.template.spec', spec: o.spec.template.spec }] : [];
  let node: unknown = o;
  for (const f of loc.fields) {
    if (!isRecord(node)) return [];
    node = node[f];
  }
  return isRecord(node) ? [{ path: loc.fields.join('.'), spec: node }] : [];
}

/** Every container (init and ephemeral included) of a pod spec; entries that are not objects are skipped. */
export function containersOf(pod: PodSpecAt): ContainerAt[] {
  const out: ContainerAt[] = [];
  for (const list of CONTAINER_LISTS) {
    const items: unknown = pod.spec[list];
    if (!Array.isArray(items)) continue;
    items.forEach((c, i) => {
      if (!isRecord(c)) return;
      const label = typeof c.name === 'string' ? `container "${c.name}"` : `container #${i}`;
      out.push({ path: `${pod.path}.${list}[${i}]`, label: list === 'containers' ? label : `${list.replace(/Containers$/, '')} ${label}`, container: c });
    });
  }
  return out;
}

/** Every container of every pod spec of the object. */
export function allContainersOf(o: RuleObject): ContainerAt[] {
  return podSpecsOf(o).flatMap(containersOf);
}

/** The `securityContext` of a container or pod spec, `{}` when absent or not an object. */
export function securityContextOf(x: { readonly [key: string]: any }): { readonly [key: string]: any } {
  return isRecord(x.securityContext) ? x.securityContext : {};
}

/** Upper-cases ASCII letters only, as CEL's `upperAscii()` does. */
export function upperAscii(s: string): string {
  return s.replace(/[a-z]/g, (c) => c.toUpperCase());
}

// ---------------------------------------------------------------------------------------------
// Admission CEL

/** A CEL string literal. */
export function celString(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** A CEL list of string literals. */
export function celStrings(values: readonly string[]): string {
  return `[${values.map(celString).join(', ')}]`;
}

/**
 * CEL that is true when `object` is one of `kinds` in API group `group` (as `isKind` decides:
 * the core group when `apiVersion` has no `/`), so the expression keeps the meaning of `check()`
 * even when a policy binding matches it to more resources (e.g. `apiGroups: ['*']`).
 */
export function celIsKind(group: string, kinds: readonly string[]): string {
  const kind = `has(object.kind) && object.kind in ${celStrings(kinds)}`;
  const grp = group === ''
    ? "(!has(object.apiVersion) || !object.apiVersion.contains('/'))"
    : `has(object.apiVersion) && object.apiVersion.startsWith(${celString(`${group}/`)})`;
  return `(${kind} && ${grp})`;
}

/**
 * The VAP resources of the workload kinds, in their API groups, any version. The CEL still checks
 * kind and group itself, so it means the same wherever it is matched.
 */
export const POD_SPEC_RESOURCES: { apiGroups: string[]; apiVersions: string[]; resources: string[] }[] =
  [...new Set(LOCATIONS.map((l) => l.group))].map((group) => ({
    apiGroups: [group],
    apiVersions: ['*'],
    resources: LOCATIONS.filter((l) => l.group === group).flatMap((l) => l.resources),
  }));

/**
 * CEL over `object` that applies `predicate` (given a CEL expression for the pod spec) to the pod
 * spec of whichever workload kind the object is; true for other kinds and when the spec is absent.
 * Each kind gets its own copy of the predicate (no ternary choosing between differently typed
 * specs), so it type-checks against each kind's schema.
 */
export function celForPodSpec(predicate: (spec: string) => string): string {
  let expr = 'true';
  for (const loc of [...LOCATIONS].reverse()) {
    const spec = `object.${loc.fields.join('.')}`;
    expr = `${celIsKind(loc.group, loc.kinds)} ? (!${celHas('object', loc.fields)} || (${predicate(spec)})) : ${expr}`;
  }
  return expr;
}

/**
 * CEL that is true when `predicate` (given the name of the container variable) holds for every
 * container, init container and ephemeral container of the pod spec `spec`.
 */
export function celForEachContainer(spec: string, predicate: (c: string) => string): string {
  return CONTAINER_LISTS.map((list) => `(!has(${spec}.${list}) || ${spec}.${list}.all(c, ${predicate('c')}))`).join(' && ');
}

/** CEL: `base.f1.f2...` is present (each step guarded with `has()`). */
export function celHas(base: string, fields: readonly string[]): string {
  const checks: string[] = [];
  for (let i = 1; i <= fields.length; i++) checks.push(`has(${base}.${fields.slice(0, i).join('.')})`);
  return `(${checks.join(' && ')})`;
}
