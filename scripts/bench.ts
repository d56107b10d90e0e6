/**
 * `npm run bench`: transaction-level gas of every user operation of the vault, from one fixed scenario on the
 * in-process chain, printed as a table and written to bench/gas.json.
 *
 * The market is warm before anything is measured: another lender supplies, another borrower holds WETH and WBTC
 * and owes USDC, and a day has passed, so every measured call that accrues interest really moves the borrow
 * index. Every transaction is mined 12 s after the previous one (see Timeline), so the figures are identical on
 * every run. Unlimited approvals are given beforehand and not measured.
 *
 * Then Bulwark side by side with Morpho Blue (compiled from its npm source): the same user operations and liquidations
 * on both, on the same tokens, feeds and rate curve, written to bench/results.json. `BULWARK_BENCH_ONLY=morpho npm run
 * bench` runs only that part.
 *
 * Then the crash simulation's speed: a one-day, 1-minute path against 1,000 borrowers (wall time, steps per second),
 * written to bench/simulation.json. `BULWARK_BENCH_ONLY=simulation npm run bench` runs only that part.
 *
 * Then solvency side by side: every shipped crash path against Bulwark (static and adaptive parameters) and Morpho
 * Blue, the same 200 borrowers on each: bad debt, liquidations and lenders' loss, written to bench/solvency.json.
 * `BULWARK_BENCH_ONLY=solvency npm run bench` runs only that part (about half an hour on 2 cores: luna-2022 alone is
 * 10,145 one-minute steps).
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import type { HardhatEthers, HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import type { ContractTransactionReceipt, ContractTransactionResponse } from "ethers";
import { MaxUint256, parseUnits } from "ethers";
import hre, { network } from "hardhat";
import type { SolidityBuildInfo } from "hardhat/types/solidity";

import { DAY, Timeline } from "./lib/chain.js";
import { runScript } from "./lib/scriptRunner.js";
import { formatGas, formatToken, renderTable } from "./lib/format.js";
import { DEFAULT_SECURITY_OPS_CONFIG } from "./lib/automation.js";
import {
  type ChainlinkMarket,
  collateral,
  DEFAULT_COLLATERALS,
  deployChainlinkMarket,
  feedConfig,
  PERMISSIVE_TRIGGERS,
} from "./lib/testMarket.js";
import { createMorphoMarket, deployMorpho, MORPHO_EVENTS } from "./lib/morpho.js";
import { deployRiskModules } from "./lib/risk.js";
import { deployPoolWithLiquidity, deployUniswapV3Factory } from "./lib/uniswap.js";
import { BENCH_ACCOUNTS, BENCH_FILE, benchSimulation } from "./lib/bench/simulationSpeed.js";
import { formatUsd } from "./lib/sim/html.js";
import { goalVerdicts, solvencyBench, SOLVENCY_ACCOUNTS, SOLVENCY_SEED } from "./lib/sim/solvency.js";
import { fundAndApprove } from "./lib/tokens.js";
import { btc, eth, usd } from "./lib/units.js";
import type { SecurityOps } from "../typechain-types/index.js";

const OUTPUT = path.join("bench", "gas.json");
const SIM_OUTPUT = path.join("bench", "simulation.json");
const PEER_OUTPUT = path.join("bench", "results.json");
const SOLVENCY_OUTPUT = path.join("bench", "solvency.json");
const COMMAND = "npm run bench";

/** Published transaction-level figures of comparable operations elsewhere; not measured here. */
const REFERENCE = {
  supply: "Aave v3.6 supply ≈142–172k; Compound III supply base <124k",
  supplyCollateral: "Compound III supply collateral <153k",
  borrow: "Aave v3.6 borrow ≈215–250k",
  repay: "Aave v3.6 repay ≈158–162k",
  withdrawCollateral: "Compound III withdraw collateral <85k",
  liquidate: "Morpho Blue liquidate: side by side below (bench/results.json)",
} as const;

interface Measurement {
  /** Key in bench/gas.json. */
  name: string;
  /** What exactly was measured. */
  scenario: string;
  reference?: string;
  gas: bigint;
}

interface Machine {
  os: string;
  cpu: string;
  cores: number;
}

interface GasReport {
  machine: Machine;
  command: string;
  solc: string;
  optimizerRuns: number;
  operations: Record<string, number>;
}

function machine(): Machine {
  const cpus = os.cpus();
  return {
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    cpu: cpus[0]?.model.trim() ?? "unknown",
    cores: cpus.length,
  };
}

interface CompilerSettings {
  solc: string;
  optimizerRuns: number;
  viaIR: boolean;
  evmVersion: string;
}

/** Compiler version and settings of the build that produced `contract`'s measured bytecode. */
async function compilerSettings(contract: string): Promise<CompilerSettings> {
  const id = await hre.artifacts.getBuildInfoId(contract);
  const file = id === undefined ? undefined : await hre.artifacts.getBuildInfoPath(id);
  if (file === undefined) throw new Error(`no build info for ${contract}: run \`node scripts/build.ts\``);
  const buildInfo = JSON.parse(await readFile(file, "utf8")) as SolidityBuildInfo;
  const { optimizer, viaIR, evmVersion } = buildInfo.input.settings;
  if (optimizer.enabled !== true || optimizer.runs === undefined) {
    throw new Error(`${contract} was built without the optimizer (${JSON.stringify(optimizer)})`);
  }
  return {
    solc: buildInfo.solcVersion,
    optimizerRuns: optimizer.runs,
    viaIR: viaIR === true,
    evmVersion: evmVersion ?? "default",
  };
}

/** Parts of the bench `BULWARK_BENCH_ONLY` may select; unset, all of them run. */
const BENCH_PARTS = ["gas", "morpho", "simulation", "solvency"] as const;

async function main(): Promise<void> {
  const only = process.env.BULWARK_BENCH_ONLY ?? "";
  if (only !== "" && !(BENCH_PARTS as readonly string[]).includes(only)) {
    throw new Error(`BULWARK_BENCH_ONLY must be one of ${BENCH_PARTS.join(", ")} (or unset), got "${only}"`);
  }
  if (only === "" || only === "gas") await gasBench();
  if (only === "" || only === "morpho") await morphoBench();
  if (only === "" || only === "simulation") await simulationBench();
  if (only === "" || only === "solvency") await solvencyPart();
}

/**
 * Solvency side by side (scripts/lib/sim/solvency.ts): every shipped crash path, Bulwark static and adaptive against
 * Morpho Blue, one table. The figures are deterministic (same seed, fixed clock); the wall times are the machine's.
 */
