import type { AddressInfo } from 'node:net';
import { Reader } from '@model-data-collector/reader/internal';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import {
  HttpError,
  ListenFailedError,
  openWorkspace,
  VERSION,
  type Workspace,
} from 'model-data-collector/internal';
import type { InfoResponse } from './api-types.js';
import { isLoopbackHost, keyCheck } from './auth.js';
import { StudioContext } from './context.js';
import { errorAnswer } from './http.js';
import { assetRoutes } from './routes/assets.js';
import { datastoreRoutes } from './routes/datastores.js';
import { deploymentRoutes } from './routes/deployments.js';
import { recordRoutes } from './routes/records.js';
import { requestRoutes } from './routes/requests.js';
import { DEFAULT_PUBLIC_DIR, loadStaticFiles, type StaticFile } from './static-files.js';

export interface StudioOptions {
  /** Workspace folder, or an opened workspace. @default `MDC_WORKSPACE`, else `./mdc-workspace` */
  readonly workspace?: string | Workspace;
  /** `/metrics` URLs of running `mdc serve` / `mdc proxy` servers, for drops and queue depth. @default [] */
  readonly metricsUrls?: readonly string[];
  /**
   * Checks a request's key. When set, every request needs one (Bearer header, or the cookie `/?key=` sets);
   * required to listen beyond loopback. @default none: loopback only
   */
  readonly authorize?: (key: string) => boolean;
  /** The built page. @default the package's `dist/public` */
  readonly publicDir?: string;
  /** @default Date.now */
  readonly clock?: () => number;
  /** Log requests to stderr. @default false */
  readonly logRequests?: boolean;
}

/** The studio's HTTP app (not listening yet). Close it to close its DuckDB reader. */
export async function createStudio(options: StudioOptions = {}): Promise<FastifyInstance> {
  const ws = typeof options.workspace === 'object' ? options.workspace : openWorkspace(options.workspace);
  let files: Map<string, StaticFile>;
  try {
    files = loadStaticFiles(options.publicDir ?? DEFAULT_PUBLIC_DIR);
  } catch {
    files = new Map(); // not built: the API still works, the page says how to build it
  }
  const reader = await Reader.open({ workspace: ws });
  const ctx = new StudioContext(ws, reader, options.clock ?? Date.now, options.metricsUrls ?? []);
  const app = Fastify({
    logger: options.logRequests ?? false,
    routerOptions: { maxParamLength: 1024 },
    // A URL fastify cannot decode (`%zz`) is answered before any hook: coded like every other refusal.
    frameworkErrors: (err, _req, reply) => {
      const { status, body } = errorAnswer(err);
      (reply as FastifyReply).status(status).send(body);
    },
  });
  app.addHook('onClose', async () => reader.close());

  app.addHook('onRequest', async (req) => {
    if (!options.authorize && !isLoopbackHost(req.headers.host))
      throw new HttpError('MDC_UNAUTHORIZED', 403, `host "${req.headers.host}" is not this studio`);
  });
  if (options.authorize) app.addHook('onRequest', keyCheck(options.authorize));
  app.addHook('onSend', async (_req, reply) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('x-frame-options', 'DENY');
  });

  app.setErrorHandler((err, _req, reply) => {
    const { status, body } = errorAnswer(err);
    return reply.status(status).send(body);
  });
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0] ?? '';
    if (!path.startsWith('/api/') && (req.method === 'GET' || req.method === 'HEAD')) {
      const f = files.get(path);
      if (f) return sendFile(reply, f, req.headers);
    }
    return reply
      .status(404)
      .send({ error: { code: 'MDC_NOT_FOUND', message: `no route for ${req.method} ${path}` } });
  });

  app.get('/', (req, reply) => {
    const index = files.get('/index.html');
    if (!index)
      return reply
        .type('text/plain; charset=utf-8')
        .status(503)
        .send('The studio page is not built: run npm run build (the API under /api/ works).');
    return sendFile(reply, index, req.headers);
  });
  app.get('/api/info', async (): Promise<InfoResponse> => ({ workspace: ws.dir, version: VERSION }));
  datastoreRoutes(app, ctx);
  assetRoutes(app, ctx);
  recordRoutes(app, ctx);
  requestRoutes(app, ctx);
  deploymentRoutes(app, ctx);
  return app;
}

function sendFile(reply: FastifyReply, f: StaticFile, headers: FastifyRequest['headers']): FastifyReply {
  reply
    .header('etag', f.etag)
    .header('vary', 'accept-encoding')
    .header('cache-control', f.immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
  if (f.type.startsWith('text/html'))
    reply.header(
      'content-security-policy',
      "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    );
  if (headers['if-none-match'] === f.etag) return reply.status(304).send();
  if (f.gzip && /\bgzip\b/.test(String(headers['accept-encoding'] ?? '')))
    return reply.type(f.type).header('content-encoding', 'gzip').send(f.gzip);
  return reply.type(f.type).send(f.body);
}

export interface RunningStudio {
  readonly app: FastifyInstance;
  readonly address: AddressInfo;
  /** `http://host:port/`. */
  readonly url: string;
  close(): Promise<void>;
}

/** Creates the studio and listens. Throws MDC_LISTEN_FAILED when the port is taken or the host is wrong. */
export async function startStudio(
  options: StudioOptions & { readonly host?: string; readonly port?: number } = {},
): Promise<RunningStudio> {
  const host = options.host ?? '127.0.0.1';
  const app = await createStudio(options);
  try {
    await app.listen({ host, port: options.port ?? 5050 });
  } catch (err) {
    await app.close();
    throw new ListenFailedError(
      `mdc studio cannot listen on ${host}:${options.port ?? 5050}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  const address = app.server.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return { app, address, url: `http://${shown}:${address.port}/`, close: () => app.close() };
}
