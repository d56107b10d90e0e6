import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { anyValue } from "@nomicfoundation/hardhat-ethers-chai-matchers/withArgs";
import { expect } from "chai";
import { AbiCoder, MaxUint256, ZeroAddress } from "ethers";
import type { AddressLike, ContractTransactionReceipt } from "ethers";
import { network } from "hardhat";
import type { NetworkConnection } from "hardhat/types/network";

import { deployUniswapV3Factory, isqrt, spotPriceWad, sqrtPriceX96For } from "./helpers/uniswap.js";
import {
  deployZeroRateModel,
  expectUnchanged,
  fundedMarketFixture,
  marketState,
  usd,
  wad,
  WAD,
} from "./helpers/vault.js";
import type { MarketFixture } from "./helpers/vault.js";
import type {
  FlashTestReceiver,
  ITestUniswapV3Factory,
  ITestUniswapV3Pool,
  MockERC20,
  UniswapV3Actor,
  UniswapV3FlashLiquidator,
} from "../../typechain-types/index.js";

const connection = await network.create();
const { ethers, networkHelpers } = connection;

const coder = AbiCoder.defaultAbiCoder();
/** The callback data UniswapV3FlashLiquidator passes through the engine: its minimum profit. */
const minProfitData = (minProfit: bigint): string => coder.encode(["uint256"], [minProfit]);

/** WETH's oracle price once the borrowers below are unhealthy; the pools are seeded at it. */
const CRASH_PRICE = wad("2700");
/** Widest ticks usable at each fee tier (multiples of its tick spacing inside ±887272). */
const FULL_RANGE_0_3 = 887220; // fee 3000, spacing 60
const FULL_RANGE_0_05 = 887270; // fee 500, spacing 10
/** The liquidator's swap limits (Uniswap's MIN_SQRT_RATIO + 1 and MAX_SQRT_RATIO − 1). */
const MIN_SQRT_RATIO_PLUS_ONE = 4295128740n;
const MAX_SQRT_RATIO_MINUS_ONE = 1461446703485210103287273052203988822378723970341n;

interface FlashFixture extends MarketFixture {
  keeper: HardhatEthersSigner;
  carol: HardhatEthersSigner;
  dave: HardhatEthersSigner;
  factory: ITestUniswapV3Factory;
  /** Deep WETH/USDC 0.3% pool: 10,000 WETH and 27,000,000 USDC full range at $2700. */
  pool: ITestUniswapV3Pool;
  /** Thin WETH/USDC 0.05% pool: 20 WETH and 54,000 USDC full range at $2700. */
  shallowPool: ITestUniswapV3Pool;
  wethIsToken0: boolean;
  /** Liquidity provider of both pools, holding plenty of both tokens (also used to simulate sales). */
  lp: UniswapV3Actor;
  liquidator: UniswapV3FlashLiquidator;
}

/** Creates and seeds a real WETH/USDC pool at CRASH_PRICE with full-range `liquidity`. */
async function seedPool(
  { ethers: e }: NetworkConnection,
  factory: ITestUniswapV3Factory,
  weth: MockERC20,
  usdc: MockERC20,
  lp: UniswapV3Actor,
  fee: number,
  range: number,
  liquidity: bigint,
): Promise<ITestUniswapV3Pool> {
  await factory.createPool(weth, usdc, fee);
  const pool = await e.getContractAt("ITestUniswapV3Pool", await factory.getPool(weth, usdc, fee));
  const wethIsToken0 = (await pool.token0()) === (await weth.getAddress());
  await pool.initialize(sqrtPriceX96For(CRASH_PRICE, wethIsToken0, 18, 6));
  await lp.mint(pool, -range, range, liquidity);
  return pool;
}

/**
 * The funded market (1,000,000 USDC lent) with interest frozen (zero-rate model, so amounts are exact), four WETH
 * borrowers opened at $3000 and then WETH marked down to $2700:
 * borrower 10 WETH / 24,000 USDC (HF ≈ 0.956), alice 8 / 19,000 (≈ 0.966), bob 12 / 28,000 (≈ 0.984) — unhealthy;
 * carol 10 / 15,000 (≈ 1.53) — healthy; dave 1 WBTC / 43,000 (≈ 1.09 at $60,000) — healthy.
 * A real Uniswap v3 factory with a deep and a shallow WETH/USDC pool at $2700, and the keeper's
 * UniswapV3FlashLiquidator (owned by `keeper`, who holds no USDC) selling WETH in the deep pool.
 */
async function flashFixture(c: NetworkConnection): Promise<FlashFixture> {
  const f = await fundedMarketFixture(c);
  const e = c.ethers;
  const signers = await e.getSigners();
  const [keeper, carol, dave] = [signers[6], signers[7], signers[8]];
  await f.vault.connect(f.owner).setInterestRateModel(await deployZeroRateModel(e));

  const open = async (who: HardhatEthersSigner, token: MockERC20, amount: bigint, debt: string) => {
    await token.mint(who.address, amount);
    await token.connect(who).approve(f.vault, MaxUint256);
    await f.vault.connect(who).depositCollateral(token, amount, who.address);
    await f.vault.connect(who).borrow(usd(debt), who.address);
  };
  await open(f.borrower, f.weth, wad("10"), "24000");
  await open(f.alice, f.weth, wad("8"), "19000");
  await open(f.bob, f.weth, wad("12"), "28000");
  await open(carol, f.weth, wad("10"), "15000");
  await open(dave, f.wbtc, 10n ** 8n, "43000");
  await f.oracle.setPrice(f.weth, CRASH_PRICE);

  const factory = await deployUniswapV3Factory(e, f.owner);
  const lp = await e.deployContract("UniswapV3Actor");
  await f.weth.mint(lp, wad("1000000"));
  await f.usdc.mint(lp, usd("1000000000"));
  // Full-range liquidity L = √(WETH units × USDC units) at the pool price.
  const pool = await seedPool(
    c,
    factory,
    f.weth,
    f.usdc,
    lp,
    3000,
    FULL_RANGE_0_3,
    isqrt(wad("10000") * usd("27000000")),
  );
  const shallowPool = await seedPool(
    c,
    factory,
    f.weth,
    f.usdc,
    lp,
    500,
    FULL_RANGE_0_05,
    isqrt(wad("20") * usd("54000")),
  );
  const wethIsToken0 = (await pool.token0()) === (await f.weth.getAddress());

  const liquidator = await e.deployContract(
    "UniswapV3FlashLiquidator",
    [f.engine, f.vault, f.usdc, keeper.address],
    keeper,
  );
  await liquidator.connect(keeper).setPool(f.weth, pool);
  return { ...f, keeper, carol, dave, factory, pool, shallowPool, wethIsToken0, lp, liquidator };
}

