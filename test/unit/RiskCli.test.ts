/**
 * The Monte Carlo's command line and files (scripts/lib/risk/): every option's mistakes as one line and exit 2, the
 * sweep and shard syntax, merging refusing shards that do not form one run, and the Kubernetes example manifest
 * (deploy/k8s/risk-indexed-job.yaml) running exactly the command its docs give, one shard per completion index.
 */
import { readFileSync } from "node:fs";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";

import { UsageError } from "../../scripts/lib/cliArgs.js";
import { jobsFor, parseRiskArgs, parseSweep, type RiskOptions } from "../../scripts/lib/risk/riskCli.js";
import {
  FORMAT_VERSION,
  MergeError,
  SHARD_KIND,
  mergeShards,
  readShards,
  shardPaths,
  type RiskConfig,
  type ShardFile,
} from "../../scripts/lib/risk/riskReport.js";
import type { PathOutcome } from "../../scripts/lib/risk/session.js";
import { runScript } from "./helpers/runScript.js";

const parse = (args: string[]): RiskOptions => {
  const parsed = parseRiskArgs(args, "/work");
  if (parsed === "help") throw new Error("help");
  return parsed;
};
const refused = (args: string[], message: RegExp): void => {
  expect(() => parseRiskArgs(args)).to.throw(UsageError, message);
};

