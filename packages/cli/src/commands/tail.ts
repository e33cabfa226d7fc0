import type { Storage } from '@model-data-collector/reader/internal';
import { type Command, InvalidArgumentError, Option } from 'commander';
import {
  DATASTORE_PACKAGES,
  type DatastoreConfig,
  getDatastore,
  MissingPackageError,
  openWorkspace,
  PathNotFoundError,
  type Workspace,
} from 'model-data-collector/internal';
import { loadReader } from './output-options.js';
import { existingWorkspace } from './workspace-option.js';

interface TailFlags {
  follow?: boolean;
  datastore?: string;
  endpoint?: string;
  deployment?: string;
  format: 'table' | 'jsonl';
  lines: number;
}

/** How often a followed file is looked at for new lines: a local one, and one in a cloud datastore. */
const POLL_MS = 250;
const CLOUD_POLL_MS = 1000;

/** `mdc tail COLLECTION [-f] [--datastore NAME]`: a collection's newest events, and with -f each one as it arrives. */
export function registerTail(program: Command): void {
  program
    .command('tail')
    .description(
      "a collection's newest events as they arrive: from a NATS datastore through an ephemeral consumer, from files (local, Azure Blob, S3) by following the newest file",
    )
    .argument('<collection>', 'the collection (model_inputs, request, …)')
    .option('-f, --follow', 'keep printing events as they arrive (Ctrl-C stops)')
    .option('--datastore <name>', 'the datastore to read (default: workspaceblobstore)')
    .option('--endpoint <name>', 'only this endpoint')
    .option('--deployment <name>', 'only this deployment')
    .option('-n, --lines <n>', 'events already stored to print first', wholeNumber, 10)
    .addOption(
      new Option('--format <format>', 'table: time, correlation id and data; jsonl: the stored lines')
        .choices(['table', 'jsonl'])
        .default('table'),
    )
    .action(async (collection: string, flags: TailFlags, cmd: Command) => {
      const ws = openWorkspace(existingWorkspace(cmd));
      const name = flags.datastore ?? 'workspaceblobstore';
      const config = getDatastore(ws, name);
      const ac = new AbortController();
      const stop = () => ac.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      const out = printer(flags.format);
      try {
        if (config.type === 'nats') await tailNats(name, config, collection, flags, ac.signal, out);
        else await tailFiles(ws, name, collection, flags, ac.signal, out);
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
      }
    });
}

function wholeNumber(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n))
    throw new InvalidArgumentError('expected a whole number ≥ 0');
  return n;
}

/** Prints one stored line in the chosen format. */
function printer(format: 'table' | 'jsonl'): (line: string) => void {
  if (format === 'jsonl') return (line) => process.stdout.write(`${line}\n`);
  let header = false;
  return (line) => {
    if (!header) {
      process.stdout.write('TIME                  CORRELATIONID                         DATA\n');
      header = true;
    }
    let e: { time?: string; correlationid?: string; data?: unknown; datainblob?: string };
    try {
      e = JSON.parse(line);
    } catch {
      return; // a torn last line: the rest of it comes with the next read
    }
    const data = typeof e.data === 'string' ? e.data : JSON.stringify(e.data);
    const shown = data.length > 200 ? `${data.slice(0, 199)}…` : data;
    process.stdout.write(`${(e.time ?? '').padEnd(22)}${(e.correlationid ?? '').padEnd(38)}${shown}\n`);
  };
}

async function tailNats(
  name: string,
  config: Extract<DatastoreConfig, { type: 'nats' }>,
  collection: string,
  flags: TailFlags,
  signal: AbortSignal,
  print: (line: string) => void,
): Promise<void> {
  const pkg = DATASTORE_PACKAGES.nats;
  let mod: typeof import('@model-data-collector/nats');
  try {
    mod = await import(pkg);
  } catch (err) {
    const e = new MissingPackageError(
      pkg,
      `datastore "${name}" is a NATS JetStream stream, which needs ${pkg}`,
    );
    (e as { cause?: unknown }).cause = err;
    throw e;
  }
  const decoder = new TextDecoder();
  for await (const data of mod.tailStream(config, {
    collection,
    endpoint: flags.endpoint,
    deployment: flags.deployment,
    follow: flags.follow === true,
    last: flags.lines,
    signal,
  })) {
    print(decoder.decode(data));
  }
}

