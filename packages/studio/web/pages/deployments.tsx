import { useMemo } from 'preact/hooks';
import type { DeploymentActivity, DeploymentsResponse, MetricsSource } from '../../src/api-types.js';
import { apiUrl, useApi } from '../api.js';
import { TimeChart } from '../chart.js';
import { NothingCollected, status } from '../components.js';
import { ago, bytes, count, duration, time } from '../format.js';
import { go, href, type Route } from '../router.js';

const REFRESH_MS = 5000;
const COLORS = ['#3b82f6', '#f59e0b', '#10b981', '#ef4444', '#8b5cf6', '#06b6d4', '#ec4899'];
const WINDOWS = [15, 60, 360, 1440];

export function DeploymentsPage(props: { route: Route }) {
  const window = Number(props.route.params.get('window') ?? 60) || 60;
  const l = useApi<DeploymentsResponse>(apiUrl('deployments', { window }), REFRESH_MS);
  const d = l.data;
  return (
    <>
      <h1>Deployments</h1>
      <p class="toolbar muted">
        What each deployment wrote in the last{' '}
        <select
          aria-label="Window"
          value={window}
          onChange={(e) => go(href(['deployments'], { window: (e.target as HTMLSelectElement).value }))}
        >
          {WINDOWS.map((w) => (
            <option key={w} value={w}>
              {w < 60 ? `${w} minutes` : w === 60 ? 'hour' : `${w / 60} hours`}
            </option>
          ))}
        </select>
        , read from the datastore; refreshed every {REFRESH_MS / 1000} s
        {d && <span data-testid="refreshed"> · updated {time(d.nowMs)}</span>}
        {l.loading && d && <span class="spinner" aria-hidden="true" />}
      </p>
      {l.error && !d && status(l)}
      {!d && !l.error && status(l)}
      {d && d.deployments.length === 0 && <NothingCollected />}
      {d?.deployments.map((dep) => (
        <Deployment key={`${dep.endpoint}/${dep.deployment}`} dep={dep} resp={d} />
      ))}
      {d && d.metrics.length > 0 && <Servers sources={d.metrics} />}
    </>
  );
}

function Deployment(props: { dep: DeploymentActivity; resp: DeploymentsResponse }) {
  const { dep, resp } = props;
  const chart = useMemo(
    () => ({
      x: Array.from({ length: resp.windowMinutes }, (_, i) => resp.sinceMs / 1000 + i * 60),
      series: dep.collections.map((c, i) => ({
        label: c.collection,
        values: c.perMinute,
        color: COLORS[i % COLORS.length]!,
      })),
    }),
    [dep, resp.windowMinutes, resp.sinceMs],
  );
  return (
    <section class="deployment" data-testid={`deployment-${dep.endpoint}-${dep.deployment}`}>
      <h2>
        {dep.endpoint} / {dep.deployment}{' '}
        <span class="muted small">
          <span data-testid="deployment-events">{count(dep.events)}</span> events · {dep.instances.length}{' '}
          instance
          {dep.instances.length === 1 ? '' : 's'}
        </span>
      </h2>
      {dep.events > 0 && <TimeChart x={chart.x} series={chart.series} height={180} testid="activity-chart" />}
      <div class="scroll">
        <table class="data">
          <thead>
            <tr>
              <th>Collection</th>
              <th class="r">Events</th>
              <th class="r">Written</th>
              <th>Last write</th>
              <th>Last event</th>
              <th class="r">Delivery lag</th>
              <th>Instances</th>
            </tr>
          </thead>
          <tbody>
            {dep.collections.map((c) => {
              const lags = c.instances
                .map((i) => i.deliveryLagMs)
                .filter((x): x is number => x !== undefined);
              return (
                <tr key={c.collection} data-collection={c.collection}>
                  <td>
                    <a href={href(['assets', `${dep.endpoint}-${dep.deployment}-${c.collection}`])}>
                      {c.collection}
                    </a>
                  </td>
                  <td class="r" data-testid="collection-events">
                    {count(c.events)}
                  </td>
                  <td class="r">{bytes(c.bytes)}</td>
                  <td title={c.lastWriteMs ? time(c.lastWriteMs) : ''}>
                    {c.lastWriteMs ? ago(c.lastWriteMs, resp.nowMs) : '—'}
                  </td>
                  <td class="nowrap">{time(c.lastEventTime) || '—'}</td>
                  <td class="r">{lags.length ? duration(Math.max(...lags)) : '—'}</td>
                  <td>
                    {c.instances.map((i) => (
                      <span
                        class="chip"
                        key={i.instanceId}
                        title={`${count(i.events)} events, last write ${time(i.lastWriteMs)}`}
                      >
                        {i.instanceId.length > 12 ? `${i.instanceId.slice(0, 8)}…` : i.instanceId}
                      </span>
                    ))}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function Servers(props: { sources: readonly MetricsSource[] }) {
  return (
    <section>
      <h2>Running servers</h2>
      {props.sources.map((s) => (
        <div key={s.url} class="card" data-testid="metrics-source">
          <div class="card-head">
            <code>{s.url}</code>{' '}
            {s.ok ? (
              <span class="ok">up</span>
            ) : (
              <span class="bad" title={s.error}>
                unreachable
              </span>
            )}
          </div>
          {s.ok && (
            <>
              <div class="muted small">
                queue {count(s.queueEvents ?? 0)} / {count(s.queueMaxEvents ?? 0)} events
              </div>
              <div class="scroll">
                <table class="data">
                  <thead>
                    <tr>
                      <th>Collection</th>
                      <th class="r">Collected</th>
                      <th class="r">Written</th>
                      <th class="r">Dropped</th>
                      <th class="r">Failed</th>
                      <th class="r">Sampled out</th>
                    </tr>
                  </thead>
                  <tbody>
                    {Object.entries(s.collections ?? {}).map(([name, m]) => (
                      <tr key={name} data-collection={name}>
                        <td>{name}</td>
                        <td class="r">{count(m.collected)}</td>
                        <td class="r">{count(m.written)}</td>
                        <td class={`r ${m.dropped > 0 ? 'bad' : ''}`} data-testid="dropped">
                          {count(m.dropped)}
                        </td>
                        <td class={`r ${m.failed > 0 ? 'bad' : ''}`}>{count(m.failed)}</td>
                        <td class="r">{count(m.sampledOut)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </>
          )}
        </div>
      ))}
    </section>
  );
}
