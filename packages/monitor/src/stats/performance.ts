import { Sum } from './sum.js';

/** Share of predictions equal to the actual label. Undefined with no pairs. */
export function accuracy(actual: readonly unknown[], predicted: readonly unknown[]): number | undefined {
  if (actual.length === 0) return undefined;
  let ok = 0;
  for (let i = 0; i < actual.length; i++) if (actual[i] === predicted[i]) ok++;
  return ok / actual.length;
}

/** Counts of one class treated as positive. */
function counts(actual: readonly unknown[], predicted: readonly unknown[], positive: unknown) {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i] === positive;
    const p = predicted[i] === positive;
    if (a && p) tp++;
    else if (p) fp++;
    else if (a) fn++;
  }
  return { tp, fp, fn };
}

/**
 * Precision tp / (tp + fp) of `positive`; without one, the unweighted mean over the classes seen in either
 * vector (scikit-learn's `average='macro'`, a class never predicted counting 0). Undefined with no pairs.
 */
export function precision(
  actual: readonly unknown[],
  predicted: readonly unknown[],
  positive?: unknown,
): number | undefined {
  return perClass(actual, predicted, positive, ({ tp, fp }) => (tp + fp === 0 ? 0 : tp / (tp + fp)));
}

/** Recall tp / (tp + fn), positive class or macro average as {@link precision}. */
export function recall(
  actual: readonly unknown[],
  predicted: readonly unknown[],
  positive?: unknown,
): number | undefined {
  return perClass(actual, predicted, positive, ({ tp, fn }) => (tp + fn === 0 ? 0 : tp / (tp + fn)));
}

function perClass(
  actual: readonly unknown[],
  predicted: readonly unknown[],
  positive: unknown,
  score: (c: { tp: number; fp: number; fn: number }) => number,
): number | undefined {
  if (actual.length === 0) return undefined;
  if (positive !== undefined) return score(counts(actual, predicted, positive));
  const classes = new Set<unknown>([...actual, ...predicted]);
  const s = new Sum();
  for (const c of classes) s.add(score(counts(actual, predicted, c)));
  return s.value / classes.size;
}

/** Mean absolute error. */
export function meanAbsoluteError(
  actual: ArrayLike<number>,
  predicted: ArrayLike<number>,
): number | undefined {
  if (actual.length === 0) return undefined;
  const s = new Sum();
  for (let i = 0; i < actual.length; i++) s.add(Math.abs(actual[i]! - predicted[i]!));
  return s.value / actual.length;
}

/** Mean squared error. */
export function meanSquaredError(
  actual: ArrayLike<number>,
  predicted: ArrayLike<number>,
): number | undefined {
  if (actual.length === 0) return undefined;
  const s = new Sum();
  for (let i = 0; i < actual.length; i++) s.add((actual[i]! - predicted[i]!) ** 2);
  return s.value / actual.length;
}

/** Root mean squared error. */
export function rootMeanSquaredError(
  actual: ArrayLike<number>,
  predicted: ArrayLike<number>,
): number | undefined {
  const mse = meanSquaredError(actual, predicted);
  return mse === undefined ? undefined : Math.sqrt(mse);
}
