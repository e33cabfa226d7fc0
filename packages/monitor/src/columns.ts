import type { Finding } from './result.js';
import type { Table } from './table.js';

/** Columns the reader adds to every collection: never features. */
export const META_COLUMNS: ReadonlySet<string> = new Set([
  'time',
  'correlationid',
  'row_index',
  'id',
  'event_id',
  'modelversion',
  'data_uri',
]);

export type FeatureType = 'numerical' | 'categorical';

const isNull = (v: unknown): boolean =>
  v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v));

/** The feature type a reference column suggests: numerical when every value present is a finite number. */
export function inferType(
  values: ArrayLike<unknown> | undefined,
): { type: FeatureType; mixed: boolean } | undefined {
  if (!values) return undefined;
  let numbers = 0;
  let others = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (isNull(v)) continue;
    if (typeof v === 'number' || typeof v === 'bigint') numbers++;
    else others++;
  }
  if (numbers === 0 && others === 0) return undefined;
  return { type: others === 0 ? 'numerical' : 'categorical', mixed: numbers > 0 && others > 0 };
}

/** A column split by what it holds, for a feature of a known type. */
export interface ColumnValues {
  readonly rows: number;
  readonly nulls: number;
  /** Values of the wrong type: not a number for a numerical feature, an object or array for a categorical one. */
  readonly typeErrors: number;
  /** Numerical: the finite values (unsorted). */
  readonly numbers?: Float64Array;
  /** Categorical: count per category. */
  readonly categories?: Map<string, number>;
}

/** Splits a column (or a missing one: all null) into nulls, type errors and usable values. */
export function columnValues(
  values: ArrayLike<unknown> | undefined,
  rows: number,
  type: FeatureType,
): ColumnValues {
  if (!values)
    return {
      rows,
      nulls: rows,
      typeErrors: 0,
      ...(type === 'numerical' ? { numbers: new Float64Array(0) } : { categories: new Map() }),
    };
  let nulls = 0;
  let typeErrors = 0;
  if (type === 'numerical') {
    const numbers = new Float64Array(values.length);
    let n = 0;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (typeof v === 'number') {
        if (Number.isFinite(v)) numbers[n++] = v;
        else if (Number.isNaN(v)) nulls++;
        else typeErrors++;
      } else if (v === null || v === undefined) nulls++;
      else if (typeof v === 'bigint') numbers[n++] = Number(v);
      else typeErrors++;
    }
    return { rows, nulls, typeErrors, numbers: numbers.subarray(0, n) };
  }
  const categories = new Map<string, number>();
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (isNull(v)) {
      nulls++;
      continue;
    }
    const t = typeof v;
    if (t === 'string' || t === 'number' || t === 'boolean' || t === 'bigint') {
      const key = String(v);
      categories.set(key, (categories.get(key) ?? 0) + 1);
    } else typeErrors++;
  }
  return { rows, nulls, typeErrors, categories };
}

/** Which features a signal looks at, with findings for the ones only one side has. */
export function selectFeatures(
  reference: Table,
  production: Table,
  options: {
    features?: readonly string[];
    topN?: number;
    featureImportance?: Readonly<Record<string, number>>;
    exclude?: readonly (string | undefined)[];
  },
  findings: Finding[],
): string[] {
  const exclude = new Set(options.exclude?.filter((x): x is string => x !== undefined));
  if (options.features) return [...options.features];
  if (options.topN !== undefined && options.featureImportance) {
    return Object.entries(options.featureImportance)
      .filter(([name]) => !exclude.has(name))
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, options.topN)
      .map(([name]) => name);
  }
  const names: string[] = [];
  for (const name of reference.columns.keys())
    if (!META_COLUMNS.has(name) && !exclude.has(name)) names.push(name);
  for (const name of production.columns.keys()) {
    if (META_COLUMNS.has(name) || exclude.has(name) || reference.columns.has(name)) continue;
    if (reference.rowCount > 0) {
      findings.push({
        severity: 'warning',
        feature: name,
        message: `column ${name} is in the production data but not in the reference; not monitored`,
      });
      continue;
    }
    names.push(name);
  }
  return names;
}
