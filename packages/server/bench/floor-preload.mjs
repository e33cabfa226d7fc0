// Loaded with `node --import` into one `mdc serve` of the serve bench: the floor of what collecting the four events
// of a request can cost. collect() only serializes its table (with the collector's compiled row writer) and the
// payload logger only takes the body's text; each of the four lines is then encoded to bytes by the collection's
// own EventEncoder (real event ids, the reference's fields) into one reused buffer. Nothing is validated,
// sampled, counted, queued or written. Any collector that writes the reference's lines does at least this much.
import { currentCorrelationContext, eventTime } from 'model-data-collector/internal';
import { Collector } from '../../sdk/dist/collector.js';
import { RowShapes } from '../../sdk/dist/row-shape.js';
import { serializeTable } from '../../sdk/dist/tabular.js';
import { PayloadLogger } from '../dist/payload-log.js';

const buffer = Buffer.allocUnsafeSlow(1 << 20);
const out = {
  offset: 0,
  reserve(bytes) {
    if (this.offset + bytes > buffer.length) this.offset = 0;
    return buffer;
  },
};

/** Encodes one event of `collection` (a runtime Collection; its encoder is private to the SDK). */
function encode(collection, correlation, dataJson, extra) {
  collection.encoder.write(
    {
      time: eventTime(Date.now()),
      dataJson,
      dataBytes: -1,
      contentType: 'application/json',
      correlation,
      correlationId: correlation.id,
      xRequestId: correlation.xRequestId ?? correlation.id,
      path: extra?.path,
      method: extra?.method,
      collectDataType: extra ? undefined : 'pandas.core.frame.DataFrame',
      dataInBlob: false,
      extensions: extra?.extensions,
    },
    out,
  );
}

/** Each collector's row writer (row-shape.ts), the cheapest exact way the SDK has to write its rows. */
const shapes = new WeakMap();

Collector.prototype.collect = function collect(data, context) {
  const correlation = context ?? currentCorrelationContext();
  let s = shapes.get(this);
  if (!s) {
    s = new RowShapes();
    shapes.set(this, s);
  }
  encode(this.collection, correlation, serializeTable(data, s).json);
  return correlation;
};

const STATUS = new Map();
PayloadLogger.prototype.log = function log(x) {
  let extensions = STATUS.get(x.statusCode);
  if (!extensions) {
    extensions = Object.freeze({ statuscode: x.statusCode });
    STATUS.set(x.statusCode, extensions);
  }
  const extra = { path: x.path, method: x.method, extensions };
  for (const [collection, body] of [
    [this.request, x.requestBody],
    [this.response, x.responseBody],
  ]) {
    if (collection && body !== undefined) {
      encode(collection, x.correlation, bodyText(body), extra);
    }
  }
};

function bodyText(body) {
  return typeof body === 'string'
    ? body
    : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString();
}
