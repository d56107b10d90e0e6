/**
 * Bounded governance: OpenZeppelin's TimelockController owns every Ownable2Step contract of a market, one
 * proposer schedules, one executor executes after `minDelay`, and nobody holds the timelock's admin role (the
 * timelock administers itself, so even its own roles and delay change only through a delayed operation). The
 * circuit breaker's guardian is set through the timelock too: it can restrict, never configure.
 *
 * Also: helpers to run operations through the timelock (`scheduleBatch`, `executeBatch`, and for tests
 * `timelockBatch` / `timelockCall`, which advance the clock by the delay), and to audit who may call what
 * (`mutatingFunctions`, `zeroArgs`, `revertName`: probe every state-changing function of an ABI from any address).
 */
import type { HardhatEthers, HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import type { Time } from "@nomicfoundation/hardhat-network-helpers/types";
import {
  type AddressLike,
  type BaseContract,
  type BytesLike,
  type ContractTransactionResponse,
  type ParamType,
  type Signer,
  FunctionFragment,
  hexlify,
  resolveAddress,
  toBeHex,
  ZeroAddress,
  ZeroHash,
  zeroPadValue,
} from "ethers";

import type {
  CircuitBreaker,
  CollateralVault,
  LiquidationEngine,
  OracleAdapter,
  Rebalancer,
  RiskManager,
  TimelockController,
  VolatilityOracle,
} from "../../typechain-types/index.js";
import type { RiskModules } from "./risk.js";

/** Default timelock delay: two days, long enough for users to leave before a change takes effect. */
export const DEFAULT_MIN_DELAY = 2n * 24n * 60n * 60n;

/** One call the timelock makes: `target` receives `data` (and `value` wei, 0 by default). */
export interface TimelockCall {
  target: AddressLike;
  data: BytesLike;
  value?: bigint;
}

/** A scheduled batch, everything `executeBatch` needs to run it. */
export interface ScheduledBatch {
  id: string;
  targets: string[];
  values: bigint[];
  payloads: string[];
  predecessor: string;
  salt: string;
}

/** What advances the chain's clock: the network helpers' `time` in tests. */
export interface TimeTravel {
  time: Pick<Time, "increase">;
}

/** The Ownable2Step contracts of a market that governance takes over (the adapter only in the Chainlink flavour). */
export interface GovernedMarket {
  vault: CollateralVault;
  engine: LiquidationEngine;
  breaker: CircuitBreaker;
  adapter?: OracleAdapter;
  /** The adaptive-risk modules (volatility oracle, risk manager, rebalancer), when deployed. */
  risk?: RiskModules;
  /** Their current owner, who starts the handover. */
  owner: HardhatEthersSigner;
}

/** Roles and delay of the timelock `deployGovernance` deploys. */
export interface GovernanceOptions {
  /** Seconds between scheduling and executing; DEFAULT_MIN_DELAY (2 days) by default. */
  minDelay?: bigint;
  /** The only account that may schedule (and cancel) operations. */
  proposer: HardhatEthersSigner;
  /** The only account that may execute ready operations. */
  executor: HardhatEthersSigner;
  /** The circuit breaker's guardian (it can only `guardianTrip`); left unset when omitted. */
  guardian?: HardhatEthersSigner;
  /**
   * Waits out the delay during the handover. By default `evm_increaseTime` + `evm_mine`, which only a simulated
   * network supports: on a live network pass a function that waits `seconds` of real time.
   */
  wait?: (seconds: bigint) => Promise<void>;
}

/** A deployed governance: the timelock and helpers to run operations through it. */
export interface Governance {
  timelock: TimelockController;
  minDelay: bigint;
  proposer: HardhatEthersSigner;
  executor: HardhatEthersSigner;
  /** The contracts the timelock owns, in handover order. */
  owned: Array<
    CollateralVault | LiquidationEngine | CircuitBreaker | OracleAdapter | VolatilityOracle | RiskManager | Rebalancer
  >;
  /** Schedules `calls` as one batch (by the proposer, with the minimum delay). */
  schedule(calls: readonly TimelockCall[]): Promise<ScheduledBatch>;
  /** Executes a scheduled batch (by the executor); reverts unless its delay has passed. */
  execute(batch: ScheduledBatch): Promise<ContractTransactionResponse>;
  /** Schedules `calls`, waits the delay with `wait`, and executes them. */
  run(calls: readonly TimelockCall[]): Promise<ContractTransactionResponse>;
}

let saltNonce = 0n;

/** A salt never used before in this process: the same operation may then be scheduled again. */
export function nextSalt(): string {
  saltNonce += 1n;
  return zeroPadValue(toBeHex(saltNonce), 32);
}

/** Schedules `calls` as one batch on `timelock` from `proposer`, with the timelock's minimum delay. */
export async function scheduleBatch(
  timelock: TimelockController,
  proposer: Signer,
  calls: readonly TimelockCall[],
): Promise<ScheduledBatch> {
  const targets = await Promise.all(calls.map((call) => resolveAddress(call.target)));
  const values = calls.map((call) => call.value ?? 0n);
  const payloads = calls.map((call) => hexlify(call.data));
  const salt = nextSalt();
  const delay = await timelock.getMinDelay();
  await (await timelock.connect(proposer).scheduleBatch(targets, values, payloads, ZeroHash, salt, delay)).wait();
  const id = await timelock.hashOperationBatch(targets, values, payloads, ZeroHash, salt);
  return { id, targets, values, payloads, predecessor: ZeroHash, salt };
}

/** Executes a batch scheduled by `scheduleBatch`, from `executor`. */
export function executeBatch(
  timelock: TimelockController,
  executor: Signer,
  batch: ScheduledBatch,
): Promise<ContractTransactionResponse> {
  return timelock
    .connect(executor)
    .executeBatch(batch.targets, batch.values, batch.payloads, batch.predecessor, batch.salt);
}

/**
 * For tests: schedules `calls` (one batch) from `proposer`, advances the clock by the timelock's delay, and
 * executes them from `executor` (the proposer by default). The returned promise rejects as the execution does, so
 * `expect(timelockBatch(...)).to.be.revertedWithCustomError(target, "Error")` sees the target's own error.
 */
export async function timelockBatch(
  timelock: TimelockController,
  proposer: Signer,
  calls: readonly TimelockCall[],
  networkHelpers: TimeTravel,
  executor: Signer = proposer,
): Promise<ContractTransactionResponse> {
  const batch = await scheduleBatch(timelock, proposer, calls);
  await networkHelpers.time.increase(await timelock.getMinDelay());
  return executeBatch(timelock, executor, batch);
}

/** `timelockBatch` for one call of `calldata` on `target`. */
export function timelockCall(
  timelock: TimelockController,
  proposer: Signer,
  target: AddressLike,
  calldata: BytesLike,
  networkHelpers: TimeTravel,
  executor: Signer = proposer,
): Promise<ContractTransactionResponse> {
  return timelockBatch(timelock, proposer, [{ target, data: calldata }], networkHelpers, executor);
}

/**
 * Deploys a TimelockController (`minDelay`, proposers = [proposer], executors = [executor], admin = address(0)),
 * hands the market's vault, engine, breaker, adapter and risk modules (when there are) over to it with Ownable2Step — the
 * current owner calls `transferOwnership(timelock)`, then one timelock batch accepts every transfer and sets the
 * breaker's guardian — and checks that the timelock owns them all with nothing pending.
 */
export async function deployGovernance(
  ethers: HardhatEthers,
  market: GovernedMarket,
  options: GovernanceOptions,
): Promise<Governance> {
  const minDelay = options.minDelay ?? DEFAULT_MIN_DELAY;
  const { proposer, executor } = options;
  const wait =
    options.wait ??
    (async (seconds: bigint): Promise<void> => {
      await ethers.provider.send("evm_increaseTime", [toBeHex(seconds)]);
      await ethers.provider.send("evm_mine", []);
    });
  const timelock = await ethers.deployContract("TimelockController", [
    minDelay,
    [proposer.address],
    [executor.address],
    ZeroAddress,
  ]);
  await timelock.waitForDeployment();
  const timelockAddress = await timelock.getAddress();

  const owned: Governance["owned"] = [market.vault, market.engine, market.breaker];
  if (market.adapter !== undefined) owned.push(market.adapter);
  if (market.risk !== undefined) owned.push(market.risk.volatility, market.risk.riskManager, market.risk.rebalancer);

  const schedule = (calls: readonly TimelockCall[]): Promise<ScheduledBatch> =>
    scheduleBatch(timelock, proposer, calls);
  const execute = (batch: ScheduledBatch): Promise<ContractTransactionResponse> =>
    executeBatch(timelock, executor, batch);
  const run = async (calls: readonly TimelockCall[]): Promise<ContractTransactionResponse> => {
    const batch = await schedule(calls);
    await wait(minDelay);
    return execute(batch);
  };

  const accepts: TimelockCall[] = [];
  for (const contract of owned) {
    await (await contract.connect(market.owner).transferOwnership(timelockAddress)).wait();
    accepts.push({ target: contract, data: contract.interface.encodeFunctionData("acceptOwnership") });
  }
  if (options.guardian !== undefined) {
    accepts.push({
      target: market.breaker,
      data: market.breaker.interface.encodeFunctionData("setGuardian", [options.guardian.address]),
    });
  }
  await (await run(accepts)).wait();

  for (const contract of owned) {
    const [owner, pending] = [await contract.owner(), await contract.pendingOwner()];
    if (owner !== timelockAddress || pending !== ZeroAddress) {
      throw new Error(`handover failed for ${await contract.getAddress()}: owner ${owner}, pending ${pending}`);
    }
  }
  return { timelock, minDelay, proposer, executor, owned, schedule, execute, run };
}

// ----------------------------------------------------------------------------------------------- auditing who may call

/** Every state-changing function (neither view nor pure) of `contract`'s ABI. */
export function mutatingFunctions(contract: BaseContract): FunctionFragment[] {
  return contract.interface.fragments.filter(FunctionFragment.isFunction).filter((fn) => !fn.constant);
}

/** A well-formed zero value of an ABI type. */
function zeroOf(p: ParamType): unknown {
  if (p.isArray()) return p.arrayLength < 0 ? [] : Array.from({ length: p.arrayLength }, () => zeroOf(p.arrayChildren));
  if (p.isTuple()) return p.components.map(zeroOf);
  if (p.baseType === "address") return ZeroAddress;
  if (p.baseType === "bool") return false;
  if (p.baseType === "string") return "";
  if (p.baseType === "bytes") return "0x";
  if (p.baseType.startsWith("bytes")) return zeroPadValue("0x", Number(p.baseType.slice(5)));
  return 0n;
}

/** Well-formed zero arguments for `fn`: enough to probe who may call it (an access check runs before the body). */
export function zeroArgs(fn: FunctionFragment): unknown[] {
  return fn.inputs.map(zeroOf);
}

/**
 * The custom error (by name, decoded with `contract`'s ABI) that a static call of `fn(...args)` from `caller` reverts
 * with; "revert" when the revert cannot be decoded, null when the call would succeed. Sends nothing.
 */
export async function revertName(
  contract: BaseContract,
  caller: Signer,
  fn: string,
  args: readonly unknown[],
): Promise<string | null> {
  try {
    const method = contract.connect(caller).getFunction(fn);
    await method.staticCall(...args);
    return null;
  } catch (error) {
    // ethers' CallExceptionError and Hardhat's SolidityError carry the revert data as `data`; when Hardhat cannot
    // place the revert in a contract's source map (it happens with code compiled through the IR pipeline) its error
    // carries it one level down, as `data.data`.
    const outer: unknown = error instanceof Error && "data" in error ? error.data : undefined;
    const inner: unknown = typeof outer === "object" && outer !== null && "data" in outer ? outer.data : undefined;
    const data = typeof outer === "string" ? outer : inner;
    return typeof data === "string" ? (contract.interface.parseError(data)?.name ?? "revert") : "revert";
  }
}
