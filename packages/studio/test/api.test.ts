import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import type {
  AssetDetail,
  AssetItem,
  DatastoreSummary,
  DeploymentsResponse,
  FilePage,
  RecordResponse,
  RecordsPage,
  RequestResponse,
  SummaryResponse,
  TreeResponse,
} from '../src/api-types.js';
import { createStudio, parseMetrics, type RunningStudio, startStudio } from '../src/internal.js';
import { BLUE_PER_HOUR, type Fixture, fillWorkspace, GREEN_EVENTS, tempDir } from './helpers.js';

type App = Awaited<ReturnType<typeof createStudio>>;
const BLUE = 'modelDataCollector/credit/blue';
const BLUE_EVENTS = BLUE_PER_HOUR.reduce((a: number, b) => a + b, 0);

let fx: Fixture;
let app: App;
let metricsServer: FastifyInstance;

async function get<T>(url: string, status = 200): Promise<T> {
  const res = await app.inject({ url, headers: { host: '127.0.0.1:5050' } });
  assert.equal(res.statusCode, status, `${url}: ${res.body}`);
  return res.json() as T;
}

async function error(url: string, status: number, code: string): Promise<string> {
  const body = await get<{ error: { code: string; message: string } }>(url, status);
  assert.equal(body.error.code, code, body.error.message);
  return body.error.message;
}

// Temp folders are made at load time: after() inside a hook would remove them when the hook ends.
const wsDir = tempDir();
const noPage = tempDir();

before(async () => {
  fx = await fillWorkspace(wsDir);
  metricsServer = Fastify();
  metricsServer.get('/metrics', async (_req, reply) =>
    reply
      .type('text/plain')
      .send(
        [
          '# HELP mdc_collection_events_dropped_total Events dropped because the queue was full',
          'mdc_collection_events_dropped_total{collection="model_inputs"} 3',
          'mdc_collection_events_written_total{collection="model_inputs"} 40',
          'mdc_collection_events_collected_total{collection="model_inputs"} 43',
          'mdc_queue_events 2',
          'mdc_queue_max_events 10000',
        ].join('\n'),
      ),
  );
  await metricsServer.listen({ host: '127.0.0.1', port: 0 });
  const { port } = metricsServer.server.address() as { port: number };
  app = await createStudio({
    workspace: fx.ws,
    publicDir: noPage,
    metricsUrls: [`http://127.0.0.1:${port}/metrics`, 'http://127.0.0.1:1/metrics'],
  });
});

after(async () => {
  await app?.close();
  await metricsServer?.close();
});

