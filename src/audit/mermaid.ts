import { AccessDecision, AccessEdge, AccessWorkload } from './access-types';
import { compareStrings } from './workloads';

/**
 * The access matrix as a Mermaid flowchart (`graph LR`) for pull requests and docs: one subgraph
 * per namespace, one node per workload (ids derived from `namespace/name`, so they stay the same
 * when other workloads come and go), one arrow per caller -> target with its ports. Edges that may
 * be allowed (`unknown`) are dotted and marked `?`. External hosts (targets that are not
 * workloads: hosts behind an egress waypoint) are nodes of a subgraph `external hosts`, after the
 * namespaces; without them the graph is what it always was.
 */

/** A Mermaid id for `s`: letters, digits and `_` (`/` becomes `__`, other characters `_`). */
export function mermaidId(s: string): string {
  return s.replace(/\//g, '__').replace(/[^A-Za-z0-9_]/g, '_');
}

/** Stable, collision-free ids for the workloads (a clash gets `_2`, `_3`, ... in id order). */
export function nodeIds(workloadIds: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  const used = new Set<string>();
  for (const id of [...workloadIds].sort(compareStrings)) {
    const base = mermaidId(id);
    let candidate = base;
    for (let n = 2; used.has(candidate); n++) candidate = `${base}_${n}`;
    used.add(candidate);
    out.set(id, candidate);
  }
  return out;
}

function label(s: string): string {
  return s.replace(/"/g, '#quot;');
}

/** Renders the graph. */
export function renderMermaid(workloads: readonly AccessWorkload[], edges: readonly AccessEdge[]): string {
  const ids = nodeIds(workloads.map((w) => w.id));
  const lines = ['graph LR'];
  const namespaces = [...new Set(workloads.map((w) => w.namespace))].sort(compareStrings);
  const usedIds = new Set(ids.values());
  for (const ns of namespaces) {
    let sub = `ns_${mermaidId(ns)}`;
    while (usedIds.has(sub)) sub = `${sub}_ns`;
    usedIds.add(sub);
    lines.push(`  subgraph ${sub}["${label(ns)}"]`);
    for (const w of workloads.filter((x) => x.namespace === ns).sort((a, b) => compareStrings(a.id, b.id))) {
      lines.push(`    ${ids.get(w.id)}["${label(w.id.slice(ns.length + 1))}"]`);
    }
    lines.push('  end');
  }
  // Targets that are not workloads: external hosts, one node each (ids that clash get `_2`, ...).
  const hosts = [...new Set(edges.map((e) => e.to).filter((to) => !ids.has(to)))].sort(compareStrings);
  if (hosts.length > 0) {
    let sub = 'external_hosts';
    while (usedIds.has(sub)) sub = `${sub}_`;
    usedIds.add(sub);
    lines.push(`  subgraph ${sub}["external hosts"]`);
    for (const h of hosts) {
      const base = `host_${mermaidId(h)}`;
      let id = base;
      for (let n = 2; usedIds.has(id); n++) id = `${base}_${n}`;
      usedIds.add(id);
      ids.set(h, id);
      lines.push(`    ${id}["${label(h)}"]`);
    }
    lines.push('  end');
  }
  // One arrow per caller -> target (ports joined), definite first then possible.
  const pairs = new Map<string, { from: string; to: string; ports: number[]; unknown: boolean }>();
  for (const e of edges) {
    const unknown = e.decision !== AccessDecision.ALLOWED;
    const key = `${e.from}\u0000${e.to}\u0000${unknown ? '?' : 'y'}`;
    const entry = pairs.get(key) ?? { from: e.from, to: e.to, ports: [], unknown };
    entry.ports.push(e.port);
    pairs.set(key, entry);
  }
  const sorted = [...pairs.values()]
    .sort((a, b) => compareStrings(a.from, b.from) || compareStrings(a.to, b.to) || Number(a.unknown) - Number(b.unknown));
  for (const p of sorted) {
    const ports = [...new Set(p.ports)].sort((a, b) => a - b).join(', ');
    const from = ids.get(p.from) ?? mermaidId(p.from);
    const to = ids.get(p.to) ?? mermaidId(p.to);
    lines.push(p.unknown ? `  ${from} -.->|"${ports} ?"| ${to}` : `  ${from} -->|"${ports}"| ${to}`);
  }
  return `${lines.join('\n')}\n`;
}
