import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { anyValue } from "@nomicfoundation/hardhat-ethers-chai-matchers/withArgs";
import { expect } from "chai";
import { encodeBytes32String, MaxUint256, parseUnits, ZeroAddress } from "ethers";
import type { ContractTransactionResponse } from "ethers";
import { network } from "hardhat";

import {
  collateral,
  DEFAULT_BASE_TRIGGERS,
  DEFAULT_COLLATERALS,
  deployChainlinkMarket,
  PERMISSIVE_TRIGGERS,
} from "../../scripts/lib/testMarket.js";
import type { ChainlinkMarket, CollateralParams } from "../../scripts/lib/testMarket.js";
import {
  DEFAULT_RISK_PARAMS,
  defaultAssetRisk,
  deployRiskModules,
  REFERENCE_VOLATILITY,
} from "../../scripts/lib/risk.js";
import type { RiskModules } from "../../scripts/lib/risk.js";
import type { MockERC20, TestAggregator } from "../../typechain-types/index.js";
import { Mode } from "./helpers/oracleAdapter.js";
import { isqrt } from "./helpers/uniswap.js";
import { deployZeroRateModel } from "./helpers/vault.js";
import { usd, wad } from "../../scripts/lib/units.js";

const { ethers, networkHelpers } = await network.create();
const { time } = networkHelpers;

const WAD = 10n ** 18n;
const YEAR = 365n * 24n * 3600n;
const HOUR = 3600;

/** IRiskManager.ReserveStatus, as ethers returns it. */
const ReserveStatus = { UNCHECKED: 0n, OK: 1n, SHORT: 2n, STALE: 3n, BROKEN: 4n } as const;

// ----------------------------------------------------------------------------------------------- the formulas

const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);
const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);
const wadMulUp = (x: bigint, y: bigint): bigint => (x * y + WAD - 1n) / WAD;
const wadMulDown = (x: bigint, y: bigint): bigint => (x * y) / WAD;
const wadDivDown = (x: bigint, y: bigint): bigint => (x * WAD) / y;
const mulDivUp = (x: bigint, y: bigint, d: bigint): bigint => (x * y + d - 1n) / d;
const ceilDiv = (x: bigint, d: bigint): bigint => (x + d - 1n) / d;
/** FixedPointMath.sqrtWadDown. */
const sqrtWadDown = (x: bigint): bigint => isqrt(x * WAD);
/** √(H / YEAR) in WAD, rounded down, as RiskManager computes it. */
const sqrtHorizon = (horizon: bigint): bigint => sqrtWadDown((horizon * WAD) / YEAR);

interface Risk {
  referenceVolatility: bigint;
  ltvK: bigint;
  thresholdK: bigint;
  maxLtvCut: bigint;
  maxThresholdCut: bigint;
}

/**
 * The caps of the interface's formula, with the contract's rounding: s = excess · √(H/YEAR) (√ rounded down, the
 * product up), cuts k·s rounded up and capped, the LTV floored at 0, the threshold at ⌈LT₀/2⌉; under a reserve
 * freeze the LTV cap is 0 and the threshold cut is maxThresholdCut.
 */
function expectedCaps(
  ltv0: bigint,
  lt0: bigint,
  risk: Risk,
  volatility: bigint,
  horizon: bigint,
  frozen = false,
): { ltvCap: bigint; thresholdCap: bigint; ltvCut: bigint; thresholdCut: bigint } {
  const excess = volatility > risk.referenceVolatility ? volatility - risk.referenceVolatility : 0n;
  const s = wadMulUp(excess, sqrtHorizon(horizon));
  let ltvCut = min(wadMulUp(risk.ltvK, s), risk.maxLtvCut);
  let thresholdCut = min(wadMulUp(risk.thresholdK, s), risk.maxThresholdCut);
  if (frozen) [ltvCut, thresholdCut] = [ltv0, risk.maxThresholdCut];
  const floor = ceilDiv(lt0, 2n);
  return {
    ltvCap: ltv0 > ltvCut ? ltv0 - ltvCut : 0n,
    thresholdCap: max(lt0 > thresholdCut ? lt0 - thresholdCut : 0n, floor),
    ltvCut,
    thresholdCut,
  };
}

/** scripts/lib/risk.ts's defaultAssetRisk, as bigints. */
function defaultRisk(referenceVolatility: bigint): Risk {
  const r = defaultAssetRisk(referenceVolatility);
  return {
    referenceVolatility: BigInt(r.referenceVolatility),
    ltvK: BigInt(r.ltvK),
    thresholdK: BigInt(r.thresholdK),
    maxLtvCut: BigInt(r.maxLtvCut),
    maxThresholdCut: BigInt(r.maxThresholdCut),
  };
}

// ----------------------------------------------------------------------------------------------- fixtures

/** A third collateral with a low, odd threshold (its floor ⌈LT/2⌉ rounds up) and 6 decimals. */
const LOW: CollateralParams = {
  symbol: "LOW",
  decimals: 6,
  priceUsd: "10",
  borrowLtv: wad("0.30"),
  liquidationThreshold: wad("0.4") + 1n,
  liquidationBonus: wad("0.05"),
  supplyCap: "1000000000",
};
const WETH_PARAMS = DEFAULT_COLLATERALS[0];
const WBTC_PARAMS = DEFAULT_COLLATERALS[1];

interface RiskFixture {
  market: ChainlinkMarket;
  risk: RiskModules;
  weth: MockERC20;
  wbtc: MockERC20;
  low: MockERC20;
  owner: HardhatEthersSigner;
  lender: HardhatEthersSigner;
  alice: HardhatEthersSigner;
  bob: HardhatEthersSigner;
  keeper: HardhatEthersSigner;
  stranger: HardhatEthersSigner;
  accounts: HardhatEthersSigner[];
}

/**
 * A market priced by the real OracleAdapter over Chainlink-like feeds (USDC base; WETH, WBTC, LOW), the volatility
 * oracle, risk manager and rebalancer deployed and wired with the defaults, 10,000,000 USDC lent, every other signer
 * funded with collateral and approved.
 */
async function riskFixture(): Promise<RiskFixture> {
  const signers = await ethers.getSigners();
  const [owner, lender, alice, bob, keeper, stranger] = signers;
  const market = await deployChainlinkMarket(ethers, {
    owner,
    collaterals: [WETH_PARAMS, WBTC_PARAMS, LOW],
    assetTriggers: PERMISSIVE_TRIGGERS,
    baseTriggers: { ...PERMISSIVE_TRIGGERS, maxFall: DEFAULT_BASE_TRIGGERS.maxFall },
  });
  const [weth, wbtc, low] = [collateral(market, "WETH"), collateral(market, "WBTC"), collateral(market, "LOW")];
  const risk = await deployRiskModules(ethers, market.vault, { collaterals: market.collaterals });
  await market.usdc.mint(lender.address, usd("10000000"));
  await market.usdc.connect(lender).approve(market.vault, MaxUint256);
  await market.vault.connect(lender).deposit(usd("10000000"), lender.address);
  const accounts = signers.slice(6, 16);
  for (const actor of [alice, bob, ...accounts]) {
    await weth.mint(actor.address, wad("1000"));
    await wbtc.mint(actor.address, parseUnits("100", 8));
    await low.mint(actor.address, parseUnits("1000000", 6));
    for (const token of [weth, wbtc, low, market.usdc]) await token.connect(actor).approve(market.vault, MaxUint256);
  }
  return { market, risk, weth, wbtc, low, owner, lender, alice, bob, keeper, stranger, accounts };
}

