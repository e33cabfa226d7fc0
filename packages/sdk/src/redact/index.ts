// Redaction before an event is queued: nothing unredacted is ever spooled, written or uploaded.
import { Redactor } from './redactor.js';
import type { RedactRule } from './rules.js';
import { redactionKey } from './secret.js';

export { BUILTIN_PATTERN_NAMES, type BuiltinPatternName, ibanValid, luhnValid } from './patterns.js';
export { Redactor } from './redactor.js';
export {
  REDACT_ACTIONS,
  type RedactAction,
  type RedactRule,
  redactRuleSchema,
  redactRulesSchema,
  resolveRedactRules,
} from './rules.js';
export { REDACTION_KEY_FILE, redactionKey } from './secret.js';

/** The rules of `rules` that apply to `collection` (those without `collections` apply to all). */
export function rulesFor(rules: readonly RedactRule[], collection: string): RedactRule[] {
  return rules.filter((r) => r.collections === undefined || r.collections.includes(collection));
}

/**
 * The redactor of one collection of a runtime, or undefined when no rule applies to it (then emit pays nothing).
 * The hash key is read (or made) in the workspace only when a rule of the collection hashes.
 */
export function redactorFor(
  runtime: {
    readonly deployment?: { readonly redact?: readonly RedactRule[] };
    readonly workspace: { readonly dir: string };
  },
  collection: string,
  env: NodeJS.ProcessEnv = process.env,
): Redactor | undefined {
  const rules = rulesFor(runtime.deployment?.redact ?? [], collection);
  if (rules.length === 0) return undefined;
  return new Redactor(rules, () => redactionKey(runtime.workspace.dir, env));
}
