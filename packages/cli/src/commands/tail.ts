import { closeSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import {
  DATASTORE_PACKAGES,
  type DatastoreConfig,
  getDatastore,
  localDatastoreRoot,
  MissingPackageError,
  openWorkspace,
  PathNotFoundError,
  UsageError,
  type Workspace,
} from 'model-data-collector/internal';
import { existingWorkspace } from './workspace-option.js';

interface TailFlags {
  follow?: boolean;
  datastore?: string;
  endpoint?: string;
  deployment?: string;
  format: 'table' | 'jsonl';
  lines: number;
}

/** How often a followed file is looked at for new lines. */
const POLL_MS = 250;

/** `mdc tail COLLECTION [-f] [--datastore NAME]`: a collection's newest events, and with -f each one as it arrives. */
export function registerTail(program: Command): void {
  program
    .command('tail')
    .description(
      "a collection's newest events as they arrive: from a NATS datastore through an ephemeral consumer, from files by following the newest file",
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
        else if (config.type === 'local') await tailFiles(ws, config, collection, flags, ac.signal, out);
        else
          throw new UsageError(
            `mdc tail follows a local datastore's files or a NATS stream; datastore ${name} is ${config.type}: use mdc read`,
          );
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

/** The folders of a collection in a local datastore: `…/<endpoint>/<deployment>/<collection>`. */
function collectionFolders(root: string, collection: string, flags: TailFlags): string[] {
  const found: string[] = [];
  const walk = (dir: string, depth: number, trail: string[]) => {
    if (depth > 8) return;
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const n of names) {
      const p = join(dir, n);
      if (!statSync(p, { throwIfNoEntry: false })?.isDirectory()) continue;
      const t = [...trail, n];
      if (
        n === collection &&
        t.length >= 3 &&
        (!flags.endpoint || t[t.length - 3] === flags.endpoint) &&
        (!flags.deployment || t[t.length - 2] === flags.deployment)
      ) {
        found.push(p);
        continue;
      }
      if (/^[0-9]+$/.test(n)) continue; // date folders of another collection
      walk(p, depth + 1, t);
    }
  };
  walk(root, 0, []);
  return found;
}

/** The `.jsonl` file written last below the folders. */
function newestFile(folders: readonly string[]): string | undefined {
  let best: { path: string; mtime: number } | undefined;
  const walk = (dir: string) => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const n of names) {
      const p = join(dir, n);
      const st = statSync(p, { throwIfNoEntry: false });
      if (!st) continue;
      if (st.isDirectory()) walk(p);
      else if (n.endsWith('.jsonl') && (!best || st.mtimeMs > best.mtime))
        best = { path: p, mtime: st.mtimeMs };
    }
  };
  for (const f of folders) walk(f);
  return best?.path;
}

/** Bytes of `file` from `from` to its current end. */
function readFrom(file: string, from: number): Buffer {
  const size = statSync(file, { throwIfNoEntry: false })?.size ?? 0;
  if (size <= from) return Buffer.alloc(0);
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(size - from);
    const n = readSync(fd, buf, 0, buf.length, from);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

async function tailFiles(
  ws: Workspace,
  config: Extract<DatastoreConfig, { type: 'local' }>,
  collection: string,
  flags: TailFlags,
  signal: AbortSignal,
  print: (line: string) => void,
): Promise<void> {
  const root = localDatastoreRoot(ws, config);
  let folders = collectionFolders(root, collection, flags);
  if (folders.length === 0 && !flags.follow)
    throw new PathNotFoundError(`collection ${collection}`, `has no files in ${root}`);
  let file = newestFile(folders);
  let offset = 0;
  if (file) {
    const text = readFrom(file, 0);
    const end = text.lastIndexOf(0x0a) + 1;
    const lines = text.subarray(0, end).toString('utf8').split('\n').filter(Boolean);
    for (const l of lines.slice(Math.max(0, lines.length - flags.lines))) print(l);
    offset = end;
  }
  while (flags.follow && !signal.aborted) {
    await new Promise((r) => setTimeout(r, POLL_MS));
    if (file) {
      const more = readFrom(file, offset);
      const end = more.lastIndexOf(0x0a) + 1;
      if (end > 0) {
        for (const l of more.subarray(0, end).toString('utf8').split('\n')) if (l) print(l);
        offset += end;
      }
    }
    // A new period (or a new instance) starts a new file: follow the newest one from its start.
    folders = collectionFolders(root, collection, flags);
    const newest = newestFile(folders);
    if (newest && newest !== file && (!file || readFrom(file, offset).length === 0)) {
      file = newest;
      offset = 0;
    }
  }
}
