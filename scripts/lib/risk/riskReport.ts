/**
 * The Monte Carlo's files (issue 22): a shard file per `--shard I/N` run (its paths' outcomes), and risk.json, the
 * report built from every path's outcomes, whether they came from one run or from merged shards. Shards split the
 * paths by index (path i belongs to shard i mod N), and the report sorts outcomes by index before any statistic, so
 * it is byte-for-byte the same figures however the run was split (only `meta` differs).
 */
import { readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";

import type { CodeId } from "./codeId.js";
import { StatsAccumulator, fitModel, maxFall, sampleReturns, type ModelOptions, type SampleStats } from "./model.js";
import type { PathOutcome } from "./session.js";
import {
  SWEEP_BOUNDS,
  SWEEP_NAMES,
  borrowingPower,
  settingGrid,
  settingLabel,
  type Setting,
  type SweepName,
} from "./settings.js";
import { summarise, valueAtRisk, type ProtocolSummary } from "./stats.js";
import { PARAMS_MODES, type ParamsMode } from "../sim/types.js";

export const SHARD_KIND = "bulwark-risk-shard";
export const REPORT_KIND = "bulwark-risk";
export const FORMAT_VERSION = 1;

/** What a Monte Carlo run is asked to do: equal configurations give equal outcomes. */
export interface RiskConfig {
  paths: number;
  /** Hours per path (hourly steps). */
  hours: number;
  accounts: number;
  seed: string;
  modes: ParamsMode[];
  model: ModelOptions;
  /** The swept parameters and their values (none: one setting, the listed parameters). */
  sweeps: { name: SweepName; values: number[] }[];
}

/** Outcomes by setting (grid order), then by protocol. */
export type Outcomes = Partial<Record<ParamsMode, PathOutcome[]>>[];

/** A shard file: the outcomes of the paths with index ≡ shard.index (mod shard.count). */
export interface ShardFile {
  kind: typeof SHARD_KIND;
  version: number;
  config: RiskConfig;
  /** The code and runtime that ran it: merging refuses shards whose fingerprints differ. */
  code: CodeId;
  /** The git commit it ran at, when known (null outside a checkout, e.g. in a container without git). */
  commit: { sha: string; dirty: boolean } | null;
  shard: { index: number; count: number };
  outcomes: Outcomes;
  wallSeconds: number;
}

/** One setting's results in risk.json. */
export interface SettingResult {
  setting: Setting;
  label: string;
  /** Σ borrow limits / Σ collateral value of the population at the start. */
  borrowingPower: number;
  /** What the population borrows, USD. */
  borrowsUsd: number;
  protocols: Partial<Record<ParamsMode, ProtocolSummary>>;
  paths: Partial<Record<ParamsMode, PathOutcome[]>>;
}

/** risk.json. */
export interface RiskReport {
  kind: typeof REPORT_KIND;
  version: number;
  config: RiskConfig;
  model: {
    description: string;
    sources: string[];
    dataHours: number;
    jumpsInData: number;
    jumpRatePerHour: number;
    /** The data's hourly statistics, and the same over every sampled path: the model's check. */
    data: SampleStats;
    synthetic: SampleStats;
    /** Each asset's largest peak-to-trough fall within a path, over the sampled paths: median and 95th percentile. */
    pathFalls: Record<string, { median: number; p95: number }>;
  };
  settings: SettingResult[];
  meta: {
    /** The code that computed the outcomes (the shards' own when merged). */
    code: CodeId;
    commit: { sha: string; dirty: boolean } | null;
    generatedAt: string;
    /** How the outcomes were produced: one run, or N merged shards. */
    shards: number;
    /** Wall-clock seconds (summed over shards when merged), worker count and markets built. */
    wallSeconds: number;
    workers?: number;
    machine?: { os: string; cpu: string; cores: number };
  };
}

/** Thrown for shard files that cannot be merged; the message says which and why. */
export class MergeError extends Error {}

/** The path indices of shard `index` of `count`. */
export function shardPaths(paths: number, index: number, count: number): number[] {
  const out: number[] = [];
  for (let i = index; i < paths; i += count) out.push(i);
  return out;
}

/** The settings `config` sweeps (one, the listed parameters, without a sweep). */
export const settingsOf = (config: RiskConfig): Setting[] => settingGrid(config.sweeps);

/** Builds risk.json from every path's outcomes; throws unless each setting and protocol has every path exactly once. */
export function buildReport(config: RiskConfig, outcomes: Outcomes, meta: RiskReport["meta"]): RiskReport {
  const model = fitModel(config.model);
  // The model's check over every sampled path, accumulated path by path (a large run keeps no array of every hour).
  const synthetic = new StatsAccumulator();
  const falls: number[][] = model.assets.map(() => []);
  for (let i = 0; i < config.paths; i++) {
    const returns = sampleReturns(model, config.seed, i, config.hours);
    for (const r of returns) synthetic.add(r);
    model.assets.forEach((_, a) => falls[a].push(maxFall(returns, a)));
  }
  const settings = settingsOf(config).map((setting, s): SettingResult => {
    const power = borrowingPower(setting, config.accounts, config.seed);
    const protocols: SettingResult["protocols"] = {};
    const paths: SettingResult["paths"] = {};
    for (const mode of config.modes) {
      const rows = [...(outcomes[s]?.[mode] ?? [])].sort((a, b) => a.index - b.index);
      if (rows.length !== config.paths || rows.some((row, i) => row.index !== i)) {
        throw new Error(`${settingLabel(setting)}, ${mode}: ${rows.length} outcomes for ${config.paths} paths`);
      }
      paths[mode] = rows;
      protocols[mode] = summarise(rows);
    }
    return {
      setting,
      label: settingLabel(setting),
      borrowingPower: Number(power.power.toFixed(6)),
      borrowsUsd: Number(power.borrowsUsd.toFixed(2)),
      protocols,
      paths,
    };
  });
  return {
    kind: REPORT_KIND,
    version: FORMAT_VERSION,
    config,
    model: {
      description:
        `stationary block bootstrap (mean block ${model.options.blockHours} h) of the joint hourly log-returns of ` +
        `${model.assets.join(" and ")} in the shipped crash files, jump hours (beyond ${model.options.jumpSigmas} ` +
        `robust σ) taken out and added back as Poisson jumps at ${model.options.jumpScale}× the data's rate`,
      sources: model.sources,
      dataHours: model.hours,
      jumpsInData: model.jumps.length,
      jumpRatePerHour: Number(model.jumpRate.toFixed(6)),
      data: roundStats(model.data),
      synthetic: roundStats(synthetic.stats()),
      pathFalls: Object.fromEntries(
        model.assets.map((symbol, a) => [
          symbol,
          {
            median: Number(valueAtRisk(falls[a], 0.5).toFixed(6)),
            p95: Number(valueAtRisk(falls[a], 0.95).toFixed(6)),
          },
        ]),
      ),
    },
    settings,
    meta,
  };
}

const roundStats = (s: SampleStats): SampleStats => ({
  hours: s.hours,
  sigma: s.sigma.map((x) => Number(x.toFixed(6))),
  correlation: Number(s.correlation.toFixed(6)),
  worstHour: s.worstHour.map((x) => Number(x.toFixed(6))),
});

/** Every `*.json` file under `dir`, subdirectories included (a CI job's artifacts land one directory each). */
function jsonFilesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) return jsonFilesUnder(full);
      return entry.name.endsWith(".json") && entry.name !== "risk.json" ? [full] : [];
    })
    .sort();
}

