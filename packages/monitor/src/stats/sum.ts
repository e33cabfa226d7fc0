/**
 * Compensated (Neumaier) summation: accurate to about one rounding whatever the order, so sums match
 * NumPy's pairwise sums far inside 1e-9 even over millions of terms.
 */
export class Sum {
  private s = 0;
  private c = 0;
  add(x: number): void {
    const t = this.s + x;
    if (Math.abs(this.s) >= Math.abs(x)) this.c += this.s - t + x;
    else this.c += x - t + this.s;
    this.s = t;
  }
  get value(): number {
    return this.s + this.c;
  }
}

/** The compensated sum of an array of numbers. */
export function sum(values: ArrayLike<number>): number {
  const s = new Sum();
  for (let i = 0; i < values.length; i++) s.add(values[i]!);
  return s.value;
}

/** NumPy's `np.round`: halves go to the even neighbour. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
