/**
 * The crash simulation's fork mode end to end, offline: an upstream `hardhat node` on 127.0.0.1 stands in for
 * mainnet, with a mirror of its layout built there (test/unit/helpers/forkMirror.ts): WETH-, WBTC- and USDC-like
 * tokens, a Chainlink-style owned proxy per feed (owned by an account the simulation has no key for), Uniswap v3's
 * real factory with a WETH/USDC and a WBTC/USDC pool, and an address book in deploy/address-book/mainnet.json's
 * format. The test runs `node scripts/simulate.ts --fork URL --addresses BOOK --prices WETH=crash.csv`, as a user
 * would, and checks the report: the path replayed through the real proxies (scaled to start at the mirror's price),
 * liquidations through the fork's pool, both parameter modes. The node is stopped by process group in `after()`.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import { Contract, JsonRpcProvider } from "ethers";

import type { SimulationReport } from "../../scripts/lib/sim/types.js";
import { near } from "./helpers/approx.js";
import { runScript, type ScriptRun } from "./helpers/runScript.js";
import { buildMirror, startNode, type MirrorInfo, type NodeHandle } from "./helpers/forkMirror.js";

/** A crash no file in the project holds: ETH −40% over five hours, then a bounce. */
const CRASH_CSV = [
  "timestamp,price",
  "1700000000,2000",
  "1700003600,1990",
  "1700007200,1900",
  "1700010800,1700",
  "1700014400,1500",
  "1700018000,1250",
  "1700021600,1200",
  "1700025200,1300",
].join("\n");

/** Runs the simulation CLI; resolves with its exit code and output. */
const simulate = (args: readonly string[]): Promise<ScriptRun> => runScript("scripts/simulate.ts", args);

const isRunning = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe("simulate --fork (against a local hardhat node)", function () {
  this.timeout(240_000);

  let node: NodeHandle | undefined;
  let mirror: MirrorInfo;
  let dir: string;
  let book: string;
  let csv: string;

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "bulwark-fork-"));
    book = path.join(dir, "book.json");
    csv = path.join(dir, "crash.csv");
    writeFileSync(csv, CRASH_CSV);
    node = await startNode();
    mirror = await buildMirror(node.url, book);
  });

  after(async () => {
    const pid = node?.pid;
    await node?.stop();
    if (pid !== undefined) expect(isRunning(pid), "the node process is gone").to.equal(false);
    rmSync(dir, { recursive: true, force: true });
  });

  it("replays a CSV through the fork's feed proxies, pools and tokens, static and adaptive", async () => {
    const out = path.join(dir, "out");
    const run = await simulate([
      "--fork",
      node!.url,
      "--addresses",
      book,
      "--prices",
      `WETH=${csv}`,
      "--accounts",
      "30",
      "--params",
      "both",
      "--out",
      out,
    ]);
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stdout)
      .to.match(/Bad debt/)
      .and.match(/static/)
      .and.match(/adaptive/);

    const report = JSON.parse(readFileSync(path.join(out, "report.json"), "utf8")) as SimulationReport;
    expect(report.meta.chain).to.contain(`fork of ${node!.url}`);
    expect(report.meta.scenario).to.equal("custom");
    for (const run of [report.runs.static, report.runs.adaptive]) {
      expect(run).to.not.equal(undefined);
      const r = run!;
      expect(r.steps).to.equal(8);
      expect(r.series).to.have.length(8);
      // The path is scaled to start at the mirror feed's $3,000: 2000 → 1300 becomes 3000 → 1950.
      near(r.series[0].price.WETH, 3000, 1e-6);
      near(r.series[7].price.WETH, 1950, 1e-6);
      // The oracle adapter read the path through the real proxy address; WBTC, without a path, held its price.
      near(r.series[5].oraclePrice.WETH, 1875, 1);
      near(r.series[7].oraclePrice.WBTC, 60000, 1);
      // The arbitrageur kept the fork's pool on the path, and the keeper liquidated through it.
      near(r.series[5].poolPrice.WETH, 1875, 1875 * 0.01);
      expect(r.liquidations).to.be.greaterThan(0);
      expect(r.minHealthFactor).to.be.lessThan(1);
      expect(r.borrowersAtStart).to.equal(30);
    }
    expect(readFileSync(path.join(out, "report.html"), "utf8")).to.contain('<script id="chart-data"');

    // A fork never writes upstream: the node's proxy still points at its original aggregator.
    const provider = new JsonRpcProvider(node!.url, undefined, { staticNetwork: true });
    const proxy = new Contract(
      mirror.feeds["ETH/USD"].proxy,
      ["function aggregator() view returns (address)"],
      provider,
    );
    expect(await proxy.aggregator()).to.equal(mirror.feeds["ETH/USD"].aggregator);
    provider.destroy();
  });

  it("names the missing token when the address book lacks one", async () => {
    const broken = JSON.parse(readFileSync(book, "utf8")) as { tokens: Record<string, unknown> };
    delete broken.tokens.WBTC;
    const file = path.join(dir, "no-wbtc.json");
    writeFileSync(file, JSON.stringify(broken));
    const run = await simulate([
      "--fork",
      node!.url,
      "--addresses",
      file,
      "--prices",
      `WETH=${csv}`,
      "--accounts",
      "5",
    ]);
    expect(run.code).to.equal(1);
    expect(run.stderr).to.contain("has no token WBTC");
  });
});
