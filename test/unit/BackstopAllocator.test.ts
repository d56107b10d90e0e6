/**
 * Issue 26: the backstop's hedging agent (`BackstopAllocator`), its key assumed compromised. Each rule with the attack
 * or the accident that would break it: cash moves only between the backstop's idle balance and allowed venues, within
 * caps, rate limits and the idle floor, only while every breaker is calm; a venue that loses half its value is marked
 * down at once (no stake taken, anyone recalls); a paused venue and a second Bulwark market at 100% utilisation block
 * nothing else; a venue quoting more than it holds moves the backstop's worth by the exchange-rate ceiling at most;
 * after a freeze every agent call fails and anyone recalls; a staker's exit takes from venues what idle cash lacks.
 */
import { expect } from "chai";
import { MaxUint256 } from "ethers";
import { network } from "hardhat";
import type { NetworkConnection } from "hardhat/types/network";

import { deployCollateralVault } from "../../scripts/lib/vaultLibraries.js";
import type { CollateralVault, StressedVenue } from "../../typechain-types/index.js";
import {
  DAY,
  deployBackstopWithAllocator,
  expectMarkedDownThenRecalled,
  limits,
  PERIOD,
  STAKE,
  type BackstopWithAllocator,
} from "./helpers/backstop.js";
import { liquidationFixture, type LiquidationFixture } from "./helpers/liquidationModel.js";
import { config, usd, wad } from "./helpers/vault.js";

const { ethers, networkHelpers } = await network.create();
const { time, loadFixture } = networkHelpers;

interface AllocatorFixture extends LiquidationFixture, BackstopWithAllocator {
  /** A second Bulwark market over the same USDC: a real venue. */
  market2: CollateralVault;
  /** A venue whose troubles the test sets. */
  stressed: StressedVenue;
}

async function allocatorFixture(connection: NetworkConnection): Promise<AllocatorFixture> {
  const f = await liquidationFixture(connection);
  const b = await deployBackstopWithAllocator(connection, f);
  const market2 = await deployCollateralVault(connection.ethers, [
    await f.usdc.getAddress(),
    "Bulwark USDC 2",
    "bwUSDC2",
    await f.oracle.getAddress(),
    await f.rateModel.getAddress(),
    wad("0.10"),
    MaxUint256 / 2n,
    f.owner.address,
  ]);
  await market2.connect(f.owner).listCollateral(f.weth, config(wad("1000000"), wad("0.80"), wad("0.85"), wad("0.05")));
  const stressed = await connection.ethers.deployContract("StressedVenue", [f.usdc]);
  await b.allocator.connect(f.owner).setVenue(market2, limits("15000", "10000", "10000"));
  await b.allocator.connect(f.owner).setVenue(stressed, limits("15000", "10000", "10000"));
  return { ...f, ...b, market2, stressed };
}

const fixture = (c: NetworkConnection) => allocatorFixture(c);

/** The backstop's books hold: idle cash booked ≤ its balance, earmarks ≤ idle. */
async function expectBooks(f: AllocatorFixture) {
  expect(await f.usdc.balanceOf(f.backstop)).to.be.greaterThanOrEqual(await f.backstop.idle());
  expect(await f.backstop.earmarked()).to.be.lessThanOrEqual(await f.backstop.idle());
}

