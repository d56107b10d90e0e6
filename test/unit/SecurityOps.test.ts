import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { anyValue } from "@nomicfoundation/hardhat-ethers-chai-matchers/withArgs";
import { expect } from "chai";
import { AbiCoder, encodeBytes32String, getAddress, MaxUint256, parseUnits, Wallet, ZeroAddress } from "ethers";
import type { ContractTransactionReceipt, ParamType } from "ethers";
import { network } from "hardhat";

import {
  collateral,
  DEFAULT_BASE_TRIGGERS,
  deployChainlinkMarket,
  PERMISSIVE_TRIGGERS,
} from "../../scripts/lib/testMarket.js";
import type { ChainlinkMarket } from "../../scripts/lib/testMarket.js";
import { deploySecurityOps } from "../../scripts/lib/automation.js";
import { defaultAssetRisk, deployRiskModules, REFERENCE_VOLATILITY } from "../../scripts/lib/risk.js";
import type { RiskModules } from "../../scripts/lib/risk.js";
import type {
  ITestUniswapV3Factory,
  ITestUniswapV3Pool,
  MockERC20,
  SecurityOps,
  UniswapV3FlashLiquidator,
} from "../../typechain-types/index.js";
import { bit, Level, Why } from "./helpers/breaker.js";
import { deployPoolWithLiquidity, deployUniswapV3Factory } from "./helpers/uniswap.js";
import { deployZeroRateModel, usd } from "./helpers/vault.js";
import { wad } from "../../scripts/lib/units.js";

const connection = await network.create();
const { ethers, networkHelpers } = connection;
const { time } = networkHelpers;

const coder = AbiCoder.defaultAbiCoder();

/** ISecurityOps.Kind, as ethers returns it. */
const Kind = {
  TRACK: 0n,
  LIQUIDATE: 1n,
  FLAG: 2n,
  POKE: 3n,
  VOLATILITY: 4n,
  SYNC: 5n,
  SYNC_RESERVES: 6n,
  REBALANCE: 7n,
  PRUNE: 8n,
} as const;

const HOUR = 3600;
const POKE_INTERVAL = 900;
/** The upkeep's limits in the fixture: a scan of 50 accounts, 4 liquidations per upkeep, pokes every 15 minutes. */
const CONFIG = { scanSize: 50, maxLiquidations: 4, pokeInterval: POKE_INTERVAL, minDebt: 0n };
/** Bounds of SecurityOps. */
const MAX_SCAN = 200n;
const MAX_LIQUIDATIONS = 8n;
const MIN_POKE_INTERVAL = 300n;
const MAX_POKE_INTERVAL = 86_400n;
const MAX_ASSET_ITEMS = 18n;
const MAX_TRACK = 50n;
/** Chainlink Automation's default perform gas limit. */
const PERFORM_GAS_LIMIT = 5_000_000n;

/** WETH after the crash that makes wethBorrowers[0] and [1] liquidatable (−10%: no breaker trigger); the pool's price. */
const CRASH = wad("2700");
/** WETH after the deeper crash (−18%: inside the adapter's 20% jump bound) that makes every WETH borrower liquidatable. */
const DEEP_CRASH = wad("2460");
/** WBTC after its −10% crash: dave (WBTC only) and mixed become liquidatable. */
const WBTC_CRASH = wad("54000");
/** WETH after a −30% crash, confirmed by a second round: trips the breaker's PRICE_FALL (25%). */
const FALL_PRICE = wad("2100");

// ----------------------------------------------------------------------------------------------- work encoding

interface Order {
  borrower: string;
  collateral: string;
  maxRepay: bigint;
}

/** ISecurityOps.Work as plain data. */
interface Work {
  track: string[];
  liquidations: Order[];
  flags: string[];
  pokes: string[];
  volatility: string[];
  syncs: string[];
  syncReserves: boolean;
  rebalances: string[];
  prune: string[];
}

const EMPTY_WORK: Work = {
  track: [],
  liquidations: [],
  flags: [],
  pokes: [],
  volatility: [],
  syncs: [],
  syncReserves: false,
  rebalances: [],
  prune: [],
};

interface OpsFixture {
  market: ChainlinkMarket;
  risk: RiskModules;
  usdc: MockERC20;
  weth: MockERC20;
  wbtc: MockERC20;
  owner: HardhatEthersSigner;
  lender: HardhatEthersSigner;
  governance: HardhatEthersSigner;
  treasury: HardhatEthersSigner;
  keeper: HardhatEthersSigner;
  stranger: HardhatEthersSigner;
  /** Eight WETH borrowers, 10 WETH each: [0] owes 24,000, [1] 23,500, the others 21,000. */
  wethBorrowers: HardhatEthersSigner[];
  /** 1 WBTC, owes 43,000: liquidatable after WBTC_CRASH, and no pool sells WBTC. */
  dave: HardhatEthersSigner;
  /** 10 WETH, owes 12,000: healthy through every crash here. */
  carol: HardhatEthersSigner;
  /** 1 WETH + 0.5 WBTC, owes 23,800: liquidatable after WBTC_CRASH (mostly WBTC-backed). */
  mixed: HardhatEthersSigner;
  /** Funded and approved, no debt, not tracked. */
  spare: HardhatEthersSigner;
  factory: ITestUniswapV3Factory;
  /** WETH/USDC 0.3% pool at CRASH with 10,000 WETH of full-range liquidity. */
  pool: ITestUniswapV3Pool;
  ops: SecurityOps;
  liquidator: UniswapV3FlashLiquidator;
  /** The breaker entries in the upkeep's order: global, the base asset, then each collateral. */
  entries: string[];
  /** Every tracked account, in registry order. */
  tracked: HardhatEthersSigner[];
}

/** The ABI type of ISecurityOps.Work, from the contract's own ABI. */
function workType(ops: SecurityOps): ParamType {
  return ops.interface.getFunction("findWork").outputs[0];
}

function encodeWork(ops: SecurityOps, work: Partial<Work>): string {
  return coder.encode([workType(ops)], [{ ...EMPTY_WORK, ...work }]);
}

function decodeWork(ops: SecurityOps, data: string): Work {
  const [w] = coder.decode([workType(ops)], data);
  const list = (xs: readonly string[]): string[] => [...xs];
  return {
    track: list(w.track),
    liquidations: [...w.liquidations].map((o: { borrower: string; collateral: string; maxRepay: bigint }) => ({
      borrower: o.borrower,
      collateral: o.collateral,
      maxRepay: o.maxRepay,
    })),
    flags: list(w.flags),
    pokes: list(w.pokes),
    volatility: list(w.volatility),
    syncs: list(w.syncs),
    syncReserves: w.syncReserves,
    rebalances: list(w.rebalances),
    prune: list(w.prune),
  };
}

/** `checkUpkeep(checkData)` as Chainlink simulates it, with its performData decoded. */
async function check(f: OpsFixture, checkData = "0x"): Promise<{ needed: boolean; data: string; work: Work }> {
  const [needed, data] = await f.ops.checkUpkeep.staticCall(checkData);
  return { needed, data, work: decodeWork(f.ops, data) };
}

/** Performs `data` from the keeper and returns the receipt. */
async function perform(f: OpsFixture, data: string): Promise<ContractTransactionReceipt> {
  const receipt = await (await f.ops.connect(f.keeper).performUpkeep(data)).wait();
  if (receipt === null) throw new Error("no receipt");
  return receipt;
}

/** Events named `name` that `contract` emitted in `receipt`, parsed. */
function eventsOf(
  contract: {
    interface: { parseLog(log: { topics: string[]; data: string }): { name: string; args: unknown } | null };
  },
  receipt: ContractTransactionReceipt,
  name: string,
): { name: string; args: unknown }[] {
  const out = [];
  for (const log of receipt.logs) {
    let parsed = null;
    try {
      parsed = contract.interface.parseLog({ topics: [...log.topics], data: log.data });
    } catch {
      parsed = null;
    }
    if (parsed !== null && parsed.name === name) out.push(parsed);
  }
  return out;
}

const order = (borrower: { address: string }, token: string): Order => ({
  borrower: borrower.address,
  collateral: token,
  maxRepay: MaxUint256,
});

/** Orders sorted by borrower: a scan starts where the block puts it in its window, so the order found varies. */
const byBorrower = (list: readonly Order[]): Order[] =>
  [...list].map((o) => ({ ...o })).sort((a, b) => a.borrower.localeCompare(b.borrower));

// ----------------------------------------------------------------------------------------------- fixtures

