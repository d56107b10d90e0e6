/**
 * `npm run fuzz -- [--runs N] [--depth D] [--seed S] [--match TEXT] [--json]`: the Solidity fuzz and invariant suites
 * (the same code CI runs) with a bigger budget. Prints a line as each suite finishes and a heartbeat while they run,
 * then a table per suite; `--json` prints the same as one JSON object on stdout (progress moves to stderr). Every
 * failure becomes a replayable Solidity test under test/regressions/ (scripts/lib/fuzz/replay.ts).
 */
import { spawn } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { UsageError, parseOptions, runCli, wholeNumber } from "../cliArgs.js";
import { renderTable } from "../format.js";
import { REGRESSIONS, contractPaths, parseFailures, replayName, replaySource, type Budget } from "./replay.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const SUITES = ["test/fuzz", "test/invariant"];
/** Seconds between two heartbeat lines while no suite finishes. */
const HEARTBEAT_SECONDS = 30;

export interface FuzzOptions extends Budget {
  match: string | undefined;
  json: boolean;
}

/** One suite (test contract) as the runner reported it. */
export interface SuiteResult {
  file: string;
  contract: string;
  passed: number;
  failed: number;
  /** Seconds from the start until the runner reported the suite (suites run in parallel). */
  doneAfter: number;
}

export function usage(): string {
  return [
    "usage: npm run fuzz -- [--runs N] [--depth D] [--seed S] [--match TEXT] [--json]",
    "Runs the Solidity fuzz (test/fuzz) and invariant (test/invariant) suites with a bigger budget than CI's.",
    "  --runs N      fuzz runs per test and invariant runs per campaign (default 5000)",
    "  --depth D     calls per invariant run (default 100)",
    "  --seed S      fuzzer seed, decimal or 0x-hex (default: random, printed)",
    "  --match TEXT  only the test files whose path contains TEXT",
    "  --json        print the results as one JSON object on stdout (progress goes to stderr)",
    "  -h, --help    this text",
    "A failure is written to test/regressions/ as a replay test, and the command exits 1.",
  ].join("\n");
}

