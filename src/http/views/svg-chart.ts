/**
 * Server-rendered SVG charts, reusable by every HTML surface (admin console, customer portal).
 * This module only computes geometry; `templates/shared/chart.hbs` draws it with escaped
 * attributes (no raw HTML, no scripts, no external assets). Each chart also carries its numbers
 * as a table for screen readers and for tests.
 */

export interface ChartSeries {
  key: string;
  label: string;
  color: string;
}

export interface ChartBucket {
  /** Bucket start, epoch ms (UTC). */
  start: number;
}

export interface StackedBarInput {
  id: string;
  title: string;
  buckets: ChartBucket[];
  bucketMs: number;
  series: ChartSeries[];
  /** values[bucket][series] */
  values: number[][];
}

export interface LineInput {
  id: string;
  title: string;
  buckets: ChartBucket[];
  bucketMs: number;
  lines: (ChartSeries & { values: (number | null)[] })[];
  thresholds: { label: string; value: number; color: string }[];
  /** Values are shares (0..1) shown as percentages. */
  percent: boolean;
}

export interface ChartModel {
  id: string;
  title: string;
  width: number;
  height: number;
  viewBox: string;
  plot: { x: number; y: number; w: number; h: number; bottom: number; right: number };
  bars: { x: number; y: number; w: number; h: number; fill: string; tip: string }[];
  paths: { d: string; stroke: string; label: string }[];
  dots: { cx: number; cy: number; fill: string; tip: string }[];
  thresholds: { y: number; stroke: string; label: string; labelY: number }[];
  yTicks: { y: number; label: string; textY: number }[];
  xTicks: { x: number; label: string }[];
  legend: { label: string; color: string; total: string }[];
  empty: boolean;
  table: { headers: string[]; rows: { label: string; cells: string[] }[] };
}

const W = 480;
const H = 210;
const PAD = { left: 44, right: 10, top: 14, bottom: 30 };

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

/** A "nice" axis maximum (1, 2, 2.5, 5 × 10^n) at or above `max`. */
export function niceMax(max: number, steps: readonly number[] = [1, 2, 2.5, 5, 10]): number {
  if (!(max > 0)) return 1;
  const exp = 10 ** Math.floor(Math.log10(max));
  for (const m of steps) if (m * exp >= max - 1e-12) return Number((m * exp).toPrecision(12));
  return 10 * exp;
}

/** Percent axes: maxima whose half is a round percentage too (10%, 20%, 30%, 40%…). */
const PERCENT_STEPS = [1, 2, 3, 4, 5, 6, 8, 10] as const;

function pct(value: number): string {
  const p = value * 100;
  return `${p >= 10 || Number.isInteger(p) ? p.toFixed(0) : p.toFixed(1)}%`;
}

/** Bucket label: hours for hour buckets, day and month for longer ones (UTC). */
export function bucketLabel(start: number, bucketMs: number): string {
  const d = new Date(start);
  const hh = String(d.getUTCHours()).padStart(2, '0');
  const day = `${d.getUTCDate()} ${d.toLocaleString('en', { month: 'short', timeZone: 'UTC' })}`;
  if (bucketMs < 86_400_000) return bucketMs < 21_600_000 ? `${hh}:00` : `${day} ${hh}h`;
  return day;
}

function frame(id: string, title: string) {
  const plot = {
    x: PAD.left,
    y: PAD.top,
    w: W - PAD.left - PAD.right,
    h: H - PAD.top - PAD.bottom,
    bottom: H - PAD.bottom,
    right: W - PAD.right,
  };
  return { id, title, width: W, height: H, viewBox: `0 0 ${W} ${H}`, plot };
}

function xTicks(buckets: ChartBucket[], bucketMs: number, slot: number, x0: number) {
  const every = Math.max(1, Math.ceil(buckets.length / 4));
  return buckets
    .map((b, i) => ({ i, b }))
    .filter(({ i }) => i % every === 0)
    .map(({ i, b }) => ({ x: round(x0 + slot * i + slot / 2), label: bucketLabel(b.start, bucketMs) }));
}

function yTicks(max: number, plot: ChartModel['plot'], format: (v: number) => string) {
  return [0, 0.5, 1].map((f) => {
    const y = round(plot.bottom - plot.h * f);
    return { y, label: format(max * f), textY: round(y + 4) };
  });
}

