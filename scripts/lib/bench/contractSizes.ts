/**
 * The size part of `npm run bench` (also `npm run sizes` on its own): the runtime bytecode of every contract that
 * ships (`contracts/`, the ones a deployment creates: contracts, and libraries with external functions) against
 * EIP-170's 24,576-byte limit, as a table and bench/sizes.json. The goals of issue 18 are checked at the end: the vault
 * at most 20,000 bytes (room for the fixes that follow), and no shipped contract above 22,000.
 */
import path from "node:path";

import hre from "hardhat";

import { formatInteger, renderTable } from "../format.js";
import { COMMAND, machine, settingsByContract, writeJson } from "./shared.js";

/** EIP-170: the largest runtime bytecode a chain accepts. */
export const EIP170_LIMIT = 24_576;
/** Issue 18's goals. */
export const VAULT_GOAL = 20_000;
export const CONTRACT_GOAL = 22_000;

const OUTPUT = path.join("bench", "sizes.json");

/** One shipped contract's runtime size. */
export interface ContractSize {
  name: string;
  source: string;
  runtimeBytes: number;
  headroomBytes: number;
}

/** Runtime sizes of the shipped contracts, largest first, from the current artifacts. */
export async function shippedSizes(): Promise<ContractSize[]> {
  const artifacts = [];
  for (const fullName of await hre.artifacts.getAllFullyQualifiedNames()) {
    const [source, name] = fullName.split(":");
    if (source.startsWith("contracts/"))
      artifacts.push({ source, name, artifact: await hre.artifacts.readArtifact(fullName) });
  }
  // Libraries a shipped contract links (their external functions take storage pointers, so they are not in the ABI).
  const linked = new Set<string>();
  for (const { artifact } of artifacts) {
    for (const [librarySource, libraries] of Object.entries(artifact.deployedLinkReferences ?? {})) {
      for (const library of Object.keys(libraries)) linked.add(`${librarySource}:${library}`);
    }
  }
  const sizes: ContractSize[] = [];
  for (const { source, name, artifact } of artifacts) {
    const runtimeBytes = (artifact.deployedBytecode.length - 2) / 2;
    // Interfaces and abstract contracts have no code; libraries with only internal functions are compiled into their
    // callers and never deployed (no function in the ABI, linked by nobody). Link references name sources as solc saw
    // them (with Hardhat's "project/" prefix), hence the suffix match.
    const hasFunctions = artifact.abi.some((entry: { type: string }) => entry.type === "function");
    const isLinked = [...linked].some((id) => id.endsWith(`${source}:${name}`));
    if (runtimeBytes === 0 || !(hasFunctions || isLinked)) continue;
    sizes.push({ name, source, runtimeBytes, headroomBytes: EIP170_LIMIT - runtimeBytes });
  }
  return sizes.sort((a, b) => b.runtimeBytes - a.runtimeBytes);
}

/** Prints the table and the goals, writes bench/sizes.json; throws if a shipped contract exceeds EIP-170. */
export async function sizesBench(): Promise<void> {
  const sizes = await shippedSizes();
  console.log(`Contract sizes: runtime bytecode of every shipped contract (EIP-170 limit ${EIP170_LIMIT} bytes)`);
  console.log(
    renderTable(
      [
        { header: "Contract" },
        { header: "Source" },
        { header: "Runtime bytes", align: "right" },
        { header: "Headroom", align: "right" },
      ],
      sizes.map((s) => [s.name, s.source, formatInteger(s.runtimeBytes), formatInteger(s.headroomBytes)]),
    ),
  );
  const vault = sizes.find((s) => s.name === "CollateralVault");
  if (vault === undefined) throw new Error("no CollateralVault artifact: run `node scripts/build.ts`");
  const largestOther = sizes.find((s) => s.name !== "CollateralVault");
  const goals = [
    { goal: `CollateralVault ≤ ${VAULT_GOAL}`, met: vault.runtimeBytes <= VAULT_GOAL, value: vault.runtimeBytes },
    {
      goal: `every other shipped contract ≤ ${CONTRACT_GOAL}`,
      met: largestOther === undefined || largestOther.runtimeBytes <= CONTRACT_GOAL,
      value: largestOther?.runtimeBytes ?? 0,
    },
  ];
  for (const g of goals) console.log(`${g.met ? "met" : "NOT met"}: ${g.goal} (${formatInteger(g.value)})`);
  // Each contract's own settings: hardhat.config.ts compiles some through the IR pipeline, at their own runs.
  const compiled = await settingsByContract(sizes.map((s) => s.name));
  await writeJson(OUTPUT, {
    machine: machine(),
    command: `${COMMAND} (or npm run sizes)`,
    limit: EIP170_LIMIT,
    goals,
    contracts: Object.fromEntries(
      sizes.map((s) => {
        const { solc, optimizerRuns, viaIR, evmVersion } = compiled.byContract[s.name];
        const built = { solc, optimizerRuns, viaIR, evmVersion };
        return [s.name, { source: s.source, runtimeBytes: s.runtimeBytes, headroomBytes: s.headroomBytes, ...built }];
      }),
    ),
  });
  console.log(`Wrote ${OUTPUT}.\n`);
  const over = sizes.filter((s) => s.headroomBytes < 0);
  if (over.length > 0) throw new Error(`over EIP-170: ${over.map((s) => `${s.name} (${s.runtimeBytes})`).join(", ")}`);
}
