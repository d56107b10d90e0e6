/**
 * The Ignition deployment (deploy/modules/BulwarkLocal.ts with deploy/parameters/hardhat.json) on the in-process
 * chain: the read-back finds every parameter, role and wire as the file says; the deployed system works end to end
 * (lend, post collateral, borrow, a price fall through the local feed, a liquidation); the timelock holds the
 * configured delay and governs alone; and a parameter changed afterwards, or a file that disagrees with the chain,
 * shows up in the read-back. Also checks the parameter files themselves against the mainnet address book.
 */
import { readFileSync } from "node:fs";

import { expect } from "chai";
import { MaxUint256, ZeroAddress, ZeroHash, getAddress, hexlify } from "ethers";
import hre, { network } from "hardhat";

import Bulwark from "../../deploy/modules/Bulwark.js";
import BulwarkLocal from "../../deploy/modules/BulwarkLocal.js";
import LocalDependencies from "../../deploy/modules/LocalDependencies.js";
import { DEFAULT_SECURITY_OPS_CONFIG } from "../../scripts/lib/automation.js";
import { FUTURE_IDS, TIMELOCK_ROLES, bigintReviver, loadParameters } from "../../scripts/lib/deployment.js";
import { parseParameters } from "../../scripts/lib/deployment.js";
import type { DeploymentParameters } from "../../scripts/lib/deployment.js";
import {
  DEFAULT_ASSET_TRIGGERS,
  DEFAULT_BASE_TRIGGERS,
  DEFAULT_BREAKER_PARAMS,
  DEFAULT_COLLATERALS,
  DEFAULT_ENGINE_PARAMS,
} from "../../scripts/lib/testMarket.js";
import { addressesFromDeployment, mismatches, readBack, renderReadback } from "../../scripts/lib/deploymentReadback.js";
import {
  DEFAULT_RISK_PARAMS,
  defaultAssetRisk,
  defaultTracking,
  REFERENCE_VOLATILITY,
} from "../../scripts/lib/risk.js";
import type { SystemAddresses } from "../../scripts/lib/deploymentReadback.js";
import {
  CircuitBreaker__factory,
  CollateralVault__factory,
  LiquidationEngine__factory,
  MockERC20__factory,
  SecurityOps__factory,
  TestAggregator__factory,
  TimelockController__factory,
  UniswapV3FlashLiquidator__factory,
  VaultLens__factory,
} from "../../typechain-types/index.js";
import { usd, wad, feedAnswer } from "../../scripts/lib/units.js";

const PARAMETERS = "deploy/parameters/hardhat.json";

/** The parts of deploy/address-book/mainnet.json the tests read. */
interface AddressBook {
  chainlinkFeeds: Record<string, { proxy: string; heartbeatSeconds: number }>;
  tokens: Record<string, { address: string }>;
}
/** Ignition's parameter object (what `ignition.deploy` takes besides a file name). */
type DeploymentParametersInput = Exclude<Parameters<typeof ignition.deploy>[1], undefined>["parameters"] & object;
const params = loadParameters(PARAMETERS);

const { ethers, ignition, networkHelpers } = await network.create();
const { time, loadFixture } = networkHelpers;
const [deployer, proposer, executor, guardian, lender, borrower, keeper, stranger] = await ethers.getSigners();

/** The addresses the read-back takes, and the flash liquidator Ignition deployed for SecurityOps. */
interface DeployedSystem extends SystemAddresses {
  liquidator: string;
}

