import { useEffect, useState } from 'preact/hooks';

/** Where the page is: `#/records/NAME?since=1h&filter=…` → segments `['records', 'NAME']` and the parameters. */
export interface Route {
  readonly segments: readonly string[];
  readonly params: URLSearchParams;
}

export function parseHash(hash: string): Route {
  const h = hash.replace(/^#\/?/, '');
  const q = h.indexOf('?');
  const path = q < 0 ? h : h.slice(0, q);
  const segments = path
    .split('/')
    .filter(Boolean)
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
  return { segments, params: new URLSearchParams(q < 0 ? '' : h.slice(q + 1)) };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(location.hash));
  useEffect(() => {
    const on = () => {
      setRoute(parseHash(location.hash));
      window.scrollTo(0, 0);
    };
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}

export type Params = Record<string, string | number | readonly string[] | undefined>;

/** `?a=1&f=x&f=y` (or ''): undefined and '' parameters are left out, arrays repeated. */
export function queryString(params: Params): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === '') continue;
    if (Array.isArray(v)) for (const x of v) q.append(k, x);
    else q.append(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** `#/a/b?x=1`, with the segments encoded. */
export function href(segments: readonly string[], params: Params = {}): string {
  return `#/${segments.map(encodeURIComponent).join('/')}${queryString(params)}`;
}

export function go(to: string): void {
  location.hash = to.replace(/^#/, '');
}
