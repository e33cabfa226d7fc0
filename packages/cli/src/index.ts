import { Command, CommanderError } from 'commander';
import { MdcError, VERSION } from 'model-data-collector/internal';
import { commands } from './commands/index.js';

/** Builds the `mdc` program; every command is registered from ./commands. */
export function buildProgram(): Command {
  const program = new Command('mdc')
    .description('model-data-collector: collect, store and read production inference data')
    .version(VERSION, '-V, --version')
    .option('-w, --workspace <dir>', 'workspace folder (default: $MDC_WORKSPACE, else ./mdc-workspace)')
    .exitOverride()
    // Usage errors are printed once, with their code, by reportError().
    .configureOutput({ outputError: () => {} });
  for (const register of commands) register(program);
  for (const cmd of program.commands) cmd.exitOverride().configureOutput({ outputError: () => {} });
  return program;
}

/** Runs the CLI; returns the exit code (0 ok, 1 unexpected failure, 2 bad input or configuration). */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    return reportError(err);
  }
}

export function reportError(err: unknown): number {
  if (err instanceof CommanderError) {
    // --help and --version end through here with code 0; commander already printed usage errors.
    if (err.exitCode === 0 || err.code === 'commander.helpDisplayed' || err.code === 'commander.version')
      return 0;
    process.stderr.write(`error MDC_USAGE: ${err.message.replace(/^error: /, '')} (see mdc --help)\n`);
    return 2;
  }
  if (err instanceof MdcError) {
    process.stderr.write(`error ${err.code}: ${err.message}\n`);
    return 2;
  }
  process.stderr.write(`error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  return 1;
}

export { existingWorkspace, workspaceOption } from './commands/workspace-option.js';
