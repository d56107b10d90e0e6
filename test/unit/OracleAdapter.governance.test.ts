/**
 * OracleAdapter: poke / pokeMany / lastStatus (the status-change events monitors and the circuit breaker act on),
 * and governance: owner-only configuration, every configuration error with its arguments (each paired with the
 * accepted value at the limit), the constructor's checks, events and the stored configuration.
 */
import { expect } from "chai";
import { ZeroAddress } from "ethers";
import type { ContractTransactionResponse } from "ethers";
import { network } from "hardhat";
import type { NetworkConnection } from "hardhat/types/network";

import {
  adapterFixture,
  answer,
  assetConfig,
  DAY,
  HEARTBEAT,
  HOUR,
  MAX_DEVIATION,
  MAX_PRICE,
  MIN_PRICE,
  Mode,
  Reason,
  SECONDARY_HEARTBEAT,
  STALENESS_GRACE,
  Status,
  toRead,
  UNKNOWN,
  wad,
  WBTC,
  WETH,
} from "./helpers/oracleAdapter.js";
import type { AdapterFixture, ConfigInput } from "./helpers/oracleAdapter.js";
import type { OracleAdapter, TestAggregator } from "../../typechain-types/index.js";

const { ethers, networkHelpers } = await network.create();
const { time } = networkHelpers;

/** Limits of the adapter, as the specification states them (pinned by the first governance test). */
const MAX_HEARTBEAT = 2n * DAY;
const MAX_STALENESS_GRACE = HOUR;
const MAX_SEQUENCER_GRACE = DAY;
const MAX_DEVIATION_LIMIT = wad("0.5");
const MIN_DEVIATION_LIMIT = wad("0.001");
const MAX_JUMP = wad("0.9");
const MIN_JUMP = wad("0.01");
const MAX_JUMP_WINDOW = 4n * DAY;
/** The shortest jump window with the bound on: the fixtures' primary heartbeat twice (it is longer than the grace). */
const MIN_JUMP_WINDOW = 2n * HEARTBEAT;

/** The stored configuration as a plain object (sources as [feed, heartbeat, decimals]). */
async function storedConfig(adapter: OracleAdapter, asset: string): Promise<Record<string, unknown>> {
  const c = await adapter.assetConfig(asset);
  return {
    primary: [...c.primary],
    secondary: [...c.secondary],
    minPrice: c.minPrice,
    maxPrice: c.maxPrice,
    maxDeviation: c.maxDeviation,
    maxJump: c.maxJump,
    jumpWindow: c.jumpWindow,
  };
}

/** PriceStatusChanged events of a transaction, as [asset, previousStatus, status, reason, low, high]. */
async function statusEvents(adapter: OracleAdapter, tx: Promise<ContractTransactionResponse>): Promise<unknown[][]> {
  const receipt = await (await tx).wait();
  if (receipt === null) throw new Error("transaction not mined");
  const events: unknown[][] = [];
  for (const log of receipt.logs) {
    const parsed = adapter.interface.parseLog(log);
    if (parsed?.name === "PriceStatusChanged") events.push([...parsed.args]);
  }
  return events;
}

