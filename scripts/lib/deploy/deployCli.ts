/**
 * `npm run deploy -- --network NAME [--parameters FILE] [--local | --live] [--reset]`: deploys the whole system with
 * Hardhat Ignition (deploy/modules/), as `npx hardhat ignition deploy` does, but like a tool: it builds the contracts
 * only (never the Solidity tests), prints one line per contract deployed and a heartbeat, and ends with the addresses
 * and the next command. The record goes where Ignition's CLI puts it (deploy/deployments/chain-<id>/), so either can
 * resume the other's deployment and `npm run readback` reads it.
 */
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

import {
  DeploymentResultType,
  deploy,
  type ArtifactResolver,
  type DeploymentResult,
  type ExecutionEventListener,
  type IgnitionModule,
  type DeploymentParameters as IgnitionParameters,
} from "@nomicfoundation/ignition-core";
import { getAddress, isAddress } from "ethers";
import hre from "hardhat";

import { UsageError, parseOptions, runCli } from "../cliArgs.js";
import { bigintReviver, loadParameters, FUTURE_IDS } from "../deployment.js";
import { addressesFromDeployment } from "../deploymentReadback.js";
import { describeError } from "../scriptRunner.js";
import { writeAddressBook } from "./addressBook.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
/** Chains on which `--reset` may delete an earlier record: the in-process and `hardhat node` chains. */
const LOCAL_CHAIN_IDS = new Set([31337, 1337]);
const HEARTBEAT_SECONDS = 10;

export interface DeployOptions {
  network: string;
  parameters: string;
  local: boolean;
  reset: boolean;
  /** Where the record goes; undefined: deploy/deployments/chain-<chain id>, where Ignition's CLI puts it. */
  deployment: string | undefined;
}

export function usage(): string {
  return [
    "usage: npm run deploy -- --network NAME [--parameters FILE] [--local | --live] [--reset] [--deployment DIR]",
    "Deploys Bulwark with Hardhat Ignition and hands it to the timelock; then `npm run readback -- --network NAME`.",
    "  --network NAME     a network of hardhat.config.ts: localhost (npx hardhat node), mainnet, chain (any EVM by URL)",
    "  --parameters FILE  the parameter file (default deploy/parameters/<NAME>.json)",
    "  --local            deploy mock tokens and feeds too (deploy/modules/BulwarkLocal.ts; the default on localhost)",
    "  --live             use the tokens and feeds the parameter file names (deploy/modules/Bulwark.ts; the default elsewhere)",
    "  --reset            on a local chain, delete an earlier record first (after restarting `npx hardhat node`)",
    "  --deployment DIR   where Ignition keeps the record (default deploy/deployments/chain-<chain id>)",
    "  -h, --help         this text",
  ].join("\n");
}

