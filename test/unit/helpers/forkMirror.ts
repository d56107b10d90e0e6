/**
 * An offline mirror of what the crash simulation's fork mode finds on mainnet, for the fork-mode test:
 *
 * - `startNode()` starts an upstream `hardhat node` on 127.0.0.1 (a free port) in its own process group, and stops it
 *   by PID.
 * - `buildMirror(url, outFile)` deploys, on that node, the mainnet pieces the simulation uses: WETH-, WBTC- and
 *   USDC-like tokens, one Chainlink-like feed per token behind an owned proxy (MirrorAggregatorProxy, a double of
 *   mainnet's EACAggregatorProxy) whose owner is NOT the deployer (so the simulation has to impersonate it, as on
 *   mainnet), Uniswap v3's real factory with a 0.3% WETH/USDC and a 0.3% WBTC/USDC pool holding about $20M each; and
 *   writes an address book in deploy/address-book/mainnet.json's format.
 *
 * `createPoolWithLiquidity` and `deployUniswapV3FactoryFrom` work with any ethers signer (the in-process network's
 * too), with plain ethers instead of HardhatEthers.
 */
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import path from "node:path";

import { ContractFactory, JsonRpcProvider, parseUnits, type Signer } from "ethers";

import { FULL_RANGE_TICK, isqrt, sqrtPriceX96For } from "../../../scripts/lib/uniswap.js";
import {
  ITestUniswapV3Factory__factory,
  ITestUniswapV3Pool__factory,
  MirrorAggregatorProxy__factory,
  MockERC20__factory,
  TestAggregator__factory,
  UniswapV3Actor__factory,
  type ITestUniswapV3Factory,
  type ITestUniswapV3Pool,
  type MockERC20,
} from "../../../typechain-types/index.js";

const require = createRequire(import.meta.url);
const ROOT = process.cwd();
/** `npx hardhat`, without npx in between (so the PID is the node's). */
const HARDHAT_CLI = path.join(ROOT, "node_modules", "hardhat", "dist", "src", "cli.js");

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
/** A timeout for a race: does not keep the process alive once the race is won. */
const timeout = (ms: number): Promise<"timeout"> =>
  new Promise((resolve) => setTimeout(() => resolve("timeout"), ms).unref());

/** A free TCP port on 127.0.0.1 (bind port 0, read it, release it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject()));
    });
  });
}

/** The chain id behind `url`, or undefined while nothing answers. */
export async function chainIdAt(url: string): Promise<string | undefined> {
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      signal: AbortSignal.timeout(1000),
    });
    const body = (await response.json()) as { result?: string };
    return body.result;
  } catch {
    return undefined;
  }
}

/** A running `hardhat node`. */
export interface NodeHandle {
  url: string;
  port: number;
  /** The node's PID (also its process group id). */
  pid: number;
  /** The last few kB of its output (for failure messages). */
  output(): string;
  /** Stops the node's process group (SIGTERM, then SIGKILL after 5 s) and waits for the node to exit. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts `hardhat node --port P --hostname 127.0.0.1` on a free port, in its own process group (`detached`), and
 * waits (up to `readyTimeoutMs`) until it answers `eth_chainId`. On failure the node is stopped before the error is
 * thrown.
 */
export async function startNode(readyTimeoutMs = 60_000): Promise<NodeHandle> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [HARDHAT_CLI, "node", "--port", String(port), "--hostname", "127.0.0.1"], {
    cwd: ROOT,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (child.pid === undefined) throw new Error("hardhat node could not be spawned");
  const pid = child.pid;
  let output = "";
  // Keep the last few kB of its (verbose) output, and keep the pipes drained.
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  child.on("error", (error) => keep(Buffer.from(`\n[spawn error] ${error.message}\n`)));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const running = (): boolean => child.exitCode === null && child.signalCode === null;
  const signalGroup = (signal: NodeJS.Signals): void => {
    try {
      process.kill(-pid, signal);
    } catch {
      child.kill(signal); // the group is gone already, or was never formed
    }
  };

  const stop = async (): Promise<void> => {
    if (!running()) return;
    signalGroup("SIGTERM");
    if ((await Promise.race([exited, timeout(5000)])) === "timeout") {
      signalGroup("SIGKILL");
      await exited;
    }
  };

  const deadline = Date.now() + readyTimeoutMs;
  while ((await chainIdAt(url)) === undefined) {
    if (!running()) throw new Error(`hardhat node exited (${child.exitCode ?? child.signalCode}):\n${output}`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`hardhat node did not answer on ${url} within ${readyTimeoutMs} ms:\n${output}`);
    }
    await sleep(200);
  }
  return { url, port, pid, output: () => output, stop };
}

// ================================================================================================ Uniswap v3

interface Artifact {
  abi: ConstructorParameters<typeof ContractFactory>[0];
  bytecode: string;
}

