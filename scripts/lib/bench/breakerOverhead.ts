/**
 * What the circuit breaker costs, for the gas bench (vaultGas.ts): the operations of `OVERHEAD_OPERATIONS` on two
 * fresh markets, one with the breaker wired in and one without, sent in lockstep (A then B, 12 s apart) so both see
 * the same state and the same interest. Each row is gas(with) − gas(without).
 */
import type { HardhatEthers, HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import type { ContractTransactionResponse } from "ethers";

import type { Timeline } from "../chain.js";
import { formatGas } from "../format.js";
import { collateral, type ChainlinkMarket, type MarketCore } from "../testMarket.js";
import { fundAndApprove } from "../tokens.js";
import { eth, usd } from "../units.js";
import type { Measurement } from "./shared.js";

/** A lender and a borrower already funded on a market. */
export interface OverheadScene {
  market: MarketCore;
  lender: HardhatEthersSigner;
  borrower: HardhatEthersSigner;
}

const weth = (m: MarketCore) => collateral(m, "WETH").target;

/** The operations compared, in order: (row name, the transaction on one market). gasBreakdown.ts runs them too. */
export const OVERHEAD_OPERATIONS: readonly [string, (s: OverheadScene) => Promise<ContractTransactionResponse>][] = [
  ["deposit", ({ market: m, lender }) => m.vault.connect(lender).deposit(usd("50000"), lender.address)],
  [
    "depositCollateral",
    ({ market: m, borrower }) => m.vault.connect(borrower).depositCollateral(weth(m), eth("20"), borrower),
  ],
  ["borrow", ({ market: m, borrower }) => m.vault.connect(borrower).borrow(usd("30000"), borrower.address)],
  ["repay", ({ market: m, borrower }) => m.vault.connect(borrower).repay(usd("15000"), borrower.address)],
  [
    "withdrawCollateral",
    ({ market: m, borrower }) => m.vault.connect(borrower).withdrawCollateral(weth(m), eth("5"), borrower.address),
  ],
  [
    "withdraw",
    ({ market: m, lender }) => m.vault.connect(lender).withdraw(usd("20000"), lender.address, lender.address),
  ],
];

/** Measures `OVERHEAD_OPERATIONS` on `guarded` and `bare` (fresh markets, deployed before the timeline started). */
export async function measureBreakerOverhead(
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
  // The sequence runs twice: a first round touches every slot (a new account's first flow pays for it, once), and
  // the second, measured, round runs after a new outflow window has opened, as in a market quiet for a while.
  const gas = new Map<string, bigint[]>();
  for (const round of ["warm-up", "measured"]) {
    await timeline.advance(7 * 3600);
    for (const m of [guarded, bare]) await m.heartbeat((action) => timeline.send(action));
    for (const [name, op] of OVERHEAD_OPERATIONS) {
      const pair: bigint[] = [];
      for (const market of [guarded, bare]) {
        pair.push((await timeline.send(() => op({ market, lender, borrower }))).gasUsed);
      }
      if (round === "measured") gas.set(name, pair);
    }
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
