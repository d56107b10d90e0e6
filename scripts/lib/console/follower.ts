/**
 * Follows a chain block by block for the console: connects (checking the RPC answers and the addresses hold
 * contracts), catches up on the contracts' events in bounded ranges, reads the latest block's view, runs the monitor,
 * stores the step and tells the server. Never gives up: a failed step (an RPC down or hanging, a wrong address book)
 * is reported with a message a user can act on, and retried with capped backoff, reconnecting from scratch.
 *
 * Alerts: on a first start the console watches from the chain's head; events before it fill the timeline without
 * raising alerts. After a restart it resumes from its stored cursor, and events it missed while down do raise them
 * (once: alerts are keyed, and the database refuses a key twice).
 */
import { FetchRequest, JsonRpcProvider, Network } from "ethers";

import type { Logger } from "../keeper/log.js";
import { backoffDelay, describeError, sleep } from "../keeper/rpc.js";
import { probeRpc } from "../keeper/keeperCli.js";
import {
  ChainReader,
  discoverConsoleContracts,
  emptyMemory,
  memoryFromJson,
  memoryToJson,
  type ConsoleAddresses,
  type ReaderMemory,
} from "./reader.js";
import { Monitor, type RulesConfig } from "./rules.js";
import type { HistoryStore } from "./store.js";
import { BlockClock, readTimeline } from "./timeline.js";
import type { Alert, ChainView, FollowerStatus, TimelineEntry } from "./types.js";

export interface FollowerConfig {
  rpc: string;
  /** Read at each (re)connection, so a corrected address book is picked up without a restart. */
  addresses: (chainId: number) => ConsoleAddresses & { fromBlock?: number };
  /** The current rules (a rules file may be corrected while the console runs). */
  rules: () => RulesConfig;
  /** Opens the history database for a chain and vault (the default file depends on them). */
  openStore: (chainId: number, vault: string) => HistoryStore;
  intervalMs: number;
  /** Most blocks per `eth_getLogs` (default 2,000). */
  maxBlockRange?: number;
  /** Milliseconds an RPC request may take (default 10,000). */
  requestTimeoutMs?: number;
  logger: Logger;
}

/** What the follower tells its listeners (the server, tests). */
export interface FollowerListener {
  status(status: FollowerStatus): void;
  view(view: ChainView): void;
  entries(entries: readonly TimelineEntry[]): void;
  alerts(alerts: readonly Alert[]): void;
  idle(rules: ReadonlyArray<{ rule: string; why: string }>): void;
}

interface Connection {
  chainId: number;
  provider: JsonRpcProvider;
  reader: ChainReader;
  clock: BlockClock;
  store: HistoryStore;
  monitor: Monitor;
  memory: ReaderMemory;
}

let alertCounter = 0;

export class Follower {
  private connection: Connection | undefined;
  private readonly abort = new AbortController();
  private failures = 0;
  private toldIdle = false;

  private readonly config: FollowerConfig;
  private readonly listener: FollowerListener;

  constructor(config: FollowerConfig, listener: FollowerListener) {
    this.config = config;
    this.listener = listener;
  }

  /** The open history database (undefined until the first connection). */
  get store(): HistoryStore | undefined {
    return this.connection?.store;
  }

  stop(): void {
    this.abort.abort();
  }

  /** Follows until `stop()`. */
  async run(): Promise<void> {
    this.status("starting", `connecting to ${this.config.rpc}`);
    while (!this.abort.signal.aborted) {
      try {
        if (this.connection === undefined) this.connection = await this.connect();
        await this.step(this.connection);
        this.failures = 0;
        await sleep(this.config.intervalMs, this.abort.signal);
      } catch (error) {
        if (this.abort.signal.aborted) break;
        this.failures++;
        const delay = backoffDelay(this.failures, Math.max(250, this.config.intervalMs), 15_000);
        const message = `${describeError(error)}; retrying in ${(delay / 1000).toFixed(1)} s (attempt ${this.failures})`;
        this.config.logger.warn("follow-failed", {
          error: describeError(error),
          retryInMs: delay,
          attempt: this.failures,
        });
        // Reconnect from scratch: the node may have restarted, the address book may have been corrected.
        this.dropConnection();
        this.status(this.failures === 1 ? "reconnecting" : "error", message);
        await sleep(delay, this.abort.signal);
      }
    }
    this.dropConnection();
  }

