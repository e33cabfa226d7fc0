import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { type ConfigIssue, ConfigNotFoundError, InvalidConfigError, InvalidYamlError } from './errors.js';

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
  return doc.toJS() ?? {};
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

function toIssue(issue: z.core.$ZodIssue): ConfigIssue {
  const path = issue.path
    .map((seg, i) => (typeof seg === 'number' ? `[${seg}]` : `${i === 0 ? '' : '.'}${String(seg)}`))
    .join('');
  return { path, message: issue.message };
}
