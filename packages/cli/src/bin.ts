#!/usr/bin/env node
import { main } from './index.js';

// `mdc read … | head` closes the pipe early: that is a normal end, not a crash.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

process.exitCode = await main(process.argv);
