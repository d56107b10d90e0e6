/**
 * `npm run keeper -- --rpc URL [options]`: the keeper bot against a live RPC (see `usage()` below, and keeper.ts for
 * what it does each block). Runs under plain Node (type stripping), started by `scripts/keeper.ts`.
 *
 * Start-up, each step with an error a user can act on when it fails: check the arguments and the key; reach the RPC
 * (`eth_chainId`); read the addresses from Ignition's record (`deploy/deployments/chain-<id>/deployed_addresses.json`
 * by default, or `--deployment DIR`, or `--vault ADDR`) and check there is a vault there; find the other contracts
 * from the vault's wiring; get a liquidator (`--liquidator ADDR`, which the wallet must own, or a new
 * UniswapV3FlashLiquidator deployed by the wallet) and set its pools from `--pool`; then follow the chain, logging
 * `ready` once it does. SIGINT/SIGTERM end it cleanly (`stopped`, exit 0).
 */
import { UsageError, parseOptions, usageLine, wholeNumber } from "../cliArgs.js";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

import {
  JsonRpcProvider,
  Network,
  Wallet,
  getAddress,
  isAddress,
  parseUnits,
  type Provider,
  type Signer,
} from "ethers";

import { MockERC20__factory } from "../../../typechain-types/index.js";
import { FUTURE_IDS } from "../deployment.js";
import { contractsFromDeployment, loadDeployedAddresses } from "../deploymentReadback.js";
import { Logger, type LogLevel } from "./log.js";
import {
  Keeper,
  deployLens,
  deployLiquidator,
  discoverContracts,
  setLiquidatorPools,
  type KeeperOptions,
} from "./keeper.js";
import { describeError } from "./rpc.js";

/** The repository root (scripts/lib/keeper/ → ../../..). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

export const DEFAULT_KEY_ENV = "KEEPER_PRIVATE_KEY";

export interface CliOptions {
  rpc: string;
  dryRun: boolean;
  deployment?: string;
  vault?: string;
  /** `--lens ADDR`: a VaultLens (default: the deployment record's, or one the wallet deploys). */
  lens?: string;
  keyEnv: string;
  liquidator?: string;
  /** `--pool SYMBOL=ADDR` (or `TOKEN=ADDR`), as given. */
  pools: Array<{ asset: string; pool: string }>;
  intervalMs: number;
  fromBlock?: number;
  maxPerBlock: number;
  /** Whole base tokens, as given ("0", "2.5"). */
  minProfit: string;
  pokeIntervalSeconds: number;
  batch: boolean;
  once: boolean;
  logLevel: LogLevel;
}

/** A mistake on the command line: one line, exit status 2. */
export { UsageError };

export function usage(): string {
  return [
    "usage: npm run keeper -- --rpc URL [options]      (or: node scripts/keeper.ts --rpc URL [options])",
    "  --rpc URL              JSON-RPC endpoint (required)",
    "  --dry-run              simulate and log every transaction, send none (needs no key)",
    "  --deployment DIR       Ignition deployment directory (default deploy/deployments/chain-<chain id>)",
    "  --vault ADDR           the vault, instead of reading a deployment record",
    "  --lens ADDR            a VaultLens, for reads the vault does not serve (default: the deployment record's;",
    "                         with --vault, one the wallet deploys)",
    `  --key-env NAME         environment variable holding the wallet's private key (default ${DEFAULT_KEY_ENV})`,
    "  --liquidator ADDR      a UniswapV3FlashLiquidator the wallet owns (default: deploy a new one)",
    "  --pool SYMBOL=ADDR     Uniswap v3 pool to sell a collateral in (SYMBOL or token address); repeatable",
    "  --interval-ms N        milliseconds between polls of the block number (default 2000)",
    "  --from-block N         first block of the vault's events to index (default: the vault's deployment block)",
    "  --max-per-block N      most liquidations per block (default 10)",
    "  --min-profit AMOUNT    base tokens each liquidation must leave the liquidator, e.g. 5 or 2.5 (default 0)",
    "  --poke-interval S      poke every circuit-breaker entry at least every S seconds of chain time (default 600)",
    "  --no-batch             send liquidations one by one, never as a batch",
    "  --once                 process the latest block once and exit",
    "  --log-level LEVEL      debug, info, warn or error (default info)",
    "Logs are JSON lines on stdout.",
  ].join("\n");
}

const integer = (name: string, raw: string | undefined, fallback: number, min = 0): number =>
  wholeNumber(name, raw, fallback, min);

