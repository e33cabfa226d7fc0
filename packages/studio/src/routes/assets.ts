import { describeCollection } from '@model-data-collector/reader/internal';
import type { FastifyInstance } from 'fastify';
import type { AssetDetail, AssetItem, PeriodCount } from '../api-types.js';
import { collectionRef, timeRange } from '../collections.js';
import type { StudioContext } from '../context.js';
import { badParam, one, type Query } from '../http.js';

const PERIODS = ['minute', 'hour', 'day', 'month', 'year'] as const;
/** Most periods a chart gets: past it, the next coarser period is used. */
const MAX_PERIODS = 1500;

export function assetRoutes(app: FastifyInstance, ctx: StudioContext): void {
  app.get(
    '/api/assets',
    async (): Promise<{ assets: AssetItem[] }> =>
      ctx.withReader(async (reader) => {
        const versions = new Map<string, string[]>();
        for (const a of await reader.assets())
          versions.set(a.name, [...(versions.get(a.name) ?? []), a.version]);
        const assets = (await reader.collections()).map((c) => ({
          name: c.name,
          versions: versions.get(c.name) ?? [],
          collection: c.collection,
          endpoint: c.endpoint,
          deployment: c.deployment,
          uri: c.uri,
          ...(c.asset?.created ? { created: c.asset.created } : {}),
        }));
        return { assets };
      }),
  );

  app.get<{ Params: { name: string }; Querystring: Query }>(
    '/api/assets/:name',
    async (req): Promise<AssetDetail> => {
      const requested = one(req.query, 'period') || 'hour';
      let p = PERIODS.indexOf(requested as (typeof PERIODS)[number]);
      if (p < 0) throw badParam('period', `must be one of ${PERIODS.join(', ')}`);
      const ref = collectionRef(req.params.name, req.query);
      const range = timeRange(req.query);
      return ctx.withReader(async (reader) => {
        const d = await describeCollection(reader, ref, range);
        const versions = (await reader.assets()).filter((a) => a.name === d.name).map((a) => a.version);
        const plan = await reader.plan(ref, range);
        if (d.firstTime && d.lastTime) {
          const span = Date.parse(d.lastTime) - Date.parse(d.firstTime);
          const unitMs = [60_000, 3_600_000, 86_400_000, 2_629_800_000, 31_557_600_000];
          while (p < PERIODS.length - 1 && span / unitMs[p]! > MAX_PERIODS) p++;
        }
        const period = PERIODS[p]!;
        const counts = await reader.run(
          `SELECT strftime(date_trunc('${period}', "time"), '%Y-%m-%dT%H:%M:%SZ') AS start, count(DISTINCT event_id) AS events, count(*) AS rows FROM (${plan.sql}) WHERE "time" IS NOT NULL GROUP BY 1 ORDER BY 1`,
        );
        const periods: PeriodCount[] = counts.map((r) => ({
          start: String(r.start),
          events: Number(r.events),
          rows: Number(r.rows),
        }));
        return {
          name: d.name,
          ...(d.version !== undefined ? { version: d.version } : {}),
          versions,
          uri: d.path,
          ...(d.created ? { created: d.created } : {}),
          endpoint: d.endpoint,
          deployment: d.deployment,
          collection: d.collection,
          kind: d.kind,
          files: d.files,
          payloadFiles: d.payloadFiles,
          bytes: d.bytes,
          events: d.events,
          rows: d.rows,
          ...(d.firstTime ? { firstTime: d.firstTime } : {}),
          ...(d.lastTime ? { lastTime: d.lastTime } : {}),
          columns: d.columns,
          period,
          periods,
        };
      });
    },
  );
}
