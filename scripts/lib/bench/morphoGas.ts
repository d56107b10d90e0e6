/**
 * Bulwark and Morpho Blue, side by side (`BULWARK_BENCH_ONLY=morpho`), on one fresh in-process chain: the Chainlink
 * market as shipped (breaker and risk modules wired) and a Morpho Blue WETH/USDC market over the SAME tokens and
 * feeds, with LLTV = Bulwark's WETH liquidation threshold, ChainlinkMorphoOracle over the same two feeds, KinkedIrm
 * over the same KinkedRateModel and a fee equal to Bulwark's reserve factor. Both are warm (a lender and a borrower
 * already in, a day of interest pending); then the same script runs on both in lockstep (Bulwark, then Morpho, each
 * transaction 12 s after the previous one), so both see the same amounts, prices and elapsed time: the user
 * operations of `PEER_OPERATIONS`, then liquidations. Written to bench/results.json.
 */
import path from "node:path";

import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import type { ContractTransactionResponse } from "ethers";
import { network } from "hardhat";

import type { CollateralVault, Morpho } from "../../../typechain-types/index.js";
import { DAY, Timeline } from "../chain.js";
import { formatGas, renderTable } from "../format.js";
import { createMorphoMarket, deployMorpho, MORPHO_EVENTS, type MorphoMarketParams } from "../morpho.js";
import { deployRiskModules } from "../risk.js";
import { collateral, DEFAULT_COLLATERALS, deployChainlinkMarket } from "../testMarket.js";
import { fundAndApprove } from "../tokens.js";
import { eth, usd } from "../units.js";
import { gasInCallsTo } from "./callGas.js";
import { measureMorphoLiquidations, type PeerBench } from "./morphoLiquidationGas.js";
import {
  COMMAND,
  compilerSettings,
  describeSettings,
  expectScenario,
  settingsByContract,
  USER_PATH_CONTRACTS,
  machine,
  writeJson,
  type CompilerSettings,
  type Machine,
} from "./shared.js";

const OUTPUT = path.join("bench", "results.json");

/** One row of the side-by-side table and of bench/results.json. */
export interface PeerRow {
  name: string;
  /** What each side does, exactly. */
  scenario: string;
  bulwark: bigint;
  morpho: bigint;
  /** Gas of Morpho's oracle call inside the operation (its own call included), where it prices the position. */
  morphoOracle?: bigint;
}

interface PeerReport {
  machine: Machine;
  command: string;
  solc: { bulwark: Record<string, CompilerSettings>; morpho: CompilerSettings };
  operations: Record<string, { bulwark: number; morpho: number; ratio: number; morphoOracle?: number }>;
}

/** Bulwark / Morpho, rounded to 2 decimals. */
const ratio = (bulwark: bigint, morpho: bigint): number => Math.round((Number(bulwark) / Number(morpho)) * 100) / 100;

/** The lender and borrower measured on each side, and the two markets they act on. */
interface PeerScene {
  vault: CollateralVault;
  morpho: Morpho;
  marketParams: MorphoMarketParams;
  wethAddress: string;
  bulwark: { lender: HardhatEthersSigner; borrower: HardhatEthersSigner };
  peer: { lender: HardhatEthersSigner; borrower: HardhatEthersSigner };
}

/** One operation on both: its row, whether both must accrue interest, and the transaction on each side. */
interface PeerOperation {
  name: string;
  scenario: string;
  accrues: boolean;
  /** Whether Morpho prices the position (calls its oracle) in it: its oracle's share is then measured. */
  prices?: boolean;
  bulwark: (s: PeerScene) => Promise<ContractTransactionResponse>;
  morpho: (s: PeerScene) => Promise<ContractTransactionResponse>;
}

/** The user operations, measured in this order on both markets. */
const PEER_OPERATIONS: readonly PeerOperation[] = [
  {
    name: "supply",
    scenario: "lender's first supply, 50,000 USDC (deposit / supply)",
    accrues: true,
    bulwark: ({ vault, bulwark: { lender } }) => vault.connect(lender).deposit(usd("50000"), lender.address),
    morpho: ({ morpho, marketParams, peer: { lender } }) =>
      morpho.connect(lender).supply(marketParams, usd("50000"), 0n, lender.address, "0x"),
  },
  {
    name: "supplyCollateral",
    scenario: "borrower's first collateral, 20 WETH (depositCollateral / supplyCollateral)",
    accrues: false,
    bulwark: ({ vault, wethAddress, bulwark: { borrower } }) =>
      vault.connect(borrower).depositCollateral(wethAddress, eth("20"), borrower.address),
    morpho: ({ morpho, marketParams, peer: { borrower } }) =>
      morpho.connect(borrower).supplyCollateral(marketParams, eth("20"), borrower.address, "0x"),
  },
  {
    name: "borrow",
    scenario: "first borrow, 30,000 USDC against the 20 WETH",
    accrues: true,
    prices: true,
    bulwark: ({ vault, bulwark: { borrower } }) => vault.connect(borrower).borrow(usd("30000"), borrower.address),
    morpho: ({ morpho, marketParams, peer: { borrower } }) =>
      morpho.connect(borrower).borrow(marketParams, usd("30000"), 0n, borrower.address, borrower.address),
  },
  {
    name: "repay",
    scenario: "partial: 15,000 of ≈30,000 USDC",
    accrues: true,
    bulwark: ({ vault, bulwark: { borrower } }) => vault.connect(borrower).repay(usd("15000"), borrower.address),
    morpho: ({ morpho, marketParams, peer: { borrower } }) =>
      morpho.connect(borrower).repay(marketParams, usd("15000"), 0n, borrower.address, "0x"),
  },
  {
    name: "withdrawCollateral",
    scenario: "partial, 5 of 20 WETH, debt outstanding (health check)",
    accrues: true,
    prices: true,
    bulwark: ({ vault, wethAddress, bulwark: { borrower } }) =>
      vault.connect(borrower).withdrawCollateral(wethAddress, eth("5"), borrower.address),
    morpho: ({ morpho, marketParams, peer: { borrower } }) =>
      morpho.connect(borrower).withdrawCollateral(marketParams, eth("5"), borrower.address, borrower.address),
  },
  {
    name: "withdraw",
    scenario: "lender, partial: 20,000 of 50,000 USDC",
    accrues: true,
    bulwark: ({ vault, bulwark: { lender } }) =>
      vault.connect(lender).withdraw(usd("20000"), lender.address, lender.address),
    morpho: ({ morpho, marketParams, peer: { lender } }) =>
      morpho.connect(lender).withdraw(marketParams, usd("20000"), 0n, lender.address, lender.address),
  },
];

