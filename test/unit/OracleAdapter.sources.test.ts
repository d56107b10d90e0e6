/**
 * OracleAdapter: the checks that compare sources: the secondary feed (deviation, fallback, failure), the bound on
 * unconfirmed moves between consecutive rounds, and the L2 sequencer uptime feed. Each check is paired with the
 * boundary case just inside it.
 */
import { expect } from "chai";
import { MaxUint256 } from "ethers";
import { network } from "hardhat";
import type { NetworkConnection } from "hardhat/types/network";

import {
  adapterFixture,
  answer,
  assetConfig,
  DAY,
  degraded,
  expectPrice,
  failed,
  HEARTBEAT,
  Mode,
  ok,
  Reason,
  SECONDARY_HEARTBEAT,
  SEQUENCER_GRACE,
  sequencerFixture,
  STALENESS_GRACE,
  UNKNOWN,
  wad,
  WBTC,
  WETH,
} from "./helpers/oracleAdapter.js";
import type { AdapterFixture, ConfigInput } from "./helpers/oracleAdapter.js";
import type { OracleRawFeed, TestAggregator } from "../../typechain-types/index.js";

const { networkHelpers } = await network.create();
const { time } = networkHelpers;

/** A timestamp a few seconds ahead of the chain, for a transaction timed with setNextBlockTimestamp. */
async function soon(): Promise<bigint> {
  return BigInt(await time.latest()) + 10n;
}

/** WETH answer in the primary's decimals (8) and in the secondary's (18). */
const p8 = (value: string): bigint => answer(value, 8);
const p18 = (value: string): bigint => answer(value, 18);

