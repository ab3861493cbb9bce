import { parse } from 'yaml';
import { LoadedManifest, location } from './manifest-loader';
import { isCalendarDate } from '../policy/calendar';
import {
  RECORDS_KEY, REGISTRY_LABEL, REGISTRY_LABEL_VALUE, REGISTRY_NAME, RegistryRecord, recordsFromYaml,
} from '../policy/exception-registry-format';
import { RuleObject, objectRef } from '../policy/rule';

/**
 * Reads the exception registries (EXC-1) out of audited manifests: every `v1` ConfigMap named
 * `secure-mesh-exceptions`, one per namespace. What is read here is only what the registry says;
 * whether it agrees with the objects, the clock and its namespace is judged by the audit
 * (exception-acceptance.ts).
 */

/** An object reference of a record: `Kind/namespace/name`, or `Kind/name` for a cluster-scoped object. */
export interface RecordObjectRef {
  /** As the record writes it. */
  readonly ref: string;
  readonly kind: string;
  /** Absent for a cluster-scoped object. */
  readonly namespace?: string;
  readonly name: string;
}

/** One well-formed record of a registry's `exceptions.yaml`. */
export interface ParsedRecord {
  readonly record: RegistryRecord;
  /** Its index in `exceptions.yaml`. */
  readonly index: number;
  readonly objects: readonly RecordObjectRef[];
}

/** One admission key of a registry: `Kind.name` and the well-formed `RULE@YYYY-MM-DD` stamps it lists. */
export interface RegistryAdmissionKey {
  readonly key: string;
  readonly kind: string;
  readonly name: string;
  readonly stamps: readonly string[];
}

/** One registry ConfigMap as read. */
export interface ExceptionRegistry {
  readonly manifest: LoadedManifest;
  readonly namespace: string;
  /** `namespace/secure-mesh-exceptions`. */
  readonly ref: string;
  /** `ConfigMap/namespace/secure-mesh-exceptions`, as findings name objects. */
  readonly objectRef: string;
  /** Admission keys by `Kind.name`. */
  readonly keys: ReadonlyMap<string, RegistryAdmissionKey>;
  /** Well-formed records (malformed ones are problems, and cover nothing). */
  readonly records: readonly ParsedRecord[];
}

/**
 * What is wrong with a registry as written: `malformed` (a record, key or stamp that is not what
 * the format says, a registry without namespace, or several registries for one namespace: that
 * part covers nothing) or `unlabelled` (read, but without the registry label).
 */
export interface RegistryReadProblem {
  readonly kind: 'malformed' | 'unlabelled';
  readonly manifest: LoadedManifest;
  readonly path: string;
  readonly message: string;
}

/** What {@link readRegistries} found. */
export interface RegistryReading {
  /** The registry of each namespace. */
  readonly registries: ReadonlyMap<string, ExceptionRegistry>;
  /** Namespaces with several registries, none of which is read. */
  readonly ambiguous: ReadonlySet<string>;
  readonly problems: readonly RegistryReadProblem[];
}

const STAMP = /^([A-Z0-9-]+)@(\d{4}-\d{2}-\d{2})$/;
const KIND = /^[A-Z][A-Za-z0-9]*$/;

/** Whether an object is an exception registry: a `v1` ConfigMap named `secure-mesh-exceptions`. */
export function isRegistryConfigMap(o: RuleObject): boolean {
  return o.kind === 'ConfigMap' && o.apiVersion === 'v1' && o.metadata?.name === REGISTRY_NAME;
}

/**
 * The registries of the manifests, and what is malformed in them. A registry without namespace
 * is nobody's; when a namespace has more than one, none of them is read (fail closed).
 * `knownRules` are the rule ids stamps and records may name.
 */
