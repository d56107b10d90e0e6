/**
 * One Bulwark run of the simulation: the market of `simMarket.ts` replayed by the driver (`driver.ts`: blocks, feeds,
 * arbitrage, the keeper's delay and outages), with Bulwark's own part of each block:
 *   - before mining, every breaker entry is poked when a feed round went out or 10 minutes passed (the keeper's
 *     default);
 *   - after it, every borrower is valued (raw positions from the lens, the vault's formula off chain, checked against
 *     the vault on a sample: health.ts), the step is recorded, and the keeper decides: it snapshots the most urgent
 *     unhealthy accounts with the keeper library's `readAccountSnapshots`, selects liquidations, write-offs and flags
 *     with `selectLiquidations`, simulates them against this block and queues those that would succeed; in adaptive
 *     mode it also samples volatility and syncs the caps hourly.
 */
import type { HardhatEthers } from "@nomicfoundation/hardhat-ethers/types";
import type { Log } from "ethers";
import { ZeroAddress } from "ethers";

import { readAccountSnapshots, revertName, selectLiquidations, type Action } from "../keeper/index.js";
import { ReplayDriver, type BlockContext, type Pending } from "./driver.js";
import { Drawdown, compareRatios, healthSummary, lowerHealth, percentOf, poolPrices, shortfallUsd } from "./figures.js";
import {
  FAILED,
  liquidityOf,
  sameLiquidity,
  underwater,
  type Liquidity,
  type MarketView,
  type PriceRead,
} from "./health.js";
import type { MarketAsset, SimMarket } from "./simMarket.js";
import { toFloat, type Step } from "./path.js";
import {
  BREAKER_LEVEL_NAMES,
  BREAKER_REASON_NAMES,
  type BreakerTrip,
  type BulwarkMode,
  type RunReport,
  type StepRecord,
} from "./types.js";

/** The keeper pokes every breaker entry at least this often (its default `pokeIntervalSeconds`). */
const POKE_INTERVAL = 600;
/** The keeper samples volatility this often in adaptive mode (the estimator's minimum interval). */
const VOLATILITY_INTERVAL = 3600;
/** Liquidations and write-offs per block, and flags per block (the keeper's defaults). */
const MAX_PER_BLOCK = 10;
const MAX_FLAGS_PER_BLOCK = 10;
/** Unhealthy accounts the keeper snapshots per block, most urgent first: twice what it may act on. */
const SNAPSHOT_LIMIT = 2 * (MAX_PER_BLOCK + MAX_FLAGS_PER_BLOCK);
/** Accounts per lens call. */
const LENS_CHUNK = 500;
const RAY = 10n ** 27n;
const mulDivUp = (a: bigint, b: bigint, d: bigint): bigint => (a * b + d - 1n) / d;
/** Accounts whose mirrored health is checked against the vault each block. */
const MIRROR_CHECKS = 2;
const GAS = { keeper: 8_000_000n, poke: 400_000n };

export interface RunOptions {
  params: BulwarkMode;
  keeperDelayBlocks: number;
  /** Keeper outages, in seconds from the path's start: [from, to). */
  keeperOutages: readonly { from: number; to: number }[];
  /** Called after each path step with (done, total). */
  progress?: (done: number, total: number) => void;
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
  const provider = ethers.provider;
  const { vault, engine, breaker, lens, liquidator, keeper, base, collaterals } = market;
  const assets = [base, ...collaterals];
  const vaultAddress = await vault.getAddress();
  const collateralAddresses = collaterals.map((asset) => asset.address);
  const symbolOf = (address: string): string =>
    address === ZeroAddress ? "global" : (market.byAddress.get(address.toLowerCase())?.spec.symbol ?? address);
  const baseDecimals = 10 ** base.decimals;
  const shareUnit = 10n ** (await vault.decimals());

  const driver = new ReplayDriver(ethers, market, steps, options);
  await driver.prepare(market.openedAt);
  const pathStart = steps[0].timestamp;
  let lastPoke = -Infinity;
  let lastVolatility = -Infinity;

