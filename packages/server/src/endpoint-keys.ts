import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The workspace file holding the endpoint keys (mode 0600). */
export const KEYS_FILE = 'endpoint-keys.json';

/** The two keys `auth_mode: key` accepts, as Azure endpoints have: rotate one while clients use the other. */
export interface EndpointKeys {
  readonly primaryKey: string;
  readonly secondaryKey: string;
}

const newKey = () => randomBytes(32).toString('base64url');

function readKeys(file: string): EndpointKeys | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const parsed = JSON.parse(text) as Partial<EndpointKeys>;
  if (typeof parsed.primaryKey !== 'string' || typeof parsed.secondaryKey !== 'string') {
    throw new Error(`${file} is not an endpoint keys file (delete it to make new keys)`);
  }
  return { primaryKey: parsed.primaryKey, secondaryKey: parsed.secondaryKey };
}

/**
 * The workspace's endpoint keys, made on first use. Concurrent first uses (several `mdc serve` at once) agree:
 * the file is created with `wx`, so one writer wins and the others read its keys.
 */
export function getEndpointKeys(workspaceDir: string): EndpointKeys {
  const file = join(workspaceDir, KEYS_FILE);
  const existing = readKeys(file);
  if (existing) return existing;
  mkdirSync(workspaceDir, { recursive: true });
  const keys: EndpointKeys = { primaryKey: newKey(), secondaryKey: newKey() };
  try {
    writeFileSync(file, `${JSON.stringify(keys, null, 2)}\n`, { flag: 'wx', mode: 0o600 });
    return keys;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return readKeys(file)!;
  }
}

/** Replaces one key with a new random one and returns both; running servers pick it up on restart. */
export function regenerateEndpointKey(workspaceDir: string, which: 'primary' | 'secondary'): EndpointKeys {
  const current = getEndpointKeys(workspaceDir);
  const keys: EndpointKeys =
    which === 'primary' ? { ...current, primaryKey: newKey() } : { ...current, secondaryKey: newKey() };
  const file = join(workspaceDir, KEYS_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(keys, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, file);
  return keys;
}

const digest = (key: string) => createHash('sha256').update(key).digest();

/**
 * Checks an `Authorization` header against the keys in constant time: both keys are always compared, as SHA-256
 * digests of equal length, so neither the time taken nor an early length mismatch says anything about a key.
 */
export function authorize(header: string | undefined, keys: EndpointKeys): boolean {
  if (!header) return false;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!m) return false;
  const given = digest(m[1]!);
  let ok = false;
  for (const key of [keys.primaryKey, keys.secondaryKey]) ok = timingSafeEqual(given, digest(key)) || ok;
  return ok;
}
