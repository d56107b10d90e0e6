/**
 * Follows a chain block by block for the console: connects (checking the RPC answers and the addresses hold
 * contracts), catches up on the contracts' events in bounded ranges, reads the followed block's view, runs the
 * monitor, stores the step and tells the server. Never gives up: a failed step (an RPC down or hanging, a wrong
 * address book) is reported with a message a user can act on, and retried with capped backoff, reconnecting from
 * scratch; the history database stays open meanwhile, so the page keeps its history.
 *
 * - **Confirmations.** It follows `head − confirmations`, so a shallow reorg never reaches it. A deeper one is
 *   caught by the stored hash of its cursor block: it rewinds `REWIND_BLOCKS`, deletes the timeline entries and
 *   series points after that, re-reads the flags and provisions it tracks at that block, and reads the blocks again.
 *   Alerts are keyed by transaction and content, so an event mined again in another block is not alerted twice. A
 *   reorg during a step's reads (the range's last block changed) drops the step.
 * - **A failed step changes nothing**: it works on a copy of the memory, kept only once the step is stored.
 * - **A node behind its own history** (a load balancer's lagging backend) is waited for; far behind (a node restarted
 *   with a new chain) is an error that says what to do.
 * - **Wiring.** When a vault wiring event names a contract not followed yet (a new breaker, oracle, engine, risk
 *   modules) or lists an asset, the range stops at that block, the new contract is read in that block and followed
 *   from then on, and the contracts are found again; every contract followed so far stays followed.
 * - **Alerts.** On a first start the console watches from the followed block; events before it fill the timeline
 *   without raising alerts. After a restart it resumes from its stored cursor, and events it missed while down raise
 *   them (once: alerts are keyed, and the database refuses a key twice).
 */
import { FetchRequest, JsonRpcProvider, Network } from "ethers";

import type { Logger } from "../keeper/log.js";
import { backoffDelay, describeError, isTransientError, sleep } from "../keeper/rpc.js";
import { probeRpc } from "../keeper/keeperCli.js";
import {
  ChainReader,
  cloneMemory,
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
  /** Longest wait between attempts after failures (default 15,000). */
  maxRetryMs?: number;
  /** The webhook URLs an alert is queued for in the outbox (those the dispatcher sends to now). */
  webhookUrls: () => readonly string[];
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
  /** A reorg: the history now ends at `block` (entries after it are gone). */
  rewound(block: number): void;
}

interface Connection {
  chainId: number;
  provider: JsonRpcProvider;
  reader: ChainReader;
  clock: BlockClock;
  monitor: Monitor;
  memory: ReaderMemory;
  addresses: ConsoleAddresses & { fromBlock?: number };
}

/**
 * A provider refusing a range as too large or its answer as too long: worth a smaller range at once. A rate limit
 * (HTTP 429, "too many requests") is not one of these: it goes through the backoff like any failure.
 */
