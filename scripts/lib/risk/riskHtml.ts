/**
 * risk.html: the Monte Carlo's report as one self-contained page (inline SVG, no script, nothing fetched): the
 * configuration and model check, a table per setting, the distribution of bad debt and of lenders' loss per protocol
 * on one chart each (empirical CDFs), and with a sweep the frontier (VaR95 of bad debt against borrowing power).
 */
import type { PathOutcome } from "./session.js";
import type { RiskReport, SettingResult } from "./riskReport.js";
import type { ProtocolSummary } from "./stats.js";
import type { ParamsMode } from "../sim/types.js";

const COLORS: Record<ParamsMode, string> = { static: "#1f77b4", adaptive: "#2ca02c", morpho: "#d62728" };
const NAMES: Record<ParamsMode, string> = {
  static: "Bulwark static",
  adaptive: "Bulwark adaptive",
  morpho: "Morpho Blue",
};
const W = 640;
const H = 300;
const M = { left: 70, right: 20, top: 34, bottom: 45 };

const esc = (text: string): string =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const usd = (x: number): string => `$${x.toLocaleString("en-US", { maximumFractionDigits: 0 })}`;
const pct = (x: number): string => `${x.toFixed(3)}%`;
const share = (x: number): string => `${(x * 100).toFixed(1)}%`;

/** A chart frame: axes, ticks and labels; `plot` draws inside it with the scales it is given. */
function frame(
  title: string,
  x: { min: number; max: number; label: string; format: (v: number) => string; logUnit?: number },
  y: { min: number; max: number; label: string; format: (v: number) => string },
  plot: (sx: (v: number) => number, sy: (v: number) => number) => string,
  legend: readonly ParamsMode[],
): string {
  // A log axis is log10(1 + v / unit): zero stays at the left, and a long tail does not squeeze the body.
  const unit = x.logUnit;
  const tx = (v: number): number => (unit === undefined ? v : Math.log10(1 + Math.max(0, v) / unit));
  const spanX = tx(x.max) - tx(x.min) || 1;
  const spanY = y.max - y.min || 1;
  const sx = (v: number): number => M.left + ((tx(v) - tx(x.min)) / spanX) * (W - M.left - M.right);
  const sy = (v: number): number => H - M.bottom - ((v - y.min) / spanY) * (H - M.top - M.bottom);
  const ticks = (n: number, min: number, span: number): number[] =>
    Array.from({ length: n + 1 }, (_, i) => min + (span * i) / n);
  const xValues =
    unit === undefined
      ? ticks(5, x.min, spanX)
      : [0, ...Array.from({ length: Math.ceil(tx(x.max)) }, (_, i) => unit * 10 ** (i + 1))].filter(
          (v) => v <= x.max * 1.0001,
        );
  const xTicks = xValues
    .map(
      (v) =>
        `<line x1="${sx(v)}" y1="${H - M.bottom}" x2="${sx(v)}" y2="${H - M.bottom + 4}" stroke="#444"/>` +
        `<text x="${sx(v)}" y="${H - M.bottom + 16}" text-anchor="middle">${esc(x.format(v))}</text>`,
    )
    .join("");
  const yTicks = ticks(4, y.min, spanY)
    .map(
      (v) =>
        `<line x1="${M.left}" y1="${sy(v)}" x2="${W - M.right}" y2="${sy(v)}" stroke="#eee"/>` +
        `<text x="${M.left - 6}" y="${sy(v) + 4}" text-anchor="end">${esc(y.format(v))}</text>`,
    )
    .join("");
  const keys = legend
    .map(
      (mode, i) =>
        `<rect x="${M.left + 10 + i * 150}" y="10" width="12" height="3" fill="${COLORS[mode]}"/>` +
        `<text x="${M.left + 26 + i * 150}" y="15">${NAMES[mode]}</text>`,
    )
    .join("");
  return `<figure><figcaption>${esc(title)}</figcaption><svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(title)}">
${yTicks}<line x1="${M.left}" y1="${H - M.bottom}" x2="${W - M.right}" y2="${H - M.bottom}" stroke="#444"/>${xTicks}
<text x="${(M.left + W - M.right) / 2}" y="${H - 8}" text-anchor="middle">${esc(x.label)}</text>
<text transform="translate(14 ${(M.top + H - M.bottom) / 2}) rotate(-90)" text-anchor="middle">${esc(y.label)}</text>
${plot(sx, sy)}${keys}</svg></figure>`;
}

