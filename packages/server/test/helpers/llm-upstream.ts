import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One OpenAI-compatible chat stream's `data:` objects: text deltas, a tool call in three deltas, usage last. */
export const CHAT_CHUNKS: readonly object[] = [
  chat({ role: 'assistant', content: '' }),
  chat({ content: 'Héllo' }),
  chat({ content: ' wörld 👋' }),
  chat({
    tool_calls: [
      { index: 0, id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '' } },
    ],
  }),
  chat({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }),
  chat({ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }),
  chat({}, 'tool_calls'),
  {
    id: 'chatcmpl-1',
    object: 'chat.completion.chunk',
    created: 1700000000,
    model: 'tiny-llm',
    choices: [],
    usage: { prompt_tokens: 12, completion_tokens: 7, total_tokens: 19 },
  },
];

/** The completion object a non-streamed call gives for the same answer (what the stream must assemble to). */
export const CHAT_COMPLETION = {
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 1700000000,
  model: 'tiny-llm',
  choices: [
    {
      index: 0,
      message: {
        role: 'assistant',
        content: 'Héllo wörld 👋',
        tool_calls: [
          {
            id: 'call_1',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
          },
        ],
      },
      logprobs: null,
      finish_reason: 'tool_calls',
    },
  ],
  usage: { prompt_tokens: 12, completion_tokens: 7, total_tokens: 19 },
};

function chat(delta: object, finish: string | null = null): object {
  return {
    id: 'chatcmpl-1',
    object: 'chat.completion.chunk',
    created: 1700000000,
    model: 'tiny-llm',
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  };
}

/** An event stream of these `data:` objects and `[DONE]`, with `\r\n` line ends on every other event. */
export function sseBytes(chunks: readonly object[]): Buffer {
  const parts = chunks.map((c, i) => {
    const nl = i % 2 ? '\r\n' : '\n';
    return `data: ${JSON.stringify(c)}${nl}${nl}`;
  });
  return Buffer.from(`: a comment first\n\n${parts.join('')}data: [DONE]\n\n`, 'utf8');
}

/**
 * Cuts bytes at awkward places: inside each multi-byte UTF-8 character, between each `\r` and `\n`, and
 * after each `data:`, so a parser that needs whole lines, events or characters per chunk gets them split.
 */
export function awkwardCuts(bytes: Buffer): Buffer[] {
  const cuts = new Set<number>();
  for (let i = 1; i < bytes.length; i++) {
    const b = bytes[i]!;
    if ((b & 0xc0) === 0x80 && (bytes[i - 1]! & 0xc0) === 0xc0) cuts.add(i); // inside a character
    if (b === 0x0a && bytes[i - 1] === 0x0d) cuts.add(i); // between \r and \n
    if (bytes.subarray(i - 5, i).toString('latin1') === 'data:') cuts.add(i);
  }
  const pieces: Buffer[] = [];
  let from = 0;
  for (const at of [...cuts].sort((a, b) => a - b)) {
    pieces.push(bytes.subarray(from, at));
    from = at;
  }
  pieces.push(bytes.subarray(from));
  return pieces;
}

/** The body `/big?bytes=N` answers: N bytes of `a`…`z` over and over, in 64 KiB writes. */
export function bigBody(bytes: number): Buffer {
  const body = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i++) body[i] = 97 + (i % 26);
  return body;
}

export interface Upstream {
  readonly url: string;
  /** What the server wrote per request id (`x-request-id`), byte for byte. */
  readonly sent: Map<string, Buffer>;
  /** Request ids whose held answer was not released within 5 s (the client never saw its first piece). */
  readonly heldTooLong: Set<string>;
  /** Request ids whose connection the server saw closed before it finished writing. */
  readonly closedEarly: Set<string>;
  /** The next streamed answer waits after its first piece until this is called (then goes on with pauses). */
  release(): void;
  /** Makes the next streamed answer wait after its first piece. */
  hold(): void;
}

export interface UpstreamOptions {
  /** Pause between pieces of a streamed answer. @default 5 */
  readonly pauseMs?: number;
}

/**
 * An OpenAI-compatible model server of the test's own: `/v1/chat/completions` answers `stream: true` with the
 * {@link CHAT_CHUNKS} event stream cut at awkward places and written piece by piece with pauses, and a plain
 * completion otherwise; `/events` a non-OpenAI event stream; `/abortable` two pieces then waits for the client to
 * go; `/die` two pieces then drops the connection; `/big?bytes=N` a chunked text body of N bytes.
 */
export async function startLlmUpstream(
  t: { after: (fn: () => Promise<void> | void) => void },
  options: UpstreamOptions = {},
): Promise<Upstream> {
  const pause = options.pauseMs ?? 5;
  const sent = new Map<string, Buffer>();
  const closedEarly = new Set<string>();
  const heldTooLong = new Set<string>();
  let gate: Promise<void> | undefined;
  let open: (() => void) | undefined;
  const write = async (id: string, res: ServerResponse, pieces: Buffer[], waitAfterFirst: boolean) => {
    const all: Buffer[] = [];
    res.once('close', () => {
      if (!res.writableFinished) closedEarly.add(id);
    });
    for (let i = 0; i < pieces.length; i++) {
      if (res.destroyed) break;
      res.write(pieces[i]);
      all.push(pieces[i]!);
      sent.set(id, Buffer.concat(all));
      if (i === 0 && waitAfterFirst && gate) {
        // Bounded, so a proxy that holds answers back fails the test instead of hanging it.
        const released = await Promise.race([gate.then(() => true), sleep(5000).then(() => false)]);
        if (!released) heldTooLong.add(id);
        gate = undefined;
      } else await sleep(pause);
    }
  };
  const handle = async (req: IncomingMessage, body: string, res: ServerResponse) => {
    const id = String(req.headers['x-request-id'] ?? '');
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/v1/chat/completions') {
      const request = JSON.parse(body) as { stream?: boolean };
      if (!request.stream) {
        const text = JSON.stringify(CHAT_COMPLETION);
        sent.set(id, Buffer.from(text));
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
        res.end(text);
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
      await write(id, res, awkwardCuts(sseBytes(CHAT_CHUNKS)), true);
      res.end();
      return;
    }
    if (url.pathname === '/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const text =
        'event: progress\nid: 7\ndata: {"step":1}\n\n' +
        'data: line one\ndata: line two\n\n' +
        'data: 42\n\n';
      await write(id, res, awkwardCuts(Buffer.from(text)), false);
      res.end();
      return;
    }
    if (url.pathname === '/abortable' || url.pathname === '/die') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const pieces = awkwardCuts(sseBytes(CHAT_CHUNKS.slice(0, 3)));
      const head = Buffer.concat(pieces.slice(0, -1)); // all but the final [DONE] event's end
      await write(id, res, [head], false);
      if (url.pathname === '/die') {
        res.socket?.destroy();
        return;
      }
      await new Promise((r) => res.once('close', r));
      return;
    }
    if (url.pathname === '/big') {
      const body = bigBody(Number(url.searchParams.get('bytes')));
      res.writeHead(200, { 'content-type': 'text/plain' });
      for (let n = 0; n < body.length; n += 64 * 1024) {
        if (!res.write(body.subarray(n, n + 64 * 1024))) await once(res, 'drain');
      }
      res.end();
      return;
    }
    res.writeHead(404).end();
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      handle(req, Buffer.concat(chunks).toString('utf8'), res).catch((err: Error) => res.destroy(err));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    sent,
    closedEarly,
    heldTooLong,
    hold() {
      gate = new Promise((r) => {
        open = r;
      });
    },
    release() {
      open?.();
    },
  };
}
