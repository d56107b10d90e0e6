/**
 * A complete Bulwark market on test tokens (MockERC20) for a local chain, with the policies Bulwark ships with
 * (engine, breaker, triggers): priced by the settable MockPriceOracle (`deployMarket`, for unit tests that set prices
 * directly) or by the real OracleAdapter over Chainlink-like TestAggregator feeds (`deployChainlinkMarket`: the unit
 * tests, `npm run bench`, `npm run demo`). The crash simulation's market is `sim/simMarket.ts`.
 */
import type { HardhatEthers, HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { type ContractTransactionResponse, parseUnits, ZeroAddress } from "ethers";
import type {
  CircuitBreaker,
  CollateralVault,
  ICircuitBreaker,
  ILiquidationEngine,
  IOracleAdapter,
  KinkedRateModel,
  LiquidationEngine,
  MockERC20,
  MockPriceOracle,
  OracleAdapter,
  TestAggregator,
  VaultLens,
  WithdrawalQueue,
} from "../../typechain-types/index.js";
import { wad } from "./units.js";
import { deployCollateralVault, deployVaultLens } from "./vaultLibraries.js";

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
  /** Liquidation policy; DEFAULT_ENGINE_PARAMS by default. */
  engineParams?: ILiquidationEngine.ParamsStruct;
  /** Circuit-breaker policy; DEFAULT_BREAKER_PARAMS by default. */
  breakerParams?: ICircuitBreaker.ParamsStruct;
  /** Triggers of every collateral; DEFAULT_ASSET_TRIGGERS by default. */
  assetTriggers?: ICircuitBreaker.AssetParamsStruct;
  /** Triggers of the base asset; DEFAULT_BASE_TRIGGERS by default. */
  baseTriggers?: ICircuitBreaker.AssetParamsStruct;
  /**
   * Wire the circuit breaker into the vault (default). `false` leaves the vault unguarded: only for measuring what
   * the breaker costs (`npm run bench`); the contracts and queue are deployed either way.
   */
  wireBreaker?: boolean;
}

/**
 * The liquidation policy Bulwark ships with (docs/liquidations.md): restore health 1.05; close in full below 0.90;
 * half the maximum bonus just under health 1, all of it at 0.90 or after 30 minutes flagged; 10% of the bonus to
 * reserves; under a down L2 sequencer only below 0.95; positions under $100 are dust.
 */
export const DEFAULT_ENGINE_PARAMS: ILiquidationEngine.ParamsStruct = {
  targetHealth: wad("1.05"),
  fullCloseHealth: wad("0.90"),
  minBonusShare: wad("0.5"),
  healthRamp: wad("0.10"),
  protocolFeeShare: wad("0.10"),
  emergencyHealth: wad("0.95"),
  timeRamp: 1800n,
  dustValue: wad("100"),
};

/**
 * The circuit-breaker policy Bulwark ships with (docs/breakers.md): a trip holds at least an hour, a
 * guardian's a day; a queued withdrawal waits a day; liquidations wait 10 minutes after resuming; an outflow trip
 * resets below half its limit; 0.5% of supply in bad debt within a week stops borrows.
 */
export const DEFAULT_BREAKER_PARAMS: ICircuitBreaker.ParamsStruct = {
  cooldown: 3600n,
  guardianCooldown: 86_400n,
  claimDelay: 86_400n,
  liquidationGrace: 600n,
  resumeShare: wad("0.5"),
  badDebtShare: wad("0.005"),
};

/** Collateral triggers: 25% of the balance out, net, per 6 hours; a 25% fall within an hour (half of it: tighten). */
export const DEFAULT_ASSET_TRIGGERS: ICircuitBreaker.AssetParamsStruct = {
  outflowShare: wad("0.25"),
  outflowWindow: 6n * 3600n,
  maxFall: wad("0.25"),
  fallWindow: 3600n,
};

/** Base-asset (stablecoin) triggers: the same outflow limit; a 5% fall within an hour is a depeg. */
export const DEFAULT_BASE_TRIGGERS: ICircuitBreaker.AssetParamsStruct = {
  ...DEFAULT_ASSET_TRIGGERS,
  maxFall: wad("0.05"),
};

/**
 * Triggers that keep the breaker wired (every hook runs) but let the whole window-start balance out: for tests of
 * other rules that move most of a market in one block. Never a deployment default.
 */
export const PERMISSIVE_TRIGGERS: ICircuitBreaker.AssetParamsStruct = {
  ...DEFAULT_ASSET_TRIGGERS,
  outflowShare: wad("1"),
};

/** Mines the transaction `action` sends. */
export type Sender = (action: () => Promise<ContractTransactionResponse>) => Promise<unknown>;

