// The only module that imports uPlot: the bundler puts it in its own chunk, loaded when a chart is drawn.
import uPlot from 'uplot';
import type { Series } from './chart.js';

export function drawChart(
  el: HTMLElement,
  x: readonly number[],
  series: readonly Series[],
  opts: {
    bars: boolean;
    width: number;
    height: number;
    range?: readonly [number, number];
    /** Called with the x axis's span (seconds) each time uPlot sets it. */
    onXScale?: (min: number, max: number) => void;
  },
): uPlot {
  const bars = opts.bars ? uPlot.paths.bars?.({ size: [0.7, 80] }) : undefined;
  // The x range comes from the data, never from uPlot's automatic one: for a single time point uPlot widens it
  // by 86,400 / ms seconds (2.7 years when x is in seconds).
  const first = x[0] ?? 0;
  const last = x[x.length - 1] ?? first;
  const range: readonly [number, number] =
    opts.range ?? (last > first ? [first, last] : [first - 1800, first + 1800]);
  return new uPlot(
    {
      width: opts.width,
      height: opts.height,
      legend: { show: series.length > 1 },
      cursor: { drag: { x: false, y: false } },
      hooks: {
        setScale: [
          (u, key) => {
            const sc = u.scales[key];
            if (key === 'x' && sc?.min != null && sc.max != null) opts.onXScale?.(sc.min, sc.max);
          },
        ],
      },
      scales: {
        x: { time: true, range: () => [range[0], range[1]] },
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
