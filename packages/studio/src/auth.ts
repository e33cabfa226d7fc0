import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from 'model-data-collector/internal';

export const KEY_COOKIE = 'mdc_studio_key';

/** The key a request carries: `Authorization: Bearer <key>`, the studio's cookie, or `?key=` on the page URL. */
export function requestKey(req: FastifyRequest): string | undefined {
  const auth = req.headers.authorization;
  const bearer = auth ? /^Bearer\s+(\S+)\s*$/i.exec(auth)?.[1] : undefined;
  if (bearer) return bearer;
  const cookie = req.headers.cookie
    ?.split(';')
    .map((c) => c.trim())
    .find((c) => c.startsWith(`${KEY_COOKIE}=`));
  if (cookie) return decodeURIComponent(cookie.slice(KEY_COOKIE.length + 1));
  return undefined;
}

/**
 * Checks the key of every request when the studio listens beyond loopback. Opening `/?key=<key>` once sets
 * an HttpOnly cookie and redirects to `/`, so the key leaves the address bar and the page's requests carry it.
 */
export function keyCheck(authorize: (key: string) => boolean) {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const url = new URL(req.url, 'http://studio');
    const fromQuery = url.pathname === '/' ? url.searchParams.get('key') : null;
    if (fromQuery !== null) {
      if (!authorize(fromQuery)) throw unauthorized();
      reply
        .header(
          'set-cookie',
          `${KEY_COOKIE}=${encodeURIComponent(fromQuery)}; HttpOnly; SameSite=Strict; Path=/`,
        )
        .redirect('/', 303);
      return reply;
    }
    const key = requestKey(req);
    if (key === undefined || !authorize(key)) throw unauthorized();
  };
}

function unauthorized(): HttpError {
  return new HttpError(
    'MDC_UNAUTHORIZED',
    401,
    'this studio needs the workspace key: open /?key=<key> once (mdc keys show prints it), or send Authorization: Bearer <key>',
  );
}

/** Host names a loopback-only studio answers to (refusing others stops DNS-rebinding pages from reading it). */
export function isLoopbackHost(host: string | undefined): boolean {
  if (!host) return false;
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.replace(/:\d+$/, '');
  return name === 'localhost' || name === '[::1]' || /^127(\.\d{1,3}){3}$/.test(name);
}
