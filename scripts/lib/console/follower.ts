/**
 * Follows a chain block by block for the console: connects (checking the RPC answers and the addresses hold
 * contracts), catches up on the contracts' events in bounded ranges, reads the followed block's view, runs the
 * monitor, stores the step and tells the server. Never gives up: a failed step (an RPC down or hanging, a wrong
 * address book) is reported with a message a user can act on, and retried with capped backoff, reconnecting from
 * scratch; the history database stays open meanwhile, so the page keeps its history.
 *
 * - **Confirmations.** It follows `head − confirmations`, so a shallow reorg never reaches it. A deeper one is
 *   caught by the stored hash of its cursor block: it rewinds `REWIND_BLOCKS`, deletes the timeline entries and
 *   series points after that, and reads them again. Alerts are keyed by transaction, so an event mined again in
 *   another block is not alerted twice.
 * - **A node behind its own history** (a load balancer's lagging backend) is waited for; far behind (a node restarted
 *   with a new chain) is an error that says what to do.
 * - **Wiring.** When the vault replaces a contract (a new breaker, oracle, engine, risk modules, a listed asset), the
 *   range stops at that block and the contracts are found again, so the new contract's events are followed.
 * - **Alerts.** On a first start the console watches from the followed block; events before it fill the timeline
 *   without raising alerts. After a restart it resumes from its stored cursor, and events it missed while down raise
 *   them (once: alerts are keyed, and the database refuses a key twice).
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
  type ConsoleContracts,
  type ReaderMemory,
} from "./reader.js";
import { Monitor, type RulesConfig } from "./rules.js";
import type { HistoryStore } from "./store.js";
import { BlockClock, readTimeline } from "./timeline.js";
import type { Alert, ChainView, FollowerStatus, TimelineEntry } from "./types.js";
import { redactUrl } from "./webhooks.js";

/** Blocks the follower goes back after a reorg deeper than its confirmations. */
export const REWIND_BLOCKS = 64;

export interface FollowerConfig {
  rpc: string;
  /** Read at each (re)connection, so a corrected address book is picked up without a restart. */
  addresses: (chainId: number) => ConsoleAddresses & { fromBlock?: number };
  /** The current rules (a rules file may be corrected while the console runs). */
  rules: () => RulesConfig;
  /** Opens the history database for a chain and vault (the default file depends on them). */
  openStore: (chainId: number, vault: string) => HistoryStore;
  intervalMs: number;
  /** Blocks behind the head it follows (0: the head itself). */
  confirmations: number;
  /** Most blocks per `eth_getLogs` (default 2,000; halved on a provider's "too many results"). */
  maxBlockRange?: number;
  /** Milliseconds an RPC request may take (default 10,000). */
  requestTimeoutMs?: number;
  logger: Logger;
}

/** What the follower tells its listeners (the server, the webhooks, tests). */
export interface FollowerListener {
  status(status: FollowerStatus): void;
  view(view: ChainView): void;
  entries(entries: readonly TimelineEntry[]): void;
  alerts(alerts: readonly Alert[]): void;
  idle(rules: ReadonlyArray<{ rule: string; why: string }>): void;
  /** A history database was opened (the first time, or for another deployment). */
  storeOpened(store: HistoryStore): void;
}

interface Connection {
  chainId: number;
  provider: JsonRpcProvider;
  reader: ChainReader;
  clock: BlockClock;
  monitor: Monitor;
  memory: ReaderMemory;
  addresses: ConsoleAddresses & { fromBlock?: number };
  /** The head when the contracts were last found: wiring events up to it are already followed. */
  wiredAt: number;
}

/** Errors of a provider refusing a range as too large (or too many results): worth a smaller range, not a retry. */
const TOO_MANY =
  /too many|more than \d+|limit exceeded|range (is )?too (large|wide)|block range|query timeout|response size/i;

let alertCounter = 0;

export class Follower {
  private connection: Connection | undefined;
  private history: { store: HistoryStore; chainId: number; vault: string } | undefined;
  private readonly abort = new AbortController();
  private readonly config: FollowerConfig;
  private readonly listener: FollowerListener;
  private failures = 0;
  private idleSaid = "";
  private range: number;

  constructor(config: FollowerConfig, listener: FollowerListener) {
    this.config = config;
    this.listener = listener;
    this.range = Math.max(1, config.maxBlockRange ?? 2000);
  }

