/**
 * Solvency side by side, the last part of `npm run bench` (`BULWARK_BENCH_ONLY=solvency`): every shipped crash path
 * against Bulwark (static and adaptive parameters) and Morpho Blue, the same 200 borrowers on each (the runs are
 * scripts/lib/sim/solvency.ts): bad debt, liquidations and lenders' loss, one table, written to bench/solvency.json.
 * The figures are deterministic (same seed, fixed clock); the wall times are the machine's. About 4 minutes on
 * 2 cores: luna-2022 alone is 10,145 one-minute steps.
 */
import os from "node:os";
import path from "node:path";

import { renderTable } from "../format.js";
import { formatUsd } from "../sim/reportText.js";
import { goalVerdicts, solvencyBench, SOLVENCY_ACCOUNTS, SOLVENCY_SEED } from "../sim/solvency.js";
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
  const rows = await solvencyBench({ workers, log: (line) => console.log(line) });
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
  };
  await writeJson(OUTPUT, report);
  console.log(`${rows.length} runs in ${minutes.toFixed(1)} min. Wrote ${OUTPUT}.`);
}
