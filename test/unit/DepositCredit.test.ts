/**
 * A deposit's outflow credit lives beside the balance it credits (issue 21): a lender's shares and an account's holding
 * of a collateral are each one slot, `LendingBook.Balance` (the amount in bits 0–127, the circuit breaker's credit word
 * in 128–255). The breaker computes every word; the vault stores what it returns. The attacks:
 * - a credit that outgrows its word (more credit than the deposit, or credit read where none was earned);
 * - a broken breaker that stops a repayment, a collateral deposit or a share transfer, or that costs them its return
 *   data, or plants a word of it as credit (INV-27: those paths must go through whatever the breaker does; a
 *   repayment's word is the borrower's, in its position word).
 */
import { expect } from "chai";
import { AbiCoder, keccak256, MaxUint256 } from "ethers";
import { network } from "hardhat";

import {
  collateral,
  DEFAULT_ASSET_TRIGGERS,
  DEFAULT_BASE_TRIGGERS,
  DEFAULT_BREAKER_PARAMS,
  DEFAULT_COLLATERALS,
  deployMarket,
} from "../../scripts/lib/testMarket.js";
import { deployCollateralVault } from "../../scripts/lib/vaultLibraries.js";
import type { CollateralVault } from "../../typechain-types/index.js";
import { borrowedMarketFixture, usd, wad } from "./helpers/vault.js";
import { breakerFixture, COOLDOWN, expectPaid, expectQueued } from "./helpers/breaker.js";
import { vaultSlot } from "./helpers/vaultSlots.js";

const { ethers, networkHelpers } = await network.create();
const coder = AbiCoder.defaultAbiCoder();
const MASK_128 = (1n << 128n) - 1n;

/** The slot of `key`'s entry in the mapping at `slot`. */
const entry = (key: string, slot: bigint): bigint =>
  BigInt(keccak256(coder.encode(["address", "uint256"], [key, slot])));

/** A stored balance word split into the amount and the credit word's bucket start and net (int96). */
async function balanceWord(vault: CollateralVault, slot: bigint) {
  const word = BigInt(await ethers.provider.getStorage(await vault.getAddress(), slot));
  const credit = word >> 128n;
  const raw = credit & ((1n << 96n) - 1n);
  return { amount: word & MASK_128, credit, start: credit >> 96n, net: raw >= 1n << 95n ? raw - (1n << 96n) : raw };
}

/** The borrower credit word in `account`'s position word (bits 96–223; test/unit/BorrowCredit.test.ts). */
async function borrowCreditOf(vault: CollateralVault, account: string): Promise<bigint> {
  const word = BigInt(
    await ethers.provider.getStorage(await vault.getAddress(), entry(account, vaultSlot("POSITION"))),
  );
  return (word >> 96n) & MASK_128;
}

const sharesSlot = (account: string) => entry(account, vaultSlot("SHARES"));
const holdingSlot = (account: string, asset: string) => entry(asset, entry(account, vaultSlot("BALANCES")));

