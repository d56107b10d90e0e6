/** The simulation's outputs: report.json, report.html and the terminal summary. */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";

import { renderTable } from "../format.js";
import { renderReportHtml } from "./html.js";
import { formatPct as pct, formatUsd as usd } from "./reportText.js";
import { PARAMS_MODES, hasBreaker, type BackstopFigures, type RunReport, type SimulationReport } from "./types.js";

const hours = (seconds: number): string =>
  `${Math.floor(seconds / 3600)}h${String(Math.floor((seconds % 3600) / 60)).padStart(2, "0")}`;

/** A breaker figure: "—" for a Morpho run (Morpho Blue has no circuit breaker). */
const breaker =
  (show: (run: RunReport) => string) =>
  (run: RunReport): string =>
    hasBreaker(run) ? show(run) : "—";

/** Rows of the summary: label and how to show a run's figure. */
const ROWS: readonly [string, (run: RunReport) => string][] = [
  ["Bad debt", (r) => `${usd(r.badDebt.usd)} (${pct(r.badDebt.pctOfInitialBorrows)} of borrows)`],
  ["Open shortfall at end", (r) => usd(r.openShortfallUsd)],
  ["Liquidations", (r) => r.liquidations.toLocaleString("en-US")],
  ["Liquidated debt", (r) => usd(r.liquidatedDebt.usd)],
  ["Failed keeper txs", (r) => String(r.failedKeeperTxs)],
  ["Failed arbitrage swaps", (r) => String(r.failedArbitrageTxs)],
  ["Breaker trips", breaker((r) => String(r.breakerTrips))],
  ["Time in breaker", breaker((r) => hours(r.timeInBreakerSeconds))],
  ["Lender loss", (r) => pct(r.lenderLossPct)],
  ["Min health factor", (r) => (r.minHealthFactor === null ? "—" : r.minHealthFactor.toFixed(3))],
  ["Borrowers (start → end)", (r) => `${r.borrowersAtStart} → ${r.borrowersAtEnd}`],
  ["Initial borrows", (r) => usd(r.initialBorrows.usd)],
  ["Steps / blocks", (r) => `${r.steps} / ${r.blocks}`],
  ["Replay wall time", (r) => `${r.wallSeconds.toFixed(1)} s (${r.stepsPerSecond.toFixed(1)} steps/s)`],
];

/** A backstop figure: "—" for a run without one. */
const backstop =
  (show: (b: BackstopFigures) => string) =>
  (run: RunReport): string =>
    run.backstop === undefined ? "—" : show(run.backstop);

/** Rows added when a run had a backstop (`--backstop`, issue 26). */
const BACKSTOP_ROWS: readonly [string, (run: RunReport) => string][] = [
  ["Backstop stake", backstop((b) => `${usd(b.stakeUsd)} (${pct(b.sharePct)} of borrows)`)],
  ["Backstop absorbed (write-offs)", backstop((b) => usd(b.absorbedUsd))],
  ["Backstop earmarked at end", backstop((b) => usd(b.earmarkedEndUsd))],
  [
    "Backstop recovered",
    backstop((b) => `${usd(b.recoveredUsd)} (${b.recoverySales} sales, ${usd(b.recoveryProceedsUsd)})`),
  ],
  ["Backstop income", backstop((b) => usd(b.incomeUsd))],
  ["Backstop net loss", backstop((b) => usd(b.netLossUsd))],
  ["Lender loss without backstop", backstop((b) => (b.without === undefined ? "—" : pct(b.without.lenderLossPct)))],
  ["Bad debt without backstop", backstop((b) => (b.without === undefined ? "—" : usd(b.without.badDebtUsd)))],
];

/** The summary as a plain-text table: one column per run, in report order (static, adaptive, morpho). */
export function summaryTable(report: SimulationReport): string {
  const modes = PARAMS_MODES.filter((mode) => report.runs[mode] !== undefined);
  const runs = modes.map((mode) => report.runs[mode] as RunReport);
  const rows = runs.some((run) => run.backstop !== undefined) ? [...ROWS, ...BACKSTOP_ROWS] : ROWS;
  return renderTable(
    [{ header: "" }, ...modes.map((mode) => ({ header: mode, align: "right" as const }))],
    rows.map(([label, show]) => [label, ...runs.map(show)]),
  );
}

/** Writes report.json and report.html into `dir` (created if missing); returns their paths. */
export function writeReports(report: SimulationReport, dir: string): { json: string; html: string } {
  mkdirSync(dir, { recursive: true });
  const json = path.join(dir, "report.json");
  const html = path.join(dir, "report.html");
  writeFileSync(json, `${JSON.stringify(report, null, 1)}\n`);
  writeFileSync(html, renderReportHtml(report));
  return { json, html };
}
