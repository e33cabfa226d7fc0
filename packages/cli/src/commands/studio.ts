import type { Command } from 'commander';
import { UsageError } from 'model-data-collector/internal';
import { intOption } from './options.js';
import { existingWorkspace } from './workspace-option.js';

interface StudioFlags {
  port: number;
  host: string;
  allowRemote?: boolean;
  metrics?: string[];
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

export function registerStudio(program: Command): void {
  program
    .command('studio')
    .description(
      'a local web page: datastores, data assets, records, per-request drill-down and live deployment activity',
    )
    .option('-p, --port <port>', 'port to listen on (0: any free port)', intOption('--port', 0, 65535), 5050)
    .option('--host <host>', 'address to listen on; anything but loopback needs --allow-remote', '127.0.0.1')
    .option(
      '--allow-remote',
      'listen beyond loopback; every request then needs the workspace key (mdc keys show)',
    )
    .option(
      '--metrics <url...>',
      '/metrics URL of a running mdc serve or mdc proxy, for drops and queue depth (repeatable)',
    )
    .action(async (opts: StudioFlags, cmd: Command) => {
      const workspace = existingWorkspace(cmd);
      const remote = !LOOPBACK.has(opts.host) && !/^127(\.\d{1,3}){3}$/.test(opts.host);
      if (remote && !opts.allowRemote) {
        throw new UsageError(
          `--host ${opts.host} would show the workspace's data to the network: add --allow-remote (every request then needs the key that mdc keys show prints)`,
        );
      }
      for (const url of opts.metrics ?? []) {
        if (!/^https?:\/\/\S+$/i.test(url)) throw new UsageError(`--metrics ${url}: expected an http(s) URL`);
      }
      // Loaded here, not at the top: every other mdc command would pay for fastify, DuckDB and onnxruntime.
      const [{ authorize, getEndpointKeys }, { startStudio }] = await Promise.all([
        import('@model-data-collector/server/internal'),
        import('@model-data-collector/studio/internal'),
      ]);
      const keys = remote ? getEndpointKeys(workspace) : undefined;
      const studio = await startStudio({
        workspace,
        host: opts.host,
        port: opts.port,
        metricsUrls: opts.metrics ?? [],
        ...(keys ? { authorize: (key: string) => authorize(`Bearer ${key}`, keys) } : {}),
      });
      process.stdout.write(`mdc studio: ${studio.url}\n`);
      if (keys) process.stdout.write(`  open ${studio.url}?key=<key> once (the key: mdc keys show)\n`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await studio.close();
    });
}
