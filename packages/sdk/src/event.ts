import { BasicCorrelationContext, type CorrelationContext, ENCODED_IDS, OWN_UUID } from './context.js';
import { UUID_BYTES, writeUuid } from './event-id.js';
import { AGENT } from './version.js';

/** The per-event parts of a collected event; the rest is fixed per collection. */
export interface EventFields {
  /** The event id; when absent, a new random UUID is written (ids that name no file never become strings). */
  readonly id?: string;
  /** UTC to the second, e.g. `2024-03-05T18:16:25Z`. */
  readonly time: string;
  /** The serialized `data` value (JSON text). */
  readonly dataJson: string;
  /** Byte length of the raw payload a `dataInBlob` event's `contentrange` describes (inline data is measured as written). */
  readonly dataBytes: number;
  readonly contentType: string;
  /** `correlationid`: the context's `id` when the event was collected. */
  readonly correlationId: string;
  /** `xrequestid`: the context's `xRequestId`, else its `id`, when the event was collected. */
  readonly xRequestId: string;
  /** The context the ids came from; a {@link BasicCorrelationContext} keeps their encoded members for the request's next events. */
  readonly correlation: CorrelationContext;
  /** Payload logging: the request path and method. */
  readonly path?: string;
  readonly method?: string;
  /** Set for tabular data from collect(). */
  readonly collectDataType?: string;
  /** `agent` of an event another client made (the sidecar's `ce-agent`). @default this SDK's {@link AGENT} */
  readonly agent?: string;
  /** `modelversion` of an event another client made (the sidecar's `ce-model-version`). @default the collection's */
  readonly modelVersion?: string;
  /** True when `data` is the URI of a separately stored payload. */
  readonly dataInBlob?: boolean;
  /** Extra CloudEvents extension attributes (lowercase names), e.g. `statuscode`. */
  readonly extensions?: Readonly<Record<string, string | number>>;
}

/** Where an encoder writes a line: it reserves room for the whole line first, so a line never spans buffers. */
export interface LineOut {
  /** Makes room for `bytes` more bytes and returns the buffer to write them into, from {@link offset}. */
  reserve(bytes: number): Buffer;
  /** The write position in the buffer {@link reserve} returned; the encoder moves it past the line. */
  offset: number;
}

const q = JSON.stringify;
const utf8 = (s: string) => Buffer.from(s, 'utf8');

const ID_START = utf8('{"specversion":"1.0","id":"');
const DATA_IN_BLOB = utf8(',"datainblob":"true"');
const CORRELATION_ID = utf8(',"correlationid":"');
const X_REQUEST_ID = utf8('","xrequestid":"');
const END = utf8('}\n');
const EMPTY = Buffer.alloc(0);
const RANGE_START = utf8('bytes 0-');
const RANGE_EMPTY = utf8('bytes */0"');
/** The longest `contentrange` value with its closing quote: `bytes 0-N/N"` with 16-digit numbers. */
const RANGE_BYTES = 48;
const SLASH = 0x2f;
const QUOTE = 0x22;
const DIGIT_0 = 0x30;

/** Writes a non-negative integer in decimal ASCII at `o`; returns the offset after it. */
function writeDecimal(buf: Uint8Array, o: number, n: number): number {
  let digits = 1;
  for (let p = 10; p <= n; p *= 10) digits++;
  let v = n;
  for (let i = o + digits - 1; i >= o; i--) {
    buf[i] = DIGIT_0 + (v % 10);
    v = Math.floor(v / 10);
  }
  return o + digits;
}

/**
 * The id to write as both `correlationid` and `xrequestid` when it is a UUID our own context made: such ids need
 * no escaping and are written in place (a context made per collect() call would otherwise cost an encoded copy).
 */
function ownUuid(f: EventFields): string | undefined {
  const c = f.correlation;
  return c instanceof BasicCorrelationContext &&
    c[OWN_UUID] &&
    f.correlationId === c.id &&
    f.xRequestId === c.id
    ? c.id
    : undefined;
}

