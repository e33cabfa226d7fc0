/**
 * Chebyshev distance between two distributions over the same categories: max |pᵢ − qᵢ| of the shares
 * (counts are normalised first). `scipy.spatial.distance.chebyshev` of the two share vectors.
 * Returns undefined when either vector sums to 0.
 */
export function chebyshevDistance(p: ArrayLike<number>, q: ArrayLike<number>): number | undefined {
  if (p.length !== q.length) throw new RangeError('chebyshevDistance: p and q differ in length');
  let sp = 0;
  let sq = 0;
  for (let i = 0; i < p.length; i++) {
    sp += p[i]!;
    sq += q[i]!;
  }
  if (!(sp > 0) || !(sq > 0)) return undefined;
  let max = 0;
  for (let i = 0; i < p.length; i++) max = Math.max(max, Math.abs(p[i]! / sp - q[i]! / sq));
  return max;
}
