import { anyValue } from "@nomicfoundation/hardhat-ethers-chai-matchers/withArgs";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { expect } from "chai";
import { type ContractTransactionResponse, MaxUint256, ZeroAddress, encodeBytes32String } from "ethers";
import { network } from "hardhat";

import { DEFAULT_ENGINE_PARAMS } from "../../scripts/lib/testMarket.js";
import type { ILiquidationEngine, MockERC20 } from "../../typechain-types/index.js";
import {
  DEFAULTS,
  expectQuote,
  incentive,
  liquidationFixture,
  liquidationState,
  lstFixture,
  modelQuote,
  protocolFee,
  rampElapsed,
  readParams,
  readPosition,
  repayFor,
  repayValueToTarget,
  seizeFor,
  smallAccountFixture,
  valueDown,
} from "./helpers/liquidationModel.js";
import type { LiquidationFixture, ModelQuote } from "./helpers/liquidationModel.js";
import { Reason, Status } from "./helpers/oracleAdapter.js";
import { WAD, expectUnchanged, sharePrice, usd, wad } from "./helpers/vault.js";

const connection = await network.create();
const { ethers, networkHelpers } = connection;

/**
 * How far above targetHealth a liquidation to target may leave the account (never below): the repay rounds up to a
 * base unit and the seize down to a collateral unit (one satoshi is $0.0006, worth ~2e-8 of health on a $40k debt).
 */
const TARGET_SLACK = 10n ** 11n;

/**
 * Liquidates `account`'s `collateral` with `maxRepay` from `liquidator` (collateral to `receiver`) and checks every
 * number against the model: the engine's and the vault's events, the payer's and receiver's balances, the account's
 * debt and collateral, cash, reserves, bad debt and the flag. A flagged account is liquidated at `at` (default: the
 * next second). Returns the model's quote.
 */
async function liquidateAsModelled(
  f: LiquidationFixture,
  account: HardhatEthersSigner,
  collateral: MockERC20,
  maxRepay: bigint,
  liquidator: HardhatEthersSigner = f.bob,
  receiver: HardhatEthersSigner = liquidator,
  at?: bigint,
): Promise<ModelQuote> {
  const asset = await collateral.getAddress();
  const pos = await readPosition(f, account.address);
  const time = at ?? BigInt(await networkHelpers.time.latest()) + 1n;
  const elapsed = await rampElapsed(f, account.address, asset, time);
  await networkHelpers.time.setNextBlockTimestamp(time);
  const q = modelQuote(pos, asset, maxRepay, elapsed, await readParams(f.engine));
  expect(q.error, "the model expects a revert").to.equal(undefined);

  const before = {
    payer: await f.usdc.balanceOf(liquidator.address),
    received: await collateral.balanceOf(receiver.address),
    debt: await f.vault.debtOf(account.address),
    held: await f.vault.collateralOf(account.address, asset),
    reserves: await f.vault.reserves(),
    cash: await f.vault.cash(),
    badDebt: await f.vault.badDebt(),
  };
  const tx = f.engine.connect(liquidator).liquidate(account.address, asset, maxRepay, receiver.address);
  await expect(tx)
    .to.emit(f.engine, "LiquidationExecuted")
    .withArgs(account.address, asset, liquidator.address, q.repay, q.seize, q.fee, q.bonus, q.health);
  await expect(tx)
    .to.emit(f.vault, "Liquidated")
    .withArgs(account.address, asset, receiver.address, liquidator.address, q.repay, q.seize, q.fee);

  expect(await f.usdc.balanceOf(liquidator.address)).to.equal(before.payer - q.repay - q.fee);
  expect(await collateral.balanceOf(receiver.address)).to.equal(before.received + q.seize);
  expect(await f.vault.cash()).to.equal(before.cash + q.repay + q.fee);
  if (q.writeOff) {
    const amount = before.debt - q.repay;
    const absorbed = amount < before.reserves + q.fee ? amount : before.reserves + q.fee;
    await expect(tx)
      .to.emit(f.vault, "BadDebtWrittenOff")
      .withArgs(account.address, amount, absorbed, amount - absorbed);
    expect(await f.vault.debtOf(account.address)).to.equal(0n);
    for (const a of await f.vault.collateralAssets())
      expect(await f.vault.collateralOf(account.address, a)).to.equal(0n);
    expect(await f.vault.reserves()).to.equal(before.reserves + q.fee - absorbed);
    expect(await f.vault.badDebt()).to.equal(before.badDebt + amount);
  } else {
    await expect(tx).not.to.emit(f.vault, "BadDebtWrittenOff");
    expect(await f.vault.debtOf(account.address)).to.equal(before.debt - q.repay);
    expect(await f.vault.collateralOf(account.address, asset)).to.equal(before.held - q.seize);
    expect(await f.vault.reserves()).to.equal(before.reserves + q.fee);
    expect(await f.vault.badDebt()).to.equal(before.badDebt);
  }
  const flaggedAfter = await f.engine.flaggedAt(account.address);
  // Left unhealthy, the account is (re-)flagged now, with its health after: the time ramp restarts from here.
  if (q.stillUnhealthy) expect(flaggedAfter).to.equal(time);
  else expect(flaggedAfter).to.equal(0n);
  return q;
}

/** The health an AccountFlagged event of `tx` carries. */
async function flagHealthOf(engine: LiquidationFixture["engine"], tx: ContractTransactionResponse): Promise<bigint> {
  const receipt = await tx.wait();
  const topic = engine.interface.getEvent("AccountFlagged").topicHash;
  const log = receipt?.logs.find((l) => l.topics[0] === topic);
  if (log === undefined) throw new Error("no AccountFlagged event");
  return engine.interface.parseLog(log)?.args[1] as bigint;
}

/** Sets `token`'s price to `usdPrice` (OK). */
async function price(f: LiquidationFixture, token: MockERC20, usdPrice: string): Promise<void> {
  await f.oracle.setPrice(token, wad(usdPrice));
}

