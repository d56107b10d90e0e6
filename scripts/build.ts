/**
 * `npm run build`: compiles the project in several smaller solc jobs instead of one.
 *
 * We compile with the WebAssembly solc from the `solc` npm package (no native compiler can be downloaded on our
 * machines). Its input used to go through the WebAssembly stack, and a job past about 1.27 MB died at once with
 * "RuntimeError: memory access out of bounds" (HHE908); scripts/solc/soljson-heap.cjs now passes it through the heap,
 * and one job holding every contract and test compiles. Should one still run out of memory, we fall back to groups. Hardhat caches every job's output,
 * so compiling in groups — shipped contracts, test doubles and bench helpers, npm files, then the Solidity tests a few
 * at a time — leaves a complete cache, after which `hardhat test` and every script find nothing left to compile.
 *
 * Usage: node scripts/build.ts [--quiet] [--coverage] [--groups]
 * (`--groups` skips the first, single-job attempt: after a change to a contract most tests depend on, that job can run
 * for many minutes on 2 cores without running out of memory, where the groups take about four.)
 */
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import path from "node:path";

const quiet = process.argv.includes("--quiet");
/** `--coverage` builds the instrumented profile `hardhat test --coverage` uses (same memory limit, same remedy). */
const coverage = process.argv.includes("--coverage");
const global = coverage ? ["--coverage"] : [];
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

/** Runs one `hardhat build`; returns whether solc ran out of memory (any other failure ends the script). */
function hardhatBuild(label: string, args: string[]): "ok" | "out-of-memory" {
  if (!quiet) console.log(`build: ${label}`);
  const result = spawnSync("npx", ["hardhat", ...global, "build", "--quiet", ...args], {
    stdio: ["ignore", quiet ? "ignore" : "inherit", "pipe"],
  });
  if (result.status === 0) return "ok";
  if (String(result.stderr).includes("HHE908")) return "out-of-memory";
  process.stderr.write(result.stderr);
  console.error(`build: failed while compiling ${label} (exit ${result.status ?? result.signal})`);
  process.exit(result.status ?? 1);
}

/** Builds `files` in one job, or, if solc runs out of memory, in halves, recursively. */
function buildGroup(flag: string, files: string[]): void {
  const label = files.length > 4 ? `${files.length} files` : files.map((f) => path.basename(f)).join(", ");
  if (hardhatBuild(label, [flag, ...files]) === "ok") return;
  if (files.length === 1) {
    console.error(`build: solc runs out of memory on ${files[0]} alone`);
    process.exit(1);
  }
  if (!quiet) console.log("build: too big for one job, splitting");
  const half = Math.ceil(files.length / 2);
  buildGroup(flag, files.slice(0, half));
  buildGroup(flag, files.slice(half));
}

// Usually the cache is complete (or one job suffices) and a plain build is all it takes; only when solc runs out of
// memory do we split.
const groupsOnly = process.argv.includes("--groups");
if (!groupsOnly && hardhatBuild("everything in one job", []) === "ok") process.exit(0);
if (!quiet) console.log("build: solc ran out of memory on one job; compiling in groups");

const production = [...solidityFiles("contracts"), ...solidityFiles(path.join("deploy", "mocks"))];
const doubles = path.join("test", "doubles");
const helpers = [...solidityFiles(doubles), ...solidityFiles(path.join("bench", "contracts"))];
// Hardhat treats every .sol file under test/ as a test root (handlers and specs included), except test/doubles, which
// hardhat.config.ts lists as a source folder. Under coverage only test/fuzz is (hardhat.config.ts,
// BULWARK_COVERAGE): instrumented, BreakerInvariants.t.sol alone is more than solc can hold; the invariant suites run
// in `npm test` and `npm run fuzz`.
const tests = solidityFiles(coverage ? path.join("test", "fuzz") : "test", (file) => !file.startsWith(doubles));

buildGroup("--no-tests", production);
buildGroup("--no-tests", helpers);
if (hardhatBuild("npm files (OpenZeppelin's TimelockController)", ["--no-tests"]) !== "ok") process.exit(1);
for (let i = 0; i < tests.length; i += TESTS_PER_JOB) buildGroup("--no-contracts", tests.slice(i, i + TESTS_PER_JOB));
// Everything is cached now: this final pass compiles nothing, and fails loudly if anything was missed.
if (hardhatBuild("check", []) !== "ok") process.exit(1);
