import { request } from 'node:http';

/**
 * POSTs a JSON body to `/score` and hangs up once the first bytes of the answer arrived, closing the socket as a
 * client that goes away does (node:http: an aborted fetch leaves a spare connection open that delays a drain).
 */
export function hangUpAfterFirstBytes(base: string, body: unknown, id: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const req = request(`${base}/score`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': id },
    });
    req.on('response', (res) =>
      res.once('data', () => {
        req.destroy();
        resolve();
      }),
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

/** Asks the scoring script how many of its generators were closed (`{"closed": true}`) until one was, or ~5 s. */
export async function closedGenerators(base: string): Promise<number> {
  let closed = 0;
  for (let i = 0; i < 100 && closed === 0; i++) {
    await new Promise((r) => setTimeout(r, 50));
    const res = await fetch(`${base}/score`, {
      method: 'POST',
      body: '{"closed": true}',
      headers: { 'content-type': 'application/json', 'x-request-id': `closed-${i}` },
    });
    closed = ((await res.json()) as { closed: number }).closed;
  }
  return closed;
}
