import { expect } from "chai";
import { MaxUint256, ZeroAddress, encodeBytes32String } from "ethers";
import { network } from "hardhat";

import { DEFAULT_ASSET_TRIGGERS, DEFAULT_BREAKER_PARAMS } from "../../scripts/lib/testMarket.js";
import {
  Act,
  COOLDOWN,
  DAY,
  FAILED_MASK,
  FALL_WINDOW,
  GRACE,
  GUARDIAN_ACTIONS,
  HOUR,
  Level,
  OUTFLOW_WINDOW,
  Why,
  bit,
  breakerFixture,
  btc,
  debtFixture,
  expectEntry,
  expectPaid,
  expectQueued,
  minedAt,
  nextTimestamp,
  paramBounds,
  updates,
} from "./helpers/breaker.js";
import { Reason as OracleReason, Status } from "./helpers/oracleAdapter.js";
import { usd, wad } from "./helpers/vault.js";

const connection = await network.create();
const { ethers, networkHelpers } = connection;
const at = (t?: bigint): Promise<bigint> => nextTimestamp(connection, t);

describe("CircuitBreaker: triggers", function () {
  describe("oracle status", function () {
    it("DEGRADED: poke trips ORACLE_DEGRADED → NO_BORROW, mask BORROW, one exact event", async function () {
      const { breaker, oracle, weth } = await networkHelpers.loadFixture(breakerFixture);
      const asset = await weth.getAddress();
      await oracle.setPriceData(weth, wad("3000"), wad("3000"), Status.DEGRADED, OracleReason.SOURCES_DISAGREE);
      expect(await breaker.poke.staticCall(weth)).to.deep.equal([Act.BORROW, Level.NO_BORROW]);
      const t = await at();
      const tx = await breaker.poke(weth);
      expect(await updates(breaker, tx)).to.deep.equal([
        [asset, Why.ORACLE_DEGRADED, true, Act.BORROW, Level.NO_BORROW, t + COOLDOWN],
      ]);
      await expectEntry(breaker, asset, Act.BORROW, Level.NO_BORROW, [Why.ORACLE_DEGRADED]);
      expect((await breaker.entry(weth)).cooldownUntil).to.equal(t + COOLDOWN);
      expect(await breaker.actionMask(weth)).to.equal(Act.BORROW);
    });

    it("FAILED: poke trips ORACLE_FAILED → NO_LIQUIDATION, mask 55 (all but DEPOSIT_COLLATERAL)", async function () {
      const { breaker, oracle, weth } = await networkHelpers.loadFixture(breakerFixture);
      const asset = await weth.getAddress();
      expect(FAILED_MASK).to.equal(Act.SUPPLY | Act.WITHDRAW | Act.BORROW | Act.WITHDRAW_COLLATERAL | Act.LIQUIDATE);
      await oracle.setPriceData(weth, 0n, 0n, Status.FAILED, OracleReason.STALE);
      const t = await at();
      const tx = await breaker.poke(weth);
      expect(await updates(breaker, tx)).to.deep.equal([
        [asset, Why.ORACLE_FAILED, true, FAILED_MASK, Level.NO_LIQUIDATION, t + COOLDOWN],
      ]);
      await expectEntry(breaker, asset, FAILED_MASK, Level.NO_LIQUIDATION, [Why.ORACLE_FAILED]);
      // Another poke while it holds changes and emits nothing.
      expect(await updates(breaker, await breaker.poke(weth))).to.deep.equal([]);
    });
  });

  describe("reset", function () {
    it("before the cooldown a poke keeps the trip although the condition cleared; at the cooldown it resets", async function () {
      const { breaker, oracle, weth } = await networkHelpers.loadFixture(breakerFixture);
      const asset = await weth.getAddress();
      await oracle.setPriceData(weth, wad("3000"), wad("3000"), Status.DEGRADED, OracleReason.SOURCES_DISAGREE);
      const t = await at();
      await breaker.poke(weth);
      await oracle.setPrice(weth, wad("3000"));
      await at(t + COOLDOWN - 1n);
      expect(await updates(breaker, await breaker.poke(weth))).to.deep.equal([]);
      await expectEntry(breaker, asset, Act.BORROW, Level.NO_BORROW, [Why.ORACLE_DEGRADED]);
      await at(t + COOLDOWN);
      expect(await updates(breaker, await breaker.poke(weth))).to.deep.equal([
        [asset, Why.ORACLE_DEGRADED, false, 0n, Level.NONE, t + COOLDOWN],
      ]);
      await expectEntry(breaker, asset, 0n, Level.NONE, []);
    });

    it("after the cooldown a poke keeps the trip while the condition still holds", async function () {
      const { breaker, oracle, weth } = await networkHelpers.loadFixture(breakerFixture);
      const asset = await weth.getAddress();
      await oracle.setPriceData(weth, wad("3000"), wad("3000"), Status.DEGRADED, OracleReason.SOURCES_DISAGREE);
      await breaker.poke(weth);
      await networkHelpers.time.increase(Number(2n * COOLDOWN));
      expect(await updates(breaker, await breaker.poke(weth))).to.deep.equal([]);
      await expectEntry(breaker, asset, Act.BORROW, Level.NO_BORROW, [Why.ORACLE_DEGRADED]);
    });

    it("steps down by grade: FAILED then DEGRADED gives level 4, then 2 after the cooldown, then 0 when OK", async function () {
      const { breaker, oracle, weth } = await networkHelpers.loadFixture(breakerFixture);
      const asset = await weth.getAddress();
      await oracle.setPriceData(weth, 0n, 0n, Status.FAILED, OracleReason.STALE);
      const t = await at();
      await breaker.poke(weth);
      await oracle.setPriceData(weth, wad("3000"), wad("3000"), Status.DEGRADED, OracleReason.SOURCES_DISAGREE);
      await at(t + 60n);
      // DEGRADED trips at once (its own cooldown pushes the entry's); FAILED cannot clear before the cooldown.
      expect(await updates(breaker, await breaker.poke(weth))).to.deep.equal([
        [asset, Why.ORACLE_DEGRADED, true, FAILED_MASK, Level.NO_LIQUIDATION, t + 60n + COOLDOWN],
      ]);
      await at(t + 60n + COOLDOWN);
      expect(await updates(breaker, await breaker.poke(weth))).to.deep.equal([
        [asset, Why.ORACLE_FAILED, false, Act.BORROW, Level.NO_BORROW, t + 60n + COOLDOWN],
      ]);
      await expectEntry(breaker, asset, Act.BORROW, Level.NO_BORROW, [Why.ORACLE_DEGRADED]);
      await oracle.setPrice(weth, wad("3000"));
      expect(await updates(breaker, await breaker.poke(weth))).to.deep.equal([
        [asset, Why.ORACLE_DEGRADED, false, 0n, Level.NONE, t + 60n + COOLDOWN],
      ]);
    });
  });

  describe("price fall", function () {
    it("a poke records the reference; a 25% fall trips PRICE_FALL (NO_BORROW) and PRICE_FALL_SOFT", async function () {
      const { breaker, oracle, weth } = await networkHelpers.loadFixture(breakerFixture);
      const asset = await weth.getAddress();
      expect((await breaker.entry(weth)).fallFloor).to.equal(0n);
      expect(await updates(breaker, await breaker.poke(weth))).to.deep.equal([]);
      expect((await breaker.entry(weth)).fallFloor).to.equal(wad("2250"));
      await oracle.setPrice(weth, wad("2700")); // 10%: nothing
      expect(await updates(breaker, await breaker.poke(weth))).to.deep.equal([]);
      await oracle.setPrice(weth, wad("2250"));
      const t = await at();
      expect(await updates(breaker, await breaker.poke(weth))).to.deep.equal([
        [asset, Why.PRICE_FALL, true, Act.BORROW, Level.NO_BORROW, t + COOLDOWN],
        [asset, Why.PRICE_FALL_SOFT, true, Act.BORROW, Level.NO_BORROW, t + COOLDOWN],
      ]);
      await expectEntry(breaker, asset, Act.BORROW, Level.NO_BORROW, [Why.PRICE_FALL, Why.PRICE_FALL_SOFT]);
    });

    it("a fall of 12.5% up to 25% trips only PRICE_FALL_SOFT: TIGHTEN halves the outflow limit", async function () {
      const f = await networkHelpers.loadFixture(breakerFixture);
      const { breaker, oracle, vault, weth, bob } = f;
      const asset = await weth.getAddress();
      await networkHelpers.time.increase(Number(2n * OUTFLOW_WINDOW));
      // The first outflow opens a fresh window on 110 WETH: limit 27.5 WETH.
      await vault.connect(bob).withdrawCollateral(weth, wad("10"), bob.address);
      expect((await breaker.entry(weth)).outflowLimit).to.equal(wad("27.5"));
      await breaker.poke(weth);
      await oracle.setPrice(weth, wad("2626")); // 12.47%: nothing
      expect(await updates(breaker, await breaker.poke(weth))).to.deep.equal([]);
      await oracle.setPrice(weth, wad("2625")); // 12.5%
      const t = await at();
      expect(await updates(breaker, await breaker.poke(weth))).to.deep.equal([
        [asset, Why.PRICE_FALL_SOFT, true, 0n, Level.TIGHTEN, t + COOLDOWN],
      ]);
      expect(await breaker.actionMask(weth)).to.equal(0n);
      expect((await breaker.entry(weth)).outflowLimit).to.equal(wad("13.75"));
      // The halved limit is what withdrawals meet: 3.75 more fit, one wei beyond is queued.
      await expectPaid(vault, vault.connect(bob).withdrawCollateral(weth, wad("3.75"), bob.address));
      await expectQueued(vault, vault.connect(bob).withdrawCollateral(weth, 1n, bob.address));
    });

    it("recovers once the reference windows roll past at the new price, after the cooldown", async function () {
      const { breaker, oracle, weth } = await networkHelpers.loadFixture(breakerFixture);
      const asset = await weth.getAddress();
      const t0 = await at();
      await breaker.poke(weth);
      await oracle.setPrice(weth, wad("2250"));
      await at(t0 + 10n);
      await breaker.poke(weth);
      // Next fall window, past the cooldown: the previous window's $3000 high still counts.
      await at(t0 + FALL_WINDOW + 100n);
      expect(await updates(breaker, await breaker.poke(weth))).to.deep.equal([]);
      await expectEntry(breaker, asset, Act.BORROW, Level.NO_BORROW, [Why.PRICE_FALL, Why.PRICE_FALL_SOFT]);
      // Two windows on, the reference is $2250: no fall, both reasons reset.
      await at(t0 + 2n * FALL_WINDOW + 100n);
      expect(await updates(breaker, await breaker.poke(weth))).to.deep.equal([
        [asset, Why.PRICE_FALL, false, 0n, Level.TIGHTEN, t0 + 10n + COOLDOWN],
        [asset, Why.PRICE_FALL_SOFT, false, 0n, Level.NONE, t0 + 10n + COOLDOWN],
      ]);
      expect((await breaker.entry(weth)).fallFloor).to.equal(wad("1687.5"));
    });

    it("inside the borrow, without a poke: collateral below the poked floor backs nothing; other collateral does", async function () {
      const { breaker, oracle, vault, weth, borrower, alice } = await networkHelpers.loadFixture(breakerFixture);
      await breaker.poke(weth); // floor $2250 for two fall windows
      await oracle.setPrice(weth, wad("2250") - 1n);
      await expect(vault.connect(borrower).borrow(usd("1"), borrower.address))
        .to.be.revertedWithCustomError(vault, "BorrowLimitExceeded")
        .withArgs(borrower.address, wad("1"), 0n);
      expect(await breaker.borrowAllowed(weth, wad("2250") - 1n)).to.equal(false);
      // Nobody poked: the entry itself is untouched.
      await expectEntry(breaker, await weth.getAddress(), 0n, Level.NONE, []);
      await vault.connect(alice).borrow(usd("1000"), alice.address);
      await oracle.setPrice(weth, wad("2300"));
      await vault.connect(borrower).borrow(usd("1000"), borrower.address);
      // The floor holds only while its reference does.
      await oracle.setPrice(weth, wad("2250") - 1n);
      await networkHelpers.time.increase(Number(2n * FALL_WINDOW));
      expect((await breaker.entry(weth)).fallFloor).to.equal(0n);
      await vault.connect(borrower).borrow(usd("1000"), borrower.address);
    });
  });

  describe("NO_BORROW effects", function () {
    it("the base asset's entry stopping BORROW stops every borrow (ActionPaused on the base); supply goes on", async function () {
      const { breaker, oracle, vault, usdc, borrower, alice, lender } =
        await networkHelpers.loadFixture(breakerFixture);
      await breaker.poke(usdc);
      await oracle.setPrice(usdc, wad("0.95")); // a 5% depeg
      await breaker.poke(usdc);
      for (const account of [borrower, alice]) {
        await expect(vault.connect(account).borrow(usd("1000"), account.address))
          .to.be.revertedWithCustomError(breaker, "ActionPaused")
          .withArgs(await usdc.getAddress(), Act.BORROW, Why.PRICE_FALL);
      }
      await vault.connect(lender).deposit(usd("1000"), lender.address);
    });

    it("the global entry stopping BORROW stops every borrow (ActionPaused on address(0))", async function () {
      const { breaker, vault, owner, borrower, alice } = await networkHelpers.loadFixture(breakerFixture);
      await breaker.connect(owner).setGuardian(owner.address);
      await breaker.connect(owner).guardianTrip(ZeroAddress, Number(Act.BORROW));
      for (const account of [borrower, alice]) {
        await expect(vault.connect(account).borrow(usd("1000"), account.address))
          .to.be.revertedWithCustomError(breaker, "ActionPaused")
          .withArgs(ZeroAddress, Act.BORROW, Why.GUARDIAN);
      }
    });

    it("a collateral whose entry stops BORROW adds nothing to the borrow limit; the other collateral still does", async function () {
      const { breaker, oracle, vault, weth, wbtc, borrower } = await networkHelpers.loadFixture(breakerFixture);
      await vault.connect(borrower).depositCollateral(wbtc, btc("1"), borrower.address); // + $43,800 of limit
      await oracle.setPriceData(weth, wad("3000"), wad("3000"), Status.DEGRADED, OracleReason.SOURCES_DISAGREE);
      await breaker.poke(weth);
      await oracle.setPrice(weth, wad("3000")); // OK again, the entry still in its cooldown
      await expect(vault.connect(borrower).borrow(usd("43800") + 1n, borrower.address))
        .to.be.revertedWithCustomError(vault, "BorrowLimitExceeded")
        .withArgs(borrower.address, wad("43800.000001"), wad("43800"));
      await vault.connect(borrower).borrow(usd("43800"), borrower.address);
    });
  });

  describe("liquidations", function () {
    it("FAILED after a poke: refused (engine PriceUnavailable, breaker ActionPaused), then LiquidationGrace, then allowed", async function () {
      const f = await networkHelpers.loadFixture(debtFixture);
      const { breaker, engine, oracle, weth, alice, bob } = f;
      const asset = await weth.getAddress();
      const liquidate = () => engine.connect(bob).liquidate(alice.address, weth, MaxUint256, bob.address);
      await oracle.setPriceData(weth, 0n, 0n, Status.FAILED, OracleReason.FEED_REVERTED);
      const t = await at();
      await breaker.poke(weth);
      // No ceiling for the unknown price: the engine refuses before it asks the breaker.
      await expect(liquidate()).to.be.revertedWithCustomError(engine, "PriceUnavailable").withArgs(alice.address);
      // With a ceiling the account is liquidatable at any price; the breaker stops it.
      await oracle.setPriceCeiling(weth, wad("2740"));
      await expect(liquidate())
        .to.be.revertedWithCustomError(breaker, "ActionPaused")
        .withArgs(asset, Act.LIQUIDATE, Why.ORACLE_FAILED);
      // The price is back (health 0.97) but the trip holds until its cooldown.
      await oracle.setPrice(weth, wad("2740"));
      await expect(liquidate())
        .to.be.revertedWithCustomError(breaker, "ActionPaused")
        .withArgs(asset, Act.LIQUIDATE, Why.ORACLE_FAILED);
      await at(t + COOLDOWN);
      const reset = await breaker.poke(weth);
      expect(await updates(breaker, reset)).to.deep.equal([
        [asset, Why.ORACLE_FAILED, false, 0n, Level.NONE, t + COOLDOWN],
      ]);
      const resumed = await minedAt(reset);
      expect((await breaker.entry(weth)).liquidationsFrom).to.equal(resumed + GRACE);
      await at(resumed + GRACE - 1n);
      await expect(liquidate())
        .to.be.revertedWithCustomError(breaker, "LiquidationGrace")
        .withArgs(asset, resumed + GRACE);
      await at(resumed + GRACE);
      await expect(liquidate()).to.emit(engine, "LiquidationExecuted");
    });

    it("a write-off waits like a liquidation: refused while the base asset's price is FAILED and in the grace after", async function () {
      const f = await networkHelpers.loadFixture(debtFixture);
      const { breaker, engine, oracle, usdc, weth, attacker, bob } = f;
      const base = await usdc.getAddress();
      const writeOff = () => engine.connect(bob).writeOff(attacker.address);
      await oracle.setPrice(weth, wad("1800")); // attacker's 0.05 WETH = $90 for 120 USDC: dust, to write off
      await oracle.setPriceData(usdc, 0n, 0n, Status.FAILED, OracleReason.STALE);
      const t = await at();
      await breaker.poke(usdc);
      await oracle.setPrice(usdc, wad("1")); // the feed is back; the trip holds until its cooldown
      await expect(writeOff())
        .to.be.revertedWithCustomError(breaker, "ActionPaused")
        .withArgs(base, Act.LIQUIDATE, Why.ORACLE_FAILED);
      await at(t + COOLDOWN);
      const resumed = await minedAt(await breaker.poke(usdc));
      await at(resumed + GRACE - 1n);
      await expect(writeOff())
        .to.be.revertedWithCustomError(breaker, "LiquidationGrace")
        .withArgs(base, resumed + GRACE);
      await at(resumed + GRACE);
      await expect(writeOff()).to.emit(f.vault, "BadDebtWrittenOff");
    });

    it("the guardian can never stop liquidations: InvalidActionMask for LIQUIDATE, DEPOSIT_COLLATERAL, 0", async function () {
      const f = await networkHelpers.loadFixture(debtFixture);
      const { breaker, engine, oracle, owner, usdc, weth, alice, bob } = f;
      await breaker.connect(owner).setGuardian(owner.address);
      for (const mask of [Act.LIQUIDATE, Act.DEPOSIT_COLLATERAL, 0n, Act.BORROW | Act.LIQUIDATE, 64n, 255n]) {
        await expect(breaker.connect(owner).guardianTrip(weth, Number(mask)))
          .to.be.revertedWithCustomError(breaker, "InvalidActionMask")
          .withArgs(mask);
      }
      for (const entry of [ZeroAddress, await usdc.getAddress(), await weth.getAddress()]) {
        await breaker.connect(owner).guardianTrip(entry, Number(GUARDIAN_ACTIONS));
      }
      await oracle.setPrice(weth, wad("2740"));
      await expect(engine.connect(bob).liquidate(alice.address, weth, MaxUint256, bob.address)).to.emit(
        engine,
        "LiquidationExecuted",
      );
    });
  });

  describe("bad debt", function () {
    it("a write-off above 0.5% of supply trips BAD_DEBT on the global entry in the same transaction", async function () {
      const f = await networkHelpers.loadFixture(debtFixture);
      const { breaker, engine, oracle, vault, weth, alice, bob } = f;
      await oracle.setPrice(weth, wad("9")); // 24,000 of debt against $90: dust
      const t = await at();
      const tx = await engine.connect(bob).writeOff(alice.address);
      await expect(tx).to.emit(vault, "BadDebtWrittenOff");
      expect(await updates(breaker, tx)).to.deep.equal([
        [ZeroAddress, Why.BAD_DEBT, true, Act.BORROW, Level.NO_BORROW, t + COOLDOWN],
      ]);
      await expectEntry(breaker, ZeroAddress, Act.BORROW, Level.NO_BORROW, [Why.BAD_DEBT]);
      expect(await breaker.actionMask(weth)).to.equal(Act.BORROW); // the global entry applies to every asset
    });

    it("a liquidation that writes off above the bound trips BAD_DEBT in the same transaction", async function () {
      const f = await networkHelpers.loadFixture(debtFixture);
      const { breaker, engine, oracle, vault, weth, alice, bob } = f;
      await oracle.setPrice(weth, wad("1500")); // $15,000 for 24,000: all seized, ~9,700 written off
      const t = await at();
      const tx = await engine.connect(bob).liquidate(alice.address, weth, MaxUint256, bob.address);
      await expect(tx).to.emit(vault, "BadDebtWrittenOff");
      expect(await updates(breaker, tx)).to.deep.equal([
        [ZeroAddress, Why.BAD_DEBT, true, Act.BORROW, Level.NO_BORROW, t + COOLDOWN],
      ]);
    });

    it("BAD_DEBT stops new borrows (ActionPaused(0, BORROW, BAD_DEBT)) until a poke after the cooldown", async function () {
      const f = await networkHelpers.loadFixture(debtFixture);
      const { breaker, engine, oracle, vault, wbtc, weth, alice, bob, borrower } = f;
      await oracle.setPrice(weth, wad("9"));
      const t = await minedAt(await engine.connect(bob).writeOff(alice.address));
      await vault.connect(borrower).depositCollateral(wbtc, btc("1"), borrower.address);
      const borrow = () => vault.connect(borrower).borrow(usd("1000"), borrower.address);
      await expect(borrow())
        .to.be.revertedWithCustomError(breaker, "ActionPaused")
        .withArgs(ZeroAddress, Act.BORROW, Why.BAD_DEBT);
      await at(t + COOLDOWN - 1n);
      expect(await updates(breaker, await breaker.poke(ZeroAddress))).to.deep.equal([]);
      await expect(borrow()).to.be.revertedWithCustomError(breaker, "ActionPaused");
      await at(t + COOLDOWN);
      expect(await updates(breaker, await breaker.poke(ZeroAddress))).to.deep.equal([
        [ZeroAddress, Why.BAD_DEBT, false, 0n, Level.NONE, t + COOLDOWN],
      ]);
      // The realised loss is the new baseline: it does not trip again.
      expect(await updates(breaker, await breaker.poke(ZeroAddress))).to.deep.equal([]);
      await expect(borrow()).to.emit(vault, "Borrowed");
    });

    it("a write-off below the bound trips nothing; the bound is strict: loss > badDebtShare × supply", async function () {
      const f = await networkHelpers.loadFixture(debtFixture);
      const { breaker, engine, oracle, weth, attacker, bob, lender } = f;
      await oracle.setPrice(weth, wad("1800")); // 0.05 WETH = $90 for 120 USDC: dust
      expect(await updates(breaker, await engine.connect(bob).writeOff(attacker.address))).to.deep.equal([]);
      await expectEntry(breaker, ZeroAddress, 0n, Level.NONE, []);
      // At the bound exactly: 120 lost of a supply (after the loss; no reserves) of exactly 1,000,000.
      for (const [share, trips] of [
        [wad("0.00012"), false],
        [wad("0.00012") - 1n, true],
      ] as const) {
        const g = await networkHelpers.loadFixture(debtFixture);
        await g.vault.connect(lender).deposit(usd("120"), lender.address);
        await g.oracle.setPrice(g.weth, wad("1800"));
        await g.breaker.connect(g.owner).setParams({ ...DEFAULT_BREAKER_PARAMS, badDebtShare: share });
        const tx = await g.engine.connect(bob).writeOff(attacker.address);
        expect(await g.vault.totalAssets()).to.equal(usd("1000000"));
        expect((await updates(g.breaker, tx)).length, `share ${share}`).to.equal(trips ? 1 : 0);
      }
    });

    it("a write-off made after the 7-day bad-debt window lapsed still trips: it counts in the new window, not in its baseline (was a bug)", async function () {
      // onBadDebt used to roll the window *after* the vault had added the write-off to badDebt(), so the new baseline
      // contained it and recent read 0. The window now opens before the write-off it is told about.
      const f = await networkHelpers.loadFixture(debtFixture);
      const { breaker, engine, oracle, weth, alice, bob } = f;
      await networkHelpers.time.increase(Number(7n * DAY));
      await oracle.setPrice(weth, wad("9"));
      const tx = await engine.connect(bob).writeOff(alice.address);
      const poked = await breaker.poke(ZeroAddress);
      expect([...(await updates(breaker, tx)), ...(await updates(breaker, poked))].length).to.equal(1);
      await expectEntry(breaker, ZeroAddress, Act.BORROW, Level.NO_BORROW, [Why.BAD_DEBT]);
    });
  });

  describe("guardian", function () {
    it("setGuardian is owner-only, emits GuardianSet; address(0) removes the guardian", async function () {
      const { breaker, owner, alice, attacker } = await networkHelpers.loadFixture(breakerFixture);
      await expect(breaker.connect(attacker).setGuardian(attacker.address))
        .to.be.revertedWithCustomError(breaker, "OwnableUnauthorizedAccount")
        .withArgs(attacker.address);
      await expect(breaker.connect(owner).setGuardian(alice.address))
        .to.emit(breaker, "GuardianSet")
        .withArgs(alice.address);
      expect(await breaker.guardian()).to.equal(alice.address);
      await breaker.connect(owner).setGuardian(ZeroAddress);
      await expect(breaker.connect(alice).guardianTrip(ZeroAddress, Number(Act.BORROW)))
        .to.be.revertedWithCustomError(breaker, "NotGuardian")
        .withArgs(alice.address);
    });

    it("guardianTrip by anyone but the guardian reverts NotGuardian", async function () {
      const { breaker, owner, alice, attacker } = await networkHelpers.loadFixture(breakerFixture);
      await breaker.connect(owner).setGuardian(alice.address);
      for (const caller of [attacker, owner]) {
        await expect(breaker.connect(caller).guardianTrip(ZeroAddress, Number(Act.BORROW)))
          .to.be.revertedWithCustomError(breaker, "NotGuardian")
          .withArgs(caller.address);
      }
    });

    it("a guardian trip holds at once and for guardianCooldown; then it lapses and a poke emits the reset", async function () {
      const { breaker, vault, owner, weth, bob } = await networkHelpers.loadFixture(breakerFixture);
      const asset = await weth.getAddress();
      await breaker.connect(owner).setGuardian(owner.address);
      const mask = Act.BORROW | Act.WITHDRAW_COLLATERAL;
      const t = await at();
      const tx = await breaker.connect(owner).guardianTrip(weth, Number(mask));
      expect(await updates(breaker, tx)).to.deep.equal([[asset, Why.GUARDIAN, true, mask, Level.QUEUE, 0n]]);
      expect((await breaker.entry(weth)).guardianUntil).to.equal(t + DAY);
      expect(await breaker.actionMask(weth)).to.equal(mask);
      await expectQueued(vault, vault.connect(bob).withdrawCollateral(weth, wad("1"), bob.address));
      await at(t + DAY - 1n);
      expect(await updates(breaker, await breaker.poke(weth))).to.deep.equal([]);
      expect(await breaker.actionMask(weth)).to.equal(mask);
      await networkHelpers.time.increase(1);
      expect(await breaker.actionMask(weth)).to.equal(0n);
      expect(await updates(breaker, await breaker.poke(weth))).to.deep.equal([
        [asset, Why.GUARDIAN, false, 0n, Level.NONE, 0n],
      ]);
      await expectPaid(vault, vault.connect(bob).withdrawCollateral(weth, wad("1"), bob.address));
    });
  });

  describe("activeEntries: the count that lets a calm breaker read no status", function () {
    for (const reasonFirst of [true, false]) {
      it(`one entry with a guardian mask and a reason counts once, whichever clears first (${reasonFirst ? "the reason" : "the mask"})`, async function () {
        const { breaker, owner, oracle, weth } = await networkHelpers.loadFixture(breakerFixture);
        await breaker.connect(owner).setGuardian(owner.address);
        const degraded = () =>
          oracle.setPriceData(weth, wad("3000"), wad("3000"), Status.DEGRADED, OracleReason.SOURCES_DISAGREE);
        const ok = () => oracle.setPriceData(weth, wad("3000"), wad("3000"), Status.OK, OracleReason.NONE);
        const t = await at();
        await breaker.connect(owner).guardianTrip(weth, Number(Act.BORROW));
        // The reason trips either at once (it clears long before the mask lapses) or just before the mask lapses.
        const tripAt = reasonFirst ? t + 10n : t + DAY - 10n;
        await degraded();
        await at(tripAt);
        await breaker.poke(weth);
        expect((await breaker.entry(weth)).reasons).to.not.equal(0n);
        expect(await breaker.activeEntries()).to.equal(1n);
        if (reasonFirst) {
          await ok();
          await at(tripAt + COOLDOWN + 1n);
          await breaker.poke(weth); // the reason clears; the mask holds
          expect((await breaker.entry(weth)).reasons).to.equal(0n);
          expect(await breaker.actionMask(weth)).to.equal(Act.BORROW);
          expect(await breaker.activeEntries()).to.equal(1n);
          await at(t + DAY + 1n);
          await breaker.poke(weth); // the mask lapses and is cleared
        } else {
          await at(t + DAY + 1n);
          await breaker.poke(weth); // the mask is cleared; the reason holds (its cooldown runs past the mask)
          expect((await breaker.entry(weth)).reasons).to.not.equal(0n);
          expect(await breaker.activeEntries()).to.equal(1n);
          await ok();
          await at(tripAt + COOLDOWN + 1n);
          await breaker.poke(weth);
        }
        expect((await breaker.entry(weth)).reasons).to.equal(0n);
        expect(await breaker.actionMask(weth)).to.equal(0n);
        expect(await breaker.activeEntries()).to.equal(0n);
      });
    }

    it("counts each entry holding a reason or a guardian mask once, until a poke clears an expired mask; a trip stops actions at once from a count of 0", async function () {
      const { breaker, vault, owner, oracle, weth, usdc, bob, lender } =
        await networkHelpers.loadFixture(breakerFixture);
      await breaker.connect(owner).setGuardian(owner.address);
      expect(await breaker.activeEntries()).to.equal(0n);
      // The attack: a count that says calm while an entry stops something would let the hooks skip the stop.
      const t = await at();
      await breaker.connect(owner).guardianTrip(usdc, Number(Act.SUPPLY));
      expect(await breaker.activeEntries()).to.equal(1n);
      await expect(vault.connect(lender).deposit(usd("1"), lender.address))
        .to.be.revertedWithCustomError(breaker, "ActionPaused")
        .withArgs(await usdc.getAddress(), Act.SUPPLY, Why.GUARDIAN);
      await breaker.connect(owner).guardianTrip(usdc, Number(Act.BORROW)); // same entry: still one
      await breaker.connect(owner).guardianTrip(ZeroAddress, Number(Act.WITHDRAW_COLLATERAL));
      expect(await breaker.activeEntries()).to.equal(2n);
      await expectQueued(vault, vault.connect(bob).withdrawCollateral(weth, wad("1"), bob.address));
      // A price trip on a third entry, then its reason clears after the cooldown while the guardian's hold.
      await oracle.setPriceData(weth, wad("3000"), wad("3000"), Status.DEGRADED, OracleReason.SOURCES_DISAGREE);
      const tripped = await at();
      await breaker.poke(weth);
      expect(await breaker.activeEntries()).to.equal(3n);
      await oracle.setPriceData(weth, wad("3000"), wad("3000"), Status.OK, OracleReason.NONE);
      await at(tripped + COOLDOWN + 1n);
      await breaker.poke(weth);
      expect((await breaker.entry(weth)).reasons).to.equal(0n);
      expect(await breaker.activeEntries()).to.equal(2n);
      // Expired guardian masks stop nothing but count until a poke clears them: the hooks read the entries meanwhile.
      await networkHelpers.time.increaseTo(t + DAY + HOUR); // past both guardian holds (each trip extended its own)
      expect(await breaker.actionMask(usdc)).to.equal(0n);
      expect(await breaker.activeEntries()).to.equal(2n);
      await expectPaid(vault, vault.connect(bob).withdrawCollateral(weth, wad("1"), bob.address));
      await breaker.poke(usdc);
      expect(await breaker.activeEntries()).to.equal(1n);
      await breaker.poke(ZeroAddress);
      expect(await breaker.activeEntries()).to.equal(0n);
      await vault.connect(lender).deposit(usd("1"), lender.address);
      // From a count of 0, a withdrawal past the room trips OUTFLOW inside the action, and the next one queues.
      await expectQueued(vault, vault.connect(bob).withdrawCollateral(weth, wad("90"), bob.address));
      expect(await breaker.activeEntries()).to.equal(1n);
      await expectQueued(vault, vault.connect(bob).withdrawCollateral(weth, wad("0.5"), bob.address));
    });
  });

  describe("governance, views and access", function () {
    it("poke, guardianTrip and setAssetParams reject an unknown token with UnknownAsset", async function () {
      const { breaker, owner } = await networkHelpers.loadFixture(breakerFixture);
      const token = await ethers.deployContract("MockERC20", ["Unknown", "UNK", 18]);
      const unknown = await token.getAddress();
      await breaker.connect(owner).setGuardian(owner.address);
      await expect(breaker.poke(unknown)).to.be.revertedWithCustomError(breaker, "UnknownAsset").withArgs(unknown);
      await expect(breaker.connect(owner).guardianTrip(unknown, Number(Act.BORROW)))
        .to.be.revertedWithCustomError(breaker, "UnknownAsset")
        .withArgs(unknown);
      await expect(breaker.connect(owner).setAssetParams(unknown, DEFAULT_ASSET_TRIGGERS))
        .to.be.revertedWithCustomError(breaker, "UnknownAsset")
        .withArgs(unknown);
    });

    it("every setParams / setAssetParams bound: just outside reverts ParameterOutOfBounds, the bound itself is accepted", async function () {
      const { breaker, owner, weth } = await networkHelpers.loadFixture(breakerFixture);
      const b = breaker;
      const { shared, perAsset } = await paramBounds(b);
      // The documented bounds: 5 min–1 day, 1 hour–7 days, 10 min–3 days, ≤ 1 hour, 10%–90%, 0.01%–10%.
      const documented = [300n, DAY, HOUR, 7n * DAY, 600n, 3n * DAY, 0n, HOUR, wad("0.1"), wad("0.9")];
      expect(shared.flatMap(([, lo, hi]) => [lo, hi])).to.deep.equal([...documented, wad("0.0001"), wad("0.1")]);
      for (const [name, lo, hi] of shared) {
        for (const bad of lo === 0n ? [hi + 1n] : [lo - 1n, hi + 1n]) {
          await expect(b.connect(owner).setParams({ ...DEFAULT_BREAKER_PARAMS, [name]: bad }))
            .to.be.revertedWithCustomError(b, "ParameterOutOfBounds")
            .withArgs(encodeBytes32String(name), bad, lo, hi);
        }
        for (const good of [lo, hi]) {
          await expect(b.connect(owner).setParams({ ...DEFAULT_BREAKER_PARAMS, [name]: good })).to.emit(b, "ParamsSet");
          expect((await b.params())[name as "cooldown"]).to.equal(good);
        }
      }
      for (const target of [ZeroAddress, await weth.getAddress()]) {
        for (const [name, lo, hi] of perAsset) {
          for (const bad of [lo - 1n, hi + 1n]) {
            await expect(b.connect(owner).setAssetParams(target, { ...DEFAULT_ASSET_TRIGGERS, [name]: bad }))
              .to.be.revertedWithCustomError(b, "ParameterOutOfBounds")
              .withArgs(encodeBytes32String(name), bad, lo, hi);
          }
          for (const good of [lo, hi]) {
            await expect(b.connect(owner).setAssetParams(target, { ...DEFAULT_ASSET_TRIGGERS, [name]: good }))
              .to.emit(b, "AssetParamsSet")
              .withArgs(target, (v: unknown) => (v as Record<string, bigint>)[name] === good);
            expect((await b.assetParams(target))[name as "maxFall"]).to.equal(good);
          }
        }
      }
    });

    it("setParams and setAssetParams are owner-only (OwnableUnauthorizedAccount)", async function () {
      const { breaker, attacker, weth } = await networkHelpers.loadFixture(breakerFixture);
      await expect(breaker.connect(attacker).setParams(DEFAULT_BREAKER_PARAMS))
        .to.be.revertedWithCustomError(breaker, "OwnableUnauthorizedAccount")
        .withArgs(attacker.address);
      for (const target of [ZeroAddress, await weth.getAddress()]) {
        await expect(breaker.connect(attacker).setAssetParams(target, DEFAULT_ASSET_TRIGGERS))
          .to.be.revertedWithCustomError(breaker, "OwnableUnauthorizedAccount")
          .withArgs(attacker.address);
      }
    });

    it("state() lists the global entry, the base asset, then every collateral, each as entry() reads it", async function () {
      const f = await networkHelpers.loadFixture(breakerFixture);
      const { breaker, oracle, owner, vault, usdc, weth, wbtc, bob } = f;
      await networkHelpers.time.increase(Number(2n * OUTFLOW_WINDOW));
      await vault.connect(bob).withdrawCollateral(weth, wad("10"), bob.address); // WETH window: 10 of 27.5 used
      await breaker.connect(owner).setGuardian(owner.address);
      const t = await at();
      await breaker.connect(owner).guardianTrip(ZeroAddress, Number(Act.SUPPLY));
      await breaker.poke(usdc);
      await breaker.poke(weth);
      await oracle.setPriceData(wbtc, wad("60000"), wad("60000"), Status.DEGRADED, OracleReason.SOURCES_DISAGREE);
      const tw = await at();
      await breaker.poke(wbtc);
      const entries = await breaker.state();
      const assets = [ZeroAddress, await usdc.getAddress(), await weth.getAddress(), await wbtc.getAddress()];
      expect(entries.map((e) => e.asset)).to.deep.equal(assets);
      for (const [i, e] of entries.entries()) expect([...e]).to.deep.equal([...(await breaker.entry(assets[i]))]);
      const [global, base, eth, btcEntry] = entries;
      expect([global.actionMask, global.level, global.guardianUntil]).to.deep.equal([
        Act.SUPPLY,
        Level.NO_BORROW,
        t + DAY,
      ]);
      expect([global.outflowUsed, global.outflowLimit]).to.deep.equal([0n, 0n]);
      expect([base.level, base.fallFloor]).to.deep.equal([Level.NONE, wad("0.95")]);
      // 10 of 27.5 WETH used; a guardian stop (here of SUPPLY) does not tighten outflow limits, only automatic trips do.
      expect([eth.outflowUsed, eth.outflowLimit, eth.fallFloor]).to.deep.equal([wad("10"), wad("27.5"), wad("2250")]);
      expect([btcEntry.actionMask, btcEntry.reasons, btcEntry.cooldownUntil]).to.deep.equal([
        Act.BORROW,
        bit(Why.ORACLE_DEGRADED),
        tw + COOLDOWN,
      ]);
    });
  });
});
