import type { ExceptionEntry } from './audit';
import { isNamespaced } from './default-namespace';
import { ExceptionRegistry, ParsedRecord, RecordObjectRef, RegistryReading } from './exception-registry-reader';
import { LoadedManifest } from './manifest-loader';
import { daysBetween } from '../policy/calendar';
import { RECORDS_KEY, REGISTRY_NAME, exceptionStamp, registryKey } from '../policy/exception-registry-format';
import { EXCEPTION_ANNOTATION } from '../policy/policy-enforcement';
import { RuleObject, objectRef } from '../policy/rule';

/**
 * Which exception annotations the audit accepts (EXC-1). An annotation entry is a claim anyone
 * can write; the registry of the object's namespace is the record reviewers approved. An entry
 * counts only when both agree, in the same audit input:
 *
 * - the registry is the ConfigMap `secure-mesh-exceptions` of the object's namespace (for a
 *   cluster-scoped object: the mesh-wide one in the control-plane namespace);
 * - its admission key `Kind.name` lists exactly the entry's `RULE@YYYY-MM-DD`;
 * - a record of its `exceptions.yaml` names the rule, the same expiry and the object
 *   (`Kind/namespace/name`, or `Kind/name` when cluster-scoped);
 * - that record is sound: not expired, expiring at most `maxExceptionDays` from today, and, when
 *   the exception (the records with its id, in every registry) covers objects in more than one
 *   namespace (a cluster-scoped object counts as its own), carrying a `meshWideReason`.
 *
 * Everything else in the registries is checked too: every stamp of a key is backed by a record,
 * every object of a record is keyed with at least one of its stamps (synthesis keys and
 * annotates an object with the rules it breaks, not all the exception's rules), a
 * registry lists only its own namespace's objects (cluster-scoped ones only in the control-plane
 * namespace's), and records whose objects are not in the input or not annotated are reported.
 */

/** The accepted (or matched) record behind an exception annotation entry. */
export interface ExceptionRecordInfo {
  /** The record's id. */
  readonly id: string;
  readonly owner: string;
  readonly justification: string;
  /** Last valid day, `YYYY-MM-DD`. */
  readonly expires: string;
  /** The registry holding the record, `namespace/secure-mesh-exceptions`. */
  readonly registry: string;
  /** File and line of the registry ConfigMap. */
  readonly file: string;
  readonly line: number;
  /** Ports the exception is limited to, when the record names any (the audit does not narrow findings by port). */
  readonly ports?: number[];
  /** Why the exception spans several namespaces, when it does. */
  readonly meshWideReason?: string;
}

/** What became of one annotation entry. */
export type EntryVerdict =
  | { readonly status: 'invalid' }
  | { readonly status: 'expired'; readonly record?: ExceptionRecordInfo }
  | { readonly status: 'unregistered'; readonly problem: string }
  | { readonly status: 'refused'; readonly record: ExceptionRecordInfo; readonly problem: string }
  | { readonly status: 'accepted'; readonly record: ExceptionRecordInfo };

/**
 * A problem of the registries, for a finding: `registry` (an error: malformed or inconsistent),
 * `expired` (an expired record), `unknown` (a record entry no annotated object of the input stands
 * for) or `unlabelled` (a registry without its label).
 */
export interface ExceptionProblem {
  readonly kind: 'registry' | 'expired' | 'unknown' | 'unlabelled';
  readonly manifest: LoadedManifest;
  readonly object: string;
  readonly path: string;
  readonly message: string;
}

/** A record's (object, rule) that no valid annotation entry stands for. */
export interface RecordEntry {
  readonly object: string;
  readonly ruleId: string;
  readonly expires: string;
  /** `expired` when the record has expired, else `unknown`. */
  readonly status: 'unknown' | 'expired';
  readonly record: ExceptionRecordInfo;
  readonly problem: string;
}

/** What {@link reviewExceptions} found. */
export interface ExceptionReview {
  /** The verdict on each annotation entry. */
  readonly verdicts: ReadonlyMap<ExceptionEntry, EntryVerdict>;
  readonly problems: readonly ExceptionProblem[];
  /** Record entries without a matching annotation entry. */
  readonly recordEntries: readonly RecordEntry[];
}

/** Inputs of {@link reviewExceptions}. */
export interface ExceptionReviewInput {
  readonly manifests: readonly LoadedManifest[];
  readonly entries: ReadonlyMap<RuleObject, readonly ExceptionEntry[]>;
  readonly reading: RegistryReading;
  readonly today: string;
  readonly maxExceptionDays: number;
  readonly controlPlaneNamespace: string;
}

interface RecordState {
  readonly registry: ExceptionRegistry;
  readonly parsed: ParsedRecord;
  readonly info: ExceptionRecordInfo;
  /** Why the record covers nothing (expired aside), when it does not. */
  readonly refusals: string[];
  readonly expired: boolean;
  /** Its objects in the registry's own namespace (others are reported and never match). */
  readonly own: RecordObjectRef[];
}