/** How a script moves and reads prices, whatever the price source behind the vault. */
export interface PriceControl {
  /** Publishes `priceWad` (USD per whole token, 1e18 scale) for `token`. */
  set(token: string, priceWad: bigint): Promise<ContractTransactionResponse>;
  /** The price the vault sees for `token` (the oracle's low bound). */
  get(token: string): Promise<bigint>;
}

export interface MarketCore {
  usdc: MockERC20;
  collaterals: Map<string, MockERC20>;
  rateModel: KinkedRateModel;
  vault: CollateralVault;
  /** Reads the vault no longer serves itself (see VaultLens). */
  lens: VaultLens;
  engine: LiquidationEngine;
  breaker: CircuitBreaker;
  queue: WithdrawalQueue;
  owner: HardhatEthersSigner;
  prices: PriceControl;
}

/** A market priced by the settable test double: for unit tests that set prices and statuses directly. */
export interface Market extends MarketCore {
  oracle: MockPriceOracle;
}

/** A market priced by the real OracleAdapter over Chainlink-like feeds (8 decimals, one per asset). */
export interface ChainlinkMarket extends MarketCore {
  adapter: OracleAdapter;
  /** Feed of each asset, by symbol (USDC included). */
  feeds: Map<string, TestAggregator>;
  /**
   * Publishes a fresh round at the current answer on every feed, as Chainlink's heartbeat does. `send` mines each
   * transaction (a script's own timeline, say); by default each is sent and awaited.
   */
  heartbeat(send?: Sender): Promise<void>;
}

/** Feed heartbeat of the scripted Chainlink feeds (Chainlink's ETH/USD and BTC/USD on mainnet: 1 hour). */
export const FEED_HEARTBEAT = 3600;
const FEED_DECIMALS = 8;

/**
 * Deploys tokens, the kinked rate model and the vault over `oracle`, and lists every collateral. Shared by both
 * market flavours; prices are the caller's job.
 */
async function deployCore(ethers: HardhatEthers, oracle: string, options: MarketOptions, prices: PriceControl) {
  const [firstSigner] = await ethers.getSigners();
  const owner = options.owner ?? firstSigner;
  const usdc = await ethers.deployContract("MockERC20", ["USD Coin", "USDC", 6]);
  // 0% base, +4% to the 90% kink, +60% above it: Aave v3's stablecoin curve.
  const rateModel = await ethers.deployContract("KinkedRateModel", [0n, wad("0.04"), wad("0.60"), wad("0.90")]);
  const vault = await deployCollateralVault(ethers, [
    await usdc.getAddress(),
    "Bulwark USDC",
    "bwUSDC",
    oracle,
    await rateModel.getAddress(),
    options.reserveFactor ?? wad("0.10"),
    parseUnits(options.borrowCap ?? "100000000", 6),
    owner.address,
  ]);
  const lens = await deployVaultLens(ethers);
  const collaterals = new Map<string, MockERC20>();
  for (const params of options.collaterals ?? DEFAULT_COLLATERALS) {
    const token = await ethers.deployContract("MockERC20", [params.symbol, params.symbol, params.decimals]);
    await (
      await vault.connect(owner).listCollateral(await token.getAddress(), {
        borrowLtv: params.borrowLtv,
        liquidationThreshold: params.liquidationThreshold,
        liquidationBonus: params.liquidationBonus,
        supplyCap: parseUnits(params.supplyCap, params.decimals),
      })
    ).wait();
    collaterals.set(params.symbol, token);
  }
  const engine = await ethers.deployContract("LiquidationEngine", [
    await vault.getAddress(),
    options.engineParams ?? DEFAULT_ENGINE_PARAMS,
    owner.address,
  ]);
  await (await vault.connect(owner).setLiquidationEngine(await engine.getAddress())).wait();
  const breaker = await ethers.deployContract("CircuitBreaker", [
    await vault.getAddress(),
    options.breakerParams ?? DEFAULT_BREAKER_PARAMS,
    options.assetTriggers ?? DEFAULT_ASSET_TRIGGERS,
    owner.address,
  ]);
  await (
    await breaker.connect(owner).setAssetParams(await usdc.getAddress(), options.baseTriggers ?? DEFAULT_BASE_TRIGGERS)
  ).wait();
  const queue = await ethers.deployContract("WithdrawalQueue", [await vault.getAddress()]);
  if (options.wireBreaker ?? true) {
    await (await vault.connect(owner).setCircuitBreaker(await breaker.getAddress(), await queue.getAddress())).wait();
  }
  return { usdc, collaterals, rateModel, vault, lens, engine, breaker, queue, owner, prices };
}

