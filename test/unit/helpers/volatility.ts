/**
 * The VolatilityOracle tests' shared parts (VolatilityOracle.test.ts, VolatilityOracle.update.test.ts): the
 * estimator's reference math in BigInt with the contract's rounding, a 40-digit reference ln, and the fixtures and
 * steps, bound to the test file's network connection.
 */
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { expect } from "chai";
import { getAddress } from "ethers";
import type { ContractTransactionResponse } from "ethers";
import type { NetworkConnection } from "hardhat/types/network";

import { collateral, deployChainlinkMarket } from "../../../scripts/lib/testMarket.js";
import type { ChainlinkMarket } from "../../../scripts/lib/testMarket.js";
import type { IVolatilityOracle, MockPriceOracle, VolatilityOracle } from "../../../typechain-types/index.js";
import { wad } from "../../../scripts/lib/units.js";

export const WAD = 10n ** 18n;
export const YEAR = 365n * 24n * 3600n;
export const HOUR = 3600n;
export const MAX_VARIANCE = wad("100");
/** Feed heartbeat plus the adapter's staleness grace: a round older than this is STALE. */
export const FRESH_FOR = 3600n + 600n;

/** The tracking config most tests use: hourly samples, α = 10%, seed 80%. */
export const CONFIG: IVolatilityOracle.ConfigStruct = {
  minInterval: 3600n,
  alpha: wad("0.1"),
  seedVolatility: wad("0.8"),
};
export const ALPHA = wad("0.1");

// ----------------------------------------------------------------------------------------------- reference math

export const ceilDiv = (a: bigint, b: bigint): bigint => (a + b - 1n) / b;
export const abs = (v: bigint): bigint => (v < 0n ? -v : v);

/** floor(√n). */
export function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let x = BigInt(Math.floor(Math.sqrt(Number(n))));
  while (x * x > n) x = (x + n / x) / 2n;
  while ((x + 1n) * (x + 1n) <= n) x += 1n;
  return x;
}

/** The contract's volatility of a variance: floor(√(v·WAD)). */
export const volOf = (variance: bigint): bigint => isqrt(variance * WAD);

/** The contract's seed variance: ceil(seed²/WAD). */
export const seedVariance = (seed: bigint): bigint => ceilDiv(seed * seed, WAD);

/**
 * One EWMA step with the contract's rounding, from the log return r it emitted:
 * r2 = floor(r²/WAD); sample = min(ceil(r2·YEAR/dt), MAX); v' = min(ceil(v(WAD − α)/WAD) + ceil(sample·α/WAD), MAX).
 */
export function ewma(variance: bigint, logReturn: bigint, dt: bigint, alpha: bigint): bigint {
  const r2 = (logReturn * logReturn) / WAD;
  let sample = ceilDiv(r2 * YEAR, dt);
  if (sample > MAX_VARIANCE) sample = MAX_VARIANCE;
  const next = ceilDiv(variance * (WAD - alpha), WAD) + ceilDiv(sample * alpha, WAD);
  return next > MAX_VARIANCE ? MAX_VARIANCE : next;
}

/** 2·atanh(z) at scale 1e60. */
export function twoAtanh(z: bigint): bigint {
  const P = 10n ** 60n;
  const z2 = (z * z) / P;
  let term = z;
  let sum = z;
  for (let i = 3n; term !== 0n; i += 2n) {
    term = (term * z2) / P;
    sum += term / i;
  }
  return 2n * sum;
}

/** ln(num/den) × 1e18, rounded to nearest (reduction to [1/√2, √2) by powers of two, atanh series at 1e60). */
export function lnRatioWad(num: bigint, den: bigint): bigint {
  const P = 10n ** 60n;
  let k = BigInt(num.toString(2).length - den.toString(2).length);
  if (k > 0n) den <<= k;
  else num <<= -k;
  while (2n * num * num < den * den) {
    num <<= 1n;
    k -= 1n;
  }
  while (num * num >= 2n * den * den) {
    den <<= 1n;
    k += 1n;
  }
  const scaled = k * twoAtanh(P / 3n) + twoAtanh(((num - den) * P) / (num + den));
  const q = 10n ** 42n;
  return scaled >= 0n ? (scaled + q / 2n) / q : -((-scaled + q / 2n) / q);
}

/**
 * lnWad's error on a price ratio (test/unit/FixedPointMath.ln.test.ts): < 28 wei + 0.42 per power of two; the
 * floor of the ratio adds < WAD/ratio wei. 31 wei covers every ratio these tests take the log of (0.1× … 10×, k ≤ 4
 * adds 1.7 wei; the floor < 10 wei only at 0.1×, where the bound is checked with the floored ratio).
 */
export const LN_TOLERANCE = 31n;

// ----------------------------------------------------------------------------------------------- fixtures

export interface Fixture {
  market: ChainlinkMarket;
  vol: VolatilityOracle;
  owner: HardhatEthersSigner;
  stranger: HardhatEthersSigner;
  weth: string;
  wbtc: string;
  usdc: string;
}

export interface MockFixture {
  oracle: MockPriceOracle;
  vol: VolatilityOracle;
  owner: HardhatEthersSigner;
  asset: string;
}

// ----------------------------------------------------------------------------------------------- helpers

export interface Sample {
  price: bigint;
  logReturn: bigint;
  variance: bigint;
  volatility: bigint;
  timestamp: bigint;
}

