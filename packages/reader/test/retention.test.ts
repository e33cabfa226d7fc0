// Retention decides from folder names alone: a date folder goes when its whole period ended before the cutoff,
// a folder the cutoff falls inside is looked into, and folders outside the date layout are never touched.
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { openWorkspace, registerDataAsset } from 'model-data-collector/internal';
import { applyRetention } from '../src/retention.js';
import { tempDir } from './helpers.js';

const DAY = 86_400_000;
const FOLDER = 'modelDataCollector/ep/blue/model_inputs';

/** Every file under `dir`, relative with `/`, sorted. */
function listFiles(dir: string, base = dir): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...listFiles(p, base));
    else out.push(relative(base, p));
  }
  return out.sort();
}

function put(root: string, path: string, text = 'x\n'): void {
  mkdirSync(join(root, path, '..'), { recursive: true });
  writeFileSync(join(root, path), text);
}

describe('applyRetention', () => {
  it('deletes whole expired periods at the highest level, keeps the rest, and writes the audit log', async () => {
    const ws = tempDir();
    const root = join(ws, 'datastores/workspaceblobstore');
    const now = Date.UTC(2024, 2, 10, 12, 30);
    for (const p of [
      '2023/12/31/23/a.jsonl', // a whole past year
      '2024/03/06/23/a.jsonl', // ends 03-07 00:00: before the cutoff (03-07 12:30)
      '2024/03/07/11/a.jsonl', // ends 12:00 on the cutoff day: expired
      '2024/03/07/12/20/a.jsonl', // minute folders: 12:20 ends before 12:30
      '2024/03/07/12/30/a.jsonl', // ends 12:31: kept
      '2024/03/07/13/a.jsonl',
      '2024/03/10/12/a.jsonl',
      'notes/readme.txt', // not a date folder
    ])
      put(root, `${FOLDER}/${p}`);
    const result = await applyRetention(openWorkspace(ws), { days: 3, nowMs: now, dryRun: true });
    assert.deepEqual(
      result.removed.map((r) => r.uri.slice(r.uri.indexOf('model_inputs/') + 13)),
      ['2023', '2024/03/06', '2024/03/07/11', '2024/03/07/12/20'],
    );
    assert.equal(result.collections[0]?.cutoff, new Date(now - 3 * DAY).toISOString());
    assert.equal(listFiles(root).length, 8, 'a dry run deletes nothing');
    const done = await applyRetention(openWorkspace(ws), { days: 3, nowMs: now });
    assert.equal(done.files, 4);
    assert.deepEqual(listFiles(join(root, FOLDER)), [
      '2024/03/07/12/30/a.jsonl',
      '2024/03/07/13/a.jsonl',
      '2024/03/10/12/a.jsonl',
      'notes/readme.txt',
    ]);
    const audit = JSON.parse(readFileSync(join(ws, 'audit.jsonl'), 'utf8').trim()) as {
      action: string;
      files: string[];
    };
    assert.equal(audit.action, 'retention');
    assert.equal(audit.files.length, 4);
  });

  it('takes the smallest of --days, the deployment and the datastore; a collection with none is kept', async () => {
    const ws = tempDir();
    const now = Date.UTC(2024, 2, 10, 12);
    writeFileSync(
      join(ws, 'workspace.yml'),
      'datastores:\n  archive: { type: local, path: archive, retention_days: 5 }\n',
    );
    const stores = {
      workspaceblobstore: join(ws, 'datastores/workspaceblobstore'),
      archive: join(ws, 'archive'),
    };
    for (const [ds, root] of Object.entries(stores)) {
      for (const dep of ['blue', 'green']) {
        put(root, `${FOLDER.replace('blue', dep)}/2024/03/03/00/a.jsonl`); // 7 days old
        put(root, `${FOLDER.replace('blue', dep)}/2024/03/06/00/a.jsonl`); // 4 days old
        await registerDataAsset(openWorkspace(ws), {
          name: `${ds}-${dep}`,
          path: `azureml://datastores/${ds}/paths/${FOLDER.replace('blue', dep)}`,
          endpoint: 'ep',
          deployment: dep,
          collection: 'model_inputs',
        });
      }
    }
    const r = await applyRetention(openWorkspace(ws), {
      nowMs: now,
      dryRun: true,
      deployment: { endpoint: 'ep', deployment: 'blue', retentionDays: 3 },
    });
    const days = Object.fromEntries(r.collections.map((c) => [c.collection, c.days]));
    assert.deepEqual(days, { 'archive-blue': 3, 'archive-green': 5, 'workspaceblobstore-blue': 3 });
    const removed = r.removed.map((p) => `${p.collection} ${p.periodStart.slice(0, 10)}`).sort();
    assert.deepEqual(removed, [
      'archive-blue 2024-03-03',
      'archive-blue 2024-03-06',
      'archive-green 2024-03-03',
      'workspaceblobstore-blue 2024-03-03',
      'workspaceblobstore-blue 2024-03-06',
    ]);
    await assert.rejects(applyRetention(openWorkspace(ws), { days: 0 }), { code: 'MDC_INVALID_OPTION' });
  });
});
