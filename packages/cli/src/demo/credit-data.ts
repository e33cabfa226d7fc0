/** The 23 input columns of the reference's credit-default example, in its order. */
export const CREDIT_COLUMNS = [
  'LIMIT_BAL',
  'AGE',
  'BILL_AMT1',
  'BILL_AMT2',
  'BILL_AMT3',
  'BILL_AMT4',
  'BILL_AMT5',
  'BILL_AMT6',
  'PAY_AMT1',
  'PAY_AMT2',
  'PAY_AMT3',
  'PAY_AMT4',
  'PAY_AMT5',
  'PAY_AMT6',
  'SEX',
  'EDUCATION',
  'MARRIAGE',
  'PAY_0',
  'PAY_2',
  'PAY_3',
  'PAY_4',
  'PAY_5',
  'PAY_6',
] as const;

export type CreditRow = Record<(typeof CREDIT_COLUMNS)[number], number>;

/** A small seeded PRNG (mulberry32), so the demo and benchmarks make the same rows every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A plausible credit-default applicant. */
export function creditRow(rand: () => number): CreditRow {
  const int = (lo: number, hi: number) => Math.floor(lo + rand() * (hi - lo + 1));
  const limit = int(10, 80) * 10_000;
  const pay = int(-2, 3);
  const row: Record<string, number> = { LIMIT_BAL: limit, AGE: int(21, 70) };
  for (let i = 1; i <= 6; i++) row[`BILL_AMT${i}`] = int(-20_000, Math.round(limit * 0.9));
  for (let i = 1; i <= 6; i++) row[`PAY_AMT${i}`] = int(-2_000, 80_000);
  row.SEX = int(1, 2);
  row.EDUCATION = int(1, 4);
  row.MARRIAGE = int(1, 3);
  for (const k of ['PAY_0', 'PAY_2', 'PAY_3', 'PAY_4', 'PAY_5', 'PAY_6'])
    row[k] = Math.max(-2, Math.min(8, pay + int(-1, 1)));
  return row as CreditRow;
}

/** A fixed logistic model: late payments and high utilisation raise the default probability. */
export function predictDefault(row: CreditRow): { DEFAULT_PROBABILITY: number; DEFAULT: number } {
  const utilisation = row.BILL_AMT1 / row.LIMIT_BAL;
  const late = row.PAY_0 + 0.5 * row.PAY_2 + 0.25 * row.PAY_3;
  const z = -1.6 + 0.9 * late + 1.2 * utilisation - 0.01 * (row.AGE - 35) - row.PAY_AMT1 / 200_000;
  const p = 1 / (1 + Math.exp(-z));
  return { DEFAULT_PROBABILITY: Math.round(p * 1e6) / 1e6, DEFAULT: p >= 0.5 ? 1 : 0 };
}
