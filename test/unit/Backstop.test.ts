/**
 * Issue 26: the first-loss backstop and the vault's loss waterfall (reserves → backstop → lenders).
 *
 * Each rule with the attack that would break it: a write-off past reserves paid in its own transaction (lenders'
 * share price does not move); a provision past reserves earmarked at once (no dip and jump back, so no deposit around
 * a loss gains); recovered value to lenders, then the backstop, then reserves; stakers who try to leave before a loss
 * lands; a backstop that reverts, burns its gas or lies; reserve income, bounded; ERC-4626 donation and inflation.
 */
import { expect } from "chai";
import { MaxUint256, ZeroAddress } from "ethers";
import { network } from "hardhat";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import type { NetworkConnection } from "hardhat/types/network";

import type { Backstop } from "../../typechain-types/index.js";
import { deployLinkedBackstop } from "./helpers/backstop.js";
import { liquidationFixture } from "./helpers/liquidationModel.js";
import type { LiquidationFixture } from "./helpers/liquidationModel.js";
import { usd, wad } from "./helpers/vault.js";

const { ethers, networkHelpers } = await network.create();
const { time } = networkHelpers;

const DAY = 86_400n;
const HOUR = 3_600n;
const COOLDOWN = 7n * DAY;
const WINDOW = 2n * DAY;
const RELEASE = 7n * DAY;
const STAKE = usd("30000");

interface BackstopFixture extends LiquidationFixture {
  backstop: Backstop;
  staker: HardhatEthersSigner;
  depositor: HardhatEthersSigner;
  recovery: HardhatEthersSigner;
}

/** A backstop with `stake` staked, set on the liquidation fixture (zero rate; 1,200 USDC of reserves; alice owes
 *  24,000 USDC against 10 WETH at $3000), with a plain signer as the recovery module. */
async function deployBackstop(connection: NetworkConnection, stake: bigint): Promise<BackstopFixture> {
  const f = await liquidationFixture(connection);
  const signers = await connection.ethers.getSigners();
  const [riskManager, recovery, staker, depositor] = [signers[6], signers[7], signers[8], signers[9]];
  await f.vault.connect(f.owner).setRiskModules(riskManager.address, recovery.address);
  const backstop = await deployLinkedBackstop(connection, f, [staker, depositor, recovery], stake);
  for (const who of [staker, depositor, recovery]) await f.usdc.connect(who).approve(f.vault, MaxUint256);
  await f.weth.connect(recovery).approve(f.vault, MaxUint256);
  return { ...f, backstop, staker, depositor, recovery };
}

const backstopFixture = (c: NetworkConnection) => deployBackstop(c, STAKE);
const smallBackstopFixture = (c: NetworkConnection) => deployBackstop(c, usd("10000"));

/** WETH at $9: alice's 10 WETH are dust; the engine writes her 24,000 USDC off. */
async function writeOffAlice(f: BackstopFixture) {
  await f.oracle.setPrice(f.weth, wad("9"));
  return f.engine.connect(f.bob).writeOff(f.alice.address);
}

/** A write-off trips the breaker's BAD_DEBT reason for its window, and exits and stakes stay closed meanwhile; past
 *  it, a poke clears it. */
async function pastTheBadDebtWindow(f: BackstopFixture) {
  expect(await f.backstop.closedReason()).to.equal(2n);
  expect(await f.backstop.maxDeposit(f.depositor.address)).to.equal(0n);
  await time.increase(8n * DAY);
  await f.breaker.poke(ZeroAddress);
  expect(await f.backstop.closedReason()).to.equal(0n);
}

/** `n` checkpoints an hour apart (the first now), as the keeper sights the recovery's prices while the vault owes the
 *  backstop: three mark a price that held throughout. */
async function sightHourly(backstop: Backstop, n: number) {
  for (let i = 0; i < n; i++) {
    if (i > 0) await time.increase(HOUR);
    await backstop.checkpoint();
  }
}

/** What the vault holds of USDC is at least its books' cash (INV-03). */
async function expectCashBacked(f: BackstopFixture) {
  expect(await f.usdc.balanceOf(f.vault)).to.be.greaterThanOrEqual(await f.vault.cash());
  expect(await f.usdc.balanceOf(f.backstop)).to.be.greaterThanOrEqual(await f.backstop.idle());
}

