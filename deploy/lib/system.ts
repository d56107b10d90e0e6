/**
 * The Ignition modules that deploy and wire the whole Bulwark system from a parameter file, then hand it to a
 * timelock. Built by `buildSystem` for one source of external addresses (tokens and feeds): module parameters on a
 * live chain (`deploy/modules/Bulwark.ts`), or the mocks of `LocalDependencies` on a local one
 * (`deploy/modules/BulwarkLocal.ts`). Both builds use the same module ids, so one parameter layout and one read-back
 * (`npm run readback`) serve every network; see `scripts/lib/deployment.ts` for the parameters.
 *
 * Modules, in execution order (Ignition runs what is independent in parallel batches):
 *
 * 1. `BulwarkCore` — OracleAdapter, KinkedRateModel, the vault's four libraries (CollateralBook, LossLedger,
 *    LiquidationSettlement, VaultWiring) and CollateralVault linked to them, LiquidationEngine (+ vault.setLiquidationEngine),
 *    CircuitBreaker and WithdrawalQueue (+ vault.setCircuitBreaker), VolatilityOracle, RiskManager, Rebalancer
 *    (+ vault.setRiskModules), and VaultLens (stateless reads). Every Ownable2Step contract starts owned by the
 *    deployer (account 0).
 * 2. `BulwarkBase` — the base asset's price source (adapter.setAssetConfig) and breaker triggers (setAssetParams).
 * 3. `Bulwark<SYMBOL>` per collateral — price source, vault.listCollateral, breaker triggers, volatility tracking
 *    (setTracking) and adaptive risk (setAssetRisk).
 * 4. `Bulwark` — the TimelockController, the SecurityOps upkeep (Chainlink Automation) and the flash liquidator it is
 *    given (UniswapV3FlashLiquidator: deployed, offered to SecurityOps with transferOwnership, and taken with
 *    securityOps.setLiquidator; its proceeds go to the timelock, its pools are set later through the timelock), the
 *    first-loss Backstop (+ vault.linkBackstopAndShare) and its BackstopAllocator (+ backstop.setAllocator; no venue
 *    is allowed yet: venues are added later through the timelock), and the handover below. Returns every contract.
 *
 * Handover, in this one deployment, without waiting out the delay on a live chain:
 *
 * - The timelock is deployed with minDelay 0, proposers [deployer, proposer], executors [deployer, executor] and no
 *   admin (it administers itself).
 * - After every configuration call above, the deployer calls `transferOwnership(timelock)` on each of the ten
 *   Ownable2Step contracts (adapter, vault, engine, breaker, volatility oracle, risk manager, rebalancer,
 *   SecurityOps, backstop, allocator).
 * - The deployer then schedules (delay 0) and executes one batch in which the timelock calls `acceptOwnership` on
 *   each, `breaker.setGuardian(guardian)`, `updateDelay(minDelay)` on itself (2 days by default), and
 *   `revokeRole(PROPOSER_ROLE | EXECUTOR_ROLE | CANCELLER_ROLE, deployer)`. With delay 0 the batch is ready at once,
 *   so execution needs no known operation id: schedule and execute take the same arguments (predecessor and salt 0).
 *
 * When the batch has run, the timelock owns everything with nothing pending, only the configured proposer (who is also
 * canceller) and executor hold roles, and every later change waits `minDelay`. Before that, for the few blocks of the
 * deployment, the timelock's delay is 0: the configured proposer could also schedule something with no delay then.
 * The read-back reports any operation still pending that was scheduled below `minDelay`. The proposer and the
 * executor must not be the deployer (its roles are revoked); the read-back checks that the deployer holds none.
 *
 * Every transaction is sent by account 0 (`from` is set explicitly, so `--default-sender` does not split the
 * deployment between two accounts).
 */
import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import type {
  AddressResolvableFuture,
  ArgumentType,
  CallableContractFuture,
  EncodeFunctionCallFuture,
  IgnitionModule,
  IgnitionModuleBuilder,
  IgnitionModuleResult,
  ModuleParameterRuntimeValue,
  SolidityParameterType,
} from "@nomicfoundation/ignition-core";
import { ZeroAddress, ZeroHash } from "ethers";

import {
  COLLATERAL_SYMBOLS,
  MODULE_IDS,
  PARAMETER_DEFAULTS,
  TIMELOCK_ROLES,
  collateralModuleId,
} from "../../scripts/lib/deployment.js";

/** An address argument: a literal, a contract (or static call) future, or a module parameter. */
export type AddressArgument = string | AddressResolvableFuture | ModuleParameterRuntimeValue<string>;

/** Where the external addresses come from. Each function runs inside the module that needs the address. */
export interface AddressSource<ExtraT extends IgnitionModuleResult<string>> {
  /** The vault's base asset, in `BulwarkCore`. */
  baseToken(m: IgnitionModuleBuilder): AddressArgument;
  /** The base asset's primary feed, in `BulwarkBase`. */
  baseFeed(m: IgnitionModuleBuilder): AddressArgument;
  /** A collateral's token and primary feed, in `Bulwark<SYMBOL>`. */
  collateral(m: IgnitionModuleBuilder, symbol: string): { token: AddressArgument; feed: AddressArgument };
  /** Extra contracts the top module returns (the local mocks; none on a live chain). */
  results(m: IgnitionModuleBuilder): ExtraT;
}

