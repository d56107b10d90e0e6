/**
 * The monitor's rules: a JSON file (format in docs/console.md; the defaults ship as deploy/console/rules.json and
 * equal `DEFAULT_RULES`), checked field by field so a mistake is one line naming the field, and the `Monitor` that
 * turns each block's timeline entries and view into alerts.
 *
 * Event rules (breaker, badDebt, timelock) raise one alert per event, keyed by the event's id. Condition rules (oracle,
 * health, outflow, upkeep) raise one alert when a condition starts to hold (for the oracle and the upkeep: once it has
 * held long enough) and, when `resolved` is on, an info alert when it ends: one alert per episode, however many blocks
 * it lasts. Episodes are kept in the history database, so a restart neither repeats nor forgets them.
 */
import type { AccountRow, Alert, ChainView, Severity, TimelineEntry } from "./types.js";

export type RuleType = "breaker" | "oracle" | "health" | "badDebt" | "outflow" | "upkeep" | "timelock";

interface RuleBase {
  id: string;
  type: RuleType;
  severity: Severity;
  /** Condition rules: also raise an info alert when the condition ends. */
  resolved: boolean;
}

export type Rule =
  | (RuleBase & { type: "breaker" })
  | (RuleBase & { type: "oracle"; minutes: number })
  | (RuleBase & { type: "health"; minDebtUsd: number; below: number })
  | (RuleBase & { type: "badDebt"; minAmount: number })
  | (RuleBase & { type: "outflow"; percent: number })
  | (RuleBase & { type: "upkeep"; blocks: number })
  | (RuleBase & { type: "timelock"; parametersOnly: boolean });

export interface WebhookConfig {
  url: string;
  /** Tries per alert, the first included. */
  attempts: number;
  /** Delay before the first retry (doubles each time, capped at maxBackoffMs). */
  backoffMs: number;
  maxBackoffMs: number;
  timeoutMs: number;
  /**
   * The HMAC key each POST is signed with (from the environment variable `secretEnv` names; never in the file):
   * `x-bulwark-signature: sha256=<hex of HMAC-SHA256(key, timestamp + "." + body)>` beside `x-bulwark-timestamp`.
   */
  secret?: string;
}

export interface RulesConfig {
  rules: Rule[];
  webhooks: WebhookConfig[];
}

/** A malformed rules file: the message names the field. */
export class RulesError extends Error {}

const SEVERITIES: readonly Severity[] = ["info", "warning", "critical"];

/** Each type's own fields: name → [kind, default, check description]. */
const FIELDS: Record<
  RuleType,
  Record<string, { kind: "number" | "boolean"; default: number | boolean; min?: number; max?: number }>
> = {
  breaker: {},
  oracle: { minutes: { kind: "number", default: 10, min: 0 } },
  health: { minDebtUsd: { kind: "number", default: 10_000, min: 0 }, below: { kind: "number", default: 1.05, min: 0 } },
  badDebt: { minAmount: { kind: "number", default: 0, min: 0 } },
  outflow: { percent: { kind: "number", default: 80, min: 0, max: 100 } },
  upkeep: { blocks: { kind: "number", default: 300, min: 1 } },
  timelock: { parametersOnly: { kind: "boolean", default: true } },
};

const DEFAULT_SEVERITY: Record<RuleType, Severity> = {
  breaker: "warning",
  oracle: "critical",
  health: "warning",
  badDebt: "critical",
  outflow: "warning",
  upkeep: "warning",
  timelock: "info",
};

