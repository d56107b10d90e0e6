/**
 * One Morpho Blue run of the simulation (issue 9): the peer market of `morphoMarket.ts` (the same population, tokens,
 * feeds and pools as Bulwark's) replayed by the same driver (`driver.ts`: blocks, feed rounds, arbitrage, the keeper's
 * delay and outages), with Morpho's part of each block:
 *   - nothing before mining: Morpho has no breaker to poke and no parameter to sync;
 *   - after it, every market's totals (interest accrued to the block) and oracle price come from `MorphoLens`, every
 *     position is valued with Morpho's own math (`morphoHealth.ts`: exact, roundings included), and positions are
 *     re-read only when a Liquidate event of the block names their borrower (nothing else moves one in a replay):
 *     `morphoMirror.ts`;
 *   - the keeper takes the unhealthy positions, least healthy first, plans each liquidation (`planLiquidation`: the
 *     whole debt when the collateral covers it at Morpho's incentive, else all the collateral, realising bad debt),
 *     simulates it through its `MorphoFlashLiquidator` against this block and queues it when it succeeds: at most
 *     `MAX_PER_BLOCK` a block, as Bulwark's keeper.
 * That part is the `ReplayProtocol` `MorphoReplay`; `replayMorpho` runs it and reports.
 *
 * Figures: bad debt is Σ `badDebtAssets` of Morpho's Liquidate events (Morpho writes it off the lenders' supply when
 * a liquidation takes the last collateral); lenders' loss is the fall of the lender's supply value over every market
 * from its peak (the lender supplies apart from the fee recipient, so fees do not hide a loss).
 */
import type { HardhatEthers } from "@nomicfoundation/hardhat-ethers/types";
import { Contract, type Interface, type Log } from "ethers";

import type { MorphoFlashLiquidator } from "../../../typechain-types/index.js";
import { decodeRevert, revertData } from "../keeper/index.js";
import { MORPHO_EVENTS } from "../morpho.js";
import { ReplayDriver, type BlockContext, type Pending, type ReplayProtocol } from "./driver.js";
import { Drawdown, compareRatios, healthSummary, lowerHealth, percentOf, poolPrices, stepAt } from "./figures.js";
import { ORACLE_PRICE_SCALE, WAD, planLiquidation } from "./morphoHealth.js";
import type { SimMorphoMarket, SimMorphoMarketEntry } from "./morphoMarket.js";
import { MorphoMirror, type Valued } from "./morphoMirror.js";
import { FEED_DECIMALS } from "./simMarket.js";
import { toFloat, type Step } from "./path.js";
import type { LiquidationRecord, RunReport, StepRecord } from "./types.js";

/** Liquidations the keeper sends per block (Bulwark's keeper default). */
const MAX_PER_BLOCK = 10;
/** Unhealthy positions the keeper simulates per block, least healthy first: twice what it may send. */
const SIMULATE_LIMIT = 2 * MAX_PER_BLOCK;
/** A Morpho liquidation with its swap takes about 250k gas; room for a cold pool. */
const LIQUIDATE_GAS = 3_000_000n;
const LIQUIDATE_TOPIC = MORPHO_EVENTS.getEvent("Liquidate")!.topicHash;
const FEED_ABI = ["function latestRoundData() view returns (uint80, int256, uint256, uint256, uint80)"];

export interface MorphoRunOptions {
  keeperDelayBlocks: number;
  /** Keeper outages, in seconds from the path's start: [from, to). */
  keeperOutages: readonly { from: number; to: number }[];
  /** Called after each path step with (done, total). */
  progress?: (done: number, total: number) => void;
}

/** Why a simulated liquidation reverted: the flash liquidator's error name, or Morpho's message, or "unknown". */
export function morphoRevertReason(error: unknown, liquidator: Interface): string {
  const data = revertData(error);
  if (data === undefined) return "unknown";
  // Morpho and Uniswap revert with require messages (Error(string)): the message is the reason.
  const decoded = decodeRevert(data);
  if (decoded?.startsWith("Error(")) return String(JSON.parse(decoded.slice("Error(".length, -1)));
  try {
    const own = liquidator.parseError(data);
    if (own !== null) return own.name;
  } catch {
    // not the liquidator's error
  }
  return decoded === undefined ? "unknown" : decoded.slice(0, decoded.indexOf("("));
}

/** Replays `steps` against the Morpho market on `ethers`' chain and reports. Leaves automine off. */
export async function replayMorpho(
  ethers: HardhatEthers,
  market: SimMorphoMarket,
  steps: readonly Step[],
  options: MorphoRunOptions,
  setupSeconds: number,
): Promise<RunReport> {
  const started = performance.now();
  const morphoAddress = await market.morpho.getAddress();
  const driver = new ReplayDriver(ethers, market, steps, options);
  await driver.prepare(market.openedAt);
  const protocol = new MorphoReplay(ethers, market, driver, morphoAddress);
  await protocol.start();
  await driver.run(protocol);
  return protocol.report(setupSeconds, started);
}

