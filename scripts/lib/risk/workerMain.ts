/**
 * Entry of a Monte Carlo worker process (pool.ts forks it): installs the `.js` → `.ts` resolver, as the CLIs' entry
 * points do, then serves jobs over the IPC channel (worker.ts).
 */
const entry = (await import(new URL("../entry.ts", import.meta.url).href)) as typeof import("../entry.js");
entry.installTsResolver();

const { serve } = (await import("./worker.js")) as typeof import("./worker.js");
await serve();
