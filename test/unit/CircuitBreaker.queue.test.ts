import { expect } from "chai";
import { MaxUint256, ZeroAddress } from "ethers";
import { network } from "hardhat";

import {
  Act,
  BLOCK_TX_GAS,
  CLAIM_DELAY,
  COOLDOWN,
  GUARDIAN_ACTIONS,
  Level,
  OUTFLOW_WINDOW,
  QUEUE_MASK,
  Why,
  bit,
  expectEntry,
  expectPaid,
  expectQueued,
  guardedQueueFixture,
  minedAt,
  nextTimestamp,
  oneBlock,
  queueFixture,
  updates,
} from "./helpers/breaker.js";
import type { MarketFixture } from "./helpers/vault.js";
import { Reason as OracleReason, Status } from "./helpers/oracleAdapter.js";
import { usd, wad } from "./helpers/vault.js";

const connection = await network.create();
const { ethers, networkHelpers } = connection;
const at = (t?: bigint): Promise<bigint> => nextTimestamp(connection, t);

/** USDC window limit in the queue fixture: 25% of 900,000 of cash. */
const BASE_LIMIT = usd("225000");
/** WETH window limit in the queue fixture: 25% of 400 WETH. */
const WETH_LIMIT = wad("100");

/**
 * The lender uses the whole USDC limit (one withdrawal, which opens the window at `start`) and then one more USDC,
 * which is queued and trips OUTFLOW at `tripped`.
 */
async function tripBaseOutflow(f: MarketFixture): Promise<{ start: bigint; tripped: bigint }> {
  const start = await minedAt(await f.vault.connect(f.lender).withdraw(BASE_LIMIT, f.lender.address, f.lender.address));
  const tripped = await minedAt(
    await f.vault.connect(f.lender).withdrawOrQueue(usd("1"), f.lender.address, f.lender.address),
  );
  return { start, tripped };
}

/** `attacker` withdraws 101 WETH: one more than the limit, queued whole; OUTFLOW trips on WETH. Returns when. */
async function tripWethOutflow(f: MarketFixture): Promise<bigint> {
  return minedAt(await f.vault.connect(f.attacker).withdrawCollateral(f.weth, wad("101"), f.attacker.address));
}

