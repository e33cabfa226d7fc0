import { isUtf8 } from 'node:buffer';
import { HmacSha256 } from './hmac.js';
import { isJsonSpace, skipSpace, stringEnd, stringValue, valueEnd } from './json-scan.js';
import { BUILTIN_PATTERNS, digitCount, isBuiltinPattern } from './patterns.js';
import type { RedactAction, RedactRule } from './rules.js';
import { compileUserRegex } from './user-regex.js';

/** What a rule does to one column or one match. */
interface Action {
  readonly label: string;
  readonly action: RedactAction;
  /** The text `mask` writes. */
  readonly mask: string;
}

interface Pattern extends Action {
  /** False when the pattern cannot match anywhere in a whole event's text (then no string is searched). */
  readonly mayMatch: (text: string) => boolean;
  /** Fewest digits, and a character, a matching string must hold (cheap per-string checks). */
  readonly minDigits: number;
  readonly needs?: string;
  /** Appends the matches in `text` as [start, end, pattern]. */
  readonly find: (text: string, out: Match[]) => void;
}

type Match = [start: number, end: number, pattern: Pattern];

/**
 * Applies the redaction rules of one collection to event data (JSON text): named keys of every object lose
 * their value (tabular rows are objects, so this covers columns), and matches of the patterns are replaced
 * in every string value, keys excepted. Counts what it replaced per rule. Pure apart from the counters.
 */
export class Redactor {
  /** Values and matches replaced, per rule label. */
  readonly counts = new Map<string, number>();
  private readonly columns = new Map<string, Action>();
  private readonly patterns: Pattern[] = [];
  /** Lengths of the column names: a key of another length is not compared. */
  private readonly columnLengths = new Set<number>();
  private readonly hmac: HmacSha256 | undefined;

  /**
   * @param rules the rules that apply to this collection, in file order (the first rule naming a column wins)
   * @param key HMAC key of `hash`; needed only when a rule hashes
   */
  constructor(rules: readonly RedactRule[], key?: () => Buffer) {
    for (const rule of rules) {
      this.counts.set(rule.label, 0);
      for (const column of rule.columns) {
        if (!this.columns.has(column)) {
          const mask = rule.replacement ?? '[REDACTED]';
          this.columns.set(column, { label: rule.label, action: rule.action, mask });
          this.columnLengths.add(column.length);
        }
      }
      for (const source of rule.patterns) this.patterns.push(compilePattern(rule, source));
    }
    if (rules.some((r) => r.action === 'hash')) {
      if (!key) throw new Error('action hash needs a key');
      this.hmac = new HmacSha256(key());
    }
  }

  /**
   * `input` with its `json` redacted, or its `raw` bytes when they are text (a text body posted as
   * application/octet-stream, the sidecar's compact format): patterns apply to that text. The same object when
   * nothing changed; binary bytes are left alone.
   */
  apply<T extends { readonly json?: string; readonly raw?: Uint8Array }>(input: T): T {
    if (input.json !== undefined) {
      const json = this.redactJson(input.json);
      return json === input.json ? input : { ...input, json };
    }
    if (input.raw === undefined || this.patterns.length === 0) return input;
    const text = textOf(input.raw);
    if (text === undefined) return input;
    const redacted = this.redactString(
      text,
      this.patterns.filter((p) => p.mayMatch(text)),
    );
    return redacted === text ? input : { ...input, raw: Buffer.from(redacted) };
  }

  /** Redacts valid JSON text; returns the same string when nothing matched. */
  redactJson(text: string): string {
    // An escaped character (\u0040 for @) could hide a key or a match from the quick checks on the raw text.
    const escaped = text.includes('\\');
    const columns = this.columns.size > 0 && (escaped || this.anyColumnIn(text)) ? this.columns : undefined;
    const patterns = escaped ? this.patterns : this.patterns.filter((p) => p.mayMatch(text));
    if (!columns && patterns.length === 0) return text;
    if (patterns.length === 0 && !escaped) return this.redactColumnsOnly(text);
    let out = '';
    let pos = 0;
    let i = 0;
    for (;;) {
      const open = text.indexOf('"', i);
      if (open === -1) break;
      const close = stringEnd(text, open);
      if (close === -1) break;
      const afterKey = skipSpace(text, close + 1);
      if (text.charCodeAt(afterKey) === 58) {
        const column =
          columns && (escaped || this.columnLengths.has(close - open - 1))
            ? columns.get(stringValue(text, open, close))
            : undefined;
        if (!column) {
          i = close + 1;
          continue;
        }
        ({ out, pos, i } = this.cutColumn(text, open, afterKey, column, out, pos));
        continue;
      }
      if (patterns.length > 0) {
        const value = stringValue(text, open, close);
        const redacted = this.redactString(value, patterns);
        if (redacted !== value) {
          out += text.slice(pos, open) + JSON.stringify(redacted);
          pos = close + 1;
        }
      }
      i = close + 1;
    }
    return pos === 0 ? text : out + text.slice(pos);
  }

