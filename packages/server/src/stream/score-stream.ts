import { Readable } from 'node:stream';
import { RawJson } from '../scorer.js';
import { isEventStream, StreamCapture, type StreamRecord } from './stream-capture.js';

/** A streamed answer from run(): an async iterable (an async generator) or a Node readable stream. */
export type StreamResult = AsyncIterable<unknown>;

/** Whether run() (or its `{status, headers, body}`) returned a stream to send as it comes. */
export function isStreamResult(v: unknown): v is StreamResult {
  if (typeof v !== 'object' || v === null) return false;
  if (v instanceof Uint8Array || Array.isArray(v)) return false;
  return typeof (v as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function';
}

export interface StreamAnswerOptions {
  /** The Content-Type the script set; else the first item decides (see {@link startStreamAnswer}). */
  readonly contentType: string | undefined;
  /** What is kept for the `response` event. */
  readonly maxCaptureBytes: number;
  /** When the request arrived (`process.hrtime.bigint()`). */
  readonly startedNs: bigint;
  /** Whether the answer is collected at all (else nothing is captured). */
  readonly collect: boolean;
  /** Called once when the stream ended, broke or the client went away, with the record of what went by. */
  readonly onEnd: (record: StreamRecord | undefined) => void;
}

/**
 * Turns a scoring script's stream into the body of its answer, sent as it comes with backpressure (the script's
 * generator is asked for its next item only when the client has taken the previous one). Items are sent as: bytes
 * as they are; strings as UTF-8; any other value as JSON, framed as a Server-Sent Event (`data: …\n\n`) in a
 * `text/event-stream` answer, else as a line of JSON. With no Content-Type set, the first item decides:
 * a value gives `text/event-stream`, a string `text/plain; charset=utf-8`, bytes `application/octet-stream`.
 * Waits for the first item, so an error before it becomes an ordinary error answer.
 */
export async function startStreamAnswer(
  source: StreamResult,
  options: StreamAnswerOptions,
): Promise<{ body: Readable; contentType: string }> {
  const it = source[Symbol.asyncIterator]();
  const first = await it.next();
  const contentType = options.contentType ?? defaultType(first.done ? '' : first.value);
  const eventStream = isEventStream(contentType);
  const capture = options.collect
    ? new StreamCapture(eventStream, options.maxCaptureBytes, contentType)
    : undefined;
  let firstByte = 0n;
  let ended = false;
  const end = (outcome: 'complete' | 'client_aborted' | 'upstream_error') => {
    if (ended) return;
    ended = true;
    options.onEnd(
      capture?.finish({
        clientAborted: outcome === 'client_aborted',
        upstreamError: outcome === 'upstream_error',
        startedNs: options.startedNs,
        firstByteNs: firstByte,
        endedNs: process.hrtime.bigint(),
      }),
    );
  };
  async function* frames(): AsyncGenerator<Buffer> {
    let outcome: 'complete' | 'client_aborted' | 'upstream_error' = 'client_aborted';
    try {
      let next = first;
      while (!next.done) {
        const bytes = encode(next.value, eventStream);
        if (bytes.length) {
          if (firstByte === 0n) firstByte = process.hrtime.bigint();
          yield bytes;
          capture?.add(bytes);
        }
        next = await it.next();
      }
      outcome = 'complete';
    } catch (err) {
      outcome = 'upstream_error';
      throw err;
    } finally {
      // The client went away (the body was destroyed): let the script's generator clean up.
      if (outcome === 'client_aborted') void Promise.resolve(it.return?.()).catch(() => {});
      end(outcome);
    }
  }
  const body = Readable.from(frames(), { objectMode: false });
  // A body destroyed before it was read to the end (the client hung up) does not always run the generator's
  // finally (it may never have started); the record is written either way.
  body.once('close', () => end(body.readableEnded ? 'complete' : 'client_aborted'));
  return { body, contentType };
}

function defaultType(first: unknown): string {
  if (typeof first === 'string') return 'text/plain; charset=utf-8';
  if (first instanceof Uint8Array) return 'application/octet-stream';
  return 'text/event-stream';
}

function encode(item: unknown, eventStream: boolean): Buffer {
  if (item instanceof Uint8Array) return Buffer.from(item.buffer, item.byteOffset, item.byteLength);
  if (typeof item === 'string') return Buffer.from(item, 'utf8');
  // A Python worker's items arrive as JSON text already.
  const json = item instanceof RawJson ? item.text : JSON.stringify(item ?? null);
  return Buffer.from(eventStream ? `data: ${json}\n\n` : `${json}\n`, 'utf8');
}
