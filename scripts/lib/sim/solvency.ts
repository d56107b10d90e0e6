/**
 * The solvency side of `npm run bench` (issue 9): every shipped crash path replayed against Bulwark with static and
 * with adaptive parameters and against Morpho Blue (the same population, tokens, feeds, pools and keeper), one table
 * of bad debt, liquidations and lenders' loss, written to bench/solvency.json.
 *
 * Each (scenario, mode) is one run of the simulation's own CLI (`simulate --scenario S --params M`, its `main`) with
 * `npm start`'s population (200 borrowers, seed "bulwark"), so its black-thursday-2020 rows are `npm start`'s
 * figures. Runs are independent chains: `workers` of them go at once (one per core by default), longest path first,
 * each in a worker process that serves one run after another (solvencyWorkerMain.ts: the chain's start-up is paid
 * once per worker).
 */
import { fork, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";

import { readPricePath } from "../pricePath.js";
import { mergePaths } from "./path.js";
import { SCENARIO_DIR, SCENARIOS, type Scenario } from "./scenarios.js";
import { PARAMS_MODES, type ParamsMode, type RunReport, type SimulationReport } from "./types.js";

/** `npm start`'s population. */
export const SOLVENCY_ACCOUNTS = 200;
export const SOLVENCY_SEED = "bulwark";

/** One run's figures, as bench/solvency.json keeps them. */
export interface SolvencyRow {
  scenario: string;
  mode: ParamsMode;
  steps: number;
  badDebtUsd: number;
  badDebtPctOfBorrows: number;
  liquidations: number;
  lenderLossPct: number;
  /** Underwater debt still open at the end (not written off), USD at the path's last prices. */
  openShortfallUsd: number;
  initialBorrowsUsd: number;
  breakerTrips: number;
  failedKeeperTxs: number;
  wallSeconds: number;
}

interface Job {
  scenario: string;
  mode: ParamsMode;
  /** Steps of the scenario's path (longest first). */
  weight: number;
}

/**
 * Runs every shipped scenario (or `options.scenarios`) in every mode (or `options.modes`); returns the rows in
 * scenario order, then static, adaptive, morpho.
 */
export async function solvencyBench(options: {
  workers: number;
  log: (line: string) => void;
  scenarios?: readonly Scenario[];
  modes?: readonly ParamsMode[];
}): Promise<SolvencyRow[]> {
  const scenarios = options.scenarios ?? SCENARIOS;
  const modes = options.modes ?? PARAMS_MODES;
  const dir = mkdtempSync(path.join(os.tmpdir(), "bulwark-solvency-"));
  const jobs: Job[] = scenarios
    .flatMap((s) => modes.map((mode) => ({ scenario: s.name, mode, weight: scenarioSteps(s) })))
    .sort((a, b) => b.weight - a.weight);
  const rows = new Map<string, SolvencyRow>();
  const started = performance.now();
  let done = 0;
  const pool = Array.from({ length: Math.max(1, Math.min(options.workers, jobs.length)) }, () => new CliWorker());
  try {
    const queue = [...jobs];
    const worker = async (cli: CliWorker): Promise<void> => {
      for (let job = queue.shift(); job !== undefined; job = queue.shift()) {
        const name = `${job.scenario}/${job.mode}`;
        options.log(`  start  ${name}`);
        const out = path.join(dir, `${job.scenario}-${job.mode}`);
        await cli.run(
          [
            "--scenario",
            job.scenario,
            "--params",
            job.mode,
            "--accounts",
            String(SOLVENCY_ACCOUNTS),
            "--seed",
            SOLVENCY_SEED,
            "--out",
            out,
          ],
          (percent) => options.log(`         ${name} ${percent}%`),
        );
        const report = JSON.parse(readFileSync(path.join(out, "report.json"), "utf8")) as SimulationReport;
        const run = report.runs[job.mode];
        if (run === undefined) throw new Error(`${name}: the report has no ${job.mode} run`);
        rows.set(name, rowOf(job.scenario, run));
        done++;
        const minutes = ((performance.now() - started) / 60_000).toFixed(1);
        options.log(
          `  done   ${name} in ${run.wallSeconds.toFixed(0)} s: bad debt $${run.badDebt.usd.toFixed(2)} ` +
            `[${done}/${jobs.length}, ${minutes} min]`,
        );
      }
    };
    await Promise.all(pool.map((cli) => worker(cli)));
  } finally {
    for (const cli of pool) cli.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return scenarios.flatMap((s) => modes.map((mode) => rows.get(`${s.name}/${mode}`)).filter((r) => r !== undefined));
}

function rowOf(scenario: string, run: RunReport): SolvencyRow {
  return {
    scenario,
    mode: run.params,
    steps: run.steps,
    badDebtUsd: round(run.badDebt.usd, 2),
    badDebtPctOfBorrows: round(run.badDebt.pctOfInitialBorrows, 4),
    liquidations: run.liquidations,
    lenderLossPct: round(run.lenderLossPct, 4),
    openShortfallUsd: round(run.openShortfallUsd, 2),
    initialBorrowsUsd: round(run.initialBorrows.usd, 2),
    breakerTrips: run.breakerTrips,
    failedKeeperTxs: run.failedKeeperTxs,
    wallSeconds: round(run.wallSeconds, 1),
  };
}

/** Points of a scenario's merged path. */
export function scenarioSteps(s: Scenario): number {
  const paths = new Map(
    Object.entries(s.prices).map(([symbol, file]) => [symbol, readPricePath(path.join(SCENARIO_DIR, file))] as const),
  );
  return mergePaths(paths, new Map()).length;
}

const round = (value: number, digits: number): number => Number(value.toFixed(digits));

/**
 * Bulwark against Morpho on each scenario: whether each Bulwark mode left less bad debt than Morpho ("met"), as much
 * ("equal": both none) or more ("NOT met").
 */
export function goalVerdicts(rows: readonly SolvencyRow[]): { scenario: string; static: string; adaptive: string }[] {
  const scenarios = [...new Set(rows.map((r) => r.scenario))];
  return scenarios.flatMap((scenario) => {
    const of = (mode: ParamsMode) => rows.find((r) => r.scenario === scenario && r.mode === mode);
    const morpho = of("morpho");
    if (morpho === undefined) return [];
    const verdict = (row: SolvencyRow | undefined): string => {
      if (row === undefined) return "—";
      if (row.badDebtUsd < morpho.badDebtUsd) return "met";
      return row.badDebtUsd === morpho.badDebtUsd && row.badDebtUsd === 0 ? "equal (none)" : "NOT met";
    };
    return [{ scenario, static: verdict(of("static")), adaptive: verdict(of("adaptive")) }];
  });
}

const WORKER_ENTRY = new URL("./solvencyWorkerMain.ts", import.meta.url);

/**
 * A worker process serving simulate command lines one at a time (solvencyWorkerMain.ts). Its progress (a line per
 * 10% off a terminal) and errors come on its stderr.
 */
class CliWorker {
  private readonly child: ChildProcess;
  private readonly ready: Promise<void>;
  private stderr = "";
  private buffered = "";
  private progress: ((percent: number) => void) | undefined;
  private pending: { resolve: () => void; reject: (error: Error) => void; args: readonly string[] } | undefined;
  private failure: Error | undefined;

  constructor() {
    this.child = fork(WORKER_ENTRY, [], { cwd: process.cwd(), stdio: ["ignore", "ignore", "pipe", "ipc"] });
    this.child.stderr?.on("data", (chunk: Buffer) => this.onStderr(chunk.toString()));
    this.ready = new Promise((resolve, reject) => {
      this.child.once("message", () => resolve());
      this.child.once("exit", (code, signal) => reject(this.died(code, signal)));
    });
    this.ready.catch(() => undefined);
    this.child.on("message", (reply: { code?: number; error?: string; ready?: boolean }) => {
      const pending = this.pending;
      if (reply.ready === true || pending === undefined) return;
      this.pending = undefined;
      if (reply.code === 0) pending.resolve();
      else pending.reject(this.failed(pending.args, reply.error?.split("\n")[0] ?? `exited ${reply.code}`));
    });
    this.child.on("exit", (code, signal) => {
      this.failure = this.died(code, signal);
      this.pending?.reject(this.failure);
      this.pending = undefined;
    });
  }

  /** Runs the simulate CLI with `args`; `progress` gets each 10% line's percentage. Rejects with its stderr. */
  async run(args: readonly string[], progress: (percent: number) => void): Promise<void> {
    await this.ready;
    if (this.failure !== undefined) throw this.failure;
    this.stderr = "";
    this.progress = progress;
    await new Promise<void>((resolve, reject) => {
      this.pending = { resolve, reject, args };
      this.child.send({ argv: [...args] });
    });
  }

  close(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill();
  }

  private onStderr(text: string): void {
    this.stderr = (this.stderr + text).slice(-8000);
    this.buffered += text;
    const lines = this.buffered.split("\n");
    this.buffered = lines.pop() ?? "";
    for (const line of lines) {
      const match = / \((\d+)%\)\s*$/.exec(line);
      if (match !== null && match[1] !== "0" && match[1] !== "100") this.progress?.(Number(match[1]));
    }
  }

  private failed(args: readonly string[], why: string): Error {
    const last = this.stderr.trim().split("\n").at(-1) ?? "";
    return new Error(`simulate ${args.join(" ")} ${why}: ${last}`);
  }

  private died(code: number | null, signal: NodeJS.Signals | null): Error {
    const last = this.stderr.trim().split("\n").at(-1) ?? "";
    return new Error(`a solvency worker exited (${signal ?? `status ${code}`}): ${last}`);
  }
}
