import { mkdirSync } from 'node:fs';

/**
 * Folders known to exist, created synchronously the first time. An async recursive mkdir takes one turn of the
 * event loop per level (about ten for a rolled folder), and under a burst of collect() calls those turns are
 * long: the first write of each period waited while the queue filled up. A few system calls once per folder and
 * period cost less (docs/performance.md).
 */
export class Folders {
  private readonly known = new Set<string>();

  ensure(dir: string): void {
    if (this.known.has(dir)) return;
    mkdirSync(dir, { recursive: true });
    // Bounded: one entry per collection and period; a long-running process forgets old periods.
    if (this.known.size >= 1024) this.known.clear();
    this.known.add(dir);
  }
}
