// The only module that imports uPlot: the bundler puts it in its own chunk, loaded when a chart is drawn.
import uPlot from 'uplot';
import type { Series } from './chart.js';

export function drawChart(
  el: HTMLElement,
  x: readonly number[],
  series: readonly Series[],
  opts: { bars: boolean; width: number; height: number },
): uPlot {
  const bars = opts.bars ? uPlot.paths.bars?.({ size: [0.7, 80] }) : undefined;
  // Bars stand on their period's start: half a period of room on each side keeps the first and last whole.
  let step = Number.POSITIVE_INFINITY;
  for (let i = 1; i < x.length; i++) step = Math.min(step, x[i]! - x[i - 1]!);
  const pad = opts.bars ? (Number.isFinite(step) ? step : 3600) / 2 : 0;
  return new uPlot(
    {
      width: opts.width,
      height: opts.height,
      legend: { show: series.length > 1 },
      cursor: { drag: { x: false, y: false } },
      scales: {
        x: { time: true, range: (_u, min, max) => [min - pad, max + pad] },
        y: { range: (_u, _min, max) => [0, Math.max(1, max) * 1.1] },
      },
      axes: [
        { stroke: 'currentColor', grid: { stroke: 'rgba(128,128,128,0.15)' } },
        { stroke: 'currentColor', grid: { stroke: 'rgba(128,128,128,0.15)' }, size: 48 },
      ],
      series: [
        {},
        ...series.map((s) => ({
          label: s.label,
          stroke: s.color,
          fill: opts.bars ? `${s.color}99` : `${s.color}22`,
          width: opts.bars ? 0 : 2,
          ...(bars ? { paths: bars, points: { show: false } } : {}),
        })),
      ],
    },
    [x as number[], ...series.map((s) => s.values as number[])],
    el,
  );
}
