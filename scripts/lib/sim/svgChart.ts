/**
 * Line, step and bar charts as inline SVG, drawn here for report.html (html.ts): no chart library, no external
 * resource. Axes with round ticks (values in USD, percent, counts or plain numbers; time from the path's start), a
 * legend, dashed reference lines, and down-sampling: series longer than `MAX_POINTS` keep the lowest and highest
 * point of each bucket (a crash does not vanish) and a gap (null) when the bucket has one; bars sum their bucket;
 * step lines keep their change points.
 */
import { escapeHtml, formatNumber } from "./reportText.js";

/** Most points drawn per line (and per run), whatever the length of the series. */
export const MAX_POINTS = 1000;

// Chart geometry (SVG user units; the SVG scales to its column's width).
export const WIDTH = 600;
export const HEIGHT = 230;
export const MARGIN = { top: 26, right: 14, bottom: 36, left: 74 };

export const BLUE = "#1f77b4";
export const ORANGE = "#ff7f0e";
export const GREEN = "#2ca02c";
export const RED = "#d62728";
export const PALETTE = [BLUE, ORANGE, GREEN, RED, "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"];

/** One point of a series: x is a Unix timestamp in seconds, y null is a gap. */
export type Point = readonly [x: number, y: number | null];

export interface Series {
  label: string;
  color: string;
  points: Point[];
  /** `line` joins points, `step` holds each value until the next point, `bars` draws a bar from 0 per point. */
  kind: "line" | "step" | "bars";
  dashed?: boolean;
}

export interface Axis {
  min: number;
  max: number;
  ticks: number[];
  format: (value: number) => string;
}

export interface ChartOptions {
  /** Horizontal reference lines (e.g. health 1.0), dashed. */
  refLines?: { y: number; label: string }[];
  marginLeft?: number;
  /** Width of each bar, SVG units. */
  barWidth?: number;
  /** Caption under the x axis. */
  xTitle: string;
}

/** Fewest decimals that show a multiple of `step` exactly (0.25 → 2, 5 → 0). */
function decimalsFor(step: number): number {
  for (let decimals = 0; decimals < 8; decimals++) {
    const scaled = step * 10 ** decimals;
    if (Math.abs(scaled - Math.round(scaled)) < 1e-6 * Math.max(1, scaled)) return decimals;
  }
  return 8;
}

/** SVG coordinate, one decimal. */
const coord = (value: number): string => String(Math.round(value * 10) / 10);

// ---------------------------------------------------------------- scales and axes

/** Linear map of [d0, d1] onto [r0, r1]; values outside the domain are clamped to it. */
function linearScale(d0: number, d1: number, r0: number, r1: number): (value: number) => number {
  const k = d1 === d0 ? 0 : (r1 - r0) / (d1 - d0);
  const lo = Math.min(d0, d1);
  const hi = Math.max(d0, d1);
  return (value) => r0 + (Math.min(Math.max(value, lo), hi) - d0) * k;
}

/** 1, 2, 2.5 or 5 times a power of ten, the smallest at least `raw`. */
function niceStep(raw: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / magnitude;
  return (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 2.5 ? 2.5 : norm <= 5 ? 5 : 10) * magnitude;
}

/** A y axis over [lo, hi] widened to round ticks (about five). `unit` picks the labels: `usd`, `pct` (fractions shown
 * in percent), `count` (whole numbers) or plain numbers. */
export function valueAxis(lo: number, hi: number, unit: "usd" | "pct" | "num" | "count"): Axis {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) [lo, hi] = [0, 1];
  if (hi <= lo) {
    const pad = Math.abs(lo) * 0.1 || 1;
    [lo, hi] = [lo - pad, hi + pad];
  }
  const step = unit === "count" ? Math.max(1, Math.round(niceStep((hi - lo) / 5))) : niceStep((hi - lo) / 5);
  const min = Math.floor(lo / step + 1e-9) * step;
  const max = Math.ceil(hi / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let i = 0; min + i * step <= max + step * 1e-6; i++) ticks.push(min + i * step);
  const big = Math.max(Math.abs(min), Math.abs(max)) >= 1e6;
  const decimals = decimalsFor(unit === "pct" ? step * 100 : step);
  const format = (value: number): string => {
    if (unit === "pct") return `${formatNumber(value * 100, decimals)}%`;
    if (unit !== "usd") return formatNumber(value, decimals);
    if (value === 0) return "$0";
    const text = big
      ? `${formatNumber(Math.abs(value) / 1e6, decimalsFor(step / 1e6))}M`
      : formatNumber(Math.abs(value), decimals);
    return value < 0 ? `-$${text}` : `$${text}`;
  };
  return { min, max, ticks, format };
}

