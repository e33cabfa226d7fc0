import { type ServerOptions, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { InvalidOptionError } from 'model-data-collector/internal';

/** How long a client may take to send its request headers: slowloris clients are cut after this. @default 30000 */
export const HEADERS_TIMEOUT_ENV = 'MDC_HEADERS_TIMEOUT_MS';
const DEFAULT_HEADERS_TIMEOUT_MS = 30_000;

/** The headers timeout: the explicit option, else `MDC_HEADERS_TIMEOUT_MS`, else 30 s. */
export function resolveHeadersTimeoutMs(option?: number, env: NodeJS.ProcessEnv = process.env): number {
  if (option !== undefined) return option;
  const v = env[HEADERS_TIMEOUT_ENV];
  if (v === undefined || v === '') return DEFAULT_HEADERS_TIMEOUT_MS;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1)
    throw new InvalidOptionError(
      `${HEADERS_TIMEOUT_ENV} must be a positive number of milliseconds; got "${v}"`,
    );
  return n;
}

/** The coded answer to a request Node's HTTP parser refused before any route saw it. */
export function clientErrorAnswer(err: Error & { code?: string }): {
  status: number;
  code: string;
  message: string;
} {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, code: 'MDC_HEADERS_TOO_LARGE', message: 'the request headers are too large' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, code: 'MDC_REQUEST_TIMEOUT', message: 'the request was not received in time' };
    default:
      return {
        status: 400,
        code: 'MDC_BAD_HTTP',
        message: `not a well-formed HTTP/1.1 request (${err.code ?? err.message})`,
      };
  }
}

/** Answers what Node's HTTP parser refuses with a coded JSON error and closes the connection. */
export function answerClientError(err: Error & { code?: string }, socket: Duplex): void {
  // A connection the client already dropped, or one whose response has begun: nothing can be said on it.
  if (err.code === 'ECONNRESET' || !socket.writable || (socket as { _httpMessage?: unknown })._httpMessage) {
    socket.destroy();
    return;
  }
  const a = clientErrorAnswer(err);
  const body = JSON.stringify({ error: { code: a.code, message: a.message } });
  socket.end(
    `HTTP/1.1 ${a.status} ${STATUS_CODES[a.status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/**
 * Server options that bound what a slow client can hold: its headers within `MDC_HEADERS_TIMEOUT_MS` (slowloris),
 * the whole request within `requestTimeoutMs`. Pair with {@link answerClientError} on `clientError`.
 */
export function clientLimits(requestTimeoutMs: number, headersTimeoutMs?: number): ServerOptions {
  const headersTimeout = resolveHeadersTimeoutMs(headersTimeoutMs);
  return {
    headersTimeout,
    requestTimeout: Math.max(requestTimeoutMs, headersTimeout),
    // Node checks both timeouts on this period (30 s by default): a short headers timeout needs a short check.
    connectionsCheckingInterval: Math.min(30_000, Math.max(250, Math.floor(headersTimeout / 4))),
  };
}
