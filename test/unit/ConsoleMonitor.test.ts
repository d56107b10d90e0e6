/**
 * The security console's monitor without a chain: the rules file's checks (each mistake one line naming the field),
 * each rule's alerts (one per event, or one per episode of a condition, with its end), the history database (bound to
 * one deployment, atomic steps, alerts never stored twice, kept across a restart), and webhook delivery (retried with
 * capped backoff on 5xx, 429, network errors and timeouts; a 4xx is final).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createHmac } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import { getAddress } from "ethers";
import { DatabaseSync } from "node:sqlite";

import { parseConsoleArgs, readAddressFile } from "../../scripts/lib/console/consoleCli.js";
import { UsageError } from "../../scripts/lib/cliArgs.js";
import { FUTURE_IDS } from "../../scripts/lib/deployment.js";
import {
  DEFAULT_RULES_JSON,
  Monitor,
  RulesError,
  parseRules,
  parseRulesText,
  parseWebhook,
  type Rule,
} from "../../scripts/lib/console/rules.js";
import { HistoryStore, StoreMismatch } from "../../scripts/lib/console/store.js";
import type { AccountRow, Alert, ChainView, TimelineEntry } from "../../scripts/lib/console/types.js";
import { deliver, signature } from "../../scripts/lib/console/webhooks.js";
import { ROOT } from "./helpers/consoleProcess.js";

const ACCOUNT = "0x00000000000000000000000000000000000000a1";
const WETH = "0x00000000000000000000000000000000000000e1";
const UPKEEP = "0x00000000000000000000000000000000000000f1";

/** A view of a calm market at `block` (12 s blocks); `change` edits it. */
function view(block: number, change: (v: ChainView) => void = () => undefined): ChainView {
  const v: ChainView = {
    chainId: 31337,
    block,
    timestamp: 1_000_000 + block * 12,
    market: {
      baseSymbol: "USDC",
      baseDecimals: 6,
      totalAssets: 1000,
      totalBorrows: 800,
      cash: 200,
      reserves: 1,
      provisions: 0,
      badDebt: 0,
      unrecoveredLoss: 0,
      sharePrice: 1,
      utilisation: 0.8,
      borrowApr: 0.05,
      borrowCap: 1e9,
    },
    accounts: { count: 0, distribution: [], closest: [], watched: [] },
    defences: {
      breakers: [
        {
          asset: WETH,
          symbol: "WETH",
          level: "NONE",
          actions: [],
          reasons: [],
          cooldownUntil: 0,
          resumesIn: 0,
          liquidationsFrom: 0,
          outflowUsed: 10,
          outflowLimit: 100,
        },
        {
          asset: "global",
          symbol: "global",
          level: "NONE",
          actions: [],
          reasons: [],
          cooldownUntil: 0,
          resumesIn: 0,
          liquidationsFrom: 0,
          outflowUsed: 5,
          outflowLimit: Infinity,
        },
      ],
      oracles: [
        {
          asset: WETH,
          symbol: "WETH",
          status: "OK",
          reason: "NONE",
          low: 1,
          high: 1,
          primary: 1,
          primaryAge: 0,
          heartbeat: 3600,
          secondary: null,
          secondaryReason: "NONE",
        },
      ],
      sequencer: { reason: "NONE", readySince: 0 },
      risk: [],
      queue: null,
      timelock: { address: UPKEEP, minDelay: 172800 },
      upkeep: { address: UPKEEP, lastPerformedBlock: null, lastPerformedAt: null, silentSince: 0 },
      keeper: { lastAction: null, lastBlock: null, lastBy: null },
    },
  };
  change(v);
  return v;
}

const account = (health: number | null, debtUsd: number): AccountRow => ({
  account: ACCOUNT,
  health,
  riskScore: null,
  debt: debtUsd,
  debtUsd,
  collateralValue: 0,
  flagged: false,
  provision: 0,
  priceStatus: "OK",
});

