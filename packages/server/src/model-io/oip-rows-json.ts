import type { ColumnNamer, OipTensor } from './oip.js';
import { ModelIoSkip, type SkipReason } from './rows.js';

/** The `data` of a table event, written as text: what `serializeTable(rows)` would give for the same rows. */
export interface RowsJson {
  readonly json: string;
  readonly rowCount: number;
}

/** The columns one tensor gives: their names and the JSON text before each value. */
interface TensorColumns {
  readonly width: number;
  /** The names given by the namer (metadata or --feature-names), to tell when they change. */
  readonly given: readonly string[] | undefined;
  readonly names: readonly string[];
  readonly nameSet: ReadonlySet<string>;
  /** `,"name":` before each value. */
  readonly keys: readonly string[];
  /** As `keys`, without the comma before the first (for the row's first tensor). */
  readonly firstKeys: readonly string[];
  /** Names a row object would keep in this order, once each (see {@link plainName}). */
  readonly plain: boolean;
}

/** Column sets kept before the cache starts over (tensor names come from clients). */
const MAX_CACHED_TENSORS = 1000;

/**
 * Writes Open Inference Protocol tensors as the JSON text of their rows, without row objects: the same bytes
 * as {@link tensorRows} then `serializeTable`, at a fraction of the cost. Column names and their JSON text are
 * made once per tensor name, width and given names. It declines (returns undefined) whenever a row object
 * would not keep its columns in order, once each, or a value is not a JSON scalar; the caller then takes the
 * row-object path, so the stored bytes never depend on which path ran.
 */
export class OipRowsJson {
  /** Per tensor name, the columns of each width and given names seen (models may share tensor names). */
  private readonly columns = new Map<string, TensorColumns[]>();
  private cachedTensors = 0;

  /** The rows of `tensors` (every tensor with the same first dimension), or undefined to take the other path. */
  write(tensors: readonly OipTensor[], namer: ColumnNamer, reason: SkipReason): RowsJson | undefined {
    const first = tensors[0]!;
    const n = first.shape.length === 0 ? 1 : first.shape[0]!;
    const layout: TensorColumns[] = new Array(tensors.length);
    /** Per tensor, each value's JSON text, or {@link OWN_TEXT} where a value's own text is its JSON. */
    const values: (readonly string[] | typeof OWN_TEXT)[] = new Array(tensors.length);
    for (let k = 0; k < tensors.length; k++) {
      const t = tensors[k]!;
      const tn = t.shape.length === 0 ? 1 : t.shape[0]!;
      if (tn !== n)
        throw new ModelIoSkip(reason, `tensor ${t.name} has ${tn} rows but ${first.name} has ${n}`);
      if (n === 0) continue;
      // 3 or more dimensions hold nested arrays per row, and a 0-wide tensor shifts the commas: the other path.
      if (t.shape.length > 2) return undefined;
      const width = t.data.length / n;
      if (width === 0) return undefined;
      const spec = this.tensorColumns(t, width, namer);
      if (!spec.plain) return undefined;
      const texts = valueTexts(t.data);
      if (texts === undefined) return undefined;
      layout[k] = spec;
      values[k] = texts;
    }
    if (n === 0) return { json: '[]', rowCount: 0 };
    if (tensors.length > 1 && !distinct(layout)) return undefined;
    let json = '[';
    for (let r = 0; r < n; r++) {
      let row = r === 0 ? '{' : ',{';
      for (let k = 0; k < layout.length; k++) {
        const spec = layout[k]!;
        const keys = k === 0 ? spec.firstKeys : spec.keys;
        const texts = values[k]!;
        const width = spec.width;
        const base = r * width;
        if (texts === OWN_TEXT) {
          const data = tensors[k]!.data;
          for (let j = 0; j < width; j++) row += keys[j]! + `${data[base + j] as number | boolean | null}`;
        } else {
          for (let j = 0; j < width; j++) row += keys[j]! + texts[base + j]!;
        }
      }
      json += `${row}}`;
    }
    return { json: `${json}]`, rowCount: n };
  }

  private tensorColumns(t: OipTensor, width: number, namer: ColumnNamer): TensorColumns {
    // A 1-D tensor, or [N, 1], is one column named as the tensor; [N, F] asks the namer.
    const given = t.shape.length === 2 && width > 1 ? namer(t, width) : undefined;
    const seen = this.columns.get(t.name);
    if (seen !== undefined) {
      for (let i = 0; i < seen.length; i++) {
        const spec = seen[i]!;
        if (spec.width === width && spec.given === given) return spec;
      }
    }
    const names =
      width === 1
        ? [t.name]
        : given && given.length === width
          ? given
          : Array.from({ length: width }, (_, j) => `${t.name}_${j}`);
    const keys = names.map((name) => `,${JSON.stringify(name)}:`);
    const nameSet = new Set(names);
    const spec: TensorColumns = {
      width,
      given,
      names,
      keys,
      firstKeys: [keys[0]!.slice(1), ...keys.slice(1)],
      nameSet,
      plain: names.every(plainName) && nameSet.size === names.length,
    };
    if (this.cachedTensors >= MAX_CACHED_TENSORS) {
      this.columns.clear();
      this.cachedTensors = 0;
    }
    this.cachedTensors++;
    if (seen !== undefined && this.columns.has(t.name)) seen.push(spec);
    else this.columns.set(t.name, [spec]);
    return spec;
  }
}

/**
 * The JSON text of each value, as JSON.stringify writes it in a row (a number as its shortest round-trip form,
 * a non-finite one as null); undefined when a value is not a JSON scalar.
 */
function valueTexts(data: readonly unknown[]): readonly string[] | typeof OWN_TEXT | undefined {
  let strings = false;
  let fractions = false;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    const type = typeof v;
    if (type === 'number') {
      // Also true for NaN and ±Infinity, which JSON.stringify writes as null.
      if (((v as number) | 0) !== v) fractions = true;
    } else if (type === 'string') strings = true;
    else if (type !== 'boolean' && v !== null) return undefined;
  }
  if (strings) return data.map((v) => JSON.stringify(v));
  // Doubles: one JSON.stringify of the whole tensor writes them faster than a string per number (most miss
  // V8's number-to-string cache); no number, boolean or null holds a comma.
  if (fractions) return JSON.stringify(data).slice(1, -1).split(',');
  return OWN_TEXT;
}

/** Values (32-bit integers, booleans, null) whose string form is their JSON text, taken from V8's caches. */
const OWN_TEXT = Symbol('own text');

/**
 * Whether a row object keeps a column of this name where it was set: array indexes ("0", "7") move to the
 * front of an object's keys, and `__proto__` sets the prototype instead of a column.
 */
function plainName(name: string): boolean {
  if (name === '__proto__') return false;
  if (!/^(?:0|[1-9]\d{0,9})$/.test(name)) return true;
  return Number(name) >= 2 ** 32 - 1;
}

/** No column name repeats across the tensors (a row object would keep one value, at the first place). */
function distinct(layout: readonly TensorColumns[]): boolean {
  for (let a = 0; a < layout.length; a++) {
    for (let b = a + 1; b < layout.length; b++) {
      const [small, large] =
        layout[a]!.width <= layout[b]!.width ? [layout[a]!, layout[b]!] : [layout[b]!, layout[a]!];
      for (const name of small.names) if (large.nameSet.has(name)) return false;
    }
  }
  return true;
}