/** Empirical CDFs of `pick` over each protocol's paths, on one chart. */
export function cdfChart(
  title: string,
  result: SettingResult,
  pick: (o: PathOutcome) => number,
  format: (v: number) => string,
  label: string,
  logUnit?: number,
): string {
  const modes = (Object.keys(result.paths) as ParamsMode[]).filter((m) => (result.paths[m] ?? []).length > 0);
  const series = modes.map((mode) => ({ mode, values: (result.paths[mode] ?? []).map(pick).sort((a, b) => a - b) }));
  // Sorted: each series' largest value is its last (no spread of every value into Math.max, which fails past ~125k).
  const max = series.reduce((m, s) => Math.max(m, s.values.at(-1) ?? 0), 0);
  // Most paths lose nothing: the y axis starts at the lowest share of paths at zero, rounded down to a tenth.
  const atZero = series.reduce((m, s) => Math.min(m, s.values.filter((v) => v <= 0).length / s.values.length), 1);
  const yMin = Math.max(0, Math.floor(atZero * 10) / 10 - 0.1);
  return frame(
    title,
    { min: 0, max: max === 0 ? 1 : max, label, format, logUnit },
    { min: yMin, max: 1, label: "share of paths at or below", format: (v) => `${Math.round(v * 100)}%` },
    (sx, sy) =>
      series
        .map(({ mode, values }) => {
          const n = values.length;
          const at = (share: number): number => sy(Math.max(yMin, share));
          let d = `M${sx(0)},${at(0)}`;
          values.forEach((v, i) => {
            d += ` L${sx(v)},${at(i / n)} L${sx(v)},${at((i + 1) / n)}`;
          });
          d += ` L${sx(max === 0 ? 1 : max)},${sy(1)}`;
          return `<path d="${d}" fill="none" stroke="${COLORS[mode]}" stroke-width="2"/>`;
        })
        .join(""),
    modes,
  );
}

/**
 * The frontier: VaR95 (solid) and ES95 (dashed) of bad debt against borrowing power, or against the swept value when
 * the power does not move, per protocol. A grid of two or more sweeps draws points only (its settings share x values).
 */
export function frontierChart(report: RiskReport): string {
  const settings = report.settings;
  const powers = new Set(settings.map((s) => s.borrowingPower));
  const sweep = report.config.sweeps[0];
  const byPower = powers.size > 1 || sweep === undefined;
  const lines = report.config.sweeps.length <= 1;
  const xOf = (s: SettingResult): number => (byPower ? s.borrowingPower : (s.setting[sweep.name] ?? 0));
  const xs = settings.map(xOf);
  const ys = settings.flatMap((s) => report.config.modes.map((m) => s.protocols[m]?.badDebtUsd.es95 ?? 0));
  const yMax = ys.reduce((m, y) => Math.max(m, y), 1);
  return frame(
    "Frontier: VaR95 (solid) and ES95 (dashed) of bad debt per setting",
    {
      min: xs.reduce((m, x) => Math.min(m, x), Infinity),
      max: xs.reduce((m, x) => Math.max(m, x), -Infinity),
      label: byPower ? "borrowing power (Σ borrow limits / Σ collateral value)" : (sweep?.name ?? ""),
      format: (v) => (byPower ? `${(v * 100).toFixed(1)}%` : v.toFixed(3)),
    },
    { min: 0, max: yMax, label: "bad debt (USD)", format: usd },
    (sx, sy) =>
      report.config.modes
        .flatMap((mode) =>
          (["var95", "es95"] as const).map((pick) => {
            const points = settings.map(
              (s) => [sx(xOf(s)), sy(s.protocols[mode]?.badDebtUsd[pick] ?? 0), s.label] as const,
            );
            const dash = pick === "es95" ? ' stroke-dasharray="5 4"' : "";
            const line = points.map(([x, y], i) => `${i === 0 ? "M" : "L"}${x},${y}`).join(" ");
            const dots = points
              .map(
                ([x, y, l]) =>
                  `<circle cx="${x}" cy="${y}" r="3.5" fill="${COLORS[mode]}"><title>${esc(`${NAMES[mode]}, ${l}: ${pick === "es95" ? "ES95" : "VaR95"}`)}</title></circle>`,
              )
              .join("");
            return `${lines ? `<path d="${line}" fill="none" stroke="${COLORS[mode]}" stroke-width="2"${dash}/>` : ""}${dots}`;
          }),
        )
        .join(""),
    report.config.modes,
  );
}