/** The rules used when no file is given (deploy/console/rules.json holds the same). */
export const DEFAULT_RULES_JSON = {
  rules: [
    { id: "breaker", type: "breaker", severity: "warning" },
    { id: "oracle-not-ok", type: "oracle", minutes: 10, severity: "critical" },
    { id: "large-account-unhealthy", type: "health", minDebtUsd: 10000, below: 1.05, severity: "warning" },
    { id: "bad-debt", type: "badDebt", minAmount: 0, severity: "critical" },
    { id: "outflow-high", type: "outflow", percent: 80, severity: "warning" },
    { id: "upkeep-silent", type: "upkeep", blocks: 300, severity: "warning" },
    { id: "risk-parameter-scheduled", type: "timelock", parametersOnly: true, severity: "info" },
  ],
  webhooks: [],
} as const;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Checks a parsed rules file; throws RulesError naming the first bad field. */
export function parseRules(raw: unknown, where = "rules file"): RulesConfig {
  if (!isRecord(raw)) throw new RulesError(`${where}: must be a JSON object with "rules" (and optionally "webhooks")`);
  for (const key of Object.keys(raw)) {
    if (key !== "rules" && key !== "webhooks" && key !== "$comment")
      throw new RulesError(`${where}: unknown key "${key}" (expected "rules", "webhooks")`);
  }
  if (!Array.isArray(raw.rules)) throw new RulesError(`${where}: "rules" must be an array`);
  const ids = new Set<string>();
  const rules = raw.rules.map((entry: unknown, i: number): Rule => {
    const at = `${where}: rules[${i}]`;
    if (!isRecord(entry)) throw new RulesError(`${at} must be an object`);
    const type = entry.type;
    if (typeof type !== "string" || !(type in FIELDS))
      throw new RulesError(`${at}.type must be one of ${Object.keys(FIELDS).join(", ")}, got ${JSON.stringify(type)}`);
    const fields = FIELDS[type as RuleType];
    for (const key of Object.keys(entry)) {
      if (!["id", "type", "severity", "resolved", "$comment", ...Object.keys(fields)].includes(key))
        throw new RulesError(
          `${at}: unknown field "${key}" for a ${type} rule (its fields: ${["id", "severity", "resolved", ...Object.keys(fields)].join(", ")})`,
        );
    }
    const id = entry.id ?? type;
    if (typeof id !== "string" || !/^[A-Za-z0-9_.-]{1,64}$/.test(id))
      throw new RulesError(`${at}.id must be 1–64 letters, digits, "-", "_" or ".", got ${JSON.stringify(id)}`);
    if (ids.has(id)) throw new RulesError(`${at}.id "${id}" is used twice`);
    ids.add(id);
    const severity = entry.severity ?? DEFAULT_SEVERITY[type as RuleType];
    if (typeof severity !== "string" || !SEVERITIES.includes(severity as Severity))
      throw new RulesError(`${at}.severity must be info, warning or critical, got ${JSON.stringify(severity)}`);
    const resolved = entry.resolved ?? true;
    if (typeof resolved !== "boolean") throw new RulesError(`${at}.resolved must be true or false`);
    const rule: Record<string, unknown> = { id, type, severity, resolved };
    for (const [name, spec] of Object.entries(fields)) {
      const value = entry[name] ?? spec.default;
      if (spec.kind === "boolean") {
        if (typeof value !== "boolean") throw new RulesError(`${at}.${name} must be true or false`);
      } else if (
        typeof value !== "number" ||
        !Number.isFinite(value) ||
        (spec.min !== undefined && value < spec.min) ||
        (spec.max !== undefined && value > spec.max)
      ) {
        const range = spec.max === undefined ? `≥ ${spec.min}` : `between ${spec.min} and ${spec.max}`;
        throw new RulesError(`${at}.${name} must be a number ${range}, got ${JSON.stringify(value)}`);
      }
      rule[name] = value;
    }
    return rule as unknown as Rule;
  });
  const webhooks = raw.webhooks ?? [];
  if (!Array.isArray(webhooks)) throw new RulesError(`${where}: "webhooks" must be an array`);
  return {
    rules,
    webhooks: webhooks.map((hook: unknown, i: number) => parseWebhook(hook, `${where}: webhooks[${i}]`)),
  };
}

/**
 * A webhook: `"http://…"` or `{ "url": …, "attempts", "backoffMs", "maxBackoffMs", "timeoutMs", "secretEnv" }`.
 * `secretEnv` names the environment variable holding the signing key (it must be set).
 */
