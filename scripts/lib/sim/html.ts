/**
 * The crash simulation's report as one self-contained HTML page (`report.html`): the scenario and its inputs, the
 * verdicts, a summary table with one column per run, the charts (chartSpecs.ts: drawn by uPlot, inlined from its npm
 * package with its stylesheet, so the page needs no network), each run's breaker states as a timeline per entry, and
 * the liquidations and breaker trips as tables. A morpho run (Morpho Blue) has no circuit breaker: "—" in its breaker
 * figures and a note instead of its timeline and trips.
 *
 * `test/unit/SimHtml.test.ts` checks the page's content; `test/unit/ReportBrowser.test.ts` opens it in Chromium and
 * checks that every chart drew.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

import { chartSpecs, runViews, RUN_COLOURS, type RunView } from "./chartSpecs.js";
import {
  formatCommit,
  formatDuration,
  formatNumber,
  formatPct,
  formatUsd,
  formatUtc,
  escapeHtml,
} from "./reportText.js";
import { BREAKER_LEVEL_NAMES, hasBreaker, type RunReport, type SimulationReport } from "./types.js";

/** Breaker trips listed per run. */
const MAX_TRIPS = 50;
/** Liquidations listed per run (report.json has them all). */
export const MAX_LIQUIDATION_ROWS = 500;

const require = createRequire(import.meta.url);
/** uPlot's script and stylesheet, read once, inlined into every report. */
const UPLOT = {
  script: readFileSync(require.resolve("uplot/dist/uPlot.iife.min.js"), "utf8"),
  style: readFileSync(require.resolve("uplot/dist/uPlot.min.css"), "utf8"),
};

/** What each breaker level closes, for the timeline's legend (ICircuitBreaker.Level). */
const LEVEL_ACTIONS = [
  "normal",
  "tighter borrow limits",
  "borrowing paused",
  "withdrawals queued, borrowing paused",
  "liquidations paused too",
];
const LEVEL_COLOURS = ["#e6f4ea", "#fff3bf", "#ffd8a8", "#ffa8a8", "#c92a2a"];

/** A short account: 0x1234…abcd. */
const shortAccount = (account: string): string => `${account.slice(0, 6)}…${account.slice(-4)}`;

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
    ["Commit", formatCommit(meta.commit)],
    ["Written", meta.generatedAt ?? "—"],
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

function verdictSection(report: SimulationReport): string {
  const verdicts = report.verdicts ?? [];
  if (verdicts.length === 0) return "";
  const cls = (status: string): string => (status === "FAIL" || status === "LOSS" ? "bad" : "good");
  return (
    `<h2>Verdict</h2><ul class="verdicts">` +
    verdicts.map((v) => `<li class="${cls(v.status)}">${escapeHtml(v.line)}</li>`).join("") +
    `</ul>`
  );
}

/** Each Bulwark run's breaker entries as bars of coloured segments, one per level held, over the path's time. */
function timelineSection(views: RunView[]): string {
  const parts: string[] = [];
  for (const view of views) {
    const series = view.run.series;
    if (series.length === 0) continue;
    if (!hasBreaker(view.run)) {
      parts.push(`<h3>${escapeHtml(view.name)}</h3><p class="note">Morpho Blue has no circuit breaker.</p>`);
      continue;
    }
    const t0 = series[0].timestamp;
    const span = Math.max(1, series[series.length - 1].timestamp - t0);
    const entries = [...new Set(series.flatMap((step) => Object.keys(step.breakerLevel)))];
    const rows = entries.map((entry) => {
      const segments: string[] = [];
      let from = 0;
      for (let i = 1; i <= series.length; i++) {
        const level = series[from].breakerLevel[entry] ?? 0;
        if (i < series.length && (series[i].breakerLevel[entry] ?? 0) === level) continue;
        const end = i < series.length ? series[i].timestamp : series[series.length - 1].timestamp;
        const width = ((end - series[from].timestamp) / span) * 100;
        const title = `${entry}: ${BREAKER_LEVEL_NAMES[level] ?? level} (${LEVEL_ACTIONS[level] ?? ""}) from ${formatUtc(series[from].timestamp)} to ${formatUtc(end)}`;
        segments.push(
          `<span class="seg" data-level="${level}" style="width:${width.toFixed(3)}%;background:${LEVEL_COLOURS[level] ?? "#888"}" title="${escapeHtml(title)}"></span>`,
        );
        from = i;
      }
      return `<div class="lane"><span class="entry">${escapeHtml(entry)}</span><span class="bar">${segments.join("")}</span></div>`;
    });
    parts.push(
      `<h3>${escapeHtml(view.name)}</h3><div class="timeline" data-run="${escapeHtml(view.name)}">${rows.join("")}</div>`,
    );
  }
  if (parts.length === 0) return "";
  const legend = BREAKER_LEVEL_NAMES.map(
    (name, level) => `<span><i style="background:${LEVEL_COLOURS[level]}"></i>${name}: ${LEVEL_ACTIONS[level]}</span>`,
  ).join("");
  return `<h2>Circuit breakers</h2><p class="legend">${legend}</p>${parts.join("")}`;
}

