/**
 * The crash simulation's report as one self-contained HTML page (`report.html`): the scenario, a summary table with
 * one column per run, and inline SVG charts (svgChart.ts: no chart library, no external resource, the page opens
 * offline). The runs present sit side by side in report order (static, adaptive, morpho), each row of charts on one
 * y-scale so they compare at a glance. A morpho run (Morpho Blue) has no circuit breaker: "—" in its breaker figures,
 * an empty breaker chart and a note instead of the trip list; its risk-parameter charts show the LLTV as both lines.
 *
 * Series longer than `MAX_POINTS` are down-sampled for drawing (svgChart.ts); the charts section is one function per
 * row of charts.
 */
import {
  BREAKER_LEVEL_NAMES,
  PARAMS_MODES,
  hasBreaker,
  type RunReport,
  type SimulationReport,
  type StepRecord,
} from "./types.js";
import { formatDuration, formatNumber, formatPct, formatUsd, formatUtc, escapeHtml } from "./reportText.js";
import {
  BLUE,
  GREEN,
  MARGIN,
  MAX_POINTS,
  ORANGE,
  PALETTE,
  RED,
  WIDTH,
  bucketSums,
  downsample,
  extent,
  renderChart,
  stepPoints,
  timeAxis,
  valueAxis,
  type Axis,
  type ChartOptions,
  type Point,
  type Series,
} from "./svgChart.js";

/** Most bars drawn per bar chart. */
const MAX_BARS = 500;
/** Breaker trips listed per run below the breaker chart. */
const MAX_TRIPS = 50;

/** A run as shown: its name (static, adaptive or morpho) and its data. */
interface RunView {
  name: string;
  run: RunReport;
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

/** What every row of charts shares: the runs, the time axis, the chart options and the symbols' order. */
interface ChartContext {
  views: RunView[];
  xAxis: Axis;
  options: ChartOptions;
  /** Collaterals first (in the market's order), the base asset last. */
  preferred: string[];
}

/** A USD axis over the series, from 0 (and up to at least $1) when `zero`. */
const usdAxis = (zero: boolean) => (series: Series[]) => {
  const [lo, hi] = extent(series);
  return valueAxis(zero ? Math.min(0, lo) : lo, zero ? Math.max(hi, 1) : hi, "usd");
};

function chartsSection(report: SimulationReport, views: RunView[]): string {
  const all = views.flatMap((view) => view.run.series);
  if (all.length === 0) return `<h2>Charts</h2><p class="empty">no steps</p>`;
  let t0 = Infinity;
  let t1 = -Infinity;
  for (const step of all) {
    t0 = Math.min(t0, step.timestamp);
    t1 = Math.max(t1, step.timestamp);
  }
  const context: ChartContext = {
    views,
    xAxis: timeAxis(t0, t1),
    options: { xTitle: `time from ${formatUtc(t0)}` },
    preferred: [...report.meta.assets]
      .sort((a, b) => Number(a.role === "base") - Number(b.role === "base"))
      .map((asset) => asset.symbol),
  };
  const rows = [
    ...priceRows(context),
    healthRow(context),
    ...liquidationRows(context),
    debtRow(context),
    breakerRow(context),
    ...riskRows(context),
  ];
  return (
    `<h2>Charts</h2><p class="note">Series longer than ${formatNumber(MAX_POINTS, 0)} points are down-sampled for drawing ` +
    `(the lowest and highest point of each bucket are kept). A gap in the oracle line: the oracle reported FAILED.</p>` +
    rows.join("")
  );
}

/** Per asset: the path, oracle and (for a collateral) pool price. */
function priceRows({ views, xAxis, options, preferred }: ChartContext): string[] {
  return keysOf(views, (step) => step.price, preferred).map((symbol) =>
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

function healthRow({ views, xAxis, options }: ChartContext): string {
  return chartRow(
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
  );
}

/** Liquidations per step (bars, summed over buckets past `MAX_BARS`), then the cumulative debt they repaid. */
function liquidationRows({ views, xAxis, options }: ChartContext): string[] {
  const longest = Math.max(...views.map((view) => view.run.series.length));
  const bucket = Math.max(1, Math.ceil(longest / MAX_BARS));
  const barWidth = ((WIDTH - MARGIN.left - MARGIN.right) / Math.ceil(longest / bucket)) * 0.8;
  const perStep = chartRow(
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
  );
  const cumulative = chartRow(
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
  );
  return [perStep, cumulative];
}

function debtRow({ views, xAxis, options }: ChartContext): string {
  return chartRow(
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
  );
}

/** Each breaker entry's level as a step line, and the run's trips below it. */
function breakerRow({ views, xAxis, options, preferred }: ChartContext): string {
  const entries = keysOf(views, (step) => step.breakerLevel, ["global", ...preferred]);
  const levelAxis: Axis = {
    min: 0,
    max: BREAKER_LEVEL_NAMES.length - 1,
    ticks: BREAKER_LEVEL_NAMES.map((_, i) => i),
    format: (level) => BREAKER_LEVEL_NAMES[level] ?? String(level),
  };
  return chartRow(
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
  );
}

/** Per collateral: its borrow LTV and liquidation threshold over time. */
function riskRows({ views, xAxis, options, preferred }: ChartContext): string[] {
  const symbols = keysOf(views, (step) => ({ ...step.borrowLtv, ...step.liquidationThreshold }), preferred);
  return symbols.map((symbol) =>
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