const address = (name: string, raw: string | undefined): string | undefined => {
  if (raw === undefined) return undefined;
  if (!isAddress(raw)) throw new UsageError(`--${name} must be an address, got "${raw}"`);
  return getAddress(raw);
};

/** Parses the command line (without `node` and the script). Throws UsageError on a bad argument. */
export function parseCliArgs(argv: readonly string[]): CliOptions | "help" {
  const v = parseOptions(argv, {
    rpc: { type: "string" },
    "dry-run": { type: "boolean" },
    deployment: { type: "string" },
    vault: { type: "string" },
    lens: { type: "string" },
    "key-env": { type: "string" },
    liquidator: { type: "string" },
    pool: { type: "string", multiple: true },
    "interval-ms": { type: "string" },
    "from-block": { type: "string" },
    "max-per-block": { type: "string" },
    "min-profit": { type: "string" },
    "poke-interval": { type: "string" },
    "no-batch": { type: "boolean" },
    once: { type: "boolean" },
    "log-level": { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (v.help === true) return "help";
  if (v.rpc === undefined || v.rpc === "") throw new UsageError("--rpc URL is required");
  if (!/^(https?|wss?):\/\//i.test(v.rpc)) throw new UsageError(`--rpc must be an http(s) URL, got "${v.rpc}"`);
  if (v.deployment !== undefined && v.vault !== undefined)
    throw new UsageError("give --deployment or --vault, not both");
  const pools = (v.pool ?? []).map((spec) => {
    const match = /^([^=]+)=(.+)$/.exec(spec);
    if (match === null || !isAddress(match[2])) {
      throw new UsageError(`--pool must be SYMBOL=ADDRESS (or TOKEN=ADDRESS), got "${spec}"`);
    }
    return { asset: match[1].trim(), pool: getAddress(match[2]) };
  });
  const minProfit = v["min-profit"] ?? "0";
  if (!/^\d+(\.\d+)?$/.test(minProfit))
    throw new UsageError(`--min-profit must be a non-negative amount, got "${minProfit}"`);
  const logLevel = v["log-level"] ?? "info";
  if (!["debug", "info", "warn", "error"].includes(logLevel)) {
    throw new UsageError(`--log-level must be debug, info, warn or error, got "${logLevel}"`);
  }
  const keyEnv = v["key-env"] ?? DEFAULT_KEY_ENV;
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(keyEnv))
    throw new UsageError(`--key-env must be a variable name, got "${keyEnv}"`);
  const fromBlock = v["from-block"];
  return {
    rpc: v.rpc,
    dryRun: v["dry-run"] ?? false,
    deployment: v.deployment,
    vault: address("vault", v.vault),
    lens: address("lens", v.lens),
    keyEnv,
    liquidator: address("liquidator", v.liquidator),
    pools,
    intervalMs: integer("interval-ms", v["interval-ms"], 2000, 10),
    fromBlock: fromBlock === undefined ? undefined : integer("from-block", fromBlock, 0),
    maxPerBlock: integer("max-per-block", v["max-per-block"], 10, 1),
    minProfit,
    pokeIntervalSeconds: integer("poke-interval", v["poke-interval"], 600, 1),
    batch: !(v["no-batch"] ?? false),
    once: v.once ?? false,
    logLevel: logLevel as LogLevel,
  };
}

/** The chain id behind `url`, by a plain `eth_chainId` request; an error that says the RPC cannot be reached. */
export async function probeRpc(url: string, timeoutMs = 5000): Promise<bigint> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    const cause = (error as Error & { cause?: unknown }).cause;
    const reason = cause instanceof Error ? cause.message : describeError(error);
    throw new Error(`cannot reach the RPC at ${url} (${reason}): is the node running?`);
  }
  if (!response.ok) throw new Error(`the RPC at ${url} answered HTTP ${response.status} ${response.statusText}`);
  const body = (await response.json().catch(() => null)) as { result?: unknown; error?: { message?: string } } | null;
  if (body === null || typeof body.result !== "string") {
    throw new Error(
      `the RPC at ${url} did not answer eth_chainId${body?.error?.message ? `: ${body.error.message}` : ""}`,
    );
  }
  return BigInt(body.result);
}

/**
 * The block the vault was deployed in, from Ignition's journal (`journal.jsonl` next to the record); undefined when
 * the journal is missing or does not say.
 */
export function deploymentBlock(dir: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(path.join(dir, "journal.jsonl"), "utf8");
  } catch {
    return undefined;
  }
  for (const line of text.split("\n")) {
    if (!line.includes(FUTURE_IDS.vault) || !line.includes('"receipt"')) continue;
    try {
      const entry = JSON.parse(line) as { futureId?: string; receipt?: { blockNumber?: number } };
      if (entry.futureId === FUTURE_IDS.vault && typeof entry.receipt?.blockNumber === "number") {
        return entry.receipt.blockNumber;
      }
    } catch {
      // A torn last line (a deployment still running): ignore it.
    }
  }
  return undefined;
}

