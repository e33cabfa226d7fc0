import { existsSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { InvalidOptionError, PathNotFoundError } from 'model-data-collector/internal';
import type { Reader, SelectOptions } from './reader.js';
import { ident, META_COLUMNS, sqlString } from './view-sql.js';

export interface JoinOptions extends SelectOptions {
  /** @default 'model_inputs' */
  readonly inputs?: string;
  /** @default 'model_outputs' */
  readonly outputs?: string;
  /** A CSV, JSON lines or Parquet file of ground truth, left-joined on {@link on}. */
  readonly groundTruth?: string;
  /** The column that ties ground truth to the joined rows (present in both). @default 'correlationid' */
  readonly on?: string;
}

/** How many rows found their partner. */
export interface JoinStats {
  readonly matched: number;
  /** Input rows with no output row. */
  readonly inputsOnly: number;
  /** Output rows with no input row (not in the result). */
  readonly outputsOnly: number;
  /** With ground truth: joined rows that found a ground-truth row, and that did not. */
  readonly groundTruthMatched?: number;
  readonly groundTruthMissing?: number;
  /** Ground-truth rows no joined row points at. */
  readonly groundTruthUnused?: number;
}

export interface JoinPlan {
  /** A SELECT of the joined rows (inputs left-joined with outputs, then with ground truth). */
  readonly sql: string;
  readonly stats: JoinStats;
}

const JOINED = '__mdc_joined';
const GROUND_TRUTH = '__mdc_ground_truth';

/**
 * Pairs inputs with outputs on `correlationid` and `row_index` (a multi-row call pairs row by row), keeps
 * every input row, and optionally left-joins ground truth. The join is computed once into a temporary table.
 */
export async function planJoin(reader: Reader, options: JoinOptions = {}): Promise<JoinPlan> {
  const inputs = await reader.plan(options.inputs ?? 'model_inputs', options);
  const outputs = await reader.plan(options.outputs ?? 'model_outputs', options);
  const inCols = (await reader.run(`DESCRIBE ${inputs.sql}`)).map((r) => String(r.column_name));
  const outCols = (await reader.run(`DESCRIBE ${outputs.sql}`)).map((r) => String(r.column_name));
  const meta = new Set<string>(META_COLUMNS);
  const taken = new Set(inCols.map((c) => c.toLowerCase()));
  const select = [
    'coalesce(i.correlationid, o.correlationid) AS correlationid',
    'coalesce(i.row_index, o.row_index) AS row_index',
    'coalesce(i.id, o.id) AS id',
    'i."time" AS "time"',
    'o."time" AS output_time',
    'i.event_id AS input_event_id',
    'o.event_id AS output_event_id',
    'i.modelversion AS modelversion',
    ...inCols.filter((c) => !meta.has(c)).map((c) => `i.${ident(c)}`),
  ];
  for (const name of [
    'correlationid',
    'row_index',
    'id',
    'time',
    'output_time',
    'input_event_id',
    'output_event_id',
    'modelversion',
  ])
    taken.add(name);
  for (const c of outCols.filter((x) => !meta.has(x))) {
    let name = c;
    while (taken.has(name.toLowerCase())) name = `output_${name}`;
    taken.add(name.toLowerCase());
    select.push(`o.${ident(c)} AS ${ident(name)}`);
  }
  select.push('i.correlationid IS NOT NULL AS __in_inputs', 'o.correlationid IS NOT NULL AS __in_outputs');
  await reader.run(
    `CREATE OR REPLACE TEMP TABLE ${JOINED} AS SELECT ${select.join(', ')} FROM (${inputs.sql}) i FULL OUTER JOIN (${outputs.sql}) o ON i.correlationid = o.correlationid AND i.row_index = o.row_index`,
  );
  const [counts] = await reader.run(
    `SELECT count(*) FILTER (WHERE __in_inputs AND __in_outputs) AS matched, count(*) FILTER (WHERE __in_inputs AND NOT __in_outputs) AS inputs_only, count(*) FILTER (WHERE NOT __in_inputs) AS outputs_only FROM ${JOINED}`,
  );
  const stats = {
    matched: Number(counts?.matched ?? 0),
    inputsOnly: Number(counts?.inputs_only ?? 0),
    outputsOnly: Number(counts?.outputs_only ?? 0),
  };
  const joined = `SELECT * EXCLUDE (__in_inputs, __in_outputs) FROM ${JOINED} WHERE __in_inputs`;
  if (!options.groundTruth) return { sql: joined, stats };

  const on = options.on ?? 'correlationid';
  await reader.run(
    `CREATE OR REPLACE TEMP VIEW ${GROUND_TRUTH} AS SELECT * FROM ${groundTruthReader(options.groundTruth)}`,
  );
  const gtCols = (await reader.run(`DESCRIBE ${GROUND_TRUTH}`)).map((r) => String(r.column_name));
  const joinedCols = [...taken];
  if (!gtCols.includes(on))
    throw new InvalidOptionError(
      `ground truth ${options.groundTruth} has no column "${on}" (it has: ${gtCols.join(', ')})`,
    );
  if (!joinedCols.includes(on.toLowerCase()))
    throw new InvalidOptionError(
      `the joined rows have no column "${on}"; --on names a column present in both`,
    );
  const gtSelect = gtCols
    .filter((c) => c !== on)
    .map((c) => {
      let name = c;
      while (taken.has(name.toLowerCase())) name = `ground_truth_${name}`;
      taken.add(name.toLowerCase());
      return `g.${ident(c)} AS ${ident(name)}`;
    });
  const key = (t: string) => `CAST(${t}.${ident(on)} AS VARCHAR)`;
  const sql = `SELECT j.*${gtSelect.length ? `, ${gtSelect.join(', ')}` : ''} FROM (${joined}) j LEFT JOIN (SELECT *, true AS __found FROM ${GROUND_TRUTH}) g ON ${key('j')} = ${key('g')}`;
  const [gt] = await reader.run(
    `SELECT count(*) FILTER (WHERE g.__found) AS found, count(*) FILTER (WHERE g.__found IS NULL) AS missing FROM (${joined}) j LEFT JOIN (SELECT *, true AS __found FROM ${GROUND_TRUTH}) g ON ${key('j')} = ${key('g')}`,
  );
  const [unused] = await reader.run(
    `SELECT count(*) AS n FROM ${GROUND_TRUTH} g WHERE NOT EXISTS (SELECT 1 FROM (${joined}) j WHERE ${key('j')} = ${key('g')})`,
  );
  return {
    sql,
    stats: {
      ...stats,
      groundTruthMatched: Number(gt?.found ?? 0),
      groundTruthMissing: Number(gt?.missing ?? 0),
      groundTruthUnused: Number(unused?.n ?? 0),
    },
  };
}

function groundTruthReader(file: string): string {
  const abs = resolve(file);
  if (!existsSync(abs)) throw new PathNotFoundError(file);
  const ext = extname(abs).toLowerCase();
  if (ext === '.csv' || ext === '.tsv') return `read_csv(${sqlString(abs)}, header = true)`;
  if (ext === '.jsonl' || ext === '.ndjson' || ext === '.json') return `read_json(${sqlString(abs)})`;
  if (ext === '.parquet') return `read_parquet(${sqlString(abs)})`;
  throw new InvalidOptionError(`ground truth ${file}: expected a .csv, .jsonl, .json or .parquet file`);
}
