/**
 * `npm run risk -- [options]` (also `npm run simulate -- --monte-carlo N`): the Monte Carlo risk report of issue 22.
 * Draws N synthetic paths from the model fitted to the shipped crashes (model.ts), replays each against Bulwark static,
 * adaptive and Morpho Blue on every core (pool.ts), and writes risk.json and risk.html; `--shard I/N` runs a slice
 * and writes a shard file, `--merge` combines shard files into the report; `--sweep` repeats it per parameter
 * setting. See `usage()` and docs/risk.md.
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { UsageError, parseOptions, runCli, wholeNumber } from "../cliArgs.js";
import { renderTable } from "../format.js";
import { gitCommit } from "../gitCommit.js";
import { machine } from "../machine.js";
import { modesOf, type ParamsMode, type ParamsSelection } from "../sim/types.js";
import { codeId } from "./codeId.js";
import { DEFAULT_MODEL_OPTIONS } from "./model.js";
import { runPool, type Finished } from "./pool.js";
import { renderRiskHtml } from "./riskHtml.js";
import {
  FORMAT_VERSION,
  SHARD_KIND,
  buildReport,
  mergeShards,
  readShards,
  settingsOf,
  shardPaths,
  type Outcomes,
  type RiskConfig,
  type RiskReport,
  type ShardFile,
} from "./riskReport.js";
import { SWEEP_BOUNDS, SWEEP_NAMES, collateralSpecs, settingGrid, settingLabel, type SweepName } from "./settings.js";
import type { Job } from "./worker.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

export interface RiskOptions {
  config: RiskConfig;
  workers: number;
  out: string;
  shard?: { index: number; count: number };
  /** `--merge`: shard files or directories; the run itself is skipped. */
  merge?: string[];
}

export function usage(): string {
  return [
    "usage: npm run risk -- [options]        (or: npm run simulate -- --monte-carlo N [options])",
    "",
    "Monte Carlo risk report: N synthetic price paths drawn from a model fitted to the shipped crashes, each",
    "replayed on the real contracts against Bulwark static, adaptive and Morpho Blue. Writes risk.json and risk.html.",
    "",
    "  --paths N, --monte-carlo N  paths (default 200)",
    "  --hours H                   hours per path, one step an hour (default 24)",
    "  --accounts N                borrowers (default 200)",
    "  --seed S                    seed of the paths and the population (default bulwark)",
    "  --params MODE               static, adaptive, morpho, both (Bulwark's two) or all (default all)",
    "  --workers N                 worker processes (default: one per core, " + os.availableParallelism() + " here)",
    "  --shard I/N                 run only paths i with i mod N = I (I from 0, as a Kubernetes Indexed Job's",
    "                              completion index) and write shard-I-of-N.json to --out",
    "  --merge PATH                combine shard files (or every shard file in a directory; repeatable) into the",
    "                              report; runs nothing",
    "  --sweep NAME=FROM:TO:STEP   repeat the Monte Carlo per value (repeatable: a grid); NAME is threshold (every",
    "                              collateral's liquidation threshold, its borrow LTV moving with it), bonus (the",
    "                              maximum liquidation bonus) or targetHealth (what a partial liquidation restores)",
    "  --block-hours L             mean block length of the bootstrap (default " +
      DEFAULT_MODEL_OPTIONS.blockHours +
      ")",
    "  --jump-scale K              jumps K times as often as in the data (default " +
      DEFAULT_MODEL_OPTIONS.jumpScale +
      ")",
    "  --out DIR                   where the files go (default risk-out)",
    "  -h, --help                  this text",
    "",
    "Exit status: 0 done, 1 error, 2 bad command line.",
  ].join("\n");
}

