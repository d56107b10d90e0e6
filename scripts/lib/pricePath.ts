import { readFileSync } from "node:fs";

/** One point of a price path: unix seconds and a USD price as a WAD (1e18 = $1). */
export interface PricePoint {
  timestamp: number;
  priceWad: bigint;
}

/** Thrown for a price file that cannot be used; the message names the file and, for content errors, the line. */
export class PricePathError extends Error {}

/**
 * Reads a price path CSV: a `timestamp,price` header, then at least two rows, one per point, with unix seconds and a
 * positive decimal USD price (at most 18 decimals; exponent notation such as `8e-05`, as exchange dumps write tiny
 * prices, is read exactly), timestamps strictly increasing and at most MAX_GAP_SECONDS apart. Milliseconds, the most
 * common export mistake, are refused with the fix. Blank lines are ignored.
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

/** Largest gap between two rows: a week. The replay steps row by row, so a longer gap is a hole in the data. */
export const MAX_GAP_SECONDS = 7 * 24 * 3600;
/** Unix seconds above this (the year 5138) are milliseconds written by mistake. */
const MAX_SECONDS = 99_999_999_999;

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
    // Annotated so that TypeScript narrows after a call (a `never` arrow alone does not).
    const fail: (why: string) => never = (why) => {
      throw new PricePathError(`${name}:${i + 1}: ${why}: "${line}"`);
    };
    const cells = line.split(",");
    if (cells.length !== 2) fail("expected two columns, timestamp and price");
    const [ts, price] = cells.map((c) => c.trim());
    if (!/^\d+$/.test(ts)) fail("timestamp is not a whole number of unix seconds");
    const priceWad = decimalToWad(price);
    if (priceWad === undefined && /^-\s*[\d.]/.test(price)) {
      fail("price is negative: prices are USD per token, above zero (check the column and its sign)");
    }
    if (priceWad === undefined) fail("price is not a positive decimal");
    if (priceWad === null) fail("price has more than 18 decimals");
    const timestamp = Number(ts);
    if (timestamp > MAX_SECONDS) {
      fail(
        `timestamp looks like milliseconds, not unix seconds (divide the column by 1000: ${Math.floor(timestamp / 1000)})`,
      );
    }
    if (priceWad === 0n)
      fail("price is zero: prices are USD per token, above zero (drop the row, or fill it from its neighbours)");
    const previous = points.at(-1);
    if (previous !== undefined && timestamp <= previous.timestamp) {
      fail(
        `timestamp ${timestamp} is not after the row before (${previous.timestamp}): sort the rows by time and drop repeated ones`,
      );
    }
    if (previous !== undefined && timestamp - previous.timestamp > MAX_GAP_SECONDS) {
      const gap = timestamp - previous.timestamp;
      fail(
        `${gap} s (${(gap / 86_400).toFixed(2)} days) after the row before, more than a week (a hole in the data: fill it or split the path)`,
      );
    }
    points.push({ timestamp, priceWad });
  }
  if (points.length === 0) throw new PricePathError(`${name}: no price rows after the header`);
  if (points.length === 1) {
    throw new PricePathError(`${name}: one price row; a path needs at least two (a start and where it goes)`);
  }
  return points;
}

/**
 * A decimal (`12.5`, `.5`, `8e-05`, `1.2E3`) as a WAD, exactly (no floating point): undefined when it is not a plain
 * non-negative decimal, null when it has more than 18 decimals.
 */
export function decimalToWad(text: string): bigint | null | undefined {
  const match = /^(\d*)(?:\.(\d*))?(?:[eE]([-+]?\d{1,2}))?$/.exec(text);
  if (match === null) return undefined;
  const [, whole, fraction = "", exponent = "0"] = match;
  if ((whole === "" && fraction === "") || Math.abs(Number(exponent)) > 30) return undefined;
  const digits = BigInt(`${whole}${fraction}` || "0");
  const scale = 18 + Number(exponent) - fraction.length;
  if (scale >= 0) return digits * 10n ** BigInt(scale);
  const unit = 10n ** BigInt(-scale);
  return digits % unit === 0n ? digits / unit : null;
}
