/**
 * A solvency bench worker (solvency.ts forks one per concurrent run): runs the simulation CLI's `main` for each
 * command line it is sent over IPC and answers with its exit status. One process serves many runs, so the chain's
 * one-time start (Hardhat reading the compiled contracts' build info for EDR: about 4 s) is paid once per worker,
 * not once per run. Installs the `.js` → `.ts` resolver, as the CLIs' entry points do.
 *
 * Messages: in, `{ argv }` per run (the process exits when the channel closes); out, `{ code }` per run, or
 * `{ error }` when a run threw past the CLI's own handling.
 */
const entry = (await import(new URL("../entry.ts", import.meta.url).href)) as typeof import("../entry.js");
entry.installTsResolver();

const { main } = (await import("./simulateCli.js")) as typeof import("./simulateCli.js");

process.on("disconnect", () => process.exit(0));
let queue = Promise.resolve();
process.on("message", (message: { argv: string[] }) => {
  queue = queue.then(async () => {
    try {
      process.send?.({ code: await main(message.argv) });
    } catch (error) {
      process.send?.({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    }
  });
});
process.send?.({ ready: true });
