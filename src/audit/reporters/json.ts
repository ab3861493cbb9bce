import { AuditReport } from './report';

/** Version of the JSON report's shape; bumped on incompatible changes. */
export const JSON_REPORT_VERSION = 1;

/**
 * The machine-readable report: `{ version, tool, today, meshBaselineExpected, summary, findings,
 * exceptions, issues }`. An excepted finding carries its `exception` (record id, owner,
 * justification, expires, registry); each exception lists its status and, when a registry record
 * matched, `exceptionId`, `owner`, `justification` and `registry`. Findings and exceptions keep
 * the audit's sort order, object keys are sorted, so the same input always gives byte-identical
 * output (OPS-2).
 */
export function renderJson(report: AuditReport): string {
  const { result } = report;
  const doc = {
    version: JSON_REPORT_VERSION,
    tool: { name: 'cdk8s-secure-mesh', version: report.toolVersion ?? '0.0.0' },
    today: result.today,
    meshBaselineExpected: result.meshBaselineExpected,
    summary: result.summary,
    findings: result.findings,
    exceptions: result.exceptions,
    issues: report.issues ?? [],
  };
  return `${JSON.stringify(sortKeys(doc), undefined, 2)}\n`;
}

/** A copy of `value` with every object's keys in sorted order (arrays keep their order). */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    const out: { [key: string]: unknown } = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as { [key: string]: unknown })[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  return value;
}
