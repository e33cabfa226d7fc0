import { chi2Sf } from './gamma.js';
import { Sum } from './sum.js';

export interface ChiSquaredResult {
  readonly statistic: number;
  readonly pValue: number;
  readonly dof: number;
}

/**
 * Pearson's χ² test of homogeneity on the 2×k table of category counts (reference row, production row),
 * without Yates' correction: `scipy.stats.chi2_contingency([reference, production], correction=False)`.
 * Categories with a zero total are dropped first (SciPy refuses zero expected counts). With fewer than two
 * categories left the test is degenerate: statistic 0, p-value 1. Undefined when a window has no values.
 */
export function chiSquaredTest(
  reference: ArrayLike<number>,
  production: ArrayLike<number>,
): ChiSquaredResult | undefined {
  if (reference.length !== production.length)
    throw new RangeError('chiSquaredTest: count vectors differ in length');
  const cols: [number, number][] = [];
  let r0 = 0;
  let r1 = 0;
  for (let i = 0; i < reference.length; i++) {
    const a = reference[i]!;
    const b = production[i]!;
    if (a + b > 0) cols.push([a, b]);
    r0 += a;
    r1 += b;
  }
  if (!(r0 > 0) || !(r1 > 0)) return undefined;
  const dof = cols.length - 1;
  if (dof <= 0) return { statistic: 0, pValue: 1, dof: 0 };
  const total = r0 + r1;
  const s = new Sum();
  for (const [a, b] of cols) {
    const c = a + b;
    const ea = (r0 * c) / total;
    const eb = (r1 * c) / total;
    s.add((a - ea) ** 2 / ea);
    s.add((b - eb) ** 2 / eb);
  }
  const statistic = s.value;
  return { statistic, pValue: chi2Sf(statistic, dof), dof };
}

/**
 * Pearson's χ² goodness-of-fit test against equal expected counts: `scipy.stats.chisquare(observed)`.
 */
export function chiSquareGoodnessOfFit(observed: ArrayLike<number>): ChiSquaredResult {
  const k = observed.length;
  let total = 0;
  for (let i = 0; i < k; i++) total += observed[i]!;
  const e = total / k;
  const s = new Sum();
  for (let i = 0; i < k; i++) s.add((observed[i]! - e) ** 2 / e);
  return { statistic: s.value, pValue: chi2Sf(s.value, k - 1), dof: k - 1 };
}
