/**
 * Issue 19, property 4: no liquidation leaves dust.
 *
 * The review's attack: a full liquidation on WETH of an account that also held $120 of WBTC took all the WETH (the
 * seizure capped at the holding) and left $50 of debt — under the $100 dust minimum, never worth a keeper's gas once
 * it turns unhealthy — because the dust check is skipped when a seizure is capped at one collateral's holding. Now
 * such a remainder is settled in the same transaction: being solvent (its other collateral covers it), it is closed at
 * no loss — free reserves pay the debt and just its value of the other collateral becomes the protocol's, so neither
 * the borrower nor the lenders lose anything; only an insolvent remainder is written off.
 */
import { expect } from "chai";
import { MaxUint256 } from "ethers";
import { network } from "hardhat";
import type { NetworkConnection } from "hardhat/types/network";

import { liquidationFixture } from "./helpers/liquidationModel.js";
import type { LiquidationFixture } from "./helpers/liquidationModel.js";
import { btc } from "./helpers/breaker.js";
import { Reason, Status } from "./helpers/oracleAdapter.js";
import { usd, wad } from "./helpers/vault.js";

const { networkHelpers, ethers } = await network.create();

/**
 * `attacker` with 10 WETH and 0.002 WBTC ($120) and 19,097 USDC owed; WETH then falls to $2,000: health 0.895, a
 * full close at the 5% maximum bonus takes all the WETH and repays 19,047.62, leaving $49.38 of debt.
 */
async function dustFixture(connection: NetworkConnection): Promise<LiquidationFixture> {
  const f = await liquidationFixture(connection);
  await f.vault.connect(f.attacker).depositCollateral(f.weth, wad("10"), f.attacker.address);
  await f.vault.connect(f.attacker).depositCollateral(f.wbtc, btc("0.002"), f.attacker.address);
  await f.vault.connect(f.attacker).borrow(usd("19097"), f.attacker.address);
  await f.oracle.setPrice(f.weth, wad("2000"));
  return f;
}

/**
 * Bob liquidates all of the attacker's WETH and the remainder is left, not closed (no `RemainderClosed`): the
 * documented exception. Returns the debt the attacker still owes (never zero: the remainder stays).
 */
async function liquidateLeavingRemainder(f: LiquidationFixture): Promise<bigint> {
  const { vault, engine, weth, attacker, bob } = f;
  await expect(engine.connect(bob).liquidate(attacker, weth, MaxUint256, bob.address)).not.to.emit(
    vault,
    "RemainderClosed",
  );
  const left = await vault.debtOf(attacker);
  expect(left).to.be.greaterThan(0n);
  return left;
}

