import { Sum } from './sum.js';

/** Counts added to every bin before shares are taken, so an empty bin never makes PSI infinite. */
export const PSI_SMOOTHING = 1;

/**
 * Population stability index of two vectors of shares: Σ (q − p) · ln(q / p), natural log. `p` is the
 * reference, `q` production (the formula is symmetric). Every share must be > 0.
 */
export function psiFromShares(p: ArrayLike<number>, q: ArrayLike<number>): number {
  if (p.length !== q.length) throw new RangeError('psi: p and q differ in length');
  const s = new Sum();
  for (let i = 0; i < p.length; i++) {
    const pi = p[i]!;
    const qi = q[i]!;
    if (!(pi > 0) || !(qi > 0)) throw new RangeError('psi: shares must be > 0 (smooth the counts first)');
    s.add((qi - pi) * Math.log(qi / pi));
  }
  return s.value;
}

/**
 * PSI of bin counts with additive smoothing: each bin's share is (count + smoothing) / (total + smoothing · bins).
 * With the default smoothing of 1 (Azure's choice) a bin seen in only one window stays finite.
 * Returns undefined when either window has no values.
 */
export function populationStabilityIndex(
  reference: ArrayLike<number>,
  production: ArrayLike<number>,
  smoothing = PSI_SMOOTHING,
): number | undefined {
  if (reference.length !== production.length) throw new RangeError('psi: count vectors differ in length');
  const k = reference.length;
  let r = 0;
  let c = 0;
  for (let i = 0; i < k; i++) {
    r += reference[i]!;
    c += production[i]!;
  }
  if (!(r > 0) || !(c > 0) || k === 0) return undefined;
  const p = new Float64Array(k);
  const q = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    p[i] = (reference[i]! + smoothing) / (r + smoothing * k);
    q[i] = (production[i]! + smoothing) / (c + smoothing * k);
  }
  return psiFromShares(p, q);
}
