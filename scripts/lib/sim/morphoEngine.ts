/**
 * One Morpho Blue run of the simulation (issue 9): the peer market of `morphoMarket.ts` (the same population, tokens,
 * feeds and pools as Bulwark's) replayed by the same driver (`driver.ts`: blocks, feed rounds, arbitrage, the keeper's
 * delay and outages), with Morpho's part of each block:
 *   - nothing before mining: Morpho has no breaker to poke and no parameter to sync;
 *   - after it, every market's totals (interest accrued to the block) and oracle price come from `MorphoLens`, every
 *     position is valued with Morpho's own math (`morphoHealth.ts`: exact, roundings included), and positions are
 *     re-read only when a Liquidate event of the block names their borrower (nothing else moves one in a replay);
 *   - the keeper takes the unhealthy positions, least healthy first, plans each liquidation (`planLiquidation`: the
 *     whole debt when the collateral covers it at Morpho's incentive, else all the collateral, realising bad debt),
 *     simulates it through its `MorphoFlashLiquidator` against this block and queues it when it succeeds: at most
 *     `MAX_PER_BLOCK` a block, as Bulwark's keeper.
 *
 * Figures: bad debt is Σ `badDebtAssets` of Morpho's Liquidate events (Morpho writes it off the lenders' supply when
 * a liquidation takes the last collateral); lenders' loss is the fall of the lender's supply value over every market
 * from its peak (the lender supplies apart from the fee recipient, so fees do not hide a loss).
 */
import type { HardhatEthers } from "@nomicfoundation/hardhat-ethers/types";
import { Contract, type Interface, type Log } from "ethers";

import { decodeRevert, revertData } from "../keeper/index.js";
import { MORPHO_EVENTS } from "../morpho.js";
import { ReplayDriver, type BlockContext, type Pending } from "./driver.js";
import { Drawdown, compareRatios, healthSummary, lowerHealth, percentOf, poolPrices, shortfallUsd } from "./figures.js";
import {
  ORACLE_PRICE_SCALE,
  WAD,
  borrowedAssets,
  maxBorrow,
  planLiquidation,
  toAssetsDown,
  type MorphoMarketState,
  type MorphoPositionState,
} from "./morphoHealth.js";
import type { SimMorphoMarket } from "./morphoMarket.js";
import { FEED_DECIMALS } from "./simMarket.js";
import { toFloat, type Step } from "./path.js";
import type { RunReport, StepRecord } from "./types.js";

/** Liquidations the keeper sends per block (Bulwark's keeper default). */
const MAX_PER_BLOCK = 10;
/** Unhealthy positions the keeper simulates per block, least healthy first: twice what it may send. */
const SIMULATE_LIMIT = 2 * MAX_PER_BLOCK;
/** Accounts per lens call. */
const LENS_CHUNK = 500;
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

/** A market's totals at a block (MorphoLens.read), interest accrued. */
interface Totals extends MorphoMarketState {
  totalSupplyAssets: bigint;
  totalSupplyShares: bigint;
  /** Oracle price, 1e36-scaled loan units per collateral unit; 0 when the oracle reverts. */
  price: bigint;
}

/** A position in debt, valued at a block's totals and oracle price: what Morpho lends on it and what it owes. */
interface Valued {
  market: number;
  account: number;
  /** `maxBorrow`: collateral × price × LLTV, loan units. */
  limit: bigint;
  /** `borrowedAssets`, loan units (> 0). */
  borrowed: bigint;
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
  const provider = ethers.provider;
  const { morpho, lens, base, markets, borrowers } = market;
  const liquidator = market.liquidator.connect(market.keeper);
  const morphoAddress = await morpho.getAddress();
  const params = markets.map((m) => m.params);
  const baseDecimals = 10 ** base.decimals;
  const baseFeed = new Contract(base.feed, FEED_ABI, provider);

  const driver = new ReplayDriver(ethers, market, steps, options);
  await driver.prepare(market.openedAt);

  // Every position (borrow shares, collateral), per market then account: read once at the setup block and again only
  // for borrowers a block's Liquidate events name.
  const positions: MorphoPositionState[][] = markets.map(() => []);
  const accountIndex = new Map(borrowers.map((account, j) => [account.toLowerCase(), j] as const));
  let totals: Totals[] = [];
  /** Reads every market's totals at `blockTag` and the positions of `accounts` (none: one call for the totals). */
  const read = async (accounts: readonly number[], blockTag: number): Promise<void> => {
    for (let k = 0; k < Math.max(accounts.length, 1); k += LENS_CHUNK) {
      const chunk = accounts.slice(k, k + LENS_CHUNK);
      const [t, p] = await lens.read(
        params,
        chunk.map((j) => borrowers[j]),
        { blockTag },
      );
      totals = t.map((x) => ({
        totalSupplyAssets: x.totalSupplyAssets,
        totalSupplyShares: x.totalSupplyShares,
        totalBorrowAssets: x.totalBorrowAssets,
        totalBorrowShares: x.totalBorrowShares,
        price: x.price,
      }));
      p.forEach((row, i) =>
        row.forEach((position, n) => {
          positions[i][chunk[n]] = { borrowShares: position.borrowShares, collateral: position.collateral };
        }),
      );
    }
  };
  const everyone = borrowers.map((_, j) => j);
  await read(everyone, driver.setupBlock);
  const initialDebt = totals.reduce((sum, t) => sum + t.totalBorrowAssets, 0n);
  const borrowersAtStart = everyone.filter((j) => positions.some((row) => row[j].borrowShares > 0n)).length;
  // The lender's supply shares never change during a replay: its value is these shares at each block's totals.
  const lenderShares: bigint[] = [];
  for (const m of markets) lenderShares.push((await morpho.position(m.id, market.lender.address)).supplyShares);
  const supplyValue = (shares: readonly bigint[]): bigint =>
    totals.reduce((sum, t, i) => sum + toAssetsDown(shares[i], t.totalSupplyAssets, t.totalSupplyShares), 0n);

