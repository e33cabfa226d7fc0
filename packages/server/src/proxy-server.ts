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
import type { BasicCorrelationContext, DataCollectorRuntime } from 'model-data-collector/internal';
import pino, { type Logger } from 'pino';
import { errors, Pool } from 'undici';
import { bodyKind } from './body.js';
import { answerClientError, clientLimits } from './client-limits.js';
import { correlationFromHeaders } from './correlation.js';
import { closeConnectionsWhileDraining } from './drain.js';
import { logDestination } from './log-format.js';
import { createMetrics, type ServerMetrics } from './metrics.js';
import { ModelIo, type ModelIoProtocol, type ParsedBody, parseBody } from './model-io/index.js';
import { PayloadLogger } from './payload-log.js';
import {
  DEFAULT_MAX_STREAM_CAPTURE_BYTES,
  isEventStream,
  isStreamedAnswer,
  StreamCapture,
} from './stream/stream-capture.js';
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
  /**
   * What is kept of one streamed answer (an event stream, or a body of unknown length) for its `response` event;
   * past it the client still gets every byte and the event says `streamstatus: truncated`. @default 16777216 (16 MiB)
   */
  readonly maxStreamCaptureBytes?: number;
  /** Longest wait for the target's response headers. @default 300000 */
  readonly upstreamTimeoutMs?: number;
  /** Connections kept to the target. @default 256 */
  readonly connections?: number;
  /** @default 'info' */
  readonly logLevel?: string;
  /**
   * Turn inference exchanges into `model_inputs` / `model_outputs` rows (when the deployment enables them).
   * @default off
   */
  readonly modelIo?: {
    readonly protocol: 'auto' | ModelIoProtocol;
    /** Column names of a 2-D input tensor or positional input rows of that width. */
    readonly featureNames?: readonly string[];
    /** Longest wait for an Open Inference Protocol model's metadata. @default 2000 */
    readonly metadataTimeoutMs?: number;
  };
}

export interface ProxyServer {
  readonly server: Server;
  readonly metrics: ServerMetrics;
  readonly payloads: PayloadLogger;
  /** Rows from inference protocols, when `modelIo` is on and the deployment collects model_inputs/outputs. */
  readonly modelIo: ModelIo | undefined;
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
  // Node already answered `100 Continue` to the client; the body is forwarded whole (undici refuses `expect`).
  'expect',
]);

