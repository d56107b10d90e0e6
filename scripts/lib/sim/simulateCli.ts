/**
 * `npm run simulate -- [options]` (and `npm start`, the default scenario): replays a historical crash against Bulwark
 * and writes report.json and report.html. See `usage()`.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { UsageError, parseOptions, usageLine, wholeNumber } from "../cliArgs.js";
import { localAddressBook } from "../deploy/addressBook.js";
import { describeError } from "../scriptRunner.js";
import { PricePathError } from "../pricePath.js";
import { AddressBookError } from "./fork.js";
import { ForkError, forkPlan } from "./forkSource.js";
import { ReportFileError, compareReports, readReport } from "./compare.js";
import { summaryTable, writeReports } from "./report.js";
import { SimulationError, runSimulation, type SimulationConfig, type SimulationUi } from "./run.js";
import { DEFAULT_SCENARIO, SCENARIOS, SCENARIO_DIR, scenario } from "./scenarios.js";
import type { ParamsSelection } from "./types.js";
import { verdicts, type Limits } from "./verdict.js";

/** The repository root (scripts/lib/sim/ → ../../..). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
export const DEFAULT_ADDRESS_BOOK = "deploy/address-book/mainnet.json";

/** A mistake on the command line: one line, exit status 2. */
export { UsageError };

export interface CliOptions {
  scenario: string;
  description: string;
  prices: Map<string, string>;
  accounts: number;
  seed: string;
  params: ParamsSelection;
  keeperDelayBlocks: number;
  keeperOutages: { from: number; to: number }[];
  out: string;
  /** `addressesGiven`: --addresses was on the command line (else the chain's deployment record's book, or mainnet's). */
  fork?: { url: string; block?: number; addresses: string; addressesGiven: boolean };
  /** `--max-bad-debt` and `--max-lender-loss`, percent; null when not given. */
  limits: Limits;
  /** `--backstop PCT`: a first-loss backstop staked with PCT% of the borrows (a fraction here: 0.01 for 1%). */
  backstopShare?: number;
}

export function usage(): string {
  return [
    "usage: npm run simulate -- [--scenario NAME | --prices ASSET=FILE.csv ...] [options]",
    "",
    "Replays a price path against Bulwark on an in-process chain (or a fork) and writes report.json and report.html.",
    "",
    "  --scenario NAME         a shipped crash (default " + DEFAULT_SCENARIO + "); --list shows them",
    "  --prices ASSET=FILE     a price path for ASSET (repeatable): CSV with the header timestamp,price (unix",
    "                          seconds, USD); ASSET is USDC (a depeg), WETH, WBTC, SOL or LUNA",
    "  --accounts N            borrowers in the population (default 200)",
    "  --seed S                seed of the population (default bulwark)",
    "  --params MODE           static, adaptive, morpho, both or all (default both: Bulwark static and adaptive;",
    "                          all adds Morpho Blue on the same path and population)",
    "  --keeper-delay BLOCKS   blocks between the keeper seeing a block and its transactions landing, on top of",
    "                          the next block (default 0)",
    "  --keeper-outage FROM:TO the keeper is down from FROM to TO after the path's start (repeatable); durations",
    "                          like 90, 30m, 6h, 1d (seconds by default)",
    "  --out DIR               where the reports go (default sim-out/<scenario>)",
    "  --fork URL              run on a fork of URL with the real tokens, feeds and pools of --addresses",
    "  --block N               fork at block N (default: the latest)",
    "  --addresses FILE        the fork's address book (default: the one `npm run deploy` wrote for that chain's",
    "                          id, else " + DEFAULT_ADDRESS_BOOK + ")",
    "  --max-bad-debt PCT      exit 3 if a run's bad debt (booked + still open at the end) exceeds PCT% of its",
    "                          initial borrows, e.g. 0.5 (for CI)",
    "  --max-lender-loss PCT   exit 3 if a run's lender loss (fall of the share price) exceeds PCT%",
    "  --backstop PCT          stake a first-loss backstop with PCT% of the borrows (e.g. 1) and run the recovery",
    "                          module; each Bulwark run is replayed without them too, and the report shows both",
    "  --compare A B           print what changed between two report.json files (inputs, deployed parameters,",
    "                          outcomes) and exit",
    "  --monte-carlo N         the Monte Carlo risk report instead: N synthetic paths (npm run risk -- --help",
    "                          lists its options)",
    "  --list                  list the shipped scenarios",
    "  -h, --help              this text",
    "",
    "Exit status: 0 done (every run within the limits), 1 error, 2 bad command line, 3 a run exceeded a limit.",
  ].join("\n");
}

