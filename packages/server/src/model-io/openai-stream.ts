import { isObject } from './rows.js';

type Json = Record<string, unknown>;

interface ToolCall {
  index: number;
  id?: string;
  type?: string;
  function: { name?: string; arguments: string };
}

interface Choice {
  index: number;
  role?: string;
  content?: string;
  refusal?: string;
  reasoning?: string;
  toolCalls?: ToolCall[];
  functionCall?: { name?: string; arguments: string };
  text?: string;
  /** Chat: `{content: [...], refusal: [...]}`; completions: `{tokens, token_logprobs, top_logprobs, text_offset}`. */
  logprobs?: Record<string, unknown[]>;
  finishReason: unknown;
}

/**
 * Rebuilds the completion object an OpenAI-compatible server would have answered without `"stream": true`
 * from the chunks of its event stream (`chat.completion.chunk` or `text_completion`): content, refusal and
 * reasoning text and tool-call arguments are concatenated per choice and tool call, log probabilities appended,
 * the last `finish_reason` and the `usage` of the last chunk that has one are kept.
 */
export class OpenAiStreamAssembler {
  /** `chat` once a chunk with `delta` was seen, `text` for completions. */
  private kind: 'chat' | 'text' | undefined;
  private head: Json | undefined;
  private readonly choices = new Map<number, Choice>();
  private usage: unknown;
  /** An `error` object the server sent inside the stream (vLLM does when generation fails mid-way). */
  private error: unknown;
  /** Chunks taken (each `data:` JSON object other than `[DONE]`). */
  chunks = 0;

  /** Whether a parsed `data:` value is a chunk of an OpenAI-compatible stream (the first one decides the stream's kind). */
  static isChunk(value: unknown): boolean {
    if (!isObject(value)) return false;
    const o = value.object;
    if (o === 'chat.completion.chunk' || o === 'text_completion') return true;
    // Servers that omit `object` (older llama.cpp): choices with a delta or text.
    const c = Array.isArray(value.choices) ? value.choices[0] : undefined;
    return isObject(c) && (isObject(c.delta) || typeof c.text === 'string');
  }

  /**
   * Takes one `data:` text: a chunk shaped like the last plain content delta (the same text around a different
   * `content` string) is read without JSON.parse, which was most of the cost of collecting a token stream.
   */
  addText(data: string): void {
    const content = this.shape?.content(data);
    if (content !== undefined) {
      this.chunks++;
      const choice = this.choices.get(this.shape!.index)!;
      choice.content = (choice.content ?? '') + content;
      return;
    }
    this.parsedChunks++;
    let value: unknown;
    try {
      value = JSON.parse(data);
    } catch {
      return;
    }
    this.add(value);
    this.shape = ContentShape.of(data, value);
  }

  private shape: ContentShape | undefined;
  /** Chunks {@link addText} had to parse (the others matched the last content delta's shape). */
  parsedChunks = 0;

  /** Takes one parsed `data:` value. */
  add(value: unknown): void {
    if (!isObject(value)) return;
    this.chunks++;
    if (value.error !== undefined && value.choices === undefined) {
      this.error = value.error;
      return;
    }
    this.head ??= value;
    if (isObject(value.usage)) this.usage = value.usage;
    if (!Array.isArray(value.choices)) return;
    for (const c of value.choices) {
      if (!isObject(c)) continue;
      const index = typeof c.index === 'number' ? c.index : 0;
      let choice = this.choices.get(index);
      if (!choice) {
        choice = { index, finishReason: null };
        this.choices.set(index, choice);
      }
      if (isObject(c.delta)) {
        this.kind ??= 'chat';
        delta(choice, c.delta);
      } else if (typeof c.text === 'string') {
        this.kind ??= 'text';
        choice.text = (choice.text ?? '') + c.text;
      }
      if (isObject(c.logprobs)) appendLogprobs(choice, c.logprobs);
      if (c.finish_reason !== undefined && c.finish_reason !== null) choice.finishReason = c.finish_reason;
    }
  }

  /** Whether the server sent `usage` (it does in its last chunk when asked with `stream_options.include_usage`). */
  get hasUsage(): boolean {
    return this.usage !== undefined;
  }

  /** The assembled completion object, as far as the stream went. */
  completion(): Json {
    const head = this.head ?? {};
    const chat = this.kind !== 'text' && head.object !== 'text_completion';
    const out: Json = {
      id: head.id ?? null,
      object: chat ? 'chat.completion' : 'text_completion',
      created: head.created ?? null,
      model: head.model ?? null,
    };
    if (head.system_fingerprint !== undefined) out.system_fingerprint = head.system_fingerprint;
    out.choices = [...this.choices.values()]
      .sort((a, b) => a.index - b.index)
      .map((c) => (chat ? chatChoice(c) : textChoice(c)));
    if (this.usage !== undefined) out.usage = this.usage;
    if (this.error !== undefined) out.error = this.error;
    return out;
  }
}

