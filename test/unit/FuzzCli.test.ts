/**
 * `npm run fuzz`'s command line and report (scripts/lib/fuzz/fuzzCli.ts): options and their mistakes in one line each,
 * `--help` as the only usage text, the per-suite tracking of the runner's output, and the CLI end to end on one small
 * suite with `--json`.
 */
import { spawnSync } from "node:child_process";

import { expect } from "chai";

import { UsageError } from "../../scripts/lib/cliArgs.js";
import {
  SuiteTracker,
  parseFuzzArgs,
  summaryTable,
  testFiles,
  type SuiteResult,
} from "../../scripts/lib/fuzz/fuzzCli.js";
import { thrown } from "./helpers/thrown.js";

const fuzz = (args: string[]) =>
  spawnSync(process.execPath, ["scripts/fuzz.ts", ...args], { cwd: process.cwd(), encoding: "utf8", timeout: 120_000 });

describe("fuzz CLI", function () {
  this.timeout(120_000);

  describe("parseFuzzArgs", function () {
    it("defaults to 5000 runs, depth 100 and a random 0x seed", function () {
      const options = parseFuzzArgs([], () => 0.5);
      expect(options).to.deep.equal({ runs: 5000, depth: 100, seed: "0x800000000000", match: undefined, json: false });
    });

    it("reads every option, --json and --help", function () {
      const options = parseFuzzArgs(["--runs", "7", "--depth=3", "--seed", "42", "--match", "Rate", "--json"]);
      expect(options).to.deep.equal({ runs: 7, depth: 3, seed: "42", match: "Rate", json: true });
      expect(parseFuzzArgs(["--help"])).to.equal("help");
      expect(parseFuzzArgs(["-h"])).to.equal("help");
    });

    const mistakes: Array<[string[], string]> = [
      [["--runs", "-5"], "--runs (runs per test) cannot be negative: give a whole number from 1 to 10,000,000, not -5"],
      [["--runs=-5"], "--runs (runs per test) cannot be negative"],
      [["--depth", "0"], "--depth (calls per invariant run) must be a whole number from 1 to 100,000, got 0"],
      [["--runs", "many"], '--runs (runs per test) must be a whole number from 1 to 10,000,000, got "many"'],
      [["--seed", "0xzz"], '--seed must be decimal or 0x-hex, got "0xzz"'],
      [["--bogus"], "unknown option --bogus"],
      [["--runs"], "--runs needs a value"],
      [["--json=yes"], "--json takes no value"],
      [["RateLimit"], 'unexpected argument "RateLimit"'],
    ];
    for (const [argv, message] of mistakes) {
      it(`refuses ${argv.join(" ")} in words`, function () {
        expect(thrown(() => parseFuzzArgs(argv), UsageError)).to.include(message);
      });
    }

    it("refuses a --match no suite fits", function () {
      expect(thrown(() => testFiles("NoSuchSuite"), UsageError)).to.include('matches "NoSuchSuite"');
      expect(testFiles("RateLimit")).to.deep.equal(["test/fuzz/RateLimit.t.sol"]);
    });
  });

  describe("SuiteTracker", function () {
    it("counts each suite's tests as its block arrives, ignoring the failures repeated after the summary", function () {
      const reported: SuiteResult[] = [];
      const tracker = new SuiteTracker((suite) => reported.push(suite));
      const output: Array<[string, number]> = [
        ["Running Solidity tests", 0],
        ["  test/invariant/OutflowInvariants.t.sol:OutflowInvariantTest", 40],
        ["Bound result 21600", 40],
        ["    ✔ test_handlerReachesTheLimitAcrossBuckets()", 40],
        ["    ✔ invariant_INV30_outflowPerSpan() (runs: 5)", 40],
        ["  test/fuzz/RateLimit.t.sol:RateLimitFuzzTest", 55],
        ["    ✔ testFuzz_a(uint256) (runs: 20)", 55],
        ["    1) testFuzz_b(uint256) (runs: 3)", 55],
        ["  2 passing", 56],
        ["  1 failing", 56],
        ["  1) RateLimitFuzzTest#testFuzz_b(uint256)", 56],
        ["    ✔ testFuzz_c(uint256)", 56],
      ];
      for (const [line, at] of output) tracker.line(line, at);
      tracker.close();
      expect(reported).to.deep.equal([
        {
          file: "test/invariant/OutflowInvariants.t.sol",
          contract: "OutflowInvariantTest",
          passed: 2,
          failed: 0,
          doneAfter: 40,
        },
        { file: "test/fuzz/RateLimit.t.sol", contract: "RateLimitFuzzTest", passed: 1, failed: 1, doneAfter: 55 },
      ]);
      const table = summaryTable(reported);
      expect(table).to.match(/OutflowInvariantTest\s+test\/invariant\/OutflowInvariants\.t\.sol\s+2\s+0\s+40 s/);
      expect(table).to.match(/RateLimitFuzzTest\s+test\/fuzz\/RateLimit\.t\.sol\s+1\s+1\s+55 s/);
    });
  });

  describe("the command", function () {
    it("--help prints the usage on stdout and exits 0", function () {
      const run = fuzz(["--help"]);
      expect(run.status).to.equal(0);
      expect(run.stdout).to.include("usage: npm run fuzz --").and.include("--json");
      expect(run.stderr).to.equal("");
    });

    it("a mistake is one line on stderr, exit 2, no usage text", function () {
      for (const argv of [["--runs", "-5"], ["--frobnicate"], ["--match", "NoSuchSuite"]]) {
        const run = fuzz(argv);
        expect(run.status, argv.join(" ")).to.equal(2);
        expect(run.stderr.trim().split("\n"), argv.join(" ")).to.have.length(1);
        expect(run.stderr).to.match(/^fuzz: .+ \(npm run fuzz -- --help lists the options\)\n$/);
        expect(run.stderr).to.not.include("usage:");
        expect(run.stdout).to.equal("");
      }
    });

    it("--json prints one JSON object with every suite, progress on stderr", function () {
      const run = fuzz(["--match", "RateLimit", "--runs", "5", "--depth", "2", "--seed", "7", "--json"]);
      expect(run.status, run.stderr).to.equal(0);
      const result = JSON.parse(run.stdout) as {
        ok: boolean;
        budget: { runs: number; depth: number; seed: string };
        passed: number;
        failed: number;
        suites: SuiteResult[];
        failures: unknown[];
      };
      expect(result.ok).to.equal(true);
      expect(result.budget).to.deep.equal({ runs: 5, depth: 2, seed: "7" });
      expect(result.suites).to.have.length(1);
      expect(result.suites[0]).to.include({
        file: "test/fuzz/RateLimit.t.sol",
        contract: "RateLimitFuzzTest",
        failed: 0,
      });
      expect(result.suites[0]?.passed).to.be.greaterThan(0);
      expect(result.passed).to.equal(result.suites[0]?.passed);
      expect(result.failures).to.deep.equal([]);
      expect(run.stderr).to.include("RateLimitFuzzTest (test/fuzz/RateLimit.t.sol):").and.include("all ");
    });
  });
});
