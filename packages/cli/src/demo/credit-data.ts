import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

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

/** The training sample of the demo model (what `mdc monitor drift --reference` compares with). */
export const TRAIN_CSV = fileURLToPath(
  new URL('../../../../models/credit-default/train.csv', import.meta.url),
);

/** The label column of {@link TRAIN_CSV}: the demo logs it as ground truth. */
export const LABEL_COLUMN = 'DEFAULT';

/**
 * The one drift the demo puts into its traffic on purpose, so the first drift report has something to find:
 * applicants are {@link DEMO_DRIFT.shift} years older than in the training data. Every other feature is drawn
 * from the training rows unchanged.
 */
export const DEMO_DRIFT = { feature: 'AGE', shift: 10, description: 'AGE + 10 years' } as const;

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

export interface LabelledRow {
  readonly features: CreditRow;
  readonly label: number;
}

/** The rows of train.csv (23 integer features and the 0/1 DEFAULT label). */
export function trainingRows(file = TRAIN_CSV): LabelledRow[] {
  const [header, ...lines] = readFileSync(file, 'utf8').trimEnd().split('\n');
  const names = header!.split(',');
  const at = (name: string) => {
    const i = names.indexOf(name);
    if (i < 0) throw new Error(`${file}: no column ${name}`);
    return i;
  };
  const index = CREDIT_COLUMNS.map(at);
  const label = at(LABEL_COLUMN);
  return lines.map((line) => {
    const cells = line.split(',').map(Number);
    return {
      features: Object.fromEntries(CREDIT_COLUMNS.map((c, k) => [c, cells[index[k]!]!])) as CreditRow,
      label: cells[label]!,
    };
  });
}

/**
 * Demo traffic: training rows drawn at random (with replacement), with {@link DEMO_DRIFT} applied. Rows are
 * whole training rows, so every feature but the drifted one keeps the training distribution and its range.
 */
export function demoTraffic(rand: () => number, rows: readonly LabelledRow[]): () => LabelledRow {
  return () => {
    const r = rows[Math.floor(rand() * rows.length)]!;
    return {
      features: { ...r.features, [DEMO_DRIFT.feature]: r.features[DEMO_DRIFT.feature] + DEMO_DRIFT.shift },
      label: r.label,
    };
  };
}
