/**
 * How `npm run readback` shows a value: in the unit it means (%, hours, USDC, $), addresses shortened and named.
 * The comparison itself is always on the raw values (scripts/lib/deploymentReadback.ts); `--json` prints those.
 */
import { getAddress, isAddress } from "ethers";

import { formatAmount, formatInteger } from "./format.js";

/** What a raw value means. WAD values are 1e18-scaled. */
export type Unit =
  | { kind: "percent" } // a WAD share: 1e17 → "10%"
  | { kind: "ratio" } // a WAD factor: 1.05e18 → "1.05"
  | { kind: "seconds" } // a duration: 172800 → "2 d"
  | { kind: "usd" } // a WAD USD value or price: 3e18 → "$3"
  | { kind: "amount"; decimals: number; symbol: string } // token units: 1e14 at 6 decimals → "100,000,000 USDC"
  | { kind: "count" };

/** The unit of each parameter field, by its name (the struct fields the read-back compares). */
export const FIELD_UNITS: Readonly<Record<string, Unit>> = Object.fromEntries([
  ...[
    "reserveFactor",
    "borrowLtv",
    "liquidationThreshold",
    "liquidationBonus",
    "baseApr",
    "slope1Apr",
    "slope2Apr",
    "kink",
    "maxDeviation",
    "maxJump",
    "minBonusShare",
    "protocolFeeShare",
    "resumeShare",
    "badDebtShare",
    "outflowShare",
    "maxFall",
    "reserveTarget",
    "reserveBoost",
    "alpha",
    "seedVolatility",
    "referenceVolatility",
    "maxLtvCut",
    "maxThresholdCut",
  ].map((field) => [field, { kind: "percent" }]),
  ...["targetHealth", "fullCloseHealth", "emergencyHealth", "healthRamp", "ltvK", "thresholdK"].map((field) => [
    field,
    { kind: "ratio" },
  ]),
  ...[
    "heartbeat",
    "secondaryHeartbeat",
    "jumpWindow",
    "stalenessGrace",
    "sequencerGrace",
    "timeRamp",
    "cooldown",
    "guardianCooldown",
    "claimDelay",
    "liquidationGrace",
    "outflowWindow",
    "fallWindow",
    "horizon",
    "minInterval",
    "minDelay",
    "getMinDelay",
    "pokeInterval",
  ].map((field) => [field, { kind: "seconds" }]),
  ...["minPrice", "maxPrice", "dustValue"].map((field) => [field, { kind: "usd" }]),
  ...["scanSize", "maxLiquidations"].map((field) => [field, { kind: "count" }]),
]);

/** The unit of a check named like "engine.params.targetHealth" or "rateModel.kink", if its last field has one. */
export function unitOf(check: string): Unit | undefined {
  const field = check.split(".").at(-1) ?? "";
  return FIELD_UNITS[field];
}

/** Trims a decimal's trailing zeros: "10.50" → "10.5", "3.00" → "3". */
const trim = (text: string): string => (text.includes(".") ? text.replace(/\.?0+$/, "") : text);

/** A duration in the largest unit that shows it exactly (or to a tenth): 172800 → "2 d", 5400 → "1.5 h". */
export function formatDuration(seconds: bigint): string {
  const units: Array<[bigint, string]> = [
    [86_400n, "d"],
    [3_600n, "h"],
    [60n, "min"],
  ];
  for (const [size, name] of units) {
    if (seconds >= size && (seconds * 10n) % size === 0n)
      return `${trim(formatAmount((seconds * 10n) / size, 1, 1))} ${name}`;
  }
  return `${formatInteger(seconds)} s`;
}

/** An address as 0x1234…abcd, with its name when known: "0x5FbD…0aa3 (timelock)". */
export function formatAddress(address: string, names: ReadonlyMap<string, string>): string {
  const checksummed = getAddress(address);
  if (checksummed === "0x0000000000000000000000000000000000000000") return "none (zero address)";
  const short = `${checksummed.slice(0, 6)}…${checksummed.slice(-4)}`;
  const name = names.get(checksummed);
  return name === undefined ? short : `${short} (${name})`;
}

/** `raw` (the read-back's normalised string) in `unit`; addresses named; anything else as it is. */
export function formatValue(raw: string, unit: Unit | undefined, names: ReadonlyMap<string, string>): string {
  if (raw.split(" ").every((word) => isAddress(word))) {
    return raw
      .split(" ")
      .map((word) => names.get(getAddress(word)) ?? formatAddress(word, names))
      .join(", ");
  }
  if (unit === undefined || !/^\d+$/.test(raw)) return raw;
  const value = BigInt(raw);
  switch (unit.kind) {
    case "percent":
      return `${trim(formatAmount(value * 100n, 18, 4))}%`;
    case "ratio":
      return trim(formatAmount(value, 18, 4));
    case "seconds":
      return formatDuration(value);
    case "usd":
      return `$${trim(formatAmount(value, 18, 4))}`;
    case "amount":
      return `${trim(formatAmount(value, unit.decimals, unit.decimals))} ${unit.symbol}`;
    case "count":
      return formatInteger(value);
  }
}

/** A check's name with the addresses in it shortened: "timelock.hasRole(PROPOSER_ROLE, 0x7099…79C8)". */
export function formatCheck(check: string, names: ReadonlyMap<string, string>): string {
  return check.replace(/0x[0-9a-fA-F]{40}/g, (address) => formatAddress(address, names));
}

/**
 * Expected and actual as shown: in their unit, and when the unit's rounding makes two different raw values look the
 * same (1.05 and 1.05005 at 4 decimals), with the raw values too, so a mismatch never reads as equal.
 */
export function formatPair(
  expected: string,
  actual: string,
  unit: Unit | undefined,
  names: ReadonlyMap<string, string>,
): [string, string] {
  const [e, a] = [formatValue(expected, unit, names), formatValue(actual, unit, names)];
  return expected !== actual && e === a ? [`${e} (${expected})`, `${a} (${actual})`] : [e, a];
}