/** Stacked bars, one bar per bucket, one segment per series. */
export function stackedBarChart(input: StackedBarInput): ChartModel {
  const base = frame(input.id, input.title);
  const { plot } = base;
  const totals = input.values.map((row) => row.reduce((a, b) => a + b, 0));
  // At least 2 so the middle tick is a whole number.
  const max = niceMax(Math.max(2, ...totals));
  const slot = plot.w / Math.max(1, input.buckets.length);
  const barW = Math.max(1, slot * 0.72);
  const bars: ChartModel['bars'] = [];
  input.buckets.forEach((b, i) => {
    let y = plot.bottom;
    input.series.forEach((s, k) => {
      const v = input.values[i]?.[k] ?? 0;
      if (v <= 0) return;
      const h = (v / max) * plot.h;
      y -= h;
      bars.push({
        x: round(plot.x + slot * i + (slot - barW) / 2),
        y: round(y),
        w: round(barW),
        h: round(Math.max(h, 0.5)),
        fill: s.color,
        tip: `${bucketLabel(b.start, input.bucketMs)}: ${v} ${s.label}`,
      });
    });
  });
  const seriesTotals = input.series.map((_, k) => input.values.reduce((a, row) => a + (row[k] ?? 0), 0));
  return {
    ...base,
    bars,
    paths: [],
    dots: [],
    thresholds: [],
    yTicks: yTicks(max, plot, (v) => String(Math.round(v))),
    xTicks: xTicks(input.buckets, input.bucketMs, slot, plot.x),
    legend: input.series.map((s, k) => ({ label: s.label, color: s.color, total: String(seriesTotals[k]) })),
    empty: totals.every((t) => t === 0),
    table: {
      headers: input.series.map((s) => s.label),
      rows: input.buckets
        .map((b, i) => ({
          label: bucketLabel(b.start, input.bucketMs),
          cells: input.series.map((_, k) => String(input.values[i]?.[k] ?? 0)),
          total: totals[i] ?? 0,
        }))
        .filter((r) => r.total > 0)
        .map(({ label, cells }) => ({ label, cells })),
    },
  };
}

/** Lines of rates with horizontal threshold lines (e.g. pause thresholds). */
export function lineChart(input: LineInput): ChartModel {
  const base = frame(input.id, input.title);
  const { plot } = base;
  const format = input.percent ? pct : (v: number) => String(Math.round(v * 100) / 100);
  const observed = input.lines.flatMap((l) => l.values.filter((v): v is number => v !== null));
  const max = input.percent
    ? Math.min(1, niceMax(Math.max(0.01, ...observed, ...input.thresholds.map((t) => t.value * 1.2)), PERCENT_STEPS))
    : niceMax(Math.max(0, ...observed, ...input.thresholds.map((t) => t.value)));
  const slot = plot.w / Math.max(1, input.buckets.length);
  const yOf = (v: number) => round(plot.bottom - (Math.min(v, max) / max) * plot.h);
  const paths: ChartModel['paths'] = [];
  const dots: ChartModel['dots'] = [];
  for (const line of input.lines) {
    let d = '';
    let open = false;
    line.values.forEach((v, i) => {
      if (v === null) {
        open = false;
        return;
      }
      const x = round(plot.x + slot * i + slot / 2);
      const y = yOf(v);
      d += `${open ? 'L' : 'M'}${x} ${y} `;
      open = true;
      const b = input.buckets[i] as ChartBucket;
      dots.push({ cx: x, cy: y, fill: line.color, tip: `${bucketLabel(b.start, input.bucketMs)}: ${line.label} ${format(v)}` });
    });
    if (d) paths.push({ d: d.trim(), stroke: line.color, label: line.label });
  }
  return {
    ...base,
    bars: [],
    paths,
    dots,
    thresholds: input.thresholds.map((t) => {
      const y = yOf(t.value);
      return { y, stroke: t.color, label: `${t.label} ${format(t.value)}`, labelY: round(Math.max(plot.y + 10, y - 4)) };
    }),
    yTicks: yTicks(max, plot, format),
    xTicks: xTicks(input.buckets, input.bucketMs, slot, plot.x),
    legend: [
      ...input.lines.map((l) => {
        const vs = l.values.filter((v): v is number => v !== null);
        return { label: l.label, color: l.color, total: vs.length ? `max ${format(Math.max(...vs))}` : 'no data' };
      }),
      ...input.thresholds.map((t) => ({ label: t.label, color: t.color, total: format(t.value) })),
    ],
    empty: observed.length === 0,
    table: {
      headers: input.lines.map((l) => l.label),
      rows: input.buckets
        .map((b, i) => ({
          label: bucketLabel(b.start, input.bucketMs),
          cells: input.lines.map((l) => {
            const v = l.values[i];
            return v === null || v === undefined ? '—' : format(v);
          }),
        }))
        .filter((r) => r.cells.some((c) => c !== '—')),
    },
  };
}