  /** Lenders' loss: the lender's supply value's fall from its peak. */
  const lenderValue = new Drawdown();
  let minHealth: number | null = null;
  let failed = 0;
  let badDebtTotal = 0n;
  let stepLiquidations = 0;
  let stepRepaid = 0n;
  const rejections: Record<string, number> = {};
  const reject = (reason: string): void => {
    rejections[reason] = (rejections[reason] ?? 0) + 1;
  };
  const series: StepRecord[] = [];

  /** Every position in debt, valued once per block (after `read`): for the keeper and the step's figures. */
  let valued: Valued[] = [];
  const valueAll = (): Valued[] => {
    const out: Valued[] = [];
    markets.forEach((m, i) => {
      const t = totals[i];
      positions[i].forEach((position, j) => {
        if (position.borrowShares === 0n) return;
        out.push({
          market: i,
          account: j,
          limit: maxBorrow(position, t.price, m.lltv),
          borrowed: borrowedAssets(position, t),
        });
      });
    });
    return out;
  };
  /** Morpho's `_isHealthy` fails: maxBorrow < borrowed. */
  const unhealthy = (v: Valued): boolean => v.limit < v.borrowed;
  const poolAddresses = await Promise.all(markets.map((m) => m.asset.pool?.getAddress()));

  /** The keeper's pass after a block: the liquidations it sends for `due`, leaving `busy` positions alone. */
  const keeperPass = async (blockTag: number, due: number, busy: ReadonlySet<string>): Promise<Pending[]> => {
    const pending: Pending[] = [];
    let simulated = 0;
    const candidates = valued.filter(unhealthy).sort((a, b) => compareRatios(a.limit, a.borrowed, b.limit, b.borrowed));
    for (const candidate of candidates) {
      const m = markets[candidate.market];
      const borrower = borrowers[candidate.account];
      const key = positionKey(borrower, m.id);
      if (busy.has(key)) continue;
      if (pending.length >= MAX_PER_BLOCK || simulated >= SIMULATE_LIMIT) {
        reject("over-block-cap");
        continue;
      }
      const t = totals[candidate.market];
      if (t.price === 0n) {
        reject("oracle-reverts");
        continue;
      }
      const plan = planLiquidation(positions[candidate.market][candidate.account], t, t.price, m.lltv);
      if (plan === null) {
        reject("no-plan");
        continue;
      }
      const poolAddress = poolAddresses[candidate.market];
      if (poolAddress === undefined) {
        reject("no-pool");
        continue;
      }
      simulated++;
      try {
        await liquidator.liquidate.staticCall(
          m.params,
          borrower,
          plan.seizedAssets,
          plan.repaidShares,
          poolAddress,
          0n,
          {
            blockTag,
          },
        );
      } catch (error) {
        // The sale would not repay the debt at this block (or Morpho refuses): the keeper does not send.
        reject(morphoRevertReason(error, liquidator.interface));
        continue;
      }
      pending.push({
        due,
        label: "liquidate",
        accounts: [key],
        send: () =>
          liquidator.liquidate(m.params, borrower, plan.seizedAssets, plan.repaidShares, poolAddress, 0n, {
            gasLimit: LIQUIDATE_GAS,
          }),
      });
    }
    return pending;
  };

