import { MdcError } from 'model-data-collector/internal';

/**
 * Errors of the built-in ONNX scorer. Like the SDK's `MdcError`, each carries a stable `code`; match on the
 * code, never on the message.
 *
 * - `MDC_BAD_SCORING_INPUT`: a scoring request body is not a usable MLflow input (HTTP 400).
 * - `MDC_MODEL_LOAD_FAILED`: the model path, MLmodel file or ONNX graph cannot be used.
 * - `MDC_SCORING_FAILED`: onnxruntime failed, or returned outputs that cannot be turned into rows.
 */
export const ONNX_ERROR_CODES = [
  'MDC_BAD_SCORING_INPUT',
  'MDC_MODEL_LOAD_FAILED',
  'MDC_SCORING_FAILED',
] as const;

export type OnnxErrorCode = (typeof ONNX_ERROR_CODES)[number];

/** Base of the scorer's errors: an `MdcError`, so the CLI and server report it like every other coded error. */
export class OnnxScorerError extends MdcError {
  declare readonly code: OnnxErrorCode;
  constructor(code: OnnxErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** The request body is wrong; `path` points at the offending part, e.g. `dataframe_split.data[2]`. */
export class ScoringInputError extends OnnxScorerError {
  readonly path: string | undefined;
  constructor(message: string, path?: string) {
    super('MDC_BAD_SCORING_INPUT', path ? `${path}: ${message}` : message);
    this.path = path;
  }
}

export class ModelLoadError extends OnnxScorerError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('MDC_MODEL_LOAD_FAILED', message, options);
  }
}

export class ScoringFailedError extends OnnxScorerError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('MDC_SCORING_FAILED', message, options);
  }
}
