/**
 * Bounded governance: after `deployGovernance`, a TimelockController owns the vault, the liquidation engine, the
 * circuit breaker, the oracle adapter and the adaptive-risk modules (volatility oracle, risk manager, rebalancer, wired
 * to the vault as its risk manager and recovery module) and the SecurityOps upkeep. Who can do what: the timelock's own roles and delay; every owner-only
 * function (found from the ABIs, not listed by hand); the vault's risk-module functions, which answer to their module
 * alone; the hard-coded bounds, which hold against the timelock too; the guardian's single power; no admin call
 * touches a user's shares, collateral or debt; the withdrawal queue pays only where the beneficiary says;
 * Ownable2Step's pending owner and renounceOwnership.
 */
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { expect } from "chai";
import { AbiCoder, type BaseContract, encodeBytes32String, MaxUint256, ZeroAddress, ZeroHash } from "ethers";
import { toBeHex, zeroPadValue } from "ethers";
import { network } from "hardhat";
import type { NetworkConnection } from "hardhat/types/network";

import { deployGovernance, executeBatch, scheduleBatch } from "../../scripts/lib/governance.js";
import { timelockBatch, timelockCall, type TimelockCall } from "../../scripts/lib/governance.js";
import { mutatingFunctions, revertName, zeroArgs } from "../../scripts/lib/governance.js";
import { collateral, deployChainlinkMarket, feedConfig, type ChainlinkMarket } from "../../scripts/lib/testMarket.js";
import { DEFAULT_BASE_TRIGGERS, DEFAULT_BREAKER_PARAMS, DEFAULT_ENGINE_PARAMS } from "../../scripts/lib/testMarket.js";
import { DEFAULT_RISK_PARAMS, defaultAssetRisk, defaultTracking, deployRiskModules } from "../../scripts/lib/risk.js";
import { DEFAULT_SECURITY_OPS_CONFIG, deploySecurityOps } from "../../scripts/lib/automation.js";
import type { RiskModules } from "../../scripts/lib/risk.js";
import { deployUniswapV3Factory } from "../../scripts/lib/uniswap.js";
import type {
  MockERC20,
  SecurityOps,
  TimelockController,
  UniswapV3FlashLiquidator,
} from "../../typechain-types/index.js";
import { usd, wad } from "../../scripts/lib/units.js";

const { ethers, networkHelpers } = await network.create();
const { time } = networkHelpers;

const DAY = 86_400n;
/** CircuitBreaker action bits. */
const [SUPPLY, WITHDRAW, BORROW, DEPOSIT_COLLATERAL, WITHDRAW_COLLATERAL, LIQUIDATE] = [1, 2, 4, 8, 16, 32];
const GUARDIAN_ACTIONS = SUPPLY | WITHDRAW | BORROW | WITHDRAW_COLLATERAL;
const UNAUTHORIZED = "OwnableUnauthorizedAccount";

type Role = "owner" | "proposer" | "executor" | "guardian" | "lender" | "lender2" | "borrower" | "stranger";
type Named =
  | "vault"
  | "engine"
  | "breaker"
  | "adapter"
  | "queue"
  | "rateModel"
  | "timelock"
  | "newToken"
  | "wethFeed"
  | "backstop";
type RiskNamed = "volatility" | "riskManager" | "rebalancer" | "porFeed" | "securityOps" | "spareLiquidator";

interface GovFixture extends Record<Role, HardhatEthersSigner> {
  market: ChainlinkMarket;
  /** The volatility oracle, risk manager and rebalancer, default-configured for WETH and WBTC. */
  risk: RiskModules;
  /** The SecurityOps upkeep, owned by the timelock, its proceeds swept to the timelock (as the Ignition modules). */
  securityOps: SecurityOps;
  /** SecurityOps' flash liquidator (SecurityOps owns it). */
  liquidator: UniswapV3FlashLiquidator;
  /** Another flash liquidator, owned by the timelock (for setLiquidator). */
  spareLiquidator: UniswapV3FlashLiquidator;
  timelock: TimelockController;
  weth: MockERC20;
  wbtc: MockERC20;
  /** A Uniswap v3 WETH/USDC pool (for setTwapSource). */
  pool: string;
  /**
   * Addresses, for encoding calldata (newToken: an unlisted token, for listCollateral; porFeed: an 8-decimal feed,
   * for setReserveCheck).
   */
  a: Record<Named | RiskNamed | "usdc" | "weth" | "wbtc", string>;
}

/**
 * Chainlink-priced market with two lenders (600k + 400k USDC) and a borrower (300 WETH, 200k USDC borrowed), its risk
 * modules deployed and wired (`deployRiskModules`), then all handed to a 2-day timelock (distinct proposer and
 * executor; guardian set); then, as the Ignition modules do, a SecurityOps upkeep over the market (its proceeds to
 * the timelock) given its flash liquidator and handed to the timelock in a second batch; feeds refreshed after the
 * delays. Also a spare flash liquidator the timelock owns.
 */
async function governedFixture({ ethers: e, networkHelpers: helpers }: NetworkConnection): Promise<GovFixture> {
  const [owner, proposer, executor, guardian, lender, lender2, borrower, stranger] = await e.getSigners();
  const market = await deployChainlinkMarket(e, { owner });
  const { vault, usdc } = market;
  const [weth, wbtc] = [collateral(market, "WETH"), collateral(market, "WBTC")];
  const risk = await deployRiskModules(e, vault, { collaterals: market.collaterals });
  for (const actor of [lender, lender2, borrower, stranger, guardian]) {
    await usdc.mint(actor.address, usd("2000000"));
    await weth.mint(actor.address, wad("1000"));
    for (const token of [usdc, weth, wbtc]) await token.connect(actor).approve(vault, MaxUint256);
  }
  await vault.connect(lender).deposit(usd("600000"), lender.address);
  await vault.connect(lender2).deposit(usd("400000"), lender2.address);
  await vault.connect(borrower).depositCollateral(weth, wad("300"), borrower.address);
  // A new outflow window, whose limit is a share of the cash lent (a deposit credits only its own depositor).
  await helpers.time.increase(DEFAULT_BASE_TRIGGERS.outflowWindow);
  await market.heartbeat();
  await vault.connect(borrower).borrow(usd("200000"), borrower.address);

  const wait = async (seconds: bigint): Promise<void> => void (await helpers.time.increase(seconds));
  const { timelock, run } = await deployGovernance(e, { ...market, risk }, { proposer, executor, guardian, wait });
  const { ops: securityOps, liquidator } = await deploySecurityOps(e, {
    vault,
    engine: market.engine,
    volatility: risk.volatility,
    config: DEFAULT_SECURITY_OPS_CONFIG,
    proceedsRecipient: timelock,
    owner,
  });
  await (await securityOps.connect(owner).transferOwnership(timelock)).wait();
  await (
    await run([{ target: securityOps, data: securityOps.interface.encodeFunctionData("acceptOwnership") }])
  ).wait();
  await market.heartbeat();
  const newToken = await e.deployContract("MockERC20", ["New", "NEW", 18]);
  const factory = await deployUniswapV3Factory(e, owner);
  await (await factory.createPool(weth, usdc, 3000)).wait();
  const pool = await factory.getPool(weth, usdc, 3000);
  const porFeed = await e.deployContract("TestAggregator", [8, "WETH proof of reserve"]);
  const wethFeed = market.feeds.get("WETH") ?? usdc;
  const spareLiquidator = await e.deployContract("UniswapV3FlashLiquidator", [market.engine, vault, usdc, timelock]);
  // A backstop for the vault, not yet named by governance (linkBackstopAndShare).
  const backstop = await e.deployContract("Backstop", [vault, "Backstop", "BS", timelock, 7 * 86_400, 2 * 86_400]);
  const named = {
    ...market,
    ...risk,
    timelock,
    newToken,
    weth,
    wbtc,
    wethFeed,
    porFeed,
    securityOps,
    spareLiquidator,
    backstop,
  };
  const keys = ["vault", "engine", "breaker", "adapter", "queue", "rateModel", "timelock", "newToken"] as const;
  const riskKeys = ["volatility", "riskManager", "rebalancer", "porFeed", "securityOps", "spareLiquidator"] as const;
  const all = [...keys, ...riskKeys, ...(["wethFeed", "usdc", "weth", "wbtc", "backstop"] as const)];
  const a = Object.fromEntries(await Promise.all(all.map(async (k) => [k, await named[k].getAddress()])));
  const people = { owner, proposer, executor, guardian, lender, lender2, borrower, stranger };
  const liquidators = { liquidator, spareLiquidator };
  return { market, risk, securityOps, ...liquidators, timelock, ...people, weth, wbtc, pool, a: a as GovFixture["a"] };
}

// ----------------------------------------------------------------------------------------------- helpers

/** `fn(args)` on `contract`, as a call the timelock makes. */
function call(contract: BaseContract, fn: string, args: readonly unknown[] = []): TimelockCall {
  return { target: contract, data: contract.interface.encodeFunctionData(fn, args) };
}

