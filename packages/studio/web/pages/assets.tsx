import { useMemo } from 'preact/hooks';
import type { AssetDetail, AssetItem } from '../../src/api-types.js';
import { apiUrl, useApi } from '../api.js';
import { TimeChart } from '../chart.js';
import { Bars, Crumbs, NothingCollected, Stat, status } from '../components.js';
import { bytes, count, time } from '../format.js';
import { go, href, type Route } from '../router.js';

const PERIODS = ['minute', 'hour', 'day', 'month', 'year'];

export function AssetsPage(props: { route: Route }) {
  const name = props.route.segments[1];
  return name ? <AssetView name={name} route={props.route} /> : <AssetList target="assets" />;
}

/** The collections of the workspace; `target` says which page a name opens. */
export function AssetList(props: { target: 'assets' | 'records' }) {
  const l = useApi<{ assets: AssetItem[] }>(apiUrl('assets'));
  return (
    <>
      <h1>{props.target === 'assets' ? 'Data assets' : 'Records'}</h1>
      {props.target === 'records' && <p class="muted">Pick a collection to page through its rows.</p>}
      {status(l) ?? (
        <div class="scroll">
          <table class="data" data-testid="assets">
            <thead>
              <tr>
                <th>Name</th>
                <th>Versions</th>
                <th>Endpoint</th>
                <th>Deployment</th>
                <th>Collection</th>
              </tr>
            </thead>
            <tbody>
              {l.data?.assets.map((a) => (
                <tr key={a.name}>
                  <td>
                    <a href={href([props.target, a.name])}>{a.name}</a>
                  </td>
                  <td>
                    {a.versions.length ? a.versions.join(', ') : <span class="muted">not registered</span>}
                  </td>
                  <td>{a.endpoint}</td>
                  <td>{a.deployment}</td>
                  <td>{a.collection}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {l.data?.assets.length === 0 && <NothingCollected />}
        </div>
      )}
    </>
  );
}

/** The end (ms) of the UTC calendar period starting at `startMs`. */
function periodEnd(startMs: number, period: string): number {
  const d = new Date(startMs);
  if (period === 'year') return Date.UTC(d.getUTCFullYear() + 1, 0, 1);
  if (period === 'month') return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  const ms = { minute: 60_000, hour: 3_600_000, day: 86_400_000 }[period] ?? 3_600_000;
  return startMs + ms;
}

/** `azureml://datastores/<ds>/paths/<p>` → the folder page of the studio. */
function folderLink(uri: string): string | undefined {
  const m = /^azureml:\/\/(?:.*\/)?datastores\/([^/]+)\/paths\/(.*)$/i.exec(uri);
  return m ? href(['datastores', m[1]!], { path: m[2]!.replace(/\/+$/, '') }) : undefined;
}

function AssetView(props: { name: string; route: Route }) {
  const version = props.route.params.get('version') ?? undefined;
  const period = props.route.params.get('period') ?? undefined;
  const l = useApi<AssetDetail>(apiUrl(`assets/${encodeURIComponent(props.name)}`, { version, period }));
  const d = l.data;
  const chart = useMemo(() => {
    if (!d) return undefined;
    // A bar fills its period: drawn at the period's middle, the axis running from the first start to the last end.
    const spans = d.periods.map((p) => {
      const start = Date.parse(p.start);
      return [start / 1000, periodEnd(start, d.period) / 1000] as const;
    });
    return {
      x: spans.map(([s, e]) => (s + e) / 2),
      range: spans.length ? ([spans[0]![0], spans[spans.length - 1]![1]] as const) : undefined,
      series: [{ label: 'events', values: d.periods.map((p) => p.events), color: '#3b82f6' }],
    };
  }, [d]);
  const files = d ? folderLink(d.uri) : undefined;
  return (
    <>
      <Crumbs items={[['Data assets', href(['assets'])], [props.name]]} />
      {status(l) ??
        (d && (
          <>
            <h1 class="title">
              {d.name}
              {d.version && <span class="badge">v{d.version}</span>}
            </h1>
            <p class="muted">
              {d.endpoint} / {d.deployment} / {d.collection} · {d.kind} · <code class="uri">{d.uri}</code>
            </p>
            <p class="actions">
              <a class="button" href={href(['records', d.name], { version })}>
                Browse records
              </a>
              {files && (
                <a class="button" href={files}>
                  Browse files
                </a>
              )}
              {d.versions.length > 1 && (
                <label>
                  Version{' '}
                  <select
                    value={d.version}
                    onChange={(e) =>
                      go(href(['assets', d.name], { version: (e.target as HTMLSelectElement).value, period }))
                    }
                  >
                    {d.versions.map((v) => (
                      <option key={v} value={v}>
                        {v}
                      </option>
                    ))}
                  </select>
                </label>
              )}
            </p>
            <div class="stats">
              <Stat label="Events" value={count(d.events)} testid="asset-events" />
              <Stat label="Rows" value={count(d.rows)} testid="asset-rows" />
              <Stat label="Files" value={count(d.files + d.payloadFiles)} />
              <Stat label="Size" value={bytes(d.bytes)} />
              <Stat label="First event" value={time(d.firstTime) || '—'} />
              <Stat label="Last event" value={time(d.lastTime) || '—'} />
            </div>
            <section>
              <h2>
                Events per{' '}
                <select
                  aria-label="Period"
                  value={d.period}
                  onChange={(e) =>
                    go(href(['assets', d.name], { version, period: (e.target as HTMLSelectElement).value }))
                  }
                >
                  {PERIODS.map((p) => (
                    <option key={p} value={p}>
                      {p}
                    </option>
                  ))}
                </select>
              </h2>
              {chart && chart.x.length > 0 ? (
                <TimeChart x={chart.x} range={chart.range} series={chart.series} bars testid="asset-chart" />
              ) : (
                <p class="muted">No events.</p>
              )}
              <details open={d.periods.length <= 48}>
                <summary>
                  {count(d.periods.length)} {d.period}
                  {d.periods.length === 1 ? '' : 's'} with events
                </summary>
                <Bars
                  items={d.periods.map((p) => ({ label: time(p.start), count: p.events }))}
                  testid="period-counts"
                />
              </details>
            </section>
            <section>
              <h2>Columns</h2>
              <div class="scroll">
                <table class="data" data-testid="asset-columns">
                  <thead>
                    <tr>
                      <th>Name</th>
                      <th>Type</th>
                    </tr>
                  </thead>
                  <tbody>
                    {d.columns.map((c) => (
                      <tr key={c.name}>
                        <td>{c.name}</td>
                        <td>
                          <code>{c.type}</code>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </section>
          </>
        ))}
    </>
  );
}
