import type { Command } from 'commander';
import { registerData } from './data.js';
import { registerDatastore } from './datastore.js';
import { registerDemo } from './demo.js';
import { registerForget } from './forget.js';
import { registerJoin } from './join.js';
import { registerKeys } from './keys.js';
import { registerLs } from './ls.js';
import { registerMonitor } from './monitor.js';
import { registerProxy } from './proxy.js';
import { registerQuery } from './query.js';
import { registerRead } from './read.js';
import { registerRetention } from './retention.js';
import { registerServe } from './serve.js';
import { registerSidecar } from './sidecar.js';
import { registerStudio } from './studio.js';
import { registerTail } from './tail.js';
import { registerValidate } from './validate.js';

/** Each command module adds its command to the program. */
export const commands: ReadonlyArray<(program: Command) => void> = [
  registerDemo,
  registerValidate,
  registerServe,
  registerProxy,
  registerSidecar,
  registerKeys,
  registerLs,
  registerData,
  registerDatastore,
  registerRead,
  registerTail,
  registerJoin,
  registerQuery,
  registerRetention,
  registerForget,
  registerMonitor,
  registerStudio,
];
