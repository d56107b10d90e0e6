/**
 * The keeper's backstop duties (issue 26), when the vault has a first-loss backstop:
 * - `checkpoint` whenever the backstop's record of whether exits are closed (`closedSince`) disagrees with
 *   `closedReason` now, or an earmark is stale (reserves have grown to cover the provisions it was set for): the time
 *   exits stay closed extends stakers' unstake windows only from when it is recorded, and a stale earmark keeps exits
 *   closed until the vault re-targets it; while the breaker queues lenders' withdrawals, when the backstop has not
 *   recorded the queue yet and every 6 hours after (a guardian's queue closes exits for at most 30 days of queue
 *   recorded with no gap over a day); and, while the vault owes the
 *   backstop, once per `backstopMarkSeconds` (default an hour, at most 80 minutes), so the recovery's price marks
 *   hold the highest price that held: the backstop marks the lowest price sighted over two hours, and starts again
 *   after 90 minutes without a sighting. Logged as `backstop-checkpoint` with why.
 * - `settleBackstopIncomeShare` on the vault once per `backstopIncomeSeconds` of chain time (default a day): stakers'
 *   share of reserve income. Logged as `backstop-income`.
 * Both are simulated first, like every keeper transaction.
 */
import { ZeroAddress } from "ethers";

import type { BlockReport } from "../blockReport.js";
import { txFields } from "../txRunner.js";
import type { KeeperContext } from "./context.js";

/** Chain seconds between two settlements of the income share, by default. */
export const DEFAULT_INCOME_SECONDS = 86_400;
/** Chain seconds between two checkpoints that mark the recovery's prices while the vault owes the backstop. */
export const DEFAULT_MARK_SECONDS = 3_600;
/** The longest allowed: under the backstop's `MAX_SIGHTING_GAP` (90 minutes), with room for a late block. */
export const MAX_MARK_SECONDS = 4_800;
/** Chain seconds between two records of lenders' queue while it lasts (the backstop starts its count again after a
 *  gap of a day: `MAX_QUEUE_GAP`). */
export const QUEUE_RECORD_SECONDS = 6 * 3_600;
/** The breaker's action bit for lenders' withdrawals (queued). */
const WITHDRAW_ACTION = 2n;

/**
 * Why a checkpoint is due, or undefined: exits closed but not recorded so; an earmark stale on either side (the
 * backstop holds more than the vault counts, after a failed call, or the vault counts more than the provisions' excess
 * over reserves now); an earmark short of that excess while the backstop has idle cash it could hold (back from a
 * venue); exits recorded closed but open now. Checkpoints due by time are `dueReason`'s.
 */
export function checkpointReason(
  closedReason: bigint,
  closedSince: bigint,
  earmarked: bigint,
  vaultEarmarked: bigint,
  shortfall: bigint,
  freeIdle = 0n,
): "closed" | "reopened" | "stale-earmark" | "short-earmark" | undefined {
  if (closedReason !== 0n && closedSince === 0n) return "closed";
  if (earmarked > vaultEarmarked || vaultEarmarked > shortfall) return "stale-earmark";
  if (vaultEarmarked < shortfall && freeIdle > 0n) return "short-earmark";
  if (closedReason === 0n && closedSince !== 0n) return "reopened";
  return undefined;
}

/** A checkpoint due by time, when no state calls for one: lenders' queue due a record (`queueDue`: held by the
 *  breaker and not recorded, or last recorded QUEUE_RECORD_SECONDS ago), then a mark of the recovery's prices. */
export function dueReason(queueDue: boolean, markDue: boolean): "queue" | "mark" | undefined {
  return queueDue ? "queue" : markDue ? "mark" : undefined;
}

export class BackstopTask {
  private readonly ctx: KeeperContext;
  private lastIncome: number | undefined;
  /** When a checkpoint was last sent while the vault owed the backstop (its prices marked then). */
  private lastMark: number | undefined;
  /** The backstop's queue record when a queue record was last tried, and when. */
  private lastQueueTry: { record: string; at: number } | undefined;
  /** The state a checkpoint was last sent for: one that changed nothing is not sent again for the same state. */
  private lastCheckpoint: string | undefined;

  constructor(ctx: KeeperContext) {
    this.ctx = ctx;
  }

