import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { localDatastoreRoot } from 'model-data-collector';
import { creditRow, seededRandom } from '../demo/credit-data.js';
import { workspaceOption } from '../index.js';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(
      'serve the credit-default demo deployment over HTTP, send it scoring requests and show what was collected (what `npm start` runs)',
    )
    .option('-n, --requests <n>', 'number of scoring requests', (v) => Number.parseInt(v, 10), 300)
    .action(async (opts: { requests: number }, cmd: Command) => {
      await runDemo({ workspace: workspaceOption(cmd), requests: opts.requests });
    });
}

/** The demo deployment YAML (no scoring script: the built-in ONNX scorer serves the MLflow model). */
export const DEMO_DEPLOYMENT = fileURLToPath(
  new URL('../../../../examples/credit-default/deployment.yml', import.meta.url),
);

export async function runDemo(opts: { workspace?: string; requests: number }): Promise<void> {
  const out = (s = '') => process.stdout.write(`${s}\n`);
  const { prepareDeployment, startInstance, urlOf } = await import('@model-data-collector/server');
  const prepared = prepareDeployment({ file: DEMO_DEPLOYMENT, workspace: opts.workspace });
  const instance = await startInstance(prepared, { file: DEMO_DEPLOYMENT, port: 0, logLevel: 'warn' });
  const url = `${urlOf(instance.address)}/score`;
  out(`Serving ${relative(process.cwd(), DEMO_DEPLOYMENT)} at ${url}`);
  const rand = seededRandom(42);
  let rows = 0;
  let failed = 0;
  let next = 0;
  // A few clients at once, as real traffic; each request carries its own x-request-id.
  const client = async () => {
    while (next < opts.requests) {
      const i = next++;
      const batch = Array.from({ length: 1 + Math.floor(rand() * 3) }, () => creditRow(rand));
      rows += batch.length;
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': `demo-${i}` },
        body: JSON.stringify({ dataframe_records: batch }),
      });
      await res.arrayBuffer();
      if (!res.ok) failed++;
    }
  };
  await Promise.all(Array.from({ length: 8 }, client));
  await instance.close();

  const runtime = instance.runtime;
  const ds = runtime.workspace.datastores.get('workspaceblobstore')!;
  const root = localDatastoreRoot(runtime.workspace, ds as { path: string });
  out(
    `Scored ${opts.requests} requests over HTTP (${rows} rows, ${failed} failed) on credit-default/blue; collected into ${root}`,
  );
  out();
  const files = listFiles(join(root, 'modelDataCollector', 'credit-default', 'blue'));
  for (const f of files) {
    const lines = readFileSync(f, 'utf8').split('\n').filter(Boolean).length;
    out(`  ${relative(root, f)}  ${statSync(f).size} bytes, ${lines} events`);
  }
  out();
  for (const [name, c] of Object.entries(runtime.stats().collections)) {
    out(`  ${name}: ${c.written} written, ${c.dropped} dropped, ${c.failed} failed, ${c.bytesWritten} bytes`);
  }
  const id = `demo-${opts.requests - 1}`;
  out();
  out(`The four events of request ${id}, joined on correlationid:`);
  for (const collection of ['request', 'model_inputs', 'model_outputs', 'response']) {
    for (const f of files.filter((p) => p.includes(`/${collection}/`) && p.endsWith('.jsonl'))) {
      const line = readFileSync(f, 'utf8')
        .split('\n')
        .find((l) => l.includes(`"correlationid":"${id}"`));
      if (line) out(JSON.stringify(JSON.parse(line)));
    }
  }
}

function listFiles(dir: string): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else found.push(p);
    }
  };
  walk(dir);
  return found;
}