describe("OracleAdapter: secondary source (maxDeviation 2%)", function () {
  /** WETH on `feed` (8 decimals) with `backup` (18 decimals) as its secondary; both answer $3000. */
  async function secondaryFixture(connection: NetworkConnection): Promise<AdapterFixture> {
    const f = await adapterFixture(connection);
    await f.adapter.connect(f.owner).setAssetConfig(WETH, assetConfig(f.feed, { secondary: f.backup }));
    return f;
  }

  describe("both sources usable", function () {
    it("a secondary 1% away agrees: OK at the primary's price (not the secondary's)", async function () {
      const { adapter, backup } = await networkHelpers.loadFixture(secondaryFixture);
      await backup.push(p18("3030"));
      await expectPrice(adapter, WETH, ok(wad("3000")));
    });

    it("exactly 2% apart is OK; one wei further is DEGRADED / SOURCES_DISAGREE with low = primary, high = secondary", async function () {
      const { adapter, backup } = await networkHelpers.loadFixture(secondaryFixture);
      await backup.push(p18("3060"));
      await expectPrice(adapter, WETH, ok(wad("3000")));
      await backup.push(p18("3060") + 1n);
      await expectPrice(adapter, WETH, degraded("SOURCES_DISAGREE", wad("3000"), wad("3060") + 1n));
    });

    it("with the primary the higher: exactly 2% is OK at the primary; one feed unit more is DEGRADED with low = secondary", async function () {
      const { adapter, feed } = await networkHelpers.loadFixture(secondaryFixture);
      await feed.push(p8("3060"));
      await expectPrice(adapter, WETH, ok(wad("3060")));
      await feed.push(p8("3060.00000001"));
      await expectPrice(adapter, WETH, degraded("SOURCES_DISAGREE", wad("3000"), wad("3060.00000001")));
    });

    it("the gap is relative to the lower price: 3000 vs 2940 (2% of 3000, 2.04% of 2940) disagrees", async function () {
      const { adapter, backup } = await networkHelpers.loadFixture(secondaryFixture);
      await backup.push(p18("2940"));
      await expectPrice(adapter, WETH, degraded("SOURCES_DISAGREE", wad("2940"), wad("3000")));
    });
  });

  describe("primary failed, secondary usable: DEGRADED at the secondary with the primary's reason", function () {
    const cases: Array<{
      reason: "FEED_REVERTED" | "INVALID_ANSWER" | "STALE" | "OUT_OF_BOUNDS";
      how: string;
      breakPrimary: (feed: TestAggregator) => Promise<unknown>;
    }> = [
      { reason: "FEED_REVERTED", how: "reverting", breakPrimary: (feed) => feed.setMode(Mode.Revert) },
      { reason: "FEED_REVERTED", how: "malformed", breakPrimary: (feed) => feed.setMode(Mode.Malformed) },
      { reason: "INVALID_ANSWER", how: "answering 0", breakPrimary: (feed) => feed.push(0n) },
      { reason: "OUT_OF_BOUNDS", how: "answering $2,000,000", breakPrimary: (feed) => feed.push(p8("2000000")) },
      {
        reason: "STALE",
        how: "stale (the secondary, on its 1-day heartbeat, is not)",
        breakPrimary: () => time.increase(HEARTBEAT + STALENESS_GRACE + 1n),
      },
    ];
    for (const { reason, how, breakPrimary } of cases) {
      it(`primary ${how}: DEGRADED / ${reason}, low = high = the secondary's $3010`, async function () {
        const { adapter, feed, backup } = await networkHelpers.loadFixture(secondaryFixture);
        await backup.push(p18("3010"));
        await expectPrice(adapter, WETH, ok(wad("3000")));
        await breakPrimary(feed);
        await expectPrice(adapter, WETH, degraded(reason, wad("3010")));
      });
    }
  });

  describe("both failed: FAILED with the primary's reason", function () {
    it("primary reverting, secondary stale: FAILED / FEED_REVERTED", async function () {
      const { adapter, feed } = await networkHelpers.loadFixture(secondaryFixture);
      await time.increase(SECONDARY_HEARTBEAT + STALENESS_GRACE + 1n);
      await feed.setMode(Mode.Revert);
      await expectPrice(adapter, WETH, failed("FEED_REVERTED"));
    });

    it("primary stale, secondary reverting: FAILED / STALE", async function () {
      const { adapter, backup } = await networkHelpers.loadFixture(secondaryFixture);
      await time.increase(HEARTBEAT + STALENESS_GRACE + 1n);
      await backup.setMode(Mode.Revert);
      await expectPrice(adapter, WETH, failed("STALE"));
    });

    it("the asset's bounds apply to the secondary: primary reverting, secondary at $2,000,000 is FAILED / FEED_REVERTED", async function () {
      const { adapter, feed, backup } = await networkHelpers.loadFixture(secondaryFixture);
      await backup.push(p18("2000000"));
      await feed.setMode(Mode.Revert);
      await expectPrice(adapter, WETH, failed("FEED_REVERTED"));
    });
  });

  describe("primary usable, secondary failed: DEGRADED / SECONDARY_FAILED at the primary", function () {
    const cases: Array<{ how: string; breakSecondary: (backup: TestAggregator) => Promise<unknown> }> = [
      { how: "reverting", breakSecondary: (backup) => backup.setMode(Mode.Revert) },
      { how: "malformed", breakSecondary: (backup) => backup.setMode(Mode.Malformed) },
      { how: "answering 0", breakSecondary: (backup) => backup.push(0n) },
      { how: "answering a negative price", breakSecondary: (backup) => backup.push(-p18("3000")) },
      { how: "out of the asset's bounds", breakSecondary: (backup) => backup.push(p18("1")) },
    ];
    for (const { how, breakSecondary } of cases) {
      it(`secondary ${how}`, async function () {
        const { adapter, backup } = await networkHelpers.loadFixture(secondaryFixture);
        await breakSecondary(backup);
        await expectPrice(adapter, WETH, degraded("SECONDARY_FAILED", wad("3000")));
      });
    }

    it("the secondary has its own heartbeat: OK exactly 1 day + grace after its round, SECONDARY_FAILED one second later", async function () {
      const { adapter, feed, backup } = await networkHelpers.loadFixture(secondaryFixture);
      const t = await soon();
      await time.setNextBlockTimestamp(t);
      await backup.push(p18("3000"));
      // The primary is refreshed in the very block each read sees, so only the secondary ages.
      await time.setNextBlockTimestamp(t + SECONDARY_HEARTBEAT + STALENESS_GRACE);
      await feed.push(p8("3000"));
      await expectPrice(adapter, WETH, ok(wad("3000")));
      await time.setNextBlockTimestamp(t + SECONDARY_HEARTBEAT + STALENESS_GRACE + 1n);
      await feed.push(p8("3000"));
      await expectPrice(adapter, WETH, degraded("SECONDARY_FAILED", wad("3000")));
    });

    it("reconfiguring without a secondary drops it: a reverting former secondary no longer matters", async function () {
      const { adapter, owner, feed, backup } = await networkHelpers.loadFixture(secondaryFixture);
      await backup.setMode(Mode.Revert);
      await expectPrice(adapter, WETH, degraded("SECONDARY_FAILED", wad("3000")));
      await adapter.connect(owner).setAssetConfig(WETH, assetConfig(feed));
      await expectPrice(adapter, WETH, ok(wad("3000")));
    });
  });
});