/** Judges every annotation entry against the registries, and the registries against the objects. */
export function reviewExceptions(input: ExceptionReviewInput): ExceptionReview {
  const { reading, today, maxExceptionDays, controlPlaneNamespace: cp } = input;
  const problems: ExceptionProblem[] = [];
  const registries = [...reading.registries.values()];
  for (const p of reading.problems) {
    problems.push({ kind: p.kind === 'unlabelled' ? 'unlabelled' : 'registry', manifest: p.manifest, object: objectRef(p.manifest.object), path: p.path, message: p.message });
  }

  // Records: where they may list objects, how long they may run, whether they span namespaces.
  const states = new Map<ParsedRecord, RecordState>();
  const namespacesOfId = new Map<string, Set<string>>();
  for (const registry of registries) {
    for (const parsed of registry.records) {
      const { record } = parsed;
      const own: RecordObjectRef[] = [];
      const where = recordPath(parsed);
      const problem = (kind: ExceptionProblem['kind'], message: string) => problems.push({ kind, manifest: registry.manifest, object: registry.objectRef, path: RECORDS_PATH, message: `${where}: ${message}` });
      for (const o of parsed.objects) {
        if (o.namespace === undefined ? registry.namespace === cp : o.namespace === registry.namespace) {
          own.push(o);
          // A cluster-scoped object counts as a namespace of its own, as PolicyException counts it.
          namespacesOfId.set(record.id, (namespacesOfId.get(record.id) ?? new Set()).add(o.namespace ?? ''));
        } else if (o.namespace === undefined) {
          problem('registry', `lists the cluster-scoped ${o.ref}: only the mesh-wide registry in the control-plane namespace ${cp} `
            + `covers cluster-scoped objects, not the registry of ${registry.namespace}`);
        } else {
          problem('registry', `lists ${o.ref}, an object of namespace ${o.namespace}: the registry of ${registry.namespace} covers only `
            + `objects of ${registry.namespace} (a repository writes only its own namespace's registry); it does not cover ${o.ref}`);
        }
      }
      const refusals: string[] = [];
      const expired = record.expires < today;
      if (expired) {
        problem('expired', `the exception (owner ${record.owner}) expired on ${record.expires} (today is ${today}); it covers nothing: `
          + 'remove the record or renew the PolicyException');
      } else if (daysBetween(today, record.expires) > maxExceptionDays) {
        const message = `expires on ${record.expires}, ${daysBetween(today, record.expires)} days from today (${today}): more than the longest `
          + `lifetime of ${maxExceptionDays} days`;
        refusals.push(message);
        problem('registry', `${message}; it covers nothing`);
      }
      const info: ExceptionRecordInfo = {
        id: record.id,
        owner: record.owner,
        justification: record.justification,
        expires: record.expires,
        registry: registry.ref,
        file: registry.manifest.file,
        line: registry.manifest.line,
        ...(record.ports && record.ports.length > 0 ? { ports: [...record.ports] } : {}),
        ...(record.meshWideReason ? { meshWideReason: record.meshWideReason } : {}),
      };
      states.set(parsed, { registry, parsed, info, refusals, expired, own });
    }
  }
  for (const state of states.values()) {
    const spanned = namespacesOfId.get(state.parsed.record.id) ?? new Set();
    if (spanned.size > 1 && !(state.parsed.record.meshWideReason ?? '').trim()) {
      const names = [...spanned].sort().map((n) => n || '(cluster-scoped)');
      const message = `the exception covers objects in ${names.join(', ')} (the registries with the record id "${state.parsed.record.id}") `
        + 'without a meshWideReason';
      state.refusals.push(message);
      problems.push({ kind: 'registry', manifest: state.registry.manifest, object: state.registry.objectRef, path: RECORDS_PATH, message: `${recordPath(state.parsed)}: ${message}; it covers nothing` });
    }
  }

  // Admission keys and records agree both ways.
  for (const registry of registries) {
    for (const key of registry.keys.values()) {
      const refs = new Set([`${key.kind}/${registry.namespace}/${key.name}`, ...(registry.namespace === cp ? [`${key.kind}/${key.name}`] : [])]);
      for (const stamp of key.stamps) {
        const backed = registry.records.some((p) => p.objects.some((o) => refs.has(o.ref))
          && p.record.rules.some((r) => exceptionStamp(r, p.record.expires) === stamp));
        if (!backed) {
          problems.push({
            kind: 'registry',
            manifest: registry.manifest,
            object: registry.objectRef,
            path: `data.${key.key}`,
            message: `admission key ${key.key} lists ${stamp}, which no record of ${RECORDS_KEY} backs (rule, expiry and object must agree): `
              + 'admission would admit what no reviewed record approves',
          });
        }
      }
    }
    // Synthesis keys an object with the stamps of the rules it actually breaks, so a record's object
    // needs a key listing at least one of the record's stamps, not all of them.
    for (const parsed of registry.records) {
      const state = states.get(parsed)!;
      const stamps = parsed.record.rules.map((r) => exceptionStamp(r, parsed.record.expires));
      for (const o of state.own) {
        const key = registry.keys.get(registryKey(o.kind, o.name));
        if (!key?.stamps.some((st) => stamps.includes(st))) {
          problems.push({
            kind: 'registry',
            manifest: registry.manifest,
            object: registry.objectRef,
            path: `data.${registryKey(o.kind, o.name)}`,
            message: `${recordPath(parsed)} covers ${o.ref}, but ${key ? `admission key ${key.key} lists` : `there is no admission key ${registryKey(o.kind, o.name)} with`} `
              + `none of its stamps (${stamps.join(', ')}): keys and records must agree`,
          });
        }
      }
    }
  }

  // Annotation entries: each against the registry of its object's namespace.
  const verdicts = new Map<ExceptionEntry, EntryVerdict>();
  const standsFor = new Set<string>();
  for (const m of input.manifests) {
    const ref = objectRef(m.object);
    for (const entry of input.entries.get(m.object) ?? []) {
      if (!entry.valid) {
        verdicts.set(entry, { status: 'invalid' });
        continue;
      }
      standsFor.add(`${ref}\u0000${entry.ruleId}\u0000${entry.expires}`);
      const match = matchEntry(m.object, entry, reading, cp);
      const state = 'record' in match ? states.get(match.record)! : undefined;
      if (entry.expires < today) verdicts.set(entry, { status: 'expired', ...(state ? { record: state.info } : {}) });
      else if (!state) verdicts.set(entry, { status: 'unregistered', problem: (match as { problem: string }).problem });
      else if (state.refusals.length > 0) verdicts.set(entry, { status: 'refused', record: state.info, problem: state.refusals.join('; ') });
      else verdicts.set(entry, { status: 'accepted', record: state.info });
    }
  }

  // Record entries no annotated object of the input stands for: renamed or removed objects.
  const present = new Set(input.manifests.map((m) => objectRef(m.object)));
  const recordEntries: RecordEntry[] = [];
  for (const state of states.values()) {
    const { record } = state.parsed;
    for (const o of state.own) {
      // Synthesis annotates an object with the stamps of the rules it breaks: one is enough.
      if (record.rules.some((r) => standsFor.has(`${o.ref}\u0000${r}\u0000${record.expires}`))) continue;
      const problem = present.has(o.ref)
        ? `${o.ref} carries no ${EXCEPTION_ANNOTATION} entry of the record (${record.rules.map((r) => exceptionStamp(r, record.expires)).join(', ')})`
        : `${o.ref} is not in the input (renamed or removed?)`;
      for (const ruleId of record.rules) {
        recordEntries.push({ object: o.ref, ruleId, expires: record.expires, status: state.expired ? 'expired' : 'unknown', record: state.info, problem });
      }
      if (!state.expired) {
        problems.push({
          kind: 'unknown',
          manifest: state.registry.manifest,
          object: state.registry.objectRef,
          path: RECORDS_PATH,
          message: `${recordPath(state.parsed)}: ${problem}; remove the entry from the record, or restore the object and its annotation`,
        });
      }
    }
  }
  return { verdicts, problems, recordEntries };
}

