import { readFileSync } from 'node:fs';

/** A sample stored as a spec instead of its values (see vectors/generate.py, whose sample() this mirrors). */
export interface SampleSpec {
  readonly kind: 'uniform' | 'tri' | 'int';
  readonly n: number;
  readonly seed: number;
  readonly loc?: number;
  readonly scale?: number;
  readonly k?: number;
}

function lcgUniform(seed: number, n: number): number[] {
  let state = seed % 4294967296;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    state = (1664525 * state + 1013904223) % 4294967296;
    out.push(state / 4294967296);
  }
  return out;
}

/** The values of a stored sample: the array itself, or the spec regenerated bit for bit. */
export function sample(x: number[] | SampleSpec): number[] {
  if (Array.isArray(x)) return x;
  const loc = x.loc ?? 0;
  const scale = x.scale ?? 1;
  switch (x.kind) {
    case 'uniform':
      return lcgUniform(x.seed, x.n).map((u) => loc + scale * u);
    case 'tri': {
      const us = lcgUniform(x.seed, 3 * x.n);
      return Array.from(
        { length: x.n },
        (_, i) => loc + scale * (us[3 * i]! + us[3 * i + 1]! + us[3 * i + 2]! - 1.5),
      );
    }
    case 'int':
      return lcgUniform(x.seed, x.n).map((u) => loc + Math.floor(u * x.k!));
  }
}

// biome-ignore lint/suspicious/noExplicitAny: JSON of known shape, read by tests only
export const vectors: any = JSON.parse(
  readFileSync(new URL('./vectors/scipy-vectors.json', import.meta.url), 'utf8'),
);

/** Largest absolute difference seen by {@link close}, reported at the end of the stats tests. */
export const maxError = { value: 0, where: '' };

/** |actual − expected| ≤ 1e-9 (relative 1e-9 for values above 1). */
export function close(actual: number | undefined, expected: number, where: string, tol = 1e-9): void {
  if (actual === undefined || Number.isNaN(actual))
    throw new Error(`${where}: got ${actual}, expected ${expected}`);
  const err = Math.abs(actual - expected);
  const rel = err / Math.max(1, Math.abs(expected));
  if (rel > maxError.value) {
    maxError.value = rel;
    maxError.where = where;
  }
  if (!(rel <= tol)) throw new Error(`${where}: got ${actual}, expected ${expected} (error ${err})`);
}
