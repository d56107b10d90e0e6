/**
 * VolatilityOracle over the real OracleAdapter (the scripted Chainlink market: 8-decimal feeds, 1-hour heartbeat,
 * 10-minute grace, bounds at 1/1000× and 1000× the start, 20% jump bound between rounds up to two hours apart), and
 * over the settable MockPriceOracle where a status or a price the adapter cannot produce is needed.
 *
 * The estimator's arithmetic is reproduced here in BigInt from the log return the contract emits, with the
 * contract's rounding, and checked to the wei; the log return itself is checked against a 40-digit reference ln.
 */
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { expect } from "chai";
import { encodeBytes32String, getAddress, ZeroAddress } from "ethers";
import type { ContractTransactionResponse } from "ethers";
import { network } from "hardhat";

import { collateral, deployChainlinkMarket } from "../../scripts/lib/testMarket.js";
import type { ChainlinkMarket } from "../../scripts/lib/testMarket.js";
import { Reason, Status } from "./helpers/oracleAdapter.js";
import type { IVolatilityOracle, MockPriceOracle, VolatilityOracle } from "../../typechain-types/index.js";
import { wad } from "../../scripts/lib/units.js";

const { ethers, networkHelpers } = await network.create();
const { time } = networkHelpers;

const WAD = 10n ** 18n;
const YEAR = 365n * 24n * 3600n;
const HOUR = 3600n;
const MAX_VARIANCE = wad("100");
/** Feed heartbeat plus the adapter's staleness grace: a round older than this is STALE. */
const FRESH_FOR = 3600n + 600n;

/** The tracking config most tests use: hourly samples, α = 10%, seed 80%. */
const CONFIG: IVolatilityOracle.ConfigStruct = { minInterval: 3600n, alpha: wad("0.1"), seedVolatility: wad("0.8") };
const ALPHA = wad("0.1");

// ----------------------------------------------------------------------------------------------- reference math

const ceilDiv = (a: bigint, b: bigint): bigint => (a + b - 1n) / b;
const abs = (v: bigint): bigint => (v < 0n ? -v : v);

/** floor(√n). */
function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let x = BigInt(Math.floor(Math.sqrt(Number(n))));
  while (x * x > n) x = (x + n / x) / 2n;
  while ((x + 1n) * (x + 1n) <= n) x += 1n;
  return x;
}

/** The contract's volatility of a variance: floor(√(v·WAD)). */
const volOf = (variance: bigint): bigint => isqrt(variance * WAD);

/** The contract's seed variance: ceil(seed²/WAD). */
const seedVariance = (seed: bigint): bigint => ceilDiv(seed * seed, WAD);

/**
 * One EWMA step with the contract's rounding, from the log return r it emitted:
 * r2 = floor(r²/WAD); sample = min(ceil(r2·YEAR/dt), MAX); v' = min(ceil(v(WAD − α)/WAD) + ceil(sample·α/WAD), MAX).
 */
function ewma(variance: bigint, logReturn: bigint, dt: bigint, alpha: bigint): bigint {
  const r2 = (logReturn * logReturn) / WAD;
  let sample = ceilDiv(r2 * YEAR, dt);
  if (sample > MAX_VARIANCE) sample = MAX_VARIANCE;
  const next = ceilDiv(variance * (WAD - alpha), WAD) + ceilDiv(sample * alpha, WAD);
  return next > MAX_VARIANCE ? MAX_VARIANCE : next;
}

