/**
 * The console's history: an embedded SQLite database (Node's own `node:sqlite`, no native package) holding the
 * timeline's entries, the alerts, a point of the market's series per block read, the monitor's open episodes and the
 * follower's cursor, so a restart loses nothing and the page can show the last days. One database follows one
 * deployment: it records the chain id and the vault, and refuses another.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";

import type { Episode, EpisodeStore } from "./rules.js";
import { jsonSafe, type Alert, type ChainView, type TimelineEntry } from "./types.js";

/** One point of the market's series (the page's charts). */
export interface SeriesPoint {
  block: number;
  timestamp: number;
  sharePrice: number;
  utilisation: number;
  totalAssets: number;
  totalBorrows: number;
  badDebt: number;
  reserves: number;
  borrowApr: number;
  /** Accounts below health 1, and below 1.1. */
  unhealthy: number;
  nearLiquidation: number;
  /** Breaker entries above NONE. */
  tripped: number;
  /** Oracles not OK. */
  doubted: number;
}

export const seriesPoint = (view: ChainView): SeriesPoint => ({
  block: view.block,
  timestamp: view.timestamp,
  sharePrice: view.market.sharePrice,
  utilisation: view.market.utilisation,
  totalAssets: view.market.totalAssets,
  totalBorrows: view.market.totalBorrows,
  badDebt: view.market.badDebt,
  reserves: view.market.reserves,
  borrowApr: view.market.borrowApr,
  unhealthy: view.accounts.distribution[0]?.count ?? 0,
  nearLiquidation: view.accounts.distribution.slice(0, 3).reduce((sum, b) => sum + b.count, 0),
  tripped: view.defences.breakers.filter((b) => b.level !== "NONE").length,
  doubted: view.defences.oracles.filter((o) => o.status !== "OK").length,
});

/** The deployment a database follows. */
export interface StoreIdentity {
  chainId: number;
  vault: string;
}

/** A database of another deployment (or not a console's). */
export class StoreMismatch extends Error {}

export class HistoryStore implements EpisodeStore {
  private readonly db: DatabaseSync;

  /** Opens (creating) the database at `file` (":memory:" for none on disk). */
  readonly file: string;

  constructor(file: string) {
    this.file = file;
    if (file !== ":memory:") mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    this.db = new DatabaseSync(file);
    this.db.exec(`
      PRAGMA journal_mode = WAL;
      PRAGMA synchronous = NORMAL;
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS entries (id TEXT PRIMARY KEY, block INTEGER NOT NULL, log_index INTEGER NOT NULL,
        timestamp INTEGER NOT NULL, recorded_at INTEGER NOT NULL, json TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS alerts (key TEXT PRIMARY KEY, id TEXT NOT NULL, block INTEGER NOT NULL,
        raised_at INTEGER NOT NULL, json TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS alerts_raised ON alerts (raised_at);
      CREATE TABLE IF NOT EXISTS series (block INTEGER PRIMARY KEY, timestamp INTEGER NOT NULL,
        recorded_at INTEGER NOT NULL, json TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS episodes (key TEXT PRIMARY KEY, json TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS outbox (alert TEXT NOT NULL, url TEXT NOT NULL, json TEXT NOT NULL,
        queued_at INTEGER NOT NULL, PRIMARY KEY (alert, url));
    `);
    // Databases of earlier versions: the columns added since.
    this.addColumn("entries", "log_index", "INTEGER NOT NULL DEFAULT 0");
    this.addColumn("outbox", "queued_at", `INTEGER NOT NULL DEFAULT ${Date.now()}`);
    this.db.exec("CREATE INDEX IF NOT EXISTS entries_block ON entries (block, log_index)");
  }

