/**
 * Issue 19, property 8: ERC-4626 limits tell the truth. Each `max*` returns what the call would do now:
 * `maxDeposit`/`maxMint` are 0 while the circuit breaker stops supply (the standard's rule), and a `withdraw` within
 * `maxWithdraw` (a `redeem` within `maxRedeem`) pays the receiver in the same transaction: never more than the
 * account's own credit plus what is left of the outflow limit, nothing while withdrawals queue. Past them `withdraw`
 * and `redeem` revert (they never queue); a queued exit stays available as its own explicit path, `withdrawOrQueue`.
 *
 * Before the fix `maxWithdraw` promised the whole claim (up to cash) while a `withdraw` within it was queued and paid
 * nothing now, and `maxDeposit` was 2^256 − 1 while every deposit reverted.
 */
import { expect } from "chai";
import { MaxUint256, ZeroAddress } from "ethers";
import { network } from "hardhat";

import {
  Act,
  CLAIM_DELAY,
  OUTFLOW_WINDOW,
  Why,
  bit,
  expectPaid,
  expectQueued,
  guardedQueueFixture,
  minedAt,
  queueFixture,
} from "./helpers/breaker.js";
import { usd } from "./helpers/vault.js";

const connection = await network.create();
const { ethers, networkHelpers } = connection;

/** USDC window limit in the queue fixture: 25% of 900,000 of cash. */
const BASE_LIMIT = usd("225000");
/** The shipped guardian cooldown in the test market. */
const GUARDIAN_COOLDOWN = 86_400;

