import type { Server } from 'node:http';

/**
 * While a server drains: closes its keep-alive connections as each becomes idle (Node closes the idle ones once,
 * when close() starts, and one whose last response ends later would stay open until its keep-alive timeout),
 * and cuts every connection after `cutMs`. Returns the function that stops both.
 */
export function closeConnectionsWhileDraining(server: Server, cutMs: number): () => void {
  server.closeIdleConnections();
  const idle = setInterval(() => server.closeIdleConnections(), 50);
  const cut = setTimeout(() => server.closeAllConnections(), cutMs);
  idle.unref();
  cut.unref();
  return () => {
    clearInterval(idle);
    clearTimeout(cut);
  };
}