  /** Adds `column` to `table` when an older database lacks it. */
  private addColumn(table: string, column: string, definition: string): void {
    const columns = this.db.prepare(`PRAGMA table_info(${table})`).all() as Array<{ name: string }>;
    if (!columns.some((c) => c.name === column))
      this.db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${definition}`);
  }

  /** Binds an empty database to `identity`; throws StoreMismatch when it follows another deployment. */
  bind(identity: StoreIdentity): void {
    const chainId = this.meta("chainId");
    const vault = this.meta("vault");
    if (chainId === undefined && vault === undefined) {
      this.setMeta("chainId", String(identity.chainId));
      this.setMeta("vault", identity.vault.toLowerCase());
      return;
    }
    if (chainId !== String(identity.chainId) || vault !== identity.vault.toLowerCase()) {
      throw new StoreMismatch(
        `the history database ${this.file} follows chain ${chainId} vault ${vault}, not chain ${identity.chainId} vault ` +
          `${identity.vault}: give another --db, or delete it to start over`,
      );
    }
  }

  meta(key: string): string | undefined {
    const row = this.db.prepare("SELECT value FROM meta WHERE key = ?").get(key) as { value: string } | undefined;
    return row?.value;
  }

  setMeta(key: string, value: string): void {
    this.db
      .prepare("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
      .run(key, value);
  }

  /** The last block whose events are stored (undefined: none yet). */
  cursor(): number | undefined {
    const value = this.meta("cursor");
    return value === undefined ? undefined : Number(value);
  }

  /**
   * Stores one step atomically: the entries, the alerts `evaluate` raises (run inside the same transaction, so the
   * monitor's episodes change with them or not at all) that were not raised before (by key), the series point, the
   * cursor and the reader's memory. Returns the alerts that are new (the others were raised before a restart).
   */
  record(
    step: {
      entries: readonly TimelineEntry[];
      view: ChainView | undefined;
      cursor: number;
      /** The cursor block's hash: the next step checks the chain still has it (a reorg otherwise). */
      cursorHash: string;
      memory: string;
      /** Webhook URLs each new alert is queued for (the outbox), in the same transaction. */
      webhooks?: readonly string[];
    },
    evaluate: () => Alert[],
  ): Alert[] {
    const now = Date.now();
    const fresh: Alert[] = [];
    this.db.exec("BEGIN");
    try {
      const alerts = evaluate();
      const entry = this.db.prepare(
        "INSERT OR REPLACE INTO entries (id, block, log_index, timestamp, recorded_at, json) VALUES (?, ?, ?, ?, ?, ?)",
      );
      for (const e of step.entries) entry.run(e.id, e.block, e.logIndex, e.timestamp, now, JSON.stringify(e, jsonSafe));
      const alert = this.db.prepare(
        "INSERT OR IGNORE INTO alerts (key, id, block, raised_at, json) VALUES (?, ?, ?, ?, ?)",
      );
      const outbox = this.db.prepare("INSERT OR IGNORE INTO outbox (alert, url, json, queued_at) VALUES (?, ?, ?, ?)");
      for (const a of alerts) {
        if (Number(alert.run(a.key, a.id, a.block, a.raisedAt, JSON.stringify(a)).changes) === 0) continue;
        fresh.push(a);
        for (const url of step.webhooks ?? []) outbox.run(a.key, url, JSON.stringify(a), now);
      }
      if (step.view !== undefined) {
        this.db
          .prepare("INSERT OR REPLACE INTO series (block, timestamp, recorded_at, json) VALUES (?, ?, ?, ?)")
          .run(step.view.block, step.view.timestamp, now, JSON.stringify(seriesPoint(step.view), jsonSafe));
        this.setMeta("view", JSON.stringify(step.view, jsonSafe));
      }
      this.setMeta("cursor", String(step.cursor));
      this.setMeta("cursorHash", step.cursorHash);
      this.setMeta("memory", step.memory);
      this.db.exec("COMMIT");
    } catch (error) {
      this.db.exec("ROLLBACK");
      throw error;
    }
    return fresh;
  }

  /**
   * Goes back to `block` after a reorg: the cursor there, and the entries and series points of later blocks
   * deleted (they are read again from the chain as it is now). Alerts stay: they were said.
   */
  rewind(block: number, hash: string, memory: string): void {
    this.db.exec("BEGIN");
    try {
      this.db.prepare("DELETE FROM entries WHERE block > ?").run(block);
      this.db.prepare("DELETE FROM series WHERE block > ?").run(block);
      this.setMeta("cursor", String(block));
      this.setMeta("cursorHash", hash);
      this.setMeta("memory", memory);
      this.db.exec("COMMIT");
    } catch (error) {
      this.db.exec("ROLLBACK");
      throw error;
    }
  }

  /** Timeline entries of blocks after `block` (a rewind re-reads the accounts they named). */
  entriesAfter(block: number): TimelineEntry[] {
    return (this.db.prepare("SELECT json FROM entries WHERE block > ?").all(block) as Array<{ json: string }>).map(
      (r) => JSON.parse(r.json) as TimelineEntry,
    );
  }

  /** Deliveries not done yet (queued by `record`, removed by `delivered`): after a restart they are sent again. */
  pendingDeliveries(): Array<{ url: string; alert: Alert }> {
    return (
      this.db.prepare("SELECT url, json FROM outbox ORDER BY rowid").all() as Array<{ url: string; json: string }>
    ).map((r) => ({ url: r.url, alert: JSON.parse(r.json) as Alert }));
  }

  /** A delivery is over (delivered, or given up on): it leaves the outbox. */
  delivered(alertKey: string, url: string): void {
    this.db.prepare("DELETE FROM outbox WHERE alert = ? AND url = ?").run(alertKey, url);
  }

  /** The last view stored (what the page shows before the first read after a restart). */
  lastView(): ChainView | undefined {
    const text = this.meta("view");
    return text === undefined ? undefined : (JSON.parse(text) as ChainView);
  }

  /** History recorded in the last `hours` (wall clock), oldest first; at most `limit` rows of each kind. */
  history(hours: number, limit = 20_000): { series: SeriesPoint[]; entries: TimelineEntry[]; alerts: Alert[] } {
    const since = Date.now() - hours * 3_600_000;
    const rows = (sql: string): string[] =>
      (this.db.prepare(sql).all(since, limit) as Array<{ json: string }>).map((r) => r.json).reverse();
    return {
      series: rows("SELECT json FROM series WHERE recorded_at >= ? ORDER BY block DESC LIMIT ?").map(
        (t) => JSON.parse(t) as SeriesPoint,
      ),
      entries: rows("SELECT json FROM entries WHERE recorded_at >= ? ORDER BY block DESC, log_index DESC LIMIT ?").map(
        (t) => JSON.parse(t) as TimelineEntry,
      ),
      alerts: rows("SELECT json FROM alerts WHERE raised_at >= ? ORDER BY raised_at DESC LIMIT ?").map(
        (t) => JSON.parse(t) as Alert,
      ),
    };
  }

  /** Deletes rows recorded more than `days` ago; returns how many. */
  prune(days: number): number {
    const before = Date.now() - days * 86_400_000;
    let removed = 0;
    for (const [table, column] of [
      ["entries", "recorded_at"],
      ["alerts", "raised_at"],
      ["series", "recorded_at"],
      ["outbox", "queued_at"],
    ] as const) {
      removed += Number(this.db.prepare(`DELETE FROM ${table} WHERE ${column} < ?`).run(before).changes);
    }
    return removed;
  }

  episodes(): Episode[] {
    return (this.db.prepare("SELECT json FROM episodes").all() as Array<{ json: string }>).map(
      (r) => JSON.parse(r.json) as Episode,
    );
  }

  saveEpisode(episode: Episode): void {
    this.db
      .prepare("INSERT OR REPLACE INTO episodes (key, json) VALUES (?, ?)")
      .run(episode.key, JSON.stringify(episode));
  }

  deleteEpisode(key: string): void {
    this.db.prepare("DELETE FROM episodes WHERE key = ?").run(key);
  }

  close(): void {
    this.db.close();
  }
}
