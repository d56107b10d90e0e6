import { readFileSync } from "node:fs";

import { parseUnits } from "ethers";

/** One point of a price path: unix seconds and a USD price as a WAD (1e18 = $1). */
export interface PricePoint {
  timestamp: number;
  priceWad: bigint;
}

/** Thrown for a price file that cannot be used; the message names the file and, for content errors, the line. */
export class PricePathError extends Error {}

/**
 * Reads a price path CSV: a `timestamp,price` header, then one row per point with unix seconds and a positive
 * decimal USD price (at most 18 decimals), timestamps strictly increasing. Blank lines are ignored.
 */
export function readPricePath(file: string): PricePoint[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new PricePathError(code === "ENOENT" ? `${file}: no such file` : `${file}: cannot read (${code ?? error})`);
  }
  return parsePricePath(text, file);
}

/** Parses the text of a price path CSV (see `readPricePath`); `name` is used in error messages. */
export function parsePricePath(text: string, name: string): PricePoint[] {
  const lines = text.split(/\r?\n/);
  if (lines[0]?.trim().toLowerCase() !== "timestamp,price") {
    throw new PricePathError(`${name}:1: expected the header "timestamp,price", found "${lines[0] ?? ""}"`);
  }
  const points: PricePoint[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === "") continue;
    const fail = (why: string): never => {
      throw new PricePathError(`${name}:${i + 1}: ${why}: "${line}"`);
    };
    const cells = line.split(",");
    if (cells.length !== 2) fail("expected two columns, timestamp and price");
    const [ts, price] = cells.map((c) => c.trim());
    if (!/^\d+$/.test(ts)) fail("timestamp is not a whole number of unix seconds");
    if (!/^\d+(\.\d{1,18})?$/.test(price) && !/^\.\d{1,18}$/.test(price)) fail("price is not a positive decimal");
    const timestamp = Number(ts);
    const priceWad = parseUnits(price.startsWith(".") ? `0${price}` : price, 18);
    if (priceWad === 0n) fail("price is zero");
    const previous = points.at(-1);
    if (previous !== undefined && timestamp <= previous.timestamp) fail("timestamps must increase strictly");
    points.push({ timestamp, priceWad });
  }
  if (points.length === 0) throw new PricePathError(`${name}: no price rows after the header`);
  return points;
}
