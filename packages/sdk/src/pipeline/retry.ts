import { WriteTimeoutError } from '../errors.js';

/**
 * The delay before retry number `attempt` (1 = the first retry): exponential backoff with full jitter, a random
 * time up to `min(maxMs, baseMs × 2^(attempt-1))`. The one backoff of the write path: the queue's write retries
 * and the spool's upload retries both use it.
 */
export function retryDelay(attempt: number, baseMs: number, maxMs: number): number {
  const cap = Math.min(maxMs, baseMs * 2 ** Math.min(30, attempt - 1));
  return Math.random() * cap;
}

/**
 * Settles as `work` does, or rejects with MDC_WRITE_TIMEOUT after `ms` (the work may still finish later; its
 * result is then ignored). A hung datastore cannot make flush() wait forever.
 */
export function withTimeout<T>(work: Promise<T>, ms: number, target: string, events: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new WriteTimeoutError(target, events, ms)), ms);
    timer.unref();
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