/** A liquidation the keeper may send: the market, the borrower, its plan and the pool the collateral is sold in. */
interface Order {
  market: SimMorphoMarketEntry;
  borrower: string;
  seizedAssets: bigint;
  repaidShares: bigint;
  pool: string;
}

/** `MorphoFlashLiquidator.liquidate`'s arguments for `order`, with no minimum profit. */
function liquidateArgs(order: Order) {
  return [order.market.params, order.borrower, order.seizedAssets, order.repaidShares, order.pool, 0n] as const;
}

/** Morpho's part of each block of a replay, and the run's figures. */
export class MorphoReplay implements ReplayProtocol {
  private readonly ethers: HardhatEthers;
  private readonly market: SimMorphoMarket;
  private readonly driver: ReplayDriver;
  private readonly morphoAddress: string;
  private readonly liquidator: MorphoFlashLiquidator;
  private readonly baseDecimals: number;
  private readonly baseFeed: Contract;
  private readonly mirror: MorphoMirror;
  private readonly accountIndex: Map<string, number>;
  private initialDebt = 0n;
  private borrowersAtStart = 0;
  /** The lender's supply shares in each market: they never change during a replay. */
  private readonly lenderShares: bigint[] = [];
  private poolAddresses: (string | undefined)[] = [];
  /** Lenders' loss: the lender's supply value's fall from its peak. */
  private readonly lenderValue = new Drawdown();
  private minHealth: number | null = null;
  private failed = 0;
  private badDebtTotal = 0n;
  private liquidations = 0;
  private liquidatedDebt = 0n;
  private stepLiquidations = 0;
  private stepRepaid = 0n;
  /** Each Liquidate event as it came: its block, market index, borrower and amounts (priced in `report`). */
  private readonly liquidationLogs: Array<{
    block: number;
    market: number;
    borrower: string;
    repaid: bigint;
    seized: bigint;
    badDebt: bigint;
  }> = [];
  private readonly rejections: Record<string, number> = {};
  private readonly series: StepRecord[] = [];
  /** Every position in debt, valued once per block (after `read`): for the keeper and the step's figures. */
  private valued: Valued[] = [];

  /** Create it once `driver` is prepared. */
  constructor(ethers: HardhatEthers, market: SimMorphoMarket, driver: ReplayDriver, morphoAddress: string) {
    this.ethers = ethers;
    this.market = market;
    this.driver = driver;
    this.morphoAddress = morphoAddress;
    this.liquidator = market.liquidator.connect(market.keeper);
    this.baseDecimals = 10 ** market.base.decimals;
    this.baseFeed = new Contract(market.base.feed, FEED_ABI, ethers.provider);
    this.mirror = new MorphoMirror(market);
    this.accountIndex = new Map(market.borrowers.map((account, j) => [account.toLowerCase(), j] as const));
  }

  /** Reads every position as opened, the debt and borrowers at the start, and the lender's shares. */
  async start(): Promise<void> {
    const { markets, morpho, lender } = this.market;
    await this.mirror.readAll(this.driver.setupBlock);
    this.initialDebt = this.mirror.totalBorrowed();
    this.borrowersAtStart = this.mirror.inDebt();
    for (const m of markets) this.lenderShares.push((await morpho.position(m.id, lender.address)).supplyShares);
    this.poolAddresses = await Promise.all(markets.map((m) => m.asset.pool?.getAddress()));
  }

  async observe({ block, sent }: BlockContext): Promise<void> {
    const provider = this.ethers.provider;
    for (const hash of sent) {
      const receipt = await provider.getTransactionReceipt(hash);
      if (receipt === null || receipt.status !== 1) this.failed++;
    }
    const touched = await this.countLiquidations(block);
    await this.mirror.read([...touched], block);
    this.valued = this.mirror.valueAll();
  }

  async record(step: Step, { block }: BlockContext): Promise<void> {
    await this.recordStep(step, block);
    this.stepLiquidations = 0;
    this.stepRepaid = 0n;
  }

  /** The keeper's pass after a block: the liquidations it sends for `due`, leaving `busy` positions alone. */
  async decide({ block }: BlockContext, due: number, busy: ReadonlySet<string>): Promise<Pending[]> {
    const pending: Pending[] = [];
    let simulated = 0;
    const candidates = this.valued
      .filter(unhealthy)
      .sort((a, b) => compareRatios(a.limit, a.borrowed, b.limit, b.borrowed));
    for (const candidate of candidates) {
      const key = positionKey(this.market.borrowers[candidate.account], this.market.markets[candidate.market].id);
      if (busy.has(key)) continue;
      if (pending.length >= MAX_PER_BLOCK || simulated >= SIMULATE_LIMIT) {
        this.reject("over-block-cap");
        continue;
      }
      const order = this.orderFor(candidate);
      if (typeof order === "string") {
        this.reject(order);
        continue;
      }
      simulated++;
      if (await this.simulates(order, block)) pending.push(this.queue(order, due, key));
    }
    return pending;
  }

