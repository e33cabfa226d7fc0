import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

/** What collect() returns and accepts: the id that correlates the events of one request. */
export interface CorrelationContext {
  /** The correlation id written as `correlationid`. */
  readonly id: string;
  /** The value written as `xrequestid`; defaults to {@link id}. */
  readonly xRequestId?: string;
  getId(): string;
}

/** Where an event encoder keeps the encoded members of a context's ids (see event.ts); not part of the public API. */
export const ENCODED_IDS: unique symbol = Symbol('mdc.encodedIds');

/** Where a context says its ids are a UUID of its own making, so they need no JSON escaping; not public API. */
export const OWN_UUID: unique symbol = Symbol('mdc.ownUuid');

/** The `correlationid`/`xrequestid` members of the events of one context, and the ids they were made from. */
export interface EncodedIds {
  readonly id: string;
  readonly xRequestId: string;
  /** `,"correlationid":…,"xrequestid":…` as UTF-8. */
  readonly bytes: Buffer;
}

/** A correlation context with an id of your choice (a new UUID when none is given). */
export class BasicCorrelationContext implements CorrelationContext {
  readonly id: string;
  readonly xRequestId: string;
  /** Set by the first event of this context, so the other events of a request reuse it. */
  [ENCODED_IDS]: EncodedIds | undefined = undefined;
  /** True when both ids are one UUID this context made (an event writes them as they are). */
  readonly [OWN_UUID]: boolean;
  constructor(id?: string, xRequestId?: string) {
    if (id !== undefined && (typeof id !== 'string' || id.length === 0)) {
      throw new TypeError('BasicCorrelationContext id must be a non-empty string');
    }
    this.id = id ?? randomUUID();
    this.xRequestId = xRequestId ?? this.id;
    this[OWN_UUID] = id === undefined && this.xRequestId === this.id;
  }
  getId(): string {
    return this.id;
  }
  toString(): string {
    return this.id;
  }
}

/**
 * The context of the HTTP request being handled. The server and proxy set it for the duration of a request,
 * so every collect() made while handling it (without an explicit context) carries the request's id.
 */
export interface RequestContext {
  readonly correlation: CorrelationContext;
}

const requestStorage = new AsyncLocalStorage<RequestContext>();

/** Runs `fn` with `correlation` as the current request's context. */
export function runWithRequestContext<T>(correlation: CorrelationContext, fn: () => T): T {
  return requestStorage.run({ correlation }, fn);
}

/** The current request's correlation context, if code is running inside {@link runWithRequestContext}. */
export function currentCorrelationContext(): CorrelationContext | undefined {
  return requestStorage.getStore()?.correlation;
}
