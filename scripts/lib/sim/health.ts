/**
 * Account health computed off chain from raw positions, exactly as `CollateralVault.accountLiquidity` computes it
 * (same roundings: collateral value and limits down, debt value up). The simulation reads each price and each
 * effective threshold once per block and every account's debt and holdings in one `VaultLens.positions` call,
 * instead of a thousand `accountLiquidity` calls that each read every price again. The replay checks this mirror
 * against the vault on a rotating sample of accounts every block (`replay` throws on any difference), and
 * test/unit/SimHealth.test.ts checks it over random states.
 */

/** `IPriceOracle.Status`. */
export const OK = 0;
export const DEGRADED = 1;
export const FAILED = 2;

const WAD = 10n ** 18n;
const MAX_UINT256 = (1n << 256n) - 1n;

/** One oracle read. */
export interface PriceRead {
  low: bigint;
  high: bigint;
  status: number;
}

/** What valuing an account needs, read once per block. Collaterals in the order of the balances. */
export interface MarketView {
  base: PriceRead;
  /** 10^decimals of the base asset. */
  baseUnit: bigint;
  collaterals: readonly { price: PriceRead; unit: bigint; borrowLtv: bigint; liquidationThreshold: bigint }[];
}

/** `ICollateralVault.AccountLiquidity`. */
export interface Liquidity {
  collateralValue: bigint;
  borrowLimit: bigint;
  liquidationLimit: bigint;
  debtValue: bigint;
  debt: bigint;
  priceStatus: number;
}

const mulDivUp = (a: bigint, b: bigint, d: bigint): bigint => (a * b + d - 1n) / d;

/** `ICollateralVault.AccountLiquidity` as a call returns it (its status a bigint), as a `Liquidity`. */
export function liquidityFromChain(read: {
  collateralValue: bigint;
  borrowLimit: bigint;
  liquidationLimit: bigint;
  debtValue: bigint;
  debt: bigint;
  priceStatus: bigint;
}): Liquidity {
  return {
    collateralValue: read.collateralValue,
    borrowLimit: read.borrowLimit,
    liquidationLimit: read.liquidationLimit,
    debtValue: read.debtValue,
    debt: read.debt,
    priceStatus: Number(read.priceStatus),
  };
}

/** One holding's share of an account's liquidity: its value and what it adds to each limit, at its price's status. */
export interface CollateralPart {
  value: bigint;
  borrowLimit: bigint;
  liquidationLimit: bigint;
  status: number;
}

/** What `amount` (> 0) of collateral `c` adds to an account's liquidity, as the vault counts it. */
export function collateralPart(c: MarketView["collaterals"][number], amount: bigint): CollateralPart {
  const value = c.price.status === FAILED ? 0n : (amount * c.price.low) / c.unit;
  return {
    value,
    liquidationLimit: (value * c.liquidationThreshold) / WAD,
    borrowLimit: c.price.status === OK ? (value * c.borrowLtv) / WAD : 0n,
    status: c.price.status,
  };
}

/** An account's liquidity from the parts of the collateral it holds and its `debt` (interest included). */
export function liquidityFromParts(view: MarketView, debt: bigint, parts: Iterable<CollateralPart>): Liquidity {
  const liq: Liquidity = {
    collateralValue: 0n,
    borrowLimit: 0n,
    liquidationLimit: 0n,
    debtValue: 0n,
    debt,
    priceStatus: OK,
  };
  for (const part of parts) {
    liq.collateralValue += part.value;
    liq.liquidationLimit += part.liquidationLimit;
    liq.borrowLimit += part.borrowLimit;
    if (part.status > liq.priceStatus) liq.priceStatus = part.status;
  }
  if (debt !== 0n) {
    liq.debtValue = view.base.status === FAILED ? MAX_UINT256 : mulDivUp(debt, view.base.high, view.baseUnit);
    if (view.base.status > liq.priceStatus) liq.priceStatus = view.base.status;
  }
  return liq;
}

