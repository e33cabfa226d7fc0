// Shared by the studio tests: a workspace filled by the SDK, as a scoring script and mdc serve would fill it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import {
  BasicCorrelationContext,
  Collector,
  DataCollectorRuntime,
  resolveDeployment,
} from 'model-data-collector/internal';

/** A fresh temp folder, removed when the test file ends. */
export function tempDir(prefix = 'mdc-studio-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** 2024-03-05T18:00:00Z: the first hour of the fixed-time deployment. */
export const T0 = Date.UTC(2024, 2, 5, 18, 0, 0);
/** Requests of credit/blue per hour from T0: the asset chart must show these counts. */
export const BLUE_PER_HOUR = [3, 5, 2] as const;
/** Requests of credit/green in the minutes before "now": the Deployments page shows them live. */
export const GREEN_EVENTS = 4;

const ALL = { enabled: 'True' } as const;

export interface Fixture {
  readonly ws: string;
  /** Correlation ids of credit/blue, in time order. */
  readonly blueIds: readonly string[];
  readonly greenIds: readonly string[];
}

/**
 * credit/blue: `BLUE_PER_HOUR` requests at fixed times in 2024, each with request, model_inputs (2 rows),
 * model_outputs (2 rows) and response. credit/green: `GREEN_EVENTS` requests with model_inputs only, a few
 * minutes before `nowMs`.
 */
export async function fillWorkspace(ws: string, nowMs = Date.now()): Promise<Fixture> {
  let ms = T0;
  const blue = new DataCollectorRuntime({
    workspace: ws,
    deployment: resolveDeployment({
      endpoint_name: 'credit',
      name: 'blue',
      data_collector: {
        collections: { model_inputs: ALL, model_outputs: ALL, request: ALL, response: ALL },
      },
    }),
    clock: () => ms,
    handleProcessExit: false,
    instanceId: 'blue-1',
  });
  const inputs = new Collector({ name: 'model_inputs', runtime: blue });
  const outputs = new Collector({ name: 'model_outputs', runtime: blue });
  const blueIds: string[] = [];
  let n = 0;
  for (let h = 0; h < BLUE_PER_HOUR.length; h++) {
    for (let i = 0; i < BLUE_PER_HOUR[h]!; i++, n++) {
      ms = T0 + h * 3_600_000 + i * 60_000 + 5_000;
      const id = `req-${String(n).padStart(2, '0')}`;
      blueIds.push(id);
      const ctx = new BasicCorrelationContext(id);
      const rows = [
        { AGE: 20 + n, SEX: n % 2 ? 'M' : 'F', LIMIT_BAL: 1000 * (n + 1) },
        { AGE: 40 + n, SEX: 'F', LIMIT_BAL: n === 0 ? null : 500 * n },
      ];
      blue.collection('request').emit({
        correlation: ctx,
        json: JSON.stringify({ data: rows.map((r) => [r.AGE, r.SEX, r.LIMIT_BAL]) }),
        path: '/score',
        method: 'POST',
      });
      inputs.collect(rows, ctx);
      outputs.collect([{ DEFAULT: n % 3 === 0 }, { DEFAULT: false }], ctx);
      blue
        .collection('response')
        .emit({ correlation: ctx, json: JSON.stringify({ predictions: [n % 3 === 0, false] }) });
    }
  }
  await blue.shutdown();

  let gms = nowMs - 5 * 60_000;
  const green = new DataCollectorRuntime({
    workspace: ws,
    deployment: resolveDeployment({
      endpoint_name: 'credit',
      name: 'green',
      data_collector: { collections: { model_inputs: ALL } },
    }),
    clock: () => gms,
    handleProcessExit: false,
    instanceId: 'green-1',
  });
  const greenInputs = new Collector({ name: 'model_inputs', runtime: green });
  const greenIds: string[] = [];
  for (let i = 0; i < GREEN_EVENTS; i++) {
    gms = nowMs - (5 - i) * 60_000;
    const id = `green-${i}`;
    greenIds.push(id);
    greenInputs.collect([{ AGE: 30 + i, SEX: 'M', LIMIT_BAL: 2000 }], new BasicCorrelationContext(id));
  }
  await green.shutdown();
  return { ws, blueIds, greenIds };
}

/** 2026-11-30T10:00:00Z: the hour of the demo-like deployment. */
export const DEMO_HOUR = Date.UTC(2026, 10, 30, 10, 0, 0);
/** Requests of demo/blue: more than the Requests page lists (25), so the list is cut. */
export const DEMO_REQUESTS = 40;

/**
 * demo/blue as `mdc demo` fills it: `DEMO_REQUESTS` requests in one hour, four a second, so their times tie at
 * second precision; each with request, model_inputs, model_outputs and response. The response of the first
 * (oldest) request comes ten minutes late, as a slow request's would: it is the latest event of all.
 */
export async function fillDemoLike(ws: string): Promise<{ ids: readonly string[] }> {
  let ms = DEMO_HOUR;
  const rt = new DataCollectorRuntime({
    workspace: ws,
    deployment: resolveDeployment({
      endpoint_name: 'demo',
      name: 'blue',
      data_collector: {
        collections: { model_inputs: ALL, model_outputs: ALL, request: ALL, response: ALL },
      },
    }),
    clock: () => ms,
    handleProcessExit: false,
    instanceId: 'demo-1',
  });
  const inputs = new Collector({ name: 'model_inputs', runtime: rt });
  const outputs = new Collector({ name: 'model_outputs', runtime: rt });
  const ids: string[] = [];
  for (let n = 0; n < DEMO_REQUESTS; n++) {
    ms = DEMO_HOUR + 5 * 60_000 + Math.floor(n / 4) * 1000 + (n % 4) * 100;
    const id = `demo-${String(n).padStart(2, '0')}`;
    ids.push(id);
    const ctx = new BasicCorrelationContext(id);
    rt.collection('request').emit({
      correlation: ctx,
      json: JSON.stringify({ data: [[30 + n, 'F', 1000]] }),
      path: '/score',
      method: 'POST',
    });
    inputs.collect([{ AGE: 30 + n, SEX: 'F', LIMIT_BAL: 1000 }], ctx);
    outputs.collect([{ DEFAULT: false }], ctx);
    if (n === 0) ms = DEMO_HOUR + 15 * 60_000;
    rt.collection('response').emit({ correlation: ctx, json: JSON.stringify({ predictions: [false] }) });
  }
  await rt.shutdown();
  return { ids };
}