  /** The open history database (undefined until the first connection). */
  get store(): HistoryStore | undefined {
    return this.history?.store;
  }

  stop(): void {
    this.abort.abort();
  }

  /** Follows until `stop()`. */
  async run(): Promise<void> {
    this.status("starting", `connecting to ${redactUrl(this.config.rpc)}`);
    while (!this.abort.signal.aborted) {
      try {
        if (this.connection === undefined) this.connection = await this.connect();
        await this.step(this.connection);
        this.failures = 0;
        await sleep(this.config.intervalMs, this.abort.signal);
      } catch (error) {
        if (this.abort.signal.aborted) break;
        if (TOO_MANY.test(describeError(error)) && this.range > 1) {
          this.range = Math.max(1, Math.floor(this.range / 2));
          this.config.logger.warn("range-reduced", { maxBlockRange: this.range, error: describeError(error) });
          continue;
        }
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
    this.history?.store.close();
    this.history = undefined;
  }

  private dropConnection(): void {
    if (this.connection === undefined) return;
    this.connection.provider.destroy();
    this.connection = undefined;
  }

  private status(state: FollowerStatus["state"], message: string): void {
    this.listener.status({ state, message, rpc: redactUrl(this.config.rpc), since: Date.now() });
  }

  /** The history database of `chainId` and `vault`, opened once and kept across reconnections. */
  private storeFor(chainId: number, vault: string): HistoryStore {
    if (this.history !== undefined && this.history.chainId === chainId && this.history.vault === vault) {
      return this.history.store;
    }
    this.history?.store.close();
    this.history = undefined;
    const store = this.config.openStore(chainId, vault);
    try {
      store.bind({ chainId, vault });
    } catch (error) {
      store.close();
      throw error;
    }
    this.history = { store, chainId, vault };
    this.listener.storeOpened(store);
    return store;
  }

  private async connect(): Promise<Connection> {
    const timeout = this.config.requestTimeoutMs ?? 10_000;
    const chainId = Number(await probeRpc(this.config.rpc, timeout));
    const request = new FetchRequest(this.config.rpc);
    request.timeout = timeout;
    const provider = new JsonRpcProvider(request, Network.from(chainId), { staticNetwork: true, cacheTimeout: -1 });
    try {
      const addresses = this.config.addresses(chainId);
      // The head first: every wiring event up to it is in what discovery then finds.
      const head = await provider.getBlockNumber();
      const contracts = await discoverConsoleContracts(provider, addresses);
      const followed = Math.max(0, head - this.config.confirmations);
      const store = this.storeFor(chainId, addresses.vault);
      let memory = memoryFromJson(store.meta("memory"));
      if (memory === undefined) {
        // Stored at once: a first step that keeps failing must not move the block alerts count from.
        memory = emptyMemory(followed);
        store.setMeta("memory", memoryToJson(memory));
      }
      const fromBlock = addresses.fromBlock ?? 0;
      if (store.cursor() === undefined) store.setMeta("cursor", String(Math.max(fromBlock, 0) - 1));
      const reader = this.reader(provider, contracts, chainId, fromBlock, memory);
      this.config.logger.info("connected", {
        rpc: redactUrl(this.config.rpc),
        chainId,
        followed,
        confirmations: this.config.confirmations,
        vault: addresses.vault,
        contracts: Object.fromEntries([...contracts.roles].map(([address, role]) => [role, address])),
        history: store.file,
        resumeFrom: (store.cursor() ?? -1) + 1,
      });
      this.status("following", `following chain ${chainId} from block ${(store.cursor() ?? -1) + 1}`);
      const last = store.lastView();
      if (last !== undefined) this.listener.view(last);
      const monitor = new Monitor(this.config.rules().rules, store);
      return {
        chainId,
        provider,
        reader,
        clock: new BlockClock(provider),
        monitor,
        memory,
        addresses,
        wiredAt: head,
      };
    } catch (error) {
      provider.destroy();
      throw error;
    }
  }

  private reader(
    provider: JsonRpcProvider,
    contracts: ConsoleContracts,
    chainId: number,
    fromBlock: number,
    memory: ReaderMemory,
  ): ChainReader {
    return new ChainReader(provider, contracts, chainId, fromBlock, {
      maxBlockRange: this.range,
      index: memory.index,
    });
  }

  /** Catches up to the followed block: events in bounded ranges, then its view, the monitor and the store. */
  private async step(c: Connection): Promise<void> {
    const store = this.history!.store;
    const head = await c.provider.getBlockNumber();
    const target = head - this.config.confirmations;
    let cursor = store.cursor() ?? -1;
    if (target < cursor) {
      if (cursor - target > REWIND_BLOCKS) {
        throw new Error(
          `the chain's head (block ${head}) is far behind the history (block ${cursor}): a node restarted with a new ` +
            `chain? Give another --db, or delete ${store.file}`,
        );
      }
      this.status("following", `the node is ${cursor - target} blocks behind the history; waiting for it`);
      return;
    }
    if (await this.reorged(c, cursor)) cursor = store.cursor() ?? -1;
    if (target === cursor) return;
    c.monitor.setRules(this.config.rules().rules);
    while (cursor < target && !this.abort.signal.aborted) {
      const to = Math.min(target, cursor + this.range);
      if (target - cursor > this.range) {
        this.config.logger.info("catching-up", { from: cursor + 1, to, target });
        this.status("following", `catching up: block ${to} of ${target}`);
      }
      const range = await readTimeline(
        { contracts: c.reader.contracts, provider: c.provider },
        c.clock,
        cursor + 1,
        to,
        c.memory,
        c.wiredAt,
      );
      const through = range.through;
      const last = through === target;
      const { view, accounts } = last ? await c.reader.read(target, c.memory) : { view: undefined, accounts: [] };
      if (last) c.memory.index = c.reader.indexState();
      const header = await c.provider.getBlock(through);
      if (header === null) throw new Error(`block ${through} is not available from the RPC`);
      // Events before the console first watched fill the timeline without raising alerts.
      const alerting = range.entries.filter((e) => e.block >= c.memory.watchingFrom);
      let fresh: Alert[];
      try {
        fresh = store.record(
          {
            entries: range.entries,
            view,
            cursor: through,
            cursorHash: header.hash ?? "",
            memory: memoryToJson(c.memory),
            webhooks: this.config.rules().webhooks.map((h) => h.url),
          },
          () =>
            c.monitor.evaluate(alerting, view, accounts).map((a) => ({
              ...a,
              id: `a${Date.now().toString(36)}${(alertCounter++).toString(36)}`,
              raisedAt: Date.now(),
            })),
        );
      } catch (error) {
        // The episodes rolled back with the step: reload them.
        c.monitor = new Monitor(this.config.rules().rules, store);
        throw error;
      }
      cursor = through;
      if (range.entries.length > 0) this.listener.entries(range.entries);
      if (view !== undefined) {
        this.listener.view(view);
        const idle = c.monitor.idle(view);
        if (JSON.stringify(idle) !== this.idleSaid) {
          this.idleSaid = JSON.stringify(idle);
          this.listener.idle(idle);
        }
      }
      if (fresh.length > 0) this.listener.alerts(fresh);
      if (range.rewired) {
        // A contract was replaced: find them all again, and go on from the next block with the new ones.
        c.wiredAt = await c.provider.getBlockNumber();
        const contracts = await discoverConsoleContracts(c.provider, c.addresses);
        c.reader = this.reader(c.provider, contracts, c.chainId, c.addresses.fromBlock ?? 0, c.memory);
        this.config.logger.info("rewired", {
          block: through,
          contracts: Object.fromEntries([...contracts.roles].map(([address, role]) => [role, address])),
        });
      }
    }
  }

  /**
   * Whether the chain lost the cursor's block (a reorg deeper than the confirmations): if so the history goes back
   * `REWIND_BLOCKS` and the accounts index starts over.
   */
  private async reorged(c: Connection, cursor: number): Promise<boolean> {
    const store = this.history!.store;
    const stored = store.meta("cursorHash");
    if (cursor < 0 || stored === undefined || stored === "") return false;
    const header = await c.provider.getBlock(cursor);
    if (header !== null && header.hash === stored) return false;
    const back = Math.max(-1, cursor - REWIND_BLOCKS);
    const anchor = back < 0 ? null : await c.provider.getBlock(back);
    c.memory.index = undefined;
    store.rewind(back, anchor?.hash ?? "", memoryToJson(c.memory));
    c.reader = this.reader(c.provider, c.reader.contracts, c.chainId, c.addresses.fromBlock ?? 0, c.memory);
    this.config.logger.warn("reorg", { lost: cursor, rewoundTo: back });
    this.status("following", `a reorg replaced block ${cursor}; reading again from block ${back + 1}`);
    return true;
  }
}