const entry = (
  block: number,
  source: string,
  name: string,
  args: Record<string, string>,
  extra: Partial<TimelineEntry> = {},
): TimelineEntry => ({
  id: `${block}:0`,
  key: `0x${block.toString(16).padStart(64, "0")}:0`,
  logIndex: 0,
  block,
  timestamp: 1_000_000 + block * 12,
  tx: "0x",
  source,
  name,
  summary: `${source}.${name}`,
  accounts: [],
  assets: [],
  args,
  ...extra,
});

const rulesOf = (...rules: unknown[]): Rule[] => parseRules({ rules }).rules;

describe("security console: rules file", () => {
  it("ships its defaults as deploy/console/rules.json, and they parse", () => {
    const shipped = JSON.parse(readFileSync(path.join(ROOT, "deploy", "console", "rules.json"), "utf8")) as Record<
      string,
      unknown
    >;
    delete shipped.$comment;
    expect(shipped).to.deep.equal(JSON.parse(JSON.stringify(DEFAULT_RULES_JSON)));
    expect(parseRules(shipped).rules.map((r) => r.type)).to.deep.equal([
      "breaker",
      "oracle",
      "health",
      "badDebt",
      "outflow",
      "upkeep",
      "timelock",
    ]);
  });

  it("fills each rule's defaults and takes a webhook as a URL or an object", () => {
    const parsed = parseRules({
      rules: [{ type: "oracle" }, { type: "outflow", id: "o2", percent: 50 }],
      webhooks: ["http://127.0.0.1:1/x", { url: "https://e.example/h", attempts: 2 }],
    });
    expect(parsed.rules[0]).to.deep.include({ id: "oracle", severity: "critical", resolved: true, minutes: 10 });
    expect(parsed.rules[1]).to.deep.include({ id: "o2", percent: 50 });
    expect(parsed.webhooks[0]).to.deep.include({ url: "http://127.0.0.1:1/x", attempts: 6, backoffMs: 500 });
    expect(parsed.webhooks[1]).to.deep.include({ attempts: 2 });
  });

  const cases: Array<[string, unknown, RegExp]> = [
    ["not an object", [], /must be a JSON object/],
    ["an unknown key", { rules: [], hooks: [] }, /unknown key "hooks"/],
    ["rules not an array", { rules: {} }, /"rules" must be an array/],
    ["an unknown type", { rules: [{ type: "price" }] }, /rules\[0\]\.type must be one of breaker, oracle/],
    [
      "a field of another type",
      { rules: [{ type: "breaker", minutes: 5 }] },
      /rules\[0\]: unknown field "minutes" for a breaker rule/,
    ],
    ["a bad id", { rules: [{ type: "breaker", id: "a b" }] }, /rules\[0\]\.id must be/],
    ["an id twice", { rules: [{ type: "breaker" }, { type: "breaker" }] }, /rules\[1\]\.id "breaker" is used twice/],
    [
      "a bad severity",
      { rules: [{ type: "breaker", severity: "high" }] },
      /severity must be info, warning or critical/,
    ],
    [
      "negative minutes",
      { rules: [{ type: "oracle", minutes: -1 }] },
      /rules\[0\]\.minutes must be a number ≥ 0, got -1/,
    ],
    [
      "a percent over 100",
      { rules: [{ type: "outflow", percent: 120 }] },
      /percent must be a number between 0 and 100, got 120/,
    ],
    ["a string for a number", { rules: [{ type: "health", below: "1.1" }] }, /below must be a number ≥ 0, got "1.1"/],
    ["zero blocks", { rules: [{ type: "upkeep", blocks: 0 }] }, /blocks must be a number ≥ 1/],
    ["resolved not a boolean", { rules: [{ type: "oracle", resolved: "yes" }] }, /resolved must be true or false/],
    ["a webhook that is not http", { rules: [], webhooks: ["ftp://x"] }, /webhooks\[0\]\.url must be an http\(s\) URL/],
    [
      "zero attempts",
      { rules: [], webhooks: [{ url: "http://x", attempts: 0 }] },
      /webhooks\[0\]\.attempts must be a whole number between 1 and 50/,
    ],
    ["an unknown webhook field", { rules: [], webhooks: [{ url: "http://x", secret: "s" }] }, /unknown field "secret"/],
  ];
  for (const [what, raw, message] of cases) {
    it(`refuses ${what}, naming the field`, () => {
      expect(() => parseRules(raw, "r.json")).to.throw(RulesError, message);
    });
  }

  it("refuses text that is not JSON, naming the file", () => {
    expect(() => parseRulesText("{ rules: ", "my.json")).to.throw(RulesError, /^my\.json: not valid JSON/);
  });
});

