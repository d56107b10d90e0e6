/**
 * The crash simulation's pure parts (scripts/lib/sim/), no chain: the seeded generator and the borrower population
 * (population.ts), the merge of price paths onto one timeline (path.ts), token amounts for a USD value (simMarket.ts,
 * `unitsFor`), the terminal summary (report.ts: `summaryTable`, one column per run in report order, no breaker figures
 * for Morpho), the market's asset list (run.ts, `marketAssets`) and the off-chain mirror of the vault's
 * `accountLiquidity` (health.ts) on hand-made inputs, rounding and statuses included. What a user hands the
 * simulation (command line, scenarios, price files) is tested in SimInputs.test.ts.
 */
import { expect } from "chai";

import type { PricePoint } from "../../scripts/lib/pricePath.js";
import {
  DEGRADED,
  FAILED,
  OK,
  liquidityOf,
  mayBeLiquidatable,
  sameLiquidity,
  underwater,
  type Liquidity,
  type MarketView,
  type PriceRead,
} from "../../scripts/lib/sim/health.js";
import { healthSummary, percentile, stepAt } from "../../scripts/lib/sim/figures.js";
import { decodeBlockRead } from "../../scripts/lib/sim/readerCodec.js";
import { unitsFor } from "../../scripts/lib/sim/simMarket.js";
import { mergePaths } from "../../scripts/lib/sim/path.js";
import { Rng, planPopulation, type PopulationAsset } from "../../scripts/lib/sim/population.js";
import { summaryTable } from "../../scripts/lib/sim/report.js";
import { SimulationError, marketAssets } from "../../scripts/lib/sim/run.js";
import { KNOWN_ASSETS } from "../../scripts/lib/sim/scenarios.js";
import type { ParamsMode, RunReport, SimulationReport } from "../../scripts/lib/sim/types.js";
import { wad } from "../../scripts/lib/units.js";
import { SimReader__factory } from "../../typechain-types/index.js";
import { runReport } from "./helpers/simRun.js";
import { thrown } from "./helpers/thrown.js";

const MAX_UINT256 = (1n << 256n) - 1n;

const WETH: PopulationAsset = { symbol: "WETH", price: 3000, borrowLtv: 0.8 };
const WBTC: PopulationAsset = { symbol: "WBTC", price: 60000, borrowLtv: 0.73 };
const SOL: PopulationAsset = { symbol: "SOL", price: 150, borrowLtv: 0.65 };
const LTV: Record<string, number> = { WETH: 0.8, WBTC: 0.73, SOL: 0.65 };

