/**
 * The backstop's figures for a replay's report (`RunReport.backstop`): what it paid on write-offs, what it still holds
 * for provisions, what recovery repaid it, its income, read from the vault's and the backstop's events over the
 * replay's blocks and its books at the end.
 */
import type { SimBackstop } from "./backstopSetup.js";
import type { SimMarket } from "./simMarket.js";
import type { BackstopFigures } from "./types.js";

/** `sim`'s figures over blocks [fromBlock, toBlock]; `usd` converts base units. */
export async function backstopFigures(
  market: SimMarket,
  sim: SimBackstop,
  fromBlock: number,
  toBlock: number,
  usd: (units: bigint) => number,
): Promise<BackstopFigures> {
  const { vault } = market;
  const { backstop } = sim;
  let absorbed = 0n;
  for (const log of await vault.queryFilter(vault.filters.BackstopSettled(), fromBlock, toBlock)) {
    absorbed += log.args.paid;
  }
  let recovered = 0n;
  for (const log of await vault.queryFilter(vault.filters.BackstopRepaid(), fromBlock, toBlock)) {
    recovered += log.args.amount;
  }
  let income = 0n;
  for (const log of await vault.queryFilter(vault.filters.BackstopIncomePaid(), fromBlock, toBlock)) {
    income += log.args.amount;
  }
  const sales = await vault.queryFilter(vault.filters.RecoverySettled(), fromBlock, toBlock);
  const proceeds = sales.reduce((sum, log) => sum + log.args.proceeds, 0n);
  const earmarked = await backstop.earmarked({ blockTag: toBlock });
  return {
    sharePct: sim.share * 100,
    stakeUsd: usd(sim.stake),
    absorbedUsd: usd(absorbed),
    earmarkedEndUsd: usd(earmarked),
    recoveredUsd: usd(recovered),
    incomeUsd: usd(income),
    netLossUsd: usd(absorbed + earmarked) - usd(recovered),
    recoverySales: sales.length,
    recoveryProceedsUsd: usd(proceeds),
  };
}
