/**
 * A Monte Carlo worker (a child process of pool.ts, one per core): keeps a market session per (setting, protocol) it
 * was asked for (session.ts) and replays the paths it is sent, answering each with its outcome. Its own process, not a
 * worker thread: the in-process chain (EDR) keeps one context per process.
 *
 * Messages: in, `WorkerRequest` (`start` once, then `job`s, then `stop`); out, `WorkerReply`.
 */
import { fitModel, samplePath, type FittedModel, type ModelOptions } from "./model.js";
import { MarketSession, type PathOutcome } from "./session.js";
import type { Setting } from "./settings.js";
import type { ParamsMode } from "../sim/types.js";

/** What every worker of a run shares. */
export interface WorkerConfig {
  accounts: number;
  seed: string;
  hours: number;
  model: ModelOptions;
  settings: Setting[];
}

/** One path of one protocol under one setting (`setting` indexes `WorkerConfig.settings`). */
export interface Job {
  setting: number;
  mode: ParamsMode;
  index: number;
}

export type WorkerRequest = { kind: "start"; config: WorkerConfig } | { kind: "job"; job: Job } | { kind: "stop" };

export type WorkerReply =
  | { kind: "ready" }
  | { kind: "done"; job: Job; outcome: PathOutcome; wallSeconds: number; setupSeconds: number }
  | { kind: "failed"; job: Job | null; message: string };

/** Sessions a worker keeps open at once (a sweep may visit more: the least recently used closes). */
const MAX_SESSIONS = 3;

export async function serve(): Promise<void> {
  const send = (reply: WorkerReply): void => {
    process.send?.(reply);
  };
  // The parent went away (interrupted, or failed): nothing left to answer.
  process.on("disconnect", () => process.exit(0));
  let config: WorkerConfig | undefined;
  let model: FittedModel | undefined;
  const sessions = new Map<string, MarketSession>();
  let queue = Promise.resolve();

  // An error outside a job (a bug, a dependency failing to load) is reported, not lost in a crash.
  const fatal = (error: unknown): void => {
    send({ kind: "failed", job: null, message: error instanceof Error ? error.message : String(error) });
    process.exitCode = 1;
    setTimeout(() => process.exit(1), 100);
  };
  process.on("uncaughtException", fatal);
  process.on("unhandledRejection", fatal);

  const handle = async (request: WorkerRequest): Promise<void> => {
    if (request.kind === "start") {
      try {
        config = request.config;
        model = fitModel(config.model);
        send({ kind: "ready" });
      } catch (error) {
        fatal(error);
      }
      return;
    }
    if (request.kind === "stop") {
      for (const session of sessions.values()) await session.close();
      process.exit(0);
    }
    const { job } = request;
    try {
      if (config === undefined || model === undefined) throw new Error("a job came before the worker's configuration");
      const key = `${job.setting}/${job.mode}`;
      let session = sessions.get(key);
      let setupSeconds = 0;
      if (session === undefined) {
        if (sessions.size >= MAX_SESSIONS) {
          const [oldest, value] = sessions.entries().next().value as [string, MarketSession];
          sessions.delete(oldest);
          await value.close();
        }
        const setting = config.settings[job.setting];
        if (setting === undefined) throw new Error(`no setting ${job.setting}: the run has ${config.settings.length}`);
        session = await MarketSession.open(job.mode, setting, config.accounts, config.seed);
        setupSeconds = session.setupSeconds;
      }
      // Most recently used last.
      sessions.delete(key);
      sessions.set(key, session);
      const started = performance.now();
      const outcome = await session.run(job.index, samplePath(model, config.seed, job.index, config.hours));
      send({ kind: "done", job, outcome, wallSeconds: (performance.now() - started) / 1000, setupSeconds });
    } catch (error) {
      send({ kind: "failed", job, message: error instanceof Error ? error.message : String(error) });
    }
  };
  process.on("message", (request: WorkerRequest) => {
    queue = queue.then(() => handle(request));
  });
}