const EMPTY = Buffer.alloc(0);
const { RequestAbortedError } = errors;
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
  const log: Logger = pino({ level: options.logLevel ?? 'info' }, logDestination());
  const warnCollect = throttled(10_000, (err: Error, collection: string, suppressed: number) =>
    log.warn(
      { err, collection, suppressed },
      `payload logging failed (request still proxied): ${err.message}`,
    ),
  );
  const payloads = new PayloadLogger(options.runtime, (err, c) => warnCollect(err, c));
  const pool = new Pool(target.origin, {
    connections: options.connections ?? 256,
    headersTimeout: options.upstreamTimeoutMs ?? 300_000,
    bodyTimeout: options.upstreamTimeoutMs ?? 300_000,
  });
  const basePath = target.pathname.replace(/\/$/, '');
  const warnModelIo = throttled(10_000, (message: string, suppressed: number) =>
    log.warn({ suppressed }, `model-io: ${message} (request still proxied)`),
  );
  const modelIoCandidate = options.modelIo
    ? new ModelIo({
        ...options.modelIo,
        runtime: options.runtime,
        upstream: pool,
        basePath,
        onWarning: (message) => warnModelIo(message),
      })
    : undefined;
  const modelIo = modelIoCandidate?.enabled ? modelIoCandidate : undefined;
  const streamStatuses = new Map<string, number>();
  const metrics = createMetrics(options.runtime, {
    payloadErrors: () => payloads.errors,
    streams: () => streamStatuses,
    modelIo: modelIo && (() => modelIo.stats),
  });
  metrics.ready.set(1);
  const maxCapture = options.maxCaptureBytes ?? 64 * 1024 * 1024;
  const maxStreamCapture = options.maxStreamCaptureBytes ?? DEFAULT_MAX_STREAM_CAPTURE_BYTES;
  const prefixes = options.collectPaths;
  const shouldCollect = (method: string, path: string) =>
    (payloads.enabled || modelIo !== undefined) &&
    (prefixes
      ? prefixes.some((p) => path.startsWith(p))
      : method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS');
  let inFlight = 0;

  /** Counts, measures and (when collected) logs one finished exchange. Runs once per proxied request. */
  const finish = (x: ProxyExchange) => {
    inFlight--;
    metrics.inFlight.dec();
    metrics.requests.inc({ route: 'proxy', method: x.method, status: x.status });
    const ended = process.hrtime.bigint();
    metrics.duration.observe({ route: 'proxy', method: x.method }, Number(ended - x.started) / 1e9);
    const { reqCapture, resCapture } = x;
    if (reqCapture && resCapture) {
      if (reqCapture.overflowed)
        warnCollect(new Error(`a request body over ${maxCapture} bytes was not collected`), 'request');
      if (resCapture.overflowed)
        warnCollect(new Error(`a response body over ${maxCapture} bytes was not collected`), 'response');
      const requestType = x.req.headers['content-type'];
      // With model-io on, each body is decoded and parsed once, for both payload logging and the rows; an
      // exchange sampling_rate leaves out of the rows is not parsed for them (payload logging reads its own).
      const rows = modelIo?.wants(x.correlation.id) === true;
      const request = rows ? parseBody(reqCapture.bytes()) : undefined;
      const reuse = (p: ParsedBody | undefined, type: string | undefined) =>
        p?.json === true && bodyKind(type) === 'json';
      const stream = x.stream?.finish({
        clientAborted: x.aborted,
        upstreamError: x.upstreamError,
        startedNs: x.started,
        firstByteNs: x.firstByte,
        endedNs: ended,
      });
      if (stream) streamStatuses.set(stream.status, (streamStatuses.get(stream.status) ?? 0) + 1);
      let response: ParsedBody | undefined;
      let responseBody: Uint8Array | string | undefined;
      let responseType = x.responseType;
      if (stream?.json !== undefined) {
        // An event stream is collected as JSON: the assembled completion, or the list of its events.
        response = rows
          ? { text: stream.json, json: stream.completion !== undefined, value: stream.completion }
          : undefined;
        responseBody = stream.json;
        responseType = stream.contentType;
      } else {
        const bytes = stream ? stream.body : resCapture.bytes();
        // A truncated body gives no rows, as one over --max-capture-bytes.
        response = rows ? parseBody(stream?.status === 'truncated' ? undefined : bytes) : undefined;
        responseBody = reuse(response, responseType) ? response!.text : bytes;
      }
      payloads.log({
        correlation: x.correlation,
        method: x.method,
        path: x.url,
        statusCode: x.status,
        requestBody: reuse(request, requestType) ? request!.text : reqCapture.bytes(),
        requestContentType: requestType,
        requestIsJson: reuse(request, requestType) || undefined,
        responseBody,
        responseContentType: responseType,
        responseIsJson: reuse(response, responseType) || undefined,
        responseExtensions: stream?.extensions,
      });
      // After the client's answer (the rows are made on a later turn of the event loop).
      if (rows)
        modelIo!.observe({
          wanted: true,
          correlation: x.correlation,
          path: x.url,
          status: x.status,
          request,
          response,
          binary: x.binaryBody || x.req.headers['inference-header-content-length'] !== undefined,
          aborted: x.aborted,
          authorization: x.req.headers.authorization,
          timing: {
            ttftMs: x.firstByte === 0n ? undefined : Number(x.firstByte - x.started) / 1e6,
            durationMs: Number(ended - x.started) / 1e6,
          },
        });
    }
  };
  const fail = (x: ProxyExchange, e: Error & { code?: string }) => {
    const res = x.res;
    if (!res.headersSent) {
      const timeout = e.code === 'UND_ERR_HEADERS_TIMEOUT' || e.code === 'UND_ERR_BODY_TIMEOUT';
      x.status = timeout ? 504 : 502;
      const code = timeout ? 'MDC_UPSTREAM_TIMEOUT' : 'MDC_UPSTREAM_UNAVAILABLE';
      const body = JSON.stringify({ error: { code, message: `${target.origin}: ${e.message}` } });
      x.resCapture?.reset(Buffer.from(body));
      x.responseType = 'application/json';
      res.writeHead(x.status, {
        'content-type': 'application/json',
        'x-request-id': x.correlation.xRequestId ?? x.correlation.id,
      });
      res.end(body);
      if (!x.aborted) log.warn({ err: e, target: target.origin }, `proxy: ${code}: ${e.message}`);
    } else {
      res.destroy(e);
    }
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const started = process.hrtime.bigint();
    const url = req.url ?? '/';
    const method = req.method ?? 'GET';
    if (url.startsWith(PROXY_ADMIN_PREFIX)) {
      admin(url, res, metrics).catch((err: Error) => unexpected(err, res));
      return;
    }
    const correlation = correlationFromHeaders(req.headers);
    const collect = shouldCollect(method, url);
    inFlight++;
    metrics.inFlight.inc();
    const x = new ProxyExchange(
      req,
      res,
      started,
      method,
      url,
      correlation,
      collect ? new Capture(maxCapture) : undefined,
      collect ? new Capture(maxCapture) : undefined,
      maxStreamCapture,
      finish,
      fail,
    );
    res.once('close', () => {
      if (!res.writableFinished) x.abortUpstream();
    });
    const headers = forwardHeaders(req.headers, correlation.id, req);
    const length = req.headers['content-length'];
    const hasBody = length !== undefined ? length !== '0' : req.headers['transfer-encoding'] !== undefined;
    const send = (body: Buffer | Readable | null) => {
      if (x.isDone) return;
      x.dispatched = true;
      try {
        pool.dispatch({ method: method as 'POST', path: basePath + url, headers, body }, x);
      } catch (err) {
        x.onError(err as Error);
      }
    };
    // A small body of known length is read whole and sent in one write (header and body in one packet);
    // streaming it would cost a delayed-ACK round trip per request. Large or chunked bodies stream.
    if (!hasBody) send(null);
    else if (Number(length) <= SMALL_BODY_BYTES) readSmall(req, x.reqCapture, send, (err) => x.onError(err));
    else {
      const body = Readable.from(tee(req, x.reqCapture));
      body.once('error', (err) => x.onError(err));
      send(body);
    }
  };
  const unexpected = (err: Error, res: ServerResponse) => {
    log.error({ err }, 'proxy: unexpected failure');
    res.destroy(err);
  };

  const server = createServer(clientLimits(300_000), (req, res) => {
    try {
      handle(req, res);
    } catch (err) {
      unexpected(err as Error, res);
    }
  });
  server.keepAliveTimeout = 65_000;
  server.on('clientError', answerClientError);

  let closing: Promise<void> | undefined;
  return {
    server,
    metrics,
    payloads,
    modelIo,
    async listen({ port, host }) {
      server.listen(port, host);
      await once(server, 'listening');
      return server.address() as AddressInfo;
    },
    close() {
      closing ??= (async () => {
        metrics.ready.set(0);
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        const stopDraining = closeConnectionsWhileDraining(server, 30_000);
        await closed;
        stopDraining();
        while (inFlight > 0) await new Promise((r) => setTimeout(r, 10));
        await modelIo?.idle();
        await pool.close();
        await options.runtime.shutdown();
      })();
      return closing;
    },
  };
}

