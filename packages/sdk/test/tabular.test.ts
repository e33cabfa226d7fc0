// What collect() accepts as a table, how each cell is written, and what it refuses.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DateMillisecond,
  Int64,
  Table,
  TimestampMillisecond,
  tableFromArrays,
  tableFromJSON,
  vectorFromArray,
} from 'apache-arrow';
import { Collector, type MdcError } from '../src/internal.js';
import { blobstore, catchMdc, makeRuntime, readEvents } from './helpers.js';

/** Collects each value as one event and returns the `data` text of each line, as written on disk. */
async function written(values: unknown[]): Promise<{ text: string; data: unknown }[]> {
  const rt = makeRuntime();
  const c = new Collector({ name: 'model_inputs', runtime: rt });
  for (const v of values) c.collect(v);
  await rt.shutdown();
  return readEvents(blobstore(rt.ws)).map(({ text, event }) => {
    const start = text.indexOf(',"data":') + 8;
    return { text: text.slice(start, text.indexOf(',"correlationid":', start)), data: event.data };
  });
}

describe('accepted table shapes', () => {
  it('writes an array of row objects as it is', async () => {
    const rows = [
      { LIMIT_BAL: 502970, AGE: 54, SEX: 2, name: 'a' },
      { LIMIT_BAL: 293458, AGE: 35, SEX: 1, name: 'b' },
    ];
    const [e] = await written([rows]);
    assert.deepEqual(e!.data, rows);
    assert.equal(e!.text, JSON.stringify(rows));
  });

  it('turns an object of equal-length columns into rows, in column order', async () => {
    const [e] = await written([{ col1: [1, 2, 3], col2: [2, 3, 4], name: ['x', 'y', 'z'] }]);
    assert.equal(
      e!.text,
      '[{"col1":1,"col2":2,"name":"x"},{"col1":2,"col2":3,"name":"y"},{"col1":3,"col2":4,"name":"z"}]',
    );
  });

  it('accepts typed-array columns', async () => {
    const [e] = await written([{ f: new Float64Array([1.5, Number.NaN]), i: Int32Array.from([7, -7]) }]);
    assert.equal(e!.text, '[{"f":1.5,"i":7},{"f":null,"i":-7}]');
  });

  it('writes empty tables as []', async () => {
    const got = await written([[], { a: [], b: [] }]);
    assert.deepEqual(
      got.map((e) => e.text),
      ['[]', '[]'],
    );
  });

  it('reads an Apache Arrow Table from tableFromArrays, Int64 exact', async () => {
    const table = tableFromArrays({
      id: BigInt64Array.from([2n ** 62n + 1n, -5n]),
      score: Float64Array.from([0.25, Number.NaN]),
      label: ['yes', 'no'],
    });
    const [e] = await written([table]);
    assert.equal(
      e!.text,
      '[{"id":4611686018427387905,"score":0.25,"label":"yes"},{"id":-5,"score":null,"label":"no"}]',
    );
  });

  it('reads an Arrow Table from tableFromJSON with a nested struct, a list and nulls', async () => {
    const table = tableFromJSON([
      { s: { x: 1, y: 'a' }, l: [1, 2], d: 'x' },
      { s: { x: 2, y: 'b' }, l: [3], d: null },
    ]);
    const [e] = await written([table]);
    assert.deepEqual(e!.data, [
      { s: { x: 1, y: 'a' }, l: [1, 2], d: 'x' },
      { s: { x: 2, y: 'b' }, l: [3], d: null },
    ]);
  });

  it('writes Arrow date and timestamp columns as ISO strings, like Dates', async () => {
    const when = new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 678));
    const table = new Table({
      ts: vectorFromArray([when, null], new TimestampMillisecond()),
      day: vectorFromArray([when, when], new DateMillisecond()),
      n: vectorFromArray([1n, 2n], new Int64()),
    });
    const [e] = await written([table]);
    assert.equal(
      e!.text,
      '[{"ts":"2024-01-02T03:04:05.678Z","day":"2024-01-02T03:04:05.678Z","n":1},' +
        '{"ts":null,"day":"2024-01-02T03:04:05.678Z","n":2}]',
    );
  });
});