/** Starting USD price of each asset of the market, by symbol. */
function startingPrices(options: MarketOptions): Map<string, string> {
  const prices = new Map<string, string>([["USDC", "1"]]);
  for (const params of options.collaterals ?? DEFAULT_COLLATERALS) prices.set(params.symbol, params.priceUsd);
  return prices;
}

/** Deploys a complete market priced by the settable test double, every asset priced. Used by the unit tests. */
export async function deployMarket(ethers: HardhatEthers, options: MarketOptions = {}): Promise<Market> {
  const oracle = await ethers.deployContract("MockPriceOracle");
  const prices: PriceControl = {
    set: (token, priceWad) => oracle.setPrice(token, priceWad),
    get: (token) => oracle.prices(token),
  };
  const core = await deployCore(ethers, await oracle.getAddress(), options, prices);
  const usd = startingPrices(options);
  for (const [symbol, token] of [["USDC", core.usdc] as const, ...core.collaterals]) {
    await (await oracle.setPrice(await token.getAddress(), wad(usd.get(symbol) ?? "0"))).wait();
  }
  return { ...core, oracle };
}

/**
 * The adapter configuration the scripted market gives an asset priced by `feed` starting at `startWad`: Chainlink
 * only, 1-hour heartbeat, plausible bounds at 1/1000× and 1000× the start, 2% deviation, 20% jump bound.
 */
export function feedConfig(feed: string, startWad: bigint): IOracleAdapter.AssetConfigInputStruct {
  return {
    primary: feed,
    primaryHeartbeat: FEED_HEARTBEAT,
    secondary: ZeroAddress,
    secondaryHeartbeat: 0,
    minPrice: startWad / 1000n,
    maxPrice: startWad * 1000n,
    maxDeviation: wad("0.02"),
    maxJump: wad("0.20"),
    jumpWindow: 2 * FEED_HEARTBEAT,
  };
}

/**
 * Deploys a complete market priced by the real OracleAdapter: one Chainlink-like feed per asset (8 decimals,
 * 1-hour heartbeat, 10-minute staleness grace), each asset's plausible bounds at 1/1000× and 1000× its starting
 * price, and a 20% bound on unconfirmed moves between rounds up to two hours (twice the heartbeat) apart. Used by
 * `npm start` and `npm run bench`.
 */
export async function deployChainlinkMarket(
  ethers: HardhatEthers,
  options: MarketOptions = {},
): Promise<ChainlinkMarket> {
  const [firstSigner] = await ethers.getSigners();
  const owner = options.owner ?? firstSigner;
  const adapter = await ethers.deployContract("OracleAdapter", [owner.address, ZeroAddress, 0n, 600n]);
  const feeds = new Map<string, TestAggregator>();
  const feedOf = new Map<string, TestAggregator>(); // by token address
  const toAnswer = (priceWad: bigint): bigint => priceWad / 10n ** BigInt(18 - FEED_DECIMALS);
  const prices: PriceControl = {
    set: (token, priceWad) => {
      const feed = feedOf.get(token);
      if (feed === undefined) throw new Error(`no feed for token ${token}`);
      return feed.push(toAnswer(priceWad));
    },
    get: async (token) => (await adapter.getPrice(token)).low,
  };
  const core = await deployCore(ethers, await adapter.getAddress(), options, prices);
  const usd = startingPrices(options);
  for (const [symbol, token] of [["USDC", core.usdc] as const, ...core.collaterals]) {
    const start = wad(usd.get(symbol) ?? "0");
    const feed = await ethers.deployContract("TestAggregator", [FEED_DECIMALS, `${symbol} / USD`]);
    await (await feed.push(toAnswer(start))).wait();
    await (
      await adapter.connect(owner).setAssetConfig(await token.getAddress(), feedConfig(await feed.getAddress(), start))
    ).wait();
    feeds.set(symbol, feed);
    feedOf.set(await token.getAddress(), feed);
  }
  const heartbeat = async (send: Sender = async (action) => (await action()).wait()): Promise<void> => {
    for (const feed of feeds.values()) {
      const [, answer] = await feed.latestRoundData();
      await send(() => feed.push(answer));
    }
  };
  return { ...core, adapter, feeds, heartbeat };
}

/** Returns the collateral token for `symbol`, or throws an error naming the symbols the market has. */
export function collateral(market: MarketCore, symbol: string): MockERC20 {
  const token = market.collaterals.get(symbol);
  if (token === undefined) {
    throw new Error(`unknown asset "${symbol}": this market has ${[...market.collaterals.keys()].join(", ")}`);
  }
  return token;
}
