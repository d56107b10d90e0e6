/**
 * Issue 19, property 1: a doubted price never liquidates a healthy account.
 *
 * The attacks the outside review ran, on the real OracleAdapter over Chainlink-like feeds (20% bound on unconfirmed
 * moves, 2% deviation between sources): one USDC round at $1.30, one WETH round 30% down, the jumped round still
 * priced after the feed corrects, and a secondary source far below the primary. Each makes the price DEGRADED with
 * `low` < `high`; before the fix the vault valued collateral at `low` and debt at the base's `high` for liquidations
 * too, so every account below health 1.30 (or 1/0.7) became liquidatable and lost collateral priced at the bound
 * worst for it. Now an account is liquidatable only at both bounds of the doubt, and what it loses is priced at the
 * bound that favours it; a confirmed crash (the next round agrees) liquidates at once.
 */
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { expect } from "chai";
import { MaxUint256 } from "ethers";
import { network } from "hardhat";

import { collateral, deployChainlinkMarket, feedConfig } from "../../scripts/lib/testMarket.js";
import type { ChainlinkMarket } from "../../scripts/lib/testMarket.js";
import { seizeFor } from "./helpers/liquidationModel.js";
import { Reason, Status } from "./helpers/oracleAdapter.js";
import { usd, wad, WAD } from "./helpers/vault.js";
import type { TestAggregator } from "../../typechain-types/index.js";

const { ethers, networkHelpers } = await network.create();

/** 8-decimal feed answer for a USD price. */
const answer = (usdPrice: string): bigint => wad(usdPrice) / 10n ** 10n;

interface Fixture {
  market: ChainlinkMarket;
  victim: HardhatEthersSigner;
  keeper: HardhatEthersSigner;
  weth: string;
  usdc: string;
  wethFeed: TestAggregator;
  usdcFeed: TestAggregator;
}

/** A lender, and a victim at health 1.0625 (10 WETH at $3000, 24,000 USDC borrowed: the LTV limit). */
async function doubtFixture(): Promise<Fixture> {
  const [, lender, victim, keeper] = await ethers.getSigners();
  const market = await deployChainlinkMarket(ethers);
  const { vault, usdc } = market;
  const wethToken = collateral(market, "WETH");
  const vaultAddress = await vault.getAddress();
  await (await usdc.mint(lender.address, usd("1000000"))).wait();
  await (await usdc.connect(lender).approve(vaultAddress, MaxUint256)).wait();
  await (await vault.connect(lender).deposit(usd("1000000"), lender.address)).wait();
  await (await wethToken.mint(victim.address, wad("10"))).wait();
  await (await wethToken.connect(victim).approve(vaultAddress, MaxUint256)).wait();
  await (await vault.connect(victim).depositCollateral(wethToken, wad("10"), victim.address)).wait();
  await (await vault.connect(victim).borrow(usd("24000"), victim.address)).wait();
  await (await usdc.mint(keeper.address, usd("100000"))).wait();
  await (await usdc.connect(keeper).approve(vaultAddress, MaxUint256)).wait();
  const wethFeed = market.feeds.get("WETH");
  const usdcFeed = market.feeds.get("USDC");
  if (wethFeed === undefined || usdcFeed === undefined) throw new Error("the market has no WETH or USDC feed");
  return {
    market,
    victim,
    keeper,
    weth: await wethToken.getAddress(),
    usdc: await usdc.getAddress(),
    wethFeed,
    usdcFeed,
  };
}

/** The victim cannot be liquidated, flagged or previewed, and its collateral and debt are untouched. */
async function expectSafe(f: Fixture): Promise<void> {
  const { vault, engine } = f.market;
  const before = [await vault.collateralOf(f.victim, f.weth), await vault.debtOf(f.victim)];
  expect(await vault.isLiquidatable(f.victim)).to.equal(false);
  await expect(engine.previewLiquidation(f.victim, f.weth, MaxUint256)).to.be.revertedWithCustomError(
    engine,
    "NotLiquidatable",
  );
  await expect(
    engine.connect(f.keeper).liquidate(f.victim, f.weth, MaxUint256, f.keeper.address),
  ).to.be.revertedWithCustomError(engine, "NotLiquidatable");
  await expect(engine.connect(f.keeper).flag(f.victim)).to.be.revertedWithCustomError(engine, "NotLiquidatable");
  expect(await f.market.lens.healthFactor(vault, f.victim)).to.be.greaterThanOrEqual(WAD);
  expect([await vault.collateralOf(f.victim, f.weth), await vault.debtOf(f.victim)]).to.deep.equal(before);
}

