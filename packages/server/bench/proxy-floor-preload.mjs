// Loaded with `node --import` into an `mdc proxy --model-io` of the proxy bench, to measure what model-io rows
// cost at the least. MDC_BENCH_FLOOR says which floor:
// - `parse`: each exchange is read as far as its tensors (the bodies' JSON parse, shared with payload logging,
//   the protocol's checks, the model's metadata) and then dropped: no rows are written or emitted.
// - `constant`: no extraction at all; each exchange emits the ready-made JSON text of its rows
//   (MDC_BENCH_INPUT_ROWS / MDC_BENCH_OUTPUT_ROWS, the same bytes the real extraction writes) through the same
//   collections: the cost of the two extra events alone.
import { ModelIo } from '../dist/model-io/index.js';

const floor = process.env.MDC_BENCH_FLOOR;
const count = (io) => io.stats.exchanges.set('oip', (io.stats.exchanges.get('oip') ?? 0) + 1);

if (floor === 'parse') {
  ModelIo.prototype.emitOip = function emitOip() {
    count(this);
  };
} else if (floor === 'constant') {
  const table = (name) => {
    const json = process.env[name];
    if (!json) throw new Error(`the constant floor needs ${name}`);
    return { json, rowCount: JSON.parse(json).length };
  };
  const inputs = table('MDC_BENCH_INPUT_ROWS');
  const outputs = table('MDC_BENCH_OUTPUT_ROWS');
  ModelIo.prototype.extract = function extract(x) {
    if (x.aborted) return undefined;
    this.collect(this.inputs, inputs, x.correlation);
    this.collect(this.outputs, outputs, x.correlation);
    count(this);
    return undefined;
  };
} else {
  throw new Error(`MDC_BENCH_FLOOR must be parse or constant; got ${floor}`);
}
