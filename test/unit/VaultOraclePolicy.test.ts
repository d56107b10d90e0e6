/**
 * The vault's price policy, through the real OracleAdapter over Chainlink-like feeds.
 *
 * Done when: the vault refuses every borrow that a doubted price would have allowed, and keeps repay and
 * add-collateral open under every status. Each non-OK status is produced the way it happens on chain (a stale,
 * reverting, malformed, out-of-bounds or jumping feed, two sources that disagree, the L2 sequencer down or just
 * restarted) and the adapter's read is checked before the vault is, so every test says which cause it covers.
 *
 * The market runs a zero interest rate: feeds are made stale by letting time pass, and with interest the debts (and
 * so the arguments of BorrowLimitExceeded) would move with it. Prices, not interest, are under test here.
 */
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { expect } from "chai";
import { MaxUint256, ZeroAddress, parseUnits } from "ethers";
import { network } from "hardhat";
import type { NetworkConnection } from "hardhat/types/network";

import { DEFAULT_COLLATERALS } from "../../scripts/lib/testMarket.js";
import type { CollateralParams } from "../../scripts/lib/testMarket.js";
import type {
  CollateralVault,
  MockERC20,
  MockPriceOracle,
  OracleAdapter,
  TestAggregator,
  VaultLens,
} from "../../typechain-types/index.js";
import { Mode, Reason, Status } from "./helpers/oracleAdapter.js";
import { WAD, deployZeroRateModel, expectUnchanged, readState, usd, wad } from "./helpers/vault.js";
import type { VaultState } from "./helpers/vault.js";
import { btc } from "../../scripts/lib/units.js";
import { deployCollateralVault, deployVaultLens } from "../../scripts/lib/vaultLibraries.js";

const { ethers, networkHelpers } = await network.create();

// ----------------------------------------------------------------------------------------------- constants

const statusName = (status: bigint): string => Object.keys(Status)[Number(status)];
const reasonName = (reason: bigint): string => Object.keys(Reason)[Number(reason)];

const FEED_DECIMALS = 8;
const HEARTBEAT = 3600;
const STALENESS_GRACE = 600;
const SEQUENCER_GRACE = 3600;

/** A feed answer (8 decimals) for a USD price: `answer("3000")`. */
const answer = (usdPrice: string): bigint => parseUnits(usdPrice, FEED_DECIMALS);

function params(symbol: string): CollateralParams {
  const p = DEFAULT_COLLATERALS.find((c) => c.symbol === symbol);
  if (p === undefined) throw new Error(`no default collateral ${symbol}`);
  return p;
}

// Borrow limits at the starting OK prices (WETH $3000 × LTV 80%, WBTC $60000 × LTV 73%).
const LIMIT_10_WETH = wad("24000");
const LIMIT_1_WBTC = wad("43800");

// ----------------------------------------------------------------------------------------------- fixtures

interface Feeds {
  wethPrimary: TestAggregator;
  wethSecondary: TestAggregator;
  wbtc: TestAggregator;
  usdcPrimary: TestAggregator;
  usdcSecondary: TestAggregator;
  sequencer: TestAggregator;
}

interface PolicyFixture {
  vault: CollateralVault;
  lens: VaultLens;
  adapter: OracleAdapter;
  usdc: MockERC20;
  weth: MockERC20;
  wbtc: MockERC20;
  feeds: Feeds;
  owner: HardhatEthersSigner;
  lender: HardhatEthersSigner;
  borrower: HardhatEthersSigner;
  alice: HardhatEthersSigner;
  bob: HardhatEthersSigner;
}

/**
 * A real market: USDC (6) base, WETH (18) and WBTC (8) collateral, priced by OracleAdapter over 8-decimal feeds
 * (1-hour heartbeats, 10-minute staleness grace) and an L2 sequencer uptime feed (1-hour grace, up for 2 hours).
 * WETH and USDC have a secondary feed (2% deviation threshold); WBTC has none and relies on the 20% bound on
 * unconfirmed moves. The lender has deposited 1,000,000 USDC.
 */
async function policyMarketFixture(connection: NetworkConnection): Promise<PolicyFixture> {
  const { ethers: e, networkHelpers: nh } = connection;
  const [owner, lender, borrower, alice, bob] = await e.getSigners();

  const usdc = await e.deployContract("MockERC20", ["USD Coin", "USDC", 6]);
  const weth = await e.deployContract("MockERC20", ["Wrapped Ether", "WETH", 18]);
  const wbtc = await e.deployContract("MockERC20", ["Wrapped BTC", "WBTC", 8]);

  const feed = (description: string): Promise<TestAggregator> =>
    e.deployContract("TestAggregator", [FEED_DECIMALS, description]);
  const feeds: Feeds = {
    wethPrimary: await feed("ETH / USD"),
    wethSecondary: await feed("ETH / USD (secondary)"),
    wbtc: await feed("BTC / USD"),
    usdcPrimary: await feed("USDC / USD"),
    usdcSecondary: await feed("USDC / USD (secondary)"),
    sequencer: await e.deployContract("TestAggregator", [0, "L2 Sequencer Uptime Status"]),
  };
  const now = await nh.time.latest();
  await feeds.sequencer.pushAt(0, now - 2 * SEQUENCER_GRACE, now); // up, and for longer than the grace period
  await feeds.wethPrimary.push(answer("3000"));
  await feeds.wethSecondary.push(answer("3000"));
  await feeds.wbtc.push(answer("60000"));
  await feeds.usdcPrimary.push(answer("1"));
  await feeds.usdcSecondary.push(answer("1"));

  const adapter = await e.deployContract("OracleAdapter", [
    owner.address,
    await feeds.sequencer.getAddress(),
    SEQUENCER_GRACE,
    STALENESS_GRACE,
  ]);
  const configure = async (
    token: MockERC20,
    primary: TestAggregator,
    secondary: TestAggregator | null,
    minUsd: string,
    maxUsd: string,
  ): Promise<void> => {
    await adapter.setAssetConfig(await token.getAddress(), {
      primary: await primary.getAddress(),
      primaryHeartbeat: HEARTBEAT,
      secondary: secondary === null ? ZeroAddress : await secondary.getAddress(),
      secondaryHeartbeat: secondary === null ? 0 : HEARTBEAT,
      minPrice: wad(minUsd),
      maxPrice: wad(maxUsd),
      maxDeviation: wad("0.02"),
      maxJump: wad("0.20"),
      jumpWindow: 2 * HEARTBEAT,
    });
  };
  await configure(weth, feeds.wethPrimary, feeds.wethSecondary, "30", "300000");
  await configure(wbtc, feeds.wbtc, null, "600", "6000000");
  await configure(usdc, feeds.usdcPrimary, feeds.usdcSecondary, "0.5", "2");

  const vault = await deployCollateralVault(e, [
    await usdc.getAddress(),
    "Bulwark USDC",
    "bwUSDC",
    await adapter.getAddress(),
    await (await deployZeroRateModel(e)).getAddress(),
    wad("0.10"),
    usd("100000000"),
    owner.address,
  ]);
  for (const [token, symbol] of [
    [weth, "WETH"],
    [wbtc, "WBTC"],
  ] as const) {
    const p = params(symbol);
    await vault.listCollateral(await token.getAddress(), {
      borrowLtv: p.borrowLtv,
      liquidationThreshold: p.liquidationThreshold,
      liquidationBonus: p.liquidationBonus,
      supplyCap: parseUnits(p.supplyCap, p.decimals),
    });
  }

  for (const actor of [lender, borrower, alice, bob]) {
    await usdc.mint(actor.address, usd("10000000"));
    await weth.mint(actor.address, wad("1000"));
    await wbtc.mint(actor.address, btc("100"));
    for (const token of [usdc, weth, wbtc]) await token.connect(actor).approve(vault, MaxUint256);
  }
  await vault.connect(lender).deposit(usd("1000000"), lender.address);
  const lens = await deployVaultLens(e);
  return { vault, lens, adapter, usdc, weth, wbtc, feeds, owner, lender, borrower, alice, bob };
}