/**
 * Reads shard files (a directory: every `*.json` under it but risk.json) and checks each is a well-formed shard: its
 * place in the split, its configuration within the CLI's bounds.
 */
export function readShards(inputs: readonly string[]): ShardFile[] {
  const files = inputs.flatMap((input) => {
    let isDir = false;
    try {
      isDir = statSync(input).isDirectory();
    } catch {
      throw new MergeError(`${input}: no such file or directory`);
    }
    return isDir ? jsonFilesUnder(input) : [input];
  });
  if (files.length === 0) throw new MergeError("no shard files to merge");
  return files.map((file) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, "utf8"));
    } catch (error) {
      throw new MergeError(`${file}: not a JSON file (${error instanceof Error ? error.message : String(error)})`);
    }
    const shard = parsed as Partial<ShardFile>;
    if (shard.kind !== SHARD_KIND) {
      throw new MergeError(`${file}: not a Monte Carlo shard file (no "kind": "${SHARD_KIND}")`);
    }
    if (shard.version !== FORMAT_VERSION) {
      throw new MergeError(`${file}: shard format ${String(shard.version)}, this version reads ${FORMAT_VERSION}`);
    }
    const problem = shardProblem(shard);
    if (problem !== undefined) throw new MergeError(`${file}: ${problem}`);
    return shard as ShardFile;
  });
}

const whole = (x: unknown, min: number, max: number): boolean =>
  typeof x === "number" && Number.isInteger(x) && x >= min && x <= max;
