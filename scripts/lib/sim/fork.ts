/**
 * Fork-mode building blocks of the crash simulation: what it needs to run against a fork of a live chain (Hardhat's
 * in-process EDR network forked from an upstream URL, or any node that answers Hardhat's JSON-RPC methods).
 *
 * - `readAddressBook` parses and validates an address book (deploy/address-book/mainnet.json's format);
 *   `feedFor` / `deviationOf` pick a token's Chainlink feed and its deviation threshold.
 * - `setTokenBalance` gives an account a balance of a real token by writing its balance slot (found by probing).
 * - `repointFeed` points a Chainlink feed proxy at another aggregator (the simulation's ReplayAggregator), as the
 *   proxy's owner, impersonated.
 * - `findPool` picks the deepest Uniswap v3 pool of a pair.
 *
 * Every function takes a `ForkProvider`: an ethers v6 provider with `send` (ethers' `JsonRpcProvider` and Hardhat's
 * `ethers.provider` both are one). Contracts are reached through minimal human-readable ABIs.
 */
import { readFileSync } from "node:fs";
import {
  AbiCoder,
  Contract,
  Interface,
  getAddress,
  isAddress,
  keccak256,
  toBeHex,
  toQuantity,
  ZeroAddress,
  type Provider,
} from "ethers";

// ================================================================================================ the address book

/** One Chainlink feed of the book (`chainlinkFeeds[pair]`). */
export interface ChainlinkFeed {
  /** The feed proxy (checksummed). */
  proxy: string;
  decimals: number;
  heartbeatSeconds: number;
  /** As written in the book, e.g. "0.5%" or "0.5% (not confirmed from a primary source)". */
  deviationThreshold: string;
}

/** A feed with the pair it is filed under, as `feedFor` returns it. */
export interface FeedEntry extends ChainlinkFeed {
  /** The book's key, e.g. "ETH/USD". */
  pair: string;
}

/** One token of the book (`tokens[symbol]`). */
export interface TokenEntry {
  /** Checksummed. */
  address: string;
  decimals: number;
  /** The pair of the feed that prices it, when it is not `${SYMBOL}/USD` (or `${SYMBOL without W}/USD`). */
  feed?: string;
}

/** The parts of an address book the simulation uses (other keys of the file are ignored). */
export interface AddressBook {
  /** The chain the addresses are on, when the book says. */
  chainId?: number;
  chainlinkFeeds: Record<string, ChainlinkFeed>;
  tokens: Record<string, TokenEntry>;
  /**
   * Uniswap v3 on that chain. Absent for a chain without it (a local deployment's book): fork mode then deploys a
   * factory and a pool per collateral on the fork itself.
   */
  uniswapV3?: { factory: { address: string } };
}

/** An address book that cannot be read, or a key in it that is missing or invalid. The message names the file. */
export class AddressBookError extends Error {
  readonly file: string;
  readonly key: string;

  // No parameter properties: the simulation CLI runs under Node's type stripping, which does not support them.
  constructor(file: string, key: string, problem: string) {
    super(`${file}: ${key === "" ? "" : `${key} `}${problem}`);
    this.name = "AddressBookError";
    this.file = file;
    this.key = key;
  }
}

/** `"0.5% (…)"` → 0.005; undefined when the text does not start with a percentage. */
function leadingPercentage(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*%/.exec(text);
  return match === null ? undefined : Number(match[1]) / 100;
}

type Json = unknown;

/** Reads and validates keys of one parsed JSON file, naming the file and the key in every error. */
class BookReader {
  readonly file: string;

  constructor(file: string) {
    this.file = file;
  }

  fail(key: string, problem: string): never {
    throw new AddressBookError(this.file, key, problem);
  }

  object(value: Json, key: string): Record<string, Json> {
    if (value === undefined) this.fail(key, "is missing");
    if (typeof value !== "object" || value === null || Array.isArray(value)) this.fail(key, "is not an object");
    return value as Record<string, Json>;
  }

  address(value: Json, key: string): string {
    if (value === undefined) this.fail(key, "is missing");
    if (typeof value !== "string" || !isAddress(value)) this.fail(key, "is not an address");
    const address = getAddress(value);
    if (address === ZeroAddress) this.fail(key, "is the zero address");
    return address;
  }