/**
 * The policy market with two positions: `borrower` posted 10 WETH + 1 WBTC (limit $67,800 at OK prices) and borrowed
 * 30,000 USDC; `alice` posted the same collateral and owes nothing. `bob` has nothing in the vault.
 */
async function positionsFixture(connection: NetworkConnection): Promise<PolicyFixture> {
  const f = await policyMarketFixture(connection);
  for (const account of [f.borrower, f.alice]) {
    await f.vault.connect(account).depositCollateral(f.weth, wad("10"), account.address);
    await f.vault.connect(account).depositCollateral(f.wbtc, btc("1"), account.address);
  }
  await f.vault.connect(f.borrower).borrow(usd("30000"), f.borrower.address);
  return f;
}

/** Everything a vault call could change, for every actor. */
const stateOf =
  (f: PolicyFixture): (() => Promise<VaultState>) =>
  () =>
    readState(f.vault, f.lens, f.usdc, [f.weth, f.wbtc], [f.owner, f.lender, f.borrower, f.alice, f.bob]);

// ----------------------------------------------------------------------------------------------- causes

function priceFeeds(f: PolicyFixture): TestAggregator[] {
  return [f.feeds.wethPrimary, f.feeds.wethSecondary, f.feeds.wbtc, f.feeds.usdcPrimary, f.feeds.usdcSecondary];
}

/** Publishes a fresh round at its current answer on each feed, as Chainlink's heartbeat does. */
async function refresh(feeds: readonly TestAggregator[]): Promise<void> {
  for (const feed of feeds) {
    const [, current] = await feed.latestRoundData();
    await feed.push(current);
  }
}

/** Lets the heartbeat and grace pass with every price feed but `stalled` publishing a fresh round. */
async function stall(f: PolicyFixture, stalled: readonly TestAggregator[]): Promise<void> {
  await networkHelpers.time.increase(HEARTBEAT + STALENESS_GRACE + 1);
  await refresh(priceFeeds(f).filter((feed) => !stalled.includes(feed)));
}

/** A broken feed comes back: normal mode and a fresh round at `usdPrice`. */
async function repair(feed: TestAggregator, usdPrice: string): Promise<void> {
  await feed.setMode(Mode.Normal);
  await feed.push(answer(usdPrice));
}

type Subject = "NONE" | "WETH" | "WBTC" | "USDC" | "SEQUENCER";

/** One way for prices to go wrong, produced through the feeds, and how they come back. */
interface Cause {
  /** What doubts which price; the read it must produce is appended by `title`. */
  what: string;
  /** The asset whose read it degrades: SEQUENCER degrades all of them (the base included), NONE none. */
  subject: Subject;
  status: bigint;
  reason: bigint;
  /** Makes it happen. */
  apply(f: PolicyFixture): Promise<void>;
  /** The feed comes back with a fresh round. */
  recover(f: PolicyFixture): Promise<void>;
}

const title = (c: Cause): string =>
  c.subject === "NONE" ? c.what : `${c.what} [${c.subject} ${statusName(c.status)}/${reasonName(c.reason)}]`;

const noop = async (): Promise<void> => {};

const ALL_OK: Cause = {
  what: "every price OK",
  subject: "NONE",
  status: Status.OK,
  reason: Reason.NONE,
  apply: noop,
  recover: noop,
};