/** Deploys Uniswap v3's real factory (the compiled artifact shipped in `@uniswap/v3-core`) from `deployer`. */
export async function deployUniswapV3FactoryFrom(deployer: Signer): Promise<ITestUniswapV3Factory> {
  const file = require.resolve("@uniswap/v3-core/artifacts/contracts/UniswapV3Factory.sol/UniswapV3Factory.json");
  const artifact = JSON.parse(readFileSync(file, "utf8")) as Artifact;
  const factory = await new ContractFactory(artifact.abi, artifact.bytecode, deployer).deploy();
  await factory.waitForDeployment();
  return ITestUniswapV3Factory__factory.connect(await factory.getAddress(), deployer);
}

/** Tick spacing of each fee tier the factory enables at deployment. */
const TICK_SPACING: Readonly<Record<number, number>> = { 100: 1, 500: 10, 3000: 60, 10000: 200 };
/** Uniswap v3's largest tick. */
const MAX_TICK = 887272;

/** The largest usable tick of a fee tier: the bound of a full-range position. */
function fullRangeTick(fee: number): number {
  if (fee === 3000) return FULL_RANGE_TICK;
  const spacing = TICK_SPACING[fee];
  if (spacing === undefined) throw new Error(`fee tier ${fee} is not one Uniswap v3's factory enables`);
  return Math.floor(MAX_TICK / spacing) * spacing;
}

/**
 * Creates the `fee` pool of `base`/`quote` (test tokens with an open mint) in `factory`, starts it at `priceWad`
 * (quote per whole base, 18 decimals) and adds full-range liquidity of `baseAmount` base units and the matching quote
 * through a fresh UniswapV3Actor (funded with twice that, minted).
 */
export async function createPoolWithLiquidity(
  signer: Signer,
  factory: ITestUniswapV3Factory,
  base: MockERC20,
  quote: MockERC20,
  priceWad: bigint,
  baseAmount: bigint,
  fee = 3000,
): Promise<{ pool: ITestUniswapV3Pool; baseIsToken0: boolean; liquidity: bigint }> {
  const [baseAddress, quoteAddress] = [await base.getAddress(), await quote.getAddress()];
  const [baseDecimals, quoteDecimals] = [Number(await base.decimals()), Number(await quote.decimals())];
  const tick = fullRangeTick(fee);
  await (await factory.connect(signer).createPool(baseAddress, quoteAddress, fee)).wait();
  const pool = ITestUniswapV3Pool__factory.connect(await factory.getPool(baseAddress, quoteAddress, fee), signer);
  const baseIsToken0 = (await pool.token0()) === baseAddress;
  await (await pool.initialize(sqrtPriceX96For(priceWad, baseIsToken0, baseDecimals, quoteDecimals))).wait();
  const quoteAmount =
    (baseAmount * priceWad * 10n ** BigInt(quoteDecimals)) / (10n ** 18n * 10n ** BigInt(baseDecimals));
  const actor = await new UniswapV3Actor__factory(signer).deploy();
  await actor.waitForDeployment();
  const actorAddress = await actor.getAddress();
  await (await base.connect(signer).mint(actorAddress, baseAmount * 2n)).wait();
  await (await quote.connect(signer).mint(actorAddress, quoteAmount * 2n)).wait();
  // Full-range liquidity L = √(x·y) takes x and y at the current price.
  const liquidity = isqrt(baseAmount * quoteAmount);
  await (await actor.mint(await pool.getAddress(), -tick, tick, liquidity)).wait();
  return { pool, baseIsToken0, liquidity };
}

// ================================================================================================ the mirror

/** The collateral symbols and the base symbol of the mirror. */
export type MirrorSymbol = "WETH" | "WBTC" | "USDC";
/** The feed pairs of the mirror. */
export type MirrorPair = "ETH/USD" | "BTC/USD" | "USDC/USD";

/** What buildMirror deployed. */
export interface MirrorInfo {
  /** The address book written (the `outFile` argument). */
  addressBook: string;
  /** The node's block number once everything is deployed. */
  blockNumber: number;
  chainId: number;
  /** The node's account 0, which deployed everything. */
  deployer: string;
  /** The node's account 7, owner of every feed proxy. */
  feedOwner: string;
  tokens: Record<MirrorSymbol, string>;
  /** Each feed's proxy and the TestAggregator behind it (phase 1). */
  feeds: Record<MirrorPair, { proxy: string; aggregator: string }>;
  uniswapV3Factory: string;
  /** The 0.3% pool of each collateral against USDC. */
  pools: Record<Exclude<MirrorSymbol, "USDC">, { pool: string; fee: number }>;
}

/** Index of the node's default account that owns the feed proxies (not the deployer). */
export const FEED_OWNER_INDEX = 7;
/** USD value of each side of a pool: $10M of collateral and $10M of USDC, about $20M in all. */
const POOL_SIDE_USD = 10_000_000n;

