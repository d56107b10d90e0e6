/**
 * The keeper's write-offs: each `writeOff` action of the selection (an account whose collateral left is dust, its
 * debt written off as bad debt), simulated and sent one by one; each mined is logged as `written-off`.
 */
import type { BlockReport } from "../blockReport.js";
import type { Action } from "../selection.js";
import { txFields } from "../txRunner.js";
import type { KeeperContext } from "./context.js";

export class WriteOffTask {
  private readonly ctx: KeeperContext;

  constructor(ctx: KeeperContext) {
    this.ctx = ctx;
  }

  /** Writes off (or, in a dry run, simulates) every `writeOff` action among `actions`. */
  async run(actions: readonly Action[], report: BlockReport): Promise<void> {
    for (const action of actions) {
      if (action.kind === "writeOff" && !this.ctx.stopping) await this.writeOff(action.borrower, report);
    }
  }

  private async writeOff(borrower: string, report: BlockReport): Promise<void> {
    const { engine } = this.ctx.contracts;
    const outcome = await this.ctx.runner.execute(
      {
        event: "written-off",
        fields: { borrower },
        simulate: (overrides) => engine.writeOff.staticCall(borrower, overrides),
        send: () => engine.writeOff(borrower),
        describe: (amount) => ({ amount }),
      },
      report,
      `writeOff:${borrower}`,
    );
    if (outcome.status === "sent") {
      this.ctx.logger.info("written-off", { borrower, amount: outcome.result, ...txFields(outcome.receipt) });
    }
  }
}