describe("security console: monitor", () => {
  let store: HistoryStore;
  beforeEach(() => {
    store = new HistoryStore(":memory:");
  });
  afterEach(() => store.close());

  it("raises one alert per breaker event: a trip at the rule's severity, a resume as info", () => {
    const monitor = new Monitor(rulesOf({ type: "breaker", severity: "critical" }), store);
    const trip = entry(5, "breaker", "BreakerUpdated", { tripped: "true" }, { assets: [WETH] });
    const resume = { ...entry(6, "breaker", "BreakerUpdated", { tripped: "false" }), id: "6:1", key: "0xb:1" };
    const other = entry(6, "oracle", "PriceStatusChanged", {});
    const alerts = monitor.evaluate([trip, resume, other], view(6), []);
    expect(alerts.map((a) => [a.severity, a.block, a.entry, a.assets])).to.deep.equal([
      ["critical", 5, "5:0", [WETH]],
      ["info", 6, "6:1", []],
    ]);
  });

  it("raises an oracle alert once it has been out of OK for the rule's minutes, once, and says when it recovers", () => {
    const monitor = new Monitor(rulesOf({ type: "oracle", minutes: 1 }), store);
    const doubted = (b: number): ChainView =>
      view(b, (v) => (v.defences.oracles[0] = { ...v.defences.oracles[0], status: "DEGRADED", reason: "STALE" }));
    expect(monitor.evaluate([], doubted(10), [])).to.deep.equal([]); // t = 0
    expect(monitor.evaluate([], doubted(14), [])).to.deep.equal([]); // 48 s
    const fired = monitor.evaluate([], doubted(15), []); // 60 s
    expect(fired).to.have.length(1);
    expect(fired[0].message).to.match(/oracle WETH has been DEGRADED \(STALE\) for 1 min/);
    expect(monitor.evaluate([], doubted(40), [])).to.deep.equal([]);
    const back = monitor.evaluate([], view(41), []);
    expect(back.map((a) => [a.severity, a.message])).to.deep.equal([["info", "oracle WETH is OK again"]]);
    // A recovery before the rule's time raises nothing at all.
    monitor.evaluate([], doubted(50), []);
    expect(monitor.evaluate([], view(51), [])).to.deep.equal([]);
  });

  it("watches accounts with debt over the rule's amount below its health, and ends the episode when the debt is gone", () => {
    const monitor = new Monitor(rulesOf({ type: "health", minDebtUsd: 1000, below: 1.1, resolved: true }), store);
    expect(monitor.evaluate([], view(1), [account(1.05, 999)])).to.deep.equal([]); // too small
    expect(monitor.evaluate([], view(2), [account(1.2, 5000)])).to.deep.equal([]); // healthy
    const low = monitor.evaluate([], view(3), [account(1.05, 5000)]);
    expect(low).to.have.length(1);
    expect(low[0].accounts).to.deep.equal([ACCOUNT]);
    expect(monitor.evaluate([], view(4), [account(1.0, 5000)])).to.deep.equal([]); // same episode
    const gone = monitor.evaluate([], view(5), []);
    expect(gone.map((a) => [a.severity, a.accounts])).to.deep.equal([["info", [ACCOUNT]]]);
    expect(gone[0].message).to.match(/has no debt left/);
  });

  it("raises outflow alerts at the rule's share of a finite limit only", () => {
    const monitor = new Monitor(rulesOf({ type: "outflow", percent: 50, resolved: false }), store);
    const used = (b: number, x: number): ChainView => view(b, (v) => (v.defences.breakers[0].outflowUsed = x));
    expect(monitor.evaluate([], used(1, 49), [])).to.deep.equal([]);
    const high = monitor.evaluate([], used(2, 50), []);
    expect(high.map((a) => a.message)).to.deep.equal(["outflow on WETH is 50% of its limit (50 of 100; rule: ≥ 50%)"]);
    expect(monitor.evaluate([], used(3, 10), [])).to.deep.equal([]); // resolved: false
  });

  it("raises an upkeep alert after the rule's blocks of silence, and its end when it performs", () => {
    const monitor = new Monitor(rulesOf({ type: "upkeep", blocks: 10 }), store);
    expect(monitor.evaluate([], view(9), [])).to.deep.equal([]);
    expect(monitor.evaluate([], view(10), [])).to.have.length(1);
    expect(monitor.evaluate([], view(30), [])).to.deep.equal([]);
    const performed = view(
      31,
      (v) => (v.defences.upkeep = { ...v.defences.upkeep!, lastPerformedBlock: 31, silentSince: 31 }),
    );
    expect(monitor.evaluate([], performed, []).map((a) => a.severity)).to.deep.equal(["info"]);
    // Without an upkeep the rule is idle, and says so.
    const none = view(40, (v) => (v.defences.upkeep = null));
    expect(monitor.evaluate([], none, [])).to.deep.equal([]);
    expect(monitor.idle(none).map((i) => i.rule)).to.deep.equal(["upkeep"]);
  });

  it("raises timelock alerts for parameter calls (all calls when parametersOnly is off) and bad-debt alerts from the rule's amount", () => {
    const scheduled = (block: number, parameter: string): TimelineEntry =>
      entry(block, "timelock", "CallScheduled", { parameter }, { eta: 99 });
    const param = new Monitor(rulesOf({ type: "timelock" }), store);
    expect(
      param
        .evaluate([scheduled(1, "true"), { ...scheduled(1, "false"), id: "1:1", key: "0xa:1" }], view(1), [])
        .map((a) => a.entry),
    ).to.deep.equal(["1:0"]);
    const all = new Monitor(rulesOf({ type: "timelock", parametersOnly: false }), new HistoryStore(":memory:"));
    expect(
      all.evaluate([scheduled(1, "true"), { ...scheduled(1, "false"), id: "1:1", key: "0xa:1" }], view(1), []),
    ).to.have.length(2);
    const debt = new Monitor(rulesOf({ type: "badDebt", minAmount: 100 }), store);
    const small = entry(2, "vault", "BadDebtWrittenOff", {}, { amount: 99.99 });
    const large = { ...entry(2, "vault", "BadDebtProvisioned", {}, { amount: 100 }), id: "2:1", key: "0xc:1" };
    expect(debt.evaluate([small, large], view(2), []).map((a) => a.entry)).to.deep.equal(["2:1"]);
  });

  it("runs only the event rules without a view (a catch-up range short of the head)", () => {
    const monitor = new Monitor(
      rulesOf({ type: "breaker" }, { type: "upkeep", blocks: 1 }, { type: "oracle", minutes: 0 }),
      store,
    );
    const alerts = monitor.evaluate([entry(3, "breaker", "BreakerUpdated", { tripped: "true" })], undefined, []);
    expect(alerts.map((a) => a.rule)).to.deep.equal(["breaker"]);
  });

  it("keeps its episodes in the database: a new monitor on it neither repeats an alert nor forgets to end it", () => {
    const rules = rulesOf({ type: "oracle", minutes: 0 });
    const doubted = view(1, (v) => (v.defences.oracles[0].status = "FAILED"));
    expect(new Monitor(rules, store).evaluate([], doubted, [])).to.have.length(1);
    const restarted = new Monitor(rules, store);
    expect(restarted.evaluate([], { ...doubted, block: 2 }, [])).to.deep.equal([]);
    expect(restarted.evaluate([], view(3), []).map((a) => a.severity)).to.deep.equal(["info"]);
  });
});

