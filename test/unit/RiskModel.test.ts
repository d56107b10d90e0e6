/**
 * The Monte Carlo's pure parts (scripts/lib/risk/): the price model fitted to the shipped crashes (the fit, what a
 * path looks like, that it repeats exactly for a seed and index, that the sampled paths reproduce the data's
 * volatility and correlation, that jumps come at the fitted rate and blocks hold together), the loss statistics (VaR
 * and ES as documented) and the parameter settings of a sweep.
 */
import { expect } from "chai";

import { near } from "./helpers/approx.js";

import {
  MODEL_ASSETS,
  PATH_START,
  STEP_SECONDS,
  fitModel,
  sampleReturns,
  samplePath,
  sampleStats,
  type FittedModel,
  type Returns,
} from "../../scripts/lib/risk/model.js";
import { borrowingPower, collateralSpecs, engineParamsFor, settingGrid } from "../../scripts/lib/risk/settings.js";
import { distribution, expectedShortfall, summarise, valueAtRisk } from "../../scripts/lib/risk/stats.js";
import type { PathOutcome } from "../../scripts/lib/risk/session.js";
import { priceWadOf } from "../../scripts/lib/sim/simMarket.js";
import { DEFAULT_ENGINE_PARAMS } from "../../scripts/lib/testMarket.js";

const beyond = (model: FittedModel, r: Returns): boolean =>
  r.some((x, a) => Math.abs(x) > model.options.jumpSigmas * model.robustSigma[a]);

describe("Monte Carlo price model", () => {
  const model = fitModel();

  it("is fitted to every shipped crash with both assets hourly, jump hours split from the body", () => {
    expect(model.sources).to.deep.equal(["black-thursday-2020", "may-2021", "luna-2022", "aug-2024"]);
    // 72 + 60 + 192 + 96 joint hourly returns.
    expect(model.hours).to.equal(420);
    expect(model.jumps.length).to.be.greaterThan(10);
    expect(model.jumpRate).to.equal(model.jumps.length / model.hours);
    expect(model.body.reduce((n, s) => n + s.returns.length, 0) + model.jumps.length).to.equal(model.hours);
    for (const jump of model.jumps) expect(beyond(model, jump)).to.equal(true);
    for (const segment of model.body) for (const r of segment.returns) expect(beyond(model, r)).to.equal(false);
    // Black Thursday's worst hour (ETH −21%) is in the data, and a jump.
    expect(Math.exp(model.data.worstHour[0]) - 1).to.be.lessThan(-0.2);
    expect(model.data.correlation).to.be.within(0.85, 0.98);
  });

  it("draws a path of hourly steps from the default prices, the base asset at $1", () => {
    const steps = samplePath(model, "bulwark", 7, 24);
    expect(steps).to.have.length(25);
    steps.forEach((step, h) => expect(step.timestamp).to.equal(PATH_START + h * STEP_SECONDS));
    expect(steps[0].priceWad).to.deep.equal({ USDC: priceWadOf(1), WETH: priceWadOf(3000), WBTC: priceWadOf(60000) });
    for (const step of steps) expect(step.priceWad.USDC).to.equal(priceWadOf(1));
    // The prices compound the sampled returns.
    const returns = sampleReturns(model, "bulwark", 7, 24);
    const eth = 3000 * Math.exp(returns.reduce((sum, r) => sum + r[0], 0));
    near(Number(steps[24].priceWad.WETH) / 1e18, eth, eth * 1e-9);
  });

  it("repeats a path exactly for its seed and index, and draws another for another index or seed", () => {
    expect(samplePath(model, "bulwark", 3, 48)).to.deep.equal(samplePath(model, "bulwark", 3, 48));
    // A path does not depend on the others drawn before it (shards draw different subsets).
    sampleReturns(model, "bulwark", 99, 48);
    expect(sampleReturns(model, "bulwark", 3, 48)).to.deep.equal(sampleReturns(fitModel(), "bulwark", 3, 48));
    expect(sampleReturns(model, "bulwark", 4, 48)).to.not.deep.equal(sampleReturns(model, "bulwark", 3, 48));
    expect(sampleReturns(model, "other", 3, 48)).to.not.deep.equal(sampleReturns(model, "bulwark", 3, 48));
    // A shorter path is the longer one's start.
    expect(sampleReturns(model, "bulwark", 3, 12)).to.deep.equal(sampleReturns(model, "bulwark", 3, 48).slice(0, 12));
  });

  it("reproduces the data's hourly volatility and cross-asset correlation", () => {
    const sampled = Array.from({ length: 1500 }, (_, i) => sampleReturns(model, "check", i, 24)).flat();
    const stats = sampleStats(sampled);
    for (let a = 0; a < MODEL_ASSETS.length; a++) {
      expect(stats.sigma[a] / model.data.sigma[a]).to.be.within(0.9, 1.1);
    }
    near(stats.correlation, model.data.correlation, 0.03);
  });

  it("adds jumps at the data's rate times the jump scale, and none at scale 0", () => {
    const countJumps = (m: FittedModel): number => {
      let jumps = 0;
      let hours = 0;
      for (let i = 0; i < 1000; i++) {
        for (const r of sampleReturns(m, "jumps", i, 24)) {
          hours++;
          if (beyond(m, r)) jumps++;
        }
      }
      return jumps / hours;
    };
    // Without jumps every sampled hour is a body hour: inside the threshold.
    expect(countJumps(fitModel({ jumpScale: 0 }))).to.equal(0);
    // An hour has at least one jump with probability 1 − e^−λ; a body hour plus a jump lands beyond the threshold
    // most of the time (a jump against the hour's own move can land inside it).
    const withJump = (rate: number): number => 1 - Math.exp(-rate);
    const rate = countJumps(model);
    expect(rate).to.be.within(withJump(model.jumpRate) * 0.75, withJump(model.jumpRate) * 1.02);
    const doubled = countJumps(fitModel({ jumpScale: 2 }));
    expect(doubled).to.be.within(rate * 1.6, rate * 2.2);
  });

  it("keeps blocks of consecutive data hours, of the mean length asked", () => {
    const continuedShare = (blockHours: number): number => {
      const m = fitModel({ blockHours, jumpScale: 0 });
      // Each body hour's successor within its segment (wrapping around), by identity: return vectors are objects.
      const successor = new Map<Returns, Returns>();
      for (const segment of m.body) {
        segment.returns.forEach((r, k) => successor.set(r, segment.returns[(k + 1) % segment.returns.length]));
      }
      const body = new Set(m.body.flatMap((segment) => segment.returns));
      let continued = 0;
      let pairs = 0;
      for (let i = 0; i < 300; i++) {
        const path = sampleReturns(m, "blocks", i, 48).map((r) => [...body].find((b) => b.every((x, a) => x === r[a])));
        for (let h = 1; h < path.length; h++, pairs++) if (path[h] === successor.get(path[h - 1]!)) continued++;
      }
      return continued / pairs;
    };
    // A block goes on with probability 1 − 1/L (a new block can also land on the successor, rarely).
    expect(continuedShare(6)).to.be.within(0.79, 0.87);
    expect(continuedShare(1)).to.be.below(0.05);
    expect(continuedShare(48)).to.be.above(0.9);
  });

  it("refuses options outside their ranges", () => {
    expect(() => fitModel({ blockHours: 0 })).to.throw(/blockHours/);
    expect(() => fitModel({ jumpSigmas: 1 })).to.throw(/jumpSigmas/);
    expect(() => fitModel({ jumpScale: -1 })).to.throw(/jumpScale/);
    expect(() => fitModel({}, [])).to.throw(/at least two hours/);
  });
});

