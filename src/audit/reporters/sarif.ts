import { createHash } from 'crypto';
import * as path from 'path';
import { pathToFileURL } from 'url';
import type { Location, Log, Notification, ReportingDescriptor, Result, Suppression } from 'sarif';
import { AuditReport } from './report';
import { RuleSeverity } from '../../policy/rule';
import { AUDIT_RULES, AuditFinding, ExceptionRecordInfo } from '../audit';
import { STDIN_NAME } from '../manifest-loader';

/** The schema the output conforms to. */
export const SARIF_SCHEMA_URI = 'https://json.schemastore.org/sarif-2.1.0.json';

/** Options of {@link renderSarif}. */
export interface SarifOptions {
  /** Directory artifact URIs are made relative to (the repository root in CI). @default process.cwd() */
  readonly baseDir?: string;
}

/**
 * The report as a SARIF 2.1.0 log, for GitHub code scanning and other SARIF viewers: the tool
 * driver `cdk8s-secure-mesh` describes every rule (short and full description, help = the fix,
 * tags = the practices); each finding is a result at its file and line (URIs relative to
 * `baseDir`); excepted findings carry an accepted external suppression located at the exception
 * registry, with owner, justification and expiry; skipped input is reported as tool execution
 * notifications.
 */
export function buildSarif(report: AuditReport, options: SarifOptions = {}): Log {
  const baseDir = options.baseDir ?? process.cwd();
  const ruleIndex = new Map(AUDIT_RULES.map((r, i) => [r.id, i]));
  const rules: ReportingDescriptor[] = AUDIT_RULES.map((r) => ({
    id: r.id,
    name: pascalCase(r.id),
    shortDescription: { text: r.title },
    fullDescription: { text: r.explanation },
    help: { text: r.fix },
    defaultConfiguration: { level: level(r.severity) },
    properties: { 'tags': [...r.practices], 'security-severity': r.severity === RuleSeverity.ERROR ? '8.0' : '5.0' },
  }));
  const results: Result[] = report.result.findings.map((f) => result(f, ruleIndex.get(f.ruleId), baseDir));
  const notifications: Notification[] = (report.issues ?? []).map((issue) => ({
    level: issue.severity === 'error' ? 'error' : 'warning',
    message: { text: issue.documentIndex === undefined ? issue.message : `document ${issue.documentIndex}: ${issue.message}` },
    locations: [physical(issue.file, issue.line, baseDir)],
  }));
  return {
    $schema: SARIF_SCHEMA_URI,
    version: '2.1.0',
    runs: [{
      tool: {
        driver: {
          name: 'cdk8s-secure-mesh',
          semanticVersion: report.toolVersion ?? '0.0.0',
          informationUri: 'https://github.com/cdk8s-secure-mesh/cdk8s-secure-mesh',
          rules,
        },
      },
      invocations: [{
        executionSuccessful: !(report.issues ?? []).some((i) => i.severity === 'error'),
        ...(notifications.length > 0 ? { toolExecutionNotifications: notifications } : {}),
      }],
      columnKind: 'utf16CodeUnits',
      results,
    }],
  };
}

/** {@link buildSarif} as JSON text. */
export function renderSarif(report: AuditReport, options: SarifOptions = {}): string {
  return `${JSON.stringify(buildSarif(report, options), undefined, 2)}\n`;
}

function result(f: AuditFinding, index: number | undefined, baseDir: string): Result {
  return {
    ruleId: f.ruleId,
    ...(index !== undefined ? { ruleIndex: index } : {}),
    level: level(f.severity),
    message: { text: `${f.object}${f.path ? ` ${f.path}` : ''}: ${f.message}` },
    locations: f.file ? [{ ...physical(f.file, f.line, baseDir), logicalLocations: [{ fullyQualifiedName: f.object, kind: 'object' }] }] : [],
    partialFingerprints: { 'secureMeshFinding/v1': fingerprint(f) },
    ...(f.excepted && f.exception ? { suppressions: [suppression(f.exception, baseDir)] } : {}),
  };
}

/**
 * The accepted exception as an external SARIF suppression (kind `external`): persisted outside the
 * analysed object, in the exception registry, whose ConfigMap is the suppression's location; the
 * justification is one sentence with owner, expiry and reason; the record's fields are properties.
 */
export function suppression(e: ExceptionRecordInfo, baseDir: string): Suppression {
  return {
    kind: 'external',
    status: 'accepted',
    justification: exceptionSentence(e),
    location: { ...physical(e.file, e.line, baseDir), logicalLocations: [{ fullyQualifiedName: `ConfigMap/${e.registry}`, kind: 'object' }] },
    properties: { owner: e.owner, expires: e.expires, exceptionId: e.id, registry: e.registry },
  };
}

/** `Exception ID, owned by OWNER and valid until DATE (registry NS/NAME): JUSTIFICATION` as one sentence. */
export function exceptionSentence(e: ExceptionRecordInfo): string {
  const reason = e.justification.trim().replace(/[.!?]*$/, '');
  return `Exception ${e.id}, owned by ${e.owner} and valid until ${e.expires} (registry ${e.registry}): ${reason}.`;
}

function physical(file: string, line: number | undefined, baseDir: string): Location {
  return {
    physicalLocation: {
      artifactLocation: { uri: artifactUri(file, baseDir) },
      ...(line ? { region: { startLine: line } } : {}),
    },
  };
}

/** A relative, percent-encoded URI for files under `baseDir`; a `file:` URI otherwise. */
export function artifactUri(file: string, baseDir: string): string {
  if (file === STDIN_NAME) return 'stdin';
  const abs = path.resolve(baseDir, file);
  const rel = path.relative(baseDir, abs);
  if (rel.startsWith('..') || path.isAbsolute(rel)) return pathToFileURL(abs).href;
  return rel.split(path.sep).map(encodeURIComponent).join('/');
}

function level(severity: RuleSeverity): 'error' | 'warning' {
  return severity === RuleSeverity.ERROR ? 'error' : 'warning';
}

function pascalCase(id: string): string {
  return id.toLowerCase().split('-').map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
}

/** Stable across line moves: the rule, the object, the field and the message. */
function fingerprint(f: AuditFinding): string {
  return createHash('sha256').update([f.ruleId, f.object, f.path, f.message].join('\u0000')).digest('hex').slice(0, 32);
}