/** Parses the command line (without `node` and the script). Throws UsageError on a bad argument. */
export function parseDeployArgs(argv: readonly string[], root = ROOT): DeployOptions | "help" {
  const v = parseOptions(argv, {
    network: { type: "string" },
    parameters: { type: "string" },
    local: { type: "boolean" },
    live: { type: "boolean" },
    reset: { type: "boolean" },
    deployment: { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (v.help === true) return "help";
  if (v.network === undefined || v.network === "") throw new UsageError("--network NAME is required");
  if (v.local === true && v.live === true) throw new UsageError("give --local or --live, not both");
  const parameters = path.resolve(root, v.parameters ?? path.join("deploy", "parameters", `${v.network}.json`));
  if (!existsSync(parameters)) {
    throw new UsageError(
      `${path.relative(root, parameters)}: no such parameter file (give one with --parameters FILE)`,
    );
  }
  const local = v.local === true || (v.live !== true && (v.network === "localhost" || v.network === "hardhat"));
  const deployment = v.deployment === undefined ? undefined : path.resolve(root, v.deployment);
  return { network: v.network, parameters, local, reset: v.reset === true, deployment };
}

/** What an Ignition deployment record holds (and `npm run deploy` adds): nothing else may be in a directory --reset deletes. */
const RECORD_ENTRIES = new Set([
  "journal.jsonl",
  "deployed_addresses.json",
  "address-book.json",
  "artifacts",
  "build-info",
]);

/**
 * Refuses, before anything is deleted, to --reset anything but an Ignition record of a local chain: `dir` must be a
 * directory holding only a record's files, whose journal says it was written for `chainId`, a local chain's id. So a
 * mistyped --deployment (the project, `deploy/`, a file) or a live chain's record is never deleted.
 */
export function checkResettable(dir: string, chainId: number): void {
  const shown = path.relative(ROOT, dir) || ".";
  if (!LOCAL_CHAIN_IDS.has(chainId)) {
    throw new UsageError(`--reset only deletes records of local chains (31337, 1337), not of chain ${chainId}`);
  }
  if (!statSync(dir).isDirectory())
    throw new UsageError(`--reset: ${shown} is not a deployment record (not a directory)`);
  const strangers = readdirSync(dir).filter((entry) => !RECORD_ENTRIES.has(entry));
  if (strangers.length > 0) {
    throw new UsageError(`--reset: ${shown} is not a deployment record (it holds ${strangers.slice(0, 3).join(", ")})`);
  }
  const journal = path.join(dir, "journal.jsonl");
  // Ignition's journal starts with a blank line, then the DEPLOYMENT_INITIALIZE message naming the chain.
  const first = existsSync(journal)
    ? (readFileSync(journal, "utf8")
        .split("\n")
        .find((line) => line.trim() !== "") ?? "")
    : "";
  let recorded: unknown;
  try {
    recorded = (JSON.parse(first) as { chainId?: unknown }).chainId;
  } catch {
    recorded = undefined;
  }
  if (recorded !== chainId) {
    throw new UsageError(
      `--reset: ${shown} is not a record of chain ${chainId} (its journal says ${recorded === undefined ? "nothing" : `chain ${String(recorded)}`})`,
    );
  }
}

/** The failure of a deployment result, one line per future. */
export function resultErrors(result: DeploymentResult): string[] {
  switch (result.type) {
    case DeploymentResultType.SUCCESSFUL_DEPLOYMENT:
      return [];
    case DeploymentResultType.EXECUTION_ERROR:
      return [
        ...result.failed.map((f) => `${f.futureId}: ${f.error}`),
        ...result.timedOut.map((f) => `${f.futureId}: timed out (run again to resume)`),
        ...result.held.map((f) => `${f.futureId}: held: ${f.reason}`),
      ];
    default:
      return Object.entries(result.errors).flatMap(([future, errors]) => errors.map((e) => `${future}: ${e}`));
  }
}

const STAGE: Record<string, string> = {
  [DeploymentResultType.VALIDATION_ERROR]: "the module or its parameters are invalid",
  [DeploymentResultType.RECONCILIATION_ERROR]:
    "the earlier record does not match this module or parameters (on a restarted local node: --reset)",
  [DeploymentResultType.PREVIOUS_RUN_ERROR]: "an earlier run failed on these steps (fix the cause, then run again)",
  [DeploymentResultType.EXECUTION_ERROR]: "a transaction failed",
};

/** An Ignition listener that prints a line per contract deployed and counts the steps; every other event is ignored. */
function progressListener(
  log: (line: string) => void,
  progress: { done: number; total: number },
): ExecutionEventListener {
  const handlers: Partial<ExecutionEventListener> = {
    batchInitialize: async ({ batches }) => {
      progress.total = batches.flat().length;
      log(
        progress.total === 0
          ? "deploy: nothing to send: every step is in the record already"
          : `deploy: ${progress.total} steps in ${batches.length} batches`,
      );
    },
    deploymentExecutionStateComplete: async ({ futureId, result }) => {
      progress.done++;
      const value = "result" in result ? result.result : undefined;
      if (typeof value === "string" && isAddress(value)) {
        log(`deploy:   [${progress.done}/${progress.total}] ${futureId.padEnd(44)} ${value}`);
      }
    },
  };
  const ignore = async (): Promise<void> => {};
  return new Proxy(handlers, {
    get: (target, key: string) => target[key as keyof typeof target] ?? ignore,
  }) as ExecutionEventListener;
}

/** Runs the deployment; returns the exit status. */
async function run(options: DeployOptions): Promise<number> {
  const log = (line: string): void => void process.stdout.write(`${line}\n`);
  const params = loadParameters(options.parameters); // refuses a malformed file with the key at fault, first
  const deploymentParameters = JSON.parse(
    readFileSync(options.parameters, "utf8"),
    bigintReviver,
  ) as IgnitionParameters;
  const file = options.local ? "BulwarkLocal.ts" : "Bulwark.ts";
  const module = ((await import(path.join(ROOT, "deploy", "modules", file))) as { default: IgnitionModule }).default;
  const connection = await hre.network.connect({ network: options.network });
  const chainId = Number(await connection.provider.request({ method: "eth_chainId" }));
  const accounts = (await connection.provider.request({ method: "eth_accounts" })) as string[];
  if (accounts.length === 0) throw new Error(`network ${options.network} has no account to deploy from`);
  const deploymentDir = options.deployment ?? path.join(ROOT, "deploy", "deployments", `chain-${chainId}`);
  if (options.reset && existsSync(deploymentDir)) {
    checkResettable(deploymentDir, chainId);
    rmSync(deploymentDir, { recursive: true });
    log(`deploy: deleted the earlier record ${path.relative(ROOT, deploymentDir)}`);
  }
  const relativeParameters = path.relative(ROOT, options.parameters);
  log(
    `deploy: deploy/modules/${file} to ${options.network} (chain ${chainId}) from ${getAddress(accounts[0] ?? "")}, parameters ${relativeParameters}`,
  );
  const artifactResolver: ArtifactResolver = {
    loadArtifact: async (name) => await hre.artifacts.readArtifact(name),
    getBuildInfo: async (name) => {
      const id = await hre.artifacts.getBuildInfoId(name);
      const file = id === undefined ? undefined : await hre.artifacts.getBuildInfoPath(id);
      return file === undefined ? undefined : JSON.parse(readFileSync(file, "utf8"));
    },
  };
  const progress = { done: 0, total: 0 };
  const started = Date.now();
  const seconds = (): number => Math.round((Date.now() - started) / 1000);
  const heartbeat = setInterval(
    () => log(`deploy: ${progress.done}/${progress.total} steps, ${seconds()} s`),
    HEARTBEAT_SECONDS * 1000,
  );
  let result: DeploymentResult;
  try {
    result = await deploy({
      provider: connection.provider,
      artifactResolver,
      deploymentDir,
      executionEventListener: progressListener(log, progress),
      ignitionModule: module,
      deploymentParameters,
      accounts,
    });
  } finally {
    clearInterval(heartbeat);
  }
  const errors = resultErrors(result);
  if (result.type !== DeploymentResultType.SUCCESSFUL_DEPLOYMENT) {
    process.stderr.write(`deploy: failed: ${STAGE[result.type] ?? result.type}\n`);
    for (const line of errors) process.stderr.write(`  ${line}\n`);
    return 1;
  }
  // Ignition trusts its record: after a restarted `hardhat node` it reports every step done on a chain that has
  // none of the contracts.
  const vault = result.contracts[FUTURE_IDS.vault]?.address;
  const code =
    vault === undefined
      ? "0x"
      : await connection.provider.request({ method: "eth_getCode", params: [vault, "latest"] });
  if (code === "0x") {
    process.stderr.write(
      `deploy: failed: the record in ${path.relative(ROOT, deploymentDir)} names contracts chain ${chainId} does not have` +
        " (a restarted local node?): run again with --reset\n",
    );
    return 1;
  }
  const deployed = Object.fromEntries(Object.entries(result.contracts).map(([id, contract]) => [id, contract.address]));
  const book = path.join(deploymentDir, "address-book.json");
  const addresses = addressesFromDeployment(deployed, params);
  await writeAddressBook(book, connection.ethers.provider, chainId, addresses, params, options.local);
  const named = Object.entries(FUTURE_IDS).map(([name, id]) => [name, result.contracts[id]?.address ?? "?"] as const);
  log(`deploy: done in ${seconds()} s; the record is in ${path.relative(ROOT, deploymentDir)}`);
  log(`deploy: its address book (for npm run simulate -- --fork): ${path.relative(ROOT, book)}`);
  for (const [name, address] of named) log(`  ${name.padEnd(12)} ${address}`);
  const env = [
    ...(relativeParameters === path.join("deploy", "parameters", `${options.network}.json`)
      ? []
      : [`BULWARK_PARAMETERS=${relativeParameters}`]),
    ...(options.deployment === undefined ? [] : [`BULWARK_DEPLOYMENT=${path.relative(ROOT, deploymentDir)}`]),
  ];
  log(`next: ${[...env, "npm run readback --"].join(" ")} --network ${options.network}`);
  return 0;
}

/** Runs the CLI; returns the exit status. */
export const main = (argv: readonly string[]): Promise<number> =>
  runCli("deploy", argv, { parse: (args) => parseDeployArgs(args), usage, run: run, describe: describeError });
