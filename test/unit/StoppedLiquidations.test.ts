/**
 * Issue 19, properties 3 and 7: what happens to an unhealthy account while liquidations are stopped.
 *
 * Property 3, loss is booked even when liquidations are stopped. The review's attack: with the L2 sequencer down or
 * in its grace period, `flag` reverted like a liquidation, so an insolvent account's certain loss was never
 * provisioned and lenders could redeem at a share price that ignored it, leaving the loss to those who stayed. Now
 * `flag` books the loss whenever prices can be read; only liquidations (and write-offs) wait.
 *
 * Property 7, no penalty grows while liquidations are stopped. The review's attack: flag an account at health 0.97,
 * let a breaker stop (or the sequencer's downtime and grace) run past the time ramp, and the bonus went from 2.7% to
 * the 5% maximum with health unchanged, taken from the borrower the moment liquidations resumed. Now the ramp counts
 * only seconds in which liquidations were open: a stop restarts it at its end.
 */
import { expect } from "chai";
import { MaxUint256 } from "ethers";
import { network } from "hardhat";
import type { NetworkConnection } from "hardhat/types/network";

import { DEFAULT_ENGINE_PARAMS } from "../../scripts/lib/testMarket.js";
import { COOLDOWN, debtFixture, GRACE } from "./helpers/breaker.js";
import { DEFAULTS, incentive, readPosition } from "./helpers/liquidationModel.js";
import { Reason as OracleReason, Status } from "./helpers/oracleAdapter.js";
import { usd, wad } from "./helpers/vault.js";
import type { MarketFixture } from "./helpers/vault.js";

const { networkHelpers } = await network.create();
const { time } = networkHelpers;

/** The debt fixture with alice (10 WETH, 24,000 USDC owed) at WETH $2740: health 0.9704, flagged now. */
async function flaggedFixture(connection: NetworkConnection): Promise<MarketFixture> {
  const f = await debtFixture(connection);
  await f.oracle.setPrice(f.weth, wad("2740"));
  await f.engine.flag(f.alice);
  return f;
}

/** The bonus `liquidate(alice, WETH, max)` would pay now. */
async function bonusNow(f: MarketFixture): Promise<bigint> {
  return (await f.engine.previewLiquidation(f.alice, f.weth, MaxUint256)).bonus;
}

/** What the model pays alice's WETH at her health now after `elapsed` seconds of open ramp. */
async function modelBonus(f: MarketFixture, elapsed: bigint): Promise<bigint> {
  const [cfg] = await f.lens.collateralInfo(f.vault, f.weth);
  const health = (await readPosition(f, f.alice)).health;
  return incentive(cfg.liquidationBonus, health, elapsed, DEFAULTS);
}

describe("Loss is booked even when liquidations are stopped (issue 19, property 3)", function () {
  for (const [name, reason] of [
    ["SEQUENCER_DOWN", OracleReason.SEQUENCER_DOWN],
    ["SEQUENCER_GRACE", OracleReason.SEQUENCER_GRACE],
    ["SEQUENCER_FEED_BROKEN", OracleReason.SEQUENCER_FEED_BROKEN],
  ] as const) {
    it(`${name}: flag books an insolvent account's loss; the liquidation still waits`, async function () {
      const f = await networkHelpers.loadFixture(debtFixture);
      const { vault, lens, engine, oracle, owner, weth, alice, bob } = f;
      // No emergency liquidations at all: every liquidation waits for the sequencer, whatever the health.
      await engine.connect(owner).setParams({ ...DEFAULT_ENGINE_PARAMS, emergencyHealth: 0n });
      await oracle.setSequencerReason(reason);
      await oracle.setPrice(weth, wad("2000")); // $20,000 of WETH for 24,000 USDC owed: 4,000 certain loss
      const assetsBefore = await vault.totalAssets();
      await expect(engine.flag(alice)).to.emit(vault, "BadDebtProvisioned");
      expect(await lens.provisionOf(vault, alice)).to.equal(usd("4000"));
      // The share price carries the loss at once: a lender who redeems now does not leave it to the others.
      expect(await vault.totalAssets()).to.equal(assetsBefore - usd("4000"));
      await expect(engine.connect(bob).liquidate(alice, weth, MaxUint256, bob.address)).to.be.revertedWithCustomError(
        engine,
        "SequencerNotReady",
      );
      await expect(engine.writeOff(alice)).to.be.revertedWithCustomError(engine, "SequencerNotReady");
    });
  }

  it("a breaker stop of the collateral does not stop a loss being booked either", async function () {
    const f = await networkHelpers.loadFixture(debtFixture);
    const { vault, lens, breaker, engine, oracle, weth, alice, bob } = f;
    await oracle.setPriceData(weth, 0n, 0n, Status.FAILED, OracleReason.FEED_REVERTED);
    await breaker.poke(weth); // liquidations of WETH stop (ORACLE_FAILED) until the cooldown has passed
    await oracle.setPrice(weth, wad("2000"));
    await expect(engine.connect(bob).liquidate(alice, weth, MaxUint256, bob.address)).to.be.revertedWithCustomError(
      breaker,
      "ActionPaused",
    );
    await engine.flag(alice);
    expect(await lens.provisionOf(vault, alice)).to.equal(usd("4000"));
  });
});

