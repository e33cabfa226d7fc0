import type { CollectionPlan, Reader } from '@model-data-collector/reader/internal';
import type { ColumnItem } from './api-types.js';
import { badParam, one, type Query } from './http.js';

/** `name` and the optional `version` query parameter as a reader reference (`NAME[@VERSION]`). */
export function collectionRef(name: string, q: Query): string {
  const version = one(q, 'version');
  if (version === undefined || version === '') return name;
  if (!/^[\w.-]+$/.test(version)) throw badParam('version', `"${version}" is not a version`);
  return `${name}@${version}`;
}

/** The time range parameters, as the reader takes them (it checks them and names the bad one). */
export function timeRange(q: Query): { since?: string; until?: string } {
  const since = one(q, 'since') || undefined;
  const until = one(q, 'until') || undefined;
  return { ...(since ? { since } : {}), ...(until ? { until } : {}) };
}

/** The columns of a collection's rows, in order. */
export async function columnsOf(reader: Reader, plan: CollectionPlan): Promise<ColumnItem[]> {
  return (await reader.run(`DESCRIBE ${plan.sql}`)).map((r) => ({
    name: String(r.column_name),
    type: String(r.column_type),
  }));
}
