#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { registerAccessCommand } from './access-command';
import { registerAuditCommand, toolVersion } from './audit-command';
import { registerDiffCommand } from './diff-command';
import { registerGatekeeperCommand } from './gatekeeper-command';
import { registerInitCommand } from './init-command';

/** A stream the CLI writes to (process.stdout, or a buffer in tests). */
export interface CliStream {
  /** Whether it is a terminal (colour and progress only then). */
  readonly isTTY?: boolean;
  /** Terminal width. */
  readonly columns?: number;
  write(chunk: string): unknown;
}

/** Where the CLI reads and writes; tests pass buffers. */
export interface CliIo {
  readonly stdout: CliStream;
  readonly stderr: CliStream;
  /** Reads standard input (for the `-` path). @default - file descriptor 0 */
  readonly readStdin?: () => string | Buffer;
  /** Environment (for `NO_COLOR`). @default process.env */
  readonly env?: { readonly [key: string]: string | undefined };
}

/**
 * Exit codes of `audit`: 0 clean, 1 findings at or above `--fail-on`, 2 usage or input errors (`access` adds 3: undecidable;
 * `diff` exits 1 only with `--fail-on-widening`).
 */
export enum ExitCode {
  OK = 0,
  FINDINGS = 1,
  USAGE = 2,
}

/**
 * Runs the `cdk8s-secure-mesh` command line with `argv` (the user arguments, without `node` and
 * the script) and returns the exit code. Never calls `process.exit`, so tests run it in-process.
 */
export async function run(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  let exitCode: number = ExitCode.OK;
  const program = new Command('cdk8s-secure-mesh')
    .description('Audit Kubernetes and Istio manifests against the service-mesh security rule set, and show who can call whom.')
    .version(toolVersion())
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: (s, write) => write(s),
    })
    .showHelpAfterError('(run with --help for usage)');
  const setExitCode = (code: number) => { exitCode = Math.max(exitCode, code); };
  registerAuditCommand(program, io, setExitCode);
  registerAccessCommand(program, io, setExitCode);
  registerDiffCommand(program, io, setExitCode);
  registerInitCommand(program, io, setExitCode);
  registerGatekeeperCommand(program, io, setExitCode);
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version exit 0; anything else Commander rejects is a usage error.
      return e.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
    }
    io.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
    return ExitCode.USAGE;
  }
  return exitCode;
}

function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr };
}

if (require.main === module) {
  void run(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
