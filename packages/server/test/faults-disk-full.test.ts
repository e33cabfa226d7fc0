// The fault suite's disk-full part: mdc serve with its whole workspace on a 2 MiB tmpfs the test mounts (we run as
// root in CI; without root, an unprivileged user+mount namespace does the same). Scoring keeps answering while the
// disk is full, what could not be written is counted on /metrics, and collection resumes by itself once space is
// freed, with every stored line whole.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { filesUnder, startCli, tempDir } from './helpers/cli.js';

const TMPFS_BYTES = 2 * 1024 * 1024;

/** Mounts a tmpfs of `bytes` at `dir`; false when this machine does not let us. */
function mountTmpfs(dir: string, bytes: number): boolean {
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir], { encoding: 'utf8' });
  return r.status === 0;
}

/** Every line of every .jsonl file under `dir`, checked to be one whole JSON object; torn lines are returned apart. */
function lines(dir: string): { events: Array<{ correlationid: string }>; torn: string[]; files: number } {
  const events: Array<{ correlationid: string }> = [];
  const torn: string[] = [];
  const files = filesUnder(dir).filter((p) => p.endsWith('.jsonl'));
  for (const p of files) {
    for (const line of readFileSync(p, 'utf8').split('\n')) {
      if (line === '') continue;
      try {
        events.push(JSON.parse(line) as { correlationid: string });
      } catch {
        torn.push(`${p}: ${line.slice(0, 80)}`);
      }
    }
  }
  return { events, torn, files: files.length };
}

function metric(text: string, name: string, collection: string): number {
  const m = new RegExp(`^${name}\\{[^}]*collection="${collection}"[^}]*\\} (\\d+)`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

test('disk full: scoring keeps answering, lost events are counted, collection resumes when space is freed', async (t) => {
  const dir = await tempDir(t, 'mdc-diskfull-');
  // Not under `dir`: it is unmounted before it is removed.
  const mnt = mkdtempSync(join(tmpdir(), 'mdc-tmpfs-'));
  assert.ok(
    mountTmpfs(mnt, TMPFS_BYTES),
    'mount -t tmpfs refused: this test needs root (CI runs as root), see docs/reliability.md',
  );
  t.after(() => {
    spawnSync('umount', ['-l', mnt]);
    rmSync(mnt, { recursive: true, force: true });
  });
  const ws = join(mnt, 'ws');
  mkdirSync(join(dir, 'src'));
  writeFileSync(
    join(dir, 'src/score.mjs'),
    `import { Collector } from 'model-data-collector';
const inputs = new Collector({ name: 'model_inputs' });
export function init() {}
export function run(data) { inputs.collect(data.rows); return { n: data.rows.length }; }
`,
  );
  writeFileSync(
    join(dir, 'd.yml'),
    "name: blue\nendpoint_name: full\ncode_configuration: {code: src, scoring_script: score.mjs}\ndata_collector:\n  collections:\n    model_inputs: {enabled: 'True'}\n",
  );
  const cli = await startCli(t, ['serve', '-f', join(dir, 'd.yml'), '--port', '0', '--workspace', ws]);
  // Leave the collector ~100 KiB, then fill it: the filler is what an operator deletes to free space.
  const filler = join(mnt, 'filler');
  writeFileSync(filler, Buffer.alloc(TMPFS_BYTES - 100 * 1024 - bytesUsed(mnt)));
  const score = async (id: string) => {
    const res = await fetch(`${cli.url}/score`, {
      method: 'POST',
      body: JSON.stringify({ rows: [{ id, pad: 'x'.repeat(1000) }] }),
      headers: { 'content-type': 'application/json', 'x-request-id': id },
    });
    await res.arrayBuffer();
    return res.status;
  };
  // Phase 1: ~1 MB of events into ~100 KiB of space. Every request is answered.
  const before: string[] = [];
  for (let i = 0; i < 1000; i++) {
    const id = `full-${i}`;
    before.push(id);
    assert.equal(await score(id), 200, `request ${i} while the disk fills`);
  }
  // What could not be written shows up on /metrics once the write path gave up on it.
  let lost = 0;
  let text = '';
  for (let tries = 0; tries < 100 && lost === 0; tries++) {
    await new Promise((r) => setTimeout(r, 200));
    text = await (await fetch(`${cli.url}/metrics`)).text();
    lost =
      metric(text, 'mdc_collection_events_failed_total', 'model_inputs') +
      metric(text, 'mdc_collection_events_dropped_total', 'model_inputs');
  }
  assert.ok(lost > 0, `events lost to the full disk are counted on /metrics:\n${text.slice(0, 3000)}`);
  const stored1 = lines(ws).events.length;
  assert.ok(stored1 < 1000, `the disk held only part (${stored1})`);

  // Phase 2: free the space; collection resumes without a restart.
  rmSync(filler);
  const after: string[] = [];
  for (let i = 0; i < 100; i++) {
    const id = `freed-${i}`;
    after.push(id);
    assert.equal(await score(id), 200);
  }
  let stored = new Set<string>();
  for (let tries = 0; tries < 150; tries++) {
    stored = new Set(lines(ws).events.map((e) => e.correlationid));
    if (after.every((id) => stored.has(id))) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.deepEqual(
    after.filter((id) => !stored.has(id)),
    [],
    'every event collected after space was freed is written',
  );
  assert.equal(await cli.stop(), 0, cli.stderr());
  const final = lines(ws);
  const written = metric(text, 'mdc_collection_events_written_total', 'model_inputs');
  t.diagnostic(
    `disk full (2 MiB tmpfs, ~100 KiB free): 1000 requests all answered 200; ${stored1} events stored, ${lost} counted lost (failed+dropped) on /metrics (written ${written}); after freeing space 100/100 new events stored; torn lines: ${final.torn.length}`,
  );
  // A write cut by ENOSPC is truncated back to its last whole line by the local datastore writer: no torn line.
  assert.deepEqual(final.torn, [], 'no torn line');
  assert.equal(
    new Set(final.events.map((e) => e.correlationid)).size,
    final.events.length,
    'no event stored twice',
  );
});

/** Bytes already used on the filesystem of `dir` (statfs). */
function bytesUsed(dir: string): number {
  const r = spawnSync('df', ['-B1', '--output=used', dir], { encoding: 'utf8' });
  return Number(r.stdout.trim().split('\n').pop());
}
