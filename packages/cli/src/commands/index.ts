import type { Command } from 'commander';
import { registerDemo } from './demo.js';
import { registerKeys } from './keys.js';
import { registerProxy } from './proxy.js';
import { registerServe } from './serve.js';
import { registerValidate } from './validate.js';

/** Each command module adds its command to the program. */
export const commands: ReadonlyArray<(program: Command) => void> = [
  registerDemo,
  registerValidate,
  registerServe,
  registerProxy,
  registerKeys,
];
