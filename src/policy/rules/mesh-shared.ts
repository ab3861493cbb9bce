/**
 * Small helpers shared by the mesh rules (`mesh-*.ts`): safe readers for manifests of any shape,
 * JSON-path building for violations, and builders for the null-safe CEL of their admission forms.
 * Not a rule itself.
 */
import { RuleObject, hasPodTemplate, isKind, kindKey } from '../rule';

/** A JSON object (not an array, not null), as the rules read it. */
export type JsonMap = { readonly [key: string]: unknown };

/** `value` when it is a JSON object, else `undefined` (null, arrays, scalars). */
export function asMap(value: unknown): JsonMap | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as JsonMap) : undefined;
}

/** `value` when it is an array, else `[]` (absent, null and wrong types read as empty). */
export function asList(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

/** `value` when it is a string, else `undefined`. */
export function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** Whether `value` is set: neither absent nor null. */
export function isSet(value: unknown): boolean {
  return value !== undefined && value !== null;
}

/** Whether a list field matches something: set, and not an empty array (an empty list matches nothing). */
export function isNonEmptyList(value: unknown): boolean {
  return isSet(value) && !(Array.isArray(value) && value.length === 0);
}

/** The string items of a list field (other items are skipped), with their indexes. */
export function stringItems(value: unknown): { readonly value: string; readonly index: number }[] {
  const items: { readonly value: string; readonly index: number }[] = [];
  if (!Array.isArray(value)) return items;
  // Loops rather than flatMap here and below: the rules call these for every policy of a blueprint.
  for (let index = 0; index < value.length; index++) {
    if (typeof value[index] === 'string') items.push({ value: value[index], index });
  }
  return items;
}

/** `base.key`, or `base["key"]` when the key is not a plain identifier (annotation keys, port numbers). */
export function pathOf(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key)) return base ? `${base}.${key}` : key;
  return `${base}[${JSON.stringify(key)}]`;
}

/** Whether the mesh-wide `selector` is empty: absent, null, or without match labels. */
export function isEmptySelector(selector: unknown): boolean {
  if (!isSet(selector)) return true;
  const labels = asMap(asMap(selector)?.matchLabels);
  return labels === undefined || Object.keys(labels).length === 0;
}

/** The `spec` of an object as a map (empty when absent or not an object). */
export function specOf(object: RuleObject): JsonMap {
  return asMap(object.spec) ?? {};
}

/** API group of Istio's security kinds. */
export const SECURITY_GROUP = 'security.istio.io';
/** API group of Istio's networking kinds. */
export const NETWORKING_GROUP = 'networking.istio.io';

/** Kind key of Istio's AuthorizationPolicy (for rules' `kinds`). */
export const AUTHORIZATION_POLICY_KIND = kindKey(SECURITY_GROUP, 'AuthorizationPolicy');

/** Whether the object is an Istio AuthorizationPolicy. */
export function isAuthorizationPolicy(object: RuleObject): boolean {
  return isKind(object, SECURITY_GROUP, 'AuthorizationPolicy');
}

/** The action of an AuthorizationPolicy spec (`ALLOW` when absent, as Istio defaults it). */
export function actionOf(spec: JsonMap): unknown {
  return isSet(spec.action) ? spec.action : 'ALLOW';
}

/** One `rules[i]` entry of an AuthorizationPolicy with its path. */
export interface PolicyRuleEntry {
  readonly rule: JsonMap;
  readonly path: string;
}

/** The rules of an AuthorizationPolicy spec that are objects, with their paths. */
export function policyRules(spec: JsonMap): PolicyRuleEntry[] {
  const entries: PolicyRuleEntry[] = [];
  const rules = asList(spec.rules);
  for (let i = 0; i < rules.length; i++) {
    const rule = asMap(rules[i]);
    if (rule) entries.push({ rule, path: `spec.rules[${i}]` });
  }
  return entries;
}

