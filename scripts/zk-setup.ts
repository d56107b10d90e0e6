// `npm run zk:setup`: compile the solvency circuit, run the deterministic test-only ceremony, export the verifier and
// pin the circuit's hash (scripts/lib/zk/setup.ts). Offline. Exit 0 when done, 1 with one line when a step fails.
const entry = (await import(new URL("./lib/entry.ts", import.meta.url).href)) as typeof import("./lib/entry.js");
entry.installTsResolver();

const { runCli, UsageError } = (await import("./lib/cliArgs.js")) as typeof import("./lib/cliArgs.js");
const { runSetup } = (await import("./lib/zk/setup.js")) as typeof import("./lib/zk/setup.js");

const USAGE = [
  "usage: npm run zk:setup",
  "Compiles zk/circuits/solvency.circom (circom2), runs a deterministic TEST-ONLY Groth16 ceremony (public beacons),",
  "writes zk/keys/, zk/contracts/Groth16Verifier.sol and the pin zk/setup.json. Offline; about 2 minutes",
  "the first time (the prepared powers of tau are then cached in zk/build/), 20 s after.",
].join("\n");

const code = await runCli("zk:setup", process.argv.slice(2), {
  parse: (argv) => {
    if (argv.includes("--help") || argv.includes("-h")) return "help";
    if (argv.length > 0) throw new UsageError(`unknown argument ${argv[0]}`);
    return {};
  },
  usage: () => USAGE,
  run: async () => {
    await runSetup((line) => console.log(line));
    return 0;
  },
});
process.exit(code);