async function solvencyPart(): Promise<void> {
  const workers = Number(process.env.BULWARK_BENCH_WORKERS ?? Math.min(2, os.cpus().length));
  if (!Number.isInteger(workers) || workers < 1) throw new Error("BULWARK_BENCH_WORKERS must be a positive integer");
  console.log(
    `\nSolvency: every shipped crash path against Bulwark (static, adaptive) and Morpho Blue, ${SOLVENCY_ACCOUNTS} ` +
      `borrowers (seed ${SOLVENCY_SEED}), ${workers} run(s) at a time`,
  );
  const started = performance.now();
  const rows = await solvencyBench({ workers, log: (line) => console.log(line) });
  console.log(
    `\n${renderTable(
      [
        { header: "Scenario" },
        { header: "Steps", align: "right" },
        { header: "Run" },
        { header: "Bad debt", align: "right" },
        { header: "% of borrows", align: "right" },
        { header: "Liquidations", align: "right" },
        { header: "Lender loss", align: "right" },
        { header: "Open shortfall", align: "right" },
      ],
      rows.map((r) => [
        r.scenario,
        String(r.steps),
        r.mode,
        formatUsd(r.badDebtUsd),
        `${r.badDebtPctOfBorrows.toFixed(2)}%`,
        r.liquidations.toLocaleString("en-US"),
        `${r.lenderLossPct.toFixed(2)}%`,
        formatUsd(r.openShortfallUsd),
      ]),
    )}`,
  );
  const verdicts = goalVerdicts(rows);
  console.log(
    `Open shortfall: debt still open at the end that its collateral does not cover, at the path's last prices ` +
      `(a loss not written off yet).\n\nGoal: less bad debt than the Morpho market on every shipped path.\n${renderTable(
        [{ header: "Scenario" }, { header: "static", align: "right" }, { header: "adaptive", align: "right" }],
        verdicts.map((v) => [v.scenario, v.static, v.adaptive]),
      )}`,
  );
  const minutes = (performance.now() - started) / 60_000;
  const report = {
    machine: machine(),
    command: `${COMMAND} (or BULWARK_BENCH_ONLY=solvency ${COMMAND})`,
    accounts: SOLVENCY_ACCOUNTS,
    seed: SOLVENCY_SEED,
    workers,
    wallMinutes: Number(minutes.toFixed(1)),
    runs: rows,
    goal: verdicts,
  };
  await mkdir(path.dirname(SOLVENCY_OUTPUT), { recursive: true });
  await writeFile(SOLVENCY_OUTPUT, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`${rows.length} runs in ${minutes.toFixed(1)} min. Wrote ${SOLVENCY_OUTPUT}.`);
}

/**
 * The crash simulation's speed (scripts/lib/bench/simulationSpeed.ts): a one-day, 1-minute path with 1,000 accounts. Wall times
 * depend on the machine; they go to bench/simulation.json, apart from the deterministic gas figures.
 */
async function simulationBench(): Promise<void> {
  console.log(
    `\nSimulation: ${BENCH_ACCOUNTS} borrowers, one day of LUNA at 1-minute closes (${BENCH_FILE}, 2022-05-10)`,
  );
  const run = await benchSimulation();
  const figures = {
    machine: machine(),
    command: COMMAND,
    path: `${BENCH_FILE}, 2022-05-10 00:00-23:59 UTC`,
    accounts: BENCH_ACCOUNTS,
    steps: run.steps,
    blocks: run.blocks,
    setupSeconds: Number(run.setupSeconds.toFixed(1)),
    wallSeconds: Number(run.wallSeconds.toFixed(1)),
    stepsPerSecond: Number(run.stepsPerSecond.toFixed(1)),
    liquidations: run.liquidations,
    badDebtPctOfBorrows: Number(run.badDebt.pctOfInitialBorrows.toFixed(4)),
  };
  console.log(
    renderTable(
      [{ header: "Simulation" }, { header: "Value", align: "right" }],
      [
        ["steps (path points)", String(figures.steps)],
        ["blocks mined", String(figures.blocks)],
        ["setup (deploy, 1,000 positions, pools)", `${figures.setupSeconds} s`],
        ["replay wall time", `${figures.wallSeconds} s`],
        ["steps per second", String(figures.stepsPerSecond)],
        ["total (setup + replay)", `${(figures.setupSeconds + figures.wallSeconds).toFixed(1)} s`],
        ["liquidations", String(figures.liquidations)],
      ],
    ),
  );
  await mkdir(path.dirname(SIM_OUTPUT), { recursive: true });
  await writeFile(SIM_OUTPUT, `${JSON.stringify(figures, null, 2)}\n`);
  console.log(`Wrote ${SIM_OUTPUT}.`);
}

