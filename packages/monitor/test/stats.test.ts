import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import {
  accuracy,
  chebyshevDistance,
  chi2Sf,
  chiSquaredTest,
  chiSquareGoodnessOfFit,
  histogram,
  jensenShannonDistance,
  kolmogorovSf,
  ks2samp,
  meanAbsoluteError,
  meanSquaredError,
  normalizedWassersteinDistance,
  populationStabilityIndex,
  precision,
  psiFromShares,
  recall,
  rootMeanSquaredError,
  smirnovSf,
  sortedFinite,
  sortFloat64,
  wassersteinDistance,
} from '../src/stats/index.js';
import { close, maxError, sample, vectors } from './vectors.js';

after(() => {
  console.log(`# largest error against SciPy: ${maxError.value.toExponential(2)} (${maxError.where})`);
});

describe('Jensen-Shannon distance (base 2) = scipy.spatial.distance.jensenshannon', () => {
  it('matches every vector', () => {
    for (const [i, c] of vectors.jensenshannon.entries())
      close(jensenShannonDistance(c.p, c.q), c.expected, `js[${i}]`);
  });
  it('is 1 for disjoint distributions and 0 for identical ones', () => {
    assert.equal(jensenShannonDistance([1, 0, 0], [0, 1, 0]), 1);
    assert.equal(jensenShannonDistance([3, 3], [5, 5]), 0);
  });
  it('is undefined when a window is empty', () => {
    assert.equal(jensenShannonDistance([0, 0], [1, 2]), undefined);
  });
});

describe('Wasserstein distance = scipy.stats.wasserstein_distance', () => {
  it('matches raw and normalized values', () => {
    for (const [i, c] of vectors.wasserstein.entries()) {
      const u = sortedFinite(sample(c.u));
      const v = sortedFinite(sample(c.v));
      close(wassersteinDistance(u, v), c.expected, `wasserstein[${i}]`);
      close(normalizedWassersteinDistance(u, v), c.normalized, `normalized wasserstein[${i}]`);
    }
  });
  it('gives the reference value 5 for [0,1,3] vs [5,6,8]', () => {
    assert.equal(wassersteinDistance([0, 1, 3], [5, 6, 8]), 5);
  });
});

describe('two-sample Kolmogorov-Smirnov = scipy.stats.ks_2samp(method="auto")', () => {
  it('matches statistic and p-value, exact and asymptotic', () => {
    for (const [i, c] of vectors.ks_2samp.entries()) {
      const a = sortedFinite(sample(c.a));
      const b = sortedFinite(sample(c.b));
      const r = ks2samp(a, b);
      close(r.statistic, c.statistic, `ks[${i}] statistic (n=${a.length},${b.length})`);
      close(r.pValue, c.pvalue, `ks[${i}] p-value (n=${a.length},${b.length}, ${r.method})`);
    }
  });
  it('uses the exact distribution up to 10,000 values and the asymptotic one above', () => {
    assert.equal(ks2samp([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]).method, 'exact');
    assert.equal(ks2samp([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]).pValue, 0.007936507936507936);
    const big = Float64Array.from({ length: 10001 }, (_, i) => i);
    assert.equal(ks2samp(big, [1, 2, 3]).method, 'asymp');
  });
  it('kstwo.sf matches across every branch of the algorithm selection', () => {
    for (const c of vectors.kstwo_sf) close(kolmogorovSf(c.n, c.x), c.expected, `kstwo.sf(${c.x}, ${c.n})`);
  });
  it('smirnov matches scipy.special.smirnov', () => {
    for (const c of vectors.smirnov) close(smirnovSf(c.n, c.x), c.expected, `smirnov(${c.n}, ${c.x})`);
  });
});

