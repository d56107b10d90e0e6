/**
 * The security console as a user runs it, for tests: `node scripts/console.ts …` in a child process, its JSON-lines
 * log parsed as it arrives, with waits on what it logs; a webhook receiver on 127.0.0.1; and a TCP forwarder a test
 * can close, reopen or make hang, standing for an RPC that goes away.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { connect, createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

export type LogLine = Record<string, unknown> & { event: string; level: string };

/** A running console. */
export class ConsoleProcess {
  readonly lines: LogLine[] = [];
  readonly stderr: string[] = [];
  readonly child: ChildProcessWithoutNullStreams;
  private readonly waiters = new Set<() => void>();
  exitCode: number | null | undefined;

  constructor(args: readonly string[]) {
    this.child = spawn(process.execPath, [path.join(ROOT, "scripts", "console.ts"), ...args], {
      cwd: ROOT,
      env: { ...process.env, FORCE_COLOR: "0" },
    });
    let buffer = "";
    this.child.stdout.setEncoding("utf8");
    this.child.stdout.on("data", (chunk: string) => {
      buffer += chunk;
      let newline: number;
      while ((newline = buffer.indexOf("\n")) >= 0) {
        const text = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        try {
          this.lines.push(JSON.parse(text) as LogLine);
        } catch {
          this.lines.push({ event: "unparsed", level: "error", text });
        }
      }
      this.wake();
    });
    this.child.stderr.setEncoding("utf8");
    this.child.stderr.on("data", (chunk: string) => {
      this.stderr.push(chunk);
      this.wake();
    });
    this.child.on("exit", (code) => {
      this.exitCode = code;
      this.wake();
    });
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  /** The first log line (from `from` on) matching `match`, waiting up to `ms`. */
  async waitFor(match: (line: LogLine) => boolean, ms: number, what: string, from = 0): Promise<LogLine> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.lines.slice(from).find(match);
      if (found !== undefined) return found;
      if (this.exitCode !== undefined)
        throw new Error(`the console exited (${this.exitCode}) before ${what}: ${this.stderr.join("").slice(-800)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${what} within ${ms} ms; last lines: ${JSON.stringify(this.lines.slice(-5))}`);
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          this.waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, Math.min(left, 500));
        this.waiters.add(done);
      });
    }
  }

  /** The page's URL, from the "listening" line. */
  async url(ms = 30_000): Promise<string> {
    return String((await this.waitFor((l) => l.event === "listening", ms, "listening line")).url);
  }

  alerts(): LogLine[] {
    return this.lines.filter((l) => l.event === "alert");
  }

  /** Stops it with SIGTERM and waits for it to exit. */
  async stop(): Promise<number | null> {
    if (this.exitCode !== undefined) return this.exitCode;
    const exited = new Promise<number | null>((resolve) => this.child.once("exit", (code) => resolve(code)));
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 10_000);
    const code = await exited;
    clearTimeout(timer);
    return code;
  }
}

/** GETs `url` and parses JSON. */
export async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url);
  return (await response.json()) as T;
}

/**
 * A webhook receiver: answers the first `failFirst` POSTs of each alert (by its `x-bulwark-alert` key) with 503,
 * then 204; keeps every body it accepted and the attempts per key.
 */
export async function webhookReceiver(failFirst: number): Promise<{
  url: string;
  received: unknown[];
  attempts: Map<string, number>;
  close(): Promise<void>;
}> {
  const state = { received: [] as unknown[], attempts: new Map<string, number>() };
  const server: HttpServer = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const key = String(req.headers["x-bulwark-alert"]);
      const attempt = (state.attempts.get(key) ?? 0) + 1;
      state.attempts.set(key, attempt);
      if (attempt <= failFirst) {
        res.writeHead(503).end("busy");
        return;
      }
      state.received.push(JSON.parse(Buffer.concat(chunks).toString("utf8")));
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    get received() {
      return state.received;
    },
    get attempts() {
      return state.attempts;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * A TCP forwarder on a fixed 127.0.0.1 port to `target` (host:port): `open()` forwards, `hang()` accepts and never
 * answers, `close()` stops listening and cuts every connection.
 */
export class Forwarder {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly target: { host: string; port: number };
  port = 0;

  constructor(target: { host: string; port: number }) {
    this.target = target;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Reserves a free port (listening and closing at once), so a test can give the URL before it opens. */
  async reserve(): Promise<void> {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", () => resolve()));
    this.port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
  }

  async open(mode: "forward" | "hang" = "forward"): Promise<void> {
    await this.close();
    this.server = createServer((socket) => {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
      socket.on("error", () => undefined);
      if (mode === "hang") return;
      const upstream = connect(this.target.port, this.target.host);
      this.sockets.add(upstream);
      upstream.on("close", () => this.sockets.delete(upstream));
      upstream.on("error", () => socket.destroy());
      socket.pipe(upstream).pipe(socket);
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, "127.0.0.1", () => resolve()));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    const server = this.server;
    this.server = undefined;
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
