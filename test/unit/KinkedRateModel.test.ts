import { expect } from "chai";
import { network } from "hardhat";

import { WAD, YEAR, mulDivDown, wad } from "./helpers/vault.js";
import type { KinkedRateModel } from "../../typechain-types/index.js";

const { ethers, networkHelpers } = await network.create();

const BASE = wad("0.02");
const SLOPE1 = wad("0.04");
const SLOPE2 = wad("0.6");
const KINK = wad("0.8");

async function modelFixture(): Promise<{ model: KinkedRateModel }> {
  const model = await ethers.deployContract("KinkedRateModel", [BASE, SLOPE1, SLOPE2, KINK]);
  return { model };
}

/** The curve, off-chain: what borrowApr must return for utilization `u`. */
function expectedApr(u: bigint): bigint {
  if (u <= KINK) return BASE + mulDivDown(SLOPE1, u, KINK);
  return BASE + SLOPE1 + mulDivDown(SLOPE2, u - KINK, WAD - KINK);
}

describe("KinkedRateModel", function () {
  describe("construction", function () {
    it("stores its parameters", async function () {
      const { model } = await networkHelpers.loadFixture(modelFixture);
      expect(await model.baseApr()).to.equal(BASE);
      expect(await model.slope1Apr()).to.equal(SLOPE1);
      expect(await model.slope2Apr()).to.equal(SLOPE2);
      expect(await model.kink()).to.equal(KINK);
      expect(await model.MAX_APR()).to.equal(wad("10"));
    });

    it("reverts with KinkOutOfBounds for a kink of 0, 100% or more", async function () {
      const { model } = await networkHelpers.loadFixture(modelFixture);
      for (const kink of [0n, WAD, WAD + 1n]) {
        await expect(ethers.deployContract("KinkedRateModel", [BASE, SLOPE1, SLOPE2, kink]))
          .to.be.revertedWithCustomError(model, "KinkOutOfBounds")
          .withArgs(kink);
      }
    });

    it("reverts with AprTooHigh when any APR parameter exceeds 1000%", async function () {
      const { model } = await networkHelpers.loadFixture(modelFixture);
      const max = wad("10");
      const tooHigh = max + 1n;
      await expect(ethers.deployContract("KinkedRateModel", [tooHigh, SLOPE1, SLOPE2, KINK]))
        .to.be.revertedWithCustomError(model, "AprTooHigh")
        .withArgs(tooHigh, max);
      await expect(ethers.deployContract("KinkedRateModel", [BASE, tooHigh, SLOPE2, KINK]))
        .to.be.revertedWithCustomError(model, "AprTooHigh")
        .withArgs(tooHigh, max);
      await expect(ethers.deployContract("KinkedRateModel", [BASE, SLOPE1, tooHigh, KINK]))
        .to.be.revertedWithCustomError(model, "AprTooHigh")
        .withArgs(tooHigh, max);
    });

    it("accepts the extreme valid parameters: every APR at 1000%, kink at 1 wei and at 100% − 1 wei", async function () {
      for (const kink of [1n, WAD - 1n]) {
        const m = await ethers.deployContract("KinkedRateModel", [wad("10"), wad("10"), wad("10"), kink]);
        expect(await m.borrowApr(0n, 1n)).to.equal(wad("30"));
        expect(await m.borrowApr(1n, 0n)).to.equal(wad("10"));
      }
    });
  });

  describe("utilization", function () {
    it("is debt / (cash + debt) rounded down, 0 without debt and 100% without cash", async function () {
      const { model } = await networkHelpers.loadFixture(modelFixture);
      expect(await model.utilization(0n, 0n)).to.equal(0n);
      expect(await model.utilization(1_000_000n, 0n)).to.equal(0n);
      expect(await model.utilization(0n, 1n)).to.equal(WAD);
      expect(await model.utilization(100n, 300n)).to.equal(wad("0.75"));
      expect(await model.utilization(1n, 2n)).to.equal((2n * WAD) / 3n);
      expect(await model.utilization(2n, 1n)).to.equal(WAD / 3n);
      expect(await model.utilization(10n ** 30n, 1n)).to.equal(0n);
    });
  });

  describe("borrow rate", function () {
    it("is the base APR at 0% utilization", async function () {
      const { model } = await networkHelpers.loadFixture(modelFixture);
      expect(await model.borrowApr(1_000n, 0n)).to.equal(BASE);
      expect(await model.borrowApr(0n, 0n)).to.equal(BASE);
    });

    it("is base + slope1 exactly at the kink", async function () {
      const { model } = await networkHelpers.loadFixture(modelFixture);
      expect(await model.utilization(20n, 80n)).to.equal(KINK);
      expect(await model.borrowApr(20n, 80n)).to.equal(BASE + SLOPE1);
    });

    it("is base + slope1 + slope2 at 100% utilization", async function () {
      const { model } = await networkHelpers.loadFixture(modelFixture);
      expect(await model.borrowApr(0n, 1_000n)).to.equal(BASE + SLOPE1 + SLOPE2);
    });

    it("is linear on each side of the kink", async function () {
      const { model } = await networkHelpers.loadFixture(modelFixture);
      // Half way to the kink: u = 40%.
      expect(await model.borrowApr(60n, 40n)).to.equal(BASE + SLOPE1 / 2n);
      // Half way from the kink to 100%: u = 90%.
      expect(await model.borrowApr(10n, 90n)).to.equal(BASE + SLOPE1 + SLOPE2 / 2n);
    });

    it("matches the curve and is non-decreasing in utilization across 0–100%", async function () {
      const { model } = await networkHelpers.loadFixture(modelFixture);
      const total = 10n ** 12n;
      let last = -1n;
      // Dense around the kink, every 2.5% elsewhere.
      const points = new Set<bigint>();
      for (let i = 0n; i <= 40n; i++) points.add((total * i) / 40n);
      for (let d = -5n; d <= 5n; d++) points.add((total * KINK) / WAD + d);
      for (const debt of [...points].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
        const cash = total - debt;
        const apr = await model.borrowApr(cash, debt);
        expect(apr).to.equal(expectedApr(await model.utilization(cash, debt)));
        expect(apr).to.be.at.least(last);
        last = apr;
      }
      expect(last).to.equal(BASE + SLOPE1 + SLOPE2);
    });

    it("borrowRatePerSecond is the APR divided by 365 days, rounded down", async function () {
      const { model } = await networkHelpers.loadFixture(modelFixture);
      for (const [cash, debt] of [
        [1n, 0n],
        [20n, 80n],
        [0n, 1n],
        [333n, 667n],
      ] as const) {
        expect(await model.borrowRatePerSecond(cash, debt)).to.equal((await model.borrowApr(cash, debt)) / YEAR);
      }
    });
  });
});