export function parseWebhook(raw: unknown, at: string, env: NodeJS.ProcessEnv = process.env): WebhookConfig {
  const entry = typeof raw === "string" ? { url: raw } : raw;
  if (!isRecord(entry)) throw new RulesError(`${at} must be a URL or an object with "url"`);
  const url = entry.url;
  let parsed: URL | undefined;
  try {
    parsed = typeof url === "string" ? new URL(url) : undefined;
  } catch {
    parsed = undefined;
  }
  if (parsed === undefined || (parsed.protocol !== "http:" && parsed.protocol !== "https:"))
    throw new RulesError(`${at}.url must be an http(s) URL, got ${JSON.stringify(url)}`);
  const whole = (name: string, fallback: number, min: number, max: number): number => {
    const value = entry[name] ?? fallback;
    if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max)
      throw new RulesError(
        `${at}.${name} must be a whole number between ${min} and ${max}, got ${JSON.stringify(value)}`,
      );
    return value;
  };
  for (const key of Object.keys(entry)) {
    if (!["url", "attempts", "backoffMs", "maxBackoffMs", "timeoutMs", "secretEnv"].includes(key))
      throw new RulesError(
        `${at}: unknown field "${key}" (expected url, attempts, backoffMs, maxBackoffMs, timeoutMs, secretEnv)`,
      );
  }
  return {
    url: parsed.href,
    ...secretOf(entry.secretEnv, at, env),
    attempts: whole("attempts", 6, 1, 50),
    backoffMs: whole("backoffMs", 500, 1, 600_000),
    maxBackoffMs: whole("maxBackoffMs", 30_000, 1, 3_600_000),
    timeoutMs: whole("timeoutMs", 5_000, 100, 120_000),
  };
}

/** The signing key `secretEnv` names, if any: the variable must be set and not empty. */
function secretOf(name: unknown, at: string, env: NodeJS.ProcessEnv): { secret?: string } {
  if (name === undefined) return {};
  if (typeof name !== "string" || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
    throw new RulesError(`${at}.secretEnv must be an environment variable's name, got ${JSON.stringify(name)}`);
  const secret = env[name];
  if (secret === undefined || secret === "")
    throw new RulesError(`${at}.secretEnv names ${name}, which is not set: set it to the webhook's signing key`);
  return { secret };
}

/** Parses a rules file's text. */
export function parseRulesText(text: string, where: string): RulesConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new RulesError(`${where}: not valid JSON (${(error as Error).message})`);
  }
  return parseRules(raw, where);
}

export const defaultRules = (): RulesConfig => parseRules(DEFAULT_RULES_JSON, "default rules");

/** Rules whose alerts follow a condition's episodes (the others follow events). */
const CONDITION_RULES = new Set<RuleType>(["oracle", "health", "outflow", "upkeep"]);

/** A condition that holds now, with when it started (chain time) and whether its alert went out. */
export interface Episode {
  key: string;
  rule: string;
  since: number;
  sinceBlock: number;
  fired: boolean;
}

/** Where the monitor keeps its episodes (the history database). */
export interface EpisodeStore {
  episodes(): Episode[];
  saveEpisode(episode: Episode): void;
  deleteEpisode(key: string): void;
}

type NewAlert = Omit<Alert, "id" | "raisedAt">;

const fmt = (n: number, digits = 2): string => n.toLocaleString("en-US", { maximumFractionDigits: digits });

/** Turns each block's entries and view into alerts, by `rules`. */
export class Monitor {
  private readonly open = new Map<string, Episode>();

  private rules: Rule[];
  private readonly store: EpisodeStore;
  /** Episode keys evaluated in the current step. */
  private readonly touched = new Set<string>();

  constructor(rules: Rule[], store: EpisodeStore) {
    this.rules = rules;
    this.store = store;
    for (const episode of store.episodes()) this.open.set(episode.key, episode);
  }

  /** New rules (a corrected file): the open episodes of rules no longer there are dropped, without an alert. */
  setRules(rules: Rule[]): void {
    this.rules = rules;
    const ids = new Set(rules.map((r) => r.id));
    for (const [key, episode] of this.open) {
      if (ids.has(episode.rule)) continue;
      this.open.delete(key);
      this.store.deleteEpisode(key);
    }
  }