/** The folders of a collection in a datastore: `…/<endpoint>/<deployment>/<collection>`. */
async function collectionFolders(storage: Storage, collection: string, flags: TailFlags): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string, depth: number, trail: string[]): Promise<void> => {
    if (depth > 8) return;
    for (const e of await storage.list(dir)) {
      if (e.kind !== 'folder') continue;
      const t = [...trail, e.name];
      if (
        e.name === collection &&
        t.length >= 3 &&
        (!flags.endpoint || t[t.length - 3] === flags.endpoint) &&
        (!flags.deployment || t[t.length - 2] === flags.deployment)
      ) {
        found.push(e.path);
        continue;
      }
      if (/^[0-9]+$/.test(e.name)) continue; // date folders of another collection
      await walk(e.path, depth + 1, t);
    }
  };
  await walk('', 0, []);
  return found;
}

/**
 * The `.jsonl` file written last below the folders: in each, the newest date folder at every level (names sort
 * by time), then the file modified last there (one listing per level, so it stays cheap on a cloud store).
 */
async function newestFile(storage: Storage, folders: readonly string[]): Promise<string | undefined> {
  let best: { path: string; modified: number; period: string } | undefined;
  for (const folder of folders) {
    let dir = folder;
    let period = '';
    for (;;) {
      const entries = await storage.list(dir);
      const dates = entries.filter((e) => e.kind === 'folder' && /^[0-9]+$/.test(e.name));
      const files = entries.filter((e) => e.kind === 'file' && e.name.endsWith('.jsonl'));
      for (const f of files) {
        const modified = f.modifiedMs ?? 0;
        if (!best || period > best.period || (period === best.period && modified > best.modified))
          best = { path: f.path, modified, period };
      }
      if (dates.length === 0) break;
      const last = dates[dates.length - 1]!;
      dir = last.path;
      period += `/${last.name.padStart(4, '0')}`;
    }
  }
  return best?.path;
}

/** Bytes of `file` from `from` to its current end. */
async function readFrom(storage: Storage, file: string, from: number): Promise<Buffer> {
  const size = (await storage.stat(file))?.size ?? 0;
  if (size <= from) return Buffer.alloc(0);
  return Buffer.from(await storage.read(file, { start: from, end: size }));
}

/**
 * Follows the newest file of a collection in a file datastore (local, Azure Blob, S3): the last lines, then, with
 * -f, what is appended (a cloud datastore's files grow as the collector's spool uploads, every upload_interval_ms).
 */
async function tailFiles(
  ws: Workspace,
  name: string,
  collection: string,
  flags: TailFlags,
  signal: AbortSignal,
  print: (line: string) => void,
): Promise<void> {
  const reader = await loadReader();
  // Without --datastore, a collection known to the workspace (its data asset: data.path may be any folder) is
  // followed where it is; else the collection folders of the datastore are searched (every endpoint/deployment).
  const known = flags.datastore
    ? undefined
    : await reader.resolveCollection(ws, collection, flags).then(
        (source) => reader.locate(ws, source),
        () => undefined,
      );
  const storage = known?.storage ?? reader.datastoreStorage(ws, name);
  const ds = known ? known.datastore : name;
  const pollMs = !ds || getDatastore(ws, ds).type === 'local' ? POLL_MS : CLOUD_POLL_MS;
  const find = () => (known ? Promise.resolve([known.path]) : collectionFolders(storage, collection, flags));
  let folders = await find();
  let file = await newestFile(storage, folders);
  if (!file && !flags.follow)
    throw new PathNotFoundError(`collection ${collection}`, `has no files in ${storage.description}`);
  let offset = 0;
  if (file) {
    const text = await readFrom(storage, file, 0);
    const end = text.lastIndexOf(0x0a) + 1;
    const lines = text.subarray(0, end).toString('utf8').split('\n').filter(Boolean);
    for (const l of lines.slice(Math.max(0, lines.length - flags.lines))) print(l);
    offset = end;
  }
  while (flags.follow && !signal.aborted) {
    await new Promise((r) => setTimeout(r, pollMs));
    if (signal.aborted) break;
    let more: Buffer = Buffer.alloc(0);
    if (file) {
      more = await readFrom(storage, file, offset);
      const end = more.lastIndexOf(0x0a) + 1;
      if (end > 0) {
        for (const l of more.subarray(0, end).toString('utf8').split('\n')) if (l) print(l);
        offset += end;
        more = more.subarray(end);
      }
    }
    // A new period (or a new instance) starts a new file: follow the newest one from its start.
    folders = await find();
    const newest = await newestFile(storage, folders);
    if (newest && newest !== file && more.length === 0) {
      file = newest;
      offset = 0;
    }
  }
}
