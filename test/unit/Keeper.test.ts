/**
 * The keeper bot (scripts/lib/keeper/) in process, against a market priced by the real OracleAdapter over
 * Chainlink-like feeds, with the risk modules wired and a real Uniswap v3 WETH/USDC pool: it indexes borrowers from
 * the vault's events, liquidates unhealthy accounts through its own UniswapV3FlashLiquidator (no capital), sends
 * nothing in a dry run nor anything whose simulation fails, pokes the breaker and samples volatility when due, and
 * survives RPC errors. Also the CLI's argument checks and its error for an unreachable RPC.
 */
import { spawnSync } from "node:child_process";

import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { expect } from "chai";
import { MaxUint256, ZeroAddress, makeError, type Log, type Filter, type FilterByBlockHash } from "ethers";
import { network } from "hardhat";

import { AccountIndex } from "../../scripts/lib/keeper/accounts.js";
import { checkpointReason, dueReason } from "../../scripts/lib/keeper/tasks/backstop.js";
import { allocationFor } from "../../scripts/lib/keeper/tasks/allocator.js";
import { UsageError, parseCliArgs, probeRpc } from "../../scripts/lib/keeper/keeperCli.js";
import {
  Keeper,
  deployLiquidator,
  discoverContracts,
  setLiquidatorPools,
  type KeeperContracts,
  type KeeperOptions,
} from "../../scripts/lib/keeper/keeper.js";
import { memoryLogger, type LogRecord } from "../../scripts/lib/keeper/log.js";
import { collateral, deployChainlinkMarket, type ChainlinkMarket } from "../../scripts/lib/testMarket.js";
import { deployRiskModules, type RiskModules } from "../../scripts/lib/risk.js";
import { deployPoolWithLiquidity, deployUniswapV3Factory } from "../../scripts/lib/uniswap.js";
import type { ITestUniswapV3Pool, MockERC20, UniswapV3FlashLiquidator } from "../../typechain-types/index.js";
import { usd, wad, feedAnswer } from "../../scripts/lib/units.js";

const { ethers, networkHelpers } = await network.create();
const { loadFixture, time, mine } = networkHelpers;

interface Fixture {
  market: ChainlinkMarket;
  risk: RiskModules;
  weth: MockERC20;
  wbtc: MockERC20;
  pool: ITestUniswapV3Pool;
  liquidator: UniswapV3FlashLiquidator;
  keeperWallet: HardhatEthersSigner;
  lender: HardhatEthersSigner;
  /** 10 WETH / 24,000 USDC: health 1.0625 at $3,000, 0.956 at $2,700. */
  alice: HardhatEthersSigner;
  /** 8 WETH / 19,000 USDC: 1.074 at $3,000, 0.966 at $2,700. */
  bob: HardhatEthersSigner;
  /** 10 WETH / 15,000 USDC: healthy throughout. */
  carol: HardhatEthersSigner;
  /** Posts collateral, never borrows. */
  dave: HardhatEthersSigner;
}

async function keeperFixture(): Promise<Fixture> {
  const [owner, lender, alice, bob, carol, dave, keeperWallet] = await ethers.getSigners();
  const market = await deployChainlinkMarket(ethers, { owner });
  const weth = collateral(market, "WETH");
  const wbtc = collateral(market, "WBTC");
  const risk = await deployRiskModules(ethers, market.vault, { collaterals: market.collaterals });
  const { vault, usdc } = market;

  await usdc.mint(lender.address, usd("1000000"));
  await usdc.connect(lender).approve(vault, MaxUint256);
  await vault.connect(lender).deposit(usd("1000000"), lender.address);
  const open = async (who: HardhatEthersSigner, amount: string, debt: string): Promise<void> => {
    await weth.mint(who.address, wad(amount));
    await weth.connect(who).approve(vault, MaxUint256);
    await vault.connect(who).depositCollateral(weth, wad(amount), who.address);
    if (debt !== "0") await vault.connect(who).borrow(usd(debt), who.address);
  };
  await open(alice, "10", "24000");
  await open(bob, "8", "19000");
  await open(carol, "10", "15000");
  await open(dave, "1", "0");

  // A deep WETH/USDC pool at $2,700 (1,000 WETH and 2.7M USDC, full range) and the keeper's own liquidator selling in it.
  const factory = await deployUniswapV3Factory(ethers, owner);
  const { pool } = await deployPoolWithLiquidity(ethers, factory, weth, usdc, wad("2700"), wad("1000"));
  const discovered = await discoverContracts(keeperWallet, await vault.getAddress(), await market.lens.getAddress());
  const liquidator = await deployLiquidator(keeperWallet, discovered);
  await setLiquidatorPools(liquidator, { [await weth.getAddress()]: await pool.getAddress() });
  return { market, risk, weth, wbtc, pool, liquidator, keeperWallet, lender, alice, bob, carol, dave };
}

