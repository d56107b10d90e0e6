/**
 * The crash simulation on the in-process chain (scripts/lib/sim/): a shipped crash in both parameter modes, the
 * same seed giving the same run, a calm market leaving breakers and parameters alone, a keeper outage, and the
 * CLI's errors for a missing file, a malformed CSV and an unknown asset. Fork mode is in Simulate.fork.test.ts.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";

import { Rng } from "../../scripts/lib/sim/population.js";
import { near } from "./helpers/approx.js";
import { runScript, type ScriptRun } from "./helpers/runScript.js";
import { smallStaticRun } from "./helpers/simRun.js";
import { readReport } from "../../scripts/lib/sim/compare.js";
import { summaryTable, writeReports } from "../../scripts/lib/sim/report.js";
import { runSimulation, type SimulationConfig, type SimulationUi } from "../../scripts/lib/sim/run.js";
import { SCENARIO_DIR, scenario } from "../../scripts/lib/sim/scenarios.js";
import type { RunReport, SimulationReport } from "../../scripts/lib/sim/types.js";

const quiet: SimulationUi = { phase: () => undefined, progress: () => undefined };

function config(overrides: Partial<SimulationConfig>): SimulationConfig {
  const shipped = scenario("black-thursday-2020-10min");
  return {
    scenario: shipped.name,
    description: shipped.description,
    prices: new Map(Object.entries(shipped.prices).map(([symbol, file]) => [symbol, path.join(SCENARIO_DIR, file)])),
    accounts: 40,
    seed: "test",
    params: "static",
    keeperDelayBlocks: 0,
    keeperOutages: [],
    ...overrides,
  };
}

/** A calm random walk: `steps` closes `interval` seconds apart at annualised volatility `sigma`, seeded. */
function calmPath(seed: string, start: number, sigma: number, steps: number, interval: number): string {
  const rng = new Rng(seed);
  const perStep = sigma * Math.sqrt(interval / (365 * 86_400));
  const rows = ["timestamp,price"];
  let price = start;
  for (let i = 0; i < steps; i++) {
    rows.push(`${1_700_000_000 + i * interval},${price.toFixed(2)}`);
    price *= Math.exp(perStep * rng.normal() - (perStep * perStep) / 2);
  }
  return rows.join("\n");
}

const cli = (args: readonly string[]): Promise<ScriptRun> => runScript("scripts/simulate.ts", args);

