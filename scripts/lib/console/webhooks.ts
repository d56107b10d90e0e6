/**
 * Alert delivery to webhooks: each alert is POSTed as JSON (`{ "alert": … }`) to every configured URL, in order per
 * URL, retried with capped exponential backoff on a network error, a timeout, HTTP 429 or 5xx. Any other answer is
 * final (a 4xx says the request itself is wrong). Deliveries never hold up the follower: each URL has its own queue.
 */
import { createHmac } from "node:crypto";

import { backoffDelay, sleep } from "../keeper/rpc.js";
import type { Logger } from "../keeper/log.js";
import type { WebhookConfig } from "./rules.js";
import type { Alert } from "./types.js";

/** What one delivery came to. */
export interface DeliveryResult {
  url: string;
  alert: string;
  ok: boolean;
  attempts: number;
  /** The last HTTP status, or the error's message. */
  last: string;
}

/** HMAC-SHA256 of `timestamp.body` under `secret`, hex: what a receiver recomputes to check a POST came from here. */
export function signature(secret: string, timestamp: string, body: string): string {
  return createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex");
}

/** Whether an HTTP status is worth retrying. */
export const retryableStatus = (status: number): boolean => status === 429 || status >= 500;

/** POSTs `alert` to `hook`, retrying as configured; resolves with what happened (never rejects). */
export async function deliver(
  hook: WebhookConfig,
  alert: Alert,
  signal?: AbortSignal,
  wait: (ms: number, signal?: AbortSignal) => Promise<void> = sleep,
): Promise<DeliveryResult> {
  const body = JSON.stringify({ alert });
  let last = "";
  /** The signature headers of one attempt (a fresh timestamp each time). */
  const signed = (): Record<string, string> => {
    if (hook.secret === undefined) return {};
    const timestamp = String(Math.floor(Date.now() / 1000));
    return {
      "x-bulwark-timestamp": timestamp,
      "x-bulwark-signature": `sha256=${signature(hook.secret, timestamp, body)}`,
    };
  };
  for (let attempt = 1; attempt <= hook.attempts; attempt++) {
    let retry: boolean;
    try {
      const response = await fetch(hook.url, {
        method: "POST",
        // The alert's key is the same however often it is sent (a retry, a restart): receivers can drop repeats.
        headers: {
          "content-type": "application/json",
          "user-agent": "bulwark-console",
          "x-bulwark-alert": alert.key,
          ...signed(),
        },
        body,
        signal: AbortSignal.any([AbortSignal.timeout(hook.timeoutMs), ...(signal === undefined ? [] : [signal])]),
      });
      await response.arrayBuffer().catch(() => undefined);
      last = `HTTP ${response.status}`;
      if (response.ok) return { url: hook.url, alert: alert.id, ok: true, attempts: attempt, last };
      retry = retryableStatus(response.status);
    } catch (error) {
      const cause = (error as Error & { cause?: unknown }).cause;
      last = cause instanceof Error ? cause.message : (error as Error).message;
      retry = signal?.aborted !== true;
    }
    if (!retry || attempt === hook.attempts)
      return { url: hook.url, alert: alert.id, ok: false, attempts: attempt, last };
    await wait(backoffDelay(attempt, hook.backoffMs, hook.maxBackoffMs), signal);
    if (signal?.aborted === true)
      return { url: hook.url, alert: alert.id, ok: false, attempts: attempt, last: "stopped" };
  }
  return { url: hook.url, alert: alert.id, ok: false, attempts: hook.attempts, last };
}

/** A URL as logs and the page show it: scheme, host and port only (paths and queries often hold tokens). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname === "/" && u.search === "" ? "/" : "/…"}`;
  } catch {
    return "(not a URL)";
  }
}

/**
 * One queue per webhook URL, in order; logs each delivery's outcome and tells `onDone` when a delivery is over
 * (delivered or given up on), so the history database's outbox drops it. Deliveries still queued when the console
 * stops stay in the outbox and are sent again at the next start (`resume`).
 */
export class WebhookDispatcher {
  private readonly queues = new Map<string, Promise<void>>();
  private readonly stop = new AbortController();
  private hooks: readonly WebhookConfig[];
  private readonly logger: Logger;
  private readonly onDone: (alertKey: string, url: string) => void;
  /** Deliveries still queued or running. */
  pending = 0;

  constructor(hooks: readonly WebhookConfig[], logger: Logger, onDone: (alertKey: string, url: string) => void) {
    this.hooks = hooks;
    this.logger = logger;
    this.onDone = onDone;
  }

  setHooks(hooks: readonly WebhookConfig[]): void {
    this.hooks = hooks;
  }

  get urls(): string[] {
    return this.hooks.map((h) => h.url);
  }

  /** Queues `alert` for every webhook. */
  send(alert: Alert): void {
    for (const hook of this.hooks) this.enqueue(hook, alert);
  }

  /**
   * Queues the deliveries a previous run left in the outbox. Those of a webhook not configured now stay there (a
   * rules file may be broken for a moment) until they age out with the history (`--keep-days`).
   */
  resume(pending: ReadonlyArray<{ url: string; alert: Alert }>): void {
    const waiting = new Set<string>();
    for (const { url, alert } of pending) {
      const hook = this.hooks.find((h) => h.url === url);
      if (hook === undefined) waiting.add(redactUrl(url));
      else this.enqueue(hook, alert);
    }
    for (const url of waiting)
      this.logger.warn("webhook-waiting", { url, why: "deliveries queued for a webhook not configured now" });
  }

  private enqueue(hook: WebhookConfig, alert: Alert): void {
    this.pending++;
    const previous = this.queues.get(hook.url) ?? Promise.resolve();
    const next = previous
      .then(async () => {
        const result = await deliver(hook, alert, this.stop.signal);
        // Stopped mid-way: it stays in the outbox for the next start.
        if (this.stop.signal.aborted && !result.ok) return;
        const fields = { ...result, url: redactUrl(result.url), alert: alert.key };
        if (result.ok) this.logger.info("webhook-delivered", fields);
        else
          this.logger.warn("webhook-failed", {
            ...fields,
            hint: "the alert stays in the console and the history database",
          });
        this.onDone(alert.key, hook.url);
      })
      // One failure (the database busy, say) must not stop this webhook's queue, nor the process.
      .catch((error: unknown) => this.logger.error("webhook-queue", { url: redactUrl(hook.url), error: String(error) }))
      .finally(() => this.pending--);
    this.queues.set(hook.url, next);
  }

  /** Waits up to `ms` for queued deliveries, then abandons the rest (they stay in the outbox). */
  async close(ms = 2000): Promise<void> {
    await Promise.race([Promise.all(this.queues.values()), sleep(ms)]);
    this.stop.abort();
  }
}
