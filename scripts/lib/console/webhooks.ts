/**
 * Alert delivery to webhooks: each alert is POSTed as JSON (`{ "alert": … }`) to every configured URL, in order per
 * URL, retried with capped exponential backoff on a network error, a timeout, HTTP 429 or 5xx. Any other answer is
 * final (a 4xx says the request itself is wrong). Deliveries never hold up the follower: each URL has its own queue.
 */
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
  for (let attempt = 1; attempt <= hook.attempts; attempt++) {
    let retry: boolean;
    try {
      const response = await fetch(hook.url, {
        method: "POST",
        headers: { "content-type": "application/json", "user-agent": "bulwark-console", "x-bulwark-alert": alert.id },
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

/** One queue per webhook URL; logs each delivery's outcome. */
export class WebhookDispatcher {
  private readonly queues = new Map<string, Promise<void>>();
  private readonly stop = new AbortController();
  /** Deliveries still queued or running. */
  pending = 0;

  private hooks: readonly WebhookConfig[];
  private readonly logger: Logger;
  private readonly onResult: ((result: DeliveryResult) => void) | undefined;

  constructor(hooks: readonly WebhookConfig[], logger: Logger, onResult?: (result: DeliveryResult) => void) {
    this.hooks = hooks;
    this.logger = logger;
    this.onResult = onResult;
  }

  setHooks(hooks: readonly WebhookConfig[]): void {
    this.hooks = hooks;
  }

  /** Queues `alert` for every webhook. */
  send(alert: Alert): void {
    for (const hook of this.hooks) {
      this.pending++;
      const previous = this.queues.get(hook.url) ?? Promise.resolve();
      const next = previous.then(async () => {
        const result = await deliver(hook, alert, this.stop.signal);
        this.pending--;
        if (result.ok) this.logger.info("webhook-delivered", { ...result });
        else
          this.logger.warn("webhook-failed", {
            ...result,
            hint: "the alert stays in the console and the history database",
          });
        this.onResult?.(result);
      });
      this.queues.set(hook.url, next);
    }
  }

  /** Waits up to `ms` for queued deliveries, then abandons the rest. */
  async close(ms = 2000): Promise<void> {
    await Promise.race([Promise.all(this.queues.values()), sleep(ms)]);
    this.stop.abort();
  }
}