const RECORDS_PATH = `data.${RECORDS_KEY}`;

function recordPath(p: ParsedRecord): string {
  return `record "${p.record.id}" (${RECORDS_KEY}[${p.index}])`;
}

/** The record in the object's own registry that backs the entry, or why there is none. */
function matchEntry(o: RuleObject, entry: ExceptionEntry, reading: RegistryReading, cp: string): { record: ParsedRecord } | { problem: string } {
  const ref = objectRef(o);
  const namespaced = isNamespaced(o);
  const namespace = namespaced ? o.metadata?.namespace : cp;
  if (typeof namespace !== 'string' || namespace === '') {
    return { problem: `${ref} names no namespace, so no namespace's registry can hold its exception` };
  }
  const registry = reading.registries.get(namespace);
  if (reading.ambiguous.has(namespace)) return { problem: `namespace ${namespace} has several exception registries, and none of them is read` };
  if (!registry) {
    return {
      problem: namespaced ? `namespace ${namespace} has no exception registry (ConfigMap ${REGISTRY_NAME}) in the input`
        : `the control-plane namespace ${namespace} has no exception registry (ConfigMap ${REGISTRY_NAME}) in the input, where cluster-scoped objects are registered`,
    };
  }
  const key = registryKey(String(o.kind), String(o.metadata?.name));
  const stamp = exceptionStamp(entry.ruleId, entry.expires);
  if (!registry.keys.get(key)?.stamps.includes(stamp)) return { problem: `admission key ${key} of ${registry.ref} does not list ${stamp}` };
  const record = registry.records.find((p) => p.record.rules.includes(entry.ruleId) && p.record.expires === entry.expires
    && p.objects.some((x) => x.ref === ref));
  if (!record) return { problem: `no record of ${registry.ref} ${RECORDS_KEY} names ${entry.ruleId}, expiry ${entry.expires} and ${ref}` };
  return { record };
}
