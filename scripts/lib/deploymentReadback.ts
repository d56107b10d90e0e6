/**
 * Reads a deployed Bulwark system back from the chain and compares every parameter, role and wire with the parameter
 * file it was deployed from: vault configuration per collateral, rate model, oracle adapter per asset, engine,
 * breaker (parameters, default, base and per-collateral triggers, guardian), withdrawal queue, volatility tracking and
 * asset risk, the timelock (delay, who holds which role, operations left pending below the delay), and that the
 * timelock owns every Ownable2Step contract with no transfer pending. `npm run readback` prints the result as a table
 * (scripts/readback.ts); tests call `readBack` directly.
 */
import { readFileSync } from "node:fs";

import { type ContractRunner, getAddress, isAddress, ZeroAddress } from "ethers";

import {
  CircuitBreaker__factory,
  CollateralVault__factory,
  IERC20Metadata__factory,
  KinkedRateModel__factory,
  LiquidationEngine__factory,
  OracleAdapter__factory,
  Backstop__factory,
  BackstopAllocator__factory,
  Rebalancer__factory,
  RiskManager__factory,
  SecurityOps__factory,
  TimelockController__factory,
  UniswapV3FlashLiquidator__factory,
  VaultLens__factory,
  VolatilityOracle__factory,
  WithdrawalQueue__factory,
} from "../../typechain-types/index.js";
import {
  BASE_SYMBOL,
  COLLATERAL_SYMBOLS,
  FUTURE_IDS,
  TIMELOCK_ROLES,
  type DeploymentParameters,
  type OracleParameters,
  type TimelockRole,
  localFeedId,
  localTokenId,
} from "./deployment.js";
import { renderTable } from "./format.js";
import { formatCheck, formatPair, unitOf, type Unit } from "./readbackFormat.js";

/** A token and its primary feed. */
export interface AssetAddresses {
  token: string;
  feed: string;
}

/** Every address the read-back needs: the deployed contracts, and the tokens and feeds they were wired to. */
export interface SystemAddresses {
  timelock: string;
  adapter: string;
  rateModel: string;
  vault: string;
  engine: string;
  breaker: string;
  queue: string;
  volatility: string;
  riskManager: string;
  rebalancer: string;
  securityOps: string;
  backstop: string;
  allocator: string;
  lens: string;
  base: AssetAddresses;
  /** By symbol. */
  collaterals: Record<string, AssetAddresses>;
}

/** One comparison: what the parameter file says and what the chain holds. */
export interface ReadbackRow {
  check: string;
  /** Raw values (integers in decimal, checksummed addresses): compared as they are. */
  expected: string;
  actual: string;
  ok: boolean;
  /** What the raw values mean, for display (scripts/lib/readbackFormat.ts); none for addresses, flags and names. */
  unit?: Unit;
}

export interface ReadbackOptions {
  /** The account that deployed the system: it must hold no timelock role. */
  deployer: string;
  /** First block to scan for the timelock's role grants and scheduled operations (default 0). */
  fromBlock?: number;
}

type Value = bigint | number | string | boolean;

/** Normalises a value for comparison and display: checksummed addresses, integers in decimal. */
function show(value: Value): string {
  if (typeof value === "string" && isAddress(value)) return getAddress(value);
  return String(value);
}

/**
 * The addresses of a deployment recorded by Ignition (`deployed_addresses.json`: future id → address). Tokens and
 * feeds come from the parameter file, or, for a local deployment, from the `LocalDependencies` mocks.
 */
