/**
 * VaultStorage (contracts/libraries/VaultStorage.sol) reads the vault's stored words by slot, for the engine, the
 * breaker, the risk modules, the upkeep and VaultLens. Two checks that it reads the right words:
 * - the layout: every slot constant and every field position of a collateral's record, against the compiler's own
 *   storage layout of CollateralVault (recompiled from the build's exact input, with `storageLayout` selected);
 * - the values: every VaultLens read of a stored word against what the vault was told or emitted.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

import { expect } from "chai";
import { ZeroAddress } from "ethers";
import hre, { network } from "hardhat";
import type { SolidityBuildInfo } from "hardhat/types/solidity";

import { collateral } from "../../scripts/lib/testMarket.js";
import { emptyMarketFixture, usd, wad } from "./helpers/vault.js";
import { vaultSlots } from "./helpers/vaultSlots.js";

const { ethers, networkHelpers } = await network.create();

interface StorageEntry {
  label: string;
  slot: string;
  offset: number;
  type: string;
}
interface StorageType {
  members?: StorageEntry[];
}
interface StorageLayout {
  storage: StorageEntry[];
  types: Record<string, StorageType>;
}

/** The storage layouts of CollateralVault and of its VaultModule, compiled by the build's own solc from the vault's
 *  build input (which holds the module's source: the vault creates it). */
async function vaultLayouts(): Promise<{ vault: StorageLayout; module: StorageLayout }> {
  const id = await hre.artifacts.getBuildInfoId("CollateralVault");
  const file = id === undefined ? undefined : await hre.artifacts.getBuildInfoPath(id);
  if (file === undefined) throw new Error("no build info for CollateralVault: run `npm run build`");
  const buildInfo = JSON.parse(readFileSync(file, "utf8")) as SolidityBuildInfo;
  const source = Object.keys(buildInfo.input.sources).find((name) =>
    name.endsWith("contracts/core/CollateralVault.sol"),
  );
  if (source === undefined) throw new Error("CollateralVault.sol is not in its build info");
  const moduleSource = source.replace("CollateralVault.sol", "VaultModule.sol");
  const input = {
    ...buildInfo.input,
    // The layout does not depend on the optimizer; without it and without bytecode this takes seconds.
    settings: {
      ...buildInfo.input.settings,
      optimizer: { enabled: false },
      viaIR: false, // the layout is the same through either pipeline; the IR would only take longer
      outputSelection: {
        [source]: { CollateralVault: ["storageLayout"] },
        [moduleSource]: { VaultModule: ["storageLayout"] },
      },
    },
  };
  // The build's input holds every source of its job (over a megabyte when it is one job): load soljson through the
  // heap shim the build uses (scripts/solc/soljson-heap.cjs), as the stack copy of the stock wrapper overflows.
  const require = createRequire(import.meta.url);
  const wrap = require("solc/wrapper") as (soljson: unknown) => { compile(input: string): string };
  const solc = wrap(require("../../scripts/solc/soljson-heap.cjs"));
  const output = JSON.parse(solc.compile(JSON.stringify(input))) as {
    contracts: Record<string, Record<string, { storageLayout: StorageLayout }>>;
  };
  return {
    vault: output.contracts[source].CollateralVault.storageLayout,
    module: output.contracts[moduleSource].VaultModule.storageLayout,
  };
}

