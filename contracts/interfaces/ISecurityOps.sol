// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ILiquidationEngine} from "./ILiquidationEngine.sol";
import {IUpkeepLiquidator} from "./IUpkeepLiquidator.sol";

/// @title ISecurityOps
/// @notice Every defensive action of one Bulwark market as a Chainlink Automation upkeep: `checkUpkeep` (simulated
///         off chain) finds the work due and encodes it as a `Work`; `performUpkeep` re-validates each item on chain
///         and does only what is still due, so stale or forged `performData` can do nothing anyone could not do
///         anyway, and a call with nothing valid in it reverts. The same contract serves a log-triggered upkeep
///         (`checkLog` on the vault's `Borrowed` events), which is how accounts enter the scanned registry.
/// @dev Work kinds, and what makes each one due (checked again in `performUpkeep`):
///      - track: an account with at least `minDebt` of debt not yet in the registry;
///      - liquidations: a liquidatable account, seizing the collateral the engine would repay most debt for, among
///        those the upkeep's flash liquidator has a pool for; executed as one flash-liquidation batch that needs no
///        capital (failures are skipped by the engine);
///      - flags: a liquidatable account nobody can flash-liquidate here and not yet flagged: the flag starts its
///        bonus ramp (drawing outside liquidators) and provisions its certain loss;
///      - pokes: a breaker entry whose poke would change its reasons, level or stopped actions, or that this
///        contract has not poked for `pokeInterval` (the price-fall reference needs regular samples);
///      - volatility: an asset whose volatility sample is due; its caps are synced right after;
///      - syncs: a collateral whose caps in the vault differ from what the risk manager computes now;
///      - syncReserves: the reserve-factor boost in the vault differs from what the reserves call for;
///      - rebalances: protocol-owned collateral due for a chunk sale;
///      - prune: a registered account that owes nothing, or less than `minDebt` and is not liquidatable (never due on
///        its own).
///      `checkUpkeep` does not revert for want of gas or for one failing read: it finds the asset work first, then
///      examines registered accounts while gas lasts (keeping SCAN_GAS_RESERVE back to return), each read given only
///      the gas above that reserve, and returns what it found; the order it examines a window in starts at an offset
///      that changes with every visit, so a check cut short still reaches every account over time. It adds an item
///      only while the perform's estimated gas stays within PERFORM_GAS_BUDGET (an item alone always joins).
///      Liquidation proceeds (the bonus, in the base asset) collect in the flash liquidator and are swept by anyone
///      to `proceedsRecipient`. A sandwich around an upkeep's swap can take at most the liquidator's
///      SALE_TOLERANCE of what it sells: the liquidator reverts unless the sale covers the debt repaid and returns
///      at least the oracle value less that tolerance (issue 19, property 11); the borrower's seizure is priced by
///      the oracle.
interface ISecurityOps {
    /// @notice What one upkeep does; every list is re-validated item by item in `performUpkeep`.
    struct Work {
        address[] track;
        ILiquidationEngine.Order[] liquidations;
        address[] flags;
        address[] pokes;
        address[] volatility;
        address[] syncs;
        bool syncReserves;
        address[] rebalances;
        address[] prune;
    }

    /// @notice Governance-set limits, each inside the hard-coded bounds of the implementation.
    /// @param scanSize Registered accounts one `checkUpkeep` examines (a window that rotates with the block number).
    /// @param maxLiquidations Liquidations in one upkeep: bounds `performUpkeep`'s gas.
    /// @param pokeInterval Seconds after which an entry is poked even if nothing would change.
    /// @param minDebt Base units: an account with less debt is not registered, and a registered one is pruned. Each
    ///        entry in the scanned registry then costs its owner that much debt, with collateral and interest behind
    ///        it, rather than one wei (issue 19, property 10); below it a liquidation is not worth a keeper's gas.
    struct Config {
        uint32 scanSize;
        uint32 maxLiquidations;
        uint32 pokeInterval;
        uint128 minDebt;
    }

    /// @notice The kinds of work, as events name them.
    enum Kind {
        TRACK,
        LIQUIDATE,
        FLAG,
        POKE,
        VOLATILITY,
        SYNC,
        SYNC_RESERVES,
        REBALANCE,
        PRUNE
    }

    // ----------------------------------------------------------------- errors

    /// @notice Thrown when `performUpkeep` finds nothing in `performData` that is still due.
    error NothingToPerform();
    /// @notice Thrown when a list in `performData` is longer than its bound.
    error WorkTooLarge(Kind kind, uint256 length, uint256 max);
    /// @notice Thrown when a parameter is outside its hard-coded bounds.
    error ParameterOutOfBounds(bytes32 name, uint256 value, uint256 min, uint256 max);
    /// @notice Thrown when `checkData` is neither empty nor an index range `(from, to)` with from < to.
    error BadCheckData();
    /// @notice Thrown when an address that must be set is zero.
    error ZeroAddress();
    /// @notice Thrown when anyone but this contract calls its poke probe.
    error OnlySelf(address caller);
    /// @notice The poke probe's result, always raised (the probe never keeps its poke).
    error PokeProbe(bool changes);
    /// @notice Thrown by `renounceOwnership`: governance can be handed over, never abandoned.
    error RenounceDisabled();
    /// @notice Thrown when too little gas is left for an item: a low gas limit reverts the upkeep, never skips work.
    error UpkeepOutOfGas();
    /// @notice Thrown by `sweep` and `setLiquidationPool` before a flash liquidator is set.
    error NoLiquidator();