describe("LiquidationEngine: rules", function () {
  describe("partial liquidation to targetHealth", function () {
    it("repays exactly what restores health 1.05, at the bonus the curve gives (WETH $2740, health 0.9704)", async function () {
      const f = await networkHelpers.loadFixture(liquidationFixture);
      const { vault, lens, engine, weth, alice, bob } = f;
      await price(f, weth, "2740");
      const pos = await readPosition(f, alice.address);
      // Independently of the model: limit 10 × 2740 × 0.85 = 23,290 against 24,000 of debt.
      expect(pos.liquidationLimit).to.equal(wad("23290"));
      expect(pos.debtValue).to.equal(wad("24000"));
      expect(pos.health).to.equal((wad("23290") * WAD) / wad("24000"));
      const health = pos.health; // 0.970416…
      // bonus = 5% × (0.5 + 0.5 × (1 − health) / 0.10) ≈ 3.2396%
      const bonus = (wad("0.05") * (wad("0.5") + (wad("0.5") * (((WAD - health) * WAD) / wad("0.1"))) / WAD)) / WAD;
      expect(bonus).to.equal(32395833333333333n);
      // repay value = (1.05 × 24,000 − 23,290) / (1.05 − (1 + bonus) × 0.85) ≈ 11,074.80
      const drag = ((WAD + bonus) * wad("0.85") + WAD - 1n) / WAD;
      const value = ((wad("25200") - wad("23290")) * WAD + (wad("1.05") - drag) - 1n) / (wad("1.05") - drag);
      const repay = (value + 10n ** 12n - 1n) / 10n ** 12n;
      expect(repay).to.equal(11074804458n);
      const seize = (((repay * 10n ** 12n * (WAD + bonus)) / WAD) * WAD) / wad("2740");
      const fee = (repay * ((bonus * wad("0.1")) / WAD + 1n) + WAD - 1n) / WAD;

      const q = await liquidateAsModelled(f, alice, weth, MaxUint256);
      expect([q.bonus, q.repay, q.seize, q.fee, q.writeOff]).to.deep.equal([bonus, repay, seize, fee, false]);
      const after = await lens.healthFactor(vault, alice.address);
      expect(after).to.be.greaterThanOrEqual(wad("1.05"));
      expect(after).to.be.lessThan(wad("1.05") + TARGET_SLACK);
      expect(await vault.isLiquidatable(alice.address)).to.equal(false);
      expect(await engine.flaggedAt(alice.address)).to.equal(0n);
      // Nothing is left to liquidate.
      await expect(engine.connect(bob).liquidate(alice.address, weth, MaxUint256, bob.address))
        .to.be.revertedWithCustomError(engine, "NotLiquidatable")
        .withArgs(alice.address, after);
    });

    it("maxRepay above the target amount is capped at it", async function () {
      const f = await networkHelpers.loadFixture(liquidationFixture);
      await price(f, f.weth, "2740");
      const q = await liquidateAsModelled(f, f.alice, f.weth, usd("20000"));
      expect(q.repay).to.equal(11074804458n);
      expect(q.allowed).to.equal(11074804458n);
    });

    it("maxRepay below the target amount repays exactly maxRepay and flags the account, still unhealthy", async function () {
      const f = await networkHelpers.loadFixture(liquidationFixture);
      const { vault, lens, engine, weth, alice, bob } = f;
      await price(f, weth, "2740");
      const health = (await readPosition(f, alice.address)).health;
      const tx = engine.connect(bob).liquidate(alice.address, weth, usd("5000"), bob.address);
      // Flagged with its health after the liquidation (better than before, still under 1).
      await expect(tx).to.emit(engine, "AccountFlagged").withArgs(alice.address, anyValue);
      const flaggedHealth = await flagHealthOf(engine, await tx);
      expect(flaggedHealth).to.be.greaterThan(health).and.lessThan(wad("1"));
      expect(await lens.healthFactor(vault, alice.address)).to.be.closeTo(flaggedHealth, wad("0.000001"));
      expect(await engine.flaggedAt(alice.address)).to.equal(BigInt(await networkHelpers.time.latest()));
      expect(await vault.debtOf(alice.address)).to.equal(usd("19000"));
      expect(await vault.isLiquidatable(alice.address)).to.equal(true);
      // A second liquidation is priced with the time ramp running from that flag.
      await networkHelpers.time.increase(100);
      await liquidateAsModelled(f, alice, weth, MaxUint256);
      expect(await lens.healthFactor(vault, alice.address)).to.be.greaterThanOrEqual(wad("1.05"));
    });

    it("a WBTC position (8 decimals, bonus 6.5%) is liquidated to the target as well", async function () {
      const f = await networkHelpers.loadFixture(liquidationFixture);
      const { vault, lens, wbtc, borrower } = f;
      await vault.connect(borrower).depositCollateral(wbtc, 10n ** 8n, borrower.address);
      await vault.connect(borrower).borrow(usd("43800"), borrower.address);
      await price(f, wbtc, "56000"); // limit 43,680 against 43,800: health 0.99726
      const q = await liquidateAsModelled(f, borrower, wbtc, MaxUint256, f.lender);
      expect(q.repay).to.be.lessThan(usd("43800"));
      const after = await lens.healthFactor(vault, borrower.address);
      expect(after).to.be.greaterThanOrEqual(wad("1.05"));
      expect(after).to.be.lessThan(wad("1.05") + TARGET_SLACK);
    });
  });

  describe("full close", function () {
    it("below fullCloseHealth the whole debt goes at once, at the maximum bonus (WETH $2532, health 0.89675)", async function () {
      const f = await networkHelpers.loadFixture(liquidationFixture);
      const { vault, weth, alice } = f;
      await price(f, weth, "2532");
      const q = await liquidateAsModelled(f, alice, weth, MaxUint256);
      expect(q.health).to.equal(wad("0.89675"));
      expect(q.bonus).to.equal(wad("0.05"));
      expect(q.repay).to.equal(usd("24000"));
      // 24,000 × 1.05 / 2532 WETH, rounded down; fee 24,000 × 5% × 10% = 120 USDC.
      expect(q.seize).to.equal((wad("25200") * WAD) / wad("2532"));
      expect(q.fee).to.equal(usd("120"));
      expect(q.writeOff).to.equal(false);
      expect(await vault.debtOf(alice.address)).to.equal(0n);
      // The rest of the collateral ($120) stays the borrower's.
      await vault.connect(alice).withdrawCollateral(weth, MaxUint256, alice.address);
    });

    it("the boundary: at health 0.89996 the debt closes in full, at 0.90029 only a partial goes", async function () {
      const f = await networkHelpers.loadFixture(liquidationFixture);
      const { engine, weth, alice } = f;
      await price(f, weth, "2541"); // 21,598.5 / 24,000
      expect((await engine.previewLiquidation(alice.address, weth, MaxUint256)).repay).to.equal(usd("24000"));
      await price(f, weth, "2542"); // 21,607 / 24,000
      const pos = await readPosition(f, alice.address);
      expect(pos.health).to.be.greaterThanOrEqual(wad("0.9"));
      const q = modelQuote(pos, await weth.getAddress(), MaxUint256);
      expect(q.repay).to.be.lessThan(usd("24000") - usd("100"));
      expectQuote(await engine.previewLiquidation(alice.address, weth, MaxUint256), q);
    });

    it("when health ≤ (1 + bonus) × LT of the seized asset, no partial helps: the whole debt is allowed", async function () {
      const f = await networkHelpers.loadFixture(lstFixture);
      const { vault, lens, engine, weth, lst, carol } = f;
      await price(f, weth, "2700");
      await price(f, lst, "900");
      const pos = await readPosition(f, carol.address); // limit 22,950 + 8,100 = 31,050 against 32,500: 0.9554
      const lstBonus = incentive(wad("0.1"), pos.health, 0n, DEFAULTS);
      const drag = ((WAD + lstBonus) * wad("0.9") + WAD - 1n) / WAD;
      expect(pos.health).to.be.greaterThanOrEqual(wad("0.9"));
      expect(pos.health).to.be.lessThanOrEqual(drag);
      expect(repayValueToTarget(pos.debtValue, pos.liquidationLimit, wad("1.05"), lstBonus, wad("0.9"))).to.be.at.least(
        pos.debtValue,
      );
      // Through LST the close limit is the whole debt (here the LST runs out first)...
      const viaLst = modelQuote(pos, await lst.getAddress(), MaxUint256);
      expect(viaLst.allowed).to.equal(usd("32500"));
      // ...while through WETH (drag 0.88) the same account is only partially liquidated.
      const viaWeth = modelQuote(pos, await weth.getAddress(), MaxUint256);
      expect(viaWeth.allowed).to.be.lessThan(usd("32500"));
      expectQuote(await engine.previewLiquidation(carol.address, weth, MaxUint256), viaWeth);

      expect(viaLst.mustClose).to.equal(true);
      expect(viaWeth.mustClose).to.equal(false);
      // Anything short of a close through LST is refused.
      await expectUnchanged(liquidationState(f, [lst]), async () => {
        for (const maxRepay of [1n, usd("1000"), usd("8000")]) {
          expect(modelQuote(pos, await lst.getAddress(), maxRepay).error).to.equal("PartialLowersHealth");
          await expect(engine.connect(f.bob).liquidate(carol.address, lst, maxRepay, f.bob.address))
            .to.be.revertedWithCustomError(engine, "PartialLowersHealth")
            .withArgs(pos.health, maxRepay);
        }
      });
      const q = await liquidateAsModelled(f, carol, lst, MaxUint256);
      expect(q.seize).to.equal(wad("10"));
      // Taking all of it still lowers health: the account stays liquidatable (and is now flagged).
      expect(await lens.healthFactor(vault, carol.address)).to.be.lessThan(pos.health);
      expect(await engine.flaggedAt(carol.address)).to.not.equal(0n);
    });

    it("when the rest after a partial would be dust, the whole debt goes", async function () {
      const f = await networkHelpers.loadFixture(smallAccountFixture);
      const { vault, weth, small } = f;
      await price(f, weth, "2740"); // 0.05 WETH = $137 against 120 USDC: health 0.9704
      const pos = await readPosition(f, small.address);
      const bonus = incentive(wad("0.05"), pos.health, 0n, DEFAULTS);
      const toTarget = repayValueToTarget(pos.debtValue, pos.liquidationLimit, wad("1.05"), bonus, wad("0.85"));
      const units = (toTarget + 10n ** 12n - 1n) / 10n ** 12n;
      expect(units).to.be.lessThan(usd("120")); // ≈ 55.37 USDC would restore 1.05…
      expect(valueDown(usd("120") - units, WAD, 6n)).to.be.lessThan(wad("100")); // …leaving ≈ $64.6: dust
      const q = await liquidateAsModelled(f, small, weth, MaxUint256);
      expect(q.repay).to.equal(usd("120"));
      expect(q.writeOff).to.equal(false);
      expect(await vault.debtOf(small.address)).to.equal(0n);
    });
  });

  describe("dust", function () {
    it("LeavesDust when maxRepay would leave less than $100 of debt; exactly $100 left is fine", async function () {
      const f = await networkHelpers.loadFixture(liquidationFixture);
      const { engine, weth, alice, bob } = f;
      await price(f, weth, "2532"); // full close allowed
      await expectUnchanged(liquidationState(f), async () => {
        await expect(engine.connect(bob).liquidate(alice.address, weth, usd("23950"), bob.address))
          .to.be.revertedWithCustomError(engine, "LeavesDust")
          .withArgs(usd("50"), usd("23950"));
        await expect(engine.connect(bob).liquidate(alice.address, weth, usd("23900") + 1n, bob.address))
          .to.be.revertedWithCustomError(engine, "LeavesDust")
          .withArgs(usd("100") - 1n, usd("23900") + 1n);
        await expect(engine.previewLiquidation(alice.address, weth, usd("23950")))
          .to.be.revertedWithCustomError(engine, "LeavesDust")
          .withArgs(usd("50"), usd("23950"));
      });
      await liquidateAsModelled(f, alice, weth, usd("23900"));
      expect(await f.vault.debtOf(alice.address)).to.equal(usd("100"));
    });

    it("LeavesDust on a small account: any maxRepay leaving under $100 reverts, the whole of it passes", async function () {
      const f = await networkHelpers.loadFixture(smallAccountFixture);
      const { engine, weth, small, bob } = f;
      await price(f, weth, "2740");
      await expectUnchanged(liquidationState(f), async () => {
        for (const maxRepay of [usd("20") + 1n, usd("50"), usd("119.999999")]) {
          await expect(engine.connect(bob).liquidate(small.address, weth, maxRepay, bob.address))
            .to.be.revertedWithCustomError(engine, "LeavesDust")
            .withArgs(usd("120") - maxRepay, maxRepay);
        }
      });
      // Exactly $100 left is not dust, nor is more.
      await liquidateAsModelled(f, small, weth, 1n);
      await liquidateAsModelled(f, small, weth, usd("20") - 1n);
      expect(await f.vault.debtOf(small.address)).to.equal(usd("100"));
    });
  });

  describe("incentive curve", function () {
    it("the bonus climbs from half the maximum just under health 1 to all of it at 0.90, for WETH and WBTC", async function () {
      const f = await networkHelpers.loadFixture(liquidationFixture);
      const { vault, engine, weth, wbtc, alice, borrower } = f;
      await vault.connect(borrower).depositCollateral(wbtc, 10n ** 8n, borrower.address);
      await vault.connect(borrower).borrow(usd("43800"), borrower.address);
      const cases: Array<[MockERC20, HardhatEthersSigner, string, bigint]> = [
        [weth, alice, "2823.5", wad("0.05")],
        [weth, alice, "2800", wad("0.05")],
        [weth, alice, "2740", wad("0.05")],
        [weth, alice, "2680", wad("0.05")],
        [weth, alice, "2600", wad("0.05")],
        [weth, alice, "2542", wad("0.05")],
        [weth, alice, "2541", wad("0.05")],
        [weth, alice, "2300", wad("0.05")], // insolvent: the solvency cap does not apply
        [wbtc, borrower, "56100", wad("0.065")],
        [wbtc, borrower, "53000", wad("0.065")],
        [wbtc, borrower, "50000", wad("0.065")],
      ];
      let previous = 0n;
      let previousToken = "";
      for (const [token, account, usdPrice, maxBonus] of cases) {
        await price(f, token, usdPrice);
        const pos = await readPosition(f, account.address);
        const q = await engine.previewLiquidation(account.address, token, MaxUint256);
        // bonus = maxBonus × min(1, 0.5 + 0.5 × (1 − health) / 0.1), rounded down twice as the engine does.
        const urgency = ((WAD - pos.health) * WAD) / wad("0.1");
        const share = urgency >= WAD ? WAD : wad("0.5") + (wad("0.5") * urgency) / WAD;
        const expected = (maxBonus * share) / WAD;
        expect(q.bonus, `${usdPrice}`).to.equal(expected);
        expect(q.health, `${usdPrice}`).to.equal(pos.health);
        expect(q.bonus).to.be.greaterThanOrEqual(maxBonus / 2n);
        expect(q.bonus).to.be.lessThanOrEqual(maxBonus);
        if (pos.health <= wad("0.9")) expect(q.bonus, `${usdPrice}`).to.equal(maxBonus);
        const address = await token.getAddress();
        if (address === previousToken) expect(q.bonus).to.be.greaterThanOrEqual(previous); // lower health, more
        previous = q.bonus;
        previousToken = address;
      }
    });

    it("a solvent account's bonus is capped at collateral value / debt value − 1: never closed into bad debt", async function () {
      const f = await networkHelpers.loadFixture(liquidationFixture);
      const { vault, engine, weth, alice } = f;
      // [WETH price, expected bonus]: $25,410 / 24,000 leaves room for 5.875%; $25,200 for exactly 5%; $25,000 for
      // 4.1666…%; $24,000 for nothing; one dollar less and the account is insolvent: the full 5% again.
      for (const [usdPrice, expected] of [
        ["2541", wad("0.05")],
        ["2520", wad("0.05")],
        ["2500", (wad("25000") * WAD) / wad("24000") - WAD],
        ["2450", (wad("24500") * WAD) / wad("24000") - WAD],
        ["2400", 0n],
        ["2399.9", wad("0.05")],
      ] as const) {
        await price(f, weth, usdPrice);
        const pos = await readPosition(f, alice.address);
        const curve = incentive(wad("0.05"), pos.health, 0n, DEFAULTS);
        expect(curve, usdPrice).to.equal(wad("0.05")); // health ≤ 0.90 everywhere here
        expect((await engine.previewLiquidation(alice.address, weth, MaxUint256)).bonus, usdPrice).to.equal(expected);
      }
      // At $2500 the whole debt is closed for 9.99999… WETH: nothing is written off.
      await price(f, weth, "2500");
      const q = await liquidateAsModelled(f, alice, weth, MaxUint256);
      expect([q.repay, q.writeOff]).to.deep.equal([usd("24000"), false]);
      expect(q.seize).to.be.lessThanOrEqual(wad("10"));
      expect(await vault.badDebt()).to.equal(0n);
    });

    it("once flagged, the bonus also climbs with time: all of it 1800 s after the flag", async function () {
      const f = await networkHelpers.loadFixture(liquidationFixture);
      const { engine, weth, alice, attacker } = f;
      await price(f, weth, "2740");
      const health = (await readPosition(f, alice.address)).health;
      const unflagged = (await engine.previewLiquidation(alice.address, weth, MaxUint256)).bonus;
      expect(unflagged).to.equal(32395833333333333n);
      await expect(engine.connect(attacker).flag(alice.address))
        .to.emit(engine, "AccountFlagged")
        .withArgs(alice.address, health);
      const flaggedAt = await engine.flaggedAt(alice.address);
      expect(flaggedAt).to.equal(BigInt(await networkHelpers.time.latest()));
      // urgency = 0.29583 + elapsed / 1800
      // urgency = 0.295833… + elapsed / 1800 reaches 1 at elapsed = 1267.5 s.
      const expected = new Map<bigint, bigint>([
        [0n, 32395833333333333n],
        [600n, 40729166666666666n], // 5% × (0.5 + 0.5 × 0.629166…)
        [1268n, wad("0.05")],
      ]);
      let previous = 0n;
      for (const elapsed of [0n, 600n, 1200n, 1267n, 1268n, 5000n]) {
        if (elapsed !== 0n) await networkHelpers.time.increaseTo(flaggedAt + elapsed);
        expect(BigInt(await networkHelpers.time.latest())).to.equal(flaggedAt + elapsed);
        const q = await engine.previewLiquidation(alice.address, weth, MaxUint256);
        expect(q.bonus, `${elapsed}`).to.equal(incentive(wad("0.05"), health, elapsed, DEFAULTS));
        expect(q.bonus, `${elapsed}`).to.equal(expected.get(elapsed) ?? q.bonus);
        if (elapsed < 1268n) expect(q.bonus, `${elapsed}`).to.be.lessThan(wad("0.05"));
        else expect(q.bonus, `${elapsed}`).to.equal(wad("0.05"));
        expect(q.bonus).to.be.greaterThan(previous);
        previous = elapsed >= 1268n ? 0n : q.bonus;
      }
    });

    it("the liquidation itself is priced at its own block's time since the flag", async function () {
      const f = await networkHelpers.loadFixture(liquidationFixture);
      const { engine, weth, alice } = f;
      await price(f, weth, "2740");
      await engine.flag(alice.address);
      const flaggedAt = await engine.flaggedAt(alice.address);
      const q = await liquidateAsModelled(f, alice, weth, MaxUint256, f.bob, f.bob, flaggedAt + 900n);
      expect(q.bonus).to.equal(incentive(wad("0.05"), q.health, 900n, DEFAULTS));
      expect(q.bonus).to.be.greaterThan(32395833333333333n);
    });
  });

  describe("protocol fee", function () {
    it("the liquidator pays repay + fee; exactly the fee goes to reserves; totalAssets does not move", async function () {
      const f = await networkHelpers.loadFixture(liquidationFixture);
      const { vault, engine, usdc, weth, alice, bob } = f;
      await price(f, weth, "2740");
      const q = modelQuote(await readPosition(f, alice.address), await weth.getAddress(), MaxUint256);
      // fee = repay × (bonus × 10%, rounded up), rounded up
      expect(q.fee).to.equal(protocolFee(q.repay, q.bonus, wad("0.1")));
      expect(q.fee).to.equal(35877752n);
      const reserves = await vault.reserves();
      const totalAssets = await vault.totalAssets();
      const price0 = await sharePrice(vault);
      const tx = engine.connect(bob).liquidate(alice.address, weth, MaxUint256, bob.address);
      await expect(tx).to.changeTokenBalances(ethers, usdc, [bob, vault], [-(q.repay + q.fee), q.repay + q.fee]);
      expect(await vault.reserves()).to.equal(reserves + q.fee);
      expect(await vault.totalAssets()).to.equal(totalAssets);
      expect(await sharePrice(vault)).to.equal(price0);
    });

    it("the fee rounds up: repaying 1 unit costs a fee of 1 unit", async function () {
      const f = await networkHelpers.loadFixture(liquidationFixture);
      await price(f, f.weth, "2740");
      const q = await liquidateAsModelled(f, f.alice, f.weth, 1n);
      expect([q.repay, q.fee]).to.deep.equal([1n, 1n]);
    });

    it("a protocolFeeShare of 0 charges nothing; of 0.5 charges half the bonus", async function () {
      const f = await networkHelpers.loadFixture(liquidationFixture);
      const { engine, owner, weth, alice } = f;
      await price(f, weth, "2532");
      await engine.connect(owner).setParams({ ...DEFAULT_ENGINE_PARAMS, protocolFeeShare: 0n });
      expect((await engine.previewLiquidation(alice.address, weth, MaxUint256)).fee).to.equal(0n);
      await engine.connect(owner).setParams({ ...DEFAULT_ENGINE_PARAMS, protocolFeeShare: wad("0.5") });
      const q = await liquidateAsModelled(f, alice, weth, MaxUint256);
      expect(q.fee).to.equal(usd("600")); // 24,000 × 5% × 50%
    });
  });

  describe("collateral-bound liquidation and write-off in the same transaction", function () {
    it("seizes all the collateral for no more than its price, then writes the rest off (reserves first)", async function () {
      const f = await networkHelpers.loadFixture(liquidationFixture);
      const { vault, engine, weth, alice } = f;
      // $23,900 of collateral for 24,000 of debt: insolvent, health 0.8465, full close at the full 5% bonus; but
      // 24,000 × 1.05 / 2390 = 10.54 WETH > 10 held.
      await price(f, weth, "2390");
      const pos = await readPosition(f, alice.address);
      expect(seizeFor(usd("24000"), WAD, 6n, wad("2390"), 18n, wad("0.05"))).to.be.greaterThan(wad("10"));
      // repay = 10 × 2390 / 1.05, rounded up: 22,761.904762
      const repay = repayFor(wad("10"), WAD, 6n, wad("2390"), 18n, wad("0.05"));
      expect(repay).to.equal(22761904762n);
      const reserves = await vault.reserves();
      const totalAssets = await vault.totalAssets();
      const q = await liquidateAsModelled(f, alice, weth, MaxUint256);
      expect([q.bonus, q.seize, q.repay, q.writeOff]).to.deep.equal([wad("0.05"), wad("10"), repay, true]);
      expect(q.fee).to.equal(protocolFee(repay, wad("0.05"), wad("0.1")));
      expect(q.fee).to.equal(113809524n);
      const rest = pos.debt - repay; // 1,238.095238, all absorbed by the 1,200 + 113.8 of reserves
      expect(rest).to.equal(1238095238n);
      expect(await vault.reserves()).to.equal(reserves + q.fee - rest);
      expect(await vault.badDebt()).to.equal(rest);
      // Reserves took the whole loss: the lenders' assets are what they were.
      expect(await vault.totalAssets()).to.equal(totalAssets);
      expect(await engine.flaggedAt(alice.address)).to.equal(0n);
    });

    it("when the rest of the loss exceeds reserves, lenders take exactly the remainder", async function () {
      const f = await networkHelpers.loadFixture(liquidationFixture);
      const { vault, weth, alice } = f;
      await price(f, weth, "2000"); // $20,000 for 24,000: seize all, repay 19,047.619048, write off 4,952.380952
      const totalAssets = await vault.totalAssets();
      const reserves = await vault.reserves();
      const q = await liquidateAsModelled(f, alice, weth, MaxUint256);
      const rest = usd("24000") - q.repay;
      expect(q.repay).to.equal(19047619048n);
      const socialised = rest - (reserves + q.fee);
      expect(await vault.reserves()).to.equal(0n);
      expect(await vault.totalAssets()).to.equal(totalAssets - socialised);
    });

    it("collateral-bound without write-off: another collateral worth more than dust remains", async function () {
      const f = await networkHelpers.loadFixture(lstFixture);
      const { weth, lst, carol } = f;
      await price(f, weth, "2700");
      await price(f, lst, "800");
      const q = await liquidateAsModelled(f, carol, lst, MaxUint256);
      expect(q.seize).to.equal(wad("10"));
      expect(q.repay).to.equal(repayFor(wad("10"), WAD, 6n, wad("800"), 18n, q.bonus));
      expect(q.writeOff).to.equal(false);
      expect(await f.vault.collateralOf(carol.address, weth)).to.equal(wad("10"));
    });

    it("a dust remainder of another collateral moves to the protocol on write-off", async function () {
      const f = await networkHelpers.loadFixture(liquidationFixture);
      const { vault, lens, wbtc, weth, alice } = f;
      await vault.connect(alice).depositCollateral(wbtc, 100_000n, alice.address); // 0.001 WBTC: $60
      await price(f, weth, "2300"); // $23,060 in all for 24,000: insolvent
      const q = await liquidateAsModelled(f, alice, weth, MaxUint256);
      expect(q.writeOff).to.equal(true);
      expect(await lens.protocolCollateral(vault, wbtc)).to.equal(100_000n);
      expect(await lens.protocolCollateral(vault, weth)).to.equal(0n);
      expect((await lens.collateralInfo(vault, wbtc)).totalDeposited).to.equal(0n);
      expect(await wbtc.balanceOf(vault)).to.equal(100_000n); // still in the vault, now the protocol's
    });
  });

  describe("bad-debt write-off", function () {
    it("a loss larger than reserves: reserves go to 0 and the share price drops by exactly the rest", async function () {
      const f = await networkHelpers.loadFixture(liquidationFixture);
      const { vault, lens, engine, usdc, weth, alice, attacker } = f;
      await price(f, weth, "9"); // 10 WETH = $90 < $100: dust
      const reserves = await vault.reserves();
      expect(reserves).to.equal(usd("1200"));
      const totalAssets = await vault.totalAssets();
      const supply = await vault.totalSupply();
      const cash = await vault.cash();
      const base = await usdc.balanceOf(vault);
      expect(await engine.connect(attacker).writeOff.staticCall(alice.address)).to.equal(usd("24000"));
      await expect(engine.connect(attacker).writeOff(alice.address))
        .to.emit(vault, "BadDebtWrittenOff")
        .withArgs(alice.address, usd("24000"), usd("1200"), usd("22800"));
      expect(await vault.reserves()).to.equal(0n);
      expect(await vault.totalAssets()).to.equal(totalAssets - usd("22800"));
      expect(await vault.totalSupply()).to.equal(supply);
      expect(await vault.cash()).to.equal(cash);
      expect(await usdc.balanceOf(vault)).to.equal(base);
      expect(await vault.badDebt()).to.equal(usd("24000"));
      expect(await vault.debtOf(alice.address)).to.equal(0n);
      expect(await vault.collateralOf(alice.address, weth)).to.equal(0n);
      expect(await lens.protocolCollateral(vault, weth)).to.equal(wad("10"));
    });

    it("a loss within reserves: reserves absorb all of it and the share price does not move", async function () {
      const f = await networkHelpers.loadFixture(smallAccountFixture);
      const { vault, engine, weth, small, attacker } = f;
      await price(f, weth, "1800"); // 0.05 WETH = $90
      const totalAssets = await vault.totalAssets();
      const price0 = await sharePrice(vault);
      await expect(engine.connect(attacker).writeOff(small.address))
        .to.emit(vault, "BadDebtWrittenOff")
        .withArgs(small.address, usd("120"), usd("120"), 0n);
      expect(await vault.reserves()).to.equal(usd("1080"));
      expect(await vault.totalAssets()).to.equal(totalAssets);
      expect(await sharePrice(vault)).to.equal(price0);
      expect(await vault.badDebt()).to.equal(usd("120"));
    });

    it("write-offs add up: badDebt is the running total and protocolCollateral sums the swept dust", async function () {
      const f = await networkHelpers.loadFixture(smallAccountFixture);
      const { vault, lens, engine, weth, alice, small, bob } = f;
      await price(f, weth, "9");
      await engine.connect(bob).writeOff(small.address);
      await engine.connect(bob).writeOff(alice.address);
      expect(await vault.badDebt()).to.equal(usd("24120"));
      expect(await lens.protocolCollateral(vault, weth)).to.equal(wad("10.05"));
      expect(await vault.reserves()).to.equal(0n);
    });
  });

  describe("provisions", function () {
    it("flag provisions debt − collateral value; totalAssets drops at once by what reserves do not cover", async function () {
      const f = await networkHelpers.loadFixture(liquidationFixture);
      const { vault, lens, engine, owner, weth, alice, attacker } = f;
      await price(f, weth, "2000"); // $20,000 of collateral for 24,000 of debt: a certain loss of 4,000
      const totalAssets = await vault.totalAssets();
      await expect(engine.connect(attacker).flag(alice.address))
        .to.emit(vault, "BadDebtProvisioned")
        .withArgs(alice.address, usd("4000"), usd("4000"));
      expect(await lens.provisionOf(vault, alice.address)).to.equal(usd("4000"));
      expect(await lens.totalProvision(vault)).to.equal(usd("4000"));
      // totalAssets = cash + debt − max(reserves 1,200, provisions 4,000)
      expect(await vault.totalAssets()).to.equal(totalAssets - (usd("4000") - usd("1200")));
      // The reserves are all earmarked for the loss.
      await expect(vault.connect(owner).withdrawReserves(owner.address, 1n))
        .to.be.revertedWithCustomError(vault, "InsufficientReserves")
        .withArgs(0n, 1n);
    });

    it("a provision within reserves does not move totalAssets, but earmarks that much of them", async function () {
      const f = await networkHelpers.loadFixture(liquidationFixture);
      const { vault, lens, engine, owner, weth, alice } = f;
      await price(f, weth, "2350"); // loss 500
      const totalAssets = await vault.totalAssets();
      await engine.flag(alice.address);
      expect(await lens.provisionOf(vault, alice.address)).to.equal(usd("500"));
      expect(await vault.totalAssets()).to.equal(totalAssets);
      await expect(vault.connect(owner).withdrawReserves(owner.address, usd("700") + 1n))
        .to.be.revertedWithCustomError(vault, "InsufficientReserves")
        .withArgs(usd("700"), usd("700") + 1n);
      await vault.connect(owner).withdrawReserves(owner.address, usd("700"));
      expect(await vault.totalAssets()).to.equal(totalAssets);
    });

    it("the provision is the loss on the liquidation side (base at its low) and a second flag refreshes it", async function () {
      const f = await networkHelpers.loadFixture(liquidationFixture);
      const { vault, engine, oracle, usdc, weth, alice } = f;
      await price(f, weth, "2000");
      await engine.flag(alice.address);
      const flaggedAt = await engine.flaggedAt(alice.address);
      await price(f, weth, "1900");
      await oracle.setPriceData(usdc, wad("0.99"), wad("1.01"), Status.DEGRADED, Reason.SOURCES_DISAGREE);
      const tx = engine.flag(alice.address);
      await expect(tx).not.to.emit(engine, "AccountFlagged");
      // covered = 19,000 / 0.99 USDC, rounded down (the loss certain at both bounds); loss = 24,000 − covered
      const covered = (wad("19000") * 10n ** 6n) / wad("0.99");
      await expect(tx)
        .to.emit(vault, "BadDebtProvisioned")
        .withArgs(alice.address, usd("24000") - covered, usd("24000") - covered);
      expect(await engine.flaggedAt(alice.address)).to.equal(flaggedAt);
      // A third flag at the same prices changes nothing.
      await expect(engine.flag(alice.address)).not.to.emit(vault, "BadDebtProvisioned");
    });

    it("a solvent but liquidatable account gets no provision", async function () {
      const f = await networkHelpers.loadFixture(liquidationFixture);
      const { vault, lens, engine, weth, alice } = f;
      await price(f, weth, "2740");
      await expect(engine.flag(alice.address)).not.to.emit(vault, "BadDebtProvisioned");
      expect(await lens.provisionOf(vault, alice.address)).to.equal(0n);
    });

    it("a repayment lowers the provision by what it repaid; the next flag re-provisions the same", async function () {
      const f = await networkHelpers.loadFixture(liquidationFixture);
      const { vault, lens, engine, weth, alice } = f;
      await price(f, weth, "2000");
      await engine.flag(alice.address);
      const provisioned = await vault.totalAssets();
      await expect(vault.connect(alice).repay(usd("1"), alice.address))
        .to.emit(vault, "BadDebtProvisioned")
        .withArgs(alice.address, usd("3999"), usd("3999"));
      // cash +1, debt −1, provision −1: the unit the loss shrank by reaches lenders over RELEASE_PERIOD, not at once.
      expect(await vault.totalAssets()).to.equal(provisioned);
      expect(await lens.gainsHeldBack(vault)).to.equal(usd("1"));
      await expect(engine.flag(alice.address)).not.to.emit(vault, "BadDebtProvisioned"); // unchanged: 3,999
      expect(await lens.provisionOf(vault, alice.address)).to.equal(usd("3999"));
    });

    it("a repayment lowers the provision by what it repaid, no more (a 1-unit repay cannot lift the share price)", async function () {
      // Regression: repay used to clear the whole provision, so anyone could repay 1 unit of a flagged insolvent
      // account and redeem in the same transaction at a share price lifted by the unreserved loss (+2,800 USDC here).
      const f = await networkHelpers.loadFixture(liquidationFixture);
      const { vault, lens, engine, weth, alice, lender } = f;
      await price(f, weth, "2000"); // certain loss 4,000; reserves 1,200
      await engine.flag(alice.address);
      const provision = await lens.provisionOf(vault, alice.address);
      const provisioned = await vault.totalAssets();
      await expect(vault.connect(lender).repay(1n, alice.address))
        .to.emit(vault, "BadDebtProvisioned")
        .withArgs(alice.address, provision - 1n, provision - 1n);
      expect(await vault.totalAssets()).to.be.lessThanOrEqual(provisioned + 1n);
      // Repaying more than the provision clears it.
      await vault.connect(lender).repay(provision, alice.address);
      expect(await lens.provisionOf(vault, alice.address)).to.equal(0n);
      expect(await lens.totalProvision(vault)).to.equal(0n);
    });

    it("a liquidation that leaves the account insolvent keeps its shortfall provisioned; the close clears it", async function () {
      const f = await networkHelpers.loadFixture(lstFixture);
      const { vault, lens, engine, weth, lst, carol, bob } = f;
      await price(f, weth, "2000");
      await price(f, lst, "800"); // $28,000 for 32,500
      await engine.flag(carol.address);
      expect(await lens.provisionOf(vault, carol.address)).to.equal(usd("4500"));
      // All 10 LST ($8,000) go for 8,000 / 1.10 of debt: 25,227.27 left against $20,000 of WETH.
      await engine.connect(bob).liquidate(carol.address, lst, MaxUint256, bob.address);
      const debt = await vault.debtOf(carol.address);
      expect(await lens.provisionOf(vault, carol.address)).to.equal(debt - usd("20000"));
      expect(await lens.totalProvision(vault)).to.equal(debt - usd("20000"));
      await engine.connect(bob).liquidate(carol.address, weth, MaxUint256, bob.address);
      expect(await lens.totalProvision(vault)).to.equal(0n);
    });

    it("unflag clears the provision once the account is healthy again", async function () {
      const f = await networkHelpers.loadFixture(liquidationFixture);
      const { vault, lens, engine, weth, alice } = f;
      await price(f, weth, "2000");
      await engine.flag(alice.address);
      await price(f, weth, "3000");
      const tx = engine.unflag(alice.address);
      await expect(tx).to.emit(engine, "AccountUnflagged").withArgs(alice.address);
      await expect(tx).to.emit(vault, "BadDebtProvisioned").withArgs(alice.address, 0n, 0n);
      expect(await engine.flaggedAt(alice.address)).to.equal(0n);
      expect(await lens.totalProvision(vault)).to.equal(0n);
    });
  });

  describe("flag and unflag", function () {
    it("flag is permissionless, emits once and keeps the first timestamp", async function () {
      const f = await networkHelpers.loadFixture(liquidationFixture);
      const { engine, weth, alice, attacker, lender } = f;
      await price(f, weth, "2740");
      await engine.connect(attacker).flag(alice.address);
      const flaggedAt = await engine.flaggedAt(alice.address);
      await networkHelpers.time.increase(60);
      await expect(engine.connect(lender).flag(alice.address)).not.to.emit(engine, "AccountFlagged");
      expect(await engine.flaggedAt(alice.address)).to.equal(flaggedAt);
    });

    it("flag reverts with NotLiquidatable on a healthy account, changing nothing", async function () {
      const f = await networkHelpers.loadFixture(liquidationFixture);
      const { engine, alice, lender } = f;
      const health = (await readPosition(f, alice.address)).health;
      await expectUnchanged(liquidationState(f), async () => {
        await expect(engine.flag(alice.address))
          .to.be.revertedWithCustomError(engine, "NotLiquidatable")
          .withArgs(alice.address, health);
        await expect(engine.flag(lender.address))
          .to.be.revertedWithCustomError(engine, "NotLiquidatable")
          .withArgs(lender.address, MaxUint256);
      });
    });

    it("unflag reverts with StillLiquidatable while liquidatable, or while a price it needs is FAILED", async function () {
      const f = await networkHelpers.loadFixture(liquidationFixture);
      const { engine, oracle, weth, alice } = f;
      await price(f, weth, "2740");
      await engine.flag(alice.address);
      await expectUnchanged(liquidationState(f), async () => {
        await expect(engine.unflag(alice.address))
          .to.be.revertedWithCustomError(engine, "StillLiquidatable")
          .withArgs(alice.address);
      });
      await oracle.setPriceData(weth, 0n, 0n, Status.FAILED, Reason.STALE);
      await expectUnchanged(liquidationState(f), async () => {
        await expect(engine.unflag(alice.address))
          .to.be.revertedWithCustomError(engine, "StillLiquidatable")
          .withArgs(alice.address);
      });
      // Healthy again, it goes.
      await price(f, weth, "3000");
      await expect(engine.unflag(alice.address)).to.emit(engine, "AccountUnflagged").withArgs(alice.address);
    });

    it("unflag on an account that was never flagged, or that has no debt, is a no-op", async function () {
      const f = await networkHelpers.loadFixture(liquidationFixture);
      const { engine, oracle, weth, alice, lender } = f;
      await expect(engine.unflag(alice.address)).not.to.emit(engine, "AccountUnflagged");
      await oracle.setPriceData(weth, 0n, 0n, Status.FAILED, Reason.STALE);
      await expect(engine.unflag(lender.address)).not.to.emit(engine, "AccountUnflagged");
    });

    it("a repaid-in-full account can be unflagged even with its collateral's price FAILED", async function () {
      const f = await networkHelpers.loadFixture(liquidationFixture);
      const { vault, engine, oracle, weth, alice } = f;
      await price(f, weth, "2740");
      await engine.flag(alice.address);
      await vault.connect(alice).repay(MaxUint256, alice.address);
      await oracle.setPriceData(weth, 0n, 0n, Status.FAILED, Reason.STALE);
      await expect(engine.unflag(alice.address)).to.emit(engine, "AccountUnflagged").withArgs(alice.address);
    });

    // A flag is cleared only by a liquidation, a write-off or an explicit unflag: a borrower who tops up or repays
    // (through the vault, which does not tell the engine) stays flagged. When the account dips just under 1 again,
    // days later, the time ramp counts from the old flag and a liquidator gets the maximum bonus at once, instead of
    // half of it. Unflag is permissionless, but no liquidator has a reason to call it, and the borrower must know to.
    it("a stale flag does not survive the account's recovery: a later dip is priced as fresh", async function () {
      // Regression: a borrower who topped up stayed flagged, and a dip a day later was priced at the maximum bonus.
      // The time ramp now runs only while health is no better than at the flag.
      const f = await networkHelpers.loadFixture(liquidationFixture);
      const { vault, engine, weth, alice } = f;
      await price(f, weth, "2740");
      await engine.flag(alice.address);
      await vault.connect(alice).depositCollateral(weth, wad("5"), alice.address); // healthy again (1.46)
      await networkHelpers.time.increase(86_400);
      await price(f, weth, "1880"); // 15 × 1880 × 0.85 = 23,970 < 24,000: health 0.99875, a fresh dip
      const q = await engine.previewLiquidation(alice.address, weth, MaxUint256);
      expect(q.bonus).to.equal(incentive(wad("0.05"), q.health, 0n, DEFAULTS));
      // flag() restarts the ramp from the new dip, with the new health.
      await engine.flag(alice.address);
      expect(await engine.flaggedAt(alice.address)).to.equal(BigInt(await networkHelpers.time.latest()));
    });

    it("a liquidation that restores health clears the flag (AccountUnflagged)", async function () {
      const f = await networkHelpers.loadFixture(liquidationFixture);
      const { engine, weth, alice, bob } = f;
      await price(f, weth, "2740");
      await engine.flag(alice.address);
      await expect(engine.connect(bob).liquidate(alice.address, weth, MaxUint256, bob.address))
        .to.emit(engine, "AccountUnflagged")
        .withArgs(alice.address);
      expect(await engine.flaggedAt(alice.address)).to.equal(0n);
    });
  });

  describe("writeOff()", function () {
    it("is permissionless, returns the amount, clears the flag and leaves the account empty", async function () {
      const f = await networkHelpers.loadFixture(liquidationFixture);
      const { vault, lens, engine, weth, alice, attacker } = f;
      await price(f, weth, "2000");
      await engine.flag(alice.address);
      await price(f, weth, "9");
      const tx = engine.connect(attacker).writeOff(alice.address);
      await expect(tx).to.emit(engine, "AccountUnflagged").withArgs(alice.address);
      await expect(tx).to.emit(vault, "BadDebtWrittenOff");
      await expect(tx).to.changeTokenBalances(ethers, weth, [attacker, vault], [0n, 0n]);
      expect(await engine.flaggedAt(alice.address)).to.equal(0n);
      expect(await lens.provisionOf(vault, alice.address)).to.equal(0n);
      expect(await lens.totalProvision(vault)).to.equal(0n);
      expect(await vault.debtOf(alice.address)).to.equal(0n);
      expect(await vault.collateralOf(alice.address, weth)).to.equal(0n);
    });

    it("NotDust at exactly $100 of collateral; one wei of price less and it goes", async function () {
      const f = await networkHelpers.loadFixture(liquidationFixture);
      const { engine, weth, alice } = f;
      await price(f, weth, "10"); // 10 WETH = $100 exactly
      await expectUnchanged(liquidationState(f), async () => {
        await expect(engine.writeOff(alice.address))
          .to.be.revertedWithCustomError(engine, "NotDust")
          .withArgs(alice.address, wad("100"), wad("100"));
      });
      await f.oracle.setPrice(weth, wad("10") - 1n);
      await expect(engine.writeOff(alice.address)).to.emit(f.vault, "BadDebtWrittenOff");
    });

    it("NotLiquidatable on a healthy account or one without debt, even with dust collateral", async function () {
      const f = await networkHelpers.loadFixture(liquidationFixture);
      const { vault, engine, weth, alice, lender } = f;
      await vault.connect(lender).depositCollateral(weth, 1n, lender.address);
      const health = (await readPosition(f, alice.address)).health;
      await expectUnchanged(liquidationState(f), async () => {
        await expect(engine.writeOff(alice.address))
          .to.be.revertedWithCustomError(engine, "NotLiquidatable")
          .withArgs(alice.address, health);
        await expect(engine.writeOff(lender.address))
          .to.be.revertedWithCustomError(engine, "NotLiquidatable")
          .withArgs(lender.address, MaxUint256);
      });
    });
  });

  describe("price and sequencer gating", function () {
    it("no liquidation, flag or write-off at a FAILED price: PriceUnavailable, nothing changes", async function () {
      const f = await networkHelpers.loadFixture(liquidationFixture);
      const { vault, engine, oracle, usdc, weth, wbtc, alice, bob } = f;
      await vault.connect(alice).depositCollateral(wbtc, 1000n, alice.address); // $0.60 of WBTC
      await price(f, weth, "9");
      for (const failed of [weth, wbtc, usdc]) {
        const saved = await oracle.getPrice(failed);
        await oracle.setPriceData(failed, 0n, 0n, Status.FAILED, Reason.FEED_REVERTED);
        expect(await vault.isLiquidatable(alice.address)).to.equal(false);
        await expectUnchanged(liquidationState(f), async () => {
          await expect(engine.connect(bob).liquidate(alice.address, weth, MaxUint256, bob.address))
            .to.be.revertedWithCustomError(engine, "PriceUnavailable")
            .withArgs(alice.address);
          await expect(engine.previewLiquidation(alice.address, weth, MaxUint256))
            .to.be.revertedWithCustomError(engine, "PriceUnavailable")
            .withArgs(alice.address);
          await expect(engine.flag(alice.address))
            .to.be.revertedWithCustomError(engine, "PriceUnavailable")
            .withArgs(alice.address);
          await expect(engine.writeOff(alice.address))
            .to.be.revertedWithCustomError(engine, "PriceUnavailable")
            .withArgs(alice.address);
        });
        await oracle.setPriceData(failed, saved.low, saved.high, saved.status, saved.reason);
      }
      await expect(engine.writeOff(alice.address)).to.emit(vault, "BadDebtWrittenOff");
    });

    for (const [name, reason] of [
      ["SEQUENCER_DOWN", Reason.SEQUENCER_DOWN],
      ["SEQUENCER_GRACE", Reason.SEQUENCER_GRACE],
      ["SEQUENCER_FEED_BROKEN", Reason.SEQUENCER_FEED_BROKEN],
    ] as const) {
      it(`${name}: only accounts below emergencyHealth (0.95) are liquidated; any may be flagged`, async function () {
        const f = await networkHelpers.loadFixture(liquidationFixture);
        const { engine, oracle, weth, alice, bob } = f;
        await oracle.setSequencerReason(reason);
        await price(f, weth, "2740"); // health 0.9704 ≥ 0.95
        const health = (await readPosition(f, alice.address)).health;
        await expectUnchanged(liquidationState(f), async () => {
          for (const call of [
            () => engine.connect(bob).liquidate(alice.address, weth, MaxUint256, bob.address),
            () => engine.previewLiquidation(alice.address, weth, MaxUint256),
          ]) {
            await expect(call())
              .to.be.revertedWithCustomError(engine, "SequencerNotReady")
              .withArgs(reason, health, wad("0.95"));
          }
        });
        // A flag books the loss whatever stops liquidations (issue 19, property 3); this account is solvent.
        await expect(engine.flag(alice.address)).to.emit(engine, "AccountFlagged");
        // 24,000 × 0.95 / 8.5 = 2682.35…: at $2682.36 health is just above 0.95, at $2682.35 just below.
        await price(f, weth, "2682.36");
        await expect(engine.previewLiquidation(alice.address, weth, MaxUint256)).to.be.revertedWithCustomError(
          engine,
          "SequencerNotReady",
        );
        await price(f, weth, "2682.35");
        expect((await readPosition(f, alice.address)).health).to.be.lessThan(wad("0.95"));
        await liquidateAsModelled(f, alice, weth, MaxUint256);
      });
    }

    it("emergencyHealth 0 stops every liquidation while the sequencer is down; 1 lets every one through", async function () {
      const f = await networkHelpers.loadFixture(liquidationFixture);
      const { engine, owner, oracle, weth, alice } = f;
      await oracle.setSequencerReason(Reason.SEQUENCER_DOWN);
      await price(f, weth, "100");
      await engine.connect(owner).setParams({ ...DEFAULT_ENGINE_PARAMS, emergencyHealth: 0n });
      await expect(engine.previewLiquidation(alice.address, weth, MaxUint256)).to.be.revertedWithCustomError(
        engine,
        "SequencerNotReady",
      );
      await price(f, weth, "2823.5");
      await engine.connect(owner).setParams({ ...DEFAULT_ENGINE_PARAMS, emergencyHealth: WAD });
      await liquidateAsModelled(f, alice, weth, MaxUint256);
    });

    it("a DEGRADED collateral price liquidates only if unhealthy at its high bound, seized at that bound", async function () {
      const f = await networkHelpers.loadFixture(liquidationFixture);
      const { vault, engine, oracle, weth, alice } = f;
      // Unhealthy at $2700, healthy at $2900 (limit 24,650): a doubt between the two liquidates nobody.
      await oracle.setPriceData(weth, wad("2700"), wad("2900"), Status.DEGRADED, Reason.SOURCES_DISAGREE);
      expect(await vault.isLiquidatable(alice.address)).to.equal(false);
      await expect(engine.previewLiquidation(alice.address, weth, MaxUint256)).to.be.revertedWithCustomError(
        engine,
        "NotLiquidatable",
      );
      // Unhealthy at both $2700 and $2800: liquidated on the $2800 side.
      await oracle.setPriceData(weth, wad("2700"), wad("2800"), Status.DEGRADED, Reason.SOURCES_DISAGREE);
      expect(await vault.isLiquidatable(alice.address)).to.equal(true);
      const q = await liquidateAsModelled(f, alice, weth, MaxUint256);
      expect(q.health).to.equal((wad("23800") * WAD) / wad("24000"));
      expect(q.seize).to.equal(seizeFor(q.repay, WAD, 6n, wad("2800"), 18n, q.bonus));
      expect(q.seize).to.be.lessThan(seizeFor(q.repay, WAD, 6n, wad("2750"), 18n, q.bonus));
    });

    it("a DEGRADED base price: debt valued and repaid at its low bound", async function () {
      const f = await networkHelpers.loadFixture(liquidationFixture);
      const { engine, oracle, usdc, weth, alice } = f;
      await price(f, weth, "2800"); // limit 23,800
      // Debt 24,000 at $0.99 is 23,760: healthy at the low bound, so not liquidated.
      await oracle.setPriceData(usdc, wad("0.99"), wad("1.01"), Status.DEGRADED, Reason.SOURCES_DISAGREE);
      await expect(engine.previewLiquidation(alice.address, weth, MaxUint256)).to.be.revertedWithCustomError(
        engine,
        "NotLiquidatable",
      );
      await price(f, weth, "2750"); // limit 23,375 < 23,760
      const q = await liquidateAsModelled(f, alice, weth, MaxUint256);
      expect(q.health).to.equal((wad("23375") * WAD) / wad("23760"));
      expect(q.seize).to.equal(seizeFor(q.repay, wad("0.99"), 6n, wad("2750"), 18n, q.bonus));
    });
  });

  describe("setParams", function () {
    type Field = keyof ILiquidationEngine.ParamsStruct;
    // [field, lowest allowed, highest allowed]
    const bounds: Array<[Field, bigint, bigint]> = [
      ["targetHealth", WAD, wad("1.5")],
      ["fullCloseHealth", wad("0.5"), WAD],
      ["minBonusShare", 0n, WAD],
      ["healthRamp", wad("0.01"), WAD],
      ["protocolFeeShare", 0n, wad("0.5")],
      ["emergencyHealth", 0n, WAD],
      ["timeRamp", 60n, 86400n],
      ["dustValue", 0n, wad("10000")],
    ];

    it("each field one step outside its bounds reverts with ParameterOutOfBounds; the bounds themselves pass", async function () {
      const f = await networkHelpers.loadFixture(liquidationFixture);
      const { engine, owner } = f;
      for (const [field, min, max] of bounds) {
        const outside = min === 0n ? [max + 1n] : [min - 1n, max + 1n];
        await expectUnchanged(liquidationState(f), async () => {
          for (const value of outside) {
            await expect(engine.connect(owner).setParams({ ...DEFAULT_ENGINE_PARAMS, [field]: value }), field)
              .to.be.revertedWithCustomError(engine, "ParameterOutOfBounds")
              .withArgs(encodeBytes32String(field), value, min, max);
          }
        });
        for (const value of [min, max]) {
          const params = { ...DEFAULT_ENGINE_PARAMS, [field]: value };
          await expect(engine.connect(owner).setParams(params)).to.emit(engine, "ParamsSet");
          expect((await engine.params())[field], field).to.equal(value);
        }
      }
    });

    it("is owner-only, and ParamsSet carries the new params", async function () {
      const f = await networkHelpers.loadFixture(liquidationFixture);
      const { engine, owner, attacker } = f;
      const params = { ...DEFAULT_ENGINE_PARAMS, targetHealth: wad("1.1"), dustValue: wad("50") };
      await expectUnchanged(liquidationState(f), async () => {
        await expect(engine.connect(attacker).setParams(params))
          .to.be.revertedWithCustomError(engine, "OwnableUnauthorizedAccount")
          .withArgs(attacker.address);
      });
      await expect(engine.connect(owner).setParams(params))
        .to.emit(engine, "ParamsSet")
        .withArgs([wad("1.1"), wad("0.9"), wad("0.5"), wad("0.1"), wad("0.1"), wad("0.95"), 1800n, wad("50")]);
      expect(await readParams(engine)).to.deep.equal({ ...DEFAULTS, targetHealth: wad("1.1"), dustValue: wad("50") });
    });

    it("the constructor checks the same bounds, a zero vault and a zero owner", async function () {
      const f = await networkHelpers.loadFixture(liquidationFixture);
      const { engine, vault, owner } = f;
      await expect(
        ethers.deployContract("LiquidationEngine", [vault, { ...DEFAULT_ENGINE_PARAMS, timeRamp: 59n }, owner.address]),
      )
        .to.be.revertedWithCustomError(engine, "ParameterOutOfBounds")
        .withArgs(encodeBytes32String("timeRamp"), 59n, 60n, 86400n);
      await expect(
        ethers.deployContract("LiquidationEngine", [ZeroAddress, DEFAULT_ENGINE_PARAMS, owner.address]),
      ).to.be.revertedWithCustomError(engine, "ZeroAddress");
      await expect(ethers.deployContract("LiquidationEngine", [vault, DEFAULT_ENGINE_PARAMS, ZeroAddress]))
        .to.be.revertedWithCustomError(engine, "OwnableInvalidOwner")
        .withArgs(ZeroAddress);
    });

    it("new params apply to the next liquidation (targetHealth 1.2, minBonusShare 1)", async function () {
      const f = await networkHelpers.loadFixture(liquidationFixture);
      const { vault, lens, engine, owner, weth, alice } = f;
      await price(f, weth, "2740");
      await engine.connect(owner).setParams({ ...DEFAULT_ENGINE_PARAMS, targetHealth: wad("1.2"), minBonusShare: WAD });
      const q = await liquidateAsModelled(f, alice, weth, MaxUint256);
      expect(q.bonus).to.equal(wad("0.05"));
      expect(await lens.healthFactor(vault, alice.address)).to.be.greaterThanOrEqual(wad("1.2"));
      expect(await lens.healthFactor(vault, alice.address)).to.be.lessThan(wad("1.2") + TARGET_SLACK);
    });
  });

  describe("previewLiquidation", function () {
    /** Compares the preview, a static call of liquidate and the model, then liquidates and checks it did that. */
    async function previewMatches(f: LiquidationFixture, account: HardhatEthersSigner, maxRepay: bigint) {
      const { engine, weth, bob } = f;
      const preview = await engine.previewLiquidation(account.address, weth, maxRepay);
      const simulated = await engine.connect(bob).liquidate.staticCall(account.address, weth, maxRepay, bob.address);
      expect([...simulated]).to.deep.equal([...preview]);
      const pos = await readPosition(f, account.address);
      expectQuote(preview, modelQuote(pos, await weth.getAddress(), maxRepay));
      // The liquidation mined in the next block (same prices, 0% interest, not flagged) does exactly that.
      const q = await liquidateAsModelled(f, account, weth, maxRepay);
      expect([q.repay, q.seize, q.fee, q.bonus, q.health, q.writeOff]).to.deep.equal([
        preview.repay,
        preview.seize,
        preview.fee,
        preview.bonus,
        preview.health,
        preview.writeOff,
      ]);
    }

    for (const [name, usdPrice, maxRepay] of [
      ["partial to target", "2740", MaxUint256],
      ["partial below maxRepay", "2740", usd("3000")],
      ["full close", "2532", MaxUint256],
      ["collateral-bound with write-off", "2390", MaxUint256],
      ["solvency-capped bonus", "2500", MaxUint256],
      ["one unit", "2600", 1n],
    ] as const) {
      it(`equals what liquidate does: ${name}`, async function () {
        const f = await networkHelpers.loadFixture(liquidationFixture);
        await price(f, f.weth, usdPrice);
        await previewMatches(f, f.alice, maxRepay);
      });
    }

    it("reverts as liquidate does", async function () {
      const f = await networkHelpers.loadFixture(liquidationFixture);
      const { engine, weth, wbtc, alice, bob } = f;
      const cases: Array<[bigint, MockERC20, string]> = [
        [MaxUint256, weth, "NotLiquidatable"],
        [0n, weth, "ZeroAmount"],
      ];
      for (const [maxRepay, token, error] of cases) {
        await expect(engine.previewLiquidation(alice.address, token, maxRepay)).to.be.revertedWithCustomError(
          engine,
          error,
        );
        await expect(
          engine.connect(bob).liquidate(alice.address, token, maxRepay, bob.address),
        ).to.be.revertedWithCustomError(engine, error);
      }
      await price(f, weth, "2532");
      for (const [maxRepay, token, error] of [
        [MaxUint256, wbtc, "NoCollateral"],
        [usd("23950"), weth, "LeavesDust"],
      ] as Array<[bigint, MockERC20, string]>) {
        await expect(engine.previewLiquidation(alice.address, token, maxRepay)).to.be.revertedWithCustomError(
          engine,
          error,
        );
        await expect(
          engine.connect(bob).liquidate(alice.address, token, maxRepay, bob.address),
        ).to.be.revertedWithCustomError(engine, error);
      }
    });
  });

  describe("events", function () {
    it("collateral goes to the receiver, the liquidator pays; both events name them", async function () {
      const f = await networkHelpers.loadFixture(liquidationFixture);
      const { usdc, weth, alice, bob, lender } = f;
      await price(f, weth, "2740");
      const lenderBase = await usdc.balanceOf(lender.address);
      await liquidateAsModelled(f, alice, weth, MaxUint256, bob, lender);
      expect(await usdc.balanceOf(lender.address)).to.equal(lenderBase);
    });

    it("a liquidation that leaves the account unhealthy emits AccountFlagged with the health after", async function () {
      const f = await networkHelpers.loadFixture(liquidationFixture);
      const { vault, lens, engine, weth, alice, bob } = f;
      await price(f, weth, "2740");
      const health = (await readPosition(f, alice.address)).health;
      for (let i = 0; i < 2; i++) {
        const tx = await engine.connect(bob).liquidate(alice.address, weth, usd("100"), bob.address);
        await expect(tx).to.emit(engine, "AccountFlagged").withArgs(alice.address, anyValue);
        const flagged = await flagHealthOf(engine, tx);
        expect(flagged).to.be.greaterThan(health);
        expect(await lens.healthFactor(vault, alice.address)).to.be.closeTo(flagged, wad("0.000001"));
      }
    });
  });

  describe("vault hooks and the engine address", function () {
    // Every hook rejecting every caller but the engine: CollateralVault.safety.test.ts, "NotLiquidationEngine".

    it("setLiquidationEngine is owner-only and refuses the zero address; the old engine is locked out", async function () {
      const f = await networkHelpers.loadFixture(liquidationFixture);
      const { vault, lens, engine, owner, weth, alice, bob, attacker } = f;
      await price(f, weth, "2740");
      await expectUnchanged(liquidationState(f), async () => {
        await expect(vault.connect(attacker).setLiquidationEngine(attacker.address))
          .to.be.revertedWithCustomError(vault, "OwnableUnauthorizedAccount")
          .withArgs(attacker.address);
        await expect(vault.connect(owner).setLiquidationEngine(ZeroAddress)).to.be.revertedWithCustomError(
          vault,
          "ZeroAddress",
        );
      });
      expect(await lens.liquidationEngine(vault)).to.equal(await engine.getAddress());
      const next = await ethers.deployContract("LiquidationEngine", [vault, DEFAULT_ENGINE_PARAMS, owner.address]);
      await expect(vault.connect(owner).setLiquidationEngine(next))
        .to.emit(vault, "LiquidationEngineSet")
        .withArgs(await next.getAddress());
      await expect(engine.connect(bob).liquidate(alice.address, weth, MaxUint256, bob.address))
        .to.be.revertedWithCustomError(vault, "NotLiquidationEngine")
        .withArgs(await engine.getAddress());
      await next.connect(bob).liquidate(alice.address, weth, MaxUint256, bob.address);
    });
  });

  describe("error coverage (ILiquidationEngine)", function () {
    // Where each error in the engine's ABI is triggered; a new error fails the listing test until it gets a test.
    const engineErrors: Record<string, string> = {
      AssetNotListed: "below (the vault's error, raised by the engine for an unlisted collateral)",
      BadBatchLength: "below",
      BatchOutOfGas: "below",
      EmptyFlashData: "below",
      LeavesDust: "below; dust",
      LiquidationTooSmall: "below",
      RenounceDisabled: "Governance.roles.test.ts (renounceOwnership)",
      NoCollateral: "below; previewLiquidation",
      NotDust: "below; writeOff()",
      NotLiquidatable: "below; flag and unflag; abuse (healthy accounts)",
      OnlySelf: "below",
      OwnableInvalidOwner: "below; setParams (constructor)",
      PartialLowersHealth: "below; full close",
      OwnableUnauthorizedAccount: "below; setParams",
      ParameterOutOfBounds: "below; setParams",
      PriceUnavailable: "below; price and sequencer gating",
      ReentrancyGuardReentrantCall: "below (a flash receiver calling back into the engine)",
      SeizeAboveFloor: "unreachable: a defence in depth, see below",
      SeizeBelowMinimum: "LiquidatorPriceProtection.test.ts",
      SequencerNotReady: "below; price and sequencer gating",
      StillLiquidatable: "below; flag and unflag",
      StillSolvent: "NoDust.test.ts (writeOff of a solvent dust remainder)",
      ZeroAddress: "below; setParams (constructor)",
      ZeroAmount: "below; previewLiquidation",
    };

    it("lists every custom error of LiquidationEngine", async function () {
      const f = await networkHelpers.loadFixture(liquidationFixture);
      const names: string[] = [];
      f.engine.interface.forEachError((e) => names.push(e.name));
      expect([...names].sort()).to.deep.equal(Object.keys(engineErrors).sort());
    });

    it("NotLiquidatable, PriceUnavailable, SequencerNotReady, NoCollateral, ZeroAmount, ZeroAddress", async function () {
      const f = await networkHelpers.loadFixture(liquidationFixture);
      const { engine, oracle, weth, wbtc, alice, bob } = f;
      const health = (await readPosition(f, alice.address)).health;
      await expectUnchanged(liquidationState(f), async () => {
        await expect(engine.connect(bob).liquidate(alice.address, weth, MaxUint256, bob.address))
          .to.be.revertedWithCustomError(engine, "NotLiquidatable")
          .withArgs(alice.address, health);
        await price(f, weth, "2740");
        await expect(engine.connect(bob).liquidate(alice.address, wbtc, MaxUint256, bob.address))
          .to.be.revertedWithCustomError(engine, "NoCollateral")
          .withArgs(alice.address, await wbtc.getAddress());
        await expect(engine.connect(bob).liquidate(alice.address, f.usdc, MaxUint256, bob.address))
          .to.be.revertedWithCustomError(engine, "AssetNotListed")
          .withArgs(await f.usdc.getAddress());
        await expect(engine.connect(bob).liquidate(alice.address, weth, 0n, bob.address)).to.be.revertedWithCustomError(
          engine,
          "ZeroAmount",
        );
        await expect(
          engine.connect(bob).liquidate(alice.address, weth, MaxUint256, ZeroAddress),
        ).to.be.revertedWithCustomError(engine, "ZeroAddress");
        await expect(
          engine.connect(bob).flashLiquidate(alice.address, weth, MaxUint256, ZeroAddress, "0x01"),
        ).to.be.revertedWithCustomError(engine, "ZeroAddress");
        await expect(
          engine
            .connect(bob)
            .liquidateBatch(
              [{ borrower: alice.address, collateral: await weth.getAddress(), maxRepay: 1n }],
              ZeroAddress,
              "0x",
            ),
        ).to.be.revertedWithCustomError(engine, "ZeroAddress");
        await oracle.setSequencerReason(Reason.SEQUENCER_DOWN);
        await expect(engine.connect(bob).liquidate(alice.address, weth, MaxUint256, bob.address))
          .to.be.revertedWithCustomError(engine, "SequencerNotReady")
          .withArgs(Reason.SEQUENCER_DOWN, (wad("23290") * WAD) / wad("24000"), wad("0.95"));
        await oracle.setSequencerReason(Reason.NONE);
        await oracle.setPriceData(weth, 0n, 0n, Status.FAILED, Reason.STALE);
        await expect(engine.connect(bob).liquidate(alice.address, weth, MaxUint256, bob.address))
          .to.be.revertedWithCustomError(engine, "PriceUnavailable")
          .withArgs(alice.address);
        await price(f, weth, "3000");
      });
    });

    it("LiquidationTooSmall: one unit of debt buys no WBTC satoshi", async function () {
      const f = await networkHelpers.loadFixture(liquidationFixture);
      const { vault, engine, wbtc, borrower, bob } = f;
      await vault.connect(borrower).depositCollateral(wbtc, 10n ** 8n, borrower.address);
      await vault.connect(borrower).borrow(usd("43800"), borrower.address);
      await price(f, wbtc, "56000");
      await expectUnchanged(liquidationState(f), async () => {
        // 1e-6 USD × 1.03 / 56,000 = 1.8e-11 BTC = 0.0000018 satoshi
        await expect(engine.connect(bob).liquidate(borrower.address, wbtc, 1n, bob.address))
          .to.be.revertedWithCustomError(engine, "LiquidationTooSmall")
          .withArgs(1n, 0n);
      });
    });

    it("PartialLowersHealth: a partial liquidation where it would lower health", async function () {
      const f = await networkHelpers.loadFixture(liquidationFixture);
      const { engine, weth, alice, bob } = f;
      await price(f, weth, "2390"); // health 0.8465 ≤ (1 + 5%) × 0.85 = 0.8925
      const health = (await readPosition(f, alice.address)).health;
      await expectUnchanged(liquidationState(f), async () => {
        await expect(engine.connect(bob).liquidate(alice.address, weth, usd("10000"), bob.address))
          .to.be.revertedWithCustomError(engine, "PartialLowersHealth")
          .withArgs(health, usd("10000"));
      });
    });

    it("LeavesDust, NotDust, StillLiquidatable", async function () {
      const f = await networkHelpers.loadFixture(liquidationFixture);
      const { engine, weth, alice, bob } = f;
      await price(f, weth, "2532");
      await expectUnchanged(liquidationState(f), async () => {
        await expect(engine.connect(bob).liquidate(alice.address, weth, usd("23999"), bob.address))
          .to.be.revertedWithCustomError(engine, "LeavesDust")
          .withArgs(usd("1"), usd("23999"));
        await expect(engine.writeOff(alice.address))
          .to.be.revertedWithCustomError(engine, "NotDust")
          .withArgs(alice.address, wad("25320"), wad("100"));
        await expect(engine.unflag(alice.address))
          .to.be.revertedWithCustomError(engine, "StillLiquidatable")
          .withArgs(alice.address);
      });
    });

    it("EmptyFlashData, BadBatchLength (0 and MAX_BATCH + 1), OnlySelf", async function () {
      const f = await networkHelpers.loadFixture(liquidationFixture);
      const { engine, weth, alice, bob } = f;
      await price(f, weth, "2740");
      const order = { borrower: alice.address, collateral: await weth.getAddress(), maxRepay: 1n };
      expect(await engine.MAX_BATCH()).to.equal(100n);
      await expectUnchanged(liquidationState(f), async () => {
        await expect(
          engine.connect(bob).flashLiquidate(alice.address, weth, MaxUint256, bob.address, "0x"),
        ).to.be.revertedWithCustomError(engine, "EmptyFlashData");
        await expect(engine.connect(bob).liquidateBatch([], bob.address, "0x"))
          .to.be.revertedWithCustomError(engine, "BadBatchLength")
          .withArgs(0n, 100n);
        await expect(engine.connect(bob).liquidateBatch(Array(101).fill(order), bob.address, "0x"))
          .to.be.revertedWithCustomError(engine, "BadBatchLength")
          .withArgs(101n, 100n);
        await expect(engine.connect(bob).batchStep(order, bob.address, bob.address, bob.address, "0x"))
          .to.be.revertedWithCustomError(engine, "OnlySelf")
          .withArgs(bob.address);
      });
    });

    it("BatchOutOfGas: a batch sent with less gas than an item needs reverts whole, skipping nothing", async function () {
      const f = await networkHelpers.loadFixture(liquidationFixture);
      const { engine, weth, alice, bob } = f;
      await price(f, weth, "2740");
      const order = { borrower: alice.address, collateral: await weth.getAddress(), maxRepay: usd("100") };
      expect(await engine.BATCH_ITEM_GAS()).to.equal(400_000n);
      await expectUnchanged(liquidationState(f), async () => {
        await expect(engine.connect(bob).liquidateBatch([order, order], bob.address, "0x", { gasLimit: 300_000n }))
          .to.be.revertedWithCustomError(engine, "BatchOutOfGas")
          .withArgs(0n);
      });
      // With enough gas the same batch goes through.
      await expect(engine.connect(bob).liquidateBatch([order, order], bob.address, "0x")).to.emit(
        engine,
        "LiquidationExecuted",
      );
    });

    it("ParameterOutOfBounds, OwnableUnauthorizedAccount, OwnableInvalidOwner", async function () {
      const f = await networkHelpers.loadFixture(liquidationFixture);
      const { engine, vault, owner, attacker } = f;
      await expect(engine.connect(owner).setParams({ ...DEFAULT_ENGINE_PARAMS, targetHealth: wad("1.5") + 1n }))
        .to.be.revertedWithCustomError(engine, "ParameterOutOfBounds")
        .withArgs(encodeBytes32String("targetHealth"), wad("1.5") + 1n, WAD, wad("1.5"));
      await expect(engine.connect(attacker).setParams(DEFAULT_ENGINE_PARAMS))
        .to.be.revertedWithCustomError(engine, "OwnableUnauthorizedAccount")
        .withArgs(attacker.address);
      await expect(ethers.deployContract("LiquidationEngine", [vault, DEFAULT_ENGINE_PARAMS, ZeroAddress]))
        .to.be.revertedWithCustomError(engine, "OwnableInvalidOwner")
        .withArgs(ZeroAddress);
    });

    it("ReentrancyGuardReentrantCall: a flash receiver calling back into the engine", async function () {
      const f = await networkHelpers.loadFixture(liquidationFixture);
      const { engine, weth, alice, bob } = f;
      await price(f, weth, "2740");
      const receiver = await ethers.deployContract("LiqBadReceiver");
      for (const payload of [
        engine.interface.encodeFunctionData("flag", [alice.address]),
        engine.interface.encodeFunctionData("liquidate", [alice.address, await weth.getAddress(), 1n, bob.address]),
        engine.interface.encodeFunctionData("writeOff", [alice.address]),
      ]) {
        await receiver.arm(engine, payload);
        await expectUnchanged(liquidationState(f), async () => {
          await expect(
            engine.connect(bob).flashLiquidate(alice.address, weth, MaxUint256, receiver, "0x01"),
          ).to.be.revertedWithCustomError(engine, "ReentrancyGuardReentrantCall");
        });
      }
    });

    it("SeizeAboveFloor is in the ABI but unreachable: the bonus never exceeds the maximum", async function () {
      // The check compares the seized value (collateral at `low`, rounded down) with the repaid value (base at
      // `high`, rounded up) × (1 + maxBonus), rounded up. The seize is computed from the same prices with the
      // curve's bonus, which `incentive` caps at maxBonus (share ≤ 1 because minBonusShare ≤ 1 and urgency ≤ 1), and
      // rounded down at every step; in the collateral-bound branch the repay is `repayFor(held)`, rounded up. So
      // seizedValue ≤ maxValue always holds and the revert is a defence in depth that no input reaches. The abuse
      // suite checks the inequality on many prices and amounts.
      const f = await networkHelpers.loadFixture(liquidationFixture);
      const fragment = f.engine.interface.getError("SeizeAboveFloor");
      expect(fragment?.inputs.map((i) => `${i.type} ${i.name}`)).to.deep.equal([
        "uint256 seizedValue",
        "uint256 maxValue",
      ]);
      for (const share of [0n, wad("0.5"), WAD]) {
        for (const health of [0n, wad("0.5"), wad("0.9"), wad("0.999999")]) {
          const p = { ...DEFAULTS, minBonusShare: share, healthRamp: wad("0.01"), timeRamp: 60n };
          expect(incentive(wad("0.2"), health, 10n ** 9n, p)).to.be.lessThanOrEqual(wad("0.2"));
        }
      }
    });
  });
});
