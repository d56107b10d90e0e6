/**
 * The simulation's verdict (scripts/lib/sim/verdict.ts), its limits on the command line (simulateCli.ts:
 * `--max-bad-debt`, `--max-lender-loss`, `--compare`) and the comparison of two reports (compare.ts), on made-up
 * reports: no chain.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";

import { ReportFileError, compareReports, inputChanges, readReport } from "../../scripts/lib/sim/compare.js";
import { UsageError, parseCliArgs, percentLimit } from "../../scripts/lib/sim/simulateCli.js";
import type { SimulationReport, StepRecord } from "../../scripts/lib/sim/types.js";
import { lossPct, verdictOf, worstLenderLossPct } from "../../scripts/lib/sim/verdict.js";
import { runReport } from "./helpers/simRun.js";
import { thrown } from "./helpers/thrown.js";

const run = runReport;

const NO_LIMITS = { maxBadDebtPct: null, maxLenderLossPct: null };

function report(runs: SimulationReport["runs"], seed = "s"): SimulationReport {
  const primary = runs.adaptive ?? runs.static ?? run();
  return {
    ...primary,
    runs,
    meta: {
      scenario: "x",
      description: "x",
      prices: {},
      assets: [],
      accounts: 10,
      seed,
      keeperDelayBlocks: 0,
      keeperOutages: [],
      chain: "in-process",
      pathStart: 0,
      pathEnd: 1,
    },
  };
}

describe("simulation verdict and comparison", function () {
  it("counts bad debt booked and the shortfall still open, as a share of initial borrows", function () {
    expect(
      lossPct(run({ badDebt: { baseUnits: "1", usd: 30, pctOfInitialBorrows: 0.3 }, openShortfallUsd: 20 })),
    ).to.equal(0.5);
    expect(lossPct(run({ initialBorrows: { baseUnits: "0", usd: 0 } }))).to.equal(0);
  });

  it("says LOSS or NO LOSS without limits, PASS or FAIL with them, naming every limit exceeded", function () {
    const lossy = run({ badDebt: { baseUnits: "1", usd: 30, pctOfInitialBorrows: 0.3 }, lenderLossPct: 0.2 });
    expect(verdictOf(run(), NO_LIMITS).status).to.equal("NO LOSS");
    expect(verdictOf(lossy, NO_LIMITS).status).to.equal("LOSS");
    expect(verdictOf(lossy, { maxBadDebtPct: 0.3, maxLenderLossPct: null }).status).to.equal("PASS");
    const fail = verdictOf(lossy, { maxBadDebtPct: 0.29, maxLenderLossPct: 0.1 });
    expect(fail.status).to.equal("FAIL");
    expect(fail.exceeded).to.deep.equal([
      "bad debt 0.30% > --max-bad-debt 0.29%",
      "lender loss 0.20% > --max-lender-loss 0.10%",
    ]);
    expect(fail.line).to.equal(
      "verdict static: FAIL — bad debt 0.30% of borrows (limit 0.29%): $30.00 booked + $0.00 open; lender loss 0.20% (limit 0.10%)",
    );
    // The lender loss limit is on the worst point: a 2% dip that recovered to 1.5% fails a 1.6% limit.
    const dipped = run({
      lenderLossPct: 1.5,
      series: [{ lenderLossPct: 2 } as StepRecord, { lenderLossPct: 1.5 } as StepRecord],
    });
    const worst = verdictOf(dipped, { maxBadDebtPct: null, maxLenderLossPct: 1.6 });
    expect(worst.status).to.equal("FAIL");
    expect(worst.exceeded).to.deep.equal(["lender loss 2.00% > --max-lender-loss 1.60%"]);
    expect(worstLenderLossPct(dipped)).to.equal(2);
    // An open shortfall alone fails a zero limit: a loss not yet written off is still a loss.
    expect(verdictOf(run({ openShortfallUsd: 1 }), { maxBadDebtPct: 0, maxLenderLossPct: null }).status).to.equal(
      "FAIL",
    );
  });

  it("reads the limits as percentages and refuses negative or impossible ones in words", function () {
    expect(percentLimit("max-bad-debt", "0.5")).to.equal(0.5);
    expect(percentLimit("max-bad-debt", "2%")).to.equal(2);
    expect(percentLimit("max-bad-debt", undefined)).to.equal(null);
    expect(thrown(() => percentLimit("max-bad-debt", "-1"), UsageError)).to.equal(
      "--max-bad-debt cannot be negative: give a percentage such as 0.5, not -1",
    );
    expect(thrown(() => parseCliArgs(["--max-lender-loss", "-1"]), UsageError)).to.contain("cannot be negative");
    expect(thrown(() => parseCliArgs(["--max-bad-debt", "lots"]), UsageError)).to.equal(
      '--max-bad-debt must be a percentage from 0 to 100 such as 0.5, got "lots"',
    );
    expect(thrown(() => parseCliArgs(["--max-bad-debt", "101"]), UsageError)).to.contain("from 0 to 100");
  });

  it("takes --compare with exactly two files", function () {
    expect(parseCliArgs(["--compare", "a.json", "b.json"], "/x")).to.deep.equal({
      compare: ["/x/a.json", "/x/b.json"],
    });
    for (const argv of [
      ["--compare", "a.json"],
      ["--compare", "a", "b", "c"],
      ["--seed", "s", "--compare", "a", "b"],
    ]) {
      expect(
        thrown(() => parseCliArgs(argv), UsageError),
        argv.join(" "),
      ).to.contain("--compare takes two");
    }
  });

  it("lists inputs and deployed parameters that changed, and each run's outcomes with B − A", function () {
    const a = report({ static: run({ deployed: { "WETH.liquidationThreshold": 0.85, "engine.timeRamp": 1800 } }) });
    const b = report(
      {
        static: run({
          liquidations: 12,
          minHealthFactor: 0.8,
          deployed: { "WETH.liquidationThreshold": 0.8, "engine.timeRamp": 1800 },
        }),
      },
      "t",
    );
    expect(inputChanges(a, b)).to.deep.equal([
      ["seed", "s", "t"],
      ["static WETH.liquidationThreshold", "0.85", "0.8"],
    ]);
    const text = compareReports(a, b, ["a.json", "b.json"]);
    expect(text).to.match(/liquidations +10 +12 +\+2/);
    expect(text).to.match(/min health factor +0\.900 +0\.800 +-0\.100/);
    expect(compareReports(a, a, ["a", "a"])).to.contain("Inputs: the same commit, options and deployed parameters.");
    // A run only one report has is named, not compared.
    expect(compareReports(a, report({ static: run(), adaptive: run({ params: "adaptive" }) }), ["a", "b"])).to.match(
      /adaptive:\n {2}only in B/,
    );
  });

  it("refuses a file that is not a report, naming it", function () {
    expect(thrown(() => readReport("/nonexistent/report.json"), ReportFileError)).to.equal(
      "/nonexistent/report.json: no such file",
    );
    expect(thrown(() => readReport("package.json"), ReportFileError)).to.equal(
      'package.json: not a simulation report (it has no "meta" and "runs")',
    );
    const dir = mkdtempSync(path.join(tmpdir(), "bulwark-compare-"));
    const write = (name: string, json: unknown): string => {
      const file = path.join(dir, name);
      writeFileSync(file, JSON.stringify(json));
      return file;
    };
    const nullMeta = write("null-meta.json", { meta: null, runs: {} });
    expect(thrown(() => readReport(nullMeta), ReportFileError)).to.contain('it has no "meta" and "runs"');
    const emptyRun = write("empty-run.json", { meta: { scenario: "x", seed: "s" }, runs: { static: {} } });
    expect(thrown(() => readReport(emptyRun), ReportFileError)).to.equal(
      `${emptyRun}: runs.static is not a run of npm run simulate (its figures are missing)`,
    );
    const oddMode = write("odd-mode.json", { ...report({ static: run() }), runs: { fancy: run() } });
    expect(thrown(() => readReport(oddMode), ReportFileError)).to.contain("runs.fancy is not a run");
    rmSync(dir, { recursive: true, force: true });
  });
});
