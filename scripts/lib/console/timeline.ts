/**
 * The console's timeline: every event the Bulwark contracts emitted in a block range, decoded against their ABIs into
 * `TimelineEntry`s with one line for people and the accounts and assets each touched. Routine user traffic (deposits,
 * borrows, repays, interest) is left out; defences, losses, keeper and upkeep actions and parameter changes are kept.
 * A timelock's `CallScheduled` is decoded down to the Bulwark function it will call, with its ETA.
 */
import {
  Interface,
  ZeroAddress,
  formatUnits,
  getAddress,
  id,
  isError,
  type Log,
  type LogDescription,
  type Provider,
} from "ethers";

import {
  CircuitBreaker__factory,
  CollateralVault__factory,
  LiquidationEngine__factory,
  OracleAdapter__factory,
  Rebalancer__factory,
  RiskManager__factory,
  SecurityOps__factory,
  TimelockController__factory,
  VolatilityOracle__factory,
  WithdrawalQueue__factory,
  KinkedRateModel__factory,
} from "../../../typechain-types/index.js";
import {
  BREAKER_ACTIONS,
  BREAKER_LEVELS,
  BREAKER_REASONS,
  PRICE_REASONS,
  PRICE_STATUSES,
  type ConsoleContracts,
  type ReaderMemory,
} from "./reader.js";
import type { TimelineEntry } from "./types.js";

/** Each role's ABI. */
const INTERFACES: Record<string, Interface> = {
  vault: new Interface(CollateralVault__factory.abi),
  engine: new Interface(LiquidationEngine__factory.abi),
  breaker: new Interface(CircuitBreaker__factory.abi),
  oracle: new Interface(OracleAdapter__factory.abi),
  riskManager: new Interface(RiskManager__factory.abi),
  volatility: new Interface(VolatilityOracle__factory.abi),
  rebalancer: new Interface(Rebalancer__factory.abi),
  queue: new Interface(WithdrawalQueue__factory.abi),
  upkeep: new Interface(SecurityOps__factory.abi),
  timelock: new Interface(TimelockController__factory.abi),
  rateModel: new Interface(KinkedRateModel__factory.abi),
};

/** Events too frequent to be news: a user's own traffic, interest, each volatility sample. */
const ROUTINE = new Set([
  "Deposit",
  "Withdraw",
  "Transfer",
  "Approval",
  "Borrowed",
  "Repaid",
  "CollateralDeposited",
  "CollateralWithdrawn",
  "InterestAccrued",
  "GainsHeldBack",
  "VolatilityUpdated",
  "AccountTracked",
  "AccountPruned",
  "WorkSkipped",
  // The engine's LiquidationExecuted says the same with the liquidator and the health before.
  "Liquidated",
]);

/**
 * Whether a Bulwark function a timelock will call changes a parameter, a listing, a role or an owner (the monitor's
 * timelock rule with `parametersOnly` alerts on those): setters, listings, removals, ownership and roles, and the
 * timelock's own `updateDelay`.
 */
export const isParameterCall = (name: string): boolean =>
  /^(set|list|remove|transferOwnership|acceptOwnership|renounce|grant|revoke|update)/i.test(name);

export interface TimelineContext {
  contracts: ConsoleContracts;
  provider: Provider;
}

/** Block number → timestamp, cached. */
export class BlockClock {
  private readonly times = new Map<number, number>();
  private readonly provider: Provider;
  constructor(provider: Provider) {
    this.provider = provider;
  }
  async at(block: number): Promise<number> {
    const known = this.times.get(block);
    if (known !== undefined) return known;
    const header = await this.provider.getBlock(block);
    if (header === null) throw new Error(`block ${block} is not available from the RPC`);
    if (this.times.size > 4096) this.times.clear();
    this.times.set(block, header.timestamp);
    return header.timestamp;
  }
}

/** Vault events that wire a contract in, with the role of each address they name (`CollateralListed`: an asset). */
export const WIRING_EVENTS: Readonly<Record<string, ReadonlyArray<[arg: string, role: string]>>> = {
  PriceOracleSet: [["oracle", "oracle"]],
  CircuitBreakerSet: [
    ["breaker", "breaker"],
    ["queue", "queue"],
  ],
  RiskModulesSet: [
    ["riskManager", "riskManager"],
    ["recovery", "rebalancer"],
  ],
  LiquidationEngineSet: [["engine", "engine"]],
  InterestRateModelSet: [["model", "rateModel"]],
  CollateralListed: [],
};

