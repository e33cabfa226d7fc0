import { InvalidEnvError, InvalidOptionError } from './errors.js';

/**
 * Resolves one numeric setting in layers: the explicit option, then the environment variable, then the
 * default. A bad value in either place fails fast with the option or variable named.
 */
export function resolveNumber(
  name: string,
  value: number | undefined,
  envName: string,
  fallback: number,
  check: { min: number; max?: number; integer?: boolean },
  env: NodeJS.ProcessEnv = process.env,
): number {
  const ok = (n: number) =>
    Number.isFinite(n) &&
    n >= check.min &&
    (check.max === undefined || n <= check.max) &&
    (!check.integer || Number.isInteger(n));
  const range = `${check.integer ? 'an integer' : 'a number'} >= ${check.min}${check.max === undefined ? '' : ` and <= ${check.max}`}`;
  if (value !== undefined) {
    if (typeof value !== 'number' || !ok(value)) {
      throw new InvalidOptionError(`option ${name} must be ${range}; got ${JSON.stringify(value)}`);
    }
    return value;
  }
  const raw = env[envName];
  if (raw !== undefined && raw !== '') {
    const n = Number(raw);
    if (!ok(n)) throw new InvalidEnvError(envName, `must be ${range}; got "${raw}"`);
    return n;
  }
  return fallback;
}
