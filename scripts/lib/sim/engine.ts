/**
 * One Bulwark run of the simulation: the market of `simMarket.ts` replayed by the driver (`driver.ts`: blocks, feeds,
 * arbitrage, the keeper's delay and outages), with Bulwark's own part of each block, the `ReplayProtocol`
 * `BulwarkReplay`:
 *   - before mining, every breaker entry is poked when a feed round went out or 10 minutes passed (the keeper's
 *     default);
 *   - after it, every borrower is valued (raw positions from the lens, the vault's formula off chain, checked against
 *     the vault on a sample: vaultMirror.ts, health.ts), the step is recorded, and the keeper decides
 *     (replayKeeper.ts): it snapshots the most urgent unhealthy accounts with the keeper library's
 *     `readAccountSnapshots`, selects liquidations, write-offs and flags with `selectLiquidations`, simulates them
 *     against this block and queues those that would succeed; in adaptive mode it also samples volatility and syncs
 *     the caps hourly.
 * `replay` runs it and reports.
 */
import type { HardhatEthers } from "@nomicfoundation/hardhat-ethers/types";
import type { Log } from "ethers";
import { ZeroAddress } from "ethers";

import { ReplayDriver, type BlockContext, type Pending, type ReplayProtocol } from "./driver.js";
import { Drawdown, healthSummary, lowerHealth, percentOf, poolPricesFrom, shortfallUsd, stepAt } from "./figures.js";
import { FAILED, underwater, type Liquidity } from "./health.js";
import { BulwarkReplayKeeper } from "./replayKeeper.js";
import { backstopFigures } from "./backstopReport.js";
import type { MarketAsset, SimMarket } from "./simMarket.js";
import { toFloat, type Step } from "./path.js";
import {
  BREAKER_LEVEL_NAMES,
  BREAKER_REASON_NAMES,
  type BreakerTrip,
  type BulwarkMode,
  type RunReport,
  type StepRecord,
  type LiquidationRecord,
} from "./types.js";
import { VaultMirror, type BlockReads } from "./vaultMirror.js";

/** The keeper pokes every breaker entry at least this often (its default `pokeIntervalSeconds`). */
const POKE_INTERVAL = 600;
const POKE_GAS = 400_000n;

export interface RunOptions {
  params: BulwarkMode;
  keeperDelayBlocks: number;
  /** Keeper outages, in seconds from the path's start: [from, to). */
  keeperOutages: readonly { from: number; to: number }[];
  /** Called after each path step with (done, total). */
  progress?: (done: number, total: number) => void;
  /** Awaited after each mined block (see DriverOptions.pace). */
  pace?: (block: number) => Promise<void>;
  /** The reference path (tests): the keeper snapshots with the keeper library's own calls. */
  reference?: boolean;
}

/** Replays `steps` against `market` on `ethers`' chain and reports. Leaves automine off. */
export async function replay(
  ethers: HardhatEthers,
  market: SimMarket,
  steps: readonly Step[],
  options: RunOptions,
  setupSeconds: number,
): Promise<RunReport> {
  const started = performance.now();
  const vaultAddress = await market.vault.getAddress();
  const shareUnit = 10n ** (await market.vault.decimals());
  const driver = new ReplayDriver(ethers, market, steps, options);
  await driver.prepare(market.openedAt);
  const initialDebt = await market.vault.totalDebt();
  const protocol = new BulwarkReplay(ethers, market, driver, {
    vaultAddress,
    shareUnit,
    initialDebt,
    libraryReads: options.reference === true,
  });
  await protocol.start();
  await driver.run(protocol);
  if (process.env.BULWARK_PROFILE === "1") console.error({ keeperUnread: protocol.keeperUnread() });
  return protocol.report(options.params, setupSeconds, started);
}

/** Bulwark's part of each block of a replay, and the run's figures. */
export class BulwarkReplay implements ReplayProtocol {
  private readonly ethers: HardhatEthers;
  private readonly market: SimMarket;
  private readonly driver: ReplayDriver;
  private readonly assets: MarketAsset[];
  private readonly baseDecimals: number;
  private readonly mirror: VaultMirror;
  private readonly keeper: BulwarkReplayKeeper;
  private readonly series: StepRecord[] = [];
  /** Lenders' loss: the vault share price's fall from its peak. */
  private readonly sharePrice = new Drawdown();
  private minHealth: number | null = null;
  private failed = 0;
  private lastPoke = -Infinity;
  private stepLiquidations = 0;
  private stepRepaid = 0n;
  /** The latest block's reads and every borrower's liquidity under them (`observe`). */
  private reads: BlockReads | undefined;
  private liquidities: Liquidity[] = [];

