// Where the server's log lines go, and in which form: one rule for mdc serve, mdc proxy and their workers.
import { InvalidEnvError } from 'model-data-collector/internal';

export const LOG_FORMATS = ['human', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/**
 * `MDC_LOG_FORMAT` (`human` or `json`; the CLI's `--log-format` sets it, so `instance_count` workers inherit it),
 * else human lines when stderr is a terminal and JSON lines (pino's) when it is not: a log collector gets JSON,
 * a person at a terminal gets text. Throws MDC_INVALID_ENV for another value.
 */
export function resolveLogFormat(
  env: NodeJS.ProcessEnv = process.env,
  isTerminal = process.stderr.isTTY === true,
): LogFormat {
  const v = env.MDC_LOG_FORMAT;
  if (v === undefined || v === '') return isTerminal ? 'human' : 'json';
  if ((LOG_FORMATS as readonly string[]).includes(v)) return v as LogFormat;
  throw new InvalidEnvError('MDC_LOG_FORMAT', `must be ${LOG_FORMATS.join(' or ')}; got "${v}"`);
}

/** A pino destination: stderr itself for JSON, or a writer that turns each JSON line into one human line. */
export function logDestination(format: LogFormat = resolveLogFormat()): { write(line: string): void } {
  if (format === 'json') return process.stderr;
  return { write: (line: string) => process.stderr.write(humanLine(line)) };
}

const LEVELS: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};
/** Fields every line has, or that the human line already shows. */
const SHOWN = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'err']);

/** `14:03:07 WARN  message key=value …`, plus the error's stack for errors (a scoring script's own bug). */
export function humanLine(json: string): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.endsWith('\n') ? json : `${json}\n`;
  }
  const level = typeof o.level === 'number' ? o.level : 30;
  const time = typeof o.time === 'number' ? new Date(o.time).toISOString().slice(11, 19) : '';
  const fields = Object.entries(o)
    .filter(([k]) => !SHOWN.has(k))
    .map(([k, v]) => ` ${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join('');
  const err = o.err as { stack?: string; message?: string; code?: string } | undefined;
  const code = err?.code ? ` (${err.code})` : '';
  const stack = level >= 50 && err?.stack ? `\n    ${err.stack.split('\n').join('\n    ')}` : '';
  return `${time} ${(LEVELS[level] ?? String(level)).padEnd(5)} ${String(o.msg ?? err?.message ?? '')}${code}${fields}${stack}\n`;
}