/**
 * A market priced by the real OracleAdapter over Chainlink-like test aggregators (USDC base; WETH $3000, WBTC
 * $60,000), interest frozen (zero-rate model), the breaker wired with permissive outflow limits and the shipped
 * price-fall bounds, the volatility oracle, risk manager and rebalancer deployed and wired with the defaults,
 * 2,000,000 USDC lent, eleven borrowers open (see OpsFixture), a real Uniswap v3 WETH/USDC pool, and SecurityOps
 * (owner `governance`, proceeds to `treasury`) selling WETH in it, every borrower tracked. Nothing poked, sampled or
 * synced yet; SecurityOps has no role anywhere.
 */
async function deployOps(wireBreaker: boolean): Promise<OpsFixture> {
  const signers = await ethers.getSigners();
  const [owner, lender, governance, treasury, keeper, stranger] = signers;
  const wethBorrowers = signers.slice(6, 14);
  const [dave, carol, mixed, spare] = signers.slice(14, 18);
  const market = await deployChainlinkMarket(ethers, {
    owner,
    assetTriggers: PERMISSIVE_TRIGGERS,
    baseTriggers: { ...PERMISSIVE_TRIGGERS, maxFall: DEFAULT_BASE_TRIGGERS.maxFall },
    wireBreaker,
  });
  const { vault, usdc, engine } = market;
  const [weth, wbtc] = [collateral(market, "WETH"), collateral(market, "WBTC")];
  await vault.connect(owner).setInterestRateModel(await deployZeroRateModel(ethers));
  const risk = await deployRiskModules(ethers, vault, { collaterals: market.collaterals });

  await usdc.mint(lender.address, usd("2000000"));
  await usdc.connect(lender).approve(vault, MaxUint256);
  await vault.connect(lender).deposit(usd("2000000"), lender.address);
  for (const actor of [...wethBorrowers, dave, carol, mixed, spare]) {
    await weth.mint(actor.address, wad("100"));
    await wbtc.mint(actor.address, parseUnits("10", 8));
    await usdc.mint(actor.address, usd("100000"));
    for (const token of [weth, wbtc, usdc]) await token.connect(actor).approve(vault, MaxUint256);
  }
  const open = async (who: HardhatEthersSigner, deposits: [MockERC20, bigint][], debt: string) => {
    for (const [token, amount] of deposits) await vault.connect(who).depositCollateral(token, amount, who.address);
    await vault.connect(who).borrow(usd(debt), who.address);
  };
  for (const [i, b] of wethBorrowers.entries()) {
    await open(b, [[weth, wad("10")]], i === 0 ? "24000" : i === 1 ? "23500" : "21000");
  }
  await open(dave, [[wbtc, parseUnits("1", 8)]], "43000");
  await open(carol, [[weth, wad("10")]], "12000");
  await open(
    mixed,
    [
      [weth, wad("1")],
      [wbtc, parseUnits("0.5", 8)],
    ],
    "23800",
  );

  const factory = await deployUniswapV3Factory(ethers, owner);
  const { pool } = await deployPoolWithLiquidity(ethers, factory, weth, usdc, CRASH, wad("10000"));

  const { ops, liquidator } = await deploySecurityOps(ethers, {
    vault,
    engine,
    volatility: risk.volatility,
    config: CONFIG,
    proceedsRecipient: treasury.address,
    owner: governance,
  });
  await ops.connect(governance).setLiquidationPool(weth, pool);
  const tracked = [...wethBorrowers, dave, carol, mixed];
  await ops.connect(keeper).track(tracked.map((s) => s.address));
  const entries = [ZeroAddress, await usdc.getAddress(), await weth.getAddress(), await wbtc.getAddress()];
  return {
    market,
    risk,
    usdc,
    weth,
    wbtc,
    owner,
    lender,
    governance,
    treasury,
    keeper,
    stranger,
    wethBorrowers,
    dave,
    carol,
    mixed,
    spare,
    factory,
    pool,
    ops,
    liquidator,
    entries,
    tracked,
  };
}

async function opsFixture(): Promise<OpsFixture> {
  return deployOps(true);
}

/** The same market with no circuit breaker wired into the vault (it runs unguarded). */
async function unguardedFixture(): Promise<OpsFixture> {
  return deployOps(false);
}

/** The fixture after the first upkeep (every entry poked, both collaterals sampled and synced, reserves synced). */
async function calmFixture(): Promise<OpsFixture> {
  const f = await opsFixture();
  const { needed, data } = await check(f);
  if (!needed) throw new Error("the first upkeep should be needed");
  await perform(f, data);
  return f;
}

/** Publishes `priceWad` for `token` on its feed (one round). */
async function setPrice(f: OpsFixture, token: MockERC20, priceWad: bigint): Promise<void> {
  await (await f.market.prices.set(await token.getAddress(), priceWad)).wait();
}

/**
 * Publishes `priceWad` in two rounds: a move beyond the adapter's 20% jump bound reads DEGRADED until the next round
 * confirms it, and a doubted price liquidates only accounts unhealthy at both of its bounds (issue 19).
 */
async function setConfirmedPrice(f: OpsFixture, token: MockERC20, priceWad: bigint): Promise<void> {
  await setPrice(f, token, priceWad);
  await setPrice(f, token, priceWad);
}

/** Everything an upkeep could change for the fixture's accounts, entries and proceeds. */
async function opsState(f: OpsFixture): Promise<unknown> {
  const { vault, lens, engine, breaker } = f.market;
  const accounts = [...f.tracked, f.spare];
  const perAccount = [];
  for (const a of accounts) {
    perAccount.push([
      await vault.debtOf(a),
      await vault.collateralOf(a, f.weth),
      await vault.collateralOf(a, f.wbtc),
      await engine.flaggedAt(a),
      await lens.provisionOf(vault, a),
      await f.ops.isTracked(a),
    ]);
  }
  const perEntry = [];
  for (const e of f.entries) {
    const entry = await breaker.entry(e);
    perEntry.push([await f.ops.lastPoked(e), entry.reasons, entry.level, entry.actionMask]);
  }
  const perCollateral = [];
  for (const c of [f.weth, f.wbtc]) {
    const [, , ltvCap, thresholdCap] = await lens.riskRamp(vault, c);
    const s = await f.risk.volatility.state(c);
    perCollateral.push([ltvCap, thresholdCap, s.lastUpdate, s.variance, s.samples]);
  }
  return {
    perAccount,
    perEntry,
    perCollateral,
    registry: await f.ops.accounts(0, 1000),
    boost: (await lens.riskModules(vault))[2],
    balances: [
      await f.usdc.balanceOf(f.liquidator),
      await f.usdc.balanceOf(f.ops),
      await f.usdc.balanceOf(f.treasury),
      await f.weth.balanceOf(f.pool),
    ],
  };
}

// ----------------------------------------------------------------------------------------------- tests

