/**
 * Shared fixtures and helpers for the OracleAdapter unit tests (no tests here).
 *
 * Prices in the adapter are WAD USD per whole token; `wad("3000")` is $3000. Feed answers are in the feed's own
 * decimals: `answer("3000", 8)` is 3000e8. Reads run as eth_calls, which see the latest block's timestamp, so a test
 * pins "now" by mining a block at a chosen time (`time.increaseTo`) or by timing the transaction that pushes a round
 * (`time.setNextBlockTimestamp`).
 */
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { expect } from "chai";
import { getAddress, parseUnits, ZeroAddress } from "ethers";
import type { AddressLike } from "ethers";
import type { NetworkConnection } from "hardhat/types/network";

import type {
  IOracleAdapter,
  IPriceOracle,
  OracleAdapter,
  OracleGasProbe,
  TestAggregator,
} from "../../../typechain-types/index.js";
import { wad } from "../../../scripts/lib/units.js";

// ----------------------------------------------------------------------------------------------- enums

/** IPriceOracle.Status, as ethers returns it (uint8 → bigint). */
export const Status = { OK: 0n, DEGRADED: 1n, FAILED: 2n } as const;
export type StatusName = keyof typeof Status;

/** IPriceOracle.Reason, as ethers returns it. */
export const Reason = {
  NONE: 0n,
  NOT_CONFIGURED: 1n,
  FEED_REVERTED: 2n,
  INVALID_ANSWER: 3n,
  STALE: 4n,
  OUT_OF_BOUNDS: 5n,
  SOURCES_DISAGREE: 6n,
  UNCONFIRMED_JUMP: 7n,
  SECONDARY_FAILED: 8n,
  SEQUENCER_DOWN: 9n,
  SEQUENCER_GRACE: 10n,
  SEQUENCER_FEED_BROKEN: 11n,
} as const;
export type ReasonName = keyof typeof Reason;

/** TestAggregator.Mode. */
export const Mode = { Normal: 0, Revert: 1, Malformed: 2, BurnGas: 3 } as const;

/** OracleGasProbe.Outcome. */
export const Outcome = { Returned: 0n, InsufficientGas: 1n, OtherRevert: 2n } as const;

// ----------------------------------------------------------------------------------------------- amounts and times

/** WAD helper: `wad("0.02")` is 0.02e18. */
export { wad };
/** A feed answer in the feed's decimals: `answer("3000", 8)` is 3000e8. */
export const answer = (value: string, decimals: number): bigint => parseUnits(value, decimals);

export const HOUR = 3600n;
export const DAY = 24n * HOUR;
/** Primary heartbeat used by the fixtures. */
export const HEARTBEAT = HOUR;
/** Secondary heartbeat used by the fixtures (different from the primary's, to catch a mix-up). */
export const SECONDARY_HEARTBEAT = DAY;
/** Lateness tolerated beyond a heartbeat. */
export const STALENESS_GRACE = 600n;
/** Sequencer grace period of the L2 adapter. */
export const SEQUENCER_GRACE = HOUR;

/** Default asset bounds: $1 to $1,000,000 (exclusive). */
export const MIN_PRICE = wad("1");
export const MAX_PRICE = wad("1000000");
/** Default deviation threshold between the sources: 2%. */
export const MAX_DEVIATION = wad("0.02");

// Assets are plain addresses to the adapter: it never calls them. Checksummed, as ethers returns event args.
export const WETH = getAddress("0x0000000000000000000000000000000000e7e7e7");
export const WBTC = getAddress("0x0000000000000000000000000000000000b7cb7c");
export const UNKNOWN = getAddress("0x000000000000000000000000000000000000dead");

// ----------------------------------------------------------------------------------------------- configs

export type ConfigInput = IOracleAdapter.AssetConfigInputStruct;

/** An asset config with the primary only and the defaults above; `overrides` replaces any field. */
export function assetConfig(primary: AddressLike, overrides: Partial<ConfigInput> = {}): ConfigInput {
  return {
    primary,
    primaryHeartbeat: HEARTBEAT,
    secondary: ZeroAddress,
    secondaryHeartbeat: SECONDARY_HEARTBEAT,
    minPrice: MIN_PRICE,
    maxPrice: MAX_PRICE,
    maxDeviation: MAX_DEVIATION,
    maxJump: 0n,
    jumpWindow: 0n,
    ...overrides,
  };
}

// ----------------------------------------------------------------------------------------------- price assertions

/** A read with its enums by name, so a failing assertion prints `STALE`, not `4n`. */
export interface Read {
  status: StatusName;
  reason: ReasonName;
  low: bigint;
  high: bigint;
}

function nameOf<T extends Record<string, bigint>>(values: T, value: bigint): keyof T & string {
  const found = Object.entries(values).find(([, v]) => v === value);
  if (found === undefined) throw new Error(`unknown enum value ${value}`);
  return found[0];
}

/** A price struct from the chain as a `Read`. */
export function toRead(p: IPriceOracle.PriceStructOutput): Read {
  return { status: nameOf(Status, p.status), reason: nameOf(Reason, p.reason), low: p.low, high: p.high };
}

