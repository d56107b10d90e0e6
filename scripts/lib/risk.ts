import type { HardhatEthers } from "@nomicfoundation/hardhat-ethers/types";
import { ZeroAddress } from "ethers";

import type {
  CollateralVault,
  IRiskManager,
  IVolatilityOracle,
  Rebalancer,
  RiskManager,
  VaultLens,
  VolatilityOracle,
} from "../../typechain-types/index.js";
import { wad } from "./units.js";
import { deployVaultLens } from "./vaultLibraries.js";

/**
 * How Bulwark tracks a collateral's volatility by default: a sample an hour, each weighing 10% (a half-life of about
 * 6.6 hours), seeded at the asset's reference volatility. docs/adaptive-risk.md.
 */
export function defaultTracking(referenceVolatility: bigint): IVolatilityOracle.ConfigStruct {
  return { minInterval: 3600, alpha: wad("0.1"), seedVolatility: referenceVolatility };
}

/**
 * How volatility tightens a collateral by default: above its reference volatility, one sigma of the excess daily move
 * comes off the LTV (at most 30 points) and half a sigma off the threshold (at most 10 points). See
 * docs/adaptive-risk.md.
 */
export function defaultAssetRisk(referenceVolatility: bigint): IRiskManager.AssetRiskStruct {
  return {
    referenceVolatility,
    ltvK: wad("1"),
    thresholdK: wad("0.5"),
    maxLtvCut: wad("0.30"),
    maxThresholdCut: wad("0.10"),
  };
}

/** Reference (calm-market) annualised volatility of the default collaterals, by symbol. */
export const REFERENCE_VOLATILITY: Readonly<Record<string, bigint>> = {
  WETH: wad("0.80"),
  WBTC: wad("0.70"),
};

/** Fallback reference volatility for a collateral not in REFERENCE_VOLATILITY. */
export const DEFAULT_REFERENCE_VOLATILITY = wad("1.00");

/**
 * Global risk parameters Bulwark ships with: a one-day horizon; reserves should cover 2% of total debt, and while
 * they do not, the reserve factor rises by 10 points.
 */
export const DEFAULT_RISK_PARAMS: IRiskManager.ParamsStruct = {
  horizon: 86_400,
  reserveTarget: wad("0.02"),
  reserveBoost: wad("0.10"),
};

export interface RiskModules {
  volatility: VolatilityOracle;
  riskManager: RiskManager;
  rebalancer: Rebalancer;
}

export interface RiskOptions {
  /** Collateral tokens to track and tighten, by symbol. */
  collaterals: ReadonlyMap<string, { getAddress(): Promise<string> }>;
  /** Global parameters; DEFAULT_RISK_PARAMS by default. */
  params?: IRiskManager.ParamsStruct;
  /** Whether the vault takes the risk manager's caps (default true); false deploys the modules unwired. */
  wire?: boolean;
  /** A VaultLens to read the vault's oracle through (default: a new one). */
  lens?: VaultLens;
}

/**
 * Deploys the volatility oracle, the risk manager and the rebalancer for `vault` (owned by the vault's owner), tracks
 * and tightens every collateral with the defaults above, and (unless `wire` is false) makes them the vault's risk
 * modules. Rebalancer routes need a pool per collateral and are set by the caller.
 */
export async function deployRiskModules(
  ethers: HardhatEthers,
  vault: CollateralVault,
  options: RiskOptions,
): Promise<RiskModules> {
  const ownerAddress = await vault.owner();
  const owner = await ethers.getSigner(ownerAddress);
  const lens = options.lens ?? (await deployVaultLens(ethers));
  const [oracleAddress] = await lens.parameters(vault);
  const volatility = await ethers.deployContract("VolatilityOracle", [oracleAddress, ownerAddress]);
  const riskManager = await ethers.deployContract("RiskManager", [
    await vault.getAddress(),
    await volatility.getAddress(),
    options.params ?? DEFAULT_RISK_PARAMS,
    ownerAddress,
  ]);
  const rebalancer = await ethers.deployContract("Rebalancer", [await vault.getAddress(), ownerAddress]);
  for (const [symbol, token] of options.collaterals) {
    const reference = REFERENCE_VOLATILITY[symbol] ?? DEFAULT_REFERENCE_VOLATILITY;
    const address = await token.getAddress();
    await (await volatility.connect(owner).setTracking(address, defaultTracking(reference))).wait();
    await (await riskManager.connect(owner).setAssetRisk(address, defaultAssetRisk(reference))).wait();
  }
  if (options.wire ?? true) {
    await (
      await vault.connect(owner).setRiskModules(await riskManager.getAddress(), await rebalancer.getAddress())
    ).wait();
  }
  return { volatility, riskManager, rebalancer };
}

/** The zero route: removes a rebalancer route. */
export const NO_ROUTE = { pool: ZeroAddress, maxChunk: 0n, maxSlippage: 0n, interval: 0, twapWindow: 0 };