  const initialDebt = await vault.totalDebt();
  const series: StepRecord[] = [];
  /** Lenders' loss: the vault share price's fall from its peak. */
  const sharePrice = new Drawdown();
  let minHealth: number | null = null;
  let failed = 0;
  const rejections: Record<string, number> = {};
  const reject = (reason: string): void => {
    rejections[reason] = (rejections[reason] ?? 0) + 1;
  };

  const poke = async (): Promise<void> => {
    for (const address of [ZeroAddress, ...assets.map((a) => a.address)]) {
      await breaker.connect(keeper).poke(address, { gasLimit: GAS.poke });
    }
  };

  /** Prices and effective parameters at `blockTag`, read once for every account. */
  const readView = async (blockTag: number): Promise<MarketView> => {
    const read = async (asset: MarketAsset): Promise<PriceRead> => {
      const p = await market.adapter.getPrice(asset.address, { blockTag });
      return { low: p.low, high: p.high, status: Number(p.status) };
    };
    const collateralViews = [];
    for (const asset of collaterals) {
      const [borrowLtv, liquidationThreshold] = await vault.riskParams(asset.address, { blockTag });
      collateralViews.push({
        price: await read(asset),
        unit: 10n ** BigInt(asset.decimals),
        borrowLtv,
        liquidationThreshold,
      });
    }
    return { base: await read(base), baseUnit: 10n ** BigInt(base.decimals), collaterals: collateralViews };
  };

  // Every borrower's raw position (scaled debt, holdings), read once and again only for accounts a block's vault
  // events name: in the simulation nothing else changes a position. Valued each block with that block's prices,
  // parameters and borrow index (health.ts).
  const scaledDebts: bigint[] = [];
  const holdings: bigint[][] = [];
  const position = new Map(market.borrowers.map((account, i) => [account.toLowerCase(), i] as const));
  const refresh = async (indices: readonly number[], blockTag: number): Promise<void> => {
    for (let k = 0; k < indices.length; k += LENS_CHUNK) {
      const chunk = indices.slice(k, k + LENS_CHUNK);
      const accounts = chunk.map((i) => market.borrowers[i]);
      const [scaled, balances] = await lens.positions(vaultAddress, collateralAddresses, accounts, { blockTag });
      chunk.forEach((i, j) => {
        scaledDebts[i] = scaled[j];
        holdings[i] = [...balances[j]];
      });
    }
  };
  /** Re-reads the positions of borrowers named by any vault event of `blockTag`. */
  const refreshTouched = async (blockTag: number): Promise<void> => {
    const touched = new Set<number>();
    for (const log of await provider.getLogs({ address: vaultAddress, fromBlock: blockTag, toBlock: blockTag })) {
      const parsed = vault.interface.parseLog(log);
      if (parsed === null) continue;
      for (const arg of parsed.args) {
        const i = typeof arg === "string" ? position.get(arg.toLowerCase()) : undefined;
        if (i !== undefined) touched.add(i);
      }
    }
    if (touched.size > 0) await refresh([...touched], blockTag);
  };
  let checkCursor = 0;
  const readLiquidities = async (blockTag: number, view: MarketView): Promise<Liquidity[]> => {
    const index = await vault.borrowIndex({ blockTag });
    const out = market.borrowers.map((_, i) =>
      liquidityOf(view, scaledDebts[i] === 0n ? 0n : mulDivUp(scaledDebts[i], index, RAY), holdings[i]),
    );
    // The mirror must agree with the vault: check a rotating sample against accountLiquidity every block.
    for (let k = 0; k < MIRROR_CHECKS && market.borrowers.length > 0; k++) {
      const i = checkCursor++ % market.borrowers.length;
      const onChain = await vault.accountLiquidity(market.borrowers[i], { blockTag });
      const chain: Liquidity = {
        collateralValue: onChain.collateralValue,
        borrowLimit: onChain.borrowLimit,
        liquidationLimit: onChain.liquidationLimit,
        debtValue: onChain.debtValue,
        debt: onChain.debt,
        priceStatus: Number(onChain.priceStatus),
      };
      if (!sameLiquidity(chain, out[i])) {
        throw new Error(`health mirror disagrees with the vault for ${market.borrowers[i]} at block ${blockTag}`);
      }
    }
    return out;
  };

