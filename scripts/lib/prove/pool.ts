/**
 * Checks several harnesses at once, one worker process per core (proveWorker.ts), each handed the next file as it
 * finishes one: `npm run prove` and the mutant tests run on both cores of a CI machine instead of one. Results come
 * back in the jobs' order. A job's error, a worker that dies, or an IPC error rejects the whole run (and kills the
 * workers).
 */
import { fork, type ChildProcess } from "node:child_process";
import os from "node:os";

import type { FileRun } from "./prover.js";

const WORKER_ENTRY = new URL("./proveWorker.ts", import.meta.url);

/** One harness to check: its file, the seconds per solver query, and optionally a source to check in its place. */
export interface ProveJob {
  root: string;
  file: string;
  timeout: number;
  source?: string;
}

type Reply = "ready" | { id: number; run?: FileRun; error?: string };

/** Runs `jobs` on up to `workers` processes (default: one per core); `onStart`/`onDone` hear each job. */
export async function checkFiles(
  jobs: readonly ProveJob[],
  hooks: { onStart?: (index: number) => void; onDone?: (index: number, run: FileRun) => void } = {},
  workers = os.availableParallelism(),
): Promise<FileRun[]> {
  const results: (FileRun | undefined)[] = jobs.map(() => undefined);
  const count = Math.max(1, Math.min(workers, jobs.length));
  const children: ChildProcess[] = [];
  let nextJob = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      let running = count;
      let failed = false;
      const fail = (message: string): void => {
        if (failed) return;
        failed = true;
        for (const child of children) child.kill();
        reject(new Error(message));
      };
      for (let w = 0; w < count; w++) {
        const child = fork(WORKER_ENTRY, [], { stdio: ["ignore", "ignore", "pipe", "ipc"] });
        children.push(child);
        let stderr = "";
        let stopped = false;
        child.stderr?.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
        const feed = (): void => {
          if (failed) return;
          if (nextJob >= jobs.length) {
            stopped = true;
            child.send("stop");
            if (--running === 0) resolve();
            return;
          }
          const id = nextJob++;
          hooks.onStart?.(id);
          child.send({ ...jobs[id], id });
        };
        child.on("message", (reply: Reply) => {
          if (failed) return;
          if (reply === "ready") return feed();
          if (reply.error !== undefined || reply.run === undefined) {
            return fail(`${jobs[reply.id].file}: ${reply.error ?? "no result"}`);
          }
          results[reply.id] = reply.run;
          hooks.onDone?.(reply.id, reply.run);
          feed();
        });
        child.on("error", (error) => fail(`a proof worker: ${error.message}`));
        child.on("exit", (code, signal) => {
          if (stopped && code === 0) return;
          fail(`a proof worker exited (${signal ?? `status ${code}`}): ${stderr.trim().split("\n").at(-1) ?? ""}`);
        });
      }
    });
  } finally {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill();
  }
  return results.map((run, i) => {
    if (run === undefined) throw new Error(`${jobs[i].file}: no result`);
    return run;
  });
}
