import { kolmogorovSf } from './kolmogorov.js';
import { roundHalfEven } from './sum.js';

/** Below or at this many values in both samples, `auto` computes the exact p-value (SciPy's MAX_AUTO_N). */
export const KS_EXACT_MAX_N = 10_000;

export type KsMethod = 'auto' | 'exact' | 'asymp';

export interface KsResult {
  /** sup |F₁ − F₂| of the empirical CDFs. */
  readonly statistic: number;
  /** Two-sided p-value. */
  readonly pValue: number;
  /** How the p-value was computed. */
  readonly method: 'exact' | 'asymp';
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/**
 * Two-sample two-sided Kolmogorov-Smirnov test, reproducing `scipy.stats.ks_2samp(a, b, method=...)`:
 * `auto` is exact when both samples have at most 10,000 values (Hodges' lattice-path counts, computed as
 * 1 − p after Viehmann), otherwise asymptotic (the one-sample distribution `kstwo` at n = round(mn/(m+n))).
 * Inputs must be sorted ascending, finite and non-empty (see `sortedFinite`).
 */
export function ks2samp(a: ArrayLike<number>, b: ArrayLike<number>, method: KsMethod = 'auto'): KsResult {
  const n1 = a.length;
  const n2 = b.length;
  if (n1 === 0 || n2 === 0) throw new RangeError('ks2samp: empty sample');
  let maxS = Number.NEGATIVE_INFINITY;
  let minS = Number.POSITIVE_INFINITY;
  let i = 0;
  let j = 0;
  while (i < n1 || j < n2) {
    const x = i < n1 ? (j < n2 ? Math.min(a[i]!, b[j]!) : a[i]!) : b[j]!;
    while (i < n1 && a[i]! <= x) i++;
    while (j < n2 && b[j]! <= x) j++;
    const diff = i / n1 - j / n2;
    if (diff > maxS) maxS = diff;
    if (diff < minS) minS = diff;
  }
  const minAbs = Math.min(1, Math.max(0, -minS));
  let d = Math.max(minAbs, maxS);
  const g = gcd(n1, n2);
  let mode: 'exact' | 'asymp' =
    method === 'auto' ? (Math.max(n1, n2) <= KS_EXACT_MAX_N ? 'exact' : 'asymp') : method;
  if (method === 'exact' && n1 / g >= 2147483647 / (n2 / g)) mode = 'asymp';
  let prob = Number.NaN;
  if (mode === 'exact') {
    const lcm = (n1 / g) * n2;
    const h = roundHalfEven(d * lcm);
    d = h / lcm;
    if (h === 0) prob = 1;
    else prob = n1 === n2 ? probOutsideSquare(n1, h) : outerProbInside(n1, n2, g, h);
    if (!(prob >= 0 && prob <= 1)) mode = 'asymp';
  }
  if (mode === 'asymp') {
    const m = Math.max(n1, n2);
    const n = Math.min(n1, n2);
    const en = (m * n) / (m + n);
    prob = kolmogorovSf(roundHalfEven(en), d);
  }
  return { statistic: d, pValue: Math.min(1, Math.max(0, prob)), method: mode };
}

/** P(D_{n,n} ≥ h/n): 2·Σ (−1)^{k−1} C(2n, n−kh)/C(2n, n), evaluated Horner-style to avoid cancellation. */
function probOutsideSquare(n: number, h: number): number {
  let P = 0;
  for (let k = Math.floor(n / h); k >= 0; k--) {
    let p1 = 1;
    for (let j = 0; j < h; j++) p1 = ((n - k * h - j) * p1) / (n + k * h + j + 1);
    P = p1 * (1 - P);
  }
  return 2 * P;
}

/**
 * The share of lattice paths from (0,0) to (m,n) that leave the band |x/m − y/n| < h/lcm(m,n), computed
 * column by column directly as 1 − p (Viehmann 2021), as SciPy's `_compute_outer_prob_inside_method`.
 */
function outerProbInside(m0: number, n0: number, g: number, h: number): number {
  const m = Math.max(m0, n0);
  const n = Math.min(m0, n0);
  const mg = m / g;
  const ng = n / g;
  let minj = 0;
  let maxj = Math.min(Math.ceil(h / mg), n + 1);
  let curlen = maxj - minj;
  const lenA = Math.min(2 * maxj + 2, n + 1);
  const A = new Float64Array(lenA).fill(1);
  A.fill(0, minj, maxj);
  for (let i = 1; i <= m; i++) {
    const lastminj = minj;
    const lastlen = curlen;
    minj = Math.min(Math.max(Math.floor((ng * i - h) / mg) + 1, 0), n);
    maxj = Math.min(Math.ceil((ng * i + h) / mg), n + 1);
    if (maxj <= minj) return 1;
    let val = minj === 0 ? 0 : 1;
    for (let jj = 0; jj < maxj - minj; jj++) {
      const jv = jj + minj;
      val = (A[jj + minj - lastminj]! * i + val * jv) / (i + jv);
      A[jj] = val;
    }
    curlen = maxj - minj;
    if (lastlen > curlen) A.fill(1, maxj - minj, maxj - minj + (lastlen - curlen));
  }
  return A[maxj - minj - 1]!;
}
