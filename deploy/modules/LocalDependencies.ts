/**
 * What a local chain lacks and a live one has: the tokens and the Chainlink feeds. Deploys a mintable mock token
 * (deploy/mocks/MockERC20.sol) for the base asset and each collateral — USDC (6 decimals), WETH (18), WBTC (8) — and
 * a Chainlink-like feed (deploy/mocks/TestAggregator.sol, 8 decimals, "<SYMBOL> / USD") for each, with a first round
 * at the parameter `<SYMBOL>Price` (the answer, 8 decimals: "300000000000n" is $3,000).
 *
 * Test helpers only: anyone may mint the tokens and push the feeds. Used by `BulwarkLocal.ts` on the in-process
 * chain and on `npx hardhat node`; never on a live chain.
 */
import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import { BASE_SYMBOL } from "../../scripts/lib/deployment.js";

/** Name and decimals of each mock token, by symbol. */
const TOKENS = {
  [BASE_SYMBOL]: { name: "USD Coin", decimals: 6 },
  WETH: { name: "Wrapped Ether", decimals: 18 },
  WBTC: { name: "Wrapped BTC", decimals: 8 },
} as const;

const FEED_DECIMALS = 8;

export default buildModule("LocalDependencies", (m) => {
  const tx = { from: m.getAccount(0) };
  const token = (symbol: keyof typeof TOKENS) =>
    m.contract("MockERC20", [TOKENS[symbol].name, symbol, TOKENS[symbol].decimals], { ...tx, id: symbol });
  const feed = (symbol: keyof typeof TOKENS) => {
    const aggregator = m.contract("TestAggregator", [FEED_DECIMALS, `${symbol} / USD`], { ...tx, id: `${symbol}Feed` });
    m.call(aggregator, "push", [m.getParameter<bigint>(`${symbol}Price`)], { ...tx, id: `${symbol}Feed_push` });
    return aggregator;
  };
  return {
    USDC: token(BASE_SYMBOL),
    WETH: token("WETH"),
    WBTC: token("WBTC"),
    USDCFeed: feed(BASE_SYMBOL),
    WETHFeed: feed("WETH"),
    WBTCFeed: feed("WBTC"),
  };
});
