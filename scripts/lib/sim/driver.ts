/**
 * The replay's clock and market, shared by every protocol the simulation runs (Bulwark's engine.ts; a peer's next to
 * it): blocks at the path's points and whenever something is due, Chainlink-style feed rounds, the arbitrageur, and
 * the keeper's queue with its delay and outages. What a protocol does in each block (pokes, reading its accounts,
 * recording a step, deciding its keeper's transactions) is its `ReplayProtocol`.
 *
 * Each block, in order: the keeper's transactions due now (unless in an outage), then at a path point the arbitrage,
 * then the feed rounds due, then `beforeMine` (Bulwark's pokes); after the block `observe`, `record` at a path point,
 * and `decide` unless the keeper is down or the path is over.
 */
import type { HardhatEthers } from "@nomicfoundation/hardhat-ethers/types";
import type { ContractTransactionResponse } from "ethers";

import type { UniswapV3Actor } from "../../../typechain-types/index.js";
import { spotFromSqrtPrice, sqrtPriceX96For, spotPriceWad } from "../uniswap.js";
import { BLOCK_SECONDS, FEED_DECIMALS, OPENED_TO_REPLAY, type MarketAsset } from "./simMarket.js";
import type { Step } from "./path.js";

export { BLOCK_SECONDS };
/** The arbitrageur trades only when the pool is further from the path than its fee (0.3% unless known). */
const DEFAULT_POOL_FEE = 0.003;
const SWAP_GAS = 1_000_000n;
/** Seconds before the first point at which every feed publishes its starting price. */
const PRE_ROUND = 60;

/** A WAD USD price as a feed answer (8 decimals). */
export const answerOf = (priceWad: bigint): bigint => priceWad / 10n ** BigInt(18 - FEED_DECIMALS);

/** A keeper transaction waiting for its block. */
export interface Pending {
  due: number;
  label: string;
  /** Accounts it acts on (not acted on again while pending). */
  accounts: string[];
  send: () => Promise<ContractTransactionResponse>;
}

/** One mined block, as the protocol sees it. */
export interface BlockContext {
  block: number;
  /** Chain time of the block. */
  chainTime: number;
  /** The keeper's transactions mined in it. */
  sent: readonly string[];
}

export interface ReplayProtocol {
  /** After the arbitrage and feed rounds, before mining; `published`: a feed round went out in this block. */
  beforeMine?(chainTime: number, published: boolean): Promise<void>;
  /** After each block: read what `record` and `decide` need. */
  observe(ctx: BlockContext): Promise<void>;
  /** At a path point's block, after `observe`. */
  record(step: Step, ctx: BlockContext): Promise<void>;
  /** The keeper's transactions for `due`, skipping `busy` accounts (their transactions are pending). */
  decide(ctx: BlockContext, due: number, busy: ReadonlySet<string>): Promise<Pending[]>;
  /**
   * Each collateral's pool √price (`slot0`, collaterals' order) as `observe` last read it, or undefined: the latest
   * block's, which is what the arbitrage of the next block reads (nothing is mined in between), so it need not read
   * them again.
   */
  poolSqrtPrices?(): readonly bigint[] | undefined;
}

export interface DriverOptions {
  keeperDelayBlocks: number;
  /** Keeper outages, in seconds from the path's start: [from, to). */
  keeperOutages: readonly { from: number; to: number }[];
  progress?: (done: number, total: number) => void;
  /** Awaited after each mined block (the security console's demo paces a replay to watch it live). */
  pace?: (block: number) => Promise<void>;
}

/** Drives one replay; create it when the market is set up, then `run` a protocol once. */
export class ReplayDriver {
  readonly ethers: HardhatEthers;
  readonly steps: readonly Step[];
  readonly options: DriverOptions;
  /** Chain time − path time. */
  offset = 0;
  /** First block of the replay. */
  startBlock = 0;
  /** Block the setup ended at (positions as opened). */
  setupBlock = 0;
  blocks = 0;
  failedArbitrage = 0;
  /** Block number → path time. */
  readonly blockTimes = new Map<number, number>();
  /** Milliseconds per phase (`BULWARK_PROFILE=1` prints them). */
  readonly profile: Record<string, number> = {};
  private readonly assets: readonly MarketAsset[];
  private readonly base: MarketAsset;
  private readonly arbitrageur: UniswapV3Actor;