describe("No liquidation leaves dust (issue 19, property 4)", function () {
  it("a seizure capped at the WETH holding leaves $49 owed: closed in the same transaction, at no loss", async function () {
    const f = await networkHelpers.loadFixture(dustFixture);
    const { vault, lens, engine, wbtc, weth, attacker, bob } = f;
    const quote = await engine.previewLiquidation(attacker, weth, MaxUint256);
    expect(quote.seize).to.equal(wad("10"));
    const left = usd("19097") - quote.repay;
    expect(left).to.be.greaterThan(0n);
    expect(left).to.be.lessThan(usd("100"));
    const assetsBefore = await vault.totalAssets();
    const reservesBefore = await vault.reserves();
    // $49.38 at WBTC's $60,000, rounded up to the satoshi: 83 sats (0.00083 WBTC, $49.80).
    const seize = (left * 10n ** 12n * 10n ** 8n + wad("60000") - 1n) / wad("60000");
    await expect(engine.connect(bob).liquidate(attacker, weth, MaxUint256, bob.address))
      .to.emit(vault, "RemainderClosed")
      .withArgs(attacker.address, await wbtc.getAddress(), left, seize);
    expect(await vault.debtOf(attacker)).to.equal(0n);
    expect(await vault.collateralOf(attacker, wbtc)).to.equal(btc("0.002") - seize);
    expect(await lens.protocolCollateral(vault, wbtc)).to.equal(seize);
    // Reserves paid the remainder (and gained the liquidation's fee); lenders' assets did not move.
    expect(await vault.reserves()).to.equal(reservesBefore + quote.fee - left);
    expect(await vault.totalAssets()).to.equal(assetsBefore);
    expect(await vault.badDebt()).to.equal(0n);
    expect(await engine.flaggedAt(attacker)).to.equal(0n);
  });

  it("an insolvent remainder is still written off", async function () {
    const f = await networkHelpers.loadFixture(dustFixture);
    const { vault, engine, wbtc, weth, attacker, bob, oracle } = f;
    // Insolvent before (WETH $1,850: $18,500 + $60 of WBTC for 19,097 owed), it owes $1,478 after all its WETH goes,
    // against $60 of WBTC.
    await oracle.setPrice(weth, wad("1850"));
    await oracle.setPrice(wbtc, wad("30000"));
    await expect(engine.connect(bob).liquidate(attacker, weth, MaxUint256, bob.address)).to.emit(
      vault,
      "BadDebtWrittenOff",
    );
    expect(await vault.debtOf(attacker)).to.equal(0n);
    expect(await vault.collateralOf(attacker, wbtc)).to.equal(0n);
  });

  it("a solvent remainder whose collateral left is dust too is closed, not written off (the LUNA write-offs)", async function () {
    const f = await networkHelpers.loadFixture(dustFixture);
    const { vault, engine, wbtc, weth, attacker, bob, oracle } = f;
    await oracle.setPrice(wbtc, wad("30000")); // $60 of WBTC for $49 owed: solvent, all of it under $100
    const quote = await engine.previewLiquidation(attacker, weth, MaxUint256);
    expect(quote.writeOff).to.equal(true); // the rest is settled, here at no loss
    await expect(engine.connect(bob).liquidate(attacker, weth, MaxUint256, bob.address))
      .to.emit(vault, "RemainderClosed")
      .and.not.to.emit(vault, "BadDebtWrittenOff");
    expect(await vault.debtOf(attacker)).to.equal(0n);
    expect(await vault.badDebt()).to.equal(0n);
    expect(await vault.collateralOf(attacker, wbtc)).to.be.greaterThan(0n); // she keeps her surplus
  });

  // Review of the price gate: when nothing could close a solvent remainder whose collateral left is dust, the engine
  // wrote it off, sweeping the borrower's surplus and booking bad debt that was not there.
  it("a solvent dust remainder nothing can close is left, never written off", async function () {
    const f = await networkHelpers.loadFixture(dustFixture);
    const { vault, engine, wbtc, weth, attacker, bob, oracle } = f;
    // $60 of WBTC (doubted: $30,000 to $30,000.01) for $49 owed: solvent, all of it under $100, not closable.
    await oracle.setPriceData(wbtc, wad("30000"), wad("30000.01"), Status.DEGRADED, Reason.UNCONFIRMED_JUMP);
    expect((await engine.previewLiquidation(attacker, weth, MaxUint256)).writeOff).to.equal(true);
    await expect(engine.connect(bob).liquidate(attacker, weth, MaxUint256, bob.address))
      .not.to.emit(vault, "BadDebtWrittenOff")
      .and.not.to.emit(vault, "RemainderClosed");
    expect(await vault.badDebt()).to.equal(0n);
    expect(await vault.collateralOf(attacker, wbtc)).to.equal(btc("0.002"));
    expect(await vault.debtOf(attacker)).to.be.lessThan(usd("100"));
    // Nor can anyone write it off by hand (review finding: writeOff checked only that the collateral was dust).
    await expect(engine.writeOff(attacker)).to.be.revertedWithCustomError(engine, "StillSolvent");
    expect(await vault.collateralOf(attacker, wbtc)).to.equal(btc("0.002"));
  });

  it("the liquidation's own fee can pay the remainder: reserves emptied beforehand, still closed", async function () {
    const f = await networkHelpers.loadFixture(dustFixture);
    const { vault, engine, owner, weth, attacker, bob } = f;
    await vault.connect(owner).withdrawReserves(owner.address, await vault.reserves());
    await expect(engine.connect(bob).liquidate(attacker, weth, MaxUint256, bob.address)).to.emit(
      vault,
      "RemainderClosed",
    );
    expect(await vault.debtOf(attacker)).to.equal(0n);
  });

  it("with no free reserves to pay it, the remainder stays (the documented exception) and the liquidation goes on", async function () {
    const f = await networkHelpers.loadFixture(liquidationFixture);
    const { vault, owner, oracle, weth, wbtc, attacker } = f;
    // 2.5 WETH and $120 of WBTC, 4,852 owed; at $2,000 the close leaves $90.05, more than its $23.81 fee.
    await vault.connect(attacker).depositCollateral(weth, wad("2.5"), attacker.address);
    await vault.connect(attacker).depositCollateral(wbtc, btc("0.002"), attacker.address);
    await vault.connect(attacker).borrow(usd("4852"), attacker.address);
    await oracle.setPrice(weth, wad("2000"));
    await vault.connect(owner).withdrawReserves(owner.address, await vault.reserves());
    const left = await liquidateLeavingRemainder(f);
    expect(left).to.be.lessThan(usd("100"));
  });

  // Review of property 4: the close bought the other collateral with reserves at any usable price, a doubted one's
  // `high` included, and ignored the breaker. A manipulated high would buy a few satoshis for the whole remainder.
  it("a doubted price on the other collateral: the remainder is not bought at either bound of the doubt", async function () {
    const f = await networkHelpers.loadFixture(dustFixture);
    const { vault, oracle, wbtc, attacker } = f;
    await oracle.setPriceData(wbtc, wad("30000"), wad("60000"), Status.DEGRADED, Reason.SOURCES_DISAGREE);
    const left = await liquidateLeavingRemainder(f);
    expect(await vault.collateralOf(attacker, wbtc)).to.equal(btc("0.002"));
    expect(left).to.be.lessThan(usd("100"));
  });

  it("a doubted base price: the remainder is not closed", async function () {
    const f = await networkHelpers.loadFixture(dustFixture);
    const { engine, oracle, usdc, weth, attacker } = f;
    await oracle.setPriceData(usdc, wad("0.999"), wad("1"), Status.DEGRADED, Reason.UNCONFIRMED_JUMP);
    expect((await engine.previewLiquidation(attacker, weth, MaxUint256)).seize).to.equal(wad("10")); // capped
    await liquidateLeavingRemainder(f);
  });

  it("the breaker stops liquidations of the other collateral: the remainder is not closed in it", async function () {
    const f = await networkHelpers.loadFixture(dustFixture);
    const { vault, breaker, oracle, wbtc, attacker } = f;
    await oracle.setPriceData(wbtc, 0n, 0n, Status.FAILED, Reason.FEED_REVERTED);
    await breaker.poke(wbtc); // WBTC liquidations stop until the cooldown has passed, then wait out the grace
    await oracle.setPrice(wbtc, wad("60000"));
    await expect(breaker.checkLiquidation(wbtc)).to.be.revertedWithCustomError(breaker, "ActionPaused");
    await liquidateLeavingRemainder(f);
    expect(await vault.collateralOf(attacker, wbtc)).to.equal(btc("0.002"));
  });

  it("closeRemainder refuses what free reserves cannot pay (RemainderNotCovered) and more than the holding", async function () {
    const f = await networkHelpers.loadFixture(dustFixture);
    const { vault, engine, wbtc, attacker, bob } = f;
    await networkHelpers.impersonateAccount(await engine.getAddress());
    await networkHelpers.setBalance(await engine.getAddress(), wad("1"));
    const asEngine = await ethers.getSigner(await engine.getAddress());
    const reserves = await vault.reserves();
    await expect(vault.connect(asEngine).closeRemainder(attacker, wbtc, 1n))
      .to.be.revertedWithCustomError(vault, "RemainderNotCovered")
      .withArgs(await vault.debtOf(attacker), reserves);
    await expect(vault.connect(asEngine).closeRemainder(bob, wbtc, 1n)).to.be.revertedWithCustomError(vault, "NoDebt");
  });

  it("closeRemainder is the engine's alone", async function () {
    const f = await networkHelpers.loadFixture(dustFixture);
    const { vault, wbtc, attacker, bob } = f;
    await expect(vault.connect(bob).closeRemainder(attacker, wbtc, 1n)).to.be.revertedWithCustomError(
      vault,
      "NotLiquidationEngine",
    );
  });
});
