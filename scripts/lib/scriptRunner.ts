/**
 * How the Hardhat-run scripts (`npm run bench`, `npm run demo`, `npm run readback`) start and fail: `runScript` runs a
 * script's `main` and turns a failure into one line and exit status 1; `describeError` is that line (also used by the
 * simulation's CLI).
 */
import { isError } from "ethers";

/** One line a user can act on: the decoded custom error of a revert when there is one, else the first message line. */
export function describeError(error: unknown): string {
  if (isError(error, "CALL_EXCEPTION") && error.revert !== null) {
    return `transaction reverted with ${error.revert.name}(${error.revert.args.map(String).join(", ")})`;
  }
  if (error instanceof Error) {
    const message =
      "shortMessage" in error && typeof error.shortMessage === "string" ? error.shortMessage : error.message;
    return message.split("\n")[0].trim() || error.name;
  }
  return String(error);
}

/** Runs a script's `main`; on failure prints `<name> failed: <reason>` on one line and exits with status 1. */
export async function runScript(name: string, main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (error) {
    console.error(`${name} failed: ${describeError(error)}`);
    process.exit(1);
  }
}
