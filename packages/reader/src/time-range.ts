import { InvalidTimeRangeError } from 'model-data-collector/internal';
import { isoTime } from './values.js';

/** A half-open time range `[sinceMs, untilMs)`; either end may be open. */
export interface TimeRange {
  readonly sinceMs?: number;
  readonly untilMs?: number;
}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * Parses one end of a time range: an ISO 8601 date or time (no zone means UTC), `now`, or a duration ago
 * such as `30m`, `6h`, `7d`.
 */
export function parseTime(value: string | number | Date, what: string, nowMs = Date.now()): number {
  if (value instanceof Date) return checkFinite(value.getTime(), String(value), what);
  if (typeof value === 'number') return checkFinite(value, String(value), what);
  const v = value.trim();
  if (v === 'now') return nowMs;
  const ago = /^(\d+(?:\.\d+)?)\s*([smhdw])$/i.exec(v);
  if (ago) return nowMs - Number(ago[1]) * UNIT_MS[ago[2]!.toLowerCase()]!;
  const iso =
    /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:[T ](\d{2})(?::(\d{2})(?::(\d{2})(\.\d+)?)?)?)?)?)?(Z|[+-]\d{2}:?\d{2})?$/i.exec(
      v,
    );
  if (iso) {
    const [, y, mo = '01', d = '01', h = '00', mi = '00', s = '00', frac = '', zone = 'Z'] = iso;
    const text = `${y}-${mo}-${d}T${h}:${mi}:${s}${frac}${zone.toUpperCase() === 'Z' ? 'Z' : zone}`;
    return checkFinite(Date.parse(text), value, what);
  }
  throw new InvalidTimeRangeError(
    `${what} ${JSON.stringify(value)} is not a time: use ISO 8601 (2024-03-05, 2024-03-05T18:16:25Z), now, or a duration ago (30m, 6h, 7d)`,
  );
}

function checkFinite(ms: number, raw: string, what: string): number {
  if (!Number.isFinite(ms))
    throw new InvalidTimeRangeError(`${what} ${JSON.stringify(raw)} is not a valid time`);
  return ms;
}

/** Parses `--since`/`--until` and checks that the range is not empty. */
export function parseTimeRange(
  since: string | number | Date | undefined,
  until: string | number | Date | undefined,
  nowMs = Date.now(),
): TimeRange {
  const sinceMs = since === undefined ? undefined : parseTime(since, '--since', nowMs);
  const untilMs = until === undefined ? undefined : parseTime(until, '--until', nowMs);
  if (sinceMs !== undefined && untilMs !== undefined && sinceMs >= untilMs) {
    throw new InvalidTimeRangeError(
      `the time range is empty: --since ${isoTime(new Date(sinceMs))} is not before --until ${isoTime(new Date(untilMs))}`,
    );
  }
  return { sinceMs, untilMs };
}

/** Whether `[startMs, endMs)` overlaps the range. */
export function overlaps(range: TimeRange, startMs: number, endMs: number): boolean {
  return (
    (range.sinceMs === undefined || endMs > range.sinceMs) &&
    (range.untilMs === undefined || startMs < range.untilMs)
  );
}
