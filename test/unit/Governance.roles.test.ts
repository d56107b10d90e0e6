/**
 * Bounded governance: after `deployGovernance`, a TimelockController owns the vault, the liquidation engine, the
 * circuit breaker and the oracle adapter. Who can do what: the timelock's own roles and delay; every owner-only
 * function (found from the ABIs, not listed by hand); the hard-coded bounds, which hold against the timelock too;
 * the guardian's single power; no admin call touches a user's shares, collateral or debt; the withdrawal queue pays
 * only where the beneficiary says; Ownable2Step's pending owner and renounceOwnership.
 */
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { expect } from "chai";
import {
  type BaseContract,
  type FunctionFragment,
  type ParamType,
  MaxUint256,
  ZeroAddress,
  ZeroHash,
  isCallException,
  parseUnits,
  toBeHex,
  zeroPadValue,
} from "ethers";
import { network } from "hardhat";
import type { NetworkConnection } from "hardhat/types/network";

import {
  deployGovernance,
  executeBatch,
  scheduleBatch,
  timelockBatch,
  type Governance,
  type TimelockCall,
} from "../../scripts/lib/governance.js";
import {
  collateral,
  DEFAULT_BASE_TRIGGERS,
  DEFAULT_BREAKER_PARAMS,
  DEFAULT_ENGINE_PARAMS,
  deployChainlinkMarket,
  feedConfig,
  wad,
  type ChainlinkMarket,
} from "../../scripts/lib/market.js";
import { deployUniswapV3Factory } from "../../scripts/lib/uniswap.js";
import type { MockERC20, TimelockController } from "../../typechain-types/index.js";

const { ethers, networkHelpers } = await network.create();
const { time } = networkHelpers;

const DAY = 86_400n;
const usd = (value: string): bigint => parseUnits(value, 6);
/** CircuitBreaker action bits. */
const [SUPPLY, WITHDRAW, BORROW, DEPOSIT_COLLATERAL, WITHDRAW_COLLATERAL, LIQUIDATE] = [1, 2, 4, 8, 16, 32];
const GUARDIAN_ACTIONS = SUPPLY | WITHDRAW | BORROW | WITHDRAW_COLLATERAL;

type Contract = "vault" | "engine" | "breaker" | "adapter" | "queue" | "rateModel" | "timelock";
type Address = Contract | "usdc" | "weth" | "wbtc" | "newToken" | "wethFeed";

interface GovFixture {
  market: ChainlinkMarket;
  gov: Governance;
  timelock: TimelockController;
  owner: HardhatEthersSigner;
  proposer: HardhatEthersSigner;
  executor: HardhatEthersSigner;
  guardian: HardhatEthersSigner;
  lender: HardhatEthersSigner;
  lender2: HardhatEthersSigner;
  borrower: HardhatEthersSigner;
  stranger: HardhatEthersSigner;
  weth: MockERC20;
  wbtc: MockERC20;
  /** An unlisted token (for listCollateral) and a Uniswap v3 WETH/USDC pool (for setTwapSource). */
  newToken: MockERC20;
  pool: string;
  /** Addresses, for encoding calldata. */
  a: Record<Address, string>;
}

/**
 * Chainlink-priced market with two lenders (600k + 400k USDC) and a borrower (300 WETH, 200k USDC borrowed), then
 * handed to a 2-day timelock (distinct proposer and executor; guardian set), feeds refreshed after the delay.
 */