/** The vault's `accountLiquidity` of an account with `debt` (interest included) and `balances` (per collateral). */
export function liquidityOf(view: MarketView, debt: bigint, balances: readonly bigint[]): Liquidity {
  const parts: CollateralPart[] = [];
  view.collaterals.forEach((c, i) => {
    const amount = balances[i] ?? 0n;
    // The vault only walks the assets the account holds.
    if (amount !== 0n) parts.push(collateralPart(c, amount));
  });
  return liquidityFromParts(view, debt, parts);
}

/** Whether the vault would call the account liquidatable by its numbers alone (FAILED prices aside). */
export const underwater = (liq: Liquidity): boolean =>
  liq.debt > 0n && (liq.priceStatus === FAILED || liq.debtValue > liq.liquidationLimit);

/**
 * Whether the account could be liquidated at these prices. `isLiquidatable` and the engine (`liquidationView`, then
 * `_checkLiquidatable`) value collateral at each price's high bound and debt at the base's low one (the bounds that
 * favour the borrower, INV-13), with `accountLiquidity`'s roundings; collateral whose price is FAILED counts at its
 * oracle ceiling (`ceilings`, by collateral; the engine's `_boundUnknownCollateral`), here rounded down where the
 * engine rounds up, so this limit is never above the engine's. True when the debt value exceeds that limit less
 * `slackPpb` parts per billion of it, or when the base price is FAILED or a FAILED collateral has no ceiling (the
 * engine then refuses, but a false "may" only costs a read). False: no liquidation, preview or `isLiquidatable` of
 * the account can succeed at these prices.
 */
export function mayBeLiquidatable(
  view: MarketView,
  debt: bigint,
  balances: readonly bigint[],
  ceilings: readonly bigint[],
  slackPpb = 1n,
): boolean {
  if (debt === 0n) return false;
  if (view.base.status === FAILED) return true;
  let limit = 0n;
  for (let k = 0; k < view.collaterals.length; k++) {
    const amount = balances[k] ?? 0n;
    if (amount === 0n) continue;
    const c = view.collaterals[k];
    let unitPrice = c.price.high;
    if (c.price.status === FAILED) {
      unitPrice = ceilings[k] ?? 0n;
      if (unitPrice === 0n) return true;
    }
    limit += (((amount * unitPrice) / c.unit) * c.liquidationThreshold) / WAD;
  }
  const debtValue = mulDivUp(debt, view.base.low, view.baseUnit);
  return debtValue > limit - (limit * slackPpb) / 1_000_000_000n;
}

/** Whether two liquidity reads are identical. */
export function sameLiquidity(a: Liquidity, b: Liquidity): boolean {
  return (
    a.collateralValue === b.collateralValue &&
    a.borrowLimit === b.borrowLimit &&
    a.liquidationLimit === b.liquidationLimit &&
    a.debtValue === b.debtValue &&
    a.debt === b.debt &&
    a.priceStatus === b.priceStatus
  );
}

/**
 * An account's health on the liquidation side, as `VaultLens.healthFactor` computes it (`liquidationView`'s limit
 * over its debt value): collateral at each price's high bound times its threshold, rounded down per holding, a FAILED
 * collateral counted 0 (the lens's conservative choice: the engine may count it at the oracle's ceiling); debt at the
 * base's low bound, rounded up. WAD, rounded down; MAX_UINT256 without debt or with a zero debt value; undefined
 * when the base price is FAILED (no debt value can be read).
 */
export function liquidationHealth(view: MarketView, debt: bigint, balances: readonly bigint[]): bigint | undefined {
  if (debt === 0n) return MAX_UINT256;
  if (view.base.status === FAILED) return undefined;
  let limit = 0n;
  view.collaterals.forEach((c, k) => {
    const amount = balances[k] ?? 0n;
    if (amount === 0n || c.price.status === FAILED) return;
    limit += (((amount * c.price.high) / c.unit) * c.liquidationThreshold) / WAD;
  });
  const debtValue = mulDivUp(debt, view.base.low, view.baseUnit);
  return debtValue === 0n ? MAX_UINT256 : (limit * WAD) / debtValue;
}
