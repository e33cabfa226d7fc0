// The compiled row writer (row-shape.ts) must write exactly what JSON.stringify writes, for every row a collector
// sends it, and hand every other row to JSON.stringify. Driven through collect(), checked on the bytes in the file.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { Collector } from '../src/internal.js';
import { RowShapes } from '../src/row-shape.js';
import { serializeTable } from '../src/tabular.js';
import { blobstore, makeRuntime, readEvents, tempDir } from './helpers.js';

const DIST = new URL('../dist/index.js', import.meta.url);

/** Collects each table with one Collector and returns the `data` text of each line, as written on disk. */
async function written(tables: unknown[]): Promise<string[]> {
  const rt = makeRuntime();
  const c = new Collector({ name: 'model_inputs', runtime: rt });
  for (const t of tables) c.collect(t);
  await rt.shutdown();
  return readEvents(blobstore(rt.ws)).map(({ text }) => {
    const start = text.indexOf(',"data":') + 8;
    return text.slice(start, text.indexOf(',"correlationid":', start));
  });
}

/** A shape learnt from `rows` (two calls with the same keys), as a Collector learns it. */
function learnt(row: Record<string, unknown>): RowShapes {
  const shapes = new RowShapes();
  serializeTable([row], shapes);
  serializeTable([row], shapes);
  assert.deepEqual(shapes.keys, Object.keys(row), 'the shape is learnt after two calls');
  return shapes;
}

const CELLS: unknown[] = [
  0,
  -0,
  1,
  -1,
  0.1,
  -1.5e-7,
  1e21,
  2 ** 53 + 2,
  Number.MAX_VALUE,
  Number.MIN_VALUE,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  '',
  'plain',
  'quote " backslash \\ newline \n tab \t',
  'control \u0001 \u001f',
  'non-ASCII é 日本 😀',
  'line separators \u2028 \u2029',
  'lone surrogate \ud800 end',
  true,
  false,
  null,
];