describe("A doubted price never liquidates a healthy account (issue 19, property 1)", function () {
  it("one USDC round at $1.30 (an unconfirmed 30% jump) liquidates nobody healthy at $1.00", async function () {
    const f = await networkHelpers.loadFixture(doubtFixture);
    await (await f.usdcFeed.push(answer("1.30"))).wait();
    const base = await f.market.adapter.getPrice(f.usdc);
    expect([base.status, base.reason, base.low, base.high]).to.deep.equal([
      BigInt(Status.DEGRADED),
      BigInt(Reason.UNCONFIRMED_JUMP),
      wad("1"),
      wad("1.3"),
    ]);
    // The borrow side still refuses new risk at the doubted price: the debt counts at $1.30 there.
    const borrowSide = await f.market.vault.accountLiquidity(f.victim);
    expect(borrowSide.debtValue).to.be.greaterThan(borrowSide.liquidationLimit);
    await expectSafe(f);
  });

  it("one WETH round 30% down (unconfirmed) liquidates nobody healthy at the last confirmed price", async function () {
    const f = await networkHelpers.loadFixture(doubtFixture);
    await (await f.wethFeed.push(answer("2100"))).wait();
    const read = await f.market.adapter.getPrice(f.weth);
    expect([read.status, read.reason]).to.deep.equal([BigInt(Status.DEGRADED), BigInt(Reason.UNCONFIRMED_JUMP)]);
    await expectSafe(f);
  });

  it("a real crash liquidates at once: the next round at the new level confirms it", async function () {
    const f = await networkHelpers.loadFixture(doubtFixture);
    await (await f.wethFeed.push(answer("2100"))).wait();
    await expectSafe(f);
    await (await f.wethFeed.push(answer("2100"))).wait();
    const read = await f.market.adapter.getPrice(f.weth);
    expect(read.status).to.equal(BigInt(Status.OK));
    expect(await f.market.vault.isLiquidatable(f.victim)).to.equal(true);
    const quote = await f.market.engine.previewLiquidation(f.victim, f.weth, MaxUint256);
    await expect(f.market.engine.connect(f.keeper).liquidate(f.victim, f.weth, MaxUint256, f.keeper.address)).to.emit(
      f.market.engine,
      "LiquidationExecuted",
    );
    expect(quote.seize).to.equal(seizeFor(quote.repay, WAD, 6n, wad("2100"), 18n, quote.bonus));
  });

  it("after the feed corrects, the jumped round no longer liquidates (the doubt's high is the corrected price)", async function () {
    const f = await networkHelpers.loadFixture(doubtFixture);
    await (await f.wethFeed.push(answer("2100"))).wait();
    await (await f.wethFeed.push(answer("3000"))).wait();
    const read = await f.market.adapter.getPrice(f.weth);
    expect([read.status, read.low, read.high]).to.deep.equal([BigInt(Status.DEGRADED), wad("2100"), wad("3000")]);
    await expectSafe(f);
  });

  it("a secondary source far below the primary (sources disagree) liquidates nobody healthy at the primary", async function () {
    const f = await networkHelpers.loadFixture(doubtFixture);
    const secondary = await ethers.deployContract("TestAggregator", [8, "WETH / USD (secondary)"]);
    await (await secondary.push(answer("1500"))).wait();
    const config = { ...feedConfig(await f.wethFeed.getAddress(), wad("3000")) };
    config.secondary = await secondary.getAddress();
    config.secondaryHeartbeat = 3600;
    await (await f.market.adapter.connect(f.market.owner).setAssetConfig(f.weth, config)).wait();
    const read = await f.market.adapter.getPrice(f.weth);
    expect([read.status, read.reason]).to.deep.equal([BigInt(Status.DEGRADED), BigInt(Reason.SOURCES_DISAGREE)]);
    await expectSafe(f);
  });

  it("a doubted price never releases a booked loss: flag keeps the provision, unflag refuses", async function () {
    const f = await networkHelpers.loadFixture(doubtFixture);
    const { vault, lens, engine } = f.market;
    // WETH falls to $2100 and the next round confirms it: insolvent by 3,000, flagged, 3,000 booked.
    await (await f.wethFeed.push(answer("2100"))).wait();
    await (await f.wethFeed.push(answer("2100"))).wait();
    await (await engine.connect(f.keeper).flag(f.victim)).wait();
    const booked = await lens.provisionOf(vault, f.victim);
    expect(booked).to.be.closeTo(usd("3000"), usd("0.01"));
    const flagged = await networkHelpers.takeSnapshot();
    // An unconfirmed round up to $2600 (a doubt between $2100 and $2600): still liquidatable at $2600, and solvent
    // there, so a flag at the doubt's favourable end would book nothing; it keeps the 3,000.
    await (await f.wethFeed.push(answer("2600"))).wait();
    expect((await f.market.adapter.getPrice(f.weth)).status).to.equal(BigInt(Status.DEGRADED));
    await (await engine.connect(f.keeper).flag(f.victim)).wait();
    expect(await lens.provisionOf(vault, f.victim)).to.equal(booked);
    // An unconfirmed round up to $3000 instead (healthy at the doubt's high end): unflag reads the borrow side and
    // refuses; the provision stays.
    await flagged.restore();
    await (await f.wethFeed.push(answer("3000"))).wait();
    expect((await f.market.adapter.getPrice(f.weth)).status).to.equal(BigInt(Status.DEGRADED));
    await expect(engine.unflag(f.victim)).to.be.revertedWithCustomError(engine, "StillLiquidatable");
    expect(await lens.provisionOf(vault, f.victim)).to.equal(booked);
  });

  it("liquidatable at both bounds: liquidated, and the seizure priced at the bound that favours the borrower", async function () {
    const f = await networkHelpers.loadFixture(doubtFixture);
    // WETH unconfirmed at $2350 after $2750: unhealthy at both (limit 19,975 and 23,375 against 24,000).
    await (await f.wethFeed.push(answer("2750"))).wait();
    await (await f.wethFeed.push(answer("2750"))).wait();
    await (await f.wethFeed.push(answer("2200"))).wait();
    const read = await f.market.adapter.getPrice(f.weth);
    expect([read.status, read.low, read.high]).to.deep.equal([BigInt(Status.DEGRADED), wad("2200"), wad("2750")]);
    expect(await f.market.vault.isLiquidatable(f.victim)).to.equal(true);
    const quote = await f.market.engine.previewLiquidation(f.victim, f.weth, MaxUint256);
    // Health on the liquidation side: 10 × 2750 × 0.85 / the debt (interest included) at the base's low, $1.
    const debtValue = (await f.market.vault.debtOf(f.victim)) * 10n ** 12n;
    expect(quote.health).to.equal((wad("23375") * WAD) / debtValue);
    // Priced at $2750 (on the debt the repayment removes: a few units of rounding below `repay`), far from $2200.
    const atHigh = seizeFor(quote.repay, WAD, 6n, wad("2750"), 18n, quote.bonus);
    expect(quote.seize).to.be.lessThanOrEqual(atHigh);
    expect(quote.seize).to.be.closeTo(atHigh, atHigh / 10n ** 6n);
    expect(quote.seize).to.be.lessThan(seizeFor(quote.repay, WAD, 6n, wad("2200"), 18n, quote.bonus));
    // Sent a block later (a block of interest more), it seizes what the preview said, give or take that interest.
    const held = await f.market.vault.collateralOf(f.victim, f.weth);
    await (await f.market.engine.connect(f.keeper).liquidate(f.victim, f.weth, MaxUint256, f.keeper.address)).wait();
    const seized = held - (await f.market.vault.collateralOf(f.victim, f.weth));
    expect(seized).to.be.closeTo(quote.seize, quote.seize / 10n ** 6n);
  });
});
