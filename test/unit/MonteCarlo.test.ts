/**
 * The Monte Carlo on the real contracts (scripts/lib/risk/, `npm run risk`), on a handful of short paths: a market
 * session replays a path from its snapshot the same whatever ran before; the CLI run whole on two workers and the
 * same run as two shards on one worker each, merged, give the same report; the report holds every figure the issue
 * names and its page draws every protocol; a sweep reports one setting per value with the borrowing power rising.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";

import { expect } from "chai";

import { fitModel, samplePath } from "../../scripts/lib/risk/model.js";
import type { RiskReport } from "../../scripts/lib/risk/riskReport.js";
import { PoolError, runPool } from "../../scripts/lib/risk/pool.js";
import { MarketSession } from "../../scripts/lib/risk/session.js";
import { runScript } from "./helpers/runScript.js";

/** A short, rough configuration: jumps four times as often as in the data, so short paths liquidate. */
const small = (paths: number): string[] => [
  "--paths",
  String(paths),
  "--hours",
  "8",
  "--accounts",
  "40",
  "--seed",
  "mc-test",
  "--jump-scale",
  "4",
];

const readJson = (file: string): RiskReport => JSON.parse(readFileSync(file, "utf8")) as RiskReport;

describe("Monte Carlo on the in-process chain", function () {
  this.timeout(600_000);
  let dir: string;

  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), "bulwark-mc-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("replays a path from the market's snapshot the same whatever the session replayed before", async () => {
    const model = fitModel({ jumpScale: 4 });
    const session = await MarketSession.open("static", {}, 40, "mc-test");
    try {
      const first = await session.run(1, samplePath(model, "mc-test", 1, 8));
      const other = await session.run(3, samplePath(model, "mc-test", 3, 8));
      const again = await session.run(1, samplePath(model, "mc-test", 1, 8));
      expect(again).to.deep.equal(first);
      expect(other).to.not.deep.equal(first);
      expect(first.liquidations + other.liquidations).to.be.greaterThan(0);
    } finally {
      await session.close();
    }
  });

  it("deploys each swept setting: the contracts hold the swept threshold, bonus and target health", async () => {
    const setting = { threshold: 0.8, bonus: 0.07, targetHealth: 1.1 };
    for (const mode of ["static", "morpho"] as const) {
      const session = await MarketSession.open(mode, setting, 10, "mc-test");
      try {
        const deployed = await session.parameters();
        if (mode === "morpho") {
          expect(deployed["WETH.lltv"]).to.equal(0.8);
          expect(deployed["WBTC.lltv"]).to.equal(0.8);
          continue;
        }
        expect(deployed["WETH.liquidationThreshold"]).to.equal(0.8);
        expect(deployed["WETH.borrowLtv"]).to.equal(0.75);
        expect(deployed["WBTC.liquidationThreshold"]).to.equal(0.8);
        expect(deployed["WBTC.borrowLtv"]).to.equal(0.75);
        expect(deployed["WETH.liquidationBonus"]).to.equal(0.07);
        expect(deployed["WBTC.liquidationBonus"]).to.equal(0.07);
        expect(deployed["engine.targetHealth"]).to.equal(1.1);
      } finally {
        await session.close();
      }
    }
  });

  it("ends a run with one clear error when a job fails or a worker dies, and hangs on neither", async () => {
    const config = {
      accounts: 10,
      seed: "mc-test",
      hours: 2,
      model: { blockHours: 6, jumpSigmas: 4, jumpScale: 1 },
      // A setting the vault refuses (threshold × (1 + bonus) ≥ 1), past the CLI's own check.
      settings: [{ threshold: 0.95, bonus: 0.2 }],
    };
    const jobs = [0, 1, 2].map((index) => ({ setting: 0, mode: "static" as const, index }));
    const heard: number[] = [];
    await expect(runPool(config, jobs, 2, (f) => heard.push(f.job.index))).to.be.rejectedWith(
      PoolError,
      /worker \d failed on path \d \(static\): .*NoLiquidationBuffer/,
    );
    expect(heard).to.deep.equal([]);
    // A worker that dies (here: one that throws at once) is named with its error, not Node's version line.
    const dir2 = mkdtempSync(path.join(tmpdir(), "bulwark-dead-worker-"));
    try {
      const entry = path.join(dir2, "dead.mjs");
      writeFileSync(entry, 'throw new Error("the worker could not start");\n');
      await expect(runPool(config, jobs, 2, () => undefined, pathToFileURL(entry))).to.be.rejectedWith(
        PoolError,
        /worker \d exited \(status 1\): .*Error: the worker could not start/,
      );
    } finally {
      rmSync(dir2, { recursive: true, force: true });
    }
  });

  it("gives the same report run whole on two workers or as two shards merged", async () => {
    const whole = await runScript("scripts/risk.ts", [...small(3), "--workers", "2", "--out", path.join(dir, "whole")]);
    expect(whole.code, whole.stderr).to.equal(0);
    for (const shard of ["0/2", "1/2"]) {
      const run = await runScript("scripts/risk.ts", [
        ...small(3),
        "--workers",
        "1",
        "--shard",
        shard,
        "--out",
        path.join(dir, "shards"),
      ]);
      expect(run.code, run.stderr).to.equal(0);
      expect(run.stdout).to.match(/shard: .*shard-[01]-of-2\.json/);
    }
    const merged = await runScript("scripts/risk.ts", [
      "--merge",
      path.join(dir, "shards"),
      "--out",
      path.join(dir, "merged"),
    ]);
    expect(merged.code, merged.stderr).to.equal(0);

    const a = readJson(path.join(dir, "whole", "risk.json"));
    const b = readJson(path.join(dir, "merged", "risk.json"));
    expect(b.settings).to.deep.equal(a.settings);
    expect(b.model).to.deep.equal(a.model);
    expect(b.config).to.deep.equal(a.config);
    expect(b.meta.shards).to.equal(2);

    // Every figure the report promises, for every protocol, over every path.
    const [setting] = a.settings;
    expect(Object.keys(setting.protocols)).to.deep.equal(["static", "adaptive", "morpho"]);
    for (const mode of ["static", "adaptive", "morpho"] as const) {
      const summary = setting.protocols[mode]!;
      expect(summary.paths).to.equal(3);
      expect(setting.paths[mode]!.map((p) => p.index)).to.deep.equal([0, 1, 2]);
      for (const field of ["badDebtUsd", "lossUsd", "lenderLossPct"] as const) {
        expect(summary[field]).to.have.all.keys("mean", "var95", "var99", "es95", "max");
        expect(summary[field].es95).to.be.at.least(summary[field].var95);
      }
      expect(summary.probBadDebt).to.be.within(0, 1);
      // A keeper transaction can revert when mined (the state moved since it was decided): counted, not hidden.
      expect(summary.failedKeeperTxs).to.equal(setting.paths[mode]!.reduce((n, p) => n + p.failedKeeperTxs, 0));
    }
    const liquidations = Object.values(setting.paths).flatMap((rows) => rows!.map((p) => p.liquidations));
    expect(
      liquidations.reduce((x, y) => x + y, 0),
      "the paths liquidate",
    ).to.be.greaterThan(0);
    expect(setting.paths.morpho!.every((p) => p.breakerHours === 0 && p.breakerTrips === 0)).to.equal(true);
    expect(a.model.synthetic.hours).to.equal(3 * 8);

    const html = readFileSync(path.join(dir, "whole", "risk.html"), "utf8");
    for (const name of ["Bulwark static", "Bulwark adaptive", "Morpho Blue"]) expect(html).to.include(name);
    expect(html.match(/<svg /g)).to.have.length(2);
    expect(html).to.not.match(/src="http|href="http/);
  });

  it("sweeps a parameter: one setting per value, borrowing power rising with the threshold", async () => {
    const run = await runScript("scripts/risk.ts", [
      ...small(2),
      "--params",
      "static",
      "--sweep",
      "threshold=0.80:0.85:0.05",
      "--out",
      path.join(dir, "sweep"),
    ]);
    expect(run.code, run.stderr).to.equal(0);
    const report = readJson(path.join(dir, "sweep", "risk.json"));
    expect(report.settings.map((s) => s.setting)).to.deep.equal([{ threshold: 0.8 }, { threshold: 0.85 }]);
    expect(report.settings[0].borrowingPower).to.be.below(report.settings[1].borrowingPower);
    expect(report.settings[0].borrowsUsd).to.be.below(report.settings[1].borrowsUsd);
    const html = readFileSync(path.join(dir, "sweep", "risk.html"), "utf8");
    expect(html).to.include("Frontier: VaR95 (solid) and ES95 (dashed) of bad debt per setting");
    expect(run.stdout).to.include("threshold=0.8 (borrowing power");
  });
});
