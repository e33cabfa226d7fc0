import { InvalidPathError } from './errors.js';

/** How collected files are partitioned by time, as `data_collector.rolling_rate` names it. */
export const ROLLING_RATES = ['Minute', 'Hour', 'Day', 'Month', 'Year'] as const;
export type RollingRate = (typeof ROLLING_RATES)[number];

/** The reference's default base path for collected data. */
export const DEFAULT_BASE_URI = 'azureml://datastores/workspaceblobstore/paths/modelDataCollector';
export const DEFAULT_DATASTORE = 'workspaceblobstore';

const pad = (n: number) => (n < 10 ? `0${n}` : String(n));

/** The start (ms since epoch, UTC) of the rolled period that contains `ms`. */
export function periodStart(ms: number, rate: RollingRate): number {
  const d = new Date(ms);
  const y = d.getUTCFullYear();
  switch (rate) {
    case 'Year':
      return Date.UTC(y, 0, 1);
    case 'Month':
      return Date.UTC(y, d.getUTCMonth(), 1);
    case 'Day':
      return Date.UTC(y, d.getUTCMonth(), d.getUTCDate());
    case 'Hour':
      return Date.UTC(y, d.getUTCMonth(), d.getUTCDate(), d.getUTCHours());
    case 'Minute':
      return Date.UTC(y, d.getUTCMonth(), d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes());
  }
}

/** The start of the period after the one that contains `ms`. */
export function nextPeriodStart(ms: number, rate: RollingRate): number {
  const d = new Date(periodStart(ms, rate));
  switch (rate) {
    case 'Year':
      return Date.UTC(d.getUTCFullYear() + 1, 0, 1);
    case 'Month':
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
    case 'Day':
      return d.getTime() + 86_400_000;
    case 'Hour':
      return d.getTime() + 3_600_000;
    case 'Minute':
      return d.getTime() + 60_000;
  }
}

/** `yyyy/MM/dd/HH` (Hour), with `/mm` for Minute and fewer parts for Day, Month and Year. */
export function rolledFolder(ms: number, rate: RollingRate): string {
  const d = new Date(ms);
  const parts = [String(d.getUTCFullYear())];
  if (rate !== 'Year') parts.push(pad(d.getUTCMonth() + 1));
  if (rate === 'Day' || rate === 'Hour' || rate === 'Minute') parts.push(pad(d.getUTCDate()));
  if (rate === 'Hour' || rate === 'Minute') parts.push(pad(d.getUTCHours()));
  if (rate === 'Minute') parts.push(pad(d.getUTCMinutes()));
  return parts.join('/');
}

/** Accepts the documented spelling in any letter case (`hour`, `HOUR`). */
export function parseRollingRate(value: string): RollingRate | undefined {
  return ROLLING_RATES.find((r) => r.toLowerCase() === value.toLowerCase());
}

/** A location inside a named datastore. */
export interface DatastorePath {
  readonly datastore: string;
  /** Path inside the datastore, without leading or trailing slashes. */
  readonly path: string;
  readonly subscriptionId?: string;
  readonly resourceGroup?: string;
  readonly workspace?: string;
}

const SHORT_URI = /^azureml:\/\/datastores\/([^/]+)\/paths\/?(.*)$/i;
const LONG_URI =
  /^azureml:\/\/subscriptions\/([^/]*)\/resourcegroups\/([^/]*)\/(?:providers\/Microsoft\.MachineLearningServices\/)?workspaces\/([^/]+)\/datastores\/([^/]+)\/paths\/?(.*)$/i;

/** Parses `azureml://datastores/<name>/paths/<path>` and the long `azureml://subscriptions/…` form. */
export function parseAzuremlUri(uri: string): DatastorePath {
  const short = SHORT_URI.exec(uri);
  if (short) return { datastore: short[1]!, path: cleanPath(uri, short[2]!) };
  const long = LONG_URI.exec(uri);
  if (long) {
    return {
      subscriptionId: long[1]!,
      resourceGroup: long[2]!,
      workspace: long[3]!,
      datastore: long[4]!,
      path: cleanPath(uri, long[5]!),
    };
  }
  throw new InvalidPathError(
    uri,
    'expected azureml://datastores/<name>/paths/<path> or azureml://subscriptions/<id>/resourcegroups/<rg>/workspaces/<ws>/datastores/<name>/paths/<path>',
  );
}

export function isAzuremlUri(value: string): boolean {
  return /^azureml:\/\//i.test(value);
}

/** The short azureml URI of a path inside a datastore. */
export function azuremlUri(datastore: string, path: string): string {
  return `azureml://datastores/${datastore}/paths/${path}`;
}

function cleanPath(uri: string, raw: string): string {
  const path = joinPath(...raw.split('/'));
  if (path.split('/').some((seg) => seg === '..'))
    throw new InvalidPathError(uri, '".." is not allowed in a path');
  return path;
}

/**
 * Whether a name can become one folder or file name as it is: not empty, not `.` or `..`, no `/`, `\`, NUL or
 * other control character. Endpoint, deployment, collection and data asset names and versions must be.
 */
export function isPathSegment(name: string): boolean {
  if (name === '' || name === '.' || name === '..') return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x20 || c === 0x7f || c === 0x2f || c === 0x5c) return false;
  }
  return true;
}

/** Joins path segments with `/`, dropping empty segments and stray slashes. */
export function joinPath(...segments: string[]): string {
  return segments
    .flatMap((s) => s.split('/'))
    .filter((s) => s.length > 0 && s !== '.')
    .join('/');
}
