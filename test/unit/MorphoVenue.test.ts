/**
 * Issue 26: the backstop's allocator against a real Morpho Blue market (`Morpho` compiled from
 * `@morpho-org/morpho-blue`), through `MorphoMarketVenue`, the ERC-4626 vault that supplies one market. Each rule with
 * what would break it: the venue quotes Morpho's own account of its supply, interest accrued; it lets out only what the
 * market's borrowers leave; a donation made in Morpho on its behalf takes nothing from a depositor. Behind the
 * allocator: interest reaches the backstop slowly, a staker's exit takes cash out of Morpho, a market borrowed dry
 * takes no more of the agent's cash while exits are paid out of idle cash, and a bad debt Morpho socialises marks the
 * venue down at once.
 */
import { expect } from "chai";
import { MaxUint256, ZeroAddress } from "ethers";
import { network } from "hardhat";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import type { NetworkConnection } from "hardhat/types/network";

import { createMorphoMarket, deployMorpho, type MorphoMarketParams } from "../../scripts/lib/morpho.js";
import type { Morpho, MorphoMarketVenue, TestAggregator } from "../../typechain-types/index.js";
import {
  DAY,
  deployBackstopWithAllocator,
  expectCountedUnderCeiling,
  expectDonationHarmless,
  expectLetsNothingOut,
  expectWholeClaimOut,
  expectMarkedDownThenRecalled,
  limits,
  marketUsers,
  STAKE,
  type BackstopWithAllocator,
} from "./helpers/backstop.js";
import { liquidationFixture, type LiquidationFixture } from "./helpers/liquidationModel.js";
import { usd, wad } from "./helpers/vault.js";

const { ethers, networkHelpers } = await network.create();
const { time, loadFixture } = networkHelpers;

/** Morpho's LLTV for the market (enabled by its owner). */
const LLTV = wad("0.86");

interface MorphoVenueFixture extends LiquidationFixture, BackstopWithAllocator {
  morpho: Morpho;
  params: MorphoMarketParams;
  venue: MorphoMarketVenue;
  wethFeed: TestAggregator;
  /** Supplies 50,000 USDC to the Morpho market directly. */
  supplier: HardhatEthersSigner;
  /** Borrows on the Morpho market against WETH. */
  borrower: HardhatEthersSigner;
}

async function morphoVenueFixture(connection: NetworkConnection): Promise<MorphoVenueFixture> {
  const f = await liquidationFixture(connection);
  const b = await deployBackstopWithAllocator(connection, f);
  const morpho = await deployMorpho(connection.ethers, f.owner);
  const wethFeed = await connection.ethers.deployContract("TestAggregator", [8, "WETH / USD"]);
  const usdcFeed = await connection.ethers.deployContract("TestAggregator", [8, "USDC / USD"]);
  await wethFeed.push(3000n * 10n ** 8n);
  await usdcFeed.push(10n ** 8n);
  const oracle = await connection.ethers.deployContract("ChainlinkMorphoOracle", [wethFeed, 18, usdcFeed, 6]);
  const irm = await connection.ethers.deployContract("KinkedIrm", [f.rateModel]);
  const { marketParams } = await createMorphoMarket(connection.ethers, morpho, f.owner, {
    loanToken: f.usdc,
    collateralToken: f.weth,
    oracle,
    irm,
    lltv: LLTV,
  });
  const venue = await connection.ethers.deployContract("MorphoMarketVenue", [
    morpho,
    marketParams,
    "Morpho USDC/WETH venue",
    "mvUSDC",
  ]);
  await b.allocator.connect(f.owner).setVenue(venue, limits("15000", "10000", "10000"));
  const { supplier, borrower } = await marketUsers(connection, f, morpho);
  await morpho.connect(supplier).supply(marketParams, usd("50000"), 0n, supplier.address, "0x");
  return { ...f, ...b, morpho, params: marketParams, venue, wethFeed, supplier, borrower };
}

const fixture = (c: NetworkConnection) => morphoVenueFixture(c);

/** `who` posts `collateral` WETH on the Morpho market and borrows `assets` USDC. */
async function borrowOnMorpho(f: MorphoVenueFixture, collateral: bigint, assets: bigint) {
  await f.morpho.connect(f.borrower).supplyCollateral(f.params, collateral, f.borrower.address, "0x");
  await f.morpho.connect(f.borrower).borrow(f.params, assets, 0n, f.borrower.address, f.borrower.address);
}

