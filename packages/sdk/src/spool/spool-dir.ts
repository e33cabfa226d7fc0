import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { join, relative, sep } from 'node:path';
import { SpoolLockedError } from '../errors.js';
import type { RollingRate } from '../layout.js';

/**
 * The spool of one datastore on local disk:
 *
 * ```
 * <workspace>/spool/<datastore>/<instance_id>/owner.json       pid, host, rolling rate of the owner
 *                                            /files/<path>[@<start>]   bytes of a datastore file not yet delivered
 *                                            /objects/<path>    raw payloads not yet delivered
 *                                            /adopted/<id>/…    the same, taken over from a dead process
 * ```
 *
 * `@<start>` is the offset in the datastore file where the spool file's first byte belongs; it is added by
 * an atomic rename before the first upload, so a restarted process knows exactly what is delivered.
 */
export const OWNER_FILE = 'owner.json';

export interface Owner {
  readonly pid: number;
  readonly host: string;
  readonly instanceId: string;
  readonly rollingRate: RollingRate;
}

/** One owner's folder: the live process's own, or one adopted from a dead process. */
export interface SpoolUnit {
  readonly dir: string;
  readonly rollingRate: RollingRate;
  /** Whether new events may be appended (only the live process's own unit). */
  readonly own: boolean;
}

/** A spool file found on disk. */
export interface FoundFile {
  readonly unit: SpoolUnit;
  readonly remotePath: string;
  readonly file: string;
  readonly size: number;
  readonly start: number | undefined;
}

export interface FoundObject {
  readonly unit: SpoolUnit;
  readonly remotePath: string;
  readonly file: string;
  readonly size: number;
}

const START_SUFFIX = /@(\d+)$/;

/** Splits `x.jsonl@123` into the datastore path and start offset. */
export function parseSpoolName(rel: string): { remotePath: string; start: number | undefined } {
  const m = START_SUFFIX.exec(rel);
  if (!m) return { remotePath: rel, start: undefined };
  return { remotePath: rel.slice(0, m.index), start: Number(m[1]) };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readOwner(dir: string): Owner | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, OWNER_FILE), 'utf8')) as Owner;
  } catch {
    return undefined;
  }
}

/** Whether a unit's owner is gone (a unit of another host is never taken: its process may be alive). */
function abandoned(owner: Owner): boolean {
  if (owner.host !== hostname()) return false;
  return owner.pid !== process.pid && !isAlive(owner.pid);
}

/**
 * Claims `<root>/<instanceId>` for this process and adopts the units of dead processes into it (an atomic
 * rename, so two starting processes never adopt the same one). Throws MDC_SPOOL_LOCKED when a live process
 * already owns the instance id.
 */
export function claimSpool(root: string, instanceId: string, rollingRate: RollingRate): SpoolUnit[] {
  const ownDir = join(root, instanceId);
  mkdirSync(root, { recursive: true });
  const previous = readOwner(ownDir);
  if (previous && previous.host === hostname() && previous.pid !== process.pid && isAlive(previous.pid)) {
    throw new SpoolLockedError(ownDir, previous.pid);
  }
  const owner: Owner = { pid: process.pid, host: hostname(), instanceId, rollingRate };
  // A new unit appears with its owner file already in it, so a process starting alongside never takes it
  // for abandoned (names starting with '.' are never adopted).
  const staging = join(root, `.claim-${instanceId}-${process.pid}`);
  mkdirSync(staging, { recursive: true });
  writeDurably(join(staging, OWNER_FILE), JSON.stringify(owner));
  try {
    renameSync(staging, ownDir);
  } catch {
    rmSync(staging, { recursive: true, force: true });
    writeDurably(join(ownDir, OWNER_FILE), JSON.stringify(owner));
  }
  const adoptedDir = join(ownDir, 'adopted');
  for (const name of readdirSync(root)) {
    if (name === instanceId || name.startsWith('.')) continue;
    const dir = join(root, name);
    const st = statSync(dir, { throwIfNoEntry: false });
    if (!st?.isDirectory()) continue;
    const owner = readOwner(dir);
    // Without an owner file a unit is taken only once it is old (a crash between mkdir and the write).
    if (owner ? !abandoned(owner) : Date.now() - st.mtimeMs < 60_000) continue;
    mkdirSync(adoptedDir, { recursive: true });
    try {
      renameSync(dir, join(adoptedDir, uniqueName(adoptedDir, name)));
    } catch {
      // another process adopted it first
    }
  }
  flattenAdopted(adoptedDir);
  const units: SpoolUnit[] = [{ dir: ownDir, rollingRate, own: true }];
  if (existsSync(adoptedDir)) {
    for (const name of readdirSync(adoptedDir)) {
      const dir = join(adoptedDir, name);
      units.push({ dir, rollingRate: readOwner(dir)?.rollingRate ?? rollingRate, own: false });
    }
  }
  return units;
}