/** The `correlationid` and `xrequestid` members as UTF-8, made once per request when the context is ours. */
function correlationBytes(f: EventFields): Buffer {
  const { correlationId: id, xRequestId } = f;
  const own = f.correlation instanceof BasicCorrelationContext ? f.correlation : undefined;
  const hit = own?.[ENCODED_IDS];
  if (hit && hit.id === id && hit.xRequestId === xRequestId) return hit.bytes;
  const bytes = utf8(`,"correlationid":${q(id)},"xrequestid":${q(xRequestId)}`);
  if (own) own[ENCODED_IDS] = { id, xRequestId, bytes };
  return bytes;
}

type Utf8Writer = { utf8Write(s: string, offset: number, length: number): number };

/**
 * Writes `s` as UTF-8 at `offset`; returns the bytes written. Calls Buffer's own `utf8Write` (what `write()` calls
 * after sorting out its optional arguments), so the hot path skips that argument handling (docs/performance.md).
 * `write()` stays the fallback should a Node release drop it.
 */
const writeUtf8: (buf: Buffer, s: string, offset: number) => number =
  typeof (Buffer.prototype as Partial<Utf8Writer>).utf8Write === 'function'
    ? (buf, s, offset) => (buf as unknown as Utf8Writer).utf8Write(s, offset, buf.length - offset)
    : (buf, s, offset) => buf.write(s, offset, 'utf8');

/** Encoded extension members (and line end) per (frozen) extensions object, e.g. payload logging's one per status code. */
const extensionCache = new WeakMap<object, Buffer>();

/** The extension members and the end of the line. */
function extensionsToEnd(ext: Readonly<Record<string, string | number>> | undefined): Buffer {
  if (!ext) return END;
  const hit = extensionCache.get(ext);
  if (hit) return hit;
  let text = '';
  for (const [k, v] of Object.entries(ext)) text += `,${q(k)}:${q(v)}`;
  const bytes = utf8(`${text}}\n`);
  // Only a frozen object is sure to say the same next time.
  if (Object.isFrozen(ext)) extensionCache.set(ext, bytes);
  return bytes;
}

/**
 * Writes a CloudEvents 1.0 event of one collection as one line of JSON, fields in the reference's order. The
 * parts that do not change between events (source, type, model version, agent, the time within a second, the
 * path) are encoded to UTF-8 once and copied, a request's correlation ids are made into JSON once per request;
 * only the id, data and content range are new in each event. That keeps the envelope to a few copies of bytes per event.
 */
export class EventEncoder {
  /** `","source":…,"type":…,"datacontenttype":` */
  private readonly typePrefix: string;
  private readonly modelVersion: string;
  // One-entry caches: a collection's events nearly always repeat these.
  private contentType: string | undefined;
  private time: string | undefined;
  /** `","source":…,"datacontenttype":…,"time":"<time>","data":` */
  private afterId: Buffer = EMPTY;
  private path: string | undefined;
  private method: string | undefined;
  private pathMethod: Buffer = EMPTY;
  private collectDataType: string | undefined;
  private agent: string | undefined;
  private eventModelVersion: string | undefined;
  private beforeRange: Buffer = EMPTY;

  constructor(source: string, collection: string, modelVersion: string) {
    this.typePrefix = `","source":${q(source)},"type":${q(`azureml.inference.${collection}`)},"datacontenttype":`;
    this.modelVersion = modelVersion;
    this.setEnvelopeTail(undefined, undefined, undefined);
  }