/** Deploys the system with Ignition, exactly as `npx hardhat ignition deploy` does, and collects its addresses. */
async function deploySystem(): Promise<DeployedSystem> {
  const deployed = await ignition.deploy(BulwarkLocal, { parameters: PARAMETERS });
  const at = (name: keyof typeof deployed): Promise<string> => deployed[name].getAddress();
  return {
    timelock: await at("timelock"),
    adapter: await at("adapter"),
    rateModel: await at("rateModel"),
    vault: await at("vault"),
    engine: await at("engine"),
    breaker: await at("breaker"),
    queue: await at("queue"),
    volatility: await at("volatility"),
    riskManager: await at("riskManager"),
    rebalancer: await at("rebalancer"),
    securityOps: await at("securityOps"),
    backstop: await at("backstop"),
    allocator: await at("allocator"),
    lens: await at("lens"),
    liquidator: await at("liquidator"),
    base: { token: await at("USDC"), feed: await at("USDCFeed") },
    collaterals: {
      WETH: { token: await at("WETH"), feed: await at("WETHFeed") },
      WBTC: { token: await at("WBTC"), feed: await at("WBTCFeed") },
    },
  };
}

/** mainnet.json's mainnet addresses, each replaced by its local stand-in. */
type Swaps = Record<string, string>;

/**
 * The live-chain module (`Bulwark.ts`: every token and feed a parameter) deployed from mainnet.json, with the local
 * mocks standing in for mainnet's tokens and feeds and the default Hardhat accounts 1–3 for governance.
 */
async function deployLiveModule(): Promise<{ addresses: SystemAddresses; live: DeploymentParameters }> {
  const mocks = await ignition.deploy(LocalDependencies, { parameters: PARAMETERS });
  const book = JSON.parse(readFileSync("deploy/address-book/mainnet.json", "utf8")) as AddressBook;
  const swaps: Swaps = {
    [book.tokens.USDC.address]: await mocks.USDC.getAddress(),
    [book.tokens.WETH.address]: await mocks.WETH.getAddress(),
    [book.tokens.WBTC.address]: await mocks.WBTC.getAddress(),
    [book.chainlinkFeeds["USDC/USD"].proxy]: await mocks.USDCFeed.getAddress(),
    [book.chainlinkFeeds["ETH/USD"].proxy]: await mocks.WETHFeed.getAddress(),
    [book.chainlinkFeeds["BTC/USD"].proxy]: await mocks.WBTCFeed.getAddress(),
  };
  let text = readFileSync("deploy/parameters/mainnet.json", "utf8");
  for (const [mainnet, local] of Object.entries(swaps)) text = text.split(mainnet).join(local);
  const raw = JSON.parse(text, bigintReviver) as Record<string, Record<string, unknown>>;
  raw.Bulwark = {
    ...raw.Bulwark,
    proposer: proposer.address,
    executor: executor.address,
    guardian: guardian.address,
    allocatorAgent: keeper.address,
  };
  const deployed = await ignition.deploy(Bulwark, { parameters: raw as DeploymentParametersInput });
  const live = parseParameters(
    JSON.stringify(raw, (_key, value: unknown) => (typeof value === "bigint" ? `${value}n` : value)),
  );
  const recorded: Record<string, string> = {};
  for (const [name, futureId] of Object.entries(FUTURE_IDS)) {
    recorded[futureId] = await deployed[name as keyof typeof FUTURE_IDS].getAddress();
  }
  return { addresses: addressesFromDeployment(recorded, live), live };
}

/** The read-back's mismatches, with the whole table in the assertion message when there are any. */
async function readbackMismatches(addresses: SystemAddresses, p: DeploymentParameters = params) {
  const rows = await readBack(ethers.provider, addresses, p, { deployer: deployer.address });
  const bad = mismatches(rows);
  return { rows, bad, table: renderReadback(bad) };
}

