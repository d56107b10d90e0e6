/**
 * Rounding between what a liquidator pays and the debt the vault removes. Found by `npm run fuzz` (seed 0x5eed4, the
 * replay in test/regressions/): with interest accrued (borrow index above 1), the vault burns scaled debt rounded
 * down, so a repayment can remove a unit or two less debt than it pays — a 1-unit repayment removes none. Seizure
 * used to be priced on the amount paid, so such a liquidation took collateral for no debt and lowered health.
 * It is now priced on the debt actually removed.
 */
import { expect } from "chai";
import { MaxUint256 } from "ethers";
import { network } from "hardhat";
import type { NetworkConnection } from "hardhat/types/network";

import { deployZeroRateModel, fundedMarketFixture, usd, wad, YEAR } from "./helpers/vault.js";
import type { MarketFixture } from "./helpers/vault.js";

const connection = await network.create();
const { networkHelpers } = connection;

/**
 * Alice: 10 WETH against 23,000 USDC, a year of interest (index ≈ 1.001), then interest frozen (a zero-rate model,
 * so health compares across blocks) and WETH at 2,700: health ≈ 0.997.
 */
async function accruedFixture(c: NetworkConnection): Promise<MarketFixture> {
  const f = await fundedMarketFixture(c);
  await f.vault.connect(f.alice).depositCollateral(f.weth, wad("10"), f.alice.address);
  await f.vault.connect(f.alice).borrow(usd("23000"), f.alice.address);
  await c.networkHelpers.time.increase(Number(YEAR));
  await f.vault.connect(f.owner).setInterestRateModel(await deployZeroRateModel(c.ethers));
  await f.oracle.setPrice(f.weth, wad("2700"));
  return f;
}

describe("LiquidationEngine: rounding of the debt a repayment removes", function () {
  it("the borrow index is above 1, so a 1-unit repayment removes no scaled debt", async function () {
    const f = await networkHelpers.loadFixture(accruedFixture);
    expect(await f.vault.borrowIndex()).to.be.greaterThan(10n ** 27n);
    expect(await f.vault.isLiquidatable(f.alice.address)).to.equal(true);
  });

  it("a 1-unit liquidation seizes nothing for nothing: LiquidationTooSmall, not collateral for no debt", async function () {
    const f = await networkHelpers.loadFixture(accruedFixture);
    await expect(f.engine.connect(f.bob).liquidate(f.alice.address, f.weth, 1n, f.bob.address))
      .to.be.revertedWithCustomError(f.engine, "LiquidationTooSmall")
      .withArgs(1n, 0n);
  });

  it("small partial liquidations never lower health and never seize more than the debt they remove allows", async function () {
    const f = await networkHelpers.loadFixture(accruedFixture);
    const { vault, lens, engine, weth, alice, bob } = f;
    for (const maxRepay of [2n, 3n, 7n, 100n, usd("1"), usd("250")]) {
      const healthBefore = await lens.healthFactor(vault, alice.address);
      const debtBefore = await vault.debtOf(alice.address);
      const heldBefore = await vault.collateralOf(alice.address, weth);
      const q = await engine.previewLiquidation(alice.address, weth, maxRepay).catch(() => undefined);
      if (q === undefined) continue; // too small to seize anything
      const receipt = await (await engine.connect(bob).liquidate(alice.address, weth, maxRepay, bob.address)).wait();
      const topic = engine.interface.getEvent("LiquidationExecuted").topicHash;
      const log = receipt?.logs.find((l) => l.topics[0] === topic);
      const bonus = log === undefined ? 0n : (engine.interface.parseLog(log)?.args[6] as bigint); // as executed
      const removed = debtBefore - (await vault.debtOf(alice.address));
      const seized = heldBefore - (await vault.collateralOf(alice.address, weth));
      expect(await lens.healthFactor(vault, alice.address), `maxRepay ${maxRepay}`).to.be.greaterThanOrEqual(
        healthBefore,
      );
      // Seized value ≤ removed debt × (1 + bonus): 1 USDC unit is $1e-6, WETH at $2,700.
      const seizedValue = (seized * 2700n * 10n ** 18n) / 10n ** 18n;
      const removedValue = removed * 10n ** 12n;
      expect(seizedValue * 10n ** 18n, `maxRepay ${maxRepay}`).to.be.lessThanOrEqual(
        removedValue * (10n ** 18n + bonus),
      );
    }
  });

  it("a full liquidation still repays exactly the debt", async function () {
    const f = await networkHelpers.loadFixture(accruedFixture);
    await f.oracle.setPrice(f.weth, wad("2400")); // health ≈ 0.886, collateral ≈ 1.04 × debt: close in full
    const debt = await f.vault.debtOf(f.alice.address);
    const q = await f.engine.previewLiquidation(f.alice.address, f.weth, MaxUint256);
    expect(q.repay).to.equal(debt);
  });
});
