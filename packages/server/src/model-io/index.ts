import {
  type Collection,
  type Collector,
  type CorrelationContext,
  type DataCollectorRuntime,
  serializeTable,
  TABLE_DATA_TYPE,
} from 'model-data-collector/internal';
import type { Dispatcher } from 'undici';
import { bodyText } from '../body.js';
import { autoCollectors, safeCollect } from '../onnx-scorer.js';
import { azureInputs, azureOutputs, looksLikeAzureRequest } from './azureml.js';
import { isMlflowPath, looksLikeMlflowRequest, mlflowInputs, mlflowOutputs } from './mlflow.js';
import {
  type ColumnNamer,
  isWide,
  looksLikeOipRequest,
  type OipTensor,
  oipModel,
  readTensors,
  tensorRows,
} from './oip.js';
import { OipMetadataCache, type TensorNames } from './oip-metadata.js';
import { OipRowsJson, type RowsJson } from './oip-rows-json.js';
import {
  type ExchangeTiming,
  isOpenAiPath,
  looksLikeOpenAiRequest,
  openaiInputs,
  openaiOutputs,
} from './openai.js';
import { ModelIoSkip, type Row, type SkipReason } from './rows.js';
import { isTfServingPath, tfServingInputs, tfServingOutputs } from './tfserving.js';

export type { SkipReason } from './rows.js';

/** The protocols the proxy turns into rows. */
export const MODEL_IO_PROTOCOLS = ['oip', 'tfserving', 'mlflow', 'azureml', 'openai'] as const;
export type ModelIoProtocol = (typeof MODEL_IO_PROTOCOLS)[number];
/** `--model-io` values. */
export const MODEL_IO_MODES = ['auto', 'none', ...MODEL_IO_PROTOCOLS] as const;
export type ModelIoMode = (typeof MODEL_IO_MODES)[number];

/** One finished proxied exchange, as the proxy hands it over after the client has its answer. */
export interface ModelIoExchange {
  readonly correlation: CorrelationContext;
  /** Path and query as the client sent them. */
  readonly path: string;
  readonly status: number;
  /** Undefined when the body was over `--max-capture-bytes`; else as {@link parseBody} read it. */
  readonly request: ParsedBody | undefined;
  readonly response: ParsedBody | undefined;
  /** Either side carried `Inference-Header-Content-Length` (the protocol's binary tensor data extension). */
  readonly binary: boolean;
  /** The client went away before its answer was complete (the proxy stopped the upstream request). */
  readonly aborted: boolean;
  /** The client's `Authorization`, reused for the one metadata request per model. */
  readonly authorization?: string;
  /** Time to the answer's first body byte and to its end (OpenAI-compatible rows report them). */
  readonly timing?: ExchangeTiming;
  /** {@link ModelIo.wants} already said yes for this exchange (sampling is not asked again). */
  readonly wanted?: boolean;
}

export interface ModelIoOptions {
  readonly runtime: DataCollectorRuntime;
  /** A protocol, or `auto` to recognise each exchange by path and body shape. */
  readonly protocol: 'auto' | ModelIoProtocol;
  /** Column names of a 2-D input tensor (or positional input rows) of that width. @default from metadata, else `<tensor>_<i>` */
  readonly featureNames?: readonly string[];
  /** The model server, for Open Inference Protocol metadata. */
  readonly upstream: Dispatcher;
  /** The target URL's path prefix. @default '' */
  readonly basePath?: string;
  /** Longest wait for a model's metadata. @default 2000 */
  readonly metadataTimeoutMs?: number;
  /** Told of each skip, collect error and metadata failure (the proxy logs them, throttled). */
  readonly onWarning?: (message: string, reason?: SkipReason) => void;
}

/** Counters of model-io extraction, exported on the proxy's metrics. */
export interface ModelIoStats {
  /** Exchanges (or their outputs) that gave no rows, by reason. */
  readonly skipped: Map<SkipReason, number>;
  /** Exchanges turned into rows, by protocol. */
  readonly exchanges: Map<ModelIoProtocol, number>;
  /** Outputs whose row count differs from the inputs' (kept with `unaligned: "true"`). */
  unaligned: number;
  /** Metadata requests that failed (columns fell back to `<tensor>_<i>`). */
  metadataFailures: number;
}

