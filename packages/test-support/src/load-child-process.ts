// A collector process for the fault tests: collects `{ seq }` rows at LOAD_RATE events/s (LOAD_COUNT in all,
// or until stopped) into the workspace's default datastore, and prints a JSON status line every 10 ms:
// `accepted` (collect() calls that returned) and `written` (events the spool acknowledged). SIGTERM goes
// to the SDK's own handler: flush, deliver, then exit.
import { writeSync } from 'node:fs';
import {
  BasicCorrelationContext,
  Collector,
  DataCollectorRuntime,
  datastoreStats,
} from 'model-data-collector/internal';

const rate = Number(process.env.LOAD_RATE ?? 500);
const count = Number(process.env.LOAD_COUNT ?? Number.POSITIVE_INFINITY);
const print = (o: object) => writeSync(1, `${JSON.stringify(o)}\n`);

const runtime = new DataCollectorRuntime({
  workspace: process.env.MDC_WORKSPACE!,
  endpoint: 'ep',
  deploymentName: 'dep',
  instanceId: process.env.LOAD_INSTANCE || undefined,
  flushIntervalMs: 100,
  onError: (err) => print({ error: `${(err as { code?: string }).code}: ${err.message}` }),
});
/** An error reported during a collect() call means that call's event was refused (closed, queue full). */
let refusal: Error | undefined;
const inputs = new Collector({
  name: 'model_inputs',
  runtime,
  onError: (err) => {
    refusal = err;
    print({ error: `${(err as { code?: string }).code}: ${err.message}` });
  },
});

let seq = 0;
let accepted = 0;
const status = () => {
  const ds = datastoreStats()[0];
  print({
    accepted,
    written: runtime.stats().collections.model_inputs?.written ?? 0,
    failures: ds?.failures ?? 0,
    pendingBytes: ds?.pendingBytes ?? 0,
  });
};
const perTick = Math.max(1, Math.round(rate / 100));
const tick = setInterval(() => {
  for (let i = 0; i < perTick && seq < count; i++) {
    refusal = undefined;
    inputs.collect([{ seq }], new BasicCorrelationContext(`c-${seq}`));
    if ((refusal as { code?: string } | undefined)?.code === 'MDC_COLLECTOR_CLOSED') {
      // after shutdown (SIGTERM) collect() refuses: the accepted count is final
      clearInterval(tick);
      print({ accepted, final: true });
      return;
    }
    if (!refusal) accepted++;
    seq++;
  }
  // Printed by every tick, so the last line counts every accepted event even when a signal ends the process.
  status();
  if (seq >= count) {
    clearInterval(tick);
    void runtime.shutdown().then(() => {
      status();
      print({ accepted, final: true });
    });
  }
}, 10);
