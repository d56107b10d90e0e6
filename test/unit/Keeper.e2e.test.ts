/**
 * The keeper end to end, as an operator runs it: an upstream `hardhat node` in a child process, Bulwark deployed to it
 * with Ignition (deploy/modules/BulwarkLocal.ts, deploy/parameters/localhost.json), a real Uniswap v3 WETH/USDC pool,
 * a lender and a borrower near its limit; then `node scripts/keeper.ts` in another child process, reading the
 * deployment record Ignition wrote. A WETH price fall through the feed makes the borrower liquidatable, and the keeper
 * liquidates it within one block, through its own flash liquidator. Both processes are stopped in `after()`, the
 * keeper by SIGINT (it logs `stopped` and exits 0).
 *
 * Then the security console (`node scripts/console.ts --rpc URL --deployment DIR`) follows the same deployment, as an
 * operator starts it: it finds the timelock and the upkeep from Ignition's record and the vault's deployment block
 * from its journal, shows the keeper's liquidation on its timeline and the borrower's health as the VaultLens reads it,
 * sees the upkeep perform, and raises an alert when the timelock's proposer schedules a risk-parameter change, naming
 * the function and its ETA. Then a reorg (the node reverted to a snapshot and mined other blocks) takes back a block
 * it had read: it notices, rewinds and drops that block's timeline entry.
 *
 * Lives in test/unit because that is mocha's test root (hardhat.config.ts `paths.tests.mocha`).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, rmdirSync, rmSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";

import { expect } from "chai";
import { MaxUint256 } from "ethers";
import { network } from "hardhat";

import BulwarkLocal from "../../deploy/modules/BulwarkLocal.js";
import type { ConsoleState } from "../../scripts/lib/console/server.js";
import type { TimelineEntry } from "../../scripts/lib/console/types.js";
import { loadParameters } from "../../scripts/lib/deployment.js";
import { deployPoolWithLiquidity, deployUniswapV3Factory } from "../../scripts/lib/uniswap.js";
import { chainIdAt, freePort } from "./helpers/forkMirror.js";
import { ConsoleProcess, getJson } from "./helpers/consoleProcess.js";
import {
  CollateralVault__factory,
  MockERC20__factory,
  SecurityOps__factory,
  TimelockController__factory,
  TestAggregator__factory,
  VaultLens__factory,
} from "../../typechain-types/index.js";
import { usd, wad, feedAnswer } from "../../scripts/lib/units.js";

const ROOT = process.cwd();
/** `npx hardhat`, without npx in between (so the PID is the node's). */
const HARDHAT_CLI = path.join(ROOT, "node_modules", "hardhat", "dist", "src", "cli.js");
const PARAMETERS = "deploy/parameters/localhost.json";
const DEPLOYMENT_ID = `e2e-keeper-${process.pid}-${Date.now()}`;
const DEPLOYMENTS = path.join(ROOT, "deploy", "deployments");
const DEPLOYMENT_DIR = path.join(DEPLOYMENTS, DEPLOYMENT_ID);
/** Whether deploy/deployments/ was there before this file ran (if not, it is removed again when left empty). */
const HAD_DEPLOYMENTS = existsSync(DEPLOYMENTS);
/** Hardhat's default account #6 (the node's accounts come from the default mnemonic): the keeper's wallet. */
const KEEPER_KEY = "0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e";
const KEEPER_ADDRESS = "0x976EA74026E726554dB657fA54763abd0C3a0aa9";

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
/** A timeout for a race: does not keep the process alive once the race is won. */
const timeout = (ms: number): Promise<"timeout"> =>
  new Promise((resolve) => setTimeout(() => resolve("timeout"), ms).unref());

/** One JSON line of the keeper's stdout. */
type KeeperLog = { event: string; level: string } & Record<string, unknown>;

