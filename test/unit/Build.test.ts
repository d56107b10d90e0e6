/**
 * The build (scripts/build.ts): what it shows of solc's output, and that our code compiles without a warning.
 * `npm start` and the other commands that only deploy contracts build with `--contracts` (no Solidity tests), and
 * print a line at least every few seconds while solc runs.
 */
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

import { expect } from "chai";

import { diagnostics } from "../../scripts/lib/buildOutput.js";

const ROOT = process.cwd();

const SOLC_OUTPUT = [
  "Warning: This declaration shadows an existing declaration.",
  "   --> ./contracts/core/LossLedger.sol:102:9:",
  "    |",
  "102 |         uint256 held = book.balances[account][asset];",
  "",
  "Warning: Transient storage as defined by EIP-1153 can break the composability of smart contracts.",
  "   --> ./node_modules/@openzeppelin/contracts/utils/TransientSlot.sol:108:13:",
  "    |",
  "108 |             tstore(slot, value)",
  "",
  "Compiled 73 Solidity files with solc 0.8.28 (evm target: cancun)",
].join("\n");

interface SolcError {
  severity: string;
  message: string;
  sourceLocation?: { file: string };
}

/** Source name ("project/contracts/X.sol") → the build info id of its current artifacts. */
function currentBuildInfo(dir: string, out = new Map<string, string>()): Map<string, string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory() && entry.name !== "build-info") currentBuildInfo(full, out);
    else if (entry.isFile() && entry.name.endsWith(".json")) {
      const artifact = JSON.parse(readFileSync(full, "utf8")) as { inputSourceName?: string; buildInfoId?: string };
      if (artifact.inputSourceName !== undefined && artifact.buildInfoId !== undefined) {
        out.set(artifact.inputSourceName, artifact.buildInfoId);
      }
    }
  }
  return out;
}

describe("build", function () {
  this.timeout(120_000);

  it("tells solc's warnings about our files from those about npm packages", function () {
    const blocks = diagnostics(SOLC_OUTPUT);
    expect(blocks.map((b) => b.ours)).to.deep.equal([true, false]);
    expect(blocks[0]?.text).to.include("LossLedger.sol:102").and.not.include("TransientSlot");
    expect(blocks[1]?.text).to.include("TransientSlot.sol").and.not.include("Compiled 73");
    expect(diagnostics("Compiled 3 Solidity files with solc 0.8.28\nNo contracts to compile\n")).to.deep.equal([]);
  });

  it("our contracts, mocks, doubles and tests compile without a compiler warning", function () {
    const dir = path.join(ROOT, "artifacts", "build-info");
    const outputs = readdirSync(dir).filter((file) => file.endsWith(".output.json"));
    expect(outputs, "no build info: run `npm run build`").to.not.be.empty;
    // A build info outlives a recompile of some of its files: read each file's diagnostics from the job that built
    // its current artifacts.
    const current = currentBuildInfo(path.join(ROOT, "artifacts"));
    const ours: string[] = [];
    for (const file of outputs) {
      const id = file.replace(/\.output\.json$/, "");
      const { output } = JSON.parse(readFileSync(path.join(dir, file), "utf8")) as { output: { errors?: SolcError[] } };
      for (const error of output.errors ?? []) {
        const where = error.sourceLocation?.file ?? "";
        if ((current.get(where) ?? id) !== id) continue;
        // Test contracts are never deployed on a chain with EIP-170: Hardhat itself hides their size warnings.
        const testSize = where.startsWith("project/test/") && /^Contract (init)?code size is/.test(error.message);
        if (where.startsWith("project/") && !testSize) ours.push(`${where}: ${error.severity}: ${error.message}`);
      }
    }
    expect(ours).to.deep.equal([]);
  });

  it("refuses an unknown option in one line, before compiling anything; --help prints the usage", function () {
    const typo = spawnSync(process.execPath, ["scripts/build.ts", "--contract"], { cwd: ROOT, encoding: "utf8" });
    expect(typo.status).to.equal(2);
    expect(typo.stderr).to.equal("build: unknown option --contract (npm run build -- --help lists the options)\n");
    expect(typo.stdout).to.equal("");
    const help = spawnSync(process.execPath, ["scripts/build.ts", "--help"], { cwd: ROOT, encoding: "utf8" });
    expect(help.status).to.equal(0);
    expect(help.stdout).to.match(/^usage: npm run build -- \[--contracts\]/);
  });

  it("`--contracts` prints where it is and what it compiled, and exits 0", function () {
    const run = spawnSync(process.execPath, ["scripts/build.ts", "--contracts", "--quiet"], {
      cwd: ROOT,
      encoding: "utf8",
    });
    expect(run.status, run.stderr).to.equal(0);
    const lines = run.stdout.trim().split("\n");
    expect(lines[0]).to.equal("build: the contracts (shipped, simulation and bench; not the Solidity tests)");
    expect(lines.at(-1)).to.match(/^build: {3}(up to date|compiled .+) \(\d+ s\)$/);
  });
});
