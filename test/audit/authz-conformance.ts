import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { AccessMatrix } from '../../src/audit/access-matrix';
import { AccessCheckResult, AccessDecision, AccessMatrixOptions, AccessRequest, DeclaredWorkload, TokenState } from '../../src/audit/access-types';
import { AccessExitCode } from '../../src/cli/access-command';
import { SecureMeshConfig } from '../../src/config/secure-mesh-config';
import { runAccessCli } from '../cli/access-cli-runner';

/**
 * Istio's documented authorization results (../shared/authz-conformance, one folder per case; its
 * README gives the format) as questions to the access evaluator: each case's manifests go to
 * `AccessMatrix.fromManifests` and its request to `check()`, and the same inputs go through the
 * `access` command; the answer is compared with the documented result (issue 16).
 *
 * Outcomes:
 * - `right`: a definite verdict equal to the documented one (`allow` or `deny`);
 * - `wrong`: a definite verdict that differs from it (including a definite verdict where a CUSTOM
 *   provider decides: documented `external`);
 * - `unknown`: the evaluator answers UNKNOWN (right where the case needs what manifests cannot
 *   say; a gap where it is decidable offline, see {@link DECIDABLE_OFFLINE});
 * - `error`: `check()` (or the CLI) rejected the question (an unknown workload, ...).
 *
 * The request is mapped onto what `AccessRequest` supports today:
 * - `port` is the container port; `queryPort`, when present, is the port asked (a Service port in
 *   front of it); `toFallback` lists the ids the target may have when `to` is not a workload (a
 *   gateway inferred in another namespace), tried in order;
 * - `method`, `path`, `host`, `sni` are passed as they are; `protocol` is not (the evaluator reads
 *   it from the Services in front of the port);
 * - `jwt: {iss, sub, claims}` becomes `jwtIssuer`/`jwtSubject` (a valid token); its claims cannot
 *   be given (conditions on them are unknown to the evaluator, `offline: jwt-claims`);
 * - `jwt: null` (no token) becomes `token: TokenState.NONE`, `jwt: "invalid"` (a malformed token, or
 *   one failing validation) `token: TokenState.INVALID`;
 * - `headers`, `sourceIp`, `destinationIp` cannot be given: the question is asked without them,
 *   and the evaluator should answer UNKNOWN where they matter (`offline: headers | ip | custom`);
 * - `options.trustDomain`/`trustDomainAliases` become the matrix options (`--trust-domain`,
 *   `--trust-domain-alias`), `options.workloads` the declared workloads (`--workload`; the case's
 *   `external` marker is dropped: an external client is a workload without a sidecar). The mesh
 *   settings file is an empty one (Istio's defaults), so a secure-mesh.yaml in the working
 *   directory never leaks in.
 */

/** The values of `offline` that say the case is decidable from what the case gives (manifests, request, options). */
export const DECIDABLE_OFFLINE: readonly string[] = ['evaluable', 'jwt', 'mesh-config'];

/** One case of ../shared/authz-conformance. */
export interface ConformanceCase {
  readonly id: string;
  readonly dir: string;
  /** The manifest files, in the order they are applied (00-, 10-, 15-, 20-). */
  readonly files: string[];
  readonly request: { readonly [key: string]: any };
  readonly options: { readonly [key: string]: any };
  readonly documented: { readonly result: 'allow' | 'deny' | 'external'; readonly evidence?: string };
  /** `evaluable`, or what the case needs besides manifests (`headers`, `jwt`, `jwt-claims`, `ip`, `custom`, `mesh-config`). */
  readonly offline: string;
  readonly expect: { readonly decidedBy?: readonly string[]; readonly layer?: string };
}

export type Outcome = 'right' | 'wrong' | 'unknown' | 'error';

/** What the `access` command answered on the same inputs. */
export interface CliAnswer {
  readonly code: number;
  /** The JSON answer (`-f json`), when the command answered. */
  readonly result?: any;
  readonly stderr: string;
}