describe("security console: history database", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), "bulwark-store-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const alert = (key: string, block: number): Alert => ({
    id: key,
    rule: "r",
    key,
    severity: "info",
    block,
    timestamp: block,
    message: key,
    accounts: [],
    assets: [],
    raisedAt: Date.now(),
  });

  it("is bound to one chain and vault, and refuses another with a message that says what to do", () => {
    const store = new HistoryStore(path.join(dir, "bound.sqlite"));
    store.bind({ chainId: 1, vault: "0xAbC" });
    store.bind({ chainId: 1, vault: "0xabc" });
    expect(() => store.bind({ chainId: 2, vault: "0xabc" })).to.throw(
      StoreMismatch,
      /follows chain 1 vault 0xabc, not chain 2 .*give another --db/,
    );
    store.close();
  });

  it("stores a step atomically, never an alert twice, and keeps it all across a reopen", () => {
    const file = path.join(dir, "steps.sqlite");
    let store = new HistoryStore(file);
    const e1 = entry(5, "breaker", "BreakerUpdated", { tripped: "true" });
    expect(
      store
        .record({ entries: [e1], view: view(5), cursor: 5, cursorHash: "0x05", memory: "{}" }, () => [alert("k1", 5)])
        .map((a) => a.key),
    ).to.deep.equal(["k1"]);
    // The same key again (a step re-read after a crash) is not new.
    expect(
      store
        .record({ entries: [e1], view: view(6), cursor: 6, cursorHash: "0x06", memory: "{}" }, () => [
          alert("k1", 5),
          alert("k2", 6),
        ])
        .map((a) => a.key),
    ).to.deep.equal(["k2"]);
    // A failing step leaves nothing behind.
    expect(() =>
      store.record(
        { entries: [entry(7, "vault", "X", {})], view: view(7), cursor: 7, cursorHash: "0x07", memory: "{}" },
        () => {
          store.saveEpisode({ key: "e", rule: "r", since: 0, sinceBlock: 0, fired: false });
          throw new Error("boom");
        },
      ),
    ).to.throw("boom");
    expect(store.cursor()).to.equal(6);
    expect(store.episodes()).to.deep.equal([]);
    store.close();

    store = new HistoryStore(file);
    expect(store.cursor()).to.equal(6);
    const history = store.history(1);
    expect(history.entries.map((e) => e.id)).to.deep.equal(["5:0"]);
    expect(history.alerts.map((a) => a.key)).to.deep.equal(["k1", "k2"]);
    expect(history.series.map((p) => p.block)).to.deep.equal([5, 6]);
    expect(store.lastView()?.block).to.equal(6);
    store.close();
  });

  it("opens a database of an earlier version, adding the columns it lacks", () => {
    const file = path.join(dir, "old.sqlite");
    const old = new DatabaseSync(file);
    old.exec(`
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE entries (id TEXT PRIMARY KEY, block INTEGER NOT NULL, timestamp INTEGER NOT NULL,
        recorded_at INTEGER NOT NULL, json TEXT NOT NULL);
      CREATE TABLE outbox (alert TEXT NOT NULL, url TEXT NOT NULL, json TEXT NOT NULL, PRIMARY KEY (alert, url));
    `);
    old
      .prepare("INSERT INTO outbox (alert, url, json) VALUES (?, ?, ?)")
      .run("k0", "http://x/", JSON.stringify(alert("k0", 1)));
    old.close();
    const store = new HistoryStore(file);
    expect(store.pendingDeliveries().map((d) => d.alert.key)).to.deep.equal(["k0"]);
    store.record(
      {
        entries: [entry(3, "vault", "X", {})],
        view: view(3),
        cursor: 3,
        cursorHash: "0x03",
        memory: "{}",
        webhooks: ["http://x/"],
      },
      () => [alert("k1", 3)],
    );
    expect(store.prune(7)).to.equal(0);
    expect(store.history(1).entries.map((e) => e.id)).to.deep.equal(["3:0"]);
    expect(store.pendingDeliveries().map((d) => d.alert.key)).to.deep.equal(["k0", "k1"]);
    store.close();
  });

  it("prunes rows older than the days kept", async () => {
    const store = new HistoryStore(":memory:");
    store.record(
      { entries: [entry(1, "vault", "X", {})], view: view(1), cursor: 1, cursorHash: "0x01", memory: "{}" },
      () => [alert("old", 1)],
    );
    await new Promise((r) => setTimeout(r, 5));
    expect(store.prune(0)).to.equal(3);
    expect(store.history(1)).to.deep.equal({ series: [], entries: [], alerts: [] });
    store.close();
  });
});

