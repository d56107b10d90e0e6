/**
 * Gas as a committed snapshot (issue 21): every operation of bench/gas.json is measured again, as `npm run bench`
 * measures it, and a change that raises any of them by more than 1% without updating the snapshot fails here with
 * the operation named. Update the snapshot with `BULWARK_BENCH_ONLY=gas npm run bench` in the same commit.
 * Skipped under coverage (instrumented code costs more gas), as are the oracle's exact gas budgets.
 */
import { readFileSync } from "node:fs";

import { expect } from "chai";

import { compareGas, snapshotFailures } from "../../scripts/lib/bench/gasSnapshot.js";
import { OUTPUT, measureGas } from "../../scripts/lib/bench/vaultGas.js";

describe("gas snapshot (bench/gas.json)", function () {
  this.timeout(300_000);

  it("names an operation raised by more than 1%, one new or one gone; passes 1% and any saving", function () {
    const snapshot = { "deposit.first": 100_000, borrow: 200_000, repay: 50_000, gone: 1 };
    const measured = { "deposit.first": 101_001, borrow: 202_000, repay: 40_000, added: 7 };
    const comparison = compareGas(snapshot, measured);
    expect(comparison.raised.map((c) => c.name)).to.deep.equal(["deposit.first"]);
    expect(comparison.lowered.map((c) => c.name)).to.deep.equal(["repay"]);
    expect(snapshotFailures(comparison)).to.deep.equal([
      "deposit.first: 101,001 gas, +1.00% against bench/gas.json's 100,000 (more than 1%)",
      "added: measured, but not in bench/gas.json",
      "gone: in bench/gas.json, but no longer measured",
    ]);
    expect(snapshotFailures(compareGas(snapshot, { ...snapshot }))).to.deep.equal([]);
  });

  it("every operation costs at most 1% more than the committed snapshot", async function () {
    if (process.env.BULWARK_COVERAGE === "1" || process.argv.includes("--coverage")) this.skip();
    const snapshot = (JSON.parse(readFileSync(OUTPUT, "utf8")) as { operations: Record<string, number> }).operations;
    const measured = Object.fromEntries((await measureGas(() => undefined)).map((m) => [m.name, Number(m.gas)]));
    const comparison = compareGas(snapshot, measured);
    const failures = snapshotFailures(comparison);
    // A saving passes; say so, so that it is written into the snapshot (and a later regression cannot hide in it).
    for (const saved of comparison.lowered) {
      console.log(
        `      saved: ${saved.name} ${saved.after} gas (${(saved.change * 100).toFixed(2)}%): update bench/gas.json to keep it`,
      );
    }
    expect(
      failures,
      `${failures.join("\n")}\n(if the change is meant, update the snapshot: BULWARK_BENCH_ONLY=gas npm run bench)`,
    ).to.deep.equal([]);
    expect(Object.keys(measured).length).to.be.greaterThan(40);
  });
});