  private reject(reason: string): void {
    this.rejections[reason] = (this.rejections[reason] ?? 0) + 1;
  }

  /**
   * Counts Morpho's Liquidate events of `block` into the figures (liquidations, repaid, bad debt); returns the
   * borrowers they name, whose positions moved.
   */
  private async countLiquidations(block: number): Promise<Set<number>> {
    const logs = await this.ethers.provider.getLogs({
      address: this.morphoAddress,
      topics: [LIQUIDATE_TOPIC],
      fromBlock: block,
      toBlock: block,
    });
    const touched = new Set<number>();
    for (const log of logs as readonly Log[]) {
      const parsed = MORPHO_EVENTS.parseLog(log);
      if (parsed === null) continue;
      this.liquidations++;
      this.stepLiquidations++;
      const repaid = BigInt(parsed.args.repaidAssets);
      this.liquidatedDebt += repaid;
      this.stepRepaid += repaid;
      this.badDebtTotal += BigInt(parsed.args.badDebtAssets);
      this.liquidationLogs.push({
        block,
        market: this.market.markets.findIndex((m) => m.id === String(parsed.args.id)),
        borrower: String(parsed.args.borrower),
        repaid,
        seized: BigInt(parsed.args.seizedAssets),
        badDebt: BigInt(parsed.args.badDebtAssets),
      });
      const j = this.accountIndex.get(String(parsed.args.borrower).toLowerCase());
      if (j !== undefined) touched.add(j);
    }
    return touched;
  }

  /** The liquidation of `candidate` the keeper would send, or why there is none. */
  private orderFor(candidate: Valued): Order | string {
    const m = this.market.markets[candidate.market];
    const t = this.mirror.totals[candidate.market];
    if (t.price === 0n) return "oracle-reverts";
    const plan = planLiquidation(this.mirror.positions[candidate.market][candidate.account], t, t.price, m.lltv);
    if (plan === null) return "no-plan";
    const pool = this.poolAddresses[candidate.market];
    if (pool === undefined) return "no-pool";
    const borrower = this.market.borrowers[candidate.account];
    return { market: m, borrower, seizedAssets: plan.seizedAssets, repaidShares: plan.repaidShares, pool };
  }

  /** Whether `order` goes through the flash liquidator at `blockTag`; counts the reason when it does not. */
  private async simulates(order: Order, blockTag: number): Promise<boolean> {
    try {
      await this.liquidator.liquidate.staticCall(...liquidateArgs(order), { blockTag });
      return true;
    } catch (error) {
      // The sale would not repay the debt at this block (or Morpho refuses): the keeper does not send.
      this.reject(morphoRevertReason(error, this.liquidator.interface));
      return false;
    }
  }

  /** `order` as the keeper's transaction for `due`, holding the position `key`. */
  private queue(order: Order, due: number, key: string): Pending {
    const liquidator = this.liquidator;
    return {
      due,
      label: "liquidate",
      accounts: [key],
      send: () => liquidator.liquidate(...liquidateArgs(order), { gasLimit: LIQUIDATE_GAS }),
    };
  }

  /** Records the state at a path point's block. */
  private async recordStep(step: Step, blockTag: number): Promise<void> {
    const { base, markets } = this.market;
    const health = healthSummary(
      this.valued.map((v) => ({ limit: v.limit, debt: v.borrowed, liquidatable: unhealthy(v) })),
    );
    const at = { blockTag };
    const basePrice = toFloat(step.priceWad[base.spec.symbol]);
    const usd = (units: bigint): number => (Number(units) / this.baseDecimals) * basePrice;
    const [, baseAnswer] = (await this.baseFeed.latestRoundData(at)) as [bigint, bigint, bigint, bigint, bigint];
    const baseOracleUsd = toFloat(baseAnswer, FEED_DECIMALS);
    const price: Record<string, number> = { [base.spec.symbol]: basePrice };
    const oraclePrice: Record<string, number | null> = { [base.spec.symbol]: baseOracleUsd };
    const poolPrice = await poolPrices(base, this.market.collaterals, blockTag);
    const lltv: Record<string, number> = {};
    for (const [i, m] of markets.entries()) {
      const asset = m.asset;
      const symbol = asset.spec.symbol;
      const t = this.mirror.totals[i];
      price[symbol] = toFloat(step.priceWad[symbol]);
      // Morpho's price is loan units per collateral unit × 1e36: per whole token, times the loan token's USD price.
      const perToken = (t.price * 10n ** BigInt(asset.decimals) * WAD) / ORACLE_PRICE_SCALE;
      oraclePrice[symbol] = t.price === 0n ? null : (Number(perToken) / 1e18 / this.baseDecimals) * baseOracleUsd;
      lltv[symbol] = toFloat(m.lltv);
    }
    this.lenderValue.observe(this.mirror.supplyValue(this.lenderShares));
    this.minHealth = lowerHealth(this.minHealth, health.minHealth);
    this.series.push({
      timestamp: step.timestamp,
      price,
      oraclePrice,
      poolPrice,
      ...health,
      lenderLossPct: this.lenderValue.fallPct,
      liquidations: this.stepLiquidations,
      liquidatedDebtUsd: usd(this.stepRepaid),
      badDebtUsd: usd(this.badDebtTotal),
      totalDebtUsd: usd(this.mirror.totalBorrowed()),
      breakerLevel: {},
      borrowLtv: { ...lltv },
      liquidationThreshold: lltv,
    });
  }

