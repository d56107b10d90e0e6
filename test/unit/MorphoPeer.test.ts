import { expect } from "chai";
import { network } from "hardhat";
import { MaxUint256, ZeroAddress } from "ethers";

import { DEFAULT_COLLATERALS } from "../../scripts/lib/testMarket.js";
import {
  createMorphoMarket,
  deployMorpho,
  MORPHO_EVENTS,
  morphoLiquidationIncentive,
  morphoMarketId,
} from "../../scripts/lib/morpho.js";
import type { MarketParamsStruct, MarketStruct } from "../../typechain-types/bench/contracts/peers/KinkedIrm.js";
import {
  borrowedMarketFixture,
  compoundFactorUp,
  mulDivDown,
  mulDivUp,
  RAY,
  usd,
  WAD,
  wad,
  YEAR,
} from "./helpers/vault.js";

/**
 * The peer adapters the side-by-side gas bench runs Morpho Blue with (bench/contracts/peers, scripts/lib/morpho.ts): the
 * Chainlink-backed oracle's scaling, the IRM's equality with Bulwark's rate, and a Morpho market that really works
 * end to end (supply, collateral, borrow, a price drop, a liquidation at Morpho's incentive).
 */
const connection = await network.create();
const { ethers, networkHelpers } = connection;

const ORACLE_SCALE = 10n ** 36n;
/** Bulwark's shipped curve (scripts/lib/testMarket.ts): 0% base, +4% to the 90% kink, +60% above it. */
const CURVE = [0n, wad("0.04"), wad("0.60"), wad("0.90")] as const;
const WETH_LLTV = DEFAULT_COLLATERALS.find((c) => c.symbol === "WETH")?.liquidationThreshold ?? 0n;

async function peerFixture() {
  const [owner, lender, borrower, liquidator] = await ethers.getSigners();
  const usdc = await ethers.deployContract("MockERC20", ["USD Coin", "USDC", 6]);
  const weth = await ethers.deployContract("MockERC20", ["Wrapped Ether", "WETH", 18]);
  const wethFeed = await ethers.deployContract("TestAggregator", [8, "WETH / USD"]);
  const usdcFeed = await ethers.deployContract("TestAggregator", [8, "USDC / USD"]);
  await wethFeed.push(3000n * 10n ** 8n);
  await usdcFeed.push(10n ** 8n);
  const oracle = await ethers.deployContract("ChainlinkMorphoOracle", [wethFeed, 18, usdcFeed, 6]);
  const rateModel = await ethers.deployContract("KinkedRateModel", [...CURVE]);
  const irm = await ethers.deployContract("KinkedIrm", [rateModel]);
  const morpho = await deployMorpho(ethers, owner);
  const { marketParams, id } = await createMorphoMarket(ethers, morpho, owner, {
    loanToken: usdc,
    collateralToken: weth,
    oracle,
    irm,
    lltv: WETH_LLTV,
    fee: wad("0.10"),
  });
  for (const actor of [lender, borrower, liquidator]) {
    await usdc.mint(actor.address, usd("10000000"));
    await weth.mint(actor.address, wad("1000"));
    await usdc.connect(actor).approve(morpho, MaxUint256);
    await weth.connect(actor).approve(morpho, MaxUint256);
  }
  return {
    owner,
    lender,
    borrower,
    liquidator,
    usdc,
    weth,
    wethFeed,
    usdcFeed,
    oracle,
    rateModel,
    irm,
    morpho,
    marketParams,
    id,
  };
}

/** A Morpho `Market` with the given supply and borrow (the rest zero: the IRM reads only these two). */
/** The IRM ignores the market's params: any will do where no Morpho market is involved. */
const ANY_PARAMS: MarketParamsStruct = {
  loanToken: ZeroAddress,
  collateralToken: ZeroAddress,
  oracle: ZeroAddress,
  irm: ZeroAddress,
  lltv: 0n,
};

function marketState(totalSupplyAssets: bigint, totalBorrowAssets: bigint): MarketStruct {
  return {
    totalSupplyAssets,
    totalSupplyShares: 0n,
    totalBorrowAssets,
    totalBorrowShares: 0n,
    lastUpdate: 0n,
    fee: 0n,
  };
}

