/**
 * Morpho Blue's account math, off chain, exactly as `Morpho.sol` computes it (same roundings, same virtual shares):
 * the Morpho twin of health.ts. Pure bigint functions; `planLiquidation` says what a liquidator passes to
 * `Morpho.liquidate` and what Morpho will then seize, repay and write off.
 *
 * Sources: Morpho.sol `_isHealthy` and `liquidate`; libraries/MathLib.sol; libraries/SharesMathLib.sol
 * (`@morpho-org/morpho-blue@1.0.0`). test/unit/SimMorpho.test.ts checks every function against the real contract.
 */
import { morphoLiquidationIncentive } from "../morpho.js";

/** MathLib's WAD. */
export const WAD = 10n ** 18n;
/** ConstantsLib.ORACLE_PRICE_SCALE: an oracle price is loan units per collateral unit × 1e36. */
export const ORACLE_PRICE_SCALE = 10n ** 36n;
/** SharesMathLib.VIRTUAL_SHARES. */
export const VIRTUAL_SHARES = 10n ** 6n;
/** SharesMathLib.VIRTUAL_ASSETS. */
export const VIRTUAL_ASSETS = 1n;
const MAX_UINT256 = (1n << 256n) - 1n;
/** planLiquidation tries at most this many units less than all the collateral before giving up. */
const MAX_SEIZE_RETRIES = 1000n;

/** One position's state in one market (`Morpho.position`). */
export interface MorphoPositionState {
  borrowShares: bigint;
  collateral: bigint;
}

/** A market's borrow totals (`Morpho.market`), interest accrued to the moment of interest. */
export interface MorphoMarketState {
  totalBorrowAssets: bigint;
  totalBorrowShares: bigint;
}

/** What to pass to `Morpho.liquidate` (exactly one non-zero) and what Morpho will do with it. */
export interface MorphoLiquidationPlan {
  /** Argument: collateral to seize (non-zero when the collateral cannot cover the whole debt at the incentive). */
  seizedAssets: bigint;
  /** Argument: borrow shares to repay (non-zero when the whole debt is repaid). */
  repaidShares: bigint;
  /** What Morpho seizes (its first return value). */
  expectedSeized: bigint;
  /** What the liquidator repays in loan units (its second return value). */
  expectedRepaidAssets: bigint;
  /** Borrow shares the liquidation burns before any bad debt. */
  expectedRepaidShares: bigint;
  /** Loan units Morpho writes off as bad debt (lenders' loss), and the shares it burns with them. */
  badDebtAssets: bigint;
  badDebtShares: bigint;
}

/** floor(x·y/d) (MathLib.mulDivDown). */
export const mulDivDown = (x: bigint, y: bigint, d: bigint): bigint => (x * y) / d;
/** ceil(x·y/d) (MathLib.mulDivUp: (x·y + d − 1) / d). */
export const mulDivUp = (x: bigint, y: bigint, d: bigint): bigint => (x * y + (d - 1n)) / d;
/** MathLib.wMulDown. */
export const wMulDown = (x: bigint, y: bigint): bigint => mulDivDown(x, y, WAD);
/** MathLib.wDivDown. */
export const wDivDown = (x: bigint, y: bigint): bigint => mulDivDown(x, WAD, y);
/** MathLib.wDivUp. */
export const wDivUp = (x: bigint, y: bigint): bigint => mulDivUp(x, WAD, y);

/** SharesMathLib.toAssetsDown. */
export const toAssetsDown = (shares: bigint, totalAssets: bigint, totalShares: bigint): bigint =>
  mulDivDown(shares, totalAssets + VIRTUAL_ASSETS, totalShares + VIRTUAL_SHARES);
/** SharesMathLib.toAssetsUp. */
export const toAssetsUp = (shares: bigint, totalAssets: bigint, totalShares: bigint): bigint =>
  mulDivUp(shares, totalAssets + VIRTUAL_ASSETS, totalShares + VIRTUAL_SHARES);
/** SharesMathLib.toSharesDown. */
export const toSharesDown = (assets: bigint, totalAssets: bigint, totalShares: bigint): bigint =>
  mulDivDown(assets, totalShares + VIRTUAL_SHARES, totalAssets + VIRTUAL_ASSETS);
/** SharesMathLib.toSharesUp. */
export const toSharesUp = (assets: bigint, totalAssets: bigint, totalShares: bigint): bigint =>
  mulDivUp(assets, totalShares + VIRTUAL_SHARES, totalAssets + VIRTUAL_ASSETS);

/** Loan units the position owes, rounded up (as `_isHealthy`). */
export function borrowedAssets(position: MorphoPositionState, market: MorphoMarketState): bigint {
  return toAssetsUp(position.borrowShares, market.totalBorrowAssets, market.totalBorrowShares);
}

