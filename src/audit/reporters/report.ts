import { AuditResult, AuditSummary } from '../audit';
import { LoadIssue } from '../manifest-loader';

/** What every reporter renders: the audit result and what the loader skipped. */
export interface AuditReport {
  readonly result: AuditResult;
  /** Loader issues (skipped files and documents, warnings). @default [] */
  readonly issues?: readonly LoadIssue[];
  /** Version of the tool, for machine-readable output. @default '0.0.0' */
  readonly toolVersion?: string;
}

/** `N objects, E errors, W warnings, X excepted` (singular/plural as needed). */
export function summaryLine(s: AuditSummary): string {
  const n = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;
  return `${n(s.objects, 'object')}, ${n(s.errors, 'error')}, ${n(s.warnings, 'warning')}, ${s.excepted} excepted`;
}