const DURATION = /^(\d+(?:\.\d+)?)(s|m|h|d)?$/;
const UNIT: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** Seconds in a duration such as "90", "30m", "6h", "1.5d". */
export function parseDuration(text: string, flag: string): number {
  const match = DURATION.exec(text.trim());
  if (match === null) throw new UsageError(`${flag}: "${text}" is not a duration (like 90, 30m, 6h, 1d)`);
  return Math.round(Number(match[1]) * UNIT[match[2] ?? "s"]);
}

const integer = (flag: string, raw: string | undefined, fallback: number, min: number, max: number, what?: string) =>
  wholeNumber(flag, raw, fallback, min, max, what);

/** What `--params` accepts. */
const PARAMS_SELECTIONS: readonly ParamsSelection[] = ["static", "adaptive", "morpho", "both", "all"];
const isParamsSelection = (value: string): value is ParamsSelection =>
  (PARAMS_SELECTIONS as readonly string[]).includes(value);

/** A percentage limit (`raw` undefined: null): a number ≥ 0, "%" allowed. */
export function percentLimit(flag: string, raw: string | undefined): number | null {
  if (raw === undefined) return null;
  const text = raw.trim().replace(/%$/, "");
  if (/^-/.test(text)) throw new UsageError(`--${flag} cannot be negative: give a percentage such as 0.5, not ${raw}`);
  if (!/^\d+(\.\d+)?$/.test(text) || Number(text) > 100) {
    throw new UsageError(`--${flag} must be a percentage from 0 to 100 such as 0.5, got "${raw}"`);
  }
  return Number(text);
}

