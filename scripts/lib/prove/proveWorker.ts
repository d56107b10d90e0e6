/**
 * Entry of a proof worker process (pool.ts forks it): installs the `.js` → `.ts` resolver, as the CLIs' entry points
 * do, then checks each harness it is sent with the model checker and sends back the file's run. The checker is
 * synchronous (solc-js calls z3 through a callback), so files run in parallel only in separate processes.
 */
const entry = (await import(new URL("../entry.ts", import.meta.url).href)) as typeof import("../entry.js");
entry.installTsResolver();

const { checkFile } = (await import("./prover.js")) as typeof import("./prover.js");
const { HARNESS_FILES, checkOptionsOf } = (await import("./properties.js")) as typeof import("./properties.js");
type Request = import("./pool.js").ProveJob & { id: number };

process.on("message", (request: Request | "stop") => {
  if (request === "stop") process.exit(0);
  try {
    const harness = HARNESS_FILES.find((f) => f.file === request.file);
    if (harness === undefined) throw new Error(`${request.file} is not in the catalogue`);
    const options = { ...checkOptionsOf(harness), ...(request.source === undefined ? {} : { source: request.source }) };
    const run = checkFile(request.root, request.file, request.timeout, options);
    process.send?.({ id: request.id, run });
  } catch (error) {
    process.send?.({ id: request.id, error: error instanceof Error ? error.message : String(error) });
  }
});
process.send?.("ready");
