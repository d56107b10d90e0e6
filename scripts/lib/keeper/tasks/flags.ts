/**
 * The keeper's flags: it flags what is left liquidatable after its liquidations (the accounts the selection left
 * without an action, and those whose liquidation failed its simulation, whose bonus then climbs from the flag and may
 * make them worth liquidating), at most `maxFlagsPerBlock` a block; each mined is logged as `flagged`.
 */
import type { BlockReport } from "../blockReport.js";
import type { AccountSnapshot, Selection } from "../selection.js";
import { txFields } from "../txRunner.js";
import type { KeeperContext } from "./context.js";

export class FlagTask {
  private readonly ctx: KeeperContext;

  constructor(ctx: KeeperContext) {
    this.ctx = ctx;
  }

  /** Flags the selection's accounts and the unflagged ones whose liquidation `report` rejected, `maxFlags` at most. */
  async run(
    snapshots: readonly AccountSnapshot[],
    selection: Selection,
    report: BlockReport,
    maxFlags: number,
  ): Promise<void> {
    const unflagged = new Set(snapshots.filter((s) => s.flaggedAt === 0n).map((s) => s.account));
    const failed = report.rejected.flatMap((r) =>
      r.event === "liquidate" && typeof r.fields.borrower === "string" ? [r.fields.borrower] : [],
    );
    const flags = [...new Set([...selection.flags, ...failed.filter((a) => unflagged.has(a))])].slice(0, maxFlags);
    for (const account of flags) if (!this.ctx.stopping) await this.flag(account, report);
  }

  private async flag(account: string, report: BlockReport): Promise<void> {
    const { engine } = this.ctx.contracts;
    const outcome = await this.ctx.runner.execute(
      {
        event: "flagged",
        fields: { borrower: account },
        simulate: (overrides) => engine.flag.staticCall(account, overrides),
        send: () => engine.flag(account),
      },
      report,
      `flag:${account}`,
    );
    if (outcome.status === "sent") this.ctx.logger.info("flagged", { borrower: account, ...txFields(outcome.receipt) });
  }
}
