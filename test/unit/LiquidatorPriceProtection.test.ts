/**
 * Issue 19, property 11: liquidators have price protection.
 *
 * The review's point: `liquidate` took no minimum, so a keeper that priced a liquidation off-chain had no defence
 * against what changed before its transaction landed — a repayment or another liquidation ahead of it, a price round
 * in between — and could be paid far less collateral than it quoted for the debt it repaid. `liquidateWithMinSeize`
 * takes the least collateral the keeper accepts (as Euler's `minYieldBalance`): anything less reverts, and the revert
 * leaves everything as it was.
 */
import { expect } from "chai";
import { MaxUint256 } from "ethers";
import { network } from "hardhat";

import { liquidationFixture, liquidationState } from "./helpers/liquidationModel.js";
import { expectUnchanged, usd, wad } from "./helpers/vault.js";

const { networkHelpers } = await network.create();

describe("Liquidators have price protection (issue 19, property 11)", function () {
  it("seizes what was quoted when nothing moved: the minimum is met exactly", async function () {
    const f = await networkHelpers.loadFixture(liquidationFixture);
    const { engine, oracle, weth, alice, bob } = f;
    await oracle.setPrice(weth, wad("2700"));
    const quote = await engine.previewLiquidation(alice, weth, MaxUint256);
    await expect(engine.connect(bob).liquidateWithMinSeize(alice, weth, MaxUint256, bob.address, quote.seize))
      .to.emit(engine, "LiquidationExecuted")
      .withArgs(
        alice.address,
        await weth.getAddress(),
        bob.address,
        quote.repay,
        quote.seize,
        quote.fee,
        quote.bonus,
        quote.health,
      );
  });

  it("a repayment front-running the keeper shrinks the liquidation: below its minimum, it reverts and changes nothing", async function () {
    const f = await networkHelpers.loadFixture(liquidationFixture);
    const { vault, engine, oracle, usdc, weth, alice, bob } = f;
    await oracle.setPrice(weth, wad("2700"));
    const quoted = await engine.previewLiquidation(alice, weth, MaxUint256);
    // Alice repays most of her debt first (still just unhealthy): the same call now seizes far less.
    await usdc.connect(alice).approve(vault, MaxUint256);
    await vault.connect(alice).repay(usd("1000"), alice.address);
    const now = await engine.previewLiquidation(alice, weth, MaxUint256);
    expect(now.seize).to.be.lessThan(quoted.seize);
    await expectUnchanged(liquidationState(f), async () => {
      await expect(engine.connect(bob).liquidateWithMinSeize(alice, weth, MaxUint256, bob.address, quoted.seize))
        .to.be.revertedWithCustomError(engine, "SeizeBelowMinimum")
        .withArgs(now.seize, quoted.seize);
    });
  });

  it("refuses a zero receiver like liquidate", async function () {
    const f = await networkHelpers.loadFixture(liquidationFixture);
    const { engine, oracle, weth, alice, bob } = f;
    await oracle.setPrice(weth, wad("2700"));
    await expect(
      engine
        .connect(bob)
        .liquidateWithMinSeize(alice, weth, MaxUint256, "0x0000000000000000000000000000000000000000", 0n),
    ).to.be.revertedWithCustomError(engine, "ZeroAddress");
  });
});
