import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { tempDir } from './temp.js';

/** A workspace whose datastores (by default `workspaceblobstore`) are the given entries. */
export function makeWorkspace(datastores: Record<string, unknown>): string {
  const ws = tempDir('mdc-ws-');
  writeFileSync(join(ws, 'workspace.yml'), stringify({ name: 'test-ws', datastores }));
  return ws;
}