async function gasBench(): Promise<void> {
  const { ethers, networkHelpers } = await network.create();
  const [, warmLender, warmBorrower, lender, borrower] = await ethers.getSigners();
  const market = await deployChainlinkMarket(ethers);
  // Two more for the breaker's overhead (with and without it), deployed before the scripted timeline starts.
  const overheadMarkets = [
    await deployChainlinkMarket(ethers),
    await deployChainlinkMarket(ethers, { wireBreaker: false }),
  ];
  // The upkeep's market: its own, so its borrowers and crash leave the measured market alone.
  const ops = await prepareSecurityOps(ethers);
  // Adaptive risk on the measured market, wired before the timeline starts (vault operations never call it).
  const risk = await deployRiskModules(ethers, market.vault, { collaterals: market.collaterals });
  const timeline = await Timeline.start(networkHelpers);
  const heartbeat = () => market.heartbeat((action) => timeline.send(action));
  await heartbeat(); // fresh rounds on the scripted timeline
  const { vault, usdc } = market;
  const weth = collateral(market, "WETH");
  const wbtc = collateral(market, "WBTC");
  const vaultAddress = await vault.getAddress();
  const wethAddress = await weth.getAddress();
  const shareDecimals = Number(await vault.decimals());
  const shareUnits = (amount: string): bigint => parseUnits(amount, shareDecimals);

  // ---------------------------------------------------------------- setup (not measured)
  console.log("Setting up: tokens and approvals, a warm market (lender, borrower with WETH + WBTC, 1 day of interest)");
  await fundAndApprove(timeline, usdc, warmLender, usd("2000000"), vaultAddress);
  await fundAndApprove(timeline, weth, warmBorrower, eth("100"), vaultAddress);
  await fundAndApprove(timeline, wbtc, warmBorrower, btc("2"), vaultAddress);
  await fundAndApprove(timeline, usdc, lender, usd("200000"), vaultAddress);
  await fundAndApprove(timeline, weth, borrower, eth("50"), vaultAddress);
  await fundAndApprove(timeline, wbtc, borrower, btc("2"), vaultAddress);
  // Covers the interest on the full repayment; the borrower never drains a balance to zero.
  await fundAndApprove(timeline, usdc, borrower, usd("1000"), vaultAddress);

  await timeline.send(() => vault.connect(warmLender).deposit(usd("1000000"), warmLender.address));
  await timeline.send(() => vault.connect(warmBorrower).depositCollateral(weth.target, eth("100"), warmBorrower));
  await timeline.send(() => vault.connect(warmBorrower).depositCollateral(wbtc.target, btc("2"), warmBorrower));
  await timeline.send(() => vault.connect(warmBorrower).borrow(usd("200000"), warmBorrower.address));
  await timeline.advance(DAY);
  await heartbeat(); // a day later every feed has published again, as Chainlink's would

  // ---------------------------------------------------------------- measured
  console.log("Measuring: one transaction per operation, each 12 s after the previous one\n");
  const interestTopic = vault.interface.getEvent("InterestAccrued").topicHash;
  const measurements: Measurement[] = [];
  /**
   * Sends one transaction and records its receipt's gasUsed. `accrues` states whether the operation must accrue
   * interest in this scenario; the receipt is checked against it so that the scenario stays what it says.
   */
  const measure = async (
    entry: Omit<Measurement, "gas"> & { accrues: boolean },
    action: () => Promise<ContractTransactionResponse>,
  ): Promise<ContractTransactionReceipt> => {
    const receipt = await timeline.send(action);
    const accrued = receipt.logs.some((log) => log.topics[0] === interestTopic);
    if (accrued !== entry.accrues) {
      throw new Error(`scenario drifted: ${entry.name} ${accrued ? "accrued" : "did not accrue"} interest`);
    }
    measurements.push({ name: entry.name, scenario: entry.scenario, reference: entry.reference, gas: receipt.gasUsed });
    return receipt;
  };
  const expect = (condition: boolean, message: string): void => {
    if (!condition) throw new Error(`scenario drifted: ${message}`);
  };
  const vaultAs = (signer: HardhatEthersSigner) => vault.connect(signer);

  // Lender side.
  await measure(
    {
      name: "deposit.first",
      scenario: "lender's first deposit, 50,000 USDC",
      reference: REFERENCE.supply,
      accrues: true,
    },
    () => vaultAs(lender).deposit(usd("50000"), lender.address),
  );
  await measure(
    {
      name: "deposit.subsequent",
      scenario: "same lender again, 25,000 USDC",
      reference: REFERENCE.supply,
      accrues: true,
    },
    () => vaultAs(lender).deposit(usd("25000"), lender.address),
  );
  await measure(
    {
      name: "mint",
      scenario: "same lender mints 10,000 shares (≈10,000 USDC)",
      reference: REFERENCE.supply,
      accrues: true,
    },
    () => vaultAs(lender).mint(shareUnits("10000"), lender.address),
  );

  // Borrower side.
  await measure(
    {
      name: "depositCollateral.firstAsset",
      scenario: "borrower's first collateral, 20 WETH",
      reference: REFERENCE.supplyCollateral,
      accrues: false,
    },
    () => vaultAs(borrower).depositCollateral(weth.target, eth("20"), borrower.address),
  );
  await measure(
    {
      name: "depositCollateral.secondAsset",
      scenario: "second asset for the same borrower, 1 WBTC",
      reference: REFERENCE.supplyCollateral,
      accrues: false,
    },
    () => vaultAs(borrower).depositCollateral(wbtc.target, btc("1"), borrower.address),
  );
  expect((await vault.debtOf(borrower.address)) === 0n, "borrower has debt before the first borrow");
  await measure(
    {
      name: "borrow.first",
      scenario: "first borrow, 30,000 USDC against WETH + WBTC",
      reference: REFERENCE.borrow,
      accrues: true,
    },
    () => vaultAs(borrower).borrow(usd("30000"), borrower.address),
  );
  await measure(
    {
      name: "borrow.subsequent",
      scenario: "same borrower, 10,000 USDC more",
      reference: REFERENCE.borrow,
      accrues: true,
    },
    () => vaultAs(borrower).borrow(usd("10000"), borrower.address),
  );
  await measure(
    { name: "repay.partial", scenario: "repay 15,000 USDC of ≈40,000", reference: REFERENCE.repay, accrues: true },
    () => vaultAs(borrower).repay(usd("15000"), borrower.address),
  );
  await measure(
    {
      name: "withdrawCollateral.partialWithDebt",
      scenario: "5 of 20 WETH, debt outstanding (limit check)",
      reference: REFERENCE.withdrawCollateral,
      accrues: true,
    },
    () => vaultAs(borrower).withdrawCollateral(weth.target, eth("5"), borrower.address),
  );
  await measure(
    {
      name: "repay.full",
      scenario: "repay all with type(uint256).max",
      reference: REFERENCE.repay,
      accrues: true,
    },
    () => vaultAs(borrower).repay(MaxUint256, borrower.address),
  );
  expect((await vault.debtOf(borrower.address)) === 0n, "debt left after the full repayment");
  await measure(
    {
      name: "withdrawCollateral.fullNoDebt",
      scenario: "all 15 WETH (uint256 max), no debt: no price read, no accrual",
      reference: REFERENCE.withdrawCollateral,
      accrues: false,
    },
    () => vaultAs(borrower).withdrawCollateral(weth.target, MaxUint256, borrower.address),
  );
  expect((await vault.collateralOf(borrower.address, weth.target)) === 0n, "WETH left after the full withdrawal");

  // Lender exits.
  await measure({ name: "withdraw", scenario: "lender withdraws 20,000 USDC", accrues: true }, () =>
    vaultAs(lender).withdraw(usd("20000"), lender.address, lender.address),
  );
  const shares = await vault.balanceOf(lender.address);
  await measure({ name: "redeem", scenario: "lender redeems all remaining shares", accrues: true }, () =>
    vaultAs(lender).redeem(shares, lender.address, lender.address),
  );
  expect((await vault.balanceOf(lender.address)) === 0n, "shares left after redeeming all");

  // ---------------------------------------------------------------- oracle reads (not transactions)
  // Gas of IPriceOracle.getPrice measured inside one eth_call by OracleReadGauge: a cold read, then a warm one.
  // WETH is Chainlink-only with every check on: heartbeat, validity, bounds, and the previous round for the jump
  // bound. The L2 row adds a sequencer uptime feed.
  const gauge = await ethers.deployContract("OracleReadGauge");
  const [cold, warm, read] = await gauge.measure(market.adapter, wethAddress);
  if (read.status !== 0n) throw new Error(`scenario drifted: WETH price is not OK (status ${read.status})`);
  const sequencer = await ethers.deployContract("TestAggregator", [0, "L2 Sequencer Uptime"]);
  await timeline.send(() => sequencer.pushAt(0, timeline.timestamp - DAY, timeline.timestamp));
  const l2Adapter = await ethers.deployContract("OracleAdapter", [market.owner.address, sequencer, 3600n, 600n]);
  const wethFeed = await market.feeds.get("WETH")?.getAddress();
  if (wethFeed === undefined) throw new Error("the market has no WETH feed");
  const wethStart = (await market.adapter.getPrice(wethAddress)).low;
  await timeline.send(() => l2Adapter.setAssetConfig(wethAddress, feedConfig(wethFeed, wethStart)));
  const [, l2Warm, l2Read] = await gauge.measure(l2Adapter, wethAddress);
  if (l2Read.status !== 0n) throw new Error(`scenario drifted: WETH price on L2 is not OK (status ${l2Read.status})`);
  const oracleRows: Measurement[] = [
    { name: "oracle.getPrice.cold", scenario: "WETH, Chainlink only, all checks, first read in the call", gas: cold },
    {
      name: "oracle.getPrice.warm",
      scenario: "same read again in the same call (target: <= 15k)",
      gas: warm,
      reference: "issue 3 target <= 15k",
    },
    {
      name: "oracle.getPrice.warmL2",
      scenario: "warm, plus the L2 sequencer uptime check",
      gas: l2Warm,
      reference: "issue 3 target <= 15k",
    },
  ];
  // ---------------------------------------------------------------- liquidations
  // 62 borrowers each post 1 WETH and borrow 2,300 USDC (LTV 77%); WETH then falls 3,000 → 2,650, every account's
  // health factor to 0.979: a partial liquidation back to 1.05 at a 3.6% bonus. A keeper liquidates one account
  // from its wallet, one through the UniswapV3FlashLiquidator (no capital: the seized WETH is sold in a real
  // Uniswap v3 pool inside the callback, swap included in the figure), then batches of 10 and 50 from its wallet.
  console.log(
    "Setting up liquidations: 62 borrowers at 77% LTV, a real Uniswap v3 WETH/USDC pool, a WETH fall to 2,650",
  );
  const { engine } = market;
  const [keeper] = await ethers.getSigners();
  const borrowers: HardhatEthersSigner[] = [];
  for (let i = 0; i < 62; i++) {
    if (i % 10 === 0) await heartbeat(); // setup spans hours of 12 s blocks: keep the feeds fresh
    const address = ethers.getAddress(`0x${(0xb0000 + i).toString(16).padStart(40, "0")}`);
    await networkHelpers.impersonateAccount(address);
    await networkHelpers.setBalance(address, 10n ** 18n);
    const signer = await ethers.getSigner(address);
    await fundAndApprove(timeline, weth, signer, eth("1"), vaultAddress);
    await timeline.send(() => vaultAs(signer).depositCollateral(weth.target, eth("1"), address));
    await timeline.send(() => vaultAs(signer).borrow(usd("2300"), address));
    borrowers.push(signer);
  }
  await fundAndApprove(timeline, usdc, keeper, usd("1000000"), vaultAddress);
  const factory = await deployUniswapV3Factory(ethers, keeper);
  const { pool } = await deployPoolWithLiquidity(ethers, factory, weth, usdc, eth("2650"), eth("2000"));
  const flash = await ethers.deployContract("UniswapV3FlashLiquidator", [engine, vault, usdc, keeper.address]);
  await timeline.send(() => flash.setPool(weth.target, pool));
  await timeline.send(() => market.prices.set(wethAddress, eth("2650")));
  await heartbeat();
  const liquidatable = await vault.isLiquidatable(borrowers[0].address);
  expect(liquidatable, "the first borrower is not liquidatable after the fall");
  const liquidations = borrowers.map((b) => ({ borrower: b.address, collateral: wethAddress, maxRepay: MaxUint256 }));

  await measure(
    {
      name: "liquidate.single",
      scenario: "keeper repays from its wallet; partial, back to health 1.05",
      reference: REFERENCE.liquidate,
      accrues: true,
    },
    () => engine.connect(keeper).liquidate(borrowers[0].address, weth.target, MaxUint256, keeper.address),
  );
  await measure(
    {
      name: "liquidate.flash",
      scenario: "no capital: seized WETH sold in a real Uniswap v3 pool in the callback",
      reference: REFERENCE.liquidate,
      accrues: true,
    },
    () => flash.connect(keeper).liquidate(borrowers[1].address, weth.target, MaxUint256, 0n),
  );
  for (const [size, start] of [
    [10, 2],
    [50, 12],
  ] as const) {
    const orders = liquidations.slice(start, start + size);
    const receipt = await measure(
      {
        name: `liquidate.batch${size}`,
        scenario: `liquidateBatch of ${size} accounts, whole transaction`,
        accrues: true,
      },
      () => engine.connect(keeper).liquidateBatch(orders, keeper.address, "0x"),
    );
    const skipped = receipt.logs.filter(
      (log) => log.topics[0] === engine.interface.getEvent("LiquidationSkipped").topicHash,
    );
    const reasons = skipped.map((log) => {
      const raw = String(engine.interface.parseLog(log)?.args[2]);
      return (engine.interface.parseError(raw) ?? market.adapter.interface.parseError(raw))?.name ?? raw;
    });
    expect(skipped.length === 0, `${skipped.length} of the batch of ${size} were skipped: ${reasons.join(", ")}`);
    measurements.push({
      name: `liquidate.batch${size}.perAccount`,
      scenario: `the same, per account`,
      reference: REFERENCE.liquidate,
      gas: receipt.gasUsed / BigInt(size),
    });
  }
  expect(!(await vault.isLiquidatable(borrowers[61].address)), "the last account is still liquidatable");

  // Adaptive risk: the keeper's hourly round (volatility sample, caps sync, reserve boost) and a risk score.
  await measure(
    { name: "risk.volatility.first", scenario: "first WETH sample: records the price", accrues: false },
    () => risk.volatility.connect(keeper).update(wethAddress),
  );
  await timeline.advance(3600);
  await timeline.send(() => market.prices.set(wethAddress, eth("2400")));
  await heartbeat();
  await measure(
    { name: "risk.volatility.update", scenario: "an hour later, WETH −9.4%: ln, EWMA, √", accrues: false },
    () => risk.volatility.connect(keeper).update(wethAddress),
  );
  await measure(
    { name: "risk.sync", scenario: "WETH caps from the new volatility; the vault restarts the ramp", accrues: false },
    () => risk.riskManager.connect(keeper).sync(wethAddress),
  );
  await measure(
    {
      name: "risk.syncReserves",
      scenario: "reserves under 2% of debt: the boost goes on (vault accrues)",
      accrues: true,
    },
    () => risk.riskManager.connect(keeper).syncReserves(),
  );
  measurements.push({
    name: "risk.riskScore",
    scenario: "view, account with WETH + WBTC (eth_estimateGas, 21,000 base included)",
    gas: await risk.riskManager.riskScore.estimateGas(warmBorrower.address),
  });

  // Oracle rows last in the table, as before; they were measured before the liquidation scenario moved WETH.
  measurements.push(...oracleRows);
  measurements.push(...(await measureBreakerOverhead(ethers, timeline, overheadMarkets)));
  measurements.push(...(await measureSecurityOps(ethers, timeline, ops)));

  // ---------------------------------------------------------------- report
  console.log(
    renderTable(
      [
        { header: "Operation" },
        { header: "Case" },
        { header: "Gas (tx)", align: "right" },
        { header: "Reference (published, not measured here)" },
      ],
      measurements.map((m) => [m.name, m.scenario, formatGas(m.gas), m.reference ?? "-"]),
    ),
  );

  const { solc, optimizerRuns } = await compilerSettings("CollateralVault");
  const report: GasReport = {
    machine: machine(),
    command: COMMAND,
    solc,
    optimizerRuns,
    operations: Object.fromEntries(measurements.map((m) => [m.name, Number(m.gas)])),
  };
  await mkdir(path.dirname(OUTPUT), { recursive: true });
  await writeFile(OUTPUT, `${JSON.stringify(report, null, 2)}\n`);
  console.log(
    `\nGas is receipt gasUsed: the whole transaction, 21,000 base included. solc ${solc}, optimizer ${optimizerRuns} runs.` +
      `\nWrote ${OUTPUT}.`,
  );
}

