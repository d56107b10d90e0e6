/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * report.html in a real browser (Debian's Chromium through puppeteer-core): a simulation of Black Thursday with all
 * three runs is written out, opened from disk with every network request refused, and checked: the page raised no
 * error and asked for nothing outside the file, every chart the page lists drew a canvas with ink on it, each Bulwark
 * run has its breaker timeline and each run its liquidations table. The screenshot is saved
 * (BULWARK_SCREENSHOT=path to keep it; docs/report.png in the README is one).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";

import { expect } from "chai";
import type { Browser } from "puppeteer-core";

import { chartSpecs } from "../../scripts/lib/sim/chartSpecs.js";
import { writeReports } from "../../scripts/lib/sim/report.js";
import { runSimulation, type SimulationUi } from "../../scripts/lib/sim/run.js";
import { SCENARIO_DIR, scenario } from "../../scripts/lib/sim/scenarios.js";
import type { SimulationReport } from "../../scripts/lib/sim/types.js";
import { launchBrowser } from "./helpers/browser.js";

const quiet: SimulationUi = { phase: () => undefined, progress: () => undefined };

describe("report.html in Chromium", function () {
  this.timeout(300_000);
  let dir: string;
  let report: SimulationReport;
  let file: string;
  let browser: Browser | undefined;

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "bulwark-report-"));
    const shipped = scenario("black-thursday-2020");
    report = await runSimulation(
      {
        scenario: shipped.name,
        description: shipped.description,
        prices: new Map(Object.entries(shipped.prices).map(([s, f]) => [s, path.join(SCENARIO_DIR, f)])),
        accounts: 40,
        seed: "bulwark",
        params: "all",
        keeperDelayBlocks: 0,
        keeperOutages: [],
      },
      quiet,
    );
    file = writeReports(report, dir).html;
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("draws every chart, the breaker timelines and the liquidation tables, offline and without an error", async () => {
    const page = await browser!.newPage();
    const errors: string[] = [];
    const requests: string[] = [];
    page.on("pageerror", (error) => errors.push(String(error)));
    page.on("console", (message) => {
      if (message.type() === "error") errors.push(message.text());
    });
    await page.setRequestInterception(true);
    page.on("request", (request) => {
      if (request.url().startsWith("file:")) void request.continue();
      else {
        requests.push(request.url());
        void request.abort();
      }
    });
    await page.setViewport({ width: 1400, height: 1000 });
    await page.goto(pathToFileURL(file).href, { waitUntil: "load" });

    const expected = chartSpecs(report).map((spec) => spec.id);
    // Prices of both collaterals (USDC is held at a fixed price), a health distribution per run, the overlays.
    expect(expected).to.include.members(["price-WETH", "price-WBTC", "health-bands-static", "health-bands-adaptive"]);
    expect(expected).to.include.members(["health-bands-morpho", "below-one", "bad-debt", "lender-loss", "risk-WETH"]);
    const drawn = await page.evaluate(() =>
      [...document.querySelectorAll<HTMLElement>(".chart")].map((chart) => {
        const canvas = chart.querySelector("canvas");
        let ink = 0;
        if (canvas !== null) {
          const pixels = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height).data;
          for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) ink++;
        }
        return { id: chart.id, drawn: chart.dataset.drawn === "1", ink, width: canvas?.width ?? 0 };
      }),
    );
    expect(errors, "page errors").to.deep.equal([]);
    expect(requests, "requests outside the file").to.deep.equal([]);
    expect(drawn.map((chart) => chart.id)).to.deep.equal(expected);
    for (const chart of drawn) {
      expect(chart.drawn, chart.id).to.equal(true);
      expect(chart.width, chart.id).to.be.greaterThan(300);
      expect(chart.ink, `${chart.id}: pixels drawn`).to.be.greaterThan(2000);
    }
    const page2 = await page.evaluate(() => ({
      timelines: [...document.querySelectorAll<HTMLElement>(".timeline")].map((t) => ({
        run: t.dataset.run,
        lanes: t.querySelectorAll(".lane").length,
        tripped: t.querySelectorAll('.seg:not([data-level="0"])').length,
      })),
      tables: [...document.querySelectorAll<HTMLElement>("table.liquidations")].map((t) => ({
        run: t.dataset.run,
        rows: t.querySelectorAll("tbody tr").length,
      })),
      charts: document.body.dataset.charts,
    }));
    expect(page2.charts).to.equal(String(expected.length));
    expect(page2.timelines.map((t) => t.run)).to.deep.equal(["static", "adaptive"]);
    for (const timeline of page2.timelines) {
      expect(timeline.lanes).to.equal(4); // global, USDC, WETH, WBTC
      expect(timeline.tripped, `${timeline.run}: segments above NONE`).to.be.greaterThan(0);
    }
    expect(page2.tables.map((t) => t.run)).to.deep.equal(["static", "adaptive", "morpho"]);
    for (const table of page2.tables) {
      const run = report.runs[table.run as "static" | "adaptive" | "morpho"]!;
      expect(table.rows, table.run).to.equal(Math.min(run.liquidations, 500)).and.be.greaterThan(0);
    }

    const top = await page.evaluate(() => document.querySelector("h2.charts-title")!.getBoundingClientRect().top);
    const shot = process.env.BULWARK_SCREENSHOT ?? path.join(dir, "report.png");
    // The charts from their heading down (the page is not scrolled: its coordinates are the clip's).
    await page.screenshot({ path: shot as `${string}.png`, clip: { x: 0, y: top, width: 1400, height: 1500 } });
  });
});
