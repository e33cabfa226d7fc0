/** How a body is read and collected: JSON data, a text string, or raw bytes (offloaded with `datainblob`). */
export type BodyKind = 'json' | 'text' | 'binary';

/** The media type of a Content-Type header, lower-cased, without parameters. */
export function mediaType(contentType: string | undefined): string {
  if (!contentType) return '';
  const semi = contentType.indexOf(';');
  return (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
}

const TEXT_TYPES = new Set([
  'application/x-www-form-urlencoded',
  'application/xml',
  'application/csv',
  'application/x-ndjson',
  'application/jsonl',
  'application/javascript',
  'application/yaml',
  'application/x-yaml',
]);

export function bodyKind(contentType: string | undefined): BodyKind {
  const t = mediaType(contentType);
  if (t === 'application/json' || t.endsWith('+json')) return 'json';
  if (t.startsWith('text/') || t.endsWith('+xml') || TEXT_TYPES.has(t)) return 'text';
  return 'binary';
}

/** The `data` of a payload event, ready for `Collection.emit`. */
export interface PayloadData {
  readonly json?: string;
  readonly raw?: Uint8Array;
  readonly contentType: string;
}

const BOM = 0xfeff;

/** Body text without a UTF-8 byte order mark. */
export function bodyText(body: Uint8Array): string {
  const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  return text.charCodeAt(0) === BOM ? text.slice(1) : text;
}

/**
 * Turns a body into event data: valid JSON stays JSON (its line breaks, which can only be whitespace, become
 * spaces so the event stays one line), text and invalid JSON become a JSON string, anything else stays bytes.
 * `validJson` skips the parse when the caller already parsed the body. The body may be given as the text the
 * caller already decoded from it with {@link bodyText} (or serialized itself as well-formed UTF-16 without a
 * byte order mark), which saves decoding it again; the event is the same as for its UTF-8 bytes.
 */
export function payloadData(
  body: Uint8Array | string,
  contentType: string | undefined,
  validJson?: boolean,
): PayloadData {
  const type = contentType?.trim() || 'application/octet-stream';
  if (body.length === 0) return { json: '""', contentType: type };
  const kind = bodyKind(contentType);
  if (kind === 'binary')
    return { raw: typeof body === 'string' ? Buffer.from(body) : body, contentType: type };
  const text = typeof body === 'string' ? body : bodyText(body);
  if (kind === 'json' && (validJson ?? isJson(text))) {
    // indexOf is a memchr, far cheaper per payload than a regular expression test (docs/performance.md).
    const oneLine = text.indexOf('\n') === -1 && text.indexOf('\r') === -1;
    return { json: oneLine ? text : text.replace(/[\r\n]/g, ' '), contentType: type };
  }
  return { json: JSON.stringify(text), contentType: type };
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