/**
 * Everything a liquidation could change: the vault and its actors (marketState), the other accounts, the balances
 * of the liquidator, the pools and `extra` holders, both pools' prices, flags, provisions and bad debt.
 */
function flashState(f: FlashFixture, extra: readonly AddressLike[] = []): () => Promise<unknown> {
  const market = marketState(f);
  return async () => {
    const holders = [f.liquidator, f.pool, f.shallowPool, f.carol, f.dave, f.keeper, ...extra];
    const balances: bigint[][] = [];
    for (const h of holders) {
      balances.push([await f.usdc.balanceOf(h), await f.weth.balanceOf(h), await f.wbtc.balanceOf(h)]);
    }
    const accounts = [f.borrower, f.alice, f.bob, f.carol, f.dave];
    const perAccount: bigint[][] = [];
    for (const a of accounts) {
      perAccount.push([
        await f.vault.debtOf(a),
        await f.vault.collateralOf(a, f.weth),
        await f.vault.collateralOf(a, f.wbtc),
        await f.engine.flaggedAt(a),
        await f.lens.provisionOf(f.vault, a),
      ]);
    }
    const [deepSqrt, deepTick] = await f.pool.slot0();
    const [shallowSqrt, shallowTick] = await f.shallowPool.slot0();
    return {
      market: await market(),
      balances,
      perAccount,
      pools: [deepSqrt, deepTick, shallowSqrt, shallowTick],
      badDebt: await f.vault.badDebt(),
      totalProvision: await f.lens.totalProvision(f.vault),
    };
  };
}

/** USDC the pool would pay for `amount` WETH right now (simulated with the LP's actor, nothing sent). */
async function quoteSale(f: FlashFixture, pool: ITestUniswapV3Pool, amount: bigint): Promise<bigint> {
  const zeroForOne = f.wethIsToken0;
  const limit = zeroForOne ? MIN_SQRT_RATIO_PLUS_ONE : MAX_SQRT_RATIO_MINUS_ONE;
  const [amount0, amount1] = await f.lp.swap.staticCall(pool, zeroForOne, amount, limit);
  return -(zeroForOne ? amount1 : amount0);
}

/** The first event named `name` that `contract` emitted in `receipt`, parsed. */
function eventsOf(
  contract: { interface: UniswapV3FlashLiquidator["interface"] } | { interface: FlashFixture["engine"]["interface"] },
  receipt: ContractTransactionReceipt,
  name: string,
) {
  const out = [];
  for (const log of receipt.logs) {
    const parsed = contract.interface.parseLog(log);
    if (parsed !== null && parsed.name === name) out.push(parsed);
  }
  return out;
}

const REENTRANCY = "ReentrancyGuardReentrantCall";