  /** Checkpoints the backstop when due, then settles the income share when its interval has passed. */
  async run(timestamp: number, report: BlockReport): Promise<void> {
    const { backstop, vault, lens, breaker } = this.ctx.contracts;
    if (backstop === undefined) return;
    const { rpc } = this.ctx;
    // Whether the breaker queues lenders' withdrawals now (undefined when it cannot say: no queue record is due then).
    const queuedNow = async (): Promise<boolean | undefined> => {
      if (breaker === undefined) return false;
      try {
        const [global, base] = await Promise.all([
          rpc("breaker.entry global", () => breaker.entry(ZeroAddress)),
          rpc("breaker.entry base", () => breaker.entry(this.ctx.base)),
        ]);
        return ((global.actionMask | base.actionMask) & WITHDRAW_ACTION) !== 0n;
      } catch {
        return undefined;
      }
    };
    const [closedReason, closedSince, earmarked, idle, book, provisions, reserves, queued, [queuedSince, queueSeenAt]] =
      await Promise.all([
        rpc("backstop.closedReason", () => backstop.closedReason()),
        rpc("backstop.closedSince", () => backstop.closedSince()),
        rpc("backstop.earmarked", () => backstop.earmarked()),
        rpc("backstop.idle", () => backstop.idle()),
        rpc("lens.backstop", () => lens.backstop(vault)),
        rpc("lens.totalProvision", () => lens.totalProvision(vault)),
        rpc("vault.reserves", () => vault.reserves()),
        queuedNow(),
        rpc("backstop.queuedSince", () => backstop.queuedSince()),
      ]);
    const vaultEarmarked = book.earmarked;
    const shortfall = provisions > reserves ? provisions - reserves : 0n;
    // What the backstop's state calls for is not resent for the same state (a checkpoint that changed nothing); a queue
    // record or a price mark is due by time, and is not masked by such a state.
    const stateWhy = checkpointReason(
      closedReason,
      closedSince,
      earmarked,
      vaultEarmarked,
      shortfall,
      idle - earmarked,
    );
    const state = [stateWhy, closedReason, closedSince, earmarked, vaultEarmarked, shortfall].join(":");
    // A queue the breaker holds is recorded when the backstop has none, then every QUEUE_RECORD_SECONDS; a record
    // the chain did not take (the same record read back) is tried again only after as long.
    const record = `${queuedSince}:${queueSeenAt}`;
    const queueDue =
      queued === true &&
      (queuedSince === 0n || BigInt(timestamp) >= queueSeenAt + BigInt(QUEUE_RECORD_SECONDS)) &&
      (this.lastQueueTry === undefined ||
        this.lastQueueTry.record !== record ||
        timestamp >= this.lastQueueTry.at + QUEUE_RECORD_SECONDS);
    const markEvery = Math.min(this.ctx.options.backstopMarkSeconds ?? DEFAULT_MARK_SECONDS, MAX_MARK_SECONDS);
    const markDue = book.owed > 0n && (this.lastMark === undefined || timestamp >= this.lastMark + markEvery);
    const fresh = stateWhy !== undefined && state !== this.lastCheckpoint ? stateWhy : undefined;
    const why = fresh ?? dueReason(queueDue, markDue);
    if (why !== undefined && !this.ctx.stopping) {
      if (why === "queue") this.lastQueueTry = { record, at: timestamp };
      const fields = { why, closedReason, earmarked, vaultEarmarked, shortfall };
      const outcome = await this.ctx.runner.execute(
        {
          event: "backstop-checkpoint",
          fields,
          simulate: (overrides) => backstop.checkpoint.staticCall(overrides),
          send: () => backstop.checkpoint(),
        },
        report,
        "backstop:checkpoint",
      );
      if (outcome.status === "sent" || outcome.status === "simulated") {
        if (why === fresh) this.lastCheckpoint = state;
        if (book.owed > 0n) this.lastMark = timestamp;
      }
      if (outcome.status === "sent")
        this.ctx.logger.info("backstop-checkpoint", { ...fields, ...txFields(outcome.receipt) });
    }
    const interval = this.ctx.options.backstopIncomeSeconds ?? DEFAULT_INCOME_SECONDS;
    if (this.ctx.stopping || (this.lastIncome !== undefined && timestamp < this.lastIncome + interval)) return;
    const outcome = await this.ctx.runner.execute(
      {
        event: "backstop-income",
        fields: {},
        simulate: (overrides) => vault.settleBackstopIncomeShare.staticCall(overrides),
        send: () => vault.settleBackstopIncomeShare(),
      },
      report,
      "backstop:income",
    );
    if (outcome.status === "sent" || outcome.status === "simulated") this.lastIncome = timestamp;
    if (outcome.status === "sent") this.ctx.logger.info("backstop-income", txFields(outcome.receipt));
  }
}
