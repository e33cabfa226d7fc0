import type { IncomingHttpHeaders } from 'node:http';

/** What a scorer gets besides the decoded body: the request as the client sent it. */
export interface ScoreRequestInfo {
  /** The correlation id of the request (also `x-request-id` of the response). */
  readonly id: string;
  readonly method: string;
  /** Path and query string. */
  readonly path: string;
  readonly query: Readonly<Record<string, string | string[] | undefined>>;
  readonly headers: IncomingHttpHeaders;
  readonly contentType: string | undefined;
  readonly rawBody: Buffer;
}

/** A full HTTP answer a scoring script may return from run() instead of a plain value. */
export interface ScoreResponse {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string | number | readonly string[]>>;
  /** A string (text/plain unless a content-type header says otherwise), bytes, or a value sent as JSON. */
  readonly body?: unknown;
}

/** A body that is JSON text already (a Python worker's answer): sent as it is, with no second serialization. */
export class RawJson {
  constructor(readonly text: string) {}
}

/** Something that answers `POST /score`: a scoring script, or the built-in ONNX / MLflow scorer. */
export interface Scorer {
  /** `script` or `onnx`, for the start-up line. */
  readonly kind: string;
  /** What is being served, for the start-up line. */
  readonly description: string;
  /** Loads the model (the script's init()); the deployment turns ready when it resolves. */
  init(): Promise<void>;
  /** Scores one request; resolves with a plain value (sent as JSON) or a {@link ScoreResponse}. */
  run(data: unknown, request: ScoreRequestInfo): Promise<unknown>;
  /** Releases resources at shutdown (a script's optional `shutdown()` export). */
  close(): Promise<void>;
  /** run() gets the body's bytes undecoded (a Python script decodes the text itself, as under Azure's server). */
  readonly takesRawBody?: boolean;
  /** The scorer queues requests beyond its own concurrency limit, so the server does not answer 429 for it. */
  readonly limitsConcurrency?: boolean;
  /** Told when the server answered 504 for a request still in run(). */
  timedOut?(request: ScoreRequestInfo): void;
  /** Restarts of the scorer's worker process by reason, for /metrics. */
  readonly restarts?: ReadonlyMap<string, number>;
}

const RESPONSE_KEYS = new Set(['status', 'headers', 'body']);

/** True when run() returned a full response: `{status, headers?, body?}` and nothing else, status 100..599. */
export function isScoreResponse(v: unknown): v is ScoreResponse {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Uint8Array) return false;
  const o = v as Record<string, unknown>;
  if (!Number.isInteger(o.status) || (o.status as number) < 100 || (o.status as number) > 599) return false;
  return Object.keys(o).every((k) => RESPONSE_KEYS.has(k));
}
