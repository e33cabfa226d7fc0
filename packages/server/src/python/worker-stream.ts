/** How many items the client takes before mdc gives the worker that much credit back (see mdc_worker.py). */
export const CREDIT_BATCH = 16;

/**
 * The items a Python worker's streaming run() sends, as an async iterable for the score server: they queue here
 * until the client takes them, and every {@link CREDIT_BATCH} taken let the worker send as many more (it may be
 * at most its credit ahead, so a slow client slows the generator instead of filling memory). Stopping the
 * iteration early (the client went away) cancels the generator.
 */
export class WorkerStream implements AsyncIterable<unknown> {
  private readonly items: unknown[] = [];
  private waiter: ((r: IteratorResult<unknown>) => void) | undefined;
  private failer: ((err: Error) => void) | undefined;
  private ended = false;
  private error: Error | undefined;
  private taken = 0;
  private stopped = false;

  constructor(
    private readonly credit: (n: number) => void,
    private readonly cancel: () => void,
  ) {}

  push(item: unknown): void {
    if (this.stopped) return;
    if (this.waiter) {
      const w = this.waiter;
      this.clearWaiter();
      this.took();
      w({ value: item, done: false });
    } else this.items.push(item);
  }

  end(): void {
    this.ended = true;
    if (this.waiter) {
      const w = this.waiter;
      this.clearWaiter();
      w({ value: undefined, done: true });
    }
  }

  fail(err: Error): void {
    this.error = err;
    this.ended = true;
    if (this.failer) {
      const f = this.failer;
      this.clearWaiter();
      f(err);
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<unknown> {
    return {
      next: () => {
        if (this.items.length > 0) {
          this.took();
          return Promise.resolve({ value: this.items.shift(), done: false });
        }
        if (this.error) return Promise.reject(this.error);
        if (this.ended) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve, reject) => {
          this.waiter = resolve;
          this.failer = reject;
        });
      },
      return: () => {
        if (!this.ended && !this.stopped) this.cancel();
        this.stopped = true;
        this.items.length = 0;
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }

  private took(): void {
    if (++this.taken % CREDIT_BATCH === 0 && !this.ended) this.credit(CREDIT_BATCH);
  }

  private clearWaiter(): void {
    this.waiter = undefined;
    this.failer = undefined;
  }
}
