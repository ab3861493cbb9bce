import * as fs from 'fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { createColors } from 'picocolors';
import { parseWorkload } from './access-command';
import { toolVersion } from './audit-command';
import type { CliIo } from './main';
import { allowedByText } from '../audit/access-report';
import { AccessDecision, AccessEdge, DeclaredWorkload } from '../audit/access-types';
import { LoadedManifest, formatIssue, loadManifests } from '../audit/manifest-loader';
import {
  DiffEdge, DiffException, DiffFinding, EdgeChange, ExceptionChange, RemovedEdge, SecurityDiff, securityDiff,
} from '../audit/security-diff';
import { SecureMeshConfig } from '../config/secure-mesh-config';
import { EXPIRY_WARNING_DAYS } from '../policy/policy-exception';

/** Exit codes of `diff`: 0 the report (whatever it says), 1 widening with `--fail-on-widening`, 2 usage or unreadable input. */
export enum DiffExitCode {
  OK = 0,
  WIDENS = 1,
  USAGE = 2,
}

/** Options of the `diff` command, as Commander parses them. */
interface DiffFlags {
  readonly format: 'table' | 'markdown' | 'json';
  readonly output?: string;
  readonly workload: DeclaredWorkload[];
  readonly config?: string;
  readonly inferGateways: boolean;
  readonly expiringDays: number;
  readonly failOnWidening?: boolean;
  readonly color?: boolean;
}

/**
 * Registers `diff <base> <head>`: what a change does to security, between two synthesized outputs
 * (a pull request's base and head): access-matrix edges added, removed or widened, with the
 * policies that decide them; exceptions added, removed, widened or expiring; findings new, fixed
 * or now excepted. A report, not a gate: exit 0 whatever it says (1 with `--fail-on-widening`
 * when access or exceptions widen), 2 when an input cannot be read (then nothing is compared:
 * a half-read side would report everything in the unread files as removed). Exceptions expire
 * against the system clock (UTC), as in `audit`.
 */
export function registerDiffCommand(program: Command, io: CliIo, setExitCode: (code: number) => void): Command {
  return program.command('diff')
    .description('What a change does to security, between two synthesized outputs: access edges, exceptions and findings added and removed.')
    .argument('<base>', 'the manifests before the change: a directory (recursive: .yaml, .yml, .json), a file, or - for stdin')
    .argument('<head>', 'the manifests after the change (same forms)')
    .addOption(new Option('-f, --format <format>', 'output format (markdown: for a pull-request comment)').choices(['table', 'markdown', 'json']).default('table'))
    .option('-o, --output <file>', 'write the report to a file instead of stdout')
    .option('--workload <spec>',
      'declare a workload that is not in the manifests, on both sides (repeatable): namespace/name[,sa=ACCOUNT][,label=KEY=VALUE]...[,port=N]...[,sidecar=false]',
      (value: string, previous: DeclaredWorkload[]) => [...previous, parseWorkload(value)], [])
    .option('--config <file>', `mesh settings for both sides (default: ./${SecureMeshConfig.FILE_NAME} when it exists)`)
    .option('--no-infer-gateways', 'do not infer gateway workloads from Istio Gateway selectors')
    .option('--expiring-days <days>', `list the head's exceptions expiring within this many days (default ${EXPIRY_WARNING_DAYS})`, parseDays, EXPIRY_WARNING_DAYS)
    .option('--fail-on-widening', 'exit 1 when the change widens access or adds or widens an exception')
    .option('--color', 'force colour (table)')
    .option('--no-color', 'no colour (default: colour on a TTY unless NO_COLOR is set)')
    .action((base: string, head: string, flags: DiffFlags) => setExitCode(runDiff(base, head, flags, io)));
}

