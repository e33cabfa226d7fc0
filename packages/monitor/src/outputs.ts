import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderHtml } from './html-report.js';
import type { MonitorResult } from './result.js';

const pad = (n: number) => String(n).padStart(2, '0');

/**
 * Writes a run's JSON and HTML into `<folder>/monitoring/<monitor>/<yyyy>/<MM>/<dd>/<HHmmss>Z.{json,html}`, a
 * new dated pair per run (history for the studio). Returns the JSON path.
 */
export async function writeHistory(folder: string, result: MonitorResult): Promise<string> {
  const t = new Date(result.runAt);
  const dir = join(
    folder,
    'monitoring',
    result.monitor,
    String(t.getUTCFullYear()),
    pad(t.getUTCMonth() + 1),
    pad(t.getUTCDate()),
  );
  await mkdir(dir, { recursive: true });
  const base = join(dir, `${pad(t.getUTCHours())}${pad(t.getUTCMinutes())}${pad(t.getUTCSeconds())}Z`);
  await writeFile(`${base}.json`, `${JSON.stringify(result, null, 2)}\n`);
  await writeFile(`${base}.html`, renderHtml(result));
  return `${base}.json`;
}

export interface WebhookOptions {
  /** @default 10000 */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** POSTs the run's JSON to a webhook; resolves to the HTTP status. Throws on network failure or timeout. */
export async function postWebhook(
  url: string,
  result: MonitorResult,
  options: WebhookOptions = {},
): Promise<number> {
  const timeout = AbortSignal.timeout(options.timeoutMs ?? 10_000);
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': 'mdc-monitor' },
    body: JSON.stringify(result),
    signal: options.signal ? AbortSignal.any([timeout, options.signal]) : timeout,
  });
  await res.arrayBuffer().catch(() => undefined);
  return res.status;
}
