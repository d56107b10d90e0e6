// `npm run zk:identity -- --out FILE` and `npm run zk:prove -- …` (`--help` lists every option): the private solvency
// attestation tools (scripts/lib/zk/zkCli.ts, docs/zk.md). Runs under plain Node ≥ 22.18 (type stripping).
const entry = (await import(new URL("./lib/entry.ts", import.meta.url).href)) as typeof import("./lib/entry.js");
entry.installTsResolver();
if (process.argv[2] === "prove") entry.requireTypechain("zk:prove");

const { main } = (await import("./lib/zk/zkCli.js")) as typeof import("./lib/zk/zkCli.js");
process.exit(await main(process.argv.slice(2)));