describe('compiled row writer', () => {
  it('writes every simple cell exactly as JSON.stringify, once the shape is learnt', async () => {
    const rows = CELLS.map((v) => ({ a: v, b: 7, c: 'x' }));
    const tables = [...rows.map((r) => [r]), rows];
    const texts = await written(tables);
    assert.equal(texts.length, tables.length);
    for (const [i, t] of texts.entries()) assert.equal(t, JSON.stringify(tables[i]), `table ${i}`);
  });

  it('uses the compiled writer for learnt rows and JSON.stringify for the others, with the same text', () => {
    const shapes = learnt({ a: 1, 'b"\\\n': 2, '0': 3, '\u2028': 4 });
    const cases: unknown[][] = [
      [{ a: 1, 'b"\\\n': 2, '0': 3, '\u2028': 4 }],
      [{ 'b"\\\n': 2, a: 1, '0': 3, '\u2028': 4 }], // the same keys written in another order: still matched
      [{ a: 1, 'b"\\\n': 2 }], // fewer keys
      [{ a: 1, 'b"\\\n': 2, '0': 3, '\u2028': 4, extra: 5 }], // more keys
      [{ a: undefined, 'b"\\\n': 2, '0': 3, '\u2028': 4 }], // undefined is left out
      [{ a: new Date(0), 'b"\\\n': 2, '0': 3, '\u2028': 4 }],
      [{ a: { nested: [1, 'x', null] }, 'b"\\\n': 2, '0': 3, '\u2028': 4 }],
      [{ a: [1, 2], 'b"\\\n': 2, '0': 3, '\u2028': 4 }],
      [
        { a: 1, 'b"\\\n': 2, '0': 3, '\u2028': 4 },
        { a: 2, other: 1 },
      ],
      [Object.assign(Object.create(null), { a: 1, 'b"\\\n': 2, '0': 3, '\u2028': 4 })],
      [],
    ];
    for (const rows of cases) {
      assert.equal(serializeTable(rows, shapes).json, JSON.stringify(rows), JSON.stringify(rows));
    }
  });

  it('writes the learnt keys only when a row has exactly those keys, in the same order as Object.keys', () => {
    // The order of integer-like keys is not the order they were added in; the writer follows Object.keys.
    const shapes = learnt({ b: 1, 10: 2, 2: 3 });
    assert.deepEqual(shapes.keys, ['2', '10', 'b']);
    const row = { b: 'x', 2: 'y', 10: 'z' };
    assert.equal(serializeTable([row], shapes).json, JSON.stringify([row]));
  });

  it('never compiles a row with an own __proto__ key, and writes it as JSON.stringify does', () => {
    const shapes = new RowShapes();
    const row = JSON.parse('{"a":1,"__proto__":{"x":1}}') as Record<string, unknown>;
    for (let i = 0; i < 3; i++) assert.equal(serializeTable([row], shapes).json, JSON.stringify([row]));
    assert.equal(shapes.keys, undefined);
  });

  it('learns a new shape when the columns change, and stops learning after many changes', () => {
    const shapes = learnt({ a: 1 });
    serializeTable([{ b: 1 }], shapes);
    assert.deepEqual(shapes.keys, ['a'], 'one call with new keys is not a shape yet');
    serializeTable([{ b: 1 }], shapes);
    assert.deepEqual(shapes.keys, ['b']);
    // A collector whose keys never repeat twice in a row compiles nothing more.
    for (let i = 0; i < 100; i++) serializeTable([{ [`k${i}`]: i }], shapes);
    assert.deepEqual(shapes.keys, ['b']);
    // Shapes that repeat are compiled up to a bound, then the last one is kept.
    for (let i = 0; i < 40; i++) {
      serializeTable([{ [`n${i}`]: i }], shapes);
      serializeTable([{ [`n${i}`]: i }], shapes);
    }
    assert.deepEqual(shapes.keys, ['n13'], '16 shapes in all, the last of them kept');
    const row = { n13: 'still exact' };
    assert.equal(serializeTable([row], shapes).json, JSON.stringify([row]));
  });

  it('writes a column table and an all-columns-removed row the same way', async () => {
    const cols = { x: [1, 2, 3], y: ['a', 'b', 'c'] };
    const texts = await written([cols, cols, cols, [{}], [{}], [{}]]);
    const rows = [
      { x: 1, y: 'a' },
      { x: 2, y: 'b' },
      { x: 3, y: 'c' },
    ];
    assert.deepEqual(texts, [...Array(3).fill(JSON.stringify(rows)), ...Array(3).fill('[{}]')]);
  });

  it('writes with JSON.stringify when the process forbids code generation', () => {
    const ws = tempDir();
    const script = [
      `import { Collector } from ${JSON.stringify(DIST.href)};`,
      `const c = new Collector({ name: 'model_inputs' });`,
      `for (let i = 0; i < 4; i++) c.collect([{ a: i, b: 'x' }]);`,
      'await c.flush();',
    ].join('\n');
    const child = spawnSync(
      process.execPath,
      ['--disallow-code-generation-from-strings', '--input-type=module', '-e', script],
      { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', MDC_WORKSPACE: ws } },
    );
    assert.equal(child.status, 0, child.stderr);
    const events = readEvents(blobstore(ws)).map(({ event }) => event.data);
    assert.deepEqual(
      events,
      [0, 1, 2, 3].map((a) => [{ a, b: 'x' }]),
    );
  });

  it('matches JSON.stringify on 2,000 random rows of a fixed shape', () => {
    let seed = 12345;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const pick = (): unknown => CELLS[Math.floor(rand() * CELLS.length)] ?? rand() * 1e6 - 5e5;
    const make = () => ({ id: Math.floor(rand() * 1e9), score: rand(), label: pick(), flag: pick() });
    const shapes = learnt(make());
    for (let i = 0; i < 2000; i++) {
      const rows = Array.from({ length: 1 + Math.floor(rand() * 4) }, make);
      assert.equal(serializeTable(rows, shapes).json, JSON.stringify(rows));
    }
  });
});
