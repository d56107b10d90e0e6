/**
 * The keeper's liquidations: the selection's `liquidate` actions, sent through the flash liquidator the keeper's
 * wallet owns (no capital: the seized collateral is sold in a Uniswap v3 pool inside the callback). Two or more are
 * sent as one `liquidateBatch` when each simulates on its own and the batch simulates whole; otherwise one by one,
 * each simulated right before it is sent. Without a liquidator only a dry run is possible: the engine's preview, read
 * with the snapshot, stands for the simulation. Every liquidation mined is logged as `liquidated`.
 */
import type { ContractTransactionReceipt } from "ethers";

import type { UniswapV3FlashLiquidator } from "../../../../typechain-types/index.js";
import type { BlockReport } from "../blockReport.js";
import { describeError, isTransientError } from "../rpc.js";
import type { Action } from "../selection.js";
import { txFields } from "../txRunner.js";
import type { KeeperContext } from "./context.js";

/** One liquidation to send: `maxRepay` is the selection's. */
type Order = { borrower: string; collateral: string; maxRepay: bigint };

/** A liquidation a receipt's `LiquidationExecuted` event reports. */
interface Executed {
  borrower: string;
  collateral: string;
  repaid: bigint;
  seized: bigint;
  fee: bigint;
  bonus: bigint;
  healthBefore: bigint;
}

export class LiquidationTask {
  private readonly ctx: KeeperContext;

  constructor(ctx: KeeperContext) {
    this.ctx = ctx;
  }

  /** Liquidates (or, in a dry run, simulates) the `liquidate` actions among `actions`. */
  async run(actions: readonly Action[], report: BlockReport): Promise<void> {
    const orders = actions.flatMap((action) =>
      action.kind === "liquidate"
        ? [{ borrower: action.borrower, collateral: action.collateral, maxRepay: action.maxRepay }]
        : [],
    );
    if (orders.length === 0) return;
    const { liquidator } = this.ctx.contracts;
    if (liquidator === undefined) {
      if (!this.ctx.dryRun) {
        this.ctx.logger.warn("no-liquidator", { borrowers: orders.map((o) => o.borrower) });
        return;
      }
      this.preview(actions, report);
      return;
    }
    let singles = orders;
    if ((this.ctx.options.batch ?? true) && orders.length > 1) {
      // Keep only the orders that simulate on their own, then send them as one batch if the batch simulates whole.
      singles = await this.simulateEach(liquidator, orders, report);
      if (singles.length > 1 && (await this.batch(liquidator, singles, report))) return;
    }
    for (const order of singles) {
      if (this.ctx.stopping) return;
      await this.single(liquidator, order, report);
    }
  }

  private get minProfit(): bigint {
    return this.ctx.options.minProfit ?? 0n;
  }

  /** A dry run without a liquidator: the engine's preview, read with the snapshot, is the simulation. */
  private preview(actions: readonly Action[], report: BlockReport): void {
    for (const action of actions) {
      if (action.kind !== "liquidate" || action.preview?.ok !== true) continue;
      const { repay, seize, bonus } = action.preview;
      report.simulated.push("liquidate");
      report.liquidations.push({
        borrower: action.borrower,
        collateral: action.collateral,
        repaid: repay,
        seized: seize,
        bonus,
      });
      this.ctx.logger.info("would-liquidate", {
        borrower: action.borrower,
        collateral: action.collateral,
        symbol: this.ctx.symbol(action.collateral),
        repay,
        seize,
        bonus,
        health: action.health,
        simulation: "engine preview (no liquidator)",
        dryRun: true,
      });
    }
  }

  /** The orders that simulate on their own; the others are rejected (logged once per change). */
  private async simulateEach(
    liquidator: UniswapV3FlashLiquidator,
    orders: readonly Order[],
    report: BlockReport,
  ): Promise<Order[]> {
    const fine: Order[] = [];
    for (const order of orders) {
      try {
        await this.ctx.rpc("simulate liquidate", () =>
          liquidator.liquidate.staticCall(
            order.borrower,
            order.collateral,
            order.maxRepay,
            this.minProfit,
            this.ctx.runner.fromOverride(),
          ),
        );
        fine.push(order);
        this.ctx.runner.clearRejection(`liquidate:${order.borrower}:${order.collateral}`);
      } catch (error) {
        if (isTransientError(error)) throw error;
        this.reject(order, describeError(error), report);
      }
    }
    return fine;
  }

  /**
   * Sends `orders` as one `liquidateBatch` (or simulates it, in a dry run); true when done, false when the batch did
   * not simulate whole and the orders go one by one.
   */
  private async batch(liquidator: UniswapV3FlashLiquidator, orders: Order[], report: BlockReport): Promise<boolean> {
    const minProfit = this.minProfit;
    const outcome = await this.ctx.runner.execute(
      {
        event: "liquidate-batch",
        fields: { orders: orders.length, borrowers: orders.map((o) => o.borrower) },
        simulate: (overrides) => liquidator.liquidateBatch.staticCall(orders, minProfit, overrides),
        accept: ([, succeeded]) => {
          const failed = succeeded.findIndex((ok) => !ok);
          if (failed >= 0) throw new Error(`batch item ${failed} (${orders[failed].borrower}) would be skipped`);
        },
        send: () => liquidator.liquidateBatch(orders, minProfit),
        describe: ([quotes]) => ({ repay: quotes.map((q) => q.repay), seize: quotes.map((q) => q.seize) }),
      },
      report,
      `batch:${orders.map((o) => o.borrower).join(",")}`,
    );
    if (outcome.status === "sent") {
      this.recordLiquidations(outcome.receipt, report, orders.length);
      return true;
    }
    if (outcome.status === "simulated") {
      const [quotes] = outcome.result;
      orders.forEach((order, i) =>
        report.liquidations.push({
          borrower: order.borrower,
          collateral: order.collateral,
          repaid: quotes[i].repay,
          seized: quotes[i].seize,
          bonus: quotes[i].bonus,
        }),
      );
      return true;
    }
    // The batch did not simulate whole (one sale moved the pool for the next, say): one by one, each simulated
    // right before it is sent.
    this.ctx.logger.info("batch-fallback", { orders: orders.length });
    return false;
  }