/** Extension attributes of a `model_outputs` event whose rows do not line up with its `model_inputs` rows. */
export const UNALIGNED_ATTRIBUTE = 'unaligned';
export const INPUT_ROWS_ATTRIBUTE = 'inputrows';

/**
 * Turns proxied inference exchanges into `model_inputs` / `model_outputs` events (N rows each, the request's
 * correlation id, row i of the outputs answering row i of the inputs). It works after the client's answer is
 * sent and never throws: what it cannot map is counted in {@link stats} by reason.
 */
export class ModelIo {
  readonly stats: ModelIoStats = {
    skipped: new Map(),
    exchanges: new Map(),
    unaligned: 0,
    metadataFailures: 0,
  };
  private readonly inputs: Collector | undefined;
  private readonly outputs: Collector | undefined;
  /** The collections of {@link inputs} and {@link outputs}, for rows written as JSON text. */
  private readonly inputCollection: Collection | undefined;
  private readonly outputCollection: Collection | undefined;
  private readonly metadata: OipMetadataCache;
  private readonly featureNames: readonly string[] | undefined;
  private readonly rowsJson = new OipRowsJson();

  constructor(private readonly options: ModelIoOptions) {
    const c = autoCollectors(options.runtime, (err) => this.skip('collect_error', err.message));
    this.inputs = c.inputs;
    this.outputs = c.outputs;
    this.inputCollection = c.inputs && options.runtime.collection(c.inputs.name);
    this.outputCollection = c.outputs && options.runtime.collection(c.outputs.name);
    this.featureNames = options.featureNames?.length ? options.featureNames : undefined;
    this.metadata = new OipMetadataCache({
      upstream: options.upstream,
      basePath: options.basePath ?? '',
      timeoutMs: options.metadataTimeoutMs,
      onFailure: (err) => {
        this.stats.metadataFailures++;
        options.onWarning?.(`model metadata unavailable, columns named <tensor>_<i>: ${err.message}`);
      },
    });
  }

  /** Whether the deployment collects `model_inputs` or `model_outputs` at all. */
  get enabled(): boolean {
    return this.inputs !== undefined || this.outputs !== undefined;
  }

  /**
   * Whether an exchange with this correlation id gives rows at all: `sampling_rate` keeps the id in either
   * collection. The proxy asks before it reads the bodies, so a refused exchange is not parsed for rows (and its
   * refusal is counted once, as collect() counts it). Never throws: a failing collection answers yes, and the
   * exchange's skip is counted when it is read.
   */
  wants(correlationId: string): boolean {
    try {
      return this.sampledIn(correlationId);
    } catch {
      return true;
    }
  }

  /** Takes one finished exchange; the work runs on a later turn of the event loop. Never throws. */
  observe(x: ModelIoExchange): void {
    this.active++;
    this.queue.push(x);
    if (this.queue.length === 1) setImmediate(this.drain);
  }

  /** Exchanges waiting for the next turn of the event loop (one timer for all that finished in this turn). */
  private queue: ModelIoExchange[] = [];

  private readonly drain = (): void => {
    const batch = this.queue;
    this.queue = [];
    for (const x of batch) {
      let waiting: Promise<void> | undefined;
      try {
        waiting = this.extract(x)?.catch((err: Error) => this.skipped(err));
      } catch (err) {
        this.skipped(err as Error);
      }
      if (waiting) void waiting.finally(() => this.active--);
      else this.active--;
    }
  };

  /** Resolves once every exchange handed over so far is collected or skipped (the proxy waits for it on close). */
  async idle(): Promise<void> {
    while (this.active > 0) await new Promise((r) => setTimeout(r, 5));
  }

  private active = 0;