/** The `from[j].source` (or `to[j].operation`) maps of a rule, with their paths; entries without one are skipped. */
export function ruleClauses(entry: PolicyRuleEntry, list: 'from' | 'to'): { readonly clause: JsonMap; readonly path: string }[] {
  const field = list === 'from' ? 'source' : 'operation';
  const clauses: { readonly clause: JsonMap; readonly path: string }[] = [];
  const items = asList(entry.rule[list]);
  for (let j = 0; j < items.length; j++) {
    const clause = asMap(asMap(items[j])?.[field]);
    if (clause) clauses.push({ clause, path: `${entry.path}.${list}[${j}].${field}` });
  }
  return clauses;
}

/** Where the pod metadata of a workload lives: `[]` for kinds that create no pods. */
export interface PodMetadataLocation {
  /** The metadata map (may be undefined when the object does not set it). */
  readonly metadata: JsonMap | undefined;
  /** JSON path of that metadata, e.g. `spec.template.metadata`. */
  readonly path: string;
}

const TEMPLATE_KINDS: readonly (readonly [string, string])[] = [
  ['apps', 'Deployment'],
  ['apps', 'StatefulSet'],
  ['apps', 'DaemonSet'],
  ['apps', 'ReplicaSet'],
  ['batch', 'Job'],
  ['', 'ReplicationController'],
];

/** Whether the object is a workload kind whose pods the rules look at (not the Pod itself). */
export function isWorkload(object: RuleObject): boolean {
  return TEMPLATE_KINDS.some(([g, k]) => isKind(object, g, k)) || isKind(object, 'batch', 'CronJob');
}

/** The metadata the pods of `object` get: the Pod's own, a workload's pod template, or a CronJob's job template. */
export function podMetadata(object: RuleObject): PodMetadataLocation | undefined {
  if (isKind(object, '', 'Pod')) return { metadata: asMap(object.metadata), path: 'metadata' };
  if (TEMPLATE_KINDS.some(([g, k]) => isKind(object, g, k))) {
    return { metadata: asMap(asMap(specOf(object).template)?.metadata), path: 'spec.template.metadata' };
  }
  if (isKind(object, 'batch', 'CronJob')) {
    const jobSpec = asMap(asMap(specOf(object).jobTemplate)?.spec);
    return { metadata: asMap(asMap(jobSpec?.template)?.metadata), path: 'spec.jobTemplate.spec.template.metadata' };
  }
  // A custom workload kind (Argo Rollouts' Rollout, ...): its controller copies the template to its Pods.
  if (hasPodTemplate(object)) return { metadata: asMap(asMap(specOf(object).template)?.metadata), path: 'spec.template.metadata' };
  return undefined;
}

/** Admission resources for the workload kinds of {@link podMetadata}. */
export const POD_RESOURCES = [
  { apiGroups: [''], apiVersions: ['*'], resources: ['pods', 'replicationcontrollers'] },
  { apiGroups: ['apps'], apiVersions: ['*'], resources: ['deployments', 'statefulsets', 'daemonsets', 'replicasets'] },
  { apiGroups: ['batch'], apiVersions: ['*'], resources: ['jobs', 'cronjobs'] },
];

// ---- CEL builders --------------------------------------------------------------------------------

/**
 * `has()` for every step of a dotted CEL field path, so a missing parent does not make the
 * expression fail: `celHas('object.spec.mtls.mode')` is
 * `(has(object.spec) && has(object.spec.mtls) && has(object.spec.mtls.mode))`.
 */
export function celHas(path: string): string {
  const parts = path.split('.');
  const checks: string[] = [];
  for (let i = 2; i <= parts.length; i++) checks.push(`has(${parts.slice(0, i).join('.')})`);
  return `(${checks.join(' && ')})`;
}

/** CEL: the list at `path` is absent or empty. */
export function celEmpty(path: string): string {
  return `(!${celHas(path)} || size(${path}) == 0)`;
}

/** CEL: the list at `path` is present and not empty. */
export function celNonEmpty(path: string): string {
  return `(${celHas(path)} && size(${path}) > 0)`;
}