export async function morphoBench(): Promise<void> {
  console.log("\nBulwark vs Morpho Blue: the same operations on both, on the same tokens, feeds and rate curve");
  const { ethers, networkHelpers } = await network.create();
  const signers = await ethers.getSigners();
  const [owner, keeper] = signers;
  const [bWarmLender, bWarmBorrower, bLender, bBorrower] = signers.slice(2, 6);
  const [mWarmLender, mWarmBorrower, mLender, mBorrower] = signers.slice(6, 10);

  // ---------------------------------------------------------------- both markets (before the timeline starts)
  const market = await deployChainlinkMarket(ethers, { owner });
  await deployRiskModules(ethers, market.vault, { collaterals: market.collaterals });
  const { vault, usdc } = market;
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
  const [, , reserveFactor] = await market.lens.parameters(vault);

  const morpho = await deployMorpho(ethers, owner);
  const morphoAddress = await morpho.getAddress();
  const oracle = await ethers.deployContract("ChainlinkMorphoOracle", [
    wethFeed,
    Number(await weth.decimals()),
    usdcFeed,
    Number(await usdc.decimals()),
  ]);
  const oracleAddress = await oracle.getAddress();
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
    entry: { name: string; scenario: string; accrues: boolean; prices?: boolean },
    bulwarkAction: () => Promise<ContractTransactionResponse>,
    morphoAction: () => Promise<ContractTransactionResponse>,
  ): Promise<void> => {
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
    const morphoOracle =
      entry.prices === true ? await gasInCallsTo(ethers.provider, morphoReceipt.hash, oracleAddress) : undefined;
    if (entry.prices === true && morphoOracle === 0n)
      throw new Error(`scenario drifted: Morpho's ${entry.name} read no price`);
    rows.push({
      name: entry.name,
      scenario: entry.scenario,
      bulwark: bulwark.gasUsed,
      morpho: morphoReceipt.gasUsed,
      morphoOracle,
    });
  };

  const scene: PeerScene = {
    vault,
    morpho,
    marketParams,
    wethAddress,
    bulwark: { lender: bLender, borrower: bBorrower },
    peer: { lender: mLender, borrower: mBorrower },
  };
  for (const { bulwark, morpho: onPeer, ...entry } of PEER_OPERATIONS) {
    await both(
      entry,
      () => bulwark(scene),
      () => onPeer(scene),
    );
  }
  const bulwarkDebt = await vault.debtOf(bBorrower.address);
  const morphoPosition = await morpho.position(id, mBorrower.address);
  expectScenario(bulwarkDebt > usd("15000") && morphoPosition.borrowShares > 0n, "a borrower has no debt left");
  expectScenario(morphoPosition.collateral === eth("15"), "the Morpho borrower does not hold 15 WETH");

  const peer: PeerBench = { ethers, networkHelpers, timeline, market, heartbeat, morpho, marketParams, id, keeper };
  rows.push(...(await measureMorphoLiquidations(peer)));

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
  const bulwark = await settingsByContract(USER_PATH_CONTRACTS);
  const report: PeerReport = {
    machine: machine(),
    command: `${COMMAND} (or BULWARK_BENCH_ONLY=morpho ${COMMAND})`,
    solc: { bulwark: bulwark.byContract, morpho: await compilerSettings("Morpho") },
    operations: Object.fromEntries(
      rows.map((r) => [
        r.name,
        {
          bulwark: Number(r.bulwark),
          morpho: Number(r.morpho),
          ratio: ratio(r.bulwark, r.morpho),
          ...(r.morphoOracle === undefined ? {} : { morphoOracle: Number(r.morphoOracle) }),
        },
      ]),
    ),
  };
  for (const r of rows) {
    if (r.morphoOracle !== undefined) {
      console.log(
        `Morpho's oracle inside its ${r.name}: ${formatGas(r.morphoOracle)} gas (its call and two unchecked feed reads); ` +
          `the rest of it ${formatGas(r.morpho - r.morphoOracle)}.`,
      );
    }
  }
  await writeJson(OUTPUT, report);
  console.log(
    `\nReceipt gasUsed (21,000 base included). Bulwark: ${bulwark.summary}. ` +
      `Morpho Blue 1.0.0: ${describeSettings(report.solc.morpho)}.\nWrote ${OUTPUT}.`,
  );
}
