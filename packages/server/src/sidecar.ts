import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance, LogController } from 'fastify';
import {
  BasicCorrelationContext,
  type Collection,
  type DataCollectorRuntime,
  HttpError,
  MdcError,
} from 'model-data-collector';
import { bodyText, mediaType } from './body.js';
import { closeConnectionsWhileDraining } from './drain.js';
import { toErrorAnswer } from './http-error.js';

/** The route azureml-ai-monitoring posts every collect() call to. */
export const SIDECAR_PATH = '/modeldata/log';
/** The port azureml-ai-monitoring posts to when `AZUREML_MDC_PORT` is not set. */
export const DEFAULT_SIDECAR_PORT = 50011;
const TYPE_PREFIX = 'azureml.inference.';

export interface SidecarOptions {
  /** The runtime events go into (its deployment decides which collections are enabled). */
  readonly runtime: DataCollectorRuntime;
  /** Largest post accepted; larger ones get 413. @default 104857600 (100 MiB) */
  readonly maxBodyBytes?: number;
  /** pino level of the sidecar's own log (on stderr). @default 'warn' */
  readonly logLevel?: string;
}

/** Counters of the posts a sidecar answered, by outcome (`accepted` or an error code). */
export type SidecarCounts = Map<string, number>;

/** The data-collector sidecar: `POST /modeldata/log` turned into events of the runtime's collections. */
export interface Sidecar {
  readonly app: FastifyInstance;
  readonly counts: SidecarCounts;
  /** Time (ms since the epoch) of the last post answered, 0 before the first. */
  readonly lastPostAt: number;
  /** Posts being handled right now. */
  readonly inFlight: number;
  listen(options: { port: number; host: string }): Promise<AddressInfo>;
  /**
   * Resolves once no post has arrived for `quietMs` since the call or the last post (or `maxMs` passed): a
   * client's background sender (the Python package posts from a thread) gets to deliver what it queued before
   * the process behind it ends.
   */
  settle(quietMs?: number, maxMs?: number): Promise<void>;
  /** Stops listening (in-flight posts finish). Idempotent; does not shut the runtime down. */
  close(): Promise<void>;
}

/**
 * Builds the sidecar that azureml-ai-monitoring's `Collector` posts to (see docs/python.md). Each accepted post
 * becomes one event of the collection named by `ce-type`, with `correlationid` = `xrequestid` = `ce-x-request-id`,
 * `time` from `ce-time`, and `agent`, `modelversion`, `collectdatatype` from their headers; it then goes through the
 * runtime's pipeline like any other event (sampling, rolling, offload, datastores, spool). Bad posts get a coded 4xx.
 */
