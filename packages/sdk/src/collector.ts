import { BasicCorrelationContext, type CorrelationContext, currentCorrelationContext } from './context.js';
import { CollectorClosedError, InvalidOptionError, MdcError } from './errors.js';
import { RowShapes } from './row-shape.js';
import { type Collection, TABLE_DATA_TYPE } from './runtime/collection.js';
import { type DataCollectorRuntime, getDefaultRuntime } from './runtime/runtime.js';
import type { CollectionStats } from './stats.js';
import { serializeTable } from './tabular.js';

export interface CollectorOptions {
  /** The collection name, e.g. `model_inputs`; it names the folder and the event `type`. */
  readonly name: string;
  /**
   * Called with each collection error instead of throwing it from collect(). Background errors (a failed
   * write) also go here. Without it, collect() throws (as the reference SDK does).
   */
  readonly onError?: (err: Error) => void;
  /** The runtime to collect into. @default the process's default runtime (from `MDC_WORKSPACE` / `MDC_DEPLOYMENT_FILE`) */
  readonly runtime?: DataCollectorRuntime;
}

/**
 * Logs tables (model inputs, outputs, anything tabular) of a scoring script as events of one collection.
 *
 * ```ts
 * const inputs = new Collector({ name: 'model_inputs' });
 * const ctx = inputs.collect(rows);
 * outputs.collect(predictions, ctx);
 * ```
 */
export class Collector {
  readonly name: string;
  private readonly collection: Collection;
  private readonly onError: ((err: Error) => void) | undefined;
  private closing: Promise<void> | undefined;
  /** The column shape this collector's rows are written with (see row-shape.ts). */
  private readonly shapes = new RowShapes();

  constructor(options: CollectorOptions) {
    if (typeof options !== 'object' || options === null)
      throw new InvalidOptionError('Collector options must be an object');
    if (typeof options.name !== 'string' || options.name === '') {
      throw new InvalidOptionError('Collector option name must be a non-empty string, e.g. "model_inputs"');
    }
    if (options.onError !== undefined && typeof options.onError !== 'function') {
      throw new InvalidOptionError('Collector option onError must be a function');
    }
    this.name = options.name;
    this.onError = options.onError;
    this.collection = (options.runtime ?? getDefaultRuntime()).collection(options.name);
    this.collection.onError ??= options.onError;
  }

  /**
   * Validates, serializes and queues `data` as one event; never waits on I/O.
   *
   * @param data an array of row objects, an object of equal-length columns, an Arrow Table, or bytes
   * @param context correlation context to reuse (from an earlier collect(), or a BasicCorrelationContext);
   *   by default the current request's context, else a new id
   * @returns the correlation context, to pass to the collect() of the same request's outputs
   */
  collect(data: unknown, context?: CorrelationContext): CorrelationContext {
    const correlation = resolveContext(context);
    try {
      if (this.closing) throw new CollectorClosedError(this.name);
      const c = this.collection;
      if (c.accepts(correlation.id)) {
        if (data instanceof Uint8Array) {
          c.emit({
            correlation,
            raw: data,
            contentType: 'application/octet-stream',
            collectDataType: 'bytes',
          });
        } else {
          let table: ReturnType<typeof serializeTable>;
          try {
            table = serializeTable(data, this.shapes);
          } catch (err) {
            c.stats.rejected++;
            throw err;
          }
          c.emit({
            correlation,
            json: table.json,
            rowCount: table.rowCount,
            collectDataType: TABLE_DATA_TYPE,
          });
        }
      }
    } catch (err) {
      if (!this.onError || !(err instanceof MdcError)) throw err;
      this.onError(err);
    }
    return correlation;
  }

  /** Resolves when everything this process collected so far is written. */
  flush(): Promise<void> {
    return this.collection.runtime.flush();
  }

  /** Flushes and refuses further collect() calls on this Collector. Idempotent. */
  shutdown(): Promise<void> {
    this.closing ??= this.collection.runtime.flush();
    return this.closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown();
  }

  /** This collection's counters. */
  stats(): Readonly<CollectionStats> {
    return { ...this.collection.stats };
  }
}

function resolveContext(context: CorrelationContext | undefined): CorrelationContext {
  if (context === undefined || context === null)
    return currentCorrelationContext() ?? new BasicCorrelationContext();
  if (typeof context === 'string') return new BasicCorrelationContext(context);
  if (typeof context === 'object' && typeof context.id === 'string' && context.id !== '') return context;
  if (typeof context === 'object' && typeof context.getId === 'function')
    return new BasicCorrelationContext(context.getId());
  throw new InvalidOptionError(
    'collect() context must be a CorrelationContext (as returned by collect()) or a BasicCorrelationContext',
  );
}
