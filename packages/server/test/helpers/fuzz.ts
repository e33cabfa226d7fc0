// Malformed inputs for the fault suite: a seeded generator, so a failure reproduces with MDC_FUZZ_SEED.
import { connect } from 'node:net';

/** How many malformed inputs each fuzz target gets: `MDC_FUZZ_COUNT`, else `def`. */
export function fuzzCount(def: number): number {
  const v = process.env.MDC_FUZZ_COUNT;
  if (v === undefined || v === '') return def;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1)
    throw new Error(`MDC_FUZZ_COUNT must be a positive integer; got ${v}`);
  return n;
}

/** The seed of this run: `MDC_FUZZ_SEED`, else a fresh one (printed by the tests so a failure reproduces). */
export function fuzzSeed(): number {
  const v = process.env.MDC_FUZZ_SEED;
  if (v !== undefined && v !== '') return Number(v) >>> 0;
  return (Date.now() ^ (process.pid << 16)) >>> 0;
}

/** sfc32: small, fast, and good enough to spread inputs; seeded, so runs reproduce. */
export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d = 1;
  constructor(seed: number) {
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = seed >>> 0;
    for (let i = 0; i < 15; i++) this.next();
  }
  /** A float in [0, 1). */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }
  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }
  /** Printable ASCII (valid in an HTTP header value). */
  ascii(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += String.fromCharCode(0x20 + this.int(0x5f));
    return s;
  }
}

/** One malformed body, with the Content-Type it is sent with and what kind of damage it carries. */
export interface FuzzBody {
  readonly kind: string;
  readonly body: Buffer;
  readonly contentType: string | undefined;
}

const JSON_TYPES = ['application/json', 'application/json; charset=utf-8', 'application/cloudevents+json'];
const WRONG_TYPES = [
  'text/plain',
  'application/xml',
  'image/png',
  'multipart/form-data; boundary=x',
  'application/x-www-form-urlencoded',
  'application/octet-stream',
  'application/json; charset=utf-16',
  'text/csv',
  ';;;',
  'application/',
  '*/*',
  'json',
];

/** A valid JSON document of moderate size (the seed of the truncation and mutation kinds). */
export function sampleJson(r: Prng): string {
  const rows = Array.from({ length: 1 + r.int(4) }, (_, i) => ({
    AGE: 20 + r.int(60),
    SEX: r.pick(['M', 'F']),
    LIMIT_BAL: r.int(100_000) / 7,
    note: `row ${i} ${r.ascii(r.int(20)).replace(/["\\]/g, '')}`,
    flags: [true, false, null],
  }));
  return JSON.stringify(r.pick([{ data: rows }, { input_data: { data: rows } }, rows, { inputs: rows }]));
}

const HUGE_NUMBERS = [
  '1e999999',
  '-1e400',
  '123456789012345678901234567890123456789012345678901234567890',
  '0.0000000000000000000000000000000000000000000000000000000000001',
  '9007199254740993',
  '-0',
  '1E+308',
  '4.9e-325',
];

