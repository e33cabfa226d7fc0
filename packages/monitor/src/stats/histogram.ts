/** How numeric values are binned for Jensen-Shannon and PSI. */
export type Binning = { readonly method: 'sturges' } | { readonly method: 'fixed'; readonly bins: number };

/** The default: Sturges' rule over the combined reference and production values. */
export const DEFAULT_BINNING: Binning = { method: 'sturges' };

/** Equal-width bins over [min, max] of the combined data: `edges` has bins + 1 entries. */
export interface Histogram {
  readonly edges: Float64Array;
  readonly reference: Float64Array;
  readonly production: Float64Array;
}

/**
 * The number of bins NumPy's `histogram_bin_edges(a, bins='sturges')` picks for n values spanning `ptp`:
 * ⌈ptp / (ptp / (log₂ n + 1))⌉, i.e. ⌈log₂ n + 1⌉; 1 when all values are equal.
 */
export function sturgesBins(n: number, ptp: number): number {
  if (n <= 0) return 1;
  const width = ptp / (Math.log2(n) + 1);
  return width > 0 ? Math.ceil(ptp / width) : 1;
}

/** `numpy.linspace(start, stop, num)` with its rounding. */
export function linspace(start: number, stop: number, num: number): Float64Array {
  const out = new Float64Array(num);
  const div = num - 1;
  const delta = stop - start;
  const step = div > 0 ? delta / div : Number.NaN;
  for (let i = 0; i < num; i++) out[i] = (step === 0 ? (i / div) * delta : i * step) + start;
  if (num > 1) out[num - 1] = stop;
  return out;
}

/**
 * Bins both samples (sorted or not, finite values only) on the same equal-width edges over the combined
 * range, assigning values to bins as `numpy.histogram` does (last bin closed on the right).
 */
export function histogram(
  reference: ArrayLike<number>,
  production: ArrayLike<number>,
  binning: Binning = DEFAULT_BINNING,
): Histogram {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const a of [reference, production]) {
    for (let i = 0; i < a.length; i++) {
      const x = a[i]!;
      if (x < lo) lo = x;
      if (x > hi) hi = x;
    }
  }
  const n = reference.length + production.length;
  if (n === 0)
    return { edges: new Float64Array(0), reference: new Float64Array(0), production: new Float64Array(0) };
  const bins = binning.method === 'fixed' ? binning.bins : sturgesBins(n, hi - lo);
  if (lo === hi) {
    lo -= 0.5;
    hi += 0.5;
  }
  const edges = linspace(lo, hi, bins + 1);
  return {
    edges,
    reference: countInto(reference, edges, bins),
    production: countInto(production, edges, bins),
  };
}

function countInto(values: ArrayLike<number>, edges: Float64Array, bins: number): Float64Array {
  const counts = new Float64Array(bins);
  const first = edges[0]!;
  const denom = edges[bins]! - first;
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
    let k = Math.trunc(((x - first) / denom) * bins);
    if (k >= bins) k = bins - 1;
    if (k < 0) k = 0;
    // NumPy's correction for values that rounding put one bin off.
    if (x < edges[k]!) k--;
    else if (k !== bins - 1 && x >= edges[k + 1]!) k++;
    counts[k] = counts[k]! + 1;
  }
  return counts;
}
