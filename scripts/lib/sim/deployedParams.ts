/**
 * The risk parameters a simulated market was deployed with, read back from its contracts before the replay (not
 * from the scripts that set them), for report.json: `--compare` shows what changed between two reports. One flat map
 * per run, "scope.field" → value, with WAD figures as plain numbers (0.8 for 80%, 1.05 for a health of 1.05), durations
 * in seconds and USD values in dollars.
 */
import { formatUnits } from "ethers";

import { STRUCT_FIELDS } from "../deployment.js";
import { unitOf } from "../readbackFormat.js";
import type { SimMarket } from "./simMarket.js";
import type { SimMorphoMarket } from "./morphoMarket.js";

/** "scope.field" → value, e.g. "WETH.liquidationThreshold" → 0.85, "engine.timeRamp" → 1800. */
export type DeployedParameters = Record<string, number>;

/** A WAD figure as a plain number (exact to 18 decimals as text, then parsed). */
const fromWad = (value: bigint): number => Number(formatUnits(value, 18));

/** WAD fields: those read-back shows as a percentage, a factor or a USD value. */
const isWad = (field: string): boolean => ["percent", "ratio", "usd"].includes(unitOf(field)?.kind ?? "");

/** Adds each of `fields` of `struct` under `scope`: WAD fields (isWad) as numbers, the rest as integers. */
function add(out: DeployedParameters, scope: string, struct: object, fields: readonly string[]): void {
  const values = struct as Readonly<Record<string, unknown>>;
  for (const field of fields) {
    const value = values[field];
    if (typeof value !== "bigint" && typeof value !== "number") throw new Error(`${scope}.${field}: no such field`);
    out[`${scope}.${field}`] = isWad(field) ? fromWad(BigInt(value)) : Number(value);
  }
}

const { engine: ENGINE, breaker: BREAKER, risk: RISK, triggers: TRIGGERS, assetRisk: ASSET_RISK } = STRUCT_FIELDS;
const ORACLE = ["minPrice", "maxPrice", "maxDeviation", "maxJump", "jumpWindow"];
const COLLATERAL = STRUCT_FIELDS.collateral.filter((field) => field !== "supplyCap");

/** Bulwark's parameters as its contracts hold them: engine, breaker, and per asset vault, oracle, breaker, risk. */
export async function bulwarkParameters(market: SimMarket): Promise<DeployedParameters> {
  const out: DeployedParameters = {};
  const { vault, lens, engine, breaker, adapter, riskManager } = market;
  add(out, "engine", await engine.params(), ENGINE);
  add(out, "breaker", await breaker.params(), BREAKER);
  if (riskManager !== undefined) add(out, "risk", await riskManager.params(), RISK);
  for (const asset of [market.base, ...market.collaterals]) {
    const symbol = asset.spec.symbol;
    const oracle = await adapter.assetConfig(asset.address);
    out[`${symbol}.oracle.heartbeat`] = Number(oracle.primary.heartbeat);
    add(out, `${symbol}.oracle`, oracle, ORACLE);
    add(out, `${symbol}.breaker`, await breaker.assetParams(asset.address), TRIGGERS);
    if (asset === market.base) continue;
    const [config] = await lens.collateralInfo(vault, asset.address);
    add(out, symbol, config, COLLATERAL);
    if (riskManager !== undefined) add(out, `${symbol}.risk`, await riskManager.assetRisk(asset.address), ASSET_RISK);
  }
  return out;
}

/** Morpho Blue's parameters per market: LLTV and the liquidation incentive factor its LLTV implies. */
export function morphoParameters(market: SimMorphoMarket): DeployedParameters {
  const out: DeployedParameters = {};
  for (const entry of market.markets) {
    out[`${entry.asset.spec.symbol}.lltv`] = fromWad(entry.lltv);
    out[`${entry.asset.spec.symbol}.liquidationIncentiveFactor`] = fromWad(entry.lif);
  }
  return out;
}
