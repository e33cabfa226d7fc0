/** One dispatched Server-Sent Event. */
export interface SseEvent {
  /** The `event:` field, else `message`. */
  readonly event: string;
  /** The last event id seen so far in the stream (it carries over to later events), else ''. */
  readonly id: string;
  /** The `data:` lines joined with `\n`. */
  readonly data: string;
}

const LF = 10;
const CR = 13;

/**
 * An incremental parser of `text/event-stream` bodies, following the WHATWG HTML "event stream interpretation"
 * rules: bytes may be cut anywhere (inside a UTF-8 character, between `\r` and `\n`); lines end in `\r\n`, `\r`
 * or `\n`; a leading byte order mark is dropped; comment lines (`:`) are skipped; several `data:` lines join
 * with `\n`; an event without data is not dispatched, and an event the stream ends in the middle of is dropped.
 */
export class SseParser {
  private readonly decoder = new TextDecoder('utf-8');
  /** The current line's text up to the last chunk's end (no line end seen yet). */
  private line = '';
  /** The previous chunk ended in `\r`: a `\n` at the start of the next one belongs to it. */
  private afterCr = false;
  private data = '';
  private hasData = false;
  private event = '';
  private lastId = '';

  constructor(private readonly onEvent: (event: SseEvent) => void) {}

  /** The decoder may hold the start of a character cut at the end of the last chunk (or the stream's start). */
  private decoderBusy = true;

  /** Parses the next bytes of the stream. */
  write(bytes: Uint8Array): void {
    const n = bytes.length;
    if (n === 0) return;
    // A chunk that starts clean and ends in ASCII is whole UTF-8 text: Buffer's decoding is twice as fast as
    // the streaming TextDecoder's on the small chunks token streams come in.
    if (!this.decoderBusy && bytes[n - 1]! < 0x80) {
      this.text(Buffer.from(bytes.buffer, bytes.byteOffset, n).toString('utf8'));
      return;
    }
    this.text(this.decoder.decode(bytes, { stream: true }));
    this.decoderBusy = bytes[n - 1]! >= 0x80;
  }

  /** The stream ended: an incomplete event is discarded (bytes of a cut UTF-8 character become U+FFFD). */
  end(): void {
    const rest = this.decoder.decode();
    if (rest) this.text(rest);
    this.line = '';
    this.data = '';
    this.hasData = false;
    this.event = '';
  }

  private text(s: string): void {
    let i = 0;
    const n = s.length;
    if (this.afterCr && n > 0) {
      if (s.charCodeAt(0) === LF) i = 1;
      this.afterCr = false;
    }
    // Positions of the next `\n` and `\r`, found once and kept until passed (no rescans of a long chunk).
    let nextLf = s.indexOf('\n', i);
    let nextCr = s.indexOf('\r', i);
    while (i < n) {
      if (nextLf !== -1 && nextLf < i) nextLf = s.indexOf('\n', i);
      if (nextCr !== -1 && nextCr < i) nextCr = s.indexOf('\r', i);
      const end = nextLf === -1 ? nextCr : nextCr === -1 ? nextLf : Math.min(nextLf, nextCr);
      if (end === -1) {
        this.line += s.slice(i);
        return;
      }
      const line = this.line === '' ? s.slice(i, end) : this.line + s.slice(i, end);
      this.line = '';
      i = end + 1;
      if (s.charCodeAt(end) === CR) {
        if (i < n) {
          if (s.charCodeAt(i) === LF) i++;
        } else this.afterCr = true;
      }
      this.lineDone(line);
    }
  }

  private lineDone(line: string): void {
    if (line === '') {
      this.dispatch();
      return;
    }
    const colon = line.indexOf(':');
    if (colon === 0) return; // a comment
    let field: string;
    let value: string;
    if (colon === -1) {
      field = line;
      value = '';
    } else {
      field = line.slice(0, colon);
      value = line.charCodeAt(colon + 1) === 0x20 ? line.slice(colon + 2) : line.slice(colon + 1);
    }
    switch (field) {
      case 'data':
        this.data = this.hasData ? `${this.data}\n${value}` : value;
        this.hasData = true;
        break;
      case 'event':
        this.event = value;
        break;
      case 'id':
        if (!value.includes('\0')) this.lastId = value;
        break;
      // `retry` tells a browser when to reconnect; other fields are ignored, as the standard says.
    }
  }

  private dispatch(): void {
    if (!this.hasData) {
      this.event = '';
      return;
    }
    const event: SseEvent = { event: this.event || 'message', id: this.lastId, data: this.data };
    this.data = '';
    this.hasData = false;
    this.event = '';
    this.onEvent(event);
  }
}
