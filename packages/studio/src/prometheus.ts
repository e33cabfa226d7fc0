import type { CollectionMetrics, MetricsSource } from './api-types.js';

const COUNTERS: Record<string, keyof CollectionMetrics> = {
  mdc_collection_events_collected_total: 'collected',
  mdc_collection_events_written_total: 'written',
  mdc_collection_events_dropped_total: 'dropped',
  mdc_collection_events_failed_total: 'failed',
  mdc_collection_events_sampled_out_total: 'sampledOut',
};

/** Reads the data collector's counters from a running server's `/metrics` (Prometheus text). */
export async function scrapeMetrics(url: string, timeoutMs = 2000): Promise<MetricsSource> {
  let text: string;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) return { url, ok: false, error: `HTTP ${res.status}` };
    text = await res.text();
  } catch (err) {
    return { url, ok: false, error: err instanceof Error ? err.message : String(err) };
  }
  return { url, ok: true, ...parseMetrics(text) };
}

/** The counters per collection and the queue gauges of a Prometheus text exposition. */
export function parseMetrics(
  text: string,
): Pick<MetricsSource, 'queueEvents' | 'queueMaxEvents' | 'collections'> {
  const collections: Record<string, { -readonly [K in keyof CollectionMetrics]: number }> = {};
  let queueEvents: number | undefined;
  let queueMaxEvents: number | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const [, name, labels = '', raw] = m;
    const value = Number(raw);
    if (!Number.isFinite(value)) continue;
    if (name === 'mdc_queue_events') queueEvents = value;
    else if (name === 'mdc_queue_max_events') queueMaxEvents = value;
    const key = COUNTERS[name!];
    if (!key) continue;
    const collection = /collection="((?:[^"\\]|\\.)*)"/.exec(labels)?.[1];
    if (collection === undefined) continue;
    const c = collections[collection] ?? {
      collected: 0,
      written: 0,
      dropped: 0,
      failed: 0,
      sampledOut: 0,
    };
    collections[collection] = c;
    c[key] += value;
  }
  return {
    ...(queueEvents !== undefined ? { queueEvents } : {}),
    ...(queueMaxEvents !== undefined ? { queueMaxEvents } : {}),
    collections,
  };
}
