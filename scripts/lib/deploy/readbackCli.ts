/**
 * `npm run readback -- --network NAME [--json]`: reads a deployed Bulwark system back from the chain and compares it
 * with the parameter file it was deployed from (scripts/lib/deploymentReadback.ts lists everything it checks). Prints
 * expected against actual in units (%, hours, USDC, named addresses), or the raw values as JSON with `--json`; exits
 * 1 on any mismatch. Inputs, each overridable by an environment variable:
 *
 *   BULWARK_PARAMETERS   the parameter file (default deploy/parameters/<network>.json)
 *   BULWARK_DEPLOYMENT   Ignition's deployment directory (default deploy/deployments/chain-<chain id>), whose
 *                        deployed_addresses.json gives the addresses
 *   BULWARK_DEPLOYER     the deploying account, which must hold no timelock role (default: the network's first
 *                        account, which is the account Ignition deployed from)
 *   BULWARK_FROM_BLOCK   first block scanned for timelock events (default 0; on a long chain, the deployment block)
 */
import path from "node:path";
import { fileURLToPath } from "node:url";

import { getAddress } from "ethers";
import hre from "hardhat";

import { UsageError, parseOptions, runCli } from "../cliArgs.js";
import { loadParameters } from "../deployment.js";
import {
  addressNames,
  addressesFromDeployment,
  loadDeployedAddresses,
  mismatches,
  readBack,
  renderReadback,
} from "../deploymentReadback.js";
import { formatCheck, formatPair } from "../readbackFormat.js";
import { describeError } from "../scriptRunner.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

export interface ReadbackOptions {
  network: string;
  json: boolean;
}

export function usage(): string {
  return [
    "usage: npm run readback -- --network NAME [--json]",
    "Reads a deployed Bulwark back and compares every parameter, role and wire with its parameter file; exit 1 on a",
    "mismatch.",
    "  --network NAME  the network it was deployed to (localhost, mainnet, chain, …)",
    "  --json          the rows as JSON on stdout, raw values (integers, full addresses) with their unit",
    "  -h, --help      this text",
    "Environment: BULWARK_PARAMETERS (default deploy/parameters/<NAME>.json), BULWARK_DEPLOYMENT (default",
    "deploy/deployments/chain-<id>), BULWARK_DEPLOYER (default the network's first account), BULWARK_FROM_BLOCK (default 0).",
  ].join("\n");
}

/** Parses the command line (without `node` and the script). Throws UsageError on a bad argument. */
export function parseReadbackArgs(argv: readonly string[]): ReadbackOptions | "help" {
  const v = parseOptions(argv, {
    network: { type: "string" },
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (v.help === true) return "help";
  if (v.network === undefined || v.network === "") throw new UsageError("--network NAME is required");
  return { network: v.network, json: v.json === true };
}

async function run(options: ReadbackOptions): Promise<number> {
  const parametersFile = process.env.BULWARK_PARAMETERS ?? path.join("deploy", "parameters", `${options.network}.json`);
  const rawFrom = process.env.BULWARK_FROM_BLOCK;
  if (rawFrom !== undefined && !/^\d+$/.test(rawFrom)) {
    throw new UsageError(`the environment variable BULWARK_FROM_BLOCK must be a block number, got "${rawFrom}"`);
  }
  const fromBlock = Number(rawFrom ?? "0");
  const params = loadParameters(path.resolve(ROOT, parametersFile));
  const { ethers } = await hre.network.connect({ network: options.network });
  const chainId = (await ethers.provider.getNetwork()).chainId;
  const deploymentDir = process.env.BULWARK_DEPLOYMENT ?? path.join("deploy", "deployments", `chain-${chainId}`);
  const addresses = addressesFromDeployment(loadDeployedAddresses(path.resolve(ROOT, deploymentDir)), params);
  let deployer = process.env.BULWARK_DEPLOYER;
  if (deployer === undefined) {
    const [first] = await ethers.getSigners();
    if (first === undefined) throw new Error("no account configured for this network: set BULWARK_DEPLOYER");
    deployer = first.address;
  }
  const log = (line: string): void => void (options.json ? process.stderr : process.stdout).write(`${line}\n`);
  log(`Bulwark read-back on ${options.network} (chain ${chainId})`);
  log(`  parameters  ${parametersFile}`);
  log(`  deployment  ${deploymentDir}`);
  log(`  deployer    ${deployer}\n`);
  const rows = await readBack(ethers.provider, addresses, params, { deployer, fromBlock });
  const bad = mismatches(rows);
  const names = addressNames(addresses);
  const { proposer, executor, guardian } = params.governance;
  for (const [name, account] of Object.entries({ proposer, executor, guardian })) {
    const key = getAddress(account);
    names.set(key, names.has(key) ? `${names.get(key)}, ${name}` : name);
  }
  if (options.json) {
    const report = {
      network: options.network,
      chainId: Number(chainId),
      parametersFile,
      deploymentDir,
      deployer,
      rows,
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    log(renderReadback(rows, names));
  }
  log(`\n${rows.length} values checked, ${bad.length} mismatch${bad.length === 1 ? "" : "es"}`);
  for (const row of bad) {
    const [expected, actual] = formatPair(row.expected, row.actual, row.unit, names);
    process.stderr.write(`MISMATCH ${formatCheck(row.check, names)}: expected ${expected}, actual ${actual}\n`);
  }
  return bad.length === 0 ? 0 : 1;
}

/** Runs the CLI; returns the exit status. */
export const main = (argv: readonly string[]): Promise<number> =>
  runCli("readback", argv, { parse: (args) => parseReadbackArgs(args), usage, run: run, describe: describeError });
