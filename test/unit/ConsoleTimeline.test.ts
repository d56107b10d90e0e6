/**
 * The console's timeline and server without a chain: events encoded with the contracts' own ABIs and served by a
 * stand-in provider are decoded into entries (a provision's rise, reduction and clearing; a write-off; a timelock
 * call to a known, an unknown and an undecodable target), keyed by transaction, and a range stops at a wiring event.
 * The monitor ends episodes of conditions it no longer sees and drops those of removed rules; the database rewinds
 * after a reorg and keeps an outbox of webhook deliveries; the server answers only its own host and survives a bad
 * request line; URLs are shown without their paths.
 */
import { connect } from "node:net";
import { request } from "node:http";

import { expect } from "chai";
import { Interface, ZeroAddress, getAddress, type Log, type Provider } from "ethers";

import { emptyMemory, type ConsoleContracts } from "../../scripts/lib/console/reader.js";
import { Monitor, parseRules } from "../../scripts/lib/console/rules.js";
import { ConsoleServer, type ConsoleState } from "../../scripts/lib/console/server.js";
import { HistoryStore } from "../../scripts/lib/console/store.js";
import { BlockClock, readTimeline } from "../../scripts/lib/console/timeline.js";
import { jsonSafe, type Alert, type ChainView } from "../../scripts/lib/console/types.js";
import { redactUrl } from "../../scripts/lib/console/webhooks.js";
import {
  CollateralVault__factory,
  LiquidationEngine__factory,
  TimelockController__factory,
} from "../../typechain-types/index.js";

const VAULT = getAddress("0x00000000000000000000000000000000000000b1");
const ENGINE = getAddress("0x00000000000000000000000000000000000000b2");
const TIMELOCK = getAddress("0x00000000000000000000000000000000000000b3");
const WETH = getAddress("0x00000000000000000000000000000000000000e1");
const ALICE = getAddress("0x00000000000000000000000000000000000000a1");
const vaultAbi = new Interface(CollateralVault__factory.abi);
const engineAbi = new Interface(LiquidationEngine__factory.abi);
const timelockAbi = new Interface(TimelockController__factory.abi);

/** The few fields of ConsoleContracts the timeline reads. */
const contracts = {
  roles: new Map([
    [VAULT, "vault"],
    [ENGINE, "engine"],
    [TIMELOCK, "timelock"],
  ]),
  symbols: new Map([[WETH, "WETH"]]),
  assets: [{ address: WETH, symbol: "WETH", decimals: 18, heartbeat: 3600 }],
  baseDecimals: 6,
  engine: { target: ENGINE },
  vault: { target: VAULT },
  // The chain's provisions before an event, for accounts the timeline has not seen (none here).
  lens: { provisionOf: async () => 0n },
  rateModel: getAddress("0x00000000000000000000000000000000000000d1"),
} as unknown as ConsoleContracts;

let logIndex = 0;
/** A log of `event` from `address` in `block`, transaction `tx`. */
function log(iface: Interface, address: string, event: string, args: unknown[], block: number, tx: string): Log {
  const encoded = iface.encodeEventLog(iface.getEvent(event)!, args);
  return {
    address,
    topics: encoded.topics,
    data: encoded.data,
    blockNumber: block,
    blockHash: `0x${block.toString(16).padStart(64, "0")}`,
    index: logIndex++,
    transactionHash: tx,
    transactionIndex: 0,
    removed: false,
  } as unknown as Log;
}

/** A provider that serves `logs` (filtered by block range) and blocks 12 s apart. */
function provider(logs: Log[]): Provider {
  return {
    async getLogs(filter: { fromBlock: number; toBlock: number }) {
      return logs.filter((l) => l.blockNumber >= filter.fromBlock && l.blockNumber <= filter.toBlock);
    },
    async getBlock(block: number) {
      return { timestamp: 1_000_000 + block * 12, hash: `0x${block.toString(16).padStart(64, "0")}` };
    },
  } as unknown as Provider;
}

