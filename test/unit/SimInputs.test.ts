/**
 * What a user hands the crash simulation, no chain: the command line (simulateCli.ts: `parseCliArgs`,
 * `parseDuration`), the shipped scenarios (scenarios.ts: every file exists, parses and names known assets) and price
 * path files (pricePath.ts: decimals read exactly, and every malformed file refused with its file and row). Split from
 * SimPure.test.ts, which keeps the simulation's own pure parts.
 */
import path from "node:path";
import { existsSync } from "node:fs";

import { expect } from "chai";

import { PricePathError, decimalToWad, parsePricePath, readPricePath } from "../../scripts/lib/pricePath.js";
import {
  ROOT,
  UsageError,
  parseCliArgs,
  consoleUi,
  parseDuration,
  usage,
  type CliOptions,
} from "../../scripts/lib/sim/simulateCli.js";
import { DEFAULT_SCENARIO, SCENARIOS, SCENARIO_DIR, assetSpec, scenario } from "../../scripts/lib/sim/scenarios.js";
import { marketAssets } from "../../scripts/lib/sim/run.js";
import { thrown } from "./helpers/thrown.js";

const cli = (argv: string[], cwd = "/tmp/simcwd"): CliOptions => {
  const parsed = parseCliArgs(argv, cwd);
  if (typeof parsed === "string" || "compare" in parsed) expect.fail(`expected options, got ${JSON.stringify(parsed)}`);
  return parsed;
};