/**
 * One proxied exchange, and the undici dispatch handler of its upstream request: the answer is streamed to
 * the client as it arrives (headers, then each chunk; the upstream read pauses while the client is slow),
 * without an intermediate body stream, promise or abort signal per request.
 */
class ProxyExchange {
  status = 502;
  responseType: string | undefined;
  /** The answer uses the Open Inference Protocol's binary tensor data extension. */
  binaryBody = false;
  aborted = false;
  /** The target failed after its answer had begun (the client's answer is cut short). */
  upstreamError = false;
  /** When the first body byte arrived (`process.hrtime.bigint()`), 0n before. */
  firstByte = 0n;
  /** Set for a streamed answer that is collected: keeps its record instead of {@link resCapture}. */
  stream: StreamCapture | undefined;
  private abort: ((reason?: Error) => void) | undefined;
  private done = false;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly started: bigint,
    readonly method: string,
    readonly url: string,
    readonly correlation: BasicCorrelationContext,
    readonly reqCapture: Capture | undefined,
    readonly resCapture: Capture | undefined,
    private readonly maxStreamCapture: number,
    private readonly finish: (x: ProxyExchange) => void,
    private readonly fail: (x: ProxyExchange, err: Error) => void,
  ) {}

  /** The client went away before its answer was complete: stop the upstream request. */
  abortUpstream(): void {
    if (this.done || this.aborted) return;
    this.aborted = true;
    if (this.abort) this.abort(new RequestAbortedError());
    else if (!this.dispatched) this.onError(new RequestAbortedError());
  }

  /** Whether the upstream request was handed to the pool (or the exchange ended before it could be). */
  dispatched = false;

  get isDone(): boolean {
    return this.done;
  }

  onConnect(abort: (reason?: Error) => void): void {
    if (this.aborted) abort(new RequestAbortedError());
    else this.abort = abort;
  }

  onHeaders(statusCode: number, rawHeaders: (Buffer | string)[], resume: () => void): boolean {
    if (statusCode < 200) return true; // 1xx: not forwarded (as before)
    this.status = statusCode;
    const out = responseHeaders(rawHeaders);
    this.responseType = headerValue(out['content-type']);
    this.binaryBody = out['inference-header-content-length'] !== undefined;
    if (this.resCapture && isStreamedAnswer(statusCode, this.responseType, out['content-length'])) {
      this.stream = new StreamCapture(
        isEventStream(this.responseType),
        this.maxStreamCapture,
        this.responseType,
      );
    }
    if (out['x-request-id'] === undefined)
      out['x-request-id'] = this.correlation.xRequestId ?? this.correlation.id;
    this.resume = resume;
    this.res.writeHead(statusCode, out);
    return true;
  }

  private resume: (() => void) | undefined;

  onData(chunk: Buffer): boolean {
    if (this.firstByte === 0n) this.firstByte = process.hrtime.bigint();
    let flowing: boolean;
    if (this.stream) {
      // The client gets the chunk first; it is parsed for collection after.
      flowing = this.res.write(chunk);
      this.stream.add(chunk);
    } else {
      this.resCapture?.add(chunk);
      flowing = this.res.write(chunk);
    }
    if (flowing) return true;
    // Backpressure: the upstream read pauses until the client has taken what was written.
    if (this.resume) this.res.once('drain', this.resume);
    return false;
  }

  onComplete(): void {
    if (this.done) return;
    this.done = true;
    this.res.end();
    this.finish(this);
  }

  onError(err: Error): void {
    if (this.done) return;
    this.done = true;
    if (!this.aborted && this.res.headersSent) this.upstreamError = true;
    try {
      this.fail(this, err);
    } finally {
      this.finish(this);
    }
  }
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

