import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { expect } from "chai";
import { encodeBytes32String, MaxUint256, ZeroAddress } from "ethers";
import { network } from "hardhat";
import type { NetworkConnection } from "hardhat/types/network";

import { deployRiskModules, NO_ROUTE } from "../../scripts/lib/risk.js";
import type { RiskModules } from "../../scripts/lib/risk.js";
import type {
  ITestUniswapV3Factory,
  ITestUniswapV3Pool,
  MockERC20,
  Rebalancer,
  ReentrantERC20,
  UniswapV3Actor,
} from "../../typechain-types/index.js";
import { Reason, Status } from "./helpers/oracleAdapter.js";
import { deployPoolWithLiquidity, deployUniswapV3Factory, isqrt, movePoolTo } from "./helpers/uniswap.js";
import { deployZeroRateModel, emptyMarketFixture, usd, wad, WAD } from "./helpers/vault.js";
import type { MarketFixture } from "./helpers/vault.js";

const connection = await network.create();
const { ethers, networkHelpers } = connection;
const { time } = networkHelpers;

const HOUR = 3600;
const BASE_DECIMALS = 6n;
const Q192 = 1n << 192n;
const SLIPPAGE = wad("0.02");
const TWAP_WINDOW = 1800;

// ----------------------------------------------------------------------------------------------- math

const ceilDiv = (x: bigint, d: bigint): bigint => (x + d - 1n) / d;
const wadMulUp = (x: bigint, y: bigint): bigint => ceilDiv(x * y, WAD);
const isqrtUp = (x: bigint): bigint => {
  const r = isqrt(x);
  return r * r < x ? r + 1n : r;
};

/** TwapMath's 2^128 / √1.0001^(2^i), rounded down. */
const INVERSE_SQRT_POWERS = [
  0xfffcb933bd6fad37aa2d162d1a594001n,
  0xfff97272373d413259a46990580e2139n,
  0xfff2e50f5f656932ef12357cf3c7fdcbn,
  0xffe5caca7e10e4e61c3624eaa0941ccfn,
  0xffcb9843d60f6159c9db58835c926643n,
  0xff973b41fa98c081472e6896dfb254bfn,
  0xff2ea16466c96a3843ec78b326b52860n,
  0xfe5dee046a99a2a811c461f1969c3052n,
  0xfcbe86c7900a88aedcffc83b479aa3a3n,
  0xf987a7253ac413176f2b074cf7815e53n,
  0xf3392b0822b70005940c7a398e4b70f2n,
  0xe7159475a2c29b7443b29c7fa6e889d8n,
  0xd097f3bdfd2022b8845ad8f792aa5825n,
  0xa9f746462d870fdf8a65dc1f90e061e4n,
  0x70d869a156d2a1b890bb3df62baf32f6n,
  0x31be135f97d08fd981231505542fcfa5n,
  0x9aa508b5b7a84e1c677de54f3e99bc8n,
  0x5d6af8dedb81196699c329225ee604n,
  0x2216e584f5fa1ea926041bedfe97n,
  0x48a170391f7dc42444e8fa2n,
];

/** √(1.0001^tick) in Q64.96, as TwapMath (and Uniswap's TickMath) computes it. */
function sqrtRatioAtTick(tick: bigint): bigint {
  let abs = tick < 0n ? -tick : tick;
  let ratio = 1n << 128n;
  for (let i = 0; abs !== 0n; i++) {
    if ((abs & 1n) !== 0n) ratio = (ratio * INVERSE_SQRT_POWERS[i]) >> 128n;
    abs >>= 1n;
  }
  if (tick > 0n) ratio = ((1n << 256n) - 1n) / ratio;
  return (ratio >> 32n) + (ratio % (1n << 32n) === 0n ? 0n : 1n);
}

/** TwapMath.priceWad: one whole `base` in `quote`, WAD, rounded down. */
function priceWadAt(sqrtPriceX96: bigint, baseIsToken0: boolean, baseDecimals: bigint, quoteDecimals: bigint): bigint {
  const ratioX128 = (sqrtPriceX96 * sqrtPriceX96) >> 64n;
  if (baseIsToken0) return (ratioX128 * 10n ** (baseDecimals + 18n)) / ((10n ** quoteDecimals) << 128n);
  return ((1n << 128n) * 10n ** (baseDecimals + 18n)) / ratioX128 / 10n ** quoteDecimals;
}

/** TwapMath.meanTick: rounded towards −∞. */
function meanTick(start: bigint, end: bigint, window: bigint): bigint {
  const delta = end - start;
  let mean = delta / window;
  if (delta < 0n && delta % window !== 0n) mean -= 1n;
  return mean;
}

// ----------------------------------------------------------------------------------------------- fixtures

/** One collateral the rebalancer sells, with its pool. */
interface Asset {
  symbol: string;
  token: MockERC20;
  address: string;
  decimals: bigint;
  /** Oracle price, WAD USD. */
  price: bigint;
  /** One whole token in base units. */
  unit: bigint;
  pool: ITestUniswapV3Pool;
  isToken0: boolean;
  /** The route's chunk. */
  chunk: bigint;
  /** Protocol-owned units after the fixture's write-off. */
  owned: bigint;
}

interface RebalancerFixture extends MarketFixture {
  risk: RiskModules;
  rebalancer: Rebalancer;
  factory: ITestUniswapV3Factory;
  /** WETH, WBTC and their twins with the other token order: collateral as token0 and as token1 at 18 and 8 decimals. */
  assets: Asset[];
  /** Trades in the pools to move their prices, funded with plenty of every token. */
  mover: UniswapV3Actor;
  stranger: HardhatEthersSigner;
  /** A sixth collateral whose transfers can call out (ReentrantERC20), with its pool and protocol-owned units. */
  hook: ReentrantERC20;
  hookAsset: Asset;
}

/** Deploys an ERC-20 whose address sorts `below` (or above) `other`'s, so its pool has the wanted token order. */
async function deployOrdered(symbol: string, decimals: number, other: string, below: boolean): Promise<MockERC20> {
  for (let i = 0; i < 32; i++) {
    const token = await ethers.deployContract("MockERC20", [symbol, symbol, decimals]);
    if (BigInt(await token.getAddress()) < BigInt(other) === below) return token;
  }
  throw new Error(`no ${symbol} address on the wanted side`);
}