/** Causes that doubt one collateral's price and nothing else. */
const COLLATERAL_CAUSES: readonly Cause[] = [
  {
    what: "WETH primary stale, secondary fresh",
    subject: "WETH",
    status: Status.DEGRADED,
    reason: Reason.STALE,
    apply: (f) => stall(f, [f.feeds.wethPrimary]),
    recover: (f) => refresh([f.feeds.wethPrimary]),
  },
  {
    what: "WETH sources disagree ($3000 vs $2500)",
    subject: "WETH",
    status: Status.DEGRADED,
    reason: Reason.SOURCES_DISAGREE,
    apply: async (f) => void (await f.feeds.wethSecondary.push(answer("2500"))),
    recover: async (f) => void (await f.feeds.wethSecondary.push(answer("3000"))),
  },
  {
    what: "WETH secondary reverting",
    subject: "WETH",
    status: Status.DEGRADED,
    reason: Reason.SECONDARY_FAILED,
    apply: async (f) => void (await f.feeds.wethSecondary.setMode(Mode.Revert)),
    recover: (f) => repair(f.feeds.wethSecondary, "3000"),
  },
  {
    what: "WETH primary below its $30 floor, secondary fresh",
    subject: "WETH",
    status: Status.DEGRADED,
    reason: Reason.OUT_OF_BOUNDS,
    apply: async (f) => void (await f.feeds.wethPrimary.push(answer("20"))),
    recover: async (f) => void (await f.feeds.wethPrimary.push(answer("3000"))),
  },
  {
    what: "WBTC -25% in one round, unconfirmed (no secondary)",
    subject: "WBTC",
    status: Status.DEGRADED,
    reason: Reason.UNCONFIRMED_JUMP,
    apply: async (f) => void (await f.feeds.wbtc.push(answer("45000"))),
    // The next round stays within the bound of the jump: confirmed, OK at $45000.
    recover: async (f) => void (await f.feeds.wbtc.push(answer("45000"))),
  },
  {
    what: "WBTC feed stale (no secondary)",
    subject: "WBTC",
    status: Status.FAILED,
    reason: Reason.STALE,
    apply: (f) => stall(f, [f.feeds.wbtc]),
    recover: (f) => refresh([f.feeds.wbtc]),
  },
  {
    what: "WBTC feed reverting (no secondary)",
    subject: "WBTC",
    status: Status.FAILED,
    reason: Reason.FEED_REVERTED,
    apply: async (f) => void (await f.feeds.wbtc.setMode(Mode.Revert)),
    recover: (f) => repair(f.feeds.wbtc, "60000"),
  },
  {
    what: "WBTC feed returning malformed data (no secondary)",
    subject: "WBTC",
    status: Status.FAILED,
    reason: Reason.FEED_REVERTED,
    apply: async (f) => void (await f.feeds.wbtc.setMode(Mode.Malformed)),
    recover: (f) => repair(f.feeds.wbtc, "60000"),
  },
  {
    what: "WBTC feed answering 0 (no secondary)",
    subject: "WBTC",
    status: Status.FAILED,
    reason: Reason.INVALID_ANSWER,
    apply: async (f) => void (await f.feeds.wbtc.push(0n)),
    recover: async (f) => void (await f.feeds.wbtc.push(answer("60000"))),
  },
  {
    what: "WBTC feed pinned below its $600 floor (no secondary)",
    subject: "WBTC",
    status: Status.FAILED,
    reason: Reason.OUT_OF_BOUNDS,
    apply: async (f) => void (await f.feeds.wbtc.push(answer("500"))),
    recover: async (f) => void (await f.feeds.wbtc.push(answer("60000"))),
  },
  {
    what: "WETH both sources reverting",
    subject: "WETH",
    status: Status.FAILED,
    reason: Reason.FEED_REVERTED,
    apply: async (f) => {
      await f.feeds.wethPrimary.setMode(Mode.Revert);
      await f.feeds.wethSecondary.setMode(Mode.Revert);
    },
    recover: async (f) => {
      await repair(f.feeds.wethPrimary, "3000");
      await repair(f.feeds.wethSecondary, "3000");
    },
  },
  {
    what: "WETH both sources stale",
    subject: "WETH",
    status: Status.FAILED,
    reason: Reason.STALE,
    apply: (f) => stall(f, [f.feeds.wethPrimary, f.feeds.wethSecondary]),
    recover: (f) => refresh([f.feeds.wethPrimary, f.feeds.wethSecondary]),
  },
];

/** The sequencer comes back up and stays up past its grace period; the feeds keep publishing meanwhile. */
async function sequencerBackUp(f: PolicyFixture): Promise<void> {
  await f.feeds.sequencer.setMode(Mode.Normal);
  await f.feeds.sequencer.push(0);
  await networkHelpers.time.increase(SEQUENCER_GRACE + 1);
  await refresh(priceFeeds(f));
}

/** Causes on the L2 sequencer: every price, the base's included, is DEGRADED. */
const SEQUENCER_CAUSES: readonly Cause[] = [
  {
    what: "L2 sequencer down",
    subject: "SEQUENCER",
    status: Status.DEGRADED,
    reason: Reason.SEQUENCER_DOWN,
    apply: async (f) => void (await f.feeds.sequencer.push(1)),
    recover: sequencerBackUp,
  },
  {
    what: "L2 sequencer just restarted (in its grace period)",
    subject: "SEQUENCER",
    status: Status.DEGRADED,
    reason: Reason.SEQUENCER_GRACE,
    apply: async (f) => void (await f.feeds.sequencer.push(0)),
    recover: sequencerBackUp,
  },
  {
    what: "L2 sequencer uptime feed reverting",
    subject: "SEQUENCER",
    status: Status.DEGRADED,
    reason: Reason.SEQUENCER_FEED_BROKEN,
    apply: async (f) => void (await f.feeds.sequencer.setMode(Mode.Revert)),
    // Its last round (up for 2 hours) is still the truth once it answers again.
    recover: async (f) => void (await f.feeds.sequencer.setMode(Mode.Normal)),
  },
];

/** Causes that doubt the base asset's price (USDC) and nothing else. */
const BASE_CAUSES: readonly Cause[] = [
  {
    what: "USDC sources disagree ($1.00 vs $1.05)",
    subject: "USDC",
    status: Status.DEGRADED,
    reason: Reason.SOURCES_DISAGREE,
    apply: async (f) => void (await f.feeds.usdcSecondary.push(answer("1.05"))),
    recover: async (f) => void (await f.feeds.usdcSecondary.push(answer("1"))),
  },
  {
    what: "USDC primary stale, secondary fresh",
    subject: "USDC",
    status: Status.DEGRADED,
    reason: Reason.STALE,
    apply: (f) => stall(f, [f.feeds.usdcPrimary]),
    recover: (f) => refresh([f.feeds.usdcPrimary]),
  },
  {
    what: "USDC secondary reverting",
    subject: "USDC",
    status: Status.DEGRADED,
    reason: Reason.SECONDARY_FAILED,
    apply: async (f) => void (await f.feeds.usdcSecondary.setMode(Mode.Revert)),
    recover: (f) => repair(f.feeds.usdcSecondary, "1"),
  },
  {
    what: "USDC primary below its $0.50 floor, secondary fresh",
    subject: "USDC",
    status: Status.DEGRADED,
    reason: Reason.OUT_OF_BOUNDS,
    apply: async (f) => void (await f.feeds.usdcPrimary.push(answer("0.4"))),
    recover: async (f) => void (await f.feeds.usdcPrimary.push(answer("1"))),
  },
  {
    what: "USDC both sources reverting",
    subject: "USDC",
    status: Status.FAILED,
    reason: Reason.FEED_REVERTED,
    apply: async (f) => {
      await f.feeds.usdcPrimary.setMode(Mode.Revert);
      await f.feeds.usdcSecondary.setMode(Mode.Revert);
    },
    recover: async (f) => {
      await repair(f.feeds.usdcPrimary, "1");
      await repair(f.feeds.usdcSecondary, "1");
    },
  },
  {
    what: "USDC both sources stale",
    subject: "USDC",
    status: Status.FAILED,
    reason: Reason.STALE,
    apply: (f) => stall(f, [f.feeds.usdcPrimary, f.feeds.usdcSecondary]),
    recover: (f) => refresh([f.feeds.usdcPrimary, f.feeds.usdcSecondary]),
  },
  {
    what: "USDC both sources below the $0.50 floor",
    subject: "USDC",
    status: Status.FAILED,
    reason: Reason.OUT_OF_BOUNDS,
    apply: async (f) => {
      await f.feeds.usdcPrimary.push(answer("0.4"));
      await f.feeds.usdcSecondary.push(answer("0.4"));
    },
    recover: async (f) => {
      await f.feeds.usdcPrimary.push(answer("1"));
      await f.feeds.usdcSecondary.push(answer("1"));
    },
  },
];

