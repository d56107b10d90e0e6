/**
 * Issue 19, property 6: adding collateral and repaying always work.
 *
 * The review's attack: others fill a collateral's supply cap, and an indebted account heading for liquidation can no
 * longer top up: `depositCollateral` reverted `SupplyCapExceeded` for it like for anyone. Now a supply cap refuses only
 * deposits to accounts without debt. What an indebted account takes past the cap protects it (its liquidation limit
 * counts it) but lends it nothing while the asset stays above its cap, so the cap still bounds how much debt the asset
 * can back. The review of that change found three more holes, closed here: the mark froze the account's whole
 * holding (now only the units it added past the cap, which leave first); anyone who could borrow 1 wei could push the
 * asset over its cap again and freeze every marked account (now another's top-up suspends no more of an account than
 * it took past the cap itself); and 1 wei of debt carried any amount past the cap (now a holding past the cap backs at
 * most twice the account's debt). Only the account itself may go past the cap, and a cap of 0 stays a freeze.
 */
import { expect } from "chai";
import { AbiCoder, keccak256 } from "ethers";
import type { AddressLike } from "ethers";
import { network } from "hardhat";
import type { NetworkConnection } from "hardhat/types/network";

import { config, expectUnchanged, fundedMarketFixture, marketState, usd, wad } from "./helpers/vault.js";
import type { MarketFixture } from "./helpers/vault.js";
import { vaultSlot } from "./helpers/vaultSlots.js";

const { networkHelpers, ethers } = await network.create();

/** CollateralBook's slots in the vault, as VaultStorage reads them (an asset's terms at +2). */
const ASSETS_SLOT = vaultSlot("ASSETS");
const OVER_CAP_SLOT = vaultSlot("OVER_CAP");

/**
 * Units of `account`'s `asset` it added past the cap, read from the vault's storage as VaultStorage.overCapOf reads it:
 * an entry of an earlier cap epoch (bits 192–255, against the asset's terms word's) is void.
 */
