/**
 * The in-process chain's assets: fresh ERC-20 test tokens, a replay feed per asset (the simulation publishes the path
 * through it, as Chainlink's aggregator would), and a real Uniswap v3 pool per collateral built from the
 * `@uniswap/v3-core` artifacts, with full-range liquidity worth `poolDepth` times the population's holdings.
 */
import type { HardhatEthers, HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";

import type { MockERC20 } from "../../../typechain-types/index.js";
import { deployPoolWithLiquidity, deployUniswapV3Factory } from "../uniswap.js";
import { answerOf } from "./driver.js";
import { FEED_DECIMALS, type AssetSource, type MarketAsset } from "./simMarket.js";
import type { AssetSpec } from "./scenarios.js";

/** By default each pool holds this many times the collateral the whole population posted (and the matching base). */
export const DEFAULT_POOL_DEPTH = 10;

/**
 * Assets for the in-process chain: `specs` with their starting prices (WAD), base first; each pool `poolDepth` times
 * the population's holdings deep.
 */
export function inProcessSource(
  specs: readonly { spec: AssetSpec; startPriceWad: bigint }[],
  poolDepth = DEFAULT_POOL_DEPTH,
): AssetSource {
  const tokens = new Map<string, MockERC20>();
  return {
    chain: "in-process",
    async assets(ethers: HardhatEthers, deployer: HardhatEthersSigner): Promise<MarketAsset[]> {
      const out: MarketAsset[] = [];
      const now = (await ethers.provider.getBlock("latest"))?.timestamp ?? 0;
      for (const { spec, startPriceWad } of specs) {
        const token = await ethers.deployContract("MockERC20", [spec.symbol, spec.symbol, spec.decimals]);
        const feed = await ethers.deployContract("ReplayAggregator", [
          FEED_DECIMALS,
          `${spec.symbol} / USD`,
          deployer.address,
        ]);
        await (await feed.publish(answerOf(startPriceWad), now + 1)).wait();
        const address = await token.getAddress();
        tokens.set(address, token);
        out.push({
          spec,
          token,
          address,
          decimals: spec.decimals,
          startPriceWad,
          feed: await feed.getAddress(),
          publish: async (answer, updatedAt) => (await feed.publish(answer, updatedAt, { gasLimit: 200_000n })).hash,
        });
      }
      return out;
    },
    async fund(asset: MarketAsset, to: string, amount: bigint): Promise<void> {
      const token = tokens.get(asset.address);
      if (token === undefined) throw new Error(`${asset.spec.symbol} is not a token of this chain`);
      await (await token.mint(to, amount)).wait();
    },
    async attachPools(ethers, deployer, base, collaterals, held): Promise<void> {
      const factory = await deployUniswapV3Factory(ethers, deployer);
      const quote = tokens.get(base.address);
      if (quote === undefined) throw new Error("no base token");
      for (const asset of collaterals) {
        const token = tokens.get(asset.address);
        if (token === undefined) throw new Error(`no token for ${asset.spec.symbol}`);
        const depth = ((held.get(asset.address) ?? 0n) * BigInt(Math.round(poolDepth * 100))) / 100n;
        const { pool, baseIsToken0 } = await deployPoolWithLiquidity(
          ethers,
          factory,
          token,
          quote,
          asset.startPriceWad,
          depth > 0n ? depth : 10n ** BigInt(asset.decimals),
        );
        asset.pool = pool;
        asset.baseIsToken0 = baseIsToken0;
        asset.poolFee = 0.003;
      }
    },
  };
}
