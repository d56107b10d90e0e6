/**
 * Shared fixtures and helpers for the CircuitBreaker / WithdrawalQueue unit tests (no tests here).
 *
 * Fixtures take the network connection that `networkHelpers.loadFixture` passes in. All of them run the market at 0%
 * interest (the borrow index stays 1 RAY) so repayments and values are exact.
 */
import { expect } from "chai";
import { ZeroAddress } from "ethers";
import type { ContractTransactionResponse } from "ethers";
import type { NetworkConnection } from "hardhat/types/network";

import type { CircuitBreaker, CollateralVault } from "../../../typechain-types/index.js";
import { DEFAULT_ASSET_TRIGGERS, DEFAULT_BASE_TRIGGERS } from "../../../scripts/lib/testMarket.js";
import { btc } from "../../../scripts/lib/units.js";
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
export { btc };

/** Bit of `reason` in an entry's `reasons`. */
export const bit = (reason: bigint): bigint => 1n << reason;

/** The vault tests' empty market with the breaker's shipped triggers put back (it runs with a 100% outflow limit). */
async function shippedTriggersMarket(connection: NetworkConnection): Promise<MarketFixture> {
  const f = await emptyMarketFixture(connection);
  await f.breaker.connect(f.owner).setAssetParams(ZeroAddress, DEFAULT_ASSET_TRIGGERS);
  await f.breaker.connect(f.owner).setAssetParams(f.usdc, DEFAULT_BASE_TRIGGERS);
  return f;
}

/**
 * The empty market at 0% interest with 1,000,000 USDC supplied by `lender`, `borrower` holding 10 WETH (WETH only,
 * $24,000 borrow limit), `alice` 1 WBTC (WBTC only, $43,800 borrow limit) and `bob` 100 WETH (no debt); then one
 * outflow window passed, so the next USDC flow opens a window on 1,000,000 of cash (limit 250,000) and the next WETH
 * flow one on 110 WETH (limit 27.5). (A deposit credits only its own account's withdrawals, never a borrow: in the
 * first window, whose base is 0, nothing can be borrowed.) Nothing is borrowed and no breaker has been poked.
 */
export async function breakerFixture(connection: NetworkConnection): Promise<MarketFixture> {
  const f = await shippedTriggersMarket(connection);
  await f.vault.connect(f.owner).setInterestRateModel(await deployZeroRateModel(connection.ethers));
  await f.vault.connect(f.lender).deposit(usd("1000000"), f.lender.address);
  await f.vault.connect(f.borrower).depositCollateral(f.weth, wad("10"), f.borrower.address);
  await f.vault.connect(f.alice).depositCollateral(f.wbtc, btc("1"), f.alice.address);
  await f.vault.connect(f.bob).depositCollateral(f.weth, wad("100"), f.bob.address);
  await connection.networkHelpers.time.increase(Number(OUTFLOW_WINDOW + 1n));
  return f;
}

/**
 * Liquidation-ready market at 0% interest (no reserves): 1,000,000 USDC supplied; one outflow window later `alice`
 * posted 10 WETH and borrowed 24,000 USDC (her whole limit at $3000, health 1.0625) and `attacker` posted 0.05 WETH
 * ($150) and borrowed 120 USDC. `bob` is a funded liquidator; `borrower` holds nothing in the vault.
 */
export async function debtFixture(connection: NetworkConnection): Promise<MarketFixture> {
  const f = await shippedTriggersMarket(connection);
  await f.vault.connect(f.owner).setInterestRateModel(await deployZeroRateModel(connection.ethers));
  await f.vault.connect(f.lender).deposit(usd("1000000"), f.lender.address);
  await connection.networkHelpers.time.increase(Number(OUTFLOW_WINDOW + 1n));
  await f.vault.connect(f.alice).depositCollateral(f.weth, wad("10"), f.alice.address);
  await f.vault.connect(f.alice).borrow(usd("24000"), f.alice.address);
  await f.vault.connect(f.attacker).depositCollateral(f.weth, wad("0.05"), f.attacker.address);
  await f.vault.connect(f.attacker).borrow(usd("120"), f.attacker.address);
  return f;
}