describe("security console: address book", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), "bulwark-book-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string): string => {
    const file = path.join(dir, name);
    writeFileSync(file, text);
    return file;
  };

  it("reads its own format and Ignition's record, and names what is wrong", () => {
    const vault = "0x00000000000000000000000000000000000000a1";
    const lens = "0x00000000000000000000000000000000000000a2";
    expect(readAddressFile(write("a.json", JSON.stringify({ vault, lens, fromBlock: 7 })))).to.deep.include({
      vault: getAddress(vault),
      lens: getAddress(lens),
      fromBlock: 7,
    });
    const ignition = { [FUTURE_IDS.vault]: vault, [FUTURE_IDS.lens]: lens, [FUTURE_IDS.timelock]: vault };
    expect(readAddressFile(write("b.json", JSON.stringify(ignition)))).to.deep.include({
      lens: getAddress(lens),
      timelock: getAddress(vault),
    });
    expect(() => readAddressFile(write("c.json", "{"))).to.throw(/cannot be read/);
    expect(() => readAddressFile(write("d.json", JSON.stringify({ vault })))).to.throw(
      /"lens" must be an address \(required\), got undefined/,
    );
    expect(() => readAddressFile(write("e.json", JSON.stringify({ vault, lens, fromBlock: -1 })))).to.throw(
      /"fromBlock" must be a whole number/,
    );
    expect(() => readAddressFile(path.join(dir, "missing.json"))).to.throw(/missing\.json cannot be read/);
  });
});

