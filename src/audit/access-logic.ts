/**
 * Three-valued (Kleene) logic for the access matrix: a match is true, false, or unknown when it
 * depends on something the manifests do not say. Unknown is never rounded to true or false.
 */

/** `true`, `false` or `'unknown'`. */
export type Tri = boolean | 'unknown';

/** A match result with the reason it is not `true` (for messages). */
export interface Match {
  readonly value: Tri;
  /** Why it is false or unknown (empty when true). */
  readonly why: string;
}

export const TRUE: Match = { value: true, why: '' };

export function falseBecause(why: string): Match {
  return { value: false, why };
}

export function unknownBecause(why: string): Match {
  return { value: 'unknown', why };
}

/** AND: false wins, then unknown. Reasons of the first false (else first unknown) are kept. */
export function allOf(matches: readonly Match[]): Match {
  const f = matches.find((m) => m.value === false);
  if (f) return f;
  const u = matches.find((m) => m.value === 'unknown');
  return u ?? TRUE;
}

/** OR: true wins, then unknown. */
export function anyOf(matches: readonly Match[], whyNone: string): Match {
  if (matches.some((m) => m.value === true)) return TRUE;
  const u = matches.find((m) => m.value === 'unknown');
  if (u) return u;
  // One alternative: its own reason says more than the summary.
  return falseBecause(matches.length === 1 && matches[0].why.length > 0 ? matches[0].why : whyNone);
}

/** NOT. */
export function negate(m: Match, whyTrue: string): Match {
  if (m.value === 'unknown') return m;
  return m.value ? falseBecause(whyTrue) : TRUE;
}

/** A `Tri` from a boolean with a reason for false. */
export function check(ok: boolean, whyNot: string): Match {
  return ok ? TRUE : falseBecause(whyNot);
}