/** Resolves `--pool` specs to collateral → pool, symbols through the tokens' `symbol()`. */
async function resolvePools(
  specs: CliOptions["pools"],
  collaterals: readonly string[],
  provider: Provider,
): Promise<Record<string, string>> {
  const symbols = new Map<string, string>();
  for (const asset of collaterals) {
    const symbol = await MockERC20__factory.connect(asset, provider)
      .symbol()
      .catch(() => "");
    symbols.set(symbol.toUpperCase(), getAddress(asset));
  }
  const pools: Record<string, string> = {};
  for (const { asset, pool } of specs) {
    const upper = asset.toUpperCase();
    const token = isAddress(asset) ? getAddress(asset) : symbols.get(upper);
    if (token === undefined || !collaterals.includes(token)) {
      throw new UsageError(
        `--pool ${asset}=…: not a collateral of this vault (collaterals: ${[...symbols.keys()].filter(Boolean).join(", ")})`,
      );
    }
    if ((await provider.getCode(pool)) === "0x") throw new Error(`--pool ${asset}=${pool}: no contract at ${pool}`);
    pools[token] = pool;
  }
  return pools;
}

/** Runs the CLI; resolves to the exit status. */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let options: CliOptions | "help";
  try {
    options = parseCliArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(usageLine("keeper", error.message, "npm run keeper -- --help"));
    return 2;
  }
  if (options === "help") {
    process.stdout.write(`${usage()}\n`);
    return 0;
  }
  const logger = new Logger(undefined, options.logLevel);
  const fail = (message: string, status = 1): number => {
    logger.error("fatal", { error: message });
    process.stderr.write(`keeper: ${message}\n`);
    return status;
  };

  const key = env[options.keyEnv];
  if ((key === undefined || key === "") && !options.dryRun) {
    return fail(
      `no private key: set ${options.keyEnv} to the keeper wallet's key${options.keyEnv === DEFAULT_KEY_ENV ? " (or name another variable with --key-env)" : ""}, or run with --dry-run`,
      2,
    );
  }

  let keeper: Keeper | undefined;
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    if (keeper === undefined || signals > 1) {
      logger.info("stopped", { signal, forced: keeper !== undefined });
      process.exit(0);
    }
    logger.info("stopping", { signal });
    keeper.stop();
    // Whatever the step is waiting for (a receipt, a slow RPC), leave within 15 seconds.
    setTimeout(() => {
      logger.info("stopped", { signal, forced: true });
      process.exit(0);
    }, 15_000).unref();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  try {
    const chainId = await probeRpc(options.rpc);
    // No response cache (ethers' default keeps answers 250 ms): a cached nonce or block number would be stale here.
    const provider = new JsonRpcProvider(options.rpc, Network.from(chainId), { staticNetwork: true, cacheTimeout: -1 });
    let wallet: Signer | undefined;
    if (key !== undefined && key !== "") {
      try {
        wallet = new Wallet(key.startsWith("0x") ? key : `0x${key}`, provider);
      } catch {
        return fail(`${options.keyEnv} does not hold a valid private key (32 bytes of hex)`, 2);
      }
    }

    let vaultAddress = options.vault;
    let lensAddress = options.lens;
    let deploymentDir: string | undefined;
    if (vaultAddress === undefined) {
      deploymentDir = path.resolve(options.deployment ?? path.join(ROOT, "deploy", "deployments", `chain-${chainId}`));
      let contracts;
      try {
        contracts = contractsFromDeployment(loadDeployedAddresses(deploymentDir));
      } catch (error) {
        return fail(
          `${describeError(error)}: deploy Bulwark with Ignition first (docs/deploying.md), or pass --deployment DIR or --vault ADDR`,
        );
      }
      vaultAddress = contracts.vault;
      if (vaultAddress === undefined)
        return fail(`the deployment record in ${deploymentDir} lists no ${FUTURE_IDS.vault}`);
      lensAddress ??= contracts.lens;
    }
    if ((await provider.getCode(vaultAddress)) === "0x") {
      return fail(
        `no contract at the vault address ${vaultAddress} on chain ${chainId}${deploymentDir === undefined ? "" : ` (from ${deploymentDir}: a record of another chain, or of a node since restarted?)`}`,
      );
    }
    const fromBlock =
      options.fromBlock ?? (deploymentDir === undefined ? undefined : deploymentBlock(deploymentDir)) ?? 0;
    const runner = wallet ?? provider;
    if (lensAddress === undefined) {
      if (wallet === undefined || options.dryRun) {
        return fail(
          "no VaultLens known: give --lens ADDR (the deployment's VaultLens), or run with a wallet to deploy one",
        );
      }
      const lens = await deployLens(wallet);
      lensAddress = await lens.getAddress();
      logger.info("lens-deployed", { lens: lensAddress, txHash: lens.deploymentTransaction()?.hash });
    } else if ((await provider.getCode(lensAddress)) === "0x") {
      return fail(`no contract at the lens address ${lensAddress}`);
    }
    const contracts = await discoverContracts(runner, vaultAddress, lensAddress, options.liquidator);
    const collaterals = (await contracts.vault.collateralAssets()).map((a) => getAddress(a));
    const pools = await resolvePools(options.pools, collaterals, provider);
    const baseDecimals = Number(await MockERC20__factory.connect(await contracts.vault.asset(), provider).decimals());

    if (contracts.liquidator !== undefined) {
      if ((await provider.getCode(options.liquidator ?? "")) === "0x")
        return fail(`no contract at --liquidator ${options.liquidator}`);
    } else if (wallet !== undefined && !options.dryRun) {
      const liquidator = await deployLiquidator(wallet, contracts);
      contracts.liquidator = liquidator;
      logger.info("liquidator-deployed", {
        liquidator: await liquidator.getAddress(),
        owner: await wallet.getAddress(),
        txHash: liquidator.deploymentTransaction()?.hash,
        hint: "pass --liquidator with this address next time to reuse it (and the profits it holds)",
      });
    }
    if (contracts.liquidator !== undefined && Object.keys(pools).length > 0) {
      if (options.dryRun || wallet === undefined) {
        logger.warn("pools-not-set", { reason: "dry run: the liquidator's pools are used as they are", pools });
      } else {
        const owner = getAddress(await contracts.liquidator.owner());
        if (owner !== getAddress(await wallet.getAddress())) {
          return fail(
            `the liquidator ${options.liquidator} is owned by ${owner}, not by the wallet ${await wallet.getAddress()}`,
          );
        }
        const changed = await setLiquidatorPools(contracts.liquidator, pools);
        for (const collateral of changed) logger.info("pool-set", { collateral, pool: pools[collateral] });
      }
    }

    const keeperOptions: KeeperOptions = {
      dryRun: options.dryRun,
      maxLiquidationsPerBlock: options.maxPerBlock,
      minProfit: parseUnits(options.minProfit, baseDecimals),
      batch: options.batch,
      pokeIntervalSeconds: options.pokeIntervalSeconds,
      pollIntervalMs: options.intervalMs,
      fromBlock,
      logger,
      ...(contracts.liquidator === undefined && Object.keys(pools).length > 0 ? { sellable: Object.keys(pools) } : {}),
    };
    keeper = new Keeper(contracts, provider, wallet, keeperOptions);
    await keeper.init();
    logger.info("starting", {
      rpc: options.rpc,
      chainId,
      wallet: wallet === undefined ? undefined : await wallet.getAddress(),
      deployment: deploymentDir,
      fromBlock,
      ...keeper.describe(),
    });
    const described = keeper.describe();
    if (contracts.liquidator !== undefined && Object.keys(described.pools ?? {}).length === 0) {
      logger.warn("no-pools", {
        liquidator: String(contracts.liquidator.target),
        hint: "the liquidator has no pool for any collateral, so it can sell nothing: pass --pool SYMBOL=ADDR",
      });
    }
    if (options.once) {
      const result = await keeper.step();
      logger.info("stopped", {});
      return result.status === "failed" ? 1 : 0;
    }
    await keeper.run();
    return 0;
  } catch (error) {
    if (error instanceof UsageError) return fail(error.message, 2);
    return fail(describeError(error));
  }
}
