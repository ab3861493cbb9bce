import * as fs from 'fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { createColors } from 'picocolors';
import type { CliIo } from './main';
import { AccessMatrix } from '../audit/access-matrix';
import { renderTable } from '../audit/access-report';
import { AccessCheckResult, AccessDecision, DeclaredWorkload, TokenState } from '../audit/access-types';
import { formatIssue, loadManifests } from '../audit/manifest-loader';
import { PathNormalization } from '../audit/path-normalization';
import { SecureMeshConfig } from '../config/secure-mesh-config';

/** Width of the table when stdout is not a terminal (or a wider one): a code review without scrolling. */
export const TABLE_WIDTH = 120;

/** Exit codes of `access`: 0 matrix printed / allowed, 1 denied, 2 usage or input errors, 3 unknown. */
export enum AccessExitCode {
  OK = 0,
  DENIED = 1,
  USAGE = 2,
  UNKNOWN = 3,
}

/** Options of the `access` command, as Commander parses them. */
interface AccessFlags {
  readonly from?: string;
  readonly to?: string;
  readonly port?: number;
  readonly method?: string;
  readonly path?: string;
  readonly host?: string;
  readonly jwtIssuer?: string;
  readonly jwtSubject?: string;
  /** `none` or `invalid` (a valid token is --jwt-issuer). */
  readonly token?: TokenState;
  readonly sni?: string;
  readonly format: 'table' | 'json' | 'mermaid' | 'markdown';
  readonly output?: string;
  readonly workload: DeclaredWorkload[];
  /** The mesh settings file (default: ./secure-mesh.yaml when it exists). */
  readonly config?: string;
  /** Undefined when not given: the config file's, else cluster.local. */
  readonly trustDomain?: string;
  readonly trustDomainAlias?: string[];
  /** Undefined when not given: the config file's, else istio-system. */
  readonly rootNamespace?: string;
  readonly inferGateways: boolean;
  /** Istio's meshConfig.pathNormalization (default BASE). */
  readonly pathNormalization?: PathNormalization;
  /** Print the table unwrapped (each cell line on one line). */
  readonly wide?: boolean;
  readonly color?: boolean;
}

/**
 * Registers `access <paths...>`: who can call whom, and why (AUTHZ-1..4, MTLS-1, NETPOL-1, OPS-3).
 * Without `--from/--to/--port` it prints the access matrix (table, JSON, Mermaid or Markdown);
 * with them it answers one question and names the policy that decided it (and, when nothing
 * grants the call, what is missing), exiting 0 when allowed, 1 when denied, 3 when the manifests
 * cannot decide (2: usage or unreadable input). Notes (assumptions, policies naming another trust
 * domain) go to stderr, so stdout stays the answer.
 *
 * The table wraps its cells to 120 columns (or the terminal's width when narrower); `--wide`
 * prints each cell line on one line.
 *
 * `io` and `setExitCode` default to the process streams and `process.exitCode`.
 */
export function registerAccessCommand(program: Command, io?: CliIo, setExitCode?: (code: number) => void): void {
  program.command('access')
    .description('Who can call whom, and why: evaluate AuthorizationPolicies, PeerAuthentications and NetworkPolicies offline.')
    .argument('<paths...>', 'files, directories (recursive: .yaml, .yml, .json) or - for stdin')
    .option('--from <workload>', 'caller (namespace/name) of a single question')
    .option('--to <target>', 'target of a single question: a workload (namespace/name) or an external host served by an egress waypoint')
    .option('--port <port>', 'target port of a single question', parsePort)
    .option('--method <method>', 'HTTP method (default: any)')
    .option('--path <path>', 'HTTP path (default: any)')
    .option('--host <host>', 'HTTP host (default: any)')
    .option('--jwt-issuer <issuer>', 'issuer of a valid JWT the request carries (default: with or without one)')
    .option('--jwt-subject <subject>', 'subject of that JWT (default: any)')
    .addOption(new Option('--token <state>', 'a request without a token (none) or with one that fails validation (invalid); default: whichever is allowed')
      .choices(Object.values(TokenState)))
    .option('--sni <name>', 'TLS server name of the connection (default: any)')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['table', 'json', 'mermaid', 'markdown']).default('table'))
    .option('-o, --output <file>', 'write the output to a file instead of stdout')
    .option('--workload <spec>',
      'declare a workload that is not in the manifests (repeatable): namespace/name[,sa=ACCOUNT][,label=KEY=VALUE]...[,port=N]...[,sidecar=false]',
      (value: string, previous: DeclaredWorkload[]) => [...previous, parseWorkload(value)], [])
    .option('--config <file>', `mesh settings (default: ./${SecureMeshConfig.FILE_NAME} when it exists); the flags below override it`)
    .option('--trust-domain <domain>', 'mesh trust domain (default: cluster.local)')
    .option('--trust-domain-alias <domain>', 'another name of the trust domain (meshConfig.trustDomainAliases; repeatable)',
      (value: string, previous: string[] | undefined) => [...(previous ?? []), value])
    .option('--root-namespace <namespace>', 'mesh root namespace (default: istio-system)')
    .option('--no-infer-gateways', 'do not infer gateway workloads from Istio Gateway selectors')
    .addOption(new Option('--path-normalization <level>', 'how the mesh normalizes request paths before authorization (meshConfig.pathNormalization; default BASE)')
      .choices(Object.values(PathNormalization)))
    .option('--wide', `table: do not wrap cells (default: wrap to ${TABLE_WIDTH} columns, or a narrower terminal)`)
    .option('--color', 'force colour')
    .option('--no-color', 'no colour (default: colour on a TTY unless NO_COLOR is set)')
    .action((paths: string[], flags: AccessFlags) => {
      const out = io ?? { stdout: process.stdout, stderr: process.stderr };
      const code = runAccess(paths, flags, out);
      if (setExitCode) setExitCode(code);
      else if (code !== AccessExitCode.OK) process.exitCode = code;
    });
}

