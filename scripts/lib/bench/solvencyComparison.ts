/**
 * Solvency side by side, the last part of `npm run bench` (`BULWARK_BENCH_ONLY=solvency`): every shipped crash path
 * against Bulwark (static and adaptive parameters) and Morpho Blue, the same 200 borrowers on each (the runs are
 * scripts/lib/sim/solvency.ts): bad debt, liquidations and lenders' loss, one table, written to bench/solvency.json.
 * Then issue 26's rows: black-thursday-2020 and luna-2022 with a first-loss backstop staked with 1% of borrows (and
 * the recovery module running), static and adaptive, beside the same runs without it.
 * The figures are deterministic (same seed, fixed clock); the wall times are the machine's. About 9 minutes on
 * 2 cores: luna-2022 alone is 10,145 one-minute steps, and its backstop runs replay it twice.
 */
import os from "node:os";
import path from "node:path";

import { renderTable } from "../format.js";
import { formatUsd } from "../sim/reportText.js";
import {
  BACKSTOP_PCT,
  goalVerdicts,
  solvencyBench,
  SOLVENCY_ACCOUNTS,
  SOLVENCY_SEED,
  type SolvencyRow,
} from "../sim/solvency.js";
import { COMMAND, machine, writeJson } from "./shared.js";

const OUTPUT = path.join("bench", "solvency.json");

/** Runs every (scenario, mode), `BULWARK_BENCH_WORKERS` at a time (default: 2, or 1 on one core); prints and writes. */
export async function solvencyComparison(): Promise<void> {
  const workers = Number(process.env.BULWARK_BENCH_WORKERS ?? Math.min(2, os.cpus().length));
  if (!Number.isInteger(workers) || workers < 1) throw new Error("BULWARK_BENCH_WORKERS must be a positive integer");
  console.log(
    `\nSolvency: every shipped crash path against Bulwark (static, adaptive) and Morpho Blue, ${SOLVENCY_ACCOUNTS} ` +
      `borrowers (seed ${SOLVENCY_SEED}), ${workers} run(s) at a time`,
  );
  const started = performance.now();
  const all = await solvencyBench({ workers, log: (line) => console.log(line), backstop: true });
  const rows = all.filter((r) => r.backstop === undefined);
  const backstopRows = all.filter((r) => r.backstop !== undefined);
  console.log(
    `\n${renderTable(
      [
        { header: "Scenario" },
        { header: "Steps", align: "right" },
        { header: "Run" },
        { header: "Bad debt", align: "right" },
        { header: "% of borrows", align: "right" },
        { header: "Liquidations", align: "right" },
        { header: "Lender loss", align: "right" },
        { header: "Open shortfall", align: "right" },
      ],
      rows.map((r) => [
        r.scenario,
        String(r.steps),
        r.mode,
        formatUsd(r.badDebtUsd),
        `${r.badDebtPctOfBorrows.toFixed(2)}%`,
        r.liquidations.toLocaleString("en-US"),
        `${r.lenderLossPct.toFixed(2)}%`,
        formatUsd(r.openShortfallUsd),
      ]),
    )}`,
  );
  const verdicts = goalVerdicts(rows);
  console.log(
    `Open shortfall: debt still open at the end that its collateral does not cover, at the path's last prices ` +
      `(a loss not written off yet).\n\nGoal: less bad debt than the Morpho market on every shipped path.\n${renderTable(
        [{ header: "Scenario" }, { header: "static", align: "right" }, { header: "adaptive", align: "right" }],
        verdicts.map((v) => [v.scenario, v.static, v.adaptive]),
      )}`,
  );
  const backstop = backstopVerdicts(backstopRows);
  console.log(
    `\nWith a first-loss backstop of ${BACKSTOP_PCT}% of borrows (issue 26; the recovery module runs too):\n${renderTable(
      [
        { header: "Scenario" },
        { header: "Run" },
        { header: "Lender loss", align: "right" },
        { header: "without", align: "right" },
        { header: "Bad debt", align: "right" },
        { header: "Backstop absorbed", align: "right" },
        { header: "recovered", align: "right" },
        { header: "net loss", align: "right" },
        { header: "Reserves at end", align: "right" },
        { header: "Goal: ≤ a tenth", align: "right" },
      ],
      backstop.map(({ row, verdict }) => [
        row.scenario,
        row.mode,
        `${row.lenderLossPct.toFixed(4)}%`,
        row.backstop?.lenderLossWithoutPct === null || row.backstop === undefined
          ? "—"
          : `${row.backstop.lenderLossWithoutPct.toFixed(4)}%`,
        formatUsd(row.badDebtUsd),
        formatUsd(row.backstop?.absorbedUsd ?? 0),
        formatUsd(row.backstop?.recoveredUsd ?? 0),
        formatUsd(row.backstop?.netLossUsd ?? 0),
        formatUsd(row.backstop?.reservesUsd ?? 0),
        verdict,
      ]),
    )}`,
  );
  const minutes = (performance.now() - started) / 60_000;
  const report = {
    machine: machine(),
    command: `${COMMAND} (or BULWARK_BENCH_ONLY=solvency ${COMMAND})`,
    accounts: SOLVENCY_ACCOUNTS,
    seed: SOLVENCY_SEED,
    workers,
    wallMinutes: Number(minutes.toFixed(1)),
    runs: rows,
    goal: verdicts,
    backstop: {
      pctOfBorrows: BACKSTOP_PCT,
      runs: backstopRows,
      goal: backstop.map(({ row, verdict }) => ({ scenario: row.scenario, mode: row.mode, verdict })),
    },
  };
  await writeJson(OUTPUT, report);
  console.log(`${all.length} runs in ${minutes.toFixed(1)} min. Wrote ${OUTPUT}.`);
}

/**
 * Issue 26's goal for each backstop row: lenders lose at most a tenth of what they lose without it ("met"; "no loss
 * either way" when neither run lost anything), and the backstop absorbed no more than its stake.
 */
export function backstopVerdicts(rows: readonly SolvencyRow[]): { row: SolvencyRow; verdict: string }[] {
  return rows.map((row) => {
    const without = row.backstop?.lenderLossWithoutPct ?? null;
    if (without === null) return { row, verdict: "—" };
    if (without === 0 && row.lenderLossPct === 0) return { row, verdict: "no loss either way" };
    return { row, verdict: row.lenderLossPct <= without / 10 ? "met" : "NOT met" };
  });
}
