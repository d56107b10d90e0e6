/**
 * Abuse cases of the liquidation engine. Each describe names an attack and each test fails if the protection against
 * it is removed: the protocol fee (self-liquidation), no callback to the borrower and a close limit recomputed at
 * execution (blocking), the liquidatability check (healthy accounts), the bonus cap and the floor (excess bonus), and
 * the rounding directions (farming).
 */
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { expect } from "chai";
import { MaxUint256 } from "ethers";
import type { AddressLike } from "ethers";
import { network } from "hardhat";
import type { NetworkConnection } from "hardhat/types/network";

import type { LiquidationEngine, MockERC20 } from "../../typechain-types/index.js";
import {
  incentive,
  liquidationFixture,
  liquidationState,
  lstFixture,
  modelQuote,
  readParams,
  readPosition,
} from "./helpers/liquidationModel.js";
import type { LiquidationFixture } from "./helpers/liquidationModel.js";
import { Reason, Status } from "./helpers/oracleAdapter.js";
import { WAD, YEAR, deployZeroRateModel, expectUnchanged, fundedMarketFixture, usd, wad } from "./helpers/vault.js";

const connection = await network.create();
const { ethers, networkHelpers } = connection;

/**
 * Net worth of `accounts` taken together, in USD × 1e36 (exact: no rounding anywhere): wallet USDC, WETH and WBTC,
 * plus collateral in the vault, minus debt, every token at its oracle `low` price.
 */
async function worth(f: LiquidationFixture, accounts: readonly AddressLike[]): Promise<bigint> {
  const base = (await f.oracle.getPrice(f.usdc)).low;
  let total = 0n;
  for (const account of accounts) {
    total += (await f.usdc.balanceOf(account)) * base * 10n ** 12n;
    total -= (await f.vault.debtOf(account)) * base * 10n ** 12n;
    for (const [token, scale] of [
      [f.weth, 1n],
      [f.wbtc, 10n ** 10n],
    ] as const) {
      const held = (await token.balanceOf(account)) + (await f.vault.collateralOf(account, token));
      total += held * (await f.oracle.getPrice(token)).low * scale;
    }
  }
  return total;
}

/** The LiquidationExecuted events of a mined transaction, decoded. */
async function executed(engine: LiquidationEngine, hash: string) {
  const receipt = await ethers.provider.getTransactionReceipt(hash);
  if (receipt === null) throw new Error("no receipt");
  const out: Array<{ repaid: bigint; seized: bigint; fee: bigint; bonus: bigint; health: bigint }> = [];
  for (const log of receipt.logs) {
    const parsed = engine.interface.parseLog(log);
    if (parsed?.name !== "LiquidationExecuted") continue;
    out.push({
      repaid: parsed.args.repaid,
      seized: parsed.args.seized,
      fee: parsed.args.fee,
      bonus: parsed.args.bonus,
      health: parsed.args.healthBefore,
    });
  }
  return out;
}

/** Sets `token`'s price to `usdPrice` (OK). */
async function price(f: LiquidationFixture, token: MockERC20, usdPrice: string): Promise<void> {
  await f.oracle.setPrice(token, wad(usdPrice));
}

interface BorrowerContractFixture extends LiquidationFixture {
  hostile: Awaited<ReturnType<typeof deployHostile>>;
}

async function deployHostile(connection_: NetworkConnection) {
  return connection_.ethers.deployContract("LiqRevertingBorrower");
}

/** The liquidation fixture plus a contract borrower that reverts on any call but its operator's: 10 WETH, 24,000. */
async function borrowerContractFixture(connection_: NetworkConnection): Promise<BorrowerContractFixture> {
  const f = await liquidationFixture(connection_);
  const hostile = await deployHostile(connection_);
  await f.weth.mint(hostile, wad("10"));
  const v = f.vault.interface;
  await hostile.execute(
    f.weth,
    f.weth.interface.encodeFunctionData("approve", [await f.vault.getAddress(), MaxUint256]),
  );
  await hostile.execute(
    f.vault,
    v.encodeFunctionData("depositCollateral", [await f.weth.getAddress(), wad("10"), await hostile.getAddress()]),
  );
  await hostile.execute(f.vault, v.encodeFunctionData("borrow", [usd("24000"), await hostile.getAddress()]));
  return { ...f, hostile };
}

interface ExactHealthFixture extends LiquidationFixture {
  carol: HardhatEthersSigner;
}

/** The liquidation fixture plus `attacker` as carol: 20 WETH, 34,000 USDC borrowed; at WETH $2000 her health is 1. */
async function exactHealthFixture(connection_: NetworkConnection): Promise<ExactHealthFixture> {
  const f = await liquidationFixture(connection_);
  await f.vault.connect(f.attacker).depositCollateral(f.weth, wad("20"), f.attacker.address);
  await f.vault.connect(f.attacker).borrow(usd("34000"), f.attacker.address);
  return { ...f, carol: f.attacker };
}

