/**
 * The keeper's risk syncs: after a volatility sample (volatility.ts), the risk manager's `syncMany` over the same
 * collaterals, so their caps follow the new volatility; logged as `risk-synced`.
 */
import type { BlockReport } from "../blockReport.js";
import { txFields } from "../txRunner.js";
import type { KeeperContext } from "./context.js";
import type { Sampled } from "./volatility.js";

export class RiskSyncTask {
  private readonly ctx: KeeperContext;

  constructor(ctx: KeeperContext) {
    this.ctx = ctx;
  }

  /** Has the risk manager (if any) sync the collaterals just `sampled`. */
  async run(sampled: Sampled, report: BlockReport): Promise<void> {
    const { riskManager } = this.ctx.contracts;
    if (riskManager === undefined || this.ctx.stopping) return;
    const { assets: due, symbols } = sampled;
    const synced = await this.ctx.runner.execute(
      {
        event: "risk-synced",
        fields: { assets: due, symbols },
        simulate: (overrides) => riskManager.syncMany.staticCall(due, overrides),
        send: () => riskManager.syncMany(due),
      },
      report,
      `sync:${due.join(",")}`,
    );
    if (synced.status === "sent") {
      this.ctx.logger.info("risk-synced", { assets: due, symbols, ...txFields(synced.receipt) });
    }
  }
}
