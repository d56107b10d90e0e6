/**
 * An account's position word (`LendingBook.Position`): its scaled debt (bits 0–95), the circuit breaker's borrower
 * credit word (96–223; its rules are test/unit/BorrowCredit.test.ts's), the collateral it holds (bit 224 + i: asset
 * i) and what it holds past a supply cap (bit 240 + i), in one slot, so that a borrow writes a slot its collateral
 * already set and a valuation reads debt and holdings at once (issue 21).
 *
 * The attacks on packing, each a test: a bit of one field landing in another (asset 15 sets the highest holding bit,
 * next to the past-cap field), a holding or past-cap bit left behind by a withdrawal, a full repayment or a write-off
 * (a stale holding bit would make the valuation read an asset the account no longer holds; a stale past-cap bit would
 * suspend a later holding's borrow power), and a debt change that touches a collateral bit.
 */
import { expect } from "chai";
import { AbiCoder, keccak256, MaxUint256 } from "ethers";
import type { AddressLike } from "ethers";
import { network } from "hardhat";
import type { NetworkConnection } from "hardhat/types/network";

import {
  DEFAULT_COLLATERALS,
  deployMarket,
  PERMISSIVE_TRIGGERS,
  type CollateralParams,
} from "../../scripts/lib/testMarket.js";
import { usd, wad } from "../../scripts/lib/units.js";
import { vaultSlot } from "./helpers/vaultSlots.js";

const { ethers, networkHelpers } = await network.create();
const coder = AbiCoder.defaultAbiCoder();

/** The vault's maximum: WETH and WBTC, then 18-decimal tokens at $100; the last (index 15) capped at 10 tokens. */
const SIXTEEN: readonly CollateralParams[] = [
  ...DEFAULT_COLLATERALS,
  ...Array.from({ length: 14 }, (_, i) => ({
    symbol: `TKN${i + 2}`,
    decimals: 18,
    priceUsd: "100",
    borrowLtv: wad("0.70"),
    liquidationThreshold: wad("0.75"),
    liquidationBonus: wad("0.05"),
    supplyCap: i === 13 ? "10" : "1000000",
  })),
];

async function sixteenFixture({ ethers: e }: NetworkConnection) {
  const [owner, lender, alice, engine] = await e.getSigners();
  const market = await deployMarket(e, {
    owner,
    collaterals: SIXTEEN,
    assetTriggers: PERMISSIVE_TRIGGERS,
    baseTriggers: PERMISSIVE_TRIGGERS,
  });
  const { vault, usdc } = market;
  const asset8 = market.collaterals.get("TKN8");
  const asset15 = market.collaterals.get("TKN15");
  if (asset8 === undefined || asset15 === undefined) throw new Error("no TKN8 or TKN15");
  expect(await vault.collateralAssets()).to.have.length(16);
  for (const [token, index] of [
    [asset8, 8n],
    [asset15, 15n],
  ] as const) {
    const terms = BigInt(
      await vault.extsload(
        ethers.toBeHex(
          BigInt(keccak256(coder.encode(["address", "uint256"], [await token.getAddress(), vaultSlot("ASSETS")]))) + 2n,
          32,
        ),
      ),
    );
    expect((terms >> 8n) & 0xffn, "the asset's index").to.equal(index);
  }
  await usdc.mint(lender.address, usd("1000000"));
  await usdc.connect(lender).approve(vault, MaxUint256);
  await vault.connect(lender).deposit(usd("1000000"), lender.address);
  for (const token of [asset8, asset15]) {
    await token.mint(alice.address, wad("100"));
    await token.connect(alice).approve(vault, MaxUint256);
  }
  await usdc.mint(alice.address, usd("10000"));
  await usdc.connect(alice).approve(vault, MaxUint256);
  return { ...market, asset8, asset15, owner, alice, engine };
}

/** The raw position word of `account`, read from the vault's storage as VaultStorage reads it. */
async function word(vault: { extsload(slot: string): Promise<string> }, account: AddressLike): Promise<bigint> {
  const who = await ethers.resolveAddress(account);
  return BigInt(await vault.extsload(keccak256(coder.encode(["address", "uint256"], [who, vaultSlot("POSITION")]))));
}

/** The word `scaled`, `holdings`, `pastCap` and the borrower credit word `credit` make, laid out as LendingBook.Position. */
const packed = (scaled: bigint, holdings: bigint, pastCap = 0n, credit = 0n): bigint =>
  scaled | (credit << 96n) | (holdings << 224n) | (pastCap << 240n);
/** The borrower credit word inside a position word (bits 96–223). */
const creditIn = (positionWord: bigint): bigint => (positionWord >> 96n) & ((1n << 128n) - 1n);
const BIT8 = 1n << 8n;
const BIT15 = 1n << 15n;

