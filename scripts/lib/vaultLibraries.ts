/**
 * CollateralVault links four external libraries, deployed once and called by DELEGATECALL: `CollateralBook` (top-ups
 * past a supply cap), `LossLedger` (a provision cut by a repayment), `LiquidationSettlement` (carrying out a
 * liquidation) and `VaultWiring` (a withdrawal handed to the queue). Its other rare code (governance, write-offs,
 * remainders, recovery, reserve withdrawals) runs in the `VaultModule` it creates itself. Every script and test
 * deploys the vault through `deployCollateralVault`, which deploys them first and links them; Ignition does the same
 * in deploy/lib/system.ts. Also deploys the stateless `VaultLens`, which serves the vault's reads that it no longer
 * serves itself.
 */
import type { HardhatEthers } from "@nomicfoundation/hardhat-ethers/types";
import type { AddressLike, BigNumberish, Signer } from "ethers";

import type { CollateralVault, VaultLens } from "../../typechain-types/index.js";

/** The libraries CollateralVault links, by name. */
export const VAULT_LIBRARIES = ["CollateralBook", "LossLedger", "LiquidationSettlement", "VaultWiring"] as const;
export type VaultLibraryName = (typeof VAULT_LIBRARIES)[number];

/** The constructor arguments of CollateralVault, in order. */
export type CollateralVaultArgs = [
  baseAsset: AddressLike,
  name: string,
  symbol: string,
  oracle: AddressLike,
  rateModel: AddressLike,
  reserveFactor: BigNumberish,
  borrowCap: BigNumberish,
  owner: AddressLike,
];

/** Deploys the vault's libraries; returns their addresses by name. */
export async function deployVaultLibraries(
  ethers: HardhatEthers,
  signer?: Signer,
): Promise<Record<VaultLibraryName, string>> {
  const out: Partial<Record<VaultLibraryName, string>> = {};
  for (const name of VAULT_LIBRARIES) {
    const library = await ethers.deployContract(name, signer === undefined ? {} : { signer });
    out[name] = await library.getAddress();
  }
  return out as Record<VaultLibraryName, string>;
}

/**
 * Deploys a CollateralVault with `args`, its libraries first (fresh ones, unless `libraries` gives them).
 * `signer` deploys (the first account by default).
 */
export async function deployCollateralVault(
  ethers: HardhatEthers,
  args: CollateralVaultArgs,
  options: { signer?: Signer; libraries?: Record<VaultLibraryName, string> } = {},
): Promise<CollateralVault> {
  const libraries = options.libraries ?? (await deployVaultLibraries(ethers, options.signer));
  const vault = await ethers.deployContract("CollateralVault", args, {
    libraries,
    ...(options.signer === undefined ? {} : { signer: options.signer }),
  });
  await vault.waitForDeployment();
  return vault;
}

/** Deploys a VaultLens (stateless: one serves any number of vaults). */
export async function deployVaultLens(ethers: HardhatEthers): Promise<VaultLens> {
  const lens = await ethers.deployContract("VaultLens");
  await lens.waitForDeployment();
  return lens;
}