  /** The run's report, from the Liquidate events and the state at the end; `started`: when the run started (ms). */
  async report(setupSeconds: number, started: number): Promise<RunReport> {
    const { morpho, markets, deployer, base } = this.market;
    const steps = this.driver.steps;
    const endBlock = await this.ethers.provider.getBlockNumber();
    await this.mirror.read([], endBlock);
    const feeShares: bigint[] = [];
    for (const m of markets) feeShares.push((await morpho.position(m.id, deployer.address)).supplyShares);
    const reserves = this.mirror.supplyValue(feeShares);
    const last = steps[steps.length - 1].priceWad;
    const openShortfall = this.mirror.openShortfall(last);
    const basePrice = toFloat(last[base.spec.symbol]);
    const usd = (units: bigint): number => (Number(units) / this.baseDecimals) * basePrice;
    const wallSeconds = (performance.now() - started) / 1000;
    return {
      params: "morpho",
      badDebt: {
        baseUnits: this.badDebtTotal.toString(),
        usd: usd(this.badDebtTotal),
        pctOfInitialBorrows: percentOf(this.badDebtTotal, this.initialDebt),
      },
      liquidations: this.liquidations,
      liquidatedDebt: { baseUnits: this.liquidatedDebt.toString(), usd: usd(this.liquidatedDebt) },
      failedKeeperTxs: this.failed,
      failedArbitrageTxs: this.driver.failedArbitrage,
      keeperRejections: this.rejections,
      breakerTrips: 0,
      timeInBreakerSeconds: 0,
      lenderLossPct: this.lenderValue.fallPct,
      minHealthFactor: this.minHealth,
      openShortfallUsd: openShortfall,
      borrowersAtStart: this.borrowersAtStart,
      borrowersAtEnd: this.mirror.inDebt(),
      initialBorrows: { baseUnits: this.initialDebt.toString(), usd: usd(this.initialDebt) },
      reserves: { baseUnits: reserves.toString(), usd: usd(reserves) },
      steps: steps.length,
      blocks: this.driver.blocks,
      wallSeconds,
      setupSeconds,
      stepsPerSecond: steps.length / wallSeconds,
      breakerEvents: [],
      liquidationEvents: this.liquidationRecords(),
      series: this.series,
    };
  }

  /** The Liquidate events as the report's table rows, priced at the path step each happened in. */
  private liquidationRecords(): LiquidationRecord[] {
    const base = this.market.base.spec.symbol;
    return this.liquidationLogs.map((log) => {
      const market = this.market.markets[log.market];
      const timestamp = this.driver.blockTimes.get(log.block) ?? this.driver.steps[0].timestamp;
      const step = stepAt(this.series, timestamp);
      const symbol = market?.asset.spec.symbol ?? "?";
      const basePrice = step?.price[base] ?? 1;
      return {
        timestamp,
        account: log.borrower,
        collateral: symbol,
        repaidUsd: (Number(log.repaid) / this.baseDecimals) * basePrice,
        seized: Number(log.seized) / 10 ** (market?.asset.decimals ?? 18),
        priceUsd: step?.price[symbol] ?? 0,
        bonusPct: market === undefined ? 0 : (toFloat(market.lif) - 1) * 100,
        badDebtUsd: (Number(log.badDebt) / this.baseDecimals) * basePrice,
      };
    });
  }
}

/** Morpho's `_isHealthy` fails: maxBorrow < borrowed. */
function unhealthy(v: Valued): boolean {
  return v.limit < v.borrowed;
}

/** The key of one position in the keeper's queue: the borrower and the market (a borrower has one per market). */
function positionKey(borrower: string, marketId: string): string {
  return `${borrower}:${marketId}`.toLowerCase();
}