/** Topics of every event the timeline keeps (and `remember` reads): `eth_getLogs` fetches nothing else. */
const NEWS_TOPICS: string[] = [
  ...new Set(
    Object.values(INTERFACES).flatMap((iface) => {
      const topics: string[] = [];
      iface.forEachEvent((event) => {
        if (!ROUTINE.has(event.name)) topics.push(event.topicHash);
      });
      return topics;
    }),
  ),
];

/** The address the console now uses for `role` (undefined when it has none). */
function currentOf(contracts: ConsoleContracts, role: string): string | undefined {
  const target = (c: { target: unknown } | undefined): string | undefined =>
    c === undefined ? undefined : getAddress(String(c.target));
  switch (role) {
    case "oracle":
      return target(contracts.oracle);
    case "breaker":
      return target(contracts.breaker);
    case "queue":
      return target(contracts.queue);
    case "engine":
      return target(contracts.engine);
    case "riskManager":
      return target(contracts.riskManager);
    case "rebalancer":
      return target(contracts.rebalancer);
    case "rateModel":
      return getAddress(contracts.rateModel);
    default:
      return undefined;
  }
}

/** What one range of the timeline came to. */
export interface TimelineRange {
  entries: TimelineEntry[];
  /**
   * The last block read: `to`, or the block of the first wiring event that names a contract not followed yet (or
   * lists an asset): the range stops there, so the contracts can be found again and that contract's events read from
   * the same block on.
   */
  through: number;
  /** Contracts the wiring events of the range named that were not followed (address → role). */
  learned: Map<string, string>;
  /** Whether a wiring event ended the range early (a new contract or a new asset). */
  rewired: boolean;
}

/**
 * Reads and decodes the events of `[from, to]`, in chain order, and updates `memory` from them. `only`: read these
 * addresses alone (the contracts a wiring event just named, in the block it named them).
 */
export async function readTimeline(
  ctx: TimelineContext,
  clock: BlockClock,
  from: number,
  to: number,
  memory: ReaderMemory,
  only?: readonly string[],
): Promise<TimelineRange> {
  const addresses = only ?? [...ctx.contracts.roles.keys()];
  const logs: Log[] = await ctx.provider.getLogs({
    address: [...addresses],
    fromBlock: from,
    toBlock: to,
    topics: [NEWS_TOPICS],
  });
  logs.sort((a, b) => a.blockNumber - b.blockNumber || a.index - b.index);
  const entries: TimelineEntry[] = [];
  /** Events of each transaction so far, by content: an alert's key is its transaction, its content and its count. */
  const seen = new Map<string, number>();
  /** Provisions cleared in each transaction, by account: a write-off right after counts only the rest as new. */
  const cleared = new Map<string, bigint>();
  const learned = new Map<string, string>();
  let rewiredAt: number | undefined;
  for (const log of logs) {
    if (rewiredAt !== undefined && log.blockNumber > rewiredAt) break;
    const role = ctx.contracts.roles.get(getAddress(log.address));
    if (role === undefined) continue;
    let parsed: LogDescription | null = null;
    try {
      parsed = INTERFACES[role]?.parseLog(log) ?? null;
    } catch {
      parsed = null;
    }
    if (parsed === null) continue;
    // Its contract, name and indexed arguments: the same if a reorg mines the transaction again, whatever totals its
    // data carries then (identical events of one transaction are told apart by their count).
    const content = id(`${log.address}${log.topics.join("")}`).slice(2, 18);
    const count = seen.get(`${log.transactionHash}:${content}`) ?? 0;
    seen.set(`${log.transactionHash}:${content}`, count + 1);
    const provisionBefore = await remember(parsed, role, log, memory, ctx);
    const wiring = role === "vault" ? WIRING_EVENTS[parsed.name] : undefined;
    if (wiring !== undefined) {
      // A listed asset, or a contract other than the one now used for its role: the contracts are found again.
      let fresh = parsed.name === "CollateralListed";
      for (const [arg, wired] of wiring) {
        const address = getAddress(String(parsed.args[arg]));
        if (address === ZeroAddress) continue;
        if (address !== currentOf(ctx.contracts, wired)) fresh = true;
        if (!ctx.contracts.roles.has(address)) learned.set(address, wired);
      }
      if (fresh) rewiredAt ??= log.blockNumber;
    }
    if (ROUTINE.has(parsed.name)) continue;
    const timestamp = await clock.at(log.blockNumber);
    if (memory.lastUpkeep?.block === log.blockNumber) memory.lastUpkeep.timestamp = timestamp;
    const key = `${log.transactionHash}:${content}:${count}`;
    const entry = describe(parsed, role, log, key, timestamp, ctx.contracts, provisionBefore);
    if (role === "vault" && parsed.name === "BadDebtProvisioned" && BigInt(String(parsed.args.amount)) === 0n) {
      const account = getAddress(String(parsed.args.account));
      cleared.set(`${log.transactionHash}:${account}`, provisionBefore ?? 0n);
    }
    if (role === "vault" && parsed.name === "BadDebtWrittenOff") {
      // A write-off clears the account's provision first: only what the provision did not announce is new.
      const account = getAddress(String(parsed.args.account));
      const announced = cleared.get(`${log.transactionHash}:${account}`) ?? 0n;
      const rest = BigInt(String(parsed.args.amount)) - announced;
      entry.amount = rest > 0n ? Number(formatUnits(rest, ctx.contracts.baseDecimals)) : undefined;
    }
    entries.push(entry);
  }
  return { entries, through: rewiredAt ?? to, learned, rewired: rewiredAt !== undefined };
}

