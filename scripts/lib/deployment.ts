/**
 * The deployment's parameter files (`deploy/parameters/<network>.json`), shared by the Ignition modules in
 * `deploy/` and by the read-back (`scripts/lib/deploymentReadback.ts`): module ids, future ids, defaults, and a strict loader
 * that turns a parameter file into typed values.
 *
 * A parameter file is Ignition's own format: one object per module id, bigints as strings ending in `n`
 * ("800000000000000000n"), small integers as JSON numbers. Sections:
 *
 * - `Bulwark`: governance — `proposer`, `executor`, `guardian`, `minDelay` (seconds, default 2 days);
 * - `BulwarkCore`: the vault (`baseToken` unless deployed locally, `vaultName`, `vaultSymbol`, `reserveFactor`,
 *   `borrowCap`), the rate model (`baseApr`, `slope1Apr`, `slope2Apr`, `kink`), the oracle adapter
 *   (`sequencerFeed`, `sequencerGrace`, `stalenessGrace`), `engineParams`, `breakerParams`, `defaultTriggers`
 *   (every asset without its own), `riskParams`;
 * - `BulwarkBase`: the base asset's price source (`feed` unless local, `heartbeat`, `secondaryFeed`,
 *   `secondaryHeartbeat`, `minPrice`, `maxPrice`, `maxDeviation`, `maxJump`, `jumpWindow`) and breaker `triggers`;
 * - `Bulwark<SYMBOL>` for each of COLLATERAL_SYMBOLS: as `BulwarkBase`, plus `token` (unless local), `collateral`
 *   (the vault's config), `tracking` (volatility oracle) and `risk` (risk manager);
 * - `LocalDependencies` (local chains only): `<SYMBOL>Price`, each mock feed's first answer (8 decimals).
 *
 * The loader rejects unknown keys: Ignition silently ignores a misspelt optional parameter and uses its default,
 * the read-back must not. Keys starting with `//` are comments (Ignition ignores them as unused parameters).
 */
import { readFileSync } from "node:fs";
import { getAddress, id, isAddress, ZeroAddress, ZeroHash } from "ethers";

/** The base asset's symbol (the local deployment's mock token and feed are named after it). */
export const BASE_SYMBOL = "USDC";
/** The collaterals the modules list, in listing order. Each has its own parameter section, `Bulwark<SYMBOL>`. */
export const COLLATERAL_SYMBOLS = ["WETH", "WBTC"] as const;

/** Ignition module ids: also the parameter files' section names and the prefixes of deployed_addresses.json. */
export const MODULE_IDS = {
  governance: "Bulwark",
  core: "BulwarkCore",
  base: "BulwarkBase",
  local: "LocalDependencies",
} as const;

/** The parameter section (and module id) of a collateral. */
export const collateralModuleId = (symbol: string): string => `Bulwark${symbol}`;

/** Future ids of the deployed contracts, as deployed_addresses.json lists them. */
export const FUTURE_IDS = {
  timelock: `${MODULE_IDS.governance}#TimelockController`,
  adapter: `${MODULE_IDS.core}#OracleAdapter`,
  rateModel: `${MODULE_IDS.core}#KinkedRateModel`,
  vault: `${MODULE_IDS.core}#CollateralVault`,
  engine: `${MODULE_IDS.core}#LiquidationEngine`,
  breaker: `${MODULE_IDS.core}#CircuitBreaker`,
  queue: `${MODULE_IDS.core}#WithdrawalQueue`,
  volatility: `${MODULE_IDS.core}#VolatilityOracle`,
  riskManager: `${MODULE_IDS.core}#RiskManager`,
  rebalancer: `${MODULE_IDS.core}#Rebalancer`,
  lens: `${MODULE_IDS.core}#VaultLens`,
  securityOps: `${MODULE_IDS.governance}#SecurityOps`,
  backstop: `${MODULE_IDS.governance}#Backstop`,
  allocator: `${MODULE_IDS.governance}#BackstopAllocator`,
  liquidator: `${MODULE_IDS.governance}#UniswapV3FlashLiquidator`,
} as const;

/** Future ids of the local dependencies: a mock token and a mock feed per symbol. */
export const localTokenId = (symbol: string): string => `${MODULE_IDS.local}#${symbol}`;
export const localFeedId = (symbol: string): string => `${MODULE_IDS.local}#${symbol}Feed`;

