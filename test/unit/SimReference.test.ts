/**
 * Issue 22's speed steps must not change a replay's outcome. The reference path runs a replay as it ran before them:
 * Hardhat's automatic gas price (a fee estimate per transaction) and the keeper library's own snapshot calls. The
 * fast path (a fixed gas price, SimSnapshots) must report exactly the same, field by field (times aside), for
 * Bulwark static and adaptive and for Morpho, on a shipped crash with liquidations and breaker trips.
 */
import path from "node:path";

import { expect } from "chai";

import { runSimulation, type SimulationConfig } from "../../scripts/lib/sim/run.js";
import { SCENARIO_DIR, scenario } from "../../scripts/lib/sim/scenarios.js";
import type { RunReport } from "../../scripts/lib/sim/types.js";

const TIMES = new Set(["wallSeconds", "setupSeconds", "stepsPerSecond"]);
const outcome = (run: RunReport | undefined): Record<string, unknown> =>
  Object.fromEntries(Object.entries(run ?? {}).filter(([key]) => !TIMES.has(key)));

describe("simulation speed steps change no outcome", function () {
  this.timeout(600_000);

  it("reports the same as the reference path (automatic gas price, the keeper library's reads)", async () => {
    const shipped = scenario("black-thursday-2020-10min");
    const config = (reference: boolean): SimulationConfig => ({
      scenario: shipped.name,
      description: shipped.description,
      prices: new Map(Object.entries(shipped.prices).map(([s, file]) => [s, path.join(SCENARIO_DIR, file)])),
      accounts: 40,
      seed: "reference",
      params: "all",
      keeperDelayBlocks: 0,
      keeperOutages: [],
      reference,
    });
    const quiet = { phase: () => undefined, progress: () => undefined };
    const fast = await runSimulation(config(false), quiet);
    const reference = await runSimulation(config(true), quiet);
    for (const mode of ["static", "adaptive", "morpho"] as const) {
      expect(outcome(fast.runs[mode]), mode).to.deep.equal(outcome(reference.runs[mode]));
    }
    // The comparison covers the keeper's work: liquidations, flags and breaker trips happened.
    expect(fast.runs.static!.liquidations).to.be.greaterThan(0);
    expect(fast.runs.adaptive!.breakerTrips).to.be.greaterThan(0);
    expect(Object.keys(fast.runs.static!.keeperRejections).length + fast.runs.static!.liquidations).to.be.greaterThan(
      0,
    );
  });
});