/** Runs `diff` with parsed flags; returns the exit code. */
export function runDiff(base: string, head: string, flags: DiffFlags, io: CliIo): number {
  if (base === '-' && head === '-') {
    io.stderr.write('error: only one of base and head can be read from standard input (-)\n');
    return DiffExitCode.USAGE;
  }
  let config: SecureMeshConfig;
  try {
    config = SecureMeshConfig.load(flags.config);
  } catch (e) {
    io.stderr.write(`error: ${(e as Error).message}\n`);
    return DiffExitCode.USAGE;
  }
  const sides: LoadedManifest[][] = [];
  let unreadable = false;
  for (const [name, input] of [['base', base], ['head', head]] as const) {
    const loaded = loadManifests([input], { readStdin: io.readStdin });
    for (const issue of loaded.issues) io.stderr.write(`${formatIssue(issue)}\n`);
    if (loaded.issues.some((i) => i.severity === 'error')) {
      io.stderr.write(`error: the ${name} (${input}) could not be read completely; nothing was compared\n`);
      unreadable = true;
    } else if (loaded.manifests.length === 0) {
      io.stderr.write(`error: no Kubernetes objects found in the ${name} (${input}); nothing was compared\n`);
      unreadable = true;
    }
    sides.push(loaded.manifests);
  }
  if (unreadable) return DiffExitCode.USAGE;

  let diff: SecurityDiff;
  try {
    diff = securityDiff(sides[0], sides[1], {
      config,
      workloads: flags.workload,
      inferGateways: flags.inferGateways,
      expiringWithinDays: flags.expiringDays,
    });
  } catch (e) {
    io.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
    return DiffExitCode.USAGE;
  }

  const env = io.env ?? process.env;
  const color = flags.output === undefined && (flags.color ?? (!!io.stdout.isTTY && !env.NO_COLOR));
  const text = flags.format === 'json' ? `${JSON.stringify({ base, head, toolVersion: toolVersion(), ...diff }, null, 2)}\n`
    : flags.format === 'markdown' ? renderDiffMarkdown(diff) : renderDiffText(diff, color);
  if (flags.output !== undefined) {
    try {
      fs.writeFileSync(flags.output, text);
    } catch (e: any) {
      io.stderr.write(`error: cannot write ${flags.output}: ${e?.message ?? e}\n`);
      return DiffExitCode.USAGE;
    }
  } else {
    io.stdout.write(text);
  }
  if (flags.failOnWidening && (diff.verdict.widensAccess || diff.verdict.widensExceptions)) return DiffExitCode.WIDENS;
  return DiffExitCode.OK;
}

function parseDays(value: string): number {
  const n = Number(value);
  if (!/^[0-9]+$/.test(value) || n > 365) throw new InvalidArgumentError('expected a whole number of days (0-365).');
  return n;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** The title's counts: `1 edge added, 1 edge removed, 1 exception added` (only what is not zero). */
export function diffHeadline(d: SecurityDiff): string {
  const c = d.counts;
  const parts: [number, string][] = [
    [c.edgesAdded, `${plural(c.edgesAdded, 'edge')} added`],
    [c.edgesRemoved, `${plural(c.edgesRemoved, 'edge')} removed`],
    [c.edgesWidened, `${plural(c.edgesWidened, 'edge')} widened`],
    [c.edgesChanged, `${plural(c.edgesChanged, 'edge')} changed`],
    [c.exceptionsAdded, `${plural(c.exceptionsAdded, 'exception')} added`],
    [c.exceptionsRemoved, `${plural(c.exceptionsRemoved, 'exception')} removed`],
    [c.exceptionsWidened, `${plural(c.exceptionsWidened, 'exception')} widened`],
    [c.exceptionsChanged, `${plural(c.exceptionsChanged, 'exception')} changed`],
    [c.findingsNew, `${plural(c.findingsNew, 'new finding')}`],
    [c.findingsFixed, `${plural(c.findingsFixed, 'finding')} fixed`],
    [c.findingsExcepted, `${plural(c.findingsExcepted, 'finding')} now excepted`],
  ];
  const changes = parts.filter(([n]) => n > 0).map(([, s]) => s);
  const head = changes.length > 0 ? changes.join(', ') : 'no change';
  return c.exceptionsExpiring > 0 ? `${head}; ${plural(c.exceptionsExpiring, 'exception')} expiring` : head;
}

/** The allowing rules grouped by policy (`bookinfo/ratings rules[0]`): allowedByText reads only `allowedBy` and `mtlsMode`. */
function allowedBy(e: DiffEdge): string {
  return allowedByText(e as Pick<AccessEdge, 'allowedBy' | 'mtlsMode'> as AccessEdge);
}

function portText(e: { port: number; protocol: string; decision: AccessDecision }): string {
  return `${e.port}/${e.protocol}${e.decision === AccessDecision.ALLOWED ? '' : ' (unknown)'}`;
}

function nowText(e: RemovedEdge): string {
  if (e.now.decision === 'absent') return e.now.reason;
  const by = e.now.decidedBy ? ` by ${e.now.decidedBy}` : ' by default';
  return `${e.now.decision}${by} (${e.now.layer})`;
}

function expiresText(x: DiffException): string {
  if (x.daysLeft < 0) return `${x.expires} (expired ${plural(-x.daysLeft, 'day')} ago)`;
  if (x.daysLeft === 0) return `${x.expires} (today)`;
  return `${x.expires} (in ${plural(x.daysLeft, 'day')})`;
}

function changeText(c: { widened: string[]; narrowed: string[]; other: string[] }): string[] {
  return [...c.widened.map((w) => `+ ${w}`), ...c.narrowed.map((n) => `- ${n}`), ...c.other.map((o) => `~ ${o}`)];
}

// --- Markdown -------------------------------------------------------------------------------

/** Text in a table cell: no pipes, line breaks or HTML. */
function cell(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>');
}

/** A code span in a table cell. */
function code(s: string): string {
  return s.length === 0 ? '' : `\`${s.replace(/`/g, "'").replace(/\|/g, '\\|')}\``;
}