interface FeedSpec {
  pair: MirrorPair;
  symbol: MirrorSymbol;
  /** The token's decimals. */
  decimals: number;
  /** USD, whole dollars. */
  price: string;
  heartbeatSeconds: number;
  deviationThreshold: string;
}

const FEEDS: readonly FeedSpec[] = [
  { pair: "USDC/USD", symbol: "USDC", decimals: 6, price: "1", heartbeatSeconds: 86400, deviationThreshold: "0.25%" },
  { pair: "ETH/USD", symbol: "WETH", decimals: 18, price: "3000", heartbeatSeconds: 3600, deviationThreshold: "0.5%" },
  { pair: "BTC/USD", symbol: "WBTC", decimals: 8, price: "60000", heartbeatSeconds: 3600, deviationThreshold: "0.5%" },
];

/**
 * Deploys the mirror on the node at `url` (see the file's comment) and writes its address book to `outFile`.
 * Signer 0 deploys; signer FEED_OWNER_INDEX owns the feed proxies.
 */
export async function buildMirror(url: string, outFile: string): Promise<MirrorInfo> {
  const provider = new JsonRpcProvider(url, undefined, { staticNetwork: true, pollingInterval: 100 });
  try {
    const deployer = await provider.getSigner(0);
    const feedOwner = await provider.getSigner(FEED_OWNER_INDEX);
    const chainId = Number((await provider.getNetwork()).chainId);

    const deployToken = async (name: string, symbol: string, decimals: number): Promise<MockERC20> => {
      const token = await new MockERC20__factory(deployer).deploy(name, symbol, decimals);
      await token.waitForDeployment();
      return token;
    };
    const tokens: Record<MirrorSymbol, MockERC20> = {
      WETH: await deployToken("Wrapped Ether", "WETH", 18),
      WBTC: await deployToken("Wrapped BTC", "WBTC", 8),
      USDC: await deployToken("USD Coin", "USDC", 6),
    };
    for (const spec of FEEDS) {
      if (Number(await tokens[spec.symbol].decimals()) !== spec.decimals) throw new Error(`${spec.symbol} decimals`);
    }

    const feeds = {} as MirrorInfo["feeds"];
    for (const spec of FEEDS) {
      const aggregator = await new TestAggregator__factory(deployer).deploy(8, spec.pair.replace("/", " / "));
      await aggregator.waitForDeployment();
      await (await aggregator.push(parseUnits(spec.price, 8))).wait();
      const proxy = await new MirrorAggregatorProxy__factory(deployer).deploy(
        await aggregator.getAddress(),
        await feedOwner.getAddress(),
      );
      await proxy.waitForDeployment();
      feeds[spec.pair] = { proxy: await proxy.getAddress(), aggregator: await aggregator.getAddress() };
    }

    const factory = await deployUniswapV3FactoryFrom(deployer);
    const pools = {} as MirrorInfo["pools"];
    for (const spec of FEEDS) {
      if (spec.symbol === "USDC") continue;
      const token = tokens[spec.symbol];
      const priceWad = parseUnits(spec.price, 18);
      const baseAmount = (POOL_SIDE_USD * 10n ** 18n * 10n ** (await token.decimals())) / priceWad;
      const { pool } = await createPoolWithLiquidity(deployer, factory, token, tokens.USDC, priceWad, baseAmount);
      pools[spec.symbol] = { pool: await pool.getAddress(), fee: 3000 };
    }

    const tokenAddresses = {} as MirrorInfo["tokens"];
    for (const symbol of Object.keys(tokens) as MirrorSymbol[])
      tokenAddresses[symbol] = await tokens[symbol].getAddress();
    const book = {
      chainId,
      about: `Offline mirror of deploy/address-book/mainnet.json, written by test/unit/helpers/forkMirror.ts buildMirror on ${url}.`,
      chainlinkFeeds: Object.fromEntries(
        FEEDS.map((spec) => [
          spec.pair,
          {
            proxy: feeds[spec.pair].proxy,
            decimals: 8,
            heartbeatSeconds: spec.heartbeatSeconds,
            deviationThreshold: spec.deviationThreshold,
          },
        ]),
      ),
      tokens: Object.fromEntries(
        FEEDS.map((spec) => [spec.symbol, { address: tokenAddresses[spec.symbol], decimals: spec.decimals }]),
      ),
      uniswapV3: { factory: { address: await factory.getAddress() } },
    };
    writeFileSync(outFile, `${JSON.stringify(book, null, 2)}\n`);

    return {
      addressBook: outFile,
      blockNumber: await provider.getBlockNumber(),
      chainId,
      deployer: await deployer.getAddress(),
      feedOwner: await feedOwner.getAddress(),
      tokens: tokenAddresses,
      feeds,
      uniswapV3Factory: await factory.getAddress(),
      pools,
    };
  } finally {
    provider.destroy();
  }
}
