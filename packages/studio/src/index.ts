// The public API: start the studio (or get its fastify app) and the JSON shapes its API answers with (see
// docs/studio.md). `@model-data-collector/studio/internal` adds the parts behind it; those may change.
export type * from './api-types.js';
export { createStudio, type RunningStudio, type StudioOptions, startStudio } from './studio.js';
