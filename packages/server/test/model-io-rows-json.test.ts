// The proxy writes Open Inference Protocol rows as JSON text without row objects; these tests hold it to the
// bytes of the row-object path (tensorRows, then serializeTable as collect() does), which it must never differ from.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { serializeTable } from 'model-data-collector/internal';
import { type ColumnNamer, type OipTensor, readTensors, tensorRows } from '../src/model-io/oip.js';
import { OipRowsJson } from '../src/model-io/oip-rows-json.js';
import { ModelIoSkip } from '../src/model-io/rows.js';

const noNames: ColumnNamer = () => undefined;

/** The stored `data` text both ways; `fast` says whether the JSON writer took the exchange. */
function both(tensors: OipTensor[], namer: ColumnNamer = noNames, writer = new OipRowsJson()) {
  const expected = serializeTable(tensorRows(tensors, namer, 'invalid_request')).json;
  const written = writer.write(tensors, namer, 'invalid_request');
  return { expected, written };
}

/** Asserts the writer gives the row-object path's bytes itself (not by declining). */
function same(tensors: OipTensor[], namer: ColumnNamer = noNames, writer = new OipRowsJson()): string {
  const { expected, written } = both(tensors, namer, writer);
  assert.ok(written, 'the JSON writer took these tensors');
  assert.equal(written.json, expected);
  assert.equal(written.rowCount, JSON.parse(expected).length);
  return written.json;
}

/** Tensors as the proxy reads them: from the JSON text of a request. */
const tensors = (text: string) => readTensors(JSON.parse(text), 'inputs');

