import { UsageError } from 'model-data-collector/internal';

/** A commander parser for an integer flag within [min, max]; a bad value fails with MDC_USAGE naming the flag. */
export function intOption(
  flag: string,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new UsageError(`${flag} must be an integer from ${min} to ${max}; got "${value}"`);
    }
    return n;
  };
}

/**
 * Ends a long-running command (serve, proxy) with `code` once it has drained and flushed: a scoring script's
 * stray timer or socket must not keep the process alive.
 */
export function exitWhenDone(code: number): void {
  process.exitCode = code;
  setTimeout(() => process.exit(code), 1000).unref();
}

/**
 * `--log-format human|json` of serve and proxy: passed on as MDC_LOG_FORMAT, which the server's logger reads
 * (so `instance_count` workers, separate processes, log the same way). Without it the server decides.
 */
export function logFormat(value: string | undefined): void {
  if (value === undefined) return;
  if (value !== 'human' && value !== 'json') {
    throw new UsageError(`--log-format must be human or json; got "${value}"`);
  }
  process.env.MDC_LOG_FORMAT = value;
}