/** A malformed (or merely hostile) body: one of the kinds the issue lists. */
export function fuzzBody(r: Prng): FuzzBody {
  const json = () => r.pick(JSON_TYPES);
  switch (r.int(12)) {
    case 0:
      return { kind: 'random-bytes', body: r.bytes(r.int(2048)), contentType: json() };
    case 1: {
      const doc = sampleJson(r);
      return {
        kind: 'truncated-json',
        body: Buffer.from(doc.slice(0, r.int(doc.length))),
        contentType: json(),
      };
    }
    case 2: {
      const depth = r.pick([64, 1000, 10_000, 100_000]);
      const open = r.pick(['[', '{"a":']);
      const close = open === '[' ? ']' : '}';
      const balanced = r.chance(0.5);
      const text = open.repeat(depth) + (balanced ? `1${close.repeat(depth)}` : '');
      return {
        kind: balanced ? 'deep-json' : 'deep-unclosed-json',
        body: Buffer.from(text),
        contentType: json(),
      };
    }
    case 3: {
      // invalid UTF-8 inside a JSON string: a lone continuation byte, an overlong form, a surrogate, 0xFF
      const bad = r.pick([
        [0x80],
        [0xc0, 0xaf],
        [0xed, 0xa0, 0x80],
        [0xff],
        [0xc3, 0x28],
        [0xf4, 0x90, 0x80, 0x80],
      ]);
      const body = Buffer.concat([Buffer.from('{"data":[{"name":"'), Buffer.from(bad), Buffer.from('"}]}')]);
      return { kind: 'invalid-utf8', body, contentType: json() };
    }
    case 4: {
      const n = r.pick(HUGE_NUMBERS);
      const digits = r.chance(0.3) ? '9'.repeat(10_000 + r.int(50_000)) : n;
      return {
        kind: 'huge-number',
        body: Buffer.from(`{"data":[{"x":${digits}}],"n":${n}}`),
        contentType: json(),
      };
    }
    case 5:
      return {
        kind: 'wrong-content-type',
        body: Buffer.from(sampleJson(r)),
        contentType: r.pick(WRONG_TYPES),
      };
    case 6: {
      const key = r.pick(['data', '__proto__', 'constructor', 'input_data', 'a']);
      const body = `{"${key}":1,"${key}":[{"x":1}],"__proto__":{"polluted":true},"data":{"constructor":{"prototype":{"x":1}}}}`;
      return { kind: 'duplicate-keys', body: Buffer.from(body), contentType: json() };
    }
    case 7:
      return {
        kind: 'empty',
        body: Buffer.alloc(r.chance(0.5) ? 0 : 1, ' '),
        contentType: r.chance(0.5) ? json() : undefined,
      };
    case 8: {
      const s = r.pick([
        '"\\ud800"',
        '"\\u0000\\u001f"',
        `"${'x'.repeat(100_000 + r.int(100_000))}"`,
        'NaN',
        'Infinity',
        'undefined',
        "{'a':1}",
        '[1,]',
        '{"a":1}{"b":2}',
        '\ufeff{"a":1}',
        '{"a":1}\n{"b":2}',
      ]);
      return { kind: 'odd-json', body: Buffer.from(s), contentType: json() };
    }
    case 9: {
      // a valid document with one random byte flipped
      const doc = Buffer.from(sampleJson(r));
      doc[r.int(doc.length)] = r.int(256);
      return { kind: 'bit-flip', body: doc, contentType: json() };
    }
    case 10: {
      const many = Array.from({ length: 2000 + r.int(3000) }, (_, i) => `"c${i}":${i}`).join(',');
      return { kind: 'wide-row', body: Buffer.from(`{"data":[{${many}}]}`), contentType: json() };
    }
    default:
      return { kind: 'no-content-type', body: Buffer.from(sampleJson(r)), contentType: undefined };
  }
}

/** A path segment or name meant to escape a folder or break a path. */
export const TRAVERSAL_NAMES = [
  '..',
  '../x',
  '../../etc/passwd',
  '..\\..\\x',
  '/etc/passwd',
  'a/../../b',
  '%2e%2e',
  'x\0y',
  'C:\\x',
  '.',
  '',
  'a/b',
] as const;

/** A raw request line and headers that break HTTP/1.1 framing (Node's parser must refuse them with 400). */
export function fuzzRawRequest(r: Prng, path: string): Buffer {
  switch (r.int(5)) {
    case 0:
      return r.bytes(1 + r.int(512));
    case 1:
      return Buffer.from(
        `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: ${r.pick(['-1', 'abc', '1, 2', '99999999999999999999'])}\r\n\r\n{}`,
      );
    case 2:
      return Buffer.from(
        `POST ${path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${r.pick(['zz', 'fffffffffffffff', '5\r\nabc'])}\r\n\r\n`,
      );
    case 3:
      return Buffer.from(`${r.ascii(8)} ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
    default:
      return Buffer.concat([
        Buffer.from(`POST ${path} HTTP/1.1\r\nHost: x\r\nX-Bad: `),
        r.bytes(40),
        Buffer.from('\r\n\r\n'),
      ]);
  }
}

/** Sends raw bytes and resolves with the status of the first answer, or undefined when the server just closed. */
export function sendRaw(port: number, bytes: Buffer, timeoutMs = 5000): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let got = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('no answer or close within the timeout'));
    }, timeoutMs);
    socket.on('data', (d) => {
      got += d.toString('latin1');
    });
    const done = () => {
      clearTimeout(timer);
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(got);
      resolve(m ? Number(m[1]) : undefined);
    };
    socket.on('close', done);
    socket.on('error', () => {});
    socket.write(bytes, () => socket.end());
  });
}
