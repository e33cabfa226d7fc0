import type { Chart, FeatureResult, MetricResult, MonitorResult, SignalResult } from './result.js';

const esc = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** Four significant digits, exponent form for very small or large values. */
export function formatValue(v: number | null): string {
  if (v === null) return '—';
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a < 1e-4 || a >= 1e6 ? v.toExponential(3) : String(Number(v.toPrecision(4)));
}

const W = 320;
const H = 90;

/** Reference (grey) and production (blue) shares side by side, as a small inline SVG. */
function chartSvg(chart: Chart): string {
  const n = chart.reference.length;
  if (n === 0) return '';
  const max = Math.max(...chart.reference, ...chart.production, 1e-12);
  const slot = W / n;
  const bar = Math.max(1, slot / 2 - 0.5);
  const bars: string[] = [];
  const y = (v: number) => (H - (v / max) * (H - 4)).toFixed(1);
  for (let i = 0; i < n; i++) {
    const x = i * slot;
    const r = chart.reference[i]!;
    const p = chart.production[i]!;
    const label =
      chart.kind === 'categories'
        ? chart.categories[i]!
        : `${formatValue(chart.edges[i]!)} – ${formatValue(chart.edges[i + 1]!)}`;
    bars.push(
      `<g><title>${esc(label)}: reference ${(r * 100).toFixed(1)}%, production ${(p * 100).toFixed(1)}%</title>` +
        `<rect x="${x.toFixed(1)}" y="${y(r)}" width="${bar.toFixed(1)}" height="${(H - Number(y(r))).toFixed(1)}" class="r"/>` +
        `<rect x="${(x + bar).toFixed(1)}" y="${y(p)}" width="${bar.toFixed(1)}" height="${(H - Number(y(p))).toFixed(1)}" class="p"/></g>`,
    );
  }
  const axis =
    chart.kind === 'histogram'
      ? `<text x="0" y="${H + 12}">${esc(formatValue(chart.edges[0]!))}</text><text x="${W}" y="${H + 12}" text-anchor="end">${esc(formatValue(chart.edges[n]!))}</text>`
      : '';
  return `<svg viewBox="0 -2 ${W} ${H + 16}" width="${W}" height="${H + 16}" role="img">${bars.join('')}<line x1="0" y1="${H}" x2="${W}" y2="${H}" class="a"/>${axis}</svg>`;
}

/** The verdict of one metric in a word; the report shows no comparison sign that could read as a claim. */
export function verdict(m: MetricResult): string {
  switch (m.status) {
    case 'fail':
      return 'fail';
    case 'pass':
      return 'pass';
    case 'no_data':
      return 'no data';
    default:
      return 'no threshold';
  }
}

/** One row per metric: name, value, threshold (with the direction that alerts) and verdict, each in its own cell. */
function metricTable(metrics: readonly MetricResult[]): string {
  const rows = metrics.map(
    (m) =>
      `<tr class="${m.status}"><td>${esc(m.metric)}</td><td class="v">${formatValue(m.value)}</td>` +
      `<td class="v">${m.threshold === null ? '—' : formatValue(m.threshold)}</td>` +
      `<td>${m.threshold === null ? '—' : `value ${m.alertWhen} it`}</td>` +
      `<td class="verdict">${esc(verdict(m))}</td></tr>`,
  );
  return `<table class="m"><tr><th>metric</th><th>value</th><th>threshold</th><th>alert when</th><th>verdict</th></tr>${rows.join('')}</table>`;
}

function featureRow(f: FeatureResult): string {
  const chart = f.chart ? chartSvg(f.chart) : '';
  return `<tr class="${f.status}"><th>${esc(f.feature)}<div class="s">${f.featureType}, ${f.values.production}/${f.rows.production} prod, ${f.values.reference}/${f.rows.reference} ref</div></th><td>${metricTable(f.metrics)}</td><td>${chart}</td></tr>`;
}

function signalSection(s: SignalResult): string {
  const window = (w: SignalResult['production']) =>
    `${esc(w.source)}${w.since ? ` (${esc(w.since)} – ${esc(w.until ?? '')})` : ''}, ${w.rows} rows`;
  const findings = s.findings.length
    ? `<ul class="f">${s.findings.map((f) => `<li class="${f.severity}">${esc(f.message)}</li>`).join('')}</ul>`
    : '';
  const metrics = s.metrics.length ? metricTable(s.metrics) : '';
  const failing = s.features.filter((f) => f.status === 'fail').length;
  const features = s.features.length
    ? `<p>${failing} of ${s.features.length} features breach a threshold.</p><table class="feat">${[
        ...s.features,
      ]
        .sort((a, b) => rank(a.status) - rank(b.status))
        .map(featureRow)
        .join('')}</table>`
    : '';
  return `<section><h2 class="${s.status}">${esc(s.name)} <small>${esc(s.type)} · ${s.status}</small></h2><p>production: ${window(s.production)}<br>reference: ${window(s.reference)}</p>${findings}${metrics}${features}</section>`;
}

const rank = (s: string) => (s === 'fail' ? 0 : s === 'no_data' ? 1 : 2);

const CSS = `body{font:14px system-ui,sans-serif;margin:2em;color:#222}h1 small,h2 small{color:#666;font-weight:normal}
h2.fail{color:#b00020}h2.pass{color:#1b5e20}h2.incomplete{color:#8a6d00}table{border-collapse:collapse}
table.feat>tbody>tr>*{border-top:1px solid #ddd;padding:6px 8px;vertical-align:top;text-align:left}
.s{font-weight:normal;color:#666;font-size:12px}table.m td,table.m th{padding:2px 8px;white-space:nowrap;text-align:left}
table.m th{font-weight:normal;color:#666;font-size:12px}table.m td.v{text-align:right;font-variant-numeric:tabular-nums}
table.m tr.fail>td.verdict{background:#fde7e9;color:#b00020;font-weight:bold}table.m tr.pass>td.verdict{background:#e8f5e9}
table.m tr.no_data>td.verdict{background:#fff8e1}
rect.r{fill:#9e9e9e}rect.p{fill:#1e88e5}line.a{stroke:#999}svg text{font-size:10px;fill:#666}
ul.f li.error{color:#b00020}ul.f li.warning{color:#8a6d00}footer{margin-top:2em;color:#666;font-size:12px}`;

/** A self-contained HTML page of a run: no scripts, no external files; charts are inline SVG. */
export function renderHtml(result: MonitorResult): string {
  const notes = Object.entries(result.method)
    .map(([k, v]) => `<li><b>${esc(k)}</b>: ${esc(v)}</li>`)
    .join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(result.monitor)} · ${result.status}</title><style>${CSS}</style></head><body>
<h1>${esc(result.monitor)} <small>${esc(result.runAt)} · ${result.status}</small></h1>
<p><span style="color:#9e9e9e">■</span> reference <span style="color:#1e88e5">■</span> production</p>
${result.signals.map(signalSection).join('\n')}
<footer><p>How the numbers are computed:</p><ul>${notes}</ul></footer></body></html>
`;
}