/**
 * What the circuit breaker costs: the same operations on two fresh markets, one with the breaker wired in and one
 * without, sent in lockstep (A then B, 12 s apart) so both see the same state and the same interest. Each row is
 * gas(with) − gas(without).
 */
async function measureBreakerOverhead(
  ethers: HardhatEthers,
  timeline: Timeline,
  [guarded, bare]: ChainlinkMarket[],
): Promise<Measurement[]> {
  console.log("Measuring the circuit breaker's overhead: the same operations with and without it");
  const [, , , , , lender, borrower] = await ethers.getSigners();
  for (const m of [guarded, bare]) {
    const vaultAddress = await m.vault.getAddress();
    await m.heartbeat((action) => timeline.send(action));
    await fundAndApprove(timeline, m.usdc, lender, usd("2000000"), vaultAddress);
    await fundAndApprove(timeline, m.usdc, borrower, usd("100000"), vaultAddress);
    await fundAndApprove(timeline, collateral(m, "WETH"), borrower, eth("100"), vaultAddress);
    await timeline.send(() => m.vault.connect(lender).deposit(usd("1000000"), lender.address));
  }
  const weth = (m: ChainlinkMarket) => collateral(m, "WETH").target;
  // The sequence runs twice: a first round touches every slot (a new account's first flow pays for it, once), and
  // the second, measured, round runs after a new outflow window has opened, as in a market quiet for a while.
  const gas = new Map<string, bigint[]>();
  for (const round of ["warm-up", "measured"]) {
    await timeline.advance(7 * 3600);
    for (const m of [guarded, bare]) await m.heartbeat((action) => timeline.send(action));
    const both = async (name: string, op: (m: ChainlinkMarket) => Promise<ContractTransactionResponse>) => {
      const pair: bigint[] = [];
      for (const m of [guarded, bare]) pair.push((await timeline.send(() => op(m))).gasUsed);
      if (round === "measured") gas.set(name, pair);
    };
    await both("deposit", (m) => m.vault.connect(lender).deposit(usd("50000"), lender.address));
    await both("depositCollateral", (m) => m.vault.connect(borrower).depositCollateral(weth(m), eth("20"), borrower));
    await both("borrow", (m) => m.vault.connect(borrower).borrow(usd("30000"), borrower.address));
    await both("repay", (m) => m.vault.connect(borrower).repay(usd("15000"), borrower.address));
    await both("withdrawCollateral", (m) =>
      m.vault.connect(borrower).withdrawCollateral(weth(m), eth("5"), borrower.address),
    );
    await both("withdraw", (m) => m.vault.connect(lender).withdraw(usd("20000"), lender.address, lender.address));
  }
  const rows: Measurement[] = [];
  for (const [name, [withBreaker, without]] of gas) {
    rows.push({
      name: `breaker.overhead.${name}`,
      scenario: `${name}: ${formatGas(withBreaker)} with the breaker − ${formatGas(without)} without`,
      gas: withBreaker - without,
    });
  }
  return rows;
}

