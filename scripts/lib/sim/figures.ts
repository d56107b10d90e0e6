/**
 * Figures every run of the simulation computes the same way, whichever protocol it replays (engine.ts for Bulwark,
 * morphoEngine.ts for Morpho Blue): a fall from a peak, a part as a percentage, the lowest health seen, pool prices.
 */
import { MAX_UINT256, WAD } from "../keeper/index.js";
import { spotFromSqrtPrice } from "../uniswap.js";
import type { MarketAsset } from "./simMarket.js";
import { toFloat } from "./path.js";

/** `part` / `whole` in percent, to 10 decimals (0 when `whole` is 0). */
export function percentOf(part: bigint, whole: bigint): number {
  return whole === 0n ? 0 : Number((part * 10n ** 12n) / whole) / 1e10;
}

/** Tracks a value over a run: its peak and its last reading. */
export class Drawdown {
  peak = 0n;
  last = 0n;

  /** Records a reading. */
  observe(value: bigint): void {
    if (value > this.peak) this.peak = value;
    this.last = value;
  }

  /** Fall from the peak to the last reading, percent (0 when it never fell). */
  get fallPct(): number {
    return this.last >= this.peak ? 0 : percentOf(this.peak - this.last, this.peak);
  }
}

/** The lower of two health factors, either possibly null (no debt). */
export function lowerHealth(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.min(a, b);
}

/** Spot price of each collateral's Uniswap v3 pool from its √price (`sqrtPrices`, collaterals' order; pools only). */
export function poolPricesFrom(
  base: MarketAsset,
  collaterals: readonly MarketAsset[],
  sqrtPrices: readonly bigint[],
): Record<string, number> {
  const out: Record<string, number> = {};
  collaterals.forEach((asset, i) => {
    if (asset.pool === undefined || asset.baseIsToken0 === undefined) return;
    out[asset.spec.symbol] = toFloat(
      spotFromSqrtPrice(sqrtPrices[i], asset.baseIsToken0, asset.decimals, base.decimals),
    );
  });
  return out;
}

/** Spot price of each collateral's Uniswap v3 pool at `blockTag`, USD per token (by symbol). */
export async function poolPrices(
  base: MarketAsset,
  collaterals: readonly MarketAsset[],
  blockTag: number,
): Promise<Record<string, number>> {
  const sqrtPrices: bigint[] = [];
  for (const asset of collaterals) {
    sqrtPrices.push(asset.pool === undefined ? 0n : (await asset.pool.slot0({ blockTag }))[0]);
  }
  return poolPricesFrom(base, collaterals, sqrtPrices);
}

/** One holding valued by `shortfallUsd`: units of a token with `unit` = 10^decimals, at a WAD USD price. */
export interface Holding {
  units: bigint;
  unit: bigint;
  priceWad: bigint;
}

/**
 * What a debt of `debtUnits` base units (10^decimals = `baseUnit`, at `basePriceWad`) exceeds its collateral by, in
 * USD (0 when covered): a loss not yet written off. Valued at the path's prices, the same for every protocol.
 */
export function shortfallUsd(
  debtUnits: bigint,
  baseUnit: bigint,
  basePriceWad: bigint,
  holdings: readonly Holding[],
): number {
  const debt = (debtUnits * basePriceWad) / baseUnit;
  const collateral = holdings.reduce((sum, h) => sum + (h.units * h.priceWad) / h.unit, 0n);
  return debt > collateral ? toFloat(debt - collateral) : 0;
}

/** Orders a/b against c/d (positive denominators), smallest first: a·d against c·b, exact. */
export function compareRatios(a: bigint, b: bigint, c: bigint, d: bigint): number {
  const left = a * d;
  const right = c * b;
  return left < right ? -1 : left > right ? 1 : 0;
}

/** One position in debt, as a step's health figures see it: its liquidation limit and debt, in one unit. */
export interface PositionHealth {
  limit: bigint;
  debt: bigint;
  liquidatable: boolean;
}

/** The health percentiles a step records (`healthBands`): the 5th, 25th, 50th, 75th and 95th. */
export const HEALTH_PERCENTILES = [5, 25, 50, 75, 95] as const;

/** The `p`th percentile (nearest rank) of ascending `sorted`. */
export function percentile<T extends number | bigint>(sorted: readonly T[], p: number): T {
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1];
}

/**
 * A step's health figures over positions in debt: Σ limits / Σ debts, the lowest limit / debt, how many can go, the
 * distribution's percentiles (HEALTH_PERCENTILES) and how many are below 1.
 */
export function healthSummary(positions: Iterable<PositionHealth>): {
  aggregateHealth: number | null;
  minHealth: number | null;
  liquidatable: number;
  healthBands: number[] | null;
  belowOne: number;
} {
  let limitSum = 0n;
  let debtSum = 0n;
  let lowest: bigint | undefined;
  let liquidatable = 0;
  let belowOne = 0;
  // Kept as WADs and sorted as such: only the percentiles picked are turned into floats (a float conversion of every
  // account's health at every step was most of a replay's recording time). The same values as sorting the floats.
  const healths: bigint[] = [];
  for (const p of positions) {
    limitSum += p.limit;
    debtSum += p.debt;
    // A debt valued at 2^256 − 1 (unknown base price) has no meaningful health.
    if (p.debt > 0n && p.debt !== MAX_UINT256) {
      const health = (p.limit * WAD) / p.debt;
      if (lowest === undefined || health < lowest) lowest = health;
      if (health < WAD) belowOne++;
      healths.push(health);
    }
    if (p.liquidatable) liquidatable++;
  }
  healths.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    aggregateHealth: debtSum === 0n ? null : toFloat((limitSum * WAD) / debtSum),
    minHealth: lowest === undefined ? null : toFloat(lowest),
    liquidatable,
    healthBands: healths.length === 0 ? null : HEALTH_PERCENTILES.map((p) => toFloat(percentile(healths, p))),
    belowOne,
  };
}

/** The last step at or before `time` (the first step when `time` precedes them all; undefined without steps). */
export function stepAt<T extends { timestamp: number }>(series: readonly T[], time: number): T | undefined {
  let lo = 0;
  let hi = series.length - 1;
  if (hi < 0) return undefined;
  if (time < series[0].timestamp) return series[0];
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (series[mid].timestamp <= time) lo = mid;
    else hi = mid - 1;
  }
  return series[lo];
}
