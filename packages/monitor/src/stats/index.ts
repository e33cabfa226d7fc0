export { chebyshevDistance } from './chebyshev.js';
export { type ChiSquaredResult, chiSquaredTest, chiSquareGoodnessOfFit } from './chi-squared.js';
export { chi2Sf, gammaQ, logGamma } from './gamma.js';
export {
  type Binning,
  DEFAULT_BINNING,
  type Histogram,
  histogram,
  linspace,
  sturgesBins,
} from './histogram.js';
export { jensenShannonDistance } from './jensen-shannon.js';
export { durbinMatrixCdf, kolmogorovSf, pelzGoodCdf, pomeranzCdf, smirnovSf } from './kolmogorov.js';
export { KS_EXACT_MAX_N, type KsMethod, type KsResult, ks2samp } from './ks.js';
export {
  accuracy,
  meanAbsoluteError,
  meanSquaredError,
  precision,
  recall,
  rootMeanSquaredError,
} from './performance.js';
export { PSI_SMOOTHING, populationStabilityIndex, psiFromShares } from './psi.js';
export { sortFloat64 } from './sort.js';
export { roundHalfEven, Sum, sum } from './sum.js';
export {
  MIN_STD,
  normalizedWassersteinDistance,
  sortedFinite,
  std,
  wassersteinDistance,
} from './wasserstein.js';
