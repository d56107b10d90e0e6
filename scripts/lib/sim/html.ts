/**
 * The crash simulation's report as one self-contained HTML page (`report.html`): the scenario, a summary table with
 * one column per run, and inline SVG charts drawn here (no chart library, no external resource: the page opens
 * offline). The runs present sit side by side in report order (static, adaptive, morpho), each row of charts on one
 * y-scale so they compare at a glance. A morpho run (Morpho Blue) has no circuit breaker: "—" in its breaker figures,
 * an empty breaker chart and a note instead of the trip list; its risk-parameter charts show the LLTV as both lines.
 *
 * Series longer than `MAX_POINTS` are down-sampled for drawing: lines keep the lowest and highest point of each bucket
 * (a crash does not vanish) and a gap (null) when the bucket has one; bars sum their bucket; step lines keep their
 * change points.
 */
import {
  BREAKER_LEVEL_NAMES,
  PARAMS_MODES,
  hasBreaker,
  type RunReport,
  type SimulationReport,
  type StepRecord,
} from "./types.js";

/** Most points drawn per line (and per run), whatever the length of the series. */
export const MAX_POINTS = 1000;
/** Most bars drawn per bar chart. */
const MAX_BARS = 500;
/** Breaker trips listed per run below the breaker chart. */
const MAX_TRIPS = 50;

// Chart geometry (SVG user units; the SVG scales to its column's width).
const WIDTH = 600;
const HEIGHT = 230;
const MARGIN = { top: 26, right: 14, bottom: 36, left: 74 };

const BLUE = "#1f77b4";
const ORANGE = "#ff7f0e";
const GREEN = "#2ca02c";
const RED = "#d62728";
const PALETTE = [BLUE, ORANGE, GREEN, RED, "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"];

/** One point of a series: x is a Unix timestamp in seconds, y null is a gap. */
export type Point = readonly [x: number, y: number | null];

interface Series {
  label: string;
  color: string;
  points: Point[];
  /** `line` joins points, `step` holds each value until the next point, `bars` draws a bar from 0 per point. */
  kind: "line" | "step" | "bars";
  dashed?: boolean;
}

interface Axis {
  min: number;
  max: number;
  ticks: number[];
  format: (value: number) => string;
}

interface ChartOptions {
  /** Horizontal reference lines (e.g. health 1.0), dashed. */
  refLines?: { y: number; label: string }[];
  marginLeft?: number;
  /** Width of each bar, SVG units. */
  barWidth?: number;
  /** Caption under the x axis. */
  xTitle: string;
}

/** A run as shown: its name (static, adaptive or morpho) and its data. */
interface RunView {
  name: string;
  run: RunReport;
}

// ---------------------------------------------------------------- text and numbers

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

