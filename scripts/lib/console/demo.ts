/**
 * The console's demo chain: an in-process Hardhat chain served as JSON-RPC on 127.0.0.1 (the console follows it
 * through that URL, exactly as it follows any node), Bulwark deployed on it with the crash simulation's market (real
 * contracts, real Uniswap v3 pools, a population of borrowers), and a shipped crash replayed in real time: each block
 * is held `blockMs` before the next, so the page shows the protocol defending itself as it happens.
 *
 * Beside the simulation's own keeper, the Chainlink Automation upkeep runs as a registry would run it: a
 * `SecurityOps` with its own flash liquidator and the market's pools, every borrower registered, and after each
 * block `checkUpkeep` simulated and `performUpkeep` sent when it finds work (it pokes, samples volatility, syncs caps,
 * liquidates whatever the keeper has not; what is no longer due is skipped). So the page shows the upkeep's actions
 * and its silence rule has something to watch.
 *
 * Governance is shown too: a TimelockController is deployed beside the market and, a few steps into the crash, a
 * proposer schedules a lower borrow cap on the vault, which appears on the timeline with its ETA (the market's owner
 * stays the deployer, as in the simulation, so the operation is for show and is never executed).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";

import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { network } from "hardhat";

import { readPricePath, type PricePoint } from "../pricePath.js";
import { replay } from "../sim/engine.js";
import { inProcessSource } from "../sim/inProcess.js";
import { mergePaths } from "../sim/path.js";
import { IN_PROCESS_CHAIN, marketAssets } from "../sim/run.js";
import { SCENARIO_DIR, scenario as shippedScenario } from "../sim/scenarios.js";
import { buildMarket, priceWadOf, type SimMarket } from "../sim/simMarket.js";
import {
  SecurityOps__factory,
  UniswapV3FlashLiquidator__factory,
  type SecurityOps,
} from "../../../typechain-types/index.js";
import type { ConsoleAddresses } from "./reader.js";

export interface DemoOptions {
  scenario: string;
  accounts: number;
  /** Wall-clock milliseconds each replayed block is held. */
  blockMs: number;
  seed: string;
  /** Timelock delay of the demo's governance, seconds. */
  timelockDelay?: number;
}

export interface DemoUi {
  phase(text: string): void;
}

export interface Demo {
  /** The demo chain's JSON-RPC endpoint. */
  rpc: string;
  addresses: ConsoleAddresses & { fromBlock: number };
  /** Starts the replay; resolves when it ends (rejects when it fails). */
  replay(): Promise<void>;
  close(): Promise<void>;
}

interface EthereumProvider {
  request(args: { method: string; params?: unknown[] }): Promise<unknown>;
}

