/**
 * What the crash simulation can run: the assets it knows how to list (with their risk parameters and the Chainlink
 * feed behaviour it models) and the scenarios shipped in scripts/scenarios/ (real historical paths; provenance in
 * scripts/scenarios/SOURCES.md).
 */
import path from "node:path";
import { fileURLToPath } from "node:url";

/** scripts/scenarios/, where the shipped paths live. */
export const SCENARIO_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "scenarios");

/** One asset the simulated market can hold. Ratios are fractions. */
export interface AssetSpec {
  symbol: string;
  decimals: number;
  /** Price used when the asset has no path (USD). */
  defaultPrice: number;
  /** Chainlink-style publishing: a new round when the price moves this much (fraction) … */
  deviation: number;
  /** … or when this many seconds passed since the last round. */
  heartbeat: number;
  /** Collateral parameters (absent for the base asset). */
  collateral?: { borrowLtv: number; liquidationThreshold: number; liquidationBonus: number };
}

/** The base asset: USDC (its feed: 0.25% deviation, 24-hour heartbeat, as Chainlink's USDC/USD on mainnet). */
export const BASE_ASSET: AssetSpec = {
  symbol: "USDC",
  decimals: 6,
  defaultPrice: 1,
  deviation: 0.0025,
  heartbeat: 86_400,
};

/**
 * Collateral the simulation can list. WETH and WBTC are always in the market (the shipped deployment's collaterals,
 * same parameters as deploy/parameters); the others join when a path names them. Feeds: 0.5% deviation and a 1-hour
 * heartbeat, as Chainlink's ETH/USD and BTC/USD on mainnet (deploy/address-book/mainnet.json).
 */
export const COLLATERAL_ASSETS: readonly AssetSpec[] = [
  {
    symbol: "WETH",
    decimals: 18,
    defaultPrice: 3000,
    deviation: 0.005,
    heartbeat: 3600,
    collateral: { borrowLtv: 0.8, liquidationThreshold: 0.85, liquidationBonus: 0.05 },
  },
  {
    symbol: "WBTC",
    decimals: 8,
    defaultPrice: 60000,
    deviation: 0.005,
    heartbeat: 3600,
    collateral: { borrowLtv: 0.73, liquidationThreshold: 0.78, liquidationBonus: 0.065 },
  },
  {
    symbol: "SOL",
    decimals: 9,
    defaultPrice: 150,
    deviation: 0.005,
    heartbeat: 3600,
    collateral: { borrowLtv: 0.65, liquidationThreshold: 0.72, liquidationBonus: 0.075 },
  },
  {
    symbol: "LUNA",
    decimals: 18,
    defaultPrice: 80,
    deviation: 0.01,
    heartbeat: 3600,
    collateral: { borrowLtv: 0.5, liquidationThreshold: 0.6, liquidationBonus: 0.1 },
  },
];

/** Collateral listed whether or not it has a path. */
export const DEFAULT_COLLATERALS = ["WETH", "WBTC"] as const;

/** Every asset symbol the simulation knows, base first. */
export const KNOWN_ASSETS: readonly AssetSpec[] = [BASE_ASSET, ...COLLATERAL_ASSETS];

/** The spec of `symbol` (case-insensitive), or undefined. */
export function assetSpec(symbol: string): AssetSpec | undefined {
  return KNOWN_ASSETS.find((asset) => asset.symbol === symbol.toUpperCase());
}

/** A shipped scenario: a price file (in scripts/scenarios/) per asset. */
export interface Scenario {
  name: string;
  description: string;
  prices: Readonly<Record<string, string>>;
}

export const SCENARIOS: readonly Scenario[] = [
  {
    name: "black-thursday-2020",
    description:
      "Black Thursday, 11-14 March 2020: ETH −52% and BTC −48% peak to trough (Binance hourly closes, USDT as USD)",
    prices: {
      WETH: "blackthursday2020_eth_usdt_1h_binance.csv",
      WBTC: "blackthursday2020_btc_usdt_1h_binance.csv",
    },
  },
  {
    name: "black-thursday-2020-10min",
    description: "Black Thursday, 12 March 2020 at 10-minute resolution: ETH −45% in a day (CoinAPI ETH/USD closes)",
    prices: { WETH: "blackthursday2020_eth_usd_10min_coinapi.csv" },
  },
  {
    name: "may-2021",
    description: "19 May 2021: ETH −37% and BTC −22% (Binance hourly closes, 18-20 May)",
    prices: { WETH: "may2021_eth_usdt_1h_binance.csv", WBTC: "may2021_btc_usdt_1h_binance.csv" },
  },
  {
    name: "may-2021-10min",
    description: "19 May 2021 at 10-minute resolution: ETH −43% in 13 hours (CoinAPI ETH/USD closes)",
    prices: { WETH: "may2021_eth_usd_10min_coinapi.csv" },
  },
  {
    name: "luna-2022",
    description:
      "Terra/LUNA, 6-14 May 2022: LUNA listed as collateral falls to zero (Binance 1-minute closes); ETH −33%, BTC −26% hourly",
    prices: {
      WETH: "luna2022_eth_usdt_1h_binance.csv",
      WBTC: "luna2022_btc_usdt_1h_binance.csv",
      LUNA: "luna2022_luna_usdt_1m_binance.csv",
    },
  },
  {
    name: "steth-2022",
    description: "June 2022 (Celsius, 3AC): ETH −50% over 9-18 June (Binance hourly closes)",
    prices: { WETH: "steth2022_eth_usdt_1h_binance.csv" },
  },
  {
    name: "aug-2024",
    description: "5 August 2024 (yen carry unwind): ETH −26%, BTC −20%, SOL −27% with SOL listed (Binance hourly)",
    prices: {
      WETH: "aug2024_eth_usdt_1h_binance.csv",
      WBTC: "aug2024_btc_usdt_1h_binance.csv",
      SOL: "aug2024_sol_usdt_1h_binance.csv",
    },
  },
];

/** The scenario `npm start` runs. */
export const DEFAULT_SCENARIO = "black-thursday-2020";

/** The scenario called `name`, or an error listing the shipped ones. */
export function scenario(name: string): Scenario {
  const found = SCENARIOS.find((s) => s.name === name);
  if (found === undefined) {
    throw new Error(`unknown scenario "${name}": shipped scenarios are ${SCENARIOS.map((s) => s.name).join(", ")}`);
  }
  return found;
}