describe("Deploy (Ignition)", function () {
  it("uses the local parameter file's governance accounts (the default Hardhat accounts 1–3)", function () {
    expect([params.governance.proposer, params.governance.executor, params.governance.guardian]).to.deep.equal([
      proposer.address,
      executor.address,
      guardian.address,
    ]);
  });

  it("deploys and wires everything as the parameter file says: the read-back finds no mismatch", async function () {
    const addresses = await loadFixture(deploySystem);
    const { rows, bad, table } = await readbackMismatches(addresses);
    expect(bad, table).to.deep.equal([]);
    // Every group of checks ran (10 contracts' wiring, 3 assets, governance).
    expect(rows.length).to.be.greaterThan(120);
    const owned = ["adapter", "vault", "engine", "breaker", "volatility", "riskManager", "rebalancer", "securityOps"];
    for (const name of owned) {
      expect(rows.find((row) => row.check === `${name}.owner`)?.actual).to.equal(addresses.timelock);
    }
    expect(rows.find((row) => row.check === "securityOps.liquidator.owner")?.actual).to.equal(addresses.securityOps);
  });

  it("deploys the vault linked to its four libraries, the lens, and a flash liquidator handed to SecurityOps", async function () {
    const a = await loadFixture(deploySystem);
    // The vault's code calls each library (at the offsets its artifact's link references give) at one address with code.
    const code = ethers.getBytes(await ethers.provider.getCode(a.vault));
    const artifact = await hre.artifacts.readArtifact("CollateralVault");
    const linked = new Map<string, Set<string>>();
    for (const libraries of Object.values(artifact.deployedLinkReferences ?? {})) {
      for (const [name, references] of Object.entries(libraries)) {
        const at = linked.get(name) ?? new Set<string>();
        for (const { start, length } of references) at.add(getAddress(hexlify(code.slice(start, start + length))));
        linked.set(name, at);
      }
    }
    expect([...linked.keys()].sort()).to.deep.equal([
      "CollateralBook",
      "LiquidationSettlement",
      "LossLedger",
      "VaultWiring",
    ]);
    for (const [name, at] of linked) {
      expect(at.size, name).to.equal(1);
      expect(await ethers.provider.getCode([...at][0]), name).to.not.equal("0x");
    }
    // The lens reads the vault's wiring.
    const lens = VaultLens__factory.connect(a.lens, ethers.provider);
    expect(await lens.liquidationEngine(a.vault)).to.equal(a.engine);
    // SecurityOps holds Ignition's liquidator and owns it, nothing pending; the timelock owns SecurityOps.
    const ops = SecurityOps__factory.connect(a.securityOps, ethers.provider);
    const liquidator = UniswapV3FlashLiquidator__factory.connect(a.liquidator, ethers.provider);
    expect(await ops.liquidator()).to.equal(a.liquidator);
    expect([await liquidator.owner(), await liquidator.pendingOwner()]).to.deep.equal([a.securityOps, ZeroAddress]);
    expect([await liquidator.engine(), await liquidator.vault(), await liquidator.base()]).to.deep.equal([
      a.engine,
      a.vault,
      a.base.token,
    ]);
    expect([await ops.owner(), await ops.pendingOwner()]).to.deep.equal([a.timelock, ZeroAddress]);
  });

  it("works end to end: deposit, collateral, borrow, a price fall through the local feed, a liquidation", async function () {
    const a = await loadFixture(deploySystem);
    const vault = CollateralVault__factory.connect(a.vault, ethers.provider);
    const lens = VaultLens__factory.connect(a.lens, ethers.provider);
    const engine = LiquidationEngine__factory.connect(a.engine, keeper);
    const usdc = MockERC20__factory.connect(a.base.token, ethers.provider);
    const weth = MockERC20__factory.connect(a.collaterals.WETH.token, ethers.provider);
    const feeds = [a.base.feed, a.collaterals.WETH.feed, a.collaterals.WBTC.feed].map((feed) =>
      TestAggregator__factory.connect(feed, stranger),
    );
    const wethFeed = feeds[1];

    await usdc.connect(lender).mint(lender.address, usd("1000000"));
    await usdc.connect(lender).approve(a.vault, MaxUint256);
    await vault.connect(lender).deposit(usd("1000000"), lender.address);
    await weth.connect(borrower).mint(borrower.address, wad("10"));
    await weth.connect(borrower).approve(a.vault, MaxUint256);
    await vault.connect(borrower).depositCollateral(a.collaterals.WETH.token, wad("10"), borrower.address);

    // A new outflow window, whose limit is a share of the cash lent; the feeds publish fresh rounds meanwhile.
    await time.increase(params.core.defaultTriggers.outflowWindow);
    for (const feed of feeds) await feed.push((await feed.latestRoundData())[1]);
    await vault.connect(borrower).borrow(usd("20000"), borrower.address);
    expect(await usdc.balanceOf(borrower.address)).to.equal(usd("20000"));
    expect(await lens.healthFactor(vault, borrower.address)).to.be.greaterThan(wad("1"));

    // WETH falls from $3,000 to $2,250 in two rounds (each inside the adapter's 20% jump bound): 10 WETH at the 85%
    // threshold now back $19,125 against $20,000 of debt.
    await wethFeed.push(feedAnswer("2600"));
    await wethFeed.push(feedAnswer("2250"));
    expect(await vault.isLiquidatable(borrower.address)).to.equal(true);
    const debtBefore = await vault.debtOf(borrower.address);

    await usdc.connect(keeper).mint(keeper.address, usd("100000"));
    await usdc.connect(keeper).approve(a.vault, MaxUint256);
    await engine.liquidate(borrower.address, a.collaterals.WETH.token, MaxUint256, keeper.address);

    expect(await weth.balanceOf(keeper.address)).to.be.greaterThan(0n);
    expect(await vault.debtOf(borrower.address)).to.be.lessThan(debtBefore);
    expect(await vault.isLiquidatable(borrower.address)).to.equal(false);
    // Back to the engine's target health (1.05), to rounding.
    expect(await lens.healthFactor(vault, borrower.address)).to.be.closeTo(wad("1.05"), wad("0.000001"));
  });

  it("leaves the timelock in sole control, with the configured delay: a change waits it out", async function () {
    const a = await loadFixture(deploySystem);
    const timelock = TimelockController__factory.connect(a.timelock, ethers.provider);
    const engine = LiquidationEngine__factory.connect(a.engine, ethers.provider);
    const delay = params.governance.minDelay;
    expect(delay).to.equal(2n * 86_400n);
    expect(await timelock.getMinDelay()).to.equal(delay);

    const newParams = { ...params.core.engineParams, dustValue: wad("200") };
    const data = engine.interface.encodeFunctionData("setParams", [newParams]);
    // The deployer kept nothing: neither the contracts nor a role on the timelock.
    await expect(engine.connect(deployer).setParams(newParams)).to.be.revertedWithCustomError(
      engine,
      "OwnableUnauthorizedAccount",
    );
    await expect(
      timelock.connect(deployer).schedule(a.engine, 0n, data, ZeroHash, ZeroHash, delay),
    ).to.be.revertedWithCustomError(timelock, "AccessControlUnauthorizedAccount");
    // The proposer cannot go below the delay, and the executor cannot run the change before it has passed.
    await expect(
      timelock.connect(proposer).schedule(a.engine, 0n, data, ZeroHash, ZeroHash, delay - 1n),
    ).to.be.revertedWithCustomError(timelock, "TimelockInsufficientDelay");
    await timelock.connect(proposer).schedule(a.engine, 0n, data, ZeroHash, ZeroHash, delay);
    await expect(
      timelock.connect(executor).execute(a.engine, 0n, data, ZeroHash, ZeroHash),
    ).to.be.revertedWithCustomError(timelock, "TimelockUnexpectedOperationState");
    await time.increase(delay - 60n);
    await expect(
      timelock.connect(executor).execute(a.engine, 0n, data, ZeroHash, ZeroHash),
    ).to.be.revertedWithCustomError(timelock, "TimelockUnexpectedOperationState");
    await time.increase(60n);
    await timelock.connect(executor).execute(a.engine, 0n, data, ZeroHash, ZeroHash);
    expect((await engine.params()).dustValue).to.equal(wad("200"));
  });

  it("reports, after a change through the timelock, every value that no longer matches the parameter file", async function () {
    const a = await loadFixture(deploySystem);
    const timelock = TimelockController__factory.connect(a.timelock, ethers.provider);
    const engine = LiquidationEngine__factory.connect(a.engine, ethers.provider);
    const breaker = CircuitBreaker__factory.connect(a.breaker, ethers.provider);
    const targets = [a.engine, a.breaker, a.timelock];
    const values = [0n, 0n, 0n];
    const payloads = [
      engine.interface.encodeFunctionData("setParams", [{ ...params.core.engineParams, dustValue: wad("200") }]),
      breaker.interface.encodeFunctionData("setGuardian", [stranger.address]),
      timelock.interface.encodeFunctionData("grantRole", [TIMELOCK_ROLES.PROPOSER_ROLE, stranger.address]),
    ];
    const delay = params.governance.minDelay;
    await timelock.connect(proposer).scheduleBatch(targets, values, payloads, ZeroHash, ZeroHash, delay);
    await time.increase(delay);
    await timelock.connect(executor).executeBatch(targets, values, payloads, ZeroHash, ZeroHash);

    const { bad } = await readbackMismatches(a);
    expect(bad.map((row) => [row.check, row.expected, row.actual])).to.deep.equal([
      ["timelock: unexpected role holders", "none", `PROPOSER_ROLE:${stranger.address}`],
      ["breaker.guardian", guardian.address, stranger.address],
      ["engine.params.dustValue", wad("100").toString(), wad("200").toString()],
    ]);
  });

  it("reports a parameter file that disagrees with the chain", async function () {
    const a = await loadFixture(deploySystem);
    const edited = loadParameters(PARAMETERS);
    edited.collaterals.WETH.collateral.borrowLtv = wad("0.75");
    edited.collaterals.WBTC.oracle.heartbeat = 7200n;
    edited.governance.minDelay = 86_400n;
    const { bad } = await readbackMismatches(a, edited);
    expect(bad.map((row) => row.check)).to.deep.equal([
      "timelock.getMinDelay",
      "vault.collateralInfo(WETH).borrowLtv",
      "adapter.assetConfig(WBTC).primary.heartbeat",
    ]);
  });
});