/** A JSON-RPC 2.0 endpoint over HTTP on 127.0.0.1 for an EIP-1193 provider (single and batch requests). */
export async function serveJsonRpc(provider: EthereumProvider, port = 0): Promise<{ url: string; server: Server }> {
  const answer = async (call: unknown): Promise<unknown> => {
    const { id = null, method, params } = (call ?? {}) as { id?: unknown; method?: unknown; params?: unknown };
    if (typeof method !== "string") return { jsonrpc: "2.0", id, error: { code: -32600, message: "invalid request" } };
    try {
      const result = await provider.request({ method, params: Array.isArray(params) ? params : [] });
      return { jsonrpc: "2.0", id, result: result ?? null };
    } catch (error) {
      const e = error as { code?: unknown; message?: unknown; data?: unknown };
      return {
        jsonrpc: "2.0",
        id,
        error: {
          code: typeof e.code === "number" ? e.code : -32603,
          message: String(e.message ?? error),
          data: e.data,
        },
      };
    }
  };
  const server = createServer((req, res) => {
    if (req.method !== "POST") {
      res.writeHead(405, { allow: "POST" }).end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      void (async () => {
        let body: unknown;
        try {
          body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
        } catch {
          res.writeHead(200, { "content-type": "application/json" });
          res.end(JSON.stringify({ jsonrpc: "2.0", id: null, error: { code: -32700, message: "parse error" } }));
          return;
        }
        const out = Array.isArray(body) ? await Promise.all(body.map(answer)) : await answer(body);
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify(out, (_k, v: unknown) => (typeof v === "bigint" ? `0x${v.toString(16)}` : v)));
      })();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** Starts the demo chain and deploys the market; the replay starts with `replay()`. */
export async function startDemo(options: DemoOptions, ui: DemoUi): Promise<Demo> {
  const shipped = shippedScenario(options.scenario);
  const prices = new Map(Object.entries(shipped.prices).map(([s, f]) => [s, path.join(SCENARIO_DIR, f)] as const));
  const specs = marketAssets(prices);
  const paths = new Map<string, PricePoint[]>();
  for (const [symbol, file] of prices) paths.set(symbol.toUpperCase(), readPricePath(file));
  const fixed = new Map<string, bigint>();
  for (const spec of specs) if (!paths.has(spec.symbol)) fixed.set(spec.symbol, priceWadOf(spec.defaultPrice));
  const steps = mergePaths(paths, fixed);

  ui.phase("starting the in-process chain");
  const connection = await network.create({ override: IN_PROCESS_CHAIN });
  const { url, server } = await serveJsonRpc(connection.provider);
  const close = async (): Promise<void> => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await connection.close();
  };
  try {
    const ethers = connection.ethers;
    ui.phase(`deploying Bulwark and opening ${options.accounts} positions`);
    const source = inProcessSource(specs.map((spec) => ({ spec, startPriceWad: steps[0].priceWad[spec.symbol] })));
    const market = await buildMarket(ethers, source, {
      accounts: options.accounts,
      seed: options.seed,
      params: "adaptive",
      progress: (what) => ui.phase(what),
    });
    const signers = await ethers.getSigners();
    ui.phase("deploying the Automation upkeep (SecurityOps) and registering every borrower");
    const upkeep = await deployUpkeep(market, signers[6]);
    const proposer = signers[5];
    const delay = options.timelockDelay ?? 2 * 24 * 3600;
    const timelock = await ethers.deployContract(
      "TimelockController",
      [delay, [proposer.address], [proposer.address], proposer.address],
      proposer,
    );
    await timelock.waitForDeployment();
    const vaultAddress = await market.vault.getAddress();
    const cap = await market.vault.totalDebt();
    const addresses = {
      vault: vaultAddress,
      lens: await market.lens.getAddress(),
      timelock: await timelock.getAddress(),
      securityOps: await upkeep.getAddress(),
      fromBlock: 0,
    };
    /** After each block: what a registry would do, simulate `checkUpkeep` and perform what it finds. */
    const performUpkeep = async (): Promise<void> => {
      try {
        const [needed, work] = await upkeep.checkUpkeep.staticCall("0x");
        // Mined with the replay's next block; a perform whose work the keeper did first skips it or reverts.
        if (needed) await upkeep.performUpkeep(work, { gasLimit: 12_000_000n });
      } catch (error) {
        ui.phase(`the upkeep could not be checked: ${String(error).slice(0, 200)}`);
      }
    };
    let scheduled = false;
    return {
      rpc: url,
      addresses,
      close,
      async replay(): Promise<void> {
        ui.phase(`replaying ${shipped.name}: ${steps.length} price points, a block every ${options.blockMs} ms`);
        await replay(
          ethers,
          market,
          steps,
          {
            params: "adaptive",
            keeperDelayBlocks: 0,
            keeperOutages: [],
            progress: (done, total) => {
              ui.phase(
                `replaying ${shipped.name}: price point ${done} of ${total} (${new Date(steps[Math.min(done, total - 1)].timestamp * 1000).toISOString().slice(0, 16)}Z)`,
              );
              if (!scheduled && done >= Math.min(10, total)) {
                scheduled = true;
                // Mined with the replay's next block (automine is off during a replay).
                const data = market.vault.interface.encodeFunctionData("setBorrowCap", [cap]);
                void timelock
                  .connect(proposer)
                  .schedule(vaultAddress, 0n, data, `0x${"00".repeat(32)}`, `0x${"00".repeat(31)}01`, delay)
                  .catch((error: unknown) =>
                    ui.phase(`could not schedule the demo's timelock operation: ${String(error)}`),
                  );
              }
            },
            pace: async (): Promise<void> => {
              await new Promise((resolve) => setTimeout(resolve, options.blockMs));
              await performUpkeep();
            },
          },
          0,
        );
        ui.phase(`replay of ${shipped.name} finished; the chain stays up (Ctrl-C to stop)`);
      },
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * A `SecurityOps` upkeep for the demo's market, owned by `operator`, with its own flash liquidator selling in the
 * market's pools, and every borrower registered (`track`, 50 at a time).
 */
async function deployUpkeep(market: SimMarket, operator: HardhatEthersSigner): Promise<SecurityOps> {
  if (market.volatility === undefined) throw new Error("the demo's market has no volatility oracle");
  const upkeep = await new SecurityOps__factory(operator).deploy(
    await market.vault.getAddress(),
    await market.engine.getAddress(),
    await market.volatility.getAddress(),
    { scanSize: 100, maxLiquidations: 5, pokeInterval: 900, minDebt: 100n * 10n ** BigInt(market.base.decimals) },
    operator.address,
    operator.address,
  );
  await upkeep.waitForDeployment();
  const liquidator = await new UniswapV3FlashLiquidator__factory(operator).deploy(
    await market.engine.getAddress(),
    await market.vault.getAddress(),
    market.base.address,
    operator.address,
  );
  await liquidator.waitForDeployment();
  await (await liquidator.transferOwnership(await upkeep.getAddress())).wait();
  await (await upkeep.setLiquidator(await liquidator.getAddress())).wait();
  for (const asset of market.collaterals) {
    if (asset.pool !== undefined)
      await (await upkeep.setLiquidationPool(asset.address, await asset.pool.getAddress())).wait();
  }
  for (let i = 0; i < market.borrowers.length; i += 50)
    await (await upkeep.track(market.borrowers.slice(i, i + 50))).wait();
  return upkeep;
}