/**
 * A market whose borrow index is not a round number (a year of interest, then frozen at 0%), so scaled debt rounds:
 * `alice` posts 10 WETH and borrows 23,999 USDC at that index (24,000 would round above her limit).
 */
async function indexedFixture(connection_: NetworkConnection): Promise<LiquidationFixture> {
  const f = await fundedMarketFixture(connection_);
  await f.vault.connect(f.bob).depositCollateral(f.weth, wad("300"), f.bob.address);
  await f.vault.connect(f.bob).borrow(usd("500000"), f.bob.address);
  await connection_.networkHelpers.time.increase(Number(YEAR) + 17);
  await f.vault.connect(f.bob).repay(MaxUint256, f.bob.address);
  await f.vault.connect(f.owner).setInterestRateModel(await deployZeroRateModel(connection_.ethers));
  await f.vault.connect(f.alice).depositCollateral(f.weth, wad("10"), f.alice.address);
  await f.vault.connect(f.alice).borrow(usd("23999"), f.alice.address);
  return { ...f, victim: f.alice, keeper: f.bob };
}

describe("LiquidationEngine: abuse", function () {
  describe("(a) self-liquidation is never profitable", function () {
    for (const [name, usdPrice, maxRepay] of [
      ["just liquidatable, half the bonus", "2823.5", MaxUint256],
      ["partial to target", "2740", MaxUint256],
      ["small partial", "2740", usd("1000")],
      ["one unit", "2740", 1n],
      ["full close at the maximum bonus", "2532", MaxUint256],
    ] as const) {
      it(`the same signer as borrower and liquidator loses exactly the fee: ${name}`, async function () {
        const f = await networkHelpers.loadFixture(liquidationFixture);
        const { engine, weth, alice } = f;
        await price(f, weth, usdPrice);
        const before = await worth(f, [alice.address]);
        const tx = await engine.connect(alice).liquidate(alice.address, weth, maxRepay, alice.address);
        const [event] = await executed(engine, tx.hash);
        expect(event.fee).to.be.greaterThan(0n);
        expect(event.bonus).to.be.greaterThan(0n);
        const after = await worth(f, [alice.address]);
        expect(after).to.be.lessThan(before);
        expect(before - after).to.equal(event.fee * WAD * 10n ** 12n);
      });
    }

    it("through a second address the pair loses exactly the fee (and the bonus only moves between them)", async function () {
      const f = await networkHelpers.loadFixture(liquidationFixture);
      const { engine, weth, alice, bob } = f;
      await price(f, weth, "2600");
      const pair = [alice.address, bob.address];
      const before = await worth(f, pair);
      const aliceBefore = await worth(f, [alice.address]);
      const tx = await engine.connect(bob).liquidate(alice.address, weth, MaxUint256, bob.address);
      const [event] = await executed(engine, tx.hash);
      expect(before - (await worth(f, pair))).to.equal(event.fee * WAD * 10n ** 12n);
      // Alice alone lost the bonus on what was repaid; Bob gained it less the fee.
      const bonusValue = event.seized * wad("2600") - event.repaid * WAD * 10n ** 12n;
      expect(aliceBefore - (await worth(f, [alice.address]))).to.equal(bonusValue);
    });

    it("after a flag and waiting for the maximum bonus, it still costs the fee", async function () {
      const f = await networkHelpers.loadFixture(liquidationFixture);
      const { engine, weth, alice, bob } = f;
      await price(f, weth, "2740");
      await engine.connect(bob).flag(alice.address);
      await networkHelpers.time.increase(7200);
      const pair = [alice.address, bob.address];
      const before = await worth(f, pair);
      const tx = await engine.connect(bob).liquidate(alice.address, weth, MaxUint256, bob.address);
      const [event] = await executed(engine, tx.hash);
      expect(event.bonus).to.equal(wad("0.05"));
      expect(before - (await worth(f, pair))).to.equal(event.fee * WAD * 10n ** 12n);
    });

    it("many small self-liquidations each cost their fee", async function () {
      const f = await networkHelpers.loadFixture(liquidationFixture);
      const { engine, weth, alice } = f;
      await price(f, weth, "2740");
      let paid = 0n;
      const start = await worth(f, [alice.address]);
      for (let i = 0; i < 5; i++) {
        const tx = await engine.connect(alice).liquidate(alice.address, weth, usd("1000"), alice.address);
        const [event] = await executed(engine, tx.hash);
        paid += event.fee;
      }
      expect(start - (await worth(f, [alice.address]))).to.equal(paid * WAD * 10n ** 12n);
      expect(paid).to.be.greaterThan(0n);
    });

    // The combined value of borrower and liquidator changes by (debt written off − fee). Without the solvency cap on
    // the bonus, closing a solvent account in the collateral-bound regime (here $25,000 of collateral for 24,000 of
    // debt, health 0.885) took all of the collateral at the full 5% and wrote 190.48 off: self-liquidating left the
    // owner +71.43 better off (190.48 − 119.05 fee), paid by reserves. With the cap it costs the fee again.
    it("a solvent account in the collateral-bound regime: still exactly the fee, and no write-off", async function () {
      const f = await networkHelpers.loadFixture(liquidationFixture);
      const { vault, engine, weth, alice } = f;
      for (const usdPrice of ["2500", "2450", "2401"]) {
        await price(f, weth, usdPrice);
        const before = await worth(f, [alice.address]);
        const tx = await engine.connect(alice).liquidate(alice.address, weth, MaxUint256, alice.address);
        const [event] = await executed(engine, tx.hash);
        expect(await vault.badDebt(), usdPrice).to.equal(0n);
        expect(before - (await worth(f, [alice.address])), usdPrice).to.equal(event.fee * WAD * 10n ** 12n);
        // Borrow again for the next price.
        await price(f, weth, "3000");
        await vault
          .connect(alice)
          .depositCollateral(weth, wad("10") - (await vault.collateralOf(alice.address, weth)), alice.address);
        await vault.connect(alice).borrow(usd("24000"), alice.address);
      }
    });

    it("an insolvent account: the write-off is the loss that was already there, never more than debt − collateral", async function () {
      const f = await networkHelpers.loadFixture(liquidationFixture);
      const { vault, engine, weth, alice } = f;
      await price(f, weth, "2390"); // $23,900 for 24,000: 100 of the debt is lost whoever liquidates
      const before = await worth(f, [alice.address]);
      const tx = await engine.connect(alice).liquidate(alice.address, weth, MaxUint256, alice.address);
      const [event] = await executed(engine, tx.hash);
      const writtenOff = await vault.badDebt();
      // The owner gains the written-off debt less the fee; the bonus taken from itself nets out.
      expect((await worth(f, [alice.address])) - before).to.equal((writtenOff - event.fee) * WAD * 10n ** 12n);
      // Compared with repaying in full and withdrawing (it would owe 24,000 for $23,900: −100), self-liquidating
      // is worth writtenOff − fee − 100: the bonus it grants itself, beyond the certain loss, less the fee.
      expect(writtenOff).to.equal(usd("24000") - event.repaid);
    });
  });

  describe("(b) a borrower cannot block its own liquidation", function () {
    it("a contract borrower that reverts on any call is liquidated: nothing calls the borrower", async function () {
      const f = await networkHelpers.loadFixture(borrowerContractFixture);
      const { vault, lens, engine, weth, hostile, bob, alice } = f;
      // Positive control: the borrower really refuses calls.
      await expect(alice.sendTransaction({ to: await hostile.getAddress(), data: "0x12345678" }))
        .to.be.revertedWithCustomError(hostile, "NoCallsAccepted")
        .withArgs(alice.address);
      await expect(hostile.connect(alice).execute(vault, "0x"))
        .to.be.revertedWithCustomError(hostile, "NoCallsAccepted")
        .withArgs(alice.address);
      await price(f, weth, "2740");
      await expect(engine.connect(bob).liquidate(hostile, weth, MaxUint256, bob.address)).to.emit(
        engine,
        "LiquidationExecuted",
      );
      expect(await lens.healthFactor(vault, hostile)).to.be.greaterThanOrEqual(wad("1.05"));
      // The flash path, a batch and the write-off do not call it either.
      await price(f, weth, "2532");
      const [receiver] = [bob.address];
      await expect(
        engine
          .connect(bob)
          .liquidateBatch(
            [{ borrower: await hostile.getAddress(), collateral: await weth.getAddress(), maxRepay: usd("1000") }],
            receiver,
            "0x",
          ),
      ).to.emit(engine, "LiquidationExecuted");
      await price(f, weth, "5");
      await expect(engine.connect(bob).writeOff(hostile)).to.emit(vault, "BadDebtWrittenOff");
      expect(await vault.debtOf(hostile)).to.equal(0n);
    });

    /** Mines `first` and `second` in one block, `first` ahead (higher tip), and returns both receipts. */
    async function sameBlock(
      first: () => Promise<{ hash: string }>,
      second: () => Promise<{ hash: string }>,
    ): Promise<[number, number]> {
      await ethers.provider.send("evm_setAutomine", [false]);
      try {
        const a = await first();
        const b = await second();
        await networkHelpers.mine();
        const ra = await ethers.provider.getTransactionReceipt(a.hash);
        const rb = await ethers.provider.getTransactionReceipt(b.hash);
        if (ra === null || rb === null) throw new Error("not mined");
        expect(ra.blockNumber).to.equal(rb.blockNumber);
        expect(ra.index).to.be.lessThan(rb.index);
        return [ra.status ?? 0, rb.status ?? 0];
      } finally {
        await ethers.provider.send("evm_setAutomine", [true]);
      }
    }

    const fast = { gasLimit: 1_000_000n, maxFeePerGas: 100n * 10n ** 9n, maxPriorityFeePerGas: 50n * 10n ** 9n };
    const slow = { gasLimit: 1_000_000n, maxFeePerGas: 100n * 10n ** 9n, maxPriorityFeePerGas: 10n ** 9n };

    for (const [name, frontRun] of [
      ["repays 1 unit", (f: LiquidationFixture) => f.vault.connect(f.alice).repay(1n, f.alice.address, fast)],
      ["repays 100 USDC", (f: LiquidationFixture) => f.vault.connect(f.alice).repay(usd("100"), f.alice.address, fast)],
      [
        "adds a little collateral",
        (f: LiquidationFixture) =>
          f.vault.connect(f.alice).depositCollateral(f.weth, wad("0.01"), f.alice.address, fast),
      ],
      [
        "adds a satoshi of another collateral",
        (f: LiquidationFixture) => f.vault.connect(f.alice).depositCollateral(f.wbtc, 1n, f.alice.address, fast),
      ],
    ] as const) {
      it(`front-running: the borrower ${name} in the same block; maxRepay = MaxUint256 still liquidates`, async function () {
        for (const usdPrice of ["2740", "2532"]) {
          const f = await networkHelpers.loadFixture(liquidationFixture);
          const { vault, engine, weth, alice, bob } = f;
          await price(f, weth, usdPrice);
          const debt = await vault.debtOf(alice.address);
          const [first, second] = await sameBlock(
            () => frontRun(f),
            () => engine.connect(bob).liquidate(alice.address, weth, MaxUint256, bob.address, slow),
          );
          expect([first, second], usdPrice).to.deep.equal([1, 1]);
          expect(await vault.debtOf(alice.address)).to.be.lessThan(debt);
        }
      });
    }

    it("front-running a liquidation priced at exactly the previewed repay with a 1-unit repay does not revert it", async function () {
      for (const usdPrice of ["2740", "2532"]) {
        const f = await networkHelpers.loadFixture(liquidationFixture);
        const { engine, weth, alice, bob } = f;
        await price(f, weth, usdPrice);
        const preview = await engine.previewLiquidation(alice.address, weth, MaxUint256);
        const [first, second] = await sameBlock(
          () => f.vault.connect(alice).repay(1n, alice.address, fast),
          () => engine.connect(bob).liquidate(alice.address, weth, preview.repay, bob.address, slow),
        );
        expect([first, second], usdPrice).to.deep.equal([1, 1]);
      }
    });

    it("depositing dust of another collateral does not block a write-off: the dust goes with it", async function () {
      const f = await networkHelpers.loadFixture(liquidationFixture);
      const { vault, lens, engine, weth, wbtc, alice, bob } = f;
      await price(f, weth, "9"); // $90 of WETH
      await vault.connect(alice).depositCollateral(wbtc, 1n, alice.address);
      await vault.connect(alice).depositCollateral(wbtc, 16_000n, alice.address); // + $9.60 of WBTC: $99.6 in all
      await expect(engine.connect(bob).writeOff(alice.address))
        .to.emit(vault, "BadDebtWrittenOff")
        .withArgs(alice.address, usd("24000"), usd("1200"), usd("22800"));
      expect(await lens.protocolCollateral(vault, wbtc)).to.equal(16_001n);
      expect(await vault.collateralOf(alice.address, wbtc)).to.equal(0n);
      // The same dust does not block the liquidation path's write-off either.
      const g = await networkHelpers.loadFixture(liquidationFixture);
      await price(g, g.weth, "2300");
      await g.vault.connect(g.alice).depositCollateral(g.wbtc, 1n, g.alice.address);
      await expect(g.engine.connect(g.bob).liquidate(g.alice.address, g.weth, MaxUint256, g.bob.address)).to.emit(
        g.vault,
        "BadDebtWrittenOff",
      );
    });

    // A listed collateral whose price is FAILED makes every account that holds any of it unliquidatable
    // (PriceUnavailable), and depositCollateral reads no price. So once one asset's feed fails, any underwater
    // borrower can shield its whole account, other collateral included, by depositing 1 wei of that asset. The
    // engine could instead value a FAILED collateral at 0 and still liquidate the others (which only lowers health).
    it("1 wei of a collateral whose price is FAILED does not block the liquidation of the whole account", async function () {
      // Regression: any FAILED price in the position stopped its liquidation, so an underwater borrower could deposit
      // 1 wei of an asset whose feed had failed and shield the whole account. Such collateral now counts at the
      // oracle's ceiling (the adapter's max bound): 1 wei of WBTC at $60,000,000 is worth $0.60 and saves nothing.
      const f = await networkHelpers.loadFixture(liquidationFixture);
      const { vault, engine, oracle, weth, wbtc, alice, bob } = f;
      await price(f, weth, "2532");
      await oracle.setPriceCeiling(wbtc, wad("60000000"));
      await oracle.setPriceData(wbtc, 0n, 0n, Status.FAILED, Reason.FEED_REVERTED);
      await vault.connect(alice).depositCollateral(wbtc, 1n, alice.address);
      // The FAILED collateral itself is never seized...
      await expect(
        engine.connect(bob).liquidate(alice.address, wbtc, MaxUint256, bob.address),
      ).to.be.revertedWithCustomError(engine, "PriceUnavailable");
      // ...but the account is liquidated on the rest.
      await expect(engine.connect(bob).liquidate(alice.address, weth, MaxUint256, bob.address)).to.emit(
        engine,
        "LiquidationExecuted",
      );
    });

    it("collateral with a FAILED price that could cover the debt at its ceiling still protects an honest account", async function () {
      const f = await networkHelpers.loadFixture(liquidationFixture);
      const { vault, engine, oracle, weth, wbtc, alice, bob } = f;
      await price(f, weth, "2532");
      await vault.connect(alice).depositCollateral(wbtc, 10n ** 6n, alice.address); // 0.01 WBTC, $600,000 at the ceiling
      await oracle.setPriceCeiling(wbtc, wad("60000000"));
      await oracle.setPriceData(wbtc, 0n, 0n, Status.FAILED, Reason.FEED_REVERTED);
      await expect(
        engine.connect(bob).liquidate(alice.address, weth, MaxUint256, bob.address),
      ).to.be.revertedWithCustomError(engine, "NotLiquidatable");
      // Without a ceiling the price is simply unknown: no liquidation.
      await oracle.setPriceCeiling(wbtc, 0n);
      await expect(
        engine.connect(bob).liquidate(alice.address, weth, MaxUint256, bob.address),
      ).to.be.revertedWithCustomError(engine, "PriceUnavailable");
    });
  });

  describe("(c) healthy accounts cannot be liquidated, flagged or written off", function () {
    async function expectNotLiquidatable(f: LiquidationFixture, account: string, health: bigint): Promise<void> {
      const { engine, weth, bob } = f;
      await expectUnchanged(liquidationState(f), async () => {
        for (const call of [
          () => engine.connect(bob).liquidate(account, weth, MaxUint256, bob.address),
          () => engine.connect(bob).liquidate(account, weth, 1n, bob.address),
          () => engine.connect(bob).flashLiquidate(account, weth, MaxUint256, bob.address, "0x01"),
          () => engine.previewLiquidation(account, weth, MaxUint256),
          () => engine.connect(bob).flag(account),
          () => engine.connect(bob).writeOff(account),
        ]) {
          await expect(call()).to.be.revertedWithCustomError(engine, "NotLiquidatable").withArgs(account, health);
        }
        // A batch skips it and reports why.
        const reason = engine.interface.encodeErrorResult("NotLiquidatable", [account, health]);
        await expect(
          engine
            .connect(bob)
            .liquidateBatch(
              [{ borrower: account, collateral: await weth.getAddress(), maxRepay: MaxUint256 }],
              bob.address,
              "0x",
            ),
        )
          .to.emit(engine, "LiquidationSkipped")
          .withArgs(account, await weth.getAddress(), reason);
      });
    }

    it("health above 1", async function () {
      const f = await networkHelpers.loadFixture(liquidationFixture);
      await price(f, f.weth, "2900");
      const health = (await readPosition(f, f.alice.address)).health;
      expect(health).to.be.greaterThan(WAD);
      await expectNotLiquidatable(f, f.alice.address, health);
    });

    it("health exactly 1 (debt value equal to the liquidation limit); one wei of price less and it is liquidatable", async function () {
      const f = await networkHelpers.loadFixture(exactHealthFixture);
      const { engine, weth, carol } = f;
      await price(f, weth, "2000");
      const pos = await readPosition(f, carol.address);
      expect([pos.liquidationLimit, pos.debtValue, pos.health]).to.deep.equal([wad("34000"), wad("34000"), WAD]);
      expect(await f.lens.healthFactor(f.vault, carol.address)).to.equal(WAD);
      await expectNotLiquidatable(f, carol.address, WAD);
      await f.oracle.setPrice(weth, wad("2000") - 1n);
      await engine.flag(carol.address);
      expect(await engine.flaggedAt(carol.address)).to.not.equal(0n);
    });

    it("no debt: collateral only, even priced at dust, and no position at all", async function () {
      const f = await networkHelpers.loadFixture(liquidationFixture);
      const { vault, weth, lender, alice } = f;
      await vault.connect(lender).depositCollateral(weth, wad("1"), lender.address);
      await price(f, weth, "1");
      await expectNotLiquidatable(f, lender.address, MaxUint256);
      await vault.connect(alice).repay(MaxUint256, alice.address);
      await expectNotLiquidatable(f, alice.address, MaxUint256);
      await expectNotLiquidatable(f, f.owner.address, MaxUint256);
    });
  });

  describe("(d) a liquidator cannot take more than the maximum bonus", function () {
    /**
     * Liquidates with the given settings and checks, exactly (cross-multiplied, no rounding): seized value ≤ repaid
     * value × (1 + maxBonus) at the oracle's prices, and seized ≤ repay × baseHigh × (1 + bonus) / collateralLow with
     * the curve's bonus, which itself is ≤ maxBonus.
     */
    async function check(
      f: LiquidationFixture,
      account: HardhatEthersSigner,
      token: MockERC20,
      maxBonus: bigint,
      maxRepay: bigint,
    ): Promise<boolean> {
      const { engine, bob } = f;
      const pos = await readPosition(f, account.address);
      const asset = await token.getAddress();
      const holding = pos.holdings.find((h) => h.asset === asset);
      if (holding === undefined) throw new Error("no holding");
      const flagged = await engine.flaggedAt(account.address);
      const now = BigInt(await networkHelpers.time.latest()) + 1n;
      await networkHelpers.time.setNextBlockTimestamp(now);
      if (pos.health >= WAD) {
        // Healthy on the liquidation side (a doubted price's bounds that favour the borrower): never liquidated.
        await expect(
          engine.connect(bob).liquidate(account.address, token, maxRepay, bob.address),
        ).to.be.revertedWithCustomError(engine, "NotLiquidatable");
        return false;
      }
      const model = modelQuote(pos, asset, maxRepay, flagged === 0n ? 0n : now - flagged, await readParams(engine));
      if (model.error !== undefined) {
        await expect(engine.connect(bob).liquidate(account.address, token, maxRepay, bob.address)).to.be.revert(ethers);
        return false;
      }
      const tx = await engine.connect(bob).liquidate(account.address, token, maxRepay, bob.address);
      const [e] = await executed(engine, tx.hash);
      const scale = 10n ** holding.decimals;
      const baseScale = 10n ** pos.baseDecimals;
      // At the engine's prices (collateral at its high, the base at its low): seize × high / 10^dec ≤ repay × low /
      // 10^6 × (1 + maxBonus), so at any price inside the doubt the liquidator takes no more than the bonus.
      expect(e.seized * holding.high * baseScale * WAD).to.be.lessThanOrEqual(
        e.repaid * pos.baseLow * scale * (WAD + maxBonus),
      );
      // seize ≤ repay × low × (1 + bonus) / high, unrounded
      expect(e.seized * holding.high * baseScale * WAD).to.be.lessThanOrEqual(
        e.repaid * pos.baseLow * scale * (WAD + e.bonus),
      );
      expect(e.bonus).to.be.lessThanOrEqual(maxBonus);
      expect(e.seized).to.equal(model.seize);
      expect(e.repaid).to.equal(model.repay);
      return true;
    }

    it("for many prices, amounts, statuses and flag ages, on WETH and WBTC", async function () {
      this.timeout(120_000);
      let liquidations = 0;
      const wethPrices = ["2823", "2740", "2600", "2541", "2450", "2000", "1000"];
      const wbtcPrices = ["56000", "52000", "48000", "30000"];
      const amounts = [1n, usd("7.77"), usd("1000"), usd("15000"), MaxUint256];
      for (const spread of [0n, wad("0.02")]) {
        for (const age of [0, 600, 100_000]) {
          for (const usdPrice of wethPrices) {
            for (const maxRepay of amounts) {
              const f = await networkHelpers.loadFixture(liquidationFixture);
              const p = wad(usdPrice);
              const low = p - (p * spread) / WAD;
              await f.oracle.setPriceData(
                f.weth,
                low,
                p,
                spread === 0n ? Status.OK : Status.DEGRADED,
                spread === 0n ? Reason.NONE : Reason.SOURCES_DISAGREE,
              );
              if (age !== 0) {
                if (await f.vault.isLiquidatable(f.alice.address)) await f.engine.flag(f.alice.address);
                await networkHelpers.time.increase(age);
              }
              if (await check(f, f.alice, f.weth, wad("0.05"), maxRepay)) liquidations++;
            }
          }
          for (const usdPrice of wbtcPrices) {
            for (const maxRepay of amounts) {
              const f = await networkHelpers.loadFixture(liquidationFixture);
              await f.vault.connect(f.borrower).depositCollateral(f.wbtc, 10n ** 8n, f.borrower.address);
              await f.vault.connect(f.borrower).borrow(usd("43800"), f.borrower.address);
              const p = wad(usdPrice);
              await f.oracle.setPriceData(
                f.wbtc,
                p - (p * spread) / WAD,
                p,
                spread === 0n ? Status.OK : Status.DEGRADED,
                Reason.NONE,
              );
              await f.oracle.setPriceData(
                f.usdc,
                WAD - spread / 2n,
                WAD + spread / 2n,
                spread === 0n ? Status.OK : Status.DEGRADED,
                Reason.NONE,
              );
              if (age !== 0) {
                if (await f.vault.isLiquidatable(f.borrower.address)) await f.engine.flag(f.borrower.address);
                await networkHelpers.time.increase(age);
              }
              if (await check(f, f.borrower, f.wbtc, wad("0.065"), maxRepay)) liquidations++;
            }
          }
        }
      }
      expect(liquidations).to.be.greaterThan(150);
    });

    it("on a 10%-bonus collateral next to another, at every flag age", async function () {
      for (const age of [0, 900, 86_400 * 30]) {
        for (const [wethPrice, lstPrice] of [
          ["2780", "980"],
          ["2700", "900"],
          ["2000", "600"],
        ]) {
          const f = await networkHelpers.loadFixture(lstFixture);
          await price(f, f.weth, wethPrice);
          await price(f, f.lst, lstPrice);
          if (age !== 0) {
            await f.engine.flag(f.carol.address);
            await networkHelpers.time.increase(age);
          }
          expect(await check(f, f.carol, f.lst, wad("0.1"), MaxUint256)).to.equal(true);
        }
      }
    });

    it("the bonus after any wait is at most the maximum (a long-flagged account)", async function () {
      const f = await networkHelpers.loadFixture(liquidationFixture);
      const { engine, weth, alice } = f;
      await price(f, weth, "2823");
      await engine.flag(alice.address);
      await networkHelpers.time.increase(86_400 * 365);
      const q = await engine.previewLiquidation(alice.address, weth, MaxUint256);
      expect(q.bonus).to.equal(wad("0.05"));
      expect(incentive(wad("0.05"), q.health, 86_400n * 365n, await readParams(engine))).to.equal(wad("0.05"));
    });
  });

  describe("(e) rounding cannot be farmed", function () {
    /** Runs `orders` × maxRepay `unit` as one batch at time `at`; returns the liquidator's events. */
    async function batchAt(f: LiquidationFixture, at: bigint, orders: number, unit: bigint) {
      const { engine, weth, alice, bob } = f;
      const order = { borrower: alice.address, collateral: await weth.getAddress(), maxRepay: unit };
      await networkHelpers.time.setNextBlockTimestamp(at);
      const tx = await engine.connect(bob).liquidateBatch(Array(orders).fill(order), bob.address, "0x");
      return executed(engine, tx.hash);
    }

    it("40 liquidations of 1 unit, which would remove no debt at this borrow index, are all refused", async function () {
      // Regression (npm run fuzz, seed 0x5eed4): the vault burns scaled debt rounded down, so 1 unit repaid at an index
      // above 1 removes no debt; such a liquidation used to seize collateral anyway.
      const f = await networkHelpers.loadFixture(indexedFixture);
      const { vault, engine, weth, alice, bob } = f;
      expect(await vault.borrowIndex()).to.be.greaterThan(10n ** 27n);
      await price(f, weth, "2740");
      const order = { borrower: alice.address, collateral: await weth.getAddress(), maxRepay: 1n };
      const reason = engine.interface.encodeErrorResult("LiquidationTooSmall", [1n, 0n]);
      await expectUnchanged(liquidationState(f), async () => {
        const tx = engine.connect(bob).liquidateBatch(Array(40).fill(order), bob.address, "0x");
        await expect(tx).to.emit(engine, "LiquidationSkipped").withArgs(alice.address, order.collateral, reason);
        await expect(tx).not.to.emit(engine, "LiquidationExecuted");
      });
    });

    for (const unit of [10n, 1000n, usd("1")]) {
      it(`40 liquidations of ${unit} units get no more collateral per unit repaid than one of the same total`, async function () {
        const f = await networkHelpers.loadFixture(indexedFixture);
        const { vault, engine, usdc, weth, alice, bob } = f;
        expect(await vault.borrowIndex()).to.not.equal(10n ** 27n);
        await price(f, weth, "2740");
        const at = BigInt(await networkHelpers.time.latest()) + 10n;
        const snapshot = await networkHelpers.takeSnapshot();

        const debtBefore = await vault.debtOf(alice.address);
        const baseBefore = await usdc.balanceOf(bob.address);
        const events = await batchAt(f, at, 40, unit);
        expect(events.length).to.equal(40);
        let repaid = 0n;
        let seized = 0n;
        let fees = 0n;
        for (const e of events) {
          expect(e.repaid).to.equal(unit);
          expect(e.fee).to.be.greaterThanOrEqual(1n);
          repaid += e.repaid;
          seized += e.seized;
          fees += e.fee;
        }
        expect(baseBefore - (await usdc.balanceOf(bob.address))).to.equal(repaid + fees);
        // The debt went down by no more than was repaid.
        expect(debtBefore - (await vault.debtOf(alice.address))).to.be.lessThanOrEqual(repaid);

        await snapshot.restore();
        await networkHelpers.time.setNextBlockTimestamp(at);
        const tx = await engine.connect(bob).liquidate(alice.address, weth, repaid, bob.address);
        const [one] = await executed(engine, tx.hash);
        expect(one.repaid).to.equal(repaid);
        // seized / repaid ≤ one.seized / one.repaid…
        expect(seized * one.repaid).to.be.lessThanOrEqual(one.seized * repaid);
        // …and the liquidator's net gain (collateral value − base paid, USD × 1e36) is no larger.
        const gain = (s: bigint, paid: bigint): bigint => s * wad("2740") - paid * WAD * 10n ** 12n;
        expect(gain(seized, repaid + fees)).to.be.lessThanOrEqual(gain(one.seized, one.repaid + one.fee));
      });
    }

    it("small liquidations in separate transactions: each pays a fee, gets less than it pays, removes debt", async function () {
      const f = await networkHelpers.loadFixture(indexedFixture);
      const { vault, engine, weth, alice, bob } = f;
      await price(f, weth, "2740");
      for (let i = 0; i < 10; i++) {
        const debt = await vault.debtOf(alice.address);
        const tx = await engine.connect(bob).liquidate(alice.address, weth, 3n, bob.address);
        const [e] = await executed(engine, tx.hash);
        expect([e.repaid, e.fee]).to.deep.equal([3n, 1n]);
        const cut = debt - (await vault.debtOf(alice.address));
        expect(cut).to.be.lessThanOrEqual(3n);
        expect(cut).to.be.greaterThanOrEqual(1n);
        // Collateral received is worth less than the 4 units paid, and no more than the debt removed × (1 + bonus).
        expect(e.seized * wad("2740")).to.be.lessThan(4n * WAD * 10n ** 12n);
        expect(e.seized * wad("2740")).to.be.lessThanOrEqual(cut * 10n ** 12n * (WAD + e.bonus));
      }
    });

    it("the smallest liquidation that seizes a WBTC satoshi pays at least the satoshi's price, bonus aside", async function () {
      const f = await networkHelpers.loadFixture(liquidationFixture);
      const { vault, engine, wbtc, borrower, bob } = f;
      await vault.connect(borrower).depositCollateral(wbtc, 10n ** 8n, borrower.address);
      await vault.connect(borrower).borrow(usd("43800"), borrower.address);
      await price(f, wbtc, "56000");
      // 1 sat = $0.00056: find the smallest repay (in base units) that earns it.
      const pos = await readPosition(f, borrower.address);
      const asset = await wbtc.getAddress();
      let unit = 1n;
      while (modelQuote(pos, asset, unit).error === "LiquidationTooSmall") unit++;
      expect(unit).to.be.greaterThan(500n);
      await expect(engine.connect(bob).liquidate(borrower.address, wbtc, unit - 1n, bob.address))
        .to.be.revertedWithCustomError(engine, "LiquidationTooSmall")
        .withArgs(unit - 1n, 0n);
      const tx = await engine.connect(bob).liquidate(borrower.address, wbtc, unit, bob.address);
      const [e] = await executed(engine, tx.hash);
      expect([e.repaid, e.seized]).to.deep.equal([unit, 1n]);
      // 1 sat × $56,000 / 1e8 ≤ repay × $1 / 1e6 × (1 + bonus), exactly.
      expect(wad("56000") * 10n ** 6n * WAD).to.be.lessThanOrEqual(e.repaid * WAD * 10n ** 8n * (WAD + e.bonus));
      expect(e.fee).to.be.greaterThanOrEqual(1n);
    });
  });
});