/**
 * Keeps what the reader shows between blocks: flags, provisions, the last upkeep and keeper actions. Returns the
 * account's provision before a `BadDebtProvisioned` (base units), for the entry to say how it moved: from memory, or,
 * for an account memory does not know (a provision set before the console's first block), from the chain just before.
 */
async function remember(
  event: LogDescription,
  role: string,
  log: Log,
  memory: ReaderMemory,
  ctx: TimelineContext,
): Promise<bigint | null | undefined> {
  const a = event.args;
  const contracts = ctx.contracts;
  if (role === "engine" && event.name === "AccountFlagged") memory.flagged.add(getAddress(String(a.account)));
  if (role === "engine" && event.name === "AccountUnflagged") memory.flagged.delete(getAddress(String(a.account)));
  if (role === "upkeep" && event.name === "UpkeepPerformed")
    memory.lastUpkeep = { block: log.blockNumber, timestamp: 0 };
  if (role === "engine" && event.name === "LiquidationExecuted") {
    const by = getAddress(String(a.liquidator));
    memory.lastKeeper = {
      action: `liquidated ${short(String(a.borrower))} (${symbolOf(contracts, String(a.collateral))})`,
      block: log.blockNumber,
      by,
    };
  }
  if (role === "engine" && (event.name === "AccountFlagged" || event.name === "AccountUnflagged")) {
    memory.lastKeeper = {
      action: `${event.name === "AccountFlagged" ? "flagged" : "unflagged"} ${short(String(a.account))}`,
      block: log.blockNumber,
      by: "",
    };
  }
  if (role === "vault" && event.name === "BadDebtWrittenOff") {
    memory.lastKeeper = { action: `wrote off ${short(String(a.account))}`, block: log.blockNumber, by: "" };
    memory.provisions[getAddress(String(a.account))] = "0";
  }
  if (role === "vault" && event.name === "BadDebtProvisioned") {
    // `amount` is the account's provision now: 0 when it is cleared, less after a repayment.
    const account = getAddress(String(a.account));
    const known = memory.provisions[account];
    const before =
      known !== undefined
        ? BigInt(known)
        : log.blockNumber >= memory.watchingFrom && log.blockNumber > 0
          ? await provisionAt(ctx, account, log.blockNumber - 1)
          : 0n;
    // Cleared provisions stay as "0": known to be none, unlike an account never seen.
    memory.provisions[account] = String(a.amount);
    return before;
  }
  return undefined;
}

/**
 * `account`'s provision at the end of `block`, from the lens; null when the lens cannot say (it reverts there). Any
 * other failure (a timeout, a node without that state) fails the step, which is read again: a guess of 0 could raise
 * a false bad-debt alert.
 */
async function provisionAt(ctx: TimelineContext, account: string, block: number): Promise<bigint | null> {
  try {
    return await ctx.contracts.lens.provisionOf(String(ctx.contracts.vault.target), account, { blockTag: block });
  } catch (error) {
    if (isError(error, "CALL_EXCEPTION") || isError(error, "BAD_DATA")) return null;
    throw error;
  }
}

const short = (address: string): string => `${address.slice(0, 6)}…${address.slice(-4)}`;
const symbolOf = (contracts: ConsoleContracts, address: string): string =>
  address === "0x0000000000000000000000000000000000000000"
    ? "global"
    : (contracts.symbols.get(getAddress(address)) ?? short(address));
const base = (contracts: ConsoleContracts, value: unknown): string =>
  Number(formatUnits(BigInt(String(value)), contracts.baseDecimals)).toLocaleString("en-US", {
    maximumFractionDigits: 2,
  });
