import type { Command } from 'commander';
import { DataCollectorRuntime, loadDeploymentFile } from 'model-data-collector/internal';
import { workspaceOption } from './workspace-option.js';

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('check a deployment YAML (and the workspace it writes to) without starting anything')
    .requiredOption('-f, --file <deployment.yml>', 'deployment YAML')
    .option('--json', 'print the resolved configuration as JSON')
    .action((opts: { file: string; json?: boolean }, cmd: Command) => {
      const deployment = loadDeploymentFile(opts.file, '--file');
      // Building a runtime resolves every collection's datastore and path, as `mdc serve` would at start-up.
      const rt = new DataCollectorRuntime({
        deployment,
        workspace: workspaceOption(cmd),
        handleProcessExit: false,
      });
      const collections = [...(deployment.collections ?? new Map())].map(([name, c]) => ({
        name,
        enabled: c.enabled,
        folder: c.enabled ? rt.collection(name).folder : undefined,
        destination: c.enabled ? rt.collection(name).destination : undefined,
        localFolder: c.enabled ? rt.collection(name).localFolder : undefined,
        // Only when there are some: the JSON of a deployment without destinations stays as it was.
        ...(c.enabled && rt.collection(name).copies.length > 0 ? { copies: rt.collection(name).copies } : {}),
        ...(c.dataName ? { dataName: c.dataName } : {}),
        ...(c.dataVersion ? { dataVersion: c.dataVersion } : {}),
      }));
      const summary = {
        file: deployment.file,
        endpoint: rt.endpoint,
        deployment: rt.deploymentName,
        modelVersion: rt.modelVersion,
        rollingRate: rt.rollingRate,
        samplingRate: rt.samplingRate,
        workspace: rt.workspace.dir,
        collections,
        notUsedLocally: deployment.notUsedLocally,
        notInAzureSchema: deployment.notInAzureSchema,
      };
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
        return;
      }
      process.stdout.write(`ok: ${deployment.file}\n`);
      process.stdout.write(
        `  endpoint ${summary.endpoint}, deployment ${summary.deployment}, model version ${summary.modelVersion}\n`,
      );
      process.stdout.write(`  rolling_rate ${summary.rollingRate}, sampling_rate ${summary.samplingRate}\n`);
      for (const c of collections) {
        const onDisk = c.localFolder && c.localFolder !== c.destination ? ` (${c.localFolder})` : '';
        process.stdout.write(
          `  ${c.name}: ${c.enabled ? `enabled -> ${c.destination}${onDisk}` : 'disabled'}\n`,
        );
        for (const copy of c.copies ?? []) process.stdout.write(`    and a copy -> ${copy}\n`);
      }
      if (deployment.notUsedLocally.length) {
        const foreign = deployment.notInAzureSchema.length
          ? ` (not in Azure's deployment schema either: ${deployment.notInAzureSchema.join(', ')})`
          : '';
        process.stdout.write(`  not used locally: ${deployment.notUsedLocally.join(', ')}${foreign}\n`);
      }
    });
}