describe("OracleAdapter: poke and lastStatus", function () {
  /** WETH ($3000) and WBTC ($60000), both OK, neither poked yet. */
  async function pokeFixture(connection: NetworkConnection): Promise<AdapterFixture & { btcFeed: TestAggregator }> {
    const f = await adapterFixture(connection);
    const btcFeed = await connection.ethers.deployContract("TestAggregator", [8, "BTC / USD"]);
    await btcFeed.push(answer("60000", 8));
    await f.adapter.connect(f.owner).setAssetConfig(WBTC, assetConfig(btcFeed));
    return { ...f, btcFeed };
  }

  it("the first poke of an OK asset emits nothing: the recorded status starts at OK / NONE", async function () {
    const { adapter } = await networkHelpers.loadFixture(pokeFixture);
    expect(await adapter.lastStatus(WETH)).to.deep.equal([Status.OK, Reason.NONE]);
    await expect(adapter.poke(WETH)).to.not.emit(adapter, "PriceStatusChanged");
    expect(await adapter.lastStatus(WETH)).to.deep.equal([Status.OK, Reason.NONE]);
  });

  it("poke returns the read", async function () {
    const { adapter } = await networkHelpers.loadFixture(pokeFixture);
    expect(toRead(await adapter.poke.staticCall(WETH))).to.deep.equal(toRead(await adapter.getPrice(WETH)));
    expect(toRead(await adapter.poke.staticCall(WBTC))).to.deep.equal({
      status: "OK",
      reason: "NONE",
      low: wad("60000"),
      high: wad("60000"),
    });
  });

  it("OK → STALE emits (asset, OK, FAILED, STALE, 0, 0) once; a second poke with no change emits nothing", async function () {
    const { adapter, stranger } = await networkHelpers.loadFixture(pokeFixture);
    await time.increase(HEARTBEAT + STALENESS_GRACE + 1n);
    // Permissionless: anyone may poke.
    await expect(adapter.connect(stranger).poke(WETH))
      .to.emit(adapter, "PriceStatusChanged")
      .withArgs(WETH, Status.OK, Status.FAILED, Reason.STALE, 0n, 0n);
    expect(await adapter.lastStatus(WETH)).to.deep.equal([Status.FAILED, Reason.STALE]);
    await expect(adapter.poke(WETH)).to.not.emit(adapter, "PriceStatusChanged");
    expect(await adapter.lastStatus(WETH)).to.deep.equal([Status.FAILED, Reason.STALE]);
  });

  it("recovery by a new round emits (asset, FAILED, OK, NONE, price, price)", async function () {
    const { adapter, feed } = await networkHelpers.loadFixture(pokeFixture);
    await time.increase(HEARTBEAT + STALENESS_GRACE + 1n);
    await adapter.poke(WETH);
    await feed.push(answer("3100", 8));
    await expect(adapter.poke(WETH))
      .to.emit(adapter, "PriceStatusChanged")
      .withArgs(WETH, Status.FAILED, Status.OK, Reason.NONE, wad("3100"), wad("3100"));
    expect(await adapter.lastStatus(WETH)).to.deep.equal([Status.OK, Reason.NONE]);
  });

  it("a new reason under the same status is a change: FAILED / STALE → FAILED / FEED_REVERTED emits", async function () {
    const { adapter, feed } = await networkHelpers.loadFixture(pokeFixture);
    await time.increase(HEARTBEAT + STALENESS_GRACE + 1n);
    await adapter.poke(WETH);
    await feed.setMode(Mode.Revert);
    await expect(adapter.poke(WETH))
      .to.emit(adapter, "PriceStatusChanged")
      .withArgs(WETH, Status.FAILED, Status.FAILED, Reason.FEED_REVERTED, 0n, 0n);
    expect(await adapter.lastStatus(WETH)).to.deep.equal([Status.FAILED, Reason.FEED_REVERTED]);
  });

  it("a new status under the same reason is a change: FAILED / STALE → DEGRADED / STALE (secondary back) emits", async function () {
    const { adapter, owner, feed, backup } = await networkHelpers.loadFixture(pokeFixture);
    await adapter.connect(owner).setAssetConfig(WETH, assetConfig(feed, { secondary: backup }));
    await time.increase(HEARTBEAT + STALENESS_GRACE + 1n);
    await backup.setMode(Mode.Revert);
    await expect(adapter.poke(WETH))
      .to.emit(adapter, "PriceStatusChanged")
      .withArgs(WETH, Status.OK, Status.FAILED, Reason.STALE, 0n, 0n);
    await backup.setMode(Mode.Normal);
    await expect(adapter.poke(WETH))
      .to.emit(adapter, "PriceStatusChanged")
      .withArgs(WETH, Status.FAILED, Status.DEGRADED, Reason.STALE, wad("3000"), wad("3000"));
    expect(await adapter.lastStatus(WETH)).to.deep.equal([Status.DEGRADED, Reason.STALE]);
  });

  it("DEGRADED emits its low and high; new bounds with the same status and reason emit nothing", async function () {
    const { adapter, owner, feed, backup } = await networkHelpers.loadFixture(pokeFixture);
    await adapter.connect(owner).setAssetConfig(WETH, assetConfig(feed, { secondary: backup }));
    await backup.push(answer("3100", 18));
    await expect(adapter.poke(WETH))
      .to.emit(adapter, "PriceStatusChanged")
      .withArgs(WETH, Status.OK, Status.DEGRADED, Reason.SOURCES_DISAGREE, wad("3000"), wad("3100"));
    expect(await adapter.lastStatus(WETH)).to.deep.equal([Status.DEGRADED, Reason.SOURCES_DISAGREE]);
    await backup.push(answer("3200", 18));
    await expect(adapter.poke(WETH)).to.not.emit(adapter, "PriceStatusChanged");
  });

  it("poking an unconfigured asset records FAILED / NOT_CONFIGURED", async function () {
    const { adapter } = await networkHelpers.loadFixture(pokeFixture);
    await expect(adapter.poke(UNKNOWN))
      .to.emit(adapter, "PriceStatusChanged")
      .withArgs(UNKNOWN, Status.OK, Status.FAILED, Reason.NOT_CONFIGURED, 0n, 0n);
    expect(await adapter.lastStatus(UNKNOWN)).to.deep.equal([Status.FAILED, Reason.NOT_CONFIGURED]);
  });

  it("pokeMany pokes each asset: events for the changed ones only, in order, and every status recorded", async function () {
    const { adapter, feed, btcFeed } = await networkHelpers.loadFixture(pokeFixture);
    await time.increase(HEARTBEAT + STALENESS_GRACE + 1n);
    await btcFeed.push(answer("61000", 8)); // WBTC fresh and OK, WETH stale
    expect(await statusEvents(adapter, adapter.pokeMany([WETH, WBTC, UNKNOWN]))).to.deep.equal([
      [WETH, Status.OK, Status.FAILED, Reason.STALE, 0n, 0n],
      [UNKNOWN, Status.OK, Status.FAILED, Reason.NOT_CONFIGURED, 0n, 0n],
    ]);
    expect(await adapter.lastStatus(WETH)).to.deep.equal([Status.FAILED, Reason.STALE]);
    expect(await adapter.lastStatus(WBTC)).to.deep.equal([Status.OK, Reason.NONE]);
    expect(await adapter.lastStatus(UNKNOWN)).to.deep.equal([Status.FAILED, Reason.NOT_CONFIGURED]);
    // Nothing changed since: a second pokeMany emits nothing.
    expect(await statusEvents(adapter, adapter.pokeMany([WETH, WBTC, UNKNOWN]))).to.deep.equal([]);
    // WETH recovers, WBTC goes stale.
    await time.increase(HEARTBEAT + STALENESS_GRACE + 1n);
    await feed.push(answer("3100", 8));
    expect(await statusEvents(adapter, adapter.pokeMany([WETH, WBTC]))).to.deep.equal([
      [WETH, Status.FAILED, Status.OK, Reason.NONE, wad("3100"), wad("3100")],
      [WBTC, Status.OK, Status.FAILED, Reason.STALE, 0n, 0n],
    ]);
  });
});

