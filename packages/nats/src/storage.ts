import { type DatastoreConfig, type UploaderContext, UsageError } from 'model-data-collector/internal';
import { asNatsConfig, servers } from './config.js';

/**
 * What the reader gets for a NATS datastore: a stream holds messages, not files, so listing or reading it says so
 * and points at `mdc tail`.
 */
export class NatsStorage {
  readonly description: string;

  constructor(
    readonly datastore: string,
    config: DatastoreConfig,
  ) {
    const c = asNatsConfig(config);
    this.description = `nats:${servers(c).join(',')}/${c.stream}`;
  }

  private refuse(): never {
    throw new UsageError(
      `datastore ${this.datastore} is a NATS JetStream stream (${this.description}): it holds messages, not files; read it live with mdc tail COLLECTION --datastore ${this.datastore}, and read the files of the collection's data.path with mdc read`,
    );
  }

  async list(): Promise<never> {
    this.refuse();
  }
  async stat(): Promise<never> {
    this.refuse();
  }
  async read(): Promise<never> {
    this.refuse();
  }
  async readRange(): Promise<never> {
    this.refuse();
  }
}

export function createStorage(config: DatastoreConfig, context: UploaderContext): NatsStorage {
  return new NatsStorage(context.datastore, config);
}