describe("No penalty grows while liquidations are stopped (issue 19, property 7)", function () {
  it("a breaker stop past the time ramp: the bonus after the grace is the bonus of a fresh flag, then climbs again", async function () {
    const f = await networkHelpers.loadFixture(flaggedFixture);
    const { breaker, engine, oracle, weth, alice, bob } = f;
    await time.increase(300);
    const before = await bonusNow(f);
    expect(before).to.equal(await modelBonus(f, 300n));

    await oracle.setPriceData(weth, 0n, 0n, Status.FAILED, OracleReason.FEED_REVERTED);
    await breaker.poke(weth);
    await time.increase(Number(COOLDOWN) + 86_400); // far beyond the 30-minute ramp
    await oracle.setPrice(weth, wad("2740"));
    await breaker.poke(weth); // resumes; the grace runs from here
    await time.increase(Number(GRACE));
    // Health unchanged, the ramp restarted at the end of the grace: no more than it was before the stop.
    const after = await bonusNow(f);
    expect(after).to.equal(await modelBonus(f, 0n));
    expect(after).to.be.lessThan(before);
    expect(after).to.be.lessThan(await modelBonus(f, BigInt(DEFAULT_ENGINE_PARAMS.timeRamp)));

    // Once open, the ramp runs again: 600 s later it pays the 600-second bonus.
    await time.increase(600);
    expect(await bonusNow(f)).to.equal(await modelBonus(f, 600n));
    const quote = await engine.connect(bob).liquidate.staticCall(alice, weth, MaxUint256, bob.address);
    expect(quote.bonus).to.equal(await modelBonus(f, 600n));
  });

  it("the sequencer's downtime and grace: the ramp restarts when they end; an emergency liquidation gets no time bonus", async function () {
    const f = await networkHelpers.loadFixture(flaggedFixture);
    const { engine, oracle, weth } = f;
    await time.increase(300);
    const before = await bonusNow(f);
    await oracle.setSequencerReason(OracleReason.SEQUENCER_DOWN);
    await time.increase(86_400);
    await expect(bonusNow(f)).to.be.revertedWithCustomError(engine, "SequencerNotReady");

    // Below emergencyHealth (0.95) the account may be liquidated during the downtime: by its health alone.
    await oracle.setPrice(weth, wad("2600")); // health 0.9208
    expect(await bonusNow(f)).to.equal(await modelBonus(f, 0n));
    await oracle.setPrice(weth, wad("2740"));

    // Up again, its grace over a moment ago: the bonus is a fresh flag's, below what it was before the stop.
    const readySince = BigInt(await time.latest());
    await oracle.setSequencerReason(OracleReason.NONE);
    await oracle.setSequencerReadySince(readySince);
    expect(await bonusNow(f)).to.equal(await modelBonus(f, BigInt(await time.latest()) - readySince));
    expect(await bonusNow(f)).to.be.lessThan(before);
    await time.increase(900);
    expect(await bonusNow(f)).to.equal(await modelBonus(f, BigInt(await time.latest()) - readySince));
  });

  // Review of property 7: an account below emergencyHealth can be liquidated all through an outage, yet its ramp was
  // held at zero, so the keeper who takes it then is paid as for a fresh flag however long it has been left.
  it("an account flagged below emergencyHealth: its liquidation never stops, nor does its ramp", async function () {
    const f = await networkHelpers.loadFixture(debtFixture);
    const { engine, oracle, weth, alice } = f;
    await oracle.setPrice(weth, wad("2600")); // health 0.9208 < emergencyHealth 0.95
    await engine.flag(alice);
    const flagged = await engine.flaggedAt(alice);
    await oracle.setSequencerReason(OracleReason.SEQUENCER_DOWN);
    await time.increase(600);
    expect(await bonusNow(f)).to.equal(await modelBonus(f, BigInt(await time.latest()) - flagged));
    expect(await bonusNow(f)).to.be.greaterThan(await modelBonus(f, 0n));
    // A flag raised during the outage below emergencyHealth ramps from then too.
    await oracle.setPrice(weth, wad("2550")); // health 0.9032
    await engine.connect(f.bob).liquidate(alice, weth, usd("1000"), f.bob.address); // partial: re-flags, still < 0.95
    const reflagged = await engine.flaggedAt(alice);
    expect(await engine.flaggedHealth(alice)).to.be.lessThan(DEFAULT_ENGINE_PARAMS.emergencyHealth);
    await time.increase(300);
    expect(await bonusNow(f)).to.equal(await modelBonus(f, BigInt(await time.latest()) - reflagged));
    // The sequencer back and its grace over: the ramp goes on from the flag, it does not restart (review finding).
    await oracle.setSequencerReason(OracleReason.NONE);
    await oracle.setSequencerReadySince(BigInt(await time.latest()));
    await time.increase(60);
    expect(await bonusNow(f)).to.equal(await modelBonus(f, BigInt(await time.latest()) - reflagged));
  });

  it("a flag raised during a stop starts its ramp only when the stop ends", async function () {
    const f = await networkHelpers.loadFixture(debtFixture);
    const { engine, oracle, weth, alice } = f;
    await oracle.setPrice(weth, wad("2740"));
    await oracle.setSequencerReason(OracleReason.SEQUENCER_GRACE);
    await engine.flag(alice); // works during the grace (property 3)
    await time.increase(3_600);
    const readySince = BigInt(await time.latest());
    await oracle.setSequencerReason(OracleReason.NONE);
    await oracle.setSequencerReadySince(readySince);
    expect(await bonusNow(f)).to.equal(await modelBonus(f, BigInt(await time.latest()) - readySince));
  });
});
