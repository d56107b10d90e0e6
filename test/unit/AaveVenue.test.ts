/**
 * Issue 26: the backstop's allocator against a real Aave v3 pool (deployed from `@aave/core-v3`'s compiled artifacts),
 * through `AaveV3Venue`, the ERC-4626 vault over one reserve (a static aToken). Each rule with what would break it: the
 * venue holds aTokens that grow with the reserve's index, lets out only what the reserve holds, takes and lets out
 * nothing while the reserve is paused, and a donation of aTokens takes nothing from a depositor. Behind the allocator:
 * interest reaches the backstop under its ceiling, a staker's exit takes cash out of Aave, a reserve borrowed dry or
 * paused takes no more of the agent's cash while exits are paid out of idle cash.
 */
import { expect } from "chai";
import { MaxUint256, ZeroAddress } from "ethers";
import { network } from "hardhat";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import type { NetworkConnection } from "hardhat/types/network";

import { type AaveV3, deployAaveV3 } from "../../scripts/lib/aave.js";
import type { AaveV3Venue, IERC20Metadata } from "../../typechain-types/index.js";
import {
  DAY,
  deployBackstopWithAllocator,
  expectCountedUnderCeiling,
  expectDonationHarmless,
  expectLetsNothingOut,
  expectWholeClaimOut,
  limits,
  marketUsers,
  STAKE,
  type BackstopWithAllocator,
} from "./helpers/backstop.js";
import { liquidationFixture, type LiquidationFixture } from "./helpers/liquidationModel.js";
import { usd, wad } from "./helpers/vault.js";

const { ethers, networkHelpers } = await network.create();
const { time, loadFixture } = networkHelpers;

const VARIABLE = 2n; // Aave's variable interest rate mode

interface AaveVenueFixture extends LiquidationFixture, BackstopWithAllocator {
  aave: AaveV3;
  venue: AaveV3Venue;
  aUsdc: IERC20Metadata;
  /** Supplies 50,000 USDC to the Aave pool directly. */
  supplier: HardhatEthersSigner;
  /** Borrows USDC on the Aave pool against WETH. */
  borrower: HardhatEthersSigner;
}

async function aaveVenueFixture(connection: NetworkConnection): Promise<AaveVenueFixture> {
  const f = await liquidationFixture(connection);
  const b = await deployBackstopWithAllocator(connection, f);
  const aave = await deployAaveV3(connection.ethers, f.owner, [
    { token: f.usdc, symbol: "USDC", decimals: 6, price: 10n ** 8n, borrowing: true },
    { token: f.weth, symbol: "WETH", decimals: 18, price: 3000n * 10n ** 8n, ltv: 8000, liquidationThreshold: 8250 },
  ]);
  const venue = await connection.ethers.deployContract("AaveV3Venue", [aave.pool, f.usdc, "Aave USDC venue", "avUSDC"]);
  await b.allocator.connect(f.owner).setVenue(venue, limits("15000", "10000", "10000"));
  const aUsdc = await connection.ethers.getContractAt("IERC20Metadata", await venue.aToken());
  const { supplier, borrower } = await marketUsers(connection, f, aave.pool);
  await aave.pool.connect(supplier).supply(f.usdc, usd("50000"), supplier.address, 0);
  return { ...f, ...b, aave, venue, aUsdc, supplier, borrower };
}

const fixture = (c: NetworkConnection) => aaveVenueFixture(c);

/** The borrower posts `collateral` WETH on Aave and borrows `assets` USDC at the variable rate. */
async function borrowOnAave(f: AaveVenueFixture, collateral: bigint, assets: bigint) {
  await f.aave.pool.connect(f.borrower).supply(f.weth, collateral, f.borrower.address, 0);
  await f.aave.pool.connect(f.borrower).borrow(f.usdc, assets, VARIABLE, 0, f.borrower.address);
}

