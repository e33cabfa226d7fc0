import { Sum } from './sum.js';

/**
 * Jensen-Shannon distance between two distributions given as counts or weights over the same bins, with
 * log base 2, so the result lies in [0, 1]. Matches `scipy.spatial.distance.jensenshannon(p, q, base=2)`:
 * both vectors are normalised to sum 1, a bin empty in one window contributes 0·log 0 = 0 on that side.
 * Returns undefined when either vector sums to 0 (no data).
 */
export function jensenShannonDistance(p: ArrayLike<number>, q: ArrayLike<number>): number | undefined {
  if (p.length !== q.length) throw new RangeError('jensenShannonDistance: p and q differ in length');
  const sp = total(p);
  const sq = total(q);
  if (!(sp > 0) || !(sq > 0)) return undefined;
  const left = new Sum();
  const right = new Sum();
  for (let i = 0; i < p.length; i++) {
    const pi = p[i]! / sp;
    const qi = q[i]! / sq;
    const m = (pi + qi) / 2;
    if (pi > 0) left.add(pi * Math.log(pi / m));
    if (qi > 0) right.add(qi * Math.log(qi / m));
  }
  const js = (left.value + right.value) / Math.LN2;
  // Rounding can leave a hair below zero for identical distributions; SciPy would answer NaN there.
  return Math.sqrt(Math.max(0, js / 2));
}

function total(v: ArrayLike<number>): number {
  const s = new Sum();
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    if (!(x >= 0)) throw new RangeError('distribution weights must be finite and ≥ 0');
    s.add(x);
  }
  return s.value;
}
