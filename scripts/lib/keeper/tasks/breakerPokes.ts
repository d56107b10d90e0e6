/**
 * The keeper's breaker pokes: each circuit-breaker entry (the base asset, each collateral, the global entry) is poked
 * when the poke would change its action mask or level, and at least every `pokeIntervalSeconds` of chain time
 * (default 600); each mined is logged as `breaker-poked` (at `info` when it changed the entry, `debug` otherwise).
 */
import { ZeroAddress } from "ethers";

import type { BlockReport } from "../blockReport.js";
import type { LogFields } from "../log.js";
import { describeError, isTransientError } from "../rpc.js";
import { txFields } from "../txRunner.js";
import type { KeeperContext } from "./context.js";

/** Level names of ICircuitBreaker.Level. */
export const BREAKER_LEVELS = ["NONE", "TIGHTEN", "NO_BORROW", "QUEUE", "NO_LIQUIDATION"] as const;

export class BreakerPokeTask {
  private readonly ctx: KeeperContext;
  /** Chain time of the last poke of each breaker entry. */
  private readonly lastPoke = new Map<string, number>();

  constructor(ctx: KeeperContext) {
    this.ctx = ctx;
  }

  /** Forgets when each entry was last poked (the chain was reset). */
  reset(): void {
    this.lastPoke.clear();
  }

  /** Pokes the entries that would change or are due at chain time `timestamp`. */
  async run(timestamp: number, report: BlockReport): Promise<void> {
    const { breaker } = this.ctx.contracts;
    if (breaker === undefined) return;
    const interval = this.ctx.options.pokeIntervalSeconds ?? 600;
    for (const asset of [this.ctx.base, ...this.ctx.collaterals, ZeroAddress]) {
      if (this.ctx.stopping) return;
      const entry = await this.ctx.rpc(`breaker.entry ${asset}`, () => breaker.entry(asset));
      const before = { mask: entry.actionMask, level: entry.level };
      let after: { mask: bigint; level: bigint };
      try {
        const [mask, level] = await this.ctx.rpc(`simulate poke ${asset}`, () => breaker.poke.staticCall(asset));
        after = { mask, level };
      } catch (error) {
        if (isTransientError(error)) throw error;
        const fields = { asset, symbol: this.ctx.symbol(asset) };
        this.ctx.runner.rejectOther("breaker-poked", fields, describeError(error), report);
        continue;
      }
      const changed = after.mask !== before.mask || after.level !== before.level;
      const last = this.lastPoke.get(asset);
      const due = last === undefined || timestamp - last >= interval;
      if (!changed && !due) continue;
      const fields: LogFields = {
        asset,
        symbol: this.ctx.symbol(asset),
        why: changed ? "changed" : "interval",
        levelBefore: BREAKER_LEVELS[Number(before.level)] ?? String(before.level),
        levelAfter: BREAKER_LEVELS[Number(after.level)] ?? String(after.level),
        maskBefore: before.mask,
        maskAfter: after.mask,
      };
      const outcome = await this.ctx.runner.execute(
        {
          event: "breaker-poked",
          fields,
          simulate: (overrides) => breaker.poke.staticCall(asset, overrides),
          send: () => breaker.poke(asset),
        },
        report,
        `poke:${asset}`,
      );
      if (outcome.status === "sent" || outcome.status === "simulated") this.lastPoke.set(asset, timestamp);
      if (outcome.status === "sent") {
        this.ctx.logger.log(changed ? "info" : "debug", "breaker-poked", { ...fields, ...txFields(outcome.receipt) });
      }
    }
  }
}
