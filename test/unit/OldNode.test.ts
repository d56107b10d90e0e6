/**
 * Under a Node older than package.json's `engines`, every npm script that runs our TypeScript stops at
 * scripts/requireNode.cjs with one line naming the version needed and how to get it (.nvmrc), and a non-zero exit —
 * not Node's bare ERR_UNKNOWN_FILE_EXTENSION stack trace.
 *
 * The scripts are run for real under an old Node when the machine has one (Debian's `/usr/bin/node` is 20 on ours,
 * or set BULWARK_OLD_NODE to its path); the static checks below hold on any machine.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

import { expect } from "chai";

const ROOT = process.cwd();
const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
  engines: { node: string };
  scripts: Record<string, string>;
};
const CHECK = "node scripts/requireNode.cjs && ";
const REQUIRED = pkg.engines.node.replace(/^>=\s*/, "");

/** Whether `version` ("20.20.2") is below `required` ("22.18"). */
function older(version: string, required: string): boolean {
  const [a = 0, b = 0] = version.split(".").map(Number);
  const [x = 0, y = 0] = required.split(".").map(Number);
  return a < x || (a === x && b < y);
}

/** An installed Node older than required, if the machine has one. */
function oldNode(): string | undefined {
  for (const candidate of [process.env.BULWARK_OLD_NODE, "/usr/bin/node", "/usr/local/bin/node20"]) {
    if (candidate === undefined || candidate === "" || !existsSync(candidate)) continue;
    const out = spawnSync(candidate, ["--version"], { encoding: "utf8" });
    const version = out.stdout.trim().replace(/^v/, "");
    if (out.status === 0 && older(version, REQUIRED)) return candidate;
  }
  return undefined;
}

/** Does running `name` (with its pre-script) start with the version check? */
function checked(name: string): boolean {
  const pre = pkg.scripts[`pre${name}`];
  return (pre ?? pkg.scripts[name] ?? "").startsWith(CHECK);
}

/** The npm scripts that run TypeScript or Hardhat (which an old Node cannot run). */
const RUNNERS = Object.entries(pkg.scripts)
  .filter(([name, command]) => !name.startsWith("pre") && /node scripts\/\S+\.ts|hardhat /.test(command))
  .map(([name]) => name)
  .filter((name) => !name.startsWith("lint:") && name !== "lint");

describe("an old Node gets one clear line, not a stack trace", function () {
  this.timeout(120_000);

  it("every npm script that runs TypeScript or Hardhat starts with the version check (itself or its pre-script)", function () {
    expect(RUNNERS).to.include.members(["start", "simulate", "demo", "bench", "fuzz", "readback", "keeper", "test"]);
    const unchecked = RUNNERS.filter((name) => !checked(name));
    expect(unchecked, "scripts without scripts/requireNode.cjs first").to.deep.equal([]);
    expect(pkg.scripts["lint:ts"]?.startsWith(CHECK)).to.equal(true);
  });

  it(".nvmrc names a Node major that satisfies engines", function () {
    const nvmrc = readFileSync(path.join(ROOT, ".nvmrc"), "utf8").trim();
    expect(nvmrc).to.match(/^\d+(\.\d+){0,2}$/);
    expect(older(nvmrc.includes(".") ? nvmrc : `${nvmrc}.999`, REQUIRED)).to.equal(false);
  });

  it("passes under this Node", function () {
    const out = spawnSync(process.execPath, ["scripts/requireNode.cjs"], { cwd: ROOT, encoding: "utf8" });
    expect(out.status).to.equal(0);
    expect(out.stderr).to.equal("");
  });

  it("refuses an old Node in every such npm script, naming the version needed and .nvmrc", function () {
    const node = oldNode();
    if (node === undefined) {
      console.log(`      (no Node older than ${REQUIRED} on this machine: set BULWARK_OLD_NODE to run this test)`);
      this.skip();
    }
    const dir = path.dirname(node);
    const npm = path.join(dir, "npm");
    if (!existsSync(npm)) this.skip();
    // `test` and `coverage` would run the whole suite again if the check ever failed to stop them: the static test
    // above covers them.
    for (const name of RUNNERS.filter((script) => script !== "test" && script !== "coverage")) {
      const out = spawnSync(npm, ["run", "--silent", name, "--", "--help"], {
        cwd: ROOT,
        encoding: "utf8",
        env: { ...process.env, PATH: `${dir}${path.delimiter}${process.env.PATH ?? ""}` },
        timeout: 60_000,
      });
      expect(out.status, `npm run ${name}: exit`).to.not.equal(0);
      expect(out.stderr, `npm run ${name}`).to.include(`Bulwark needs Node >=${REQUIRED}`);
      expect(out.stderr, `npm run ${name}`).to.include("nvm install");
      expect(out.stderr, `npm run ${name}`).to.not.include("ERR_UNKNOWN_FILE_EXTENSION");
      expect(out.stderr, `npm run ${name}`).to.not.match(/\n\s+at /);
    }
  });
});
