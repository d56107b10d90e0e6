/**
 * The crash simulation's Morpho Blue run (scripts/lib/sim/morphoEngine.ts): a sharp synthetic ETH crash replayed
 * against the real Morpho, its figures checked against Morpho's own events and state (not against the engine's
 * mirror), a keeper outage, the revert reasons the keeper counts, and `--params all` opening the same population on
 * Bulwark and Morpho.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import { AbiCoder, Interface, id } from "ethers";
import { network } from "hardhat";

import { MORPHO_EVENTS } from "../../scripts/lib/morpho.js";
import { inProcessSource } from "../../scripts/lib/sim/inProcess.js";
import { priceWadOf } from "../../scripts/lib/sim/simMarket.js";
import { morphoRevertReason, replayMorpho } from "../../scripts/lib/sim/morphoEngine.js";
import { Drawdown, lowerHealth, percentOf, shortfallUsd } from "../../scripts/lib/sim/figures.js";
import { toAssetsDown } from "../../scripts/lib/sim/morphoHealth.js";
import { buildMorphoMarket } from "../../scripts/lib/sim/morphoMarket.js";
import type { Step } from "../../scripts/lib/sim/path.js";
import { runSimulation } from "../../scripts/lib/sim/run.js";
import { BASE_ASSET, COLLATERAL_ASSETS, scenario, type AssetSpec } from "../../scripts/lib/sim/scenarios.js";
import { goalVerdicts, scenarioSteps, solvencyBench, type SolvencyRow } from "../../scripts/lib/sim/solvency.js";
import type { RunReport } from "../../scripts/lib/sim/types.js";
import { MorphoFlashLiquidator__factory } from "../../typechain-types/index.js";
import { near } from "./helpers/approx.js";

const ACCOUNTS = 30;
const SPECS: AssetSpec[] = [BASE_ASSET, ...COLLATERAL_ASSETS.filter((a) => ["WETH", "WBTC"].includes(a.symbol))];
const START = 1_700_000_000;
const INTERVAL = 600;
/** Points before the crash, the crash's point, points after it. */
const CALM_BEFORE = 4;
const CALM_AFTER = 12;
const CRASH = 0.35;

/** ETH flat, then −35% in one 10-minute close, then flat again; BTC and USDC flat. */
function crashSteps(): Step[] {
  const eth = priceWadOf(SPECS[1].defaultPrice);
  const steps: Step[] = [];
  for (let i = 0; i < CALM_BEFORE + 1 + CALM_AFTER; i++) {
    const weth = i < CALM_BEFORE ? eth : (eth * BigInt(Math.round((1 - CRASH) * 1000))) / 1000n;
    steps.push({
      timestamp: START + i * INTERVAL,
      priceWad: {
        USDC: priceWadOf(SPECS[0].defaultPrice),
        WETH: weth,
        WBTC: priceWadOf(SPECS[2].defaultPrice),
      },
    });
  }
  return steps;
}

const source = () => inProcessSource(SPECS.map((spec) => ({ spec, startPriceWad: priceWadOf(spec.defaultPrice) })));

/** A fresh chain with the Morpho market opened and the crash replayed; the chain stays open for checks. */
async function replayed(outages: { from: number; to: number }[] = []) {
  const connection = await network.create();
  const { ethers } = connection;
  const market = await buildMorphoMarket(ethers, source(), { accounts: ACCOUNTS, seed: "morpho-replay" });
  const steps = crashSteps();
  const run = await replayMorpho(ethers, market, steps, { keeperDelayBlocks: 0, keeperOutages: outages }, 0);
  await ethers.provider.send("evm_setAutomine", [true]);
  return { connection, ethers, market, run, steps };
}

