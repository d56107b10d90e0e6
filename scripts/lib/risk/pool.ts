/**
 * Runs the Monte Carlo's jobs on every core: one worker process per core (worker.ts), each handed its next job as it
 * finishes one. A worker keeps the market it built, so jobs go to the worker already holding their (setting,
 * protocol) market when it can, and otherwise to the market fewest workers are on: a run of three protocols on two
 * workers builds four markets, not six.
 *
 * Any failure ends the run: a job's error (named with its path and protocol), a worker that exits before it was told
 * to stop, for whatever reason (a crash, a signal from outside, out of memory), or an IPC error. Once failed, the pool
 * kills every worker, ignores whatever they still send, and rejects once.
 */
import { fork, type ChildProcess } from "node:child_process";

import type { PathOutcome } from "./session.js";
import type { Job, WorkerConfig, WorkerReply, WorkerRequest } from "./worker.js";

const WORKER_ENTRY = new URL("./workerMain.ts", import.meta.url);

/** One finished job, as the pool reports it. */
export interface Finished {
  job: Job;
  outcome: PathOutcome;
  /** Seconds the replay took, and the market's setup when this job built it (else 0). */
  wallSeconds: number;
  setupSeconds: number;
  worker: number;
}

/** Thrown when a worker fails; the message names the job. */
export class PoolError extends Error {}

const keyOf = (job: Job): string => `${job.setting}/${job.mode}`;

/** The most telling line of a dead worker's stderr: its first error line, else its last line. */
export function lastWords(stderr: string): string {
  const lines = stderr
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !/^Node\.js v\d/.test(line));
  // A thrown error's own line ("Error: …", "RangeError: …") before any line that merely mentions one (source excerpts).
  return (
    lines.find((line) => /^(\w*Error|FATAL ERROR)\b/.test(line)) ??
    lines.find((line) => /\b(Error|FATAL|Killed)\b/.test(line)) ??
    lines.at(-1) ??
    ""
  );
}

/** Runs `jobs` on `workers` processes; `onDone` hears each as it finishes. Rejects on the first failure. */
export async function runPool(
  config: WorkerConfig,
  jobs: readonly Job[],
  workers: number,
  onDone: (finished: Finished) => void,
  entry: URL = WORKER_ENTRY,
): Promise<Finished[]> {
  const queues = new Map<string, Job[]>();
  for (const job of jobs) queues.set(keyOf(job), [...(queues.get(keyOf(job)) ?? []), job]);
  const count = Math.max(1, Math.min(workers, jobs.length));
  const children: ChildProcess[] = [];
  const current: (string | undefined)[] = Array.from({ length: count }, () => undefined);
  const results: Finished[] = [];
  let failed = false;

  /** The next job for worker `w`: its own market's, else the market fewest workers are on (most jobs left first). */
  const next = (w: number): Job | undefined => {
    const own = current[w] === undefined ? undefined : queues.get(current[w] ?? "");
    if (own !== undefined && own.length > 0) return own.shift();
    const candidates = [...queues.entries()].filter(([, q]) => q.length > 0);
    if (candidates.length === 0) return undefined;
    const busy = (key: string): number => current.filter((k, i) => i !== w && k === key).length;
    candidates.sort(([a, qa], [b, qb]) => busy(a) - busy(b) || qb.length - qa.length);
    const [key, queue] = candidates[0];
    current[w] = key;
    return queue.shift();
  };

  try {
    await new Promise<void>((resolve, reject) => {
      let running = count;
      const fail = (message: string): void => {
        if (failed) return;
        failed = true;
        for (const child of children) child.kill();
        reject(new PoolError(message));
      };
      for (let w = 0; w < count; w++) {
        const child = fork(entry, [], { stdio: ["ignore", "ignore", "pipe", "ipc"] });
        children.push(child);
        let stderr = "";
        let stopped = false;
        child.stderr?.on("data", (chunk: Buffer) => {
          stderr = (stderr + chunk.toString()).slice(-8000);
        });
        const request = (message: WorkerRequest): void => {
          if (failed || !child.connected) return;
          child.send(message, (error) => {
            if (error !== null) fail(`worker ${w + 1}: could not send it a job (${error.message})`);
          });
        };
        const feed = (): void => {
          const job = next(w);
          if (job === undefined) {
            stopped = true;
            request({ kind: "stop" });
            if (--running === 0) resolve();
            return;
          }
          request({ kind: "job", job });
        };
        child.on("message", (reply: WorkerReply) => {
          if (failed) return;
          if (reply.kind === "ready") return feed();
          if (reply.kind === "failed") {
            const where = reply.job === null ? "" : ` on path ${reply.job.index} (${reply.job.mode})`;
            return fail(`worker ${w + 1} failed${where}: ${reply.message}`);
          }
          const finished = { ...reply, worker: w };
          results.push(finished);
          onDone(finished);
          feed();
        });
        child.on("error", (error) => fail(`worker ${w + 1}: ${error.message}`));
        child.on("exit", (code, signal) => {
          if (stopped && code === 0) return;
          const why = lastWords(stderr);
          fail(`worker ${w + 1} exited (${signal ?? `status ${code}`})${why === "" ? "" : `: ${why}`}`);
        });
        request({ kind: "start", config });
      }
    });
  } finally {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill();
  }
  return results;
}
