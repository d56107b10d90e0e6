/**
 * The gas part of `npm run bench` (`BULWARK_BENCH_ONLY=gas`): transaction-level gas of every user operation of the
 * vault, from one fixed scenario on the in-process chain, printed as a table and written to bench/gas.json.
 *
 * The market is warm before anything is measured: another lender supplies, another borrower holds WETH and WBTC
 * and owes USDC, and a day has passed, so every measured call that accrues interest really moves the borrow
 * index. Every transaction is mined 12 s after the previous one (see Timeline), so the figures are identical on
 * every run. Unlimited approvals are given beforehand and not measured.
 *
 * The user operations are the table `VAULT_OPERATIONS`, sent in its order; then the oracle reads
 * (oracleReadGas.ts), the liquidations and the adaptive-risk round (liquidationGas.ts), the breaker's overhead
 * (breakerOverhead.ts) and the SecurityOps upkeep (securityOpsGas.ts).
 */
import path from "node:path";

import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import type { ContractTransactionResponse } from "ethers";
import { MaxUint256, parseUnits } from "ethers";
import { network } from "hardhat";

import type { CollateralVault, MockERC20 } from "../../../typechain-types/index.js";
import { DAY, Timeline } from "../chain.js";
import { formatGas, renderTable } from "../format.js";
import { deployRiskModules } from "../risk.js";
import { collateral, deployChainlinkMarket } from "../testMarket.js";
import { fundAndApprove } from "../tokens.js";
import { btc, eth, usd } from "../units.js";
import { measureBreakerOverhead } from "./breakerOverhead.js";
import { measureLiquidations, measureRiskRound } from "./liquidationGas.js";
import { measureOracleReads } from "./oracleReadGas.js";
import { measureSecurityOps, prepareSecurityOps } from "./securityOpsGas.js";
import { measureWorstUpkeep, prepareWorstUpkeep } from "./upkeepWorstCase.js";
import { measureWorstAccount } from "./worstAccount.js";
import { measureAllocator, measureBackstop } from "./backstopGas.js";
import { measureGasBreakdown, type GasParts } from "./gasBreakdown.js";
import {
  COMMAND,
  GasRecorder,
  REFERENCE,
  expectScenario,
  settingsByContract,
  USER_PATH_CONTRACTS,
  machine,
  writeJson,
  type CompilerSettings,
  type Machine,
  type Measurement,
} from "./shared.js";

export const OUTPUT = path.join("bench", "gas.json");

interface GasReport {
  machine: Machine;
  command: string;
  /** How each contract the operations run was compiled (hardhat.config.ts: some through the IR, at their own runs). */
  solc: Record<string, CompilerSettings>;
  operations: Record<string, number>;
  /** Where each user operation's gas goes (gasBreakdown.ts, on a chain of its own); not part of the snapshot check. */
  breakdown: Record<string, GasParts>;
}

/** Who and what the vault operations act on. */
interface VaultScene {
  vault: CollateralVault;
  lender: HardhatEthersSigner;
  borrower: HardhatEthersSigner;
  weth: MockERC20;
  wbtc: MockERC20;
  /** Vault shares from a decimal string. */
  shareUnits: (amount: string) => bigint;
}

/** One measured vault operation: its row in the table, the transaction, and what must hold once it is mined. */
interface VaultOperation {
  name: string;
  scenario: string;
  reference?: string;
  /** Whether it must accrue interest here. */
  accrues: boolean;
  send: (s: VaultScene) => Promise<ContractTransactionResponse>;
  /** Checked right after it is mined: otherwise the scenario drifted, with this message. */
  then?: { holds: (s: VaultScene) => Promise<boolean>; message: string };
}