export function readRegistries(manifests: readonly LoadedManifest[], knownRules: ReadonlySet<string>): RegistryReading {
  const problems: RegistryReadProblem[] = [];
  const registries = new Map<string, ExceptionRegistry>();
  const candidates = manifests.filter((m) => isRegistryConfigMap(m.object))
    .sort((a, b) => cmp(a.file, b.file) || a.line - b.line);
  const perNamespace = new Map<string, LoadedManifest[]>();
  for (const m of candidates) {
    const namespace = m.object.metadata?.namespace;
    if (typeof namespace === 'string' && namespace !== '') perNamespace.set(namespace, [...(perNamespace.get(namespace) ?? []), m]);
  }
  for (const m of candidates) {
    const problem = (path: string, message: string, kind: RegistryReadProblem['kind'] = 'malformed') => problems.push({ kind, manifest: m, path, message });
    const namespace = m.object.metadata?.namespace;
    if (typeof namespace !== 'string' || namespace === '') {
      problem('metadata.namespace', `${REGISTRY_NAME} names no namespace, so it is no namespace's exception registry and covers nothing `
        + '(give it the namespace whose objects it covers, or pass --namespace NS for kustomize-style input)');
      continue;
    }
    const all = perNamespace.get(namespace)!;
    if (all.length > 1) {
      // Fail closed: which one the cluster would keep depends on the order of applies, and a second
      // document must not be able to replace the reviewed registry in the audit's eyes.
      const others = all.filter((x) => x !== m).map((x) => location(x.file, x.line));
      problem('metadata.name', `${all.length} exception registries for namespace ${namespace} (also at ${others.join(', ')}): `
        + 'none of them is read, so nothing in the namespace is excepted; keep one');
      continue;
    }
    if (m.object.metadata?.labels?.[REGISTRY_LABEL] !== REGISTRY_LABEL_VALUE) {
      problem(`metadata.labels.${REGISTRY_LABEL}`, `the exception registry of namespace ${namespace} lacks the label `
        + `${REGISTRY_LABEL}: ${REGISTRY_LABEL_VALUE}`, 'unlabelled');
    }
    const data: unknown = m.object.data;
    const entries: [string, unknown][] = data && typeof data === 'object' && !Array.isArray(data) ? Object.entries(data) : [];
    if (data !== undefined && data !== null && (typeof data !== 'object' || Array.isArray(data))) {
      problem('data', 'data is not a map of strings');
    }
    const keys = new Map<string, RegistryAdmissionKey>();
    let records: ParsedRecord[] = [];
    for (const [key, value] of entries.sort(([a], [b]) => cmp(a, b))) {
      const path = `data.${key}`;
      if (typeof value !== 'string') {
        problem(path, `data key ${key} is not a string`);
        continue;
      }
      if (key === RECORDS_KEY) {
        records = readRecords(value, knownRules, (message) => problem(path, message));
        continue;
      }
      const dot = key.indexOf('.');
      const kind = dot > 0 ? key.slice(0, dot) : '';
      const name = dot > 0 ? key.slice(dot + 1) : '';
      if (!KIND.test(kind) || name === '') {
        problem(path, `data key ${key} is neither ${RECORDS_KEY} nor an admission key Kind.name`);
        continue;
      }
      const stamps: string[] = [];
      for (const raw of value.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
        const bad = stampProblem(raw, knownRules);
        if (bad) problem(path, `admission key ${key}: ${bad}`);
        else stamps.push(raw);
      }
      keys.set(key, { key, kind, name, stamps });
    }
    registries.set(namespace, {
      manifest: m, namespace, ref: `${namespace}/${REGISTRY_NAME}`, objectRef: objectRef(m.object), keys, records,
    });
  }
  const ambiguous = new Set([...perNamespace].filter(([, all]) => all.length > 1).map(([namespace]) => namespace));
  return { registries, ambiguous, problems };
}

/** The well-formed records of `exceptions.yaml`; each problem names the record. */
function readRecords(text: string, knownRules: ReadonlySet<string>, problem: (message: string) => void): ParsedRecord[] {
  const { records, problems } = recordsFromYaml(text);
  problems.forEach(problem);
  const out: ParsedRecord[] = [];
  const ids = new Set<string>();
  // recordsFromYaml drops malformed items: recover each record's index for the messages.
  const indexOf = indexer(text);
  records.forEach((record, i) => {
    const index = indexOf(record, i);
    const what = `${RECORDS_KEY}[${index}] (id "${record.id}")`;
    const wrong: string[] = [];
    if (record.id.trim() === '') wrong.push('its id is empty');
    if (ids.has(record.id)) wrong.push('its id is used by an earlier record');
    if (record.rules.length === 0) wrong.push('it names no rule');
    for (const rule of record.rules) if (!knownRules.has(rule)) wrong.push(`${rule} is not a rule of the set`);
    if (record.owner.trim() === '') wrong.push('its owner is empty');
    if (record.justification.trim() === '') wrong.push('its justification is empty');
    if (!isCalendarDate(record.expires)) wrong.push(`expires ${record.expires} is not a date`);
    if (record.objects.length === 0) wrong.push('it lists no objects');
    const objects: RecordObjectRef[] = [];
    for (const ref of record.objects) {
      const parsed = parseObjectRef(ref);
      if (parsed) objects.push(parsed);
      else wrong.push(`"${ref}" is not Kind/namespace/name or Kind/name`);
    }
    ids.add(record.id);
    if (wrong.length > 0) {
      problem(`${what} is not a valid exception record: ${wrong.join('; ')}`);
      return;
    }
    out.push({ record, index, objects });
  });
  return out;
}

/** Maps each well-formed record back to its index in the YAML list (recordsFromYaml keeps the list order, dropping malformed items). */
function indexer(text: string): (record: RegistryRecord, fallback: number) => number {
  let raw: unknown[] = [];
  try {
    const parsed: unknown = parse(text);
    if (Array.isArray(parsed)) raw = parsed;
  } catch {
    // recordsFromYaml reported it.
  }
  let from = 0;
  return (record, fallback) => {
    for (let i = from; i < raw.length; i++) {
      const r = raw[i] as { id?: unknown } | null;
      if (r && typeof r === 'object' && r.id === record.id) {
        from = i + 1;
        return i;
      }
    }
    return fallback;
  };
}

/** `Kind/namespace/name` or `Kind/name`, or undefined when the reference is neither. */
export function parseObjectRef(ref: string): RecordObjectRef | undefined {
  const parts = ref.split('/');
  if (parts.some((p) => p === '') || !KIND.test(parts[0])) return undefined;
  if (parts.length === 3) return { ref, kind: parts[0], namespace: parts[1], name: parts[2] };
  if (parts.length === 2) return { ref, kind: parts[0], name: parts[1] };
  return undefined;
}

/** Why a `RULE@YYYY-MM-DD` stamp is not one, or undefined when it is. */
function stampProblem(raw: string, knownRules: ReadonlySet<string>): string | undefined {
  const m = STAMP.exec(raw);
  if (!m) return `"${raw}" is not RULE@YYYY-MM-DD`;
  if (!isCalendarDate(m[2])) return `"${raw}": ${m[2]} is not a date`;
  if (!knownRules.has(m[1])) return `"${raw}": ${m[1]} is not a rule of the set`;
  return undefined;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
