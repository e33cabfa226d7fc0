import { HttpError, MdcError } from 'model-data-collector/internal';

/** HTTP status of each error code the API can answer with; codes not listed are 500. */
const STATUS: Readonly<Record<string, number>> = {
  MDC_INVALID_QUERY_PARAM: 400,
  MDC_INVALID_PATH: 400,
  MDC_INVALID_TIME_RANGE: 400,
  MDC_INVALID_OPTION: 400,
  MDC_AMBIGUOUS_COLLECTION: 400,
  MDC_QUERY_FAILED: 400,
  MDC_UNAUTHORIZED: 401,
  MDC_NOT_FOUND: 404,
  MDC_PATH_NOT_FOUND: 404,
  MDC_UNKNOWN_ASSET: 404,
  MDC_UNKNOWN_DATASTORE: 404,
  MDC_MISSING_PACKAGE: 501,
  MDC_READ_FAILED: 502,
};

/** The status and JSON body an error is answered with. */
export function errorAnswer(err: unknown): {
  status: number;
  body: { error: { code: string; message: string } };
} {
  if (err instanceof HttpError)
    return { status: err.statusCode, body: { error: { code: err.code, message: err.message } } };
  if (err instanceof MdcError)
    return { status: STATUS[err.code] ?? 500, body: { error: { code: err.code, message: err.message } } };
  // fastify's own errors (a malformed URL, a bad content type) carry a 4xx statusCode.
  const status = (err as { statusCode?: number }).statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500)
    return {
      status,
      body: {
        error: {
          code: status === 404 ? 'MDC_NOT_FOUND' : 'MDC_INVALID_QUERY_PARAM',
          message: (err as Error).message,
        },
      },
    };
  return {
    status: 500,
    body: { error: { code: 'MDC_INTERNAL', message: err instanceof Error ? err.message : String(err) } },
  };
}

export function badParam(name: string, detail: string): HttpError {
  return new HttpError('MDC_INVALID_QUERY_PARAM', 400, `query parameter "${name}": ${detail}`);
}

/** The query string as the routes read it: every parameter may be repeated. */
export type Query = Readonly<Record<string, string | string[] | undefined>>;

/** One value of a parameter (the last when repeated), or undefined. */
export function one(q: Query, name: string): string | undefined {
  const v = q[name];
  return Array.isArray(v) ? v.at(-1) : v;
}

/** Every value of a repeated parameter. */
export function all(q: Query, name: string): string[] {
  const v = q[name];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** An integer parameter within [min, max], or the default. */
export function intParam(q: Query, name: string, def: number, min: number, max: number): number {
  const v = one(q, name);
  if (v === undefined || v === '') return def;
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < min || n > max)
    throw badParam(name, `must be an integer from ${min} to ${max}; got "${v}"`);
  return n;
}

/**
 * A path inside a datastore as the user's browser sent it: `/`-separated, relative, no `..`, no backslash,
 * no NUL. Anything else is refused before it reaches a storage.
 */
export function datastorePath(q: Query, name = 'path'): string {
  const raw = one(q, name) ?? '';
  if (raw.includes('\0') || raw.includes('\\')) throw badParam(name, 'must not contain NUL or backslash');
  if (raw.startsWith('/') || /^[a-z]:/i.test(raw)) throw badParam(name, 'must be relative to the datastore');
  const parts = raw.split('/').filter((s) => s !== '' && s !== '.');
  if (parts.includes('..')) throw badParam(name, '".." is not allowed');
  return parts.join('/');
}
