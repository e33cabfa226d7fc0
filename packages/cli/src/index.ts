import { Command } from 'commander';
import { VERSION } from 'model-data-collector/internal';
import { commands } from './commands/index.js';
import { reportError } from './report-error.js';

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
