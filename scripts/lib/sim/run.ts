/**
 * Runs a whole simulation: reads the paths, merges them, and for each parameter mode builds a fresh chain (in-process,
 * or a fork of `fork.url`), deploys the market, opens the population and replays the path.
 */
import type { HardhatEthers } from "@nomicfoundation/hardhat-ethers/types";
import { network } from "hardhat";

import path from "node:path";
import { fileURLToPath } from "node:url";

import { gitCommit } from "../gitCommit.js";
import { readPricePath, type PricePoint } from "../pricePath.js";
import { bulwarkParameters, morphoParameters } from "./deployedParams.js";
import { replay } from "./engine.js";
import { inProcessSource } from "./inProcess.js";
import type { ForkPlan } from "./forkSource.js";
import { buildMarket, priceWadOf } from "./simMarket.js";
import { mergePaths, toFloat, type Step } from "./path.js";
import {
  BASE_ASSET,
  COLLATERAL_ASSETS,
  DEFAULT_COLLATERALS,
  KNOWN_ASSETS,
  assetSpec,
  type AssetSpec,
} from "./scenarios.js";
import { buildMorphoMarket } from "./morphoMarket.js";
import { replayMorpho } from "./morphoEngine.js";
import {
  modesOf,
  type ParamsMode,
  type ParamsSelection,
  type RunReport,
  type SimulationMeta,
  type SimulationReport,
} from "./types.js";

export interface SimulationConfig {
  scenario: string;
  description: string;
  /** Price file of each asset with a path, by symbol. */
  prices: ReadonlyMap<string, string>;
  accounts: number;
  seed: string;
  /** Which runs: one mode, `both` (Bulwark static and adaptive) or `all` (both, then Morpho Blue). */
  params: ParamsSelection;
  keeperDelayBlocks: number;
  keeperOutages: readonly { from: number; to: number }[];
  /** Fork mode: each run's chain is a fork of `fork.url` (at `fork.block`) with the assets `fork` names. */
  fork?: ForkPlan;
  /**
   * `--backstop PCT`: each Bulwark run stakes a first-loss backstop with this share of the borrows (0.01 for 1%) and
   * runs the recovery module; the same run without them is replayed first, for the lenders' loss without it.
   */
  backstopShare?: number;
  /** `--max-bad-debt` and `--max-lender-loss` (percent), recorded in the report; null when not set. */
  limits?: { maxBadDebtPct: number | null; maxLenderLossPct: number | null };
  /**
   * Called around each Bulwark replay on its chain (the speed bench measures the chain's own rate with them):
   * `before` once the market is set up, `after` once the replay reported, before the chain closes.
   */
  /**
   * The reference path (tests only): Hardhat's automatic gas price and the keeper library's own snapshot calls, as
   * replays ran before issue 22's speed steps. Its report must equal the fast path's.
   */
  reference?: boolean;
  replayHooks?: {
    before(ethers: HardhatEthers): Promise<void>;
    after(ethers: HardhatEthers, run: RunReport): Promise<void>;
  };
}

export interface SimulationUi {
  /** A phase starts ("static: deploying"…). */
  phase(text: string): void;
  /** Replay progress of the current run. */
  progress(done: number, total: number): void;
}

/** The repository root (scripts/lib/sim/ → ../../..). */
const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

/**
 * The in-process chain's settings for a simulation: a fixed gas price, so that sending a transaction does not ask the
 * chain for a fee estimate (`eth_feeHistory`, about 4 ms each: a fifth of a replay's time). Every transaction of a
 * block pays the same price, as it did with the estimate, so their order in the block and every outcome are the same;
 * only the senders' ether balances differ, which nothing reads. (A fork keeps the automatic price: its base fee is the
 * forked chain's.) The base fee starts at 0 and grows by 1 wei at most per block more than half full, so 1 gwei stays
 * above it for any run.
 */
export const IN_PROCESS_CHAIN = { gasPrice: 1_000_000_000n, initialBaseFeePerGas: 0n } as const;

/** Thrown for a configuration that cannot run; the message says what to change. */
export class SimulationError extends Error {}

/** The market's assets for `prices`: USDC, WETH, WBTC, and any other known collateral with a path. */
export function marketAssets(prices: ReadonlyMap<string, string>): AssetSpec[] {
  for (const symbol of prices.keys()) {
    if (assetSpec(symbol) === undefined) {
      throw new SimulationError(
        `unknown asset "${symbol}": the simulation knows ${KNOWN_ASSETS.map((a) => a.symbol).join(", ")}`,
      );
    }
  }
  const wanted = new Set([...DEFAULT_COLLATERALS, ...[...prices.keys()].map((s) => s.toUpperCase())]);
  return [BASE_ASSET, ...COLLATERAL_ASSETS.filter((a) => wanted.has(a.symbol))];
}

