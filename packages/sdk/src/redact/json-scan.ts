// A minimal scanner over valid JSON text: where strings and values end. Redaction edits the text in place
// through it instead of JSON.parse + JSON.stringify, which would round big integers and re-space the payload.

const QUOTE = 34;
const BACKSLASH = 92;

export function isJsonSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9;
}

/** Index of the quote closing the string that opens at `open`, or -1 when the text ends first. */
export function stringEnd(text: string, open: number): number {
  let k = open + 1;
  for (;;) {
    k = text.indexOf('"', k);
    if (k === -1) return -1;
    let slashes = 0;
    while (text.charCodeAt(k - 1 - slashes) === BACKSLASH) slashes++;
    if (slashes % 2 === 0) return k;
    k++;
  }
}

/** The value of the string token `text[open..close]`. */
export function stringValue(text: string, open: number, close: number): string {
  const inner = text.slice(open + 1, close);
  return inner.includes('\\') ? (JSON.parse(text.slice(open, close + 1)) as string) : inner;
}

/** Index just past the JSON value starting at `start` (no leading whitespace). */
export function valueEnd(text: string, start: number): number {
  const c = text.charCodeAt(start);
  if (c === QUOTE) {
    const e = stringEnd(text, start);
    return e === -1 ? text.length : e + 1;
  }
  if (c === 123 || c === 91) {
    let depth = 0;
    for (let k = start; k < text.length; k++) {
      const d = text.charCodeAt(k);
      if (d === QUOTE) {
        const e = stringEnd(text, k);
        if (e === -1) return text.length;
        k = e;
      } else if (d === 123 || d === 91) depth++;
      else if (d === 125 || d === 93) {
        depth--;
        if (depth === 0) return k + 1;
      }
    }
    return text.length;
  }
  let k = start;
  while (k < text.length) {
    const d = text.charCodeAt(k);
    if (d === 44 || d === 125 || d === 93 || isJsonSpace(d)) break;
    k++;
  }
  return k;
}

export function skipSpace(text: string, k: number): number {
  while (isJsonSpace(text.charCodeAt(k))) k++;
  return k;
}