/** Loan units the position's collateral allows at `price` (1e36-scaled) and `lltv` (WAD), rounded down. */
export function maxBorrow(position: MorphoPositionState, price: bigint, lltv: bigint): bigint {
  return wMulDown(mulDivDown(position.collateral, price, ORACLE_PRICE_SCALE), lltv);
}

/** Morpho's `_isHealthy`: maxBorrow ≥ borrowed (a position without debt is always healthy). */
export function isHealthy(
  position: MorphoPositionState,
  market: MorphoMarketState,
  price: bigint,
  lltv: bigint,
): boolean {
  return maxBorrow(position, price, lltv) >= borrowedAssets(position, market);
}

/** maxBorrow / borrowed, WAD, rounded down (reports only; Morpho has no such number). No debt: 2^256 − 1. */
export function healthFactor(
  position: MorphoPositionState,
  market: MorphoMarketState,
  price: bigint,
  lltv: bigint,
): bigint {
  const borrowed = borrowedAssets(position, market);
  if (borrowed === 0n) return MAX_UINT256;
  return wDivDown(maxBorrow(position, price, lltv), borrowed);
}

/** What `liquidate(…, seizedAssets, repaidShares)` does, as Morpho computes it; null when Morpho would revert. */
function simulate(
  position: MorphoPositionState,
  market: MorphoMarketState,
  price: bigint,
  lif: bigint,
  seizedAssets: bigint,
  repaidShares: bigint,
): MorphoLiquidationPlan | null {
  const { totalBorrowAssets, totalBorrowShares } = market;
  let seized = seizedAssets;
  let shares = repaidShares;
  if (seized > 0n) {
    const seizedQuoted = mulDivUp(seized, price, ORACLE_PRICE_SCALE);
    shares = toSharesUp(wDivUp(seizedQuoted, lif), totalBorrowAssets, totalBorrowShares);
  } else {
    if (price === 0n) return null; // Morpho divides by the price: a zero price reverts.
    seized = mulDivDown(
      wMulDown(toAssetsDown(shares, totalBorrowAssets, totalBorrowShares), lif),
      ORACLE_PRICE_SCALE,
      price,
    );
  }
  const repaidAssets = toAssetsUp(shares, totalBorrowAssets, totalBorrowShares);
  // Morpho's checked subtractions: more shares than the position has, or more collateral, revert.
  if (shares > position.borrowShares || seized > position.collateral) return null;
  const sharesLeft = position.borrowShares - shares;
  const assetsLeft = totalBorrowAssets > repaidAssets ? totalBorrowAssets - repaidAssets : 0n; // zeroFloorSub
  const totalSharesLeft = totalBorrowShares - shares;
  let badDebtAssets = 0n;
  let badDebtShares = 0n;
  if (position.collateral - seized === 0n) {
    badDebtShares = sharesLeft;
    const owed = toAssetsUp(badDebtShares, assetsLeft, totalSharesLeft);
    badDebtAssets = owed < assetsLeft ? owed : assetsLeft;
  }
  return {
    seizedAssets,
    repaidShares,
    expectedSeized: seized,
    expectedRepaidAssets: repaidAssets,
    expectedRepaidShares: shares,
    badDebtAssets,
    badDebtShares,
  };
}

/**
 * The liquidation a keeper sends for an unhealthy position at `price` (1e36-scaled) in a market of `lltv` (WAD), with
 * `market` the borrow totals accrued to the liquidation's block (Morpho accrues first):
 * - the collateral covers the whole debt at Morpho's incentive (repaying every share seizes no more than the
 *   collateral) → `{ repaidShares: borrowShares, seizedAssets: 0 }`: the debt is closed, any collateral left stays;
 * - otherwise → `{ seizedAssets: collateral, repaidShares: 0 }`: all collateral, and Morpho realises the rest of the
 *   debt as bad debt. Should rounding make that repay more shares than the position has (collateral worth within a
 *   unit of debt × incentive), one unit less is seized, as often as needed, and no bad debt is realised.
 * Null when Morpho would refuse: a healthy position, no debt, or no collateral to seize.
 */
export function planLiquidation(
  position: MorphoPositionState,
  market: MorphoMarketState,
  price: bigint,
  lltv: bigint,
): MorphoLiquidationPlan | null {
  if (position.borrowShares === 0n || position.collateral === 0n) return null;
  if (isHealthy(position, market, price, lltv)) return null;
  const lif = morphoLiquidationIncentive(lltv);
  const full = simulate(position, market, price, lif, 0n, position.borrowShares);
  if (full !== null) return full;
  // Rounding can only push the all-collateral seizure a few units past the debt: bound the retries.
  const floor = position.collateral > MAX_SEIZE_RETRIES ? position.collateral - MAX_SEIZE_RETRIES : 0n;
  for (let seize = position.collateral; seize > floor; seize--) {
    const plan = simulate(position, market, price, lif, seize, 0n);
    if (plan !== null) return plan;
  }
  return null;
}
