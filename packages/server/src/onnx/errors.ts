/**
 * Errors of the built-in ONNX scorer. Like the SDK's `MdcError`, each carries a stable `code`; match on the
 * code, never on the message.
 *
 * - `MDC_BAD_SCORING_INPUT`: a scoring request body is not a usable MLflow input (HTTP 400).
 * - `MDC_MODEL_LOAD_FAILED`: the model path, MLmodel file or ONNX graph cannot be used.
 * - `MDC_SCORING_FAILED`: onnxruntime failed, or returned outputs that cannot be turned into rows.
 */
export const ONNX_ERROR_CODES = {
  MDC_BAD_SCORING_INPUT: 'a scoring request body is not a usable MLflow scoring input',
  MDC_MODEL_LOAD_FAILED: 'a model path, MLmodel file or ONNX graph cannot be loaded by the built-in scorer',
  MDC_SCORING_FAILED: 'onnxruntime failed to score a request, or returned outputs that cannot become rows',
} as const;

export type OnnxErrorCode = keyof typeof ONNX_ERROR_CODES;

export class OnnxScorerError extends Error {
  readonly code: OnnxErrorCode;
  constructor(code: OnnxErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
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
