/**
 * Every error model-data-collector raises carries a stable `code` (`MDC_…`). Match on `code`, never on the
 * message text. The table below is the single list of codes; the README documents each one.
 */
export const ERROR_CODES = {
  MDC_NOT_TABULAR: 'collect() was given data that is not a table (rows, columns or an Arrow Table)',
  MDC_INVALID_OPTION: 'an option passed in code has a wrong type or value',
  MDC_INVALID_CONFIG: 'a deployment or workspace YAML file does not match the schema (the key path is given)',
  MDC_UNKNOWN_KEY:
    'a YAML file has a key mdc does not know, e.g. a typo (the key path and a "did you mean" are given)',
  MDC_INVALID_YAML: 'a YAML file could not be parsed',
  MDC_CONFIG_NOT_FOUND: 'a configuration file named by an option or environment variable does not exist',
  MDC_INVALID_ENV: 'an environment variable has a value that cannot be used',
  MDC_TOO_MANY_COLLECTIONS: 'more than 5 custom collections (besides request/response) in one deployment',
  MDC_QUEUE_FULL: 'an event was dropped because the in-memory queue reached its event or byte bound',
  MDC_COLLECTOR_CLOSED: 'collect() was called after shutdown()',
  MDC_WRITE_FAILED: 'writing a batch to the datastore failed after every retry; its events were dropped',
  MDC_WRITE_TIMEOUT:
    'a datastore write did not finish within MDC_WRITE_TIMEOUT_MS; its events were counted as failed, not retried',
  MDC_INVALID_PATH: 'a datastore path or URI cannot be parsed',
  MDC_UNKNOWN_DATASTORE: 'a path names a datastore the workspace does not define',
  MDC_BAD_SCORING_INPUT: 'HTTP 400: a scoring request body is not a usable MLflow scoring input',
  MDC_MODEL_LOAD_FAILED: 'a model path, MLmodel file or ONNX graph cannot be loaded by the built-in scorer',
  MDC_SCORING_FAILED:
    'HTTP 500: onnxruntime failed to score a request, or returned outputs that cannot become rows',
  MDC_USAGE: 'a command line has an unknown command, option or a missing argument',
  MDC_UNKNOWN_ASSET: 'no data asset, version or collection has the name given',
  MDC_AMBIGUOUS_COLLECTION: 'a collection name matches several endpoints or deployments (pick one)',
  MDC_INVALID_TIME_RANGE: 'a --since/--until time cannot be parsed, or the range is empty',
  MDC_QUERY_FAILED: 'DuckDB rejected or failed a query (its message is given)',
  MDC_PATH_NOT_FOUND: 'a datastore path or local file does not exist',
  MDC_MISSING_PACKAGE: 'a feature needs an optional package that is not installed',
  MDC_MODEL_NOT_FOUND:
    'a deployment model path does not exist, or an azureml: model is not registered in the workspace',
  MDC_SCRIPT_LOAD_FAILED: 'a scoring script cannot be found or imported, or does not export init() and run()',
  MDC_INIT_FAILED: "a scoring script's init() threw or rejected, so the deployment never became ready",
  MDC_NOTHING_TO_SERVE:
    'a deployment has no scoring script and its model is not an .onnx file or an MLflow onnx model',
  MDC_LISTEN_FAILED: 'mdc serve or mdc proxy could not listen on the requested host and port',
  MDC_UNAUTHORIZED: 'HTTP 401: auth_mode is key and the request has no valid Authorization: Bearer <key>',
  MDC_NOT_FOUND: 'HTTP 404: no route for this method and path',
  MDC_BAD_REQUEST_BODY: 'HTTP 400: a request body does not match its Content-Type (e.g. invalid JSON)',
  MDC_PAYLOAD_TOO_LARGE: 'HTTP 413: a request body is larger than the server accepts',
  MDC_HEADERS_TOO_LARGE: 'HTTP 431: the request headers are larger than the server accepts (16 KiB)',
  MDC_REQUEST_TIMEOUT:
    'HTTP 408: a client did not send its headers within MDC_HEADERS_TIMEOUT_MS, or its whole request in time',
  MDC_BAD_HTTP: 'HTTP 400: the request is not well-formed HTTP/1.1 (request line, header or chunk framing)',
  MDC_TOO_MANY_REQUESTS: 'HTTP 429: more requests in flight than max_concurrent_requests_per_instance',
  MDC_SCORING_ERROR: "HTTP 500: the scoring script's run() threw or rejected",
  MDC_NOT_READY: 'HTTP 503: the deployment is starting (init() has not finished) or shutting down',
  MDC_SCORING_TIMEOUT: 'HTTP 504: run() did not answer within request_settings.request_timeout_ms',
  MDC_WORKER_EXITED:
    'HTTP 502: the Python worker exited (crash, os._exit, kill, or a run() past the timeout) while handling the request; it is restarted',
  MDC_PYTHON_NOT_FOUND:
    'the Python interpreter for a .py scoring script (--python, MDC_PYTHON, else python3) cannot be started',
  MDC_BAD_EVENT_HEADER:
    'HTTP 400: a data-collector sidecar post has no ce-type azureml.inference.<collection>, or a bad ce-time',
  MDC_COLLECTION_DISABLED:
    'HTTP 404: a data-collector sidecar post names a collection the deployment YAML does not enable',
  MDC_UNSUPPORTED_MEDIA_TYPE:
    'HTTP 415: a data-collector sidecar post is neither application/json nor application/octet-stream, or a request has a Content-Type that does not parse',
  MDC_UPSTREAM_UNAVAILABLE:
    'HTTP 502: mdc proxy could not reach its target, or the target broke the connection',
  MDC_UPSTREAM_TIMEOUT: 'HTTP 504: the target of mdc proxy did not answer in time',
  MDC_INVALID_QUERY_PARAM:
    'HTTP 400: a studio API query parameter is missing or has a bad value (the parameter is named)',
  MDC_INTERNAL: 'HTTP 500: an unexpected failure inside mdc studio (the message says what; please report it)',
  MDC_SPOOL_FULL:
    'events were dropped because the local spool of a cloud datastore reached max_spool_bytes or the disk is full',
  MDC_UPLOAD_FAILED:
    'uploading spooled data to a cloud datastore failed; the data stays in the spool and is retried with backoff',
  MDC_READ_FAILED:
    'reading a cloud datastore failed: the store did not answer or refused the credentials (the store is named)',
  MDC_UPLOAD_CONFLICT:
    'a cloud file is not the length the spool expects (two processes share an instance id, or it was changed)',
  MDC_SPOOL_LOCKED: 'another live process already uses the spool of this instance id',
  MDC_DATASTORE_EXISTS: 'mdc datastore create was given the name of a datastore that already exists',
  MDC_DATASTORE_CHECK_FAILED:
    'mdc datastore --check: a local folder cannot be created, written and cleaned up, or a cloud store does not answer',
  MDC_WEBHOOK_FAILED:
    'mdc monitor could not POST its results to the alert webhook (network error, timeout or non-2xx)',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Base class of every error this project throws or reports. */
export class MdcError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

export class NotTabularError extends MdcError {
  constructor(message: string) {
    super('MDC_NOT_TABULAR', message);
  }
}

export class InvalidOptionError extends MdcError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('MDC_INVALID_OPTION', message, options);
  }
}