/**
 * A market whose outflow windows are all clean: 1,000,000 USDC supplied by `lender`; a window later `borrower` posted
 * 5 WBTC and borrowed 100,000 USDC (cash 900,000); `alice` and `bob` posted 100 WETH each and `attacker` 200 (400
 * WETH in all); then more than two outflow windows passed, so the next flow of each asset opens a fresh window
 * (nothing carried over, every account's credit stale) whose base is the balance then: USDC limit 225,000, WETH 100.
 */
export async function queueFixture(connection: NetworkConnection): Promise<MarketFixture> {
  const f = await shippedTriggersMarket(connection);
  await f.vault.connect(f.owner).setInterestRateModel(await deployZeroRateModel(connection.ethers));
  await f.vault.connect(f.lender).deposit(usd("1000000"), f.lender.address);
  await connection.networkHelpers.time.increase(Number(OUTFLOW_WINDOW + 1n));
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

/** Gas limit for transactions sent into one block (they cannot be estimated against the pending block). */
export const BLOCK_TX_GAS = 3_000_000n;

/**
 * Sends the transactions `sends` start, in order, into one block (automine off), mines it and returns them. Each
 * must pass `{ gasLimit: BLOCK_TX_GAS }`. A flash loan looks like this to the vault: in and out within one block.
 */
export async function oneBlock(
  { ethers, networkHelpers }: NetworkConnection,
  sends: readonly (() => Promise<ContractTransactionResponse>)[],
): Promise<ContractTransactionResponse[]> {
  await ethers.provider.send("evm_setAutomine", [false]);
  const txs: ContractTransactionResponse[] = [];
  try {
    for (const send of sends) txs.push(await send());
    await networkHelpers.mine();
  } finally {
    await ethers.provider.send("evm_setAutomine", [true]);
  }
  return txs;
}

/** A sent transaction, or the promise of one. */
export type TxLike = ContractTransactionResponse | Promise<ContractTransactionResponse>;

/** Asserts that the withdrawal `tx` was paid at once (not queued). */
export async function expectPaid(vault: CollateralVault, tx: TxLike): Promise<void> {
  await expect(tx).not.to.emit(vault, "WithdrawalQueued");
}

/** Asserts that the withdrawal `tx` was queued. */
export async function expectQueued(vault: CollateralVault, tx: TxLike): Promise<void> {
  await expect(tx).to.emit(vault, "WithdrawalQueued");
}

/** A bounded parameter: its name (as ParameterOutOfBounds encodes it), min and max. */
export type Bound = [name: string, min: bigint, max: bigint];

/** The MIN_/MAX_ bounds of every setParams (`shared`) and setAssetParams (`perAsset`) field, read from `b`. */
export async function paramBounds(b: CircuitBreaker): Promise<{ shared: Bound[]; perAsset: Bound[] }> {
  return {
    shared: [
      ["cooldown", await b.MIN_COOLDOWN(), await b.MAX_COOLDOWN()],
      ["guardianCooldown", await b.MIN_GUARDIAN_COOLDOWN(), await b.MAX_GUARDIAN_COOLDOWN()],
      ["claimDelay", await b.MIN_CLAIM_DELAY(), await b.MAX_CLAIM_DELAY()],
      ["liquidationGrace", 0n, await b.MAX_LIQUIDATION_GRACE()],
      ["resumeShare", await b.MIN_RESUME_SHARE(), await b.MAX_RESUME_SHARE()],
      ["badDebtShare", await b.MIN_BAD_DEBT_SHARE(), await b.MAX_BAD_DEBT_SHARE()],
    ],
    perAsset: [
      ["outflowShare", await b.MIN_OUTFLOW_SHARE(), await b.MAX_OUTFLOW_SHARE()],
      ["outflowWindow", await b.MIN_WINDOW(), await b.MAX_WINDOW()],
      ["maxFall", await b.MIN_FALL(), await b.MAX_FALL()],
      ["fallWindow", await b.MIN_WINDOW(), await b.MAX_WINDOW()],
    ],
  };
}
