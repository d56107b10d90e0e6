// `npm run prove [-- --all] [--only CONTRACT] [--timeout SECONDS] [--json FILE]`
//
// Proves Bulwark's properties in proofs/ with the Solidity compiler's model checker (SMTChecker, CHC engine), z3 as
// its solver (scripts/lib/prove/). Runs under plain Node ≥ 22.18 (type stripping); needs Debian's `z3`.
const entry = (await import(new URL("./lib/entry.ts", import.meta.url).href)) as typeof import("./lib/entry.js");
entry.installTsResolver();

const { main } = (await import("./lib/prove/proveCli.js")) as typeof import("./lib/prove/proveCli.js");
process.exit(await main(process.argv.slice(2)));
