import Table from 'cli-table3';
import { createColors } from 'picocolors';
import { AuditReport, summaryLine } from './report';
import { RuleSeverity } from '../../policy/rule';
import { AUDIT_RULES, AuditFinding } from '../audit';
import { location } from '../manifest-loader';

/** Options of {@link renderTable}. */
export interface TableOptions {
  /** ANSI colours (the CLI enables them only on a TTY). @default false */
  readonly color?: boolean;
  /** Width to fit the tables into, in columns (at least 80). @default 140 */
  readonly width?: number;
}

type Colors = ReturnType<typeof createColors>;

/** Width of the Rule column: the longest rule id of the set, plus the cell padding (never truncated). */
const RULE_WIDTH = Math.max(16, ...AUDIT_RULES.map((r) => r.id.length + 2));
type Paint = (s: string) => string;
type TableStyle = { head: string[]; border: string[]; compact: boolean };

/**
 * The human report: a table with one row per finding (rule, severity, object, file:line, what
 * is wrong; excepted findings marked with their expiry, and the exception's owner, id and
 * registry above the finding), a table with the fix of each rule found
 * (once per rule, not per row), then the summary line `N objects, E errors, W warnings, X excepted`.
 *
 * Text is wrapped here and each wrapped line is its own (compact) table row: cli-table3 is
 * quadratic in the length of multi-line cells, which made large reports slow.
 */
export function renderTable(report: AuditReport, options: TableOptions = {}): string {
  const c = createColors(options.color ?? false);
  const { findings, summary } = report.result;
  const width = Math.max(options.width ?? 140, 80);
  const style: TableStyle = { head: options.color ? ['bold'] : [], border: [], compact: true };
  const out: string[] = [];
  if (findings.length === 0) {
    out.push(c.green('No findings.'));
  } else {
    const fixed = [RULE_WIDTH, 12, 28, 28];
    const rest = width - fixed.reduce((a, b) => a + b, 0) - fixed.length - 2;
    const table = new Table({ head: ['Rule', 'Severity', 'Object', 'Location', 'Finding'], colWidths: [...fixed, rest], style });
    findings.forEach((f, i) => {
      if (i > 0) table.push(['', '', '', '', '']);
      pushLines(table, [
        [f.ruleId, c.bold],
        severity(f, c),
        [breakLines(f.object, fixed[2] - 2)],
        [breakLines(location(f.file ?? '-', f.line), fixed[3] - 2)],
        [`${exceptedLine(f, rest - 2)}${f.path ? `${breakLines(f.path, rest - 2, '.')}:\n` : ''}${wrapText(f.message, rest - 2)}`],
      ]);
    });
    out.push(table.toString());
    out.push(fixTable(findings, width, style, c));
  }
  const line = summaryLine(summary);
  out.push(summary.errors > 0 ? c.red(line) : summary.warnings > 0 ? c.yellow(line) : c.green(line));
  return `${out.join('\n')}\n`;
}

function fixTable(findings: readonly AuditFinding[], width: number, style: TableStyle, c: Colors): string {
  const found = new Set(findings.map((f) => f.ruleId));
  const fixWidth = width - RULE_WIDTH - 3;
  const table = new Table({ head: ['Rule', 'How to fix'], colWidths: [RULE_WIDTH, fixWidth], style });
  AUDIT_RULES.filter((r) => found.has(r.id)).forEach((rule, i) => {
    if (i > 0) table.push(['', '']);
    pushLines(table, [[rule.id, c.bold], [wrapText(`${rule.title} (${rule.practices.join(', ')}).\n${rule.fix}`, fixWidth - 2)]]);
  });
  return table.toString();
}

/** Pushes one logical row as one table row per line; each line is painted on its own. */
function pushLines(table: Table.Table, cells: [string, Paint?][]): void {
  const columns = cells.map(([text, paint]) => text.split('\n').map((l) => (paint ? paint(l) : l)));
  const height = Math.max(...columns.map((col) => col.length));
  for (let i = 0; i < height; i++) table.push(columns.map((col) => col[i] ?? ''));
}

function severity(f: AuditFinding, c: Colors): [string, Paint] {
  if (f.excepted) return [`${f.severity}\nexcepted\nuntil\n${f.exceptionExpires}`, c.dim];
  return [f.severity, f.severity === RuleSeverity.ERROR ? c.red : c.yellow];
}

/** For an excepted finding: until when, who owns the exception, which record of which registry (one line each, wrapped), then a line break. */
function exceptedLine(f: AuditFinding, width: number): string {
  if (!f.excepted || !f.exception) return '';
  const e = f.exception;
  return `${[`excepted until ${e.expires}`, `owner ${e.owner}`, `exception ${e.id} (registry ${e.registry})`].map((l) => wrapText(l, width)).join('\n')}\n`;
}

/**
 * Greedy word wrap to `width` columns (cli-table3's own wrapping is slow on long cells); words
 * longer than a line are split.
 */
export function wrapText(text: string, width: number): string {
  const out: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const word of paragraph.split(/\s+/).filter((w) => w !== '')) {
      const pieces = breakLines(word, width, '\u0000').split('\n');
      for (const piece of pieces) {
        if (line === '') {line = piece;} else if (line.length + 1 + piece.length <= width) {line = `${line} ${piece}`;} else {
          out.push(line);
          line = piece;
        }
      }
    }
    out.push(line);
  }
  return out.join('\n');
}

/**
 * Splits `text` into lines of at most `width` characters, preferring to break after `separator`
 * (`/` in object references and file paths, `.` in field paths), so nothing is truncated.
 */
export function breakLines(text: string, width: number, separator = '/'): string {
  const lines: string[] = [];
  let rest = text;
  while (rest.length > width) {
    const at = rest.lastIndexOf(separator, width - 1);
    const cut = at > 0 ? at + 1 : width;
    lines.push(rest.slice(0, cut));
    rest = rest.slice(cut);
  }
  lines.push(rest);
  return lines.join('\n');
}