describe('datastores', () => {
  it('lists the datastores with their file counts', async () => {
    const { datastores } = await get<{ datastores: DatastoreSummary[] }>('/api/datastores');
    assert.deepEqual(
      datastores.map((d) => [d.name, d.type]),
      [['workspaceblobstore', 'local']],
    );
    assert.ok(datastores[0]!.files >= 12, `files: ${datastores[0]!.files}`);
  });

  it('lists a folder, one level, with sizes', async () => {
    const t = await get<TreeResponse>(`/api/datastores/workspaceblobstore/tree?path=${BLUE}`);
    assert.deepEqual(
      t.items.map((i) => [i.name, i.kind, i.path]),
      ['model_inputs', 'model_outputs', 'request', 'response'].map((c) => [c, 'folder', `${BLUE}/${c}`]),
    );
    assert.equal(t.uri, `azureml://datastores/workspaceblobstore/paths/${BLUE}`);
    const hours = await get<TreeResponse>(
      `/api/datastores/workspaceblobstore/tree?path=${BLUE}/model_inputs/2024/03/05`,
    );
    assert.deepEqual(
      hours.items.map((i) => i.name),
      ['18', '19', '20'],
    );
    const files = await get<TreeResponse>(
      `/api/datastores/workspaceblobstore/tree?path=${BLUE}/model_inputs/2024/03/05/19`,
    );
    assert.deepEqual(
      files.items.map((i) => [i.name, i.kind]),
      [['blue-1.jsonl', 'file']],
    );
    assert.ok(files.items[0]!.bytes > 0);
  });

  it('pages a .jsonl file by byte offset and returns one raw record', async () => {
    const path = `${BLUE}/model_inputs/2024/03/05/19/blue-1.jsonl`;
    const first = await get<FilePage>(`/api/datastores/workspaceblobstore/file?path=${path}&limit=2`);
    assert.equal(first.kind, 'jsonl');
    assert.equal(first.rows.length, 2);
    assert.equal(first.rows[0]!.offset, 0);
    assert.equal(first.rows[0]!.correlationid, fx.blueIds[3]);
    assert.equal(first.rows[0]!.rows, 2);
    assert.equal(first.rows[0]!.type, 'azureml.inference.model_inputs');
    assert.equal(first.nextOffset, first.rows[0]!.bytes + first.rows[1]!.bytes);
    const rest = await get<FilePage>(
      `/api/datastores/workspaceblobstore/file?path=${path}&offset=${first.nextOffset}&limit=50`,
    );
    assert.deepEqual(
      rest.rows.map((r) => r.correlationid),
      fx.blueIds.slice(5, 8),
    );
    assert.equal(rest.nextOffset, undefined);
    const rec = await get<RecordResponse>(
      `/api/datastores/workspaceblobstore/record?path=${path}&offset=${first.rows[1]!.offset}`,
    );
    const record = rec.record as Record<string, unknown>;
    assert.equal(record.correlationid, fx.blueIds[4]);
    assert.equal(record.specversion, '1.0');
    assert.deepEqual(
      (record.data as { AGE: number }[]).map((r) => r.AGE),
      [24, 44],
    );
  });

  it('refuses an offset that does not start a line, and paging past the end', async () => {
    const path = `${BLUE}/model_inputs/2024/03/05/19/blue-1.jsonl`;
    await error(
      `/api/datastores/workspaceblobstore/file?path=${path}&offset=7`,
      400,
      'MDC_INVALID_QUERY_PARAM',
    );
    await error(
      `/api/datastores/workspaceblobstore/record?path=${path}&offset=3`,
      400,
      'MDC_INVALID_QUERY_PARAM',
    );
    await error(
      `/api/datastores/workspaceblobstore/file?path=${path}&offset=99999999`,
      400,
      'MDC_INVALID_QUERY_PARAM',
    );
    await error(
      `/api/datastores/workspaceblobstore/file?path=${path}&limit=0`,
      400,
      'MDC_INVALID_QUERY_PARAM',
    );
    await error(
      `/api/datastores/workspaceblobstore/file?path=${path}&limit=x`,
      400,
      'MDC_INVALID_QUERY_PARAM',
    );
  });

  it('shows a file that is not an event log as text', async () => {
    writeFileSync(join(fx.ws, 'datastores', 'workspaceblobstore', 'notes.txt'), 'hello studio\n');
    const page = await get<FilePage>('/api/datastores/workspaceblobstore/file?path=notes.txt');
    assert.equal(page.kind, 'other');
    assert.equal(page.head, 'hello studio\n');
  });

  it('marks a torn last line instead of failing', async () => {
    const dir = join(fx.ws, 'datastores', 'workspaceblobstore');
    writeFileSync(
      join(dir, 'torn.jsonl'),
      '{"id":"a","time":"2024-03-05T18:00:00Z","data":[]}\n{"id":"b","ti',
    );
    const page = await get<FilePage>('/api/datastores/workspaceblobstore/file?path=torn.jsonl');
    assert.deepEqual(
      page.rows.map((r) => [r.id, r.invalid ?? false]),
      [
        ['a', false],
        [undefined, true],
      ],
    );
  });

  for (const attempt of [
    '../../etc/passwd',
    '..%2F..%2Fetc%2Fpasswd',
    `${BLUE}/../../../../../etc/passwd`,
    '/etc/passwd',
    '..\\..\\etc\\passwd',
    'C:/Windows/win.ini',
    'a%00b',
  ]) {
    it(`refuses the path ${attempt} with a 4xx`, async () => {
      for (const route of ['tree', 'file', 'record']) {
        const res = await app.inject({
          url: `/api/datastores/workspaceblobstore/${route}?path=${attempt}`,
          headers: { host: '127.0.0.1' },
        });
        assert.ok(res.statusCode >= 400 && res.statusCode < 500, `${route} ${attempt}: ${res.statusCode}`);
        assert.doesNotMatch(res.body, /root:/);
        assert.equal((res.json() as { error: { code: string } }).error.code, 'MDC_INVALID_QUERY_PARAM');
      }
    });
  }

  it('refuses a traversal hidden in the datastore name, and an unknown datastore', async () => {
    const res = await app.inject({
      url: '/api/datastores/..%2F..%2Fetc/tree',
      headers: { host: '127.0.0.1' },
    });
    assert.ok(res.statusCode >= 400 && res.statusCode < 500, String(res.statusCode));
    await error('/api/datastores/nope/tree', 404, 'MDC_UNKNOWN_DATASTORE');
    await error('/api/datastores/workspaceblobstore/file?path=missing.jsonl', 404, 'MDC_PATH_NOT_FOUND');
    await error('/api/datastores/workspaceblobstore/tree?path=missing', 404, 'MDC_PATH_NOT_FOUND');
  });
});

