/**
 * `npm run console -- --rpc URL [options]` or `npm run console -- --demo [options]`: the security console and monitor
 * (see `usage()`). Serves the page on 127.0.0.1, follows the chain (follower.ts), raises alerts by the rules file
 * (rules.ts) to the page, stdout (JSON lines) and webhooks (webhooks.ts), and keeps history in SQLite (store.ts).
 *
 * A mistake on the command line is one line and exit status 2. Everything else a user can get wrong while it runs
 * (an RPC that does not answer, a wrong address book, a malformed rules file) is shown on the page and logged, and
 * the console keeps serving: it retries the RPC and re-reads the address book and the rules file until they work.
 */
import { existsSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { getAddress, isAddress } from "ethers";

import { UsageError, parseOptions, usageLine, wholeNumber } from "../cliArgs.js";
import { FUTURE_IDS } from "../deployment.js";
import { contractsFromDeployment, loadDeployedAddresses } from "../deploymentReadback.js";
import { Logger, type LogFields, type LogLevel } from "../keeper/log.js";
import { deploymentBlock } from "../keeper/keeperCli.js";
import { describeError } from "../keeper/rpc.js";
import { Follower } from "./follower.js";
import type { ConsoleAddresses } from "./reader.js";
import { RulesError, defaultRules, parseRulesText, parseWebhook, type RulesConfig } from "./rules.js";
import { ConsoleServer, type ConsoleState } from "./server.js";
import { HistoryStore } from "./store.js";
import type { Alert } from "./types.js";
import { WebhookDispatcher, redactUrl } from "./webhooks.js";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
export const DEFAULT_PORT = 4646;
export const DEFAULT_SCENARIO = "black-thursday-2020";

export interface ConsoleOptions {
  mode: "rpc" | "demo";
  rpc?: string;
  deployment?: string;
  addresses?: string;
  vault?: string;
  lens?: string;
  timelock?: string;
  upkeep?: string;
  fromBlock?: number;
  port: number;
  rules?: string;
  webhooks: string[];
  db?: string;
  keepDays: number;
  intervalMs: number;
  rpcTimeoutMs: number;
  maxRetryMs: number;
  confirmations: number;
  maxBlockRange: number;
  scenario: string;
  accounts: number;
  blockMs: number;
  seed: string;
  logLevel: LogLevel;
}

export function usage(): string {
  return [
    "usage: npm run console -- --rpc URL [options]     follow a deployed Bulwark",
    "       npm run console -- --demo [options]        replay a crash on an in-process chain and follow it",
    "  --rpc URL              JSON-RPC endpoint to follow (read-only: no key is used or needed)",
    "  --deployment DIR       Ignition deployment directory (default deploy/deployments/chain-<chain id>)",
    "  --addresses FILE       an address book instead: JSON with vault, lens and optionally timelock, securityOps,",
    "                         fromBlock (or an Ignition deployed_addresses.json)",
    "  --vault ADDR --lens ADDR [--timelock ADDR] [--upkeep ADDR]   the addresses themselves",
    "  --from-block N         first block to index accounts and events from (default: the deployment block from",
    "                         Ignition's journal or the address book's fromBlock, else 0: give it on a long chain)",
    `  --port N               port on 127.0.0.1 for the page (default ${DEFAULT_PORT}; 0: any free port)`,
    "  --rules FILE           alert rules (default: deploy/console/rules.json's defaults; format in docs/console.md)",
    "  --webhook URL          POST each alert to URL (retried with backoff); repeatable, added to the rules file's",
    "  --db FILE              history database (default console-out/history-<chain>-<vault>.sqlite; demo: a new",
    "                         console-out/demo-history.sqlite each run)",
    "  --keep-days N          history kept, days (default 7)",
    "  --interval-ms N        milliseconds between polls of the chain (default 2000; demo 250)",
    "  --rpc-timeout-ms N     milliseconds an RPC request may take before it counts as failed (default 10000)",
    "  --max-retry-ms N       longest wait between attempts to reach a failing RPC (default 15000)",
    "  --confirmations N      follow N blocks behind the head, out of reach of shallow reorgs (default 2; demo 0)",
    "  --max-block-range N    most blocks per eth_getLogs request (default 2000; halved when a provider refuses)",
    `  --scenario NAME        demo: the shipped crash to replay (default ${DEFAULT_SCENARIO})`,
    "  --accounts N           demo: borrowers (default 60)",
    "  --block-ms N           demo: wall-clock milliseconds per replayed block (default 400)",
    "  --seed S               demo: population seed (default bulwark)",
    "  --log-level LEVEL      debug, info, warn or error (default info)",
    'Logs and alerts are JSON lines on stdout. The page is at the URL of the first line (event "listening").',
  ].join("\n");
}

const address = (name: string, raw: string | undefined): string | undefined => {
  if (raw === undefined) return undefined;
  if (!isAddress(raw)) throw new UsageError(`--${name} must be an address, got "${raw}"`);
  return getAddress(raw);
};

/** Parses the command line. Throws UsageError on a bad argument. */
export function parseConsoleArgs(argv: readonly string[]): ConsoleOptions | "help" {
  const v = parseOptions(argv, {
    rpc: { type: "string" },
    demo: { type: "boolean" },
    deployment: { type: "string" },
    addresses: { type: "string" },
    vault: { type: "string" },
    lens: { type: "string" },
    timelock: { type: "string" },
    upkeep: { type: "string" },
    "from-block": { type: "string" },
    port: { type: "string" },
    rules: { type: "string" },
    webhook: { type: "string", multiple: true },
    db: { type: "string" },
    "keep-days": { type: "string" },
    "interval-ms": { type: "string" },
    "rpc-timeout-ms": { type: "string" },
    "max-retry-ms": { type: "string" },
    confirmations: { type: "string" },
    "max-block-range": { type: "string" },
    scenario: { type: "string" },
    accounts: { type: "string" },
    "block-ms": { type: "string" },
    seed: { type: "string" },
    "log-level": { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (v.help === true) return "help";
  const demo = v.demo ?? false;
  if (demo === (v.rpc !== undefined)) throw new UsageError("give --rpc URL (a chain to follow) or --demo, one of them");
  if (v.rpc !== undefined && !/^https?:\/\/[^\s]+$/i.test(v.rpc))
    throw new UsageError(`--rpc must be an http(s) URL, got "${v.rpc}"`);
  const sources = [
    v.deployment !== undefined,
    v.addresses !== undefined,
    v.vault !== undefined || v.lens !== undefined,
  ].filter(Boolean).length;
  if (sources > 1) throw new UsageError("give one of --deployment DIR, --addresses FILE, or --vault and --lens");
  if (demo && v.db !== undefined && existsSync(v.db))
    throw new UsageError(`--db ${v.db} exists: the demo's chain is new each run, so give a new file (or none)`);
  if (demo && sources > 0)
    throw new UsageError("--demo deploys its own market: --deployment, --addresses, --vault and --lens do not apply");
  if ((v.vault === undefined) !== (v.lens === undefined))
    throw new UsageError("--vault and --lens go together (the lens reads what the vault does not serve)");
  const logLevel = v["log-level"] ?? "info";
  if (!["debug", "info", "warn", "error"].includes(logLevel))
    throw new UsageError(`--log-level must be debug, info, warn or error, got "${logLevel}"`);
  for (const hook of v.webhook ?? []) {
    try {
      parseWebhook(hook, "--webhook");
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  }
  const port = wholeNumber("port", v.port, DEFAULT_PORT, 0);
  if (port > 65_535) throw new UsageError(`--port must be at most 65535, got ${port}`);
  const fromBlock = v["from-block"];
  return {
    mode: demo ? "demo" : "rpc",
    rpc: v.rpc,
    deployment: v.deployment,
    addresses: v.addresses,
    vault: address("vault", v.vault),
    lens: address("lens", v.lens),
    timelock: address("timelock", v.timelock),
    upkeep: address("upkeep", v.upkeep),
    fromBlock: fromBlock === undefined ? undefined : wholeNumber("from-block", fromBlock, 0, 0),
    port,
    rules: v.rules,
    webhooks: v.webhook ?? [],
    db: v.db,
    keepDays: wholeNumber("keep-days", v["keep-days"], 7, 1),
    intervalMs: wholeNumber("interval-ms", v["interval-ms"], demo ? 250 : 2000, 10),
    rpcTimeoutMs: wholeNumber("rpc-timeout-ms", v["rpc-timeout-ms"], 10_000, 100),
    maxRetryMs: wholeNumber("max-retry-ms", v["max-retry-ms"], 15_000, 100),
    confirmations: wholeNumber("confirmations", v.confirmations, demo ? 0 : 2, 0),
    maxBlockRange: wholeNumber("max-block-range", v["max-block-range"], 2000, 1),
    scenario: v.scenario ?? DEFAULT_SCENARIO,
    accounts: wholeNumber("accounts", v.accounts, 60, 1),
    blockMs: wholeNumber("block-ms", v["block-ms"], 400, 0),
    seed: v.seed ?? "bulwark",
    logLevel: logLevel as LogLevel,
  };
}

/** An address book a user can get wrong: the error names the file and what is missing. */
export function readAddressFile(file: string): ConsoleAddresses & { fromBlock?: number } {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new Error(`the address book ${file} cannot be read: ${(error as Error).message}`);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    throw new Error(`the address book ${file} must be a JSON object`);
  const record = raw as Record<string, unknown>;
  if (typeof record[FUTURE_IDS.vault] === "string") {
    const contracts = contractsFromDeployment(record as Record<string, string>);
    if (contracts.vault === undefined || contracts.lens === undefined)
      throw new Error(
        `the deployment record ${file} lists no ${contracts.vault === undefined ? FUTURE_IDS.vault : FUTURE_IDS.lens}`,
      );
    return {
      vault: contracts.vault,
      lens: contracts.lens,
      timelock: contracts.timelock,
      securityOps: contracts.securityOps,
    };
  }
  const field = (name: string, required: boolean): string | undefined => {
    const value = record[name];
    if (value === undefined && !required) return undefined;
    if (typeof value !== "string" || !isAddress(value))
      throw new Error(
        `the address book ${file}: "${name}" must be an address${required ? " (required)" : ""}, got ${JSON.stringify(value)}`,
      );
    return getAddress(value);
  };
  const fromBlock = record.fromBlock;
  if (fromBlock !== undefined && (typeof fromBlock !== "number" || !Number.isInteger(fromBlock) || fromBlock < 0))
    throw new Error(`the address book ${file}: "fromBlock" must be a whole number, got ${JSON.stringify(fromBlock)}`);
  return {
    vault: field("vault", true)!,
    lens: field("lens", true)!,
    timelock: field("timelock", false),
    securityOps: field("securityOps", false),
    fromBlock: fromBlock as number | undefined,
  };
}

/**
 * The rules in force: the file's, re-read when its content changes, or the defaults until it first loads. A file
 * that becomes malformed or goes missing keeps the last good rules (and their webhooks) in force, and says so.
 */
class RulesSource {
  private config: RulesConfig;
  private loaded = false;
  private text: string | undefined;
  problem: string | undefined;
  private readonly file: string | undefined;
  private readonly extraHooks: string[];

  constructor(file: string | undefined, extraHooks: string[]) {
    this.file = file;
    this.extraHooks = extraHooks;
    this.config = this.withHooks(defaultRules());
    this.refresh();
  }

  /** Re-reads the file; true when the rules or the problem changed. */
  refresh(): boolean {
    if (this.file === undefined) return false;
    const keeping = this.loaded ? "keeping the last good rules" : "using the default rules";
    let text: string;
    try {
      text = readFileSync(this.file, "utf8");
    } catch {
      const problem = `the rules file ${this.file} cannot be read; ${keeping} until it can`;
      const changed = problem !== this.problem;
      this.problem = problem;
      this.text = undefined;
      return changed;
    }
    if (text === this.text) return false;
    this.text = text;
    try {
      this.config = this.withHooks(parseRulesText(text, this.file));
      this.loaded = true;
      this.problem = undefined;
    } catch (error) {
      const reason = error instanceof RulesError ? error.message : `${this.file}: ${(error as Error).message}`;
      this.problem = `${reason}; ${keeping} until it is fixed`;
    }
    return true;
  }

  private withHooks(config: RulesConfig): RulesConfig {
    return {
      ...config,
      webhooks: [...config.webhooks, ...this.extraHooks.map((url) => parseWebhook(url, "--webhook"))],
    };
  }

  get current(): RulesConfig {
    return this.config;
  }
}

/** Runs the console until SIGINT/SIGTERM; resolves to the exit status. */
export async function main(argv: readonly string[]): Promise<number> {
  let options: ConsoleOptions | "help";
  try {
    options = parseConsoleArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(usageLine("console", error.message, "npm run console -- --help"));
    return 2;
  }
  if (options === "help") {
    process.stdout.write(`${usage()}\n`);
    return 0;
  }
  const opts = options;
  const logger = new Logger(undefined, opts.logLevel);
  // Alerts go to stdout whatever the log level.
  const alertLog = new Logger(undefined, "debug");
  const rules = new RulesSource(opts.rules, opts.webhooks);
  const problems = (): string[] => (rules.problem === undefined ? [] : [rules.problem]);
  if (rules.problem !== undefined) logger.error("rules-invalid", { error: rules.problem });

  const state: ConsoleState = {
    mode: opts.mode,
    status: {
      state: "starting",
      message: "starting",
      rpc: opts.rpc === undefined ? "demo" : redactUrl(opts.rpc),
      since: Date.now(),
    },
    problems: problems(),
    view: null,
    rules: rules.current.rules.map((r) => ({ id: r.id, type: r.type, severity: r.severity })),
    idleRules: [],
    demo: opts.mode === "demo" ? { phase: "starting", scenario: opts.scenario } : null,
  };
  let follower: Follower | undefined;
  const server = new ConsoleServer(state, () => follower?.store);
  let url: string;
  try {
    url = await server.listen(opts.port);
  } catch (error) {
    process.stderr.write(
      `console: cannot listen on 127.0.0.1:${opts.port}: ${describeError(error)} (another console? try --port 0)\n`,
    );
    return 1;
  }
  logger.info("listening", { url, mode: opts.mode });
  const webhooks = new WebhookDispatcher(rules.current.webhooks, logger, (key, hook) =>
    follower?.store?.delivered(key, hook),
  );
  const rulesTimer = setInterval(() => {
    if (!rules.refresh()) return;
    const before = new Set(webhooks.urls);
    webhooks.setHooks(rules.current.webhooks);
    // Deliveries waiting in the outbox for a webhook configured again (a rules file fixed) go out now.
    const waiting = follower?.store?.pendingDeliveries().filter((d) => !before.has(d.url)) ?? [];
    if (waiting.length > 0) webhooks.resume(waiting);
    state.rules = rules.current.rules.map((r) => ({ id: r.id, type: r.type, severity: r.severity }));
    server.setProblems(problems());
    if (rules.problem === undefined)
      logger.info("rules-loaded", { file: opts.rules, rules: rules.current.rules.length });
    else logger.error("rules-invalid", { error: rules.problem });
  }, 1000);
  rulesTimer.unref();

  let demo: import("./demo.js").Demo | undefined;
  let following: Promise<void> = Promise.resolve();
  let stopped: Promise<void> | undefined;
  let pruneTimer: NodeJS.Timeout | undefined;
  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.info("stopping", { signal });
    clearInterval(rulesTimer);
    clearInterval(pruneTimer);
    // Deliveries first, while the history database is open to mark them done (the rest stay in its outbox).
    await webhooks.close();
    follower?.stop();
    await Promise.race([following, new Promise((resolve) => setTimeout(resolve, 5_000))]);
    await server.close();
    await demo?.close().catch(() => undefined);
    logger.info("stopped", { signal });
    process.exit(0);
  };
  process.on("SIGINT", (s) => (stopped ??= stop(s)));
  process.on("SIGTERM", (s) => (stopped ??= stop(s)));

  let rpc = opts.rpc ?? "";
  let addresses: (chainId: number) => ConsoleAddresses & { fromBlock?: number };
  let dbFile: (chainId: number, vault: string) => string;
  if (opts.mode === "demo") {
    const { startDemo } = await import("./demo.js");
    const phase = (text: string): void => {
      server.setDemo({ phase: text, scenario: opts.scenario });
      logger.info("demo", { phase: text });
    };
    try {
      demo = await startDemo(
        { scenario: opts.scenario, accounts: opts.accounts, blockMs: opts.blockMs, seed: opts.seed },
        { phase },
      );
    } catch (error) {
      process.stderr.write(`console: the demo could not start: ${describeError(error)}\n`);
      logger.error("fatal", { error: describeError(error) });
      await server.close();
      return 1;
    }
    rpc = demo.rpc;
    const fixed = demo.addresses;
    addresses = () => fixed;
    logger.info("demo-chain", { rpc, ...fixed });
    // A new chain each run: a new history (only the default file is ever deleted; a given --db must not exist).
    const file = opts.db ?? path.join(ROOT, "console-out", "demo-history.sqlite");
    if (opts.db === undefined) for (const suffix of ["", "-wal", "-shm"]) rmSync(`${file}${suffix}`, { force: true });
    dbFile = () => file;
  } else {
    addresses = addressSource(opts);
    dbFile = (chainId, vault) =>
      opts.db ?? path.join(ROOT, "console-out", `history-${chainId}-${vault.slice(2, 10).toLowerCase()}.sqlite`);
  }

  const prune = (store: HistoryStore | undefined): void => {
    const removed = store?.prune(opts.keepDays) ?? 0;
    if (removed > 0) logger.info("history-pruned", { removed, keepDays: opts.keepDays });
  };
  pruneTimer = setInterval(() => prune(follower?.store), 3_600_000);
  pruneTimer.unref();
  follower = new Follower(
    {
      rpc,
      addresses,
      rules: () => rules.current,
      openStore: (chainId, vault) => new HistoryStore(dbFile(chainId, vault)),
      intervalMs: opts.intervalMs,
      requestTimeoutMs: opts.rpcTimeoutMs,
      webhookUrls: () => webhooks.urls,
      maxRetryMs: opts.maxRetryMs,
      confirmations: opts.confirmations,
      maxBlockRange: opts.maxBlockRange,
      logger,
    },
    {
      status: (status) => {
        server.setStatus(status);
        logger.log(status.state === "error" ? "error" : status.state === "reconnecting" ? "warn" : "info", "status", {
          ...status,
        });
      },
      view: (view) => server.setView(view),
      entries: (entries) => server.addEntries(entries),
      alerts: (alerts: readonly Alert[]) => {
        server.addAlerts(alerts);
        for (const alert of alerts) {
          alertLog.log(
            alert.severity === "critical" ? "error" : alert.severity === "warning" ? "warn" : "info",
            "alert",
            alert as unknown as LogFields,
          );
          webhooks.send(alert);
        }
      },
      rewound: (block) => server.rewound(block),
      storeOpened: (store) => {
        prune(store);
        webhooks.resume(store.pendingDeliveries());
      },
      idle: (idle) => {
        server.setIdle([...idle]);
        for (const item of idle) logger.warn("rule-idle", { ...item });
      },
    },
  );
  following = follower.run();
  if (demo !== undefined) {
    const running = demo;
    void running.replay().catch((error: unknown) => {
      const message = `the demo's replay failed: ${describeError(error)}`;
      server.setDemo({ phase: message, scenario: opts.scenario });
      logger.error("demo-failed", { error: describeError(error) });
    });
  }
  await following;
  // Stopped by a signal: the rest of `stop` (the server, the demo chain) finishes and exits.
  if (stopped !== undefined) await stopped;
  return 0;
}

/** Where an `--rpc` console reads its addresses (re-read at each connection, so a fixed file is picked up). */
function addressSource(opts: ConsoleOptions): (chainId: number) => ConsoleAddresses & { fromBlock?: number } {
  if (opts.vault !== undefined && opts.lens !== undefined) {
    const fixed = {
      vault: opts.vault,
      lens: opts.lens,
      timelock: opts.timelock,
      securityOps: opts.upkeep,
      fromBlock: opts.fromBlock,
    };
    return () => fixed;
  }
  if (opts.addresses !== undefined) {
    const file = path.resolve(opts.addresses);
    return () => {
      const book = readAddressFile(file);
      return {
        ...book,
        timelock: opts.timelock ?? book.timelock,
        securityOps: opts.upkeep ?? book.securityOps,
        fromBlock: opts.fromBlock ?? book.fromBlock,
      };
    };
  }
  // The Ignition record of the chain behind --rpc: its id is known once connected, so the record is found then.
  return (chainId) => {
    const dir = path.resolve(opts.deployment ?? path.join(ROOT, "deploy", "deployments", `chain-${chainId}`));
    const found = deploymentAddresses(dir);
    return {
      ...found,
      timelock: opts.timelock ?? found.timelock,
      securityOps: opts.upkeep ?? found.securityOps,
      fromBlock: opts.fromBlock ?? found.fromBlock,
    };
  };
}

/** A deployment directory's addresses (Ignition's record), with the vault's deployment block. */
export function deploymentAddresses(dir: string): ConsoleAddresses & { fromBlock?: number } {
  if (!existsSync(path.join(dir, "deployed_addresses.json"))) {
    throw new Error(
      `no Ignition deployment record in ${dir}: deploy Bulwark first (docs/deploying.md), or give --deployment DIR, --addresses FILE or --vault and --lens`,
    );
  }
  const contracts = contractsFromDeployment(loadDeployedAddresses(dir));
  if (contracts.vault === undefined || contracts.lens === undefined)
    throw new Error(
      `the deployment record in ${dir} lists no ${contracts.vault === undefined ? FUTURE_IDS.vault : FUTURE_IDS.lens}`,
    );
  return {
    vault: contracts.vault,
    lens: contracts.lens,
    timelock: contracts.timelock,
    securityOps: contracts.securityOps,
    fromBlock: deploymentBlock(dir),
  };
}
