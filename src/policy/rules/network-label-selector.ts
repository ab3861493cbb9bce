import { isRecord } from './workload-pod-specs';

/**
 * Kubernetes label selectors (`matchLabels` + `matchExpressions`), read the way the API server
 * reads them, for the NetworkPolicy and RBAC aggregation rules (AUTHZ-4, NETPOL-1, CA-1).
 */

/** Labels: string keys to string values. */
export type Labels = { readonly [key: string]: string };

interface Requirement {
  readonly key: string;
  readonly operator: string;
  readonly values: readonly string[];
}

function matchLabelsOf(selector: { readonly [key: string]: any }): Labels {
  if (!isRecord(selector.matchLabels)) return {};
  return Object.fromEntries(Object.entries(selector.matchLabels).filter(([, v]) => typeof v === 'string')) as Labels;
}

function requirementsOf(selector: { readonly [key: string]: any }): Requirement[] | undefined {
  const exprs: unknown = selector.matchExpressions;
  if (exprs === undefined) return [];
  if (!Array.isArray(exprs)) return undefined;
  const out: Requirement[] = [];
  for (const e of exprs) {
    if (!isRecord(e) || typeof e.key !== 'string' || typeof e.operator !== 'string') return undefined;
    const values = Array.isArray(e.values) ? e.values.filter((v: unknown): v is string => typeof v === 'string') : [];
    out.push({ key: e.key, operator: e.operator, values });
  }
  return out;
}

/**
 * Whether requirement `r` holds for an object with `labels`: exactly those (`exact`), or at least
 * those, when an absent key may still be added (so NotIn and DoesNotExist cannot be relied on).
 */
function holds(r: Requirement, labels: Labels, exact: boolean): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  switch (r.operator) {
    case 'In': return has && r.values.includes(labels[r.key]);
    case 'NotIn': return has ? !r.values.includes(labels[r.key]) : exact;
    case 'Exists': return has;
    case 'DoesNotExist': return exact && !has;
    default: return false;
  }
}

/** Whether `selector` selects an object with exactly `labels` (a malformed selector selects nothing). */
export function selectorMatches(selector: unknown, labels: Labels): boolean {
  if (!isRecord(selector)) return false;
  const reqs = requirementsOf(selector);
  if (!reqs) return false;
  if (!Object.entries(matchLabelsOf(selector)).every(([k, v]) => labels[k] === v)) return false;
  return reqs.every((r) => holds(r, labels, true));
}

/**
 * Whether `selector` selects every object that carries at least `labels` (whatever other labels
 * it has): matchLabels within `labels`, `In`/`Exists`/`NotIn` decided by `labels` alone, never
 * `DoesNotExist` (an extra label could defeat it).
 */
export function selectorSelectsAllWith(selector: unknown, labels: Labels): boolean {
  if (!isRecord(selector)) return false;
  const reqs = requirementsOf(selector);
  if (!reqs) return false;
  if (!Object.entries(matchLabelsOf(selector)).every(([k, v]) => labels[k] === v)) return false;
  return reqs.every((r) => holds(r, labels, false));
}

/**
 * Whether `selector` may select some object that carries at least `labels` (other labels may be
 * added). Requirements on the same absent key are judged one at a time, so contradictory
 * selectors may be reported as overlapping (errs toward reporting).
 */
export function selectorMayOverlap(selector: unknown, labels: Labels): boolean {
  if (!isRecord(selector)) return false;
  const reqs = requirementsOf(selector);
  if (!reqs) return false;
  const combined: { [key: string]: string } = { ...labels };
  for (const [k, v] of Object.entries(matchLabelsOf(selector))) {
    if (Object.prototype.hasOwnProperty.call(combined, k) && combined[k] !== v) return false;
    combined[k] = v;
  }
  return reqs.every((r) => {
    const has = Object.prototype.hasOwnProperty.call(combined, r.key);
    switch (r.operator) {
      case 'In': return has ? r.values.includes(combined[r.key]) : r.values.length > 0;
      case 'NotIn': return !has || !r.values.includes(combined[r.key]);
      case 'Exists': return true;
      case 'DoesNotExist': return !has;
      default: return false;
    }
  });
}