/**
 * The default market (MockPriceOracle; USDC base) with interest frozen, WETH and WBTC plus twins of each with the
 * opposite token order against USDC, listed with the same parameters; the risk modules deployed and wired; a real
 * Uniswap v3 0.3% pool per collateral with full-range liquidity worth $30M at the oracle price (observation
 * cardinality 64); and protocol-owned collateral from real write-offs: each collateral backed a $200k debt, crashed
 * to dust, was written off by the engine, then recovered to its price. Routes: chunk 10 WETH / 0.5 WBTC, 2%
 * slippage, hourly.
 */
async function rebalancerFixture(c: NetworkConnection): Promise<RebalancerFixture> {
  const f = await emptyMarketFixture(c);
  const signers = await ethers.getSigners();
  const stranger = signers[19];
  await f.vault.connect(f.owner).setInterestRateModel(await deployZeroRateModel(ethers));
  await f.vault.connect(f.lender).deposit(usd("5000000"), f.lender.address);
  const usdc = await f.usdc.getAddress();

  const wethBelow = BigInt(await f.weth.getAddress()) < BigInt(usdc);
  const wbtcBelow = BigInt(await f.wbtc.getAddress()) < BigInt(usdc);
  const weth2 = await deployOrdered("WETH2", 18, usdc, !wethBelow);
  const wbtc2 = await deployOrdered("WBTC2", 8, usdc, !wbtcBelow);
  for (const [token, template] of [
    [weth2, f.weth],
    [wbtc2, f.wbtc],
  ] as const) {
    const [config] = await f.lens.collateralInfo(f.vault, template);
    await f.vault.connect(f.owner).listCollateral(token, {
      borrowLtv: config.borrowLtv,
      liquidationThreshold: config.liquidationThreshold,
      liquidationBonus: config.liquidationBonus,
      supplyCap: config.supplyCap,
    });
    await f.oracle.setPrice(token, await f.oracle.prices(template));
  }
  const collaterals = new Map<string, MockERC20>([
    ["WETH", f.weth],
    ["WBTC", f.wbtc],
    ["WETH2", weth2],
    ["WBTC2", wbtc2],
  ]);
  const risk = await deployRiskModules(ethers, f.vault, { collaterals });
  const factory = await deployUniswapV3Factory(ethers, f.owner);
  const mover = await ethers.deployContract("UniswapV3Actor");
  await f.usdc.mint(mover, usd("1000000000000"));

  const assets: Asset[] = [];
  for (const [i, [symbol, token]] of [...collaterals].entries()) {
    const decimals = await token.decimals();
    const unit = 10n ** decimals;
    const isBtc = decimals === 8n;
    const price = await f.oracle.prices(token);
    const depth = isBtc ? 250n * unit : 5000n * unit; // $15M on each side, full range
    const { pool, baseIsToken0 } = await deployPoolWithLiquidity(ethers, factory, token, f.usdc, price, depth);
    await pool.increaseObservationCardinalityNext(64);
    await token.mint(mover, 1_000_000n * unit);
    const owned = isBtc ? 5n * unit : 100n * unit; // $300,000
    const chunk = isBtc ? unit / 2n : 10n * unit;
    // A borrower posts `owned` and borrows $200,000 against it.
    const borrower = signers[6 + i];
    await token.mint(borrower.address, owned);
    await token.connect(borrower).approve(f.vault, MaxUint256);
    await f.vault.connect(borrower).depositCollateral(token, owned, borrower.address);
    await f.vault.connect(borrower).borrow(usd("200000"), borrower.address);
    assets.push({
      symbol,
      token,
      address: await token.getAddress(),
      decimals,
      price,
      unit,
      pool,
      isToken0: baseIsToken0,
      chunk,
      owned,
    });
  }
  // A collateral with a transfer hook (ReentrantERC20, 18 decimals), for the callback test; listed, priced, pooled
  // and written off like the others but not in `assets`.
  const hook = await ethers.deployContract("ReentrantERC20");
  await f.vault.connect(f.owner).listCollateral(hook, {
    borrowLtv: wad("0.8"),
    liquidationThreshold: wad("0.85"),
    liquidationBonus: wad("0.05"),
    supplyCap: wad("1000000"),
  });
  await f.oracle.setPrice(hook, wad("3000"));
  const hookPool = await deployPoolWithLiquidity(
    ethers,
    factory,
    hook as unknown as MockERC20,
    f.usdc,
    wad("3000"),
    wad("5000"),
  );
  const hookAsset: Asset = {
    symbol: "HOOK",
    token: hook as unknown as MockERC20,
    address: await hook.getAddress(),
    decimals: 18n,
    price: wad("3000"),
    unit: WAD,
    pool: hookPool.pool,
    isToken0: hookPool.baseIsToken0,
    chunk: wad("10"),
    owned: wad("100"),
  };
  const hookBorrower = signers[6 + assets.length];
  await hook.mint(hookBorrower.address, hookAsset.owned);
  await hook.connect(hookBorrower).approve(f.vault, MaxUint256);
  await f.vault.connect(hookBorrower).depositCollateral(hook, hookAsset.owned, hookBorrower.address);
  await f.vault.connect(hookBorrower).borrow(usd("200000"), hookBorrower.address);

  // The crash: each collateral worth $50 in all (dust), the accounts written off, then the market recovers.
  for (const [i, a] of [...assets, hookAsset].entries()) {
    await f.oracle.setPrice(a.token, (wad("50") * a.unit) / a.owned);
    await f.engine.connect(stranger).writeOff(signers[6 + i].address);
    await f.oracle.setPrice(a.token, a.price);
  }
  for (const a of [...assets, hookAsset]) {
    await risk.rebalancer.connect(f.owner).setRoute(a.token, {
      pool: a.pool,
      maxChunk: a.chunk,
      maxSlippage: SLIPPAGE,
      interval: HOUR,
      twapWindow: 0,
    });
  }
  return { ...f, risk, rebalancer: risk.rebalancer, factory, assets, mover, stranger, hook, hookAsset };
}

// ----------------------------------------------------------------------------------------------- helpers

/** The floor of the interface, from the oracle (and an optional TWAP), rounded as the contract rounds. */
function floorOf(reference: bigint, slippage: bigint): bigint {
  return wadMulUp(reference, WAD - slippage);
}

/** The oracle reference: collateral low / base high, rounded up. */
async function oracleReference(f: RebalancerFixture, a: Asset): Promise<bigint> {
  const pc = await f.oracle.getPrice(a.token);
  const pb = await f.oracle.getPrice(f.usdc);
  return ceilDiv(pc.low * WAD, pb.high);
}

