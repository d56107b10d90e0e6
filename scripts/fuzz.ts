// `npm run fuzz -- [--runs N] [--depth D] [--seed S] [--match TEXT]`
//
// Runs the Solidity fuzz and invariant suites (the same code CI runs) with a bigger budget, prints progress, and
// turns every failure into a replayable Solidity test under test/regressions/ (seed, budget and call sequence
// recorded in its header). Runs under Node ≥ 22.13 directly (type stripping), so it needs no build step.
import { spawn } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { getAddress } from "ethers";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const SUITES = ["test/fuzz", "test/invariant"];
const REGRESSIONS = "test/regressions";

interface Options {
  runs: number;
  depth: number;
  seed: string;
  match: string | undefined;
}

interface Call {
  sender: string;
  address: string;
  contractName: string;
  signature: string;
  calldata: string;
}

interface Failure {
  contract: string;
  test: string;
  message: string;
  calls: Call[];
}

function usage(message: string): never {
  console.error(`fuzz: ${message}`);
  console.error("usage: npm run fuzz -- [--runs N] [--depth D] [--seed S] [--match TEXT]");
  console.error("  --runs   fuzz runs per test and invariant runs per campaign (default 5000)");
  console.error("  --depth  calls per invariant run (default 100)");
  console.error("  --seed   fuzzer seed, decimal or 0x-hex (default: random, printed)");
  console.error("  --match  only run test files whose path contains TEXT");
  process.exit(2);
}

function positiveInt(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) usage(`--${name} must be a positive integer, got "${raw}"`);
  return value;
}

function parseOptions(): Options {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        runs: { type: "string" },
        depth: { type: "string" },
        seed: { type: "string" },
        match: { type: "string" },
      },
      strict: true,
    }));
  } catch (error) {
    usage((error as Error).message);
  }
  const seed = values.seed ?? `0x${Math.floor(Math.random() * 2 ** 48).toString(16)}`;
  if (!/^(0x[0-9a-fA-F]+|[0-9]+)$/.test(seed)) usage(`--seed must be decimal or 0x-hex, got "${seed}"`);
  return {
    runs: positiveInt("runs", values.runs, 5000),
    depth: positiveInt("depth", values.depth, 100),
    seed,
    match: values.match,
  };
}

function testFiles(match: string | undefined): string[] {
  const files: string[] = [];
  for (const suite of SUITES) {
    for (const name of readdirSync(join(ROOT, suite))) {
      const path = `${suite}/${name}`;
      if (name.endsWith(".t.sol") && (match === undefined || path.includes(match))) files.push(path);
    }
  }
  if (files.length === 0) usage(`no test file under ${SUITES.join(", ")} matches "${match}"`);
  return files;
}

