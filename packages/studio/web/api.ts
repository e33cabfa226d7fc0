import { useCallback, useEffect, useState } from 'preact/hooks';
import type { ApiError } from '../src/api-types.js';
import { type Params, queryString } from './router.js';

/** A failed API call, with the server's error code. */
export class ApiFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** `/api/…?a=1&f=x&f=y` from a path and parameters. */
export function apiUrl(path: string, params: Params = {}): string {
  return `/api/${path}${queryString(params)}`;
}

export async function getJson<T>(url: string, signal?: AbortSignal): Promise<T> {
  const res = await fetch(url, { signal, headers: { accept: 'application/json' } });
  const body = (await res.json().catch(() => undefined)) as unknown;
  if (!res.ok) {
    const e = (body as ApiError | undefined)?.error;
    throw new ApiFailure(e?.code ?? 'MDC_INTERNAL', e?.message ?? `HTTP ${res.status}`, res.status);
  }
  return body as T;
}

export interface Loaded<T> {
  readonly data?: T;
  readonly error?: ApiFailure | Error;
  readonly loading: boolean;
  reload(): void;
}

/** Fetches `url` (again whenever it changes, or every `refreshMs`); keeps the last data while reloading. */
export function useApi<T>(url: string | undefined, refreshMs?: number): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: Error; loading: boolean; url?: string }>({
    loading: url !== undefined,
  });
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  useEffect(() => {
    if (url === undefined) return;
    const ac = new AbortController();
    setState((s) => ({
      ...s,
      loading: true,
      ...(s.url !== url ? { data: undefined, error: undefined } : {}),
    }));
    getJson<T>(url, ac.signal).then(
      (data) => setState({ data, loading: false, url }),
      (error: Error) => {
        if (!ac.signal.aborted) setState({ error, loading: false, url });
      },
    );
    return () => ac.abort();
  }, [url, tick]);
  useEffect(() => {
    if (!refreshMs) return;
    const t = setInterval(reload, refreshMs);
    return () => clearInterval(t);
  }, [refreshMs, reload]);
  return { ...state, reload };
}