describe("MorphoMarketVenue: the backstop's allocator on a real Morpho Blue market (issue 26)", function () {
  describe("the venue", function () {
    it("refuses a market Morpho never created, a zero Morpho, and deposits of nothing", async function () {
      const f = await loadFixture(fixture);
      const { morpho, params, venue, depositor, usdc } = f;
      const other = { ...params, lltv: wad("0.5") };
      await expect(ethers.deployContract("MorphoMarketVenue", [morpho, other, "x", "x"])).to.be.revertedWithCustomError(
        venue,
        "MarketNotCreated",
      );
      await expect(
        ethers.deployContract("MorphoMarketVenue", [ZeroAddress, params, "x", "x"]),
      ).to.be.revertedWithCustomError(venue, "ZeroAddress");
      await usdc.connect(depositor).approve(venue, MaxUint256);
      await expect(venue.connect(depositor).deposit(0n, depositor.address)).to.be.revertedWithCustomError(
        venue,
        "ZeroAmount",
      );
      expect(await venue.asset()).to.equal(await usdc.getAddress());
      expect(await venue.marketParams()).to.deep.equal(Object.values(params));
    });

    it("quotes Morpho's own account of its supply, interest accrued, and lets out only what borrowers leave", async function () {
      const f = await loadFixture(fixture);
      const { morpho, params, venue, depositor, usdc } = f;
      await usdc.connect(depositor).approve(venue, MaxUint256);
      await venue.connect(depositor).deposit(usd("10000"), depositor.address);
      const id = await venue.marketId();
      expect((await morpho.position(id, venue)).supplyShares).to.be.greaterThan(0n);
      expect(await usdc.balanceOf(venue)).to.equal(0n);
      expect(await venue.totalAssets()).to.be.within(usd("10000") - 1n, usd("10000"));
      // Borrowers take 45,000 of the market's 60,000: a year later the supply has earned interest.
      await borrowOnMorpho(f, wad("30"), usd("45000"));
      await time.increase(365n * DAY);
      const quoted = await venue.totalAssets();
      expect(quoted).to.be.greaterThan(usd("10000"));
      expect(await venue.liquidity()).to.be.greaterThanOrEqual(usd("15000"));
      // One unit left: shares that would redeem for nothing are not offered.
      await morpho
        .connect(f.borrower)
        .borrow(params, (await venue.liquidity()) - 1n, 0n, f.borrower.address, f.borrower.address);
      expect(await venue.maxWithdraw(depositor.address)).to.equal(1n);
      expect(await venue.maxRedeem(depositor.address)).to.equal(0n);
      // Borrowed dry: nothing comes out, and the views say so.
      await morpho.connect(f.borrower).borrow(params, 1n, 0n, f.borrower.address, f.borrower.address);
      await expectLetsNothingOut(venue, depositor);
      // A repayment lets the whole claim out, interest included.
      await morpho.connect(f.borrower).repay(params, usd("20000"), 0n, f.borrower.address, "0x");
      await expectWholeClaimOut(venue, usdc, depositor, usd("10000"));
    });

    it("a donation made in Morpho on the venue's behalf before the first deposit takes nothing from the depositor", async function () {
      const f = await loadFixture(fixture);
      const { morpho, params, venue, depositor, attacker, usdc } = f;
      await usdc.connect(attacker).approve(morpho, MaxUint256);
      await expectDonationHarmless(venue, usdc, depositor, attacker, () =>
        morpho.connect(attacker).supply(params, usd("10000"), 0n, venue, "0x"),
      );
    });
  });

  describe("behind the backstop's allocator", function () {
    it("the agent's cash reaches Morpho; interest reaches the backstop slowly; a staker's exit takes it back out", async function () {
      const f = await loadFixture(fixture);
      const { backstop, allocator, venue, agent, staker } = f;
      const worth = await backstop.totalAssets();
      await allocator.connect(agent).allocate(venue, usd("10000"));
      expect(await backstop.venues()).to.deep.equal([await venue.getAddress()]);
      expect(await backstop.totalAssets()).to.be.within(worth - 1n, worth);
      await borrowOnMorpho(f, wad("30"), usd("45000"));
      await time.increase(30n * DAY);
      // The venue quotes more; the backstop counts it at most at its ceiling (20% a year since the mark).
      const quote = await venue.previewRedeem(await venue.balanceOf(backstop));
      expect(quote).to.be.greaterThan(usd("10000"));
      await expectCountedUnderCeiling(backstop, venue, usd("10000"), 30n);
      // A staker's exit of 25,000 is paid out of Morpho first, then idle cash.
      await backstop.connect(staker).requestUnstake(await backstop.balanceOf(staker.address));
      await time.increase(7n * DAY);
      await backstop.connect(staker).withdraw(usd("25000"), staker.address, staker.address);
      expect(await backstop.venues()).to.deep.equal([]);
      // Idle cash: 20,000 + what Morpho paid (10,000 and its interest) − 25,000.
      expect(await backstop.idle()).to.be.greaterThan(STAKE - usd("25000"));
    });

    it("a market borrowed dry: the agent can add nothing, exits are paid out of idle cash, and the cash comes back once repaid", async function () {
      const f = await loadFixture(fixture);
      const { backstop, allocator, venue, agent, staker, morpho, params } = f;
      await allocator.connect(agent).allocate(venue, usd("10000"));
      await borrowOnMorpho(f, wad("40"), await venue.liquidity());
      expect(await venue.maxWithdraw(backstop)).to.equal(0n);
      // More cash would be stranded there: refused (a day on, the deposit bucket has room again).
      await time.increase(DAY);
      await expect(allocator.connect(agent).allocate(venue, usd("1000"))).to.be.revertedWithCustomError(
        allocator,
        "VenueIlliquid",
      );
      // A staker's exit takes what idle cash pays; more than that waits for Morpho's borrowers.
      await backstop.connect(staker).requestUnstake(await backstop.balanceOf(staker.address));
      await time.increase(7n * DAY);
      await expect(
        backstop.connect(staker).withdraw(usd("20001"), staker.address, staker.address),
      ).to.be.revertedWithCustomError(backstop, "InsufficientIdle");
      await backstop.connect(staker).withdraw(usd("15000"), staker.address, staker.address);
      // Repaid: the exit takes the rest out of Morpho.
      await morpho.connect(f.borrower).repay(params, usd("30000"), 0n, f.borrower.address, "0x");
      const idleBefore = await backstop.idle();
      await backstop.connect(staker).withdraw(usd("14000"), staker.address, staker.address);
      expect(await backstop.idle()).to.be.greaterThanOrEqual(idleBefore - usd("14000") + usd("9000"));
      expect(await f.usdc.balanceOf(staker.address)).to.equal(usd("1000000") - STAKE + usd("29000"));
    });

    it("a bad debt Morpho socialises marks the venue down at once: stakes refused, anyone recalls what is left", async function () {
      const f = await loadFixture(fixture);
      const { backstop, allocator, venue, agent, attacker, depositor, morpho, params, wethFeed, usdc } = f;
      await allocator.connect(agent).allocate(venue, usd("10000"));
      const worth = await backstop.totalAssets();
      await borrowOnMorpho(f, wad("10"), usd("25000"));

      // WETH at $1,000: 10 WETH no longer cover 25,000; a liquidator seizes them all and Morpho books the rest as
      // bad debt, cut from every supplier's assets (10,000 of 60,000: about a sixth of it lands on the venue).
      await wethFeed.push(1000n * 10n ** 8n);
      await usdc.connect(attacker).approve(morpho, MaxUint256);
      await morpho.connect(attacker).liquidate(params, f.borrower.address, wad("10"), 0n, "0x");
      const { worth: counted, down } = await backstop.venueValue(venue);
      expect(down).to.equal(true);
      expect(counted).to.be.lessThan(usd("8000"));
      expect(worth).to.be.within(STAKE - 1n, STAKE);
      expect(await backstop.totalAssets()).to.equal(STAKE - usd("10000") + counted); // the loss counts at once
      await expectMarkedDownThenRecalled(f, venue, attacker);
      expect(await backstop.venues()).to.deep.equal([]);
      expect(await backstop.idle()).to.be.within(STAKE - usd("10000") + counted - 1n, STAKE - usd("10000") + counted);
      expect(await backstop.maxDeposit(depositor.address)).to.equal(MaxUint256);
    });
  });
});
