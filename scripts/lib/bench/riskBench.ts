/**
 * The Monte Carlo, the last part of `npm run bench` (`BULWARK_BENCH_ONLY=risk`, issue 22): `npm run risk`'s default
 * run (200 synthetic 24-hour paths, 200 borrowers, Bulwark static and adaptive and Morpho Blue) on every core.
 * Writes bench/risk.json (the report's figures, each path's outcome as one line of text, and the wall time) and the
 * whole report with its charts to risk-out/bench/. The figures repeat exactly for the seed; the wall time is the machine's.
 */
import os from "node:os";
import path from "node:path";

import { parseRiskArgs, runPaths, summaryText, wholeRunReport, writeRiskReport } from "../risk/riskCli.js";
import { shardPaths } from "../risk/riskReport.js";
import type { PathOutcome } from "../risk/session.js";
import { COMMAND, machine, writeJson } from "./shared.js";

const OUTPUT = path.join("bench", "risk.json");
const FULL = path.join("risk-out", "bench");

/** The per-path outcomes, one line each (`PATH_COLUMNS`), so that any path the docs name can be checked here. */
const PATH_COLUMNS = [
  "index",
  "badDebtUsd",
  "lossUsd",
  "lenderLossPct",
  "liquidations",
  "breakerTrips",
  "breakerHours",
  "minHealth",
  "failedKeeperTxs",
] as const;

function pathRows(paths: Partial<Record<string, PathOutcome[]>>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = { columns: PATH_COLUMNS.join(",") };
  for (const [mode, rows] of Object.entries(paths)) {
    out[mode] = (rows ?? []).map((row) => PATH_COLUMNS.map((column) => String(row[column] ?? "")).join(","));
  }
  return out;
}

export async function riskBench(): Promise<void> {
  const parsed = parseRiskArgs([]);
  if (parsed === "help") return;
  const { config } = parsed;
  const workers = os.availableParallelism();
  console.log(
    `\nMonte Carlo: ${config.paths} paths of ${config.hours} h, ${config.accounts} borrowers, ${config.modes.join(", ")}, ` +
      `${workers} workers`,
  );
  const run = await runPaths(config, shardPaths(config.paths, 0, 1), workers, (line) => console.log(line));
  const report = wholeRunReport(config, run, workers);
  const files = writeRiskReport(report, FULL);
  console.log(`\n${summaryText(report)}`);
  const minutes = run.wallSeconds / 60;
  await writeJson(OUTPUT, {
    machine: machine(),
    command: `${COMMAND} (or BULWARK_BENCH_ONLY=risk ${COMMAND}; the same run as npm run risk)`,
    wallMinutes: Number(minutes.toFixed(1)),
    workers,
    marketsBuilt: run.markets,
    config: report.config,
    model: report.model,
    settings: report.settings.map(({ paths, ...rest }) => ({ ...rest, pathRows: pathRows(paths) })),
  });
  console.log(
    `${config.paths * config.modes.length} replays in ${minutes.toFixed(1)} min. Wrote ${OUTPUT}; rows and charts in ${files.html}.`,
  );
}
