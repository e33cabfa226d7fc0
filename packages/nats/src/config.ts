import { readFileSync } from 'node:fs';
import { type ConnectionOptions, credsAuthenticator } from '@nats-io/transport-node';
import type { DatastoreConfig } from 'model-data-collector/internal';

export type NatsConfig = Extract<DatastoreConfig, { type: 'nats' }>;

/** nats-server's default `max_payload`. */
export const DEFAULT_MAX_MESSAGE_BYTES = 1_048_576;
/** The duplicate window of a stream `mdc datastore create --type nats` makes (JetStream's own default). */
export const DEFAULT_DUPLICATE_WINDOW_MS = 120_000;
export const DEFAULT_SUBJECT_PREFIX = 'mdc';

export function asNatsConfig(config: DatastoreConfig): NatsConfig {
  if (config.type !== 'nats') throw new TypeError(`not a nats datastore: ${config.type}`);
  return config;
}

/** The servers of `url` (`nats://a:4222,b:4222` or `a:4222,b:4222`). */
export function servers(config: NatsConfig): string[] {
  return config.url
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Connection options: credentials from `creds`, else `token`, else `MDC_NATS_TOKEN`. Reconnects forever. */
export function connectionOptions(
  config: NatsConfig,
  env: NodeJS.ProcessEnv,
  name: string,
): ConnectionOptions {
  const token = config.token ?? (env.MDC_NATS_TOKEN || undefined);
  const options = {
    servers: servers(config),
    name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    // The spool retries a failed pass itself: a first connection that fails is a failed pass, not a hang.
    waitOnFirstConnect: false,
    // Outbound bytes gathered before a socket write (the client's hidden option, 32 KiB by default): a range of
    // lines goes out in a few writes instead of one per ~150 messages (measured: the writes were most of the cost).
    pendingLimit: 1024 * 1024,
    ...(config.creds
      ? { authenticator: credsAuthenticator(readFileSync(config.creds)) }
      : token
        ? { token }
        : {}),
  };
  return options as ConnectionOptions;
}

/** `<prefix>.<endpoint>.<deployment>.<collection>`; a collection's subjects all start `<prefix>.`. */
export function subjectPrefix(config: NatsConfig): string {
  return config.subject_prefix ?? DEFAULT_SUBJECT_PREFIX;
}

/** A name as one subject token: characters a subject cannot hold (`.`, `*`, `>`, spaces) become `_`. */
export function subjectToken(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]/g, '_') || '_';
}

/**
 * The subject of a spool file, from its path in the datastore:
 * `<base…>/<endpoint>/<deployment>/<collection>/<yyyy>/…/<instance>.jsonl` → `<prefix>.<endpoint>.<deployment>.<collection>`
 * (the date folders are the all-digit segments before the file name).
 */
export function subjectOf(config: NatsConfig, remotePath: string): string {
  const parts = remotePath.split('/').filter(Boolean);
  parts.pop();
  while (parts.length > 0 && /^[0-9]+$/.test(parts[parts.length - 1]!)) parts.pop();
  const names = parts.slice(-3);
  while (names.length < 3) names.unshift('_');
  return [subjectPrefix(config), ...names.map(subjectToken)].join('.');
}

/** The subject filter of a collection's messages (any endpoint and deployment unless given). */
export function collectionFilter(
  config: NatsConfig,
  collection: string,
  options: { endpoint?: string; deployment?: string } = {},
): string {
  const ep = options.endpoint ? subjectToken(options.endpoint) : '*';
  const dep = options.deployment ? subjectToken(options.deployment) : '*';
  return `${subjectPrefix(config)}.${ep}.${dep}.${subjectToken(collection)}`;
}
