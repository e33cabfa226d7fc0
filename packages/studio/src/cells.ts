import { type Cell, isoTime } from '@model-data-collector/reader/internal';
import type { JsonValue } from './api-types.js';

/**
 * A reader cell as JSON: times as ISO 8601, integers beyond 2^53 and bytes as text, non-finite numbers as
 * null. `parseText` parses a string cell of a JSON column (DuckDB hands some JSON values back as text).
 */
export function toJson(v: Cell, parseText = false): JsonValue {
  if (v === null) return null;
  switch (typeof v) {
    case 'string':
      if (parseText) {
        try {
          return JSON.parse(v) as JsonValue;
        } catch {
          return v;
        }
      }
      return v;
    case 'number':
      return Number.isFinite(v) ? v : null;
    case 'bigint':
      return v.toString();
    case 'boolean':
      return v;
  }
  if (v instanceof Date) return isoTime(v);
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  if (Array.isArray(v)) return v.map((x) => toJson(x));
  const out: Record<string, JsonValue> = {};
  for (const k in v) out[k] = toJson(v[k]!);
  return out;
}