  /** Rules that cannot apply to this deployment, with why. */
  idle(view: ChainView): Array<{ rule: string; why: string }> {
    const out: Array<{ rule: string; why: string }> = [];
    for (const r of this.rules) {
      if (r.type === "upkeep" && view.defences.upkeep === null)
        out.push({
          rule: r.id,
          why: "no upkeep (SecurityOps) is known for this deployment: give its address to watch it",
        });
      if (r.type === "timelock" && view.defences.timelock === null)
        out.push({ rule: r.id, why: "no timelock is known for this deployment: give its address to watch it" });
    }
    return out;
  }

  /**
   * Alerts for one step: `entries` are the events since the last step (in order), `view` the latest block's state,
   * `accounts` every account with debt (or watched), not only those the view lists.
   */
  evaluate(
    entries: readonly TimelineEntry[],
    view: ChainView | undefined,
    accounts: readonly AccountRow[],
  ): NewAlert[] {
    const out: NewAlert[] = [];
    this.touched.clear();
    for (const rule of this.rules) {
      // Without a view (a catch-up range short of the head) only the event rules run.
      if (view === undefined && rule.type !== "breaker" && rule.type !== "badDebt" && rule.type !== "timelock")
        continue;
      switch (rule.type) {
        case "breaker":
          for (const e of entries.filter((x) => x.name === "BreakerUpdated" && x.source === "breaker")) {
            out.push(eventAlert(rule.id, e, e.args.tripped === "true" ? rule.severity : "info"));
          }
          break;
        case "badDebt":
          for (const e of entries.filter(
            (x) => x.source === "vault" && (x.name === "BadDebtWrittenOff" || x.name === "BadDebtProvisioned"),
          )) {
            // Only new bad debt: a provision cleared or reduced carries no amount.
            if (e.amount === undefined || e.amount <= 0 || e.amount < rule.minAmount) continue;
            out.push(eventAlert(rule.id, e, rule.severity));
          }
          break;
        case "timelock":
          for (const e of entries.filter((x) => x.source === "timelock" && x.name === "CallScheduled")) {
            if (rule.parametersOnly && e.args.parameter !== "true") continue;
            out.push(eventAlert(rule.id, e, rule.severity));
          }
          break;
        case "oracle":
          if (view === undefined) break;
          for (const o of view.defences.oracles) {
            const holds = o.status !== "OK";
            this.condition(out, rule, `${rule.id}:${o.asset}`, holds, view, rule.minutes * 60, {
              message: (since) =>
                `oracle ${o.symbol} has been ${o.status} (${o.reason}) for ${fmt((view.timestamp - since) / 60, 1)} min (rule: > ${rule.minutes} min)`,
              resolvedMessage: `oracle ${o.symbol} is OK again`,
              assets: [o.asset],
            });
          }
          break;
        case "outflow":
          if (view === undefined) break;
          for (const b of view.defences.breakers) {
            if (!Number.isFinite(b.outflowLimit) || b.outflowLimit <= 0) continue;
            const used = (100 * b.outflowUsed) / b.outflowLimit;
            this.condition(out, rule, `${rule.id}:${b.asset}`, used >= rule.percent, view, 0, {
              message: () =>
                `outflow on ${b.symbol} is ${fmt(used, 1)}% of its limit (${fmt(b.outflowUsed)} of ${fmt(b.outflowLimit)}; rule: ≥ ${rule.percent}%)`,
              resolvedMessage: `outflow on ${b.symbol} is back under ${rule.percent}% of its limit`,
              assets: b.asset === "global" ? [] : [b.asset],
            });
          }
          break;
        case "health": {
          if (view === undefined) break;
          for (const a of accounts) {
            const key = `${rule.id}:${a.account}`;
            // An account whose health cannot be read (a FAILED base price) neither opens nor ends an episode.
            if (Number.isNaN(a.health)) {
              this.touched.add(key);
              continue;
            }
            const holds = a.health !== null && a.health < rule.below && a.debtUsd >= rule.minDebtUsd;
            this.condition(out, rule, key, holds, view, 0, {
              message: () =>
                `account ${a.account} with $${fmt(a.debtUsd)} of debt is at health ${fmt(a.health ?? 0, 3)} (rule: below ${rule.below} with debt ≥ $${fmt(rule.minDebtUsd)})`,
              resolvedMessage: `account ${a.account} is back at health ${a.health === null ? "∞ (no debt)" : fmt(a.health, 3)}`,
              accounts: [a.account],
            });
          }
          break;
        }
        case "upkeep": {
          if (view === undefined) break;
          const upkeep = view.defences.upkeep;
          if (upkeep === null) break;
          // Silence is counted from the last perform, or from the first block the console watched.
          const silent = view.block - upkeep.silentSince;
          this.condition(out, rule, `${rule.id}:${upkeep.address}`, silent >= rule.blocks, view, 0, {
            message: () =>
              `the upkeep at ${upkeep.address} has not performed for ${silent} blocks (rule: ${rule.blocks})`,
            resolvedMessage: `the upkeep at ${upkeep.address} performed again (block ${upkeep.lastPerformedBlock ?? "?"})`,
          });
          break;
        }
      }
      // A condition no longer evaluated (an account repaid or written off, an asset delisted, a limit lifted, an
      // upkeep no longer known) ends its episode.
      if (view !== undefined && CONDITION_RULES.has(rule.type)) {
        for (const [key, episode] of this.open) {
          if (episode.rule !== rule.id || this.touched.has(key)) continue;
          const subject = key.slice(rule.id.length + 1);
          const message =
            rule.type === "health"
              ? `account ${subject} has no debt left`
              : `${rule.type} on ${subject} is no longer watched`;
          this.end(out, rule, key, view, message, rule.type === "health" ? { accounts: [subject] } : undefined);
        }
      }
    }
    return out;
  }

