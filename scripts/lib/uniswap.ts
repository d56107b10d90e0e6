import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { HardhatEthers, HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { ContractFactory } from "ethers";
import type { ITestUniswapV3Factory, ITestUniswapV3Pool, UniswapV3Actor } from "../../typechain-types/index.js";

/** A token a pool can be seeded with: MockERC20, or a fork's token whose balances the simulation writes. */
export interface MintableToken {
  getAddress(): Promise<string>;
  decimals(): Promise<bigint>;
  mint(to: string, amount: bigint): Promise<{ wait(): Promise<unknown> }>;
}

const require = createRequire(import.meta.url);

interface Artifact {
  abi: ConstructorParameters<typeof ContractFactory>[0];
  bytecode: string;
}

/**
 * Uniswap v3 from its published, compiled artifacts (`@uniswap/v3-core`): the real factory and pools, for the bench,
 * the simulation and the tests. Our own contracts talk to them through UniswapV3Types.sol's interfaces.
 */

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

/** Largest multiple of the 0.3% pool's tick spacing (60) inside Uniswap v3's tick range: a full-range position. */
export const FULL_RANGE_TICK = 887220;

/**
 * Creates a real 0.3% Uniswap v3 pool of `base`/`quote` through `factory`, starts it at `priceWad` (quote per whole
 * base) and adds full-range liquidity of about `baseAmount` base units and the matching quote, minted to a
 * UniswapV3Actor owned by `deployer`. Returns the pool and the actor (to swap with later).
 */
export async function deployPoolWithLiquidity(
  ethers: HardhatEthers,
  factory: ITestUniswapV3Factory,
  base: MintableToken,
  quote: MintableToken,
  priceWad: bigint,
  baseAmount: bigint,
): Promise<{ pool: ITestUniswapV3Pool; actor: UniswapV3Actor; baseIsToken0: boolean }> {
  const [baseAddress, quoteAddress] = [await base.getAddress(), await quote.getAddress()];
  const [baseDecimals, quoteDecimals] = [Number(await base.decimals()), Number(await quote.decimals())];
  await (await factory.createPool(baseAddress, quoteAddress, 3000)).wait();
  const pool = await ethers.getContractAt("ITestUniswapV3Pool", await factory.getPool(baseAddress, quoteAddress, 3000));
  const baseIsToken0 = (await pool.token0()) === baseAddress;
  await (await pool.initialize(sqrtPriceX96For(priceWad, baseIsToken0, baseDecimals, quoteDecimals))).wait();
  const quoteAmount =
    (baseAmount * priceWad * 10n ** BigInt(quoteDecimals)) / (10n ** 18n * 10n ** BigInt(baseDecimals));
  const actor = await ethers.deployContract("UniswapV3Actor");
  // Twice what the position needs: full-range liquidity L = √(x·y) takes x and y at the current price.
  await (await base.mint(await actor.getAddress(), baseAmount * 2n)).wait();
  await (await quote.mint(await actor.getAddress(), quoteAmount * 2n)).wait();
  const liquidity = isqrt(baseAmount * quoteAmount);
  await (await actor.mint(pool, -FULL_RANGE_TICK, FULL_RANGE_TICK, liquidity)).wait();
  return { pool, actor, baseIsToken0 };
}

/** A token whose balance can be read (both sides of a pool, for `movePoolTo`). */
export interface BalanceToken {
  getAddress(): Promise<string>;
  balanceOf(owner: string): Promise<bigint>;
}

/**
 * Moves `pool` to `priceWad` (quote per whole base) by trading through `actor`: it sells its whole balance of the side
 * that pushes the price that way, with the √price limit at the target, so the pool stops exactly there. Throws if the
 * actor holds too little to get there.
 */
export async function movePoolTo(
  actor: UniswapV3Actor,
  pool: ITestUniswapV3Pool,
  base: BalanceToken,
  quote: BalanceToken,
  baseIsToken0: boolean,
  baseDecimals: number,
  quoteDecimals: number,
  priceWad: bigint,
): Promise<void> {
  const target = sqrtPriceX96For(priceWad, baseIsToken0, baseDecimals, quoteDecimals);
  const [current] = await pool.slot0();
  if (target === current) return;
  const zeroForOne = target < current;
  const input = zeroForOne === baseIsToken0 ? base : quote;
  await (await actor.swap(pool, zeroForOne, await input.balanceOf(await actor.getAddress()), target)).wait();
  const [after] = await pool.slot0();
  if (after !== target)
    throw new Error(`the pool stopped at √price ${after}, not ${target}: the actor holds too little`);
}

/** Spot price of one whole base token in quote, WAD, from the pool's √price (now, or at `blockTag`). */
export async function spotPriceWad(
  pool: ITestUniswapV3Pool,
  baseIsToken0: boolean,
  baseDecimals: number,
  quoteDecimals: number,
  blockTag?: number,
): Promise<bigint> {
  const [sqrtPriceX96] = await pool.slot0(blockTag === undefined ? {} : { blockTag });
  return spotFromSqrtPrice(sqrtPriceX96, baseIsToken0, baseDecimals, quoteDecimals);
}

/** Spot price of one whole base token in quote, WAD, from a pool's √price (Q64.96, `slot0`). */
export function spotFromSqrtPrice(
  sqrtPriceX96: bigint,
  baseIsToken0: boolean,
  baseDecimals: number,
  quoteDecimals: number,
): bigint {
  const ratioX192 = sqrtPriceX96 * sqrtPriceX96;
  const scale = 10n ** 18n * 10n ** BigInt(baseDecimals);
  return baseIsToken0
    ? (ratioX192 * scale) / ((10n ** BigInt(quoteDecimals)) << 192n)
    : ((1n << 192n) * scale) / (ratioX192 * 10n ** BigInt(quoteDecimals));
}
