/**
 * The simulation's performance benchmark (part of `npm run bench`): one day of LUNA/USDT at 1-minute closes
 * (2022-05-10 00:00-23:59 UTC, the 1,440 rows of that day in the shipped luna2022_luna_usdt_1m_binance.csv; LUNA
 * −42% over the day) replayed with LUNA listed as collateral beside WETH and WBTC, against 1,000 borrowers, static
 * parameters (`BULWARK_BENCH_ONLY=simulation`). Reports setup time, replay wall time and steps per second, written to
 * bench/simulation.json: the times depend on the machine (the file names it); steps, blocks and liquidations do not.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { renderTable } from "../format.js";
import { runSimulation } from "../sim/run.js";
import { SCENARIO_DIR } from "../sim/scenarios.js";
import type { RunReport } from "../sim/types.js";
import { ChainFloorProbe, type ChainFloor } from "./chainFloor.js";
import { COMMAND, machine, writeJson } from "./shared.js";

const OUTPUT = path.join("bench", "simulation.json");

export const BENCH_FILE = "luna2022_luna_usdt_1m_binance.csv";
/** 2022-05-10 00:00:00 UTC and 24 hours later: the day's 1,440 closes. */
export const BENCH_DAY = { from: 1_652_140_800, to: 1_652_227_200 };
export const BENCH_ACCOUNTS = 1000;

/** The rows of the shipped LUNA file inside BENCH_DAY, as a CSV text. */
export function benchDayCsv(): string {
  const lines = readFileSync(path.join(SCENARIO_DIR, BENCH_FILE), "utf8").trim().split(/\r?\n/);
  const rows = lines.slice(1).filter((line) => {
    const t = Number(line.split(",")[0]);
    return t >= BENCH_DAY.from && t < BENCH_DAY.to;
  });
  return [lines[0], ...rows].join("\n");
}

/** Runs the benchmark simulation, printing a progress line per 10%; returns the run and the chain's floor. */
export async function benchSimulation(): Promise<{ run: RunReport; floor: ChainFloor }> {
  const dir = mkdtempSync(path.join(tmpdir(), "bulwark-bench-"));
  try {
    const file = path.join(dir, "luna-2022-05-10.csv");
    writeFileSync(file, benchDayCsv());
    let lastDecile = -1;
    const probe = new ChainFloorProbe();
    let floor: ChainFloor | undefined;
    const report = await runSimulation(
      {
        scenario: "bench",
        description: "LUNA 2022-05-10, 1-minute closes",
        prices: new Map([["LUNA", file]]),
        accounts: BENCH_ACCOUNTS,
        seed: "bench",
        params: "static",
        keeperDelayBlocks: 0,
        keeperOutages: [],
        replayHooks: {
          before: (ethers) => probe.before(ethers),
          after: async (ethers) => {
            console.log("  the chain's floor: the same transactions and blocks again, nothing else");
            floor = await probe.measure(ethers);
          },
        },
      },
      {
        phase: (text) => console.log(`  ${text}`),
        progress: (done, total) => {
          const decile = Math.floor((done / total) * 10);
          if (decile > lastDecile) {
            lastDecile = decile;
            console.log(`    ${done}/${total} steps`);
          }
        },
      },
    );
    const run = report.runs.static;
    if (run === undefined || floor === undefined) throw new Error("the benchmark run did not report");
    return { run, floor };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs the benchmark, prints its figures as a table and writes them to bench/simulation.json. */
export async function simulationBench(): Promise<void> {
  console.log(
    `\nSimulation: ${BENCH_ACCOUNTS} borrowers, one day of LUNA at 1-minute closes (${BENCH_FILE}, 2022-05-10)`,
  );
  const { run, floor } = await benchSimulation();
  if (!floor.sameGas)
    throw new Error("the chain floor's blocks used other gas than the replay's: not the same workload");
  const figures = {
    machine: machine(),
    command: COMMAND,
    path: `${BENCH_FILE}, 2022-05-10 00:00-23:59 UTC`,
    accounts: BENCH_ACCOUNTS,
    steps: run.steps,
    blocks: run.blocks,
    setupSeconds: Number(run.setupSeconds.toFixed(1)),
    wallSeconds: Number(run.wallSeconds.toFixed(1)),
    stepsPerSecond: Number(run.stepsPerSecond.toFixed(1)),
    liquidations: run.liquidations,
    badDebtPctOfBorrows: Number(run.badDebt.pctOfInitialBorrows.toFixed(4)),
    /** The chain alone on the replay's transactions and blocks (chainFloor.ts), and the replay's time over it. */
    chainFloor: {
      transactions: floor.transactions,
      blocks: floor.blocks,
      seconds: Number(floor.seconds.toFixed(1)),
      transactionsPerSecond: Number((floor.transactions / floor.seconds).toFixed(0)),
      replayOverFloor: Number((run.wallSeconds / floor.seconds).toFixed(2)),
    },
  };
  console.log(
    renderTable(
      [{ header: "Simulation" }, { header: "Value", align: "right" }],
      [
        ["steps (path points)", String(figures.steps)],
        ["blocks mined", String(figures.blocks)],
        ["setup (deploy, 1,000 positions, pools)", `${figures.setupSeconds} s`],
        ["replay wall time", `${figures.wallSeconds} s`],
        ["steps per second", String(figures.stepsPerSecond)],
        ["total (setup + replay)", `${(figures.setupSeconds + figures.wallSeconds).toFixed(1)} s`],
        ["liquidations", String(figures.liquidations)],
        [
          "chain's floor (its transactions and blocks alone)",
          `${figures.chainFloor.seconds} s (${figures.chainFloor.transactions} txs, ${figures.chainFloor.transactionsPerSecond}/s)`,
        ],
        ["replay / floor", `${figures.chainFloor.replayOverFloor}×`],
      ],
    ),
  );
  await writeJson(OUTPUT, figures);
  console.log(`Wrote ${OUTPUT}.`);
}
