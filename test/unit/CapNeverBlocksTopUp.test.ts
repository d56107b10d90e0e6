/**
 * Issue 19, property 6: adding collateral and repaying always work.
 *
 * The review's attack: others fill a collateral's supply cap, and an indebted account heading for liquidation can no
 * longer top up: `depositCollateral` reverted `SupplyCapExceeded` for it like for anyone. Now a supply cap refuses only
 * deposits to accounts without debt. What an indebted account takes past the cap protects it (its liquidation limit
 * counts it) but lends it nothing while the asset stays above its cap, so the cap still bounds how much debt the asset
 * can back: borrowing 1 wei to slip a large deposit past the cap, then borrowing against it, is refused. Only the
 * account itself may go past the cap (nobody can freeze another's borrow power with 1 wei), and a cap of 0 stays a
 * freeze (found by the review of this change).
 */
import { expect } from "chai";
import { MaxUint256 } from "ethers";
import { network } from "hardhat";
import type { NetworkConnection } from "hardhat/types/network";

import { config, expectUnchanged, fundedMarketFixture, marketState, usd, wad } from "./helpers/vault.js";
import type { MarketFixture } from "./helpers/vault.js";

const { networkHelpers } = await network.create();

/**
 * WETH capped at 20: alice holds 10 and owes 20,000 USDC (limit 24,000 at $3000, threshold 85%); bob holds 10 with no
 * debt. The cap is full.
 */
async function fullCapFixture(connection: NetworkConnection): Promise<MarketFixture> {
  const f = await fundedMarketFixture(connection);
  await f.vault.connect(f.owner).setCollateralConfig(f.weth, config(wad("20"), wad("0.8"), wad("0.85")));
  await f.vault.connect(f.alice).depositCollateral(f.weth, wad("10"), f.alice.address);
  await f.vault.connect(f.alice).borrow(usd("20000"), f.alice.address);
  await f.vault.connect(f.bob).depositCollateral(f.weth, wad("10"), f.bob.address);
  return f;
}

describe("Adding collateral and repaying always work (issue 19, property 6)", function () {
  it("a cap filled by others does not block an indebted account's top-up; it raises her liquidation limit", async function () {
    const f = await networkHelpers.loadFixture(fullCapFixture);
    const { vault, lens, oracle, weth, alice } = f;
    await oracle.setPrice(weth, wad("2400")); // health 10 × 2400 × 0.85 / 20,000 = 1.02
    const before = await vault.accountLiquidity(alice.address);
    await vault.connect(alice).depositCollateral(weth, wad("5"), alice.address);
    expect((await lens.collateralInfo(vault, weth)).totalDeposited).to.equal(wad("25"));
    const after = await vault.accountLiquidity(alice.address);
    expect(after.liquidationLimit).to.equal((before.liquidationLimit * 15n) / 10n);
    // Only she may take her holding past the cap: a third party's 1 wei cannot freeze her borrow power.
    await expect(vault.connect(f.borrower).depositCollateral(weth, 1n, alice.address)).to.be.revertedWithCustomError(
      vault,
      "SupplyCapExceeded",
    );
  });

  it("an account without debt is still held to the cap", async function () {
    const f = await networkHelpers.loadFixture(fullCapFixture);
    const { vault, weth, bob } = f;
    await expectUnchanged(marketState(f), async () => {
      await expect(vault.connect(bob).depositCollateral(weth, 1n, bob.address))
        .to.be.revertedWithCustomError(vault, "SupplyCapExceeded")
        .withArgs(await weth.getAddress(), wad("20"), wad("20") + 1n);
    });
  });

  it("what she took past the cap lends her nothing while WETH stays above it; once back under, it lends again", async function () {
    const f = await networkHelpers.loadFixture(fullCapFixture);
    const { vault, weth, alice, bob } = f;
    await vault.connect(alice).depositCollateral(weth, wad("5"), alice.address);
    expect((await vault.accountLiquidity(alice.address)).borrowLimit).to.equal(0n);
    await expect(vault.connect(alice).borrow(1n, alice.address)).to.be.revertedWithCustomError(
      vault,
      "BorrowLimitExceeded",
    );
    // Bob's WETH, deposited under the cap, still lends.
    await vault.connect(bob).borrow(usd("1000"), bob.address);
    // Bob takes 5 out: WETH is back at its cap of 20, and alice's 15 lend again ($36,000 at 80%).
    await vault.connect(bob).withdrawCollateral(weth, wad("5"), bob.address);
    expect((await vault.accountLiquidity(alice.address)).borrowLimit).to.equal(usd("36000") * 10n ** 12n);
    await vault.connect(alice).borrow(usd("1000"), alice.address);
  });

  it("borrowing 1 wei to slip a deposit past the cap does not lift it: the deposit backs no borrow", async function () {
    const f = await networkHelpers.loadFixture(fullCapFixture);
    const { vault, usdc, weth, wbtc, attacker } = f;
    await vault.connect(attacker).depositCollateral(wbtc, 10n ** 6n, attacker.address); // 0.01 WBTC, $600
    await vault.connect(attacker).borrow(1n, attacker.address);
    await vault.connect(attacker).depositCollateral(weth, wad("100"), attacker.address); // 5× the cap
    const liq = await vault.accountLiquidity(attacker.address);
    expect(liq.liquidationLimit).to.be.greaterThan(wad("250000")); // it protects the account
    expect(liq.borrowLimit).to.be.lessThan(wad("600")); // the WBTC's limit only
    await expect(vault.connect(attacker).borrow(usd("1000"), attacker.address)).to.be.revertedWithCustomError(
      vault,
      "BorrowLimitExceeded",
    );
    // Repaid and emptied, the mark goes with the holding: under the cap again, a fresh deposit lends.
    await usdc.connect(attacker).approve(vault, MaxUint256);
    await vault.connect(attacker).repay(MaxUint256, attacker.address);
    await vault.connect(attacker).withdrawCollateral(weth, MaxUint256, attacker.address);
    await vault.connect(f.bob).withdrawCollateral(weth, wad("5"), f.bob.address); // WETH total 15
    await vault.connect(attacker).depositCollateral(weth, wad("1"), attacker.address);
    await vault.connect(attacker).borrow(usd("1000"), attacker.address);
  });

  it("a cap of 0 stays a freeze: governance's stop for an asset it no longer trusts refuses even a top-up", async function () {
    const f = await networkHelpers.loadFixture(fullCapFixture);
    const { vault, weth, alice } = f;
    await vault.connect(f.owner).setCollateralConfig(weth, config(0n, wad("0.8"), wad("0.85")));
    await expect(vault.connect(alice).depositCollateral(weth, wad("1"), alice.address))
      .to.be.revertedWithCustomError(vault, "SupplyCapExceeded")
      .withArgs(await weth.getAddress(), 0n, wad("21"));
  });
});
