// `npm run fuzz -- [--runs N] [--depth D] [--seed S] [--match TEXT] [--json]`   (`--help` explains each)
//
// Runs the Solidity fuzz and invariant suites (the same code CI runs) with a bigger budget, prints a line per suite
// as it finishes and a table at the end (or JSON with --json), and turns every failure into a replayable Solidity test
// under test/regressions/ (seed, budget and call sequence recorded in its header). See scripts/lib/fuzz/fuzzCli.ts.
// Runs under plain Node ≥ 22.18 (type stripping); `npm run fuzz` compiles the suites first.
const entry = (await import(new URL("./lib/entry.ts", import.meta.url).href)) as typeof import("./lib/entry.js");
entry.installTsResolver();

const { main } = (await import("./lib/fuzz/fuzzCli.js")) as typeof import("./lib/fuzz/fuzzCli.js");
process.exit(await main(process.argv.slice(2)));