const RANGE_TOO_LARGE = new RegExp(
  [
    "query returned more than \\d+",
    "more than \\d+ (results|logs)",
    "too many (results|logs|blocks)",
    "(block )?range (is )?too (large|wide|big)",
    "(block )?range limit exceeded",
    "exceed(s|ed)? (the )?max(imum)? (block )?range",
    "limited to (a )?[\\d,]+ (block )?range",
    "response (size )?(is )?too (large|big)",
    "log response size exceeded",
    "query timeout",
  ].join("|"),
  "i",
);

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
  private readonly maxRange: number;
  private calmSteps = 0;

  constructor(config: FollowerConfig, listener: FollowerListener) {
    this.config = config;
    this.listener = listener;
    this.maxRange = Math.max(1, config.maxBlockRange ?? 2000);
    this.range = this.maxRange;
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
        // A range halved after a provider refused it grows back, a step at a time.
        if (this.range < this.maxRange && ++this.calmSteps >= 10) {
          this.range = Math.min(this.maxRange, this.range * 2);
          this.calmSteps = 0;
          this.connection.reader = this.reader(this.connection, this.connection.reader.contracts);
        }
        await sleep(this.config.intervalMs, this.abort.signal);
      } catch (error) {
        if (this.abort.signal.aborted) break;
        // The RPC's URL may carry an API key: never in a log or on the page. A dropped connection or a timeout is
        // said as the RPC's failure ("read ECONNRESET" alone says nothing of where).
        const rpc = redactUrl(this.config.rpc);
        let said = describeError(error).split(this.config.rpc).join(rpc);
        if (isTransientError(error) && !said.includes(rpc)) said = `the RPC at ${rpc} failed: ${said}`;
        if (RANGE_TOO_LARGE.test(said) && this.range > 1 && this.connection !== undefined) {
          this.range = Math.max(1, Math.floor(this.range / 2));
          this.calmSteps = 0;
          this.connection.reader = this.reader(this.connection, this.connection.reader.contracts);
          this.config.logger.warn("range-reduced", { maxBlockRange: this.range, error: said });
          continue;
        }
        this.failures++;
        const longest = this.config.maxRetryMs ?? 15_000;
        const delay = backoffDelay(this.failures, Math.min(longest, Math.max(250, this.config.intervalMs)), longest);
        const message = `${said}; retrying in ${(delay / 1000).toFixed(1)} s (attempt ${this.failures})`;
        this.config.logger.warn("follow-failed", { error: said, retryInMs: delay, attempt: this.failures });
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
      // Contracts learned from wiring events stay followed (a replaced breaker's events during a catch-up).
      for (const [address, role] of Object.entries(memory.followed ?? {}))
        if (!contracts.roles.has(address)) contracts.roles.set(address, role);
      const fromBlock = addresses.fromBlock ?? 0;
      if (store.cursor() === undefined) store.setMeta("cursor", String(Math.max(fromBlock, 0) - 1));
      const reader = new ChainReader(provider, contracts, chainId, fromBlock, {
        maxBlockRange: this.range,
        index: memory.index,
      });
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
      };
    } catch (error) {
      provider.destroy();
      throw error;
    }
  }

  /** A reader over `contracts` that goes on from where the connection's accounts index stands. */
  private reader(c: Connection, contracts: ConsoleContracts): ChainReader {
    return new ChainReader(c.provider, contracts, c.chainId, c.addresses.fromBlock ?? 0, {
      maxBlockRange: this.range,
      index: c.reader.indexState(),
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
    if (target <= cursor) return;
    c.monitor.setRules(this.config.rules().rules);
    while (cursor < target && !this.abort.signal.aborted) {
      const to = Math.min(target, cursor + this.range);
      if (target - cursor > this.range) {
        this.config.logger.info("catching-up", { from: cursor + 1, to, target });
        this.status("following", `catching up: block ${to} of ${target}`);
      }
      // The range's last block, before and after the reads: a reorg meanwhile changes it, and the step is retried.
      const before = await c.provider.getBlock(to);
      // The step works on a copy of the memory, kept only once the step is stored: a failed step changes nothing.
      const memory = cloneMemory(c.memory);
      // The contracts followed, on a copy too: what a wiring event teaches is kept once the step is stored.
      const roles = new Map(c.reader.contracts.roles);
      const ctx = { contracts: { ...c.reader.contracts, roles }, provider: c.provider };
      const range = await readTimeline(ctx, c.clock, cursor + 1, to, memory);
      const through = range.through;
      if (range.learned.size > 0) {
        // Contracts a wiring event named: followed from now on, and read in that block too.
        for (const [address, role] of range.learned) roles.set(address, role);
        memory.followed = { ...memory.followed, ...Object.fromEntries(range.learned) };
        const more = await readTimeline(ctx, c.clock, through, through, memory, [...range.learned.keys()]);
        range.entries.push(...more.entries);
        range.entries.sort((a, b) => a.block - b.block || a.logIndex - b.logIndex);
      }
      const last = through === target;
      const { view, accounts } = last ? await c.reader.read(target, memory) : { view: undefined, accounts: [] };
      if (last) memory.index = c.reader.indexState();
      const [after, base] = await Promise.all([
        c.provider.getBlock(to),
        cursor < 0 ? Promise.resolve(null) : c.provider.getBlock(cursor),
      ]);
      // Usually the range ran to its end: its last block is the one just read.
      const header = through === to ? after : await c.provider.getBlock(through);
      const storedBase = store.meta("cursorHash");
      const baseMoved = cursor >= 0 && storedBase !== undefined && storedBase !== "" && base?.hash !== storedBase;
      if (header === null || before === null || after === null || after.hash !== before.hash || baseMoved) {
        throw new Error(`the chain changed under the read of blocks ${cursor + 1}–${to} (a reorg); reading them again`);
      }
      // Events before the console first watched fill the timeline without raising alerts.
      const alerting = range.entries.filter((e) => e.block >= memory.watchingFrom);
      let fresh: Alert[];
      try {
        fresh = store.record(
          {
            entries: range.entries,
            view,
            cursor: through,
            cursorHash: header.hash ?? "",
            memory: memoryToJson(memory),
            webhooks: this.config.webhookUrls(),
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
      c.memory = memory;
      for (const [address, role] of range.learned) c.reader.contracts.roles.set(address, role);
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
        // A contract was replaced or an asset listed: find them all again (keeping every contract followed so far,
        // whose events still arrive), and go on from the next block.
        const found = await discoverConsoleContracts(c.provider, c.addresses);
        for (const [address, role] of c.reader.contracts.roles)
          if (!found.roles.has(address)) found.roles.set(address, role);
        c.reader = this.reader(c, found);
        this.config.logger.info("rewired", {
          block: through,
          contracts: Object.fromEntries([...found.roles].map(([address, role]) => [role, address])),
        });
      }
    }
  }

  /**
   * Whether the chain lost the cursor's block (a reorg deeper than the confirmations). If so the history goes back
   * `REWIND_BLOCKS` (not below the first block followed), the accounts index goes back with it, and what the memory
   * learned from lost blocks is read again from the chain at the block it goes back to. A block the node does not
   * have yet (a lagging backend) is waited for, not taken for a reorg.
   */
  private async reorged(c: Connection, cursor: number): Promise<boolean> {
    const store = this.history!.store;
    const stored = store.meta("cursorHash");
    if (cursor < 0 || stored === undefined || stored === "") return false;
    const header = await c.provider.getBlock(cursor);
    if (header === null) throw new Error(`the node does not have block ${cursor} (a lagging backend?); waiting for it`);
    if (header.hash === stored) return false;
    const floor = (c.addresses.fromBlock ?? 0) - 1;
    const back = Math.max(floor, cursor - REWIND_BLOCKS);
    const anchor = back < 0 ? null : await c.provider.getBlock(back);
    const memory = cloneMemory(c.memory);
    // The accounts index starts over: a repay or write-off in a lost block may not be on the new chain.
    memory.index = undefined;
    // The last upkeep perform stays (likely mined again; forgetting it would read as a long silence).
    if (memory.lastKeeper !== null && memory.lastKeeper.block > back) memory.lastKeeper = null;
    const touched = store.entriesAfter(back).flatMap((e) => e.accounts);
    if (back >= 0) await this.reread(c, memory, back, touched);
    store.rewind(back, anchor?.hash ?? "", memoryToJson(memory));
    c.memory = memory;
    c.clock = new BlockClock(c.provider);
    c.reader = new ChainReader(c.provider, c.reader.contracts, c.chainId, c.addresses.fromBlock ?? 0, {
      maxBlockRange: this.range,
      index: memory.index,
    });
    this.config.logger.warn("reorg", { lost: cursor, rewoundTo: back });
    this.status("following", `a reorg replaced block ${cursor}; reading again from block ${back + 1}`);
    this.listener.rewound(back);
    return true;
  }

  /**
   * The flags and provisions of the accounts `memory` knows and of `touched` (named by lost entries), as the chain
   * held them at `block`. One that cannot be read there (an engine replaced since) is left unknown: a provision is
   * then read from the chain at its next event.
   */
  private async reread(c: Connection, memory: ReaderMemory, block: number, touched: readonly string[]): Promise<void> {
    const { lens, engine, vault } = c.reader.contracts;
    const at = { blockTag: block };
    const accounts = [...new Set([...memory.flagged, ...Object.keys(memory.provisions), ...touched])];
    memory.flagged = new Set();
    memory.provisions = {};
    for (const account of accounts) {
      const [flaggedAt, provision] = await Promise.all([
        engine.flaggedAt(account, at).catch(() => 0n),
        lens.provisionOf(String(vault.target), account, at).catch(() => undefined),
      ]);
      if (flaggedAt > 0n) memory.flagged.add(account);
      if (provision !== undefined) memory.provisions[account] = provision.toString();
    }
  }
}
