import type { Collection, CorrelationContext, DataCollectorRuntime } from 'model-data-collector/internal';
import { payloadData } from './body.js';

/** Name of the CloudEvents extension attribute holding the HTTP status of the exchange (request and response events). */
export const STATUS_ATTRIBUTE = 'statuscode';

/** One finished HTTP exchange, as payload logging records it. */
export interface Exchange {
  readonly correlation: CorrelationContext;
  readonly method: string;
  /** Path and query, as the client sent them. */
  readonly path: string;
  readonly statusCode: number;
  /**
   * Undefined when the body was too large to keep: that event is skipped. A string is the body's text as
   * {@link bodyText} decoded it (see {@link payloadData}).
   */
  readonly requestBody: Uint8Array | string | undefined;
  readonly requestContentType: string | undefined;
  /** Set when the caller already knows the request body is valid JSON (saves a second parse). */
  readonly requestIsJson?: boolean;
  /** As `requestBody`; a string is the text the server serialized (well-formed, no byte order mark). */
  readonly responseBody: Uint8Array | string | undefined;
  readonly responseContentType: string | undefined;
  /** Set when the caller serialized the response body as JSON itself. */
  readonly responseIsJson?: boolean;
  /** More extension attributes of the `response` event (a streamed answer's timing and outcome). */
  readonly responseExtensions?: Readonly<Record<string, string | number>>;
}

/**
 * Writes `request` and `response` events for HTTP exchanges when the deployment enables those collections.
 * Never throws: a collection error (full queue, closed runtime) is counted and handed to `onError`, so payload
 * logging can never fail a scoring request.
 */
export class PayloadLogger {
  readonly request: Collection | undefined;
  readonly response: Collection | undefined;
  /** Collection errors per collection name (also exported as a metric). */
  readonly errors = new Map<string, number>();

  constructor(
    runtime: DataCollectorRuntime,
    private readonly onError: (err: Error, collection: string) => void = () => {},
  ) {
    const configured = runtime.deployment?.collections;
    const on = (name: string) => configured?.get(name)?.enabled === true;
    this.request = on('request') ? runtime.collection('request') : undefined;
    this.response = on('response') ? runtime.collection('response') : undefined;
  }

  get enabled(): boolean {
    return this.request !== undefined || this.response !== undefined;
  }

  log(x: Exchange): void {
    const extensions = statusExtension(x.statusCode);
    if (this.request && x.requestBody !== undefined) {
      this.emit(this.request, x, x.requestBody, x.requestContentType, x.requestIsJson, extensions);
    }
    if (this.response && x.responseBody !== undefined) {
      const more = x.responseExtensions;
      this.emit(
        this.response,
        x,
        x.responseBody,
        x.responseContentType,
        x.responseIsJson,
        more ? { ...extensions, ...more } : extensions,
      );
    }
  }

  private emit(
    c: Collection,
    x: Exchange,
    body: Uint8Array | string,
    contentType: string | undefined,
    isJson: boolean | undefined,
    extensions: Readonly<Record<string, string | number>>,
  ): void {
    try {
      if (!c.accepts(x.correlation.id)) return;
      const data = payloadData(body, contentType, isJson);
      c.emit({
        correlation: x.correlation,
        path: x.path,
        method: x.method,
        extensions,
        json: data.json,
        raw: data.raw,
        contentType: data.contentType,
      });
    } catch (err) {
      this.errors.set(c.name, (this.errors.get(c.name) ?? 0) + 1);
      try {
        this.onError(err as Error, c.name);
      } catch {
        // a throwing handler must not fail the request
      }
    }
  }
}

/** The `statuscode` extension of each status, made once (events only read it). */
const statusExtensions = new Map<number, Readonly<Record<string, number>>>();

function statusExtension(status: number): Readonly<Record<string, number>> {
  let e = statusExtensions.get(status);
  if (!e) {
    e = Object.freeze({ [STATUS_ATTRIBUTE]: status });
    if (statusExtensions.size < 1000) statusExtensions.set(status, e);
  }
  return e;
}
