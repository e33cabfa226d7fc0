/**
 * Whether events of a correlation id are kept at `rate` (0..1). Decided by a hash of the id, so the
 * inputs, outputs, request and response of one request are all kept or all dropped, in every process.
 */
export function isSampled(correlationId: string, rate: number): boolean {
  if (rate >= 1) return true;
  if (rate <= 0) return false;
  return hashUnit(correlationId) < rate;
}

/** FNV-1a (32-bit) of the UTF-16 code units, mapped to [0, 1). */
export function hashUnit(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // A final avalanche so ids that differ only in their last characters spread over the whole range.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}