export function createSidecar(options: SidecarOptions): Sidecar {
  const { runtime } = options;
  const counts: SidecarCounts = new Map();
  const count = (outcome: string) => counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
  let lastPostAt = 0;
  let inFlight = 0;
  let closing: Promise<void> | undefined;
  const app = Fastify({
    logger: { level: options.logLevel ?? 'warn', stream: process.stderr },
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.maxBodyBytes ?? 100 * 1024 * 1024,
    forceCloseConnections: 'idle',
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  app.setErrorHandler((err, request, reply) => {
    const answer = toErrorAnswer(err);
    if (answer.status >= 500) app.log.error({ err, url: request.url }, answer.body.error.message);
    count(answer.body.error.code);
    return reply.code(answer.status).type('application/json').send(JSON.stringify(answer.body));
  });
  app.setNotFoundHandler((request, reply) => {
    count('MDC_NOT_FOUND');
    reply
      .code(404)
      .type('application/json')
      .send(
        JSON.stringify({
          error: {
            code: 'MDC_NOT_FOUND',
            message: `no route ${request.method} ${request.url.split('?')[0]} (the sidecar answers POST ${SIDECAR_PATH})`,
          },
        }),
      );
  });
  app.addHook('onRequest', async () => {
    inFlight++;
  });
  app.addHook('onResponse', async () => {
    inFlight--;
    lastPostAt = Date.now();
  });

  app.get('/', async (_request, reply) => reply.type('text/plain; charset=utf-8').send('Healthy'));
  app.post(SIDECAR_PATH, async (request, reply) => {
    const h = request.headers;
    const collection = collectionOf(runtime, header(h['ce-type']));
    const id = header(h['ce-x-request-id']);
    const correlation = new BasicCorrelationContext(id === undefined || id === '' ? undefined : id);
    const time = timeOf(header(h['ce-time']));
    const body = (request.body as Buffer | undefined) ?? Buffer.alloc(0);
    const type = mediaType(h['content-type']);
    let json: string | undefined;
    let raw: Buffer | undefined;
    if (type === 'application/json' || type === '') {
      json = jsonData(body);
    } else if (type === 'application/octet-stream') {
      raw = body;
    } else {
      throw new HttpError(
        'MDC_UNSUPPORTED_MEDIA_TYPE',
        415,
        `Content-Type ${type} is not accepted: post application/json (DataFrame.to_json(orient="records")) or application/octet-stream (the compact format)`,
      );
    }
    try {
      if (collection.accepts(correlation.id)) {
        collection.emit({
          correlation,
          json,
          raw,
          contentType: raw ? 'application/octet-stream' : 'application/json',
          collectDataType: header(h['ce-collect-data-type']),
          agent: header(h['ce-agent']),
          modelVersion: header(h['ce-model-version']),
          time,
        });
      }
    } catch (err) {
      // A full queue (counted as dropped in the collection's stats) or a runtime shutting down: the client may retry.
      if (err instanceof MdcError && !(err instanceof HttpError))
        throw new HttpError(err.code, 503, err.message, { cause: err });
      throw err;
    }
    count('accepted');
    return reply.code(200).type('application/json').send('{"status":"accepted"}');
  });

  return {
    app,
    counts,
    get lastPostAt() {
      return lastPostAt;
    },
    get inFlight() {
      return inFlight;
    },
    async listen({ port, host }) {
      await app.listen({ port, host });
      return app.server.address() as AddressInfo;
    },
    async settle(quietMs = 300, maxMs = 5000) {
      const start = Date.now();
      const deadline = start + maxMs;
      for (;;) {
        // Quiet since the call, too: a post still on its way has not arrived yet when the last request ends.
        const quietFor = Date.now() - Math.max(lastPostAt, start);
        if ((inFlight === 0 && quietFor >= quietMs) || Date.now() >= deadline) return;
        await new Promise((r) => setTimeout(r, Math.min(50, quietMs)));
      }
    },
    close() {
      closing ??= (async () => {
        const stopDraining = closeConnectionsWhileDraining(app.server, 30_000);
        try {
          await app.close();
        } finally {
          stopDraining();
        }
      })();
      return closing;
    },
  };
}

function header(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** The enabled collection a `ce-type` names (exact name first, then ignoring case, as the package lower-cases names). */
function collectionOf(runtime: DataCollectorRuntime, ceType: string | undefined): Collection {
  if (ceType === undefined || !ceType.startsWith(TYPE_PREFIX) || ceType.length === TYPE_PREFIX.length) {
    throw new HttpError(
      'MDC_BAD_EVENT_HEADER',
      400,
      `header ce-type must be ${TYPE_PREFIX}<collection>; got ${ceType === undefined ? 'none' : JSON.stringify(ceType)}`,
    );
  }
  const asked = ceType.slice(TYPE_PREFIX.length);
  if (!/^[A-Za-z0-9_.-]+$/.test(asked) || asked === '.' || asked === '..') {
    throw new HttpError(
      'MDC_BAD_EVENT_HEADER',
      400,
      `ce-type names an invalid collection ${JSON.stringify(asked)}`,
    );
  }
  const configured = runtime.deployment?.collections;
  if (!configured) return runtime.collection(asked);
  const name = configured.has(asked)
    ? asked
    : [...configured.keys()].find((n) => n.toLowerCase() === asked.toLowerCase());
  if (name === undefined || configured.get(name)?.enabled !== true) {
    const on = [...configured].filter(([, c]) => c.enabled).map(([n]) => n);
    throw new HttpError(
      'MDC_COLLECTION_DISABLED',
      404,
      `collection ${asked} is not enabled in ${runtime.deployment?.file ?? 'the deployment'} ` +
        `(enabled: ${on.length ? on.join(', ') : 'none'}); add data_collector.collections.${asked}.enabled: 'True'`,
    );
  }
  return runtime.collection(name);
}

/** `ce-time` (integer seconds since the epoch) in ms; undefined (now) when absent. */
function timeOf(v: string | undefined): number | undefined {
  if (v === undefined || v === '') return undefined;
  const seconds = Number(v);
  // Years 2000..2200: a ce-time in milliseconds or garbage would otherwise file the event decades away.
  if (!Number.isFinite(seconds) || seconds < 946_684_800 || seconds > 7_258_118_400) {
    throw new HttpError(
      'MDC_BAD_EVENT_HEADER',
      400,
      `header ce-time must be seconds since the epoch; got ${JSON.stringify(v)}`,
    );
  }
  return Math.floor(seconds) * 1000;
}

/** The body as the event's `data`: valid JSON, on one line. */
function jsonData(body: Buffer): string {
  const text = bodyText(body);
  if (text.length === 0) {
    throw new HttpError('MDC_BAD_REQUEST_BODY', 400, 'the body is empty: post the rows as JSON');
  }
  try {
    JSON.parse(text);
  } catch (err) {
    throw new HttpError('MDC_BAD_REQUEST_BODY', 400, `the body is not valid JSON: ${(err as Error).message}`);
  }
  // Line breaks outside strings are whitespace (inside strings JSON escapes them): one event stays one line.
  return text.indexOf('\n') === -1 && text.indexOf('\r') === -1 ? text : text.replace(/[\r\n]/g, ' ');
}