/** Reads a body of known small length whole, with plain listeners (no async iterator per request). */
function readSmall(
  req: IncomingMessage,
  capture: Capture | undefined,
  done: (body: Buffer) => void,
  failed: (err: Error) => void,
): void {
  let first: Buffer | undefined;
  let chunks: Buffer[] | undefined;
  req.on('data', (chunk: Buffer) => {
    capture?.add(chunk);
    if (first === undefined) first = chunk;
    else {
      chunks ??= [first];
      chunks.push(chunk);
    }
  });
  req.once('end', () => done(chunks ? Buffer.concat(chunks) : (first ?? EMPTY)));
  req.once('error', failed);
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
  for (const name in incoming) {
    const value = incoming[name];
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

/** The target's response headers (raw name/value pairs) as forwarded: lower-case names, hop-by-hop ones dropped. */
function responseHeaders(raw: readonly (Buffer | string)[]): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  let connection: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = latin1(raw[i]!).toLowerCase();
    const value = latin1(raw[i + 1]!);
    if (name === 'connection') connection = connection === undefined ? value : `${connection}, ${value}`;
    if ((HOP_BY_HOP.has(name) && name !== 'host') || name === '__proto__') continue;
    const prior = out[name];
    if (prior === undefined) out[name] = value;
    else if (typeof prior === 'string') out[name] = [prior, value];
    else prior.push(value);
  }
  if (connection !== undefined) for (const token of connectionTokens(connection)) delete out[token];
  return out;
}

const latin1Slice = (Buffer.prototype as unknown as { latin1Slice: (start: number, end: number) => string })
  .latin1Slice;

function latin1(v: Buffer | string): string {
  // Buffer's own latin1Slice: toString('latin1') without its argument checks and encoding lookup (per header).
  return typeof v === 'string' ? v : latin1Slice.call(v, 0, v.length);
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

const NO_TOKENS: ReadonlySet<string> = new Set();
/** The token sets of the Connection values seen (nearly always `keep-alive` or `close`), so each request reuses one. */
const tokenSets = new Map<string, ReadonlySet<string>>();

function connectionTokens(value: string | string[] | undefined): ReadonlySet<string> {
  if (!value) return NO_TOKENS;
  const text = Array.isArray(value) ? value.join(',') : value;
  let tokens = tokenSets.get(text);
  if (tokens === undefined) {
    tokens = new Set(text.split(',').map((t) => t.trim().toLowerCase()));
    // Values come from clients: a bounded cache.
    if (tokenSets.size >= 64) tokenSets.clear();
    tokenSets.set(text, tokens);
  }
  return tokens;
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