  private dropConnection(): void {
    if (this.connection === undefined) return;
    this.connection.provider.destroy();
    this.connection.store.close();
    this.connection = undefined;
  }

  private status(state: FollowerStatus["state"], message: string): void {
    this.listener.status({ state, message, rpc: this.config.rpc, since: Date.now() });
  }

  private async connect(): Promise<Connection> {
    const chainId = Number(await probeRpc(this.config.rpc, this.config.requestTimeoutMs ?? 10_000));
    const request = new FetchRequest(this.config.rpc);
    request.timeout = this.config.requestTimeoutMs ?? 10_000;
    const provider = new JsonRpcProvider(request, Network.from(chainId), { staticNetwork: true, cacheTimeout: -1 });
    try {
      const addresses = this.config.addresses(chainId);
      const contracts = await discoverConsoleContracts(provider, addresses);
      const head = await provider.getBlockNumber();
      const store = this.config.openStore(chainId, addresses.vault);
      try {
        store.bind({ chainId, vault: addresses.vault });
      } catch (error) {
        store.close();
        throw error;
      }
      const memory = memoryFromJson(store.meta("memory")) ?? emptyMemory(head);
      const fromBlock = addresses.fromBlock ?? 0;
      if (store.cursor() === undefined) store.setMeta("cursor", String(Math.max(fromBlock, 0) - 1));
      const monitor = new Monitor(this.config.rules().rules, store);
      const reader = new ChainReader(provider, contracts, chainId, fromBlock);
      this.config.logger.info("connected", {
        rpc: this.config.rpc,
        chainId,
        head,
        vault: addresses.vault,
        contracts: Object.fromEntries([...contracts.roles].map(([address, role]) => [role, address])),
        history: store.file,
        resumeFrom: (store.cursor() ?? -1) + 1,
      });
      this.status("following", `following chain ${chainId} from block ${(store.cursor() ?? -1) + 1}`);
      const last = store.lastView();
      if (last !== undefined) this.listener.view(last);
      return { chainId, provider, reader, clock: new BlockClock(provider), store, monitor, memory };
    } catch (error) {
      provider.destroy();
      throw error;
    }
  }

  /** Catches up to the head: events in bounded ranges, then the head's view, the monitor and the store. */
  private async step(c: Connection): Promise<void> {
    const head = await c.provider.getBlockNumber();
    let cursor = c.store.cursor() ?? -1;
    if (head < cursor) {
      throw new Error(
        `the chain's head (block ${head}) is behind the history (block ${cursor}): a node restarted with a new chain? ` +
          `Give another --db, or delete ${c.store.file}`,
      );
    }
    if (head === cursor) return;
    c.monitor.setRules(this.config.rules().rules);
    const range = this.config.maxBlockRange ?? 2000;
    while (cursor < head && !this.abort.signal.aborted) {
      const to = Math.min(head, cursor + range);
      const entries = await readTimeline(
        { contracts: c.reader.contracts, provider: c.provider },
        c.clock,
        cursor + 1,
        to,
        c.memory,
      );
      const last = to === head;
      const { view, accounts } = last ? await c.reader.read(head, c.memory) : { view: undefined, accounts: [] };
      // Events before the console first watched fill the timeline without raising alerts.
      const alerting = entries.filter((e) => e.block >= c.memory.watchingFrom);
      let fresh: Alert[];
      try {
        fresh = c.store.record({ entries, view, cursor: to, memory: memoryToJson(c.memory) }, () =>
          c.monitor.evaluate(alerting, view, accounts).map((a) => ({
            ...a,
            id: `a${Date.now().toString(36)}${(alertCounter++).toString(36)}`,
            raisedAt: Date.now(),
          })),
        );
      } catch (error) {
        // The episodes rolled back with the step: reload them.
        c.monitor = new Monitor(this.config.rules().rules, c.store);
        throw error;
      }
      cursor = to;
      if (entries.length > 0) this.listener.entries(entries);
      if (view !== undefined) {
        this.listener.view(view);
        if (!this.toldIdle) {
          this.toldIdle = true;
          this.listener.idle(c.monitor.idle(view));
        }
      }
      if (fresh.length > 0) this.listener.alerts(fresh);
    }
  }
}
