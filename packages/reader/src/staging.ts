import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { mapLimit } from './files.js';
import type { Storage } from './storage.js';

/**
 * Gives DuckDB local paths for files of any storage: local files are used in place, files of a storage
 * without `localPath` (a cloud datastore) are copied to a temporary folder first, removed by `close()`.
 */
export class Staging {
  private dir: Promise<string> | undefined;
  private readonly staged = new Map<string, string>();

  async localPaths(storage: Storage, paths: readonly string[]): Promise<string[]> {
    if (storage.localPath) return paths.map((p) => storage.localPath!(p));
    this.dir ??= mkdtemp(join(tmpdir(), 'mdc-stage-'));
    const root = await this.dir;
    return mapLimit(paths, 8, async (p) => {
      const key = `${storage.description}\0${p}`;
      const hit = this.staged.get(key);
      if (hit) return hit;
      const local = join(root, createHash('sha1').update(storage.description).digest('hex').slice(0, 12), p);
      await mkdir(dirname(local), { recursive: true });
      await writeFile(local, await storage.read(p));
      this.staged.set(key, local);
      return local;
    });
  }

  async close(): Promise<void> {
    const dir = this.dir;
    this.dir = undefined;
    this.staged.clear();
    if (dir) await rm(await dir, { recursive: true, force: true });
  }
}
