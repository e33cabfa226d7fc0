import { createRequire } from 'node:module';
import type { RE2JS } from 're2js';

/** A user's pattern, compiled by a linear-time engine (RE2 semantics: no back-references, no look-around). */
export interface UserRegex {
  readonly source: string;
  /** Each match as [start, end) in UTF-16 units, left to right, not overlapping. */
  matches(text: string): Iterable<readonly [number, number]>;
  /** Whether the pattern matches anywhere in `text`. */
  test(text: string): boolean;
  /** Text every match starts with (the pattern's leading literal), when it has one: a cheap first check. */
  readonly prefix: string | undefined;
  /** Whether the pattern has anchors (`^`, `$`, `\A`, `\z`): a match inside a string may then not be one inside a longer text. */
  readonly anchored: boolean;
}

let engine: typeof RE2JS | undefined;

/** re2js is loaded on the first user pattern: deployments with built-in patterns only never load it. */
function re2(): typeof RE2JS {
  engine ??= (createRequire(import.meta.url)('re2js') as { RE2JS: typeof RE2JS }).RE2JS;
  return engine;
}

/**
 * Compiles `source` with RE2 (time linear in the text, so no pattern can hang collection on a crafted input).
 * Throws an Error whose message says what RE2 refused (e.g. a back-reference); an empty-matching pattern is
 * refused too, since it would redact nothing but cost a step per character.
 */
export function compileUserRegex(source: string): UserRegex {
  const compiled = re2().compile(source);
  if (compiled.matcher('').find()) throw new Error('the pattern matches the empty string');
  return {
    source,
    prefix: literalPrefix(source),
    anchored: /[\^$]|\\[Az]/.test(source),
    test: (text) => compiled.matcher(text).find(),
    *matches(text) {
      const m = compiled.matcher(text);
      while (m.find()) {
        const start = m.start();
        const end = m.end();
        if (end > start) yield [start, end] as const;
      }
    },
  };
}

/**
 * The literal text every match of `source` starts with: its leading characters up to the first that is special
 * in RE2, less the last one when a quantifier that allows zero follows it. None when the pattern has an
 * alternation anywhere (an alternative could start otherwise) or flags.
 */
export function literalPrefix(source: string): string | undefined {
  if (source.includes('|')) return undefined;
  let end = 0;
  while (end < source.length && !'\\.+*?()[]{}^$'.includes(source[end]!)) end++;
  const next = source[end];
  if (next === '?' || next === '*' || next === '{') end--;
  return end > 0 ? source.slice(0, end) : undefined;
}