// ==================================================================== Bulwark vs Morpho Blue (gas, side by side)

/** One row of the side-by-side table and of bench/results.json. */
interface PeerRow {
  name: string;
  /** What each side does, exactly. */
  scenario: string;
  bulwark: bigint;
  morpho: bigint;
}

interface PeerReport {
  machine: Machine;
  command: string;
  solc: { bulwark: CompilerSettings; morpho: CompilerSettings };
  operations: Record<string, { bulwark: number; morpho: number; ratio: number }>;
}

/** Bulwark / Morpho, rounded to 2 decimals. */
const ratio = (bulwark: bigint, morpho: bigint): number => Math.round((Number(bulwark) / Number(morpho)) * 100) / 100;

/**
 * Bulwark and Morpho Blue, side by side, on one fresh in-process chain: the Chainlink market as shipped (breaker and
 * risk modules wired) and a Morpho Blue WETH/USDC market over the SAME tokens and feeds, with LLTV = Bulwark's WETH
 * liquidation threshold, ChainlinkMorphoOracle over the same two feeds, KinkedIrm over the same KinkedRateModel and a
 * fee equal to Bulwark's reserve factor. Both are warm (a lender and a borrower already in, a day of interest
 * pending); then the same script runs on both in lockstep (Bulwark, then Morpho, each transaction 12 s after the
 * previous one), so both see the same amounts, prices and elapsed time. Written to bench/results.json.
 */