/** A decimal number within [min, max]. */
function decimal(flag: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\d+(\.\d+)?$/.test(raw.trim()) || value < min || value > max) {
    throw new UsageError(`--${flag} must be a number from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

/** `NAME=FROM:TO:STEP` → its values (FROM, FROM+STEP, … up to TO, inclusive within a rounding). */
export function parseSweep(spec: string): { name: SweepName; values: number[] } {
  const match = /^([A-Za-z]+)=([^:]+):([^:]+):([^:]+)$/.exec(spec.trim());
  if (match === null)
    throw new UsageError(`--sweep must be NAME=FROM:TO:STEP (e.g. threshold=0.75:0.90:0.05), got "${spec}"`);
  const name = SWEEP_NAMES.find((n) => n.toLowerCase() === match[1].toLowerCase());
  if (name === undefined)
    throw new UsageError(`--sweep: "${match[1]}" is not a parameter: give ${SWEEP_NAMES.join(", ")}`);
  const [from, to, step] = [match[2], match[3], match[4]].map((x) => {
    if (!/^\d+(\.\d+)?$/.test(x)) throw new UsageError(`--sweep ${spec}: "${x}" is not a number`);
    return Number(x);
  });
  if (step <= 0) throw new UsageError(`--sweep ${spec}: STEP must be above 0`);
  if (to < from) throw new UsageError(`--sweep ${spec}: TO must not be below FROM`);
  const [low, high] = SWEEP_BOUNDS[name];
  if (from < low || to > high) throw new UsageError(`--sweep ${spec}: ${name} must stay within ${low} to ${high}`);
  // Count first (a tiny STEP must not build billions of values), and TO must be FROM plus a whole number of STEPs.
  const steps = (to - from) / step;
  if (steps > 49) throw new UsageError(`--sweep ${spec}: ${Math.floor(steps) + 1} or more values; at most 50`);
  const count = Math.round(steps);
  if (Math.abs(steps - count) > 1e-6) {
    throw new UsageError(`--sweep ${spec}: STEP does not land on TO (FROM + n × STEP must equal TO)`);
  }
  const values = Array.from({ length: count + 1 }, (_, i) => Number((from + i * step).toFixed(6)));
  return { name, values };
}

/**
 * Refuses a sweep the contracts would refuse or that changes nothing: a setting leaving a collateral no liquidation
 * buffer (threshold × (1 + bonus) must stay below 1, the vault's INV-17), or a bonus or target-health sweep of Morpho
 * alone (Morpho uses neither).
 */
export function checkSweeps(sweeps: RiskConfig["sweeps"], modes: readonly ParamsMode[]): void {
  for (const setting of settingGrid(sweeps)) {
    for (const spec of collateralSpecs(setting)) {
      const c = spec.collateral;
      if (c !== undefined && c.liquidationThreshold * (1 + c.liquidationBonus) >= 1 - 1e-9) {
        throw new UsageError(
          `--sweep: at ${settingLabel(setting)}, ${spec.symbol} has threshold ${c.liquidationThreshold} × (1 + bonus ` +
            `${c.liquidationBonus}) ≥ 1, which the vault refuses (no liquidation buffer): lower the range`,
        );
      }
    }
  }
  const bulwarkOnly = sweeps.filter((sweep) => sweep.name !== "threshold").map((sweep) => sweep.name);
  if (bulwarkOnly.length > 0 && modes.every((mode) => mode === "morpho")) {
    throw new UsageError(
      `--sweep ${bulwarkOnly[0]}: Morpho Blue has no such parameter; sweep it with --params static, adaptive, both or all`,
    );
  }
}

export function parseRiskArgs(argv: readonly string[], cwd = process.cwd()): RiskOptions | "help" {
  const v = parseOptions(argv, {
    paths: { type: "string" },
    "monte-carlo": { type: "string" },
    hours: { type: "string" },
    accounts: { type: "string" },
    seed: { type: "string" },
    params: { type: "string" },
    workers: { type: "string" },
    shard: { type: "string" },
    merge: { type: "string", multiple: true },
    sweep: { type: "string", multiple: true },
    "block-hours": { type: "string" },
    "jump-scale": { type: "string" },
    out: { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (v.help === true) return "help";
  if (v.paths !== undefined && v["monte-carlo"] !== undefined)
    throw new UsageError("give --paths or --monte-carlo, not both");
  const params = v.params ?? "all";
  if (!["static", "adaptive", "morpho", "both", "all"].includes(params)) {
    throw new UsageError(`--params must be static, adaptive, morpho, both or all, got "${params}"`);
  }
  const sweeps = (v.sweep ?? []).map(parseSweep);
  if (new Set(sweeps.map((s) => s.name)).size !== sweeps.length)
    throw new UsageError("--sweep names a parameter twice");
  let shard: RiskOptions["shard"];
  if (v.shard !== undefined) {
    const match = /^(\d+)\/(\d+)$/.exec(v.shard.trim());
    if (match === null) throw new UsageError(`--shard must be I/N (e.g. 0/4), got "${v.shard}"`);
    const [index, count] = [Number(match[1]), Number(match[2])];
    if (count < 1) throw new UsageError("--shard I/N: N must be at least 1");
    if (index >= count) throw new UsageError(`--shard ${v.shard}: I counts from 0, so it must be below N (${count})`);
    shard = { index, count };
  }
  if (v.merge !== undefined) {
    const other = Object.keys(v).filter((k) => !["merge", "out"].includes(k));
    if (other.length > 0) {
      throw new UsageError(
        `--merge takes the configuration from the shards: give only --out with it, not --${other[0]}`,
      );
    }
  }
  const config: RiskConfig = {
    paths: wholeNumber(
      v.paths === undefined ? "monte-carlo" : "paths",
      v.paths ?? v["monte-carlo"],
      200,
      1,
      100_000,
      "paths",
    ),
    hours: wholeNumber("hours", v.hours, 24, 1, 720),
    accounts: wholeNumber("accounts", v.accounts, 200, 1, 10_000, "borrowers"),
    seed: v.seed ?? "bulwark",
    modes: modesOf(params as ParamsSelection),
    model: {
      ...DEFAULT_MODEL_OPTIONS,
      blockHours: decimal("block-hours", v["block-hours"], DEFAULT_MODEL_OPTIONS.blockHours, 1, 168),
      jumpScale: decimal("jump-scale", v["jump-scale"], DEFAULT_MODEL_OPTIONS.jumpScale, 0, 10),
    },
    sweeps,
  };
  checkSweeps(sweeps, config.modes);
  return {
    config,
    workers: wholeNumber("workers", v.workers, os.availableParallelism(), 1, 256, "processes"),
    out: path.resolve(cwd, v.out ?? "risk-out"),
    shard,
    merge: v.merge?.map((file) => path.resolve(cwd, file)),
  };
}

/** Every (setting, protocol, path) job of `paths`, setting-major, protocols in report order. */
export function jobsFor(config: RiskConfig, paths: readonly number[]): Job[] {
  return settingsOf(config).flatMap((_, setting) =>
    config.modes.flatMap((mode) => paths.map((index) => ({ setting, mode, index }))),
  );
}

/** Runs the Monte Carlo's jobs for `paths` (all, or a shard's), printing progress on stderr. */
export async function runPaths(
  config: RiskConfig,
  paths: readonly number[],
  workers: number,
  log: (line: string) => void,
): Promise<{ outcomes: Outcomes; wallSeconds: number; markets: number }> {
  const jobs = jobsFor(config, paths);
  const settings = settingsOf(config);
  const outcomes: Outcomes = settings.map(() => Object.fromEntries(config.modes.map((m) => [m, []])));
  const started = performance.now();
  let done = 0;
  let markets = 0;
  let lastLine = 0;
  log(
    `  ${jobs.length} replays (${paths.length} paths × ${config.modes.length} protocols × ${settings.length} settings) on ${Math.min(workers, jobs.length)} workers`,
  );
  await runPool({ ...config, settings }, jobs, workers, (f: Finished) => {
    outcomes[f.job.setting][f.job.mode]?.push(f.outcome);
    done++;
    if (f.setupSeconds > 0) markets++;
    const now = performance.now();
    if (done === jobs.length || now - lastLine > 5000 || done % Math.max(1, Math.round(jobs.length / 10)) === 0) {
      lastLine = now;
      const minutes = (now - started) / 60_000;
      const left = (minutes / done) * (jobs.length - done);
      const where = settings.length > 1 ? ` [${settingLabel(settings[f.job.setting])}]` : "";
      log(
        `  ${done}/${jobs.length} ${f.job.mode} path ${f.job.index}${where}: bad debt $${f.outcome.badDebtUsd.toFixed(2)}, ` +
          `${f.outcome.liquidations} liquidations (${f.wallSeconds.toFixed(1)} s) — ${minutes.toFixed(1)} min, ~${left.toFixed(1)} min left`,
      );
    }
  });
  return { outcomes, wallSeconds: (performance.now() - started) / 1000, markets };
}

const usd = (x: number): string =>
  `$${x.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

/** The report's figures as plain-text tables, one per setting. */
export function summaryText(report: RiskReport): string {
  const modes = report.config.modes;
  return report.settings
    .map((result) => {
      const rows: [string, (m: ParamsMode) => string][] = [
        ["Bad debt mean", (m) => usd(result.protocols[m]?.badDebtUsd.mean ?? 0)],
        ["Bad debt VaR95", (m) => usd(result.protocols[m]?.badDebtUsd.var95 ?? 0)],
        ["Bad debt VaR99", (m) => usd(result.protocols[m]?.badDebtUsd.var99 ?? 0)],
        ["Bad debt ES95", (m) => usd(result.protocols[m]?.badDebtUsd.es95 ?? 0)],
        ["P(any bad debt)", (m) => `${((result.protocols[m]?.probBadDebt ?? 0) * 100).toFixed(1)}%`],
        ["Lenders' loss VaR95", (m) => `${(result.protocols[m]?.lenderLossPct.var95 ?? 0).toFixed(4)}%`],
        ["Liquidations mean", (m) => (result.protocols[m]?.liquidations.mean ?? 0).toFixed(1)],
        [
          "Breaker hours mean",
          (m) => (m === "morpho" ? "—" : (result.protocols[m]?.breakerHours.mean ?? 0).toFixed(2)),
        ],
      ];
      const table = renderTable(
        [{ header: "" }, ...modes.map((m) => ({ header: m, align: "right" as const }))],
        rows.map(([label, show]) => [label, ...modes.map(show)]),
      );
      return `${result.label} (borrowing power ${(result.borrowingPower * 100).toFixed(1)}%)\n${table}`;
    })
    .join("\n\n");
}

/** Thrown when the output directory cannot be written (checked before any replay runs). */
export class OutputError extends Error {}

/** Creates `dir` and checks a file can be written in it, before a long run rather than after it. */
export function checkWritable(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    const probe = path.join(dir, `.risk-write-check-${process.pid}`);
    writeFileSync(probe, "");
    rmSync(probe);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new OutputError(`--out ${dir}: cannot write there (${code})`);
  }
}

/** Writes `text` to `file` through a temporary file and a rename: an interrupted write never leaves half a file. */
function writeAtomic(file: string, text: string): void {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, text);
  renameSync(temporary, file);
}

/** Writes risk.json and risk.html into `out`; returns their paths. */
export function writeRiskReport(report: RiskReport, out: string): { json: string; html: string } {
  mkdirSync(out, { recursive: true });
  const json = path.join(out, "risk.json");
  const html = path.join(out, "risk.html");
  writeAtomic(json, `${JSON.stringify(report, null, 2)}\n`);
  writeAtomic(html, renderRiskHtml(report));
  return { json, html };
}

/** risk.json of a run made in one piece (not merged from shards) on this machine. */
export function wholeRunReport(
  config: RiskConfig,
  run: { outcomes: Outcomes; wallSeconds: number },
  workers: number,
  code = codeId(),
  commit = gitCommit(ROOT),
): RiskReport {
  return buildReport(config, run.outcomes, {
    code,
    commit,
    generatedAt: new Date().toISOString(),
    shards: 1,
    wallSeconds: Number(run.wallSeconds.toFixed(1)),
    workers,
    machine: machine(),
  });
}

/** Runs the command (parsed options); returns the exit status. */
export async function runRisk(
  options: RiskOptions,
  log: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
): Promise<number> {
  const rel = (file: string): string => path.relative(process.cwd(), file) || file;
  checkWritable(options.out);
  if (options.merge !== undefined) {
    const merged = mergeShards(readShards(options.merge));
    const report = buildReport(merged.config, merged.outcomes, {
      code: merged.code,
      commit: merged.commit,
      generatedAt: new Date().toISOString(),
      shards: merged.shards,
      wallSeconds: Number(merged.wallSeconds.toFixed(1)),
    });
    const files = writeRiskReport(report, options.out);
    process.stdout.write(`${summaryText(report)}\n\nreport: ${rel(files.json)}\ncharts: ${rel(files.html)}\n`);
    return 0;
  }
  const { config } = options;
  const code = codeId();
  const commit = gitCommit(ROOT);
  const shard = options.shard ?? { index: 0, count: 1 };
  const paths = shardPaths(config.paths, shard.index, shard.count);
  process.stdout.write(
    `Bulwark Monte Carlo: ${config.paths} paths of ${config.hours} h, ${config.accounts} borrowers, ${config.modes.join(", ")}` +
      `${options.shard === undefined ? "" : `, shard ${shard.index}/${shard.count} (${paths.length} paths)`}\n`,
  );
  const run = await runPaths(config, paths, options.workers, log);
  if (options.shard !== undefined) {
    const file: ShardFile = {
      kind: SHARD_KIND,
      version: FORMAT_VERSION,
      config,
      code,
      commit,
      shard,
      outcomes: run.outcomes,
      wallSeconds: Number(run.wallSeconds.toFixed(1)),
    };
    const target = path.join(options.out, `shard-${shard.index}-of-${shard.count}.json`);
    writeAtomic(target, `${JSON.stringify(file, null, 2)}\n`);
    process.stdout.write(
      `shard: ${rel(target)} (${run.wallSeconds.toFixed(0)} s); combine with --merge ${rel(options.out)}\n`,
    );
    return 0;
  }
  const report = wholeRunReport(config, run, Math.min(options.workers, jobsFor(config, paths).length), code, commit);
  const files = writeRiskReport(report, options.out);
  process.stdout.write(`\n${summaryText(report)}\n\nreport: ${rel(files.json)}\ncharts: ${rel(files.html)}\n`);
  return 0;
}

/** The CLI; returns the exit status. */
export function main(argv: readonly string[]): Promise<number> {
  return runCli("risk", argv, {
    parse: (args) => parseRiskArgs(args),
    usage,
    run: (options) => runRisk(options),
    describe: (error) => (error instanceof Error ? error.message : String(error)),
  });
}
