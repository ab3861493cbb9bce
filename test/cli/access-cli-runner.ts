import { Command, CommanderError } from 'commander';
import { AccessExitCode, registerAccessCommand } from '../../src/cli/access-command';

/** Runs `cdk8s-secure-mesh access <args>` in process, as the CLI would, capturing its output and exit code. */
export async function runAccessCli(args: string[], stdin?: string, terminal: { isTTY?: boolean; columns?: number } = {}):
Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  let code = 0;
  const io = { stdout: { ...terminal, write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) }, readStdin: () => stdin ?? '', env: {} };
  const program = new Command('cdk8s-secure-mesh').exitOverride().configureOutput({ writeOut: (s) => out.push(s), writeErr: (s) => err.push(s) });
  registerAccessCommand(program, io, (c) => { code = c; });
  try {
    await program.parseAsync(['access', ...args], { from: 'user' });
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    code = e.exitCode === 0 ? 0 : AccessExitCode.USAGE;
  }
  return { code, stdout: out.join(''), stderr: err.join('') };
}
