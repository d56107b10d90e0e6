/**
 * The console's web server, on 127.0.0.1 only: the page and its scripts (served from this package: the page's own
 * files and uPlot from node_modules, no CDN), the current state as JSON, the history, and a server-sent-events
 * stream that pushes each new view, timeline entry, alert and status change as it happens. Read-only: it serves GET
 * and HEAD and nothing else, holds no key, and sends a content security policy that allows only its own origin. It
 * answers only requests addressed to 127.0.0.1 or localhost at its own port (a web page that rebinds its DNS name to
 * 127.0.0.1 gets a 403), and drops a stream client that stops reading.
 */
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { seriesPoint, type HistoryStore } from "./store.js";
import { jsonSafe, type Alert, type ChainView, type FollowerStatus, type TimelineEntry } from "./types.js";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "..", "..", "..");

/** Files the page needs, by URL path: where each is, and its type. */
const STATIC: Record<string, { file: string; type: string }> = {
  "/": { file: path.join(HERE, "page", "index.html"), type: "text/html; charset=utf-8" },
  "/app.js": { file: path.join(HERE, "page", "app.js"), type: "text/javascript; charset=utf-8" },
  "/style.css": { file: path.join(HERE, "page", "style.css"), type: "text/css; charset=utf-8" },
  "/vendor/uPlot.iife.min.js": {
    file: path.join(ROOT, "node_modules", "uplot", "dist", "uPlot.iife.min.js"),
    type: "text/javascript; charset=utf-8",
  },
  "/vendor/uPlot.min.css": {
    file: path.join(ROOT, "node_modules", "uplot", "dist", "uPlot.min.css"),
    type: "text/css; charset=utf-8",
  },
};

/** Event-stream clients at most, and what one may leave unread before it is dropped. */
const MAX_CLIENTS = 64;
const MAX_BUFFERED = 4 * 1024 * 1024;

/** What the page gets first (`/api/state`) and on each reconnection of its event stream. */
export interface ConsoleState {
  mode: "rpc" | "demo";
  status: FollowerStatus;
  /** Problems a user must fix that do not stop the console (a malformed rules file), shown on the page. */
  problems: string[];
  view: ChainView | null;
  rules: Array<{ id: string; type: string; severity: string }>;
  idleRules: Array<{ rule: string; why: string }>;
  demo: { phase: string; scenario: string } | null;
}

export class ConsoleServer {
  private readonly server: Server;
  private readonly clients = new Set<ServerResponse>();
  private readonly heartbeat: NodeJS.Timeout;
  private readonly files = new Map<string, Buffer>();
  /** The Host headers it answers (set by `listen`). */
  private hosts = new Set<string>();

  readonly state: ConsoleState;
  private readonly store: () => HistoryStore | undefined;

  constructor(state: ConsoleState, store: () => HistoryStore | undefined) {
    this.state = state;
    this.store = store;
    for (const [route, { file }] of Object.entries(STATIC)) this.files.set(route, readFileSync(file));
    this.server = createServer((req, res) => this.handle(req, res));
    // Comments keep idle streams open through proxies and let a closed page be noticed.
    this.heartbeat = setInterval(() => this.broadcastRaw(": keep-alive\n\n"), 15_000);
    this.heartbeat.unref();
  }