async function governedFixture(connection: NetworkConnection): Promise<GovFixture> {
  const { ethers: e, networkHelpers: helpers } = connection;
  const [owner, proposer, executor, guardian, lender, lender2, borrower, stranger] = await e.getSigners();
  const market = await deployChainlinkMarket(e, { owner });
  const [weth, wbtc] = [collateral(market, "WETH"), collateral(market, "WBTC")];
  for (const actor of [lender, lender2, borrower, stranger, guardian]) {
    await market.usdc.mint(actor.address, usd("2000000"));
    await weth.mint(actor.address, wad("1000"));
    for (const token of [market.usdc, weth, wbtc]) await token.connect(actor).approve(market.vault, MaxUint256);
  }
  await market.vault.connect(lender).deposit(usd("600000"), lender.address);
  await market.vault.connect(lender2).deposit(usd("400000"), lender2.address);
  await market.vault.connect(borrower).depositCollateral(weth, wad("300"), borrower.address);
  await market.vault.connect(borrower).borrow(usd("200000"), borrower.address);

  const gov = await deployGovernance(e, market, {
    proposer,
    executor,
    guardian,
    wait: async (seconds) => void (await helpers.time.increase(seconds)),
  });
  await market.heartbeat();
  const newToken = await e.deployContract("MockERC20", ["New", "NEW", 18]);
  const factory = await deployUniswapV3Factory(e, owner);
  await (await factory.createPool(weth, market.usdc, 3000)).wait();
  const pool = await factory.getPool(weth, market.usdc, 3000);
  const addr = async (c: { getAddress(): Promise<string> }) => c.getAddress();
  const a = {
    vault: await addr(market.vault),
    engine: await addr(market.engine),
    breaker: await addr(market.breaker),
    adapter: await addr(market.adapter),
    queue: await addr(market.queue),
    rateModel: await addr(market.rateModel),
    newToken: await addr(newToken),
    wethFeed: await addr(market.feeds.get("WETH") ?? market.usdc),
    usdc: await addr(market.usdc),
    weth: await addr(weth),
    wbtc: await addr(wbtc),
    timelock: await addr(gov.timelock),
  };
  const people = { owner, proposer, executor, guardian, lender, lender2, borrower, stranger };
  return { market, gov, timelock: gov.timelock, ...people, weth, wbtc, newToken, pool, a };
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

/** The custom error `promise` reverts with (decoded with `contract`'s ABI), "revert" for any other failure, null if none. */
async function revertOf(contract: BaseContract, promise: Promise<unknown>): Promise<string | null> {
  try {
    await promise;
    return null;
  } catch (error) {
    if (!isCallException(error) || typeof error.data !== "string") return "revert";
    return contract.interface.parseError(error.data)?.name ?? "revert";
  }
}

/** A well-formed zero value of an ABI type (the arguments of a call that only probes who may make it). */
function zeroOf(p: ParamType): unknown {
  if (p.isArray()) return p.arrayLength < 0 ? [] : Array.from({ length: p.arrayLength }, () => zeroOf(p.arrayChildren));
  if (p.isTuple()) return p.components.map(zeroOf);
  if (p.baseType === "address") return ZeroAddress;
  if (p.baseType === "bool") return false;
  if (p.baseType === "string") return "";
  if (p.baseType === "bytes") return "0x";
  if (p.baseType.startsWith("bytes")) return zeroPadValue("0x", Number(p.baseType.slice(5)));
  return 0n;
}

/** Every function of `contract`'s ABI that is neither view nor pure. */
function mutating(contract: BaseContract): FunctionFragment[] {
  const out: FunctionFragment[] = [];
  contract.interface.forEachFunction((fn) => {
    if (fn.stateMutability !== "view" && fn.stateMutability !== "pure") out.push(fn);
  });
  return out;
}

/**
 * How a function is gated: by Ownable's `onlyOwner`, by Ownable2Step's pending owner, or "other" (open to all, or
 * its own check: only the vault, the engine, the guardian, itself).
 */
type Access = "owner" | "pendingOwner" | "other";
/** A table row: the gate, valid example arguments (for gated functions) and calls the timelock must make first. */
interface Entry {
  access: Access;
  args?: readonly unknown[];
  before?: readonly TimelockCall[];
}
interface Surface {
  name: string;
  contract: BaseContract;
  table: Record<string, Entry>;
}

const OTHER: Entry = { access: "other" };
const others = (...names: string[]): Record<string, Entry> => Object.fromEntries(names.map((n) => [n, OTHER]));
const owner = (...args: unknown[]): Entry => ({ access: "owner", args });
const COLLATERAL_CONFIG = {
  borrowLtv: wad("0.5"),
  liquidationThreshold: wad("0.6"),
  liquidationBonus: wad("0.05"),
  supplyCap: wad("1000"),
};

function ownership(f: GovFixture, contract: BaseContract): Record<string, Entry> {
  return {
    transferOwnership: owner(f.stranger.address),
    renounceOwnership: owner(),
    acceptOwnership: {
      access: "pendingOwner",
      args: [],
      before: [call(contract, "transferOwnership", [f.a.timelock])],
    },
  };
}

/**
 * Every non-view function of the four governed contracts, with its gate and, when gated, arguments the timelock can
 * really execute. A function added to a contract fails the coverage test until it is added here.
 */
function surfaces(f: GovFixture): Surface[] {
  const { vault, engine, breaker, adapter } = f.market;
  return [
    {
      name: "CollateralVault",
      contract: vault,
      table: {
        ...others("approve", "transfer", "transferFrom", "deposit", "mint", "withdraw", "redeem"),
        ...others("depositCollateral", "withdrawCollateral", "borrow", "repay"),
        ...others("executeLiquidation", "writeOffBadDebt", "setProvision"),
        setLiquidationEngine: owner(f.a.engine),
        setCircuitBreaker: owner(f.a.breaker, f.a.queue),
        listCollateral: owner(f.a.newToken, COLLATERAL_CONFIG),
        setCollateralConfig: owner(f.a.weth, COLLATERAL_CONFIG),
        setBorrowCap: owner(usd("1")),
        setReserveFactor: owner(wad("0.2")),
        setInterestRateModel: owner(f.a.rateModel),
        setPriceOracle: owner(f.a.adapter),
        withdrawReserves: owner(f.stranger.address, 1n),
        ...ownership(f, vault),
      },
    },
    {
      name: "LiquidationEngine",
      contract: engine,
      table: {
        ...others("liquidate", "flashLiquidate", "liquidateBatch", "batchStep", "flag", "unflag", "writeOff"),
        setParams: owner(DEFAULT_ENGINE_PARAMS),
        ...ownership(f, engine),
      },
    },
    {
      name: "CircuitBreaker",
      contract: breaker,
      table: {
        ...others("poke", "onSupply", "onInflow", "beforeBorrow", "onOutflow", "onBadDebt", "guardianTrip"),
        setGuardian: owner(f.stranger.address),
        setParams: owner(DEFAULT_BREAKER_PARAMS),
        setAssetParams: owner(f.a.usdc, DEFAULT_BASE_TRIGGERS),
        ...ownership(f, breaker),
      },
    },
    {
      name: "OracleAdapter",
      contract: adapter,
      table: {
        ...others("poke", "pokeMany"),
        setAssetConfig: owner(f.a.weth, feedConfig(f.a.wethFeed, wad("3000"))),
        setTwapSource: owner(f.a.weth, f.pool, 1800, f.a.usdc),
        removeTwapSource: owner(f.a.weth),
        removeAsset: owner(f.a.wbtc),
        ...ownership(f, adapter),
      },
    },
  ];
}

/** The gated rows of a surface, with their arguments. */
function gated(s: Surface): Array<[string, Entry & { args: readonly unknown[] }]> {
  const rows: Array<[string, Entry & { args: readonly unknown[] }]> = [];
  for (const [name, entry] of Object.entries(s.table)) {
    if (entry.access === "other") continue;
    if (entry.args === undefined) throw new Error(`${s.name}.${name}: a gated function needs example args`);
    rows.push([name, { ...entry, args: entry.args }]);
  }
  return rows;
}

/** What every user owns in the books: shares, collateral of each asset, scaled debt. */
async function userBooks(f: GovFixture): Promise<bigint[][]> {
  const { vault } = f.market;
  const rows: bigint[][] = [];
  for (const user of [f.lender, f.lender2, f.borrower, f.stranger, f.guardian]) {
    rows.push([
      await vault.balanceOf(user),
      await vault.collateralOf(user, f.weth),
      await vault.collateralOf(user, f.wbtc),
      await vault.scaledDebtOf(user),
    ]);
  }
  return rows;
}

// ----------------------------------------------------------------------------------------------- tests

describe("Governance: roles and bounds under the timelock", function () {
  describe("the timelock", function () {
    it("has a 2-day minimum delay by default (configurable) and owns vault, engine, breaker and adapter", async function () {
      const f = await networkHelpers.loadFixture(governedFixture);
      expect(await f.timelock.getMinDelay()).to.equal(2n * DAY);
      for (const contract of [f.market.vault, f.market.engine, f.market.breaker, f.market.adapter]) {
        expect(await contract.owner()).to.equal(f.a.timelock);
        expect(await contract.pendingOwner()).to.equal(ZeroAddress);
      }
      expect(await f.market.breaker.guardian()).to.equal(f.guardian.address);
      const other = await deployChainlinkMarket(ethers, { owner: f.owner });
      const slow = await deployGovernance(ethers, other, {
        minDelay: 3n * DAY,
        proposer: f.proposer,
        executor: f.executor,
      });
      expect(await slow.timelock.getMinDelay()).to.equal(3n * DAY);
      expect(await other.vault.owner()).to.equal(await slow.timelock.getAddress());
    });

    it("an operation executed before its delay reverts with TimelockUnexpectedOperationState; after it, it runs", async function () {
      const f = await networkHelpers.loadFixture(governedFixture);
      const { timelock, proposer, executor } = f;
      const { vault } = f.market;
      const op = call(vault, "setBorrowCap", [usd("123")]);
      const target = await vault.getAddress();
      await expect(timelock.connect(proposer).schedule(target, 0n, op.data, ZeroHash, ZeroHash, 2n * DAY - 1n))
        .to.be.revertedWithCustomError(timelock, "TimelockInsufficientDelay")
        .withArgs(2n * DAY - 1n, 2n * DAY);
      const batch = await scheduleBatch(timelock, proposer, [op]);
      const readyAt = await timelock.getTimestamp(batch.id);
      const READY = zeroPadValue(toBeHex(1 << 2), 32); // OperationState.Ready, as _encodeStateBitmap
      await expect(executeBatch(timelock, executor, batch))
        .to.be.revertedWithCustomError(timelock, "TimelockUnexpectedOperationState")
        .withArgs(batch.id, READY);
      await time.increaseTo(readyAt - 10n);
      await expect(executeBatch(timelock, executor, batch))
        .to.be.revertedWithCustomError(timelock, "TimelockUnexpectedOperationState")
        .withArgs(batch.id, READY);
      expect((await vault.parameters()).borrowCap).to.not.equal(usd("123"));
      await time.increaseTo(readyAt);
      await expect(executeBatch(timelock, executor, batch))
        .to.emit(vault, "BorrowCapSet")
        .withArgs(usd("123"));
      expect(await timelock.isOperationDone(batch.id)).to.equal(true);
      // Done is final: the same operation cannot run twice.
      await expect(executeBatch(timelock, executor, batch)).to.be.revertedWithCustomError(
        timelock,
        "TimelockUnexpectedOperationState",
      );
    });

    it("only the proposer schedules (and cancels), only the executor executes", async function () {
      const f = await networkHelpers.loadFixture(governedFixture);
      const { timelock, proposer, executor } = f;
      const [PROPOSER, EXECUTOR, CANCELLER] = [
        await timelock.PROPOSER_ROLE(),
        await timelock.EXECUTOR_ROLE(),
        await timelock.CANCELLER_ROLE(),
      ];
      const op = call(f.market.vault, "setBorrowCap", [usd("7")]);
      for (const who of [f.owner, executor, f.guardian, f.lender, f.stranger]) {
        await expect(scheduleBatch(timelock, who, [op]))
          .to.be.revertedWithCustomError(timelock, "AccessControlUnauthorizedAccount")
          .withArgs(who.address, PROPOSER);
      }
      const batch = await scheduleBatch(timelock, proposer, [op]);
      await time.increase(2n * DAY);
      for (const who of [f.owner, proposer, f.guardian, f.lender, f.stranger]) {
        await expect(executeBatch(timelock, who, batch))
          .to.be.revertedWithCustomError(timelock, "AccessControlUnauthorizedAccount")
          .withArgs(who.address, EXECUTOR);
        if (who === proposer) continue;
        await expect(timelock.connect(who).cancel(batch.id))
          .to.be.revertedWithCustomError(timelock, "AccessControlUnauthorizedAccount")
          .withArgs(who.address, CANCELLER);
      }
      expect(await timelock.hasRole(EXECUTOR, ZeroAddress)).to.equal(false); // execution is not open to all
      expect(await timelock.hasRole(CANCELLER, executor.address)).to.equal(false);
      await expect(executeBatch(timelock, executor, batch)).to.emit(f.market.vault, "BorrowCapSet");
      // The proposer can cancel a pending operation; the executor cannot.
      const pending = await scheduleBatch(timelock, proposer, [op]);
      await expect(timelock.connect(executor).cancel(pending.id))
        .to.be.revertedWithCustomError(timelock, "AccessControlUnauthorizedAccount")
        .withArgs(executor.address, CANCELLER);
      await expect(timelock.connect(proposer).cancel(pending.id)).to.emit(timelock, "Cancelled").withArgs(pending.id);
    });

    it("nobody holds DEFAULT_ADMIN_ROLE but the timelock itself; roles and delay change only through it", async function () {
      const f = await networkHelpers.loadFixture(governedFixture);
      const { timelock } = f;
      const [ADMIN, PROPOSER, EXECUTOR, CANCELLER] = [
        await timelock.DEFAULT_ADMIN_ROLE(),
        await timelock.PROPOSER_ROLE(),
        await timelock.EXECUTOR_ROLE(),
        await timelock.CANCELLER_ROLE(),
      ];
      const grants = await timelock.queryFilter(timelock.filters.RoleGranted());
      expect(grants.map((g) => [g.args.role, g.args.account])).to.have.deep.members([
        [ADMIN, f.a.timelock],
        [PROPOSER, f.proposer.address],
        [CANCELLER, f.proposer.address],
        [EXECUTOR, f.executor.address],
      ]);
      expect(await timelock.queryFilter(timelock.filters.RoleRevoked())).to.have.length(0);
      expect(await timelock.hasRole(ADMIN, f.a.timelock)).to.equal(true);
      for (const who of await ethers.getSigners()) {
        expect(await timelock.hasRole(ADMIN, who.address), who.address).to.equal(false);
      }
      for (const who of [f.owner, f.proposer, f.executor]) {
        await expect(timelock.connect(who).grantRole(ADMIN, who.address))
          .to.be.revertedWithCustomError(timelock, "AccessControlUnauthorizedAccount")
          .withArgs(who.address, ADMIN);
        await expect(timelock.connect(who).updateDelay(0n))
          .to.be.revertedWithCustomError(timelock, "TimelockUnauthorizedCaller")
          .withArgs(who.address);
      }
      await (await viaTimelock(f, [call(timelock, "updateDelay", [3n * DAY])])).wait();
      expect(await timelock.getMinDelay()).to.equal(3n * DAY);
    });
  });

  describe("owner-only functions, found from the ABIs", function () {
    it("the table covers every non-view function, and its gates match what a stranger's call shows", async function () {
      const f = await networkHelpers.loadFixture(governedFixture);
      for (const s of surfaces(f)) {
        const fragments = mutating(s.contract);
        const names = fragments.map((fn) => fn.name);
        expect(new Set(names).size, `${s.name}: overloaded names`).to.equal(names.length);
        expect([...names].sort(), `${s.name}: add new functions to the table`).to.deep.equal(
          Object.keys(s.table).sort(),
        );
        for (const fn of fragments) {
          const entry = s.table[fn.name];
          const args = entry.args ?? fn.inputs.map(zeroOf);
          const probe = s.contract
            .connect(f.stranger)
            .getFunction(fn.format())
            .staticCall(...args);
          const ownable = (await revertOf(s.contract, probe)) === "OwnableUnauthorizedAccount";
          expect(ownable, `${s.name}.${fn.name} gated by Ownable?`).to.equal(entry.access !== "other");
        }
      }
      const counts = surfaces(f).map((s) => [s.name, gated(s).map(([name]) => name).length]);
      expect(counts).to.deep.equal([
        ["CollateralVault", 12],
        ["LiquidationEngine", 4],
        ["CircuitBreaker", 6],
        ["OracleAdapter", 7],
      ]);
    });

    it("each one reverts for the old owner, the guardian, the proposer, the executor and a stranger, and runs through the timelock", async function () {
      const f = await networkHelpers.loadFixture(governedFixture);
      for (const s of surfaces(f)) {
        for (const [name, entry] of gated(s)) {
          for (const who of [f.owner, f.guardian, f.proposer, f.executor, f.stranger]) {
            await expect(s.contract.connect(who).getFunction(name)(...entry.args), `${s.name}.${name}`)
              .to.be.revertedWithCustomError(s.contract, "OwnableUnauthorizedAccount")
              .withArgs(who.address);
          }
          const snapshot = await networkHelpers.takeSnapshot();
          const tx = await viaTimelock(f, [...(entry.before ?? []), call(s.contract, name, entry.args)]);
          const receipt = await tx.wait();
          const target = await s.contract.getAddress();
          expect(receipt?.status, `${s.name}.${name} via timelock`).to.equal(1);
          expect(
            receipt?.logs.some((log) => log.address === target),
            `${s.name}.${name} emitted`,
          ).to.equal(true);
          await snapshot.restore();
        }
      }
    });
  });

  describe("bounds hold against the timelock", function () {
    type Case = [title: string, surface: 0 | 1 | 2 | 3, fn: string, args: (f: GovFixture) => unknown[], error: string];
    const cfg = (lt: string, bonus: string) => ({
      ...COLLATERAL_CONFIG,
      liquidationThreshold: wad(lt),
      liquidationBonus: wad(bonus),
    });
    const feed = (f: GovFixture, patch: object) => [f.a.weth, { ...feedConfig(f.a.wethFeed, wad("3000")), ...patch }];
    const engine = (patch: object) => [{ ...DEFAULT_ENGINE_PARAMS, ...patch }];
    const breaker = (patch: object) => [{ ...DEFAULT_BREAKER_PARAMS, ...patch }];
    const triggers = (f: GovFixture, patch: object) => [f.a.usdc, { ...DEFAULT_BASE_TRIGGERS, ...patch }];
    const CASES: Case[] = [
      [
        "liquidationThreshold 0.96",
        0,
        "setCollateralConfig",
        (f) => [f.a.weth, cfg("0.96", "0.01")],
        "ThresholdOutOfBounds",
      ],
      ["liquidationThreshold 0", 0, "setCollateralConfig", (f) => [f.a.weth, cfg("0", "0")], "ThresholdOutOfBounds"],
      ["liquidationBonus 0.21", 0, "setCollateralConfig", (f) => [f.a.weth, cfg("0.6", "0.21")], "BonusTooHigh"],
      ["no liquidation buffer", 0, "listCollateral", (f) => [f.a.newToken, cfg("0.9", "0.12")], "NoLiquidationBuffer"],
      ["reserve factor 0.51", 0, "setReserveFactor", () => [wad("0.51")], "ReserveFactorTooHigh"],
      [
        "heartbeat 2 days + 1 s",
        3,
        "setAssetConfig",
        (f) => feed(f, { primaryHeartbeat: 2n * DAY + 1n }),
        "HeartbeatOutOfBounds",
      ],
      ["deviation 0.51", 3, "setAssetConfig", (f) => feed(f, { maxDeviation: wad("0.51") }), "DeviationOutOfBounds"],
      ["jump 0.95", 3, "setAssetConfig", (f) => feed(f, { maxJump: wad("0.95") }), "JumpOutOfBounds"],
      ["TWAP window 1 minute", 3, "setTwapSource", (f) => [f.a.weth, f.pool, 60, f.a.usdc], "TwapWindowOutOfBounds"],
      ["targetHealth 1.6", 1, "setParams", () => engine({ targetHealth: wad("1.6") }), "ParameterOutOfBounds"],
      ["protocolFeeShare 0.6", 1, "setParams", () => engine({ protocolFeeShare: wad("0.6") }), "ParameterOutOfBounds"],
      ["timeRamp 0", 1, "setParams", () => engine({ timeRamp: 0n }), "ParameterOutOfBounds"],
      ["dustValue 10001", 1, "setParams", () => engine({ dustValue: wad("10001") }), "ParameterOutOfBounds"],
      ["cooldown 2 days", 2, "setParams", () => breaker({ cooldown: 2n * DAY }), "ParameterOutOfBounds"],
      [
        "guardianCooldown 8 days",
        2,
        "setParams",
        () => breaker({ guardianCooldown: 8n * DAY }),
        "ParameterOutOfBounds",
      ],
      ["claimDelay 4 days", 2, "setParams", () => breaker({ claimDelay: 4n * DAY }), "ParameterOutOfBounds"],
      ["outflowShare 0", 2, "setAssetParams", (f) => triggers(f, { outflowShare: 0n }), "ParameterOutOfBounds"],
      ["maxFall 0.95", 2, "setAssetParams", (f) => triggers(f, { maxFall: wad("0.95") }), "ParameterOutOfBounds"],
    ];
    /** Everything the bounded setters write, read back. */
    async function governed(f: GovFixture): Promise<unknown[]> {
      const { vault, engine: e, breaker: b, adapter } = f.market;
      return [
        await vault.parameters(),
        await vault.collateralAssets(),
        (await vault.collateralInfo(f.weth))[0],
        await e.params(),
        await b.params(),
        await b.assetParams(f.market.usdc),
        await adapter.assetConfig(f.weth),
        await adapter.twapSource(f.weth),
      ].map((r) => JSON.stringify(r, (_, v: unknown) => (typeof v === "bigint" ? v.toString() : v)));
    }
    for (const [title, index, fn, args, error] of CASES) {
      it(`${fn}: ${title} reverts with ${error} even when the timelock executes it`, async function () {
        const f = await networkHelpers.loadFixture(governedFixture);
        const { contract } = surfaces(f)[index];
        const before = await governed(f);
        await expect(viaTimelock(f, [call(contract, fn, args(f))])).to.be.revertedWithCustomError(contract, error);
        expect(await governed(f)).to.deep.equal(before);
      });
    }
  });

  describe("the guardian", function () {
    it("can call guardianTrip; every other gated function of the breaker, and every owner-only function, reverts for it", async function () {
      const f = await networkHelpers.loadFixture(governedFixture);
      const { breaker } = f.market;
      await expect(breaker.connect(f.guardian).guardianTrip(f.a.usdc, BORROW)).to.emit(breaker, "BreakerUpdated");
      expect((await breaker.actionMask(f.a.usdc)) & BigInt(BORROW)).to.equal(BigInt(BORROW));
      const table = surfaces(f)[2].table;
      for (const fn of mutating(breaker)) {
        if (fn.name === "guardianTrip" || fn.name === "poke") continue; // poke: permissionless, it only re-reads
        const args = table[fn.name].args ?? fn.inputs.map(zeroOf);
        const probe = breaker
          .connect(f.guardian)
          .getFunction(fn.format())
          .staticCall(...args);
        expect(await revertOf(breaker, probe), fn.name).to.be.oneOf(["NotVault", "OwnableUnauthorizedAccount"]);
      }
      for (const s of surfaces(f)) {
        for (const [name, entry] of gated(s)) {
          const probe = s.contract
            .connect(f.guardian)
            .getFunction(name)
            .staticCall(...entry.args);
          expect(await revertOf(s.contract, probe), `${s.name}.${name}`).to.equal("OwnableUnauthorizedAccount");
        }
      }
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
      await expect(vault.connect(f.borrower).borrow(usd("1000"), f.borrower)).to.be.revertedWithCustomError(
        breaker,
        "ActionPaused",
      );
      await time.increaseTo(until);
      await f.market.heartbeat();
      await breaker.connect(f.stranger).poke(f.a.usdc);
      expect(await breaker.actionMask(f.a.usdc)).to.equal(0n);
      await expect(vault.connect(f.borrower).borrow(usd("1000"), f.borrower)).to.emit(vault, "Borrowed");
    });

    it("cannot stop liquidations, repayments or collateral deposits (InvalidActionMask), even with all else stopped", async function () {
      const f = await networkHelpers.loadFixture(governedFixture);
      const { breaker, vault } = f.market;
      for (const mask of [LIQUIDATE, DEPOSIT_COLLATERAL, 0, GUARDIAN_ACTIONS | LIQUIDATE, 0xff]) {
        for (const asset of [ZeroAddress, f.a.usdc, f.a.weth]) {
          await expect(breaker.connect(f.guardian).guardianTrip(asset, mask))
            .to.be.revertedWithCustomError(breaker, "InvalidActionMask")
            .withArgs(mask);
        }
      }
      for (const asset of [ZeroAddress, f.a.usdc, f.a.weth]) {
        await breaker.connect(f.guardian).guardianTrip(asset, GUARDIAN_ACTIONS);
        expect((await breaker.actionMask(asset)) & BigInt(LIQUIDATE | DEPOSIT_COLLATERAL)).to.equal(0n);
      }
      await breaker.checkLiquidation(f.weth); // does not revert
      await expect(vault.connect(f.borrower).repay(usd("1000"), f.borrower)).to.emit(vault, "Repaid");
      await expect(vault.connect(f.borrower).depositCollateral(f.weth, wad("1"), f.borrower)).to.emit(
        vault,
        "CollateralDeposited",
      );
    });

    it("cannot move funds: with everything it may stop stopped, it takes nothing and a withdrawal is queued to its owner", async function () {
      const f = await networkHelpers.loadFixture(governedFixture);
      const { breaker, vault, usdc, queue } = f.market;
      const g = f.guardian;
      await breaker.connect(g).guardianTrip(ZeroAddress, GUARDIAN_ACTIONS);
      const wallet = async () => [await usdc.balanceOf(g), await f.weth.balanceOf(g), await vault.balanceOf(g)];
      const [mine, books] = [await wallet(), await userBooks(f)];
      const v = vault.connect(g);
      const attempts: Array<[Promise<unknown>, BaseContract, string]> = [
        [v.withdraw(usd("1"), g, f.lender), vault, "ERC20InsufficientAllowance"],
        [v.redeem(1n, g, f.lender2), vault, "ERC20InsufficientAllowance"],
        [v.transferFrom(f.lender, g, 1n), vault, "ERC20InsufficientAllowance"],
        [v.withdrawCollateral(f.weth, 1n, g), vault, "InsufficientCollateral"],
        [v.withdrawReserves(g, 1n), vault, "OwnableUnauthorizedAccount"],
        [queue.connect(g).enqueue(g, usdc, 1n, 0n), queue, "NotVault"],
      ];
      for (const [attempt, contract, error] of attempts) {
        await expect(attempt).to.be.revertedWithCustomError(contract, error);
      }
      await expect(vault.connect(f.lender).withdraw(usd("1000"), f.lender, f.lender))
        .to.emit(vault, "WithdrawalQueued")
        .withArgs(0n, f.lender.address, f.a.usdc, usd("1000"), (readyAt: bigint) => readyAt > 0n);
      expect((await queue.claimOf(0n)).beneficiary).to.equal(f.lender.address);
      expect(await wallet()).to.deep.equal(mine);
      expect((await userBooks(f)).slice(1)).to.deep.equal(books.slice(1)); // everyone but the lender who withdrew
    });
  });

  describe("no address can sweep user funds", function () {
    it("the most hostile valid admin calls leave every user's shares, collateral and scaled debt as they were", async function () {
      const f = await networkHelpers.loadFixture(governedFixture);
      const { vault, engine, breaker, adapter } = f.market;
      const s = f.stranger;
      const at = async (c: { getAddress(): Promise<string> }) => c.getAddress();
      const zeroModel = await ethers.deployContract("KinkedRateModel", [0n, 0n, 0n, wad("0.5")]);
      const evilOracle = await ethers.deployContract("MockPriceOracle", [], s);
      for (const [token, price] of [
        [f.a.usdc, "1"],
        [f.a.weth, "3000"],
      ] as const) {
        await evilOracle.setPrice(token, wad(price));
      }
      const evilFeed = await ethers.deployContract("TestAggregator", [8, "EVIL"], s);
      await evilFeed.push(1n);
      const evilBreaker = await ethers.deployContract("CircuitBreaker", [
        f.a.vault,
        DEFAULT_BREAKER_PARAMS,
        DEFAULT_BASE_TRIGGERS,
        s.address,
      ]);
      const evilQueue = await ethers.deployContract("WithdrawalQueue", [f.a.vault]);
      const hostile: TimelockCall[] = [
        call(vault, "setInterestRateModel", [await at(zeroModel)]), // lenders earn nothing from now on
        call(vault, "setReserveFactor", [wad("0.5")]),
        call(vault, "setBorrowCap", [0n]),
        call(vault, "setCollateralConfig", [
          f.a.weth,
          { borrowLtv: 0n, liquidationThreshold: 1n, liquidationBonus: wad("0.2"), supplyCap: 0n },
        ]),
        call(vault, "listCollateral", [
          f.a.newToken,
          {
            borrowLtv: wad("0.95"),
            liquidationThreshold: wad("0.95"),
            liquidationBonus: wad("0.05"),
            supplyCap: MaxUint256,
          },
        ]),
        // Known governance powers (see the next tests): a new oracle, engine or breaker is trusted code.
        call(vault, "setPriceOracle", [await at(evilOracle)]),
        call(vault, "setLiquidationEngine", [s.address]),
        call(vault, "setCircuitBreaker", [await at(evilBreaker), await at(evilQueue)]),
        call(vault, "transferOwnership", [s.address]),
        call(engine, "setParams", [
          {
            targetHealth: wad("1.5"),
            fullCloseHealth: wad("1"),
            minBonusShare: wad("1"),
            healthRamp: wad("0.01"),
            protocolFeeShare: wad("0.5"),
            emergencyHealth: wad("1"),
            timeRamp: 60n,
            dustValue: wad("10000"),
          },
        ]),
        call(breaker, "setGuardian", [s.address]),
        call(breaker, "setParams", [
          {
            cooldown: DAY,
            guardianCooldown: 7n * DAY,
            claimDelay: 3n * DAY,
            liquidationGrace: 3600n,
            resumeShare: wad("0.1"),
            badDebtShare: wad("0.0001"),
          },
        ]),
        call(breaker, "setAssetParams", [
          f.a.usdc,
          { outflowShare: wad("0.01"), outflowWindow: 7n * DAY, maxFall: wad("0.02"), fallWindow: 7n * DAY },
        ]),
        call(adapter, "setAssetConfig", [
          f.a.weth,
          {
            ...feedConfig(await at(evilFeed), wad("3000")),
            primaryHeartbeat: 2n * DAY,
            minPrice: 1n,
            maxPrice: 2n ** 128n - 1n,
            maxDeviation: wad("0.5"),
            maxJump: 0n,
            jumpWindow: 0n,
          },
        ]),
        call(adapter, "removeAsset", [f.a.wbtc]),
      ];
      const books = await userBooks(f);
      await (await viaTimelock(f, hostile)).wait();
      expect(await userBooks(f)).to.deep.equal(books);
      // Concern, documented: the threshold cut to 1 wei in one step makes the borrower liquidatable at once.
      expect(await vault.isLiquidatable(f.borrower)).to.equal(true);
    });

    it("withdrawReserves takes at most the free reserves: lenders' claims and the books stay whole", async function () {
      const f = await networkHelpers.loadFixture(governedFixture);
      const { vault, usdc } = f.market;
      const zeroModel = await ethers.deployContract("KinkedRateModel", [0n, 0n, 0n, wad("0.5")]);
      await (await viaTimelock(f, [call(vault, "setInterestRateModel", [await zeroModel.getAddress()])])).wait();
      const [reserves, provisions, cash] = [await vault.reserves(), await vault.totalProvision(), await vault.cash()];
      const free = reserves - provisions < cash ? reserves - provisions : cash;
      expect(free).to.be.greaterThan(0n);
      const claims = async () => [
        await vault.totalAssets(),
        await vault.convertToAssets(await vault.balanceOf(f.lender)),
        await vault.convertToAssets(await vault.balanceOf(f.lender2)),
        await vault.debtOf(f.borrower),
      ];
      const [before, books] = [await claims(), await userBooks(f)];
      const take = (amount: bigint) => viaTimelock(f, [call(vault, "withdrawReserves", [f.stranger.address, amount])]);
      await expect(take(free + 1n))
        .to.be.revertedWithCustomError(vault, "InsufficientReserves")
        .withArgs(free, free + 1n);
      await expect(take(free)).to.changeTokenBalances(ethers, usdc, [vault, f.stranger], [-free, free]);
      expect(await vault.reserves()).to.equal(reserves - free);
      expect(await claims()).to.deep.equal(before);
      expect(await userBooks(f)).to.deep.equal(books);
      const [cashLeft, debt, assets] = [await vault.cash(), await vault.totalDebt(), await vault.totalAssets()];
      expect(await usdc.balanceOf(vault)).to.be.greaterThanOrEqual(cashLeft);
      expect(cashLeft + debt - (await vault.reserves())).to.equal(assets);
      expect(before[1] + before[2]).to.be.lessThanOrEqual(assets);
      await expect(take(1n)).to.be.revertedWithCustomError(vault, "InsufficientReserves").withArgs(0n, 1n);
    });

    it("GOVERNANCE POWER (documented): an engine, or a breaker and queue, that the timelock installs can take users' funds", async function () {
      const f = await networkHelpers.loadFixture(governedFixture);
      const { vault, usdc } = f.market;
      const s = f.stranger;
      // 1. Any address can be made the liquidation engine, and the vault trusts the engine's settlement as is.
      await (await viaTimelock(f, [call(vault, "setLiquidationEngine", [s.address])])).wait();
      const held = await vault.collateralOf(f.borrower, f.weth);
      const settlement = { borrower: f.borrower.address, asset: f.a.weth, repay: 1n, seize: held, fee: 0n };
      await vault
        .connect(s)
        .executeLiquidation({ ...settlement, receiver: s.address, payer: s.address, initiator: s.address }, "0x");
      expect(await vault.collateralOf(f.borrower, f.weth)).to.equal(0n); // 300 WETH for one unit of USDC
      expect(await vault.debtOf(f.borrower)).to.be.greaterThan(usd("199000"));
      // 2. A contract that answers every call with the vault's address passes setCircuitBreaker's checks, and then
      //    receives every withdrawal as the "queue" (onOutflow says queue it; enqueue keeps it).
      const runtime = `73${f.a.vault.slice(2)}60005260206000f3`;
      const deployed = await (await s.sendTransaction({ data: `0x601d600c600039601d6000f3${runtime}` })).wait();
      const sink = deployed?.contractAddress ?? ZeroAddress;
      await (await viaTimelock(f, [call(vault, "setCircuitBreaker", [sink, sink])])).wait();
      await expect(vault.connect(f.lender).withdraw(usd("1000"), f.lender, f.lender)).to.changeTokenBalances(
        ethers,
        usdc,
        [f.lender, sink],
        [0n, usd("1000")],
      );
    });

    it("the flash liquidator's keeper (its owner, not governance) sweeps only the liquidator's own balance", async function () {
      const f = await networkHelpers.loadFixture(governedFixture);
      const { usdc } = f.market;
      const keeper = f.stranger;
      const liquidator = await ethers.deployContract("UniswapV3FlashLiquidator", [
        f.a.engine,
        f.a.vault,
        f.a.usdc,
        keeper.address,
      ]);
      await expect(liquidator.connect(keeper).sweep(usdc, keeper, 1n))
        .to.be.revertedWithCustomError(usdc, "ERC20InsufficientBalance")
        .withArgs(await liquidator.getAddress(), 0n, 1n);
      await usdc.mint(liquidator, 5n);
      await expect(liquidator.connect(f.owner).sweep(usdc, f.owner, 5n))
        .to.be.revertedWithCustomError(liquidator, "OwnableUnauthorizedAccount")
        .withArgs(f.owner.address);
      await expect(liquidator.connect(keeper).sweep(usdc, keeper, 5n)).to.changeTokenBalances(
        ethers,
        usdc,
        [liquidator, keeper, f.market.vault],
        [-5n, 5n, 0n],
      );
    });
  });

  describe("the withdrawal queue", function () {
    it("has no owner, and no function lets anyone but the beneficiary redirect a claim", async function () {
      const f = await networkHelpers.loadFixture(governedFixture);
      const { breaker, vault, usdc, queue } = f.market;
      expect(
        mutating(queue)
          .map((fn) => fn.name)
          .sort(),
      ).to.deep.equal(["claim", "claimTo", "enqueue"]);
      expect(queue.interface.hasFunction("owner")).to.equal(false);
      await breaker.connect(f.guardian).guardianTrip(f.a.usdc, WITHDRAW);
      await vault.connect(f.lender).withdraw(usd("1000"), f.lender, f.lender);
      const id = 0n;
      expect((await queue.claimOf(id)).beneficiary).to.equal(f.lender.address);
      await expect(viaTimelock(f, [call(queue, "claimTo", [id, f.a.timelock])]))
        .to.be.revertedWithCustomError(queue, "NotBeneficiary")
        .withArgs(id, f.a.timelock);
      for (const who of [f.owner, f.proposer, f.executor, f.guardian, f.lender2, f.borrower, f.stranger]) {
        await expect(queue.connect(who).claimTo(id, who))
          .to.be.revertedWithCustomError(queue, "NotBeneficiary")
          .withArgs(id, who.address);
        await expect(queue.connect(who).enqueue(who, usdc, 1n, 0n))
          .to.be.revertedWithCustomError(queue, "NotVault")
          .withArgs(who.address);
      }
      // Anyone may trigger the payment, which goes to the beneficiary only, once.
      await expect(queue.connect(f.stranger).claim(id)).to.changeTokenBalances(
        ethers,
        usdc,
        [queue, f.lender, f.stranger],
        [-usd("1000"), usd("1000"), 0n],
      );
      await expect(queue.connect(f.lender).claimTo(id, f.lender)).to.be.revertedWithCustomError(queue, "NoClaim");
    });
  });

  describe("Ownable2Step", function () {
    it("a pending owner that has not accepted has no powers; the timelock keeps them until then", async function () {
      const f = await networkHelpers.loadFixture(governedFixture);
      const { vault, engine, breaker, adapter } = f.market;
      const ss = surfaces(f);
      await (
        await viaTimelock(
          f,
          ss.map((s) => call(s.contract, "transferOwnership", [f.stranger.address])),
        )
      ).wait();
      for (const c of [vault, engine, breaker, adapter]) {
        expect([await c.owner(), await c.pendingOwner()]).to.deep.equal([f.a.timelock, f.stranger.address]);
      }
      for (const s of ss) {
        for (const [name, entry] of gated(s)) {
          if (name === "acceptOwnership") continue;
          const probe = s.contract
            .connect(f.stranger)
            .getFunction(name)
            .staticCall(...entry.args);
          expect(await revertOf(s.contract, probe), `${s.name}.${name}`).to.equal("OwnableUnauthorizedAccount");
        }
      }
      await expect(viaTimelock(f, [call(vault, "setBorrowCap", [5n])])).to.emit(vault, "BorrowCapSet");
      // The timelock can withdraw the offer; accepting it then fails.
      await (await viaTimelock(f, [call(vault, "transferOwnership", [ZeroAddress])])).wait();
      await expect(vault.connect(f.stranger).acceptOwnership())
        .to.be.revertedWithCustomError(vault, "OwnableUnauthorizedAccount")
        .withArgs(f.stranger.address);
      await engine.connect(f.stranger).acceptOwnership();
      expect(await engine.owner()).to.equal(f.stranger.address);
    });

    it("renounceOwnership works on every contract through the timelock: it clears a pending owner and freezes governance for good", async function () {
      const f = await networkHelpers.loadFixture(governedFixture);
      const { vault, engine, breaker, adapter } = f.market;
      const contracts = [vault, engine, breaker, adapter];
      await (
        await viaTimelock(f, [
          call(vault, "transferOwnership", [f.stranger.address]),
          ...contracts.map((c) => call(c, "renounceOwnership")),
        ])
      ).wait();
      for (const c of contracts) {
        expect([await c.owner(), await c.pendingOwner()]).to.deep.equal([ZeroAddress, ZeroAddress]);
      }
      await expect(vault.connect(f.stranger).acceptOwnership())
        .to.be.revertedWithCustomError(vault, "OwnableUnauthorizedAccount")
        .withArgs(f.stranger.address);
      for (const [c, fn, args] of [
        [vault, "setBorrowCap", [1n]],
        [engine, "setParams", [DEFAULT_ENGINE_PARAMS]],
        [breaker, "setGuardian", [ZeroAddress]],
        [adapter, "removeAsset", [f.a.weth]],
      ] as const) {
        await expect(viaTimelock(f, [call(c, fn, args)]))
          .to.be.revertedWithCustomError(c, "OwnableUnauthorizedAccount")
          .withArgs(f.a.timelock);
      }
      // The guardian can no longer be replaced or removed, and keeps its power.
      expect(await breaker.guardian()).to.equal(f.guardian.address);
      await expect(breaker.connect(f.guardian).guardianTrip(f.a.usdc, BORROW)).to.emit(breaker, "BreakerUpdated");
    });
  });
});