describe("risk CLI: options", () => {
  it("defaults to 200 paths of 24 hours, 200 borrowers, every protocol, one worker per core", () => {
    const { config, shard, merge, out } = parse([]);
    expect(config).to.include({ paths: 200, hours: 24, accounts: 200, seed: "bulwark" });
    expect(config.modes).to.deep.equal(["static", "adaptive", "morpho"]);
    expect(config.sweeps).to.deep.equal([]);
    expect(config.model).to.deep.equal({ blockHours: 6, jumpSigmas: 4, jumpScale: 1 });
    expect(shard).to.equal(undefined);
    expect(merge).to.equal(undefined);
    expect(out).to.equal("/work/risk-out");
    expect(parse(["--monte-carlo", "50"]).config.paths).to.equal(50);
    expect(parse(["--params", "both"]).config.modes).to.deep.equal(["static", "adaptive"]);
    expect(parse(["--shard", "3/8"]).shard).to.deep.equal({ index: 3, count: 8 });
  });

  it("refuses each mistake with one line naming the option", () => {
    refused(["--paths", "0"], /--paths \(paths\) must be a whole number from 1/);
    refused(["--paths", "-3"], /cannot be negative/);
    refused(["--paths", "5", "--monte-carlo", "5"], /--paths or --monte-carlo, not both/);
    refused(["--hours", "1.5"], /--hours/);
    refused(["--params", "aave"], /--params must be static, adaptive, morpho, both or all/);
    refused(["--shard", "4/4"], /I counts from 0, so it must be below N \(4\)/);
    refused(["--shard", "1-4"], /--shard must be I\/N/);
    refused(["--shard", "0/0"], /N must be at least 1/);
    refused(["--merge", "x", "--paths", "3"], /--merge takes the configuration from the shards/);
    refused(["--jump-scale", "11"], /--jump-scale must be a number from 0 to 10/);
    refused(["--block-hours", "abc"], /--block-hours/);
    refused(["--sweep", "threshold=0.75:0.90:0.05", "--sweep", "threshold=0.8:0.85:0.05"], /twice/);
    refused(["--frobnicate"], /unknown option --frobnicate/);
  });

  it("reads a sweep as FROM:TO:STEP, TO included, within the parameter's bounds", () => {
    expect(parseSweep("threshold=0.75:0.90:0.05")).to.deep.equal({ name: "threshold", values: [0.75, 0.8, 0.85, 0.9] });
    expect(parseSweep("bonus=0.02:0.1:0.04")).to.deep.equal({ name: "bonus", values: [0.02, 0.06, 0.1] });
    expect(parseSweep("targethealth=1.05:1.05:0.1")).to.deep.equal({ name: "targetHealth", values: [1.05] });
    expect(() => parseSweep("threshold=0.75:0.99:0.05")).to.throw(UsageError, /within 0.5 to 0.95/);
    expect(() => parseSweep("ltv=0.5:0.6:0.1")).to.throw(UsageError, /not a parameter/);
    expect(() => parseSweep("threshold=0.9:0.8:0.05")).to.throw(UsageError, /TO must not be below FROM/);
    expect(() => parseSweep("threshold=0.8:0.9:0")).to.throw(UsageError, /STEP must be above 0/);
    expect(() => parseSweep("threshold=0.8")).to.throw(UsageError, /NAME=FROM:TO:STEP/);
    expect(() => parseSweep("threshold=0.75:0.90:0.1")).to.throw(UsageError, /STEP does not land on TO/);
    // Counted before any value is built: a tiny step is refused at once, not after filling memory.
    expect(() => parseSweep("threshold=0.5:0.95:0.0000000001")).to.throw(UsageError, /at most 50/);
    // Settings the vault refuses (threshold × (1 + bonus) ≥ 1) or that change nothing are refused up front.
    refused(["--sweep", "threshold=0.90:0.95:0.05"], /WBTC has threshold 0.95 × \(1 \+ bonus 0.065\) ≥ 1/);
    refused(["--sweep", "threshold=0.85:0.85:0.05", "--sweep", "bonus=0.15:0.2:0.05"], /WETH has threshold 0.85/);
    refused(["--sweep", "bonus=0.05:0.1:0.05", "--params", "morpho"], /Morpho Blue has no such parameter/);
    expect(parse(["--sweep", "threshold=0.80:0.85:0.05", "--params", "morpho"]).config.sweeps).to.have.length(1);
  });

  it("splits paths over shards by index, each path in exactly one, and jobs per setting and protocol", () => {
    const all = [0, 1, 2, 3].flatMap((i) => shardPaths(10, i, 4)).sort((a, b) => a - b);
    expect(all).to.deep.equal(Array.from({ length: 10 }, (_, i) => i));
    expect(shardPaths(10, 1, 4)).to.deep.equal([1, 5, 9]);
    expect(shardPaths(2, 3, 4)).to.deep.equal([]);
    const config = parse(["--params", "both", "--sweep", "bonus=0.05:0.1:0.05"]).config;
    expect(jobsFor(config, [0, 1])).to.have.length(2 * 2 * 2);
  });

  it("exits 2 with one line for a bad command line, and changes nothing", async () => {
    const out = path.join(tmpdir(), `bulwark-risk-untouched-${process.pid}`);
    const run = await runScript("scripts/risk.ts", ["--shard", "2/2", "--out", out]);
    expect(existsSync(out), "nothing written").to.equal(false);
    expect(run.code).to.equal(2);
    expect(run.stderr.trim().split("\n")).to.deep.equal([
      "risk: --shard 2/2: I counts from 0, so it must be below N (2) (npm run risk -- --help lists the options)",
    ]);
    // An output directory that cannot be written fails before any replay, not after the run.
    const file = path.join(tmpdir(), `bulwark-risk-file-${process.pid}`);
    writeFileSync(file, "");
    try {
      const blocked = await runScript("scripts/risk.ts", [
        "--paths",
        "1",
        "--hours",
        "1",
        "--out",
        path.join(file, "x"),
      ]);
      expect(blocked.code).to.equal(1);
      expect(blocked.stderr.trim()).to.match(/^risk failed: --out .*x: cannot write there \(ENOTDIR\)$/);
      expect(blocked.stdout).to.equal("");
    } finally {
      rmSync(file, { force: true });
    }
    // The simulation's CLI hands --monte-carlo to this one.
    const viaSimulate = await runScript("scripts/simulate.ts", ["--monte-carlo", "0"]);
    expect(viaSimulate.code).to.equal(2);
    expect(viaSimulate.stderr.trim().split("\n")).to.deep.equal([
      "risk: --monte-carlo (paths) must be a whole number from 1 to 100,000, got 0 (npm run risk -- --help lists the options)",
    ]);
    const help = await runScript("scripts/risk.ts", ["--help"]);
    expect(help.code).to.equal(0);
    expect(help.stdout).to.match(/--sweep NAME=FROM:TO:STEP/);
  });
});

