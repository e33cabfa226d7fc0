import { useState } from 'preact/hooks';
import type { RecentRequest, RequestCollection, RequestResponse } from '../../src/api-types.js';
import { apiUrl, useApi } from '../api.js';
import { Crumbs, DataTable, JsonView, status } from '../components.js';
import { time } from '../format.js';
import { go, href, type Route } from '../router.js';

/** The four collections of a scored request, in the order they happen. */
const MAIN = ['request', 'model_inputs', 'model_outputs', 'response'];
const META = ['time', 'correlationid', 'row_index', 'id', 'event_id', 'modelversion'];

export function RequestsPage(props: { route: Route }) {
  const id = props.route.segments[1];
  return id ? <RequestView id={id} /> : <RecentRequests />;
}

function SearchForm(props: { initial?: string }) {
  const [id, setId] = useState(props.initial ?? '');
  return (
    <form
      class="toolbar"
      onSubmit={(e) => {
        e.preventDefault();
        if (id.trim()) go(href(['requests', id.trim()]));
      }}
    >
      <input
        name="id"
        aria-label="Correlation id"
        placeholder="Correlation id"
        value={id}
        onInput={(e) => setId((e.target as HTMLInputElement).value)}
      />
      <button type="submit">Find</button>
    </form>
  );
}

function RecentRequests() {
  const l = useApi<{ requests: RecentRequest[] }>(apiUrl('requests', { limit: 25 }));
  return (
    <>
      <h1>Requests</h1>
      <p class="muted">
        A request's payloads, model inputs and model outputs side by side, found by correlation id.
      </p>
      <SearchForm />
      <h2>Latest</h2>
      {status(l) ?? (
        <div class="scroll">
          <table class="data" data-testid="recent-requests">
            <thead>
              <tr>
                <th>Correlation id</th>
                <th>Time</th>
                <th>Deployment</th>
                <th>Collections</th>
              </tr>
            </thead>
            <tbody>
              {l.data?.requests.map((r) => (
                <tr key={`${r.endpoint}/${r.deployment}/${r.correlationId}`}>
                  <td>
                    <a class="cid" href={href(['requests', r.correlationId])}>
                      {r.correlationId}
                    </a>
                  </td>
                  <td class="nowrap">{time(r.time)}</td>
                  <td>
                    {r.endpoint}/{r.deployment}
                  </td>
                  <td>{r.collections.join(', ')}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {l.data?.requests.length === 0 && <p class="muted">No requests collected yet.</p>}
        </div>
      )}
    </>
  );
}

function RequestView(props: { id: string }) {
  const l = useApi<RequestResponse>(apiUrl(`requests/${encodeURIComponent(props.id)}`));
  return (
    <>
      <Crumbs items={[['Requests', href(['requests'])], [props.id]]} />
      <SearchForm initial={props.id} />
      {status(l) ??
        (l.data && (
          <>
            {l.data.groups.length === 0 && (
              <p class="muted" data-testid="no-request">
                No collection has an event with correlation id <code>{props.id}</code>.
              </p>
            )}
            {l.data.groups.map((g) => {
              const names = [
                ...MAIN,
                ...g.collections.map((c) => c.collection).filter((c) => !MAIN.includes(c)),
              ];
              return (
                <section key={`${g.endpoint}/${g.deployment}`}>
                  <h2>
                    {g.endpoint} / {g.deployment}
                  </h2>
                  <div class="side-by-side">
                    {names.map((n) => (
                      <CollectionPanel key={n} name={n} c={g.collections.find((c) => c.collection === n)} />
                    ))}
                  </div>
                </section>
              );
            })}
          </>
        ))}
    </>
  );
}

/**
 * An answer's text (an LLM completion, streamed or not) above its JSON, with a streamed answer's timing: how it
 * ended, time to first byte and duration.
 */
function AnswerText(props: { row: readonly unknown[]; col: (name: string) => number }) {
  const { row, col } = props;
  const text = col('text') >= 0 ? row[col('text')] : null;
  // A text body is its own data: shown once, as JSON below.
  if (typeof text !== 'string' || typeof row[col('data')] === 'string') return null;
  const streamed = col('streamstatus') >= 0 ? row[col('streamstatus')] : null;
  return (
    <div data-testid="answer-text">
      <pre class="json answer">{text}</pre>
      {streamed != null && (
        <p class="muted small" data-testid="stream-timing">
          streamed, {String(streamed)} · first byte {String(row[col('ttftms')] ?? '?')} ms · done in{' '}
          {String(row[col('durationms')] ?? '?')} ms
        </p>
      )}
    </div>
  );
}

function CollectionPanel(props: { name: string; c?: RequestCollection }) {
  const c = props.c;
  if (!c)
    return (
      <div class="panel empty" data-testid={`panel-${props.name}`}>
        <div class="panel-head">
          <strong>{props.name}</strong>
        </div>
        <p class="muted small">Not collected for this request.</p>
      </div>
    );
  const col = (name: string) => c.columns.findIndex((x) => x.name === name);
  const first = c.rows[0] ?? [];
  const payload = col('data') >= 0 && col('path') >= 0;
  return (
    <div class="panel" data-testid={`panel-${c.collection}`} data-rows={c.rows.length}>
      <div class="panel-head">
        <strong>{c.collection}</strong>
        <span class="muted small">
          {time(String(first[col('time')] ?? ''))} · {c.rows.length} row{c.rows.length === 1 ? '' : 's'}
        </span>
      </div>
      {payload ? (
        c.rows.map((r, i) => (
          <div key={i}>
            {(r[col('method')] || r[col('path')]) && (
              <div class="muted small">
                <code>
                  {String(r[col('method')] ?? '')} {String(r[col('path')] ?? '')}
                </code>
              </div>
            )}
            <AnswerText row={r} col={col} />
            {r[col('data_uri')] ? (
              <p class="small">
                Stored separately: <code>{String(r[col('data_uri')])}</code>
              </p>
            ) : null}
            <JsonView value={r[col('data')] ?? null} />
          </div>
        ))
      ) : (
        <DataTable columns={c.columns} rows={c.rows} hide={META} />
      )}
      <a
        class="small"
        href={href(['records', c.name], {
          filter: [`eq:correlationid:${String(first[col('correlationid')] ?? '')}`],
        })}
      >
        Open in records
      </a>
    </div>
  );
}
