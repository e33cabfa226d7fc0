/**
 * Runs async jobs one at a time: the studio shares one DuckDB connection, and a connection runs one query
 * at a time.
 */
export class Serial {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(job: () => Promise<T>): Promise<T> {
    const next = this.tail.then(job, job);
    this.tail = next.catch(() => undefined);
    return next;
  }
}
