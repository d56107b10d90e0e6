// `npm run console -- --rpc URL [options]` or `npm run console -- --demo [options]`   (`--help` lists every option)
//
// The security console and monitor (scripts/lib/console/): a live web page on 127.0.0.1 that follows a deployed
// Bulwark block by block (market, accounts, breakers, oracles, adaptive risk, timeline), alert rules from a file, and
// alerts to the page, stdout (JSON lines) and webhooks, with history in an embedded SQLite database. `--demo` starts
// an in-process chain, deploys Bulwark and replays a shipped crash in real time. See docs/console.md.
//
// Runs under plain Node ≥ 22.18 (type stripping); it needs the compiled TypeChain bindings (`npm run build`).
const entry = (await import(new URL("./lib/entry.ts", import.meta.url).href)) as typeof import("./lib/entry.js");
entry.installTsResolver();
entry.requireTypechain("console");

const { main } = (await import("./lib/console/consoleCli.js")) as typeof import("./lib/console/consoleCli.js");
process.exit(await main(process.argv.slice(2)));
