// Debian's nats-server with JetStream on, on free 127.0.0.1 ports, its store in a temp folder so a stop/start (an
// outage) keeps the stream; and a three-node cluster of them.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { atExit, freePort, sleep, tempDir, waitForPort } from './temp.js';

/** Where Debian installs it (`.ci/run` installs the package when missing). */
export const NATS_SERVER = existsSync('/usr/sbin/nats-server') ? '/usr/sbin/nats-server' : 'nats-server';

export interface NatsServer {
  readonly port: number;
  readonly url: string;
  stop(signal?: NodeJS.Signals): Promise<void>;
  start(): Promise<void>;
  kill(): void;
}

function serverProcess(name: string, port: number, config: string): NatsServer {
  const dir = tempDir(`mdc-nats-${name}-`);
  const file = join(dir, 'server.conf');
  writeFileSync(file, config.replaceAll('@STORE@', join(dir, 'store')));
  const log = join(dir, 'server.log');
  let child: ChildProcess | undefined;
  const server: NatsServer = {
    port,
    url: `nats://127.0.0.1:${port}`,
    async start() {
      child = spawn(NATS_SERVER, ['-c', file], { stdio: ['ignore', openSync(log, 'a'), openSync(log, 'a')] });
      await waitForPort(port).catch((err: Error) => {
        throw new Error(`${err.message}: ${readFileSync(log, 'utf8').slice(-2000)}`);
      });
    },
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      const c = child;
      child = undefined;
      if (!c || c.exitCode !== null) return;
      const exited = new Promise((r) => c.once('exit', r));
      c.kill(signal);
      await Promise.race([exited, sleep(5000)]);
      if (c.exitCode === null) c.kill('SIGKILL');
      await exited;
    },
    kill() {
      child?.kill('SIGKILL');
    },
  };
  atExit(() => server.kill());
  return server;
}

/** One node with JetStream (file storage). */
export async function startNatsServer(): Promise<NatsServer> {
  const port = await freePort();
  const s = serverProcess(
    'single',
    port,
    `listen: "127.0.0.1:${port}"\njetstream { store_dir: "@STORE@" }\n`,
  );
  await s.start();
  return s;
}

/** Three nodes clustered with JetStream; `urls` is what a client is given (every node). */
export async function startNatsCluster(): Promise<{ nodes: NatsServer[]; urls: string }> {
  const ports = [await freePort(), await freePort(), await freePort()];
  const routes = [await freePort(), await freePort(), await freePort()];
  const nodes = ports.map((port, i) =>
    serverProcess(
      `n${i}`,
      port,
      [
        `server_name: n${i}`,
        `listen: "127.0.0.1:${port}"`,
        'jetstream { store_dir: "@STORE@" }',
        'cluster {',
        '  name: mdc',
        `  listen: "127.0.0.1:${routes[i]}"`,
        `  routes: [${routes.map((r) => `"nats-route://127.0.0.1:${r}"`).join(', ')}]`,
        '}',
        '',
      ].join('\n'),
    ),
  );
  await Promise.all(nodes.map((n) => n.start()));
  return { nodes, urls: nodes.map((n) => n.url).join(',') };
}
