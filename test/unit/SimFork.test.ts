/**
 * The crash simulation's fork-mode building blocks (scripts/lib/sim/fork.ts) and the contracts they drive:
 *
 * - ReplayAggregator (bench/contracts/sim): every rule of `publish` and of the reads, with its errors and events;
 * - MirrorAggregatorProxy (test/doubles), the double of mainnet's EACAggregatorProxy: phase-encoded round ids,
 *   reads across phases, the owner-only two-step aggregator change and ownership transfer;
 * - readAddressBook / feedFor / deviationOf over deploy/address-book/mainnet.json and broken copies of it;
 * - setTokenBalance on an OpenZeppelin token (slot 0) and on tokens whose balances live elsewhere (OffsetSlotERC20);
 * - repointFeed against proxies owned by another account (one of the chain's, and one the chain cannot sign for);
 * - findPool choosing the deepest of two fee tiers;
 *
 * all on the in-process network, and one end-to-end check against an upstream `hardhat node` in a child process
 * (test/unit/helpers/forkMirror.ts): the offline mirror of mainnet is deployed there, its address book read back and
 * a feed proxy repointed through a plain JSON-RPC provider, as the simulation does on a fork. The node is stopped by
 * PID in `after()`, even when the test fails.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import { Interface, JsonRpcProvider, Wallet, ZeroAddress, parseUnits, toBeHex, toQuantity } from "ethers";
import { network } from "hardhat";

import {
  AddressBookError,
  balanceStorageKey,
  deviationOf,
  feedFor,
  findBalanceSlot,
  findPool,
  readAddressBook,
  repointFeed,
  setTokenBalance,
  type AddressBook,
  type ForkProvider,
} from "../../scripts/lib/sim/fork.js";
import {
  MirrorAggregatorProxy__factory,
  MockERC20__factory,
  ReplayAggregator__factory,
} from "../../typechain-types/index.js";
import {
  FEED_OWNER_INDEX,
  buildMirror,
  createPoolWithLiquidity,
  deployUniswapV3FactoryFrom,
  startNode,
  type MirrorInfo,
  type NodeHandle,
} from "./helpers/forkMirror.js";
import { wad, feedAnswer } from "../../scripts/lib/units.js";

const { ethers, networkHelpers } = await network.create();
const { time } = networkHelpers;

const MAINNET_BOOK = "deploy/address-book/mainnet.json";
/** A proxy round id: phase in bits 64..79. */
const proxyRound = (phase: number, round: number): bigint => (BigInt(phase) << 64n) | BigInt(round);

