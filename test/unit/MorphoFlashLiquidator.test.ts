/**
 * MorphoFlashLiquidator (bench/contracts/peers): the capital-free liquidator the crash simulation uses on Morpho Blue, the
 * peer Bulwark is compared with. Against the real Morpho (npm source) and a real Uniswap v3 pool: a liquidation pays
 * for itself from the sale and leaves the profit with the liquidator; an underwater position is closed with Morpho's
 * bad debt realised; every guard (owner, pool, profit, callers, sweep) refuses with its custom error.
 */
import { expect } from "chai";
import { MaxUint256, ZeroAddress } from "ethers";
import { network } from "hardhat";

import { DEFAULT_COLLATERALS } from "../../scripts/lib/testMarket.js";
import { MORPHO_EVENTS, createMorphoMarket, deployMorpho } from "../../scripts/lib/morpho.js";
import { deployPoolWithLiquidity, deployUniswapV3Factory, sqrtPriceX96For } from "../../scripts/lib/uniswap.js";
import { usd, eth, feedAnswer } from "../../scripts/lib/units.js";

const connection = await network.create();
const { ethers, networkHelpers } = connection;

const LLTV = DEFAULT_COLLATERALS.find((c) => c.symbol === "WETH")?.liquidationThreshold ?? 0n;

async function fixture() {
  const [owner, lender, borrower, keeper, stranger] = await ethers.getSigners();
  const usdc = await ethers.deployContract("MockERC20", ["USD Coin", "USDC", 6]);
  const weth = await ethers.deployContract("MockERC20", ["Wrapped Ether", "WETH", 18]);
  const wbtc = await ethers.deployContract("MockERC20", ["Wrapped BTC", "WBTC", 8]);
  const wethFeed = await ethers.deployContract("TestAggregator", [8, "WETH / USD"]);
  const usdcFeed = await ethers.deployContract("TestAggregator", [8, "USDC / USD"]);
  await wethFeed.push(feedAnswer("3000"));
  await usdcFeed.push(feedAnswer("1"));
  const oracle = await ethers.deployContract("ChainlinkMorphoOracle", [wethFeed, 18, usdcFeed, 6]);
  const rateModel = await ethers.deployContract("KinkedRateModel", [0n, eth("0.04"), eth("0.60"), eth("0.90")]);
  const irm = await ethers.deployContract("KinkedIrm", [rateModel]);
  const morpho = await deployMorpho(ethers, owner);
  const { marketParams, id } = await createMorphoMarket(ethers, morpho, owner, {
    loanToken: usdc,
    collateralToken: weth,
    oracle,
    irm,
    lltv: LLTV,
  });
  const factory = await deployUniswapV3Factory(ethers, owner);
  const { pool, actor, baseIsToken0 } = await deployPoolWithLiquidity(
    ethers,
    factory,
    weth,
    usdc,
    eth("3000"),
    eth("1000"),
  );
  const { pool: otherPool } = await deployPoolWithLiquidity(ethers, factory, wbtc, usdc, eth("60000"), 10n ** 9n);

  await usdc.mint(lender.address, usd("1000000"));
  await usdc.connect(lender).approve(morpho, MaxUint256);
  await morpho.connect(lender).supply(marketParams, usd("1000000"), 0n, lender.address, "0x");
  await weth.mint(borrower.address, eth("10"));
  await weth.connect(borrower).approve(morpho, MaxUint256);
  await morpho.connect(borrower).supplyCollateral(marketParams, eth("10"), borrower.address, "0x");
  // 24,000 USDC against 10 WETH at $3,000: LTV 80%, under the 85% LLTV.
  await morpho.connect(borrower).borrow(marketParams, usd("24000"), 0n, borrower.address, borrower.address);
  const liquidator = await ethers.deployContract("MorphoFlashLiquidator", [morpho, keeper.address]);

  /** Moves the feed and arbitrages the pool to `price` (USD per WETH). */
  const setPrice = async (price: string): Promise<void> => {
    await wethFeed.push(feedAnswer(price));
    await weth.mint(actor, eth("100000"));
    await usdc.mint(actor, usd("1000000000"));
    const limit = sqrtPriceX96For(eth(price), baseIsToken0, 18, 6);
    // Selling WETH lowers its price: WETH is token0 ⇔ zeroForOne.
    await actor.swap(pool, baseIsToken0, eth("100000"), limit);
  };
  return { morpho, marketParams, id, usdc, weth, pool, otherPool, liquidator, borrower, keeper, stranger, setPrice };
}

