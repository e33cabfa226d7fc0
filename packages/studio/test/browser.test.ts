// The studio in a real browser (Debian's Chromium through playwright-core), against a workspace the SDK filled.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';
import { buildWeb } from '../scripts/build-web.mjs';
import { type RunningStudio, startStudio } from '../src/index.js';
import {
  BLUE_PER_HOUR,
  DEMO_HOUR,
  DEMO_REQUESTS,
  type Fixture,
  fillDemoLike,
  fillWorkspace,
  GREEN_EVENTS,
  tempDir,
} from './helpers.js';

const ARTIFACTS = join(import.meta.dirname, '..', '..', '..', 'test-artifacts', 'studio');
const LAPTOP = { width: 1366, height: 860 };
const PHONE = { width: 390, height: 844 };
const wsDir = tempDir();
const publicDir = tempDir();

let fx: Fixture;
let studio: RunningStudio;
let browser: Browser;
let page: Page;
let metrics: FastifyInstance;

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  fx = await fillWorkspace(wsDir);
  await buildWeb({ outDir: publicDir });
  metrics = Fastify();
  metrics.get('/metrics', async () => 'mdc_collection_events_dropped_total{collection="model_inputs"} 3\n');
  await metrics.listen({ host: '127.0.0.1', port: 0 });
  const { port } = metrics.server.address() as { port: number };
  studio = await startStudio({
    workspace: wsDir,
    publicDir,
    host: '127.0.0.1',
    port: 0,
    metricsUrls: [`http://127.0.0.1:${port}/metrics`],
  });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    timeout: 30_000,
  });
  page = await browser.newPage({ viewport: LAPTOP });
  page.setDefaultTimeout(15_000);
  // Nothing but the studio itself may be fetched: no CDN, no fonts, works offline.
  await page.route('**/*', (route) =>
    route.request().url().startsWith(studio.url) ? route.continue() : route.abort(),
  );
  page.on('pageerror', (err) => assert.fail(`page error: ${err.message}`));
});

after(async () => {
  await browser?.close();
  await studio?.close();
  await metrics?.close();
});

async function open(hash: string): Promise<void> {
  await page.goto(`${studio.url}${hash}`);
}

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** The text of an element, trimmed. */
async function text(l: Locator): Promise<string> {
  return ((await l.textContent()) ?? '').trim();
}

/** Whole-page width never exceeds the viewport: wide tables scroll inside their box. */
async function assertNoSideScroll(): Promise<void> {
  // A string: the test type-checks without the DOM library.
  const [scroll, inner] = (await page.evaluate(
    '[document.documentElement.scrollWidth, window.innerWidth]',
  )) as number[];
  assert.ok(scroll! <= inner! + 1, `page is ${scroll}px wide in a ${inner}px viewport`);
}

