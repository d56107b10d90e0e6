/**
 * `npm run prove` (scripts/lib/prove/): how the model checker's messages become verdicts (a property is proved only
 * when every assertion of its contract is safe; a timeout is unknown, never proved), the harness catalogue against
 * the files, a real check of a harness with one false and one true property, and the CLI's refusals.
 */
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { expect } from "chai";

import { HARNESS_FILES, MATH_SPEC, checkOptionsOf } from "../../scripts/lib/prove/properties.js";
import { rowsOf } from "../../scripts/lib/prove/proveCli.js";
import {
  assertionLines,
  checkFile,
  classify,
  contractsOf,
  decided,
  verdictOf,
  z3Version,
  type CompilerMessage,
} from "../../scripts/lib/prove/prover.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

describe("npm run prove", function () {
  this.timeout(120_000);

  describe("verdicts from the checker's messages", function () {
    const source = [
      "pragma solidity 0.8.28;", // line 1
      "contract A {", // 2
      "  function f() external { assert(true); }", // 3
      "  function g() external { assert(true); }", // 4
      "}", // 5
      "contract B {", // 6
      "  function f() external { assert(true); }", // 7
      "}", // 8
    ].join("\n");
    const at = (line: number): { file: string; start: number; end: number } => {
      const start =
        source
          .split("\n")
          .slice(0, line - 1)
          .join("\n").length + 1;
      return { file: "p.sol", start, end: start + 5 };
    };
    const safe = (line: number): CompilerMessage => ({
      severity: "info",
      errorCode: "9576",
      message: "CHC: Assertion violation check is safe!",
      sourceLocation: at(line),
    });
    const mightHappen = (line: number): CompilerMessage => ({
      severity: "warning",
      errorCode: "6328",
      message: "CHC: Assertion violation might happen here.",
      sourceLocation: at(line),
    });
    const happens = (line: number): CompilerMessage => ({
      severity: "warning",
      errorCode: "6328",
      message: "CHC: Assertion violation happens here.\nCounterexample:\n\na = 255",
      sourceLocation: at(line),
    });

    it("takes z3's answer only when it is sat or unsat and its own validation raised no error", function () {
      expect(decided("sat\n")).to.equal(true);
      expect(decided("unsat\n")).to.equal(true);
      // fp.validate fails by erring after (or instead of) the answer: undecided, never proved.
      expect(decided('sat\n(error "validation failed")\n')).to.equal(false);
      expect(decided('(error "line 3: unknown constant")\nsat\n')).to.equal(false);
      for (const out of ["unknown\n", "timeout\n", "", " sat\n", "satisfiable\n"])
        expect(decided(out), out).to.equal(false);
    });

    it("finds each contract and the line of each assertion", function () {
      expect(contractsOf(source).map((c) => c.name)).to.deep.equal(["A", "B"]);
      const results = classify("p.sol", source, [safe(3), safe(4), safe(7)]);
      expect(results.map((r) => [r.contract, r.line, r.verdict])).to.deep.equal([
        ["A", 3, "proved"],
        ["A", 4, "proved"],
        ["B", 7, "proved"],
      ]);
    });

    it("proves a property only when every assertion is safe: a timeout is unknown, a counterexample wins", function () {
      const results = classify("p.sol", source, [safe(3), mightHappen(4), happens(7)]);
      expect(verdictOf(results.filter((r) => r.contract === "A"))).to.equal("unknown");
      expect(verdictOf(results.filter((r) => r.contract === "B"))).to.equal("counterexample");
      expect(results.find((r) => r.line === 7)?.detail).to.match(/Counterexample/);
      // Through an external solver solc has no model to print: "happens here" alone is still a violation.
      const bare = { ...happens(7), message: "CHC: Assertion violation happens here." };
      expect(classify("p.sol", source, [bare]).find((r) => r.line === 7)?.verdict).to.equal("counterexample");
      // A line reported safe for one target and not for another is not proved.
      expect(classify("p.sol", source, [safe(3), mightHappen(3)])[0].verdict).to.equal("unknown");
      expect(classify("p.sol", source, [mightHappen(3), safe(3)])[0].verdict).to.equal("unknown");
      // No assertion reported at all: unknown, never proved.
      expect(verdictOf([])).to.equal("unknown");
      // Messages about other files and other targets are not read.
      const other = { ...happens(3), sourceLocation: { ...at(3), file: "q.sol" } };
      const overflow = { ...mightHappen(3), errorCode: "4984", message: "CHC: Overflow might happen here." };
      expect(
        classify("p.sol", source, [other, overflow, safe(3), safe(4), safe(7)]).map((r) => r.verdict),
      ).to.deep.equal(["proved", "proved", "proved"]);
    });

    it("counts an assertion the checker said nothing about as unknown, and refuses asserting bases", function () {
      const results = classify("p.sol", source, [safe(3), safe(7)]);
      expect(results.map((r) => [r.contract, r.line, r.verdict])).to.deep.equal([
        ["A", 3, "proved"],
        ["A", 4, "unknown"],
        ["B", 7, "proved"],
      ]);
      expect(verdictOf(results.filter((r) => r.contract === "A"))).to.equal("unknown");
      const base = "abstract contract H {\n  function h() internal { assert(true); }\n}\ncontract C is H {}\n";
      expect(() => classify("p.sol", base, [])).to.throw(/a harness base must not assert/);
      // A commented-out assertion is not one; a "contract" in a comment is not a contract.
      const commented =
        "contract D {\n  // assert(false);\n  /* contract E { */\n  function f() external { assert(true); }\n}\n";
      expect(assertionLines(commented)).to.deep.equal(new Map([["D", [4]]]));
    });

    it("reads solc's byte offsets in a file with multi-byte characters", function () {
      const text =
        "contract A {\n  // × ≤ − ∞ Δ: ten characters, twenty-four bytes\n  function f() external { assert(true); }\n}\n";
      const charStart = text.indexOf("assert");
      const byteStart = Buffer.byteLength(text.slice(0, charStart), "utf8");
      const message: CompilerMessage = {
        severity: "info",
        errorCode: "9576",
        message: "CHC: Assertion violation check is safe!",
        sourceLocation: { file: "p.sol", start: byteStart, end: byteStart + 12 },
      };
      expect(classify("p.sol", text, [message]).map((r) => [r.line, r.verdict])).to.deep.equal([[3, "proved"]]);
    });

    it("refuses assertions outside the catalogue's properties for their file", function () {
      const harness = { file: "p.sol", ci: true, properties: [{ contract: "A", invariant: "X", statement: "s" }] };
      const results = classify("p.sol", source, [safe(3), safe(7)]);
      expect(() => rowsOf(harness, results, { wallSeconds: 1, solverSeconds: 1 })).to.throw(/outside the listed/);
    });
  });

  it("lists every harness contract of proofs/ once, and only those; no harness base asserts", function () {
    for (const file of ["proofs/WindowHarness.sol", ...HARNESS_FILES.map((f) => f.file)]) {
      expect(() => assertionLines(readFileSync(path.join(ROOT, file), "utf8")), file).not.to.throw();
    }
    for (const harness of HARNESS_FILES) {
      const source = readFileSync(path.join(ROOT, harness.file), "utf8");
      const inFile = contractsOf(source).map((c) => c.name);
      expect(harness.properties.map((p) => p.contract)).to.have.members(inFile, harness.file);
    }
    const names = HARNESS_FILES.flatMap((f) => f.properties.map((p) => p.contract));
    expect(new Set(names).size).to.equal(names.length);
    // Every harness file in proofs/ is in the catalogue (WindowHarness.sol is a base the window harnesses import).
    const onDisk = readdirSync(path.join(ROOT, "proofs")).filter(
      (f) => f.endsWith(".sol") && f !== "WindowHarness.sol",
    );
    expect(HARNESS_FILES.map((f) => f.file)).to.have.members(onDisk.map((f) => `proofs/${f}`));
  });

  it("checks a real harness with z3: a false property has a counterexample, a true one is proved", function () {
    expect(z3Version(), "z3 on this machine (.ci/run installs Debian's)").to.match(/Z3 version/);
    const run = checkFile(ROOT, "proofs/fixtures/Refuted.sol", 30);
    const of = (contract: string) => verdictOf(run.assertions.filter((a) => a.contract === contract));
    expect(of("FIX_False")).to.equal("counterexample");
    expect(of("FIX_True")).to.equal("proved");
    // The checker's blind spot (a memory struct changed by an internal call reads unchanged): pinned, so a compiler
    // that models it shows up here, and no harness relies on it meanwhile.
    expect(of("FIX_MemoryStructThroughCall")).to.equal("proved");
    // And the other way: a division by zero does not stop it, so a property that needs the revert is "refuted".
    expect(of("FIX_DivisionByZeroGoesOn")).to.equal("counterexample");
    expect(run.queries).to.be.greaterThan(0);
  });

  it("reports a violation that rests on code the checker does not model as unknown, never a counterexample", function () {
    // Both properties are true; the checker says "happens here" because it replaces a custom-error revert and a
    // variable exponent by arbitrary behaviour. Pinned: a compiler that models them turns these into "proved".
    const run = checkFile(ROOT, "proofs/fixtures/Abstracted.sol", 30);
    for (const contract of ["FIX_CustomErrorRevert", "FIX_VariableExponent"]) {
      const own = run.assertions.filter((a) => a.contract === contract);
      expect(verdictOf(own), contract).to.equal("unknown");
      expect(own[0].abstracted, contract).to.equal(true);
      expect(own[0].detail, contract).to.match(/not a counterexample: the checker abstracted/);
    }
  });

  it("compiles a harness marked mathSpec with OpenZeppelin's Math replaced by proofs/spec/Math.sol", function () {
    // OpenZeppelin's mulDiv is assembly: through it even the incentive's bound is out of reach; through the
    // specification it is proved (test/fuzz/MathSpec.t.sol checks the specification against OpenZeppelin).
    const spec = HARNESS_FILES.find((f) => f.file === "proofs/LiquidationIncentive.sol");
    if (spec === undefined) throw new Error("proofs/LiquidationIncentive.sol is not in the catalogue");
    expect(spec.mathSpec).to.equal(true);
    expect(checkOptionsOf(spec).substitutes).to.deep.equal(MATH_SPEC);
    const run = checkFile(ROOT, spec.file, 30, checkOptionsOf(spec));
    expect(verdictOf(run.assertions.filter((a) => a.contract === "LIQ_IncentiveWithinMax"))).to.equal("proved");
  });

  it("refuses a bad flag, an unknown property and a bad time limit in one line each, exit 2", function () {
    const run = (...args: string[]) =>
      spawnSync(process.execPath, ["scripts/prove.ts", ...args], { cwd: ROOT, encoding: "utf8" });
    for (const [args, pattern] of [
      [["--bogus"], /prove: .*bogus/],
      [["--only", "NoSuchProperty"], /no property "NoSuchProperty" \(known: RAMP_/],
      [["--timeout", "0"], /--timeout must be whole seconds/],
    ] as const) {
      const result = run(...args);
      expect(result.status, args.join(" ")).to.equal(2);
      expect(result.stderr.trim().split("\n")).to.have.length(1);
      expect(result.stderr).to.match(pattern);
    }
  });
});
