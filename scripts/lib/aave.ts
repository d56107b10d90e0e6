import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { HardhatEthers, HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { type AddressLike, ContractFactory, resolveAddress, ZeroAddress } from "ethers";

import type { IACLManager, IPool, IPoolAddressesProvider, IPoolConfigurator } from "../../typechain-types/index.js";

/**
 * Aave v3 (`@aave/core-v3@1.19.3`, the protocol as Aave ships it: v3.0.2) deployed from the compiled artifacts its npm
 * package carries (solc 0.8.10, Aave's own build), its libraries linked: an addresses provider, the ACL manager, the
 * pool and its configurator behind Aave's proxies, the Aave oracle over Chainlink-like aggregators, and one reserve per
 * listed token (aToken, stable and variable debt tokens, the default interest rate strategy). The tests and the gas
 * bench put the backstop's cash into such a pool through `AaveV3Venue`; our code talks to it through Aave's own
 * interfaces (built for their TypeChain types).
 */

const require = createRequire(import.meta.url);

interface Artifact {
  abi: ConstructorParameters<typeof ContractFactory>[0];
  bytecode: string;
  linkReferences: Record<string, Record<string, readonly { start: number; length: number }[]>>;
}

/** A compiled Aave contract from `@aave/core-v3/artifacts/contracts/<file>/<name>.json`. */
function artifact(file: string, name: string): Artifact {
  const where = require.resolve(`@aave/core-v3/artifacts/contracts/${file}/${name}.json`);
  return JSON.parse(readFileSync(where, "utf8")) as Artifact;
}

/** `a`'s bytecode with each library placeholder replaced by its address in `libraries` (by library name). */
function linked(a: Artifact, libraries: Readonly<Record<string, string>>): string {
  let code = a.bytecode.slice(2);
  for (const refs of Object.values(a.linkReferences)) {
    for (const [name, places] of Object.entries(refs)) {
      const address = libraries[name];
      if (address === undefined) throw new Error(`Aave: no address to link ${name}`);
      for (const { start, length } of places) {
        code = code.slice(0, start * 2) + address.slice(2).toLowerCase() + code.slice((start + length) * 2);
      }
    }
  }
  return `0x${code}`;
}

async function deploy(
  deployer: HardhatEthersSigner,
  a: Artifact,
  args: readonly unknown[] = [],
  libraries: Readonly<Record<string, string>> = {},
): Promise<string> {
  const contract = await new ContractFactory(a.abi, linked(a, libraries), deployer).deploy(...args);
  await contract.waitForDeployment();
  return contract.getAddress();
}

/** One reserve to list: its token, an aggregator's price (8 decimals, USD), and its collateral and borrow settings. */
export interface AaveReserveInput {
  token: AddressLike;
  symbol: string;
  decimals: number;
  /** USD with 8 decimals, as Aave's oracle reads its sources. */
  price: bigint;
  /** Basis points; 0: not collateral. */
  ltv?: number;
  liquidationThreshold?: number;
  /** Basis points above 10,000 (10,500: 5%). */
  liquidationBonus?: number;
  borrowing?: boolean;
}

export interface AaveV3 {
  pool: IPool;
  configurator: IPoolConfigurator;
  provider: IPoolAddressesProvider;
  acl: IACLManager;
  /** The Aave oracle (each listed token priced by an aggregator of its own, fixed at `price`). */
  oracle: string;
  /** Each listed token's aToken. */
  aTokens: Map<string, string>;
}

/** Rates of the default strategy (ray): optimal use 80%, base 0, slopes 4% and 75% (stable borrowing off). */
const RAY = 10n ** 27n;
const STRATEGY = [(RAY * 80n) / 100n, 0n, (RAY * 4n) / 100n, (RAY * 75n) / 100n, 0n, 0n, 0n, 0n, (RAY * 20n) / 100n];

/**
 * Deploys Aave v3 with `reserves` listed, `owner` as its ACL admin, pool admin and emergency admin (it may pause and
 * freeze reserves), and `owner` as the treasury.
 */
export async function deployAaveV3(
  ethers: HardhatEthers,
  owner: HardhatEthersSigner,
  reserves: readonly AaveReserveInput[],
): Promise<AaveV3> {
  const providerAddress = await deploy(
    owner,
    artifact("protocol/configuration/PoolAddressesProvider.sol", "PoolAddressesProvider"),
    ["Bulwark test market", owner.address],
  );
  const provider = await ethers.getContractAt("IPoolAddressesProvider", providerAddress, owner);
  await (await provider.setACLAdmin(owner.address)).wait();
  const aclAddress = await deploy(owner, artifact("protocol/configuration/ACLManager.sol", "ACLManager"), [
    providerAddress,
  ]);
  await (await provider.setACLManager(aclAddress)).wait();
  const acl = await ethers.getContractAt("IACLManager", aclAddress, owner);
  await (await acl.addPoolAdmin(owner.address)).wait();
  await (await acl.addEmergencyAdmin(owner.address)).wait();

  const libraries: Record<string, string> = {};
  for (const name of ["SupplyLogic", "BorrowLogic", "LiquidationLogic", "EModeLogic", "BridgeLogic", "PoolLogic"]) {
    libraries[name] = await deploy(owner, artifact(`protocol/libraries/logic/${name}.sol`, name));
  }
  libraries.FlashLoanLogic = await deploy(
    owner,
    artifact("protocol/libraries/logic/FlashLoanLogic.sol", "FlashLoanLogic"),
    [],
    libraries,
  );
  const poolImpl = await deploy(owner, artifact("protocol/pool/Pool.sol", "Pool"), [providerAddress], libraries);
  await (await provider.setPoolImpl(poolImpl)).wait();
  const configuratorLogic = await deploy(
    owner,
    artifact("protocol/libraries/logic/ConfiguratorLogic.sol", "ConfiguratorLogic"),
  );
  const configuratorImpl = await deploy(owner, artifact("protocol/pool/PoolConfigurator.sol", "PoolConfigurator"), [], {
    ConfiguratorLogic: configuratorLogic,
  });
  await (await provider.setPoolConfiguratorImpl(configuratorImpl)).wait();
  const pool = await ethers.getContractAt("IPool", await provider.getPool(), owner);
  const configurator = await ethers.getContractAt("IPoolConfigurator", await provider.getPoolConfigurator(), owner);

  const tokens = await Promise.all(reserves.map((r) => resolveAddress(r.token)));
  const sources: string[] = [];
  for (const r of reserves) {
    sources.push(
      await deploy(owner, artifact("mocks/oracle/CLAggregators/MockAggregator.sol", "MockAggregator"), [r.price]),
    );
  }
  const oracle = await deploy(owner, artifact("misc/AaveOracle.sol", "AaveOracle"), [
    providerAddress,
    tokens,
    sources,
    ZeroAddress,
    ZeroAddress,
    10n ** 8n,
  ]);
  await (await provider.setPriceOracle(oracle)).wait();
  const dataProvider = await deploy(owner, artifact("misc/AaveProtocolDataProvider.sol", "AaveProtocolDataProvider"), [
    providerAddress,
  ]);
  await (await provider.setPoolDataProvider(dataProvider)).wait();

  const poolAddress = await pool.getAddress();
  const aTokenImpl = await deploy(owner, artifact("protocol/tokenization/AToken.sol", "AToken"), [poolAddress]);
  const stableImpl = await deploy(owner, artifact("protocol/tokenization/StableDebtToken.sol", "StableDebtToken"), [
    poolAddress,
  ]);
  const variableImpl = await deploy(
    owner,
    artifact("protocol/tokenization/VariableDebtToken.sol", "VariableDebtToken"),
    [poolAddress],
  );
  const strategy = await deploy(
    owner,
    artifact("protocol/pool/DefaultReserveInterestRateStrategy.sol", "DefaultReserveInterestRateStrategy"),
    [providerAddress, ...STRATEGY],
  );
  await (
    await configurator.initReserves(
      reserves.map((r, i) => ({
        aTokenImpl,
        stableDebtTokenImpl: stableImpl,
        variableDebtTokenImpl: variableImpl,
        underlyingAssetDecimals: r.decimals,
        interestRateStrategyAddress: strategy,
        underlyingAsset: tokens[i]!,
        treasury: owner.address,
        incentivesController: ZeroAddress,
        aTokenName: `Aave ${r.symbol}`,
        aTokenSymbol: `a${r.symbol}`,
        variableDebtTokenName: `Aave variable debt ${r.symbol}`,
        variableDebtTokenSymbol: `variableDebt${r.symbol}`,
        stableDebtTokenName: `Aave stable debt ${r.symbol}`,
        stableDebtTokenSymbol: `stableDebt${r.symbol}`,
        params: "0x",
      })),
    )
  ).wait();
  const aTokens = new Map<string, string>();
  for (const [i, r] of reserves.entries()) {
    const token = tokens[i]!;
    if (r.ltv !== undefined && r.ltv > 0) {
      await (
        await configurator.configureReserveAsCollateral(
          token,
          r.ltv,
          r.liquidationThreshold ?? r.ltv,
          r.liquidationBonus ?? 10_500,
        )
      ).wait();
    }
    if (r.borrowing === true) await (await configurator.setReserveBorrowing(token, true)).wait();
    aTokens.set(token, (await pool.getReserveData(token)).aTokenAddress);
  }
  return { pool, configurator, provider, acl, oracle, aTokens };
}
