/**
 * The Morpho Blue side of the crash simulation's comparison (issue 9): the same tokens, feeds, pools and borrower
 * population as Bulwark's market (`buildMarket` in simMarket.ts), opened on the real Morpho Blue instead. One Morpho
 * market per collateral (Morpho markets are isolated): oracle `ChainlinkMorphoOracle` over the same feeds, IRM
 * `KinkedIrm` over Bulwark's curve, LLTV = the collateral's liquidation threshold, fee = Bulwark's reserve factor.
 * Morpho has no breakers and a fixed liquidation incentive per LLTV.
 *
 * Population: `marketPopulation`, the draw `buildMarket` makes, so each account is Bulwark's account. Its holding
 * of each collateral is a position in that collateral's market, with the same units; its borrow (the same base units
 * as on Bulwark) is split across its markets in proportion to holding value × borrow LTV, so every position uses the
 * same share of its borrow limit as the Bulwark account does. Σ borrows equals Bulwark's total exactly.
 */
import type { HardhatEthers, HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";

import type {
  MorphoFlashLiquidator,
  MorphoLens,
  Morpho,
  SimMorphoBorrowerFactory,
  UniswapV3Actor,
} from "../../../typechain-types/index.js";
import { createMorphoMarket, deployMorpho, morphoLiquidationIncentive, type MorphoMarketParams } from "../morpho.js";
import {
  deployArbitrageur,
  marketPopulation,
  openOnClock,
  supplyFor,
  unitsFor,
  type AssetSource,
  type MarketAsset,
} from "./simMarket.js";
import type { PlannedPosition } from "./population.js";
import { wad } from "../units.js";

/** Bulwark's rate curve (scripts/lib/sim/simMarket.ts, buildMarket): 0% base, +4% to the 90% kink, +60% above it. */
const RATE_CURVE = ["0", "0.04", "0.60", "0.90"] as const;
/** Bulwark's reserve factor, used as every market's fee. */
const FEE = wad("0.10");
/** Weights of the borrow split are holding USD × borrow LTV in these units (micro-dollars). */
const WEIGHT_SCALE = 1e6;

/** One Morpho market of the simulation: one collateral against the base asset. */
export interface SimMorphoMarketEntry {
  /** The collateral. */
  asset: MarketAsset;
  params: MorphoMarketParams;
  /** Morpho's market id. */
  id: string;
  /** Liquidation LTV (WAD): the collateral's liquidation threshold. */
  lltv: bigint;
  /** Morpho's liquidation incentive factor for `lltv` (WAD, ≥ 1e18). */
  lif: bigint;
}

/** One account as opened: per market (in `markets` order), collateral units posted and base units borrowed. */
export interface MorphoAccountPlan {
  collateral: bigint[];
  borrows: bigint[];
}

export interface SimMorphoMarket {
  morpho: Morpho;
  /** One per collateral, in `collaterals` order. */
  markets: SimMorphoMarketEntry[];
  /** Borrower accounts (clones), in population order; each holds a position in every market it has collateral in. */
  borrowers: string[];
  /** The population, as planPopulation drew it (the same as Bulwark's for the same seed and assets). */
  positions: PlannedPosition[];
  /** What each borrower opened, in `borrowers` order. */
  accounts: MorphoAccountPlan[];
  lens: MorphoLens;
  /** The keeper's liquidator (owned by `keeper`). */
  liquidator: MorphoFlashLiquidator;
  arbitrageur: UniswapV3Actor;
  keeper: HardhatEthersSigner;
  /** Morpho's owner and every market's fee recipient. */
  deployer: HardhatEthersSigner;
  /** The lender: supplies every market (apart from the fee recipient, so its shares measure lenders' loss). */
  lender: HardhatEthersSigner;
  /** Timestamp of the block that opened the last loans (the replay starts `OPENED_TO_REPLAY` after it). */
  openedAt: number;
  base: MarketAsset;
  collaterals: MarketAsset[];
  /** Every asset by token address (lower case). */
  byAddress: Map<string, MarketAsset>;
}

/**
 * Splits `total` base units over markets in proportion to `weights`, rounding down except the last non-zero weight,
 * which takes the remainder: the parts always sum to `total`.
 */
export function splitBorrow(total: bigint, weights: readonly bigint[]): bigint[] {
  const sum = weights.reduce((a, b) => a + b, 0n);
  if (sum === 0n) return weights.map(() => 0n);
  const parts = weights.map((w) => (total * w) / sum);
  let last = -1;
  weights.forEach((w, i) => {
    if (w > 0n) last = i;
  });
  parts[last] += total - parts.reduce((a, b) => a + b, 0n);
  return parts;
}

/**
 * The Morpho plan of each planned account over `collaterals` (in order): the same collateral units as buildMarket
 * posts, and its borrow (`unitsFor(borrowUsd)` base units, as buildMarket) split by holding value × borrow LTV.
 */
export function planMorphoAccounts(
  positions: readonly PlannedPosition[],
  base: MarketAsset,
  collaterals: readonly MarketAsset[],
): MorphoAccountPlan[] {
  return positions.map((position) => {
    const collateral = collaterals.map((asset) => {
      const usd = position.collateralUsd[asset.spec.symbol];
      return usd === undefined ? 0n : unitsFor(usd, asset.startPriceWad, asset.decimals);
    });
    const weights = collaterals.map((asset, i) => {
      const usd = position.collateralUsd[asset.spec.symbol];
      if (usd === undefined || collateral[i] === 0n) return 0n;
      return BigInt(Math.round(usd * (asset.spec.collateral?.borrowLtv ?? 0) * WEIGHT_SCALE));
    });
    const borrows = splitBorrow(unitsFor(position.borrowUsd, base.startPriceWad, base.decimals), weights);
    return { collateral, borrows };
  });
}

/**
 * Deploys Morpho Blue over `source`'s assets (or over `options.assets`, already deployed with their pools, to share
 * them with a Bulwark market on the same chain), opens the population and readies the keeper's liquidator, the
 * arbitrageur and the lens.
 */
export async function buildMorphoMarket(
  ethers: HardhatEthers,
  source: AssetSource,
  options: { accounts: number; seed: string; progress?: (what: string) => void; assets?: MarketAsset[] },
): Promise<SimMorphoMarket> {
  const [deployer, keeper, lender] = await ethers.getSigners();
  const note = options.progress ?? (() => undefined);
  const send = async (tx: Promise<{ wait(): Promise<unknown> }>): Promise<void> => {
    await (await tx).wait();
  };

  note("tokens and feeds");
  const shared = options.assets !== undefined;
  const [base, ...collaterals] = options.assets ?? (await source.assets(ethers, deployer));
  if (base === undefined || collaterals.length === 0) throw new Error("a Morpho market needs a base and a collateral");

  note("Morpho Blue");
  const morpho = await deployMorpho(ethers, deployer);
  const rateModel = await ethers.deployContract(
    "KinkedRateModel",
    RATE_CURVE.map((x) => wad(x)),
  );
  const irm = await ethers.deployContract("KinkedIrm", [await rateModel.getAddress()]);
  const markets: SimMorphoMarketEntry[] = [];
  for (const asset of collaterals) {
    const c = asset.spec.collateral;
    if (c === undefined) throw new Error(`${asset.spec.symbol} cannot be collateral`);
    const oracle = await ethers.deployContract("ChainlinkMorphoOracle", [
      asset.feed,
      asset.decimals,
      base.feed,
      base.decimals,
    ]);
    const lltv = wad(c.liquidationThreshold.toFixed(6));
    const { marketParams, id } = await createMorphoMarket(ethers, morpho, deployer, {
      loanToken: base.address,
      collateralToken: asset.address,
      oracle,
      irm,
      lltv,
      fee: FEE,
    });
    markets.push({ asset, params: marketParams, id, lltv, lif: morphoLiquidationIncentive(lltv) });
  }

  note(`${options.accounts} borrowers`);
  const positions = marketPopulation(options.accounts, options.seed, collaterals);
  const accounts = planMorphoAccounts(positions, base, collaterals);
  const held = collaterals.map((_, j) => accounts.reduce((sum, a) => sum + a.collateral[j], 0n));
  const borrowed = collaterals.map((_, j) => accounts.reduce((sum, a) => sum + a.borrows[j], 0n));
  // The lender: supplies each market enough for its borrows at the target utilisation (as buildMarket).
  const supplies = borrowed.map(supplyFor);
  const totalSupply = supplies.reduce((a, b) => a + b, 0n);
  await source.fund(base, lender.address, totalSupply);
  await send(base.token.connect(lender).approve(await morpho.getAddress(), totalSupply));
  for (const [j, market] of markets.entries()) {
    if (supplies[j] === 0n) continue;
    await send(morpho.connect(lender).supply(market.params, supplies[j], 0n, lender.address, "0x"));
  }
  const factory = await ethers.deployContract("SimMorphoBorrowerFactory");
  const factoryAddress = await factory.getAddress();
  for (const [j, asset] of collaterals.entries()) await source.fund(asset, factoryAddress, held[j]);
  const params = markets.map((m) => m.params);
  const morphoAddress = await morpho.getAddress();
  // The same fixed opening clock as buildMarket's: interest to the replay's start repeats.
  const { borrowers, openedAt } = await openOnClock(
    ethers,
    accounts,
    factory,
    async (batch: SimMorphoBorrowerFactory.AccountStruct[]) =>
      (await factory.openMany(morphoAddress, params, batch, deployer.address)).wait(),
    note,
  );

  note("pools and keeper");
  if (!shared || collaterals.some((asset) => asset.pool === undefined)) {
    await source.attachPools(
      ethers,
      deployer,
      base,
      collaterals,
      new Map(collaterals.map((asset, j) => [asset.address, held[j]] as const)),
    );
  }
  const liquidator = await ethers.deployContract("MorphoFlashLiquidator", [await morpho.getAddress(), keeper.address]);
  const arbitrageur = await deployArbitrageur(
    ethers,
    source,
    base,
    collaterals,
    (asset) => held[collaterals.indexOf(asset)],
    totalSupply,
  );
  const lens = await ethers.deployContract("MorphoLens", [await morpho.getAddress()]);
  const byAddress = new Map([base, ...collaterals].map((asset) => [asset.address.toLowerCase(), asset] as const));
  return {
    morpho,
    markets,
    borrowers,
    positions,
    accounts,
    lens,
    liquidator,
    arbitrageur,
    keeper,
    deployer,
    lender,
    openedAt,
    base,
    collaterals,
    byAddress,
  };
}
