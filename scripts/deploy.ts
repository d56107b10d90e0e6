// `npm run deploy -- --network NAME [--parameters FILE] [--local | --live] [--reset]`   (`--help` explains each)
//
// Deploys the whole Bulwark system with Hardhat Ignition and hands it to the timelock, printing a line per contract
// and the addresses at the end; see scripts/lib/deploy/deployCli.ts. Runs under plain Node ≥ 22.18 (type
// stripping); `npm run deploy` builds the contracts first.
const entry = (await import(new URL("./lib/entry.ts", import.meta.url).href)) as typeof import("./lib/entry.js");
entry.installTsResolver();

const { main } = (await import("./lib/deploy/deployCli.js")) as typeof import("./lib/deploy/deployCli.js");
process.exit(await main(process.argv.slice(2)));