/** One hour later, `token`'s feed publishes `priceWad`, every feed beats, and the volatility oracle samples it. */
async function hourlySample(f: RiskFixture, token: MockERC20, priceWad: bigint): Promise<bigint> {
  await time.increase(HOUR);
  await (await f.market.prices.set(await token.getAddress(), priceWad)).wait();
  await f.market.heartbeat();
  await (await f.risk.volatility.update(token)).wait();
  return f.risk.volatility.volatility(token);
}

/** Keeps every feed fresh (a new round at the current answer). */
async function beat(f: RiskFixture): Promise<void> {
  await f.market.heartbeat();
}

/** The risk fixture after WETH swung ±10% for eight hours: its volatility far above the 80% reference. */
async function volatileFixture(): Promise<RiskFixture> {
  const f = await riskFixture();
  for (let i = 0; i < 8; i++) await hourlySample(f, f.weth, i % 2 === 0 ? wad("2700") : wad("3000"));
  return f;
}

/** A Proof-of-Reserve feed with `decimals` reporting `answer`, updated now. */
async function reserveFeed(decimals: number, answer: bigint): Promise<TestAggregator> {
  const feed = await ethers.deployContract("TestAggregator", [decimals, "PoR"]);
  await (await feed.push(answer)).wait();
  return feed;
}

// ----------------------------------------------------------------------------------------------- tests