/** OK at `price`: low == high == price, reason NONE. */
export const ok = (price: bigint): Read => ({ status: "OK", reason: "NONE", low: price, high: price });
/** FAILED for `reason`: no price (low == high == 0). */
export const failed = (reason: ReasonName): Read => ({ status: "FAILED", reason, low: 0n, high: 0n });
/** DEGRADED for `reason` with bounds low, high. */
export const degraded = (reason: ReasonName, low: bigint, high: bigint = low): Read => ({
  status: "DEGRADED",
  reason,
  low,
  high,
});

/** Asserts the exact read of `asset`: status, reason, low and high. */
export async function expectPrice(adapter: OracleAdapter, asset: AddressLike, expected: Read): Promise<void> {
  expect(toRead(await adapter.getPrice(asset))).to.deep.equal(expected);
}

// ----------------------------------------------------------------------------------------------- fixtures

export interface AdapterFixture {
  adapter: OracleAdapter;
  owner: HardhatEthersSigner;
  stranger: HardhatEthersSigner;
  /** WETH primary: 8 decimals, answering $3000. */
  feed: TestAggregator;
  /** A second feed, 18 decimals, answering $3000 (not configured as WETH's secondary by this fixture). */
  backup: TestAggregator;
}

/** An L1 adapter (no sequencer feed) with WETH configured on `feed` alone. */
export async function adapterFixture({ ethers }: NetworkConnection): Promise<AdapterFixture> {
  const [owner, stranger] = await ethers.getSigners();
  const adapter = await ethers.deployContract("OracleAdapter", [owner.address, ZeroAddress, 0n, STALENESS_GRACE]);
  const feed = await ethers.deployContract("TestAggregator", [8, "ETH / USD"]);
  const backup = await ethers.deployContract("TestAggregator", [18, "ETH / USD (backup)"]);
  await feed.push(answer("3000", 8));
  await backup.push(answer("3000", 18));
  await adapter.connect(owner).setAssetConfig(WETH, assetConfig(feed));
  return { adapter, owner, stranger, feed, backup };
}

export interface SequencerFixture extends AdapterFixture {
  /** The L2 sequencer uptime feed (0 decimals): up since a day before the fixture. */
  uptime: TestAggregator;
  /** WBTC primary: 8 decimals, answering $60000. */
  btcFeed: TestAggregator;
  /** When the fixture's sequencer status began (its startedAt). */
  upSince: bigint;
}

/** An L2 adapter (sequencer grace 1 h, staleness grace as everywhere) reading `uptime`, with WETH on `wethFeed`. */
export async function deployL2Adapter(
  ethers: NetworkConnection["ethers"],
  owner: HardhatEthersSigner,
  uptime: AddressLike,
  wethFeed: AddressLike,
): Promise<OracleAdapter> {
  const adapter = await ethers.deployContract("OracleAdapter", [
    owner.address,
    uptime,
    SEQUENCER_GRACE,
    STALENESS_GRACE,
  ]);
  await adapter.connect(owner).setAssetConfig(WETH, assetConfig(wethFeed));
  return adapter;
}

/** An L2 adapter (sequencer grace 1 h) with WETH on `feed` and WBTC on `btcFeed`; the sequencer up for a day. */
export async function sequencerFixture({ ethers, networkHelpers }: NetworkConnection): Promise<SequencerFixture> {
  const [owner, stranger] = await ethers.getSigners();
  const uptime = await ethers.deployContract("TestAggregator", [0, "L2 Sequencer Uptime Status Feed"]);
  const now = BigInt(await networkHelpers.time.latest());
  const upSince = now - DAY;
  await uptime.pushAt(0n, upSince, now);
  const feed = await ethers.deployContract("TestAggregator", [8, "ETH / USD"]);
  const backup = await ethers.deployContract("TestAggregator", [18, "ETH / USD (backup)"]);
  const btcFeed = await ethers.deployContract("TestAggregator", [8, "BTC / USD"]);
  await feed.push(answer("3000", 8));
  await backup.push(answer("3000", 18));
  await btcFeed.push(answer("60000", 8));
  const adapter = await deployL2Adapter(ethers, owner, uptime, feed);
  await adapter.connect(owner).setAssetConfig(WBTC, assetConfig(btcFeed));
  return { adapter, owner, stranger, feed, backup, uptime, btcFeed, upSince };
}

// ----------------------------------------------------------------------------------------------- gas probe

/** The outcome of a probed getPrice call, with the price by name when it returned. */
export interface ProbeResult {
  gas: bigint;
  outcome: keyof typeof Outcome;
  read: Read | undefined;
}

/** Calls `adapter.getPrice(asset)` through the probe with exactly `gas` gas, once per budget in `budgets`. */
export async function probeBudgets(
  probe: OracleGasProbe,
  adapter: OracleAdapter,
  asset: AddressLike,
  budgets: readonly bigint[],
): Promise<ProbeResult[]> {
  const results: ProbeResult[] = [];
  for (const gas of budgets) {
    const r = await probe.probe(adapter, asset, gas);
    const outcome = nameOf(Outcome, r.outcome);
    results.push({ gas, outcome, read: outcome === "Returned" ? toRead(r.price) : undefined });
  }
  return results;
}

/** `from`, `from + step`, … up to `to` inclusive. */
export function range(from: bigint, to: bigint, step: bigint): bigint[] {
  const out: bigint[] = [];
  for (let g = from; g <= to; g += step) out.push(g);
  return out;
}
