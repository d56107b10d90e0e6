/**
 * The vault's adaptive-risk surface: bounded LTV/threshold ramps, the risk manager's caps and reserve boost, and the
 * recovery module's hold on protocol-owned collateral.
 *
 * Every effective LTV and threshold follows a ramp towards its target: the threshold towards min(governance config,
 * risk-manager cap) but never below half the config (rounded up), the LTV towards min(config, LTV cap, threshold target
 * less governance's own LTV-to-threshold gap), so nobody borrows at a limit the falling threshold will liquidate. An LTV
 * cut applies at once, a threshold falls at most THRESHOLD_CUT_PER_HOUR (1 point an hour), a threshold rises at most
 * THRESHOLD_RAISE_PER_HOUR (0.25 points) and an LTV at most LTV_RAISE_PER_HOUR (0.5 points), the LTV never above the
 * threshold. `rampAt` below is the formula documented on `ICollateralVault.RiskRamp`, worked off-chain; `targetsOf`
 * the targets `_restartRamp` sets.
 *
 * Recovered collateral pays lenders back first: the bad debt they bore beyond reserves (`unrecoveredLoss`) comes back
 * to them before any proceeds rebuild reserves.
 *
 * The risk manager and the recovery module are plain signers here, set by the owner with `setRiskModules`.
 */
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { expect } from "chai";
import { MaxUint256, ZeroAddress } from "ethers";
import type { ContractTransactionResponse } from "ethers";
import { network } from "hardhat";
import type { NetworkConnection } from "hardhat/types/network";

import {
  RAY,
  WAD,
  YEAR,
  borrowedMarketFixture,
  ceilDiv,
  compoundFactorUp,
  config,
  deployZeroRateModel,
  emptyMarketFixture,
  frozenMarketFixture,
  fundedMarketFixture,
  mulDivDown,
  mulDivUp,
  sharePrice,
  usd,
  wad,
} from "./helpers/vault.js";
import type { MarketFixture } from "./helpers/vault.js";

/** LossLedger.RELEASE_PERIOD: gains on the loss side reach lenders linearly over it. */
const RELEASE_PERIOD = 6 * 3600;
const { ethers, networkHelpers } = await network.create();
const { time } = networkHelpers;

const HOUR = 3600n;
const CUT = wad("0.01");
const RAISE = wad("0.0025");
const LTV_RAISE = wad("0.005");
/** The caps' "none": type(uint64).max. */
const NO_CAP = 2n ** 64n - 1n;

// ----------------------------------------------------------------------------------------------- the ramp, off-chain

interface Ramp {
  ltvFrom: bigint;
  ltvTarget: bigint;
  thresholdFrom: bigint;
  thresholdTarget: bigint;
}

const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);
const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);

/** [LTV, threshold] `dt` seconds into `r`, as ICollateralVault.RiskRamp documents it. */
function rampAt(r: Ramp, dt: bigint): [bigint, bigint] {
  const lt =
    r.thresholdTarget < r.thresholdFrom
      ? max(r.thresholdTarget, r.thresholdFrom - (CUT * dt) / HOUR)
      : min(r.thresholdTarget, r.thresholdFrom + (RAISE * dt) / HOUR);
  const ltv = r.ltvTarget < r.ltvFrom ? r.ltvTarget : min(r.ltvTarget, r.ltvFrom + (LTV_RAISE * dt) / HOUR);
  return [min(ltv, lt), lt];
}

/**
 * The [LTV, threshold] targets of a ramp restarted under a config (`ltv`, `lt`) and caps: the threshold at
 * max(min(lt, cap), ⌈lt / 2⌉), the LTV at min(ltv, LTV cap, threshold target − (lt − ltv)) floored at 0.
 */
function targetsOf(ltv: bigint, lt: bigint, ltvCap: bigint, thresholdCap: bigint): [bigint, bigint] {
  const ltTarget = max(min(lt, thresholdCap), ceilDiv(lt, 2n));
  const gap = lt - ltv;
  return [min(min(ltv, ltvCap), ltTarget > gap ? ltTarget - gap : 0n), ltTarget];
}

/** The ramp as a plain array, the way ethers' chai matchers compare a struct argument. */
const rampArgs = (r: Ramp): bigint[] => [r.ltvFrom, r.ltvTarget, r.thresholdFrom, r.thresholdTarget];

/** Timestamp of the block that mined `tx`. */
async function minedAt(tx: ContractTransactionResponse): Promise<bigint> {
  const block = await tx.getBlock();
  if (block === null) throw new Error("transaction not mined");
  return BigInt(block.timestamp);
}

// ----------------------------------------------------------------------------------------------- fixtures

interface RiskFixture extends MarketFixture {
  riskManager: HardhatEthersSigner;
  recovery: HardhatEthersSigner;
}

/** The funded market (no interest: a zero-rate model) with a risk manager and a recovery module set by the owner. */
async function riskFixture(connection: NetworkConnection): Promise<RiskFixture> {
  const f = await fundedMarketFixture(connection);
  const signers = await connection.ethers.getSigners();
  const [riskManager, recovery] = [signers[6], signers[7]];
  await f.vault.connect(f.owner).setInterestRateModel(await deployZeroRateModel(connection.ethers));
  await f.vault.connect(f.owner).setRiskModules(riskManager.address, recovery.address);
  return { ...f, riskManager, recovery };
}

/**
 * The risk fixture with `alice` at health 1.02: 10 WETH posted, 24,000 USDC borrowed (the whole borrow limit at
 * $3000), then WETH at $2880: liquidation limit 28,800 × 0.85 = 24,480 for 24,000 of debt.
 */
async function thinAccountFixture(connection: NetworkConnection): Promise<RiskFixture> {
  const f = await riskFixture(connection);
  await f.vault.connect(f.alice).depositCollateral(f.weth, wad("10"), f.alice.address);
  await f.vault.connect(f.alice).borrow(usd("24000"), f.alice.address);
  await f.oracle.setPrice(f.weth, wad("2880"));
  return f;
}

/**
 * The risk fixture after a bad-debt write-off: `alice` borrowed 24,000 USDC against 10 WETH, WETH fell to $9 (dust),
 * the engine wrote the debt off and the 10 WETH became the protocol's. WETH is back at $3000; the recovery module holds
 * 100,000 USDC and 10 WETH of its own, approved to the vault.
 */
async function recoveryFixture(connection: NetworkConnection): Promise<RiskFixture> {
  const f = await riskFixture(connection);
  await f.vault.connect(f.alice).depositCollateral(f.weth, wad("10"), f.alice.address);
  await f.vault.connect(f.alice).borrow(usd("24000"), f.alice.address);
  await f.oracle.setPrice(f.weth, wad("9"));
  await f.engine.connect(f.bob).writeOff(f.alice.address);
  await f.oracle.setPrice(f.weth, wad("3000"));
  await f.usdc.mint(f.recovery.address, usd("100000"));
  await f.weth.mint(f.recovery.address, wad("10"));
  for (const token of [f.usdc, f.weth]) await token.connect(f.recovery).approve(f.vault, MaxUint256);
  return f;
}

// ----------------------------------------------------------------------------------------------- tests