const tmp = mkdtempSync(path.join(tmpdir(), "bulwark-simfork-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

async function signers() {
  const [deployer, stranger, , , , , , feedOwner] = await ethers.getSigners();
  return { deployer, stranger, feedOwner };
}

async function replayAggregator(owner: string, decimals = 8) {
  return ethers.deployContract("ReplayAggregator", [decimals, "ETH / USD", owner]);
}

describe("Simulation fork mode", function () {
  // ============================================================================================ ReplayAggregator
  describe("ReplayAggregator", function () {
    it("is built with its decimals, description and owner, and refuses a zero owner", async function () {
      const { deployer } = await signers();
      const feed = await replayAggregator(deployer.address);
      expect(await feed.decimals()).to.equal(8);
      expect(await feed.description()).to.equal("ETH / USD");
      expect(await feed.owner()).to.equal(deployer.address);
      expect(await feed.version()).to.equal(4n);
      const factory = await ethers.getContractFactory("ReplayAggregator");
      await expect(factory.deploy(8, "ETH / USD", ZeroAddress)).to.be.revertedWithCustomError(feed, "ZeroOwner");
    });

    it("reverts every V3 read before the first round; the deprecated reads return 0", async function () {
      const { deployer } = await signers();
      const feed = await replayAggregator(deployer.address);
      await expect(feed.latestRoundData()).to.be.revertedWithCustomError(feed, "NoDataPresent").withArgs(0n);
      await expect(feed.getRoundData(1)).to.be.revertedWithCustomError(feed, "NoDataPresent").withArgs(1n);
      expect(await feed.latestAnswer()).to.equal(0n);
      expect(await feed.latestTimestamp()).to.equal(0n);
      expect(await feed.latestRound()).to.equal(0n);
    });

    it("publishes plain round ids 1, 2, … with startedAt = updatedAt and answeredInRound = roundId", async function () {
      const { deployer } = await signers();
      const feed = await replayAggregator(deployer.address);
      const t0 = await time.latest();
      await expect(feed.publish(feedAnswer("3000"), t0 - 600))
        .to.emit(feed, "NewRound")
        .withArgs(1n, deployer.address, t0 - 600)
        .and.to.emit(feed, "AnswerUpdated")
        .withArgs(feedAnswer("3000"), 1n, t0 - 600);
      await expect(feed.publish(feedAnswer("2900"), t0 - 300))
        .to.emit(feed, "AnswerUpdated")
        .withArgs(feedAnswer("2900"), 2n, t0 - 300);

      expect(await feed.latestRoundData()).to.deep.equal([
        2n,
        feedAnswer("2900"),
        BigInt(t0 - 300),
        BigInt(t0 - 300),
        2n,
      ]);
      expect(await feed.getRoundData(1)).to.deep.equal([
        1n,
        feedAnswer("3000"),
        BigInt(t0 - 600),
        BigInt(t0 - 600),
        1n,
      ]);
      expect(await feed.latestAnswer()).to.equal(feedAnswer("2900"));
      expect(await feed.latestTimestamp()).to.equal(BigInt(t0 - 300));
      expect(await feed.latestRound()).to.equal(2n);
      expect(await feed.getAnswer(1)).to.equal(feedAnswer("3000"));
      expect(await feed.getTimestamp(1)).to.equal(BigInt(t0 - 600));
      // Unknown rounds: V3 reads revert as real aggregators do, deprecated reads return 0.
      await expect(feed.getRoundData(3)).to.be.revertedWithCustomError(feed, "NoDataPresent").withArgs(3n);
      await expect(feed.getRoundData(0)).to.be.revertedWithCustomError(feed, "NoDataPresent").withArgs(0n);
      expect(await feed.getAnswer(3)).to.equal(0n);
      expect(await feed.getTimestamp(3)).to.equal(0n);
    });

    it("lets only its owner publish", async function () {
      const { deployer, stranger } = await signers();
      const feed = await replayAggregator(deployer.address);
      await expect(feed.connect(stranger).publish(feedAnswer("1"), await time.latest()))
        .to.be.revertedWithCustomError(feed, "NotOwner")
        .withArgs(stranger.address);
    });

    it("refuses a zero or negative answer", async function () {
      const { deployer } = await signers();
      const feed = await replayAggregator(deployer.address);
      const now = await time.latest();
      await expect(feed.publish(0, now)).to.be.revertedWithCustomError(feed, "NonPositiveAnswer").withArgs(0n);
      await expect(feed.publish(-5n, now)).to.be.revertedWithCustomError(feed, "NonPositiveAnswer").withArgs(-5n);
    });

    it("refuses an updatedAt later than the block (the block's own timestamp is fine)", async function () {
      const { deployer } = await signers();
      const feed = await replayAggregator(deployer.address);
      const next = (await time.latest()) + 100;
      await time.setNextBlockTimestamp(next);
      await expect(feed.publish(feedAnswer("1"), next + 1))
        .to.be.revertedWithCustomError(feed, "UpdatedInFuture")
        .withArgs(next + 1, next);
      await time.setNextBlockTimestamp(next + 1);
      await expect(feed.publish(feedAnswer("1"), next + 1)).to.emit(feed, "AnswerUpdated");
    });

    it("refuses an updatedAt earlier than the previous round's (equal is fine) or zero", async function () {
      const { deployer } = await signers();
      const feed = await replayAggregator(deployer.address);
      await expect(feed.publish(feedAnswer("1"), 0))
        .to.be.revertedWithCustomError(feed, "UpdatedBeforePrevious")
        .withArgs(0n, 0n);
      const t = (await time.latest()) - 1000;
      await (await feed.publish(feedAnswer("1"), t)).wait();
      await expect(feed.publish(feedAnswer("2"), t - 1))
        .to.be.revertedWithCustomError(feed, "UpdatedBeforePrevious")
        .withArgs(t - 1, t);
      await (await feed.publish(feedAnswer("2"), t)).wait();
      expect(await feed.latestRound()).to.equal(2n);
    });
  });

  // ============================================================================================ MirrorAggregatorProxy
  describe("MirrorAggregatorProxy", function () {
    async function proxyFixture() {
      const { deployer, stranger, feedOwner } = await signers();
      const first = await replayAggregator(deployer.address);
      const second = await replayAggregator(deployer.address);
      const proxy = await ethers.deployContract("MirrorAggregatorProxy", [await first.getAddress(), feedOwner.address]);
      const t = (await time.latest()) - 3600;
      await (await first.publish(feedAnswer("3000"), t)).wait();
      await (await first.publish(feedAnswer("3100"), t + 60)).wait();
      return { deployer, stranger, feedOwner, first, second, proxy, t };
    }

    it("starts in phase 1 with the constructor's aggregator and delegates decimals, description and version", async function () {
      const { feedOwner, first, proxy } = await proxyFixture();
      expect(await proxy.owner()).to.equal(feedOwner.address);
      expect(await proxy.phaseId()).to.equal(1n);
      expect(await proxy.aggregator()).to.equal(await first.getAddress());
      expect(await proxy.phaseAggregators(1)).to.equal(await first.getAddress());
      expect(await proxy.phaseAggregators(2)).to.equal(ZeroAddress);
      expect(await proxy.proposedAggregator()).to.equal(ZeroAddress);
      expect(await proxy.decimals()).to.equal(8n);
      expect(await proxy.description()).to.equal("ETH / USD");
      expect(await proxy.version()).to.equal(4n);
    });

    it("adds the phase to round ids and answeredInRound", async function () {
      const { proxy, t } = await proxyFixture();
      const id = proxyRound(1, 2);
      expect(await proxy.latestRoundData()).to.deep.equal([id, feedAnswer("3100"), BigInt(t + 60), BigInt(t + 60), id]);
      expect(await proxy.getRoundData(proxyRound(1, 1))).to.deep.equal([
        proxyRound(1, 1),
        feedAnswer("3000"),
        BigInt(t),
        BigInt(t),
        proxyRound(1, 1),
      ]);
      expect(await proxy.latestRound()).to.equal(id);
      expect(await proxy.latestAnswer()).to.equal(feedAnswer("3100"));
      expect(await proxy.latestTimestamp()).to.equal(BigInt(t + 60));
    });

    it("starts a new phase per confirmed aggregator and reads every phase's rounds from that phase's aggregator", async function () {
      const { deployer, feedOwner, first, second, proxy, t } = await proxyFixture();
      const secondAddress = await second.getAddress();
      await expect(proxy.connect(feedOwner).proposeAggregator(secondAddress))
        .to.emit(proxy, "AggregatorProposed")
        .withArgs(await first.getAddress(), secondAddress);
      expect(await proxy.proposedAggregator()).to.equal(secondAddress);
      // Before confirmation, readers still see phase 1; the proposal is readable through proposed*.
      expect((await proxy.latestRoundData())[0]).to.equal(proxyRound(1, 2));
      await (await second.connect(deployer).publish(feedAnswer("100"), t + 120)).wait();
      expect((await proxy.proposedLatestRoundData())[0]).to.equal(1n); // the aggregator's own id, no phase
      expect((await proxy.proposedGetRoundData(1))[1]).to.equal(feedAnswer("100"));

      await expect(proxy.connect(feedOwner).confirmAggregator(secondAddress))
        .to.emit(proxy, "AggregatorConfirmed")
        .withArgs(await first.getAddress(), secondAddress, 2n);
      expect(await proxy.phaseId()).to.equal(2n);
      expect(await proxy.aggregator()).to.equal(secondAddress);
      expect(await proxy.phaseAggregators(2)).to.equal(secondAddress);
      expect(await proxy.proposedAggregator()).to.equal(ZeroAddress); // the proposal is cleared
      await expect(proxy.proposedLatestRoundData()).to.be.revertedWithCustomError(proxy, "NoProposedAggregator");
      await expect(proxy.proposedGetRoundData(1)).to.be.revertedWithCustomError(proxy, "NoProposedAggregator");

      expect(await proxy.latestRoundData()).to.deep.equal([
        proxyRound(2, 1),
        feedAnswer("100"),
        BigInt(t + 120),
        BigInt(t + 120),
        proxyRound(2, 1),
      ]);
      // Round ids only grow across phases; old phases stay readable from their own aggregator.
      expect(proxyRound(2, 1)).to.be.greaterThan(proxyRound(1, 2));
      expect((await proxy.getRoundData(proxyRound(1, 2)))[1]).to.equal(feedAnswer("3100"));
      expect((await proxy.getRoundData(proxyRound(2, 1)))[1]).to.equal(feedAnswer("100"));
      expect(await proxy.getAnswer(proxyRound(1, 1))).to.equal(feedAnswer("3000"));
      expect(await proxy.getTimestamp(proxyRound(2, 1))).to.equal(BigInt(t + 120));
      expect(await proxy.latestRound()).to.equal(proxyRound(2, 1));
      // A round the phase's aggregator does not have: its own error, bubbled up.
      await expect(proxy.getRoundData(proxyRound(1, 9)))
        .to.be.revertedWithCustomError(first, "NoDataPresent")
        .withArgs(9n);
      // A phase that never was: reverts (getRoundData) or 0 (deprecated reads), as on mainnet.
      await expect(proxy.getRoundData(proxyRound(3, 1)))
        .to.be.revertedWithCustomError(proxy, "NoPhaseAggregator")
        .withArgs(3n);
      expect(await proxy.getAnswer(proxyRound(3, 1))).to.equal(0n);
      expect(await proxy.getTimestamp(1n << 80n)).to.equal(0n); // above 2^80 - 1
    });

    it("lets only the owner propose and confirm, and confirms only the proposed aggregator", async function () {
      const { deployer, feedOwner, second, proxy } = await proxyFixture();
      const secondAddress = await second.getAddress();
      await expect(proxy.connect(deployer).proposeAggregator(secondAddress))
        .to.be.revertedWithCustomError(proxy, "OnlyOwner")
        .withArgs(deployer.address);
      await (await proxy.connect(feedOwner).proposeAggregator(secondAddress)).wait();
      await expect(proxy.connect(deployer).confirmAggregator(secondAddress))
        .to.be.revertedWithCustomError(proxy, "OnlyOwner")
        .withArgs(deployer.address);
      await expect(proxy.connect(feedOwner).confirmAggregator(deployer.address))
        .to.be.revertedWithCustomError(proxy, "InvalidProposedAggregator")
        .withArgs(deployer.address, secondAddress);
      expect(await proxy.phaseId()).to.equal(1n);
    });

    it("transfers ownership in two steps", async function () {
      const { deployer, stranger, feedOwner, proxy } = await proxyFixture();
      await expect(proxy.connect(deployer).transferOwnership(deployer.address))
        .to.be.revertedWithCustomError(proxy, "OnlyOwner")
        .withArgs(deployer.address);
      await expect(proxy.connect(feedOwner).transferOwnership(deployer.address))
        .to.emit(proxy, "OwnershipTransferRequested")
        .withArgs(feedOwner.address, deployer.address);
      expect(await proxy.owner()).to.equal(feedOwner.address);
      await expect(proxy.connect(stranger).acceptOwnership())
        .to.be.revertedWithCustomError(proxy, "NotPendingOwner")
        .withArgs(stranger.address);
      await expect(proxy.connect(deployer).acceptOwnership())
        .to.emit(proxy, "OwnershipTransferred")
        .withArgs(feedOwner.address, deployer.address);
      expect(await proxy.owner()).to.equal(deployer.address);
      await expect(proxy.connect(deployer).acceptOwnership()).to.be.revertedWithCustomError(proxy, "NotPendingOwner");
    });
  });

  // ============================================================================================ the address book
  describe("readAddressBook", function () {
    const mainnet = JSON.parse(readFileSync(MAINNET_BOOK, "utf8")) as Record<string, unknown>;
    /** Writes a copy of mainnet.json changed by `edit` to a fresh `book.json`; returns its path. */
    function brokenBook(edit: (json: Record<string, Record<string, Record<string, unknown>>>) => void): string {
      const json = structuredClone(mainnet) as Record<string, Record<string, Record<string, unknown>>>;
      edit(json);
      const file = path.join(mkdtempSync(path.join(tmp, "book-")), "book.json");
      writeFileSync(file, JSON.stringify(json));
      return file;
    }
    function expectBookError(file: string, key: string, problem: string): void {
      let error: unknown;
      try {
        readAddressBook(file);
      } catch (e) {
        error = e;
      }
      expect(error).to.be.instanceOf(AddressBookError);
      expect((error as AddressBookError).message).to.equal(`${file}: ${key === "" ? "" : `${key} `}${problem}`);
      expect((error as AddressBookError).key).to.equal(key);
      expect((error as AddressBookError).file).to.equal(file);
    }

    it("reads deploy/address-book/mainnet.json", function () {
      const book = readAddressBook(MAINNET_BOOK);
      expect(book.chainId).to.equal(1);
      expect(Object.keys(book.chainlinkFeeds)).to.deep.equal(["ETH/USD", "BTC/USD", "USDC/USD", "stETH/ETH"]);
      expect(book.chainlinkFeeds["ETH/USD"]).to.deep.equal({
        proxy: "0x5f4eC3Df9cbd43714FE2740f5E3616155c5b8419",
        decimals: 8,
        heartbeatSeconds: 3600,
        deviationThreshold: "0.5%",
      });
      expect(book.chainlinkFeeds["stETH/ETH"].decimals).to.equal(18);
      expect(book.tokens.WBTC).to.deep.equal({ address: "0x2260FAC5E5542a773Aa44fBCfeDf7C193bc2C599", decimals: 8 });
      expect(Object.keys(book.tokens)).to.deep.equal(["WETH", "WBTC", "USDC", "wstETH"]);
      expect(book.uniswapV3?.factory.address).to.equal("0x1F98431c8aD98523631AE4a59f267346ea31F984");
    });

    it("names the file and the key of a missing or invalid entry", function () {
      expectBookError(
        brokenBook((j) => (j.tokens.WETH.address = "0x1234")),
        "tokens.WETH.address",
        "is not an address",
      );
      // A mixed-case address with a wrong checksum is not an address either.
      expectBookError(
        brokenBook((j) => (j.tokens.USDC.address = "0xa0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48")),
        "tokens.USDC.address",
        "is not an address",
      );
      expectBookError(
        brokenBook((j) => (j.tokens.WBTC.address = ZeroAddress)),
        "tokens.WBTC.address",
        "is the zero address",
      );
      expectBookError(
        brokenBook((j) => delete (j.chainlinkFeeds["ETH/USD"] as Record<string, unknown>).proxy),
        "chainlinkFeeds.ETH/USD.proxy",
        "is missing",
      );
      expectBookError(
        brokenBook((j) => ((j.chainlinkFeeds["BTC/USD"] as Record<string, unknown>).decimals = "8")),
        "chainlinkFeeds.BTC/USD.decimals",
        "is not an integer in [0, 36]",
      );
      expectBookError(
        brokenBook((j) => ((j.chainlinkFeeds["USDC/USD"] as Record<string, unknown>).heartbeatSeconds = 0)),
        "chainlinkFeeds.USDC/USD.heartbeatSeconds",
        `is not an integer in [1, ${Number.MAX_SAFE_INTEGER}]`,
      );
      expectBookError(
        brokenBook((j) => ((j.chainlinkFeeds["ETH/USD"] as Record<string, unknown>).deviationThreshold = "about 1")),
        "chainlinkFeeds.ETH/USD.deviationThreshold",
        'does not start with a percentage ("about 1")',
      );
      expectBookError(
        brokenBook((j) => (j.tokens.WETH.decimals = 18.5)),
        "tokens.WETH.decimals",
        "is not an integer in [0, 36]",
      );
      expectBookError(
        brokenBook((j) => (j.tokens.WETH.feed = "WETH/EUR")),
        "tokens.WETH.feed",
        'names "WETH/EUR", which chainlinkFeeds does not have',
      );
      expectBookError(
        brokenBook((j) => delete j.uniswapV3.factory.address),
        "uniswapV3.factory.address",
        "is missing",
      );
      // A book without Uniswap v3 is a chain without it (a local deployment's): fork mode deploys its own pools.
      const noUniswap = brokenBook((j) => delete (j as Record<string, unknown>).uniswapV3);
      expect(readAddressBook(noUniswap).uniswapV3).to.equal(undefined);
      expectBookError(
        brokenBook((j) => ((j as Record<string, unknown>).tokens = [])),
        "tokens",
        "is not an object",
      );
    });

    it("names the file when it cannot be read or is not JSON", function () {
      const missing = path.join(tmp, "nothing-here.json");
      expect(() => readAddressBook(missing)).to.throw(AddressBookError, `${missing}: cannot be read (ENOENT`);
      const garbled = path.join(tmp, "garbled.json");
      writeFileSync(garbled, "{ not json");
      expect(() => readAddressBook(garbled)).to.throw(AddressBookError, `${garbled}: is not valid JSON (`);
    });
  });

  describe("feedFor and deviationOf", function () {
    it("finds each token's feed: its `feed` field, SYMBOL/USD, or the symbol without its W", function () {
      const book = readAddressBook(MAINNET_BOOK);
      expect(feedFor(book, "WETH")).to.include({ pair: "ETH/USD", proxy: book.chainlinkFeeds["ETH/USD"].proxy });
      expect(feedFor(book, "WBTC").pair).to.equal("BTC/USD");
      expect(feedFor(book, "USDC").pair).to.equal("USDC/USD");
      expect(feedFor(book, "usdc").pair).to.equal("USDC/USD");
      const withField: AddressBook = {
        ...book,
        tokens: { ...book.tokens, wstETH: { ...book.tokens.wstETH, feed: "stETH/ETH" } },
      };
      expect(feedFor(withField, "wstETH")).to.deep.equal({ pair: "stETH/ETH", ...book.chainlinkFeeds["stETH/ETH"] });
    });

    it("names the pairs the book has when none fits", function () {
      const book = readAddressBook(MAINNET_BOOK);
      expect(() => feedFor(book, "wstETH")).to.throw(
        "no Chainlink feed for wstETH in the address book (tried wstETH/USD, WSTETH/USD; " +
          "the book has ETH/USD, BTC/USD, USDC/USD, stETH/ETH)",
      );
      expect(() => feedFor(book, "LINK")).to.throw("the book has ETH/USD, BTC/USD, USDC/USD, stETH/ETH");
      expect(() => feedFor(book, "WXYZ")).to.throw("(tried WXYZ/USD, XYZ/USD; the book has");
    });

    it("reads the leading percentage of a deviation threshold", function () {
      const book = readAddressBook(MAINNET_BOOK);
      expect(deviationOf(book.chainlinkFeeds["ETH/USD"])).to.equal(0.005);
      expect(deviationOf(book.chainlinkFeeds["BTC/USD"])).to.equal(0.005); // "0.5% (not confirmed …)"
      expect(deviationOf(book.chainlinkFeeds["USDC/USD"])).to.equal(0.0025);
      expect(deviationOf(book.chainlinkFeeds["stETH/ETH"])).to.equal(0.02); // "2% until about May 2023, then 0.5%"
      expect(deviationOf({ deviationThreshold: " 1 %" })).to.equal(0.01);
      expect(() => deviationOf({ deviationThreshold: "n/a" })).to.throw('"n/a" does not start with a percentage');
    });
  });

  // ============================================================================================ token balances
  describe("setTokenBalance", function () {
    const provider: ForkProvider = ethers.provider;
    const storageAt = async (token: string, key: string): Promise<bigint> =>
      BigInt(await ethers.provider.getStorage(token, key));

    /** `provider`, counting the `hardhat_setStorageAt` requests sent through it. */
    function countingProvider(): { provider: ForkProvider; writes: () => number } {
      let writes = 0;
      const counted = new Proxy(ethers.provider, {
        get(target, property) {
          if (property === "send")
            return (method: string, params: unknown[]) => {
              if (method === "hardhat_setStorageAt") writes++;
              return target.send(method, params);
            };
          const value: unknown = Reflect.get(target, property, target);
          return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        },
      });
      return { provider: counted, writes: () => writes };
    }

    it("sets a balance of an OpenZeppelin ERC20 (slot 0), leaving other balances and the supply alone", async function () {
      const { deployer, stranger } = await signers();
      const token = await ethers.deployContract("MockERC20", ["USD Coin", "USDC", 6]);
      await (await token.mint(deployer.address, 500n)).wait();
      const address = await token.getAddress();
      await setTokenBalance(provider, address, stranger.address, parseUnits("1000000", 6));
      expect(await token.balanceOf(stranger.address)).to.equal(parseUnits("1000000", 6));
      expect(await token.balanceOf(deployer.address)).to.equal(500n);
      expect(await token.totalSupply()).to.equal(500n); // storage writes do not mint
      expect(await findBalanceSlot(provider, address, stranger.address)).to.deep.equal({ slot: 0, layout: "solidity" });
      await setTokenBalance(provider, address, stranger.address, 0n);
      expect(await token.balanceOf(stranger.address)).to.equal(0n);
    });

    it("finds balances at another slot, in the Solidity and in the Vyper layout, and caches the slot", async function () {
      const { deployer, stranger } = await signers();
      for (const [slot, vyper] of [
        [7, false],
        [3, true],
      ] as const) {
        const token = await ethers.deployContract("OffsetSlotERC20", [slot, vyper, 18]);
        const address = await token.getAddress();
        await (await token.mint(deployer.address, 42n)).wait();
        const counting = countingProvider();
        await setTokenBalance(counting.provider, address, stranger.address, wad("10"));
        expect(await token.balanceOf(stranger.address)).to.equal(wad("10"));
        expect(await token.balanceOf(deployer.address)).to.equal(42n);
        const probes = counting.writes();
        // Solidity layout first: a Vyper token also fails the Solidity key of its own slot.
        expect(probes).to.equal(2 * (2 * slot + (vyper ? 2 : 1)) + 1);
        expect(await findBalanceSlot(counting.provider, address, stranger.address)).to.deep.equal({
          slot,
          layout: vyper ? "vyper" : "solidity",
        });
        await setTokenBalance(counting.provider, address, deployer.address, wad("5"));
        expect(counting.writes() - probes).to.equal(1); // cached: one write, no probing
        expect(await token.balanceOf(deployer.address)).to.equal(wad("5"));
      }
    });

    it("restores every position it probed without success", async function () {
      const { stranger } = await signers();
      const token = await ethers.deployContract("OffsetSlotERC20", [7, false, 18]);
      const address = await token.getAddress();
      // Values already stored at positions the probe writes to before reaching slot 7.
      const occupied = [
        balanceStorageKey(stranger.address, { slot: 2, layout: "solidity" }),
        balanceStorageKey(stranger.address, { slot: 5, layout: "vyper" }),
        balanceStorageKey(stranger.address, { slot: 7, layout: "vyper" }),
      ];
      for (const [i, key] of occupied.entries())
        await ethers.provider.send("hardhat_setStorageAt", [
          address,
          toQuantity(BigInt(key)),
          toBeHex(1000n + BigInt(i), 32),
        ]);
      await setTokenBalance(provider, address, stranger.address, 77n);
      expect(await token.balanceOf(stranger.address)).to.equal(77n);
      for (const [i, key] of occupied.entries()) expect(await storageAt(address, key)).to.equal(1000n + BigInt(i));
      // Positions that held nothing hold nothing again.
      for (const slot of [0, 1, 3, 4, 5, 6])
        expect(await storageAt(address, balanceStorageKey(stranger.address, { slot, layout: "solidity" }))).to.equal(
          0n,
        );
    });

    it("fails clearly, leaving the token as it was, when no slot up to 30 works or there is no balanceOf", async function () {
      const { deployer, stranger } = await signers();
      const token = await ethers.deployContract("OffsetSlotERC20", [31, false, 18]);
      const address = await token.getAddress();
      await (await token.mint(stranger.address, 9n)).wait();
      await expect(setTokenBalance(provider, address, stranger.address, 1n)).to.be.rejectedWith(
        `token ${address}: no balance mapping found at slots 0..30 (Solidity or Vyper layout)`,
      );
      expect(await token.balanceOf(stranger.address)).to.equal(9n);
      for (let slot = 0; slot <= 30; slot++)
        for (const layout of ["solidity", "vyper"] as const)
          expect(await storageAt(address, balanceStorageKey(stranger.address, { slot, layout }))).to.equal(0n);

      const notAToken = await replayAggregator(deployer.address);
      await expect(setTokenBalance(provider, await notAToken.getAddress(), stranger.address, 1n)).to.be.rejectedWith(
        "cannot be called",
      );
    });
  });

  // ============================================================================================ feeds
  describe("repointFeed", function () {
    async function ownedFeed(owner: string) {
      const original = await ethers.deployContract("TestAggregator", [8, "ETH / USD"]);
      await (await original.push(feedAnswer("3000"))).wait();
      const proxy = await ethers.deployContract("MirrorAggregatorProxy", [await original.getAddress(), owner]);
      return { original, proxy };
    }

    it("points a proxy owned by another account at the replay aggregator, in a new phase", async function () {
      const { deployer, feedOwner } = await signers();
      const { original, proxy } = await ownedFeed(feedOwner.address);
      const replay = await replayAggregator(deployer.address);
      const t = await time.latest();
      await (await replay.publish(feedAnswer("2500"), t)).wait();

      const result = await repointFeed(ethers.provider, await proxy.getAddress(), await replay.getAddress());
      expect(result).to.deep.equal({ owner: feedOwner.address, previousAggregator: await original.getAddress() });
      expect(await proxy.aggregator()).to.equal(await replay.getAddress());
      expect(await proxy.phaseId()).to.equal(2n);
      expect(await proxy.latestRoundData()).to.deep.equal([
        proxyRound(2, 1),
        feedAnswer("2500"),
        BigInt(t),
        BigInt(t),
        proxyRound(2, 1),
      ]);
      // The original stays phase 1's aggregator. (Its rounds cannot be read back through the proxy: TestAggregator keys
      // them by its own phase-encoded ids, not the plain ids the proxy asks for.)
      expect(await proxy.phaseAggregators(1)).to.equal(await original.getAddress());
      // Published rounds show through the proxy at once.
      await (await replay.publish(feedAnswer("2400"), t + 1)).wait();
      expect((await proxy.latestRoundData()).slice(0, 2)).to.deep.equal([proxyRound(2, 2), feedAnswer("2400")]);
    });

    it("impersonates an owner the chain holds no key for, pays its gas, and stops impersonating", async function () {
      const { deployer } = await signers();
      const owner = Wallet.createRandom().address;
      const { proxy } = await ownedFeed(owner);
      const replay = await replayAggregator(deployer.address);
      expect(await ethers.provider.getBalance(owner)).to.equal(0n);
      expect((await repointFeed(ethers.provider, await proxy.getAddress(), await replay.getAddress())).owner).to.equal(
        owner,
      );
      expect(await proxy.aggregator()).to.equal(await replay.getAddress());
      // No longer impersonated: the node refuses to send from it.
      const data = new Interface(["function proposeAggregator(address)"]).encodeFunctionData("proposeAggregator", [
        owner,
      ]);
      await expect(ethers.provider.send("eth_sendTransaction", [{ from: owner, to: await proxy.getAddress(), data }]))
        .to.be.rejected;
      expect(await proxy.proposedAggregator()).to.equal(ZeroAddress);
    });

    it("fails clearly on a feed that is not an owned Chainlink proxy, or an aggregator that does not fit", async function () {
      const { deployer, feedOwner } = await signers();
      const replay = await replayAggregator(deployer.address);
      const replayAddress = await replay.getAddress();
      const plainFeed = await ethers.deployContract("TestAggregator", [8, "ETH / USD"]);
      await expect(repointFeed(ethers.provider, await plainFeed.getAddress(), replayAddress)).to.be.rejectedWith(
        `feed proxy ${await plainFeed.getAddress()} has no owner() (not an owned Chainlink aggregator proxy)`,
      );
      const fixed = await ethers.deployContract("FixedFeedHolder", [await plainFeed.getAddress(), feedOwner.address]);
      await expect(repointFeed(ethers.provider, await fixed.getAddress(), replayAddress)).to.be.rejectedWith(
        `feed proxy ${await fixed.getAddress()}: its owner ${feedOwner.address} cannot call proposeAggregator`,
      );
      await expect(repointFeed(ethers.provider, replayAddress, replayAddress)).to.be.rejectedWith(
        `feed proxy ${replayAddress} has no aggregator()`,
      );
      const { proxy } = await ownedFeed(feedOwner.address);
      const proxyAddress = await proxy.getAddress();
      const eighteen = await replayAggregator(deployer.address, 18);
      await expect(repointFeed(ethers.provider, proxyAddress, await eighteen.getAddress())).to.be.rejectedWith(
        `has 18 decimals, feed proxy ${proxyAddress} 8`,
      );
      await expect(repointFeed(ethers.provider, proxyAddress, feedOwner.address)).to.be.rejectedWith("has no code");
      expect(await proxy.phaseId()).to.equal(1n);
    });
  });

  // ============================================================================================ Uniswap v3
  describe("findPool", function () {
    it("picks the pool with the most in-range liquidity among the fee tiers", async function () {
      const { deployer } = await signers();
      const weth = await ethers.deployContract("MockERC20", ["Wrapped Ether", "WETH", 18]);
      const usdc = await ethers.deployContract("MockERC20", ["USD Coin", "USDC", 6]);
      const wbtc = await ethers.deployContract("MockERC20", ["Wrapped BTC", "WBTC", 8]);
      const factory = await deployUniswapV3FactoryFrom(deployer);
      const factoryAddress = await factory.getAddress();
      const [wethAddress, usdcAddress] = [await weth.getAddress(), await usdc.getAddress()];
      const shallow = await createPoolWithLiquidity(deployer, factory, weth, usdc, wad("3000"), wad("10"), 3000);
      const deep = await createPoolWithLiquidity(deployer, factory, weth, usdc, wad("3000"), wad("500"), 500);
      expect(deep.liquidity).to.be.greaterThan(shallow.liquidity);

      const choice = await findPool(ethers.provider, factoryAddress, wethAddress, usdcAddress);
      expect(choice).to.deep.equal({ pool: await deep.pool.getAddress(), fee: 500, liquidity: deep.liquidity });
      expect(await findPool(ethers.provider, factoryAddress, usdcAddress, wethAddress)).to.deep.equal(choice);

      const wbtcAddress = await wbtc.getAddress();
      await expect(findPool(ethers.provider, factoryAddress, wbtcAddress, usdcAddress)).to.be.rejectedWith(
        `no Uniswap v3 pool of ${wbtcAddress} and ${usdcAddress}`,
      );
    });
  });

  // ============================================================================================ against a node
  describe("against an upstream hardhat node (the offline mirror of mainnet)", function () {
    this.timeout(120_000);
    let node: NodeHandle | undefined;

    before(async function () {
      node = await startNode();
    });

    after(async function () {
      this.timeout(30_000);
      if (node === undefined) return;
      await node.stop();
      const alive = (pid: number): boolean => {
        try {
          process.kill(pid, 0);
          return true;
        } catch {
          return false;
        }
      };
      expect(alive(node.pid), `hardhat node ${node.pid} still running`).to.equal(false);
      expect(alive(-node.pid), `process group ${node.pid} still has processes`).to.equal(false);
    });

    it("deploys the mirror, writes a readable address book, and repoints a feed owned by another account", async function () {
      const outFile = path.join(tmp, "mirror.json");
      const info: MirrorInfo = await buildMirror(node!.url, outFile);
      const book = readAddressBook(outFile);
      expect(book.chainId).to.equal(info.chainId);
      expect(book.uniswapV3?.factory.address).to.equal(info.uniswapV3Factory);
      expect(book.tokens.WETH).to.deep.equal({ address: info.tokens.WETH, decimals: 18 });
      expect(book.tokens.WBTC.decimals).to.equal(8);
      expect(book.tokens.USDC.decimals).to.equal(6);
      expect(feedFor(book, "WETH")).to.deep.equal({
        pair: "ETH/USD",
        proxy: info.feeds["ETH/USD"].proxy,
        decimals: 8,
        heartbeatSeconds: 3600,
        deviationThreshold: "0.5%",
      });
      expect(feedFor(book, "WBTC").proxy).to.equal(info.feeds["BTC/USD"].proxy);
      expect(deviationOf(feedFor(book, "USDC"))).to.equal(0.0025);
      expect(feedFor(book, "USDC").heartbeatSeconds).to.equal(86400);

      const provider = new JsonRpcProvider(node!.url, undefined, { staticNetwork: true, pollingInterval: 100 });
      try {
        expect(info.blockNumber).to.be.at.most(await provider.getBlockNumber());
        const deployer = await provider.getSigner(0);
        const proxyOwner = await provider.getSigner(FEED_OWNER_INDEX);
        expect(info.deployer).to.equal(await deployer.getAddress());
        expect(info.feedOwner).to.equal(await proxyOwner.getAddress());
        expect(info.feedOwner).to.not.equal(info.deployer);

        // The original feeds answer realistic prices through their proxies.
        const ethFeed = MirrorAggregatorProxy__factory.connect(book.chainlinkFeeds["ETH/USD"].proxy, provider);
        expect(await ethFeed.owner()).to.equal(info.feedOwner);
        expect((await ethFeed.latestRoundData()).slice(0, 2)).to.deep.equal([proxyRound(1, 1), feedAnswer("3000")]);
        const btcFeed = MirrorAggregatorProxy__factory.connect(book.chainlinkFeeds["BTC/USD"].proxy, provider);
        expect((await btcFeed.latestRoundData())[1]).to.equal(feedAnswer("60000"));

        // Repoint ETH/USD at a replay aggregator the deployer publishes through.
        const replay = await new ReplayAggregator__factory(deployer).deploy(8, "ETH / USD", info.deployer);
        await replay.waitForDeployment();
        const replayAddress = await replay.getAddress();
        const t = (await provider.getBlock("latest"))!.timestamp;
        await (await replay.publish(feedAnswer("2000"), t)).wait();
        const result = await repointFeed(provider, book.chainlinkFeeds["ETH/USD"].proxy, replayAddress);
        expect(result).to.deep.equal({ owner: info.feedOwner, previousAggregator: info.feeds["ETH/USD"].aggregator });
        expect(await ethFeed.aggregator()).to.equal(replayAddress);
        expect(await ethFeed.latestRoundData()).to.deep.equal([
          proxyRound(2, 1),
          feedAnswer("2000"),
          BigInt(t),
          BigInt(t),
          proxyRound(2, 1),
        ]);

        // The pools are found through the factory, and real-token funding works through the same provider.
        const pool = await findPool(
          provider,
          book.uniswapV3!.factory.address,
          book.tokens.WETH.address,
          book.tokens.USDC.address,
        );
        expect(pool.pool).to.equal(info.pools.WETH.pool);
        expect(pool.fee).to.equal(3000);
        expect(pool.liquidity).to.be.greaterThan(0n);
        const wbtcPool = await findPool(
          provider,
          book.uniswapV3!.factory.address,
          book.tokens.USDC.address,
          book.tokens.WBTC.address,
        );
        expect(wbtcPool.pool).to.equal(info.pools.WBTC.pool);
        const usdc = MockERC20__factory.connect(book.tokens.USDC.address, provider);
        // About $10M of USDC on each side of each pool.
        const inPool = await usdc.balanceOf(info.pools.WETH.pool);
        expect(inPool).to.be.within(parseUnits("9900000", 6), parseUnits("10100000", 6));
        const account = Wallet.createRandom().address;
        await setTokenBalance(provider, book.tokens.USDC.address, account, parseUnits("250000", 6));
        expect(await usdc.balanceOf(account)).to.equal(parseUnits("250000", 6));
      } finally {
        provider.destroy();
      }
    });
  });
});
