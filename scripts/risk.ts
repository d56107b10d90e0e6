// `npm run risk -- [--paths N] [--hours H] [--params MODE] [--shard I/N | --merge DIR] [--sweep NAME=FROM:TO:STEP]
//                 [--out DIR]`   (`--help` explains each; also `npm run simulate -- --monte-carlo N`)
//
// The Monte Carlo risk report (scripts/lib/risk/): synthetic paths drawn from a model fitted to the shipped crashes,
// each replayed on the real contracts against Bulwark static, adaptive and Morpho Blue; writes risk.json and risk.html.
// Runs under plain Node ≥ 22.18; needs the compiled contracts and TypeChain bindings (`npm run risk` builds them).
const entry = (await import(new URL("./lib/entry.ts", import.meta.url).href)) as typeof import("./lib/entry.js");
entry.installTsResolver();
entry.requireTypechain("risk");

const { main } = (await import("./lib/risk/riskCli.js")) as typeof import("./lib/risk/riskCli.js");
process.exit(await main(process.argv.slice(2)));