export interface ConfigIssue {
  /** Dotted key path inside the file, e.g. `data_collector.sampling_rate`. */
  readonly path: string;
  readonly message: string;
  /** `MDC_UNKNOWN_KEY` for a key the schema does not have; absent for a bad value. */
  readonly code?: 'MDC_UNKNOWN_KEY';
}

export class InvalidConfigError extends MdcError {
  readonly file: string | undefined;
  readonly issues: readonly ConfigIssue[];
  constructor(
    file: string | undefined,
    issues: readonly ConfigIssue[],
    code: 'MDC_INVALID_CONFIG' | 'MDC_UNKNOWN_KEY' = 'MDC_INVALID_CONFIG',
  ) {
    const where = file ? `${file}: ` : '';
    const list = issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ');
    super(code, `${where}invalid configuration: ${list}`);
    this.file = file;
    this.issues = issues;
  }
}

/** A YAML file has keys the schema does not know (listed first in `issues`, each with code MDC_UNKNOWN_KEY). */
export class UnknownKeyError extends InvalidConfigError {
  constructor(file: string | undefined, issues: readonly ConfigIssue[]) {
    super(file, issues, 'MDC_UNKNOWN_KEY');
  }
}

export class InvalidYamlError extends MdcError {
  constructor(file: string, detail: string, options?: { cause?: unknown }) {
    super('MDC_INVALID_YAML', `${file}: not valid YAML: ${detail}`, options);
  }
}

