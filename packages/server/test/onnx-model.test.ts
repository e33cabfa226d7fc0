import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import {
  loadOnnxModel,
  type OnnxModel,
  type OutputRow,
  outputsToRows,
  parseMlflowInput,
} from '../src/onnx/index.js';

const MODEL_FILE = new URL('../../../models/credit-default/model.onnx', import.meta.url);
const MLFLOW_DIR = new URL('../../../models/credit-default-mlflow', import.meta.url);
const SAMPLES_FILE = new URL('../../../models/credit-default/sample-requests.json', import.meta.url);

interface Samples {
  columns: string[];
  dataframe_split: { columns: string[]; index: number[]; data: number[][] };
  dataframe_records: Record<string, number>[];
  expected: { label: number; probability_0: number; probability_1: number }[];
}

const samples = JSON.parse(await readFile(SAMPLES_FILE, 'utf8')) as Samples;
const { columns, dataframe_split: split, dataframe_records: records, expected } = samples;

function assertMatchesExpected(actual: OutputRow[]): void {
  assert.equal(actual.length, expected.length);
  actual.forEach((row, i) => {
    const want = expected[i]!;
    assert.deepEqual(Object.keys(row), ['label', 'probability_0', 'probability_1']);
    assert.equal(row.label, want.label, `row ${i} label`);
    for (const key of ['probability_0', 'probability_1'] as const) {
      const got = row[key];
      assert.equal(typeof got, 'number');
      assert.ok(Math.abs((got as number) - want[key]) < 1e-5, `row ${i} ${key}: ${got} vs ${want[key]}`);
    }
  });
}

const BAD_INPUT = (pattern: RegExp) => (err: unknown) => {
  assert.equal((err as { code?: unknown }).code, 'MDC_BAD_SCORING_INPUT', String(err));
  assert.match((err as Error).message, pattern);
  return true;
};

describe('credit-default ONNX model', () => {
  let plain: OnnxModel;
  let mlflow: OnnxModel;
  before(async () => {
    plain = await loadOnnxModel(MODEL_FILE);
    mlflow = await loadOnnxModel(MLFLOW_DIR);
  });
  after(async () => {
    await plain.close();
    await mlflow.close();
  });

  it('loads a bare .onnx file', () => {
    assert.equal(plain.source, 'onnx');
    assert.equal(plain.onnxPath, fileURLToPath(MODEL_FILE));
    assert.deepEqual(plain.inputNames, ['input']);
    assert.deepEqual(plain.outputNames, ['label', 'probabilities']);
    assert.equal(plain.featureCount, 23);
    assert.equal(plain.featureColumns, undefined);
  });

  it('loads an MLflow directory (or its MLmodel file) with the signature columns', async () => {
    assert.equal(mlflow.source, 'mlflow');
    assert.equal(mlflow.onnxPath, join(fileURLToPath(MLFLOW_DIR), 'model.onnx'));
    assert.deepEqual(mlflow.featureColumns, columns);
    const viaFile = await loadOnnxModel(join(fileURLToPath(MLFLOW_DIR), 'MLmodel'));
    try {
      assert.deepEqual(viaFile.featureColumns, columns);
    } finally {
      await viaFile.close();
    }
  });

  it('scores the sample rows like scikit-learn did', async () => {
    assertMatchesExpected(await plain.score(records));
    assertMatchesExpected(await mlflow.score(records));
  });

  it('uses signature order, not key order, when the model has a signature', async () => {
    const shuffled = records.map((r) => Object.fromEntries(Object.entries(r).reverse()));
    assertMatchesExpected(await mlflow.score(shuffled));
  });

  it('accepts numeric strings and booleans as numbers', async () => {
    const asStrings = records.map((r) =>
      Object.fromEntries(Object.entries(r).map(([k, v]) => [k, String(v)])),
    );
    assertMatchesExpected(await mlflow.score(asStrings));
    const sexAsBool = records.map((r) => ({ ...r, SEX: r.SEX === 1 }));
    assert.equal((await mlflow.score(sexAsBool)).length, records.length);
  });

  describe('every MLflow input format gives the same result', () => {
    const byColumn = Object.fromEntries(columns.map((c) => [c, records.map((r) => r[c])]));
    const bodies: Record<string, unknown> = {
      dataframe_split: { dataframe_split: split },
      'dataframe_split without index': { dataframe_split: { columns, data: split.data } },
      'dataframe_split as a JSON string': JSON.stringify({ dataframe_split: split }),
      dataframe_records: { dataframe_records: records },
      'inputs as records': { inputs: records },
      'instances as records': { instances: records },
      'instances as arrays': { instances: split.data },
      'inputs as a dict of columns': { inputs: byColumn },
      'input_data with columns/index/data': { input_data: split },
      'input_data as arrays': { input_data: split.data },
      'with params': { dataframe_records: records, params: { threshold: 0.5 } },
    };
    for (const [name, body] of Object.entries(bodies)) {
      it(name, async () => {
        assertMatchesExpected(await mlflow.scoreRequest(body));
        // The bare model has no signature: named columns keep their order, arrays are positional.
        assertMatchesExpected(await plain.scoreRequest(body));
      });
    }

    it('parses into columns, rows, index and params', () => {
      const table = parseMlflowInput({ dataframe_split: split, params: { a: 1 } });
      assert.deepEqual(table.columns, columns);
      assert.deepEqual(table.rows, records);
      assert.deepEqual(table.index, split.index);
      assert.deepEqual(table.params, { a: 1 });
      assert.deepEqual(parseMlflowInput({ instances: [[1, 2]] }).columns, ['0', '1']);
      assert.deepEqual(parseMlflowInput({ instances: [[1, 2]] }, { columns: ['a', 'b'] }).rows, [
        { a: 1, b: 2 },
      ]);
    });
  });

  describe('bad inputs fail with MDC_BAD_SCORING_INPUT', () => {
    const row = split.data[0]!;
    const cases: [string, unknown, RegExp][] = [
      ['invalid JSON', '{"dataframe_split":', /not valid JSON/],
      ['a JSON array body', [records[0]], /must be a JSON object/],
      ['no format key', { data: split.data }, /exactly one of .*got keys: data/],
      ['two format keys', { inputs: records, instances: records }, /exactly one of/],
      ['an unknown extra key', { inputs: records, extra: 1 }, /got keys: inputs, extra/],
      ['dataframe_split not an object', { dataframe_split: [row] }, /dataframe_split: must be an object/],
      ['dataframe_split without data', { dataframe_split: { columns } }, /data must be an array/],
      [
        'a short data row',
        { dataframe_split: { columns, data: [row.slice(1)] } },
        /data\[0\]: has 22 values/,
      ],
      ['a data row that is not an array', { dataframe_split: { columns, data: [{}] } }, /data\[0\]/],
      [
        'duplicate columns',
        { dataframe_split: { columns: ['a', 'a'], data: [[1, 2]] } },
        /"a" appears twice/,
      ],
      ['non-string columns', { dataframe_split: { columns: [1, 2], data: [[1, 2]] } }, /array of strings/],
      ['index of wrong length', { dataframe_split: { ...split, index: [0] } }, /index must be an array/],
      [
        'dataframe_records not an array',
        { dataframe_records: records[0] },
        /must be an array of row objects/,
      ],
      ['a record that is not an object', { dataframe_records: [records[0], 5] }, /dataframe_records\[1\]/],
      ['instances as a scalar', { instances: 5 }, /instances: must be an array/],
      ['a dict column that is not an array', { inputs: { AGE: 30 } }, /inputs\.AGE: must be an array/],
      [
        'dict columns of different lengths',
        { inputs: { AGE: [1, 2], SEX: [1] } },
        /inputs\.SEX: has 1 values/,
      ],
      ['no rows', { dataframe_records: [] }, /dataframe_records: contains no rows/],
      [
        'a missing column',
        { dataframe_records: [{ ...records[0], AGE: undefined }] },
        /column "AGE" is missing/,
      ],
      ['a null value', { dataframe_records: [{ ...records[0], AGE: null }] }, /row 0: column "AGE" is null/],
      [
        'a non-numeric string',
        { inputs: [{ ...records[0], SEX: 'F' }] },
        /column "SEX" is "F", not a number/,
      ],
    ];
    for (const [name, body, pattern] of cases) {
      it(name, async () => {
        await assert.rejects(mlflow.scoreRequest(body), BAD_INPUT(pattern));
      });
    }

    it('a record missing a column that a later record has (model without signature)', async () => {
      const { AGE: _, ...first } = records[0]!;
      const body = { dataframe_records: [first, records[1]] };
      await assert.rejects(plain.scoreRequest(body), BAD_INPUT(/row 0: column "AGE" is missing/));
    });

    it('a row with the wrong number of columns for a model without signature', async () => {
      await assert.rejects(
        plain.score([{ a: 1, b: 2 }]),
        BAD_INPUT(/rows have 2 columns but the model takes 23/),
      );
    });
  });
});

