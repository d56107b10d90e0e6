/**
 * The first-loss backstop (issue 26) and the recovery module in a replay, when asked for (`--backstop PCT`): a
 * `Backstop` staked with PCT% of the vault's borrows once the population is open, linked to the vault with a 20% share
 * of reserve income, and a `Rebalancer` routed through each collateral's Uniswap v3 pool, so that protocol-owned
 * collateral swept from written-off accounts is sold during the replay and repays lenders, then the backstop, then
 * reserves. Off by default: a replay without it runs exactly as before.
 */
import type { HardhatEthers, HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { ZeroAddress } from "ethers";

import type { Backstop, CollateralVault, Rebalancer } from "../../../typechain-types/index.js";
import { wad } from "../units.js";
import type { MarketAsset } from "./simMarket.js";

/** The backstop's cooldown and unstake window (the tests' and docs' defaults; nobody leaves during a replay). */
export const BACKSTOP_COOLDOWN = 7 * 86_400;
export const BACKSTOP_WINDOW = 2 * 86_400;
/** Its share of reserve income. */
export const BACKSTOP_INCOME_SHARE = wad("0.2");
/** Each route's sale bounds: at most 5% under the oracle, a chunk at most every 10 minutes, no TWAP. */
export const RECOVERY_ROUTE = { maxSlippage: wad("0.05"), interval: 600, twapWindow: 0 } as const;

/** What `attachBackstop` deployed. */
export interface SimBackstop {
  backstop: Backstop;
  rebalancer: Rebalancer;
  /** Base units staked. */
  stake: bigint;
  /** The stake as a share of the vault's borrows when it was placed. */
  share: number;
}

/**
 * Stakes a backstop with `share` of `vault`'s borrows (from `staker`, funded by `fund`) and links it; routes
 * `rebalancer` (or a new one made the vault's recovery module, when the market has none) through each collateral's
 * pool. `deployer` owns the vault.
 */
export async function attachBackstop(
  ethers: HardhatEthers,
  options: {
    vault: CollateralVault;
    base: MarketAsset;
    collaterals: readonly MarketAsset[];
    deployer: HardhatEthersSigner;
    staker: HardhatEthersSigner;
    share: number;
    rebalancer?: Rebalancer;
    fund: (asset: MarketAsset, to: string, amount: bigint) => Promise<void>;
  },
): Promise<SimBackstop> {
  const { vault, base, deployer, staker } = options;
  const send = async (tx: Promise<{ wait(): Promise<unknown> }>): Promise<void> => {
    await (await tx).wait();
  };
  let rebalancer = options.rebalancer;
  if (rebalancer === undefined) {
    rebalancer = await ethers.deployContract("Rebalancer", [await vault.getAddress(), deployer.address], deployer);
    await send(vault.connect(deployer).setRiskModules(ZeroAddress, await rebalancer.getAddress()));
  }
  for (const asset of options.collaterals) {
    if (asset.pool === undefined) continue;
    await send(
      rebalancer.connect(deployer).setRoute(asset.address, {
        pool: await asset.pool.getAddress(),
        maxChunk: 2n ** 127n,
        ...RECOVERY_ROUTE,
      }),
    );
  }
  const backstop = await ethers.deployContract(
    "Backstop",
    [await vault.getAddress(), "Bulwark backstop", "bsUSD", deployer.address, BACKSTOP_COOLDOWN, BACKSTOP_WINDOW],
    deployer,
  );
  const borrows = await vault.totalDebt();
  const stake = (borrows * BigInt(Math.round(options.share * 1e6))) / 1_000_000n;
  if (stake > 0n) {
    await options.fund(base, staker.address, stake);
    await send(base.token.connect(staker).approve(await backstop.getAddress(), stake));
    await send(backstop.connect(staker).deposit(stake, staker.address));
  }
  await send(vault.connect(deployer).linkBackstopAndShare(await backstop.getAddress(), BACKSTOP_INCOME_SHARE));
  return { backstop, rebalancer, stake, share: options.share };
}