const TX = (n: number): string => `0x${n.toString(16).padStart(64, "0")}`;

describe("security console: timeline", () => {
  it("says how a provision moved, counts only its rise as new bad debt, and keys events by transaction", async () => {
    const usd = (n: number): bigint => BigInt(n) * 1_000_000n;
    const logs = [
      log(vaultAbi, VAULT, "BadDebtProvisioned", [ALICE, usd(100), usd(100)], 10, TX(1)),
      log(vaultAbi, VAULT, "BadDebtProvisioned", [ALICE, usd(150), usd(150)], 11, TX(2)),
      log(vaultAbi, VAULT, "BadDebtProvisioned", [ALICE, usd(40), usd(40)], 12, TX(3)),
      log(vaultAbi, VAULT, "BadDebtProvisioned", [ALICE, 0n, 0n], 13, TX(4)),
      log(vaultAbi, VAULT, "BadDebtWrittenOff", [ALICE, usd(70), usd(20), usd(50)], 14, TX(5)),
      // Two events of one transaction: keyed by their place in it.
      log(engineAbi, ENGINE, "AccountFlagged", [ALICE, 10n ** 18n], 15, TX(6)),
      log(engineAbi, ENGINE, "AccountUnflagged", [ALICE], 15, TX(6)),
    ];
    const memory = emptyMemory(0);
    const range = await readTimeline(
      { contracts, provider: provider(logs) },
      new BlockClock(provider(logs)),
      0,
      20,
      memory,
    );
    expect(range).to.deep.include({ through: 20, rewired: false });
    expect(range.entries.map((e) => [e.summary, e.amount])).to.deep.equal([
      ["provisioned 100 more bad debt on 0x0000…00A1, 100 in all (total provisions 100)", 100],
      ["provisioned 50 more bad debt on 0x0000…00A1, 150 in all (total provisions 150)", 50],
      ["provision on 0x0000…00A1 reduced to 40 (total provisions 40)", undefined],
      ["provision on 0x0000…00A1 cleared (total provisions 0)", undefined],
      ["wrote off 70 of 0x0000…00A1's debt: reserves took 20, lenders 50", 70],
      ["flagged 0x0000…00A1 at health 1", undefined],
      ["unflagged 0x0000…00A1", undefined],
    ]);
    const [flagKey, unflagKey] = range.entries.slice(-2).map((e) => e.key);
    expect(flagKey.startsWith(`${TX(6)}:`) && unflagKey.startsWith(`${TX(6)}:`)).to.equal(true);
    expect(flagKey).to.not.equal(unflagKey);
    // Known to be none (a cleared provision is "0", unlike an account never seen).
    expect(memory.provisions).to.deep.equal({ [ALICE]: "0" });
    expect([...memory.flagged]).to.deep.equal([]);
    // The monitor's bad-debt rule: the rises and the write-off, never a reduction or a clearing.
    const monitor = new Monitor(
      parseRules({ rules: [{ type: "badDebt", minAmount: 60 }] }).rules,
      new HistoryStore(":memory:"),
    );
    const alerts = monitor.evaluate(range.entries, undefined, []);
    expect(alerts.map((a) => a.message)).to.deep.equal([range.entries[0].summary, range.entries[4].summary]);
  });

  it("reads an unseen account's provision from the chain; one it cannot read raises nothing; a failed read fails the range", async () => {
    const usd = (n: number): bigint => BigInt(n) * 1_000_000n;
    const logs = [log(vaultAbi, VAULT, "BadDebtProvisioned", [ALICE, usd(80), usd(80)], 60, TX(30))];
    const withLens = (provisionOf: () => Promise<bigint>) =>
      ({ ...contracts, lens: { provisionOf } }) as unknown as ConsoleContracts;
    const read = (c: ConsoleContracts) =>
      readTimeline({ contracts: c, provider: provider(logs) }, new BlockClock(provider(logs)), 60, 60, emptyMemory(0));
    // Set before the console's first block: a fall from 100 to 80 is not new bad debt.
    const fell = await read(withLens(async () => usd(100)));
    expect(fell.entries.map((e) => [e.summary, e.amount])).to.deep.equal([
      ["provision on 0x0000…00A1 reduced to 80 (total provisions 80)", undefined],
    ]);
    const reverted = Object.assign(new Error("call revert exception"), { code: "CALL_EXCEPTION" });
    const unknown = await read(withLens(async () => Promise.reject(reverted)));
    expect(unknown.entries[0].amount).to.equal(undefined);
    expect(unknown.entries[0].summary).to.match(/set to 80 \(its earlier provision could not be read\)/);
    const down = Object.assign(new Error("request timeout"), { code: "TIMEOUT" });
    let failed: unknown;
    await read(withLens(async () => Promise.reject(down))).catch((error: unknown) => (failed = error));
    expect(failed).to.equal(down);
  });

  it("counts a write-off as new bad debt only beyond the provision it clears in the same transaction", async () => {
    const usd = (n: number): bigint => BigInt(n) * 1_000_000n;
    const logs = [
      log(vaultAbi, VAULT, "BadDebtProvisioned", [ALICE, usd(100), usd(100)], 40, TX(20)),
      log(vaultAbi, VAULT, "BadDebtProvisioned", [ALICE, 0n, 0n], 41, TX(21)),
      log(vaultAbi, VAULT, "BadDebtWrittenOff", [ALICE, usd(130), usd(30), usd(100)], 41, TX(21)),
    ];
    const range = await readTimeline(
      { contracts, provider: provider(logs) },
      new BlockClock(provider(logs)),
      40,
      41,
      emptyMemory(0),
    );
    expect(range.entries.map((e) => e.amount)).to.deep.equal([100, undefined, 30]);
  });

  it("stops a range at a wiring event that names a new contract, and says which", async () => {
    const logs = [
      log(
        vaultAbi,
        VAULT,
        "CircuitBreakerSet",
        [getAddress("0x00000000000000000000000000000000000000c1"), ZeroAddress],
        30,
        TX(7),
      ),
      log(engineAbi, ENGINE, "AccountFlagged", [ALICE, 10n ** 18n], 30, TX(8)),
      log(engineAbi, ENGINE, "AccountFlagged", [ALICE, 10n ** 18n], 31, TX(9)),
    ];
    const range = await readTimeline(
      { contracts, provider: provider(logs) },
      new BlockClock(provider(logs)),
      25,
      40,
      emptyMemory(0),
    );
    expect(range).to.deep.include({ through: 30, rewired: true });
    expect([...range.learned]).to.deep.equal([[getAddress("0x00000000000000000000000000000000000000c1"), "breaker"]]);
    expect(range.entries.map((e) => e.block)).to.deep.equal([30, 30]);
    // A wiring event naming contracts already followed does not stop the range.
    const known = [log(vaultAbi, VAULT, "LiquidationEngineSet", [ENGINE], 32, TX(13)), ...logs.slice(2)];
    known[1] = log(engineAbi, ENGINE, "AccountFlagged", [ALICE, 10n ** 18n], 33, TX(14));
    const on = await readTimeline(
      { contracts, provider: provider(known) },
      new BlockClock(provider(known)),
      32,
      40,
      emptyMemory(0),
    );
    expect(on).to.deep.include({ through: 40, rewired: false });
    expect(on.learned.size).to.equal(0);
  });

  it("decodes a timelock's call to a Bulwark contract, and counts calls it cannot name as changes", async () => {
    const call = vaultAbi.encodeFunctionData("setBorrowCap", [5n]);
    const salt = `0x${"00".repeat(32)}`;
    const logs = [
      log(timelockAbi, TIMELOCK, "CallScheduled", [salt, 0n, VAULT, 0n, call, salt, 3600n], 50, TX(10)),
      log(timelockAbi, TIMELOCK, "CallScheduled", [salt, 0n, ALICE, 0n, "0x12345678", salt, 3600n], 51, TX(11)),
      log(
        timelockAbi,
        TIMELOCK,
        "CallScheduled",
        [salt, 0n, VAULT, 0n, vaultAbi.encodeFunctionData("withdrawReserves", [ALICE, 1n]), salt, 60n],
        52,
        TX(12),
      ),
    ];
    const range = await readTimeline(
      { contracts, provider: provider(logs) },
      new BlockClock(provider(logs)),
      50,
      52,
      emptyMemory(0),
    );
    const [cap, unknown, routine] = range.entries;
    expect(cap.summary).to.equal("timelock scheduled vault.setBorrowCap(5), executable from 1970-01-12T14:56:40Z");
    expect(cap.eta).to.equal(1_000_000 + 50 * 12 + 3600);
    expect(cap.args).to.deep.include({ function: "setBorrowCap", parameter: "true" });
    expect(unknown.args.parameter).to.equal("true");
    expect(routine.args).to.deep.include({ function: "withdrawReserves", parameter: "false" });
  });
});

