/**
 * VolatilityOracle's construction and tracking configuration (`setTracking`: bounds, seed, re-tracking), over the real
 * OracleAdapter (the scripted Chainlink market: 8-decimal feeds, 1-hour heartbeat, 10-minute grace, bounds at
 * 1/1000× and 1000× the start, 20% jump bound between rounds up to two hours apart). The updates are in
 * VolatilityOracle.update.test.ts; the reference estimator, with the contract's rounding, in helpers/volatility.ts.
 */
import { expect } from "chai";
import { network } from "hardhat";
import { ZeroAddress, encodeBytes32String, getAddress } from "ethers";
import { wad } from "../../scripts/lib/units.js";
import type { IVolatilityOracle } from "../../typechain-types/index.js";

import {
  CONFIG,
  HOUR,
  MAX_VARIANCE,
  WAD,
  YEAR,
  config,
  seedVariance,
  volOf,
  volatilityKit,
} from "./helpers/volatility.js";

const connection = await network.create();
const { ethers, networkHelpers } = connection;
const { time } = networkHelpers;
const { marketFixture, updateAt, stepAndCheck, firstSample } = volatilityKit(connection);

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
});
