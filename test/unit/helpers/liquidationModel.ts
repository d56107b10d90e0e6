/**
 * Shared fixtures and an off-chain model of the liquidation engine for the LiquidationEngine unit tests (no tests
 * here).
 *
 * The model re-derives every number the engine computes from the raw on-chain inputs (balances, debts, oracle
 * prices, collateral configs, params), with the engine's rounding written out in bigint arithmetic, so the tests
 * compare the contracts against an independent computation rather than against themselves.
 */
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { expect } from "chai";
import { MaxUint256, ZeroAddress } from "ethers";
import type { AddressLike } from "ethers";
import type { NetworkConnection } from "hardhat/types/network";

import { DEFAULT_ENGINE_PARAMS } from "../../../scripts/lib/testMarket.js";
import type { LiquidationEngine, MockERC20 } from "../../../typechain-types/index.js";
import { config, deployZeroRateModel, fundedMarketFixture, readState, usd, wad, WAD } from "./vault.js";
import type { BalanceToken, MarketFixture, VaultState } from "./vault.js";
import type { EngineParameters } from "../../../scripts/lib/deployment.js";

// ----------------------------------------------------------------------------------------------- params and math

/** The engine's policy as plain bigints (the deployment's own type of ILiquidationEngine.Params). */
export type EngineParams = EngineParameters;

/** DEFAULT_ENGINE_PARAMS as bigints. */
export const DEFAULTS: EngineParams = {
  targetHealth: BigInt(DEFAULT_ENGINE_PARAMS.targetHealth),
  fullCloseHealth: BigInt(DEFAULT_ENGINE_PARAMS.fullCloseHealth),
  minBonusShare: BigInt(DEFAULT_ENGINE_PARAMS.minBonusShare),
  healthRamp: BigInt(DEFAULT_ENGINE_PARAMS.healthRamp),
  protocolFeeShare: BigInt(DEFAULT_ENGINE_PARAMS.protocolFeeShare),
  emergencyHealth: BigInt(DEFAULT_ENGINE_PARAMS.emergencyHealth),
  timeRamp: BigInt(DEFAULT_ENGINE_PARAMS.timeRamp),
  dustValue: BigInt(DEFAULT_ENGINE_PARAMS.dustValue),
};

const down = (x: bigint, y: bigint, d: bigint): bigint => (x * y) / d;
const up = (x: bigint, y: bigint, d: bigint): bigint => (x * y + d - 1n) / d;
const pow10 = (decimals: bigint): bigint => 10n ** decimals;

/** bonus = maxBonus × min(1, minShare + (1 − minShare) × ((1 − health)/healthRamp + elapsed/timeRamp)), down. */
export function incentive(maxBonus: bigint, health: bigint, elapsed: bigint, p: EngineParams): bigint {
  let urgency = health < WAD ? down(WAD - health, WAD, p.healthRamp) : 0n;
  if (urgency < WAD) urgency += down(elapsed, WAD, p.timeRamp);
  if (urgency > WAD) urgency = WAD;
  const share = p.minBonusShare + down(WAD - p.minBonusShare, urgency, WAD);
  return down(maxBonus, share, WAD);
}

/** The bonus cut to collateralValue / debtValue − 1 (down) for a solvent account; an insolvent one keeps it. */
export function capForSolvency(bonus: bigint, collateralValue: bigint, debtValue: bigint): bigint {
  if (collateralValue < debtValue || debtValue === 0n) return bonus;
  const room = down(collateralValue, WAD, debtValue) - WAD;
  return bonus < room ? bonus : room;
}

/** (target·DV − LL) / (target − (1 + bonus)·LT), up; MaxUint256 when no partial liquidation can raise health. */
export function repayValueToTarget(
  debtValue: bigint,
  limit: bigint,
  target: bigint,
  bonus: bigint,
  threshold: bigint,
): bigint {
  const want = up(debtValue, target, WAD);
  if (want <= limit) return 0n;
  const drag = up(WAD + bonus, threshold, WAD);
  if (target <= drag) return MaxUint256;
  return up(want - limit, WAD, target - drag);
}