/** A parameter of the current module, typed as Ignition passes it through to the contract. */
const param = (m: IgnitionModuleBuilder, name: string, fallback?: SolidityParameterType) =>
  m.getParameter<SolidityParameterType>(name, fallback);

/** Live chains: every external address is a parameter (`baseToken`; `feed`; `token` and `feed`). */
export const PARAMETER_ADDRESSES: AddressSource<Record<never, never>> = {
  baseToken: (m) => m.getParameter<string>("baseToken"),
  baseFeed: (m) => m.getParameter<string>("feed"),
  collateral: (m) => ({ token: m.getParameter<string>("token"), feed: m.getParameter<string>("feed") }),
  results: () => ({}),
};

/** OracleAdapter.AssetConfigInput for the current asset module's parameters, over `feed`. */
function oracleConfig(m: IgnitionModuleBuilder, feed: AddressArgument): ArgumentType {
  return {
    primary: feed,
    primaryHeartbeat: param(m, "heartbeat"),
    secondary: param(m, "secondaryFeed", PARAMETER_DEFAULTS.secondaryFeed),
    secondaryHeartbeat: param(m, "secondaryHeartbeat", PARAMETER_DEFAULTS.secondaryHeartbeat),
    minPrice: param(m, "minPrice"),
    maxPrice: param(m, "maxPrice"),
    maxDeviation: param(m, "maxDeviation"),
    maxJump: param(m, "maxJump"),
    jumpWindow: param(m, "jumpWindow"),
  };
}

