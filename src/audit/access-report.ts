import Table from 'cli-table3';
import { AccessDecision, AccessEdge } from './access-types';

/**
 * Text and Markdown renderings of the access matrix: one row per caller -> target:port, with the
 * AuthorizationPolicy rules that allow it, what they require of a request, the NetworkPolicies on
 * both sides and the mTLS mode at the target.
 */

/** `AuthorizationPolicy/ns/name rules[i]` -> `ns/name rules[i]` (the column says the kind). */
function shortRef(ref: string): string {
  return ref.replace(/^[A-Za-z]+\//, '');
}

/** The allowing rules, grouped by policy: `bookinfo/productpage rules[0,1]`. */
export function allowedByText(edge: AccessEdge): string {
  if (edge.allowedBy.length === 0) {
    return edge.mtlsMode === 'NONE' ? 'not enforced (no sidecar)' : 'no ALLOW policy applies';
  }
  const byPolicy = new Map<string, string[]>();
  for (const r of edge.allowedBy) {
    const m = /^(.*) rules\[(\d+)\]$/.exec(r);
    const policy = shortRef(m ? m[1] : r);
    byPolicy.set(policy, [...(byPolicy.get(policy) ?? []), ...(m ? [m[2]] : [])]);
  }
  return [...byPolicy.entries()].map(([p, rules]) => (rules.length > 0 ? `${p} rules[${rules.join(',')}]` : p)).join(', ');
}

/** The NetworkPolicies on both sides. */
export function networkText(edge: AccessEdge): string {
  const side = (refs: string[]) => (refs.length === 0 ? 'not isolated' : refs.map(shortRef).join(', '));
  return `in: ${side(edge.networkIngress)}; out: ${side(edge.networkEgress)}`;
}

/** The mTLS mode at the target and where it comes from. */
export function mtlsText(edge: AccessEdge): string {
  if (edge.mtlsMode === 'NONE') return 'none (plaintext accepted)';
  const from = edge.mtlsPolicy ? shortRef(edge.mtlsPolicy) : 'Istio default';
  return `${edge.mtlsMode} (${from})${edge.plaintextAccepted ? ', plaintext accepted' : ''}`;
}

function marker(edge: AccessEdge): string {
  return edge.decision === AccessDecision.ALLOWED ? '' : ' (unknown)';
}

/** Where a word may break: after one of these (not when it starts the word). */
const SOFT_BREAKS = '/,-.=';

/**
 * `text` in lines of at most `width` characters: each line of it broken at the last space that
 * fits (the space is dropped), or after the last `/`, `,`, `-`, `.` or `=` inside a word that fits
 * when that comes later, else at `width`.
 */
export function wrapText(text: string, width: number): string[] {
  const out: string[] = [];
  const w = Math.max(1, Math.floor(width));
  for (const line of text.split('\n')) {
    let rest = line;
    while (rest.length > w) {
      const space = rest.lastIndexOf(' ', w);
      let soft = -1;
      for (let i = w - 1; i > 0; i--) {
        if (SOFT_BREAKS.includes(rest[i]) && rest[i - 1] !== ' ') {
          soft = i + 1;
          break;
        }
      }
      if (space > 0 && space >= soft) {
        out.push(rest.slice(0, space));
        rest = rest.slice(space + 1);
      } else {
        const cut = soft > 0 ? soft : w;
        out.push(rest.slice(0, cut));
        rest = rest.slice(cut);
      }
    }
    out.push(rest);
  }
  return out;
}

/** The longest line of a cell. */
function lineWidth(text: string): number {
  return Math.max(0, ...text.split('\n').map((l) => l.length));
}

/**
 * Content widths of the columns so that a table with `head` and `rows` is at most `maxWidth`
 * characters wide (cli-table3 adds a border between columns and a space of padding on each side):
 * the widest columns are narrowed first, never below the longest word of their heading (or 6)
 * unless those alone do not fit; what is left over goes back to the narrowed columns, those it
 * unwraps with the fewest characters first. Below one character per column, the table is wider.
 */
export function fitColumns(head: readonly string[], rows: readonly string[][], maxWidth: number): number[] {
  const natural = head.map((h, i) => Math.max(1, lineWidth(h), ...rows.map((r) => lineWidth(r[i] ?? ''))));
  const budget = maxWidth - (head.length + 1) - 2 * head.length;
  const sum = (ws: number[]) => ws.reduce((a, b) => a + b, 0);
  // Heading words stay whole unless even they do not fit (a narrow terminal): then any width goes.
  const words = head.map((h, i) => Math.min(natural[i], Math.max(6, ...h.split(/\s+/).map((x) => x.length))));
  const floor = sum(words) <= budget ? words : head.map(() => 1);
  const widths = (cap: number) => natural.map((n, i) => Math.max(floor[i], Math.min(n, cap)));
  let cap = Math.max(...natural);
  while (cap > 1 && sum(widths(cap)) > budget) cap--;
  const out = widths(cap);
  let spare = budget - sum(out);
  // What is left over goes first to the columns it unwraps with the fewest characters.
  const order = out.map((_, i) => i).sort((a, b) => (natural[a] - out[a]) - (natural[b] - out[b]) || a - b);
  for (const i of order) {
    const more = Math.min(spare, natural[i] - out[i]);
    out[i] += more;
    spare -= more;
  }
  return out;
}

/**
 * A text table (cli-table3, no colour: the same bytes on every terminal). With `maxWidth` (> 0),
 * cells are wrapped ({@link wrapText}) so that no line of the output is longer; without, each
 * cell line is on one line (as wide as its content).
 */
export function renderTable(edges: readonly AccessEdge[], warnings: readonly string[] = [], maxWidth = 0): string {
  const out: string[] = [];
  const fit = (line: string, indent = '') => (maxWidth > 0
    ? wrapText(line, maxWidth - indent.length).map((l, i) => (i === 0 ? l : `${indent}${l}`.trimEnd())) : [line]);
  if (edges.length === 0) {
    out.push('No workload can call another.');
  } else {
    const head = ['From', 'To', 'Port', 'AuthorizationPolicy rules', 'Requests', 'NetworkPolicy', 'mTLS'];
    const rows = edges.map((e) => [e.from, e.to, `${e.port}/${e.protocol}${marker(e)}`, allowedByText(e).replace(/, /g, '\n'), e.conditions.join('\n'),
      networkText(e).replace('; ', '\n'), mtlsText(e).replace(', ', '\n')]);
    const widths = maxWidth > 0 ? fitColumns(head, rows, maxWidth) : undefined;
    const wrap = (cells: string[]) => (widths ? cells.map((c, i) => wrapText(c, widths[i]).join('\n')) : cells);
    const table = new Table({ head: wrap(head), ...(widths ? { colWidths: widths.map((w) => w + 2) } : {}), style: { head: [], border: [] } });
    for (const r of rows) table.push(wrap(r));
    out.push(table.toString());
  }
  const unknown = edges.filter((e) => e.decision !== AccessDecision.ALLOWED).length;
  out.push(...fit(`${edges.length} edge${edges.length === 1 ? '' : 's'}${unknown > 0 ? ` (${unknown} unknown: they depend on something the manifests do not say)` : ''}`));
  for (const w of warnings) out.push(...fit(`note: ${w}`, '      '));
  return `${out.join('\n')}\n`;
}

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, '<br>');
}

function code(s: string): string {
  return s.length === 0 ? '' : `\`${s.replace(/`/g, "'")}\``;
}

/** A Markdown table followed by the Mermaid graph in a fenced block. */
export function renderMarkdown(edges: readonly AccessEdge[], mermaid: string): string {
  const rows = [
    '| From | To | Port | Allowed by (AuthorizationPolicy) | Requests | NetworkPolicy | mTLS |',
    '|---|---|---|---|---|---|---|',
    ...edges.map((e) => `| ${cell(e.from)} | ${cell(e.to)} | ${e.port}/${e.protocol}${marker(e)} | ${cell(allowedByText(e))} | ${cell(e.conditions.map(code).join('<br>'))} | ${cell(networkText(e))} | ${cell(mtlsText(e))} |`),
  ];
  if (edges.length === 0) rows.push('| (none) | | | | | | |');
  return `${rows.join('\n')}\n\n\`\`\`mermaid\n${mermaid}\`\`\`\n`;
}
