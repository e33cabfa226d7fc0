import { HttpError, MdcError } from 'model-data-collector/internal';
import { OnnxScorerError } from './onnx/index.js';

/** The JSON body of every error answer: `{"error": {"code": "MDC_…", "message": "…"}}`. */
export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string };
}

/** Maps anything thrown while answering a request to a status and a coded body. */
export function toErrorAnswer(err: unknown): { status: number; body: ErrorBody; expected: boolean } {
  const answer = (status: number, code: string, message: string, expected = true) => ({
    status,
    body: { error: { code, message } },
    expected,
  });
  if (err instanceof HttpError) return answer(err.statusCode, err.code, err.message);
  if (err instanceof OnnxScorerError) {
    return err.code === 'MDC_BAD_SCORING_INPUT'
      ? answer(400, err.code, err.message)
      : answer(500, err.code, err.message, false);
  }
  const e = err as { statusCode?: number; code?: string; message?: string };
  if (
    !(err instanceof MdcError) &&
    typeof e?.statusCode === 'number' &&
    e.statusCode >= 400 &&
    e.statusCode < 500
  ) {
    // fastify's own refusals (body too large, bad content-length, …)
    if (e.statusCode === 413)
      return answer(413, 'MDC_PAYLOAD_TOO_LARGE', e.message ?? 'request body too large');
    // a Content-Type fastify cannot even parse (`;;;`, `application/`)
    if (e.statusCode === 415)
      return answer(415, 'MDC_UNSUPPORTED_MEDIA_TYPE', e.message ?? 'unsupported media type');
    return answer(e.statusCode, 'MDC_BAD_REQUEST_BODY', e.message ?? 'bad request');
  }
  const message = err instanceof Error ? err.message : String(err);
  return answer(500, 'MDC_SCORING_ERROR', `run() failed: ${message}`, false);
}