describe("Backstop: the loss waterfall, reserves → backstop → lenders (issue 26)", function () {
  describe("write-offs", function () {
    it("a write-off past reserves is paid by the backstop in the same transaction: lenders' value does not move", async function () {
      const f = await networkHelpers.loadFixture(backstopFixture);
      const { vault, lens, backstop, alice } = f;
      const assetsBefore = await vault.totalAssets();
      await expect(writeOffAlice(f))
        .to.emit(vault, "BadDebtWrittenOff")
        .withArgs(alice.address, usd("24000"), usd("1200"), 0n)
        .and.to.emit(backstop, "Covered")
        .withArgs(usd("22800"), usd("22800"), 0n)
        .and.to.emit(vault, "BackstopSettled")
        .withArgs(usd("22800"), usd("22800"), 0n, usd("22800"));
      expect(await vault.totalAssets()).to.equal(assetsBefore);
      expect(await lens.unrecoveredLoss(vault)).to.equal(0n);
      expect(await vault.reserves()).to.equal(0n);
      expect(await backstop.totalAssets()).to.equal(STAKE - usd("22800"));
      expect((await lens.backstop(vault)).owed).to.equal(usd("22800"));
      await expectCashBacked(f);
    });

    it("a backstop too small pays what it has; lenders bear only the rest", async function () {
      const f = await networkHelpers.loadFixture(smallBackstopFixture);
      const { vault, lens, backstop, alice } = f;
      const assetsBefore = await vault.totalAssets();
      await expect(writeOffAlice(f))
        .to.emit(vault, "BadDebtWrittenOff")
        .withArgs(alice.address, usd("24000"), usd("1200"), usd("12800"));
      expect(await vault.totalAssets()).to.equal(assetsBefore - usd("12800"));
      expect(await lens.unrecoveredLoss(vault)).to.equal(usd("12800"));
      expect(await backstop.totalAssets()).to.equal(0n);
      expect(await backstop.idle()).to.equal(0n);
      await expectCashBacked(f);
    });

    it("a loss reserves absorb whole never reaches the backstop", async function () {
      const f = await networkHelpers.loadFixture(backstopFixture);
      const { vault, engine, oracle, weth, backstop, bob, attacker: small } = f;
      // A small account (0.05 WETH, 100 USDC owed) whose loss fits in the 1,200 USDC of reserves.
      await vault.connect(small).depositCollateral(weth, wad("0.05"), small.address);
      await vault.connect(small).borrow(usd("100"), small.address);
      await oracle.setPrice(weth, wad("9"));
      await expect(engine.connect(bob).writeOff(small.address)).not.to.emit(backstop, "Covered");
      expect(await vault.reserves()).to.equal(usd("1100"));
      expect(await backstop.totalAssets()).to.equal(STAKE);
    });
  });

  describe("provisions: earmarked at once, so the share price never dips and jumps back", function () {
    it("a flag past reserves leaves lenders' value where it was; the backstop's value falls at once, and comes back slowly", async function () {
      const f = await networkHelpers.loadFixture(backstopFixture);
      const { vault, lens, engine, oracle, weth, backstop, alice, bob } = f;
      const assetsBefore = await vault.totalAssets();
      await oracle.setPrice(weth, wad("2000"));
      await engine.connect(bob).flag(alice.address);
      const provision = await lens.provisionOf(vault, alice.address);
      expect(provision).to.be.greaterThan(usd("1200"));
      const earmark = provision - usd("1200");
      expect(await backstop.earmarked()).to.equal(earmark);
      expect((await lens.backstop(vault)).earmarked).to.equal(earmark);
      expect(await vault.totalAssets()).to.equal(assetsBefore);
      expect(await backstop.totalAssets()).to.equal(STAKE - earmark);
      expect(await backstop.closedReason()).to.equal(1n);

      // Prices come back: the provision goes, lenders see nothing (they never lost), and the backstop gets its
      // earmark back at once: it undoes a loss (nobody entered or left meanwhile), so a staker whose window opens now
      // leaves with all of it, not a seventh a day of it.
      await oracle.setPrice(weth, wad("3000"));
      await engine.connect(bob).unflag(alice.address);
      expect(await backstop.earmarked()).to.equal(0n);
      expect(await vault.totalAssets()).to.equal(assetsBefore);
      expect(await backstop.totalAssets()).to.equal(STAKE);
      expect(await backstop.heldBack()).to.equal(0n);
      expect(await backstop.closedReason()).to.equal(0n);
    });

    it("without a backstop the same flag lowers lenders' value at once (the loss the backstop takes)", async function () {
      const f = await networkHelpers.loadFixture(liquidationFixture);
      const assetsBefore = await f.vault.totalAssets();
      await f.oracle.setPrice(f.weth, wad("2000"));
      await f.engine.connect(f.bob).flag(f.alice.address);
      const provision = await f.lens.provisionOf(f.vault, f.alice.address);
      expect(await f.vault.totalAssets()).to.equal(assetsBefore - (provision - usd("1200")));
    });

    it("a deposit placed before the flag and redeemed after the write-off gains nothing and loses nothing", async function () {
      const f = await networkHelpers.loadFixture(backstopFixture);
      const { vault, engine, oracle, weth, alice, bob, depositor, usdc } = f;
      const before = await usdc.balanceOf(depositor.address);
      await vault.connect(depositor).deposit(usd("500000"), depositor.address);
      await oracle.setPrice(weth, wad("2000"));
      await engine.connect(bob).flag(alice.address);
      await oracle.setPrice(weth, wad("9"));
      await engine.connect(bob).writeOff(alice.address);
      await vault
        .connect(depositor)
        .redeem(await vault.balanceOf(depositor.address), depositor.address, depositor.address);
      const after = await usdc.balanceOf(depositor.address);
      expect(after).to.be.lessThanOrEqual(before);
      expect(before - after).to.be.lessThanOrEqual(1n); // rounding only: the loss fell on the backstop
    });

    it("a repayment lowers the provision and the earmark with it", async function () {
      const f = await networkHelpers.loadFixture(backstopFixture);
      const { vault, lens, engine, oracle, weth, backstop, alice, bob, usdc } = f;
      await oracle.setPrice(weth, wad("2000"));
      await engine.connect(bob).flag(alice.address);
      const provision = await lens.provisionOf(vault, alice.address);
      await usdc.connect(alice).approve(vault, MaxUint256);
      const assetsBefore = await vault.totalAssets();
      await vault.connect(alice).repay(usd("2000"), alice.address);
      expect(await lens.provisionOf(vault, alice.address)).to.equal(provision - usd("2000"));
      expect(await backstop.earmarked()).to.equal(provision - usd("2000") - usd("1200"));
      expect(await vault.totalAssets()).to.equal(assetsBefore);
    });
  });

  describe("recovery: lenders, then the backstop, then reserves", function () {
    it("proceeds repay lenders' unrecovered loss first, then what the backstop paid, then reserves", async function () {
      const f = await networkHelpers.loadFixture(smallBackstopFixture);
      const { vault, lens, backstop, recovery, weth } = f;
      await writeOffAlice(f); // reserves 1,200, backstop 10,000, lenders 12,800
      await f.oracle.setPrice(weth, wad("3000"));
      await vault.connect(recovery).releaseProtocolCollateral(weth, wad("10"));
      await expect(vault.connect(recovery).settleRecovery(weth, 0n, usd("15000")))
        .to.emit(vault, "RecoverySettled")
        .withArgs(await weth.getAddress(), 0n, usd("15000"), usd("12800"))
        .and.to.emit(vault, "BackstopRepaid")
        .withArgs(usd("2200"), usd("7800"));
      expect(await lens.unrecoveredLoss(vault)).to.equal(0n);
      expect(await vault.reserves()).to.equal(0n);
      expect(await backstop.idle()).to.equal(usd("2200"));
      await expect(vault.connect(recovery).settleRecovery(weth, 0n, usd("20000")))
        .to.emit(vault, "BackstopRepaid")
        .withArgs(usd("7800"), 0n);
      expect(await vault.reserves()).to.equal(usd("12200"));
      expect(await backstop.idle()).to.equal(usd("10000"));
      // What it recovered reaches its share price slowly: a staker who joined just before gets no jump.
      expect(await backstop.totalAssets()).to.be.lessThan(usd("100"));
      await time.increase(RELEASE);
      expect(await backstop.totalAssets()).to.equal(usd("10000"));
      await expectCashBacked(f);
    });
  });

  describe("entries: nobody buys in cheap while a loss is marked, and nobody pays for more than recovery can bring", function () {
    it("a stake is refused while a loss is pending (cash earmarked, or provisions past reserves)", async function () {
      const f = await networkHelpers.loadFixture(smallBackstopFixture);
      const { backstop, engine, oracle, weth, alice, bob, attacker, usdc } = f;
      await oracle.setPrice(weth, wad("1000"));
      await engine.connect(bob).flag(alice.address); // provision ≈ 14,000 past 1,200 of reserves: all 10,000 earmarked
      expect(await backstop.earmarked()).to.equal(usd("10000"));
      expect(await backstop.totalAssets()).to.equal(0n);
      expect(await backstop.lossPending()).to.equal(true);
      expect(await backstop.maxDeposit(attacker.address)).to.equal(0n);
      expect(await backstop.maxMint(attacker.address)).to.equal(0n);
      await usdc.connect(attacker).approve(backstop, MaxUint256);
      await expect(backstop.connect(attacker).deposit(1000n, attacker.address)).to.be.revertedWithCustomError(
        backstop,
        "StakingClosed",
      );
      await expect(backstop.connect(attacker).mint(10n ** 9n, attacker.address)).to.be.revertedWithCustomError(
        backstop,
        "StakingClosed",
      );
      // Once the loss has gone, stakes are taken again, at the full value the earmark's return gave back.
      await oracle.setPrice(weth, wad("3000"));
      await engine.connect(bob).unflag(alice.address);
      expect(await backstop.maxDeposit(attacker.address)).to.equal(MaxUint256);
      await backstop.connect(attacker).deposit(1000n, attacker.address);
      expect(await backstop.previewRedeem(await backstop.balanceOf(attacker.address))).to.be.lessThanOrEqual(1000n);
    });

    it("after a write-off a newcomer pays only what recovery can bring: those who bore the loss cannot take its stake", async function () {
      const f = await networkHelpers.loadFixture(smallBackstopFixture);
      const { vault, lens, backstop, staker, depositor, weth, oracle } = f;
      await writeOffAlice(f); // backstop pays 10,000; lenders bear 12,800; the protocol owns 10 WETH at $9
      await pastTheBadDebtWindow(f);
      expect((await lens.backstop(vault)).owed).to.equal(usd("10000"));
      expect(await lens.unrecoveredLoss(vault)).to.equal(usd("12800"));
      // $90 of collateral, all of it lenders' first: the vault's debt to the backstop is worth nothing now.
      expect(await backstop.recoverable()).to.equal(0n);
      expect(await backstop.entryAssets()).to.equal(0n);
      await backstop.connect(depositor).deposit(usd("10000"), depositor.address);
      // The old staker leaves with (at most) a unit of the newcomer's money; the newcomer keeps the rest.
      await backstop.connect(staker).requestUnstake(await backstop.balanceOf(staker.address));
      await time.increase(COOLDOWN);
      expect(await backstop.maxWithdraw(staker.address)).to.be.lessThanOrEqual(1n);
      expect(await backstop.previewRedeem(await backstop.balanceOf(depositor.address))).to.be.greaterThanOrEqual(
        usd("10000") - 1n,
      );
      // At $1,500 the 10 WETH would bring $15,000: 12,800 to lenders, 2,200 to the backstop.
      await oracle.setPrice(weth, wad("1500"));
      expect(await backstop.recoverable()).to.equal(usd("2200"));
      // A price the oracle cannot give is valued at the most: all that is owed.
      await oracle.setPriceData(weth, 0n, 0n, 2, 2);
      expect(await backstop.recoverable()).to.equal(usd("10000"));
      await oracle.setPrice(weth, wad("9"));
      await oracle.setPriceData(f.usdc, 0n, 0n, 2, 2);
      expect(await backstop.recoverable()).to.equal(usd("10000"));
    });

    it("a stake is refused while exits are closed, or while the recovery cannot be priced", async function () {
      const f = await networkHelpers.loadFixture(smallBackstopFixture);
      const { backstop, depositor, breaker, oracle, weth } = f;
      // A doubted price trips the breaker: stakers cannot leave, so nobody buys in (at a crash's bottom) either.
      await oracle.setPriceData(weth, wad("3000"), wad("3100"), 1, 6);
      await breaker.poke(weth);
      expect(await backstop.closedReason()).to.equal(2n);
      expect(await backstop.maxDeposit(depositor.address)).to.equal(0n);
      await expect(backstop.connect(depositor).deposit(usd("1000"), depositor.address)).to.be.revertedWithCustomError(
        backstop,
        "StakingClosed",
      );
      // After a write-off, a failed collateral price leaves the recovery unpriced: stakes wait for it.
      const g = await networkHelpers.loadFixture(smallBackstopFixture);
      await writeOffAlice(g);
      await pastTheBadDebtWindow(g);
      await g.oracle.setPrice(g.weth, wad("3000"));
      expect(await g.backstop.maxDeposit(g.depositor.address)).to.equal(MaxUint256);
      await g.oracle.setPriceData(g.weth, 0n, 0n, 2, 2);
      expect(await g.backstop.recoverable()).to.equal(usd("10000")); // shown at the most it could be
      expect(await g.backstop.maxDeposit(g.depositor.address)).to.equal(0n);
      expect(await g.backstop.maxMint(g.depositor.address)).to.equal(0n);
      await expect(
        g.backstop.connect(g.depositor).deposit(usd("1000"), g.depositor.address),
      ).to.be.revertedWithCustomError(g.backstop, "StakingClosed");
    });

    it("a dust stake after a write-off, with the collateral worth the debt again, gets a dust share of the repayment", async function () {
      const f = await networkHelpers.loadFixture(smallBackstopFixture);
      const { vault, backstop, recovery, weth, attacker, usdc } = f;
      await writeOffAlice(f);
      expect(await backstop.idle()).to.equal(0n);
      await pastTheBadDebtWindow(f);
      await f.oracle.setPrice(weth, wad("3000"));
      expect(await backstop.entryAssets()).to.equal(usd("10000")); // $30,000 of collateral: 12,800 lenders', 10,000 its
      await usdc.connect(attacker).approve(backstop, MaxUint256);
      await backstop.connect(attacker).deposit(1000n, attacker.address);
      const shares = await backstop.balanceOf(attacker.address);
      await vault.connect(recovery).releaseProtocolCollateral(weth, wad("10"));
      await vault.connect(recovery).settleRecovery(weth, 0n, usd("30000")); // lenders 12,800, backstop 10,000
      await time.increase(RELEASE);
      expect(await backstop.previewRedeem(shares)).to.be.lessThanOrEqual(1000n);
    });

    it("one low round does not sell the recovery cheap: it is valued at the highest price the breaker saw in its fall windows", async function () {
      const f = await networkHelpers.loadFixture(smallBackstopFixture);
      const { vault, backstop, recovery, weth, attacker, usdc, oracle, breaker } = f;
      await writeOffAlice(f); // the backstop paid 10,000; lenders bear 12,800; the protocol owns 10 WETH
      await pastTheBadDebtWindow(f);
      await oracle.setPrice(weth, wad("2000"));
      await breaker.poke(weth); // the keeper's routine poke: the fall reference holds $2,000
      expect(await backstop.recoverable()).to.equal(usd("7200")); // $20,000: 12,800 to lenders first
      // One OK round 20% low (inside the adapter's jump bound and the breaker's 25% fall bound): nothing trips.
      await oracle.setPrice(weth, wad("1600"));
      expect(await backstop.closedReason()).to.equal(0n);
      // The recovery is still valued at $2,000, not at $16,000 − 12,800 = 3,200.
      expect(await backstop.recoverable()).to.equal(usd("7200"));
      expect(await backstop.entryAssets()).to.equal(usd("7200"));
      await usdc.connect(attacker).approve(backstop, MaxUint256);
      await backstop.connect(attacker).deposit(usd("7200"), attacker.address);
      const shares = await backstop.balanceOf(attacker.address);
      // The round passes; the recovery sells at $2,000 and repays the backstop 7,200.
      await oracle.setPrice(weth, wad("2000"));
      await vault.connect(recovery).releaseProtocolCollateral(weth, wad("10"));
      await vault.connect(recovery).settleRecovery(weth, 0n, usd("20000"));
      await time.increase(RELEASE);
      // The newcomer gets back what it paid, not part of what the stakers who bore the write-off recovered.
      expect(await backstop.previewRedeem(shares)).to.be.lessThanOrEqual(usd("7200"));
      expect(await backstop.previewRedeem(await backstop.balanceOf(f.staker.address))).to.be.greaterThanOrEqual(
        usd("7200") - 1n,
      );
    });

    it("a dip of days does not sell it cheap either: the backstop's mark holds its highest trusted price", async function () {
      const f = await networkHelpers.loadFixture(smallBackstopFixture);
      const { backstop, weth, oracle, breaker } = f;
      await writeOffAlice(f);
      await pastTheBadDebtWindow(f);
      await oracle.setPrice(weth, wad("2000"));
      await expect(backstop.checkpoint()).not.to.emit(backstop, "RecoveryPriceMarked"); // sighted: a span starts
      await time.increase(HOUR);
      await expect(backstop.checkpoint()).not.to.emit(backstop, "RecoveryPriceMarked"); // an hour: not held yet
      await time.increase(HOUR);
      await expect(backstop.checkpoint()) // two hours, sighted hourly: held
        .to.emit(backstop, "RecoveryPriceMarked")
        .withArgs(await weth.getAddress(), wad("2000"));
      // WETH at $1,600 for three days, the keeper poking the breaker all along: its reference is $1,600 now.
      await oracle.setPrice(weth, wad("1600"));
      for (let hour = 0; hour < 72; hour += 1) {
        await time.increase(HOUR);
        if (hour % 6 === 0) await breaker.poke(weth);
        await backstop.checkpoint();
      }
      expect(await backstop.recoveryMark(weth)).to.equal(wad("2000"));
      expect(await backstop.recoverable()).to.equal(usd("7200")); // still at $2,000
      // A doubted price's high is never marked: only its low.
      await oracle.setPriceData(weth, wad("1600"), wad("5000"), 1, 6);
      await backstop.checkpoint();
      await oracle.setPrice(weth, wad("1600"));
      expect(await backstop.recoveryMark(weth)).to.equal(wad("2000"));
      // A fall that holds for two mark periods (cooldown + window each) is priced as it is. Sighted only daily, it
      // holds nothing (sightings more than 90 minutes apart), and the $2,000 mark lapses; sighted hourly, it is marked.
      for (let day = 0n; day < 2n * (COOLDOWN + WINDOW); day += DAY) {
        await time.increase(DAY);
        await expect(backstop.checkpoint()).not.to.emit(backstop, "RecoveryPriceMarked");
      }
      expect(await backstop.recoveryMark(weth)).to.equal(0n);
      expect(await backstop.recoverable()).to.equal(usd("3200"));
      await time.increase(HOUR);
      await backstop.checkpoint();
      await time.increase(HOUR);
      await backstop.checkpoint();
      expect(await backstop.recoveryMark(weth)).to.equal(wad("1600"));
      expect(await backstop.recoverable()).to.equal(usd("3200"));
    });

    it("one OK high round does not raise the entry price once the feed corrects: a mark needs a price held two hours", async function () {
      const f = await networkHelpers.loadFixture(smallBackstopFixture);
      const { backstop, weth, oracle, attacker, usdc } = f;
      await writeOffAlice(f);
      await pastTheBadDebtWindow(f);
      await oracle.setPrice(weth, wad("2000"));
      await sightHourly(backstop, 3); // $2,000 held two hours: marked
      expect(await backstop.recoveryMark(weth)).to.equal(wad("2000"));
      expect(await backstop.entryAssets()).to.equal(usd("7200"));
      // One OK round 20% high (inside the adapter's jump bound, no secondary), OK for 70 minutes (heartbeat 1 h +
      // grace 10 min: the longest one WETH round stays OK): anyone checkpoints and stakes on it, and checkpoints
      // every 10 minutes of it.
      await oracle.setPrice(weth, wad("2400"));
      await backstop.checkpoint();
      await usdc.connect(attacker).approve(backstop, MaxUint256);
      await backstop.connect(attacker).deposit(1000n, attacker.address);
      for (let minutes = 10; minutes <= 70; minutes += 10) {
        await time.increase(600n);
        await expect(backstop.checkpoint()).not.to.emit(backstop, "RecoveryPriceMarked");
      }
      // The round is sighted but not marked: at $2,400 now, the recovery is worth 10,000 (capped at what is owed).
      expect(await backstop.recoveryMark(weth)).to.equal(wad("2000"));
      // The feed corrects; the keeper's hourly checkpoints go on.
      await oracle.setPrice(weth, wad("2000"));
      for (let i = 0; i < 6; i++) {
        await time.increase(HOUR);
        await backstop.checkpoint();
        expect(await backstop.recoveryMark(weth)).to.equal(wad("2000"));
      }
      // A newcomer pays for the recovery at $2,000, not at the round's $2,400.
      expect(await backstop.recoverable()).to.equal(usd("7200"));
      expect(await backstop.entryAssets()).to.equal(usd("7200") + 1000n);
    });

    it("a span nobody sighted for weeks starts again: one high round after the gap is not marked", async function () {
      const f = await networkHelpers.loadFixture(smallBackstopFixture);
      const { backstop, weth, oracle, breaker } = f;
      await writeOffAlice(f);
      await pastTheBadDebtWindow(f);
      await oracle.setPrice(weth, wad("2000"));
      await sightHourly(backstop, 4); // marked at $2,000, and a new span open at $2,000
      expect(await backstop.recoveryMark(weth)).to.equal(wad("2000"));
      // The keeper is down past two mark periods; WETH really falls to $1,700 and the breaker's reference follows.
      await time.increase(2n * (COOLDOWN + WINDOW) + DAY);
      await oracle.setPrice(weth, wad("1700"));
      await breaker.poke(weth);
      // One OK round 20% high, and the attacker's checkpoint in it: the old span ($2,000 weeks ago) is not its start.
      await oracle.setPrice(weth, wad("2040"));
      await expect(backstop.checkpoint()).not.to.emit(backstop, "RecoveryPriceMarked");
      // The feed corrects; the keeper is back: $1,700 held two hours is marked, nothing above it.
      await oracle.setPrice(weth, wad("1700"));
      await sightHourly(backstop, 3);
      expect(await backstop.recoveryMark(weth)).to.equal(wad("1700"));
      expect(await backstop.recoverable()).to.equal(usd("4200")); // $17,000 − 12,800 to lenders
      expect(await backstop.entryAssets()).to.equal(usd("4200"));
    });

    it("a price marked is the lowest OK price sighted over the two hours it held, sightings at most 90 minutes apart", async function () {
      const f = await networkHelpers.loadFixture(smallBackstopFixture);
      const { backstop, weth, oracle } = f;
      const marked = (price: string) =>
        expect(backstop.checkpoint()).to.emit(backstop, "RecoveryPriceMarked").withArgs(weth, wad(price));
      await writeOffAlice(f);
      await pastTheBadDebtWindow(f);
      await oracle.setPrice(weth, wad("1500"));
      await backstop.checkpoint();
      await time.increase(40n * 60n);
      await oracle.setPrice(weth, wad("1800"));
      await backstop.checkpoint();
      await time.increase(40n * 60n);
      await oracle.setPrice(weth, wad("2100"));
      await expect(backstop.checkpoint()).not.to.emit(backstop, "RecoveryPriceMarked"); // 80 minutes: not yet
      await time.increase(40n * 60n);
      await marked("1500"); // two hours since the first sighting: the lowest of the four is what held
      expect(await backstop.recoveryMark(weth)).to.equal(wad("1500"));
      // $2,100 from here, but sighted 100 minutes apart: each sighting starts the span again.
      await time.increase(100n * 60n);
      await backstop.checkpoint();
      await time.increase(100n * 60n);
      await expect(backstop.checkpoint()).not.to.emit(backstop, "RecoveryPriceMarked");
      // Sighted hourly: held two hours, marked.
      await time.increase(HOUR);
      await backstop.checkpoint();
      await time.increase(HOUR);
      await marked("2100");
      expect(await backstop.recoveryMark(weth)).to.equal(wad("2100"));
    });
  });

  describe("stakers cannot run ahead of a loss", function () {
    it("withdrawals open only in the owner's window, up to its request", async function () {
      const f = await networkHelpers.loadFixture(backstopFixture);
      const { backstop, staker } = f;
      const shares = await backstop.balanceOf(staker.address);
      await expect(
        backstop.connect(staker).redeem(shares, staker.address, staker.address),
      ).to.be.revertedWithCustomError(backstop, "NotInUnstakeWindow");
      await backstop.connect(staker).requestUnstake(shares / 2n);
      expect(await backstop.maxRedeem(staker.address)).to.equal(0n);
      await time.increase(COOLDOWN);
      expect(await backstop.maxRedeem(staker.address)).to.equal(shares / 2n);
      await expect(
        backstop.connect(staker).redeem(shares / 2n + 1n, staker.address, staker.address),
      ).to.be.revertedWithCustomError(backstop, "NotInUnstakeWindow");
      await backstop.connect(staker).redeem(shares / 4n, staker.address, staker.address);
      expect(await backstop.maxRedeem(staker.address)).to.equal(shares / 2n - shares / 4n);
      await time.increase(WINDOW);
      expect(await backstop.maxRedeem(staker.address)).to.equal(0n);
      await expect(
        backstop.connect(staker).redeem(shares / 8n, staker.address, staker.address),
      ).to.be.revertedWithCustomError(backstop, "NotInUnstakeWindow");
    });

    it("a request cannot be carried by shares moved to an account whose window is open", async function () {
      const f = await networkHelpers.loadFixture(backstopFixture);
      const { backstop, staker, depositor } = f;
      await backstop.connect(depositor).deposit(usd("1000"), depositor.address);
      const ticket = await backstop.balanceOf(depositor.address);
      await backstop.connect(depositor).requestUnstake(ticket);
      // The ticket holder parks its shares elsewhere; its request falls to what it still holds.
      await backstop.connect(depositor).transfer(staker.address, ticket);
      expect((await backstop.unstakeOf(depositor.address)).shares).to.equal(0n);
      await time.increase(COOLDOWN);
      await backstop.connect(staker).transfer(depositor.address, ticket);
      expect(await backstop.maxRedeem(depositor.address)).to.equal(0n);
    });

    it("closed while a provision exceeds reserves (1) and while a breaker entry stops borrowing or queues (2)", async function () {
      const f = await networkHelpers.loadFixture(backstopFixture);
      const { backstop, staker, engine, oracle, weth, alice, bob, breaker } = f;
      const shares = await backstop.balanceOf(staker.address);
      await backstop.connect(staker).requestUnstake(shares);
      await time.increase(COOLDOWN);
      await oracle.setPrice(weth, wad("2000"));
      await engine.connect(bob).flag(alice.address);
      expect(await backstop.maxRedeem(staker.address)).to.equal(0n);
      await expect(backstop.connect(staker).redeem(shares / 2n, staker.address, staker.address))
        .to.be.revertedWithCustomError(backstop, "WithdrawalsClosed")
        .withArgs(1n);
      await oracle.setPrice(weth, wad("3000"));
      await engine.connect(bob).unflag(alice.address);
      // Borrowing stopped for a doubted price: losses may be coming.
      await oracle.setPriceData(weth, wad("3000"), wad("3100"), 1, 6); // DEGRADED, SOURCES_DISAGREE
      await breaker.poke(weth);
      expect((await breaker.entry(weth)).level).to.equal(2n); // NO_BORROW
      expect(await backstop.closedReason()).to.equal(2n);
      await expect(backstop.connect(staker).redeem(shares / 2n, staker.address, staker.address))
        .to.be.revertedWithCustomError(backstop, "WithdrawalsClosed")
        .withArgs(2n);
    });

    it("a guardian that stops borrowing does not lock stakers in; one that queues lenders' withdrawals closes exits too", async function () {
      const f = await networkHelpers.loadFixture(backstopFixture);
      const { backstop, staker, breaker, owner } = f;
      const shares = await backstop.balanceOf(staker.address);
      await backstop.connect(staker).requestUnstake(shares);
      await time.increase(COOLDOWN);
      await breaker.connect(owner).setGuardian(owner.address);
      // A trip of supply and borrowing, renewable every cooldown, would otherwise keep every window shut for good.
      await breaker.connect(owner).guardianTrip(ZeroAddress, 1 | 4);
      expect((await breaker.entry(ZeroAddress)).level).to.equal(2n); // NO_BORROW
      expect(await backstop.closedReason()).to.equal(0n);
      await backstop.connect(staker).redeem(shares / 4n, staker.address, staker.address);
      // A WITHDRAW trip on a collateral's entry queues nobody (lenders queue on the global and base entries only).
      await breaker.connect(owner).guardianTrip(f.weth, 2);
      expect(await backstop.closedReason()).to.equal(0n);
      // Lenders queued: stakers may not leave ahead of them.
      await breaker.connect(owner).guardianTrip(ZeroAddress, 2);
      expect(await backstop.closedReason()).to.equal(3n); // a guardian's queue
      await expect(backstop.connect(staker).redeem(shares / 4n, staker.address, staker.address))
        .to.be.revertedWithCustomError(backstop, "WithdrawalsClosed")
        .withArgs(3n);
    });

    it("a guardian renewing its queue keeps stakers in for at most MAX_QUEUE_CLOSURE of queue recorded without a gap", async function () {
      const f = await networkHelpers.loadFixture(backstopFixture);
      const { backstop, staker, breaker, owner } = f;
      await breaker.connect(owner).setGuardian(owner.address);
      const { guardianCooldown } = await breaker.params();
      const step = guardianCooldown - 60n < DAY / 2n ? guardianCooldown - 60n : DAY / 2n;
      const shares = await backstop.balanceOf(staker.address);
      await backstop.connect(staker).requestUnstake(shares);
      const request = await backstop.unstakeOf(staker.address);
      await breaker.connect(owner).guardianTrip(ZeroAddress, 2);
      await expect(backstop.checkpoint()).to.emit(backstop, "LendersQueueSeen");
      const [since] = await backstop.queuedSince();
      expect(since).to.equal(BigInt(await time.latest()));
      // The guardian renews the queue before each trip ends; the keeper records it every half day.
      let blocked = 0;
      while (BigInt(await time.latest()) + step < since + 30n * DAY) {
        await time.increase(step);
        await breaker.connect(owner).guardianTrip(ZeroAddress, 2);
        await backstop.checkpoint();
        expect(await backstop.closedReason()).to.equal(3n);
        expect(await backstop.maxRedeem(staker.address)).to.equal(0n);
        if (BigInt(await time.latest()) >= request.readyAt) {
          await expect(backstop.connect(staker).redeem(shares / 4n, staker.address, staker.address))
            .to.be.revertedWithCustomError(backstop, "WithdrawalsClosed")
            .withArgs(3n);
          blocked++;
        }
      }
      expect(blocked).to.be.greaterThan(0);
      // 30 days queued, far past the window's own end (which the closure extended): the queue has run its course.
      await time.increaseTo(since + 30n * DAY);
      await breaker.connect(owner).guardianTrip(ZeroAddress, 2);
      expect((await breaker.entry(ZeroAddress)).actionMask & 2n).to.equal(2n);
      expect(await backstop.MAX_QUEUE_CLOSURE()).to.equal(30n * DAY);
      expect(BigInt(await time.latest())).to.be.greaterThan(request.readyAt + WINDOW + 20n * DAY);
      expect(await backstop.closedReason()).to.equal(0n);
      // Exits are open again, so the time stops extending windows (no free option to leave later).
      await expect(backstop.checkpoint()).to.emit(backstop, "ExitsReopened");
      expect(await backstop.closedSince()).to.equal(0n);
      expect(await backstop.maxRedeem(staker.address)).to.equal(shares);
      await backstop.connect(staker).redeem(shares, staker.address, staker.address);
      expect(await backstop.balanceOf(staker.address)).to.equal(0n);
    });

    it("a gap longer than MAX_QUEUE_GAP between records of the queue starts its count again; a late renewal does not", async function () {
      const f = await networkHelpers.loadFixture(backstopFixture);
      const { backstop, breaker, owner } = f;
      await breaker.connect(owner).setGuardian(owner.address);
      const { guardianCooldown } = await breaker.params();
      await breaker.connect(owner).guardianTrip(ZeroAddress, 2);
      await backstop.checkpoint();
      const [first] = await backstop.queuedSince();
      // A renewal that lands ten minutes after the trip ran out, seen lifted in between: the same queue (the keeper
      // recorded it an hour before it ran out).
      await time.increase(guardianCooldown - 3600n);
      await backstop.checkpoint();
      await time.increase(3600n + 600n);
      expect((await breaker.entry(ZeroAddress)).actionMask & 2n).to.equal(0n);
      await backstop.checkpoint();
      await breaker.connect(owner).guardianTrip(ZeroAddress, 2);
      await backstop.checkpoint();
      expect((await backstop.queuedSince())[0]).to.equal(first);
      // The trip lapses unseen; weeks later a new incident queues lenders again: a new queue, not the old one.
      await time.increase(40n * DAY);
      await breaker.connect(owner).guardianTrip(ZeroAddress, 2);
      expect(await backstop.closedReason()).to.equal(3n); // the stored count has a gap: it does not open exits
      await backstop.checkpoint();
      const [since, seenAt] = await backstop.queuedSince();
      expect(since).to.be.greaterThan(first + 39n * DAY);
      expect(seenAt).to.equal(since);
      expect(await backstop.MAX_QUEUE_GAP()).to.equal(DAY);
      expect(await backstop.closedReason()).to.equal(3n);
    });

    it("other closures do not count toward the queue's limit: a fresh guardian queue still closes exits", async function () {
      const f = await networkHelpers.loadFixture(backstopFixture);
      const { backstop, staker, breaker, owner, engine, oracle, weth, alice, bob } = f;
      const shares = await backstop.balanceOf(staker.address);
      await backstop.connect(staker).requestUnstake(shares);
      // A pending loss keeps exits closed (and recorded so) for 31 days.
      await oracle.setPrice(weth, wad("2000"));
      await engine.connect(bob).flag(alice.address);
      await backstop.checkpoint();
      await time.increase(31n * DAY);
      await oracle.setPrice(weth, wad("3000"));
      await engine.connect(bob).unflag(alice.address);
      // Then the guardian queues lenders' withdrawals: 31 days closed since the request, but the queue is new.
      await breaker.connect(owner).setGuardian(owner.address);
      await breaker.connect(owner).guardianTrip(ZeroAddress, 2);
      const closed = (await backstop.closedTime()) - (await backstop.unstakeOf(staker.address)).closedMark;
      expect(closed).to.be.greaterThan(30n * DAY);
      await expect(backstop.connect(staker).redeem(shares / 4n, staker.address, staker.address))
        .to.be.revertedWithCustomError(backstop, "WithdrawalsClosed")
        .withArgs(3n);
      expect(await backstop.maxRedeem(staker.address)).to.equal(0n);
    });

    it("the time exits stay closed extends the windows it spans (a bad round cannot make stakers miss theirs)", async function () {
      const f = await networkHelpers.loadFixture(backstopFixture);
      const { backstop, staker, engine, oracle, weth, alice, bob } = f;
      const shares = await backstop.balanceOf(staker.address);
      await backstop.connect(staker).requestUnstake(shares);
      const readyAt = (await backstop.unstakeOf(staker.address)).readyAt;
      await time.increaseTo(readyAt + DAY / 2n);
      // One bad round: a flag earmarks the backstop's cash, and exits close for three days, past the window's end.
      await oracle.setPrice(weth, wad("2000"));
      await engine.connect(bob).flag(alice.address);
      await expect(backstop.connect(bob).checkpoint()).to.emit(backstop, "ExitsClosed").withArgs(1n, 0n);
      await time.increase(3n * DAY);
      await oracle.setPrice(weth, wad("3000"));
      await engine.connect(bob).unflag(alice.address);
      expect(await backstop.closedReason()).to.equal(0n);
      expect(await backstop.closedTime()).to.be.greaterThanOrEqual(3n * DAY);
      // Past readyAt + WINDOW, yet the window is still open for the time it was closed; the earmark came back whole.
      expect(BigInt(await time.latest())).to.be.greaterThan(readyAt + WINDOW);
      expect(await backstop.maxRedeem(staker.address)).to.equal(shares);
      await expect(backstop.connect(staker).redeem(shares, staker.address, staker.address)).to.emit(
        backstop,
        "ExitsReopened",
      );
      expect(await f.usdc.balanceOf(staker.address)).to.equal(usd("1000000") - STAKE + STAKE);
    });

    it("a window's extension is capped, and a closure before the request does not extend it", async function () {
      const f = await networkHelpers.loadFixture(backstopFixture);
      const { backstop, staker, engine, oracle, weth, alice, bob } = f;
      await oracle.setPrice(weth, wad("2000"));
      await engine.connect(bob).flag(alice.address);
      await backstop.checkpoint();
      await time.increase(40n * DAY);
      const shares = await backstop.balanceOf(staker.address);
      await backstop.connect(staker).requestUnstake(shares); // made while closed: only what follows counts
      await time.increase(100n * DAY);
      await oracle.setPrice(weth, wad("3000"));
      await engine.connect(bob).unflag(alice.address);
      await backstop.checkpoint();
      // 100 days closed after the request: the window ends at readyAt + WINDOW + MAX_EXTENSION (30 days), long past.
      expect(await backstop.MAX_EXTENSION()).to.equal(30n * DAY);
      expect(await backstop.maxRedeem(staker.address)).to.equal(0n);
      await expect(
        backstop.connect(staker).redeem(shares, staker.address, staker.address),
      ).to.be.revertedWithCustomError(backstop, "NotInUnstakeWindow");
    });

    it("a stale earmark (reserves grew to cover the provisions) is given back by a checkpoint, and exits reopen", async function () {
      const f = await networkHelpers.loadFixture(backstopFixture);
      const { vault, backstop, engine, oracle, weth, alice, bob, owner, rateModel, depositor } = f;
      await oracle.setPrice(weth, wad("2279.9"));
      await engine.connect(bob).flag(alice.address); // a provision of 1,201 USDC: 1 past reserves
      const earmark = await backstop.earmarked();
      expect(earmark).to.equal(usd("1"));
      // Reserves grow past the provision with interest; nothing on the loss side moves, so the earmark stays.
      await vault.connect(owner).setInterestRateModel(rateModel);
      await time.increase(400n * DAY);
      await vault.connect(depositor).deposit(usd("1"), depositor.address); // accrues: reserves now cover the provision
      expect(await f.lens.totalProvision(vault)).to.be.lessThanOrEqual(await vault.reserves());
      expect(await backstop.earmarked()).to.equal(earmark);
      expect(await backstop.closedReason()).to.equal(1n);
      await expect(backstop.checkpoint()).to.emit(backstop, "Covered").withArgs(0n, 0n, 0n);
      expect(await backstop.earmarked()).to.equal(0n);
      expect(await backstop.closedReason()).to.equal(0n);
    });

    it("a checkpoint starved of gas never records a closure: the breaker's out-of-gas answer reverts", async function () {
      const f = await networkHelpers.loadFixture(backstopFixture);
      const { backstop } = f;
      const needed = await backstop.checkpoint.estimateGas();
      let reverted = 0;
      for (let gas = 30_000n; gas < needed; gas += (needed - 30_000n) / 24n) {
        try {
          const receipt = await (await backstop.checkpoint({ gasLimit: gas })).wait();
          expect(receipt?.logs ?? [], `gas ${gas}`).to.have.length(0); // nothing recorded
        } catch {
          reverted++;
        }
      }
      expect(reverted).to.be.greaterThan(0);
      expect(await backstop.closedSince()).to.equal(0n);
      expect(await backstop.closedTime()).to.equal(0n);
    });

    it("earmarked cash never leaves to a staker", async function () {
      const f = await networkHelpers.loadFixture(backstopFixture);
      const { backstop, staker } = f;
      expect(await backstop.maxWithdraw(staker.address)).to.equal(0n);
      await backstop.connect(staker).requestUnstake(await backstop.balanceOf(staker.address));
      await time.increase(COOLDOWN);
      expect(await backstop.maxWithdraw(staker.address)).to.equal(STAKE);
    });
  });

  describe("the vault's side of a failed backstop call", function () {
    it("a failed re-target of a stale earmark lowers lenders' value only past gains still held back", async function () {
      const f = await networkHelpers.loadFixture(liquidationFixture);
      const { vault, lens, engine, oracle, weth, alice, bob, owner, rateModel } = f;
      // Held-back gains: a flag with no backstop marks lenders down; the unflag's return is held back.
      await oracle.setPrice(weth, wad("2000"));
      await engine.connect(bob).flag(alice.address);
      await oracle.setPrice(weth, wad("3000"));
      await engine.connect(bob).unflag(alice.address);
      const held = await lens.gainsHeldBack(vault);
      expect(held).to.be.greaterThan(0n);
      // A backstop that says it holds what is asked; then it starts to revert.
      const broken = await ethers.deployContract("BrokenBackstop", [vault, f.usdc, 2]);
      await vault.connect(owner).linkBackstopAndShare(broken, wad("0.2"));
      await oracle.setPrice(weth, wad("2000"));
      await engine.connect(bob).flag(alice.address);
      const needed = (await lens.totalProvision(vault)) - (await vault.reserves());
      expect((await lens.backstop(vault)).earmarked).to.equal(needed);
      await broken.setMode(0);
      await vault.connect(owner).setInterestRateModel(rateModel);
      await time.increase(60n); // reserves grow a little: the earmark is stale
      const assetsBefore = await vault.totalAssets();
      const heldBefore = await lens.gainsHeldBack(vault);
      await vault.settleBackstopIncomeShare(); // the call fails: no earmark, lenders take the shortfall
      expect((await lens.backstop(vault)).earmarked).to.equal(0n);
      const fall = (await lens.totalProvision(vault)) - (await vault.reserves());
      expect(fall).to.be.greaterThan(heldBefore);
      // The fall meets the held-back gains first: lenders' value falls by the rest, and nothing is left to jump back.
      expect(await lens.gainsHeldBack(vault)).to.equal(0n);
      expect(await vault.totalAssets()).to.be.within(
        assetsBefore - (fall - heldBefore) - 10n,
        assetsBefore - (fall - heldBefore) + 10n,
      );
    });
  });

  describe("a backstop that fails never blocks a loss (the loss falls to lenders, as with none)", function () {
    for (const [mode, name] of [
      [0, "reverts"],
      [1, "burns all its gas"],
      [2, "claims to hold what it does not"],
    ] as const) {
      it(`one that ${name}: the flag and the write-off go through`, async function () {
        const f = await networkHelpers.loadFixture(liquidationFixture);
        const broken = await ethers.deployContract("BrokenBackstop", [f.vault, f.usdc, mode]);
        await f.vault.connect(f.owner).linkBackstopAndShare(broken, wad("0.2"));
        const assetsBefore = await f.vault.totalAssets();
        await f.oracle.setPrice(f.weth, wad("2000"));
        await f.engine.connect(f.bob).flag(f.alice.address);
        await f.oracle.setPrice(f.weth, wad("9"));
        await expect(f.engine.connect(f.bob).writeOff(f.alice.address))
          .to.emit(f.vault, "BadDebtWrittenOff")
          .withArgs(f.alice.address, usd("24000"), usd("1200"), usd("22800"));
        expect(await f.vault.totalAssets()).to.equal(assetsBefore - usd("22800"));
        expect(await f.lens.unrecoveredLoss(f.vault)).to.equal(usd("22800"));
        expect((await f.lens.backstop(f.vault)).earmarked).to.equal(0n);
      });
    }
  });

  describe("reserve income", function () {
    it("settling the income share also gives back an earmark reserves have grown to cover", async function () {
      const f = await networkHelpers.loadFixture(backstopFixture);
      const { vault, lens, backstop, engine, oracle, weth, alice, bob, owner, rateModel } = f;
      await oracle.setPrice(weth, wad("2000"));
      await engine.connect(bob).flag(alice.address);
      const earmark = await backstop.earmarked();
      expect(earmark).to.be.greaterThan(0n);
      await vault.connect(owner).setInterestRateModel(rateModel);
      await time.increase(200n * DAY);
      const assetsBefore = await vault.totalAssets();
      await vault.settleBackstopIncomeShare();
      const needed = (await lens.totalProvision(vault)) - (await vault.reserves());
      expect(await backstop.earmarked()).to.equal(needed > 0n ? needed : 0n);
      expect(await backstop.earmarked()).to.be.lessThan(earmark);
      // Lenders' value does not move: what it released (tens of USDC) is not in it; only the one second of interest
      // between the read above and the transaction's block is (a few units).
      expect(await vault.totalAssets()).to.be.within(assetsBefore, assetsBefore + 10n);
      await expect(backstop.sync()).not.to.emit(backstop, "Covered"); // the two sides agree
    });

    it("income still held back, met by an earmark's loss, returns to the release when the earmark is given back", async function () {
      const f = await networkHelpers.loadFixture(backstopFixture);
      const { vault, backstop, engine, oracle, weth, alice, bob, owner, rateModel } = f;
      await vault.connect(owner).setInterestRateModel(rateModel);
      await time.increase(365n * DAY);
      await vault.settleBackstopIncomeShare();
      const income = (await backstop.idle()) - STAKE;
      expect(income).to.be.greaterThan(0n);
      expect(await backstop.heldBack()).to.be.closeTo(income, 1n);
      // A flag earmarks more than the income: its loss meets the held-back income first.
      await oracle.setPrice(weth, wad("2000"));
      await engine.connect(bob).flag(alice.address);
      expect(await backstop.heldBack()).to.equal(0n);
      // Prices come back: the earmark returns at once, but the income it had met goes back to the release: a staker
      // whose window is open now cannot take it at once.
      await oracle.setPrice(weth, wad("3000"));
      await engine.connect(bob).unflag(alice.address);
      expect(await backstop.earmarked()).to.equal(0n);
      expect(await backstop.heldBack()).to.be.closeTo(income, 1n);
      expect(await backstop.totalAssets()).to.be.closeTo(STAKE, 1n);
    });

    it("pays the backstop its share of reserves' growth, out of free reserves, and the share price does not move", async function () {
      const f = await networkHelpers.loadFixture(backstopFixture);
      const { vault, backstop, engine, oracle, weth, alice, borrower } = f;
      // A liquidation pays a fee into reserves: income.
      await oracle.setPrice(weth, wad("2700"));
      await engine.connect(borrower).liquidate(alice.address, weth, MaxUint256, borrower.address);
      const reserves = await vault.reserves();
      expect(reserves).to.be.greaterThan(usd("1200"));
      const due = ((reserves - usd("1200")) * wad("0.2")) / wad("1");
      const assetsBefore = await vault.totalAssets();
      await expect(vault.settleBackstopIncomeShare())
        .to.emit(vault, "BackstopIncomePaid")
        .withArgs(due, reserves - due);
      expect(await vault.totalAssets()).to.equal(assetsBefore);
      expect(await backstop.idle()).to.equal(STAKE + due);
      // Nothing more is due until reserves grow again.
      await expect(vault.settleBackstopIncomeShare()).not.to.emit(vault, "BackstopIncomePaid");
      await expectCashBacked(f);
    });

    it("pays nothing while provisions hold every unit of reserves, and the income waits for them to clear", async function () {
      const f = await networkHelpers.loadFixture(backstopFixture);
      const { vault, lens, engine, oracle, weth, alice, bob, owner, rateModel } = f;
      await oracle.setPrice(weth, wad("2000"));
      await engine.connect(bob).flag(alice.address);
      // Interest grows reserves, but the provision holds more than all of them.
      await vault.connect(owner).setInterestRateModel(rateModel);
      await time.increase(30n * DAY);
      await expect(vault.settleBackstopIncomeShare()).not.to.emit(vault, "BackstopIncomePaid");
      expect(await vault.reserves()).to.be.greaterThan(usd("1200"));
      expect(await lens.totalProvision(vault)).to.be.greaterThan(await vault.reserves());
      await oracle.setPrice(weth, wad("3000"));
      await engine.connect(bob).unflag(alice.address);
      await expect(vault.settleBackstopIncomeShare()).to.emit(vault, "BackstopIncomePaid");
    });
  });

  describe("governance", function () {
    it("linkBackstopAndShare is the owner's, bounded, bound to this vault, and names one backstop for good", async function () {
      const f = await networkHelpers.loadFixture(liquidationFixture);
      const { vault, owner, attacker, usdc } = f;
      const backstop = await ethers.deployContract("Backstop", [vault, "b", "b", owner.address, COOLDOWN, WINDOW]);
      await expect(vault.connect(attacker).linkBackstopAndShare(backstop, 0n)).to.be.revertedWithCustomError(
        vault,
        "OwnableUnauthorizedAccount",
      );
      await expect(vault.connect(owner).linkBackstopAndShare(backstop, wad("0.5") + 1n))
        .to.be.revertedWithCustomError(vault, "IncomeShareTooHigh")
        .withArgs(wad("0.5") + 1n, wad("0.5"));
      await expect(vault.connect(owner).linkBackstopAndShare(ZeroAddress, 0n)).to.be.revertedWithCustomError(
        vault,
        "ZeroAddress",
      );
      const elsewhere = await ethers.deployContract("BrokenBackstop", [attacker.address, usdc, 0]);
      await expect(vault.connect(owner).linkBackstopAndShare(elsewhere, 0n)).to.be.revertedWithCustomError(
        vault,
        "WrongVault",
      );
      await expect(vault.connect(owner).linkBackstopAndShare(backstop, wad("0.3")))
        .to.emit(vault, "BackstopSet")
        .withArgs(await backstop.getAddress(), wad("0.3"));
      await vault.connect(owner).linkBackstopAndShare(backstop, wad("0.1"));
      const second = await ethers.deployContract("Backstop", [vault, "c", "c", owner.address, COOLDOWN, WINDOW]);
      await expect(vault.connect(owner).linkBackstopAndShare(second, 0n))
        .to.be.revertedWithCustomError(vault, "BackstopAlreadySet")
        .withArgs(await backstop.getAddress());
    });

    it("only the vault draws on the backstop; unstake parameters move only inside their bounds, by the owner", async function () {
      const f = await networkHelpers.loadFixture(backstopFixture);
      const { backstop, attacker, owner } = f;
      await expect(backstop.connect(attacker).cover(1n, 0n))
        .to.be.revertedWithCustomError(backstop, "NotVault")
        .withArgs(attacker.address);
      await expect(backstop.connect(attacker).credit(1n)).to.be.revertedWithCustomError(backstop, "NotVault");
      await expect(backstop.connect(attacker).setUnstakeParams(DAY, DAY)).to.be.revertedWithCustomError(
        backstop,
        "OwnableUnauthorizedAccount",
      );
      for (const [cooldown, window] of [
        [DAY - 1n, DAY],
        [31n * DAY, DAY],
        [DAY, DAY - 1n],
        [DAY, 8n * DAY],
      ]) {
        await expect(backstop.connect(owner).setUnstakeParams(cooldown, window))
          .to.be.revertedWithCustomError(backstop, "UnstakeParamsOutOfBounds")
          .withArgs(cooldown, window);
      }
      await expect(backstop.connect(owner).renounceOwnership()).to.be.revertedWithCustomError(
        backstop,
        "RenounceDisabled",
      );
    });
  });

  describe("ERC-4626 donation and inflation", function () {
    it("a donation changes no share price, and a first depositor cannot inflate the next one's shares away", async function () {
      const f = await networkHelpers.loadFixture(liquidationFixture);
      const { vault, owner, attacker, alice, usdc } = f;
      const backstop = await ethers.deployContract("Backstop", [vault, "b", "b", owner.address, COOLDOWN, WINDOW]);
      await usdc.connect(attacker).approve(backstop, MaxUint256);
      await usdc.connect(alice).approve(backstop, MaxUint256);
      await backstop.connect(attacker).deposit(1n, attacker.address);
      await usdc.connect(attacker).transfer(backstop, usd("100000"));
      expect(await backstop.totalAssets()).to.equal(1n);
      await backstop.connect(alice).deposit(usd("1000"), alice.address);
      expect(await backstop.previewRedeem(await backstop.balanceOf(alice.address))).to.be.greaterThanOrEqual(
        usd("1000") - 1n,
      );
    });
  });
});