/** Runs `access` with parsed flags; returns the exit code. */
export function runAccess(paths: readonly string[], flags: AccessFlags, io: CliIo): number {
  const single = [flags.from, flags.to, flags.port].filter((x) => x !== undefined).length;
  if (single > 0 && single < 3) {
    io.stderr.write('error: --from, --to and --port go together (one question), or none of them (the whole matrix)\n');
    return AccessExitCode.USAGE;
  }
  if (single === 3 && (flags.format === 'mermaid' || flags.format === 'markdown')) {
    io.stderr.write(`error: --format ${flags.format} draws the whole matrix; use table or json with --from/--to/--port\n`);
    return AccessExitCode.USAGE;
  }

  const loaded = loadManifests(paths, { readStdin: io.readStdin });
  for (const issue of loaded.issues) io.stderr.write(`${formatIssue(issue)}\n`);
  const inputErrors = loaded.issues.filter((i) => i.severity === 'error').length;
  if (loaded.manifests.length === 0) {
    io.stderr.write('error: no Kubernetes objects found in the input\n');
    return AccessExitCode.USAGE;
  }
  if (inputErrors > 0) io.stderr.write(`skipped ${inputErrors} input(s) that could not be read; the answer covers the rest\n`);

  let matrix: AccessMatrix;
  try {
    matrix = AccessMatrix.fromManifests(loaded.manifests.map((m) => m.object), {
      config: flags.config,
      trustDomain: flags.trustDomain,
      trustDomainAliases: flags.trustDomainAlias,
      rootNamespace: flags.rootNamespace,
      workloads: flags.workload,
      inferGateways: flags.inferGateways,
      pathNormalization: flags.pathNormalization,
    });
  } catch (e) {
    io.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
    return AccessExitCode.USAGE;
  }

  const env = io.env ?? process.env;
  const color = flags.output === undefined && (flags.color ?? (!!io.stdout.isTTY && !env.NO_COLOR));
  let text: string;
  let code: number = AccessExitCode.OK;
  // Written to stderr after the answer.
  let notes: string[];
  if (single === 3) {
    let result: AccessCheckResult;
    try {
      result = matrix.check({
        from: flags.from!,
        to: flags.to!,
        port: flags.port!,
        method: flags.method,
        path: flags.path,
        host: flags.host,
        jwtIssuer: flags.jwtIssuer,
        jwtSubject: flags.jwtSubject,
        token: flags.token,
        sni: flags.sni,
      });
    } catch (e) {
      io.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
      return AccessExitCode.USAGE;
    }
    text = flags.format === 'json' ? `${JSON.stringify(result, null, 2)}\n` : renderCheck(result, color);
    code = result.decision === AccessDecision.ALLOWED ? AccessExitCode.OK
      : result.decision === AccessDecision.DENIED ? AccessExitCode.DENIED : AccessExitCode.UNKNOWN;
    // A principal of another trust domain matches nothing: the likeliest cause of a surprising denial.
    const prefix = result.decision === AccessDecision.DENIED ? 'hint' : 'note';
    notes = matrix._trustDomainWarnings().map((w) => `${prefix}: ${w}`);
  } else {
    text = flags.format === 'json' ? `${JSON.stringify(matrix.toJson(), null, 2)}\n`
      : flags.format === 'mermaid' ? matrix.toMermaid()
        : flags.format === 'markdown' ? matrix.toMarkdown()
          : renderTable(matrix.edges(), [], tableWidth(flags, io));
    notes = [
      ...matrix.warnings().map((w) => `note: ${w}`),
      // Calls that work need both halves: over several repositories' outputs, a half alone is a finding.
      ...matrix.oneSidedGrants().map((g) => `warning: one-sided grant (NET-GRANT-001): ${g}`),
    ];
  }
  if (flags.output !== undefined) {
    try {
      fs.writeFileSync(flags.output, text);
    } catch (e: any) {
      io.stderr.write(`error: cannot write ${flags.output}: ${e?.message ?? e}\n`);
      return AccessExitCode.USAGE;
    }
  } else {
    io.stdout.write(text);
  }
  for (const n of notes) io.stderr.write(`${n}\n`);
  return inputErrors > 0 ? AccessExitCode.USAGE : code;
}

