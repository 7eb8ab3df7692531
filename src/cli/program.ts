// The commander program from a list of command modules, and how errors become exit codes. Shared by the two
// entry points: main.ts (every command) and main-plan.ts (`kiln jobs` and `kiln lint` only, a smaller bundle).
import { Command, CommanderError } from 'commander';
import { KilnError } from '../errors.js';
import type { RegisterCommand } from './registry-plan.js';

export function buildProgram(commands: readonly RegisterCommand[]): Command {
  const program = new Command('kiln')
    .description('Build portable native packages with GitLab-CI-compatible pipelines')
    .version('0.1.0')
    .option('--debug', 'print stack traces for errors (accepted anywhere on the command line)')
    // Root options only before the subcommand, so subcommands may define their own --version (kiln deb build).
    .enablePositionalOptions()
    .showHelpAfterError()
    .exitOverride();
  for (const register of commands) register(program);
  return program;
}

export async function runProgram(argv: string[], commands: readonly RegisterCommand[]): Promise<void> {
  const program = buildProgram(commands);
  const debug = argv.includes('--debug');
  try {
    await program.parseAsync(argv.filter((a, i) => i < 2 || a !== '--debug'));
  } catch (err) {
    process.exitCode = reportError(err, debug);
  }
}

/** Prints an error the way users should see it and returns the exit code. */
export function reportError(err: unknown, debug: boolean): number {
  if (err instanceof CommanderError) {
    // commander already printed help/version/usage errors.
    return err.exitCode === 0 ? 0 : 2;
  }
  if (err instanceof KilnError) {
    process.stderr.write(`kiln: ${err.message}\n`);
    if (debug && err.stack) process.stderr.write(`${err.stack}\n`);
    return err.exitCode;
  }
  const e = err as Error;
  process.stderr.write(`kiln: internal error: ${e?.message ?? String(err)}\n`);
  if (debug && e?.stack) process.stderr.write(`${e.stack}\n`);
  else process.stderr.write('kiln: run again with --debug for details\n');
  return 70;
}
