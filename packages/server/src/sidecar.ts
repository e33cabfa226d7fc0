import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  BasicCorrelationContext,
  type Collection,
  type DataCollectorRuntime,
  HttpError,
  MdcError,
} from 'model-data-collector/internal';
import { bodyText, mediaType } from './body.js';
import { answerClientError, clientLimits } from './client-limits.js';
import { closeConnectionsWhileDraining } from './drain.js';
import { toErrorAnswer } from './http-error.js';

/** How long the rest of a too-large body is read and discarded before its connection is cut. */
const LINGER_MS = 2000;

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
  /** Answers `GET /metrics` (the standalone `mdc sidecar`). */
  readonly metrics?: () => Promise<{ contentType: string; text: string }>;
}

/** Counters of the posts a sidecar answered, by outcome (`accepted` or an error code). */
export type SidecarCounts = Map<string, number>;

/** The data-collector sidecar: `POST /modeldata/log` turned into events of the runtime's collections. */
export interface Sidecar {
  readonly server: Server;
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

const ACCEPTED = Buffer.from('{"status":"accepted"}');

/**
 * Builds the sidecar that azureml-ai-monitoring's `Collector` posts to (see docs/python.md). Each accepted post
 * becomes one event of the collection named by `ce-type`, with `correlationid` = `xrequestid` = `ce-x-request-id`,
 * `time` from `ce-time`, and `agent`, `modelversion`, `collectdatatype` from their headers; it then goes through the
 * runtime's pipeline like any other event (sampling, rolling, offload, datastores, spool). Bad posts get a coded 4xx.
 * Plain `node:http`: one route, and a framework's request cycle alone kept ingest below its target
 * (docs/performance.md).
 */
export function createSidecar(options: SidecarOptions): Sidecar {
  const { runtime } = options;
  const maxBodyBytes = options.maxBodyBytes ?? 100 * 1024 * 1024;
  const counts: SidecarCounts = new Map();
  const count = (outcome: string) => counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
  let lastPostAt = 0;
  let inFlight = 0;
  let closing: Promise<void> | undefined;

  const answer = (res: ServerResponse, status: number, type: string, body: Buffer | string) => {
    res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };
  const fail = (res: ServerResponse, err: unknown) => {
    const a = toErrorAnswer(err);
    if (a.status >= 500)
      process.emitWarning(`mdc sidecar: ${a.body.error.message}`, { code: a.body.error.code });
    count(a.body.error.code);
    answer(res, a.status, 'application/json', JSON.stringify(a.body));
  };

  const server = createServer(clientLimits(300_000), (req, res) => {
    const path = req.url?.split('?')[0];
    if (req.method === 'POST' && path === SIDECAR_PATH) {
      inFlight++;
      res.once('close', () => {
        inFlight--;
        lastPostAt = Date.now();
      });
      const declared = Number(req.headers['content-length'] ?? 0);
      if (declared > maxBodyBytes) {
        res.setHeader('connection', 'close');
        fail(res, tooLarge(maxBodyBytes));
        req.resume();
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBodyBytes) {
          res.setHeader('connection', 'close');
          fail(res, tooLarge(maxBodyBytes));
          // A lingering close: the rest of the body is read and discarded for a moment, so the client reads the
          // 413 before the connection goes (destroyed at once, the unread bytes made the kernel reset it, and a
          // client still sending could lose the answer); then it is cut, so no client can hold it by sending.
          chunks.length = 0;
          req.removeAllListeners('data');
          req.resume();
          setTimeout(() => req.destroy(), LINGER_MS).unref();
          return;
        }
        chunks.push(chunk);
      });
      req.once('end', () => {
        if (res.headersSent) return;
        try {
          accept(req.headers, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
          count('accepted');
          answer(res, 200, 'application/json', ACCEPTED);
        } catch (err) {
          fail(res, err);
        }
      });
      return;
    }
    if (req.method === 'GET' && path === '/') return answer(res, 200, 'text/plain; charset=utf-8', 'Healthy');
    if (req.method === 'GET' && path === '/metrics' && options.metrics) {
      options.metrics().then(
        (m) => answer(res, 200, m.contentType, m.text),
        (err) => fail(res, err),
      );
      return;
    }
    req.resume();
    fail(
      res,
      new HttpError(
        'MDC_NOT_FOUND',
        404,
        `no route ${req.method} ${path} (the sidecar answers POST ${SIDECAR_PATH})`,
      ),
    );
  });

  server.on('clientError', answerClientError);

  /** One post: its collection, correlation and time from the headers, its data from the body. */
  function accept(h: IncomingHttpHeaders, body: Buffer): void {
    const collection = collectionOf(runtime, header(h['ce-type']));
    const id = header(h['ce-x-request-id']);
    const correlation = new BasicCorrelationContext(id === undefined || id === '' ? undefined : id);
    const time = timeOf(header(h['ce-time']));
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
  }

  return {
    server,
    counts,
    get lastPostAt() {
      return lastPostAt;
    },
    get inFlight() {
      return inFlight;
    },
    async listen({ port, host }) {
      server.listen(port, host);
      await once(server, 'listening');
      return server.address() as AddressInfo;
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
      closing ??= new Promise<void>((resolve) => {
        if (!server.listening) return resolve();
        const stopDraining = closeConnectionsWhileDraining(server, 30_000);
        server.close(() => {
          stopDraining();
          resolve();
        });
      });
      return closing;
    },
  };
}

function tooLarge(max: number): HttpError {
  return new HttpError(
    'MDC_PAYLOAD_TOO_LARGE',
    413,
    `the post is larger than ${max} bytes (--max-body-bytes)`,
  );
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