/** The evaluation of one case. */
export interface CaseResult {
  readonly id: string;
  readonly offline: string;
  /** `offline` is one of {@link DECIDABLE_OFFLINE}. */
  readonly decidable: boolean;
  readonly documented: string;
  /** The policies `expect.decidedBy` names (any of them is a good explanation). */
  readonly expectedDecidedBy: readonly string[];
  readonly outcome: Outcome;
  /** Why the case is `error`. */
  readonly why?: string;
  /** The question asked (the last one tried, with `to` after any fallback). */
  readonly asked?: AccessRequest;
  readonly result?: AccessCheckResult;
  /**
   * Whether `decidedBy` is one of the policies `expect.decidedBy` names: undefined when the answer
   * is not a definite verdict (`right`/`wrong`) or the case names none.
   */
  readonly decidedByMatches?: boolean;
  /** Whether the layer of the answer is `expect.layer` (undefined when the case names none or the answer is not definite). */
  readonly layerMatches?: boolean;
  readonly cli: CliAnswer;
  /** The CLI gave the same answer as the API (the same JSON, and the exit code of its decision). */
  readonly agrees: boolean;
  /** What differs, when they disagree. */
  readonly disagreement?: string;
}

/** The manifest files of a case folder, in apply order. */
function manifestFiles(dir: string): string[] {
  return fs.readdirSync(dir).filter((f) => f.endsWith('.yaml') || f.endsWith('.yml')).sort().map((f) => path.join(dir, f));
}

/** Every case under `root` (folders holding a case.json), sorted by id. */
export function loadCases(root: string): ConformanceCase[] {
  return fs.readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory() && fs.existsSync(path.join(root, e.name, 'case.json')))
    .map((e) => e.name)
    .sort()
    .map((name) => {
      const dir = path.join(root, name);
      const c = JSON.parse(fs.readFileSync(path.join(dir, 'case.json'), 'utf8'));
      return {
        id: c.id ?? name,
        dir,
        files: manifestFiles(dir),
        request: c.request ?? {},
        options: c.options ?? {},
        documented: c.documented,
        offline: c.offline,
        expect: c.expect ?? {},
      };
    });
}

function deepFreeze<T>(o: T): T {
  if (o !== null && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o as object)) deepFreeze(v);
  }
  return o;
}

/**
 * Parsed YAML by file content: the cases share most of their files (the same samples, the same
 * namespaces). The objects are frozen, so an evaluator that mutated its input would fail loudly
 * instead of leaking state into the next case.
 */
const parsedByContent = new Map<string, any[]>();

/** The objects of a case's manifests, in file order. */
export function caseObjects(c: ConformanceCase): any[] {
  return c.files.flatMap((file) => {
    const text = fs.readFileSync(file, 'utf8');
    let objects = parsedByContent.get(text);
    if (!objects) {
      objects = deepFreeze(parseAllDocuments(text).map((d) => d.toJS()).filter((o) => o !== null && typeof o === 'object'));
      parsedByContent.set(text, objects);
    }
    return objects;
  });
}

/** The declared workloads of a case (its `external` marker dropped). */
function declaredWorkloads(c: ConformanceCase): DeclaredWorkload[] {
  return (Array.isArray(c.options.workloads) ? c.options.workloads : []).map((w: any) => ({
    name: w.name,
    namespace: w.namespace,
    serviceAccount: w.serviceAccount,
    labels: w.labels,
    ports: w.ports,
    sidecar: w.sidecar,
  }));
}

/** The same workload as a `--workload` spec. */
function workloadSpec(w: DeclaredWorkload): string {
  const parts = [`${w.namespace}/${w.name}`];
  if (w.serviceAccount !== undefined) parts.push(`sa=${w.serviceAccount}`);
  for (const [k, v] of Object.entries(w.labels ?? {})) parts.push(`label=${k}=${v}`);
  for (const p of w.ports ?? []) parts.push(`port=${p}`);
  if (w.sidecar !== undefined) parts.push(`sidecar=${w.sidecar}`);
  return parts.join(',');
}

/** The question of a case (without its target), with the targets to try in order. */
export function questionOf(c: ConformanceCase): { request: Omit<AccessRequest, 'to'>; targets: string[] } {
  const r = c.request;
  const targets = [r.to, ...(Array.isArray(r.toFallback) ? r.toFallback : [])];
  const jwt = r.jwt !== null && typeof r.jwt === 'object' ? r.jwt : undefined;
  const request: Omit<AccessRequest, 'to'> = {
    from: r.from,
    port: r.queryPort ?? r.port,
    method: r.method,
    path: r.path,
    host: r.host,
    sni: r.sni,
    jwtIssuer: jwt?.iss,
    jwtSubject: jwt?.iss !== undefined ? jwt.sub : undefined,
    token: r.jwt === null ? TokenState.NONE : r.jwt === 'invalid' ? TokenState.INVALID : undefined,
  };
  return {
    request: Object.fromEntries(Object.entries(request).filter(([, v]) => v !== undefined)) as Omit<AccessRequest, 'to'>,
    targets,
  };
}