describe("The position word: scaled debt, holdings and past-cap bits in one slot", function () {
  it("assets 8 and 15 set their holding bits beside the scaled debt, and each leaves with its last unit", async function () {
    const f = await networkHelpers.loadFixture(sixteenFixture);
    const { vault, lens, asset8, asset15, alice } = f;
    await vault.connect(alice).depositCollateral(asset15, wad("5"), alice.address);
    expect(await word(vault, alice)).to.equal(packed(0n, BIT15));
    await vault.connect(alice).depositCollateral(asset8, wad("20"), alice.address);
    expect(await word(vault, alice)).to.equal(packed(0n, BIT8 | BIT15));

    await vault.connect(alice).borrow(usd("300"), alice.address); // asset 15 alone ($350 of limit) carries it
    const scaled = await lens.scaledDebtOf(vault, alice.address);
    expect(scaled).to.be.greaterThan(0n);
    const credit = creditIn(await word(vault, alice));
    expect(credit & ((1n << 96n) - 1n)).to.equal(usd("300")); // the borrow's net, beside the debt, not in it
    expect(await word(vault, alice)).to.equal(packed(scaled, BIT8 | BIT15, 0n, credit));

    // Part of asset 8 leaves: its bit stays; all of it: the bit goes, the debt, the credit and the other bit stay.
    await vault.connect(alice).withdrawCollateral(asset8, wad("1"), alice.address);
    expect(await word(vault, alice)).to.equal(packed(scaled, BIT8 | BIT15, 0n, credit));
    await vault.connect(alice).withdrawCollateral(asset8, MaxUint256, alice.address);
    expect(await word(vault, alice)).to.equal(packed(scaled, BIT15, 0n, credit));

    // A full repayment zeroes the debt field and moves the credit word (the repayment's own): no holding bit moves.
    await vault.connect(alice).repay(MaxUint256, alice.address);
    const repaid = creditIn(await word(vault, alice));
    expect(repaid).to.not.equal(credit);
    expect(await word(vault, alice)).to.equal(packed(0n, BIT15, 0n, repaid));
    await vault.connect(alice).withdrawCollateral(asset15, MaxUint256, alice.address);
    expect(await word(vault, alice)).to.equal(packed(0n, 0n, 0n, repaid));
  });

  it("a top-up of asset 15 past its cap sets past-cap bit 15; it leaves first, then the holding's bit", async function () {
    const f = await networkHelpers.loadFixture(sixteenFixture);
    const { vault, lens, asset8, asset15, alice } = f;
    await vault.connect(alice).depositCollateral(asset8, wad("50"), alice.address);
    await vault.connect(alice).depositCollateral(asset15, wad("10"), alice.address); // the cap, full
    await vault.connect(alice).borrow(usd("1000"), alice.address);
    const scaled = await lens.scaledDebtOf(vault, alice.address);
    const credit = creditIn(await word(vault, alice));
    await vault.connect(alice).depositCollateral(asset15, wad("2"), alice.address); // past the cap: hers, indebted
    expect(await word(vault, alice)).to.equal(packed(scaled, BIT8 | BIT15, BIT15, credit));

    await vault.connect(alice).withdrawCollateral(asset15, wad("1"), alice.address);
    expect(await word(vault, alice)).to.equal(packed(scaled, BIT8 | BIT15, BIT15, credit));
    await vault.connect(alice).withdrawCollateral(asset15, wad("1"), alice.address);
    expect(await word(vault, alice)).to.equal(packed(scaled, BIT8 | BIT15, 0n, credit));
    await vault.connect(alice).withdrawCollateral(asset15, MaxUint256, alice.address);
    expect(await word(vault, alice)).to.equal(packed(scaled, BIT8, 0n, credit));
  });

  it("a write-off clears the debt, every holding and past-cap bit and the over-cap entry: no bit outlives the account's collateral", async function () {
    const f = await networkHelpers.loadFixture(sixteenFixture);
    const { vault, lens, asset8, asset15, owner, alice, engine } = f;
    await vault.connect(alice).depositCollateral(asset8, wad("50"), alice.address);
    await vault.connect(alice).depositCollateral(asset15, wad("10"), alice.address);
    await vault.connect(alice).borrow(usd("1000"), alice.address);
    await vault.connect(alice).depositCollateral(asset15, wad("2"), alice.address);
    expect((await word(vault, alice)) >> 224n).to.equal(BIT8 | BIT15 | (BIT15 << 16n));

    // A plain signer as the engine, so the write-off can be called directly (the engine's own rules are tested
    // elsewhere): INV-16, the account ends with no debt and no collateral.
    await vault.connect(owner).setLiquidationEngine(engine.address);
    const credit = creditIn(await word(vault, alice));
    await vault.connect(engine).writeOffBadDebt(alice.address);
    // The borrower credit word stays: the breaker's record of the bucket's borrow, which covers only borrows.
    expect(await word(vault, alice)).to.equal(packed(0n, 0n, 0n, credit));
    const inner = keccak256(coder.encode(["address", "uint256"], [alice.address, vaultSlot("OVER_CAP")]));
    const entry = keccak256(coder.encode(["address", "bytes32"], [await asset15.getAddress(), inner]));
    expect(BigInt(await vault.extsload(entry))).to.equal(0n);
    for (const token of [asset8, asset15]) expect(await vault.collateralOf(alice.address, token)).to.equal(0n);
    expect(await lens.protocolCollateral(vault, asset15)).to.equal(wad("12"));

    // A new deposit starts from a clean word: nothing it did not add is suspended or valued.
    await vault.connect(alice).depositCollateral(asset8, wad("1"), alice.address);
    expect(await word(vault, alice)).to.equal(packed(0n, BIT8, 0n, credit));
  });
});