/** WETH falls 10% (inside the adapter's 20% jump bound, so the price stays OK): alice and bob become liquidatable. */
async function crash(f: Fixture, price = "2700"): Promise<void> {
  await f.market.feeds.get("WETH")?.push(feedAnswer(price));
}

/** A keeper over the fixture, logging to memory, retrying at once (no real waits). */
async function makeKeeper(
  f: Fixture,
  options: KeeperOptions = {},
  wallet: HardhatEthersSigner | undefined = f.keeperWallet,
  liquidator?: string,
): Promise<{ keeper: Keeper; records: LogRecord[]; contracts: KeeperContracts }> {
  const { logger, records } = memoryLogger();
  const contracts = await discoverContracts(
    wallet ?? ethers.provider,
    await f.market.vault.getAddress(),
    await f.market.lens.getAddress(),
    liquidator ?? (await f.liquidator.getAddress()),
  );
  const keeper = new Keeper(contracts, ethers.provider, wallet, {
    logger,
    retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 2 },
    sleep: async () => {},
    pollIntervalMs: 100,
    maxBackoffMs: 1000,
    ...options,
  });
  return { keeper, records, contracts };
}

/** A backstop over the fixture's vault, 10,000 USDC staked by the lender, linked with a 20% income share. */
async function stakedBackstop(f: Fixture) {
  const { vault, usdc } = f.market;
  const [owner] = await ethers.getSigners();
  const backstop = await ethers.deployContract("Backstop", [vault, "b", "b", owner.address, 7 * 86_400, 2 * 86_400]);
  await usdc.mint(f.lender.address, usd("10000"));
  await usdc.connect(f.lender).approve(backstop, MaxUint256);
  await backstop.connect(f.lender).deposit(usd("10000"), f.lender.address);
  await vault.connect(owner).linkBackstopAndShare(backstop, wad("0.2"));
  return backstop;
}

const events = (records: readonly LogRecord[], event: string): LogRecord[] => records.filter((r) => r.event === event);

/** Replaces `provider[name]` until `restore()`: for injecting RPC failures. */
function intercept<K extends "getBlockNumber" | "getLogs">(
  name: K,
  replacement: (original: (typeof ethers.provider)[K]) => (typeof ethers.provider)[K],
): () => void {
  const provider = ethers.provider;
  const original = provider[name].bind(provider) as (typeof ethers.provider)[K];
  Object.defineProperty(provider, name, { value: replacement(original), configurable: true, writable: true });
  return () => Reflect.deleteProperty(provider, name);
}

const networkError = () => makeError("connection reset by peer", "NETWORK_ERROR", { event: "request" });

