import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { BasicCorrelationContext } from 'model-data-collector/internal';

/** Longest client-supplied request id kept; longer (or non-printable) ids are replaced by a new one. */
export const MAX_REQUEST_ID_LENGTH = 256;

const printable = /^[\x21-\x7e]+$/;

function headerId(value: string | string[] | undefined): string | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  return v !== undefined && v.length <= MAX_REQUEST_ID_LENGTH && printable.test(v) ? v : undefined;
}

/**
 * The correlation of one HTTP request: the client's `x-request-id`, else its `x-ms-client-request-id`, else a new
 * UUID. `xrequestid` is the `x-request-id` the client sent, else the same id.
 */
export function correlationFromHeaders(headers: IncomingHttpHeaders): BasicCorrelationContext {
  const xRequestId = headerId(headers['x-request-id']);
  const id = xRequestId ?? headerId(headers['x-ms-client-request-id']) ?? randomUUID();
  return new BasicCorrelationContext(id, xRequestId ?? id);
}