describe('loadOnnxModel errors', () => {
  const LOAD_FAILED = (pattern: RegExp) => (err: unknown) => {
    assert.equal((err as { code?: unknown }).code, 'MDC_MODEL_LOAD_FAILED', String(err));
    assert.match((err as Error).message, pattern);
    return true;
  };

  it('a missing path', async () => {
    await assert.rejects(loadOnnxModel('/nonexistent/model.onnx'), LOAD_FAILED(/does not exist/));
  });

  it('a directory without MLmodel, an MLmodel without onnx flavor, a file that is not ONNX', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mdc-onnx-'));
    try {
      await assert.rejects(loadOnnxModel(dir), LOAD_FAILED(/cannot read .*MLmodel/));
      await writeFile(join(dir, 'MLmodel'), 'flavors:\n  sklearn: {pickled_model: model.pkl}\n');
      await assert.rejects(loadOnnxModel(dir), LOAD_FAILED(/no onnx flavor \(flavors: sklearn\)/));
      await writeFile(join(dir, 'MLmodel'), 'flavors:\n  onnx: {data: model.onnx}\n');
      await writeFile(join(dir, 'model.onnx'), 'not a model');
      await assert.rejects(loadOnnxModel(dir), LOAD_FAILED(/onnxruntime cannot load/));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('outputsToRows naming', () => {
  it('names generic outputs <output> / <output>_<i> and keeps unsafe int64 as strings', () => {
    const rows = outputsToRows(
      {
        variable: new ort.Tensor('float32', new Float32Array([1.5, 2.5]), [2]),
        scores: new ort.Tensor('float32', new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]),
        ids: new ort.Tensor('int64', new BigInt64Array([7n, 2n ** 60n]), [2, 1]),
        flag: new ort.Tensor('bool', new Uint8Array([1, 0]), [2]),
      },
      ['variable', 'scores', 'ids', 'flag'],
      2,
    );
    assert.deepEqual(rows, [
      { variable: 1.5, scores_0: 1, scores_1: 2, scores_2: 3, ids: 7, flag: true },
      { variable: 2.5, scores_0: 4, scores_1: 5, scores_2: 6, ids: '1152921504606846976', flag: false },
    ]);
  });

  it('rejects an output whose first dimension is not the row count', () => {
    const out = { y: new ort.Tensor('float32', new Float32Array([1]), [1]) };
    assert.throws(() => outputsToRows(out, ['y'], 2), { code: 'MDC_SCORING_FAILED' });
  });
});
