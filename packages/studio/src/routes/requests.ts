import type { CollectionSource, Reader } from '@model-data-collector/reader/internal';
import type { FastifyInstance } from 'fastify';
import { MdcError } from 'model-data-collector/internal';
import type { RecentRequest, RequestCollection, RequestGroup, RequestResponse } from '../api-types.js';
import { toJson } from '../cells.js';
import { columnsOf } from '../collections.js';
import type { StudioContext } from '../context.js';
import { badParam, intParam, one, type Query } from '../http.js';
import { literal } from '../sql.js';

/** The order a request's collections are shown in; others follow by name. */
const ORDER = ['request', 'model_inputs', 'model_outputs', 'response'];
const rank = (c: string) => (ORDER.includes(c) ? ORDER.indexOf(c) : ORDER.length);

/** The collections to search, narrowed by the `endpoint` and `deployment` parameters. */
async function sources(reader: Reader, q: Query): Promise<CollectionSource[]> {
  const endpoint = one(q, 'endpoint') || undefined;
  const deployment = one(q, 'deployment') || undefined;
  return (await reader.collections()).filter(
    (s) =>
      (endpoint === undefined || s.endpoint === endpoint) &&
      (deployment === undefined || s.deployment === deployment),
  );
}

/** Plans a collection, or skips it when it cannot be read here (a cloud datastore without its package). */
async function tryPlan(reader: Reader, s: CollectionSource) {
  try {
    return await reader.plan(s);
  } catch (err) {
    if (err instanceof MdcError && err.code === 'MDC_MISSING_PACKAGE') return undefined;
    throw err;
  }
}

export function requestRoutes(app: FastifyInstance, ctx: StudioContext): void {
  app.get<{ Querystring: Query }>('/api/requests', async (req): Promise<{ requests: RecentRequest[] }> => {
    const limit = intParam(req.query, 'limit', 20, 1, 200);
    return ctx.withReader(async (reader) => {
      // One query over the union of every collection: a request is ranked by its latest event in any of
      // them and lists all of them, so `limit` changes only how many requests, never which collections.
      const parts: string[] = [];
      for (const s of await sources(reader, req.query)) {
        const plan = await tryPlan(reader, s);
        if (!plan) continue;
        parts.push(
          `SELECT ${literal(s.endpoint)} AS e, ${literal(s.deployment)} AS d, ${literal(s.collection)} AS k, correlationid AS c, "time" AS t FROM (${plan.sql}) WHERE correlationid IS NOT NULL`,
        );
      }
      if (parts.length === 0) return { requests: [] };
      // Times have second precision, so many requests tie: the id breaks ties, the same way on every call.
      const rows = await reader.run(
        `SELECT e, d, c, max(t) AS t, list(DISTINCT k) AS ks FROM (${parts.join(' UNION ALL ')}) GROUP BY e, d, c ORDER BY t DESC, c DESC, e, d LIMIT ${limit}`,
      );
      const requests: RecentRequest[] = rows.map((r) => ({
        correlationId: String(r.c),
        time: String(toJson(r.t ?? null)),
        endpoint: String(r.e),
        deployment: String(r.d),
        collections: (r.ks as string[]).map(String).sort((a, b) => rank(a) - rank(b) || a.localeCompare(b)),
      }));
      return { requests };
    });
  });

  app.get<{ Params: { id: string }; Querystring: Query }>(
    '/api/requests/:id',
    async (req): Promise<RequestResponse> => {
      const id = req.params.id;
      if (id.length === 0 || id.length > 512) throw badParam('id', 'a correlation id is 1 to 512 characters');
      return ctx.withReader(async (reader) => {
        const groups = new Map<
          string,
          { endpoint: string; deployment: string; collections: RequestCollection[] }
        >();
        for (const s of await sources(reader, req.query)) {
          const plan = await tryPlan(reader, s);
          if (!plan) continue;
          const columns = await columnsOf(reader, plan);
          const rows = await reader.run(
            `SELECT * FROM (${plan.sql}) WHERE correlationid = ${literal(id)} ORDER BY "time", event_id, row_index LIMIT 1000`,
          );
          if (rows.length === 0) continue;
          const key = `${s.endpoint}/${s.deployment}`;
          let g = groups.get(key);
          if (!g) {
            g = { endpoint: s.endpoint, deployment: s.deployment, collections: [] };
            groups.set(key, g);
          }
          g.collections.push({
            collection: s.collection,
            name: s.name,
            columns,
            rows: rows.map((r) => columns.map((c) => toJson(r[c.name] ?? null, c.type === 'JSON'))),
          });
        }
        const out: RequestGroup[] = [...groups.values()].map((g) => ({
          ...g,
          collections: g.collections.sort(
            (a, b) => rank(a.collection) - rank(b.collection) || a.collection.localeCompare(b.collection),
          ),
        }));
        return { correlationId: id, groups: out };
      });
    },
  );
}