describe('studio in a browser', { timeout: 120_000 }, () => {
  it('paints the first page from the small bundle, gzipped, and loads the chart library only for charts', async (t) => {
    const fresh = await browser.newPage({ viewport: LAPTOP });
    const scripts: { url: string; encoding?: string }[] = [];
    fresh.on('response', (r) => {
      if (r.url().endsWith('.js')) scripts.push({ url: r.url(), encoding: r.headers()['content-encoding'] });
    });
    await fresh.goto(studio.url);
    await fresh.getByTestId('datastores').waitFor();
    const fcp = Number(
      await fresh.evaluate(
        "performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? performance.now()",
      ),
    );
    t.diagnostic(`first contentful paint: ${Math.round(fcp)} ms`);
    assert.ok(fcp < 5000, `first contentful paint after ${fcp} ms`);
    assert.deepEqual(
      scripts.map((s) => [/\/assets\/app-\w+\.js$/.test(s.url), s.encoding]),
      [[true, 'gzip']],
      'only the app bundle, gzipped',
    );
    await fresh.goto(`${studio.url}#/assets/credit-blue-model_inputs`);
    await fresh.locator('[data-testid="asset-chart"][data-ready="true"] canvas').waitFor();
    assert.ok(
      scripts.some((s) => /uplot-chart-\w+\.js$/.test(s.url)),
      'the chart chunk loads with the first chart',
    );
    await fresh.close();
  });

  it('clicks through datastore → folders → file → raw record', async () => {
    await open('');
    await page.getByTestId('datastores').getByRole('link', { name: 'workspaceblobstore' }).click();
    await shot('datastores-laptop');
    for (const folder of [
      'modelDataCollector/',
      'credit/',
      'blue/',
      'model_inputs/',
      '2024/',
      '03/',
      '05/',
      '19/',
    ])
      await page.getByTestId('tree').getByRole('link', { name: folder, exact: true }).click();
    await shot('folder-laptop');
    await page.getByRole('link', { name: 'blue-1.jsonl' }).click();
    const rows = page.getByTestId('file-rows').locator('tbody tr');
    await rows.first().waitFor();
    assert.equal(await rows.count(), BLUE_PER_HOUR[1]);
    assert.equal(await text(rows.first().locator('a.cid')), fx.blueIds[3]);
    await page.getByTestId('raw-link').nth(1).click();
    const json = page.getByTestId('record-json');
    await json.waitFor();
    const record = JSON.parse(await text(json)) as { correlationid: string; data: { AGE: number }[] };
    assert.equal(record.correlationid, fx.blueIds[4]);
    assert.deepEqual(
      record.data.map((r) => r.AGE),
      [24, 44],
    );
    await shot('file-record-laptop');
  });

  it('shows an asset with its columns and a chart of events per hour', async () => {
    await open('#/assets');
    await page.getByTestId('assets').getByRole('link', { name: 'credit-blue-model_inputs' }).click();
    await page.locator('[data-testid="asset-chart"][data-ready="true"] canvas').waitFor();
    assert.equal(
      await text(page.getByTestId('asset-events')),
      String(BLUE_PER_HOUR.reduce((a: number, b) => a + b, 0)),
    );
    const counts = await page
      .getByTestId('period-counts')
      .locator('li')
      .evaluateAll((lis) => lis.map((li) => Number(li.getAttribute('data-count'))));
    assert.deepEqual(counts, [...BLUE_PER_HOUR]);
    const columns = await page.getByTestId('asset-columns').locator('tbody td:first-child').allInnerTexts();
    assert.deepEqual(columns.slice(-3), ['AGE', 'SEX', 'LIMIT_BAL']);
    await shot('asset-laptop');
  });

  it('pages and filters records, with column summaries', async () => {
    await open('#/records');
    await page.getByTestId('assets').getByRole('link', { name: 'credit-blue-model_inputs' }).click();
    await page.getByTestId('records').waitFor();
    assert.equal(await page.getByTestId('records').locator('tbody tr').count(), 20);
    assert.equal(await text(page.getByTestId('pager-range')), '1–20 of 20');
    const sex = page.locator('.card[data-column="SEX"] [data-testid="top-values"] li');
    await sex.first().waitFor();
    assert.deepEqual(
      await sex.evaluateAll((lis) => lis.map((li) => Number(li.getAttribute('data-count')))),
      [15, 5],
    );
    const age = page.locator('.card[data-column="AGE"] [data-testid="histogram"] [data-count]');
    const ageCounts = await age.evaluateAll((bins) => bins.map((b) => Number(b.getAttribute('data-count'))));
    assert.equal(
      ageCounts.reduce((a, b) => a + b, 0),
      20,
    );
    await shot('records-laptop');

    await page.locator('select[name="column"]').selectOption('SEX');
    await page.locator('select[name="op"]').selectOption('eq');
    await page.locator('input[name="value"]').fill('M');
    await page.getByRole('button', { name: 'Add filter' }).click();
    await page.getByTestId('pager-range').filter({ hasText: 'of 5' }).waitFor();
    assert.equal(await page.getByTestId('records').locator('tbody tr').count(), 5);
    assert.match(decodeURIComponent(page.url()), /filter=eq:SEX:M/);
    await page.locator('.card[data-column="SEX"] [data-testid="top-values"] li').first().waitFor();
    await page.waitForFunction(
      `document.querySelectorAll('.card[data-column="SEX"] [data-testid="top-values"] li').length === 1`,
    );
    await page.locator('input[name="since"]').fill('2024-03-05T19:00:00Z');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByTestId('pager-range').filter({ hasText: 'of 4' }).waitFor();
    await shot('records-filtered-laptop');
  });

  it('finds a correlation id and shows all four collections side by side', async () => {
    const id = fx.blueIds[4]!;
    await open('#/requests');
    await page.getByTestId('recent-requests').waitFor();
    await shot('requests-laptop');
    await page.getByRole('searchbox', { name: 'Find a request by correlation id' }).fill(id);
    await page.keyboard.press('Enter');
    for (const c of ['request', 'model_inputs', 'model_outputs', 'response'])
      await page.locator(`[data-testid="panel-${c}"]:not(.empty)`).waitFor();
    assert.equal(await page.getByTestId('panel-model_inputs').getAttribute('data-rows'), '2');
    assert.equal(await page.getByTestId('panel-model_outputs').getAttribute('data-rows'), '2');
    assert.match(await text(page.getByTestId('panel-request')), /POST \/score/);
    assert.match(await text(page.getByTestId('panel-response')), /predictions/);
    const boxes = await Promise.all(
      ['request', 'model_inputs', 'model_outputs', 'response'].map((c) =>
        page.getByTestId(`panel-${c}`).boundingBox(),
      ),
    );
    assert.ok(
      new Set(boxes.map((b) => Math.round(b!.y))).size === 1,
      'on a laptop the four panels share a row',
    );
    await shot('request-laptop');

    // A correlation id in a records table opens the same view.
    await open(`#/records/credit-blue-model_outputs`);
    await page
      .getByTestId('records')
      .getByRole('link', { name: fx.blueIds[7]!, exact: true })
      .first()
      .click();
    await page.locator('[data-testid="panel-model_outputs"]:not(.empty)').waitFor();
    assert.match(page.url(), new RegExp(`#/requests/${fx.blueIds[7]}$`));
  });

  it('shows live deployment activity with the right counts, and drops from /metrics', async () => {
    await open('#/deployments');
    const green = page.getByTestId('deployment-credit-green');
    await green.getByTestId('deployment-events').waitFor();
    assert.equal(await text(green.getByTestId('deployment-events')), String(GREEN_EVENTS));
    assert.equal(
      await text(green.locator('tr[data-collection="model_inputs"] [data-testid="collection-events"]')),
      String(GREEN_EVENTS),
    );
    await green.locator('[data-testid="activity-chart"][data-ready="true"] canvas').waitFor();
    assert.equal(
      await text(
        page
          .getByTestId('metrics-source')
          .locator('tr[data-collection="model_inputs"] [data-testid="dropped"]'),
      ),
      '3',
    );
    const first = await text(page.getByTestId('refreshed'));
    await page.getByTestId('refreshed').filter({ hasNotText: first }).waitFor({ timeout: 12_000 });
    await shot('deployments-laptop');
  });

  it('is readable on a phone: every page fits the width', async () => {
    await page.setViewportSize(PHONE);
    const pages: [string, string, string][] = [
      ['datastores', '', '[data-testid="datastores"]'],
      [
        'folder',
        `#/datastores/workspaceblobstore?path=modelDataCollector/credit/blue`,
        '[data-testid="tree"]',
      ],
      [
        'file-record',
        `#/datastores/workspaceblobstore/file?path=modelDataCollector/credit/blue/request/2024/03/05/18/blue-1.jsonl&record=0`,
        '[data-testid="record-json"]',
      ],
      ['asset', '#/assets/credit-blue-model_inputs', '[data-testid="asset-chart"][data-ready="true"]'],
      ['records', '#/records/credit-blue-model_inputs', '[data-testid="summary"]'],
      ['request', `#/requests/${fx.blueIds[4]}`, '[data-testid="panel-response"]'],
      ['deployments', '#/deployments', '[data-testid="activity-chart"][data-ready="true"]'],
    ];
    for (const [name, hash, ready] of pages) {
      await open(hash);
      await page.locator(ready).first().waitFor();
      await assertNoSideScroll();
      await shot(`${name}-phone`);
    }
    await page.setViewportSize(LAPTOP);
  });
});