describe("CollateralVault: adaptive risk", function () {
  describe("listing, views and setRiskModules", function () {
    it("listing starts the ramp at the config, with no caps: riskParams equals the config and stays there", async function () {
      const { vault, lens, oracle, owner, weth } = await networkHelpers.loadFixture(emptyMarketFixture);
      // The default market's WETH: LTV 80%, threshold 85%.
      expect(await vault.riskParams(weth)).to.deep.equal([wad("0.8"), wad("0.85")]);
      const link = await ethers.deployContract("MockERC20", ["Chainlink", "LINK", 18]);
      await oracle.setPrice(link, wad("15"));
      const cfg = config(wad("5000"), wad("0.6"), wad("0.7"), wad("0.1"));
      const tx = await vault.connect(owner).listCollateral(link, cfg);
      const ramp = [wad("0.6"), wad("0.6"), wad("0.7"), wad("0.7")];
      await expect(tx)
        .to.emit(vault, "RiskRampStarted")
        .withArgs(await link.getAddress(), ramp, NO_CAP, NO_CAP);
      expect(await lens.riskRamp(vault, link)).to.deep.equal([ramp, await minedAt(tx), NO_CAP, NO_CAP]);
      expect(await vault.riskParams(link)).to.deep.equal([wad("0.6"), wad("0.7")]);
      await time.increase(YEAR);
      expect(await vault.riskParams(link)).to.deep.equal([wad("0.6"), wad("0.7")]);
      // Unlisted: no ramp to read.
      for (const view of [() => vault.riskParams(ZeroAddress), () => lens.riskRamp(vault, ZeroAddress)]) {
        await expect(view()).to.be.revertedWithCustomError(vault, "AssetNotListed").withArgs(ZeroAddress);
      }
    });

    it("setRiskModules is the owner's only, emits RiskModulesSet, and riskModules reads it back", async function () {
      const { vault, lens, owner, alice, bob, attacker } = await networkHelpers.loadFixture(emptyMarketFixture);
      expect(await lens.riskModules(vault)).to.deep.equal([ZeroAddress, ZeroAddress, 0n]);
      for (const who of [alice, attacker]) {
        await expect(vault.connect(who).setRiskModules(who.address, who.address))
          .to.be.revertedWithCustomError(vault, "OwnableUnauthorizedAccount")
          .withArgs(who.address);
      }
      await expect(vault.connect(owner).setRiskModules(alice.address, bob.address))
        .to.emit(vault, "RiskModulesSet")
        .withArgs(alice.address, bob.address);
      expect(await lens.riskModules(vault)).to.deep.equal([alice.address, bob.address, 0n]);
      await vault.connect(owner).setRiskModules(ZeroAddress, ZeroAddress);
      expect(await lens.riskModules(vault)).to.deep.equal([ZeroAddress, ZeroAddress, 0n]);
    });
  });

  describe("setRiskCaps", function () {
    it("only the risk manager: NotRiskModule for anyone else, and for everyone while the role is unset", async function () {
      const f = await networkHelpers.loadFixture(riskFixture);
      const { vault, lens, owner, weth, riskManager, recovery, attacker } = f;
      const before = await lens.riskRamp(vault, weth);
      for (const who of [owner, recovery, attacker]) {
        await expect(vault.connect(who).setRiskCaps(weth, wad("0.5"), wad("0.6")))
          .to.be.revertedWithCustomError(vault, "NotRiskModule")
          .withArgs(who.address);
      }
      // Unset (zero): the former manager is refused too.
      await vault.connect(owner).setRiskModules(ZeroAddress, recovery.address);
      for (const who of [riskManager, owner, attacker]) {
        await expect(vault.connect(who).setRiskCaps(weth, wad("0.5"), wad("0.6")))
          .to.be.revertedWithCustomError(vault, "NotRiskModule")
          .withArgs(who.address);
      }
      expect(await lens.riskRamp(vault, weth)).to.deep.equal(before);
      // Set again: it passes.
      await vault.connect(owner).setRiskModules(riskManager.address, recovery.address);
      await expect(vault.connect(riskManager).setRiskCaps(weth, wad("0.5"), wad("0.6"))).to.emit(
        vault,
        "RiskRampStarted",
      );
    });

    it("reverts with AssetNotListed, and with ThresholdCapTooLow below half the config threshold (half itself is fine)", async function () {
      const f = await networkHelpers.loadFixture(riskFixture);
      const { vault, lens, oracle, owner, usdc, weth, riskManager } = f;
      const rm = vault.connect(riskManager);
      const before = await lens.riskRamp(vault, weth);
      await expect(rm.setRiskCaps(usdc, wad("0.5"), wad("0.6")))
        .to.be.revertedWithCustomError(vault, "AssetNotListed")
        .withArgs(await usdc.getAddress());
      // WETH's threshold is 85%: the floor is 42.5%.
      expect(await lens.MIN_THRESHOLD_CAP_SHARE()).to.equal(wad("0.5"));
      await expect(rm.setRiskCaps(weth, NO_CAP, wad("0.425") - 1n))
        .to.be.revertedWithCustomError(vault, "ThresholdCapTooLow")
        .withArgs(wad("0.425") - 1n, wad("0.425"));
      await expect(rm.setRiskCaps(weth, 0n, 0n))
        .to.be.revertedWithCustomError(vault, "ThresholdCapTooLow")
        .withArgs(0n, wad("0.425"));
      expect(await lens.riskRamp(vault, weth)).to.deep.equal(before);
      // Exactly half is accepted, and becomes the target; an LTV cap has no floor (0: no new borrows).
      const tx = await rm.setRiskCaps(weth, 0n, wad("0.425"));
      await expect(tx)
        .to.emit(vault, "RiskRampStarted")
        .withArgs(await weth.getAddress(), [wad("0.8"), 0n, wad("0.85"), wad("0.425")], 0n, wad("0.425"));
      expect(await vault.riskParams(weth)).to.deep.equal([0n, wad("0.85")]);
      // The floor rounds up: half of an odd threshold (60% + 1 wei) is 30% + 1 wei.
      const odd = await ethers.deployContract("MockERC20", ["Odd", "ODD", 18]);
      await oracle.setPrice(odd, wad("1"));
      await vault.connect(owner).listCollateral(odd, config(wad("1000"), wad("0.5"), wad("0.6") + 1n));
      await expect(rm.setRiskCaps(odd, NO_CAP, wad("0.3")))
        .to.be.revertedWithCustomError(vault, "ThresholdCapTooLow")
        .withArgs(wad("0.3"), wad("0.3") + 1n);
      await rm.setRiskCaps(odd, NO_CAP, wad("0.3") + 1n);
    });

    it("caps at or above the config count as the config: nothing moves, the caps are stored", async function () {
      const { vault, lens, weth, riskManager } = await networkHelpers.loadFixture(riskFixture);
      const rm = vault.connect(riskManager);
      const unchanged = [wad("0.8"), wad("0.8"), wad("0.85"), wad("0.85")];
      for (const [ltvCap, thresholdCap] of [
        [wad("0.9"), wad("0.9")],
        [wad("0.8"), wad("0.85")],
        [NO_CAP - 1n, NO_CAP - 1n],
      ]) {
        const tx = await rm.setRiskCaps(weth, ltvCap, thresholdCap);
        await expect(tx)
          .to.emit(vault, "RiskRampStarted")
          .withArgs(await weth.getAddress(), unchanged, ltvCap, thresholdCap);
        expect(await lens.riskRamp(vault, weth)).to.deep.equal([unchanged, await minedAt(tx), ltvCap, thresholdCap]);
        expect(await vault.riskParams(weth)).to.deep.equal([wad("0.8"), wad("0.85")]);
        await time.increase(100n * HOUR);
        expect(await vault.riskParams(weth)).to.deep.equal([wad("0.8"), wad("0.85")]);
      }
    });

    it("a cap at the floor of an older config never holds a newer, higher threshold below its own floor", async function () {
      // Review finding: the threshold target was min(config, cap), so a cap set at the floor of an older config kept a
      // later, higher config's threshold under that config's own floor, where no cap may put it.
      const { vault, lens, owner, weth, riskManager } = await networkHelpers.loadFixture(riskFixture);
      const rm = vault.connect(riskManager);
      const asset = await weth.getAddress();
      // Today's floor: half of 85%. The LTV target keeps the 5-point gap below it.
      await rm.setRiskCaps(weth, NO_CAP, wad("0.425"));
      await time.increase(100n * HOUR);
      expect(await vault.riskParams(weth)).to.deep.equal([wad("0.375"), wad("0.425")]);
      // Governance raises the threshold to 90% + 1 wei (LTV 85%): its floor is 45% + 1 wei, rounded up. The stored cap
      // stays as the risk manager left it, but the ramp heads for the new floor, and the LTV for the floor less the new
      // gap (5 points + 1 wei): exactly 40%.
      const [newLt, floor] = [wad("0.9") + 1n, wad("0.45") + 1n];
      const tx = await vault
        .connect(owner)
        .setCollateralConfig(weth, config(wad("1000000"), wad("0.85"), newLt, wad("0.05")));
      const start = await minedAt(tx);
      const ramp = {
        ltvFrom: wad("0.375"),
        ltvTarget: wad("0.4"),
        thresholdFrom: wad("0.425"),
        thresholdTarget: floor,
      };
      expect(targetsOf(wad("0.85"), newLt, NO_CAP, wad("0.425"))).to.deep.equal([wad("0.4"), floor]);
      await expect(tx).to.emit(vault, "RiskRampStarted").withArgs(asset, rampArgs(ramp), NO_CAP, wad("0.425"));
      expect(await lens.riskRamp(vault, weth)).to.deep.equal([rampArgs(ramp), start, NO_CAP, wad("0.425")]);
      // The target is the lowest cap the risk manager could set under the new config: one wei less is refused.
      await expect(rm.setRiskCaps(weth, NO_CAP, floor - 1n))
        .to.be.revertedWithCustomError(vault, "ThresholdCapTooLow")
        .withArgs(floor - 1n, floor);
      // The threshold rises 2.5 points + 1 wei at 0.25 an hour: at 45% after 10 hours, at the floor a second later,
      // and there it stays.
      await time.increaseTo(start + 10n * HOUR);
      expect(await vault.riskParams(weth)).to.deep.equal([wad("0.4"), wad("0.45")]);
      await time.increaseTo(start + 10n * HOUR + 1n);
      expect(await vault.riskParams(weth)).to.deep.equal([wad("0.4"), floor]);
      await time.increase(YEAR);
      expect(await vault.riskParams(weth)).to.deep.equal([wad("0.4"), floor]);
    });

    it("the same caps twice: the second call emits nothing and does not restart the ramp", async function () {
      const { vault, lens, weth, riskManager } = await networkHelpers.loadFixture(riskFixture);
      const rm = vault.connect(riskManager);
      const first = await rm.setRiskCaps(weth, wad("0.6"), wad("0.7"));
      await expect(first).to.emit(vault, "RiskRampStarted");
      const ramp = await lens.riskRamp(vault, weth);
      await time.increase(HOUR);
      await expect(rm.setRiskCaps(weth, wad("0.6"), wad("0.7"))).not.to.emit(vault, "RiskRampStarted");
      expect(await lens.riskRamp(vault, weth)).to.deep.equal(ramp);
      expect(ramp[1]).to.equal(await minedAt(first));
    });

    it("an LTV cap applies at once, in the block it is set", async function () {
      const { vault, weth, alice, riskManager } = await networkHelpers.loadFixture(riskFixture);
      await vault.connect(alice).depositCollateral(weth, wad("10"), alice.address);
      expect((await vault.accountLiquidity(alice.address)).borrowLimit).to.equal(wad("24000"));
      await vault.connect(riskManager).setRiskCaps(weth, wad("0.5"), NO_CAP);
      expect(await vault.riskParams(weth)).to.deep.equal([wad("0.5"), wad("0.85")]);
      const liq = await vault.accountLiquidity(alice.address);
      expect([liq.borrowLimit, liq.liquidationLimit]).to.deep.equal([wad("15000"), wad("25500")]);
      await time.increase(YEAR);
      expect(await vault.riskParams(weth)).to.deep.equal([wad("0.5"), wad("0.85")]);
    });

    it("a threshold cap moves the threshold at exactly THRESHOLD_CUT_PER_HOUR, and it stops at the cap", async function () {
      const { vault, lens, weth, riskManager } = await networkHelpers.loadFixture(riskFixture);
      expect(await lens.THRESHOLD_CUT_PER_HOUR()).to.equal(CUT);
      const tx = await vault.connect(riskManager).setRiskCaps(weth, NO_CAP, wad("0.7"));
      const start = await minedAt(tx);
      // No LTV cap, yet the LTV target is 65%: the threshold's target (70%) less governance's gap (85% − 80%).
      const ramp = {
        ltvFrom: wad("0.8"),
        ltvTarget: wad("0.65"),
        thresholdFrom: wad("0.85"),
        thresholdTarget: wad("0.7"),
      };
      expect(targetsOf(wad("0.8"), wad("0.85"), NO_CAP, wad("0.7"))).to.deep.equal([wad("0.65"), wad("0.7")]);
      await expect(tx)
        .to.emit(vault, "RiskRampStarted")
        .withArgs(await weth.getAddress(), rampArgs(ramp), NO_CAP, wad("0.7"));
      // [seconds after the cap, threshold]: 15 points take 15 hours. The LTV is a cut: 65% from the block of the cap,
      // 5 points under the threshold all along the way down, and still 5 points under it once the ramp is done.
      const points: Array<[bigint, bigint]> = [
        [0n, wad("0.85")],
        [1n, wad("0.85") - CUT / HOUR], // 2,777,777,777,777 wei a second, rounded down
        [HOUR / 2n, wad("0.845")],
        [HOUR, wad("0.84")],
        [5n * HOUR, wad("0.8")],
        [7n * HOUR + HOUR / 2n, wad("0.775")],
        [15n * HOUR - 1n, wad("0.85") - (CUT * (15n * HOUR - 1n)) / HOUR],
        [15n * HOUR, wad("0.7")],
        [48n * HOUR, wad("0.7")],
      ];
      for (const [dt, lt] of points) {
        if (dt > 0n) await time.increaseTo(start + dt);
        expect(rampAt(ramp, dt), "model").to.deep.equal([wad("0.65"), lt]);
        expect(await vault.riskParams(weth), `${dt} s`).to.deep.equal([wad("0.65"), lt]);
      }
      expect(points[6][1]).to.be.greaterThan(wad("0.7"));
    });

    it("lifting the caps raises the threshold at THRESHOLD_RAISE_PER_HOUR and the LTV at LTV_RAISE_PER_HOUR", async function () {
      const { vault, lens, weth, riskManager } = await networkHelpers.loadFixture(riskFixture);
      expect([await lens.THRESHOLD_RAISE_PER_HOUR(), await lens.LTV_RAISE_PER_HOUR()]).to.deep.equal([
        RAISE,
        LTV_RAISE,
      ]);
      const rm = vault.connect(riskManager);
      await rm.setRiskCaps(weth, wad("0.5"), wad("0.7"));
      await time.increase(15n * HOUR);
      expect(await vault.riskParams(weth)).to.deep.equal([wad("0.5"), wad("0.7")]);
      const tx = await rm.setRiskCaps(weth, NO_CAP, NO_CAP);
      const start = await minedAt(tx);
      const ramp = {
        ltvFrom: wad("0.5"),
        ltvTarget: wad("0.8"),
        thresholdFrom: wad("0.7"),
        thresholdTarget: wad("0.85"),
      };
      await expect(tx)
        .to.emit(vault, "RiskRampStarted")
        .withArgs(await weth.getAddress(), rampArgs(ramp), NO_CAP, NO_CAP);
      // Both take 60 hours: 30 LTV points at 0.5 an hour, 15 threshold points at 0.25 an hour.
      const points: Array<[bigint, bigint, bigint]> = [
        [0n, wad("0.5"), wad("0.7")],
        [1n, wad("0.5") + LTV_RAISE / HOUR, wad("0.7") + RAISE / HOUR],
        [HOUR, wad("0.505"), wad("0.7025")],
        [10n * HOUR, wad("0.55"), wad("0.725")],
        [60n * HOUR - 1n, wad("0.8") - LTV_RAISE / HOUR - 1n, wad("0.85") - RAISE / HOUR - 1n],
        [60n * HOUR, wad("0.8"), wad("0.85")],
        [200n * HOUR, wad("0.8"), wad("0.85")],
      ];
      for (const [dt, ltv, lt] of points) {
        if (dt > 0n) await time.increaseTo(start + dt);
        expect(rampAt(ramp, dt), "model").to.deep.equal([ltv, lt]);
        expect(await vault.riskParams(weth), `${dt} s`).to.deep.equal([ltv, lt]);
      }
    });

    it("the LTV is never above the threshold: under a threshold cap it is cut at once to the target less the gap; a slower rising threshold holds it on the way up", async function () {
      const { vault, weth, alice, riskManager } = await networkHelpers.loadFixture(riskFixture);
      await vault.connect(alice).depositCollateral(weth, wad("10"), alice.address); // $30,000
      const rm = vault.connect(riskManager);
      // No LTV cap, threshold capped at 50%: the LTV is cut at once to 45%, the threshold's target less governance's own
      // 5-point gap, and stays there while the threshold falls; the borrow limit is below the liquidation limit not only
      // now but at the end of the ramp (15,000), and by the gap (30,000 × 5% = 1,500) once there.
      const tx = await rm.setRiskCaps(weth, NO_CAP, wad("0.5"));
      const start = await minedAt(tx);
      await expect(tx)
        .to.emit(vault, "RiskRampStarted")
        .withArgs(await weth.getAddress(), [wad("0.8"), wad("0.45"), wad("0.85"), wad("0.5")], NO_CAP, wad("0.5"));
      for (const [dt, ltv, lt] of [
        [0n, wad("0.45"), wad("0.85")],
        [4n * HOUR, wad("0.45"), wad("0.81")],
        [5n * HOUR, wad("0.45"), wad("0.8")],
        [10n * HOUR, wad("0.45"), wad("0.75")],
        [35n * HOUR, wad("0.45"), wad("0.5")],
        [100n * HOUR, wad("0.45"), wad("0.5")],
      ]) {
        if (dt > 0n) await time.increaseTo(start + dt);
        expect(await vault.riskParams(weth), `${dt} s`).to.deep.equal([ltv, lt]);
        const liq = await vault.accountLiquidity(alice.address);
        expect(liq.borrowLimit).to.equal(mulDivDown(wad("30000"), ltv, WAD));
        expect(liq.borrowLimit).to.be.lessThanOrEqual(liq.liquidationLimit);
        expect(liq.borrowLimit + wad("1500")).to.be.lessThanOrEqual(mulDivDown(wad("30000"), wad("0.5"), WAD));
      }
      // Lifted: the LTV rises at 0.5 points an hour from 45%, the threshold at 0.25 from 50%. The LTV catches up with
      // the threshold after 20 hours (55%), which then holds it until the threshold reaches the LTV's target (80%).
      const lift = await rm.setRiskCaps(weth, NO_CAP, NO_CAP);
      const lifted = await minedAt(lift);
      await expect(lift)
        .to.emit(vault, "RiskRampStarted")
        .withArgs(await weth.getAddress(), [wad("0.45"), wad("0.8"), wad("0.5"), wad("0.85")], NO_CAP, NO_CAP);
      for (const [dt, ltv, lt] of [
        [4n * HOUR, wad("0.47"), wad("0.51")],
        [20n * HOUR, wad("0.55"), wad("0.55")],
        [60n * HOUR, wad("0.65"), wad("0.65")],
        [120n * HOUR, wad("0.8"), wad("0.8")],
        [140n * HOUR, wad("0.8"), wad("0.85")],
      ]) {
        await time.increaseTo(lifted + dt);
        expect(await vault.riskParams(weth), `${dt} s`).to.deep.equal([ltv, lt]);
      }
    });

    it("a restart mid-ramp is continuous: the threshold does not move in the block of the restart, whoever restarts it", async function () {
      const { vault, lens, owner, weth, riskManager } = await networkHelpers.loadFixture(riskFixture);
      const rm = vault.connect(riskManager);
      const asset = await weth.getAddress();
      const anyCap = (): boolean => true;
      /**
       * Sends `action` at `at` and checks the new ramp starts from the old ramp's values at `at`: the threshold does
       * not move in that block, the LTV only by a cut (which applies at once).
       */
      const restartAt = async (at: bigint, action: () => Promise<ContractTransactionResponse>): Promise<Ramp> => {
        const [old, oldStart] = await lens.riskRamp(vault, weth);
        const [ltv, lt] = rampAt(old, at - oldStart);
        await time.setNextBlockTimestamp(at);
        const tx = await action();
        expect(await minedAt(tx)).to.equal(at);
        const [ramp, start] = await lens.riskRamp(vault, weth);
        expect([ramp.ltvFrom, ramp.thresholdFrom, start]).to.deep.equal([ltv, lt, at]);
        await expect(tx).to.emit(vault, "RiskRampStarted").withArgs(asset, rampArgs(ramp), anyCap, anyCap);
        const [ltvNow, ltNow] = await vault.riskParams(weth);
        expect(ltNow, "threshold in the block of the restart").to.equal(lt);
        expect(ltvNow, "LTV in the block of the restart").to.equal(min(ltv, ramp.ltvTarget));
        return ramp;
      };
      const t0 = BigInt(await time.latest()) + 10n;
      // Falling (cap 70%), 1234 s in: cut deeper (60%). The threshold keeps its pace from where it was.
      await restartAt(t0, () => rm.setRiskCaps(weth, NO_CAP, wad("0.7")));
      const deeper = await restartAt(t0 + 1234n, () => rm.setRiskCaps(weth, NO_CAP, wad("0.6")));
      expect(deeper.thresholdFrom).to.equal(wad("0.85") - (CUT * 1234n) / HOUR);
      // Falling, turned around: lifted 3 h 7 s later, it rises from where it was.
      const up = await restartAt(t0 + 1234n + 3n * HOUR + 7n, () => rm.setRiskCaps(weth, NO_CAP, NO_CAP));
      expect(up.thresholdTarget).to.equal(wad("0.85"));
      // Rising (about 81.8% by now), restarted by governance: a new config (LTV 75%, threshold 80%, below where the
      // threshold is) restarts from the values in effect too; the threshold falls from there, the LTV cut is at once.
      const gov = await restartAt(t0 + 5n * HOUR, () =>
        vault.connect(owner).setCollateralConfig(weth, config(wad("1000000"), wad("0.75"), wad("0.8"), wad("0.05"))),
      );
      expect([gov.ltvTarget, gov.thresholdTarget]).to.deep.equal([wad("0.75"), wad("0.8")]);
      expect(gov.thresholdFrom).to.be.greaterThan(wad("0.8"));
      // Falling, cut again by the risk manager.
      const cut = await restartAt(t0 + 9n * HOUR + 1n, () => rm.setRiskCaps(weth, wad("0.4"), wad("0.5")));
      expect(cut.thresholdTarget).to.equal(wad("0.5"));
      // And the values then follow the new ramp.
      await time.increaseTo(t0 + 10n * HOUR + 1n);
      expect(await vault.riskParams(weth)).to.deep.equal(rampAt(cut, HOUR));
    });
  });

  describe("setCollateralConfig along the ramp", function () {
    it("INV-17 holds against the threshold still in effect: a bonus raise waits until the threshold has come down", async function () {
      const { vault, lens, owner, weth } = await networkHelpers.loadFixture(riskFixture);
      const cap = wad("1000000");
      const start = await minedAt(
        await vault.connect(owner).setCollateralConfig(weth, config(cap, wad("0.6"), wad("0.7"))),
      );
      // 70% with a 20% bonus is fine on its own (0.84 < 1), but not while the threshold is still above 5/6.
      const raise = () =>
        vault.connect(owner).setCollateralConfig(weth, config(cap, wad("0.6"), wad("0.7"), wad("0.2")));
      await time.setNextBlockTimestamp(start + HOUR);
      await expect(raise())
        .to.be.revertedWithCustomError(vault, "NoLiquidationBuffer")
        .withArgs(wad("0.84"), wad("0.2"));
      // The last second above 5/6 (83.33…334%, × 1.2 rounds up to above 1), then the first below it.
      const last = wad("0.85") - (CUT * 6000n) / HOUR;
      await time.setNextBlockTimestamp(start + 6000n);
      await expect(raise()).to.be.revertedWithCustomError(vault, "NoLiquidationBuffer").withArgs(last, wad("0.2"));
      await time.setNextBlockTimestamp(start + 6001n);
      await expect(raise()).to.emit(vault, "CollateralConfigUpdated");
      // The ramp restarted from where the threshold was, towards the same 70%.
      const [ramp] = await lens.riskRamp(vault, weth);
      expect([ramp.thresholdFrom, ramp.thresholdTarget]).to.deep.equal([
        wad("0.85") - (CUT * 6001n) / HOUR,
        wad("0.7"),
      ]);
    });
  });

  describe("a parameter change alone never liquidates an account in one block", function () {
    // Alice: 28,800 of collateral, 24,000 of debt. Liquidatable once 28,800 × threshold < 24,000, i.e. threshold below
    // 5/6: a cut of more than 1.6667 points, which the ramp reaches in its 6,001st second (in the second hour).
    const FIRST_LIQUIDATABLE = 6001n;
    /**
     * [who, the cut, the LTV right after it]. Both cut the LTV at once to 60%: governance by its new config, the risk
     * manager (no LTV cap) because the LTV target keeps the config's 5-point gap below the 65% threshold target.
     */
    const cutters: Array<[string, (f: RiskFixture) => Promise<ContractTransactionResponse>, bigint]> = [
      [
        "the risk manager cuts the threshold cap by 20 points",
        (f) => f.vault.connect(f.riskManager).setRiskCaps(f.weth, NO_CAP, wad("0.65")),
        wad("0.6"),
      ],
      [
        "governance lowers the config threshold by 20 points",
        (f) => f.vault.connect(f.owner).setCollateralConfig(f.weth, config(wad("1000000"), wad("0.6"), wad("0.65"))),
        wad("0.6"),
      ],
    ];
    for (const [what, cutThreshold, ltvAfter] of cutters) {
      it(`${what}: health 1.02 the same block, liquidatable only after ${FIRST_LIQUIDATABLE} s`, async function () {
        const f = await networkHelpers.loadFixture(thinAccountFixture);
        const { vault, lens, engine, weth, alice, bob } = f;
        expect(await lens.healthFactor(vault, alice.address)).to.equal(wad("1.02"));
        // Where the ramp first crosses 5/6, worked from the formula.
        const ramp = {
          ltvFrom: wad("0.8"),
          ltvTarget: ltvAfter,
          thresholdFrom: wad("0.85"),
          thresholdTarget: wad("0.65"),
        };
        const liquidatableAt = (dt: bigint): boolean =>
          mulDivDown(wad("28800"), rampAt(ramp, dt)[1], WAD) < wad("24000");
        expect([liquidatableAt(FIRST_LIQUIDATABLE - 1n), liquidatableAt(FIRST_LIQUIDATABLE)]).to.deep.equal([
          false,
          true,
        ]);

        const start = await minedAt(await cutThreshold(f));
        // The same block: the threshold has not moved, nothing changed for her but her borrow limit (28,800 × 60%),
        // already below the 65% target's liquidation limit (18,720): she cannot borrow more towards it.
        expect(await vault.riskParams(weth)).to.deep.equal([ltvAfter, wad("0.85")]);
        const liq = await vault.accountLiquidity(alice.address);
        expect([liq.borrowLimit, liq.liquidationLimit]).to.deep.equal([wad("17280"), wad("24480")]);
        expect(await lens.healthFactor(vault, alice.address)).to.equal(wad("1.02"));
        expect(await vault.isLiquidatable(alice.address)).to.equal(false);
        const liquidate = () => engine.connect(bob).liquidate.staticCall(alice.address, weth, MaxUint256, bob.address);
        await expect(liquidate()).to.be.revertedWithCustomError(engine, "NotLiquidatable");
        // An hour later (84%): health 1.008, still safe.
        await time.increaseTo(start + HOUR);
        expect(await lens.healthFactor(vault, alice.address)).to.equal(wad("1.008"));
        expect(await vault.isLiquidatable(alice.address)).to.equal(false);
        // The last safe second: health rounds to exactly 1.
        await time.increaseTo(start + FIRST_LIQUIDATABLE - 1n);
        expect(await lens.healthFactor(vault, alice.address)).to.equal(WAD);
        expect(await vault.isLiquidatable(alice.address)).to.equal(false);
        await expect(liquidate()).to.be.revertedWithCustomError(engine, "NotLiquidatable");
        // The next one: liquidatable, and the engine agrees.
        await time.increaseTo(start + FIRST_LIQUIDATABLE);
        expect(await lens.healthFactor(vault, alice.address)).to.be.lessThan(WAD);
        expect(await vault.isLiquidatable(alice.address)).to.equal(true);
        await expect(engine.connect(bob).liquidate(alice.address, weth, MaxUint256, bob.address)).to.emit(
          vault,
          "Liquidated",
        );
      });
    }
  });

  describe("a borrow at the limit during a threshold-cap ramp is never liquidated by that ramp", function () {
    // Review finding: the LTV target was min(config, LTV cap), clamped only to the threshold in effect. A 50% threshold
    // cap left the LTV at 80%: a maximum borrow right after it was liquidatable five hours later, and one made at any
    // later second (the LTV then equal to the falling threshold) a second later. Alice posts 10 WETH ($30,000) and the
    // price never moves: only the ramp could make her liquidatable.
    /** [LTV cap, threshold cap, the LTV and threshold targets they give, how long the threshold takes to get there]. */
    const CAPS: Array<[bigint, bigint, bigint, bigint, bigint]> = [
      [NO_CAP, wad("0.5"), wad("0.45"), wad("0.5"), 35n * HOUR],
      [wad("0.75"), wad("0.6"), wad("0.55"), wad("0.6"), 25n * HOUR], // an LTV cap above the gap's target
      [NO_CAP, wad("0.425"), wad("0.375"), wad("0.425"), 42n * HOUR + HOUR / 2n], // the floor
    ];
    const pct = (x: bigint): string => (x === NO_CAP ? "none" : `${Number((x * 1000n) / WAD) / 10}%`);
    for (const [ltvCap, thresholdCap, ltvTarget, ltTarget, length] of CAPS) {
      it(`caps ${pct(ltvCap)} / ${pct(thresholdCap)}: a maximum borrow at any second of the ramp stays safe through it and after`, async function () {
        const { vault, lens, weth, alice, riskManager } = await networkHelpers.loadFixture(riskFixture);
        await vault.connect(alice).depositCollateral(weth, wad("10"), alice.address);
        const start = await minedAt(await vault.connect(riskManager).setRiskCaps(weth, ltvCap, thresholdCap));
        const [ramp] = await lens.riskRamp(vault, weth);
        expect([ramp.ltvTarget, ramp.thresholdTarget]).to.deep.equal([ltvTarget, ltTarget]);
        expect(targetsOf(wad("0.8"), wad("0.85"), ltvCap, thresholdCap)).to.deep.equal([ltvTarget, ltTarget]);
        // Seconds after the cap at which she borrows, and at which she is checked again: the first block after the cap,
        // hours in, the ramp's last second and its first after, and long after.
        const times = [1n, HOUR, 5n * HOUR, 5n * HOUR + 1n, 10n * HOUR + 1234n, length - 1n, length, length + 1n];
        times.push(length + 100n * HOUR);
        const capped = await networkHelpers.takeSnapshot();
        for (const [i, borrowAt] of times.entries()) {
          await capped.restore();
          // The most she can borrow at that second: her borrow limit at the ramp's LTV then, in whole USDC units.
          const limit = mulDivDown(wad("30000"), rampAt(ramp, borrowAt)[0], WAD);
          await time.setNextBlockTimestamp(start + borrowAt);
          await vault.connect(alice).borrow(limit / 10n ** 12n, alice.address);
          const atBorrow = await vault.accountLiquidity(alice.address);
          expect(atBorrow.borrowLimit, `limit at ${borrowAt} s`).to.equal(limit);
          expect(limit - atBorrow.debtValue, "one more unit would exceed the limit").to.be.lessThan(10n ** 12n);
          for (const at of times.slice(i)) {
            const when = `borrowed at ${borrowAt} s, checked at ${at} s`;
            if (at > borrowAt) await time.increaseTo(start + at);
            expect(await vault.isLiquidatable(alice.address), when).to.equal(false);
            expect(await lens.healthFactor(vault, alice.address), when).to.be.greaterThanOrEqual(WAD);
            // Once the threshold is at its target, she keeps at least governance's gap: 30,000 × 5 points.
            const liq = await vault.accountLiquidity(alice.address);
            if (at >= length) expect(liq.liquidationLimit - liq.debtValue, when).to.be.greaterThanOrEqual(wad("1500"));
          }
        }
      });
    }
  });

  describe("the borrow limit uses the effective LTV", function () {
    it("after an LTV cap cut, a borrow that fit before reverts with BorrowLimitExceeded; the limit returns with the ramp", async function () {
      const { vault, weth, alice, riskManager } = await networkHelpers.loadFixture(riskFixture);
      await vault.connect(alice).depositCollateral(weth, wad("10"), alice.address); // $30,000: limit 24,000 at 80%
      const borrow = (amount: bigint) => vault.connect(alice).borrow(amount, alice.address);
      await borrow(usd("20000")).then((tx) => tx.wait()); // fits at 80%...
      await vault.connect(alice).repay(MaxUint256, alice.address);
      await vault.connect(riskManager).setRiskCaps(weth, wad("0.6"), NO_CAP);
      // ...not at 60% (limit 18,000), from the block of the cut.
      await expect(borrow(usd("20000")))
        .to.be.revertedWithCustomError(vault, "BorrowLimitExceeded")
        .withArgs(alice.address, wad("20000"), wad("18000"));
      await borrow(usd("18000"));
      await expect(vault.connect(alice).withdrawCollateral(weth, 1n, alice.address)).to.be.revertedWithCustomError(
        vault,
        "BorrowLimitExceeded",
      );
      // Lifted: the LTV climbs back at half a point an hour, so an hour later the limit is 30,000 × 60.5% = 18,150.
      const start = await minedAt(await vault.connect(riskManager).setRiskCaps(weth, NO_CAP, NO_CAP));
      await time.setNextBlockTimestamp(start + HOUR);
      await expect(borrow(usd("150") + 1n))
        .to.be.revertedWithCustomError(vault, "BorrowLimitExceeded")
        .withArgs(alice.address, wad("18150") + 10n ** 12n, wad("18150"));
      await time.setNextBlockTimestamp(start + HOUR + 1n);
      await borrow(usd("150"));
    });
  });

  describe("setReserveBoost", function () {
    it("only the risk manager: NotRiskModule for anyone else, and for everyone while the role is unset", async function () {
      const { vault, lens, owner, riskManager, recovery, attacker } = await networkHelpers.loadFixture(riskFixture);
      for (const who of [owner, recovery, attacker]) {
        await expect(vault.connect(who).setReserveBoost(wad("0.1")))
          .to.be.revertedWithCustomError(vault, "NotRiskModule")
          .withArgs(who.address);
      }
      await vault.connect(owner).setRiskModules(ZeroAddress, recovery.address);
      await expect(vault.connect(riskManager).setReserveBoost(wad("0.1")))
        .to.be.revertedWithCustomError(vault, "NotRiskModule")
        .withArgs(riskManager.address);
      expect((await lens.riskModules(vault)).reserveBoost).to.equal(0n);
    });

    it("reverts with ReserveBoostTooHigh above MAX_RESERVE_BOOST; emits ReserveBoostSet, and nothing when unchanged", async function () {
      const { vault, lens, riskManager, recovery } = await networkHelpers.loadFixture(riskFixture);
      const rm = vault.connect(riskManager);
      const maxBoost = await lens.MAX_RESERVE_BOOST();
      expect(maxBoost).to.equal(wad("0.25"));
      await expect(rm.setReserveBoost(maxBoost + 1n))
        .to.be.revertedWithCustomError(vault, "ReserveBoostTooHigh")
        .withArgs(maxBoost + 1n, maxBoost);
      await expect(rm.setReserveBoost(maxBoost)).to.emit(vault, "ReserveBoostSet").withArgs(maxBoost);
      expect(await lens.riskModules(vault)).to.deep.equal([riskManager.address, recovery.address, maxBoost]);
      const again = rm.setReserveBoost(maxBoost);
      await expect(again).not.to.emit(vault, "ReserveBoostSet");
      await expect(again).not.to.emit(vault, "InterestAccrued");
      await expect(rm.setReserveBoost(0n)).to.emit(vault, "ReserveBoostSet").withArgs(0n);
    });

    it("accrues with the old factor first, then credits reserves at factor + boost, capped at MAX_RESERVE_FACTOR", async function () {
      const f = await networkHelpers.loadFixture(borrowedMarketFixture);
      const { vault, lens, rateModel, owner, borrower } = f;
      const [riskManager] = (await ethers.getSigners()).slice(6);
      await vault.connect(owner).setRiskModules(riskManager.address, ZeroAddress);
      const rm = vault.connect(riskManager);
      const scaled = await lens.scaledDebtOf(vault, borrower.address); // the only borrower: the total scaled debt
      /** Lets `seconds` pass and checks the reserves grew by ceil(interest × factor), interest from the rate model. */
      const expectYearAt = async (factor: bigint): Promise<void> => {
        const [index0, debt0, reserves0] = [await vault.borrowIndex(), await vault.totalDebt(), await vault.reserves()];
        const rate = await rateModel.borrowRatePerSecond(await vault.cash(), debt0);
        const last = await lens.lastAccrual(vault);
        expect(last).to.equal(BigInt(await time.latest())); // accrued in the latest block: a clean start
        await time.increaseTo(last + YEAR);
        const debt1 = mulDivUp(scaled, mulDivUp(index0, compoundFactorUp(rate, YEAR), RAY), RAY);
        expect(await vault.totalDebt()).to.equal(debt1);
        expect((await vault.reserves()) - reserves0).to.equal(ceilDiv((debt1 - debt0) * factor, WAD));
      };
      // The first year at 10% is accrued by setReserveBoost itself, before the boost applies.
      const rate = await rateModel.borrowRatePerSecond(await vault.cash(), await vault.totalDebt());
      await time.setNextBlockTimestamp((await lens.lastAccrual(vault)) + YEAR);
      const index = mulDivUp(RAY, compoundFactorUp(rate, YEAR), RAY);
      const interest = mulDivUp(usd("500000"), index, RAY) - usd("500000");
      await expect(rm.setReserveBoost(wad("0.25")))
        .to.emit(vault, "InterestAccrued")
        .withArgs(index, interest, ceilDiv(interest * wad("0.1"), WAD));
      // Then 10% + 25% = 35%.
      await vault.connect(owner).setReserveFactor(wad("0.1")); // unchanged, but accrues: a clean start
      await expectYearAt(wad("0.35"));
      // Factor 40% + boost 25% is capped at 50%.
      await vault.connect(owner).setReserveFactor(wad("0.4"));
      await expectYearAt(wad("0.5"));
      // Boost off: back to the factor alone.
      await rm.setReserveBoost(0n);
      await expectYearAt(wad("0.4"));
    });
  });

  describe("protocol-owned collateral: releaseProtocolCollateral and settleRecovery", function () {
    it("the write-off left 10 WETH to the protocol (the setting of these tests)", async function () {
      const { vault, lens, weth, alice } = await networkHelpers.loadFixture(recoveryFixture);
      expect(await lens.protocolCollateral(vault, weth)).to.equal(wad("10"));
      expect(await vault.collateralOf(alice.address, weth)).to.equal(0n);
      expect(await vault.badDebt()).to.equal(usd("24000"));
    });

    it("only the recovery module: NotRiskModule for anyone else, and for everyone while the role is unset", async function () {
      const { vault, lens, owner, weth, riskManager, recovery, attacker } =
        await networkHelpers.loadFixture(recoveryFixture);
      const calls = [
        (who: HardhatEthersSigner) => vault.connect(who).releaseProtocolCollateral(weth, 1n),
        (who: HardhatEthersSigner) => vault.connect(who).settleRecovery(weth, 0n, 0n),
      ];
      for (const call of calls) {
        for (const who of [owner, riskManager, attacker]) {
          await expect(call(who)).to.be.revertedWithCustomError(vault, "NotRiskModule").withArgs(who.address);
        }
      }
      await vault.connect(owner).setRiskModules(riskManager.address, ZeroAddress);
      for (const call of calls) {
        await expect(call(recovery)).to.be.revertedWithCustomError(vault, "NotRiskModule").withArgs(recovery.address);
      }
      expect(await lens.protocolCollateral(vault, weth)).to.equal(wad("10"));
    });

    it("releaseProtocolCollateral reverts with ZeroAmount and InsufficientProtocolCollateral", async function () {
      const { vault, weth, wbtc, recovery } = await networkHelpers.loadFixture(recoveryFixture);
      const r = vault.connect(recovery);
      const asset = await weth.getAddress();
      await expect(r.releaseProtocolCollateral(weth, 0n)).to.be.revertedWithCustomError(vault, "ZeroAmount");
      await expect(r.releaseProtocolCollateral(weth, wad("10") + 1n))
        .to.be.revertedWithCustomError(vault, "InsufficientProtocolCollateral")
        .withArgs(asset, wad("10"), wad("10") + 1n);
      // Users' collateral is not the protocol's: WBTC posted by the borrower cannot be released.
      await vault.connect(recovery).settleRecovery(weth, 0n, 0n);
      await expect(r.releaseProtocolCollateral(wbtc, 1n))
        .to.be.revertedWithCustomError(vault, "InsufficientProtocolCollateral")
        .withArgs(await wbtc.getAddress(), 0n, 1n);
      await r.releaseProtocolCollateral(weth, wad("10"));
      await expect(r.releaseProtocolCollateral(weth, 1n))
        .to.be.revertedWithCustomError(vault, "InsufficientProtocolCollateral")
        .withArgs(asset, 0n, 1n);
    });

    it("releaseProtocolCollateral sends the protocol's collateral to the module; the lenders' books do not move", async function () {
      const { vault, lens, weth, borrower, recovery } = await networkHelpers.loadFixture(recoveryFixture);
      // A user's own WETH in the vault, which must stay where it is.
      await vault.connect(borrower).depositCollateral(weth, wad("5"), borrower.address);
      const books = async () => [
        await vault.cash(),
        await vault.reserves(),
        await vault.totalAssets(),
        await sharePrice(vault),
        await vault.collateralOf(borrower.address, weth),
        (await lens.collateralInfo(vault, weth)).totalDeposited,
      ];
      const before = await books();
      const tx = vault.connect(recovery).releaseProtocolCollateral(weth, wad("4"));
      await expect(tx)
        .to.emit(vault, "ProtocolCollateralReleased")
        .withArgs(await weth.getAddress(), recovery.address, wad("4"));
      await expect(tx).to.changeTokenBalances(ethers, weth, [vault, recovery], [-wad("4"), wad("4")]);
      expect(await lens.protocolCollateral(vault, weth)).to.equal(wad("6"));
      expect(await books()).to.deep.equal(before);
      expect(await weth.balanceOf(vault)).to.equal(wad("6") + wad("5"));
    });

    it("settleRecovery takes back unsold collateral and books the proceeds as cash, paying lenders back before reserves", async function () {
      const { vault, lens, owner, usdc, weth, recovery } = await networkHelpers.loadFixture(recoveryFixture);
      await vault.connect(recovery).releaseProtocolCollateral(weth, wad("4"));
      const [cash, reserves, assets, price] = [
        await vault.cash(),
        await vault.reserves(),
        await vault.totalAssets(),
        await sharePrice(vault),
      ];
      expect(await lens.totalProvision(vault)).to.equal(0n); // so totalAssets = cash + debt − reserves
      // The write-off found no reserves: lenders bore all 24,000, and recovery owes it back to them first.
      expect([reserves, await lens.unrecoveredLoss(vault)]).to.deep.equal([0n, usd("24000")]);
      // Sold 3 WETH for 9,000 USDC, returns the 4th: all 9,000 go to lenders, as cash that raises the share price.
      const tx = vault.connect(recovery).settleRecovery(weth, wad("1"), usd("9000"));
      await expect(tx)
        .to.emit(vault, "RecoverySettled")
        .withArgs(await weth.getAddress(), wad("1"), usd("9000"), usd("9000"));
      await expect(tx).to.changeTokenBalances(ethers, weth, [vault, recovery], [wad("1"), -wad("1")]);
      await expect(tx).to.changeTokenBalances(ethers, usdc, [vault, recovery], [usd("9000"), -usd("9000")]);
      expect(await lens.protocolCollateral(vault, weth)).to.equal(wad("7"));
      expect(await vault.cash()).to.equal(cash + usd("9000"));
      expect(await vault.reserves()).to.equal(reserves);
      // Lenders get it over RELEASE_PERIOD (issue 19, property 2: no deposit around a recovery gains from it).
      expect(await vault.totalAssets()).to.equal(assets);
      expect(await lens.gainsHeldBack(vault)).to.equal(usd("9000"));
      await networkHelpers.time.increase(RELEASE_PERIOD);
      expect(await vault.totalAssets()).to.equal(assets + usd("9000"));
      expect(await sharePrice(vault)).to.be.greaterThan(price);
      expect(await lens.unrecoveredLoss(vault)).to.equal(usd("15000"));
      // None of it is reserves: governance cannot take any out.
      await expect(vault.connect(owner).withdrawReserves(owner.address, 1n))
        .to.be.revertedWithCustomError(vault, "InsufficientReserves")
        .withArgs(0n, 1n);
      // Either part alone, or neither.
      await expect(vault.connect(recovery).settleRecovery(weth, wad("2"), 0n))
        .to.emit(vault, "RecoverySettled")
        .withArgs(await weth.getAddress(), wad("2"), 0n, 0n);
      expect(await lens.protocolCollateral(vault, weth)).to.equal(wad("9"));
      await expect(vault.connect(recovery).settleRecovery(weth, 0n, usd("1")))
        .to.emit(vault, "RecoverySettled")
        .withArgs(await weth.getAddress(), 0n, usd("1"), usd("1"));
      expect([await vault.reserves(), await lens.unrecoveredLoss(vault)]).to.deep.equal([0n, usd("14999")]);
      await expect(vault.connect(recovery).settleRecovery(weth, 0n, 0n))
        .to.emit(vault, "RecoverySettled")
        .withArgs(await weth.getAddress(), 0n, 0n, 0n);
      await networkHelpers.time.increase(RELEASE_PERIOD);
      expect(await vault.totalAssets()).to.equal(assets + usd("9001"));
    });

    it("a write-off with no reserves is all unrecoveredLoss; recovery repays lenders first, then rebuilds reserves, and only those can be withdrawn", async function () {
      // Review finding: the proceeds all went to reserves, so lenders never got back the bad debt they bore, and
      // governance could withdraw it.
      const { vault, lens, owner, lender, weth, alice, recovery } = await networkHelpers.loadFixture(recoveryFixture);
      // The fixture's write-off: 24,000 of debt, no reserves to absorb any of it; lenders' 1,000,000 fell by all of it.
      const [writeOff] = await vault.queryFilter(vault.filters.BadDebtWrittenOff());
      const { account, amount, absorbedByReserves, socialised } = writeOff.args;
      expect([account, amount, absorbedByReserves, socialised]).to.deep.equal([
        alice.address,
        usd("24000"),
        0n,
        usd("24000"),
      ]);
      expect([await vault.reserves(), await vault.totalAssets()]).to.deep.equal([0n, usd("976000")]);
      expect(await lens.unrecoveredLoss(vault)).to.equal(usd("24000"));
      await vault.connect(recovery).releaseProtocolCollateral(weth, wad("10"));
      const claim = async (): Promise<bigint> => vault.convertToAssets(await vault.balanceOf(lender.address));
      /** Settles `proceeds` and checks that `toLenders` of them went to lenders (share price), the rest to reserves. */
      const settle = async (proceeds: bigint, toLenders: bigint): Promise<void> => {
        const before = [
          await vault.totalAssets(),
          await vault.reserves(),
          await lens.unrecoveredLoss(vault),
          await claim(),
        ];
        const price = await sharePrice(vault);
        const tx = await vault.connect(recovery).settleRecovery(weth, 0n, proceeds);
        expect(await lens.gainsHeldBack(vault), "what lenders get is held back").to.equal(toLenders);
        await networkHelpers.time.increase(RELEASE_PERIOD); // and reaches them over RELEASE_PERIOD
        expect(await vault.totalAssets(), "totalAssets rises by what lenders get").to.equal(before[0] + toLenders);
        expect(await vault.reserves(), "reserves get the rest").to.equal(before[1] + proceeds - toLenders);
        expect((await claim()) - before[3], "the lender's claim").to.be.closeTo(toLenders, 1n); // virtual shares
        if (toLenders === 0n) expect(await sharePrice(vault)).to.equal(price);
        else expect(await sharePrice(vault)).to.be.greaterThan(price);
        expect(await lens.unrecoveredLoss(vault)).to.equal(before[2] - toLenders);
        await expect(tx)
          .to.emit(vault, "RecoverySettled")
          .withArgs(await weth.getAddress(), 0n, proceeds, toLenders);
      };
      // 9,000 back: all to lenders; reserves untouched while the loss remains, so governance can take nothing.
      await settle(usd("9000"), usd("9000"));
      expect(await vault.reserves()).to.equal(0n);
      await expect(vault.connect(owner).withdrawReserves(owner.address, 1n))
        .to.be.revertedWithCustomError(vault, "InsufficientReserves")
        .withArgs(0n, 1n);
      // 20,000 more: the last 15,000 of the loss to lenders (whole again), 5,000 to reserves; then 1,000 all reserves.
      await settle(usd("20000"), usd("15000"));
      expect([await vault.totalAssets(), await lens.unrecoveredLoss(vault)]).to.deep.equal([usd("1000000"), 0n]);
      await settle(usd("1000"), 0n);
      // Governance can withdraw what went to reserves, 6,000, and not a unit of what went to lenders.
      await expect(vault.connect(owner).withdrawReserves(owner.address, usd("6000") + 1n))
        .to.be.revertedWithCustomError(vault, "InsufficientReserves")
        .withArgs(usd("6000"), usd("6000") + 1n);
      const lenderClaim = await claim();
      await vault.connect(owner).withdrawReserves(owner.address, usd("6000"));
      expect([await vault.totalAssets(), await claim(), await vault.reserves()]).to.deep.equal([
        usd("1000000"),
        lenderClaim,
        0n,
      ]);
    });

    it("a write-off partly absorbed by reserves counts only the socialised part: recovery repays exactly that to lenders", async function () {
      // A year of interest built reserves (the frozen market: the borrower's 500,000 at the default rate, no interest
      // since); then alice's 20,000 is written off (a unit more: the index rounds her debt up).
      const f = await networkHelpers.loadFixture(frozenMarketFixture);
      const { vault, lens, engine, oracle, owner, usdc, weth, alice, bob } = f;
      const [recovery] = (await ethers.getSigners()).slice(7);
      await vault.connect(owner).setRiskModules(ZeroAddress, recovery.address);
      await vault.connect(alice).depositCollateral(weth, wad("10"), alice.address);
      await vault.connect(alice).borrow(usd("20000"), alice.address);
      const [assets, reserves, debt] = [await vault.totalAssets(), await vault.reserves(), await vault.debtOf(alice)];
      expect(reserves).to.be.greaterThan(0n);
      expect(reserves).to.be.lessThan(debt);
      await oracle.setPrice(weth, wad("9"));
      await expect(engine.connect(bob).writeOff(alice.address))
        .to.emit(vault, "BadDebtWrittenOff")
        .withArgs(alice.address, debt, reserves, debt - reserves);
      await oracle.setPrice(weth, wad("3000"));
      // Reserves took the first `reserves` of the loss; lenders bore the rest, and only that is theirs to recover.
      const socialised = debt - reserves;
      expect([await vault.reserves(), await lens.unrecoveredLoss(vault)]).to.deep.equal([0n, socialised]);
      // Lenders lost the socialised part (to a unit: the total debt rounds up on its own, INV-01).
      const afterWriteOff = await vault.totalAssets();
      expect(afterWriteOff).to.be.closeTo(assets - socialised, 1n);
      // Proceeds of the socialised part plus half the reserves lost: lenders get the socialised part (their claims are
      // back where they were before the write-off), reserves the rest, which is all governance can withdraw.
      const extra = reserves / 2n;
      await usdc.mint(recovery.address, socialised + extra);
      await usdc.connect(recovery).approve(vault, MaxUint256);
      await vault.connect(recovery).releaseProtocolCollateral(weth, wad("10"));
      const tx = await vault.connect(recovery).settleRecovery(weth, 0n, socialised + extra);
      await networkHelpers.time.increase(RELEASE_PERIOD); // what lenders get is held back until then
      expect([await vault.totalAssets(), await vault.reserves()]).to.deep.equal([afterWriteOff + socialised, extra]);
      expect(await vault.totalAssets()).to.be.closeTo(assets, 1n);
      expect(await lens.unrecoveredLoss(vault)).to.equal(0n);
      await expect(tx)
        .to.emit(vault, "RecoverySettled")
        .withArgs(await weth.getAddress(), 0n, socialised + extra, socialised);
      await expect(vault.connect(owner).withdrawReserves(owner.address, extra + 1n))
        .to.be.revertedWithCustomError(vault, "InsufficientReserves")
        .withArgs(extra, extra + 1n);
      await vault.connect(owner).withdrawReserves(owner.address, extra);
      expect(await vault.totalAssets()).to.equal(afterWriteOff + socialised);
    });

    it("settleRecovery reverts with AssetNotListed, and with TransferAmountMismatch for a fee-on-transfer token", async function () {
      const { vault, lens, oracle, owner, usdc, recovery } = await networkHelpers.loadFixture(recoveryFixture);
      await expect(vault.connect(recovery).settleRecovery(usdc, 0n, 0n))
        .to.be.revertedWithCustomError(vault, "AssetNotListed")
        .withArgs(await usdc.getAddress());
      const fee = await ethers.deployContract("FeeOnTransferERC20");
      await oracle.setPrice(fee, wad("1"));
      await vault.connect(owner).listCollateral(fee, config());
      await fee.mint(recovery.address, wad("100"));
      await fee.connect(recovery).approve(vault, MaxUint256);
      await expect(vault.connect(recovery).settleRecovery(fee, wad("100"), 0n))
        .to.be.revertedWithCustomError(vault, "TransferAmountMismatch")
        .withArgs(await fee.getAddress(), wad("100"), wad("99"));
      expect(await lens.protocolCollateral(vault, fee)).to.equal(0n);
    });
  });
});
