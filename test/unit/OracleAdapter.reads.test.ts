/**
 * OracleAdapter: one primary feed, no secondary, no sequencer. The OK path for every feed decimals, every way the
 * primary fails (each check paired with the boundary case just inside it, so removing or loosening the check flips
 * an assertion), and gas griefing.
 */
import { expect } from "chai";
import { ZeroAddress } from "ethers";
import hre, { network } from "hardhat";

import {
  adapterFixture,
  answer,
  assetConfig,
  degraded,
  DAY,
  deployL2Adapter,
  expectPrice,
  failed,
  HEARTBEAT,
  Mode,
  ok,
  probeBudgets,
  range,
  STALENESS_GRACE,
  toRead,
  UNKNOWN,
  wad,
  WETH,
} from "./helpers/oracleAdapter.js";
import type { AdapterFixture, ProbeResult } from "./helpers/oracleAdapter.js";
import type { NetworkConnection } from "hardhat/types/network";
import type { OracleGasHungryFeed, OracleGasProbe, OracleRawFeed } from "../../typechain-types/index.js";

const { ethers, networkHelpers } = await network.create();
const { time } = networkHelpers;

/** The timestamp the next read will see if a block is mined at it: a few seconds ahead of the chain. */
async function soon(): Promise<bigint> {
  return BigInt(await time.latest()) + 10n;
}

