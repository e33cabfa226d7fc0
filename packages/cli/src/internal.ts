// What the other mdc packages share, on top of the public API (index.ts). Not for users: it may change.

export { existingWorkspace, workspaceOption } from './commands/workspace-option.js';
export * from './index.js';
export { reportError } from './report-error.js';
