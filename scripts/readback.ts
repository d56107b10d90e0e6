// `npm run readback -- --network NAME [--json]`   (`--help` explains each)
//
// Reads a deployed Bulwark system back from the chain and compares it with the parameter file it was deployed from;
// prints expected against actual in units and exits with status 1 on any mismatch. See
// scripts/lib/deploy/readbackCli.ts (inputs and environment) and scripts/lib/deploymentReadback.ts (what it checks).
// Runs under plain Node ≥ 22.18 (type stripping); `npm run readback` builds the contracts first.
const entry = (await import(new URL("./lib/entry.ts", import.meta.url).href)) as typeof import("./lib/entry.js");
entry.installTsResolver();
entry.requireTypechain("readback");

const { main } = (await import("./lib/deploy/readbackCli.js")) as typeof import("./lib/deploy/readbackCli.js");
process.exit(await main(process.argv.slice(2)));
