/**
 * `npm run deploy` and `npm run readback` as a user runs them (scripts/deploy.ts, scripts/readback.ts): the command
 * lines and their mistakes, the read-back's units, and both end to end against a `hardhat node` on 127.0.0.1 through
 * the generic `chain` network (BULWARK_RPC_URL, BULWARK_DEPLOYER_KEY): a short deploy log with every contract, a
 * read-back in units no wider than a terminal, raw values in --json, a mismatch named in units, the deployment's
 * address book and `simulate --fork` on that chain with it (the README's local fork recipe), and a record from an
 * earlier chain refused until --reset.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";

import { UsageError } from "../../scripts/lib/cliArgs.js";
import { localAddressBook } from "../../scripts/lib/deploy/addressBook.js";
import { checkResettable, parseDeployArgs } from "../../scripts/lib/deploy/deployCli.js";
import { parseReadbackArgs } from "../../scripts/lib/deploy/readbackCli.js";
import type { ReadbackRow } from "../../scripts/lib/deploymentReadback.js";
import { formatAddress, formatDuration, formatPair, formatValue } from "../../scripts/lib/readbackFormat.js";
import { readAddressBook } from "../../scripts/lib/sim/fork.js";
import { readReport } from "../../scripts/lib/sim/compare.js";
import { near } from "./helpers/approx.js";
import { startNode, type NodeHandle } from "./helpers/forkMirror.js";
import { runScript } from "./helpers/runScript.js";
import { smallStaticRun } from "./helpers/simRun.js";
import { thrown } from "./helpers/thrown.js";

const ROOT = process.cwd();
/** `hardhat node`'s first account (a well-known test key). */
const NODE_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

const run = runScript;