describe("risk CLI: merging shards", () => {
  const config: RiskConfig = {
    paths: 5,
    hours: 6,
    accounts: 10,
    seed: "t",
    modes: ["static"],
    model: { blockHours: 6, jumpSigmas: 4, jumpScale: 1 },
    sweeps: [],
  };
  const outcome = (index: number): PathOutcome => ({
    index,
    badDebtUsd: index,
    lossUsd: index,
    lenderLossPct: 0,
    liquidations: 0,
    breakerTrips: 0,
    breakerHours: 0,
    minHealth: null,
    failedKeeperTxs: 0,
  });
  const shard = (index: number, count: number, over: Partial<ShardFile> = {}): ShardFile => ({
    kind: SHARD_KIND,
    version: FORMAT_VERSION,
    config,
    code: { fingerprint: "f".repeat(64), node: "v24.0.0", edr: "0.20.0" },
    commit: null,
    shard: { index, count },
    outcomes: [{ static: shardPaths(config.paths, index, count).map(outcome) }],
    wallSeconds: 1,
    ...over,
  });

  it("combines a whole split into every path's outcomes", () => {
    const merged = mergeShards([shard(1, 2), shard(0, 2)]);
    expect(merged.outcomes[0].static?.map((o) => o.index).sort()).to.deep.equal([0, 1, 2, 3, 4]);
    expect(merged.shards).to.equal(2);
    expect(merged.wallSeconds).to.equal(2);
  });

  it("refuses a missing, repeated or foreign shard, another configuration or other code", () => {
    expect(() => mergeShards([shard(0, 3), shard(2, 3)])).to.throw(MergeError, /missing shard 1\/3/);
    expect(() => mergeShards([shard(0, 2), shard(0, 2), shard(1, 2)])).to.throw(MergeError, /appears twice/);
    expect(() => mergeShards([shard(0, 2), shard(1, 3)])).to.throw(MergeError, /split into 3, not 2/);
    expect(() => mergeShards([shard(0, 2), shard(1, 2, { config: { ...config, seed: "u" } })])).to.throw(
      MergeError,
      /another configuration/,
    );
    // Other code or runtime: the fingerprint differs (git plays no part: containers have none).
    const other = { fingerprint: "e".repeat(64), node: "v24.0.0", edr: "0.21.0" };
    expect(() => mergeShards([shard(0, 2), shard(1, 2, { code: other })])).to.throw(
      MergeError,
      /other code or runtime \(fingerprint eeeeeeeeeeee, Node v24.0.0, EDR 0.21.0\)/,
    );
    const partial = shard(1, 2, { outcomes: [{ static: [outcome(1)] }] });
    expect(() => mergeShards([shard(0, 2), partial])).to.throw(MergeError, /does not hold exactly its own paths/);
  });

  it("refuses malformed shard files before merging", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "bulwark-shards-"));
    const write = (over: Record<string, unknown>): string => {
      const file = path.join(dir, "bad.json");
      writeFileSync(file, JSON.stringify({ ...shard(0, 1), ...over }));
      return file;
    };
    try {
      expect(() => readShards([write({ shard: { index: 0, count: 0 } })])).to.throw(
        MergeError,
        /shard index and count/,
      );
      expect(() => readShards([write({ shard: { index: 2, count: 2 } })])).to.throw(
        MergeError,
        /shard index and count/,
      );
      expect(() => readShards([write({ code: undefined })])).to.throw(MergeError, /no code fingerprint/);
      expect(() => readShards([write({ config: { ...config, paths: 1e9 } })])).to.throw(MergeError, /out of range/);
      expect(() => readShards([write({ config: { ...config, modes: ["aave"] } })])).to.throw(MergeError, /protocols/);
      expect(() =>
        readShards([write({ config: { ...config, sweeps: [{ name: "threshold", values: [2] }] } })]),
      ).to.throw(MergeError, /sweeps are malformed/);
      expect(readShards([write({})])).to.have.length(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reads shard files from a directory and refuses files that are not shards", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "bulwark-shards-"));
    try {
      writeFileSync(path.join(dir, "shard-0-of-2.json"), JSON.stringify(shard(0, 2)));
      writeFileSync(path.join(dir, "shard-1-of-2.json"), JSON.stringify(shard(1, 2)));
      writeFileSync(path.join(dir, "notes.txt"), "not json");
      expect(readShards([dir])).to.have.length(2);
      // A CI matrix's artifacts land one directory each: those are read too.
      mkdirSync(path.join(dir, "artifact-2"));
      writeFileSync(path.join(dir, "artifact-2", "shard-0-of-2.json"), JSON.stringify(shard(0, 2)));
      expect(readShards([dir])).to.have.length(3);
      writeFileSync(path.join(dir, "other.json"), JSON.stringify({ kind: "something" }));
      expect(() => readShards([dir])).to.throw(MergeError, /other.json: not a Monte Carlo shard file/);
      writeFileSync(path.join(dir, "other.json"), "{");
      expect(() => readShards([dir])).to.throw(MergeError, /other.json: not a JSON file/);
      expect(() => readShards([path.join(dir, "nope")])).to.throw(MergeError, /no such file or directory/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("risk CLI: the Kubernetes Indexed Job example", () => {
  const manifest = readFileSync("deploy/k8s/risk-indexed-job.yaml", "utf8");
  const field = (name: string): string => {
    const match = new RegExp(`^\\s*${name}:\\s*(\\S+)\\s*$`, "m").exec(manifest);
    if (match === null) throw new Error(`the manifest has no ${name}`);
    return match[1];
  };

  it("is an Indexed Job whose completion index is the shard, over as many shards as completions", () => {
    expect(field("kind")).to.equal("Job");
    expect(field("completionMode")).to.equal("Indexed");
    const completions = Number(field("completions"));
    expect(completions).to.be.greaterThan(1);
    // The container's command line, with the completion index Kubernetes sets in each pod.
    const line = /exec node scripts\/risk\.ts ([^\n"]+)/.exec(manifest)?.[1] ?? "";
    expect(line, "the manifest runs scripts/risk.ts").to.not.equal("");
    const argsFor = (index: number): string[] =>
      line
        .replace(/\$\{?JOB_COMPLETION_INDEX\}?/g, String(index))
        .trim()
        .split(/\s+/);
    const cpus = Number(/cpu: "(\d+)"/.exec(manifest)?.[1]);
    for (let index = 0; index < completions; index++) {
      const options = parse(argsFor(index));
      expect(options.shard).to.deep.equal({ index, count: completions });
      // As many workers as the pod's CPUs (a pod sees the node's cores), its CPU limit equal to its request.
      expect(options.workers).to.equal(cpus);
    }
    expect(manifest.match(/cpu: "\d+"/g)).to.deep.equal([`cpu: "${cpus}"`, `cpu: "${cpus}"`]);
    expect(manifest).to.match(/activeDeadlineSeconds: \d+/);
    // The shard files go to the volume's mount, and the image's working directory is the one the pod runs in.
    expect(/mountPath: (\S+)/.exec(manifest)?.[1]).to.equal(parse(argsFor(0)).out);
    expect(readFileSync("deploy/k8s/Dockerfile", "utf8")).to.match(new RegExp(`^WORKDIR ${field("workingDir")}$`, "m"));
  });

  it("merges in a second step reading the volume the shards wrote", () => {
    const merge = readFileSync("deploy/k8s/risk-merge-job.yaml", "utf8");
    const args = /exec node scripts\/risk\.ts (--merge [^\n"]+)/.exec(merge)?.[1]?.trim().split(/\s+/) ?? [];
    const options = parse(args);
    expect(options.merge).to.deep.equal(["/results"]);
    const claim = (text: string): string | undefined => /claimName:\s*(\S+)/.exec(text)?.[1];
    expect(claim(merge)).to.equal(claim(manifest));
    expect(claim(readFileSync("deploy/k8s/risk-results-pvc.yaml", "utf8"))).to.equal(undefined);
    expect(readFileSync("deploy/k8s/risk-results-pvc.yaml", "utf8")).to.match(/name: bulwark-risk-results/);
    expect(/--out (\S+)/.exec(manifest)?.[1]).to.equal("/results");
    expect(/mountPath: (\S+)/.exec(merge)?.[1]).to.equal("/results");
  });
});