/** The keeper child: its records so far, and waits for one that matches. */
class KeeperProcess {
  readonly records: KeeperLog[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<number | null>;
  private waiters: Array<() => void> = [];

  constructor(readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on("line", (line) => {
      try {
        this.records.push(JSON.parse(line) as KeeperLog);
      } catch {
        this.stderr.push(`(stdout) ${line}`);
      }
      for (const wake of this.waiters.splice(0)) wake();
    });
    child.stderr!.on("data", (chunk: Buffer) => this.stderr.push(chunk.toString()));
    this.exited = new Promise((resolve) =>
      child.on("exit", (code) => {
        resolve(code);
        for (const wake of this.waiters.splice(0)) wake();
      }),
    );
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The first record matching `match`, waiting up to `timeoutMs` for it; fails with the log so far. */
  async waitFor(match: (record: KeeperLog) => boolean, what: string, timeoutMs: number): Promise<KeeperLog> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.records.find(match);
      if (found !== undefined) return found;
      if (!this.running) throw new Error(`keeper exited before ${what}:\n${this.dump()}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${what} from the keeper within ${timeoutMs} ms:\n${this.dump()}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, Math.min(left, 500));
      });
    }
  }

  dump(): string {
    return [...this.records.map((r) => JSON.stringify(r)), ...this.stderr].slice(-40).join("\n");
  }
}

describe("Keeper and security console, end to end (hardhat node + Ignition deployment + their CLIs)", function () {
  this.timeout(90_000);

  let node: ChildProcess | undefined;
  let nodeOutput = "";
  let keeper: KeeperProcess | undefined;
  let monitor: ConsoleProcess | undefined;
  let deployedAt: { timelock: string; securityOps: string; vault: string; lens: string } | undefined;
  let url = "";
  let closeConnection: (() => Promise<void>) | undefined;

  before(async function () {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    // Its own process group (detached), so that stopping it stops anything it started.
    node = spawn(process.execPath, [HARDHAT_CLI, "node", "--port", String(port)], {
      cwd: ROOT,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    // Keep the last few kB of its (verbose) output for the failure message, and keep the pipes drained.
    const keep = (chunk: Buffer): void => {
      nodeOutput = (nodeOutput + chunk.toString()).slice(-4000);
    };
    node.stdout!.on("data", keep);
    node.stderr!.on("data", keep);
    const deadline = Date.now() + 30_000;
    while ((await chainIdAt(url)) === undefined) {
      if (node.exitCode !== null || node.signalCode !== null)
        throw new Error(`hardhat node exited (${node.exitCode ?? node.signalCode}):\n${nodeOutput}`);
      if (Date.now() > deadline) throw new Error(`hardhat node did not answer on ${url} within 30 s:\n${nodeOutput}`);
      await sleep(200);
    }
  });

  after(async function () {
    this.timeout(30_000);
    const problems: string[] = [];
    if (keeper !== undefined && keeper.running) {
      keeper.child.kill("SIGINT");
      const code = await Promise.race([keeper.exited, timeout(20_000)]);
      if (code === "timeout") {
        keeper.child.kill("SIGKILL");
        problems.push(`the keeper did not exit within 20 s of SIGINT:\n${keeper.dump()}`);
      } else {
        if (code !== 0) problems.push(`the keeper exited with ${code} after SIGINT:\n${keeper.dump()}`);
        if (!keeper.records.some((r) => r.event === "stopped"))
          problems.push(`the keeper did not log "stopped":\n${keeper.dump()}`);
      }
    }
    if (monitor !== undefined && (await monitor.stop()) !== 0) problems.push(`the console did not exit cleanly`);
    await closeConnection?.().catch(() => undefined);
    if (node?.pid !== undefined && node.exitCode === null && node.signalCode === null) {
      const exited = new Promise((resolve) => node!.on("exit", resolve));
      try {
        process.kill(-node.pid, "SIGTERM");
      } catch {
        node.kill("SIGTERM");
      }
      if ((await Promise.race([exited, timeout(5000)])) === "timeout") {
        try {
          process.kill(-node.pid, "SIGKILL");
        } catch {
          node.kill("SIGKILL");
        }
      }
    }
    rmSync(DEPLOYMENT_DIR, { recursive: true, force: true });
    if (!HAD_DEPLOYMENTS) {
      try {
        rmdirSync(DEPLOYMENTS); // only if empty: another deployment may have been written there meanwhile
      } catch {
        // not empty, or already gone
      }
    }
    if (problems.length > 0) throw new Error(problems.join("\n\n"));
  });

  it("liquidates a borrower within one block of a price fall making it liquidatable", async function () {
    // Hardhat's built-in `localhost` network, pointed at the node's port.
    const connection = await network.create({ network: "localhost", override: { url } });
    closeConnection = () => connection.close();
    const { ethers, ignition, networkHelpers } = connection;
    const { time } = networkHelpers;
    const [deployer, , , , lender, borrower, keeperSigner] = await ethers.getSigners();
    expect(keeperSigner.address).to.equal(KEEPER_ADDRESS); // the test itself sends nothing from the keeper's wallet

    // ---------------------------------------------------------------- deploy, as `ignition deploy --network localhost`
    const deployed = await ignition.deploy(BulwarkLocal, {
      parameters: PARAMETERS,
      deploymentId: DEPLOYMENT_ID,
      config: { requiredConfirmations: 1 },
    });
    const params = loadParameters(PARAMETERS);
    const vaultAddress = await deployed.vault.getAddress();
    deployedAt = {
      timelock: await deployed.timelock.getAddress(),
      securityOps: await deployed.securityOps.getAddress(),
      vault: vaultAddress,
      lens: await deployed.lens.getAddress(),
    };
    const wethAddress = await deployed.WETH.getAddress();
    const vault = CollateralVault__factory.connect(vaultAddress, ethers.provider);
    const lens = VaultLens__factory.connect(await deployed.lens.getAddress(), ethers.provider);
    const usdc = MockERC20__factory.connect(await deployed.USDC.getAddress(), deployer);
    const weth = MockERC20__factory.connect(wethAddress, deployer);
    const feeds = await Promise.all(
      [deployed.USDCFeed, deployed.WETHFeed, deployed.WBTCFeed].map(async (feed) =>
        TestAggregator__factory.connect(await feed.getAddress(), deployer),
      ),
    );
    const wethFeed = feeds[1];

    // ---------------------------------------------------------------- a WETH/USDC pool at $3,000 with 200 WETH in it
    const factory = await deployUniswapV3Factory(ethers, deployer);
    const { pool } = await deployPoolWithLiquidity(ethers, factory, weth, usdc, wad("3000"), wad("200"));
    const poolAddress = await pool.getAddress();

    // ---------------------------------------------------------------- a lender, and a borrower near its limit
    await (await usdc.connect(lender).mint(lender.address, usd("1000000"))).wait();
    await (await usdc.connect(lender).approve(vaultAddress, MaxUint256)).wait();
    await (await vault.connect(lender).deposit(usd("1000000"), lender.address)).wait();
    await (await weth.connect(borrower).mint(borrower.address, wad("10"))).wait();
    await (await weth.connect(borrower).approve(vaultAddress, MaxUint256)).wait();
    await (await vault.connect(borrower).depositCollateral(wethAddress, wad("10"), borrower.address)).wait();
    // A new outflow window (its limit is a share of the cash lent); the feeds publish fresh rounds meanwhile (1-hour
    // heartbeat).
    await time.increase(params.core.defaultTriggers.outflowWindow);
    for (const feed of feeds) await (await feed.push((await feed.latestRoundData())[1])).wait();
    // 10 WETH at $3,000 (80% LTV: up to $24,000) back $23,000: health 25,500 / 23,000 = 1.109 at the 85% threshold.
    await (await vault.connect(borrower).borrow(usd("23000"), borrower.address)).wait();
    expect(await vault.isLiquidatable(borrower.address)).to.equal(false);

    // ---------------------------------------------------------------- the keeper, as an operator starts it
    const child = spawn(
      process.execPath,
      [
        "scripts/keeper.ts",
        "--rpc",
        url,
        "--deployment",
        DEPLOYMENT_DIR,
        "--pool",
        `WETH=${poolAddress}`,
        "--key-env",
        "BULWARK_E2E_KEEPER_KEY",
        "--interval-ms",
        "100",
      ],
      { cwd: ROOT, env: { ...process.env, BULWARK_E2E_KEEPER_KEY: KEEPER_KEY }, stdio: ["ignore", "pipe", "pipe"] },
    );
    keeper = new KeeperProcess(child);
    await keeper.waitFor((r) => r.event === "ready", '"ready"', 45_000);
    expect(keeper.records.find((r) => r.event === "pool-set")).to.include({
      collateral: wethAddress,
      pool: poolAddress,
    });
    expect(keeper.records.filter((r) => r.event === "liquidated")).to.deep.equal([]);

    // ---------------------------------------------------------------- WETH falls 13% in one round: 22,100 < 23,000
    const debtBefore = await vault.debtOf(borrower.address);
    const crash = await (await wethFeed.push(feedAnswer("2600"))).wait();
    const crashBlock = crash!.blockNumber;
    expect(await vault.isLiquidatable(borrower.address, { blockTag: crashBlock })).to.equal(true);
    expect(await vault.isLiquidatable(borrower.address, { blockTag: crashBlock - 1 })).to.equal(false);

    const liquidated = await keeper.waitFor(
      (r) => r.event === "liquidated" && String(r.borrower).toLowerCase() === borrower.address.toLowerCase(),
      `"liquidated" for ${borrower.address}`,
      60_000,
    );
    expect(liquidated.collateral).to.equal(wethAddress);
    const receipt = await ethers.provider.getTransactionReceipt(String(liquidated.txHash));
    expect(receipt?.status).to.equal(1);
    expect(receipt!.blockNumber).to.equal(Number(liquidated.block));
    expect(receipt!.blockNumber, keeper.dump()).to.be.at.most(crashBlock + 1);

    // Debt repaid, health restored, and the liquidator (not the keeper's wallet) kept the profit.
    expect(await vault.debtOf(borrower.address)).to.be.lessThan(debtBefore);
    expect(await vault.isLiquidatable(borrower.address)).to.equal(false);
    expect(await lens.healthFactor(vault, borrower.address)).to.be.greaterThan(wad("1"));
    expect(BigInt(String(liquidated.repaid))).to.be.greaterThan(0n);
    expect(BigInt(String(liquidated.profit))).to.be.greaterThan(0n);
  });

  it("is followed by the security console: the liquidation on its timeline, the upkeep, a scheduled risk change", async function () {
    if (deployedAt === undefined) this.skip();
    const { ethers } = await network.create({ network: "localhost", override: { url } });
    const signers = await ethers.getSigners();
    monitor = new ConsoleProcess([
      "--rpc",
      url,
      "--deployment",
      DEPLOYMENT_DIR,
      "--port",
      "0",
      "--interval-ms",
      "100",
      "--confirmations",
      "0",
      "--db",
      path.join(DEPLOYMENT_DIR, "console.sqlite"),
    ]);
    const page = await monitor.url();
    const connected = await monitor.waitFor((l) => l.event === "connected", 45_000, "the console's connection");
    const roles = connected.contracts as Record<string, string>;
    expect(roles.timelock).to.equal(deployedAt!.timelock);
    expect(roles.upkeep).to.equal(deployedAt!.securityOps);
    expect(roles.vault).to.equal(deployedAt!.vault);
    // Read from the vault's deployment block (Ignition's journal): the keeper's liquidation is on the timeline, though
    // it came before the console started (so it raised no alert).
    let state = await getJson<ConsoleState>(`${page}api/state`);
    for (let i = 0; state.view === null && i < 100; i++) {
      await sleep(100);
      state = await getJson<ConsoleState>(`${page}api/state`);
    }
    expect(state.view?.market.totalBorrows).to.be.greaterThan(0);
    expect(state.view?.defences.keeper.lastAction).to.match(/^liquidated 0x/);
    const lens = VaultLens__factory.connect(deployedAt!.lens, ethers.provider);
    const [row] = state.view!.accounts.closest;
    const factor = await lens.healthFactor(deployedAt!.vault, row.account, { blockTag: state.view!.block });
    expect(row.health).to.equal(Number(ethers.formatUnits(factor, 18)));
    expect(state.idleRules, "the upkeep rule has an upkeep to watch").to.deep.equal([]);
    const history = await getJson<{ entries: TimelineEntry[] }>(`${page}api/history?hours=1`);
    expect(history.entries.map((e) => e.name)).to.include("LiquidationExecuted");
    expect(monitor.alerts().filter((a) => String(a.message).startsWith("liquidated"))).to.deep.equal([]);

    // The upkeep performs (anyone may send what checkUpkeep finds): the console sees it.
    const upkeep = SecurityOps__factory.connect(deployedAt!.securityOps, signers[0]);
    const [needed, work] = await upkeep.checkUpkeep.staticCall("0x");
    expect(needed, "the upkeep has work after the crash").to.equal(true);
    const performed = await (await upkeep.performUpkeep(work)).wait();
    for (let i = 0; i < 100; i++) {
      state = await getJson<ConsoleState>(`${page}api/state`);
      if (state.view?.defences.upkeep?.lastPerformedBlock === performed!.blockNumber) break;
      await sleep(100);
    }
    expect(state.view?.defences.upkeep?.lastPerformedBlock).to.equal(performed!.blockNumber);

    // The timelock's proposer (Hardhat's account #1 in localhost.json) schedules a lower borrow cap: one alert.
    const proposer = signers[1];
    const timelock = TimelockController__factory.connect(deployedAt!.timelock, proposer);
    const vault = CollateralVault__factory.connect(deployedAt!.vault, proposer);
    const data = vault.interface.encodeFunctionData("setBorrowCap", [usd("500000")]);
    const delay = await timelock.getMinDelay();
    const scheduled = await (
      await timelock.schedule(deployedAt!.vault, 0n, data, ethers.ZeroHash, ethers.id("console-e2e"), delay)
    ).wait();
    const alert = await monitor.waitFor(
      (l) => l.event === "alert" && l.rule === "risk-parameter-scheduled",
      15_000,
      "the timelock alert",
    );
    expect(alert.block).to.equal(scheduled!.blockNumber);
    expect(String(alert.message)).to.match(
      /^timelock scheduled vault\.setBorrowCap\(500000000000\), executable from \d{4}-\d\d-\d\dT/,
    );
    const eta = (await ethers.provider.getBlock(scheduled!.blockNumber))!.timestamp + Number(delay);
    expect(String(alert.message)).to.include(new Date(eta * 1000).toISOString().replace(".000Z", "Z"));

    // A reorg takes back a block the console read (with no confirmations): it notices, rewinds, and the block's entry
    // leaves the timeline; the alert it raised stays in the history, as said.
    const snapshot = (await ethers.provider.send("evm_snapshot", [])) as string;
    const doomed = await (
      await timelock.schedule(deployedAt!.vault, 0n, data, ethers.ZeroHash, ethers.id("console-e2e-doomed"), delay)
    ).wait();
    await monitor.waitFor(
      (l) => l.event === "alert" && l.rule === "risk-parameter-scheduled" && l.block === doomed!.blockNumber,
      15_000,
      "the alert of the block to be reorganised away",
    );
    expect(await ethers.provider.send("evm_revert", [snapshot])).to.equal(true);
    for (let i = 0; i < 3; i++) await ethers.provider.send("evm_mine", []);
    const reorg = await monitor.waitFor((l) => l.event === "reorg", 15_000, "the reorg");
    expect(reorg.lost).to.equal(doomed!.blockNumber);
    const head = await ethers.provider.getBlockNumber();
    for (let i = 0; i < 100 && (state.view?.block ?? 0) < head; i++) {
      await sleep(100);
      state = await getJson<ConsoleState>(`${page}api/state`);
    }
    const after = await getJson<{ entries: TimelineEntry[]; alerts: Array<{ block: number }> }>(
      `${page}api/history?hours=1`,
    );
    expect(after.entries.filter((e) => e.block === doomed!.blockNumber)).to.deep.equal([]);
    expect(after.entries.filter((e) => e.block === scheduled!.blockNumber).map((e) => e.name)).to.include(
      "CallScheduled",
    );
    expect(after.alerts.some((a) => a.block === doomed!.blockNumber)).to.equal(true);
  });
});
