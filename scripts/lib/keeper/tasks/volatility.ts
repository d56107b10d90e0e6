/**
 * The keeper's volatility samples: `updateMany` over every collateral the volatility oracle says is due, logged as
 * `volatility-updated`. The risk manager then syncs the same collaterals (riskSync.ts).
 */
import type { BlockReport } from "../blockReport.js";
import { txFields } from "../txRunner.js";
import type { KeeperContext } from "./context.js";

/** The collaterals sampled (in a dry run: that would be), and their symbols. */
export interface Sampled {
  assets: string[];
  symbols: string[];
}

export class VolatilityTask {
  private readonly ctx: KeeperContext;

  constructor(ctx: KeeperContext) {
    this.ctx = ctx;
  }

  /** Samples the collaterals that are due; returns them unless nothing was due or the sample was not sent. */
  async run(report: BlockReport): Promise<Sampled | undefined> {
    const { volatility } = this.ctx.contracts;
    if (volatility === undefined) return undefined;
    const due: string[] = [];
    for (const asset of this.ctx.collaterals) {
      if (await this.ctx.rpc(`volatility.isDue ${asset}`, () => volatility.isDue(asset))) due.push(asset);
    }
    if (due.length === 0 || this.ctx.stopping) return undefined;
    const symbols = due.map((asset) => this.ctx.symbol(asset));
    const outcome = await this.ctx.runner.execute(
      {
        event: "volatility-updated",
        fields: { assets: due, symbols },
        simulate: (overrides) => volatility.updateMany.staticCall(due, overrides),
        accept: (updated) => {
          if (updated === 0n) throw new Error("no asset would be updated");
        },
        send: () => volatility.updateMany(due),
        describe: (updated) => ({ updated }),
      },
      report,
      `volatility:${due.join(",")}`,
    );
    if (outcome.status === "sent") {
      this.ctx.logger.info("volatility-updated", {
        assets: due,
        symbols,
        updated: outcome.result,
        ...txFields(outcome.receipt),
      });
    }
    if (outcome.status === "rejected" || outcome.status === "not-sent") return undefined;
    return { assets: due, symbols };
  }
}