describe("RiskManager", function () {
  describe("construction and governance", function () {
    it("the constructor rejects a zero vault or a zero volatility oracle", async function () {
      const f = await networkHelpers.loadFixture(riskFixture);
      const factory = await ethers.getContractFactory("RiskManager");
      await expect(
        factory.deploy(ZeroAddress, f.risk.volatility, DEFAULT_RISK_PARAMS, f.owner.address),
      ).to.be.revertedWithCustomError(f.risk.riskManager, "ZeroAddress");
      await expect(
        factory.deploy(f.market.vault, ZeroAddress, DEFAULT_RISK_PARAMS, f.owner.address),
      ).to.be.revertedWithCustomError(f.risk.riskManager, "ZeroAddress");
      // The constructor's parameters go through the same bounds as setParams.
      await expect(
        factory.deploy(f.market.vault, f.risk.volatility, { ...DEFAULT_RISK_PARAMS, horizon: 3599 }, f.owner.address),
      )
        .to.be.revertedWithCustomError(f.risk.riskManager, "ParameterOutOfBounds")
        .withArgs(encodeBytes32String("horizon"), 3599n, 3600n, 7n * 86_400n);
      const rm = await factory.deploy(f.market.vault, f.risk.volatility, DEFAULT_RISK_PARAMS, f.owner.address);
      expect(await rm.vault()).to.equal(await f.market.vault.getAddress());
      expect(await rm.volatilityOracle()).to.equal(await f.risk.volatility.getAddress());
      expect(await rm.owner()).to.equal(f.owner.address);
      expect(await rm.params()).to.deep.equal([86_400n, wad("0.02"), wad("0.10")]);
    });

    it("setParams: each bound's edge is accepted and one past it is rejected, naming the parameter", async function () {
      const f = await networkHelpers.loadFixture(riskFixture);
      const rm = f.risk.riskManager.connect(f.owner);
      const base = { horizon: 86_400n, reserveTarget: wad("0.02"), reserveBoost: wad("0.1") };
      const cases: [keyof typeof base, bigint, bigint][] = [
        // [field, lowest accepted, highest accepted]
        ["horizon", 3600n, 7n * 86_400n],
        ["reserveTarget", 0n, wad("0.2")],
        ["reserveBoost", 0n, wad("0.25")],
      ];
      for (const [field, lo, hi] of cases) {
        for (const ok of [lo, hi]) {
          const p = { ...base, [field]: ok };
          await expect(rm.setParams(p)).to.emit(rm, "ParamsSet").withArgs([p.horizon, p.reserveTarget, p.reserveBoost]);
          expect((await rm.params())[field]).to.equal(ok);
        }
        const past = [hi + 1n, ...(lo > 0n ? [lo - 1n] : [])];
        for (const bad of past) {
          await expect(rm.setParams({ ...base, [field]: bad }))
            .to.be.revertedWithCustomError(rm, "ParameterOutOfBounds")
            .withArgs(encodeBytes32String(field), bad, lo, hi);
        }
      }
    });

    it("setAssetRisk: bounds (edge in, one past out, by name), NotCollateral, and the stored struct", async function () {
      const f = await networkHelpers.loadFixture(riskFixture);
      const rm = f.risk.riskManager.connect(f.owner);
      const base: Risk = defaultRisk(wad("0.8"));
      const highest: Record<keyof Risk, bigint> = {
        referenceVolatility: wad("5"),
        ltvK: wad("5"),
        thresholdK: wad("5"),
        maxLtvCut: wad("0.5"),
        maxThresholdCut: wad("0.25"),
      };
      for (const [field, hi] of Object.entries(highest) as [keyof Risk, bigint][]) {
        for (const ok of [0n, hi]) {
          const r = { ...base, [field]: ok };
          await expect(rm.setAssetRisk(f.weth, r))
            .to.emit(rm, "AssetRiskSet")
            .withArgs(await f.weth.getAddress(), [
              r.referenceVolatility,
              r.ltvK,
              r.thresholdK,
              r.maxLtvCut,
              r.maxThresholdCut,
            ]);
          expect((await rm.assetRisk(f.weth))[field]).to.equal(ok);
        }
        await expect(rm.setAssetRisk(f.weth, { ...base, [field]: hi + 1n }))
          .to.be.revertedWithCustomError(rm, "ParameterOutOfBounds")
          .withArgs(encodeBytes32String(field), hi + 1n, 0n, hi);
      }
      for (const unlisted of [await f.market.usdc.getAddress(), f.stranger.address, ZeroAddress]) {
        await expect(rm.setAssetRisk(unlisted, base))
          .to.be.revertedWithCustomError(rm, "NotCollateral")
          .withArgs(unlisted);
      }
    });

    it("setReserveCheck: heartbeat and tolerance bounds, decimals read and stored, zero feed removes", async function () {
      const f = await networkHelpers.loadFixture(riskFixture);
      const rm = f.risk.riskManager.connect(f.owner);
      const feed = await reserveFeed(8, 1n);
      const weth = await f.weth.getAddress();
      for (const heartbeat of [1n, 7n * 86_400n]) {
        await expect(rm.setReserveCheck(weth, feed, heartbeat, wad("0.1")))
          .to.emit(rm, "ReserveCheckSet")
          .withArgs(weth, await feed.getAddress(), heartbeat, wad("0.1"));
        expect(await rm.reserveCheck(weth)).to.deep.equal([await feed.getAddress(), heartbeat, wad("0.1"), 8n]);
      }
      for (const heartbeat of [0n, 7n * 86_400n + 1n]) {
        await expect(rm.setReserveCheck(weth, feed, heartbeat, 0n))
          .to.be.revertedWithCustomError(rm, "ParameterOutOfBounds")
          .withArgs(encodeBytes32String("heartbeat"), heartbeat, 1n, 7n * 86_400n);
      }
      await expect(rm.setReserveCheck(weth, feed, 3600, 0n)).to.emit(rm, "ReserveCheckSet");
      await expect(rm.setReserveCheck(weth, feed, 3600, wad("0.1") + 1n))
        .to.be.revertedWithCustomError(rm, "ParameterOutOfBounds")
        .withArgs(encodeBytes32String("tolerance"), wad("0.1") + 1n, 0n, wad("0.1"));
      // A 36-decimals feed is the largest accepted.
      const feed36 = await reserveFeed(36, 1n);
      await rm.setReserveCheck(weth, feed36, 3600, 0n);
      expect((await rm.reserveCheck(weth)).feedDecimals).to.equal(36n);
      // A zero feed removes the check: the asset is unchecked again.
      await expect(rm.setReserveCheck(weth, ZeroAddress, 0, 0))
        .to.emit(rm, "ReserveCheckSet")
        .withArgs(weth, ZeroAddress, 0n, 0n);
      expect(await rm.reserveCheck(weth)).to.deep.equal([ZeroAddress, 0n, 0n, 0n]);
      expect(await rm.reserveStatus(weth)).to.deep.equal([ReserveStatus.UNCHECKED, 0n, 0n]);
      await expect(rm.setReserveCheck(await f.market.usdc.getAddress(), feed, 3600, 0n))
        .to.be.revertedWithCustomError(rm, "NotCollateral")
        .withArgs(await f.market.usdc.getAddress());
    });

    it("setReserveCheck: BadReserveFeed for a contract without decimals() or with more than 36", async function () {
      const f = await networkHelpers.loadFixture(riskFixture);
      const rm = f.risk.riskManager.connect(f.owner);
      const noDecimals = await deployZeroRateModel(ethers); // a contract with no decimals() and no fallback
      await expect(rm.setReserveCheck(f.weth, noDecimals, 3600, 0n))
        .to.be.revertedWithCustomError(rm, "BadReserveFeed")
        .withArgs(await noDecimals.getAddress());
      const feed37 = await reserveFeed(37, 1n);
      await expect(rm.setReserveCheck(f.weth, feed37, 3600, 0n))
        .to.be.revertedWithCustomError(rm, "BadReserveFeed")
        .withArgs(await feed37.getAddress());
    });

    it("setReserveCheck: BadReserveFeed for an address with no code (an EOA)", async function () {
      const f = await networkHelpers.loadFixture(riskFixture);
      const rm = f.risk.riskManager.connect(f.owner);
      await expect(rm.setReserveCheck(f.weth, f.stranger.address, 3600, 0n))
        .to.be.revertedWithCustomError(rm, "BadReserveFeed")
        .withArgs(f.stranger.address);
    });

    it("governance is the owner's only; renounceOwnership is disabled", async function () {
      const f = await networkHelpers.loadFixture(riskFixture);
      const rm = f.risk.riskManager.connect(f.stranger);
      const feed = await reserveFeed(8, 1n);
      const calls = [
        () => rm.setParams(DEFAULT_RISK_PARAMS),
        () => rm.setAssetRisk(f.weth, defaultAssetRisk(wad("0.8"))),
        () => rm.setReserveCheck(f.weth, feed, 3600, 0n),
        () => rm.renounceOwnership(),
      ];
      for (const call of calls) {
        await expect(call())
          .to.be.revertedWithCustomError(rm, "OwnableUnauthorizedAccount")
          .withArgs(f.stranger.address);
      }
      await expect(f.risk.riskManager.connect(f.owner).renounceOwnership()).to.be.revertedWithCustomError(
        rm,
        "RenounceDisabled",
      );
      expect(await rm.owner()).to.equal(f.owner.address);
    });
  });

  describe("caps from volatility", function () {
    it("at and below the reference volatility the caps are the governance config", async function () {
      const f = await networkHelpers.loadFixture(riskFixture);
      const rm = f.risk.riskManager;
      for (const [token, params] of [
        [f.weth, WETH_PARAMS],
        [f.wbtc, WBTC_PARAMS],
        [f.low, LOW],
      ] as const) {
        // Seeded at its reference: volatility = reference exactly.
        const reference = REFERENCE_VOLATILITY[params.symbol] ?? wad("1");
        expect(await f.risk.volatility.volatility(token)).to.equal(reference);
        expect(await rm.caps(token)).to.deep.equal([
          params.borrowLtv,
          params.liquidationThreshold,
          reference,
          ReserveStatus.UNCHECKED,
        ]);
      }
      // The first sample has no return (the estimate stays at the seed); a calm hour (no move) then takes the
      // estimate below the reference: still the config.
      expect(await hourlySample(f, f.weth, wad("3000"))).to.equal(REFERENCE_VOLATILITY.WETH);
      const vol = await hourlySample(f, f.weth, wad("3000"));
      expect(vol).to.be.lessThan(REFERENCE_VOLATILITY.WETH);
      const [ltvCap, thresholdCap] = await rm.caps(f.weth);
      expect([ltvCap, thresholdCap]).to.deep.equal([WETH_PARAMS.borrowLtv, WETH_PARAMS.liquidationThreshold]);
    });

    it("above the reference, the caps follow the formula exactly, linear then saturated at the maximum cuts", async function () {
      const f = await networkHelpers.loadFixture(riskFixture);
      const rm = f.risk.riskManager.connect(f.owner);
      // Odd parameters, so every rounding shows: horizon 7h 2m 3s, k of 1.3 and 0.6 (plus a few wei).
      const horizon = 7n * 3600n + 123n;
      await rm.setParams({ ...DEFAULT_RISK_PARAMS, horizon });
      const risk: Risk = {
        referenceVolatility: wad("0.8"),
        ltvK: wad("1.3") + 7n,
        thresholdK: wad("0.6") + 3n,
        maxLtvCut: wad("0.12"),
        maxThresholdCut: wad("0.05"),
      };
      await rm.setAssetRisk(f.weth, risk);
      const path = ["2900", "3000", "2850", "3100", "2800", "3050", "2750", "3000", "2700", "3000", "2700", "3000"];
      let linear = 0;
      let saturatedLtv = 0;
      let saturatedThreshold = 0;
      for (const price of path) {
        const vol = await hourlySample(f, f.weth, wad(price));
        const e = expectedCaps(WETH_PARAMS.borrowLtv, WETH_PARAMS.liquidationThreshold, risk, vol, horizon);
        expect(await rm.caps(f.weth)).to.deep.equal([e.ltvCap, e.thresholdCap, vol, ReserveStatus.UNCHECKED]);
        if (vol > risk.referenceVolatility && e.ltvCut < risk.maxLtvCut) linear++;
        if (e.ltvCut === risk.maxLtvCut) saturatedLtv++;
        if (e.thresholdCut === risk.maxThresholdCut) saturatedThreshold++;
        // The cuts in plain words: never above their maxima, the threshold cut k_T/k_L of the LTV cut until capped.
        expect(WETH_PARAMS.borrowLtv - e.ltvCap).to.be.lessThanOrEqual(risk.maxLtvCut);
        expect(WETH_PARAMS.liquidationThreshold - e.thresholdCap).to.be.lessThanOrEqual(risk.maxThresholdCut);
      }
      expect(linear, "steps in the linear regime").to.be.greaterThan(0);
      expect(saturatedLtv, "steps with the LTV cut saturated").to.be.greaterThan(0);
      expect(saturatedThreshold, "steps with the threshold cut saturated").to.be.greaterThan(0);
    });

    it("one worked example by hand: σ = 1.8, reference 0.8, horizon 1 day, k = 1 and 0.5", async function () {
      const f = await networkHelpers.loadFixture(riskFixture);
      // Seed WETH's estimate at 180% directly (re-tracking keeps the estimate, so stop and start again).
      const vo = f.risk.volatility.connect(f.owner);
      await vo.setTracking(f.weth, { minInterval: 0, alpha: 0, seedVolatility: 0 });
      await vo.setTracking(f.weth, { minInterval: 3600, alpha: wad("0.1"), seedVolatility: wad("1.8") });
      expect(await f.risk.volatility.volatility(f.weth)).to.equal(wad("1.8"));
      // √(86400/31536000) = √(1/365): ⌊1e18/365⌋ = 2739726027397260, and ⌊√(2739726027397260e18)⌋.
      expect(sqrtHorizon(86_400n)).to.equal(52342392259021367n);
      // s = 1.0 × 0.052342392259021367; LTV cut = s (k = 1), threshold cut = s/2 rounded up (…683.5 → …684).
      const [ltvCap, thresholdCap] = await f.risk.riskManager.caps(f.weth);
      expect(ltvCap).to.equal(747657607740978633n);
      expect(thresholdCap).to.equal(823828803870489316n);
    });

    it("the threshold cap never goes below half the config threshold (rounded up); the LTV cap stops at 0", async function () {
      const f = await networkHelpers.loadFixture(riskFixture);
      const rm = f.risk.riskManager.connect(f.owner);
      // LOW: LT 0.4 + 1 wei, so LT − 0.25 = 0.15 is below the floor ⌈LT/2⌉ = 0.2 + 1 wei.
      const risk: Risk = {
        referenceVolatility: wad("0.5"),
        ltvK: wad("5"),
        thresholdK: wad("5"),
        maxLtvCut: wad("0.5"),
        maxThresholdCut: wad("0.25"),
      };
      await rm.setAssetRisk(f.low, risk);
      const floor = wad("0.2") + 1n;
      expect(ceilDiv(LOW.liquidationThreshold, 2n)).to.equal(floor);
      let sawFloor = false;
      for (const price of ["9", "10", "9", "10", "9", "10"]) {
        const vol = await hourlySample(f, f.low, wad(price));
        const e = expectedCaps(LOW.borrowLtv, LOW.liquidationThreshold, risk, vol, 86_400n);
        const [ltvCap, thresholdCap] = await rm.caps(f.low);
        expect([ltvCap, thresholdCap]).to.deep.equal([e.ltvCap, e.thresholdCap]);
        expect(thresholdCap).to.be.greaterThanOrEqual(floor);
        if (e.thresholdCut === risk.maxThresholdCut) {
          sawFloor = true;
          expect(thresholdCap).to.equal(floor);
          expect(ltvCap).to.equal(0n); // a cut of 0.5 ≥ the 0.30 LTV
        }
      }
      expect(sawFloor, "the cut reached its maximum").to.equal(true);
      // The vault takes the floor (it rejects anything below it): the sync goes through.
      await expect(f.risk.riskManager.sync(f.low))
        .to.emit(f.market.vault, "RiskRampStarted")
        .withArgs(await f.low.getAddress(), anyValue, 0n, floor);
    });
  });

  describe("sync", function () {
    it("is permissionless, sends the caps to the vault and emits CapsSynced", async function () {
      const f = await networkHelpers.loadFixture(volatileFixture);
      const weth = await f.weth.getAddress();
      const vol = await f.risk.volatility.volatility(weth);
      const e = expectedCaps(
        WETH_PARAMS.borrowLtv,
        WETH_PARAMS.liquidationThreshold,
        defaultRisk(REFERENCE_VOLATILITY.WETH),
        vol,
        86_400n,
      );
      expect(e.ltvCap).to.be.lessThan(WETH_PARAMS.borrowLtv);
      const [, , ltvCapBefore, thresholdCapBefore] = await f.market.lens.riskRamp(f.market.vault, weth);
      expect([ltvCapBefore, thresholdCapBefore]).to.deep.equal([2n ** 64n - 1n, 2n ** 64n - 1n]);
      expect(await f.risk.riskManager.connect(f.stranger).sync.staticCall(weth)).to.deep.equal([
        e.ltvCap,
        e.thresholdCap,
      ]);
      const tx = f.risk.riskManager.connect(f.stranger).sync(weth);
      await expect(tx)
        .to.emit(f.risk.riskManager, "CapsSynced")
        .withArgs(weth, vol, ReserveStatus.UNCHECKED, e.ltvCap, e.thresholdCap);
      await expect(tx)
        .to.emit(f.market.vault, "RiskRampStarted")
        .withArgs(
          weth,
          [WETH_PARAMS.borrowLtv, e.ltvCap, WETH_PARAMS.liquidationThreshold, e.thresholdCap],
          e.ltvCap,
          e.thresholdCap,
        );
      const [ramp, start, ltvCap, thresholdCap] = await f.market.lens.riskRamp(f.market.vault, weth);
      expect([ltvCap, thresholdCap]).to.deep.equal([e.ltvCap, e.thresholdCap]);
      expect([ramp.ltvTarget, ramp.thresholdTarget]).to.deep.equal([e.ltvCap, e.thresholdCap]);
      expect(start).to.equal(BigInt(await time.latest()));
      // The LTV is cut at once; the threshold starts from the config and moves at most a point an hour.
      expect(await f.market.vault.riskParams(weth)).to.deep.equal([e.ltvCap, WETH_PARAMS.liquidationThreshold]);
      await time.increaseTo(Number(start) + HOUR);
      const stepDown = max(e.thresholdCap, WETH_PARAMS.liquidationThreshold - wad("0.01"));
      expect(await f.market.vault.riskParams(weth)).to.deep.equal([e.ltvCap, stepDown]);
    });

    it("a sync with unchanged caps changes nothing in the vault", async function () {
      const f = await networkHelpers.loadFixture(volatileFixture);
      const weth = await f.weth.getAddress();
      await (await f.risk.riskManager.sync(weth)).wait();
      const before = await f.market.lens.riskRamp(f.market.vault, weth);
      const params = await f.market.vault.riskParams(weth);
      await time.increase(600);
      const tx = f.risk.riskManager.connect(f.keeper).sync(weth);
      await expect(tx).to.emit(f.risk.riskManager, "CapsSynced");
      await expect(tx).not.to.emit(f.market.vault, "RiskRampStarted");
      expect(await f.market.lens.riskRamp(f.market.vault, weth)).to.deep.equal(before);
      // The ramp keeps running from its original start (10 minutes of a 1-point-an-hour cut).
      const [, lt] = await f.market.vault.riskParams(weth);
      expect(lt).to.be.lessThan(params[1]);
    });

    it("syncMany syncs each asset; unlisted assets revert NotCollateral", async function () {
      const f = await networkHelpers.loadFixture(volatileFixture);
      const assets = [await f.weth.getAddress(), await f.wbtc.getAddress(), await f.low.getAddress()];
      const tx = f.risk.riskManager.connect(f.stranger).syncMany(assets);
      for (const asset of assets) {
        const [ltvCap, thresholdCap, vol, status] = await f.risk.riskManager.caps(asset);
        await expect(tx).to.emit(f.risk.riskManager, "CapsSynced").withArgs(asset, vol, status, ltvCap, thresholdCap);
        const [, , vaultLtvCap, vaultThresholdCap] = await f.market.lens.riskRamp(f.market.vault, asset);
        expect([vaultLtvCap, vaultThresholdCap]).to.deep.equal([ltvCap, thresholdCap]);
      }
      const usdc = await f.market.usdc.getAddress();
      await expect(f.risk.riskManager.sync(usdc))
        .to.be.revertedWithCustomError(f.risk.riskManager, "NotCollateral")
        .withArgs(usdc);
      await expect(f.risk.riskManager.syncMany([assets[0], usdc]))
        .to.be.revertedWithCustomError(f.risk.riskManager, "NotCollateral")
        .withArgs(usdc);
      await expect(f.risk.riskManager.caps(usdc))
        .to.be.revertedWithCustomError(f.risk.riskManager, "NotCollateral")
        .withArgs(usdc);
    });
  });

  describe("proof of reserve", function () {
    // [symbol, token decimals, feed decimals]
    const combos: [string, number, number][] = [
      ["WBTC", 8, 8],
      ["WETH", 18, 8],
      ["LOW", 6, 18],
    ];
    for (const [symbol, tokenDecimals, feedDecimals] of combos) {
      it(`${symbol} (${tokenDecimals} decimals) with a ${feedDecimals}-decimals feed: OK from supply × (1 − tolerance), SHORT one unit below`, async function () {
        const f = await networkHelpers.loadFixture(riskFixture);
        const token = collateral(f.market, symbol);
        const asset = await token.getAddress();
        await token.mint(f.stranger.address, 123_456_789n); // an odd supply, so the rounding shows
        const supply = await token.totalSupply();
        const tolerance = wad("0.013");
        const threshold = wadMulUp(supply, WAD - tolerance);
        const scaleUp = 10n ** BigInt(tokenDecimals);
        const scaleDown = 10n ** BigInt(feedDecimals);
        // Smallest answer whose reserves (answer × 10^td / 10^fd, rounded down) reach the threshold.
        const edge = ceilDiv(threshold * scaleDown, scaleUp);
        const reservesAt = (a: bigint): bigint => (a * scaleUp) / scaleDown;
        expect(reservesAt(edge)).to.be.greaterThanOrEqual(threshold);
        expect(reservesAt(edge - 1n)).to.be.lessThan(threshold);

        const feed = await reserveFeed(feedDecimals, edge);
        await f.risk.riskManager.connect(f.owner).setReserveCheck(asset, feed, 86_400, tolerance);
        expect(await f.risk.riskManager.reserveStatus(asset)).to.deep.equal([
          ReserveStatus.OK,
          reservesAt(edge),
          supply,
        ]);
        expect((await f.risk.riskManager.caps(asset))[3]).to.equal(ReserveStatus.OK);
        await (await feed.push(edge - 1n)).wait();
        expect(await f.risk.riskManager.reserveStatus(asset)).to.deep.equal([
          ReserveStatus.SHORT,
          reservesAt(edge - 1n),
          supply,
        ]);
        // Minting more supply against the same reserves also makes it short.
        await (await feed.push(edge)).wait();
        await token.mint(f.stranger.address, scaleUp);
        expect((await f.risk.riskManager.reserveStatus(asset))[0]).to.equal(ReserveStatus.SHORT);
      });
    }

    it("SHORT freezes the asset: LTV cap 0 at once, threshold cap LT − maxThresholdCut reached at 1 point an hour", async function () {
      const f = await networkHelpers.loadFixture(riskFixture);
      const { vault } = f.market;
      const weth = await f.weth.getAddress();
      await vault.connect(f.alice).depositCollateral(weth, wad("10"), f.alice.address); // $30,000, limit $24,000
      await vault.connect(f.bob).depositCollateral(f.wbtc, parseUnits("1", 8), f.bob.address); // $60,000, $43,800
      const supply = await f.weth.totalSupply();
      // Reserves of 95% of the supply, 1% tolerated: short.
      const feed = await reserveFeed(8, (supply * 95n) / 100n / 10n ** 10n);
      await f.risk.riskManager.connect(f.owner).setReserveCheck(weth, feed, 86_400, wad("0.01"));
      // Before the sync the borrow fits.
      await vault.connect(f.alice).borrow.staticCall(usd("20000"), f.alice.address);

      const lt0 = WETH_PARAMS.liquidationThreshold;
      const frozenThreshold = lt0 - defaultRisk(REFERENCE_VOLATILITY.WETH).maxThresholdCut;
      expect(frozenThreshold).to.equal(wad("0.75"));
      const tx = f.risk.riskManager.connect(f.keeper).sync(weth);
      await expect(tx)
        .to.emit(f.risk.riskManager, "CapsSynced")
        .withArgs(weth, REFERENCE_VOLATILITY.WETH, ReserveStatus.SHORT, 0n, frozenThreshold);
      const start = await time.latest();
      expect(await vault.riskParams(weth)).to.deep.equal([0n, lt0]);
      // Borrowing against the frozen WETH fails; against WBTC it still works.
      await beat(f);
      await expect(vault.connect(f.alice).borrow(usd("20000"), f.alice.address))
        .to.be.revertedWithCustomError(vault, "BorrowLimitExceeded")
        .withArgs(f.alice.address, usd("20000") * 10n ** 12n, 0n);
      await expect(vault.connect(f.bob).borrow(usd("20000"), f.bob.address)).to.emit(vault, "Borrowed");
      // The threshold falls 1 point an hour, to the frozen cap after 10 hours, never below it.
      for (const [hours, expected] of [
        [0.5, lt0 - wad("0.005")],
        [1, lt0 - wad("0.01")],
        [4, lt0 - wad("0.04")],
        [10, frozenThreshold],
        [12, frozenThreshold],
      ] as const) {
        await time.increaseTo(start + hours * HOUR);
        expect(await vault.riskParams(weth), `after ${hours} h`).to.deep.equal([0n, expected]);
      }
    });

    it("a stale report (older than the heartbeat) freezes the asset as STALE; exactly the heartbeat is fresh", async function () {
      const f = await networkHelpers.loadFixture(riskFixture);
      const weth = await f.weth.getAddress();
      const supply = await f.weth.totalSupply();
      const feed = await ethers.deployContract("TestAggregator", [18, "PoR"]);
      const heartbeat = 86_400;
      await f.risk.riskManager.connect(f.owner).setReserveCheck(weth, feed, heartbeat, 0n);
      const now = await time.latest();
      await feed.pushAt(supply, now - heartbeat + 1, now - heartbeat + 1); // mined at now + 1: age = heartbeat
      expect(await time.latest()).to.equal(now + 1);
      expect(await f.risk.riskManager.reserveStatus(weth)).to.deep.equal([ReserveStatus.OK, supply, supply]);
      await time.increase(1);
      expect(await f.risk.riskManager.reserveStatus(weth)).to.deep.equal([ReserveStatus.STALE, supply, supply]);
      await expect(f.risk.riskManager.sync(weth))
        .to.emit(f.risk.riskManager, "CapsSynced")
        .withArgs(weth, anyValue, ReserveStatus.STALE, 0n, wad("0.75"));
    });

    describe("a broken feed freezes the asset as BROKEN, and never reverts a sync", function () {
      const cases: [string, (feed: TestAggregator, supply: bigint) => Promise<ContractTransactionResponse>][] = [
        ["the feed reverts", (feed) => feed.setMode(Mode.Revert)],
        ["the feed answers 0", (feed) => feed.push(0n)],
        ["the feed answers a negative number", (feed) => feed.push(-1n)],
        [
          "the report's updatedAt is in the future",
          async (feed, supply) => {
            const now = await time.latest();
            return feed.pushAt(supply, now + 100, now + 100);
          },
        ],
        ["the report's updatedAt is 0", (feed, supply) => feed.pushAt(supply, 0, 0)],
        ["the feed burns all the gas it is given", (feed) => feed.setMode(Mode.BurnGas)],
        ["the feed returns malformed data (one word)", (feed) => feed.setMode(Mode.Malformed)],
      ];
      for (const [name, breakFeed] of cases) {
        it(name, async function () {
          const f = await networkHelpers.loadFixture(riskFixture);
          const weth = await f.weth.getAddress();
          const supply = await f.weth.totalSupply();
          const feed = await reserveFeed(18, supply);
          await f.risk.riskManager.connect(f.owner).setReserveCheck(weth, feed, 86_400, 0n);
          expect((await f.risk.riskManager.reserveStatus(weth))[0]).to.equal(ReserveStatus.OK);
          await (await breakFeed(feed, supply)).wait();
          expect(await f.risk.riskManager.reserveStatus(weth)).to.deep.equal([ReserveStatus.BROKEN, 0n, 0n]);
          const tx = f.risk.riskManager.connect(f.keeper).sync(weth, { gasLimit: 1_000_000 });
          await expect(tx)
            .to.emit(f.risk.riskManager, "CapsSynced")
            .withArgs(weth, REFERENCE_VOLATILITY.WETH, ReserveStatus.BROKEN, 0n, wad("0.75"));
          const [, , ltvCap, thresholdCap] = await f.market.lens.riskRamp(f.market.vault, weth);
          expect([ltvCap, thresholdCap]).to.deep.equal([0n, wad("0.75")]);
          // syncMany over every asset goes through as well.
          await expect(f.risk.riskManager.syncMany([weth, await f.wbtc.getAddress()])).to.emit(
            f.risk.riskManager,
            "CapsSynced",
          );
        });
      }
    });

    it("recovery: reserves restored → OK, caps back to the config, the vault ramps up at 0.5 (LTV) and 0.25 (threshold) points an hour", async function () {
      const f = await networkHelpers.loadFixture(riskFixture);
      const { vault } = f.market;
      const weth = await f.weth.getAddress();
      const supply = await f.weth.totalSupply();
      const feed = await reserveFeed(18, supply / 2n);
      await f.risk.riskManager.connect(f.owner).setReserveCheck(weth, feed, 7 * 86_400, wad("0.01"));
      await (await f.risk.riskManager.sync(weth)).wait();
      const frozeAt = await time.latest();
      await time.increaseTo(frozeAt + 10 * HOUR);
      expect(await vault.riskParams(weth)).to.deep.equal([0n, wad("0.75")]);

      await (await feed.push(supply)).wait();
      expect(await f.risk.riskManager.reserveStatus(weth)).to.deep.equal([ReserveStatus.OK, supply, supply]);
      await expect(f.risk.riskManager.sync(weth))
        .to.emit(f.risk.riskManager, "CapsSynced")
        .withArgs(weth, REFERENCE_VOLATILITY.WETH, ReserveStatus.OK, wad("0.8"), wad("0.85"));
      const start = await time.latest();
      expect(await vault.riskParams(weth)).to.deep.equal([0n, wad("0.75")]);
      for (const [hours, ltv, lt] of [
        [1, wad("0.005"), wad("0.7525")],
        [2, wad("0.01"), wad("0.755")],
        [10, wad("0.05"), wad("0.775")],
        [40, wad("0.2"), wad("0.85")],
        [159, wad("0.795"), wad("0.85")],
        [160, wad("0.8"), wad("0.85")],
        [200, wad("0.8"), wad("0.85")],
      ] as const) {
        await time.increaseTo(start + hours * HOUR);
        expect(await vault.riskParams(weth), `after ${hours} h`).to.deep.equal([ltv, lt]);
      }
    });
  });

  describe("syncReserves", function () {
    /** The risk fixture after a year of 5,000,000 USDC borrowed, interest then frozen (exact numbers). */
    async function reservesFixture(): Promise<RiskFixture> {
      const f = await riskFixture();
      await f.market.vault.connect(f.alice).depositCollateral(f.wbtc, parseUnits("100", 8), f.alice.address);
      await beat(f);
      await f.market.vault.connect(f.alice).borrow(usd("4000000"), f.alice.address);
      await time.increase(Number(YEAR));
      await beat(f);
      await f.market.vault.connect(f.owner).setInterestRateModel(await deployZeroRateModel(ethers));
      return f;
    }

    it("boosts the reserve factor while reserves are below target × total debt, clears it once they are not", async function () {
      const f = await networkHelpers.loadFixture(reservesFixture);
      const { vault, lens } = f.market;
      const rm = f.risk.riskManager;
      const reserves = await vault.reserves();
      const debt = await vault.totalDebt();
      expect(reserves).to.be.greaterThan(0n);
      const target = wadMulUp(debt, wad("0.02"));
      expect(reserves).to.be.lessThan(target);

      const tx = rm.connect(f.stranger).syncReserves();
      await expect(tx).to.emit(rm, "ReserveBoostSynced").withArgs(reserves, target, wad("0.1"));
      await expect(tx).to.emit(vault, "ReserveBoostSet").withArgs(wad("0.1"));
      expect((await lens.riskModules(vault))[2]).to.equal(wad("0.1"));
      expect(await rm.syncReserves.staticCall()).to.equal(wad("0.1"));
      // A second sync changes nothing in the vault.
      await expect(rm.syncReserves()).not.to.emit(vault, "ReserveBoostSet");

      // The target share at which these reserves are exactly enough: rebuilt, the boost goes.
      const edge = (reserves * WAD) / debt;
      expect(wadMulUp(debt, edge)).to.be.lessThanOrEqual(reserves);
      expect(wadMulUp(debt, edge + 1n)).to.be.greaterThan(reserves);
      await rm.connect(f.owner).setParams({ ...DEFAULT_RISK_PARAMS, reserveTarget: edge });
      const cleared = rm.connect(f.stranger).syncReserves();
      await expect(cleared).to.emit(rm, "ReserveBoostSynced").withArgs(reserves, wadMulUp(debt, edge), 0n);
      await expect(cleared).to.emit(vault, "ReserveBoostSet").withArgs(0n);
      expect((await lens.riskModules(vault))[2]).to.equal(0n);
      // One wei of target share more and they are short again.
      await rm.connect(f.owner).setParams({ ...DEFAULT_RISK_PARAMS, reserveTarget: edge + 1n });
      await expect(rm.syncReserves())
        .to.emit(rm, "ReserveBoostSynced")
        .withArgs(reserves, wadMulUp(debt, edge + 1n), wad("0.1"));
      expect((await lens.riskModules(vault))[2]).to.equal(wad("0.1"));
      // A zero reserveBoost parameter clears the boost even while short.
      await rm.connect(f.owner).setParams({ ...DEFAULT_RISK_PARAMS, reserveTarget: edge + 1n, reserveBoost: 0n });
      await expect(rm.syncReserves()).to.emit(rm, "ReserveBoostSynced").withArgs(reserves, anyValue, 0n);
      expect((await lens.riskModules(vault))[2]).to.equal(0n);
    });

    it("the boost raises the share of interest that goes to reserves, and real interest rebuilds them", async function () {
      const f = await networkHelpers.loadFixture(riskFixture);
      const { vault, lens } = f.market;
      const rm = f.risk.riskManager;
      await vault.connect(f.alice).depositCollateral(f.wbtc, parseUnits("100", 8), f.alice.address);
      await beat(f);
      await vault.connect(f.alice).borrow(usd("4000000"), f.alice.address);
      await (await rm.syncReserves()).wait();
      expect((await lens.riskModules(vault))[2]).to.equal(wad("0.1"));
      // With the boost the reserve factor is 20%: reserves grow by 20% of the interest.
      const [debt0, reserves0] = [await vault.totalDebt(), await vault.reserves()];
      await time.increase(30 * 86_400);
      const [debt1, reserves1] = [await vault.totalDebt(), await vault.reserves()];
      expect(reserves1 - reserves0).to.equal(wadMulUp(debt1 - debt0, wad("0.2")));
      // Years later reserves cover 2% of the debt: the next sync clears the boost.
      let boost = wad("0.1");
      for (let year = 0; year < 12 && boost !== 0n; year++) {
        await time.increase(Number(YEAR));
        const tx = await rm.syncReserves();
        const receipt = await tx.wait();
        const event = rm.interface.parseLog(receipt!.logs.find((l) => l.address === rm.target)!)!;
        const [reserves, target, b] = event.args as unknown as [bigint, bigint, bigint];
        expect(reserves).to.equal(await vault.reserves());
        expect(target).to.equal(wadMulUp(await vault.totalDebt(), wad("0.02")));
        expect(b).to.equal(reserves < target ? wad("0.1") : 0n);
        boost = b;
      }
      expect(boost, "reserves were rebuilt").to.equal(0n);
      expect((await lens.riskModules(vault))[2]).to.equal(0n);
    });
  });

  describe("risk scores", function () {
    /** One collateral (WETH), ten accounts at different health factors, WETH's volatility raised. */
    async function scoresFixture(): Promise<RiskFixture> {
      const f = await volatileFixture();
      const { vault } = f.market;
      // [WETH posted, USDC borrowed]: health factors from ~1.06 to ~12.75, not in posting or borrowing order.
      const positions: [string, string][] = [
        ["10", "24000"],
        ["3", "2000"],
        ["50", "100000"],
        ["7", "16000"],
        ["20", "30000"],
        ["1", "800"],
        ["12", "9000"],
        ["40", "88000"],
        ["5", "6000"],
        ["100", "230000"],
      ];
      await beat(f);
      for (let i = 0; i < positions.length; i++) {
        const a = f.accounts[i];
        await vault.connect(a).depositCollateral(f.weth, wad(positions[i][0]), a.address);
        await vault.connect(a).borrow(usd(positions[i][1]), a.address);
      }
      return f;
    }

    it("no debt → type(uint256).max; liquidatable → 0", async function () {
      const f = await networkHelpers.loadFixture(scoresFixture);
      const rm = f.risk.riskManager;
      expect(await rm.riskScore(f.stranger.address)).to.equal(MaxUint256);
      await f.market.vault.connect(f.alice).depositCollateral(f.weth, wad("1"), f.alice.address);
      expect(await rm.riskScore(f.alice.address)).to.equal(MaxUint256); // collateral but no debt
      // WETH falls 12%: the account borrowed near its limit becomes liquidatable.
      await (await f.market.prices.set(await f.weth.getAddress(), wad("2640"))).wait();
      await beat(f);
      const a = f.accounts[0];
      expect(await f.market.vault.isLiquidatable(a.address)).to.equal(true);
      expect(await rm.riskScore(a.address)).to.equal(0n);
      const liq = await f.market.vault.accountLiquidity(f.accounts[2].address);
      expect(liq.liquidationLimit).to.be.greaterThan(liq.debtValue);
      expect(await rm.riskScore(f.accounts[2].address)).to.be.greaterThan(0n);
    });

    it("under one collateral, scores order the accounts exactly as their health factors", async function () {
      const f = await networkHelpers.loadFixture(scoresFixture);
      const rm = f.risk.riskManager;
      const accounts = f.accounts.map((a) => a.address);
      const scores = await rm.riskScores(accounts);
      const rows = [];
      for (let i = 0; i < accounts.length; i++) {
        expect(scores[i]).to.equal(await rm.riskScore(accounts[i]));
        rows.push({ hf: await f.market.lens.healthFactor(f.market.vault, accounts[i]), score: scores[i] });
      }
      expect(new Set(rows.map((r) => r.hf)).size, "distinct health factors").to.equal(accounts.length);
      rows.sort((a, b) => (a.hf < b.hf ? -1 : 1));
      for (let i = 1; i < rows.length; i++) {
        expect(rows[i].score, `score ${i} above score ${i - 1}`).to.be.greaterThan(rows[i - 1].score);
      }
      // The orders are not the trivial ones (posting order, debt order).
      expect(rows.map((r) => r.score)).not.to.deep.equal([...scores]);
      // And after a 9% fall, with some accounts close to the edge, the order still holds.
      await (await f.market.prices.set(await f.weth.getAddress(), wad("2730"))).wait();
      await beat(f);
      const after = await rm.riskScores(accounts);
      const rows2 = [];
      for (let i = 0; i < accounts.length; i++) {
        rows2.push({ hf: await f.market.lens.healthFactor(f.market.vault, accounts[i]), score: after[i] });
      }
      rows2.sort((a, b) => (a.hf < b.hf ? -1 : 1));
      for (let i = 1; i < rows2.length; i++) {
        if (rows2[i].hf > rows2[i - 1].hf && rows2[i - 1].hf > WAD) {
          expect(rows2[i].score).to.be.greaterThan(rows2[i - 1].score);
        } else {
          expect(rows2[i].score).to.be.greaterThanOrEqual(rows2[i - 1].score);
        }
      }
    });

    it("matches the formula for a two-collateral account", async function () {
      const f = await networkHelpers.loadFixture(volatileFixture);
      const { vault, lens, adapter } = f.market;
      const rm = f.risk.riskManager;
      // A different horizon, so √(H/YEAR) is not the default's.
      await rm.connect(f.owner).setParams({ ...DEFAULT_RISK_PARAMS, horizon: 5 * 3600 + 17 });
      const horizon = (await rm.params()).horizon;
      await beat(f);
      const a = f.alice;
      await vault.connect(a).depositCollateral(f.weth, wad("10"), a.address);
      await vault.connect(a).depositCollateral(f.wbtc, parseUnits("0.5", 8), a.address);
      await vault.connect(a).borrow(usd("40000"), a.address);
      // Sync WETH so its threshold is ramping: the score must use the effective threshold.
      await (await rm.sync(f.weth)).wait();
      await time.increase(HOUR);
      await beat(f);

      const liq = await vault.accountLiquidity(a.address);
      let weighted = 0n;
      let total = 0n;
      let plain = 0; // the formula in floating point: Σ valueᵢ·LTᵢ·σᵢ
      for (const token of [f.weth, f.wbtc]) {
        const asset = await token.getAddress();
        const held = await vault.collateralOf(a.address, asset);
        const price = await adapter.getPrice(asset);
        const [, decimals] = await lens.collateralInfo(vault, asset);
        const [, lt] = await vault.riskParams(asset);
        const limit = wadMulDown((held * price.low) / 10n ** decimals, lt);
        const vol = await f.risk.volatility.volatility(asset);
        weighted += wadMulUp(limit, vol);
        total += limit;
        plain += (Number(limit) / 1e18) * (Number(vol) / 1e18);
      }
      expect(total).to.equal(liq.liquidationLimit);
      const [wethLt] = [(await vault.riskParams(f.weth))[1]];
      expect(wethLt).to.be.lessThan(WETH_PARAMS.liquidationThreshold); // ramping
      const collateralVol = mulDivUp(weighted, WAD, total);
      const baseVol = await f.risk.volatility.volatility(f.market.usdc);
      const sensitivity = wadMulUp(
        wadMulUp(liq.liquidationLimit, collateralVol) + wadMulUp(liq.debtValue, baseVol),
        sqrtHorizon(horizon),
      );
      const expected = wadDivDown(liq.liquidationLimit - liq.debtValue, sensitivity);
      expect(await rm.riskScore(a.address)).to.equal(expected);
      // The interface's formula in plain numbers agrees to 1e-9.
      const zPlain =
        Number(liq.liquidationLimit - liq.debtValue) / 1e18 / (plain * Math.sqrt(Number(horizon) / Number(YEAR)));
      expect(Math.abs(Number(expected) / 1e18 / zPlain - 1)).to.be.lessThan(1e-9);
    });

    it("a base-asset volatility lowers every score", async function () {
      const f = await networkHelpers.loadFixture(scoresFixture);
      const rm = f.risk.riskManager;
      const accounts = f.accounts.map((a) => a.address);
      const before = await rm.riskScores(accounts);
      await f.risk.volatility
        .connect(f.owner)
        .setTracking(f.market.usdc, { minInterval: 3600, alpha: wad("0.1"), seedVolatility: wad("0.05") });
      expect(await f.risk.volatility.volatility(f.market.usdc)).to.equal(wad("0.05"));
      const after = await rm.riskScores(accounts);
      for (let i = 0; i < accounts.length; i++) {
        expect(after[i], `account ${i}`).to.be.lessThan(before[i]);
        // Under one collateral: z = (HF − 1) / ((HF·σ + σ_b)·√H), in plain numbers.
        const hf = Number(await f.market.lens.healthFactor(f.market.vault, accounts[i])) / 1e18;
        const sigma = Number(await f.risk.volatility.volatility(f.weth)) / 1e18;
        const z = (hf - 1) / ((hf * sigma + 0.05) * Math.sqrt(1 / 365));
        expect(Math.abs(Number(after[i]) / 1e18 / z - 1)).to.be.lessThan(1e-6);
      }
    });

    it("no volatility at all (untracked collateral and base) → type(uint256).max", async function () {
      const f = await networkHelpers.loadFixture(riskFixture);
      await f.risk.volatility.connect(f.owner).setTracking(f.weth, { minInterval: 0, alpha: 0, seedVolatility: 0 });
      await f.market.vault.connect(f.alice).depositCollateral(f.weth, wad("10"), f.alice.address);
      await f.market.vault.connect(f.alice).borrow(usd("1000"), f.alice.address);
      expect(await f.risk.riskManager.riskScore(f.alice.address)).to.equal(MaxUint256);
    });
  });
});