/** Runs `calls` through the fixture's timelock: scheduled by the proposer, executed by the executor after 2 days. */
function viaTimelock(f: GovFixture, calls: readonly TimelockCall[]) {
  return timelockBatch(f.timelock, f.proposer, calls, networkHelpers, f.executor);
}

/**
 * A table row. `access`: gated by Ownable's `onlyOwner`, by Ownable2Step's pending owner, by the vault's risk
 * manager or recovery module (`NotRiskModule`; the owner, the timelock included, is refused too), or "other" (open
 * to all, or its own check: only the vault, the engine, the guardian, itself). Owner-gated rows have arguments the
 * timelock can really execute, and `before`: calls the timelock makes first in the same batch; module-gated rows have
 * arguments their module can pass the gate with.
 */
type ModuleRole = "riskManager" | "recovery";
interface Entry {
  access: "owner" | "pendingOwner" | ModuleRole | "other";
  args?: readonly unknown[];
  before?: readonly TimelockCall[];
}
type Gated = Entry & { args: readonly unknown[] };
interface Surface {
  name: string;
  contract: BaseContract;
  table: Record<string, Entry>;
}

const others = (...names: string[]): Record<string, Entry> =>
  Object.fromEntries(names.map((n) => [n, { access: "other" }]));
const owner = (...args: unknown[]): Entry => ({ access: "owner", args });
const moduleOnly = (access: ModuleRole, ...args: unknown[]): Entry => ({ access, args });
const NOT_MODULE = "NotRiskModule";
/** A rebalancer route for WETH through the fixture's pool: 10 WETH a chunk, 2% slippage, an hour apart. */
const wethRoute = (f: GovFixture) => {
  return { pool: f.pool, maxChunk: wad("10"), maxSlippage: wad("0.02"), interval: 3600, twapWindow: 0 };
};
/** A collateral config: LTV 50%, threshold 60%, bonus 5%, cap 1000 tokens (18 decimals). */
const collateralConfig = (ltv = "0.5", lt = "0.6", bonus = "0.05", cap = wad("1000")) => {
  return { borrowLtv: wad(ltv), liquidationThreshold: wad(lt), liquidationBonus: wad(bonus), supplyCap: cap };
};

/** SecurityOps `performData` with nothing in it: `abi.encode(Work)`, every list empty. */
const noWork = (ops: SecurityOps): string => {
  const empty = { track: [], liquidations: [], flags: [], pokes: [], volatility: [], syncs: [], syncReserves: false };
  const workType = ops.interface.getFunction("findWork").outputs[0];
  return AbiCoder.defaultAbiCoder().encode([workType], [{ ...empty, rebalances: [], prune: [] }]);
};

function ownership(f: GovFixture, contract: BaseContract): Record<string, Entry> {
  const before = [call(contract, "transferOwnership", [f.a.timelock])];
  return {
    transferOwnership: owner(f.stranger.address),
    acceptOwnership: { access: "pendingOwner", args: [], before },
  };
}

/**
 * Every non-view function of the eight governed contracts, with its gate. A function added to a contract fails the
 * coverage test until it is added here. The risk modules' updates, syncs and rebalances are permissionless (a keeper
 * runs them; what they do is fixed by the owner's parameters and the market); the swap callback answers only the pool
 * being swapped in. SecurityOps' upkeep (check, perform, findWork, track, prune, sweep) is permissionless too
 * (`performUpkeep` re-validates every item; `sweep` pays only `proceedsRecipient`); its poke probe answers only itself.
 */
function surfaces(f: GovFixture): Surface[] {
  const { vault, engine, breaker, adapter } = f.market;
  const { volatility, riskManager, rebalancer } = f.risk;
  const { a } = f;
  const vaultTable = {
    ...others("approve", "transfer", "transferFrom", "deposit", "mint", "withdraw", "redeem", "withdrawOrQueue"),
    ...others("depositCollateral"),
    ...others(
      "withdrawCollateral",
      "borrow",
      "repay",
      "executeLiquidation",
      "writeOffBadDebt",
      "closeRemainder",
      "setProvision",
      "settleBackstopIncomeShare",
    ),
    setLiquidationEngine: owner(a.engine),
    linkBackstopAndShare: owner(a.backstop, wad("0.2")),
    setCircuitBreaker: owner(a.breaker, a.queue),
    listCollateral: owner(a.newToken, collateralConfig()),
    setCollateralConfig: owner(a.weth, collateralConfig()),
    setBorrowCap: owner(usd("1")),
    setReserveFactor: owner(wad("0.2")),
    setInterestRateModel: owner(a.rateModel),
    setPriceOracle: owner(a.adapter),
    withdrawReserves: owner(f.stranger.address, 1n),
    setRiskModules: owner(f.stranger.address, f.stranger.address),
    setRiskCaps: moduleOnly("riskManager", a.weth, wad("0.5"), wad("0.6")),
    setReserveBoost: moduleOnly("riskManager", wad("0.1")),
    releaseProtocolCollateral: moduleOnly("recovery", a.weth, 1n),
    settleRecovery: moduleOnly("recovery", a.weth, 0n, 0n),
    ...ownership(f, vault),
  };
  const engineTable = {
    ...others(
      "liquidate",
      "liquidateWithMinSeize",
      "flashLiquidate",
      "liquidateBatch",
      "batchStep",
      "flag",
      "unflag",
      "writeOff",
    ),
    setParams: owner(DEFAULT_ENGINE_PARAMS),
    ...ownership(f, engine),
  };
  const breakerTable = {
    ...others("poke", "onSupply", "onInflow", "onRepay", "beforeBorrow", "onOutflow", "onShareTransfer", "onBadDebt"),
    ...others("guardianTrip"),
    setGuardian: owner(f.stranger.address),
    setParams: owner(DEFAULT_BREAKER_PARAMS),
    setAssetParams: owner(a.usdc, DEFAULT_BASE_TRIGGERS),
    ...ownership(f, breaker),
  };
  const adapterTable = {
    ...others("poke", "pokeMany"),
    setAssetConfig: owner(a.weth, feedConfig(a.wethFeed, wad("3000"))),
    setTwapSource: owner(a.weth, f.pool, 1800, a.usdc),
    removeTwapSource: owner(a.weth),
    removeAsset: owner(a.wbtc),
    ...ownership(f, adapter),
  };
  const volatilityTable = {
    ...others("update", "updateMany"),
    setTracking: owner(a.weth, defaultTracking(wad("0.9"))),
    ...ownership(f, volatility),
  };
  const riskManagerTable = {
    ...others("sync", "syncMany", "syncReserves"),
    setParams: owner({ ...DEFAULT_RISK_PARAMS, horizon: 3600 }),
    setAssetRisk: owner(a.weth, defaultAssetRisk(wad("0.9"))),
    setReserveCheck: owner(a.weth, a.porFeed, 86_400, wad("0.01")),
    ...ownership(f, riskManager),
  };
  const rebalancerTable = {
    ...others("rebalance", "uniswapV3SwapCallback"),
    setRoute: owner(a.weth, wethRoute(f)),
    ...ownership(f, rebalancer),
  };
  const securityOpsTable = {
    ...others("checkUpkeep", "performUpkeep", "findWork", "track", "prune", "sweep", "probePoke"),
    // Well-formed arguments where zero ones revert without data (an undecodable `Work`, a token with no code).
    performUpkeep: { access: "other" as const, args: [noWork(f.securityOps)] },
    sweep: { access: "other" as const, args: [a.usdc] },
    setConfig: owner({ scanSize: 50, maxLiquidations: 3, pokeInterval: 3600, minDebt: 0n }),
    setLiquidationPool: owner(a.weth, f.pool),
    // The timelock's spare liquidator, offered to SecurityOps first in the same batch (it takes only one offered).
    setLiquidator: {
      access: "owner" as const,
      args: [a.spareLiquidator],
      before: [call(f.spareLiquidator, "transferOwnership", [a.securityOps])],
    },
    ...ownership(f, f.securityOps),
  };
  return [
    { name: "CollateralVault", contract: vault, table: vaultTable },
    { name: "LiquidationEngine", contract: engine, table: engineTable },
    { name: "CircuitBreaker", contract: breaker, table: breakerTable },
    { name: "OracleAdapter", contract: adapter, table: adapterTable },
    { name: "VolatilityOracle", contract: volatility, table: volatilityTable },
    { name: "RiskManager", contract: riskManager, table: riskManagerTable },
    { name: "Rebalancer", contract: rebalancer, table: rebalancerTable },
    { name: "SecurityOps", contract: f.securityOps, table: securityOpsTable },
  ];
}

/** Awaits `promise` reverting with `contract`'s custom `error` (with `args`, when given). */
async function reverts(promise: Promise<unknown>, contract: BaseContract, error: string, ...args: unknown[]) {
  const assertion = expect(promise).to.be.revertedWithCustomError(contract, error);
  await (args.length === 0 ? assertion : assertion.withArgs(...args));
}

