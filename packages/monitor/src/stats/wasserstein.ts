import { sortFloat64 } from './sort.js';
import { Sum } from './sum.js';

/** Floor of the reference standard deviation in {@link normalizedWassersteinDistance} (a constant column). */
export const MIN_STD = 0.001;

/**
 * First Wasserstein distance (earth mover's distance) between two samples, exactly as
 * `scipy.stats.wasserstein_distance(u, v)`: ∫ |F_u(x) − F_v(x)| dx over the empirical CDFs.
 * Both inputs must be sorted ascending and non-empty (see {@link sortedFinite}).
 */
export function wassersteinDistance(u: ArrayLike<number>, v: ArrayLike<number>): number {
  const nu = u.length;
  const nv = v.length;
  if (nu === 0 || nv === 0) throw new RangeError('wassersteinDistance: empty sample');
  const total = new Sum();
  let i = 0;
  let j = 0;
  // Walk the merged sorted values; between consecutive values the CDFs are constant.
  let x = Math.min(u[0]!, v[0]!);
  while (i < nu || j < nv) {
    while (i < nu && u[i]! <= x) i++;
    while (j < nv && v[j]! <= x) j++;
    if (i >= nu && j >= nv) break;
    const next = i < nu ? (j < nv ? Math.min(u[i]!, v[j]!) : u[i]!) : v[j]!;
    total.add(Math.abs(i / nu - j / nv) * (next - x));
    x = next;
  }
  return total.value;
}

/** Population standard deviation (ddof = 0, NumPy's default) with a two-pass compensated mean. */
export function std(values: ArrayLike<number>): number {
  const n = values.length;
  if (n === 0) return Number.NaN;
  const s = new Sum();
  for (let i = 0; i < n; i++) s.add(values[i]!);
  const mean = s.value / n;
  const ss = new Sum();
  for (let i = 0; i < n; i++) {
    const d = values[i]! - mean;
    ss.add(d * d);
  }
  return Math.sqrt(ss.value / n);
}

/**
 * Normalized Wasserstein distance: W₁(reference, production) / max(std(reference), 0.001), the standard
 * deviation being the population one (ddof = 0). Scale-free, so one threshold fits every feature.
 */
export function normalizedWassersteinDistance(
  reference: ArrayLike<number>,
  production: ArrayLike<number>,
  referenceStd = std(reference),
): number {
  return wassersteinDistance(reference, production) / Math.max(referenceStd, MIN_STD);
}

/** The finite numbers of `values`, sorted ascending, as a Float64Array. */
export function sortedFinite(values: ArrayLike<number>): Float64Array {
  const out = new Float64Array(values.length);
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
    if (Number.isFinite(x)) out[n++] = x;
  }
  return sortFloat64(out.subarray(0, n));
}