  /** One whole vault share, in share units. */
  private readonly shareUnit: bigint;
  /** The vault's total debt when the replay starts. */
  private readonly initialDebt: bigint;

  /** Create it once `driver` is prepared; `vault`: the vault's address, `shareUnit` and `initialDebt`. */
  constructor(
    ethers: HardhatEthers,
    market: SimMarket,
    driver: ReplayDriver,
    vault: { vaultAddress: string; shareUnit: bigint; initialDebt: bigint; libraryReads?: boolean },
  ) {
    this.ethers = ethers;
    this.market = market;
    this.driver = driver;
    this.assets = [market.base, ...market.collaterals];
    this.baseDecimals = 10 ** market.base.decimals;
    this.shareUnit = vault.shareUnit;
    this.initialDebt = vault.initialDebt;
    this.mirror = new VaultMirror(ethers, market, vault.vaultAddress);
    this.keeper = new BulwarkReplayKeeper(market, vault.libraryReads === true, (label, task) =>
      driver.timed(label, task),
    );
  }

  /** Reads every borrower's position as opened, and the oracle's ceilings, before the first block. */
  async start(): Promise<void> {
    await this.mirror.readCeilings(this.driver.setupBlock);
    await this.mirror.refreshAll(this.driver.setupBlock);
  }

  async beforeMine(chainTime: number, published: boolean): Promise<void> {
    if (published || chainTime - this.lastPoke >= POKE_INTERVAL) {
      await this.poke();
      this.lastPoke = chainTime;
    }
  }

  async observe({ block, sent }: BlockContext): Promise<void> {
    const timed = <T>(label: string, task: () => Promise<T>): Promise<T> => this.driver.timed(label, task);
    await timed("observe.receipts", () => this.countLiquidations(sent));
    await timed("observe.touched", () => this.mirror.refreshTouched(block));
    const reads = await timed("observe.read", () => this.mirror.readBlock(block, this.shareUnit));
    this.reads = reads;
    this.liquidities = await timed("observe.value", async () => this.mirror.liquidities(block, reads));
  }

  async record(step: Step, { block }: BlockContext): Promise<void> {
    if (this.reads?.block !== block) throw new Error(`record at block ${block} without that block's reads`);
    this.recordStep(step, this.reads);
    this.stepLiquidations = 0;
    this.stepRepaid = 0n;
  }

  /** The keeper's passes that left accounts unread, those accounts, and its audits of them. */
  keeperUnread(): { passes: number; accounts: number; audits: number } {
    return this.keeper.skippedReads;
  }

  poolSqrtPrices(): readonly bigint[] | undefined {
    return this.reads?.poolSqrtPrices;
  }

  decide({ block, chainTime }: BlockContext, due: number, busy: ReadonlySet<string>): Promise<Pending[]> {
    const { reads, liquidities } = this;
    if (reads?.block !== block) throw new Error(`decide at block ${block} without that block's reads`);
    return this.keeper.decide(block, chainTime, liquidities, due, busy, (i) =>
      this.mirror.mayBeLiquidatable(i, liquidities[i].debt, reads),
    );
  }

  /**
   * Pokes every breaker entry: the global one, the base asset and each collateral, in that order, each in a call of
   * its own with POKE_GAS (a little more than the keeper's separate transactions of POKE_GAS left it after their
   * intrinsic cost); sent as one transaction (`SimPoker`), which only saves the replay time.
   */
  private async poke(): Promise<void> {
    const { breaker, keeper, poker } = this.market;
    const entries = [ZeroAddress, ...this.assets.map((a) => a.address)];
    await poker.connect(keeper).pokeAll(breaker, entries, POKE_GAS, {
      gasLimit: POKE_GAS * BigInt(entries.length) + 100_000n,
    });
  }

  /** Counts the keeper's transactions of the block that failed, and the liquidations and repayments the rest made. */
  private async countLiquidations(sent: readonly string[]): Promise<void> {
    const { engine } = this.market;
    const executed = engine.interface.getEvent("LiquidationExecuted");
    for (const hash of sent) {
      const receipt = await this.ethers.provider.getTransactionReceipt(hash);
      if (receipt === null || receipt.status !== 1) {
        this.failed++;
        continue;
      }
      for (const log of receipt.logs as readonly Log[]) {
        if (log.topics[0] !== executed.topicHash) continue;
        const parsed = engine.interface.parseLog(log);
        if (parsed === null) continue;
        this.stepLiquidations++;
        this.stepRepaid += BigInt(parsed.args.repaid);
      }
    }
  }

  private symbolOf(address: string): string {
    return address === ZeroAddress
      ? "global"
      : (this.market.byAddress.get(address.toLowerCase())?.spec.symbol ?? address);
  }