/** Runs `config`; returns the report (not yet written). */
export async function runSimulation(config: SimulationConfig, ui: SimulationUi): Promise<SimulationReport> {
  const specs = marketAssets(config.prices);
  const paths = new Map<string, PricePoint[]>();
  for (const [symbol, file] of config.prices) paths.set(symbol.toUpperCase(), readPricePath(file));
  const fixed = new Map<string, bigint>();
  for (const spec of specs) if (!paths.has(spec.symbol)) fixed.set(spec.symbol, priceWadOf(spec.defaultPrice));
  let steps = mergePaths(paths, fixed);
  let scaled = false;

  const modes = modesOf(config.params);
  const runs: Partial<Record<ParamsMode, RunReport>> = {};
  /** Builds a fresh chain, deploys and replays `mode` on it (with a backstop of `backstopShare`, if given). */
  const runOn = async (mode: ParamsMode, backstopShare: number | undefined): Promise<RunReport> => {
    const label = backstopShare === undefined ? mode : `${mode} + backstop`;
    ui.phase(
      `${label}: deploying ${mode === "morpho" ? "Morpho Blue" : "Bulwark"}, opening ${config.accounts} positions`,
    );
    const setupStart = performance.now();
    const connection =
      config.fork === undefined
        ? await network.create(config.reference === true ? {} : { override: IN_PROCESS_CHAIN })
        : await network.create({
            override: { forking: { url: config.fork.url, blockNumber: config.fork.block, enabled: true } },
          });
    try {
      if (config.fork !== undefined && !scaled) {
        steps = scaleSteps(steps, await config.fork.anchors(connection.ethers, specs));
        scaled = true;
      }
      const startPrices = new Map(specs.map((spec) => [spec.symbol, steps[0].priceWad[spec.symbol]] as const));
      const source =
        config.fork === undefined
          ? inProcessSource(specs.map((spec) => ({ spec, startPriceWad: steps[0].priceWad[spec.symbol] })))
          : config.fork.source(specs, startPrices);
      const setup = {
        accounts: config.accounts,
        seed: config.seed,
        progress: (what: string) => ui.phase(`${label}: ${what}`),
      };
      const replayOptions = {
        reference: config.reference,
        keeperDelayBlocks: config.keeperDelayBlocks,
        keeperOutages: config.keeperOutages,
        progress: (done: number, total: number) => ui.progress(done, total),
      };
      if (mode === "morpho") {
        const market = await buildMorphoMarket(connection.ethers, source, setup);
        const setupSeconds = (performance.now() - setupStart) / 1000;
        ui.phase(`${mode}: replaying ${steps.length} steps`);
        const deployed = morphoParameters(market);
        return { ...(await replayMorpho(connection.ethers, market, steps, replayOptions, setupSeconds)), deployed };
      }
      const market = await buildMarket(connection.ethers, source, { ...setup, params: mode, backstopShare });
      const deployed = await bulwarkParameters(market);
      const setupSeconds = (performance.now() - setupStart) / 1000;
      ui.phase(`${label}: replaying ${steps.length} steps`);
      await config.replayHooks?.before(connection.ethers);
      const run = await replay(connection.ethers, market, steps, { ...replayOptions, params: mode }, setupSeconds);
      await config.replayHooks?.after(connection.ethers, run);
      return { ...run, deployed };
    } finally {
      await connection.close();
    }
  };
  for (const mode of modes) {
    if (mode === "morpho" || config.backstopShare === undefined) {
      runs[mode] = await runOn(mode, undefined);
      continue;
    }
    const without = await runOn(mode, undefined);
    const run = await runOn(mode, config.backstopShare);
    if (run.backstop !== undefined) {
      run.backstop.without = {
        lenderLossPct: without.lenderLossPct,
        badDebtUsd: without.badDebt.usd,
        reservesUsd: without.reserves.usd,
      };
    }
    runs[mode] = run;
  }
  const meta: SimulationMeta = {
    scenario: config.scenario,
    description: config.description,
    prices: Object.fromEntries(config.prices),
    assets: specs.map((spec, i) => ({
      symbol: spec.symbol,
      role: i === 0 ? "base" : "collateral",
      startPriceUsd: toFloat(steps[0].priceWad[spec.symbol]),
      hasPath: paths.has(spec.symbol),
    })),
    accounts: config.accounts,
    seed: config.seed,
    keeperDelayBlocks: config.keeperDelayBlocks,
    keeperOutages: [...config.keeperOutages],
    chain: config.fork === undefined ? "in-process" : `${config.fork.label} (paths scaled to start at its feed prices)`,
    pathStart: steps[0].timestamp,
    pathEnd: steps[steps.length - 1].timestamp,
    params: config.params,
    commit: gitCommit(PROJECT_ROOT),
    generatedAt: new Date().toISOString(),
    limits: config.limits ?? { maxBadDebtPct: null, maxLenderLossPct: null },
    ...(config.backstopShare === undefined ? {} : { backstopPct: config.backstopShare * 100 }),
  };
  const primary = runs.adaptive ?? runs.static ?? runs.morpho;
  if (primary === undefined) throw new SimulationError("no run");
  return { ...primary, meta, runs };
}

/** Scales every asset's prices so its path starts at `anchors` (WAD by symbol): the same moves from another level. */
export function scaleSteps(steps: readonly Step[], anchors: ReadonlyMap<string, bigint>): Step[] {
  const first = steps[0].priceWad;
  return steps.map((step) => {
    const priceWad: Record<string, bigint> = {};
    for (const [symbol, wad] of Object.entries(step.priceWad)) {
      const anchor = anchors.get(symbol);
      priceWad[symbol] = anchor === undefined ? wad : (wad * anchor) / first[symbol];
    }
    return { timestamp: step.timestamp, priceWad };
  });
}
