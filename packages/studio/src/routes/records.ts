import type { CollectionPlan, Reader } from '@model-data-collector/reader/internal';
import type { FastifyInstance } from 'fastify';
import type { ColumnItem, ColumnSummary, JsonValue, RecordsPage, SummaryResponse } from '../api-types.js';
import { toJson } from '../cells.js';
import { collectionRef, columnsOf, timeRange } from '../collections.js';
import type { StudioContext } from '../context.js';
import { all, badParam, intParam, one, type Query } from '../http.js';
import { filterSql, ident, isNumericType, parseFilter } from '../sql.js';

type Route = { Params: { name: string }; Querystring: Query };

const HISTOGRAM_BINS = 20;
const TOP_VALUES = 10;

/** The collection's rows narrowed by the time range and `filter` parameters, as SQL, with its columns. */
async function filtered(
  reader: Reader,
  name: string,
  q: Query,
): Promise<{ plan: CollectionPlan; columns: ColumnItem[]; sql: string }> {
  const plan = await reader.plan(collectionRef(name, q), timeRange(q));
  const columns = await columnsOf(reader, plan);
  const where = all(q, 'filter').map((f) => filterSql(parseFilter(f, columns), columns));
  const sql = `SELECT * FROM (${plan.sql})${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`;
  return { plan, columns, sql };
}

export function recordRoutes(app: FastifyInstance, ctx: StudioContext): void {
  app.get<Route>('/api/records/:name', async (req): Promise<RecordsPage> => {
    const q = req.query;
    const offset = intParam(q, 'offset', 0, 0, Number.MAX_SAFE_INTEGER);
    const limit = intParam(q, 'limit', 50, 1, 1000);
    return ctx.withReader(async (reader) => {
      const { plan, columns, sql } = await filtered(reader, req.params.name, q);
      const sort = one(q, 'sort');
      if (sort !== undefined && sort !== '' && !columns.some((c) => c.name === sort))
        throw badParam('sort', `"${sort}" is not a column (${columns.map((c) => c.name).join(', ')})`);
      const dir = one(q, 'desc') === '1' || one(q, 'desc') === 'true' ? 'DESC' : 'ASC';
      const order = sort ? `${ident(sort)} ${dir} NULLS LAST, ` : '';
      const [count] = await reader.run(`SELECT count(*) AS n FROM (${sql})`);
      const rows = await reader.run(
        `SELECT * FROM (${sql}) ORDER BY ${order}"time", event_id, row_index LIMIT ${limit} OFFSET ${offset}`,
      );
      const json = columns.map((c) => c.type === 'JSON');
      return {
        name: plan.source.name,
        columns,
        rows: rows.map((r) => columns.map((c, i) => toJson(r[c.name] ?? null, json[i]))),
        total: Number(count?.n ?? 0),
        offset,
        limit,
      };
    });
  });

  app.get<Route>(
    '/api/records/:name/summary',
    async (req): Promise<SummaryResponse> =>
      ctx.withReader(async (reader) => {
        const { plan, columns, sql } = await filtered(reader, req.params.name, req.query);
        const wanted = all(req.query, 'column');
        for (const w of wanted)
          if (!columns.some((c) => c.name === w)) throw badParam('column', `"${w}" is not a column`);
        const [count] = await reader.run(`SELECT count(*) AS n FROM (${sql})`);
        const rows = Number(count?.n ?? 0);
        const out: ColumnSummary[] = [];
        for (const c of columns) {
          if (wanted.length ? !wanted.includes(c.name) : c.name === 'event_id' || c.name === 'row_index')
            continue;
          out.push(await summarize(reader, sql, c, rows));
        }
        return { name: plan.source.name, rows, columns: out };
      }),
  );
}

/** Null rate and distinct count of any column; a histogram for numbers, the top values otherwise. */
async function summarize(reader: Reader, sql: string, c: ColumnItem, rows: number): Promise<ColumnSummary> {
  const col = ident(c.name);
  const numeric = isNumericType(c.type);
  const time = /^TIMESTAMP/i.test(c.type);
  const category = !numeric && !time && /^(VARCHAR|BOOLEAN|JSON)$/i.test(c.type);
  const [s] = await reader.run(
    `SELECT count(${col}) AS present, count(DISTINCT ${col}) AS distinct${
      numeric ? `, min(${col})::DOUBLE AS lo, max(${col})::DOUBLE AS hi, avg(${col})::DOUBLE AS mean` : ''
    }${time ? `, min(${col}) AS lo, max(${col}) AS hi` : ''} FROM (${sql})`,
  );
  const present = Number(s?.present ?? 0);
  const base = {
    name: c.name,
    type: c.type,
    count: rows,
    nulls: rows - present,
    nullRate: rows === 0 ? 0 : (rows - present) / rows,
    distinct: Number(s?.distinct ?? 0),
  };
  if (numeric) {
    const lo = s?.lo === null || s?.lo === undefined ? undefined : Number(s.lo);
    const hi = s?.hi === null || s?.hi === undefined ? undefined : Number(s.hi);
    const mean = s?.mean === null || s?.mean === undefined ? undefined : Number(s.mean);
    if (lo === undefined || hi === undefined) return { ...base, kind: 'number' };
    const bins = lo === hi ? 1 : HISTOGRAM_BINS;
    const width = (hi - lo) / bins;
    const counts = new Array<number>(bins).fill(0);
    const binned = await reader.run(
      `SELECT least(${bins - 1}, greatest(0, floor((${col}::DOUBLE - ${lo}) / ${width || 1})))::INTEGER AS b, count(*) AS n FROM (${sql}) WHERE ${col} IS NOT NULL AND isfinite(${col}::DOUBLE) GROUP BY 1`,
    );
    for (const r of binned) counts[Number(r.b)] = Number(r.n);
    return {
      ...base,
      kind: 'number',
      min: lo,
      max: hi,
      ...(mean !== undefined && Number.isFinite(mean) ? { mean } : {}),
      histogram: counts.map((count, i) => ({
        lo: lo + i * width,
        hi: i === bins - 1 ? hi : lo + (i + 1) * width,
        count,
      })),
    };
  }
  if (time) {
    return { ...base, kind: 'time', min: toJson(s?.lo ?? null), max: toJson(s?.hi ?? null) };
  }
  if (!category) return { ...base, kind: 'other' };
  const top = await reader.run(
    `SELECT CAST(${col} AS VARCHAR) AS v, count(*) AS n FROM (${sql}) WHERE ${col} IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT ${TOP_VALUES}`,
  );
  return {
    ...base,
    kind: 'category',
    top: top.map((r) => ({ value: String(r.v as JsonValue), count: Number(r.n) })),
  };
}