describe('studio in a browser, on demo-like data (ties at second precision, one hour)', {
  timeout: 120_000,
}, () => {
  const demoDir = tempDir();
  let demo: RunningStudio;
  let ids: readonly string[];
  let dpage: Page;
  const ALL4 = 'request, model_inputs, model_outputs, response';

  before(async () => {
    ({ ids } = await fillDemoLike(demoDir));
    demo = await startStudio({ workspace: demoDir, publicDir, host: '127.0.0.1', port: 0 });
    dpage = await browser.newPage({ viewport: LAPTOP });
    dpage.setDefaultTimeout(15_000);
    dpage.on('pageerror', (err) => assert.fail(`page error: ${err.message}`));
  });

  after(async () => {
    await dpage?.close();
    await demo?.close();
  });

  it('lists each request once with all four of its collections, newest first, whatever the limit', async () => {
    await dpage.goto(`${demo.url}#/requests`);
    const rows = dpage.getByTestId('recent-requests').locator('tbody tr');
    await rows.first().waitFor();
    const listed = await rows.evaluateAll((trs) =>
      trs.map((tr) => [tr.querySelector('a.cid')?.textContent ?? '', tr.lastElementChild?.textContent ?? '']),
    );
    await shot('requests-demo-laptop');
    assert.equal(listed.length, 25);
    assert.equal(new Set(listed.map(([id]) => id)).size, 25, 'each request once');
    // The slow request's late response makes it the newest request, with all four collections.
    assert.deepEqual(listed[0], [ids[0], ALL4]);
    for (const [id, collections] of listed) assert.equal(collections, ALL4, `collections of ${id}`);
    // Then the others, newest first; requests of the same second in a stable order.
    assert.deepEqual(
      listed.slice(1).map(([id]) => id),
      [...ids].slice(1).reverse().slice(0, 24),
    );

    // A smaller limit lists a prefix of the same list, with the same collections.
    for (const limit of [1, 3, 7, 24]) {
      const r = await dpage.request.get(`${demo.url}api/requests?limit=${limit}`);
      const body = (await r.json()) as { requests: { correlationId: string; collections: string[] }[] };
      assert.deepEqual(
        body.requests.map((q) => [q.correlationId, q.collections.join(', ')]),
        listed.slice(0, limit),
        `limit=${limit}`,
      );
    }

    // The drill-down of a listed request shows the same four collections.
    await rows.nth(10).locator('a.cid').click();
    for (const c of ['request', 'model_inputs', 'model_outputs', 'response'])
      await dpage.locator(`[data-testid="panel-${c}"]:not(.empty)`).waitFor();
    assert.match(dpage.url(), new RegExp(`#/requests/${listed[10]![0]}$`));
  });

  it('names the workspace when nothing has been collected in it', async () => {
    const empty = tempDir();
    const bare = await startStudio({ workspace: empty, publicDir, host: '127.0.0.1', port: 0 });
    try {
      for (const hash of ['#/assets', '#/deployments']) {
        await dpage.goto(`${bare.url}${hash}`);
        await dpage.getByTestId('nothing-collected').filter({ hasText: empty }).waitFor();
        assert.equal(
          await text(dpage.getByTestId('nothing-collected')),
          `Nothing has been collected in workspace ${empty} yet.`,
        );
      }
    } finally {
      await bare.close();
    }
  });

  it("spans the asset chart's axis over the hour of data, not years", async () => {
    await dpage.goto(`${demo.url}#/assets/demo-blue-model_inputs`);
    const chart = dpage.locator('[data-testid="asset-chart"][data-ready="true"][data-x-max]');
    await chart.locator('canvas').waitFor();
    assert.equal(await text(dpage.getByTestId('asset-events')), String(DEMO_REQUESTS));
    const counts = await dpage
      .getByTestId('period-counts')
      .locator('li')
      .evaluateAll((lis) => lis.map((li) => Number(li.getAttribute('data-count'))));
    assert.deepEqual(counts, [DEMO_REQUESTS]);
    const [min, max] = [
      Number(await chart.getAttribute('data-x-min')),
      Number(await chart.getAttribute('data-x-max')),
    ];
    assert.deepEqual(
      [new Date(min * 1000).toISOString(), new Date(max * 1000).toISOString()],
      [new Date(DEMO_HOUR).toISOString(), new Date(DEMO_HOUR + 3_600_000).toISOString()],
    );
    await shot('asset-demo-laptop');
  });
});
