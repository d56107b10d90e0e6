/**
 * The keeper's rebalancing: `rebalance` for every collateral the rebalancer says is due, simulated and sent one by
 * one; each mined is logged as `rebalanced` with what it sold and received.
 */
import type { BlockReport } from "../blockReport.js";
import { txFields } from "../txRunner.js";
import type { KeeperContext } from "./context.js";

export class RebalanceTask {
  private readonly ctx: KeeperContext;

  constructor(ctx: KeeperContext) {
    this.ctx = ctx;
  }

  /** Runs the rebalancer for every collateral it says is due. */
  async run(report: BlockReport): Promise<void> {
    const { rebalancer } = this.ctx.contracts;
    if (rebalancer === undefined) return;
    for (const asset of this.ctx.collaterals) {
      if (this.ctx.stopping) return;
      if (!(await this.ctx.rpc(`rebalancer.isDue ${asset}`, () => rebalancer.isDue(asset)))) continue;
      const fields = { asset, symbol: this.ctx.symbol(asset) };
      const outcome = await this.ctx.runner.execute(
        {
          event: "rebalanced",
          fields,
          simulate: (overrides) => rebalancer.rebalance.staticCall(asset, overrides),
          send: () => rebalancer.rebalance(asset),
          describe: ([sold, received]) => ({ sold, received }),
        },
        report,
        `rebalance:${asset}`,
      );
      if (outcome.status === "sent") {
        const [sold, received] = outcome.result;
        this.ctx.logger.info("rebalanced", { ...fields, sold, received, ...txFields(outcome.receipt) });
      }
    }
  }
}