/** Each run's liquidations, at most MAX_LIQUIDATION_ROWS rows, then how many more. */
function liquidationsSection(views: RunView[]): string {
  const parts = views.map((view) => {
    const events = view.run.liquidationEvents;
    const title = `<h3>${escapeHtml(view.name)}: ${formatNumber(view.run.liquidations, 0)} liquidations</h3>`;
    if (events === undefined) return `${title}<p class="note">This report predates the liquidation list.</p>`;
    if (events.length === 0) return `${title}<p class="note">No liquidations.</p>`;
    const rows = events
      .slice(0, MAX_LIQUIDATION_ROWS)
      .map(
        (e) =>
          `<tr><td>${escapeHtml(formatUtc(e.timestamp))}</td><td title="${escapeHtml(e.account)}">${escapeHtml(shortAccount(e.account))}</td>` +
          `<td>${escapeHtml(e.collateral)}</td><td class="num">${formatUsd(e.repaidUsd)}</td>` +
          `<td class="num">${formatNumber(e.seized, 6)}</td><td class="num">${formatUsd(e.priceUsd)}</td>` +
          `<td class="num">${formatPct(e.bonusPct)}</td><td class="num">${formatUsd(e.badDebtUsd)}</td></tr>`,
      )
      .join("");
    const more =
      events.length > MAX_LIQUIDATION_ROWS
        ? `<p class="more">and ${formatNumber(events.length - MAX_LIQUIDATION_ROWS, 0)} more (all in report.json)</p>`
        : "";
    return (
      `${title}<table class="liquidations" data-run="${escapeHtml(view.name)}"><thead><tr><th>Time</th><th>Account</th><th>Collateral</th>` +
      `<th>Debt repaid</th><th>Collateral seized</th><th>Price</th><th>Bonus</th><th>Written off</th></tr></thead>` +
      `<tbody>${rows}</tbody></table>${more}`
    );
  });
  return `<h2>Liquidations</h2>${parts.join("")}`;
}

function tripsSection(views: RunView[]): string {
  return `<h2>Breaker trips</h2>${views.map((view) => `<h3>${escapeHtml(view.name)}</h3>${tripsTable(view.run)}`).join("")}`;
}

/** The page's charts: a placeholder per spec, and the specs as JSON for the script that draws them. */
function chartsSection(report: SimulationReport): { html: string; data: string } {
  const specs = chartSpecs(report);
  if (specs.length === 0) return { html: `<h2>Charts</h2><p class="empty">no steps</p>`, data: "[]" };
  const legend = Object.entries(RUN_COLOURS)
    .filter(([name]) => report.runs[name as keyof typeof report.runs] !== undefined)
    .map(([name, colour]) => `<span><i style="background:${colour}"></i>${name}</span>`)
    .join("");
  const html =
    `<h2 class="charts-title">Charts</h2><p class="legend">${legend}</p><p class="note">Drag across a chart to zoom, double-click to reset; ` +
    `hover for values. Series longer than 2,000 points are down-sampled (each bucket's first point, lowest price and ` +
    `lowest health are kept). A gap in the oracle line: the oracle reported FAILED.</p><div class="charts">` +
    specs.map((spec) => `<div class="chart" id="${escapeHtml(spec.id)}"></div>`).join("") +
    `</div>`;
  // JSON inside <script>: "<" escaped so no value can close the element.
  return { html, data: JSON.stringify(specs).replace(/</g, "\\u003c") };
}