export class ConfigNotFoundError extends MdcError {
  constructor(file: string, from: string) {
    super('MDC_CONFIG_NOT_FOUND', `${from} names ${file}, which does not exist`);
  }
}

export class InvalidEnvError extends MdcError {
  constructor(name: string, detail: string) {
    super('MDC_INVALID_ENV', `environment variable ${name}: ${detail}`);
  }
}

export class TooManyCollectionsError extends MdcError {
  constructor(names: readonly string[], max: number) {
    super(
      'MDC_TOO_MANY_COLLECTIONS',
      `at most ${max} custom collections are allowed per deployment (besides request and response); got ${names.length}: ${names.join(', ')}`,
    );
  }
}

export class QueueFullError extends MdcError {
  readonly dropped: number;
  constructor(collection: string, dropped: number, limit: string) {
    super(
      'MDC_QUEUE_FULL',
      `collection ${collection}: event dropped, the queue is full (${limit}); ${dropped} dropped so far in this process`,
    );
    this.dropped = dropped;
  }
}

export class CollectorClosedError extends MdcError {
  constructor(collection: string) {
    super('MDC_COLLECTOR_CLOSED', `collection ${collection}: collect() called after shutdown()`);
  }
}

export class WriteFailedError extends MdcError {
  readonly events: number;
  constructor(target: string, events: number, tries: number, cause: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super('MDC_WRITE_FAILED', `${target}: ${events} event(s) dropped after ${tries} failed tries: ${why}`, {
      cause,
    });
    this.events = events;
  }
}

export class WriteTimeoutError extends MdcError {
  readonly events: number;
  constructor(target: string, events: number, ms: number) {
    super('MDC_WRITE_TIMEOUT', `${target}: a write of ${events} event(s) did not finish within ${ms} ms`);
    this.events = events;
  }
}

export class InvalidPathError extends MdcError {
  constructor(path: string, detail: string) {
    super('MDC_INVALID_PATH', `${path}: ${detail}`);
  }
}

export class UnknownDatastoreError extends MdcError {
  constructor(name: string, known: readonly string[]) {
    super(
      'MDC_UNKNOWN_DATASTORE',
      `datastore "${name}" is not defined in the workspace (known: ${known.join(', ')})`,
    );
  }
}

export class UsageError extends MdcError {
  constructor(message: string) {
    super('MDC_USAGE', message);
  }
}

export class ModelNotFoundError extends MdcError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('MDC_MODEL_NOT_FOUND', message, options);
  }
}

export class ScriptLoadError extends MdcError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('MDC_SCRIPT_LOAD_FAILED', message, options);
  }
}

export class InitFailedError extends MdcError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('MDC_INIT_FAILED', message, options);
  }
}

export class NothingToServeError extends MdcError {
  constructor(message: string) {
    super('MDC_NOTHING_TO_SERVE', message);
  }
}

