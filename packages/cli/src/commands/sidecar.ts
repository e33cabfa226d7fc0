import type { Command } from 'commander';
import { exitWhenDone, intOption } from './options.js';
import { workspaceOption } from './workspace-option.js';

export function registerSidecar(program: Command): void {
  program
    .command('sidecar')
    .description(
      'only the data-collector endpoint (POST /modeldata/log) that azureml-ai-monitoring posts to, for a Python server of your own; with mdc proxy in front of that server you get all four collections',
    )
    .requiredOption(
      '-f, --file <deployment.yml>',
      'deployment YAML: its data_collector decides which collections are accepted',
    )
    .option(
      '-p, --port <port>',
      'port to listen on (50011 is where the package posts by default; 0: any free port)',
      intOption('--port', 0, 65535),
      50011,
    )
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--max-body-bytes <n>', 'largest post accepted (413 above)', intOption('--max-body-bytes', 1))
    .action(async (opts: SidecarFlags, cmd: Command) => {
      const { runSidecar } = await import('@model-data-collector/server/internal');
      const code = await runSidecar({
        file: opts.file,
        workspace: workspaceOption(cmd),
        port: opts.port,
        host: opts.host,
        maxBodyBytes: opts.maxBodyBytes,
      });
      exitWhenDone(code);
    });
}

interface SidecarFlags {
  file: string;
  port: number;
  host: string;
  maxBodyBytes?: number;
}
