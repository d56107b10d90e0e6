/**
 * How the keeper sends a transaction (`TransactionRunner.execute`): simulated (`staticCall`) first, at the block it
 * is sent in: the block number is read before the simulation and again before sending, and a block in between means
 * simulate again (up to three times). Only what simulated successfully is sent; in a dry run nothing is (the
 * simulation is logged as `would-…`). A simulation failure is logged at `warn` the first time and at `debug` while it
 * fails the same way (`rejectionLevel`).
 */
import type { ContractTransactionReceipt, ContractTransactionResponse, Provider } from "ethers";

import type { RpcCall } from "./accounts.js";
import type { BlockReport } from "./blockReport.js";
import type { LogFields, Logger } from "./log.js";
import { describeError, isTransientError } from "./rpc.js";

/** A transaction to simulate and send. */
export interface TxSpec<R> {
  /** Event logged when it is mined (`would-<event>` in a dry run, `<event>-failed` when a simulation fails). */
  event: string;
  fields: LogFields;
  simulate: (overrides: { blockTag: number; from?: string }) => Promise<R>;
  send: () => Promise<ContractTransactionResponse>;
  /** Fields the simulated result adds to the logs. */
  describe?: (result: R) => LogFields;
  /** Throws when a simulated result must not be sent (a batch with a failing item, say). */
  accept?: (result: R) => void;
}

export type TxOutcome<R> =
  | { status: "sent"; result: R; receipt: ContractTransactionReceipt }
  | { status: "simulated"; result: R }
  | { status: "rejected"; error: string }
  | { status: "not-sent"; error: string };

/** What the runner works with, from its keeper. */
export interface TxRunnerOptions {
  provider: Provider;
  rpc: RpcCall;
  logger: Logger;
  /** Simulate and log, never send. */
  dryRun: boolean;
  /** Whether the keeper has a wallet (without one, simulations come from the liquidator's owner). */
  hasSigner: boolean;
  /** Seconds to wait for a receipt before giving up on it. */
  txTimeoutSeconds: number;
  /** Whether the keeper is stopping (then nothing more is sent). */
  stopping: () => boolean;
}

export class TransactionRunner {
  private readonly options: TxRunnerOptions;
  /** Last simulation failure logged per action key, so a persistent one is logged once per change. */
  private readonly lastRejection = new Map<string, string>();
  /** Who simulations of owner-only liquidator calls come from (the owner, in a dry run without a key). */
  private liquidatorOwner: string | undefined;

  constructor(options: TxRunnerOptions) {
    this.options = options;
  }

  /** Sets the liquidator's owner, whom simulations come from when the keeper has no wallet. */
  simulateAs(liquidatorOwner: string | undefined): void {
    this.liquidatorOwner = liquidatorOwner;
  }

  /**
   * Simulates `spec` at the current block and, unless this is a dry run, sends it — only if no block arrived since
   * the simulation (else it simulates again, up to three times). Logs the outcome.
   */
  async execute<R>(spec: TxSpec<R>, report: BlockReport, key: string): Promise<TxOutcome<R>> {
    const { rpc, provider, logger } = this.options;
    for (let attempt = 1; attempt <= 3; attempt++) {
      if (this.options.stopping()) return { status: "not-sent", error: "stopping" };
      const block = await rpc("blockNumber", () => provider.getBlockNumber());
      let result: R;
      try {
        result = await rpc(`simulate ${spec.event}`, () => spec.simulate({ blockTag: block, ...this.fromOverride() }));
        spec.accept?.(result);
      } catch (error) {
        if (isTransientError(error)) throw error;
        const message = describeError(error);
        report.rejected.push({ event: spec.event, error: message, fields: spec.fields });
        logger.log(this.rejectionLevel(key, message), "simulation-failed", {
          action: spec.event,
          block,
          ...spec.fields,
          error: message,
        });
        return { status: "rejected", error: message };
      }
      this.lastRejection.delete(key);
      const described = spec.describe?.(result) ?? {};
      if (this.options.dryRun) {
        report.simulated.push(spec.event);
        logger.info(`would-${spec.event}`, { block, ...spec.fields, ...described, dryRun: true });
        return { status: "simulated", result };
      }
      const now = await rpc("blockNumber", () => provider.getBlockNumber());
      if (now !== block) {
        logger.debug("resimulate", { action: spec.event, simulatedAt: block, now });
        continue;
      }
      return this.send(spec, report, result);
    }
    logger.warn("not-sent", {
      action: spec.event,
      ...spec.fields,
      error: "a new block arrived after each simulation",
    });
    return { status: "not-sent", error: "chain moving" };
  }

  /** Sends `spec` (simulated as `result`) and waits for its receipt. */
  private async send<R>(spec: TxSpec<R>, report: BlockReport, result: R): Promise<TxOutcome<R>> {
    const { logger } = this.options;
    let receipt: ContractTransactionReceipt | null;
    try {
      const tx = await spec.send();
      report.sent.push(tx.hash);
      logger.debug("tx-sent", { action: spec.event, txHash: tx.hash, ...spec.fields });
      receipt = await tx.wait(1, this.options.txTimeoutSeconds * 1000);
    } catch (error) {
      const message = describeError(error);
      logger.error(`${spec.event}-failed`, { ...spec.fields, error: message });
      return { status: "not-sent", error: message };
    }
    if (receipt === null) return { status: "not-sent", error: "no receipt" };
    return { status: "sent", result, receipt };
  }

  /** `from` for a simulation: the liquidator's owner when the keeper has no wallet. */
  fromOverride(): { from?: string } {
    const from = this.options.hasSigner ? undefined : this.liquidatorOwner;
    return from === undefined ? {} : { from };
  }

  /**
   * `warn` for a new simulation failure of the action `key`, `debug` when it failed the same way (the same error,
   * whatever its arguments) last time: a persistent failure is reported once, not every block.
   */
  rejectionLevel(key: string, error: string): "warn" | "debug" {
    const kind = error.replace(/\(.*$/s, "");
    const repeated = this.lastRejection.get(key) === kind;
    this.lastRejection.set(key, kind);
    return repeated ? "debug" : "warn";
  }

  /** Forgets the last simulation failure of `key` (its simulation succeeded). */
  clearRejection(key: string): void {
    this.lastRejection.delete(key);
  }

  /** Records and logs (at `warn`) a failed simulation of `event`, outside `execute`. */
  rejectOther(event: string, fields: LogFields, error: string, report: BlockReport): void {
    report.rejected.push({ event, error, fields });
    this.options.logger.warn("simulation-failed", { action: event, ...fields, error });
  }
}

/** The log fields of a mined transaction. */
export function txFields(receipt: ContractTransactionReceipt): LogFields {
  return { txHash: receipt.hash, block: receipt.blockNumber, gasUsed: receipt.gasUsed };
}
