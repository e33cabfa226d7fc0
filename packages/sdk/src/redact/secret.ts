import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidConfigError, InvalidEnvError } from '../errors.js';

/** The workspace file holding the key of `action: hash` (hex, made on first use, readable by its owner only). */
export const REDACTION_KEY_FILE = 'redaction.key';

/** Below this many bytes a key could be brute-forced together with a guessable value (an email). */
const MIN_KEY_BYTES = 16;

/**
 * The HMAC key of `action: hash`: `MDC_REDACTION_KEY` (for several machines that share no workspace folder, at
 * least 16 bytes), else the workspace's {@link REDACTION_KEY_FILE}, created with 32 random bytes when missing.
 * One key per workspace, so the same value hashes the same in every collection and deployment: joins still work.
 */
export function redactionKey(workspaceDir: string, env: NodeJS.ProcessEnv = process.env): Buffer {
  const fromEnv = env.MDC_REDACTION_KEY;
  if (fromEnv !== undefined && fromEnv !== '') {
    const key = Buffer.from(fromEnv, 'utf8');
    if (key.byteLength < MIN_KEY_BYTES)
      throw new InvalidEnvError('MDC_REDACTION_KEY', `must be at least ${MIN_KEY_BYTES} bytes long`);
    return key;
  }
  const file = join(workspaceDir, REDACTION_KEY_FILE);
  const existing = readKey(file);
  if (existing) return existing;
  mkdirSync(workspaceDir, { recursive: true });
  // Written aside, then linked into place: a second process sees no key or a whole one, never half of it.
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
  try {
    linkSync(tmp, file);
  } catch (err) {
    // Another process made it first: use theirs, so both hash alike.
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    unlinkSync(tmp);
  }
  const made = readKey(file);
  if (!made) throw new InvalidConfigError(file, [{ path: '', message: 'the redaction key file is missing' }]);
  return made;
}

function readKey(file: string): Buffer | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  if (!/^(?:[0-9a-f]{2}){16,}$/i.test(text)) {
    throw new InvalidConfigError(file, [
      { path: '', message: 'the redaction key must be at least 32 hexadecimal digits' },
    ]);
  }
  return Buffer.from(text, 'hex');
}