  /** The keeper's pass after a block: what it sends for `due`, leaving `busy` accounts alone. */
  const keeperPass = async (
    blockTag: number,
    chainTime: number,
    liquidities: Liquidity[],
    due: number,
    busy: ReadonlySet<string>,
  ): Promise<Pending[]> => {
    const pending: Pending[] = [];
    // The keeper snapshots (holdings, flags, engine previews: several reads each) only the most urgent accounts it
    // could act on this block; the rest wait, as they would for the block cap.
    const unhealthy = market.borrowers
      .map((account, i) => ({ account, liq: liquidities[i] }))
      .filter(({ liq }) => underwater(liq))
      .sort((a, b) => compareHealth(a.liq, b.liq))
      .slice(0, SNAPSHOT_LIMIT)
      .map(({ account }) => account);
    if (unhealthy.length > 0) {
      const snapshots = await readAccountSnapshots(vault, engine, unhealthy, {
        blockTag,
        collaterals: collateralAddresses,
      });
      const selection = selectLiquidations(snapshots, {
        maxPerBlock: MAX_PER_BLOCK,
        canSell: (asset) => market.byAddress.get(asset.toLowerCase())?.pool !== undefined,
        dustValue: market.dustValue,
        maxFlagsPerBlock: MAX_FLAGS_PER_BLOCK,
        exclude: busy,
      });
      for (const skipped of selection.skipped) if (skipped.reason !== "excluded") reject(skipped.reason);
      const liquidations = selection.actions.filter(
        (a): a is Extract<Action, { kind: "liquidate" }> => a.kind === "liquidate",
      );
      const orders = liquidations.map((a) => ({
        borrower: a.borrower,
        collateral: a.collateral,
        maxRepay: a.maxRepay,
      }));
      if (orders.length === 1) {
        const [o] = orders;
        try {
          await liquidator.liquidate.staticCall(o.borrower, o.collateral, o.maxRepay, 0n, { blockTag });
          pending.push({
            due,
            label: "liquidate",
            accounts: [o.borrower],
            send: () => liquidator.liquidate(o.borrower, o.collateral, o.maxRepay, 0n, { gasLimit: GAS.keeper }),
          });
        } catch (error) {
          // The sale would not cover the debt at this block (or the engine refuses): the keeper does not send.
          reject(revertName(error) ?? "unknown");
        }
      } else if (orders.length > 1) {
        const [, succeeded] = await liquidator.liquidateBatch.staticCall(orders, 0n, { blockTag });
        const good = orders.filter((_, i) => succeeded[i]);
        for (const o of orders.filter((_, i) => !succeeded[i])) {
          // The batch only says which items failed: ask for this one's reason.
          await liquidator.liquidate
            .staticCall(o.borrower, o.collateral, o.maxRepay, 0n, { blockTag })
            .then(() => reject("batch-only"))
            .catch((error: unknown) => reject(revertName(error) ?? "unknown"));
        }
        if (good.length > 0) {
          pending.push({
            due,
            label: "liquidateBatch",
            accounts: good.map((o) => o.borrower),
            send: () => liquidator.liquidateBatch(good, 0n, { gasLimit: GAS.keeper }),
          });
        }
      }
      for (const action of selection.actions) {
        if (action.kind !== "writeOff") continue;
        try {
          await engine.connect(keeper).writeOff.staticCall(action.borrower, { blockTag });
          pending.push({
            due,
            label: "writeOff",
            accounts: [action.borrower],
            send: () => engine.connect(keeper).writeOff(action.borrower, { gasLimit: GAS.keeper }),
          });
        } catch (error) {
          reject(revertName(error) ?? "unknown");
        }
      }
      for (const account of selection.flags) {
        pending.push({
          due,
          label: "flag",
          accounts: [account],
          send: () => engine.connect(keeper).flag(account, { gasLimit: GAS.keeper }),
        });
      }
    }
    if (market.volatility !== undefined && market.riskManager !== undefined) {
      if (chainTime - lastVolatility >= VOLATILITY_INTERVAL) {
        lastVolatility = chainTime;
        const volatility = market.volatility.connect(keeper);
        const riskManager = market.riskManager.connect(keeper);
        pending.push({
          due,
          label: "volatility",
          accounts: [],
          send: () => volatility.updateMany(collateralAddresses, { gasLimit: GAS.keeper }),
        });
        pending.push({
          due,
          label: "sync",
          accounts: [],
          send: () => riskManager.syncMany(collateralAddresses, { gasLimit: GAS.keeper }),
        });
      }
    }
    return pending;
  };

