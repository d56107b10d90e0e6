// `npm run keeper -- --rpc URL [--dry-run] [--deployment DIR] [--key-env NAME] [--liquidator ADDR]
//                  [--pool SYMBOL=ADDR ...] [--interval-ms N] …`   (`--help` lists every option)
//
// The keeper bot (scripts/lib/keeper/): follows the chain behind URL and liquidates unhealthy accounts through a
// capital-free Uniswap v3 flash liquidator, pokes the circuit breaker, samples volatility and syncs the risk manager
// when due, runs the rebalancer when due. Logs are JSON lines on stdout. See scripts/lib/keeper/keeperCli.ts.
//
// Runs under plain Node ≥ 22.18 (type stripping); it needs the compiled TypeChain bindings (`npm run build`). See
// scripts/lib/entry.ts for how `.js` imports reach the `.ts` files.
const entry = (await import(new URL("./lib/entry.ts", import.meta.url).href)) as typeof import("./lib/entry.js");
entry.installTsResolver();
entry.requireTypechain("keeper");

const { main } = (await import("./lib/keeper/keeperCli.js")) as typeof import("./lib/keeper/keeperCli.js");
process.exit(await main(process.argv.slice(2)));