  integer(value: Json, key: string, min: number, max: number): number {
    if (value === undefined) this.fail(key, "is missing");
    if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max)
      this.fail(key, `is not an integer in [${min}, ${max}]`);
    return value;
  }

  string(value: Json, key: string): string {
    if (value === undefined) this.fail(key, "is missing");
    if (typeof value !== "string" || value.trim() === "") this.fail(key, "is not a non-empty string");
    return value;
  }
}

/**
 * Reads the address book at `file` (deploy/address-book/mainnet.json's format) and validates every key the simulation
 * uses: each feed's proxy, decimals (0..36), heartbeat (> 0 s) and deviation threshold (must start with a
 * percentage); each token's address, decimals (0..36) and optional feed (a pair the book has); the Uniswap v3
 * factory. Addresses come back checksummed. Extra keys are ignored.
 * @throws AddressBookError naming the file and the first missing or invalid key.
 */
export function readAddressBook(file: string): AddressBook {
  const r: BookReader = new BookReader(file); // typed, so that `r.fail` (never) ends control flow
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    r.fail("", `cannot be read (${(error as Error).message})`);
  }
  let json: Json;
  try {
    json = JSON.parse(text);
  } catch (error) {
    r.fail("", `is not valid JSON (${(error as Error).message})`);
  }
  const root = r.object(json, "(root)");

  const book: AddressBook = { chainlinkFeeds: {}, tokens: {} };
  if (root.chainId !== undefined) book.chainId = r.integer(root.chainId, "chainId", 1, Number.MAX_SAFE_INTEGER);

  const feeds = r.object(root.chainlinkFeeds, "chainlinkFeeds");
  for (const [pair, raw] of Object.entries(feeds)) {
    const key = `chainlinkFeeds.${pair}`;
    const feed = r.object(raw, key);
    const deviationThreshold = r.string(feed.deviationThreshold, `${key}.deviationThreshold`);
    if (leadingPercentage(deviationThreshold) === undefined)
      r.fail(`${key}.deviationThreshold`, `does not start with a percentage ("${deviationThreshold}")`);
    book.chainlinkFeeds[pair] = {
      proxy: r.address(feed.proxy, `${key}.proxy`),
      decimals: r.integer(feed.decimals, `${key}.decimals`, 0, 36),
      heartbeatSeconds: r.integer(feed.heartbeatSeconds, `${key}.heartbeatSeconds`, 1, Number.MAX_SAFE_INTEGER),
      deviationThreshold,
    };
  }

  const tokens = r.object(root.tokens, "tokens");
  for (const [symbol, raw] of Object.entries(tokens)) {
    const key = `tokens.${symbol}`;
    const token = r.object(raw, key);
    const entry: TokenEntry = {
      address: r.address(token.address, `${key}.address`),
      decimals: r.integer(token.decimals, `${key}.decimals`, 0, 36),
    };
    if (token.feed !== undefined) {
      const pair = r.string(token.feed, `${key}.feed`);
      if (book.chainlinkFeeds[pair] === undefined)
        r.fail(`${key}.feed`, `names "${pair}", which chainlinkFeeds does not have`);
      entry.feed = pair;
    }
    book.tokens[symbol] = entry;
  }

  if (root.uniswapV3 !== undefined) {
    const uniswapV3 = r.object(root.uniswapV3, "uniswapV3");
    const factory = r.object(uniswapV3.factory, "uniswapV3.factory");
    book.uniswapV3 = { factory: { address: r.address(factory.address, "uniswapV3.factory.address") } };
  }
  return book;
}

/**
 * The feed that prices `symbol`: the pair its token entry's `feed` names; else `${symbol}/USD` (as written, then
 * upper-cased); else, for a symbol starting with a capital "W" (WETH, WBTC), `${symbol without the W}/USD`.
 * @throws Error naming the pairs the book has when none of these is in it.
 */
export function feedFor(book: AddressBook, symbol: string): FeedEntry {
  const candidates: string[] = [];
  const named = book.tokens[symbol]?.feed;
  if (named !== undefined) candidates.push(named);
  else {
    candidates.push(`${symbol}/USD`, `${symbol.toUpperCase()}/USD`);
    // Only a capital W (WETH, WBTC: wrapped 1:1); wstETH is not stETH (it accrues staking rewards), so no fallback.
    if (symbol.startsWith("W") && symbol.length > 1)
      candidates.push(`${symbol.slice(1)}/USD`, `${symbol.slice(1).toUpperCase()}/USD`);
  }
  for (const pair of candidates) {
    const feed = book.chainlinkFeeds[pair];
    if (feed !== undefined) return { pair, ...feed };
  }
  const tried = [...new Set(candidates)].join(", ");
  const pairs = Object.keys(book.chainlinkFeeds).join(", ") || "none";
  throw new Error(`no Chainlink feed for ${symbol} in the address book (tried ${tried}; the book has ${pairs})`);
}