  /** USD of `units` base units at the base asset's path price `priceWad`. */
  private usdAt(priceWad: bigint): (units: bigint) => number {
    const basePrice = toFloat(priceWad);
    return (units) => (Number(units) / this.baseDecimals) * basePrice;
  }

  /** Records the state at a path point's block, from the block's reads. */
  private recordStep(step: Step, reads: BlockReads): void {
    const { base, collaterals } = this.market;
    const { view } = reads;
    const health = healthSummary(
      this.liquidities
        .filter((l) => l.debt !== 0n)
        .map((l) => ({ limit: l.liquidationLimit, debt: l.debtValue, liquidatable: underwater(l) })),
    );
    const price: Record<string, number> = {};
    const oraclePrice: Record<string, number | null> = {};
    const borrowLtv: Record<string, number> = {};
    const liquidationThreshold: Record<string, number> = {};
    this.assets.forEach((asset, i) => {
      const symbol = asset.spec.symbol;
      price[symbol] = toFloat(step.priceWad[symbol]);
      const read = i === 0 ? view.base : view.collaterals[i - 1].price;
      oraclePrice[symbol] = read.status === FAILED ? null : toFloat(read.low);
      if (i > 0) {
        borrowLtv[symbol] = toFloat(view.collaterals[i - 1].borrowLtv);
        liquidationThreshold[symbol] = toFloat(view.collaterals[i - 1].liquidationThreshold);
      }
    });
    const poolPrice = poolPricesFrom(base, collaterals, reads.poolSqrtPrices);
    const breakerLevel: Record<string, number> = {};
    for (const [asset, level] of reads.breakerLevels) breakerLevel[this.symbolOf(asset)] = level;
    const usd = this.usdAt(step.priceWad[base.spec.symbol]);
    this.sharePrice.observe(reads.shareValue);
    this.minHealth = lowerHealth(this.minHealth, health.minHealth);
    this.series.push({
      timestamp: step.timestamp,
      price,
      oraclePrice,
      poolPrice,
      ...health,
      lenderLossPct: this.sharePrice.fallPct,
      liquidations: this.stepLiquidations,
      liquidatedDebtUsd: usd(this.stepRepaid),
      badDebtUsd: usd(reads.badDebt),
      totalDebtUsd: usd(reads.totalDebt),
      breakerLevel,
      borrowLtv,
      liquidationThreshold,
    });
  }