describe("SecurityOps: the market's security operations as a Chainlink Automation upkeep", function () {
  describe("finding and performing work", function () {
    it("wants pokes of every entry, both volatility samples and the reserve sync at first; records lastPoked", async function () {
      const f = await networkHelpers.loadFixture(opsFixture);
      const { vault, lens } = f.market;
      for (const e of f.entries) expect(await f.ops.lastPoked(e)).to.equal(0n);
      const { needed, data, work } = await check(f);
      expect(needed).to.equal(true);
      expect(work.pokes).to.deep.equal(f.entries);
      expect(work.volatility).to.deep.equal([await f.weth.getAddress(), await f.wbtc.getAddress()]);
      // A due volatility sample syncs its asset itself: no separate sync.
      expect(work.syncs).to.deep.equal([]);
      expect(work.syncReserves).to.equal(true);
      expect(work.liquidations).to.deep.equal([]);
      expect(work.flags).to.deep.equal([]);
      expect(work.track).to.deep.equal([]);
      expect(work.prune).to.deep.equal([]);

      const receipt = await perform(f, data);
      const stamp = BigInt((await receipt.getBlock()).timestamp);
      for (const e of f.entries) expect(await f.ops.lastPoked(e)).to.equal(stamp);
      const done = eventsOf(f.ops, receipt, "UpkeepPerformed");
      expect(done).to.have.length(1);
      // 4 pokes + 2 samples + the reserve sync.
      await expect(receipt.hash).to.emit(f.ops, "UpkeepPerformed").withArgs(f.keeper.address, 7n, 0n);
      for (const c of [f.weth, f.wbtc]) {
        const [ltvCap, thresholdCap] = await f.risk.riskManager.caps(c);
        const [, , vaultLtvCap, vaultThresholdCap] = await lens.riskRamp(vault, c);
        expect([vaultLtvCap, vaultThresholdCap]).to.deep.equal([ltvCap, thresholdCap]);
        expect((await f.risk.volatility.state(c)).lastUpdate).to.equal(stamp);
      }
      expect((await lens.riskModules(vault))[2]).to.equal((await f.risk.riskManager.params()).reserveBoost);
    });

    it("finds nothing on a calm, healthy market after the first round; performing its data reverts", async function () {
      const f = await networkHelpers.loadFixture(calmFixture);
      const { needed, data, work } = await check(f);
      expect(needed).to.equal(false);
      expect(work).to.deep.equal(EMPTY_WORK);
      await expect(f.ops.connect(f.keeper).performUpkeep(data)).to.be.revertedWithCustomError(
        f.ops,
        "NothingToPerform",
      );
      // Still nothing a little before the poke interval ends.
      await time.increase(POKE_INTERVAL - 30);
      expect((await check(f)).needed).to.equal(false);
    });

    it("pokes every entry again once pokeInterval has passed, and only then", async function () {
      const f = await networkHelpers.loadFixture(calmFixture);
      const last = await f.ops.lastPoked(ZeroAddress);
      await time.increaseTo(last + BigInt(POKE_INTERVAL) - 1n);
      expect((await check(f)).needed).to.equal(false);
      await time.increase(1);
      const { needed, data, work } = await check(f);
      expect(needed).to.equal(true);
      expect(work.pokes).to.deep.equal(f.entries);
      expect(work.volatility).to.deep.equal([]);
      const receipt = await perform(f, data);
      const stamp = BigInt((await receipt.getBlock()).timestamp);
      for (const e of f.entries) expect(await f.ops.lastPoked(e)).to.equal(stamp);
      expect((await check(f)).needed).to.equal(false);
    });

    it("liquidates a crashed account by flash liquidation with no capital; anyone sweeps the proceeds to the treasury", async function () {
      const f = await networkHelpers.loadFixture(calmFixture);
      const { vault, engine } = f.market;
      const [b0, b1] = f.wethBorrowers;
      const weth = await f.weth.getAddress();
      expect(await vault.isLiquidatable(b0)).to.equal(false);
      await setPrice(f, f.weth, CRASH);
      expect(await vault.isLiquidatable(b0)).to.equal(true);
      expect(await vault.isLiquidatable(b1)).to.equal(true);
      expect(await vault.isLiquidatable(f.wethBorrowers[2])).to.equal(false);

      const { needed, data, work } = await check(f);
      expect(needed).to.equal(true);
      expect(byBorrower(work.liquidations)).to.deep.equal(byBorrower([order(b0, weth), order(b1, weth)]));
      expect(work.flags).to.deep.equal([]);
      expect(work.pokes).to.deep.equal([]);

      // No capital anywhere on the upkeep's side.
      expect(await f.usdc.balanceOf(f.ops)).to.equal(0n);
      expect(await f.usdc.balanceOf(f.liquidator)).to.equal(0n);
      expect(await f.usdc.balanceOf(f.keeper)).to.equal(0n);
      const q0 = await engine.previewLiquidation(b0, weth, MaxUint256);
      const q1 = await engine.previewLiquidation(b1, weth, MaxUint256);
      const [debt0, debt1] = [await vault.debtOf(b0), await vault.debtOf(b1)];

      const tx = f.ops.connect(f.keeper).performUpkeep(data);
      await expect(tx)
        .to.emit(engine, "LiquidationExecuted")
        .withArgs(b0.address, weth, f.liquidator, q0.repay, q0.seize, q0.fee, q0.bonus, q0.health);
      await expect(tx)
        .to.emit(engine, "LiquidationExecuted")
        .withArgs(b1.address, weth, f.liquidator, q1.repay, q1.seize, q1.fee, q1.bonus, q1.health);
      await expect(tx).to.emit(f.ops, "UpkeepPerformed").withArgs(f.keeper.address, 2n, 0n);
      await expect(tx).not.to.emit(engine, "LiquidationSkipped");
      expect(await vault.debtOf(b0)).to.equal(debt0 - q0.repay);
      expect(await vault.debtOf(b1)).to.equal(debt1 - q1.repay);
      expect(await vault.isLiquidatable(b0)).to.equal(false);
      expect(await vault.isLiquidatable(b1)).to.equal(false);

      // The bonus, sold for USDC, waits in the liquidator; SecurityOps itself holds nothing.
      const proceeds = await f.usdc.balanceOf(f.liquidator);
      expect(proceeds).to.be.greaterThan(0n);
      expect(await f.usdc.balanceOf(f.ops)).to.equal(0n);
      expect(await f.weth.balanceOf(f.liquidator)).to.equal(0n);
      const treasuryBefore = await f.usdc.balanceOf(f.treasury);
      await expect(f.ops.connect(f.stranger).sweep(f.usdc))
        .to.emit(f.ops, "ProceedsSwept")
        .withArgs(await f.usdc.getAddress(), proceeds);
      expect(await f.usdc.balanceOf(f.treasury)).to.equal(treasuryBefore + proceeds);
      expect(await f.usdc.balanceOf(f.liquidator)).to.equal(0n);
      expect(await f.usdc.balanceOf(f.stranger)).to.equal(0n);
      expect((await check(f)).needed).to.equal(false);
    });

    // Outside audit of issue 19, property 10 (M-1): after a liquidation fails, the upkeep flags the account, work the
    // check never budgeted. Each such flag asked for ITEM_GAS and reverted the whole perform, pokes included, once a
    // crash's sales all failed (here: the only pool trades 20% below the oracle) and the gas ran short.
    it("a crash whose sales all fail: the unbudgeted fallback flags are left when gas runs short, never revert the perform", async function () {
      const f = await networkHelpers.loadFixture(calmFixture);
      const { engine } = f.market;
      const factory = await deployUniswapV3Factory(ethers, f.owner);
      const { pool: lowPool } = await deployPoolWithLiquidity(
        ethers,
        factory,
        f.weth,
        f.usdc,
        wad("1968"),
        wad("10000"),
      );
      await f.ops.connect(f.governance).setLiquidationPool(f.weth, lowPool);
      await time.increase(POKE_INTERVAL);
      await f.market.heartbeat();
      await setConfirmedPrice(f, f.weth, DEEP_CRASH);
      const { data, work } = await check(f);
      expect(work.liquidations.length).to.be.greaterThan(1);
      expect(work.pokes.length).to.be.greaterThan(0);
      // The least gas at which the perform goes through: before the fix, that was enough for every fallback flag
      // (a flag started without ITEM_GAS reverted the whole perform); now the last flags are left.
      const keeperOps = f.ops.connect(f.keeper);
      const goes = async (gasLimit: bigint) =>
        keeperOps.performUpkeep.staticCall(data, { gasLimit }).then(
          () => true,
          () => false,
        );
      let [lo, hi] = [1_000_000n, 16_000_000n];
      while (hi - lo > 10_000n) {
        const mid = (lo + hi) / 2n;
        if (await goes(mid)) hi = mid;
        else lo = mid;
      }
      const receipt = await (await keeperOps.performUpkeep(data, { gasLimit: hi })).wait();
      expect(eventsOf(engine, receipt!, "LiquidationExecuted")).to.have.length(0);
      const stamp = BigInt((await receipt!.getBlock()).timestamp);
      for (const e of work.pokes) expect(await f.ops.lastPoked(e)).to.equal(stamp);
      // At that gas some fallback flags were left (before, none could be): they stay due for a later upkeep.
      let unflagged = 0;
      for (const o of work.liquidations) if ((await engine.flaggedAt(o.borrower)) === 0n) unflagged++;
      expect(unflagged).to.be.greaterThan(0);
    });

    it("flags a liquidatable account whose collateral no pool sells, once", async function () {
      const f = await networkHelpers.loadFixture(calmFixture);
      const { vault, engine } = f.market;
      await setPrice(f, f.wbtc, WBTC_CRASH);
      expect(await vault.isLiquidatable(f.dave)).to.equal(true);
      expect(await vault.isLiquidatable(f.mixed)).to.equal(true);
      const { needed, data, work } = await check(f);
      expect(needed).to.equal(true);
      expect(work.flags).to.deep.equal([f.dave.address]);
      // mixed also holds WETH, which the liquidator sells: it is liquidated, not flagged.
      expect(work.liquidations).to.deep.equal([order(f.mixed, await f.weth.getAddress())]);
      expect(await engine.flaggedAt(f.dave)).to.equal(0n);

      const tx = f.ops.connect(f.keeper).performUpkeep(data);
      await expect(tx).to.emit(engine, "AccountFlagged").withArgs(f.dave.address, anyValue);
      const stamp = BigInt((await (await (await tx).wait())!.getBlock()).timestamp);
      expect(await engine.flaggedAt(f.dave)).to.equal(stamp);
      // Flagged once: the next check does not list it again.
      expect((await check(f)).work.flags).to.deep.equal([]);
    });

    it("picks the collateral the engine would repay most debt for, among those a pool sells", async function () {
      const f = await networkHelpers.loadFixture(calmFixture);
      const { engine, vault } = f.market;
      const { pool: wbtcPool } = await deployPoolWithLiquidity(
        ethers,
        f.factory,
        f.wbtc,
        f.usdc,
        WBTC_CRASH,
        parseUnits("500", 8),
      );
      await expect(f.ops.connect(f.governance).setLiquidationPool(f.wbtc, wbtcPool))
        .to.emit(f.ops, "LiquidationPoolSet")
        .withArgs(await f.wbtc.getAddress(), await wbtcPool.getAddress());
      await setPrice(f, f.wbtc, WBTC_CRASH);
      const [weth, wbtc] = [await f.weth.getAddress(), await f.wbtc.getAddress()];
      const byWeth = await engine.previewLiquidation(f.mixed, weth, MaxUint256);
      const byWbtc = await engine.previewLiquidation(f.mixed, wbtc, MaxUint256);
      expect(byWbtc.repay).to.be.greaterThan(byWeth.repay);

      const { data, work } = await check(f);
      expect(work.flags).to.deep.equal([]);
      expect(byBorrower(work.liquidations)).to.deep.equal(byBorrower([order(f.dave, wbtc), order(f.mixed, wbtc)]));
      const tx = f.ops.connect(f.keeper).performUpkeep(data);
      await expect(tx)
        .to.emit(engine, "LiquidationExecuted")
        .withArgs(f.mixed.address, wbtc, f.liquidator, byWbtc.repay, byWbtc.seize, byWbtc.fee, anyValue, anyValue);
      await expect(tx).not.to.emit(engine, "LiquidationSkipped");
      expect(await vault.isLiquidatable(f.dave)).to.equal(false);
      expect(await vault.isLiquidatable(f.mixed)).to.equal(false);
    });

    it("finds a price crash that trips PRICE_FALL through the poke probe, before pokeInterval", async function () {
      const f = await networkHelpers.loadFixture(calmFixture);
      const { breaker } = f.market;
      const weth = await f.weth.getAddress();
      // A 30% fall, confirmed by a second round so the adapter reports it OK.
      await setPrice(f, f.weth, FALL_PRICE);
      await setPrice(f, f.weth, FALL_PRICE);
      expect((await f.market.adapter.getPrice(weth)).status).to.equal(0n);
      const lastPoked = await f.ops.lastPoked(weth);
      expect(BigInt(await time.latest())).to.be.lessThan(lastPoked + BigInt(POKE_INTERVAL));
      expect((await breaker.entry(weth)).reasons & bit(Why.PRICE_FALL)).to.equal(0n);

      const { needed, work } = await check(f);
      expect(needed).to.equal(true);
      expect(work.pokes).to.deep.equal([weth]);

      const receipt = await perform(f, encodeWork(f.ops, { pokes: work.pokes }));
      const stamp = BigInt((await receipt.getBlock()).timestamp);
      const entry = await breaker.entry(weth);
      expect(entry.reasons & bit(Why.PRICE_FALL)).to.equal(bit(Why.PRICE_FALL));
      expect(entry.level).to.equal(Level.NO_BORROW);
      expect(await f.ops.lastPoked(weth)).to.equal(stamp);
      for (const e of f.entries.filter((x) => x !== weth)) expect(await f.ops.lastPoked(e)).to.equal(lastPoked);
      // Tripped now: the probe sees no further change.
      expect((await check(f)).work.pokes).to.deep.equal([]);
    });
  });

  describe("breaker entries", function () {
    it("an address that is no breaker entry is never due for a poke, even past pokeInterval", async function () {
      const f = await networkHelpers.loadFixture(calmFixture);
      const stranger = Wallet.createRandom().address;
      await time.increase(POKE_INTERVAL);
      const { work } = await check(f);
      expect(work.pokes).to.deep.equal(f.entries);
      for (const pokes of [[stranger], [f.carol.address], [await f.pool.getAddress(), stranger]]) {
        await expect(
          f.ops.connect(f.stranger).performUpkeep(encodeWork(f.ops, { pokes })),
        ).to.be.revertedWithCustomError(f.ops, "NothingToPerform");
      }
      // Beside real entries it is skipped, and only the entries are poked.
      const tx = f.ops.connect(f.keeper).performUpkeep(encodeWork(f.ops, { pokes: [...work.pokes, stranger] }));
      await expect(tx).to.emit(f.ops, "WorkSkipped").withArgs(Kind.POKE, stranger);
      await expect(tx).to.emit(f.ops, "UpkeepPerformed").withArgs(f.keeper.address, 4n, 1n);
      await expect(tx).not.to.emit(f.ops, "WorkFailed");
      expect(await f.ops.lastPoked(stranger)).to.equal(0n);
    });

    it("with no breaker wired, nothing is due for a poke and liquidations still go through", async function () {
      const f = await networkHelpers.loadFixture(unguardedFixture);
      expect((await f.market.lens.circuitBreaker(f.market.vault))[0]).to.equal(ZeroAddress);
      const first = await check(f);
      expect(first.work.pokes).to.deep.equal([]);
      await perform(f, first.data); // samples and syncs
      await time.increase(POKE_INTERVAL);
      await setPrice(f, f.weth, CRASH);
      const { data, work } = await check(f);
      expect(work.pokes).to.deep.equal([]);
      const weth = await f.weth.getAddress();
      expect(byBorrower(work.liquidations)).to.deep.equal(
        byBorrower([order(f.wethBorrowers[0], weth), order(f.wethBorrowers[1], weth)]),
      );
      const receipt = await perform(f, data);
      expect(eventsOf(f.market.engine, receipt, "LiquidationExecuted")).to.have.length(2);
      await expect(
        f.ops.connect(f.stranger).performUpkeep(encodeWork(f.ops, { pokes: f.entries })),
      ).to.be.revertedWithCustomError(f.ops, "NothingToPerform");
    });
  });

  describe("re-validation in performUpkeep", function () {
    it("skips a liquidation that is no longer due (topped up) and does the rest", async function () {
      const f = await networkHelpers.loadFixture(calmFixture);
      const { vault, engine } = f.market;
      const [b0, b1] = f.wethBorrowers;
      const weth = await f.weth.getAddress();
      await setPrice(f, f.weth, CRASH);
      const { data, work } = await check(f);
      expect(byBorrower(work.liquidations)).to.deep.equal(byBorrower([order(b0, weth), order(b1, weth)]));
      await vault.connect(b0).depositCollateral(f.weth, wad("5"), b0.address);
      expect(await vault.isLiquidatable(b0)).to.equal(false);
      const debt0 = await vault.debtOf(b0);
      const held0 = await vault.collateralOf(b0, weth);

      const tx = f.ops.connect(f.keeper).performUpkeep(data);
      await expect(tx).to.emit(f.ops, "WorkSkipped").withArgs(Kind.LIQUIDATE, b0.address);
      await expect(tx)
        .to.emit(engine, "LiquidationExecuted")
        .withArgs(b1.address, weth, ...Array(6).fill(anyValue));
      await expect(tx).to.emit(f.ops, "UpkeepPerformed").withArgs(f.keeper.address, 1n, 1n);
      expect(await vault.debtOf(b0)).to.equal(debt0);
      expect(await vault.collateralOf(b0, weth)).to.equal(held0);
      expect(await vault.isLiquidatable(b1)).to.equal(false);
    });

    it("reverts NothingToPerform and changes nothing when every item went stale (the price recovered)", async function () {
      const f = await networkHelpers.loadFixture(calmFixture);
      await setPrice(f, f.weth, CRASH);
      const { needed, data, work } = await check(f);
      expect(needed).to.equal(true);
      expect(work.liquidations).to.have.length(2);
      await setPrice(f, f.weth, wad("3000"));
      const before = await opsState(f);
      await expect(f.ops.connect(f.keeper).performUpkeep(data)).to.be.revertedWithCustomError(
        f.ops,
        "NothingToPerform",
      );
      expect(await opsState(f)).to.deep.equal(before);
    });

    it("forged items that are not due each revert NothingToPerform", async function () {
      const f = await networkHelpers.loadFixture(calmFixture);
      await setPrice(f, f.weth, CRASH);
      const [b0] = f.wethBorrowers;
      const [weth, wbtc, usdc] = [await f.weth.getAddress(), await f.wbtc.getAddress(), await f.usdc.getAddress()];
      const stranger = Wallet.createRandom().address;
      const forged: [string, Partial<Work>][] = [
        ["a healthy account's liquidation", { liquidations: [order(f.carol, weth)] }],
        ["a liquidation seizing collateral no pool sells", { liquidations: [order(b0, wbtc)] }],
        ["a liquidation of collateral the account does not hold", { liquidations: [order(f.dave, weth)] }],
        ["an untracked, debt-free account to track", { track: [f.spare.address] }],
        ["an account already tracked", { track: [b0.address] }],
        ["the zero address to track", { track: [ZeroAddress] }],
        ["a healthy account to flag", { flags: [f.carol.address] }],
        ["a poke not due (poked just now, nothing would change)", { pokes: [weth, ZeroAddress] }],
        ["a poke of an address that is no breaker entry", { pokes: [stranger] }],
        ["a volatility sample not due", { volatility: [weth] }],
        ["a volatility sample of an untracked asset", { volatility: [usdc, stranger] }],
        ["a sync of caps already in the vault", { syncs: [weth, wbtc] }],
        ["a sync of an unlisted asset", { syncs: [stranger] }],
        ["a reserve sync already done", { syncReserves: true }],
        ["a rebalance with no route", { rebalances: [weth] }],
        ["a prune of an account with debt", { prune: [b0.address] }],
        ["a prune of an untracked account", { prune: [f.spare.address] }],
      ];
      const before = await opsState(f);
      for (const [what, work] of forged) {
        await expect(
          f.ops.connect(f.stranger).performUpkeep(encodeWork(f.ops, work)),
          what,
        ).to.be.revertedWithCustomError(f.ops, "NothingToPerform");
      }
      expect(await opsState(f)).to.deep.equal(before);
    });

    it("a forged upkeep mixing one due liquidation with items not due does only the liquidation, once", async function () {
      const f = await networkHelpers.loadFixture(calmFixture);
      const { vault, engine } = f.market;
      await setPrice(f, f.weth, CRASH);
      const [b0, b1] = f.wethBorrowers;
      const [weth, wbtc, usdc] = [await f.weth.getAddress(), await f.wbtc.getAddress(), await f.usdc.getAddress()];
      const read = async () => {
        const s = (await opsState(f)) as Record<string, unknown>;
        // Everything but b0's own position and the proceeds of its liquidation.
        return { ...s, perAccount: (s.perAccount as unknown[]).slice(1), balances: undefined };
      };
      const before = await read();
      const debt0 = await vault.debtOf(b0);
      const q0 = await engine.previewLiquidation(b0, weth, MaxUint256);
      const work: Partial<Work> = {
        track: [f.spare.address, b0.address],
        liquidations: [order(b0, weth), order(f.carol, weth), order(b0, weth), order(b1, wbtc)],
        flags: [f.carol.address],
        pokes: [weth, usdc],
        volatility: [weth],
        syncs: [weth],
        syncReserves: true,
        rebalances: [weth],
        prune: [b1.address],
      };
      const receipt = await perform(f, encodeWork(f.ops, work));
      expect(eventsOf(engine, receipt, "LiquidationExecuted")).to.have.length(1);
      await expect(receipt.hash)
        .to.emit(engine, "LiquidationExecuted")
        .withArgs(b0.address, weth, f.liquidator, q0.repay, q0.seize, q0.fee, q0.bonus, q0.health);
      // 2 track + 3 liquidations + flag + 2 pokes + sample + sync + reserves + rebalance + prune.
      await expect(receipt.hash).to.emit(f.ops, "UpkeepPerformed").withArgs(f.keeper.address, 1n, 13n);
      expect(eventsOf(f.ops, receipt, "WorkSkipped")).to.have.length(13);
      await expect(receipt.hash).to.emit(f.ops, "WorkSkipped").withArgs(Kind.LIQUIDATE, b0.address);
      await expect(receipt.hash).to.emit(f.ops, "WorkSkipped").withArgs(Kind.PRUNE, b1.address);
      expect(eventsOf(f.ops, receipt, "WorkFailed")).to.have.length(0);
      expect(await vault.debtOf(b0)).to.equal(debt0 - q0.repay);
      expect(await read()).to.deep.equal(before);
    });

    it("reverts WorkTooLarge, naming the kind, length and bound, for every over-long list", async function () {
      const f = await networkHelpers.loadFixture(calmFixture);
      const a = f.carol.address;
      const weth = await f.weth.getAddress();
      const many = (n: bigint): string[] => Array<string>(Number(n)).fill(a);
      const cases: [Partial<Work>, bigint, bigint, bigint][] = [
        [{ track: many(MAX_TRACK + 1n) }, Kind.TRACK, MAX_TRACK + 1n, MAX_TRACK],
        [
          { liquidations: Array<Order>(CONFIG.maxLiquidations + 1).fill(order(f.carol, weth)) },
          Kind.LIQUIDATE,
          BigInt(CONFIG.maxLiquidations + 1),
          BigInt(CONFIG.maxLiquidations),
        ],
        [{ flags: many(MAX_TRACK + 1n) }, Kind.FLAG, MAX_TRACK + 1n, MAX_TRACK],
        [{ pokes: many(MAX_ASSET_ITEMS + 1n) }, Kind.POKE, MAX_ASSET_ITEMS + 1n, MAX_ASSET_ITEMS],
        [{ volatility: many(MAX_ASSET_ITEMS + 1n) }, Kind.VOLATILITY, MAX_ASSET_ITEMS + 1n, MAX_ASSET_ITEMS],
        [{ syncs: many(MAX_ASSET_ITEMS + 1n) }, Kind.SYNC, MAX_ASSET_ITEMS + 1n, MAX_ASSET_ITEMS],
        [{ rebalances: many(MAX_ASSET_ITEMS + 1n) }, Kind.REBALANCE, MAX_ASSET_ITEMS + 1n, MAX_ASSET_ITEMS],
        [{ prune: many(MAX_TRACK + 1n) }, Kind.PRUNE, MAX_TRACK + 1n, MAX_TRACK],
      ];
      for (const [work, kind, length, max] of cases) {
        await expect(f.ops.connect(f.stranger).performUpkeep(encodeWork(f.ops, work)))
          .to.be.revertedWithCustomError(f.ops, "WorkTooLarge")
          .withArgs(kind, length, max);
      }
      // At the bound, the same lists are accepted (and, being forged, not due).
      await expect(
        f.ops.connect(f.stranger).performUpkeep(encodeWork(f.ops, { track: many(MAX_TRACK), pokes: many(18n) })),
      ).to.be.revertedWithCustomError(f.ops, "NothingToPerform");
      // An over-long list is refused before anything runs, even beside due work.
      await setPrice(f, f.weth, CRASH);
      await expect(
        f.ops
          .connect(f.stranger)
          .performUpkeep(
            encodeWork(f.ops, { liquidations: [order(f.wethBorrowers[0], weth)], prune: many(MAX_TRACK + 1n) }),
          ),
      ).to.be.revertedWithCustomError(f.ops, "WorkTooLarge");
    });

    it("reverts on performData that is not an encoded Work", async function () {
      const f = await networkHelpers.loadFixture(calmFixture);
      await expect(f.ops.connect(f.stranger).performUpkeep("0x")).to.be.revert(ethers);
      await expect(f.ops.connect(f.stranger).performUpkeep("0xdeadbeef")).to.be.revert(ethers);
      const valid = encodeWork(f.ops, { pokes: [ZeroAddress] });
      await expect(f.ops.connect(f.stranger).performUpkeep(valid.slice(0, valid.length - 64))).to.be.revert(ethers);
      await expect(f.ops.connect(f.stranger).performUpkeep(coder.encode(["uint256"], [1n]))).to.be.revert(ethers);
    });
  });

  describe("volatility and risk syncs", function () {
    it("samples a due asset, then syncs its new caps into the vault", async function () {
      const f = await networkHelpers.loadFixture(calmFixture);
      const { vault, lens } = f.market;
      const { riskManager, volatility } = f.risk;
      const [weth, wbtc] = [await f.weth.getAddress(), await f.wbtc.getAddress()];
      const [, , ltvBefore, thresholdBefore] = await lens.riskRamp(vault, weth);
      expect(await volatility.isDue(weth)).to.equal(false);
      await time.increase(HOUR);
      await setPrice(f, f.weth, wad("3240")); // +8% in an hour: far above WETH's 80% reference volatility
      await f.market.heartbeat();
      expect(await volatility.isDue(weth)).to.equal(true);

      const { needed, data, work } = await check(f);
      expect(needed).to.equal(true);
      expect(work.volatility).to.deep.equal([weth, wbtc]);
      expect(work.syncs).to.deep.equal([]);
      const tx = f.ops.connect(f.keeper).performUpkeep(data);
      await expect(tx)
        .to.emit(volatility, "VolatilityUpdated")
        .withArgs(weth, ...Array(4).fill(anyValue));
      await expect(tx)
        .to.emit(riskManager, "CapsSynced")
        .withArgs(weth, ...Array(4).fill(anyValue));
      // WBTC's estimate did not move its caps: no sync for it.
      const synced = eventsOf(riskManager, (await (await tx).wait())!, "CapsSynced");
      expect(synced.map((e) => (e.args as unknown[])[0])).to.deep.equal([weth]);

      const [ltvCap, thresholdCap] = await riskManager.caps(weth);
      const [, , vaultLtvCap, vaultThresholdCap] = await lens.riskRamp(vault, weth);
      expect(ltvCap).to.be.lessThan(ltvBefore);
      expect(thresholdCap).to.be.lessThan(thresholdBefore);
      expect([vaultLtvCap, vaultThresholdCap]).to.deep.equal([ltvCap, thresholdCap]);
      expect(await volatility.volatility(weth)).to.be.greaterThan(REFERENCE_VOLATILITY.WETH);
      const w = await check(f);
      expect(w.work.volatility).to.deep.equal([]);
      expect(w.work.syncs).to.deep.equal([]);
    });

    it("lists a sync when governance changes the risk manager's parameters, and brings the vault in line", async function () {
      const f = await networkHelpers.loadFixture(calmFixture);
      const { vault, lens } = f.market;
      const { riskManager } = f.risk;
      const weth = await f.weth.getAddress();
      await riskManager
        .connect(f.owner)
        .setAssetRisk(weth, { ...defaultAssetRisk(REFERENCE_VOLATILITY.WETH), referenceVolatility: wad("0.2") });
      const [ltvCap, thresholdCap] = await riskManager.caps(weth);
      const [, , vaultLtvCap] = await lens.riskRamp(vault, weth);
      expect(ltvCap).to.not.equal(vaultLtvCap);

      const { needed, data, work } = await check(f);
      expect(needed).to.equal(true);
      expect(work).to.deep.equal({ ...EMPTY_WORK, syncs: [weth] });
      await expect(f.ops.connect(f.keeper).performUpkeep(data))
        .to.emit(riskManager, "CapsSynced")
        .withArgs(weth, anyValue, anyValue, ltvCap, thresholdCap);
      const [, , ltvAfter, thresholdAfter] = await lens.riskRamp(vault, weth);
      expect([ltvAfter, thresholdAfter]).to.deep.equal([ltvCap, thresholdCap]);
      expect((await check(f)).needed).to.equal(false);
    });
  });

  describe("account registry", function () {
    it("track adds only accounts with debt, once; bounded at MAX_TRACK", async function () {
      const f = await networkHelpers.loadFixture(opsFixture);
      const count = await f.ops.accountCount();
      expect(count).to.equal(BigInt(f.tracked.length));
      expect(await f.ops.accounts(0, 1000)).to.deep.equal(f.tracked.map((s) => s.address));
      expect(await f.ops.accounts(5, 3)).to.deep.equal([]);
      expect(await f.ops.accounts(9, 1000)).to.deep.equal([f.carol.address, f.mixed.address]);
      // Debt-free, duplicate and zero addresses are ignored.
      const ignored = [f.spare.address, f.wethBorrowers[0].address, ZeroAddress];
      expect(await f.ops.track.staticCall(ignored)).to.equal(0n);
      await expect(f.ops.connect(f.stranger).track(ignored)).not.to.emit(f.ops, "AccountTracked");
      expect(await f.ops.accountCount()).to.equal(count);
      expect(await f.ops.isTracked(f.spare)).to.equal(false);

      await f.market.vault.connect(f.spare).depositCollateral(f.weth, wad("10"), f.spare.address);
      await f.market.vault.connect(f.spare).borrow(usd("1000"), f.spare.address);
      const tx = f.ops.connect(f.stranger).track([f.spare.address, f.spare.address]);
      await expect(tx).to.emit(f.ops, "AccountTracked").withArgs(f.spare.address);
      expect(eventsOf(f.ops, (await (await tx).wait())!, "AccountTracked")).to.have.length(1);
      expect(await f.ops.accountCount()).to.equal(count + 1n);
      expect(await f.ops.isTracked(f.spare)).to.equal(true);

      const tooMany = Array<string>(Number(MAX_TRACK) + 1).fill(f.spare.address);
      await expect(f.ops.track(tooMany))
        .to.be.revertedWithCustomError(f.ops, "WorkTooLarge")
        .withArgs(Kind.TRACK, MAX_TRACK + 1n, MAX_TRACK);
      await expect(f.ops.track(tooMany.slice(1))).not.to.be.revert(ethers);
    });

    it("prune removes accounts that repaid, keeps the others, and the registry stays consistent", async function () {
      const f = await networkHelpers.loadFixture(opsFixture);
      const { vault } = f.market;
      const count = await f.ops.accountCount();
      const [b0] = f.wethBorrowers;
      expect(await f.ops.prune.staticCall(b0)).to.equal(false);
      expect(await f.ops.prune.staticCall(f.spare)).to.equal(false);
      await expect(f.ops.prune(b0)).not.to.emit(f.ops, "AccountPruned");

      await vault.connect(b0).repay(MaxUint256, b0.address);
      await vault.connect(f.carol).repay(MaxUint256, f.carol.address);
      await expect(f.ops.connect(f.stranger).prune(b0)).to.emit(f.ops, "AccountPruned").withArgs(b0.address);
      await expect(f.ops.connect(f.stranger).prune(f.carol)).to.emit(f.ops, "AccountPruned").withArgs(f.carol.address);
      await expect(f.ops.prune(b0)).not.to.emit(f.ops, "AccountPruned");
      expect(await f.ops.accountCount()).to.equal(count - 2n);
      expect(await f.ops.isTracked(b0)).to.equal(false);
      expect(await f.ops.isTracked(f.carol)).to.equal(false);
      const left = await f.ops.accounts(0, 1000);
      const expected = f.tracked.filter((s) => s !== b0 && s !== f.carol).map((s) => s.address);
      expect([...left].sort()).to.deep.equal([...expected].sort());
      for (const a of left) expect(await f.ops.isTracked(a)).to.equal(true);
      // Re-tracking after a new borrow works (the index was cleared).
      await vault.connect(b0).borrow(usd("100"), b0.address);
      await f.ops.track([b0.address]);
      expect(await f.ops.isTracked(b0)).to.equal(true);
      expect(await f.ops.accountCount()).to.equal(count - 1n);
    });

    it("checkUpkeep lists repaid accounts to prune without making an upkeep of them alone", async function () {
      const f = await networkHelpers.loadFixture(calmFixture);
      await f.market.vault.connect(f.carol).repay(MaxUint256, f.carol.address);
      const { needed, data, work } = await check(f);
      expect(needed).to.equal(false);
      expect(work).to.deep.equal({ ...EMPTY_WORK, prune: [f.carol.address] });
      await expect(f.ops.connect(f.keeper).performUpkeep(data))
        .to.emit(f.ops, "AccountPruned")
        .withArgs(f.carol.address);
      expect(await f.ops.isTracked(f.carol)).to.equal(false);
    });

    it("checkLog turns a real Borrowed log into track work; other sources and events are ignored", async function () {
      const f = await networkHelpers.loadFixture(calmFixture);
      const { vault } = f.market;
      await vault.connect(f.spare).depositCollateral(f.weth, wad("10"), f.spare.address);
      const receipt = (await (await vault.connect(f.spare).borrow(usd("5000"), f.stranger.address)).wait())!;
      const block = await receipt.getBlock();
      const borrowedTopic = vault.interface.getEvent("Borrowed").topicHash;
      const vaultAddress = getAddress(await vault.getAddress());
      const log = receipt.logs.find((l) => l.address === vaultAddress && l.topics[0] === borrowedTopic);
      if (log === undefined) throw new Error("no Borrowed log");
      const asLog = (l: typeof log, overrides: Partial<{ source: string; topics: string[] }> = {}) => ({
        index: l.index,
        timestamp: block.timestamp,
        txHash: l.transactionHash,
        blockNumber: l.blockNumber,
        blockHash: l.blockHash,
        source: overrides.source ?? l.address,
        topics: overrides.topics ?? [...l.topics],
        data: l.data,
      });

      const [needed, data] = await f.ops.checkLog.staticCall(asLog(log), "0x");
      expect(needed).to.equal(true);
      expect(decodeWork(f.ops, data)).to.deep.equal({ ...EMPTY_WORK, track: [f.spare.address] });
      // The same event from another contract, another event of the vault, a log without the account topic.
      const other = await f.ops.checkLog.staticCall(asLog(log, { source: await f.market.engine.getAddress() }), "0x");
      expect(other[0]).to.equal(false);
      expect(decodeWork(f.ops, other[1])).to.deep.equal(EMPTY_WORK);
      const repaidTopic = vault.interface.getEvent("Repaid").topicHash;
      expect(
        (await f.ops.checkLog.staticCall(asLog(log, { topics: [repaidTopic, ...log.topics.slice(1)] }), "0x"))[0],
      ).to.equal(false);
      expect((await f.ops.checkLog.staticCall(asLog(log, { topics: [borrowedTopic] }), "0x"))[0]).to.equal(false);
      // A Borrowed log naming an account without debt (the `to`, say) is not worth tracking.
      const toTopic = log.topics[2];
      expect(
        (await f.ops.checkLog.staticCall(asLog(log, { topics: [borrowedTopic, toTopic, toTopic] }), "0x"))[0],
      ).to.equal(false);

      await expect(f.ops.connect(f.keeper).performUpkeep(data))
        .to.emit(f.ops, "AccountTracked")
        .withArgs(f.spare.address);
      expect(await f.ops.isTracked(f.spare)).to.equal(true);
      expect((await f.ops.checkLog.staticCall(asLog(log), "0x"))[0]).to.equal(false);
      await expect(f.ops.connect(f.keeper).performUpkeep(data)).to.be.revertedWithCustomError(
        f.ops,
        "NothingToPerform",
      );
    });
  });

  describe("scan window", function () {
    /** The calm market with scanSize 4 (three windows over eleven accounts), WETH and WBTC crashed. */
    async function crashedWindowsFixture(): Promise<OpsFixture> {
      const f = await calmFixture();
      await f.ops.connect(f.governance).setConfig({ ...CONFIG, scanSize: 4 });
      await setConfirmedPrice(f, f.weth, DEEP_CRASH);
      await setPrice(f, f.wbtc, WBTC_CRASH);
      return f;
    }

    /** Accounts a work names (liquidations, flags, prune). */
    const named = (w: Work): string[] => [...w.liquidations.map((o) => o.borrower), ...w.flags, ...w.prune];

    it("rotates the window with the block number; consecutive blocks cover every account", async function () {
      const f = await networkHelpers.loadFixture(crashedWindowsFixture);
      const { vault } = f.market;
      const unhealthy: string[] = [];
      for (const s of f.tracked) if (await vault.isLiquidatable(s)) unhealthy.push(s.address);
      expect(unhealthy).to.have.length(10); // all but carol
      const windows = [f.tracked.slice(0, 4), f.tracked.slice(4, 8), f.tracked.slice(8)].map((w) =>
        w.map((s) => s.address),
      );
      const seen = new Set<string>();
      const indices: number[] = [];
      for (let i = 0; i < 3; i++) {
        const { work } = await check(f);
        const names = named(work);
        expect(names.length).to.be.greaterThan(0);
        const index = windows.findIndex((w) => w.includes(names[0]));
        for (const a of names) expect(windows[index]).to.include(a);
        expect(work.liquidations.length).to.be.lessThanOrEqual(4);
        indices.push(index);
        for (const a of names) seen.add(a);
        await networkHelpers.mine();
      }
      expect(indices[1]).to.equal((indices[0] + 1) % 3);
      expect(indices[2]).to.equal((indices[0] + 2) % 3);
      expect([...seen].sort()).to.deep.equal([...unhealthy].sort());
      // The last window: dave flagged (no WBTC pool), carol healthy, mixed liquidated through its WETH.
      for (let i = 0; i < 3 && (await check(f)).work.flags.length === 0; i++) await networkHelpers.mine();
      const last = (await check(f)).work;
      expect(last.flags).to.deep.equal([f.dave.address]);
      expect(last.liquidations).to.deep.equal([order(f.mixed, await f.weth.getAddress())]);
    });

    it("shards the registry by checkData (from, to), clamped; rejects bad checkData", async function () {
      const f = await networkHelpers.loadFixture(crashedWindowsFixture);
      const weth = await f.weth.getAddress();
      const range = (from: number, to: number) => coder.encode(["uint256", "uint256"], [from, to]);
      const first = (await check(f, range(0, 4))).work;
      expect(byBorrower(first.liquidations)).to.deep.equal(
        byBorrower(f.wethBorrowers.slice(0, 4).map((b) => order(b, weth))),
      );
      const second = (await check(f, range(4, 8))).work;
      expect(byBorrower(second.liquidations)).to.deep.equal(
        byBorrower(f.wethBorrowers.slice(4, 8).map((b) => order(b, weth))),
      );
      // A shard past the end is clamped to the registry.
      const tail = (await check(f, range(8, 1000))).work;
      expect(tail.flags).to.deep.equal([f.dave.address]);
      expect(tail.liquidations).to.deep.equal([order(f.mixed, weth)]);
      // One account.
      expect(named((await check(f, range(9, 10))).work)).to.deep.equal([]); // carol, healthy
      expect((await check(f, range(8, 9))).work.flags).to.deep.equal([f.dave.address]);
      // Wholly past the end: nothing scanned (the asset work is still found).
      const past = await check(f, range(11, 20));
      expect(named(past.work)).to.deep.equal([]);
      expect(past.work.pokes.length).to.be.greaterThan(0);
      // Bad checkData.
      for (const bad of ["0x01", coder.encode(["uint256"], [1]), range(4, 4), range(5, 4), range(0, 4) + "00"]) {
        await expect(f.ops.checkUpkeep.staticCall(bad), bad).to.be.revertedWithCustomError(f.ops, "BadCheckData");
      }
      await expect(f.ops.findWork.staticCall(range(3, 1))).to.be.revertedWithCustomError(f.ops, "BadCheckData");
    });
  });

  describe("gas limits", function () {
    it("a gas limit too low for an item reverts the upkeep: work is never silently failed or skipped", async function () {
      const f = await networkHelpers.loadFixture(opsFixture);
      const { data } = await check(f);
      const keeperOps = f.ops.connect(f.keeper);
      // eth_estimateGas finds the lowest limit that does not revert: it must be one that does all the work.
      const estimate = await keeperOps.performUpkeep.estimateGas(data);
      let reverted = 0;
      for (let i = 0; i <= 12; i++) {
        const gasLimit = estimate - (estimate * BigInt(i)) / 20n; // 100% down to 40% of the estimate
        const snapshot = await networkHelpers.takeSnapshot();
        let receipt: ContractTransactionReceipt | null = null;
        try {
          receipt = await (await keeperOps.performUpkeep(data, { gasLimit })).wait();
        } catch {
          reverted++;
        }
        if (receipt !== null) {
          expect(eventsOf(f.ops, receipt, "WorkFailed"), `gas limit ${gasLimit}`).to.deep.equal([]);
          expect(eventsOf(f.ops, receipt, "WorkSkipped"), `gas limit ${gasLimit}`).to.deep.equal([]);
          const stamp = BigInt((await receipt.getBlock()).timestamp);
          for (const e of f.entries) expect(await f.ops.lastPoked(e), `gas limit ${gasLimit}`).to.equal(stamp);
        }
        await snapshot.restore();
      }
      expect(reverted).to.be.greaterThan(0);
      // Short of gas before an item: the whole upkeep reverts, naming the cause.
      await expect(keeperOps.performUpkeep.staticCall(data, { gasLimit: 600_000n })).to.be.revertedWithCustomError(
        f.ops,
        "UpkeepOutOfGas",
      );
      // A check short of gas never reverts (issue 19, property 10): it answers with what it found in the gas it had.
      for (const gasLimit of [600_000n, 1_000_000n, 2_000_000n]) {
        const [, performData] = await f.ops.checkUpkeep.staticCall("0x", { gasLimit });
        const partial = decodeWork(f.ops, performData);
        expect(partial.pokes.length, `gas limit ${gasLimit}`).to.be.at.most(f.entries.length);
      }
      expect(await f.ops.ITEM_GAS()).to.equal(400_000n);
    });
  });

  describe("governance", function () {
    it("setConfig takes each field inside its bounds and rejects it one step outside", async function () {
      const f = await networkHelpers.loadFixture(opsFixture);
      const gov = f.ops.connect(f.governance);
      expect(await f.ops.MAX_SCAN()).to.equal(MAX_SCAN);
      expect(await f.ops.MAX_LIQUIDATIONS()).to.equal(MAX_LIQUIDATIONS);
      expect(await f.ops.MIN_POKE_INTERVAL()).to.equal(MIN_POKE_INTERVAL);
      expect(await f.ops.MAX_POKE_INTERVAL()).to.equal(MAX_POKE_INTERVAL);
      expect(await f.ops.MAX_ASSET_ITEMS()).to.equal(MAX_ASSET_ITEMS);
      expect(await f.ops.MAX_TRACK()).to.equal(MAX_TRACK);
      const fields: [keyof typeof CONFIG, bigint, bigint][] = [
        ["scanSize", 1n, MAX_SCAN],
        ["maxLiquidations", 1n, MAX_LIQUIDATIONS],
        ["pokeInterval", MIN_POKE_INTERVAL, MAX_POKE_INTERVAL],
        ["minDebt", 0n, 1_000_000n * 10n ** 6n], // MAX_MIN_DEBT_UNITS whole USDC
      ];
      expect(await f.ops.MAX_MIN_DEBT_UNITS()).to.equal(1_000_000n);
      for (const [name, min, max] of fields) {
        for (const value of min === 0n ? [max + 1n] : [min - 1n, max + 1n]) {
          await expect(gov.setConfig({ ...CONFIG, [name]: value }), `${name} = ${value}`)
            .to.be.revertedWithCustomError(f.ops, "ParameterOutOfBounds")
            .withArgs(encodeBytes32String(name), value, min, max);
        }
        for (const value of [min, max]) {
          const config = { ...CONFIG, [name]: value };
          await expect(gov.setConfig(config))
            .to.emit(f.ops, "ConfigSet")
            .withArgs([config.scanSize, config.maxLiquidations, config.pokeInterval, config.minDebt]);
          expect(await f.ops.config()).to.deep.equal([
            BigInt(config.scanSize),
            BigInt(config.maxLiquidations),
            BigInt(config.pokeInterval),
            BigInt(config.minDebt),
          ]);
        }
      }
      // The constructor checks the same bounds.
      const factory = await ethers.getContractFactory("SecurityOps");
      const { vault, engine } = f.market;
      await expect(
        factory.deploy(vault, engine, f.risk.volatility, { ...CONFIG, scanSize: 0 }, f.treasury, f.governance),
      ).to.be.revertedWithCustomError(f.ops, "ParameterOutOfBounds");
      for (const args of [
        [ZeroAddress, engine, f.treasury],
        [vault, ZeroAddress, f.treasury],
        [vault, engine, ZeroAddress],
      ] as const) {
        await expect(
          factory.deploy(args[0], args[1], f.risk.volatility, CONFIG, args[2], f.governance),
        ).to.be.revertedWithCustomError(f.ops, "ZeroAddress");
      }
    });

    it("only the owner sets the config and pools; ownership cannot be renounced; the probe is internal", async function () {
      const f = await networkHelpers.loadFixture(opsFixture);
      expect(await f.ops.owner()).to.equal(f.governance.address);
      expect(await f.ops.proceedsRecipient()).to.equal(f.treasury.address);
      expect(await f.liquidator.owner()).to.equal(await f.ops.getAddress());
      for (const who of [f.stranger, f.keeper, f.owner]) {
        await expect(f.ops.connect(who).setConfig(CONFIG))
          .to.be.revertedWithCustomError(f.ops, "OwnableUnauthorizedAccount")
          .withArgs(who.address);
        await expect(f.ops.connect(who).setLiquidationPool(f.weth, f.pool))
          .to.be.revertedWithCustomError(f.ops, "OwnableUnauthorizedAccount")
          .withArgs(who.address);
        await expect(f.ops.connect(who).setLiquidator(f.liquidator))
          .to.be.revertedWithCustomError(f.ops, "OwnableUnauthorizedAccount")
          .withArgs(who.address);
        await expect(f.ops.connect(who).renounceOwnership())
          .to.be.revertedWithCustomError(f.ops, "OwnableUnauthorizedAccount")
          .withArgs(who.address);
      }
      await expect(f.ops.connect(f.governance).renounceOwnership()).to.be.revertedWithCustomError(
        f.ops,
        "RenounceDisabled",
      );
      expect(await f.ops.owner()).to.equal(f.governance.address);
      // A pool that does not pair the collateral with the base asset is refused by the liquidator.
      await expect(f.ops.connect(f.governance).setLiquidationPool(f.wbtc, f.pool)).to.be.revertedWithCustomError(
        f.liquidator,
        "NoPool",
      );
      // Nobody but the liquidator's owner (SecurityOps) drives it.
      await expect(f.liquidator.connect(f.governance).sweep(f.usdc, f.governance.address, 0n))
        .to.be.revertedWithCustomError(f.liquidator, "OwnableUnauthorizedAccount")
        .withArgs(f.governance.address);
      for (const who of [f.stranger, f.governance]) {
        await expect(f.ops.connect(who).probePoke(f.weth))
          .to.be.revertedWithCustomError(f.ops, "OnlySelf")
          .withArgs(who.address);
      }
    });
  });

  describe("its flash liquidator", function () {
    it("none until given one: liquidator() is zero, sweep and pools revert NoLiquidator, crashed accounts are flagged", async function () {
      const f = await networkHelpers.loadFixture(calmFixture);
      const { vault, engine } = f.market;
      const ops = await ethers.deployContract("SecurityOps", [
        vault,
        engine,
        f.risk.volatility,
        CONFIG,
        f.treasury.address,
        f.governance.address,
      ]);
      const [b0, b1] = f.wethBorrowers;
      await ops.connect(f.keeper).track([b0.address, b1.address]);
      expect(await ops.liquidator()).to.equal(ZeroAddress);
      await expect(ops.connect(f.stranger).sweep(f.usdc)).to.be.revertedWithCustomError(ops, "NoLiquidator");
      await expect(ops.connect(f.governance).setLiquidationPool(f.weth, f.pool)).to.be.revertedWithCustomError(
        ops,
        "NoLiquidator",
      );
      await setPrice(f, f.weth, CRASH);
      const [needed, data] = await ops.checkUpkeep.staticCall("0x");
      const work = decodeWork(ops, data);
      expect(needed).to.equal(true);
      expect(work.liquidations).to.deep.equal([]);
      expect([...work.flags].sort()).to.deep.equal([b0.address, b1.address].sort());
      const tx = ops.connect(f.keeper).performUpkeep(data);
      await expect(tx).to.emit(engine, "AccountFlagged").withArgs(b0.address, anyValue);
      await expect(tx).to.emit(engine, "AccountFlagged").withArgs(b1.address, anyValue);
      await expect(tx).not.to.emit(engine, "LiquidationExecuted");
    });

    it("setLiquidator: owner only, takes only a liquidator offered to it (LiquidatorSet), which it then drives", async function () {
      const f = await networkHelpers.loadFixture(opsFixture);
      const { vault, engine } = f.market;
      const opsAddress = await f.ops.getAddress();
      const next = await ethers.deployContract("UniswapV3FlashLiquidator", [engine, vault, f.usdc, f.governance]);
      const gov = f.ops.connect(f.governance);
      await expect(gov.setLiquidator(ZeroAddress)).to.be.revertedWithCustomError(f.ops, "ZeroAddress");
      // Not offered (no pending owner): the liquidator refuses to be taken, and nothing changes.
      await expect(gov.setLiquidator(next))
        .to.be.revertedWithCustomError(next, "OwnableUnauthorizedAccount")
        .withArgs(opsAddress);
      expect(await f.ops.liquidator()).to.equal(f.liquidator);
      await next.connect(f.governance).transferOwnership(opsAddress);
      await expect(gov.setLiquidator(next)).to.emit(f.ops, "LiquidatorSet").withArgs(next);
      expect(await f.ops.liquidator()).to.equal(next);
      expect([await next.owner(), await next.pendingOwner()]).to.deep.equal([opsAddress, ZeroAddress]);
      // The new one takes the pools; the old one is still SecurityOps'.
      await expect(gov.setLiquidationPool(f.weth, f.pool))
        .to.emit(f.ops, "LiquidationPoolSet")
        .withArgs(await f.weth.getAddress(), f.pool);
      expect(await next.poolFor(f.weth)).to.equal(f.pool);
      expect(await f.liquidator.owner()).to.equal(opsAddress);
    });
  });

  describe("gas", function () {
    it("performs maxLiquidations (MAX_LIQUIDATIONS) flash liquidations and pokes of every entry under 5M gas", async function () {
      const f = await networkHelpers.loadFixture(calmFixture);
      const { vault, engine } = f.market;
      await f.ops.connect(f.governance).setConfig({ ...CONFIG, maxLiquidations: MAX_LIQUIDATIONS });
      await time.increase(POKE_INTERVAL);
      await f.market.heartbeat();
      await setConfirmedPrice(f, f.weth, DEEP_CRASH);
      const { needed, data, work } = await check(f);
      expect(needed).to.equal(true);
      expect(work.liquidations).to.have.length(Number(MAX_LIQUIDATIONS));
      expect(work.pokes).to.deep.equal(f.entries);
      const checkGas = await f.ops.checkUpkeep.estimateGas("0x");
      expect(checkGas).to.be.lessThan(10_000_000n);

      const receipt = await perform(f, data);
      expect(eventsOf(engine, receipt, "LiquidationExecuted")).to.have.length(Number(MAX_LIQUIDATIONS));
      expect(eventsOf(engine, receipt, "LiquidationSkipped")).to.have.length(0);
      for (const b of f.wethBorrowers) expect(await vault.isLiquidatable(b)).to.equal(false);
      expect(receipt.gasUsed).to.be.lessThan(PERFORM_GAS_LIMIT);
    });
  });
});
