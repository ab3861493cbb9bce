import { stringify } from 'yaml';
import { LoadedManifest } from '../../src/audit/manifest-loader';
import {
  RECORDS_KEY, REGISTRY_LABEL, REGISTRY_LABEL_VALUE, REGISTRY_NAME, RegistryRecord, exceptionStamp, recordsToYaml, registryKey, registryValue,
} from '../../src/policy/exception-registry-format';
import { EXCEPTION_ANNOTATION } from '../../src/policy/policy-enforcement';
import { RuleObject, objectRef } from '../../src/policy/rule';

/**
 * Builders of exception registries and annotated objects for audit tests (EXC-1), written as
 * synthesis writes them: the object's annotation and the registry of its namespace carry the same
 * `RULE@expires` stamps, and the registry's `exceptions.yaml` holds the record.
 */

/** `YYYY-MM-DD` of the system clock (UTC), moved by `days`: for tests of the CLI and plugin, which always use the real date. */
export function daysFromNow(days: number): string {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}

/** `YYYY-MM-DD` of `date` moved by `days`. */
export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/** A record with sensible defaults; `objects` as `Kind/namespace/name` (or `Kind/name`) or objects. */
export function record(props: Partial<Omit<RegistryRecord, 'objects'>> & { readonly rules: string[]; readonly expires: string; readonly objects: (string | RuleObject)[] }): RegistryRecord {
  return {
    id: props.id ?? 'test/exception',
    rules: props.rules,
    owner: props.owner ?? 'team-shop@example.com',
    justification: props.justification ?? 'The legacy scraper cannot speak mTLS; only the monitoring namespace reaches it.',
    expires: props.expires,
    objects: props.objects.map((o) => (typeof o === 'string' ? o : objectRef(o))),
    ...(props.ports ? { ports: props.ports } : {}),
    ...(props.meshWideReason ? { meshWideReason: props.meshWideReason } : {}),
  };
}

/** Options of {@link registry}. */
export interface RegistryOptions {
  /** Admission keys to write instead of those derived from the records (`Kind.name` -> value). */
  readonly keys?: { [key: string]: string };
  /** Extra admission keys, merged over the derived ones. */
  readonly extraKeys?: { [key: string]: string };
  /** Whether to write the registry label. @default true */
  readonly label?: boolean;
  /** The raw `exceptions.yaml` to write instead of the records'. */
  readonly recordsYaml?: string;
}

/**
 * The registry ConfigMap of `namespace` holding `records`; its admission keys list, for each
 * object of a record, the stamps of every rule of the record (unless `keys` says otherwise).
 */
export function registry(namespace: string, records: readonly RegistryRecord[], options: RegistryOptions = {}): RuleObject {
  const stamps = new Map<string, string[]>();
  for (const r of records) {
    for (const ref of r.objects) {
      const parts = ref.split('/');
      const key = registryKey(parts[0], parts[parts.length - 1]);
      stamps.set(key, [...(stamps.get(key) ?? []), ...r.rules.map((rule) => exceptionStamp(rule, r.expires))]);
    }
  }
  const derived: { [key: string]: string } = {};
  for (const [key, values] of stamps) derived[key] = registryValue(values);
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: REGISTRY_NAME,
      namespace,
      ...(options.label === false ? {} : { labels: { [REGISTRY_LABEL]: REGISTRY_LABEL_VALUE } }),
    },
    data: {
      ...(options.keys ?? derived),
      ...(options.extraKeys ?? {}),
      [RECORDS_KEY]: options.recordsYaml ?? recordsToYaml(records),
    },
  };
}

/** A copy of `object` whose exception annotation lists `stamps` (`RULE@YYYY-MM-DD`). */
export function annotate(object: RuleObject, ...stamps: string[]): RuleObject {
  return {
    ...object,
    metadata: { ...(object.metadata ?? {}), annotations: { ...(object.metadata?.annotations ?? {}), [EXCEPTION_ANNOTATION]: stamps.join(',') } },
  };
}

/**
 * Objects as the loader would give them, one per 10 lines of `file`: the line of the n-th
 * object is `10 n + 1`.
 */
export function loaded(objects: readonly RuleObject[], file = 'objects.yaml'): LoadedManifest[] {
  return objects.map((object, i) => ({ object, file, line: i * 10 + 1, documentIndex: i }));
}

/**
 * An exception as synthesis writes it: the objects annotated with the record's stamps, and the
 * registry of their namespace (for cluster-scoped objects: `controlPlaneNamespace`) holding it.
 * Objects in several namespaces get one registry each, all with the same record id.
 */
export function excepted(
  objects: readonly RuleObject[], props: Omit<Parameters<typeof record>[0], 'objects'>, controlPlaneNamespace = 'istio-system',
): { readonly objects: RuleObject[]; readonly registries: RuleObject[] } {
  const byNamespace = new Map<string, RuleObject[]>();
  for (const o of objects) {
    const ns = o.metadata?.namespace ?? controlPlaneNamespace;
    byNamespace.set(ns, [...(byNamespace.get(ns) ?? []), o]);
  }
  const registries = [...byNamespace].map(([ns, members]) => registry(ns, [record({ ...props, objects: members })]));
  const annotated = objects.map((o) => annotate(o, ...props.rules.map((rule) => exceptionStamp(rule, props.expires))));
  return { objects: annotated, registries };
}

/** Objects as YAML documents (for CLI and plugin tests that read files). */
export function yamlDocuments(objects: readonly RuleObject[]): string {
  return objects.map((o) => stringify(o, { lineWidth: 0 })).join('---\n');
}
