/**
 * Fork mode's assets: the real tokens, Chainlink feed proxies and Uniswap v3 pools an address book names
 * (deploy/address-book/mainnet.json by default), on an in-process fork of `--fork URL` at `--block N`.
 *
 * - Prices: each feed proxy is pointed at a fresh ReplayAggregator the simulation owns, by impersonating the proxy's
 *   owner (proposeAggregator + confirmAggregator), so Bulwark's oracle adapter reads the real proxy address while the
 *   path is replayed. Each path is scaled to start at the feed's price at the fork block (the crash's moves, replayed
 *   from today's levels), so the pools' real liquidity around today's price is what liquidators trade against.
 * - Tokens: balances are written into the token's storage (fork.ts `setTokenBalance`), no whales needed.
 * - Pools: the deepest fee tier of collateral/base at the fork block (fork.ts `findPool`).
 *
 * A local deployment (`npm run deploy -- --network localhost`; its address book is written beside Ignition's record)
 * has test feeds anyone may publish to (`TestAggregator.pushAt`) and no Uniswap v3: the replay publishes to such a
 * feed directly (same address, no proxy to repoint), and when the book names no Uniswap v3 factory a factory and a
 * pool per collateral are deployed on the fork, seeded as the in-process chain's are.
 */
import type { HardhatEthers, HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { Contract } from "ethers";

import { IERC20Metadata__factory } from "../../../typechain-types/index.js";
import { deployPoolWithLiquidity, deployUniswapV3Factory, type MintableToken } from "../uniswap.js";
import { answerOf } from "./driver.js";
import {
  deviationOf,
  feedFor,
  findPool,
  readAddressBook,
  repointFeed,
  setTokenBalance,
  type AddressBook,
  type ForkProvider,
} from "./fork.js";
import { DEFAULT_POOL_DEPTH } from "./inProcess.js";
import { FEED_DECIMALS, type AssetSource, type MarketAsset } from "./simMarket.js";
import type { AssetSpec } from "./scenarios.js";

const PROXY_ABI = ["function latestRoundData() view returns (uint80, int256, uint256, uint256, uint80)"];
/** A test feed anyone may publish to (deploy/mocks/TestAggregator.sol). */
const PUSH_FEED_ABI = ["function pushAt(int256 answer, uint256 startedAt, uint256 updatedAt)"];

/**
 * Publishes `answer` at `now` to `feed` if it is a test feed anyone may publish to, and returns it; undefined when it
 * is not one. A call that merely does not revert (a contract whose fallback swallows it) is not enough: the feed must
 * then report the round, or the replay would run on a frozen price.
 */
async function pushFeed(
  feed: string,
  signer: HardhatEthersSigner,
  answer: bigint,
  now: number,
): Promise<Contract | undefined> {
  const contract = new Contract(feed, [...PUSH_FEED_ABI, ...PROXY_ABI], signer);
  try {
    await contract.getFunction("pushAt").staticCall(answer, now, now);
  } catch {
    return undefined;
  }
  await (await contract.getFunction("pushAt")(answer, now, now)).wait();
  const [, latest, , updatedAt] = (await contract.getFunction("latestRoundData").staticCall()) as bigint[];
  return latest === answer && updatedAt === BigInt(now) ? contract : undefined;
}

/** Thrown when the address book and the fork do not fit the simulation; the message says what is missing. */
export class ForkError extends Error {}

export interface ForkPlan {
  url: string;
  block?: number;
  label: string;
  /** Each asset's price at the fork block (WAD), from its feed proxy: where its path is scaled to start. */
  anchors(ethers: HardhatEthers, specs: readonly AssetSpec[]): Promise<Map<string, bigint>>;
  /** The assets of the fork, starting at `startPrices` (by symbol, WAD). */
  source(specs: readonly AssetSpec[], startPrices: ReadonlyMap<string, bigint>): AssetSource;
}

/** Plans a fork of `url` at `block` with the addresses in `addresses`. */
export function forkPlan(options: { url: string; block?: number; addresses: string }): ForkPlan {
  const book: AddressBook = readAddressBook(options.addresses);
  const token = (symbol: string): { address: string; decimals: number } => {
    const entry = book.tokens[symbol];
    if (entry === undefined) {
      throw new ForkError(
        `${options.addresses} has no token ${symbol} (it has ${Object.keys(book.tokens).join(", ")})`,
      );
    }
    return entry;
  };
  const feed = (symbol: string) => {
    const entry = feedFor(book, symbol);
    if (entry.decimals !== FEED_DECIMALS) {
      throw new ForkError(
        `the ${entry.pair} feed has ${entry.decimals} decimals; the simulation replays USD feeds of 8`,
      );
    }
    return entry;
  };
  return {
    url: options.url,
    block: options.block,
    label:
      `fork of ${options.url}${options.block === undefined ? "" : ` at block ${options.block}`}` +
      (book.uniswapV3 === undefined ? " (its address book names no Uniswap v3: pools deployed on the fork)" : ""),
    async anchors(ethers, specs) {
      const out = new Map<string, bigint>();
      for (const spec of specs) {
        const proxy = new Contract(feed(spec.symbol).proxy, PROXY_ABI, ethers.provider);
        const [, answer] = (await proxy.latestRoundData()) as [bigint, bigint];
        if (answer <= 0n) throw new ForkError(`the ${spec.symbol} feed answers ${answer} at the fork block`);
        out.set(spec.symbol, answer * 10n ** BigInt(18 - FEED_DECIMALS));
      }
      return out;
    },
    source(specs, startPrices) {
      /** Feeds published to directly (test feeds of a local deployment), of this source's assets. */
      let pushFeeds = 0;
      return {
        chain: this.label,
        async assets(ethers: HardhatEthers, deployer: HardhatEthersSigner): Promise<MarketAsset[]> {
          const provider = ethers.provider as unknown as ForkProvider;
          const out: MarketAsset[] = [];
          for (const base of specs) {
            const { address, decimals } = token(base.symbol);
            const erc20 = IERC20Metadata__factory.connect(address, deployer);
            const onChain = Number(await erc20.decimals());
            if (onChain !== decimals) {
              throw new ForkError(
                `${base.symbol} at ${address} has ${onChain} decimals, the address book says ${decimals}`,
              );
            }
            const entry = feed(base.symbol);
            const spec: AssetSpec = {
              ...base,
              decimals,
              heartbeat: entry.heartbeatSeconds,
              deviation: deviationOf(entry),
            };
            const startPriceWad = startPrices.get(base.symbol);
            if (startPriceWad === undefined) throw new ForkError(`no starting price for ${base.symbol}`);
            const now = (await ethers.provider.getBlock("latest"))?.timestamp ?? 0;
            const direct = await pushFeed(entry.proxy, deployer, answerOf(startPriceWad), now);
            let publish: MarketAsset["publish"];
            if (direct !== undefined) {
              pushFeeds++;
              const pushAt = direct.getFunction("pushAt");
              publish = async (answer, updatedAt) =>
                ((await pushAt(answer, updatedAt, updatedAt, { gasLimit: 200_000n })) as { hash: string }).hash;
            } else {
              const replay = await ethers.deployContract("ReplayAggregator", [
                FEED_DECIMALS,
                `${entry.pair} (replay)`,
                deployer.address,
              ]);
              await (await replay.publish(answerOf(startPriceWad), now)).wait();
              await repointFeed(provider, entry.proxy, await replay.getAddress());
              publish = async (answer, updatedAt) =>
                (await replay.publish(answer, updatedAt, { gasLimit: 200_000n })).hash;
            }
            out.push({ spec, token: erc20, address, decimals, startPriceWad, feed: entry.proxy, publish });
          }
          return out;
        },
        async fund(asset, to, amount) {
          const provider = asset.token.runner?.provider as unknown as ForkProvider;
          const balance = await asset.token.balanceOf(to);
          await setTokenBalance(provider, asset.address, to, balance + amount);
        },
        async attachPools(ethers, deployer, base, collaterals, held) {
          const provider = ethers.provider as unknown as ForkProvider;
          if (book.uniswapV3 === undefined) {
            // Pools of the simulation's own are for a local chain only (its feeds are all test feeds): a live
            // chain's replay must trade in its real pools.
            if (pushFeeds !== collaterals.length + 1) {
              throw new ForkError(
                `${options.addresses} names no Uniswap v3 factory: add uniswapV3.factory.address (this chain's ` +
                  "pools are where liquidators sell), as deploy/address-book/mainnet.json does",
              );
            }
            await deployPools(ethers, deployer, provider, base, collaterals, held);
            return;
          }
          for (const asset of collaterals) {
            const choice = await findPool(provider, book.uniswapV3.factory.address, asset.address, base.address);
            asset.pool = await ethers.getContractAt("ITestUniswapV3Pool", choice.pool);
            asset.baseIsToken0 = (await asset.pool.token0()).toLowerCase() === asset.address.toLowerCase();
            asset.poolFee = choice.fee / 1_000_000;
          }
        },
      };
    },
  };
}

/**
 * A chain without Uniswap v3 (a local deployment): deploys a factory and a full-range pool per collateral at its
 * starting price, as deep as the in-process chain's (DEFAULT_POOL_DEPTH times the population's holdings), funding
 * the liquidity by writing balances (fork.ts `setTokenBalance`), so no token needs a mint function.
 */
async function deployPools(
  ethers: HardhatEthers,
  deployer: HardhatEthersSigner,
  provider: ForkProvider,
  base: MarketAsset,
  collaterals: readonly MarketAsset[],
  held: ReadonlyMap<string, bigint>,
): Promise<void> {
  const factory = await deployUniswapV3Factory(ethers, deployer);
  const writable = (asset: MarketAsset): MintableToken => ({
    getAddress: async () => asset.address,
    decimals: async () => BigInt(asset.decimals),
    mint: async (to, amount) => {
      await setTokenBalance(provider, asset.address, to, (await asset.token.balanceOf(to)) + amount);
      return { wait: async () => undefined };
    },
  });
  for (const asset of collaterals) {
    const depth = ((held.get(asset.address) ?? 0n) * BigInt(DEFAULT_POOL_DEPTH * 100)) / 100n;
    const { pool, baseIsToken0 } = await deployPoolWithLiquidity(
      ethers,
      factory,
      writable(asset),
      writable(base),
      asset.startPriceWad,
      depth > 0n ? depth : 10n ** BigInt(asset.decimals),
    );
    asset.pool = pool;
    asset.baseIsToken0 = baseIsToken0;
    asset.poolFee = 0.003;
  }
}
