/**
 * The crash simulation's figures as text, for report.html (html.ts) and the terminal summary (report.ts): HTML
 * escaping, and numbers, USD, percentages, durations and UTC times in one format everywhere.
 */

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

const numberFormats = new Map<number, Intl.NumberFormat>();
/** `value` with thousands separators and exactly `decimals` decimals. */
export function formatNumber(value: number, decimals: number): string {
  let format = numberFormats.get(decimals);
  if (format === undefined) {
    format = new Intl.NumberFormat("en-US", { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
    numberFormats.set(decimals, format);
  }
  return format.format(value);
}

/** USD with thousands separators and cents: "$1,234,567.89". */
export function formatUsd(value: number): string {
  return value < 0 ? `-$${formatNumber(-value, 2)}` : `$${formatNumber(value, 2)}`;
}

/** A value already in percent, 2 decimals: "12.34%". */
export function formatPct(percent: number): string {
  return `${formatNumber(percent, 2)}%`;
}

/** Seconds as h:mm ("27:05"). */
export function formatDuration(seconds: number): string {
  const minutes = Math.round(seconds / 60);
  return `${Math.floor(minutes / 60)}:${String(minutes % 60).padStart(2, "0")}`;
}

/** Unix seconds as "2020-03-12 10:00 UTC". */
export function formatUtc(timestamp: number): string {
  const date = new Date(timestamp * 1000);
  return Number.isNaN(date.getTime()) ? String(timestamp) : `${date.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/** The commit a report came from: "0123456789" (its first ten digits), "… (uncommitted changes)", or "—" unknown. */
export function formatCommit(commit: { sha: string; dirty: boolean } | null | undefined): string {
  if (commit === undefined || commit === null) return "—";
  return `${commit.sha.slice(0, 10)}${commit.dirty ? " (uncommitted changes)" : ""}`;
}
