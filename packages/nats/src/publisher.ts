import { connect, createInbox, headers, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { connectionOptions, type NatsConfig } from './config.js';
import { eventIdOf } from './event-id.js';

/** Longest wait for a range's acknowledgements; then the pass fails and the spool retries it (deduplicated by id). */
export const ACK_TIMEOUT_MS = 10_000;

const DECODER = new TextDecoder();
const ERROR_KEY = Buffer.from('"error":');
// Keys with their colon (a stream may be named "duplicate"); the server may put a space after it.
const DUPLICATE = Buffer.from('"duplicate":');

/** A range being published: its acknowledgements count down to 0. */
interface Waiting {
  left: number;
  sent: boolean;
  resolve(): void;
  reject(err: Error): void;
}

/** What publishing a range did. */
export interface RangeResult {
  /** Messages the stream stored, and messages it recognised as already stored (same Nats-Msg-Id). */
  readonly published: number;
  readonly duplicates: number;
}

/**
 * Publishes ranges of event lines to JetStream: every line back to back, with one reply subject per range on one
 * inbox subscription (no promise or timer per message), resolving once the stream acknowledged them all.
 */
export class Publisher {
  private conn: Promise<NatsConnection> | undefined;
  private inbox = '';
  private ranges = 0;
  private readonly waiting = new Map<string, Waiting & { stored: number; duplicates: number }>();

  constructor(
    private readonly config: NatsConfig,
    private readonly env: NodeJS.ProcessEnv,
    private readonly name: string,
  ) {}

  connection(): Promise<NatsConnection> {
    this.conn ??= connect(connectionOptions(this.config, this.env, this.name)).then((nc) => {
      this.inbox = createInbox();
      nc.subscribe(`${this.inbox}.*`, { callback: (_err, msg) => this.acked(msg) });
      return nc;
    });
    // A failed first connection is retried by the next range.
    this.conn.catch(() => {
      this.conn = undefined;
    });
    return this.conn;
  }

  /** Publishes each line of `body` (whole lines) on `subject`; rejects on a refusal or after ACK_TIMEOUT_MS. */
  async publish(subject: string, body: Uint8Array): Promise<RangeResult> {
    const nc = await this.connection();
    const buf = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    const range = String(++this.ranges);
    let timer: NodeJS.Timeout | undefined;
    let w!: Waiting & { stored: number; duplicates: number };
    const done = new Promise<void>((resolve, reject) => {
      w = { left: 0, sent: false, resolve, reject, stored: 0, duplicates: 0 };
      this.waiting.set(range, w);
      timer = setTimeout(
        () => reject(new Error(`no acknowledgement within ${ACK_TIMEOUT_MS} ms`)),
        ACK_TIMEOUT_MS,
      );
    });
    // One reply subject per range: every acknowledgement names the range it counts down.
    const reply = `${this.inbox}.${range}`;
    try {
      let start = 0;
      while (start < buf.length) {
        let end = buf.indexOf(0x0a, start);
        if (end === -1) end = buf.length;
        if (end > start) {
          const line = buf.subarray(start, end);
          const h = headers();
          const id = eventIdOf(line);
          if (id) h.set('Nats-Msg-Id', id);
          w.left++;
          nc.publish(subject, line, { headers: h, reply });
        }
        start = end + 1;
      }
      w.sent = true;
      if (w.left === 0) w.resolve();
      await done;
      return { published: w.stored, duplicates: w.duplicates };
    } finally {
      clearTimeout(timer);
      this.waiting.delete(range);
    }
  }

  /** One acknowledgement: `{"stream":…,"seq":…[,"duplicate":true]}`, or an error (no stream, a refusal). */
  private acked(msg: Msg): void {
    const w = this.waiting.get(msg.subject.slice(msg.subject.lastIndexOf('.') + 1));
    if (!w) return; // a range that already failed: the spool sends it again
    const data = Buffer.from(msg.data.buffer, msg.data.byteOffset, msg.data.byteLength);
    // A plain acknowledgement is read without JSON.parse (one per message: measured as the thread's largest cost).
    if (data.length > 0 && data[0] === 0x7b && !data.includes(ERROR_KEY)) {
      if (data.includes(DUPLICATE)) w.duplicates++;
      else w.stored++;
      if (--w.left === 0 && w.sent) w.resolve();
      return;
    }
    let ack: { duplicate?: boolean; error?: { description?: string } } | undefined;
    try {
      ack = data.length > 0 ? JSON.parse(DECODER.decode(data)) : undefined;
    } catch {
      ack = undefined;
    }
    if (!ack || ack.error) {
      const status = msg.headers?.code ? ` (status ${msg.headers.code} ${msg.headers.description})` : '';
      w.reject(
        new Error(
          `the stream refused a message: ${ack?.error?.description ?? 'no acknowledgement'}${status}`,
        ),
      );
      return;
    }
    if (ack.duplicate) w.duplicates++;
    else w.stored++;
    if (--w.left === 0 && w.sent) w.resolve();
  }

  async close(): Promise<void> {
    const c = this.conn;
    this.conn = undefined;
    if (c) await c.then((nc) => nc.drain()).catch(() => {});
  }
}