describe("Deploy (Ignition), live-chain module", function () {
  it("deploys Bulwark.ts from mainnet.json's parameters (local stand-ins for its tokens and feeds): no mismatch", async function () {
    const { addresses, live } = await loadFixture(deployLiveModule);
    const { rows, bad, table } = await readbackMismatches(addresses, live);
    expect(bad, table).to.deep.equal([]);
    expect(rows.length).to.be.greaterThan(120);
    // The mainnet heartbeats reached the adapter (USDC/USD: a day; ETH/USD and BTC/USD: an hour).
    const heartbeat = (symbol: string) =>
      rows.find((row) => row.check === `adapter.assetConfig(${symbol}).primary.heartbeat`);
    expect([heartbeat("USDC")?.actual, heartbeat("WETH")?.actual, heartbeat("WBTC")?.actual]).to.deep.equal([
      "86400",
      "3600",
      "3600",
    ]);
  });
});

describe("Deploy parameter files", function () {
  it("ships the policy the scripts and tests use: engine, breaker, triggers, risk and collateral defaults", function () {
    const big = (o: object): Record<string, bigint> =>
      Object.fromEntries(Object.entries(o).map(([k, v]) => [k, BigInt(v as bigint | number | string)]));
    // mainnet.json names no governance accounts (Ignition must refuse to start until someone adds them): add some.
    const mainnet = JSON.parse(readFileSync("deploy/parameters/mainnet.json", "utf8")) as Record<string, object>;
    const someone = "0x0000000000000000000000000000000000000001";
    mainnet.Bulwark = {
      ...mainnet.Bulwark,
      proposer: someone,
      executor: someone,
      guardian: someone,
      allocatorAgent: someone,
    };
    const files: Array<[string, DeploymentParameters]> = [
      ["deploy/parameters/hardhat.json", params],
      ["deploy/parameters/mainnet.json", parseParameters(JSON.stringify(mainnet), "mainnet.json")],
    ];
    for (const [file, p] of files) {
      expect(big(p.core.engineParams), file).to.deep.equal(big(DEFAULT_ENGINE_PARAMS));
      expect(big(p.core.breakerParams), file).to.deep.equal(big(DEFAULT_BREAKER_PARAMS));
      expect(big(p.core.riskParams), file).to.deep.equal(big(DEFAULT_RISK_PARAMS));
      expect(big(p.governance.securityOps), file).to.deep.equal(big(DEFAULT_SECURITY_OPS_CONFIG));
      expect(big(p.base.triggers), file).to.deep.equal(big(DEFAULT_BASE_TRIGGERS));
      for (const c of DEFAULT_COLLATERALS) {
        const cp = p.collaterals[c.symbol];
        expect(big(cp.triggers), `${file} ${c.symbol}`).to.deep.equal(big(DEFAULT_ASSET_TRIGGERS));
        expect(cp.collateral.borrowLtv, `${file} ${c.symbol}`).to.equal(c.borrowLtv);
        expect(cp.collateral.liquidationThreshold, `${file} ${c.symbol}`).to.equal(c.liquidationThreshold);
        expect(cp.collateral.liquidationBonus, `${file} ${c.symbol}`).to.equal(c.liquidationBonus);
        const reference = REFERENCE_VOLATILITY[c.symbol];
        expect(big(cp.tracking), `${file} ${c.symbol}`).to.deep.equal(big(defaultTracking(reference)));
        expect(big(cp.risk), `${file} ${c.symbol}`).to.deep.equal(big(defaultAssetRisk(reference)));
      }
    }
  });

  it("reads the local files, which deploy the same system", function () {
    expect(loadParameters("deploy/parameters/localhost.json")).to.deep.equal(params);
  });

  it("rejects unknown and malformed parameters rather than let a default stand in silently", function () {
    const raw = JSON.parse(readFileSync(PARAMETERS, "utf8")) as Record<string, Record<string, unknown>>;
    const misspelt = structuredClone(raw);
    misspelt.BulwarkWETH.secondaryFed = misspelt.BulwarkWETH.heartbeat;
    expect(() => parseParameters(JSON.stringify(misspelt))).to.throw("BulwarkWETH: unknown parameter(s) secondaryFed");
    const malformed = structuredClone(raw);
    malformed.BulwarkCore.reserveFactor = "0.1";
    expect(() => parseParameters(JSON.stringify(malformed))).to.throw("BulwarkCore.reserveFactor");
  });

  it("mainnet: names no governance account until one is added (so Ignition refuses to start); tokens and feeds are the address book's", function () {
    const text = readFileSync("deploy/parameters/mainnet.json", "utf8");
    expect(() => parseParameters(text)).to.throw("Bulwark.proposer: expected an address, got nothing");

    const raw = JSON.parse(text) as Record<string, Record<string, unknown>>;
    raw.Bulwark = {
      ...raw.Bulwark,
      proposer: stranger.address,
      executor: stranger.address,
      guardian: guardian.address,
      allocatorAgent: keeper.address,
    };
    const mainnet = parseParameters(JSON.stringify(raw));
    expect(mainnet.governance.allocator.agent).to.equal(keeper.address);
    expect(mainnet.governance.backstop.incomeShare).to.equal(2n * 10n ** 17n);
    const book = JSON.parse(readFileSync("deploy/address-book/mainnet.json", "utf8")) as AddressBook;
    expect(mainnet.core.baseToken).to.equal(book.tokens.USDC.address);
    expect(mainnet.base.oracle.feed).to.equal(book.chainlinkFeeds["USDC/USD"].proxy);
    expect(mainnet.base.oracle.heartbeat).to.equal(BigInt(book.chainlinkFeeds["USDC/USD"].heartbeatSeconds));
    for (const [symbol, feed] of [
      ["WETH", "ETH/USD"],
      ["WBTC", "BTC/USD"],
    ] as const) {
      expect(mainnet.collaterals[symbol].token).to.equal(book.tokens[symbol].address);
      expect(mainnet.collaterals[symbol].oracle.feed).to.equal(book.chainlinkFeeds[feed].proxy);
      expect(mainnet.collaterals[symbol].oracle.heartbeat).to.equal(BigInt(book.chainlinkFeeds[feed].heartbeatSeconds));
    }
  });
});