describe("Flash liquidation: UniswapV3FlashLiquidator on a real Uniswap v3 pool", function () {
  describe("liquidating with no capital", function () {
    it("a keeper holding zero USDC liquidates an unhealthy account, reserves get the fee, the keeper the profit", async function () {
      const f = await networkHelpers.loadFixture(flashFixture);
      const { vault, lens, engine, liquidator, usdc, weth, pool, keeper, borrower } = f;
      expect(await usdc.balanceOf(keeper)).to.equal(0n);
      expect(await usdc.balanceOf(liquidator)).to.equal(0n);

      const q = await engine.previewLiquidation(borrower, weth, MaxUint256);
      expect(q.health).to.be.lessThan(WAD);
      expect(q.fee).to.be.greaterThan(0n);
      const debtBefore = await vault.debtOf(borrower);
      const heldBefore = await vault.collateralOf(borrower, weth);
      const reservesBefore = await vault.reserves();
      const cashBefore = await vault.cash();
      const spotBefore = await spotPriceWad(pool, f.wethIsToken0, 18, 6);
      const poolWethBefore = await weth.balanceOf(pool);
      const received = await quoteSale(f, pool, q.seize);
      const owed = q.repay + q.fee;
      expect(received).to.be.greaterThan(owed);

      const tx = liquidator.connect(keeper).liquidate(borrower, weth, MaxUint256, 0n);
      await expect(tx)
        .to.emit(engine, "LiquidationExecuted")
        .withArgs(borrower.address, weth, liquidator, q.repay, q.seize, q.fee, q.bonus, q.health);
      await expect(tx).to.emit(liquidator, "CollateralSold").withArgs(weth, q.seize, received, owed);
      await expect(tx)
        .to.emit(vault, "Liquidated")
        .withArgs(borrower.address, weth, liquidator, liquidator, q.repay, q.seize, q.fee);

      // The vault: debt down by exactly the repayment, collateral out, repay + fee in, the fee into reserves.
      expect(await vault.debtOf(borrower)).to.equal(debtBefore - q.repay);
      expect(await vault.collateralOf(borrower, weth)).to.equal(heldBefore - q.seize);
      expect(await vault.cash()).to.equal(cashBefore + owed);
      expect(await vault.reserves()).to.equal(reservesBefore + q.fee);
      expect(await lens.healthFactor(vault, borrower)).to.be.greaterThanOrEqual(WAD);
      // A real swap: the pool took all the seized WETH and its price fell.
      expect(await weth.balanceOf(pool)).to.equal(poolWethBefore + q.seize);
      expect(await spotPriceWad(pool, f.wethIsToken0, 18, 6)).to.be.lessThan(spotBefore);
      expect(await weth.balanceOf(liquidator)).to.equal(0n);

      // The profit stays in the keeper contract until its owner sweeps it.
      const profit = received - owed;
      expect(await usdc.balanceOf(liquidator)).to.equal(profit);
      await expect(liquidator.connect(keeper).sweep(usdc, keeper.address, profit))
        .to.emit(liquidator, "Swept")
        .withArgs(usdc, keeper.address, profit);
      expect(await usdc.balanceOf(keeper)).to.equal(profit);
      expect(await usdc.balanceOf(liquidator)).to.equal(0n);
    });

    it("liquidateBatch flash-liquidates several accounts in one transaction, skipping a healthy one", async function () {
      const f = await networkHelpers.loadFixture(flashFixture);
      const { vault, lens, engine, liquidator, usdc, weth, pool, keeper } = f;
      const accounts = [f.borrower, f.alice, f.carol, f.bob];
      const orders = accounts.map((a) => ({ borrower: a.address, collateral: weth, maxRepay: MaxUint256 }));
      const debts = await Promise.all(accounts.map((a) => vault.debtOf(a)));
      const reservesBefore = await vault.reserves();
      const spotBefore = await spotPriceWad(pool, f.wethIsToken0, 18, 6);

      const [quotes, succeeded] = await liquidator.connect(keeper).liquidateBatch.staticCall(orders, 0n);
      expect([...succeeded]).to.deep.equal([true, true, false, true]);
      const receipt = await (await liquidator.connect(keeper).liquidateBatch(orders, 0n)).wait();
      if (receipt === null) throw new Error("no receipt");

      const executed = eventsOf(engine, receipt, "LiquidationExecuted");
      expect(executed.map((e) => e.args.borrower)).to.deep.equal([f.borrower.address, f.alice.address, f.bob.address]);
      const skipped = eventsOf(engine, receipt, "LiquidationSkipped");
      expect(skipped).to.have.length(1);
      expect(skipped[0].args.borrower).to.equal(f.carol.address);
      expect(engine.interface.parseError(skipped[0].args.reason)?.name).to.equal("NotLiquidatable");

      let fees = 0n;
      let owedTotal = 0n;
      for (const [i, a] of accounts.entries()) {
        const repaid = succeeded[i] ? quotes[i].repay : 0n;
        expect(await vault.debtOf(a)).to.equal(debts[i] - repaid);
        expect(await lens.healthFactor(vault, a)).to.be.greaterThanOrEqual(WAD);
        fees += quotes[i].fee;
        owedTotal += quotes[i].repay + quotes[i].fee;
      }
      expect(await vault.reserves()).to.equal(reservesBefore + fees);
      const sales = eventsOf(liquidator, receipt, "CollateralSold");
      expect(sales).to.have.length(3);
      const received = sales.reduce((sum, s) => sum + (s.args.received as bigint), 0n);
      expect(await usdc.balanceOf(liquidator)).to.equal(received - owedTotal);
      expect(received - owedTotal).to.be.greaterThan(0n);
      expect(await weth.balanceOf(liquidator)).to.equal(0n);
      expect(await spotPriceWad(pool, f.wethIsToken0, 18, 6)).to.be.lessThan(spotBefore);
    });
  });

  describe("unprofitable sales revert and change nothing", function () {
    it("minProfit one unit above what the sale earns reverts Unprofitable; exactly that profit goes through", async function () {
      const f = await networkHelpers.loadFixture(flashFixture);
      const { engine, liquidator, usdc, weth, pool, keeper, borrower } = f;
      const q = await engine.previewLiquidation(borrower, weth, MaxUint256);
      const owed = q.repay + q.fee;
      const received = await quoteSale(f, pool, q.seize);
      const profit = received - owed;
      expect(profit).to.be.greaterThan(0n);

      await expectUnchanged(flashState(f), async () => {
        await expect(liquidator.connect(keeper).liquidate(borrower, weth, MaxUint256, profit + 1n))
          .to.be.revertedWithCustomError(liquidator, "Unprofitable")
          .withArgs(received, owed + profit + 1n);
        await expect(
          liquidator.connect(keeper).liquidate(borrower, weth, MaxUint256, usd("1000000")),
        ).to.be.revertedWithCustomError(liquidator, "Unprofitable");
      });
      await liquidator.connect(keeper).liquidate(borrower, weth, MaxUint256, profit);
      expect(await usdc.balanceOf(liquidator)).to.equal(profit);
    });

    it("a batch whose minProfit is out of reach skips every order and changes nothing", async function () {
      const f = await networkHelpers.loadFixture(flashFixture);
      const { engine, liquidator, weth, keeper } = f;
      const orders = [f.borrower, f.alice, f.bob].map((a) => ({
        borrower: a.address,
        collateral: weth,
        maxRepay: MaxUint256,
      }));
      await expectUnchanged(flashState(f), async () => {
        const [, succeeded] = await liquidator.connect(keeper).liquidateBatch.staticCall(orders, usd("1000000"));
        expect([...succeeded]).to.deep.equal([false, false, false]);
        const receipt = await (await liquidator.connect(keeper).liquidateBatch(orders, usd("1000000"))).wait();
        if (receipt === null) throw new Error("no receipt");
        const skipped = eventsOf(engine, receipt, "LiquidationSkipped");
        expect(skipped).to.have.length(3);
        for (const s of skipped) {
          expect(liquidator.interface.parseError(s.args.reason)?.name).to.equal("Unprofitable");
        }
      });
    });

    it("a shallow pool whose slippage exceeds the bonus reverts Unprofitable, even with minProfit 0", async function () {
      const f = await networkHelpers.loadFixture(flashFixture);
      const { engine, liquidator, weth, keeper, borrower, shallowPool } = f;
      await liquidator.connect(keeper).setPool(weth, shallowPool);
      const q = await engine.previewLiquidation(borrower, weth, MaxUint256);
      const owed = q.repay + q.fee;
      const received = await quoteSale(f, shallowPool, q.seize);
      // The sale loses more than the bonus: it pays less than the repaid debt, let alone debt plus fee.
      const seizedValue = (q.seize * CRASH_PRICE) / WAD / 10n ** 12n;
      expect((seizedValue - received) * WAD).to.be.greaterThan(q.bonus * received);
      expect(received).to.be.lessThan(owed);

      await expectUnchanged(flashState(f), async () => {
        await expect(liquidator.connect(keeper).liquidate(borrower, weth, MaxUint256, 0n))
          .to.be.revertedWithCustomError(liquidator, "Unprofitable")
          .withArgs(received, owed);
      });
    });
  });

  describe("the oracle floor on the sale (issue 19, property 11)", function () {
    /**
     * The borrower flagged and its time ramp run out (bonus 5%), so the debt owed is about 95.7% of the seized WETH's
     * oracle value: a sandwich could push the pool down almost 4.3% and the sale would still cover the debt. The floor
     * is the oracle value less SALE_TOLERANCE (4%).
     */
    async function sandwichFixture(c: NetworkConnection) {
      const f = await flashFixture(c);
      await f.engine.flag(f.borrower.address);
      await c.networkHelpers.time.increase(3600);
      const q = await f.engine.previewLiquidation(f.borrower, f.weth, MaxUint256);
      const owed = q.repay + q.fee;
      const tolerance = await f.liquidator.SALE_TOLERANCE();
      const value = (q.seize * CRASH_PRICE) / WAD / 10n ** 12n; // USDC units
      const floor = (value * (WAD - tolerance)) / WAD;
      return { ...f, q, owed, floor };
    }

    /** The attacker's front-run: sells WETH into the deep pool until a sale of `seize` would pay about `target`. */
    async function pushPoolTo(f: FlashFixture, seize: bigint, target: bigint): Promise<void> {
      let [lo, hi] = [0n, wad("2000")];
      const limit = f.wethIsToken0 ? MIN_SQRT_RATIO_PLUS_ONE : MAX_SQRT_RATIO_MINUS_ONE;
      for (let i = 0; i < 40; i++) {
        const mid = (lo + hi) / 2n;
        const snapshot = await networkHelpers.takeSnapshot();
        await f.lp.swap(f.pool, f.wethIsToken0, mid, limit);
        const quote = await quoteSale(f, f.pool, seize);
        await snapshot.restore();
        if (quote > target) lo = mid;
        else hi = mid;
      }
      await f.lp.swap(f.pool, f.wethIsToken0, lo, limit);
    }

    it("a sandwich that leaves the sale above the debt but below the floor reverts SaleBelowOracle; nothing moves", async function () {
      const f = await networkHelpers.loadFixture(sandwichFixture);
      const { liquidator, keeper, borrower, weth, q, owed, floor } = f;
      expect(q.bonus).to.equal(wad("0.05"));
      expect(owed).to.be.lessThan(floor); // the band a sandwich used to have: sales that cover the debt, below the floor
      await pushPoolTo(f, q.seize, (owed + floor) / 2n);
      const received = await quoteSale(f, f.pool, q.seize);
      expect(received).to.be.greaterThan(owed);
      expect(received).to.be.lessThan(floor);
      await expectUnchanged(flashState(f), async () => {
        await expect(liquidator.connect(keeper).liquidate(borrower, weth, MaxUint256, 0n))
          .to.be.revertedWithCustomError(liquidator, "SaleBelowOracle")
          .withArgs(received, (v: bigint) => v >= floor - 1n && v <= floor);
      });
      // The upkeep's path, a batch with minProfit 0, skips it for the same reason.
      const order = { borrower: borrower.address, collateral: await weth.getAddress(), maxRepay: MaxUint256 };
      const receipt = await (await liquidator.connect(keeper).liquidateBatch([order], 0n)).wait();
      const skipped = eventsOf(f.engine, receipt!, "LiquidationSkipped");
      expect(skipped).to.have.length(1);
      expect(liquidator.interface.parseError(skipped[0].args.reason)?.name).to.equal("SaleBelowOracle");
    });

    it("a sale within the tolerance goes through, at a price the pool gives", async function () {
      const f = await networkHelpers.loadFixture(sandwichFixture);
      const { liquidator, keeper, borrower, weth, q, floor } = f;
      await pushPoolTo(f, q.seize, floor + usd("50"));
      const received = await quoteSale(f, f.pool, q.seize);
      expect(received).to.be.at.least(floor);
      await expect(liquidator.connect(keeper).liquidate(borrower, weth, MaxUint256, 0n))
        .to.emit(liquidator, "CollateralSold")
        .withArgs(await weth.getAddress(), q.seize, received, f.owed);
    });
  });

  describe("forged callbacks and access control", function () {
    it("onFlashLiquidation called directly (not by the vault) reverts UnexpectedCaller", async function () {
      const f = await networkHelpers.loadFixture(flashFixture);
      const { liquidator, weth, attacker, borrower } = f;
      for (const initiator of [attacker.address, await liquidator.getAddress()]) {
        await expect(
          liquidator
            .connect(attacker)
            .onFlashLiquidation(initiator, borrower.address, weth, wad("1"), usd("1"), minProfitData(0n)),
        )
          .to.be.revertedWithCustomError(liquidator, "UnexpectedCaller")
          .withArgs(attacker.address);
      }
    });

    it("someone else's flashLiquidate naming the liquidator as receiver reverts UnexpectedInitiator: nothing moves", async function () {
      const f = await networkHelpers.loadFixture(flashFixture);
      const { engine, liquidator, usdc, weth, attacker, borrower } = f;
      // Unswept profit the attacker would like the liquidator to spend on its behalf.
      await usdc.mint(liquidator, usd("50000"));
      await expectUnchanged(flashState(f, [attacker]), async () => {
        await expect(engine.connect(attacker).flashLiquidate(borrower, weth, MaxUint256, liquidator, minProfitData(0n)))
          .to.be.revertedWithCustomError(liquidator, "UnexpectedInitiator")
          .withArgs(attacker.address);
      });
    });

    it("someone else's liquidateBatch naming the liquidator as receiver skips every order (UnexpectedInitiator)", async function () {
      const f = await networkHelpers.loadFixture(flashFixture);
      const { engine, liquidator, usdc, weth, attacker } = f;
      await usdc.mint(liquidator, usd("50000"));
      const orders = [f.borrower, f.alice].map((a) => ({
        borrower: a.address,
        collateral: weth,
        maxRepay: MaxUint256,
      }));
      await expectUnchanged(flashState(f, [attacker]), async () => {
        const receipt = await (
          await engine.connect(attacker).liquidateBatch(orders, liquidator, minProfitData(0n))
        ).wait();
        if (receipt === null) throw new Error("no receipt");
        const skipped = eventsOf(engine, receipt, "LiquidationSkipped");
        expect(skipped).to.have.length(2);
        for (const s of skipped) {
          const err = liquidator.interface.parseError(s.args.reason);
          expect(err?.name).to.equal("UnexpectedInitiator");
          expect(err?.args[0]).to.equal(attacker.address);
        }
      });
    });

    it("uniswapV3SwapCallback from anyone but the pool being swapped in reverts UnexpectedCaller", async function () {
      const f = await networkHelpers.loadFixture(flashFixture);
      const { liquidator, usdc, weth, attacker, keeper } = f;
      await usdc.mint(liquidator, usd("50000"));
      await weth.mint(liquidator, wad("10"));
      for (const caller of [attacker, keeper]) {
        await expect(liquidator.connect(caller).uniswapV3SwapCallback(usd("50000"), wad("10"), "0x"))
          .to.be.revertedWithCustomError(liquidator, "UnexpectedCaller")
          .withArgs(caller.address);
      }
      // Not even the configured pool itself, outside a swap the liquidator started.
      const poolAddress = await f.pool.getAddress();
      await networkHelpers.impersonateAccount(poolAddress);
      await networkHelpers.setBalance(poolAddress, wad("1"));
      const asPool = await ethers.getSigner(poolAddress);
      await expect(liquidator.connect(asPool).uniswapV3SwapCallback(usd("50000"), wad("10"), "0x"))
        .to.be.revertedWithCustomError(liquidator, "UnexpectedCaller")
        .withArgs(poolAddress);
      expect(await usdc.balanceOf(liquidator)).to.equal(usd("50000"));
      expect(await weth.balanceOf(liquidator)).to.equal(wad("10"));
    });

    it("only the owner may liquidate, liquidateBatch, setPool and sweep", async function () {
      const f = await networkHelpers.loadFixture(flashFixture);
      const { liquidator, usdc, weth, attacker, borrower, pool } = f;
      await usdc.mint(liquidator, usd("1000"));
      const order = [{ borrower: borrower.address, collateral: weth, maxRepay: MaxUint256 }];
      const calls = [
        liquidator.connect(attacker).liquidate(borrower, weth, MaxUint256, 0n),
        liquidator.connect(attacker).liquidateBatch(order, 0n),
        liquidator.connect(attacker).setPool(weth, pool),
        liquidator.connect(attacker).sweep(usdc, attacker.address, usd("1000")),
      ];
      for (const call of calls) {
        await expect(call)
          .to.be.revertedWithCustomError(liquidator, "OwnableUnauthorizedAccount")
          .withArgs(attacker.address);
      }
      await expect(liquidator.connect(f.keeper).sweep(usdc, ZeroAddress, 1n)).to.be.revertedWithCustomError(
        liquidator,
        "ZeroAddress",
      );
      expect(await usdc.balanceOf(liquidator)).to.equal(usd("1000"));
    });

    it("setPool rejects a pool that does not pair the collateral with the base asset (NoPool)", async function () {
      const f = await networkHelpers.loadFixture(flashFixture);
      const { factory, liquidator, keeper, weth, wbtc, usdc, pool } = f;
      await factory.createPool(wbtc, usdc, 3000);
      await factory.createPool(weth, wbtc, 3000);
      const wbtcUsdc = await factory.getPool(wbtc, usdc, 3000);
      const wethWbtc = await factory.getPool(weth, wbtc, 3000);
      for (const [collateral, wrongPool] of [
        [weth, wbtcUsdc],
        [weth, wethWbtc],
        [wbtc, wethWbtc],
        [wbtc, pool],
      ] as const) {
        await expect(liquidator.connect(keeper).setPool(collateral, wrongPool))
          .to.be.revertedWithCustomError(liquidator, "NoPool")
          .withArgs(collateral);
      }
      expect(await liquidator.poolFor(weth)).to.equal(await pool.getAddress());
      expect(await liquidator.poolFor(wbtc)).to.equal(ZeroAddress);
      // The right pair is accepted.
      await expect(liquidator.connect(keeper).setPool(wbtc, wbtcUsdc))
        .to.emit(liquidator, "PoolSet")
        .withArgs(wbtc, wbtcUsdc);
    });

    it("a collateral without a pool reverts NoPool inside the callback, changing nothing", async function () {
      const f = await networkHelpers.loadFixture(flashFixture);
      const { liquidator, keeper, wbtc, dave, oracle, vault } = f;
      await oracle.setPrice(wbtc, wad("54000"));
      expect(await vault.isLiquidatable(dave)).to.equal(true);
      await expectUnchanged(flashState(f), async () => {
        await expect(liquidator.connect(keeper).liquidate(dave, wbtc, MaxUint256, 0n))
          .to.be.revertedWithCustomError(liquidator, "NoPool")
          .withArgs(wbtc);
      });
    });
  });

  describe("misbehaving receivers: the vault's side of the callback", function () {
    interface ReceiverFixture extends FlashFixture {
      receiver: FlashTestReceiver;
    }

    /** flashFixture plus a FlashTestReceiver holding 1,000,000 USDC and 1 WETH, with 1,000 USDC lent to the vault. */
    async function receiverFixture(c: NetworkConnection): Promise<ReceiverFixture> {
      const f = await flashFixture(c);
      const receiver = await c.ethers.deployContract("FlashTestReceiver", [f.vault, f.usdc]);
      await f.usdc.mint(receiver, usd("1000000"));
      await f.weth.mint(receiver, wad("1"));
      const vaultAddress = await f.vault.getAddress();
      await receiver.execute(f.usdc, f.usdc.interface.encodeFunctionData("approve", [vaultAddress, MaxUint256]));
      await receiver.execute(f.weth, f.weth.interface.encodeFunctionData("approve", [vaultAddress, MaxUint256]));
      const r = await receiver.getAddress();
      await receiver.execute(f.vault, f.vault.interface.encodeFunctionData("deposit", [usd("1000"), r]));
      return { ...f, receiver };
    }

    /** Calls a receiver may try to make while the vault (and the engine) are mid-liquidation. */
    async function reentrantCalls(f: ReceiverFixture): Promise<Array<[string, AddressLike, string]>> {
      const v = f.vault.interface;
      const e = f.engine.interface;
      const r = await f.receiver.getAddress();
      const weth = await f.weth.getAddress();
      const alice = f.alice.address;
      const order = [{ borrower: alice, collateral: weth, maxRepay: MaxUint256 }];
      return [
        ["vault.deposit", f.vault, v.encodeFunctionData("deposit", [usd("1"), r])],
        ["vault.withdraw", f.vault, v.encodeFunctionData("withdraw", [usd("1"), r, r])],
        ["vault.depositCollateral", f.vault, v.encodeFunctionData("depositCollateral", [weth, 1n, r])],
        ["vault.repay", f.vault, v.encodeFunctionData("repay", [usd("1"), alice])],
        ["engine.liquidate (again)", f.engine, e.encodeFunctionData("liquidate", [alice, weth, usd("100"), r])],
        [
          "engine.flashLiquidate",
          f.engine,
          e.encodeFunctionData("flashLiquidate", [alice, weth, MaxUint256, r, "0x01"]),
        ],
        ["engine.liquidateBatch", f.engine, e.encodeFunctionData("liquidateBatch", [order, r, "0x"])],
        ["engine.flag", f.engine, e.encodeFunctionData("flag", [alice])],
      ];
    }

    /** The liquidation every receiver test starts: alice (any initiator) flash-liquidates `borrower`. */
    function flash(f: ReceiverFixture) {
      return f.engine.connect(f.alice).flashLiquidate(f.borrower, f.weth, MaxUint256, f.receiver, "0x01");
    }

    it("control: a receiver that approves what it owes is paid the collateral first and then charged", async function () {
      const f = await networkHelpers.loadFixture(receiverFixture);
      const { engine, receiver, vault, usdc, weth, borrower, alice } = f;
      const q = await engine.previewLiquidation(borrower, weth, MaxUint256);
      const usdcBefore = await usdc.balanceOf(receiver);
      const reservesBefore = await vault.reserves();
      await expect(flash(f)).to.emit(vault, "Liquidated");
      expect(await receiver.calls()).to.equal(1n);
      expect(await receiver.lastInitiator()).to.equal(alice.address);
      expect(await receiver.lastBorrower()).to.equal(borrower.address);
      expect(await receiver.lastSeized()).to.equal(q.seize);
      expect(await receiver.lastOwed()).to.equal(q.repay + q.fee);
      expect(await weth.balanceOf(receiver)).to.equal(wad("1") + q.seize);
      expect(await usdc.balanceOf(receiver)).to.equal(usdcBefore - q.repay - q.fee);
      expect(await vault.reserves()).to.equal(reservesBefore + q.fee);
    });

    it("inside the callback the engine tells the receiver what the seizure is worth at the oracle (the sale floor's input); 0 outside", async function () {
      const f = await networkHelpers.loadFixture(receiverFixture);
      const { engine, receiver, borrower, weth } = f;
      const q = await engine.previewLiquidation(borrower, weth, MaxUint256);
      await receiver.arm(engine, engine.interface.encodeFunctionData("flashSeizedValue"), true);
      expect(await engine.flashSeizedValue()).to.equal(0n);
      await flash(f);
      const [value] = engine.interface.decodeFunctionResult("flashSeizedValue", await receiver.reenterResult());
      expect(value).to.equal((q.seize * CRASH_PRICE) / WAD / 10n ** 12n); // USDC units at $2,700 a WETH, $1 a USDC
      expect(await engine.flashSeizedValue()).to.equal(0n);
    });

    it("under a doubted price the value is at the bounds least favourable to the seller: WETH at its low, USDC at its high", async function () {
      const f = await networkHelpers.loadFixture(receiverFixture);
      const { engine, receiver, borrower, weth, usdc, oracle } = f;
      // WETH doubted between $2,600 and $2,700, USDC between $1.00 and $1.01 (the engine liquidates at WETH's high and
      // USDC's low, the sides that favour the borrower, so the account is as liquidatable as before).
      await oracle.setPriceData(weth, wad("2600"), CRASH_PRICE, 1, 6); // DEGRADED, SOURCES_DISAGREE
      await oracle.setPriceData(usdc, wad("1"), wad("1.01"), 1, 6);
      const q = await engine.previewLiquidation(borrower, weth, MaxUint256);
      await receiver.arm(engine, engine.interface.encodeFunctionData("flashSeizedValue"), true);
      await flash(f);
      const [value] = engine.interface.decodeFunctionResult("flashSeizedValue", await receiver.reenterResult());
      expect(value).to.equal((((q.seize * wad("2600")) / WAD) * 10n ** 6n) / wad("1.01"));
    });

    it("a receiver that answers with the wrong magic: FlashCallbackFailed, nothing changes", async function () {
      const f = await networkHelpers.loadFixture(receiverFixture);
      await f.receiver.setMode(1); // WrongMagic (it even approves what it owes)
      await expectUnchanged(flashState(f, [f.receiver]), async () => {
        await expect(flash(f)).to.be.revertedWithCustomError(f.vault, "FlashCallbackFailed").withArgs(f.receiver);
      });
    });

    it("a receiver that does not approve the vault: the pull fails, nothing changes", async function () {
      const f = await networkHelpers.loadFixture(receiverFixture);
      const { receiver, usdc, vault } = f;
      await receiver.execute(usdc, usdc.interface.encodeFunctionData("approve", [await vault.getAddress(), 0n]));
      await receiver.setMode(2); // NoApproval
      await expectUnchanged(flashState(f, [receiver]), async () => {
        await expect(flash(f))
          .to.be.revertedWithCustomError(usdc, "ERC20InsufficientAllowance")
          .withArgs(vault, 0n, anyValue);
      });
    });

    it("a receiver that approves but cannot pay: the pull fails, nothing changes", async function () {
      const f = await networkHelpers.loadFixture(receiverFixture);
      const { receiver, usdc, owner } = f;
      const balance = await usdc.balanceOf(receiver);
      await receiver.execute(usdc, usdc.interface.encodeFunctionData("transfer", [owner.address, balance]));
      await expectUnchanged(flashState(f, [receiver]), async () => {
        await expect(flash(f)).to.be.revertedWithCustomError(usdc, "ERC20InsufficientBalance");
      });
    });

    it("control: outside a callback, each of the reentrant calls below succeeds", async function () {
      const f = await networkHelpers.loadFixture(receiverFixture);
      for (const [name, target, data] of await reentrantCalls(f)) {
        await networkHelpers.loadFixture(receiverFixture);
        await expect(f.receiver.execute(target, data), name).to.not.be.revert(ethers);
      }
    });

    it("re-entering the vault or the engine from the callback reverts the liquidation (ReentrancyGuardReentrantCall)", async function () {
      const f0 = await networkHelpers.loadFixture(receiverFixture);
      const calls = await reentrantCalls(f0);
      for (const [name, target, data] of calls) {
        const f = await networkHelpers.loadFixture(receiverFixture);
        await f.receiver.arm(target, data, true);
        await expectUnchanged(flashState(f, [f.receiver]), async () => {
          await expect(flash(f), name).to.be.revertedWithCustomError(f.vault, REENTRANCY);
        });
      }
    });

    it("a receiver that swallows the failure: the reentrant call failed with ReentrancyGuardReentrantCall, only the one liquidation happened", async function () {
      const f0 = await networkHelpers.loadFixture(receiverFixture);
      const selector = f0.vault.interface.getError(REENTRANCY)?.selector;
      expect(selector).to.not.equal(undefined);
      for (const [name, target, data] of await reentrantCalls(f0)) {
        const f = await networkHelpers.loadFixture(receiverFixture);
        const aliceDebt = await f.vault.debtOf(f.alice);
        const aliceFlag = await f.engine.flaggedAt(f.alice);
        const q = await f.engine.previewLiquidation(f.borrower, f.weth, MaxUint256);
        const debt = await f.vault.debtOf(f.borrower);
        await f.receiver.arm(target, data, false);
        await flash(f);
        expect(await f.receiver.reenteredOk(), name).to.equal(false);
        expect(await f.receiver.reenterResult(), name).to.equal(selector);
        expect(await f.vault.debtOf(f.alice), name).to.equal(aliceDebt);
        expect(await f.engine.flaggedAt(f.alice), name).to.equal(aliceFlag);
        expect(await f.vault.debtOf(f.borrower), name).to.equal(debt - q.repay);
      }
    });

    it("the receiver cannot settle a liquidation itself: executeLiquidation from the callback reverts NotLiquidationEngine", async function () {
      const f = await networkHelpers.loadFixture(receiverFixture);
      const r = await f.receiver.getAddress();
      const settlement = {
        borrower: f.alice.address,
        asset: await f.weth.getAddress(),
        repay: 1n,
        seize: wad("5"),
        fee: 0n,
        receiver: r,
        payer: r,
        initiator: r,
        provision: 0n,
      };
      await f.receiver.arm(
        f.vault,
        f.vault.interface.encodeFunctionData("executeLiquidation", [settlement, "0x"]),
        true,
      );
      await expect(flash(f)).to.be.revertedWithCustomError(f.vault, "NotLiquidationEngine").withArgs(r);
    });
  });
});