  /** Listens on 127.0.0.1:`port` (0: any free port); resolves to the page's URL. */
  async listen(port: number): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, "127.0.0.1", () => resolve());
    });
    const address = this.server.address() as AddressInfo;
    this.hosts = new Set([`127.0.0.1:${address.port}`, `localhost:${address.port}`]);
    return `http://127.0.0.1:${address.port}/`;
  }

  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    for (const client of this.clients) client.end();
    this.clients.clear();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  setStatus(status: FollowerStatus): void {
    this.state.status = status;
    this.broadcast("status", status);
  }

  /** A new view, with its point of the charts' series (the page adds it to what `/api/history` gave). */
  setView(view: ChainView): void {
    this.state.view = view;
    this.broadcast("view", { view, point: seriesPoint(view) });
  }

  addEntries(entries: readonly TimelineEntry[]): void {
    this.broadcast("entries", entries);
  }

  addAlerts(alerts: readonly Alert[]): void {
    this.broadcast("alerts", alerts);
  }

  /** A reorg: the history now ends at `block`; pages drop what they show after it. */
  rewound(block: number): void {
    this.broadcast("rewound", { block });
  }

  setProblems(problems: string[]): void {
    this.state.problems = problems;
    this.broadcast("problems", problems);
  }

  setDemo(demo: ConsoleState["demo"]): void {
    this.state.demo = demo;
    this.broadcast("demo", demo);
  }

  setIdle(idle: ConsoleState["idleRules"]): void {
    this.state.idleRules = idle;
    this.broadcast("idle", idle);
  }

  private broadcast(event: string, data: unknown): void {
    this.broadcastRaw(`event: ${event}\ndata: ${JSON.stringify(data, jsonSafe)}\n\n`);
  }

  private broadcastRaw(chunk: string): void {
    for (const client of this.clients) {
      // A client that stopped reading (a tab asleep) is dropped rather than buffered without end; it reconnects.
      if (client.writableLength > MAX_BUFFERED) {
        client.destroy();
        this.clients.delete(client);
      } else client.write(chunk);
    }
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const headers = {
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
      "content-security-policy": "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'",
    };
    if (!this.hosts.has(req.headers.host ?? "")) {
      res
        .writeHead(403, { ...headers, "content-type": "text/plain" })
        .end("address the console as 127.0.0.1 or localhost\n");
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res
        .writeHead(405, { ...headers, allow: "GET, HEAD", "content-type": "text/plain" })
        .end("the console is read-only\n");
      return;
    }
    let url: URL;
    try {
      url = new URL(req.url ?? "/", "http://127.0.0.1");
    } catch {
      res.writeHead(400, { ...headers, "content-type": "text/plain" }).end("bad request\n");
      return;
    }
    const file = STATIC[url.pathname];
    if (file !== undefined) {
      res
        .writeHead(200, { ...headers, "content-type": file.type })
        .end(req.method === "HEAD" ? undefined : this.files.get(url.pathname));
      return;
    }
    const json = (status: number, body: unknown): void => {
      res.writeHead(status, { ...headers, "content-type": "application/json" }).end(JSON.stringify(body, jsonSafe));
    };
    switch (url.pathname) {
      case "/api/state":
        return json(200, this.state);
      case "/api/history": {
        const hours = Number(url.searchParams.get("hours") ?? "72");
        if (!Number.isFinite(hours) || hours <= 0 || hours > 24 * 365)
          return json(400, { error: "hours must be a number in (0, 8760]" });
        const store = this.store();
        return json(200, store === undefined ? { series: [], entries: [], alerts: [] } : store.history(hours));
      }
      case "/api/events": {
        if (req.method === "HEAD") {
          res.writeHead(200, { ...headers, "content-type": "text/event-stream" }).end();
          return;
        }
        if (this.clients.size >= MAX_CLIENTS) {
          // Full: the browser is told to come back in a while (EventSource reconnects after `retry`; a 503 would
          // make it give up for good).
          res.writeHead(200, { ...headers, "content-type": "text/event-stream" }).end("retry: 10000\n\n");
          return;
        }
        res.writeHead(200, { ...headers, "content-type": "text/event-stream", connection: "keep-alive" });
        res.write(`retry: 2000\nevent: state\ndata: ${JSON.stringify(this.state, jsonSafe)}\n\n`);
        this.clients.add(res);
        req.on("close", () => this.clients.delete(res));
        return;
      }
      case "/healthz":
        return json(200, { ok: true, status: this.state.status.state });
      default:
        return json(404, { error: `no such page: ${url.pathname}` });
    }
  }
}
