/**
 * The Monte Carlo's parameter settings (issue 22, item 3): what `--sweep NAME=FROM:TO:STEP` may vary, how a setting
 * changes the simulated market, and the borrowing power it gives the population. Pure (no chain).
 *
 * - `threshold`: every collateral's liquidation threshold, with its borrow LTV moved by as much (each keeps its
 *   listed buffer: WETH 0.85/0.80 → at 0.75, 0.75/0.70). Morpho's LLTV is the threshold, so a Morpho run moves too.
 * - `bonus`: every collateral's maximum liquidation bonus (Bulwark only: Morpho's incentive follows its LLTV).
 * - `targetHealth`: the health a partial liquidation restores (Bulwark only).
 */
import { planPopulation } from "../sim/population.js";
import { COLLATERAL_ASSETS, DEFAULT_COLLATERALS, type AssetSpec } from "../sim/scenarios.js";
import { DEFAULT_ENGINE_PARAMS } from "../testMarket.js";
import { wad } from "../units.js";

/** A parameter the sweep can vary. */
export type SweepName = "threshold" | "bonus" | "targetHealth";

export const SWEEP_NAMES: readonly SweepName[] = ["threshold", "bonus", "targetHealth"];

/** One setting: the swept parameters' values (none: the listed parameters). */
export type Setting = Partial<Record<SweepName, number>>;

/** Bounds each swept value must lie within (inclusive): what the contracts accept, with room for the buffers. */
export const SWEEP_BOUNDS: Readonly<Record<SweepName, readonly [number, number]>> = {
  threshold: [0.5, 0.95],
  bonus: [0.01, 0.2],
  targetHealth: [1.01, 1.5],
};

/** The collaterals of the Monte Carlo's market (its default ones) with `setting` applied. */
export function collateralSpecs(setting: Setting): AssetSpec[] {
  return COLLATERAL_ASSETS.filter((spec) => (DEFAULT_COLLATERALS as readonly string[]).includes(spec.symbol)).map(
    (spec) => {
      const c = spec.collateral;
      if (c === undefined) return spec;
      const threshold = setting.threshold ?? c.liquidationThreshold;
      return {
        ...spec,
        collateral: {
          borrowLtv: round6(threshold - (c.liquidationThreshold - c.borrowLtv)),
          liquidationThreshold: round6(threshold),
          liquidationBonus: round6(setting.bonus ?? c.liquidationBonus),
        },
      };
    },
  );
}

/** The liquidation policy for `setting`: the shipped one with its target health replaced when swept. */
export function engineParamsFor(setting: Setting): typeof DEFAULT_ENGINE_PARAMS {
  if (setting.targetHealth === undefined) return DEFAULT_ENGINE_PARAMS;
  return { ...DEFAULT_ENGINE_PARAMS, targetHealth: wad(setting.targetHealth.toFixed(6)) };
}

/**
 * Borrowing power of the population under `setting`: Σ borrow limits / Σ collateral value at the start (the share
 * of its collateral's value the market lets a borrower take), and what the population actually borrows, USD.
 */
export function borrowingPower(
  setting: Setting,
  accounts: number,
  seed: string,
): { power: number; borrowsUsd: number } {
  const specs = collateralSpecs(setting);
  // The draw buildMarket makes (marketPopulation) over these collaterals at their starting prices.
  const positions = planPopulation(
    accounts,
    seed,
    specs.map((spec) => ({
      symbol: spec.symbol,
      price: spec.defaultPrice,
      borrowLtv: spec.collateral?.borrowLtv ?? 0,
    })),
  );
  let limit = 0;
  let value = 0;
  let borrows = 0;
  for (const position of positions) {
    for (const spec of specs) {
      const usd = position.collateralUsd[spec.symbol] ?? 0;
      value += usd;
      limit += usd * (spec.collateral?.borrowLtv ?? 0);
    }
    borrows += position.borrowUsd;
  }
  return { power: value === 0 ? 0 : limit / value, borrowsUsd: borrows };
}

/** A setting's label: "listed parameters" or "threshold=0.8 bonus=0.05". */
export function settingLabel(setting: Setting): string {
  const parts = SWEEP_NAMES.filter((name) => setting[name] !== undefined).map((name) => `${name}=${setting[name]}`);
  return parts.length === 0 ? "listed parameters" : parts.join(" ");
}

/** Every combination of the swept values (the first sweep varies slowest); one empty setting without a sweep. */
export function settingGrid(sweeps: readonly { name: SweepName; values: readonly number[] }[]): Setting[] {
  let grid: Setting[] = [{}];
  for (const sweep of sweeps)
    grid = grid.flatMap((setting) => sweep.values.map((v) => ({ ...setting, [sweep.name]: v })));
  return grid;
}

const round6 = (x: number): number => Math.round(x * 1e6) / 1e6;
