/**
 * Calendar days as exceptions, warn phases and the audit count them: `YYYY-MM-DD` in UTC, one
 * definition for synthesis, admission rollout and the audit.
 */

/** Whether `value` is a real `YYYY-MM-DD` date (no 2027-02-30). */
export function isCalendarDate(value: unknown): value is string {
  return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`))
    && new Date(`${value}T00:00:00Z`).toISOString().slice(0, 10) === value;
}

/** Whole days from `from` to `to` (both `YYYY-MM-DD`; negative when `to` is earlier). */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

/** Today in UTC, `YYYY-MM-DD`, from the system clock. */
export function systemToday(): string {
  return new Date().toISOString().slice(0, 10);
}