/** Units adopted by a process that died before delivering them sit one level deeper: lift them up. */
function flattenAdopted(adoptedDir: string): void {
  if (!existsSync(adoptedDir)) return;
  let moved = true;
  while (moved) {
    moved = false;
    for (const name of readdirSync(adoptedDir)) {
      const nested = join(adoptedDir, name, 'adopted');
      if (!existsSync(nested)) continue;
      for (const inner of readdirSync(nested)) {
        renameSync(join(nested, inner), join(adoptedDir, uniqueName(adoptedDir, inner)));
        moved = true;
      }
      rmSync(nested, { recursive: true, force: true });
    }
  }
}

function uniqueName(dir: string, name: string): string {
  let n = name;
  for (let i = 1; existsSync(join(dir, n)); i++) n = `${name}~${i}`;
  return n;
}

/**
 * Lists a unit's spool files and objects. A file whose last line is torn (the machine stopped mid-write)
 * is cut back to its last whole line; of two files for one path (a crash mid-compaction) the later one wins.
 */
export function scanUnit(unit: SpoolUnit): { files: FoundFile[]; objects: FoundObject[] } {
  const files = new Map<string, FoundFile>();
  for (const abs of walk(join(unit.dir, 'files'))) {
    if (abs.endsWith('.tmp')) {
      rmSync(abs, { force: true });
      continue;
    }
    const rel = relative(join(unit.dir, 'files'), abs).split(sep).join('/');
    const { remotePath, start } = parseSpoolName(rel);
    const size = trimTornLine(abs);
    const found: FoundFile = { unit, remotePath, file: abs, size, start };
    const other = files.get(remotePath);
    if (other && (other.start ?? -1) > (start ?? -1)) {
      rmSync(abs, { force: true });
      continue;
    }
    if (other) rmSync(other.file, { force: true });
    files.set(remotePath, found);
  }
  const objects: FoundObject[] = [];
  for (const abs of walk(join(unit.dir, 'objects'))) {
    if (abs.endsWith('.tmp')) {
      rmSync(abs, { force: true });
      continue;
    }
    const rel = relative(join(unit.dir, 'objects'), abs).split(sep).join('/');
    objects.push({ unit, remotePath: rel, file: abs, size: statSync(abs).size });
  }
  return { files: [...files.values()], objects };
}

function* walk(dir: string): Generator<string> {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names.sort()) {
    const abs = join(dir, name);
    if (statSync(abs).isDirectory()) yield* walk(abs);
    else yield abs;
  }
}

function trimTornLine(file: string): number {
  const buf = readFileSync(file);
  if (buf.length === 0 || buf[buf.length - 1] === 0x0a) return buf.length;
  const keep = buf.lastIndexOf(0x0a) + 1;
  truncateSync(file, keep);
  return keep;
}

/** Removes a unit that holds nothing any more (adopted units entirely; the own unit down to its owner file). */
export function removeEmptyUnit(unit: SpoolUnit): void {
  if (hasFiles(join(unit.dir, 'files')) || hasFiles(join(unit.dir, 'objects'))) return;
  if (!unit.own) rmSync(unit.dir, { recursive: true, force: true });
  else {
    rmSync(join(unit.dir, 'files'), { recursive: true, force: true });
    rmSync(join(unit.dir, 'objects'), { recursive: true, force: true });
  }
}

/** Gives up ownership at shutdown: an empty unit disappears, one with data is left for the next process. */
export function releaseSpool(unit: SpoolUnit): void {
  removeEmptyUnit(unit);
  if (hasFiles(join(unit.dir, 'files')) || hasFiles(join(unit.dir, 'objects'))) return;
  const adopted = join(unit.dir, 'adopted');
  if (existsSync(adopted) && readdirSync(adopted).length > 0) return;
  rmSync(unit.dir, { recursive: true, force: true });
}

function hasFiles(dir: string): boolean {
  for (const _ of walk(dir)) return true;
  return false;
}

/** Writes a small file so that after a crash it is either the old or the new content. */
export function writeDurably(file: string, content: string): void {
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, content);
  const fd = openSync(tmp, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}