describe("AaveV3Venue: the backstop's allocator on a real Aave v3 pool (issue 26)", function () {
  describe("the venue", function () {
    it("refuses a token the pool has not listed, a zero pool, and deposits of nothing", async function () {
      const f = await loadFixture(fixture);
      const { aave, venue, depositor, usdc, wbtc } = f;
      await expect(ethers.deployContract("AaveV3Venue", [aave.pool, wbtc, "x", "x"]))
        .to.be.revertedWithCustomError(venue, "ReserveNotListed")
        .withArgs(await wbtc.getAddress());
      await expect(ethers.deployContract("AaveV3Venue", [ZeroAddress, usdc, "x", "x"])).to.be.revertedWithCustomError(
        venue,
        "ZeroAddress",
      );
      await usdc.connect(depositor).approve(venue, MaxUint256);
      await expect(venue.connect(depositor).deposit(0n, depositor.address)).to.be.revertedWithCustomError(
        venue,
        "ZeroAmount",
      );
      expect(await venue.pool()).to.equal(await aave.pool.getAddress());
      expect(await venue.maxDeposit(depositor.address)).to.equal(MaxUint256);
    });

    it("holds aTokens that grow with the reserve's index, and lets out only what the reserve holds", async function () {
      const f = await loadFixture(fixture);
      const { aave, venue, aUsdc, depositor, usdc } = f;
      await usdc.connect(depositor).approve(venue, MaxUint256);
      await venue.connect(depositor).deposit(usd("10000"), depositor.address);
      expect(await aUsdc.balanceOf(venue)).to.be.within(usd("10000") - 1n, usd("10000"));
      expect(await usdc.balanceOf(venue)).to.equal(0n);
      // Borrowers take 45,000 of the reserve's 60,000: a year later the supply has earned interest.
      await borrowOnAave(f, wad("40"), usd("45000"));
      await time.increase(365n * DAY);
      expect(await venue.totalAssets()).to.be.greaterThan(usd("10000"));
      expect(await venue.totalAssets()).to.equal(await aUsdc.balanceOf(venue));
      // Borrowed dry: nothing comes out, and the views say so.
      await aave.pool.connect(f.borrower).borrow(usdc, await venue.liquidity(), VARIABLE, 0, f.borrower.address);
      await expectLetsNothingOut(venue, depositor);
      // A repayment lets the whole claim out, interest included.
      await aave.pool.connect(f.borrower).repay(usdc, usd("20000"), VARIABLE, f.borrower.address);
      await expectWholeClaimOut(venue, usdc, depositor, usd("10000"));
    });

    it("a paused reserve takes nothing in and lets nothing out; a frozen one still lets out", async function () {
      const f = await loadFixture(fixture);
      const { aave, venue, depositor, usdc, owner } = f;
      await usdc.connect(depositor).approve(venue, MaxUint256);
      await venue.connect(depositor).deposit(usd("1000"), depositor.address);
      await aave.configurator.connect(owner).setReservePause(usdc, true);
      expect(await venue.maxDeposit(depositor.address)).to.equal(0n);
      expect(await venue.maxWithdraw(depositor.address)).to.equal(0n);
      await expect(venue.connect(depositor).deposit(usd("1"), depositor.address)).to.be.revertedWithCustomError(
        venue,
        "ERC4626ExceededMaxDeposit",
      );
      await aave.configurator.connect(owner).setReservePause(usdc, false);
      await aave.configurator.connect(owner).setReserveFreeze(usdc, true);
      expect(await venue.maxDeposit(depositor.address)).to.equal(0n);
      expect(await venue.maxWithdraw(depositor.address)).to.be.within(usd("1000") - 1n, usd("1000"));
      await venue.connect(depositor).withdraw(usd("999"), depositor.address, depositor.address);
    });

    it("aTokens donated before the first deposit take nothing from the depositor", async function () {
      const f = await loadFixture(fixture);
      const { aave, venue, depositor, attacker, usdc } = f;
      await usdc.connect(attacker).approve(aave.pool, MaxUint256);
      await expectDonationHarmless(venue, usdc, depositor, attacker, () =>
        aave.pool.connect(attacker).supply(usdc, usd("10000"), venue, 0),
      );
    });
  });

  describe("behind the backstop's allocator", function () {
    it("the agent's cash reaches Aave; interest reaches the backstop under its ceiling; a staker's exit takes it out", async function () {
      const f = await loadFixture(fixture);
      const { backstop, allocator, venue, agent, staker } = f;
      const worth = await backstop.totalAssets();
      await allocator.connect(agent).allocate(venue, usd("10000"));
      expect(await backstop.venues()).to.deep.equal([await venue.getAddress()]);
      expect(await backstop.totalAssets()).to.be.within(worth - 1n, worth);
      await borrowOnAave(f, wad("30"), usd("45000"));
      await time.increase(30n * DAY);
      await expectCountedUnderCeiling(backstop, venue, usd("10000"), 30n);
      await backstop.connect(staker).requestUnstake(await backstop.balanceOf(staker.address));
      await time.increase(7n * DAY);
      await backstop.connect(staker).withdraw(usd("25000"), staker.address, staker.address);
      expect(await backstop.idle()).to.be.greaterThan(STAKE - usd("25000"));
      expect(await f.usdc.balanceOf(staker.address)).to.equal(usd("1000000") - STAKE + usd("25000"));
    });

    it("a reserve borrowed dry, or paused, takes no more of the agent's cash; exits are paid out of idle cash", async function () {
      const f = await loadFixture(fixture);
      const { backstop, allocator, venue, agent, staker, aave, usdc, owner } = f;
      await allocator.connect(agent).allocate(venue, usd("5000"));
      await borrowOnAave(f, wad("40"), await venue.liquidity());
      expect(await venue.maxWithdraw(backstop)).to.equal(0n);
      await expect(allocator.connect(agent).allocate(venue, usd("1000"))).to.be.revertedWithCustomError(
        allocator,
        "VenueIlliquid",
      );
      await aave.pool.connect(f.borrower).repay(usdc, usd("20000"), VARIABLE, f.borrower.address);
      await aave.configurator.connect(owner).setReservePause(usdc, true);
      await expect(allocator.connect(agent).allocate(venue, usd("1000"))).to.be.revertedWithCustomError(
        venue,
        "ERC4626ExceededMaxDeposit",
      );
      await backstop.connect(staker).requestUnstake(await backstop.balanceOf(staker.address));
      await time.increase(7n * DAY);
      await backstop.connect(staker).withdraw(usd("24000"), staker.address, staker.address); // idle: 25,000
      await aave.configurator.connect(owner).setReservePause(usdc, false);
      await backstop.connect(staker).withdraw(usd("5000"), staker.address, staker.address); // out of Aave
      expect(await f.usdc.balanceOf(staker.address)).to.equal(usd("1000000") - STAKE + usd("29000"));
    });
  });
});
