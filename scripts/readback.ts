// `npm run readback -- --network <name>`
//
// Reads a deployed Bulwark system back from the chain and compares it with the parameter file it was deployed from
// (see scripts/lib/deploymentReadback.ts for everything it checks); prints expected against actual for every value and exits
// with status 1 on any mismatch. Inputs, each overridable by an environment variable:
//
//   BULWARK_PARAMETERS   the parameter file (default deploy/parameters/<network>.json)
//   BULWARK_DEPLOYMENT   Ignition's deployment directory (default deploy/deployments/chain-<chain id>), whose
//                        deployed_addresses.json gives the addresses
//   BULWARK_DEPLOYER     the deploying account, which must hold no timelock role (default: the network's first
//                        account, which is the account Ignition deployed from)
//   BULWARK_FROM_BLOCK   first block scanned for timelock events (default 0; on a long chain, the deployment block)
import { readFileSync } from "node:fs";
import path from "node:path";

import { network } from "hardhat";

import { runScript } from "./lib/scriptRunner.js";
import { loadParameters } from "./lib/deployment.js";
import { addressesFromDeployment, mismatches, readBack, renderReadback } from "./lib/deploymentReadback.js";

await runScript("readback", async () => {
  const { ethers, networkName } = await network.getOrCreate();
  const chainId = (await ethers.provider.getNetwork()).chainId;
  const parametersFile = process.env.BULWARK_PARAMETERS ?? path.join("deploy", "parameters", `${networkName}.json`);
  const deploymentDir = process.env.BULWARK_DEPLOYMENT ?? path.join("deploy", "deployments", `chain-${chainId}`);
  const params = loadParameters(parametersFile);
  const deployedFile = path.join(deploymentDir, "deployed_addresses.json");
  const deployed: unknown = JSON.parse(readFileSync(deployedFile, "utf8"));
  if (typeof deployed !== "object" || deployed === null) throw new Error(`${deployedFile}: expected a JSON object`);
  const addresses = addressesFromDeployment(
    Object.fromEntries(
      Object.entries(deployed).filter((entry): entry is [string, string] => typeof entry[1] === "string"),
    ),
    params,
  );
  let deployer = process.env.BULWARK_DEPLOYER;
  if (deployer === undefined) {
    const [first] = await ethers.getSigners();
    if (first === undefined) throw new Error("no account configured for this network: set BULWARK_DEPLOYER");
    deployer = first.address;
  }
  const fromBlock = Number(process.env.BULWARK_FROM_BLOCK ?? "0");

  console.log(`Bulwark read-back on ${networkName} (chain ${chainId})`);
  console.log(`  parameters ${parametersFile}, deployment ${deploymentDir}, deployer ${deployer}\n`);
  const rows = await readBack(ethers.provider, addresses, params, { deployer, fromBlock });
  console.log(renderReadback(rows));
  const bad = mismatches(rows);
  console.log(`\n${rows.length} values checked, ${bad.length} mismatch${bad.length === 1 ? "" : "es"}`);
  if (bad.length > 0) {
    for (const row of bad) console.error(`MISMATCH ${row.check}: expected ${row.expected}, actual ${row.actual}`);
    process.exitCode = 1;
  }
});