/** Tick spacings tried for the time axis, seconds. */
const TIME_STEPS = [
  60, 300, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 259200, 604800, 1209600, 2592000,
];

/** A time axis over [t0, t1] with ticks every round number of minutes, hours or days from t0. */
export function timeAxis(t0: number, t1: number): Axis {
  if (!(t1 > t0)) t1 = t0 + 1;
  const span = t1 - t0;
  const step = TIME_STEPS.find((candidate) => span / candidate <= 8) ?? niceStep(span / 8);
  const ticks: number[] = [];
  for (let t = t0; t <= t1 + 1e-6; t += step) ticks.push(t);
  const format = (t: number): string => {
    const elapsed = t - t0;
    if (step < 3600) return `${formatNumber(elapsed / 60, 0)}m`;
    if (step < 86400) return `${formatNumber(elapsed / 3600, 0)}h`;
    return `${formatNumber(elapsed / 86400, 0)}d`;
  };
  return { min: t0, max: t1, ticks, format };
}

// ---------------------------------------------------------------- down-sampling

/** At most `max` points: the lowest and highest of each bucket, and its first gap, in order. */
export function downsample(points: Point[], max = MAX_POINTS): Point[] {
  if (points.length <= max) return points;
  const size = Math.ceil((points.length * 3) / max);
  const out: Point[] = [];
  for (let start = 0; start < points.length; start += size) {
    let lo = -1;
    let hi = -1;
    let gap = -1;
    let loY = Infinity;
    let hiY = -Infinity;
    for (let i = start; i < Math.min(start + size, points.length); i++) {
      const y = points[i][1];
      if (y === null) {
        if (gap < 0) gap = i;
        continue;
      }
      if (y < loY) [lo, loY] = [i, y];
      if (y > hiY) [hi, hiY] = [i, y];
    }
    const keep = [...new Set([lo, hi, gap].filter((i) => i >= 0))].sort((a, b) => a - b);
    for (const i of keep) out.push(points[i]);
  }
  return out;
}

/** A step line's change points (and its last point), down-sampled further if still too long. */
export function stepPoints(points: Point[]): Point[] {
  const out: Point[] = [];
  points.forEach((point, i) => {
    if (i === 0 || i === points.length - 1 || point[1] !== points[i - 1][1]) out.push(point);
  });
  return downsample(out);
}

/** Bars summed over buckets of `size` points, each at its bucket's first x. */
export function bucketSums(points: Point[], size: number): Point[] {
  const out: Point[] = [];
  for (let start = 0; start < points.length; start += size) {
    let sum = 0;
    for (let i = start; i < Math.min(start + size, points.length); i++) sum += points[i][1] ?? 0;
    out.push([points[start][0], sum]);
  }
  return out;
}

// ---------------------------------------------------------------- charts

/** The path of one series: a gap lifts the pen (the next point starts with `M`). */
function seriesPath(series: Series, x: (v: number) => number, y: (v: number) => number): string {
  let d = "";
  let penDown = false;
  let last = "";
  for (const [px, py] of series.points) {
    if (py === null) {
      penDown = false;
      continue;
    }
    const sx = coord(x(px));
    const sy = coord(y(py));
    if (penDown && `${sx},${sy}` === last) continue; // same pixel as the previous point
    last = `${sx},${sy}`;
    if (!penDown) d += `M${sx},${sy}`;
    else d += series.kind === "step" ? `H${sx}V${sy}` : `L${sx},${sy}`;
    penDown = true;
  }
  return d;
}

