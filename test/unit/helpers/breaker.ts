/**
 * Shared fixtures and helpers for the CircuitBreaker / WithdrawalQueue unit tests (no tests here).
 *
 * Fixtures take the network connection that `networkHelpers.loadFixture` passes in. All of them run the market at 0%
 * interest (the borrow index stays 1 RAY) so repayments and values are exact.
 */
import { expect } from "chai";
import { parseUnits } from "ethers";
import type { ContractTransactionResponse } from "ethers";
import type { NetworkConnection } from "hardhat/types/network";

import type { CircuitBreaker } from "../../../typechain-types/index.js";
import { deployZeroRateModel, emptyMarketFixture, usd, wad } from "./vault.js";
import type { MarketFixture } from "./vault.js";

export { usd, wad };

/** ICircuitBreaker.Level, as ethers returns it. */
export const Level = { NONE: 0n, TIGHTEN: 1n, NO_BORROW: 2n, QUEUE: 3n, NO_LIQUIDATION: 4n } as const;

/** ICircuitBreaker.Reason, as ethers returns it. */
export const Why = {
  NONE: 0n,
  ORACLE_DEGRADED: 1n,
  ORACLE_FAILED: 2n,
  PRICE_FALL_SOFT: 3n,
  PRICE_FALL: 4n,
  OUTFLOW: 5n,
  BAD_DEBT: 6n,
  GUARDIAN: 7n,
} as const;

/** Action bits. */
export const Act = {
  SUPPLY: 1n,
  WITHDRAW: 2n,
  BORROW: 4n,
  DEPOSIT_COLLATERAL: 8n,
  WITHDRAW_COLLATERAL: 16n,
  LIQUIDATE: 32n,
} as const;
/** What the guardian may stop: SUPPLY | WITHDRAW | BORROW | WITHDRAW_COLLATERAL. */
export const GUARDIAN_ACTIONS = 23n;
/** What QUEUE stops (the same four actions). */
export const QUEUE_MASK = 23n;
/** What NO_LIQUIDATION stops: everything but DEPOSIT_COLLATERAL. */
export const FAILED_MASK = 55n;

export const HOUR = 3600n;
export const DAY = 24n * HOUR;
/** DEFAULT_BREAKER_PARAMS.cooldown / claimDelay / liquidationGrace; DEFAULT_ASSET_TRIGGERS windows. */
export const COOLDOWN = HOUR;
export const CLAIM_DELAY = DAY;
export const GRACE = 600n;
export const OUTFLOW_WINDOW = 6n * HOUR;
export const FALL_WINDOW = HOUR;

/** WBTC amount (8 decimals). */
export const btc = (value: string): bigint => parseUnits(value, 8);

/** Bit of `reason` in an entry's `reasons`. */
export const bit = (reason: bigint): bigint => 1n << reason;

/**
 * The empty market at 0% interest with 1,000,000 USDC supplied by `lender`, `borrower` holding 10 WETH (WETH only,
 * $24,000 borrow limit), `alice` 1 WBTC (WBTC only, $43,800 borrow limit) and `bob` 100 WETH (no debt). Nothing is
 * borrowed and no breaker has been poked.
 */
export async function breakerFixture(connection: NetworkConnection): Promise<MarketFixture> {
  const f = await emptyMarketFixture(connection);
  await f.vault.connect(f.owner).setInterestRateModel(await deployZeroRateModel(connection.ethers));
  await f.vault.connect(f.lender).deposit(usd("1000000"), f.lender.address);
  await f.vault.connect(f.borrower).depositCollateral(f.weth, wad("10"), f.borrower.address);
  await f.vault.connect(f.alice).depositCollateral(f.wbtc, btc("1"), f.alice.address);
  await f.vault.connect(f.bob).depositCollateral(f.weth, wad("100"), f.bob.address);
  return f;
}

