/**
 * The contracts a keeper works with: found from the vault's own wiring, read through a VaultLens
 * (`discoverContracts`), and the flash liquidator its wallet owns (`deployLiquidator`, `setLiquidatorPools`).
 */
import { type ContractRunner, type Signer, ZeroAddress, getAddress } from "ethers";

import {
  Backstop__factory,
  CircuitBreaker__factory,
  CollateralVault__factory,
  LiquidationEngine__factory,
  Rebalancer__factory,
  RiskManager__factory,
  UniswapV3FlashLiquidator__factory,
  VaultLens__factory,
  VolatilityOracle__factory,
  type Backstop,
  type CircuitBreaker,
  type CollateralVault,
  type LiquidationEngine,
  type Rebalancer,
  type RiskManager,
  type UniswapV3FlashLiquidator,
  type VaultLens,
  type VolatilityOracle,
} from "../../../typechain-types/index.js";

/** The contracts a keeper works with. Optional ones it leaves alone when absent. */
export interface KeeperContracts {
  vault: CollateralVault;
  /** Reads the vault does not serve itself (its wiring, among them). */
  lens: VaultLens;
  engine: LiquidationEngine;
  breaker?: CircuitBreaker;
  volatility?: VolatilityOracle;
  riskManager?: RiskManager;
  rebalancer?: Rebalancer;
  /** The vault's first-loss backstop (issue 26). */
  backstop?: Backstop;
  /** The flash liquidator (owned by the keeper's wallet). Absent: liquidations are only previewed (dry run). */
  liquidator?: UniswapV3FlashLiquidator;
}

/**
 * Finds every contract from the vault's own wiring (the engine, the breaker, the risk modules, the volatility oracle
 * behind the risk manager, the backstop), read through the VaultLens at `lensAddress`, so the keeper follows governance when it
 * replaces one. `liquidator` is connected as given.
 */
export async function discoverContracts(
  runner: ContractRunner,
  vaultAddress: string,
  lensAddress: string,
  liquidatorAddress?: string,
): Promise<KeeperContracts> {
  const vault = CollateralVault__factory.connect(vaultAddress, runner);
  const lens = VaultLens__factory.connect(lensAddress, runner);
  const engineAddress = await lens.liquidationEngine(vaultAddress);
  if (engineAddress === ZeroAddress) throw new Error(`the vault at ${vaultAddress} has no liquidation engine`);
  const [breakerAddress] = await lens.circuitBreaker(vaultAddress);
  const [riskManagerAddress, rebalancerAddress] = await lens.riskModules(vaultAddress);
  const contracts: KeeperContracts = {
    vault,
    lens,
    engine: LiquidationEngine__factory.connect(engineAddress, runner),
  };
  if (breakerAddress !== ZeroAddress) contracts.breaker = CircuitBreaker__factory.connect(breakerAddress, runner);
  if (riskManagerAddress !== ZeroAddress) {
    contracts.riskManager = RiskManager__factory.connect(riskManagerAddress, runner);
    const volatility = await contracts.riskManager.volatilityOracle();
    contracts.volatility = VolatilityOracle__factory.connect(volatility, runner);
  }
  if (rebalancerAddress !== ZeroAddress) contracts.rebalancer = Rebalancer__factory.connect(rebalancerAddress, runner);
  const [backstopAddress] = await lens.backstop(vaultAddress);
  if (backstopAddress !== ZeroAddress) contracts.backstop = Backstop__factory.connect(backstopAddress, runner);
  if (liquidatorAddress !== undefined) {
    contracts.liquidator = UniswapV3FlashLiquidator__factory.connect(liquidatorAddress, runner);
  }
  return contracts;
}

/** Deploys a VaultLens from `owner` (a keeper given only a vault address, with a wallet). */
export async function deployLens(owner: Signer): Promise<VaultLens> {
  const lens = await new VaultLens__factory(owner).deploy();
  await lens.waitForDeployment();
  return lens;
}

/** Deploys a UniswapV3FlashLiquidator owned by `owner`'s address, for `contracts`' engine and vault. */
export async function deployLiquidator(owner: Signer, contracts: KeeperContracts): Promise<UniswapV3FlashLiquidator> {
  const base = await contracts.vault.asset();
  const factory = new UniswapV3FlashLiquidator__factory(owner);
  const liquidator = await factory.deploy(
    await contracts.engine.getAddress(),
    await contracts.vault.getAddress(),
    base,
    await owner.getAddress(),
  );
  await liquidator.waitForDeployment();
  return liquidator;
}

/**
 * Sets the pool each collateral is sold in (`collateral → pool`), simulating each call first; pools already set are
 * left alone. Returns the collaterals changed.
 */
export async function setLiquidatorPools(
  liquidator: UniswapV3FlashLiquidator,
  pools: Readonly<Record<string, string>>,
): Promise<string[]> {
  const changed: string[] = [];
  for (const [collateral, pool] of Object.entries(pools)) {
    if (getAddress(await liquidator.poolFor(collateral)) === getAddress(pool)) continue;
    await liquidator.setPool.staticCall(collateral, pool);
    const receipt = await (await liquidator.setPool(collateral, pool)).wait();
    if (receipt === null || receipt.status !== 1) throw new Error(`setPool(${collateral}, ${pool}) failed`);
    changed.push(getAddress(collateral));
  }
  return changed;
}