function summaryTable(result: SettingResult, modes: readonly ParamsMode[]): string {
  const rows: [string, (s: ProtocolSummary) => string][] = [
    ["Bad debt: mean", (s) => usd(s.badDebtUsd.mean)],
    ["Bad debt: VaR95 / VaR99", (s) => `${usd(s.badDebtUsd.var95)} / ${usd(s.badDebtUsd.var99)}`],
    ["Bad debt: ES95", (s) => usd(s.badDebtUsd.es95)],
    ["P(any bad debt)", (s) => share(s.probBadDebt)],
    ["Loss incl. open shortfall: mean / VaR95", (s) => `${usd(s.lossUsd.mean)} / ${usd(s.lossUsd.var95)}`],
    [
      "Lenders' loss: mean / VaR95 / ES95",
      (s) => `${pct(s.lenderLossPct.mean)} / ${pct(s.lenderLossPct.var95)} / ${pct(s.lenderLossPct.es95)}`,
    ],
    ["Liquidations: mean / p95", (s) => `${s.liquidations.mean.toFixed(1)} / ${s.liquidations.p95}`],
    [
      "Breaker hours: mean / p95 (trip share)",
      (s) => `${s.breakerHours.mean.toFixed(2)} / ${s.breakerHours.p95} (${share(s.probBreakerTrip)})`,
    ],
  ];
  const head = modes.map((m) => `<th>${NAMES[m]}</th>`).join("");
  const body = rows
    .map(
      ([label, show]) =>
        `<tr><td>${esc(label)}</td>${modes.map((m) => `<td>${esc(result.protocols[m] === undefined ? "—" : show(result.protocols[m]))}</td>`).join("")}</tr>`,
    )
    .join("\n");
  return `<table><tr><th></th>${head}</tr>\n${body}</table>`;
}

/** The whole page. */
export function renderRiskHtml(report: RiskReport): string {
  const { config, model } = report;
  const modes = config.modes;
  const sections = report.settings
    .map((result) => {
      const title = `${esc(result.label)} — borrowing power ${(result.borrowingPower * 100).toFixed(1)}%, borrows ${usd(result.borrowsUsd)}`;
      return `<section><h2>${title}</h2>${summaryTable(result, modes)}
<div class="charts">${cdfChart("Bad debt per path (CDF)", result, (o) => o.badDebtUsd, usd, "bad debt written off (USD, log scale)", 1)}
${cdfChart(
  "Lenders' loss per path (CDF)",
  result,
  (o) => o.lenderLossPct,
  (v) => `${Number(v.toPrecision(3))}%`,
  "share price fall from its peak (log scale)",
  0.0001,
)}</div></section>`;
    })
    .join("\n");
  const frontier = report.settings.length > 1 ? `<section><h2>Sweep</h2>${frontierChart(report)}</section>` : "";
  const stat = (s: typeof model.data): string =>
    `σ ${s.sigma.map((x) => `${(x * 100).toFixed(2)}%`).join(" / ")}, correlation ${s.correlation.toFixed(3)}, worst hour ${s.worstHour.map((x) => `${((Math.exp(x) - 1) * 100).toFixed(1)}%`).join(" / ")}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Bulwark Monte Carlo risk report</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;max-width:1400px;color:#222}table{border-collapse:collapse;margin:1em 0}
td,th{border:1px solid #ccc;padding:4px 10px;text-align:right}td:first-child{text-align:left}figure{display:inline-block;margin:0 1em 1em 0}
figcaption{font-weight:600;margin-bottom:4px}svg text{font-size:11px;fill:#333}.charts{display:flex;flex-wrap:wrap}</style></head>
<body><h1>Bulwark Monte Carlo risk report</h1>
<p>${config.paths} paths of ${config.hours} hours, ${config.accounts} borrowers (seed “${esc(config.seed)}”), ${modes.map((m) => NAMES[m]).join(", ")}.
Commit ${esc(report.meta.commit?.sha.slice(0, 12) ?? "unknown")}${report.meta.commit?.dirty === true ? " (with uncommitted changes)" : ""}, ${esc(report.meta.generatedAt)}, ${report.meta.shards} shard(s).</p>
<p>Model: ${esc(model.description)}. Data: ${esc(model.sources.join(", "))} (${model.dataHours} hours, ${model.jumpsInData} jumps).<br>
Data hourly WETH / WBTC: ${esc(stat(model.data))}.<br>Sampled paths: ${esc(stat(model.synthetic))}.</p>
${frontier}
${sections}
<p>VaR<sub>q</sub> is the loss a share q of paths stay at or below; ES95 the mean of the VaR95 outcome and every worse one. See docs/risk.md.</p>
</body></html>
`;
}