/** 2·atanh(z) at scale 1e60. */
function twoAtanh(z: bigint): bigint {
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
function lnRatioWad(num: bigint, den: bigint): bigint {
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
const LN_TOLERANCE = 31n;

// ----------------------------------------------------------------------------------------------- fixtures

interface Fixture {
  market: ChainlinkMarket;
  vol: VolatilityOracle;
  owner: HardhatEthersSigner;
  stranger: HardhatEthersSigner;
  weth: string;
  wbtc: string;
  usdc: string;
}

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

interface MockFixture {
  oracle: MockPriceOracle;
  vol: VolatilityOracle;
  owner: HardhatEthersSigner;
  asset: string;
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

// ----------------------------------------------------------------------------------------------- helpers

interface Sample {
  price: bigint;
  logReturn: bigint;
  variance: bigint;
  volatility: bigint;
  timestamp: bigint;
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

const config = (c: IVolatilityOracle.ConfigStruct): bigint[] => [
  BigInt(c.minInterval),
  BigInt(c.alpha),
  BigInt(c.seedVolatility),
];

// ----------------------------------------------------------------------------------------------- tests

describe("VolatilityOracle", function () {
  describe("construction", function () {
    it("stores the oracle and the owner, and exposes the bounds", async function () {
      const { market, vol, owner } = await networkHelpers.loadFixture(marketFixture);
      expect(await vol.oracle()).to.equal(await market.adapter.getAddress());
      expect(await vol.owner()).to.equal(owner.address);
      expect(await vol.YEAR()).to.equal(YEAR);
      expect(await vol.MIN_INTERVAL()).to.equal(60n);
      expect(await vol.MAX_INTERVAL()).to.equal(86_400n);
      expect(await vol.MIN_ALPHA()).to.equal(wad("0.01"));
      expect(await vol.MAX_ALPHA()).to.equal(wad("0.5"));
      expect(await vol.MAX_SEED_VOLATILITY()).to.equal(wad("10"));
      expect(await vol.MAX_VARIANCE()).to.equal(MAX_VARIANCE);
    });

    it("reverts ZeroAddress for a zero oracle, OwnableInvalidOwner for a zero owner", async function () {
      const { market, vol, owner } = await networkHelpers.loadFixture(marketFixture);
      await expect(
        ethers.deployContract("VolatilityOracle", [ZeroAddress, owner.address]),
      ).to.be.revertedWithCustomError(vol, "ZeroAddress");
      await expect(ethers.deployContract("VolatilityOracle", [await market.adapter.getAddress(), ZeroAddress]))
        .to.be.revertedWithCustomError(vol, "OwnableInvalidOwner")
        .withArgs(ZeroAddress);
    });
  });

  describe("setTracking", function () {
    const bounds: Array<{ name: keyof IVolatilityOracle.ConfigStruct; min: bigint; max: bigint }> = [
      { name: "minInterval", min: 60n, max: 86_400n },
      { name: "alpha", min: wad("0.01"), max: wad("0.5") },
      { name: "seedVolatility", min: 0n, max: wad("10") },
    ];
    for (const { name, min, max } of bounds) {
      it(`${name}: ${min} and ${max} accepted, one beyond either rejected with ParameterOutOfBounds("${name}")`, async function () {
        const { vol, owner, weth } = await networkHelpers.loadFixture(marketFixture);
        for (const value of [min, max]) {
          const c = { ...CONFIG, [name]: value };
          await expect(vol.connect(owner).setTracking(weth, c)).to.emit(vol, "TrackingSet").withArgs(weth, config(c));
          expect([...(await vol.config(weth))]).to.deep.equal(config(c));
        }
        const beyond = min === 0n ? [max + 1n] : [min - 1n, max + 1n];
        for (const value of beyond) {
          await expect(vol.connect(owner).setTracking(weth, { ...CONFIG, [name]: value }))
            .to.be.revertedWithCustomError(vol, "ParameterOutOfBounds")
            .withArgs(encodeBytes32String(name), value, min, max);
        }
      });
    }

    it("a zero minInterval with another field set is out of bounds, not a stop", async function () {
      const { vol, owner, weth } = await networkHelpers.loadFixture(marketFixture);
      await expect(vol.connect(owner).setTracking(weth, { ...CONFIG, minInterval: 0n }))
        .to.be.revertedWithCustomError(vol, "ParameterOutOfBounds")
        .withArgs(encodeBytes32String("minInterval"), 0n, 60n, 86_400n);
      await expect(vol.connect(owner).setTracking(weth, { minInterval: 0n, alpha: 0n, seedVolatility: 1n }))
        .to.be.revertedWithCustomError(vol, "ParameterOutOfBounds")
        .withArgs(encodeBytes32String("minInterval"), 0n, 60n, 86_400n);
      expect([...(await vol.config(weth))]).to.deep.equal(config(CONFIG));
    });

    it("only the owner: OwnableUnauthorizedAccount for anyone else", async function () {
      const { vol, stranger, usdc } = await networkHelpers.loadFixture(marketFixture);
      await expect(vol.connect(stranger).setTracking(usdc, CONFIG))
        .to.be.revertedWithCustomError(vol, "OwnableUnauthorizedAccount")
        .withArgs(stranger.address);
    });

    it("reverts ZeroAddress for the zero asset", async function () {
      const { vol, owner } = await networkHelpers.loadFixture(marketFixture);
      await expect(vol.connect(owner).setTracking(ZeroAddress, CONFIG)).to.be.revertedWithCustomError(
        vol,
        "ZeroAddress",
      );
    });

    it("renounceOwnership reverts RenounceDisabled for the owner, OwnableUnauthorizedAccount for others", async function () {
      const { vol, owner, stranger } = await networkHelpers.loadFixture(marketFixture);
      await expect(vol.connect(owner).renounceOwnership()).to.be.revertedWithCustomError(vol, "RenounceDisabled");
      await expect(vol.connect(stranger).renounceOwnership())
        .to.be.revertedWithCustomError(vol, "OwnableUnauthorizedAccount")
        .withArgs(stranger.address);
      expect(await vol.owner()).to.equal(owner.address);
    });

    it("ownership moves in two steps; the new owner configures", async function () {
      const { vol, owner, stranger, usdc } = await networkHelpers.loadFixture(marketFixture);
      await vol.connect(owner).transferOwnership(stranger.address);
      await expect(vol.connect(stranger).setTracking(usdc, CONFIG)).to.be.revertedWithCustomError(
        vol,
        "OwnableUnauthorizedAccount",
      );
      await vol.connect(stranger).acceptOwnership();
      await expect(vol.connect(stranger).setTracking(usdc, CONFIG)).to.emit(vol, "TrackingSet");
    });

    it("seeds the estimate: variance ceil(seed²/WAD), volatility the seed, nothing sampled yet", async function () {
      const { vol, owner } = await networkHelpers.loadFixture(marketFixture);
      const seeds = [0n, 1n, 10n ** 9n + 7n, 123_456_789_123_456_789n, wad("0.5") + 1n, wad("0.8"), wad("10")];
      for (const [i, seed] of seeds.entries()) {
        const asset = getAddress(`0x${(i + 1).toString(16).padStart(40, "0")}`);
        expect(await vol.volatility(asset)).to.equal(0n);
        await vol.connect(owner).setTracking(asset, { ...CONFIG, seedVolatility: seed });
        expect([...(await vol.state(asset))]).to.deep.equal([0n, 0n, 0n, seedVariance(seed)]);
        expect(await vol.volatility(asset)).to.equal(volOf(seedVariance(seed)));
      }
      expect((await vol.state(getAddress(`0x${seeds.length.toString(16).padStart(40, "0")}`))).variance).to.equal(
        MAX_VARIANCE,
      );
    });

    it("the seed reads back exactly from 0.5 upwards; below, rounding the variance up can read a few wei above", async function () {
      const { vol, owner, usdc } = await networkHelpers.loadFixture(marketFixture);
      for (const seed of [wad("0.5"), wad("0.5") + 1n, wad("0.8"), wad("0.987654321987654321"), wad("10")]) {
        await vol.connect(owner).setTracking(usdc, { minInterval: 0n, alpha: 0n, seedVolatility: 0n });
        await vol.connect(owner).setTracking(usdc, { ...CONFIG, seedVolatility: seed });
        expect(await vol.volatility(usdc)).to.equal(seed);
      }
      // ceil(seed²/WAD)·WAD < seed² + WAD, so the read is within WAD/(2·seed) wei above the seed.
      for (const seed of [1n, 10n ** 9n + 7n, 123_456_789_123_456_789n]) {
        await vol.connect(owner).setTracking(usdc, { minInterval: 0n, alpha: 0n, seedVolatility: 0n });
        await vol.connect(owner).setTracking(usdc, { ...CONFIG, seedVolatility: seed });
        const read = await vol.volatility(usdc);
        expect(read).to.be.gte(seed);
        expect(read - seed).to.be.lte(WAD / (2n * seed));
      }
    });

    it("the first update only records the price: logReturn 0, the seed unchanged, no sample counted", async function () {
      const f = await networkHelpers.loadFixture(marketFixture);
      const at = BigInt(await time.latest()) + 10n;
      await time.setNextBlockTimestamp(at);
      await expect(f.vol.update(f.weth))
        .to.emit(f.vol, "VolatilityUpdated")
        .withArgs(f.weth, wad("3000"), 0n, wad("0.64"), wad("0.8"));
      expect([...(await f.vol.state(f.weth))]).to.deep.equal([wad("3000"), at, 0n, wad("0.64")]);
      expect(await f.vol.volatility(f.weth)).to.equal(wad("0.8"));
    });

    it("an all-zero config stops tracking and clears the state; tracking again starts from the new seed", async function () {
      const f = await networkHelpers.loadFixture(marketFixture);
      const t0 = await firstSample(f, f.weth);
      await stepAndCheck(f, f.weth, wad("3150"), t0 + HOUR);
      const zero = { minInterval: 0n, alpha: 0n, seedVolatility: 0n };
      await expect(f.vol.connect(f.owner).setTracking(f.weth, zero))
        .to.emit(f.vol, "TrackingSet")
        .withArgs(f.weth, [0n, 0n, 0n]);
      expect([...(await f.vol.config(f.weth))]).to.deep.equal([0n, 0n, 0n]);
      expect([...(await f.vol.state(f.weth))]).to.deep.equal([0n, 0n, 0n, 0n]);
      expect(await f.vol.volatility(f.weth)).to.equal(0n);
      expect(await f.vol.isDue(f.weth)).to.equal(false);
      await expect(f.vol.update(f.weth)).to.be.revertedWithCustomError(f.vol, "NotTracked").withArgs(f.weth);
      // Stopping an untracked asset is harmless.
      await expect(f.vol.connect(f.owner).setTracking(f.usdc, zero)).to.emit(f.vol, "TrackingSet");

      await f.vol.connect(f.owner).setTracking(f.weth, { ...CONFIG, seedVolatility: wad("1.5") });
      expect([...(await f.vol.state(f.weth))]).to.deep.equal([0n, 0n, 0n, wad("2.25")]);
      const s = await updateAt(f.vol, f.weth, BigInt(await time.latest()) + 10n);
      expect([s.logReturn, s.variance, s.volatility]).to.deep.equal([0n, wad("2.25"), wad("1.5")]);
    });

    it("reconfiguring keeps the estimate and state; the next update uses the new interval and alpha", async function () {
      const f = await networkHelpers.loadFixture(marketFixture);
      const t0 = await firstSample(f, f.weth);
      await stepAndCheck(f, f.weth, wad("3150"), t0 + HOUR);
      const before = await f.vol.state(f.weth);
      const next = { minInterval: 7200n, alpha: wad("0.25"), seedVolatility: wad("3") };
      await f.vol.connect(f.owner).setTracking(f.weth, next);
      expect([...(await f.vol.state(f.weth))]).to.deep.equal([...before]);
      expect([...(await f.vol.config(f.weth))]).to.deep.equal(config(next));

      // The new interval: not due an hour later, due two hours later.
      await time.increaseTo(t0 + 2n * HOUR);
      await expect(f.vol.update(f.weth))
        .to.be.revertedWithCustomError(f.vol, "UpdateTooEarly")
        .withArgs(f.weth, t0 + 3n * HOUR);
      await stepAndCheck(f, f.weth, wad("3000"), t0 + 3n * HOUR, wad("0.25"));
    });
  });

  describe("update", function () {
    it("reverts NotTracked for an untracked asset", async function () {
      const { vol, usdc } = await networkHelpers.loadFixture(marketFixture);
      await expect(vol.update(usdc)).to.be.revertedWithCustomError(vol, "NotTracked").withArgs(usdc);
      expect(await vol.isDue(usdc)).to.equal(false);
    });

    it("reverts UpdateTooEarly(nextAt) one second before lastUpdate + minInterval and succeeds exactly at it", async function () {
      const f = await networkHelpers.loadFixture(marketFixture);
      const t0 = await firstSample(f, f.weth);
      const nextAt = t0 + HOUR;
      await time.setNextBlockTimestamp(nextAt - 1n);
      await expect(f.vol.update(f.weth))
        .to.be.revertedWithCustomError(f.vol, "UpdateTooEarly")
        .withArgs(f.weth, nextAt);
      // A failed update changes nothing.
      expect([...(await f.vol.state(f.weth))]).to.deep.equal([wad("3000"), t0, 0n, wad("0.64")]);
      const s = await updateAt(f.vol, f.weth, nextAt);
      expect(s.logReturn).to.equal(0n);
      expect((await f.vol.state(f.weth)).samples).to.equal(1n);
    });

    it("reverts PriceNotAccepted(FAILED, STALE) once the feed is older than heartbeat + grace", async function () {
      const f = await networkHelpers.loadFixture(marketFixture);
      const pushed = BigInt(await time.latest()) + 10n;
      await pushAt(f.market, f.weth, wad("3000"), pushed);
      await updateAt(f.vol, f.weth, pushed + 1n);
      // The last fresh second, then the first stale one.
      await time.increaseTo(pushed + FRESH_FOR);
      expect(await f.vol.isDue(f.weth)).to.equal(true);
      await time.setNextBlockTimestamp(pushed + FRESH_FOR + 1n);
      await expect(f.vol.update(f.weth))
        .to.be.revertedWithCustomError(f.vol, "PriceNotAccepted")
        .withArgs(f.weth, Status.FAILED, Reason.STALE);
      await time.increaseTo(pushed + FRESH_FOR + 1n); // the reverted transaction mined no block
      expect(await f.vol.isDue(f.weth)).to.equal(false);
      expect((await f.vol.state(f.weth)).lastUpdate).to.equal(pushed + 1n);
    });

    it("reverts PriceNotAccepted(DEGRADED, UNCONFIRMED_JUMP) on a jump beyond 20% within the jump window", async function () {
      const f = await networkHelpers.loadFixture(marketFixture);
      const t0 = await firstSample(f, f.weth);
      await pushAt(f.market, f.weth, wad("3000"), t0 + HOUR - 10n);
      await pushAt(f.market, f.weth, wad("3601"), t0 + HOUR - 1n);
      await time.setNextBlockTimestamp(t0 + HOUR);
      await expect(f.vol.update(f.weth))
        .to.be.revertedWithCustomError(f.vol, "PriceNotAccepted")
        .withArgs(f.weth, Status.DEGRADED, Reason.UNCONFIRMED_JUMP);
      // Exactly 20% is inside the band: sampled.
      await pushAt(f.market, f.weth, wad("3000"), t0 + HOUR + 10n);
      await stepAndCheck(f, f.weth, wad("3600"), t0 + HOUR + 12n);
    });

    it("reverts PriceNotAccepted(FAILED, NOT_CONFIGURED) for an asset the adapter does not price", async function () {
      const { vol, owner } = await networkHelpers.loadFixture(marketFixture);
      const unpriced = getAddress("0x000000000000000000000000000000000000dead");
      await vol.connect(owner).setTracking(unpriced, CONFIG);
      await expect(vol.update(unpriced))
        .to.be.revertedWithCustomError(vol, "PriceNotAccepted")
        .withArgs(unpriced, Status.FAILED, Reason.NOT_CONFIGURED);
    });

    it("reverts PriceNotAccepted on a DEGRADED read and on an OK read of price 0 (mock oracle)", async function () {
      const { oracle, vol, asset } = await networkHelpers.loadFixture(mockFixture);
      await oracle.setPriceData(asset, wad("2990"), wad("3010"), Status.DEGRADED, Reason.SOURCES_DISAGREE);
      await expect(vol.update(asset))
        .to.be.revertedWithCustomError(vol, "PriceNotAccepted")
        .withArgs(asset, Status.DEGRADED, Reason.SOURCES_DISAGREE);
      expect(await vol.isDue(asset)).to.equal(false);
      await oracle.setPrice(asset, 0n);
      await expect(vol.update(asset))
        .to.be.revertedWithCustomError(vol, "PriceNotAccepted")
        .withArgs(asset, Status.OK, Reason.NONE);
      expect(await vol.isDue(asset)).to.equal(false);
    });

    it("the EWMA to the wei over irregular moves and intervals", async function () {
      const f = await networkHelpers.loadFixture(marketFixture);
      let t = await firstSample(f, f.weth);
      const steps: Array<[string, bigint]> = [
        ["3150", HOUR],
        ["3087.12345678", 2n * HOUR],
        ["3087.12345678", HOUR + 1n],
        ["2800", 5000n],
        ["2911.5", 3n * HOUR + 17n],
        ["3333.33333333", HOUR],
        ["3000", HOUR * 24n],
      ];
      for (const [price, dt] of steps) {
        t += dt;
        // Long gaps: keep the feed fresh with a round at the old price first.
        if (dt > FRESH_FOR) await pushAt(f.market, f.weth, (await f.vol.state(f.weth)).lastPrice, t - 60n);
        await stepAndCheck(f, f.weth, wad(price), t);
      }
      expect((await f.vol.state(f.weth)).samples).to.equal(BigInt(steps.length));
    });

    it("alternating 5% moves every hour raise volatility monotonically towards √(ln(1.05)²·8760) ≈ 456.6%", async function () {
      const f = await networkHelpers.loadFixture(marketFixture);
      let t = await firstSample(f, f.weth);
      const level = (lnRatioWad(105n, 100n) ** 2n / WAD) * (YEAR / HOUR); // the sample every step is near
      let previous = wad("0.8");
      for (let i = 0; i < 60; i++) {
        t += HOUR;
        const s = await stepAndCheck(f, f.weth, i % 2 === 0 ? wad("3150") : wad("3000"), t);
        expect(s.volatility).to.be.gt(previous);
        previous = s.volatility;
      }
      // After 60 steps the seed's weight is 0.9^60 ≈ 0.18%.
      expect(abs(previous - isqrt(level * WAD))).to.be.lt(isqrt(level * WAD) / 500n);
      expect(previous).to.be.gt(wad("4.55"));
      expect(previous).to.be.lt(wad("4.57"));
    });

    it("constant prices decay the variance by (1 − α) per update, rounded up", async function () {
      const f = await networkHelpers.loadFixture(marketFixture);
      let t = await firstSample(f, f.weth);
      // Raise it first, then hold the price.
      t += HOUR;
      await stepAndCheck(f, f.weth, wad("3150"), t);
      const start = (await f.vol.state(f.weth)).variance;
      let variance = start;
      for (let i = 0; i < 12; i++) {
        t += HOUR;
        const s = await stepAndCheck(f, f.weth, wad("3150"), t);
        expect(s.logReturn).to.equal(0n);
        expect(s.variance).to.equal(ceilDiv(variance * (WAD - ALPHA), WAD));
        variance = s.variance;
      }
      // 0.9^12 of where it started: each step rounds up by < 1 wei, so the excess is below Σ 0.9^i < 10 wei.
      const geometric = (start * 9n ** 12n) / 10n ** 12n;
      expect(variance - geometric).to.be.gte(0n);
      expect(variance - geometric).to.be.lt(10n);
      expect(await f.vol.volatility(f.weth)).to.equal(volOf(variance));
    });

    it("a sample is capped at MAX_VARIANCE: a 10× move between rounds further apart than the jump window", async function () {
      const f = await networkHelpers.loadFixture(marketFixture);
      let t = await firstSample(f, f.weth);
      // Rounds over the jump window (two hours, twice the heartbeat) apart are not compared for a jump: $30,000 is OK
      // (inside 1000× the start).
      t += 2n * HOUR + 200n;
      const s = await stepAndCheck(f, f.weth, wad("30000"), t);
      // r = ln 10 = 2.3026: r²·YEAR/dt ≈ 43,000 WAD, capped at 100.
      expect(abs(s.logReturn - lnRatioWad(10n, 1n))).to.be.lte(LN_TOLERANCE);
      expect(s.variance).to.equal(ceilDiv(wad("0.64") * 9n, 10n) + MAX_VARIANCE / 10n);
    });

    it("repeated capped samples with α = 50% drive the variance to exactly MAX_VARIANCE (σ = 1000%), never beyond", async function () {
      const f = await networkHelpers.loadFixture(marketFixture);
      await f.vol.connect(f.owner).setTracking(f.weth, { ...CONFIG, alpha: wad("0.5") });
      let t = await firstSample(f, f.weth);
      let reached = -1;
      for (let i = 0; i < 75; i++) {
        t += 2n * HOUR + 200n;
        const s = await stepAndCheck(f, f.weth, i % 2 === 0 ? wad("30000") : wad("3000"), t, wad("0.5"));
        expect(s.variance).to.be.lte(MAX_VARIANCE);
        if (reached < 0 && s.variance === MAX_VARIANCE) reached = i;
      }
      expect(reached).to.be.gt(0);
      expect((await f.vol.state(f.weth)).variance).to.equal(MAX_VARIANCE);
      expect(await f.vol.volatility(f.weth)).to.equal(wad("10"));
    });

    it("with a one-minute interval a 2% move in a minute already saturates the sample", async function () {
      const f = await networkHelpers.loadFixture(marketFixture);
      await f.vol.connect(f.owner).setTracking(f.weth, { ...CONFIG, minInterval: 60n });
      const t = await firstSample(f, f.weth);
      const s = await stepAndCheck(f, f.weth, wad("3060"), t + 60n);
      // ln(1.02)² · 525,600 = 206 > 100: the sample is MAX_VARIANCE.
      expect(s.variance).to.equal(ceilDiv(wad("0.64") * 9n, 10n) + MAX_VARIANCE / 10n);
    });

    it("a fall of more than 1e18× counts as exactly 1e18×: logReturn lnWad(1) (mock oracle)", async function () {
      const { oracle, vol, asset } = await networkHelpers.loadFixture(mockFixture);
      await oracle.setPrice(asset, 10n ** 37n);
      const t0 = BigInt(await time.latest()) + 10n;
      await updateAt(vol, asset, t0);
      await oracle.setPrice(asset, 1n);
      const s = await updateAt(vol, asset, t0 + HOUR);
      expect(s.logReturn).to.equal(-41_446_531_673_892_822_292n); // lnWad(1): ln(1e-18) + 20 wei
      expect(s.variance).to.equal(ceilDiv(wad("0.64") * 9n, 10n) + MAX_VARIANCE / 10n);
    });

    it("a price at or above 2^128 reverts update (SafeCast) and is skipped by updateMany", async function () {
      // Unreachable behind the real adapter (its maxPrice is a uint128 and an OK price is below it).
      const { oracle, vol, asset, owner } = await networkHelpers.loadFixture(mockFixture);
      const other = getAddress("0x0000000000000000000000000000000000b7cb7c");
      await oracle.setPrice(other, wad("1"));
      await vol.connect(owner).setTracking(other, CONFIG);
      await oracle.setPrice(asset, 2n ** 128n);
      await expect(vol.update(asset))
        .to.be.revertedWithCustomError(vol, "SafeCastOverflowedUintDowncast")
        .withArgs(128n, 2n ** 128n);
      expect(await vol.isDue(asset)).to.equal(false);
      expect(await vol.updateMany.staticCall([other, asset])).to.equal(1n);
      await vol.updateMany([other, asset]);
      expect((await vol.state(asset)).lastPrice).to.equal(0n);
      expect((await vol.state(other)).lastPrice).to.equal(wad("1"));
    });
  });

  describe("updateMany and isDue", function () {
    it("updates only the due assets with an OK price, skips the rest and returns the count", async function () {
      const f = await networkHelpers.loadFixture(marketFixture);
      const unpriced = getAddress("0x000000000000000000000000000000000000dead");
      await f.vol.connect(f.owner).setTracking(unpriced, CONFIG);
      const t0 = BigInt(await time.latest()) + 10n;
      await updateAt(f.vol, f.wbtc, t0); // WBTC sampled: not due for an hour

      expect(await f.vol.updateMany.staticCall([])).to.equal(0n);
      const list = [f.weth, f.wbtc, f.usdc, unpriced, f.weth];
      await time.setNextBlockTimestamp(t0 + 10n);
      const samples = await samplesOf(f.vol, f.vol.updateMany(list));
      // WETH once (its duplicate is no longer due), WBTC not due, USDC untracked, the unpriced asset not OK.
      expect(samples.map((s) => s.price)).to.deep.equal([wad("3000")]);
      expect((await f.vol.state(f.weth)).lastUpdate).to.equal(t0 + 10n);
      expect((await f.vol.state(f.wbtc)).lastUpdate).to.equal(t0);
      expect((await f.vol.state(unpriced)).lastUpdate).to.equal(0n);

      // An hour after WBTC's sample: WBTC due, WETH not yet (10 s to go); the return value counts.
      await pushAt(f.market, f.wbtc, wad("61000"), t0 + HOUR - 1n);
      await time.increaseTo(t0 + HOUR);
      expect(await f.vol.updateMany.staticCall(list)).to.equal(1n);
      await time.setNextBlockTimestamp(t0 + HOUR + 10n);
      const both = await samplesOf(f.vol, f.vol.updateMany(list));
      expect(both.map((s) => s.price)).to.deep.equal([wad("3000"), wad("61000")]);
      expect(both[1].logReturn).to.not.equal(0n);
      expect(both[1].variance).to.equal(ewma(wad("0.64"), both[1].logReturn, HOUR + 10n, ALPHA));
    });

    it("skips a stale asset and one whose last round jumped, samples the others", async function () {
      const f = await networkHelpers.loadFixture(marketFixture);
      const t0 = BigInt(await time.latest()) + 10n;
      await pushAt(f.market, f.wbtc, wad("60000"), t0);
      await pushAt(f.market, f.weth, wad("3000"), t0 + 1n);
      await time.setNextBlockTimestamp(t0 + 2n);
      expect(await samplesOf(f.vol, f.vol.updateMany([f.weth, f.wbtc]))).to.have.length(2);
      // WBTC goes stale; WETH jumps 25% between two rounds 10 s apart.
      await pushAt(f.market, f.weth, wad("3000"), t0 + 3690n);
      await pushAt(f.market, f.weth, wad("3750"), t0 + 3700n);
      await time.increaseTo(t0 + FRESH_FOR + 1n);
      await expectIsDueMatchesUpdate(f.vol, f.wbtc, false);
      await expectIsDueMatchesUpdate(f.vol, f.weth, false);
      expect(await f.vol.updateMany.staticCall([f.weth, f.wbtc])).to.equal(0n);
      // Both fresh and inside the band again.
      await pushAt(f.market, f.wbtc, wad("60000"), t0 + FRESH_FOR + 10n);
      await pushAt(f.market, f.weth, wad("3150"), t0 + FRESH_FOR + 11n); // 19% below 3750 (of the lower price)
      await time.increaseTo(t0 + FRESH_FOR + 12n);
      await expectIsDueMatchesUpdate(f.vol, f.weth, true);
      await expectIsDueMatchesUpdate(f.vol, f.wbtc, true);
      expect(await f.vol.updateMany.staticCall([f.weth, f.wbtc])).to.equal(2n);
    });

    it("isDue agrees with update: untracked, first sample, before and at nextAt, stale, not configured", async function () {
      const f = await networkHelpers.loadFixture(marketFixture);
      await expectIsDueMatchesUpdate(f.vol, f.usdc, false); // untracked
      await expectIsDueMatchesUpdate(f.vol, f.weth, true); // never sampled
      const t0 = await firstSample(f, f.weth);
      await expectIsDueMatchesUpdate(f.vol, f.weth, false); // just sampled
      await time.increaseTo(t0 + HOUR - 1n);
      await expectIsDueMatchesUpdate(f.vol, f.weth, false);
      await time.increaseTo(t0 + HOUR);
      await expectIsDueMatchesUpdate(f.vol, f.weth, true);
      await time.increaseTo(t0 + FRESH_FOR + 100n);
      await expectIsDueMatchesUpdate(f.vol, f.weth, false); // stale
      const unpriced = getAddress("0x000000000000000000000000000000000000dead");
      await f.vol.connect(f.owner).setTracking(unpriced, CONFIG);
      await expectIsDueMatchesUpdate(f.vol, unpriced, false);
    });

    it("volatility, state and config read 0 for an untracked asset", async function () {
      const { vol, usdc } = await networkHelpers.loadFixture(marketFixture);
      expect(await vol.volatility(usdc)).to.equal(0n);
      expect([...(await vol.state(usdc))]).to.deep.equal([0n, 0n, 0n, 0n]);
      expect([...(await vol.config(usdc))]).to.deep.equal([0n, 0n, 0n]);
    });
  });
});
