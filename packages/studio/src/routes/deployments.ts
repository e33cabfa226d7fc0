import { listCollections } from '@model-data-collector/reader/internal';
import type { FastifyInstance } from 'fastify';
import { deploymentActivity } from '../activity.js';
import type { DeploymentsResponse } from '../api-types.js';
import type { StudioContext } from '../context.js';
import { intParam, type Query } from '../http.js';
import { scrapeMetrics } from '../prometheus.js';

export function deploymentRoutes(app: FastifyInstance, ctx: StudioContext): void {
  app.get<{ Querystring: Query }>('/api/deployments', async (req): Promise<DeploymentsResponse> => {
    const windowMinutes = intParam(req.query, 'window', 60, 1, 24 * 60);
    const nowMs = ctx.clock();
    const [deployments, metrics] = await Promise.all([
      listCollections(ctx.workspace).then((c) => deploymentActivity(ctx.workspace, c, nowMs, windowMinutes)),
      Promise.all(ctx.metricsUrls.map((u) => scrapeMetrics(u))),
    ]);
    const sinceMs = Math.floor(nowMs / 60_000) * 60_000 - (windowMinutes - 1) * 60_000;
    return { nowMs, windowMinutes, sinceMs, deployments, metrics };
  });
}
