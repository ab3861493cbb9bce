import Table from 'cli-table3';
import { AccessEdge } from './access-types';

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
  return edge.allowed === true ? '' : ' (unknown)';
}

/** A text table (cli-table3, sized to its content, no colour: the same bytes on every terminal). */
export function renderTable(edges: readonly AccessEdge[], warnings: readonly string[] = []): string {
  const out: string[] = [];
  if (edges.length === 0) {
    out.push('No workload can call another.');
  } else {
    const table = new Table({
      head: ['From', 'To', 'Port', 'AuthorizationPolicy rules', 'Requests', 'NetworkPolicy', 'mTLS'],
      style: { head: [], border: [] },
    });
    for (const e of edges) {
      table.push([e.from, e.to, `${e.port}/${e.protocol}${marker(e)}`, allowedByText(e).replace(/, /g, '\n'), e.conditions.join('\n'),
        networkText(e).replace('; ', '\n'), mtlsText(e).replace(', ', '\n')]);
    }
    out.push(table.toString());
  }
  const unknown = edges.filter((e) => e.allowed !== true).length;
  out.push(`${edges.length} edge${edges.length === 1 ? '' : 's'}${unknown > 0 ? ` (${unknown} unknown: they depend on something the manifests do not say)` : ''}`);
  for (const w of warnings) out.push(`note: ${w}`);
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