/** The user operations, measured in this order: the lender's side, the borrower's side, then the lender exits. */
const VAULT_OPERATIONS: readonly VaultOperation[] = [
  {
    name: "deposit.first",
    scenario: "lender's first deposit, 50,000 USDC",
    reference: REFERENCE.supply,
    accrues: true,
    send: (s) => s.vault.connect(s.lender).deposit(usd("50000"), s.lender.address),
  },
  {
    name: "deposit.subsequent",
    scenario: "same lender again, 25,000 USDC",
    reference: REFERENCE.supply,
    accrues: true,
    send: (s) => s.vault.connect(s.lender).deposit(usd("25000"), s.lender.address),
  },
  {
    name: "mint",
    scenario: "same lender mints 10,000 shares (≈10,000 USDC)",
    reference: REFERENCE.supply,
    accrues: true,
    send: (s) => s.vault.connect(s.lender).mint(s.shareUnits("10000"), s.lender.address),
  },
  {
    name: "depositCollateral.firstAsset",
    scenario: "borrower's first collateral, 20 WETH",
    reference: REFERENCE.supplyCollateral,
    accrues: false,
    send: (s) => s.vault.connect(s.borrower).depositCollateral(s.weth.target, eth("20"), s.borrower.address),
  },
  {
    name: "depositCollateral.secondAsset",
    scenario: "second asset for the same borrower, 1 WBTC",
    reference: REFERENCE.supplyCollateral,
    accrues: false,
    send: (s) => s.vault.connect(s.borrower).depositCollateral(s.wbtc.target, btc("1"), s.borrower.address),
    then: {
      holds: async (s) => (await s.vault.debtOf(s.borrower.address)) === 0n,
      message: "borrower has debt before the first borrow",
    },
  },
  {
    name: "borrow.first",
    scenario: "first borrow, 30,000 USDC against WETH + WBTC",
    reference: REFERENCE.borrow,
    accrues: true,
    send: (s) => s.vault.connect(s.borrower).borrow(usd("30000"), s.borrower.address),
  },
  {
    name: "borrow.subsequent",
    scenario: "same borrower, 10,000 USDC more",
    reference: REFERENCE.borrow,
    accrues: true,
    send: (s) => s.vault.connect(s.borrower).borrow(usd("10000"), s.borrower.address),
  },
  {
    name: "repay.partial",
    scenario: "repay 15,000 USDC of ≈40,000",
    reference: REFERENCE.repay,
    accrues: true,
    send: (s) => s.vault.connect(s.borrower).repay(usd("15000"), s.borrower.address),
  },
  {
    name: "withdrawCollateral.partialWithDebt",
    scenario: "5 of 20 WETH, debt outstanding (limit check)",
    reference: REFERENCE.withdrawCollateral,
    accrues: true,
    send: (s) => s.vault.connect(s.borrower).withdrawCollateral(s.weth.target, eth("5"), s.borrower.address),
  },
  {
    name: "repay.full",
    scenario: "repay all with type(uint256).max",
    reference: REFERENCE.repay,
    accrues: true,
    send: (s) => s.vault.connect(s.borrower).repay(MaxUint256, s.borrower.address),
    then: {
      holds: async (s) => (await s.vault.debtOf(s.borrower.address)) === 0n,
      message: "debt left after the full repayment",
    },
  },
  {
    name: "withdrawCollateral.fullNoDebt",
    scenario: "all 15 WETH (uint256 max), no debt: no price read, no accrual",
    reference: REFERENCE.withdrawCollateral,
    accrues: false,
    send: (s) => s.vault.connect(s.borrower).withdrawCollateral(s.weth.target, MaxUint256, s.borrower.address),
    then: {
      holds: async (s) => (await s.vault.collateralOf(s.borrower.address, s.weth.target)) === 0n,
      message: "WETH left after the full withdrawal",
    },
  },
  {
    name: "withdraw",
    scenario: "lender withdraws 20,000 USDC",
    accrues: true,
    send: (s) => s.vault.connect(s.lender).withdraw(usd("20000"), s.lender.address, s.lender.address),
  },
  {
    name: "redeem",
    scenario: "lender redeems all remaining shares",
    accrues: true,
    send: async (s) =>
      s.vault.connect(s.lender).redeem(await s.vault.balanceOf(s.lender.address), s.lender.address, s.lender.address),
    then: {
      holds: async (s) => (await s.vault.balanceOf(s.lender.address)) === 0n,
      message: "shares left after redeeming all",
    },
  },
];

