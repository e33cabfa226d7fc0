import { AGENT } from './version.js';

/** The per-event parts of a collected event; the rest is fixed per collection. */
export interface EventFields {
  readonly id: string;
  /** UTC to the second, e.g. `2024-03-05T18:16:25Z`. */
  readonly time: string;
  /** The serialized `data` value (JSON text). */
  readonly dataJson: string;
  /** Byte length of the data the `contentrange` describes (of a raw payload when `dataInBlob`). */
  readonly dataBytes: number;
  readonly contentType: string;
  readonly correlationId: string;
  readonly xRequestId: string;
  /** Payload logging: the request path and method. */
  readonly path?: string;
  readonly method?: string;
  /** Set for tabular data from collect(). */
  readonly collectDataType?: string;
  /** True when `data` is the URI of a separately stored payload. */
  readonly dataInBlob?: boolean;
  /** Extra CloudEvents extension attributes (lowercase names), e.g. `statuscode`. */
  readonly extensions?: Readonly<Record<string, string | number>>;
}

const q = JSON.stringify;

/** Builds the one-line JSON of a CloudEvents 1.0 event for one collection, fields in the reference's order. */
export class EventEncoder {
  private readonly headFixed: string;
  private readonly tailFixed: string;

  constructor(source: string, collection: string, modelVersion: string) {
    this.headFixed = `","source":${q(source)},"type":${q(`azureml.inference.${collection}`)},"datacontenttype":`;
    this.tailFixed = `,"modelversion":${q(modelVersion)}`;
  }

  /** One event as a line of JSON, ending in `\n`. */
  encode(f: EventFields): string {
    return this.head(f) + f.dataJson + this.tail(f, f.dataBytes);
  }

  /** The line up to and including `"data":` (the writer appends `data` itself, without copying it into a line). */
  head(f: EventFields): string {
    return (
      '{"specversion":"1.0","id":"' +
      f.id +
      this.headFixed +
      q(f.contentType) +
      ',"time":"' +
      f.time +
      '","data":'
    );
  }

  /** The rest of the line after `data`; `dataBytes` is the byte length `contentrange` describes. */
  tail(f: EventFields, dataBytes: number): string {
    let line = '';
    if (f.path !== undefined) line += ',"path":' + q(f.path);
    if (f.method !== undefined) line += ',"method":' + q(f.method);
    line += ',"correlationid":' + q(f.correlationId) + ',"xrequestid":' + q(f.xRequestId) + this.tailFixed;
    if (f.collectDataType !== undefined) line += ',"collectdatatype":' + q(f.collectDataType);
    // An empty payload has no first or last byte: HTTP's form for that is `bytes */0`.
    const range = dataBytes > 0 ? 'bytes 0-' + (dataBytes - 1) + '/' + dataBytes : 'bytes */0';
    line += ',"agent":"' + AGENT + '","contentrange":"' + range + '"';
    if (f.dataInBlob) line += ',"datainblob":"true"';
    if (f.extensions) for (const [k, v] of Object.entries(f.extensions)) line += ',' + q(k) + ':' + q(v);
    return line + '}\n';
  }
}

/** The CloudEvents `source`: the reference's resource path of the deployment. */
export function eventSource(p: {
  subscriptionId: string;
  resourceGroup: string;
  workspace: string;
  endpoint: string;
  deployment: string;
}): string {
  return (
    `/subscriptions/${p.subscriptionId}/resourceGroups/${p.resourceGroup}` +
    `/providers/Microsoft.MachineLearningServices/workspaces/${p.workspace}` +
    `/onlineEndpoints/${p.endpoint}/deployments/${p.deployment}`
  );
}

let cachedSecond = Number.NaN;
let cachedTime = '';

/** `time` of an event: UTC, second precision, `Z` (cached per second: it is on the hot path). */
export function eventTime(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== cachedSecond) {
    cachedSecond = second;
    cachedTime = new Date(second * 1000).toISOString().slice(0, 19) + 'Z';
  }
  return cachedTime;
}