/** The feed's deviation threshold as a fraction: the leading percentage of `deviationThreshold` ("0.5% (…)" → 0.005). */
export function deviationOf(feed: Pick<ChainlinkFeed, "deviationThreshold">): number {
  const deviation = leadingPercentage(feed.deviationThreshold);
  if (deviation === undefined)
    throw new Error(`deviation threshold "${feed.deviationThreshold}" does not start with a percentage`);
  return deviation;
}

// ================================================================================================ the provider

/**
 * An ethers v6 provider that also sends raw JSON-RPC requests, to a node with Hardhat's methods
 * (`hardhat_setStorageAt`, `hardhat_impersonateAccount`, …): ethers' `JsonRpcProvider`, or `ethers.provider` of a
 * Hardhat network connection.
 */
export type ForkProvider = Provider & { send(method: string, params: unknown[]): Promise<unknown> };

const coder = AbiCoder.defaultAbiCoder();
const ERC20_ABI = ["function balanceOf(address) view returns (uint256)"];
const PROXY_ABI = [
  "function owner() view returns (address)",
  "function aggregator() view returns (address)",
  "function decimals() view returns (uint8)",
  "function proposeAggregator(address)",
  "function confirmAggregator(address)",
];
const AGGREGATOR_ABI = ["function decimals() view returns (uint8)"];
const FACTORY_ABI = ["function getPool(address, address, uint24) view returns (address)"];
const POOL_ABI = ["function liquidity() view returns (uint128)"];
const proxyInterface = new Interface(PROXY_ABI);

/** `fn()` on a contract, or undefined when the call fails (no such function, no code, a revert). */
async function tryRead<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch {
    return undefined;
  }
}

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * Sends a transaction from `from` (unlocked or impersonated on the node) and waits for its receipt; a dry run first,
 * so that a revert fails with its reason before anything is mined.
 */
async function sendFrom(provider: ForkProvider, from: string, to: string, data: string, what: string): Promise<void> {
  try {
    await provider.call({ from, to, data });
  } catch (error) {
    throw new Error(`${what} would revert: ${message(error)}`);
  }
  const gas = await provider.estimateGas({ from, to, data });
  const hash = (await provider.send("eth_sendTransaction", [{ from, to, data, gas: toQuantity(gas) }])) as string;
  const receipt = (await provider.getTransactionReceipt(hash)) ?? (await provider.waitForTransaction(hash, 1, 60_000));
  if (receipt === null) throw new Error(`${what}: transaction ${hash} not mined within 60 s`);
  if (receipt.status !== 1) throw new Error(`${what}: transaction ${hash} reverted`);
}

// ================================================================================================ token balances

/** Where a token keeps its balances: the declared slot of the mapping, and the layout of its keys. */
export interface BalanceSlot {
  slot: number;
  /** "solidity": keccak256(abi.encode(account, slot)); "vyper": keccak256(abi.encode(slot, account)). */
  layout: "solidity" | "vyper";
}

/** Highest mapping slot probed. */
export const MAX_PROBED_SLOT = 30;

/** Slots found, per provider (different chains may hold different tokens at one address), per token (lower case). */
const slotCache = new WeakMap<object, Map<string, BalanceSlot>>();

/** The storage position of `account`'s balance under `where`. */
export function balanceStorageKey(account: string, where: BalanceSlot): string {
  return where.layout === "solidity"
    ? keccak256(coder.encode(["address", "uint256"], [account, where.slot]))
    : keccak256(coder.encode(["uint256", "address"], [where.slot, account]));
}

async function setStorage(provider: ForkProvider, token: string, key: string, value: bigint): Promise<void> {
  await provider.send("hardhat_setStorageAt", [token, toQuantity(BigInt(key)), toBeHex(value, 32)]);
}

async function balanceOf(provider: ForkProvider, token: string, account: string): Promise<bigint> {
  const erc20 = new Contract(token, ERC20_ABI, provider);
  return (await erc20.getFunction("balanceOf").staticCall(account)) as bigint;
}