/**
 * The longest line of the table: none with `--wide`; else {@link TABLE_WIDTH}, or the terminal's
 * width when stdout is a narrower terminal (not a terminal: always the same, so output is
 * deterministic in scripts and CI).
 */
function tableWidth(flags: AccessFlags, io: CliIo): number {
  if (flags.wide) return 0;
  const columns = io.stdout.columns;
  const tty = flags.output === undefined && !!io.stdout.isTTY && typeof columns === 'number' && columns > 0;
  return tty ? Math.min(TABLE_WIDTH, columns) : TABLE_WIDTH;
}

/** The human answer to one question. */
export function renderCheck(r: AccessCheckResult, color = false): string {
  const c = createColors(color);
  const word = r.decision === AccessDecision.ALLOWED ? c.green('ALLOWED') : r.decision === AccessDecision.DENIED ? c.red('DENIED') : c.yellow('UNKNOWN');
  const ex = r.example;
  const request = ex.protocol === 'tcp' ? ['tcp', ex.sni ? `SNI ${ex.sni}` : undefined]
    : [ex.protocol === 'grpc' ? 'grpc' : undefined, ex.method, ex.path, ex.host ? `host ${ex.host}` : undefined,
      ex.requestPrincipal ? `JWT ${ex.requestPrincipal}` : undefined, ex.sni ? `SNI ${ex.sni}` : undefined];
  const lines = [
    `${word} ${r.from} -> ${r.to}:${r.port} (${request.filter((x) => x !== undefined).join(' ')})`,
    `${r.decision === AccessDecision.ALLOWED ? 'allowed' : 'decided'} by ${r.decidedBy || '(default)'} [${r.layer}]: ${r.reason}`,
  ];
  if (r.conditions.length > 0) lines.push(`requests allowed: ${r.conditions.join(' | ')}`);
  for (const l of r.layers) {
    const v = l.decision === AccessDecision.ALLOWED ? c.green('allowed') : l.decision === AccessDecision.DENIED ? c.red('denied ') : c.yellow('unknown');
    lines.push(`  ${l.layer.padEnd(13)} ${v} ${l.reason}`);
  }
  if (r.missingGrants.length > 0) {
    lines.push('to allow it, add:', ...r.missingGrants.map((g) => `  - ${g}`));
    const verb = r.to.includes('/') ? 'the target SecureService\'s allowFrom(caller)' : `AmbientEgressGateway.allowExternal(${r.to}, { from: [caller] })`;
    lines.push(`  (with cdk8s-secure-mesh: ${verb} writes ${r.missingGrants.length > 1 ? 'them all' : 'it'})`);
  }
  return `${lines.join('\n')}\n`;
}

function parsePort(value: string): number {
  const n = Number(value);
  if (!/^[0-9]+$/.test(value) || n < 1 || n > 65535) throw new InvalidArgumentError('expected a port number (1-65535).');
  return n;
}

/** `namespace/name[,sa=ACCOUNT][,label=KEY=VALUE]...[,port=N]...[,sidecar=false]`. */
export function parseWorkload(spec: string): DeclaredWorkload {
  const [id, ...rest] = spec.split(',');
  const m = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/([a-z0-9]([-.a-z0-9]*[a-z0-9])?)$/.exec(id.trim());
  if (!m) throw new InvalidArgumentError(`"${id}" is not namespace/name.`);
  let serviceAccount: string | undefined;
  let sidecar: boolean | undefined;
  const labels: { [key: string]: string } = {};
  const ports: number[] = [];
  for (const part of rest) {
    const eq = part.indexOf('=');
    const key = eq < 0 ? part : part.slice(0, eq);
    const value = eq < 0 ? '' : part.slice(eq + 1);
    if (key === 'sa' && value) serviceAccount = value;
    else if (key === 'label' && value.includes('=')) labels[value.slice(0, value.indexOf('='))] = value.slice(value.indexOf('=') + 1);
    else if (key === 'port' && /^[0-9]+$/.test(value) && Number(value) >= 1 && Number(value) <= 65535) ports.push(Number(value));
    else if (key === 'sidecar' && (value === 'true' || value === 'false')) sidecar = value === 'true';
    else throw new InvalidArgumentError(`"${part}" is not sa=ACCOUNT, label=KEY=VALUE, port=N or sidecar=true|false.`);
  }
  return {
    namespace: m[1],
    name: m[3],
    serviceAccount,
    labels: Object.keys(labels).length > 0 ? labels : undefined,
    ports: ports.length > 0 ? ports : undefined,
    sidecar,
  };
}
