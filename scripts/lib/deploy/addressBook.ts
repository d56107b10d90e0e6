/**
 * The address book of a deployment, written beside Ignition's record (`deploy/deployments/chain-<id>/
 * address-book.json`) in deploy/address-book/mainnet.json's format: the tokens and Chainlink-style feeds the
 * deployment uses, so `npm run simulate -- --fork URL` can replay a crash on a fork of that chain. On a chain whose id
 * has such a record, fork mode uses it by default.
 *
 * A local deployment has no Uniswap v3, so its book names none (fork mode then deploys its own pools on the fork).
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";

import { Contract, type ContractRunner } from "ethers";

import type { SystemAddresses } from "../deploymentReadback.js";
import type { DeploymentParameters } from "../deployment.js";
import { assetSpec } from "../sim/scenarios.js";

const DECIMALS_ABI = ["function decimals() view returns (uint8)"];

/** Where the address book of chain `chainId`'s deployment record is, under the project `root`. */
export const recordAddressBook = (root: string, chainId: number | bigint): string =>
  path.join(root, "deploy", "deployments", `chain-${chainId}`, "address-book.json");

/** Writes the address book of the deployment `a` (deployed from `params`) on chain `chainId` to `file`. */
export async function writeAddressBook(
  file: string,
  runner: ContractRunner,
  chainId: number,
  a: SystemAddresses,
  params: DeploymentParameters,
  local: boolean,
): Promise<void> {
  const decimals = async (address: string): Promise<number> =>
    Number(await new Contract(address, DECIMALS_ABI, runner).getFunction("decimals").staticCall());
  const assets = [
    { symbol: "USDC", ...a.base, heartbeat: params.base.oracle.heartbeat },
    ...Object.entries(a.collaterals).map(([symbol, asset]) => ({
      symbol,
      ...asset,
      heartbeat: params.collaterals[symbol]?.oracle.heartbeat ?? 3600n,
    })),
  ];
  const chainlinkFeeds: Record<string, object> = {};
  const tokens: Record<string, object> = {};
  for (const asset of assets) {
    const pair = `${asset.symbol}/USD`;
    const deviation = (assetSpec(asset.symbol)?.deviation ?? 0.005) * 100;
    chainlinkFeeds[pair] = {
      proxy: asset.feed,
      decimals: await decimals(asset.feed),
      heartbeatSeconds: Number(asset.heartbeat),
      deviationThreshold: `${deviation}%`,
    };
    tokens[asset.symbol] = { address: asset.token, decimals: await decimals(asset.token), feed: pair };
  }
  const book = {
    chainId,
    about:
      `Written by npm run deploy from its Ignition record on chain ${chainId}: the tokens and feeds this deployment ` +
      (local
        ? "uses (its mock tokens and test feeds). No Uniswap v3 on this chain: fork mode deploys its own pools."
        : "uses. Fork mode needs Uniswap v3 pools: add this chain's factory as uniswapV3.factory.address."),
    chainlinkFeeds,
    tokens,
  };
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(book, null, 2)}\n`);
}

/** The chain id `url` answers eth_chainId with; undefined when it does not answer within `timeoutMs`. */
export async function chainIdAt(url: string, timeoutMs = 10_000): Promise<number | undefined> {
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = (await response.json()) as { result?: string };
    return body.result === undefined ? undefined : Number(BigInt(body.result));
  } catch {
    return undefined;
  }
}

/** Chain ids of local chains (`hardhat node`, the in-process chain, Ganache-style nodes). */
const LOCAL_CHAIN_IDS = new Set([31337, 1337]);

/**
 * The record's address book for the chain at `url`, if it is a local chain and its deployment wrote one under
 * `root`. Only for local chains: on a live chain the record's book names no Uniswap v3, and fork mode should trade in
 * that chain's real pools (deploy/address-book/mainnet.json).
 */
export async function localAddressBook(root: string, url: string, timeoutMs?: number): Promise<string | undefined> {
  const chainId = await chainIdAt(url, timeoutMs);
  if (chainId === undefined || !LOCAL_CHAIN_IDS.has(chainId)) return undefined;
  const file = recordAddressBook(root, chainId);
  return existsSync(file) ? file : undefined;
}