describe("Simulation inputs", function () {
  describe("parseCliArgs", function () {
    const shipped = (file: string): string => path.join(SCENARIO_DIR, file);

    it("defaults: black-thursday-2020, both modes, 200 accounts, seed bulwark, no delay, out sim-out/<scenario>", function () {
      const o = cli([]);
      expect(o.scenario).to.equal("black-thursday-2020");
      expect(o.scenario).to.equal(DEFAULT_SCENARIO);
      expect(o.description).to.equal(scenario(DEFAULT_SCENARIO).description);
      expect(o.params).to.equal("both");
      expect(o.accounts).to.equal(200);
      expect(o.seed).to.equal("bulwark");
      expect(o.keeperDelayBlocks).to.equal(0);
      expect(o.keeperOutages).to.deep.equal([]);
      expect(o.out).to.equal(path.resolve("/tmp/simcwd", "sim-out", "black-thursday-2020"));
      expect(o.fork).to.equal(undefined);
      expect([...o.prices]).to.deep.equal([
        ["WETH", shipped("blackthursday2020_eth_usdt_1h_binance.csv")],
        ["WBTC", shipped("blackthursday2020_btc_usdt_1h_binance.csv")],
      ]);
    });

    it("takes a shipped scenario and the other options", function () {
      const o = cli([
        "--scenario",
        "aug-2024",
        "--accounts",
        "10000",
        "--seed",
        "x",
        "--params",
        "static",
        "--keeper-delay",
        "3",
        "--keeper-outage",
        "1h:90m",
        "--keeper-outage",
        "1d:1.5d",
        "--out",
        "reports",
      ]);
      expect(o.scenario).to.equal("aug-2024");
      expect([...o.prices.keys()]).to.deep.equal(["WETH", "WBTC", "SOL"]);
      expect(o.prices.get("SOL")).to.equal(shipped("aug2024_sol_usdt_1h_binance.csv"));
      expect(o.accounts).to.equal(10000);
      expect(o.seed).to.equal("x");
      expect(o.params).to.equal("static");
      expect(o.keeperDelayBlocks).to.equal(3);
      expect(o.keeperOutages).to.deep.equal([
        { from: 3600, to: 5400 },
        { from: 86_400, to: 129_600 },
      ]);
      expect(o.out).to.equal(path.resolve("/tmp/simcwd", "reports"));
      expect(cli(["--scenario", "may-2021"]).out).to.equal(path.resolve("/tmp/simcwd", "sim-out", "may-2021"));
      expect(cli(["--params", "adaptive", "--accounts", "1"]).accounts).to.equal(1);
    });

    it("--prices makes a custom scenario with upper-cased symbols and paths resolved against the cwd", function () {
      const o = cli(["--prices", "WETH=f.csv", "--prices", "wbtc=data/g.csv", "--prices", "Sol=/abs/s.csv"]);
      expect(o.scenario).to.equal("custom");
      expect([...o.prices]).to.deep.equal([
        ["WETH", path.resolve("/tmp/simcwd", "f.csv")],
        ["WBTC", path.resolve("/tmp/simcwd", "data/g.csv")],
        ["SOL", "/abs/s.csv"],
      ]);
      expect(o.description).to.include("WETH from f.csv").and.include("WBTC from g.csv");
      expect(o.out).to.equal(path.resolve("/tmp/simcwd", "sim-out", "custom"));
    });

    it("parses --fork with --block, and the default address book", function () {
      const o = cli(["--fork", "https://rpc.example/v1", "--block", "19000000"]);
      expect(o.fork?.url).to.equal("https://rpc.example/v1");
      expect(o.fork?.block).to.equal(19_000_000);
      expect(o.fork?.addresses).to.equal(path.join(ROOT, "deploy/address-book/mainnet.json"));
      expect(existsSync(o.fork?.addresses ?? "")).to.equal(true);
      expect(cli(["--fork", "http://127.0.0.1:8545"]).fork?.block).to.equal(undefined);
    });

    it("--params takes each mode, both and all; the usage names them", function () {
      for (const params of ["static", "adaptive", "morpho", "both", "all"] as const) {
        expect(cli(["--params", params]).params, params).to.equal(params);
      }
      expect(usage()).to.match(/--params MODE +static, adaptive, morpho, both or all \(default both/);
      expect(usage()).to.contain("all adds Morpho Blue");
    });

    it("rejects --params none (and a mode in capitals), naming the five choices", function () {
      for (const bad of ["none", "Morpho", "static,morpho", ""]) {
        const message = thrown(() => parseCliArgs(["--params", bad], "/tmp/simcwd"), UsageError);
        expect(message, bad).to.equal(`--params must be static, adaptive, morpho, both or all, got "${bad}"`);
      }
    });

    it("returns help and list", function () {
      expect(parseCliArgs(["--help"])).to.equal("help");
      expect(parseCliArgs(["-h"])).to.equal("help");
      expect(parseCliArgs(["--list"])).to.equal("list");
    });

    const usageErrors: Array<[string, string[], RegExp]> = [
      ["--scenario with --prices", ["--scenario", "may-2021", "--prices", "WETH=f.csv"], /not both/],
      ["--prices without =", ["--prices", "WETH"], /ASSET=FILE/],
      ["--prices with no file", ["--prices", "WETH="], /ASSET=FILE/],
      ["--prices with a bad symbol", ["--prices", "W-ETH=f.csv"], /ASSET=FILE/],
      ["the same asset twice", ["--prices", "WETH=a.csv", "--prices", "weth=b.csv"], /WETH twice/],
      [
        "bad --params",
        ["--params", "dynamic"],
        /--params must be static, adaptive, morpho, both or all, got "dynamic"/,
      ],
      ["--keeper-outage without a colon", ["--keeper-outage", "1h"], /FROM:TO/],
      ["--keeper-outage with three parts", ["--keeper-outage", "1:2:3"], /FROM:TO/],
      ["--keeper-outage TO = FROM", ["--keeper-outage", "1h:60m"], /TO must be after FROM/],
      ["--keeper-outage TO < FROM", ["--keeper-outage", "2h:1h"], /TO must be after FROM/],
      ["--keeper-outage bad duration", ["--keeper-outage", "1h:soon"], /not a duration/],
      ["--accounts 0", ["--accounts", "0"], /--accounts \(borrowers\) must be a whole number from 1 to 10,000, got 0/],
      ["--accounts 10001", ["--accounts", "10001"], /--accounts \(borrowers\) must be a whole number from 1 to 10,000/],
      [
        "--accounts -5 (a negative count)",
        ["--accounts", "-5"],
        /^--accounts \(borrowers\) cannot be negative: give a whole number from 1 to 10,000, not -5$/,
      ],
      ["--accounts=-5", ["--accounts=-5"], /--accounts \(borrowers\) cannot be negative/],
      [
        "--accounts abc",
        ["--accounts", "abc"],
        /--accounts \(borrowers\) must be a whole number from 1 to 10,000, got "abc"/,
      ],
      ["--accounts 2.5", ["--accounts", "2.5"], /--accounts \(borrowers\) must be a whole number/],
      [
        "--keeper-delay -1",
        ["--keeper-delay", "-1"],
        /^--keeper-delay \(blocks\) cannot be negative: give a whole number from 0 to 10,000, not -1$/,
      ],
      ["--block without --fork", ["--block", "100"], /only apply with --fork/],
      ["--addresses without --fork", ["--addresses", "book.json"], /only apply with --fork/],
      ["--fork not http(s)", ["--fork", "ws://localhost:8546"], /http\(s\) URL/],
      ["--fork a bare host", ["--fork", "localhost:8545"], /http\(s\) URL/],
      ["--fork with a missing address book", ["--fork", "http://x", "--addresses", "nope.json"], /no such file/],
      ["--fork with a bad block", ["--fork", "http://x", "--block", "latest"], /--block must be a whole number/],
      ["an unknown flag", ["--acounts", "5"], /^unknown option --acounts$/],
      ["a positional argument", ["black-thursday-2020"], /^unexpected argument "black-thursday-2020"/],
      ["a string flag without its value", ["--seed"], /^--seed needs a value$/],
      ["a value given to a switch", ["--list=yes"], /^--list takes no value$/],
    ];
    for (const [what, argv, message] of usageErrors) {
      it(`rejects ${what} with a UsageError`, function () {
        expect(thrown(() => parseCliArgs(argv, "/tmp/simcwd"), UsageError)).to.match(message);
      });
    }

    it("rejects an unknown --scenario, listing the shipped ones", function () {
      const message = thrown(() => parseCliArgs(["--scenario", "black-monday-1987"]), UsageError);
      expect(message).to.include("black-monday-1987");
      for (const s of SCENARIOS) expect(message).to.include(s.name);
    });
  });

  describe("parseDuration", function () {
    it("reads seconds, minutes, hours and days", function () {
      expect(parseDuration("90", "--x")).to.equal(90);
      expect(parseDuration("90s", "--x")).to.equal(90);
      expect(parseDuration("30m", "--x")).to.equal(1800);
      expect(parseDuration("6h", "--x")).to.equal(21_600);
      expect(parseDuration("1.5d", "--x")).to.equal(129_600);
      expect(parseDuration(" 2h ", "--x")).to.equal(7200);
      expect(parseDuration("0", "--x")).to.equal(0);
    });

    it("rejects anything else with a UsageError naming the flag", function () {
      for (const bad of ["", "h", "-5", "5w", "1.5.2h", "1e3", "6 h", "abc"]) {
        const message = thrown(() => parseDuration(bad, "--keeper-outage"), UsageError);
        expect(message).to.include("--keeper-outage").and.include("not a duration");
      }
    });
  });

  describe("scenarios", function () {
    it("finds each shipped scenario by name, and rejects an unknown one listing the shipped names", function () {
      expect(SCENARIOS.length).to.be.greaterThan(0);
      expect(new Set(SCENARIOS.map((s) => s.name)).size).to.equal(SCENARIOS.length);
      for (const s of SCENARIOS) expect(scenario(s.name)).to.equal(s);
      expect(scenario(DEFAULT_SCENARIO).name).to.equal("black-thursday-2020");
      const message = thrown(() => scenario("nope"));
      for (const s of SCENARIOS) expect(message).to.include(s.name);
    });

    for (const s of SCENARIOS) {
      it(`${s.name}: every file exists in scripts/scenarios/, parses, and names a known asset`, function () {
        expect(SCENARIO_DIR).to.equal(path.join(ROOT, "scripts", "scenarios"));
        expect(Object.keys(s.prices).length).to.be.greaterThan(0);
        expect(s.description.length).to.be.greaterThan(0);
        for (const [symbol, file] of Object.entries(s.prices)) {
          const spec = assetSpec(symbol);
          expect(spec, symbol).to.not.equal(undefined);
          expect(spec?.symbol).to.equal(symbol);
          const full = path.join(SCENARIO_DIR, file);
          expect(existsSync(full), full).to.equal(true);
          const points = readPricePath(full);
          expect(points.length, file).to.be.greaterThan(2);
          for (const p of points) expect(p.priceWad > 0n).to.equal(true);
        }
        // The CLI resolves it to the same files, and the market lists every asset with a path.
        const o = cli(["--scenario", s.name]);
        expect(Object.fromEntries(o.prices)).to.deep.equal(
          Object.fromEntries(Object.entries(s.prices).map(([k, f]) => [k, path.join(SCENARIO_DIR, f)])),
        );
        const listed = marketAssets(o.prices).map((a) => a.symbol);
        for (const symbol of Object.keys(s.prices)) expect(listed).to.include(symbol);
      });
    }

    it("knows assets case-insensitively and nothing else", function () {
      expect(assetSpec("weth")?.symbol).to.equal("WETH");
      expect(assetSpec("usdc")?.decimals).to.equal(6);
      expect(assetSpec("DOGE")).to.equal(undefined);
    });
  });
});

describe("price path decimals", () => {
  it("reads plain and exponent notation exactly, as exchange dumps write tiny prices", () => {
    expect(decimalToWad("12.5")).to.equal(12_500_000_000_000_000_000n);
    expect(decimalToWad(".5")).to.equal(500_000_000_000_000_000n);
    expect(decimalToWad("8e-05")).to.equal(80_000_000_000_000n);
    expect(decimalToWad("1.2E3")).to.equal(1_200_000_000_000_000_000_000n);
    expect(decimalToWad("1e-18")).to.equal(1n);
  });

  it("refuses more than 18 decimals, exponents beyond ±30, and anything not a decimal", () => {
    expect(decimalToWad("1e-19")).to.equal(null);
    expect(decimalToWad("0.1234567890123456789")).to.equal(null);
    for (const bad of ["", ".", "e5", "1e31", "1e-31", "-1", "0x10", "1,5", "abc", "1e"]) {
      expect(decimalToWad(bad), bad).to.equal(undefined);
    }
  });

  it("names the file and line of a price it refuses", () => {
    expect(() => parsePricePath("timestamp,price\n1,2\n2,3e-19\n", "f.csv")).to.throw(
      PricePathError,
      'f.csv:3: price has more than 18 decimals: "2,3e-19"',
    );
    expect(parsePricePath("timestamp,price\n1,8e-05\n2,1\n", "f.csv")[0].priceWad).to.equal(80_000_000_000_000n);
  });

  it("refuses millisecond timestamps with the fix (issue 20)", () => {
    expect(() => parsePricePath("timestamp,price\n1700000000000,2\n1700000060000,3\n", "ms.csv")).to.throw(
      PricePathError,
      "ms.csv:2: timestamp looks like milliseconds, not unix seconds (divide the column by 1000: 1700000000)",
    );
    // The last second that is still seconds is read as such.
    expect(parsePricePath("timestamp,price\n99999999998,2\n99999999999,3\n", "s.csv")).to.have.length(2);
  });

  it("refuses timestamps that do not increase and prices that are not positive, with the fix (issue 20)", () => {
    const refused: [file: string, rows: string, message: string][] = [
      [
        "order.csv",
        "1700000060,2\n1700000000,3",
        'order.csv:3: timestamp 1700000000 is not after the row before (1700000060): sort the rows by time and drop repeated ones: "1700000000,3"',
      ],
      [
        "dup.csv",
        "1700000000,2\n1700000000,3",
        "dup.csv:3: timestamp 1700000000 is not after the row before (1700000000)",
      ],
      [
        "neg.csv",
        "1700000000,2\n1700000060,-3",
        'neg.csv:3: price is negative: prices are USD per token, above zero (check the column and its sign): "1700000060,-3"',
      ],
      [
        "zero.csv",
        "1700000000,2\n1700000060,0",
        'zero.csv:3: price is zero: prices are USD per token, above zero (drop the row, or fill it from its neighbours): "1700000060,0"',
      ],
    ];
    for (const [file, rows, message] of refused) {
      expect(() => parsePricePath(`timestamp,price\n${rows}\n`, file)).to.throw(PricePathError, message);
    }
  });

  it("refuses a path of one row, and a gap of more than a week (issue 20)", () => {
    expect(() => parsePricePath("timestamp,price\n1700000000,2\n", "one.csv")).to.throw(
      PricePathError,
      "one.csv: one price row; a path needs at least two (a start and where it goes)",
    );
    const week = 7 * 86_400;
    expect(parsePricePath(`timestamp,price\n1700000000,2\n${1700000000 + week},3\n`, "w.csv")).to.have.length(2);
    expect(() => parsePricePath(`timestamp,price\n1700000000,2\n${1700000001 + week},3\n`, "gap.csv")).to.throw(
      PricePathError,
      "gap.csv:3: 604801 s (7.00 days) after the row before, more than a week (a hole in the data: fill it or split the path)",
    );
  });
});

describe("progress output off a terminal", function () {
  it("prints a line per 10% of the steps, and one at least every 5 s when steps are slow", function () {
    const lines: string[] = [];
    let clock = 0;
    const ui = consoleUi({ isTTY: false, write: (text: string) => Boolean(lines.push(text)) }, () => clock);
    ui.phase("static: replaying 73 steps");
    const times: number[] = [];
    for (let step = 1; step <= 73; step++) {
      clock += 2_000; // 2 s a step: 10% (7 steps) would be 14 s of silence
      const before = lines.length;
      ui.progress(step, 73);
      if (lines.length > before) times.push(clock);
    }
    const gaps = times.map((t, i) => t - (i === 0 ? 0 : times[i - 1]));
    expect(Math.max(...gaps)).to.be.at.most(6_000);
    expect(lines.at(-1)).to.equal("  static: 73/73 steps (100%)\n");
    // Fast steps: only the deciles.
    const quick: string[] = [];
    const fast = consoleUi({ isTTY: false, write: (text: string) => Boolean(quick.push(text)) }, () => 0);
    for (let step = 1; step <= 100; step++) fast.progress(step, 100);
    expect(quick).to.have.length(11);
  });
});
