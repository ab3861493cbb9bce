import { CST, Parser } from 'yaml';

/** An unterminated construct: what it is and the offset where it starts. */
export interface UnclosedConstruct {
  readonly what: string;
  readonly offset: number;
}

const CLOSERS: { readonly [type: string]: string } = { 'flow-map-end': '}', 'flow-seq-end': ']' };

function unclosed(token: CST.Token): string | undefined {
  if (token.type === 'flow-collection') {
    const closed = token.end.some((t) => t.type in CLOSERS);
    return closed ? undefined : `the flow ${token.start.source === '{' ? 'mapping' : 'sequence'} ("${token.start.source}")`;
  }
  if (token.type === 'double-quoted-scalar' || token.type === 'single-quoted-scalar') {
    const quote = token.type === 'double-quoted-scalar' ? '"' : '\'';
    const s = token.source;
    return s.length >= 2 && s.endsWith(quote) && !(quote === '"' && /(^|[^\\])(\\\\)*\\"$/.test(s)) ? undefined : `the ${quote}-quoted string`;
  }
  return undefined;
}

function walk(token: CST.Token | undefined, out: UnclosedConstruct[]): void {
  if (!token) return;
  const what = unclosed(token);
  if (what) out.push({ what, offset: token.offset });
  if (token.type === 'document') walk(token.value, out);
  if (token.type === 'block-map' || token.type === 'block-seq' || token.type === 'flow-collection') {
    for (const item of token.items) {
      walk(item.key ?? undefined, out);
      walk(item.value, out);
    }
  }
}

/**
 * Where a YAML problem starts: the innermost string or flow collection that was opened before
 * `errorOffset` and never closed (the parser only notices it lines later, where the text stops
 * making sense). Undefined when no such construct encloses the error.
 */
export function unclosedConstructBefore(text: string, errorOffset: number): UnclosedConstruct | undefined {
  const found: UnclosedConstruct[] = [];
  for (const token of new Parser().parse(text)) walk(token, found);
  return found.filter((c) => c.offset <= errorOffset).sort((a, b) => b.offset - a.offset)[0];
}