describe('cell conversion rules', () => {
  it('writes Date as an ISO string and an invalid Date as null', async () => {
    const [e] = await written([
      [{ d: new Date(Date.UTC(2022, 11, 1, 8, 51, 30, 5)), bad: new Date(Number.NaN) }],
    ]);
    assert.equal(e!.text, '[{"d":"2022-12-01T08:51:30.005Z","bad":null}]');
  });

  it('writes NaN and ±Infinity as null, in plain rows and next to a bigint', async () => {
    const got = await written([
      [{ a: Number.NaN, b: Number.POSITIVE_INFINITY, c: Number.NEGATIVE_INFINITY, d: 1 }],
      [
        {
          a: Number.NaN,
          b: Number.POSITIVE_INFINITY,
          c: Number.NEGATIVE_INFINITY,
          big: 1n,
          nested: [Number.NaN],
        },
      ],
    ]);
    assert.equal(got[0]!.text, '[{"a":null,"b":null,"c":null,"d":1}]');
    assert.equal(got[1]!.text, '[{"a":null,"b":null,"c":null,"big":1,"nested":[null]}]');
  });

  it('keeps bigint exact in the file text', async () => {
    const [e] = await written([
      [{ big: 2n ** 64n, neg: -(2n ** 70n), nested: { v: [2n ** 53n + 1n] }, date: new Date(0) }],
    ]);
    assert.equal(
      e!.text,
      '[{"big":18446744073709551616,"neg":-1180591620717411303424,"nested":{"v":[9007199254740993]},"date":"1970-01-01T00:00:00.000Z"}]',
    );
  });

  it('writes typed arrays as JSON arrays, and a Uint8Array cell as a base64 string', async () => {
    const [e] = await written([
      [
        {
          f32: new Float32Array([0.5, 1]),
          f64: new Float64Array([0.1, Number.NaN]),
          u8: new Uint8Array([1, 2, 255]),
          i64: BigInt64Array.from([2n ** 63n - 1n]),
        },
      ],
    ]);
    assert.equal(e!.text, '[{"f32":[0.5,1],"f64":[0.1,null],"u8":"AQL/","i64":[9223372036854775807]}]');
  });

  it('omits undefined cells (and writes undefined inside a list as null, as JSON does)', async () => {
    const got = await written([
      [{ a: 1, b: undefined, c: [1, undefined] }],
      [{ a: 1, b: undefined, big: 2n }],
      { a: [1, undefined], b: ['x', 'y'] },
    ]);
    assert.equal(got[0]!.text, '[{"a":1,"c":[1,null]}]');
    assert.equal(got[1]!.text, '[{"a":1,"big":2}]');
    assert.equal(got[2]!.text, '[{"a":1,"b":"x"},{"b":"y"}]');
  });
});

describe('rejected data', () => {
  const circular = () => {
    const row: Record<string, unknown> = { a: 1 };
    row.self = row;
    return [row];
  };
  const deepCircular = () => {
    const inner: Record<string, unknown> = {};
    inner.back = inner;
    return [{ c: { inner } }];
  };
  const cases: [string, () => unknown, RegExp][] = [
    ['a string', () => 'a,b\n1,2', /got a string \("a,b\\n1,2"\)/],
    ['a number', () => 42, /got a number/],
    ['null', () => null, /got null/],
    ['undefined', () => undefined, /got undefined/],
    ['a boolean', () => true, /got a boolean/],
    ['ragged columns', () => ({ a: [1, 2, 3], b: [1, 2] }), /ragged columns: "a" has 3 values but "b" has 2/],
    ['a single row object', () => ({ a: 1, b: 'x' }), /looks like a single row: pass it as \[row\]/],
    ['a column that is not an array', () => ({ a: [1], b: 'x' }), /"b" is not an array/],
    ['a function value', () => [{ a: 1, f: () => 1 }], /row 0, column "f": a function cannot be collected/],
    ['a nested function', () => [{ a: { b: () => 1 } }], /row 0, column "a": a nested function/],
    [
      'a symbol value',
      () => [{ ok: 1 }, { s: Symbol('s') }],
      /row 1, column "s": a symbol cannot be collected/,
    ],
    ['a Map', () => new Map([['a', [1]]]), /got a Map/],
    ['a Map cell', () => [{ m: new Map() }], /row 0, column "m": a Map cannot be collected/],
    ['a Set cell', () => [{ m: new Set([1]) }], /row 0, column "m": a Set cannot be collected/],
    ['circular data', circular, /row 0, column "self": circular reference/],
    ['deeper circular data', deepCircular, /row 0, column "c": circular reference/],
    ['a row that is a number', () => [{ a: 1 }, 2], /row 1 is a number; each row must be a plain object/],
    ['a row that is an array', () => [[1, 2]], /row 0 is an array/],
    ['a row that is null', () => [{ a: 1 }, null], /row 1 is null/],
    ['a row that is a string', () => ['a'], /row 0 is a string/],
  ];

  for (const [what, make, message] of cases) {
    it(`rejects ${what} with MDC_NOT_TABULAR and says what was wrong`, async () => {
      const rt = makeRuntime();
      const c = new Collector({ name: 'model_inputs', runtime: rt });
      const err = catchMdc(() => c.collect(make()));
      assert.equal(err.code, 'MDC_NOT_TABULAR');
      assert.equal(err.name, 'NotTabularError');
      assert.match(err.message, message);
      // With onError the same error goes to the callback and nothing is thrown.
      const seen: Error[] = [];
      const quiet = new Collector({ name: 'model_outputs', runtime: rt, onError: (e) => seen.push(e) });
      quiet.collect(make());
      assert.equal(seen.length, 1);
      assert.equal((seen[0] as MdcError).code, 'MDC_NOT_TABULAR');
      await rt.shutdown();
      assert.equal(rt.stats().collections.model_inputs!.rejected, 1);
      assert.equal(rt.stats().collections.model_outputs!.rejected, 1);
      assert.deepEqual(readEvents(blobstore(rt.ws)), [], 'nothing written');
    });
  }
});