describe("security console: webhook delivery", () => {
  let server: Server;
  let url: string;
  let answers: number[];
  let hits: number;
  const requests: Array<{ headers: IncomingHttpHeaders; body: string }> = [];
  before(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        requests.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
        const status = answers[hits++] ?? 200;
        if (status === 0) return; // never answer: a timeout
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/h`;
  });
  beforeEach(() => {
    hits = 0;
    requests.length = 0;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const hook = (over: Partial<{ attempts: number; timeoutMs: number }> = {}) => ({
    url,
    attempts: 5,
    backoffMs: 100,
    maxBackoffMs: 250,
    timeoutMs: 2000,
    ...over,
  });
  const one: Alert = {
    id: "a1",
    rule: "r",
    key: "k",
    severity: "info",
    block: 1,
    timestamp: 1,
    message: "m",
    accounts: [],
    assets: [],
    raisedAt: 0,
  };

  it("signs each POST when its webhook names a secret, and refuses a secret variable that is not set", async () => {
    expect(() => parseWebhook({ url, secretEnv: "BULWARK_TEST_UNSET" }, "w", {})).to.throw(
      RulesError,
      /w\.secretEnv names BULWARK_TEST_UNSET, which is not set/,
    );
    expect(() => parseWebhook({ url, secretEnv: "not a name" }, "w", {})).to.throw(
      RulesError,
      /must be an environment variable's name/,
    );
    const signed = parseWebhook({ url, secretEnv: "HOOK_KEY", attempts: 1 }, "w", { HOOK_KEY: "s3cret" });
    answers = [204];
    expect((await deliver(signed, one, undefined, async () => undefined)).ok).to.equal(true);
    const [{ headers, body }] = requests;
    const timestamp = String(headers["x-bulwark-timestamp"]);
    const expected = createHmac("sha256", "s3cret").update(`${timestamp}.${body}`).digest("hex");
    expect(headers["x-bulwark-signature"]).to.equal(`sha256=${expected}`);
    expect(signature("s3cret", timestamp, body)).to.equal(expected);
    expect(headers["x-bulwark-alert"]).to.equal(one.key);
    // Unsigned without a secret.
    answers = [204];
    await deliver(hook(), one, undefined, async () => undefined);
    expect(requests[1].headers["x-bulwark-signature"]).to.equal(undefined);
  });

  it("retries 503 and 429 with doubling, capped delays, then succeeds", async () => {
    answers = [503, 429, 503, 204];
    const delays: number[] = [];
    const result = await deliver(hook(), one, undefined, async (ms) => void delays.push(ms));
    expect(result).to.deep.include({ ok: true, attempts: 4, last: "HTTP 204" });
    expect(delays).to.deep.equal([100, 200, 250]);
  });

  it("does not retry a 4xx: the request itself is wrong", async () => {
    answers = [400];
    const result = await deliver(hook(), one, undefined, async () => undefined);
    expect(result).to.deep.include({ ok: false, attempts: 1, last: "HTTP 400" });
  });

  it("retries a timeout and a refused connection until its attempts run out", async () => {
    answers = [0, 0];
    const timedOut = await deliver(hook({ attempts: 2, timeoutMs: 150 }), one, undefined, async () => undefined);
    expect(timedOut).to.deep.include({ ok: false, attempts: 2 });
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", () => resolve()));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const refused = await deliver(
      { ...hook({ attempts: 3 }), url: `http://127.0.0.1:${port}/` },
      one,
      undefined,
      async () => undefined,
    );
    expect(refused.ok).to.equal(false);
    expect(refused.attempts).to.equal(3);
    expect(refused.last).to.match(/ECONNREFUSED|connect/);
  });
});

