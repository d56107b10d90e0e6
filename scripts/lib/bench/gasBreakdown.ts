/**
 * Where the gas goes, for the gas bench (issue 21): the user operations of breakerOverhead.ts (OVERHEAD_OPERATIONS) run in lockstep (12 s
 * apart, the same state and interest) on three markets of a chain of their own, each with one part fewer:
 *
 *   full      the Chainlink oracle adapter and the circuit breaker (as shipped)
 *   bare      the Chainlink oracle adapter only                        → breaker = full − bare
 *   mock      a trivial oracle (a stored price, no checks)             → oracle  = bare − mock, plus the mock's reads
 *
 * Each transaction's gas is split into its base (21,000 and its calldata, priced 4 per zero byte and 16 per other) and
 * its execution; the parts are differences of execution gas, so calldata (which differs by market: other addresses)
 * never leaks into them. The rest of `mock`'s execution is split into the token transfer (the same MockERC20
 * `transfer` or `transferFrom` measured alone, plus the 2,600 of calling a cold token) and the vault's own bookkeeping
 * ("ledger", the remainder). The trivial oracle's own reads (measured alone, plus a cold call each) are moved from
 * "ledger" to "oracle". Adaptive risk has no column: the vault never calls the risk modules in a user operation (they
 * only set caps); each collateral's ramp is read from its record on every market, inside "ledger". Each operation runs
 * twice and the second round is measured (the first warms every slot an account's first flow writes).
 */
import type { ContractTransactionResponse } from "ethers";
import { network } from "hardhat";

import { Timeline } from "../chain.js";
import { collateral, deployChainlinkMarket, deployMarket, type MarketCore } from "../testMarket.js";
import { fundAndApprove } from "../tokens.js";
import { eth, usd } from "../units.js";
import { OVERHEAD_OPERATIONS } from "./breakerOverhead.js";

/** One operation's gas, by part. */
export interface GasParts {
  total: number;
  /** 21,000 and the calldata. */
  base: number;
  token: number;
  ledger: number;
  oracle: number;
  breaker: number;
}

/** A cold CALL to a contract not yet touched in the transaction (EIP-2929). */
const COLD_CALL = 2_600;

/** Calldata gas of `data` (hex): 4 per zero byte, 16 per other. */
export function calldataGas(data: string): number {
  let gas = 0;
  for (let i = 2; i < data.length; i += 2) gas += data.slice(i, i + 2) === "00" ? 4 : 16;
  return gas;
}

/**
 * The token transfer each operation of OVERHEAD_OPERATIONS makes (into the vault: transferFrom; out of it: transfer)
 * and the prices it reads (an operation that values an account reads the collateral's and USDC's).
 */
const SHAPE: Readonly<Record<string, { transfer: "transferFrom" | "transfer"; reads: number }>> = {
  deposit: { transfer: "transferFrom", reads: 0 },
  depositCollateral: { transfer: "transferFrom", reads: 0 },
  borrow: { transfer: "transfer", reads: 2 },
  repay: { transfer: "transferFrom", reads: 0 },
  withdrawCollateral: { transfer: "transfer", reads: 2 },
  withdraw: { transfer: "transfer", reads: 0 },
};

/** Measures where each operation's gas goes; see the file's header. */
export async function measureGasBreakdown(
  log: (line: string) => void = console.log,
): Promise<Record<string, GasParts>> {
  log("Measuring where the gas goes: the same operations on three markets, each with one part fewer");
  const { ethers, networkHelpers } = await network.create();
  const [, lender, borrower, other] = await ethers.getSigners();
  const full = await deployChainlinkMarket(ethers);
  const bare = await deployChainlinkMarket(ethers, { wireBreaker: false });
  const mock = await deployMarket(ethers, { wireBreaker: false });
  const markets: MarketCore[] = [full, bare, mock];
  const timeline = await Timeline.start(networkHelpers);
  for (const m of markets) {
    const vaultAddress = await m.vault.getAddress();
    await fundAndApprove(timeline, m.usdc, lender, usd("2000000"), vaultAddress);
    await fundAndApprove(timeline, m.usdc, borrower, usd("100000"), vaultAddress);
    await fundAndApprove(timeline, collateral(m, "WETH"), borrower, eth("100"), vaultAddress);
    await timeline.send(() => m.vault.connect(lender).deposit(usd("1000000"), lender.address));
  }
  /** Sends `action` on the timeline; its receipt's gas and its calldata. */
  const sent = async (action: () => Promise<ContractTransactionResponse>): Promise<{ gas: number; data: string }> => {
    let data = "0x";
    const receipt = await timeline.send(async () => {
      const response = await action();
      data = response.data;
      return response;
    });
    return { gas: Number(receipt.gasUsed), data };
  };
  /** A transaction's execution gas: what is left after 21,000 and the calldata. */
  const execution = async (action: () => Promise<ContractTransactionResponse>): Promise<number> => {
    const { gas, data } = await sent(action);
    return gas - 21_000 - calldataGas(data);
  };
  // A token transfer alone, between accounts that already hold the token, plus the cold call the vault makes to it.
  await fundAndApprove(timeline, mock.usdc, other, usd("1000"), borrower.address);
  const token = {
    transfer: COLD_CALL + (await execution(() => mock.usdc.connect(borrower).transfer(other.address, usd("1")))),
    transferFrom:
      COLD_CALL +
      (await execution(() => mock.usdc.connect(borrower).transferFrom(other.address, borrower.address, usd("1")))),
  };
  // The trivial oracle's read alone (a cold call each in the vault).
  const mockRead =
    COLD_CALL +
    Number((await mock.oracle.getPrice.estimateGas(mock.usdc.target)) - 21_000n) -
    calldataGas(mock.oracle.interface.encodeFunctionData("getPrice", [mock.usdc.target as string]));

  const rows = new Map<string, Array<{ gas: number; data: string }>>();
  for (const round of ["warm-up", "measured"]) {
    await timeline.advance(7 * 3600);
    for (const m of [full, bare]) await m.heartbeat((action) => timeline.send(action));
    for (const [name, op] of OVERHEAD_OPERATIONS) {
      const row: Array<{ gas: number; data: string }> = [];
      for (const market of markets) row.push(await sent(() => op({ market, lender, borrower })));
      if (round === "measured") rows.set(name, row);
    }
  }
  const out: Record<string, GasParts> = {};
  for (const [name] of OVERHEAD_OPERATIONS) {
    const shape = SHAPE[name];
    if (shape === undefined) throw new Error(`gasBreakdown.ts: no shape for the operation ${name}`);
    const { transfer, reads } = shape;
    const [withAll, withoutBreaker, withMock] = rows.get(name)!.map((r) => r.gas - 21_000 - calldataGas(r.data));
    const first = rows.get(name)![0];
    const oracleOwn = reads * mockRead;
    out[name] = {
      total: first.gas,
      base: 21_000 + calldataGas(first.data),
      token: token[transfer],
      ledger: withMock - token[transfer] - oracleOwn,
      oracle: withoutBreaker - withMock + oracleOwn,
      breaker: withAll - withoutBreaker,
    };
  }
  return out;
}
