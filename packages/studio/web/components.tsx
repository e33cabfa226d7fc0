import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import type { ColumnItem, InfoResponse, JsonValue } from '../src/api-types.js';
import { ApiFailure, apiUrl, useApi } from './api.js';
import { cellText, count } from './format.js';
import { go, href } from './router.js';

const NAV = [
  ['datastores', 'Datastores'],
  ['assets', 'Data assets'],
  ['records', 'Records'],
  ['requests', 'Requests'],
  ['deployments', 'Deployments'],
] as const;

export function Layout(props: { section: string; children: ComponentChildren }) {
  const [q, setQ] = useState('');
  return (
    <>
      <header class="top">
        <a class="brand" href="#/">
          mdc studio
        </a>
        <nav>
          {NAV.map(([key, label]) => (
            <a key={key} href={`#/${key}`} class={props.section === key ? 'on' : ''}>
              {label}
            </a>
          ))}
        </nav>
        <form
          class="search"
          onSubmit={(e) => {
            e.preventDefault();
            const id = q.trim();
            if (id) go(href(['requests', id]));
          }}
        >
          <input
            type="search"
            name="correlation"
            placeholder="Correlation id…"
            aria-label="Find a request by correlation id"
            value={q}
            onInput={(e) => setQ((e.target as HTMLInputElement).value)}
          />
        </form>
      </header>
      <main>{props.children}</main>
    </>
  );
}

export function Crumbs(props: { items: readonly (readonly [string, string?])[] }) {
  return (
    <nav class="crumbs" aria-label="Breadcrumb">
      {props.items.map(([label, to], i) => (
        <span key={`${i}-${label}`}>
          {i > 0 && <span class="sep">/</span>}
          {to ? <a href={to}>{label}</a> : <span>{label}</span>}
        </span>
      ))}
    </nav>
  );
}

export function ErrorBox(props: { error: Error }) {
  const code = props.error instanceof ApiFailure ? props.error.code : undefined;
  return (
    <div class="error" role="alert">
      {code && <code>{code}</code>} {props.error.message}
    </div>
  );
}

export function Loading() {
  return <p class="muted loading">Loading…</p>;
}

/** What a loading page shows: the error, a spinner, or nothing (the data is there). */
export function status(l: { error?: Error; loading: boolean; data?: unknown }) {
  if (l.error) return <ErrorBox error={l.error} />;
  if (l.data === undefined) return <Loading />;
  return null;
}

export function Stat(props: { label: string; value: ComponentChildren; testid?: string }) {
  return (
    <div class="stat">
      <div class="stat-label">{props.label}</div>
      <div class="stat-value" data-testid={props.testid}>
        {props.value}
      </div>
    </div>
  );
}

/** A value of a table cell; a correlation id links to its request. */
function Cell(props: { column: string; value: JsonValue }) {
  const v = props.value;
  if (v === null) return <span class="null">null</span>;
  if (props.column === 'correlationid' && typeof v === 'string')
    return (
      <a href={href(['requests', v])} class="cid">
        {v}
      </a>
    );
  const text = cellText(v);
  if (typeof v === 'object')
    return (
      <code title={text.length > 120 ? text.slice(0, 2000) : undefined}>
        {text.length > 120 ? `${text.slice(0, 120)}…` : text}
      </code>
    );
  if (typeof v === 'number') return <span class="n">{String(v)}</span>;
  return <>{text}</>;
}

export function DataTable(props: {
  columns: readonly ColumnItem[];
  rows: readonly (readonly JsonValue[])[];
  hide?: readonly string[];
  testid?: string;
  onHeader?: (column: string) => void;
  sort?: { column: string; desc: boolean };
}) {
  const shown = props.columns.map((c, i) => [c, i] as const).filter(([c]) => !props.hide?.includes(c.name));
  return (
    <div class="scroll">
      <table class="data" data-testid={props.testid}>
        <thead>
          <tr>
            {shown.map(([c]) => (
              <th key={c.name} title={c.type}>
                {props.onHeader ? (
                  <button type="button" class="link" onClick={() => props.onHeader?.(c.name)}>
                    {c.name}
                    {props.sort?.column === c.name ? (props.sort.desc ? ' ↓' : ' ↑') : ''}
                  </button>
                ) : (
                  c.name
                )}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.rows.map((r, ri) => (
            <tr key={ri}>
              {shown.map(([c, i]) => (
                <td key={c.name}>
                  <Cell column={c.name} value={r[i] ?? null} />
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      {props.rows.length === 0 && <p class="muted">No rows.</p>}
    </div>
  );
}

export function JsonView(props: { value: JsonValue; testid?: string }) {
  return (
    <pre class="json" data-testid={props.testid}>
      {JSON.stringify(props.value, null, 2)}
    </pre>
  );
}

/** Horizontal bars drawn with the DOM (the counts stay readable text). */
export function Bars(props: { items: readonly { label: string; count: number }[]; testid?: string }) {
  const max = Math.max(1, ...props.items.map((i) => i.count));
  return (
    <ul class="bars" data-testid={props.testid}>
      {props.items.map((i) => (
        <li key={i.label} data-count={i.count}>
          <span class="bar-label" title={i.label}>
            {i.label}
          </span>
          <span class="bar-track">
            <span class="bar" style={{ width: `${(100 * i.count) / max}%` }} />
          </span>
          <span class="bar-count">{count(i.count)}</span>
        </li>
      ))}
    </ul>
  );
}

export function Pager(props: {
  offset: number;
  limit: number;
  total?: number;
  to: (offset: number) => string;
}) {
  const { offset, limit, total } = props;
  const end = total === undefined ? offset + limit : Math.min(total, offset + limit);
  return (
    <div class="pager">
      <a
        class={offset === 0 ? 'disabled' : ''}
        href={offset === 0 ? undefined : props.to(Math.max(0, offset - limit))}
        aria-label="Previous page"
      >
        ← Prev
      </a>
      <span data-testid="pager-range">
        {total === 0 ? '0' : `${count(offset + 1)}–${count(end)}`}
        {total !== undefined && ` of ${count(total)}`}
      </span>
      <a
        class={total !== undefined && end >= total ? 'disabled' : ''}
        href={total !== undefined && end >= total ? undefined : props.to(offset + limit)}
        aria-label="Next page"
      >
        Next →
      </a>
    </div>
  );
}

/** A small column histogram drawn with the DOM; each bin carries its count in `data-count` and its title. */
export function Histogram(props: { bins: readonly { label: string; count: number }[]; testid?: string }) {
  const max = Math.max(1, ...props.bins.map((b) => b.count));
  const first = props.bins[0];
  const last = props.bins.at(-1);
  return (
    <div class="histogram" data-testid={props.testid}>
      <div class="hist-bars">
        {props.bins.map((b) => (
          <span key={b.label} class="hist-bin" data-count={b.count} title={`${b.label}: ${count(b.count)}`}>
            <span class="hist-fill" style={{ height: `${(100 * b.count) / max}%` }} />
          </span>
        ))}
      </div>
      <div class="hist-axis muted small">
        <span>{first?.label.split(' – ')[0]}</span>
        <span>{last?.label.split(' – ')[1]}</span>
      </div>
    </div>
  );
}

/** What an empty workspace says, naming the folder: a typo in --workspace shows here. */
export function NothingCollected() {
  const info = useApi<InfoResponse>(apiUrl('info'));
  return (
    <p class="muted" data-testid="nothing-collected">
      Nothing has been collected in workspace <code>{info.data?.workspace ?? '…'}</code> yet.
    </p>
  );
}