  /**
   * Columns and no pattern, and no escape in the text: the keys are found with indexOf instead of walking every
   * string. Without escapes an unescaped quote always delimits a string, so `"NAME"` followed by `:` is a key.
   */
  private redactColumnsOnly(text: string): string {
    const keys: [open: number, afterKey: number, column: Action][] = [];
    for (const [name, column] of this.columns) {
      const quoted = `"${name}"`;
      for (let at = text.indexOf(quoted); at !== -1; at = text.indexOf(quoted, at + quoted.length)) {
        const afterKey = skipSpace(text, at + quoted.length);
        if (text.charCodeAt(afterKey) === 58) keys.push([at, afterKey, column]);
      }
    }
    if (keys.length === 0) return text;
    if (keys.length > 1) keys.sort((a, b) => a[0] - b[0]);
    let out = '';
    let pos = 0;
    let i = 0;
    for (const [open, afterKey, column] of keys) {
      // A key inside a value already replaced or dropped.
      if (open < i) continue;
      ({ out, pos, i } = this.cutColumn(text, open, afterKey, column, out, pos));
    }
    return pos === 0 ? text : out + text.slice(pos);
  }

  /** Drops, masks or hashes the value of the key at `open`; returns the output so far and where to go on. */
  private cutColumn(
    text: string,
    open: number,
    afterKey: number,
    column: Action,
    out: string,
    pos: number,
  ): { out: string; pos: number; i: number } {
    const start = skipSpace(text, afterKey + 1);
    const end = valueEnd(text, start);
    this.count(column.label);
    if (column.action === 'drop') {
      const next = skipSpace(text, end);
      if (text.charCodeAt(next) === 44)
        return { out: out + text.slice(pos, open), pos: skipSpace(text, next + 1), i: end };
      // The object's last member: the comma before it goes instead.
      let k = open - 1;
      while (k >= pos && isJsonSpace(text.charCodeAt(k))) k--;
      return { out: out + text.slice(pos, text.charCodeAt(k) === 44 ? k : open), pos: end, i: end };
    }
    const value = text.charCodeAt(start) === 34 ? stringValue(text, start, end - 1) : text.slice(start, end);
    return {
      out: out + text.slice(pos, start) + JSON.stringify(this.replace(column, value)),
      pos: end,
      i: end,
    };
  }

  /** Replaces the pattern matches in one string (earliest first; of two overlapping, the earlier one wins). */
  redactString(value: string, patterns: readonly Pattern[] = this.patterns): string {
    const matches: Match[] = [];
    let digits = -1;
    for (const p of patterns) {
      if (p.needs !== undefined && !value.includes(p.needs)) continue;
      if (p.minDigits > 0) {
        if (digits < 0) digits = digitCount(value);
        if (digits < p.minDigits) continue;
      }
      p.find(value, matches);
    }
    if (matches.length === 0) return value;
    if (matches.length > 1) matches.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
    let out = '';
    let pos = 0;
    for (const [start, end, p] of matches) {
      if (start < pos) continue;
      out += value.slice(pos, start) + this.replace(p, value.slice(start, end));
      pos = end;
      this.count(p.label);
    }
    return out + value.slice(pos);
  }

  private replace(a: Action, value: string): string {
    if (a.action === 'mask') return a.mask;
    if (a.action === 'drop') return '';
    return this.hmac!.hex(value);
  }

  private count(label: string): void {
    this.counts.set(label, (this.counts.get(label) ?? 0) + 1);
  }

  private anyColumnIn(text: string): boolean {
    for (const name of this.columns.keys()) if (text.includes(name)) return true;
    return false;
  }
}

/** The bytes as text when they are UTF-8 with no control character but tab, CR and LF; else undefined. */
function textOf(raw: Uint8Array): string | undefined {
  if (!isUtf8(raw)) return undefined;
  for (let i = 0; i < raw.byteLength; i++) {
    const c = raw[i]!;
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || c === 0x7f) return undefined;
  }
  return Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8');
}

function compilePattern(rule: RedactRule, source: string): Pattern {
  const base = { label: rule.label, action: rule.action };
  if (isBuiltinPattern(source)) {
    const b = BUILTIN_PATTERNS[source];
    const pattern: Pattern = {
      ...base,
      mask: rule.replacement ?? `[REDACTED:${source}]`,
      mayMatch: b.mayMatch,
      minDigits: b.minDigits,
      needs: b.needs,
      find: (text, out) => {
        const re = b.regex;
        re.lastIndex = 0;
        for (let m = re.exec(text); m !== null; m = re.exec(text)) {
          const length = b.accept ? b.accept(m[0]) : m[0].length;
          if (length > 0) {
            out.push([m.index, m.index + length, pattern]);
            re.lastIndex = m.index + length;
          } else {
            // A look-alike (bad checksum) may hide a real match starting inside it.
            re.lastIndex = m.index + 1;
          }
        }
      },
    };
    return pattern;
  }
  const re = compileUserRegex(source);
  const pattern: Pattern = {
    ...base,
    mask: rule.replacement ?? '[REDACTED]',
    // A leading literal is looked for with indexOf. Else one RE2 pass over the whole event is cheaper than one
    // per string when nothing matches; an anchored pattern can match a whole string without matching inside the
    // event's text, so it is always searched.
    mayMatch:
      re.prefix !== undefined
        ? (text) => text.includes(re.prefix!)
        : re.anchored
          ? () => true
          : (text) => re.test(text),
    minDigits: 0,
    needs: re.prefix,
    find: (text, out) => {
      for (const [start, end] of re.matches(text)) out.push([start, end, pattern]);
    },
  };
  return pattern;
}