  private extract(x: ModelIoExchange): Promise<void> | undefined {
    if (x.wanted !== true && !this.sampledIn(x.correlation.id)) return undefined;
    if (x.request === undefined) throw new ModelIoSkip('body_too_large', 'the request body was not kept');
    if (x.binary) throw new ModelIoSkip('binary_extension', 'Inference-Header-Content-Length is set');
    if (x.aborted) throw new ModelIoSkip('aborted', 'the client went away before its answer was complete');
    const request = jsonValue(x.request, 'request_not_json');
    const protocol = this.options.protocol === 'auto' ? detect(x.path, request) : this.options.protocol;
    if (protocol === undefined) {
      throw new ModelIoSkip('unrecognized', `no known inference protocol for ${x.path.split('?')[0]}`);
    }
    if (protocol !== 'oip') {
      const rows = this.inputRows(protocol, request);
      this.emit(x, protocol, rows, () => outputRows(protocol, x));
      return undefined;
    }
    const inputs = readTensors(request, 'inputs');
    const model = oipModel(x.path);
    // The answer is read first: its skip (if any) is raised only after the inputs are collected.
    let outputs: OipTensor[] | ModelIoSkip | undefined;
    if (this.outputs && x.status >= 200 && x.status < 300 && x.response !== undefined) {
      try {
        outputs = readTensors(jsonValue(x.response, 'response_not_json'), 'outputs');
      } catch (err) {
        if (!(err instanceof ModelIoSkip)) throw err;
        outputs = err;
      }
    }
    const needsNames =
      model !== undefined &&
      (inputs.some((t) => isWide(t) && this.featureNames?.length !== t.shape[1]) ||
        (Array.isArray(outputs) && outputs.some(isWide)));
    if (!needsNames) {
      this.emitOip(x, inputs, outputs, undefined);
      return undefined;
    }
    const known = this.metadata.known(model);
    if (known !== undefined) {
      this.emitOip(x, inputs, outputs, known);
      return undefined;
    }
    return this.metadata
      .names(model, x.authorization)
      .then((names) => this.emitOip(x, inputs, outputs, names));
  }

  private emitOip(
    x: ModelIoExchange,
    inputs: OipTensor[],
    outputs: OipTensor[] | ModelIoSkip | undefined,
    names: TensorNames | undefined,
  ): void {
    const inputNamer: ColumnNamer = (t, width) =>
      this.featureNames?.length === width ? this.featureNames : names?.inputs.get(t.name);
    const outputNamer: ColumnNamer = (t) => names?.outputs.get(t.name);
    const rows = this.oipRows(inputs, inputNamer, 'invalid_request');
    this.emit(x, 'oip', rows, () => {
      if (outputs instanceof ModelIoSkip) throw outputs;
      return this.oipRows(outputs ?? [], outputNamer, 'invalid_response');
    });
  }

  /** Tensors as the JSON text of their rows, or as row objects where only those give the same bytes. */
  private oipRows(tensors: OipTensor[], namer: ColumnNamer, reason: SkipReason): Table {
    return this.rowsJson.write(tensors, namer, reason) ?? tensorRows(tensors, namer, reason);
  }

  /**
   * Whether either collection keeps this correlation id (sampling is by id, so a refused exchange is not read
   * at all); counts the refusals as collect() would.
   */
  private sampledIn(correlationId: string): boolean {
    try {
      return (
        this.inputCollection?.accepts(correlationId) === true ||
        this.outputCollection?.accepts(correlationId) === true
      );
    } catch (err) {
      throw new ModelIoSkip('collect_error', (err as Error).message);
    }
  }

  private inputRows(protocol: Exclude<ModelIoProtocol, 'oip'>, body: unknown): Row[] {
    switch (protocol) {
      case 'tfserving':
        return tfServingInputs(body, this.featureNames);
      case 'mlflow':
        return mlflowInputs(body, this.featureNames);
      case 'azureml':
        return azureInputs(body, this.featureNames);
      case 'openai':
        return openaiInputs(body);
    }
  }

  /** Collects the input rows, then (for a 2xx answer that maps) the output rows with the same correlation. */
  private emit(x: ModelIoExchange, protocol: ModelIoProtocol, rows: Table, outputs: () => Table): void {
    this.collect(this.inputs, rows, x.correlation);
    this.stats.exchanges.set(protocol, (this.stats.exchanges.get(protocol) ?? 0) + 1);
    if (!this.outputs) return;
    if (x.status < 200 || x.status >= 300) {
      throw new ModelIoSkip('error_status', `the model server answered ${x.status}`);
    }
    if (x.response === undefined) throw new ModelIoSkip('body_too_large', 'the response body was not kept');
    const out = outputs();
    const inputCount = rowCount(rows);
    if (rowCount(out) === inputCount) {
      this.collect(this.outputs, out, x.correlation);
      return;
    }
    // Row i no longer answers row i: kept, flagged and counted rather than paired wrongly without a trace.
    this.stats.unaligned++;
    const c = this.options.runtime.collection(this.outputs.name);
    try {
      if (!c.accepts(x.correlation.id)) return;
      // No rowCount: a flagged event is never merged with others.
      c.emit({
        correlation: x.correlation,
        json: Array.isArray(out) ? serializeTable(out).json : out.json,
        collectDataType: TABLE_DATA_TYPE,
        extensions: { [UNALIGNED_ATTRIBUTE]: 'true', [INPUT_ROWS_ATTRIBUTE]: inputCount },
      });
    } catch (err) {
      this.skip('collect_error', (err as Error).message);
    }
  }

