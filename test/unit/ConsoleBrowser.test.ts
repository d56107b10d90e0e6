/// <reference lib="dom" />
/**
 * The security console as a person uses it (`npm run console -- --demo`, then `--rpc`), end to end:
 *
 * - a demo console replays Black Thursday on its own chain; Debian's Chromium (puppeteer-core) opens the page, which
 *   shows the market, and a breaker trip appears on the page within seconds of the console raising it, on stdout as
 *   a JSON line, and at a webhook receiver on 127.0.0.1 (whose first answer to each alert is a 503: every delivery
 *   is retried). The page asks for nothing beyond the console's own origin. A screenshot is saved (BULWARK_CONSOLE_SCREENSHOT=path;
 *   docs/console.png in the README is one).
 * - a second console follows the demo chain over `--rpc` through a forwarder the test controls: it is stopped and
 *   restarted on the same history database (history kept, no alert raised twice); the health it shows equals the
 *   VaultLens's `healthFactor` at the same block, account by account; then its RPC goes away, hangs and
 *   comes back, its address book is wrong and then fixed, and its rules file is malformed throughout: each problem
 *   is on the page and in the log, and it keeps serving and reconnects.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import { JsonRpcProvider, formatUnits } from "ethers";
import type { Browser, Page } from "puppeteer-core";

import { DEFAULT_RULES_JSON } from "../../scripts/lib/console/rules.js";
import type { ConsoleState } from "../../scripts/lib/console/server.js";
import type { Alert, TimelineEntry } from "../../scripts/lib/console/types.js";
import { VaultLens__factory } from "../../typechain-types/index.js";
import { launchBrowser } from "./helpers/browser.js";
import { ConsoleProcess, Forwarder, getJson, webhookReceiver, type LogLine } from "./helpers/consoleProcess.js";

type History = { series: unknown[]; entries: TimelineEntry[]; alerts: Alert[] };

/** Opens `url` with every request beyond its origin refused (and recorded), and page errors recorded. */
async function openPage(browser: Browser, url: string): Promise<{ page: Page; errors: string[]; foreign: string[] }> {
  const page = await browser.newPage();
  const errors: string[] = [];
  const foreign: string[] = [];
  page.on("pageerror", (error) => errors.push(String(error)));
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  await page.setRequestInterception(true);
  const origin = new URL(url).origin;
  page.on("request", (request) => {
    if (request.url().startsWith(origin)) void request.continue();
    else {
      foreign.push(request.url());
      void request.abort();
    }
  });
  await page.setViewport({ width: 1500, height: 1900 });
  await page.goto(url, { waitUntil: "domcontentloaded" });
  return { page, errors, foreign };
}