describe("CircuitBreaker: outflow limit and withdrawal queue", function () {
  describe("outflow limit", function () {
    it("25% of the window-start balance pays at once; the withdrawal that does not fit is queued and trips OUTFLOW", async function () {
      const f = await networkHelpers.loadFixture(queueFixture);
      const { breaker, queue, vault, usdc, lender } = f;
      const asset = await usdc.getAddress();
      const withdraw = (amount: bigint) => vault.connect(lender).withdraw(amount, lender.address, lender.address);
      const paid = withdraw(usd("200000"));
      await expect(paid).to.changeTokenBalance(ethers, usdc, lender, usd("200000"));
      await expectPaid(vault, paid);
      const e = await breaker.entry(usdc);
      expect([e.outflowUsed, e.outflowLimit]).to.deep.equal([usd("200000"), BASE_LIMIT]);
      await expect(withdraw(usd("25000"))).to.changeTokenBalance(ethers, usdc, lender, usd("25000"));
      expect((await breaker.entry(usdc)).outflowUsed).to.equal(BASE_LIMIT);
      // Full: `withdraw` pays now or not at all (issue 19, property 8), so it refuses one more USDC, tripping nothing...
      expect(await vault.maxWithdraw(lender.address)).to.equal(0n);
      await expect(withdraw(usd("1")))
        .to.be.revertedWithCustomError(breaker, "OutflowLimitReached")
        .withArgs(asset, BASE_LIMIT, BASE_LIMIT, usd("1"));
      // ...and the explicit exit sends it to the queue as claim 0, payable a day later.
      const t = await at();
      const tx = await vault.connect(lender).withdrawOrQueue(usd("1"), lender.address, lender.address);
      await expect(tx)
        .to.emit(vault, "WithdrawalQueued")
        .withArgs(0n, lender.address, asset, usd("1"), t + CLAIM_DELAY);
      await expect(tx)
        .to.emit(queue, "ClaimQueued")
        .withArgs(0n, lender.address, asset, usd("1"), t + CLAIM_DELAY);
      await expect(tx).to.changeTokenBalances(ethers, usdc, [lender, queue], [0n, usd("1")]);
      expect(await updates(breaker, tx)).to.deep.equal([
        [asset, Why.OUTFLOW, true, QUEUE_MASK, Level.QUEUE, t + COOLDOWN],
      ]);
      await expectEntry(breaker, asset, QUEUE_MASK, Level.QUEUE, [Why.OUTFLOW]);
      expect(await queue.owed(usdc)).to.equal(usd("1"));
      // The queued amount was not counted.
      expect((await breaker.entry(usdc)).outflowUsed).to.equal(BASE_LIMIT);
    });

    it("while QUEUE holds: every later withdrawal is queued, borrows and supply revert, repay and collateral go on", async function () {
      const f = await networkHelpers.loadFixture(queueFixture);
      const { breaker, queue, vault, usdc, weth, lender, borrower, alice } = f;
      const asset = await usdc.getAddress();
      await tripBaseOutflow(f);
      for (const amount of [usd("10"), 1n]) {
        const tx = vault.connect(lender).withdrawOrQueue(amount, lender.address, lender.address);
        await expectQueued(vault, tx);
        await expect(tx).to.changeTokenBalances(ethers, usdc, [lender, queue], [0n, amount]);
      }
      expect(await queue.claimCount()).to.equal(3n);
      await expect(vault.connect(borrower).borrow(usd("1"), borrower.address))
        .to.be.revertedWithCustomError(breaker, "ActionPaused")
        .withArgs(asset, Act.BORROW, Why.OUTFLOW);
      // Supply is stopped, and ERC-4626's limits say so (issue 19, property 8).
      expect([await vault.maxDeposit(alice.address), await vault.maxMint(alice.address)]).to.deep.equal([0n, 0n]);
      await expect(vault.connect(alice).deposit(usd("1000"), alice.address))
        .to.be.revertedWithCustomError(breaker, "ActionPaused")
        .withArgs(asset, Act.SUPPLY, Why.OUTFLOW);
      await expect(vault.connect(borrower).repay(usd("1000"), borrower.address)).to.emit(vault, "Repaid");
      await expect(vault.connect(alice).depositCollateral(weth, wad("1"), alice.address)).to.emit(
        vault,
        "CollateralDeposited",
      );
      // Another asset's withdrawals are not affected.
      await expectPaid(vault, vault.connect(alice).withdrawCollateral(weth, wad("1"), alice.address));
    });

    it("a collateral at QUEUE queues its withdrawals and backs no new borrow", async function () {
      const f = await networkHelpers.loadFixture(queueFixture);
      const { breaker, vault, weth, alice } = f;
      await expectQueued(vault, vault.connect(f.attacker).withdrawCollateral(weth, wad("101"), f.attacker.address));
      await expectEntry(breaker, await weth.getAddress(), QUEUE_MASK, Level.QUEUE, [Why.OUTFLOW]);
      await expectQueued(vault, vault.connect(alice).withdrawCollateral(weth, 1n, alice.address));
      await expect(vault.connect(alice).borrow(usd("1"), alice.address))
        .to.be.revertedWithCustomError(vault, "BorrowLimitExceeded")
        .withArgs(alice.address, wad("1"), 0n);
    });

    it("a borrow that does not fit reverts OutflowLimitReached (refused, never queued) and trips nothing", async function () {
      const f = await networkHelpers.loadFixture(queueFixture);
      const { breaker, vault, usdc, lender, borrower } = f;
      await vault.connect(lender).withdraw(usd("200000"), lender.address, lender.address);
      await expect(vault.connect(borrower).borrow(usd("25000") + 1n, borrower.address))
        .to.be.revertedWithCustomError(breaker, "OutflowLimitReached")
        .withArgs(await usdc.getAddress(), usd("200000"), BASE_LIMIT, usd("25000") + 1n);
      await expectEntry(breaker, await usdc.getAddress(), 0n, Level.NONE, []);
      await expect(vault.connect(borrower).borrow(usd("25000"), borrower.address)).to.changeTokenBalance(
        ethers,
        usdc,
        borrower,
        usd("25000"),
      );
    });

    it("a deposit never pays for a borrow: supply credits only the depositor's own withdrawals", async function () {
      const f = await networkHelpers.loadFixture(queueFixture);
      const { breaker, vault, usdc, alice } = f;
      const gas = { gasLimit: BLOCK_TX_GAS };
      // One block, so the deposit cannot raise the limit's base: only its credit could help, and it must not.
      const [deposit, borrow] = await oneBlock(connection, [
        () => vault.connect(alice).deposit(usd("500000"), alice.address, gas),
        () => vault.connect(alice).borrow(BASE_LIMIT + 1n, alice.address, gas),
      ]);
      await expect(deposit).to.emit(vault, "Deposit");
      await expect(borrow)
        .to.be.revertedWithCustomError(breaker, "OutflowLimitReached")
        .withArgs(await usdc.getAddress(), 0n, BASE_LIMIT, BASE_LIMIT + 1n);
      // Her own deposit does cover her own withdrawal.
      await expectPaid(vault, vault.connect(alice).withdraw(usd("500000"), alice.address, alice.address));
      expect((await breaker.entry(usdc)).outflowUsed).to.equal(0n);
    });
  });

  describe("inflow credit", function () {
    it("deposit-then-withdraw loops (10×, collateral and supply) net to zero: the limit stays whole for others", async function () {
      const f = await networkHelpers.loadFixture(queueFixture);
      const { breaker, vault, usdc, weth, attacker, alice, bob, lender } = f;
      for (let i = 0; i < 10; i++) {
        await vault.connect(attacker).depositCollateral(weth, wad("100"), attacker.address);
        await expectPaid(vault, vault.connect(attacker).withdrawCollateral(weth, wad("100"), attacker.address));
        await vault.connect(attacker).deposit(usd("100000"), attacker.address);
        await expectPaid(vault, vault.connect(attacker).withdraw(usd("100000"), attacker.address, attacker.address));
      }
      for (const [token, limit] of [
        [weth, WETH_LIMIT],
        [usdc, BASE_LIMIT],
      ] as const) {
        const e = await breaker.entry(token);
        expect(e.outflowUsed).to.equal(0n);
        expect(e.outflowLimit).to.be.at.least(limit);
      }
      // Honest users still get (at least) the whole window-start limit at once.
      await expectPaid(vault, vault.connect(alice).withdrawCollateral(weth, WETH_LIMIT, alice.address));
      await expectPaid(vault, vault.connect(lender).withdraw(BASE_LIMIT, lender.address, lender.address));
      await expectEntry(breaker, await weth.getAddress(), 0n, Level.NONE, []);
      expect(await vault.collateralOf(bob.address, weth)).to.equal(wad("100"));
    });

    it("a flash deposit (one block) covers its own size only: beyond it, at most the limit", async function () {
      const f = await networkHelpers.loadFixture(queueFixture);
      const { vault, weth, attacker } = f;
      const gas = { gasLimit: BLOCK_TX_GAS };
      const [, tooMuch] = await oneBlock(connection, [
        () => vault.connect(attacker).depositCollateral(weth, wad("400"), attacker.address, gas),
        () => vault.connect(attacker).withdrawCollateral(weth, wad("500") + 1n, attacker.address, gas),
      ]);
      await expect(tooMuch)
        .to.emit(vault, "WithdrawalQueued")
        .withArgs(0n, attacker.address, await weth.getAddress(), wad("500") + 1n, (v: bigint) => v > 0n);
    });

    it("a flash deposit plus the whole limit pays at once; after that nobody's withdrawal fits", async function () {
      const f = await networkHelpers.loadFixture(queueFixture);
      const { breaker, vault, weth, attacker, alice } = f;
      const gas = { gasLimit: BLOCK_TX_GAS };
      const wallet = await weth.balanceOf(attacker.address);
      const [, out] = await oneBlock(connection, [
        () => vault.connect(attacker).depositCollateral(weth, wad("400"), attacker.address, gas),
        () => vault.connect(attacker).withdrawCollateral(weth, wad("500"), attacker.address, gas),
      ]);
      expect(await weth.balanceOf(attacker.address)).to.equal(wallet - wad("400") + wad("500"));
      await expectPaid(vault, out);
      const e = await breaker.entry(weth);
      expect([e.outflowUsed, e.outflowLimit]).to.deep.equal([WETH_LIMIT, WETH_LIMIT]);
      await expectQueued(vault, vault.connect(alice).withdrawCollateral(weth, 1n, alice.address));
    });

    it("credit is per account: one account's deposit does not cover another's withdrawal", async function () {
      const f = await networkHelpers.loadFixture(queueFixture);
      const { vault, weth, attacker, alice, bob } = f;
      const gas = { gasLimit: BLOCK_TX_GAS };
      const [, paid, queued] = await oneBlock(connection, [
        () => vault.connect(attacker).depositCollateral(weth, wad("400"), attacker.address, gas),
        () => vault.connect(alice).withdrawCollateral(weth, wad("60"), alice.address, gas),
        () => vault.connect(bob).withdrawCollateral(weth, wad("40") + 1n, bob.address, gas),
      ]);
      await expectPaid(vault, paid);
      await expectQueued(vault, queued);
    });

    it("capital that stayed a block raises the limit to a share of that block's opening balance; a same-block deposit does not", async function () {
      // The documented trade-off (docs/known-issues.md, issue 6): the base is the largest block-opening balance in the window,
      // so a new market can lend at once, and a flash loan never counts; capital held for a block does.
      const f = await networkHelpers.loadFixture(queueFixture);
      const { breaker, vault, weth, attacker } = f;
      await weth.mint(attacker.address, wad("1200"));
      await vault.connect(attacker).depositCollateral(weth, wad("1200"), attacker.address); // its own block
      // The next block opens with 1,600 WETH in: 25% of it.
      await networkHelpers.mine();
      expect((await breaker.entry(weth)).outflowLimit).to.equal(wad("400"));
      // Its own 1,200 are covered by its credit; its other 200 count against the raised limit (under the
      // window-start limit of 100, half of them would have been queued).
      await expectPaid(vault, vault.connect(attacker).withdrawCollateral(weth, wad("1400"), attacker.address));
      expect((await breaker.entry(weth)).outflowUsed).to.equal(wad("200"));
    });

    it("an exit its own deposit covers pays at once even when a tightened limit is below use (was queued, and tripped OUTFLOW)", async function () {
      // Found by the fuzzed ERC-4626 limits (issue 19, property 8): `fits(0)` was false once use exceeded a limit
      // that had shrunk (any other trip halves it), so a withdrawal fully covered by its own deposit adds nothing to
      // use yet was queued; `maxWithdraw` must be what pays now, so the rule and the limit had to agree.
      const f = await networkHelpers.loadFixture(queueFixture);
      const { breaker, oracle, vault, usdc, lender, alice } = f;
      await vault.connect(lender).withdraw(BASE_LIMIT, lender.address, lender.address);
      // Any trip but OUTFLOW halves the limit: here a doubted base price (NO_BORROW; supply and exits stay open).
      await oracle.setPriceData(usdc, wad("1"), wad("1"), Status.DEGRADED, OracleReason.SOURCES_DISAGREE);
      await breaker.poke(usdc);
      const e = await breaker.entry(usdc);
      expect(e.outflowUsed).to.be.greaterThan(e.outflowLimit);
      await vault.connect(alice).deposit(usd("1000"), alice.address);
      expect(await vault.maxWithdraw(alice.address)).to.equal(usd("1000"));
      const out = vault.connect(alice).withdraw(usd("1000"), alice.address, alice.address);
      await expect(out).to.changeTokenBalance(ethers, usdc, alice, usd("1000"));
      await expectPaid(vault, out);
      expect((await breaker.entry(usdc)).reasons & bit(Why.OUTFLOW)).to.equal(0n);
    });

    it("the deposit credit follows the shares on transfer", async function () {
      const f = await networkHelpers.loadFixture(queueFixture);
      const { breaker, vault, usdc, attacker, bob } = f;
      const shares = await vault.connect(attacker).deposit.staticCall(usd("300000"), attacker.address);
      await vault.connect(attacker).deposit(usd("300000"), attacker.address);
      await vault.connect(attacker).transfer(bob.address, shares);
      const assets = await vault.convertToAssets(shares);
      await expectPaid(vault, vault.connect(bob).withdraw(assets, bob.address, bob.address));
      expect((await breaker.entry(usdc)).outflowUsed).to.equal(0n);
    });
  });

  it("splitting: 20 withdrawals of 7 WETH pay up to the limit in total (14 × 7 = 98), the rest is queued", async function () {
    const f = await networkHelpers.loadFixture(queueFixture);
    const { breaker, queue, vault, weth, attacker } = f;
    const wallet = await weth.balanceOf(attacker.address);
    let queued = 0;
    for (let i = 0; i < 20; i++) {
      const receipt = await (await vault.connect(attacker).withdrawCollateral(weth, wad("7"), attacker.address)).wait();
      const wasQueued =
        receipt?.logs.some((l) => l.topics[0] === vault.interface.getEvent("WithdrawalQueued").topicHash) ?? false;
      expect(wasQueued, `withdrawal ${i}`).to.equal(i >= 14);
      if (wasQueued) queued++;
    }
    expect(queued).to.equal(6);
    expect(await weth.balanceOf(attacker.address)).to.equal(wallet + wad("98"));
    expect(await weth.balanceOf(queue)).to.equal(wad("42"));
    expect(await queue.owed(weth)).to.equal(wad("42"));
    expect((await breaker.entry(weth)).outflowUsed).to.equal(wad("98"));
  });

  describe("claims and access", function () {
    it("NotReady before readyAt; then anyone's claim pays the beneficiary exactly; a second claim is NoClaim", async function () {
      const f = await networkHelpers.loadFixture(queueFixture);
      const { queue, weth, attacker, bob } = f;
      const t = await tripWethOutflow(f);
      const asset = await weth.getAddress();
      expect([...(await queue.claimOf(0n))]).to.deep.equal([
        attacker.address,
        t + CLAIM_DELAY,
        false,
        asset,
        wad("101"),
      ]);
      await at(t + CLAIM_DELAY - 1n);
      await expect(queue.connect(bob).claim(0n))
        .to.be.revertedWithCustomError(queue, "NotReady")
        .withArgs(0n, t + CLAIM_DELAY);
      await at(t + CLAIM_DELAY);
      const tx = queue.connect(bob).claim(0n);
      await expect(tx).to.changeTokenBalances(ethers, weth, [attacker, bob, queue], [wad("101"), 0n, -wad("101")]);
      await expect(tx).to.emit(queue, "ClaimPaid").withArgs(0n, attacker.address, attacker.address, asset, wad("101"));
      expect((await queue.claimOf(0n)).paid).to.equal(true);
      await expect(queue.connect(attacker).claim(0n)).to.be.revertedWithCustomError(queue, "NoClaim").withArgs(0n);
      await expect(queue.claim(1n)).to.be.revertedWithCustomError(queue, "NoClaim").withArgs(1n);
    });

    it("claimTo only by the beneficiary (NotBeneficiary), never to address(0); owed tracks unpaid claims", async function () {
      const f = await networkHelpers.loadFixture(queueFixture);
      const { queue, vault, weth, alice, bob } = f;
      await tripWethOutflow(f);
      await vault.connect(alice).withdrawCollateral(weth, wad("10"), alice.address); // claim 1
      expect(await queue.owed(weth)).to.equal(wad("111"));
      expect(await queue.claimCount()).to.equal(2n);
      await networkHelpers.time.increase(Number(CLAIM_DELAY));
      await expect(queue.connect(bob).claimTo(1n, bob.address))
        .to.be.revertedWithCustomError(queue, "NotBeneficiary")
        .withArgs(1n, bob.address);
      await expect(queue.connect(alice).claimTo(1n, ZeroAddress)).to.be.revertedWithCustomError(queue, "ZeroInput");
      await expect(queue.connect(alice).claimTo(1n, bob.address)).to.changeTokenBalances(
        ethers,
        weth,
        [alice, bob],
        [0n, wad("10")],
      );
      expect(await queue.owed(weth)).to.equal(wad("101"));
      await queue.claim(0n);
      expect(await queue.owed(weth)).to.equal(0n);
      expect(await weth.balanceOf(queue)).to.equal(0n);
    });

    it("the vault hooks reject every caller but the vault (NotVault)", async function () {
      const { breaker, usdc, attacker } = await networkHelpers.loadFixture(queueFixture);
      const b = breaker.connect(attacker);
      for (const call of [
        () => b.onSupply(1n, 1n, 0n),
        () => b.onInflow(usdc, 1n, 1n, 0n),
        () => b.onRepay(1n, 1n, 0n),
        () => b.beforeBorrow(1n, 1n, 0n),
        () => b.onOutflow(usdc, 1n, 1n, true, 0n),
        () => b.onShareTransfer(1n, 0n, 0n),
        () => b.onBadDebt(1n, 1n),
      ]) {
        await expect(call()).to.be.revertedWithCustomError(breaker, "NotVault").withArgs(attacker.address);
      }
    });

    it("enqueue by anyone but the vault reverts NotVault", async function () {
      const { queue, vault, weth, attacker } = await networkHelpers.loadFixture(queueFixture);
      await weth.connect(attacker).transfer(queue, wad("1"));
      await expect(queue.connect(attacker).enqueue(attacker.address, weth, wad("1"), 0n))
        .to.be.revertedWithCustomError(queue, "NotVault")
        .withArgs(attacker.address);
      expect(await queue.vault()).to.equal(await vault.getAddress());
    });
  });

  it("a debt-free account always gets its collateral out, at worst queued: every breaker tripped, the oracle FAILED", async function () {
    const f = await networkHelpers.loadFixture(guardedQueueFixture);
    const { breaker, oracle, owner, queue, vault, usdc, weth, alice, lender } = f;
    for (const entry of [ZeroAddress, await usdc.getAddress(), await weth.getAddress()]) {
      await breaker.connect(owner).guardianTrip(entry, Number(GUARDIAN_ACTIONS));
    }
    for (const token of [weth, usdc]) {
      await oracle.setPriceData(token, 0n, 0n, Status.FAILED, OracleReason.FEED_REVERTED);
      await breaker.poke(token);
    }
    expect(await breaker.actionMask(weth)).to.equal(GUARDIAN_ACTIONS | Act.LIQUIDATE);
    const t = await at();
    await expect(vault.connect(alice).withdrawCollateral(weth, MaxUint256, alice.address))
      .to.emit(vault, "WithdrawalQueued")
      .withArgs(0n, alice.address, await weth.getAddress(), wad("100"), t + CLAIM_DELAY);
    expect(await vault.collateralOf(alice.address, weth)).to.equal(0n);
    // A lender's explicit exit is queued too, never refused.
    await expectQueued(vault, vault.connect(lender).withdrawOrQueue(usd("1000"), lender.address, lender.address));
    await at(t + CLAIM_DELAY);
    await expect(queue.connect(alice).claim(0n)).to.changeTokenBalance(ethers, weth, alice, wad("100"));
  });

  it("a global guardian trip queues every asset's withdrawals: WITHDRAW the lenders', WITHDRAW_COLLATERAL the rest", async function () {
    const f = await networkHelpers.loadFixture(guardedQueueFixture);
    const { breaker, owner, vault, wbtc, weth, alice, lender, borrower } = f;
    await breaker.connect(owner).guardianTrip(ZeroAddress, Number(Act.WITHDRAW_COLLATERAL));
    await expectQueued(vault, vault.connect(alice).withdrawCollateral(weth, wad("1"), alice.address));
    await expectQueued(vault, vault.connect(borrower).withdrawCollateral(wbtc, 1000n, borrower.address));
    await expectPaid(vault, vault.connect(lender).withdraw(usd("1"), lender.address, lender.address));
    await breaker.connect(owner).guardianTrip(ZeroAddress, Number(Act.WITHDRAW));
    expect(await vault.maxWithdraw(lender.address)).to.equal(0n);
    await expectQueued(vault, vault.connect(lender).withdrawOrQueue(usd("1"), lender.address, lender.address));
  });

  describe("reset of OUTFLOW", function () {
    it("no reset before the cooldown; after it, once the window has faded, a poke resets it and withdrawals pay", async function () {
      const f = await networkHelpers.loadFixture(queueFixture);
      const { breaker, vault, usdc, lender } = f;
      const asset = await usdc.getAddress();
      const { start, tripped } = await tripBaseOutflow(f);
      await at(tripped + COOLDOWN - 1n);
      expect(await updates(breaker, await breaker.poke(usdc))).to.deep.equal([]);
      await at(tripped + COOLDOWN);
      expect(await updates(breaker, await breaker.poke(usdc))).to.deep.equal([]); // use is still the whole limit
      await at(start + 2n * OUTFLOW_WINDOW);
      expect(await updates(breaker, await breaker.poke(usdc))).to.deep.equal([
        [asset, Why.OUTFLOW, false, 0n, Level.NONE, tripped + COOLDOWN],
      ]);
      await expectPaid(vault, vault.connect(lender).withdraw(usd("1000"), lender.address, lender.address));
    });

    it("a repayment refunds the borrower's own outflow, but nothing resets before the cooldown; at it, a poke does", async function () {
      const f = await networkHelpers.loadFixture(queueFixture);
      const { breaker, vault, usdc, wbtc, lender, borrower } = f;
      const asset = await usdc.getAddress();
      await vault.connect(borrower).depositCollateral(wbtc, 3n * 10n ** 8n, borrower.address); // 8 WBTC: limit $350,400
      await vault.connect(lender).withdraw(usd("25000"), lender.address, lender.address);
      await vault.connect(borrower).borrow(usd("200000"), borrower.address); // the whole 225,000 used
      const tripped = await minedAt(
        await vault.connect(lender).withdrawOrQueue(usd("1"), lender.address, lender.address),
      );
      await expectEntry(breaker, asset, QUEUE_MASK, Level.QUEUE, [Why.OUTFLOW]);
      await vault.connect(borrower).repay(usd("200000"), borrower.address);
      expect((await breaker.entry(usdc)).outflowUsed).to.equal(usd("25000"));
      await at(tripped + COOLDOWN - 1n);
      expect(await updates(breaker, await breaker.poke(usdc))).to.deep.equal([]);
      await at(tripped + COOLDOWN);
      expect(await updates(breaker, await breaker.poke(usdc))).to.deep.equal([
        [asset, Why.OUTFLOW, false, 0n, Level.NONE, tripped + COOLDOWN],
      ]);
    });

    it("the next withdrawal itself resets it (no poke needed) and is paid at once", async function () {
      const f = await networkHelpers.loadFixture(queueFixture);
      const { breaker, vault, usdc, lender } = f;
      const { start, tripped } = await tripBaseOutflow(f);
      await at(start + 2n * OUTFLOW_WINDOW);
      const tx = await vault.connect(lender).withdraw(usd("1000"), lender.address, lender.address);
      await expectPaid(vault, tx);
      await expect(tx).to.changeTokenBalance(ethers, usdc, lender, usd("1000"));
      expect(await updates(breaker, tx)).to.deep.equal([
        [await usdc.getAddress(), Why.OUTFLOW, false, 0n, Level.NONE, tripped + COOLDOWN],
      ]);
    });

    it("OUTFLOW resets at resumeShare (50%) of the untightened limit (was a bug: QUEUE halved the limit it was measured against)", async function () {
      // _tight() used to hold at every level ≥ TIGHTEN, QUEUE included: while OUTFLOW held, the limit read 112,500
      // instead of 225,000, so the trip waited until use was 25% of the real limit. OUTFLOW no longer tightens.
      const f = await networkHelpers.loadFixture(queueFixture);
      const { breaker, usdc, vault, lender } = f;
      const withdraw = (amount: bigint) => vault.connect(lender).withdraw(amount, lender.address, lender.address);
      // Half the limit in the first bucket (three hours); in the next, whose limit is 25% of its opening cash plus
      // what the first still counts (787,500 + 112,500), the other half and one more USDC (queued: the trip).
      const start = await minedAt(await withdraw(BASE_LIMIT / 2n));
      await at(start + OUTFLOW_WINDOW / 2n);
      await withdraw(BASE_LIMIT / 2n);
      const tripped = await minedAt(
        await vault.connect(lender).withdrawOrQueue(usd("1"), lender.address, lender.address),
      );
      // Six hours on, the first bucket still counts (use 225,000: no reset); nine hours on it has dropped out and the
      // second is exactly resumeShare × the untightened limit: 112,500 of 225,000 (halved, it would not reset).
      await at(start + OUTFLOW_WINDOW);
      expect(await updates(breaker, await breaker.poke(usdc))).to.deep.equal([]);
      expect((await breaker.entry(usdc)).outflowUsed).to.equal(BASE_LIMIT);
      await at(start + (3n * OUTFLOW_WINDOW) / 2n);
      expect(await updates(breaker, await breaker.poke(usdc))).to.deep.equal([
        [await usdc.getAddress(), Why.OUTFLOW, false, 0n, Level.NONE, tripped + COOLDOWN],
      ]);
      expect((await breaker.entry(usdc)).outflowUsed).to.equal(BASE_LIMIT / 2n);
    });
  });
});
