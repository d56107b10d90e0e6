/**
 * The chain's floor of the simulation speed bench (scripts/lib/bench/chainFloor.ts): after a replay, the same
 * transactions sent again from the snapshot taken before it, block by block at the same timestamps, re-mine blocks
 * that use exactly the gas the replay's did (the same workload), every block and transaction counted.
 */
import path from "node:path";

import { expect } from "chai";

import { ChainFloorProbe, type ChainFloor } from "../../scripts/lib/bench/chainFloor.js";
import { runSimulation } from "../../scripts/lib/sim/run.js";
import { SCENARIO_DIR, scenario } from "../../scripts/lib/sim/scenarios.js";

describe("simulation speed bench: the chain's floor", function () {
  this.timeout(300_000);

  it("re-mines the replay's own transactions and blocks, with the same gas", async () => {
    const shipped = scenario("may-2021");
    const probe = new ChainFloorProbe();
    let floor: ChainFloor | undefined;
    let txsInReplay = 0;
    const report = await runSimulation(
      {
        scenario: shipped.name,
        description: shipped.description,
        prices: new Map(Object.entries(shipped.prices).map(([s, file]) => [s, path.join(SCENARIO_DIR, file)])),
        accounts: 30,
        seed: "floor",
        params: "static",
        keeperDelayBlocks: 0,
        keeperOutages: [],
        replayHooks: {
          before: (ethers) => probe.before(ethers),
          after: async (ethers, run) => {
            const last = await ethers.provider.getBlockNumber();
            for (let n = last - run.blocks + 1; n <= last; n++) {
              txsInReplay += (await ethers.provider.getBlock(n))?.transactions.length ?? 0;
            }
            floor = await probe.measure(ethers);
          },
        },
      },
      { phase: () => undefined, progress: () => undefined },
    );
    const run = report.runs.static!;
    expect(run.liquidations, "the replay liquidates").to.be.greaterThan(0);
    expect(floor).to.not.equal(undefined);
    expect(floor!.blocks).to.equal(run.blocks);
    expect(floor!.transactions).to.equal(txsInReplay);
    expect(floor!.transactions).to.be.greaterThan(run.blocks);
    expect(floor!.sameGas).to.equal(true);
    expect(floor!.seconds).to.be.greaterThan(0);
  });

  it("refuses to measure without its snapshot", async () => {
    const probe = new ChainFloorProbe();
    await expect(probe.measure({} as never)).to.be.rejectedWith(/needs a snapshot taken before the replay/);
  });
});
