import type { ConfigIssue } from './errors.js';

/** One key of a YAML file whose keys are known: whether mdc acts on it, and the keys below it. */
export interface YamlKey {
  /** mdc acts on it locally; otherwise it is accepted (for Azure) and reported as not used locally. */
  readonly local: boolean;
  /** Its value is a mapping with exactly these keys (any other key is refused with MDC_UNKNOWN_KEY). */
  readonly keys?: KeyTree;
  /** Its value maps free names (e.g. collection names) to mappings with exactly these keys. */
  readonly each?: KeyTree;
}

export type KeyTree = Readonly<Record<string, YamlKey>>;

export interface KeyCheck {
  /** Keys the tree does not have: one issue each, with a "did you mean" when a known key is close. */
  readonly unknown: readonly ConfigIssue[];
  /** Key paths present in the file that mdc does not act on (known to Azure, or far from any known key). */
  readonly notUsedLocally: readonly string[];
  /** Top-level keys in {@link notUsedLocally} that are in no schema we know (not close to any known key). */
  readonly foreign: readonly string[];
}

export interface KeyCheckOptions {
  /**
   * Accept top-level keys that are not close to any known key (reporting them in {@link KeyCheck.foreign})
   * instead of refusing them; a close one is still refused as a likely typo.
   * @default false
   */
  readonly allowForeignTopLevel?: boolean;
}

/**
 * Walks a parsed YAML value along `tree`: refuses unknown keys of every mapping the tree describes and lists the
 * keys mdc does not use. Values are not type-checked here (zod does that).
 */
export function checkKeys(value: unknown, tree: KeyTree, options: KeyCheckOptions = {}): KeyCheck {
  const out = { unknown: [] as ConfigIssue[], notUsedLocally: [] as string[], foreign: [] as string[] };
  walk(value, tree, '', true, out, options.allowForeignTopLevel ?? false);
  return out;
}

function walk(
  value: unknown,
  tree: KeyTree,
  path: string,
  report: boolean,
  out: { unknown: ConfigIssue[]; notUsedLocally: string[]; foreign: string[] },
  allowForeign: boolean,
): void {
  if (!isMapping(value)) return;
  const known = Object.keys(tree);
  for (const [key, child] of Object.entries(value)) {
    const at = path ? `${path}.${key}` : key;
    const spec = Object.hasOwn(tree, key) ? tree[key] : undefined;
    if (!spec) {
      const near = closestKey(key, known);
      if (allowForeign && near === undefined) {
        out.foreign.push(at);
        out.notUsedLocally.push(at);
      } else {
        out.unknown.push({ path: at, message: unknownKeyMessage(near, known), code: 'MDC_UNKNOWN_KEY' });
      }
      continue;
    }
    // Below a key mdc ignores, only that key is reported; its keys are still checked for typos.
    if (report && !spec.local) out.notUsedLocally.push(at);
    const below = report && spec.local;
    if (spec.keys) walk(child, spec.keys, at, below, out, false);
    if (spec.each && isMapping(child)) {
      for (const [name, item] of Object.entries(child))
        walk(item, spec.each, `${at}.${name}`, below, out, false);
    }
  }
}

function unknownKeyMessage(near: string | undefined, known: readonly string[]): string {
  if (near !== undefined) return `unknown key; did you mean ${near}?`;
  return `unknown key; expected one of ${known.join(', ')}`;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The known key closest to `key` when it is within edit distance 2 (a transposition counts 1) and the distance is
 * less than the shorter name's length, so `x` is not taken for `id`; undefined otherwise.
 */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const k of known) {
    const d = editDistance(key.toLowerCase(), k.toLowerCase());
    if (d < bestDistance && d < Math.min(key.length, k.length)) {
      best = k;
      bestDistance = d;
    }
  }
  return best;
}

/** Optimal-string-alignment distance: insertions, deletions, substitutions and adjacent transpositions. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array(rows * cols).fill(0);
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(
        d[(i - 1) * cols + j]! + 1,
        d[i * cols + j - 1]! + 1,
        d[(i - 1) * cols + j - 1]! + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, d[(i - 2) * cols + j - 2]! + 1);
      d[i * cols + j] = v;
    }
  }
  return d[rows * cols - 1]!;
}
