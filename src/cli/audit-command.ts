import * as fs from 'fs';
import * as path from 'path';
import { SingleBar } from 'cli-progress';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { CliIo, CliStream } from './main';
import { auditManifests, auditSettingsOf, isFailing } from '../audit/audit';
import { applyDefaultNamespace, withoutNamespace } from '../audit/default-namespace';
import { DEFAULT_MAX_FILE_BYTES, LoadIssue, formatIssue, loadManifests } from '../audit/manifest-loader';
import { renderJson } from '../audit/reporters/json';
import { AuditReport, summaryLine } from '../audit/reporters/report';
import { renderSarif } from '../audit/reporters/sarif';
import { renderTable } from '../audit/reporters/table';
import { SecureMeshConfig } from '../config/secure-mesh-config';
import { LATEST_RULE_SET, RULE_SETS } from '../policy/rule-sets';

/** Rules whose findings depend on the configured operator groups. */
const GROUP_RULES = new Set(['RBAC-CRB-001', 'RBAC-CA-001']);

/** More inputs than this (files while loading, objects while auditing) show a progress bar on a TTY. */
export const PROGRESS_THRESHOLD = 200;

/** The version in package.json, or `0.0.0` when it cannot be read. */
export function toolVersion(): string {
  try {
    return JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf-8')).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** Options of the `audit` command, as Commander parses them. */
interface AuditFlags {
  readonly format: 'table' | 'json' | 'sarif';
  readonly output?: string;
  readonly failOn: 'error' | 'warning' | 'none';
  readonly config?: string;
  readonly rootNamespace?: string;
  readonly controlPlaneNamespace?: string;
  readonly meshAdminGroup: string[];
  readonly operatorGroup: string[];
  readonly allowedRegistry: string[];
  readonly ruleSet?: string;
  readonly namespace?: string;
  readonly mesh?: boolean;
  readonly color?: boolean;
  readonly maxFileSize: number;
}

/**
 * Registers `audit <paths...>`: loads manifests (files, directories, `-` for stdin), runs the
 * rule set with the exceptions the objects' annotations claim and the namespaces' exception
 * registries in the input back, and prints a table, JSON or SARIF. Exceptions expire against the
 * system clock (UTC), always: there is no flag to move it, so a CI run cannot revive an exception.
 * Reports the exit code through `setExitCode`: 1 when a non-excepted finding at or above
 * `--fail-on` exists, 2 when input was unusable (the report still covers the rest).
 */
export function registerAuditCommand(program: Command, io: CliIo, setExitCode: (code: number) => void): Command {
  return program.command('audit')
    .description('Audit Kubernetes/Istio manifests (YAML or JSON files, directories, - for stdin) against the rule set.')
    .argument('<paths...>', 'files, directories (recursive: .yaml, .yml, .json) or - for stdin')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['table', 'json', 'sarif']).default('table'))
    .option('-o, --output <file>', 'write the report to a file instead of stdout')
    .addOption(new Option('--fail-on <severity>', 'exit 1 when a non-excepted finding at or above this severity exists')
      .choices(['error', 'warning', 'none']).default('error'))
    .option('--config <file>', `mesh settings (default: ./${SecureMeshConfig.FILE_NAME} when it exists); the flags below override it`)
    .option('--root-namespace <namespace>', 'mesh root namespace (default: istio-system)')
    .option('--control-plane-namespace <namespace>', 'namespace istiod runs in (default: the root namespace)')
    .option('--mesh-admin-group <group>', 'group of mesh administrators (repeatable; replaces the config\'s list)', collect, [])
    .option('--operator-group <group>', 'other operator group allowed ClusterRoleBindings (repeatable; replaces the config\'s list)', collect, [])
    .option('--allowed-registry <registry>', 'registry images may come from (repeatable; replaces the config\'s list)', collect, [])
    .option('--rule-set <set>', `the rule set the manifests were written against; newer rules report as warnings (${RULE_SETS.join(', ')}; default: the config's ruleSet, else ${LATEST_RULE_SET})`)
    .option('-n, --namespace <namespace>', 'namespace of objects that name none (kustomize style, as kubectl apply -n would set it)', parseNamespace)
    .option('--mesh', 'expect the mesh baseline (mesh-wide STRICT mTLS, allow-nothing) in the input (default: when any object is in the root namespace)')
    .option('--no-mesh', 'do not report missing mesh-wide objects')
    .option('--color', 'force colour')
    .option('--no-color', 'no colour (default: colour on a TTY unless NO_COLOR is set)')
    .option('--max-file-size <MB>', 'skip files larger than this many megabytes', parseSize, DEFAULT_MAX_FILE_BYTES / 1024 / 1024)
    .action((paths: string[], flags: AuditFlags) => setExitCode(audit(paths, flags, io)));
}