const units = (contracts: ConsoleContracts, asset: string, value: unknown): string => {
  const decimals = contracts.assets.find((x) => x.address === getAddress(asset))?.decimals ?? 18;
  return Number(formatUnits(BigInt(String(value)), decimals)).toLocaleString("en-US", { maximumFractionDigits: 4 });
};
const wad = (value: unknown): string =>
  Number(formatUnits(BigInt(String(value)), 18)).toLocaleString("en-US", { maximumFractionDigits: 4 });

/** A WAD fraction as a percentage ("77.33%"). */
const pct = (value: unknown): string =>
  `${(Number(formatUnits(BigInt(String(value)), 18)) * 100).toLocaleString("en-US", { maximumFractionDigits: 2 })}%`;

/** Stringifies an event argument (nested tuples as JSON). */
function argText(value: unknown): string {
  if (typeof value === "bigint") return value.toString();
  if (Array.isArray(value)) return JSON.stringify(value.map(argText));
  return String(value);
}

function describe(
  event: LogDescription,
  role: string,
  log: Log,
  key: string,
  timestamp: number,
  contracts: ConsoleContracts,
  /** The account's provision before a `BadDebtProvisioned`; null when it cannot be known. */
  provisionBefore: bigint | null | undefined,
): TimelineEntry {
  const a = event.args;
  const args: Record<string, string> = {};
  event.fragment.inputs.forEach((input, i) => (args[input.name || String(i)] = argText(a[i])));
  const accounts = new Set<string>();
  const assets = new Set<string>();
  for (const input of event.fragment.inputs) {
    if (input.type !== "address") continue;
    const value = getAddress(String(a[input.name]));
    if (contracts.symbols.has(value)) assets.add(value);
    else if (["borrower", "account", "beneficiary"].includes(input.name)) accounts.add(value);
  }
  const entry: TimelineEntry = {
    id: `${log.blockNumber}:${log.index}`,
    key,
    logIndex: log.index,
    block: log.blockNumber,
    timestamp,
    tx: log.transactionHash,
    source: role,
    name: event.name,
    summary: `${role}.${event.name}`,
    accounts: [...accounts],
    assets: [...assets],
    args,
  };
  const s = (text: string): TimelineEntry => ({ ...entry, summary: text });
  // An entry carrying new bad debt in base units (the monitor's bad-debt rule compares it).
  const loss = (text: string, amount: bigint): TimelineEntry => ({
    ...entry,
    summary: text,
    amount: Number(formatUnits(amount, contracts.baseDecimals)),
  });
  switch (`${role}.${event.name}`) {
    case "breaker.BreakerUpdated": {
      const mask = Number(a.actionMask);
      const actions = BREAKER_ACTIONS.filter((_, i) => (mask & (1 << i)) !== 0);
      const reason = BREAKER_REASONS[Number(a.reason)] ?? String(a.reason);
      const level = BREAKER_LEVELS[Number(a.level)] ?? String(a.level);
      return a.tripped
        ? s(
            `breaker tripped on ${symbolOf(contracts, String(a.asset))}: ${reason} → ${level}${actions.length > 0 ? ` (${actions.join(", ")} stopped)` : ""}`,
          )
        : s(`breaker resumed on ${symbolOf(contracts, String(a.asset))}: ${reason} cleared, now ${level}`);
    }
    case "oracle.PriceStatusChanged":
      return s(
        `oracle ${symbolOf(contracts, String(a.asset))}: ${PRICE_STATUSES[Number(a.previousStatus)]} → ${PRICE_STATUSES[Number(a.status)]}` +
          `${Number(a.reason) === 0 ? "" : ` (${PRICE_REASONS[Number(a.reason)]})`}, $${wad(a.low)} – $${wad(a.high)}`,
      );
    case "engine.LiquidationExecuted":
      return s(
        `liquidated ${short(String(a.borrower))}: repaid ${base(contracts, a.repaid)}, seized ${units(contracts, String(a.collateral), a.seized)} ` +
          `${symbolOf(contracts, String(a.collateral))}, health was ${wad(a.healthBefore)}`,
      );
    case "engine.LiquidationSkipped":
      return s(`liquidation of ${short(String(a.borrower))} skipped (${symbolOf(contracts, String(a.collateral))})`);
    case "engine.AccountFlagged":
      return s(`flagged ${short(String(a.account))} at health ${wad(a.health)}`);
    case "engine.AccountUnflagged":
      return s(`unflagged ${short(String(a.account))}`);
    case "vault.BadDebtWrittenOff":
      return loss(
        `wrote off ${base(contracts, a.amount)} of ${short(String(a.account))}'s debt: reserves took ${base(contracts, a.absorbedByReserves)}, lenders ${base(contracts, a.socialised)}`,
        BigInt(String(a.amount)),
      );
    case "vault.BadDebtProvisioned": {
      // The event carries the account's provision now; only a rise is new bad debt.
      const now = BigInt(String(a.amount));
      const before = provisionBefore ?? 0n;
      const moved =
        now === 0n
          ? `provision on ${short(String(a.account))} cleared`
          : provisionBefore === null
            ? `provision on ${short(String(a.account))} set to ${base(contracts, now)} (its earlier provision could not be read)`
            : now > before
              ? `provisioned ${base(contracts, now - before)} more bad debt on ${short(String(a.account))}, ${base(contracts, now)} in all`
              : `provision on ${short(String(a.account))} reduced to ${base(contracts, now)}`;
      const text = `${moved} (total provisions ${base(contracts, a.totalProvision)})`;
      return provisionBefore !== null && now > before ? loss(text, now - before) : s(text);
    }
    case "vault.WithdrawalQueued":
      return s(
        `withdrawal of ${units(contracts, String(a.asset), a.amount)} ${symbolOf(contracts, String(a.asset))} queued for ${short(String(a.beneficiary))}`,
      );
    case "vault.RiskRampStarted":
      return s(
        `risk ramp started on ${symbolOf(contracts, String(a.asset))}: caps LTV ${pct(a.ltvCap)}, threshold ${pct(a.thresholdCap)}`,
      );
    case "riskManager.CapsSynced":
      return s(
        `caps synced on ${symbolOf(contracts, String(a.asset))}: LTV ${pct(a.ltvCap)}, threshold ${pct(a.thresholdCap)}, volatility ${pct(a.volatility)}`,
      );
    case "upkeep.UpkeepPerformed":
      return s(`upkeep performed: ${a.done} done, ${a.skipped} skipped`);
    case "upkeep.WorkFailed":
      return s(`upkeep work failed (kind ${a.kind}) on ${short(String(a.subject))}`);
    case "timelock.CallScheduled":
      return scheduled(entry, a, timestamp, contracts);
    case "timelock.CallExecuted":
      return s(`timelock executed operation ${String(a.id).slice(0, 10)}…`);
    case "timelock.Cancelled":
      return s(`timelock cancelled operation ${String(a.id).slice(0, 10)}…`);
    default: {
      const shown = Object.entries(args)
        .map(([k, v]) => `${k}=${contracts.symbols.get(v) ?? (v.length > 42 ? `${v.slice(0, 40)}…` : v)}`)
        .join(", ");
      return s(`${role}.${event.name}(${shown})`);
    }
  }
}

