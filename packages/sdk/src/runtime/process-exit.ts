/**
 * The one owner of process shutdown for the write path: every runtime that handles process exit registers
 * here, and the hooks below flush each runtime's queue first, then let its datastores deliver and close.
 *
 * Hand-written on purpose: the maintained helpers (signal-exit, exit-hook) end the process on SIGTERM/SIGINT
 * themselves, where a host with its own handler (mdc serve drains its requests first) must keep that decision.
 */

/** What the hooks need of a runtime. */
export interface ExitParticipant {
  /** The event loop emptied: write what is queued, then deliver what the datastores hold; undefined when idle. */
  beforeExit(): Promise<void> | undefined;
  /** The process is exiting: last synchronous write of what is queued. */
  exitSync(): void;
  /** A signal with no other handler: flush, close, then let the signal end the process. */
  shutdown(): Promise<void>;
}

/** How long a signal waits for the flush before the process ends anyway. */
const SIGNAL_FLUSH_TIMEOUT_MS = 10_000;

const live = new Set<ExitParticipant>();
let installed = false;

export function registerForExit(p: ExitParticipant): void {
  live.add(p);
  install();
}

export function unregisterForExit(p: ExitParticipant): void {
  live.delete(p);
}

function install(): void {
  if (installed) return;
  installed = true;
  // Timers of the queue and the uploaders are unref'd: when a script simply ends, this is the last chance.
  process.on('beforeExit', () => {
    for (const p of live) void p.beforeExit()?.catch(() => {});
  });
  process.on('exit', () => {
    for (const p of live) {
      try {
        p.exitSync();
      } catch {
        // the process is ending; the other runtimes still get their chance
      }
    }
  });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    const onSignal = () => {
      // A host with its own handler owns shutdown; its exit still writes through the 'exit' hook.
      if (process.listenerCount(signal) > 0) return;
      const all = [...live].map((p) => p.shutdown());
      const timeout = new Promise((r) => setTimeout(r, SIGNAL_FLUSH_TIMEOUT_MS).unref());
      void Promise.race([Promise.allSettled(all), timeout]).then(() => process.kill(process.pid, signal));
    };
    process.once(signal, onSignal);
  }
}