/** The owner-gated rows of a surface (Ownable's owner or pending owner). */
function gated(s: Surface): Array<[string, Gated]> {
  return Object.entries(s.table).flatMap(([name, entry]): Array<[string, Gated]> => {
    if (entry.access !== "owner" && entry.access !== "pendingOwner") return [];
    if (entry.args === undefined) throw new Error(`${s.name}.${name}: a gated function needs example args`);
    return [[name, { ...entry, args: entry.args }]];
  });
}

/** The rows of a surface gated by a risk module of the vault. */
function moduleGated(s: Surface): Array<[string, Gated & { access: ModuleRole }]> {
  return Object.entries(s.table).flatMap(([name, entry]): Array<[string, Gated & { access: ModuleRole }]> => {
    if (entry.access !== "riskManager" && entry.access !== "recovery") return [];
    if (entry.args === undefined) throw new Error(`${s.name}.${name}: a gated function needs example args`);
    return [[name, { ...entry, access: entry.access, args: entry.args }]];
  });
}

/** What every user owns in the books: shares, collateral of each asset, scaled debt. */
async function userBooks(f: GovFixture): Promise<bigint[][]> {
  const { vault, lens } = f.market;
  const held = (u: HardhatEthersSigner) => [vault.collateralOf(u, f.weth), vault.collateralOf(u, f.wbtc)];
  const row = (u: HardhatEthersSigner) => Promise.all([vault.balanceOf(u), ...held(u), lens.scaledDebtOf(vault, u)]);
  return Promise.all([f.lender, f.lender2, f.borrower, f.stranger, f.guardian].map(row));
}

// ----------------------------------------------------------------------------------------------- tests