/** A timelock operation: which Bulwark function it will call, with what, and when it may run. */
function scheduled(
  entry: TimelineEntry,
  a: LogDescription["args"],
  timestamp: number,
  contracts: ConsoleContracts,
): TimelineEntry {
  const target = getAddress(String(a.target));
  const role = contracts.roles.get(target);
  const eta = timestamp + Number(a.delay);
  let call = `${String(a.data).slice(0, 10)}`;
  let name = "";
  if (role !== undefined) {
    try {
      const parsed = INTERFACES[role]?.parseTransaction({ data: String(a.data) });
      if (parsed !== null && parsed !== undefined) {
        name = parsed.name;
        const shown = parsed.args.map((x: unknown) => {
          const text = argText(x);
          return contracts.symbols.get(text) ?? (text.length > 60 ? `${text.slice(0, 58)}…` : text);
        });
        call = `${parsed.name}(${shown.join(", ")})`;
      }
    } catch {
      // Not a function of the role's ABI: keep the selector.
    }
  }
  const assets = new Set(entry.assets);
  for (const [address] of contracts.symbols)
    if (String(a.data).toLowerCase().includes(address.slice(2).toLowerCase())) assets.add(address);
  return {
    ...entry,
    eta,
    assets: [...assets],
    args: {
      ...entry.args,
      target: role ?? target,
      call,
      function: name,
      // A call to a contract the console does not know, or one it cannot decode, counts as a change: the protocol's
      // timelock has no routine business elsewhere.
      parameter: String(role === undefined || name === "" || isParameterCall(name)),
    },
    summary: `timelock scheduled ${role ?? short(target)}.${call}, executable from ${new Date(eta * 1000).toISOString().replace(".000Z", "Z")}`,
  };
}