describe('data assets', () => {
  it('lists every collection with its registered versions', async () => {
    const { assets } = await get<{ assets: AssetItem[] }>('/api/assets');
    assert.deepEqual(
      assets.map((a) => [a.name, a.versions]),
      [
        ['credit-blue-model_inputs', ['1']],
        ['credit-blue-model_outputs', ['1']],
        ['credit-blue-request', ['1']],
        ['credit-blue-response', ['1']],
        ['credit-green-model_inputs', ['1']],
      ],
    );
  });

  it('describes an asset: columns, counts, time range and events per hour', async () => {
    const d = await get<AssetDetail>('/api/assets/credit-blue-model_inputs');
    assert.equal(d.events, BLUE_EVENTS);
    assert.equal(d.rows, BLUE_EVENTS * 2);
    assert.equal(d.kind, 'tabular');
    assert.equal(d.firstTime, '2024-03-05T18:00:05Z');
    assert.equal(d.period, 'hour');
    assert.deepEqual(
      d.periods.map((p) => [p.start, p.events, p.rows]),
      BLUE_PER_HOUR.map((n, h) => [`2024-03-05T${18 + h}:00:00Z`, n, 2 * n]),
    );
    assert.deepEqual(
      d.columns.filter(
        (c) => !['time', 'correlationid', 'row_index', 'id', 'event_id', 'modelversion'].includes(c.name),
      ),
      [
        { name: 'AGE', type: 'BIGINT' },
        { name: 'SEX', type: 'VARCHAR' },
        { name: 'LIMIT_BAL', type: 'BIGINT' },
      ],
    );
    const byDay = await get<AssetDetail>('/api/assets/credit-blue-model_inputs?period=day&version=1');
    assert.deepEqual(
      byDay.periods.map((p) => p.events),
      [BLUE_EVENTS],
    );
  });

  it('answers 404 for an unknown asset or version, 400 for a bad period', async () => {
    await error('/api/assets/nope', 404, 'MDC_UNKNOWN_ASSET');
    await error('/api/assets/credit-blue-model_inputs?version=9', 404, 'MDC_UNKNOWN_ASSET');
    await error('/api/assets/credit-blue-model_inputs?period=week', 400, 'MDC_INVALID_QUERY_PARAM');
    await error('/api/assets/credit-blue-model_inputs?version=../1', 400, 'MDC_INVALID_QUERY_PARAM');
  });
});