/**
 * A market whose outflow windows are all clean: 1,000,000 USDC supplied by `lender`; `borrower` posted 5 WBTC and
 * borrowed 100,000 USDC (cash 900,000); `alice` and `bob` posted 100 WETH each and `attacker` 200 (400 WETH in all);
 * then more than two outflow windows passed, so the next flow of each asset opens a fresh window whose base is the
 * balance then: USDC limit 225,000, WETH limit 100.
 */
export async function queueFixture(connection: NetworkConnection): Promise<MarketFixture> {
  const f = await emptyMarketFixture(connection);
  await f.vault.connect(f.owner).setInterestRateModel(await deployZeroRateModel(connection.ethers));
  await f.vault.connect(f.lender).deposit(usd("1000000"), f.lender.address);
  await f.vault.connect(f.borrower).depositCollateral(f.wbtc, btc("5"), f.borrower.address);
  await f.vault.connect(f.borrower).borrow(usd("100000"), f.borrower.address);
  await f.vault.connect(f.alice).depositCollateral(f.weth, wad("100"), f.alice.address);
  await f.vault.connect(f.bob).depositCollateral(f.weth, wad("100"), f.bob.address);
  await f.vault.connect(f.attacker).depositCollateral(f.weth, wad("200"), f.attacker.address);
  await connection.networkHelpers.time.increase(Number(2n * OUTFLOW_WINDOW + 1n));
  return f;
}

/** The queue fixture with `owner` named guardian. */
export async function guardedQueueFixture(connection: NetworkConnection): Promise<MarketFixture> {
  const f = await queueFixture(connection);
  await f.breaker.connect(f.owner).setGuardian(f.owner.address);
  return f;
}

/** Pins the next block's timestamp to one second after the last (or to `at`) and returns it. */
export async function nextTimestamp({ networkHelpers }: NetworkConnection, at?: bigint): Promise<bigint> {
  const t = at ?? BigInt(await networkHelpers.time.latest()) + 1n;
  await networkHelpers.time.setNextBlockTimestamp(t);
  return t;
}

/** Timestamp of the block that mined `tx`. */
export async function minedAt(tx: ContractTransactionResponse): Promise<bigint> {
  const receipt = await tx.wait();
  if (receipt === null) throw new Error("not mined");
  const block = await receipt.getBlock();
  return BigInt(block.timestamp);
}

/** Asserts `asset`'s entry: action mask, level and reasons (as a list of Reason values). */
export async function expectEntry(
  breaker: CircuitBreaker,
  asset: string,
  mask: bigint,
  level: bigint,
  reasons: readonly bigint[],
): Promise<void> {
  const e = await breaker.entry(asset);
  const bits = reasons.reduce((acc, r) => acc | bit(r), 0n);
  expect([e.actionMask, e.level, e.reasons], `entry of ${asset}`).to.deep.equal([mask, level, bits]);
}

/** One BreakerUpdated event: [asset, reason, tripped, actionMask, level, cooldownUntil]. */
export type Update = [string, bigint, boolean, bigint, bigint, bigint];

/** Every BreakerUpdated event `tx` emitted, in order (so a test can also assert that nothing else was emitted). */
export async function updates(breaker: CircuitBreaker, tx: ContractTransactionResponse): Promise<Update[]> {
  const receipt = await tx.wait();
  if (receipt === null) throw new Error("not mined");
  const address = (await breaker.getAddress()).toLowerCase();
  const topic = breaker.interface.getEvent("BreakerUpdated").topicHash;
  const out: Update[] = [];
  for (const log of receipt.logs) {
    if (log.address.toLowerCase() !== address || log.topics[0] !== topic) continue;
    const a = breaker.interface.parseLog(log)?.args;
    if (a === undefined) throw new Error("unparsable BreakerUpdated");
    out.push([a[0] as string, a[1] as bigint, a[2] as boolean, a[3] as bigint, a[4] as bigint, a[5] as bigint]);
  }
  return out;
}