  /** Sends one liquidation (or simulates it, in a dry run). */
  private async single(liquidator: UniswapV3FlashLiquidator, order: Order, report: BlockReport): Promise<void> {
    const minProfit = this.minProfit;
    const fields = {
      borrower: order.borrower,
      collateral: order.collateral,
      symbol: this.ctx.symbol(order.collateral),
    };
    const outcome = await this.ctx.runner.execute(
      {
        event: "liquidate",
        fields,
        simulate: (overrides) =>
          liquidator.liquidate.staticCall(order.borrower, order.collateral, order.maxRepay, minProfit, overrides),
        send: () => liquidator.liquidate(order.borrower, order.collateral, order.maxRepay, minProfit),
        describe: (q) => ({ repay: q.repay, seize: q.seize, bonus: q.bonus, health: q.health }),
      },
      report,
      `liquidate:${order.borrower}:${order.collateral}`,
    );
    if (outcome.status === "sent") this.recordLiquidations(outcome.receipt, report, 1);
    if (outcome.status === "simulated") {
      const q = outcome.result;
      report.liquidations.push({ ...fields, repaid: q.repay, seized: q.seize, bonus: q.bonus });
    }
  }

  private reject(order: { borrower: string; collateral: string }, error: string, report: BlockReport): void {
    const key = `liquidate:${order.borrower}:${order.collateral}`;
    const fields = {
      borrower: order.borrower,
      collateral: order.collateral,
      symbol: this.ctx.symbol(order.collateral),
    };
    report.rejected.push({ event: "liquidate", error, fields });
    this.ctx.logger.log(this.ctx.runner.rejectionLevel(key, error), "simulation-failed", {
      action: "liquidate",
      ...fields,
      error,
    });
  }

  /** Logs one `liquidated` line per liquidation the receipt carries (and `liquidation-skipped` for batch skips). */
  private recordLiquidations(receipt: ContractTransactionReceipt, report: BlockReport, orders: number): void {
    const { executed, sales } = this.readReceipt(receipt);
    executed.forEach((item, i) => {
      const sale = sales[i];
      const profit = sale === undefined ? undefined : sale.received - sale.owed;
      report.liquidations.push({
        borrower: item.borrower,
        collateral: item.collateral,
        repaid: item.repaid,
        seized: item.seized,
        bonus: item.bonus,
        profit,
        txHash: receipt.hash,
        gasUsed: receipt.gasUsed,
      });
      this.ctx.logger.info("liquidated", {
        borrower: item.borrower,
        collateral: item.collateral,
        symbol: this.ctx.symbol(item.collateral),
        repaid: item.repaid,
        seized: item.seized,
        fee: item.fee,
        bonus: item.bonus,
        healthBefore: item.healthBefore,
        profit,
        ...txFields(receipt),
        ...(orders > 1 ? { batch: orders } : {}),
      });
    });
  }

  /**
   * The engine's `LiquidationExecuted` events of `receipt` and the liquidator's `CollateralSold` ones, in order; logs
   * each `LiquidationSkipped` as `liquidation-skipped`.
   */
  private readReceipt(receipt: ContractTransactionReceipt): {
    executed: Executed[];
    sales: { received: bigint; owed: bigint }[];
  } {
    const { engine, liquidator } = this.ctx.contracts;
    const executed: Executed[] = [];
    const sales: { received: bigint; owed: bigint }[] = [];
    const engineAddress = String(engine.target).toLowerCase();
    const liquidatorAddress = String(liquidator?.target ?? "").toLowerCase();
    for (const log of receipt.logs) {
      const from = log.address.toLowerCase();
      if (from !== engineAddress && from !== liquidatorAddress) continue;
      const engineEvent = from === engineAddress ? engine.interface.parseLog(log) : null;
      if (engineEvent?.name === "LiquidationExecuted") {
        const [borrower, collateral, , repaid, seized, fee, bonus, healthBefore] = engineEvent.args as unknown as [
          string,
          string,
          string,
          bigint,
          bigint,
          bigint,
          bigint,
          bigint,
        ];
        executed.push({ borrower, collateral, repaid, seized, fee, bonus, healthBefore });
        continue;
      }
      if (engineEvent?.name === "LiquidationSkipped") {
        const [borrower, collateral, reason] = engineEvent.args as unknown as [string, string, string];
        this.ctx.logger.warn("liquidation-skipped", { borrower, collateral, error: describeError({ data: reason }) });
        continue;
      }
      const sale = from === liquidatorAddress ? liquidator?.interface.parseLog(log) : undefined;
      if (sale?.name === "CollateralSold") {
        const [, , received, owed] = sale.args as unknown as [string, bigint, bigint, bigint];
        sales.push({ received, owed });
      }
    }
    return { executed, sales };
  }
}