export const valueDown = (amount: bigint, price: bigint, decimals: bigint): bigint =>
  down(amount, price, pow10(decimals));
export const valueUp = (amount: bigint, price: bigint, decimals: bigint): bigint => up(amount, price, pow10(decimals));

export function seizeFor(
  repay: bigint,
  basePrice: bigint,
  baseDecimals: bigint,
  price: bigint,
  decimals: bigint,
  bonus: bigint,
): bigint {
  const value = down(valueDown(repay, basePrice, baseDecimals), WAD + bonus, WAD);
  return down(value, pow10(decimals), price);
}

export function repayFor(
  seize: bigint,
  basePrice: bigint,
  baseDecimals: bigint,
  price: bigint,
  decimals: bigint,
  bonus: bigint,
): bigint {
  const value = up(valueUp(seize, price, decimals), WAD, WAD + bonus);
  return up(value, pow10(baseDecimals), basePrice);
}

/** feeShare of the bonus on `repay`, base units, rounded up (the bonus × share product rounded up first). */
export const protocolFee = (repay: bigint, bonus: bigint, feeShare: bigint): bigint =>
  up(repay, up(bonus, feeShare, WAD), WAD);

// ----------------------------------------------------------------------------------------------- positions

/** One collateral holding with everything the model needs about it. */
export interface Holding {
  asset: string;
  amount: bigint;
  decimals: bigint;
  low: bigint;
  high: bigint;
  status: bigint;
  threshold: bigint;
  maxBonus: bigint;
}

/**
 * An account as the engine sees it, on the vault's liquidation side: collateral at its price's `high` rounded down,
 * debt at the base's `low` rounded up (the bounds that favour the borrower; one and the same for an OK price).
 */
export interface Position {
  holdings: Holding[];
  debt: bigint;
  baseLow: bigint;
  baseHigh: bigint;
  baseDecimals: bigint;
  collateralValue: bigint;
  liquidationLimit: bigint;
  debtValue: bigint;
  health: bigint;
}

/** Reads raw balances, prices and configs, and values the account independently of the vault's own views. */
export async function readPosition(f: MarketFixture, account: AddressLike): Promise<Position> {
  const baseAddress = await f.usdc.getAddress();
  const base = await f.oracle.getPrice(baseAddress);
  const holdings: Holding[] = [];
  let collateralValue = 0n;
  let liquidationLimit = 0n;
  for (const asset of await f.vault.collateralAssets()) {
    const amount = await f.vault.collateralOf(account, asset);
    if (amount === 0n) continue;
    const [cfg, decimals] = await f.lens.collateralInfo(f.vault, asset);
    const price = await f.oracle.getPrice(asset);
    const h: Holding = {
      asset,
      amount,
      decimals: BigInt(decimals),
      low: price.low,
      high: price.high,
      status: BigInt(price.status),
      threshold: cfg.liquidationThreshold,
      maxBonus: cfg.liquidationBonus,
    };
    holdings.push(h);
    const value = h.status === 2n ? 0n : valueDown(amount, h.high, h.decimals);
    collateralValue += value;
    liquidationLimit += down(value, h.threshold, WAD);
  }
  const debt = await f.vault.debtOf(account);
  const baseDecimals = 6n;
  const debtValue = valueUp(debt, base.low, baseDecimals);
  const health = debtValue === 0n ? MaxUint256 : down(liquidationLimit, WAD, debtValue);
  return {
    holdings,
    debt,
    baseLow: base.low,
    baseHigh: base.high,
    baseDecimals,
    collateralValue,
    liquidationLimit,
    debtValue,
    health,
  };
}

/** A quote as the model computes it, with the reason it would revert (if any). */
export interface ModelQuote {
  repay: bigint;
  seize: bigint;
  fee: bigint;
  bonus: bigint;
  health: bigint;
  writeOff: boolean;
  stillUnhealthy: boolean;
  /** Most the close rules allow before the collateral and maxRepay caps. */
  allowed: bigint;
  /** Whether every partial liquidation of this collateral would lower health (only a close is allowed). */
  mustClose: boolean;
  /** Value of the seized collateral at `high` (the liquidation side), rounded down. */
  seizedValue: bigint;
  error?: "PartialLowersHealth" | "LiquidationTooSmall" | "LeavesDust";
}