  /** collect() of row objects; JSON text of rows goes to the collection as collect() would send it. */
  private collect(collector: Collector | undefined, table: Table, correlation: CorrelationContext): void {
    if (collector === undefined) return;
    if (Array.isArray(table)) {
      safeCollect(collector, table, (err) => this.skip('collect_error', err.message), correlation);
      return;
    }
    const c = collector === this.inputs ? this.inputCollection! : this.outputCollection!;
    try {
      if (!c.accepts(correlation.id)) return;
      c.emit({ correlation, json: table.json, rowCount: table.rowCount, collectDataType: TABLE_DATA_TYPE });
    } catch (err) {
      this.skip('collect_error', (err as Error).message);
    }
  }

  private skipped(err: Error): void {
    if (err instanceof ModelIoSkip) this.skip(err.reason, err.message);
    else this.skip('invalid_request', err.message);
  }

  private skip(reason: SkipReason, message: string): void {
    this.stats.skipped.set(reason, (this.stats.skipped.get(reason) ?? 0) + 1);
    try {
      this.options.onWarning?.(message, reason);
    } catch {
      // a throwing handler must not escape
    }
  }
}

/** One side's rows: row objects, or their JSON text already written (Open Inference Protocol tensors). */
type Table = Row[] | RowsJson;

const rowCount = (table: Table): number => (Array.isArray(table) ? table.length : table.rowCount);

function outputRows(protocol: Exclude<ModelIoProtocol, 'oip'>, x: ModelIoExchange): Row[] {
  const body = jsonValue(x.response!, 'response_not_json');
  switch (protocol) {
    case 'tfserving':
      return tfServingOutputs(body);
    case 'mlflow':
      return mlflowOutputs(body);
    case 'azureml':
      return azureOutputs(body);
    case 'openai':
      return openaiOutputs(body, x.timing);
  }
}

/** The protocol of an exchange under `--model-io auto`: by path first, then by the body's keys. */
export function detect(path: string, body: unknown): ModelIoProtocol | undefined {
  if (oipModel(path)) return 'oip';
  if (isTfServingPath(path)) return 'tfserving';
  if (isMlflowPath(path)) return 'mlflow';
  if (isOpenAiPath(path) || looksLikeOpenAiRequest(body)) return 'openai';
  if (looksLikeOipRequest(body)) return 'oip';
  if (looksLikeMlflowRequest(body)) return 'mlflow';
  if (looksLikeAzureRequest(body)) return 'azureml';
  if (typeof body === 'object' && body !== null && ('instances' in body || 'inputs' in body)) {
    return 'tfserving';
  }
  return undefined;
}

/** A captured body, decoded and parsed once: payload logging reuses the text, model-io the value. */
export interface ParsedBody {
  /** The text, when the body looked like JSON (starts with `{` or `[`); else the body was not decoded. */
  readonly text: string | undefined;
  /** Whether `text` parsed as JSON. */
  readonly json: boolean;
  readonly value: unknown;
}

const NOT_JSON: ParsedBody = { text: undefined, json: false, value: undefined };

/**
 * Reads a captured body for model-io (undefined when it was too large to keep). Only a body whose first
 * non-blank byte is `{` or `[` is decoded and parsed, so a large binary body costs nothing.
 */
export function parseBody(bytes: Uint8Array | undefined): ParsedBody | undefined {
  if (bytes === undefined) return undefined;
  // A UTF-8 byte order mark, then the blanks JSON allows.
  let i = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  while (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09) i++;
  if (bytes[i] !== 0x7b && bytes[i] !== 0x5b) return NOT_JSON;
  const text = bodyText(bytes);
  try {
    return { text, json: true, value: JSON.parse(text) };
  } catch {
    return { text, json: false, value: undefined };
  }
}

function jsonValue(body: ParsedBody, reason: SkipReason): unknown {
  if (!body.json) throw new ModelIoSkip(reason, 'the body is not JSON');
  return body.value;
}
