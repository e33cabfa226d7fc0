export type * from './api-types.js';
export { isLoopbackHost } from './auth.js';
export { parseMetrics, scrapeMetrics } from './prometheus.js';
export { DEFAULT_PUBLIC_DIR } from './static-files.js';
export { createStudio, type RunningStudio, type StudioOptions, startStudio } from './studio.js';
