/**
 * A solvency bench worker (solvency.ts forks one per concurrent run): runs the simulation CLI's `main` for each
 * command line it is sent over IPC and answers with its exit status. One process serves many runs, so the chain's
 * one-time start (Hardhat reading the compiled contracts' build info for EDR: about 4 s) is paid once per worker,
 * not once per run. Installs the `.js` → `.ts` resolver, as the CLIs' entry points do.
 *
 * What the CLI writes to stderr is kept (its tail goes with a failed run's answer) and its progress lines (a line per
 * 10% off a terminal) are sent as messages: over the one IPC channel they arrive in order with the answer, which a
 * separate stderr pipe does not promise.
 *
 * Messages: in, `SolvencyRequest` per run (the process exits when the channel closes); out, `SolvencyReply`.
 */
import type { SolvencyReply, SolvencyRequest } from "./solvency.js";

const entry = (await import(new URL("../entry.ts", import.meta.url).href)) as typeof import("../entry.js");
entry.installTsResolver();
entry.requireTypechain("solvency bench");

const { main } = (await import("./simulateCli.js")) as typeof import("./simulateCli.js");

const send = (reply: SolvencyReply): void => {
  process.send?.(reply);
};
let tail = "";
let partial = "";
const write = process.stderr.write.bind(process.stderr);
process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
  const text = typeof chunk === "string" ? chunk : Buffer.from(chunk).toString();
  tail = (tail + text).slice(-4000);
  partial += text;
  const lines = partial.split("\n");
  partial = lines.pop() ?? "";
  for (const line of lines) {
    const match = / \((\d+)%\)\s*$/.exec(line);
    if (match !== null) send({ kind: "progress", percent: Number(match[1]) });
  }
  return (write as (chunk: string | Uint8Array, ...rest: unknown[]) => boolean)(chunk, ...rest);
}) as typeof process.stderr.write;

process.on("disconnect", () => process.exit(0));
let queue = Promise.resolve();
process.on("message", (request: SolvencyRequest) => {
  queue = queue.then(async () => {
    tail = "";
    partial = "";
    try {
      const code = await main(request.argv);
      send({ kind: "done", code, stderr: code === 0 ? "" : tail });
    } catch (error) {
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
      send({ kind: "done", code: 1, stderr: `${tail}\n${message}` });
    }
  });
});
send({ kind: "ready" });
