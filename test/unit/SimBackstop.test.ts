/**
 * Issue 26 in the crash simulation: `--backstop PCT` stakes a first-loss backstop with PCT% of the borrows and runs the
 * recovery module; each Bulwark run is replayed without them too, and the report shows what the backstop absorbed,
 * recovered and lost, and the lenders' loss with and without it. Also the CLI's checks of the flag.
 */
import path from "node:path";

import { expect } from "chai";

import { near } from "./helpers/approx.js";
import { summaryTable } from "../../scripts/lib/sim/report.js";
import { runSimulation, type SimulationConfig, type SimulationUi } from "../../scripts/lib/sim/run.js";
import { SCENARIO_DIR, scenario } from "../../scripts/lib/sim/scenarios.js";
import { UsageError, parseCliArgs } from "../../scripts/lib/sim/simulateCli.js";
import { backstopVerdicts } from "../../scripts/lib/bench/solvencyComparison.js";
import { rowOf } from "../../scripts/lib/sim/solvency.js";
import type { RunReport, SimulationReport } from "../../scripts/lib/sim/types.js";

const quiet: SimulationUi = { phase: () => undefined, progress: () => undefined };

function config(overrides: Partial<SimulationConfig>): SimulationConfig {
  const shipped = scenario("black-thursday-2020");
  return {
    scenario: shipped.name,
    description: shipped.description,
    prices: new Map(Object.entries(shipped.prices).map(([symbol, file]) => [symbol, path.join(SCENARIO_DIR, file)])),
    accounts: 60,
    seed: "bulwark",
    params: "static",
    keeperDelayBlocks: 0,
    keeperOutages: [],
    ...overrides,
  };
}

describe("crash simulation with a first-loss backstop (issue 26)", function () {
  this.timeout(300_000);
  let report: SimulationReport;
  let run: RunReport;

  before(async () => {
    report = await runSimulation(config({ backstopShare: 0.01 }), quiet);
    run = report.runs.static as RunReport;
  });

  it("stakes 1% of the borrows, and the backstop takes the loss past reserves that lenders bore without it", () => {
    const backstop = run.backstop;
    if (backstop === undefined) throw new Error("no backstop figures");
    expect(report.meta.backstopPct).to.equal(1);
    expect(backstop.sharePct).to.equal(1);
    near(backstop.stakeUsd, run.initialBorrows.usd / 100, 1);
    const without = backstop.without;
    if (without === undefined) throw new Error("no run without the backstop");
    // Without it lenders lost part of their value; with it, at most a tenth of that (issue 26's goal).
    expect(without.lenderLossPct).to.be.greaterThan(0);
    expect(run.lenderLossPct).to.be.at.most(without.lenderLossPct / 10);
    // What it paid is the bad debt reserves could not absorb, within its stake; its loss is what it paid, net of
    // what recovery gave back and what it still holds for provisions.
    expect(backstop.absorbedUsd).to.be.greaterThan(0);
    expect(backstop.absorbedUsd).to.be.at.most(backstop.stakeUsd);
    expect(backstop.absorbedUsd).to.be.at.most(run.badDebt.usd);
    near(backstop.netLossUsd, backstop.absorbedUsd + backstop.earmarkedEndUsd - backstop.recoveredUsd, 0.01);
    expect(backstop.recoveredUsd).to.be.at.most(backstop.recoveryProceedsUsd);
    // The same crash, the same liquidations: the backstop changes who bears the loss, not how much there is.
    near(run.badDebt.usd, without.badDebtUsd, without.badDebtUsd * 0.01 + 1);
    expect(backstopVerdicts([rowOf("black-thursday-2020", run)])[0].verdict).to.equal("met");
  });

  it("prints the backstop's rows beside the usual ones", () => {
    const table = summaryTable(report);
    for (const row of ["Backstop stake", "Backstop absorbed", "Backstop net loss", "Lender loss without backstop"]) {
      expect(table).to.contain(row);
    }
  });

  it("refuses a bad --backstop in one line", () => {
    expect(parseCliArgs(["--backstop", "1"])).to.include({ backstopShare: 0.01 });
    for (const [args, message] of [
      [["--backstop", "0"], "--backstop must be above 0%"],
      [["--backstop", "abc"], "--backstop must be a percentage"],
      [["--backstop", "-1"], "--backstop cannot be negative"],
      [["--backstop", "1", "--params", "morpho"], "--backstop needs a Bulwark run"],
    ] as const) {
      expect(() => parseCliArgs(args), args.join(" ")).to.throw(UsageError, message);
    }
  });
});
