/** Time-series charts (uPlot, canvas), each with a text caption: the numbers are also in tables. */
import uPlot from 'uplot'
import { count, ms, percent } from './format.js'
import type { SeriesPoint } from './types.js'

/** The charts of one rendered page: built once the page is in the document, destroyed with it. */
export interface Charts {
  /** Draw a chart into `target` when the page is mounted. */
  add(
    target: HTMLElement,
    build: (width: number) => { options: uPlot.Options; data: uPlot.AlignedData },
  ): void
  /** Build every added chart at its container's width (the page is in the document now). */
  mount(): void
  /** Fit every chart to its container's current width. */
  resize(): void
  destroy(): void
}

/** A set of charts for one page render. */
export function createCharts(): Charts {
  const pending: { target: HTMLElement; build: Parameters<Charts['add']>[1] }[] = []
  const drawn: { target: HTMLElement; plot: uPlot }[] = []
  const widthOf = (target: HTMLElement) => Math.max(160, Math.floor(target.clientWidth))
  return {
    add(target, build) {
      pending.push({ target, build })
    },
    mount() {
      for (const { target, build } of pending.splice(0)) {
        const { options, data } = build(widthOf(target))
        drawn.push({ target, plot: new uPlot(options, data, target) })
      }
    },
    resize() {
      for (const { target, plot } of drawn) plot.setSize({ width: widthOf(target), height: plot.height })
    },
    destroy() {
      for (const { plot } of drawn.splice(0)) plot.destroy()
      pending.length = 0
    },
  }
}

const PRIMARY = '#1d5fa8'
const SHADOW = '#b4530a'
const MATCH = '#2f7d4f'
const MISMATCH = '#b42318'
const FAILED = '#6b7280'

const RUN_TICKS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6]

const seconds = (points: readonly SeriesPoint[]) => points.map((point) => Date.parse(point.t) / 1000)

/** Match rate over time, no axes: the overview card's sparkline. */
export function sparkline(points: readonly SeriesPoint[], width: number, label: string) {
  return {
    options: {
      width,
      height: 48,
      title: undefined,
      legend: { show: false },
      cursor: { show: false },
      select: { show: false, left: 0, top: 0, width: 0, height: 0 },
      axes: [{ show: false }, { show: false }],
      scales: { x: { time: true }, y: { range: (_u, min, max) => padRange(min, max, 0.02) } },
      series: [{}, { label, stroke: MATCH, width: 2, fill: 'rgba(47, 125, 79, 0.12)', spanGaps: false }],
    } satisfies uPlot.Options,
    data: [seconds(points), points.map((point) => point.matchRate)] as uPlot.AlignedData,
  }
}

/** p50, p95 and p99 of both sides over time: the latency parity chart. */
export function latencyChart(points: readonly SeriesPoint[], width: number) {
  const line = (side: 'primary' | 'shadow', p: 'p50' | 'p95' | 'p99'): uPlot.Series => ({
    label: `${side} ${p}`,
    stroke: side === 'primary' ? PRIMARY : SHADOW,
    // The percentile is told by the dash, not only by colour.
    width: p === 'p95' ? 2.25 : 1.5,
    dash: p === 'p50' ? [2, 4] : p === 'p99' ? [10, 5] : [],
    value: (_u, value) => ms(value),
    points: { show: false },
    spanGaps: false,
  })
  const key = (side: 'primary' | 'shadow', p: 'P50' | 'P95' | 'P99') => `${side}${p}` as const
  const data: uPlot.AlignedData = [
    seconds(points),
    ...(['primary', 'shadow'] as const).flatMap((side) =>
      (['P50', 'P95', 'P99'] as const).map((p) => points.map((point) => point[key(side, p)])),
    ),
  ]
  return {
    options: {
      width,
      height: 260,
      scales: { x: { time: true } },
      axes: [{}, { label: 'ms', values: (_u, ticks) => ticks.map((tick) => String(tick)) }],
      series: [
        {},
        line('primary', 'p50'),
        line('primary', 'p95'),
        line('primary', 'p99'),
        line('shadow', 'p50'),
        line('shadow', 'p95'),
        line('shadow', 'p99'),
      ],
    } satisfies uPlot.Options,
    data,
  }
}

/** Runs per bucket by outcome, stacked bars (match, mismatch, failed), legend values unstacked. */
export function outcomesChart(points: readonly SeriesPoint[], width: number) {
  const matches = points.map((point) => point.matches)
  const upToMismatch = points.map((point) => point.matches + point.mismatches)
  const total = points.map((point) => point.matches + point.mismatches + point.failed)
  const raw = [points.map((point) => point.failed), points.map((point) => point.mismatches), matches]
  // Tallest first, so each bar is drawn over the one it stacks on.
  const bar = (label: string, colour: string, index: number): uPlot.Series => ({
    label,
    stroke: colour,
    fill: colour,
    width: 0,
    paths: uPlot.paths.bars?.({ size: [0.8, 24] }),
    points: { show: false },
    value: (_u, _value, _series, idx) => (idx === null ? '' : count(raw[index]?.[idx ?? 0] ?? null)),
  })
  return {
    options: {
      width,
      height: 200,
      scales: { x: { time: true } },
      // Whole runs only: no 0.25 ticks when a bucket holds one run.
      axes: [{}, { label: 'runs', incrs: RUN_TICKS }],
      series: [
        {},
        bar('failed (error or timeout)', FAILED, 0),
        bar('mismatch', MISMATCH, 1),
        bar('match', MATCH, 2),
      ],
    } satisfies uPlot.Options,
    data: [seconds(points), total, upToMismatch, matches] as uPlot.AlignedData,
  }
}

/** A short text summary of a match-rate series, for the sparkline's accessible name. */
export function matchRateSummary(points: readonly SeriesPoint[]): string {
  const rates = points.map((point) => point.matchRate).filter((rate): rate is number => rate !== null)
  if (rates.length === 0) return 'no compared runs in the window'
  return `lowest ${percent(Math.min(...rates))}, highest ${percent(Math.max(...rates))}, latest ${percent(rates[rates.length - 1])}`
}

function padRange(min: number | null, max: number | null, pad: number): uPlot.Range.MinMax {
  if (min === null || max === null) return [0, 1]
  return [Math.max(0, min - pad), Math.min(1, max + pad)]
}
