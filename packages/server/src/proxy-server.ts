import { once } from 'node:events';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import type { DataCollectorRuntime } from 'model-data-collector';
import pino, { type Logger } from 'pino';
import { Pool } from 'undici';
import { correlationFromHeaders } from './correlation.js';
import { createMetrics, type ServerMetrics } from './metrics.js';
import { PayloadLogger } from './payload-log.js';
import { throttled } from './throttle.js';

export interface ProxyOptions {
  /** The model server, e.g. `http://127.0.0.1:8080` (its origin; requests keep their own path). */
  readonly target: string | URL;
  /** Where `request` / `response` events go (its deployment decides which are enabled). */
  readonly runtime: DataCollectorRuntime;
  /**
   * Path prefixes whose requests are collected. @default every request except GET, HEAD and OPTIONS (health
   * checks and metrics scrapes are not inference)
   */
  readonly collectPaths?: readonly string[];
  /** A body larger than this is forwarded but not collected (counted as a collection error). @default 67108864 (64 MiB) */
  readonly maxCaptureBytes?: number;
  /** Longest wait for the target's response headers. @default 300000 */
  readonly upstreamTimeoutMs?: number;
  /** Connections kept to the target. @default 256 */
  readonly connections?: number;
  /** @default 'info' */
  readonly logLevel?: string;
}

export interface ProxyServer {
  readonly server: Server;
  readonly metrics: ServerMetrics;
  readonly payloads: PayloadLogger;
  listen(options: { port: number; host: string }): Promise<AddressInfo>;
  /** Stops accepting, waits for in-flight exchanges, closes the target pool and flushes collections. Idempotent. */
  close(): Promise<void>;
}

/** The proxy's own routes live under this prefix; everything else goes to the target. */
export const PROXY_ADMIN_PREFIX = '/-/mdc/';

// RFC 9110 §7.6.1: connection-specific headers are not forwarded.
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
]);

const EMPTY = Buffer.alloc(0);
/** Request bodies up to this size (with a Content-Length) are buffered before forwarding. */
const SMALL_BODY_BYTES = 1024 * 1024;

/**
 * A payload-logging reverse proxy: forwards each request to the target unchanged (method, path, headers,
 * streamed body) and streams the answer back unchanged, while keeping a copy of both bodies to write as
 * `request` / `response` events, exactly as `mdc serve` does.
 */
export function createProxyServer(options: ProxyOptions): ProxyServer {
  const target = new URL(options.target);
  if (target.protocol !== 'http:' && target.protocol !== 'https:') {
    throw new TypeError(`--target must be an http(s) URL; got ${target.href}`);
  }
  const log: Logger = pino({ level: options.logLevel ?? 'info' }, pino.destination(2));
  const warnCollect = throttled(10_000, (err: Error, collection: string, suppressed: number) =>
    log.warn(
      { err, collection, suppressed },
      `payload logging failed (request still proxied): ${err.message}`,
    ),
  );
  const payloads = new PayloadLogger(options.runtime, (err, c) => warnCollect(err, c));
  const metrics = createMetrics(options.runtime, { payloadErrors: () => payloads.errors });
  metrics.ready.set(1);
  const pool = new Pool(target.origin, {
    connections: options.connections ?? 256,
    headersTimeout: options.upstreamTimeoutMs ?? 300_000,
    bodyTimeout: options.upstreamTimeoutMs ?? 300_000,
  });
  const maxCapture = options.maxCaptureBytes ?? 64 * 1024 * 1024;
  const prefixes = options.collectPaths;
  const shouldCollect = (method: string, path: string) =>
    payloads.enabled &&
    (prefixes
      ? prefixes.some((p) => path.startsWith(p))
      : method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS');
  const basePath = target.pathname.replace(/\/$/, '');
  let inFlight = 0;

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const started = process.hrtime.bigint();
    const url = req.url ?? '/';
    const method = req.method ?? 'GET';
    if (url.startsWith(PROXY_ADMIN_PREFIX)) return admin(url, res, metrics);
    const correlation = correlationFromHeaders(req.headers);
    const collect = shouldCollect(method, url);
    const reqCapture = collect ? new Capture(maxCapture) : undefined;
    const resCapture = collect ? new Capture(maxCapture) : undefined;
    const abort = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) abort.abort();
    });
    let status = 502;
    let responseType: string | undefined;
    inFlight++;
    metrics.inFlight.inc();
    try {
      const headers = forwardHeaders(req.headers, correlation.id, req);
      const length = req.headers['content-length'];
      const hasBody = length !== undefined ? length !== '0' : req.headers['transfer-encoding'] !== undefined;
      // A small body of known length is read whole and sent in one write (header and body in one packet);
      // streaming it would cost a delayed-ACK round trip per request. Large or chunked bodies stream.
      const small = length !== undefined && Number(length) <= SMALL_BODY_BYTES;
      const upstream = await pool.request({
        method: method as 'POST',
        path: basePath + url,
        headers,
        body: !hasBody
          ? null
          : small
            ? await readSmall(req, reqCapture)
            : Readable.from(tee(req, reqCapture)),
        signal: abort.signal,
      });
      status = upstream.statusCode;
      const out = responseHeaders(upstream.headers);
      responseType = headerValue(out['content-type']);
      if (out['x-request-id'] === undefined) out['x-request-id'] = correlation.xRequestId ?? correlation.id;
      res.writeHead(status, out);
      for await (const chunk of upstream.body as AsyncIterable<Buffer>) {
        resCapture?.add(chunk);
        if (!res.write(chunk)) await once(res, 'drain');
      }
      res.end();
    } catch (err) {
      const e = err as Error & { code?: string };
      if (!res.headersSent) {
        const timeout = e.code === 'UND_ERR_HEADERS_TIMEOUT' || e.code === 'UND_ERR_BODY_TIMEOUT';
        status = timeout ? 504 : 502;
        const code = timeout ? 'MDC_UPSTREAM_TIMEOUT' : 'MDC_UPSTREAM_UNAVAILABLE';
        const body = JSON.stringify({ error: { code, message: `${target.origin}: ${e.message}` } });
        resCapture?.reset(Buffer.from(body));
        responseType = 'application/json';
        res.writeHead(status, {
          'content-type': 'application/json',
          'x-request-id': correlation.xRequestId ?? correlation.id,
        });
        res.end(body);
        if (!abort.signal.aborted)
          log.warn({ err: e, target: target.origin }, `proxy: ${code}: ${e.message}`);
      } else {
        res.destroy(e);
      }
    } finally {
      inFlight--;
      metrics.inFlight.dec();
      metrics.requests.inc({ route: 'proxy', method, status });
      metrics.duration.observe({ route: 'proxy', method }, Number(process.hrtime.bigint() - started) / 1e9);
    }
    if (reqCapture && resCapture) {
      for (const [c, name] of [
        [reqCapture, 'request'],
        [resCapture, 'response'],
      ] as const) {
        if (c.overflowed)
          warnCollect(new Error(`a ${name} body over ${maxCapture} bytes was not collected`), name);
      }
      payloads.log({
        correlation,
        method,
        path: url,
        statusCode: status,
        requestBody: reqCapture.bytes(),
        requestContentType: req.headers['content-type'],
        responseBody: resCapture.bytes(),
        responseContentType: responseType,
      });
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: Error) => {
      log.error({ err }, 'proxy: unexpected failure');
      res.destroy(err);
    });
  });
  server.keepAliveTimeout = 65_000;

  let closing: Promise<void> | undefined;
  return {
    server,
    metrics,
    payloads,
    async listen({ port, host }) {
      server.listen(port, host);
      await once(server, 'listening');
      return server.address() as AddressInfo;
    },
    close() {
      closing ??= (async () => {
        metrics.ready.set(0);
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        // Connections that were busy close as soon as their exchange ends.
        const idle = setInterval(() => server.closeIdleConnections(), 50);
        const cut = setTimeout(() => server.closeAllConnections(), 30_000);
        await closed;
        clearInterval(idle);
        clearTimeout(cut);
        while (inFlight > 0) await new Promise((r) => setTimeout(r, 10));
        await pool.close();
        await options.runtime.shutdown();
      })();
      return closing;
    },
  };
}