describe("Simulation (pure)", function () {
  describe("Rng", function () {
    it("gives the same sequence for the same seed, and a different one for another seed", function () {
      const draw = (seed: string) => {
        const rng = new Rng(seed);
        return Array.from({ length: 50 }, () => rng.next());
      };
      const a = draw("bulwark");
      expect(draw("bulwark")).to.deep.equal(a);
      const b = draw("bulwark2");
      expect(b).to.not.deep.equal(a);
      // Not merely shifted or mostly equal: the sequences differ almost everywhere.
      expect(a.filter((x, i) => x === b[i]).length).to.be.lessThan(2);
      expect(draw("")).to.not.deep.equal(a);
      for (const x of a) expect(x).to.be.within(0, 1 - Number.EPSILON);
      expect(new Set(a).size).to.equal(a.length);
    });

    it("keeps uniform draws in [low, high) and picks in range", function () {
      const rng = new Rng("range");
      let min = Infinity;
      let max = -Infinity;
      for (let i = 0; i < 5000; i++) {
        const x = rng.uniform(-3, 7);
        expect(x).to.be.at.least(-3);
        expect(x).to.be.lessThan(7);
        min = Math.min(min, x);
        max = Math.max(max, x);
        const k = rng.pick([1, 2, 3, 4]);
        expect(Number.isInteger(k)).to.equal(true);
        expect(k).to.be.within(0, 3);
      }
      // It spans the range.
      expect(min).to.be.lessThan(-2.9);
      expect(max).to.be.greaterThan(6.9);
    });

    it("never picks an index of weight zero, and picks by weight over 20,000 draws", function () {
      const rng = new Rng("weights");
      const weights = [45, 0, 30, 25];
      const counts = [0, 0, 0, 0];
      const n = 20_000;
      for (let i = 0; i < n; i++) counts[rng.pick(weights)]++;
      expect(counts[1]).to.equal(0);
      expect(counts[0] / n).to.be.within(0.42, 0.48);
      expect(counts[2] / n).to.be.within(0.27, 0.33);
      expect(counts[3] / n).to.be.within(0.22, 0.28);
      expect(counts.reduce((a, b) => a + b, 0)).to.equal(n);
    });

    it("draws normals with mean about 0 and variance about 1", function () {
      const rng = new Rng("normal");
      const n = 20_000;
      const xs = Array.from({ length: n }, () => rng.normal());
      const mean = xs.reduce((a, b) => a + b, 0) / n;
      const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
      expect(mean).to.be.within(-0.05, 0.05);
      expect(variance).to.be.within(0.93, 1.07);
    });
  });

  describe("planPopulation", function () {
    it("is deterministic per seed, and another seed gives another population", function () {
      const a = planPopulation(100, "seed-a", [WETH, WBTC]);
      expect(a).to.have.length(100);
      expect(planPopulation(100, "seed-a", [WETH, WBTC])).to.deep.equal(a);
      const b = planPopulation(100, "seed-b", [WETH, WBTC]);
      expect(b.map((p) => p.borrowUsd)).to.not.deep.equal(a.map((p) => p.borrowUsd));
    });

    it("rejects fewer than one account and an empty asset list", function () {
      expect(thrown(() => planPopulation(0, "s", [WETH]))).to.match(/at least one account/);
      expect(thrown(() => planPopulation(-5, "s", [WETH]))).to.match(/at least one account/);
      expect(thrown(() => planPopulation(1.5, "s", [WETH]))).to.match(/at least one account/);
      expect(thrown(() => planPopulation(10, "s", []))).to.match(/at least one collateral/);
    });

    it("borrows 20%-97% of each account's borrow limit, on $1,000 to $2,000,000 of collateral", function () {
      const positions = planPopulation(5000, "bounds", [WETH, WBTC, SOL]);
      let atMin = 0;
      for (const p of positions) {
        const symbols = Object.keys(p.collateralUsd);
        expect(symbols.length).to.be.within(1, 2);
        const total = Object.values(p.collateralUsd).reduce((a, b) => a + b, 0);
        expect(total).to.be.at.least(1000 - 1e-6);
        expect(total).to.be.at.most(2_000_000 + 1e-6);
        if (total < 1000 + 1e-6) atMin++;
        for (const value of Object.values(p.collateralUsd)) {
          expect(value).to.be.greaterThan(0);
          // A split holds 20%-80% of the account in each asset.
          if (symbols.length === 2) expect(value / total).to.be.within(0.2 - 1e-9, 0.8 + 1e-9);
        }
        const limit = symbols.reduce((sum, s) => sum + p.collateralUsd[s] * LTV[s], 0);
        expect(p.borrowUsd).to.be.at.most(limit * 0.97 + 1e-6);
        expect(p.borrowUsd).to.be.at.least(limit * 0.2 - 1e-6);
        expect(p.limitUsed).to.be.within(0.2, 0.97);
        // (No chai closeTo: hardhat's matchers read its numbers as bigints.)
        expect(Math.abs(p.borrowUsd - limit * p.limitUsed)).to.be.at.most(1e-6 * Math.max(1, limit));
      }
      // Log-normal around $20,000 with σ 1.2: some accounts hit the $1,000 floor (0.6%; the $2M cap is 1 in 16,000),
      // the median is near $20,000.
      expect(atMin).to.be.within(5, 100);
      const totals = positions
        .map((p) => Object.values(p.collateralUsd).reduce((a, b) => a + b, 0))
        .sort((a, b) => a - b);
      expect(totals[2500]).to.be.within(16_000, 25_000);
      // Bands: 40% use 20-50% of the limit, 40% 50-80%, 20% 80-97%.
      const high = positions.filter((p) => p.limitUsed >= 0.8).length / positions.length;
      const low = positions.filter((p) => p.limitUsed < 0.5).length / positions.length;
      expect(high).to.be.within(0.17, 0.23);
      expect(low).to.be.within(0.36, 0.44);
    });

    it("gives about 30% of accounts two collaterals when two or more are listed", function () {
      for (const assets of [
        [WETH, WBTC],
        [WETH, WBTC, SOL],
      ]) {
        const positions = planPopulation(5000, "mix", assets);
        const two = positions.filter((p) => Object.keys(p.collateralUsd).length === 2).length / positions.length;
        expect(two).to.be.within(0.26, 0.34);
        const listed = new Set(assets.map((a) => a.symbol));
        for (const p of positions) for (const s of Object.keys(p.collateralUsd)) expect(listed.has(s)).to.equal(true);
      }
    });

    it("with a single asset, every account holds only it", function () {
      const positions = planPopulation(2000, "single", [WETH]);
      for (const p of positions) {
        expect(Object.keys(p.collateralUsd)).to.deep.equal(["WETH"]);
        expect(p.borrowUsd).to.be.at.most(p.collateralUsd.WETH * 0.8 * 0.97 + 1e-6);
      }
    });

    it("draws other listed assets (SOL) too, and WETH most often", function () {
      const positions = planPopulation(5000, "sol", [WETH, WBTC, SOL]);
      const holding = (s: string) => positions.filter((p) => p.collateralUsd[s] !== undefined).length;
      expect(holding("SOL")).to.be.greaterThan(500);
      expect(holding("WETH")).to.be.greaterThan(holding("WBTC"));
      expect(holding("WBTC")).to.be.greaterThan(holding("SOL"));
      // Without SOL listed, nobody holds it.
      expect(planPopulation(500, "sol", [WETH, WBTC]).some((p) => p.collateralUsd.SOL !== undefined)).to.equal(false);
    });
  });

  describe("mergePaths", function () {
    const point = (timestamp: number, usd: string): PricePoint => ({ timestamp, priceWad: wad(usd) });

    it("steps on the sorted union of timestamps; each asset holds its last price, its first before it starts", function () {
      const paths = new Map<string, PricePoint[]>([
        ["WETH", [point(100, "10"), point(300, "30"), point(500, "50")]],
        ["WBTC", [point(200, "20"), point(300, "31"), point(400, "40")]],
      ]);
      const fixed = new Map([["USDC", wad("1")]]);
      const steps = mergePaths(paths, fixed);
      expect(steps.map((s) => s.timestamp)).to.deep.equal([100, 200, 300, 400, 500]);
      const at = (i: number) => steps[i].priceWad;
      expect(at(0)).to.deep.equal({ USDC: wad("1"), WETH: wad("10"), WBTC: wad("20") }); // WBTC not started: its first
      expect(at(1)).to.deep.equal({ USDC: wad("1"), WETH: wad("10"), WBTC: wad("20") }); // WETH holds
      expect(at(2)).to.deep.equal({ USDC: wad("1"), WETH: wad("30"), WBTC: wad("31") }); // both on the shared time
      expect(at(3)).to.deep.equal({ USDC: wad("1"), WETH: wad("30"), WBTC: wad("40") });
      expect(at(4)).to.deep.equal({ USDC: wad("1"), WETH: wad("50"), WBTC: wad("40") }); // WBTC ended: holds its last
    });

    it("sorts timestamps from paths given in any order and keeps a fixed asset constant", function () {
      const paths = new Map<string, PricePoint[]>([
        ["WBTC", [point(50, "5"), point(70, "7")]],
        ["WETH", [point(10, "1"), point(60, "6"), point(90, "9")]],
      ]);
      const steps = mergePaths(
        paths,
        new Map([
          ["USDC", wad("0.99")],
          ["SOL", wad("150")],
        ]),
      );
      expect(steps.map((s) => s.timestamp)).to.deep.equal([10, 50, 60, 70, 90]);
      for (const s of steps) {
        expect(s.priceWad.USDC).to.equal(wad("0.99"));
        expect(s.priceWad.SOL).to.equal(wad("150"));
      }
      expect(steps.map((s) => s.priceWad.WBTC)).to.deep.equal([wad("5"), wad("5"), wad("5"), wad("7"), wad("7")]);
      expect(steps.map((s) => s.priceWad.WETH)).to.deep.equal([wad("1"), wad("1"), wad("6"), wad("6"), wad("9")]);
    });

    it("throws without any path", function () {
      expect(thrown(() => mergePaths(new Map(), new Map([["USDC", wad("1")]])))).to.match(/no price path/);
    });
  });

  describe("unitsFor", function () {
    it("converts USD at a price to token units", function () {
      expect(unitsFor(3000, wad("3000"), 18)).to.equal(10n ** 18n);
      expect(unitsFor(60000, wad("60000"), 8)).to.equal(10n ** 8n);
      expect(unitsFor(30000, wad("60000"), 8)).to.equal(5n * 10n ** 7n);
      expect(unitsFor(250, wad("1"), 6)).to.equal(250_000_000n);
      expect(unitsFor(150, wad("150"), 9)).to.equal(10n ** 9n);
      expect(unitsFor(0, wad("3000"), 18)).to.equal(0n);
    });

    it("rounds down", function () {
      // $1 of a $3 token: 0.333… tokens.
      expect(unitsFor(1, wad("3"), 18)).to.equal(333_333_333_333_333_333n);
      expect(unitsFor(1, wad("3"), 6)).to.equal(333_333n);
      // $2 of a $3 token: 0.666…, not 0.666…7.
      expect(unitsFor(2, wad("3"), 18)).to.equal(666_666_666_666_666_666n);
      // A USD amount below a micro-dollar is nothing; a fraction of a micro-dollar is dropped.
      expect(unitsFor(0.0000009, wad("1"), 18)).to.equal(0n);
      expect(unitsFor(1.0000019, wad("1"), 6)).to.equal(1_000_001n);
    });
  });

  describe("summaryTable", function () {
    /** A run of `params` with distinct figures (no series: the table does not read it). */
    const runOf = (params: ParamsMode, breakerTrips: number, timeInBreakerSeconds: number, liquidations: number) =>
      runReport({
        params,
        badDebt: { baseUnits: "0", usd: 1234.5, pctOfInitialBorrows: 0.12 },
        liquidations,
        liquidatedDebt: { baseUnits: "0", usd: 5000 },
        failedKeeperTxs: 1,
        breakerTrips,
        timeInBreakerSeconds,
        lenderLossPct: 0.5,
        openShortfallUsd: 321,
        initialBorrows: { baseUnits: "0", usd: 1_000_000 },
        steps: 10,
        blocks: 20,
        wallSeconds: 2,
      });
    const reportOf = (runs: Partial<Record<ParamsMode, RunReport>>): SimulationReport =>
      ({ ...(runs.adaptive ?? runs.static ?? runs.morpho)!, runs }) as SimulationReport;
    /** The table's lines as cells (columns are two or more spaces apart). */
    const cells = (table: string): string[][] => table.split("\n").map((line) => line.trim().split(/\s{2,}/));
    const row = (table: string, label: string): string[] => {
      const found = cells(table).find((line) => line[0] === label);
      expect(found, label).to.not.equal(undefined);
      return found!.slice(1);
    };

    it("has one column per run in report order, static, adaptive, morpho, with '—' for Morpho's breaker", function () {
      // Inserted out of order: the table orders them.
      const table = summaryTable(
        reportOf({
          morpho: runOf("morpho", 0, 0, 30),
          adaptive: runOf("adaptive", 7, 0, 20),
          static: runOf("static", 4, 3 * 3600 + 5 * 60, 10),
        }),
      );
      expect(cells(table)[0]).to.deep.equal(["static", "adaptive", "morpho"]);
      expect(row(table, "Breaker trips")).to.deep.equal(["4", "7", "—"]);
      expect(row(table, "Time in breaker")).to.deep.equal(["3h05", "0h00", "—"]);
      expect(row(table, "Liquidations")).to.deep.equal(["10", "20", "30"]);
      expect(row(table, "Bad debt")).to.have.length(3);
      const shortfall = row(table, "Open shortfall at end");
      expect(shortfall).to.have.length(3);
      expect(shortfall.slice(1)).to.deep.equal(["$321.00", "$321.00"]);
    });

    it("shows only the runs present: static and adaptive, or morpho alone", function () {
      const both = summaryTable(reportOf({ adaptive: runOf("adaptive", 1, 60, 2), static: runOf("static", 3, 0, 1) }));
      expect(cells(both)[0]).to.deep.equal(["static", "adaptive"]);
      expect(row(both, "Breaker trips")).to.deep.equal(["3", "1"]);
      expect(both).to.not.contain("—");

      const morpho = summaryTable(reportOf({ morpho: runOf("morpho", 0, 0, 5) }));
      expect(cells(morpho)[0]).to.deep.equal(["morpho"]);
      expect(row(morpho, "Breaker trips")).to.deep.equal(["—"]);
      expect(row(morpho, "Time in breaker")).to.deep.equal(["—"]);
      expect(row(morpho, "Liquidations")).to.deep.equal(["5"]);
    });
  });

  describe("marketAssets", function () {
    const symbols = (prices: Record<string, string>): string[] =>
      marketAssets(new Map(Object.entries(prices))).map((a) => a.symbol);

    it("always lists USDC (base first), WETH and WBTC", function () {
      expect(symbols({ WETH: "a.csv" })).to.deep.equal(["USDC", "WETH", "WBTC"]);
      expect(symbols({ WBTC: "a.csv" })).to.deep.equal(["USDC", "WETH", "WBTC"]);
      expect(symbols({})).to.deep.equal(["USDC", "WETH", "WBTC"]);
      const assets = marketAssets(new Map([["WETH", "a.csv"]]));
      expect(assets[0].collateral).to.equal(undefined);
      expect(assets[1].collateral?.borrowLtv).to.equal(0.8);
    });

    it("adds SOL (or LUNA) when it has a path; a USDC path adds nothing new", function () {
      expect(symbols({ WETH: "a.csv", SOL: "s.csv" })).to.deep.equal(["USDC", "WETH", "WBTC", "SOL"]);
      expect(symbols({ sol: "s.csv" })).to.deep.equal(["USDC", "WETH", "WBTC", "SOL"]);
      expect(symbols({ LUNA: "l.csv", WETH: "a.csv" })).to.deep.equal(["USDC", "WETH", "WBTC", "LUNA"]);
      expect(symbols({ USDC: "u.csv" })).to.deep.equal(["USDC", "WETH", "WBTC"]);
      expect(symbols({ USDC: "u.csv", WETH: "a.csv" })).to.deep.equal(["USDC", "WETH", "WBTC"]);
    });

    it("rejects an unknown symbol with a SimulationError listing the known ones", function () {
      const message = thrown(() => marketAssets(new Map([["DOGE", "d.csv"]])), SimulationError);
      expect(message).to.include("DOGE");
      for (const asset of KNOWN_ASSETS) expect(message).to.include(asset.symbol);
    });
  });

  describe("liquidityOf", function () {
    const price = (low: bigint, high = low, status = OK): PriceRead => ({ low, high, status });
    const ONE_USD = price(wad("1"));
    /** WETH: 18 decimals, LTV 0.8, threshold 0.85. */
    const weth = (p: PriceRead) => ({
      price: p,
      unit: 10n ** 18n,
      borrowLtv: wad("0.8"),
      liquidationThreshold: wad("0.85"),
    });
    /** WBTC: 8 decimals, LTV 0.73, threshold 0.78. */
    const wbtc = (p: PriceRead) => ({
      price: p,
      unit: 10n ** 8n,
      borrowLtv: wad("0.73"),
      liquidationThreshold: wad("0.78"),
    });
    const view = (base: PriceRead, ...collaterals: MarketView["collaterals"]): MarketView => ({
      base,
      baseUnit: 10n ** 6n,
      collaterals,
    });
    const liq = (fields: Partial<Liquidity>): Liquidity => ({
      collateralValue: 0n,
      borrowLimit: 0n,
      liquidationLimit: 0n,
      debtValue: 0n,
      debt: 0n,
      priceStatus: OK,
      ...fields,
    });

    it("values collateral at the low price and debt at the base's high price", function () {
      const v = view(price(wad("0.99"), wad("1.01")), weth(price(wad("3000"), wad("3100"))), wbtc(price(wad("60000"))));
      // 2 WETH and 0.5 WBTC; 10,000 USDC of debt.
      expect(liquidityOf(v, 10_000n * 10n ** 6n, [2n * 10n ** 18n, 5n * 10n ** 7n])).to.deep.equal(
        liq({
          collateralValue: wad("36000"),
          borrowLimit: wad("4800") + wad("21900"),
          liquidationLimit: wad("5100") + wad("23400"),
          debtValue: wad("10100"),
          debt: 10_000n * 10n ** 6n,
        }),
      );
    });

    it("rounds the value and both limits down, and the debt value up", function () {
      const v: MarketView = {
        base: price(1n, 1_000_001n),
        baseUnit: 1_000_000n,
        collaterals: [
          { price: price(1001n), unit: 1000n, borrowLtv: wad("0.6"), liquidationThreshold: wad("0.5") + 1n },
        ],
      };
      // value 7 × 1001 / 1000 = 7.007 → 7; borrow 7 × 0.6 = 4.2 → 4; liquidation 7 × (0.5 + 1e-18) → 3;
      // debt value 3 × 1,000,001 / 1,000,000 = 3.000003 → 4.
      expect(liquidityOf(v, 3n, [7n])).to.deep.equal(
        liq({ collateralValue: 7n, borrowLimit: 4n, liquidationLimit: 3n, debtValue: 4n, debt: 3n }),
      );
      // Exact figures are not rounded.
      expect(liquidityOf(v, 2_000_000n, [1000n]).debtValue).to.equal(2_000_002n);
      // Each collateral is rounded on its own before summing: 2 × floor(0.5 × 7.007) would differ from floor(7.007 × 2 × 0.5).
      const two: MarketView = { ...v, collaterals: [v.collaterals[0], v.collaterals[0]] };
      expect(liquidityOf(two, 0n, [7n, 7n])).to.deep.equal(
        liq({ collateralValue: 14n, borrowLimit: 8n, liquidationLimit: 6n }),
      );
    });

    it("a FAILED collateral adds no value and sets priceStatus FAILED, whatever price the read carries", function () {
      const v = view(ONE_USD, weth(price(wad("3000"), wad("3000"), FAILED)), wbtc(price(wad("60000"))));
      expect(liquidityOf(v, 1000n * 10n ** 6n, [10n ** 18n, 10n ** 8n])).to.deep.equal(
        liq({
          collateralValue: wad("60000"),
          borrowLimit: wad("43800"),
          liquidationLimit: wad("46800"),
          debtValue: wad("1000"),
          debt: 1000n * 10n ** 6n,
          priceStatus: FAILED,
        }),
      );
    });

    it("a DEGRADED collateral counts toward the liquidation limit but not the borrow limit", function () {
      const v = view(ONE_USD, weth(price(wad("2000"), wad("3000"), DEGRADED)), wbtc(price(wad("60000"))));
      expect(liquidityOf(v, 0n, [10n ** 18n, 10n ** 8n])).to.deep.equal(
        liq({
          collateralValue: wad("62000"),
          borrowLimit: wad("43800"),
          liquidationLimit: wad("1700") + wad("46800"),
          priceStatus: DEGRADED,
        }),
      );
    });

    it("a FAILED base price makes the debt value 2^256 − 1, and is ignored without debt", function () {
      const v = view(price(0n, 0n, FAILED), weth(price(wad("3000"))));
      const withDebt = liquidityOf(v, 1n, [10n ** 18n]);
      expect(withDebt.debtValue).to.equal(MAX_UINT256);
      expect(withDebt.priceStatus).to.equal(FAILED);
      expect(withDebt.collateralValue).to.equal(wad("3000"));
      expect(withDebt.borrowLimit).to.equal(wad("2400"));
      const noDebt = liquidityOf(v, 0n, [10n ** 18n]);
      expect(noDebt).to.deep.equal(
        liq({ collateralValue: wad("3000"), borrowLimit: wad("2400"), liquidationLimit: wad("2550") }),
      );
      // A DEGRADED base is likewise ignored without debt, and counted with it (at its high bound).
      const degraded = view(price(wad("0.9"), wad("1.2"), DEGRADED), weth(price(wad("3000"))));
      expect(liquidityOf(degraded, 0n, [10n ** 18n]).priceStatus).to.equal(OK);
      const owed = liquidityOf(degraded, 100n * 10n ** 6n, [10n ** 18n]);
      expect(owed.priceStatus).to.equal(DEGRADED);
      expect(owed.debtValue).to.equal(wad("120"));
    });

    it("ignores assets the account does not hold, even FAILED or DEGRADED ones", function () {
      const v = view(ONE_USD, weth(price(0n, 0n, FAILED)), wbtc(price(wad("50000"), wad("60000"), DEGRADED)));
      expect(liquidityOf(v, 0n, [0n, 0n])).to.deep.equal(liq({}));
      expect(liquidityOf(v, 0n, [])).to.deep.equal(liq({}));
      expect(liquidityOf(v, 5n * 10n ** 6n, [0n, 0n])).to.deep.equal(
        liq({ debtValue: wad("5"), debt: 5n * 10n ** 6n }),
      );
      const ok = view(ONE_USD, weth(price(0n, 0n, FAILED)), wbtc(price(wad("60000"))));
      expect(liquidityOf(ok, 0n, [0n, 10n ** 8n]).priceStatus).to.equal(OK);
    });

    it("takes the worst status of the held collaterals and the base", function () {
      const failedCollateral = view(
        price(wad("0.9"), wad("1.1"), DEGRADED),
        weth(price(0n, 0n, FAILED)),
        wbtc(price(wad("60000"))),
      );
      expect(liquidityOf(failedCollateral, 1n, [1n, 1n]).priceStatus).to.equal(FAILED);
      const degradedCollateral = view(
        ONE_USD,
        weth(price(wad("2900"), wad("3000"), DEGRADED)),
        wbtc(price(wad("60000"))),
      );
      expect(liquidityOf(degradedCollateral, 1n, [0n, 1n]).priceStatus).to.equal(OK);
      expect(liquidityOf(degradedCollateral, 1n, [1n, 1n]).priceStatus).to.equal(DEGRADED);
      const failedBase = view(price(0n, 0n, FAILED), weth(price(wad("2900"), wad("3000"), DEGRADED)));
      expect(liquidityOf(failedBase, 1n, [1n]).priceStatus).to.equal(FAILED);
    });

    it("underwater: debt above the liquidation limit, or a FAILED price with debt", function () {
      expect(underwater(liq({ debt: 1n, debtValue: 101n, liquidationLimit: 100n }))).to.equal(true);
      expect(underwater(liq({ debt: 1n, debtValue: 100n, liquidationLimit: 100n }))).to.equal(false);
      expect(underwater(liq({ debt: 1n, debtValue: 99n, liquidationLimit: 100n }))).to.equal(false);
      expect(underwater(liq({ debt: 1n, debtValue: 1n, liquidationLimit: 100n, priceStatus: FAILED }))).to.equal(true);
      expect(underwater(liq({ debt: 1n, debtValue: 1n, liquidationLimit: 100n, priceStatus: DEGRADED }))).to.equal(
        false,
      );
      expect(underwater(liq({ debt: 0n, debtValue: 0n, liquidationLimit: 0n, priceStatus: FAILED }))).to.equal(false);
      expect(underwater(liq({ debt: 0n, debtValue: 5n, liquidationLimit: 0n }))).to.equal(false);
    });

    it("sameLiquidity compares all six fields", function () {
      const a = liq({
        collateralValue: 1n,
        borrowLimit: 2n,
        liquidationLimit: 3n,
        debtValue: 4n,
        debt: 5n,
        priceStatus: 1,
      });
      expect(sameLiquidity(a, { ...a })).to.equal(true);
      for (const key of Object.keys(a) as (keyof Liquidity)[]) {
        const b = { ...a, [key]: key === "priceStatus" ? 2 : (a[key] as bigint) + 1n };
        expect(sameLiquidity(a, b), key).to.equal(false);
        expect(sameLiquidity(b, a), key).to.equal(false);
      }
    });
  });

  describe("health figures of a step", function () {
    const W = 10n ** 18n;
    const position = (health: number) => ({
      limit: BigInt(Math.round(health * 1000)) * 10n ** 15n,
      debt: W,
      liquidatable: health < 1,
    });

    it("gives the 5th, 25th, 50th, 75th and 95th percentiles (nearest rank) and how many are below 1", function () {
      // Healths 0.50, 0.51, …, 1.49: a hundred accounts, fifty of them below 1.
      const summary = healthSummary(Array.from({ length: 100 }, (_, i) => position(0.5 + i / 100)));
      expect(summary.healthBands).to.deep.equal([0.54, 0.74, 0.99, 1.24, 1.44]);
      expect(summary.belowOne).to.equal(50);
      expect(summary.liquidatable).to.equal(50);
      expect(summary.minHealth).to.equal(0.5);
      const one = healthSummary([position(1)]);
      expect(one.healthBands).to.deep.equal([1, 1, 1, 1, 1]);
      expect(one.belowOne).to.equal(0); // exactly 1 is not below 1
      expect(healthSummary([]).healthBands).to.equal(null);
      expect(percentile([1, 2, 3, 4], 50)).to.equal(2);
      expect(percentile([7], 95)).to.equal(7);
    });

    it("finds the step a time falls in: the last at or before it, the first before them all", function () {
      const series = [{ timestamp: 10 }, { timestamp: 20 }, { timestamp: 30 }];
      expect(stepAt(series, 25)).to.equal(series[1]);
      expect(stepAt(series, 30)).to.equal(series[2]);
      expect(stepAt(series, 99)).to.equal(series[2]);
      expect(stepAt(series, 5)).to.equal(series[0]);
      expect(stepAt([], 5)).to.equal(undefined);
    });
  });
  describe("mayBeLiquidatable (the replay keeper's reads it may skip)", function () {
    // USDC base (6 decimals) and one 18-decimal collateral with an 80% threshold.
    const price = (low: string, high: string, status: number): PriceRead => ({
      low: wad(low),
      high: wad(high),
      status,
    });
    const viewOf = (collateral: PriceRead, base = price("1", "1", OK)): MarketView => ({
      base,
      baseUnit: 10n ** 6n,
      collaterals: [{ price: collateral, unit: 10n ** 18n, borrowLtv: wad("0.75"), liquidationThreshold: wad("0.8") }],
    });
    const ONE = 10n ** 18n;
    const usdc = (amount: number): bigint => BigInt(amount) * 10n ** 6n;

    it("values collateral at its high bound and debt at the base's low: underwater at the low bound is not enough", function () {
      // 1 unit at 2,000–2,500: limit 1,600 at the low bound, 2,000 at the high one (the liquidation side).
      const doubted = viewOf(price("2000", "2500", DEGRADED));
      expect(underwater(liquidityOf(doubted, usdc(1800), [ONE]))).to.equal(true);
      expect(mayBeLiquidatable(doubted, usdc(1800), [ONE], [0n])).to.equal(false);
      expect(mayBeLiquidatable(doubted, usdc(2001), [ONE], [0n])).to.equal(true);
      // The base's low bound values the debt: a base doubted at 0.9–1.0 makes 2,100 of debt worth 1,890.
      const baseDoubted = viewOf(price("2500", "2500", OK), price("0.9", "1", DEGRADED));
      expect(mayBeLiquidatable(baseDoubted, usdc(2100), [ONE], [0n])).to.equal(false);
      expect(mayBeLiquidatable(baseDoubted, usdc(2300), [ONE], [0n])).to.equal(true);
    });

    it("says 'may' at the limit and within its slack of it, never 'cannot' for a liquidatable account", function () {
      const ok = viewOf(price("2500", "2500", OK)); // limit 2,000 USD
      expect(
        mayBeLiquidatable(ok, usdc(2000), [ONE], [0n]),
        "at the limit: the vault says no, the mirror may",
      ).to.equal(true);
      expect(mayBeLiquidatable(ok, usdc(2000) - 1n, [ONE], [0n]), "within 1 ppb").to.equal(true);
      expect(mayBeLiquidatable(ok, usdc(1999), [ONE], [0n])).to.equal(false);
      expect(mayBeLiquidatable(ok, usdc(1999), [ONE], [0n], 1_000_000n), "a wider slack").to.equal(true);
      expect(mayBeLiquidatable(ok, 0n, [ONE], [0n]), "no debt").to.equal(false);
      expect(mayBeLiquidatable(ok, usdc(1), [0n], [0n]), "debt and no collateral").to.equal(true);
    });

    it("counts collateral of FAILED price at its ceiling, as the engine does, and reads when it cannot tell", function () {
      const failed = viewOf(price("0", "0", FAILED));
      // Ceiling 3,000: the holding bounds the limit at 2,400.
      expect(mayBeLiquidatable(failed, usdc(2300), [ONE], [wad("3000")])).to.equal(false);
      expect(mayBeLiquidatable(failed, usdc(2500), [ONE], [wad("3000")])).to.equal(true);
      expect(mayBeLiquidatable(failed, usdc(1), [ONE], [0n]), "no ceiling: the engine refuses, but read").to.equal(
        true,
      );
      const baseFailed = viewOf(price("2500", "2500", OK), price("0", "0", FAILED));
      expect(mayBeLiquidatable(baseFailed, usdc(1), [ONE], [0n]), "base FAILED: read").to.equal(true);
    });
  });
  describe("decodeBlockRead (SimReader.read's result, by hand)", function () {
    const reader = SimReader__factory.createInterface();
    const rng = new Rng("reader-codec");
    const big = (bits: number): bigint => {
      let x = 0n;
      for (let b = 0; b < bits; b += 32) x = (x << 32n) | BigInt(Math.floor(rng.next() * 2 ** 32));
      return x & ((1n << BigInt(bits)) - 1n);
    };
    const address = (): string => `0x${big(160).toString(16).padStart(40, "0")}`;
    const price = (): PriceRead => ({ low: big(128), high: big(256), status: Math.floor(rng.next() * 3) });

    it("equals ethers' ABI coding over random reads of every shape, empty arrays included", function () {
      for (let round = 0; round < 40; round++) {
        const count = (): number => (round === 0 ? 0 : Math.floor(rng.next() * 5));
        const collaterals = Array.from({ length: count() }, () => ({
          price: price(),
          borrowLtv: big(64),
          liquidationThreshold: big(64),
        }));
        const samples = Array.from({ length: count() }, () => ({
          collateralValue: big(256),
          borrowLimit: big(200),
          liquidationLimit: big(100),
          debtValue: big(256),
          debt: big(90),
          priceStatus: Math.floor(rng.next() * 3),
        }));
        const breakers = count();
        const read = {
          base: price(),
          collaterals,
          borrowIndex: big(100),
          samples,
          poolSqrtPrices: Array.from({ length: count() }, () => big(160)),
          breakerAssets: Array.from({ length: breakers }, address),
          breakerLevels: Array.from({ length: breakers }, () => Math.floor(rng.next() * 4)),
          badDebt: big(128),
          totalDebt: big(128),
          shareValue: big(64),
        };
        const encoded = reader.encodeFunctionResult("read", [read]);
        expect(decodeBlockRead(encoded)).to.deep.equal(read, `round ${round}`);
      }
    });

    it("refuses a result cut short, and one whose offsets point outside it", function () {
      const encoded = reader.encodeFunctionResult("read", [
        {
          base: price(),
          collaterals: [{ price: price(), borrowLtv: 1n, liquidationThreshold: 2n }],
          borrowIndex: 1n,
          samples: [],
          poolSqrtPrices: [3n],
          breakerAssets: [],
          breakerLevels: [],
          badDebt: 0n,
          totalDebt: 0n,
          shareValue: 1n,
        },
      ]);
      expect(() => decodeBlockRead(encoded.slice(0, -64))).to.throw(/runs past the end|too short/);
      expect(() => decodeBlockRead("0x")).to.throw(/malformed/);
      // The collaterals' offset (head word 3) pointed far beyond the data.
      const head = 2 + 64; // "0x" and the tuple's offset word
      const bad = `${encoded.slice(0, head + 3 * 64)}${"f".repeat(64)}${encoded.slice(head + 4 * 64)}`;
      expect(() => decodeBlockRead(bad)).to.throw(/SimReader.read/);
    });
  });
});
