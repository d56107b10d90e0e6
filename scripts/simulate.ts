// `npm run simulate -- [--scenario NAME | --prices ASSET=FILE.csv ...] [--accounts N] [--seed S]
//                     [--params static|adaptive|both] [--keeper-delay BLOCKS] [--keeper-outage FROM:TO]
//                     [--out DIR] [--fork URL [--block N] [--addresses FILE]]`   (`--help` explains each)
// `npm start` runs it with the defaults: the Black Thursday 2020 scenario, static and adaptive, 200 borrowers.
//
// The crash simulation (scripts/lib/sim/): replays real price paths against Bulwark on an in-process chain or a
// fork, and writes report.json and report.html. Runs under plain Node ≥ 22.18 (type stripping); it needs the
// compiled contracts and TypeChain bindings (`npm run build`, which `npm start` and `npm run simulate` run first).
const entry = (await import(new URL("./lib/entry.ts", import.meta.url).href)) as typeof import("./lib/entry.js");
entry.installTsResolver();
entry.requireTypechain("simulate");

const { main } = (await import("./lib/sim/simulateCli.js")) as typeof import("./lib/sim/simulateCli.js");
process.exit(await main(process.argv.slice(2)));