/** What liquidating `collateral` of `pos` with `maxRepay` must do, `elapsed` seconds after the account's flag. */
export function modelQuote(
  pos: Position,
  collateral: string,
  maxRepay: bigint,
  elapsed: bigint = 0n,
  p: EngineParams = DEFAULTS,
): ModelQuote {
  const h = pos.holdings.find((x) => x.asset.toLowerCase() === collateral.toLowerCase());
  if (h === undefined) throw new Error("the account holds none of this collateral");
  const health = pos.health;
  const bonus = capForSolvency(incentive(h.maxBonus, health, elapsed, p), pos.collateralValue, pos.debtValue);
  // Below (1 + bonus) × LT of this collateral every partial liquidation lowers health: only a close is allowed.
  const value = repayValueToTarget(pos.debtValue, pos.liquidationLimit, p.targetHealth, bonus, h.threshold);
  const mustClose = value >= pos.debtValue;
  let allowed: bigint;
  if (mustClose || health < p.fullCloseHealth) allowed = pos.debt;
  else {
    const units = up(value, pow10(pos.baseDecimals), pos.baseLow);
    if (units >= pos.debt) allowed = pos.debt;
    else if (valueDown(pos.debt - units, pos.baseLow, pos.baseDecimals) < p.dustValue) allowed = pos.debt;
    else allowed = units;
  }
  let repay = maxRepay < allowed ? maxRepay : allowed;
  let seize = seizeFor(repay, pos.baseLow, pos.baseDecimals, h.high, h.decimals, bonus);
  if (seize >= h.amount) {
    seize = h.amount;
    const all = repayFor(h.amount, pos.baseLow, pos.baseDecimals, h.high, h.decimals, bonus);
    if (all < repay) repay = all;
  }
  const seizedValue = valueDown(seize, h.high, h.decimals);
  const base = { repay, seize, bonus, health, allowed, mustClose, seizedValue };
  if (mustClose && repay < pos.debt && seize < h.amount) {
    return { ...base, fee: 0n, writeOff: false, stillUnhealthy: true, error: "PartialLowersHealth" };
  }
  if (repay === 0n || seize === 0n) {
    return { ...base, fee: 0n, writeOff: false, stillUnhealthy: true, error: "LiquidationTooSmall" };
  }
  const remaining = pos.debt - repay;
  if (
    remaining !== 0n &&
    repay === maxRepay &&
    maxRepay < allowed &&
    valueDown(remaining, pos.baseLow, pos.baseDecimals) < p.dustValue
  ) {
    return { ...base, fee: 0n, writeOff: false, stillUnhealthy: true, error: "LeavesDust" };
  }
  const fee = protocolFee(repay, bonus, p.protocolFeeShare);
  const left = pos.collateralValue > seizedValue ? pos.collateralValue - seizedValue : 0n;
  const writeOff = remaining !== 0n && left < p.dustValue;
  const limitLost = up(seizedValue, h.threshold, WAD);
  const limitAfter = pos.liquidationLimit > limitLost ? pos.liquidationLimit - limitLost : 0n;
  const repaidValue = valueDown(repay, pos.baseLow, pos.baseDecimals);
  const debtValueAfter = pos.debtValue > repaidValue ? pos.debtValue - repaidValue : 0n;
  const stillUnhealthy = remaining !== 0n && !writeOff && debtValueAfter > limitAfter;
  return { ...base, fee, writeOff, stillUnhealthy };
}

