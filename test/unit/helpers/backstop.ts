/**
 * The backstop and its allocator on a lending vault (issue 26), as the allocator's and the venues' tests set them up:
 * a backstop with 30,000 USDC staked (7-day cooldown, 2-day window), linked with a 20% income share; an allocator with
 * an agent and a 20% idle floor; the breaker's guardian named.
 */
import { expect } from "chai";
import { type AddressLike, MaxUint256 } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import type { NetworkConnection } from "hardhat/types/network";

import type {
  AaveV3Venue,
  Backstop,
  BackstopAllocator,
  MockERC20,
  MorphoMarketVenue,
} from "../../../typechain-types/index.js";
import type { LiquidationFixture } from "./liquidationModel.js";
import { usd, wad } from "./vault.js";

export const DAY = 86_400n;
/** The ERC-4626 venues over outside markets. */
type ERC4626Like = MorphoMarketVenue | AaveV3Venue;
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

/** Deploys a backstop on `f`'s vault (7-day cooldown, 2-day window), gives each of `stakers` 1,000,000 USDC approved
 *  to it, has the first of them stake `stake`, and links it to the vault with a 20% income share. */
export async function deployLinkedBackstop(
  connection: NetworkConnection,
  f: LiquidationFixture,
  stakers: HardhatEthersSigner[],
  stake: bigint,
): Promise<Backstop> {
  const backstop = await connection.ethers.deployContract("Backstop", [
    f.vault,
    "Bulwark backstop USDC",
    "bsUSDC",
    f.owner.address,
    7n * DAY,
    2n * DAY,
  ]);
  for (const who of stakers) {
    await f.usdc.mint(who.address, usd("1000000"));
    await f.usdc.connect(who).approve(backstop, MaxUint256);
  }
  await backstop.connect(stakers[0]).deposit(stake, stakers[0].address);
  await f.vault.connect(f.owner).linkBackstopAndShare(backstop, wad("0.2"));
  return backstop;
}

/** Deploys the backstop and its allocator on `f`'s vault (signers 8–11: staker, depositor, agent, guardian). */
export async function deployBackstopWithAllocator(
  connection: NetworkConnection,
  f: LiquidationFixture,
): Promise<BackstopWithAllocator> {
  const signers = await connection.ethers.getSigners();
  const [staker, depositor, agent, guardian] = [signers[8], signers[9], signers[10], signers[11]];
  const backstop = await deployLinkedBackstop(connection, f, [staker, depositor], STAKE);
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

/** What a venue position of `cost` is counted now, `days` after its mark: above its cost, at most the 20%/yr ceiling. */
export async function expectCountedUnderCeiling(
  backstop: Backstop,
  venue: AddressLike,
  cost: bigint,
  days: bigint,
): Promise<bigint> {
  const { worth, down } = await backstop.venueValue(venue);
  expect(down).to.equal(false);
  expect(worth).to.be.greaterThan(cost);
  expect(worth).to.be.lessThanOrEqual(cost + (cost * 2n * days) / (10n * 365n) + 1n);
  return worth;
}

/** An ERC-4626 venue (its asset: `token`) that an attacker inflates before the first deposit (`donate`, after its own
 *  one-unit deposit): the next depositor's 5,000 keep their worth, and the attacker gets back about half its 10,000. */
export async function expectDonationHarmless(
  venue: ERC4626Like,
  token: MockERC20,
  depositor: HardhatEthersSigner,
  attacker: HardhatEthersSigner,
  donate: () => Promise<unknown>,
): Promise<void> {
  await token.connect(attacker).approve(venue, MaxUint256);
  await venue.connect(attacker).deposit(1n, attacker.address);
  await donate(); // 10,000
  await token.connect(depositor).approve(venue, MaxUint256);
  await venue.connect(depositor).deposit(usd("5000"), depositor.address);
  expect(await venue.previewRedeem(await venue.balanceOf(depositor.address))).to.be.greaterThanOrEqual(usd("4999.99"));
  expect(await venue.previewRedeem(await venue.balanceOf(attacker.address))).to.be.lessThan(usd("5001"));
}

/** The outside market's own users (signers 12 and 13): a supplier with 1,000,000 USDC and a borrower with 100 WETH and
 *  1,000,000 USDC (for repayments), each approving `market` (Morpho, or Aave's pool) for all of it. */
export async function marketUsers(
  connection: NetworkConnection,
  f: LiquidationFixture,
  market: AddressLike,
): Promise<{ supplier: HardhatEthersSigner; borrower: HardhatEthersSigner }> {
  const signers = await connection.ethers.getSigners();
  const [supplier, borrower] = [signers[12], signers[13]];
  for (const who of [supplier, borrower]) {
    await f.usdc.mint(who.address, usd("1000000"));
    await f.usdc.connect(who).approve(market, MaxUint256);
  }
  await f.weth.mint(borrower.address, wad("100"));
  await f.weth.connect(borrower).approve(market, MaxUint256);
  return { supplier, borrower };
}

/** `venue` lets `owner` take nothing now: both max views say 0, and a withdrawal of one unit is refused. */
export async function expectLetsNothingOut(venue: ERC4626Like, owner: HardhatEthersSigner): Promise<void> {
  expect(await venue.maxWithdraw(owner.address)).to.equal(0n);
  expect(await venue.maxRedeem(owner.address)).to.equal(0n);
  await expect(venue.connect(owner).withdraw(usd("1"), owner.address, owner.address)).to.be.revertedWithCustomError(
    venue,
    "ERC4626ExceededMaxWithdraw",
  );
}

/** `owner`, its only holder, redeems every share: it gets at least the claim `maxWithdraw` said, above `cost`. */
export async function expectWholeClaimOut(
  venue: ERC4626Like,
  token: MockERC20,
  owner: HardhatEthersSigner,
  cost: bigint,
): Promise<void> {
  const claim = await venue.maxWithdraw(owner.address);
  expect(claim).to.be.greaterThan(cost);
  const before = await token.balanceOf(owner.address);
  await venue.connect(owner).redeem(await venue.balanceOf(owner.address), owner.address, owner.address);
  expect((await token.balanceOf(owner.address)) - before).to.be.greaterThanOrEqual(claim);
  expect(await venue.totalSupply()).to.equal(0n);
}
