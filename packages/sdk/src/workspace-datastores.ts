import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Document, isMap, parseDocument } from 'yaml';
import { DatastoreExistsError, InvalidOptionError, UnknownDatastoreError } from './errors.js';
import { type DatastoreConfig, datastoreSchema, WORKSPACE_FILE, type Workspace } from './workspace.js';
import { validate } from './yaml-file.js';

const NAME = /^[A-Za-z0-9_-]+$/;

/**
 * Adds a datastore to `<workspace>/workspace.yml` (made if missing), keeping the file's other keys and
 * comments. Throws MDC_DATASTORE_EXISTS unless `replace`, MDC_INVALID_CONFIG when the entry is invalid.
 */
export function addDatastore(
  ws: Workspace,
  name: string,
  config: DatastoreConfig,
  options: { replace?: boolean } = {},
): void {
  if (!NAME.test(name)) {
    throw new InvalidOptionError(
      `a datastore name is made of A-Z a-z 0-9 _ - characters; got ${JSON.stringify(name)}`,
    );
  }
  const checked = validate(datastoreSchema, config, `datastore ${name}`);
  const file = join(ws.dir, WORKSPACE_FILE);
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const doc = text.trim() === '' ? new Document({ datastores: {} }) : parseDocument(text);
  if (!isMap(doc.contents)) throw new InvalidOptionError(`${file}: the top of the file is not a mapping`);
  const existing = doc.getIn(['datastores', name]);
  if (existing !== undefined && !options.replace) throw new DatastoreExistsError(name);
  if (!isMap(doc.get('datastores'))) doc.set('datastores', doc.createNode({}));
  doc.setIn(['datastores', name], doc.createNode(checked));
  mkdirSync(ws.dir, { recursive: true });
  writeFileSync(file, doc.toString());
}

/** Removes a datastore from `workspace.yml`. Throws MDC_UNKNOWN_DATASTORE when the file does not define it. */
export function removeDatastore(ws: Workspace, name: string): void {
  const file = join(ws.dir, WORKSPACE_FILE);
  const doc = existsSync(file) ? parseDocument(readFileSync(file, 'utf8')) : undefined;
  if (!doc || doc.getIn(['datastores', name]) === undefined) {
    throw new UnknownDatastoreError(name, [...ws.datastores.keys()]);
  }
  doc.deleteIn(['datastores', name]);
  writeFileSync(file, doc.toString());
}

/** A datastore entry safe to print: account keys, SAS signatures and secrets are masked. */
export function redactDatastore(config: DatastoreConfig): DatastoreConfig {
  if (config.type === 'nats') return config.token ? { ...config, token: '***' } : config;
  if (config.type !== 'azure_blob') return config;
  const out = { ...config };
  if (out.connection_string) {
    out.connection_string = out.connection_string.replace(
      /((?:AccountKey|SharedAccessSignature|SharedAccessKey)=)[^;]*/gi,
      '$1***',
    );
  }
  if (out.account_url) out.account_url = redactUrl(out.account_url);
  return out;
}

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.search) u.search = '?***';
    return u.href;
  } catch {
    return '***';
  }
}

/** Where a datastore's data lives, in one line (never a secret). */
export function datastoreLocation(ws: Workspace, config: DatastoreConfig): string {
  switch (config.type) {
    case 'local':
      return config.path.startsWith('/') ? config.path : join(ws.dir, config.path);
    case 's3':
      return `s3://${config.bucket}${config.prefix ? `/${config.prefix}` : ''}${config.endpoint ? ` at ${config.endpoint}` : ''}`;
    case 'azure_blob': {
      const account = config.account_url
        ? redactUrl(config.account_url)
        : (/AccountName=([^;]+)/i.exec(config.connection_string ?? '')?.[1] ??
          'AZURE_STORAGE_CONNECTION_STRING');
      return `${account} container ${config.container}${config.prefix ? `/${config.prefix}` : ''}`;
    }
    case 'nats':
      return `${config.url} stream ${config.stream} subjects ${config.subject_prefix ?? 'mdc'}.>`;
  }
}

/** Bytes and files waiting in a datastore's spool (`<workspace>/spool/<name>`), whichever process left them. */
export function spoolUsage(ws: Workspace, name: string): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  const walk = (dir: string, inData: boolean) => {
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
      if (st.isDirectory()) walk(p, inData || n === 'files' || n === 'objects');
      else if (inData && !n.endsWith('.tmp')) {
        files++;
        bytes += st.size;
      }
    }
  };
  walk(join(ws.dir, 'spool', name), false);
  return { files, bytes };
}
