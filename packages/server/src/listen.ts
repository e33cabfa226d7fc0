import type { AddressInfo } from 'node:net';
import { ListenFailedError } from 'model-data-collector/internal';

/**
 * Listens, or throws MDC_LISTEN_FAILED naming the address (a port in use, a host not on this machine) after
 * `onFail` has released what was opened for the server.
 */
export async function listenOrFail(
  server: { listen(options: { port: number; host: string }): Promise<AddressInfo> },
  address: { port: number; host: string },
  onFail: () => Promise<void> = async () => {},
): Promise<AddressInfo> {
  try {
    return await server.listen(address);
  } catch (err) {
    await onFail().catch(() => {});
    throw new ListenFailedError(
      `cannot listen on ${address.host}:${address.port}: ${(err as Error).message}`,
      { cause: err },
    );
  }
}