/** Parses the command line (without `node` and the script). */
export function parseCliArgs(
  argv: readonly string[],
  cwd = process.cwd(),
): CliOptions | "help" | "list" | { compare: [string, string] } {
  const at = argv.indexOf("--compare");
  if (at !== -1) {
    const files = argv.slice(at + 1);
    if (argv.length !== 3 || at !== 0 || files.some((file) => file.startsWith("-"))) {
      throw new UsageError(
        "--compare takes two report.json files and nothing else: --compare A/report.json B/report.json",
      );
    }
    return { compare: [path.resolve(cwd, files[0] ?? ""), path.resolve(cwd, files[1] ?? "")] };
  }
  const v = parseOptions(argv, {
    scenario: { type: "string" },
    prices: { type: "string", multiple: true },
    accounts: { type: "string" },
    seed: { type: "string" },
    params: { type: "string" },
    "keeper-delay": { type: "string" },
    "keeper-outage": { type: "string", multiple: true },
    out: { type: "string" },
    fork: { type: "string" },
    block: { type: "string" },
    addresses: { type: "string" },
    "max-bad-debt": { type: "string" },
    "max-lender-loss": { type: "string" },
    backstop: { type: "string" },
    list: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (v.help === true) return "help";
  if (v.list === true) return "list";
  if (v.scenario !== undefined && v.prices !== undefined) throw new UsageError("give --scenario or --prices, not both");
  const prices = new Map<string, string>();
  let name = v.scenario ?? DEFAULT_SCENARIO;
  let description: string;
  if (v.prices !== undefined) {
    name = "custom";
    for (const spec of v.prices) {
      const match = /^([A-Za-z0-9]+)=(.+)$/.exec(spec);
      if (match === null) throw new UsageError(`--prices must be ASSET=FILE.csv, got "${spec}"`);
      const symbol = match[1].toUpperCase();
      if (prices.has(symbol)) throw new UsageError(`--prices names ${symbol} twice`);
      prices.set(symbol, path.resolve(cwd, match[2]));
    }
    description = `Custom paths: ${[...prices].map(([s, f]) => `${s} from ${path.basename(f)}`).join(", ")}`;
  } else {
    let shipped;
    try {
      shipped = scenario(name);
    } catch (error) {
      throw new UsageError(describeError(error));
    }
    for (const [symbol, file] of Object.entries(shipped.prices)) prices.set(symbol, path.join(SCENARIO_DIR, file));
    description = shipped.description;
  }
  const params = v.params ?? "both";
  if (!isParamsSelection(params)) {
    throw new UsageError(`--params must be static, adaptive, morpho, both or all, got "${params}"`);
  }
  const keeperOutages = (v["keeper-outage"] ?? []).map((spec) => {
    const [from, to, extra] = spec.split(":");
    if (to === undefined || extra !== undefined) throw new UsageError(`--keeper-outage must be FROM:TO, got "${spec}"`);
    const outage = { from: parseDuration(from, "--keeper-outage"), to: parseDuration(to, "--keeper-outage") };
    if (outage.to <= outage.from) throw new UsageError(`--keeper-outage ${spec}: TO must be after FROM`);
    return outage;
  });
  if (v.fork === undefined && (v.block !== undefined || v.addresses !== undefined)) {
    throw new UsageError("--block and --addresses only apply with --fork URL");
  }
  let fork: CliOptions["fork"];
  if (v.fork !== undefined) {
    if (!/^https?:\/\//i.test(v.fork)) throw new UsageError(`--fork must be an http(s) URL, got "${v.fork}"`);
    const addresses = path.resolve(cwd, v.addresses ?? path.join(ROOT, DEFAULT_ADDRESS_BOOK));
    if (!existsSync(addresses)) throw new UsageError(`--addresses: ${addresses}: no such file`);
    fork = {
      url: v.fork,
      block: v.block === undefined ? undefined : integer("block", v.block, 0, 0, Number.MAX_SAFE_INTEGER),
      addresses,
      addressesGiven: v.addresses !== undefined,
    };
  }
  const backstopPct = percentLimit("backstop", v.backstop);
  if (backstopPct === 0) throw new UsageError("--backstop must be above 0% of the borrows, e.g. 1");
  if (backstopPct !== null && params === "morpho")
    throw new UsageError("--backstop needs a Bulwark run: drop --params morpho");
  return {
    scenario: name,
    description,
    prices,
    accounts: integer("accounts", v.accounts, 200, 1, 10_000, "borrowers"),
    seed: v.seed ?? "bulwark",
    params,
    keeperDelayBlocks: integer("keeper-delay", v["keeper-delay"], 0, 0, 10_000, "blocks"),
    keeperOutages,
    out: path.resolve(cwd, v.out ?? path.join("sim-out", name)),
    fork,
    limits: {
      maxBadDebtPct: percentLimit("max-bad-debt", v["max-bad-debt"]),
      maxLenderLossPct: percentLimit("max-lender-loss", v["max-lender-loss"]),
    },
    ...(backstopPct === null ? {} : { backstopShare: backstopPct / 100 }),
  };
}

/** Longest silence of the progress output when it is not a terminal (a line per 10% of the steps, or sooner). */
export const PROGRESS_SECONDS = 5;

/**
 * A progress bar on a terminal; otherwise a line per 10% of the steps, and at least one every PROGRESS_SECONDS while a
 * run replays, so a log never goes quiet for long (a slow stretch of the path can take minutes per 10%).
 */
export function consoleUi(
  stream: Pick<NodeJS.WriteStream, "write" | "isTTY"> = process.stderr,
  now: () => number = Date.now,
): SimulationUi & { done(): void } {
  const tty = stream.isTTY === true;
  let label = "";
  let lastDecile = -1;
  let open = false;
  let lastLine = now();
  const line = (text: string): void => {
    stream.write(`${text}\n`);
    lastLine = now();
  };
  return {
    phase(text) {
      if (open) stream.write("\n");
      open = false;
      label = text.split(":")[0];
      line(text);
      lastDecile = -1;
    },
    progress(done, total) {
      const share = total === 0 ? 1 : done / total;
      if (tty) {
        const width = 30;
        const filled = Math.round(share * width);
        stream.write(`\r  ${label} [${"#".repeat(filled)}${"-".repeat(width - filled)}] ${done}/${total} steps`);
        open = true;
        if (done === total) {
          stream.write("\n");
          open = false;
        }
      } else {
        const decile = Math.floor(share * 10);
        if (decile > lastDecile || now() - lastLine >= PROGRESS_SECONDS * 1000) {
          lastDecile = Math.max(decile, lastDecile);
          line(`  ${label}: ${done}/${total} steps (${Math.floor(share * 100)}%)`);
        }
      }
    },
    done() {
      if (open) stream.write("\n");
    },
  };
}

/** Runs the CLI; returns the exit status. `--monte-carlo N` hands the command line to the risk report's CLI. */
export async function main(argv: readonly string[]): Promise<number> {
  if (argv.some((arg) => arg === "--monte-carlo" || arg.startsWith("--monte-carlo="))) {
    const risk = (await import("../risk/riskCli.js")) as typeof import("../risk/riskCli.js");
    return risk.main(argv);
  }
  let options;
  try {
    options = parseCliArgs(argv);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(usageLine("simulate", error.message, "npm run simulate -- --help"));
      return 2;
    }
    throw error;
  }
  if (options === "help") {
    process.stdout.write(`${usage()}\n`);
    return 0;
  }
  if (options === "list") {
    for (const s of SCENARIOS) process.stdout.write(`${s.name.padEnd(28)}${s.description}\n`);
    return 0;
  }
  if ("compare" in options) {
    try {
      const [a, b] = options.compare;
      const rel = (file: string): string => path.relative(process.cwd(), file);
      process.stdout.write(`${compareReports(readReport(a), readReport(b), [rel(a), rel(b)])}\n`);
      return 0;
    } catch (error) {
      process.stderr.write(
        error instanceof ReportFileError
          ? `simulate: ${error.message}\n`
          : `simulate: --compare failed: ${describeError(error)}\n`,
      );
      return 1;
    }
  }
  const ui = consoleUi();
  try {
    const config: SimulationConfig = {
      scenario: options.scenario,
      description: options.description,
      prices: options.prices,
      accounts: options.accounts,
      seed: options.seed,
      params: options.params,
      keeperDelayBlocks: options.keeperDelayBlocks,
      keeperOutages: options.keeperOutages,
      limits: options.limits,
      backstopShare: options.backstopShare,
    };
    if (options.fork !== undefined) {
      const recorded = options.fork.addressesGiven ? undefined : await localAddressBook(ROOT, options.fork.url);
      if (recorded !== undefined) {
        options.fork.addresses = recorded;
        process.stdout.write(`addresses: ${path.relative(process.cwd(), recorded)} (this chain's deployment record)\n`);
      }
      config.fork = forkPlan(options.fork);
    }
    process.stdout.write(`Bulwark crash simulation: ${options.description}\n`);
    const report = await runSimulation(config, ui);
    ui.done();
    report.verdicts = verdicts(report, options.limits);
    const files = writeReports(report, options.out);
    process.stdout.write(`\n${summaryTable(report)}\n\n`);
    for (const verdict of report.verdicts) process.stdout.write(`${verdict.line}\n`);
    process.stdout.write(`\nreport: ${path.relative(process.cwd(), files.json)}\n`);
    process.stdout.write(`charts: ${path.relative(process.cwd(), files.html)}\n`);
    const failed = report.verdicts.filter((verdict) => verdict.status === "FAIL");
    for (const verdict of failed) {
      process.stderr.write(`simulate: ${verdict.params} exceeds its limit: ${verdict.exceeded.join("; ")}\n`);
    }
    return failed.length > 0 ? 3 : 0;
  } catch (error) {
    ui.done();
    if (
      error instanceof PricePathError ||
      error instanceof SimulationError ||
      error instanceof AddressBookError ||
      error instanceof ForkError
    ) {
      process.stderr.write(`simulate: ${error.message}\n`);
      return 1;
    }
    process.stderr.write(`simulate failed: ${describeError(error)}\n`);
    if (process.env.BULWARK_DEBUG === "1" && error instanceof Error) process.stderr.write(`${error.stack}\n`);
    return 1;
  }
}