  constructor(
    ethers: HardhatEthers,
    market: { base: MarketAsset; collaterals: readonly MarketAsset[]; arbitrageur: UniswapV3Actor },
    steps: readonly Step[],
    options: DriverOptions,
  ) {
    this.ethers = ethers;
    this.steps = steps;
    this.options = options;
    this.base = market.base;
    this.assets = [market.base, ...market.collaterals];
    this.arbitrageur = market.arbitrageur;
  }

  /** Times `task` under `label` in `profile`. */
  async timed<T>(label: string, task: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      return await task();
    } finally {
      this.profile[label] = (this.profile[label] ?? 0) + performance.now() - t0;
    }
  }

  /** Whether the keeper works at `chainTime`. */
  keeperUp(chainTime: number): boolean {
    const since = chainTime - this.offset - this.steps[0].timestamp;
    return !this.options.keeperOutages.some((o) => since >= o.from && since < o.to);
  }

  /**
   * Turns automine off and fixes the clock: the path's first point is `OPENED_TO_REPLAY` seconds after `openedAt`
   * (when the loans were opened), whatever the wall clock did during the rest of the setup, so runs repeat exactly.
   */
  async prepare(openedAt: number): Promise<void> {
    const provider = this.ethers.provider;
    await provider.send("evm_setAutomine", [false]);
    const latest = await provider.getBlock("latest");
    if (latest === null) throw new Error("no latest block");
    this.offset = openedAt + OPENED_TO_REPLAY - this.steps[0].timestamp;
    if (latest.timestamp >= openedAt + OPENED_TO_REPLAY - PRE_ROUND) {
      throw new Error(`the setup ran past the replay's start (${OPENED_TO_REPLAY} s after the loans opened)`);
    }
    this.setupBlock = latest.number;
    this.startBlock = latest.number + 1;
  }

  /** Replays every step against `protocol`. Leaves automine off. */
  async run(protocol: ReplayProtocol): Promise<void> {
    const provider = this.ethers.provider;
    const steps = this.steps;
    let lastBlockTime = (await provider.getBlock("latest"))?.timestamp ?? 0;
    // Every feed publishes its starting price in a block of its own, PRE_ROUND seconds before the first point: its
    // setup round may be older than a heartbeat (on a fork of an old block, setup blocks jump to the wall clock).
    const preRound = steps[0].timestamp + this.offset - PRE_ROUND;
    const feeds = new Map(
      this.assets.map((a) => [a.address, { answer: answerOf(a.startPriceWad), at: preRound - a.spec.heartbeat }]),
    );
    let price: Record<string, bigint> = { ...steps[0].priceWad };
    let pending: Pending[] = [];
    let index = 0;
    while (index < steps.length) {
      const nextPath = steps[index].timestamp + this.offset;
      const nextHeartbeat = Math.min(...this.assets.map((a) => (feeds.get(a.address)?.at ?? 0) + a.spec.heartbeat));
      const nextPending = pending.length === 0 ? Infinity : Math.min(...pending.map((p) => p.due));
      let chainTime = Math.min(nextPath, nextHeartbeat, nextPending);
      const pathPoint = chainTime === nextPath;
      chainTime = Math.max(chainTime, lastBlockTime + 1);
      if (pathPoint) price = { ...steps[index].priceWad };

      // The keeper's transactions due now (dropped during an outage: the keeper re-decides after it).
      const due = pending.filter((p) => p.due <= chainTime);
      pending = pending.filter((p) => p.due > chainTime);
      const sent: string[] = [];
      if (this.keeperUp(chainTime)) for (const p of due) sent.push((await p.send()).hash);
      const swaps = pathPoint ? await this.timed("arb", () => this.arbitrage(price, protocol.poolSqrtPrices?.())) : [];
      const published = await this.timed("feeds", () => this.publishRounds(feeds, price, chainTime, pathPoint));
      if (protocol.beforeMine !== undefined)
        await this.timed("beforeMine", () => protocol.beforeMine!(chainTime, published));

      await provider.send("evm_mine", [chainTime]);
      lastBlockTime = chainTime;
      this.blocks++;
      const block = await provider.getBlockNumber();
      this.blockTimes.set(block, chainTime - this.offset);
      for (const hash of swaps) if ((await provider.getTransactionReceipt(hash))?.status !== 1) this.failedArbitrage++;

      const ctx: BlockContext = { block, chainTime, sent };
      await this.timed("observe", () => protocol.observe(ctx));
      if (pathPoint) {
        await this.timed("record", () => protocol.record(steps[index], ctx));
        index++;
        this.options.progress?.(index, steps.length);
      }
      if (this.keeperUp(chainTime) && index < steps.length) {
        const busy = new Set(pending.flatMap((p) => p.accounts.map((a) => a.toLowerCase())));
        const dueAt = chainTime + BLOCK_SECONDS * (1 + this.options.keeperDelayBlocks);
        pending.push(...(await this.timed("keeper", () => protocol.decide(ctx, dueAt, busy))));
      }
      if (this.options.pace !== undefined) await this.options.pace(block);
    }
    if (process.env.BULWARK_PROFILE === "1") console.error(this.profile);
  }

  /**
   * Moves each collateral's pool toward the path price (when past the fee); returns the swaps sent. `observed`: the
   * pools' √prices at the latest block, when the protocol has them (else each pool is read).
   */
  private async arbitrage(price: Record<string, bigint>, observed?: readonly bigint[]): Promise<string[]> {
    const sent: string[] = [];
    const actor = await this.arbitrageur.getAddress();
    for (const [i, asset] of this.assets.slice(1).entries()) {
      if (asset.pool === undefined || asset.baseIsToken0 === undefined) continue;
      const target = price[asset.spec.symbol];
      const spot =
        observed === undefined
          ? await spotPriceWad(asset.pool, asset.baseIsToken0, asset.decimals, this.base.decimals)
          : spotFromSqrtPrice(observed[i], asset.baseIsToken0, asset.decimals, this.base.decimals);
      const gap = Number(spot) / Number(target) - 1;
      if (Math.abs(gap) <= (asset.poolFee ?? DEFAULT_POOL_FEE)) continue;
      // Selling the collateral lowers its price: when the pool is above the path, sell collateral (token-in).
      const sellCollateral = gap > 0;
      const zeroForOne = sellCollateral === asset.baseIsToken0;
      const limit = sqrtPriceX96For(target, asset.baseIsToken0, asset.decimals, this.base.decimals);
      const budget = await (sellCollateral ? asset : this.base).token.balanceOf(actor);
      const tx = await this.arbitrageur.swap(await asset.pool.getAddress(), zeroForOne, budget, limit, {
        gasLimit: SWAP_GAS,
      });
      sent.push(tx.hash);
    }
    return sent;
  }

  /** Publishes the rounds a Chainlink feed would at `chainTime`; true when any was published. */
  private async publishRounds(
    feeds: Map<string, { answer: bigint; at: number }>,
    price: Record<string, bigint>,
    chainTime: number,
    pathPoint: boolean,
  ): Promise<boolean> {
    let published = false;
    for (const asset of this.assets) {
      const state = feeds.get(asset.address);
      if (state === undefined) continue;
      const answer = answerOf(price[asset.spec.symbol]);
      const moved = Math.abs(Number(answer - state.answer)) / Number(state.answer) >= asset.spec.deviation;
      if ((pathPoint && moved) || chainTime - state.at >= asset.spec.heartbeat) {
        await asset.publish(answer, chainTime);
        feeds.set(asset.address, { answer, at: chainTime });
        published = true;
      }
    }
    return published;
  }
}