  /** Records the state at a path point's block. */
  const record = async (
    step: Step,
    blockTag: number,
    view: MarketView,
    liquidities: Liquidity[],
    liquidations: number,
    repaid: bigint,
  ): Promise<void> => {
    const health = healthSummary(
      liquidities
        .filter((l) => l.debt !== 0n)
        .map((l) => ({ limit: l.liquidationLimit, debt: l.debtValue, liquidatable: underwater(l) })),
    );
    const at = { blockTag };
    const price: Record<string, number> = {};
    const oraclePrice: Record<string, number | null> = {};
    const borrowLtv: Record<string, number> = {};
    const liquidationThreshold: Record<string, number> = {};
    assets.forEach((asset, i) => {
      const symbol = asset.spec.symbol;
      price[symbol] = toFloat(step.priceWad[symbol]);
      const read = i === 0 ? view.base : view.collaterals[i - 1].price;
      oraclePrice[symbol] = read.status === FAILED ? null : toFloat(read.low);
      if (i > 0) {
        borrowLtv[symbol] = toFloat(view.collaterals[i - 1].borrowLtv);
        liquidationThreshold[symbol] = toFloat(view.collaterals[i - 1].liquidationThreshold);
      }
    });
    const poolPrice = await poolPrices(base, collaterals, blockTag);
    const breakerLevel: Record<string, number> = {};
    for (const entry of await breaker.state(at)) breakerLevel[symbolOf(entry.asset)] = Number(entry.level);
    const basePrice = toFloat(step.priceWad[base.spec.symbol]);
    const usd = (units: bigint): number => (Number(units) / baseDecimals) * basePrice;
    sharePrice.observe(await vault.convertToAssets(shareUnit, at));
    minHealth = lowerHealth(minHealth, health.minHealth);
    series.push({
      timestamp: step.timestamp,
      price,
      oraclePrice,
      poolPrice,
      ...health,
      liquidations,
      liquidatedDebtUsd: usd(repaid),
      badDebtUsd: usd(await vault.badDebt(at)),
      totalDebtUsd: usd(await vault.totalDebt(at)),
      breakerLevel,
      borrowLtv,
      liquidationThreshold,
    });
  };