describe("ERC-4626 limits tell the truth (issue 19, property 8)", function () {
  describe("maxWithdraw and maxRedeem: what pays in this transaction", function () {
    it("maxWithdraw is the limit left, not the whole claim; withdraw(maxWithdraw) pays at once, one unit more reverts", async function () {
      const { breaker, vault, usdc, lender } = await networkHelpers.loadFixture(queueFixture);
      // The lender's claim is 1,000,000 and cash 900,000, but the window lets 225,000 out now.
      expect(await vault.maxWithdraw(lender.address)).to.equal(BASE_LIMIT);
      await expect(vault.connect(lender).withdraw(BASE_LIMIT + 1n, lender.address, lender.address))
        .to.be.revertedWithCustomError(breaker, "OutflowLimitReached")
        .withArgs(await usdc.getAddress(), 0n, BASE_LIMIT, BASE_LIMIT + 1n);
      const paid = vault.connect(lender).withdraw(BASE_LIMIT, lender.address, lender.address);
      await expect(paid).to.changeTokenBalance(ethers, usdc, lender, BASE_LIMIT);
      await expectPaid(vault, paid);
      expect([await vault.maxWithdraw(lender.address), await vault.maxRedeem(lender.address)]).to.deep.equal([0n, 0n]);
      await expect(vault.connect(lender).withdraw(1n, lender.address, lender.address))
        .to.be.revertedWithCustomError(breaker, "OutflowLimitReached")
        .withArgs(await usdc.getAddress(), BASE_LIMIT, BASE_LIMIT, 1n);
      // A refusal trips nothing: only the queued exit does.
      expect((await breaker.entry(usdc)).reasons).to.equal(0n);
      // Past the claim or cash, the standard's own error names the true limit.
      const claim = await vault.convertToAssets(await vault.balanceOf(lender.address));
      await expect(vault.connect(lender).withdraw(claim + 1n, lender.address, lender.address))
        .to.be.revertedWithCustomError(vault, "ERC4626ExceededMaxWithdraw")
        .withArgs(lender.address, claim + 1n, 0n);
    });

    it("maxRedeem is the shares of what pays now: redeem(maxRedeem) pays at once, a unit more reverts", async function () {
      const { breaker, vault, usdc, lender } = await networkHelpers.loadFixture(queueFixture);
      await vault.connect(lender).withdraw(usd("200000"), lender.address, lender.address);
      const shares = await vault.maxRedeem(lender.address);
      expect(shares).to.be.lessThan(await vault.balanceOf(lender.address));
      const assets = await vault.previewRedeem(shares);
      expect(assets).to.be.at.most(usd("25000"));
      expect(assets).to.be.greaterThan(usd("25000") - 2n);
      // A unit of assets more (the shares that buy it) does not fit.
      const more = await vault.previewWithdraw(assets + 1n);
      await expect(vault.connect(lender).redeem(more, lender.address, lender.address)).to.be.revertedWithCustomError(
        breaker,
        "OutflowLimitReached",
      );
      const paid = vault.connect(lender).redeem(shares, lender.address, lender.address);
      await expect(paid).to.changeTokenBalance(ethers, usdc, lender, assets);
      await expectPaid(vault, paid);
    });

    it("maxRedeem is 0 for shares that buy nothing (a redeem of them would revert ZeroAmount)", async function () {
      const { vault, lender, bob } = await networkHelpers.loadFixture(queueFixture);
      await vault.connect(lender).transfer(bob.address, 1n); // one share: 10⁻⁶ of a unit of USDC
      expect(await vault.convertToAssets(1n)).to.equal(0n);
      expect(await vault.maxRedeem(bob.address)).to.equal(0n);
      await expect(vault.connect(bob).redeem(1n, bob.address, bob.address)).to.be.revertedWithCustomError(
        vault,
        "ZeroAmount",
      );
    });

    it("an account's own deposit credit counts: it takes its own deposit out when the shared limit is spent", async function () {
      const { vault, usdc, lender, alice } = await networkHelpers.loadFixture(queueFixture);
      await vault.connect(lender).withdraw(BASE_LIMIT, lender.address, lender.address);
      await vault.connect(alice).deposit(usd("300000"), alice.address);
      expect(await vault.maxWithdraw(lender.address)).to.equal(0n);
      const mine = await vault.maxWithdraw(alice.address);
      expect(mine).to.be.at.least(usd("300000") - 1n);
      await expect(vault.connect(alice).withdraw(mine, alice.address, alice.address)).to.changeTokenBalance(
        ethers,
        usdc,
        alice,
        mine,
      );
    });

    it("while withdrawals queue: both limits are 0, withdraw and redeem revert; withdrawOrQueue queues and pays later", async function () {
      const { breaker, owner, queue, vault, usdc, lender } = await networkHelpers.loadFixture(guardedQueueFixture);
      await breaker.connect(owner).guardianTrip(usdc, Number(Act.WITHDRAW));
      expect([await vault.maxWithdraw(lender.address), await vault.maxRedeem(lender.address)]).to.deep.equal([0n, 0n]);
      await expect(vault.connect(lender).withdraw(usd("1000"), lender.address, lender.address))
        .to.be.revertedWithCustomError(breaker, "ActionPaused")
        .withArgs(await usdc.getAddress(), Act.WITHDRAW, Why.GUARDIAN);
      await expect(vault.connect(lender).redeem(10n ** 12n, lender.address, lender.address))
        .to.be.revertedWithCustomError(breaker, "ActionPaused")
        .withArgs(await usdc.getAddress(), Act.WITHDRAW, Why.GUARDIAN);
      const queued = await vault.connect(lender).withdrawOrQueue(usd("1000"), lender.address, lender.address);
      await expectQueued(vault, queued);
      await expect(queued).to.changeTokenBalances(ethers, usdc, [lender, queue], [0n, usd("1000")]);
      await networkHelpers.time.increaseTo((await minedAt(queued)) + CLAIM_DELAY);
      await expect(queue.claim(0n)).to.changeTokenBalance(ethers, usdc, lender, usd("1000"));
    });

    it("counts the reset an exit would make: after the cooldown and the window, maxWithdraw is back before any poke", async function () {
      const { breaker, vault, usdc, lender } = await networkHelpers.loadFixture(queueFixture);
      const start = await minedAt(await vault.connect(lender).withdraw(BASE_LIMIT, lender.address, lender.address));
      await vault.connect(lender).withdrawOrQueue(usd("1"), lender.address, lender.address); // trips OUTFLOW
      expect((await breaker.entry(usdc)).reasons).to.equal(bit(Why.OUTFLOW));
      expect(await vault.maxWithdraw(lender.address)).to.equal(0n);
      await networkHelpers.time.increaseTo(start + 2n * OUTFLOW_WINDOW);
      // Still tripped (nobody poked), but the next withdrawal resets it first, so it pays now: the limit counts.
      expect((await breaker.entry(usdc)).reasons).to.equal(bit(Why.OUTFLOW));
      const max = await vault.maxWithdraw(lender.address);
      expect(max).to.equal(((await vault.cash()) * 25n) / 100n);
      const paid = vault.connect(lender).withdraw(max, lender.address, lender.address);
      await expect(paid).to.changeTokenBalance(ethers, usdc, lender, max);
      await expectPaid(vault, paid);
      expect((await breaker.entry(usdc)).reasons).to.equal(0n);
    });
  });

  describe("maxDeposit and maxMint: 0 while supply is stopped", function () {
    it("a guardian stop of SUPPLY, on the base asset or the global entry, makes both 0: deposit and mint revert", async function () {
      const { breaker, owner, vault, usdc, alice } = await networkHelpers.loadFixture(guardedQueueFixture);
      expect([await vault.maxDeposit(alice.address), await vault.maxMint(alice.address)]).to.deep.equal([
        MaxUint256,
        MaxUint256,
      ]);
      for (const entry of [await usdc.getAddress(), ZeroAddress]) {
        const id = await networkHelpers.takeSnapshot();
        await breaker.connect(owner).guardianTrip(entry, Number(Act.SUPPLY));
        expect([await vault.maxDeposit(alice.address), await vault.maxMint(alice.address)]).to.deep.equal([0n, 0n]);
        await expect(vault.connect(alice).deposit(usd("1000"), alice.address))
          .to.be.revertedWithCustomError(breaker, "ActionPaused")
          .withArgs(entry, Act.SUPPLY, Why.GUARDIAN);
        await expect(vault.connect(alice).mint(10n ** 12n, alice.address))
          .to.be.revertedWithCustomError(breaker, "ActionPaused")
          .withArgs(entry, Act.SUPPLY, Why.GUARDIAN);
        // Once the guardian's stop lapses, supply and both limits are back.
        await networkHelpers.time.increase(GUARDIAN_COOLDOWN);
        expect(await vault.maxDeposit(alice.address)).to.equal(MaxUint256);
        await expect(vault.connect(alice).deposit(usd("1000"), alice.address)).to.emit(vault, "Deposit");
        await id.restore();
      }
    });

    it("a stop of another action (BORROW) leaves both unlimited", async function () {
      const { breaker, owner, vault, usdc, alice } = await networkHelpers.loadFixture(guardedQueueFixture);
      await breaker.connect(owner).guardianTrip(usdc, Number(Act.BORROW));
      expect(await vault.maxDeposit(alice.address)).to.equal(MaxUint256);
      expect(await vault.maxMint(alice.address)).to.equal(MaxUint256);
    });
  });

  describe("withdrawOrQueue: the explicit queued exit", function () {
    it("pays at once when it fits; refuses past cash (InsufficientLiquidity) and without allowance", async function () {
      const { vault, usdc, lender, bob } = await networkHelpers.loadFixture(queueFixture);
      const paid = vault.connect(lender).withdrawOrQueue(usd("1000"), lender.address, lender.address);
      await expect(paid).to.changeTokenBalance(ethers, usdc, lender, usd("1000"));
      await expectPaid(vault, paid);
      const cash = await vault.cash();
      await expect(vault.connect(lender).withdrawOrQueue(cash + 1n, lender.address, lender.address))
        .to.be.revertedWithCustomError(vault, "InsufficientLiquidity")
        .withArgs(cash, cash + 1n);
      await expect(
        vault.connect(bob).withdrawOrQueue(usd("1"), bob.address, lender.address),
      ).to.be.revertedWithCustomError(vault, "ERC20InsufficientAllowance");
    });

    it("past the limit it queues the whole amount, burns the shares at once and trips OUTFLOW", async function () {
      const { breaker, queue, vault, usdc, lender } = await networkHelpers.loadFixture(queueFixture);
      const shares = await vault.balanceOf(lender.address);
      const burned = await vault.previewWithdraw(usd("300000"));
      const tx = vault.connect(lender).withdrawOrQueue(usd("300000"), lender.address, lender.address);
      await expectQueued(vault, tx);
      await expect(tx).to.changeTokenBalances(ethers, usdc, [lender, queue], [0n, usd("300000")]);
      expect(await vault.balanceOf(lender.address)).to.equal(shares - burned);
      expect((await breaker.entry(usdc)).reasons).to.equal(bit(Why.OUTFLOW));
    });
  });
});