describe("security console: episodes, rewinds and the outbox", () => {
  const calm = (block: number, oracles: ChainView["defences"]["oracles"]): ChainView =>
    ({
      chainId: 1,
      block,
      timestamp: block * 12,
      market: { baseDecimals: 6 },
      accounts: { count: 0, distribution: [], closest: [], watched: [] },
      defences: { breakers: [], oracles, upkeep: null, timelock: null },
    }) as unknown as ChainView;
  const failed = {
    asset: WETH,
    symbol: "WETH",
    status: "FAILED",
    reason: "STALE",
  } as ChainView["defences"]["oracles"][number];

  it("ends an episode whose subject is gone, and drops a removed rule's episodes without an alert", () => {
    const store = new HistoryStore(":memory:");
    const rules = parseRules({ rules: [{ type: "oracle", minutes: 0 }] }).rules;
    const monitor = new Monitor(rules, store);
    expect(monitor.evaluate([], calm(1, [failed]), [])).to.have.length(1);
    // The asset was delisted: no oracle row any more.
    const gone = monitor.evaluate([], calm(2, []), []);
    expect(gone.map((a) => [a.severity, a.message])).to.deep.equal([
      ["info", `oracle on ${WETH} is no longer watched`],
    ]);
    expect(monitor.evaluate([], calm(3, [failed]), [])).to.have.length(1);
    monitor.setRules(parseRules({ rules: [{ type: "oracle", id: "renamed", minutes: 0 }] }).rules);
    expect(store.episodes()).to.deep.equal([]);
    expect(monitor.idle(calm(4, []))).to.deep.equal([]);
    const withTimelockRule = new Monitor(parseRules({ rules: [{ type: "timelock" }] }).rules, store);
    expect(withTimelockRule.idle(calm(4, [])).map((i) => i.rule)).to.deep.equal(["timelock"]);
    store.close();
  });

  it("rewinds after a reorg: later entries and points go, alerts stay; the outbox keeps deliveries until done", () => {
    const store = new HistoryStore(":memory:");
    const entry = (block: number) => ({
      id: `${block}:0`,
      key: `k${block}`,
      logIndex: 0,
      block,
      timestamp: block,
      tx: "0x",
      source: "vault",
      name: "X",
      summary: "x",
      accounts: [],
      assets: [],
      args: {},
    });
    const alert = (key: string): Alert => ({
      id: key,
      rule: "r",
      key,
      severity: "info",
      block: 1,
      timestamp: 1,
      message: key,
      accounts: [],
      assets: [],
      raisedAt: Date.now(),
    });
    const view = (block: number) => calm(block, []);
    const hooks = ["http://127.0.0.1:1/a", "http://127.0.0.1:1/b"];
    for (const block of [10, 11, 12]) {
      store.record(
        {
          entries: [entry(block)],
          view: view(block),
          cursor: block,
          cursorHash: `0x${block}`,
          memory: "{}",
          webhooks: hooks,
        },
        () => [alert(`a${block}`)],
      );
    }
    expect(store.pendingDeliveries()).to.have.length(6);
    store.delivered("a10", hooks[0]);
    expect(store.pendingDeliveries().map((d) => `${d.alert.key}@${d.url.slice(-1)}`)).to.deep.equal([
      "a10@b",
      "a11@a",
      "a11@b",
      "a12@a",
      "a12@b",
    ]);
    store.rewind(10, "0x10", "{}");
    expect(store.cursor()).to.equal(10);
    expect(store.meta("cursorHash")).to.equal("0x10");
    const history = store.history(1);
    expect(history.entries.map((e) => e.block)).to.deep.equal([10]);
    expect(history.series.map((p) => p.block)).to.deep.equal([10]);
    expect(history.alerts.map((a) => a.key)).to.deep.equal(["a10", "a11", "a12"]);
    store.close();
  });

  it("stores Infinity and an unreadable health as the page reads them", () => {
    expect(JSON.stringify({ a: Infinity, b: NaN, c: 1 }, jsonSafe)).to.equal('{"a":"∞","b":"unknown","c":1}');
  });
});