  /** Opens, fires or ends the episode `key` of a condition rule. `minSeconds`: how long it must hold to fire. */
  private condition(
    out: NewAlert[],
    rule: Rule,
    key: string,
    holds: boolean,
    view: ChainView,
    minSeconds: number,
    text: { message: (since: number) => string; resolvedMessage: string; accounts?: string[]; assets?: string[] },
  ): void {
    this.touched.add(key);
    let episode = this.open.get(key);
    if (!holds) {
      if (episode !== undefined) this.end(out, rule, key, view, text.resolvedMessage, text);
      return;
    }
    if (episode === undefined) {
      episode = { key, rule: rule.id, since: view.timestamp, sinceBlock: view.block, fired: false };
      this.open.set(key, episode);
      this.store.saveEpisode(episode);
    }
    if (!episode.fired && view.timestamp - episode.since >= minSeconds) {
      episode.fired = true;
      this.store.saveEpisode(episode);
      out.push(
        episodeAlert(view, rule.id, `${key}:${episode.sinceBlock}`, rule.severity, text.message(episode.since), text),
      );
    }
  }

  private end(
    out: NewAlert[],
    rule: Rule,
    key: string,
    view: ChainView,
    message: string,
    text?: { accounts?: string[]; assets?: string[] },
  ): void {
    const episode = this.open.get(key);
    if (episode === undefined) return;
    this.open.delete(key);
    this.store.deleteEpisode(key);
    if (episode.fired && rule.resolved) {
      out.push(episodeAlert(view, rule.id, `${key}:${episode.sinceBlock}:resolved`, "info", message, text));
    }
  }
}

/** An alert of a condition rule's episode, at `view`'s block. */
function episodeAlert(
  view: ChainView,
  rule: string,
  key: string,
  severity: Severity,
  message: string,
  touched?: { accounts?: string[]; assets?: string[] },
): NewAlert {
  const { block, timestamp } = view;
  return {
    block,
    timestamp,
    rule,
    key,
    severity,
    message,
    accounts: touched?.accounts ?? [],
    assets: touched?.assets ?? [],
  };
}

/** An event rule's alert: one per timeline entry, keyed by the entry's transaction and content. */
function eventAlert(rule: string, e: TimelineEntry, severity: Severity): NewAlert {
  const { block, timestamp, accounts, assets, summary: message, id: entry } = e;
  return { block, timestamp, accounts, assets, rule, key: `${rule}:${e.key}`, severity, message, entry };
}
