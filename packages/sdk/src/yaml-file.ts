import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import {
  type ConfigIssue,
  ConfigNotFoundError,
  InvalidConfigError,
  InvalidYamlError,
  UnknownKeyError,
} from './errors.js';
import { checkKeys, type KeyCheck, type KeyCheckOptions, type KeyTree } from './key-check.js';

/** Reads and parses a YAML file; `from` says who named the file (for the not-found message). */
export function readYamlFile(file: string, from: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new ConfigNotFoundError(file, from);
    throw err;
  }
  return parseYaml(text, file);
}

export function parseYaml(text: string, file: string): unknown {
  const doc = parseDocument(text, { prettyErrors: true });
  const first = doc.errors[0];
  if (first)
    throw new InvalidYamlError(file, first.message.split('\n')[0] ?? 'syntax error', { cause: first });
  let value: unknown;
  try {
    value = doc.toJS() ?? {};
  } catch (err) {
    // An alias bomb (yaml refuses the exponential expansion) or nesting deeper than the stack.
    throw new InvalidYamlError(file, (err as Error).message, { cause: err });
  }
  // `a: &x [*x]` makes a value that contains itself: validation and its messages would never end.
  if (isCircular(value, new Set()))
    throw new InvalidYamlError(file, 'an alias refers to a node that contains it');
  return value;
}

function isCircular(value: unknown, ancestors: Set<object>): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (ancestors.has(value)) return true;
  ancestors.add(value);
  for (const v of value instanceof Map ? value.values() : Object.values(value))
    if (isCircular(v, ancestors)) return true;
  ancestors.delete(value);
  return false;
}

/** Validates with zod and turns its issues into key paths (`data_collector.collections.x.enabled`). */
export function validate<S extends z.ZodType>(
  schema: S,
  value: unknown,
  file: string | undefined,
): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new InvalidConfigError(file, result.error.issues.map(toIssue));
}

/**
 * Like {@link validate}, after checking the keys along `tree`: an unknown key throws MDC_UNKNOWN_KEY (listing the
 * value problems too, since a misspelled key often leaves a required one missing).
 */
export function validateKeys<S extends z.ZodType>(
  schema: S,
  value: unknown,
  file: string | undefined,
  tree: KeyTree,
  options?: KeyCheckOptions,
): { readonly data: z.output<S>; readonly keys: KeyCheck } {
  const keys = checkKeys(value, tree, options);
  const result = schema.safeParse(value);
  const issues = result.success ? [] : result.error.issues.map(toIssue);
  if (keys.unknown.length) throw new UnknownKeyError(file, [...keys.unknown, ...issues]);
  if (!result.success) throw new InvalidConfigError(file, issues);
  return { data: result.data, keys };
}

function toIssue(issue: z.core.$ZodIssue): ConfigIssue {
  const path = issue.path
    .map((seg, i) => (typeof seg === 'number' ? `[${seg}]` : `${i === 0 ? '' : '.'}${String(seg)}`))
    .join('');
  // A bad record key (a collection name) says why, not zod's "Invalid key in record".
  const why = issue.code === 'invalid_key' ? issue.issues[0]?.message : undefined;
  return { path, message: why ? `${why}; got ${JSON.stringify(issue.path.at(-1))}` : issue.message };
}