describe("Pearson's chi-squared", () => {
  it('goodness of fit = scipy.stats.chisquare', () => {
    for (const c of vectors.chisquare) {
      const r = chiSquareGoodnessOfFit(c.observed);
      close(r.statistic, c.statistic, `chisquare(${c.observed}) statistic`);
      close(r.pValue, c.pvalue, `chisquare(${c.observed}) p-value`);
    }
  });
  it('2×k homogeneity = scipy.stats.chi2_contingency(correction=False)', () => {
    for (const [i, c] of vectors.chi2_contingency.entries()) {
      const r = chiSquaredTest(c.reference, c.production);
      assert.ok(r);
      close(r.statistic, c.statistic, `chi2_contingency[${i}] statistic`);
      close(r.pValue, c.pvalue, `chi2_contingency[${i}] p-value`);
      assert.equal(r.dof, c.dof);
    }
  });
  it('chi2.sf matches', () => {
    for (const c of vectors.chi2_sf) close(chi2Sf(c.x, c.df), c.expected, `chi2.sf(${c.x}, ${c.df})`);
  });
});

describe('PSI', () => {
  it('of shares matches the reference value', () => {
    for (const c of vectors.psi_shares) close(psiFromShares(c.p, c.q), c.expected, 'psi shares');
  });
  it('of counts with +1 smoothing matches NumPy', () => {
    for (const [i, c] of vectors.psi_counts.entries())
      close(populationStabilityIndex(c.reference, c.production), c.expected, `psi[${i}]`);
  });
  it('stays finite when a bin is empty in one window', () => {
    const v = populationStabilityIndex([10, 0], [0, 10]);
    assert.ok(v !== undefined && Number.isFinite(v));
  });
});

describe('Chebyshev distance = scipy.spatial.distance.chebyshev of shares', () => {
  it('matches', () => {
    for (const c of vectors.chebyshev)
      close(chebyshevDistance(c.p, c.q), c.expected, `chebyshev(${c.p}, ${c.q})`);
  });
});

describe('Sturges histogram = numpy.histogram(bins="sturges") over the combined data', () => {
  it('has the same bins and counts, and the same JS distance', () => {
    for (const [i, c] of vectors.histogram.entries()) {
      const h = histogram(sample(c.a), sample(c.b));
      assert.equal(h.edges.length - 1, c.bins, `histogram[${i}] bins`);
      assert.deepEqual([...h.reference], c.reference, `histogram[${i}] reference counts`);
      assert.deepEqual([...h.production], c.production, `histogram[${i}] production counts`);
      close(jensenShannonDistance(h.reference, h.production), c.js, `histogram[${i}] js`);
    }
  });
});

describe('model performance', () => {
  const p = vectors.performance;
  it('classification', () => {
    close(accuracy(p.actual, p.predicted), p.accuracy, 'accuracy');
    close(precision(p.actual, p.predicted, 1), p.precision, 'precision');
    close(recall(p.actual, p.predicted, 1), p.recall, 'recall');
  });
  it('regression', () => {
    close(meanAbsoluteError(p.regression_actual, p.regression_predicted), p.mae, 'mae');
    close(meanSquaredError(p.regression_actual, p.regression_predicted), p.mse, 'mse');
    close(rootMeanSquaredError(p.regression_actual, p.regression_predicted), p.rmse, 'rmse');
  });
  it('is undefined without pairs', () => {
    assert.equal(accuracy([], []), undefined);
    assert.equal(meanAbsoluteError([], []), undefined);
  });
});

describe('radix sort of doubles', () => {
  it('orders like Float64Array.prototype.sort, negatives, zeros and extremes included', () => {
    const a = new Float64Array(5000);
    let s = 7;
    for (let i = 0; i < a.length; i++) {
      s = (1664525 * s + 1013904223) % 4294967296;
      a[i] = (s / 4294967296 - 0.5) * 10 ** ((i % 40) - 20);
    }
    a.set([-0, 0, Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE, 1, 1, 1], 0);
    const expected = a.slice().sort();
    const got = sortFloat64(a.slice());
    for (let i = 0; i < a.length; i++) assert.ok(Object.is(got[i], expected[i]), `index ${i}`);
  });
});
