/**
 * The simulation's timeline: the price paths of several assets merged onto one sequence of steps (the union of their
 * timestamps). At each step every asset has a price: its latest point at or before the step, or its first point
 * before its path starts (nothing is interpolated). An asset without a path keeps its starting price.
 */
import { formatUnits } from "ethers";

import type { PricePoint } from "../pricePath.js";

/** One step: a time and every asset's price (USD, as WAD and as a float for the report). */
export interface Step {
  timestamp: number;
  priceWad: Record<string, bigint>;
}

/** Merges `paths` (by symbol) onto the union of their timestamps; `fixed` assets hold one price throughout. */
export function mergePaths(
  paths: ReadonlyMap<string, readonly PricePoint[]>,
  fixed: ReadonlyMap<string, bigint>,
): Step[] {
  if (paths.size === 0) throw new Error("no price path given");
  const times = [...new Set([...paths.values()].flatMap((points) => points.map((p) => p.timestamp)))].sort(
    (a, b) => a - b,
  );
  const cursor = new Map<string, number>([...paths.keys()].map((symbol) => [symbol, 0]));
  const steps: Step[] = [];
  for (const timestamp of times) {
    const priceWad: Record<string, bigint> = {};
    for (const [symbol, wad] of fixed) priceWad[symbol] = wad;
    for (const [symbol, points] of paths) {
      let i = cursor.get(symbol) ?? 0;
      while (i + 1 < points.length && points[i + 1].timestamp <= timestamp) i++;
      cursor.set(symbol, i);
      priceWad[symbol] = points[i].priceWad;
    }
    steps.push({ timestamp, priceWad });
  }
  return steps;
}

/** A WAD as a float (for series and charts only; never for accounting). */
export const toFloat = (wad: bigint, decimals = 18): number => Number(formatUnits(wad, decimals));