export function addressesFromDeployment(
  deployed: Readonly<Record<string, string>>,
  params: DeploymentParameters,
): SystemAddresses {
  const at = (futureId: string): string => {
    const address = deployed[futureId];
    if (address === undefined) throw new Error(`the deployment has no "${futureId}"`);
    return getAddress(address);
  };
  const asset = (symbol: string, token: string | undefined, feed: string | undefined): AssetAddresses => ({
    token: token ?? at(localTokenId(symbol)),
    feed: feed ?? at(localFeedId(symbol)),
  });
  const collaterals: Record<string, AssetAddresses> = {};
  for (const symbol of COLLATERAL_SYMBOLS) {
    const p = params.collaterals[symbol];
    collaterals[symbol] = asset(symbol, p.token, p.oracle.feed);
  }
  return {
    timelock: at(FUTURE_IDS.timelock),
    adapter: at(FUTURE_IDS.adapter),
    rateModel: at(FUTURE_IDS.rateModel),
    vault: at(FUTURE_IDS.vault),
    engine: at(FUTURE_IDS.engine),
    breaker: at(FUTURE_IDS.breaker),
    queue: at(FUTURE_IDS.queue),
    volatility: at(FUTURE_IDS.volatility),
    riskManager: at(FUTURE_IDS.riskManager),
    rebalancer: at(FUTURE_IDS.rebalancer),
    securityOps: at(FUTURE_IDS.securityOps),
    backstop: at(FUTURE_IDS.backstop),
    allocator: at(FUTURE_IDS.allocator),
    lens: at(FUTURE_IDS.lens),
    base: asset(BASE_SYMBOL, params.core.baseToken, params.base.oracle.feed),
    collaterals,
  };
}

/**
 * Reads everything back through `runner` (a provider) and returns one row per value compared, in a fixed order.
 * Never throws on a mismatch: the rows say what differs.
 */
