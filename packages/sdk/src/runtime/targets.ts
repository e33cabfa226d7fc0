import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LocalFileSink } from '../datastore/local-file-sink.js';
import { locateDatastoreUri } from '../datastore/locate.js';
import type { Sink } from '../datastore/sink.js';
import type { CollectionConfig, DeploymentConfig } from '../deployment-config.js';
import { DEFAULT_BASE_URI, joinPath } from '../layout.js';
import { type CloudDatastoreOptions, openCloudDatastore } from '../spool/cloud-datastore.js';
import { localDatastoreRoot, type Workspace } from '../workspace.js';
import type { Target } from './collection.js';

/** What resolving a collection's destination needs to know of its runtime. */
export interface TargetContext {
  readonly workspace: Workspace;
  readonly deployment: DeploymentConfig | undefined;
  readonly endpoint: string;
  readonly deploymentName: string;
  readonly cloud: CloudDatastoreOptions;
}

/**
 * Where each collection's files go, and the datastore writers (one per datastore or local folder, shared by
 * the collections that write there).
 */
export class Targets {
  private readonly sinks = new Map<string, Sink>();

  constructor(
    private readonly ctx: TargetContext,
    private readonly overrideSink: Sink | undefined,
  ) {}

  /** Every writer opened so far. */
  all(): Sink[] {
    return [...this.sinks.values(), ...(this.overrideSink ? [this.overrideSink] : [])];
  }

  /** The target of a collection: its `data.path`, else `<base>/<endpoint>/<deployment>/<collection>` in the default datastore. */
  of(name: string, collection: CollectionConfig | undefined): Target {
    const { ctx } = this;
    const dataPath = collection?.dataPath;
    if (this.overrideSink) {
      const folder = joinPath('modelDataCollector', ctx.endpoint, ctx.deploymentName, name);
      return {
        sink: this.overrideSink,
        folder,
        uri: (p) => `memory://${p}`,
        destination: `memory://${folder}`,
      };
    }
    const loc = locateDatastoreUri(
      ctx.workspace,
      dataPath ?? `${DEFAULT_BASE_URI}/${joinPath(ctx.endpoint, ctx.deploymentName, name)}`,
    );
    if (!loc) {
      // A local folder, relative to the deployment YAML.
      const abs = isAbsolute(dataPath!)
        ? dataPath!
        : resolve(ctx.deployment?.dir ?? process.cwd(), dataPath!);
      return {
        sink: this.sinkFor(`file:${abs}`, () => new LocalFileSink(abs)),
        folder: '',
        uri: (p) => pathToFileURL(resolve(abs, p)).href,
        assetPath: pathToFileURL(abs).href,
        destination: abs,
        localFolder: abs,
      };
    }
    const { config } = loc;
    const destination = loc.uri(loc.path);
    if (config.type === 'local') {
      const root = localDatastoreRoot(ctx.workspace, config);
      return {
        sink: this.sinkFor(`ds:${loc.datastore}`, () => new LocalFileSink(root)),
        folder: loc.path,
        uri: loc.uri,
        assetPath: destination,
        destination,
        localFolder: resolve(root, loc.path),
      };
    }
    return {
      sink: this.sinkFor(`ds:${loc.datastore}`, () =>
        openCloudDatastore(ctx.workspace, loc.datastore, config, ctx.cloud),
      ),
      folder: loc.path,
      uri: loc.uri,
      assetPath: destination,
      destination,
    };
  }

  private sinkFor(key: string, make: () => Sink): Sink {
    let s = this.sinks.get(key);
    if (!s) {
      s = make();
      this.sinks.set(key, s);
    }
    return s;
  }
}
