// The publishing side of a NATS uploader in its own thread, so the collecting process's event loop does not pay
// for each message's publish and acknowledgement (see docs/datastores.md). Messages: `{ id, subject, body }` in,
// `{ id, published, duplicates }` or `{ id, error }` out; `{ close: true }` drains the connection.
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import type { NatsConfig } from './config.js';
import { Publisher } from './publisher.js';

const { config, env, name } = workerData as { config: NatsConfig; env: NodeJS.ProcessEnv; name: string };

// Below the event loop when both want a core (Linux keeps a nice value per thread): publishing may wait a little,
// the collecting process's requests should not. MDC_NATS_PUBLISHER_NICE=0 keeps the process's priority.
const nice = Number(env.MDC_NATS_PUBLISHER_NICE || 10);
if (Number.isInteger(nice) && nice > 0 && nice <= 19) {
  try {
    setPriority(Number(readlinkSync('/proc/thread-self').split('/').pop()), nice);
  } catch {
    // not Linux, or not allowed
  }
}

const publisher = new Publisher(config, env, name);
const port = parentPort!;

port.on('message', (m: { id?: number; subject?: string; body?: Uint8Array; close?: boolean }) => {
  if (m.close) {
    void publisher.close().then(() => port.close());
    return;
  }
  publisher.publish(m.subject!, m.body!).then(
    (r) => port.postMessage({ id: m.id, ...r }),
    (err: Error) => port.postMessage({ id: m.id, error: err.message ?? String(err) }),
  );
});
