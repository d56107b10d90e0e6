/**
 * A borrower's outflow credit lives in its position word (issue 21): `LendingBook.Position` packs the scaled debt
 * (bits 0–95), the circuit breaker's borrower credit word (96–223: a deposit credit word's format, the bucket start
 * above an int96 net) and the holding bits (224–255), so a first borrow writes one slot its collateral deposit already
 * set, not a new slot in the breaker. The breaker computes every word; the vault stores what it returns. The attacks:
 * - a repayment that makes room for someone else's borrow, or a borrow-and-repay loop that uses up the shared limit
 *   (the refund must reach the shared count, the credit only its own account);
 * - credit read where none was earned (a stale bucket), or more credit than was repaid (a net past the word's int96);
 * - a broken breaker that stops a repayment or plants a credit word (INV-27: test/unit/DepositCredit.test.ts runs
 *   every broken mode against the position's word too).
 */
import { expect } from "chai";
import { AbiCoder, keccak256 } from "ethers";
import type { AddressLike } from "ethers";
import { network } from "hardhat";

import type { NetworkConnection } from "hardhat/types/network";

import type { CollateralVault } from "../../typechain-types/index.js";
import { fundedMarketFixture, usd, wad } from "./helpers/vault.js";
import { vaultSlot } from "./helpers/vaultSlots.js";

const { ethers, networkHelpers } = await network.create();
const coder = AbiCoder.defaultAbiCoder();
/** A credit word split into its bucket start and its net (int96). */
function creditWord(word: bigint): { start: bigint; net: bigint } {
  const raw = word & ((1n << 96n) - 1n);
  return { start: word >> 96n, net: raw >= 1n << 95n ? raw - (1n << 96n) : raw };
}

/** `account`'s position word split into its fields, read from the vault's storage as VaultStorage reads it. */
async function position(vault: CollateralVault, account: AddressLike) {
  const who = await ethers.resolveAddress(account);
  const slot = keccak256(coder.encode(["address", "uint256"], [who, vaultSlot("POSITION")]));
  const word = BigInt(await vault.extsload(slot));
  const credit = (word >> 96n) & ((1n << 128n) - 1n);
  return { scaled: word & ((1n << 96n) - 1n), credit, ...creditWord(credit), holdings: word >> 224n };
}

describe("borrower credit in the position word", function () {
  it("a borrow writes its net into the word beside its debt; a repayment in the bucket refunds the shared count by as much", async function () {
    const f = await networkHelpers.loadFixture(borrowFixture);
    const { vault, breaker, usdc, lens, alice } = f;
    const used = async () => (await breaker.entry(usdc)).outflowUsed;
    const used0 = await used();

    await vault.connect(alice).borrow(usd("50000"), alice.address);
    let word = await position(vault, alice);
    expect(word.scaled).to.equal(await lens.scaledDebtOf(vault, alice.address));
    expect(word.net).to.equal(usd("50000"));
    const now = BigInt((await ethers.provider.getBlock("latest"))?.timestamp ?? 0);
    expect(word.start).to.be.greaterThan(0n).and.at.most(now);
    expect(word.holdings).to.equal(1n); // WETH, asset 0: the credit touched no holding bit
    expect(await used()).to.equal(used0 + usd("50000"));

    // A loop of borrow and repay nets to nothing in the shared count: each repayment refunds its own borrow.
    for (let i = 0; i < 3; i++) {
      await vault.connect(alice).repay(usd("20000"), alice.address);
      await vault.connect(alice).borrow(usd("20000"), alice.address);
    }
    expect(await used()).to.equal(used0 + usd("50000"));
    word = await position(vault, alice);
    expect(word.net).to.equal(usd("50000"));
    expect(word.scaled).to.equal(await lens.scaledDebtOf(vault, alice.address));
  });

  it("a repayment's credit covers only its own account's next borrow, and only in its bucket", async function () {
    const f = await networkHelpers.loadFixture(borrowFixture);
    const { vault, breaker, usdc, alice, bob } = f;
    const used = async () => (await breaker.entry(usdc)).outflowUsed;
    await vault.connect(alice).borrow(usd("50000"), alice.address);
    await vault.connect(bob).borrow(usd("1000"), bob.address);
    // A new bucket: the borrows above are stale in both words.
    const { outflowWindow } = await breaker.assetParams(usdc);
    await networkHelpers.time.increase(outflowWindow);

    await vault.connect(alice).repay(usd("20000"), alice.address);
    const credit = await position(vault, alice);
    expect(credit.net).to.equal(-usd("20000")); // no refund of a stale borrow: all of it is credit
    const base = await used();

    await vault.connect(bob).borrow(usd("1000"), bob.address); // Alice's credit is not Bob's
    expect(await used()).to.equal(base + usd("1000"));
    await vault.connect(alice).borrow(usd("15000"), alice.address); // covered: nothing counts
    expect(await used()).to.equal(base + usd("1000"));
    expect((await position(vault, alice)).net).to.equal(-usd("5000"));
    await vault.connect(alice).borrow(usd("10000"), alice.address); // 5,000 covered, 5,000 counts
    expect(await used()).to.equal(base + usd("6000"));
    expect((await position(vault, alice)).net).to.equal(usd("5000"));

    // Another bucket later the credit is gone: a repayment's credit never outlives its bucket.
    await vault.connect(alice).repay(usd("30000"), alice.address);
    expect((await position(vault, alice)).net).to.equal(usd("5000") - usd("30000"));
    await networkHelpers.time.increase(outflowWindow);
    const later = await used();
    await vault.connect(alice).borrow(usd("1000"), alice.address);
    expect(await used()).to.equal(later + usd("1000"));
    expect((await position(vault, alice)).net).to.equal(usd("1000"));
  });

  it("a net past 2^95 saturates on the protocol's side: a repayment refunds at most 2^95 − 1 of a larger borrow, and credits at most 2^95", async function () {
    const f = await networkHelpers.loadFixture(borrowFixture);
    const { vault, breaker, usdc } = f;
    const vaultAddress = await vault.getAddress();
    await networkHelpers.impersonateAccount(vaultAddress);
    await networkHelpers.setBalance(vaultAddress, wad("1"));
    const asVault = breaker.connect(await ethers.getSigner(vaultAddress));
    const cash = 2n ** 105n;
    const used = async () => (await breaker.entry(usdc)).outflowUsed;
    const used0 = await used();

    const big = 2n ** 100n;
    const afterBorrow = await asVault.beforeBorrow.staticCall(big, cash, 0n);
    await asVault.beforeBorrow(big, cash, 0n);
    expect(creditWord(afterBorrow).net).to.equal(2n ** 95n - 1n); // int96's most
    expect(await used()).to.equal(used0 + big); // the shared count records all of it
    const afterRepay = await asVault.onRepay.staticCall(big, cash, afterBorrow);
    await asVault.onRepay(big, cash, afterBorrow);
    expect(await used()).to.equal(used0 + big - (2n ** 95n - 1n)); // refunded only what the word kept
    expect(creditWord(afterRepay).net).to.equal(-(2n ** 95n)); // int96's least: the rest credits nothing
  });

  /** The funded market with Alice and Bob each holding 100 WETH ($300,000): room to borrow, nothing borrowed. */
  async function borrowFixture(connection: NetworkConnection) {
    const f = await fundedMarketFixture(connection);
    for (const who of [f.alice, f.bob]) await f.vault.connect(who).depositCollateral(f.weth, wad("100"), who.address);
    return f;
  }
});
