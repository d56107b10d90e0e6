/**
 * The keeper's structured log: one JSON object per line, `{"t": ISO time, "level", "event", ...fields}`. Bigints are
 * written as decimal strings (JSON has no integers that large).
 */

export type LogLevel = "debug" | "info" | "warn" | "error";

/** A field value: what the keeper logs (addresses, hashes, amounts, counts, flags, lists and maps of them). */
export type LogValue = string | number | bigint | boolean | null | undefined | readonly LogValue[] | LogFields;
export interface LogFields {
  readonly [key: string]: LogValue;
}

/** One log record, before it is written. */
export interface LogRecord {
  t: string;
  level: LogLevel;
  event: string;
  fields: LogFields;
}

/** Where records go. */
export type LogSink = (record: LogRecord) => void;

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** Turns a field value into plain JSON (bigints as strings, undefined dropped). */
function plain(value: LogValue): unknown {
  if (typeof value === "bigint") return value.toString();
  if (Array.isArray(value)) return (value as readonly LogValue[]).map(plain);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value as LogFields)) if (inner !== undefined) out[key] = plain(inner);
    return out;
  }
  return value;
}

/** The record as one line of JSON: `t`, `level` and `event` first, then the fields. */
export function formatRecord(record: LogRecord): string {
  const fields = plain(record.fields) as Record<string, unknown>;
  return JSON.stringify({ t: record.t, level: record.level, event: record.event, ...fields });
}

/** Writes each record as a JSON line to `write` (stdout by default). */
export const jsonLineSink =
  (write: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): LogSink =>
  (record) =>
    write(formatRecord(record));

/** Writes records at `minLevel` and above to `sink`. (No parameter properties: Node's type stripping refuses them.) */
export class Logger {
  private readonly sink: LogSink;
  private readonly minLevel: LogLevel;
  private readonly now: () => Date;

  constructor(sink: LogSink = jsonLineSink(), minLevel: LogLevel = "info", now: () => Date = () => new Date()) {
    this.sink = sink;
    this.minLevel = minLevel;
    this.now = now;
  }

  log(level: LogLevel, event: string, fields: LogFields = {}): void {
    if (RANK[level] < RANK[this.minLevel]) return;
    this.sink({ t: this.now().toISOString(), level, event, fields });
  }

  debug(event: string, fields?: LogFields): void {
    this.log("debug", event, fields);
  }
  info(event: string, fields?: LogFields): void {
    this.log("info", event, fields);
  }
  warn(event: string, fields?: LogFields): void {
    this.log("warn", event, fields);
  }
  error(event: string, fields?: LogFields): void {
    this.log("error", event, fields);
  }
}

/** A logger that keeps its records in memory (tests), at every level. */
export function memoryLogger(): { logger: Logger; records: LogRecord[] } {
  const records: LogRecord[] = [];
  return { logger: new Logger((record) => records.push(record), "debug"), records };
}