function table(head: string[], rows: string[][]): string[] {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)];
}

function edgeCells(e: DiffEdge): string[] {
  return [cell(e.from), cell(e.to), portText(e)];
}

function exceptionRows(list: readonly DiffException[]): string[][] {
  return list.map((x) => [code(x.id), x.rules.map(code).join('<br>'), x.objects.map(cell).join('<br>'), x.ports.join(', '), code(x.owner),
    cell(expiresText(x)), cell(x.justification)]);
}

function findingRows(list: readonly DiffFinding[]): string[][] {
  return list.map((f) => [code(f.ruleId), f.severity, cell(f.object), code(f.path), cell(f.message)]);
}

function changeRows<T extends EdgeChange | ExceptionChange>(list: readonly T[], lead: (c: T) => string[], tail: (c: T) => string[]): string[][] {
  return list.map((c) => [...lead(c), changeText(c).map(cell).join('<br>'), ...tail(c)]);
}

/**
 * The diff as Markdown for a pull-request comment: a title with the counts, what the change does
 * (widens or narrows access, adds exceptions...), then a section for each kind of change there is,
 * each edge with the AuthorizationPolicy rules that decide it ("No change to security." when
 * nothing changed).
 */
export function renderDiffMarkdown(d: SecurityDiff): string {
  const out: string[] = [`## Security diff: ${diffHeadline(d)}`, ''];
  out.push(d.verdict.changed ? `This change ${d.verdict.summary}.` : 'No change to security.', '');
  const section = (title: string, lines: string[]) => out.push(`### ${title}`, '', ...lines, '');
  const EDGE = ['From', 'To', 'Port'];
  if (d.edges.added.length > 0) {
    section(`Access added (${d.edges.added.length})`, table([...EDGE, 'Allowed by (AuthorizationPolicy)', 'Requests'],
      d.edges.added.map((e) => [...edgeCells(e), cell(allowedBy(e)), e.conditions.map(code).join('<br>')])));
  }
  if (d.edges.removed.length > 0) {
    section(`Access removed (${d.edges.removed.length})`, table([...EDGE, 'Was allowed by (AuthorizationPolicy)', 'Requests', 'Now'],
      d.edges.removed.map((e) => [...edgeCells(e), cell(allowedBy(e)), e.conditions.map(code).join('<br>'), cell(nowText(e))])));
  }
  const edgeLead = (c: EdgeChange) => [cell(c.from), cell(c.to), portText(c.head)];
  const edgeTail = (c: EdgeChange) => [cell(allowedBy(c.head))];
  if (d.edges.widened.length > 0) {
    section(`Access widened (${d.edges.widened.length})`, table([...EDGE, 'What changed', 'Allowed by (AuthorizationPolicy)'],
      changeRows(d.edges.widened, edgeLead, edgeTail)));
  }
  if (d.edges.changed.length > 0) {
    section(`Access changed (${d.edges.changed.length})`, table([...EDGE, 'What changed', 'Allowed by (AuthorizationPolicy)'],
      changeRows(d.edges.changed, edgeLead, edgeTail)));
  }
  const EXC = ['Exception', 'Rules', 'Objects', 'Ports', 'Owner', 'Expires', 'Justification'];
  if (d.exceptions.added.length > 0) section(`Exceptions added (${d.exceptions.added.length})`, table(EXC, exceptionRows(d.exceptions.added)));
  if (d.exceptions.removed.length > 0) section(`Exceptions removed (${d.exceptions.removed.length})`, table(EXC, exceptionRows(d.exceptions.removed)));
  const excLead = (c: ExceptionChange) => [code(c.id)];
  const excTail = (c: ExceptionChange) => [code(c.head.owner), cell(expiresText(c.head))];
  if (d.exceptions.widened.length > 0) {
    section(`Exceptions widened (${d.exceptions.widened.length})`, table(['Exception', 'What changed', 'Owner', 'Expires'],
      changeRows(d.exceptions.widened, excLead, excTail)));
  }
  if (d.exceptions.changed.length > 0) {
    section(`Exceptions changed (${d.exceptions.changed.length})`, table(['Exception', 'What changed', 'Owner', 'Expires'],
      changeRows(d.exceptions.changed, excLead, excTail)));
  }
  if (d.exceptions.expiring.length > 0) {
    section(`Exceptions expiring within ${plural(d.expiringWithinDays, 'day')} (${d.exceptions.expiring.length})`,
      table(['Exception', 'Rules', 'Objects', 'Owner', 'Expires'], d.exceptions.expiring.map((x) =>
        [code(x.id), x.rules.map(code).join('<br>'), x.objects.map(cell).join('<br>'), code(x.owner), cell(expiresText(x))])));
  }
  const FINDING = ['Rule', 'Severity', 'Object', 'Path', 'Message'];
  if (d.findings.new.length > 0) section(`New findings (${d.findings.new.length})`, table(FINDING, findingRows(d.findings.new)));
  if (d.findings.fixed.length > 0) section(`Fixed findings (${d.findings.fixed.length})`, table(FINDING, findingRows(d.findings.fixed)));
  if (d.findings.excepted.length > 0) {
    section(`Findings now covered by an exception (${d.findings.excepted.length})`, table(['Rule', 'Object', 'Path', 'Exception'],
      d.findings.excepted.map((f) => [code(f.ruleId), cell(f.object), code(f.path), code(f.exceptionId ?? '')])));
  }
  while (out[out.length - 1] === '') out.pop();
  return `${out.join('\n')}\n`;
}