export class ListenFailedError extends MdcError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('MDC_LISTEN_FAILED', message, options);
  }
}

/** An error answered over HTTP: `statusCode` is the response status, `code` goes in the JSON body. */
export class HttpError extends MdcError {
  readonly statusCode: number;
  constructor(code: ErrorCode, statusCode: number, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.statusCode = statusCode;
  }
}

export class UnknownAssetError extends MdcError {
  constructor(message: string) {
    super('MDC_UNKNOWN_ASSET', message);
  }
}

export class AmbiguousCollectionError extends MdcError {
  readonly candidates: readonly string[];
  constructor(name: string, candidates: readonly string[]) {
    super(
      'MDC_AMBIGUOUS_COLLECTION',
      `collection "${name}" exists in several deployments (${candidates.join(', ')}); pass --endpoint and --deployment, or a data asset name`,
    );
    this.candidates = candidates;
  }
}

export class InvalidTimeRangeError extends MdcError {
  constructor(message: string) {
    super('MDC_INVALID_TIME_RANGE', message);
  }
}

export class QueryFailedError extends MdcError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('MDC_QUERY_FAILED', message, options);
  }
}

export class PathNotFoundError extends MdcError {
  constructor(path: string, detail = 'does not exist') {
    super('MDC_PATH_NOT_FOUND', `${path}: ${detail}`);
  }
}

export class MissingPackageError extends MdcError {
  constructor(pkg: string, why: string) {
    super('MDC_MISSING_PACKAGE', `${why}: install ${pkg}`);
  }
}

/** Why an upload to a cloud datastore failed, as far as the store's answer tells. */
export type UploadFailureReason = 'auth' | 'not_found' | 'unavailable' | 'conflict' | 'other';

export class SpoolFullError extends MdcError {
  readonly dropped: number;
  constructor(datastore: string, dropped: number, detail: string, options?: { cause?: unknown }) {
    super(
      'MDC_SPOOL_FULL',
      `datastore ${datastore}: events dropped, ${detail}; ${dropped} dropped so far in this process`,
      options,
    );
    this.dropped = dropped;
  }
}

export class UploadFailedError extends MdcError {
  readonly reason: UploadFailureReason;
  constructor(target: string, reason: UploadFailureReason, detail: string, options?: { cause?: unknown }) {
    super('MDC_UPLOAD_FAILED', `${target}: ${detail}`, options);
    this.reason = reason;
  }
}

export class ReadFailedError extends MdcError {
  constructor(target: string, detail: string, options?: { cause?: unknown }) {
    super('MDC_READ_FAILED', `${target}: ${detail}`, options);
  }
}

export class UploadConflictError extends MdcError {
  /** The length the store reports for the file. */
  readonly remoteLength: number;
  constructor(target: string, path: string, expected: number, remoteLength: number) {
    super(
      'MDC_UPLOAD_CONFLICT',
      `${target}: ${path} is ${remoteLength} bytes long where ${expected} were expected (is another process writing with the same instance id?)`,
    );
    this.remoteLength = remoteLength;
  }
}

export class SpoolLockedError extends MdcError {
  constructor(dir: string, pid: number) {
    super(
      'MDC_SPOOL_LOCKED',
      `${dir} is used by live process ${pid}: give each process its own instance id (MDC_INSTANCE_ID)`,
    );
  }
}

export class DatastoreExistsError extends MdcError {
  constructor(name: string) {
    super(
      'MDC_DATASTORE_EXISTS',
      `datastore "${name}" already exists (pass --replace to replace it, or pick another name)`,
    );
  }
}

export class DatastoreCheckFailedError extends MdcError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('MDC_DATASTORE_CHECK_FAILED', message, options);
  }
}

export class WebhookFailedError extends MdcError {
  constructor(url: string, detail: string, options?: { cause?: unknown }) {
    super('MDC_WEBHOOK_FAILED', `alert webhook ${url}: ${detail}`, options);
  }
}