/** Uniswap v3 fee units (hundredths of a basis point) and the 0.3% tier every pool here uses. */
const FEE_UNITS = 1_000_000n;
const POOL_FEE = 3000n;

/**
 * The pool's √price limit at `floor`, fee included (the seller of the marginal unit gets price × (1 − fee), so the
 * limit sits at floor / (1 − fee)): rounded up when the collateral is token0, down when it is token1.
 */
function limitOf(a: Asset, floor: bigint): bigint {
  const scaledFloor = floor * 10n ** BASE_DECIMALS * FEE_UNITS;
  const scaledOne = WAD * a.unit * (FEE_UNITS - POOL_FEE);
  return a.isToken0 ? isqrtUp(ceilDiv(scaledFloor * Q192, scaledOne)) : isqrt((scaledOne * Q192) / scaledFloor);
}

/** Whether the pool's price of the collateral (exact, from √price) is at or above `floor`. */
function priceAtLeast(a: Asset, sqrtPriceX96: bigint, floor: bigint): boolean {
  const p2 = sqrtPriceX96 * sqrtPriceX96;
  return a.isToken0
    ? p2 * a.unit * WAD >= floor * 10n ** BASE_DECIMALS * Q192
    : Q192 * a.unit * WAD >= floor * p2 * 10n ** BASE_DECIMALS;
}

/** Whether the pool's price of the collateral net of the pool fee, price × (1 − fee), is at or above `floor`. */
function netPriceAtLeast(a: Asset, sqrtPriceX96: bigint, floor: bigint): boolean {
  const p2 = sqrtPriceX96 * sqrtPriceX96;
  const kept = FEE_UNITS - POOL_FEE;
  return a.isToken0
    ? p2 * a.unit * WAD * kept >= floor * 10n ** BASE_DECIMALS * Q192 * FEE_UNITS
    : Q192 * a.unit * WAD * kept >= floor * p2 * 10n ** BASE_DECIMALS * FEE_UNITS;
}

/** Whether a swap of `sold` collateral for `received` base is at an average price of at least `floor`. */
function atLeastFloor(a: Asset, sold: bigint, received: bigint, floor: bigint): boolean {
  return received * WAD * a.unit >= floor * sold * 10n ** BASE_DECIMALS;
}

/** Moves `a`'s pool to `priceWad` (base per whole collateral) by trading through the mover. */
async function movePool(f: RebalancerFixture, a: Asset, priceWad: bigint): Promise<void> {
  await movePoolTo(f.mover, a.pool, a.token, f.usdc, a.isToken0, Number(a.decimals), Number(BASE_DECIMALS), priceWad);
}

interface Snapshot {
  owned: bigint;
  reserves: bigint;
  cash: bigint;
  unrecovered: bigint;
  vaultCollateral: bigint;
  vaultBase: bigint;
  poolCollateral: bigint;
  poolBase: bigint;
  sqrtPrice: bigint;
  rebalancerCollateral: bigint;
  rebalancerBase: bigint;
  due: boolean;
}

async function snapshot(f: RebalancerFixture, a: Asset): Promise<Snapshot> {
  return {
    owned: await f.lens.protocolCollateral(f.vault, a.token),
    reserves: await f.vault.reserves(),
    cash: await f.vault.cash(),
    unrecovered: await f.lens.unrecoveredLoss(f.vault),
    vaultCollateral: await a.token.balanceOf(f.vault),
    vaultBase: await f.usdc.balanceOf(f.vault),
    poolCollateral: await a.token.balanceOf(a.pool),
    poolBase: await f.usdc.balanceOf(a.pool),
    sqrtPrice: (await a.pool.slot0())[0],
    rebalancerCollateral: await a.token.balanceOf(f.rebalancer),
    rebalancerBase: await f.usdc.balanceOf(f.rebalancer),
    due: await f.rebalancer.isDue(a.token),
  };
}

interface Chunk {
  sold: bigint;
  received: bigint;
  floor: bigint;
  returned: bigint;
  sqrtAfter: bigint;
}

/**
 * Runs `rebalance(a)` (it must succeed) and checks everything it moves: what the pool took and paid is what the vault
 * lost and gained (protocolCollateral down by the units sold, cash up by exactly the proceeds, which pay lenders back
 * their unrecovered loss first and then go to reserves), the
 * rebalancer ends empty, the event's numbers, and the bound: proceeds ≥ floor × sold, the pool left at or above the
 * floor.
 */
async function rebalanceChecked(f: RebalancerFixture, a: Asset, caller = f.stranger): Promise<Chunk> {
  const before = await snapshot(f, a);
  const route = await f.rebalancer.route(a.token);
  const amount = before.owned < route.maxChunk ? before.owned : route.maxChunk;
  const [floor, limit] = await f.rebalancer.floorPrice(a.token);
  const tx = await f.rebalancer.connect(caller).rebalance(a.token);
  const receipt = await tx.wait();
  const after = await snapshot(f, a);
  const sold = after.poolCollateral - before.poolCollateral;
  const received = before.poolBase - after.poolBase;
  const returned = amount - sold;
  await expect(tx).to.emit(f.rebalancer, "Rebalanced").withArgs(a.address, sold, received, floor, returned);
  expect(receipt).not.to.equal(null);
  expect(sold).to.be.greaterThan(0n);
  expect(sold).to.be.lessThanOrEqual(amount);
  expect(after.owned).to.equal(before.owned - sold);
  const toLenders = received < before.unrecovered ? received : before.unrecovered;
  await expect(tx).to.emit(f.vault, "RecoverySettled").withArgs(a.address, returned, received, toLenders);
  expect(after.unrecovered).to.equal(before.unrecovered - toLenders);
  expect(after.reserves).to.equal(before.reserves + received - toLenders);
  expect(after.cash).to.equal(before.cash + received);
  expect(after.vaultCollateral).to.equal(before.vaultCollateral - sold);
  expect(after.vaultBase).to.equal(before.vaultBase + received);
  expect([after.rebalancerCollateral, after.rebalancerBase]).to.deep.equal([0n, 0n]);
  // The bound.
  expect(atLeastFloor(a, sold, received, floor), "average execution price ≥ floor").to.equal(true);
  expect(priceAtLeast(a, after.sqrtPrice, floor), "pool price after ≥ floor").to.equal(true);
  if (a.isToken0) expect(after.sqrtPrice).to.be.greaterThanOrEqual(limit);
  else expect(after.sqrtPrice).to.be.lessThanOrEqual(limit);
  // A partial chunk stopped exactly at the limit.
  if (returned > 0n) expect(after.sqrtPrice).to.equal(limit);
  expect(after.due).to.equal(false); // the interval restarts
  return { sold, received, floor, returned, sqrtAfter: after.sqrtPrice };
}