/** Every non-OK cause, then every status with the all-OK baseline first. */
const DOUBT_CAUSES: readonly Cause[] = [...COLLATERAL_CAUSES, ...SEQUENCER_CAUSES, ...BASE_CAUSES];
const EVERY_STATUS: readonly Cause[] = [ALL_OK, ...DOUBT_CAUSES];

function tokenOf(f: PolicyFixture, symbol: "WETH" | "WBTC" | "USDC"): MockERC20 {
  return symbol === "WETH" ? f.weth : symbol === "WBTC" ? f.wbtc : f.usdc;
}

/** The collateral a collateral cause doubts, and the other one (which stays OK). */
function collateralPair(f: PolicyFixture, c: Cause): { doubted: MockERC20; other: MockERC20 } {
  if (c.subject === "WETH") return { doubted: f.weth, other: f.wbtc };
  if (c.subject === "WBTC") return { doubted: f.wbtc, other: f.weth };
  throw new Error(`${c.what} does not doubt a single collateral`);
}

/** Expects exactly this read of `token` from the adapter. */
async function expectRead(f: PolicyFixture, token: MockERC20, status: bigint, reason: bigint): Promise<void> {
  const p = await f.adapter.getPrice(token);
  const symbol = await token.symbol();
  expect([p.status, p.reason], `${symbol} read`).to.deep.equal([status, reason]);
  if (status === Status.FAILED) expect([p.low, p.high], `${symbol} FAILED bounds`).to.deep.equal([0n, 0n]);
}

/** Applies `c` and checks the adapter now reads it: the subject with its status and reason, the rest OK. */
async function applyCause(f: PolicyFixture, c: Cause): Promise<void> {
  await c.apply(f);
  for (const symbol of ["WETH", "WBTC", "USDC"] as const) {
    const doubted = c.subject === symbol || c.subject === "SEQUENCER";
    await expectRead(f, tokenOf(f, symbol), doubted ? c.status : Status.OK, doubted ? c.reason : Reason.NONE);
  }
}

/** Recovers from `c` and checks every read is OK again. */
async function recoverCause(f: PolicyFixture, c: Cause): Promise<void> {
  await c.recover(f);
  for (const symbol of ["WETH", "WBTC", "USDC"] as const)
    await expectRead(f, tokenOf(f, symbol), Status.OK, Reason.NONE);
}

/** An oracle that reverts every read (a MockPriceOracle with no price set): proves a call reads no price. */
async function installRevertingOracle(f: PolicyFixture): Promise<MockPriceOracle> {
  const empty = await ethers.deployContract("MockPriceOracle");
  await f.vault.connect(f.owner).setPriceOracle(empty);
  await expect(f.vault.accountLiquidity(f.alice.address)).to.be.revertedWithCustomError(empty, "NoPrice");
  return empty;
}

// ----------------------------------------------------------------------------------------------- tests