describe("OracleAdapter: primary feed", function () {
  describe("OK path", function () {
    const cases: Array<{ decimals: number; value: string }> = [
      { decimals: 0, value: "3000" },
      { decimals: 6, value: "1.000123" },
      { decimals: 8, value: "3000.12345678" },
      { decimals: 18, value: "3000.123456789012345678" },
    ];
    for (const { decimals, value } of cases) {
      it(`a fresh round of a ${decimals}-decimal feed is OK at the answer scaled to WAD`, async function () {
        const { adapter, owner } = await networkHelpers.loadFixture(adapterFixture);
        const feed = await ethers.deployContract("TestAggregator", [decimals, "X / USD"]);
        await feed.push(answer(value, decimals));
        await adapter.connect(owner).setAssetConfig(WETH, assetConfig(feed));
        await expectPrice(adapter, WETH, ok(wad(value)));
      });
    }

    it("reads the latest round: a new round replaces the price at once", async function () {
      const { adapter, feed } = await networkHelpers.loadFixture(adapterFixture);
      await expectPrice(adapter, WETH, ok(wad("3000")));
      await feed.push(answer("2999.5", 8));
      await expectPrice(adapter, WETH, ok(wad("2999.5")));
    });
  });

  describe("FEED_REVERTED", function () {
    it("a reverting feed is FAILED / FEED_REVERTED; the same feed back to normal is OK", async function () {
      const { adapter, feed } = await networkHelpers.loadFixture(adapterFixture);
      await feed.setMode(Mode.Revert);
      await expectPrice(adapter, WETH, failed("FEED_REVERTED"));
      await feed.setMode(Mode.Normal);
      await expectPrice(adapter, WETH, ok(wad("3000")));
    });

    it("a feed returning one word instead of five (malformed) is FAILED / FEED_REVERTED", async function () {
      const { adapter, feed } = await networkHelpers.loadFixture(adapterFixture);
      await feed.setMode(Mode.Malformed);
      await expectPrice(adapter, WETH, failed("FEED_REVERTED"));
    });

    it("a feed whose latest round id does not exist (a new phase with no round yet) is FAILED / FEED_REVERTED", async function () {
      const { adapter, feed } = await networkHelpers.loadFixture(adapterFixture);
      await feed.newPhase();
      await expectPrice(adapter, WETH, failed("FEED_REVERTED"));
    });

    describe("round ids wider than uint80 (not a Chainlink answer)", function () {
      async function rawFixture(connection: NetworkConnection): Promise<AdapterFixture & { raw: OracleRawFeed }> {
        const f = await adapterFixture(connection);
        const raw = await connection.ethers.deployContract("OracleRawFeed", [8]);
        await f.adapter.connect(f.owner).setAssetConfig(WETH, assetConfig(raw));
        return { ...f, raw };
      }
      const MAX_UINT80 = 2n ** 80n - 1n;

      it("roundId 2^80 is FAILED / FEED_REVERTED; roundId 2^80 - 1 is OK", async function () {
        const { adapter, raw } = await networkHelpers.loadFixture(rawFixture);
        const now = BigInt(await time.latest());
        const words = { answer: answer("3000", 8), startedAt: now, updatedAt: now, answeredInRound: MAX_UINT80 };
        await raw.setLatest({ ...words, roundId: MAX_UINT80 + 1n });
        await expectPrice(adapter, WETH, failed("FEED_REVERTED"));
        await raw.setLatest({ ...words, roundId: MAX_UINT80 });
        await expectPrice(adapter, WETH, ok(wad("3000")));
      });

      it("INV-22: an incomplete round (answeredInRound < roundId) is FAILED / STALE, however fresh; a complete one is OK", async function () {
        const { adapter, raw } = await networkHelpers.loadFixture(rawFixture);
        const now = BigInt(await time.latest());
        // The attack: a feed that started round 8 without answering it still reports round 7's answer, stamped now.
        const words = { roundId: 8n, answer: answer("3000", 8), startedAt: now, updatedAt: now };
        await raw.setLatest({ ...words, answeredInRound: 7n });
        await expectPrice(adapter, WETH, failed("STALE"));
        await raw.setLatest({ ...words, answeredInRound: 0n });
        await expectPrice(adapter, WETH, failed("STALE"));
        // Phase-encoded ids as a proxy returns them: the phase sits in the top bits of both.
        const phase = 3n << 64n;
        await raw.setLatest({ ...words, roundId: phase | 8n, answeredInRound: phase | 7n });
        await expectPrice(adapter, WETH, failed("STALE"));
        await raw.setLatest({ ...words, roundId: phase | 8n, answeredInRound: phase | 8n });
        await expectPrice(adapter, WETH, ok(wad("3000")));
        await raw.setLatest({ ...words, answeredInRound: 8n });
        await expectPrice(adapter, WETH, ok(wad("3000")));
        await raw.setLatest({ ...words, answeredInRound: 9n });
        await expectPrice(adapter, WETH, ok(wad("3000")));
      });

      it("answeredInRound 2^80 is FAILED / FEED_REVERTED; answeredInRound 2^80 - 1 is OK", async function () {
        const { adapter, raw } = await networkHelpers.loadFixture(rawFixture);
        const now = BigInt(await time.latest());
        const words = { roundId: 1n, answer: answer("3000", 8), startedAt: now, updatedAt: now };
        await raw.setLatest({ ...words, answeredInRound: MAX_UINT80 + 1n });
        await expectPrice(adapter, WETH, failed("FEED_REVERTED"));
        await raw.setLatest({ ...words, answeredInRound: MAX_UINT80 });
        await expectPrice(adapter, WETH, ok(wad("3000")));
      });
    });

    describe("return data of any size: only a whole round of five words is an answer", function () {
      async function shapedFixture(connection: NetworkConnection): Promise<AdapterFixture & { raw: OracleRawFeed }> {
        const f = await adapterFixture(connection);
        const raw = await connection.ethers.deployContract("OracleRawFeed", [8]);
        const now = BigInt(await connection.networkHelpers.time.latest());
        await raw.setLatest({
          roundId: 1n,
          answer: answer("3000", 8),
          startedAt: now,
          updatedAt: now,
          answeredInRound: 1n,
        });
        await f.adapter.connect(f.owner).setAssetConfig(WETH, assetConfig(raw));
        return { ...f, raw };
      }

      it("159 bytes (one short of five words) is FAILED / FEED_REVERTED; 160 and 192 are the round", async function () {
        const { adapter, raw } = await networkHelpers.loadFixture(shapedFixture);
        await raw.setShape(159n, false);
        await expectPrice(adapter, WETH, failed("FEED_REVERTED"));
        for (const size of [160n, 192n]) {
          await raw.setShape(size, false);
          await expectPrice(adapter, WETH, ok(wad("3000")));
        }
      });

      it("100 kB of return data is read as its first five words, and the read copies no more than that", async function () {
        const { adapter, raw } = await networkHelpers.loadFixture(shapedFixture);
        const gauge = await ethers.deployContract("OracleReadGauge");
        await raw.setShape(160n, false);
        const [, normal] = await gauge.measure(adapter, WETH); // warm reads: the feed's code, not its cold access
        await raw.setShape(100_000n, false);
        await expectPrice(adapter, WETH, ok(wad("3000")));
        const [, large] = await gauge.measure(adapter, WETH);
        // The feed pays for returning 100 kB: 3,125 words of memory, 9,375 + 3,125² / 512 = 28,448 gas. A read that
        // copied them would pay that expansion again in the adapter, plus 3 gas a word (37,823 more): the difference
        // stays within the feed's own expansion and a few hundred gas of its code.
        const words = 100_000n / 32n + 1n;
        const expansion = 3n * words + (words * words) / 512n;
        expect(large - normal).to.be.lessThan(expansion + 1_000n);
      });

      it("a revert whose data looks like a valid round is FAILED / FEED_REVERTED, never read as one", async function () {
        const { adapter, raw } = await networkHelpers.loadFixture(shapedFixture);
        await raw.setShape(160n, true);
        await expectPrice(adapter, WETH, failed("FEED_REVERTED"));
      });
    });
  });

  describe("INVALID_ANSWER", function () {
    /** WETH with a floor of 1 wei, so the smallest positive answer is inside the bounds. */
    async function lowFloor(f: AdapterFixture): Promise<void> {
      await f.adapter.connect(f.owner).setAssetConfig(WETH, assetConfig(f.feed, { minPrice: 1n }));
    }

    it("answer 0 is FAILED / INVALID_ANSWER; answer 1 (the smallest positive) is OK at 1e10", async function () {
      const f = await networkHelpers.loadFixture(adapterFixture);
      await lowFloor(f);
      await f.feed.push(0n);
      await expectPrice(f.adapter, WETH, failed("INVALID_ANSWER"));
      await f.feed.push(1n);
      await expectPrice(f.adapter, WETH, ok(10n ** 10n));
    });

    it("a negative answer is FAILED / INVALID_ANSWER", async function () {
      const f = await networkHelpers.loadFixture(adapterFixture);
      await lowFloor(f);
      await f.feed.push(-1n);
      await expectPrice(f.adapter, WETH, failed("INVALID_ANSWER"));
      await f.feed.push(-answer("3000", 8));
      await expectPrice(f.adapter, WETH, failed("INVALID_ANSWER"));
    });

    it("updatedAt 0 (round started, never updated) is FAILED / INVALID_ANSWER", async function () {
      const { adapter, feed } = await networkHelpers.loadFixture(adapterFixture);
      await feed.pushAt(answer("3000", 8), 1n, 0n);
      await expectPrice(adapter, WETH, failed("INVALID_ANSWER"));
    });

    it("updatedAt one second in the future is FAILED / INVALID_ANSWER, and OK once that second comes", async function () {
      const { adapter, feed } = await networkHelpers.loadFixture(adapterFixture);
      const t = await soon();
      await time.setNextBlockTimestamp(t);
      await feed.pushAt(answer("3000", 8), t, t + 1n);
      await expectPrice(adapter, WETH, failed("INVALID_ANSWER"));
      await time.increaseTo(t + 1n);
      await expectPrice(adapter, WETH, ok(wad("3000")));
    });

    it("the first failing check wins: a negative answer that is also stale is INVALID_ANSWER", async function () {
      const { adapter, feed } = await networkHelpers.loadFixture(adapterFixture);
      await feed.pushAt(-1n, 1n, 1n);
      await expectPrice(adapter, WETH, failed("INVALID_ANSWER"));
    });
  });

  describe("STALE", function () {
    it("OK exactly heartbeat + stalenessGrace after updatedAt; FAILED / STALE one second later", async function () {
      const { adapter, feed } = await networkHelpers.loadFixture(adapterFixture);
      const t = await soon();
      await time.setNextBlockTimestamp(t);
      await feed.push(answer("3000", 8));
      await time.increaseTo(t + HEARTBEAT + STALENESS_GRACE);
      await expectPrice(adapter, WETH, ok(wad("3000")));
      await time.increase(1);
      await expectPrice(adapter, WETH, failed("STALE"));
    });

    it("the heartbeat is the asset's own: a 1-day heartbeat keeps the same round OK where 1 h made it STALE", async function () {
      const { adapter, owner, feed } = await networkHelpers.loadFixture(adapterFixture);
      const t = await soon();
      await time.setNextBlockTimestamp(t);
      await feed.push(answer("3000", 8));
      await time.increaseTo(t + HEARTBEAT + STALENESS_GRACE + 1n);
      await expectPrice(adapter, WETH, failed("STALE"));
      await adapter.connect(owner).setAssetConfig(WETH, assetConfig(feed, { primaryHeartbeat: DAY }));
      await time.increaseTo(t + DAY + STALENESS_GRACE);
      await expectPrice(adapter, WETH, ok(wad("3000")));
      await time.increase(1);
      await expectPrice(adapter, WETH, failed("STALE"));
    });

    it("a fresh round after a stale one is OK again", async function () {
      const { adapter, feed } = await networkHelpers.loadFixture(adapterFixture);
      await time.increase(HEARTBEAT + STALENESS_GRACE + 1n);
      await expectPrice(adapter, WETH, failed("STALE"));
      await feed.push(answer("3100", 8));
      await expectPrice(adapter, WETH, ok(wad("3100")));
    });

    it("the first failing check wins: a stale answer that is also out of bounds is STALE", async function () {
      const { adapter, feed } = await networkHelpers.loadFixture(adapterFixture);
      await feed.pushAt(answer("2000000", 8), 1n, 1n);
      await expectPrice(adapter, WETH, failed("STALE"));
    });
  });

  describe("OUT_OF_BOUNDS (asset bounds $100 .. $10,000)", function () {
    async function boundedFixture(connection: NetworkConnection): Promise<AdapterFixture> {
      const f = await adapterFixture(connection);
      await f.adapter
        .connect(f.owner)
        .setAssetConfig(WETH, assetConfig(f.feed, { minPrice: wad("100"), maxPrice: wad("10000") }));
      return f;
    }
    const cases: Array<{ value: string; expected: "in" | "out" }> = [
      { value: "99", expected: "out" },
      { value: "100", expected: "out" }, // at minPrice: a feed pinned at its floor
      { value: "100.00000001", expected: "in" }, // one feed unit above
      { value: "9999.99999999", expected: "in" }, // one feed unit below
      { value: "10000", expected: "out" }, // at maxPrice
      { value: "10001", expected: "out" },
    ];
    for (const { value, expected } of cases) {
      const label = expected === "in" ? "OK" : "FAILED / OUT_OF_BOUNDS";
      it(`an answer of $${value} is ${label}`, async function () {
        const { adapter, feed } = await networkHelpers.loadFixture(boundedFixture);
        await feed.push(answer(value, 8));
        await expectPrice(adapter, WETH, expected === "in" ? ok(wad(value)) : failed("OUT_OF_BOUNDS"));
      });
    }

    // Regression: _normalise was checked arithmetic, so an absurd answer reverted the read with Panic(0x11) instead
    // of reading FAILED / OUT_OF_BOUNDS (for a secondary and the jump check's previous round too).
    it("an answer whose WAD value overflows uint256 is FAILED / OUT_OF_BOUNDS, not a revert", async function () {
      const { adapter, feed } = await networkHelpers.loadFixture(boundedFixture);
      await feed.push(2n ** 255n - 1n);
      await expectPrice(adapter, WETH, failed("OUT_OF_BOUNDS"));
    });
  });

  describe("NOT_CONFIGURED", function () {
    it("an asset never configured is FAILED / NOT_CONFIGURED", async function () {
      const { adapter } = await networkHelpers.loadFixture(adapterFixture);
      await expectPrice(adapter, UNKNOWN, failed("NOT_CONFIGURED"));
      await expectPrice(adapter, ZeroAddress, failed("NOT_CONFIGURED"));
    });

    it("an asset is OK until removed, then FAILED / NOT_CONFIGURED even though its feed still answers", async function () {
      const { adapter, owner, feed } = await networkHelpers.loadFixture(adapterFixture);
      await expectPrice(adapter, WETH, ok(wad("3000")));
      await adapter.connect(owner).removeAsset(WETH);
      await expectPrice(adapter, WETH, failed("NOT_CONFIGURED"));
      await feed.push(answer("3001", 8));
      await expectPrice(adapter, WETH, failed("NOT_CONFIGURED"));
    });
  });

  describe("gas griefing", function () {
    // Exact gas budgets: coverage instrumentation adds gas to every statement, so these run only without it.
    before(function () {
      if (hre.globalOptions.coverage) this.skip();
    });

    interface GasFixture extends AdapterFixture {
      probe: OracleGasProbe;
      hungry: OracleGasHungryFeed;
    }

    /** About 240k gas per latestRoundData: a healthy feed that a caller can starve. */
    const HUNGRY_ITERATIONS = 1000n;
    /** Budgets swept: from nothing to well above what a read with the hungry feed costs (~250k). */
    const BUDGETS = range(0n, 400_000n, 4_000n);

    /**
     * Every budget either reverts or reads the healthy price OK; some budgets trip InsufficientGasForFeed, and the
     * sweep reaches budgets that read OK (so it crosses the band where a starved feed would otherwise read FAILED).
     */
    function expectNeverWronglyFailed(results: ProbeResult[]): void {
      for (const r of results) {
        if (r.outcome === "Returned") expect(r.read, `budget ${r.gas}`).to.deep.equal(ok(wad("3000")));
      }
      expect(results.filter((r) => r.outcome === "InsufficientGas").length).to.be.greaterThan(10);
      expect(results.filter((r) => r.outcome === "Returned").length).to.be.greaterThan(10);
    }

    async function gasFixture(connection: NetworkConnection): Promise<GasFixture> {
      const f = await adapterFixture(connection);
      const probe = await connection.ethers.deployContract("OracleGasProbe");
      const hungry = await connection.ethers.deployContract("OracleGasHungryFeed", [8, HUNGRY_ITERATIONS]);
      const now = BigInt(await connection.networkHelpers.time.latest());
      await hungry.set(answer("3000", 8), now, now);
      return { ...f, probe, hungry };
    }

    it("the probe's selector is InsufficientGasForFeed()", async function () {
      const { adapter, probe } = await networkHelpers.loadFixture(gasFixture);
      const fragment = adapter.interface.getError("InsufficientGasForFeed");
      expect(fragment?.selector).to.equal(await probe.INSUFFICIENT_GAS_SELECTOR());
    });

    it("a read needs room for the whole feed budget; with it, a reverting feed is FAILED / FEED_REVERTED", async function () {
      const { adapter, feed, probe } = await networkHelpers.loadFixture(gasFixture);
      await feed.setMode(Mode.Revert);
      const limit = await adapter.FEED_GAS_LIMIT();
      // Below FEED_GAS_LIMIT × 64/63 (EIP-150) the adapter cannot guarantee the feed its budget: it refuses to judge.
      const [starved, fed] = await probeBudgets(probe, adapter, WETH, [limit, limit + limit / 10n]);
      expect(starved).to.deep.equal({ gas: limit, outcome: "InsufficientGas", read: undefined });
      expect(fed).to.deep.equal({ gas: limit + limit / 10n, outcome: "Returned", read: failed("FEED_REVERTED") });
    });

    it("starving a healthy feed reverts with InsufficientGasForFeed; enough gas reads it OK", async function () {
      const { adapter, owner, hungry, probe } = await networkHelpers.loadFixture(gasFixture);
      await adapter.connect(owner).setAssetConfig(WETH, assetConfig(hungry));
      // An eth_call with a 150k gas limit leaves getPrice ~125k, half of what the feed needs.
      await expect(adapter.getPrice(WETH, { gasLimit: 150_000 })).to.be.revertedWithCustomError(
        adapter,
        "InsufficientGasForFeed",
      );
      const [starved, fed] = await probeBudgets(probe, adapter, WETH, [100_000n, 1_000_000n]);
      expect(starved).to.deep.equal({ gas: 100_000n, outcome: "InsufficientGas", read: undefined });
      expect(fed).to.deep.equal({ gas: 1_000_000n, outcome: "Returned", read: ok(wad("3000")) });
    });

    it("no gas budget makes a healthy primary read FAILED: every budget is OK or a revert", async function () {
      const { adapter, owner, hungry, probe } = await networkHelpers.loadFixture(gasFixture);
      await adapter.connect(owner).setAssetConfig(WETH, assetConfig(hungry));
      const results = await probeBudgets(probe, adapter, WETH, BUDGETS);
      expectNeverWronglyFailed(results);
    });

    it("no gas budget makes a healthy secondary read SECONDARY_FAILED", async function () {
      const { adapter, owner, feed, probe } = await networkHelpers.loadFixture(gasFixture);
      const hungry18 = await ethers.deployContract("OracleGasHungryFeed", [18, HUNGRY_ITERATIONS]);
      const now = BigInt(await time.latest());
      await hungry18.set(answer("3000", 18), now, now);
      await adapter.connect(owner).setAssetConfig(WETH, assetConfig(feed, { secondary: hungry18 }));
      await expectPrice(adapter, WETH, ok(wad("3000")));
      const results = await probeBudgets(probe, adapter, WETH, BUDGETS);
      expectNeverWronglyFailed(results);
    });

    it("no gas budget makes a healthy sequencer feed read SEQUENCER_FEED_BROKEN", async function () {
      const { owner, feed, probe } = await networkHelpers.loadFixture(gasFixture);
      const uptime = await ethers.deployContract("OracleGasHungryFeed", [0, HUNGRY_ITERATIONS]);
      const now = BigInt(await time.latest());
      await uptime.set(0n, now - DAY, now);
      const l2 = await deployL2Adapter(ethers, owner, uptime, feed);
      await expectPrice(l2, WETH, ok(wad("3000")));
      const results = await probeBudgets(probe, l2, WETH, BUDGETS);
      expectNeverWronglyFailed(results);
    });

    // Regression: the old 1/64 check after a failed call tripped at ANY budget when a feed burned all it was given,
    // so a gas-burning feed reverted every read. Each source call now gets a fixed FEED_GAS_LIMIT, checked before
    // the call; whatever happens inside the budget is the source's failure.
    it("a gas-burning primary with ample gas (5M) is FAILED / FEED_REVERTED, not a revert", async function () {
      const { adapter, feed, probe } = await networkHelpers.loadFixture(gasFixture);
      await feed.setMode(Mode.BurnGas);
      expect(toRead(await adapter.getPrice(WETH, { gasLimit: 5_000_000 }))).to.deep.equal(failed("FEED_REVERTED"));
      const [result] = await probeBudgets(probe, adapter, WETH, [5_000_000n]);
      expect(result).to.deep.equal({ gas: 5_000_000n, outcome: "Returned", read: failed("FEED_REVERTED") });
    });

    it("a gas-burning secondary with ample gas is DEGRADED / SECONDARY_FAILED at the primary, not a revert", async function () {
      const { adapter, owner, feed, backup } = await networkHelpers.loadFixture(gasFixture);
      await adapter.connect(owner).setAssetConfig(WETH, assetConfig(feed, { secondary: backup }));
      await backup.setMode(Mode.BurnGas);
      expect(toRead(await adapter.getPrice(WETH, { gasLimit: 5_000_000 }))).to.deep.equal(
        degraded("SECONDARY_FAILED", wad("3000")),
      );
    });

    it("a gas-burning sequencer feed with ample gas is DEGRADED / SEQUENCER_FEED_BROKEN, not a revert", async function () {
      const { owner, feed } = await networkHelpers.loadFixture(gasFixture);
      const uptime = await ethers.deployContract("TestAggregator", [0, "uptime"]);
      const now = BigInt(await time.latest());
      await uptime.pushAt(0n, now - DAY, now);
      const l2 = await deployL2Adapter(ethers, owner, uptime, feed);
      await uptime.setMode(Mode.BurnGas);
      expect(toRead(await l2.getPrice(WETH, { gasLimit: 5_000_000 }))).to.deep.equal(
        degraded("SEQUENCER_FEED_BROKEN", wad("3000")),
      );
    });
  });
});