describe("BackstopAllocator: the hedging agent, its key assumed compromised (issue 26)", function () {
  describe("the agent's moves", function () {
    it("puts idle cash into an allowed venue and takes it back; the backstop's worth does not move", async function () {
      const f = await loadFixture(fixture);
      const { backstop, allocator, market2, agent } = f;
      const worth = await backstop.totalAssets();
      await expect(allocator.connect(agent).allocate(market2, usd("5000")))
        .to.emit(allocator, "Allocated")
        .withArgs(await market2.getAddress(), usd("5000"))
        .and.to.emit(backstop, "VenueDeposited");
      expect(await backstop.venues()).to.deep.equal([await market2.getAddress()]);
      expect(await backstop.idle()).to.equal(STAKE - usd("5000"));
      expect((await backstop.venueValue(market2)).worth).to.be.within(usd("5000") - 1n, usd("5000"));
      expect(await backstop.totalAssets()).to.be.within(worth - 1n, worth);
      // The venue holds the backstop's shares, nobody else's.
      expect(await market2.balanceOf(backstop)).to.be.greaterThan(0n);
      expect(await market2.balanceOf(allocator)).to.equal(0n);

      await allocator.connect(agent).deallocate(market2, usd("2000"));
      expect(await backstop.idle()).to.equal(STAKE - usd("3000"));
      await allocator.connect(agent).deallocate(market2, usd("2999"));
      expect(await backstop.totalAssets()).to.be.within(worth - 2n, worth);
      await expectBooks(f);
    });

    it("stays within the venue's cap, its rate limits, the idle floor and the allow-list, whoever holds the key", async function () {
      const f = await loadFixture(fixture);
      const { backstop, allocator, market2, stressed, agent, attacker, owner } = f;
      const market = await market2.getAddress();
      await expect(allocator.connect(attacker).allocate(market2, 1n))
        .to.be.revertedWithCustomError(allocator, "NotAgent")
        .withArgs(attacker.address);
      await expect(backstop.connect(agent).toVenue(market2, 1n)).to.be.revertedWithCustomError(
        backstop,
        "NotAllocator",
      );
      await expect(backstop.connect(attacker).fromVenue(market2, 1n)).to.be.revertedWithCustomError(
        backstop,
        "NotAllocator",
      );
      // Not allowed: any other address, even an ERC-4626 over the same asset.
      const rogue = await ethers.deployContract("StressedVenue", [f.usdc]);
      await expect(allocator.connect(agent).allocate(rogue, usd("1")))
        .to.be.revertedWithCustomError(allocator, "VenueNotAllowed")
        .withArgs(await rogue.getAddress());
      // The deposit bucket: 10,000 a day.
      await allocator.connect(agent).allocate(market2, usd("8000"));
      const [left] = await allocator.available(market2);
      expect(left).to.equal(usd("2000"));
      await expect(allocator.connect(agent).allocate(market2, usd("2100"))).to.be.revertedWithCustomError(
        allocator,
        "RateLimited",
      );
      expect(market).to.equal(await market2.getAddress());
      // The cap: 15,000 in the venue.
      await time.increase(PERIOD);
      await expect(allocator.connect(agent).allocate(market2, usd("7001"))).to.be.revertedWithCustomError(
        allocator,
        "CapExceeded",
      );
      await allocator.connect(agent).allocate(market2, usd("7000"));
      // The idle floor: 20% of 30,000 stays idle, and 1% of it more, so at most 23,940 may be out.
      await expect(allocator.connect(agent).allocate(stressed, usd("8941")))
        .to.be.revertedWithCustomError(allocator, "IdleFloor")
        .withArgs(usd("6059"), usd("6060"));
      await allocator.connect(agent).allocate(stressed, usd("8940"));
      // The withdrawal bucket: 10,000 a day, refilled linearly.
      await allocator.connect(agent).deallocate(market2, usd("10000"));
      await expect(allocator.connect(agent).deallocate(market2, usd("1"))).to.be.revertedWithCustomError(
        allocator,
        "RateLimited",
      );
      await time.increase(PERIOD / 2n);
      const [, withdrawal] = await allocator.available(market2);
      expect(withdrawal).to.be.within(usd("5000") - usd("1"), usd("5000") + usd("1"));
      // Governance's bounds.
      await expect(
        allocator.connect(owner).setVenue(market2, { ...limits("1", "1", "1"), period: 60 }),
      ).to.be.revertedWithCustomError(allocator, "ParamsOutOfBounds");
      await expect(allocator.connect(owner).setVenue(market2, limits("1", "2", "1"))).to.be.revertedWithCustomError(
        allocator,
        "ParamsOutOfBounds",
      );
      await expect(allocator.connect(owner).setMinIdleShare(wad("0.09"))).to.be.revertedWithCustomError(
        allocator,
        "ParamsOutOfBounds",
      );
      await expect(allocator.connect(agent).setVenue(rogue, limits("1", "1", "1"))).to.be.revertedWithCustomError(
        allocator,
        "OwnableUnauthorizedAccount",
      );
      await expect(allocator.connect(owner).renounceOwnership()).to.be.revertedWithCustomError(
        allocator,
        "RenounceDisabled",
      );
      await expect(backstop.connect(agent).setAllocator(agent.address)).to.be.revertedWithCustomError(
        backstop,
        "OwnableUnauthorizedAccount",
      );
      await expectBooks(f);
    });

    it("moves nothing while a breaker is not calm; anyone may then recall", async function () {
      const f = await loadFixture(fixture);
      const { backstop, allocator, market2, agent, attacker, oracle, weth, breaker } = f;
      await allocator.connect(agent).allocate(market2, usd("5000"));
      await oracle.setPriceData(weth, wad("3000"), wad("3100"), 1, 6); // DEGRADED
      await breaker.poke(weth);
      await expect(allocator.connect(agent).allocate(market2, usd("1"))).to.be.revertedWithCustomError(
        allocator,
        "NotCalm",
      );
      expect(await allocator.recallReason(market2)).to.equal(2n); // BREAKER
      await expect(allocator.connect(attacker).recall(market2)).to.emit(allocator, "Recalled");
      expect(await backstop.venues()).to.deep.equal([]);
      expect(await backstop.idle()).to.be.within(STAKE - 1n, STAKE);
      await expectBooks(f);
    });

    it("a recall needs a reason: a calm market and a venue at its cost give none", async function () {
      const f = await loadFixture(fixture);
      await f.allocator.connect(f.agent).allocate(f.market2, usd("5000"));
      expect(await f.allocator.recallReason(f.market2)).to.equal(0n);
      await expect(f.allocator.connect(f.attacker).recall(f.market2)).to.be.revertedWithCustomError(
        f.allocator,
        "RecallNotAllowed",
      );
    });
  });

  describe("venues in trouble", function () {
    it("a venue that loses half its value is marked down at once: stakes refused, anyone recalls what is left", async function () {
      const f = await loadFixture(fixture);
      const { backstop, allocator, stressed, agent, attacker, depositor } = f;
      await allocator.connect(agent).allocate(stressed, usd("10000"));
      const worth = await backstop.totalAssets();
      await stressed.lose(wad("0.5"));
      expect(await backstop.totalAssets()).to.be.within(worth - usd("5000") - 1n, worth - usd("5000"));
      await expectMarkedDownThenRecalled(f, stressed, attacker);
      expect(await backstop.idle()).to.be.within(STAKE - usd("5000") - 1n, STAKE - usd("5000"));
      expect(await backstop.totalAssets()).to.be.within(worth - usd("5000") - 1n, worth - usd("5000"));
      expect((await backstop.venueValue(stressed)).worth).to.be.lessThanOrEqual(1n); // a share's rounding, at most
      expect(await backstop.maxDeposit(depositor.address)).to.equal(MaxUint256);
      await expectBooks(f);
    });

    it("a paused venue keeps its position counted and blocks nothing: recalls take nothing, exits pay from idle", async function () {
      const f = await loadFixture(fixture);
      const { backstop, allocator, stressed, agent, attacker, staker } = f;
      await allocator.connect(agent).allocate(stressed, usd("10000"));
      await stressed.setPaused(true);
      await allocator.connect(f.owner).freeze();
      await expect(allocator.connect(attacker).recall(stressed))
        .to.emit(allocator, "Recalled")
        .withArgs(
          await stressed.getAddress(),
          attacker.address,
          1n, // FROZEN
          0n,
        );
      expect((await backstop.venueValue(stressed)).worth).to.equal(usd("10000"));
      await backstop.connect(staker).requestUnstake(await backstop.balanceOf(staker.address));
      await time.increase(7n * DAY);
      // What idle cash and the venue let out: the idle 20,000 only.
      expect(await backstop.maxWithdraw(staker.address)).to.be.within(usd("20000") - 1n, usd("20000"));
      await backstop.connect(staker).withdraw(usd("20000") - 1n, staker.address, staker.address);
      await expect(
        backstop.connect(staker).withdraw(usd("100"), staker.address, staker.address),
      ).to.be.revertedWithCustomError(backstop, "InsufficientIdle");
      // Unpaused, the rest comes out of the venue on the staker's own withdrawal.
      await stressed.setPaused(false);
      await backstop.connect(staker).withdraw(usd("9000"), staker.address, staker.address);
      await expectBooks(f);
    });

    it("a second Bulwark market at 100% utilisation lets nothing out; earmarks and payouts use idle cash only", async function () {
      const f = await loadFixture(fixture);
      const { backstop, allocator, market2, agent, attacker, weth, engine, oracle, alice, bob } = f;
      await allocator.connect(agent).allocate(market2, usd("10000"));
      // A borrower takes every unit of the second market's cash.
      await weth.mint(attacker.address, wad("100"));
      await weth.connect(attacker).approve(market2, MaxUint256);
      await market2.connect(attacker).depositCollateral(weth, wad("100"), attacker.address);
      await market2.connect(attacker).borrow(await market2.cash(), attacker.address);
      expect(await market2.maxWithdraw(backstop)).to.equal(0n);
      await allocator.connect(f.owner).freeze();
      await expect(allocator.connect(attacker).recall(market2)).to.emit(allocator, "Recalled");
      expect((await backstop.venueValue(market2)).worth).to.be.greaterThanOrEqual(usd("10000") - 1n);
      // A flag in the lending vault earmarks idle cash only: the 20,000 idle, not the venue's 10,000.
      await oracle.setPrice(weth, wad("1000"));
      await engine.connect(bob).flag(alice.address);
      expect(await backstop.earmarked()).to.be.lessThanOrEqual(await backstop.idle());
      expect(await backstop.earmarked()).to.be.greaterThan(0n);
      await expectBooks(f);
    });

    it("the agent cannot park cash in a venue that would not let the whole position out (exits paused, a queue)", async function () {
      const f = await loadFixture(fixture);
      const { backstop, allocator, stressed, agent, staker } = f;
      await allocator.connect(agent).allocate(stressed, usd("5000"));
      // The venue still takes deposits but lets nothing out: the agent's next deposit would strand stakers' exits.
      await stressed.setExitsPaused(true);
      await expect(allocator.connect(agent).allocate(stressed, usd("5000")))
        .to.be.revertedWithCustomError(allocator, "VenueIlliquid")
        .withArgs(await stressed.getAddress(), 0n, usd("10000"));
      expect((await backstop.venueValue(stressed)).worth).to.equal(usd("5000"));
      expect(await backstop.idle()).to.equal(STAKE - usd("5000"));
      // Nothing else closes: exits are paid out of idle cash meanwhile.
      expect(await backstop.closedReason()).to.equal(0n);
      await backstop.connect(staker).requestUnstake(await backstop.balanceOf(staker.address));
      await time.increase(7n * DAY);
      await backstop.connect(staker).withdraw(usd("20000"), staker.address, staker.address);
      await stressed.setExitsPaused(false);
      await allocator.connect(agent).allocate(stressed, usd("1000"));
      await expectBooks(f);
    });

    it("a venue that promises more than it pays cannot block an exit idle cash covers (Aave v3.1's booked balance)", async function () {
      const f = await loadFixture(fixture);
      const { backstop, allocator, stressed, agent, staker } = f;
      await allocator.connect(agent).allocate(stressed, usd("10000"));
      // Its cash lent out, it still says the whole claim can come out: the withdrawal itself would revert.
      await stressed.lend(await f.usdc.balanceOf(stressed));
      await stressed.setLies(true);
      expect(await stressed.maxWithdraw(backstop)).to.be.within(usd("10000") - 1n, usd("10000"));
      await backstop.connect(staker).requestUnstake(await backstop.balanceOf(staker.address));
      await time.increase(7n * DAY);
      await backstop.connect(staker).withdraw(usd("15000"), staker.address, staker.address); // out of idle cash
      expect(await backstop.idle()).to.equal(STAKE - usd("10000") - usd("15000"));
      expect((await backstop.venueValue(stressed)).worth).to.be.within(usd("10000") - 1n, usd("10000"));
      await expectBooks(f);
    });

    it("a venue quoting more than it holds moves the backstop's worth by the exchange-rate ceiling at most", async function () {
      const f = await loadFixture(fixture);
      const { backstop, allocator, stressed, agent } = f;
      await allocator.connect(agent).allocate(stressed, usd("10000"));
      const worth = await backstop.totalAssets();
      await stressed.inflate(usd("1000000")); // a donation, or a lie: the quote jumps 100×
      // Only the ceiling's growth since the deposit's mark (seconds of 20% a year on 10,000: units).
      expect(await backstop.totalAssets()).to.be.lessThanOrEqual(worth + 1000n);
      await time.increase(365n * DAY);
      // A year later: at most 20% on the position.
      expect(await backstop.totalAssets()).to.be.lessThanOrEqual(worth + usd("2000") + 1000n);
      expect(await backstop.totalAssets()).to.be.greaterThanOrEqual(worth + usd("2000") - usd("1"));
    });
  });

  describe("the second review's attacks", function () {
    it("a partial withdrawal from a marked-down venue keeps it marked down and its recovery counted (H-1)", async function () {
      const f = await loadFixture(fixture);
      const { backstop, allocator, stressed, agent, depositor } = f;
      await allocator.connect(agent).allocate(stressed, usd("10000"));
      await stressed.lose(wad("0.1")); // a default of 1,000: quoted 9,000
      expect((await backstop.venueValue(stressed)).down).to.equal(true);
      // The agent's one-unit deallocation (or an exit's partial pull) must not re-price the position at the bottom.
      await allocator.connect(agent).deallocate(stressed, usd("1"));
      expect((await backstop.venueValue(stressed)).down).to.equal(true);
      expect(await backstop.maxDeposit(depositor.address)).to.equal(0n); // no stake while marked down
      expect(await allocator.recallReason(stressed)).to.equal(4n); // still MARKED_DOWN
      // The default is made good: the position counts its cost again at once, not 20% a year from the bottom.
      await stressed.inflate(usd("1000"));
      const after = await backstop.venueValue(stressed);
      expect(after.down).to.equal(false);
      expect(after.worth).to.be.greaterThan(usd("9998"));
    });

    it("a deposit too small for the venue's rounding is refused; dust never marks a venue down (M-1)", async function () {
      const f = await loadFixture(fixture);
      const { backstop, allocator, market2, agent, depositor } = f;
      await expect(allocator.connect(agent).allocate(market2, 1n)).to.be.revertedWithCustomError(
        allocator,
        "DepositTooSmall",
      );
      await allocator.connect(agent).allocate(market2, 10_000n);
      expect((await backstop.venueValue(market2)).down).to.equal(false);
      expect(await backstop.maxDeposit(depositor.address)).to.equal(MaxUint256);
    });

    it("a staker's exit is paid out of the venues first: idle cash stays for earmarks (M-2)", async function () {
      const f = await loadFixture(fixture);
      const { backstop, allocator, market2, agent, staker } = f;
      await allocator.connect(agent).allocate(market2, usd("10000"));
      await backstop.connect(staker).requestUnstake(await backstop.balanceOf(staker.address));
      await time.increase(7n * DAY);
      await backstop.connect(staker).withdraw(usd("8000"), staker.address, staker.address);
      expect(await backstop.idle()).to.equal(usd("20000"));
      expect((await backstop.venueValue(market2)).worth).to.be.within(usd("2000") - 2n, usd("2000"));
    });

    it("cash recalled while a loss is pending is earmarked again at the next checkpoint (M-2)", async function () {
      const f = await loadFixture(fixture);
      const { backstop, allocator, market2, agent, attacker, oracle, weth, engine, alice, bob, lens, vault } = f;
      await allocator.connect(agent).allocate(market2, usd("10000"));
      await allocator.connect(agent).allocate(f.stressed, usd("10000")); // idle 10,000 (floor 6,060)
      // A crash flags alice past reserves by more than idle cash: the earmark is short.
      await oracle.setPrice(weth, wad("500"));
      await engine.connect(bob).flag(alice.address);
      const shortfall = (await lens.totalProvision(vault)) - (await vault.reserves());
      expect(await backstop.earmarked()).to.equal(usd("10000"));
      expect(shortfall).to.be.greaterThan(usd("10000"));
      // Anyone recalls (exits are closed: a loss is pending); the checkpoint earmarks the cash that came back.
      await allocator.connect(attacker).recall(market2);
      await backstop.checkpoint();
      const idle = await backstop.idle();
      const needed = (await lens.totalProvision(vault)) - (await vault.reserves());
      expect(await backstop.earmarked()).to.equal(needed < idle ? needed : idle);
      expect(await backstop.earmarked()).to.be.greaterThan(usd("10000"));
      expect((await lens.backstop(vault)).earmarked).to.equal(await backstop.earmarked());
    });

    it("a floor breach recalls only what idle cash lacks, not the whole position (L-1)", async function () {
      const f = await loadFixture(fixture);
      const { backstop, allocator, market2, stressed, agent, attacker, owner } = f;
      await allocator.connect(agent).allocate(market2, usd("10000"));
      await allocator.connect(agent).allocate(stressed, usd("10000")); // idle 10,000
      expect(await allocator.recallReason(market2)).to.equal(0n);
      await allocator.connect(owner).setMinIdleShare(wad("0.4")); // floor 12,000: 2,000 short
      expect(await allocator.recallReason(market2)).to.equal(3n); // IDLE_FLOOR
      await allocator.connect(attacker).recall(market2);
      const floor = ((await backstop.totalAssets()) * wad("0.4") + wad("1") - 1n) / wad("1");
      expect(await backstop.idle()).to.be.within(floor - 2n, floor + 2n); // only the deficit came back
      expect((await backstop.venueValue(market2)).worth).to.be.within(usd("8000") - usd("1"), usd("8000") + usd("1"));
      expect(await allocator.recallReason(market2)).to.equal(0n);
    });

    it("shares donated to the backstop are not its position: a recall clears the list (L-2)", async function () {
      const f = await loadFixture(fixture);
      const { backstop, allocator, stressed, agent, attacker, usdc } = f;
      await allocator.connect(agent).allocate(stressed, usd("10000"));
      await usdc.mint(attacker.address, usd("1"));
      await usdc.connect(attacker).approve(stressed, MaxUint256);
      await stressed.connect(attacker).deposit(usd("1"), backstop); // shares sent to the backstop
      await allocator.connect(f.owner).freeze();
      await allocator.connect(attacker).recall(stressed);
      expect(await backstop.venues()).to.deep.equal([]);
    });
  });

  describe("freeze", function () {
    it("the guardian freezes: every agent call fails, anyone recalls, only governance unfreezes", async function () {
      const f = await loadFixture(fixture);
      const { allocator, market2, agent, guardian, attacker, owner } = f;
      await allocator.connect(agent).allocate(market2, usd("5000"));
      await expect(allocator.connect(attacker).freeze()).to.be.revertedWithCustomError(allocator, "NotGuardian");
      await expect(allocator.connect(guardian).freeze())
        .to.emit(allocator, "FrozenSet")
        .withArgs(true, guardian.address);
      await expect(allocator.connect(agent).allocate(market2, 1n)).to.be.revertedWithCustomError(allocator, "Frozen");
      await expect(allocator.connect(agent).deallocate(market2, 1n)).to.be.revertedWithCustomError(allocator, "Frozen");
      await expect(allocator.connect(guardian).unfreeze()).to.be.revertedWithCustomError(
        allocator,
        "OwnableUnauthorizedAccount",
      );
      await allocator.connect(attacker).recall(market2);
      await allocator.connect(owner).unfreeze();
      await allocator.connect(agent).allocate(market2, usd("1000"));
      // A new agent key (the old one leaked) is governance's.
      await allocator.connect(owner).setAgent(attacker.address);
      await expect(allocator.connect(agent).allocate(market2, 1n)).to.be.revertedWithCustomError(allocator, "NotAgent");
      expect(await f.breaker.guardian()).to.equal(guardian.address);
      expect(await allocator.backstop()).to.equal(await f.backstop.getAddress());
    });
  });
});
