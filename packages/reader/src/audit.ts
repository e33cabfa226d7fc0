import { appendFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Workspace } from 'model-data-collector/internal';

/** The workspace's record of erasures and retention runs: one JSON object a line, appended. */
export const AUDIT_LOG_FILE = 'audit.jsonl';

/** One audit entry: what was done, when, to how many events, in which files. */
export interface AuditEntry {
  /** ISO 8601 time the run ended. */
  readonly time: string;
  readonly action: 'forget' | 'retention';
  /** What was asked (correlation ids, the SQL condition, or the retention cutoff). */
  readonly request: Readonly<Record<string, unknown>>;
  readonly events: number;
  /** URIs of the files rewritten or deleted, and of the partitions removed. */
  readonly files: readonly string[];
}

export async function appendAudit(ws: Workspace, entry: AuditEntry): Promise<string> {
  const file = join(ws.dir, AUDIT_LOG_FILE);
  await mkdir(ws.dir, { recursive: true });
  await appendFile(file, `${JSON.stringify(entry)}\n`);
  return file;
}