/** The fixtures and steps over `connection` (one kit per test file, so `loadFixture` sees the same functions). */
export function volatilityKit(connection: NetworkConnection) {
  const { ethers, networkHelpers } = connection;
  const { time } = networkHelpers;

  /** The Chainlink market, an estimator over its adapter, WETH and WBTC tracked with CONFIG (not yet sampled). */
  async function marketFixture(): Promise<Fixture> {
    const market = await deployChainlinkMarket(ethers);
    const [, stranger] = await ethers.getSigners();
    const owner = market.owner;
    const vol = await ethers.deployContract("VolatilityOracle", [await market.adapter.getAddress(), owner.address]);
    const weth = await collateral(market, "WETH").getAddress();
    const wbtc = await collateral(market, "WBTC").getAddress();
    const usdc = await market.usdc.getAddress();
    await (await vol.connect(owner).setTracking(weth, CONFIG)).wait();
    await (await vol.connect(owner).setTracking(wbtc, CONFIG)).wait();
    return { market, vol, owner, stranger, weth, wbtc, usdc };
  }

  /** An estimator over the settable MockPriceOracle, one asset tracked with CONFIG at $3000. */
  async function mockFixture(): Promise<MockFixture> {
    const [owner] = await ethers.getSigners();
    const oracle = await ethers.deployContract("MockPriceOracle");
    const vol = await ethers.deployContract("VolatilityOracle", [await oracle.getAddress(), owner.address]);
    const asset = getAddress("0x0000000000000000000000000000000000e7e7e7");
    await (await oracle.setPrice(asset, wad("3000"))).wait();
    await (await vol.setTracking(asset, CONFIG)).wait();
    return { oracle, vol, owner, asset };
  }

  /** Mines `tx` and returns its VolatilityUpdated events, in order, with the block time. */
  async function samplesOf(vol: VolatilityOracle, tx: Promise<ContractTransactionResponse>): Promise<Sample[]> {
    const receipt = await (await tx).wait();
    if (receipt === null) throw new Error("no receipt");
    const block = await ethers.provider.getBlock(receipt.blockNumber);
    const out: Sample[] = [];
    for (const log of receipt.logs) {
      const parsed = vol.interface.parseLog(log);
      if (parsed?.name !== "VolatilityUpdated") continue;
      out.push({
        price: parsed.args.price,
        logReturn: parsed.args.logReturn,
        variance: parsed.args.variance,
        volatility: parsed.args.volatility,
        timestamp: BigInt(block!.timestamp),
      });
    }
    return out;
  }

  /** Updates `asset` in a block at `at` and returns its one sample. */
  async function updateAt(vol: VolatilityOracle, asset: string, at: bigint): Promise<Sample> {
    await time.setNextBlockTimestamp(at);
    const samples = await samplesOf(vol, vol.update(asset));
    expect(samples).to.have.length(1);
    return samples[0];
  }

  /** Publishes `price` for `token` in a block at `at` (a new feed round, updated then). */
  async function pushAt(market: ChainlinkMarket, token: string, price: bigint, at: bigint): Promise<void> {
    await time.setNextBlockTimestamp(at);
    await (await market.prices.set(token, price)).wait();
  }

  /**
   * One hourly step: a new round at `price` one second before `at`, then the update at `at`. Checks the sample
   * against the reference: the log return against ln(price/prev) and the variance and volatility to the wei.
   */
  async function stepAndCheck(
    f: Fixture,
    asset: string,
    price: bigint,
    at: bigint,
    alpha: bigint = ALPHA,
  ): Promise<Sample> {
    const before = await f.vol.state(asset);
    await pushAt(f.market, asset, price, at - 1n);
    const s = await updateAt(f.vol, asset, at);
    expect(s.price).to.equal(price);
    expect(abs(s.logReturn - lnRatioWad(price, before.lastPrice))).to.be.lte(LN_TOLERANCE);
    const expected = ewma(before.variance, s.logReturn, at - before.lastUpdate, alpha);
    expect(s.variance).to.equal(expected);
    expect(s.volatility).to.equal(volOf(expected));
    const after = await f.vol.state(asset);
    expect(after.variance).to.equal(expected);
    expect(after.lastPrice).to.equal(price);
    expect(after.lastUpdate).to.equal(at);
    expect(after.samples).to.equal(before.samples + 1n);
    expect(await f.vol.volatility(asset)).to.equal(volOf(expected));
    return s;
  }

  /** Takes the first sample of `asset` (price unchanged at its start) and returns its time. */
  async function firstSample(f: Fixture, asset: string): Promise<bigint> {
    const at = BigInt(await time.latest()) + 10n;
    await updateAt(f.vol, asset, at);
    return at;
  }

  /** Whether update(asset) would succeed now (an eth_call at the latest block's time, as isDue sees it). */
  async function updateWouldSucceed(vol: VolatilityOracle, asset: string): Promise<boolean> {
    try {
      await vol.update.staticCall(asset);
      return true;
    } catch {
      return false;
    }
  }

  async function expectIsDueMatchesUpdate(vol: VolatilityOracle, asset: string, due: boolean): Promise<void> {
    expect(await vol.isDue(asset)).to.equal(due);
    expect(await updateWouldSucceed(vol, asset)).to.equal(due);
  }

  return {
    marketFixture,
    mockFixture,
    samplesOf,
    updateAt,
    pushAt,
    stepAndCheck,
    firstSample,
    updateWouldSucceed,
    expectIsDueMatchesUpdate,
  };
}

/** A tracking config as the contract returns it. */
export const config = (c: IVolatilityOracle.ConfigStruct): bigint[] => [
  BigInt(c.minInterval),
  BigInt(c.alpha),
  BigInt(c.seedVolatility),
];

// ----------------------------------------------------------------------------------------------- tests
