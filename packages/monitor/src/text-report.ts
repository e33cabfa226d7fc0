import { formatValue } from './html-report.js';
import type { MonitorResult } from './result.js';

/** A short plain-text summary for the terminal: breaches first, then findings. */
export function renderText(result: MonitorResult): string {
  const lines: string[] = [`${result.monitor}: ${result.status} (${result.runAt})`];
  for (const s of result.signals) {
    lines.push(
      `  ${s.name} [${s.type}]: ${s.status} — production ${s.production.rows} rows, reference ${s.reference.rows} rows`,
    );
    for (const m of s.metrics)
      lines.push(
        `    ${m.status.padEnd(7)} ${m.metric} = ${formatValue(m.value)}${m.threshold === null ? '' : ` (alert ${m.alertWhen} ${m.threshold})`}`,
      );
    for (const f of s.features) {
      for (const m of f.metrics) {
        if (m.status === 'pass' || m.status === 'info') continue;
        lines.push(
          `    ${m.status.padEnd(7)} ${f.feature}: ${m.metric} = ${formatValue(m.value)}${m.threshold === null ? '' : ` (alert ${m.alertWhen} ${m.threshold})`}`,
        );
      }
    }
    const passed = s.features.filter((f) => f.status === 'pass').length;
    if (s.features.length) lines.push(`    ${passed} of ${s.features.length} features pass`);
    for (const f of s.findings) lines.push(`    ${f.severity}: ${f.message}`);
  }
  return `${lines.join('\n')}\n`;
}
