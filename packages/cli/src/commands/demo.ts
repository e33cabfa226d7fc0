import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Command } from 'commander';
import { Collector, DataCollectorRuntime, localDatastoreRoot, resolveDeployment } from 'model-data-collector';
import { creditRow, predictDefault, seededRandom } from '../demo/credit-data.js';
import { workspaceOption } from '../index.js';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('score a sample credit-default model and show the data collected (what `npm start` runs)')
    .option('-n, --requests <n>', 'number of scoring requests', (v) => Number.parseInt(v, 10), 300)
    .action(async (opts: { requests: number }, cmd: Command) => {
      await runDemo({ workspace: workspaceOption(cmd), requests: opts.requests });
    });
}

export async function runDemo(opts: { workspace?: string; requests: number }): Promise<void> {
  const out = (s = '') => process.stdout.write(`${s}\n`);
  const deployment = resolveDeployment({
    endpoint_name: 'credit-default',
    name: 'blue',
    data_collector: {
      collections: { model_inputs: { enabled: 'True' }, model_outputs: { enabled: 'True' } },
      rolling_rate: 'Hour',
    },
  });
  const runtime = new DataCollectorRuntime({ workspace: opts.workspace, deployment });
  const inputs = new Collector({
    name: 'model_inputs',
    runtime,
    onError: (e) => out(`collect error: ${e.message}`),
  });
  const outputs = new Collector({ name: 'model_outputs', runtime });
  const rand = seededRandom(42);
  let rows = 0;
  for (let i = 0; i < opts.requests; i++) {
    const batch = Array.from({ length: 1 + Math.floor(rand() * 3) }, () => creditRow(rand));
    const ctx = inputs.collect(batch);
    outputs.collect(batch.map(predictDefault), ctx);
    rows += batch.length;
  }
  await runtime.shutdown();

  const ds = runtime.workspace.datastores.get('workspaceblobstore')!;
  const root = localDatastoreRoot(runtime.workspace, ds as { path: string });
  out(`Scored ${opts.requests} requests (${rows} rows) of credit-default/blue; collected into ${root}`);
  out();
  const files = listFiles(join(root, 'modelDataCollector', 'credit-default', 'blue'));
  for (const f of files) {
    const lines = readFileSync(f, 'utf8').split('\n').filter(Boolean).length;
    out(`  ${relative(root, f)}  ${statSync(f).size} bytes, ${lines} events`);
  }
  const s = runtime.stats().collections;
  out();
  for (const [name, c] of Object.entries(s)) {
    out(`  ${name}: ${c.written} written, ${c.dropped} dropped, ${c.failed} failed, ${c.bytesWritten} bytes`);
  }
  const last = (f: string | undefined) =>
    f ? readFileSync(f, 'utf8').trimEnd().split('\n').at(-1) : undefined;
  out();
  out('The last model_inputs and model_outputs events (one JSON line each in the files):');
  for (const f of [
    files.findLast((p) => p.includes('/model_inputs/')),
    files.findLast((p) => p.includes('/model_outputs/')),
  ]) {
    const line = last(f);
    if (line) out(JSON.stringify(JSON.parse(line), null, 2));
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