function matrixOptions(c: ConformanceCase, config: string): AccessMatrixOptions {
  return {
    config,
    trustDomain: c.options.trustDomain,
    trustDomainAliases: c.options.trustDomainAliases,
    workloads: declaredWorkloads(c),
  };
}

function isUnknownWorkload(message: string): boolean {
  return /is not a workload of the input/.test(message);
}

/** Asks the API, trying the target's fallbacks when `to` is not a workload. */
function askApi(matrix: AccessMatrix, request: Omit<AccessRequest, 'to'>, targets: string[]):
{ asked: AccessRequest; result?: AccessCheckResult; error?: string } {
  let last: { asked: AccessRequest; result?: AccessCheckResult; error?: string } | undefined;
  for (const to of targets) {
    const asked = { ...request, to } as AccessRequest;
    try {
      return { asked, result: matrix.check(asked) };
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      last = { asked, error };
      if (!isUnknownWorkload(error)) break;
    }
  }
  return last!;
}

/** Runs `cdk8s-secure-mesh access` in-process (as test/cli/access-command.test.ts does) and returns its exit code and output. */

/** Asks the CLI the same question on the case's files, trying the target's fallbacks like the API. */
async function askCli(c: ConformanceCase, config: string, request: Omit<AccessRequest, 'to'>, targets: string[]): Promise<CliAnswer> {
  const base = [...c.files, '--config', config, '-f', 'json'];
  if (c.options.trustDomain !== undefined) base.push('--trust-domain', c.options.trustDomain);
  for (const alias of c.options.trustDomainAliases ?? []) base.push('--trust-domain-alias', alias);
  for (const w of declaredWorkloads(c)) base.push('--workload', workloadSpec(w));
  const flags: [string, string | number | undefined][] = [
    ['--from', request.from], ['--port', request.port], ['--method', request.method], ['--path', request.path], ['--host', request.host],
    ['--sni', request.sni], ['--jwt-issuer', request.jwtIssuer], ['--jwt-subject', request.jwtSubject], ['--token', request.token],
  ];
  // `--path=/x` keeps a value that starts with a dash (or is empty) a value.
  const question = flags.filter(([, v]) => v !== undefined).map(([f, v]) => `${f}=${v}`);
  let answer: CliAnswer | undefined;
  for (const to of targets) {
    const r = await runAccessCli([...base, ...question, `--to=${to}`]);
    answer = { code: r.code, result: r.code === AccessExitCode.USAGE ? undefined : JSON.parse(r.stdout), stderr: r.stderr };
    if (!(r.code === AccessExitCode.USAGE && isUnknownWorkload(r.stderr))) break;
  }
  return answer!;
}

const EXIT_OF: { [d: string]: number } = {
  [AccessDecision.ALLOWED]: AccessExitCode.OK,
  [AccessDecision.DENIED]: AccessExitCode.DENIED,
  [AccessDecision.UNKNOWN]: AccessExitCode.UNKNOWN,
};

function compare(api: AccessCheckResult | undefined, apiError: string | undefined, cli: CliAnswer): string | undefined {
  if (!api) return cli.code === AccessExitCode.USAGE && cli.stderr.includes(apiError ?? '') ? undefined : `API error "${apiError}", CLI exit ${cli.code}`;
  if (cli.result === undefined) return `API ${api.decision}, CLI exit ${cli.code}: ${cli.stderr.trim()}`;
  if (cli.code !== EXIT_OF[api.decision]) return `API ${api.decision}, CLI exit ${cli.code}`;
  const a = JSON.stringify(api);
  const b = JSON.stringify(cli.result);
  return a === b ? undefined : `JSON differs: API ${a} CLI ${b}`;
}

/** The verdict a documented result expects. */
const DECISION_OF: { [result: string]: AccessDecision | undefined } = { allow: AccessDecision.ALLOWED, deny: AccessDecision.DENIED };

/** Classifies an API answer against the documented result. */
export function classify(c: ConformanceCase, result: AccessCheckResult): { outcome: Outcome; why?: string } {
  if (result.decision === AccessDecision.UNKNOWN) return { outcome: 'unknown' };
  return { outcome: result.decision === DECISION_OF[c.documented.result] ? 'right' : 'wrong' };
}