describe("Simulation: Morpho Blue replay", function () {
  this.timeout(300_000);

  describe("a sharp crash, keeper up", () => {
    let sim: Awaited<ReturnType<typeof replayed>>;
    before(async () => {
      sim = await replayed();
    });
    after(async () => {
      await sim.connection.close();
    });

    it("liquidates and realises bad debt, as Morpho's own Liquidate events say", async () => {
      const { ethers, market, run } = sim;
      const logs = await ethers.provider.getLogs({
        address: await market.morpho.getAddress(),
        topics: [MORPHO_EVENTS.getEvent("Liquidate")!.topicHash],
        fromBlock: 0,
      });
      const parsed = logs.map((log) => MORPHO_EVENTS.parseLog(log)!);
      expect(run.liquidations).to.be.greaterThan(0);
      expect(run.liquidations).to.equal(parsed.length);
      const sum = (field: string) => parsed.reduce((total, p) => total + BigInt(p.args[field]), 0n);
      expect(BigInt(run.badDebt.baseUnits)).to.be.greaterThan(0n);
      expect(run.badDebt.baseUnits).to.equal(sum("badDebtAssets").toString());
      expect(run.liquidatedDebt.baseUnits).to.equal(sum("repaidAssets").toString());
      expect(run.failedKeeperTxs).to.equal(0);
      expect(run.breakerTrips).to.equal(0);
      expect(run.series).to.have.length(CALM_BEFORE + 1 + CALM_AFTER);
      expect(run.series.reduce((n, s) => n + s.liquidations, 0)).to.equal(run.liquidations);
      near(run.series.at(-1)!.badDebtUsd, run.badDebt.usd, 1e-6);
      // Nothing moves before the crash; the crash's point is the first with unhealthy positions.
      expect(run.series.slice(0, CALM_BEFORE).every((s) => s.liquidatable === 0 && s.liquidations === 0)).to.equal(
        true,
      );
      expect(run.series[CALM_BEFORE].liquidatable).to.be.greaterThan(0);
      expect(run.minHealthFactor).to.be.lessThan(1);
      // Every underwater position was closed and written off: nothing is left short at the end.
      expect(run.openShortfallUsd).to.equal(0);
    });

    it("leaves no position Morpho would liquidate, and counts borrowers as Morpho holds them", async () => {
      const { market, run } = sim;
      const liquidator = market.liquidator.connect(market.keeper);
      let withDebt = 0;
      for (const [j, borrower] of market.borrowers.entries()) {
        let hasDebt = false;
        for (const m of market.markets) {
          const position = await market.morpho.position(m.id, borrower);
          if (position.borrowShares === 0n) continue;
          hasDebt = true;
          // Morpho's own check: liquidating a healthy position reverts "position is healthy".
          await liquidator.liquidate.staticCall(m.params, borrower, 1n, 0n, await m.asset.pool!.getAddress(), 0n).then(
            () => expect.fail(`position ${j} in ${m.asset.spec.symbol} is still liquidatable`),
            (error: unknown) => expect(morphoRevertReason(error, liquidator.interface)).to.equal("position is healthy"),
          );
        }
        if (hasDebt) withDebt++;
      }
      expect(run.borrowersAtStart).to.equal(ACCOUNTS);
      expect(run.borrowersAtEnd).to.equal(withDebt);
      expect(run.borrowersAtEnd).to.be.lessThan(ACCOUNTS);
      expect(run.series.at(-1)!.liquidatable).to.equal(0);
    });

    it("reports the lenders' loss as the fall of the lender's supply value", async () => {
      const { market, run } = sim;
      let value = 0n;
      for (const m of market.markets) {
        await market.morpho.accrueInterest(m.params);
        const shares = (await market.morpho.position(m.id, market.lender.address)).supplyShares;
        const totals = await market.morpho.market(m.id);
        value += toAssetsDown(shares, totals.totalSupplyAssets, totals.totalSupplyShares);
      }
      // The bad debt came off the lender's supply (interest over two hours is small beside it).
      const lossPct = (Number(BigInt(run.badDebt.baseUnits)) / Number(value + BigInt(run.badDebt.baseUnits))) * 100;
      expect(run.lenderLossPct).to.be.greaterThan(0);
      near(run.lenderLossPct, lossPct, lossPct * 0.05);
    });

    it("shows Morpho's oracle price and LLTV in each step", () => {
      const { market, run, steps } = sim;
      const crash = run.series[CALM_BEFORE];
      near(crash.oraclePrice.WETH!, Number(steps[CALM_BEFORE].priceWad.WETH) / 1e18, 0.01);
      near(crash.oraclePrice.USDC!, 1, 1e-6);
      expect(crash.breakerLevel).to.deep.equal({});
      const weth = market.markets.find((m) => m.asset.spec.symbol === "WETH")!;
      expect(crash.liquidationThreshold.WETH).to.equal(Number(weth.lltv) / 1e18);
      expect(crash.borrowLtv.WETH).to.equal(crash.liquidationThreshold.WETH);
    });
  });

  it("sends nothing while the keeper is down, and liquidates when it is back", async () => {
    // Down from the crash's point to four points after it.
    const from = CALM_BEFORE * INTERVAL;
    const to = (CALM_BEFORE + 4) * INTERVAL;
    const sim = await replayed([{ from, to }]);
    try {
      const during = sim.run.series.slice(CALM_BEFORE, CALM_BEFORE + 4);
      expect(during.every((s) => s.liquidations === 0)).to.equal(true);
      expect(during.every((s) => s.liquidatable > 0)).to.equal(true);
      expect(sim.run.liquidations).to.be.greaterThan(0);
      expect(sim.run.series.at(-1)!.liquidatable).to.equal(0);
    } finally {
      await sim.connection.close();
    }
  });

  it("names the reason a simulated liquidation reverted", () => {
    const liquidator = new Interface(MorphoFlashLiquidator__factory.abi);
    const wrap = (data: string) => ({ code: "CALL_EXCEPTION", data });
    expect(morphoRevertReason(wrap(liquidator.encodeErrorResult("Unprofitable", [1n, 2n])), liquidator)).to.equal(
      "Unprofitable",
    );
    const message =
      id("Error(string)").slice(0, 10) +
      AbiCoder.defaultAbiCoder().encode(["string"], ["position is healthy"]).slice(2);
    expect(morphoRevertReason({ error: { data: message } }, liquidator)).to.equal("position is healthy");
    expect(morphoRevertReason(wrap("0xdeadbeef"), liquidator)).to.equal("unknown");
    expect(morphoRevertReason(new Error("timeout"), liquidator)).to.equal("unknown");
  });

  it("runs Bulwark and Morpho on the same population with --params all", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "bulwark-all-"));
    const file = path.join(dir, "eth.csv");
    const rows = ["timestamp,price"];
    for (const step of crashSteps()) rows.push(`${step.timestamp},${Number(step.priceWad.WETH) / 1e18}`);
    writeFileSync(file, rows.join("\n"));
    try {
      const report = await runSimulation(
        {
          scenario: "custom",
          description: "synthetic ETH crash",
          prices: new Map([["WETH", file]]),
          accounts: 20,
          seed: "all",
          params: "all",
          keeperDelayBlocks: 0,
          keeperOutages: [],
        },
        { phase: () => undefined, progress: () => undefined },
      );
      expect(Object.keys(report.runs)).to.deep.equal(["static", "adaptive", "morpho"]);
      const [bulwark, morpho] = [report.runs.static!, report.runs.morpho!] as RunReport[];
      expect(report.badDebt).to.deep.equal(report.runs.adaptive!.badDebt);
      expect(morpho.params).to.equal("morpho");
      expect(morpho.borrowersAtStart).to.equal(bulwark.borrowersAtStart);
      // The same loans: equal to the unit at opening; an hour's interest apart at most by the replay's start.
      near(morpho.initialBorrows.usd, bulwark.initialBorrows.usd, bulwark.initialBorrows.usd * 1e-4);
      expect(morpho.liquidations).to.be.greaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("computes the figures both engines share: drawdown, percent, lowest health, shortfall", () => {
    const d = new Drawdown();
    for (const v of [100n, 120n, 90n]) d.observe(v);
    expect(d.fallPct).to.equal(25);
    d.observe(130n);
    expect(d.fallPct).to.equal(0);
    expect(percentOf(1n, 3n)).to.equal(33.3333333333);
    expect(percentOf(5n, 0n)).to.equal(0);
    expect(lowerHealth(null, 0.9)).to.equal(0.9);
    expect(lowerHealth(0.8, 0.9)).to.equal(0.8);
    expect(lowerHealth(0.8, null)).to.equal(0.8);
    // 1,000 USDC of debt against 0.5 WETH at $3,000 (covered) and at $1,000 ($500 short); USDC at $1.
    const usdc = 10n ** 6n;
    const weth = (priceUsd: bigint) => [{ units: 5n * 10n ** 17n, unit: 10n ** 18n, priceWad: priceUsd * 10n ** 18n }];
    expect(shortfallUsd(1000n * usdc, usdc, 10n ** 18n, weth(3000n))).to.equal(0);
    expect(shortfallUsd(1000n * usdc, usdc, 10n ** 18n, weth(1000n))).to.equal(500);
    expect(shortfallUsd(1000n * usdc, usdc, 10n ** 18n, [])).to.equal(1000);
  });

  describe("the solvency bench (npm run bench)", () => {
    const row = (scenarioName: string, mode: SolvencyRow["mode"], badDebtUsd: number): SolvencyRow => ({
      scenario: scenarioName,
      mode,
      steps: 10,
      badDebtUsd,
      badDebtPctOfBorrows: 0,
      liquidations: 0,
      lenderLossPct: 0,
      openShortfallUsd: 0,
      initialBorrowsUsd: 1,
      breakerTrips: 0,
      failedKeeperTxs: 0,
      wallSeconds: 1,
    });

    it("judges each Bulwark mode against Morpho's bad debt on the same path", () => {
      expect(
        goalVerdicts([
          row("a", "static", 5),
          row("a", "adaptive", 1),
          row("a", "morpho", 3),
          row("b", "static", 0),
          row("b", "adaptive", 0),
          row("b", "morpho", 0),
          row("c", "static", 2),
        ]),
      ).to.deep.equal([
        { scenario: "a", static: "NOT met", adaptive: "met" },
        { scenario: "b", static: "equal (none)", adaptive: "equal (none)" },
      ]);
    });

    it("counts a scenario's steps over its merged paths", () => {
      expect(scenarioSteps(scenario("black-thursday-2020"))).to.equal(73);
      expect(scenarioSteps(scenario("luna-2022"))).to.equal(10_145);
    });

    it("runs the simulate CLI per scenario and mode, one run after another in a worker, and reads its report", async () => {
      const lines: string[] = [];
      const rows = await solvencyBench({
        workers: 1,
        log: (line) => lines.push(line),
        scenarios: [scenario("black-thursday-2020")],
        modes: ["morpho"],
      });
      expect(rows.map((r) => r.scenario)).to.deep.equal(["black-thursday-2020"]);
      const [morpho] = rows;
      expect(morpho.scenario).to.equal("black-thursday-2020");
      expect(morpho.mode).to.equal("morpho");
      expect(morpho.steps).to.equal(73);
      expect(morpho.liquidations).to.be.greaterThan(0);
      expect(morpho.breakerTrips).to.equal(0);
      expect(morpho.initialBorrowsUsd).to.be.greaterThan(1_000_000);
      expect(lines.some((line) => line.includes("done   black-thursday-2020/morpho"))).to.equal(true);
      expect(
        lines.some((line) => /^ {9}black-thursday-2020\/morpho \d+%$/.test(line)),
        "progress lines",
      ).to.equal(true);

      // Nothing of one run leaks into the next in the same worker: black-thursday-2020 second (after the longer
      // 10-minute path) gives the row it gave first.
      const after = await solvencyBench({
        workers: 1,
        log: () => undefined,
        scenarios: [scenario("black-thursday-2020"), scenario("black-thursday-2020-10min")],
        modes: ["morpho"],
      });
      expect(after[1].steps).to.equal(144);
      const figures = (row: SolvencyRow): Omit<SolvencyRow, "wallSeconds"> => {
        const { wallSeconds: _wall, ...rest } = row;
        return rest;
      };
      expect(figures(after[0])).to.deep.equal(figures(morpho));
    });

    it("names the run and the CLI's own error when a run fails", async () => {
      const unknown = { ...scenario("may-2021"), name: "no-such-scenario" };
      await expect(
        solvencyBench({ workers: 1, log: () => undefined, scenarios: [unknown], modes: ["morpho"] }),
      ).to.be.rejectedWith(/simulate --scenario no-such-scenario .*exited 2: .*no-such-scenario/);
    });
  });
});
