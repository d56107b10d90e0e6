import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { HardhatEthers, HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { ContractFactory } from "ethers";
import type { ITestUniswapV3Factory, ITestUniswapV3Pool } from "../../../typechain-types/index.js";

const require = createRequire(import.meta.url);

interface Artifact {
  abi: ConstructorParameters<typeof ContractFactory>[0];
  bytecode: string;
}

/** Deploys Uniswap v3's real factory from the compiled artifact shipped in `@uniswap/v3-core`. */
export async function deployUniswapV3Factory(
  ethers: HardhatEthers,
  deployer: HardhatEthersSigner,
): Promise<ITestUniswapV3Factory> {
  const path = require.resolve("@uniswap/v3-core/artifacts/contracts/UniswapV3Factory.sol/UniswapV3Factory.json");
  const artifact = JSON.parse(readFileSync(path, "utf8")) as Artifact;
  const factory = await new ContractFactory(artifact.abi, artifact.bytecode, deployer).deploy();
  await factory.waitForDeployment();
  return ethers.getContractAt("ITestUniswapV3Factory", await factory.getAddress());
}

/** Integer square root (floor). */
export function isqrt(x: bigint): bigint {
  if (x < 2n) return x;
  let z = x;
  let y = (x + 1n) / 2n;
  while (y < z) {
    z = y;
    y = (x / y + y) / 2n;
  }
  return z;
}

/** √(raw token1 per raw token0) as a Q64.96, for `priceWad` quote per whole base (base and quote as in the pool). */
export function sqrtPriceX96For(
  priceWad: bigint,
  baseIsToken0: boolean,
  baseDecimals: number,
  quoteDecimals: number,
): bigint {
  // raw quote per raw base = price × 10^quoteDecimals / (1e18 × 10^baseDecimals)
  const num = priceWad * 10n ** BigInt(quoteDecimals);
  const den = 10n ** 18n * 10n ** BigInt(baseDecimals);
  // token1 per token0: the base's price when base is token0, its inverse otherwise.
  return baseIsToken0 ? isqrt((num << 192n) / den) : isqrt((den << 192n) / num);
}

/** Spot price of one whole base token in quote, WAD, from the pool's current √price. */
export async function spotPriceWad(
  pool: ITestUniswapV3Pool,
  baseIsToken0: boolean,
  baseDecimals: number,
  quoteDecimals: number,
): Promise<bigint> {
  const [sqrtPriceX96] = await pool.slot0();
  const ratioX192 = sqrtPriceX96 * sqrtPriceX96;
  const scale = 10n ** 18n * 10n ** BigInt(baseDecimals);
  return baseIsToken0
    ? (ratioX192 * scale) / ((10n ** BigInt(quoteDecimals)) << 192n)
    : ((1n << 192n) * scale) / (ratioX192 * 10n ** BigInt(quoteDecimals));
}