  /** Writes one event as a line ending in `\n` into `out`; returns the line's byte length. */
  write(f: EventFields, out: LineOut): number {
    if (f.contentType !== this.contentType || f.time !== this.time) {
      this.contentType = f.contentType;
      this.time = f.time;
      this.afterId = utf8(`${this.typePrefix}${q(f.contentType)},"time":${q(f.time)},"data":`);
    }
    if (f.path !== this.path || f.method !== this.method) {
      this.path = f.path;
      this.method = f.method;
      this.pathMethod = utf8(
        (f.path !== undefined ? `,"path":${q(f.path)}` : '') +
          (f.method !== undefined ? `,"method":${q(f.method)}` : ''),
      );
    }
    if (
      f.collectDataType !== this.collectDataType ||
      f.agent !== this.agent ||
      f.modelVersion !== this.eventModelVersion
    )
      this.setEnvelopeTail(f.collectDataType, f.agent, f.modelVersion);
    const afterId = this.afterId;
    const pathMethod = this.pathMethod;
    const uuid = ownUuid(f);
    const correlation = uuid === undefined ? correlationBytes(f) : EMPTY;
    const beforeRange = this.beforeRange;
    const tail = extensionsToEnd(f.extensions);
    const data = f.dataJson;
    const id = f.id;
    // A UTF-16 code unit is at most 3 UTF-8 bytes.
    const most =
      ID_START.length +
      (id === undefined ? UUID_BYTES : id.length * 3) +
      afterId.length +
      data.length * 3 +
      pathMethod.length +
      (uuid === undefined
        ? correlation.length
        : CORRELATION_ID.length + X_REQUEST_ID.length + 2 * uuid.length + 1) +
      beforeRange.length +
      RANGE_BYTES +
      DATA_IN_BLOB.length +
      tail.length;
    const buf = out.reserve(most);
    const start = out.offset;
    let o = start;
    buf.set(ID_START, o);
    o += ID_START.length;
    o = id === undefined ? writeUuid(buf, o) : o + writeUtf8(buf, id, o);
    buf.set(afterId, o);
    o += afterId.length;
    const dataBytes = writeUtf8(buf, data, o);
    o += dataBytes;
    buf.set(pathMethod, o);
    o += pathMethod.length;
    if (uuid === undefined) {
      buf.set(correlation, o);
      o += correlation.length;
    } else {
      buf.set(CORRELATION_ID, o);
      o += CORRELATION_ID.length;
      o += writeUtf8(buf, uuid, o);
      buf.set(X_REQUEST_ID, o);
      o += X_REQUEST_ID.length;
      o += writeUtf8(buf, uuid, o);
      buf[o++] = QUOTE;
    }
    buf.set(beforeRange, o);
    o += beforeRange.length;
    // `contentrange` describes the raw payload of a `datainblob` event, else the data as written.
    const n = f.dataInBlob ? f.dataBytes : dataBytes;
    // An empty payload has no first or last byte: HTTP's form for that is `bytes */0`.
    if (n > 0) {
      buf.set(RANGE_START, o);
      o = writeDecimal(buf, o + RANGE_START.length, n - 1);
      buf[o++] = SLASH;
      o = writeDecimal(buf, o, n);
      buf[o++] = QUOTE;
    } else {
      buf.set(RANGE_EMPTY, o);
      o += RANGE_EMPTY.length;
    }
    if (f.dataInBlob) {
      buf.set(DATA_IN_BLOB, o);
      o += DATA_IN_BLOB.length;
    }
    buf.set(tail, o);
    o += tail.length;
    out.offset = o;
    return o - start;
  }

  /** One event as a string (tests, tools); the pipeline writes lines with {@link write}. */
  encode(f: EventFields): string {
    let buf = Buffer.alloc(0);
    const out: LineOut = {
      offset: 0,
      reserve: (bytes) => {
        buf = Buffer.alloc(bytes);
        return buf;
      },
    };
    const n = this.write(f, out);
    return buf.toString('utf8', 0, n);
  }

  private setEnvelopeTail(
    type: string | undefined,
    agent: string | undefined,
    modelVersion: string | undefined,
  ): void {
    this.collectDataType = type;
    this.agent = agent;
    this.eventModelVersion = modelVersion;
    this.beforeRange = utf8(
      `,"modelversion":${q(modelVersion ?? this.modelVersion)}` +
        (type !== undefined ? `,"collectdatatype":${q(type)}` : '') +
        `,"agent":${q(agent ?? AGENT)},"contentrange":"`,
    );
  }
}

/** The CloudEvents `source`: the reference's resource path of the deployment. */
export function eventSource(p: {
  subscriptionId: string;
  resourceGroup: string;
  workspace: string;
  endpoint: string;
  deployment: string;
}): string {
  return (
    `/subscriptions/${p.subscriptionId}/resourceGroups/${p.resourceGroup}` +
    `/providers/Microsoft.MachineLearningServices/workspaces/${p.workspace}` +
    `/onlineEndpoints/${p.endpoint}/deployments/${p.deployment}`
  );
}

let cachedSecond = Number.NaN;
let cachedTime = '';

/** `time` of an event: UTC, second precision, `Z` (cached per second: it is on the hot path). */
export function eventTime(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== cachedSecond) {
    cachedSecond = second;
    cachedTime = new Date(second * 1000).toISOString().slice(0, 19) + 'Z';
  }
  return cachedTime;
}
