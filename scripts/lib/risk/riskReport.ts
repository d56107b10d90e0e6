/**
 * The Monte Carlo's files (issue 22): a shard file per `--shard I/N` run (its paths' outcomes), and risk.json, the
 * report built from every path's outcomes, whether they came from one run or from merged shards. Shards split the
 * paths by index (path i belongs to shard i mod N), and the report sorts outcomes by index before any statistic, so
 * it is byte-for-byte the same figures however the run was split (only `meta` differs).
 */
import { readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";

import { fitModel, sampleReturns, sampleStats, type ModelOptions, type SampleStats } from "./model.js";
import type { PathOutcome } from "./session.js";
import { borrowingPower, settingGrid, settingLabel, type Setting, type SweepName } from "./settings.js";
import { summarise, type ProtocolSummary } from "./stats.js";
import type { ParamsMode } from "../sim/types.js";

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
  /** The commit that ran it (null outside a checkout): merging refuses shards of different code. */
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
  };
  settings: SettingResult[];
  meta: {
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

/** Builds risk.json from every path's outcomes. */
export function buildReport(config: RiskConfig, outcomes: Outcomes, meta: RiskReport["meta"]): RiskReport {
  const model = fitModel(config.model);
  const sampled = Array.from({ length: config.paths }, (_, i) => sampleReturns(model, config.seed, i, config.hours));
  const settings = settingsOf(config).map((setting, s): SettingResult => {
    const power = borrowingPower(setting, config.accounts, config.seed);
    const protocols: SettingResult["protocols"] = {};
    const paths: SettingResult["paths"] = {};
    for (const mode of config.modes) {
      const rows = [...(outcomes[s]?.[mode] ?? [])].sort((a, b) => a.index - b.index);
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
      synthetic: roundStats(sampleStats(sampled.flat())),
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

/** Reads shard files (a directory: every `*.json` in it that is a shard) and checks they form one whole run. */
export function readShards(inputs: readonly string[]): ShardFile[] {
  const files = inputs.flatMap((input) => {
    let isDir = false;
    try {
      isDir = statSync(input).isDirectory();
    } catch {
      throw new MergeError(`${input}: no such file or directory`);
    }
    if (!isDir) return [input];
    return readdirSync(input)
      .filter((name) => name.endsWith(".json") && name !== "risk.json")
      .sort()
      .map((name) => path.join(input, name));
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
    if (shard.kind !== SHARD_KIND)
      throw new MergeError(`${file}: not a Monte Carlo shard file (no "kind": "${SHARD_KIND}")`);
    if (shard.version !== FORMAT_VERSION) {
      throw new MergeError(`${file}: shard format ${String(shard.version)}, this version reads ${FORMAT_VERSION}`);
    }
    return shard as ShardFile;
  });
}

/** Combines shards into every path's outcomes; refuses a mix of runs, a missing or repeated shard, or other code. */
export function mergeShards(shards: readonly ShardFile[]): {
  config: RiskConfig;
  outcomes: Outcomes;
  wallSeconds: number;
  shards: number;
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
    if ((shard.commit?.sha ?? null) !== (first.commit?.sha ?? null)) {
      throw new MergeError(
        `${which} was run at commit ${shard.commit?.sha ?? "(none)"}, not ${first.commit?.sha ?? "(none)"}`,
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
            `shard ${shard.shard.index}/${count} lacks some of its paths (${mode}): it did not finish`,
          );
        }
        outcomes[s][mode] = [...(outcomes[s][mode] ?? []), ...rows];
      }
    }
  }
  const wallSeconds = shards.reduce((sum, s) => sum + s.wallSeconds, 0);
  return { config: first.config, outcomes, wallSeconds, shards: shards.length };
}
