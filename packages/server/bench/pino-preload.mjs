// Loaded with `node --import` into one `mdc serve` of the serve bench: the best peer on the same floor. The four
// events of a request go to pino (asynchronous destination, 8 KiB buffer, as the collect bench uses it) instead
// of the collector: collect() logs its rows, the payload logger logs the request and response bodies as text,
// each with the request's correlation id. pino writes one JSON line per event with no CloudEvents envelope, no
// partitioning, no bounds or counters, so it is a lower bound for a general-purpose logger doing the same job.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { currentCorrelationContext } from 'model-data-collector/internal';
import pino from 'pino';
import { Collector } from '../../sdk/dist/collector.js';
import { PayloadLogger } from '../dist/payload-log.js';

const file = join(mkdtempSync(join(tmpdir(), 'mdc-bench-pino-')), 'events.jsonl');
const destination = pino.destination({ dest: file, minLength: 8192, sync: false });
const logger = pino({ base: null, timestamp: pino.stdTimeFunctions.isoTime }, destination);

Collector.prototype.collect = function collect(data, context) {
  const correlation = context ?? currentCorrelationContext();
  logger.info({ type: this.name, correlationid: correlation.id, data });
  return correlation;
};

PayloadLogger.prototype.log = function log(x) {
  const id = x.correlation.id;
  for (const [type, body] of [
    ['request', x.requestBody],
    ['response', x.responseBody],
  ]) {
    if (body === undefined) continue;
    const text =
      typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString();
    logger.info({ type, correlationid: id, path: x.path, status: x.statusCode, data: text });
  }
};