/** Asserts that an on-chain Quote (preview or return value) equals the model's. */
export function expectQuote(
  actual: { repay: bigint; seize: bigint; fee: bigint; bonus: bigint; health: bigint; writeOff: boolean },
  model: ModelQuote,
): void {
  expect(model.error, "the model says this liquidation reverts").to.equal(undefined);
  expect({
    repay: actual.repay,
    seize: actual.seize,
    fee: actual.fee,
    bonus: actual.bonus,
    health: actual.health,
    writeOff: actual.writeOff,
  }).to.deep.equal({
    repay: model.repay,
    seize: model.seize,
    fee: model.fee,
    bonus: model.bonus,
    health: model.health,
    writeOff: model.writeOff,
  });
}

/** The engine's params as plain bigints. */
export async function readParams(engine: LiquidationEngine): Promise<EngineParams> {
  const p = await engine.params();
  return {
    targetHealth: p.targetHealth,
    fullCloseHealth: p.fullCloseHealth,
    minBonusShare: p.minBonusShare,
    healthRamp: p.healthRamp,
    protocolFeeShare: p.protocolFeeShare,
    emergencyHealth: p.emergencyHealth,
    timeRamp: p.timeRamp,
    dustValue: p.dustValue,
  };
}

// ----------------------------------------------------------------------------------------------- fixtures

export interface LiquidationFixture extends MarketFixture {
  /** The account under test: 10 WETH posted, 24,000 USDC borrowed (its whole borrow limit at $3000). */
  victim: HardhatEthersSigner;
  /** A funded liquidator. */
  keeper: HardhatEthersSigner;
}

/**
 * The funded market at 0% interest from the start (the borrow index stays exactly 1 RAY, so debts, totals and the
 * share price move only by what a test does), with 1,200 USDC of reserves earned by one earlier liquidation: `bob`
 * posted 100 WETH and borrowed 240,000 USDC, WETH fell to $2532 (health 0.89675), `borrower` closed his debt in full
 * at the maximum 5% bonus and paid 10% of it, 1,200 USDC, to reserves; WETH is back at $3000 and bob owes nothing.
 * Then `alice` posts 10 WETH and borrows 24,000 USDC, her whole borrow limit (health 1.0625).
 */
export async function liquidationFixture(connection: NetworkConnection): Promise<LiquidationFixture> {
  const f = await fundedMarketFixture(connection);
  await f.vault.connect(f.owner).setInterestRateModel(await deployZeroRateModel(connection.ethers));
  await f.vault.connect(f.bob).depositCollateral(f.weth, wad("100"), f.bob.address);
  await f.vault.connect(f.bob).borrow(usd("240000"), f.bob.address);
  await f.oracle.setPrice(f.weth, wad("2532"));
  await f.engine.connect(f.borrower).liquidate(f.bob.address, f.weth, MaxUint256, f.borrower.address);
  await f.oracle.setPrice(f.weth, wad("3000"));
  await f.vault.connect(f.alice).depositCollateral(f.weth, wad("10"), f.alice.address);
  await f.vault.connect(f.alice).borrow(usd("24000"), f.alice.address);
  return { ...f, victim: f.alice, keeper: f.bob };
}

export interface SmallAccountFixture extends LiquidationFixture {
  /** `attacker` as a small borrower: 0.05 WETH posted ($150), 120 USDC borrowed (its whole borrow limit). */
  small: HardhatEthersSigner;
}

/** The liquidation fixture plus a small account whose whole position is close to the $100 dust threshold. */
export async function smallAccountFixture(connection: NetworkConnection): Promise<SmallAccountFixture> {
  const f = await liquidationFixture(connection);
  await f.vault.connect(f.attacker).depositCollateral(f.weth, wad("0.05"), f.attacker.address);
  await f.vault.connect(f.attacker).borrow(usd("120"), f.attacker.address);
  return { ...f, small: f.attacker };
}

export interface LstFixture extends LiquidationFixture {
  /** A third collateral, $1000, LTV 85%, threshold 90%, bonus 10%: (1 + bonus) × LT = 0.99. */
  lst: MockERC20;
  /** `attacker` holding 10 WETH and 10 LST ($40,000, borrow limit $32,500), 32,500 USDC borrowed. */
  carol: HardhatEthersSigner;
}