describe("Keeper", function () {
  describe("account index", function () {
    it("keeps the accounts that may have debt, from the vault's events, scanning at most maxBlockRange blocks per call", async function () {
      const f = await loadFixture(keeperFixture);
      const ranges: Array<[number, number]> = [];
      const provider = {
        getLogs: (filter: Filter | FilterByBlockHash): Promise<Log[]> => {
          const { fromBlock, toBlock } = filter as Filter;
          ranges.push([Number(fromBlock), Number(toBlock)]);
          return ethers.provider.getLogs(filter);
        },
      };
      const index = new AccountIndex(f.market.vault, provider, { maxBlockRange: 7, rescanDepth: 0 });
      const latest = await ethers.provider.getBlockNumber();
      const first = await index.catchUp(latest);

      expect([...index.debtors].sort()).to.deep.equal([f.alice.address, f.bob.address, f.carol.address].sort());
      expect(index.seen.has(f.dave.address), "collateral-only account seen").to.equal(true);
      expect(index.debtors.has(f.dave.address), "no debt, not a debtor").to.equal(false);
      expect(index.seen.has(f.lender.address), "lenders are not indexed").to.equal(false);
      // Contiguous ranges from block 0 to the latest, none longer than 7 blocks.
      expect(ranges[0][0]).to.equal(0);
      expect(ranges.at(-1)?.[1]).to.equal(latest);
      for (const [i, [from, to]] of ranges.entries()) {
        expect(to - from + 1).to.be.at.most(7);
        if (i > 0) expect(from).to.equal(ranges[i - 1][1] + 1);
      }
      expect(first.requests).to.equal(ranges.length);

      // Carol repays everything: dropped. Dave borrows: added. Only the new blocks are scanned.
      await f.market.usdc.mint(f.carol.address, usd("100"));
      await f.market.usdc.connect(f.carol).approve(f.market.vault, MaxUint256);
      await f.market.vault.connect(f.carol).repay(MaxUint256, f.carol.address);
      await f.market.vault.connect(f.dave).borrow(usd("100"), f.dave.address);
      ranges.length = 0;
      const second = await index.catchUp(await ethers.provider.getBlockNumber());
      expect(second.removed).to.deep.equal([f.carol.address]);
      expect(second.added).to.deep.equal([f.dave.address]);
      expect(ranges[0][0]).to.equal(latest + 1);
      expect([...index.debtors].sort()).to.deep.equal([f.alice.address, f.bob.address, f.dave.address].sort());
    });

    it("is caught up by each step, including blocks the keeper missed", async function () {
      const f = await loadFixture(keeperFixture);
      const { keeper, records } = await makeKeeper(f, { duties: { breaker: false, volatility: false } });
      const first = await keeper.step();
      expect(first.status).to.equal("processed");
      expect(keeper.index.debtors.size).to.equal(3);
      // Blocks go by unseen; dave borrows in between.
      await mine(5);
      await f.market.vault.connect(f.dave).borrow(usd("100"), f.dave.address);
      await mine(5);
      const second = await keeper.step();
      expect(second.status).to.equal("processed");
      if (second.status !== "processed") return;
      expect(second.report.block).to.equal(await ethers.provider.getBlockNumber());
      expect(keeper.index.debtors.has(f.dave.address)).to.equal(true);
      expect(events(records, "blocks-skipped")).to.have.length(1);
      expect(events(records, "index-updated").at(-1)?.fields.added).to.deep.equal([f.dave.address]);
      // No new block: nothing to do.
      expect((await keeper.step()).status).to.equal("idle");
    });
  });

  describe("liquidations", function () {
    it("liquidates the unhealthy accounts by flash liquidation through its own liquidator, with no capital", async function () {
      const f = await loadFixture(keeperFixture);
      await crash(f);
      const { vault, lens, usdc } = f.market;
      expect(await vault.isLiquidatable(f.alice.address)).to.equal(true);
      expect(await vault.isLiquidatable(f.bob.address)).to.equal(true);
      const carolDebt = await vault.debtOf(f.carol.address);
      const { keeper, records } = await makeKeeper(f);

      const result = await keeper.step();
      expect(result.status).to.equal("processed");
      if (result.status !== "processed") return;
      const done = result.report.liquidations.map((l) => l.borrower).sort();
      expect(done).to.deep.equal([f.alice.address, f.bob.address].sort());
      for (const who of [f.alice, f.bob]) {
        expect(await vault.isLiquidatable(who.address)).to.equal(false);
        // Back to the engine's target health, 1.05.
        expect(await lens.healthFactor(vault, who.address)).to.be.closeTo(wad("1.05"), wad("0.001"));
      }
      expect(await vault.debtOf(f.carol.address)).to.be.at.least(carolDebt); // untouched (interest only)
      // Capital-free: the wallet never held USDC; the liquidator kept the profit of the sales.
      expect(await usdc.balanceOf(f.keeperWallet.address)).to.equal(0n);
      const profit = await usdc.balanceOf(f.liquidator);
      expect(profit).to.be.greaterThan(0n);

      const liquidated = events(records, "liquidated");
      expect(liquidated).to.have.length(2);
      for (const record of liquidated) {
        expect(record.level).to.equal("info");
        expect(record.fields.txHash).to.match(/^0x[0-9a-f]{64}$/);
        expect(record.fields.gasUsed).to.be.a("bigint");
        expect(record.fields.batch, "two liquidations go as one batch").to.equal(2);
      }
      const profits = liquidated.map((r) => r.fields.profit as bigint);
      expect(profits.reduce((a, b) => a + b, 0n)).to.equal(profit);
      // The other duties ran too: every breaker entry poked once, volatility sampled and the caps synced.
      expect(events(records, "breaker-poked")).to.have.length(4);
      expect(events(records, "volatility-updated")).to.have.length(1);
      expect(events(records, "risk-synced")).to.have.length(1);
    });

    it("takes the most urgent first when capped per block, one transaction each without batching", async function () {
      const f = await loadFixture(keeperFixture);
      await crash(f);
      const { keeper, records } = await makeKeeper(f, { maxLiquidationsPerBlock: 1, batch: false });
      await keeper.step();
      // Alice (health 0.956) before bob (0.966).
      expect(events(records, "liquidated").map((r) => r.fields.borrower)).to.deep.equal([f.alice.address]);
      expect(await f.market.vault.isLiquidatable(f.bob.address)).to.equal(true);
      await keeper.step();
      expect(events(records, "liquidated").map((r) => r.fields.borrower)).to.deep.equal([
        f.alice.address,
        f.bob.address,
      ]);
      expect(events(records, "liquidated")[1].fields.batch).to.equal(undefined);
    });

    it("sends nothing in a dry run, with or without a wallet, and logs what it would do", async function () {
      const f = await loadFixture(keeperFixture);
      await crash(f);
      for (const wallet of [f.keeperWallet, undefined]) {
        const block = await ethers.provider.getBlockNumber();
        const nonce = await ethers.provider.getTransactionCount(f.keeperWallet.address);
        const { keeper, records } = await makeKeeper(f, { dryRun: true }, wallet);
        const result = await keeper.step();
        expect(result.status).to.equal("processed");
        if (result.status !== "processed") return;
        expect(await ethers.provider.getBlockNumber(), "no block mined").to.equal(block);
        expect(await ethers.provider.getTransactionCount(f.keeperWallet.address)).to.equal(nonce);
        expect(result.report.sent).to.deep.equal([]);
        expect(await f.market.vault.isLiquidatable(f.alice.address)).to.equal(true);
        // The liquidation was simulated through the liquidator (as its owner when there is no wallet).
        const would = events(records, "would-liquidate-batch");
        expect(would, JSON.stringify(events(records, "simulation-failed"))).to.have.length(1);
        expect(result.report.liquidations.map((l) => l.borrower).sort()).to.deep.equal(
          [f.alice.address, f.bob.address].sort(),
        );
        expect(events(records, "would-breaker-poked")).to.have.length(4);
        expect(events(records, "would-volatility-updated")).to.have.length(1);
        expect(events(records, "liquidated")).to.deep.equal([]);
      }
    });

    it("does not send a liquidation whose simulation fails, and says why", async function () {
      const f = await loadFixture(keeperFixture);
      await crash(f);
      // No sale can leave a billion USDC of profit: every liquidation reverts Unprofitable in simulation.
      const { keeper, records } = await makeKeeper(f, { minProfit: usd("1000000000") });
      const result = await keeper.step();
      expect(result.status).to.equal("processed");
      if (result.status !== "processed") return;
      const rejected = result.report.rejected.filter((r) => r.event === "liquidate");
      expect(rejected).to.have.length(2);
      for (const r of rejected) expect(r.error).to.match(/^reverted: Unprofitable\(/);
      const failed = events(records, "simulation-failed").filter((r) => r.fields.action === "liquidate");
      expect(failed.map((r) => r.fields.borrower).sort()).to.deep.equal([f.alice.address, f.bob.address].sort());
      expect(events(records, "liquidated")).to.deep.equal([]);
      expect(await f.market.vault.queryFilter(f.market.vault.filters.Liquidated())).to.deep.equal([]);
      expect(await f.market.vault.isLiquidatable(f.alice.address)).to.equal(true);
      // Left liquidatable, they are flagged instead (their bonus starts to climb).
      expect(
        events(records, "flagged")
          .map((r) => r.fields.borrower)
          .sort(),
      ).to.deep.equal([f.alice.address, f.bob.address].sort());
      expect(await f.market.engine.flaggedAt(f.alice.address)).to.be.greaterThan(0n);
      // The same failure next block is not logged again at warn level.
      await keeper.step();
      const warned = events(records, "simulation-failed").filter(
        (r) => r.fields.action === "liquidate" && r.level === "warn",
      );
      expect(warned).to.have.length(2);
    });

    it("never sends what it simulated in an earlier block: a new block after the simulation means simulate again", async function () {
      const f = await loadFixture(keeperFixture);
      await crash(f);
      const { keeper, records } = await makeKeeper(f, {
        batch: false,
        maxLiquidationsPerBlock: 1,
        duties: { breaker: false, volatility: false, flag: false },
      });
      await keeper.init();
      // Reads of the block number: the step's own (1), then before (2) and after (3) the first simulation; a block is
      // mined just before read 3, as if one arrived while the keeper simulated.
      let reads = 0;
      const restore = intercept("getBlockNumber", (original) => async () => {
        if (++reads === 3) await mine(1);
        return original();
      });
      try {
        await keeper.step();
      } finally {
        restore();
      }
      const trail = records
        .filter((r) => ["resimulate", "tx-sent", "liquidated"].includes(r.event))
        .map((r) => r.event);
      expect(trail).to.deep.equal(["resimulate", "tx-sent", "liquidated"]);
      const [resimulate] = events(records, "resimulate");
      expect(resimulate.fields.now).to.equal((resimulate.fields.simulatedAt as number) + 1);
    });

    it("writes off an account whose collateral is dust, and drops it from the index", async function () {
      const f = await loadFixture(keeperFixture);
      const { vault, engine } = f.market;
      // 0.0015 WBTC ($90 at $60,000) against 65 USDC; WBTC then falls to $41,600 (four rounds, each within the jump
      // check): its $62.40 is below the engine's $100 dust threshold and below its debt, insolvent (a solvent one is
      // never written off). WETH's crash liquidates the other two as usual.
      const [, , , , , , , erin] = await ethers.getSigners();
      await f.wbtc.mint(erin.address, 150_000n);
      await f.wbtc.connect(erin).approve(vault, MaxUint256);
      await vault.connect(erin).depositCollateral(f.wbtc, 150_000n, erin.address);
      await vault.connect(erin).borrow(usd("65"), erin.address);
      await crash(f);
      for (const price of ["54000", "48600", "43740", "41600"])
        await f.market.feeds.get("WBTC")?.push(feedAnswer(price));
      expect(await vault.isLiquidatable(erin.address)).to.equal(true);
      const { keeper, records } = await makeKeeper(f, { duties: { breaker: false, volatility: false } });

      const result = await keeper.step();
      if (result.status !== "processed") expect.fail(`step ${result.status}`);
      const [writeOff] = events(records, "written-off");
      expect(writeOff.fields.borrower).to.equal(erin.address);
      expect(writeOff.fields.amount).to.be.greaterThanOrEqual(usd("65"));
      expect(await vault.debtOf(erin.address)).to.equal(0n);
      expect(await vault.badDebt()).to.equal(writeOff.fields.amount);
      expect(await engine.flaggedAt(erin.address)).to.equal(0n);
      // The other two were liquidated in the same block, as usual.
      expect(events(records, "liquidated")).to.have.length(2);
      await keeper.step();
      expect(keeper.index.debtors.has(erin.address)).to.equal(false);
    });

    it("leaves alone, and flags, accounts whose collateral it has no pool for", async function () {
      const f = await loadFixture(keeperFixture);
      await crash(f);
      const bare = await deployLiquidator(
        f.keeperWallet,
        await discoverContracts(f.keeperWallet, await f.market.vault.getAddress(), await f.market.lens.getAddress()),
      );
      const { keeper, records } = await makeKeeper(
        f,
        { duties: { breaker: false, volatility: false } },
        f.keeperWallet,
        await bare.getAddress(),
      );
      const result = await keeper.step();
      if (result.status !== "processed") expect.fail(`step ${result.status}`);
      const wethAddress = await f.weth.getAddress();
      expect(result.report.selection.actions).to.deep.equal([]);
      expect(
        result.report.selection.skipped.map((s) => [s.account, s.reason, s.detail?.[wethAddress]]),
      ).to.have.deep.members([
        [f.alice.address, "no-sellable-collateral", "no pool"],
        [f.bob.address, "no-sellable-collateral", "no pool"],
      ]);
      expect(events(records, "liquidated")).to.deep.equal([]);
      expect(events(records, "flagged").map((r) => r.fields.borrower)).to.have.members([
        f.alice.address,
        f.bob.address,
      ]);
      expect(await f.market.vault.isLiquidatable(f.alice.address)).to.equal(true);
    });
  });

  describe("other duties", function () {
    it("pokes a breaker entry when the poke would change it, and every entry each interval", async function () {
      const f = await loadFixture(keeperFixture);
      const { breaker } = f.market;
      const wethAddress = await f.weth.getAddress();
      const { keeper, records } = await makeKeeper(f, { pokeIntervalSeconds: 3600, duties: { volatility: false } });
      const pokes = () => events(records, "breaker-poked");

      await keeper.step(); // first sight: every entry (base, WETH, WBTC, global), recording reference prices
      expect(pokes().map((r) => r.fields.why)).to.deep.equal(["interval", "interval", "interval", "interval"]);
      await mine(1);
      await keeper.step(); // nothing changed, interval not over
      expect(pokes()).to.have.length(4);

      // WETH −13% from the recorded high: past half the 25% fall bound, the entry would tighten.
      await crash(f, "2600");
      expect((await breaker.entry(wethAddress)).level).to.equal(0n);
      await keeper.step();
      const changed = pokes().slice(4);
      expect(changed.map((r) => [r.fields.symbol, r.fields.why, r.fields.levelAfter])).to.deep.equal([
        ["WETH", "changed", "TIGHTEN"],
      ]);
      expect((await breaker.entry(wethAddress)).level).to.equal(1n);

      // An hour later (fresh feed rounds), every entry is poked again.
      await time.increase(3600);
      await f.market.heartbeat();
      await keeper.step();
      expect(
        pokes()
          .slice(5)
          .map((r) => r.fields.symbol),
      ).to.deep.equal(["USDC", "WETH", "WBTC", "global"]);
    });

    it("samples volatility of the collaterals that are due, then syncs the risk manager; not again before the interval", async function () {
      const f = await loadFixture(keeperFixture);
      const { volatility, riskManager } = f.risk;
      const wethAddress = await f.weth.getAddress();
      const { keeper, records } = await makeKeeper(f, { duties: { breaker: false } });
      expect(await volatility.isDue(wethAddress)).to.equal(true);
      const before = await volatility.state(wethAddress);

      await keeper.step();
      const first = await volatility.state(wethAddress);
      expect(first.lastUpdate).to.be.greaterThan(before.lastUpdate);
      expect(await volatility.isDue(wethAddress)).to.equal(false);
      const [updated] = events(records, "volatility-updated");
      expect(updated.fields.symbols).to.deep.equal(["WETH", "WBTC"]);
      expect(updated.fields.updated).to.equal(2n);
      expect(events(records, "risk-synced")).to.have.length(1);
      expect(await riskManager.queryFilter(riskManager.filters.CapsSynced())).to.have.length(2);

      await mine(1);
      await keeper.step();
      expect(events(records, "volatility-updated")).to.have.length(1);

      await time.increase(3600);
      await f.market.heartbeat();
      await keeper.step();
      expect(events(records, "volatility-updated")).to.have.length(2);
      const second = await volatility.state(wethAddress);
      expect(second.lastUpdate).to.be.greaterThanOrEqual(first.lastUpdate + 3600n);
      expect(second.samples).to.equal(first.samples + 1n);
    });
  });

  describe("the backstop's records (issue 26)", function () {
    it("checkpoints the backstop when exits close and when they reopen, and settles the income share once a day", async function () {
      const f = await loadFixture(keeperFixture);
      const { breaker } = f.market;
      const [owner] = await ethers.getSigners();
      const backstop = await stakedBackstop(f);
      const { keeper, records, contracts } = await makeKeeper(f, { duties: { volatility: false } });
      expect(await contracts.backstop?.getAddress()).to.equal(await backstop.getAddress());
      const checkpoints = () => events(records, "backstop-checkpoint").map((r) => r.fields.why);

      await keeper.step();
      expect(checkpoints()).to.deep.equal([]); // open, and recorded open
      expect(events(records, "backstop-income")).to.have.length(1);
      await mine(1);
      await keeper.step();
      expect(events(records, "backstop-income")).to.have.length(1); // not again within the day

      // The guardian queues lenders' withdrawals: exits close, and the keeper records it in the next block.
      await breaker.connect(owner).setGuardian(owner.address);
      await breaker.connect(owner).guardianTrip(ZeroAddress, 2);
      expect(await backstop.closedReason()).to.equal(3n); // a guardian's queue
      await keeper.step();
      expect(checkpoints()).to.deep.equal(["closed"]);
      expect(await backstop.closedSince()).to.be.greaterThan(0n);

      // The trip runs out; the keeper's breaker poke clears it and the checkpoint records exits open again.
      const { guardianCooldown } = await breaker.params();
      await time.increase(guardianCooldown + 1n);
      await f.market.heartbeat();
      await keeper.step();
      expect(await backstop.closedReason()).to.equal(0n);
      expect(checkpoints()).to.deep.equal(["closed", "reopened"]);
      expect(await backstop.closedSince()).to.equal(0n);
      expect(await backstop.closedTime()).to.be.greaterThanOrEqual(guardianCooldown);
      expect(events(records, "backstop-income")).to.have.length(2); // a day has passed
    });

    it("runs the backstop's allocator: puts idle cash above its target into a venue, and recalls a venue marked down", async function () {
      const f = await loadFixture(keeperFixture);
      const { usdc } = f.market;
      const [owner] = await ethers.getSigners();
      const backstop = await stakedBackstop(f);
      const venue = await ethers.deployContract("StressedVenue", [usdc]);
      const allocator = await ethers.deployContract("BackstopAllocator", [
        backstop,
        owner.address,
        f.keeperWallet.address,
        wad("0.2"),
      ]);
      await backstop.connect(owner).setAllocator(allocator);
      const limits = { cap: usd("8000"), depositCapacity: usd("5000"), withdrawCapacity: usd("5000"), period: 86_400 };
      await allocator.connect(owner).setVenue(venue, { ...limits, allowed: true });
      const venueAddress = await venue.getAddress();
      const { keeper, records } = await makeKeeper(f, {
        duties: { volatility: false },
        allocatorVenues: [venueAddress],
      });

      // Idle 10,000, floor 2,000, target 3,000: 7,000 would go, the day's deposit limit lets 5,000.
      await keeper.step();
      const [allocated] = events(records, "allocator-allocated");
      expect(allocated.fields.amount).to.equal(usd("5000"));
      expect((await backstop.venueValue(venue)).worth).to.be.within(usd("5000") - 1n, usd("5000"));
      await mine(1);
      await keeper.step();
      expect(events(records, "allocator-allocated")).to.have.length(1); // the limit is spent for now

      // The venue defaults on half: marked down, the keeper recalls what is left, as anyone may.
      await venue.lose(wad("0.5"));
      await mine(1);
      await keeper.step();
      const [recalled] = events(records, "allocator-recalled");
      expect(recalled.fields.reason).to.equal(4n); // MARKED_DOWN
      expect((await backstop.venueValue(venue)).worth).to.be.lessThanOrEqual(1n);
      expect(await backstop.idle()).to.be.within(usd("7500") - 2n, usd("7500"));
    });

    it("sizes an allocation by idle cash above the target, the cap's room and the rate limit", function () {
      // (free idle, floor, target multiple, cap room, deposit left)
      expect(allocationFor(usd("10000"), usd("2000"), wad("1.5"), usd("8000"), usd("5000"))).to.equal(usd("5000"));
      expect(allocationFor(usd("10000"), usd("2000"), wad("1.5"), usd("4000"), usd("5000"))).to.equal(usd("4000"));
      expect(allocationFor(usd("10000"), usd("2000"), wad("1.5"), usd("9000"), usd("9000"))).to.equal(usd("7000"));
      expect(allocationFor(usd("3000"), usd("2000"), wad("1.5"), usd("9000"), usd("9000"))).to.equal(0n);
      expect(allocationFor(usd("3000.5"), usd("2000"), wad("1.5"), usd("9000"), usd("9000"))).to.equal(0n); // dust
    });

    it("decides a checkpoint from the backstop's record, both sides' earmarks and the provisions' excess over reserves", function () {
      // (closedReason, closedSince, the backstop's earmark, the vault's, the provisions' excess over reserves)
      expect(checkpointReason(0n, 0n, 0n, 0n, 0n)).to.equal(undefined);
      expect(checkpointReason(1n, 0n, 5n, 5n, 5n)).to.equal("closed");
      expect(checkpointReason(2n, 100n, 0n, 0n, 0n)).to.equal(undefined);
      expect(checkpointReason(0n, 100n, 0n, 0n, 0n)).to.equal("reopened");
      expect(checkpointReason(1n, 100n, 5n, 5n, 3n)).to.equal("stale-earmark"); // reserves grew
      expect(checkpointReason(1n, 100n, 5n, 0n, 5n)).to.equal("stale-earmark"); // a call from the vault failed
      expect(checkpointReason(1n, 100n, 5n, 5n, 5n)).to.equal(undefined);
      expect(checkpointReason(1n, 100n, 5n, 5n, 9n, 4n)).to.equal("short-earmark"); // cash back from a venue
      expect(checkpointReason(1n, 100n, 5n, 5n, 9n, 0n)).to.equal(undefined); // nothing more to hold
      // Then, by time: lenders' queue due a record, and a mark of the recovery's prices.
      expect(dueReason(true, false)).to.equal("queue");
      expect(dueReason(true, true)).to.equal("queue");
      expect(dueReason(false, true)).to.equal("mark");
      expect(dueReason(false, false)).to.equal(undefined);
    });
  });

  describe("RPC errors", function () {
    it("retries a failing call with backoff and carries on", async function () {
      const f = await loadFixture(keeperFixture);
      await crash(f);
      const { keeper, records } = await makeKeeper(f);
      let failures = 2;
      const restore = intercept("getBlockNumber", (original) => () => {
        if (failures-- > 0) return Promise.reject(networkError());
        return original();
      });
      try {
        const result = await keeper.step();
        expect(result.status).to.equal("processed");
      } finally {
        restore();
      }
      const retries = events(records, "rpc-retry");
      expect(retries.map((r) => r.fields.attempt)).to.deep.equal([1, 2]);
      expect(retries[1].fields.retryInMs).to.equal(2); // doubled, capped
      expect(events(records, "liquidated")).to.have.length(2);
    });

    it("turns a step that keeps failing into a logged error and a longer wait, never a crash; recovers after", async function () {
      const f = await loadFixture(keeperFixture);
      await crash(f);
      const { keeper, records } = await makeKeeper(f);
      const restore = intercept("getLogs", () => () => Promise.reject(networkError()));
      const waits: number[] = [];
      try {
        for (let i = 0; i < 3; i++) {
          const result = await keeper.step();
          if (result.status !== "failed") expect.fail(`step ${i} should fail`);
          waits.push(result.retryInMs);
          expect(result.error).to.contain("connection reset");
        }
      } finally {
        restore();
      }
      expect(waits).to.deep.equal([100, 200, 400]); // pollIntervalMs doubling, capped at maxBackoffMs
      expect(events(records, "step-failed")).to.have.length(3);
      expect(events(records, "step-failed")[0].level).to.equal("error");
      const result = await keeper.step();
      expect(result.status).to.equal("processed");
      expect(events(records, "liquidated")).to.have.length(2);
    });

    it("run() follows the chain through failures, logs ready and stops cleanly", async function () {
      const f = await loadFixture(keeperFixture);
      let polls = 0;
      const restore = intercept("getBlockNumber", (original) => () => {
        polls++;
        return polls === 3 ? Promise.reject(new Error("ECONNREFUSED 127.0.0.1:8545")) : original();
      });
      const { logger, records } = memoryLogger();
      const contracts = await discoverContracts(
        f.keeperWallet,
        await f.market.vault.getAddress(),
        await f.market.lens.getAddress(),
      );
      let keeper: Keeper | undefined = undefined;
      let sleeps = 0;
      keeper = new Keeper(contracts, ethers.provider, f.keeperWallet, {
        logger,
        retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
        duties: { breaker: false, volatility: false },
        sleep: async () => {
          if (++sleeps >= 4) keeper?.stop();
        },
      });
      try {
        await keeper.run();
      } finally {
        restore();
      }
      const names = records.map((r) => r.event);
      expect(names).to.include("ready");
      expect(names).to.include("step-failed");
      expect(names.at(-1)).to.equal("stopped");
    });
  });

  describe("CLI", function () {
    it("rejects bad arguments with a message", function () {
      const bad: Array<[string[], RegExp]> = [
        [[], /--rpc URL is required/],
        [["--rpc", "localhost:8545"], /http\(s\) URL/],
        [["--rpc", "http://x", "--pool", "WETH"], /SYMBOL=ADDRESS/],
        [
          ["--rpc", "http://x", "--interval-ms", "fast"],
          /--interval-ms must be a whole number of 10 or more, got "fast"/,
        ],
        [
          ["--rpc", "http://x", "--max-per-block", "-3"],
          /^--max-per-block cannot be negative: give a whole number of 1 or more, not -3$/,
        ],
        [["--rpc", "http://x", "--liquidator", "0x12"], /--liquidator must be an address/],
        [["--rpc", "http://x", "--frobnicate"], /^unknown option --frobnicate$/],
        [["--rpc", "http://x", "--min-profit", "-1"], /--min-profit/],
      ];
      for (const [argv, message] of bad) expect(() => parseCliArgs(argv), argv.join(" ")).to.throw(UsageError, message);
      const ok = parseCliArgs([
        "--rpc",
        "http://127.0.0.1:8545",
        "--dry-run",
        "--pool",
        "WETH=0x000000000000000000000000000000000000dEaD",
        "--pool",
        "WBTC=0x000000000000000000000000000000000000bEEF",
        "--interval-ms",
        "500",
      ]);
      expect(ok).to.deep.include({
        rpc: "http://127.0.0.1:8545",
        dryRun: true,
        intervalMs: 500,
        keyEnv: "KEEPER_PRIVATE_KEY",
      });
      expect(ok === "help" ? [] : ok.pools.map((p) => p.asset)).to.deep.equal(["WETH", "WBTC"]);
    });

    it("says when the RPC cannot be reached, and refuses to send without a key (plain node, exit status)", async function () {
      const probe = await probeRpc("http://127.0.0.1:9", 2000).then(
        () => "reached",
        (error: unknown) => (error instanceof Error ? error.message : String(error)),
      );
      expect(probe).to.match(/^cannot reach the RPC at http:\/\/127\.0\.0\.1:9 \(.+\): is the node running\?$/);
      const env = { ...process.env, KEEPER_PRIVATE_KEY: "" };
      const run = (args: string[]) =>
        spawnSync(process.execPath, ["scripts/keeper.ts", ...args], { env, encoding: "utf8" });
      const unreachable = run(["--rpc", "http://127.0.0.1:9", "--dry-run"]);
      expect(unreachable.status).to.equal(1);
      expect(unreachable.stderr).to.contain("cannot reach the RPC");
      expect(JSON.parse(unreachable.stdout.trim())).to.deep.include({ level: "error", event: "fatal" });
      const keyless = run(["--rpc", "http://127.0.0.1:9"]);
      expect(keyless.status).to.equal(2);
      expect(keyless.stderr).to.contain("no private key: set KEEPER_PRIVATE_KEY");
    });
  });
});
