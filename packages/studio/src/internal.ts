// What the other mdc packages share, on top of the public API (index.ts). Not for users: it may change.

export { isLoopbackHost } from './auth.js';
export * from './index.js';
export { parseMetrics, scrapeMetrics } from './prometheus.js';
export { DEFAULT_PUBLIC_DIR } from './static-files.js';
