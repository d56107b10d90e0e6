import type { HardhatEthers, HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { parseUnits } from "ethers";
import type { CollateralVault, KinkedRateModel, MockERC20, MockPriceOracle } from "../../typechain-types/index.js";

/** WAD helper: `wad("0.8")` is 0.8e18. */
export const wad = (value: string): bigint => parseUnits(value, 18);

/** Risk parameters of one collateral, as the vault takes them (all ratios WAD). */
export interface CollateralParams {
  symbol: string;
  decimals: number;
  priceUsd: string;
  borrowLtv: bigint;
  liquidationThreshold: bigint;
  liquidationBonus: bigint;
  /** Supply cap in whole tokens. */
  supplyCap: string;
}

/** The default market: base USDC, collateral WETH and WBTC (parameters in the spirit of Aave v3 mainnet). */
export const DEFAULT_COLLATERALS: readonly CollateralParams[] = [
  {
    symbol: "WETH",
    decimals: 18,
    priceUsd: "3000",
    borrowLtv: wad("0.80"),
    liquidationThreshold: wad("0.85"),
    liquidationBonus: wad("0.05"),
    supplyCap: "1000000",
  },
  {
    symbol: "WBTC",
    decimals: 8,
    priceUsd: "60000",
    borrowLtv: wad("0.73"),
    liquidationThreshold: wad("0.78"),
    liquidationBonus: wad("0.065"),
    supplyCap: "50000",
  },
];

export interface MarketOptions {
  collaterals?: readonly CollateralParams[];
  /** Governance of the vault (the timelock in production); defaults to the first signer. */
  owner?: HardhatEthersSigner;
  reserveFactor?: bigint;
  /** Borrow cap in whole USDC. */
  borrowCap?: string;
}

export interface Market {
  usdc: MockERC20;
  collaterals: Map<string, MockERC20>;
  oracle: MockPriceOracle;
  rateModel: KinkedRateModel;
  vault: CollateralVault;
  owner: HardhatEthersSigner;
}

/**
 * Deploys a complete market on the connected chain: tokens, a price source, the kinked rate model and the vault,
 * with every collateral listed and priced. Used by the tests, `npm start` and `npm run bench`.
 */
export async function deployMarket(ethers: HardhatEthers, options: MarketOptions = {}): Promise<Market> {
  const [firstSigner] = await ethers.getSigners();
  const owner = options.owner ?? firstSigner;
  const collateralParams = options.collaterals ?? DEFAULT_COLLATERALS;

  const usdc = await ethers.deployContract("MockERC20", ["USD Coin", "USDC", 6]);
  const oracle = await ethers.deployContract("MockPriceOracle");
  // 0% base, +4% to the 90% kink, +60% above it: Aave v3's stablecoin curve.
  const rateModel = await ethers.deployContract("KinkedRateModel", [0n, wad("0.04"), wad("0.60"), wad("0.90")]);
  const vault = await ethers.deployContract("CollateralVault", [
    await usdc.getAddress(),
    "Bulwark USDC",
    "bwUSDC",
    await oracle.getAddress(),
    await rateModel.getAddress(),
    options.reserveFactor ?? wad("0.10"),
    parseUnits(options.borrowCap ?? "100000000", 6),
    owner.address,
  ]);
  await (await oracle.setPrice(await usdc.getAddress(), wad("1"))).wait();

  const collaterals = new Map<string, MockERC20>();
  for (const params of collateralParams) {
    const token = await ethers.deployContract("MockERC20", [params.symbol, params.symbol, params.decimals]);
    const address = await token.getAddress();
    await (await oracle.setPrice(address, wad(params.priceUsd))).wait();
    await (
      await vault.connect(owner).listCollateral(address, {
        borrowLtv: params.borrowLtv,
        liquidationThreshold: params.liquidationThreshold,
        liquidationBonus: params.liquidationBonus,
        supplyCap: parseUnits(params.supplyCap, params.decimals),
      })
    ).wait();
    collaterals.set(params.symbol, token);
  }
  return { usdc, collaterals, oracle, rateModel, vault, owner };
}

/** Returns the collateral token for `symbol`, or throws an error naming the symbols the market has. */
export function collateral(market: Market, symbol: string): MockERC20 {
  const token = market.collaterals.get(symbol);
  if (token === undefined) {
    throw new Error(`unknown asset "${symbol}": this market has ${[...market.collaterals.keys()].join(", ")}`);
  }
  return token;
}
