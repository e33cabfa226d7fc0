/**
 * The built-in redaction patterns. Each is a native regular expression written so that a match attempt can only
 * start at the beginning of a token (look-behind) and its quantifiers are bounded or disjoint, so none can
 * backtrack catastrophically; a `valid` check (Luhn, IBAN mod-97, digit counts) removes look-alikes.
 */
export interface BuiltinPattern {
  readonly name: BuiltinPatternName;
  /** Global, sticky-free expression; `lastIndex` is reset by each use. */
  readonly regex: RegExp;
  /** A cheap test on a whole text: false means the pattern cannot match anywhere in it. */
  readonly mayMatch: (text: string) => boolean;
  /** Fewest ASCII digits a match holds: a string with fewer is not searched. */
  readonly minDigits: number;
  /** A character every match holds: a string without it is not searched. */
  readonly needs?: string;
  /** Second check on a candidate match (checksums, digit counts): the length of its valid prefix, 0 for none. */
  readonly accept?: (match: string) => number;
}

export const BUILTIN_PATTERN_NAMES = ['email', 'credit_card', 'iban', 'phone', 'ipv4'] as const;
export type BuiltinPatternName = (typeof BUILTIN_PATTERN_NAMES)[number];

const hasDigit = (text: string): boolean => /[0-9]/.test(text);

/** Luhn checksum of the digits of `s` (separators ignored). */
export function luhnValid(s: string): boolean {
  let sum = 0;
  let double = false;
  let digits = 0;
  for (let i = s.length - 1; i >= 0; i--) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) continue;
    digits++;
    let d = c;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return digits >= 13 && digits <= 19 && sum % 10 === 0;
}

/** IBAN lengths by country (ISO 13616 registry); an unknown country only needs 15 to 34 characters. */
const IBAN_LENGTHS: Readonly<Record<string, number>> = {
  AD: 24,
  AE: 23,
  AL: 28,
  AT: 20,
  AZ: 28,
  BA: 20,
  BE: 16,
  BG: 22,
  BH: 22,
  BR: 29,
  BY: 28,
  CH: 21,
  CR: 22,
  CY: 28,
  CZ: 24,
  DE: 22,
  DK: 18,
  DO: 28,
  EE: 20,
  EG: 29,
  ES: 24,
  FI: 18,
  FO: 18,
  FR: 27,
  GB: 22,
  GE: 22,
  GI: 23,
  GL: 18,
  GR: 27,
  GT: 28,
  HR: 21,
  HU: 28,
  IE: 22,
  IL: 23,
  IQ: 23,
  IS: 26,
  IT: 27,
  JO: 30,
  KW: 30,
  KZ: 20,
  LB: 28,
  LC: 32,
  LI: 21,
  LT: 20,
  LU: 20,
  LV: 21,
  MC: 27,
  MD: 24,
  ME: 22,
  MK: 19,
  MR: 27,
  MT: 31,
  MU: 30,
  NL: 18,
  NO: 15,
  PK: 24,
  PL: 28,
  PS: 29,
  PT: 25,
  QA: 29,
  RO: 24,
  RS: 22,
  SA: 24,
  SC: 31,
  SE: 24,
  SI: 19,
  SK: 24,
  SM: 27,
  ST: 25,
  SV: 28,
  TL: 23,
  TN: 24,
  TR: 26,
  UA: 29,
  VA: 22,
  VG: 24,
  XK: 20,
};

/** ISO 13616 check: the country's length and mod-97 of the rearranged number equal to 1. */
export function ibanValid(s: string): boolean {
  const iban = s.replace(/ /g, '').toUpperCase();
  const expected = IBAN_LENGTHS[iban.slice(0, 2)];
  if (expected !== undefined ? iban.length !== expected : iban.length < 15 || iban.length > 34) return false;
  const moved = iban.slice(4) + iban.slice(0, 4);
  let rem = 0;
  for (let i = 0; i < moved.length; i++) {
    const c = moved.charCodeAt(i);
    const v = c <= 57 ? c - 48 : c - 55;
    rem = v > 9 ? (rem * 100 + v) % 97 : (rem * 10 + v) % 97;
  }
  return rem === 1;
}

export function digitCount(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) n++;
  }
  return n;
}

const OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])';

const IPV4_SOURCE = `(?:${OCTET}\\.){3}${OCTET}`;
/** A whole string that is an IPv4 address (a phone look-alike with dots). */
const IPV4 = new RegExp(`^${IPV4_SOURCE}$`);

export const BUILTIN_PATTERNS: Readonly<Record<BuiltinPatternName, BuiltinPattern>> = {
  // Local part and domain labels; the look-behind makes each run of local-part characters one attempt.
  email: {
    name: 'email',
    regex:
      /(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*\.[A-Za-z]{2,24}(?![A-Za-z0-9-])/g,
    mayMatch: (text) => text.includes('@'),
    minDigits: 0,
    needs: '@',
  },
  // 13 to 19 digits, optionally grouped by single spaces or dashes, that pass the Luhn check.
  credit_card: {
    name: 'credit_card',
    regex: /(?<![0-9])[0-9](?:[ -]?[0-9]){12,18}(?![0-9])/g,
    mayMatch: hasDigit,
    minDigits: 13,
    accept: (m) => (luhnValid(m) ? m.length : 0),
  },
  // Country code, check digits, then 11 to 30 letters or digits, compact or in the print form's groups of 4.
  // A following word of 4 letters looks like one more group: the checksum decides where the IBAN ends.
  iban: {
    name: 'iban',
    regex:
      /(?<![A-Za-z0-9])[A-Za-z]{2}[0-9]{2}(?:[A-Za-z0-9]{11,30}|(?: [A-Za-z0-9]{4}){2,7}(?: [A-Za-z0-9]{1,3})?)(?![A-Za-z0-9])/g,
    mayMatch: hasDigit,
    minDigits: 2,
    accept: (m) => {
      for (let s = m; ; ) {
        if (ibanValid(s)) return s.length;
        const cut = s.lastIndexOf(' ');
        if (cut < 0) return 0;
        s = s.slice(0, cut);
      }
    },
  },
  // An optional +country code, an optional (area) code, then two or three groups; 7 to 15 digits in all.
  // Not preceded or followed by a word character, a dot or a comma next to a digit (decimals, versions, IPs).
  phone: {
    name: 'phone',
    regex:
      /(?<![\w.,+-])(?:\+[1-9][0-9]{0,2}[ .-]?)?(?:\([0-9]{1,4}\)[ .-]?|[0-9]{2,4}[ .-])?[0-9]{2,4}[ .-]?[0-9]{3,4}(?:[ .-]?[0-9]{3,4})?(?![\w]|[.,][0-9])/g,
    mayMatch: hasDigit,
    minDigits: 7,
    accept: (m) => {
      const n = digitCount(m);
      return n >= 7 && n <= 15 && !IPV4.test(m) ? m.length : 0;
    },
  },
  ipv4: {
    name: 'ipv4',
    regex: new RegExp(`(?<![0-9.])${IPV4_SOURCE}(?![0-9]|\\.[0-9])`, 'g'),
    mayMatch: (text) => text.includes('.'),
    minDigits: 4,
    needs: '.',
  },
};

export function isBuiltinPattern(name: string): name is BuiltinPatternName {
  return (BUILTIN_PATTERN_NAMES as readonly string[]).includes(name);
}