describe("security console (demo and --rpc, in Chromium)", function () {
  this.timeout(300_000);
  let dir: string;
  let browser: Browser | undefined;
  let demo: ConsoleProcess;
  let demoUrl: string;
  let receiver: Awaited<ReturnType<typeof webhookReceiver>>;
  let forwarder: Forwarder;
  let follower: ConsoleProcess | undefined;
  let addressFile: string;
  let goodAddresses: string;
  let badRules: string;
  let demoChain: LogLine;
  let demoRpc: string;

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "bulwark-console-"));
    receiver = await webhookReceiver(1);
    const rules = path.join(dir, "rules.json");
    writeFileSync(
      rules,
      JSON.stringify({ ...DEFAULT_RULES_JSON, webhooks: [{ url: receiver.url, backoffMs: 200, attempts: 5 }] }),
    );
    demo = new ConsoleProcess([
      "--demo",
      "--port",
      "0",
      "--block-ms",
      "100",
      "--accounts",
      "30",
      "--rules",
      rules,
      "--db",
      path.join(dir, "demo.sqlite"),
    ]);
    demoUrl = await demo.url();
    const chain = await demo.waitFor((l) => l.event === "demo-chain", 120_000, "the demo chain");
    demoChain = chain;
    demoRpc = String(chain.rpc);
    // The second console follows the same chain through a forwarder, from before the crash starts.
    forwarder = new Forwarder({ host: "127.0.0.1", port: Number(new URL(String(chain.rpc)).port) });
    await forwarder.reserve();
    await forwarder.open();
    addressFile = path.join(dir, "addresses.json");
    goodAddresses = JSON.stringify({ vault: chain.vault, lens: chain.lens, timelock: chain.timelock, fromBlock: 0 });
    writeFileSync(addressFile, goodAddresses);
    badRules = path.join(dir, "bad-rules.json");
    writeFileSync(badRules, JSON.stringify({ rules: [{ type: "oracle", minutes: -1 }] }));
    follower = startFollower();
    await follower.waitFor((l) => l.event === "connected", 60_000, "the --rpc console's connection");
    browser = await launchBrowser();
  });

  const followerArgs = (): string[] => [
    "--rpc",
    forwarder.url,
    "--addresses",
    addressFile,
    "--rules",
    badRules,
    "--db",
    path.join(dir, "rpc.sqlite"),
    "--port",
    "0",
    "--interval-ms",
    "200",
    "--rpc-timeout-ms",
    "1500",
    "--max-retry-ms",
    "1000",
  ];
  const startFollower = (): ConsoleProcess => new ConsoleProcess(followerArgs());

  after(async () => {
    await browser?.close();
    await follower?.stop();
    await demo?.stop();
    await forwarder?.close();
    await receiver?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("shows the market, and a breaker trip on the page, on stdout and at the webhook within seconds", async () => {
    const { page, errors, foreign } = await openPage(browser!, demoUrl);
    // The market, from the chain.
    await page.waitForFunction(
      () =>
        document.querySelectorAll("#market .card").length >= 9 &&
        /block \d+/.test(document.getElementById("chain")?.textContent ?? ""),
      {
        timeout: 60_000,
      },
    );
    const cards = await page.$$eval("#market .card", (nodes) => nodes.map((n) => n.textContent ?? ""));
    expect(cards.join(" ")).to.match(/Total supply[\d,.]+ USDC/);
    expect(cards.join(" ")).to.match(/Lender share price1\.\d+/);

    // A breaker trip during the replay, raised after the page loaded: on stdout, then on the page and at the webhook.
    const loaded = demo.lines.length;
    const trip = await demo.waitFor(
      (l) => l.event === "alert" && l.rule === "breaker" && l.severity === "warning",
      120_000,
      "a breaker-trip alert",
      loaded,
    );
    expect(String(trip.message)).to.match(/^breaker tripped on (WETH|WBTC|USDC|global): [A-Z_]+ → [A-Z_]+/);
    const raisedAt = Number(trip.raisedAt);
    await page.waitForSelector(`#alerts li[data-key="${String(trip.key)}"]`, { timeout: 5_000 });
    const onPage = Date.now() - raisedAt;
    expect(onPage, "ms from the alert to the page").to.be.below(5_000);
    const entryId = String(trip.entry);
    const entry = await page.$eval(`#timeline li[data-id="${entryId}"]`, (li) => ({
      name: li.getAttribute("data-name"),
      text: li.textContent,
    }));
    expect(entry.name).to.equal("BreakerUpdated");
    expect(entry.text).to.include("breaker tripped on");
    // Each entry links to the assets it touched; the link filters the timeline to them.
    const asset = (trip.assets as string[])[0];
    if (asset !== undefined) {
      await page.click(`#timeline li[data-id="${entryId}"] a[data-kind="asset"]`);
      await page.waitForFunction(() => !(document.getElementById("filter") as HTMLElement).hidden);
      const hiddenOthers = await page.$$eval(
        "#timeline li",
        (items, a) => items.every((li) => li.hidden === !(li.getAttribute("data-assets") ?? "").split(" ").includes(a)),
        asset,
      );
      expect(hiddenOthers, "the timeline shows only entries touching the asset").to.equal(true);
    }

    // The webhook got it, after a 503 and a retry, within seconds.
    const deadline = raisedAt + 5_000;
    const delivered = (): boolean =>
      receiver.received.some((body) => (body as { alert: Alert }).alert.key === trip.key);
    while (!delivered() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(delivered(), "the webhook received the trip within 5 s").to.equal(true);
    expect(receiver.attempts.get(String(trip.key))).to.equal(2);
    await demo.waitFor(
      (l) => l.event === "webhook-delivered" && l.alert === trip.key,
      5_000,
      "the delivery's log line",
    );

    // Let the page draw a few more blocks, then keep a picture of it.
    await page.waitForFunction(
      () => document.querySelectorAll("#timeline li").length > 0 && document.querySelectorAll(".uplot").length === 4,
    );
    await page.goto(demoUrl, { waitUntil: "domcontentloaded" });
    await page.waitForFunction(
      () => document.querySelectorAll(".uplot").length === 4 && document.querySelectorAll("#alerts li").length > 0,
    );
    await page.screenshot({
      path: process.env.BULWARK_CONSOLE_SCREENSHOT ?? path.join(dir, "console.png"),
      fullPage: true,
    });
    expect(errors, "page errors").to.deep.equal([]);
    expect(foreign, "requests beyond the console").to.deep.equal([]);
    await page.close();
  });

  it("follows over --rpc: a restart keeps its history; an RPC that fails or hangs, a wrong address book and a malformed rules file are shown, and it reconnects", async () => {
    const first = follower!;
    const url1 = await first.url();
    // The malformed rules file: said on the page (and in the log); the defaults apply meanwhile.
    const state1 = await getJson<ConsoleState>(`${url1}api/state`);
    expect(state1.problems.join(" ")).to.match(
      /rules\[0\]\.minutes must be a number ≥ 0, got -1; using the default rules until it is fixed/,
    );
    expect(first.lines.some((l) => l.event === "rules-invalid")).to.equal(true);
    // It follows the crash like the demo's own console: wait for one of its own breaker alerts.
    await first.waitFor(
      (l) => l.event === "alert" && l.rule === "breaker",
      120_000,
      "the --rpc console's breaker alert",
    );
    const before = await getJson<History>(`${url1}api/history?hours=1`);
    expect(before.entries.length).to.be.greaterThan(0);
    expect(before.alerts.length).to.be.greaterThan(0);
    expect(await first.stop()).to.equal(0);
    const firstKeys = new Set(first.alerts().map((l) => String(l.key)));

    // Restarted on the same database: the history is there at once, and nothing it already raised is raised again.
    const second = startFollower();
    follower = second;
    const url2 = await second.url();
    await second.waitFor((l) => l.event === "connected", 30_000, "the restarted console's connection");
    const after = await getJson<History>(`${url2}api/history?hours=1`);
    const keys = new Set(after.alerts.map((a) => a.key));
    for (const a of before.alerts) expect(keys.has(a.key), `alert ${a.key} kept`).to.equal(true);
    const ids = new Set(after.entries.map((e) => e.id));
    for (const e of before.entries) expect(ids.has(e.id), `entry ${e.id} kept`).to.equal(true);
    // Once it has caught up to where the chain is now, nothing the first run raised was raised again.
    const chain = new JsonRpcProvider(demoRpc);
    const head = await chain.getBlockNumber();
    let caughtUp: ConsoleState | undefined;
    for (let i = 0; i < 200; i++) {
      caughtUp = await getJson<ConsoleState>(`${url2}api/state`);
      if ((caughtUp.view?.block ?? 0) >= head - 2) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(caughtUp?.view?.block, "caught up").to.be.at.least(head - 2);
    const repeated = second.alerts().filter((l) => firstKeys.has(String(l.key)));
    expect(repeated, "alerts raised again after the restart").to.deep.equal([]);
    // The health it shows is the lens's healthFactor at the same block, account by account.
    const view = caughtUp!.view!;
    const lens = VaultLens__factory.connect(String(demoChain.lens), chain);
    expect(view.accounts.closest.length).to.be.greaterThan(0);
    for (const row of view.accounts.closest) {
      const factor = await lens.healthFactor(String(demoChain.vault), row.account, { blockTag: view.block });
      expect(row.health, row.account).to.equal(Number(formatUnits(factor, 18)));
    }
    chain.destroy();

    // The RPC goes away: said on the page and in the log; the page keeps being served.
    let mark = second.lines.length;
    await forwarder.close();
    const down = await second.waitFor((l) => l.event === "follow-failed", 15_000, "a failed step", mark);
    // Refused, or cut mid-request: either way said as the RPC's failure.
    expect(String(down.error)).to.match(
      /cannot reach the RPC at http:\/\/127\.0\.0\.1:\d+|the RPC at http:\/\/127\.0\.0\.1:\d+\/ failed/,
    );
    const { page, errors } = await openPage(browser!, url2);
    await page.waitForFunction(
      () => /reconnecting|error/.test(document.getElementById("status")?.dataset.state ?? ""),
      { timeout: 15_000 },
    );
    expect(await page.$eval("#status", (n) => n.textContent)).to.match(/retrying in/);
    expect(await page.$eval("#problems", (n) => n.textContent)).to.match(/rules\[0\]\.minutes must be a number/);

    // It comes back hanging: a timeout, not a stall.
    mark = second.lines.length;
    await forwarder.open("hang");
    await second.waitFor(
      (l) => l.event === "follow-failed" && /timeout|timed out|cannot reach/i.test(String(l.error)),
      20_000,
      "a timeout",
      mark,
    );

    // It answers again, but the address book is now wrong: said, and kept retrying.
    writeFileSync(addressFile, JSON.stringify({ vault: "0x123", lens: "nope" }));
    mark = second.lines.length;
    await forwarder.open();
    const wrong = await second.waitFor(
      (l) => l.event === "follow-failed" && /address book/.test(String(l.error)),
      30_000,
      "the address-book error",
      mark,
    );
    expect(String(wrong.error)).to.include('"vault" must be an address');
    await page.waitForFunction(() => /address book/.test(document.getElementById("status")?.textContent ?? ""), {
      timeout: 10_000,
    });
    // Addresses of the right form with no contract there.
    writeFileSync(
      addressFile,
      JSON.stringify({
        vault: "0x00000000000000000000000000000000000000b1",
        lens: "0x00000000000000000000000000000000000000b2",
      }),
    );
    mark = second.lines.length;
    await second.waitFor(
      (l) => l.event === "follow-failed" && /no contract at the vault address/.test(String(l.error)),
      30_000,
      "the no-contract error",
      mark,
    );

    // Fixed: it reconnects and follows, and the page says so.
    writeFileSync(addressFile, goodAddresses);
    mark = second.lines.length;
    await second.waitFor((l: LogLine) => l.event === "connected", 30_000, "reconnection", mark);
    await page.waitForFunction(() => document.getElementById("status")?.dataset.state === "following", {
      timeout: 10_000,
    });
    expect(errors, "page errors").to.deep.equal([]);
    await page.close();
  });
});
