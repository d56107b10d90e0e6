/**
 * What the parts of `npm run bench` (scripts/bench.ts) share: the command they report, the machine they ran on, the
 * compiler settings of the measured bytecode, how a figure file is written, and the gas recorder the gas tables use
 * (one transaction per row on the scripted `Timeline`, its receipt checked against what the scenario says).
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";

import type { ContractTransactionReceipt, ContractTransactionResponse } from "ethers";
import hre from "hardhat";
import type { SolidityBuildInfo } from "hardhat/types/solidity";

import type { Timeline } from "../chain.js";

export const COMMAND = "npm run bench";

/** Published transaction-level figures of comparable operations elsewhere; not measured here. */
export const REFERENCE = {
  supply: "Aave v3.6 supply ≈142–172k; Compound III supply base <124k",
  supplyCollateral: "Compound III supply collateral <153k",
  borrow: "Aave v3.6 borrow ≈215–250k",
  repay: "Aave v3.6 repay ≈158–162k",
  withdrawCollateral: "Compound III withdraw collateral <85k",
  liquidate: "Morpho Blue liquidate: side by side below (bench/results.json)",
} as const;

/** One row of a gas table. */
export interface Measurement {
  /** Key in bench/gas.json. */
  name: string;
  /** What exactly was measured. */
  scenario: string;
  reference?: string;
  gas: bigint;
}

export { machine, type Machine } from "../machine.js";

export interface CompilerSettings {
  solc: string;
  optimizerRuns: number;
  viaIR: boolean;
  evmVersion: string;
}

/** Build infos already read, by path: contracts of one compilation job share one (megabytes of JSON). */
const buildInfos = new Map<string, Promise<SolidityBuildInfo>>();

function readBuildInfo(file: string): Promise<SolidityBuildInfo> {
  let info = buildInfos.get(file);
  if (info === undefined) {
    info = readFile(file, "utf8").then((text) => JSON.parse(text) as SolidityBuildInfo);
    buildInfos.set(file, info);
  }
  return info;
}

/** Compiler version and settings of the build that produced `contract`'s measured bytecode. */
export async function compilerSettings(contract: string): Promise<CompilerSettings> {
  const id = await hre.artifacts.getBuildInfoId(contract);
  const file = id === undefined ? undefined : await hre.artifacts.getBuildInfoPath(id);
  if (file === undefined) throw new Error(`no build info for ${contract}: run \`node scripts/build.ts\``);
  const buildInfo = await readBuildInfo(file);
  const { optimizer, viaIR, evmVersion } = buildInfo.input.settings;
  if (optimizer.enabled !== true || optimizer.runs === undefined) {
    throw new Error(`${contract} was built without the optimizer (${JSON.stringify(optimizer)})`);
  }
  return {
    solc: buildInfo.solcVersion,
    optimizerRuns: optimizer.runs,
    viaIR: viaIR === true,
    evmVersion: evmVersion ?? "default",
  };
}

/** The Bulwark contracts a user operation or a liquidation runs: the benches record how each was compiled. */
export const USER_PATH_CONTRACTS = [
  "CollateralVault",
  "CircuitBreaker",
  "OracleAdapter",
  "KinkedRateModel",
  "LiquidationEngine",
  "LiquidationSettlement",
  "LossLedger",
] as const;

/** How `settings` compiled a contract, in a few words: "solc 0.8.28, via-IR, 200 runs, EVM cancun". */
export function describeSettings(settings: CompilerSettings): string {
  const pipeline = settings.viaIR ? ", via-IR" : "";
  return `solc ${settings.solc}${pipeline}, ${settings.optimizerRuns} runs, EVM ${settings.evmVersion}`;
}

/**
 * The settings each of `contracts` was compiled with (hardhat.config.ts compiles some through the IR pipeline at their
 * own optimizer runs), and one line naming each distinct setting and the contracts built with it.
 */
export async function settingsByContract(
  contracts: readonly string[],
): Promise<{ byContract: Record<string, CompilerSettings>; summary: string }> {
  const byContract: Record<string, CompilerSettings> = {};
  const groups = new Map<string, string[]>();
  for (const name of contracts) {
    const settings = await compilerSettings(name);
    byContract[name] = settings;
    const key = describeSettings(settings);
    groups.set(key, [...(groups.get(key) ?? []), name]);
  }
  const summary = [...groups].map(([key, names]) => `${names.join(", ")}: ${key}`).join("; ");
  return { byContract, summary };
}

/** Writes `report` to `file` as indented JSON with a final newline, creating its folder. */
export async function writeJson(file: string, report: unknown): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
}

/** Throws `scenario drifted: <message>` unless `condition` holds: the scenario is no longer what it says. */
export function expectScenario(condition: boolean, message: string): void {
  if (!condition) throw new Error(`scenario drifted: ${message}`);
}

/** A measured transaction: its row, and whether it must accrue interest in the scenario. */
export type GasEntry = Omit<Measurement, "gas"> & { accrues: boolean };

/** The rows of a gas table, each the receipt gasUsed of one transaction sent on the timeline. */
export class GasRecorder {
  readonly rows: Measurement[] = [];
  private readonly timeline: Timeline;
  /** The event whose presence in a receipt says the transaction accrued interest. */
  private readonly interestTopic: string;

  constructor(timeline: Timeline, interestTopic: string) {
    this.timeline = timeline;
    this.interestTopic = interestTopic;
  }

  /**
   * Sends one transaction and records its receipt's gasUsed. `entry.accrues` states whether the operation must
   * accrue interest in this scenario; the receipt is checked against it so that the scenario stays what it says.
   */
  async measure(
    entry: GasEntry,
    action: () => Promise<ContractTransactionResponse>,
  ): Promise<ContractTransactionReceipt> {
    const receipt = await this.timeline.send(action);
    const accrued = receipt.logs.some((log) => log.topics[0] === this.interestTopic);
    if (accrued !== entry.accrues) {
      throw new Error(`scenario drifted: ${entry.name} ${accrued ? "accrued" : "did not accrue"} interest`);
    }
    this.rows.push({ name: entry.name, scenario: entry.scenario, reference: entry.reference, gas: receipt.gasUsed });
    return receipt;
  }

  /** Adds rows measured otherwise (views, per-account shares of a batch, other tables). */
  add(...rows: Measurement[]): void {
    this.rows.push(...rows);
  }
}
