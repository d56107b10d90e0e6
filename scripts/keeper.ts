// `npm run keeper -- --rpc URL [--dry-run] [--deployment DIR] [--key-env NAME] [--liquidator ADDR]
//                  [--pool SYMBOL=ADDR ...] [--interval-ms N] …`   (`--help` lists every option)
//
// The keeper bot (scripts/lib/keeper/): follows the chain behind URL and liquidates unhealthy accounts through a
// capital-free Uniswap v3 flash liquidator, pokes the circuit breaker, samples volatility and syncs the risk manager
// when due, runs the rebalancer when due. Logs are JSON lines on stdout. See scripts/lib/keeper/cli.ts.
//
// Runs under plain Node ≥ 22.18 (type stripping), no build step of its own; it needs the compiled TypeChain bindings
// (`npm run build`). The project's TypeScript imports its siblings as `./x.js` (the form tsc checks); Node would look
// for a .js file that does not exist, so this entry point first installs a resolve hook that falls back to the `.ts`
// file next to a missing `.js` one, then loads the CLI.
import { existsSync } from "node:fs";
import { registerHooks } from "node:module";
import { fileURLToPath } from "node:url";

registerHooks({
  resolve(specifier, context, nextResolve) {
    const relative = specifier.startsWith("./") || specifier.startsWith("../");
    if (relative && specifier.endsWith(".js") && context.parentURL?.startsWith("file:") === true) {
      const js = new URL(specifier, context.parentURL);
      if (!existsSync(fileURLToPath(js))) {
        const ts = new URL(`${specifier.slice(0, -3)}.ts`, context.parentURL);
        if (existsSync(fileURLToPath(ts))) return nextResolve(ts.href, context);
      }
    }
    return nextResolve(specifier, context);
  },
});

const typechain = new URL("../typechain-types/index.ts", import.meta.url);
if (!existsSync(fileURLToPath(typechain))) {
  process.stderr.write("keeper: the TypeChain bindings are missing (typechain-types/): run `npm run build` first\n");
  process.exit(1);
}

const { main } = (await import("./lib/keeper/cli.js")) as typeof import("./lib/keeper/cli.js");
process.exit(await main(process.argv.slice(2)));