/** Number of fuzz and invariant tests in the files, for the progress counter. */
function countTests(files: string[]): number {
  let count = 0;
  for (const file of files) {
    const source = readFileSync(join(ROOT, file), "utf8");
    count += (source.match(/function\s+(testFuzz_|invariant_|test_)\w*\s*\(/g) ?? []).length;
  }
  return count;
}

/** Parses the runner's failure report: "N) Contract#test(...)", the error line, then Counterexample blocks. */
function parseFailures(output: string): Failure[] {
  const failures: Failure[] = [];
  const lines = output.split("\n");
  let current: Failure | undefined;
  let call: Partial<Call> | undefined;
  const flushCall = () => {
    if (current && call?.calldata) current.calls.push(call as Call);
    call = undefined;
  };
  for (const raw of lines) {
    const line = raw.replace(/\x1b\[[0-9;]*m/g, "").trim();
    const header = /^\d+\) (\w+)#(\w+)\(/.exec(line);
    if (header) {
      flushCall();
      current = { contract: header[1], test: header[2], message: "", calls: [] };
      failures.push(current);
      continue;
    }
    if (!current) continue;
    if (current.message === "" && line.startsWith("Error:")) current.message = line.slice(6).trim();
    else if (line === "Counterexample:") {
      flushCall();
      call = {};
    } else if (call) {
      const field = /^(calldata|sender|address|contractName|signature): (.*)$/.exec(line);
      if (field) (call as Record<string, string>)[field[1]] = field[2].trim();
    }
  }
  flushCall();
  return failures;
}

/** Maps contract names to their test files from the runner's "path:Contract" suite headings. */
function contractPaths(output: string): Map<string, string> {
  const paths = new Map<string, string>();
  for (const match of output.matchAll(/^\s*(test\/\S+\.t\.sol):(\w+)\s*$/gm)) paths.set(match[2], match[1]);
  return paths;
}

/** The replay contract's name, in CapWords as solhint wants: ReplayVaultInvariantTestInvariantINV01DebtSumSeed5eed4. */
function replayName(failure: Failure, options: Options): string {
  const words = failure.test
    .split("_")
    .filter((w) => w !== "")
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join("");
  return `Replay${failure.contract}${words}Seed${options.seed.replace(/^0x/, "")}`;
}

function replaySource(failure: Failure, testPath: string, options: Options): string {
  const name = replayName(failure, options);
  const importPath = relative(REGRESSIONS, testPath).replace(/\\/g, "/");
  const isInvariant = failure.test.startsWith("invariant");
  const header = [
    "// SPDX-License-Identifier: MIT",
    "pragma solidity 0.8.28;",
    "",
    `// Written by \`npm run fuzz\`: ${failure.contract}.${failure.test} failed with`,
    `//   ${failure.message.replace(/\n/g, " ")}`,
    `// Budget: --runs ${options.runs} --depth ${options.depth} --seed ${options.seed}`,
    "// It fails until the bug is fixed; commit it with the fix so the bug cannot come back.",
    "// One line per replayed call, however many:",
    "// solhint-disable function-max-lines",
    "",
    `import {${failure.contract}} from "${importPath.startsWith(".") ? importPath : `./${importPath}`}";`,
    "",
    `contract ${name} is ${failure.contract} {`,
  ];
  const body: string[] = [];
  if (isInvariant) {
    body.push(`    function test_replay() public {`);
    for (const call of failure.calls) {
      body.push(`        // ${call.contractName.split(":").pop()}.${call.signature}`);
      body.push(
        `        _replay(${getAddress(call.sender)}, ${getAddress(call.address)}, hex"${call.calldata.replace(/^0x/, "")}");`,
      );
    }
    body.push(`        ${failure.test}();`, "    }", "");
    body.push(
      "    /// @dev The campaign tolerated reverting calls (failOnRevert = false); so does the replay.",
      "    function _replay(address sender, address target, bytes memory data) private {",
      "        vm.prank(sender);",
      "        (bool ok, ) = target.call(data);",
      "        ok;",
      "    }",
    );
  } else {
    const call = failure.calls[0];
    body.push(
      `    function test_replay() public {`,
      `        (bool ok, bytes memory reason) = address(this).call(hex"${call.calldata.replace(/^0x/, "")}");`,
      "        if (!ok) {",
      "            assembly {",
      "                revert(add(reason, 32), mload(reason))",
      "            }",
      "        }",
      "    }",
    );
  }
  return [...header, ...body, "}", ""].join("\n");
}

async function main(): Promise<void> {
  const options = parseOptions();
  const files = testFiles(options.match);
  const total = countTests(files);
  console.log(
    `fuzz: ${total} tests in ${files.length} files, runs ${options.runs}, depth ${options.depth}, seed ${options.seed}`,
  );

  const started = Date.now();
  const child = spawn("npx", ["hardhat", "test", "solidity", ...files], {
    cwd: ROOT,
    env: {
      ...process.env,
      BULWARK_FUZZ_RUNS: String(options.runs),
      BULWARK_INVARIANT_RUNS: String(options.runs),
      BULWARK_INVARIANT_DEPTH: String(options.depth),
      BULWARK_FUZZ_SEED: options.seed,
      FORCE_COLOR: "0",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });

  let output = "";
  let done = 0;
  let summary = false; // after "N passing" the runner repeats failures: do not count them again
  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0)}s`;
  const onData = (chunk: Buffer) => {
    const text = chunk.toString();
    output += text;
    for (const line of text.split("\n")) {
      const clean = line.replace(/\x1b\[[0-9;]*m/g, "").trim();
      if (/^\d+ (passing|failing)/.test(clean)) summary = true;
      if (!summary && /^(✔|\d+\))\s/.test(clean) && clean.includes("(")) {
        done += 1;
        console.log(`[${done}/${total}] ${elapsed()} ${clean}`);
      } else if (/^(Error|Compiled|\d+ (passing|failing))/.test(clean)) console.log(clean);
    }
  };
  child.stdout.on("data", onData);
  child.stderr.on("data", onData);
  const heartbeat = setInterval(() => console.log(`... ${elapsed()} elapsed, ${done}/${total} tests done`), 30_000);
  const code: number = await new Promise((resolve) => child.on("close", (c) => resolve(c ?? 1)));
  clearInterval(heartbeat);

  const failures = parseFailures(output);
  if (code === 0 && failures.length === 0) {
    console.log(`fuzz: all ${total} tests passed in ${elapsed()} (runs ${options.runs}, depth ${options.depth}).`);
    return;
  }
  if (failures.length === 0) {
    console.error(output.slice(-4000));
    throw new Error(`the test runner exited with code ${code} before reporting a test failure (output above)`);
  }
  const paths = contractPaths(output);
  mkdirSync(join(ROOT, REGRESSIONS), { recursive: true });
  for (const failure of failures) {
    const testPath = paths.get(failure.contract);
    console.error(`FAILED ${failure.contract}.${failure.test}: ${failure.message}`);
    if (testPath === undefined || failure.calls.length === 0) {
      console.error("  (no counterexample to replay: see the runner output above)");
      continue;
    }
    const file = join(REGRESSIONS, `${replayName(failure, options)}.t.sol`);
    writeFileSync(join(ROOT, file), replaySource(failure, testPath, options));
    console.error(`  replay (${failure.calls.length} calls) written to ${file}`);
    console.error(`  run it: npx hardhat test solidity ${file}`);
  }
  process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(`fuzz: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
