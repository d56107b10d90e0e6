/**
 * VolatilityOracle's updates over the real OracleAdapter (the scripted Chainlink market), and over the settable
 * MockPriceOracle where a status or a price the adapter cannot produce is needed: each sample checked to the wei
 * against the reference estimator (helpers/volatility.ts: the contract's rounding, a 40-digit reference ln), the
 * caps, refused prices, and `updateMany` / `isDue`.
 */
import { expect } from "chai";
import { network } from "hardhat";
import { getAddress } from "ethers";
import { wad } from "../../scripts/lib/units.js";
import { Reason, Status } from "./helpers/oracleAdapter.js";

import {
  ALPHA,
  CONFIG,
  FRESH_FOR,
  HOUR,
  LN_TOLERANCE,
  MAX_VARIANCE,
  WAD,
  YEAR,
  abs,
  ceilDiv,
  ewma,
  isqrt,
  lnRatioWad,
  volOf,
  volatilityKit,
} from "./helpers/volatility.js";

const connection = await network.create();
const { networkHelpers } = connection;
const { time } = networkHelpers;
const { marketFixture, mockFixture, samplesOf, updateAt, pushAt, stepAndCheck, firstSample, expectIsDueMatchesUpdate } =
  volatilityKit(connection);

describe("VolatilityOracle", function () {
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
