import { OpenAiStreamAssembler } from '../model-io/openai-stream.js';
import { type SseEvent, SseParser } from './sse-parser.js';

/** How a streamed answer ended, as the `streamstatus` extension attribute says. */
export type StreamStatus = 'complete' | 'client_aborted' | 'upstream_error' | 'truncated';

/** Extension attributes of a streamed `response` event (CloudEvents names: lower-case, integers for numbers). */
export const STREAM_ATTRIBUTES = {
  streamed: 'streamed',
  chunkCount: 'chunkcount',
  ttftMs: 'ttftms',
  durationMs: 'durationms',
  status: 'streamstatus',
  usageSource: 'usagesource',
  bytes: 'streambytes',
} as const;

/** Default of `--max-stream-capture-bytes`: what is kept of one streamed answer for collection (16 MiB). */
export const DEFAULT_MAX_STREAM_CAPTURE_BYTES = 16 * 1024 * 1024;

/** Whether an answer is streamed: an event stream, or a body of unknown length (chunked or close-delimited). */
export function isStreamedAnswer(
  status: number,
  contentType: string | undefined,
  contentLength: string | string[] | undefined,
): boolean {
  if (isEventStream(contentType)) return true;
  return contentLength === undefined && status !== 204 && status !== 304;
}

export function isEventStream(contentType: string | undefined): boolean {
  return contentType !== undefined && /^\s*text\/event-stream\s*(;|$)/i.test(contentType);
}

/** How the stream ended and when, for the record (times from `process.hrtime.bigint()`). */
export interface StreamEnd {
  readonly clientAborted: boolean;
  readonly upstreamError: boolean;
  readonly startedNs: bigint;
  /** 0n when no body byte arrived. */
  readonly firstByteNs: bigint;
  readonly endedNs: bigint;
}

/** The complete record of one streamed answer: the `response` event's data and attributes. */
export interface StreamRecord {
  /** `data` as JSON text (an assembled completion or an event list); else {@link body} holds the bytes. */
  readonly json: string | undefined;
  readonly body: Buffer | undefined;
  /** `datacontenttype` of the event: `application/json` for JSON data, else the answer's own type. */
  readonly contentType: string | undefined;
  readonly extensions: Readonly<Record<string, string | number>>;
  /** The completion assembled from an OpenAI-compatible stream (model-io rows use it as a non-streamed answer). */
  readonly completion: Record<string, unknown> | undefined;
  readonly status: StreamStatus;
  readonly ttftMs: number | undefined;
  readonly durationMs: number;
}

const DONE = '[DONE]';

/**
 * Keeps what a streamed answer gives for collection while it passes through, without holding the answer back:
 * an event stream is parsed as it comes (an OpenAI-compatible one assembled into its completion object, any
 * other kept as a list of events); another body is kept as bytes. At most `maxBytes` of the stream are read
 * for this; past them the record is marked `truncated` and the rest only counted.
 */
export class StreamCapture {
  /** Bytes of the answer that went by. */
  bytes = 0;
  private captured = 0;
  private reads = 0;
  private truncated = false;
  private readonly parser: SseParser | undefined;
  private assembler: OpenAiStreamAssembler | undefined;
  private events: { event: string; id: string | null; data: unknown }[] | undefined;
  private readonly chunks: Buffer[] = [];

  constructor(
    eventStream: boolean,
    private readonly maxBytes: number,
    private readonly contentType: string | undefined,
  ) {
    if (eventStream) this.parser = new SseParser((e) => this.onEvent(e));
  }

  add(chunk: Buffer): void {
    this.bytes += chunk.length;
    this.reads++;
    if (this.truncated) return;
    let part = chunk;
    if (this.captured + chunk.length > this.maxBytes) {
      this.truncated = true;
      part = chunk.subarray(0, this.maxBytes - this.captured);
    }
    this.captured += part.length;
    if (this.parser) this.parser.write(part);
    else if (part.length) this.chunks.push(part);
  }

  private onEvent(e: SseEvent): void {
    if (this.assembler) {
      if (e.data !== DONE) this.assembler.addText(e.data);
      return;
    }
    const data = parseJson(e.data);
    if (this.events === undefined && OpenAiStreamAssembler.isChunk(data)) {
      this.assembler = new OpenAiStreamAssembler();
      this.assembler.add(data);
      return;
    }
    this.events ??= [];
    this.events.push({ event: e.event, id: e.id === '' ? null : e.id, data });
  }

  /** The record, once the stream ended (or broke). */
  finish(end: StreamEnd): StreamRecord {
    this.parser?.end();
    const status: StreamStatus = end.clientAborted
      ? 'client_aborted'
      : end.upstreamError
        ? 'upstream_error'
        : this.truncated
          ? 'truncated'
          : 'complete';
    const ms = (ns: bigint) => Math.round(Number(ns - end.startedNs) / 1e6);
    const ttftMs = end.firstByteNs === 0n ? undefined : ms(end.firstByteNs);
    const durationMs = ms(end.endedNs);
    let json: string | undefined;
    let completion: Record<string, unknown> | undefined;
    let chunkCount = this.reads;
    if (this.assembler) {
      completion = this.assembler.completion();
      json = JSON.stringify(completion);
      chunkCount = this.assembler.chunks;
    } else if (this.parser) {
      json = JSON.stringify(this.events ?? []);
      chunkCount = this.events?.length ?? 0;
    }
    const extensions: Record<string, string | number> = {
      [STREAM_ATTRIBUTES.streamed]: 'true',
      [STREAM_ATTRIBUTES.chunkCount]: chunkCount,
    };
    if (ttftMs !== undefined) extensions[STREAM_ATTRIBUTES.ttftMs] = ttftMs;
    extensions[STREAM_ATTRIBUTES.durationMs] = durationMs;
    extensions[STREAM_ATTRIBUTES.status] = status;
    extensions[STREAM_ATTRIBUTES.usageSource] = this.assembler?.hasUsage ? 'server' : 'none';
    extensions[STREAM_ATTRIBUTES.bytes] = this.bytes;
    return {
      json,
      body:
        json === undefined
          ? this.chunks.length === 1
            ? this.chunks[0]!
            : Buffer.concat(this.chunks)
          : undefined,
      contentType: json === undefined ? this.contentType : 'application/json',
      extensions,
      completion,
      status,
      ttftMs,
      durationMs,
    };
  }
}

/** `data` as JSON when it is JSON, else the text. */
function parseJson(text: string): unknown {
  const c = text.charCodeAt(0);
  // Only text whose first character can start a JSON value is tried (most event data is JSON or plain words).
  if (c !== 0x7b && c !== 0x5b && c !== 0x22 && c !== 0x74 && c !== 0x66 && c !== 0x6e && !isDigit(c))
    return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function isDigit(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || c === 0x2d;
}
