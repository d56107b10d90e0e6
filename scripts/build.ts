/**
 * `npm run build`: compiles the project in several smaller solc jobs instead of one.
 *
 * We compile with the WebAssembly solc from the `solc` npm package (no native compiler can be downloaded on our
 * machines), and a single job holding every contract and test now exceeds what that build can handle: a fresh
 * `hardhat build` dies with "RuntimeError: memory access out of bounds" (HHE908). Hardhat caches every job's output,
 * so compiling in groups — production contracts, test helpers, npm files, then the Solidity tests a few at a time —
 * leaves a complete cache, after which `hardhat test` and every script find nothing left to compile.
 *
 * Usage: node scripts/build.ts [--quiet]
 */
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import path from "node:path";

const quiet = process.argv.includes("--quiet");
/** Solidity test files per job: each brings its whole dependency tree along. */
const TESTS_PER_JOB = 3;

function solidityFiles(dir: string, predicate: (file: string) => boolean = () => true): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) out.push(...solidityFiles(full, predicate));
    else if (entry.endsWith(".sol") && predicate(full)) out.push(full);
  }
  return out;
}

function hardhatBuild(label: string, args: string[]): void {
  if (!quiet) console.log(`build: ${label}`);
  const result = spawnSync("npx", ["hardhat", "build", ...(quiet ? ["--quiet"] : []), ...args], {
    stdio: quiet ? ["ignore", "ignore", "inherit"] : "inherit",
  });
  if (result.status !== 0) {
    console.error(`build: failed while compiling ${label} (exit ${result.status ?? result.signal})`);
    process.exit(result.status ?? 1);
  }
}

// Usually the cache is complete (or one job suffices) and a plain build is all it takes; only when solc runs out of
// memory do we split.
if (!quiet) console.log("build: everything in one job");
const whole = spawnSync("npx", ["hardhat", "build", "--quiet"], { stdio: ["ignore", "ignore", "pipe"] });
if (whole.status === 0) process.exit(0);
if (!String(whole.stderr).includes("HHE908")) {
  process.stderr.write(whole.stderr);
  process.exit(whole.status ?? 1);
}
if (!quiet) console.log("build: solc ran out of memory on one job; compiling in groups");

const production = solidityFiles("contracts", (file) => !file.startsWith(path.join("contracts", "test")));
const helpers = solidityFiles(path.join("contracts", "test"));
// Hardhat treats every .sol file under test/ as a test root (handlers and specs included).
const tests = solidityFiles("test");

hardhatBuild(`${production.length} contracts`, ["--no-tests", ...production]);
hardhatBuild(`${helpers.length} test helper contracts`, ["--no-tests", ...helpers]);
hardhatBuild("npm files (OpenZeppelin's TimelockController)", ["--no-tests"]);
for (let i = 0; i < tests.length; i += TESTS_PER_JOB) {
  const chunk = tests.slice(i, i + TESTS_PER_JOB);
  hardhatBuild(chunk.map((file) => path.basename(file)).join(", "), ["--no-contracts", ...chunk]);
}
// Everything is cached now: this final pass compiles nothing, and fails loudly if anything was missed.
hardhatBuild("check", []);
