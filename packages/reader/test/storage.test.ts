import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  inferSchema,
  listCollectionFiles,
  parseTime,
  parseTimeRange,
  Reader,
  Staging,
  type Storage,
  type StorageEntry,
  viewSql,
} from '@model-data-collector/reader/internal';

/** A storage without local paths, as a cloud datastore is: proves the seam (list/read/stat, then staging). */
class MemoryStorage implements Storage {
  readonly description = 'memory:test';
  readonly reads: string[] = [];
  readonly listed: string[] = [];
  constructor(private readonly files: Map<string, string>) {}
  async list(folder: string): Promise<StorageEntry[]> {
    this.listed.push(folder);
    const prefix = folder ? `${folder}/` : '';
    const out = new Map<string, StorageEntry>();
    for (const [path, body] of this.files) {
      if (!path.startsWith(prefix)) continue;
      const rest = path.slice(prefix.length);
      const name = rest.split('/')[0]!;
      out.set(
        name,
        rest.includes('/')
          ? { path: prefix + name, name, kind: 'folder' }
          : { path, name, kind: 'file', size: Buffer.byteLength(body) },
      );
    }
    return [...out.values()].sort((a, b) => a.name.localeCompare(b.name));
  }
  async read(path: string, range?: { start: number; end?: number }): Promise<Uint8Array> {
    this.reads.push(path);
    const buf = Buffer.from(this.files.get(path) ?? '');
    return buf.subarray(range?.start ?? 0, range?.end ?? buf.length);
  }
  async stat(path: string): Promise<StorageEntry | undefined> {
    const body = this.files.get(path);
    return body === undefined ? undefined : { path, name: path, kind: 'file', size: body.length };
  }
}

const event = (id: string, time: string, rows: object[]) =>
  `${JSON.stringify({ specversion: '1.0', id, time, data: rows, correlationid: id })}\n`;

describe('the storage seam', () => {
  test('a storage with only list/read: files are listed by date folder, staged locally and queried', async () => {
    const storage = new MemoryStorage(
      new Map([
        ['c/2024/03/05/10/i.jsonl', event('e1', '2024-03-05T10:00:00Z', [{ x: 1 }])],
        ['c/2024/03/05/11/i.jsonl', event('e2', '2024-03-05T11:00:00Z', [{ x: 2 }, { x: 3 }])],
        ['c/2024/03/06/00/i.jsonl', event('e3', '2024-03-06T00:00:00Z', [{ x: 4 }])],
        ['c/not-a-date/i.jsonl', event('e4', '2024-03-05T10:00:00Z', [{ x: 5 }])],
      ]),
    );
    const range = parseTimeRange('2024-03-05T10:30Z', '2024-03-06');
    const files = await listCollectionFiles(storage, 'c', range);
    // The 10:00 hour overlaps 10:30 onwards, so it is listed; its event (10:00) is filtered out by time.
    assert.deepEqual(
      files.logs.map((f) => f.path),
      ['c/2024/03/05/10/i.jsonl', 'c/2024/03/05/11/i.jsonl'],
    );
    assert.ok(!storage.listed.includes('c/2024/03/06'), 'the 6th is outside the range and never listed');
    const schema = await inferSchema(storage, files);
    assert.deepEqual(schema.columns, [{ name: 'x', type: 'BIGINT' }]);
    const staging = new Staging();
    await using reader = await Reader.open({ workspace: '/nonexistent-workspace' });
    const logs = await staging.localPaths(
      storage,
      files.logs.map((f) => f.path),
    );
    assert.match(logs[1]!, /mdc-stage-.*\/c\/2024\/03\/05\/11\/i\.jsonl$/);
    const sql = viewSql({ logs, blobs: [], blobFolderLogs: [], schema, range, blobMode: 'follow' });
    assert.deepEqual(
      (await reader.run(`SELECT id, x FROM (${sql})`)).map((r) => [r.id, r.x]),
      [
        ['e2_0', 2],
        ['e2_1', 3],
      ],
    );
    await staging.close();
  });
});

describe('time ranges', () => {
  const now = Date.UTC(2024, 2, 5, 12, 0, 0);
  test('ISO dates and times (UTC unless a zone is given), now, and durations ago', () => {
    assert.equal(parseTime('2024-03-05', 'x', now), Date.UTC(2024, 2, 5));
    assert.equal(parseTime('2024-03', 'x', now), Date.UTC(2024, 2, 1));
    assert.equal(parseTime('2024-03-05T18:16:25Z', 'x', now), Date.UTC(2024, 2, 5, 18, 16, 25));
    assert.equal(parseTime('2024-03-05 18:16', 'x', now), Date.UTC(2024, 2, 5, 18, 16));
    assert.equal(parseTime('2024-03-05T18:16:25+01:00', 'x', now), Date.UTC(2024, 2, 5, 17, 16, 25));
    assert.equal(parseTime('now', 'x', now), now);
    assert.equal(parseTime('90m', 'x', now), now - 90 * 60_000);
    assert.equal(parseTime('2d', 'x', now), now - 2 * 86_400_000);
  });
  test('anything else, or an empty range, is MDC_INVALID_TIME_RANGE', () => {
    for (const bad of ['yesterday', '2024-13-01', '5 parsecs', ''])
      assert.throws(() => parseTime(bad, '--since', now), { code: 'MDC_INVALID_TIME_RANGE' });
    assert.throws(() => parseTimeRange('1h', '2h', now), { code: 'MDC_INVALID_TIME_RANGE' });
    assert.deepEqual(parseTimeRange('2h', '1h', now), { sinceMs: now - 7_200_000, untilMs: now - 3_600_000 });
  });
});
