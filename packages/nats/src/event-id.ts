const ID_START = Buffer.from('{"specversion":"1.0","id":"');

/** The event `id` of a line: read in place for the SDK's own lines, else from the parsed JSON. */
export function eventIdOf(line: Buffer): string | undefined {
  if (line.subarray(0, ID_START.length).equals(ID_START)) {
    const end = line.indexOf(0x22, ID_START.length);
    const id = end > ID_START.length ? line.toString('utf8', ID_START.length, end) : '';
    // An escaped character ends the quick read at the wrong quote: parse the line instead.
    if (id !== '' && !id.includes('\\')) return id;
  }
  try {
    const id = (JSON.parse(line.toString('utf8')) as { id?: unknown }).id;
    return typeof id === 'string' && id !== '' ? id : undefined;
  } catch {
    return undefined;
  }
}