/** Values the modules use for parameters a file may leave out. */
export const PARAMETER_DEFAULTS = {
  sequencerFeed: ZeroAddress,
  sequencerGrace: 0n,
  secondaryFeed: ZeroAddress,
  secondaryHeartbeat: 0n,
  minDelay: 2n * 24n * 60n * 60n,
} as const;

/** TimelockController's roles. */
export const TIMELOCK_ROLES = {
  DEFAULT_ADMIN_ROLE: ZeroHash,
  PROPOSER_ROLE: id("PROPOSER_ROLE"),
  EXECUTOR_ROLE: id("EXECUTOR_ROLE"),
  CANCELLER_ROLE: id("CANCELLER_ROLE"),
} as const;
export type TimelockRole = keyof typeof TIMELOCK_ROLES;

// ------------------------------------------------------------------------------------------------------------ types

/** An asset's price source (OracleAdapter.AssetConfigInput, with the primary feed as `feed`). */
export interface OracleParameters {
  /** The primary feed; absent when the local dependencies module deploys it. */
  feed?: string;
  heartbeat: bigint;
  secondaryFeed: string;
  secondaryHeartbeat: bigint;
  minPrice: bigint;
  maxPrice: bigint;
  maxDeviation: bigint;
  maxJump: bigint;
  jumpWindow: bigint;
}

/** ICircuitBreaker.AssetParams. */
export interface TriggerParameters {
  outflowShare: bigint;
  outflowWindow: bigint;
  maxFall: bigint;
  fallWindow: bigint;
}

export interface BaseAssetParameters {
  oracle: OracleParameters;
  triggers: TriggerParameters;
}

export interface CollateralParameters extends BaseAssetParameters {
  /** The token; absent when the local dependencies module deploys it. */
  token?: string;
  /** ICollateralVault.CollateralConfig. */
  collateral: { borrowLtv: bigint; liquidationThreshold: bigint; liquidationBonus: bigint; supplyCap: bigint };
  /** IVolatilityOracle.Config. */
  tracking: { minInterval: bigint; alpha: bigint; seedVolatility: bigint };
  /** IRiskManager.AssetRisk. */
  risk: { referenceVolatility: bigint; ltvK: bigint; thresholdK: bigint; maxLtvCut: bigint; maxThresholdCut: bigint };
}

/** ILiquidationEngine.Params. */
export interface EngineParameters {
  targetHealth: bigint;
  fullCloseHealth: bigint;
  minBonusShare: bigint;
  healthRamp: bigint;
  protocolFeeShare: bigint;
  emergencyHealth: bigint;
  timeRamp: bigint;
  dustValue: bigint;
}

/** ICircuitBreaker.Params. */
export interface BreakerParameters {
  cooldown: bigint;
  guardianCooldown: bigint;
  claimDelay: bigint;
  liquidationGrace: bigint;
  resumeShare: bigint;
  badDebtShare: bigint;
}

export interface CoreParameters {
  /** The base asset; absent when the local dependencies module deploys it. */
  baseToken?: string;
  vaultName: string;
  vaultSymbol: string;
  reserveFactor: bigint;
  borrowCap: bigint;
  baseApr: bigint;
  slope1Apr: bigint;
  slope2Apr: bigint;
  kink: bigint;
  sequencerFeed: string;
  sequencerGrace: bigint;
  stalenessGrace: bigint;
  engineParams: EngineParameters;
  breakerParams: BreakerParameters;
  defaultTriggers: TriggerParameters;
  /** IRiskManager.Params. */
  riskParams: { horizon: bigint; reserveTarget: bigint; reserveBoost: bigint };
}

export interface GovernanceParameters {
  minDelay: bigint;
  proposer: string;
  executor: string;
  guardian: string;
  /** ISecurityOps.Config: the upkeep's limits. */
  securityOps: { scanSize: bigint; maxLiquidations: bigint; pokeInterval: bigint; minDebt: bigint };
  /** The first-loss backstop (issue 26): share token, unstake cooldown and window (seconds), income share (WAD). */
  backstop: { name: string; symbol: string; cooldown: bigint; window: bigint; incomeShare: bigint };
  /** Its allocator: the agent (the keeper bot's key, assumed compromised) and the minimum idle share (WAD). */
  allocator: { agent: string; minIdleShare: bigint };
}