/** Where each slot constant must point: a top-level variable, or a member of a struct variable. */
const EXPECTED: Record<string, [variable: string, member?: string]> = {
  ORACLE: ["_oracle"],
  RATE_MODEL: ["_rateModel"],
  BORROW_CAP: ["_borrowCap"],
  ACCRUAL: ["_reserveFactor"],
  INDEX: ["_lending", "borrowIndex"],
  CASH: ["_lending", "cash"],
  POSITION: ["_lending", "positions"],
  ASSETS: ["_collateral", "assets"],
  OVER_CAP: ["_collateral", "overCap"],
  BALANCES: ["_collateral", "balances"],
  BAD_DEBT: ["_losses", "badDebt"],
  UNRECOVERED_LOSS: ["_losses", "unrecoveredLoss"],
  TOTAL_PROVISION: ["_losses", "totalProvision"],
  SHARES: ["_shares"],
  PROVISION: ["_losses", "provision"],
  PROTOCOL_COLLATERAL: ["_losses", "protocolCollateral"],
  RELEASE: ["_losses", "released"],
  ENGINE: ["_wiring", "engine"],
  BREAKER: ["_wiring", "breaker"],
  QUEUE: ["_wiring", "queue"],
  RISK_MANAGER: ["_wiring", "riskManager"],
  RECOVERY: ["_wiring", "recovery"],
  BACKSTOP: ["_backstop", "backstop"],
  BACKSTOP_BOOK: ["_backstop", "earmarked"],
  INCOME_MARK: ["_backstop", "incomeMark"],
};