/**
 * Measures every operation of bench/gas.json on a fresh in-process chain and returns the rows (nothing written):
 * `gasBench` prints and writes them, `test/unit/GasSnapshot.test.ts` checks them against the committed snapshot.
 */
export async function measureGas(log: (line: string) => void = console.log): Promise<Measurement[]> {
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
  // The upkeep's worst case (16 collaterals, a full scan window): its own market too.
  const worstUpkeep = await prepareWorstUpkeep(ethers);
  // Adaptive risk on the measured market, wired before the timeline starts (vault operations never call it).
  const risk = await deployRiskModules(ethers, market.vault, { collaterals: market.collaterals });
  const timeline = await Timeline.start(networkHelpers);
  const heartbeat = () => market.heartbeat((action) => timeline.send(action));
  await heartbeat(); // fresh rounds on the scripted timeline
  const { vault, usdc } = market;
  const weth = collateral(market, "WETH");
  const wbtc = collateral(market, "WBTC");
  const vaultAddress = await vault.getAddress();
  const shareDecimals = Number(await vault.decimals());
  const shareUnits = (amount: string): bigint => parseUnits(amount, shareDecimals);

  // ---------------------------------------------------------------- setup (not measured)
  log("Setting up: tokens and approvals, a warm market (lender, borrower with WETH + WBTC, 1 day of interest)");
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
  log("Measuring: one transaction per operation, each 12 s after the previous one\n");
  const recorder = new GasRecorder(timeline, vault.interface.getEvent("InterestAccrued").topicHash);
  const scene: VaultScene = { vault, lender, borrower, weth, wbtc, shareUnits };
  for (const { send, then, ...entry } of VAULT_OPERATIONS) {
    await recorder.measure(entry, () => send(scene));
    if (then !== undefined) expectScenario(await then.holds(scene), then.message);
  }
  const oracleRows = await measureOracleReads(ethers, timeline, market);
  const gas = { ethers, networkHelpers, timeline, market, heartbeat, recorder };
  await measureLiquidations(gas);
  await measureRiskRound(gas, risk, warmBorrower);
  // Oracle rows last in the table, as before; they were measured before the liquidation scenario moved WETH.
  recorder.add(...oracleRows);
  recorder.add(...(await measureBreakerOverhead(ethers, timeline, overheadMarkets)));
  recorder.add(...(await measureSecurityOps(ethers, timeline, ops)));
  recorder.add(...(await measureWorstUpkeep(ethers, timeline, worstUpkeep)));
  recorder.add(...(await measureWorstAccount(log)));
  recorder.add(...(await measureBackstop(log)));
  recorder.add(...(await measureAllocator(log)));
  return recorder.rows;
}

/** `npm run bench`'s gas part: measures, prints the table and writes bench/gas.json. */
export async function gasBench(): Promise<void> {
  // ---------------------------------------------------------------- report
  const measurements = await measureGas();
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

  const breakdown = await measureGasBreakdown();
  const parts = ["base", "token", "ledger", "oracle", "breaker"] as const;
  console.log(
    `\nWhere the gas goes (a second round of each operation; see scripts/lib/bench/gasBreakdown.ts):\n` +
      renderTable(
        [
          { header: "Operation" },
          { header: "total", align: "right" },
          ...parts.map((p) => ({ header: p, align: "right" as const })),
        ],
        Object.entries(breakdown).map(([name, g]) => [
          name,
          formatGas(BigInt(g.total)),
          ...parts.map((p) => formatGas(BigInt(g[p]))),
        ]),
      ),
  );

  const compiled = await settingsByContract([...USER_PATH_CONTRACTS, "SecurityOps"]);
  const report: GasReport = {
    machine: machine(),
    command: COMMAND,
    solc: compiled.byContract,
    operations: Object.fromEntries(measurements.map((m) => [m.name, Number(m.gas)])),
    breakdown,
  };
  await writeJson(OUTPUT, report);
  console.log(
    `\nGas is receipt gasUsed: the whole transaction, 21,000 base included. ${compiled.summary}.` +
      `\nWrote ${OUTPUT}.`,
  );
}