/**
 * Finds where `token` keeps its balances by probing: for each slot 0..MAX_PROBED_SLOT, the Solidity then the Vyper
 * key of `probeAccount`'s balance is set to a marker (`hardhat_setStorageAt`) and `balanceOf` read back; every
 * position probed gets its original value back (the token's state is left as it was). Cached per provider and token.
 * @throws Error when `balanceOf` cannot be called, or when no probed position works (a token whose balances are not
 *         a plain mapping: rebasing, proxied through shares, packed, or beyond slot MAX_PROBED_SLOT).
 */
export async function findBalanceSlot(
  provider: ForkProvider,
  token: string,
  probeAccount: string,
): Promise<BalanceSlot> {
  const cached = slotCache.get(provider)?.get(token.toLowerCase());
  if (cached !== undefined) return cached;
  const original = await tryRead(() => balanceOf(provider, token, probeAccount));
  if (original === undefined) throw new Error(`token ${token}: balanceOf(${probeAccount}) cannot be called`);
  // A value no real balance is likely to hold, and never the current one.
  let marker = 0xb01a4c_5e7_0000_0000_0000_0001n;
  if (marker === original) marker += 1n;
  for (let slot = 0; slot <= MAX_PROBED_SLOT; slot++) {
    for (const layout of ["solidity", "vyper"] as const) {
      const where: BalanceSlot = { slot, layout };
      const key = balanceStorageKey(probeAccount, where);
      const before = BigInt(await provider.getStorage(token, key));
      await setStorage(provider, token, key, marker);
      const seen = await tryRead(() => balanceOf(provider, token, probeAccount));
      await setStorage(provider, token, key, before);
      if (seen === marker) {
        let perProvider = slotCache.get(provider);
        if (perProvider === undefined) slotCache.set(provider, (perProvider = new Map()));
        perProvider.set(token.toLowerCase(), where);
        return where;
      }
    }
  }
  throw new Error(
    `token ${token}: no balance mapping found at slots 0..${MAX_PROBED_SLOT} (Solidity or Vyper layout); ` +
      "its balances are not a plain mapping (rebasing, share-based or packed), so they cannot be set by storage writes",
  );
}

/**
 * Sets `account`'s balance of `token` to `amount` by writing the token's storage (the total supply is not changed:
 * the simulation only needs the tokens to move). The balance slot is found by probing once per token (see
 * findBalanceSlot) and checked through `balanceOf` after every write.
 * @throws Error when no slot works, or when `balanceOf` does not read back `amount`.
 */
export async function setTokenBalance(
  provider: ForkProvider,
  token: string,
  account: string,
  amount: bigint,
): Promise<void> {
  const tokenAddress = getAddress(token);
  const holder = getAddress(account);
  if (amount < 0n || amount >= 1n << 256n) throw new Error(`setTokenBalance: amount ${amount} is not a uint256`);
  for (let attempt = 0; attempt < 2; attempt++) {
    const where = await findBalanceSlot(provider, tokenAddress, holder);
    await setStorage(provider, tokenAddress, balanceStorageKey(holder, where), amount);
    if ((await balanceOf(provider, tokenAddress, holder)) === amount) return;
    // A slot cached for another token at the same address (a chain reset): probe again, once.
    slotCache.get(provider)?.delete(tokenAddress.toLowerCase());
  }
  throw new Error(`token ${tokenAddress}: balanceOf(${holder}) does not read back ${amount} after the storage write`);
}

// ================================================================================================ feeds

/**
 * Points the Chainlink feed proxy `proxy` at `aggregator` as its owner does: reads `owner()` and `aggregator()`,
 * impersonates the owner (`hardhat_impersonateAccount`, topping its ETH up to 10 ETH for gas with
 * `hardhat_setBalance` when it has less), calls `proposeAggregator(aggregator)` then `confirmAggregator(aggregator)`
 * (a new phase starts), stops impersonating, and checks that `aggregator()` now returns `aggregator`.
 * @returns The proxy's owner and the aggregator it pointed at before.
 * @throws Error when the proxy has no `owner()` or `aggregator()` (not an owned Chainlink proxy), when `aggregator`
 *         has no code or other decimals than the proxy, or when the owner cannot propose or confirm.
 */