export async function readBack(
  runner: ContractRunner,
  a: SystemAddresses,
  params: DeploymentParameters,
  options: ReadbackOptions,
): Promise<ReadbackRow[]> {
  const rows: ReadbackRow[] = [];
  const check = (name: string, expected: Value, actual: Value, unit = unitOf(name)): void => {
    const [e, x] = [show(expected), show(actual)];
    rows.push({ check: name, expected: e, actual: x, ok: e === x, ...(unit === undefined ? {} : { unit }) });
  };
  /**
   * Compares each field of `expected` with the same field of `actual` (a struct as the contract returns it); `units`
   * names the unit of fields FIELD_UNITS does not know (token amounts).
   */
  const checkStruct = <T extends Record<keyof T, Value>>(
    prefix: string,
    expected: T,
    actual: Readonly<Record<keyof T, Value>>,
    units: Partial<Record<keyof T, Unit>> = {},
  ): void => {
    for (const key of Object.keys(expected) as Array<keyof T & string>) {
      check(`${prefix}.${key}`, expected[key], actual[key], units[key] ?? unitOf(key));
    }
  };
  /** Token units of `token`, as the token reports its decimals. */
  const amountOf = async (token: string, symbol: string): Promise<Unit> => ({
    kind: "amount",
    decimals: Number(await IERC20Metadata__factory.connect(token, runner).decimals()),
    symbol,
  });
  const baseUnit = await amountOf(a.base.token, BASE_SYMBOL);

  const timelock = TimelockController__factory.connect(a.timelock, runner);
  const adapter = OracleAdapter__factory.connect(a.adapter, runner);
  const rateModel = KinkedRateModel__factory.connect(a.rateModel, runner);
  const vault = CollateralVault__factory.connect(a.vault, runner);
  const engine = LiquidationEngine__factory.connect(a.engine, runner);
  const breaker = CircuitBreaker__factory.connect(a.breaker, runner);
  const queue = WithdrawalQueue__factory.connect(a.queue, runner);
  const volatility = VolatilityOracle__factory.connect(a.volatility, runner);
  const riskManager = RiskManager__factory.connect(a.riskManager, runner);
  const rebalancer = Rebalancer__factory.connect(a.rebalancer, runner);
  const securityOps = SecurityOps__factory.connect(a.securityOps, runner);
  const backstop = Backstop__factory.connect(a.backstop, runner);
  const allocator = BackstopAllocator__factory.connect(a.allocator, runner);
  const lens = VaultLens__factory.connect(a.lens, runner);
  const { governance: g, core: c } = params;
  const collaterals = COLLATERAL_SYMBOLS.map((symbol) => ({
    symbol,
    token: a.collaterals[symbol].token,
    feed: a.collaterals[symbol].feed,
    p: params.collaterals[symbol],
  }));

  // ------------------------------------------------------------------ governance: the timelock and its roles
  check("timelock.getMinDelay", g.minDelay, await timelock.getMinDelay());
  const expectedRoles: Array<[TimelockRole, string]> = [
    ["DEFAULT_ADMIN_ROLE", a.timelock],
    ["PROPOSER_ROLE", g.proposer],
    ["CANCELLER_ROLE", g.proposer],
    ["EXECUTOR_ROLE", g.executor],
  ];
  for (const [role, account] of expectedRoles) {
    check(`timelock.hasRole(${role}, ${account})`, true, await timelock.hasRole(TIMELOCK_ROLES[role], account));
  }
  for (const role of Object.keys(TIMELOCK_ROLES) as TimelockRole[]) {
    check(
      `timelock.hasRole(${role}, deployer ${options.deployer})`,
      false,
      await timelock.hasRole(TIMELOCK_ROLES[role], options.deployer),
    );
  }
  // Everyone ever granted a role who still holds one must be expected (the deployer included, the read-back cannot
  // know every address it should look at otherwise).
  const fromBlock = options.fromBlock ?? 0;
  const granted = await timelock.queryFilter(timelock.filters.RoleGranted(), fromBlock);
  const roleName = new Map(Object.entries(TIMELOCK_ROLES).map(([name, hash]) => [hash, name]));
  const unexpected = new Set<string>();
  for (const event of granted) {
    const { role, account } = event.args;
    const name = roleName.get(role) ?? role;
    const expected = expectedRoles.some(([r, who]) => r === name && getAddress(who) === getAddress(account));
    if (!expected && (await timelock.hasRole(role, account))) unexpected.add(`${name}:${getAddress(account)}`);
  }
  check("timelock: unexpected role holders", "none", unexpected.size === 0 ? "none" : [...unexpected].join(" "));
  // An operation scheduled below the delay (possible only before the handover raised it) that can still run.
  const scheduled = await timelock.queryFilter(timelock.filters.CallScheduled(), fromBlock);
  const early = new Set<string>();
  for (const event of scheduled) {
    const { id, delay } = event.args;
    if (delay < g.minDelay && (await timelock.isOperationPending(id))) early.add(id);
  }
  check(
    "timelock: pending operations scheduled below minDelay",
    "none",
    early.size === 0 ? "none" : [...early].join(" "),
  );

  // ------------------------------------------------------------------ ownership and the guardian
  const owned = {
    adapter,
    vault,
    engine,
    breaker,
    volatility,
    riskManager,
    rebalancer,
    securityOps,
    backstop,
    allocator,
  };
  for (const [name, contract] of Object.entries(owned)) {
    check(`${name}.owner`, a.timelock, await contract.owner());
    check(`${name}.pendingOwner`, ZeroAddress, await contract.pendingOwner());
  }
  check("breaker.guardian", g.guardian, await breaker.guardian());

  // ------------------------------------------------------------------ vault and its wiring
  check("vault.asset", a.base.token, await vault.asset());
  check("vault.name", c.vaultName, await vault.name());
  check("vault.symbol", c.vaultSymbol, await vault.symbol());
  const [oracle, model, reserveFactor, borrowCap] = await lens.parameters(vault);
  check("vault.parameters.oracle", a.adapter, oracle);
  check("vault.parameters.rateModel", a.rateModel, model);
  check("vault.parameters.reserveFactor", c.reserveFactor, reserveFactor);
  check("vault.parameters.borrowCap", c.borrowCap, borrowCap, baseUnit);
  check("vault.liquidationEngine", a.engine, await lens.liquidationEngine(vault));
  const [breakerAddress, queueAddress] = await lens.circuitBreaker(vault);
  check("vault.circuitBreaker.breaker", a.breaker, breakerAddress);
  check("vault.circuitBreaker.queue", a.queue, queueAddress);
  const [riskManagerAddress, recovery] = await lens.riskModules(vault);
  check("vault.riskModules.riskManager", a.riskManager, riskManagerAddress);
  check("vault.riskModules.recovery", a.rebalancer, recovery);
  const listed = (await vault.collateralAssets()).map((token) => getAddress(token)).sort();
  const expectedListed = collaterals.map(({ token }) => getAddress(token)).sort();
  check("vault.collateralAssets", expectedListed.join(" "), listed.join(" "));
  for (const { symbol, token, p } of collaterals) {
    if (!listed.includes(getAddress(token))) continue; // reported above; collateralInfo would revert
    const [config] = await lens.collateralInfo(vault, token);
    checkStruct(`vault.collateralInfo(${symbol})`, p.collateral, config, { supplyCap: await amountOf(token, symbol) });
  }

  // ------------------------------------------------------------------ rate model
  check("rateModel.baseApr", c.baseApr, await rateModel.baseApr());
  check("rateModel.slope1Apr", c.slope1Apr, await rateModel.slope1Apr());
  check("rateModel.slope2Apr", c.slope2Apr, await rateModel.slope2Apr());
  check("rateModel.kink", c.kink, await rateModel.kink());

  // ------------------------------------------------------------------ oracle adapter
  check("adapter.sequencerFeed", c.sequencerFeed, await adapter.sequencerFeed());
  check("adapter.sequencerGrace", c.sequencerGrace, await adapter.sequencerGrace());
  check("adapter.stalenessGrace", c.stalenessGrace, await adapter.stalenessGrace());
  const checkOracle = async (symbol: string, token: string, feed: string, p: OracleParameters): Promise<void> => {
    const config = await adapter.assetConfig(token);
    const prefix = `adapter.assetConfig(${symbol})`;
    check(`${prefix}.primary.feed`, feed, config.primary.feed);
    check(`${prefix}.primary.heartbeat`, p.heartbeat, config.primary.heartbeat);
    check(`${prefix}.secondary.feed`, p.secondaryFeed, config.secondary.feed);
    check(`${prefix}.secondary.heartbeat`, p.secondaryHeartbeat, config.secondary.heartbeat);
    const { minPrice, maxPrice, maxDeviation, maxJump, jumpWindow } = p;
    checkStruct(prefix, { minPrice, maxPrice, maxDeviation, maxJump, jumpWindow }, config);
  };
  await checkOracle(BASE_SYMBOL, a.base.token, a.base.feed, params.base.oracle);
  for (const { symbol, token, feed, p } of collaterals) await checkOracle(symbol, token, feed, p.oracle);

  // ------------------------------------------------------------------ liquidation engine
  check("engine.vault", a.vault, await engine.vault());
  checkStruct("engine.params", c.engineParams, await engine.params());

  // ------------------------------------------------------------------ circuit breaker and queue
  check("breaker.vault", a.vault, await breaker.vault());
  checkStruct("breaker.params", c.breakerParams, await breaker.params());
  checkStruct("breaker.assetParams(default)", c.defaultTriggers, await breaker.assetParams(ZeroAddress));
  checkStruct(`breaker.assetParams(${BASE_SYMBOL})`, params.base.triggers, await breaker.assetParams(a.base.token));
  for (const { symbol, token, p } of collaterals) {
    checkStruct(`breaker.assetParams(${symbol})`, p.triggers, await breaker.assetParams(token));
  }
  check("queue.vault", a.vault, await queue.vault());

  // ------------------------------------------------------------------ adaptive risk
  check("volatility.oracle", a.adapter, await volatility.oracle());
  check("riskManager.vault", a.vault, await riskManager.vault());
  check("riskManager.volatilityOracle", a.volatility, await riskManager.volatilityOracle());
  checkStruct("riskManager.params", c.riskParams, await riskManager.params());
  for (const { symbol, token, p } of collaterals) {
    checkStruct(`volatility.config(${symbol})`, p.tracking, await volatility.config(token));
    checkStruct(`riskManager.assetRisk(${symbol})`, p.risk, await riskManager.assetRisk(token));
  }
  check("rebalancer.vault", a.vault, await rebalancer.vault());
  check("rebalancer.base", a.base.token, await rebalancer.base());

  // ------------------------------------------------------------------ the upkeep
  check("securityOps.vault", a.vault, await securityOps.vault());
  check("securityOps.engine", a.engine, await securityOps.engine());
  check("securityOps.volatilityOracle", a.volatility, await securityOps.volatilityOracle());
  check("securityOps.proceedsRecipient", a.timelock, await securityOps.proceedsRecipient());
  checkStruct("securityOps.config", g.securityOps, await securityOps.config(), { minDebt: baseUnit });
  const liquidator = UniswapV3FlashLiquidator__factory.connect(await securityOps.liquidator(), runner);
  check("securityOps.liquidator.owner", a.securityOps, await liquidator.owner());
  check("securityOps.liquidator.engine", a.engine, await liquidator.engine());

  // ------------------------------------------------------------------ the first-loss backstop and its allocator
  const [linked, incomeShare] = await lens.backstop(vault);
  check("vault.backstop", a.backstop, linked);
  check("vault.backstop.incomeShare", g.backstop.incomeShare, incomeShare);
  check("backstop.vault", a.vault, await backstop.vault());
  check("backstop.asset", a.base.token, await backstop.asset());
  check("backstop.name", g.backstop.name, await backstop.name());
  check("backstop.symbol", g.backstop.symbol, await backstop.symbol());
  const [cooldown, window] = await backstop.unstakeParams();
  check("backstop.unstakeParams.cooldown", g.backstop.cooldown, cooldown);
  check("backstop.unstakeParams.window", g.backstop.window, window);
  check("backstop.allocator", a.allocator, await backstop.allocator());
  check("allocator.backstop", a.backstop, await allocator.backstop());
  check("allocator.agent", g.allocator.agent, await allocator.agent());
  check("allocator.minIdleShare", g.allocator.minIdleShare, await allocator.minIdleShare());
  check("allocator.frozen", false, await allocator.frozen());

  return rows;
}

