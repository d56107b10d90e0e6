/**
 * The whole Bulwark system on a local chain (the in-process one, or `npx hardhat node`): the same modules as
 * `Bulwark.ts`, with the tokens and feeds of `LocalDependencies` (mock tokens and Chainlink-like feeds) instead of
 * address parameters. Also returns the mocks (`USDC`, `WETH`, `WBTC`, `USDCFeed`, `WETHFeed`, `WBTCFeed`).
 *
 *   npx hardhat node
 *   npx hardhat ignition deploy deploy/modules/BulwarkLocal.ts --network localhost \
 *     --parameters deploy/parameters/localhost.json
 *   npm run readback -- --network localhost
 */
import { buildSystem } from "../lib/system.js";
import LocalDependencies from "./LocalDependencies.js";

export default buildSystem({
  baseToken: (m) => m.useModule(LocalDependencies).USDC,
  baseFeed: (m) => m.useModule(LocalDependencies).USDCFeed,
  collateral: (m, symbol) => {
    const local = m.useModule(LocalDependencies);
    if (symbol === "WETH") return { token: local.WETH, feed: local.WETHFeed };
    if (symbol === "WBTC") return { token: local.WBTC, feed: local.WBTCFeed };
    throw new Error(`LocalDependencies deploys no token for collateral ${symbol}`);
  },
  results: (m) => m.useModule(LocalDependencies),
});