/** A whole parameter file, typed. Addresses are checksummed. */
export interface DeploymentParameters {
  governance: GovernanceParameters;
  core: CoreParameters;
  base: BaseAssetParameters;
  /** By symbol, in COLLATERAL_SYMBOLS order. */
  collaterals: Record<string, CollateralParameters>;
  /** First answer of each local mock feed, by symbol; only in files for local chains. */
  localPrices?: Record<string, bigint>;
}

// ----------------------------------------------------------------------------------------------------------- loader

/** Ignition's reading of parameter files: a string of digits ending in `n` is a bigint. */
export function bigintReviver(_key: string, value: unknown): unknown {
  return typeof value === "string" && /^\d+n$/.test(value) ? BigInt(value.slice(0, -1)) : value;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Reads one section's fields, recording which it consumed, so leftovers can be reported as unknown. */
class Section {
  private readonly used = new Set<string>();
  private readonly path: string;
  private readonly data: Json;

  constructor(path: string, data: Json) {
    this.path = path;
    this.data = data;
  }

  private take(key: string): unknown {
    this.used.add(key);
    return this.data[key];
  }

  has(key: string): boolean {
    return this.data[key] !== undefined;
  }

  bigint(key: string, fallback?: bigint): bigint {
    const value = this.take(key);
    if (value === undefined && fallback !== undefined) return fallback;
    if (typeof value === "bigint" && value >= 0n) return value;
    if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
    throw new Error(`${this.path}.${key}: expected a non-negative integer (or "<digits>n"), got ${show(value)}`);
  }

  address(key: string, fallback?: string): string {
    const value = this.take(key);
    if (value === undefined && fallback !== undefined) return fallback;
    if (typeof value === "string" && isAddress(value)) return getAddress(value);
    throw new Error(`${this.path}.${key}: expected an address, got ${show(value)}`);
  }

  string(key: string): string {
    const value = this.take(key);
    if (typeof value === "string" && value !== "") return value;
    throw new Error(`${this.path}.${key}: expected a non-empty string, got ${show(value)}`);
  }

  section(key: string): Section {
    const value = this.take(key);
    if (!isObject(value)) throw new Error(`${this.path}.${key}: expected an object, got ${show(value)}`);
    return new Section(`${this.path}.${key}`, value);
  }

  /** Reads every key of `keys` as a bigint, then checks nothing else is there. */
  bigints<K extends string>(keys: readonly K[]): Record<K, bigint> {
    const out = {} as Record<K, bigint>;
    for (const key of keys) out[key] = this.bigint(key);
    this.done();
    return out;
  }

  /** Throws if the section holds a key nobody read. */
  done(): void {
    const unknown = Object.keys(this.data).filter((key) => !this.used.has(key) && !key.startsWith("//"));
    if (unknown.length > 0) throw new Error(`${this.path}: unknown parameter(s) ${unknown.join(", ")}`);
  }
}

function show(value: unknown): string {
  if (value === undefined) return "nothing";
  return typeof value === "bigint" ? `${value}n` : JSON.stringify(value);
}

/** Field names of each parameter struct, as the contracts and the parameter files name them. */
export const STRUCT_FIELDS = {
  engine: [
    "targetHealth",
    "fullCloseHealth",
    "minBonusShare",
    "healthRamp",
    "protocolFeeShare",
    "emergencyHealth",
    "timeRamp",
    "dustValue",
  ],
  breaker: ["cooldown", "guardianCooldown", "claimDelay", "liquidationGrace", "resumeShare", "badDebtShare"],
  risk: ["horizon", "reserveTarget", "reserveBoost"],
  triggers: ["outflowShare", "outflowWindow", "maxFall", "fallWindow"],
  collateral: ["borrowLtv", "liquidationThreshold", "liquidationBonus", "supplyCap"],
  tracking: ["minInterval", "alpha", "seedVolatility"],
  assetRisk: ["referenceVolatility", "ltvK", "thresholdK", "maxLtvCut", "maxThresholdCut"],
} as const;
const TRIGGER_KEYS = STRUCT_FIELDS.triggers;

function readOracle(s: Section, local: boolean): OracleParameters {
  return {
    feed: local ? undefined : s.address("feed"),
    heartbeat: s.bigint("heartbeat"),
    secondaryFeed: s.address("secondaryFeed", PARAMETER_DEFAULTS.secondaryFeed),
    secondaryHeartbeat: s.bigint("secondaryHeartbeat", PARAMETER_DEFAULTS.secondaryHeartbeat),
    minPrice: s.bigint("minPrice"),
    maxPrice: s.bigint("maxPrice"),
    maxDeviation: s.bigint("maxDeviation"),
    maxJump: s.bigint("maxJump"),
    jumpWindow: s.bigint("jumpWindow"),
  };
}

/**
 * Parses a parameter file's text. A file with a `LocalDependencies` section is for a local chain: its token and feed
 * addresses come from that module, so the file must not give them; any other file must.
 */
export function parseParameters(text: string, source = "parameters"): DeploymentParameters {
  const raw: unknown = JSON.parse(text, bigintReviver);
  if (!isObject(raw)) throw new Error(`${source}: expected a JSON object`);
  const file = new Section(source, raw);
  const local = file.has(MODULE_IDS.local);

  let localPrices: Record<string, bigint> | undefined;
  if (local) {
    const s = file.section(MODULE_IDS.local);
    localPrices = {};
    for (const symbol of [BASE_SYMBOL, ...COLLATERAL_SYMBOLS]) localPrices[symbol] = s.bigint(`${symbol}Price`);
    s.done();
  }

  const g = file.section(MODULE_IDS.governance);
  const governance: GovernanceParameters = {
    minDelay: g.bigint("minDelay", PARAMETER_DEFAULTS.minDelay),
    proposer: g.address("proposer"),
    executor: g.address("executor"),
    guardian: g.address("guardian"),
    securityOps: g.section("securityOps").bigints(["scanSize", "maxLiquidations", "pokeInterval", "minDebt"]),
    backstop: {
      name: g.string("backstopName"),
      symbol: g.string("backstopSymbol"),
      cooldown: g.bigint("backstopCooldown"),
      window: g.bigint("backstopWindow"),
      incomeShare: g.bigint("backstopIncomeShare"),
    },
    allocator: { agent: g.address("allocatorAgent"), minIdleShare: g.bigint("allocatorMinIdleShare") },
  };
  g.done();

  const c = file.section(MODULE_IDS.core);
  const core: CoreParameters = {
    baseToken: local ? undefined : c.address("baseToken"),
    vaultName: c.string("vaultName"),
    vaultSymbol: c.string("vaultSymbol"),
    reserveFactor: c.bigint("reserveFactor"),
    borrowCap: c.bigint("borrowCap"),
    baseApr: c.bigint("baseApr"),
    slope1Apr: c.bigint("slope1Apr"),
    slope2Apr: c.bigint("slope2Apr"),
    kink: c.bigint("kink"),
    sequencerFeed: c.address("sequencerFeed", PARAMETER_DEFAULTS.sequencerFeed),
    sequencerGrace: c.bigint("sequencerGrace", PARAMETER_DEFAULTS.sequencerGrace),
    stalenessGrace: c.bigint("stalenessGrace"),
    engineParams: c.section("engineParams").bigints(STRUCT_FIELDS.engine),
    breakerParams: c.section("breakerParams").bigints(STRUCT_FIELDS.breaker),
    defaultTriggers: c.section("defaultTriggers").bigints(TRIGGER_KEYS),
    riskParams: c.section("riskParams").bigints(STRUCT_FIELDS.risk),
  };
  c.done();

  const b = file.section(MODULE_IDS.base);
  const base: BaseAssetParameters = {
    oracle: readOracle(b, local),
    triggers: b.section("triggers").bigints(TRIGGER_KEYS),
  };
  b.done();

  const collaterals: Record<string, CollateralParameters> = {};
  for (const symbol of COLLATERAL_SYMBOLS) {
    const s = file.section(collateralModuleId(symbol));
    collaterals[symbol] = {
      token: local ? undefined : s.address("token"),
      oracle: readOracle(s, local),
      triggers: s.section("triggers").bigints(TRIGGER_KEYS),
      collateral: s.section("collateral").bigints(STRUCT_FIELDS.collateral),
      tracking: s.section("tracking").bigints(STRUCT_FIELDS.tracking),
      risk: s.section("risk").bigints(STRUCT_FIELDS.assetRisk),
    };
    s.done();
  }
  file.done();
  return { governance, core, base, collaterals, localPrices };
}

/** Reads and parses a parameter file. */
export function loadParameters(path: string): DeploymentParameters {
  return parseParameters(readFileSync(path, "utf8"), path);
}