  /** The run's report, from the logs (exact) and the state at the end; `started`: when the run started (ms). */
  async report(params: BulwarkMode, setupSeconds: number, started: number): Promise<RunReport> {
    const { engine, breaker, vault, base, collaterals, borrowers } = this.market;
    const steps = this.driver.steps;
    const endBlock = await this.ethers.provider.getBlockNumber();
    const startBlock = this.driver.startBlock;
    const liquidationLogs = await engine.queryFilter(engine.filters.LiquidationExecuted(), startBlock, endBlock);
    const liquidatedDebt = liquidationLogs.reduce((sum, log) => sum + log.args.repaid, 0n);
    // Debt a liquidation wrote off in its own transaction (the vault's BadDebtWrittenOff, by transaction and account).
    const writeOffs = new Map<string, bigint>();
    for (const log of await vault.queryFilter(vault.filters.BadDebtWrittenOff(), startBlock, endBlock)) {
      const key = `${log.transactionHash}:${log.args.account.toLowerCase()}`;
      writeOffs.set(key, (writeOffs.get(key) ?? 0n) + log.args.amount);
    }
    /** A write-off counts once, on the first liquidation of its account in its transaction. */
    const takeWriteOff = (key: string): bigint => {
      const amount = writeOffs.get(key) ?? 0n;
      writeOffs.delete(key);
      return amount;
    };
    const liquidationEvents = liquidationLogs.map((log): LiquidationRecord => {
      const timestamp = this.driver.blockTimes.get(log.blockNumber) ?? steps[0].timestamp;
      const symbol = this.symbolOf(log.args.collateral);
      const decimals = this.market.byAddress.get(log.args.collateral.toLowerCase())?.decimals ?? 18;
      const step = stepAt(this.series, timestamp);
      return {
        timestamp,
        account: log.args.borrower,
        collateral: symbol,
        repaidUsd: (Number(log.args.repaid) / this.baseDecimals) * (step?.price[base.spec.symbol] ?? 1),
        seized: Number(log.args.seized) / 10 ** decimals,
        priceUsd: step?.price[symbol] ?? 0,
        bonusPct: toFloat(log.args.bonus) * 100,
        badDebtUsd:
          (Number(takeWriteOff(`${log.transactionHash}:${log.args.borrower.toLowerCase()}`)) / this.baseDecimals) *
          (step?.price[base.spec.symbol] ?? 1),
      };
    });
    const breakerLogs = await breaker.queryFilter(breaker.filters.BreakerUpdated(), startBlock, endBlock);
    const breakers = this.breakerHistory(breakerLogs);
    const badDebt = await vault.badDebt();
    const reserves = await vault.reserves();
    const endLiquidities = this.mirror.liquidities(endBlock, await this.mirror.readBlock(endBlock, this.shareUnit));
    const last = steps[steps.length - 1].priceWad;
    const openShortfall = endLiquidities.reduce(
      (sum, l, i) =>
        l.debt === 0n
          ? sum
          : sum +
            shortfallUsd(
              l.debt,
              10n ** BigInt(base.decimals),
              last[base.spec.symbol],
              collaterals.map((asset, k) => ({
                units: this.mirror.holdings[i][k] ?? 0n,
                unit: 10n ** BigInt(asset.decimals),
                priceWad: last[asset.spec.symbol],
              })),
            ),
      0,
    );
    const usd = this.usdAt(last[base.spec.symbol]);
    const backstop =
      this.market.backstop === undefined
        ? undefined
        : await backstopFigures(this.market, this.market.backstop, startBlock, endBlock, usd);
    const wallSeconds = (performance.now() - started) / 1000;
    return {
      params,
      badDebt: {
        baseUnits: badDebt.toString(),
        usd: usd(badDebt),
        pctOfInitialBorrows: percentOf(badDebt, this.initialDebt),
      },
      liquidations: liquidationLogs.length,
      liquidatedDebt: { baseUnits: liquidatedDebt.toString(), usd: usd(liquidatedDebt) },
      failedKeeperTxs: this.failed,
      failedArbitrageTxs: this.driver.failedArbitrage,
      keeperRejections: this.keeper.rejections,
      breakerTrips: breakers.trips,
      timeInBreakerSeconds: breakers.timeInBreaker,
      lenderLossPct: this.sharePrice.fallPct,
      minHealthFactor: this.minHealth,
      openShortfallUsd: openShortfall,
      borrowersAtStart: borrowers.length,
      borrowersAtEnd: endLiquidities.filter((l) => l.debt > 0n).length,
      initialBorrows: { baseUnits: this.initialDebt.toString(), usd: usd(this.initialDebt) },
      reserves: { baseUnits: reserves.toString(), usd: usd(reserves) },
      steps: steps.length,
      blocks: this.driver.blocks,
      wallSeconds,
      setupSeconds,
      stepsPerSecond: steps.length / wallSeconds,
      breakerEvents: breakers.events,
      liquidationEvents,
      series: this.series,
      ...(backstop === undefined ? {} : { backstop }),
    };
  }

  /** Breaker trips (an entry's level rising from NONE), their reasons, and the time any entry spent above NONE. */
  private breakerHistory(logs: readonly BreakerLog[]): { trips: number; timeInBreaker: number; events: BreakerTrip[] } {
    const steps = this.driver.steps;
    const pathStart = steps[0].timestamp;
    const levels = new Map<string, number>();
    const events: BreakerTrip[] = [];
    let trips = 0;
    let timeInBreaker = 0;
    let anySince: number | undefined;
    for (const log of logs) {
      const time = this.driver.blockTimes.get(log.blockNumber) ?? pathStart;
      const entry = this.symbolOf(log.args.asset);
      const level = Number(log.args.level);
      const before = levels.get(entry) ?? 0;
      levels.set(entry, level);
      if (before === 0 && level > 0) {
        trips++;
        events.push({
          timestamp: time,
          entry,
          reasons: [BREAKER_REASON_NAMES[Number(log.args.reason)] ?? String(log.args.reason)],
          level: BREAKER_LEVEL_NAMES[level],
        });
      } else if (log.args.tripped && level > 0 && events.length > 0) {
        const last = events.at(-1);
        if (last !== undefined && last.entry === entry && last.timestamp === time)
          last.reasons.push(BREAKER_REASON_NAMES[Number(log.args.reason)]);
      }
      const anyNow = [...levels.values()].some((l) => l > 0);
      if (anyNow && anySince === undefined) anySince = time;
      if (!anyNow && anySince !== undefined) {
        timeInBreaker += time - anySince;
        anySince = undefined;
      }
    }
    const pathEnd = steps[steps.length - 1].timestamp;
    if (anySince !== undefined) timeInBreaker += pathEnd - anySince;
    return { trips, timeInBreaker, events };
  }
}

/** A `BreakerUpdated` log, as far as the report reads it. */
interface BreakerLog {
  blockNumber: number;
  args: { asset: string; reason: bigint; tripped: boolean; level: bigint };
}

export type { MarketAsset };