/** The rows that differ. */
export const mismatches = (rows: readonly ReadbackRow[]): ReadbackRow[] => rows.filter((row) => !row.ok);

/** The rows as an aligned table: check, expected, actual, and MISMATCH where they differ. */
export function renderReadback(rows: readonly ReadbackRow[], names: ReadonlyMap<string, string> = new Map()): string {
  return renderTable(
    [{ header: "check" }, { header: "expected" }, { header: "actual" }, { header: "" }],
    rows.map((row) => [
      formatCheck(row.check, names),
      ...formatPair(row.expected, row.actual, row.unit, names),
      row.ok ? "ok" : "MISMATCH",
    ]),
  );
}

/** Every address of the system by name ("vault", "WETH", "WETH feed"), for display. */
export function addressNames(a: SystemAddresses): Map<string, string> {
  const names = new Map<string, string>();
  const { base, collaterals, ...contracts } = a;
  for (const [name, address] of Object.entries(contracts)) names.set(getAddress(address), name);
  for (const [symbol, asset] of [[BASE_SYMBOL, base], ...Object.entries(collaterals)] as const) {
    names.set(getAddress(asset.token), symbol);
    if (asset.feed !== ZeroAddress) names.set(getAddress(asset.feed), `${symbol} feed`);
  }
  return names;
}