const numberFormats = new Map<number, Intl.NumberFormat>();
/** `value` with thousands separators and exactly `decimals` decimals. */
function formatNumber(value: number, decimals: number): string {
  let format = numberFormats.get(decimals);
  if (format === undefined) {
    format = new Intl.NumberFormat("en-US", { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
    numberFormats.set(decimals, format);
  }
  return format.format(value);
}

/** USD with thousands separators and cents: "$1,234,567.89". */
export function formatUsd(value: number): string {
  return value < 0 ? `-$${formatNumber(-value, 2)}` : `$${formatNumber(value, 2)}`;
}

/** A value already in percent, 2 decimals: "12.34%". */
export function formatPct(percent: number): string {
  return `${formatNumber(percent, 2)}%`;
}

/** Seconds as h:mm ("27:05"). */
export function formatDuration(seconds: number): string {
  const minutes = Math.round(seconds / 60);
  return `${Math.floor(minutes / 60)}:${String(minutes % 60).padStart(2, "0")}`;
}

/** Unix seconds as "2020-03-12 10:00 UTC". */
export function formatUtc(timestamp: number): string {
  const date = new Date(timestamp * 1000);
  return Number.isNaN(date.getTime()) ? String(timestamp) : `${date.toISOString().slice(0, 16).replace("T", " ")} UTC`;
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
function valueAxis(lo: number, hi: number, unit: "usd" | "pct" | "num" | "count"): Axis {
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
function timeAxis(t0: number, t1: number): Axis {
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
function stepPoints(points: Point[]): Point[] {
  const out: Point[] = [];
  points.forEach((point, i) => {
    if (i === 0 || i === points.length - 1 || point[1] !== points[i - 1][1]) out.push(point);
  });
  return downsample(out);
}

/** Bars summed over buckets of `size` points, each at its bucket's first x. */
function bucketSums(points: Point[], size: number): Point[] {
  const out: Point[] = [];
  for (let start = 0; start < points.length; start += size) {
    let sum = 0;
    for (let i = start; i < Math.min(start + size, points.length); i++) sum += points[i][1] ?? 0;
    out.push([points[start][0], sum]);
  }
  return out;
}

/** A finite number or null (NaN and infinities are gaps). */
const finite = (value: number | null | undefined): number | null =>
  value === null || value === undefined || !Number.isFinite(value) ? null : value;

/** One field of every step as points. */
function pointsOf(series: StepRecord[], pick: (step: StepRecord) => number | null | undefined): Point[] {
  return series.map((step) => [step.timestamp, finite(pick(step))] as const);
}

/** A line of one field of a run's steps, down-sampled. */
function lineOf(
  label: string,
  color: string,
  run: RunReport,
  pick: (step: StepRecord) => number | null | undefined,
): Series {
  return { label, color, kind: "line", points: downsample(pointsOf(run.series, pick)) };
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
function renderChart(id: string, series: Series[], xAxis: Axis, yAxis: Axis, options: ChartOptions): string {
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
function extent(series: Series[]): [number, number] {
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

/** One chart per run, side by side, on a y axis shared by all runs (`axisFor` gets every run's series). */
function chartRow(
  title: string,
  id: string,
  views: RunView[],
  xAxis: Axis,
  build: (run: RunReport) => Series[],
  axisFor: (all: Series[]) => Axis,
  options: ChartOptions,
  below?: (run: RunReport) => string,
): string {
  const built = views.map((view) => (view.run.series.length === 0 ? null : build(view.run)));
  const yAxis = axisFor(built.flatMap((series) => series ?? []));
  const columns = views.map((view, i) => {
    const series = built[i];
    const body =
      series === null
        ? `<p class="empty">no steps</p>`
        : renderChart(`${id}:${view.name}`, series, xAxis, yAxis, options);
    return `<div class="col" data-run="${escapeHtml(view.name)}"><h4>${escapeHtml(view.name)}</h4>${body}${below ? below(view.run) : ""}</div>`;
  });
  return `<section class="row" data-row="${escapeHtml(id)}"><h3>${escapeHtml(title)}</h3><div class="cols cols-${views.length}">${columns.join("")}</div></section>`;
}

// ---------------------------------------------------------------- sections

/** The runs present in report order (static, adaptive, morpho); the report's top-level run when `runs` is empty. */
function runViews(report: SimulationReport): RunView[] {
  const views: RunView[] = [];
  for (const mode of PARAMS_MODES) {
    const run = report.runs[mode];
    if (run !== undefined) views.push({ name: mode, run });
  }
  if (views.length === 0) views.push({ name: report.params, run: report });
  return views;
}

/** Keys of a per-symbol field over every step of every run, in first-seen order, `preferred` symbols first. */
function keysOf(views: RunView[], pick: (step: StepRecord) => Record<string, unknown>, preferred: string[]): string[] {
  const seen = new Set<string>();
  for (const view of views)
    for (const step of view.run.series) for (const key of Object.keys(pick(step))) seen.add(key);
  return [...preferred.filter((key) => seen.has(key)), ...[...seen].filter((key) => !preferred.includes(key))];
}

function metaSection(report: SimulationReport): string {
  const meta = report.meta;
  const assets = meta.assets
    .map(
      (asset) =>
        `<tr><td>${escapeHtml(asset.symbol)}</td><td>${escapeHtml(asset.role)}</td><td class="num">${formatUsd(asset.startPriceUsd)}</td>` +
        `<td>${asset.hasPath ? escapeHtml(meta.prices[asset.symbol] ?? "path") : "fixed"}</td></tr>`,
    )
    .join("");
  const outages =
    meta.keeperOutages.length === 0
      ? "none"
      : meta.keeperOutages.map((outage) => `${formatNumber(outage.from, 0)}–${formatNumber(outage.to, 0)}`).join(", ");
  const facts: [string, string][] = [
    ["Accounts", formatNumber(meta.accounts, 0)],
    ["Seed", meta.seed],
    ["Keeper delay", `${formatNumber(meta.keeperDelayBlocks, 0)} blocks`],
    ["Keeper outages", outages],
    ["Chain", meta.chain],
    ["Path", `${formatUtc(meta.pathStart)} – ${formatUtc(meta.pathEnd)}`],
  ];
  return (
    `<h1>Crash simulation: ${escapeHtml(meta.scenario)}</h1><p class="desc">${escapeHtml(meta.description)}</p>` +
    `<dl>${facts.map(([key, value]) => `<dt>${escapeHtml(key)}</dt><dd>${escapeHtml(value)}</dd>`).join("")}</dl>` +
    `<table class="assets"><thead><tr><th>Asset</th><th>Role</th><th>Start price</th><th>Price path</th></tr></thead><tbody>${assets}</tbody></table>`
  );
}

/** Keeper rejections by reason, most frequent first: "Unprofitable: 3, over-block-cap: 2". */
function rejections(counts: Record<string, number>): string {
  const entries = Object.entries(counts).sort(([a, x], [b, y]) => y - x || a.localeCompare(b));
  return entries.length === 0 ? "none" : entries.map(([reason, n]) => `${reason}: ${formatNumber(n, 0)}`).join(", ");
}

function summarySection(views: RunView[]): string {
  const rows: [string, (run: RunReport) => string][] = [
    [
      "Bad debt",
      (run) => `${formatUsd(run.badDebt.usd)} (${formatPct(run.badDebt.pctOfInitialBorrows)} of initial borrows)`,
    ],
    ["Open shortfall at end (path prices)", (run) => formatUsd(run.openShortfallUsd)],
    ["Initial borrows", (run) => formatUsd(run.initialBorrows.usd)],
    ["Liquidations", (run) => formatNumber(run.liquidations, 0)],
    ["Liquidated debt", (run) => formatUsd(run.liquidatedDebt.usd)],
    ["Failed keeper txs", (run) => formatNumber(run.failedKeeperTxs, 0)],
    ["Keeper rejections", (run) => rejections(run.keeperRejections ?? {})],
    ["Breaker trips", (run) => (hasBreaker(run) ? formatNumber(run.breakerTrips, 0) : "—")],
    ["Time in breaker (h:mm)", (run) => (hasBreaker(run) ? formatDuration(run.timeInBreakerSeconds) : "—")],
    ["Lender loss", (run) => formatPct(run.lenderLossPct)],
    ["Min health factor", (run) => (run.minHealthFactor === null ? "—" : formatNumber(run.minHealthFactor, 4))],
    [
      "Borrowers at start / end",
      (run) => `${formatNumber(run.borrowersAtStart, 0)} / ${formatNumber(run.borrowersAtEnd, 0)}`,
    ],
    ["Steps", (run) => formatNumber(run.steps, 0)],
    ["Wall seconds", (run) => formatNumber(run.wallSeconds, 1)],
    ["Steps / second", (run) => formatNumber(run.stepsPerSecond, 2)],
  ];
  const head = views.map((view) => `<th>${escapeHtml(view.name)}</th>`).join("");
  const body = rows
    .map(
      ([label, cell]) =>
        `<tr><th>${escapeHtml(label)}</th>${views.map((view) => `<td class="num">${escapeHtml(cell(view.run))}</td>`).join("")}</tr>`,
    )
    .join("");
  return `<h2>Summary</h2><table class="summary"><thead><tr><th></th>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

/** The breaker trips of a run, at most `MAX_TRIPS` rows (a note for a morpho run, which has no breaker). */
function tripsTable(run: RunReport): string {
  if (!hasBreaker(run)) return `<p class="trips">Morpho Blue has no circuit breaker.</p>`;
  const events = run.breakerEvents;
  if (events.length === 0) return `<p class="trips">No breaker trips.</p>`;
  const rows = events
    .slice(0, MAX_TRIPS)
    .map(
      (trip) =>
        `<tr><td>${escapeHtml(formatUtc(trip.timestamp))}</td><td>${escapeHtml(trip.entry)}</td><td>${escapeHtml(trip.level)}</td><td>${escapeHtml(trip.reasons.join(", "))}</td></tr>`,
    )
    .join("");
  const more =
    events.length > MAX_TRIPS ? `<p class="more">and ${formatNumber(events.length - MAX_TRIPS, 0)} more</p>` : "";
  return `<table class="trips"><thead><tr><th>Time</th><th>Entry</th><th>Level</th><th>Reasons</th></tr></thead><tbody>${rows}</tbody></table>${more}`;
}

function chartsSection(report: SimulationReport, views: RunView[]): string {
  const all = views.flatMap((view) => view.run.series);
  if (all.length === 0) return `<h2>Charts</h2><p class="empty">no steps</p>`;
  let t0 = Infinity;
  let t1 = -Infinity;
  for (const step of all) {
    t0 = Math.min(t0, step.timestamp);
    t1 = Math.max(t1, step.timestamp);
  }
  const xAxis = timeAxis(t0, t1);
  const options: ChartOptions = { xTitle: `time from ${formatUtc(t0)}` };
  const usdAxis = (zero: boolean) => (series: Series[]) => {
    const [lo, hi] = extent(series);
    return valueAxis(zero ? Math.min(0, lo) : lo, zero ? Math.max(hi, 1) : hi, "usd");
  };
  const rows: string[] = [];
  // Collaterals first (in the market's order), the base asset last.
  const preferred = [...report.meta.assets]
    .sort((a, b) => Number(a.role === "base") - Number(b.role === "base"))
    .map((asset) => asset.symbol);

  for (const symbol of keysOf(views, (step) => step.price, preferred)) {
    rows.push(
      chartRow(
        `Price: ${symbol}`,
        `price-${symbol}`,
        views,
        xAxis,
        (run) => {
          const series: Series[] = [
            lineOf("path", BLUE, run, (s) => s.price[symbol]),
            lineOf("oracle", ORANGE, run, (s) => s.oraclePrice[symbol]),
          ];
          if (run.series.some((s) => s.poolPrice[symbol] !== undefined)) {
            series.push(lineOf("pool", GREEN, run, (s) => s.poolPrice[symbol]));
          }
          return series;
        },
        usdAxis(false),
        options,
      ),
    );
  }

  rows.push(
    chartRow(
      "Health (values above the axis are drawn at its top)",
      "health",
      views,
      xAxis,
      (run) => [
        lineOf("aggregate health", BLUE, run, (s) => s.aggregateHealth),
        lineOf("min health", ORANGE, run, (s) => s.minHealth),
      ],
      (series) => valueAxis(0, Math.min(5, Math.max(2, extent(series)[1])), "num"),
      { ...options, refLines: [{ y: 1, label: "1.0" }] },
    ),
  );

  const longest = Math.max(...views.map((view) => view.run.series.length));
  const bucket = Math.max(1, Math.ceil(longest / MAX_BARS));
  const barWidth = ((WIDTH - MARGIN.left - MARGIN.right) / Math.ceil(longest / bucket)) * 0.8;
  rows.push(
    chartRow(
      bucket === 1 ? "Liquidations per step" : `Liquidations per ${formatNumber(bucket, 0)} steps`,
      "liquidations",
      views,
      xAxis,
      (run) => [
        {
          label: "liquidations",
          color: BLUE,
          kind: "bars",
          points: bucketSums(
            pointsOf(run.series, (s) => s.liquidations),
            bucket,
          ),
        },
      ],
      (series) => valueAxis(0, Math.max(1, extent(series)[1]), "count"),
      { ...options, barWidth },
    ),
  );

  rows.push(
    chartRow(
      "Cumulative liquidated debt",
      "liquidated-debt",
      views,
      xAxis,
      (run) => {
        let total = 0;
        const points = run.series.map((s) => [s.timestamp, (total += finite(s.liquidatedDebtUsd) ?? 0)] as const);
        return [{ label: "liquidated debt (USD)", color: BLUE, kind: "line", points: downsample(points) }];
      },
      usdAxis(true),
      options,
    ),
  );

  rows.push(
    chartRow(
      "Debt",
      "debt",
      views,
      xAxis,
      (run) => [
        lineOf("total debt (USD)", BLUE, run, (s) => s.totalDebtUsd),
        lineOf("bad debt (USD)", RED, run, (s) => s.badDebtUsd),
      ],
      usdAxis(true),
      options,
    ),
  );

  const entries = keysOf(views, (step) => step.breakerLevel, ["global", ...preferred]);
  const levelAxis: Axis = {
    min: 0,
    max: BREAKER_LEVEL_NAMES.length - 1,
    ticks: BREAKER_LEVEL_NAMES.map((_, i) => i),
    format: (level) => BREAKER_LEVEL_NAMES[level] ?? String(level),
  };
  rows.push(
    chartRow(
      "Circuit breaker level",
      "breaker",
      views,
      xAxis,
      (run) =>
        !hasBreaker(run)
          ? [] // no breaker: axes only
          : entries.map((entry, i) => {
              // A small vertical offset per entry keeps lines at the same level apart.
              const offset = (i - (entries.length - 1) / 2) * 0.05;
              const points = stepPoints(pointsOf(run.series, (s) => s.breakerLevel[entry])).map(
                ([x, y]) => [x, y === null ? null : y + offset] as const,
              );
              return { label: entry, color: PALETTE[i % PALETTE.length], kind: "step", points };
            }),
      () => levelAxis,
      { ...options, marginLeft: 104 },
      tripsTable,
    ),
  );

  for (const symbol of keysOf(views, (step) => ({ ...step.borrowLtv, ...step.liquidationThreshold }), preferred)) {
    rows.push(
      chartRow(
        `Risk parameters: ${symbol}`,
        `risk-${symbol}`,
        views,
        xAxis,
        (run) => [
          lineOf("borrow LTV", BLUE, run, (s) => s.borrowLtv[symbol]),
          lineOf("liquidation threshold", RED, run, (s) => s.liquidationThreshold[symbol]),
        ],
        (series) => {
          const [lo, hi] = extent(series);
          return valueAxis(lo, hi, "pct");
        },
        options,
      ),
    );
  }

  return (
    `<h2>Charts</h2><p class="note">Series longer than ${formatNumber(MAX_POINTS, 0)} points are down-sampled for drawing ` +
    `(the lowest and highest point of each bucket are kept). A gap in the oracle line: the oracle reported FAILED.</p>` +
    rows.join("")
  );
}

const STYLE = `
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px;color:#222;max-width:1400px}
h1{margin-bottom:4px}h3{margin:24px 0 4px}h4{margin:4px 0;font-weight:600;color:#555}
.desc{color:#444;margin-top:0}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px}dt{font-weight:600}dd{margin:0}
table{border-collapse:collapse;margin:8px 0}th,td{border:1px solid #ddd;padding:3px 8px;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.cols{display:grid;gap:16px}.cols-1{grid-template-columns:minmax(0,1fr)}.cols-2{grid-template-columns:repeat(2,minmax(0,1fr))}
.cols-3{grid-template-columns:repeat(3,minmax(0,1fr))}
svg{width:100%;height:auto;font-size:11px}svg text{fill:#333}
.grid{stroke:#eee}.axis{stroke:#888}.ref{stroke:#d62728;stroke-dasharray:6 4}.reflabel{fill:#d62728}
table.trips{font-size:12px}.empty{color:#888;font-style:italic}.note,.more{color:#666;font-size:13px}
`;

/** The report as one self-contained HTML document (inline CSS and SVG, no external resource). */
export function renderReportHtml(report: SimulationReport): string {
  const views = runViews(report);
  return (
    `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<title>Crash simulation: ${escapeHtml(report.meta.scenario)}</title><style>${STYLE}</style></head><body>` +
    metaSection(report) +
    summarySection(views) +
    chartsSection(report, views) +
    `</body></html>\n`
  );
}
