import { AuditFinding, auditManifests, isFailing } from '../audit/audit';
import { formatIssue, loadManifests } from '../audit/manifest-loader';
import { summaryLine } from '../audit/reporters/report';
import { ALL_RULES } from '../policy/rule-pack';

/**
 * The part of cdk8s-cli's `ValidationContext` the plugin uses (declared here so the library does
 * not depend on cdk8s-cli's types).
 */
export interface ValidationContextLike {
  /** Paths of the synthesized manifest files. */
  readonly manifests: readonly string[];
  readonly report: {
    addViolation(violation: {
      readonly ruleName: string;
      readonly recommendation: string;
      readonly fix: string;
      readonly violatingResources: readonly { readonly resourceName: string; readonly locations: readonly string[]; readonly manifestPath: string }[];
    }): void;
    submit(status: 'success' | 'failure', metadata?: { readonly [key: string]: string }): void;
  };
  readonly logger: { log(message: string): void };
}

/**
 * Properties of the plugin: the `properties:` of its `validations:` entry in cdk8s.yaml.
 */
export interface SecureMeshValidationProps {
  /** Today (`YYYY-MM-DD`) for exception expiry. @default - the system clock (UTC) */
  readonly today?: string;
  /** The mesh root namespace. @default 'istio-system' */
  readonly rootNamespace?: string;
  /** The namespace istiod runs in. @default - the root namespace */
  readonly controlPlaneNamespace?: string;
  /** Groups of mesh administrators. @default [] */
  readonly meshAdminGroups?: string[];
  /** Other operator groups allowed ClusterRoleBindings. @default [] */
  readonly operatorGroups?: string[];
  /** Whether the app must contain the mesh baseline. @default - when any object is in the root namespace */
  readonly expectMeshBaseline?: boolean;
  /** `error`, `warning` or `none`: the lowest severity that fails the validation. @default 'error' */
  readonly failOn?: string;
}

/**
 * A cdk8s-cli validation plugin (OPS-1): `cdk8s synth` runs the audit over every manifest the
 * app synthesized, with the same rule set as synthesis and the `audit` command. Each rule with
 * findings is one violation (its resources: the objects, with field and message); excepted
 * findings are logged, not reported. The report fails when a finding at or above `failOn` is not
 * excepted, or when a manifest cannot be read.
 *
 * Catches what synth-time enforcement cannot: objects from charts that use no construct of this
 * library (Helm charts, `Include`, raw ApiObjects), and exceptions expired since the last synth.
 */
export class SecureMeshValidation {
  private readonly props: SecureMeshValidationProps;

  constructor(props: SecureMeshValidationProps = {}) {
    this.props = props;
  }

  /** Runs the audit and submits the report (called by cdk8s-cli). */
  public async validate(context: ValidationContextLike): Promise<void> {
    const failOn = this.props.failOn ?? 'error';
    const loaded = loadManifests(context.manifests);
    const result = auditManifests(loaded.manifests, {
      today: this.props.today,
      rootNamespace: this.props.rootNamespace,
      controlPlaneNamespace: this.props.controlPlaneNamespace,
      meshAdminGroups: this.props.meshAdminGroups,
      operatorGroups: this.props.operatorGroups,
      expectMeshBaseline: this.props.expectMeshBaseline,
    });
    for (const issue of loaded.issues.filter((i) => i.severity === 'warning')) context.logger.log(formatIssue(issue));
    const reported = result.findings.filter((f) => !f.excepted);
    for (const f of result.findings.filter((x) => x.excepted)) {
      context.logger.log(`${f.ruleId}: ${f.object} excepted until ${f.exceptionExpires}`);
    }
    const byRule = new Map<string, AuditFinding[]>();
    for (const f of reported) byRule.set(f.ruleId, [...(byRule.get(f.ruleId) ?? []), f]);
    for (const [ruleId, findings] of byRule) {
      const first = findings[0];
      const rule = ALL_RULES.find((r) => r.id === ruleId);
      context.report.addViolation({
        ruleName: `${ruleId} (${first.severity}; ${first.practices.join(', ')})`,
        recommendation: rule ? `${rule.title}. ${rule.explanation}` : first.message,
        fix: first.fix,
        violatingResources: findings.map((f) => ({
          resourceName: nameOf(f.object),
          locations: [`${f.object}${f.path ? ` ${f.path}` : ''} (line ${f.line ?? '?'}): ${f.message}`],
          manifestPath: f.file ?? '',
        })),
      });
    }
    const loadErrors = loaded.issues.filter((i) => i.severity === 'error');
    if (loadErrors.length > 0) {
      context.report.addViolation({
        ruleName: 'INPUT-UNREADABLE',
        recommendation: 'Every synthesized manifest must be readable YAML of Kubernetes objects.',
        fix: 'Check what wrote the files; the audit skipped them.',
        violatingResources: loadErrors.map((i) => ({ resourceName: i.file, locations: [formatIssue(i)], manifestPath: i.file })),
      });
    }
    const failed = loadErrors.length > 0 || reported.some((f) => isFailing(f, failOn));
    const s = result.summary;
    context.report.submit(failed ? 'failure' : 'success', {
      'summary': summaryLine(s),
      'rules': String(ALL_RULES.length),
      'fail-on': failOn,
    });
  }
}

/** The name in a `Kind/namespace/name` reference: the key cdk8s uses for construct metadata. */
function nameOf(ref: string): string {
  return ref.slice(ref.lastIndexOf('/') + 1);
}
