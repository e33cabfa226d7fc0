import { isObject, ModelIoSkip, type Row } from './rows.js';

/** How long an exchange took, as the proxy measured it (ms from the request's arrival). */
export interface ExchangeTiming {
  /** To the first byte of the answer's body; undefined when it had none. */
  readonly ttftMs: number | undefined;
  /** To the end of the answer. */
  readonly durationMs: number;
}

/** `/v1/chat/completions`, `/v1/completions` and the same under another prefix (Azure OpenAI's deployments). */
export function isOpenAiPath(path: string): boolean {
  const q = path.indexOf('?');
  const p = q === -1 ? path : path.slice(0, q);
  return p.endsWith('/chat/completions') || p.endsWith('/v1/completions');
}

/** Whether a body is an OpenAI-compatible completion request: a `model` with `messages` or a `prompt`. */
export const looksLikeOpenAiRequest = (body: unknown): boolean =>
  isObject(body) &&
  typeof body.model === 'string' &&
  (Array.isArray(body.messages) || body.prompt !== undefined);

/**
 * The one `model_inputs` row of a completion request: `model`, `messages` (JSON text), `prompt` (the last user
 * message's text, or the completion prompt), `temperature`, `max_tokens`, `stream`.
 */
export function openaiInputs(body: unknown): Row[] {
  if (!isObject(body)) throw new ModelIoSkip('invalid_request', 'the body is not a JSON object');
  const messages = Array.isArray(body.messages) ? body.messages : undefined;
  if (messages === undefined && body.prompt === undefined) {
    throw new ModelIoSkip('invalid_request', 'an OpenAI-compatible request has messages or prompt');
  }
  return [
    {
      model: typeof body.model === 'string' ? body.model : null,
      messages: messages ? JSON.stringify(messages) : null,
      prompt: messages ? lastUserText(messages) : promptText(body.prompt),
      temperature: typeof body.temperature === 'number' ? body.temperature : null,
      max_tokens: numberOrNull(body.max_tokens ?? body.max_completion_tokens),
      stream: body.stream === true,
    },
  ];
}

/**
 * The one `model_outputs` row of a completion object (as a server answered it, or as assembled from its
 * stream): the first choice's `completion` text, `tool_calls` (JSON text), `finish_reason`, the token counts of
 * `usage` (null when the server sent none), `ttft_ms`, `duration_ms` and `tokens_per_s` (completion tokens over
 * the whole duration).
 */
export function openaiOutputs(body: unknown, timing: ExchangeTiming | undefined): Row[] {
  if (!isObject(body) || !Array.isArray(body.choices)) {
    throw new ModelIoSkip('invalid_response', 'an OpenAI-compatible answer has choices');
  }
  const first = body.choices.find((c) => isObject(c) && (c.index ?? 0) === 0) ?? body.choices[0];
  const choice = isObject(first) ? first : {};
  const message = isObject(choice.message) ? choice.message : undefined;
  const completion = message ? message.content : choice.text;
  const toolCalls = message && Array.isArray(message.tool_calls) ? message.tool_calls : undefined;
  const usage = isObject(body.usage) ? body.usage : {};
  const completionTokens = numberOrNull(usage.completion_tokens);
  const duration = timing ? round(timing.durationMs) : null;
  return [
    {
      completion: typeof completion === 'string' ? completion : null,
      tool_calls: toolCalls?.length ? JSON.stringify(toolCalls) : null,
      finish_reason: typeof choice.finish_reason === 'string' ? choice.finish_reason : null,
      prompt_tokens: numberOrNull(usage.prompt_tokens),
      completion_tokens: completionTokens,
      total_tokens: numberOrNull(usage.total_tokens),
      ttft_ms: timing?.ttftMs !== undefined ? round(timing.ttftMs) : null,
      duration_ms: duration,
      tokens_per_s:
        completionTokens !== null && duration !== null && duration > 0
          ? round((completionTokens * 1000) / duration)
          : null,
    },
  ];
}

function lastUserText(messages: unknown[]): string | null {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (isObject(m) && m.role === 'user') return contentText(m.content);
  }
  return null;
}

/** A message's text: a string, or the text parts of a list of content parts (images and audio left out). */
function contentText(content: unknown): string | null {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return null;
  const texts = content
    .filter((p) => isObject(p) && typeof p.text === 'string')
    .map((p) => (p as { text: string }).text);
  return texts.length ? texts.join('\n') : null;
}

/** A completion prompt: a string, or the first of a list of strings (token-id prompts are kept as JSON). */
function promptText(prompt: unknown): string | null {
  if (typeof prompt === 'string') return prompt;
  if (Array.isArray(prompt) && typeof prompt[0] === 'string') return prompt[0];
  return prompt === undefined || prompt === null ? null : JSON.stringify(prompt);
}

function numberOrNull(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

const round = (ms: number) => Math.round(ms * 10) / 10;
