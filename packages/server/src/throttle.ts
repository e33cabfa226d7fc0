/**
 * Wraps a reporting function so it runs at most once per `intervalMs`; the calls skipped in between are
 * counted and passed to the next call as its last argument (a log line per failure would flood the log).
 */
export function throttled<A extends unknown[]>(
  intervalMs: number,
  report: (...args: [...A, suppressed: number]) => void,
): (...args: A) => void {
  let last = Number.NEGATIVE_INFINITY;
  let suppressed = 0;
  return (...args: A) => {
    const now = Date.now();
    if (now - last < intervalMs) {
      suppressed++;
      return;
    }
    last = now;
    const n = suppressed;
    suppressed = 0;
    report(...args, n);
  };
}