  const executed = engine.interface.getEvent("LiquidationExecuted");
  let stepLiquidations = 0;
  let stepRepaid = 0n;
  let view: MarketView | undefined;
  let liquidities: Liquidity[] = [];
  await refresh(
    market.borrowers.map((_, i) => i),
    driver.setupBlock,
  );
  await driver.run({
    beforeMine: async (chainTime, published) => {
      if (published || chainTime - lastPoke >= POKE_INTERVAL) {
        await poke();
        lastPoke = chainTime;
      }
    },
    observe: async ({ block, sent }: BlockContext) => {
      for (const hash of sent) {
        const receipt = await provider.getTransactionReceipt(hash);
        if (receipt === null || receipt.status !== 1) {
          failed++;
          continue;
        }
        for (const log of receipt.logs as readonly Log[]) {
          if (log.topics[0] !== executed.topicHash) continue;
          const parsed = engine.interface.parseLog(log);
          if (parsed === null) continue;
          stepLiquidations++;
          stepRepaid += BigInt(parsed.args.repaid);
        }
      }
      await refreshTouched(block);
      view = await readView(block);
      liquidities = await readLiquidities(block, view);
    },
    record: async (step, { block }) => {
      if (view === undefined) throw new Error("record before observe");
      await record(step, block, view, liquidities, stepLiquidations, stepRepaid);
      stepLiquidations = 0;
      stepRepaid = 0n;
    },
    decide: ({ block, chainTime }, due, busy) => keeperPass(block, chainTime, liquidities, due, busy),
  });

  // Totals from the logs (exact): liquidations, breaker trips and time in breaker.
  const endBlock = await provider.getBlockNumber();
  const startBlock = driver.startBlock;
  const liquidationLogs = await engine.queryFilter(engine.filters.LiquidationExecuted(), startBlock, endBlock);
  const liquidatedDebt = liquidationLogs.reduce((sum, log) => sum + log.args.repaid, 0n);
  const breakerLogs = await breaker.queryFilter(breaker.filters.BreakerUpdated(), startBlock, endBlock);
  const levels = new Map<string, number>();
  const events: BreakerTrip[] = [];
  let trips = 0;
  let timeInBreaker = 0;
  let anySince: number | undefined;
  for (const log of breakerLogs) {
    const time = driver.blockTimes.get(log.blockNumber) ?? pathStart;
    const entry = symbolOf(log.args.asset);
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

  const badDebt = await vault.badDebt();
  const reserves = await vault.reserves();
  const endLiquidities = await readLiquidities(endBlock, await readView(endBlock));
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
              units: holdings[i][k] ?? 0n,
              unit: 10n ** BigInt(asset.decimals),
              priceWad: last[asset.spec.symbol],
            })),
          ),
    0,
  );
  const basePrice = toFloat(steps[steps.length - 1].priceWad[base.spec.symbol]);
  const usd = (units: bigint): number => (Number(units) / baseDecimals) * basePrice;
  const wallSeconds = (performance.now() - started) / 1000;
  return {
    params: options.params,
    badDebt: {
      baseUnits: badDebt.toString(),
      usd: usd(badDebt),
      pctOfInitialBorrows: percentOf(badDebt, initialDebt),
    },
    liquidations: liquidationLogs.length,
    liquidatedDebt: { baseUnits: liquidatedDebt.toString(), usd: usd(liquidatedDebt) },
    failedKeeperTxs: failed,
    failedArbitrageTxs: driver.failedArbitrage,
    keeperRejections: rejections,
    breakerTrips: trips,
    timeInBreakerSeconds: timeInBreaker,
    lenderLossPct: sharePrice.fallPct,
    minHealthFactor: minHealth,
    openShortfallUsd: openShortfall,
    borrowersAtStart: market.borrowers.length,
    borrowersAtEnd: endLiquidities.filter((l) => l.debt > 0n).length,
    initialBorrows: { baseUnits: initialDebt.toString(), usd: usd(initialDebt) },
    reserves: { baseUnits: reserves.toString(), usd: usd(reserves) },
    steps: steps.length,
    blocks: driver.blocks,
    wallSeconds,
    setupSeconds,
    stepsPerSecond: steps.length / wallSeconds,
    breakerEvents: events,
    series,
  };
}

/** Orders two positions by health factor, lowest first (a FAILED base price sorts first). */
function compareHealth(a: Liquidity, b: Liquidity): number {
  return compareRatios(a.liquidationLimit, a.debtValue, b.liquidationLimit, b.debtValue);
}

export type { MarketAsset };
