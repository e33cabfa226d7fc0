import { useEffect, useRef } from 'preact/hooks';

export interface Series {
  readonly label: string;
  readonly values: readonly number[];
  readonly color: string;
}

/**
 * A time-series chart (uPlot, loaded on first use). `x` is seconds since the epoch; `range` is the x axis's
 * span in seconds (default: the first to the last x). The drawn span is kept in `data-x-min`/`data-x-max`.
 */
export function TimeChart(props: {
  x: readonly number[];
  range?: readonly [number, number];
  series: readonly Series[];
  bars?: boolean;
  height?: number;
  testid?: string;
}) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    let plot: { destroy(): void; setSize(s: { width: number; height: number }): void } | undefined;
    let cancelled = false;
    const height = props.height ?? 220;
    let observer: ResizeObserver | undefined;
    import('./uplot-chart.js').then(({ drawChart }) => {
      if (cancelled) return;
      plot = drawChart(el, props.x, props.series, {
        bars: props.bars ?? false,
        ...(props.range ? { range: props.range } : {}),
        height,
        width: el.clientWidth || 600,
        onXScale: (min, max) => {
          el.dataset.xMin = String(min);
          el.dataset.xMax = String(max);
        },
      });
      observer = new ResizeObserver(() => plot?.setSize({ width: el.clientWidth, height }));
      observer.observe(el);
      el.dataset.ready = 'true';
    });
    return () => {
      cancelled = true;
      observer?.disconnect();
      plot?.destroy();
      delete el.dataset.ready;
      delete el.dataset.xMin;
      delete el.dataset.xMax;
    };
  }, [props.x, props.range, props.series, props.bars, props.height]);
  return <div class="chart" ref={box} data-testid={props.testid} />;
}