describe("Governance: roles and bounds under the timelock", function () {
  describe("the timelock", function () {
    it("has a 2-day minimum delay by default (configurable) and owns vault, engine, breaker, adapter, risk modules and SecurityOps", async function () {
      const f = await networkHelpers.loadFixture(governedFixture);
      expect(await f.timelock.getMinDelay()).to.equal(2n * DAY);
      const { volatility, riskManager, rebalancer } = f.risk;
      for (const c of [f.market.vault, f.market.engine, f.market.breaker, f.market.adapter]) {
        expect([await c.owner(), await c.pendingOwner()]).to.deep.equal([f.a.timelock, ZeroAddress]);
      }
      for (const c of [volatility, riskManager, rebalancer, f.securityOps]) {
        expect([await c.owner(), await c.pendingOwner()]).to.deep.equal([f.a.timelock, ZeroAddress]);
      }
      expect(await f.securityOps.proceedsRecipient()).to.equal(f.a.timelock);
      // SecurityOps owns its flash liquidator, nothing pending.
      expect(await f.securityOps.liquidator()).to.equal(await f.liquidator.getAddress());
      expect([await f.liquidator.owner(), await f.liquidator.pendingOwner()]).to.deep.equal([
        f.a.securityOps,
        ZeroAddress,
      ]);
      // Wired: the vault takes caps and the reserve boost from the risk manager, and sells through the rebalancer.
      expect(await f.market.lens.riskModules(f.market.vault)).to.deep.equal([f.a.riskManager, f.a.rebalancer, 0n]);
      expect(await f.market.breaker.guardian()).to.equal(f.guardian.address);
      const other = await deployChainlinkMarket(ethers, { owner: f.owner });
      const options = { minDelay: 3n * DAY, proposer: f.proposer, executor: f.executor };
      const { timelock } = await deployGovernance(ethers, other, options);
      expect(await timelock.getMinDelay()).to.equal(3n * DAY);
      expect(await other.adapter.owner()).to.equal(await timelock.getAddress());
    });

    it("an operation executed before its delay reverts with TimelockUnexpectedOperationState; after it, it runs", async function () {
      const { timelock, proposer, executor, market } = await networkHelpers.loadFixture(governedFixture);
      const op = call(market.vault, "setBorrowCap", [usd("123")]);
      const early = timelock.connect(proposer).schedule(op.target, 0n, op.data, ZeroHash, ZeroHash, 2n * DAY - 1n);
      await reverts(early, timelock, "TimelockInsufficientDelay", 2n * DAY - 1n, 2n * DAY);
      const batch = await scheduleBatch(timelock, proposer, [op]);
      const readyAt = await timelock.getTimestamp(batch.id);
      const READY = zeroPadValue(toBeHex(1 << 2), 32); // OperationState.Ready, as _encodeStateBitmap encodes it
      const execute = () => executeBatch(timelock, executor, batch);
      await reverts(execute(), timelock, "TimelockUnexpectedOperationState", batch.id, READY);
      await time.increaseTo(readyAt - 10n);
      await reverts(execute(), timelock, "TimelockUnexpectedOperationState", batch.id, READY);
      expect((await market.lens.parameters(market.vault)).borrowCap).to.not.equal(usd("123"));
      await time.increaseTo(readyAt);
      await expect(execute()).to.emit(market.vault, "BorrowCapSet").withArgs(usd("123"));
      // Done is final: the same operation cannot run twice.
      await reverts(execute(), timelock, "TimelockUnexpectedOperationState", batch.id, READY);
    });

    it("only the proposer schedules (and cancels), only the executor executes", async function () {
      const f = await networkHelpers.loadFixture(governedFixture);
      const { timelock, proposer, executor } = f;
      const roles = [timelock.PROPOSER_ROLE(), timelock.EXECUTOR_ROLE(), timelock.CANCELLER_ROLE()];
      const [PROPOSER, EXECUTOR, CANCELLER] = await Promise.all(roles);
      const denied = (p: Promise<unknown>, who: HardhatEthersSigner, role: string) =>
        reverts(p, timelock, "AccessControlUnauthorizedAccount", who.address, role);
      const op = call(f.market.vault, "setBorrowCap", [usd("7")]);
      for (const who of [f.owner, executor, f.guardian, f.lender, f.stranger]) {
        await denied(scheduleBatch(timelock, who, [op]), who, PROPOSER);
      }
      const batch = await scheduleBatch(timelock, proposer, [op]);
      await time.increase(2n * DAY);
      for (const who of [f.owner, proposer, f.guardian, f.lender, f.stranger]) {
        await denied(executeBatch(timelock, who, batch), who, EXECUTOR);
        if (who !== proposer) await denied(timelock.connect(who).cancel(batch.id), who, CANCELLER);
      }
      expect(await timelock.hasRole(EXECUTOR, ZeroAddress)).to.equal(false); // execution is not open to all
      await denied(timelock.connect(executor).cancel(batch.id), executor, CANCELLER);
      await expect(executeBatch(timelock, executor, batch)).to.emit(f.market.vault, "BorrowCapSet");
      const pending = await scheduleBatch(timelock, proposer, [op]);
      await expect(timelock.connect(proposer).cancel(pending.id)).to.emit(timelock, "Cancelled").withArgs(pending.id);
    });

    it("nobody holds DEFAULT_ADMIN_ROLE but the timelock itself; roles and delay change only through it", async function () {
      const f = await networkHelpers.loadFixture(governedFixture);
      const { timelock } = f;
      const roles = [timelock.DEFAULT_ADMIN_ROLE(), timelock.PROPOSER_ROLE(), timelock.EXECUTOR_ROLE()];
      const [ADMIN, PROPOSER, EXECUTOR, CANCELLER] = await Promise.all([...roles, timelock.CANCELLER_ROLE()]);
      const grant = (role: string, account: string) => `${role} to ${account}`;
      const events = await timelock.queryFilter(timelock.filters.RoleGranted());
      const [proposer, executor] = [f.proposer.address, f.executor.address];
      const expected = [grant(ADMIN, f.a.timelock), grant(PROPOSER, proposer), grant(CANCELLER, proposer)];
      expect(events.map((e) => grant(e.args.role, e.args.account))).to.have.members([
        ...expected,
        grant(EXECUTOR, executor),
      ]);
      expect(await timelock.queryFilter(timelock.filters.RoleRevoked())).to.have.length(0);
      expect(await timelock.hasRole(ADMIN, f.a.timelock)).to.equal(true);
      for (const who of await ethers.getSigners()) expect(await timelock.hasRole(ADMIN, who)).to.equal(false);
      for (const who of [f.owner, f.proposer, f.executor]) {
        const attempt = timelock.connect(who).grantRole(ADMIN, who.address);
        await reverts(attempt, timelock, "AccessControlUnauthorizedAccount", who.address, ADMIN);
        await reverts(timelock.connect(who).updateDelay(0n), timelock, "TimelockUnauthorizedCaller", who.address);
      }
      await (await viaTimelock(f, [call(timelock, "updateDelay", [3n * DAY])])).wait();
      expect(await timelock.getMinDelay()).to.equal(3n * DAY);
    });
  });

  describe("owner-only functions, found from the ABIs", function () {
    it("the table covers every non-view function, and its gates match what a stranger's call shows", async function () {
      const f = await networkHelpers.loadFixture(governedFixture);
      for (const s of surfaces(f)) {
        const fragments = mutatingFunctions(s.contract);
        const names = fragments.map((fn) => fn.name);
        expect(new Set(names).size, `${s.name}: overloaded names`).to.equal(names.length);
        const covered = Object.keys(s.table).sort();
        expect([...names].sort(), `${s.name}: add new functions to the table`).to.deep.equal(covered);
        for (const fn of fragments) {
          const entry = s.table[fn.name];
          const error = await revertName(s.contract, f.stranger, fn.format(), entry.args ?? zeroArgs(fn));
          const byOwner = entry.access === "owner" || entry.access === "pendingOwner";
          const byModule = entry.access === "riskManager" || entry.access === "recovery";
          expect(error === UNAUTHORIZED, `${s.name}.${fn.name} gated by Ownable?`).to.equal(byOwner);
          expect(error === NOT_MODULE, `${s.name}.${fn.name} gated by a risk module?`).to.equal(byModule);
        }
      }
      // Vault 13, engine 3, breaker 5, adapter 6, volatility oracle 3, risk manager 5, rebalancer 3, SecurityOps 5 (2 of
      // each for ownership; renounceOwnership is a reverting view).
      expect(surfaces(f).map((s) => gated(s).length)).to.deep.equal([13, 3, 5, 6, 3, 5, 3, 5]);
      // The vault's risk manager sets caps and the reserve boost; its recovery module takes and returns collateral.
      const roles = surfaces(f).map((s) => moduleGated(s).map(([name, e]) => `${e.access}.${name}`));
      expect(roles).to.deep.equal([
        [
          "riskManager.setRiskCaps",
          "riskManager.setReserveBoost",
          "recovery.releaseProtocolCollateral",
          "recovery.settleRecovery",
        ],
        [],
        [],
        [],
        [],
        [],
        [],
        [],
      ]);
    });

    it("the vault's risk-module functions answer to their module alone: never the timelock, nobody while unset", async function () {
      const f = await networkHelpers.loadFixture(governedFixture);
      const { vault, lens } = f.market;
      const rows = moduleGated(surfaces(f)[0]);
      const outsiders = [f.owner, f.guardian, f.proposer, f.executor, f.lender, f.borrower, f.stranger];
      const refused = async (who: HardhatEthersSigner, name: string, args: readonly unknown[]) =>
        reverts(vault.connect(who).getFunction(name)(...args), vault, NOT_MODULE, who.address);
      // Wired to the deployed risk manager and rebalancer: every signer is refused, the timelock too.
      expect(await lens.riskModules(vault)).to.deep.equal([f.a.riskManager, f.a.rebalancer, 0n]);
      for (const [name, { args }] of rows) {
        for (const who of outsiders) await refused(who, name, args);
        await reverts(viaTimelock(f, [call(vault, name, args)]), vault, NOT_MODULE, f.a.timelock);
      }
      // Unset (the zero address): still every caller is refused, the timelock too.
      await (await viaTimelock(f, [call(vault, "setRiskModules", [ZeroAddress, ZeroAddress])])).wait();
      expect(await lens.riskModules(vault)).to.deep.equal([ZeroAddress, ZeroAddress, 0n]);
      for (const [name, { args }] of rows) {
        for (const who of outsiders) await refused(who, name, args);
        await reverts(viaTimelock(f, [call(vault, name, args)]), vault, NOT_MODULE, f.a.timelock);
      }
      // Only governance sets them (setRiskModules is in the owner-gated table); then each answers to its own module.
      const [, , , , , , , , riskManager, recovery] = await ethers.getSigners();
      const setModules = call(vault, "setRiskModules", [riskManager.address, recovery.address]);
      await expect(viaTimelock(f, [setModules]))
        .to.emit(vault, "RiskModulesSet")
        .withArgs(riskManager.address, recovery.address);
      const module = { riskManager, recovery };
      for (const [name, { access, args }] of rows) {
        const wrongModule = access === "riskManager" ? recovery : riskManager;
        for (const who of [...outsiders, wrongModule]) await refused(who, name, args);
        await reverts(viaTimelock(f, [call(vault, name, args)]), vault, NOT_MODULE, f.a.timelock);
        // Past the gate: what the function itself says.
        expect(await revertName(vault, module[access], name, args), name).to.be.oneOf([
          null,
          "InsufficientProtocolCollateral", // releaseProtocolCollateral: the protocol holds no WETH here
        ]);
      }
      const manager = vault.connect(riskManager);
      await expect(manager.setRiskCaps(f.weth, wad("0.5"), wad("0.6"))).to.emit(vault, "RiskRampStarted");
      await expect(manager.setReserveBoost(wad("0.1")))
        .to.emit(vault, "ReserveBoostSet")
        .withArgs(wad("0.1"));
      // Nothing was written off, so nothing is owed to lenders: 1 unit of proceeds all goes to reserves.
      expect(await lens.unrecoveredLoss(vault)).to.equal(0n);
      await f.market.usdc.connect(recovery).approve(vault, 1n);
      await f.market.usdc.mint(recovery.address, 1n);
      await expect(vault.connect(recovery).settleRecovery(f.weth, 0n, 1n))
        .to.emit(vault, "RecoverySettled")
        .withArgs(f.a.weth, 0n, 1n, 0n);
      await reverts(
        vault.connect(recovery).releaseProtocolCollateral(f.weth, 1n),
        vault,
        "InsufficientProtocolCollateral",
        f.a.weth,
        0n,
        1n,
      );
      // Unset again by governance: the former modules are refused.
      await (await viaTimelock(f, [call(vault, "setRiskModules", [ZeroAddress, ZeroAddress])])).wait();
      for (const [name, { access, args }] of rows) await refused(module[access], name, args);
    });

    it("the risk modules' updates, syncs and rebalances are permissionless: a stranger runs them, or fails for reasons of their own", async function () {
      const f = await networkHelpers.loadFixture(governedFixture);
      const { volatility, riskManager, rebalancer } = f.risk;
      const assets = [f.a.weth, f.a.wbtc];
      /** [contract, function, arguments, what a stranger's call says (null: it runs)]. */
      const calls: Array<[BaseContract, string, unknown[], string | null]> = [
        [volatility, "update", [f.a.weth], null],
        [volatility, "updateMany", [assets], null],
        [riskManager, "sync", [f.a.weth], null],
        [riskManager, "syncMany", [assets], null],
        [riskManager, "syncReserves", [], null],
        [rebalancer, "rebalance", [f.a.weth], "NoRoute"], // governance has set no route
        [rebalancer, "uniswapV3SwapCallback", [1n, 0n, "0x"], "UnexpectedCaller"], // only the pool mid-swap
      ];
      const open = surfaces(f)
        .slice(4, 7)
        .flatMap((s) => Object.entries(s.table).flatMap(([name, e]) => (e.access === "other" ? [name] : [])));
      expect(open).to.deep.equal(calls.map(([, name]) => name));
      for (const [contract, name, args, expected] of calls) {
        for (const who of [f.stranger, f.lender, f.guardian]) {
          expect(await revertName(contract, who, name, args), `${name} by ${who.address}`).to.equal(expected);
        }
      }
      // And they really run: a sample, a sync that reaches the vault (the ramp restarts at the caps), the boost.
      await expect(volatility.connect(f.stranger).update(f.weth)).to.emit(volatility, "VolatilityUpdated");
      const sync = riskManager.connect(f.stranger).sync(f.weth);
      await expect(sync).to.emit(riskManager, "CapsSynced");
      await expect(sync).to.emit(f.market.vault, "RiskRampStarted");
      await expect(riskManager.connect(f.stranger).syncReserves()).to.emit(riskManager, "ReserveBoostSynced");
      // With a route, a stranger's rebalance fails only for want of protocol-owned collateral to sell.
      await (await viaTimelock(f, [call(rebalancer, "setRoute", [f.a.weth, wethRoute(f)])])).wait();
      expect(await revertName(rebalancer, f.stranger, "rebalance", [f.a.weth])).to.equal("NothingToSell");
    });

    it("SecurityOps' upkeep is permissionless (a stranger runs it, or fails for reasons of its own); its poke probe answers only itself", async function () {
      const f = await networkHelpers.loadFixture(governedFixture);
      const ops = f.securityOps;
      const nothing = noWork(ops);
      /** [function, arguments, what a stranger's call says (null: it runs)]. */
      const calls: Array<[string, unknown[], string | null]> = [
        ["checkUpkeep", ["0x"], null],
        ["performUpkeep", [nothing], "NothingToPerform"], // empty work: nothing is due
        ["findWork", ["0x"], null],
        ["track", [[f.borrower.address]], null],
        ["prune", [f.stranger.address], null],
        ["sweep", [f.a.usdc], null],
        ["probePoke", [f.a.usdc], "OnlySelf"], // only the contract itself, from its check and perform
      ];
      const open = Object.entries(surfaces(f)[7].table).flatMap(([name, e]) => (e.access === "other" ? [name] : []));
      expect(open).to.deep.equal(calls.map(([name]) => name));
      for (const [name, args, expected] of calls) {
        for (const who of [f.stranger, f.lender, f.guardian]) {
          expect(await revertName(ops, who, name, args), `${name} by ${who.address}`).to.equal(expected);
        }
      }
      for (const who of [f.stranger, f.owner, f.executor]) {
        await reverts(ops.connect(who).probePoke(f.a.usdc), ops, "OnlySelf", who.address);
      }
      await reverts(viaTimelock(f, [call(ops, "probePoke", [f.a.usdc])]), ops, "OnlySelf", f.a.timelock);
      // checkLog (a view) reads a vault Borrowed log for anyone: the borrower, with debt and unregistered, is due.
      const borrowed = (await f.market.vault.queryFilter(f.market.vault.filters.Borrowed()))[0];
      const log = {
        ...{ index: 0n, timestamp: 0n, txHash: ZeroHash, blockNumber: 0n, blockHash: ZeroHash },
        ...{ source: f.a.vault, topics: [...borrowed.topics], data: borrowed.data },
      };
      expect((await ops.connect(f.stranger).checkLog(log, "0x")).upkeepNeeded).to.equal(true);
      // And they really run: the borrower enters the registry; proceeds go to the timelock only.
      await expect(ops.connect(f.stranger).track([f.borrower]))
        .to.emit(ops, "AccountTracked")
        .withArgs(f.borrower.address);
      expect((await ops.connect(f.stranger).checkLog(log, "0x")).upkeepNeeded).to.equal(false);
      await f.market.usdc.mint(await ops.liquidator(), 7n);
      const sweep = ops.connect(f.stranger).sweep(f.market.usdc);
      await expect(sweep).to.changeTokenBalances(ethers, f.market.usdc, [f.stranger, f.timelock], [0n, 7n]);
    });

    it("each reverts for the old owner, the guardian, the proposer, the executor and a stranger, and runs through the timelock", async function () {
      const f = await networkHelpers.loadFixture(governedFixture);
      for (const s of surfaces(f)) {
        const target = await s.contract.getAddress();
        for (const [name, entry] of gated(s)) {
          for (const who of [f.owner, f.guardian, f.proposer, f.executor, f.stranger]) {
            const attempt = s.contract.connect(who).getFunction(name)(...entry.args);
            await reverts(attempt, s.contract, UNAUTHORIZED, who.address);
          }
          const snapshot = await networkHelpers.takeSnapshot();
          const tx = await viaTimelock(f, [...(entry.before ?? []), call(s.contract, name, entry.args)]);
          const ran = (await tx.wait())?.logs.some((log) => log.address === target);
          expect(ran, `${s.name}.${name} ran through the timelock`).to.equal(true);
          await snapshot.restore();
        }
      }
    });
  });

  describe("bounds hold against the timelock", function () {
    const [OOB, P] = ["OutOfBounds", "ParameterOutOfBounds"];
    const cfg = (f: GovFixture, lt: string, bonus: string) => [f.a.weth, collateralConfig("0.5", lt, bonus)];
    const feed = (f: GovFixture, patch: object) => [f.a.weth, { ...feedConfig(f.a.wethFeed, wad("3000")), ...patch }];
    const engine = (patch: object) => [{ ...DEFAULT_ENGINE_PARAMS, ...patch }];
    const breaker = (patch: object) => [{ ...DEFAULT_BREAKER_PARAMS, ...patch }];
    const triggers = (f: GovFixture, patch: object) => [f.a.usdc, { ...DEFAULT_BASE_TRIGGERS, ...patch }];
    const tracking = (f: GovFixture, patch: object) => [f.a.weth, { ...defaultTracking(wad("0.8")), ...patch }];
    const riskParams = (patch: object) => [{ ...DEFAULT_RISK_PARAMS, ...patch }];
    const assetRisk = (f: GovFixture, patch: object) => [f.a.weth, { ...defaultAssetRisk(wad("0.8")), ...patch }];
    const route = (f: GovFixture, patch: object) => [f.a.weth, { ...wethRoute(f), ...patch }];
    const opsConfig = (patch: object) => [{ ...DEFAULT_SECURITY_OPS_CONFIG, ...patch }];
    const [MAX_SCAN, MAX_LIQUIDATIONS, MIN_POKE, MAX_POKE] = [200n, 8n, 300n, DAY]; // SecurityOps' hard-coded bounds
    const b32 = (n: string) => encodeBytes32String(n);
    /** [what, surface index, function, arguments, error, the error's arguments (when checked)]. */
    const CASES: Array<[string, number, string, (f: GovFixture) => unknown[], string, unknown[]?]> = [
      ["LT 0.96", 0, "setCollateralConfig", (f) => cfg(f, "0.96", "0.01"), "ThresholdOutOfBounds"],
      ["LT 0", 0, "setCollateralConfig", (f) => cfg(f, "0", "0"), "ThresholdOutOfBounds"],
      ["bonus 0.21", 0, "setCollateralConfig", (f) => cfg(f, "0.6", "0.21"), "BonusTooHigh"],
      ["LT 0.9, bonus 0.12", 0, "setCollateralConfig", (f) => cfg(f, "0.9", "0.12"), "NoLiquidationBuffer"],
      ["factor 0.51", 0, "setReserveFactor", () => [wad("0.51")], "ReserveFactorTooHigh"],
      [
        "backstop income share 0.51",
        0,
        "linkBackstopAndShare",
        (f) => [f.a.backstop, wad("0.51")],
        "IncomeShareTooHigh",
      ],
      [
        "heartbeat 2 d 1 s",
        3,
        "setAssetConfig",
        (f) => feed(f, { primaryHeartbeat: 2n * DAY + 1n }),
        "Heartbeat" + OOB,
      ],
      ["deviation 0.51", 3, "setAssetConfig", (f) => feed(f, { maxDeviation: wad("0.51") }), "DeviationOutOfBounds"],
      ["jump 0.95", 3, "setAssetConfig", (f) => feed(f, { maxJump: wad("0.95") }), "JumpOutOfBounds"],
      ["TWAP window 60 s", 3, "setTwapSource", (f) => [f.a.weth, f.pool, 60, f.a.usdc], "TwapWindowOutOfBounds"],
      ["targetHealth 1.6", 1, "setParams", () => engine({ targetHealth: wad("1.6") }), P],
      ["protocolFeeShare 0.6", 1, "setParams", () => engine({ protocolFeeShare: wad("0.6") }), P],
      ["timeRamp 0", 1, "setParams", () => engine({ timeRamp: 0n }), P],
      ["dustValue 10001", 1, "setParams", () => engine({ dustValue: wad("10001") }), P],
      ["cooldown 2 d", 2, "setParams", () => breaker({ cooldown: 2n * DAY }), P],
      ["guardianCooldown 8 d", 2, "setParams", () => breaker({ guardianCooldown: 8n * DAY }), P],
      ["claimDelay 4 d", 2, "setParams", () => breaker({ claimDelay: 4n * DAY }), P],
      ["outflowShare 0", 2, "setAssetParams", (f) => triggers(f, { outflowShare: 0n }), P],
      ["maxFall 0.95", 2, "setAssetParams", (f) => triggers(f, { maxFall: wad("0.95") }), P],
      [
        "minInterval 59 s",
        4,
        "setTracking",
        (f) => tracking(f, { minInterval: 59 }),
        P,
        [b32("minInterval"), 59n, 60n, DAY],
      ],
      [
        "alpha 0.51",
        4,
        "setTracking",
        (f) => tracking(f, { alpha: wad("0.51") }),
        P,
        [b32("alpha"), wad("0.51"), wad("0.01"), wad("0.5")],
      ],
      [
        "seedVolatility 1000% + 1 wei",
        4,
        "setTracking",
        (f) => tracking(f, { seedVolatility: wad("10") + 1n }),
        P,
        [b32("seedVolatility"), wad("10") + 1n, 0n, wad("10")],
      ],
      [
        "horizon 59 min",
        5,
        "setParams",
        () => riskParams({ horizon: 3540 }),
        P,
        [b32("horizon"), 3540n, 3600n, 7n * DAY],
      ],
      ["reserveBoost 0.26", 5, "setParams", () => riskParams({ reserveBoost: wad("0.26") }), P],
      [
        "ltvK 5.01",
        5,
        "setAssetRisk",
        (f) => assetRisk(f, { ltvK: wad("5.01") }),
        P,
        [b32("ltvK"), wad("5.01"), 0n, wad("5")],
      ],
      ["maxThresholdCut 0.26", 5, "setAssetRisk", (f) => assetRisk(f, { maxThresholdCut: wad("0.26") }), P],
      [
        "reserve heartbeat 7 d 1 s",
        5,
        "setReserveCheck",
        (f) => [f.a.weth, f.a.porFeed, 7n * DAY + 1n, 0n],
        P,
        [b32("heartbeat"), 7n * DAY + 1n, 1n, 7n * DAY],
      ],
      ["reserve tolerance 0.11", 5, "setReserveCheck", (f) => [f.a.weth, f.a.porFeed, DAY, wad("0.11")], P],
      [
        "maxSlippage 0.06",
        6,
        "setRoute",
        (f) => route(f, { maxSlippage: wad("0.06") }),
        P,
        [b32("maxSlippage"), wad("0.06"), 0n, wad("0.05")],
      ],
      ["interval 59 s", 6, "setRoute", (f) => route(f, { interval: 59 }), P, [b32("interval"), 59n, 60n, DAY]],
      ["maxChunk 0", 6, "setRoute", (f) => route(f, { maxChunk: 0n }), P, [b32("maxChunk"), 0n, 1n, 2n ** 128n - 1n]],
      ["scanSize 0", 7, "setConfig", () => opsConfig({ scanSize: 0 }), P, [b32("scanSize"), 0n, 1n, MAX_SCAN]],
      [
        "scanSize MAX_SCAN + 1",
        7,
        "setConfig",
        () => opsConfig({ scanSize: MAX_SCAN + 1n }),
        P,
        [b32("scanSize"), MAX_SCAN + 1n, 1n, MAX_SCAN],
      ],
      [
        "maxLiquidations 0",
        7,
        "setConfig",
        () => opsConfig({ maxLiquidations: 0 }),
        P,
        [b32("maxLiquidations"), 0n, 1n, MAX_LIQUIDATIONS],
      ],
      [
        "maxLiquidations MAX_LIQUIDATIONS + 1",
        7,
        "setConfig",
        () => opsConfig({ maxLiquidations: MAX_LIQUIDATIONS + 1n }),
        P,
        [b32("maxLiquidations"), MAX_LIQUIDATIONS + 1n, 1n, MAX_LIQUIDATIONS],
      ],
      [
        "pokeInterval MIN_POKE_INTERVAL - 1",
        7,
        "setConfig",
        () => opsConfig({ pokeInterval: MIN_POKE - 1n }),
        P,
        [b32("pokeInterval"), MIN_POKE - 1n, MIN_POKE, MAX_POKE],
      ],
      [
        "pokeInterval MAX_POKE_INTERVAL + 1",
        7,
        "setConfig",
        () => opsConfig({ pokeInterval: MAX_POKE + 1n }),
        P,
        [b32("pokeInterval"), MAX_POKE + 1n, MIN_POKE, MAX_POKE],
      ],
    ];
    /** Everything the bounded setters write, read back. */
    async function governed(f: GovFixture): Promise<string> {
      const { vault, lens, engine: e, breaker: b, adapter: o } = f.market;
      const { volatility: v, riskManager: r, rebalancer: rb } = f.risk;
      const reads = [
        lens.parameters(vault),
        lens.collateralInfo(vault, f.weth),
        e.params(),
        b.params(),
        b.assetParams(f.a.usdc),
      ];
      const riskReads = [v.config(f.weth), r.params(), r.assetRisk(f.weth), r.reserveCheck(f.weth), rb.route(f.weth)];
      const opsReads = [f.securityOps.config()];
      const all = await Promise.all([...reads, o.assetConfig(f.weth), o.twapSource(f.weth), ...riskReads, ...opsReads]);
      return JSON.stringify(all, (_, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
    }
    for (const [what, index, fn, args, error, errorArgs = []] of CASES) {
      it(`${fn}: ${what} reverts with ${error} even when the timelock executes it, changing nothing`, async function () {
        const f = await networkHelpers.loadFixture(governedFixture);
        const { contract } = surfaces(f)[index];
        const before = await governed(f);
        const data = contract.interface.encodeFunctionData(fn, args(f));
        await reverts(
          timelockCall(f.timelock, f.proposer, contract, data, networkHelpers, f.executor),
          contract,
          error,
          ...errorArgs,
        );
        expect(await governed(f)).to.equal(before);
      });
    }
  });

  describe("the guardian", function () {
    it("can call guardianTrip; every other gated breaker function reverts for it", async function () {
      const f = await networkHelpers.loadFixture(governedFixture);
      const { breaker } = f.market;
      await expect(breaker.connect(f.guardian).guardianTrip(f.a.usdc, BORROW)).to.emit(breaker, "BreakerUpdated");
      expect((await breaker.actionMask(f.a.usdc)) & BigInt(BORROW)).to.equal(BigInt(BORROW));
      const all = surfaces(f);
      for (const fn of mutatingFunctions(breaker)) {
        if (fn.name === "guardianTrip" || fn.name === "poke") continue; // poke: permissionless, it only re-reads
        const args = all[2].table[fn.name].args ?? zeroArgs(fn);
        const error = await revertName(breaker, f.guardian, fn.format(), args);
        expect(error, fn.name).to.be.oneOf(["NotVault", UNAUTHORIZED]);
      }
      // Every owner-only function of every contract reverts for it too: see "each reverts for ... the guardian".
    });

    it("cannot lift its trip early: a poke before guardianCooldown leaves it, one after clears it", async function () {
      const f = await networkHelpers.loadFixture(governedFixture);
      const { breaker, vault } = f.market;
      await breaker.connect(f.guardian).guardianTrip(f.a.usdc, BORROW);
      const until = (await breaker.entry(f.a.usdc)).guardianUntil;
      expect(until).to.equal(BigInt(await time.latest()) + BigInt(DEFAULT_BREAKER_PARAMS.guardianCooldown));
      await time.increaseTo(until - 60n);
      await f.market.heartbeat();
      for (const who of [f.guardian, f.stranger]) await breaker.connect(who).poke(f.a.usdc);
      expect((await breaker.actionMask(f.a.usdc)) & BigInt(BORROW)).to.equal(BigInt(BORROW));
      const borrow = () => vault.connect(f.borrower).borrow(usd("1000"), f.borrower);
      await reverts(borrow(), breaker, "ActionPaused");
      await time.increaseTo(until);
      await f.market.heartbeat();
      await breaker.connect(f.stranger).poke(f.a.usdc);
      expect(await breaker.actionMask(f.a.usdc)).to.equal(0n);
      await expect(borrow()).to.emit(vault, "Borrowed");
    });

    it("cannot stop liquidations, repayments or collateral deposits (InvalidActionMask), even with all else stopped", async function () {
      const f = await networkHelpers.loadFixture(governedFixture);
      const { breaker, vault } = f.market;
      const assets = [ZeroAddress, f.a.usdc, f.a.weth];
      for (const mask of [LIQUIDATE, DEPOSIT_COLLATERAL, 0, GUARDIAN_ACTIONS | LIQUIDATE, 0xff]) {
        for (const asset of assets) {
          await reverts(breaker.connect(f.guardian).guardianTrip(asset, mask), breaker, "InvalidActionMask", mask);
        }
      }
      for (const asset of assets) await breaker.connect(f.guardian).guardianTrip(asset, GUARDIAN_ACTIONS);
      for (const asset of assets) {
        expect((await breaker.actionMask(asset)) & BigInt(LIQUIDATE | DEPOSIT_COLLATERAL)).to.equal(0n);
      }
      await breaker.checkLiquidation(f.weth); // does not revert
      await expect(vault.connect(f.borrower).repay(usd("1000"), f.borrower)).to.emit(vault, "Repaid");
      const deposit = vault.connect(f.borrower).depositCollateral(f.weth, wad("1"), f.borrower);
      await expect(deposit).to.emit(vault, "CollateralDeposited");
    });

    it("cannot move funds: with all it may stop stopped, it takes nothing and a withdrawal is queued to its owner", async function () {
      const f = await networkHelpers.loadFixture(governedFixture);
      const { breaker, vault, usdc, queue } = f.market;
      const g = f.guardian;
      await breaker.connect(g).guardianTrip(ZeroAddress, GUARDIAN_ACTIONS);
      const wallet = async () => [await usdc.balanceOf(g), await f.weth.balanceOf(g), await vault.balanceOf(g)];
      const [mine, books] = [await wallet(), await userBooks(f)];
      const v = vault.connect(g);
      const ALLOWANCE = "ERC20InsufficientAllowance";
      await reverts(v.withdraw(usd("1"), g, f.lender), vault, ALLOWANCE);
      await reverts(v.withdrawOrQueue(usd("1"), g, f.lender), vault, ALLOWANCE);
      await reverts(v.redeem(await vault.balanceOf(f.lender2), g, f.lender2), vault, ALLOWANCE);
      await reverts(v.transferFrom(f.lender, g, 1n), vault, ALLOWANCE);
      await reverts(v.withdrawCollateral(f.weth, 1n, g), vault, "InsufficientCollateral");
      await reverts(v.withdrawReserves(g, 1n), vault, UNAUTHORIZED);
      await reverts(queue.connect(g).enqueue(g, usdc, 1n, 0n), queue, "NotVault");
      await expect(vault.connect(f.lender).withdrawOrQueue(usd("1000"), f.lender, f.lender))
        .to.emit(vault, "WithdrawalQueued")
        .withArgs(0n, f.lender.address, f.a.usdc, usd("1000"), (readyAt: bigint) => readyAt > 0n);
      expect((await queue.claimOf(0n)).beneficiary).to.equal(f.lender.address);
      expect(await wallet()).to.deep.equal(mine);
      expect((await userBooks(f)).slice(1)).to.deep.equal(books.slice(1)); // all but the lender who withdrew
    });
  });

  describe("no address can sweep user funds", function () {
    it("the most hostile valid admin calls leave every user's shares, collateral and scaled debt as they were", async function () {
      const f = await networkHelpers.loadFixture(governedFixture);
      const { vault, lens, engine, breaker, adapter } = f.market;
      const { volatility, riskManager, rebalancer } = f.risk;
      const { a, stranger: s } = f;
      const at = (c: BaseContract) => c.getAddress();
      const deploy = (name: string, args: unknown[]) => ethers.deployContract(name, args, s).then(at);
      const zeroModel = await deploy("KinkedRateModel", [0n, 0n, 0n, wad("0.5")]);
      const evilOracle = await ethers.deployContract("MockPriceOracle", [], s);
      await evilOracle.setPrice(a.usdc, wad("1"));
      await evilOracle.setPrice(a.weth, wad("3000"));
      const evilFeed = await ethers.deployContract("TestAggregator", [8, "EVIL"], s);
      await evilFeed.push(1n);
      const evilBreaker = await deploy("CircuitBreaker", [a.vault, DEFAULT_BREAKER_PARAMS, DEFAULT_BASE_TRIGGERS, s]);
      const evilQueue = await deploy("WithdrawalQueue", [a.vault]);
      const [cap, W] = [2n ** 128n - 1n, wad("1")];
      // Every parameter at the edge of its bound, in the direction that hurts users most.
      const engineParams = [wad("1.5"), W, W, wad("0.01"), wad("0.5"), W, 60n, wad("10000")]; // struct order
      const breakerParams = [DAY, 7n * DAY, 3n * DAY, 3600n, wad("0.1"), wad("0.0001")];
      const triggers = [wad("0.01"), 7n * DAY, wad("0.02"), 7n * DAY];
      const wideOpen = { primaryHeartbeat: 2n * DAY, minPrice: 1n, maxPrice: cap, maxDeviation: wad("0.5") };
      const evilConfig = { ...feedConfig(await at(evilFeed), W), ...wideOpen, maxJump: 0n, jumpWindow: 0n };
      // The threshold to 1 wei and the bonus to 20%: the bonus can only follow once the threshold has ramped down.
      const lowestThreshold = { ...collateralConfig("0", "0", "0.05", 0n), liquidationThreshold: 1n };
      const highestBonus = { ...lowestThreshold, liquidationBonus: wad("0.2") };
      // The risk modules at their edges: the jumpiest volatility tracking (an asset already tracked keeps its estimate,
      // so the highest seed does not apply); the deepest cuts at any volatility, over the longest horizon, and a
      // reserve check that always reads short (the evil feed's 1 unit); the highest reserve target and boost; a route
      // that sells without limit, as often and as far below the oracle as allowed.
      const jumpiest = { minInterval: 60, alpha: wad("0.5"), seedVolatility: wad("10") };
      const deepest = { referenceVolatility: 0n, ltvK: wad("5"), thresholdK: wad("5") };
      const deepestCuts = { ...deepest, maxLtvCut: wad("0.5"), maxThresholdCut: wad("0.25") };
      const hungriest = { horizon: 7n * DAY, reserveTarget: wad("0.2"), reserveBoost: wad("0.25") };
      const fastestRoute = { ...wethRoute(f), maxChunk: cap, maxSlippage: wad("0.05"), interval: 60 };
      const hostile: TimelockCall[] = [
        call(vault, "setInterestRateModel", [zeroModel]), // lenders earn nothing from now on
        call(vault, "setReserveFactor", [wad("0.5")]),
        call(vault, "setBorrowCap", [0n]),
        call(vault, "setCollateralConfig", [a.weth, lowestThreshold]),
        call(vault, "listCollateral", [a.newToken, collateralConfig("0.95", "0.95", "0.05", cap)]),
        // Known governance powers (see below): a new oracle, engine or breaker is trusted code.
        call(vault, "setPriceOracle", [await at(evilOracle)]),
        call(vault, "setLiquidationEngine", [s.address]),
        call(vault, "setRiskModules", [s.address, s.address]), // the stranger as risk manager and recovery module
        call(vault, "setCircuitBreaker", [evilBreaker, evilQueue]),
        call(vault, "transferOwnership", [s.address]),
        call(engine, "setParams", [engineParams]),
        call(breaker, "setGuardian", [s.address]),
        call(breaker, "setParams", [breakerParams]),
        call(breaker, "setAssetParams", [a.usdc, triggers]),
        call(adapter, "setAssetConfig", [a.weth, evilConfig]),
        call(adapter, "removeAsset", [a.wbtc]),
        call(volatility, "setTracking", [a.weth, jumpiest]),
        call(riskManager, "setParams", [hungriest]),
        call(riskManager, "setAssetRisk", [a.weth, deepestCuts]),
        call(riskManager, "setReserveCheck", [a.weth, await at(evilFeed), 1n, 0n]),
        call(rebalancer, "setRoute", [a.weth, fastestRoute]),
      ];
      const books = await userBooks(f);
      // The bonus raise is scheduled with the rest, to run as soon as the timelock lets it: an hour after them.
      const hostileBatch = await scheduleBatch(f.timelock, f.proposer, hostile);
      const raise = await scheduleBatch(f.timelock, f.proposer, [
        call(vault, "setCollateralConfig", [a.weth, highestBonus]),
      ]);
      await time.increase(2n * DAY);
      const start = BigInt(
        (await (await executeBatch(f.timelock, f.executor, hostileBatch)).getBlock())?.timestamp ?? 0,
      );
      expect(await userBooks(f)).to.deep.equal(books);
      expect((await engine.params()).dustValue).to.equal(wad("10000")); // the edge values did apply
      expect([
        (await riskManager.assetRisk(f.weth)).maxThresholdCut,
        (await rebalancer.route(f.weth)).maxChunk,
      ]).to.deep.equal([wad("0.25"), cap]);
      // The risk modules at their edges move no user funds either: the rebalancer sells only protocol-owned collateral
      // (none here), and the risk manager, no longer the vault's, cannot even set a cap.
      await reverts(rebalancer.connect(s).rebalance(f.weth), rebalancer, "NothingToSell", a.weth);
      await reverts(riskManager.connect(s).sync(f.weth), vault, NOT_MODULE, a.riskManager);
      expect(await userBooks(f)).to.deep.equal(books);
      // The LTV cut applies at once; the threshold ramps down from 85% at 1 point an hour: nobody is liquidatable yet.
      expect(await vault.riskParams(f.weth)).to.deep.equal([0n, wad("0.85")]);
      expect(await vault.isLiquidatable(f.borrower)).to.equal(false);
      // INV-17 holds along the ramp: mid-ramp (84% an hour later), a 20% bonus would leave no liquidation buffer.
      await time.setNextBlockTimestamp(start + 3600n);
      const early = executeBatch(f.timelock, f.executor, raise);
      await reverts(early, vault, "NoLiquidationBuffer", wad("0.84"), wad("0.2"));
      // The risk manager's worst: the deepest caps it may set, the highest reserve boost, and asking for collateral the
      // protocol does not own.
      const manager = vault.connect(s);
      await manager.setRiskCaps(f.weth, 0n, 1n); // the floor: half of a 1-wei threshold, rounded up
      await manager.setReserveBoost(await lens.MAX_RESERVE_BOOST());
      await reverts(
        manager.releaseProtocolCollateral(f.weth, 1n),
        vault,
        "InsufficientProtocolCollateral",
        a.weth,
        0n,
        1n,
      );
      // The ramp has run its course (85 points at 1 an hour; the caps' restart kept its pace): the threshold is 1 wei,
      // and the same scheduled raise now goes through.
      await time.increaseTo(start + 86n * 3600n);
      expect(await vault.riskParams(f.weth)).to.deep.equal([0n, 1n]);
      await expect(executeBatch(f.timelock, f.executor, raise)).to.emit(vault, "CollateralConfigUpdated");
      expect((await lens.collateralInfo(vault, f.weth)).config.liquidationBonus).to.equal(wad("0.2"));
      expect(await userBooks(f)).to.deep.equal(books);
      // Concern, documented: governance can still lower a threshold until the borrower is liquidatable, but only
      // along the ramp, which leaves hours to repay or top up.
      expect(await vault.isLiquidatable(f.borrower)).to.equal(true);
    });

    it("withdrawReserves takes at most the free reserves: lenders' claims and the books stay whole", async function () {
      const f = await networkHelpers.loadFixture(governedFixture);
      const { vault, lens, usdc } = f.market;
      const zeroModel = await ethers.deployContract("KinkedRateModel", [0n, 0n, 0n, wad("0.5")]);
      await (await viaTimelock(f, [call(vault, "setInterestRateModel", [await zeroModel.getAddress()])])).wait();
      const [reserves, provisions, cash] = [
        await vault.reserves(),
        await lens.totalProvision(vault),
        await vault.cash(),
      ];
      const free = reserves - provisions < cash ? reserves - provisions : cash;
      expect(free).to.be.greaterThan(0n);
      const claimOf = async (u: HardhatEthersSigner) => vault.convertToAssets(await vault.balanceOf(u));
      const claims = async () => [await claimOf(f.lender), await claimOf(f.lender2), await vault.debtOf(f.borrower)];
      const [before, assetsBefore, books] = [await claims(), await vault.totalAssets(), await userBooks(f)];
      const take = (amount: bigint) => viaTimelock(f, [call(vault, "withdrawReserves", [f.stranger.address, amount])]);
      await reverts(take(free + 1n), vault, "InsufficientReserves", free, free + 1n);
      await expect(take(free)).to.changeTokenBalances(ethers, usdc, [vault, f.stranger], [-free, free]);
      expect(await vault.reserves()).to.equal(reserves - free);
      const after = [await claims(), await vault.totalAssets(), await userBooks(f)];
      expect(after).to.deep.equal([before, assetsBefore, books]);
      const [cashLeft, debt] = [await vault.cash(), await vault.totalDebt()];
      expect(await usdc.balanceOf(vault)).to.be.greaterThanOrEqual(cashLeft);
      expect(cashLeft + debt - (await vault.reserves())).to.equal(assetsBefore);
      expect(before[0] + before[1]).to.be.lessThanOrEqual(assetsBefore);
      await reverts(take(1n), vault, "InsufficientReserves", 0n, 1n);
    });

    it("GOVERNANCE POWER (documented): an engine, or a breaker and queue, that the timelock installs can take users' funds", async function () {
      const f = await networkHelpers.loadFixture(governedFixture);
      const { vault, usdc } = f.market;
      const s = f.stranger;
      // 1. Any address can be made the liquidation engine, and the vault carries out the engine's settlement as is.
      await (await viaTimelock(f, [call(vault, "setLiquidationEngine", [s.address])])).wait();
      const seize = await vault.collateralOf(f.borrower, f.weth);
      const settlement = { borrower: f.borrower.address, asset: f.a.weth, repay: 1n, seize, fee: 0n, provision: 0n };
      await vault.connect(s).executeLiquidation({ ...settlement, receiver: s, payer: s, initiator: s }, "0x");
      expect(await vault.collateralOf(f.borrower, f.weth)).to.equal(0n); // 300 WETH for one unit of USDC
      expect(await vault.debtOf(f.borrower)).to.be.greaterThan(usd("199000"));
      // 2. A contract answering every call with the vault's address (and a zero word after it) passes
      //    setCircuitBreaker's checks, then receives every withdrawal as the "queue" (its onOutflow says: queue it,
      //    credit word 0; its enqueue keeps it).
      const runtime = `73${f.a.vault.slice(2)}60005260406000f3`;
      const deployed = await (await s.sendTransaction({ data: `0x601d600c600039601d6000f3${runtime}` })).wait();
      const sink = deployed?.contractAddress ?? ZeroAddress;
      await (await viaTimelock(f, [call(vault, "setCircuitBreaker", [sink, sink])])).wait();
      const withdrawal = vault.connect(f.lender).withdraw(usd("1000"), f.lender, f.lender);
      await expect(withdrawal).to.changeTokenBalances(ethers, usdc, [f.lender, sink], [0n, usd("1000")]);
    });

    it("the flash liquidator's keeper (its owner, not governance) sweeps only the liquidator's own balance", async function () {
      const f = await networkHelpers.loadFixture(governedFixture);
      const { usdc } = f.market;
      const keeper = f.stranger;
      const args = [f.a.engine, f.a.vault, f.a.usdc, keeper.address];
      const liquidator = await ethers.deployContract("UniswapV3FlashLiquidator", args);
      const own = await liquidator.getAddress();
      await reverts(liquidator.connect(keeper).sweep(usdc, keeper, 1n), usdc, "ERC20InsufficientBalance", own, 0n, 1n);
      await usdc.mint(liquidator, 5n);
      await reverts(liquidator.connect(f.owner).sweep(usdc, f.owner, 5n), liquidator, UNAUTHORIZED, f.owner.address);
      const sweep = liquidator.connect(keeper).sweep(usdc, keeper, 5n);
      await expect(sweep).to.changeTokenBalances(ethers, usdc, [liquidator, keeper, f.market.vault], [-5n, 5n, 0n]);
    });
  });

  describe("the withdrawal queue", function () {
    it("has no owner, and no function lets anyone but the beneficiary redirect a claim", async function () {
      const f = await networkHelpers.loadFixture(governedFixture);
      const { breaker, vault, usdc, queue } = f.market;
      const names = mutatingFunctions(queue).map((fn) => fn.name);
      expect(names.sort()).to.deep.equal(["claim", "claimTo", "enqueue"]);
      expect(queue.interface.hasFunction("owner")).to.equal(false);
      await breaker.connect(f.guardian).guardianTrip(f.a.usdc, WITHDRAW);
      await vault.connect(f.lender).withdrawOrQueue(usd("1000"), f.lender, f.lender);
      const id = 0n;
      expect((await queue.claimOf(id)).beneficiary).to.equal(f.lender.address);
      const viaGovernance = viaTimelock(f, [call(queue, "claimTo", [id, f.a.timelock])]);
      await reverts(viaGovernance, queue, "NotBeneficiary", id, f.a.timelock);
      for (const who of [f.owner, f.proposer, f.executor, f.guardian, f.lender2, f.borrower, f.stranger]) {
        await reverts(queue.connect(who).claimTo(id, who), queue, "NotBeneficiary", id, who.address);
        await reverts(queue.connect(who).enqueue(who, usdc, 1n, 0n), queue, "NotVault", who.address);
      }
      // Anyone may trigger the payment, which goes to the beneficiary only, once.
      const [to, paid] = [
        [queue, f.lender, f.stranger],
        [-usd("1000"), usd("1000"), 0n],
      ];
      await expect(queue.connect(f.stranger).claim(id)).to.changeTokenBalances(ethers, usdc, to, paid);
      await reverts(queue.connect(f.lender).claimTo(id, f.lender), queue, "NoClaim", id);
    });
  });

  describe("Ownable2Step", function () {
    it("a pending owner that has not accepted has no powers; the timelock keeps them until then", async function () {
      const f = await networkHelpers.loadFixture(governedFixture);
      const { vault, engine, breaker, adapter } = f.market;
      const { volatility, riskManager, rebalancer } = f.risk;
      const all = surfaces(f);
      const offers = all.map((s) => call(s.contract, "transferOwnership", [f.stranger.address]));
      await (await viaTimelock(f, offers)).wait();
      for (const c of [vault, engine, breaker, adapter, volatility, riskManager, rebalancer, f.securityOps]) {
        expect([await c.owner(), await c.pendingOwner()]).to.deep.equal([f.a.timelock, f.stranger.address]);
      }
      for (const s of all) {
        for (const [name, { args }] of gated(s)) {
          if (name === "acceptOwnership") continue;
          expect(await revertName(s.contract, f.stranger, name, args), `${s.name}.${name}`).to.equal(UNAUTHORIZED);
        }
      }
      await expect(viaTimelock(f, [call(vault, "setBorrowCap", [5n])])).to.emit(vault, "BorrowCapSet");
      // The timelock can withdraw the offer; accepting it then fails.
      await (await viaTimelock(f, [call(vault, "transferOwnership", [ZeroAddress])])).wait();
      await reverts(vault.connect(f.stranger).acceptOwnership(), vault, UNAUTHORIZED, f.stranger.address);
      await engine.connect(f.stranger).acceptOwnership();
      expect(await engine.owner()).to.equal(f.stranger.address);
    });

    it("renounceOwnership is disabled on every governed contract: even the timelock gets RenounceDisabled, and nothing changes", async function () {
      const f = await networkHelpers.loadFixture(governedFixture);
      const { vault, engine, breaker, adapter } = f.market;
      const { volatility, riskManager, rebalancer } = f.risk;
      const contracts = [vault, engine, breaker, adapter, volatility, riskManager, rebalancer, f.securityOps];
      for (const c of contracts) {
        await reverts(viaTimelock(f, [call(c, "renounceOwnership")]), c, "RenounceDisabled");
        expect([await c.owner(), await c.pendingOwner()]).to.deep.equal([f.a.timelock, ZeroAddress]);
      }
      // Governance stays able to act: the guardian can always be replaced or removed.
      await expect(viaTimelock(f, [call(breaker, "setGuardian", [ZeroAddress])])).to.emit(breaker, "GuardianSet");
    });
  });
});
