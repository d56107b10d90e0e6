/**
 * Talking to an RPC that fails now and then: which errors are worth retrying, capped exponential backoff, and error
 * messages a user can act on (custom errors decoded against every Bulwark contract's ABI, wherever they were raised).
 */
import { AbiCoder, ErrorFragment, Interface, dataSlice, isError, type InterfaceAbi } from "ethers";

import {
  CircuitBreaker__factory,
  CollateralVault__factory,
  LiquidationEngine__factory,
  OracleAdapter__factory,
  Rebalancer__factory,
  RiskManager__factory,
  UniswapV3FlashLiquidator__factory,
  VolatilityOracle__factory,
  WithdrawalQueue__factory,
} from "../../../typechain-types/index.js";

export interface RetryPolicy {
  /** Tries per call, the first included (≥ 1). */
  attempts: number;
  /** Delay before the first retry; doubles on each retry. */
  baseDelayMs: number;
  /** Cap on any one delay. */
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 250, maxDelayMs: 10_000 };

/** `base × 2^(n − 1)`, capped at `max`: the delay after the n-th consecutive failure (n ≥ 1). */
export function backoffDelay(failures: number, baseMs: number, maxMs: number): number {
  if (failures <= 0) return 0;
  return Math.min(maxMs, baseMs * 2 ** Math.min(failures - 1, 30));
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted === true || ms <= 0) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

const TRANSIENT_TEXT =
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EAI_AGAIN|ENOTFOUND|socket hang up|fetch failed|network|timeout|timed out|rate limit|too many requests|\b429\b|\b50[234]\b|header not found|missing trie node/i;

/**
 * Whether `error` may go away on its own (a dropped connection, a timeout, an overloaded node) rather than say
 * something about the call (a revert, a bad argument, no funds): only those are retried.
 */
export function isTransientError(error: unknown): boolean {
  if (isError(error, "CALL_EXCEPTION") || isError(error, "INSUFFICIENT_FUNDS") || isError(error, "INVALID_ARGUMENT")) {
    return false;
  }
  if (isError(error, "NETWORK_ERROR") || isError(error, "TIMEOUT") || isError(error, "SERVER_ERROR")) return true;
  if (error instanceof Error) {
    const cause = (error as Error & { cause?: unknown }).cause;
    return TRANSIENT_TEXT.test(error.message) || (cause !== undefined && cause !== error && isTransientError(cause));
  }
  return false;
}

/**
 * Runs `call`, retrying transient errors with capped exponential backoff; `onRetry` hears of each retry. Throws the
 * last error when the attempts run out, and at once on an error that is not transient.
 */
export async function withRetry<T>(
  call: () => Promise<T>,
  policy: RetryPolicy,
  onRetry?: (attempt: number, delayMs: number, error: unknown) => void,
  wait: (ms: number) => Promise<void> = sleep,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (attempt >= policy.attempts || !isTransientError(error)) throw error;
      const delay = backoffDelay(attempt, policy.baseDelayMs, policy.maxDelayMs);
      onRetry?.(attempt, delay, error);
      await wait(delay);
    }
  }
}

// ------------------------------------------------------------------------------------------------ error messages

/** Every custom error of the contracts a keeper calls, by selector (a revert bubbles up from any of them). */
const KNOWN_ERRORS: Interface = (() => {
  const abis: InterfaceAbi[] = [
    CollateralVault__factory.abi,
    LiquidationEngine__factory.abi,
    CircuitBreaker__factory.abi,
    WithdrawalQueue__factory.abi,
    OracleAdapter__factory.abi,
    VolatilityOracle__factory.abi,
    RiskManager__factory.abi,
    Rebalancer__factory.abi,
    UniswapV3FlashLiquidator__factory.abi,
  ];
  const bySelector = new Map<string, ErrorFragment>();
  for (const abi of abis) {
    new Interface(abi).forEachError((fragment) => bySelector.set(fragment.selector, fragment));
  }
  return new Interface([...bySelector.values()]);
})();

/** Revert data carried by `error`, wherever ethers or the provider put it. */
export function revertData(error: unknown, depth = 0): string | undefined {
  if (depth > 4 || error === null || typeof error !== "object") return undefined;
  const record = error as Record<string, unknown>;
  const data = record.data;
  if (typeof data === "string" && /^0x[0-9a-f]{8}/i.test(data)) return data;
  if (data !== null && typeof data === "object") {
    const nested = revertData(data, depth + 1);
    if (nested !== undefined) return nested;
  }
  for (const key of ["error", "info", "cause"]) {
    const nested = revertData(record[key], depth + 1);
    if (nested !== undefined) return nested;
  }
  return undefined;
}

/** `Name(arg, …)` for a revert's data, or undefined when it is none of the errors we know. */
export function decodeRevert(data: string): string | undefined {
  const selector = dataSlice(data, 0, 4);
  try {
    if (selector === "0x08c379a0")
      return `Error(${JSON.stringify(AbiCoder.defaultAbiCoder().decode(["string"], dataSlice(data, 4))[0])})`;
    if (selector === "0x4e487b71")
      return `Panic(${AbiCoder.defaultAbiCoder().decode(["uint256"], dataSlice(data, 4))[0]})`;
    const parsed = KNOWN_ERRORS.parseError(data);
    if (parsed === null) return undefined;
    return `${parsed.name}(${parsed.args.map((arg: unknown) => String(arg)).join(", ")})`;
  } catch {
    return undefined;
  }
}

/**
 * One line a user can act on: the decoded custom error of a revert (`reverted: NotLiquidatable(0x…, 1050…)`), or the
 * provider's short message.
 */
export function describeError(error: unknown): string {
  const data = revertData(error);
  if (data !== undefined) {
    const decoded = decodeRevert(data);
    if (decoded !== undefined) return `reverted: ${decoded}`;
  }
  if (isError(error, "BAD_DATA") && error.value === "0x") {
    return "a contract call returned no data: is the contract deployed on this chain (a restarted node, another chain)?";
  }
  if (isError(error, "CALL_EXCEPTION")) {
    if (error.revert !== null) return `reverted: ${error.revert.name}(${error.revert.args.map(String).join(", ")})`;
    if (error.reason !== null) return `reverted: ${error.reason}`;
    return data === undefined ? "reverted without a reason" : `reverted with unknown error data ${data}`;
  }
  if (error instanceof Error) {
    const short = (error as Error & { shortMessage?: unknown }).shortMessage;
    const message = typeof short === "string" ? short : error.message;
    return message.split("\n")[0].trim() || error.name;
  }
  return String(error);
}

/** The name of the custom error a revert carried (`NotLiquidatable`), if any: for decisions, not display. */
export function revertName(error: unknown): string | undefined {
  const data = revertData(error);
  if (data === undefined) return undefined;
  const decoded = decodeRevert(data);
  return decoded?.slice(0, decoded.indexOf("("));
}