/** Keeps a copy of a body up to a size bound. */
class Capture {
  private chunks: Buffer[] = [];
  private size = 0;
  overflowed = false;
  constructor(private readonly max: number) {}
  add(chunk: Buffer): void {
    if (this.overflowed) return;
    this.size += chunk.length;
    if (this.size > this.max) {
      this.overflowed = true;
      this.chunks = [];
      return;
    }
    this.chunks.push(chunk);
  }
  reset(body: Buffer): void {
    this.chunks = [body];
    this.size = body.length;
    this.overflowed = false;
  }
  /** The body, or undefined when it was too large to keep. */
  bytes(): Buffer | undefined {
    if (this.overflowed) return undefined;
    return this.chunks.length === 1
      ? this.chunks[0]!
      : this.chunks.length === 0
        ? EMPTY
        : Buffer.concat(this.chunks);
  }
}

async function readSmall(req: IncomingMessage, capture: Capture | undefined): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    capture?.add(chunk);
    chunks.push(chunk);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

async function* tee(req: IncomingMessage, capture: Capture | undefined): AsyncGenerator<Buffer> {
  for await (const chunk of req as AsyncIterable<Buffer>) {
    capture?.add(chunk);
    yield chunk;
  }
}

function forwardHeaders(
  incoming: IncomingHttpHeaders,
  id: string,
  req: IncomingMessage,
): Record<string, string | string[]> {
  const dropped = connectionTokens(incoming.connection);
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined || HOP_BY_HOP.has(name) || dropped.has(name)) continue;
    out[name] = value;
  }
  out['x-request-id'] ??= id;
  if (incoming.host) out['x-forwarded-host'] ??= incoming.host;
  const peer = req.socket.remoteAddress;
  if (peer) {
    const prior = incoming['x-forwarded-for'];
    out['x-forwarded-for'] = prior ? `${prior}, ${peer}` : peer;
  }
  out['x-forwarded-proto'] ??= 'http';
  return out;
}

function responseHeaders(
  incoming: Record<string, string | string[] | undefined>,
): Record<string, string | string[]> {
  const dropped = connectionTokens(incoming.connection);
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined || (HOP_BY_HOP.has(name) && name !== 'host') || dropped.has(name)) continue;
    out[name] = value;
  }
  return out;
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function connectionTokens(value: string | string[] | undefined): Set<string> {
  if (!value) return new Set();
  const text = Array.isArray(value) ? value.join(',') : value;
  return new Set(text.split(',').map((t) => t.trim().toLowerCase()));
}

async function admin(url: string, res: ServerResponse, metrics: ServerMetrics): Promise<void> {
  const path = url.split('?')[0];
  if (path === `${PROXY_ADMIN_PREFIX}metrics`) {
    const text = await metrics.text();
    res.writeHead(200, { 'content-type': metrics.registry.contentType });
    res.end(text);
    return;
  }
  if (path === `${PROXY_ADMIN_PREFIX}health`) {
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('Healthy');
    return;
  }
  res.writeHead(404, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: { code: 'MDC_NOT_FOUND', message: `no proxy route ${path}` } }));
}
