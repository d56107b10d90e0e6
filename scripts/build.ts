/**
 * `npm run build`: compiles the project, printing progress while solc works.
 *
 * Two scopes:
 * - `--contracts`: the shipped contracts and what the simulation, demo, bench and read-back deploy (test doubles,
 *   bench helpers, Morpho Blue, OpenZeppelin's timelock), with their TypeChain bindings: what `npm start`,
 *   `npm run simulate`, `demo`, `bench`, `sizes`, `deploy`, `readback` and `keeper` need. About 40 s on a fresh
 *   clone (2 cores), a few seconds when nothing changed.
 * - everything (the default): the above and every Solidity test and invariant suite, for `npm test` and `npm run
 *   fuzz`. About 1.5 minutes on a fresh clone.
 *
 * We compile with the WebAssembly solc from the `solc` npm package (no native compiler can be downloaded on our
 * machines). scripts/solc/soljson-heap.cjs passes its input through the heap, and one job holding every contract and
 * test compiles; should one still run out of memory (HHE908), we fall back to groups. Hardhat caches every job's
 * output, so compiling in groups — shipped contracts, test doubles and bench helpers, npm files, then the Solidity
 * tests a few at a time — leaves a complete cache, after which `hardhat test` and every script find nothing left to
 * compile.
 *
 * Output: one line when a step starts, one every PROGRESS_SECONDS while solc runs, one when it ends. Compiler
 * warnings about our own files are always shown (there should be none); those about npm packages only without
 * `--quiet`.
 *
 * Usage: node scripts/build.ts [--contracts] [--quiet] [--coverage] [--groups]
 * (`--groups` skips the first, single-job attempt: after a change to a contract most tests depend on, that job can run
 * for many minutes on 2 cores without running out of memory, where the groups take about four.)
 */
import { spawn } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import path from "node:path";

// Plain Node runs this file (type stripping, no resolver): load the sibling module by its .ts URL.
const { diagnostics } = (await import(
  new URL("./lib/buildOutput.ts", import.meta.url).href
)) as typeof import("./lib/buildOutput.js");

const USAGE = [
  "usage: npm run build -- [--contracts] [--quiet] [--coverage] [--groups]",
  "Compiles the contracts and every Solidity test (--contracts: the contracts only), printing progress while solc runs.",
  "  --contracts  the shipped, simulation and bench contracts only, not the Solidity tests",
  "  --quiet      hide the compiler's notes about npm packages (notes about our files always show)",
  "  --coverage   the instrumented build of npm run coverage",
  "  --groups     compile in several smaller jobs from the start (the fallback when solc runs out of memory)",
].join("\n");
const FLAGS = new Set(["--contracts", "--quiet", "--coverage", "--groups"]);
if (process.argv.includes("--help") || process.argv.includes("-h")) {
  console.log(USAGE);
  process.exit(0);
}
const unknown = process.argv.slice(2).filter((arg) => !FLAGS.has(arg));
if (unknown.length > 0) {
  console.error(`build: unknown option ${unknown[0]} (npm run build -- --help lists the options)`);
  process.exit(2);
}
const quiet = process.argv.includes("--quiet");
const contractsOnly = process.argv.includes("--contracts");
/** `--coverage` builds the instrumented profile `hardhat test --coverage` uses (same memory limit, same remedy). */
const coverage = process.argv.includes("--coverage");
const global = coverage ? ["--coverage"] : [];
/** Solidity test files per job: each brings its whole dependency tree along. */
const TESTS_PER_JOB = 3;
/** Seconds between two progress lines while solc runs. */
const PROGRESS_SECONDS = 5;

function solidityFiles(dir: string, predicate: (file: string) => boolean = () => true): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) out.push(...solidityFiles(full, predicate));
    else if (entry.endsWith(".sol") && predicate(full)) out.push(full);
  }
  return out;
}