describe("LiquidationEngine.liquidateBatch: the caller pays", function () {
  /** Every skipped order's reason, decoded against the engine, the vault and the base token. */
  function decodeSkips(f: FlashFixture, receipt: ContractTransactionReceipt) {
    return eventsOf(f.engine, receipt, "LiquidationSkipped").map((s) => {
      const reason = s.args.reason as string;
      const err =
        f.engine.interface.parseError(reason) ??
        f.vault.interface.parseError(reason) ??
        f.usdc.interface.parseError(reason);
      if (err === null) throw new Error(`undecodable skip reason ${reason}`);
      return {
        borrower: s.args.borrower as string,
        collateral: s.args.collateral as string,
        name: err.name,
        args: err.args,
      };
    });
  }

  it("skips failing orders with LiquidationSkipped and the right error, liquidates the rest, flags match", async function () {
    const f = await networkHelpers.loadFixture(flashFixture);
    const { engine, vault, lens, weth, wbtc, usdc, lender, borrower, alice, bob, carol, owner } = f;
    const payer = f.attacker; // any funded account with USDC approved to the vault
    const unlisted = await ethers.deployContract("MockERC20", ["Unlisted", "UNL", 18]);
    const order = (who: AddressLike, collateral: AddressLike, maxRepay: bigint = MaxUint256) => ({
      borrower: who,
      collateral,
      maxRepay,
    });
    const orders = [
      order(borrower.address, weth), // 0: liquidated
      order(carol.address, weth), // 1: healthy
      order(bob.address, wbtc), // 2: holds no WBTC
      order(alice.address, weth), // 3: liquidated
      order(alice.address, weth), // 4: duplicate: healthy again after 3
      order(lender.address, weth), // 5: no debt
      order(bob.address, weth, 0n), // 6: zero maxRepay
      order(bob.address, unlisted), // 7: unlisted collateral (the vault rejects it)
      order(bob.address, weth), // 8: liquidated
    ];
    const accounts = [borrower, alice, bob, carol];
    const debts = await Promise.all(accounts.map((a) => vault.debtOf(a)));
    const payerBefore = await usdc.balanceOf(payer);
    const reservesBefore = await vault.reserves();
    const carolHealth = await lens.healthFactor(vault, carol);

    const [quotes, succeeded] = await engine.connect(payer).liquidateBatch.staticCall(orders, payer.address, "0x");
    const expected = [true, false, false, true, false, false, false, false, true];
    expect([...succeeded]).to.deep.equal(expected);
    const receipt = await (await engine.connect(payer).liquidateBatch(orders, payer.address, "0x")).wait();
    if (receipt === null) throw new Error("no receipt");

    // The executed ones, in order, priced as the static call said; the skipped ones quote zeroes.
    const executed = eventsOf(engine, receipt, "LiquidationExecuted");
    expect(executed.map((e) => e.args.borrower)).to.deep.equal([borrower.address, alice.address, bob.address]);
    const okIndexes = expected.flatMap((ok, i) => (ok ? [i] : []));
    for (const [k, i] of okIndexes.entries()) {
      expect(executed[k].args.repaid).to.equal(quotes[i].repay);
      expect(executed[k].args.seized).to.equal(quotes[i].seize);
      expect(executed[k].args.liquidator).to.equal(payer.address);
    }
    for (const [i, ok] of expected.entries()) if (!ok) expect(quotes[i].repay).to.equal(0n);

    const skips = decodeSkips(f, receipt);
    expect(skips.map((s) => [s.borrower, s.name])).to.deep.equal([
      [carol.address, "NotLiquidatable"],
      [bob.address, "NoCollateral"],
      [alice.address, "NotLiquidatable"],
      [lender.address, "NotLiquidatable"],
      [bob.address, "ZeroAmount"],
      [bob.address, "AssetNotListed"],
    ]);
    expect(skips[0].args).to.deep.equal([carol.address, carolHealth]);
    expect(skips[1].args).to.deep.equal([bob.address, await wbtc.getAddress()]);
    expect(skips[2].args[0]).to.equal(alice.address);
    expect(skips[2].args[1]).to.be.greaterThanOrEqual(WAD); // healthy again after order 3
    expect(skips[3].args).to.deep.equal([lender.address, MaxUint256]);
    expect(skips[5].args).to.deep.equal([await unlisted.getAddress()]);

    // Books: each executed order repaid its quote, the payer paid repay + fee for each, reserves got the fees.
    const repaidBy = new Map<string, bigint>();
    let paid = 0n;
    let fees = 0n;
    for (const i of okIndexes) {
      const who = orders[i].borrower as string;
      repaidBy.set(who, (repaidBy.get(who) ?? 0n) + quotes[i].repay);
      paid += quotes[i].repay + quotes[i].fee;
      fees += quotes[i].fee;
    }
    for (const [k, a] of accounts.entries()) {
      expect(await vault.debtOf(a)).to.equal(debts[k] - (repaidBy.get(a.address) ?? 0n));
    }
    expect(await usdc.balanceOf(payer)).to.equal(payerBefore - paid);
    expect(await vault.reserves()).to.equal(reservesBefore + fees);
    expect(await vault.debtOf(owner)).to.equal(0n);
  });

  it("a payer that runs out of allowance mid-batch: that order is skipped with the token's error, the batch stands", async function () {
    const f = await networkHelpers.loadFixture(flashFixture);
    const { engine, vault, weth, usdc, borrower, alice, bob } = f;
    const payer = (await ethers.getSigners())[9];
    const first = await engine.previewLiquidation(borrower, weth, MaxUint256);
    await usdc.mint(payer.address, usd("1000000"));
    await usdc.connect(payer).approve(vault, first.repay + first.fee); // enough for the first order only
    const borrowerDebt = await vault.debtOf(borrower);
    const aliceDebt = await vault.debtOf(alice);
    const orders = [borrower, alice, bob].map((a) => ({ borrower: a.address, collateral: weth, maxRepay: MaxUint256 }));
    const receipt = await (await engine.connect(payer).liquidateBatch(orders, payer.address, "0x")).wait();
    if (receipt === null) throw new Error("no receipt");
    const skips = decodeSkips(f, receipt);
    expect(skips.map((s) => [s.borrower, s.name])).to.deep.equal([
      [alice.address, "ERC20InsufficientAllowance"],
      [bob.address, "ERC20InsufficientAllowance"],
    ]);
    expect(await vault.debtOf(borrower)).to.equal(borrowerDebt - first.repay);
    expect(await vault.debtOf(alice)).to.equal(aliceDebt);
    expect(await weth.balanceOf(payer)).to.equal(first.seize);
    expect(await usdc.allowance(payer, vault)).to.equal(0n);
  });

  it("rejects 0 and 101 orders with BadBatchLength, and a zero receiver with ZeroAddress", async function () {
    const f = await networkHelpers.loadFixture(flashFixture);
    const { engine, weth, borrower } = f;
    const order = { borrower: borrower.address, collateral: await weth.getAddress(), maxRepay: MaxUint256 };
    await expect(engine.liquidateBatch([], borrower.address, "0x"))
      .to.be.revertedWithCustomError(engine, "BadBatchLength")
      .withArgs(0n, 100n);
    await expect(engine.liquidateBatch(Array(101).fill(order), borrower.address, "0x"))
      .to.be.revertedWithCustomError(engine, "BadBatchLength")
      .withArgs(101n, 100n);
    await expect(engine.liquidateBatch([order], ZeroAddress, "0x")).to.be.revertedWithCustomError(
      engine,
      "ZeroAddress",
    );
  });

  it("a full batch of 100 bad orders goes through, skips all of them and changes nothing", async function () {
    const f = await networkHelpers.loadFixture(flashFixture);
    const { engine, weth, carol, lender } = f;
    const payer = f.attacker;
    const order = { borrower: carol.address, collateral: await weth.getAddress(), maxRepay: MaxUint256 };
    const noDebt = { ...order, borrower: lender.address };
    const orders = Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? order : noDebt));
    await expectUnchanged(flashState(f), async () => {
      const [, succeeded] = await engine.connect(payer).liquidateBatch.staticCall(orders, payer.address, "0x");
      expect([...succeeded]).to.deep.equal(Array(100).fill(false));
      const receipt = await (await engine.connect(payer).liquidateBatch(orders, payer.address, "0x")).wait();
      if (receipt === null) throw new Error("no receipt");
      expect(decodeSkips(f, receipt).every((s) => s.name === "NotLiquidatable")).to.equal(true);
      expect(eventsOf(engine, receipt, "LiquidationSkipped")).to.have.length(100);
    });
  });

  it("batchStep is callable only by the engine itself (OnlySelf)", async function () {
    const f = await networkHelpers.loadFixture(flashFixture);
    const { engine, weth, borrower, attacker } = f;
    const order = { borrower: borrower.address, collateral: await weth.getAddress(), maxRepay: MaxUint256 };
    await expect(engine.connect(attacker).batchStep(order, attacker.address, attacker.address, attacker.address, "0x"))
      .to.be.revertedWithCustomError(engine, "OnlySelf")
      .withArgs(attacker.address);
  });
});
