import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify, {
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify';
import {
  type CorrelationContext,
  type DataCollectorRuntime,
  HttpError,
  runWithRequestContext,
} from 'model-data-collector/internal';
import { bodyKind, bodyText } from './body.js';
import { answerClientError, clientLimits } from './client-limits.js';
import { correlationFromHeaders } from './correlation.js';
import type { DeploymentPlan } from './deployment-plan.js';
import { closeConnectionsWhileDraining } from './drain.js';
import { authorize, type EndpointKeys } from './endpoint-keys.js';
import { toErrorAnswer } from './http-error.js';
import { logDestination } from './log-format.js';
import { createMetrics, type ServerMetrics } from './metrics.js';
import { type Exchange, PayloadLogger } from './payload-log.js';
import {
  isScoreResponse,
  RawJson,
  type ScoreRequestInfo,
  type ScoreResponse,
  type Scorer,
} from './scorer.js';
import { isStreamResult, type StreamResult, startStreamAnswer } from './stream/score-stream.js';
import {
  DEFAULT_MAX_STREAM_CAPTURE_BYTES,
  isEventStream,
  type StreamRecord,
} from './stream/stream-capture.js';
import { throttled } from './throttle.js';

export interface ScoreServerOptions {
  readonly plan: DeploymentPlan;
  /** The runtime payload logging (and the scorer's Collectors) write into. */
  readonly runtime: DataCollectorRuntime;
  readonly scorer: Scorer;
  /** Required when `plan.authMode` is `key`. */
  readonly keys?: EndpointKeys;
  /** Largest request body accepted; larger ones get 413. @default 104857600 (100 MiB) */
  readonly maxBodyBytes?: number;
  /** pino level of the server log (on stderr). @default 'info' */
  readonly logLevel?: string;
  /** Longest wait for in-flight requests at close() before their connections are cut. @default 30000 */
  readonly drainTimeoutMs?: number;
  /**
   * What is kept of one streamed answer (run() returned an async iterable or a Node stream) for its `response`
   * event. @default `data_collector.max_stream_capture_bytes`, else 16777216 (16 MiB)
   */
  readonly maxStreamCaptureBytes?: number;
  /** Posts answered by the data-collector sidecar next to a Python worker, by outcome (for /metrics). */
  readonly sidecarPosts?: () => ReadonlyMap<string, number>;
}

/** A running (or ready to listen) scoring server for one deployment. */
export interface ScoreServer {
  readonly app: FastifyInstance;
  readonly metrics: ServerMetrics;
  readonly payloads: PayloadLogger;
  /** True once the scorer's init() resolved, until close(). */
  readonly isReady: boolean;
  /** Listens; resolves with the bound address (port 0 picks a free port). */
  listen(options: { port: number; host: string }): Promise<AddressInfo>;
  /** Runs the scorer's init(); `/ready` answers 200 after it resolves. Throws MDC_INIT_FAILED. */
  init(): Promise<void>;
  /**
   * Drains: stops accepting, lets in-flight requests finish (up to `drainTimeoutMs`), closes the scorer and
   * flushes every collection to the datastore. Idempotent.
   */
  close(): Promise<void>;
}

const CORRELATION = Symbol('mdc.correlation');
const COLLECT = Symbol('mdc.collect');
type TaggedRequest = IncomingMessage & {
  [CORRELATION]?: CorrelationContext;
  [COLLECT]?: CollectTag;
};
/** What /score learned about the bodies while answering, so payload logging does not decode them again. */
interface CollectTag {
  /** Undefined when the body was not decoded (a scorer that takes raw bytes): payload logging checks it. */
  requestIsJson: boolean | undefined;
  responseIsJson: boolean;
  /** The request body as decoded for run() (JSON and text bodies). */
  requestText: string | undefined;
  /** run() returned a stream: its payloads are logged when it ends, not in onSend. */
  streamed?: boolean;
}

const EMPTY = Buffer.alloc(0);

/** Builds the HTTP face of `mdc serve`: `POST /score`, `GET /` (liveness), `GET /ready`, `GET /metrics`. */
export function createScoreServer(options: ScoreServerOptions): ScoreServer {
  const { plan, runtime, scorer } = options;
  if (plan.authMode === 'key' && !options.keys) throw new TypeError('auth_mode key needs the endpoint keys');
  const app = Fastify({
    logger: { level: options.logLevel ?? 'info', stream: logDestination() },
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.maxBodyBytes ?? 100 * 1024 * 1024,
    requestTimeout: 120_000,
    http: clientLimits(120_000),
    clientErrorHandler: answerClientError,
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    genReqId: (req) => {
      const c = correlationFromHeaders(req.headers);
      (req as TaggedRequest)[CORRELATION] = c;
      return c.id;
    },
  });
  const log = app.log;
  const warnCollect = throttled(10_000, (err: Error, collection: string, suppressed: number) =>
    log.warn(
      { err, collection, suppressed },
      `payload logging failed (request still answered): ${err.message}`,
    ),
  );
  const payloads = new PayloadLogger(runtime, (err, collection) => warnCollect(err, collection));
  const streamStatuses = new Map<string, number>();
  const metrics = createMetrics(runtime, {
    payloadErrors: () => payloads.errors,
    streams: () => streamStatuses,
    workerRestarts: scorer.restarts ? () => scorer.restarts! : undefined,
    sidecarPosts: options.sidecarPosts,
  });
  let ready = false;
  let closing: Promise<void> | undefined;
  let inFlight = 0;
  // A scorer that queues requests itself (the Python worker) is given them all.
  const maxConcurrent = scorer.limitsConcurrency ? undefined : plan.maxConcurrentRequests;

  // Every body arrives as bytes: payload logging stores them as sent, and /score decodes them by Content-Type.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  app.addHook('onRequest', async (request, reply) => {
    const c = (request.raw as TaggedRequest)[CORRELATION]!;
    reply.header('x-request-id', c.xRequestId ?? c.id);
    const client = request.headers['x-ms-client-request-id'];
    if (typeof client === 'string') reply.header('x-ms-client-request-id', client);
    metrics.inFlight.inc();
  });
  app.addHook('onResponse', async (request, reply) => {
    metrics.inFlight.dec();
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.requests.inc({ route, method: request.method, status: reply.statusCode });
    metrics.duration.observe({ route, method: request.method }, reply.elapsedTime / 1000);
  });

  app.setErrorHandler((err, request, reply) => {
    const answer = toErrorAnswer(err);
    if (!answer.expected) log.error({ err, reqId: request.id }, answer.body.error.message);
    if (answer.status === 401) reply.header('www-authenticate', 'Bearer');
    const tag = (request.raw as TaggedRequest)[COLLECT];
    if (tag) tag.responseIsJson = true;
    return reply.code(answer.status).type('application/json').send(JSON.stringify(answer.body));
  });
  app.setNotFoundHandler((request, reply) => {
    reply
      .code(404)
      .type('application/json')
      .send(
        JSON.stringify({
          error: {
            code: 'MDC_NOT_FOUND',
            message: `no route ${request.method} ${request.url.split('?')[0]}`,
          },
        }),
      );
  });

  app.get('/', async (_request, reply) => reply.type('text/plain; charset=utf-8').send('Healthy'));
  app.get('/ready', async (_request, reply) => {
    if (ready) return reply.type('application/json').send('{"ready":true}');
    const why = closing ? 'the deployment is shutting down' : 'init() has not finished';
    throw new HttpError('MDC_NOT_READY', 503, why);
  });
  app.get('/metrics', async (_request, reply) =>
    reply.type(metrics.registry.contentType).send(await metrics.text()),
  );

  app.route({
    method: 'POST',
    url: '/score',
    onRequest: async (request) => {
      if (plan.authMode === 'key' && !authorize(request.headers.authorization, options.keys!)) {
        throw new HttpError(
          'MDC_UNAUTHORIZED',
          401,
          'this endpoint needs Authorization: Bearer <key> (show the key with: mdc keys show)',
        );
      }
    },
    onSend: async (request, reply, payload) => {
      const tag = (request.raw as TaggedRequest)[COLLECT];
      if (tag && payloads.enabled && !tag.streamed) {
        logExchange(request, reply, tag, {
          // JSON this server serialized is logged as the string it is (well-formed, no byte order mark):
          // encoding it to UTF-8 only for payload logging to decode it again was wasted work.
          responseBody:
            typeof payload === 'string'
              ? tag.responseIsJson
                ? payload
                : Buffer.from(payload)
              : Buffer.isBuffer(payload)
                ? payload
                : EMPTY,
          responseContentType: reply.getHeader('content-type') as string | undefined,
          ...(tag.responseIsJson ? { responseIsJson: true } : {}),
        });
      }
      return payload;
    },
    handler: async (request, reply) => {
      const startedNs = process.hrtime.bigint() - BigInt(Math.round(reply.elapsedTime * 1e6));
      const raw = request.raw as TaggedRequest;
      const tag: CollectTag = { requestIsJson: false, responseIsJson: false, requestText: undefined };
      raw[COLLECT] = tag;
      if (!ready) {
        throw new HttpError(
          'MDC_NOT_READY',
          503,
          closing ? 'the deployment is shutting down' : 'the deployment is starting: init() has not finished',
        );
      }
      if (maxConcurrent !== undefined && inFlight >= maxConcurrent) {
        throw new HttpError(
          'MDC_TOO_MANY_REQUESTS',
          429,
          `more than max_concurrent_requests_per_instance (${maxConcurrent}) requests in flight`,
        );
      }
      const body = (request.body as Buffer | undefined) ?? EMPTY;
      const contentType = request.headers['content-type'];
      const data = scorer.takesRawBody
        ? { value: body, isJson: undefined, text: undefined }
        : decodeBody(body, contentType);
      tag.requestIsJson = data.isJson;
      tag.requestText = data.text;
      const info: ScoreRequestInfo = {
        id: request.id,
        method: request.method,
        path: request.url,
        query: request.query as ScoreRequestInfo['query'],
        headers: request.headers,
        contentType,
        rawBody: body,
      };
      inFlight++;
      let result: unknown;
      try {
        result = await withTimeout(
          runWithRequestContext(raw[CORRELATION]!, () => scorer.run(data.value, info)),
          plan.requestTimeoutMs,
          () => scorer.timedOut?.(info),
        );
      } finally {
        inFlight--;
      }
      const stream = streamOf(result);
      if (stream) return sendStream(request, reply, stream, tag, startedNs);
      return sendResult(reply, result, tag);
    },
  });

  type Answer = Pick<
    Exchange,
    'responseBody' | 'responseContentType' | 'responseIsJson' | 'responseExtensions'
  >;
  const logExchange = (request: FastifyRequest, reply: FastifyReply, tag: CollectTag, answer: Answer) => {
    payloads.log({
      correlation: (request.raw as TaggedRequest)[CORRELATION]!,
      method: request.method,
      path: request.url,
      statusCode: reply.statusCode,
      requestBody: tag.requestText ?? (request.body as Buffer | undefined) ?? EMPTY,
      requestContentType: request.headers['content-type'],
      requestIsJson: tag.requestIsJson,
      ...answer,
    });
  };
  const maxStreamCapture =
    options.maxStreamCaptureBytes ?? plan.maxStreamCaptureBytes ?? DEFAULT_MAX_STREAM_CAPTURE_BYTES;

  /** Sends run()'s stream as it comes; its payloads are logged once it ended (or broke). */
  const sendStream = async (
    request: FastifyRequest,
    reply: FastifyReply,
    stream: { source: StreamResult; status: number; headers: ScoreResponse['headers'] },
    tag: CollectTag,
    startedNs: bigint,
  ) => {
    reply.code(stream.status);
    for (const [name, value] of Object.entries(stream.headers ?? {})) reply.header(name, value);
    const { body, contentType } = await startStreamAnswer(stream.source, {
      contentType: reply.getHeader('content-type') as string | undefined,
      maxCaptureBytes: maxStreamCapture,
      startedNs,
      collect: payloads.enabled,
      onEnd: (record: StreamRecord | undefined) => {
        if (!record) return;
        streamStatuses.set(record.status, (streamStatuses.get(record.status) ?? 0) + 1);
        logExchange(request, reply, tag, {
          responseBody: record.json ?? record.body,
          responseContentType: record.contentType,
          responseIsJson: record.json !== undefined || undefined,
          responseExtensions: record.extensions,
        });
      },
    });
    tag.streamed = true;
    reply.type(contentType);
    if (isEventStream(contentType) && !reply.hasHeader('cache-control'))
      reply.header('cache-control', 'no-cache');
    return reply.send(body);
  };

  return {
    app,
    metrics,
    payloads,
    get isReady() {
      return ready;
    },
    async listen({ port, host }) {
      await app.listen({ port, host });
      return app.server.address() as AddressInfo;
    },
    async init() {
      await scorer.init();
      if (!closing) {
        ready = true;
        metrics.ready.set(1);
      }
    },
    close() {
      closing ??= (async () => {
        ready = false;
        metrics.ready.set(0);
        const drainTimeoutMs = options.drainTimeoutMs ?? 30_000;
        const stopDraining = closeConnectionsWhileDraining(app.server, drainTimeoutMs);
        try {
          await app.close();
        } finally {
          stopDraining();
        }
        try {
          await scorer.close();
        } catch (err) {
          log.warn({ err }, 'the scorer failed to close');
        }
        await runtime.shutdown();
      })();
      return closing;
    },
  };
}

