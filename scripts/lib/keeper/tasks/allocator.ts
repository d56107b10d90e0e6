/**
 * The keeper's allocator duties (issue 26), when the backstop has a `BackstopAllocator`:
 * - recall, as anyone may, every venue position whose recall is allowed (frozen, a breaker not calm, idle cash below
 *   its floor, the venue marked down): logged as `allocator-recalled`;
 * - as the agent (when the keeper's wallet is the allocator's agent and the allocator is not frozen), put idle cash
 *   above `allocatorIdleTarget` × the floor into the venues the options name (`allocatorVenues`), in order, within
 *   what each venue's cap and deposit rate limit leave: logged as `allocator-allocated`. The contract refuses any move
 *   outside its limits; the keeper only chooses among the moves it allows.
 */
import { getAddress } from "ethers";

import { BackstopAllocator__factory, type BackstopAllocator } from "../../../../typechain-types/index.js";
import type { BlockReport } from "../blockReport.js";
import { txFields } from "../txRunner.js";
import type { KeeperContext } from "./context.js";

const WAD = 10n ** 18n;
/** Idle cash the agent keeps, as a multiple of the allocator's floor (WAD), by default: half as much again. */
export const DEFAULT_IDLE_TARGET = 15n * 10n ** 17n;
/** Below this many base units a deposit is not worth its gas. */
const MIN_MOVE = 1_000_000n;

/** What the agent puts into a venue: the smallest of what idle cash has above the target, cap room and rate limit. */
export function allocationFor(
  freeIdle: bigint,
  floor: bigint,
  target: bigint,
  capRoom: bigint,
  depositLeft: bigint,
): bigint {
  const keep = (floor * target + WAD - 1n) / WAD;
  let amount = freeIdle > keep ? freeIdle - keep : 0n;
  if (amount > capRoom) amount = capRoom;
  if (amount > depositLeft) amount = depositLeft;
  return amount < MIN_MOVE ? 0n : amount;
}

export class AllocatorTask {
  private readonly ctx: KeeperContext;
  private allocator: BackstopAllocator | undefined;

  constructor(ctx: KeeperContext) {
    this.ctx = ctx;
  }

  /** Recalls what may be recalled, then allocates as the agent when it is one. */
  async run(report: BlockReport): Promise<void> {
    const { backstop } = this.ctx.contracts;
    if (backstop === undefined || this.ctx.stopping) return;
    const { rpc } = this.ctx;
    const allocatorAddress = await rpc("backstop.allocator", () => backstop.allocator());
    if (BigInt(allocatorAddress) === 0n) return;
    if (this.allocator === undefined || (await this.allocator.getAddress()) !== allocatorAddress) {
      this.allocator = BackstopAllocator__factory.connect(allocatorAddress, backstop.runner ?? undefined);
    }
    const allocator = this.allocator;
    for (const venue of await rpc("backstop.venues", () => backstop.venues())) {
      if (this.ctx.stopping) return;
      const reason = await rpc(`allocator.recallReason ${venue}`, () => allocator.recallReason(venue));
      if (reason === 0n) continue;
      const fields = { venue, reason };
      const outcome = await this.ctx.runner.execute(
        {
          event: "allocator-recalled",
          fields,
          simulate: (overrides) => allocator.recall.staticCall(venue, overrides),
          send: () => allocator.recall(venue),
          describe: (got) => ({ got }),
          // A venue that lets nothing out now (paused, borrowed dry) would make every pass send a recall for nothing.
          accept: (got) => {
            if (got === 0n) throw new Error("the venue lets nothing out now");
          },
        },
        report,
        `allocator:recall:${venue}`,
      );
      if (outcome.status === "sent") {
        this.ctx.logger.info("allocator-recalled", { ...fields, got: outcome.result, ...txFields(outcome.receipt) });
      }
    }
    await this.allocate(allocator, report);
  }

  /** As the agent: idle cash above the target into the configured venues, in order. */
  private async allocate(allocator: BackstopAllocator, report: BlockReport): Promise<void> {
    const venues = this.ctx.options.allocatorVenues ?? [];
    const { backstop } = this.ctx.contracts;
    if (venues.length === 0 || backstop === undefined || this.ctx.wallet === undefined) return;
    const { rpc } = this.ctx;
    const [agent, frozen, minIdleShare, idle, earmarked, worth] = await Promise.all([
      rpc("allocator.agent", () => allocator.agent()),
      rpc("allocator.frozen", () => allocator.frozen()),
      rpc("allocator.minIdleShare", () => allocator.minIdleShare()),
      rpc("backstop.idle", () => backstop.idle()),
      rpc("backstop.earmarked", () => backstop.earmarked()),
      rpc("backstop.totalAssets", () => backstop.totalAssets()),
    ]);
    if (frozen || getAddress(agent) !== getAddress(this.ctx.wallet)) return;
    const floor = (worth * minIdleShare + WAD - 1n) / WAD;
    const target = this.ctx.options.allocatorIdleTarget ?? DEFAULT_IDLE_TARGET;
    let free = idle - earmarked;
    for (const venue of venues) {
      if (this.ctx.stopping) return;
      const [config, [depositLeft], [held]] = await Promise.all([
        rpc(`allocator.venueConfig ${venue}`, () => allocator.venueConfig(venue)),
        rpc(`allocator.available ${venue}`, () => allocator.available(venue)),
        rpc(`backstop.venueValue ${venue}`, () => backstop.venueValue(venue)),
      ]);
      if (!config.allowed) continue;
      const capRoom = config.cap > held ? config.cap - held : 0n;
      const amount = allocationFor(free, floor, target, capRoom, depositLeft);
      if (amount === 0n) continue;
      const fields = { venue, amount };
      const outcome = await this.ctx.runner.execute(
        {
          event: "allocator-allocated",
          fields,
          simulate: (overrides) => allocator.allocate.staticCall(venue, amount, overrides),
          send: () => allocator.allocate(venue, amount),
        },
        report,
        `allocator:allocate:${venue}`,
      );
      if (outcome.status === "sent") {
        free -= amount;
        this.ctx.logger.info("allocator-allocated", { ...fields, ...txFields(outcome.receipt) });
      }
    }
  }
}