describe("deploy and read-back CLIs", function () {
  describe("command lines", function () {
    it("deploy: --network is required, the parameter file defaults to the network's, mocks only on local chains", function () {
      expect(thrown(() => parseDeployArgs([]), UsageError)).to.equal("--network NAME is required");
      expect(thrown(() => parseDeployArgs(["--network", "nowhere"]), UsageError)).to.equal(
        "deploy/parameters/nowhere.json: no such parameter file (give one with --parameters FILE)",
      );
      expect(thrown(() => parseDeployArgs(["--network", "localhost", "--local", "--live"]), UsageError)).to.equal(
        "give --local or --live, not both",
      );
      expect(thrown(() => parseDeployArgs(["--network", "localhost", "--resett"]), UsageError)).to.equal(
        "unknown option --resett",
      );
      expect(parseDeployArgs(["--network", "localhost"])).to.deep.equal({
        network: "localhost",
        parameters: path.join(ROOT, "deploy/parameters/localhost.json"),
        local: true,
        reset: false,
        deployment: undefined,
      });
      expect(parseDeployArgs(["--network", "mainnet"])).to.include({ local: false });
      expect(parseDeployArgs(["--network", "mainnet", "--local"])).to.include({ local: true });
      expect(parseDeployArgs(["--help"])).to.equal("help");
    });

    it("readback: --network is required; --json", function () {
      expect(thrown(() => parseReadbackArgs([]), UsageError)).to.equal("--network NAME is required");
      expect(parseReadbackArgs(["--network", "localhost", "--json"])).to.deep.equal({
        network: "localhost",
        json: true,
      });
      expect(thrown(() => parseReadbackArgs(["--network"]), UsageError)).to.equal("--network needs a value");
    });
  });

  describe("--reset deletes only a local chain's Ignition record", function () {
    const scratch = (): string => mkdtempSync(path.join(tmpdir(), "bulwark-reset-"));
    const record = (chainId: number, extra: string[] = []): string => {
      const dir = scratch();
      // As Ignition writes it: a blank line first.
      writeFileSync(path.join(dir, "journal.jsonl"), `\n{"chainId":${chainId},"type":"DEPLOYMENT_INITIALIZE"}\n`);
      writeFileSync(path.join(dir, "deployed_addresses.json"), "{}");
      for (const name of extra) writeFileSync(path.join(dir, name), "");
      return dir;
    };

    it("accepts a record of the connected local chain", function () {
      expect(() => checkResettable(record(31337), 31337)).to.not.throw();
    });

    it("refuses the project, a folder with other files, a file, a record of another chain, and any live chain", function () {
      expect(thrown(() => checkResettable(ROOT, 31337), UsageError)).to.match(
        /^--reset: \. is not a deployment record \(it holds /,
      );
      expect(thrown(() => checkResettable(record(31337, ["notes.txt"]), 31337), UsageError)).to.contain(
        "it holds notes.txt",
      );
      const file = path.join(scratch(), "localhost.json");
      writeFileSync(file, "{}");
      expect(thrown(() => checkResettable(file, 31337), UsageError)).to.contain(
        "is not a deployment record (not a directory)",
      );
      expect(thrown(() => checkResettable(record(1), 31337), UsageError)).to.match(
        /is not a record of chain 31337 \(its journal says chain 1\)/,
      );
      expect(thrown(() => checkResettable(record(1), 1), UsageError)).to.equal(
        "--reset only deletes records of local chains (31337, 1337), not of chain 1",
      );
      const empty = scratch();
      expect(thrown(() => checkResettable(empty, 31337), UsageError)).to.contain("its journal says nothing");
    });
  });

  describe("read-back units", function () {
    const names = new Map([["0x5FbDB2315678afecb367f032d93F642f64180aa3", "timelock"]]);

    it("shows WAD shares as %, factors as decimals, durations, USD, token amounts and counts", function () {
      const cases: Array<[string, Parameters<typeof formatValue>[1], string]> = [
        ["100000000000000000", { kind: "percent" }, "10%"],
        ["5000000000000000", { kind: "percent" }, "0.5%"],
        ["65000000000000000", { kind: "percent" }, "6.5%"],
        ["1050000000000000000", { kind: "ratio" }, "1.05"],
        ["172800", { kind: "seconds" }, "2 d"],
        ["5400", { kind: "seconds" }, "1.5 h"],
        ["600", { kind: "seconds" }, "10 min"],
        ["0", { kind: "seconds" }, "0 s"],
        ["1000000000000000", { kind: "usd" }, "$0.001"],
        ["3000000000000000000000000", { kind: "usd" }, "$3,000,000"],
        ["100000000000000", { kind: "amount", decimals: 6, symbol: "USDC" }, "100,000,000 USDC"],
        ["150000000", { kind: "amount", decimals: 8, symbol: "WBTC" }, "1.5 WBTC"],
        ["100", { kind: "count" }, "100"],
        ["true", undefined, "true"],
        ["none", { kind: "percent" }, "none"],
      ];
      for (const [raw, unit, shown] of cases) expect(formatValue(raw, unit, names), raw).to.equal(shown);
      expect(formatDuration(7n)).to.equal("7 s");
    });

    it("shows the raw values when the unit's rounding would make a mismatch look equal", function () {
      expect(formatPair("1050000000000000000", "1050050000000000000", { kind: "ratio" }, names)).to.deep.equal([
        "1.05 (1050000000000000000)",
        "1.05 (1050050000000000000)",
      ]);
      expect(formatPair("1050000000000000000", "1100000000000000000", { kind: "ratio" }, names)).to.deep.equal([
        "1.05",
        "1.1",
      ]);
    });

    it("names known addresses, shortens the rest, and says what the zero address means", function () {
      expect(formatValue("0x5FbDB2315678afecb367f032d93F642f64180aa3", undefined, names)).to.equal("timelock");
      expect(formatAddress("0x70997970c51812dc3a010c7d01b50e0d17dc79c8", names)).to.equal("0x7099…79C8");
      expect(formatAddress("0x5FbDB2315678afecb367f032d93F642f64180aa3", names)).to.equal("0x5FbD…0aa3 (timelock)");
      expect(formatValue("0x0000000000000000000000000000000000000000", undefined, names)).to.equal(
        "none (zero address)",
      );
    });
  });

  describe("against a hardhat node (the generic `chain` network)", function () {
    this.timeout(240_000);

    let node: NodeHandle | undefined;
    let dir: string;
    let env: Record<string, string>;
    let record: string;
    const parameters = "deploy/parameters/localhost.json";

    before(async () => {
      dir = mkdtempSync(path.join(tmpdir(), "bulwark-deploy-"));
      record = path.join(dir, "record");
      node = await startNode();
      env = { BULWARK_RPC_URL: node.url, BULWARK_DEPLOYER_KEY: NODE_KEY };
    });

    after(async () => {
      await node?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    const deployArgs = (): string[] => [
      "--network",
      "chain",
      "--local",
      "--parameters",
      parameters,
      "--deployment",
      record,
    ];
    const readbackEnv = (): Record<string, string> => ({
      ...env,
      BULWARK_PARAMETERS: parameters,
      BULWARK_DEPLOYMENT: record,
    });

    it("deploys in a short log: a line per contract, the addresses, and the read-back to run next", async () => {
      const out = await run("scripts/deploy.ts", deployArgs(), env);
      expect(out.code, out.stderr).to.equal(0);
      const lines = out.stdout.trim().split("\n");
      expect(lines.length).to.be.below(60);
      expect(out.stdout).to.match(/^deploy: \d+ steps in \d+ batches$/m);
      expect(out.stdout).to.match(/^deploy: {3}\[\d+\/\d+\] BulwarkCore#CollateralVault +0x[0-9a-fA-F]{40}$/m);
      expect(out.stdout).to.match(/^ {2}vault +0x[0-9a-fA-F]{40}$/m);
      expect(lines.at(-1)).to.equal(
        `next: BULWARK_PARAMETERS=${parameters} BULWARK_DEPLOYMENT=${path.relative(ROOT, record)} npm run readback -- --network chain`,
      );
      expect(out.stdout + out.stderr).to.not.match(/warning/i);
      const again = await run("scripts/deploy.ts", deployArgs(), env);
      expect(again.code, again.stderr).to.equal(0);
      expect(again.stdout).to.include("deploy: nothing to send: every step is in the record already");
    });

    it("reads it back in units, within 120 columns; --json has the raw values", async () => {
      const out = await run("scripts/readback.ts", ["--network", "chain"], readbackEnv());
      expect(out.code, out.stderr).to.equal(0);
      expect(out.stdout).to.match(/\d+ values checked, 0 mismatches/);
      for (const line of out.stdout.split("\n")) expect(line.length, line).to.be.at.most(120);
      expect(out.stdout).to.match(/vault\.parameters\.reserveFactor +10% +10% +ok/);
      expect(out.stdout).to.match(/timelock\.getMinDelay +2 d +2 d +ok/);
      expect(out.stdout).to.match(/vault\.parameters\.borrowCap +100,000,000 USDC +100,000,000 USDC +ok/);
      expect(out.stdout).to.match(/adapter\.owner +timelock +timelock +ok/);
      const json = await run("scripts/readback.ts", ["--network", "chain", "--json"], readbackEnv());
      expect(json.code, json.stderr).to.equal(0);
      const report = JSON.parse(json.stdout) as { chainId: number; rows: ReadbackRow[] };
      expect(report.chainId).to.equal(31337);
      const reserve = report.rows.find((row) => row.check === "vault.parameters.reserveFactor");
      expect(reserve).to.deep.equal({
        check: "vault.parameters.reserveFactor",
        expected: "100000000000000000",
        actual: "100000000000000000",
        ok: true,
        unit: { kind: "percent" },
      });
    });

    it("names a mismatch in units and exits 1", async () => {
      const edited = path.join(dir, "edited.json");
      const text = readFileSync(parameters, "utf8").replace(
        '"reserveFactor": "100000000000000000n"',
        '"reserveFactor": "200000000000000000n"',
      );
      writeFileSync(edited, text);
      const out = await run("scripts/readback.ts", ["--network", "chain"], {
        ...readbackEnv(),
        BULWARK_PARAMETERS: edited,
      });
      expect(out.code).to.equal(1);
      expect(out.stderr).to.equal("MISMATCH vault.parameters.reserveFactor: expected 20%, actual 10%\n");
    });

    it("writes the deployment's address book, and simulate --fork replays a crash on a fork of that chain with it", async () => {
      const bookFile = path.join(record, "address-book.json");
      const book = readAddressBook(bookFile);
      expect(book.chainId).to.equal(31337);
      expect(Object.keys(book.tokens)).to.deep.equal(["USDC", "WETH", "WBTC"]);
      expect(book.chainlinkFeeds["WETH/USD"]).to.include({
        decimals: 8,
        heartbeatSeconds: 3600,
        deviationThreshold: "0.5%",
      });
      expect(book.uniswapV3).to.equal(undefined); // a local chain has none: fork mode deploys its own pools
      // The default: the book of the deployment record for the fork's chain id, found by asking the node.
      const root = mkdtempSync(path.join(tmpdir(), "bulwark-root-"));
      const recorded = path.join(root, "deploy", "deployments", "chain-31337", "address-book.json");
      mkdirSync(path.dirname(recorded), { recursive: true });
      writeFileSync(recorded, readFileSync(bookFile));
      expect(await localAddressBook(root, node!.url)).to.equal(recorded);
      expect(await localAddressBook(root, "http://127.0.0.1:9", 2000)).to.equal(undefined);
      rmSync(root, { recursive: true, force: true });

      const out = path.join(dir, "fork-out");
      const sim = await run("scripts/simulate.ts", smallStaticRun(["--fork", node!.url, "--addresses", bookFile], out));
      expect(sim.code, sim.stderr).to.equal(0);
      expect(sim.stdout).to.match(/^verdict static: /m);
      const report = readReport(path.join(out, "report.json"));
      expect(report.meta.chain).to.equal(
        `fork of ${node!.url} (its address book names no Uniswap v3: pools deployed on the fork) (paths scaled to start at its feed prices)`,
      );
      // The path was scaled to the local feed's $3,000 (deploy/parameters/localhost.json) and replayed through it.
      expect(report.meta.assets.find((a) => a.symbol === "WETH")?.startPriceUsd).to.equal(3000);
      const run0 = report.runs.static!;
      expect(run0.liquidations).to.be.greaterThan(0);
      expect(run0.deployed?.["WETH.liquidationThreshold"]).to.equal(0.85);
      const low = run0.series.reduce((a, b) => (b.price.WETH < a.price.WETH ? b : a));
      expect(low.price.WETH).to.be.below(2000); // Black Thursday's −52%, from $3,000
      near(low.oraclePrice.WETH, low.price.WETH, low.price.WETH * 0.005);
      near(low.poolPrice.WETH, low.price.WETH, low.price.WETH * 0.02);
    });

    it("refuses a record whose contracts the chain does not have (a restarted node) until --reset", async () => {
      await node?.stop();
      node = await startNode();
      env = { BULWARK_RPC_URL: node.url, BULWARK_DEPLOYER_KEY: NODE_KEY };
      const stale = await run("scripts/deploy.ts", deployArgs(), env);
      expect(stale.code).to.equal(1);
      expect(stale.stderr).to.match(
        /names contracts chain 31337 does not have \(a restarted local node\?\): run again with --reset/,
      );
      const reset = await run("scripts/deploy.ts", [...deployArgs(), "--reset"], env);
      expect(reset.code, reset.stderr).to.equal(0);
      expect(reset.stdout).to.match(/^deploy: deleted the earlier record/m);
      const back = await run("scripts/readback.ts", ["--network", "chain"], readbackEnv());
      expect(back.code, back.stderr).to.equal(0);
    });
  });
});