async function morphoBench(): Promise<void> {
  console.log("\nBulwark vs Morpho Blue: the same operations on both, on the same tokens, feeds and rate curve");
  const { ethers, networkHelpers } = await network.create();
  const signers = await ethers.getSigners();
  const [owner, keeper] = signers;
  const [bWarmLender, bWarmBorrower, bLender, bBorrower] = signers.slice(2, 6);
  const [mWarmLender, mWarmBorrower, mLender, mBorrower] = signers.slice(6, 10);

  // ---------------------------------------------------------------- both markets (before the timeline starts)
  const market = await deployChainlinkMarket(ethers, { owner });
  await deployRiskModules(ethers, market.vault, { collaterals: market.collaterals });
  const { vault, usdc, engine } = market;
  const weth = collateral(market, "WETH");
  const wethAddress = await weth.getAddress();
  const vaultAddress = await vault.getAddress();
  const wethFeed = market.feeds.get("WETH");
  const usdcFeed = market.feeds.get("USDC");
  if (wethFeed === undefined || usdcFeed === undefined) throw new Error("the market has no WETH or USDC feed");
  const wethParams = DEFAULT_COLLATERALS.find((c) => c.symbol === "WETH");
  if (wethParams === undefined) throw new Error("no WETH in the default collaterals");
  const [, threshold] = await vault.riskParams(wethAddress);
  if (threshold !== wethParams.liquidationThreshold) {
    throw new Error(`Bulwark's WETH threshold is ${threshold}, expected ${wethParams.liquidationThreshold}`);
  }
  const [, , reserveFactor] = await vault.parameters();

  const morpho = await deployMorpho(ethers, owner);
  const morphoAddress = await morpho.getAddress();
  const oracle = await ethers.deployContract("ChainlinkMorphoOracle", [
    wethFeed,
    Number(await weth.decimals()),
    usdcFeed,
    Number(await usdc.decimals()),
  ]);
  const irm = await ethers.deployContract("KinkedIrm", [market.rateModel]);
  const { marketParams, id } = await createMorphoMarket(ethers, morpho, owner, {
    loanToken: usdc,
    collateralToken: weth,
    oracle,
    irm,
    lltv: threshold,
    fee: reserveFactor,
  });

  const timeline = await Timeline.start(networkHelpers);
  const send = (action: () => Promise<ContractTransactionResponse>) => timeline.send(action);
  const heartbeat = () => market.heartbeat(send);
  await heartbeat();

  // ---------------------------------------------------------------- warm markets (not measured)
  console.log("Setting up: a warm market on each side (lender 1,000,000 USDC; borrower 100 WETH, 200,000 USDC; 1 day)");
  for (const [spender, [warmLender, warmBorrower, lender, borrower]] of [
    [vaultAddress, [bWarmLender, bWarmBorrower, bLender, bBorrower]],
    [morphoAddress, [mWarmLender, mWarmBorrower, mLender, mBorrower]],
  ] as const) {
    await fundAndApprove(timeline, usdc, warmLender, usd("2000000"), spender);
    await fundAndApprove(timeline, weth, warmBorrower, eth("100"), spender);
    await fundAndApprove(timeline, usdc, lender, usd("200000"), spender);
    await fundAndApprove(timeline, weth, borrower, eth("50"), spender);
    // Covers the interest; the borrower never drains a balance to zero.
    await fundAndApprove(timeline, usdc, borrower, usd("1000"), spender);
  }
  const onMorpho = (signer: HardhatEthersSigner) => morpho.connect(signer);
  await send(() => vault.connect(bWarmLender).deposit(usd("1000000"), bWarmLender.address));
  await send(() => onMorpho(mWarmLender).supply(marketParams, usd("1000000"), 0n, mWarmLender.address, "0x"));
  await send(() => vault.connect(bWarmBorrower).depositCollateral(wethAddress, eth("100"), bWarmBorrower.address));
  await send(() => onMorpho(mWarmBorrower).supplyCollateral(marketParams, eth("100"), mWarmBorrower.address, "0x"));
  await send(() => vault.connect(bWarmBorrower).borrow(usd("200000"), bWarmBorrower.address));
  await send(() =>
    onMorpho(mWarmBorrower).borrow(marketParams, usd("200000"), 0n, mWarmBorrower.address, mWarmBorrower.address),
  );
  await timeline.advance(DAY);
  await heartbeat();

  // ---------------------------------------------------------------- measured, in lockstep
  console.log("Measuring: each operation on Bulwark, then on Morpho, 12 s apart\n");
  const interestTopic = vault.interface.getEvent("InterestAccrued").topicHash;
  const morphoAccrueTopic = MORPHO_EVENTS.getEvent("AccrueInterest")?.topicHash;
  if (morphoAccrueTopic === undefined) throw new Error("MORPHO_EVENTS has no AccrueInterest");
  const rows: PeerRow[] = [];
  /**
   * Sends the Bulwark transaction, then the Morpho one, and records both receipts' gasUsed. `accrues` states whether
   * both must accrue interest here (checked on both receipts, so that the scenario stays what it says).
   */
  const both = async (
    entry: { name: string; scenario: string; accrues: boolean },
    bulwarkAction: () => Promise<ContractTransactionResponse>,
    morphoAction: () => Promise<ContractTransactionResponse>,
  ): Promise<[ContractTransactionReceipt, ContractTransactionReceipt]> => {
    const bulwark = await send(bulwarkAction);
    const morphoReceipt = await send(morphoAction);
    const accrued = [
      bulwark.logs.some((log) => log.topics[0] === interestTopic),
      morphoReceipt.logs.some((log) => log.topics[0] === morphoAccrueTopic),
    ];
    if (accrued.some((a) => a !== entry.accrues)) {
      throw new Error(
        `scenario drifted: ${entry.name} accrued interest on [Bulwark, Morpho] = [${accrued.join(", ")}]`,
      );
    }
    rows.push({ name: entry.name, scenario: entry.scenario, bulwark: bulwark.gasUsed, morpho: morphoReceipt.gasUsed });
    return [bulwark, morphoReceipt];
  };
  const expect = (condition: boolean, message: string): void => {
    if (!condition) throw new Error(`scenario drifted: ${message}`);
  };

  await both(
    { name: "supply", scenario: "lender's first supply, 50,000 USDC (deposit / supply)", accrues: true },
    () => vault.connect(bLender).deposit(usd("50000"), bLender.address),
    () => onMorpho(mLender).supply(marketParams, usd("50000"), 0n, mLender.address, "0x"),
  );
  await both(
    {
      name: "supplyCollateral",
      scenario: "borrower's first collateral, 20 WETH (depositCollateral / supplyCollateral)",
      accrues: false,
    },
    () => vault.connect(bBorrower).depositCollateral(wethAddress, eth("20"), bBorrower.address),
    () => onMorpho(mBorrower).supplyCollateral(marketParams, eth("20"), mBorrower.address, "0x"),
  );
  await both(
    { name: "borrow", scenario: "first borrow, 30,000 USDC against the 20 WETH", accrues: true },
    () => vault.connect(bBorrower).borrow(usd("30000"), bBorrower.address),
    () => onMorpho(mBorrower).borrow(marketParams, usd("30000"), 0n, mBorrower.address, mBorrower.address),
  );
  await both(
    { name: "repay", scenario: "partial: 15,000 of ≈30,000 USDC", accrues: true },
    () => vault.connect(bBorrower).repay(usd("15000"), bBorrower.address),
    () => onMorpho(mBorrower).repay(marketParams, usd("15000"), 0n, mBorrower.address, "0x"),
  );
  await both(
    { name: "withdrawCollateral", scenario: "partial, 5 of 20 WETH, debt outstanding (health check)", accrues: true },
    () => vault.connect(bBorrower).withdrawCollateral(wethAddress, eth("5"), bBorrower.address),
    () => onMorpho(mBorrower).withdrawCollateral(marketParams, eth("5"), mBorrower.address, mBorrower.address),
  );
  await both(
    { name: "withdraw", scenario: "lender, partial: 20,000 of 50,000 USDC", accrues: true },
    () => vault.connect(bLender).withdraw(usd("20000"), bLender.address, bLender.address),
    () => onMorpho(mLender).withdraw(marketParams, usd("20000"), 0n, mLender.address, mLender.address),
  );
  const bulwarkDebt = await vault.debtOf(bBorrower.address);
  const morphoPosition = await morpho.position(id, mBorrower.address);
  expect(bulwarkDebt > usd("15000") && morphoPosition.borrowShares > 0n, "a borrower has no debt left");
  expect(morphoPosition.collateral === eth("15"), "the Morpho borrower does not hold 15 WETH");

  // ---------------------------------------------------------------- liquidations
  // As in the gas bench: each account posts 1 WETH and borrows 2,300 USDC (LTV 77%); WETH then falls 3,000 → 2,650
  // on the shared feed: 2,650 × 0.85 = 2,252.5 < 2,300 on both sides (Bulwark health 0.979). 61 accounts on Bulwark
  // (one alone, then batches of 10 and 50), one on Morpho, which has no batch.
  console.log("Setting up liquidations: 61 Bulwark accounts and 1 Morpho account at 77% LTV, then WETH 3,000 → 2,650");
  const account = async (n: number): Promise<HardhatEthersSigner> => {
    const address = ethers.getAddress(`0x${n.toString(16).padStart(40, "0")}`);
    await networkHelpers.impersonateAccount(address);
    await networkHelpers.setBalance(address, 10n ** 18n);
    return ethers.getSigner(address);
  };
  const morphoVictim = await account(0xc0000);
  await fundAndApprove(timeline, weth, morphoVictim, eth("1"), morphoAddress);
  await send(() => onMorpho(morphoVictim).supplyCollateral(marketParams, eth("1"), morphoVictim.address, "0x"));
  await send(() =>
    onMorpho(morphoVictim).borrow(marketParams, usd("2300"), 0n, morphoVictim.address, morphoVictim.address),
  );
  const victims: HardhatEthersSigner[] = [];
  for (let i = 0; i < 61; i++) {
    if (i % 10 === 0) await heartbeat(); // setup spans hours of 12 s blocks: keep the feeds fresh
    const signer = await account(0xb0000 + i);
    await fundAndApprove(timeline, weth, signer, eth("1"), vaultAddress);
    await send(() => vault.connect(signer).depositCollateral(wethAddress, eth("1"), signer.address));
    await send(() => vault.connect(signer).borrow(usd("2300"), signer.address));
    victims.push(signer);
  }
  await fundAndApprove(timeline, usdc, keeper, usd("1000000"), vaultAddress);
  await fundAndApprove(timeline, usdc, keeper, usd("1000000"), morphoAddress);
  await send(() => market.prices.set(wethAddress, eth("2650")));
  await heartbeat();
  expect(await vault.isLiquidatable(victims[0].address), "the first Bulwark account is not liquidatable");

  // Single: Bulwark's engine picks the amount (back to health 1.05); Morpho repays the same USDC amount, given as
  // shares at the share price before the call (Morpho's liquidator chooses the amount; it has no close factor).
  const executedTopic = engine.interface.getEvent("LiquidationExecuted").topicHash;
  const bulwarkSingle = await send(() =>
    engine.connect(keeper).liquidate(victims[0].address, wethAddress, MaxUint256, keeper.address),
  );
  const executed = bulwarkSingle.logs.find((log) => log.topics[0] === executedTopic);
  const repaid = executed === undefined ? undefined : (engine.interface.parseLog(executed)?.args[3] as bigint);
  if (repaid === undefined) throw new Error("scenario drifted: the Bulwark liquidation did not execute");
  const state = await morpho.market(id);
  // SharesMathLib.toSharesDown with Morpho's virtual shares (1e6) and virtual assets (1).
  const repaidShares = (repaid * (state.totalBorrowShares + 10n ** 6n)) / (state.totalBorrowAssets + 1n);
  const morphoSingle = await send(() =>
    onMorpho(keeper).liquidate(marketParams, morphoVictim.address, 0n, repaidShares, "0x"),
  );
  const victimAfter = await morpho.position(id, morphoVictim.address);
  expect(victimAfter.borrowShares > 0n && victimAfter.collateral > 0n, "the Morpho liquidation was not partial");
  rows.push({
    name: "liquidate.single",
    scenario: `one account, liquidator pays from its balance; same repayment (${formatToken(repaid, 6)} USDC)`,
    bulwark: bulwarkSingle.gasUsed,
    morpho: morphoSingle.gasUsed,
  });

  const skippedTopic = engine.interface.getEvent("LiquidationSkipped").topicHash;
  for (const [size, start] of [
    [10, 1],
    [50, 11],
  ] as const) {
    const orders = victims
      .slice(start, start + size)
      .map((v) => ({ borrower: v.address, collateral: wethAddress, maxRepay: MaxUint256 }));
    const receipt = await send(() => engine.connect(keeper).liquidateBatch(orders, keeper.address, "0x"));
    const skipped = receipt.logs.filter((log) => log.topics[0] === skippedTopic).length;
    expect(skipped === 0, `${skipped} of the batch of ${size} were skipped`);
    rows.push({
      name: `liquidate.batch${size}.perAccount`,
      scenario: `liquidateBatch of ${size}, gas / ${size}; Morpho: its single liquidation (no batch)`,
      bulwark: receipt.gasUsed / BigInt(size),
      morpho: morphoSingle.gasUsed,
    });
  }

  // ---------------------------------------------------------------- report
  console.log(
    renderTable(
      [
        { header: "Operation" },
        { header: "Case (same on both)" },
        { header: "Bulwark", align: "right" },
        { header: "Morpho", align: "right" },
        { header: "Bulwark/Morpho", align: "right" },
      ],
      rows.map((r) => [
        r.name,
        r.scenario,
        formatGas(r.bulwark),
        formatGas(r.morpho),
        ratio(r.bulwark, r.morpho).toFixed(2),
      ]),
    ),
  );
  const report: PeerReport = {
    machine: machine(),
    command: `${COMMAND} (or BULWARK_BENCH_ONLY=morpho ${COMMAND})`,
    solc: { bulwark: await compilerSettings("CollateralVault"), morpho: await compilerSettings("Morpho") },
    operations: Object.fromEntries(
      rows.map((r) => [
        r.name,
        { bulwark: Number(r.bulwark), morpho: Number(r.morpho), ratio: ratio(r.bulwark, r.morpho) },
      ]),
    ),
  };
  await mkdir(path.dirname(PEER_OUTPUT), { recursive: true });
  await writeFile(PEER_OUTPUT, `${JSON.stringify(report, null, 2)}\n`);
  const describe = (s: CompilerSettings): string =>
    `solc ${s.solc}, optimizer ${s.optimizerRuns} runs${s.viaIR ? ", via-IR" : ""}, EVM ${s.evmVersion}`;
  console.log(
    `\nReceipt gasUsed (21,000 base included). Bulwark: ${describe(report.solc.bulwark)}; ` +
      `Morpho Blue 1.0.0: ${describe(report.solc.morpho)}.\nWrote ${PEER_OUTPUT}.`,
  );
}

