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
  /** With a first-loss backstop (`--backstop`, issue 26): its stake (percent of borrows) and what it did. */
  backstop?: {
    pct: number;
    absorbedUsd: number;
    recoveredUsd: number;
    netLossUsd: number;
    reservesUsd: number;
    /** The same run without the backstop. */
    lenderLossWithoutPct: number | null;
    badDebtWithoutUsd: number | null;
  };
}

interface Job {
  scenario: string;
  mode: ParamsMode;
  /** Steps of the scenario's path (longest first). */
  weight: number;
  /** Run with a backstop of this percent of borrows. */
  backstopPct?: number;
}

/** The backstop's rows (issue 26's Done-when): a stake of 1% of borrows on these paths, static and adaptive. */
export const BACKSTOP_PCT = 1;
export const BACKSTOP_SCENARIOS: readonly string[] = ["black-thursday-2020", "luna-2022"];

/**
 * Runs every shipped scenario (or `options.scenarios`) in every mode (or `options.modes`); returns the rows in
 * scenario order, then static, adaptive, morpho.
 */
export async function solvencyBench(options: {
  workers: number;
  log: (line: string) => void;
  scenarios?: readonly Scenario[];
  modes?: readonly ParamsMode[];
  /** Also run BACKSTOP_SCENARIOS (of those chosen) with a backstop, static and adaptive (default false). */
  backstop?: boolean;
}): Promise<SolvencyRow[]> {
  const scenarios = options.scenarios ?? SCENARIOS;
  const modes = options.modes ?? PARAMS_MODES;
  const dir = mkdtempSync(path.join(os.tmpdir(), "bulwark-solvency-"));
  const backstopJobs: Job[] =
    options.backstop === true
      ? scenarios
          .filter((s) => BACKSTOP_SCENARIOS.includes(s.name))
          .flatMap((s) =>
            modes
              .filter((mode) => mode !== "morpho")
              // Weighted twice: the run replays the path without the backstop too.
              .map((mode) => ({ scenario: s.name, mode, weight: 2 * scenarioSteps(s), backstopPct: BACKSTOP_PCT })),
          )
      : [];
  const jobs: Job[] = scenarios
    .flatMap((s) => modes.map((mode): Job => ({ scenario: s.name, mode, weight: scenarioSteps(s) })))
    .concat(backstopJobs)
    .sort((a, b) => b.weight - a.weight);
  const rows = new Map<string, SolvencyRow>();
  const started = performance.now();
  let done = 0;
  const pool: CliWorker[] = [];
  try {
    for (let w = 0; w < Math.min(Math.max(1, options.workers), jobs.length); w++) pool.push(new CliWorker());
    const queue = [...jobs];
    const worker = async (cli: CliWorker): Promise<void> => {
      for (let job = queue.shift(); job !== undefined; job = queue.shift()) {
        const name = `${job.scenario}/${job.mode}${job.backstopPct === undefined ? "" : "+backstop"}`;
        options.log(`  start  ${name}`);
        const out = path.join(dir, name.replace(/[/+]/g, "-"));
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
            ...(job.backstopPct === undefined ? [] : ["--backstop", String(job.backstopPct)]),
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
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  }
  const plain = scenarios.flatMap((s) => modes.map((mode) => rows.get(`${s.name}/${mode}`)));
  const withBackstop = backstopJobs.map((job) => rows.get(`${job.scenario}/${job.mode}+backstop`));
  return [...plain, ...withBackstop].filter((r) => r !== undefined);
}

/** A run's row of bench/solvency.json (with its backstop's figures when it had one). */
export function rowOf(scenario: string, run: RunReport): SolvencyRow {
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
    ...(run.backstop === undefined
      ? {}
      : {
          backstop: {
            pct: run.backstop.sharePct,
            absorbedUsd: round(run.backstop.absorbedUsd, 2),
            recoveredUsd: round(run.backstop.recoveredUsd, 2),
            netLossUsd: round(run.backstop.netLossUsd, 2),
            reservesUsd: round(run.reserves.usd, 2),
            lenderLossWithoutPct:
              run.backstop.without === undefined ? null : round(run.backstop.without.lenderLossPct, 4),
            badDebtWithoutUsd: run.backstop.without === undefined ? null : round(run.backstop.without.badDebtUsd, 2),
          },
        }),
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
    const of = (mode: ParamsMode) =>
      rows.find((r) => r.scenario === scenario && r.mode === mode && r.backstop === undefined);
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

/** To a solvency worker: run the simulate CLI with `argv`. */
export interface SolvencyRequest {
  argv: string[];
}

/** From a solvency worker: started; a progress line of the current run; the run's exit status (and stderr's tail). */
export type SolvencyReply =
  { kind: "ready" } | { kind: "progress"; percent: number } | { kind: "done"; code: number; stderr: string };

/** The last line of `text` worth showing (not Node's version banner). */
function lastLine(text: string): string {
  return (
    text
      .split("\n")
      .map((line) => line.trim())
      .filter((line) => line !== "" && !/^Node\.js v\d/.test(line))
      .at(-1) ?? ""
  );
}

/**
 * A worker process serving simulate command lines one at a time (solvencyWorkerMain.ts). Any failure of the process
 * (it exits, or the channel to it fails) fails the run it holds and every later one, with its last stderr line.
 */
class CliWorker {
  private readonly child: ChildProcess;
  private readonly ready: Promise<void>;
  /** The tail of the process's own stderr (for a death outside any run). */
  private stderr = "";
  private current:
    | { args: readonly string[]; progress: (percent: number) => void; resolve: () => void; reject: (e: Error) => void }
    | undefined;
  private failure: Error | undefined;
  /** Settles once the worker has failed (never, while it lives): one promise, however many runs wait on it. */
  private readonly dead: Promise<void>;
  private markDead: () => void = () => undefined;

  constructor() {
    this.dead = new Promise((resolve) => {
      this.markDead = resolve;
    });
    // A plain Node process, whatever flags this one runs with (an inspector's, say).
    this.child = fork(WORKER_ENTRY, [], {
      cwd: process.cwd(),
      execArgv: [],
      stdio: ["ignore", "ignore", "pipe", "ipc"],
    });
    this.child.stderr?.on("data", (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-8000);
    });
    let started: () => void = () => undefined;
    this.ready = new Promise((resolve) => {
      started = resolve;
    });
    this.child.on("message", (reply: SolvencyReply) => {
      if (reply.kind === "ready") return started();
      const current = this.current;
      if (current === undefined) return;
      if (reply.kind === "progress") {
        if (reply.percent !== 0 && reply.percent !== 100) current.progress(reply.percent);
        return;
      }
      this.current = undefined;
      if (reply.code === 0) current.resolve();
      else
        current.reject(new Error(`simulate ${current.args.join(" ")} exited ${reply.code}: ${lastLine(reply.stderr)}`));
    });
    // "close" comes after the process ended and its stderr was read to the end.
    this.child.on("close", (code, signal) => this.fail(`exited (${signal ?? `status ${code}`})`));
    this.child.on("error", (error) => this.fail(`failed (${error.message})`));
  }

  /** Runs the simulate CLI with `args`; `progress` gets each 10% line's percentage. Rejects with its stderr. */
  async run(args: readonly string[], progress: (percent: number) => void): Promise<void> {
    await Promise.race([this.ready, this.dead]);
    if (this.failure !== undefined) throw this.failure;
    await new Promise<void>((resolve, reject) => {
      this.current = { args, progress, resolve, reject };
      this.child.send({ argv: [...args] } satisfies SolvencyRequest, (error) => {
        if (error !== null) this.fail(`could not be sent a run (${error.message})`);
      });
    });
  }

  close(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill();
  }

  private fail(why: string): void {
    if (this.failure !== undefined) return;
    const last = lastLine(this.stderr);
    this.failure = new Error(`a solvency worker ${why}${last === "" ? "" : `: ${last}`}`);
    this.current?.reject(this.failure);
    this.current = undefined;
    this.markDead();
  }
}