describe("OracleAdapter: unconfirmed jumps (maxJump 20%, jumpWindow 2 h: twice the heartbeat)", function () {
  const WINDOW = 2n * HEARTBEAT;
  const JUMP: Partial<ConfigInput> = { maxJump: wad("0.2"), jumpWindow: WINDOW };

  /** WETH on `feed` with the jump bound on and no secondary; the feed's latest round is $100. */
  async function jumpFixture(connection: NetworkConnection): Promise<AdapterFixture> {
    const f = await adapterFixture(connection);
    await f.adapter.connect(f.owner).setAssetConfig(WETH, assetConfig(f.feed, JUMP));
    await f.feed.push(p8("100"));
    return f;
  }

  it("100 → 130 within the window: DEGRADED / UNCONFIRMED_JUMP, low 100, high 130", async function () {
    const { adapter, feed } = await networkHelpers.loadFixture(jumpFixture);
    await feed.push(p8("130"));
    await expectPrice(adapter, WETH, degraded("UNCONFIRMED_JUMP", wad("100"), wad("130")));
  });

  it("100 → 119 is OK", async function () {
    const { adapter, feed } = await networkHelpers.loadFixture(jumpFixture);
    await feed.push(p8("119"));
    await expectPrice(adapter, WETH, ok(wad("119")));
  });

  it("100 → 120 (exactly 20%) is OK; 100 → 120.00000001 is DEGRADED / UNCONFIRMED_JUMP", async function () {
    const { adapter, feed } = await networkHelpers.loadFixture(jumpFixture);
    await feed.push(p8("120"));
    await expectPrice(adapter, WETH, ok(wad("120")));
    await feed.push(p8("100"));
    await feed.push(p8("120.00000001"));
    await expectPrice(adapter, WETH, degraded("UNCONFIRMED_JUMP", wad("100"), wad("120.00000001")));
  });

  it("a drop counts too: 100 → 80 is DEGRADED / UNCONFIRMED_JUMP, low 80, high 100", async function () {
    const { adapter, feed } = await networkHelpers.loadFixture(jumpFixture);
    await feed.push(p8("80"));
    await expectPrice(adapter, WETH, degraded("UNCONFIRMED_JUMP", wad("80"), wad("100")));
  });

  it("the next round confirms the jump: 100 → 130 → 131 is OK at 131", async function () {
    const { adapter, feed } = await networkHelpers.loadFixture(jumpFixture);
    await feed.push(p8("130"));
    await expectPrice(adapter, WETH, degraded("UNCONFIRMED_JUMP", wad("100"), wad("130")));
    await feed.push(p8("131"));
    await expectPrice(adapter, WETH, ok(wad("131")));
  });

  it("rounds exactly jumpWindow apart are compared; one second further apart they are not", async function () {
    const { adapter, feed } = await networkHelpers.loadFixture(jumpFixture);
    let t = await soon();
    await time.setNextBlockTimestamp(t);
    await feed.push(p8("100"));
    await time.setNextBlockTimestamp(t + WINDOW);
    await feed.push(p8("130"));
    await expectPrice(adapter, WETH, degraded("UNCONFIRMED_JUMP", wad("100"), wad("130")));

    t = t + WINDOW + 10n;
    await time.setNextBlockTimestamp(t);
    await feed.push(p8("100"));
    await time.setNextBlockTimestamp(t + WINDOW + 1n);
    await feed.push(p8("130"));
    await expectPrice(adapter, WETH, ok(wad("130")));
  });

  // Regression (outside review of the backstop's marks): with the window at the heartbeat, a round that came on the
  // heartbeat, a little after it, was never compared, so one bad heartbeat round of any size inside the bounds was OK.
  it("a heartbeat round, a heartbeat and a few minutes after the last, is compared too", async function () {
    const { adapter, feed } = await networkHelpers.loadFixture(jumpFixture);
    const t = await soon();
    await time.setNextBlockTimestamp(t);
    await feed.push(p8("100"));
    await time.setNextBlockTimestamp(t + HEARTBEAT + 300n);
    await feed.push(p8("50"));
    await expectPrice(adapter, WETH, degraded("UNCONFIRMED_JUMP", wad("50"), wad("100")));
    // One landing later than the grace (a gas spike: 30 minutes late) is compared too.
    await time.setNextBlockTimestamp(t + HEARTBEAT + 300n + HEARTBEAT + 1800n);
    await feed.push(p8("100"));
    await expectPrice(adapter, WETH, degraded("UNCONFIRMED_JUMP", wad("50"), wad("100")));
  });

  it("a real move past the bound after 90 minutes of silence waits for the next round within the bound of it", async function () {
    const { adapter, feed } = await networkHelpers.loadFixture(jumpFixture);
    const t = await soon();
    await time.setNextBlockTimestamp(t);
    await feed.push(p8("100"));
    await time.setNextBlockTimestamp(t + 90n * 60n); // the feed read STALE for the last 20 minutes
    await feed.push(p8("70"));
    await expectPrice(adapter, WETH, degraded("UNCONFIRMED_JUMP", wad("70"), wad("100")));
    await time.setNextBlockTimestamp(t + 95n * 60n);
    await feed.push(p8("69"));
    await expectPrice(adapter, WETH, ok(wad("69")));
  });

  it("the first round of a new phase has no previous round: 100, new phase, 130 is OK", async function () {
    const { adapter, feed } = await networkHelpers.loadFixture(jumpFixture);
    await feed.newPhase();
    await feed.push(p8("130"));
    await expectPrice(adapter, WETH, ok(wad("130")));
    // The next round of the new phase is compared with the first one again.
    await feed.push(p8("100"));
    await expectPrice(adapter, WETH, degraded("UNCONFIRMED_JUMP", wad("100"), wad("130")));
  });

  it("maxJump 0 disables the check: 100 → 130 is OK", async function () {
    const { adapter, owner, feed } = await networkHelpers.loadFixture(jumpFixture);
    await adapter.connect(owner).setAssetConfig(WETH, assetConfig(feed, { maxJump: 0n, jumpWindow: WINDOW }));
    await feed.push(p8("130"));
    await expectPrice(adapter, WETH, ok(wad("130")));
  });

  it("a secondary agreeing with the jump confirms it: OK at 130", async function () {
    const { adapter, owner, feed, backup } = await networkHelpers.loadFixture(jumpFixture);
    await adapter.connect(owner).setAssetConfig(WETH, assetConfig(feed, { ...JUMP, secondary: backup }));
    await backup.push(p18("129"));
    await feed.push(p8("130"));
    await expectPrice(adapter, WETH, ok(wad("130")));
  });

  it("a failed secondary does not confirm it: DEGRADED / UNCONFIRMED_JUMP (not SECONDARY_FAILED)", async function () {
    const { adapter, owner, feed, backup } = await networkHelpers.loadFixture(jumpFixture);
    await adapter.connect(owner).setAssetConfig(WETH, assetConfig(feed, { ...JUMP, secondary: backup }));
    await backup.setMode(Mode.Revert);
    await feed.push(p8("130"));
    await expectPrice(adapter, WETH, degraded("UNCONFIRMED_JUMP", wad("100"), wad("130")));
  });

  describe("a previous round that cannot be compared is ignored", function () {
    it("previous answer 0: 0 → 130 is OK", async function () {
      const { adapter, feed } = await networkHelpers.loadFixture(jumpFixture);
      await feed.push(0n);
      await feed.push(p8("130"));
      await expectPrice(adapter, WETH, ok(wad("130")));
    });

    it("previous answer negative: -1 → 130 is OK", async function () {
      const { adapter, feed } = await networkHelpers.loadFixture(jumpFixture);
      await feed.push(-1n);
      await feed.push(p8("130"));
      await expectPrice(adapter, WETH, ok(wad("130")));
    });

    it("previous answer at the asset's floor ($1, out of bounds): 1 → 130 is OK", async function () {
      const { adapter, feed } = await networkHelpers.loadFixture(jumpFixture);
      await feed.push(p8("1"));
      await feed.push(p8("130"));
      await expectPrice(adapter, WETH, ok(wad("130")));
    });

    it("previous round updated after the latest one: OK", async function () {
      const { adapter, feed } = await networkHelpers.loadFixture(jumpFixture);
      const now = BigInt(await time.latest());
      await feed.pushAt(p8("100"), now - 10n, now - 5n);
      await feed.pushAt(p8("130"), now - 20n, now - 20n);
      await expectPrice(adapter, WETH, ok(wad("130")));
    });

    describe("round ids at a phase start (raw feed serving one 'previous' round for any id)", function () {
      async function rawJumpFixture(connection: NetworkConnection): Promise<AdapterFixture & { raw: OracleRawFeed }> {
        const f = await adapterFixture(connection);
        const raw = await connection.ethers.deployContract("OracleRawFeed", [8]);
        await f.adapter.connect(f.owner).setAssetConfig(WETH, assetConfig(raw, JUMP));
        const now = BigInt(await connection.networkHelpers.time.latest());
        await raw.setPrevious({ roundId: 0n, answer: p8("100"), startedAt: now, updatedAt: now, answeredInRound: 0n });
        return { ...f, raw };
      }
      const PHASE_2 = 2n << 64n;

      async function setLatest(raw: OracleRawFeed, roundId: bigint): Promise<void> {
        const now = BigInt(await time.latest());
        await raw.setLatest({ roundId, answer: p8("130"), startedAt: now, updatedAt: now, answeredInRound: roundId });
      }

      it("round 2 of phase 2 is compared with its previous round: DEGRADED / UNCONFIRMED_JUMP", async function () {
        const { adapter, raw } = await networkHelpers.loadFixture(rawJumpFixture);
        await setLatest(raw, PHASE_2 | 2n);
        await expectPrice(adapter, WETH, degraded("UNCONFIRMED_JUMP", wad("100"), wad("130")));
      });

      it("round 1 of phase 2 is not (round id phase|0 is not a round): OK", async function () {
        const { adapter, raw } = await networkHelpers.loadFixture(rawJumpFixture);
        await setLatest(raw, PHASE_2 | 1n);
        await expectPrice(adapter, WETH, ok(wad("130")));
      });

      it("round id 0 is not compared (and does not underflow): OK", async function () {
        const { adapter, raw } = await networkHelpers.loadFixture(rawJumpFixture);
        await setLatest(raw, 0n);
        await expectPrice(adapter, WETH, ok(wad("130")));
      });
    });
  });
});

