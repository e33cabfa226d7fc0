#!/usr/bin/env node
// npm links bins before `prepare` builds dist/, and skips a bin whose file is missing: this committed file keeps
// `npx mdc` linked in a fresh clone.
import { existsSync } from 'node:fs';

const bin = new URL('../dist/bin.js', import.meta.url);
if (!existsSync(bin)) {
  console.error(
    'error MDC_MISSING_PACKAGE: mdc is not built yet: run `npm run build` at the repository root',
  );
  process.exit(1);
}
await import(bin.href);