/** Draws every spec with uPlot; marks each chart drawn (data-drawn) for the browser test. */
const DRAW = `
(function () {
  var specs = JSON.parse(document.getElementById("chart-data").textContent);
  var usd = function (v) { return v == null ? "—" : "$" + v.toLocaleString("en-US", { maximumFractionDigits: Math.abs(v) < 10 ? 4 : 0 }); };
  var fmt = {
    usd: usd,
    pct: function (v) { return v == null ? "—" : v.toFixed(2) + "%"; },
    health: function (v) { return v == null ? "—" : v.toFixed(3); },
    ratio: function (v) { return v == null ? "—" : (v * 100).toFixed(1) + "%"; },
    count: function (v) { return v == null ? "—" : String(Math.round(v)); }
  };
  var compact = function (v) {
    if (v == null) return "";
    var a = Math.abs(v);
    if (a >= 1e9) return "$" + (v / 1e9).toFixed(1) + "B";
    if (a >= 1e6) return "$" + (v / 1e6).toFixed(1) + "M";
    if (a >= 1e4) return "$" + (v / 1e3).toFixed(0) + "k";
    return usd(v);
  };
  var utc = function (t) { return new Date(t * 1000).toISOString().slice(0, 16).replace("T", " ") + " UTC"; };
  specs.forEach(function (spec) {
    var el = document.getElementById(spec.id);
    var show = fmt[spec.unit];
    var series = [{ label: "time", value: function (u, v) { return v == null ? "—" : utc(v); } }].concat(spec.series.map(function (s) {
      return {
        label: s.label, stroke: s.colour, width: s.width || 1.5, dash: s.dash, spanGaps: false,
        paths: s.points ? function () { return null; } : s.step ? uPlot.paths.stepped({ align: 1 }) : undefined,
        points: s.points ? { show: true, size: 5, stroke: s.colour, fill: s.colour } : { show: false },
        value: function (u, v) { return show(v); }
      };
    }));
    var range = function (u, lo, hi) {
      if (spec.yMin != null) lo = Math.min(lo, spec.yMin);
      if (spec.yMax != null) hi = Math.max(hi, spec.yMax);
      if (lo === hi) { hi = lo + 1; }
      return [lo, hi];
    };
    var opts = {
      title: spec.title, width: Math.max(320, el.clientWidth), height: 240,
      tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"); },
      scales: { x: { time: true }, y: { range: range } },
      axes: [{}, { size: 64, values: function (u, vals) { return vals.map(spec.unit === "usd" ? compact : show); } }],
      series: series, bands: spec.bands, cursor: { sync: { key: "report" } }
    };
    new uPlot(opts, [spec.x].concat(spec.series.map(function (s) { return s.values; })), el);
    el.setAttribute("data-drawn", "1");
  });
  document.body.setAttribute("data-charts", String(specs.length));
})();
`;

const STYLE = `
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px;color:#222;max-width:1500px}
h1{margin-bottom:4px}h3{margin:20px 0 4px}
.desc{color:#444;margin-top:0}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px}dt{font-weight:600}dd{margin:0}
table{border-collapse:collapse;margin:8px 0;font-size:13px}th,td{border:1px solid #ddd;padding:3px 8px;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(460px,1fr));gap:16px}
.chart{min-height:300px}
.legend span{margin-right:14px;font-size:13px}.legend i{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:middle;border:1px solid #999}
.lane{display:flex;align-items:center;margin:2px 0}.entry{width:80px;font-size:13px}.bar{display:flex;flex:1;height:16px;border:1px solid #ccc}
.seg{display:block;height:100%}
.verdicts li{font-family:ui-monospace,monospace;font-size:13px;margin:2px 0}.verdicts .bad{color:#b00020}.verdicts .good{color:#1b5e20}
.empty{color:#888;font-style:italic}.note,.more{color:#666;font-size:13px}
`;

/** The report as one self-contained HTML document (inline CSS, uPlot and data; no external resource). */
export function renderReportHtml(report: SimulationReport): string {
  const views = runViews(report);
  const charts = chartsSection(report);
  return (
    `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<title>Crash simulation: ${escapeHtml(report.meta.scenario)}</title>` +
    `<style>${UPLOT.style}</style><style>${STYLE}</style></head><body>` +
    metaSection(report) +
    verdictSection(report) +
    summarySection(views) +
    charts.html +
    timelineSection(views) +
    liquidationsSection(views) +
    tripsSection(views) +
    `<script id="chart-data" type="application/json">${charts.data}</script>` +
    `<script>${UPLOT.script}</script><script>${DRAW}</script>` +
    `</body></html>\n`
  );
}