function delta(choice: Choice, d: Json): void {
  if (typeof d.role === 'string') choice.role = d.role;
  if (typeof d.content === 'string') choice.content = (choice.content ?? '') + d.content;
  if (typeof d.refusal === 'string') choice.refusal = (choice.refusal ?? '') + d.refusal;
  // vLLM and DeepSeek-style servers stream the reasoning apart from the answer.
  const reasoning = typeof d.reasoning_content === 'string' ? d.reasoning_content : d.reasoning;
  if (typeof reasoning === 'string') choice.reasoning = (choice.reasoning ?? '') + reasoning;
  if (Array.isArray(d.tool_calls)) {
    choice.toolCalls ??= [];
    for (const t of d.tool_calls) {
      if (!isObject(t)) continue;
      const index = typeof t.index === 'number' ? t.index : choice.toolCalls.length;
      let call = choice.toolCalls.find((c) => c.index === index);
      if (!call) {
        call = { index, function: { arguments: '' } };
        choice.toolCalls.push(call);
      }
      if (typeof t.id === 'string') call.id = t.id;
      if (typeof t.type === 'string') call.type = t.type;
      if (isObject(t.function)) appendFunction(call.function, t.function);
    }
  }
  if (isObject(d.function_call)) {
    choice.functionCall ??= { arguments: '' };
    appendFunction(choice.functionCall, d.function_call);
  }
}

function appendFunction(into: { name?: string; arguments: string }, f: Json): void {
  // The name usually comes whole in the first delta; a server that repeats it is not doubled.
  if (typeof f.name === 'string' && f.name !== into.name) into.name = (into.name ?? '') + f.name;
  if (typeof f.arguments === 'string') into.arguments += f.arguments;
}

function appendLogprobs(choice: Choice, lp: Json): void {
  choice.logprobs ??= {};
  for (const [key, value] of Object.entries(lp)) {
    if (!Array.isArray(value)) continue;
    const prior = choice.logprobs[key];
    if (prior) for (const v of value) prior.push(v);
    else choice.logprobs[key] = [...value];
  }
}

function chatChoice(c: Choice): Json {
  const message: Json = { role: c.role ?? 'assistant', content: c.content ?? null };
  if (c.refusal !== undefined) message.refusal = c.refusal;
  if (c.reasoning !== undefined) message.reasoning_content = c.reasoning;
  if (c.toolCalls?.length) {
    message.tool_calls = c.toolCalls
      .sort((a, b) => a.index - b.index)
      .map((t) => ({ id: t.id ?? null, type: t.type ?? 'function', function: t.function }));
  }
  if (c.functionCall) message.function_call = c.functionCall;
  return { index: c.index, message, logprobs: c.logprobs ?? null, finish_reason: c.finishReason };
}

function textChoice(c: Choice): Json {
  return { index: c.index, text: c.text ?? '', logprobs: c.logprobs ?? null, finish_reason: c.finishReason };
}

/**
 * The text around the `content` string of a plain content delta (one choice, a delta of `content` and maybe
 * `role`, no log probabilities, no finish reason, no usage): every later chunk that is that same text around
 * another string literal adds just that string, exactly as parsing it would.
 */
class ContentShape {
  private constructor(
    readonly index: number,
    readonly prefix: string,
    readonly suffix: string,
  ) {}

  static of(data: string, value: unknown): ContentShape | undefined {
    if (!isObject(value) || (value.usage !== undefined && value.usage !== null)) return undefined;
    if (value.error !== undefined || !Array.isArray(value.choices) || value.choices.length !== 1)
      return undefined;
    const c = value.choices[0];
    if (!isObject(c) || !isObject(c.delta) || typeof c.delta.content !== 'string') return undefined;
    if ((c.logprobs ?? null) !== null || (c.finish_reason ?? null) !== null) return undefined;
    if (Object.keys(c.delta).some((k) => k !== 'content' && k !== 'role')) return undefined;
    // The literal is the one after the last `"content":` (the delta's keys follow the choice's index).
    const key = data.lastIndexOf('"content":');
    if (key === -1) return undefined;
    let start = key + 10;
    while (data.charCodeAt(start) === 0x20) start++;
    const end = stringEnd(data, start);
    if (end === -1) return undefined;
    const shape = new ContentShape(
      typeof c.index === 'number' ? c.index : 0,
      data.slice(0, start),
      data.slice(end + 1),
    );
    // The literal found must be the delta's content: another string there must read back as the content.
    try {
      const probe = JSON.parse(`${shape.prefix}"mdc\\u0000probe"${shape.suffix}`) as {
        choices: { delta: { content: unknown } }[];
      };
      if (probe.choices[0]?.delta.content !== 'mdc\u0000probe') return undefined;
    } catch {
      return undefined;
    }
    return shape;
  }

  /** The content string of a chunk of this shape, else undefined. */
  content(data: string): string | undefined {
    const p = this.prefix.length;
    const end = data.length - this.suffix.length - 1;
    if (end <= p || !data.startsWith(this.prefix) || !data.endsWith(this.suffix)) return undefined;
    if (stringEnd(data, p) !== end) return undefined;
    const literal = data.slice(p, end + 1);
    return literal.indexOf('\\') === -1 ? literal.slice(1, -1) : (JSON.parse(literal) as string);
  }
}

/** The index of the closing quote of the JSON string literal that starts at `start`, else -1. */
function stringEnd(text: string, start: number): number {
  if (text.charCodeAt(start) !== 0x22) return -1;
  for (let i = start + 1; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 0x5c) i++;
    else if (ch === 0x22) return i;
    else if (ch < 0x20) return -1;
  }
  return -1;
}