test('scalars of every datatype give the bytes of the row objects: numbers as JSON.stringify writes them, strings escaped', () => {
  const text = `{"inputs": [
    {"name": "f", "shape": [6], "datatype": "FP64", "data": [1.0, 1e3, -0, 0.1, 1e999, -5e-324]},
    {"name": "s", "shape": [6], "datatype": "BYTES", "data": ["a\\"b", "line\\nbreak", "\\u00e9t\\u00e9", "\\ud83d\\ude00", "\\ud800", ""]},
    {"name": "b", "shape": [6, 1], "datatype": "BOOL", "data": [[true], [false], [true], [false], [true], [false]]},
    {"name": "n", "shape": [6], "datatype": "INT64", "data": [null, 9007199254740993, -1, 0, 2, 3]}
  ]}`;
  const json = same(tensors(text));
  // 1e999 is Infinity once parsed: null, as JSON.stringify writes it; -0 is 0.
  assert.match(json, /^\[\{"f":1,"s":"a\\"b","b":true,"n":null\},\{"f":1000,/);
  assert.match(json, /"f":null,/);
});

test('2-D tensors: names from the namer, else <tensor>_<i>; nested and flat data alike; several tensors side by side', () => {
  const rows = Array.from({ length: 5 }, (_, i) => [i, i * 1.5, -i, i / 3]);
  const nested = tensors(
    JSON.stringify({
      inputs: [
        { name: 'x', shape: [5, 4], datatype: 'FP32', data: rows },
        { name: 'id', shape: [5], datatype: 'INT64', data: [10, 11, 12, 13, 14] },
        { name: 'p', shape: [5, 2], datatype: 'FP32', data: rows.flatMap((r) => r.slice(0, 2)) },
      ],
    }),
  );
  const names = new Map([['x', ['age', 'income', 'limit', 'months']]]);
  const namer: ColumnNamer = (t) => names.get(t.name);
  const writer = new OipRowsJson();
  assert.match(
    same(nested, namer, writer),
    /^\[\{"age":0,"income":0,"limit":0,"months":0,"id":10,"p_0":0,"p_1":0\}/,
  );
  // The same tensor names with other given names (another model), and with none: the cache keeps them apart.
  const other = new Map([['x', ['a', 'b', 'c', 'd']]]);
  assert.match(
    same(nested, (t) => other.get(t.name), writer),
    /^\[\{"a":0,"b":0,"c":0,"d":0,"id":10/,
  );
  assert.match(same(nested, noNames, writer), /^\[\{"x_0":0,"x_1":0,"x_2":0,"x_3":0,"id":10/);
  assert.match(same(nested, namer, writer), /^\[\{"age":0,/);
  // Given names of the wrong width are not used.
  same(nested, () => ['only', 'three', 'names'], writer);
  // One row, and a scalar (shape []) as one row.
  same(tensors('{"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","data":[[1,2,3]]}]}'));
  same(tensors('{"inputs":[{"name":"x","shape":[],"datatype":"FP32","data":[7]}]}'));
});

test('where a row object would reorder, merge or drop columns, the writer declines and the row objects decide', () => {
  const writer = new OipRowsJson();
  const declined = (t: OipTensor[], namer: ColumnNamer = noNames) => {
    const { written } = both(t, namer, writer);
    assert.equal(written, undefined);
  };
  const wide = tensors('{"inputs":[{"name":"x","shape":[2,2],"datatype":"FP32","data":[1,2,3,4]}]}');
  // Array-index names move to the front of an object's keys.
  declined(wide, () => ['b', '0']);
  declined(wide, () => ['7', '3']);
  // __proto__ is not a column of a row object.
  declined(wide, () => ['__proto__', 'a']);
  // A name given twice, or also the name of another tensor, keeps one value at its first place.
  declined(wide, () => ['a', 'a']);
  declined(
    tensors(
      '{"inputs":[{"name":"a","shape":[2],"datatype":"FP32","data":[1,2]},{"name":"x","shape":[2,2],"datatype":"FP32","data":[1,2,3,4]}]}',
    ),
    () => ['b', 'a'],
  );
  // 3-D tensors hold nested arrays per row; objects as values; a 0-wide tensor.
  declined(tensors('{"inputs":[{"name":"t","shape":[1,2,2],"datatype":"UINT8","data":[1,2,3,4]}]}'));
  declined(tensors('{"inputs":[{"name":"o","shape":[1],"datatype":"BYTES","data":[{"k":1}]}]}'));
  declined(
    tensors(
      '{"inputs":[{"name":"e","shape":[2,0],"datatype":"FP32","data":[]},{"name":"a","shape":[2],"datatype":"FP32","data":[1,2]}]}',
    ),
  );
  // Not array indexes: kept where they are, so the writer takes them.
  same(wide, () => ['4294967295', '01']);
  same(wide, () => ['-1', '1.5']);
});

test('no rows, and tensors of different row counts, end as the row-object path ends', () => {
  assert.equal(same(tensors('{"inputs":[{"name":"x","shape":[0,3],"datatype":"FP32","data":[]}]}')), '[]');
  const uneven = tensors(
    '{"inputs":[{"name":"a","shape":[2],"datatype":"FP32","data":[1,2]},{"name":"b","shape":[3],"datatype":"FP32","data":[1,2,3]}]}',
  );
  const reason = (f: () => unknown) => {
    try {
      f();
    } catch (err) {
      assert.ok(err instanceof ModelIoSkip);
      return `${err.reason}: ${err.message}`;
    }
    assert.fail('expected a skip');
  };
  assert.equal(
    reason(() => new OipRowsJson().write(uneven, noNames, 'invalid_request')),
    reason(() => tensorRows(uneven, noNames, 'invalid_request')),
  );
  const emptyThenSome = tensors(
    '{"inputs":[{"name":"a","shape":[0],"datatype":"FP32","data":[]},{"name":"b","shape":[1],"datatype":"FP32","data":[1]}]}',
  );
  assert.equal(
    reason(() => new OipRowsJson().write(emptyThenSome, noNames, 'invalid_request')),
    reason(() => tensorRows(emptyThenSome, noNames, 'invalid_request')),
  );
});

test('random tensors: the writer and the row objects agree on every byte', () => {
  let seed = 42;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const values = [
    0,
    -0,
    1,
    -1.5,
    1e21,
    1e-7,
    123456.789,
    Number.MAX_VALUE,
    'x',
    '',
    'é"\\',
    true,
    false,
    null,
  ];
  const names = ['a', 'b', 'c', 'income', 'ü', 'with space', 'q"uote', '0', '10', '__proto__', 'x_0'];
  const writer = new OipRowsJson();
  let taken = 0;
  for (let i = 0; i < 500; i++) {
    const n = Math.floor(rand() * 4);
    const count = 1 + Math.floor(rand() * 3);
    const list: OipTensor[] = [];
    for (let k = 0; k < count; k++) {
      const width = pick([1, 1, 2, 3]);
      const shape = width === 1 && rand() < 0.5 ? [n] : [n, width];
      const data = Array.from({ length: n * width }, () => pick(values));
      list.push({ name: pick(names), shape, datatype: 'FP32', data });
    }
    // Given names for some tensors, the same array each time it is asked (as the metadata cache gives them).
    const given = new Map<string, readonly string[] | undefined>();
    for (const t of list) {
      const width = t.data.length / Math.max(n, 1);
      if (!given.has(`${t.name}/${width}`)) {
        const names3 = Array.from({ length: width }, () => pick(names));
        given.set(`${t.name}/${width}`, rand() < 0.5 ? names3 : undefined);
      }
    }
    const seen: ColumnNamer = (t, width) => given.get(`${t.name}/${width}`);
    const expected = serializeTable(tensorRows(list, seen, 'invalid_request')).json;
    const written = writer.write(list, seen, 'invalid_request');
    if (written) {
      taken++;
      assert.equal(written.json, expected, JSON.stringify(list));
    }
  }
  assert.ok(taken > 200, `the writer took ${taken} of 500`);
});