const within = (x: unknown, min: number, max: number): boolean => typeof x === "number" && x >= min && x <= max;

/** What is wrong with a parsed shard file, or undefined. */
function shardProblem(shard: Partial<ShardFile>): string | undefined {
  const { shard: place, config, code, outcomes } = shard;
  if (place === undefined || !whole(place.count, 1, 1_000_000) || !whole(place.index, 0, place.count - 1)) {
    return "its shard index and count are missing or out of range";
  }
  if (typeof code?.fingerprint !== "string") return "it records no code fingerprint";
  if (config === undefined) return "it records no configuration";
  if (!whole(config.paths, 1, 100_000) || !whole(config.hours, 1, 720) || !whole(config.accounts, 1, 10_000)) {
    return "its paths, hours or accounts are out of range";
  }
  if (typeof config.seed !== "string") return "its seed is not a string";
  if (
    !Array.isArray(config.modes) ||
    config.modes.length === 0 ||
    config.modes.some((mode) => !PARAMS_MODES.includes(mode))
  ) {
    return "its protocols are not static, adaptive or morpho";
  }
  const m = config.model;
  if (m === undefined || !within(m.blockHours, 1, 168) || !within(m.jumpSigmas, 2, 20) || !within(m.jumpScale, 0, 10)) {
    return "its model options are out of range";
  }
  if (
    !Array.isArray(config.sweeps) ||
    config.sweeps.some(
      (sweep) =>
        !SWEEP_NAMES.includes(sweep.name) ||
        !Array.isArray(sweep.values) ||
        sweep.values.length === 0 ||
        sweep.values.length > 50 ||
        sweep.values.some((v) => !within(v, ...SWEEP_BOUNDS[sweep.name])),
    )
  ) {
    return "its sweeps are malformed";
  }
  if (!Array.isArray(outcomes)) return "it has no outcomes";
  return undefined;
}

/** Combines shards into every path's outcomes; refuses a mix of runs, a missing or repeated shard, or other code. */
export function mergeShards(shards: readonly ShardFile[]): {
  config: RiskConfig;
  outcomes: Outcomes;
  wallSeconds: number;
  shards: number;
  code: CodeId;
  commit: ShardFile["commit"];
} {
  const [first] = shards;
  const config = JSON.stringify(first.config);
  const count = first.shard.count;
  const seen = new Set<number>();
  for (const shard of shards) {
    const which = `shard ${shard.shard.index}/${shard.shard.count}`;
    if (JSON.stringify(shard.config) !== config) throw new MergeError(`${which} was run with another configuration`);
    if (shard.shard.count !== count)
      throw new MergeError(`${which} belongs to a split into ${shard.shard.count}, not ${count}`);
    if (shard.code.fingerprint !== first.code.fingerprint) {
      throw new MergeError(
        `${which} was run with other code or runtime (fingerprint ${shard.code.fingerprint.slice(0, 12)}, ` +
          `Node ${shard.code.node}, EDR ${shard.code.edr}) than ${first.shard.index}/${first.shard.count} ` +
          `(${first.code.fingerprint.slice(0, 12)}, Node ${first.code.node}, EDR ${first.code.edr})`,
      );
    }
    if (seen.has(shard.shard.index)) throw new MergeError(`${which} appears twice`);
    seen.add(shard.shard.index);
  }
  const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !seen.has(i));
  if (missing.length > 0)
    throw new MergeError(
      `missing shard${missing.length > 1 ? "s" : ""} ${missing.map((i) => `${i}/${count}`).join(", ")}`,
    );
  const settings = settingsOf(first.config).length;
  const outcomes: Outcomes = Array.from({ length: settings }, () => ({}));
  for (const shard of shards) {
    const expected = shardPaths(first.config.paths, shard.shard.index, count);
    for (let s = 0; s < settings; s++) {
      for (const mode of first.config.modes) {
        const rows = shard.outcomes[s]?.[mode] ?? [];
        const indices = rows.map((r) => r.index).sort((a, b) => a - b);
        if (JSON.stringify(indices) !== JSON.stringify(expected)) {
          throw new MergeError(
            `shard ${shard.shard.index}/${count} does not hold exactly its own paths (${mode}): it did not finish, or was edited`,
          );
        }
        outcomes[s][mode] = [...(outcomes[s][mode] ?? []), ...rows];
      }
    }
  }
  const wallSeconds = shards.reduce((sum, s) => sum + s.wallSeconds, 0);
  return { config: first.config, outcomes, wallSeconds, shards: shards.length, code: first.code, commit: first.commit };
}
