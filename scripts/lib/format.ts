import { formatUnits } from "ethers";

/** Inserts thousands separators into a string of digits. */
const group = (digits: string): string => digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");

/**
 * Formats a fixed-point amount with thousands separators and exactly `shown` decimals, truncated toward zero
 * (a figure never reads larger than it is): `formatAmount(1234567890n, 6, 2)` is "1,234.56".
 */
export function formatAmount(value: bigint, decimals: number, shown = 2): string {
  const negative = value < 0n;
  const magnitude = negative ? -value : value;
  const places = Math.min(shown, decimals);
  const truncated = magnitude / 10n ** BigInt(decimals - places);
  const [whole, fraction = ""] = formatUnits(truncated, places).split(".");
  const tail = places > 0 ? `.${fraction.padEnd(places, "0").slice(0, places)}` : "";
  return `${negative ? "-" : ""}${group(whole)}${tail}`;
}

/** Formats a token amount in full precision, without trailing zeros: "1.25", "50", "0.000001". */
export function formatToken(value: bigint, decimals: number): string {
  const [whole, fraction = ""] = formatUnits(value, decimals).split(".");
  const trimmed = fraction.replace(/0+$/, "");
  return trimmed === "" ? group(whole) : `${group(whole)}.${trimmed}`;
}

/** A USD value held as WAD (1e18 = $1), to the cent: "$1,234.56". */
export const formatUsd = (valueWad: bigint): string => `$${formatAmount(valueWad, 18, 2)}`;

/** A WAD ratio as a plain decimal: `formatWad(1.2345e18, 3)` is "1.234". */
export const formatWad = (valueWad: bigint, shown = 3): string => formatAmount(valueWad, 18, shown);

/** A WAD ratio as a percentage: `formatPercent(0.8e18)` is "80.00%". */
export const formatPercent = (valueWad: bigint, shown = 2): string => `${formatAmount(valueWad * 100n, 18, shown)}%`;

/** Formats a whole number with thousands separators: "142,371". */
export const formatInteger = (value: number | bigint): string => group(value.toString());

/** Formats a gas figure with thousands separators: "142,371". */
export const formatGas = formatInteger;

export type Align = "left" | "right";

export interface Column {
  header: string;
  /** Numbers read best right-aligned; defaults to left. */
  align?: Align;
}

/** Display width of a string (code points, so "∞" and "—" count as one). */
const width = (text: string): number => [...text].length;

const pad = (text: string, size: number, align: Align): string => {
  const fill = " ".repeat(Math.max(0, size - width(text)));
  return align === "right" ? fill + text : text + fill;
};

/**
 * Renders rows under a header as aligned plain-text columns, separated by two spaces and indented by `indent`:
 *
 *     Account  Debt (USDC)
 *     -------  -----------
 *     Ana        36,000.00
 */
export function renderTable(columns: readonly Column[], rows: readonly (readonly string[])[], indent = "  "): string {
  for (const row of rows) {
    if (row.length !== columns.length) {
      throw new Error(`table row has ${row.length} cells, expected ${columns.length}: ${row.join(" | ")}`);
    }
  }
  const widths = columns.map((column, i) => Math.max(width(column.header), ...rows.map((row) => width(row[i]))));
  const line = (cells: readonly string[]): string =>
    indent +
    cells
      .map((cell, i) => pad(cell, widths[i], columns[i].align ?? "left"))
      .join("  ")
      .trimEnd();
  return [
    line(columns.map((column) => column.header)),
    line(widths.map((size) => "-".repeat(size))),
    ...rows.map((row) => line(row)),
  ].join("\n");
}

/** A phase heading, preceded by a blank line: "== 3. Borrowers open positions ==". */
export const heading = (text: string): string => `\n== ${text} ==`;