describe("OracleAdapter: governance", function () {
  it("the limits are the specified ones", async function () {
    const { adapter } = await networkHelpers.loadFixture(adapterFixture);
    expect([
      await adapter.MAX_HEARTBEAT(),
      await adapter.MAX_STALENESS_GRACE(),
      await adapter.MAX_SEQUENCER_GRACE(),
      await adapter.MAX_DEVIATION(),
      await adapter.MIN_DEVIATION(),
      await adapter.MAX_JUMP(),
      await adapter.MIN_JUMP(),
      await adapter.MAX_JUMP_WINDOW(),
      await adapter.MAX_FEED_DECIMALS(),
    ]).to.deep.equal([
      MAX_HEARTBEAT,
      MAX_STALENESS_GRACE,
      MAX_SEQUENCER_GRACE,
      MAX_DEVIATION_LIMIT,
      MIN_DEVIATION_LIMIT,
      MAX_JUMP,
      MIN_JUMP,
      MAX_JUMP_WINDOW,
      18n,
    ]);
  });

  describe("owner only", function () {
    it("setAssetConfig by anyone else reverts with OwnableUnauthorizedAccount and changes nothing", async function () {
      const { adapter, stranger, backup } = await networkHelpers.loadFixture(adapterFixture);
      const before = await storedConfig(adapter, WETH);
      await expect(adapter.connect(stranger).setAssetConfig(WETH, assetConfig(backup)))
        .to.be.revertedWithCustomError(adapter, "OwnableUnauthorizedAccount")
        .withArgs(stranger.address);
      await expect(adapter.connect(stranger).setAssetConfig(WBTC, assetConfig(backup)))
        .to.be.revertedWithCustomError(adapter, "OwnableUnauthorizedAccount")
        .withArgs(stranger.address);
      expect(await storedConfig(adapter, WETH)).to.deep.equal(before);
    });

    it("removeAsset by anyone else reverts with OwnableUnauthorizedAccount and changes nothing", async function () {
      const { adapter, stranger } = await networkHelpers.loadFixture(adapterFixture);
      await expect(adapter.connect(stranger).removeAsset(WETH))
        .to.be.revertedWithCustomError(adapter, "OwnableUnauthorizedAccount")
        .withArgs(stranger.address);
      expect(toRead(await adapter.getPrice(WETH)).status).to.equal("OK");
    });

    it("ownership moves in two steps: the new owner configures only after accepting", async function () {
      const { adapter, owner, stranger, backup } = await networkHelpers.loadFixture(adapterFixture);
      await adapter.connect(owner).transferOwnership(stranger.address);
      await expect(adapter.connect(stranger).setAssetConfig(WBTC, assetConfig(backup)))
        .to.be.revertedWithCustomError(adapter, "OwnableUnauthorizedAccount")
        .withArgs(stranger.address);
      await adapter.connect(stranger).acceptOwnership();
      await expect(adapter.connect(stranger).setAssetConfig(WBTC, assetConfig(backup))).to.emit(
        adapter,
        "AssetConfigured",
      );
      await expect(adapter.connect(owner).removeAsset(WBTC))
        .to.be.revertedWithCustomError(adapter, "OwnableUnauthorizedAccount")
        .withArgs(owner.address);
    });
  });

  describe("setAssetConfig errors (each paired with the accepted limit)", function () {
    /** Asserts that configuring WETH with `overrides` on `feed` reverts with `error(args)`. */
    async function expectConfigError(
      f: AdapterFixture,
      overrides: Partial<ConfigInput>,
      error: string,
      args: readonly unknown[],
      asset: string = WETH,
    ): Promise<void> {
      await expect(f.adapter.connect(f.owner).setAssetConfig(asset, assetConfig(f.feed, overrides)))
        .to.be.revertedWithCustomError(f.adapter, error)
        .withArgs(...args);
    }
    async function expectAccepted(f: AdapterFixture, overrides: Partial<ConfigInput>): Promise<void> {
      await expect(f.adapter.connect(f.owner).setAssetConfig(WETH, assetConfig(f.feed, overrides))).to.emit(
        f.adapter,
        "AssetConfigured",
      );
    }

    it("ZeroAddress for asset 0", async function () {
      const f = await networkHelpers.loadFixture(adapterFixture);
      await expect(
        f.adapter.connect(f.owner).setAssetConfig(ZeroAddress, assetConfig(f.feed)),
      ).to.be.revertedWithCustomError(f.adapter, "ZeroAddress");
    });

    it("InvalidFeed for a primary that is not a contract (an EOA, or address 0)", async function () {
      const f = await networkHelpers.loadFixture(adapterFixture);
      await expectConfigError(f, { primary: f.stranger.address }, "InvalidFeed", [f.stranger.address]);
      await expectConfigError(f, { primary: ZeroAddress }, "InvalidFeed", [ZeroAddress]);
      // Not a contract comes first: an EOA with a zero heartbeat is still InvalidFeed.
      await expectConfigError(f, { primary: f.stranger.address, primaryHeartbeat: 0n }, "InvalidFeed", [
        f.stranger.address,
      ]);
    });

    it("InvalidFeed for a primary with 19 decimals; 18 is accepted", async function () {
      const f = await networkHelpers.loadFixture(adapterFixture);
      const feed19 = await ethers.deployContract("TestAggregator", [19, "X / USD"]);
      await expectConfigError(f, { primary: feed19 }, "InvalidFeed", [await feed19.getAddress()]);
      await expectAccepted(f, { primary: f.backup });
    });

    it("InvalidFeed for a contract without decimals()", async function () {
      const f = await networkHelpers.loadFixture(adapterFixture);
      const probe = await ethers.deployContract("OracleGasProbe");
      await expectConfigError(f, { primary: probe }, "InvalidFeed", [await probe.getAddress()]);
      await expectConfigError(f, { secondary: probe }, "InvalidFeed", [await probe.getAddress()]);
    });

    it("FeedRoundIncomplete for a primary or secondary whose latest round is incomplete; complete, accepted (INV-22)", async function () {
      // A feed that never fills answeredInRound would read STALE forever: refused at configuration, not found later.
      const f = await networkHelpers.loadFixture(adapterFixture);
      const raw = await ethers.deployContract("OracleRawFeed", [8]);
      const now = BigInt(await time.latest());
      const words = { roundId: 8n, answer: 3000n * 10n ** 8n, startedAt: now, updatedAt: now };
      await raw.setLatest({ ...words, answeredInRound: 0n });
      const rawAddress = await raw.getAddress();
      await expectConfigError(f, { primary: raw }, "FeedRoundIncomplete", [rawAddress, 8n, 0n]);
      await raw.setLatest({ ...words, answeredInRound: 7n });
      await expectConfigError(f, { secondary: raw }, "FeedRoundIncomplete", [rawAddress, 8n, 7n]);
      await raw.setLatest({ ...words, answeredInRound: 8n });
      await expectAccepted(f, { primary: raw });
      await expectAccepted(f, { secondary: raw });
    });

    it("InvalidFeed for a secondary that is an EOA or has 19 decimals; 18 is accepted", async function () {
      const f = await networkHelpers.loadFixture(adapterFixture);
      const feed19 = await ethers.deployContract("TestAggregator", [19, "X / USD"]);
      await expectConfigError(f, { secondary: f.stranger.address }, "InvalidFeed", [f.stranger.address]);
      await expectConfigError(f, { secondary: feed19 }, "InvalidFeed", [await feed19.getAddress()]);
      await expectAccepted(f, { secondary: f.backup });
    });

    it("HeartbeatOutOfBounds for a primary heartbeat of 0 or 2 days + 1; 1 s and 2 days are accepted", async function () {
      const f = await networkHelpers.loadFixture(adapterFixture);
      await expectConfigError(f, { primaryHeartbeat: 0n }, "HeartbeatOutOfBounds", [0n]);
      await expectConfigError(f, { primaryHeartbeat: MAX_HEARTBEAT + 1n }, "HeartbeatOutOfBounds", [
        MAX_HEARTBEAT + 1n,
      ]);
      await expectAccepted(f, { primaryHeartbeat: 1n });
      await expectAccepted(f, { primaryHeartbeat: MAX_HEARTBEAT });
    });

    it("HeartbeatOutOfBounds for a secondary heartbeat of 0 or 2 days + 1 (ignored without a secondary)", async function () {
      const f = await networkHelpers.loadFixture(adapterFixture);
      await expectConfigError(f, { secondary: f.backup, secondaryHeartbeat: 0n }, "HeartbeatOutOfBounds", [0n]);
      await expectConfigError(
        f,
        { secondary: f.backup, secondaryHeartbeat: MAX_HEARTBEAT + 1n },
        "HeartbeatOutOfBounds",
        [MAX_HEARTBEAT + 1n],
      );
      await expectAccepted(f, { secondary: f.backup, secondaryHeartbeat: MAX_HEARTBEAT });
      await expectAccepted(f, { secondary: ZeroAddress, secondaryHeartbeat: 0n });
    });

    it("PriceBoundsInvalid for minPrice 0, minPrice == maxPrice, minPrice > maxPrice; minPrice = maxPrice - 1 is accepted", async function () {
      const f = await networkHelpers.loadFixture(adapterFixture);
      await expectConfigError(f, { minPrice: 0n }, "PriceBoundsInvalid", [0n, MAX_PRICE]);
      await expectConfigError(f, { minPrice: MAX_PRICE }, "PriceBoundsInvalid", [MAX_PRICE, MAX_PRICE]);
      await expectConfigError(f, { minPrice: MAX_PRICE + 1n }, "PriceBoundsInvalid", [MAX_PRICE + 1n, MAX_PRICE]);
      await expectConfigError(f, { minPrice: 0n, maxPrice: 0n }, "PriceBoundsInvalid", [0n, 0n]);
      await expectAccepted(f, { minPrice: MAX_PRICE - 1n });
      await expectAccepted(f, { minPrice: 1n });
    });

    it("DeviationOutOfBounds below MIN_DEVIATION (0.1%) or above MAX_DEVIATION (50%); both limits accepted", async function () {
      const f = await networkHelpers.loadFixture(adapterFixture);
      await expectConfigError(f, { maxDeviation: 0n }, "DeviationOutOfBounds", [0n]);
      await expectConfigError(f, { maxDeviation: MIN_DEVIATION_LIMIT - 1n }, "DeviationOutOfBounds", [
        MIN_DEVIATION_LIMIT - 1n,
      ]);
      await expectConfigError(f, { maxDeviation: MAX_DEVIATION_LIMIT + 1n }, "DeviationOutOfBounds", [
        MAX_DEVIATION_LIMIT + 1n,
      ]);
      await expectAccepted(f, { maxDeviation: MIN_DEVIATION_LIMIT });
      await expectAccepted(f, { maxDeviation: MAX_DEVIATION_LIMIT });
    });

    it("JumpOutOfBounds for a jump between 0 and MIN_JUMP (1%) or above MAX_JUMP (90%); 0 and both limits accepted", async function () {
      const f = await networkHelpers.loadFixture(adapterFixture);
      const W = MIN_JUMP_WINDOW;
      await expectConfigError(f, { maxJump: 1n, jumpWindow: W }, "JumpOutOfBounds", [1n, W]);
      await expectConfigError(f, { maxJump: MIN_JUMP - 1n, jumpWindow: W }, "JumpOutOfBounds", [MIN_JUMP - 1n, W]);
      await expectConfigError(f, { maxJump: MAX_JUMP + 1n, jumpWindow: W }, "JumpOutOfBounds", [MAX_JUMP + 1n, W]);
      await expectAccepted(f, { maxJump: 0n, jumpWindow: W });
      await expectAccepted(f, { maxJump: MIN_JUMP, jumpWindow: W });
      await expectAccepted(f, { maxJump: MAX_JUMP, jumpWindow: W });
    });

    it("JumpOutOfBounds for a window above MAX_JUMP_WINDOW (4 days), even with the jump bound off; 4 days accepted", async function () {
      const f = await networkHelpers.loadFixture(adapterFixture);
      await expectConfigError(f, { maxJump: MIN_JUMP, jumpWindow: MAX_JUMP_WINDOW + 1n }, "JumpOutOfBounds", [
        MIN_JUMP,
        MAX_JUMP_WINDOW + 1n,
      ]);
      await expectConfigError(f, { maxJump: 0n, jumpWindow: MAX_JUMP_WINDOW + 1n }, "JumpOutOfBounds", [
        0n,
        MAX_JUMP_WINDOW + 1n,
      ]);
      await expectAccepted(f, { maxJump: MIN_JUMP, jumpWindow: MAX_JUMP_WINDOW });
    });

    // Regression: a jump bound with a zero window was accepted and silently compared no rounds at all; one with a
    // window of the heartbeat left every heartbeat round (a heartbeat and a little after the last) unchecked.
    it("JumpOutOfBounds for a jump bound whose window is shorter than the primary's heartbeat + the larger of its heartbeat and the grace; a window without a bound is accepted", async function () {
      const f = await networkHelpers.loadFixture(adapterFixture);
      await expectConfigError(f, { maxJump: MIN_JUMP, jumpWindow: 0n }, "JumpOutOfBounds", [MIN_JUMP, 0n]);
      await expectConfigError(f, { maxJump: MIN_JUMP, jumpWindow: HEARTBEAT }, "JumpOutOfBounds", [
        MIN_JUMP,
        HEARTBEAT,
      ]);
      const graceOnly = HEARTBEAT + STALENESS_GRACE; // too short: a heartbeat round late by more than the grace
      await expectConfigError(f, { maxJump: MIN_JUMP, jumpWindow: graceOnly }, "JumpOutOfBounds", [
        MIN_JUMP,
        graceOnly,
      ]);
      await expectConfigError(f, { maxJump: MIN_JUMP, jumpWindow: MIN_JUMP_WINDOW - 1n }, "JumpOutOfBounds", [
        MIN_JUMP,
        MIN_JUMP_WINDOW - 1n,
      ]);
      await expectAccepted(f, { maxJump: 0n, jumpWindow: 0n });
      await expectAccepted(f, { maxJump: 0n, jumpWindow: 1n });
      await expectAccepted(f, { maxJump: MIN_JUMP, jumpWindow: MIN_JUMP_WINDOW });
      // The floor follows the primary's own heartbeat.
      await expectConfigError(
        f,
        { maxJump: MIN_JUMP, primaryHeartbeat: DAY, jumpWindow: MIN_JUMP_WINDOW },
        "JumpOutOfBounds",
        [MIN_JUMP, MIN_JUMP_WINDOW],
      );
      await expectAccepted(f, { maxJump: MIN_JUMP, primaryHeartbeat: DAY, jumpWindow: 2n * DAY });
      // A heartbeat shorter than the grace: the heartbeat + the grace.
      const short = 300n;
      await expectConfigError(
        f,
        { maxJump: MIN_JUMP, primaryHeartbeat: short, jumpWindow: short + STALENESS_GRACE - 1n },
        "JumpOutOfBounds",
        [MIN_JUMP, short + STALENESS_GRACE - 1n],
      );
      await expectAccepted(f, { maxJump: MIN_JUMP, primaryHeartbeat: short, jumpWindow: short + STALENESS_GRACE });
    });
  });

  describe("constructor", function () {
    it("GraceOutOfBounds for a sequencer grace above 1 day or a staleness grace above 1 h; both limits accepted", async function () {
      const [owner] = await ethers.getSigners();
      const factory = await ethers.getContractFactory("OracleAdapter");
      const uptime = await ethers.deployContract("TestAggregator", [0, "uptime"]);
      await expect(factory.deploy(owner.address, uptime, MAX_SEQUENCER_GRACE + 1n, 0n))
        .to.be.revertedWithCustomError(factory, "GraceOutOfBounds")
        .withArgs(MAX_SEQUENCER_GRACE + 1n, MAX_SEQUENCER_GRACE);
      await expect(factory.deploy(owner.address, uptime, 0n, MAX_STALENESS_GRACE + 1n))
        .to.be.revertedWithCustomError(factory, "GraceOutOfBounds")
        .withArgs(MAX_STALENESS_GRACE + 1n, MAX_STALENESS_GRACE);
      const adapter = await factory.deploy(owner.address, uptime, MAX_SEQUENCER_GRACE, MAX_STALENESS_GRACE);
      expect([
        await adapter.owner(),
        await adapter.sequencerFeed(),
        await adapter.sequencerGrace(),
        await adapter.stalenessGrace(),
      ]).to.deep.equal([owner.address, await uptime.getAddress(), MAX_SEQUENCER_GRACE, MAX_STALENESS_GRACE]);
    });

    it("InvalidFeed for a sequencer feed that is not a contract; address 0 means no sequencer (an L1)", async function () {
      const [owner, eoa] = await ethers.getSigners();
      const factory = await ethers.getContractFactory("OracleAdapter");
      await expect(factory.deploy(owner.address, eoa.address, HOUR, STALENESS_GRACE))
        .to.be.revertedWithCustomError(factory, "InvalidFeed")
        .withArgs(eoa.address);
      const l1 = await factory.deploy(owner.address, ZeroAddress, HOUR, STALENESS_GRACE);
      expect(await l1.sequencerFeed()).to.equal(ZeroAddress);
    });
  });

  describe("events and stored configuration", function () {
    it("AssetConfigured carries the asset and the config as given", async function () {
      const { adapter, owner, feed, backup } = await networkHelpers.loadFixture(adapterFixture);
      const config = assetConfig(feed, { secondary: backup, maxJump: wad("0.2"), jumpWindow: MIN_JUMP_WINDOW });
      const receipt = await (await adapter.connect(owner).setAssetConfig(WBTC, config)).wait();
      const events = (receipt?.logs ?? [])
        .map((log) => adapter.interface.parseLog(log))
        .filter((parsed) => parsed?.name === "AssetConfigured")
        .map((parsed) => [parsed?.args[0], [...(parsed?.args[1] ?? [])]]);
      expect(events).to.deep.equal([
        [
          WBTC,
          [
            await feed.getAddress(),
            HEARTBEAT,
            await backup.getAddress(),
            SECONDARY_HEARTBEAT,
            MIN_PRICE,
            MAX_PRICE,
            MAX_DEVIATION,
            wad("0.2"),
            MIN_JUMP_WINDOW,
          ],
        ],
      ]);
    });

    it("assetConfig returns the config with each feed's decimals read from the feed", async function () {
      const { adapter, owner, feed, backup } = await networkHelpers.loadFixture(adapterFixture);
      await adapter
        .connect(owner)
        .setAssetConfig(
          WETH,
          assetConfig(feed, { secondary: backup, maxJump: wad("0.2"), jumpWindow: MIN_JUMP_WINDOW }),
        );
      expect(await storedConfig(adapter, WETH)).to.deep.equal({
        primary: [await feed.getAddress(), HEARTBEAT, 8n],
        secondary: [await backup.getAddress(), SECONDARY_HEARTBEAT, 18n],
        minPrice: MIN_PRICE,
        maxPrice: MAX_PRICE,
        maxDeviation: MAX_DEVIATION,
        maxJump: wad("0.2"),
        jumpWindow: MIN_JUMP_WINDOW,
      });
    });

    it("without a secondary the stored secondary is empty, whatever secondaryHeartbeat says", async function () {
      const { adapter, owner } = await networkHelpers.loadFixture(adapterFixture);
      const feed0 = await ethers.deployContract("TestAggregator", [0, "X / USD"]);
      await adapter.connect(owner).setAssetConfig(WETH, assetConfig(feed0, { secondaryHeartbeat: HOUR }));
      expect((await storedConfig(adapter, WETH)).secondary).to.deep.equal([ZeroAddress, 0n, 0n]);
      expect((await storedConfig(adapter, WETH)).primary).to.deep.equal([await feed0.getAddress(), HEARTBEAT, 0n]);
    });

    it("removeAsset emits AssetRemoved and clears the stored configuration", async function () {
      const { adapter, owner } = await networkHelpers.loadFixture(adapterFixture);
      await expect(adapter.connect(owner).removeAsset(WETH)).to.emit(adapter, "AssetRemoved").withArgs(WETH);
      expect(await storedConfig(adapter, WETH)).to.deep.equal({
        primary: [ZeroAddress, 0n, 0n],
        secondary: [ZeroAddress, 0n, 0n],
        minPrice: 0n,
        maxPrice: 0n,
        maxDeviation: 0n,
        maxJump: 0n,
        jumpWindow: 0n,
      });
    });
  });
});