  /** Records the state at a path point's block. */
  const record = async (step: Step, blockTag: number): Promise<void> => {
    const health = healthSummary(valued.map((v) => ({ limit: v.limit, debt: v.borrowed, liquidatable: unhealthy(v) })));
    const at = { blockTag };
    const basePrice = toFloat(step.priceWad[base.spec.symbol]);
    const usd = (units: bigint): number => (Number(units) / baseDecimals) * basePrice;
    const [, baseAnswer] = (await baseFeed.latestRoundData(at)) as [bigint, bigint, bigint, bigint, bigint];
    const baseOracleUsd = toFloat(baseAnswer, FEED_DECIMALS);
    const price: Record<string, number> = { [base.spec.symbol]: basePrice };
    const oraclePrice: Record<string, number | null> = { [base.spec.symbol]: baseOracleUsd };
    const poolPrice = await poolPrices(base, market.collaterals, blockTag);
    const lltv: Record<string, number> = {};
    for (const [i, m] of markets.entries()) {
      const asset = m.asset;
      const symbol = asset.spec.symbol;
      price[symbol] = toFloat(step.priceWad[symbol]);
      // Morpho's price is loan units per collateral unit × 1e36: per whole token, times the loan token's USD price.
      const perToken = (totals[i].price * 10n ** BigInt(asset.decimals) * WAD) / ORACLE_PRICE_SCALE;
      oraclePrice[symbol] = totals[i].price === 0n ? null : (Number(perToken) / 1e18 / baseDecimals) * baseOracleUsd;
      lltv[symbol] = toFloat(m.lltv);
    }
    lenderValue.observe(supplyValue(lenderShares));
    minHealth = lowerHealth(minHealth, health.minHealth);
    series.push({
      timestamp: step.timestamp,
      price,
      oraclePrice,
      poolPrice,
      ...health,
      liquidations: stepLiquidations,
      liquidatedDebtUsd: usd(stepRepaid),
      badDebtUsd: usd(badDebtTotal),
      totalDebtUsd: usd(totals.reduce((sum, t) => sum + t.totalBorrowAssets, 0n)),
      breakerLevel: {},
      borrowLtv: { ...lltv },
      liquidationThreshold: lltv,
    });
    stepLiquidations = 0;
    stepRepaid = 0n;
  };

  let liquidations = 0;
  let liquidatedDebt = 0n;
  await driver.run({
    observe: async ({ block, sent }: BlockContext) => {
      for (const hash of sent) {
        const receipt = await provider.getTransactionReceipt(hash);
        if (receipt === null || receipt.status !== 1) failed++;
      }
      // Morpho's Liquidate events of the block: the figures, and the borrowers whose positions moved.
      const logs = await provider.getLogs({
        address: morphoAddress,
        topics: [LIQUIDATE_TOPIC],
        fromBlock: block,
        toBlock: block,
      });
      const touched = new Set<number>();
      for (const log of logs as readonly Log[]) {
        const parsed = MORPHO_EVENTS.parseLog(log);
        if (parsed === null) continue;
        liquidations++;
        stepLiquidations++;
        const repaid = BigInt(parsed.args.repaidAssets);
        liquidatedDebt += repaid;
        stepRepaid += repaid;
        badDebtTotal += BigInt(parsed.args.badDebtAssets);
        const j = accountIndex.get(String(parsed.args.borrower).toLowerCase());
        if (j !== undefined) touched.add(j);
      }
      await read([...touched], block);
      valued = valueAll();
    },
    record: (step, { block }) => record(step, block),
    decide: ({ block }, due, busy) => keeperPass(block, due, busy),
  });

  const endBlock = await provider.getBlockNumber();
  await read([], endBlock);
  const feeShares: bigint[] = [];
  for (const m of markets) feeShares.push((await morpho.position(m.id, market.deployer.address)).supplyShares);
  const reserves = supplyValue(feeShares);
  const last = steps[steps.length - 1].priceWad;
  let openShortfall = 0;
  markets.forEach((m, i) => {
    for (const position of positions[i]) {
      if (position.borrowShares === 0n) continue;
      openShortfall += shortfallUsd(
        borrowedAssets(position, totals[i]),
        10n ** BigInt(base.decimals),
        last[base.spec.symbol],
        [{ units: position.collateral, unit: 10n ** BigInt(m.asset.decimals), priceWad: last[m.asset.spec.symbol] }],
      );
    }
  });
  const basePrice = toFloat(last[base.spec.symbol]);
  const usd = (units: bigint): number => (Number(units) / baseDecimals) * basePrice;
  const wallSeconds = (performance.now() - started) / 1000;
  return {
    params: "morpho",
    badDebt: {
      baseUnits: badDebtTotal.toString(),
      usd: usd(badDebtTotal),
      pctOfInitialBorrows: percentOf(badDebtTotal, initialDebt),
    },
    liquidations,
    liquidatedDebt: { baseUnits: liquidatedDebt.toString(), usd: usd(liquidatedDebt) },
    failedKeeperTxs: failed,
    failedArbitrageTxs: driver.failedArbitrage,
    keeperRejections: rejections,
    breakerTrips: 0,
    timeInBreakerSeconds: 0,
    lenderLossPct: lenderValue.fallPct,
    minHealthFactor: minHealth,
    openShortfallUsd: openShortfall,
    borrowersAtStart,
    borrowersAtEnd: everyone.filter((j) => positions.some((row) => row[j].borrowShares > 0n)).length,
    initialBorrows: { baseUnits: initialDebt.toString(), usd: usd(initialDebt) },
    reserves: { baseUnits: reserves.toString(), usd: usd(reserves) },
    steps: steps.length,
    blocks: driver.blocks,
    wallSeconds,
    setupSeconds,
    stepsPerSecond: steps.length / wallSeconds,
    breakerEvents: [],
    series,
  };
}

/** The key of one position in the keeper's queue: the borrower and the market (a borrower has one per market). */
function positionKey(borrower: string, marketId: string): string {
  return `${borrower}:${marketId}`.toLowerCase();
}