/** Expects `action` to revert and nothing of `a`'s state to change. */
async function expectNothingChanges(f: RebalancerFixture, a: Asset, action: () => Promise<void>): Promise<void> {
  const before = await snapshot(f, a);
  const last = await f.rebalancer.route(a.token);
  await action();
  expect(await snapshot(f, a)).to.deep.equal(before);
  expect(await f.rebalancer.route(a.token)).to.deep.equal(last);
}

/** The fixture's collaterals, in order (the setup test checks the token orders they cover). */
const NAMES = [
  "WETH (18 decimals)",
  "WBTC (8 decimals)",
  "WETH2 (18 decimals, WETH's other token order)",
  "WBTC2 (8 decimals, WBTC's other token order)",
];

// ----------------------------------------------------------------------------------------------- tests

describe("Rebalancer", function () {
  describe("setup", function () {
    it("the fixture covers both token orders at 18 and at 8 decimals, with protocol-owned collateral from write-offs", async function () {
      const f = await networkHelpers.loadFixture(rebalancerFixture);
      const orders = new Set(f.assets.map((a) => `${a.decimals}:${a.isToken0}`));
      expect(orders).to.deep.equal(new Set(["18:true", "18:false", "8:true", "8:false"]));
      for (const a of f.assets) {
        expect(await f.lens.protocolCollateral(f.vault, a.token)).to.equal(a.owned);
        expect(await f.rebalancer.isDue(a.token)).to.equal(true);
      }
      expect(await f.vault.badDebt()).to.equal(usd("1000000"));
      const [riskManager, recovery] = await f.lens.riskModules(f.vault);
      expect([riskManager, recovery]).to.deep.equal([
        await f.risk.riskManager.getAddress(),
        await f.rebalancer.getAddress(),
      ]);
    });

    it("the constructor rejects a zero vault and reads the base", async function () {
      const f = await networkHelpers.loadFixture(rebalancerFixture);
      const factory = await ethers.getContractFactory("Rebalancer");
      await expect(factory.deploy(ZeroAddress, f.owner.address)).to.be.revertedWithCustomError(
        f.rebalancer,
        "ZeroAddress",
      );
      expect(await f.rebalancer.base()).to.equal(await f.usdc.getAddress());
      expect(await f.rebalancer.vault()).to.equal(await f.vault.getAddress());
    });
  });

  describe("setRoute", function () {
    it("is the owner's only; renounceOwnership is disabled", async function () {
      const f = await networkHelpers.loadFixture(rebalancerFixture);
      const [a] = f.assets;
      const r = f.rebalancer.connect(f.stranger);
      await expect(r.setRoute(a.token, { pool: a.pool, maxChunk: 1n, maxSlippage: 0n, interval: 60, twapWindow: 0 }))
        .to.be.revertedWithCustomError(r, "OwnableUnauthorizedAccount")
        .withArgs(f.stranger.address);
      await expect(r.setRoute(a.token, NO_ROUTE))
        .to.be.revertedWithCustomError(r, "OwnableUnauthorizedAccount")
        .withArgs(f.stranger.address);
      await expect(r.renounceOwnership())
        .to.be.revertedWithCustomError(r, "OwnableUnauthorizedAccount")
        .withArgs(f.stranger.address);
      await expect(f.rebalancer.connect(f.owner).renounceOwnership()).to.be.revertedWithCustomError(
        r,
        "RenounceDisabled",
      );
      expect(await f.rebalancer.owner()).to.equal(f.owner.address);
    });

    it("PoolMismatch for a pool that does not pair the asset with the base", async function () {
      const f = await networkHelpers.loadFixture(rebalancerFixture);
      const [weth, wbtc] = [f.assets[0], f.assets[1]];
      const r = f.rebalancer.connect(f.owner);
      const route = (pool: string) => ({ pool, maxChunk: 1n, maxSlippage: 0n, interval: 60, twapWindow: 0 });
      // Another collateral's pool with the base.
      await expect(r.setRoute(weth.token, route(await wbtc.pool.getAddress())))
        .to.be.revertedWithCustomError(r, "PoolMismatch")
        .withArgs(weth.address, await wbtc.pool.getAddress());
      // A pool of the asset against another collateral.
      await f.factory.createPool(weth.token, wbtc.token, 3000);
      const cross = await f.factory.getPool(weth.token, wbtc.token, 3000);
      await expect(r.setRoute(weth.token, route(cross)))
        .to.be.revertedWithCustomError(r, "PoolMismatch")
        .withArgs(weth.address, cross);
      // The base itself cannot be routed through its own pool.
      await expect(r.setRoute(f.usdc, route(await weth.pool.getAddress())))
        .to.be.revertedWithCustomError(r, "PoolMismatch")
        .withArgs(await f.usdc.getAddress(), await weth.pool.getAddress());
      await expect(r.setRoute(ZeroAddress, route(await weth.pool.getAddress()))).to.be.revertedWithCustomError(
        r,
        "ZeroAddress",
      );
    });

    it("bounds: each edge accepted, one past rejected naming the parameter", async function () {
      const f = await networkHelpers.loadFixture(rebalancerFixture);
      const [a] = f.assets;
      const r = f.rebalancer.connect(f.owner);
      const base = { pool: await a.pool.getAddress(), maxChunk: 1n, maxSlippage: 0n, interval: 60n, twapWindow: 0n };
      const cases: [keyof typeof base, bigint, bigint, bigint[]][] = [
        // [field, lowest accepted, highest accepted, rejected]
        ["maxChunk", 1n, 2n ** 128n - 1n, [0n]],
        ["maxSlippage", 0n, wad("0.05"), [wad("0.05") + 1n]],
        ["interval", 60n, 86_400n, [59n, 86_401n, 0n]],
        ["twapWindow", 0n, 86_400n, [86_401n]],
      ];
      for (const [field, lo, hi, rejected] of cases) {
        for (const ok of [lo, hi]) {
          const route = { ...base, [field]: ok };
          await expect(r.setRoute(a.token, route))
            .to.emit(r, "RouteSet")
            .withArgs(a.address, [route.pool, route.maxChunk, route.maxSlippage, route.interval, route.twapWindow]);
          expect(await r.route(a.token)).to.deep.equal([
            route.pool,
            route.maxChunk,
            route.maxSlippage,
            route.interval,
            route.twapWindow,
          ]);
        }
        for (const bad of rejected) {
          await expect(r.setRoute(a.token, { ...base, [field]: bad }))
            .to.be.revertedWithCustomError(r, "ParameterOutOfBounds")
            .withArgs(encodeBytes32String(field), bad, lo, hi);
        }
      }
    });

    it("a zero pool removes the route: NoRoute, not due", async function () {
      const f = await networkHelpers.loadFixture(rebalancerFixture);
      const [a] = f.assets;
      const r = f.rebalancer.connect(f.owner);
      await expect(r.setRoute(a.token, NO_ROUTE))
        .to.emit(r, "RouteSet")
        .withArgs(a.address, [ZeroAddress, 0n, 0n, 0n, 0n]);
      expect(await r.route(a.token)).to.deep.equal([ZeroAddress, 0n, 0n, 0n, 0n]);
      expect(await r.isDue(a.token)).to.equal(false);
      await expect(r.rebalance(a.token)).to.be.revertedWithCustomError(r, "NoRoute").withArgs(a.address);
      await expect(r.floorPrice(a.token)).to.be.revertedWithCustomError(r, "NoRoute").withArgs(a.address);
      // Even with garbage in the other fields, a zero pool only removes.
      await r.setRoute(a.token, { ...NO_ROUTE, maxChunk: 5n, interval: 1 });
      expect(await r.route(a.token)).to.deep.equal([ZeroAddress, 0n, 0n, 0n, 0n]);
    });
  });

  describe("rebalance", function () {
    for (let i = 0; i < 4; i++) {
      it(`sells one chunk at a time; proceeds pay lenders' loss back, then reserves — ${NAMES[i]}`, async function () {
        const f = await networkHelpers.loadFixture(rebalancerFixture);
        const a = f.assets[i];
        // The write-offs of the fixture: reserves were empty, so lenders bore all of it.
        const loss = await f.lens.unrecoveredLoss(f.vault);
        expect(loss).to.equal(await f.vault.badDebt());
        const [reservesBefore, assetsBefore] = [await f.vault.reserves(), await f.vault.totalAssets()];
        // Protocol holds 10 (20) chunks: exactly one chunk goes.
        const first = await rebalanceChecked(f, a);
        expect(first.sold).to.equal(a.chunk);
        expect(first.returned).to.equal(0n);
        expect(first.floor).to.equal(floorOf(await oracleReference(f, a), SLIPPAGE));
        expect(await f.lens.protocolCollateral(f.vault, a.token)).to.equal(a.owned - a.chunk);
        // A chunk bigger than the holding sells the holding (5% allowance: the whole $270k+ goes in one swap).
        await f.rebalancer.connect(f.owner).setRoute(a.token, {
          pool: a.pool,
          maxChunk: a.owned,
          maxSlippage: wad("0.05"),
          interval: HOUR,
          twapWindow: 0,
        });
        await time.increase(HOUR);
        const second = await rebalanceChecked(f, a);
        expect(second.sold).to.equal(a.owned - a.chunk);
        expect(second.returned).to.equal(0n);
        expect(await f.lens.protocolCollateral(f.vault, a.token)).to.equal(0n);
        const total = first.received + second.received;
        const toLenders = total < loss ? total : loss;
        expect(await f.lens.unrecoveredLoss(f.vault)).to.equal(loss - toLenders);
        expect(await f.vault.reserves()).to.equal(reservesBefore + total - toLenders);
        // What lenders get reaches the share price over the vault's release period (issue 19, property 2).
        await time.increase(6 * HOUR);
        expect(await f.vault.totalAssets()).to.equal(assetsBefore + toLenders);
        // Nothing left to sell.
        expect(await f.rebalancer.isDue(a.token)).to.equal(false);
        await expect(f.rebalancer.rebalance(a.token))
          .to.be.revertedWithCustomError(f.rebalancer, "NothingToSell")
          .withArgs(a.address);
      });
    }

    it("TooSoon until exactly `interval` after the last chunk", async function () {
      const f = await networkHelpers.loadFixture(rebalancerFixture);
      const a = f.assets[0];
      await rebalanceChecked(f, a);
      const last = await time.latest();
      await time.setNextBlockTimestamp(last + HOUR - 1);
      await expect(f.rebalancer.rebalance(a.token))
        .to.be.revertedWithCustomError(f.rebalancer, "TooSoon")
        .withArgs(a.address, last + HOUR);
      expect(await f.rebalancer.isDue(a.token)).to.equal(false);
      await time.setNextBlockTimestamp(last + HOUR);
      await expect(f.rebalancer.rebalance(a.token)).to.emit(f.rebalancer, "Rebalanced");
      // Each asset keeps its own clock.
      await rebalanceChecked(f, f.assets[1]);
    });

    it("NothingToSell without protocol-owned units; NoRoute for an asset without a route", async function () {
      const f = await networkHelpers.loadFixture(rebalancerFixture);
      const [a] = f.assets;
      const usdc = await f.usdc.getAddress();
      await expect(f.rebalancer.rebalance(usdc)).to.be.revertedWithCustomError(f.rebalancer, "NoRoute").withArgs(usdc);
      // A listed collateral with a pool and a route but nothing owned.
      const fresh = await ethers.deployContract("MockERC20", ["NEW", "NEW", 18]);
      await f.vault.connect(f.owner).listCollateral(fresh, {
        borrowLtv: wad("0.5"),
        liquidationThreshold: wad("0.6"),
        liquidationBonus: wad("0.05"),
        supplyCap: wad("1000"),
      });
      await f.oracle.setPrice(fresh, wad("10"));
      const { pool } = await deployPoolWithLiquidity(ethers, f.factory, fresh, f.usdc, wad("10"), wad("1000"));
      await expect(f.rebalancer.rebalance(fresh))
        .to.be.revertedWithCustomError(f.rebalancer, "NoRoute")
        .withArgs(await fresh.getAddress());
      await f.rebalancer
        .connect(f.owner)
        .setRoute(fresh, { pool, maxChunk: wad("1"), maxSlippage: SLIPPAGE, interval: HOUR, twapWindow: 0 });
      expect(await f.rebalancer.isDue(fresh)).to.equal(false);
      await expect(f.rebalancer.rebalance(fresh))
        .to.be.revertedWithCustomError(f.rebalancer, "NothingToSell")
        .withArgs(await fresh.getAddress());
      expect(await f.rebalancer.isDue(a.token)).to.equal(true);
    });

    it("PriceNotOk when the collateral's or the base's price is not OK, changing nothing", async function () {
      const f = await networkHelpers.loadFixture(rebalancerFixture);
      const [a] = f.assets;
      const cases: [MockERC20, bigint, bigint, bigint, bigint][] = [
        [a.token, wad("3000"), wad("3000"), Status.DEGRADED, Reason.SOURCES_DISAGREE],
        [a.token, 0n, 0n, Status.FAILED, Reason.STALE],
        [f.usdc, wad("1"), wad("1"), Status.DEGRADED, Reason.STALE],
        [f.usdc, 0n, 0n, Status.FAILED, Reason.FEED_REVERTED],
      ];
      for (const [token, low, high, status, reason] of cases) {
        await f.oracle.setPriceData(token, low, high, status, reason);
        await expectNothingChanges(f, a, async () => {
          await expect(f.rebalancer.rebalance(a.token))
            .to.be.revertedWithCustomError(f.rebalancer, "PriceNotOk")
            .withArgs(await token.getAddress(), status, reason);
          await expect(f.rebalancer.floorPrice(a.token))
            .to.be.revertedWithCustomError(f.rebalancer, "PriceNotOk")
            .withArgs(await token.getAddress(), status, reason);
        });
        await f.oracle.setPrice(token, token === f.usdc ? wad("1") : a.price);
      }
      // An OK price of zero is no price either.
      await f.oracle.setPrice(a.token, 0n);
      await expect(f.rebalancer.rebalance(a.token))
        .to.be.revertedWithCustomError(f.rebalancer, "PriceNotOk")
        .withArgs(a.address, Status.OK, Reason.NONE);
      await f.oracle.setPrice(a.token, a.price);
      await rebalanceChecked(f, a);
    });
  });

  describe("the price bound", function () {
    for (let i = 0; i < 4; i++) {
      it(`the floor and √price limit are exact — ${NAMES[i]}`, async function () {
        const f = await networkHelpers.loadFixture(rebalancerFixture);
        const a = f.assets[i];
        // A base priced off $1 (high above low) and an odd slippage.
        await f.oracle.setPriceData(f.usdc, wad("0.999"), wad("1.0013"), Status.OK, Reason.NONE);
        const slippage = wad("0.0137");
        await f.rebalancer
          .connect(f.owner)
          .setRoute(a.token, { pool: a.pool, maxChunk: a.chunk, maxSlippage: slippage, interval: HOUR, twapWindow: 0 });
        const reference = await oracleReference(f, a);
        expect(reference).to.equal(ceilDiv(a.price * WAD, wad("1.0013")));
        const floor = floorOf(reference, slippage);
        expect(await f.rebalancer.floorPrice(a.token)).to.deep.equal([floor, limitOf(a, floor)]);
        // The limit is the tightest √price whose price net of the fee is at or above the floor (token0) / at or below
        // it (token1).
        const limit = limitOf(a, floor);
        expect(netPriceAtLeast(a, limit, floor)).to.equal(true);
        expect(netPriceAtLeast(a, a.isToken0 ? limit - 1n : limit + 1n, floor)).to.equal(false);
        await rebalanceChecked(f, a);
      });

      it(`a pool pushed below the floor sells nothing: PoolOutsideBound, nothing changes — ${NAMES[i]}`, async function () {
        const f = await networkHelpers.loadFixture(rebalancerFixture);
        const a = f.assets[i];
        const [floor, limit] = await f.rebalancer.floorPrice(a.token);
        // The attacker sells into the pool: 3% under the oracle, 1% under the floor.
        await movePool(f, a, (a.price * 97n) / 100n);
        const [current] = await a.pool.slot0();
        expect(priceAtLeast(a, current, floor)).to.equal(false);
        await expectNothingChanges(f, a, async () => {
          await expect(f.rebalancer.rebalance(a.token))
            .to.be.revertedWithCustomError(f.rebalancer, "PoolOutsideBound")
            .withArgs(current, limit);
        });
        // Exactly at the limit is outside too: not one unit could be sold.
        await movePool(f, a, a.price);
        await (await f.mover.swap(a.pool, a.isToken0, 10n ** 40n, limit)).wait();
        expect((await a.pool.slot0())[0]).to.equal(limit);
        await expect(f.rebalancer.rebalance(a.token))
          .to.be.revertedWithCustomError(f.rebalancer, "PoolOutsideBound")
          .withArgs(limit, limit);
      });

      it(`a pool pushed partway towards the floor sells only down to it and returns the rest — ${NAMES[i]}`, async function () {
        const f = await networkHelpers.loadFixture(rebalancerFixture);
        const a = f.assets[i];
        await f.rebalancer
          .connect(f.owner)
          .setRoute(a.token, { pool: a.pool, maxChunk: a.owned, maxSlippage: SLIPPAGE, interval: HOUR, twapWindow: 0 });
        const [floor] = await f.rebalancer.floorPrice(a.token);
        // The attacker leaves the pool 1% above the floor (1% under the oracle).
        await movePool(f, a, (floor * 101n) / 100n);
        const chunk = await rebalanceChecked(f, a);
        expect(chunk.returned).to.be.greaterThan(0n);
        expect(chunk.sold + chunk.returned).to.equal(a.owned);
        expect(await f.lens.protocolCollateral(f.vault, a.token)).to.equal(chunk.returned);
        expect(await a.token.balanceOf(f.vault)).to.equal(chunk.returned);
      });

      it(`a pool pushed to just above the floor still sells what it can down to the floor — ${NAMES[i]}`, async function () {
        const f = await networkHelpers.loadFixture(rebalancerFixture);
        const a = f.assets[i];
        const [floor] = await f.rebalancer.floorPrice(a.token);
        await movePool(f, a, (floor * 1005n) / 1000n);
        // The interface: "a pool that slides to [the floor] mid-chunk stops there and the rest of the chunk goes back
        // to the vault"; ExecutionOutsideBound is "never expected: the √price limit stops it". The limit sits at
        // floor / (1 − 0.3%), so a pool 0.5% above the floor has about 0.2% to give.
        const chunk = await rebalanceChecked(f, a);
        expect(chunk.returned).to.be.greaterThan(0n);
      });

      it(`a pool less than its fee above the floor sells nothing: the marginal unit would net less — ${NAMES[i]}`, async function () {
        const f = await networkHelpers.loadFixture(rebalancerFixture);
        const a = f.assets[i];
        const [floor, limit] = await f.rebalancer.floorPrice(a.token);
        await movePool(f, a, (floor * 1002n) / 1000n);
        const [current] = await a.pool.slot0();
        expect(priceAtLeast(a, current, floor), "the pool is above the floor before its fee").to.equal(true);
        await expectNothingChanges(f, a, async () => {
          await expect(f.rebalancer.rebalance(a.token))
            .to.be.revertedWithCustomError(f.rebalancer, "PoolOutsideBound")
            .withArgs(current, limit);
        });
      });

      it(`a pool pushed up (favourable) sells the full chunk above the oracle price — ${NAMES[i]}`, async function () {
        const f = await networkHelpers.loadFixture(rebalancerFixture);
        const a = f.assets[i];
        await movePool(f, a, (a.price * 105n) / 100n);
        const chunk = await rebalanceChecked(f, a);
        expect(chunk.sold).to.equal(a.chunk);
        expect(chunk.returned).to.equal(0n);
        expect(atLeastFloor(a, chunk.sold, chunk.received, a.price)).to.equal(true);
      });
    }

    it("fuzz: 20 seeded attacker moves, chunk sizes and slippages keep every chunk within the bound", async function () {
      const f = await networkHelpers.loadFixture(rebalancerFixture);
      // xorshift32, fixed seed: the same sequence every run.
      let state = 0x9e3779b9;
      const next = (): number => {
        state ^= state << 13;
        state >>>= 0;
        state ^= state >>> 17;
        state ^= state << 5;
        state >>>= 0;
        return state / 2 ** 32;
      };
      const outcomes = { full: 0, partial: 0, outside: 0 };
      const violations: string[] = [];
      for (let i = 0; i < 20; i++) {
        const a = f.assets[i % 4];
        // Chunk 0.2–3 chunks of the default, slippage 0–5%, the pool moved to 97%–105% of the floor.
        const chunk = (a.chunk * BigInt(Math.floor(20 + next() * 280))) / 100n;
        const slippage = (wad("0.05") * BigInt(Math.floor(next() * 1000))) / 1000n;
        const move = BigInt(Math.floor(9700 + next() * 800));
        await f.rebalancer
          .connect(f.owner)
          .setRoute(a.token, { pool: a.pool, maxChunk: chunk, maxSlippage: slippage, interval: HOUR, twapWindow: 0 });
        const [floor, limit] = await f.rebalancer.floorPrice(a.token);
        await movePool(f, a, (floor * move) / 10_000n);
        await time.increase(HOUR);
        expect(await f.rebalancer.floorPrice(a.token)).to.deep.equal([floor, limit]);
        expect(floor).to.equal(floorOf(await oracleReference(f, a), slippage));
        const [current] = await a.pool.slot0();
        const where = `#${i} ${a.symbol} chunk ${chunk} slippage ${slippage} pool at ${Number(move) / 100}% of the floor`;
        if (a.isToken0 ? current <= limit : current >= limit) {
          await expectNothingChanges(f, a, async () => {
            await expect(f.rebalancer.rebalance(a.token), where)
              .to.be.revertedWithCustomError(f.rebalancer, "PoolOutsideBound")
              .withArgs(current, limit);
          });
          outcomes.outside++;
          continue;
        }
        const before = await snapshot(f, a);
        try {
          await f.rebalancer.rebalance.staticCall(a.token);
        } catch (e) {
          // A revert must change nothing (so the bound holds), but the interface does not expect one here.
          violations.push(`${where}: ${(e as Error).message.split("\n")[0]}`);
          await expect(f.rebalancer.rebalance(a.token)).to.revert(ethers);
          expect(await snapshot(f, a)).to.deep.equal(before);
          continue;
        }
        const c = await rebalanceChecked(f, a);
        if (c.returned === 0n) outcomes.full++;
        else outcomes.partial++;
      }
      expect(outcomes.full + outcomes.partial, "some chunks executed").to.be.greaterThan(0);
      expect(outcomes.outside, "some moves went below the floor").to.be.greaterThan(0);
      expect(violations, "rebalances that reverted while the pool was above the floor").to.deep.equal([]);
    });
  });

  describe("TWAP", function () {
    for (let i = 0; i < 4; i++) {
      it(`with a window, the floor is max(oracle, TWAP) × (1 − slippage) — ${NAMES[i]}`, async function () {
        const f = await networkHelpers.loadFixture(rebalancerFixture);
        const a = f.assets[i];
        const route = {
          pool: a.pool,
          maxChunk: a.chunk,
          maxSlippage: SLIPPAGE,
          interval: HOUR,
          twapWindow: TWAP_WINDOW,
        };
        await f.rebalancer.connect(f.owner).setRoute(a.token, route);
        const oracleFloor = floorOf(await oracleReference(f, a), SLIPPAGE);

        const twapNow = async (): Promise<bigint> => {
          const [cumulatives] = await a.pool.observe([TWAP_WINDOW, 0]);
          const tick = meanTick(cumulatives[0], cumulatives[1], BigInt(TWAP_WINDOW));
          return priceWadAt(sqrtRatioAtTick(tick), a.isToken0, a.decimals, BASE_DECIMALS);
        };

        // The pool held 3% above the oracle for the whole window: the TWAP is the reference.
        await movePool(f, a, (a.price * 103n) / 100n);
        await time.increase(TWAP_WINDOW + 60);
        const [sqrtPrice, tick] = await a.pool.slot0();
        expect(sqrtRatioAtTick(tick)).to.be.lessThanOrEqual(sqrtPrice);
        expect(sqrtRatioAtTick(tick + 1n)).to.be.greaterThan(sqrtPrice);
        const high = await twapNow();
        expect(high).to.equal(priceWadAt(sqrtRatioAtTick(tick), a.isToken0, a.decimals, BASE_DECIMALS));
        expect(high).to.be.greaterThan((a.price * 102n) / 100n);
        const twapFloor = floorOf(high, SLIPPAGE);
        expect(await f.rebalancer.floorPrice(a.token)).to.deep.equal([twapFloor, limitOf(a, twapFloor)]);
        const chunk = await rebalanceChecked(f, a);
        expect(chunk.floor).to.equal(twapFloor);
        expect(chunk.floor).to.be.greaterThan(oracleFloor);

        // The pool held 1% below the oracle for a window: the oracle is the reference again.
        await movePool(f, a, (a.price * 99n) / 100n);
        await time.increase(HOUR + 60);
        const low = await twapNow();
        expect(low).to.be.lessThan(a.price);
        expect(await f.rebalancer.floorPrice(a.token)).to.deep.equal([oracleFloor, limitOf(a, oracleFloor)]);
        const again = await rebalanceChecked(f, a);
        expect(again.floor).to.equal(oracleFloor);
      });
    }

    it("a pump just before the chunk barely moves a TWAP floor: the pool's spot is not the reference", async function () {
      const f = await networkHelpers.loadFixture(rebalancerFixture);
      const a = f.assets[0];
      await f.rebalancer.connect(f.owner).setRoute(a.token, {
        pool: a.pool,
        maxChunk: a.chunk,
        maxSlippage: SLIPPAGE,
        interval: HOUR,
        twapWindow: TWAP_WINDOW,
      });
      await time.increase(TWAP_WINDOW);
      const [before] = await f.rebalancer.floorPrice(a.token);
      await movePool(f, a, (a.price * 120n) / 100n);
      await time.increase(1);
      const [after] = await f.rebalancer.floorPrice(a.token);
      // One second of a 20% pump in a 30-minute window: about 0.01%.
      expect(after).to.be.greaterThanOrEqual(before);
      expect(after - before).to.be.lessThan(before / 1000n);
    });

    it("TwapUnavailable when the window exceeds the pool's history, until the history is long enough", async function () {
      const f = await networkHelpers.loadFixture(rebalancerFixture);
      const a = f.assets[0];
      await f.rebalancer.connect(f.owner).setRoute(a.token, {
        pool: a.pool,
        maxChunk: a.chunk,
        maxSlippage: SLIPPAGE,
        interval: HOUR,
        twapWindow: 86_400,
      });
      await expectNothingChanges(f, a, async () => {
        await expect(f.rebalancer.rebalance(a.token))
          .to.be.revertedWithCustomError(f.rebalancer, "TwapUnavailable")
          .withArgs(await a.pool.getAddress());
      });
      await expect(f.rebalancer.floorPrice(a.token))
        .to.be.revertedWithCustomError(f.rebalancer, "TwapUnavailable")
        .withArgs(await a.pool.getAddress());
      await time.increase(86_400);
      await rebalanceChecked(f, a);
    });

    it("TwapUnavailable on a pool without observation history (cardinality 1) right after a swap", async function () {
      const f = await networkHelpers.loadFixture(rebalancerFixture);
      const token = await ethers.deployContract("MockERC20", ["ONE", "ONE", 18]);
      await f.vault.connect(f.owner).listCollateral(token, {
        borrowLtv: wad("0.5"),
        liquidationThreshold: wad("0.6"),
        liquidationBonus: wad("0.05"),
        supplyCap: wad("1000"),
      });
      await f.oracle.setPrice(token, wad("10"));
      const { pool, baseIsToken0 } = await deployPoolWithLiquidity(
        ethers,
        f.factory,
        token,
        f.usdc,
        wad("10"),
        wad("100000"),
      );
      await f.rebalancer
        .connect(f.owner)
        .setRoute(token, { pool, maxChunk: wad("1"), maxSlippage: SLIPPAGE, interval: HOUR, twapWindow: 60 });
      await time.increase(120);
      // With the one observation older than the window, the TWAP extrapolates it: available.
      await f.rebalancer.floorPrice(token);
      const a = { ...f.assets[0], token, pool, isToken0: baseIsToken0, price: wad("10"), decimals: 18n, unit: WAD };
      await token.mint(f.mover, wad("1000"));
      await movePool(f, a, wad("10.1"));
      await expect(f.rebalancer.floorPrice(token))
        .to.be.revertedWithCustomError(f.rebalancer, "TwapUnavailable")
        .withArgs(await pool.getAddress());
    });
  });

  describe("uniswapV3SwapCallback", function () {
    it("UnexpectedCaller from an account, and from the pool itself outside a rebalance", async function () {
      const f = await networkHelpers.loadFixture(rebalancerFixture);
      const a = f.assets[0];
      await expect(f.rebalancer.connect(f.stranger).uniswapV3SwapCallback(0n, usd("1000"), "0x"))
        .to.be.revertedWithCustomError(f.rebalancer, "UnexpectedCaller")
        .withArgs(f.stranger.address);
      const poolAddress = await a.pool.getAddress();
      await networkHelpers.impersonateAccount(poolAddress);
      await networkHelpers.setBalance(poolAddress, wad("1"));
      const pool = await ethers.getSigner(poolAddress);
      await expect(f.rebalancer.connect(pool).uniswapV3SwapCallback(usd("1000"), usd("1000"), "0x"))
        .to.be.revertedWithCustomError(f.rebalancer, "UnexpectedCaller")
        .withArgs(poolAddress);
      await networkHelpers.stopImpersonatingAccount(poolAddress);
    });

    it("UnexpectedCaller for a contract calling it in the middle of a swap (a token's transfer hook)", async function () {
      const f = await networkHelpers.loadFixture(rebalancerFixture);
      const { hook, hookAsset: a } = f;
      const hookAddress = await hook.getAddress();
      // The hook fires on the vault's release (before the swap) and arms itself to call the callback on the next
      // transfer: the rebalancer paying the pool, inside the swap, with the proceeds already in its hands.
      const baseIsToken0 = !a.isToken0;
      const steal = f.rebalancer.interface.encodeFunctionData("uniswapV3SwapCallback", [
        baseIsToken0 ? usd("1000") : 0n,
        baseIsToken0 ? 0n : usd("1000"),
        "0x",
      ]);
      await hook.arm(hookAddress, hook.interface.encodeFunctionData("arm", [await f.rebalancer.getAddress(), steal]));
      const chunk = await rebalanceChecked(f, a);
      expect(chunk.sold).to.equal(wad("10"));
      expect(await hook.hookTarget()).to.equal(ZeroAddress); // both hooks fired
      expect(await hook.reenteredOk()).to.equal(false);
      expect(await hook.revertData()).to.equal(
        f.rebalancer.interface.encodeErrorResult("UnexpectedCaller", [hookAddress]),
      );
      expect(await f.usdc.balanceOf(hook)).to.equal(0n);
    });
  });
});
