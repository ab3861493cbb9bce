
/**
 * The exception registry as data (EXC-1): one ConfigMap per namespace that holds excepted objects
 * (written by the repo that owns the namespace), plus the mesh-wide one in the control-plane
 * namespace (written by the platform repo), which also holds the exceptions of cluster-scoped
 * objects. Two repositories never write the same registry.
 *
 * ```yaml
 * apiVersion: v1
 * kind: ConfigMap
 * metadata:
 *   name: secure-mesh-exceptions
 *   namespace: payments
 *   labels: { secure-mesh.cdk8s.io/registry: exceptions }
 * data:
 *   Deployment.ledger: MESH-EXC-001@2027-01-31          # what admission reads: Kind.name -> RULE@expires,...
 *   exceptions.yaml: |                                  # what reviewers and the audit read
 *     - id: payments/ledger-debug-port
 *       rules: [MESH-EXC-001]
 *       owner: team-payments@example.com
 *       justification: ...
 *       expires: "2027-01-31"
 *       objects: [Deployment/payments/ledger]
 *       ports: [9901]
 * ```
 */

/** Name of every exception registry ConfigMap. */
export const REGISTRY_NAME = 'secure-mesh-exceptions';

/** Label marking an exception registry. */
export const REGISTRY_LABEL = 'secure-mesh.cdk8s.io/registry';

/** Value of {@link REGISTRY_LABEL}. */
export const REGISTRY_LABEL_VALUE = 'exceptions';

/** Data key holding the full records (YAML list of {@link RegistryRecord}). */
export const RECORDS_KEY = 'exceptions.yaml';

/** Default longest lifetime of an exception, in days from the day it is checked. */
export const DEFAULT_MAX_EXCEPTION_DAYS = 90;

/** Upper bound a platform may raise the longest lifetime to. */
export const MAX_EXCEPTION_DAYS_LIMIT = 365;

/** One exception as the registry records it. */
export interface RegistryRecord {
  /** Stable id: the exception's construct path without the app root (`chart/exception`). */
  readonly id: string;
  readonly rules: string[];
  readonly owner: string;
  readonly justification: string;
  /** Last valid day, `YYYY-MM-DD`. */
  readonly expires: string;
  /** Objects covered in this registry's namespace (or cluster-scoped, in the mesh-wide one), as `Kind/namespace/name` or `Kind/name`. */
  readonly objects: string[];
  /** Ports the exception is limited to (empty: violations without a port only). */
  readonly ports?: number[];
  /** Why an exception spans more than one namespace, when it does. */
  readonly meshWideReason?: string;
}

/** The admission key of an object in its namespace's registry: `Kind.name`. */
export function registryKey(kind: string, name: string): string {
  return `${kind}.${name}`;
}

/** The value of an admission key: `RULE@expires` entries, sorted, comma-separated. */
export function registryValue(stamps: Iterable<string>): string {
  return [...new Set(stamps)].sort().join(',');
}

/** `RULE@YYYY-MM-DD` for one rule of an exception. */
export function exceptionStamp(rule: string, expires: string): string {
  return `${rule}@${expires}`;
}

/** The records as the registry stores them (deterministic YAML). */
export function recordsToYaml(records: readonly RegistryRecord[]): string {
  const sorted = [...records].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return yaml().stringify(sorted.map((r) => ({
    id: r.id,
    rules: [...r.rules].sort(),
    owner: r.owner,
    justification: r.justification,
    expires: r.expires,
    objects: [...r.objects].sort(),
    ...(r.ports && r.ports.length ? { ports: [...r.ports].sort((a, b) => a - b) } : {}),
    ...(r.meshWideReason ? { meshWideReason: r.meshWideReason } : {}),
  })), { lineWidth: 0 });
}

/** Reads the records of a registry's data; the problems found name the record. */
export function recordsFromYaml(text: string): { readonly records: RegistryRecord[]; readonly problems: string[] } {
  let raw: unknown;
  try {
    raw = yaml().parse(text);
  } catch (e) {
    return { records: [], problems: [`${RECORDS_KEY} is not YAML: ${(e as Error).message.split('\n')[0]}`] };
  }
  if (raw === null || raw === undefined) return { records: [], problems: [] };
  if (!Array.isArray(raw)) return { records: [], problems: [`${RECORDS_KEY} must be a list of exception records`] };
  const records: RegistryRecord[] = [];
  const problems: string[] = [];
  raw.forEach((r: any, i) => {
    const strings = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === 'string');
    const ok = r && typeof r === 'object' && typeof r.id === 'string' && strings(r.rules) && typeof r.owner === 'string'
      && typeof r.justification === 'string' && typeof r.expires === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(r.expires) && strings(r.objects)
      && (r.ports === undefined || (Array.isArray(r.ports) && r.ports.every((p: unknown) => Number.isInteger(p))));
    if (!ok) {
      problems.push(`${RECORDS_KEY}[${i}] is not an exception record (id, rules, owner, justification, expires YYYY-MM-DD, objects)`);
      return;
    }
    records.push({
      id: r.id,
      rules: r.rules,
      owner: r.owner,
      justification: r.justification,
      expires: r.expires,
      objects: r.objects,
      ...(r.ports ? { ports: r.ports } : {}),
      ...(typeof r.meshWideReason === 'string' ? { meshWideReason: r.meshWideReason } : {}),
    });
  });
  return { records, problems };
}

/** The YAML library, loaded on first use (importing the library stays cheap). */
function yaml(): typeof import('yaml') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('yaml') as typeof import('yaml');
}