describe("crash simulation (in-process)", function () {
  this.timeout(300_000);
  let dir: string;
  let both: SimulationReport;

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "bulwark-sim-"));
    both = await runSimulation(config({ params: "both" }), quiet);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("replays Black Thursday in both modes and reports every figure", () => {
    expect(Object.keys(both.runs)).to.deep.equal(["static", "adaptive"]);
    // The top level is the adaptive run (the protocol as shipped), every run is in `runs`.
    expect(both.badDebt).to.deep.equal(both.runs.adaptive!.badDebt);
    expect(both.meta.assets.map((a) => a.symbol)).to.deep.equal(["USDC", "WETH", "WBTC"]);
    expect(both.meta.pathStart).to.equal(1583971800);
    for (const run of [both.runs.static!, both.runs.adaptive!]) {
      expect(run.steps).to.equal(144);
      expect(run.series).to.have.length(144);
      expect(run.blocks).to.be.greaterThanOrEqual(144);
      expect(run.liquidations).to.be.greaterThan(0);
      expect(BigInt(run.liquidatedDebt.baseUnits)).to.be.greaterThan(0n);
      expect(run.minHealthFactor).to.be.lessThan(1);
      expect(run.breakerTrips).to.be.greaterThan(0);
      expect(run.timeInBreakerSeconds).to.be.greaterThan(0);
      expect(run.borrowersAtStart).to.equal(40);
      expect(run.wallSeconds).to.be.greaterThan(0);
      expect(BigInt(run.initialBorrows.baseUnits)).to.be.greaterThan(0n);
      // The series sum to the totals.
      expect(run.series.reduce((n, s) => n + s.liquidations, 0)).to.be.at.most(run.liquidations);
      // ETH's path reached the oracle: the adapter's price at the day's low is the path's.
      const low = run.series.reduce((a, b) => (b.price.WETH < a.price.WETH ? b : a));
      near(low.oraclePrice.WETH, low.price.WETH, low.price.WETH * 0.005);
      near(low.poolPrice.WETH, low.price.WETH, low.price.WETH * 0.02);
    }
    // Static keeps the listed parameters; adaptive tightens WETH during the crash.
    const ltv = (run: RunReport) => Math.min(...run.series.map((s) => s.borrowLtv.WETH));
    expect(ltv(both.runs.static!)).to.equal(0.8);
    expect(ltv(both.runs.adaptive!)).to.be.lessThan(0.75);
  });

  it("gives the same run for the same seed", async () => {
    const again = await runSimulation(config({ params: "static" }), quiet);
    const a = both.runs.static!;
    const b = again.runs.static!;
    expect(b.badDebt).to.deep.equal(a.badDebt);
    expect(b.liquidatedDebt).to.deep.equal(a.liquidatedDebt);
    expect(b.liquidations).to.equal(a.liquidations);
    expect(b.series.map((s) => s.minHealth)).to.deep.equal(a.series.map((s) => s.minHealth));
  });

  it("writes report.json and report.html, and a summary table with one column per run", () => {
    const files = writeReports(both, path.join(dir, "out"));
    const json = JSON.parse(readFileSync(files.json, "utf8")) as SimulationReport;
    for (const key of [
      "badDebt",
      "liquidations",
      "liquidatedDebt",
      "breakerTrips",
      "timeInBreakerSeconds",
      "lenderLossPct",
      "minHealthFactor",
      "steps",
      "wallSeconds",
      "series",
    ]) {
      expect(json, key).to.have.property(key);
    }
    expect(json.badDebt).to.have.keys(["baseUnits", "usd", "pctOfInitialBorrows"]);
    expect(readFileSync(files.html, "utf8")).to.contain('<script id="chart-data" type="application/json">');
    const table = summaryTable(both);
    expect(table).to.match(/static\s+adaptive/);
    expect(table).to.contain("Bad debt").and.contain("Breaker trips");
  });

  it("records the commit, the options and every run's parameters as its contracts hold them (issue 20)", () => {
    const meta = both.meta;
    expect(meta.params).to.equal("both");
    expect(meta.limits).to.deep.equal({ maxBadDebtPct: null, maxLenderLossPct: null });
    expect(meta.commit?.sha).to.match(/^[0-9a-f]{40}$/);
    expect(meta.commit?.dirty).to.be.a("boolean");
    near(Date.parse(meta.generatedAt ?? ""), Date.now(), 3_600_000);
    const fixed = both.runs.static!.deployed!;
    const adaptive = both.runs.adaptive!.deployed!;
    // As listed for WETH (scenarios.ts) and the engine's defaults (testMarket.ts), read back from the contracts.
    expect(fixed["WETH.borrowLtv"]).to.equal(0.8);
    expect(fixed["WETH.liquidationThreshold"]).to.equal(0.85);
    expect(fixed["engine.targetHealth"]).to.equal(1.05);
    expect(fixed["engine.timeRamp"]).to.equal(1800);
    expect(fixed["WETH.oracle.heartbeat"]).to.equal(3600);
    expect(fixed["USDC.breaker.maxFall"]).to.be.a("number");
    expect(Object.keys(fixed).some((key) => key.includes(".risk."))).to.equal(false);
    expect(adaptive["WETH.risk.ltvK"]).to.be.a("number");
    expect(adaptive["risk.horizon"]).to.be.a("number");
  });

  it("leaves breakers and adaptive parameters alone on a calm day", async () => {
    // Twelve hours at 2-minute closes; ETH at 45% and BTC at 35% annualised, under their 80% and 70% references.
    const weth = path.join(dir, "calm-weth.csv");
    const wbtc = path.join(dir, "calm-wbtc.csv");
    writeFileSync(weth, calmPath("calm-eth", 3000, 0.45, 360, 120));
    writeFileSync(wbtc, calmPath("calm-btc", 60000, 0.35, 360, 120));
    const calm = await runSimulation(
      config({
        scenario: "calm",
        prices: new Map([
          ["WETH", weth],
          ["WBTC", wbtc],
        ]),
        params: "adaptive",
      }),
      quiet,
    );
    const run = calm.runs.adaptive!;
    expect(run.steps).to.equal(360);
    expect(run.breakerTrips).to.equal(0);
    expect(run.timeInBreakerSeconds).to.equal(0);
    expect(run.series.every((s) => Object.values(s.breakerLevel).every((level) => level === 0))).to.equal(true);
    expect(run.liquidations).to.equal(0);
    expect(run.badDebt.baseUnits).to.equal("0");
    // Base values: WETH 80% / 85%, WBTC 73% / 78%; within half a point all day.
    for (const s of run.series) {
      near(s.borrowLtv.WETH, 0.8, 0.005);
      near(s.liquidationThreshold.WETH, 0.85, 0.005);
      near(s.borrowLtv.WBTC, 0.73, 0.005);
      near(s.liquidationThreshold.WBTC, 0.78, 0.005);
    }
  });

  it("does nothing during a keeper outage and catches up after it", async () => {
    // The static run liquidates during the 10:30-11:10 UTC fall; take the keeper down from 10:00 to 12:00.
    const from = 10 * 3600 - 600;
    const to = 12 * 3600 - 600;
    const base = both.runs.static!;
    const start = base.series[0].timestamp;
    const inside = (run: RunReport) =>
      run.series.filter((s) => s.timestamp - start >= from && s.timestamp - start < to + 600);
    expect(inside(base).reduce((n, s) => n + s.liquidations, 0)).to.be.greaterThan(0);
    const outage = await runSimulation(config({ keeperOutages: [{ from, to }] }), quiet);
    const run = outage.runs.static!;
    const during = run.series.filter((s) => s.timestamp - start >= from && s.timestamp - start < to);
    expect(during.reduce((n, s) => n + s.liquidations, 0)).to.equal(0);
    expect(Math.min(...during.map((s) => s.minHealth ?? Infinity))).to.be.lessThan(1);
    const after = run.series.filter((s) => s.timestamp - start >= to && s.timestamp - start < to + 1200);
    expect(after.reduce((n, s) => n + s.liquidations, 0)).to.be.greaterThan(0);
  });

  describe("CLI errors", () => {
    it("names a missing price file", async () => {
      const run = await cli(["--prices", `WETH=${path.join(dir, "nope.csv")}`]);
      expect(run.code).to.equal(1);
      expect(run.stderr).to.contain("nope.csv: no such file");
    });

    it("names the line of a malformed CSV", async () => {
      const file = path.join(dir, "bad.csv");
      writeFileSync(file, "timestamp,price\n1700000000,2000\n1700000060,abc\n");
      const run = await cli(["--prices", `WETH=${file}`]);
      expect(run.code).to.equal(1);
      expect(run.stderr).to.contain("bad.csv:3: price is not a positive decimal");
    });

    it("refuses millisecond timestamps and one-row paths in one line, exit 1 (issue 20)", async () => {
      const ms = path.join(dir, "ms.csv");
      writeFileSync(ms, "timestamp,price\n1700000000000,2000\n1700000060000,1900\n");
      const run = await cli(["--prices", `WETH=${ms}`]);
      expect(run.code).to.equal(1);
      expect(run.stderr)
        .to.contain("ms.csv:2: timestamp looks like milliseconds")
        .and.contain("divide the column by 1000");
      const one = path.join(dir, "one.csv");
      writeFileSync(one, "timestamp,price\n1700000000,2000\n");
      const single = await cli(["--prices", `WETH=${one}`]);
      expect(single.code).to.equal(1);
      expect(single.stderr).to.contain("one.csv: one price row; a path needs at least two");
    });

    it("refuses timestamps out of order, non-positive prices and week-long gaps in one line each, exit 1 (issue 20)", async () => {
      const files: Array<[string, string, string]> = [
        [
          "order.csv",
          "timestamp,price\n1700000060,2000\n1700000000,1900\n",
          "order.csv:3: timestamp 1700000000 is not after the row before",
        ],
        ["negative.csv", "timestamp,price\n1700000000,2000\n1700000060,-1900\n", "negative.csv:3: price is negative"],
        ["zero.csv", "timestamp,price\n1700000000,2000\n1700000060,0\n", "zero.csv:3: price is zero"],
        [
          "gap.csv",
          "timestamp,price\n1700000000,2000\n1700700000,1900\n",
          "gap.csv:3: 700000 s (8.10 days) after the row before",
        ],
      ];
      for (const [name, text, message] of files) {
        const file = path.join(dir, name);
        writeFileSync(file, text);
        const run = await cli(["--prices", `WETH=${file}`]);
        expect(run.code, name).to.equal(1);
        expect(run.stderr, name).to.contain(message);
        expect(run.stderr.trim().split("\n"), name).to.have.length(1);
        expect(run.stderr, name).to.not.match(/\n\s+at /);
      }
    });

    it("names an unknown asset and lists the known ones", async () => {
      const file = path.join(dir, "doge.csv");
      writeFileSync(file, "timestamp,price\n1700000000,0.1\n1700000060,0.1\n");
      const run = await cli(["--prices", `DOGE=${file}`]);
      expect(run.code).to.equal(1);
      expect(run.stderr).to.contain('unknown asset "DOGE"').and.contain("WETH");
    });

    it("refuses a bad flag in one line, without the usage text, and exits 2", async () => {
      const run = await cli(["--params", "sometimes"]);
      expect(run.code).to.equal(2);
      expect(run.stderr).to.equal(
        'simulate: --params must be static, adaptive, morpho, both or all, got "sometimes" (npm run simulate -- --help lists the options)\n',
      );
      expect(existsSync(path.join(dir, "out-bad"))).to.equal(false);
      const negative = await cli(["--accounts", "-5"]);
      expect(negative.code).to.equal(2);
      expect(negative.stderr).to.equal(
        "simulate: --accounts (borrowers) cannot be negative: give a whole number from 1 to 10,000, not -5 (npm run simulate -- --help lists the options)\n",
      );
    });

    it("ends with a verdict per run and exits 3 when a run exceeds --max-bad-debt (issue 20)", async () => {
      // ETH −70% in one hour: positions at 80% LTV end under water, booked or still open.
      const gap = path.join(dir, "gap.csv");
      writeFileSync(gap, "timestamp,price\n1700000000,2000\n1700003600,600\n1700007200,600\n");
      const out = path.join(dir, "gap-out");
      const gapRun = (limit: string): Promise<ScriptRun> =>
        cli(smallStaticRun(["--prices", `WETH=${gap}`], out, ["--max-bad-debt", limit]));
      const run = await gapRun("0");
      expect(run.code, run.stderr).to.equal(3);
      expect(run.stdout).to.match(
        /^verdict static: FAIL — bad debt \d+\.\d\d% of borrows \(limit 0\.00%\): \$[\d,.]+ booked \+ \$[\d,.]+ open; lender loss/m,
      );
      expect(run.stderr).to.match(/simulate: static exceeds its limit: bad debt \d+\.\d\d% > --max-bad-debt 0\.00%/);
      const report = readReport(path.join(out, "report.json"));
      expect(report.meta.limits).to.deep.equal({ maxBadDebtPct: 0, maxLenderLossPct: null });
      expect(report.verdicts?.map((v) => v.status)).to.deep.equal(["FAIL"]);

      // The same run within a generous limit passes: exit 0.
      const pass = await gapRun("100");
      expect(pass.code, pass.stderr).to.equal(0);
      expect(pass.stdout).to.match(/^verdict static: PASS — /m);

      // --compare names what changed between two reports: here, a threshold and the seed edited into a copy.
      const edited = readReport(path.join(out, "report.json"));
      edited.meta.seed = "other";
      edited.runs.static!.deployed!["WETH.liquidationThreshold"] = 0.8;
      edited.runs.static!.liquidations += 2;
      const copy = path.join(dir, "edited.json");
      writeFileSync(copy, JSON.stringify(edited));
      const compared = await cli(["--compare", path.join(out, "report.json"), copy]);
      expect(compared.code, compared.stderr).to.equal(0);
      expect(compared.stdout).to.match(/seed +test +other|seed +bulwark +other/);
      expect(compared.stdout).to.match(/static WETH\.liquidationThreshold +0\.85 +0\.8/);
      expect(compared.stdout).to.match(/liquidations +\d+ +\d+ +\+2/);
      const missing = await cli(["--compare", path.join(dir, "nope.json"), copy]);
      expect(missing.code).to.equal(1);
      expect(missing.stderr).to.equal(`simulate: ${path.join(dir, "nope.json")}: no such file\n`);
      const one = await cli(["--compare", copy]);
      expect(one.code).to.equal(2);
      expect(one.stderr).to.contain("--compare takes two report.json files");
    });

    it("prints the usage only with --help, on stdout, and exits 0", async () => {
      const run = await cli(["--help"]);
      expect(run.code).to.equal(0);
      expect(run.stdout).to.contain("usage: npm run simulate --");
      expect(run.stderr).to.equal("");
    });
  });
});
