/**
 * `npm run simulate -- --compare A/report.json B/report.json`: what changed between two simulation reports — the
 * inputs (commit, scenario, options, seed), the risk parameters as deployed, run by run — and what the crash cost in
 * each, side by side with the difference. Reads reports of any age: a field an older report lacks shows as "—".
 */
import { readFileSync } from "node:fs";

import { renderTable } from "../format.js";
import { formatCommit, formatNumber, formatPct, formatUsd } from "./reportText.js";
import { PARAMS_MODES, type ParamsMode, type RunReport, type SimulationMeta, type SimulationReport } from "./types.js";
import { lossPct } from "./verdict.js";

/** A file that is not a simulation report; the message names it. */
export class ReportFileError extends Error {}

/** Reads and checks a report.json. */
export function readReport(file: string): SimulationReport {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    throw new ReportFileError(`${file}: no such file`);
  }
  let report: unknown;
  try {
    report = JSON.parse(text);
  } catch {
    throw new ReportFileError(`${file}: not JSON (give a report.json written by npm run simulate)`);
  }
  const r = report as Partial<SimulationReport> | null;
  const isObject = (value: unknown): value is object => typeof value === "object" && value !== null;
  if (!isObject(r) || !isObject(r.meta) || !isObject(r.runs)) {
    throw new ReportFileError(`${file}: not a simulation report (it has no "meta" and "runs")`);
  }
  if (typeof r.meta.scenario !== "string" || typeof r.meta.seed !== "string") {
    throw new ReportFileError(`${file}: not a simulation report (meta has no scenario or seed)`);
  }
  for (const [mode, run] of Object.entries(r.runs) as Array<[string, Partial<RunReport> | undefined]>) {
    const figures = [
      run?.badDebt?.usd,
      run?.initialBorrows?.usd,
      run?.openShortfallUsd,
      run?.lenderLossPct,
      run?.liquidations,
    ];
    if (!PARAMS_MODES.includes(mode as ParamsMode) || figures.some((value) => typeof value !== "number")) {
      throw new ReportFileError(`${file}: runs.${mode} is not a run of npm run simulate (its figures are missing)`);
    }
  }
  return r as SimulationReport;
}

const show = (value: unknown): string => {
  if (value === undefined || value === null) return "—";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
};

const limitsText = (limits: NonNullable<SimulationMeta["limits"]>): string =>
  `bad debt ${limits.maxBadDebtPct === null ? "none" : formatPct(limits.maxBadDebtPct)}, ` +
  `lender loss ${limits.maxLenderLossPct === null ? "none" : formatPct(limits.maxLenderLossPct)}`;

/** The inputs that differ: [what, in A, in B]. */
export function inputChanges(a: SimulationReport, b: SimulationReport): Array<[string, string, string]> {
  const inputs: Array<[string, (meta: SimulationMeta) => unknown]> = [
    ["commit", (m) => formatCommit(m.commit)],
    ["scenario", (m) => m.scenario],
    ["price files", (m) => m.prices],
    ["runs (--params)", (m) => m.params],
    ["accounts", (m) => m.accounts],
    ["seed", (m) => m.seed],
    ["keeper delay (blocks)", (m) => m.keeperDelayBlocks],
    ["keeper outages", (m) => m.keeperOutages],
    ["chain", (m) => m.chain],
    ["limits", (m) => (m.limits === undefined ? undefined : limitsText(m.limits))],
  ];
  const changes: Array<[string, string, string]> = [];
  for (const [what, read] of inputs) {
    const [x, y] = [show(read(a.meta)), show(read(b.meta))];
    if (x !== y) changes.push([what, x, y]);
  }
  for (const mode of PARAMS_MODES) {
    const [x, y] = [a.runs[mode]?.deployed, b.runs[mode]?.deployed];
    if (x === undefined || y === undefined) continue;
    for (const key of [...new Set([...Object.keys(x), ...Object.keys(y)])].sort()) {
      if (x[key] !== y[key]) changes.push([`${mode} ${key}`, show(x[key]), show(y[key])]);
    }
  }
  return changes;
}

/** The outcome measures compared, each with how to show a value and a difference. */
const MEASURES: ReadonlyArray<[string, (run: RunReport) => number | null, (value: number) => string]> = [
  ["bad debt + open shortfall, % of borrows", lossPct, formatPct],
  ["bad debt booked", (r) => r.badDebt.usd, formatUsd],
  ["open shortfall at end", (r) => r.openShortfallUsd, formatUsd],
  ["lender loss", (r) => r.lenderLossPct, formatPct],
  ["liquidations", (r) => r.liquidations, (v) => formatNumber(v, 0)],
  ["liquidated debt", (r) => r.liquidatedDebt.usd, formatUsd],
  ["min health factor", (r) => r.minHealthFactor, (v) => formatNumber(v, 3)],
  ["breaker trips", (r) => r.breakerTrips, (v) => formatNumber(v, 0)],
  ["borrowers at end", (r) => r.borrowersAtEnd, (v) => formatNumber(v, 0)],
];

const signed = (value: number, format: (v: number) => string): string =>
  value === 0 ? "0" : value > 0 ? `+${format(value)}` : `-${format(-value)}`;

/** The comparison as text: inputs that changed, then every run's outcomes in A and B with B − A. */
export function compareReports(a: SimulationReport, b: SimulationReport, names: [string, string]): string {
  const lines = [`A: ${names[0]}`, `B: ${names[1]}`, ""];
  const changes = inputChanges(a, b);
  if (changes.length === 0) lines.push("Inputs: the same commit, options and deployed parameters.");
  else {
    lines.push("What changed:");
    lines.push(renderTable([{ header: "" }, { header: "A" }, { header: "B" }], changes));
  }
  for (const mode of PARAMS_MODES) {
    const [x, y] = [a.runs[mode], b.runs[mode]];
    if (x === undefined && y === undefined) continue;
    lines.push("", `${mode}:`);
    if (x === undefined || y === undefined) {
      lines.push(`  only in ${x === undefined ? "B" : "A"}`);
      continue;
    }
    const rows = MEASURES.map(([label, read, format]) => {
      const [u, v] = [read(x), read(y)];
      const delta = u === null || v === null ? "—" : signed(v - u, format);
      return [label, u === null ? "—" : format(u), v === null ? "—" : format(v), delta];
    });
    lines.push(
      renderTable(
        [
          { header: "" },
          { header: "A", align: "right" },
          { header: "B", align: "right" },
          { header: "B − A", align: "right" },
        ],
        rows,
      ),
    );
  }
  return lines.join("\n");
}