describe("security console: server", () => {
  let server: ConsoleServer;
  let port: number;
  before(async () => {
    const state = {
      mode: "rpc",
      status: { state: "starting", message: "", rpc: "", since: 0 },
      problems: [],
      view: null,
      rules: [],
      idleRules: [],
      demo: null,
    } as ConsoleState;
    server = new ConsoleServer(state, () => undefined);
    port = Number(new URL(await server.listen(0)).port);
  });
  after(() => server.close());

  const get = (path: string, host: string, method = "GET"): Promise<number> =>
    new Promise((resolve, reject) => {
      const req = request({ host: "127.0.0.1", port, path, method, headers: { host } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", reject);
      req.end();
    });

  it("answers its own host only, GET and HEAD only", async () => {
    expect(await get("/api/state", `127.0.0.1:${port}`)).to.equal(200);
    expect(await get("/api/state", `localhost:${port}`)).to.equal(200);
    expect(await get("/api/state", `attacker.example:${port}`)).to.equal(403);
    expect(await get("/api/state", `127.0.0.1:${port}`, "POST")).to.equal(405);
    expect(await get("/api/history?hours=-1", `127.0.0.1:${port}`)).to.equal(400);
    expect(await get("/api/events", `127.0.0.1:${port}`, "HEAD")).to.equal(200);
    expect(await get("/nope", `127.0.0.1:${port}`)).to.equal(404);
  });

  it("survives a request line it cannot parse", async () => {
    const answer = await new Promise<string>((resolve) => {
      const socket = connect(port, "127.0.0.1", () =>
        socket.write(`GET //[ HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`),
      );
      let text = "";
      socket.on("data", (d) => (text += d.toString()));
      socket.on("close", () => resolve(text));
      socket.on("error", () => resolve(text));
      setTimeout(() => socket.destroy(), 500);
    });
    expect(answer).to.match(/^HTTP\/1\.1 (400|403|404)/);
    expect(await get("/healthz", `127.0.0.1:${port}`)).to.equal(200);
  });

  it("shows URLs without their paths and queries (API keys and tokens live there)", () => {
    expect(redactUrl("https://eth-mainnet.example/v2/SECRET?x=1")).to.equal("https://eth-mainnet.example/…");
    expect(redactUrl("http://127.0.0.1:8545")).to.equal("http://127.0.0.1:8545/");
    expect(redactUrl("https://user:pass@hooks.example/T000/B000/XXX")).to.equal("https://hooks.example/…");
    expect(redactUrl("nonsense")).to.equal("(not a URL)");
  });
});