describe("VaultStorage: the vault's slots", function () {
  let layout: StorageLayout;
  let moduleLayout: StorageLayout;

  before(async function () {
    this.timeout(120_000);
    ({ vault: layout, module: moduleLayout } = await vaultLayouts());
  });

  it("VaultModule, which runs on the vault's storage, places every VaultState variable where the vault does", function () {
    // The module's code runs by DELEGATECALL over the vault's storage: a variable one slot off would read and write
    // the wrong word. The module reserves the seven slots the vault inherits ahead of VaultState, and adds none.
    const stateVariables = layout.storage.filter((e) => Number(e.slot) >= 7);
    expect(stateVariables.map((e) => e.label)).to.include.members(["_oracle", "_lending", "_collateral", "_shares"]);
    const placed = (e: StorageEntry) => [e.label, Number(e.slot), e.offset, e.type];
    expect(moduleLayout.storage.filter((e) => Number(e.slot) >= 7).map(placed)).to.deep.equal(
      stateVariables.map(placed),
    );
    expect(moduleLayout.storage.filter((e) => Number(e.slot) < 7).map((e) => e.label)).to.deep.equal([
      "_inheritedSlots",
    ]);
    expect(Number(moduleLayout.storage[0].slot)).to.equal(0);
  });

  /** The type id of the struct named `name` in the vault's layout. */
  function structType(name: string): string | undefined {
    return Object.keys(layout.types).find((t) => t.startsWith(`t_struct(${name})`));
  }

  /** Each member of the struct type `type`: its name, slot (from the struct's first) and byte offset in the slot. */
  function fields(type: string | undefined): [string, number, number][] {
    return (layout.types[type ?? ""]?.members ?? []).map((m) => [m.label, Number(m.slot), m.offset]);
  }

  function slotOf(variable: string, member?: string): number {
    const entry = layout.storage.find((e) => e.label === variable);
    if (entry === undefined) throw new Error(`the vault has no state variable ${variable}`);
    if (member === undefined) return Number(entry.slot);
    const field = layout.types[entry.type].members?.find((m) => m.label === member);
    if (field === undefined) throw new Error(`${variable} has no member ${member}`);
    return Number(entry.slot) + Number(field.slot);
  }

  it("BackstopLink's own copy of the backstop's slot (LiquidationSettlement reads the link there) is VaultStorage's", function () {
    const text = readFileSync("contracts/core/BackstopLink.sol", "utf8");
    const match = /uint256 internal constant VAULT_SLOT = (\d+);/.exec(text);
    expect(Number(match?.[1])).to.equal(vaultSlots().get("BACKSTOP"));
  });

  it("every slot constant points at the variable it names", function () {
    const constants = vaultSlots();
    expect([...constants.keys()].sort()).to.deep.equal(Object.keys(EXPECTED).sort());
    for (const [name, [variable, member]] of Object.entries(EXPECTED)) {
      expect(constants.get(name), `${name}_SLOT`).to.equal(slotOf(variable, member));
    }
  });

  it("the accrual word packs the reserve factor and its boost at bits 0 and 64", function () {
    const accrual = slotOf("_reserveFactor");
    for (const [label, offset] of [
      ["_reserveFactor", 0],
      ["_reserveBoost", 8],
    ] as const) {
      const entry = layout.storage.find((e) => e.label === label);
      expect([Number(entry?.slot), entry?.offset], label).to.deep.equal([accrual, offset]);
    }
  });

  it("the loss ledger packs Σ provision with the running release's start and end (bits 0, 128, 192)", function () {
    const losses = fields(layout.storage.find((e) => e.label === "_losses")?.type);
    expect(
      losses.filter(([label]) => ["totalProvision", "releaseStart", "releaseEnd", "released"].includes(label)),
    ).to.deep.equal([
      ["totalProvision", 2, 0],
      ["releaseStart", 2, 16],
      ["releaseEnd", 2, 24],
      ["released", 5, 0],
    ]);
  });

  it("a balance (a lender's shares, a holding) keeps its amount in bits 0–127 and its credit word in 128–255", function () {
    expect(fields(structType("Balance"))).to.deep.equal([
      ["amount", 0, 0],
      ["credit", 0, 16],
    ]);
  });

  it("the lending book packs cash with the share supply, reserves with the total scaled debt, and the index with the last accrual time", function () {
    const lending = fields(layout.storage.find((e) => e.label === "_lending")?.type);
    expect(lending.slice(0, 6)).to.deep.equal([
      ["cash", 0, 0], // bits 0–127, where VaultStorage.cash reads it
      ["shareSupply", 0, 16],
      ["reserves", 1, 0],
      ["totalScaledDebt", 1, 16],
      ["borrowIndex", 2, 0],
      ["lastAccrual", 2, 27], // bit 216, where VaultStorage.lastAccrual reads it
    ]);
  });

  it("an account's position packs its scaled debt, borrower credit word, holdings and past-cap bits at bits 0, 96, 224 and 240", function () {
    expect(fields(structType("Position"))).to.deep.equal([
      ["scaledDebt", 0, 0],
      ["borrowCredit", 0, 12],
      ["holdings", 0, 28],
      ["pastCap", 0, 30],
    ]);
  });

  it("a collateral record's words and fields are where VaultStorage reads them", function () {
    const assets = layout.storage.find((e) => e.label === "_collateral");
    const book = layout.types[assets?.type ?? ""].members?.find((m) => m.label === "assets");
    // mapping(address => Asset): the value type is the last type id in the mapping's own type string.
    const assetType = Object.keys(layout.types).find((t) => t.startsWith("t_struct(Asset)"));
    expect(book, "CollateralBook.Book.assets").to.not.equal(undefined);
    const members = layout.types[assetType ?? ""].members ?? [];
    const at = (label: string): [number, number] => {
      const m = members.find((x) => x.label === label);
      return [Number(m?.slot), m?.offset ?? -1];
    };
    // CONFIG = 0 (LTV, threshold, bonus at bits 0, 64, 128), SUPPLY_CAP = 1, TERMS = 2 (decimals bits 0-7, index
    // 8-15, listed 16-23, ramp start 24-63, LTV cap 64-127, threshold cap 128-191), TOTAL_DEPOSITED = 3, RAMP = 4.
    expect(at("config")).to.deep.equal([0, 0]);
    expect(fields(structType("CollateralConfig"))).to.deep.equal([
      ["borrowLtv", 0, 0],
      ["liquidationThreshold", 0, 8],
      ["liquidationBonus", 0, 16],
      ["supplyCap", 1, 0],
    ]);
    expect(at("decimals")).to.deep.equal([2, 0]);
    expect(at("index")).to.deep.equal([2, 1]);
    expect(at("listed")).to.deep.equal([2, 2]);
    expect(at("rampStart")).to.deep.equal([2, 3]);
    expect(at("ltvCap")).to.deep.equal([2, 8]);
    expect(at("thresholdCap")).to.deep.equal([2, 16]);
    expect(at("totalDeposited")).to.deep.equal([3, 0]);
    expect(at("ramp")).to.deep.equal([4, 0]);
    const rampType = Object.keys(layout.types).find((t) => t.startsWith("t_struct(RiskRamp)"));
    expect((layout.types[rampType ?? ""].members ?? []).map((m) => [m.label, Number(m.slot), m.offset])).to.deep.equal([
      ["ltvFrom", 0, 0],
      ["ltvTarget", 0, 8],
      ["thresholdFrom", 0, 16],
      ["thresholdTarget", 0, 24],
    ]);
  });

  it("VaultLens reads back what the vault was told: wiring, parameters, records, caps, ramp, debt and accrual", async function () {
    const f = await networkHelpers.loadFixture(emptyMarketFixture);
    const { vault, lens, owner } = f;
    const weth = collateral(f, "WETH");
    const [oracle, rateModel, reserveFactor, borrowCap] = await lens.parameters(vault);
    expect(oracle).to.not.equal(ZeroAddress);
    expect(rateModel).to.equal(await f.rateModel.getAddress());
    expect(reserveFactor).to.equal(wad("0.10"));
    expect(borrowCap).to.equal(usd("100000000"));
    expect(await lens.liquidationEngine(vault)).to.equal(await f.engine.getAddress());
    expect(await lens.circuitBreaker(vault)).to.deep.equal([await f.breaker.getAddress(), await f.queue.getAddress()]);

    const [config, decimals, totalBefore] = await lens.collateralInfo(vault, weth);
    expect(decimals).to.equal(18n);
    expect(config.liquidationThreshold).to.equal((await vault.riskParams(weth))[1]);
    await (await vault.connect(f.borrower).depositCollateral(weth, wad("10"), f.borrower.address)).wait();
    expect((await lens.collateralInfo(vault, weth)).totalDeposited).to.equal(totalBefore + wad("10"));

    // The risk manager's caps and the ramp they restart (the owner stands in as the risk manager).
    await (await vault.connect(owner).setRiskModules(owner.address, f.alice.address)).wait();
    const receipt = await (await vault.connect(owner).setRiskCaps(weth, wad("0.5"), wad("0.7"))).wait();
    const started = receipt?.logs
      .map((log) => vault.interface.parseLog(log))
      .find((event) => event?.name === "RiskRampStarted");
    const block = await ethers.provider.getBlock(receipt?.blockNumber ?? 0);
    const [ramp, start, ltvCap, thresholdCap] = await lens.riskRamp(vault, weth);
    expect([ltvCap, thresholdCap]).to.deep.equal([wad("0.5"), wad("0.7")]);
    expect(start).to.equal(BigInt(block?.timestamp ?? 0));
    expect([...ramp]).to.deep.equal([...(started?.args.ramp ?? [])]);
    await (await vault.connect(owner).setReserveBoost(wad("0.05"))).wait();
    expect(await lens.riskModules(vault)).to.deep.equal([owner.address, f.alice.address, wad("0.05")]);

    // Debt: the scaled amount the Borrowed event reported, and the accrual time of that block.
    await (await vault.connect(f.lender).deposit(usd("100000"), f.lender.address)).wait();
    const borrowed = await (await vault.connect(f.borrower).borrow(usd("1000"), f.borrower.address)).wait();
    const event = borrowed?.logs.map((log) => vault.interface.parseLog(log)).find((e) => e?.name === "Borrowed");
    expect(await lens.scaledDebtOf(vault, f.borrower.address)).to.equal(event?.args.scaledAmount);
    const borrowBlock = await ethers.provider.getBlock(borrowed?.blockNumber ?? 0);
    expect(await lens.lastAccrual(vault)).to.equal(BigInt(borrowBlock?.timestamp ?? 0));

    // Nothing written off or provisioned yet.
    expect(await lens.totalProvision(vault)).to.equal(0n);
    expect(await lens.provisionOf(vault, f.borrower.address)).to.equal(0n);
    expect(await lens.unrecoveredLoss(vault)).to.equal(0n);
    expect(await lens.protocolCollateral(vault, weth)).to.equal(0n);
    await expect(lens.collateralInfo(vault, f.usdc)).to.be.revertedWithCustomError(vault, "AssetNotListed");
  });
});
