import { useState } from 'preact/hooks';
import type { ColumnItem, ColumnSummary, RecordsPage as Page, SummaryResponse } from '../../src/api-types.js';
import { apiUrl, useApi } from '../api.js';
import { Bars, Crumbs, DataTable, Histogram, Pager, status } from '../components.js';
import { count, num, time } from '../format.js';
import { go, href, type Route } from '../router.js';
import { AssetList } from './assets.js';

const OPS = [
  ['eq', '='],
  ['ne', '≠'],
  ['lt', '<'],
  ['le', '≤'],
  ['gt', '>'],
  ['ge', '≥'],
  ['contains', 'contains'],
  ['null', 'is null'],
  ['notnull', 'is not null'],
] as const;
const LIMIT = 50;

export function RecordsPage(props: { route: Route }) {
  const name = props.route.segments[1];
  return name ? <RecordsView name={name} route={props.route} /> : <AssetList target="records" />;
}

function RecordsView(props: { name: string; route: Route }) {
  const p = props.route.params;
  const state = {
    version: p.get('version') ?? undefined,
    since: p.get('since') ?? undefined,
    until: p.get('until') ?? undefined,
    filter: p.getAll('filter'),
    sort: p.get('sort') ?? undefined,
    desc: p.get('desc') ?? undefined,
  };
  const offset = Number(p.get('offset') ?? 0) || 0;
  const to = (change: Partial<typeof state> & { offset?: number }) =>
    href(['records', props.name], { ...state, offset: 0, ...change });
  const base = `records/${encodeURIComponent(props.name)}`;
  const rows = useApi<Page>(apiUrl(base, { ...state, offset, limit: LIMIT }));
  const summary = useApi<SummaryResponse>(
    apiUrl(`${base}/summary`, {
      version: state.version,
      since: state.since,
      until: state.until,
      filter: state.filter,
    }),
  );
  const columns = rows.data?.columns ?? [];
  return (
    <>
      <Crumbs
        items={[
          ['Records', href(['records'])],
          [props.name, href(['assets', props.name], { version: state.version })],
        ]}
      />
      <TimeRangeForm
        since={state.since}
        until={state.until}
        onApply={(since, until) => go(to({ since, until }))}
      />
      <Filters columns={columns} filters={state.filter} onChange={(filter) => go(to({ filter }))} />
      {status(rows) ??
        (rows.data && (
          <>
            <Pager offset={offset} limit={LIMIT} total={rows.data.total} to={(o) => to({ offset: o })} />
            <DataTable
              columns={rows.data.columns}
              rows={rows.data.rows}
              hide={['event_id', 'row_index']}
              testid="records"
              sort={state.sort ? { column: state.sort, desc: state.desc === '1' } : undefined}
              onHeader={(c) =>
                go(to({ sort: c, desc: state.sort === c && state.desc !== '1' ? '1' : undefined }))
              }
            />
          </>
        ))}
      <section>
        <h2>Column summary</h2>
        {status(summary) ??
          (summary.data && (
            <div class="cards" data-testid="summary">
              {summary.data.columns
                .filter((c) => !['id', 'time'].includes(c.name))
                .map((c) => (
                  <SummaryCard key={c.name} c={c} />
                ))}
            </div>
          ))}
      </section>
    </>
  );
}

function TimeRangeForm(props: {
  since?: string;
  until?: string;
  onApply: (since?: string, until?: string) => void;
}) {
  const [since, setSince] = useState(props.since ?? '');
  const [until, setUntil] = useState(props.until ?? '');
  return (
    <form
      class="toolbar"
      onSubmit={(e) => {
        e.preventDefault();
        props.onApply(since.trim() || undefined, until.trim() || undefined);
      }}
    >
      <label>
        Since{' '}
        <input
          name="since"
          value={since}
          placeholder="e.g. 6h, 2024-03-05"
          onInput={(e) => setSince((e.target as HTMLInputElement).value)}
        />
      </label>
      <label>
        Until{' '}
        <input
          name="until"
          value={until}
          placeholder="now"
          onInput={(e) => setUntil((e.target as HTMLInputElement).value)}
        />
      </label>
      <button type="submit">Apply</button>
    </form>
  );
}

function Filters(props: {
  columns: readonly ColumnItem[];
  filters: readonly string[];
  onChange: (f: string[]) => void;
}) {
  const [column, setColumn] = useState('');
  const [op, setOp] = useState('eq');
  const [value, setValue] = useState('');
  const col =
    column ||
    props.columns.find((c) => !['time', 'event_id', 'row_index', 'id'].includes(c.name))?.name ||
    '';
  return (
    <div class="filters">
      {props.filters.map((f) => (
        <span class="chip" key={f}>
          {f.replace(/^(\w+):/, (_m, o: string) => `${OPS.find(([k]) => k === o)?.[1] ?? o} `)}
          <button
            type="button"
            aria-label={`Remove filter ${f}`}
            onClick={() => props.onChange(props.filters.filter((x) => x !== f))}
          >
            ✕
          </button>
        </span>
      ))}
      <form
        class="toolbar"
        onSubmit={(e) => {
          e.preventDefault();
          if (!col) return;
          const noValue = op === 'null' || op === 'notnull';
          props.onChange([...props.filters, noValue ? `${op}:${col}` : `${op}:${col}:${value}`]);
          setValue('');
        }}
      >
        <select
          name="column"
          aria-label="Column"
          value={col}
          onChange={(e) => setColumn((e.target as HTMLSelectElement).value)}
        >
          {props.columns.map((c) => (
            <option key={c.name} value={c.name}>
              {c.name}
            </option>
          ))}
        </select>
        <select
          name="op"
          aria-label="Operator"
          value={op}
          onChange={(e) => setOp((e.target as HTMLSelectElement).value)}
        >
          {OPS.map(([k, label]) => (
            <option key={k} value={k}>
              {label}
            </option>
          ))}
        </select>
        <input
          name="value"
          aria-label="Value"
          value={value}
          onInput={(e) => setValue((e.target as HTMLInputElement).value)}
        />
        <button type="submit">Add filter</button>
      </form>
    </div>
  );
}

function SummaryCard(props: { c: ColumnSummary }) {
  const c = props.c;
  return (
    <div class="card" data-column={c.name}>
      <div class="card-head">
        <strong>{c.name}</strong> <code>{c.type}</code>
      </div>
      <div class="muted small">
        nulls {(100 * c.nullRate).toFixed(1)}% ({count(c.nulls)} of {count(c.count)}) ·{' '}
        {count(c.distinct ?? 0)} distinct
        {c.mean !== undefined && <> · mean {num(c.mean)}</>}
        {c.kind === 'time' && c.min && (
          <>
            {' '}
            · {time(String(c.min))} – {time(String(c.max))}
          </>
        )}
      </div>
      {c.histogram && (
        <Histogram
          testid="histogram"
          bins={c.histogram.map((b) => ({ label: `${num(b.lo)} – ${num(b.hi)}`, count: b.count }))}
        />
      )}
      {c.top && <Bars testid="top-values" items={c.top.map((t) => ({ label: t.value, count: t.count }))} />}
    </div>
  );
}