/** Names of the contracts a deployment record lists (the keys of FUTURE_IDS). */
export type ContractName = keyof typeof FUTURE_IDS;

/**
 * The Bulwark contracts a deployment record lists (`deployed_addresses.json`: future id → address), checksummed, by
 * name; contracts it does not list are left out. Needs no parameter file (tokens and feeds are not included): for
 * tools that only need the contracts, such as the keeper (`scripts/keeper.ts`).
 */
export function contractsFromDeployment(
  deployed: Readonly<Record<string, string>>,
): Partial<Record<ContractName, string>> {
  const out: Partial<Record<ContractName, string>> = {};
  for (const [name, futureId] of Object.entries(FUTURE_IDS) as Array<[ContractName, string]>) {
    const address = deployed[futureId];
    if (address !== undefined && isAddress(address)) out[name] = getAddress(address);
  }
  return out;
}

/**
 * Reads `<dir>/deployed_addresses.json`, Ignition's record of a deployment, as future id → address. Throws an error
 * naming the file when it is missing or not a JSON object of strings.
 */
export function loadDeployedAddresses(dir: string): Record<string, string> {
  const file = `${dir.replace(/[\\/]+$/, "")}/deployed_addresses.json`;
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    throw new Error(`no deployment record at ${file}`);
  }
  let deployed: unknown;
  try {
    deployed = JSON.parse(text);
  } catch {
    throw new Error(`${file} is not valid JSON`);
  }
  if (typeof deployed !== "object" || deployed === null) throw new Error(`${file}: expected a JSON object`);
  return Object.fromEntries(
    Object.entries(deployed).filter((entry): entry is [string, string] => typeof entry[1] === "string"),
  );
}
