import type { Command } from 'commander';
import { registerDemo } from './demo.js';
import { registerValidate } from './validate.js';

/** Each command module adds its command to the program. */
export const commands: ReadonlyArray<(program: Command) => void> = [registerDemo, registerValidate];
