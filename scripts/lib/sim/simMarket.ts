/**
 * The market a simulation runs against: Bulwark's contracts deployed over a given set of tokens and Chainlink-style
 * feeds, the borrower population opened, a lender's supply, a Uniswap v3 pool per collateral, the keeper's flash
 * liquidator. The tokens, feeds and pools come from an `AssetSource`: fresh test tokens and replay feeds on the
 * in-process chain (`inProcessSource` in inProcess.ts), or the real ones of a fork (`fork.ts`).
 *
 * The deployer keeps ownership (no timelock): the simulation sets nothing after the replay starts.
 */
import type { HardhatEthers, HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { MaxUint256, ZeroAddress, parseUnits, type ContractTransactionReceipt, type Interface } from "ethers";

import type {
  CircuitBreaker,
  CollateralVault,
  IERC20Metadata,
  ILiquidationEngine,
  ITestUniswapV3Pool,
  LiquidationEngine,
  OracleAdapter,
  Rebalancer,
  RiskManager,
  SimBorrowerFactory,
  SimPoker,
  SimReader,
  SimSnapshots,
  UniswapV3Actor,
  UniswapV3FlashLiquidator,
  VaultLens,
  VolatilityOracle,
} from "../../../typechain-types/index.js";
import { deployLiquidator, setLiquidatorPools } from "../keeper/index.js";
import {
  DEFAULT_BREAKER_PARAMS,
  DEFAULT_ASSET_TRIGGERS,
  DEFAULT_BASE_TRIGGERS,
  DEFAULT_ENGINE_PARAMS,
} from "../testMarket.js";
import { deployRiskModules } from "../risk.js";
import { attachBackstop, type SimBackstop } from "./backstopSetup.js";
import { deployCollateralVault, deployVaultLens } from "../vaultLibraries.js";
import { planPopulation, type PlannedPosition } from "./population.js";
import type { AssetSpec } from "./scenarios.js";
import type { BulwarkMode } from "./types.js";
import { wad } from "../units.js";

/** Feed answers carry 8 decimals, as Chainlink's USD feeds. */
export const FEED_DECIMALS = 8;
/** Staleness grace of the oracle adapter on top of each feed's heartbeat (as the shipped deployment). */
export const STALENESS_GRACE = 600;
/** Seconds between blocks on the simulation's fixed clocks. */
export const BLOCK_SECONDS = 12;
/** The replay's first point comes this long after the last loans were opened (setup finishes well within it). */
export const OPENED_TO_REPLAY = 3600;
/** Target utilisation at the start: the lender supplies borrows / this. */
export const START_UTILISATION = 0.8;
/** The arbitrageur holds this many times the population's collateral, and the lender's supply in base. */
const ARBITRAGE_BUDGET = 10_000n;
/** Positions opened per transaction (≈ 170k gas per account: 40 take ≈ 7M). */
const OPEN_BATCH = 40;

/** The seeded population over `collaterals`: the same draw for every protocol the simulation runs. */
export function marketPopulation(
  accounts: number,
  seed: string,
  collaterals: readonly MarketAsset[],
): PlannedPosition[] {
  return planPopulation(
    accounts,
    seed,
    collaterals.map((asset) => ({
      symbol: asset.spec.symbol,
      price: Number(asset.startPriceWad) / 1e18,
      borrowLtv: asset.spec.collateral?.borrowLtv ?? 0,
    })),
  );
}

/** What a lender supplies for `borrowed` base units to be lent at the target utilisation (`START_UTILISATION`). */
export const supplyFor = (borrowed: bigint): bigint =>
  (borrowed * 1000n) / BigInt(Math.round(START_UTILISATION * 1000));

/**
 * Opens `items` in batches of `OPEN_BATCH`, one batch a block on a fixed clock (every 12 s from the next block), not
 * at the wall clock's pace, so interest from the borrows to the replay's start (`OPENED_TO_REPLAY` later) is the same
 * on every run. `open` sends one batch and returns its receipt; every `BorrowerOpened` event of `factory` in it
 * names a borrower. Returns the borrowers in order and the last batch's timestamp.
 */
export async function openOnClock<T>(
  ethers: HardhatEthers,
  items: readonly T[],
  factory: { interface: Interface },
  open: (batch: T[]) => Promise<ContractTransactionReceipt | null>,
  note: (what: string) => void,
): Promise<{ borrowers: string[]; openedAt: number }> {
  const borrowers: string[] = [];
  let openedAt = ((await ethers.provider.getBlock("latest"))?.timestamp ?? 0) + BLOCK_SECONDS;
  for (let i = 0; i < items.length; i += OPEN_BATCH) {
    if (i > 0) openedAt += BLOCK_SECONDS;
    await ethers.provider.send("evm_setNextBlockTimestamp", [openedAt]);
    const receipt = await open(items.slice(i, i + OPEN_BATCH));
    for (const log of receipt?.logs ?? []) {
      const parsed = factory.interface.parseLog(log);
      if (parsed?.name === "BorrowerOpened") borrowers.push(String(parsed.args.borrower));
    }
    note(`${borrowers.length}/${items.length} borrowers`);
  }
  return { borrowers, openedAt };
}

/** One asset as the market sees it. */
export interface MarketAsset {
  spec: AssetSpec;
  token: IERC20Metadata;
  address: string;
  decimals: number;
  /** Starting price, WAD. */
  startPriceWad: bigint;
  /** The feed the adapter reads (a proxy on a fork). */
  feed: string;
  /** Publishes a round with `answer` (8 decimals) updated at `updatedAt`; returns once sent (not mined). */
  publish(answer: bigint, updatedAt: number): Promise<string>;
  /** The asset's Uniswap v3 pool against the base asset (collaterals only; set by `attachPools`). */
  pool?: ITestUniswapV3Pool;
  baseIsToken0?: boolean;
  /** The pool's fee as a fraction (0.003 for a 0.3% pool). */
  poolFee?: number;
}

/** Where a market's tokens, feeds and pools come from. */
export interface AssetSource {
  /** Describes the chain for the report ("in-process", or the fork). */
  chain: string;
  /** Base asset first, then collaterals, each with its token and feed (already publishing its starting price). */
  assets(ethers: HardhatEthers, deployer: HardhatEthersSigner): Promise<MarketAsset[]>;
  /** Gives `to` `amount` more of `token`. */
  fund(token: MarketAsset, to: string, amount: bigint): Promise<void>;
  /** Sets `asset.pool` for every collateral: an existing pool, or a new one sized for `collateralHeld` units. */
  attachPools(
    ethers: HardhatEthers,
    deployer: HardhatEthersSigner,
    base: MarketAsset,
    collaterals: MarketAsset[],
    collateralHeld: Map<string, bigint>,
  ): Promise<void>;
}

export interface SimMarket {
  /** Timestamp of the block the last loans were opened in. */
  openedAt: number;
  base: MarketAsset;
  collaterals: MarketAsset[];
  /** Every asset by token address (lower case). */
  byAddress: Map<string, MarketAsset>;
  adapter: OracleAdapter;
  vault: CollateralVault;
  engine: LiquidationEngine;
  breaker: CircuitBreaker;
  volatility?: VolatilityOracle;
  riskManager?: RiskManager;
  lens: VaultLens;
  liquidator: UniswapV3FlashLiquidator;
  arbitrageur: UniswapV3Actor;
  /** Reads what a replay's block needs in one call (bench/contracts/sim/SimReader.sol). */
  reader: SimReader;
  /** Sends the keeper's breaker pokes of a block as one transaction (bench/contracts/sim/SimPoker.sol). */
  poker: SimPoker;
  /** Reads the keeper's account snapshots of a block in one call (bench/contracts/sim/SimSnapshots.sol). */
  snapshots: SimSnapshots;
  borrowers: string[];
  positions: PlannedPosition[];
  keeper: HardhatEthersSigner;
  deployer: HardhatEthersSigner;
  /** Dust threshold of the engine (USD WAD). */
  dustValue: bigint;
  /** The first-loss backstop and the recovery module, when asked for (`backstopShare`). */
  backstop?: SimBackstop;
}

/** Units of a token worth `usd` at `priceWad`, rounded down. */
export function unitsFor(usd: number, priceWad: bigint, decimals: number): bigint {
  const micros = BigInt(Math.floor(usd * 1e6));
  return (micros * 10n ** 18n * 10n ** BigInt(decimals)) / (priceWad * 1_000_000n);
}

const ratio = (fraction: number): bigint => wad(fraction.toFixed(6));

/** Deploys Bulwark over `source`'s assets, opens the population and readies the keeper. */
export async function buildMarket(
  ethers: HardhatEthers,
  source: AssetSource,
  options: {
    accounts: number;
    seed: string;
    params: BulwarkMode;
    progress?: (what: string) => void;
    /** The liquidation policy (default DEFAULT_ENGINE_PARAMS; the Monte Carlo's sweep sets its target health). */
    engineParams?: ILiquidationEngine.ParamsStruct;
    /** Stake a first-loss backstop with this share of the borrows, and run the recovery module (default: none). */
    backstopShare?: number;
  },
): Promise<SimMarket> {
  const [deployer, keeper] = await ethers.getSigners();
  const note = options.progress ?? (() => undefined);
  const send = async (tx: Promise<{ wait(): Promise<unknown> }>): Promise<void> => {
    await (await tx).wait();
  };

  note("tokens and feeds");
  const [base, ...collaterals] = await source.assets(ethers, deployer);
  const adapter = await ethers.deployContract("OracleAdapter", [deployer.address, ZeroAddress, 0n, STALENESS_GRACE]);
  for (const asset of [base, ...collaterals]) {
    await send(
      adapter.setAssetConfig(asset.address, {
        primary: asset.feed,
        primaryHeartbeat: asset.spec.heartbeat,
        secondary: ZeroAddress,
        secondaryHeartbeat: 0,
        // Plausible bounds as the shipped parameters: 1/1000× and 1000× the starting price.
        minPrice: asset.startPriceWad / 1000n,
        maxPrice: asset.startPriceWad * 1000n,
        maxDeviation: wad("0.02"),
        maxJump: wad("0.20"),
        jumpWindow: 2 * asset.spec.heartbeat,
      }),
    );
  }

  note("Bulwark contracts");
  const rateModel = await ethers.deployContract("KinkedRateModel", [0n, wad("0.04"), wad("0.60"), wad("0.90")]);
  const vault = await deployCollateralVault(ethers, [
    base.address,
    "Bulwark USDC",
    "bwUSDC",
    await adapter.getAddress(),
    await rateModel.getAddress(),
    wad("0.10"),
    MaxUint256 / 2n,
    deployer.address,
  ]);
  for (const asset of collaterals) {
    const c = asset.spec.collateral;
    if (c === undefined) throw new Error(`${asset.spec.symbol} cannot be collateral`);
    await send(
      vault.listCollateral(asset.address, {
        borrowLtv: ratio(c.borrowLtv),
        liquidationThreshold: ratio(c.liquidationThreshold),
        liquidationBonus: ratio(c.liquidationBonus),
        supplyCap: 2n ** 127n,
      }),
    );
  }
  const engine = await ethers.deployContract("LiquidationEngine", [
    await vault.getAddress(),
    options.engineParams ?? DEFAULT_ENGINE_PARAMS,
    deployer.address,
  ]);
  await send(vault.setLiquidationEngine(await engine.getAddress()));
  const breaker = await ethers.deployContract("CircuitBreaker", [
    await vault.getAddress(),
    DEFAULT_BREAKER_PARAMS,
    DEFAULT_ASSET_TRIGGERS,
    deployer.address,
  ]);
  await send(breaker.setAssetParams(base.address, DEFAULT_BASE_TRIGGERS));
  const queue = await ethers.deployContract("WithdrawalQueue", [await vault.getAddress()]);
  let volatility: VolatilityOracle | undefined;
  let riskManager: RiskManager | undefined;
  let rebalancer: Rebalancer | undefined;
  if (options.params === "adaptive") {
    const tokens = new Map(collaterals.map((asset) => [asset.spec.symbol, asset.token] as const));
    ({ volatility, riskManager, rebalancer } = await deployRiskModules(ethers, vault, { collaterals: tokens }));
  }

  note(`${options.accounts} borrowers`);
  const positions = marketPopulation(options.accounts, options.seed, collaterals);
  const held = new Map<string, bigint>(collaterals.map((asset) => [asset.address, 0n]));
  const orders: SimBorrowerFactory.PositionStruct[] = positions.map((position) => {
    const assets: string[] = [];
    const amounts: bigint[] = [];
    for (const asset of collaterals) {
      const usd = position.collateralUsd[asset.spec.symbol];
      if (usd === undefined) continue;
      const amount = unitsFor(usd, asset.startPriceWad, asset.decimals);
      assets.push(asset.address);
      amounts.push(amount);
      held.set(asset.address, (held.get(asset.address) ?? 0n) + amount);
    }
    return { assets, amounts, borrow: unitsFor(position.borrowUsd, base.startPriceWad, base.decimals) };
  });
  const totalBorrow = orders.reduce((sum, order) => sum + BigInt(order.borrow), 0n);
  // The lender: supplies enough for the population at the target utilisation.
  const supply = supplyFor(totalBorrow);
  await source.fund(base, deployer.address, supply);
  await send(base.token.connect(deployer).approve(await vault.getAddress(), supply));
  await send(vault.connect(deployer).deposit(supply, deployer.address));
  const factory = await ethers.deployContract("SimBorrowerFactory");
  for (const asset of collaterals) await source.fund(asset, await factory.getAddress(), held.get(asset.address) ?? 0n);
  const vaultAddress = await vault.getAddress();
  // The replay's own helpers, from an account nothing else uses and before the loans open, so that no other contract's
  // address and no block after the opening (the interest to the replay's start) moves because of them.
  const helperDeployer = (await ethers.getSigners()).at(-1) ?? deployer;
  const reader = await ethers.deployContract("SimReader", [], helperDeployer);
  const poker = await ethers.deployContract("SimPoker", [], helperDeployer);
  const snapshots = await ethers.deployContract("SimSnapshots", [], helperDeployer);
  const { borrowers, openedAt } = await openOnClock(
    ethers,
    orders,
    factory,
    async (batch) => (await factory.openMany(vaultAddress, batch, deployer.address)).wait(),
    note,
  );
  // The breaker is wired once the population is in: opening a thousand positions in a few blocks is exactly the
  // outflow it exists to stop.
  await send(vault.setCircuitBreaker(await breaker.getAddress(), await queue.getAddress()));

  note("pools and keeper");
  const lens = await deployVaultLens(ethers);
  await source.attachPools(ethers, deployer, base, collaterals, held);
  const liquidator = await deployLiquidator(keeper, { vault, lens, engine });
  const pools: Record<string, string> = {};
  for (const asset of collaterals) if (asset.pool !== undefined) pools[asset.address] = await asset.pool.getAddress();
  await setLiquidatorPools(liquidator, pools);
  const arbitrageur = await deployArbitrageur(
    ethers,
    source,
    base,
    collaterals,
    (asset) => held.get(asset.address) ?? 0n,
    supply,
  );
  const byAddress = new Map([base, ...collaterals].map((asset) => [asset.address.toLowerCase(), asset] as const));
  let backstop: SimBackstop | undefined;
  if (options.backstopShare !== undefined) {
    note("backstop and recovery module");
    const staker = (await ethers.getSigners()).at(-2) ?? deployer;
    backstop = await attachBackstop(ethers, {
      vault,
      base,
      collaterals,
      deployer,
      staker,
      share: options.backstopShare,
      rebalancer,
      fund: (asset, to, amount) => source.fund(asset, to, amount),
    });
  }
  return {
    openedAt,
    base,
    collaterals,
    byAddress,
    adapter,
    vault,
    engine,
    breaker,
    volatility,
    riskManager,
    lens,
    liquidator,
    arbitrageur,
    reader,
    poker,
    snapshots,
    borrowers,
    positions,
    keeper,
    deployer,
    dustValue: (await engine.params()).dustValue,
    backstop,
  };
}

/**
 * The arbitrageur every simulated market shares the design of: a `UniswapV3Actor` with deep enough pockets to move any
 * pool anywhere the path goes (its swaps stop at the path price): `ARBITRAGE_BUDGET` times what the population holds
 * of each collateral (at least one unit's worth, so a collateral nobody holds can still be arbitraged) and times the
 * lenders' supply of the base asset.
 */
export async function deployArbitrageur(
  ethers: HardhatEthers,
  source: AssetSource,
  base: MarketAsset,
  collaterals: readonly MarketAsset[],
  heldOf: (asset: MarketAsset) => bigint,
  supplied: bigint,
): Promise<UniswapV3Actor> {
  const arbitrageur = await ethers.deployContract("UniswapV3Actor");
  const address = await arbitrageur.getAddress();
  for (const asset of collaterals) {
    const held = heldOf(asset);
    await source.fund(asset, address, (held > 0n ? held : 1n) * ARBITRAGE_BUDGET);
  }
  await source.fund(base, address, supplied * ARBITRAGE_BUDGET);
  return arbitrageur;
}

/** Helper for sources: parses a float USD price into WAD. */
export const priceWadOf = (usd: number): bigint => parseUnits(usd.toFixed(8), 18);