describe("Monte Carlo statistics", () => {
  const oneToHundred = Array.from({ length: 100 }, (_, i) => i + 1);

  it("VaR_q is L[⌈q·n⌉ − 1] and ES_q the mean from it up, whatever the order", () => {
    const shuffled = [...oneToHundred].reverse();
    expect(valueAtRisk(shuffled, 0.95)).to.equal(95);
    expect(valueAtRisk(shuffled, 0.99)).to.equal(99);
    // q·n = 95 is whole: the mean of the worst 5.
    expect(expectedShortfall(shuffled, 0.95)).to.equal((96 + 97 + 98 + 99 + 100) / 5);
    // q·n = 9.5 of 10: the worst outcome, and half of the boundary one, over 0.5 path.
    expect(expectedShortfall([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.95)).to.equal(10);
    near(expectedShortfall([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.85), (0.5 * 9 + 10) / 1.5, 1e-12);
    // 0.95 × 200 is 190 exactly: the 190th smallest.
    const twoHundred = Array.from({ length: 200 }, (_, i) => i);
    expect(valueAtRisk(twoHundred, 0.95)).to.equal(189);
    expect(valueAtRisk([5], 0.99)).to.equal(5);
    expect(expectedShortfall([5], 0.99)).to.equal(5);
    expect(expectedShortfall(twoHundred, 0.95)).to.equal((190 + 199) / 2);
    expect(valueAtRisk([], 0.95)).to.equal(0);
    expect(expectedShortfall([], 0.95)).to.equal(0);
    const d = distribution(oneToHundred);
    expect(d).to.deep.equal({ mean: 50.5, var95: 95, var99: 99, es95: 98, max: 100 });
    expect(d.es95).to.be.at.least(d.var95);
  });

  it("handles runs far larger than a function's argument limit", () => {
    // 300,000 values: spreading them into Math.max would throw RangeError.
    const many = Array.from({ length: 300_000 }, (_, i) => i % 1000);
    expect(distribution(many).max).to.equal(999);
    expect(distribution(many).var99).to.equal(989);
    const hours = Array.from({ length: 300_000 }, (_, i): Returns => [Math.sin(i) / 100, Math.cos(i) / 100]);
    near(sampleStats(hours).worstHour[0], -0.01, 1e-6);
    // One hour has no spread: zero, not NaN.
    expect(sampleStats([[0.01, 0.02]])).to.deep.equal({
      hours: 1,
      sigma: [0, 0],
      correlation: 0,
      worstHour: [0.01, 0.02],
    });
  });

  it("summarises outcomes the same in any order, with the shares of paths that lost", () => {
    const outcome = (index: number, badDebtUsd: number, lossUsd: number, trips: number): PathOutcome => ({
      index,
      badDebtUsd,
      lossUsd,
      lenderLossPct: badDebtUsd / 1000,
      liquidations: index,
      breakerTrips: trips,
      breakerHours: trips,
      minHealth: 0.9,
      failedKeeperTxs: 0,
    });
    const rows = [outcome(0, 0, 0, 0), outcome(1, 10, 10, 1), outcome(2, 0, 5, 0), outcome(3, 30, 30, 2)];
    const summary = summarise(rows);
    expect(summarise([...rows].reverse())).to.deep.equal(summary);
    expect(summary.paths).to.equal(4);
    expect(summary.probBadDebt).to.equal(0.5);
    expect(summary.probLoss).to.equal(0.75);
    expect(summary.probBreakerTrip).to.equal(0.5);
    expect(summary.badDebtUsd.mean).to.equal(10);
    expect(summary.badDebtUsd.var95).to.equal(30);
    expect(summary.liquidations).to.deep.equal({ mean: 1.5, p95: 3, max: 3 });
  });
});

describe("Monte Carlo sweep settings", () => {
  it("moves every collateral's threshold and borrow LTV together, and only what is swept", () => {
    const listed = collateralSpecs({});
    expect(listed.map((s) => s.symbol)).to.deep.equal(["WETH", "WBTC"]);
    expect(listed[0].collateral).to.deep.equal({ borrowLtv: 0.8, liquidationThreshold: 0.85, liquidationBonus: 0.05 });
    const lower = collateralSpecs({ threshold: 0.75 });
    expect(lower[0].collateral).to.deep.equal({ borrowLtv: 0.7, liquidationThreshold: 0.75, liquidationBonus: 0.05 });
    expect(lower[1].collateral).to.deep.equal({ borrowLtv: 0.7, liquidationThreshold: 0.75, liquidationBonus: 0.065 });
    expect(collateralSpecs({ bonus: 0.08 })[1].collateral?.liquidationBonus).to.equal(0.08);
    expect(engineParamsFor({})).to.equal(DEFAULT_ENGINE_PARAMS);
    expect(engineParamsFor({ targetHealth: 1.2 }).targetHealth).to.equal(1_200_000_000_000_000_000n);
    expect(engineParamsFor({ targetHealth: 1.2 }).fullCloseHealth).to.equal(DEFAULT_ENGINE_PARAMS.fullCloseHealth);
  });

  it("gives more borrowing power, and more borrows, at a higher threshold", () => {
    const low = borrowingPower({ threshold: 0.75 }, 200, "bulwark");
    const listed = borrowingPower({}, 200, "bulwark");
    const high = borrowingPower({ threshold: 0.9 }, 200, "bulwark");
    expect(low.power).to.be.below(listed.power);
    expect(listed.power).to.be.below(high.power);
    expect(low.borrowsUsd).to.be.below(high.borrowsUsd);
    expect(listed.power).to.be.within(0.73, 0.8);
  });

  it("crosses sweeps into a grid, the first varying slowest", () => {
    expect(settingGrid([])).to.deep.equal([{}]);
    expect(
      settingGrid([
        { name: "threshold", values: [0.8, 0.85] },
        { name: "bonus", values: [0.05, 0.1] },
      ]),
    ).to.deep.equal([
      { threshold: 0.8, bonus: 0.05 },
      { threshold: 0.8, bonus: 0.1 },
      { threshold: 0.85, bonus: 0.05 },
      { threshold: 0.85, bonus: 0.1 },
    ]);
  });
});