await runScript(`${COMMAND} (scripts/bench.ts)`, main);

/**
 * The SecurityOps upkeep (Chainlink Automation): `performUpkeep` as Automation would send it, with the data
 * `checkUpkeep` returned, on a market of its own with a real Uniswap v3 WETH/USDC pool. Three cases: the first
 * upkeep (every breaker entry poked, volatility sampled and caps synced, reserves synced); a crash with the default
 * maximum of liquidations (5 flash liquidations, each selling its WETH in the pool) plus the pokes it makes due; a
 * single liquidation. `checkUpkeep` itself runs off chain: its eth_estimateGas is reported beside them.
 */
interface OpsBench {
  market: ChainlinkMarket;
  ops: SecurityOps;
}

/** The upkeep's market, risk modules, WETH/USDC pool and SecurityOps, deployed before the timeline starts. */
async function prepareSecurityOps(ethers: HardhatEthers): Promise<OpsBench> {
  const [deployer, , , , , , , , , treasury] = await ethers.getSigners();
  const market = await deployChainlinkMarket(ethers, {
    assetTriggers: PERMISSIVE_TRIGGERS,
    baseTriggers: PERMISSIVE_TRIGGERS,
  });
  const risk = await deployRiskModules(ethers, market.vault, { collaterals: market.collaterals });
  const weth = collateral(market, "WETH");
  const factory = await deployUniswapV3Factory(ethers, deployer);
  const { pool } = await deployPoolWithLiquidity(ethers, factory, weth, market.usdc, eth("2700"), eth("10000"));
  const ops = await ethers.deployContract("SecurityOps", [
    market.vault,
    market.engine,
    risk.volatility,
    DEFAULT_SECURITY_OPS_CONFIG,
    treasury.address,
    deployer.address,
  ]);
  await (await ops.setLiquidationPool(weth.target, pool)).wait();
  return { market, ops };
}