/** The liquidation fixture plus a high-threshold, high-bonus collateral (LST) and a two-collateral account. */
export async function lstFixture(connection: NetworkConnection): Promise<LstFixture> {
  const f = await liquidationFixture(connection);
  const lst = await connection.ethers.deployContract("MockERC20", ["Liquid Staked Token", "LST", 18]);
  await f.oracle.setPrice(lst, wad("1000"));
  await f.vault.connect(f.owner).listCollateral(lst, config(wad("1000000"), wad("0.85"), wad("0.90"), wad("0.10")));
  const carol = f.attacker;
  await lst.mint(carol.address, wad("1000"));
  await lst.connect(carol).approve(f.vault, MaxUint256);
  await f.vault.connect(carol).depositCollateral(f.weth, wad("10"), carol.address);
  await f.vault.connect(carol).depositCollateral(lst, wad("10"), carol.address);
  await f.vault.connect(carol).borrow(usd("32500"), carol.address);
  return { ...f, lst, carol };
}

/**
 * Seconds of open time ramp `account` has at `time` when `collateral` is liquidated: counted from its flag, or from
 * when liquidations last became possible if later (the sequencer's `readySince`, each breaker entry's
 * `liquidationsFrom`); 0 when unflagged, or during a sequencer outage unless it was flagged below emergencyHealth,
 * whose ramp no outage stops (issue 19, property 7).
 */
export async function rampElapsed(
  f: MarketFixture,
  account: AddressLike,
  collateral: AddressLike,
  time: bigint,
): Promise<bigint> {
  const flagged = await f.engine.flaggedAt(account);
  if (flagged === 0n) return 0n;
  const [reason, sequencerReadySince] = await f.oracle.sequencerState();
  // An account flagged below emergencyHealth was never stopped by the sequencer: its ramp runs from its flag, through
  // an outage and after it. Any other has none during an outage, and ramps from its end.
  const emergency = (await f.engine.flaggedHealth(account)) < (await f.engine.params()).emergencyHealth;
  if (reason !== 0n && !emergency) return 0n;
  const readySince = emergency ? 0n : sequencerReadySince;
  let from = flagged > readySince ? flagged : readySince;
  for (const asset of [collateral, f.usdc, ZeroAddress]) {
    const since = (await f.breaker.entry(asset)).liquidationsFrom;
    if (since > from) from = since;
  }
  return time > from ? time - from : 0n;
}

// ----------------------------------------------------------------------------------------------- state snapshots

export interface LiquidationState {
  market: VaultState;
  flaggedAt: bigint[];
  provisions: bigint[];
  totalProvision: bigint;
  badDebt: bigint;
  protocolCollateral: bigint[];
  engineParams: EngineParams;
}

/**
 * Everything a liquidation could change: the vault's books and every actor's balances (readState), plus flags,
 * provisions, bad debt, the protocol's swept collateral and the engine's params.
 */
export function liquidationState(
  f: MarketFixture,
  extraTokens: readonly BalanceToken[] = [],
  extraAccounts: readonly AddressLike[] = [],
): () => Promise<LiquidationState> {
  const tokens = [f.weth, f.wbtc, ...extraTokens];
  const accounts = [f.owner, f.lender, f.borrower, f.alice, f.bob, f.attacker, ...extraAccounts];
  return async () => {
    const flaggedAt: bigint[] = [];
    const provisions: bigint[] = [];
    for (const account of accounts) {
      flaggedAt.push(await f.engine.flaggedAt(account));
      provisions.push(await f.lens.provisionOf(f.vault, account));
    }
    const protocolCollateral: bigint[] = [];
    for (const token of tokens) protocolCollateral.push(await f.lens.protocolCollateral(f.vault, token));
    return {
      market: await readState(f.vault, f.lens, f.usdc, tokens, accounts),
      flaggedAt,
      provisions,
      totalProvision: await f.lens.totalProvision(f.vault),
      badDebt: await f.vault.badDebt(),
      protocolCollateral,
      engineParams: await readParams(f.engine),
    };
  };
}