/** The path of a bar series: one vertical stroke per non-zero point, from 0 (or the axis floor). */
function barsPath(series: Series, x: (v: number) => number, y: (v: number) => number): string {
  let d = "";
  for (const [px, py] of series.points) {
    if (py === null || py === 0) continue;
    d += `M${coord(x(px))},${coord(y(0))}V${coord(y(py))}`;
  }
  return d;
}

/** The legend along the top of a chart. */
function legend(series: Series[], left: number): string {
  let offset = left;
  let out = "";
  for (const item of series) {
    const dash = item.dashed ? ` stroke-dasharray="5 3"` : "";
    out += `<line x1="${offset}" y1="12" x2="${offset + 18}" y2="12" stroke="${item.color}" stroke-width="${item.kind === "bars" ? 6 : 2}"${dash}/>`;
    out += `<text x="${offset + 22}" y="16">${escapeHtml(item.label)}</text>`;
    offset += 36 + item.label.length * 7.5; // a generous width per character: serif fonts vary
  }
  return out;
}

/** One chart as an SVG element (`data-chart` names it for tests and readers). */
export function renderChart(id: string, series: Series[], xAxis: Axis, yAxis: Axis, options: ChartOptions): string {
  const left = options.marginLeft ?? MARGIN.left;
  const right = WIDTH - MARGIN.right;
  const top = MARGIN.top;
  const bottom = HEIGHT - MARGIN.bottom;
  const x = linearScale(xAxis.min, xAxis.max, left, right);
  const y = linearScale(yAxis.min, yAxis.max, bottom, top);
  const parts: string[] = [];
  for (const tick of yAxis.ticks) {
    const ty = coord(y(tick));
    parts.push(`<line class="grid" x1="${left}" y1="${ty}" x2="${right}" y2="${ty}"/>`);
    parts.push(
      `<text class="ytick" x="${left - 6}" y="${ty}" dy="0.35em" text-anchor="end">${escapeHtml(yAxis.format(tick))}</text>`,
    );
  }
  for (const tick of xAxis.ticks) {
    const tx = coord(x(tick));
    parts.push(`<line class="axis" x1="${tx}" y1="${bottom}" x2="${tx}" y2="${bottom + 4}"/>`);
    parts.push(
      `<text class="xtick" x="${tx}" y="${bottom + 15}" text-anchor="middle">${escapeHtml(xAxis.format(tick))}</text>`,
    );
  }
  parts.push(`<line class="axis" x1="${left}" y1="${bottom}" x2="${right}" y2="${bottom}"/>`);
  parts.push(`<line class="axis" x1="${left}" y1="${top}" x2="${left}" y2="${bottom}"/>`);
  parts.push(
    `<text class="xtitle" x="${(left + right) / 2}" y="${HEIGHT - 4}" text-anchor="middle">${escapeHtml(options.xTitle)}</text>`,
  );
  for (const ref of options.refLines ?? []) {
    const ry = coord(y(ref.y));
    parts.push(`<line class="ref" x1="${left}" y1="${ry}" x2="${right}" y2="${ry}"/>`);
    parts.push(
      `<text class="reflabel" x="${right - 2}" y="${ry}" dy="-3" text-anchor="end">${escapeHtml(ref.label)}</text>`,
    );
  }
  for (const item of series) {
    const isBars = item.kind === "bars";
    const d = isBars ? barsPath(item, x, y) : seriesPath(item, x, y);
    if (d === "") continue;
    const width = isBars ? coord(Math.max(0.6, options.barWidth ?? 1)) : "1.5";
    const dash = item.dashed ? ` stroke-dasharray="5 3"` : "";
    parts.push(
      `<path data-label="${escapeHtml(item.label)}" d="${d}" fill="none" stroke="${item.color}" stroke-width="${width}"${dash}/>`,
    );
  }
  parts.push(legend(series, left));
  return `<svg xmlns="http://www.w3.org/2000/svg" data-chart="${escapeHtml(id)}" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img">${parts.join("")}</svg>`;
}

/** Lowest and highest finite y over the series (Infinity/-Infinity without any). */
export function extent(series: Series[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const item of series) {
    for (const [, y] of item.points) {
      if (y === null) continue;
      if (y < lo) lo = y;
      if (y > hi) hi = y;
    }
  }
  return [lo, hi];
}
