/**
 * The backstop and its allocator on a lending vault (issue 26), as the allocator's and the venues' tests set them up:
 * a backstop with 30,000 USDC staked (7-day cooldown, 2-day window), linked with a 20% income share; an allocator with
 * an agent and a 20% idle floor; the breaker's guardian named.
 */
import { expect } from "chai";
import { type AddressLike, MaxUint256 } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import type { NetworkConnection } from "hardhat/types/network";

import type { Backstop, BackstopAllocator } from "../../../typechain-types/index.js";
import type { LiquidationFixture } from "./liquidationModel.js";
import { usd, wad } from "./vault.js";

export const DAY = 86_400n;
export const STAKE = usd("30000");
/** The allocator's rate limits' refill period in these tests. */
export const PERIOD = DAY;

export interface BackstopWithAllocator {
  backstop: Backstop;
  allocator: BackstopAllocator;
  staker: HardhatEthersSigner;
  depositor: HardhatEthersSigner;
  agent: HardhatEthersSigner;
  guardian: HardhatEthersSigner;
}

/** A venue's limits: cap, deposit and withdrawal bucket capacities (USDC), refilled over PERIOD; allowed. */
export const limits = (cap: string, deposit: string, withdraw: string) => ({
  cap: usd(cap),
  depositCapacity: usd(deposit),
  withdrawCapacity: usd(withdraw),
  period: PERIOD,
  allowed: true,
});

/** Deploys the backstop and its allocator on `f`'s vault (signers 8–11: staker, depositor, agent, guardian). */
export async function deployBackstopWithAllocator(
  connection: NetworkConnection,
  f: LiquidationFixture,
): Promise<BackstopWithAllocator> {
  const signers = await connection.ethers.getSigners();
  const [staker, depositor, agent, guardian] = [signers[8], signers[9], signers[10], signers[11]];
  const backstop = await connection.ethers.deployContract("Backstop", [
    f.vault,
    "Bulwark backstop USDC",
    "bsUSDC",
    f.owner.address,
    7n * DAY,
    2n * DAY,
  ]);
  for (const who of [staker, depositor]) {
    await f.usdc.mint(who.address, usd("1000000"));
    await f.usdc.connect(who).approve(backstop, MaxUint256);
  }
  await backstop.connect(staker).deposit(STAKE, staker.address);
  await f.vault.connect(f.owner).linkBackstopAndShare(backstop, wad("0.2"));
  const allocator = await connection.ethers.deployContract("BackstopAllocator", [
    backstop,
    f.owner.address,
    agent.address,
    wad("0.2"),
  ]);
  await backstop.connect(f.owner).setAllocator(allocator);
  await f.breaker.connect(f.owner).setGuardian(guardian.address);
  return { backstop, allocator, staker, depositor, agent, guardian };
}

/**
 * A venue marked down: `venue` quotes the position below its cost, the backstop takes no stake (`StakingClosed`), and
 * anyone (`caller`) recalls what it lets out (`MARKED_DOWN`).
 */
export async function expectMarkedDownThenRecalled(
  b: Pick<BackstopWithAllocator, "backstop" | "allocator" | "depositor">,
  venue: AddressLike,
  caller: HardhatEthersSigner,
): Promise<void> {
  const { backstop, allocator, depositor } = b;
  expect((await backstop.venueValue(venue)).down).to.equal(true);
  expect(await backstop.maxDeposit(depositor.address)).to.equal(0n);
  await expect(backstop.connect(depositor).deposit(usd("1"), depositor.address)).to.be.revertedWithCustomError(
    backstop,
    "StakingClosed",
  );
  expect(await allocator.recallReason(venue)).to.equal(4n); // MARKED_DOWN
  await allocator.connect(caller).recall(venue);
}