/** CEL: every item `v` of the list at `path` (absent = none) satisfies `predicate` (written over `v`). */
export function celEach(path: string, v: string, predicate: string): string {
  return `(!${celHas(path)} || ${path}.all(${v}, ${predicate}))`;
}

/** CEL string literal for `value`. */
export function celString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** CEL list literal of strings. */
export function celStrings(values: readonly string[]): string {
  return `[${values.map(celString).join(', ')}]`;
}

/** CEL: the AuthorizationPolicy `object` is an ALLOW policy (action absent or ALLOW). */
export const CEL_IS_ALLOW = "(!has(object.spec) || !has(object.spec.action) || object.spec.action == 'ALLOW')";

/** CEL: `predicate` (over `r`) holds for every rule of the AuthorizationPolicy `object`. */
export function celEachPolicyRule(predicate: string): string {
  return celEach('object.spec.rules', 'r', predicate);
}

/**
 * CEL: the labels or annotations map at `mapPath` has `key` and `valueTest` (over the value) holds.
 * Set `guarded` when the caller has already checked that the map exists.
 */
export function celMetaEntry(mapPath: string, key: string, valueTest: (v: string) => string, guarded = false): string {
  const v = `${mapPath}[${celString(key)}]`;
  return `(${guarded ? '' : `${celHas(mapPath)} && `}${celString(key)} in ${mapPath} && ${valueTest(v)})`;
}

/** One `tls` block of a DestinationRule (top level, per port, in subsets) with its path and port. */
export interface DestinationRuleTls {
  readonly tls: JsonMap;
  /** Path of the `tls` block, e.g. `spec.subsets[0].trafficPolicy.portLevelSettings[1].tls`. */
  readonly path: string;
  readonly port?: number;
}

function trafficPolicyTls(policy: JsonMap | undefined, path: string): DestinationRuleTls[] {
  if (!policy) return [];
  const found: DestinationRuleTls[] = [];
  const tls = asMap(policy.tls);
  if (tls) found.push({ tls, path: `${path}.tls` });
  asList(policy.portLevelSettings).forEach((s, i) => {
    const setting = asMap(s);
    const portTls = asMap(setting?.tls);
    if (!portTls) return;
    const number = asMap(setting?.port)?.number;
    const port = typeof number === 'number' && Number.isInteger(number) ? number : undefined;
    found.push({ tls: portTls, path: `${path}.portLevelSettings[${i}].tls`, ...(port !== undefined ? { port } : {}) });
  });
  return found;
}

/** Every `tls` block of a DestinationRule spec: top-level traffic policy, per port, and in subsets. */
export function destinationRuleTls(spec: JsonMap): DestinationRuleTls[] {
  return [
    ...trafficPolicyTls(asMap(spec.trafficPolicy), 'spec.trafficPolicy'),
    ...asList(spec.subsets).flatMap((s, i) => trafficPolicyTls(asMap(asMap(s)?.trafficPolicy), `spec.subsets[${i}].trafficPolicy`)),
  ];
}

/** CEL: `tlsOk` (over a `tls` block expression) holds for every tls block of the DestinationRule `object` (absent = fine). */
export function celEachDestinationRuleTls(tlsOk: (tls: string) => string): string {
  const policyOk = (path: string) => `(!${celHas(path)} || (${tlsOk(`${path}.tls`)} && ${celEach(`${path}.portLevelSettings`, 'p', tlsOk('p.tls'))}))`;
  return `(${policyOk('object.spec.trafficPolicy')} && ${celEach('object.spec.subsets', 's', policyOk('s.trafficPolicy'))})`;
}

/** The `jwtRules` entries of a RequestAuthentication that are objects, with their index. */
export function jwtRulesOf(object: RuleObject): { readonly rule: JsonMap; readonly index: number }[] {
  const out: { rule: JsonMap; index: number }[] = [];
  asList(specOf(object).jwtRules).forEach((r, index) => {
    const rule = asMap(r);
    if (rule) out.push({ rule, index });
  });
  return out;
}