/** Parses the command line (without `node` and the script). Throws UsageError on a bad argument. */
export function parseFuzzArgs(argv: readonly string[], random = Math.random): FuzzOptions | "help" {
  const v = parseOptions(argv, {
    runs: { type: "string" },
    depth: { type: "string" },
    seed: { type: "string" },
    match: { type: "string" },
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (v.help === true) return "help";
  const seed = v.seed ?? `0x${Math.floor(random() * 2 ** 48).toString(16)}`;
  if (!/^(0x[0-9a-fA-F]+|[0-9]+)$/.test(seed)) throw new UsageError(`--seed must be decimal or 0x-hex, got "${seed}"`);
  return {
    runs: wholeNumber("runs", v.runs, 5000, 1, 10_000_000, "runs per test"),
    depth: wholeNumber("depth", v.depth, 100, 1, 100_000, "calls per invariant run"),
    seed,
    match: v.match,
    json: v.json === true,
  };
}

/** The fuzz and invariant test files, those whose path contains `match` if given. */
export function testFiles(match: string | undefined, root = ROOT): string[] {
  const files: string[] = [];
  for (const suite of SUITES) {
    for (const name of readdirSync(path.join(root, suite)).sort()) {
      const file = `${suite}/${name}`;
      if (name.endsWith(".t.sol") && (match === undefined || file.includes(match))) files.push(file);
    }
  }
  if (files.length === 0) throw new UsageError(`no test file under ${SUITES.join(" or ")} matches "${match}"`);
  return files;
}

/** Number of tests in the files, for the progress counter. */
function countTests(files: readonly string[]): number {
  let count = 0;
  for (const file of files) {
    const source = readFileSync(path.join(ROOT, file), "utf8");
    count += (source.match(/function\s+(testFuzz_|invariant_|test_)\w*\s*\(/g) ?? []).length;
  }
  return count;
}

const strip = (line: string): string => line.replace(/\x1b\[[0-9;]*m/g, "").trim();

/**
 * Follows the runner's output: a "path:Contract" heading opens a suite, "✔ test(...)" and "N) test(...)" lines are
 * its tests; the suite is reported when the next heading or the summary ("N passing") arrives. `line` takes the
 * seconds since the start at which the line arrived.
 */
export class SuiteTracker {
  readonly suites: SuiteResult[] = [];
  private open: SuiteResult | undefined;
  private summary = false;

  private readonly onSuite: (suite: SuiteResult) => void;

  constructor(onSuite: (suite: SuiteResult) => void) {
    this.onSuite = onSuite;
  }

  line(raw: string, seconds: number): void {
    const clean = strip(raw);
    const heading = /^(test\/\S+\.t\.sol):(\w+)$/.exec(clean);
    if (heading !== null && !this.summary) {
      this.close();
      // The runner prints a suite's block when the suite has finished: its heading's time is the suite's.
      this.open = { file: heading[1], contract: heading[2], passed: 0, failed: 0, doneAfter: seconds };
    } else if (/^\d+ (passing|failing)/.test(clean)) {
      this.close();
      this.summary = true; // after the counts the runner repeats the failures: do not count them again
    } else if (this.open !== undefined && !this.summary) {
      if (/^✔\s+\w+\(/.test(clean)) this.open.passed++;
      else if (/^\d+\)\s+\w+\(/.test(clean)) this.open.failed++;
    }
  }

  close(): void {
    if (this.open === undefined) return;
    this.suites.push(this.open);
    this.onSuite(this.open);
    this.open = undefined;
  }
}

/** The per-suite table printed at the end. */
export function summaryTable(suites: readonly SuiteResult[]): string {
  return renderTable(
    [
      { header: "suite" },
      { header: "file" },
      { header: "passed", align: "right" },
      { header: "failed", align: "right" },
      { header: "done after", align: "right" },
    ],
    suites.map((s) => [s.contract, s.file, String(s.passed), String(s.failed), `${s.doneAfter} s`]),
  );
}

/** Runs the campaign; returns the exit status. */
async function campaign(options: FuzzOptions): Promise<number> {
  const log = (line: string): void => void (options.json ? process.stderr : process.stdout).write(`${line}\n`);
  const files = testFiles(options.match);
  const total = countTests(files);
  log(
    `fuzz: ${total} tests in ${files.length} files, runs ${options.runs}, depth ${options.depth}, seed ${options.seed}`,
  );
  const started = Date.now();
  const seconds = (): number => Math.round((Date.now() - started) / 1000);
  const child = spawn("npx", ["hardhat", "test", "solidity", "--no-compile", ...files], {
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
  let done = 0;
  const tracker = new SuiteTracker((suite) => {
    done += suite.passed + suite.failed;
    const verdict = suite.failed === 0 ? `${suite.passed} passed` : `${suite.failed} FAILED, ${suite.passed} passed`;
    log(`[${done}/${total}] ${suite.contract} (${suite.file}): ${verdict}, done after ${suite.doneAfter} s`);
  });
  let output = "";
  let pending = "";
  const onData = (chunk: Buffer): void => {
    output += chunk.toString();
    const lines = (pending + chunk.toString()).split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) tracker.line(line, seconds());
  };
  child.stdout.on("data", onData);
  child.stderr.on("data", onData);
  const heartbeat = setInterval(
    () => log(`fuzz: ${seconds()} s, ${tracker.suites.length}/${files.length} suites done`),
    HEARTBEAT_SECONDS * 1000,
  );
  const code = await new Promise<number>((resolve) => child.on("close", (c) => resolve(c ?? 1)));
  clearInterval(heartbeat);
  tracker.line(pending, seconds());
  tracker.close();

  const failures = parseFailures(output);
  if (code !== 0 && failures.length === 0) {
    process.stderr.write(output.slice(-4000));
    log(`fuzz: the test runner exited with code ${code} before reporting a test (its output is above)`);
    return 1;
  }
  const paths = contractPaths(output);
  const replays: Record<string, string> = {};
  if (failures.length > 0) mkdirSync(path.join(ROOT, REGRESSIONS), { recursive: true });
  for (const failure of failures) {
    const testPath = paths.get(failure.contract);
    if (testPath === undefined || failure.calls.length === 0) continue;
    const file = path.join(REGRESSIONS, `${replayName(failure, options)}.t.sol`);
    writeFileSync(path.join(ROOT, file), replaySource(failure, testPath, options));
    replays[`${failure.contract}.${failure.test}`] = file;
  }
  const passed = tracker.suites.reduce((sum, s) => sum + s.passed, 0);
  if (options.json) {
    const result = {
      ok: failures.length === 0,
      budget: { runs: options.runs, depth: options.depth, seed: options.seed },
      seconds: seconds(),
      passed,
      failed: failures.length,
      suites: tracker.suites,
      failures: failures.map((f) => ({ ...f, replay: replays[`${f.contract}.${f.test}`] ?? null })),
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } else {
    log(`\n${summaryTable(tracker.suites)}\n`);
  }
  for (const failure of failures) {
    const replay = replays[`${failure.contract}.${failure.test}`];
    log(`FAILED ${failure.contract}.${failure.test}: ${failure.message}`);
    log(
      replay === undefined
        ? "  (no counterexample to replay: see the runner output)"
        : `  replay: ${replay} (npx hardhat test solidity ${replay})`,
    );
  }
  log(
    failures.length === 0
      ? `fuzz: all ${passed} tests passed in ${seconds()} s (runs ${options.runs}, depth ${options.depth}, seed ${options.seed})`
      : `fuzz: ${failures.length} failed, ${passed} passed in ${seconds()} s`,
  );
  return failures.length === 0 ? 0 : 1;
}

/** Runs the CLI; returns the exit status. */
export const main = (argv: readonly string[]): Promise<number> =>
  runCli("fuzz", argv, { parse: (args) => parseFuzzArgs(args), usage, run: campaign });