describe('records', () => {
  const url = '/api/records/credit-blue-model_inputs';

  it('pages rows in time order with a total', async () => {
    const p1 = await get<RecordsPage>(`${url}?limit=4`);
    assert.equal(p1.total, BLUE_EVENTS * 2);
    assert.equal(p1.rows.length, 4);
    const cid = p1.columns.findIndex((c) => c.name === 'correlationid');
    assert.deepEqual(
      p1.rows.map((r) => r[cid]),
      [fx.blueIds[0], fx.blueIds[0], fx.blueIds[1], fx.blueIds[1]],
    );
    const last = await get<RecordsPage>(`${url}?limit=4&offset=16`);
    assert.equal(last.rows.length, 4);
    assert.equal(last.rows.at(-1)![cid], fx.blueIds.at(-1));
    const past = await get<RecordsPage>(`${url}?limit=4&offset=100`);
    assert.equal(past.rows.length, 0);
    assert.equal(past.total, 20);
  });

  it('filters by time range and columns, and sorts', async () => {
    const hour = await get<RecordsPage>(`${url}?since=2024-03-05T19:00:00Z&until=2024-03-05T20:00:00Z`);
    assert.equal(hour.total, BLUE_PER_HOUR[1] * 2);
    const age = hour.columns.findIndex((c) => c.name === 'AGE');
    const sorted = await get<RecordsPage>(`${url}?filter=gt:AGE:45&sort=AGE&desc=1`);
    assert.deepEqual(
      sorted.rows.map((r) => r[age]),
      [49, 48, 47, 46],
    );
    const two = await get<RecordsPage>(`${url}?filter=eq:SEX:M&filter=lt:AGE:24`);
    assert.deepEqual(
      two.rows.map((r) => r[age]),
      [21, 23],
    );
    const nulls = await get<RecordsPage>(`${url}?filter=null:LIMIT_BAL`);
    assert.equal(nulls.total, 1);
    const contains = await get<RecordsPage>(`${url}?filter=contains:correlationid:Q-0`);
    assert.equal(contains.total, 20);
    const quote = await get<RecordsPage>(`${url}?filter=${encodeURIComponent("eq:SEX:x' OR '1'='1")}`);
    assert.equal(quote.total, 0);
  });

  it('refuses bad filters, sorts, ranges and pages with 400', async () => {
    await error(`${url}?filter=gt:NOPE:1`, 400, 'MDC_INVALID_QUERY_PARAM');
    await error(`${url}?filter=gt:AGE:abc`, 400, 'MDC_INVALID_QUERY_PARAM');
    await error(`${url}?filter=like:AGE:1`, 400, 'MDC_INVALID_QUERY_PARAM');
    await error(`${url}?sort=NOPE`, 400, 'MDC_INVALID_QUERY_PARAM');
    await error(`${url}?limit=5000`, 400, 'MDC_INVALID_QUERY_PARAM');
    await error(`${url}?offset=-1`, 400, 'MDC_INVALID_QUERY_PARAM');
    await error(`${url}?since=yesterday-ish`, 400, 'MDC_INVALID_TIME_RANGE');
    await error(`${url}?since=2024-03-06&until=2024-03-05`, 400, 'MDC_INVALID_TIME_RANGE');
    await error('/api/records/nope', 404, 'MDC_UNKNOWN_ASSET');
  });

  it('returns payload collections with their JSON data', async () => {
    const p = await get<RecordsPage>('/api/records/credit-blue-request?limit=1');
    const data = p.columns.findIndex((c) => c.name === 'data');
    const method = p.columns.findIndex((c) => c.name === 'method');
    assert.deepEqual(p.rows[0]![data], {
      data: [
        [20, 'F', 1000],
        [40, 'F', null],
      ],
    });
    assert.equal(p.rows[0]![method], 'POST');
  });

  it('summarizes columns: null rate, histogram of numbers, top categories', async () => {
    const s = await get<SummaryResponse>(`${url}/summary`);
    assert.equal(s.rows, 20);
    const col = (n: string) => s.columns.find((c) => c.name === n)!;
    const limit = col('LIMIT_BAL');
    assert.equal(limit.kind, 'number');
    assert.equal(limit.nulls, 1);
    assert.equal(limit.nullRate, 1 / 20);
    assert.equal(
      limit.histogram!.reduce((n, b) => n + b.count, 0),
      19,
    );
    const age = col('AGE');
    assert.equal(age.min, 20);
    assert.equal(age.max, 49);
    assert.equal(age.histogram!.length, 20);
    const sex = col('SEX');
    assert.equal(sex.kind, 'category');
    assert.deepEqual(sex.top, [
      { value: 'F', count: 15 },
      { value: 'M', count: 5 },
    ]);
    const filtered = await get<SummaryResponse>(`${url}/summary?filter=eq:SEX:M&column=AGE`);
    assert.equal(filtered.rows, 5);
    assert.deepEqual(
      filtered.columns.map((c) => c.name),
      ['AGE'],
    );
    await error(`${url}/summary?column=NOPE`, 400, 'MDC_INVALID_QUERY_PARAM');
  });
});

describe('requests', () => {
  it('finds all four collections of a correlation id', async () => {
    const id = fx.blueIds[4]!;
    const r = await get<RequestResponse>(`/api/requests/${id}`);
    assert.equal(r.groups.length, 1);
    const g = r.groups[0]!;
    assert.deepEqual([g.endpoint, g.deployment], ['credit', 'blue']);
    assert.deepEqual(
      g.collections.map((c) => [c.collection, c.rows.length]),
      [
        ['request', 1],
        ['model_inputs', 2],
        ['model_outputs', 2],
        ['response', 1],
      ],
    );
  });

  it('answers an unknown id with no groups, and narrows by deployment', async () => {
    const none = await get<RequestResponse>('/api/requests/no-such-request');
    assert.deepEqual(none.groups, []);
    const green = await get<RequestResponse>(`/api/requests/${fx.greenIds[0]}?deployment=green`);
    assert.deepEqual(
      green.groups.map((g) => g.collections.map((c) => c.collection)),
      [['model_inputs']],
    );
    const wrong = await get<RequestResponse>(`/api/requests/${fx.greenIds[0]}?deployment=blue`);
    assert.deepEqual(wrong.groups, []);
    const quote = await get<RequestResponse>(`/api/requests/${encodeURIComponent("x' OR '1'='1")}`);
    assert.deepEqual(quote.groups, []);
  });

  it('lists the latest correlation ids', async () => {
    const { requests } = await get<{ requests: { correlationId: string; collections: string[] }[] }>(
      '/api/requests?limit=3',
    );
    assert.equal(requests.length, 3);
    assert.deepEqual(
      requests.map((r) => r.correlationId),
      [...fx.greenIds].reverse().slice(0, 3),
    );
    await error('/api/requests?limit=0', 400, 'MDC_INVALID_QUERY_PARAM');
  });
});