describe("Morpho Blue peer (gas bench)", function () {
  describe("ChainlinkMorphoOracle", function () {
    it("prices 1 WETH (18 dec) at $3,000 in USDC (6 dec), 8-decimal feeds: 3000e6 × 1e36 / 1e18", async function () {
      const { oracle } = await networkHelpers.loadFixture(peerFixture);
      expect(await oracle.SCALE_EXPONENT()).to.equal(36n + 6n + 8n - 18n - 8n);
      expect(await oracle.price()).to.equal((usd("3000") * ORACLE_SCALE) / 10n ** 18n);
    });

    it("follows both feeds: WETH $2,650 over USDC $0.99", async function () {
      const { oracle, wethFeed, usdcFeed } = await networkHelpers.loadFixture(peerFixture);
      await wethFeed.push(2650n * 10n ** 8n);
      await usdcFeed.push(99_000_000n);
      // 2,650 / 0.99 USDC per WETH, rounded down, in Morpho's scale.
      expect(await oracle.price()).to.equal((2650n * 10n ** 8n * 10n ** 24n) / 99_000_000n);
    });

    it("scales unequal feed decimals: WBTC (8 dec) on an 18-decimal feed over USDC on an 8-decimal feed", async function () {
      const btcFeed = await ethers.deployContract("TestAggregator", [18, "WBTC / USD"]);
      const usdcFeed = await ethers.deployContract("TestAggregator", [8, "USDC / USD"]);
      await btcFeed.push(wad("60000"));
      await usdcFeed.push(10n ** 8n);
      const oracle = await ethers.deployContract("ChainlinkMorphoOracle", [btcFeed, 8, usdcFeed, 6]);
      expect(await oracle.SCALE_EXPONENT()).to.equal(36n + 6n + 8n - 8n - 18n);
      // 1 WBTC (1e8 units) = 60,000e6 USDC units: price = 60,000e6 × 1e36 / 1e8.
      expect(await oracle.price()).to.equal((usd("60000") * ORACLE_SCALE) / 10n ** 8n);
    });

    it("handles a negative scale exponent (the loan answer is divided)", async function () {
      // Collateral 18 dec on a 30-decimal feed at $2; a 0-decimal loan token on a 0-decimal feed at $1:
      // exponent 36 + 0 + 0 − 18 − 30 = −12, so 1e18 collateral units = 2 loan units: price = 2 × 1e36 / 1e18.
      const collateralFeed = await ethers.deployContract("TestAggregator", [30, "X / USD"]);
      const loanFeed = await ethers.deployContract("TestAggregator", [0, "Y / USD"]);
      await collateralFeed.push(2n * 10n ** 30n);
      await loanFeed.push(1n);
      const oracle = await ethers.deployContract("ChainlinkMorphoOracle", [collateralFeed, 18, loanFeed, 0]);
      expect(await oracle.SCALE_EXPONENT()).to.equal(-12n);
      expect(await oracle.price()).to.equal((2n * ORACLE_SCALE) / 10n ** 18n);
    });

    it("reverts NonPositiveAnswer on a zero or negative answer from either feed", async function () {
      const { oracle, wethFeed, usdcFeed } = await networkHelpers.loadFixture(peerFixture);
      await wethFeed.push(0n);
      await expect(oracle.price()).to.be.revertedWithCustomError(oracle, "NonPositiveAnswer").withArgs(wethFeed, 0n);
      await wethFeed.push(-1n);
      await expect(oracle.price()).to.be.revertedWithCustomError(oracle, "NonPositiveAnswer").withArgs(wethFeed, -1n);
      await wethFeed.push(3000n * 10n ** 8n);
      await usdcFeed.push(-5n);
      await expect(oracle.price()).to.be.revertedWithCustomError(oracle, "NonPositiveAnswer").withArgs(usdcFeed, -5n);
    });

    it("rejects a zero feed and decimals whose scale overflows", async function () {
      const { oracle, wethFeed } = await networkHelpers.loadFixture(peerFixture);
      await expect(
        ethers.deployContract("ChainlinkMorphoOracle", [ZeroAddress, 18, wethFeed, 6]),
      ).to.be.revertedWithCustomError(oracle, "ZeroFeed");
      // 36 + 60 + 8 − 0 − 8 = 96 > 77.
      await expect(ethers.deployContract("ChainlinkMorphoOracle", [wethFeed, 0, wethFeed, 60]))
        .to.be.revertedWithCustomError(oracle, "ScaleOutOfRange")
        .withArgs(96n);
    });
  });

  describe("KinkedIrm", function () {
    it("gives the per-second rate Bulwark's vault takes from the same model at 0%, 50%, 90% (kink) and 100%", async function () {
      const { irm, rateModel, marketParams } = await networkHelpers.loadFixture(peerFixture);
      const supplied = usd("1000000");
      const cases: [string, bigint, bigint][] = [
        ["0%", 0n, 0n],
        ["50%", usd("500000"), (CURVE[0] + mulDivDown(CURVE[1], wad("0.5"), CURVE[3])) / YEAR],
        ["90%", usd("900000"), (CURVE[0] + CURVE[1]) / YEAR],
        ["100%", supplied, (CURVE[0] + CURVE[1] + CURVE[2]) / YEAR],
      ];
      for (const [label, borrowed, expected] of cases) {
        const state = marketState(supplied, borrowed);
        // What the vault computes for cash = supplied − borrowed and debt = borrowed (CollateralVault._accrued).
        const vaultRate = await rateModel.borrowRatePerSecond(supplied - borrowed, borrowed);
        expect(vaultRate, `model at ${label}`).to.equal(expected);
        expect(await irm.borrowRateView(marketParams, state), `borrowRateView at ${label}`).to.equal(vaultRate);
        expect(await irm.borrowRate.staticCall(marketParams, state), `borrowRate at ${label}`).to.equal(vaultRate);
      }
    });

    it("caps the rate as the vault does (MAX_BORROW_RATE_PER_SECOND)", async function () {
      const { lens } = await networkHelpers.loadFixture(borrowedMarketFixture);
      const cap = await lens.MAX_BORROW_RATE_PER_SECOND();
      // A curve at 1000% APR on every slope reaches 3000% at 100% utilisation: capped at 1000%.
      const steep = await ethers.deployContract("KinkedRateModel", [wad("10"), wad("10"), wad("10"), wad("0.5")]);
      const irm = await ethers.deployContract("KinkedIrm", [steep]);
      expect(await irm.MAX_BORROW_RATE_PER_SECOND()).to.equal(cap);
      expect(await irm.borrowRateView(ANY_PARAMS, marketState(usd("100"), usd("100")))).to.equal(cap);
    });

    it("matches a live vault: its index grows by compoundFactorUp(the IRM's rate) at 50% utilisation", async function () {
      const f = await networkHelpers.loadFixture(borrowedMarketFixture);
      const [, rateModel] = await f.lens.parameters(f.vault);
      const irm = await ethers.deployContract("KinkedIrm", [rateModel]);
      // Read everything at the block of an accrual (views accrue to the call's block: at that block, nothing).
      const accrue = async (): Promise<number> => {
        const receipt = await (await f.vault.connect(f.lender).deposit(usd("1"), f.lender.address)).wait();
        if (receipt === null) throw new Error("deposit not mined");
        return receipt.blockNumber;
      };
      const first = await accrue();
      const index = await f.vault.borrowIndex({ blockTag: first });
      const cash = await f.vault.cash({ blockTag: first });
      const debt = await f.vault.totalDebt({ blockTag: first });
      // The IRM sees Morpho's totals: supply = cash + debt, borrow = debt.
      const rate = await irm.borrowRateView(ANY_PARAMS, marketState(cash + debt, debt));
      expect(rate).to.equal((CURVE[0] + mulDivDown(CURVE[1], mulDivDown(debt, WAD, cash + debt), CURVE[3])) / YEAR);
      const elapsed = 3600n;
      await networkHelpers.time.setNextBlockTimestamp((await f.lens.lastAccrual(f.vault)) + elapsed);
      const second = await accrue();
      expect(await f.vault.borrowIndex({ blockTag: second })).to.equal(
        mulDivUp(index, compoundFactorUp(rate, elapsed), RAY),
      );
    });
  });

  describe("Morpho market", function () {
    it("is created with the bench's params, fee and id; its liquidation incentive at LLTV 0.85 is ≈ 1.0471", async function () {
      const { morpho, marketParams, id, usdc, weth, oracle, irm, owner } =
        await networkHelpers.loadFixture(peerFixture);
      expect(WETH_LLTV).to.equal(wad("0.85"));
      expect(marketParams).to.deep.equal({
        loanToken: await usdc.getAddress(),
        collateralToken: await weth.getAddress(),
        oracle: await oracle.getAddress(),
        irm: await irm.getAddress(),
        lltv: wad("0.85"),
      });
      expect(id).to.equal(morphoMarketId(marketParams));
      const stored = await morpho.idToMarketParams(id);
      expect([stored.loanToken, stored.collateralToken, stored.oracle, stored.irm, stored.lltv]).to.deep.equal([
        marketParams.loanToken,
        marketParams.collateralToken,
        marketParams.oracle,
        marketParams.irm,
        marketParams.lltv,
      ]);
      const state = await morpho.market(id);
      expect(state.lastUpdate).to.be.greaterThan(0n);
      expect(state.fee).to.equal(wad("0.10"));
      expect(await morpho.feeRecipient()).to.equal(owner.address);
      expect(await morpho.isIrmEnabled(irm)).to.equal(true);
      expect(await morpho.isLltvEnabled(wad("0.85"))).to.equal(true);

      const lif = morphoLiquidationIncentive(wad("0.85"));
      // 1 / (1 − 0.3 × 0.15) = 1 / 0.955, rounded down as WAD.wDivDown does.
      expect(lif).to.equal((WAD * WAD) / (WAD - wad("0.045")));
      expect(lif).to.be.closeTo(wad("1.0471"), wad("0.00005"));
      // The cap: at LLTV 0 the formula gives 1 / 0.7 ≈ 1.43, capped at 1.15.
      expect(morphoLiquidationIncentive(0n)).to.equal(wad("1.15"));
    });

    it("runs a full sequence: supply, collateral, borrow, WETH falls, liquidation at Morpho's incentive", async function () {
      const { morpho, marketParams, id, lender, borrower, liquidator, weth, wethFeed, oracle, usdc } =
        await networkHelpers.loadFixture(peerFixture);
      await morpho.connect(lender).supply(marketParams, usd("100000"), 0n, lender.address, "0x");
      await morpho.connect(borrower).supplyCollateral(marketParams, wad("10"), borrower.address, "0x");
      // 23,000 USDC against 10 WETH at $3,000: LTV 76.7%, under the 85% LLTV.
      await morpho.connect(borrower).borrow(marketParams, usd("23000"), 0n, borrower.address, borrower.address);
      expect(await usdc.balanceOf(borrower.address)).to.equal(usd("10000000") + usd("23000"));
      // Healthy at $3,000: Morpho refuses to liquidate.
      await expect(
        morpho.connect(liquidator).liquidate(marketParams, borrower.address, wad("1"), 0n, "0x"),
      ).to.be.revertedWith("position is healthy");

      // WETH to $2,650: 26,500 × 0.85 = 22,525 < 23,000 (plus interest): liquidatable.
      await networkHelpers.time.increase(3600);
      await wethFeed.push(2650n * 10n ** 8n);
      const price = await oracle.price();
      const before = await morpho.position(id, borrower.address);
      const repaidShares = before.borrowShares / 2n;
      const wethBefore = await weth.balanceOf(liquidator.address);
      const receipt = await (
        await morpho.connect(liquidator).liquidate(marketParams, borrower.address, 0n, repaidShares, "0x")
      ).wait();
      const log = receipt?.logs.map((l) => MORPHO_EVENTS.parseLog(l)).find((parsed) => parsed?.name === "Liquidate");
      if (log === undefined || log === null) throw new Error("no Liquidate event");
      const [, , , repaidAssets, sharesBurned, seizedAssets, badDebtAssets] = log.args as unknown as bigint[];
      expect(sharesBurned).to.equal(repaidShares);
      expect(badDebtAssets).to.equal(0n);
      expect(repaidAssets).to.be.closeTo(usd("11500"), usd("5")); // half of ≈23,000 and an hour's interest
      // seized = repaid × LIF / price (Morpho rounds down; repaid here is rounded up from the shares: 1 unit apart).
      const lif = morphoLiquidationIncentive(marketParams.lltv);
      const expectedSeized = (((repaidAssets * lif) / WAD) * 10n ** 36n) / price;
      expect(seizedAssets).to.be.closeTo(expectedSeized, expectedSeized / 10n ** 9n + 1n);
      expect((await weth.balanceOf(liquidator.address)) - wethBefore).to.equal(seizedAssets);
      const after = await morpho.position(id, borrower.address);
      expect(after.collateral).to.equal(wad("10") - seizedAssets);
      expect(after.borrowShares).to.equal(before.borrowShares - repaidShares);
    });
  });
});
