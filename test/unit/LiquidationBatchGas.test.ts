/**
 * A batch must never turn a low gas limit into silently skipped liquidations. Found by `npm run bench`: ethers'
 * estimateGas searched down to a limit at which the last items failed inside try/catch (the oracle adapter refuses
 * to read a feed without its gas budget) and the batch "succeeded" with them skipped.
 */
import { expect } from "chai";
import { MaxUint256 } from "ethers";
import { network } from "hardhat";
import type { NetworkConnection } from "hardhat/types/network";

import { fundedMarketFixture, usd, wad } from "./helpers/vault.js";
import type { MarketFixture } from "./helpers/vault.js";

const connection = await network.create();
const { networkHelpers } = connection;

const ACCOUNTS = 6;

/** Six borrowers at 1 WETH / 2,300 USDC each, WETH down to 2,650: all liquidatable. */
async function crashedFixture(c: NetworkConnection): Promise<MarketFixture & { borrowers: string[] }> {
  const f = await fundedMarketFixture(c);
  const signers = (await c.ethers.getSigners()).slice(8, 8 + ACCOUNTS);
  for (const s of signers) {
    await f.weth.mint(s.address, wad("1"));
    await f.weth.connect(s).approve(f.vault, MaxUint256);
    await f.vault.connect(s).depositCollateral(f.weth, wad("1"), s.address);
    await f.vault.connect(s).borrow(usd("2300"), s.address);
  }
  await f.oracle.setPrice(f.weth, wad("2650"));
  await f.usdc.connect(f.alice).approve(f.vault, MaxUint256);
  return { ...f, borrowers: signers.map((s) => s.address) };
}

describe("LiquidationEngine: batches and gas", function () {
  it("a batch sent with its estimated gas liquidates every account (none skipped)", async function () {
    const f = await networkHelpers.loadFixture(crashedFixture);
    const orders = f.borrowers.map((borrower) => ({ borrower, collateral: f.weth.target, maxRepay: MaxUint256 }));
    const tx = await f.engine.connect(f.alice).liquidateBatch(orders, f.alice.address, "0x");
    await expect(tx).not.to.emit(f.engine, "LiquidationSkipped");
    for (const borrower of f.borrowers) expect(await f.vault.isLiquidatable(borrower)).to.equal(false);
  });

  it("with too little gas the whole batch reverts with BatchOutOfGas instead of skipping items", async function () {
    const f = await networkHelpers.loadFixture(crashedFixture);
    const orders = f.borrowers.map((borrower) => ({ borrower, collateral: f.weth.target, maxRepay: MaxUint256 }));
    const needed = await f.engine.connect(f.alice).liquidateBatch.estimateGas(orders, f.alice.address, "0x");
    const debtsBefore = await Promise.all(f.borrowers.map((b) => f.vault.debtOf(b)));
    // Enough for the first items, not for all of them.
    for (const gasLimit of [needed / 2n, needed - 150_000n]) {
      await expect(
        f.engine.connect(f.alice).liquidateBatch(orders, f.alice.address, "0x", { gasLimit }),
      ).to.be.revertedWithCustomError(f.engine, "BatchOutOfGas");
    }
    expect(await Promise.all(f.borrowers.map((b) => f.vault.debtOf(b)))).to.deep.equal(debtsBefore);
  });

  it("a genuinely failing item is still skipped, and the rest go through", async function () {
    const f = await networkHelpers.loadFixture(crashedFixture);
    const orders = f.borrowers.map((borrower) => ({ borrower, collateral: f.weth.target, maxRepay: MaxUint256 }));
    orders[2] = { borrower: f.lender.address, collateral: f.weth.target, maxRepay: MaxUint256 }; // no debt
    const tx = await f.engine.connect(f.alice).liquidateBatch(orders, f.alice.address, "0x");
    await expect(tx).to.emit(f.engine, "LiquidationSkipped");
    const receipt = await tx.wait();
    const skipped = receipt?.logs.filter(
      (l) => l.topics[0] === f.engine.interface.getEvent("LiquidationSkipped").topicHash,
    );
    expect(skipped).to.have.length(1);
  });
});