describe('deployments', () => {
  it('counts what each deployment wrote in the window, per collection, minute and instance', async () => {
    const d = await get<DeploymentsResponse>('/api/deployments?window=60');
    assert.equal(d.windowMinutes, 60);
    const green = d.deployments.find((x) => x.deployment === 'green')!;
    assert.equal(green.events, GREEN_EVENTS);
    assert.deepEqual(green.instances, ['green-1']);
    const c = green.collections[0]!;
    assert.equal(c.collection, 'model_inputs');
    assert.equal(c.perMinute.length, 60);
    assert.equal(
      c.perMinute.reduce((a, b) => a + b, 0),
      GREEN_EVENTS,
    );
    assert.equal(c.instances[0]!.events, GREEN_EVENTS);
    assert.ok(c.instances[0]!.deliveryLagMs! >= 0);
    const blue = d.deployments.find((x) => x.deployment === 'blue')!;
    assert.equal(blue.events, 0, 'blue wrote in 2024, outside the window');
  });

  it('reads drops and queue depth from the metrics of running servers', async () => {
    const d = await get<DeploymentsResponse>('/api/deployments');
    const [up, down] = d.metrics;
    assert.equal(up!.ok, true);
    assert.equal(up!.queueEvents, 2);
    assert.deepEqual(up!.collections!.model_inputs, {
      collected: 43,
      written: 40,
      dropped: 3,
      failed: 0,
      sampledOut: 0,
    });
    assert.equal(down!.ok, false);
    assert.ok(down!.error);
    await error('/api/deployments?window=0', 400, 'MDC_INVALID_QUERY_PARAM');
  });

  it('parses Prometheus text with labels in any order', () => {
    const m = parseMetrics(
      'mdc_collection_events_dropped_total{le="x",collection="a"} 2\nmdc_collection_events_dropped_total{collection="a"} 1\nbogus line\n',
    );
    assert.equal(m.collections!.a!.dropped, 3);
  });
});

describe('the HTTP surface', () => {
  it('answers unknown API routes with a coded 404', async () => {
    await error('/api/nope', 404, 'MDC_NOT_FOUND');
    await error('/nope.js', 404, 'MDC_NOT_FOUND');
  });

  it('says how to build the page when it is not built', async () => {
    const res = await app.inject({ url: '/', headers: { host: 'localhost:5050' } });
    assert.equal(res.statusCode, 503);
    assert.match(res.body, /npm run build/);
  });

  it('refuses a Host header that is not loopback (DNS rebinding)', async () => {
    const res = await app.inject({ url: '/api/assets', headers: { host: 'evil.example:5050' } });
    assert.equal(res.statusCode, 403);
    assert.equal((res.json() as { error: { code: string } }).error.code, 'MDC_UNAUTHORIZED');
  });
});

describe('a studio that needs a key', () => {
  let studio: RunningStudio;
  before(async () => {
    studio = await startStudio({
      workspace: fx.ws,
      publicDir: noPage,
      host: '127.0.0.1',
      port: 0,
      authorize: (k) => k === 'sesame',
    });
  });
  after(() => studio?.close());

  it('answers 401 without the key, and accepts Bearer or the cookie ?key= sets', async () => {
    const base = studio.url;
    const denied = await fetch(`${base}api/assets`);
    assert.equal(denied.status, 401);
    assert.equal(((await denied.json()) as { error: { code: string } }).error.code, 'MDC_UNAUTHORIZED');
    assert.equal(
      (await fetch(`${base}api/assets`, { headers: { authorization: 'Bearer nope' } })).status,
      401,
    );
    assert.equal(
      (await fetch(`${base}api/assets`, { headers: { authorization: 'Bearer sesame' } })).status,
      200,
    );
    assert.equal((await fetch(`${base}?key=wrong`, { redirect: 'manual' })).status, 401);
    const login = await fetch(`${base}?key=sesame`, { redirect: 'manual' });
    assert.equal(login.status, 303);
    assert.equal(login.headers.get('location'), '/');
    const cookie = login.headers.get('set-cookie')!;
    assert.match(cookie, /HttpOnly/);
    const withCookie = await fetch(`${base}api/assets`, { headers: { cookie: cookie.split(';')[0]! } });
    assert.equal(withCookie.status, 200);
  });
});