describe("OracleAdapter: L2 sequencer (grace 1 h)", function () {
  it("sequencer up for a day: every asset OK", async function () {
    const { adapter } = await networkHelpers.loadFixture(sequencerFixture);
    await expectPrice(adapter, WETH, ok(wad("3000")));
    await expectPrice(adapter, WBTC, ok(wad("60000")));
  });

  it("sequencer down: every OK asset is DEGRADED / SEQUENCER_DOWN at its price", async function () {
    const { adapter, uptime, upSince } = await networkHelpers.loadFixture(sequencerFixture);
    await uptime.pushAt(1n, upSince, BigInt(await time.latest()));
    await expectPrice(adapter, WETH, degraded("SEQUENCER_DOWN", wad("3000")));
    await expectPrice(adapter, WBTC, degraded("SEQUENCER_DOWN", wad("60000")));
  });

  it("up again for exactly the grace period: OK; one second less: DEGRADED / SEQUENCER_GRACE", async function () {
    const { adapter, uptime } = await networkHelpers.loadFixture(sequencerFixture);
    const t = await soon();
    await time.setNextBlockTimestamp(t);
    await uptime.pushAt(0n, t - SEQUENCER_GRACE + 1n, t);
    await expectPrice(adapter, WETH, degraded("SEQUENCER_GRACE", wad("3000")));
    await expectPrice(adapter, WBTC, degraded("SEQUENCER_GRACE", wad("60000")));
    await time.setNextBlockTimestamp(t + 1n);
    await uptime.pushAt(0n, t - SEQUENCER_GRACE + 1n, t + 1n);
    await expectPrice(adapter, WETH, ok(wad("3000")));
  });

  it("a restart starts the grace: down, then up at t is SEQUENCER_GRACE until t + grace, OK from then", async function () {
    const { adapter, uptime, upSince } = await networkHelpers.loadFixture(sequencerFixture);
    await uptime.pushAt(1n, upSince, BigInt(await time.latest()));
    await expectPrice(adapter, WETH, degraded("SEQUENCER_DOWN", wad("3000")));
    const t = await soon();
    await time.setNextBlockTimestamp(t);
    await uptime.push(0n);
    await expectPrice(adapter, WETH, degraded("SEQUENCER_GRACE", wad("3000")));
    await time.increaseTo(t + SEQUENCER_GRACE - 1n);
    await expectPrice(adapter, WETH, degraded("SEQUENCER_GRACE", wad("3000")));
    await time.increaseTo(t + SEQUENCER_GRACE);
    await expectPrice(adapter, WETH, ok(wad("3000")));
  });

  it("sequencerState: (NONE, restart + grace) when ready; (reason, max) while down, in grace or broken; (NONE, 0) on an L1", async function () {
    const { adapter, uptime, upSince } = await networkHelpers.loadFixture(sequencerFixture);
    const { NONE, SEQUENCER_DOWN: DOWN, SEQUENCER_GRACE: GRACE, SEQUENCER_FEED_BROKEN: BROKEN } = Reason;
    expect(await adapter.sequencerState()).to.deep.equal([NONE, upSince + SEQUENCER_GRACE]);
    await uptime.pushAt(1n, upSince, BigInt(await time.latest()));
    expect(await adapter.sequencerState()).to.deep.equal([DOWN, MaxUint256]);
    const t = await soon();
    await time.setNextBlockTimestamp(t);
    await uptime.push(0n);
    expect(await adapter.sequencerState()).to.deep.equal([GRACE, MaxUint256]);
    await time.increaseTo(t + SEQUENCER_GRACE);
    expect(await adapter.sequencerState()).to.deep.equal([NONE, t + SEQUENCER_GRACE]);
    await uptime.setMode(Mode.Revert);
    expect(await adapter.sequencerState()).to.deep.equal([BROKEN, MaxUint256]);
    const { adapter: l1 } = await networkHelpers.loadFixture(adapterFixture);
    expect(await l1.sequencerState()).to.deep.equal([NONE, 0n]);
  });

  // Regression: the grace counts from startedAt (when the current status began), not from updatedAt, which the
  // uptime feed moves on every heartbeat.
  it("regression: a status round updated just now but started long ago is OK (grace from startedAt)", async function () {
    const { adapter, uptime, upSince } = await networkHelpers.loadFixture(sequencerFixture);
    const t = await soon();
    await time.setNextBlockTimestamp(t);
    await uptime.pushAt(0n, upSince, t);
    await expectPrice(adapter, WETH, ok(wad("3000")));
    await expectPrice(adapter, WBTC, ok(wad("60000")));
  });

  it("the uptime feed has no heartbeat: a status round last updated two days ago still counts", async function () {
    const { adapter, uptime, feed, btcFeed } = await networkHelpers.loadFixture(sequencerFixture);
    const now = BigInt(await time.latest());
    await uptime.pushAt(0n, now - 3n * DAY, now - 2n * DAY);
    await feed.push(p8("3000"));
    await btcFeed.push(p8("60000"));
    await expectPrice(adapter, WETH, ok(wad("3000")));
  });

  describe("SEQUENCER_FEED_BROKEN (DEGRADED, never FAILED: liquidations go on)", function () {
    const cases: Array<{ how: string; breakIt: (uptime: TestAggregator, now: bigint) => Promise<unknown> }> = [
      { how: "reverting", breakIt: (uptime) => uptime.setMode(Mode.Revert) },
      { how: "malformed", breakIt: (uptime) => uptime.setMode(Mode.Malformed) },
      { how: "answering 2", breakIt: (uptime, now) => uptime.pushAt(2n, now - DAY, now) },
      { how: "answering -1", breakIt: (uptime, now) => uptime.pushAt(-1n, now - DAY, now) },
      { how: "with startedAt 0", breakIt: (uptime, now) => uptime.pushAt(0n, 0n, now) },
    ];
    for (const { how, breakIt } of cases) {
      it(`uptime feed ${how}`, async function () {
        const { adapter, uptime } = await networkHelpers.loadFixture(sequencerFixture);
        await breakIt(uptime, BigInt(await time.latest()));
        await expectPrice(adapter, WETH, degraded("SEQUENCER_FEED_BROKEN", wad("3000")));
        await expectPrice(adapter, WBTC, degraded("SEQUENCER_FEED_BROKEN", wad("60000")));
      });
    }

    it("startedAt one second in the future is SEQUENCER_FEED_BROKEN; once that second comes it is SEQUENCER_GRACE", async function () {
      const { adapter, uptime } = await networkHelpers.loadFixture(sequencerFixture);
      const t = await soon();
      await time.setNextBlockTimestamp(t);
      await uptime.pushAt(0n, t + 1n, t);
      await expectPrice(adapter, WETH, degraded("SEQUENCER_FEED_BROKEN", wad("3000")));
      await time.increaseTo(t + 1n);
      await expectPrice(adapter, WETH, degraded("SEQUENCER_GRACE", wad("3000")));
    });

    it("answer 1 (down) with startedAt 0 is still SEQUENCER_DOWN", async function () {
      const { adapter, uptime } = await networkHelpers.loadFixture(sequencerFixture);
      await uptime.pushAt(1n, 0n, BigInt(await time.latest()));
      await expectPrice(adapter, WETH, degraded("SEQUENCER_DOWN", wad("3000")));
    });
  });

  describe("the sequencer only downgrades OK prices", function () {
    it("a FAILED asset stays FAILED (its own reason, no price) whatever the sequencer says", async function () {
      const { adapter, uptime, upSince } = await networkHelpers.loadFixture(sequencerFixture);
      await time.increase(HEARTBEAT + STALENESS_GRACE + 1n);
      const now = BigInt(await time.latest());
      for (const status of [0n, 1n, 2n]) {
        await uptime.pushAt(status, upSince, now);
        await expectPrice(adapter, WETH, failed("STALE"));
        await expectPrice(adapter, UNKNOWN, failed("NOT_CONFIGURED"));
      }
      await uptime.setMode(Mode.Revert);
      await expectPrice(adapter, WETH, failed("STALE"));
    });

    it("a DEGRADED asset keeps its own reason and bounds: SOURCES_DISAGREE stays SOURCES_DISAGREE with the sequencer down", async function () {
      const { adapter, owner, feed, backup, uptime, upSince } = await networkHelpers.loadFixture(sequencerFixture);
      await adapter.connect(owner).setAssetConfig(WETH, assetConfig(feed, { secondary: backup }));
      await backup.push(p18("3100"));
      await uptime.pushAt(1n, upSince, BigInt(await time.latest()));
      await expectPrice(adapter, WETH, degraded("SOURCES_DISAGREE", wad("3000"), wad("3100")));
      // WBTC, OK on its own, is downgraded by the sequencer in the same state.
      await expectPrice(adapter, WBTC, degraded("SEQUENCER_DOWN", wad("60000")));
    });

    it("a secondary-confirmed price is OK only while the sequencer is up", async function () {
      const { adapter, owner, feed, backup, uptime, upSince } = await networkHelpers.loadFixture(sequencerFixture);
      await adapter.connect(owner).setAssetConfig(WETH, assetConfig(feed, { secondary: backup }));
      await expectPrice(adapter, WETH, ok(wad("3000")));
      await uptime.pushAt(1n, upSince, BigInt(await time.latest()));
      await expectPrice(adapter, WETH, degraded("SEQUENCER_DOWN", wad("3000")));
    });
  });
});