export async function repointFeed(
  provider: ForkProvider,
  proxy: string,
  aggregator: string,
): Promise<{ owner: string; previousAggregator: string }> {
  const proxyAddress = getAddress(proxy);
  const target = getAddress(aggregator);
  const feed = new Contract(proxyAddress, PROXY_ABI, provider);
  if ((await provider.getCode(proxyAddress)) === "0x") throw new Error(`feed proxy ${proxyAddress} has no code`);
  const owner = await tryRead(async () => getAddress((await feed.getFunction("owner").staticCall()) as string));
  if (owner === undefined || owner === ZeroAddress)
    throw new Error(`feed proxy ${proxyAddress} has no owner() (not an owned Chainlink aggregator proxy)`);
  const previousAggregator = await tryRead(async () =>
    getAddress((await feed.getFunction("aggregator").staticCall()) as string),
  );
  if (previousAggregator === undefined)
    throw new Error(`feed proxy ${proxyAddress} has no aggregator() (not a Chainlink aggregator proxy)`);
  if ((await provider.getCode(target)) === "0x") throw new Error(`aggregator ${target} has no code`);
  const proxyDecimals = await tryRead(async () => Number(await feed.getFunction("decimals").staticCall()));
  const replayDecimals = await tryRead(async () =>
    Number(await new Contract(target, AGGREGATOR_ABI, provider).getFunction("decimals").staticCall()),
  );
  if (replayDecimals === undefined) throw new Error(`aggregator ${target} has no decimals()`);
  if (proxyDecimals !== undefined && proxyDecimals !== replayDecimals)
    throw new Error(`aggregator ${target} has ${replayDecimals} decimals, feed proxy ${proxyAddress} ${proxyDecimals}`);

  await provider.send("hardhat_impersonateAccount", [owner]);
  try {
    const gasMoney = 10n ** 19n;
    if ((await provider.getBalance(owner)) < gasMoney)
      await provider.send("hardhat_setBalance", [owner, toQuantity(gasMoney)]);
    for (const step of ["proposeAggregator", "confirmAggregator"] as const) {
      const data = proxyInterface.encodeFunctionData(step, [target]);
      try {
        await sendFrom(provider, owner, proxyAddress, data, `${step}(${target}) on feed proxy ${proxyAddress}`);
      } catch (error) {
        throw new Error(
          `feed proxy ${proxyAddress}: its owner ${owner} cannot call ${step} (not an owned Chainlink aggregator ` +
            `proxy?): ${message(error)}`,
        );
      }
    }
  } finally {
    await provider.send("hardhat_stopImpersonatingAccount", [owner]);
  }
  const now = getAddress((await feed.getFunction("aggregator").staticCall()) as string);
  if (now !== target)
    throw new Error(`feed proxy ${proxyAddress} still points at ${now} after confirmAggregator(${target})`);
  return { owner, previousAggregator };
}

// ================================================================================================ Uniswap v3

/** The fee tiers of Uniswap v3's factory (hundredths of a basis point). */
export const UNISWAP_V3_FEE_TIERS = [100, 500, 3000, 10000] as const;

/** A Uniswap v3 pool of a pair, with its in-range liquidity. */
export interface PoolChoice {
  pool: string;
  fee: number;
  liquidity: bigint;
}

/**
 * The pool of `tokenA`/`tokenB` with the most in-range liquidity (`liquidity()`) among the fee tiers 100, 500, 3000
 * and 10000 of `factory` (on a tie, the lower fee).
 * @throws Error naming both tokens when the factory has no pool of the pair.
 */
export async function findPool(
  provider: ForkProvider,
  factory: string,
  tokenA: string,
  tokenB: string,
): Promise<PoolChoice> {
  const uniswap = new Contract(getAddress(factory), FACTORY_ABI, provider);
  let best: PoolChoice | undefined;
  for (const fee of UNISWAP_V3_FEE_TIERS) {
    const pool = getAddress((await uniswap.getFunction("getPool").staticCall(tokenA, tokenB, fee)) as string);
    if (pool === ZeroAddress) continue;
    const liquidity = (await new Contract(pool, POOL_ABI, provider).getFunction("liquidity").staticCall()) as bigint;
    if (best === undefined || liquidity > best.liquidity) best = { pool, fee, liquidity };
  }
  if (best === undefined)
    throw new Error(
      `no Uniswap v3 pool of ${tokenA} and ${tokenB} in factory ${factory} (fee tiers 100/500/3000/10000)`,
    );
  return best;
}
