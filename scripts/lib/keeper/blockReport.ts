/** What the keeper reports: one block's pass (`runOnce`), and one step of its loop (`step`). */
import type { CatchUpReport } from "./accounts.js";
import type { LogFields } from "./log.js";
import type { Selection } from "./selection.js";

/** One liquidation the keeper did (or, in a dry run, simulated). */
export interface LiquidationResult {
  borrower: string;
  collateral: string;
  repaid: bigint;
  seized: bigint;
  bonus: bigint;
  /** Base units the liquidator kept (sale proceeds − what it owed); undefined in a dry run. */
  profit?: bigint;
  txHash?: string;
  gasUsed?: bigint;
}

/** What one block's pass did. */
export interface BlockReport {
  block: number;
  timestamp: number;
  /** Accounts that may have debt, after the catch-up. */
  debtors: number;
  scan: CatchUpReport;
  selection: Selection;
  liquidations: LiquidationResult[];
  /** Hashes of every transaction sent (none in a dry run). */
  sent: string[];
  /** Every transaction simulated successfully but not sent (dry run), by log event. */
  simulated: string[];
  /** Transactions that failed their simulation (not sent), by log event with the decoded error. */
  rejected: { event: string; error: string; fields: LogFields }[];
}

export type StepResult =
  | { status: "processed"; report: BlockReport }
  | { status: "idle"; block: number }
  | { status: "failed"; error: string; failures: number; retryInMs: number };