/** Runs one `hardhat build`; resolves with whether solc ran out of memory (any other failure ends the script). */
async function hardhatBuild(label: string, args: string[]): Promise<"ok" | "out-of-memory"> {
  const started = Date.now();
  const seconds = (): number => Math.round((Date.now() - started) / 1000);
  console.log(`build: ${label}`);
  const timer = setInterval(() => console.log(`build:   compiling… ${seconds()} s`), PROGRESS_SECONDS * 1000);
  const child = spawn("npx", ["hardhat", ...global, "build", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const status = await new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  clearInterval(timer);
  if (status !== 0 && `${stdout}${stderr}`.includes("HHE908")) return "out-of-memory";
  const notes = diagnostics(`${stdout}\n${stderr}`);
  for (const note of notes) if (note.ours || !quiet || status !== 0) console.log(note.text);
  if (status !== 0) {
    if (notes.length === 0) process.stderr.write(stderr);
    console.error(`build: failed while compiling ${label} (exit ${status ?? "signal"})`);
    process.exit(status ?? 1);
  }
  const compiled = stdout.match(/^Compiled \d+ Solidity files? .*$/gm) ?? [];
  const what =
    compiled.length > 0 ? compiled.map((line) => line.replace(/^Compiled/, "compiled")).join("; ") : "up to date";
  console.log(`build:   ${what} (${seconds()} s)`);
  return "ok";
}

/** Builds `files` in one job, or, if solc runs out of memory, in halves, recursively. */
async function buildGroup(flag: string, files: string[]): Promise<void> {
  const label = files.length > 4 ? `${files.length} files` : files.map((f) => path.basename(f)).join(", ");
  if ((await hardhatBuild(label, [flag, ...files])) === "ok") return;
  if (files.length === 1) {
    console.error(`build: solc runs out of memory on ${files[0]} alone`);
    process.exit(1);
  }
  console.log("build: too big for one job, splitting");
  const half = Math.ceil(files.length / 2);
  await buildGroup(flag, files.slice(0, half));
  await buildGroup(flag, files.slice(half));
}

async function main(): Promise<void> {
  const production = [...solidityFiles("contracts"), ...solidityFiles(path.join("deploy", "mocks"))];
  const doubles = path.join("test", "doubles");
  const helpers = [...solidityFiles(doubles), ...solidityFiles(path.join("bench", "contracts"))];
  const scope = contractsOnly
    ? { label: "the contracts (shipped, simulation and bench; not the Solidity tests)", args: ["--no-tests"] }
    : { label: "the contracts and every Solidity test", args: [] };
  // Usually the cache is complete (or one job suffices) and a plain build is all it takes; only when solc runs out
  // of memory do we split.
  if (!process.argv.includes("--groups") && (await hardhatBuild(scope.label, scope.args)) === "ok") {
    return;
  }
  console.log("build: solc ran out of memory on one job; compiling in groups");
  await buildGroup("--no-tests", production);
  await buildGroup("--no-tests", helpers);
  if ((await hardhatBuild("npm files (Morpho Blue, OpenZeppelin's TimelockController)", ["--no-tests"])) !== "ok") {
    process.exit(1);
  }
  if (!contractsOnly) {
    // Hardhat treats every .sol file under test/ as a test root (handlers and specs included), except test/doubles,
    // which hardhat.config.ts lists as a source folder. Under coverage only test/fuzz is (hardhat.config.ts,
    // BULWARK_COVERAGE): instrumented, BreakerInvariants.t.sol alone is more than solc can hold; the invariant suites
    // run in `npm test` and `npm run fuzz`.
    const tests = solidityFiles(coverage ? path.join("test", "fuzz") : "test", (file) => !file.startsWith(doubles));
    for (let i = 0; i < tests.length; i += TESTS_PER_JOB) {
      await buildGroup("--no-contracts", tests.slice(i, i + TESTS_PER_JOB));
    }
  }
  // Everything is cached now: this final pass compiles nothing, and fails loudly if anything was missed.
  if ((await hardhatBuild("check", scope.args)) !== "ok") process.exit(1);
}

await main();