describe("CollateralVault: oracle policy (through the real OracleAdapter)", function () {
  it("the fixture prices every asset OK and the positions are healthy", async function () {
    const f = await networkHelpers.loadFixture(positionsFixture);
    await applyCause(f, ALL_OK);
    const liq = await f.vault.accountLiquidity(f.borrower.address);
    expect(liq.collateralValue).to.equal(wad("90000"));
    expect(liq.borrowLimit).to.equal(LIMIT_10_WETH + LIMIT_1_WBTC);
    expect(liq.debtValue).to.equal(wad("30000"));
    expect(liq.priceStatus).to.equal(Status.OK);
  });

  describe("1. a doubted collateral lends nothing", function () {
    for (const c of COLLATERAL_CAUSES) {
      it(`${title(c)}: a borrow it alone allowed at OK reverts BorrowLimitExceeded(account, debt, 0), changing nothing`, async function () {
        const f = await networkHelpers.loadFixture(positionsFixture);
        const { vault, bob } = f;
        const { doubted } = collateralPair(f, c);
        await vault.connect(bob).depositCollateral(doubted, doubted === f.weth ? wad("10") : btc("1"), bob.address);
        await vault.connect(bob).borrow.staticCall(usd("10000"), bob.address); // allowed at the OK price

        await applyCause(f, c);
        const liq = await vault.accountLiquidity(bob.address);
        expect(liq.borrowLimit).to.equal(0n);
        expect(liq.priceStatus).to.equal(c.status);
        await expectUnchanged(stateOf(f), async () => {
          for (const amount of [usd("10000"), 1n]) {
            await expect(vault.connect(bob).borrow(amount, bob.address))
              .to.be.revertedWithCustomError(vault, "BorrowLimitExceeded")
              .withArgs(bob.address, amount * 10n ** 12n, 0n);
          }
        });
      });

      it(`${title(c)}: the other, OK collateral still lends, up to its own limit only`, async function () {
        const f = await networkHelpers.loadFixture(positionsFixture);
        const { vault, bob } = f;
        const { other } = collateralPair(f, c);
        await vault.connect(bob).depositCollateral(f.weth, wad("10"), bob.address);
        await vault.connect(bob).depositCollateral(f.wbtc, btc("1"), bob.address);
        // 50,000 needs both collaterals (limit 67,800 at OK prices; WETH alone 24,000, WBTC alone 43,800).
        await vault.connect(bob).borrow.staticCall(usd("50000"), bob.address);

        await applyCause(f, c);
        const otherLimit = other === f.weth ? LIMIT_10_WETH : LIMIT_1_WBTC;
        await expectUnchanged(stateOf(f), async () => {
          await expect(vault.connect(bob).borrow(usd("50000"), bob.address))
            .to.be.revertedWithCustomError(vault, "BorrowLimitExceeded")
            .withArgs(bob.address, wad("50000"), otherLimit);
        });
        await expect(vault.connect(bob).borrow(usd("20000"), bob.address)).to.changeTokenBalance(
          ethers,
          f.usdc,
          bob,
          usd("20000"),
        );
        expect(await vault.debtOf(bob.address)).to.equal(usd("20000"));
      });
    }

    for (const c of SEQUENCER_CAUSES) {
      it(`${title(c)}: the collateral lends nothing, and as the base is doubted too the borrow reverts PriceNotOk(USDC, …)`, async function () {
        const f = await networkHelpers.loadFixture(positionsFixture);
        const { vault, bob, usdc } = f;
        await vault.connect(bob).depositCollateral(f.weth, wad("10"), bob.address);
        await vault.connect(bob).depositCollateral(f.wbtc, btc("1"), bob.address);
        await vault.connect(bob).borrow.staticCall(usd("10000"), bob.address);

        await applyCause(f, c);
        const liq = await vault.accountLiquidity(bob.address);
        expect(liq.collateralValue).to.equal(wad("90000")); // valued at low == high, the feeds themselves are fine
        expect(liq.borrowLimit).to.equal(0n);
        expect(liq.priceStatus).to.equal(Status.DEGRADED);
        await expectUnchanged(stateOf(f), async () => {
          await expect(vault.connect(bob).borrow(usd("10000"), bob.address))
            .to.be.revertedWithCustomError(vault, "PriceNotOk")
            .withArgs(await usdc.getAddress(), c.status, c.reason);
        });
      });
    }
  });

  describe("2. a doubted base price stops every borrow", function () {
    for (const c of [...BASE_CAUSES, ...SEQUENCER_CAUSES]) {
      it(`${title(c)}: every borrow reverts PriceNotOk(USDC, ${statusName(c.status)}, ${reasonName(c.reason)}), changing nothing`, async function () {
        const f = await networkHelpers.loadFixture(positionsFixture);
        const { vault, bob, borrower, usdc } = f;
        await vault.connect(bob).depositCollateral(f.weth, wad("100"), bob.address); // limit 240,000
        await vault.connect(bob).borrow.staticCall(usd("10000"), bob.address);
        await vault.connect(borrower).borrow.staticCall(1n, borrower.address);

        await applyCause(f, c);
        await expectUnchanged(stateOf(f), async () => {
          for (const [account, amount] of [
            [bob, 1n],
            [bob, usd("10000")],
            [borrower, 1n],
          ] as const) {
            await expect(vault.connect(account).borrow(amount, account.address))
              .to.be.revertedWithCustomError(vault, "PriceNotOk")
              .withArgs(await usdc.getAddress(), c.status, c.reason);
          }
        });
      });
    }
  });

  describe("3. withdrawCollateral", function () {
    /** Small withdrawals that pass at OK prices for `borrower` (debt 30,000; limit 67,800). */
    const smallAmount = (f: PolicyFixture, token: MockERC20): bigint => (token === f.weth ? wad("1") : btc("0.1"));

    for (const c of [...COLLATERAL_CAUSES, ...SEQUENCER_CAUSES]) {
      it(`${title(c)}: an indebted account cannot withdraw the doubted collateral: PriceNotOk(asset, status, reason)`, async function () {
        const f = await networkHelpers.loadFixture(positionsFixture);
        const { vault, borrower } = f;
        const doubted = c.subject === "SEQUENCER" ? [f.weth, f.wbtc] : [collateralPair(f, c).doubted];
        for (const token of doubted) {
          await vault.connect(borrower).withdrawCollateral.staticCall(token, smallAmount(f, token), borrower.address);
        }

        await applyCause(f, c);
        await expectUnchanged(stateOf(f), async () => {
          for (const token of doubted) {
            await expect(vault.connect(borrower).withdrawCollateral(token, smallAmount(f, token), borrower.address))
              .to.be.revertedWithCustomError(vault, "PriceNotOk")
              .withArgs(await token.getAddress(), c.status, c.reason);
          }
        });
      });
    }

    for (const c of BASE_CAUSES) {
      it(`${title(c)}: an indebted account cannot withdraw OK collateral: PriceNotOk(USDC, status, reason)`, async function () {
        const f = await networkHelpers.loadFixture(positionsFixture);
        const { vault, borrower, usdc } = f;
        for (const token of [f.weth, f.wbtc]) {
          await vault.connect(borrower).withdrawCollateral.staticCall(token, smallAmount(f, token), borrower.address);
        }

        await applyCause(f, c);
        await expectUnchanged(stateOf(f), async () => {
          for (const token of [f.weth, f.wbtc]) {
            await expect(vault.connect(borrower).withdrawCollateral(token, smallAmount(f, token), borrower.address))
              .to.be.revertedWithCustomError(vault, "PriceNotOk")
              .withArgs(await usdc.getAddress(), c.status, c.reason);
          }
        });
      });
    }

    for (const c of COLLATERAL_CAUSES) {
      it(`${title(c)}: withdrawing the other, OK collateral counts only OK collateral: BorrowLimitExceeded`, async function () {
        const f = await networkHelpers.loadFixture(positionsFixture);
        const { vault, borrower } = f;
        const { other } = collateralPair(f, c);
        // Withdraw 5 WETH (leaves 5 WETH: 12,000) or 0.5 WBTC (leaves 0.5 WBTC: 21,900); either passes at OK prices
        // with the doubted collateral's limit added, and neither covers the 30,000 debt alone.
        const amount = other === f.weth ? wad("5") : btc("0.5");
        const limitAfter = other === f.weth ? wad("12000") : wad("21900");
        await vault.connect(borrower).withdrawCollateral.staticCall(other, amount, borrower.address);

        await applyCause(f, c);
        await expectUnchanged(stateOf(f), async () => {
          await expect(vault.connect(borrower).withdrawCollateral(other, amount, borrower.address))
            .to.be.revertedWithCustomError(vault, "BorrowLimitExceeded")
            .withArgs(borrower.address, wad("30000"), limitAfter);
        });
      });
    }

    for (const c of EVERY_STATUS) {
      it(`${title(c)}: an account without debt withdraws all its collateral`, async function () {
        const f = await networkHelpers.loadFixture(positionsFixture);
        const { vault, alice } = f;
        await applyCause(f, c);
        await expect(vault.connect(alice).withdrawCollateral(f.weth, MaxUint256, alice.address))
          .to.emit(vault, "CollateralWithdrawn")
          .withArgs(alice.address, alice.address, await f.weth.getAddress(), wad("10"));
        await expect(vault.connect(alice).withdrawCollateral(f.wbtc, MaxUint256, alice.address)).to.changeTokenBalance(
          ethers,
          f.wbtc,
          alice,
          btc("1"),
        );
        expect(await vault.collateralOf(alice.address, f.weth)).to.equal(0n);
        expect(await vault.collateralOf(alice.address, f.wbtc)).to.equal(0n);
      });
    }

    it("an account without debt withdraws while every feed reverts, and behind an oracle that reverts every read", async function () {
      const f = await networkHelpers.loadFixture(positionsFixture);
      const { vault, alice } = f;
      for (const feed of priceFeeds(f)) await feed.setMode(Mode.Revert);
      await f.feeds.sequencer.setMode(Mode.Revert);
      await vault.connect(alice).withdrawCollateral(f.weth, wad("4"), alice.address);
      await installRevertingOracle(f); // no price read at all: INV-35
      await vault.connect(alice).withdrawCollateral(f.weth, MaxUint256, alice.address);
      await vault.connect(alice).withdrawCollateral(f.wbtc, MaxUint256, alice.address);
      expect(await f.weth.balanceOf(alice.address)).to.equal(wad("1000"));
      expect(await f.wbtc.balanceOf(alice.address)).to.equal(btc("100"));
    });
  });

  describe("4. repay and add-collateral stay open under every status", function () {
    for (const c of EVERY_STATUS) {
      it(`${title(c)}: depositCollateral, repay (partial, on behalf, all) succeed, and the debt-free account leaves`, async function () {
        const f = await networkHelpers.loadFixture(positionsFixture);
        const { vault, borrower, alice, usdc, weth, wbtc } = f;
        await applyCause(f, c);

        // Add collateral, of the doubted asset too, by the account and on its behalf.
        await expect(vault.connect(borrower).depositCollateral(weth, wad("1"), borrower.address))
          .to.emit(vault, "CollateralDeposited")
          .withArgs(borrower.address, borrower.address, await weth.getAddress(), wad("1"));
        await expect(vault.connect(alice).depositCollateral(wbtc, btc("0.1"), borrower.address))
          .to.emit(vault, "CollateralDeposited")
          .withArgs(alice.address, borrower.address, await wbtc.getAddress(), btc("0.1"));
        expect(await vault.collateralOf(borrower.address, weth)).to.equal(wad("11"));
        expect(await vault.collateralOf(borrower.address, wbtc)).to.equal(btc("1.1"));

        // Repay part, part on behalf, then everything with type(uint256).max.
        await expect(vault.connect(borrower).repay(usd("1000"), borrower.address)).to.changeTokenBalance(
          ethers,
          usdc,
          borrower,
          -usd("1000"),
        );
        await expect(vault.connect(alice).repay(usd("500"), borrower.address))
          .to.emit(vault, "Repaid")
          .withArgs(alice.address, borrower.address, usd("500"), usd("500")); // index is RAY: scaled == amount
        expect(await vault.debtOf(borrower.address)).to.equal(usd("28500"));
        await expect(vault.connect(borrower).repay(MaxUint256, borrower.address)).to.changeTokenBalances(
          ethers,
          usdc,
          [borrower, vault],
          [-usd("28500"), usd("28500")],
        );
        expect(await vault.debtOf(borrower.address)).to.equal(0n);
        expect(await vault.totalDebt()).to.equal(0n);
        expect(await vault.cash()).to.equal(usd("1000000"));

        // Debt-free now: the way out needs no price either.
        await vault.connect(borrower).withdrawCollateral(weth, MaxUint256, borrower.address);
        await vault.connect(borrower).withdrawCollateral(wbtc, MaxUint256, borrower.address);
        expect(await weth.balanceOf(borrower.address)).to.equal(wad("1000"));
      });
    }

    it("repay and depositCollateral read no price: they succeed behind an oracle that reverts every read", async function () {
      const f = await networkHelpers.loadFixture(positionsFixture);
      const { vault, borrower } = f;
      await installRevertingOracle(f);
      await vault.connect(borrower).depositCollateral(f.weth, wad("1"), borrower.address);
      await vault.connect(borrower).repay(usd("1000"), borrower.address);
      await vault.connect(borrower).repay(MaxUint256, borrower.address);
      expect(await vault.debtOf(borrower.address)).to.equal(0n);
    });
  });

  describe("5. conservative valuation", function () {
    it("WETH DEGRADED (sources $3000 vs $2500): WETH valued at the low $2500, lends nothing, status DEGRADED", async function () {
      const f = await networkHelpers.loadFixture(positionsFixture);
      await applyCause(f, COLLATERAL_CAUSES[1]);
      const p = await f.adapter.getPrice(f.weth);
      expect([p.low, p.high]).to.deep.equal([wad("2500"), wad("3000")]);
      const liq = await f.vault.accountLiquidity(f.borrower.address);
      expect(liq.collateralValue).to.equal(wad("25000") + wad("60000"));
      expect(liq.borrowLimit).to.equal(LIMIT_1_WBTC); // WETH lends nothing
      expect(liq.liquidationLimit).to.equal(wad("21250") + wad("46800")); // 25,000 × 85% + 60,000 × 78%
      expect(liq.debtValue).to.equal(wad("30000"));
      expect(liq.debt).to.equal(usd("30000"));
      expect(liq.priceStatus).to.equal(Status.DEGRADED);
    });

    it("USDC DEGRADED (sources $1.00 vs $1.05): debt valued at the high $1.05, status DEGRADED", async function () {
      const f = await networkHelpers.loadFixture(positionsFixture);
      await applyCause(f, BASE_CAUSES[0]);
      const p = await f.adapter.getPrice(f.usdc);
      expect([p.low, p.high]).to.deep.equal([wad("1"), wad("1.05")]);
      const liq = await f.vault.accountLiquidity(f.borrower.address);
      expect(liq.debtValue).to.equal(wad("31500"));
      expect(liq.collateralValue).to.equal(wad("90000"));
      expect(liq.borrowLimit).to.equal(LIMIT_10_WETH + LIMIT_1_WBTC); // collateral prices are OK
      expect(liq.priceStatus).to.equal(Status.DEGRADED);
      // A debt-free account needs no base price: its status is its collateral's.
      expect((await f.vault.accountLiquidity(f.alice.address)).priceStatus).to.equal(Status.OK);
    });

    it("healthFactor is the liquidation side (collateral at high, debt at low); accountLiquidity the borrow side", async function () {
      const f = await networkHelpers.loadFixture(positionsFixture);
      const liquidationLimitOk = wad("25500") + wad("46800");
      expect(await f.lens.healthFactor(f.vault, f.borrower.address)).to.equal(
        (liquidationLimitOk * WAD) / wad("30000"),
      );
      await applyCause(f, COLLATERAL_CAUSES[1]); // WETH low 2500, high 3000
      await f.feeds.usdcSecondary.push(answer("1.05")); // USDC low 1.00, high 1.05
      // Liquidation side: WETH at $3000, the debt at $1.00: the doubts change nothing there.
      expect(await f.lens.healthFactor(f.vault, f.borrower.address)).to.equal(
        (liquidationLimitOk * WAD) / wad("30000"),
      );
      // Borrow side: WETH at $2500, the debt at $1.05.
      const liq = await f.vault.accountLiquidity(f.borrower.address);
      expect(liq.liquidationLimit).to.equal(wad("21250") + wad("46800"));
      expect(liq.debtValue).to.equal(wad("31500"));
      expect(await f.vault.isLiquidatable(f.borrower.address)).to.equal(false);
    });

    it("FAILED collateral (WBTC feed reverting) counts 0 and makes the status FAILED", async function () {
      const f = await networkHelpers.loadFixture(positionsFixture);
      await applyCause(f, COLLATERAL_CAUSES[6]);
      const liq = await f.vault.accountLiquidity(f.borrower.address);
      expect(liq.collateralValue).to.equal(wad("30000")); // 10 WETH; 1 WBTC counts 0
      expect(liq.borrowLimit).to.equal(LIMIT_10_WETH);
      expect(liq.liquidationLimit).to.equal(wad("25500"));
      expect(liq.debtValue).to.equal(wad("30000"));
      expect(liq.priceStatus).to.equal(Status.FAILED);
    });

    it("FAILED base (USDC feeds reverting): debtValue is type(uint256).max, status FAILED, healthFactor 0", async function () {
      const f = await networkHelpers.loadFixture(positionsFixture);
      await applyCause(f, BASE_CAUSES[4]);
      const liq = await f.vault.accountLiquidity(f.borrower.address);
      expect(liq.debtValue).to.equal(MaxUint256);
      expect(liq.debt).to.equal(usd("30000"));
      expect(liq.collateralValue).to.equal(wad("90000"));
      expect(liq.priceStatus).to.equal(Status.FAILED);
      expect(await f.lens.healthFactor(f.vault, f.borrower.address)).to.equal(0n);
      expect(await f.vault.isLiquidatable(f.borrower.address)).to.equal(false);
    });

    it("isLiquidatable: true underwater at OK or DEGRADED prices, false while a needed price is FAILED, true on recovery", async function () {
      const f = await networkHelpers.loadFixture(policyMarketFixture);
      const { vault, lens, bob, feeds } = f;
      await vault.connect(bob).depositCollateral(f.weth, wad("10"), bob.address);
      await vault.connect(bob).borrow(usd("24000"), bob.address); // at the limit
      expect(await vault.isLiquidatable(bob.address)).to.equal(false);

      // WETH falls to $2500 on both sources (OK): liquidation limit 21,250 < 24,000.
      await feeds.wethPrimary.push(answer("2500"));
      await feeds.wethSecondary.push(answer("2500"));
      await expectRead(f, f.weth, Status.OK, Reason.NONE);
      expect(await vault.isLiquidatable(bob.address)).to.equal(true);

      // DEGRADED does not stop liquidations (secondary $2400: valued at the low).
      await feeds.wethSecondary.push(answer("2400"));
      await expectRead(f, f.weth, Status.DEGRADED, Reason.SOURCES_DISAGREE);
      expect(await vault.isLiquidatable(bob.address)).to.equal(true);
      await feeds.wethSecondary.push(answer("2500"));

      // WETH FAILED: its value is 0, deep underwater, yet no liquidation at an unknown price.
      await feeds.wethPrimary.setMode(Mode.Revert);
      await feeds.wethSecondary.setMode(Mode.Revert);
      await expectRead(f, f.weth, Status.FAILED, Reason.FEED_REVERTED);
      expect((await vault.accountLiquidity(bob.address)).collateralValue).to.equal(0n);
      expect(await lens.healthFactor(vault, bob.address)).to.equal(0n);
      expect(await vault.isLiquidatable(bob.address)).to.equal(false);
      await repair(feeds.wethPrimary, "2500");
      await repair(feeds.wethSecondary, "2500");
      expect(await vault.isLiquidatable(bob.address)).to.equal(true);

      // USDC FAILED: debt valued at max, still no liquidation.
      await feeds.usdcPrimary.setMode(Mode.Revert);
      await feeds.usdcSecondary.setMode(Mode.Revert);
      await expectRead(f, f.usdc, Status.FAILED, Reason.FEED_REVERTED);
      expect(await vault.isLiquidatable(bob.address)).to.equal(false);
      await repair(feeds.usdcPrimary, "1");
      await repair(feeds.usdcSecondary, "1");
      expect(await vault.isLiquidatable(bob.address)).to.equal(true);

      // A FAILED price of an asset the account does not hold changes nothing for it.
      await feeds.wbtc.setMode(Mode.Revert);
      await expectRead(f, f.wbtc, Status.FAILED, Reason.FEED_REVERTED);
      expect(await vault.isLiquidatable(bob.address)).to.equal(true);
    });

    it("healthFactor with no debt is type(uint256).max and reads no price (feeds reverting, then an oracle that reverts)", async function () {
      const f = await networkHelpers.loadFixture(positionsFixture);
      const { vault, lens, alice } = f;
      for (const feed of priceFeeds(f)) await feed.setMode(Mode.Revert);
      await expectRead(f, f.weth, Status.FAILED, Reason.FEED_REVERTED);
      expect(await lens.healthFactor(vault, alice.address)).to.equal(MaxUint256);
      expect(await vault.isLiquidatable(alice.address)).to.equal(false);
      await installRevertingOracle(f); // accountLiquidity(alice) now reverts: any read would
      expect(await lens.healthFactor(vault, alice.address)).to.equal(MaxUint256);
      expect(await vault.isLiquidatable(alice.address)).to.equal(false);
    });
  });

  describe("6. ZeroPrice: a usable read must carry a price (MockPriceOracle)", function () {
    /** Positions fixture behind a MockPriceOracle at the same prices. */
    async function mockOracleFixture(
      connection: NetworkConnection,
    ): Promise<PolicyFixture & { mock: MockPriceOracle }> {
      const f = await positionsFixture(connection);
      const mock = await connection.ethers.deployContract("MockPriceOracle");
      await mock.setPrice(f.usdc, wad("1"));
      await mock.setPrice(f.weth, wad("3000"));
      await mock.setPrice(f.wbtc, wad("60000"));
      await f.vault.connect(f.owner).setPriceOracle(mock);
      return { ...f, mock };
    }

    const zeroPriceCases: ReadonlyArray<{
      what: string;
      symbol: "WETH" | "USDC";
      low: string;
      high: string;
      status: bigint;
      reason: bigint;
    }> = [
      { what: "OK with low 0", symbol: "WETH", low: "0", high: "0", status: Status.OK, reason: Reason.NONE },
      {
        what: "DEGRADED with high < low",
        symbol: "WETH",
        low: "3000",
        high: "2900",
        status: Status.DEGRADED,
        reason: Reason.SOURCES_DISAGREE,
      },
      {
        what: "DEGRADED with low 0",
        symbol: "WETH",
        low: "0",
        high: "3000",
        status: Status.DEGRADED,
        reason: Reason.SOURCES_DISAGREE,
      },
      { what: "OK with low 0", symbol: "USDC", low: "0", high: "0", status: Status.OK, reason: Reason.NONE },
      {
        what: "DEGRADED with high < low",
        symbol: "USDC",
        low: "1",
        high: "0.99",
        status: Status.DEGRADED,
        reason: Reason.SOURCES_DISAGREE,
      },
    ];

    for (const z of zeroPriceCases) {
      it(`${z.symbol} ${z.what}: borrow, withdrawal and the views revert ZeroPrice(${z.symbol}), changing nothing`, async function () {
        const f = await networkHelpers.loadFixture(mockOracleFixture);
        const { vault, lens, mock, borrower } = f;
        const token = tokenOf(f, z.symbol);
        await mock.setPriceData(token, wad(z.low), wad(z.high), z.status, z.reason);
        await expectUnchanged(stateOf(f), async () => {
          await expect(vault.connect(borrower).borrow(1n, borrower.address))
            .to.be.revertedWithCustomError(vault, "ZeroPrice")
            .withArgs(await token.getAddress());
          await expect(vault.connect(borrower).withdrawCollateral(f.wbtc, 1n, borrower.address))
            .to.be.revertedWithCustomError(vault, "ZeroPrice")
            .withArgs(await token.getAddress());
        });
        await expect(vault.accountLiquidity(borrower.address))
          .to.be.revertedWithCustomError(vault, "ZeroPrice")
          .withArgs(await token.getAddress());
        await expect(lens.healthFactor(vault, borrower.address))
          .to.be.revertedWithCustomError(vault, "ZeroPrice")
          .withArgs(await token.getAddress());
        // Repay and add-collateral never read it.
        await vault.connect(borrower).depositCollateral(f.weth, wad("1"), borrower.address);
        await vault.connect(borrower).repay(usd("1000"), borrower.address);
      });
    }

    it("FAILED collateral at 0 is a status, not a ZeroPrice: it counts 0 and the OK collateral still lends", async function () {
      const f = await networkHelpers.loadFixture(mockOracleFixture);
      const { vault, mock, borrower } = f;
      await mock.setPriceData(f.weth, 0n, 0n, Status.FAILED, Reason.FEED_REVERTED);
      const liq = await vault.accountLiquidity(borrower.address);
      expect(liq.collateralValue).to.equal(wad("60000"));
      expect(liq.borrowLimit).to.equal(LIMIT_1_WBTC);
      expect(liq.priceStatus).to.equal(Status.FAILED);
      await vault.connect(borrower).borrow(usd("1000"), borrower.address); // 31,000 ≤ 43,800
      await expect(vault.connect(borrower).withdrawCollateral(f.weth, 1n, borrower.address))
        .to.be.revertedWithCustomError(vault, "PriceNotOk")
        .withArgs(await f.weth.getAddress(), Status.FAILED, Reason.FEED_REVERTED);
    });

    // Regression: the vault used to value FAILED collateral at whatever `low` an oracle put in the read (our adapter
    // always returns 0/0, but IPriceOracle is an interface): the views overstated health.
    it("FAILED collateral counts 0 even when the read carries a price (an oracle breaking IPriceOracle)", async function () {
      const f = await networkHelpers.loadFixture(mockOracleFixture);
      const { vault, lens, mock, borrower } = f;
      await mock.setPriceData(f.weth, wad("3000"), wad("3000"), Status.FAILED, Reason.FEED_REVERTED);
      const liq = await vault.accountLiquidity(borrower.address);
      expect(liq.priceStatus).to.equal(Status.FAILED);
      expect(liq.collateralValue).to.equal(wad("60000")); // before the fix: 90,000 (10 WETH counted at $3000)
      expect(liq.liquidationLimit).to.equal(wad("46800")); // actual: 72,300
      expect(await lens.healthFactor(vault, borrower.address)).to.equal((wad("46800") * WAD) / wad("30000"));
    });

    it("FAILED base at 0 is a status, not a ZeroPrice: borrow reverts PriceNotOk, debt valued at max", async function () {
      const f = await networkHelpers.loadFixture(mockOracleFixture);
      const { vault, mock, borrower, usdc } = f;
      await mock.setPriceData(usdc, 0n, 0n, Status.FAILED, Reason.STALE);
      await expect(vault.connect(borrower).borrow(1n, borrower.address))
        .to.be.revertedWithCustomError(vault, "PriceNotOk")
        .withArgs(await usdc.getAddress(), Status.FAILED, Reason.STALE);
      const liq = await vault.accountLiquidity(borrower.address);
      expect(liq.debtValue).to.equal(MaxUint256);
      expect(liq.priceStatus).to.equal(Status.FAILED);
    });
  });

  describe("7. recovery: once the feed is back, the refused borrow goes through", function () {
    for (const c of DOUBT_CAUSES) {
      it(`${title(c)}: refused, then allowed after the feed publishes a fresh good round`, async function () {
        const f = await networkHelpers.loadFixture(positionsFixture);
        const { vault, bob, usdc } = f;
        await vault.connect(bob).depositCollateral(f.weth, wad("10"), bob.address);
        await vault.connect(bob).depositCollateral(f.wbtc, btc("1"), bob.address);
        // 50,000 needs both collaterals (limit 67,800; 56,850 with WBTC at $45,000 after a confirmed jump).
        await applyCause(f, c);
        const refused = expect(vault.connect(bob).borrow(usd("50000"), bob.address));
        if (c.subject === "WETH" || c.subject === "WBTC") {
          await refused.to.be.revertedWithCustomError(vault, "BorrowLimitExceeded");
        } else {
          await refused.to.be
            .revertedWithCustomError(vault, "PriceNotOk")
            .withArgs(await usdc.getAddress(), c.status, c.reason);
        }

        await recoverCause(f, c);
        await expect(vault.connect(bob).borrow(usd("50000"), bob.address))
          .to.emit(vault, "Borrowed")
          .withArgs(bob.address, bob.address, usd("50000"), usd("50000"));
        expect(await vault.debtOf(bob.address)).to.equal(usd("50000"));
      });
    }
  });
});