describe("deposit credit beside the balance it credits", function () {
  it("a lender's supply and a collateral deposit write their credit into their balance's own slot", async function () {
    const f = await networkHelpers.loadFixture(borrowedMarketFixture);
    const { vault, breaker, weth, alice } = f;
    const wethAddress = await weth.getAddress();
    await vault.connect(alice).deposit(usd("1000"), alice.address);
    const shares = await balanceWord(vault, sharesSlot(alice.address));
    expect(shares.amount).to.equal(await vault.balanceOf(alice.address));
    expect(shares.net).to.equal(-usd("1000"));
    const now = BigInt((await ethers.provider.getBlock("latest"))?.timestamp ?? 0);
    expect(shares.start).to.be.greaterThan(0n).and.at.most(now);

    await vault.connect(alice).depositCollateral(weth, wad("2"), alice.address);
    const holding = await balanceWord(vault, holdingSlot(alice.address, wethAddress));
    expect(holding.amount).to.equal(wad("2"));
    expect(await vault.collateralOf(alice.address, weth)).to.equal(wad("2")); // the views read bits 0–127 only
    expect(holding.net).to.equal(-wad("2"));

    // Its own withdrawal in the same bucket is covered by that credit: the shared count does not move.
    const used = (await breaker.entry(weth)).outflowUsed;
    await vault.connect(alice).withdrawCollateral(weth, wad("2"), alice.address);
    expect((await breaker.entry(weth)).outflowUsed).to.equal(used);
    const after = await balanceWord(vault, holdingSlot(alice.address, wethAddress));
    expect([after.amount, after.net]).to.deep.equal([0n, 0n]);
  });

  it("an inflow past 2^95 units credits only 2^95: the rest of its withdrawal counts, so it queues (the protocol's side)", async function () {
    const [owner, whale] = await ethers.getSigners();
    const huge = DEFAULT_COLLATERALS.map((c) => (c.symbol === "WETH" ? { ...c, supplyCap: "1" + "0".repeat(15) } : c));
    const market = await deployMarket(ethers, { owner, collaterals: huge });
    const { vault, breaker } = market;
    const weth = collateral(market, "WETH");
    const wethAddress = await weth.getAddress();
    await weth.mint(whale.address, 2n ** 101n);
    await weth.connect(whale).approve(vault, MaxUint256);

    // Control: 2^90 in and out in the same bucket is covered in full and paid at once.
    await vault.connect(whale).depositCollateral(weth, 2n ** 90n, whale.address);
    await expect(vault.connect(whale).withdrawCollateral(weth, 2n ** 90n, whale.address)).to.changeTokenBalance(
      ethers,
      weth,
      whale,
      2n ** 90n,
    );

    await vault.connect(whale).depositCollateral(weth, 2n ** 100n, whale.address);
    const word = await balanceWord(vault, holdingSlot(whale.address, wethAddress));
    expect(word.amount).to.equal(2n ** 100n);
    expect(word.net).to.equal(-(2n ** 95n)); // saturated: int96's least
    // The uncovered 2^100 − 2^95 is far past a quarter of the balance: the withdrawal is queued, not paid.
    await expect(vault.connect(whale).withdrawCollateral(weth, 2n ** 100n, whale.address)).to.emit(
      vault,
      "WithdrawalQueued",
    );
    expect((await breaker.entry(weth)).outflowUsed).to.equal(0n); // a queued claim counts nothing
  });

  it("a share transfer made from the base token's hook during a deposit's pull moves the credit the deposit earned, never more", async function () {
    const [owner, lender, friend] = await ethers.getSigners();
    const base = await ethers.deployContract("ReentrantERC20");
    const oracle = await ethers.deployContract("MockPriceOracle");
    const rate = await ethers.deployContract("KinkedRateModel", [0n, 0n, 0n, wad("0.9")]);
    const vault = await deployCollateralVault(ethers, [base, "Hooked", "hBASE", oracle, rate, 0n, MaxUint256, owner]);
    const breaker = await ethers.deployContract("CircuitBreaker", [
      vault,
      DEFAULT_BREAKER_PARAMS,
      DEFAULT_ASSET_TRIGGERS,
      owner.address,
    ]);
    await breaker.connect(owner).setAssetParams(base, DEFAULT_BASE_TRIGGERS);
    await vault.connect(owner).setCircuitBreaker(breaker, await ethers.deployContract("WithdrawalQueue", [vault]));
    await base.mint(lender.address, wad("1000"));
    await base.connect(lender).approve(vault, MaxUint256);
    await vault.connect(lender).deposit(wad("100"), lender.address); // credit: 100
    const shares = await vault.balanceOf(lender.address);
    // The lender lets the token move its shares, and arms the token: during the next pull it sends them all on.
    await vault.connect(lender).approve(base, MaxUint256);
    await base.arm(vault, vault.interface.encodeFunctionData("transferFrom", [lender.address, friend.address, shares]));
    await vault.connect(lender).deposit(wad("1"), lender.address); // credit: 101, of which the hook moves 100
    expect(await base.reenteredOk()).to.equal(true);
    const lenderNet = (await balanceWord(vault, sharesSlot(lender.address))).net;
    const friendNet = (await balanceWord(vault, sharesSlot(friend.address))).net;
    expect(friendNet).to.equal(-wad("100")); // the shares' value, the most a transfer moves
    expect(lenderNet + friendNet).to.equal(-wad("101")); // the two deposits, exactly: the credit was not duplicated
  });

  it("a withdrawal that queues uses up the credit it covers: a later paid exit in the bucket cannot spend it again", async function () {
    // bob has held 100 WETH for a window. He deposits 10 more (credit 10), then asks for 60: past the limit (a quarter
    // of the balance), so it queues and trips OUTFLOW, counting nothing. The trip resets after its cooldown (nothing
    // counted), and in the same bucket bob takes 10 of his older WETH out: the credit was the queued claim's, so these
    // 10 count. Before the fix the same 10 units of credit covered both the claim and this exit.
    const { vault, breaker, weth, bob } = await networkHelpers.loadFixture(breakerFixture);
    const wethAddress = await weth.getAddress();
    await vault.connect(bob).depositCollateral(weth, wad("10"), bob.address);
    expect((await balanceWord(vault, holdingSlot(bob.address, wethAddress))).net).to.equal(-wad("10"));
    await expectQueued(vault, vault.connect(bob).withdrawCollateral(weth, wad("60"), bob.address));
    const word = await balanceWord(vault, holdingSlot(bob.address, wethAddress));
    expect(word.net).to.equal(0n); // spent by the claim, not turned into a counted outflow
    expect((await breaker.entry(weth)).outflowUsed).to.equal(0n);
    await networkHelpers.time.increase(Number(COOLDOWN) + 1);
    await breaker.poke(weth);
    expect(await breaker.actionMask(weth)).to.equal(0n);
    await expectPaid(vault, vault.connect(bob).withdrawCollateral(weth, wad("10"), bob.address));
    expect((await breaker.entry(weth)).outflowUsed).to.equal(wad("10"));
  });

  it("under a guardian stop a queued claim spends part of the credit, then the rest, never more; counted exits stay recorded", async function () {
    const { vault, breaker, owner, weth, bob, borrower } = await networkHelpers.loadFixture(breakerFixture);
    const wethAddress = await weth.getAddress();
    const net = async (who: string) => (await balanceWord(vault, holdingSlot(who, wethAddress))).net;
    await vault.connect(bob).depositCollateral(weth, wad("10"), bob.address); // bob's credit: 10
    await expectPaid(vault, vault.connect(borrower).withdrawCollateral(weth, wad("5"), borrower.address));
    expect(await net(borrower.address)).to.equal(wad("5")); // a counted exit: a later deposit may refund it
    await breaker.connect(owner).setGuardian(owner.address);
    await breaker.connect(owner).guardianTrip(weth, 16); // WITHDRAW_COLLATERAL: every collateral exit queues
    await expectQueued(vault, vault.connect(bob).withdrawCollateral(weth, wad("4"), bob.address));
    expect(await net(bob.address)).to.equal(-wad("6"));
    await expectQueued(vault, vault.connect(bob).withdrawCollateral(weth, wad("10"), bob.address));
    expect(await net(bob.address)).to.equal(0n); // spent, never a counted outflow
    await expectQueued(vault, vault.connect(borrower).withdrawCollateral(weth, wad("1"), borrower.address));
    expect(await net(borrower.address)).to.equal(wad("5"));
    expect((await breaker.entry(weth)).outflowUsed).to.equal(wad("5"));
  });

  describe("a broken breaker stops no repayment, collateral deposit or share transfer (INV-27)", function () {
    /** The borrowed market with a BrokenBreaker in `mode` installed by governance as breaker and queue. */
    async function installed(mode: number, bombSize = 0n) {
      const f = await networkHelpers.loadFixture(borrowedMarketFixture);
      const broken = await ethers.deployContract("BrokenBreaker", [await f.vault.getAddress()]);
      await broken.setMode(mode, bombSize);
      await f.vault.connect(f.owner).setCircuitBreaker(broken, broken);
      return { ...f, broken };
    }

    for (const [name, mode] of [
      ["reverts", 0],
      ["returns nothing", 1],
      ["returns half a word", 2],
    ] as const) {
      it(`a breaker that ${name}: each goes through and every credit word stays as it was`, async function () {
        const f = await installed(mode);
        const { vault, weth, borrower, lender, alice } = f;
        const wethAddress = await weth.getAddress();
        const creditOf = async (slot: bigint) => (await balanceWord(vault, slot)).credit;
        const holding = holdingSlot(borrower.address, wethAddress);
        const before = await balanceWord(vault, holding);
        expect(before.credit).to.not.equal(0n); // the fixture's deposit earned credit under the real breaker
        await vault.connect(borrower).depositCollateral(weth, wad("1"), borrower.address);
        const after = await balanceWord(vault, holding);
        expect([after.amount, after.credit]).to.deep.equal([before.amount + wad("1"), before.credit]);

        const debt = await vault.debtOf(borrower.address);
        const borrowCredit = await borrowCreditOf(vault, borrower.address);
        expect(borrowCredit).to.not.equal(0n); // the fixture's borrow recorded its net under the real breaker
        await vault.connect(borrower).repay(usd("100"), borrower.address);
        expect(await vault.debtOf(borrower.address)).to.be.lessThan(debt);
        expect(await borrowCreditOf(vault, borrower.address)).to.equal(borrowCredit);

        const lenderCredit = await creditOf(sharesSlot(lender.address));
        expect(lenderCredit).to.not.equal(0n); // so the transfer does call the breaker
        const aliceCredit = await creditOf(sharesSlot(alice.address));
        await expect(vault.connect(lender).transfer(alice.address, 1000n)).to.changeTokenBalances(
          ethers,
          vault,
          [lender, alice],
          [-1000n, 1000n],
        );
        expect(await creditOf(sharesSlot(lender.address))).to.equal(lenderCredit);
        expect(await creditOf(sharesSlot(alice.address))).to.equal(aliceCredit);
      });
    }

    for (const [name, act] of [
      [
        "collateral deposit",
        (f: Awaited<ReturnType<typeof installed>>) =>
          f.vault.connect(f.borrower).depositCollateral(f.weth, wad("1"), f.borrower.address),
      ], // the deposit takes a credit word back: the bomb's first word, all ones, is none
      [
        "repayment",
        (f: Awaited<ReturnType<typeof installed>>) => f.vault.connect(f.borrower).repay(usd("100"), f.borrower.address),
      ], // the repayment takes a borrower credit word back: all ones is none either
    ] as const) {
      it(`a return bomb costs a ${name} only the breaker's own memory, and no word of it is kept as credit`, async function () {
        const size = 100_000n;
        const words = (size + 31n) / 32n;
        const expansion = 3n * words + (words * words) / 512n; // what the breaker pays to return it; a copy pays again
        const run = async (mode: number) => {
          const f = await installed(mode, size);
          const slot = holdingSlot(f.borrower.address, await f.weth.getAddress());
          const before = await balanceWord(f.vault, slot);
          const borrowCredit = await borrowCreditOf(f.vault, f.borrower.address);
          const gas = (await (await act(f)).wait())?.gasUsed ?? 0n;
          expect((await balanceWord(f.vault, slot)).credit).to.equal(before.credit);
          expect(await borrowCreditOf(f.vault, f.borrower.address)).to.equal(borrowCredit);
          return gas;
        };
        const quiet = await run(1);
        const bombed = await run(3);
        expect(bombed - quiet).to.be.greaterThan(expansion); // the bomb did go off, in the breaker
        expect(bombed - quiet).to.be.lessThan((expansion * 3n) / 2n); // and was not copied
      });
    }
  });
});