// --- Text ------------------------------------------------------------------------------------

/** The diff for a terminal: a headline, then one block per kind of change, `+` added, `-` removed, `~` changed. */
export function renderDiffText(d: SecurityDiff, color = false): string {
  const c = createColors(color);
  const out: string[] = [`Security diff: ${diffHeadline(d)}`];
  out.push(d.verdict.changed ? `This change ${d.verdict.summary}.` : 'No change to security.');
  const section = (title: string, lines: string[]) => out.push('', c.bold(title), ...lines);
  const edge = (e: DiffEdge) => `${e.from} -> ${e.to}:${portText(e)}`;
  const requests = (e: DiffEdge) => (e.conditions.length > 0 ? `; requests: ${e.conditions.join(' | ')}` : '');
  const details = (x: { widened: string[]; narrowed: string[]; other: string[] }) => changeText(x).map((t) => `      ${t}`);
  if (d.edges.added.length > 0) {
    section('Access added:', d.edges.added.flatMap((e) => [c.green(`  + ${edge(e)}`), `      allowed by ${allowedBy(e)}${requests(e)}`]));
  }
  if (d.edges.removed.length > 0) {
    section('Access removed:', d.edges.removed.flatMap((e) => [c.red(`  - ${edge(e)}`),
      `      was allowed by ${allowedBy(e)}${requests(e)}; now ${nowText(e)}`]));
  }
  if (d.edges.widened.length > 0) section('Access widened:', d.edges.widened.flatMap((x) => [c.yellow(`  ~ ${edge(x.head)}`), ...details(x)]));
  if (d.edges.changed.length > 0) section('Access changed:', d.edges.changed.flatMap((x) => [`  ~ ${edge(x.head)}`, ...details(x)]));
  const exception = (x: DiffException) => `${x.id}: ${x.rules.join(', ')} on ${x.objects.join(', ')}${x.ports.length > 0 ? ` ports ${x.ports.join(',')}` : ''}`;
  const owner = (x: DiffException) => `      owner ${x.owner}; expires ${expiresText(x)}`;
  if (d.exceptions.added.length > 0) {
    section('Exceptions added:', d.exceptions.added.flatMap((x) => [c.yellow(`  + ${exception(x)}`), owner(x), `      ${x.justification}`]));
  }
  if (d.exceptions.removed.length > 0) section('Exceptions removed:', d.exceptions.removed.flatMap((x) => [`  - ${exception(x)}`, owner(x)]));
  if (d.exceptions.widened.length > 0) section('Exceptions widened:', d.exceptions.widened.flatMap((x) => [c.yellow(`  ~ ${x.id}`), ...details(x), owner(x.head)]));
  if (d.exceptions.changed.length > 0) section('Exceptions changed:', d.exceptions.changed.flatMap((x) => [`  ~ ${x.id}`, ...details(x), owner(x.head)]));
  if (d.exceptions.expiring.length > 0) {
    section(`Exceptions expiring within ${plural(d.expiringWithinDays, 'day')}:`, d.exceptions.expiring.flatMap((x) => [`  ! ${exception(x)}`, owner(x)]));
  }
  const finding = (f: DiffFinding) => `${f.ruleId} (${f.severity}) ${f.object}${f.path ? ` ${f.path}` : ''}`;
  if (d.findings.new.length > 0) section('New findings:', d.findings.new.flatMap((f) => [c.red(`  + ${finding(f)}`), `      ${f.message}`]));
  if (d.findings.fixed.length > 0) section('Fixed findings:', d.findings.fixed.flatMap((f) => [c.green(`  - ${finding(f)}`), `      ${f.message}`]));
  if (d.findings.excepted.length > 0) {
    section('Findings now covered by an exception:', d.findings.excepted.map((f) => `  ~ ${finding(f)} (exception ${f.exceptionId ?? '?'})`));
  }
  return `${out.join('\n')}\n`;
}