describe("MorphoFlashLiquidator", function () {
  it("liquidates a Morpho position with no capital: sells the seized WETH in the pool and keeps the profit", async () => {
    const { morpho, marketParams, id, usdc, weth, pool, liquidator, borrower, keeper, setPrice } =
      await networkHelpers.loadFixture(fixture);
    await setPrice("2700"); // LTV 88.9% > 85%
    const { borrowShares } = await morpho.position(id, borrower.address);
    expect(await usdc.balanceOf(liquidator)).to.equal(0n);
    const receipt = await (
      await liquidator.connect(keeper).liquidate(marketParams, borrower.address, 0n, borrowShares, pool, 0n)
    ).wait();
    const event = receipt!.logs.map((log) => MORPHO_EVENTS.parseLog(log)).find((e) => e?.name === "Liquidate");
    expect(event?.args.borrower).to.equal(borrower.address);
    expect(event?.args.badDebtAssets).to.equal(0n);
    const repaid = event!.args.repaidAssets as bigint;
    expect(repaid).to.be.greaterThanOrEqual(usd("24000"));
    expect((await morpho.position(id, borrower.address)).borrowShares).to.equal(0n);
    // Seized ≈ 24,000 × 1.047 / 2,700 WETH, sold at ≈ $2,700 less the pool's 0.3% and slippage: a profit remains.
    expect(await usdc.balanceOf(liquidator)).to.be.greaterThan(0n);
    expect(await weth.balanceOf(liquidator)).to.equal(0n);
    await expect(liquidator.connect(keeper).sweep(usdc, keeper.address, 1n)).to.emit(liquidator, "Swept");
  });

  it("closes an underwater position by seizing all its collateral; Morpho realises the rest as bad debt", async () => {
    const { morpho, marketParams, id, pool, liquidator, borrower, keeper, setPrice } =
      await networkHelpers.loadFixture(fixture);
    await setPrice("2200"); // collateral $22,000 < debt $24,000
    const { collateral } = await morpho.position(id, borrower.address);
    const receipt = await (
      await liquidator.connect(keeper).liquidate(marketParams, borrower.address, collateral, 0n, pool, 0n)
    ).wait();
    const event = receipt!.logs.map((log) => MORPHO_EVENTS.parseLog(log)).find((e) => e?.name === "Liquidate");
    expect(event?.args.badDebtAssets as bigint).to.be.greaterThan(usd("2000"));
    const after = await morpho.position(id, borrower.address);
    expect(after.collateral).to.equal(0n);
    expect(after.borrowShares).to.equal(0n);
  });

  it("refuses a sale that would not cover the repayment plus the minimum profit, changing nothing", async () => {
    const { morpho, marketParams, id, pool, liquidator, borrower, keeper, setPrice } =
      await networkHelpers.loadFixture(fixture);
    await setPrice("2700");
    const { borrowShares } = await morpho.position(id, borrower.address);
    await expect(
      liquidator.connect(keeper).liquidate(marketParams, borrower.address, 0n, borrowShares, pool, usd("1000000")),
    ).to.be.revertedWithCustomError(liquidator, "Unprofitable");
    expect((await morpho.position(id, borrower.address)).borrowShares).to.equal(borrowShares);
  });

  it("only its owner liquidates, only through a pool of the market's two tokens", async () => {
    const { marketParams, pool, otherPool, liquidator, borrower, keeper, stranger } =
      await networkHelpers.loadFixture(fixture);
    await expect(liquidator.connect(stranger).liquidate(marketParams, borrower.address, 0n, 1n, pool, 0n))
      .to.be.revertedWithCustomError(liquidator, "OwnableUnauthorizedAccount")
      .withArgs(stranger.address);
    await expect(liquidator.connect(keeper).liquidate(marketParams, borrower.address, 0n, 1n, otherPool, 0n))
      .to.be.revertedWithCustomError(liquidator, "PoolMismatch")
      .withArgs(await otherPool.getAddress());
  });

  it("accepts callbacks only from Morpho during its own liquidation, and from the pool it swaps in", async () => {
    const { liquidator, stranger, usdc } = await networkHelpers.loadFixture(fixture);
    await expect(liquidator.connect(stranger).onMorphoLiquidate(1n, "0x"))
      .to.be.revertedWithCustomError(liquidator, "UnexpectedCaller")
      .withArgs(stranger.address);
    await expect(liquidator.connect(stranger).uniswapV3SwapCallback(1n, 0n, "0x"))
      .to.be.revertedWithCustomError(liquidator, "UnexpectedCaller")
      .withArgs(stranger.address);
    await expect(liquidator.connect(stranger).sweep(usdc, stranger.address, 0n)).to.be.revertedWithCustomError(
      liquidator,
      "OwnableUnauthorizedAccount",
    );
  });

  it("needs a Morpho address and never sweeps to the zero address", async () => {
    const { liquidator, keeper, usdc } = await networkHelpers.loadFixture(fixture);
    const factory = await ethers.getContractFactory("MorphoFlashLiquidator");
    await expect(factory.deploy(ZeroAddress, keeper.address)).to.be.revertedWithCustomError(factory, "ZeroAddress");
    await expect(liquidator.connect(keeper).sweep(usdc, ZeroAddress, 0n)).to.be.revertedWithCustomError(
      liquidator,
      "ZeroAddress",
    );
  });
});
