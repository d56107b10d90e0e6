/**
 * Gas spent inside the calls a transaction makes to one contract, from the chain's own step trace
 * (`debug_traceTransaction`): for each call to `target`, the gas from the call instruction to the step after it returns,
 * so the call's own cost (a cold account, memory) is included with everything the callee and its own calls spent.
 * Used by the side-by-side bench to measure Morpho Blue's oracle inside its borrow and collateral withdrawal.
 */

/** One step of a `debug_traceTransaction` trace (memory and storage left out). */
interface TraceStep {
  op: string;
  gas: number;
  depth: number;
  stack?: string[];
}

/** What a JSON-RPC provider offers here: one raw request. */
export interface RawProvider {
  send(method: string, params: unknown[]): Promise<unknown>;
}

const CALLS = new Set(["CALL", "STATICCALL", "DELEGATECALL", "CALLCODE"]);

/** Gas transaction `hash` spent in calls to `target`, with their own calls (a call nested in one is not counted again). */
export async function gasInCallsTo(provider: RawProvider, hash: string, target: string): Promise<bigint> {
  const trace = (await provider.send("debug_traceTransaction", [
    hash,
    { disableMemory: true, disableStorage: true },
  ])) as { structLogs?: TraceStep[] };
  const steps = trace.structLogs;
  if (steps === undefined) throw new Error(`debug_traceTransaction gave no steps for ${hash}`);
  const want = BigInt(target);
  let total = 0n;
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i];
    const stack = step.stack ?? [];
    // The callee's address is the second word from the top of the stack for every call instruction.
    if (!CALLS.has(step.op) || stack.length < 2 || BigInt(stack[stack.length - 2]) !== want) continue;
    let after = i + 1;
    while (after < steps.length && steps[after].depth > step.depth) after++;
    if (after === steps.length) throw new Error(`the call to ${target} in ${hash} never returned`);
    total += BigInt(step.gas - steps[after].gas);
    i = after - 1;
  }
  return total;
}
