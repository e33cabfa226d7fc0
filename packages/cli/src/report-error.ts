import { CommanderError } from 'commander';
import { MdcError } from 'model-data-collector/internal';

/** Prints an error as mdc does (`error CODE: message` on stderr) and returns the exit code: 2 bad input, 1 otherwise. */
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
