/**
 * The SecurityOps upkeep (contracts/automation/SecurityOps.sol): its default limits, shared by the deployment's
 * parameter files, the benchmark and the tests, and how scripts and tests deploy it with its flash liquidator.
 */
import type { HardhatEthers, HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { type AddressLike, resolveAddress } from "ethers";

import {
  CollateralVault__factory,
  type ISecurityOps,
  type SecurityOps,
  type UniswapV3FlashLiquidator,
} from "../../typechain-types/index.js";

/** Chainlink Automation's check gas limit on most registries (v2.1: 10,000,000). */
export const CHECK_LIMIT = 10_000_000n;
/** Chainlink Automation's perform gas limit as SecurityOps is registered (docs/operations.md): 5,000,000. */
export const PERFORM_LIMIT = 5_000_000n;

/**
 * Default limits: scan 100 registered accounts per check (a few million gas of views, inside Chainlink Automation's
 * check gas limit), at most 5 flash liquidations per upkeep (about 2.5M gas, inside the 5M perform limit), a poke
 * of every breaker entry at least every 15 minutes (the price-fall reference needs regular samples), and a registry
 * that keeps only accounts owing at least 100 units of a 6-decimal base asset (100 USDC; in base units, so a market
 * over another base sets its own `minDebt`).
 */
export const DEFAULT_SECURITY_OPS_CONFIG: ISecurityOps.ConfigStruct = {
  scanSize: 100,
  maxLiquidations: 5,
  pokeInterval: 15 * 60,
  minDebt: 100_000_000n,
};

/**
 * Deploys SecurityOps owned by `owner` and gives it a new UniswapV3FlashLiquidator for the same engine and vault, as
 * the deployment does: the liquidator is deployed owned by `owner`, offered to SecurityOps (`transferOwnership`) and
 * taken (`setLiquidator`). Returns both.
 */
export async function deploySecurityOps(
  ethers: HardhatEthers,
  args: {
    vault: AddressLike;
    engine: AddressLike;
    volatility: AddressLike;
    config?: ISecurityOps.ConfigStruct;
    proceedsRecipient: AddressLike;
    owner: HardhatEthersSigner;
  },
): Promise<{ ops: SecurityOps; liquidator: UniswapV3FlashLiquidator }> {
  const { owner } = args;
  const ops = await ethers.deployContract(
    "SecurityOps",
    [
      args.vault,
      args.engine,
      args.volatility,
      args.config ?? DEFAULT_SECURITY_OPS_CONFIG,
      args.proceedsRecipient,
      owner.address,
    ],
    owner,
  );
  const base = await CollateralVault__factory.connect(await resolveAddress(args.vault), owner).asset();
  const liquidator = await ethers.deployContract(
    "UniswapV3FlashLiquidator",
    [args.engine, args.vault, base, owner.address],
    owner,
  );
  await (await liquidator.connect(owner).transferOwnership(await ops.getAddress())).wait();
  await (await ops.connect(owner).setLiquidator(await liquidator.getAddress())).wait();
  return { ops, liquidator };
}