async function overCapOf(f: MarketFixture, account: AddressLike, asset: AddressLike): Promise<bigint> {
  const coder = AbiCoder.defaultAbiCoder();
  const [who, token] = [await ethers.resolveAddress(account), await ethers.resolveAddress(asset)];
  const inner = keccak256(coder.encode(["address", "uint256"], [who, OVER_CAP_SLOT]));
  const entry = BigInt(await f.vault.extsload(keccak256(coder.encode(["address", "bytes32"], [token, inner]))));
  const assetSlot = BigInt(keccak256(coder.encode(["address", "uint256"], [token, ASSETS_SLOT])));
  const terms = BigInt(await f.vault.extsload(ethers.toBeHex(assetSlot + 2n, 32)));
  return entry >> 192n === terms >> 192n ? entry & ((1n << 192n) - 1n) : 0n;
}

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

  it("what she took past the cap lends her nothing while WETH stays above it; what she held before still lends", async function () {
    const f = await networkHelpers.loadFixture(fullCapFixture);
    const { vault, weth, alice, bob } = f;
    await vault.connect(alice).depositCollateral(weth, wad("5"), alice.address);
    expect(await overCapOf(f, alice, weth)).to.equal(wad("5"));
    // Her 10 WETH from under the cap still lend ($24,000 at 80%); the 5 past it do not.
    expect((await vault.accountLiquidity(alice.address)).borrowLimit).to.equal(usd("24000") * 10n ** 12n);
    await vault.connect(alice).borrow(usd("3999"), alice.address); // to her limit, less a dollar for interest
    await expect(vault.connect(alice).borrow(usd("2"), alice.address)).to.be.revertedWithCustomError(
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

  // Review of property 6: the mark froze the account's whole holding, and anyone able to borrow 1 wei could push the
  // asset over its cap again and freeze every marked account's borrow power.
  it("another account's top-up past the cap suspends no more of hers than she herself took past it", async function () {
    const f = await networkHelpers.loadFixture(fullCapFixture);
    const { vault, weth, wbtc, alice, bob, attacker } = f;
    await vault.connect(alice).depositCollateral(weth, wad("5"), alice.address);
    await vault.connect(bob).withdrawCollateral(weth, wad("3"), bob.address); // WETH 2 past its cap: 13 of her 15 lend
    expect((await vault.accountLiquidity(alice.address)).borrowLimit).to.equal(usd("31200") * 10n ** 12n);
    await vault.connect(attacker).depositCollateral(wbtc, 10n ** 6n, attacker.address); // 0.01 WBTC, $600
    await vault.connect(attacker).borrow(usd("400"), attacker.address);
    await vault.connect(attacker).depositCollateral(weth, wad("0.3"), attacker.address); // WETH 2.3 past its cap
    // 12.7 of her 15 WETH lend ($30,480 at 80%): the attacker's 0.3 suspended 0.3 of hers, never more than her 5.
    expect((await vault.accountLiquidity(alice.address)).borrowLimit).to.equal(usd("30480") * 10n ** 12n);
  });

  // Review of this change: an entry outlived the asset's return within its cap, so anyone able to take the asset past
  // it again (with a small debt, for a block) re-suspended the victim's units, which by then lent again.
  it("an entry from before the asset was back within its cap is void: a new top-up past it suspends none of hers", async function () {
    const f = await networkHelpers.loadFixture(fullCapFixture);
    const { vault, weth, wbtc, alice, bob, attacker } = f;
    await vault.connect(alice).depositCollateral(weth, wad("5"), alice.address);
    await vault.connect(bob).withdrawCollateral(weth, wad("10"), bob.address); // WETH at 15: within its cap of 20
    await vault.connect(attacker).depositCollateral(wbtc, 10n ** 6n, attacker.address);
    await vault.connect(attacker).borrow(usd("400"), attacker.address);
    await vault.connect(attacker).depositCollateral(weth, wad("5.3"), attacker.address); // 0.3 past the cap again
    expect(await overCapOf(f, alice, weth)).to.equal(0n);
    expect(await overCapOf(f, attacker, weth)).to.equal(wad("0.3"));
    expect((await vault.accountLiquidity(alice.address)).borrowLimit).to.equal(usd("36000") * 10n ** 12n);
  });

  it("what she took past the cap leaves first: a withdrawal keeps what lends", async function () {
    const f = await networkHelpers.loadFixture(fullCapFixture);
    const { vault, weth, wbtc, alice, attacker } = f;
    await vault.connect(alice).depositCollateral(weth, wad("5"), alice.address);
    await vault.connect(attacker).depositCollateral(wbtc, 10n ** 6n, attacker.address);
    await vault.connect(attacker).borrow(usd("400"), attacker.address);
    await vault.connect(attacker).depositCollateral(weth, wad("0.3"), attacker.address);
    // She takes 2 out (they lend nothing, so she may): 3 left past the cap, WETH still 3.3 above it; her 10 lend.
    await vault.connect(alice).withdrawCollateral(weth, wad("2"), alice.address);
    expect(await overCapOf(f, alice, weth)).to.equal(wad("3"));
    expect((await vault.accountLiquidity(alice.address)).borrowLimit).to.equal(usd("24000") * 10n ** 12n);
    // The rest out, the mark goes with it.
    await vault.connect(alice).withdrawCollateral(weth, wad("3"), alice.address);
    expect(await overCapOf(f, alice, weth)).to.equal(0n);
  });

  // Review of property 6: with 1 wei of debt an account could pile any amount past the cap.
  it("borrowing 1 wei carries nothing past the cap: a holding past it backs at most twice the debt", async function () {
    const f = await networkHelpers.loadFixture(fullCapFixture);
    const { vault, weth, wbtc, attacker } = f;
    await vault.connect(attacker).depositCollateral(wbtc, 10n ** 6n, attacker.address); // 0.01 WBTC, $600
    await vault.connect(attacker).borrow(1n, attacker.address);
    await expect(vault.connect(attacker).depositCollateral(weth, wad("100"), attacker.address))
      .to.be.revertedWithCustomError(vault, "SupplyCapExceeded")
      .withArgs(await weth.getAddress(), wad("20"), wad("120"));
    // Owing $400, it may hold past the cap what backs $800 at WETH's 85% threshold: 0.3137 WETH at $3000.
    await vault.connect(attacker).borrow(usd("400") - 1n, attacker.address);
    await expect(
      vault.connect(attacker).depositCollateral(weth, wad("0.32"), attacker.address),
    ).to.be.revertedWithCustomError(vault, "SupplyCapExceeded");
    await vault.connect(attacker).depositCollateral(weth, wad("0.3"), attacker.address);
    expect(await overCapOf(f, attacker, weth)).to.equal(wad("0.3"));
    const liq = await vault.accountLiquidity(attacker.address);
    expect(liq.liquidationLimit).to.be.greaterThan(wad("765")); // it protects the account
    expect(liq.borrowLimit).to.be.lessThan(wad("600")); // the WBTC's limit only
    await expect(vault.connect(attacker).borrow(usd("100"), attacker.address)).to.be.revertedWithCustomError(
      vault,
      "BorrowLimitExceeded",
    );
  });

  it("a top-up past the cap needs both prices: with WETH's feed failed it is refused (PriceNotOk)", async function () {
    const f = await networkHelpers.loadFixture(fullCapFixture);
    const { vault, oracle, weth, alice } = f;
    await oracle.setPriceData(weth, 0n, 0n, 2n, 2n); // FAILED, FEED_REVERTED
    await expect(vault.connect(alice).depositCollateral(weth, wad("1"), alice.address)).to.be.revertedWithCustomError(
      vault,
      "PriceNotOk",
    );
  });

  // Found by the invariant handler: the bound read the prices before the freeze was checked, so a cap of 0 with a
  // failed feed refused with the price's error instead of the cap's.
  it("a cap of 0 refuses with SupplyCapExceeded whatever the prices", async function () {
    const f = await networkHelpers.loadFixture(fullCapFixture);
    const { vault, oracle, weth, alice } = f;
    await vault.connect(f.owner).setCollateralConfig(weth, config(0n, wad("0.8"), wad("0.85")));
    await oracle.setPriceData(weth, 0n, 0n, 2n, 2n); // FAILED, FEED_REVERTED
    await expect(vault.connect(alice).depositCollateral(weth, wad("1"), alice.address)).to.be.revertedWithCustomError(
      vault,
      "SupplyCapExceeded",
    );
  });

  it("a write-off takes the holding past the cap with the rest", async function () {
    const f = await networkHelpers.loadFixture(fullCapFixture);
    const { vault, engine, oracle, weth, alice } = f;
    await vault.connect(alice).depositCollateral(weth, wad("1"), alice.address);
    await oracle.setPrice(weth, wad("5")); // $55 of WETH for 20,000 owed: dust collateral, insolvent
    await engine.writeOff(alice);
    expect(await vault.collateralOf(alice, weth)).to.equal(0n);
    expect(await overCapOf(f, alice, weth)).to.equal(0n);
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
