import { z } from 'zod';
import { BUILTIN_PATTERN_NAMES, isBuiltinPattern } from './patterns.js';
import { compileUserRegex } from './user-regex.js';

export const REDACT_ACTIONS = ['drop', 'mask', 'hash'] as const;
export type RedactAction = (typeof REDACT_ACTIONS)[number];

/** One `data_collector.redact` rule, validated. */
export interface RedactRule {
  /** The rule's name in `/metrics` (`rule` label): its `name`, else `redact[<index>]`. */
  readonly label: string;
  /** Object keys (tabular columns, JSON payload fields at any depth) whose whole value the action replaces. */
  readonly columns: readonly string[];
  /** Built-in pattern names or regular expressions, searched in every string value. */
  readonly patterns: readonly string[];
  readonly action: RedactAction;
  /** Collections the rule applies to; undefined means all. */
  readonly collections?: readonly string[];
  /** What `mask` writes instead of the value or match. @default `[REDACTED]` for columns, `[REDACTED:<pattern>]` for patterns */
  readonly replacement?: string;
}

const patternSchema = z.string().superRefine((source, ctx) => {
  if (isBuiltinPattern(source)) return;
  try {
    compileUserRegex(source);
  } catch (err) {
    ctx.addIssue({
      code: 'custom',
      message: `${JSON.stringify(source)} is neither a built-in pattern (${BUILTIN_PATTERN_NAMES.join(', ')}) nor a regular expression mdc can run in linear time: ${(err as Error).message}`,
    });
  }
});

const nameList = z
  .array(z.string().regex(/^[A-Za-z0-9_.-]+$/, 'collection names use A-Z a-z 0-9 _ . -'))
  .min(1);

/** The YAML shape of one rule; unknown keys are refused (a misspelled `action` must not silently do nothing). */
export const redactRuleSchema = z
  .strictObject({
    name: z
      .string()
      .regex(/^[A-Za-z0-9_.:-]+$/, 'rule names use A-Z a-z 0-9 _ . : -')
      .optional(),
    columns: z.array(z.string().min(1)).min(1).optional(),
    patterns: z.array(patternSchema).min(1).optional(),
    action: z.enum(REDACT_ACTIONS, {
      error: (iss) => `expected one of ${REDACT_ACTIONS.join(', ')}; got ${JSON.stringify(iss.input)}`,
    }),
    collections: nameList.optional(),
    replacement: z.string().optional(),
  })
  .superRefine((rule, ctx) => {
    if (!rule.columns && !rule.patterns)
      ctx.addIssue({ code: 'custom', message: 'a rule needs columns, patterns or both' });
    if (rule.replacement !== undefined && rule.action !== 'mask')
      ctx.addIssue({
        code: 'custom',
        path: ['replacement'],
        message: 'replacement is only for action: mask',
      });
  });

export const redactRulesSchema = z.array(redactRuleSchema);

/** Validated YAML rules → {@link RedactRule}s with their metric labels. */
export function resolveRedactRules(rules: z.output<typeof redactRulesSchema>): readonly RedactRule[] {
  return rules.map((r, i) =>
    Object.freeze({
      label: r.name ?? `redact[${i}]`,
      columns: r.columns ?? [],
      patterns: r.patterns ?? [],
      action: r.action,
      collections: r.collections,
      replacement: r.replacement,
    }),
  );
}
