/**
 * One protocol's market for the Monte Carlo (issue 22): deployed and opened once on its own in-process chain, then
 * every path replayed from the same snapshot (`evm_snapshot` after the population opened, `evm_revert` before each
 * path), so a path's outcome depends only on the path, never on what ran before it: any sharding gives the same rows.
 *
 * Every synthetic path starts at the assets' default prices (model.ts), which is what the market was opened at.
 */
import { network } from "hardhat";

import { bulwarkParameters, morphoParameters, type DeployedParameters } from "../sim/deployedParams.js";
import { buildMarket } from "../sim/simMarket.js";
import { buildMorphoMarket } from "../sim/morphoMarket.js";
import { replay } from "../sim/engine.js";
import { replayMorpho } from "../sim/morphoEngine.js";
import { inProcessSource } from "../sim/inProcess.js";
import { IN_PROCESS_CHAIN } from "../sim/run.js";
import { priceWadOf } from "../sim/simMarket.js";
import { BASE_ASSET } from "../sim/scenarios.js";
import type { Step } from "../sim/path.js";
import type { ParamsMode, RunReport } from "../sim/types.js";
import { collateralSpecs, engineParamsFor, type Setting } from "./settings.js";

/** What one path did to one protocol: the figures risk.json keeps per path. */
export interface PathOutcome {
  index: number;
  /** Bad debt written off, USD. */
  badDebtUsd: number;
  /** Bad debt plus the underwater debt still open at the end (not yet written off), USD. */
  lossUsd: number;
  /** Fall of the lenders' share price from its peak, percent. */
  lenderLossPct: number;
  liquidations: number;
  breakerTrips: number;
  /** Hours with at least one breaker entry above NONE (0 for Morpho). */
  breakerHours: number;
  /** Lowest health factor of any account at a path point (null: no debt). */
  minHealth: number | null;
  /** Keeper transactions that reverted when mined. */
  failedKeeperTxs: number;
}

type Connection = Awaited<ReturnType<typeof network.create>>;

/** A market ready to replay paths from its snapshot. */
export class MarketSession {
  readonly mode: ParamsMode;
  readonly setupSeconds: number;
  private readonly connection: Connection;
  private readonly runPath: (steps: readonly Step[]) => Promise<RunReport>;
  /** The risk parameters the market's contracts hold, read back from them (deployedParams.ts). */
  readonly parameters: () => Promise<DeployedParameters>;
  private snapshot: string;
  private used = false;

  private constructor(
    mode: ParamsMode,
    connection: Connection,
    runPath: (steps: readonly Step[]) => Promise<RunReport>,
    parameters: () => Promise<DeployedParameters>,
    snapshot: string,
    setupSeconds: number,
  ) {
    this.mode = mode;
    this.connection = connection;
    this.runPath = runPath;
    this.parameters = parameters;
    this.snapshot = snapshot;
    this.setupSeconds = setupSeconds;
  }

  /** Deploys `mode`'s market for `setting` with `accounts` borrowers of `seed`, and snapshots it. */
  static async open(mode: ParamsMode, setting: Setting, accounts: number, seed: string): Promise<MarketSession> {
    const started = performance.now();
    const connection = await network.create({ override: IN_PROCESS_CHAIN });
    try {
      const { ethers } = connection;
      const specs = [BASE_ASSET, ...collateralSpecs(setting)];
      const source = inProcessSource(specs.map((spec) => ({ spec, startPriceWad: priceWadOf(spec.defaultPrice) })));
      const setup = { accounts, seed };
      const options = { keeperDelayBlocks: 0, keeperOutages: [] };
      let runPath: (steps: readonly Step[]) => Promise<RunReport>;
      let parameters: () => Promise<DeployedParameters>;
      if (mode === "morpho") {
        const market = await buildMorphoMarket(ethers, source, setup);
        runPath = (steps) => replayMorpho(ethers, market, steps, options, 0);
        parameters = () => Promise.resolve(morphoParameters(market));
      } else {
        const market = await buildMarket(ethers, source, {
          ...setup,
          params: mode,
          engineParams: engineParamsFor(setting),
        });
        runPath = (steps) => replay(ethers, market, steps, { ...options, params: mode }, 0);
        parameters = () => bulwarkParameters(market);
      }
      const snapshot = String(await ethers.provider.send("evm_snapshot", []));
      const setupSeconds = (performance.now() - started) / 1000;
      return new MarketSession(mode, connection, runPath, parameters, snapshot, setupSeconds);
    } catch (error) {
      await connection.close();
      throw error;
    }
  }

  /** Replays path `index` (`steps`) from the snapshot. */
  async run(index: number, steps: readonly Step[]): Promise<PathOutcome> {
    const provider = this.connection.ethers.provider;
    if (this.used) {
      if ((await provider.send("evm_revert", [this.snapshot])) !== true) throw new Error("evm_revert failed");
      // A snapshot is used up by its revert: take it again at the same state.
      this.snapshot = String(await provider.send("evm_snapshot", []));
    }
    this.used = true;
    return outcomeOf(index, await this.runPath(steps));
  }

  close(): Promise<void> {
    return this.connection.close();
  }
}

/** The per-path figures of a replay's report. */
export function outcomeOf(index: number, run: RunReport): PathOutcome {
  return {
    index,
    badDebtUsd: round(run.badDebt.usd, 2),
    lossUsd: round(run.badDebt.usd + run.openShortfallUsd, 2),
    lenderLossPct: round(run.lenderLossPct, 6),
    liquidations: run.liquidations,
    breakerTrips: run.breakerTrips,
    breakerHours: round(run.timeInBreakerSeconds / 3600, 4),
    minHealth: run.minHealthFactor === null ? null : round(run.minHealthFactor, 6),
    failedKeeperTxs: run.failedKeeperTxs,
  };
}

const round = (value: number, digits: number): number => Number(value.toFixed(digits));