/**
 * The SecurityOps upkeep (Chainlink Automation): `performUpkeep` as Automation would send it, with the data
 * `checkUpkeep` returned, on a market of its own with a real Uniswap v3 WETH/USDC pool. Three cases: the first
 * upkeep (every breaker entry poked, volatility sampled and caps synced, reserves synced); a crash with the default
 * maximum of liquidations (5 flash liquidations, each selling its WETH in the pool) plus the work it makes due; the
 * one liquidation left. `checkUpkeep` itself runs off chain: its eth_estimateGas is reported beside them.
 */
async function measureSecurityOps(ethers: HardhatEthers, timeline: Timeline, bench: OpsBench): Promise<Measurement[]> {
  console.log("Measuring the SecurityOps upkeep: first round, a crash with 5 liquidations, the last liquidation");
  const { market, ops } = bench;
  const signers = await ethers.getSigners();
  const [lender, keeper] = [signers[7], signers[8]];
  const borrowers = signers.slice(10, 16);
  const { vault, usdc } = market;
  const weth = collateral(market, "WETH");
  const wethAddress = await weth.getAddress();
  const vaultAddress = await vault.getAddress();
  const send = (action: () => Promise<ContractTransactionResponse>) => timeline.send(action);
  await market.heartbeat(send);
  await fundAndApprove(timeline, usdc, lender, usd("2000000"), vaultAddress);
  await send(() => vault.connect(lender).deposit(usd("1000000"), lender.address));
  // Six WETH borrowers at $3,000 ETH, each near the 80% limit: 10 WETH against 23,500 USDC.
  for (const b of borrowers) {
    await fundAndApprove(timeline, weth, b, eth("10"), vaultAddress);
    await send(() => vault.connect(b).depositCollateral(wethAddress, eth("10"), b.address));
    await send(() => vault.connect(b).borrow(usd("23500"), b.address));
  }
  await send(() => ops.connect(keeper).track(borrowers.map((b) => b.address)));

  const rows: Measurement[] = [];
  const upkeep = async (name: string, scenario: string, expectLiquidations: number): Promise<void> => {
    const checkGas = await ops.connect(keeper).checkUpkeep.estimateGas("0x");
    const [needed, data] = await ops.connect(keeper).checkUpkeep.staticCall("0x");
    if (!needed) throw new Error(`scenario drifted: ${name}: no upkeep needed`);
    const receipt = await send(() => ops.connect(keeper).performUpkeep(data));
    const liquidated = receipt.logs.filter(
      (log) => log.topics[0] === market.engine.interface.getEvent("LiquidationExecuted").topicHash,
    ).length;
    if (liquidated !== expectLiquidations) {
      throw new Error(`scenario drifted: ${name}: ${liquidated} liquidations, expected ${expectLiquidations}`);
    }
    rows.push({ name: `securityOps.performUpkeep.${name}`, scenario, gas: receipt.gasUsed });
    rows.push({
      name: `securityOps.checkUpkeep.${name}`,
      scenario: `view before it (eth_estimateGas, off chain in Automation)`,
      gas: checkGas,
    });
  };
  await upkeep("first", "4 breaker pokes, 2 volatility samples + cap syncs, reserve sync", 0);
  // ETH −10%: every borrower is liquidatable; five go in this upkeep (maxLiquidations), one in the next.
  await timeline.advance(3600);
  await send(() => market.prices.set(wethAddress, eth("2700")));
  await market.heartbeat(send);
  await upkeep("crash5", "5 flash liquidations (WETH sold in the pool) + the pokes and samples due", 5);
  await upkeep("crash1", "1 flash liquidation, the sixth account", 1);
  return rows;
}
