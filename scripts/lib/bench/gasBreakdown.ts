/**
 * Where the gas goes, for the gas bench (issue 21): the user operations of breakerOverhead.ts run in lockstep (12 s
 * apart, the same state and interest) on four markets of a chain of their own, each with one part fewer:
 *
 *   full      the Chainlink oracle adapter, the circuit breaker, adaptive risk (as shipped)
 *   no risk   the same without the risk modules                       → risk    = full − no risk
 *   bare      the Chainlink oracle adapter only                       → breaker = no risk − bare
 *   mock      a trivial oracle (a stored price, no checks)            → oracle  = bare − mock
 *
 * and the rest of `mock` split into the transaction's base cost (21,000), the token transfers (the same MockERC20
 * `transferFrom`s measured alone, a warm-slot transfer each) and the vault's own bookkeeping (the remainder). Each
 * operation runs twice and the second round is measured (the first warms every slot an account's first flow writes).
 * The parts are differences of whole transactions, so they add up to the total exactly; the token part is measured
 * apart, so "ledger" carries what a transfer inside a call costs more or less than alone.
 */
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import type { ContractTransactionResponse } from "ethers";
import { network } from "hardhat";

import { Timeline } from "../chain.js";
import { deployRiskModules } from "../risk.js";
import { collateral, deployChainlinkMarket, deployMarket, type MarketCore } from "../testMarket.js";
import { fundAndApprove } from "../tokens.js";
import { eth, usd } from "../units.js";

/** One operation's gas, by part. */
export interface GasParts {
  total: number;
  base: number;
  token: number;
  ledger: number;
  oracle: number;
  breaker: number;
  risk: number;
}

interface Scene {
  market: MarketCore;
  lender: HardhatEthersSigner;
  borrower: HardhatEthersSigner;
}

const weth = (m: MarketCore) => collateral(m, "WETH").target;

/** The operations, each with the token transfers it makes (transferFrom into the vault or transfer out of it). */
const OPERATIONS: ReadonlyArray<[string, (s: Scene) => Promise<ContractTransactionResponse>, number]> = [
  ["deposit", ({ market: m, lender }) => m.vault.connect(lender).deposit(usd("50000"), lender.address), 1],
  [
    "depositCollateral",
    ({ market: m, borrower }) => m.vault.connect(borrower).depositCollateral(weth(m), eth("20"), borrower),
    1,
  ],
  ["borrow", ({ market: m, borrower }) => m.vault.connect(borrower).borrow(usd("30000"), borrower.address), 1],
  ["repay", ({ market: m, borrower }) => m.vault.connect(borrower).repay(usd("15000"), borrower.address), 1],
  [
    "withdrawCollateral",
    ({ market: m, borrower }) => m.vault.connect(borrower).withdrawCollateral(weth(m), eth("5"), borrower.address),
    1,
  ],
  [
    "withdraw",
    ({ market: m, lender }) => m.vault.connect(lender).withdraw(usd("20000"), lender.address, lender.address),
    1,
  ],
];

/** Measures where each operation's gas goes; see the file's header. */
export async function measureGasBreakdown(
  log: (line: string) => void = console.log,
): Promise<Record<string, GasParts>> {
  log("Measuring where the gas goes: the same operations on four markets, each with one part fewer");
  const { ethers, networkHelpers } = await network.create();
  const [, lender, borrower, other] = await ethers.getSigners();
  const full = await deployChainlinkMarket(ethers);
  await deployRiskModules(ethers, full.vault, { collaterals: full.collaterals });
  const noRisk = await deployChainlinkMarket(ethers);
  const bare = await deployChainlinkMarket(ethers, { wireBreaker: false });
  const mock = await deployMarket(ethers, { wireBreaker: false });
  const markets: MarketCore[] = [full, noRisk, bare, mock];
  const timeline = await Timeline.start(networkHelpers);
  const heartbeat = async (): Promise<void> => {
    for (const m of [full, noRisk, bare]) await m.heartbeat((action) => timeline.send(action));
  };
  for (const m of markets) {
    const vaultAddress = await m.vault.getAddress();
    await fundAndApprove(timeline, m.usdc, lender, usd("2000000"), vaultAddress);
    await fundAndApprove(timeline, m.usdc, borrower, usd("100000"), vaultAddress);
    await fundAndApprove(timeline, collateral(m, "WETH"), borrower, eth("100"), vaultAddress);
    await timeline.send(() => m.vault.connect(lender).deposit(usd("1000000"), lender.address));
  }
  // A token transfer alone, between accounts that already hold the token (warm, non-zero balances on both sides).
  await fundAndApprove(timeline, mock.usdc, other, usd("1000"), other.address);
  const transfer = (await timeline.send(() => mock.usdc.connect(borrower).transfer(other.address, usd("1")))).gasUsed;
  const tokenPart = Number(transfer) - 21_000;

  const gas = new Map<string, number[]>();
  for (const round of ["warm-up", "measured"]) {
    await timeline.advance(7 * 3600);
    await heartbeat();
    for (const [name, op] of OPERATIONS) {
      const row: number[] = [];
      for (const market of markets)
        row.push(Number((await timeline.send(() => op({ market, lender, borrower }))).gasUsed));
      if (round === "measured") gas.set(name, row);
    }
  }
  const out: Record<string, GasParts> = {};
  for (const [name, , transfers] of OPERATIONS) {
    const [withAll, withoutRisk, withoutBreaker, withoutOracle] = gas.get(name)!;
    const token = tokenPart * transfers;
    out[name] = {
      total: withAll,
      base: 21_000,
      token,
      ledger: withoutOracle - 21_000 - token,
      oracle: withoutBreaker - withoutOracle,
      breaker: withoutRisk - withoutBreaker,
      risk: withAll - withoutRisk,
    };
  }
  return out;
}