/** Evaluates one case with the API and the CLI. `config` is an empty mesh settings file. */
export async function evaluateCase(c: ConformanceCase, config: string): Promise<CaseResult> {
  const base = {
    id: c.id,
    offline: c.offline,
    decidable: DECIDABLE_OFFLINE.includes(c.offline),
    documented: c.documented.result,
    expectedDecidedBy: c.expect.decidedBy ?? [],
  };
  const q = questionOf(c);
  let asked: AccessRequest | undefined;
  let result: AccessCheckResult | undefined;
  let error: string | undefined;
  try {
    const matrix = AccessMatrix.fromManifests(caseObjects(c), matrixOptions(c, config));
    ({ asked, result, error } = askApi(matrix, q.request, q.targets));
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
  }
  const cli = await askCli(c, config, q.request, q.targets);
  const disagreement = compare(result, error, cli);
  const agreement = { cli, agrees: disagreement === undefined, disagreement };
  if (!result) return { ...base, outcome: 'error', why: error, asked, ...agreement };
  const { outcome, why } = classify(c, result);
  const definite = outcome === 'right' || outcome === 'wrong';
  const expected = base.expectedDecidedBy;
  return {
    ...base,
    outcome,
    why,
    asked,
    result,
    decidedByMatches: definite && expected.length > 0 ? expected.includes(result.decidedBy) : undefined,
    layerMatches: definite && c.expect.layer !== undefined ? result.layer === c.expect.layer : undefined,
    ...agreement,
  };
}

/** Evaluates every case under `root` (../shared/authz-conformance). */
export async function runConformance(root: string): Promise<CaseResult[]> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'authz-conformance-'));
  try {
    // Istio's defaults (cluster.local, istio-system): the working directory's secure-mesh.yaml is not read.
    const config = path.join(tmp, SecureMeshConfig.FILE_NAME);
    fs.writeFileSync(config, `apiVersion: ${SecureMeshConfig.API_VERSION}\nkind: ${SecureMeshConfig.KIND}\n`);
    const out: CaseResult[] = [];
    for (const c of loadCases(root)) out.push(await evaluateCase(c, config));
    return out;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** The ids of the results with `outcome` (and matching `also`), sorted. */
export function idsWith(results: readonly CaseResult[], outcome: Outcome, also: (r: CaseResult) => boolean = () => true): string[] {
  return results.filter((r) => r.outcome === outcome && also(r)).map((r) => r.id).sort();
}

/** The scoreboard, one line, then the cases behind each gap. */
export function scoreboard(results: readonly CaseResult[]): string {
  const n = (o: Outcome) => results.filter((r) => r.outcome === o).length;
  const decided = results.filter((r) => r.decidedByMatches !== undefined);
  const matches = decided.filter((r) => r.decidedByMatches).length;
  const rightDecided = decided.filter((r) => r.outcome === 'right');
  const layered = results.filter((r) => r.layerMatches !== undefined);
  const unknownDecidable = idsWith(results, 'unknown', (r) => r.decidable);
  const lines = [
    `authz conformance: ${results.length} cases: right ${n('right')}, wrong ${n('wrong')}, unknown ${n('unknown')} `
      + `(${unknownDecidable.length} decidable offline), error ${n('error')}; `
      + `decidedBy names the documented policy in ${matches} of ${decided.length} definite verdicts with one `
      + `(${rightDecided.filter((r) => r.decidedByMatches).length} of ${rightDecided.length} right ones); `
      + `layer as documented in ${layered.filter((r) => r.layerMatches).length} of ${layered.length}; `
      + `CLI and API agree on ${results.filter((r) => r.agrees).length} of ${results.length}`,
  ];
  const show = (title: string, rs: readonly CaseResult[], detail: (r: CaseResult) => string) => {
    if (rs.length === 0) return;
    lines.push(`${title} (${rs.length}):`, ...rs.map((r) => `  ${r.id}: ${detail(r)}`));
  };
  const verdict = (r: CaseResult) => `${r.result?.decision ?? '-'} by ${r.result?.decidedBy || '(default)'} (documented ${r.documented}): ${r.result?.reason ?? ''}`;
  show('wrong', results.filter((r) => r.outcome === 'wrong'), verdict);
  show('unknown although decidable offline', results.filter((r) => r.outcome === 'unknown' && r.decidable), verdict);
  show('unknown, needs what manifests cannot say', results.filter((r) => r.outcome === 'unknown' && !r.decidable), (r) => `${r.offline}: ${verdict(r)}`);
  show('error', results.filter((r) => r.outcome === 'error'), (r) => r.why ?? '');
  show('decidedBy not the documented policy', results.filter((r) => r.decidedByMatches === false),
    (r) => `${r.result?.decidedBy || '(default)'}, documented ${r.expectedDecidedBy.map((d) => d || '(default)').join(' or ')}`);
  show('CLI and API disagree', results.filter((r) => !r.agrees), (r) => r.disagreement ?? '');
  return lines.join('\n');
}