function audit(paths: string[], flags: AuditFlags, io: CliIo): number {
  let config: SecureMeshConfig;
  try {
    config = SecureMeshConfig.load(flags.config, {
      rootNamespace: flags.rootNamespace,
      controlPlaneNamespace: flags.controlPlaneNamespace,
      meshAdminGroups: flags.meshAdminGroup,
      operatorGroups: flags.operatorGroup,
      allowedRegistries: flags.allowedRegistry,
      ruleSet: flags.ruleSet,
    });
  } catch (e) {
    io.stderr.write(`error: ${(e as Error).message}\n`);
    return 2;
  }
  const progress = new Progress(io.stderr);
  const loaded = loadManifests(paths, {
    readStdin: io.readStdin,
    maxFileBytes: Math.round(flags.maxFileSize * 1024 * 1024),
    onFile: (done, total) => progress.update('loading', done, total),
  });
  progress.stop();
  const issues: LoadIssue[] = [...loaded.issues];
  if (loaded.manifests.length === 0 && !issues.some((i) => i.severity === 'error')) {
    issues.push({ severity: 'error', file: paths.join(' '), message: 'no Kubernetes objects found (empty input)' });
  }
  for (const issue of issues) io.stderr.write(`${formatIssue(issue)}\n`);
  const errors = issues.filter((i) => i.severity === 'error').length;
  if (errors > 0) io.stderr.write(`skipped ${errors} input(s) that could not be read; the report covers the rest\n`);

  const unplaced = withoutNamespace(loaded.manifests);
  const manifests = flags.namespace !== undefined ? applyDefaultNamespace(loaded.manifests, flags.namespace) : loaded.manifests;
  if (flags.namespace === undefined && unplaced.length > 0) {
    const first = unplaced[0];
    io.stderr.write(`note: ${unplaced.length} namespaced object(s) name no metadata.namespace (first: ${first.object.kind}/${first.object.metadata?.name ?? '<no name>'} `
      + `at ${first.file}:${first.line}); rules that read namespaces judge them as namespace-less: pass --namespace NS (the namespace they are applied to)\n`);
  }
  const result = auditManifests(manifests, {
    ...auditSettingsOf(config),
    expectMeshBaseline: flags.mesh,
    onProgress: (done, total) => progress.update('auditing', done, total, manifests.length),
  });
  progress.stop();

  const report: AuditReport = { result, issues, toolVersion: toolVersion() };
  const toFile = flags.output !== undefined;
  const env = io.env ?? process.env;
  const color = !toFile && (flags.color ?? (!!io.stdout.isTTY && !env.NO_COLOR));
  const text = flags.format === 'json' ? renderJson(report)
    : flags.format === 'sarif' ? renderSarif(report)
      : renderTable(report, { color, width: toFile ? 160 : io.stdout.columns });
  if (toFile) {
    try {
      fs.writeFileSync(flags.output!, text);
    } catch (e: any) {
      io.stderr.write(`error: cannot write ${flags.output}: ${e?.message ?? e}\n`);
      return 2;
    }
  } else {
    io.stdout.write(text);
  }
  // The table ends with the summary; other outputs keep stdout machine-readable.
  if (toFile || flags.format !== 'table') io.stderr.write(`${summaryLine(result.summary)}\n`);
  const dependsOnGroups = result.findings.some((f) => !f.excepted && GROUP_RULES.has(f.ruleId));
  if (dependsOnGroups && config.meshAdminGroups.length === 0 && config.operatorGroups.length === 0) {
    io.stderr.write(`note: no mesh admin or operator groups are configured (settings: ${config.source}), so every ClusterRoleBinding and `
      + `CA-secret reader is reported: set meshAdminGroups/operatorGroups in ${SecureMeshConfig.FILE_NAME} (or --config FILE, `
      + '--mesh-admin-group, --operator-group)\n');
  }
  if (errors > 0) return 2;
  return result.findings.some((f) => isFailing(f, flags.failOn)) ? 1 : 0;
}

/** A progress bar on stderr, shown only on a TTY and when the input (`size`) exceeds PROGRESS_THRESHOLD. */
class Progress {
  private bar?: SingleBar;

  constructor(private readonly stream: CliStream) {}

  public update(phase: string, done: number, total: number, size: number = total): void {
    if (!this.stream.isTTY || size <= PROGRESS_THRESHOLD) return;
    if (!this.bar) {
      this.bar = new SingleBar({
        stream: this.stream as NodeJS.WritableStream,
        format: `${phase} [{bar}] {value}/{total}`,
        clearOnComplete: true,
        hideCursor: false,
        barsize: 30,
      });
      this.bar.start(total, 0);
    }
    this.bar.update(done);
  }

  public stop(): void {
    this.bar?.stop();
    this.bar = undefined;
  }
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function parseSize(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number of megabytes.');
  return n;
}

function parseNamespace(value: string): string {
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(value) || value.length > 63) {
    throw new InvalidArgumentError('expected a namespace name (DNS-1123 label: lower-case letters, digits and "-", at most 63).');
  }
  return value;
}