    // ----------------------------------------------------------------- events

    /// @notice Emitted at the end of every `performUpkeep`: how many items were done and how many were skipped
    ///         as no longer due.
    event UpkeepPerformed(address indexed caller, uint256 done, uint256 skipped);
    /// @notice Emitted for each item of `performData` that was not due (stale or forged).
    event WorkSkipped(Kind indexed kind, address indexed subject);
    /// @notice Emitted when a due action was attempted and reverted; the upkeep goes on.
    event WorkFailed(Kind indexed kind, address indexed subject, bytes reason);
    /// @notice Emitted when an account enters the registry.
    event AccountTracked(address indexed account);
    /// @notice Emitted when an account leaves the registry (no debt).
    event AccountPruned(address indexed account);
    /// @notice Emitted when governance changes the limits.
    event ConfigSet(Config config);
    /// @notice Emitted when governance sets the pool the upkeep's flash liquidator sells `collateral` in.
    event LiquidationPoolSet(address indexed collateral, address indexed pool);
    /// @notice Emitted when liquidation proceeds are swept to `proceedsRecipient`.
    event ProceedsSwept(address indexed token, uint256 amount);
    /// @notice Emitted when governance gives the upkeep its flash liquidator (this contract now owns it).
    event LiquidatorSet(address indexed liquidator);

    // ----------------------------------------------------------------- permissionless

    /// @notice Adds each account with at least `minDebt` of debt that is not registered yet; others are ignored. Anyone (keepers, the log
    ///         upkeep) may call it; at most MAX_TRACK accounts per call.
    /// @return added How many accounts entered the registry.
    function track(address[] calldata accounts) external returns (uint256 added);

    /// @notice Removes `account` from the registry if it owes nothing, or less than `minDebt` while not liquidatable
    ///         (no-op otherwise). Anyone may call it.
    /// @return removed Whether it was removed.
    function prune(address account) external returns (bool removed);

    /// @notice Sends the flash liquidator's whole balance of `token` to `proceedsRecipient`. Anyone may call it.
    /// @dev Reverts with `NoLiquidator` before `setLiquidator`.
    function sweep(address token) external returns (uint256 amount);

    // ----------------------------------------------------------------- governance

    /// @notice Sets the limits, inside the bounds. Owner (the timelock) only.
    function setConfig(Config calldata config) external;

    /// @notice Sets the Uniswap v3 pool the flash liquidator sells `collateral` in (it must pair it with the base
    ///         asset). Owner only.
    /// @dev Reverts with `NoLiquidator` before `setLiquidator`.
    function setLiquidationPool(address collateral, address pool) external;

    /// @notice Gives the upkeep the flash liquidator it liquidates through, and takes ownership of it: the liquidator's
    ///         owner must first `transferOwnership` to this contract. Owner (at deployment, then the timelock) only.
    ///         Until it is set, liquidatable accounts are flagged instead of liquidated here.
    /// @dev Reverts with `ZeroAddress`, or the liquidator's own error when this contract is not its pending owner.
    function setLiquidator(IUpkeepLiquidator liquidator) external;

    // ----------------------------------------------------------------- upkeep internals

    /// @notice Pokes `asset`'s breaker entry and reverts with `PokeProbe(changes)`: nothing is kept. Only this contract
    ///         may call it (from `checkUpkeep` and `performUpkeep`).
    /// @dev Reverts with `OnlySelf`, and always with `PokeProbe`.
    function probePoke(address asset) external;

    // ----------------------------------------------------------------- views

    /// @notice The work due now among registered accounts `from`..`to` (all of them: `checkData` empty), as
    ///         `checkUpkeep` finds it; not a view only because it probes breaker pokes by reverting calls.
    function findWork(bytes calldata checkData) external returns (Work memory work, bool needed);

    /// @notice The limits.
    function config() external view returns (Config memory);

    /// @notice Number of registered accounts.
    function accountCount() external view returns (uint256);

    /// @notice Registered accounts `from`..`to` (exclusive, clamped).
    function accounts(uint256 from, uint256 to) external view returns (address[] memory);

    /// @notice Whether `account` is registered.
    function isTracked(address account) external view returns (bool);

    /// @notice When this contract last poked `asset`'s breaker entry.
    function lastPoked(address asset) external view returns (uint256);

    /// @notice The flash liquidator the upkeep liquidates through (zero: none set yet).
    function liquidator() external view returns (IUpkeepLiquidator);
}
