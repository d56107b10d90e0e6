/**
 * The keeper library: account selection (pure), the account index and snapshot reader, the Keeper itself, its log
 * and its RPC helpers. `scripts/keeper.ts` is the CLI; the crash simulation uses the same pieces in process.
 */
export * from "./selection.js";
export * from "./accounts.js";
export * from "./keeper.js";
export * from "./log.js";
export * from "./rpc.js";