/** Builds the whole module tree for one address source and returns the top module, `Bulwark`. */
export function buildSystem<ExtraT extends IgnitionModuleResult<string>>(addresses: AddressSource<ExtraT>) {
  const core = buildModule(MODULE_IDS.core, (m) => {
    const deployer = m.getAccount(0);
    const tx = { from: deployer };
    const adapter = m.contract(
      "OracleAdapter",
      [
        deployer,
        param(m, "sequencerFeed", PARAMETER_DEFAULTS.sequencerFeed),
        param(m, "sequencerGrace", PARAMETER_DEFAULTS.sequencerGrace),
        param(m, "stalenessGrace"),
      ],
      tx,
    );
    const rateModel = m.contract(
      "KinkedRateModel",
      [param(m, "baseApr"), param(m, "slope1Apr"), param(m, "slope2Apr"), param(m, "kink")],
      tx,
    );
    const libraries = {
      CollateralBook: m.library("CollateralBook", tx),
      LossLedger: m.library("LossLedger", tx),
      LiquidationSettlement: m.library("LiquidationSettlement", tx),
      VaultWiring: m.library("VaultWiring", tx),
    };
    const vault = m.contract(
      "CollateralVault",
      [
        addresses.baseToken(m),
        param(m, "vaultName"),
        param(m, "vaultSymbol"),
        adapter,
        rateModel,
        param(m, "reserveFactor"),
        param(m, "borrowCap"),
        deployer,
      ],
      { ...tx, libraries },
    );
    const engine = m.contract("LiquidationEngine", [vault, param(m, "engineParams"), deployer], tx);
    m.call(vault, "setLiquidationEngine", [engine], tx);
    const breaker = m.contract(
      "CircuitBreaker",
      [vault, param(m, "breakerParams"), param(m, "defaultTriggers"), deployer],
      tx,
    );
    const queue = m.contract("WithdrawalQueue", [vault], tx);
    m.call(vault, "setCircuitBreaker", [breaker, queue], tx);
    const volatility = m.contract("VolatilityOracle", [adapter, deployer], tx);
    const riskManager = m.contract("RiskManager", [vault, volatility, param(m, "riskParams"), deployer], tx);
    const rebalancer = m.contract("Rebalancer", [vault, deployer], tx);
    m.call(vault, "setRiskModules", [riskManager, rebalancer], tx);
    const lens = m.contract("VaultLens", [], tx);
    return { adapter, rateModel, vault, engine, breaker, queue, volatility, riskManager, rebalancer, lens };
  });

  const base = buildModule(MODULE_IDS.base, (m) => {
    const tx = { from: m.getAccount(0) };
    const { adapter, vault, breaker } = m.useModule(core);
    const token = m.staticCall(vault, "asset", [], 0, { id: "baseToken" });
    m.call(adapter, "setAssetConfig", [token, oracleConfig(m, addresses.baseFeed(m))], tx);
    m.call(breaker, "setAssetParams", [token, param(m, "triggers")], tx);
    return {};
  });

  const collaterals: IgnitionModule[] = COLLATERAL_SYMBOLS.map((symbol) =>
    buildModule(collateralModuleId(symbol), (m) => {
      const tx = { from: m.getAccount(0) };
      const { adapter, vault, breaker, volatility, riskManager } = m.useModule(core);
      const { token, feed } = addresses.collateral(m, symbol);
      m.call(adapter, "setAssetConfig", [token, oracleConfig(m, feed)], tx);
      // The breaker and the risk manager accept only assets the vault lists.
      const listed = m.call(vault, "listCollateral", [token, param(m, "collateral")], tx);
      m.call(breaker, "setAssetParams", [token, param(m, "triggers")], { ...tx, after: [listed] });
      m.call(volatility, "setTracking", [token, param(m, "tracking")], tx);
      m.call(riskManager, "setAssetRisk", [token, param(m, "risk")], { ...tx, after: [listed] });
      return {};
    }),
  );

  return buildModule(MODULE_IDS.governance, (m) => {
    const deployer = m.getAccount(0);
    const tx = { from: deployer };
    const contracts = m.useModule(core);
    m.useModule(base);
    for (const module of collaterals) m.useModule(module);
    const configured = [core, base, ...collaterals];

    const timelock = m.contract(
      "TimelockController",
      [0n, [deployer, param(m, "proposer")], [deployer, param(m, "executor")], ZeroAddress],
      tx,
    );

    const { adapter, vault, engine, breaker, volatility, riskManager, rebalancer } = contracts;
    // The upkeep: its liquidation proceeds go to the timelock (the treasury that funds it). It is given its flash
    // liquidator, which it must own: the deployer offers it, and setLiquidator takes it.
    const securityOps = m.contract(
      "SecurityOps",
      [vault, engine, volatility, param(m, "securityOps"), timelock, deployer],
      { ...tx, after: configured },
    );
    const baseToken = m.staticCall(vault, "asset", [], 0, { id: "liquidatorBaseToken" });
    const liquidator = m.contract("UniswapV3FlashLiquidator", [engine, vault, baseToken, deployer], tx);
    const offered = m.call(liquidator, "transferOwnership", [securityOps], {
      ...tx,
      id: "liquidator_transferOwnership",
    });
    const given = m.call(securityOps, "setLiquidator", [liquidator], { ...tx, after: [offered] });
    // The first-loss backstop (issue 26), linked to the vault, and its allocator (no venue allowed yet).
    const backstop = m.contract(
      "Backstop",
      [
        vault,
        param(m, "backstopName"),
        param(m, "backstopSymbol"),
        deployer,
        param(m, "backstopCooldown"),
        param(m, "backstopWindow"),
      ],
      { ...tx, after: configured },
    );
    const linked = m.call(vault, "linkBackstopAndShare", [backstop, param(m, "backstopIncomeShare")], tx);
    const allocator = m.contract(
      "BackstopAllocator",
      [backstop, deployer, param(m, "allocatorAgent"), param(m, "allocatorMinIdleShare")],
      tx,
    );
    const allocatorSet = m.call(backstop, "setAllocator", [allocator], tx);
    const owned: Record<string, CallableContractFuture<string>> = {
      adapter,
      vault,
      engine,
      breaker,
      volatility,
      riskManager,
      rebalancer,
      securityOps,
      backstop,
      allocator,
    };
    const transfers = Object.entries(owned).map(([name, contract]) =>
      m.call(contract, "transferOwnership", [timelock], {
        ...tx,
        id: `${name}_transferOwnership`,
        after: [...configured, given, linked, allocatorSet],
      }),
    );

    const targets: CallableContractFuture<string>[] = [];
    const payloads: EncodeFunctionCallFuture<string, string>[] = [];
    for (const [name, contract] of Object.entries(owned)) {
      targets.push(contract);
      payloads.push(m.encodeFunctionCall(contract, "acceptOwnership", [], { id: `${name}_acceptOwnership` }));
    }
    targets.push(breaker);
    payloads.push(m.encodeFunctionCall(breaker, "setGuardian", [param(m, "guardian")], { id: "breaker_setGuardian" }));
    targets.push(timelock);
    payloads.push(
      m.encodeFunctionCall(timelock, "updateDelay", [param(m, "minDelay", PARAMETER_DEFAULTS.minDelay)], {
        id: "timelock_updateDelay",
      }),
    );
    for (const role of ["PROPOSER_ROLE", "EXECUTOR_ROLE", "CANCELLER_ROLE"] as const) {
      targets.push(timelock);
      payloads.push(
        m.encodeFunctionCall(timelock, "revokeRole", [TIMELOCK_ROLES[role], deployer], {
          id: `timelock_revoke_${role}`,
        }),
      );
    }
    const values = targets.map(() => 0n);
    const scheduled = m.call(timelock, "scheduleBatch", [targets, values, payloads, ZeroHash, ZeroHash, 0n], {
      ...tx,
      id: "handover_schedule",
      after: transfers,
    });
    m.call(timelock, "executeBatch", [targets, values, payloads, ZeroHash, ZeroHash], {
      ...tx,
      id: "handover_execute",
      after: [scheduled],
    });

    return { timelock, securityOps, liquidator, backstop, allocator, ...contracts, ...addresses.results(m) };
  });
}