/** run()'s answer as a stream to send as it comes, when it is one (itself or the body of a `{status, headers, body}`). */
function streamOf(
  result: unknown,
): { source: StreamResult; status: number; headers: ScoreResponse['headers'] } | undefined {
  if (isStreamResult(result)) return { source: result, status: 200, headers: undefined };
  if (isScoreResponse(result) && isStreamResult(result.body)) {
    return { source: result.body, status: result.status, headers: result.headers };
  }
  return undefined;
}

/** The body as run() gets it: parsed JSON, a string for text types, the bytes otherwise. */
function decodeBody(
  body: Buffer,
  contentType: string | undefined,
): { value: unknown; isJson: boolean; text?: string } {
  const kind = bodyKind(contentType);
  if (kind === 'binary') return { value: body, isJson: false };
  const text = bodyText(body);
  if (kind === 'text') return { value: text, isJson: false, text };
  try {
    return { value: JSON.parse(text), isJson: true, text };
  } catch (err) {
    throw new HttpError('MDC_BAD_REQUEST_BODY', 400, `the body is not valid JSON: ${(err as Error).message}`);
  }
}

async function withTimeout<T>(work: Promise<T>, ms: number, onTimeout?: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new HttpError('MDC_SCORING_TIMEOUT', 504, `run() did not answer within ${ms} ms`));
      onTimeout?.();
    }, ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function sendResult(reply: FastifyReply, result: unknown, tag: { responseIsJson: boolean }): FastifyReply {
  if (result instanceof RawJson) {
    tag.responseIsJson = true;
    return reply.type('application/json').send(result.text);
  }
  if (!isScoreResponse(result)) {
    if (Buffer.isBuffer(result) || result instanceof Uint8Array) {
      return reply.type('application/octet-stream').send(Buffer.from(result));
    }
    tag.responseIsJson = true;
    return reply.type('application/json').send(toJson(result));
  }
  reply.code(result.status);
  for (const [name, value] of Object.entries(result.headers ?? {})) reply.header(name, value);
  const hasType = reply.hasHeader('content-type');
  const body = result.body;
  if (body === undefined || body === null) return reply.send('');
  if (typeof body === 'string') {
    if (!hasType) reply.type('text/plain; charset=utf-8');
    return reply.send(body);
  }
  if (body instanceof Uint8Array) {
    if (!hasType) reply.type('application/octet-stream');
    return reply.send(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
  }
  if (!hasType) {
    reply.type('application/json');
    tag.responseIsJson = true;
  }
  return reply.send(toJson(body));
}

function toJson(value: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value ?? null);
  } catch (err) {
    throw new Error(`run() returned a value that cannot be sent as JSON: ${(err as Error).message}`);
  }
  return text ?? 'null';
}
