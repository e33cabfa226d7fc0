#!/usr/bin/env node
// Drift of 1M production rows × 25 columns (20 numerical, 5 categorical) against a 100k-row reference, with the
// default metrics (normalized Wasserstein + Jensen-Shannon) plus PSI, in process. Target: < 10 s.
// Run after a build: `node packages/monitor/bench/drift-bench.mjs [productionRows] [referenceRows]`.
import { computeDrift } from '../dist/index.js';

const PROD = Number(process.argv[2] ?? 1_000_000);
const REF = Number(process.argv[3] ?? 100_000);
const NUMERIC = 20;
const CATEGORICAL = 5;

let seed = 42;
const rand = () => {
  seed = (1664525 * seed + 1013904223) % 4294967296;
  return seed / 4294967296;
};
const normal = () => Math.sqrt(-2 * Math.log(rand() || 1e-12)) * Math.cos(2 * Math.PI * rand());
const LEVELS = Array.from({ length: 12 }, (_, i) => `level_${i}`);

function table(rows, shift) {
  const columns = new Map();
  for (let c = 0; c < NUMERIC; c++) {
    const col = new Float64Array(rows);
    const scale = 10 ** (c % 5);
    for (let i = 0; i < rows; i++) col[i] = (normal() + (c % 4 === 0 ? shift : 0)) * scale;
    columns.set(`num_${c}`, col);
  }
  for (let c = 0; c < CATEGORICAL; c++) {
    const col = new Array(rows);
    for (let i = 0; i < rows; i++) {
      const u = rand() ** (c === 0 ? 1 + shift : 1);
      col[i] = LEVELS[Math.floor(u * LEVELS.length)];
    }
    columns.set(`cat_${c}`, col);
  }
  return { rowCount: rows, columns };
}

let t0 = performance.now();
const reference = table(REF, 0);
const production = table(PROD, 0.2);
const genMs = performance.now() - t0;

const options = {
  binning: { method: 'sturges' },
  thresholds: {
    numerical: {
      normalized_wasserstein_distance: 0.1,
      jensen_shannon_distance: 0.1,
      population_stability_index: 0.2,
    },
    categorical: { jensen_shannon_distance: 0.1, population_stability_index: 0.2 },
  },
};
const rounds = [];
let result;
for (let r = 0; r < 3; r++) {
  t0 = performance.now();
  result = computeDrift(reference, production, options);
  rounds.push(performance.now() - t0);
}
const best = Math.min(...rounds);
const failing = result.features.filter((f) => f.status === 'fail').length;
console.log(
  `data generation: ${(genMs / 1000).toFixed(2)} s (${PROD.toLocaleString('en')} + ${REF.toLocaleString('en')} rows × ${NUMERIC + CATEGORICAL} columns)`,
);
console.log(
  `drift, ${result.features.length} features (${failing} drifted): best ${(best / 1000).toFixed(2)} s of ${rounds.map((x) => (x / 1000).toFixed(2)).join(', ')} s — target < 10 s ${best < 10_000 ? 'met' : 'MISSED'}`,
);
console.log(
  `per column: ${(best / result.features.length).toFixed(0)} ms; rows per second: ${Math.round(((PROD + REF) * result.features.length) / (best / 1000)).toLocaleString('en')} cells/s`,
);