describe("security console: command line", () => {
  const bad: Array<[string[], RegExp]> = [
    [[], /give --rpc URL .* or --demo/],
    [["--demo", "--rpc", "http://127.0.0.1:8545"], /give --rpc URL .* or --demo/],
    [["--rpc", "ws://127.0.0.1:8545"], /--rpc must be an http\(s\) URL/],
    [["--rpc", "http://x", "--vault", "0x00000000000000000000000000000000000000a1"], /--vault and --lens go together/],
    [["--rpc", "http://x", "--deployment", "d", "--addresses", "a"], /give one of --deployment DIR, --addresses FILE/],
    [["--demo", "--addresses", "a"], /--demo deploys its own market/],
    [["--demo", "--port", "70000"], /--port must be at most 65535/],
    [["--demo", "--port", "x"], /--port/],
    [["--demo", "--webhook", "ftp://x"], /--webhook\.url must be an http\(s\) URL/],
    [["--demo", "--log-level", "loud"], /--log-level must be/],
    [["--rpc", "http://x", "--vault", "0x12", "--lens", "0x12"], /--vault must be an address/],
  ];
  for (const [argv, message] of bad) {
    it(`refuses ${argv.join(" ") || "no arguments"}`, () => {
      expect(() => parseConsoleArgs(argv)).to.throw(UsageError, message);
    });
  }

  it("takes the demo's and the follower's defaults", () => {
    expect(parseConsoleArgs(["--demo"])).to.deep.include({
      mode: "demo",
      port: 4646,
      intervalMs: 250,
      accounts: 60,
      blockMs: 400,
      keepDays: 7,
    });
    expect(parseConsoleArgs(["--rpc", "http://127.0.0.1:8545", "--webhook", "http://127.0.0.1:1/h"])).to.deep.include({
      mode: "rpc",
      intervalMs: 2000,
      rpcTimeoutMs: 10_000,
      webhooks: ["http://127.0.0.1:1/h"],
    });
  });
});
