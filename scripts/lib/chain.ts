import type { NetworkHelpers } from "@nomicfoundation/hardhat-network-helpers/types";
import type { ContractTransactionReceipt, ContractTransactionResponse } from "ethers";

/** Seconds between two consecutive blocks, as on Ethereum mainnet. */
export const BLOCK_TIME = 12;

/** Start of the scripted timeline: 2033-05-18T03:33:20Z. Any fixed time after the chain's genesis would do. */
export const TIMELINE_START = 2_000_000_000;

export const DAY = 24 * 60 * 60;

/**
 * Drives the in-process chain on a fixed timeline: every transaction is mined in its own block exactly
 * `BLOCK_TIME` seconds after the previous one. Interest depends on elapsed time only, so every balance the demo
 * prints and every gas figure the bench measures is the same on every run, whatever the wall clock does.
 */
export class Timeline {
  private constructor(
    private readonly helpers: NetworkHelpers,
    private now: number,
  ) {}

  /** Mines one block at `start` (or just after the latest block, if that is already later) and starts there. */
  static async start(helpers: NetworkHelpers, start = TIMELINE_START): Promise<Timeline> {
    const at = Math.max(start, (await helpers.time.latest()) + 1);
    await helpers.time.increaseTo(at);
    return new Timeline(helpers, at);
  }

  /** Timestamp of the latest block mined through this timeline. */
  get timestamp(): number {
    return this.now;
  }

  /** Sends the transaction `action` creates in the next block and returns its receipt; throws if it reverts. */
  async send(action: () => Promise<ContractTransactionResponse>): Promise<ContractTransactionReceipt> {
    this.now += BLOCK_TIME;
    await this.helpers.time.setNextBlockTimestamp(this.now);
    const receipt = await (await action()).wait();
    if (receipt === null) throw new Error("transaction was not mined");
    return receipt;
  }

  /** Lets `seconds` pass: mines an empty block that much later. */
  async advance(seconds: number): Promise<void> {
    this.now += seconds;
    await this.helpers.time.increaseTo(this.now);
  }
}
